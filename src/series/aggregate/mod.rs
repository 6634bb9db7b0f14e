//! Captures → series table in one pass: every packet goes straight into its interval's
//! sums, sizes and key counters; no per-packet table is written. Chunks are counted in
//! parallel ([`crate::capture::stream`]), each into its own small per-interval tallies
//! ([`chunk`]), which are merged in capture order into the open intervals ([`interval`]).
//! An interval closes once the stream is [`LATE_WINDOW`] past it: its row is made (size
//! quantiles, distinct counts, entropies: [`features`]) and its heavy hitters written
//! ([`top`]). A packet arriving later still adds to every sum of its interval, but not to
//! what closing made of its keys and sizes: such packets are counted and reported
//! (captures are sorted to within milliseconds, so this happens only with overlapping
//! inputs). Duplicate packets are found (and, with `--dedup`, dropped) by [`dedup`].

pub mod chunk;
pub mod dedup;
pub mod features;
pub mod interval;
pub mod runs;
pub mod top;

use std::collections::BTreeMap;
use std::path::PathBuf;

use self::chunk::{ChunkTally, KeysPool, Plan};
use self::dedup::{Dedup, StreamDedup};
use self::interval::{CloseWith, Interval};
use self::top::{TopRow, TopSink};
use super::closed::Closed;
use super::sizes::Sizes;
use super::table::{Column, SeriesTable};
use super::Window;
use crate::capture::stream::{self, Event};
use crate::capture::Chunk;
use crate::dataset::writer::TimestampUnit;
use crate::decode::report::{nothing_usable, Counts, FileReport};
use crate::error::{Error, Result};
use crate::util::progress::Progress;
use crate::util::time::{iso_millis, DAY_NS};

/// How many intervals, and at least how many seconds, the stream may run ahead of an
/// interval before it closes (its keys and sizes are counted and dropped).
pub const LATE_WINDOW: (i64, i64) = (4, 2);

/// [`LATE_WINDOW`] in intervals of `every_ns`.
pub fn late_window(every_ns: i64) -> i64 {
    let (intervals, seconds) = LATE_WINDOW;
    intervals.max((seconds * 1_000_000_000 + every_ns - 1) / every_ns)
}

/// The longest series a pass will build (rows), whatever the timestamps claim.
pub const MAX_ROWS: i64 = 10_000_000;

/// Counts one chunk into per-interval tallies (every column; the keyed ones when
/// `distinct`), as a pass does: the entry point of the `capture` fuzz target.
pub fn tally_chunk(chunk: &Chunk, every_ns: i64, window: Window, distinct: bool) -> ChunkTally {
    let plan = Plan {
        every_ns,
        window,
        close: CloseWith {
            distinct,
            top: if distinct { 10 } else { 0 },
            every_ns,
        },
        dedup: Some(Dedup::Probe),
        seed: 0,
    };
    chunk::tally(chunk, &plan, &KeysPool::default())
}

/// Heavy hitters per interval, field and measure unless `--top` says otherwise.
pub const DEFAULT_TOP: usize = 10;

/// What a pass counts and writes beside the series.
#[derive(Clone, Debug)]
pub struct Options {
    pub every_ns: i64,
    pub window: Window,
    /// Count the keyed columns (distinct counts, entropies) and the heavy hitters.
    pub distinct: bool,
    /// Heavy hitters per interval, field and measure, written to `top_dest` (0: none).
    pub top: usize,
    /// `--dedup N`: drop packets equal to one of the N − 1 before them.
    pub dedup: Option<usize>,
    /// The heavy-hitter file and the unit of its time stamps.
    pub top_dest: Option<(PathBuf, TimestampUnit)>,
}

impl Options {
    /// A pass of every column, no heavy-hitter file, no deduplication.
    pub fn new(every_ns: i64, window: Window, distinct: bool) -> Options {
        Options {
            every_ns,
            window,
            distinct,
            top: 0,
            dedup: None,
            top_dest: None,
        }
    }

