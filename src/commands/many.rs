//! Many series in one file (`--id`, `--columns`, a `unique_id` column): each series in
//! turn through a command's stage, as if it were a file of its own; its outputs in
//! `DIR/{stem}/` named by its id; each kind of table combined into `DIR/{stem}.{table}`
//! with an `id` column; and an index of the series, `DIR/{stem}.series.csv`, saying what
//! became of each.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use ntp::report::combined::{field, Combined};
use ntp::report::outputs::{combined_path, many_dir, series_stems};
use ntp::series::many::{self, Many};
use ntp::series::{self, Series, SeriesOptions, Source};
use rayon::prelude::*;

use super::Ui;
use crate::cli::ManyArgs;

/// Per-series lines printed before they are only counted (the index has every one).
const SAID: usize = 5;

/// A many-series input, read.
pub struct ManyRun {
    many: Many,
    /// The input's stem: the name of the output directory and of the combined tables.
    stem: String,
    out: PathBuf,
    /// File-name stems of the series, from their ids.
    stems: Vec<String>,
}

/// What one series adds to a combined table.
pub enum Part {
    /// The rows of a table the series' run wrote.
    Copy(PathBuf),
    /// One row, its fields CSV text.
    Row(String),
}

/// One series read and run: what was changed to make it regular, its length and
/// interval (CSV fields), and what its run gave.
struct Ran {
    data: Option<String>,
    shape: String,
    result: Result<Done>,
}

/// The run's combined tables and index as series finish, and the count of those that
/// failed or whose data was changed.
struct Tables {
    combined: Vec<Combined>,
    index: Combined,
    failed: usize,
    changed: usize,
}

impl Tables {
    /// Writes what series `id` (file stem `stem`) gave: its parts of the combined tables
    /// and its index row; its error and data warning are said (above the progress `bar`)
    /// for the first [`SAID`] series, then only counted.
    fn record(
        &mut self,
        (id, stem): (&str, &str),
        r: Ran,
        (ui, bar): (&Ui, &indicatif::ProgressBar),
    ) -> Result<()> {
        let status = match r.result {
            Ok(done) => {
                for (table, part) in self.combined.iter_mut().zip(done.parts) {
                    match part {
                        Part::Copy(path) => table.copy(id, &path)?,
                        Part::Row(row) => table.push(id, &row)?,
                    }
                }
                done.summary
            }
            Err(e) => {
                self.failed += 1;
                if self.failed <= SAID {
                    bar.suspend(|| ui.error(&format!("series {id:?}: {e:#}")));
                }
                format!("failed: {e:#}")
            }
        };
        if let Some(w) = &r.data {
            self.changed += 1;
            if self.changed <= SAID {
                bar.suspend(|| ui.warning(&format!("series {id:?}: {w}")));
            }
        }
        let row = [
            stem.to_string(),
            r.shape,
            field(&status),
            field(r.data.as_deref().unwrap_or("")),
        ]
        .join(",");
        self.index.push(id, &row)?;
        Ok(())
    }
}

/// What one series' run gave: its parts of the combined tables (in their order) and a
/// line for the index.
pub struct Done {
    pub parts: Vec<Part>,
    pub summary: String,
}

/// The many-series reading of the input, or `None` when it holds one series.
/// `joint_columns`: `--columns` of an ntp series table means its columns judged together
/// (detect), not many series.
pub fn open(
    inputs: &[PathBuf],
    series_opts: &SeriesOptions,
    args: &ManyArgs,
    out: &Path,
    joint_columns: bool,
) -> Result<Option<ManyRun>> {
    let source = series::source(inputs)?;
    let path = match (&source, inputs) {
        (Source::File(path), [_]) => path.clone(),
        _ => {
            if args.id.is_some() {
                bail!("--id: the input is not a series file (CSV or Parquet) holding many series");
            }
            if !args.columns.is_empty() && !joint_columns {
                bail!("--columns: the input is not a series file (CSV or Parquet) holding a column per series");
            }
            return Ok(None);
        }
    };
    let Some(layout) = many::layout(&path, args.id.as_deref(), &args.columns)? else {
        return Ok(None);
    };
    let many = Many::read(&path, &layout, series_opts)?;
    if many.is_empty() {
        bail!("{}: no series in the file", path.display());
    }
    Ok(Some(ManyRun {
        stems: series_stems(&many.ids),
        stem: ntp::dataset::stem_of(inputs),
        out: out.to_owned(),
        many,
    }))
}

