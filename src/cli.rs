//! Command-line interface: argument definitions, and their conversion into the library's
//! option types (beside each argument struct). The work is in the library.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};
use ntp::analysis::AnalysisOptions;
use ntp::download::targets::Sources;
use ntp::download::DownloadOptions;
use ntp::forecast::experiment::TrainOptions;
use ntp::forecast::inputs::Calendar;
use ntp::forecast::network::{CellKind, Hyper};
use ntp::forecast::spans::Split;
use ntp::series::{Fill, SeriesOptions, SizeKind, Window};

/// `--start` / `--end`: epoch seconds or ISO 8601, as nanoseconds.
fn time_arg(text: &str) -> Result<i64, String> {
    ntp::util::time::parse_time(text)
        .ok_or_else(|| "not a time (epoch seconds or ISO 8601, e.g. 2007-01-25T05:00:00Z)".into())
}

#[derive(Parser, Debug)]
#[command(
    name = "ntp",
    version,
    about = "Network traffic predictor: from raw packet captures to forecasting results and report figures",
    long_about = "ntp turns packet captures (pcap, pcapng, gzip or zstd compressed) into series \
                  tables in one pass (or per-packet Parquet tables), reads other traffic series (CSV, \
                  Parquet), and computes exploratory statistics and figures and LSTM forecasts beside \
                  honest baselines.",
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
    /// Fetch MAWI traffic-archive dumps listed in markdown files (parallel, resumable).
    #[command(after_help = "Examples:\n  \
        ntp download                              (every dump URL in data-sources/*.md → data/)\n  \
        ntp download data-sources/mawi-2007.md -j 2 --extract\n  \
        ntp download --mawi 20070125 --mawi 200701011800\n  \
        ntp download http://mawi.wide.ad.jp/mawi/samplepoint-F/2007/200701251400.dump.gz\n\n\
        A re-run skips complete files and resumes NAME.part files with HTTP Range requests.")]
    Download(DownloadArgs),
    /// Captures → a series table in one pass: bytes, packets, protocol splits and distinct
    /// sources, destinations and flows per interval.
    #[command(after_help = "Examples:\n  \
        ntp aggregate capture.pcap.gz -o results/           (results/capture.series.parquet)\n  \
        ntp aggregate day/*.dump.gz -o day.parquet --every 1m   (one continuous series)\n  \
        ntp aggregate *.pcap -o series/ -j 2                 (one series per capture, in parallel)")]
    Aggregate(AggregateArgs),
    /// Parse captures into a per-packet Parquet table.
    #[command(after_help = "Examples:\n  \
        ntp preprocess tests/data/lan-broadcast-28min-ns.pcapng -o results/\n  \
        ntp preprocess 200701251400.dump.gz -o results/200701251400.parquet\n  \
        ntp preprocess part1.pcap part2.pcap -o whole.parquet   (one table, inputs in order)")]
    Preprocess(PreprocessArgs),
    /// Bytes-per-second series, statistics, decomposition, ACF/PACF: CSV/LaTeX tables and PNG figures.
    #[command(after_help = "Examples:\n  \
        ntp analyze results/lan-broadcast-28min-ns.parquet\n  \
        ntp analyze results/day1/ --every 100ms --period 600 -o figures/\n  \
        ntp analyze x.parquet --size captured --drop-empty   (the study's series)")]
    Analyze(AnalyzeArgs),
    /// LSTM look-back sweep beside persistence, seasonal-naive, window-mean and linear-AR baselines.
    #[command(after_help = "Examples:\n  \
        ntp train results/lan-broadcast-28min-ns.parquet --look-back 10,20,30,60\n  \
        ntp train x.parquet --scale-on-all --drop-empty --size captured --epochs 50 --batch-size 64   (the study)")]
    Train(TrainArgs),
    /// Apply a model saved by `ntp train` to another capture's series.
    #[command(
        after_help = "Example:\n  ntp predict results/day1.best_model.e20.b32.safetensors results/day2.parquet"
    )]
    Predict(PredictArgs),
    /// Capture → dataset → analysis → report.md in one command; stages already up to date are skipped.
    #[command(after_help = "Examples:\n  \
        ntp pipeline                         (the bundled sample → results/)\n  \
        ntp pipeline day1.pcap.gz day2.pcap.gz -o report/\n  \
        ntp pipeline x.dump.gz --size captured --drop-empty   (the study's series)")]
    Pipeline(PipelineArgs),
    /// Print a shell completion script (e.g. `ntp completions bash > /etc/bash_completion.d/ntp`).
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
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

    #[command(flatten)]
    pub unit: TimestampUnitArgs,

    /// Lay a directory output out by the packets' UTC day, hive-style:
    /// `OUT/date=YYYY-MM-DD/{stem}.parquet` (read as one table, with a `date` column, by
    /// polars, DuckDB and Spark; ntp's later stages take the directory).
    #[arg(long, value_enum, default_value = "none", value_name = "BY")]
    pub partition: PartitionArg,

    /// Worker threads (default: one per core; at most 4 per core).
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,
}

/// The unit of the time column of the Parquet files written.
#[derive(Args, Debug, Clone)]
pub struct TimestampUnitArgs {
    /// Unit of the time column written: `ns` keeps every digit a capture has (polars,
    /// pandas, DuckDB); `us` is what Spark, Hive and Impala read (sub-microsecond digits
    /// are rounded down and counted in the summary).
    #[arg(
        long = "timestamp-unit",
        value_enum,
        default_value = "ns",
        value_name = "UNIT"
    )]
    pub value: UnitArg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum UnitArg {
    /// Nanoseconds (Parquet TIMESTAMP(NANOS, UTC)).
    Ns,
    /// Microseconds (Parquet TIMESTAMP(MICROS, UTC)).
    Us,
}

impl From<&TimestampUnitArgs> for ntp::dataset::writer::TimestampUnit {
    fn from(a: &TimestampUnitArgs) -> Self {
        match a.value {
            UnitArg::Ns => Self::Ns,
            UnitArg::Us => Self::Us,
        }
    }
}

/// How `preprocess` lays out a directory output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PartitionArg {
    /// One `{stem}.parquet` per capture.
    None,
    /// `date=YYYY-MM-DD/{stem}.parquet`, by UTC day.
    Day,
}

impl From<PartitionArg> for ntp::dataset::convert::Partition {
    fn from(p: PartitionArg) -> Self {
        match p {
            PartitionArg::None => Self::None,
            PartitionArg::Day => Self::Day,
        }
    }
}

#[derive(Args, Debug)]
pub struct AggregateArgs {
    /// Capture files: pcap or pcapng, optionally gzip- or zstd-compressed (as preprocess).
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

    /// Leave out `sources`, `destinations` and `flows`: their exact sets are most of the
    /// work of a pass over a backbone trace. The table then has the sums only.
    #[arg(long)]
    pub no_distinct: bool,

    #[command(flatten)]
    pub unit: TimestampUnitArgs,

    /// Only packets at or after this time (epoch seconds or ISO 8601).
    #[arg(long, value_name = "TIME", value_parser = time_arg)]
    pub start: Option<i64>,

    /// Only packets before this time.
    #[arg(long, value_name = "TIME", value_parser = time_arg)]
    pub end: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SizeArg {
    /// IP total length from the header (the traffic volume).
    Ip,
    /// Original frame length on the wire.
    Wire,
    /// Captured length, at most snaplen (what the study summed).
    Captured,
}

impl From<SizeArg> for SizeKind {
    fn from(a: SizeArg) -> SizeKind {
        match a {
            SizeArg::Ip => SizeKind::Ip,
            SizeArg::Wire => SizeKind::Wire,
            SizeArg::Captured => SizeKind::Captured,
        }
    }
}

/// How a missing value of a series file is filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FillArg {
    /// A straight line between the neighbouring values.
    Linear,
    /// Zero.
    Zero,
    /// Leave the interval out (later positions shift).
    Drop,
}

impl From<FillArg> for Fill {
    fn from(f: FillArg) -> Fill {
        match f {
            FillArg::Linear => Fill::Linear,
            FillArg::Zero => Fill::Zero,
            FillArg::Drop => Fill::Drop,
        }
    }
}

/// How the series is built from the input (shared by analyze, train and pipeline).
#[derive(Args, Debug, Clone)]
pub struct SeriesArgs {
    /// Interval of the series (polars duration: 1s, 500ms, 1m, …), windows aligned to the
    /// epoch [default: 1s; a series file's own interval, or a whole multiple of it].
    #[arg(long, value_name = "DURATION")]
    pub every: Option<String>,

    /// The value column of a series file — the forecasting target [default: ip_bytes of an
    /// ntp series table (as --size says), `value` or the only numeric column of another file].
    #[arg(long, visible_aliases = ["value-column", "target"], value_name = "NAME")]
    pub column: Option<String>,

    /// The time column of a series file (epoch seconds or ISO 8601) [default: `timestamp`,
    /// `time`, `date`, … or the first column].
    #[arg(long, value_name = "NAME")]
    pub time_column: Option<String>,

    /// How a series file's missing intervals and empty values are filled.
    #[arg(long, value_enum, default_value_t = FillArg::Linear)]
    pub fill: FillArg,

    /// Only packets/rows at or after this time (epoch seconds or ISO 8601, UTC unless it
    /// says otherwise): to leave out a broken clock's stray packets.
    #[arg(long, value_name = "TIME", value_parser = time_arg)]
    pub start: Option<i64>,

    /// Only packets/rows before this time.
    #[arg(long, value_name = "TIME", value_parser = time_arg)]
    pub end: Option<i64>,

    /// Which packet length is summed.
    #[arg(long, value_enum, default_value_t = SizeArg::Ip)]
    pub size: SizeArg,

    /// Drop intervals with no packet instead of counting them as zero (the study did this,
    /// which shifts every later position of the series).
    #[arg(long)]
    pub drop_empty: bool,
}

impl From<&SeriesArgs> for SeriesOptions {
    fn from(a: &SeriesArgs) -> SeriesOptions {
        SeriesOptions {
            every: a.every.clone(),
            size: a.size.into(),
            drop_empty: a.drop_empty,
            column: a.column.clone(),
            time_column: a.time_column.clone(),
            fill: a.fill.into(),
            window: Window {
                start: a.start,
                end: a.end,
            },
        }
    }
}

/// A dataset in, a directory out (analyze, train, predict).
#[derive(Args, Debug)]
pub struct DatasetIo {
    /// Parquet files from `ntp preprocess` (parts of one capture, read in time order) or a
    /// directory of them.
    #[arg(required = true, value_name = "PARQUET")]
    pub inputs: Vec<PathBuf>,

    /// Output directory.
    #[arg(short, long, default_value = "results", value_name = "DIR")]
    pub output: PathBuf,
}

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub io: DatasetIo,

    #[command(flatten)]
    pub series: SeriesArgs,

    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

/// Options of the analysis stage (shared by analyze and pipeline).
#[derive(Args, Debug, Clone)]
pub struct AnalysisArgs {
    /// Largest packet size shown in the size histogram.
    #[arg(long, default_value_t = 100, value_name = "BYTES")]
    pub max_size: u32,

    /// Seasonal period in intervals (default: 3600 for ≥ 7200 points, 60 for ≥ 120, else none).
    #[arg(long, value_name = "N")]
    pub period: Option<usize>,

    /// Lags of the ACF/PACF.
    #[arg(long, default_value_t = 40, value_name = "N")]
    pub lags: usize,

    /// Burst threshold in standard deviations (and robust deviations).
    #[arg(long, default_value_t = 3.0, value_name = "Z")]
    pub z: f64,

    /// Resolution of the PNG figures.
    #[arg(long, default_value_t = 300, value_name = "DPI")]
    pub dpi: u32,
}

impl AnalysisArgs {
    /// The analysis stage's options, writing to `out`.
    pub fn options(&self, series: &SeriesArgs, out: &Path) -> AnalysisOptions {
        AnalysisOptions {
            series: series.into(),
            out_dir: out.to_owned(),
            max_size: self.max_size,
            period: self.period,
            lags: self.lags,
            z: self.z,
            dpi: self.dpi,
        }
    }
}

#[derive(Args, Debug)]
pub struct PipelineArgs {
    /// Captures to process (default: the bundled real sample,
    /// tests/data/lan-broadcast-28min-ns.pcapng), or series files (.csv, .parquet), which
    /// go straight to the analysis.
    #[arg(value_name = "CAPTURE")]
    pub captures: Vec<PathBuf>,

    /// Output directory: datasets, tables, figures and report.md.
    #[arg(short, long, default_value = "results", value_name = "DIR")]
    pub output: PathBuf,

    /// Rerun every stage even when its outputs are newer than its inputs.
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub series: SeriesArgs,

    #[command(flatten)]
    pub analysis: AnalysisArgs,

    #[command(flatten)]
    pub training: TrainingArgs,

    /// Skip the training stage (analysis only).
    #[arg(long)]
    pub no_train: bool,

    /// Write the per-packet table (`ntp preprocess`) and build the series from it, instead
    /// of the one-pass series table (`ntp aggregate`, the default).
    #[arg(long)]
    pub packets: bool,

    #[command(flatten)]
    pub unit: TimestampUnitArgs,
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

#[derive(Args, Debug)]
pub struct DownloadArgs {
    /// Markdown files or directories of them (every `…/NNNN….dump.gz` / `.pcap.gz` URL in
    /// them is fetched), or URLs. Default: data-sources/.
    #[arg(value_name = "SOURCE")]
    pub sources: Vec<String>,

    /// Directory the dumps land in.
    #[arg(short, long, default_value = "data", value_name = "DIR")]
    pub output: PathBuf,

    /// Parallel transfers.
    #[arg(short, long, default_value_t = 4, value_name = "N")]
    pub jobs: usize,

    /// Look for markdown files in subdirectories too.
    #[arg(short, long)]
    pub recursive: bool,

    /// Also gunzip each dump next to it (ntp preprocess reads .gz directly, so this is
    /// only for other tools).
    #[arg(long)]
    pub extract: bool,

    /// Retries on connection errors and 5xx answers (exponential backoff).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub retries: u32,

    /// Seconds a server may stay silent (before answering, or in the middle of a body)
    /// before the transfer is abandoned and retried from where it stopped.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub timeout: f64,

    /// A MAWI trace by date: YYYYMMDD (the daily 14:00 JST trace) or YYYYMMDDHHMM.
    #[arg(long, value_name = "DATE")]
    pub mawi: Vec<String>,

    /// MAWI sample point for --mawi.
    #[arg(long, default_value = "F", value_name = "POINT")]
    pub samplepoint: String,

    /// Expected SHA-256 of the file (only with a single target).
    #[arg(long, value_name = "HEX")]
    pub sha256: Option<String>,

    /// Print the targets and exit.
    #[arg(long)]
    pub list: bool,
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

impl DownloadArgs {
    /// Where the targets are listed.
    pub fn sources(&self) -> Sources {
        Sources {
            paths: self.sources.clone(),
            recursive: self.recursive,
            mawi: self.mawi.clone(),
            samplepoint: self.samplepoint.clone(),
            sha256: self.sha256.clone(),
        }
    }

    /// How they are fetched.
    pub fn options(&self) -> DownloadOptions {
        DownloadOptions {
            dir: self.output.clone(),
            jobs: self.jobs,
            retries: self.retries,
            extract: self.extract,
            // Checked by the command: positive and finite.
            timeout: std::time::Duration::from_secs_f64(self.timeout.clamp(0.001, 86_400.0)),
            ..Default::default()
        }
    }
}

/// Options of the training stage (shared by train and pipeline).
#[derive(Args, Debug, Clone)]
pub struct TrainingArgs {
    /// Look-back windows to sweep (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "10,20,30,60",
        value_name = "L,..."
    )]
    pub look_back: Vec<usize>,

    /// Predict the value this many intervals after each window.
    #[arg(long, default_value_t = 1, value_name = "H")]
    pub horizon: usize,

    /// Share of the series (its end) kept for testing; with --folds, cut into that many
    /// consecutive test blocks.
    #[arg(long, default_value_t = 0.2, value_name = "F")]
    pub test_fraction: f64,

    /// Share of the series just before each test block used for validation: early stopping
    /// and every choice (look-back, saved model, best model) are made on it.
    #[arg(long, default_value_t = 0.1, value_name = "F")]
    pub val_fraction: f64,

    /// Rolling origins: the test region cut into K blocks, every model refitted on all data
    /// before each block (expanding window).
    #[arg(long, default_value_t = 1, value_name = "K")]
    pub folds: usize,

    /// Network trainings per look-back and fold, from seeds --seed, --seed+1, … (tables: mean ± sd).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub seeds: usize,

    /// Stop a training after this many epochs without a lower validation loss and keep its best
    /// epoch's weights (0: run every epoch, still keep the best).
    #[arg(long, default_value_t = 5, value_name = "EPOCHS")]
    pub patience: usize,

    /// The study's selection: train/test by window count per look-back, no validation, every
    /// epoch run, look-back and model chosen by the lowest *test* MSE (optimistic; for
    /// reproducing its tables only).
    #[arg(long)]
    pub select_on_test: bool,

    /// Fit the MinMax scaler on the whole series before the split (the study's test leak).
    #[arg(long)]
    pub scale_on_all: bool,

    /// Units per recurrent layer.
    #[arg(long, default_value_t = 50)]
    pub hidden: usize,

    /// Stacked recurrent layers.
    #[arg(long, default_value_t = 1)]
    pub layers: usize,

    /// Adam learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,

    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,

    /// Most epochs per training (early stopping may end it sooner).
    #[arg(long, default_value_t = 20)]
    pub epochs: usize,

    /// First seed of the initial weights and the shuffling: the same seeds give the same tables.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// Recurrent cell of the network.
    #[arg(long, value_enum, default_value_t = CellArg::Lstm)]
    pub cell: CellArg,

    /// Dropout between stacked layers while training (with --layers ≥ 2).
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    pub dropout: f64,

    /// Other numeric columns of the series (table or file) as inputs beside the target, e.g.
    /// packets,tcp_bytes,sources; each scaled on the training span. The linear AR becomes an
    /// ARX with their latest values.
    #[arg(long, value_delimiter = ',', value_name = "COL,...")]
    pub features: Vec<String>,

    /// Calendar inputs: sine and cosine of the time of day and/or of the day of the week.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "hour,weekday")]
    pub calendar: Vec<CalendarTerm>,

    /// Local time of the calendar inputs as a UTC offset (+09:00, -0500) [default: UTC].
    #[arg(long, value_parser = parse_tz, value_name = "OFFSET")]
    pub tz: Option<i64>,
}

/// A recurrent cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CellArg {
    Lstm,
    Gru,
}

/// A calendar input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CalendarTerm {
    Hour,
    Weekday,
}

fn parse_tz(text: &str) -> Result<i64, String> {
    Calendar::parse(&[], Some(text))
        .map(|c| c.offset_s)
        .map_err(|e| e.to_string())
}

impl TrainingArgs {
    /// The training stage's options, writing to `out`; `periods` are the seasonal periods
    /// named (empty: detected).
    pub fn options(
        &self,
        series: &SeriesArgs,
        out: &Path,
        periods: &[usize],
        dpi: u32,
    ) -> TrainOptions {
        let split = if self.select_on_test {
            Split::Study {
                test_fraction: self.test_fraction,
            }
        } else {
            Split::Validated {
                val_fraction: self.val_fraction,
                test_fraction: self.test_fraction,
                folds: self.folds,
            }
        };
        TrainOptions {
            series: series.into(),
            out_dir: out.to_owned(),
            look_backs: self.look_back.clone(),
            horizon: self.horizon,
            split,
            seeds: self.seeds,
            patience: self.patience,
            scale_on_all: self.scale_on_all,
            hyper: Hyper {
                cell: match self.cell {
                    CellArg::Lstm => CellKind::Lstm,
                    CellArg::Gru => CellKind::Gru,
                },
                dropout: self.dropout,
                hidden: self.hidden,
                layers: self.layers,
                lr: self.lr,
                batch_size: self.batch_size,
                epochs: self.epochs,
                seed: self.seed,
            },
            periods: periods.to_vec(),
            features: self.features.clone(),
            calendar: Calendar {
                hour: self.calendar.contains(&CalendarTerm::Hour),
                weekday: self.calendar.contains(&CalendarTerm::Weekday),
                offset_s: self.tz.unwrap_or(0),
            },
            dpi,
        }
    }
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub io: DatasetIo,

    #[command(flatten)]
    pub series: SeriesArgs,

    #[command(flatten)]
    pub training: TrainingArgs,

    /// Seasonal periods in intervals (e.g. 288,2016 for daily and weekly on 5-min data): a
    /// seasonal naive per period, Holt-Winters on the first, MSTL on all (default: detected
    /// on the training span).
    #[arg(long, value_delimiter = ',', value_name = "N,...")]
    pub period: Vec<usize>,

    /// Resolution of the PNG figures.
    #[arg(long, default_value_t = 300, value_name = "DPI")]
    pub dpi: u32,
}

#[derive(Args, Debug)]
pub struct PredictArgs {
    /// A `*.best_model.*.safetensors` written by `ntp train` (its `.json` card beside it).
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,

    /// The other capture's dataset.
    #[command(flatten)]
    pub io: DatasetIo,
}
