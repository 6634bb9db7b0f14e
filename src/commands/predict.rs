//! `ntp predict`: a saved model applied to another series, with its bands and alerts.

use std::process::ExitCode;

use anyhow::Result;
use ntp::forecast::predict;
use ntp::report::prediction;

use super::Ui;
use crate::cli::PredictArgs;

pub fn run(args: &PredictArgs, ui: &Ui) -> Result<ExitCode> {
    let p = predict::run(
        &args.model,
        &args.io.inputs,
        args.threshold,
        args.alert_probability,
    )?;
    let written = prediction::write(&p, &args.io.output)?;
    if let Some(w) = &p.filled {
        ui.warning(w);
    }
    ui.notes(&p.notes);
    if !ui.quiet {
        super::out(p.markdown())?;
        if let Some(a) = &p.alerts {
            let s = &a.scores;
            super::out(format!(
                "Alerts (threshold {} = {}, probability ≥ {}): {} alert(s), precision {:.3}; {} of {} values above the threshold announced (recall {:.3}).",
                a.threshold, a.value, a.probability, s.alerts, s.precision(), s.caught, s.exceedances, s.recall()
            ))?;
        }
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
