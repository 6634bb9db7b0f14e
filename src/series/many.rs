//! Many series in one file, as forecasting libraries and network datasets ship them:
//!
//! - the **long** format of statsforecast, neuralforecast and Darts — a series id, a time
//!   and a value per row (`unique_id, ds, y`, recognised by the `unique_id` column; any
//!   other with `--id COL`, `--time-column`, `--column`), rows of different series in any
//!   order (`item_id`, `series_id`, `kpi_id` and `KPI ID` are recognised too);
//! - the **wide** format of traffic matrices and link sets — a time column and one column
//!   per series (`--columns all` or `--columns a,b,…`).
//!
//! One pass reads the file's cells into columns (long: 24 bytes a row; wide: 8 bytes a
//! cell and 12 a row); each series is put on its own grid only when asked for
//! ([`Many::series`]), by the rules of a single series file ([`super::file`]): one regular
//! series is held at a time beside the cells.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::file::{
    bad, check_rows, for_each_row, is_csv, number, parse_cells, pick_columns, quoted, rebin,
    regularize, time_column, value_of, Clock, Columns, CsvRows, Gridding, Points,
};
use super::{Agg, Quantity, Series, SeriesOptions};
use crate::error::{Error, Result};

/// Id columns that make a file long without `--id`: the forecasting libraries'
/// (statsforecast, neuralforecast: `unique_id`; AutoGluon, GluonTS: `item_id`), and the
/// KPI datasets' of AIOps (`KPI ID`).
pub const LONG_IDS: [&str; 5] = ["unique_id", "item_id", "series_id", "kpi_id", "KPI ID"];

/// Most cells a many-series file may hold (160 MB of values in the wide format).
pub const MAX_CELLS: usize = 20_000_000;

/// How the series of a file are laid out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One row per (series, time): the series' id in column `id`.
    Long { id: String },
    /// One column per series; empty: every numeric column besides the time.
    Wide { columns: Vec<String> },
}

/// Whether `path` holds many series, and how: `--id` asks for the long format,
/// `--columns` for the wide one; a column named as in [`LONG_IDS`] is the long format
/// without asking.
/// `None`: one series, as before.
pub fn layout(path: &Path, id: Option<&str>, columns: &[String]) -> Result<Option<Layout>> {
    if let Some(id) = id {
        if !columns.is_empty() {
            return Err(Error::Invalid(
                "--id and --columns: a file is either long (an id column) or wide (a column per series), not both".into(),
            ));
        }
        return Ok(Some(Layout::Long { id: id.to_string() }));
    }
    if !columns.is_empty() {
        let all = columns.len() == 1 && columns[0] == "all";
        return Ok(Some(Layout::Wide {
            columns: if all { Vec::new() } else { columns.to_vec() },
        }));
    }
    let header = header(path)?;
    Ok(LONG_IDS
        .iter()
        .find(|id| header.iter().any(|h| h.trim() == **id))
        .map(|id| Layout::Long { id: id.to_string() }))
}

