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
    let mut lf = reader::scan(files, &[dataset::TIMESTAMP, opts.size.column()])?;
    let ts = || col(dataset::TIMESTAMP).cast(DataType::Int64);
    if let Some(s) = opts.window.start {
        lf = lf.filter(ts().gt_eq(lit(s)));
    }
    if let Some(e) = opts.window.end {
        lf = lf.filter(ts().lt(lit(e)));
    }
    check_time_range(&files[0], lf.clone(), opts.size.column(), every_ns)?;
    let df = aggregate(lf, opts, every_ns).map_err(|e| Error::polars(&files[0], e))?;
    from_frame(&df, every_ns, opts.drop_empty).map_err(|e| Error::polars(&files[0], e))
}

/// Refuses, before polars builds any window, a span of more intervals than a series may
/// hold or stamps at the very end of the time range (their window's end would overflow).
fn check_time_range(
    what: &std::path::Path,
    lf: LazyFrame,
    size: &str,
    every_ns: i64,
) -> Result<()> {
    let ts = col(dataset::TIMESTAMP).cast(DataType::Int64);
    let df = lf
        .select([
            ts.clone().min().alias("lo"),
            ts.clone().max().alias("hi"),
            ts.null_count().cast(DataType::UInt64).alias("no_time"),
            col(size)
                .null_count()
                .cast(DataType::UInt64)
                .alias("no_size"),
            len().cast(DataType::UInt64).alias("rows"),
        ])
        .collect()
        .map_err(|e| Error::polars(what, e))?;
    let count = |c: &str| -> Result<u64> {
        let s = df.column(c).map_err(|e| Error::polars(what, e))?;
        Ok(s.u64()
            .map_err(|e| Error::polars(what, e))?
            .get(0)
            .unwrap_or(0))
    };
    let (rows, no_time, no_size) = (count("rows")?, count("no_time")?, count("no_size")?);
    for (missing, column) in [(no_time, dataset::TIMESTAMP), (no_size, size)] {
        if missing > 0 {
            return Err(Error::Dataset {
                path: what.to_owned(),
                message: format!("{missing} of {rows} rows have no `{column}`: a series cannot place or weigh them"),
            });
        }
    }
    let get = |c: &str| -> Result<Option<i64>> {
        let s = df.column(c).map_err(|e| Error::polars(what, e))?;
        Ok(s.i64().map_err(|e| Error::polars(what, e))?.get(0))
    };
    let (Some(lo), Some(hi)) = (get("lo")?, get("hi")?) else {
        return Ok(()); // no rows: "no packets" is said later
    };
    if hi > i64::MAX - 2 * every_ns || lo < i64::MIN + 2 * every_ns {
        return Err(Error::Dataset {
            path: what.to_owned(),
            message: format!(
                "a packet time stamp ({} ns since 1970) lies at the end of the representable range: \
                 the capture's clock was broken; drop such rows before building a series",
                if hi > i64::MAX - 2 * every_ns { hi } else { lo }
            ),
        });
    }
    super::aggregate::check_span(
        what,
        lo.div_euclid(every_ns),
        hi.div_euclid(every_ns),
        every_ns,
    )
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
