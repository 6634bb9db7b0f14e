//! Captures → the per-packet dataset (what `ntp preprocess` runs).
//!
//! Pipeline per output file: a reader thread cuts each capture into chunks of whole records
//! ([`crate::capture`]); batches of chunks are decoded in parallel with rayon
//! ([`crate::decode`] → [`crate::dataset::Columns`]); a writer thread appends each chunk as
//! a row group, in capture order ([`crate::dataset::writer`]). At most a few batches are in
//! flight, so memory is bounded whatever the input size, and the chunking depends only on
//! the bytes of the input, so the output is identical whatever the thread count.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

use polars::prelude::DataFrame;
use rayon::prelude::*;

use crate::capture::{Buffer, CaptureReader, Chunk, Compression, Container, Damage};
use crate::dataset::writer::ParquetSink;
use crate::dataset::Columns;
use crate::decode::{self, Skip};
use crate::error::{Error, Result};
use crate::util::progress::Progress;
use crate::util::time::iso_millis;
use crate::util::units::human_bytes;

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

/// Name of a capture without its capture and compression extensions
/// (`200701251400.dump.gz` → `200701251400`).
pub fn stem(path: &Path) -> String {
    let mut name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "capture".into());
    for ext in [
        ".gz", ".zst", ".zstd", ".pcapng", ".pcap", ".dump", ".cap", ".ntar",
    ] {
        if name.len() > ext.len() && name.to_ascii_lowercase().ends_with(ext) {
            name.truncate(name.len() - ext.len());
        }
    }
    name
}

/// Counts of what happened to the packets of one capture.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Packet records read.
    pub packets: u64,
    /// IP packets written as rows.
    pub kept: u64,
    pub non_ip: u64,
    /// Packets per unsupported link type.
    pub unsupported_link: BTreeMap<u32, u64>,
    pub malformed: u64,
    pub truncated: u64,
    /// pcapng packets with no timestamp or an undeclared interface.
    pub unplaceable: u64,
    /// First and last timestamp of the kept rows (ns since the epoch).
    pub first_ns: Option<i64>,
    pub last_ns: Option<i64>,
}

impl Counts {
    fn merge(&mut self, o: &Counts) {
        self.packets += o.packets;
        self.kept += o.kept;
        self.non_ip += o.non_ip;
        for (k, v) in &o.unsupported_link {
            *self.unsupported_link.entry(*k).or_default() += v;
        }
        self.malformed += o.malformed;
        self.truncated += o.truncated;
        self.unplaceable += o.unplaceable;
        self.first_ns = min_opt(self.first_ns, o.first_ns);
        self.last_ns = max_opt(self.last_ns, o.last_ns);
    }