    fn plan(&self) -> Plan {
        let top = match &self.top_dest {
            Some(_) if self.distinct => self.top,
            _ => 0,
        };
        Plan {
            every_ns: self.every_ns,
            window: self.window,
            close: CloseWith {
                distinct: self.distinct,
                top,
                every_ns: self.every_ns,
            },
            dedup: Some(match self.dedup {
                Some(n) => Dedup::Drop(n),
                None => Dedup::Probe,
            }),
            seed: crate::util::hash::random_seed(),
        }
    }
}

/// The state of a pass: open intervals with their sets, closed ones as rows.
struct Merger {
    plan: Plan,
    window: i64,
    open: BTreeMap<i64, Interval>,
    closed: Closed,
    non_ip: BTreeMap<i64, u64>,
    newest: i64,
    late_packets: u64,
    sizes: Sizes,
    /// Flow-set sizes of the last interval closed: where a new interval's sets start.
    hints: [usize; 2],
    /// Intervals closed, emptied, for the next ones.
    spare: Vec<Interval>,
    top: Option<TopSink>,
    /// Heavy-hitter rows of the intervals being closed.
    top_rows: Vec<TopRow>,
    dedup: Option<StreamDedup>,
}

impl Merger {
    fn new(opts: &Options) -> Result<Merger> {
        let plan = opts.plan();
        let top = match &opts.top_dest {
            Some((dest, unit)) if plan.close.top > 0 => Some(TopSink::create(dest, *unit)?),
            _ => None,
        };
        Ok(Merger {
            plan,
            window: late_window(opts.every_ns),
            open: BTreeMap::new(),
            closed: Closed::default(),
            non_ip: BTreeMap::new(),
            newest: i64::MIN,
            late_packets: 0,
            sizes: Sizes::default(),
            hints: [0; 2],
            spare: Vec::new(),
            top,
            top_rows: Vec::new(),
            dedup: opts.dedup.map(StreamDedup::new),
        })
    }

    /// Merges a chunk's tallies (and, with `--dedup`, the packets at its start found not
    /// to repeat the chunk before); returns what the merge itself counted of its packets.
    fn merge(&mut self, mut t: ChunkTally, pool: &KeysPool) -> Result<Counts> {
        let mut counts = Counts::default();
        if let Some(dedup) = &mut self.dedup {
            let (kept, dropped) = dedup.settle(std::mem::take(&mut t.pending), &t.tail);
            counts.packets += dropped;
            counts.duplicates += dropped;
            if !kept.is_empty() {
                let first = chunk::tally_packets(&kept, &self.plan, pool);
                counts.merge(&first.counts);
                self.merge_tally(first, pool)?;
            }
        }
        self.merge_tally(t, pool)?;
        Ok(counts)
    }

    fn merge_tally(&mut self, t: ChunkTally, pool: &KeysPool) -> Result<()> {
        for (k, mut keys) in t.intervals {
            self.newest = self.newest.max(k);
            if let Some(row) = self.closed.get_mut(k) {
                // Too late for the keyed columns and sizes: the sums are still exact.
                self.late_packets += keys.sums[Column::Packets.index()];
                for (a, b) in row.iter_mut().zip(keys.sums) {
                    *a += b;
                }
                pool.give(keys);
                continue;
            }
            if !self.open.contains_key(&k) {
                if let Some(counted) = keys.counted.take() {
                    // Closed whole by the counting thread; closed below with every
                    // interval this far behind (see `chunk::count_inner`).
                    self.closed.insert(k, counted.row);
                    self.top_rows.extend_from_slice(&counted.top);
                    pool.give(keys);
                    continue;
                }
            }
            let (hints, spare) = (self.hints, &mut self.spare);
            self.open
                .entry(k)
                .or_insert_with(|| spare.pop().unwrap_or_else(|| Interval::with_flows(hints)))
                .merge(&mut keys, true);
            pool.give(keys);
        }
        for (k, n) in t.non_ip {
            *self.non_ip.entry(k).or_default() += n;
        }
        self.sizes.merge(&t.sizes);
        self.close_before(self.newest.saturating_sub(self.window))
    }

