//! `ntp aggregate`: captures → series tables in one pass.

use std::path::PathBuf;

use clap::Args;

use super::shared::{time_arg, TimestampUnitArgs};

#[derive(Args, Debug)]
pub struct AggregateArgs {
    /// Capture files: pcap or pcapng, optionally gzip- or zstd-compressed (as preprocess).
    /// Or web server access logs (Common or Combined Log Format, plain or gzip): requests,
    /// bytes, distinct hosts and 4xx/5xx responses per interval, into `{stem}.requests.csv`.
    #[arg(required = true, value_name = "CAPTURE")]
    pub inputs: Vec<PathBuf>,

    /// Output: a `.parquet` file (all inputs joined into one continuous series: overlapping
    /// intervals summed, gaps zero-filled) or a directory (one `{stem}.series.parquet` per
    /// input, skipped when newer than its capture). A `.sizes.parquet` histogram goes beside
    /// each series.
    #[arg(short, long, default_value = "results/", value_name = "OUT")]
    pub output: PathBuf,

    /// Interval of the series (1s, 100ms, 1m, …), aligned to the epoch.
    #[arg(long, default_value = "1s", value_name = "DURATION")]
    pub every: String,

    /// Worker threads (default: one per core; at most 4 per core).
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,

    /// Rebuild series that are already newer than their captures.
    #[arg(long)]
    pub force: bool,

    /// Leave out the keyed columns (`sources`, `destinations`, `flows` and the four
    /// entropies) and the heavy hitters: counting every address, port and flow is most of
    /// the work of a pass over a backbone trace. Sums and size quantiles stay.
    #[arg(long)]
    pub no_distinct: bool,

    /// Heavy hitters: the top K sources, destinations and destination ports of every
    /// interval, by bytes and by packets, exact, in `{stem}.top.parquet` beside the
    /// series (0: no such file).
    #[arg(long, value_name = "K", default_value_t = 10, value_parser = clap::value_parser!(u32).range(0..=10_000))]
    pub top: u32,

    /// Drop duplicate packets: a packet whose captured bytes equal one of the N − 1
    /// packets before it, as `editcap -D N` does (2 ≤ N ≤ 1 000 000). Without it, a
    /// capture with more than 1 % such packets (N = 5) is warned of.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(2..=1_000_000))]
    pub dedup: Option<u32>,

    #[command(flatten)]
    pub unit: TimestampUnitArgs,

    /// Only packets at or after this time (epoch seconds or ISO 8601).
    #[arg(long, value_name = "TIME", value_parser = time_arg)]
    pub start: Option<i64>,

    /// Only packets before this time.
    #[arg(long, value_name = "TIME", value_parser = time_arg)]
    pub end: Option<i64>,
}
