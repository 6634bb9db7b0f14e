//! Packets and bytes per address as sorted runs: a counting thread pushes every packet's
//! (address, size) as it comes (a write to the end of a vector), then sorts each
//! interval's pushes once at the end of its chunk (a radix sort for IPv4) and sums each
//! address's packets into one entry. The merge keeps an interval's runs and merges them
//! in key order when the interval closes, or when more than [`MAX_RUNS`] pile up (so
//! memory follows the addresses of the interval, not its chunks).
//!
//! Written this way instead of counting into hash maps, because a map of an interval's
//! ~10⁴–10⁵ addresses does not stay in cache: one miss per packet on the counting threads,
//! and one per address per chunk on the single merging thread. Measured on the benchmark
//! trace (4.8 M packets): see `docs/performance.md`.

use super::features::Tallied;

/// An interval's packets and bytes per key, in key order, each key once.
pub type Run<K> = Vec<(K, Tallied)>;

/// Runs an interval keeps before they are merged into one.
pub const MAX_RUNS: usize = 8;

/// Sums sorted (key, size) pushes into a run.
fn combine<K: Copy + Eq>(sorted: &[(K, u32)]) -> Run<K> {
    let mut run: Run<K> = Vec::new();
    for &(k, size) in sorted {
        match run.last_mut() {
            Some((last, t)) if *last == k => {
                t.packets += 1;
                t.bytes += size as u64;
            }
            _ => run.push((
                k,
                Tallied {
                    packets: 1,
                    bytes: size as u64,
                },
            )),
        }
    }
    run
}

/// The run of a chunk's IPv4 pushes (emptied).
pub fn run_of_v4(pushes: &mut Vec<(u32, u32)>) -> Run<u32> {
    radsort::sort_by_key(pushes, |e| e.0);
    let run = combine(pushes);
    pushes.clear();
    run
}

/// The run of a chunk's IPv6 pushes (emptied).
pub fn run_of_v6(pushes: &mut Vec<(u128, u32)>) -> Run<u128> {
    pushes.sort_unstable_by_key(|e| e.0);
    let run = combine(pushes);
    pushes.clear();
    run
}

/// Two runs merged into one (linear: both are in key order).
pub fn merge<K: Ord + Copy>(a: &[(K, Tallied)], b: &[(K, Tallied)]) -> Run<K> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                let (x, y) = (a[i].1, b[j].1);
                out.push((
                    a[i].0,
                    Tallied {
                        packets: x.packets + y.packets,
                        bytes: x.bytes + y.bytes,
                    },
                ));
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// An interval's runs of one field.
pub struct Runs<K> {
    runs: Vec<Run<K>>,
}

impl<K> Default for Runs<K> {
    fn default() -> Self {
        Runs { runs: Vec::new() }
    }
}

impl<K: Ord + Copy> Runs<K> {
    pub fn push(&mut self, run: Run<K>) {
        if run.is_empty() {
            return;
        }
        self.runs.push(run);
        if self.runs.len() > MAX_RUNS {
            self.compact();
        }
    }

    /// Merges the runs into one (smallest first, pairwise) and returns it.
    pub fn compact(&mut self) -> &Run<K> {
        while self.runs.len() > 1 {
            self.runs
                .sort_unstable_by_key(|r| std::cmp::Reverse(r.len()));
            let (a, b) = (self.runs.pop().expect("two"), self.runs.pop().expect("two"));
            self.runs.push(merge(&a, &b));
        }
        if self.runs.is_empty() {
            self.runs.push(Vec::new());
        }
        &self.runs[0]
    }

    /// The runs merged into one, taken out (the interval is closing).
    pub fn take_all(&mut self) -> Run<K> {
        self.compact();
        self.runs.pop().unwrap_or_default()
    }

    pub fn clear(&mut self) {
        self.runs.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn runs_merged_in_any_grouping_count_what_a_map_counts() {
        let mut x = 11u64;
        let mut want: BTreeMap<u32, Tallied> = BTreeMap::new();
        let mut runs: Runs<u32> = Runs::default();
        for chunk in 0..30 {
            let mut pushes: Vec<(u32, u32)> = (0..chunk * 97)
                .map(|_| {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                    (
                        ((x >> 40) % 300) as u32 * 1_000_003,
                        (x >> 20) as u32 % 1500,
                    )
                })
                .collect();
            for &(k, s) in &pushes {
                let t = want.entry(k).or_default();
                t.packets += 1;
                t.bytes += s as u64;
            }
            runs.push(run_of_v4(&mut pushes));
            assert!(pushes.is_empty());
        }
        let got: BTreeMap<u32, Tallied> = runs.compact().iter().copied().collect();
        assert_eq!(got, want);
        assert!(runs.compact().windows(2).all(|w| w[0].0 < w[1].0));
        let mut v6 = vec![(5u128 << 90, 10), (1, 20), (5u128 << 90, 30)];
        let run = run_of_v6(&mut v6);
        assert_eq!(run.len(), 2);
        assert_eq!((run[0].0, run[1].1.packets, run[1].1.bytes), (1, 2, 40));
    }
}
