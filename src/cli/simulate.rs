//! `ntp simulate`: traffic with labelled events, as a series table and a capture.

use std::path::PathBuf;

use clap::Args;

use super::shared::{time_arg, TimestampUnitArgs};

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// Output directory: `{stem}.series.parquet` and `{stem}.labels.csv`.
    #[arg(short, long, default_value = "results/", value_name = "DIR")]
    pub output: PathBuf,

    /// Name of the files written.
    #[arg(long, default_value = "simulated", value_name = "STEM")]
    pub stem: String,

    /// Random seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Interval of the series (1s, 5m, 1h, …).
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    pub every: String,

    /// How long the series runs (days; fractions allowed: 0.01 is about 15 minutes).
    #[arg(long, default_value_t = 14.0, value_name = "DAYS")]
    pub days: f64,

    /// Mean packets per second (before seasons and events).
    #[arg(long, default_value_t = 20.0, value_name = "PPS")]
    pub rate: f64,

    /// Relative growth of the rate over the whole series (0.2: +20 % by the end).
    #[arg(long, default_value_t = 0.1)]
    pub trend: f64,

    /// Hosts of the normal traffic (Zipf(1) popularity; every tenth rank IPv6): how many
    /// distinct addresses an interval can hold.
    #[arg(long, default_value_t = 20_000, value_name = "N")]
    pub hosts: usize,

    /// Hurst parameter of the noise (0.5 to 0.975): the self-similarity of the ON/OFF
    /// sources' sum, H = (3 − α)/2 for Pareto periods of tail index α.
    #[arg(long, default_value_t = 0.8)]
    pub hurst: f64,

    /// Events injected, one each, labelled: flood, scan, flash-crowd, outage, level-shift
    /// (comma-separated; `none` for none).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "flood,scan,flash-crowd,outage,level-shift"
    )]
    pub events: Vec<String>,

    /// First interval (epoch seconds or ISO 8601).
    #[arg(long, default_value = "2026-01-05T00:00:00Z", value_parser = time_arg, value_name = "TIME")]
    pub start: i64,

    /// Also write the header-only capture the series was counted from (96-byte snaplen,
    /// Ethernet, nanosecond pcap; `.gz` compresses it): `ntp aggregate` of it gives the
    /// same series.
    #[arg(long, value_name = "OUT.pcap")]
    pub capture: Option<PathBuf>,

    #[command(flatten)]
    pub unit: TimestampUnitArgs,
}
