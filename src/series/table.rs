//! The series table: one row per interval, every column a capture pass can count, as
//! Parquet (written by `ntp aggregate`, read by every later stage).

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::dataset::writer::{ParquetSink, TimestampUnit};
use crate::error::{Error, Result};

/// The columns of a series table after `timestamp`, in file order: sums (they add up when
/// intervals are joined), the size statistics of the interval's IP packets, then the keyed
/// columns (counted from each interval's addresses, ports and flows; left out by
/// `--no-distinct`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    IpBytes,
    WireBytes,
    CapturedBytes,
    Packets,
    TcpBytes,
    TcpPackets,
    UdpBytes,
    UdpPackets,
    OtherBytes,
    OtherPackets,
    Ipv6Bytes,
    Ipv6Packets,
    NonIpFrames,
    TcpSyn,
    TcpSynack,
    TcpFin,
    TcpRst,
    IcmpPackets,
    IcmpBytes,
    SizeP50,
    SizeP95,
    SizeMax,
    Sources,
    Destinations,
    Flows,
    SrcAddrEntropy,
    DstAddrEntropy,
    SrcPortEntropy,
    DstPortEntropy,
}

/// Number of value columns.
pub const COLUMNS: usize = 29;
/// The first `SUMS` columns are sums.
pub const SUMS: usize = 19;
/// From `KEYED` on, the columns need each interval's keys (held only with distinct counts).
pub const KEYED: usize = 22;

/// The time column.
pub const TIMESTAMP: &str = "timestamp";

/// Rows per row group of a series file (a day of seconds is one group).
pub const ROW_GROUP: usize = 1 << 17;

impl Column {
    pub const ALL: [Column; COLUMNS] = [
        Column::IpBytes,
        Column::WireBytes,
        Column::CapturedBytes,
        Column::Packets,
        Column::TcpBytes,
        Column::TcpPackets,
        Column::UdpBytes,
        Column::UdpPackets,
        Column::OtherBytes,
        Column::OtherPackets,
        Column::Ipv6Bytes,
        Column::Ipv6Packets,
        Column::NonIpFrames,
        Column::TcpSyn,
        Column::TcpSynack,
        Column::TcpFin,
        Column::TcpRst,
        Column::IcmpPackets,
        Column::IcmpBytes,
        Column::SizeP50,
        Column::SizeP95,
        Column::SizeMax,
        Column::Sources,
        Column::Destinations,
        Column::Flows,
        Column::SrcAddrEntropy,
        Column::DstAddrEntropy,
        Column::SrcPortEntropy,
        Column::DstPortEntropy,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Column::IpBytes => "ip_bytes",
            Column::WireBytes => "wire_bytes",
            Column::CapturedBytes => "captured_bytes",
            Column::Packets => "packets",
            Column::TcpBytes => "tcp_bytes",
            Column::TcpPackets => "tcp_packets",
            Column::UdpBytes => "udp_bytes",
            Column::UdpPackets => "udp_packets",
            Column::OtherBytes => "other_bytes",
            Column::OtherPackets => "other_packets",
            Column::Ipv6Bytes => "ipv6_bytes",
            Column::Ipv6Packets => "ipv6_packets",
            Column::NonIpFrames => "non_ip_frames",
            Column::TcpSyn => "tcp_syn",
            Column::TcpSynack => "tcp_synack",
            Column::TcpFin => "tcp_fin",
            Column::TcpRst => "tcp_rst",
            Column::IcmpPackets => "icmp_packets",
            Column::IcmpBytes => "icmp_bytes",
            Column::SizeP50 => "size_p50",
            Column::SizeP95 => "size_p95",
            Column::SizeMax => "size_max",
            Column::Sources => "sources",
            Column::Destinations => "destinations",
            Column::Flows => "flows",
            Column::SrcAddrEntropy => "src_addr_entropy",
            Column::DstAddrEntropy => "dst_addr_entropy",
            Column::SrcPortEntropy => "src_port_entropy",
            Column::DstPortEntropy => "dst_port_entropy",
        }
    }

    pub fn from_name(name: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Position in a row of values.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Sums add up when intervals are joined; the other columns (quantiles, distinct
    /// counts, entropies) do not.
    pub fn is_sum(self) -> bool {
        self.index() < SUMS
    }

    /// Counted from the interval's addresses, ports and flows: absent from a table built
    /// with `--no-distinct`.
    pub fn is_keyed(self) -> bool {
        self.index() >= KEYED
    }

    /// The entropies are real numbers (bits); every other column is a count of packets
    /// or bytes.
    pub fn is_float(self) -> bool {
        matches!(
            self,
            Column::SrcAddrEntropy
                | Column::DstAddrEntropy
                | Column::SrcPortEntropy
                | Column::DstPortEntropy
        )
    }

    /// The columns a table holds: all of them, or all but the keyed ones (`distinct` false).
    pub fn held(distinct: bool) -> &'static [Column] {
        if distinct {
            &Column::ALL
        } else {
            &Column::ALL[..KEYED]
        }
    }

    /// The entropy columns.
    pub const ENTROPIES: [Column; 4] = [
        Column::SrcAddrEntropy,
        Column::DstAddrEntropy,
        Column::SrcPortEntropy,
        Column::DstPortEntropy,
    ];
}

/// A regular series of every column: row `i` is the interval starting at `start_ns[i]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesTable {
    pub every_ns: i64,
    pub start_ns: Vec<i64>,
    /// Every column of each row, the entropies as the bits of an `f64`
    /// ([`SeriesTable::value`] reads any column as a number); the keyed columns are zero
    /// (and not written) when `distinct` is false.
    pub rows: Vec<[u64; COLUMNS]>,
    /// Whether the keyed columns (distinct counts, entropies) were counted.
    pub distinct: bool,
}

