//! Captures → the per-packet dataset (what `ntp preprocess` runs).
//!
//! Pipeline per output file: [`crate::capture::stream`] reads the captures and decodes
//! chunks of whole records in parallel ([`crate::decode`] → [`crate::dataset::Columns`]); a
//! writer thread appends each chunk as a row group, in capture order
//! ([`crate::dataset::writer`]). Memory is bounded whatever the input size, and the chunking
//! depends only on the bytes of the input, so the output is identical whatever the thread
//! count.

use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;

use std::collections::BTreeMap;

use polars::prelude::*;
use rayon::prelude::*;

use crate::capture::stream::{self, Event};
use crate::capture::{stem, Chunk};
use crate::dataset::writer::{Encoded, Encoder, ParquetSink, TimestampUnit};
use crate::dataset::Columns;
use crate::decode;
use crate::decode::report::{nothing_usable, Counts, DayTally, FileReport};
use crate::error::{Error, Result};
use crate::util::progress::Progress;
use crate::util::time::{civil_from_days, DAY_NS};

/// Where `ntp preprocess` writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// All inputs, in order, into one Parquet file.
    File(PathBuf),
    /// One `{stem}.parquet` per input in this directory.
    Dir(PathBuf),
}

impl Output {
    /// `-o` ending in `/`, or naming an existing directory, or without a `.parquet`
    /// extension, is a directory.
    pub fn from_arg(path: &Path) -> Output {
        let s = path.to_string_lossy();
        let is_parquet = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
        if s.ends_with('/')
            || s.ends_with(std::path::MAIN_SEPARATOR)
            || path.is_dir()
            || !is_parquet
        {
            Output::Dir(path.to_owned())
        } else {
            Output::File(path.to_owned())
        }
    }
}

/// How a directory output is laid out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Partition {
    /// `{dir}/{stem}.parquet`.
    #[default]
    None,
    /// Hive-style `{dir}/date=YYYY-MM-DD/{stem}.parquet` by the packets' UTC day (the
    /// date is in the path, not in the file: polars, DuckDB and Spark add it as a column).
    Day,
}

/// How `preprocess` writes: the layout of a directory output and the time unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteOptions {
    pub partition: Partition,
    pub unit: TimestampUnit,
}

/// A capture spreading over more days than this is refused with `--partition day` (a
/// broken clock would otherwise open a file per day it claims).
pub const MAX_DAYS: usize = 32;

/// The partition directory of a UTC day: `date=YYYY-MM-DD`.
pub fn day_dir(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("date={y:04}-{m:02}-{d:02}")
}

/// Where the rows of one conversion go: one file, or one per day.
enum Sinks {
    One(PathBuf, TimestampUnit, Option<Box<ParquetSink>>),
    Days {
        dir: PathBuf,
        name: String,
        unit: TimestampUnit,
        open: BTreeMap<i64, ParquetSink>,
    },
}

/// Rows of one chunk bound for one file, encoded.
struct Part {
    /// The day of the rows (days since the epoch): the file they go to when partitioning
    /// by day.
    day: i64,
    groups: Encoded,
}

/// Splits `df` by day of its time column: `(day, rows of that day)`, days in order.
fn split_days(df: DataFrame, unit: TimestampUnit, dest: &Path) -> Result<Vec<(i64, DataFrame)>> {
    let day_len = DAY_NS / unit.ns();
    let err = |e| Error::polars(dest, e);
    let ts = df.column(super::TIMESTAMP).map_err(err)?;
    let ts = ts.as_materialized_series().to_physical_repr();
    let days: Vec<i64> = ts
        .i64()
        .map_err(err)?
        .iter()
        .map(|t| t.unwrap_or(0).div_euclid(day_len))
        .collect();
    let mut distinct = days.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if let [day] = distinct[..] {
        return Ok(vec![(day, df)]);
    }
    distinct
        .into_iter()
        .map(|day| {
            let mask: BooleanChunked = days.iter().map(|d| *d == day).collect();
            Ok((day, df.filter(&mask).map_err(err)?))
        })
        .collect()
}

