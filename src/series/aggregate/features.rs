//! What an interval's keys give beyond sums: packets and bytes per address and port
//! ([`Counter`]), the Shannon entropy of those counts, and the exact quantiles of the IP
//! packet sizes ([`SizeStats`]).

use std::collections::HashMap;
use std::hash::Hash;

use foldhash::fast::RandomState;

/// Packets and bytes (IP length) of one key in one interval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tallied {
    pub packets: u64,
    pub bytes: u64,
}

/// Packets and bytes per key. Seeded at random per map (foldhash), so no capture can be
/// crafted to make its keys collide.
pub type Counter<K> = HashMap<K, Tallied, RandomState>;

/// Counts one packet of `bytes` for key `k`.
#[inline]
pub fn count<K: Hash + Eq>(c: &mut Counter<K>, k: K, bytes: u64) {
    let t = c.entry(k).or_default();
    t.packets += 1;
    t.bytes += bytes;
}

/// Adds every key of `from` to `into`.
pub fn merge_into<K: Hash + Eq + Copy>(into: &mut Counter<K>, from: &Counter<K>) {
    into.reserve(from.len().saturating_sub(into.capacity() - into.len()));
    for (k, t) in from {
        let e = into.entry(*k).or_default();
        e.packets += t.packets;
        e.bytes += t.bytes;
    }
}

/// Shannon entropy in bits of a distribution given by counts: log₂ N − Σ cᵢ log₂ cᵢ / N
/// (0 for no count, or a single key).
pub fn entropy(counts: impl Iterator<Item = u64>) -> f64 {
    let (mut n, mut s) = (0u64, 0.0f64);
    for c in counts.filter(|c| *c > 0) {
        n += c;
        let c = c as f64;
        s += c * c.log2();
    }
    if n == 0 {
        return 0.0;
    }
    let n = n as f64;
    (n.log2() - s / n).max(0.0)
}

/// The largest IP length a header can give (IPv6: payload length 65 535 + 40).
const MAX_SIZE: usize = 65_535 + 40;

/// Kept as a list up to this many (size, count) pairs, then as a histogram of every size.
const FEW: usize = 1 << 12;

/// The IP sizes of an interval's packets, exactly, as (size, packets) pairs: a list while
/// the interval has few distinct sizes, a histogram (one count per possible size, 512 KiB)
/// once it has many, so memory stays bounded whatever the interval holds. The counting
/// threads count each chunk's sizes into pairs ([`SizeTable`]), so the merge adds a pair
/// per distinct size, not a count per packet.
#[derive(Default)]
pub struct SizeStats {
    few: Vec<(u32, u64)>,
    many: Option<Vec<u64>>,
}

/// `size_p50`, `size_p95` and `size_max` of an interval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SizeSummary {
    pub p50: u64,
    pub p95: u64,
    pub max: u64,
}

/// Packets per IP size of the interval a counting thread is counting, in a dense table
/// (one slot per possible size) with the sizes used listed: the (size, packets) pairs the
/// merge adds to [`SizeStats`] cost a pair per distinct size, and counting costs an
/// increment per packet in a table that stays in cache (traffic has few distinct sizes).
pub struct SizeTable {
    counts: Vec<u64>,
    used: Vec<u32>,
}

impl Default for SizeTable {
    fn default() -> Self {
        SizeTable {
            counts: vec![0; MAX_SIZE + 1],
            used: Vec::new(),
        }
    }
}

impl SizeTable {
    #[inline(always)]
    pub fn add(&mut self, size: u32) {
        let s = (size as usize).min(MAX_SIZE);
        if self.counts[s] == 0 {
            self.used.push(s as u32);
        }
        self.counts[s] += 1;
    }

    /// Moves the (size, packets) pairs counted to `out` and empties the table.
    pub fn drain_into(&mut self, out: &mut Vec<(u32, u64)>) {
        for s in self.used.drain(..) {
            out.push((s, self.counts[s as usize]));
            self.counts[s as usize] = 0;
        }
    }
}

impl SizeStats {
    /// Adds (size, packets) pairs.
    pub fn extend(&mut self, pairs: &[(u32, u64)]) {
        if let Some(h) = &mut self.many {
            for &(s, n) in pairs {
                h[(s as usize).min(MAX_SIZE)] += n;
            }
            return;
        }
        self.few.extend_from_slice(pairs);
        if self.few.len() > FEW {
            let mut h = vec![0u64; MAX_SIZE + 1];
            for &(s, n) in &self.few {
                h[(s as usize).min(MAX_SIZE)] += n;
            }
            self.few = Vec::new();
            self.many = Some(h);
        }
    }

    pub fn clear(&mut self) {
        self.few.clear();
        self.many = None;
    }

    /// The median, 95th percentile and maximum, each the sorted sizes' element at index
    /// ⌊q·(n−1)⌋ (numpy's and polars' `lower` quantile); zeros for no packet.
    pub fn summary(&mut self) -> SizeSummary {
        if let Some(h) = &self.many {
            let pairs: Vec<(u32, u64)> = h
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(s, n)| (s as u32, *n))
                .collect();
            return summarise(&pairs);
        }
        self.few.sort_unstable();
        summarise(&self.few)
    }
}

