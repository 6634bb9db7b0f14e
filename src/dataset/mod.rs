//! The per-packet dataset: one row per IP packet, in capture order, as Parquet.
//!
//! Column names follow the reference study so its notebooks still work; see the README for
//! what each column means. [`convert`] turns captures into it (what `ntp preprocess` runs),
//! [`writer`] streams row groups to disk as they fill, [`reader`] opens the files for the
//! later stages.

pub mod convert;
mod dictionary;
pub mod footer;
mod footer_types;
mod pages;
pub mod reader;
pub mod writer;

use polars::prelude::*;
use polars_arrow::array::ArrayRef;
use polars_arrow::bitmap::{Bitmap, MutableBitmap};

use crate::decode::{Addrs, Family, IpPacket};
use dictionary::{Addresses, DictColumn, Index};

pub const TIMESTAMP: &str = "Timestamp";
pub const FAMILY: &str = "Family";
pub const SOURCE_IP: &str = "Source IP";
pub const DESTINATION_IP: &str = "Destination IP";
pub const PROTOCOL: &str = "Protocol";
pub const SIZE: &str = "Size (bytes)";
pub const WIRE_SIZE: &str = "Wire Size (bytes)";
pub const CAPTURED_SIZE: &str = "Captured Size (bytes)";
pub const SOURCE_PORT: &str = "Source Port";
pub const DESTINATION_PORT: &str = "Destination Port";
pub const TYPE: &str = "Type";

/// Checks a Parquet file before polars reads it: its footer ([`footer::check`]), then its
/// page headers (`pages.rs`), which polars-parquet parses again — whatever else in them
/// panics is an error naming the file.
pub fn check_parquet(path: &std::path::Path) -> crate::error::Result<()> {
    footer::check(path)?;
    crate::util::guard::reading(path, || pages::check(path))
}

/// Name for outputs: the input file's stem (a series table's without `.series`), or the
/// directory's name.
pub fn stem_of(inputs: &[std::path::PathBuf]) -> String {
    let first = &inputs[0];
    let name = if first.is_dir() {
        first.file_name()
    } else {
        first.file_stem()
    };
    let name = name
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "series".into());
    // A gzipped text file: `matrix.csv.gz` is `matrix`.
    let lower = name.to_ascii_lowercase();
    let name = match [".csv", ".tsv"].iter().find(|e| lower.ends_with(*e)) {
        Some(e)
            if first
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("gz")) =>
        {
            name[..name.len() - e.len()].to_string()
        }
        _ => name,
    };
    match name.strip_suffix(".series") {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => name,
    }
}

/// The dataset's schema, in column order.
pub fn schema(unit: writer::TimestampUnit) -> Schema {
    Schema::from_iter([
        Field::new(
            TIMESTAMP.into(),
            DataType::Datetime(unit.polars(), Some(TimeZone::UTC)),
        ),
        Field::new(FAMILY.into(), DataType::String),
        Field::new(SOURCE_IP.into(), DataType::String),
        Field::new(DESTINATION_IP.into(), DataType::String),
        Field::new(PROTOCOL.into(), DataType::UInt8),
        Field::new(SIZE.into(), DataType::UInt32),
        Field::new(WIRE_SIZE.into(), DataType::UInt32),
        Field::new(CAPTURED_SIZE.into(), DataType::UInt32),
        Field::new(SOURCE_PORT.into(), DataType::UInt16),
        Field::new(DESTINATION_PORT.into(), DataType::UInt16),
        Field::new(TYPE.into(), DataType::String),
    ])
}

/// `Type` column value for an IP protocol number.
pub fn type_name(protocol: u8) -> &'static str {
    match protocol {
        6 => "TCP",
        17 => "UDP",
        _ => "Other",
    }
}

/// Column buffers for a batch of rows.
pub struct Columns {
    ts: Vec<i64>,
    src: Addresses,
    dst: Addresses,
    /// Per row: its addresses are IPv6 (which is also its Family).
    is_v6: Vec<bool>,
    protocol: Vec<u8>,
    size: Vec<u32>,
    wire: Vec<u32>,
    captured: Vec<u32>,
    sport: Vec<u16>,
    dport: Vec<u16>,
    /// Which rows have ports (both or neither).
    has_ports: MutableBitmap,
    typ: DictColumn,
    types: Index<u8>,
}

