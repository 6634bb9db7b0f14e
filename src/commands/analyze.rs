//! `ntp analyze`: a dataset's series → statistics, figures and tables.

use std::process::ExitCode;

use anyhow::Result;
use ntp::analysis::AnalysisOptions;
use ntp::{analysis, report};

use super::many::{self, Done, ManyRun, Part};
use super::Ui;
use crate::cli::AnalyzeArgs;

pub fn run(args: &AnalyzeArgs, ui: &Ui) -> Result<ExitCode> {
    let opts = args.analysis.options(&args.series, &args.io.output);
    if let Some(m) = many::open(
        &args.io.inputs,
        &opts.series,
        &args.many,
        &opts.out_dir,
        false,
    )? {
        return run_many(&m, &opts, ui);
    }
    let spinner = ui.progress.spinner("analyzing");
    // Nothing is written if computing fails.
    let result = analysis::compute(&args.io.inputs, &opts)
        .and_then(|a| report::analysis::write(&a, &opts).map(|written| (a, written)));
    spinner.finish_and_clear();
    let (a, written) = result?;
    if let Some(w) = &a.data_warning {
        ui.warning(w);
    }
    ui.notes(&a.notices);
    if !ui.quiet {
        super::out(a.describe.markdown(&a.series.quantity.per_second()))?;
    }
    ui.info(format!(
        "{}: {} intervals of {}, {} bursts; wrote {} files to {}",
        a.stem,
        a.series.len(),
        a.series.every_text(),
        a.bursts.len(),
        written.len(),
        opts.out_dir.display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// Each series of a many-series file analysed as a file of its own; the statistics of
/// every series side by side in `{stem}.describe.csv`.
fn run_many(m: &ManyRun, opts: &AnalysisOptions, ui: &Ui) -> Result<ExitCode> {
    opts.validate()?;
    let per = AnalysisOptions {
        out_dir: m.dir(),
        ..opts.clone()
    };
    let header = report::analysis::describe_header();
    m.each(
        ui,
        &|s| s.data_warning(opts.series.fill),
        &[("describe.csv", Some(&header))],
        |stem, _, s| {
            let a = analysis::of_series(stem.to_string(), s, None, Vec::new(), &per)?;
            report::analysis::write(&a, &per)?;
            Ok(Done {
                parts: vec![Part::Row(report::analysis::describe_row(&a))],
                summary: format!("ok: {} bursts", a.bursts.len()),
            })
        },
    )
}