/// The column names of a CSV's first line or a Parquet file's schema.
fn header(path: &Path) -> Result<Vec<String>> {
    if is_csv(path) {
        return CsvRows::open(path)?.header();
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    match ParquetReader::new(file).schema() {
        Ok(schema) => Ok(schema.iter_names().map(|n| n.to_string()).collect()),
        // Not a Parquet file: the single-series reader says so.
        Err(_) => Ok(Vec::new()),
    }
}

/// The series of one file, read once, each put on its grid when asked for.
pub struct Many {
    path: PathBuf,
    /// Each series' id: the long format's id, or the wide format's column name.
    pub ids: Vec<String>,
    /// What each series measures (the value column's name).
    quantity: Vec<String>,
    what: &'static str,
    cells: Cells,
    opts: SeriesOptions,
}

enum Cells {
    /// The rows in file order, and their numbers grouped by series (in order of first
    /// appearance; file order within each): series k's are `order[bounds[k]..bounds[k + 1]]`.
    Long {
        bounds: Vec<usize>,
        order: Vec<u32>,
        points: Points,
        dst: Vec<(usize, usize)>,
    },
    /// The rows' times, and each column's values.
    Wide {
        times: Vec<i64>,
        lines: Vec<u32>,
        values: Vec<Vec<f64>>,
        dst: (usize, usize),
    },
}

impl Many {
    /// Reads `path` in `layout`.
    pub fn read(path: &Path, layout: &Layout, opts: &SeriesOptions) -> Result<Many> {
        opts.window.check()?;
        match layout {
            Layout::Long { id } => read_long(path, id, opts),
            Layout::Wide { columns } => read_wide(path, columns, opts),
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Series `k` on its own regular grid, as a single series file of its rows would be
    /// (an error names the file, not the series: the caller knows which it asked for).
    pub fn series(&self, k: usize) -> Result<Series> {
        let mut points = Points::with_capacity(0);
        match &self.cells {
            Cells::Long {
                bounds,
                order,
                points: all,
                dst,
            } => {
                for &row in &order[bounds[k]..bounds[k + 1]] {
                    let row = row as usize;
                    points.times.push(all.times[row]);
                    points.values.push(all.values[row]);
                    points.lines.push(all.lines[row]);
                }
                points.dst = dst[k];
            }
            Cells::Wide {
                times,
                lines,
                values,
                dst,
            } => {
                points.times = times.clone();
                points.values = values[k].clone();
                points.lines = lines.clone();
                points.dst = *dst;
            }
        }
        let path = &self.path;
        let s = regularize(
            path,
            points,
            Gridding::of(&self.opts, Agg::Mean),
            self.what,
            Quantity(self.quantity[k].clone()),
        )?;
        rebin(path, s, &self.opts, false)
    }
}

/// The long format's columns: the id; the time (`--time-column`, else `ds`, else the
/// single-file rule); the value (`--column`, else `y`, else the single-file rule).
fn long_columns(
    path: &Path,
    c: &Columns,
    id: &str,
    opts: &SeriesOptions,
) -> Result<(usize, usize, usize)> {
    let position = |name: &str| c.names.iter().position(|n| n.trim() == name);
    let i = position(id).ok_or_else(|| {
        bad(
            path,
            format!(
                "--id {}: no such column (columns: {})",
                quoted(id),
                quoted(&c.names.join(", "))
            ),
        )
    })?;
    let mut picked = opts.clone();
    if picked.time_column.is_none() && position("ds").is_some() {
        picked.time_column = Some("ds".into());
    }
    if picked.column.is_none() && position("y").is_some() {
        picked.column = Some("y".into());
    }
    // The id is no candidate for the time or the value.
    let mut without_id = Columns {
        names: c.names.clone(),
        cells: c.cells.clone(),
        typed_numeric: c.typed_numeric.clone(),
        first_line: c.first_line,
        what: c.what,
    };
    without_id.names[i] = format!("\u{0}{}", c.names[i]);
    without_id.typed_numeric[i] = false;
    without_id.cells[i].iter_mut().for_each(|v| *v = None);
    let (t, v) = pick_columns(path, &without_id, &picked)?;
    if t == i || v == i {
        return Err(bad(
            path,
            format!(
                "the id column {} cannot also be the time or the value",
                quoted(id)
            ),
        ));
    }
    Ok((i, t, v))
}

fn read_long(path: &Path, id: &str, opts: &SeriesOptions) -> Result<Many> {
    struct Reading {
        names: Vec<String>,
        what: &'static str,
        columns: (usize, usize, usize),
        index: HashMap<String, u32>,
        ids: Vec<String>,
        clocks: Vec<Clock>,
        of: Vec<u32>,
        points: Points,
    }
    let base = Clock::new(opts)?;
    let r = for_each_row(
        path,
        |c| {
            Ok(Reading {
                names: c.names.clone(),
                what: c.what,
                columns: long_columns(path, c, id, opts)?,
                index: HashMap::new(),
                ids: Vec::new(),
                clocks: Vec::new(),
                of: Vec::new(),
                points: Points::with_capacity(0),
            })
        },
        |r, line, cells| {
            let (i, t, v) = r.columns;
            let key = cells[i].map(str::trim).unwrap_or("");
            let k = match r.index.get(key) {
                Some(&k) => k,
                None => {
                    let k = u32::try_from(r.ids.len()).unwrap_or(u32::MAX);
                    r.index.insert(key.to_string(), k);
                    r.ids.push(key.to_string());
                    r.clocks.push(base.clone());
                    k
                }
            };
            // Each series' clock: a DST change's repeated hour is read in its own rows' order.
            let (t_ns, value) = parse_cells(
                path,
                (&r.names, r.what),
                (t, v),
                (line, &mut r.clocks[k as usize]),
                (cells[t], cells[v]),
            )?;
            if opts.window.contains(t_ns) {
                check_rows(path, r.points.len())?;
                r.of.push(k);
                r.points.push(t_ns, value, line);
            }
            Ok(())
        },
    )?;
    // Group the rows by series (a counting sort: stable, so file order within each).
    let mut bounds = vec![0usize; r.ids.len() + 1];
    for &k in &r.of {
        bounds[k as usize + 1] += 1;
    }
    for k in 0..r.ids.len() {
        bounds[k + 1] += bounds[k];
    }
    let mut next = bounds.clone();
    let mut order = vec![0u32; r.of.len()];
    for (row, &k) in r.of.iter().enumerate() {
        order[next[k as usize]] = row as u32;
        next[k as usize] += 1;
    }
    drop(r.of);
    let quantity = r.names[r.columns.2].trim().to_string();
    let dst = r.clocks.iter().map(|c| (c.repeated, c.skipped)).collect();
    Ok(Many {
        path: path.to_owned(),
        quantity: vec![quantity; r.ids.len()],
        ids: r.ids,
        what: r.what,
        cells: Cells::Long {
            bounds,
            order,
            points: r.points,
            dst,
        },
        opts: opts.clone(),
    })
}

/// The wide format's value columns: those named, or every column besides the time whose
/// cells are numbers (a typed numeric column of a Parquet file; of a CSV, one whose first
/// rows' cells all are).
fn wide_columns(
    path: &Path,
    c: &Columns,
    columns: &[String],
    opts: &SeriesOptions,
) -> Result<(usize, Vec<usize>)> {
    let t = time_column(path, c, opts)?;
    let values: Vec<usize> = if columns.is_empty() {
        (0..c.names.len())
            .filter(|&i| i != t && c.typed_numeric[i])
            .filter(|&i| {
                let mut cells = c.cells[i].iter().flatten().peekable();
                cells.peek().is_some() && cells.all(|v| number(v).is_some())
            })
            .collect()
    } else {
        columns
            .iter()
            .map(|name| {
                c.names
                    .iter()
                    .position(|n| n.trim() == name.trim())
                    .ok_or_else(|| {
                        bad(
                            path,
                            format!(
                                "--columns {}: no such column (columns: {})",
                                quoted(name),
                                quoted(&c.names.join(", "))
                            ),
                        )
                    })
            })
            .collect::<Result<_>>()?
    };
    if values.is_empty() {
        return Err(bad(
            path,
            format!(
                "--columns all: no numeric column besides the time column {}",
                quoted(&c.names[t])
            ),
        ));
    }
    if values.contains(&t) {
        return Err(bad(
            path,
            format!("--columns: {} is the time column", quoted(&c.names[t])),
        ));
    }
    Ok((t, values))
}

fn read_wide(path: &Path, columns: &[String], opts: &SeriesOptions) -> Result<Many> {
    struct Reading {
        names: Vec<String>,
        what: &'static str,
        time: usize,
        columns: Vec<usize>,
        clock: Clock,
        times: Vec<i64>,
        lines: Vec<u32>,
        values: Vec<Vec<f64>>,
    }
    let r = for_each_row(
        path,
        |c| {
            let (time, columns) = wide_columns(path, c, columns, opts)?;
            Ok(Reading {
                names: c.names.clone(),
                what: c.what,
                time,
                values: vec![Vec::new(); columns.len()],
                columns,
                clock: Clock::new(opts)?,
                times: Vec::new(),
                lines: Vec::new(),
            })
        },
        |r, line, cells| {
            let (t_ns, _) = parse_cells(
                path,
                (&r.names, r.what),
                (r.time, r.columns[0]),
                (line, &mut r.clock),
                (cells[r.time], None),
            )?;
            if !opts.window.contains(t_ns) {
                return Ok(());
            }
            check_rows(path, r.times.len())?;
            if (r.times.len() + 1) * r.columns.len() > MAX_CELLS {
                return Err(bad(
                    path,
                    format!(
                        "more than {MAX_CELLS} cells: more than ntp holds of a many-series file"
                    ),
                ));
            }
            for (k, &c) in r.columns.iter().enumerate() {
                let v = value_of(path, (&r.names, r.what), c, line, cells[c])?;
                r.values[k].push(v);
            }
            r.times.push(t_ns);
            r.lines.push(u32::try_from(line).unwrap_or(u32::MAX));
            Ok(())
        },
    )?;
    let ids: Vec<String> = r
        .columns
        .iter()
        .map(|&c| r.names[c].trim().to_string())
        .collect();
    Ok(Many {
        path: path.to_owned(),
        quantity: ids.clone(),
        ids,
        what: r.what,
        cells: Cells::Wide {
            times: r.times,
            lines: r.lines,
            values: r.values,
            dst: (r.clock.repeated, r.clock.skipped),
        },
        opts: opts.clone(),
    })
}
