//! ntp — network traffic predictor.
//!
//! The library is the pipeline, one module per stage; none of it knows the command line
//! (the `ntp` binary's `commands/` orchestrate these stages, one file per subcommand):
//!
//! | stage | module |
//! |---|---|
//! | MAWI dumps listed in markdown → local files | [`download`] |
//! | capture reading (pcap, pcapng, gzip, zstd) | [`capture`] |
//! | packet decoding (link layers, IPv4/IPv6, ports) | [`decode`] |
//! | per-packet dataset (Parquet): captures → dataset, reader, writer | [`dataset`] |
//! | series: bytes (and packets) per interval | [`series`] |
//! | analysis: describe, ACF/PACF, decomposition, bursts, size histogram | [`analysis`] |
//! | forecasting: windows, scaler, LSTM, baselines, models, sweep, predict | [`forecast`] |
//! | detection: causal bands, robust z, events, scores against labels | [`detect`] |
//! | report: every output file's name and its writer, one per stage | [`report`] |
//!
//! Below the stages: [`render`], the formats every stage may use (CSV fields and tables,
//! Markdown and LaTeX tables, PNG figures with LTTB thinning); [`error`] the typed errors;
//! [`util`] atomic output files, progress bars, time and unit formatting.

pub mod analysis;
pub mod capture;
pub mod dataset;
pub mod decode;
pub mod detect;
pub mod download;
pub mod error;
pub mod forecast;
pub mod render;
pub mod report;
pub mod series;
pub mod simulate;
pub mod util;

pub use error::{Error, Result};
