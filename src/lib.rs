//! ntp — network traffic predictor.
//!
//! The library is the pipeline, one module per stage:
//!
//! | stage | module |
//! |---|---|
//! | `ntp download`: MAWI dumps listed in markdown | [`download`] |
//! | capture reading (pcap, pcapng, gzip, zstd) | [`capture`] |
//! | packet decoding (link layers, IPv4/IPv6, ports) | [`decode`] |
//! | per-packet dataset (Parquet) | [`dataset`] |
//! | `ntp preprocess`: captures → dataset | [`preprocess`] |
//! | series: bytes per interval (polars `group_by_dynamic`) | [`series`] |
//! | analysis: describe, ACF/PACF, decomposition, bursts | [`analysis`] |
//! | `ntp analyze`: series → tables and figures | [`analyze`] |
//! | forecasting: windows, scaler, LSTM, baselines, metrics | [`forecast`] |
//! | `ntp train` / `ntp predict`: look-back sweep, saved model | [`train`] |
//! | report outputs: CSV, LaTeX, Markdown, PNG | [`report`] |
//! | `ntp pipeline`: capture → report in one command | [`pipeline`] |
//!
//! [`output`] makes every written file atomic; [`progress`] draws the bars.

pub mod analysis;
pub mod analyze;
pub mod capture;
pub mod dataset;
pub mod decode;
pub mod download;
pub mod error;
pub mod forecast;
pub mod output;
pub mod pipeline;
pub mod preprocess;
pub mod progress;
pub mod report;
pub mod series;
pub mod train;

pub use error::{Error, Result};
