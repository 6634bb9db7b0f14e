//! Duplicate packets: a packet whose captured bytes equal those of one of the `window − 1`
//! packets before it is a duplicate (`editcap -D window`'s rule: every packet, duplicate or
//! not, enters the window). Packets are compared by their captured length and a 128-bit
//! digest of their bytes, seeded at random per pass.
//!
//! Chunks are counted in parallel, so a chunk cannot see the packets before it: its first
//! `window − 1` packets, when no packet of the chunk before them in it matches, are
//! **pending** — kept aside (copied) and judged by the merge, which holds the digests of
//! the last packets of the stream, in capture order. Exact across chunks and inputs (the
//! window runs on from one input into the next, as one stream).
//!
//! Without `--dedup`, the same test with editcap's default window (5) runs on the first
//! [`PROBE_SAMPLE`] packets of each chunk only, to warn of a capture with many duplicates
//! (a mirrored link, as MAWI had in 2015): a sample is enough for a warning.

use std::collections::VecDeque;

use crate::capture::RawPacket;

/// The window of the duplicate warning (editcap's `-d`).
pub const PROBE_WINDOW: usize = 5;

/// The warning's test looks at this many packets at the start of every chunk (a sample of
/// a few percent of a capture: hashing every packet cost a tenth of a pass).
pub const PROBE_SAMPLE: usize = 2048;

/// A packet's identity: its captured length and a digest of its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digest {
    len: u32,
    hash: u128,
}

impl Digest {
    pub fn of(data: &[u8], seed: u64) -> Digest {
        Digest {
            len: data.len() as u32,
            hash: xxhash_rust::xxh3::xxh3_128_with_seed(data, seed),
        }
    }
}

/// The digests of the last `keep` packets.
#[derive(Clone, Debug, Default)]
pub struct Recent {
    ring: VecDeque<Digest>,
    keep: usize,
}

impl Recent {
    /// The last `window − 1` packets (`window` as editcap's: the packet itself counts).
    pub fn new(window: usize) -> Recent {
        let keep = window.saturating_sub(1);
        Recent {
            ring: VecDeque::with_capacity(keep + 1),
            keep,
        }
    }

    /// Whether `d` equals one of the last `last` digests held.
    pub fn holds(&self, d: &Digest, last: usize) -> bool {
        let from = self.ring.len().saturating_sub(last);
        self.ring.range(from..).any(|x| x == d)
    }

    /// Whether `d` is a duplicate of a packet held; then remembers it.
    #[inline]
    pub fn check_and_push(&mut self, d: Digest) -> bool {
        let dup = self.ring.contains(&d);
        self.push(d);
        dup
    }

    pub fn push(&mut self, d: Digest) {
        if self.keep == 0 {
            return;
        }
        if self.ring.len() == self.keep {
            self.ring.pop_front();
        }
        self.ring.push_back(d);
    }

    /// How many packets the window looks back.
    pub fn keep(&self) -> usize {
        self.keep
    }

    /// The digests held, oldest first.
    pub fn digests(&self) -> impl Iterator<Item = &Digest> {
        self.ring.iter()
    }
}

/// A packet at a chunk's start that only the merge can judge, copied out of its chunk.
#[derive(Clone, Debug)]
pub struct Pending {
    /// Packets of its chunk before it (fewer than the window).
    pub position: usize,
    pub digest: Digest,
    pub ts_ns: i64,
    pub linktype: u32,
    pub wire_len: u32,
    pub data: Vec<u8>,
}

impl Pending {
    pub fn raw(&self) -> RawPacket<'_> {
        RawPacket {
            ts_ns: self.ts_ns,
            linktype: self.linktype,
            wire_len: self.wire_len,
            data: &self.data,
        }
    }
}

/// What deduplication asks of a chunk's pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dedup {
    /// Count duplicates within the chunk for the warning (editcap's default window).
    Probe,
    /// Drop duplicates within this window (`--dedup N`).
    Drop(usize),
}

/// A chunk's duplicate test, packet by packet.
pub struct ChunkDedup {
    pub mode: Dedup,
    recent: Recent,
    seed: u64,
    /// Packets seen in the chunk.
    position: usize,
    /// Duplicates found (dropped, or only counted when probing).
    pub duplicates: u64,
    pub pending: Vec<Pending>,
}

/// What the chunk's test says of a packet.
pub enum Verdict {
    Keep,
    Duplicate,
    /// Held for the merge (copied into `pending`).
    Pending,
}

