//! One interval's keys and what they give when it closes: the counters of addresses
//! ([`Addresses`], kept per chunk and per interval being merged), of ports, the exact flow
//! sets, and the row of the series table (sums, size quantiles, distinct counts,
//! entropies) with the interval's heavy hitters.

use super::features::{count, entropy, merge_into, Counter, PortTable, SizeStats, Tallied};
use super::top::{self, Field, TopRow};
use crate::decode::{Addrs, IpPacket};
use crate::series::closed::Row;
use crate::series::distinct::Distinct;
use crate::series::table::{Column, COLUMNS, SUMS};

/// An IPv6 5-tuple: addresses, then ports, protocol and whether ports are known.
pub type Flow6 = (u128, u128, u64);

/// Packets and bytes per source and destination address (IPv4 and IPv6 apart).
#[derive(Default)]
pub struct Addresses {
    pub src4: Counter<u32>,
    pub dst4: Counter<u32>,
    pub src6: Counter<u128>,
    pub dst6: Counter<u128>,
}

/// A map left far larger than what it held is replaced when cleared: after one busy
/// interval, a sparse series would otherwise clear a large table for every few keys.
fn clear_counter<K>(c: &mut Counter<K>) {
    if c.capacity() > 4096 && c.len() * 8 < c.capacity() {
        *c = Counter::with_capacity_and_hasher(c.len(), Default::default());
    } else {
        c.clear();
    }
}

impl Addresses {
    #[inline]
    fn add(&mut self, addrs: &Addrs, size: u64) {
        match *addrs {
            Addrs::V4(a, b) => {
                count(&mut self.src4, u32::from_be_bytes(a), size);
                count(&mut self.dst4, u32::from_be_bytes(b), size);
            }
            Addrs::V6(a, b) => {
                count(&mut self.src6, u128::from_be_bytes(a), size);
                count(&mut self.dst6, u128::from_be_bytes(b), size);
            }
        }
    }

    fn merge(&mut self, o: &Addresses) {
        merge_into(&mut self.src4, &o.src4);
        merge_into(&mut self.dst4, &o.dst4);
        merge_into(&mut self.src6, &o.src6);
        merge_into(&mut self.dst6, &o.dst6);
    }

    fn clear(&mut self) {
        clear_counter(&mut self.src4);
        clear_counter(&mut self.dst4);
        clear_counter(&mut self.src6);
        clear_counter(&mut self.dst6);
    }

    /// Source and destination address entropies (bits).
    fn entropies(&self) -> [f64; 2] {
        let addrs = |v4: &Counter<u32>, v6: &Counter<u128>| {
            let p6 = v6.values().map(|t| t.packets);
            entropy(v4.values().map(|t| t.packets).chain(p6))
        };
        [addrs(&self.src4, &self.src6), addrs(&self.dst4, &self.dst6)]
    }
}

/// A counting thread's port tables for the interval it is counting (moved into the
/// interval's [`Keys`] when the packets move to another interval).
#[derive(Default)]
pub struct Combiners {
    src_port: PortTable,
    dst_port: PortTable,
}

impl Combiners {
    /// Counts one packet's addresses into `to`, its ports here.
    #[inline]
    pub fn add(&mut self, ip: &IpPacket, size: u64, to: &mut Keys) {
        to.addrs.add(&ip.addrs, size);
        if let Some((s, d)) = ip.ports {
            self.src_port.add(s, size);
            self.dst_port.add(d, size);
        }
    }

    /// Moves the ports counted to `to` and empties the tables.
    pub fn flush(&mut self, to: &mut Keys) {
        self.src_port.drain_into(&mut to.src_ports);
        self.dst_port.drain_into(&mut to.dst_ports);
    }
}

/// One interval being merged: sums, sizes, address counters, port tables and the exact
/// flow sets.
#[derive(Default)]
pub struct Interval {
    pub sums: [u64; SUMS],
    pub sizes: SizeStats,
    pub addrs: Addresses,
    pub src_ports: PortTable,
    pub dst_ports: PortTable,
    pub flows4: Distinct<u128>,
    pub flows6: Distinct<Flow6>,
}

