//! `ntp train`: the forecasting experiment — the LSTM look-back sweep over seeds and folds
//! beside the baselines and the classical seasonal models.

use std::process::ExitCode;

use anyhow::Result;
use ntp::forecast::sweep;
use ntp::report::training::{self, Span};

use super::Ui;
use crate::cli::TrainArgs;

pub fn run(args: &TrainArgs, ui: &Ui) -> Result<ExitCode> {
    let opts = args
        .training
        .options(&args.series, &args.io.output, &args.period, args.dpi);
    let sweep = sweep::run(&args.io.inputs, &opts, &ui.progress)?;
    let written = training::write(&sweep, &opts)?;
    for w in &sweep.warnings {
        ui.warning(w);
    }
    ui.notes(&sweep.notes);
    for r in sweep.summary.rows.iter().filter(|r| r.model.is_none()) {
        ui.warning(&format!("look-back {}: {}", r.look_back, r.status));
    }
    let s = &sweep.summary;
    if !ui.quiet {
        if !s.on_test {
            super::out(format!(
                "Validation MSE\n\n{}",
                training::mse_markdown(&s.rows, Span::Validation)
            ))?;
        }
        super::out(format!(
            "Test MSE\n\n{}",
            training::mse_markdown(&s.rows, Span::Test)
        ))?;
        super::out(training::legend(
            s.on_test,
            sweep.network(),
            opts.seeds,
            sweep.folds(),
        ))?;
        if let Some(table) = training::coverage_markdown(&s.rows) {
            super::out(format!(
                "\nPrediction bands on the test span, at the chosen look-back\n\n{table}"
            ))?;
        }
        if let Some(sentence) = training::coverage_sentence(&s.rows) {
            super::out(&sentence)?;
        }
        if let Some(a) = &sweep.alerts {
            super::out(format!(
                "\n{}",
                training::alerts_sentence(a, sweep.every_ns)
            ))?;
        }
    }
    if opts.alerting.is_some() && sweep.alerts.is_none() {
        ui.warning(
            "no alerts: the chosen model has no validation residuals to judge a threshold by",
        );
    }
    let (look_back, seed) = s.saved.expect("run() checks a model was saved");
    ui.info(format!(
        "recurrent kernels: {:?} path (NTP_SIMD=avx2|baseline narrows it)",
        ntp::forecast::kernels::simd()
    ));
    ui.info(format!(
        "periods {}; chosen look-back {look_back} (saved: seed {seed}){}; best model {}; wrote {} files to {}",
        if sweep.periods.is_empty() {
            "none detected".to_string()
        } else {
            format!(
                "{}{}",
                sweep.periods.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(","),
                if sweep.periods_detected { " (detected)" } else { "" }
            )
        },
        if s.on_test { " on the test span (the study's rule)" } else { " on validation" },
        s.best.map_or("none".into(), |(m, l)| format!("{} at look-back {l}", m.label())),
        written.len(),
        opts.out_dir.display()
    ));
    Ok(ExitCode::SUCCESS)
}
