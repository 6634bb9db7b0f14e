//! The writer of `ntp aggregate`'s output for an access log
//! ([`super::outputs::access_log_path`]): `timestamp,requests,bytes,hosts,status_4xx,status_5xx`.

use std::path::Path;

use crate::error::Result;
use crate::series::access_log::{AccessSeries, COLUMNS};
use crate::util::atomic::write_atomically;
use crate::util::time::timestamp_text;

/// Writes one row per interval, first to last.
pub fn write(s: &AccessSeries, dest: &Path) -> Result<()> {
    write_atomically(dest, |w| {
        writeln!(w, "timestamp,{}", COLUMNS.join(","))?;
        for (t, r) in s.start_ns.iter().zip(&s.rows) {
            writeln!(
                w,
                "{},{},{},{},{},{}",
                timestamp_text(*t),
                r[0],
                r[1],
                r[2],
                r[3],
                r[4]
            )?;
        }
        Ok(())
    })
}
