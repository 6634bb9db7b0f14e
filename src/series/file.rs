//! Series files as input: ntp's own series table ([`read_table`]), and any CSV or Parquet
//! file with a time column and a numeric column ([`read_file`]) — SNMP/MRTG counters,
//! NetFlow aggregates, public traffic series.
//!
//! The rule for a generic file: the time column is `--time-column`, else the first column
//! named like a time (`timestamp`, `time`, `date`, …), else the first column; times are
//! epoch seconds or ISO 8601 (UTC unless they carry an offset). The value column is
//! `--column`, else `value`, else the only numeric column left.
//!
//! Rows are put on a regular grid, as exports from pollers and monitoring systems need:
//! rows out of time order are sorted; the interval is the most common step between stamps
//! and the grid starts at the first stamp; a stamp off the grid goes to the interval it
//! falls in (`--align start`) or the nearest (`--align nearest`); rows sharing an interval
//! (duplicates, jitter, the repeated hour of a DST change in local time) are combined by
//! `--agg` (the mean; the sum for a count column of ntp's own table). Intervals without a
//! row, and empty cells, are filled by `--fill` (default linear). Each change is counted in
//! [`Series::regridded`] and [`Series::filled`], which every command says. Non-numeric
//! values are errors naming the row.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

use super::table::{Column, TIMESTAMP};
use super::{Agg, Align, Fill, Quantity, Regridded, Series, SeriesOptions, SizeKind};
use crate::error::{Error, Result};
use crate::render::csv;
use crate::util::time::parse_time;

const TIME_NAMES: [&str; 8] = [
    "timestamp",
    "time",
    "date",
    "datetime",
    "ts",
    "period",
    "start",
    "interval_start",
];

