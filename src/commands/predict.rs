//! `ntp predict`: a saved model applied to another capture's series.

use std::process::ExitCode;

use anyhow::Result;
use ntp::forecast::predict;
use ntp::report::prediction;

use super::Ui;
use crate::cli::PredictArgs;

pub fn run(args: &PredictArgs, ui: &Ui) -> Result<ExitCode> {
    let p = predict::run(&args.model, &args.io.inputs)?;
    let written = prediction::write(&p, &args.io.output)?;
    ui.notes(&p.notes);
    if !ui.quiet {
        println!("{}", p.markdown());
    }
    ui.info(format!(
        "{}: wrote {}",
        p.stem,
        written
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Ok(ExitCode::SUCCESS)
}