    /// Turns the open intervals before `k` into rows.
    fn close_before(&mut self, k: i64) -> Result<()> {
        let still_open = self.open.split_off(&k);
        for (k, mut interval) in std::mem::replace(&mut self.open, still_open) {
            self.hints = interval.flow_hints();
            let row = interval.close(k, self.plan.close, &mut self.top_rows);
            self.closed.insert(k, row);
            interval.clear();
            self.spare.push(interval);
        }
        if let Some(top) = &mut self.top {
            top.push(&self.top_rows)?;
        }
        self.top_rows.clear();
        Ok(())
    }

    /// The dense table from the first to the last interval, empty intervals as zeros.
    fn finish(
        mut self,
        what: &std::path::Path,
    ) -> Result<(SeriesTable, Sizes, u64, Option<Strays>)> {
        self.close_before(i64::MAX)?;
        if let Some(top) = self.top.take() {
            top.finish()?;
        }
        // The series spans the IP packets (as a series of the per-packet table does);
        // non-IP frames are counted in the intervals of that span.
        let span = self.closed.span();
        let strays = self.strays();
        let Some((lo, hi)) = span else {
            return Ok((
                SeriesTable {
                    every_ns: self.plan.every_ns,
                    start_ns: Vec::new(),
                    rows: Vec::new(),
                    distinct: self.plan.close.distinct,
                },
                self.sizes,
                0,
                strays,
            ));
        };
        let every_ns = self.plan.every_ns;
        check_span(what, lo, hi, every_ns).map_err(|e| match (e, &strays) {
            (Error::Dataset { path, message }, Some(s)) => Error::Dataset {
                path,
                message: format!("{message}; {}", s.describe()),
            },
            (e, _) => e,
        })?;
        check_density(what, lo, hi, every_ns, self.closed.iter().count())?;
        let mut rows = std::mem::take(&mut self.closed).into_dense(lo, hi);
        for (k, n) in self.non_ip.range(lo..=hi) {
            rows[(k - lo) as usize][Column::NonIpFrames.index()] += n;
        }
        let table = SeriesTable {
            every_ns,
            start_ns: (lo..=hi).map(|k| k * every_ns).collect(),
            rows,
            distinct: self.plan.close.distinct,
        };
        Ok((table, self.sizes, self.late_packets, strays))
    }

    /// Packets more than a day apart from the bulk of the capture: a broken clock's
    /// strays ([`crate::decode::report::outside_bulk`]).
    fn strays(&self) -> Option<Strays> {
        let occupied: Vec<(i64, u64)> = self
            .closed
            .iter()
            .map(|(k, r)| (k, r[Column::Packets.index()]))
            .filter(|(_, n)| *n > 0)
            .collect();
        let every_ns = self.plan.every_ns;
        let day = (DAY_NS / every_ns).max(1);
        let (packets, first, last) = crate::decode::report::outside_bulk(&occupied, day)?;
        Some(Strays {
            packets,
            first_ns: first.saturating_mul(every_ns),
            last_ns: last.saturating_mul(every_ns),
        })
    }
}

/// Packets far from the bulk of a capture (more than a day apart from it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Strays {
    pub packets: u64,
    pub first_ns: i64,
    pub last_ns: i64,
}

impl Strays {
    pub fn describe(&self) -> String {
        format!(
            "{} packets lie more than a day apart from the bulk of the capture ({} … {}): a broken clock? \
             --start/--end choose the window",
            self.packets,
            iso_millis(self.first_ns),
            iso_millis(self.last_ns)
        )
    }
}

