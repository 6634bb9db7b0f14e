//! Options that several commands take: how a series is built from an input (analyze, train,
//! predict, pipeline), the unit of written time columns (preprocess, aggregate, pipeline),
//! a dataset in and a directory out, and `--start`/`--end` times.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use ntp::series::{Agg, Align, Fill, SeriesOptions, SizeKind, Window};

/// `--start` / `--end`: epoch seconds or ISO 8601, as nanoseconds.
pub(super) fn time_arg(text: &str) -> Result<i64, String> {
    ntp::util::time::parse_time(text)
        .ok_or_else(|| "not a time (epoch seconds or ISO 8601, e.g. 2007-01-25T05:00:00Z)".into())
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

/// How rows of a series file that share an interval are combined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AggArg {
    Mean,
    Sum,
    Min,
    Max,
    First,
    Last,
    /// How many rows with a value.
    Count,
}

impl From<AggArg> for Agg {
    fn from(a: AggArg) -> Agg {
        match a {
            AggArg::Mean => Agg::Mean,
            AggArg::Sum => Agg::Sum,
            AggArg::Min => Agg::Min,
            AggArg::Max => Agg::Max,
            AggArg::First => Agg::First,
            AggArg::Last => Agg::Last,
            AggArg::Count => Agg::Count,
        }
    }
}

/// Which interval a time stamp off the grid goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AlignArg {
    /// The interval it falls in.
    Start,
    /// The interval whose start is nearest.
    Nearest,
}

impl From<AlignArg> for Align {
    fn from(a: AlignArg) -> Align {
        match a {
            AlignArg::Start => Align::Start,
            AlignArg::Nearest => Align::Nearest,
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

    /// How a series file's missing intervals and empty values are filled [default: linear;
    /// `train` instead uses no window whose inputs or target are missing, unless given].
    #[arg(long, value_enum, value_name = "HOW")]
    pub fill: Option<FillArg>,

    /// How rows of a series file that fall into one interval (duplicates, jittered stamps,
    /// a DST change's repeated hour) are combined [default: mean; sum for a count column of
    /// an ntp series table].
    #[arg(long, value_enum, value_name = "HOW")]
    pub agg: Option<AggArg>,

    /// Which interval a series file's time stamp off the grid goes to.
    #[arg(long, value_enum, default_value_t = AlignArg::Start)]
    pub align: AlignArg,

    /// The time zone of a series file's stamps that carry no UTC offset (an IANA name:
    /// America/New_York, Europe/Paris): converted to UTC, a DST change's repeated hour read
    /// in order, its skipped hour with the offset before it [default: UTC].
    #[arg(long, value_name = "ZONE")]
    pub time_zone: Option<String>,

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
            fill: a.fill.map_or(Fill::Linear, Fill::from),
            agg: a.agg.map(Agg::from),
            align: a.align.into(),
            time_zone: a.time_zone.clone(),
            window: Window {
                start: a.start,
                end: a.end,
            },
        }
    }
}

/// Many series in one file (analyze, detect, train): each run on its own, its outputs in
/// `DIR/{stem}/` named by its id, and one table of each kind combining them,
/// `DIR/{stem}.{table}` with an `id` column.
#[derive(Args, Debug, Clone, Default)]
pub struct ManyArgs {
    /// The series-id column of a long-format file: one row per series and time, as the
    /// forecasting libraries write them (`unique_id,ds,y`, read so without asking, as is a
    /// column `item_id`, `series_id`, `kpi_id` or `KPI ID`; the time is then `ds` and the
    /// value `y` when there are such columns, unless --time-column/--column say otherwise).
    #[arg(long, value_name = "COL")]
    pub id: Option<String>,

    /// Several value columns: of a series file (wide format, a column per series —
    /// a traffic matrix, a set of links), each series run on its own; `all` takes every
    /// numeric column besides the time. Of an ntp series table (`detect` only), the
    /// columns of one series judged together, an event from any (e.g.
    /// `ip_bytes,destinations,dst_addr_entropy`: a scan moves the addresses first).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub columns: Vec<String>,
}

/// A dataset in, a directory out (analyze, train, predict).
#[derive(Args, Debug)]
pub struct DatasetIo {
    /// A series table (`ntp aggregate`), per-packet tables (`ntp preprocess`: files or a
    /// directory, read as one dataset), or a CSV/Parquet series file.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Output directory.
    #[arg(short, long, default_value = "results", value_name = "DIR")]
    pub output: PathBuf,
}