/// Which of the [`type_name`]s a protocol gets, as a dictionary key.
#[inline]
fn type_key(protocol: u8) -> u8 {
    match protocol {
        6 | 17 => protocol,
        _ => 0,
    }
}

impl Columns {
    pub fn with_capacity(n: usize) -> Columns {
        Columns {
            ts: Vec::with_capacity(n),
            src: Addresses::with_capacity(n),
            dst: Addresses::with_capacity(n),
            is_v6: Vec::with_capacity(n),
            protocol: Vec::with_capacity(n),
            size: Vec::with_capacity(n),
            wire: Vec::with_capacity(n),
            captured: Vec::with_capacity(n),
            sport: Vec::with_capacity(n),
            dport: Vec::with_capacity(n),
            has_ports: MutableBitmap::with_capacity(n),
            typ: DictColumn::with_capacity(n),
            types: Index::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    #[inline]
    pub fn push(&mut self, ts_ns: i64, wire_len: u32, captured_len: u32, p: &IpPacket) {
        self.ts.push(ts_ns);
        match &p.addrs {
            Addrs::V4(s, d) => {
                self.src.v4.push(u32::from_be_bytes(*s));
                self.dst.v4.push(u32::from_be_bytes(*d));
                self.is_v6.push(false);
            }
            Addrs::V6(s, d) => {
                self.src.v6.push(u128::from_be_bytes(*s));
                self.dst.v6.push(u128::from_be_bytes(*d));
                self.is_v6.push(true);
            }
        }
        self.protocol.push(p.protocol);
        self.size.push(p.size);
        self.wire.push(wire_len);
        self.captured.push(captured_len);
        let (sport, dport) = p.ports.unwrap_or_default();
        self.sport.push(sport);
        self.dport.push(dport);
        self.has_ports.push(p.ports.is_some());
        self.typ.push(&mut self.types, type_key(p.protocol), || {
            type_name(p.protocol)
        });
    }

    /// The rows as a frame with times in `unit`, and how many times lost digits to it.
    pub fn into_frame(self, unit: writer::TimestampUnit) -> (DataFrame, u64) {
        let n = self.ts.len();
        let (strings, numbers, lost) = self.parts(unit);
        let names = [FAMILY, SOURCE_IP, DESTINATION_IP, TYPE];
        let strings = strings
            .into_iter()
            .zip(names)
            .map(|(c, name)| c.into_strings(name));
        let columns = in_schema_order(strings, numbers);
        let df = DataFrame::new(n, columns).expect("columns of equal length");
        (df, lost)
    }

    /// The rows as Arrow arrays in [`schema`] order (string columns dictionary-encoded, as
    /// they are written), with times in `unit`, and how many times lost digits to it.
    pub fn into_arrow(self, unit: writer::TimestampUnit) -> (Vec<ArrayRef>, u64) {
        let (strings, numbers, lost) = self.parts(unit);
        let numbers = numbers
            .iter()
            .map(|c| {
                c.as_materialized_series()
                    .to_arrow(0, CompatLevel::newest())
            })
            .collect();
        let strings = strings.into_iter().map(DictColumn::into_arrow);
        (in_schema_order(strings, numbers), lost)
    }

    /// The string columns (Family, Source IP, Destination IP, Type), the others in
    /// [`schema`] order with times in `unit`, and how many times lost digits to it.
    fn parts(self, unit: writer::TimestampUnit) -> ([DictColumn; 4], Vec<Column>, u64) {
        let (ts, lost) = unit.column(TIMESTAMP, self.ts);
        let ports: Bitmap = self.has_ports.into();
        let numbers = vec![
            ts,
            UInt8Chunked::from_vec(PROTOCOL.into(), self.protocol)
                .into_series()
                .into(),
            UInt32Chunked::from_vec(SIZE.into(), self.size)
                .into_series()
                .into(),
            UInt32Chunked::from_vec(WIRE_SIZE.into(), self.wire)
                .into_series()
                .into(),
            UInt32Chunked::from_vec(CAPTURED_SIZE.into(), self.captured)
                .into_series()
                .into(),
            UInt16Chunked::from_vec_validity(SOURCE_PORT.into(), self.sport, Some(ports.clone()))
                .into_series()
                .into(),
            UInt16Chunked::from_vec_validity(DESTINATION_PORT.into(), self.dport, Some(ports))
                .into_series()
                .into(),
        ];
        let mut family = DictColumn::with_capacity(self.is_v6.len());
        let mut families = Index::default();
        for &v6 in &self.is_v6 {
            let f = if v6 { Family::V6 } else { Family::V4 };
            family.push(&mut families, f as u8, || f.name());
        }
        let src = self.src.into_dict(&self.is_v6);
        let dst = self.dst.into_dict(&self.is_v6);
        ([family, src, dst, self.typ], numbers, lost)
    }

    /// The first and last day (since the epoch, in UTC) of the rows' times.
    pub fn days(&self) -> Option<(i64, i64)> {
        let lo = self.ts.iter().min()?;
        let hi = self.ts.iter().max()?;
        Some((
            lo.div_euclid(crate::util::time::DAY_NS),
            hi.div_euclid(crate::util::time::DAY_NS),
        ))
    }
}

/// Family, Source IP and Destination IP after the timestamp, Type last, as in [`schema`].
fn in_schema_order<T>(strings: impl IntoIterator<Item = T>, mut numbers: Vec<T>) -> Vec<T> {
    let mut strings = strings.into_iter();
    let mut next = || strings.next().expect("four string columns");
    for at in 1..=3 {
        numbers.insert(at, next());
    }
    numbers.push(next());
    numbers
}

/// Dotted-quad text, without going through `fmt` (this runs twice per packet).
#[inline]
pub fn fmt_ipv4<'a>(a: &[u8; 4], buf: &'a mut [u8; 45]) -> &'a str {
    let mut n = 0;
    for (i, &octet) in a.iter().enumerate() {
        if i > 0 {
            buf[n] = b'.';
            n += 1;
        }
        if octet >= 100 {
            buf[n] = b'0' + octet / 100;
            buf[n + 1] = b'0' + octet / 10 % 10;
            buf[n + 2] = b'0' + octet % 10;
            n += 3;
        } else if octet >= 10 {
            buf[n] = b'0' + octet / 10;
            buf[n + 1] = b'0' + octet % 10;
            n += 2;
        } else {
            buf[n] = b'0' + octet;
            n += 1;
        }
    }
    std::str::from_utf8(&buf[..n]).expect("ASCII digits")
}

