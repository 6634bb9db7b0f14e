//! CSV tables, streamed row by row (a series CSV has millions of rows: no per-field
//! allocation). Floats are written in their shortest round-trip form (no precision lost),
//! integral values without a fraction; NaN (statsmodels' undefined ends) is an empty field,
//! as pandas writes it. Timestamps are RFC 3339 UTC.

use std::io::Write;
use std::path::Path;

use crate::error::Result;
use crate::output::write_atomically;

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
                let n = timestamp_bytes(ns, &mut self.time);
                w.write_all(&self.time[..n])
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

/// Writes a header line and rows of already-formatted fields (small tables).
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

/// Writes `ns` as `YYYY-MM-DDTHH:MM:SS[.nnnnnnnnn]Z` into `b`, nanoseconds only when not
/// whole seconds; returns the length.
pub fn timestamp_bytes(ns: i64, b: &mut [u8; 30]) -> usize {
    let secs = ns.div_euclid(1_000_000_000);
    let frac = ns.rem_euclid(1_000_000_000);
    let (y, mo, d) = crate::preprocess::civil_from_days(secs.div_euclid(86_400));
    let tod = secs.rem_euclid(86_400);
    let mut put = |at: usize, v: i64, width: usize| {
        let mut v = v;
        for i in (0..width).rev() {
            b[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, y, 4);
    put(5, mo as i64, 2);
    put(8, d as i64, 2);
    put(11, tod / 3600, 2);
    put(14, tod / 60 % 60, 2);
    put(17, tod % 60, 2);
    put(20, frac, 9);
    (b[4], b[7], b[10], b[13], b[16], b[19]) = (b'-', b'-', b'T', b':', b':', b'.');
    let end = if frac == 0 { 19 } else { 29 };
    b[end] = b'Z';
    end + 1
}

/// A window start as text (see [`timestamp_bytes`]).
pub fn timestamp_text(ns: i64) -> String {
    let mut b = [0u8; 30];
    let n = timestamp_bytes(ns, &mut b);
    String::from_utf8_lossy(&b[..n]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_text_forms() {
        assert_eq!(
            timestamp_text(1_506_883_716_000_000_000),
            "2017-10-01T18:48:36Z"
        );
        assert_eq!(
            timestamp_text(1_506_883_716_800_000_000),
            "2017-10-01T18:48:36.800000000Z"
        );
        assert_eq!(timestamp_text(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            timestamp_text(951_782_400_000_000_001),
            "2000-02-29T00:00:00.000000001Z"
        );
    }

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
}