impl ManyRun {
    /// Where each series' outputs go.
    pub fn dir(&self) -> PathBuf {
        many_dir(&self.out, &self.stem)
    }

    /// A combined table of the run: `DIR/{stem}.{name}`.
    pub fn combined(&self, name: &str) -> PathBuf {
        combined_path(&self.out, &self.stem, name)
    }

    /// The position in the file of the series whose file stem is `stem`.
    pub fn position(&self, stem: &str) -> usize {
        self.stems
            .iter()
            .position(|s| s == stem)
            .unwrap_or(usize::MAX)
    }

    /// Runs `one(file stem, id, series)` on each series in file order; `warning` says
    /// what was changed to make a series' rows regular (said, and in the index); `tables` are the
    /// combined tables (`name`, header without the id: `None` takes the first copied
    /// table's). A series that cannot be read or
    /// run is said and counted, and the others go on; the exit code is 1 when one failed.
    pub fn each(
        &self,
        ui: &Ui,
        warning: &(dyn Fn(&Series) -> Option<String> + Sync),
        tables: &[(&str, Option<&str>)],
        one: impl Fn(&str, &str, Series) -> Result<Done> + Sync,
    ) -> Result<ExitCode> {
        let mut out = Tables {
            combined: tables
                .iter()
                .map(|(name, header)| Combined::create(&self.combined(name), *header))
                .collect::<std::result::Result<_, _>>()?,
            index: Combined::create(
                &self.combined("series.csv"),
                Some("stem,intervals,every,status,data"),
            )?,
            failed: 0,
            changed: 0,
        };
        let n = self.many.len();
        let bar = ui.progress.items(n as u64, "series");
        // Series run in parallel a batch at a time; their rows are written in file order.
        let batch = 4 * rayon::current_num_threads();
        for first in (0..n).step_by(batch) {
            let ran: Vec<Ran> = (first..n.min(first + batch))
                .into_par_iter()
                .map(|k| {
                    let read = self.many.series(k);
                    let r = Ran {
                        data: read.as_ref().ok().and_then(warning),
                        shape: read
                            .as_ref()
                            .map(|s| format!("{},{}", s.len(), s.every_text()))
                            .unwrap_or_else(|_| ",".into()),
                        result: read
                            .map_err(anyhow::Error::from)
                            .and_then(|s| one(&self.stems[k], &self.many.ids[k], s)),
                    };
                    bar.inc(1);
                    r
                })
                .collect();
            for (k, r) in (first..).zip(ran) {
                out.record((&self.many.ids[k], &self.stems[k]), r, (ui, &bar))?;
            }
        }
        let Tables {
            combined,
            index,
            failed,
            changed,
        } = out;
        bar.finish_and_clear();
        let mut written = Vec::new();
        for table in combined {
            written.push(table.commit()?);
        }
        let index_path = index.commit()?;
        self.say_counts(ui, (failed, changed), &index_path);
        if failed == n {
            bail!(
                "{}: no series could be run (the first errors are above)",
                self.stem
            );
        }
        ui.info(format!(
            "{} of {n} series; their outputs in {}, combined in {}",
            n - failed,
            self.dir().display(),
            written
                .iter()
                .chain([&index_path])
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        Ok(if failed > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    }

    /// The series failed and changed beyond those said one by one (also under `--quiet`).
    fn say_counts(&self, ui: &Ui, (failed, changed): (usize, usize), index: &Path) {
        let n = self.many.len();
        if failed > SAID {
            ui.error(&format!(
                "{failed} of {n} series failed ({} more than said above): see the status column of {}",
                failed - SAID,
                index.display()
            ));
        }
        if changed > SAID {
            ui.warning(&format!(
                "the data of {changed} of {n} series was sorted, combined or filled to make it regular ({} more than said above): see the data column of {}",
                changed - SAID,
                index.display()
            ));
        }
    }
}
