//! The simulator's own series: each interval's row counted directly from its packets with
//! the standard library's sets, maps (with foldhash's hasher) and sort — written apart from `aggregate`'s one-pass
//! machinery on purpose, so that `ntp aggregate` of a simulated capture can be checked
//! against it.

use std::collections::{HashMap, HashSet};

use foldhash::fast::RandomState;

use super::packets::{Packet, ACK, SYN};
type Row = [u64; COLUMNS];
use crate::series::table::{Column, COLUMNS};

/// Ethernet header bytes before the IP header.
pub const ETHERNET: u32 = 14;
/// Bytes captured of each packet (MAWI's header-only traces keep 96).
pub const SNAPLEN: u32 = 96;

/// A 5-tuple: family, addresses, protocol, ports (TCP/UDP only).
type FlowKey = (bool, u128, u128, u8, Option<(u16, u16)>);

/// Shannon entropy in bits of the counts (summed in count order: the same bits every run).
fn entropy<K>(counts: &HashMap<K, u64, RandomState>) -> f64 {
    let n: u64 = counts.values().sum();
    if n == 0 {
        return 0.0;
    }
    let mut c: Vec<u64> = counts.values().copied().collect();
    c.sort_unstable();
    let h: f64 = c
        .iter()
        .map(|&c| {
            let p = c as f64 / n as f64;
            -p * p.log2()
        })
        .sum();
    h.max(0.0)
}

/// A map with room for `n` keys, at most `cap`.
fn sized<K, V>(n: usize, cap: usize) -> HashMap<K, V, RandomState> {
    HashMap::with_capacity_and_hasher(n.min(cap), RandomState::default())
}

fn has_ports(p: &Packet) -> bool {
    p.protocol == 6 || p.protocol == 17
}

/// The row of one interval's packets (every column of a series table).
pub fn row(packets: &[Packet]) -> Row {
    let mut r = [0u64; COLUMNS];
    let mut add = |c: Column, v: u64| r[c.index()] += v;
    for p in packets {
        let size = p.size as u64;
        let wire = size + ETHERNET as u64;
        add(Column::IpBytes, size);
        add(Column::WireBytes, wire);
        add(Column::CapturedBytes, wire.min(SNAPLEN as u64));
        add(Column::Packets, 1);
        let (b, n) = match p.protocol {
            6 => (Column::TcpBytes, Column::TcpPackets),
            17 => (Column::UdpBytes, Column::UdpPackets),
            _ => (Column::OtherBytes, Column::OtherPackets),
        };
        add(b, size);
        add(n, 1);
        if p.v6 {
            add(Column::Ipv6Bytes, size);
            add(Column::Ipv6Packets, 1);
        }
        if p.protocol == 6 {
            let (syn, ack) = (p.flags & SYN != 0, p.flags & ACK != 0);
            add(Column::TcpSyn, (syn && !ack) as u64);
            add(Column::TcpSynack, (syn && ack) as u64);
            add(Column::TcpFin, (p.flags & 1) as u64);
            add(Column::TcpRst, ((p.flags >> 2) & 1) as u64);
        }
        if p.protocol == 1 || p.protocol == 58 {
            add(Column::IcmpPackets, 1);
            add(Column::IcmpBytes, size);
        }
    }
    let mut sizes: Vec<u32> = packets.iter().map(|p| p.size).collect();
    sizes.sort_unstable();
    if let Some(&max) = sizes.last() {
        let at = |q: f64| sizes[((sizes.len() - 1) as f64 * q).floor() as usize] as u64;
        r[Column::SizeP50.index()] = at(0.5);
        r[Column::SizeP95.index()] = at(0.95);
        r[Column::SizeMax.index()] = max as u64;
    }
    // Sized for the packets at once (growing them was a fifth of the count's time).
    let n = packets.len();
    let mut src: HashMap<(bool, u128), u64, RandomState> = sized(n, 1 << 16);
    let mut dst: HashMap<(bool, u128), u64, RandomState> = sized(n, 1 << 16);
    let mut sport: HashMap<u16, u64, RandomState> = sized(n, 1 << 16);
    let mut dport: HashMap<u16, u64, RandomState> = sized(n, 1 << 10);
    let mut flows: HashSet<FlowKey, RandomState> =
        HashSet::with_capacity_and_hasher(n, RandomState::default());
    for p in packets {
        *src.entry((p.v6, p.src)).or_default() += 1;
        *dst.entry((p.v6, p.dst)).or_default() += 1;
        let ports = has_ports(p).then_some((p.sport, p.dport));
        if let Some((s, d)) = ports {
            *sport.entry(s).or_default() += 1;
            *dport.entry(d).or_default() += 1;
        }
        flows.insert((p.v6, p.src, p.dst, p.protocol, ports));
    }
    r[Column::Sources.index()] = src.len() as u64;
    r[Column::Destinations.index()] = dst.len() as u64;
    r[Column::Flows.index()] = flows.len() as u64;
    let h = [
        entropy(&src),
        entropy(&dst),
        entropy(&sport),
        entropy(&dport),
    ];
    for (c, v) in Column::ENTROPIES.into_iter().zip(h) {
        r[c.index()] = v.to_bits();
    }
    r
}