    /// One line on what was skipped and why.
    pub fn skipped_line(&self) -> String {
        let unsupported: u64 = self.unsupported_link.values().sum();
        let mut s = format!(
            "skipped: non-IP {}, unsupported link type {}, malformed {}, truncated {}",
            self.non_ip, unsupported, self.malformed, self.truncated
        );
        if !self.unsupported_link.is_empty() {
            let types: Vec<String> = self
                .unsupported_link
                .iter()
                .map(|(t, n)| format!("{t}: {n}"))
                .collect();
            s.push_str(&format!(" (link types {})", types.join(", ")));
        }
        if self.unplaceable > 0 {
            s.push_str(&format!(", no timestamp/interface {}", self.unplaceable));
        }
        s
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// What preprocessing one capture gave.
#[derive(Clone, Debug)]
pub struct FileReport {
    pub input: PathBuf,
    pub output: PathBuf,
    pub container: Container,
    pub compression: Compression,
    pub file_bytes: u64,
    pub counts: Counts,
    /// Damage that ended the reading early (truncated or corrupt record).
    pub damage: Option<Damage>,
}

impl FileReport {
    /// Summary lines, for stderr.
    pub fn summary(&self) -> String {
        let c = &self.counts;
        let compression = if self.compression == Compression::None {
            String::new()
        } else {
            format!(" + {}", self.compression.name())
        };
        let mut s = format!(
            "{} ({}{}, {}) → {}\n  packets {} · IP kept {} · {}",
            self.input.display(),
            self.container.name(),
            compression,
            human_bytes(self.file_bytes),
            self.output.display(),
            c.packets,
            c.kept,
            c.skipped_line()
        );
        if let (Some(a), Some(b)) = (c.first_ns, c.last_ns) {
            s.push_str(&format!(
                "\n  span {} → {} ({:.3} s)",
                iso_millis(a),
                iso_millis(b),
                (b - a) as f64 / 1e9
            ));
        }
        s
    }

    /// A warning line for damage found in the capture, if any.
    pub fn damage_warning(&self) -> Option<String> {
        self.damage.as_ref().map(|d| {
            format!(
                "{}: {} at byte offset {}; the {} complete packets before it are kept",
                self.input.display(),
                d.what,
                d.offset,
                self.counts.packets
            )
        })
    }
}

/// Decodes one chunk into rows.
pub fn decode_chunk(chunk: &Chunk) -> (DataFrame, Counts) {
    let mut cols = Columns::with_capacity(chunk.packets);
    let mut c = Counts::default();
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
                first = first.min(p.ts_ns);
                last = last.max(p.ts_ns);
            }
            Err(Skip::NonIp) => c.non_ip += 1,
            Err(Skip::UnsupportedLink) => *c.unsupported_link.entry(p.linktype).or_default() += 1,
            Err(Skip::Malformed) => c.malformed += 1,
            Err(Skip::Truncated) => c.truncated += 1,
        }
    });
    c.malformed += malformed_blocks;
    c.kept = cols.len() as u64;
    if c.kept > 0 {
        c.first_ns = Some(first);
        c.last_ns = Some(last);
    }
    (cols.into_frame(), c)
}

/// Chunks decoded per parallel batch.
fn batch_len() -> usize {
    (rayon::current_num_threads() * 2).max(2)
}

enum ReadEvent {
    Chunk(usize, Chunk),
    Opened(usize, Container, Compression),
    Finished(usize, Option<Damage>),
    Failed(Error),
}

fn read_all(
    inputs: &[PathBuf],
    tx: SyncSender<ReadEvent>,
    bytes: Arc<AtomicU64>,
    pool: Receiver<Buffer>,
) {
    let mut pool = Some(pool);
    for (i, path) in inputs.iter().enumerate() {
        let mut reader = match CaptureReader::open(path, bytes.clone()) {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.send(ReadEvent::Failed(e));
                return;
            }
        };
        if let Some(p) = pool.take() {
            reader.recycle_from(p);
        }
        if tx
            .send(ReadEvent::Opened(i, reader.container, reader.compression))
            .is_err()
        {
            return;
        }
        loop {
            match reader.next_chunk() {
                Ok(Some(chunk)) => {
                    if tx.send(ReadEvent::Chunk(i, chunk)).is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.send(ReadEvent::Failed(e));
                    return;
                }
            }
        }
        if tx
            .send(ReadEvent::Finished(i, reader.damage.take()))
            .is_err()
        {
            return;
        }
        pool = reader.take_pool();
    }
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
    let bytes = Arc::new(AtomicU64::new(0));
    let mut reports: Vec<FileReport> = inputs
        .iter()
        .map(|p| FileReport {
            input: p.clone(),
            output: dest.to_owned(),
            container: Container::PcapNg,
            compression: Compression::None,
            file_bytes: std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
            counts: Counts::default(),
            damage: None,
        })
        .collect();
    let sink = ParquetSink::create(dest)?;
    let batch = batch_len();

    let result: Result<()> = std::thread::scope(|s| {
        let (tx, rx) = sync_channel::<ReadEvent>(batch);
        let (recycle, pool) = sync_channel::<Buffer>(2 * batch);
        let reader_bytes = bytes.clone();
        s.spawn(move || read_all(inputs, tx, reader_bytes, pool));
        let (wtx, wrx) = sync_channel::<Vec<(usize, DataFrame, Counts)>>(1);
        let writer = s.spawn(move || {
            let mut sink = sink;
            write_batches(wrx, &mut sink).map(|_| sink)
        });
        let outcome = decode_stream(&rx, batch, &mut reports, &wtx, &bytes, &bar, &recycle);
        drop(wtx);
        drop(rx);
        // The writer's own error (disk full, …) says more than "writer stopped".
        let sink = writer.join().expect("writer thread")?;
        outcome?;
        let rows = sink.rows();
        if rows == 0 {
            let details = reports
                .iter()
                .map(|r| r.counts.skipped_line())
                .collect::<Vec<_>>()
                .join("; ");
            let packets: u64 = reports.iter().map(|r| r.counts.packets).sum();
            return Err(Error::NothingUsable {
                path: if inputs.len() == 1 {
                    inputs[0].clone()
                } else {
                    dest.to_owned()
                },
                details: format!("{packets} packets read, 0 IP packets; {details}"),
            });
        }
        sink.finish()?;
        Ok(())
    });
    bar.finish_and_clear();
    result?;
    Ok(reports)
}

