//! ntp — network traffic predictor.
//!
//! The library is the pipeline, one module per stage:
//!
//! | stage | module |
//! |---|---|
//! | capture reading (pcap, pcapng, gzip, zstd) | [`capture`] |
//! | packet decoding (link layers, IPv4/IPv6, ports) | [`decode`] |
//! | per-packet dataset (Parquet) | [`dataset`] |
//! | `ntp preprocess`: captures → dataset | [`preprocess`] |
//!
//! [`output`] makes every written file atomic; [`progress`] draws the bars.

pub mod capture;
pub mod dataset;
pub mod decode;
pub mod error;
pub mod output;
pub mod preprocess;
pub mod progress;

pub use error::{Error, Result};
