//! Captures → series table in one pass: every packet goes straight into its interval's
//! sums and distinct sets; no per-packet table is written. Chunks are counted in parallel
//! ([`crate::capture::stream`]), each into its own small per-interval tallies, which are
//! merged in capture order. An interval's distinct sets are dropped once the stream is
//! [`LATE_WINDOW`] past it; a packet arriving later still adds to every sum of its interval,
//! but its addresses and flow can no longer be told apart from those seen: such packets are
//! counted and reported (captures are sorted to within milliseconds, so this happens only
//! with overlapping inputs).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use super::closed::Closed;
use super::distinct::Distinct;
use super::sizes::{type_index, Sizes};
use super::table::{Column, SeriesTable, COLUMNS, SUMS};
use super::Window;
use crate::capture::stream::{self, Event};
use crate::capture::Chunk;
use crate::dataset::writer::TimestampUnit;
use crate::decode::report::{nothing_usable, Counts, DayTally, FileReport};
use crate::decode::{self, Addrs};
use crate::error::{Error, Result};
use crate::util::progress::Progress;
use crate::util::time::{iso_millis, DAY_NS};

/// How many intervals, and at least how many seconds, the stream may run ahead of an
/// interval before its distinct sets are dropped.
pub const LATE_WINDOW: (i64, i64) = (4, 2);

/// [`LATE_WINDOW`] in intervals of `every_ns`.
pub fn late_window(every_ns: i64) -> i64 {
    let (intervals, seconds) = LATE_WINDOW;
    intervals.max((seconds * 1_000_000_000 + every_ns - 1) / every_ns)
}

/// The longest series a pass will build (rows), whatever the timestamps claim.
pub const MAX_ROWS: i64 = 10_000_000;

/// An IPv6 5-tuple: addresses, then ports, protocol and whether ports are known.
type Flow6 = (u128, u128, u64);

/// One interval of one chunk: sums and the raw keys, hashed only when merged (hashing
/// them in the chunk too would hash every key twice).
#[derive(Default)]
struct Keys {
    sums: [u64; SUMS],
    src4: Sieved,
    dst4: Sieved,
    src6: Vec<u128>,
    dst6: Vec<u128>,
    flows4: Vec<u128>,
    flows6: Vec<Flow6>,
    /// The distinct counts (the row's columns from `SUMS` on), counted by the counting
    /// thread when the interval lies wholly inside its chunk (see [`count_inner`]).
    counted: Option<[u64; COLUMNS - SUMS]>,
}

/// The IPv4 addresses a chunk last pushed into one interval's keys, in a small
/// direct-mapped table: an address found there is already in the keys and is not pushed
/// again. Backbone addresses are heavy-tailed, so this spares the merge (one thread, the
/// bottleneck of a pass) most of its address inserts, at the cost of a lookup in a table
/// that stays in the counting thread's cache. Exact: a key is only ever left out when the
/// same interval's keys hold it already (the generation changes with the interval).
struct Recent {
    /// `generation << 32 | address`.
    slots: Vec<u64>,
    generation: u64,
}

impl Recent {
    const BITS: u32 = 12;

    fn new() -> Recent {
        Recent {
            slots: vec![0; 1 << Self::BITS],
            generation: 1,
        }
    }

    /// Forgets every address (the keys are now another interval's).
    fn next_interval(&mut self) {
        self.generation += 1;
    }

    /// Whether `a` must be pushed (it was not seen lately in this interval); remembers it.
    /// Branch-free: whether an address was seen is a coin toss the predictor loses.
    #[inline]
    fn fresh(&mut self, a: u32) -> bool {
        let slot = ((a as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - Self::BITS)) as usize;
        let tag = self.generation << 32 | a as u64;
        let s = &mut self.slots[slot];
        let fresh = *s != tag;
        *s = tag;
        fresh
    }
}

/// Addresses pushed only when [`Recent`] says so, without a branch on its answer: every
/// address is written at the end, and the length moves past it only when it is kept.
#[derive(Default)]
struct Sieved {
    /// `buf[..len]` are the keys; `buf.len() > len` always (room for the next write).
    buf: Vec<u32>,
    len: usize,
}

impl Sieved {
    #[inline]
    fn push_if(&mut self, a: u32, keep: bool) {
        if self.len + 1 >= self.buf.len() {
            self.buf.resize((2 * self.buf.len()).max(64), 0);
        }
        self.buf[self.len] = a;
        self.len += keep as usize;
    }

    fn keys(&self) -> &[u32] {
        &self.buf[..self.len]
    }

    fn clear(&mut self) {
        self.len = 0;
    }
}