/// What the chunks bring to an interval: the same, with sizes, ports and flows as lists.
#[derive(Default)]
pub struct Keys {
    pub sums: [u64; SUMS],
    pub sizes: Vec<u32>,
    pub addrs: Addresses,
    pub src_ports: Vec<(u16, Tallied)>,
    pub dst_ports: Vec<(u16, Tallied)>,
    pub flows4: Vec<u128>,
    pub flows6: Vec<Flow6>,
    /// The interval closed by the counting thread when it lies wholly inside its chunk
    /// (see `chunk::count_inner`).
    pub counted: Option<Box<Closing>>,
}

/// A closed interval: its row and heavy hitters.
pub struct Closing {
    pub row: Row,
    pub top: Vec<TopRow>,
}

impl Keys {
    pub fn clear(&mut self) {
        self.sums = [0; SUMS];
        self.sizes.clear();
        self.addrs.clear();
        self.src_ports.clear();
        self.dst_ports.clear();
        self.flows4.clear();
        self.flows6.clear();
        self.counted = None;
    }
}

/// What closing an interval gives, beyond sums.
#[derive(Clone, Copy, Debug)]
pub struct CloseWith {
    /// Whether the keyed columns are counted.
    pub distinct: bool,
    /// Heavy hitters per field and measure (0: none).
    pub top: usize,
    pub every_ns: i64,
}

impl Interval {
    /// An interval whose flow sets hold `flows` keys before they grow.
    pub fn with_flows(flows: [usize; 2]) -> Interval {
        Interval {
            flows4: Distinct::with_capacity(flows[0]),
            flows6: Distinct::with_capacity(flows[1]),
            ..Interval::default()
        }
    }

    pub fn merge(&mut self, o: &Keys) {
        for (a, b) in self.sums.iter_mut().zip(o.sums) {
            *a += b;
        }
        self.sizes.extend(&o.sizes);
        self.addrs.merge(&o.addrs);
        for &(p, t) in &o.src_ports {
            self.src_ports.add_tallied(p, t);
        }
        for &(p, t) in &o.dst_ports {
            self.dst_ports.add_tallied(p, t);
        }
        self.flows4.extend(&o.flows4);
        self.flows6.extend(&o.flows6);
    }

    /// Flow-set sizes, the capacity the next interval's sets start at.
    pub fn flow_hints(&self) -> [usize; 2] {
        [self.flows4.len(), self.flows6.len()]
    }

    /// Empties the interval for the next one.
    pub fn clear(&mut self) {
        self.sums = [0; SUMS];
        self.sizes.clear();
        self.addrs.clear();
        self.src_ports.clear();
        self.dst_ports.clear();
        self.flows4.clear();
        self.flows6.clear();
    }

    /// The row of interval `k`; its heavy hitters are appended to `top`.
    pub fn close(&mut self, k: i64, with: CloseWith, top: &mut Vec<TopRow>) -> Row {
        let mut r = [0u64; COLUMNS];
        r[..SUMS].copy_from_slice(&self.sums);
        let s = self.sizes.summary();
        r[Column::SizeP50.index()] = s.p50;
        r[Column::SizeP95.index()] = s.p95;
        r[Column::SizeMax.index()] = s.max;
        if !with.distinct {
            return r;
        }
        let a = &self.addrs;
        r[Column::Sources.index()] = (a.src4.len() + a.src6.len()) as u64;
        r[Column::Destinations.index()] = (a.dst4.len() + a.dst6.len()) as u64;
        r[Column::Flows.index()] = (self.flows4.len() + self.flows6.len()) as u64;
        let ports = |t: &PortTable| entropy(t.entries().map(|e| e.1.packets));
        let [src, dst] = a.entropies();
        let entropies = [src, dst, ports(&self.src_ports), ports(&self.dst_ports)];
        for (c, h) in Column::ENTROPIES.into_iter().zip(entropies) {
            r[c.index()] = h.to_bits();
        }
        self.top(k.saturating_mul(with.every_ns), with.top, top);
        r
    }

    /// The interval's heavy-hitter rows.
    fn top(&self, start_ns: i64, k: usize, out: &mut Vec<TopRow>) {
        let a = &self.addrs;
        let src = || top::addresses(&a.src4, &a.src6);
        let dst = || top::addresses(&a.dst4, &a.dst6);
        let ports = || top::ports(self.dst_ports.entries());
        top::rows_of(start_ns, Field::Source, src, k, out);
        top::rows_of(start_ns, Field::Destination, dst, k, out);
        top::rows_of(start_ns, Field::DstPort, ports, k, out);
    }
}