/// The summary of (size, packets) pairs in size order (a size may repeat).
fn summarise(pairs: &[(u32, u64)]) -> SizeSummary {
    let n: u64 = pairs.iter().map(|p| p.1).sum();
    if n == 0 {
        return SizeSummary::default();
    }
    let nth = |q: f64| {
        let i = ((n - 1) as f64 * q).floor() as u64;
        let mut seen = 0;
        for &(s, c) in pairs {
            seen += c;
            if seen > i {
                return s as u64;
            }
        }
        0
    };
    SizeSummary {
        p50: nth(0.5),
        p95: nth(0.95),
        max: pairs.last().map_or(0, |p| p.0 as u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_known_distributions() {
        assert_eq!(entropy([].into_iter()), 0.0);
        assert_eq!(entropy([7].into_iter()), 0.0);
        assert!((entropy([1, 1].into_iter()) - 1.0).abs() < 1e-12);
        assert!((entropy([5; 8].into_iter()) - 3.0).abs() < 1e-12);
        // p = (1/2, 1/4, 1/4): 1.5 bits.
        assert!((entropy([2, 1, 1].into_iter()) - 1.5).abs() < 1e-12);
    }

    #[test]
    fn quantiles_of_the_list_and_the_histogram_agree_with_a_sort() {
        let mut x = 99u64;
        for (n, spread) in [
            (1usize, 1600),
            (2, 1600),
            (3, 1600),
            (10, 1600),
            (1000, 1600),
            (50_000, 1600),
            (50_000, 60_000),
        ] {
            let sizes: Vec<u32> = (0..n)
                .map(|_| {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                    ((x >> 33) % spread) as u32 + 20
                })
                .collect();
            let mut stats = SizeStats::default();
            let mut table = SizeTable::default();
            for part in sizes.chunks(777) {
                let mut pairs = Vec::new();
                part.iter().for_each(|s| table.add(*s));
                table.drain_into(&mut pairs);
                stats.extend(&pairs);
            }
            let mut sorted = sizes.clone();
            sorted.sort();
            let idx = |q: f64| ((n - 1) as f64 * q).floor() as usize;
            let want = SizeSummary {
                p50: sorted[idx(0.5)] as u64,
                p95: sorted[idx(0.95)] as u64,
                max: sorted[n - 1] as u64,
            };
            assert_eq!(stats.summary(), want, "{n} sizes");
        }
        assert_eq!(SizeStats::default().summary(), SizeSummary::default());
    }
}

/// Packets and bytes per TCP/UDP port in dense arrays (one slot per port: no hashing, no
/// probing), with the ports used listed, so that reading or emptying the table costs what
/// was used. A counting thread counts the ports of its current interval here; an
/// interval being merged holds its ports here. (Counted in hash maps instead, ports were
/// a quarter of a pass over the benchmark trace: see `docs/performance.md`.)
pub struct PortTable {
    /// Packets and bytes side by side: one cache line per packet.
    slots: Vec<Tallied>,
    used: Vec<u16>,
}

impl Default for PortTable {
    fn default() -> Self {
        PortTable {
            slots: vec![Tallied::default(); 1 << 16],
            used: Vec::new(),
        }
    }
}

impl PortTable {
    #[inline(always)]
    pub fn add(&mut self, port: u16, bytes: u64) {
        let t = &mut self.slots[port as usize];
        if t.packets == 0 {
            self.used.push(port);
        }
        t.packets += 1;
        t.bytes += bytes;
    }

    /// Adds a port's packets and bytes counted elsewhere.
    #[inline]
    pub fn add_tallied(&mut self, port: u16, o: Tallied) {
        let t = &mut self.slots[port as usize];
        if t.packets == 0 {
            self.used.push(port);
        }
        t.packets += o.packets;
        t.bytes += o.bytes;
    }

    /// Every port counted, with its packets and bytes.
    pub fn entries(&self) -> impl Iterator<Item = (u16, Tallied)> + '_ {
        self.used.iter().map(|&p| (p, self.slots[p as usize]))
    }

    /// Moves every port counted to `out` and empties the table.
    pub fn drain_into(&mut self, out: &mut Vec<(u16, Tallied)>) {
        out.extend(self.entries());
        self.clear();
    }

    pub fn clear(&mut self) {
        for port in self.used.drain(..) {
            self.slots[port as usize] = Tallied::default();
        }
    }
}

#[cfg(test)]
mod port_tests {
    use super::*;

    #[test]
    fn ports_through_the_table_count_what_the_map_alone_counts() {
        let mut x = 3u64;
        let mut direct: Counter<u16> = Counter::default();
        let (mut t, mut merged) = (PortTable::default(), PortTable::default());
        let mut moved = Vec::new();
        for i in 0..20_000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            let port = (x >> 48) as u16 % 700;
            count(&mut direct, port, i % 1500);
            t.add(port, i % 1500);
            if i % 3001 == 0 {
                t.drain_into(&mut moved);
            }
        }
        t.drain_into(&mut moved);
        assert!(t.entries().next().is_none());
        for (p, c) in moved {
            merged.add_tallied(p, c);
        }
        let through: Counter<u16> = merged.entries().collect();
        assert_eq!(direct, through);
    }
}