/// Refuses a series longer than [`MAX_ROWS`], naming the span and the way out.
pub fn check_span(what: &std::path::Path, lo: i64, hi: i64, every_ns: i64) -> Result<()> {
    let rows = hi as i128 - lo as i128 + 1;
    if rows > MAX_ROWS as i128 {
        return Err(Error::Dataset {
            path: what.to_owned(),
            message: format!(
                "the time stamps span {} → {}: {rows} intervals of {}, more than the {MAX_ROWS} a series may hold \
                 (a broken clock puts single packets years away); choose a larger --every",
                iso_millis(lo.saturating_mul(every_ns)),
                iso_millis(hi.saturating_mul(every_ns)),
                crate::util::time::duration_text(every_ns)
            ),
        });
    }
    Ok(())
}

/// Above this many intervals a series must not be mostly empty: see [`check_density`].
pub const SPARSE_ROWS: i128 = 1_000_000;

/// The least share of a long series' intervals that must hold data (a packet, a row): the
/// dense table costs about 430 bytes an interval at its peak (its rows, then its columns
/// as they are written), so a series mostly of empty intervals is refused before it is
/// made, and its memory stays within ten times what the intervals with data need.
pub const MIN_OCCUPIED: f64 = 0.1;

/// Refuses a series of more than [`SPARSE_ROWS`] intervals of which fewer than
/// [`MIN_OCCUPIED`] hold data: one stray row or packet far from the rest (a broken clock, a
/// typo in a time column) would otherwise be filled out to millions of empty intervals.
pub fn check_density(
    what: &std::path::Path,
    lo: i64,
    hi: i64,
    every_ns: i64,
    occupied: usize,
) -> Result<()> {
    let rows = hi as i128 - lo as i128 + 1;
    if rows > SPARSE_ROWS && (occupied as f64) < MIN_OCCUPIED * rows as f64 {
        return Err(Error::Dataset {
            path: what.to_owned(),
            message: format!(
                "the data spans {} → {}: {rows} intervals of {}, of which only {occupied} hold data (under {} %): \
                 a stray row or packet far from the rest? Choose the span with --start/--end, or a larger --every",
                iso_millis(lo.saturating_mul(every_ns)),
                iso_millis(hi.saturating_mul(every_ns)),
                crate::util::time::duration_text(every_ns),
                MIN_OCCUPIED * 100.0
            ),
        });
    }
    Ok(())
}

/// What a pass over some captures gave.
pub struct Aggregate {
    pub table: SeriesTable,
    pub sizes: Sizes,
    pub reports: Vec<FileReport>,
    /// Packets that arrived after their interval closed.
    pub late_packets: u64,
    /// Gaps between consecutive inputs longer than a few intervals: (after input, seconds).
    pub gaps: Vec<(PathBuf, f64)>,
    /// Packets far from the bulk of the capture.
    pub strays: Option<Strays>,
}

