//! The per-packet dataset: one row per IP packet, in capture order, as Parquet.
//!
//! Column names follow the reference study so its notebooks still work; see the README for
//! what each column means. [`convert`] turns captures into it (what `ntp preprocess` runs),
//! [`writer`] streams row groups to disk as they fill, [`reader`] opens the files for the
//! later stages.

pub mod convert;
pub mod reader;
pub mod writer;

use polars::prelude::*;

use crate::decode::{Addrs, IpPacket};

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
    family: StringChunkedBuilder,
    src: StringChunkedBuilder,
    dst: StringChunkedBuilder,
    protocol: Vec<u8>,
    size: Vec<u32>,
    wire: Vec<u32>,
    captured: Vec<u32>,
    sport: Vec<Option<u16>>,
    dport: Vec<Option<u16>>,
    typ: StringChunkedBuilder,
}

impl Columns {
    pub fn with_capacity(n: usize) -> Columns {
        Columns {
            ts: Vec::with_capacity(n),
            family: StringChunkedBuilder::new(FAMILY.into(), n),
            src: StringChunkedBuilder::new(SOURCE_IP.into(), n),
            dst: StringChunkedBuilder::new(DESTINATION_IP.into(), n),
            protocol: Vec::with_capacity(n),
            size: Vec::with_capacity(n),
            wire: Vec::with_capacity(n),
            captured: Vec::with_capacity(n),
            sport: Vec::with_capacity(n),
            dport: Vec::with_capacity(n),
            typ: StringChunkedBuilder::new(TYPE.into(), n),
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
        self.family.append_value(p.family().name());
        let mut buf = [0u8; 45];
        match &p.addrs {
            Addrs::V4(s, d) => {
                self.src.append_value(fmt_ipv4(s, &mut buf));
                self.dst.append_value(fmt_ipv4(d, &mut buf));
            }
            Addrs::V6(s, d) => {
                self.src.append_value(fmt_ipv6(s, &mut buf));
                self.dst.append_value(fmt_ipv6(d, &mut buf));
            }
        }
        self.protocol.push(p.protocol);
        self.size.push(p.size);
        self.wire.push(wire_len);
        self.captured.push(captured_len);
        self.sport.push(p.ports.map(|p| p.0));
        self.dport.push(p.ports.map(|p| p.1));
        self.typ.append_value(type_name(p.protocol));
    }

    /// The rows as a frame with times in `unit`, and how many times lost digits to it.
    pub fn into_frame(self, unit: writer::TimestampUnit) -> (DataFrame, u64) {
        let n = self.ts.len();
        let (ts, lost) = unit.column(TIMESTAMP, self.ts);
        let columns: Vec<Column> = vec![
            ts,
            self.family.finish().into_series().into(),
            self.src.finish().into_series().into(),
            self.dst.finish().into_series().into(),
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
            UInt16Chunked::from_iter_options(SOURCE_PORT.into(), self.sport.into_iter())
                .into_series()
                .into(),
            UInt16Chunked::from_iter_options(DESTINATION_PORT.into(), self.dport.into_iter())
                .into_series()
                .into(),
            self.typ.finish().into_series().into(),
        ];
        let df = DataFrame::new(n, columns).expect("columns of equal length");
        (df, lost)
    }
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
