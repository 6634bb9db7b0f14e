//! The command line: the `ntp` parser and its subcommands ([`Cli`], [`Command`]), one file
//! per command's arguments (each with its conversion into the library's option types) and
//! [`shared`] for the options several commands take. The work itself is in the library.

mod aggregate;
mod analyze;
pub mod detect;
mod download;
mod pipeline;
mod predict;
mod preprocess;
mod shared;
mod simulate;
mod train;

use std::io::IsTerminal;

use clap::{Parser, Subcommand, ValueEnum};

pub use aggregate::AggregateArgs;
pub use analyze::AnalyzeArgs;
pub use detect::DetectArgs;
pub use download::DownloadArgs;
pub use pipeline::PipelineArgs;
pub use predict::PredictArgs;
pub use preprocess::PreprocessArgs;
pub use shared::ManyArgs;
pub use simulate::SimulateArgs;
pub use train::TrainArgs;

#[derive(Parser, Debug)]
#[command(
    name = "ntp",
    version,
    about = "Network traffic predictor: from raw packet captures to forecasting results and report figures",
    long_about = "ntp turns packet captures (pcap, pcapng, gzip or zstd compressed) into series \
                  tables in one pass (or per-packet Parquet tables), reads other traffic series (CSV, \
                  Parquet), and computes exploratory statistics and figures and forecasting experiments \
                  (LSTM/GRU beside baselines and classical models, every choice on validation).",
    after_help = "Examples:\n  ntp pipeline                                  (the bundled sample → results/report.md)\n  ntp aggregate capture.pcap.gz -o results/\n  ntp analyze results/capture.series.parquet\n  ntp preprocess day1.pcap day2.pcap -o both.parquet"
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

impl ColorChoice {
    /// Whether messages on stderr are coloured (`auto`: a terminal and no `NO_COLOR`).
    pub fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Fetch MAWI traffic-archive dumps listed in markdown files or given by date (parallel, resumable, checked).
    #[command(after_help = "Examples:\n  \
        ntp download                              (every dump URL in data-sources/*.md → data/)\n  \
        ntp download data-sources/mawi-2007.md -j 2 --extract\n  \
        ntp download --mawi 20070125 --mawi 200701011800\n  \
        ntp download http://mawi.wide.ad.jp/mawi/samplepoint-F/2007/200701251400.dump.gz\n\n\
        A re-run skips complete files and resumes NAME.part files with HTTP Range requests.")]
    Download(DownloadArgs),
    /// Captures → a series table in one pass: bytes, packets, protocol splits, TCP flags, ICMP, size quantiles, distinct sources, destinations and flows, address and port entropies per interval, and the heavy hitters.
    #[command(after_help = "Examples:\n  \
        ntp aggregate capture.pcap.gz -o results/           (results/capture.series.parquet)\n  \
        ntp aggregate day/*.dump.gz -o day.parquet --every 1m   (one continuous series)\n  \
        ntp aggregate *.pcap -o series/ -j 2                 (one series per capture, in parallel)")]
    Aggregate(AggregateArgs),
    /// Captures → a per-packet Parquet table (one row per IP packet), optionally partitioned by day.
    #[command(after_help = "Examples:\n  \
        ntp preprocess tests/data/lan-broadcast-28min-ns.pcapng -o results/\n  \
        ntp preprocess 200701251400.dump.gz -o results/200701251400.parquet\n  \
        ntp preprocess part1.pcap part2.pcap -o whole.parquet   (one table, inputs in order)")]
    Preprocess(PreprocessArgs),
    /// Any series → statistics, size histogram, bursts, decomposition, ACF/PACF: CSV/LaTeX tables and PNG figures.
    #[command(after_help = "Examples:\n  \
        ntp analyze results/lan-broadcast-28min-ns.series.parquet       (a series table)\n  \
        ntp analyze results/day1/ --every 100ms --period 600 -o figures/  (per-packet tables)\n  \
        ntp analyze link-counters.csv --column bytes_in --period 288      (any series file)\n  \
        ntp analyze x.parquet --size captured --drop-empty                (the study's series)")]
    Analyze(AnalyzeArgs),
    /// Forecasting experiment: LSTM, GRU, DLinear or N-HiTS beside baselines, an AR(X), Holt-Winters, ETS, MSTL and ensembles; choices on validation, Diebold–Mariano tests, prediction bands.
    #[command(after_help = "Examples:\n  \
        ntp train results/lan-broadcast-28min-ns.series.parquet --look-back 10,20,30,60\n  \
        ntp train nab.csv --look-back 12,36,288 --period 288,2016 --folds 3 --horizon 6\n  \
        ntp train day.series.parquet --features packets,sources --calendar hour --cell gru\n  \
        ntp train x.parquet --scale-on-all --drop-empty --size captured --epochs 50 --batch-size 64   (the study)")]
    Train(TrainArgs),
    /// Apply a network saved by `ntp train` to another series: its forecasts and bands beside persistence, and threshold alerts.
    #[command(
        after_help = "Example:\n  ntp predict results/day1.best_model.e100.b32.safetensors results/day2.series.parquet"
    )]
    Predict(PredictArgs),
    /// Captures or series → series table → analysis → experiment → report.md; stages already up to date are skipped.
    #[command(after_help = "Examples:\n  \
        ntp pipeline                         (the bundled sample → results/)\n  \
        ntp pipeline day1.pcap.gz day2.pcap.gz -o report/\n  \
        ntp pipeline link-counters.csv        (a series file: straight to the analysis)\n  \
        ntp pipeline x.dump.gz --packets --size captured --drop-empty   (the study's road and series)")]
    Pipeline(PipelineArgs),
    /// Anomalies in any series, causally (each interval judged from its past: a forecast and its band, or a robust z-score), as events; scored against labelled windows.
    #[command(after_help = "Examples:\n  \
        ntp detect results/day.series.parquet --columns ip_bytes,dst_addr_entropy\n  \
        ntp detect nab.csv --labels nab.labels.csv            (event F1, delay, NAB score)\n  \
        ntp detect sim/simulated.series.parquet --labels sim/simulated.labels.csv --method robust-z")]
    Detect(DetectArgs),
    /// Traffic with ground truth: a series table and, on request, its header-only capture, with labelled events (flood, scan, flash crowd, outage, level shift).
    #[command(after_help = "Examples:\n  \
        ntp simulate -o sim/                                  (14 days at 5m: sim/simulated.series.parquet, .labels.csv)\n  \
        ntp simulate -o sim/ --days 0.0104 --every 1s --rate 20000 --capture sim/trace.pcap   (15 minutes, 18 M packets)\n  \
        ntp simulate -o sim/ --seed 7 --hurst 0.9 --events scan,outage")]
    Simulate(SimulateArgs),
    /// Print the manual page, roff (e.g. `ntp man > /usr/local/share/man/man1/ntp.1`, then `man ntp`).
    Man,
    /// Print a shell completion script (e.g. `ntp completions bash > /etc/bash_completion.d/ntp`).
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// Shells `ntp completions` can write a script for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

impl From<Shell> for clap_complete::Shell {
    fn from(s: Shell) -> clap_complete::Shell {
        match s {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
            Shell::Elvish => clap_complete::Shell::Elvish,
            Shell::Powershell => clap_complete::Shell::PowerShell,
        }
    }
}
