//! One interval's keys and what they give when it closes: its addresses (pushed per
//! packet, sorted into runs per chunk, merged per interval: [`runs`]), its ports (dense
//! tables), the exact flow sets, and the row of the series table (sums, size quantiles, distinct counts,
//! entropies) with the interval's heavy hitters.

use super::features::{entropy, PortTable, SizeStats, SizeTable, Tallied};
use super::runs::{self, Run, Runs};
use super::top::{self, Field, TopRow};
use crate::decode::{Addrs, IpPacket};
use crate::series::closed::Row;
use crate::series::distinct::Distinct;
use crate::series::table::{Column, COLUMNS, SUMS};

/// An IPv6 5-tuple: addresses, then ports, protocol and whether ports are known.
pub type Flow6 = (u128, u128, u64);

/// A chunk's addresses of one interval: every packet's (address, IP size) pushed as it
/// comes, then sorted into runs at the end of the chunk ([`runs`]).
#[derive(Default)]
pub struct Pushed {
    pub src4: Vec<(u32, u32)>,
    pub dst4: Vec<(u32, u32)>,
    pub src6: Vec<(u128, u32)>,
    pub dst6: Vec<(u128, u32)>,
    /// The pushes sorted and summed (filled by [`Pushed::sort`]).
    pub runs: AddressRuns<Run<u32>, Run<u128>>,
}

/// Per source and destination, IPv4 and IPv6 apart: a chunk's runs, or an interval's.
#[derive(Default)]
pub struct AddressRuns<V4, V6> {
    pub src4: V4,
    pub dst4: V4,
    pub src6: V6,
    pub dst6: V6,
}

impl Pushed {
    #[inline]
    fn add(&mut self, addrs: &Addrs, size: u32) {
        match *addrs {
            Addrs::V4(a, b) => {
                self.src4.push((u32::from_be_bytes(a), size));
                self.dst4.push((u32::from_be_bytes(b), size));
            }
            Addrs::V6(a, b) => {
                self.src6.push((u128::from_be_bytes(a), size));
                self.dst6.push((u128::from_be_bytes(b), size));
            }
        }
    }

    /// Sorts the pushes into runs (on the counting thread).
    pub fn sort(&mut self) {
        self.runs = AddressRuns {
            src4: runs::run_of_v4(&mut self.src4),
            dst4: runs::run_of_v4(&mut self.dst4),
            src6: runs::run_of_v6(&mut self.src6),
            dst6: runs::run_of_v6(&mut self.dst6),
        };
    }

    fn clear(&mut self) {
        self.src4.clear();
        self.dst4.clear();
        self.src6.clear();
        self.dst6.clear();
        self.runs = AddressRuns::default();
    }
}

/// An interval's address runs.
type Addresses = AddressRuns<Runs<u32>, Runs<u128>>;

impl Addresses {
    /// Takes a chunk's runs (a copy of them unless `take`).
    fn take(&mut self, o: &mut Pushed, take: bool) {
        let r = match take {
            true => std::mem::take(&mut o.runs),
            false => AddressRuns {
                src4: o.runs.src4.clone(),
                dst4: o.runs.dst4.clone(),
                src6: o.runs.src6.clone(),
                dst6: o.runs.dst6.clone(),
            },
        };
        self.src4.push(r.src4);
        self.dst4.push(r.dst4);
        self.src6.push(r.src6);
        self.dst6.push(r.dst6);
    }

    fn clear(&mut self) {
        self.src4.clear();
        self.dst4.clear();
        self.src6.clear();
        self.dst6.clear();
    }
}

/// Distinct keys and entropy of the packet counts of an IPv4 and an IPv6 run.
fn distinct_and_entropy(v4: &Run<u32>, v6: &Run<u128>) -> (u64, f64) {
    let p6 = v6.iter().map(|e| e.1.packets);
    let h = entropy(v4.iter().map(|e| e.1.packets).chain(p6));
    ((v4.len() + v6.len()) as u64, h)
}

/// A counting thread's dense tables of sizes and ports for the interval it is counting
/// (moved into the interval's [`Keys`] when the packets move to another interval).
#[derive(Default)]
pub struct Combiners {
    sizes: SizeTable,
    src_port: PortTable,
    dst_port: PortTable,
}

impl Combiners {
    /// Counts one packet's size here.
    #[inline]
    pub fn add_size(&mut self, size: u32) {
        self.sizes.add(size);
    }

    /// Counts one packet's addresses into `to`, its ports here.
    #[inline]
    pub fn add_keys(&mut self, ip: &IpPacket, size: u64, to: &mut Keys) {
        to.addrs.add(&ip.addrs, size as u32);
        if let Some((s, d)) = ip.ports {
            self.src_port.add(s, size);
            self.dst_port.add(d, size);
        }
    }

    /// Moves the sizes and ports counted to `to` and empties the tables.
    pub fn flush(&mut self, to: &mut Keys) {
        self.sizes.drain_into(&mut to.size_counts);
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
    /// (IP size, packets) pairs; a size may come in several pairs.
    pub size_counts: Vec<(u32, u64)>,
    pub addrs: Pushed,
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
        self.size_counts.clear();
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

    /// Adds a chunk's keys, taking its address runs (`take`) or a copy of them (the
    /// keys of an interval closed on its counting thread may still be merged, when an
    /// earlier chunk opened the interval).
    pub fn merge(&mut self, o: &mut Keys, take: bool) {
        for (a, b) in self.sums.iter_mut().zip(o.sums) {
            *a += b;
        }
        self.sizes.extend(&o.size_counts);
        self.addrs.take(&mut o.addrs, take);
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
        let a = &mut self.addrs;
        let (src4, src6) = (a.src4.take_all(), a.src6.take_all());
        let (dst4, dst6) = (a.dst4.take_all(), a.dst6.take_all());
        let (sources, src) = distinct_and_entropy(&src4, &src6);
        let (destinations, dst) = distinct_and_entropy(&dst4, &dst6);
        r[Column::Sources.index()] = sources;
        r[Column::Destinations.index()] = destinations;
        r[Column::Flows.index()] = (self.flows4.len() + self.flows6.len()) as u64;
        let ports = |t: &PortTable| entropy(t.entries().map(|e| e.1.packets));
        let entropies = [src, dst, ports(&self.src_ports), ports(&self.dst_ports)];
        for (c, h) in Column::ENTROPIES.into_iter().zip(entropies) {
            r[c.index()] = h.to_bits();
        }
        let start = k.saturating_mul(with.every_ns);
        self.top(start, with.top, [(&src4, &src6), (&dst4, &dst6)], top);
        r
    }

    /// The interval's heavy-hitter rows.
    fn top(
        &self,
        start_ns: i64,
        k: usize,
        addrs: [(&Run<u32>, &Run<u128>); 2],
        out: &mut Vec<TopRow>,
    ) {
        if k == 0 {
            return;
        }
        let [(src4, src6), (dst4, dst6)] = addrs;
        top::rows_of(start_ns, Field::Source, top::addresses(src4, src6), k, out);
        top::rows_of(
            start_ns,
            Field::Destination,
            top::addresses(dst4, dst6),
            k,
            out,
        );
        let ports = top::ports(self.dst_ports.entries());
        top::rows_of(start_ns, Field::DstPort, ports, k, out);
    }
}