/// One chunk's rows, split by day when partitioning, each part encoded for its file
/// (on the worker that decoded the chunk: encoding is the bulk of writing). Rows of one
/// day (nearly every chunk) go to the encoder as built, string columns already
/// dictionary-encoded; a chunk across midnight is split as a frame.
fn encode_parts(
    cols: Columns,
    opts: WriteOptions,
    encoder: &Encoder,
    dest: &Path,
) -> Result<(Vec<Part>, u64)> {
    let Some((first, last)) = cols.days() else {
        return Ok((Vec::new(), 0));
    };
    if opts.partition == Partition::None || first == last {
        let (arrays, rounded) = cols.into_arrow(opts.unit);
        let groups = encoder.encode_arrays(&arrays, dest)?;
        return Ok((vec![Part { day: first, groups }], rounded));
    }
    let (df, rounded) = cols.into_frame(opts.unit);
    let parts = split_days(df, opts.unit, dest)?
        .into_iter()
        .map(|(day, df)| {
            Ok(Part {
                day,
                groups: encoder.encode(&df, dest)?,
            })
        })
        .collect::<Result<_>>()?;
    Ok((parts, rounded))
}

impl Sinks {
    fn new(dest: &Path, opts: WriteOptions) -> Sinks {
        match opts.partition {
            Partition::None => Sinks::One(dest.to_owned(), opts.unit, None),
            Partition::Day => Sinks::Days {
                dir: dest.parent().unwrap_or(Path::new(".")).to_owned(),
                name: dest
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                unit: opts.unit,
                open: BTreeMap::new(),
            },
        }
    }

    /// Appends one chunk's encoded parts to their files, created with the first rows: an
    /// input that holds nothing (or cannot be opened) leaves no file behind.
    fn write(&mut self, parts: Vec<Part>) -> Result<()> {
        for part in parts {
            match self {
                Sinks::One(dest, unit, sink) => {
                    let sink = match sink {
                        Some(s) => s,
                        None => sink.insert(Box::new(ParquetSink::create(dest, *unit)?)),
                    };
                    sink.write_encoded(part.groups)?;
                }
                Sinks::Days {
                    dir,
                    name,
                    unit,
                    open,
                } => {
                    let day = part.day;
                    if !open.contains_key(&day) {
                        if open.len() >= MAX_DAYS {
                            return Err(Error::Dataset {
                                path: dir.clone(),
                                message: format!(
                                    "packets of one capture fall on more than {MAX_DAYS} days \
                                     (a broken clock?): partitioning by day would open a file for each"
                                ),
                            });
                        }
                        let dest = dir.join(day_dir(day)).join(&*name);
                        open.insert(day, ParquetSink::create(&dest, *unit)?);
                    }
                    let sink = open.get_mut(&day).expect("opened");
                    sink.write_encoded(part.groups)?;
                }
            }
        }
        Ok(())
    }

    /// Renames every file into place; the rows written (0: nothing was usable).
    fn finish(self) -> Result<u64> {
        match self {
            Sinks::One(_, _, Some(sink)) if sink.rows() > 0 => sink.finish(),
            Sinks::One(..) => Ok(0),
            Sinks::Days { open, .. } => {
                if open.values().all(|s| s.rows() == 0) {
                    return Ok(0);
                }
                let mut rows = 0;
                for sink in open.into_values() {
                    rows += sink.finish()?;
                }
                Ok(rows)
            }
        }
    }
}

/// Decodes one chunk into column buffers and its counts.
pub fn decode_columns(chunk: &Chunk) -> (Columns, Counts) {
    let mut cols = Columns::with_capacity(chunk.packets);
    let mut c = Counts::default();
    let mut days = DayTally::default();
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    let malformed_blocks = chunk.for_each(|p| {
        c.packets += 1;
        let Some(p) = p else {
            c.unplaceable += 1;
            return;
        };
        match decode::decode(p.linktype, p.data) {
            Ok(ip) => {
                cols.push(p.ts_ns, p.wire_len, p.data.len() as u32, &ip);
                days.add(p.ts_ns, &mut c);
                first = first.min(p.ts_ns);
                last = last.max(p.ts_ns);
            }
            Err(why) => c.skip(why, p.linktype),
        }
    });
    days.flush(&mut c);
    c.malformed += malformed_blocks;
    c.kept = cols.len() as u64;
    if c.kept > 0 {
        c.first_ns = Some(first);
        c.last_ns = Some(last);
    }
    (cols, c)
}

