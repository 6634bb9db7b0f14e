//! One chunk of a capture counted into per-interval [`Keys`] on a counting thread: sums,
//! sizes and key counters of every packet, flows as lists (their sets are the merge's).
//! Intervals wholly inside the chunk are closed here too (`count_inner`), so a sparse
//! capture's thousands of intervals per chunk do not wait for the one merging thread.

use std::collections::HashMap;

use super::dedup::{ChunkDedup, Dedup, Digest, Pending, Verdict};
use super::interval::{CloseWith, Closing, Combiners, Interval, Keys};
use crate::capture::{Chunk, RawPacket};
use crate::decode::report::{Counts, DayTally};
use crate::decode::{self, Addrs};
use crate::series::sizes::{type_index, Sizes};
use crate::series::table::Column;
use crate::series::Window;

/// Emptied [`Keys`] handed back by the merge for the next chunks: their vectors and maps
/// keep their capacity, so a chunk neither regrows them nor faults in fresh pages.
/// The counting threads' [`Combiners`] are kept here between chunks too.
#[derive(Default)]
pub struct KeysPool(
    std::sync::Mutex<Vec<Keys>>,
    std::sync::Mutex<Vec<Combiners>>,
);

impl KeysPool {
    /// At most this many are kept (a few chunks' worth).
    const KEEP: usize = 16;

    fn combiners(&self) -> Combiners {
        self.1
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default()
    }

    fn give_combiners(&self, c: Combiners) {
        if let Ok(mut p) = self.1.lock() {
            p.push(c);
        }
    }

    fn take(&self) -> Keys {
        self.0
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default()
    }

    pub fn give(&self, mut keys: Keys) {
        keys.clear();
        if let Ok(mut p) = self.0.lock() {
            if p.len() < Self::KEEP {
                p.push(keys);
            }
        }
    }
}

/// What one chunk counted.
pub struct ChunkTally {
    pub counts: Counts,
    /// (interval index, keys), in order of first appearance.
    pub intervals: Vec<(i64, Keys)>,
    /// Non-IP frames per interval.
    pub non_ip: Vec<(i64, u64)>,
    pub sizes: Sizes,
    /// Packets at the chunk's start only the merge can judge (`--dedup`).
    pub pending: Vec<Pending>,
    /// Digests of the chunk's last packets (`--dedup`).
    pub tail: Vec<Digest>,
}

/// How a chunk is counted.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub every_ns: i64,
    pub window: Window,
    pub close: CloseWith,
    /// `None` for packets the merge re-counts (already judged).
    pub dedup: Option<Dedup>,
    pub seed: u64,
}

/// Counts one chunk into per-interval tallies.
pub fn tally(chunk: &Chunk, plan: &Plan, pool: &KeysPool) -> ChunkTally {
    if plan.close.distinct {
        let mut t = Tallier::<true>::new(plan, pool);
        let malformed = chunk.for_each(|p| t.packet(p));
        t.finish(malformed)
    } else {
        let mut t = Tallier::<false>::new(plan, pool);
        let malformed = chunk.for_each(|p| t.packet(p));
        t.finish(malformed)
    }
}

/// Counts packets the merge judged not to be duplicates.
pub fn tally_packets(packets: &[Pending], plan: &Plan, pool: &KeysPool) -> ChunkTally {
    let plan = Plan {
        dedup: None,
        ..*plan
    };
    if plan.close.distinct {
        let mut t = Tallier::<true>::new(&plan, pool);
        packets.iter().for_each(|p| t.packet(Some(p.raw())));
        t.finish(0)
    } else {
        let mut t = Tallier::<false>::new(&plan, pool);
        packets.iter().for_each(|p| t.packet(Some(p.raw())));
        t.finish(0)
    }
}