pub(super) fn bad(path: &Path, message: impl Into<String>) -> Error {
    Error::Dataset {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// One column of a file as text cells (CSV) or as read by polars (Parquet).
pub(super) struct Columns {
    pub(super) names: Vec<String>,
    /// Cells per column; `None` is an empty cell / null.
    pub(super) cells: Vec<Vec<Option<String>>>,
    /// Whether a column may hold numbers (CSV: any; Parquet: numeric types).
    pub(super) typed_numeric: Vec<bool>,
    /// Line number of row 0 (2 for a CSV with a header; 1 for Parquet rows).
    pub(super) first_line: usize,
    pub(super) what: &'static str,
}

fn read_parquet(path: &Path) -> Result<Columns> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let df = ParquetReader::new(file).finish().map_err(|e| {
        let mut head = [0u8; 4];
        let magic = std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
            .is_ok()
            && &head == b"PAR1";
        if magic {
            bad(
                path,
                format!("a Parquet file ntp cannot read as a series ({e})"),
            )
        } else {
            bad(path, format!("not a Parquet file ({e})"))
        }
    })?;
    let mut names = Vec::new();
    let mut cells = Vec::new();
    let mut typed_numeric = Vec::new();
    for c in df.columns() {
        names.push(c.name().to_string());
        let s = c.as_materialized_series();
        // Decimals are what Spark and DuckDB write for counters: numbers too.
        let numeric =
            s.dtype().is_primitive_numeric() || matches!(s.dtype(), DataType::Decimal(..));
        typed_numeric.push(numeric);
        let text: Vec<Option<String>> = match s.dtype() {
            DataType::Datetime(unit, _) => {
                let mul = match unit {
                    TimeUnit::Nanoseconds => 1,
                    TimeUnit::Microseconds => 1_000,
                    TimeUnit::Milliseconds => 1_000_000,
                };
                let phys = s.to_physical_repr().into_owned();
                let v = phys.i64().map_err(|e| Error::polars(path, e))?;
                // Marked `ns:` so the time parser takes them as nanoseconds.
                v.iter()
                    .map(|x| x.map(|x| format!("ns:{}", x.saturating_mul(mul))))
                    .collect()
            }
            dt if numeric || dt.is_bool() => {
                let f = s
                    .cast(&DataType::Float64)
                    .map_err(|e| Error::polars(path, e))?;
                let f = f.f64().map_err(|e| Error::polars(path, e))?;
                f.iter().map(|x| x.map(|x| format!("{x:?}"))).collect()
            }
            _ => {
                let t = s
                    .cast(&DataType::String)
                    .map_err(|e| Error::polars(path, e))?;
                let t = t.str().map_err(|e| Error::polars(path, e))?;
                t.iter().map(|x| x.map(str::to_string)).collect()
            }
        };
        cells.push(text);
    }
    Ok(Columns {
        names,
        cells,
        typed_numeric,
        first_line: 1,
        what: "row",
    })
}

fn time_of(cell: &str) -> Option<i64> {
    match cell.strip_prefix("ns:") {
        Some(ns) => ns.parse().ok(),
        None => parse_time(cell),
    }
}

/// How a file's times become instants: stamps without an offset are UTC, or wall-clock
/// times in `zone` (`--time-zone`), the rows of a DST change's repeated or skipped hour
/// placed by the zone's rules and counted.
#[derive(Clone, Debug, Default)]
pub(super) struct Clock {
    zone: Option<chrono_tz::Tz>,
    /// The instant of the row before, in file order (it decides a repeated hour).
    previous: Option<i64>,
    pub(super) repeated: usize,
    pub(super) skipped: usize,
}

impl Clock {
    pub(super) fn new(opts: &SeriesOptions) -> Result<Clock> {
        let zone = match &opts.time_zone {
            None => None,
            Some(name) => Some(name.parse::<chrono_tz::Tz>().map_err(|_| {
                Error::Invalid(format!(
                    "--time-zone {name:?}: not a time zone name (e.g. America/New_York, Europe/Paris, UTC)"
                ))
            })?),
        };
        Ok(Clock {
            zone,
            ..Clock::default()
        })
    }

    pub(super) fn instant(&mut self, cell: &str) -> Option<i64> {
        use crate::util::time::{local_instant, parse_stamp, Local, Stamp};
        let Some(zone) = self.zone else {
            return time_of(cell);
        };
        let ns = match cell.strip_prefix("ns:") {
            Some(ns) => ns.parse().ok()?,
            None => match parse_stamp(cell)? {
                Stamp::Instant(ns) => ns,
                Stamp::Naive(d) => {
                    let (ns, how) = local_instant(d, zone, self.previous)?;
                    self.repeated += usize::from(how == Local::Repeated);
                    self.skipped += usize::from(how == Local::Skipped);
                    ns
                }
            },
        };
        self.previous = Some(ns);
        Some(ns)
    }
}

pub(super) fn number(cell: &str) -> Option<f64> {
    cell.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A cell or name as quoted in a message: at most 40 characters of it.
pub(super) fn quoted(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(40).collect();
    if chars.next().is_none() {
        format!("{head:?}")
    } else {
        format!("{head:?}… ({} bytes)", text.len())
    }
}

/// Rejects headers that would make the column choice a guess: a name given twice, or no
/// header at all (a first line of data).
fn check_header(path: &Path, c: &Columns) -> Result<()> {
    for (i, name) in c.names.iter().enumerate() {
        if let Some(j) = c.names[..i].iter().position(|n| n.trim() == name.trim()) {
            return Err(bad(
                path,
                format!(
                    "column {} appears twice (columns {} and {}): rename one",
                    quoted(name.trim()),
                    j + 1,
                    i + 1
                ),
            ));
        }
    }
    let data_like = |n: &String| number(n).is_some() || time_of(n.trim()).is_some();
    if c.what == "line" && !c.names.is_empty() && c.names.iter().all(data_like) {
        return Err(bad(
            path,
            format!(
                "line 1 ({}) is data, not a header: add a header line such as `timestamp,value`",
                quoted(&c.names.join(","))
            ),
        ));
    }
    if c.cells.first().is_none_or(|col| col.is_empty()) {
        return Err(bad(path, "no rows: the file holds a header only"));
    }
    Ok(())
}

/// Finds column `name` of `c`, or the error naming `flag` and the columns there are.
fn find_column(path: &Path, c: &Columns, name: &str, flag: &str) -> Result<usize> {
    c.names.iter().position(|n| n == name).ok_or_else(|| {
        bad(
            path,
            format!(
                "{flag} {}: no such column (columns: {})",
                quoted(name),
                quoted(&c.names.join(", "))
            ),
        )
    })
}

/// The time column by the rule in the module doc, once the header is checked.
pub(super) fn time_column(path: &Path, c: &Columns, opts: &SeriesOptions) -> Result<usize> {
    check_header(path, c)?;
    Ok(match &opts.time_column {
        Some(name) => find_column(path, c, name, "--time-column")?,
        None => c
            .names
            .iter()
            .position(|n| TIME_NAMES.contains(&n.trim().to_ascii_lowercase().as_str()))
            .unwrap_or(0),
    })
}

/// Picks the time and value columns by the rule in the module doc.
pub(super) fn pick_columns(
    path: &Path,
    c: &Columns,
    opts: &SeriesOptions,
) -> Result<(usize, usize)> {
    let t = time_column(path, c, opts)?;
    let find = |name: &str, flag: &str| find_column(path, c, name, flag);
    if let Some(name) = &opts.column {
        return Ok((t, find(name, "--column")?));
    }
    let numeric: Vec<usize> = (0..c.names.len())
        .filter(|&i| i != t)
        .filter(|&i| {
            let mut any = false;
            let all = c.cells[i].iter().flatten().all(|v| {
                any = true;
                number(v).is_some()
            });
            all && any
        })
        .collect();
    // `value`, or the only other column, even if a cell is not a number (the error then
    // names that cell's row).
    let others: Vec<usize> = (0..c.names.len())
        .filter(|&i| i != t && c.typed_numeric[i])
        .collect();
    if let Some(&v) = others.iter().find(|&&i| c.names[i].trim() == "value") {
        return Ok((t, v));
    }
    if let [v] = others.as_slice() {
        return Ok((t, *v));
    }
    match numeric.as_slice() {
        [v] => Ok((t, *v)),
        [] => Err(bad(
            path,
            format!(
                "not an ntp dataset: no column `Timestamp` (write one with `ntp preprocess`), and not a series: \
                 no numeric column besides the time column `{}` (name one with --column)",
                c.names[t]
            ),
        )),
        many => Err(bad(
            path,
            format!(
                "several numeric columns ({}): choose one with --column",
                many.iter().map(|&i| c.names[i].as_str()).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// A series file's rows as read: time, value (NaN: an empty cell; -inf: a table's null)
/// and line (or row) number. 20 bytes a row.
pub(super) struct Points {
    pub(super) times: Vec<i64>,
    pub(super) values: Vec<f64>,
    pub(super) lines: Vec<u32>,
    /// Rows in a DST change's repeated and skipped local hour (`--time-zone`).
    pub(super) dst: (usize, usize),
}

impl Points {
    pub(super) fn with_capacity(n: usize) -> Points {
        Points {
            times: Vec::with_capacity(n),
            values: Vec::with_capacity(n),
            lines: Vec::with_capacity(n),
            dst: (0, 0),
        }
    }

    pub(super) fn push(&mut self, t: i64, v: f64, line: usize) {
        self.times.push(t);
        self.values.push(v);
        self.lines.push(u32::try_from(line).unwrap_or(u32::MAX));
    }

    pub(super) fn len(&self) -> usize {
        self.times.len()
    }
}

/// Reads any CSV/Parquet series (see the module doc).
pub fn read_file(path: &Path, opts: &SeriesOptions) -> Result<Series> {
    struct Reading {
        names: Vec<String>,
        what: &'static str,
        columns: (usize, usize),
        clock: Clock,
        points: Points,
    }
    let r = for_each_row(
        path,
        |c| {
            Ok(Reading {
                names: c.names.clone(),
                what: c.what,
                columns: pick_columns(path, c, opts)?,
                clock: Clock::new(opts)?,
                points: Points::with_capacity(c.cells.first().map_or(0, Vec::len)),
            })
        },
        |r, line, cells| {
            let (t, v) = r.columns;
            let (t_ns, value) = parse_cells(
                path,
                (&r.names, r.what),
                (t, v),
                (line, &mut r.clock),
                (cells[t], cells[v]),
            )?;
            if opts.window.contains(t_ns) {
                check_rows(path, r.points.len())?;
                r.points.push(t_ns, value, line);
            }
            Ok(())
        },
    )?;
    let mut points = r.points;
    points.dst = (r.clock.repeated, r.clock.skipped);
    let name = r.names[r.columns.1].trim().to_string();
    let series = regularize(
        path,
        points,
        Gridding::of(opts, Agg::Mean),
        r.what,
        Quantity(name),
    )?;
    rebin(path, series, opts, false)
}

/// Refuses a file as soon as it holds more rows than the longest series.
pub(super) fn check_rows(path: &Path, rows: usize) -> Result<()> {
    if rows as i64 >= super::aggregate::MAX_ROWS {
        return Err(bad(
            path,
            format!(
                "more than {} rows: longer than a series may be",
                super::aggregate::MAX_ROWS
            ),
        ));
    }
    Ok(())
}

/// One row's time and value (NaN for an empty cell), or the error naming its line.
pub(super) fn parse_cells(
    path: &Path,
    (names, what): (&[String], &str),
    (t, v): (usize, usize),
    (line, clock): (usize, &mut Clock),
    (time, value): (Option<&str>, Option<&str>),
) -> Result<(i64, f64)> {
    let t_ns = time.and_then(|t| clock.instant(t)).ok_or_else(|| {
        bad(
            path,
            format!(
                "{what} {line}: {} in `{}` is not a time (epoch seconds or ISO 8601)",
                quoted(time.unwrap_or("")),
                names[t]
            ),
        )
    })?;
    Ok((t_ns, value_of(path, (names, what), v, line, value)?))
}

/// A value cell: NaN when empty, or the error naming its line.
pub(super) fn value_of(
    path: &Path,
    (names, what): (&[String], &str),
    v: usize,
    line: usize,
    value: Option<&str>,
) -> Result<f64> {
    match value.filter(|v| !v.trim().is_empty()) {
        None => Ok(f64::NAN),
        Some(text) => number(text).ok_or_else(|| {
            bad(
                path,
                format!(
                    "{what} {line}: {} in `{}` is not a number",
                    quoted(text),
                    names[v]
                ),
            )
        }),
    }
}

/// Rows of a CSV read to choose the columns by (the rule of the module doc).
const SAMPLE_ROWS: usize = 1000;

/// The rows of a series file: `start` is given the header and first rows (to choose the
/// columns by), then `row` each row's cells in file order (`None`: a Parquet null). A CSV
/// (TSV: tab-separated) is streamed — its text is never held whole; a Parquet file is
/// read by polars.
pub(super) fn for_each_row<S>(
    path: &Path,
    start: impl FnOnce(&Columns) -> Result<S>,
    mut row: impl FnMut(&mut S, usize, &[Option<&str>]) -> Result<()>,
) -> Result<S> {
    if !is_csv(path) {
        let c = read_parquet(path)?;
        let mut state = start(&c)?;
        let mut cells: Vec<Option<&str>> = Vec::with_capacity(c.names.len());
        for i in 0..c.cells.first().map_or(0, Vec::len) {
            cells.clear();
            cells.extend(c.cells.iter().map(|col| col[i].as_deref()));
            row(&mut state, c.first_line + i, &cells)?;
        }
        return Ok(state);
    }
    let mut rows = CsvRows::open(path)?;
    let header = rows
        .next_line()?
        .map(|(_, l)| rows.split(&l))
        .unwrap_or_default();
    let mut sample: Vec<(usize, Vec<String>)> = Vec::new();
    while sample.len() < SAMPLE_ROWS {
        let Some(r) = rows.next_row()? else { break };
        sample.push(r);
    }
    let columns = sample_columns(path, &header, &sample)?;
    let mut state = start(&columns)?;
    let mut each = |n: usize, fields: &[String], state: &mut S| -> Result<()> {
        if fields.len() != header.len() {
            return Err(bad(
                path,
                format!(
                    "row {n} has {} fields, the header {}",
                    fields.len(),
                    header.len()
                ),
            ));
        }
        let cells: Vec<Option<&str>> = fields.iter().map(|f| Some(f.as_str())).collect();
        row(state, n, &cells)
    };
    for (n, fields) in &sample {
        each(*n, fields, &mut state)?;
    }
    while let Some((n, fields)) = rows.next_row()? {
        each(n, &fields, &mut state)?;
    }
    Ok(state)
}

/// Whether a series file is read as text (`.csv`, `.tsv`, either gzipped: `.csv.gz`)
/// rather than Parquet.
pub fn is_csv(path: &Path) -> bool {
    text_kind(path).is_some()
}

/// A text series file's delimiter and whether it is gzipped; `None` for Parquet.
fn text_kind(path: &Path) -> Option<(char, bool)> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let (inner, gz) = match name.strip_suffix(".gz") {
        Some(inner) => (inner.to_string(), true),
        None => (name, false),
    };
    if inner.ends_with(".csv") {
        Some((',', gz))
    } else if inner.ends_with(".tsv") {
        Some(('\t', gz))
    } else {
        None
    }
}

/// A CSV's lines, numbered from 1, split into fields; blank lines are allowed at the end
/// only.
pub(super) struct CsvRows<'a> {
    path: &'a Path,
    lines: std::iter::Enumerate<std::io::Lines<Box<dyn std::io::BufRead + 'a>>>,
    delimiter: char,
    blank_at: Option<usize>,
}

impl<'a> CsvRows<'a> {
    /// Opens a text series file, gunzipping a `.gz` one as it is read.
    pub(super) fn open(path: &'a Path) -> Result<CsvRows<'a>> {
        use std::io::BufRead;
        let (delimiter, gz) = text_kind(path).unwrap_or((',', false));
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let reader: Box<dyn BufRead + 'a> = if gz {
            Box::new(std::io::BufReader::new(flate2::read::MultiGzDecoder::new(
                file,
            )))
        } else {
            Box::new(std::io::BufReader::new(file))
        };
        Ok(CsvRows {
            path,
            lines: reader.lines().enumerate(),
            delimiter,
            blank_at: None,
        })
    }

    /// The header line's fields (empty for an empty file).
    pub(super) fn header(&mut self) -> Result<Vec<String>> {
        Ok(self
            .next_line()?
            .map(|(_, l)| self.split(&l))
            .unwrap_or_default())
    }

    fn split(&self, line: &str) -> Vec<String> {
        csv::split_fields(line, self.delimiter)
    }

    fn next_line(&mut self) -> Result<Option<(usize, String)>> {
        match self.lines.next() {
            None => Ok(None),
            Some((i, l)) => Ok(Some((i + 1, l.map_err(|e| Error::io(self.path, e))?))),
        }
    }

    /// The next row that is not blank, as (line number, fields).
    fn next_row(&mut self) -> Result<Option<(usize, Vec<String>)>> {
        loop {
            let Some((n, l)) = self.next_line()? else {
                return Ok(None);
            };
            if l.trim().is_empty() {
                self.blank_at.get_or_insert(n);
                continue;
            }
            if let Some(b) = self.blank_at {
                return Err(bad(
                    self.path,
                    format!("line {b} is blank, and rows follow it"),
                ));
            }
            return Ok(Some((n, self.split(&l))));
        }
    }
}

/// The columns of a CSV's header and first rows, as the column rule reads them.
fn sample_columns(
    path: &Path,
    header: &[String],
    sample: &[(usize, Vec<String>)],
) -> Result<Columns> {
    let mut cells = vec![Vec::with_capacity(sample.len()); header.len()];
    for (n, row) in sample {
        if row.len() != header.len() {
            return Err(bad(
                path,
                format!(
                    "row {n} has {} fields, the header {}",
                    row.len(),
                    header.len()
                ),
            ));
        }
        for (c, v) in row.iter().enumerate() {
            cells[c].push((!v.trim().is_empty()).then(|| v.clone()));
        }
    }
    Ok(Columns {
        typed_numeric: vec![true; header.len()],
        names: header.to_vec(),
        cells,
        first_line: 2,
        what: "line",
    })
}

/// The step between two stamps (i128: stamps centuries apart overflow an i64 difference).
fn step(a: i64, b: i64) -> i128 {
    b as i128 - a as i128
}

/// How rows go onto the grid: combined by `agg`, off-grid stamps aligned by `align`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Gridding {
    agg: Agg,
    align: Align,
    fill: Fill,
}

impl Gridding {
    /// The options' gridding, rows sharing an interval combined by `--agg` or `default`.
    pub(super) fn of(opts: &SeriesOptions, default: Agg) -> Gridding {
        Gridding {
            agg: opts.agg.unwrap_or(default),
            align: opts.align,
            fill: opts.fill,
        }
    }
}

/// Sorts the points by time (stable: rows of one stamp keep their file order) and says
/// how many rows came after a later stamp.
fn sort_points(points: Points) -> (Points, usize) {
    let mut latest = i64::MIN;
    let mut unsorted = 0;
    for &t in &points.times {
        if t < latest {
            unsorted += 1;
        }
        latest = latest.max(t);
    }
    if unsorted == 0 {
        return (points, 0);
    }
    let mut order: Vec<u32> = (0..points.len() as u32).collect();
    order.sort_by_key(|&i| points.times[i as usize]);
    let sorted = Points {
        times: order.iter().map(|i| points.times[*i as usize]).collect(),
        values: order.iter().map(|i| points.values[*i as usize]).collect(),
        lines: order.iter().map(|i| points.lines[*i as usize]).collect(),
        dst: points.dst,
    };
    (sorted, unsorted)
}

/// The most common step between distinct consecutive stamps (ties: the smallest); `None`
/// when no step fits an i64 number of nanoseconds or every stamp is the same.
fn infer_interval(times: &[i64]) -> Option<i64> {
    let mut steps: BTreeMap<i128, usize> = BTreeMap::new();
    for w in times.windows(2) {
        *steps.entry(step(w[0], w[1])).or_default() += 1;
    }
    steps
        .into_iter()
        .filter(|(d, _)| *d > 0 && *d <= i64::MAX as i128)
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(d, _)| d as i64)
}

/// Each slot's value from the rows in it by `agg` (NaN: no row with a value), and how
/// many slots held more than one row, with their rows.
fn combine(points: &Points, slot: &[usize], n: usize, agg: Agg) -> (Vec<f64>, usize, usize) {
    let mut value = vec![f64::NAN; n];
    let mut rows = vec![0u32; n];
    let mut valued = vec![0u32; n];
    for (i, &s) in slot.iter().enumerate() {
        rows[s] += 1;
        let v = points.values[i];
        if v.is_nan() {
            continue;
        }
        valued[s] += 1;
        let old = value[s];
        value[s] = if old.is_nan() {
            match agg {
                Agg::Count => 1.0,
                _ => v,
            }
        } else {
            match agg {
                Agg::Mean | Agg::Sum => old + v,
                Agg::Min => old.min(v),
                Agg::Max => old.max(v),
                Agg::First => old,
                Agg::Last => v,
                Agg::Count => old + 1.0,
            }
        };
    }
    if agg == Agg::Mean {
        for (v, &k) in value.iter_mut().zip(&valued) {
            if k > 1 {
                *v /= k as f64;
            }
        }
    }
    let several = rows.iter().filter(|&&r| r > 1);
    let combined = several.clone().count();
    let combined_rows = several.map(|&r| r as usize).sum();
    (value, combined, combined_rows)
}

/// Puts the rows on a regular grid and fills what is missing (NaN values and intervals
/// without a row) by `fill`. Rows out of order are sorted; the interval is the most common
/// step between stamps, the grid starts at the first stamp; a stamp off it goes to the
/// interval of `align`, and rows sharing an interval are combined by `agg` — each said in
/// [`Series::regridded`].
pub(super) fn regularize(
    path: &Path,
    points: Points,
    grid: Gridding,
    what: &str,
    quantity: Quantity,
) -> Result<Series> {
    if points.len() < 2 {
        return Err(bad(
            path,
            format!("{} point(s): a series needs at least 2", points.len()),
        ));
    }
    let (points, unsorted) = sort_points(points);
    let dst = points.dst;
    let times = &points.times;
    let every = infer_interval(times).ok_or_else(|| {
        let why = if times[0] == times[times.len() - 1] {
            format!("every {what} has the same time stamp: no interval to infer")
        } else {
            "the time stamps are centuries apart: no interval to infer".into()
        };
        bad(path, why)
    })?;
    let (first, last) = (times[0], times[times.len() - 1]);
    let offset = |t: i64| step(first, t);
    let slot_of = |t: i64| -> i128 {
        match grid.align {
            Align::Start => offset(t) / every as i128,
            Align::Nearest => (offset(t) + every as i128 / 2) / every as i128,
        }
    };
    let off_grid = times
        .iter()
        .filter(|&&t| offset(t) % every as i128 != 0)
        .count();
    let intervals = slot_of(last);
    // Checked before anything of that length is allocated (intervals < 2^63 here).
    let lo = first.div_euclid(every);
    let hi = lo.saturating_add(intervals as i64);
    super::aggregate::check_span(path, lo, hi, every)?;
    let slot: Vec<usize> = times.iter().map(|&t| slot_of(t) as usize).collect();
    let occupied = 1 + slot.windows(2).filter(|w| w[0] != w[1]).count();
    super::aggregate::check_density(path, lo, hi, every, occupied)?;
    let n = intervals as usize + 1;
    let (slots, combined, combined_rows) = combine(&points, &slot, n, grid.agg);
    drop(points);
    let filled = slots.iter().filter(|v| v.is_nan()).count();
    let missing = missing_mask(&slots, grid.fill);
    let start: Vec<i64> = (0..n).map(|i| first + i as i64 * every).collect();
    let (start_ns, values) = apply_fill(path, start, slots, grid.fill)?;
    Ok(Series {
        every_ns: every,
        start_ns,
        values,
        packets: None,
        quantity,
        filled,
        slots: n,
        regridded: Regridded {
            unsorted,
            combined,
            combined_rows,
            agg: (combined > 0).then_some(grid.agg),
            off_grid,
            align: grid.align,
            dst_repeated: dst.0,
            dst_skipped: dst.1,
        },
        missing,
        notes: Vec::new(),
    })
}

/// Which slots have no value (NaN) before `fill` fills them; empty when none has, or when
/// `fill` drops them (they are then not in the series at all).
fn missing_mask(slots: &[f64], fill: Fill) -> Vec<bool> {
    if fill == Fill::Drop || !slots.iter().any(|v| v.is_nan()) {
        return Vec::new();
    }
    slots.iter().map(|v| v.is_nan()).collect()
}

/// Fills the NaN slots by `fill`, in place (`drop` leaves them and their times out).
fn apply_fill(
    path: &Path,
    start: Vec<i64>,
    mut slots: Vec<f64>,
    fill: Fill,
) -> Result<(Vec<i64>, Vec<f64>)> {
    let Some(first_known) = slots.iter().position(|v| !v.is_nan()) else {
        return Err(bad(path, "no value at all"));
    };
    match fill {
        Fill::Drop => Ok(start
            .into_iter()
            .zip(slots)
            .filter(|(_, v)| !v.is_nan())
            .unzip()),
        Fill::Zero => {
            slots
                .iter_mut()
                .filter(|v| v.is_nan())
                .for_each(|v| *v = 0.0);
            Ok((start, slots))
        }
        Fill::Linear => {
            // Before the first known value: that value; between two: the line; after the
            // last: the last.
            let mut prev = first_known;
            let v0 = slots[first_known];
            slots[..first_known].iter_mut().for_each(|v| *v = v0);
            for i in first_known + 1..slots.len() {
                if slots[i].is_nan() {
                    continue;
                }
                let (ya, yb) = (slots[prev], slots[i]);
                let gap = (i - prev) as f64;
                for (j, v) in slots[prev + 1..i].iter_mut().enumerate() {
                    *v = ya + (yb - ya) * (j + 1) as f64 / gap;
                }
                prev = i;
            }
            let last = slots[prev];
            slots[prev + 1..].iter_mut().for_each(|v| *v = last);
            Ok((start, slots))
        }
    }
}

/// The value column of an ntp series table for these options.
fn table_column(opts: &SeriesOptions) -> String {
    opts.column.clone().unwrap_or_else(|| {
        match opts.size {
            SizeKind::Ip => Column::IpBytes,
            SizeKind::Wire => Column::WireBytes,
            SizeKind::Captured => Column::CapturedBytes,
        }
        .name()
        .to_string()
    })
}

/// What a series-table column counts.
fn table_quantity(column: &str) -> Quantity {
    if column.ends_with("bytes") {
        Quantity::bytes()
    } else if column.ends_with("packets") || column == "non_ip_frames" {
        Quantity("packets".into())
    } else {
        Quantity(column.into())
    }
}

/// Reads an ntp series table (from `ntp aggregate`): its interval from its stamps, the
/// value column `--column` (default `{size}_bytes`), the packets column beside it.
pub fn read_table(path: &Path, opts: &SeriesOptions) -> Result<Series> {
    let name = table_column(opts);
    let Some(column) = Column::from_name(&name) else {
        return Err(bad(
            path,
            format!(
                "--column {name:?}: not a column of a series table ({})",
                Column::ALL
                    .iter()
                    .map(|c| c.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    };
    if !crate::dataset::reader::has_column(path, &name) {
        let why = if column.is_keyed() {
            "no distinct counts or entropies (it was built with `ntp aggregate --no-distinct`)"
        } else {
            "no such column (it was built by an ntp without it: aggregate the capture again)"
        };
        return Err(bad(
            path,
            format!("--column {name}: this series table has {why}"),
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let err = |e| Error::polars(path, e);
    let df = ParquetReader::new(file)
        .with_columns(Some(vec![TIMESTAMP.into(), name.clone(), "packets".into()]))
        .finish()
        .map_err(err)?;
    // Written in ns or µs: read as ns.
    let ts = df
        .column(TIMESTAMP)
        .map_err(err)?
        .cast(&DataType::Datetime(TimeUnit::Nanoseconds, None))
        .map_err(err)?;
    let ts = ts.as_materialized_series().to_physical_repr().into_owned();
    let ts: Vec<i64> = ts
        .i64()
        .map_err(err)?
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect();
    let get = |c: &str| -> Result<Vec<Option<u64>>> {
        let s = df
            .column(c)
            .map_err(err)?
            .cast(&DataType::UInt64)
            .map_err(err)?;
        Ok(s.u64().map_err(err)?.iter().collect())
    };
    let values: Vec<Option<f64>> = {
        let s = df
            .column(&name)
            .map_err(err)?
            .cast(&DataType::Float64)
            .map_err(err)?;
        s.f64().map_err(err)?.iter().collect()
    };
    let packets = get("packets")?;
    // A null (a distinct count ntp's Spark join cannot know) is a missing value, not zero:
    // marked −∞ (no value of a table is) until the missing rows are zeros.
    let mut points = Points::with_capacity(ts.len());
    for (i, (t, v)) in ts.iter().zip(&values).enumerate() {
        if opts.window.contains(*t) {
            points.push(*t, v.unwrap_or(f64::NEG_INFINITY), i + 1);
        }
    }
    let packets: Vec<u64> = ts
        .iter()
        .zip(packets)
        .filter(|(t, _)| opts.window.contains(**t))
        .map(|(_, p)| p.unwrap_or(0))
        .collect();
    let mut s = if points.len() == 1 {
        let v = points.values[0];
        Series {
            every_ns: opts.every_ns()?.unwrap_or(1_000_000_000),
            start_ns: points.times.clone(),
            values: vec![if v.is_finite() { v } else { 0.0 }],
            packets: None,
            quantity: table_quantity(&name),
            filled: 0,
            slots: 1,
            regridded: Default::default(),
            missing: Vec::new(),
            notes: Vec::new(),
        }
    } else {
        // A table's missing rows are empty intervals (real zeros); its nulls are unknown.
        let grid = Gridding {
            agg: opts
                .agg
                .unwrap_or(if column.is_sum() { Agg::Sum } else { Agg::Mean }),
            align: opts.align,
            fill: Fill::Zero,
        };
        let s = regularize(path, points, grid, "row", table_quantity(&name))?;
        fill_nulls(path, s, opts.fill)?
    };
    // A table is dense: the packets line up with the values (unless its rows were sorted,
    // combined or moved).
    if s.len() == packets.len() && s.regridded == Regridded::default() {
        s.packets = Some(packets);
    }
    rebin(path, s, opts, !column.is_sum())
}

/// Fills a table's null cells (−∞ after regularizing) by `fill`, and says how many.
fn fill_nulls(path: &Path, mut s: Series, fill: Fill) -> Result<Series> {
    let nulls = s.values.iter().filter(|v| **v == f64::NEG_INFINITY).count();
    // A table's empty intervals are real zeros; its nulls are unknown, and filled.
    s.filled = nulls;
    s.missing = Vec::new();
    if nulls == 0 {
        return Ok(s);
    }
    let slots: Vec<f64> = s
        .values
        .iter()
        .map(|&v| if v == f64::NEG_INFINITY { f64::NAN } else { v })
        .collect();
    s.missing = missing_mask(&slots, fill);
    let (start_ns, values) = apply_fill(path, std::mem::take(&mut s.start_ns), slots, fill)?;
    if s.packets.as_ref().is_some_and(|p| p.len() != values.len()) {
        s.packets = None;
    }
    s.start_ns = start_ns;
    s.values = values;
    Ok(s)
}

/// Sums the series into intervals of `--every` (a whole multiple of its own, aligned to
/// the epoch); with `drop_empty`, intervals without packets are left out.
pub(super) fn rebin(
    path: &Path,
    s: Series,
    opts: &SeriesOptions,
    distinct: bool,
) -> Result<Series> {
    let mut s = match opts.every_ns()? {
        None => s,
        Some(every) if every == s.every_ns => s,
        Some(every) if distinct => {
            return Err(bad(
                path,
                format!(
                    "this column (a distinct count, quantile or entropy) cannot be re-binned from {} to {} (it does not add up); aggregate the capture again with --every",
                    s.every_text(),
                    crate::util::time::duration_text(every)
                ),
            ))
        }
        Some(every) if every % s.every_ns != 0 => {
            return Err(bad(
                path,
                format!(
                    "--every {} is not a whole multiple of the series' interval {}",
                    crate::util::time::duration_text(every),
                    s.every_text()
                ),
            ))
        }
        Some(every) => {
            let mut out = Series {
                every_ns: every,
                start_ns: Vec::new(),
                values: Vec::new(),
                packets: s.packets.as_ref().map(|_| Vec::new()),
                quantity: s.quantity.clone(),
                filled: s.filled,
                slots: s.slots,
                regridded: s.regridded.clone(),
                missing: Vec::new(),
                notes: s.notes.clone(),
            };
            let mut missing = Vec::new();
            for i in 0..s.len() {
                let k = s.start_ns[i].div_euclid(every) * every;
                if out.start_ns.last() != Some(&k) {
                    out.start_ns.push(k);
                    out.values.push(0.0);
                    missing.push(false);
                    if let Some(p) = &mut out.packets {
                        p.push(0);
                    }
                }
                // A wider interval that holds a filled-in value is partly invented too.
                if s.missing.get(i).copied().unwrap_or(false) {
                    *missing.last_mut().expect("pushed") = true;
                }
                *out.values.last_mut().expect("pushed") += s.values[i];
                if let (Some(p), Some(src)) = (&mut out.packets, &s.packets) {
                    *p.last_mut().expect("pushed") += src[i];
                }
            }
            if missing.iter().any(|&m| m) {
                out.missing = missing;
            }
            out
        }
    };
    if opts.drop_empty {
        if let Some(p) = s.packets.take() {
            let keep: Vec<usize> = (0..s.len()).filter(|&i| p[i] > 0).collect();
            s.start_ns = keep.iter().map(|&i| s.start_ns[i]).collect();
            s.values = keep.iter().map(|&i| s.values[i]).collect();
            if !s.missing.is_empty() {
                s.missing = keep.iter().map(|&i| s.missing[i]).collect();
            }
            s.packets = Some(keep.iter().map(|&i| p[i]).collect());
        }
    }
    Ok(s)
}
