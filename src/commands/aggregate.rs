//! `ntp aggregate`: captures → series tables in one pass.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use ntp::dataset::convert::Output;
use ntp::dataset::reader;
use ntp::dataset::writer::TimestampUnit;
use ntp::series::aggregate::{self, Aggregate};
use ntp::series::table::{top_path, Column};
use ntp::series::{parse_every, Window};
use ntp::util::fresh::up_to_date;
use rayon::prelude::*;

use super::Ui;
use crate::cli::AggregateArgs;

/// Prints what one pass read and built.
fn report(ui: &Ui, a: &Aggregate, every: &str) {
    for r in &a.reports {
        let duplicates = aggregate::duplicate_warning(r);
        // The strays are said once, over the whole pass, by the summary below.
        for w in r
            .damage_warning()
            .into_iter()
            .chain(r.unplaceable_warning())
        {
            ui.warning(&w);
        }
        // Counted, not dropped, but every count is inflated: said even under --quiet.
        if let Some(w) = duplicates {
            ui.warning(&w);
        }
        if r.counts.duplicates > 0 {
            // Dropped as asked, and said even under --quiet.
            super::err_line(&format!(
                "{}: {} duplicate packets dropped (--dedup)",
                r.input.display(),
                r.counts.duplicates
            ));
        }
        ui.info(r.summary());
    }
    if a.late_packets > 0 || !a.gaps.is_empty() || a.strays.is_some() {
        // Worth seeing even under --quiet: the series is not what a clean pass gives.
        super::err_line(&a.summary(every));
    } else {
        ui.info(a.summary(every));
    }
}

/// Access logs (every input one): each counted per interval into `{stem}.requests.csv`
/// (or the `.csv` file `-o` names, for one log).
fn access_logs(args: &AggregateArgs, every_ns: i64, ui: &Ui) -> Result<ExitCode> {
    use ntp::series::access_log;
    let to_file = args
        .output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if to_file && args.inputs.len() > 1 {
        anyhow::bail!(
            "{}: one access log goes to one .csv file; give a directory for several",
            args.output.display()
        );
    }
    for input in &args.inputs {
        let dest = if to_file {
            args.output.clone()
        } else {
            ntp::report::outputs::access_log_path(&args.output, input)
        };
        let s = access_log::read(input, every_ns)?;
        ntp::report::access_log::write(&s, &dest)?;
        // Lines not counted change the series: said even under --quiet.
        if let Some(w) = s.malformed_warning(input) {
            ui.warning(&w);
        }
        let requests: u64 = s.rows.iter().map(|r| r[0]).sum();
        ui.info(format!(
            "{} (access log, {} lines) → {}: {requests} requests in {} intervals of {}",
            input.display(),
            s.lines,
            dest.display(),
            s.rows.len(),
            args.every
        ));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run(args: &AggregateArgs, ui: &Ui) -> Result<ExitCode> {
    super::use_threads(args.threads)?;
    let every_ns = parse_every(&args.every)?;
    if args
        .inputs
        .iter()
        .all(|p| ntp::series::access_log::is_access_log(p))
    {
        return access_logs(args, every_ns, ui);
    }
    let unit: TimestampUnit = (&args.unit).into();
    unit.check_every(every_ns)?;
    let distinct = !args.no_distinct;
    let top = if distinct { args.top as usize } else { 0 };
    let pass = |inputs: &[PathBuf], dest: &PathBuf| -> ntp::Result<Aggregate> {
        let window = Window {
            start: args.start,
            end: args.end,
        };
        let mut opts = aggregate::Options::new(every_ns, window, distinct);
        opts.top = top;
        opts.dedup = args.dedup.map(|n| n as usize);
        opts.top_dest = (top > 0).then(|| (top_path(dest), unit));
        let a = aggregate::aggregate(inputs, dest, &opts, &ui.progress)?;
        aggregate::write(&a, dest, unit)?;
        Ok(a)
    };
    match Output::from_arg(&args.output) {
        Output::File(dest) => {
            let a = pass(&args.inputs, &dest)?;
            report(ui, &a, &args.every);
            Ok(ExitCode::SUCCESS)
        }
        Output::Dir(dir) => {
            let dests = ntp::capture::per_capture(&args.inputs, &dir, ".series.parquet");
            let results: Vec<Option<ntp::Result<Aggregate>>> = args
                .inputs
                .par_iter()
                .zip(&dests)
                .map(|(input, dest)| {
                    let mut outputs = vec![dest.clone(), ntp::series::table::sizes_path(dest)];
                    outputs.extend((top > 0).then(|| top_path(dest)));
                    let input = std::slice::from_ref(input);
                    // A table in another unit, or with other columns, is rebuilt, not skipped.
                    let same_unit = || {
                        reader::time_unit(dest, ntp::series::table::TIMESTAMP)
                            .is_ok_and(|u| u == unit.polars())
                    };
                    let same_columns = || {
                        reader::has_column(dest, Column::SizeMax.name())
                            && reader::has_column(dest, Column::DstPortEntropy.name()) == distinct
                    };
                    let fresh = up_to_date(input, &outputs) && same_unit() && same_columns();
                    (args.force || !fresh).then(|| pass(input, dest))
                })
                .collect();
            let mut failed = false;
            for ((input, dest), r) in args.inputs.iter().zip(&dests).zip(results) {
                match r {
                    None => ui.info(format!(
                        "{}: {} is up to date",
                        input.display(),
                        dest.display()
                    )),
                    Some(Ok(a)) => report(ui, &a, &args.every),
                    Some(Err(e)) => {
                        failed = true;
                        ui.error(&ntp::error::chain(&e));
                    }
                }
            }
            Ok(super::exit_code(failed))
        }
    }
}