/// The state of one chunk's count, packet by packet.
struct Tallier<'a, const DISTINCT: bool> {
    t: ChunkTally,
    plan: &'a Plan,
    pool: &'a KeysPool,
    first: i64,
    last: i64,
    days: DayTally,
    /// The interval of the packet before, as an index into `t.intervals`.
    current: Option<usize>,
    /// Where each interval's keys are in `t.intervals`: a capture sorted in time brings
    /// each new interval after every other (no lookup); a sparse one brings thousands per
    /// chunk, where a scan of the list would be quadratic.
    newest: i64,
    index: HashMap<i64, usize>,
    /// The interval of the packet before, with its bounds: no division per packet.
    span: (i64, i64, i64),
    dedup: Option<ChunkDedup>,
    /// Dense tables of the sizes (and with `DISTINCT` the ports) of interval `combined`.
    combiners: Option<Combiners>,
    combined: usize,
}

impl<'a, const DISTINCT: bool> Tallier<'a, DISTINCT> {
    fn new(plan: &'a Plan, pool: &'a KeysPool) -> Self {
        Tallier {
            t: ChunkTally {
                counts: Counts::default(),
                intervals: Vec::new(),
                non_ip: Vec::new(),
                sizes: Sizes::default(),
                pending: Vec::new(),
                tail: Vec::new(),
            },
            plan,
            pool,
            first: i64::MAX,
            last: i64::MIN,
            days: DayTally::default(),
            current: None,
            newest: i64::MIN,
            index: HashMap::new(),
            span: (0, 0, 0),
            dedup: plan.dedup.map(|d| ChunkDedup::new(d, plan.seed)),
            combiners: Some(pool.combiners()),
            combined: 0,
        }
    }

    #[inline]
    fn packet(&mut self, p: Option<RawPacket<'_>>) {
        let Some(p) = p else {
            self.t.counts.packets += 1;
            self.t.counts.unplaceable += 1;
            return;
        };
        if let Some(d) = &mut self.dedup {
            match d.judge(&p) {
                Verdict::Keep => {}
                Verdict::Pending => return,
                Verdict::Duplicate => {
                    self.t.counts.packets += 1;
                    self.t.counts.duplicates += 1;
                    return;
                }
            }
        }
        self.t.counts.packets += 1;
        if !self.plan.window.contains(p.ts_ns) {
            self.t.counts.outside += 1;
            return;
        }
        let k = self.interval_of(p.ts_ns);
        match decode::decode(p.linktype, p.data) {
            Ok(ip) => self.ip_packet(k, &ip, &p),
            Err(why) => {
                if why == decode::Skip::NonIp {
                    match self.t.non_ip.last_mut() {
                        Some((kk, n)) if *kk == k => *n += 1,
                        _ => self.t.non_ip.push((k, 1)),
                    }
                }
                self.t.counts.skip(why, p.linktype)
            }
        }
    }

    #[inline]
    fn interval_of(&mut self, ts_ns: i64) -> i64 {
        if !(self.span.0..self.span.1).contains(&ts_ns) {
            let every_ns = self.plan.every_ns;
            let k = ts_ns.div_euclid(every_ns);
            // At the ends of time the bounds do not fit: an empty span, every packet divided.
            let lo = k.checked_mul(every_ns);
            let hi = lo.and_then(|lo| lo.checked_add(every_ns));
            self.span = (lo.unwrap_or(0), hi.unwrap_or(0), k);
        }
        self.span.2
    }

    /// The keys of interval `k` (its index in `t.intervals`).
    #[inline]
    fn keys_of(&mut self, k: i64) -> usize {
        let i = match self.current {
            Some(i) if self.t.intervals[i].0 == k => i,
            _ => {
                let at = if k > self.newest {
                    self.newest = k;
                    None
                } else {
                    self.index.get(&k).copied()
                };
                at.unwrap_or_else(|| {
                    self.t.intervals.push((k, self.pool.take()));
                    self.index.insert(k, self.t.intervals.len() - 1);
                    self.t.intervals.len() - 1
                })
            }
        };
        self.current = Some(i);
        i
    }