impl ChunkDedup {
    pub fn new(mode: Dedup, seed: u64) -> ChunkDedup {
        let window = match mode {
            Dedup::Probe => PROBE_WINDOW,
            Dedup::Drop(w) => w,
        };
        ChunkDedup {
            mode,
            recent: Recent::new(window),
            seed,
            position: 0,
            duplicates: 0,
            pending: Vec::new(),
        }
    }

    /// Packets judged.
    pub fn judged(&self) -> u64 {
        self.position as u64
    }

    #[inline]
    pub fn judge(&mut self, p: &RawPacket<'_>) -> Verdict {
        if self.mode == Dedup::Probe && self.position >= PROBE_SAMPLE {
            return Verdict::Keep;
        }
        let d = Digest::of(p.data, self.seed);
        let position = self.position;
        self.position += 1;
        if self.recent.check_and_push(d) {
            self.duplicates += 1;
            return match self.mode {
                Dedup::Probe => Verdict::Keep,
                Dedup::Drop(_) => Verdict::Duplicate,
            };
        }
        match self.mode {
            Dedup::Drop(_) if position < self.recent.keep() => {
                self.pending.push(Pending {
                    position,
                    digest: d,
                    ts_ns: p.ts_ns,
                    linktype: p.linktype,
                    wire_len: p.wire_len,
                    data: p.data.to_vec(),
                });
                Verdict::Pending
            }
            _ => Verdict::Keep,
        }
    }

    /// The digests of the chunk's last packets (up to the window), oldest first.
    pub fn tail(&self) -> Vec<Digest> {
        self.recent.digests().copied().collect()
    }
}

/// The merge's side: the digests of the stream's last packets, in capture order.
pub struct StreamDedup {
    recent: Recent,
}

impl StreamDedup {
    pub fn new(window: usize) -> StreamDedup {
        StreamDedup {
            recent: Recent::new(window),
        }
    }

    /// The pending packets of a chunk that are not duplicates of the packets before their
    /// chunk; then the chunk's `tail` joins the window.
    pub fn settle(&mut self, pending: Vec<Pending>, tail: &[Digest]) -> (Vec<Pending>, u64) {
        let keep = self.recent.keep();
        let (kept, dups): (Vec<Pending>, Vec<Pending>) = pending
            .into_iter()
            .partition(|p| !self.recent.holds(&p.digest, keep - p.position));
        for d in tail {
            self.recent.push(*d);
        }
        (kept, dups.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(data: &[u8]) -> RawPacket<'_> {
        RawPacket {
            ts_ns: 0,
            linktype: 1,
            wire_len: data.len() as u32,
            data,
        }
    }

    /// editcap's rule on one list: a packet equal to one of the `window − 1` before it.
    fn editcap(packets: &[Vec<u8>], window: usize) -> Vec<bool> {
        (0..packets.len())
            .map(|i| (i.saturating_sub(window - 1)..i).any(|j| packets[j] == packets[i]))
            .collect()
    }

    #[test]
    fn chunks_and_the_merge_together_follow_editcaps_rule() {
        let mut x = 5u64;
        let packets: Vec<Vec<u8>> = (0..3000)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                vec![(x >> 60) as u8; 1 + (x >> 62) as usize]
            })
            .collect();
        for window in [2, 3, 5, 17] {
            let want = editcap(&packets, window);
            for chunk in [1, 2, 3, 7, 100, 5000] {
                let mut stream = StreamDedup::new(window);
                let mut got = vec![false; packets.len()];
                for (c, part) in packets.chunks(chunk).enumerate() {
                    let mut d = ChunkDedup::new(Dedup::Drop(window), 42);
                    for (i, p) in part.iter().enumerate() {
                        if let Verdict::Duplicate = d.judge(&raw(p)) {
                            got[c * chunk + i] = true;
                        }
                    }
                    let tail = d.tail();
                    let pending = std::mem::take(&mut d.pending);
                    let positions: Vec<usize> = pending.iter().map(|p| p.position).collect();
                    let (kept, _) = stream.settle(pending, &tail);
                    for pos in positions {
                        if !kept.iter().any(|k| k.position == pos) {
                            got[c * chunk + pos] = true;
                        }
                    }
                }
                assert_eq!(got, want, "window {window}, chunks of {chunk}");
            }
        }
    }
}