/// Emptied [`Keys`] handed back by the merge for the next chunks: their vectors keep
/// their capacity, so a chunk neither regrows them nor faults in fresh pages.
#[derive(Default)]
struct KeysPool(std::sync::Mutex<Vec<Keys>>);

impl KeysPool {
    /// At most this many are kept (a few chunks' worth).
    const KEEP: usize = 16;

    fn take(&self) -> Keys {
        self.0
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default()
    }

    fn give(&self, mut keys: Keys) {
        keys.clear();
        if let Ok(mut p) = self.0.lock() {
            if p.len() < Self::KEEP {
                p.push(keys);
            }
        }
    }
}

impl Keys {
    fn clear(&mut self) {
        self.sums = [0; SUMS];
        self.src4.clear();
        self.dst4.clear();
        self.src6.clear();
        self.dst6.clear();
        self.flows4.clear();
        self.flows6.clear();
        self.counted = None;
    }

    /// Adds a packet to the sums, and its keys when `DISTINCT`.
    #[inline]
    fn add<const DISTINCT: bool>(
        &mut self,
        ip: &decode::IpPacket,
        wire: u32,
        captured: u32,
        recent: &mut (Recent, Recent),
    ) {
        let size = ip.size as u64;
        let s = &mut self.sums;
        s[Column::IpBytes.index()] += size;
        s[Column::WireBytes.index()] += wire as u64;
        s[Column::CapturedBytes.index()] += captured as u64;
        s[Column::Packets.index()] += 1;
        let (b, p) = match ip.protocol {
            6 => (Column::TcpBytes, Column::TcpPackets),
            17 => (Column::UdpBytes, Column::UdpPackets),
            _ => (Column::OtherBytes, Column::OtherPackets),
        };
        s[b.index()] += size;
        s[p.index()] += 1;
        if let Addrs::V6(..) = ip.addrs {
            s[Column::Ipv6Bytes.index()] += size;
            s[Column::Ipv6Packets.index()] += 1;
        }
        if !DISTINCT {
            return;
        }
        let ports = match ip.ports {
            Some((a, b)) => (1u64 << 40) | ((a as u64) << 24) | ((b as u64) << 8),
            None => 0,
        } | ip.protocol as u64;
        match ip.addrs {
            Addrs::V4(a, b) => {
                let (a, b) = (u32::from_be_bytes(a), u32::from_be_bytes(b));
                self.src4.push_if(a, recent.0.fresh(a));
                self.dst4.push_if(b, recent.1.fresh(b));
                self.flows4
                    .push(((a as u128) << 96) | ((b as u128) << 64) | ports as u128);
            }
            Addrs::V6(a, b) => {
                let (a, b) = (u128::from_be_bytes(a), u128::from_be_bytes(b));
                self.src6.push(a);
                self.dst6.push(b);
                self.flows6.push((a, b, ports));
            }
        }
    }
}

/// One interval being counted: sums and the exact distinct sets.
struct Tally {
    sums: [u64; SUMS],
    src4: Distinct<u32>,
    dst4: Distinct<u32>,
    src6: Distinct<u128>,
    dst6: Distinct<u128>,
    flows4: Distinct<u128>,
    flows6: Distinct<Flow6>,
}

/// Distinct keys of the last interval closed, per set: the size a new interval's sets
/// start at, so they rarely grow.
type Hints = [usize; 6];

impl Tally {
    /// A tally sized for `h`, or for twice the first keys when no interval closed yet.
    fn new(h: &Hints, first: &Keys) -> Tally {
        let n = |hint: usize, keys: usize| hint.max(keys * 2);
        Tally {
            sums: [0; SUMS],
            src4: Distinct::with_capacity(n(h[0], first.src4.len)),
            dst4: Distinct::with_capacity(n(h[1], first.dst4.len)),
            src6: Distinct::with_capacity(n(h[2], first.src6.len())),
            dst6: Distinct::with_capacity(n(h[3], first.dst6.len())),
            flows4: Distinct::with_capacity(n(h[4], first.flows4.len())),
            flows6: Distinct::with_capacity(n(h[5], first.flows6.len())),
        }
    }

    /// Empties a closed interval's tally for the next one.
    fn clear(&mut self) {
        self.sums = [0; SUMS];
        self.src4.clear();
        self.dst4.clear();
        self.src6.clear();
        self.dst6.clear();
        self.flows4.clear();
        self.flows6.clear();
    }

    fn hints(&self) -> Hints {
        [
            self.src4.len(),
            self.dst4.len(),
            self.src6.len(),
            self.dst6.len(),
            self.flows4.len(),
            self.flows6.len(),
        ]
    }