    #[inline]
    fn ip_packet(&mut self, k: i64, ip: &decode::IpPacket, p: &RawPacket<'_>) {
        let captured = p.data.len() as u32;
        let i = self.keys_of(k);
        let keys = &mut self.t.intervals[i].1;
        add::<DISTINCT>(keys, ip, p.wire_len, captured);
        if let Some(c) = &mut self.combiners {
            if i != self.combined {
                if let Some((_, was)) = self.t.intervals.get_mut(self.combined) {
                    c.flush(was);
                }
                self.combined = i;
            }
            c.add_size(ip.size);
            if DISTINCT {
                c.add_keys(ip, ip.size as u64, &mut self.t.intervals[i].1);
            }
        }
        self.t
            .sizes
            .add(type_index(ip.protocol), [ip.size, p.wire_len, captured]);
        self.t.counts.kept += 1;
        self.days.add(p.ts_ns, &mut self.t.counts);
        self.first = self.first.min(p.ts_ns);
        self.last = self.last.max(p.ts_ns);
    }

    fn finish(mut self, malformed_blocks: u64) -> ChunkTally {
        self.days.flush(&mut self.t.counts);
        if let Some(mut c) = self.combiners.take() {
            if let Some((_, keys)) = self.t.intervals.get_mut(self.combined) {
                c.flush(keys);
            }
            self.pool.give_combiners(c);
        }
        let mut t = self.t;
        t.counts.malformed += malformed_blocks;
        if t.counts.kept > 0 {
            t.counts.first_ns = Some(self.first);
            t.counts.last_ns = Some(self.last);
        }
        if let Some(mut d) = self.dedup {
            match d.mode {
                Dedup::Probe => {
                    t.counts.recent_duplicates += d.duplicates;
                    t.counts.probed += d.judged();
                }
                Dedup::Drop(_) => {
                    t.tail = d.tail();
                    t.pending = std::mem::take(&mut d.pending);
                }
            }
        }
        if DISTINCT {
            for (_, keys) in &mut t.intervals {
                keys.addrs.sort();
            }
        }
        count_inner(&mut t.intervals, self.plan);
        t
    }
}

/// Adds a packet to an interval's sums and sizes, and its keys when `DISTINCT`.
#[inline]
fn add<const DISTINCT: bool>(keys: &mut Keys, ip: &decode::IpPacket, wire: u32, captured: u32) {
    let size = ip.size as u64;
    let s = &mut keys.sums;
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
    if let Some(f) = ip.tcp_flags {
        let (syn, ack) = (f & 0x02 != 0, f & 0x10 != 0);
        s[Column::TcpSyn.index()] += (syn && !ack) as u64;
        s[Column::TcpSynack.index()] += (syn && ack) as u64;
        s[Column::TcpFin.index()] += (f & 0x01) as u64;
        s[Column::TcpRst.index()] += ((f >> 2) & 1) as u64;
    }
    if ip.protocol == 1 || ip.protocol == 58 {
        s[Column::IcmpPackets.index()] += 1;
        s[Column::IcmpBytes.index()] += size;
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
            keys.flows4
                .push(((a as u128) << 96) | ((b as u128) << 64) | ports as u128);
        }
        Addrs::V6(a, b) => {
            let (a, b) = (u128::from_be_bytes(a), u128::from_be_bytes(b));
            keys.flows6.push((a, b, ports));
        }
    }
}

/// Closes every interval more than the late window before the chunk's newest: the merge
/// closes such an interval as soon as it has merged this chunk, so, unless an earlier
/// chunk opened it, these keys are all it will ever hold, and its row can be made here,
/// on a counting thread, instead of on the merging one. A sparse capture (a few packets
/// per interval, thousands of intervals per chunk) spends most of a pass there; a dense
/// one has no such interval (a chunk spans a few seconds).
fn count_inner(intervals: &mut [(i64, Keys)], plan: &Plan) {
    let Some(newest) = intervals.iter().map(|x| x.0).max() else {
        return;
    };
    let window = super::late_window(plan.every_ns);
    let mut interval: Option<Interval> = None;
    for (k, keys) in intervals.iter_mut() {
        if *k < newest.saturating_sub(window) {
            let interval = interval.get_or_insert_with(Interval::default);
            interval.clear();
            interval.merge(keys, false);
            let mut top = Vec::new();
            let row = interval.close(*k, plan.close, &mut top);
            keys.counted = Some(Box::new(Closing { row, top }));
        }
    }
}
