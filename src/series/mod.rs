//! Series: an amount per regular interval, the unit every later stage works on. Built
//! from captures in one pass ([`aggregate`] → a [`table`] with a [`sizes`] histogram), from
//! a per-packet dataset ([`packets`]), or read from a series file ([`file`](mod@file): ntp's series
//! table or any CSV/Parquet with a time and a numeric column). [`load`] picks the road
//! from what the input is.

pub mod access_log;
pub mod aggregate;
mod closed;
pub mod distinct;
pub mod file;
pub mod many;
pub mod packets;
pub mod sizes;
pub mod table;

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::dataset::{self, reader};
use crate::error::{Error, Result};

/// Which length a packet contributes to the byte count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SizeKind {
    /// IP total length from the header (the traffic volume; default).
    #[default]
    Ip,
    /// Original frame length on the wire.
    Wire,
    /// Captured length, at most snaplen (what the study summed).
    Captured,
}

impl SizeKind {
    pub fn column(self) -> &'static str {
        match self {
            SizeKind::Ip => dataset::SIZE,
            SizeKind::Wire => dataset::WIRE_SIZE,
            SizeKind::Captured => dataset::CAPTURED_SIZE,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SizeKind::Ip => "ip",
            SizeKind::Wire => "wire",
            SizeKind::Captured => "captured",
        }
    }

    /// The kind of a [`SizeKind::name`] (an unknown name is the IP length).
    pub fn from_name(name: &str) -> SizeKind {
        match name {
            "wire" => SizeKind::Wire,
            "captured" => SizeKind::Captured,
            _ => SizeKind::Ip,
        }
    }
}

/// The largest magnitude a series value may have for the stages that take differences,
/// scale or draw it (detect, predict): nearer the largest `f64` (1.8e308) they overflow.
pub const MAX_MAGNITUDE: f64 = 1e300;

/// Refuses a series with a value beyond ±[`MAX_MAGNITUDE`], naming the value.
pub fn check_magnitude(values: &[f64]) -> Result<()> {
    match values.iter().find(|v| v.abs() > MAX_MAGNITUDE) {
        Some(v) => Err(Error::Invalid(format!(
            "a value of {v:e}, beyond the ±{MAX_MAGNITUDE:e} ntp can compute with (rescale the column)"
        ))),
        None => Ok(()),
    }
}

/// What to do with intervals a series file has no value for (a missing row or an empty
/// cell). Packet-derived series need none: an interval without packets is zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fill {
    /// A straight line between the neighbouring values (a missing measurement is unknown,
    /// not zero traffic); leading/trailing gaps take the nearest value.
    #[default]
    Linear,
    /// Zero (for counts where no row means nothing happened).
    Zero,
    /// Leave the interval out (later positions shift, as the study's dropped seconds did).
    Drop,
}

/// How the rows of a series file that fall into one interval are combined (`--agg`):
/// duplicates, a poller's jittered stamps, the repeated hour of a DST change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Agg {
    Mean,
    Sum,
    Min,
    Max,
    First,
    Last,
    /// How many rows with a value.
    Count,
}

impl Agg {
    pub fn name(self) -> &'static str {
        match self {
            Agg::Mean => "mean",
            Agg::Sum => "sum",
            Agg::Min => "min",
            Agg::Max => "max",
            Agg::First => "first",
            Agg::Last => "last",
            Agg::Count => "count",
        }
    }
}

/// Which interval a time stamp off the grid goes to (`--align`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    /// The interval it falls in (its start at or before the stamp), as pandas' resample.
    #[default]
    Start,
    /// The interval whose start is nearest.
    Nearest,
}

/// What putting a series file's rows on a regular grid changed (all zero for a file
/// already regular and sorted).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Regridded {
    /// Rows that came after a later time stamp, sorted into place.
    pub unsorted: usize,
    /// Intervals that held more than one row, and the rows they held.
    pub combined: usize,
    pub combined_rows: usize,
    /// How they were combined.
    pub agg: Option<Agg>,
    /// Time stamps not on the grid (the first stamp's, every interval on).
    pub off_grid: usize,
    pub align: Align,
    /// Rows in a DST change's repeated and skipped local hour, placed by `--time-zone`.
    pub dst_repeated: usize,
    pub dst_skipped: usize,
}