    fn merge(&mut self, o: &Keys) {
        for (a, b) in self.sums.iter_mut().zip(o.sums) {
            *a += b;
        }
        self.src4.extend(o.src4.keys());
        self.dst4.extend(o.dst4.keys());
        self.src6.extend(&o.src6);
        self.dst6.extend(&o.dst6);
        self.flows4.extend(&o.flows4);
        self.flows6.extend(&o.flows6);
    }

    fn row(&self) -> [u64; COLUMNS] {
        let mut r = [0u64; COLUMNS];
        r[..SUMS].copy_from_slice(&self.sums);
        r[Column::Sources.index()] = (self.src4.len() + self.src6.len()) as u64;
        r[Column::Destinations.index()] = (self.dst4.len() + self.dst6.len()) as u64;
        r[Column::Flows.index()] = (self.flows4.len() + self.flows6.len()) as u64;
        r
    }
}

/// What one chunk counted.
pub struct ChunkTally {
    counts: Counts,
    /// (interval index, keys), in order of first appearance.
    intervals: Vec<(i64, Keys)>,
    /// Non-IP frames per interval.
    non_ip: Vec<(i64, u64)>,
    sizes: Sizes,
}

/// Counts one chunk into per-interval tallies; the keys of the distinct counts are
/// collected only when `distinct`.
pub fn tally_chunk(chunk: &Chunk, every_ns: i64, window: Window, distinct: bool) -> ChunkTally {
    tally_from(chunk, every_ns, window, distinct, &KeysPool::default())
}

/// [`tally_chunk`], taking its keys' vectors from `pool`.
fn tally_from(
    chunk: &Chunk,
    every_ns: i64,
    window: Window,
    distinct: bool,
    pool: &KeysPool,
) -> ChunkTally {
    if distinct {
        tally::<true>(chunk, every_ns, window, pool)
    } else {
        tally::<false>(chunk, every_ns, window, pool)
    }
}

fn tally<const DISTINCT: bool>(
    chunk: &Chunk,
    every_ns: i64,
    window: Window,
    pool: &KeysPool,
) -> ChunkTally {
    let mut t = ChunkTally {
        counts: Counts::default(),
        intervals: Vec::new(),
        non_ip: Vec::new(),
        sizes: Sizes::default(),
    };
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    let mut days = DayTally::default();
    let mut current: Option<usize> = None;
    // Where each interval's keys are in `t.intervals`: a capture sorted in time brings
    // each new interval after every other (no lookup); a sparse one brings thousands per
    // chunk, where a scan of the list would be quadratic.
    let mut newest = i64::MIN;
    let mut index: HashMap<i64, usize> = HashMap::new();
    let mut recent = (Recent::new(), Recent::new());
    let mut span = (0i64, 0i64, 0i64);
    let malformed_blocks = chunk.for_each(|p| {
        t.counts.packets += 1;
        let Some(p) = p else {
            t.counts.unplaceable += 1;
            return;
        };
        if !window.contains(p.ts_ns) {
            t.counts.outside += 1;
            return;
        }
        // The interval of the packet before, kept with its bounds: no division per packet.
        if !(span.0..span.1).contains(&p.ts_ns) {
            let k = p.ts_ns.div_euclid(every_ns);
            // At the ends of time the bounds do not fit: an empty span, every packet divided.
            let lo = k.checked_mul(every_ns);
            let hi = lo.and_then(|lo| lo.checked_add(every_ns));
            span = (lo.unwrap_or(0), hi.unwrap_or(0), k);
        }
        let k = span.2;
        match decode::decode(p.linktype, p.data) {
            Ok(ip) => {
                let i = match current {
                    Some(i) if t.intervals[i].0 == k => i,
                    _ => {
                        recent.0.next_interval();
                        recent.1.next_interval();
                        let at = if k > newest {
                            newest = k;
                            None
                        } else {
                            index.get(&k).copied()
                        };
                        at.unwrap_or_else(|| {
                            t.intervals.push((k, pool.take()));
                            index.insert(k, t.intervals.len() - 1);
                            t.intervals.len() - 1
                        })
                    }
                };
                current = Some(i);
                let captured = p.data.len() as u32;
                t.intervals[i]
                    .1
                    .add::<DISTINCT>(&ip, p.wire_len, captured, &mut recent);
                t.sizes
                    .add(type_index(ip.protocol), [ip.size, p.wire_len, captured]);
                t.counts.kept += 1;
                days.add(p.ts_ns, &mut t.counts);
                first = first.min(p.ts_ns);
                last = last.max(p.ts_ns);
            }
            Err(why) => {
                if why == decode::Skip::NonIp {
                    match t.non_ip.last_mut() {
                        Some((kk, n)) if *kk == k => *n += 1,
                        _ => t.non_ip.push((k, 1)),
                    }
                }
                t.counts.skip(why, p.linktype)
            }
        }
    });
    days.flush(&mut t.counts);
    t.counts.malformed += malformed_blocks;
    if t.counts.kept > 0 {
        t.counts.first_ns = Some(first);
        t.counts.last_ns = Some(last);
    }
    if DISTINCT {
        count_inner(&mut t.intervals, late_window(every_ns));
    }
    t
}

