//! Heavy hitters: per interval, the `K` sources, destinations and destination ports with
//! the most bytes and the most packets, exact (every key of the interval is counted; the
//! top is taken when the interval closes), written to `{stem}.top.parquet` as intervals
//! close, a row group at a time.

use std::cmp::Ordering;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

use polars::prelude::*;

use super::features::Tallied;
use crate::dataset::writer::{ParquetSink, TimestampUnit};
use crate::error::{Error, Result};

/// What a row ranks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Source,
    Destination,
    DstPort,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::Source => "source",
            Field::Destination => "destination",
            Field::DstPort => "dst_port",
        }
    }
}

/// What a row is ranked by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    Bytes,
    Packets,
}

impl By {
    pub fn name(self) -> &'static str {
        match self {
            By::Bytes => "bytes",
            By::Packets => "packets",
        }
    }

    fn of(self, t: &Tallied) -> u64 {
        match self {
            By::Bytes => t.bytes,
            By::Packets => t.packets,
        }
    }
}

/// A ranked key: ties are broken by the key, IPv4 before IPv6, each in numeric order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    V4(u32),
    V6(u128),
    Port(u16),
}

impl Key {
    fn text(self) -> String {
        match self {
            Key::V4(a) => Ipv4Addr::from(a).to_string(),
            Key::V6(a) => Ipv6Addr::from(a).to_string(),
            Key::Port(p) => p.to_string(),
        }
    }
}

/// One row of the heavy-hitter table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TopRow {
    /// Start of the interval, ns since the epoch.
    pub start_ns: i64,
    pub field: Field,
    pub by: By,
    /// 1 for the largest.
    pub rank: u32,
    pub key: Key,
    pub tallied: Tallied,
    /// The key's share of the field's total of the ranked measure in the interval (all IP
    /// packets for addresses, TCP/UDP packets with ports for ports).
    pub share: f64,
}

/// The `k` largest of `entries` by `by`, ties by key, in rank order (`entries` is
/// reordered, not copied).
fn top(entries: &mut [(Key, Tallied)], by: By, k: usize) -> &[(Key, Tallied)] {
    let order = |a: &(Key, Tallied), b: &(Key, Tallied)| -> Ordering {
        by.of(&b.1).cmp(&by.of(&a.1)).then(a.0.cmp(&b.0))
    };
    let k = k.min(entries.len());
    if k == 0 {
        return &[];
    }
    if entries.len() > k {
        entries.select_nth_unstable_by(k - 1, order);
    }
    let top = &mut entries[..k];
    top.sort_unstable_by(order);
    top
}

/// The rows of one field of one interval: its top `k` by bytes, then by packets.
pub fn rows_of(
    start_ns: i64,
    field: Field,
    mut entries: Vec<(Key, Tallied)>,
    k: usize,
    out: &mut Vec<TopRow>,
) {
    if k == 0 {
        return;
    }
    for by in [By::Bytes, By::Packets] {
        let total: u64 = entries.iter().map(|e| by.of(&e.1)).sum();
        for (i, &(key, tallied)) in top(&mut entries, by, k).iter().enumerate() {
            out.push(TopRow {
                start_ns,
                field,
                by,
                rank: i as u32 + 1,
                key,
                tallied,
                share: if total == 0 {
                    0.0
                } else {
                    by.of(&tallied) as f64 / total as f64
                },
            });
        }
    }
}

/// Every address of two runs (IPv4 and IPv6) as ranked keys.
pub fn addresses(v4: &[(u32, Tallied)], v6: &[(u128, Tallied)]) -> Vec<(Key, Tallied)> {
    v4.iter()
        .map(|(a, t)| (Key::V4(*a), *t))
        .chain(v6.iter().map(|(a, t)| (Key::V6(*a), *t)))
        .collect()
}

/// Ports with their counts as ranked keys.
pub fn ports(c: impl Iterator<Item = (u16, Tallied)>) -> Vec<(Key, Tallied)> {
    c.map(|(p, t)| (Key::Port(p), t)).collect()
}

/// Rows buffered before they are written as a row group.
const GROUP: usize = 1 << 16;