impl Regridded {
    /// The changes as clauses of a sentence (empty when none).
    fn clauses(&self) -> Vec<String> {
        let mut c = Vec::new();
        if self.dst_repeated + self.dst_skipped > 0 {
            c.push(format!(
                "{} rows in the repeated local hour of a DST change and {} in the skipped one were placed by --time-zone",
                self.dst_repeated, self.dst_skipped
            ));
        }
        let n = |k: usize, one: &str, many: &str| {
            if k == 1 {
                format!("1 {one}")
            } else {
                format!("{k} {many}")
            }
        };
        if self.unsorted > 0 {
            c.push(format!(
                "{} out of time order {} sorted",
                n(self.unsorted, "row", "rows"),
                if self.unsorted == 1 { "was" } else { "were" }
            ));
        }
        if self.off_grid > 0 {
            let how = match self.align {
                Align::Start => "the interval they fall in",
                Align::Nearest => "the nearest interval",
            };
            c.push(format!(
                "{} off the grid went to {how} (--align)",
                n(self.off_grid, "time stamp", "time stamps")
            ));
        }
        if self.combined > 0 {
            c.push(format!(
                "{} several rows ({} rows), combined by their {} (--agg)",
                n(self.combined, "interval held", "intervals held"),
                self.combined_rows,
                self.agg.map_or("mean", Agg::name)
            ));
        }
        c
    }
}

/// The time window a series is built from (`--start` inclusive, `--end` exclusive), in
/// nanoseconds since the epoch; packets or rows outside it are left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Window {
    pub start: Option<i64>,
    pub end: Option<i64>,
}

impl Window {
    /// Refuses an empty window.
    pub fn check(&self) -> Result<()> {
        match (self.start, self.end) {
            (Some(s), Some(e)) if e <= s => {
                Err(Error::Invalid("--end must come after --start".into()))
            }
            _ => Ok(()),
        }
    }

    #[inline]
    pub fn contains(&self, ns: i64) -> bool {
        self.start.is_none_or(|s| ns >= s) && self.end.is_none_or(|e| ns < e)
    }

    pub fn is_all(&self) -> bool {
        self.start.is_none() && self.end.is_none()
    }
}

/// How to build a series.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesOptions {
    /// Interval, in polars duration syntax (`1s`, `100ms`, `1m`, …); `None`: 1 s for
    /// captures and packet tables, the file's own interval for series files.
    pub every: Option<String>,
    pub size: SizeKind,
    pub drop_empty: bool,
    /// The value column of a series file (default: `{size}_bytes` of an ntp series table,
    /// the only numeric column of another file).
    pub column: Option<String>,
    /// The time column of a series file (default: found by name, else the first column).
    pub time_column: Option<String>,
    pub fill: Fill,
    /// How rows sharing an interval are combined (`None`: the mean, or the sum for a
    /// count column of ntp's own table).
    pub agg: Option<Agg>,
    pub align: Align,
    /// The zone of a series file's stamps that carry no offset (`None`: UTC).
    pub time_zone: Option<String>,
    /// Only this time window.
    pub window: Window,
}

impl Default for SeriesOptions {
    fn default() -> Self {
        SeriesOptions {
            every: None,
            size: SizeKind::Ip,
            drop_empty: false,
            column: None,
            time_column: None,
            fill: Fill::default(),
            agg: None,
            align: Align::default(),
            time_zone: None,
            window: Window::default(),
        }
    }
}

/// A duration in polars syntax, in nanoseconds (fixed-length, positive).
pub fn parse_every(every: &str) -> Result<i64> {
    let fixed = || {
        Error::Invalid(format!(
            "--every {every:?}: needs a positive fixed-length interval (ns, us, ms, s, m, h, d, w)"
        ))
    };
    match duration_ns(every) {
        Ok(ns) if ns > 0 => Ok(ns),
        Ok(_) => Err(fixed()),
        Err(DurationError::Calendar) => Err(fixed()),
        Err(DurationError::Overflow) => Err(Error::Invalid(format!(
            "--every {every:?}: longer than a series can have (about 292 years)"
        ))),
        Err(DurationError::Syntax) => Err(Error::Invalid(format!(
            "--every {every:?}: not a duration (e.g. 1s, 500ms, 1m, 1h30m)"
        ))),
    }
}

/// Why a duration could not be read.
#[derive(Debug, PartialEq)]
enum DurationError {
    Syntax,
    /// Months or years: no fixed length.
    Calendar,
    Overflow,
}