/// Counts the distinct keys of every interval more than `window` intervals before the
/// chunk's newest: the merge closes such an interval as soon as it has merged this chunk,
/// so, unless an earlier chunk opened it, these keys are all it will ever hold, and its
/// counts can be taken here, on a counting thread, instead of on the merging one. A
/// sparse capture (a few packets per interval, thousands of intervals per chunk) spends
/// most of a pass there; a dense one has no such interval (a chunk spans a few seconds).
fn count_inner(intervals: &mut [(i64, Keys)], window: i64) {
    let Some(newest) = intervals.iter().map(|x| x.0).max() else {
        return;
    };
    let mut tally: Option<Tally> = None;
    for (k, keys) in intervals.iter_mut() {
        if *k < newest.saturating_sub(window) {
            let tally = tally.get_or_insert_with(|| Tally::new(&[0; 6], keys));
            tally.clear();
            tally.merge(keys);
            let mut counted = [0; COLUMNS - SUMS];
            counted.copy_from_slice(&tally.row()[SUMS..]);
            keys.counted = Some(counted);
        }
    }
}

/// The state of a pass: open intervals with their sets, closed ones as rows.
struct Merger {
    every_ns: i64,
    /// Whether the chunks bring keys (the table then holds the distinct counts).
    distinct: bool,
    window: i64,
    open: BTreeMap<i64, Tally>,
    closed: Closed,
    non_ip: BTreeMap<i64, u64>,
    newest: i64,
    late_packets: u64,
    sizes: Sizes,
    hints: Hints,
    /// Tallies of closed intervals, emptied, for the next ones.
    spare: Vec<Tally>,
}

impl Merger {
    fn new(every_ns: i64, distinct: bool) -> Merger {
        Merger {
            every_ns,
            distinct,
            window: late_window(every_ns),
            open: BTreeMap::new(),
            closed: Closed::default(),
            non_ip: BTreeMap::new(),
            newest: i64::MIN,
            late_packets: 0,
            sizes: Sizes::default(),
            hints: [0; 6],
            spare: Vec::new(),
        }
    }

    /// Merges a chunk's tallies; their emptied keys go back to `pool`.
    fn merge(&mut self, t: ChunkTally, pool: &KeysPool) {
        for (k, keys) in t.intervals {
            self.newest = self.newest.max(k);
            if let Some(row) = self.closed.get_mut(k) {
                // Too late for the distinct sets: the sums are still exact.
                self.late_packets += keys.sums[Column::Packets.index()];
                for (a, b) in row.iter_mut().zip(keys.sums) {
                    *a += b;
                }
                pool.give(keys);
                continue;
            }
            if let Some(counted) = keys.counted.filter(|_| !self.open.contains_key(&k)) {
                // Counted whole by the counting thread; closed below with every interval
                // this far behind (see `count_inner`).
                let mut row = [0; COLUMNS];
                row[..SUMS].copy_from_slice(&keys.sums);
                row[SUMS..].copy_from_slice(&counted);
                self.closed.insert(k, row);
                pool.give(keys);
                continue;
            }
            let (hints, spare) = (&self.hints, &mut self.spare);
            self.open
                .entry(k)
                .or_insert_with(|| spare.pop().unwrap_or_else(|| Tally::new(hints, &keys)))
                .merge(&keys);
            pool.give(keys);
        }
        for (k, n) in t.non_ip {
            *self.non_ip.entry(k).or_default() += n;
        }
        self.sizes.merge(&t.sizes);
        self.close_before(self.newest.saturating_sub(self.window));
    }

    /// Turns the open intervals before `k` into rows.
    fn close_before(&mut self, k: i64) {
        let still_open = self.open.split_off(&k);
        for (k, mut tally) in std::mem::replace(&mut self.open, still_open) {
            self.hints = tally.hints();
            self.closed.insert(k, tally.row());
            tally.clear();
            self.spare.push(tally);
        }
    }

