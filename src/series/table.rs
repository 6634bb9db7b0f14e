//! The series table: one row per interval, every column a capture pass can count, as
//! Parquet (written by `ntp aggregate`, read by every later stage).

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::dataset::writer::{ParquetSink, TimestampUnit};
use crate::error::{Error, Result};

/// The columns of a series table after `timestamp`, in file order.
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
    Sources,
    Destinations,
    Flows,
}

/// Number of value columns.
pub const COLUMNS: usize = 16;
/// The first `SUMS` columns are sums; the rest are distinct counts.
pub const SUMS: usize = 13;

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
        Column::Sources,
        Column::Destinations,
        Column::Flows,
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
            Column::Sources => "sources",
            Column::Destinations => "destinations",
            Column::Flows => "flows",
        }
    }

    pub fn from_name(name: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Position in a row of values.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Distinct counts cannot be summed when intervals are merged.
    pub fn is_distinct(self) -> bool {
        self.index() >= SUMS
    }

    /// The columns a table holds: all of them, or the sums only (`distinct` false).
    pub fn held(distinct: bool) -> &'static [Column] {
        if distinct {
            &Column::ALL
        } else {
            &Column::ALL[..SUMS]
        }
    }
}

/// A regular series of every column: row `i` is the interval starting at `start_ns[i]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesTable {
    pub every_ns: i64,
    pub start_ns: Vec<i64>,
    /// Every column of each row; the distinct counts are zero (and not written) when
    /// `distinct` is false.
    pub rows: Vec<[u64; COLUMNS]>,
    /// Whether the distinct counts (sources, destinations, flows) were counted.
    pub distinct: bool,
}

impl SeriesTable {
    pub fn len(&self) -> usize {
        self.start_ns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.start_ns.is_empty()
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
                .map(|c| Field::new(c.name().into(), DataType::UInt64)),
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
            let values = rows.iter().map(|r| r[c.index()]).collect();
            cols.push(UInt64Chunked::from_vec(c.name().into(), values).into_column());
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

/// Where the size histogram of a series file lives: `X.series.parquet` or `X.parquet` →
/// `X.sizes.parquet`.
pub fn sizes_path(series: &Path) -> PathBuf {
    let name = series
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".series.parquet")
        .or_else(|| name.strip_suffix(".parquet"))
        .unwrap_or(&name);
    series.with_file_name(format!("{stem}.sizes.parquet"))
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
                .map(|i| std::array::from_fn(|c| i * 31 + c as u64))
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
        assert_eq!(flows.get(n - 1), Some((n as u64 - 1) * 31 + 15));
        let ts = df.column(TIMESTAMP).unwrap().datetime().unwrap();
        assert_eq!(
            ts.phys.get(ROW_GROUP),
            Some((ROW_GROUP as i64 + 7) * every_ns)
        );
    }
}
