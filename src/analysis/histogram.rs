//! Packet counts per size and transport (Figure 1 of the study). Counted in the pass that
//! builds the series ([`crate::series::packets`] from a per-packet dataset, or
//! [`crate::series::aggregate`] from captures, kept beside the series table).

/// Packet counts per size (index = size in bytes) for TCP and UDP.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    pub tcp: Vec<u64>,
    pub udp: Vec<u64>,
    /// TCP/UDP packets larger than the largest size kept, not shown.
    pub larger: u64,
}
