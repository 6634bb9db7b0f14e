//! `ntp train`: the forecasting experiment — the LSTM look-back sweep over seeds and folds
//! beside the baselines and the classical seasonal models.

use std::process::ExitCode;

use anyhow::{bail, Result};
use ntp::forecast::experiment::TrainOptions;
use ntp::forecast::inputs::Inputs;
use ntp::forecast::panel::{self, SeriesScores};
use ntp::forecast::sweep;
use ntp::report::outputs::{TrainFile, TrainOutputs};
use ntp::report::training::{self, Span};

use super::many::{self, Done, ManyRun, Part};
use super::Ui;
use crate::cli::TrainArgs;

pub fn run(args: &TrainArgs, ui: &Ui) -> Result<ExitCode> {
    let opts = args
        .training
        .options(&args.series, &args.io.output, &args.period, args.dpi);
    if let Some(m) = many::open(
        &args.io.inputs,
        &opts.series,
        &args.many,
        &opts.out_dir,
        false,
    )? {
        if !opts.features.is_empty() {
            bail!("--features: the other columns of one series; a file of many series is trained one series at a time without them");
        }
        return run_many(&m, &args.io.inputs, &opts, ui);
    }
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

/// Each series of a many-series file through the experiment as a file of its own; every
/// series' `mse_results` rows combined, with an `id` column.
fn run_many(
    m: &ManyRun,
    inputs: &[std::path::PathBuf],
    opts: &TrainOptions,
    ui: &Ui,
) -> Result<ExitCode> {
    opts.validate()?;
    let per = TrainOptions {
        out_dir: m.dir(),
        ..opts.clone()
    };
    let (epochs, batch) = (opts.hyper.epochs, opts.hyper.batch_size);
    let scores = std::sync::Mutex::new(Vec::new());
    let code = m.each(
        ui,
        &|s| sweep::data_warning(s, opts),
        &[("mse_results.csv", None)],
        |stem, _, s| {
            let inp = Inputs::of(&s, &opts.calendar);
            let started = std::time::Instant::now();
            let sweep = sweep::run_series(
                (inputs.to_vec(), stem.to_string(), started),
                s,
                inp,
                &per,
                &ui.progress,
            )?;
            training::write(&sweep, &per)?;
            scores
                .lock()
                .expect("no panic holds it")
                .push(SeriesScores::of(stem, &sweep.summary));
            let mse =
                TrainOutputs::new(&per.out_dir, stem, epochs, batch).path(TrainFile::MetricsCsv);
            let best = sweep.summary.best.map_or("none".into(), |(model, l)| {
                format!("{} at look-back {l}", model.label())
            });
            // A diverged network is said in the index (the data warning is said by `each`).
            let diverged: Vec<&str> = sweep
                .warnings
                .iter()
                .filter(|w| w.starts_with("diverged"))
                .map(String::as_str)
                .collect();
            Ok(Done {
                parts: vec![Part::Copy(mse)],
                summary: format!(
                    "ok: best {best}{}",
                    if diverged.is_empty() {
                        String::new()
                    } else {
                        format!("; {}", diverged.join("; "))
                    }
                ),
            })
        },
    )?;
    // The panel over every series that ran, in the file's order.
    let mut scores = scores.into_inner().expect("no panic holds it");
    scores.sort_by_key(|s| m.position(&s.id));
    if !scores.is_empty() {
        let rows = panel::panel(&scores);
        let path = m.combined("panel.csv");
        ntp::report::panel::write(&rows, &path)?;
        if !ui.quiet {
            super::out(format!(
                "Test span, {} series, each at the look-back its validation chose\n\n{}",
                scores.len(),
                ntp::report::panel::markdown(&rows)
            ))?;
        }
        ui.info(format!("panel summary → {}", path.display()));
    }
    Ok(code)
}