fn decode_stream(
    rx: &Receiver<ReadEvent>,
    batch: usize,
    reports: &mut [FileReport],
    wtx: &SyncSender<Vec<(usize, DataFrame, Counts)>>,
    bytes: &AtomicU64,
    bar: &indicatif::ProgressBar,
    recycle: &SyncSender<Buffer>,
) -> Result<()> {
    let mut pending: Vec<(usize, Chunk)> = Vec::with_capacity(batch);
    let flush = |pending: &mut Vec<(usize, Chunk)>, reports: &mut [FileReport]| -> Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let decoded: Vec<(usize, DataFrame, Counts)> = pending
            .par_iter()
            .map(|(i, chunk)| {
                let (df, c) = decode_chunk(chunk);
                (*i, df, c)
            })
            .collect();
        for (_, chunk) in pending.drain(..) {
            // Full pool: the buffer is simply freed.
            let _ = recycle.try_send(chunk.data);
        }
        for (i, _, c) in &decoded {
            reports[*i].counts.merge(c);
        }
        bar.set_position(bytes.load(Ordering::Relaxed));
        wtx.send(decoded)
            .map_err(|_| Error::Invalid("Parquet writer stopped".into()))
    };
    for event in rx.iter() {
        match event {
            ReadEvent::Chunk(i, chunk) => {
                pending.push((i, chunk));
                if pending.len() == batch {
                    flush(&mut pending, reports)?;
                }
            }
            ReadEvent::Opened(i, container, compression) => {
                reports[i].container = container;
                reports[i].compression = compression;
            }
            ReadEvent::Finished(i, damage) => {
                flush(&mut pending, reports)?;
                reports[i].damage = damage;
            }
            ReadEvent::Failed(e) => return Err(e),
        }
    }
    flush(&mut pending, reports)
}

fn write_batches(
    rx: Receiver<Vec<(usize, DataFrame, Counts)>>,
    sink: &mut ParquetSink,
) -> Result<()> {
    for batch in rx.iter() {
        for (_, df, _) in &batch {
            sink.write(df)?;
        }
    }
    Ok(())
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
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    inputs
        .iter()
        .map(|p| {
            let s = stem(p);
            let n = seen.entry(s.clone()).or_default();
            *n += 1;
            let name = if *n == 1 { s } else { format!("{s}-{n}") };
            dir.join(file_name(&name))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems() {
        assert_eq!(stem(Path::new("/x/200701251400.dump.gz")), "200701251400");
        assert_eq!(stem(Path::new("a.pcap.zst")), "a");
        assert_eq!(stem(Path::new("b.pcapng")), "b");
        assert_eq!(stem(Path::new("c")), "c");
    }
}