/// One pass over `inputs` (in order, one continuous series), counted as `opts` say.
/// `output` only names the result in reports. Without `opts.distinct`, the keyed columns
/// (distinct counts and entropies: most of a pass's work on a backbone trace) are not
/// counted and the table does not hold them. The heavy-hitter file, when asked for, is
/// written during the pass (it is complete, under its name, when this returns `Ok`).
pub fn aggregate(
    inputs: &[PathBuf],
    output: &std::path::Path,
    opts: &Options,
    progress: &Progress,
) -> Result<Aggregate> {
    opts.window.check()?;
    let every_ns = opts.every_ns;
    let total: u64 = inputs
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    let label = if inputs.len() == 1 {
        crate::capture::stem(&inputs[0])
    } else {
        format!("{} captures", inputs.len())
    };
    let bar = progress.bytes(total, label);
    let bytes = stream::progress_counter();
    let mut reports = FileReport::for_inputs(inputs, output);
    let mut merger = Merger::new(opts)?;
    let plan = merger.plan;
    let pool = KeysPool::default();
    let outcome = stream::run(
        inputs,
        bytes.clone(),
        |chunk| chunk::tally(chunk, &plan, &pool),
        |event| {
            match event {
                Event::Opened(i, container, compression) => {
                    reports[i].container = container;
                    reports[i].compression = compression;
                }
                Event::Mapped(i, t) => {
                    reports[i].counts.merge(&t.counts);
                    let merged = merger.merge(t, &pool)?;
                    reports[i].counts.merge(&merged);
                    bar.set_position(stream::bytes_read(&bytes));
                }
                Event::Finished(i, damage) => reports[i].damage = damage,
            }
            Ok(())
        },
    );
    bar.finish_and_clear();
    outcome?;
    if reports.iter().all(|r| r.counts.kept == 0) {
        return Err(nothing_usable(inputs, output, &reports));
    }
    let gaps = gaps(&reports, every_ns);
    let (table, sizes, late_packets, strays) = merger.finish(output)?;
    Ok(Aggregate {
        table,
        sizes,
        reports,
        late_packets,
        gaps,
        strays,
    })
}

/// More than 1 % of an input's packets byte-identical to one of the few before them (as
/// `editcap -d` finds them): a mirrored link's duplicates, which inflate every count.
pub fn duplicate_warning(report: &FileReport) -> Option<String> {
    let c = &report.counts;
    let window = dedup::PROBE_WINDOW;
    (c.recent_duplicates * 100 > c.probed).then(|| {
        format!(
            "{}: {:.1} % of the packets sampled ({} of {}) are byte-identical to one of the {} before them \
             (a mirrored link?); they are counted. `ntp aggregate --dedup {window}` drops them, as `editcap -D {window}` does",
            report.input.display(),
            100.0 * c.recent_duplicates as f64 / c.probed as f64,
            c.recent_duplicates,
            c.probed,
            window - 1,
        )
    })
}

/// Gaps of more than 5 intervals between one input's last packet and the next input's first.
fn gaps(reports: &[FileReport], every_ns: i64) -> Vec<(PathBuf, f64)> {
    let mut spans: Vec<(i64, i64, &PathBuf)> = reports
        .iter()
        .filter_map(|r| Some((r.counts.first_ns?, r.counts.last_ns?, &r.input)))
        .collect();
    spans.sort();
    spans
        .windows(2)
        .filter(|w| w[1].0 - w[0].1 > 5 * every_ns)
        .map(|w| (w[0].2.clone(), (w[1].0 - w[0].1) as f64 / 1e9))
        .collect()
}

/// Writes the series table to `dest` (interval starts in `unit`) and its size histogram
/// beside it (the heavy hitters were written by the pass).
pub fn write(a: &Aggregate, dest: &std::path::Path, unit: TimestampUnit) -> Result<Vec<PathBuf>> {
    let sizes = super::table::sizes_path(dest);
    a.table.write(dest, unit)?;
    a.sizes.write(&sizes)?;
    Ok(vec![dest.to_owned(), sizes])
}

impl Aggregate {
    /// What the pass built, for stderr: intervals, late packets, gaps.
    pub fn summary(&self, every: &str) -> String {
        let mut s = format!("  series: {} intervals of {every}", self.table.len());
        if self.late_packets > 0 {
            s.push_str(&format!(
                "; {} packets arrived more than {} intervals after their interval closed: \
                 counted in every sum, but the size quantiles, distinct counts, entropies \
                 and heavy hitters of their intervals miss them",
                self.late_packets,
                late_window(self.table.every_ns)
            ));
        }
        if let Some(strays) = &self.strays {
            s.push_str(&format!("\n  warning: {}", strays.describe()));
        }
        for (after, seconds) in &self.gaps {
            s.push_str(&format!(
                "\n  gap of {seconds:.3} s after {} (zero-filled)",
                after.display()
            ));
        }
        s
    }
}
