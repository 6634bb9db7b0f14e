//! Packet counts per transport type and size, for each way of measuring a packet (IP,
//! wire, captured length): what Figure 1 of the study draws, kept beside a series table so
//! `analyze` needs no per-packet table. Written as a small long-format Parquet table:
//! `type, size_kind, size, packets` (non-zero rows only).

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

use super::SizeKind;
use crate::analysis::histogram::Histogram;
use crate::dataset::writer::ParquetSink;
use crate::error::{Error, Result};

/// Sizes below this are counted in arrays, larger ones in a map.
const DENSE: usize = 2048;
const TYPES: [&str; 3] = ["TCP", "UDP", "Other"];
const KINDS: [SizeKind; 3] = [SizeKind::Ip, SizeKind::Wire, SizeKind::Captured];

/// Packet counts per (type, size kind, size).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sizes {
    dense: Vec<u64>,
    sparse: BTreeMap<(u8, u8, u32), u64>,
}

impl Default for Sizes {
    fn default() -> Self {
        Sizes {
            dense: vec![0; TYPES.len() * KINDS.len() * DENSE],
            sparse: BTreeMap::new(),
        }
    }
}

/// Index of a `Type` value (TCP 0, UDP 1, other 2) for an IP protocol number.
pub fn type_index(protocol: u8) -> usize {
    match protocol {
        6 => 0,
        17 => 1,
        _ => 2,
    }
}

impl Sizes {
    /// Counts one packet of type `t` with its IP, wire and captured sizes.
    #[inline]
    pub fn add(&mut self, t: usize, sizes: [u32; 3]) {
        for (k, s) in sizes.into_iter().enumerate() {
            if (s as usize) < DENSE {
                self.dense[(t * KINDS.len() + k) * DENSE + s as usize] += 1;
            } else {
                *self.sparse.entry((t as u8, k as u8, s)).or_default() += 1;
            }
        }
    }

    /// Counts one packet of type `t` measured one way only (a per-packet table's chosen size).
    #[inline]
    pub fn add_one(&mut self, t: usize, kind: SizeKind, size: u32) {
        let k = KINDS.iter().position(|x| *x == kind).expect("listed");
        if (size as usize) < DENSE {
            self.dense[(t * KINDS.len() + k) * DENSE + size as usize] += 1;
        } else {
            *self.sparse.entry((t as u8, k as u8, size)).or_default() += 1;
        }
    }

    pub fn merge(&mut self, o: &Sizes) {
        for (a, b) in self.dense.iter_mut().zip(&o.dense) {
            *a += b;
        }
        for (k, v) in &o.sparse {
            *self.sparse.entry(*k).or_default() += v;
        }
    }

    /// Every non-zero count as (type, kind, size, packets), in that order.
    fn entries(&self) -> Vec<(usize, usize, u32, u64)> {
        let mut all: BTreeMap<(usize, usize, u32), u64> = BTreeMap::new();
        for (i, &n) in self.dense.iter().enumerate().filter(|(_, n)| **n > 0) {
            let (tk, s) = (i / DENSE, i % DENSE);
            all.insert((tk / KINDS.len(), tk % KINDS.len(), s as u32), n);
        }
        for (&(t, k, s), &n) in &self.sparse {
            all.insert((t as usize, k as usize, s), n);
        }
        all.into_iter().map(|((t, k, s), n)| (t, k, s, n)).collect()
    }

    /// The histogram `analyze` draws: TCP and UDP counts per `kind` size up to `max_size`, or
    /// up to the largest TCP/UDP size seen when that is smaller (a large `max_size` costs
    /// nothing).
    pub fn histogram(&self, kind: SizeKind, max_size: u32) -> Histogram {
        let k = KINDS.iter().position(|x| *x == kind).expect("listed");
        let entries = self.entries();
        let largest = entries
            .iter()
            .filter(|e| e.1 == k && e.0 <= 1)
            .map(|e| e.2)
            .max()
            .unwrap_or(0);
        let len = max_size.min(largest) as usize + 1;
        let mut h = Histogram {
            tcp: vec![0; len],
            udp: vec![0; len],
            larger: 0,
        };
        for (t, kk, s, n) in entries {
            if kk != k || t > 1 {
                continue;
            }
            let counts = if t == 0 { &mut h.tcp } else { &mut h.udp };
            match counts.get_mut(s as usize) {
                Some(c) => *c += n,
                None => h.larger += n,
            }
        }
        h
    }

    pub fn write(&self, dest: &Path) -> Result<()> {
        let e = self.entries();
        let df = df!(
            "type" => e.iter().map(|x| TYPES[x.0]).collect::<Vec<_>>(),
            "size_kind" => e.iter().map(|x| KINDS[x.1].name()).collect::<Vec<_>>(),
            "size" => e.iter().map(|x| x.2).collect::<Vec<_>>(),
            "packets" => e.iter().map(|x| x.3).collect::<Vec<_>>(),
        )
        .map_err(|e| Error::polars(dest, e))?;
        let mut sink = ParquetSink::with_schema(dest, df.schema())?;
        sink.write(&df)?;
        sink.finish()?;
        Ok(())
    }

    pub fn read(path: &Path) -> Result<Sizes> {
        crate::dataset::check_parquet(path)?;
        let err = |e| Error::polars(path, e);
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let df = ParquetReader::new(file).finish().map_err(err)?;
        let t = df.column("type").map_err(err)?.str().map_err(err)?.clone();
        let k = df
            .column("size_kind")
            .map_err(err)?
            .str()
            .map_err(err)?
            .clone();
        let s = df.column("size").map_err(err)?.u32().map_err(err)?.clone();
        let n = df
            .column("packets")
            .map_err(err)?
            .u64()
            .map_err(err)?
            .clone();
        let mut out = Sizes::default();
        for i in 0..df.height() {
            let (Some(t), Some(k), Some(s), Some(n)) = (t.get(i), k.get(i), s.get(i), n.get(i))
            else {
                continue;
            };
            let (Some(t), Some(k)) = (
                TYPES.iter().position(|x| *x == t),
                KINDS.iter().position(|x| x.name() == k),
            ) else {
                continue;
            };
            if (s as usize) < DENSE {
                out.dense[(t * KINDS.len() + k) * DENSE + s as usize] += n;
            } else {
                *out.sparse.entry((t as u8, k as u8, s)).or_default() += n;
            }
        }
        Ok(out)
    }
}
