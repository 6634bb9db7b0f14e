//! The packets of one simulated interval, drawn from the model: hosts of Zipf(1)
//! popularity (a tenth of them IPv6), TCP/UDP/ICMP, well-known destination ports, a
//! bimodal size mix, TCP flags; the events add or remove packets of their own kind. Each
//! interval has its own random stream (from the seed and its index), so intervals can be
//! drawn in parallel and the same seed always gives the same packets.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::model::{Event, EventKind};

/// One simulated packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet {
    pub ts_ns: i64,
    pub v6: bool,
    /// IPv4 addresses in the low 32 bits.
    pub src: u128,
    pub dst: u128,
    pub protocol: u8,
    pub sport: u16,
    pub dport: u16,
    /// TCP flags (0 for other protocols).
    pub flags: u8,
    /// IP length: IPv4 total length, or IPv6 payload + 40.
    pub size: u32,
    /// Makes every packet's bytes unique (IP identification / TCP sequence).
    pub serial: u32,
}

pub const SYN: u8 = 0x02;
pub const ACK: u8 = 0x10;
const FIN: u8 = 0x01;
const RST: u8 = 0x04;

/// Popularity of the hosts: a cumulative Zipf(1) table over `HOSTS` ranks, and a guide
/// table (Chen and Asau 1974) that narrows its bisection to the entries between
/// `g/GUIDE` and `(g+1)/GUIDE` — the bisection over all 20 000 was a fifth of the
/// simulator's time; the ranks drawn are the same.
pub struct Hosts {
    cdf: Vec<f64>,
    /// `guide[g]`: how many entries of `cdf` are below `g / GUIDE` (`GUIDE + 1` of them).
    guide: Vec<u32>,
}

/// Cells of the guide table (a power of two: `u · GUIDE` is exact).
const GUIDE: usize = 1 << 16;

/// Hosts of the normal traffic, unless asked otherwise.
pub const HOSTS: usize = 20_000;

impl Default for Hosts {
    fn default() -> Self {
        Hosts::new(HOSTS)
    }
}

impl Hosts {
    /// Zipf(1) popularity over `n` (≥ 1) hosts.
    pub fn new(n: usize) -> Hosts {
        let n = n.max(1);
        let mut cdf = Vec::with_capacity(n);
        let mut s = 0.0;
        for r in 1..=n {
            s += 1.0 / r as f64;
            cdf.push(s);
        }
        let total = s;
        cdf.iter_mut().for_each(|c| *c /= total);
        let guide = (0..=GUIDE)
            .map(|g| cdf.partition_point(|c| *c < g as f64 / GUIDE as f64) as u32)
            .collect();
        Hosts { cdf, guide }
    }

    /// How many entries of the cumulative table are below `u` (in [0, 1)).
    fn rank(&self, u: f64) -> usize {
        let g = ((u * GUIDE as f64) as usize).min(GUIDE - 1);
        let (lo, hi) = (self.guide[g] as usize, self.guide[g + 1] as usize);
        lo + self.cdf[lo..hi].partition_point(|c| *c < u)
    }

    /// A host: (is IPv6, address). Every tenth rank is an IPv6 host.
    fn draw(&self, rng: &mut StdRng) -> (bool, u128) {
        let u: f64 = rng.random();
        let r = self.rank(u).min(self.cdf.len() - 1) as u32;
        if r % 10 == 9 {
            (
                true,
                0x2001_0db8_0000_0000_0000_0000_0000_0000u128 | r as u128,
            )
        } else {
            // 10.0.0.0/8 inside, the busiest ranks; the rest 198.18.0.0/15 and beyond.
            (false, (0x0a00_0000u32 + r) as u128)
        }
    }
}

/// Destination ports of the normal traffic, by weight.
const PORTS: [(u16, u32); 8] = [
    (443, 50),
    (80, 15),
    (53, 10),
    (22, 3),
    (25, 2),
    (123, 3),
    (8080, 4),
    (3389, 1),
];

fn port(rng: &mut StdRng) -> u16 {
    let total: u32 = PORTS.iter().map(|p| p.1).sum::<u32>() + 12;
    let mut u = rng.random_range(0..total);
    for (p, w) in PORTS {
        if u < w {
            return p;
        }
        u -= w;
    }
    rng.random_range(1024..=65535)
}

