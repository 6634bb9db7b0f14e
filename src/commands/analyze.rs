//! `ntp analyze`: a dataset's series → statistics, figures and tables.

use std::process::ExitCode;

use anyhow::Result;
use ntp::{analysis, report};

use super::Ui;
use crate::cli::AnalyzeArgs;

pub fn run(args: &AnalyzeArgs, ui: &Ui) -> Result<ExitCode> {
    let opts = args.analysis.options(&args.series, &args.io.output);
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