/// The heavy-hitter file being written: rows arrive as intervals close.
pub struct TopSink {
    sink: ParquetSink,
    unit: TimestampUnit,
    rows: Vec<TopRow>,
}

impl TopSink {
    pub fn schema(unit: TimestampUnit) -> Schema {
        let datetime = DataType::Datetime(unit.polars(), Some(TimeZone::UTC));
        Schema::from_iter([
            polars::prelude::Field::new("timestamp".into(), datetime),
            polars::prelude::Field::new("field".into(), DataType::String),
            polars::prelude::Field::new("by".into(), DataType::String),
            polars::prelude::Field::new("rank".into(), DataType::UInt32),
            polars::prelude::Field::new("key".into(), DataType::String),
            polars::prelude::Field::new("packets".into(), DataType::UInt64),
            polars::prelude::Field::new("bytes".into(), DataType::UInt64),
            polars::prelude::Field::new("share".into(), DataType::Float64),
        ])
    }

    /// A heavy-hitter file at `dest` (written under a temporary name until [`finish`]).
    ///
    /// [`finish`]: TopSink::finish
    pub fn create(dest: &Path, unit: TimestampUnit) -> Result<TopSink> {
        Ok(TopSink {
            sink: ParquetSink::with_schema(dest, &Self::schema(unit))?,
            unit,
            rows: Vec::with_capacity(GROUP),
        })
    }

    pub fn push(&mut self, rows: &[TopRow]) -> Result<()> {
        self.rows.extend_from_slice(rows);
        if self.rows.len() >= GROUP {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let rows = std::mem::take(&mut self.rows);
        let strings = |f: &dyn Fn(&TopRow) -> String| rows.iter().map(f).collect::<Vec<_>>();
        let u64s = |f: &dyn Fn(&TopRow) -> u64| rows.iter().map(f).collect::<Vec<_>>();
        let cols = vec![
            self.unit
                .column("timestamp", rows.iter().map(|r| r.start_ns).collect())
                .0,
            Column::new("field".into(), strings(&|r| r.field.name().into())),
            Column::new("by".into(), strings(&|r| r.by.name().into())),
            Column::new(
                "rank".into(),
                rows.iter().map(|r| r.rank).collect::<Vec<_>>(),
            ),
            Column::new("key".into(), strings(&|r| r.key.text())),
            Column::new("packets".into(), u64s(&|r| r.tallied.packets)),
            Column::new("bytes".into(), u64s(&|r| r.tallied.bytes)),
            Column::new(
                "share".into(),
                rows.iter().map(|r| r.share).collect::<Vec<_>>(),
            ),
        ];
        let dest = self.sink.dest().to_owned();
        let df = DataFrame::new(rows.len(), cols).map_err(|e| Error::polars(&dest, e))?;
        self.sink.write(&df)?;
        self.rows = rows;
        self.rows.clear();
        Ok(())
    }

    /// Writes the last rows and gives the file its name.
    pub fn finish(mut self) -> Result<()> {
        self.flush()?;
        self.sink.finish()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_top_is_the_largest_with_ties_broken_by_key() {
        let t = |packets, bytes| Tallied { packets, bytes };
        let entries = vec![
            (Key::V6(1), t(5, 100)),
            (Key::V4(9), t(5, 300)),
            (Key::V4(3), t(5, 100)),
            (Key::V4(1), t(1, 900)),
        ];
        let by_packets: Vec<Key> = top(&mut entries.clone(), By::Packets, 3)
            .iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(by_packets, [Key::V4(3), Key::V4(9), Key::V6(1)]);
        let by_bytes: Vec<Key> = top(&mut entries.clone(), By::Bytes, 10)
            .iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(by_bytes, [Key::V4(1), Key::V4(9), Key::V4(3), Key::V6(1)]);
        let mut rows = Vec::new();
        rows_of(0, Field::Source, entries.clone(), 2, &mut rows);
        assert_eq!(rows.len(), 4);
        assert_eq!((rows[0].rank, rows[0].share), (1, 900.0 / 1400.0));
        assert_eq!(rows[2].by, By::Packets);
    }
}
