//! CSV tables, streamed row by row (a series CSV has millions of rows: no per-field
//! allocation). Floats are written in their shortest round-trip form (no precision lost),
//! integral values without a fraction; NaN (statsmodels' undefined ends) is an empty field,
//! as pandas writes it. Timestamps are RFC 3339 UTC. Text is quoted only where RFC 4180
//! needs it (a comma, quote or line break inside). [`read_table`] reads ntp's own tables
//! back for the report.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::util::atomic::write_atomically;

/// One CSV field.
#[derive(Clone, Copy, Debug)]
pub enum Cell<'a> {
    Float(f64),
    Int(u64),
    /// Nanoseconds since the epoch, written as an RFC 3339 UTC timestamp.
    Time(i64),
    Text(&'a str),
}

/// Largest magnitude below which every integer is exact in an f64.
const EXACT: f64 = 9_007_199_254_740_992.0;

/// Reusable formatting buffers.
#[derive(Default)]
struct Formatter {
    ryu: ryu::Buffer,
    itoa: itoa::Buffer,
    time: [u8; 30],
}

impl Formatter {
    fn put(&mut self, w: &mut dyn Write, cell: Cell<'_>) -> std::io::Result<()> {
        match cell {
            Cell::Float(v) if v.is_nan() => Ok(()),
            Cell::Float(v) if v.fract() == 0.0 && v.abs() < EXACT => {
                w.write_all(self.itoa.format(v as i64).as_bytes())
            }
            Cell::Float(v) => w.write_all(self.ryu.format(v).as_bytes()),
            Cell::Int(v) => w.write_all(self.itoa.format(v).as_bytes()),
            Cell::Time(ns) => {
                let n = crate::util::time::timestamp_bytes(ns, &mut self.time);
                w.write_all(&self.time[..n])
            }
            Cell::Text(s) if s.contains([',', '"', '\n', '\r']) => {
                w.write_all(b"\"")?;
                w.write_all(s.replace('"', "\"\"").as_bytes())?;
                w.write_all(b"\"")
            }
            Cell::Text(s) => w.write_all(s.as_bytes()),
        }
    }
}

/// A float as CSV text (same form as [`Cell::Float`] in a table).
pub fn float(v: f64) -> String {
    let mut out = Vec::new();
    Formatter::default()
        .put(&mut out, Cell::Float(v))
        .expect("writing to memory");
    String::from_utf8(out).expect("ASCII")
}

/// Writes a header line and rows of fields.
pub fn write_rows<'a, const N: usize>(
    dest: &Path,
    header: &[&str; N],
    rows: impl IntoIterator<Item = [Cell<'a>; N]>,
) -> Result<()> {
    write_table(dest, header, rows)
}

/// Writes a header line and rows of fields, the width known only when running (each row as
/// long as the header).
pub fn write_table<'a, R: IntoIterator<Item = Cell<'a>>>(
    dest: &Path,
    header: &[&str],
    rows: impl IntoIterator<Item = R>,
) -> Result<()> {
    write_atomically(dest, |w| {
        writeln!(w, "{}", header.join(","))?;
        let mut f = Formatter::default();
        for row in rows {
            for (i, cell) in row.into_iter().enumerate() {
                if i > 0 {
                    w.write_all(b",")?;
                }
                f.put(w, cell)?;
            }
            w.write_all(b"\n")?;
        }
        Ok(())
    })
}

/// A small CSV table read back: its header and rows of fields (quotes removed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Splits one line into fields at `delimiter` (RFC 4180 quoting; no line breaks inside
/// fields).
pub fn split_fields(line: &str, delimiter: char) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().expect("one field").push('"');
            }
            ('"', _) => quoted = !quoted,
            (c, false) if c == delimiter => fields.push(String::new()),
            (c, _) => fields.last_mut().expect("one field").push(c),
        }
    }
    fields
}

/// Reads a table ntp wrote; every row must have as many fields as the header.
pub fn read_table(p: &Path) -> Result<Table> {
    read_delimited(p, ',')
}

/// Reads a delimited text table (`,` for CSV, tab for TSV); blank lines at the end are
/// ignored, every other row must have as many fields as the header.
pub fn read_delimited(p: &Path, delimiter: char) -> Result<Table> {
    let text = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
    let body = text.trim_end_matches(|c: char| c.is_whitespace() && c != delimiter);
    let mut lines = body.lines();
    let header = split_fields(lines.next().unwrap_or_default(), delimiter);
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        let row = split_fields(line, delimiter);
        if row.len() != header.len() {
            return Err(Error::Report {
                path: p.to_owned(),
                message: format!(
                    "row {} has {} fields, the header {}",
                    i + 2,
                    row.len(),
                    header.len()
                ),
            });
        }
        rows.push(row);
    }
    Ok(Table { header, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_round_trip() {
        for v in [
            0.0,
            1.0,
            -3.0,
            123456789.0,
            0.1,
            -2.5e-7,
            1.234567890123e15,
            9.1e17,
            f64::MAX,
            f64::MIN_POSITIVE,
        ] {
            let s = float(v);
            assert_eq!(s.parse::<f64>().unwrap(), v, "{s}");
        }
        assert_eq!(float(1234.0), "1234");
        assert_eq!(float(f64::NAN), "");
    }

    #[test]
    fn rows_streamed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        write_rows(
            &p,
            &["t", "v", "n", "s"],
            [[
                Cell::Time(1_000_000_000),
                Cell::Float(0.5),
                Cell::Int(7),
                Cell::Text("x"),
            ]],
        )
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "t,v,n,s\n1970-01-01T00:00:01Z,0.5,7,x\n"
        );
    }

    #[test]
    fn quoted_text_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        let awkward = "a, \"quoted\" b";
        write_rows(&p, &["k", "v"], [[Cell::Text(awkward), Cell::Int(1)]]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "k,v\n\"a, \"\"quoted\"\" b\",1\n"
        );
        let t = read_table(&p).unwrap();
        assert_eq!(t.header, ["k", "v"]);
        assert_eq!(t.rows, [[awkward.to_string(), "1".to_string()]]);
    }
}
