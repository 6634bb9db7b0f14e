//! CSV tables. Floats are written in Rust's shortest round-trip form (no precision lost);
//! NaN (statsmodels' undefined ends) is an empty field, as pandas writes it.

use std::path::Path;

use crate::error::Result;
use crate::output::write_atomically;

/// A float as CSV text.
pub fn float(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else {
        format!("{v}")
    }
}

/// Writes a header line and rows of already-formatted fields.
pub fn write_table(
    dest: &Path,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<()> {
    write_atomically(dest, |w| {
        writeln!(w, "{}", header.join(","))?;
        for row in rows {
            writeln!(w, "{}", row.join(","))?;
        }
        Ok(())
    })
}