/// A duration such as `1s`, `500ms`, `1h30m` in nanoseconds, with checked arithmetic (a
/// count that overflows is an error, never a wrapped value).
fn duration_ns(text: &str) -> std::result::Result<i64, DurationError> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(DurationError::Syntax);
    }
    let mut total: i64 = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(DurationError::Syntax);
        }
        let count: i64 = rest[..digits]
            .parse()
            .map_err(|_| DurationError::Overflow)?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit: i64 = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "d" => 86_400_000_000_000,
            "w" => 604_800_000_000_000,
            "mo" | "q" | "y" => return Err(DurationError::Calendar),
            _ => return Err(DurationError::Syntax),
        };
        rest = &rest[unit_len..];
        total = count
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or(DurationError::Overflow)?;
    }
    Ok(total)
}

#[cfg(test)]
mod duration_tests {
    use super::*;

    #[test]
    fn durations_parse_without_wrapping() {
        assert_eq!(duration_ns("1s"), Ok(1_000_000_000));
        assert_eq!(duration_ns("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(duration_ns("250ms"), Ok(250_000_000));
        // 2^64 + 60 s in ns: wrapped, it would be one minute.
        assert_eq!(
            duration_ns("18446744133709551616ns"),
            Err(DurationError::Overflow)
        );
        assert_eq!(duration_ns("300000w"), Err(DurationError::Overflow));
        assert_eq!(duration_ns("1mo"), Err(DurationError::Calendar));
        assert_eq!(duration_ns("1x"), Err(DurationError::Syntax));
        assert!(parse_every("0s").is_err());
    }
}

impl SeriesOptions {
    /// The interval asked for, in nanoseconds.
    pub fn every_ns(&self) -> Result<Option<i64>> {
        self.every.as_deref().map(parse_every).transpose()
    }
}

/// What a series counts: `bytes` (analysed as bytes per second, in B/s … GiB/s), or any
/// other quantity named by its column (`requests` → requests per second).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quantity(pub String);

impl Quantity {
    pub fn bytes() -> Quantity {
        Quantity("bytes".into())
    }

    pub fn is_bytes(&self) -> bool {
        self.0 == "bytes"
    }

    /// A level, not an amount: a series-table column that does not add up over time (a
    /// size quantile, an entropy, a distinct count) is analysed as it is, not per second.
    pub fn is_level(&self) -> bool {
        table::Column::from_name(&self.0).is_some_and(|c| !c.is_sum())
    }

    /// "bytes per second" (a level: its name).
    pub fn per_second(&self) -> String {
        match self.is_level() {
            true => self.0.clone(),
            false => format!("{} per second", self.0),
        }
    }

    /// "bytes_per_second" (a CSV header).
    pub fn csv_name(&self) -> String {
        match self.is_level() {
            true => self.0.replace(' ', "_"),
            false => format!("{}_per_second", self.0.replace(' ', "_")),
        }
    }

    /// (divisor, unit) for an axis whose largest value is `max`.
    pub fn unit(&self, max: f64) -> (f64, String) {
        if self.is_bytes() {
            let (d, u) = crate::util::units::rate_unit(max);
            (d, u.to_string())
        } else {
            (1.0, self.per_second_symbol())
        }
    }

    /// "bytes/s", "requests/s" (the unit of an error in a table caption); a level's name.
    pub fn per_second_symbol(&self) -> String {
        match self.is_level() {
            true => self.0.clone(),
            false => format!("{}/s", self.0),
        }
    }

    /// (divisor, label) of a rate axis: "throughput (KiB/s)", "requests/s".
    pub fn axis(&self, max: f64) -> (f64, String) {
        let (d, u) = self.unit(max);
        if self.is_bytes() {
            (d, format!("throughput ({u})"))
        } else {
            (d, u)
        }
    }
}

/// A regular (or, with `drop_empty` / `Fill::Drop`, gappy) series.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub every_ns: i64,
    /// Interval starts, ns since the epoch.
    pub start_ns: Vec<i64>,
    /// The amount in each interval (bytes, or the file's quantity).
    pub values: Vec<f64>,
    /// Packets per interval, where known.
    pub packets: Option<Vec<u64>>,
    pub quantity: Quantity,
    /// Intervals a series file had no value for, filled by [`Fill`].
    pub filled: usize,
    /// The intervals of the file's own grid, first to last stamp, that `filled` is
    /// counted among (before any re-binning or dropping; 0 for packet-derived series).
    pub slots: usize,
    /// What putting the file's rows on its grid changed.
    pub regridded: Regridded,
    /// Per interval: whether the file had no value for it (its value was filled in). Empty
    /// when every interval had one. `detect` does not score such an interval.
    pub missing: Vec<bool>,
    /// What the reader of the results should know about how the series was built (late
    /// packets, gaps and overlaps between files).
    pub notes: Vec<String>,
}

impl Series {
    pub fn len(&self) -> usize {
        self.start_ns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.start_ns.is_empty()
    }