/// A normal packet.
fn normal(rng: &mut StdRng, hosts: &Hosts) -> Packet {
    let (v6, src) = hosts.draw(rng);
    let (_, mut dst) = hosts.draw(rng);
    if v6 {
        dst |= 0x2001_0db8_0000_0000_0000_0000_0000_0000u128;
        dst |= 1 << 64;
    } else {
        dst &= 0xffff_ffff;
    }
    let head: u32 = if v6 { 40 } else { 20 };
    let kind = rng.random_range(0..100);
    let (protocol, sport, dport, flags, size) = if kind < 80 {
        let flags = match rng.random_range(0..100) {
            0..=2 => SYN,
            3..=5 => SYN | ACK,
            6..=8 => FIN | ACK,
            9 => RST,
            _ => ACK,
        };
        let size = match rng.random_range(0..10) {
            0..=3 => head + 20,
            4 => head + 32,
            5..=8 => 1500,
            _ => rng.random_range(head + 40..1400),
        };
        (6, rng.random_range(1024..=65535), port(rng), flags, size)
    } else if kind < 96 {
        let size = rng.random_range(head + 8 + 20..head + 8 + 500);
        (17, rng.random_range(1024..=65535), port(rng), 0, size)
    } else {
        let protocol = if v6 { 58 } else { 1 };
        (protocol, 0, 0, 0, rng.random_range(head + 8..head + 64))
    };
    Packet {
        ts_ns: 0,
        v6,
        src,
        dst,
        protocol,
        sport,
        dport,
        flags,
        size,
        serial: 0,
    }
}

/// A packet of an event, from its per-event addresses.
fn of_event(rng: &mut StdRng, kind: EventKind, id: u32) -> Packet {
    let base = Packet {
        ts_ns: 0,
        v6: false,
        src: 0,
        dst: 0,
        protocol: 6,
        sport: rng.random_range(1024..=65535),
        dport: 80,
        flags: SYN,
        size: 40,
        serial: 0,
    };
    let victim = (0x0a00_0001u32 + id) as u128;
    match kind {
        // Spoofed sources anywhere in 100.64.0.0/10, SYNs to one web server.
        EventKind::Flood => Packet {
            src: (0x6440_0000u32 | rng.random_range(0..0x40_0000)) as u128,
            dst: victim,
            ..base
        },
        // One scanner, SYNs to every address of a /16, ssh and smb.
        EventKind::Scan => Packet {
            src: (0xc633_6400u32 + id) as u128,
            dst: (0x0a64_0000u32 | rng.random_range(0..0x1_0000)) as u128,
            dport: if rng.random_bool(0.5) { 22 } else { 445 },
            ..base
        },
        // New clients of one HTTPS server.
        _ => Packet {
            src: (0x6440_0000u32 | rng.random_range(0..0x4000)) as u128,
            dst: victim,
            dport: 443,
            flags: ACK,
            size: if rng.random_bool(0.5) { 1500 } else { 52 },
            ..base
        },
    }
}

/// The packets of interval `i` (`n` normal ones before events), in time order, stamped
/// within `[start_ns, start_ns + every_ns)`.
pub fn interval(
    seed: u64,
    i: usize,
    start_ns: i64,
    every_ns: i64,
    n: f64,
    events: &[Event],
    hosts: &Hosts,
) -> Vec<Packet> {
    let mut rng = StdRng::seed_from_u64(seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut normal_n = n;
    let mut extra: Vec<(EventKind, f64, u32)> = Vec::new();
    for (id, e) in events.iter().enumerate() {
        let inside = (e.start..e.end).contains(&i);
        match e.kind {
            EventKind::Outage if inside => normal_n *= e.magnitude,
            EventKind::LevelShift if i >= e.start => normal_n *= e.magnitude,
            EventKind::Flood | EventKind::Scan if inside => {
                extra.push((e.kind, n * e.magnitude, id as u32))
            }
            EventKind::FlashCrowd if inside => {
                // A triangle over the event: up, then down.
                let pos = (i - e.start) as f64 / (e.end - e.start) as f64;
                let shape = 1.0 - (2.0 * pos - 1.0).abs();
                extra.push((e.kind, n * e.magnitude * (0.3 + shape), id as u32))
            }
            _ => {}
        }
    }
    let count = |x: f64, rng: &mut StdRng| (x + rng.random::<f64>()).floor().max(0.0) as usize;
    let mut out: Vec<Packet> = Vec::new();
    let k = count(normal_n, &mut rng);
    out.extend((0..k).map(|_| normal(&mut rng, hosts)));
    for (kind, x, id) in extra {
        let k = count(x, &mut rng);
        out.extend((0..k).map(|_| of_event(&mut rng, kind, id)));
    }
    let mut stamps: Vec<i64> = (0..out.len())
        .map(|_| start_ns + rng.random_range(0..every_ns))
        .collect();
    stamps.sort_unstable();
    // Events' packets are mixed into the interval: shuffle before stamping.
    for j in (1..out.len()).rev() {
        out.swap(j, rng.random_range(0..=j));
    }
    for (j, (p, t)) in out.iter_mut().zip(stamps).enumerate() {
        p.ts_ns = t;
        p.serial = (i as u32).wrapping_mul(7_919).wrapping_add(j as u32);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guide_table_gives_the_ranks_of_a_whole_bisection() {
        let h = Hosts::default();
        let mut rng = StdRng::seed_from_u64(5);
        let mut us: Vec<f64> = (0..100_000).map(|_| rng.random()).collect();
        us.extend(h.cdf.iter().copied());
        us.extend([0.0, 0.5, 1.0 - f64::EPSILON, h.cdf[0], h.cdf[1] - 1e-17]);
        for u in us {
            assert_eq!(h.rank(u), h.cdf.partition_point(|c| *c < u), "{u}");
        }
    }
}