/// RFC 5952 text (the form tshark prints).
pub fn fmt_ipv6<'a>(a: &[u8; 16], buf: &'a mut [u8; 45]) -> &'a str {
    use std::io::Write;
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    write!(cursor, "{}", std::net::Ipv6Addr::from(*a)).expect("45 bytes hold any IPv6 text");
    let n = cursor.position() as usize;
    std::str::from_utf8(&buf[..n]).expect("ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars_arrow::array::Utf8ViewArray;

    /// Rows of both families, repeated and new addresses, every Type, ports or none.
    fn rows(n: u64) -> Columns {
        rows_and_addresses(n).0
    }

    /// [`rows`], and each row's source and destination as `std::net` writes them.
    fn rows_and_addresses(n: u64) -> (Columns, Vec<(String, String)>) {
        let mut cols = Columns::with_capacity(0);
        let mut texts = Vec::new();
        let mut x = 12345u64;
        for i in 0..n {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let pick = (x >> 33) % 97;
            let addrs = if i % 7 == 3 {
                let mut a = [0u8; 16];
                a[0] = 0x20;
                a[15] = pick as u8;
                let mut b = a;
                b[0] = if pick % 2 == 0 { 0x80 } else { 0x20 };
                Addrs::V6(a, b)
            } else {
                Addrs::V4(
                    [10, 0, (pick / 10) as u8, pick as u8],
                    [192, 168, 1, (i % 5) as u8],
                )
            };
            let protocol = [6u8, 17, 1, 58][(x >> 20) as usize % 4];
            let p = IpPacket {
                addrs,
                protocol,
                size: 40 + (x % 1400) as u32,
                ports: (protocol == 6 || protocol == 17).then_some((i as u16, 443)),
                tcp_flags: None,
            };
            cols.push(
                1_700_000_000_000_000_000 + i as i64 * 1_000,
                p.size + 14,
                96,
                &p,
            );
            texts.push(match addrs {
                Addrs::V4(a, b) => (
                    std::net::Ipv4Addr::from(a).to_string(),
                    std::net::Ipv4Addr::from(b).to_string(),
                ),
                Addrs::V6(a, b) => (
                    std::net::Ipv6Addr::from(a).to_string(),
                    std::net::Ipv6Addr::from(b).to_string(),
                ),
            });
        }
        (cols, texts)
    }

    /// Every row's addresses come out of the dictionaries as the row gave them, the
    /// families interleaved, each batch's values in order of first use.
    #[test]
    fn address_dictionaries_give_every_row_its_own_addresses() {
        for n in [0, 1, 17, 5000] {
            let (cols, texts) = rows_and_addresses(n);
            let [_, src, dst, _] = cols.parts(writer::TimestampUnit::Ns).0;
            for (col, side) in [(src, 0), (dst, 1)] {
                let values: Utf8ViewArray = col.values.freeze();
                let got: Vec<&str> = col.keys.iter().map(|k| values.value(*k as usize)).collect();
                let want: Vec<&str> = texts
                    .iter()
                    .map(|t| {
                        if side == 0 {
                            t.0.as_str()
                        } else {
                            t.1.as_str()
                        }
                    })
                    .collect();
                assert_eq!(got, want, "{n} rows, side {side}");
                let mut first_use: Vec<&str> = Vec::new();
                for w in &want {
                    if !first_use.contains(w) {
                        first_use.push(w);
                    }
                }
                let dict: Vec<&str> = values.values_iter().collect();
                assert_eq!(dict, first_use, "{n} rows, side {side}");
            }
        }
    }

    /// The dictionary arrays `preprocess` builds make the very file polars' own writer
    /// makes from the plain string frame (and both read back as the same rows).
    #[test]
    fn dictionary_arrays_write_the_file_the_frame_writes() {
        let dir = std::env::temp_dir().join(format!("ntp-dict-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let unit = writer::TimestampUnit::Ns;
        let encoder = writer::Encoder::new(&schema(unit)).unwrap();
        let (a, b) = (dir.join("arrays.parquet"), dir.join("frame.parquet"));
        let mut sink = writer::ParquetSink::create(&a, unit).unwrap();
        for n in [1000, 1, 5000] {
            let (arrays, _) = rows(n).into_arrow(unit);
            sink.write_encoded(encoder.encode_arrays(&arrays, &a).unwrap())
                .unwrap();
        }
        sink.finish().unwrap();
        let mut sink = writer::ParquetSink::create(&b, unit).unwrap();
        for n in [1000, 1, 5000] {
            sink.write(&rows(n).into_frame(unit).0).unwrap();
        }
        sink.finish().unwrap();
        let read = |p: &std::path::Path| {
            ParquetReader::new(std::fs::File::open(p).unwrap())
                .finish()
                .unwrap()
        };
        let (fa, fb) = (read(&a), read(&b));
        assert_eq!(fa.height(), 6001);
        for (ca, cb) in fa.columns().iter().zip(fb.columns()) {
            assert!(
                ca.equals_missing(cb),
                "{}: {:?} vs {:?}",
                ca.name(),
                ca.head(Some(8)),
                cb.head(Some(8))
            );
        }
        assert!(fa.equals_missing(&fb));
        assert_eq!(fa.schema(), &schema(unit).into());
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn ipv4_text_matches_std() {
        let mut buf = [0u8; 45];
        for a in [
            [0, 0, 0, 0],
            [255, 255, 255, 255],
            [10, 0, 99, 100],
            [192, 168, 1, 9],
            [1, 20, 255, 0],
        ] {
            assert_eq!(
                fmt_ipv4(&a, &mut buf),
                std::net::Ipv4Addr::from(a).to_string()
            );
        }
    }
}
