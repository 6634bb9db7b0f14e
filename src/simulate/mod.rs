//! `ntp simulate`: traffic with ground truth. A series table (the schema of `ntp
//! aggregate`) and, on request, the header-only capture it was counted from, with the
//! labelled events injected into it; deterministic from the seed. The model ([`model`])
//! gives each interval a packet rate; [`packets`] draws the interval's packets; [`count`]
//! makes its row (apart from `aggregate`, which must give the same from the capture);
//! [`pcap`] writes them. A [`Request`] checks what was asked for into [`Options`].

pub mod count;
pub mod model;
pub mod packets;
pub mod pcap;
mod request;

pub use request::Request;

use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::dataset::writer::TimestampUnit;
use crate::error::{Error, Result};
use crate::series::table::SeriesTable;
use crate::util::atomic::TempFile;
use crate::util::progress::Progress;
use crate::util::time::timestamp_text;
use model::{Event, EventKind, Model};

/// What to simulate.
#[derive(Clone, Debug)]
pub struct Options {
    pub model: Model,
    pub events: Vec<EventKind>,
    /// Hosts of the normal traffic ([`packets::HOSTS`] by default).
    pub hosts: usize,
    /// The capture to write beside the series (`.gz`: gzip-compressed).
    pub capture: Option<PathBuf>,
}

/// What a simulation wrote.
pub struct Simulated {
    pub table: SeriesTable,
    pub events: Vec<Event>,
    pub packets: u64,
}

/// Intervals drawn in parallel at a time (memory: their packets).
const BATCH: usize = 16;

/// Simulates the series (and capture) of `opts`.
pub fn simulate(opts: &Options, progress: &Progress) -> Result<Simulated> {
    let m = &opts.model;
    let noise = m.noise();
    let events = m.events(&opts.events);
    let hosts = packets::Hosts::new(opts.hosts);
    let every_s = m.every_ns as f64 / 1e9;
    let mut capture = opts
        .capture
        .as_deref()
        .map(CaptureSink::create)
        .transpose()?;
    let mut table = SeriesTable {
        every_ns: m.every_ns,
        start_ns: Vec::with_capacity(m.intervals),
        rows: Vec::with_capacity(m.intervals),
        distinct: true,
    };
    let bar = progress.items(m.intervals as u64, "simulate");
    let mut total = 0u64;
    for first in (0..m.intervals).step_by(BATCH) {
        let last = (first + BATCH).min(m.intervals);
        let drawn: Vec<(i64, Vec<packets::Packet>)> = (first..last)
            .into_par_iter()
            .map(|i| {
                let start = m.start_ns + i as i64 * m.every_ns;
                let n = m.rate * every_s * m.level(i) * noise[i];
                (
                    start,
                    packets::interval(m.seed, i, start, m.every_ns, n, &events, &hosts),
                )
            })
            .collect();
        let rows: Vec<_> = drawn.par_iter().map(|(_, p)| count::row(p)).collect();
        if let Some(c) = &mut capture {
            c.write(&drawn)?;
        }
        for ((start, p), row) in drawn.iter().zip(rows) {
            total += p.len() as u64;
            table.start_ns.push(*start);
            table.rows.push(row);
        }
        bar.set_position(last as u64);
    }
    bar.finish_and_clear();
    if let Some(c) = capture {
        c.finish()?;
    }
    Ok(Simulated {
        table,
        events,
        packets: total,
    })
}

/// The capture being written.
struct CaptureSink {
    tmp: TempFile,
    out: Out,
    buf: Vec<u8>,
}

/// The capture's writer: plain, or gzip (whose trailer must be written, and its errors
/// seen, by an explicit finish: dropping the encoder would lose both).
enum Out {
    Plain(std::io::BufWriter<std::fs::File>),
    Gzip(Box<flate2::write::GzEncoder<std::io::BufWriter<std::fs::File>>>),
}

impl Out {
    fn write_all(&mut self, b: &[u8]) -> std::io::Result<()> {
        match self {
            Out::Plain(w) => w.write_all(b),
            Out::Gzip(w) => w.write_all(b),
        }
    }

    /// Writes what is buffered (and gzip's trailer): an error at the end of the file —
    /// a full disk — is returned, not dropped.
    fn finish(self) -> std::io::Result<()> {
        let w = match self {
            Out::Plain(w) => w,
            Out::Gzip(w) => w.finish()?,
        };
        w.into_inner().map_err(|e| e.into_error())?;
        Ok(())
    }
}

impl CaptureSink {
    fn create(dest: &Path) -> Result<CaptureSink> {
        let (tmp, file) = TempFile::create(dest)?;
        let file = std::io::BufWriter::with_capacity(1 << 20, file);
        let out = if dest.extension().is_some_and(|e| e == "gz") {
            Out::Gzip(Box::new(flate2::write::GzEncoder::new(
                file,
                flate2::Compression::fast(),
            )))
        } else {
            Out::Plain(file)
        };
        let mut sink = CaptureSink {
            tmp,
            out,
            buf: pcap::file_header(),
        };
        sink.flush()?;
        Ok(sink)
    }

    fn write(&mut self, drawn: &[(i64, Vec<packets::Packet>)]) -> Result<()> {
        let encoded: Vec<Vec<u8>> = drawn
            .par_iter()
            .map(|(_, ps)| {
                let mut b = Vec::with_capacity(ps.len() * 112);
                ps.iter().for_each(|p| pcap::record(p, &mut b));
                b
            })
            .collect();
        for b in encoded {
            self.buf.extend_from_slice(&b);
            if self.buf.len() > 1 << 22 {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        self.out
            .write_all(&self.buf)
            .map_err(|e| Error::io(self.tmp.dest(), e))?;
        self.buf.clear();
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        self.flush()?;
        let dest = self.tmp.dest().to_owned();
        self.out.finish().map_err(|e| Error::io(&dest, e))?;
        self.tmp.commit()
    }
}

/// Writes the labels: `start,end,kind`, ISO 8601 UTC, the end exclusive.
pub fn write_labels(dest: &Path, m: &Model, events: &[Event]) -> Result<()> {
    crate::util::atomic::write_atomically(dest, |w| {
        writeln!(w, "start,end,kind")?;
        for e in events {
            let at = |i: usize| timestamp_text(m.start_ns + i as i64 * m.every_ns);
            writeln!(w, "{},{},{}", at(e.start), at(e.end), e.kind.name())?;
        }
        Ok(())
    })
}

/// Writes the simulated series table (`unit`: its time stamps).
pub fn write_table(s: &Simulated, dest: &Path, unit: TimestampUnit) -> Result<()> {
    s.table.write(dest, unit)
}
