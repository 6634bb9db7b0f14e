//! Packet counts per size and transport (Figure 1 of the study), from the per-packet dataset.

use std::path::PathBuf;

use polars::prelude::*;

use crate::dataset::{self, reader};
use crate::error::{Error, Result};
use crate::series::SizeKind;

/// Packet counts per size (index = size in bytes) for TCP and UDP.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    pub tcp: Vec<u64>,
    pub udp: Vec<u64>,
    /// TCP/UDP packets larger than the largest size kept, not shown.
    pub larger: u64,
}

/// One pass over the dataset: packets per (Type, size), split up here.
pub fn from_dataset(files: &[PathBuf], size: SizeKind, max_size: u32) -> Result<Histogram> {
    let size = size.column();
    let err = |e| Error::polars(&files[0], e);
    let df = reader::scan(files, &[dataset::TYPE, size])?
        .group_by([
            col(dataset::TYPE),
            col(size).cast(DataType::UInt64).alias("size"),
        ])
        .agg([len().cast(DataType::UInt64).alias("n")])
        .collect()
        .map_err(err)?;
    let types = df
        .column(dataset::TYPE)
        .map_err(err)?
        .str()
        .map_err(err)?
        .clone();
    let sizes = df.column("size").map_err(err)?.u64().map_err(err)?.clone();
    let n = df.column("n").map_err(err)?.u64().map_err(err)?.clone();
    let max = max_size as u64;
    let mut h = Histogram {
        tcp: vec![0; max as usize + 1],
        udp: vec![0; max as usize + 1],
        larger: 0,
    };
    for i in 0..df.height() {
        let (Some(t), Some(s), Some(c)) = (types.get(i), sizes.get(i), n.get(i)) else {
            continue;
        };
        let counts = match t {
            "TCP" => &mut h.tcp,
            "UDP" => &mut h.udp,
            _ => continue,
        };
        if s <= max {
            counts[s as usize] = c;
        } else {
            h.larger += c;
        }
    }
    Ok(h)
}
