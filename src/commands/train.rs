//! `ntp train`: the LSTM look-back sweep beside the baselines.

use std::process::ExitCode;

use anyhow::Result;
use ntp::forecast::sweep;
use ntp::report::training;

use super::Ui;
use crate::cli::TrainArgs;

pub fn run(args: &TrainArgs, ui: &Ui) -> Result<ExitCode> {
    let opts = args
        .training
        .options(&args.series, &args.io.output, args.period, args.dpi);
    let sweep = sweep::run(&args.io.inputs, &opts, &ui.progress)?;
    let written = training::write(&sweep, &opts)?;
    ui.notes(&sweep.notes);
    for r in &sweep.results {
        if let Err(reason) = &r.status {
            ui.warning(&format!("look-back {}: {reason}", r.look_back));
        }
    }
    if !ui.quiet {
        let rows = training::metrics_rows(&sweep.results);
        println!("{}", training::mse_markdown(&rows, Some(sweep.best)));
    }
    ui.info(format!(
        "best look-back {}; wrote {} files to {}",
        sweep.best().look_back,
        written.len(),
        opts.out_dir.display()
    ));
    Ok(ExitCode::SUCCESS)
}