    /// The dense table from the first to the last interval, empty intervals as zeros.
    fn finish(
        mut self,
        what: &std::path::Path,
    ) -> Result<(SeriesTable, Sizes, u64, Option<Strays>)> {
        self.close_before(i64::MAX);
        // The series spans the IP packets (as a series of the per-packet table does);
        // non-IP frames are counted in the intervals of that span.
        let span = self.closed.span();
        let strays = self.strays();
        let Some((lo, hi)) = span else {
            return Ok((
                SeriesTable {
                    every_ns: self.every_ns,
                    start_ns: Vec::new(),
                    rows: Vec::new(),
                    distinct: self.distinct,
                },
                self.sizes,
                0,
                strays,
            ));
        };
        check_span(what, lo, hi, self.every_ns).map_err(|e| match (e, &strays) {
            (Error::Dataset { path, message }, Some(s)) => Error::Dataset {
                path,
                message: format!("{message}; {}", s.describe()),
            },
            (e, _) => e,
        })?;
        check_density(what, lo, hi, self.every_ns, self.closed.iter().count())?;
        let mut rows = std::mem::take(&mut self.closed).into_dense(lo, hi);
        for (k, n) in self.non_ip.range(lo..=hi) {
            rows[(k - lo) as usize][Column::NonIpFrames.index()] += n;
        }
        let table = SeriesTable {
            every_ns: self.every_ns,
            start_ns: (lo..=hi).map(|k| k * self.every_ns).collect(),
            rows,
            distinct: self.distinct,
        };
        Ok((table, self.sizes, self.late_packets, strays))
    }

    /// Packets more than a day from the median packet's time: a broken clock's strays.
    fn strays(&self) -> Option<Strays> {
        let total: u64 = self
            .closed
            .iter()
            .map(|(_, r)| r[Column::Packets.index()])
            .sum();
        let mut seen = 0;
        let median = self.closed.iter().find_map(|(k, r)| {
            seen += r[Column::Packets.index()];
            (seen * 2 >= total).then_some(k)
        })?;
        let day = (DAY_NS / self.every_ns).max(1);
        let far: Vec<(i64, u64)> = self
            .closed
            .iter()
            .filter(|(k, _)| (*k - median).abs() > day)
            .map(|(k, r)| (k, r[Column::Packets.index()]))
            .filter(|(_, n)| *n > 0)
            .collect();
        let (first, last) = (far.first()?.0, far.last()?.0);
        Some(Strays {
            packets: far.iter().map(|f| f.1).sum(),
            first_ns: first.saturating_mul(self.every_ns),
            last_ns: last.saturating_mul(self.every_ns),
        })
    }
}

/// Packets far from the bulk of a capture (more than a day from its median time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Strays {
    pub packets: u64,
    pub first_ns: i64,
    pub last_ns: i64,
}

impl Strays {
    pub fn describe(&self) -> String {
        format!(
            "{} packets lie more than a day from the capture's median time ({} … {}): a broken clock? \
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

/// The least share of a long series' intervals that must hold data (a packet, a row).
pub const MIN_OCCUPIED: f64 = 0.01;

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
    /// Packets that arrived after their interval's distinct sets were dropped.
    pub late_packets: u64,
    /// Gaps between consecutive inputs longer than a few intervals: (after input, seconds).
    pub gaps: Vec<(PathBuf, f64)>,
    /// Packets far from the bulk of the capture.
    pub strays: Option<Strays>,
}

/// One pass over `inputs` (in order, one continuous series), counted in intervals of
/// `every_ns`. `output` only names the result in reports. Without `distinct`, the
/// sources, destinations and flows are not counted (most of a pass's work on a backbone
/// trace) and the table does not hold them.
pub fn aggregate(
    inputs: &[PathBuf],
    output: &std::path::Path,
    every_ns: i64,
    window: Window,
    distinct: bool,
    progress: &Progress,
) -> Result<Aggregate> {
    window.check()?;
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
    let mut merger = Merger::new(every_ns, distinct);
    let pool = KeysPool::default();
    let outcome = stream::run(
        inputs,
        bytes.clone(),
        |chunk| tally_from(chunk, every_ns, window, distinct, &pool),
        |event| {
            match event {
                Event::Opened(i, container, compression) => {
                    reports[i].container = container;
                    reports[i].compression = compression;
                }
                Event::Mapped(i, t) => {
                    reports[i].counts.merge(&t.counts);
                    merger.merge(t, &pool);
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
/// beside it.
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
                 counted in every sum, but the distinct counts (sources, destinations, flows) \
                 of their intervals may miss them",
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
