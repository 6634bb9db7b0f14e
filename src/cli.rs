//! Command-line interface: argument definitions only; the work is in the library.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "ntp",
    version,
    about = "Network traffic predictor: from raw packet captures to forecasting results and report figures",
    long_about = "ntp turns packet captures (pcap, pcapng, gzip or zstd compressed) into a per-packet \
                  Parquet table, bytes-per-second series, exploratory statistics and figures, and LSTM \
                  forecasts beside honest baselines.",
    after_help = "Examples:\n  ntp preprocess capture.pcap.gz -o results/\n  ntp preprocess day1.pcap day2.pcap -o both.parquet"
)]
pub struct Cli {
    /// No progress bars or summaries; errors are still printed.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// When to colour messages on stderr.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Fetch MAWI traffic-archive dumps listed in data-sources/ (not built yet).
    Download,
    /// Parse captures into a per-packet Parquet table.
    #[command(after_help = "Examples:\n  \
        ntp preprocess tests/data/lan-broadcast-28min-ns.pcapng -o results/\n  \
        ntp preprocess 200701251400.dump.gz -o results/200701251400.parquet\n  \
        ntp preprocess part1.pcap part2.pcap -o whole.parquet   (one table, inputs in order)")]
    Preprocess(PreprocessArgs),
    /// Bytes-per-second series, statistics and figures (not built yet).
    Analyze,
    /// LSTM look-back sweep beside baselines (not built yet).
    Train,
}

#[derive(Args, Debug)]
pub struct PreprocessArgs {
    /// Capture files: pcap (µs, ns, either byte order, modified) or pcapng, optionally
    /// gzip- or zstd-compressed. The format is read from the magic number.
    #[arg(required = true, value_name = "CAPTURE")]
    pub inputs: Vec<PathBuf>,

    /// Output: a `.parquet` file (all inputs in order in one table) or a directory
    /// (one `{stem}.parquet` per input).
    #[arg(short, long, default_value = "results/", value_name = "OUT")]
    pub output: PathBuf,

    /// Worker threads (default: one per core).
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,
}