/// Decodes one chunk into a frame of rows (times in `unit`) and its counts.
pub fn decode_chunk(chunk: &Chunk, unit: TimestampUnit) -> (DataFrame, Counts) {
    let (cols, mut c) = decode_columns(chunk);
    let (df, rounded) = cols.into_frame(unit);
    c.rounded = rounded;
    (df, c)
}

/// Converts `inputs` (in order) into the single Parquet file `dest` (with
/// [`Partition::Day`], one such file per day under `date=…/` beside `dest`'s name).
/// Fails, leaving no `dest`, if any input cannot be read or no packet was usable.
pub fn convert(
    inputs: &[PathBuf],
    dest: &Path,
    opts: WriteOptions,
    progress: &Progress,
) -> Result<Vec<FileReport>> {
    let total: u64 = inputs
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    let label = if inputs.len() == 1 {
        stem(&inputs[0])
    } else {
        format!("{} captures", inputs.len())
    };
    let bar = progress.bytes(total, label);
    let bytes = stream::progress_counter();
    let shown = match opts.partition {
        Partition::None => dest.to_owned(),
        Partition::Day => {
            let name = dest.file_name().unwrap_or_default();
            dest.with_file_name("date=*").join(name)
        }
    };
    let mut reports = FileReport::for_inputs(inputs, &shown);
    let encoder = Encoder::new(&super::schema(opts.unit))?;
    let result: Result<()> = std::thread::scope(|s| {
        let (wtx, wrx) = sync_channel::<Vec<Part>>(4);
        let writer = s.spawn(move || -> Result<Sinks> {
            let mut sinks = Sinks::new(dest, opts);
            for parts in wrx.iter() {
                sinks.write(parts)?;
            }
            Ok(sinks)
        });
        let decode = |chunk: &Chunk| {
            let (cols, mut counts) = decode_columns(chunk);
            let parts = encode_parts(cols, opts, &encoder, &shown).map(|(parts, rounded)| {
                counts.rounded = rounded;
                parts
            });
            (parts, counts)
        };
        let outcome = stream::run(inputs, bytes.clone(), decode, |event| {
            match event {
                Event::Opened(i, container, compression) => {
                    reports[i].container = container;
                    reports[i].compression = compression;
                }
                Event::Mapped(i, (parts, counts)) => {
                    reports[i].counts.merge(&counts);
                    bar.set_position(stream::bytes_read(&bytes));
                    wtx.send(parts?)
                        .map_err(|_| Error::Invalid("Parquet writer stopped".into()))?;
                }
                Event::Finished(i, damage) => reports[i].damage = damage,
            }
            Ok(())
        });
        drop(wtx);
        // The writer's own error (disk full, …) says more than "writer stopped".
        let sinks = writer.join().expect("writer thread")?;
        outcome?;
        match sinks.finish()? {
            0 => Err(nothing_usable(inputs, &shown, &reports)),
            _ => Ok(()),
        }
    });
    bar.finish_and_clear();
    result?;
    Ok(reports)
}

/// Runs `ntp preprocess`: per-input files for [`Output::Dir`] (in parallel across files),
/// or one combined file. Returns each output's result; the caller decides the exit code.
pub fn run(
    inputs: &[PathBuf],
    output: &Output,
    opts: WriteOptions,
    progress: &Progress,
) -> Vec<Result<Vec<FileReport>>> {
    match output {
        Output::File(dest) => {
            let opts = WriteOptions {
                partition: Partition::None,
                ..opts
            };
            vec![convert(inputs, dest, opts, progress)]
        }
        Output::Dir(dir) => {
            let dests = dir_outputs(inputs, dir);
            inputs
                .par_iter()
                .zip(dests.par_iter())
                .map(|(input, dest)| convert(std::slice::from_ref(input), dest, opts, progress))
                .collect()
        }
    }
}

/// The dataset file of a capture stem: `{stem}.parquet`.
pub fn file_name(stem: &str) -> String {
    format!("{stem}.parquet")
}

/// `{dir}/{stem}.parquet` for each input; inputs sharing a stem get `-2`, `-3`, … suffixes.
pub fn dir_outputs(inputs: &[PathBuf], dir: &Path) -> Vec<PathBuf> {
    crate::capture::per_capture(inputs, dir, &file_name(""))
}
