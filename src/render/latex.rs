//! LaTeX tables (booktabs) that drop straight into a report.

use std::path::Path;

use crate::error::Result;
use crate::util::atomic::write_atomically;

/// Escapes LaTeX's special characters in text.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            _ => out.push(c),
        }
    }
    out
}

/// A number for a table cell: plain with three decimals in [0.01, 10⁴), else
/// `$m\times10^{e}$`; `--` when not finite.
pub fn sci(v: f64) -> String {
    if !v.is_finite() {
        return "--".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let e = v.abs().log10().floor() as i32;
    if (-2..4).contains(&e) {
        return format!("{v:.3}");
    }
    format!("${:.3}\\times10^{{{e}}}$", v / 10f64.powi(e))
}

/// A booktabs table: `columns` like `lr`, header cells, body rows (cells already LaTeX).
pub struct Table<'a> {
    pub caption: &'a str,
    pub label: &'a str,
    pub columns: &'a str,
    pub header: &'a [String],
    pub rows: &'a [Vec<String>],
}

/// Writes one booktabs table.
pub fn write_table(
    dest: &Path,
    caption: &str,
    label: &str,
    columns: &str,
    header: &[String],
    rows: &[Vec<String>],
) -> Result<()> {
    write_tables(
        dest,
        &[Table {
            caption,
            label,
            columns,
            header,
            rows,
        }],
    )
}

/// Writes booktabs tables one after the other, a blank line between them.
pub fn write_tables(dest: &Path, tables: &[Table<'_>]) -> Result<()> {
    write_atomically(dest, |w| {
        for (i, t) in tables.iter().enumerate() {
            if i > 0 {
                writeln!(w)?;
            }
            writeln!(w, "\\begin{{table}}[htbp]")?;
            writeln!(w, "  \\centering")?;
            writeln!(w, "  \\caption{{{}}}", t.caption)?;
            writeln!(w, "  \\label{{{}}}", t.label)?;
            writeln!(w, "  \\begin{{tabular}}{{{}}}", t.columns)?;
            writeln!(w, "    \\toprule")?;
            writeln!(w, "    {} \\\\", t.header.join(" & "))?;
            writeln!(w, "    \\midrule")?;
            for row in t.rows {
                writeln!(w, "    {} \\\\", row.join(" & "))?;
            }
            writeln!(w, "    \\bottomrule")?;
            writeln!(w, "  \\end{{tabular}}")?;
            writeln!(w, "\\end{{table}}")?;
        }
        Ok(())
    })
}