impl SeriesTable {
    pub fn len(&self) -> usize {
        self.start_ns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.start_ns.is_empty()
    }

    /// Column `c` of row `i` as a number.
    pub fn value(&self, i: usize, c: Column) -> f64 {
        cell(&self.rows[i], c)
    }

    /// The file's schema: the time column, then the columns held.
    pub fn schema(unit: TimestampUnit, distinct: bool) -> Schema {
        let mut fields = vec![Field::new(
            TIMESTAMP.into(),
            DataType::Datetime(unit.polars(), Some(TimeZone::UTC)),
        )];
        fields.extend(
            Column::held(distinct)
                .iter()
                .map(|c| Field::new(c.name().into(), dtype(*c))),
        );
        Schema::from_iter(fields)
    }

    /// The table as a frame, interval starts in `unit` (the caller checks that the
    /// interval is a whole number of units).
    pub fn to_frame(&self, unit: TimestampUnit) -> PolarsResult<DataFrame> {
        self.frame_of(0..self.len(), unit)
    }

    /// Rows `range` as a frame.
    fn frame_of(
        &self,
        range: std::ops::Range<usize>,
        unit: TimestampUnit,
    ) -> PolarsResult<DataFrame> {
        let rows = &self.rows[range.clone()];
        let mut cols: Vec<polars::prelude::Column> = Vec::with_capacity(COLUMNS + 1);
        cols.push(unit.column(TIMESTAMP, self.start_ns[range].to_vec()).0);
        for &c in Column::held(self.distinct) {
            let name = c.name().into();
            cols.push(if c.is_float() {
                let values = rows.iter().map(|r| cell(r, c)).collect();
                Float64Chunked::from_vec(name, values).into_column()
            } else {
                let values = rows.iter().map(|r| r[c.index()]).collect();
                UInt64Chunked::from_vec(name, values).into_column()
            });
        }
        DataFrame::new(rows.len(), cols)
    }

    /// Writes the table to `dest` (atomically), [`ROW_GROUP`] rows at a time: a series of
    /// millions of intervals is not copied whole into a frame.
    pub fn write(&self, dest: &Path, unit: TimestampUnit) -> Result<()> {
        unit.check_every(self.every_ns)?;
        let mut sink = ParquetSink::with_schema(dest, &SeriesTable::schema(unit, self.distinct))?;
        for start in (0..self.len()).step_by(ROW_GROUP) {
            let range = start..(start + ROW_GROUP).min(self.len());
            let df = self
                .frame_of(range, unit)
                .map_err(|e| Error::polars(dest, e))?;
            sink.write(&df)?;
        }
        sink.finish()?;
        Ok(())
    }
}

/// The file type of a column.
fn dtype(c: Column) -> DataType {
    if c.is_float() {
        DataType::Float64
    } else {
        DataType::UInt64
    }
}

/// Column `c` of a row as a number (the entropies are stored as `f64` bits).
pub fn cell(row: &[u64; COLUMNS], c: Column) -> f64 {
    let v = row[c.index()];
    if c.is_float() {
        f64::from_bits(v)
    } else {
        v as f64
    }
}

/// The stem of a series file: `X.series.parquet` or `X.parquet` → `X`.
fn series_stem(series: &Path) -> String {
    let name = series
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.strip_suffix(".series.parquet")
        .or_else(|| name.strip_suffix(".parquet"))
        .unwrap_or(&name)
        .to_string()
}

/// Where the heavy-hitter table of a series file lives: `X.series.parquet` or
/// `X.parquet` → `X.top.parquet`.
pub fn top_path(series: &Path) -> PathBuf {
    series.with_file_name(format!("{}.top.parquet", series_stem(series)))
}

/// Where the size histogram of a series file lives: `X.series.parquet` or `X.parquet` →
/// `X.sizes.parquet`.
pub fn sizes_path(series: &Path) -> PathBuf {
    series.with_file_name(format!("{}.sizes.parquet", series_stem(series)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_of_several_row_groups_reads_back_whole() {
        let n = 2 * ROW_GROUP + 3;
        let every_ns = 1_000_000_000;
        let table = SeriesTable {
            every_ns,
            start_ns: (0..n as i64).map(|k| (k + 7) * every_ns).collect(),
            rows: (0..n as u64)
                .map(|i| {
                    std::array::from_fn(|c| match Column::ALL[c].is_float() {
                        true => (i as f64 / 7.0).to_bits(),
                        false => i * 31 + c as u64,
                    })
                })
                .collect(),
            distinct: true,
        };
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("s.parquet");
        table.write(&dest, TimestampUnit::Ns).unwrap();
        let file = std::fs::File::open(&dest).unwrap();
        let mut reader = ParquetReader::new(file);
        assert_eq!(reader.num_rows().unwrap(), n);
        let groups = reader.get_metadata().unwrap().row_groups.len();
        assert_eq!(groups, 3);
        let df = reader.finish().unwrap();
        assert!(df.equals(&table.to_frame(TimestampUnit::Ns).unwrap()));
        let flows = df.column("flows").unwrap().u64().unwrap();
        let flows_at = Column::Flows.index() as u64;
        assert_eq!(flows.get(n - 1), Some((n as u64 - 1) * 31 + flows_at));
        let h = df.column("dst_port_entropy").unwrap().f64().unwrap();
        assert_eq!(h.get(n - 1), Some((n - 1) as f64 / 7.0));
        let ts = df.column(TIMESTAMP).unwrap().datetime().unwrap();
        assert_eq!(
            ts.phys.get(ROW_GROUP),
            Some((ROW_GROUP as i64 + 7) * every_ns)
        );
    }
}
