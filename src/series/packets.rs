//! The series of a per-packet dataset, with polars `group_by_dynamic`: windows
//! `[k·every, (k+1)·every)` aligned to the Unix epoch, labelled by their start, sums in u64.
//! Input is sorted by time first (the study's lazy path silently mis-binned unsorted input).
//! Empty intervals are zeros unless `drop_empty` (the study's behaviour, which shifts every
//! later position).

use std::path::PathBuf;

use polars::prelude::*;

use super::{Quantity, Series, SeriesOptions};
use crate::dataset::{self, reader};
use crate::error::{Error, Result};

/// Aggregates a sorted (or not) lazy frame with `Timestamp` and a size column.
pub fn aggregate(lf: LazyFrame, opts: &SeriesOptions, every_ns: i64) -> PolarsResult<DataFrame> {
    let every = Duration::try_parse(&format!("{every_ns}ns"))?;
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
pub fn build(files: &[PathBuf], opts: &SeriesOptions) -> Result<Series> {
    let every_ns = opts.every_ns()?.unwrap_or(1_000_000_000);
    let lf = reader::scan(files, &[dataset::TIMESTAMP, opts.size.column()])?;
    let df = aggregate(lf, opts, every_ns).map_err(|e| Error::polars(&files[0], e))?;
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
        values: Vec::new(),
        packets: Some(Vec::new()),
        quantity: Quantity::bytes(),
        filled: 0,
    };
    let counts = s.packets.as_mut().expect("packets");
    for i in 0..df.height() {
        let start = ts.get(i).unwrap_or_default();
        if !drop_empty {
            if let Some(&prev) = s.start_ns.last() {
                let mut k = prev + every_ns;
                while k < start {
                    s.start_ns.push(k);
                    s.values.push(0.0);
                    counts.push(0);
                    k += every_ns;
                }
            }
        }
        s.start_ns.push(start);
        s.values.push(bytes.get(i).unwrap_or(0) as f64);
        counts.push(packets.get(i).unwrap_or(0));
    }
    Ok(s)
}
