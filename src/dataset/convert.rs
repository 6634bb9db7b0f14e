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

use polars::prelude::DataFrame;
use rayon::prelude::*;

use crate::capture::stream::{self, Event};
use crate::capture::{stem, Chunk};
use crate::dataset::writer::ParquetSink;
use crate::dataset::Columns;
use crate::decode;
use crate::decode::report::{nothing_usable, Counts, DayTally, FileReport};
use crate::error::{Error, Result};
use crate::util::progress::Progress;

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

/// Decodes one chunk into rows.
pub fn decode_chunk(chunk: &Chunk) -> (DataFrame, Counts) {
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
    (cols.into_frame(), c)
}

/// Converts `inputs` (in order) into the single Parquet file `dest`.
/// Fails, leaving no `dest`, if any input cannot be read or no packet was usable.
pub fn convert(inputs: &[PathBuf], dest: &Path, progress: &Progress) -> Result<Vec<FileReport>> {
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
    let mut reports = FileReport::for_inputs(inputs, dest);
    let result: Result<()> = std::thread::scope(|s| {
        let (wtx, wrx) = sync_channel::<DataFrame>(4);
        // The output is created with the first rows: an input that cannot be opened (a
        // FIFO without a writer blocks) or holds nothing leaves no file behind.
        let writer = s.spawn(move || -> Result<Option<ParquetSink>> {
            let mut sink: Option<ParquetSink> = None;
            for df in wrx.iter() {
                if df.height() == 0 {
                    continue;
                }
                let sink = match &mut sink {
                    Some(s) => s,
                    None => sink.insert(ParquetSink::create(dest)?),
                };
                sink.write(&df)?;
            }
            Ok(sink)
        });
        let outcome = stream::run(inputs, bytes.clone(), decode_chunk, |event| {
            match event {
                Event::Opened(i, container, compression) => {
                    reports[i].container = container;
                    reports[i].compression = compression;
                }
                Event::Mapped(i, (df, counts)) => {
                    reports[i].counts.merge(&counts);
                    bar.set_position(stream::bytes_read(&bytes));
                    wtx.send(df)
                        .map_err(|_| Error::Invalid("Parquet writer stopped".into()))?;
                }
                Event::Finished(i, damage) => reports[i].damage = damage,
            }
            Ok(())
        });
        drop(wtx);
        // The writer's own error (disk full, …) says more than "writer stopped".
        let sink = writer.join().expect("writer thread")?;
        outcome?;
        match sink {
            Some(sink) if sink.rows() > 0 => sink.finish().map(|_| ()),
            _ => Err(nothing_usable(inputs, dest, &reports)),
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
    progress: &Progress,
) -> Vec<Result<Vec<FileReport>>> {
    match output {
        Output::File(dest) => vec![convert(inputs, dest, progress)],
        Output::Dir(dir) => {
            let dests = dir_outputs(inputs, dir);
            inputs
                .par_iter()
                .zip(dests.par_iter())
                .map(|(input, dest)| convert(std::slice::from_ref(input), dest, progress))
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
