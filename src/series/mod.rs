//! Series: bytes (and packets) per interval from the per-packet dataset, with polars
//! `group_by_dynamic`: windows `[k·every, (k+1)·every)` aligned to the Unix epoch, labelled
//! by their start, sums in u64. Input is sorted by time first (the study's lazy path
//! silently mis-binned unsorted input). Empty intervals are zeros unless `drop_empty`
//! (the study's behaviour, which shifts every later position).

pub mod aggregate;
pub mod sizes;
pub mod table;

use std::path::PathBuf;

use polars::prelude::*;

use crate::dataset::{self, reader};
use crate::error::{Error, Result};

/// Which length a packet contributes to the byte count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SizeKind {
    /// IP total length from the header (the traffic volume; default).
    #[default]
    Ip,
    /// Original frame length on the wire.
    Wire,
    /// Captured length, at most snaplen (what the study summed).
    Captured,
}

impl SizeKind {
    pub fn column(self) -> &'static str {
        match self {
            SizeKind::Ip => dataset::SIZE,
            SizeKind::Wire => dataset::WIRE_SIZE,
            SizeKind::Captured => dataset::CAPTURED_SIZE,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SizeKind::Ip => "ip",
            SizeKind::Wire => "wire",
            SizeKind::Captured => "captured",
        }
    }

    /// The kind of a [`SizeKind::name`] (an unknown name is the IP length).
    pub fn from_name(name: &str) -> SizeKind {
        match name {
            "wire" => SizeKind::Wire,
            "captured" => SizeKind::Captured,
            _ => SizeKind::Ip,
        }
    }
}

/// How to build a series.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesOptions {
    /// Interval, in polars duration syntax (`1s`, `100ms`, `1m`, …).
    pub every: String,
    pub size: SizeKind,
    pub drop_empty: bool,
}

impl Default for SeriesOptions {
    fn default() -> Self {
        SeriesOptions {
            every: "1s".into(),
            size: SizeKind::Ip,
            drop_empty: false,
        }
    }
}

impl SeriesOptions {
    /// The interval in nanoseconds (fixed-length intervals only).
    pub fn every_ns(&self) -> Result<i64> {
        let d = Duration::try_parse(&self.every).map_err(|_| {
            Error::Invalid(format!(
                "--every {:?}: not a duration (e.g. 1s, 500ms, 1m)",
                self.every
            ))
        })?;
        if d.months() != 0 || d.negative() || d.duration_ns() <= 0 {
            return Err(Error::Invalid(format!(
                "--every {:?}: needs a positive fixed-length interval (ns, us, ms, s, m, h, d, w)",
                self.every
            )));
        }
        Ok(d.duration_ns())
    }
}

/// A regular (or, with `drop_empty`, gappy) series of bytes and packets per interval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Series {
    pub every_ns: i64,
    /// Window starts, ns since the epoch.
    pub start_ns: Vec<i64>,
    pub bytes: Vec<u64>,
    pub packets: Vec<u64>,
}

impl Series {
    pub fn len(&self) -> usize {
        self.start_ns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.start_ns.is_empty()
    }

    /// Bytes per second: each interval's bytes divided by the interval in seconds.
    pub fn rates(&self) -> Vec<f64> {
        let factor = self.rate_factor();
        self.bytes.iter().map(|&b| b as f64 * factor).collect()
    }

    /// Factor from bytes per interval to bytes per second.
    pub fn rate_factor(&self) -> f64 {
        1e9 / self.every_ns as f64
    }
}

/// Aggregates a sorted (or not) lazy frame with `Timestamp` and a size column.
pub fn aggregate(lf: LazyFrame, opts: &SeriesOptions) -> PolarsResult<DataFrame> {
    let every = Duration::try_parse(&opts.every)?;
    lf.select([
        col(dataset::TIMESTAMP),
        col(opts.size.column())
            .cast(DataType::UInt64)
            .alias("bytes"),
    ])
    .sort([dataset::TIMESTAMP], SortMultipleOptions::default())
    .group_by_dynamic(
        col(dataset::TIMESTAMP),
        [],
        DynamicGroupOptions {
            every,
            period: every,
            offset: Duration::try_parse("0ns")?,
            label: Label::Left,
            include_boundaries: false,
            closed_window: ClosedWindow::Left,
            start_by: StartBy::WindowBound,
            ..Default::default()
        },
    )
    .agg([
        col("bytes").sum().alias("bytes"),
        len().cast(DataType::UInt64).alias("packets"),
    ])
    .collect()
}

/// Builds the series of the dataset files (a directory or parts of one capture).
pub fn build(inputs: &[PathBuf], opts: &SeriesOptions) -> Result<Series> {
    let every_ns = opts.every_ns()?;
    let files = reader::resolve(inputs)?;
    let lf = reader::scan(&files, &[dataset::TIMESTAMP, opts.size.column()])?;
    let df = aggregate(lf, opts).map_err(|e| Error::polars(&files[0], e))?;
    from_frame(&df, every_ns, opts.drop_empty).map_err(|e| Error::polars(&files[0], e))
}

/// Reads the aggregated frame and fills empty windows with zeros unless `drop_empty`.
pub fn from_frame(df: &DataFrame, every_ns: i64, drop_empty: bool) -> PolarsResult<Series> {
    let ts = df
        .column(dataset::TIMESTAMP)?
        .as_materialized_series()
        .to_physical_repr()
        .into_owned();
    let ts = ts.i64()?;
    let bytes = df.column("bytes")?.as_materialized_series().u64()?.clone();
    let packets = df
        .column("packets")?
        .as_materialized_series()
        .u64()?
        .clone();
    let mut s = Series {
        every_ns,
        start_ns: Vec::new(),
        bytes: Vec::new(),
        packets: Vec::new(),
    };
    for i in 0..df.height() {
        let start = ts.get(i).unwrap_or_default();
        if !drop_empty {
            if let Some(&prev) = s.start_ns.last() {
                let mut k = prev + every_ns;
                while k < start {
                    s.start_ns.push(k);
                    s.bytes.push(0);
                    s.packets.push(0);
                    k += every_ns;
                }
            }
        }
        s.start_ns.push(start);
        s.bytes.push(bytes.get(i).unwrap_or(0));
        s.packets.push(packets.get(i).unwrap_or(0));
    }
    Ok(s)
}