    /// The amount per second: each interval's amount divided by the interval in seconds.
    pub fn rates(&self) -> Vec<f64> {
        let factor = self.rate_factor();
        self.values.iter().map(|&v| v * factor).collect()
    }

    /// Factor from an amount per interval to an amount per second (1 for a level).
    pub fn rate_factor(&self) -> f64 {
        match self.quantity.is_level() {
            true => 1.0,
            false => 1e9 / self.every_ns as f64,
        }
    }

    /// The sentence that says what was changed to make the file's rows a regular series:
    /// rows sorted, combined or moved onto the grid, intervals filled (`None` when nothing
    /// was). The data a stage sees is then not the file's as written, which every command
    /// says, even under `--quiet`.
    pub fn data_warning(&self, fill: Fill) -> Option<String> {
        self.data_warning_as(match fill {
            Fill::Linear => "filled linearly between their neighbours (--fill)",
            Fill::Zero => "filled with zero (--fill)",
            Fill::Drop => "left out (--fill)",
        })
    }

    /// [`Series::data_warning`] with `how` saying what became of the intervals without a
    /// value (`train` leaves them out of every window unless `--fill` is given).
    pub fn data_warning_as(&self, how: &str) -> Option<String> {
        let mut clauses = self.regridded.clauses();
        if self.filled > 0 {
            clauses.push(format!(
                "{} of {} intervals had no value in the file (a missing row, an empty cell or a null) and were {how}",
                self.filled, self.slots
            ));
        }
        (!clauses.is_empty()).then(|| clauses.join("; "))
    }

    /// The interval as text (`1s`, `100ms`, `5m`).
    pub fn every_text(&self) -> String {
        crate::util::time::duration_text(self.every_ns)
    }
}

/// What a stage's input is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Per-packet Parquet files from `ntp preprocess` (parts of one capture).
    Packets(Vec<PathBuf>),
    /// A series table from `ntp aggregate`.
    Table(PathBuf),
    /// Any other CSV or Parquet series.
    File(PathBuf),
}

impl Source {
    /// The file named in messages about this input.
    pub fn first_path(&self) -> &Path {
        match self {
            Source::Packets(files) => &files[0],
            Source::Table(path) | Source::File(path) => path,
        }
    }
}

/// Tells what `inputs` are: directories expand to their Parquet files; a CSV, or a Parquet
/// file without the per-packet columns, is a series file (one at a time).
pub fn source(inputs: &[PathBuf]) -> Result<Source> {
    let files = reader::resolve(inputs)?;
    let first = &files[0];
    let is_csv = file::is_csv(first);
    let columns = if is_csv {
        Vec::new()
    } else {
        crate::util::guard::reading(first, || reader::column_names(first))?
    };
    let has = |c: &str| columns.iter().any(|x| x == c);
    let kind = if !is_csv && has(dataset::TIMESTAMP) && has(dataset::SIZE) {
        return Ok(Source::Packets(files));
    } else if has(table::TIMESTAMP) && has(table::Column::IpBytes.name()) {
        Source::Table(first.clone())
    } else {
        Source::File(first.clone())
    };
    if files.len() > 1 {
        return Err(Error::Dataset {
            path: files[1].clone(),
            message: "a series file is read on its own: give one (join captures with `ntp aggregate -o FILE.parquet`)".into(),
        });
    }
    Ok(kind)
}

/// The series of `inputs`, whatever they are.
pub fn load(inputs: &[PathBuf], opts: &SeriesOptions) -> Result<Series> {
    from_source(&source(inputs)?, opts)
}

/// The series of an input already told apart by [`source`].
pub fn from_source(source: &Source, opts: &SeriesOptions) -> Result<Series> {
    opts.window.check()?;
    crate::util::guard::reading(source.first_path(), || match source {
        Source::Packets(files) => packets::build(files, opts),
        Source::Table(path) => file::read_table(path, opts),
        Source::File(path) => file::read_file(path, opts),
    })
}
