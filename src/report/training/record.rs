//! The saved model's card (`{stem}.best_model.eE.bB.json`) and the run record
//! (`{stem}.run.json`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::forecast::card::ModelCard;
use crate::forecast::experiment::{Summary, Sweep, TrainOptions};
use crate::forecast::metrics::Metrics;
use crate::forecast::online::Online;
use crate::util::atomic::write_atomically;

pub(super) fn model_card(p: &Path, sweep: &Sweep, opts: &TrainOptions) -> Result<()> {
    let (look_back, seed) = sweep.summary.saved.expect("checked");
    let fold = sweep.folds() - 1;
    let i = sweep
        .cells
        .iter()
        .position(|c| c.fold == fold && c.look_back == look_back)
        .expect("the saved model's cell");
    let run = sweep.run(i, sweep.network(), Some(seed));
    let mse = |m: Option<Metrics>| m.map_or(f64::NAN, |m| m.mse);
    let card = ModelCard {
        ntp_version: env!("CARGO_PKG_VERSION").into(),
        look_back,
        horizon: opts.horizon,
        scaler: sweep.cells[i].scalers[0],
        hyper: crate::forecast::network::Hyper {
            seed,
            ..opts.hyper.clone()
        },
        every: crate::util::time::duration_text(sweep.every_ns),
        size: opts.series.size.name().into(),
        drop_empty: opts.series.drop_empty,
        scale_on_all: opts.scale_on_all,
        trained_on: sweep.stem.clone(),
        test_mse: mse(run.and_then(|r| r.test_metrics)),
        features: opts.features.clone(),
        feature_scalers: sweep.cells[i].scalers[1..].to_vec(),
        calendar: opts.calendar.clone(),
        val_mse: run.and_then(|r| r.val_metrics).map(|m| m.mse),
        kept_epoch: run.and_then(|r| r.history.as_ref()).map(|h| h.kept_epoch),
        column: opts.series.column.clone(),
        time_column: opts.series.time_column.clone(),
        fill: opts.series.fill,
        agg: opts.series.agg,
        align: opts.series.align,
        time_zone: opts.series.time_zone.clone(),
        levels: opts.levels.clone(),
        residuals: run
            .and_then(|r| r.intervals.residuals.as_ref())
            .map_or(Vec::new(), |r| r.paths().to_vec()),
        online: opts.online,
        band_scale: opts.band_scale,
        alert: sweep
            .alerts
            .as_ref()
            .map(|a| crate::forecast::card::CardAlert {
                threshold: a.rule.threshold.text(),
                value: a.threshold,
                probability: a.rule.probability,
            }),
    };
    write_atomically(p, |w| w.write_all(card.to_json().as_bytes()))
}

/// Version of a dependency as locked when ntp was built.
fn locked_version(name: &str) -> String {
    let lock = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"));
    let needle = format!("name = \"{name}\"\nversion = \"");
    lock.find(&needle)
        .map(|i| {
            lock[i + needle.len()..]
                .split('"')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_else(|| "unknown".into())
}

fn sha256_files(files: &[PathBuf]) -> Result<String> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for f in files {
        let mut file = std::fs::File::open(f).map_err(|e| Error::io(f, e))?;
        std::io::copy(&mut file, &mut h).map_err(|e| Error::io(f, e))?;
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The run record: inputs and their checksum, every setting, the spans of each fold, the
/// seeds, the selection rule and its choices, the classical models' parameters, timings.
pub(super) fn run_json(p: &Path, sweep: &Sweep, opts: &TrainOptions) -> Result<()> {
    let s: &Summary = &sweep.summary;
    let time = |ns: Option<&i64>| ns.map(|&t| crate::util::time::timestamp_text(t));
    let spans: Vec<serde_json::Value> = sweep
        .cells
        .iter()
        .filter_map(|c| {
            let sp = c.spans()?;
            Some(serde_json::json!({
                "fold": c.fold,
                "look_back": c.look_back,
                "train_windows": sp.train.len(),
                "val_windows": sp.val.len(),
                "test_windows": sp.test.len(),
                "fit_points": sp.fit_end,
                "test_first": time(c.test_start_ns.first()),
                "test_last": time(c.test_start_ns.last()),
            }))
        })
        .collect();
    let lstm_runs: Vec<serde_json::Value> = sweep
        .runs
        .iter()
        .filter(|r| r.model.is_seeded())
        .map(|r| {
            let c = &sweep.cells[r.cell];
            let h = r.history.as_ref();
            serde_json::json!({
                "fold": c.fold,
                "look_back": c.look_back,
                "seed": r.seed,
                "epochs_run": h.map(|h| h.train.len()),
                "kept_epoch": h.map(|h| h.kept_epoch),
                "stopped_early": h.map(|h| h.stopped_early),
                "wall_seconds": r.seconds,
                "epoch_seconds": h.map(|h| &h.seconds),
                "train_loss": h.map(|h| &h.train),
                "validation_loss": h.map(|h| &h.validation),
                "learning_rate": h.map(|h| &h.lr),
            })
        })
        .collect();
    let run = serde_json::json!({
        "ntp_version": env!("CARGO_PKG_VERSION"),
        "candle_version": locked_version("candle-core"),
        "arguments": std::env::args().collect::<Vec<_>>(),
        "inputs": sweep.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        "input_sha256": sha256_files(&sweep.files)?,
        "series": {"every": crate::util::time::duration_text(sweep.every_ns), "size": opts.series.size.name(), "drop_empty": opts.series.drop_empty, "points": sweep.points},
        "horizon": opts.horizon,
        "horizon_rule": "each model forecasts the path of the `horizon` values after its window: direct for the LSTM (one output per step) and the linear AR (one regression per step), from the fitted state for the smoothing models, the last value / period / window mean for the naive baselines; metrics average every step of every path, the steps file has them per step",
        "split": opts.split,
        "scale_on_all": opts.scale_on_all,
        "hyper": opts.hyper,
        "seeds": opts.seed_list(),
        "patience": opts.patience,
        "selection_rule": if s.on_test {
            "the study's: the LSTM look-back, the saved seed and the best model by lowest test MSE; every epoch run, the last kept"
        } else {
            "the LSTM look-back by the lowest validation MSE (mean over seeds and folds); the saved model is that look-back's seed with the lowest validation MSE in the last fold; the epoch by the lowest validation loss (early stopping); the best model of all by the lowest mean validation MSE; the best baseline per look-back likewise. The test span is only reported."
        },
        "periods": sweep.periods,
        "periods_detected_on_training_span": sweep.periods_detected,
        "spans": spans,
        "chosen_look_back": s.lstm_look_back,
        "saved_model": s.saved.map(|(l, seed)| serde_json::json!({"look_back": l, "seed": seed, "fold": sweep.folds() - 1})),
        "best_model": s.best.map(|(m, l)| serde_json::json!({"model": m.name(), "look_back": l})),
        "best_baseline_per_look_back": s.best_baseline.iter().map(|(l, m)| (l.to_string(), m.name())).collect::<BTreeMap<_, _>>(),
        "classical_fits": sweep.classical.iter().map(|(fold, f)| serde_json::json!({"fold": fold, "fits": f})).collect::<Vec<_>>(),
        "lstm_runs": lstm_runs,
        "intervals": intervals_record(sweep, opts),
        "wall_seconds_total": sweep.started.elapsed().as_secs_f64(),
    });
    write_atomically(p, |w| {
        w.write_all(
            serde_json::to_string_pretty(&run)
                .expect("a JSON value serialises")
                .as_bytes(),
        )
    })
}

/// How the bands were made, and the alerts' rule and scores, for the run record.
fn intervals_record(sweep: &Sweep, opts: &TrainOptions) -> serde_json::Value {
    let alerts = sweep.alerts.as_ref().map(|a| {
        serde_json::json!({
            "model": a.model.name(),
            "look_back": a.look_back,
            "seed": a.seed,
            "threshold": a.rule.threshold.text(),
            "threshold_value": a.threshold,
            "threshold_rule": "a percentile is taken of the shortest training span (nearest rank)",
            "alert_probability": a.rule.probability,
            "probability_rule": "the share of the model's validation residual paths that, added to the forecast path, exceed the threshold at some step",
            "alerts": a.scores.alerts,
            "true_alerts": a.scores.true_alerts,
            "exceedances": a.scores.exceedances,
            "caught": a.scores.caught,
            "precision": a.scores.precision(),
            "recall": a.scores.recall(),
            "mean_lead_steps": a.scores.mean_lead(),
        })
    });
    serde_json::json!({
        "levels": opts.levels,
        "method": "conformal per model, fold and forecast step, calibrated on the validation residuals: on the validation span the band of level 1 - a is the forecast plus the k-th smallest and k-th largest validation residual (actual - forecast), k = ceil((n + 1)(1 - a/2)); on the test span as test_span says",
        "test_span": match opts.online {
            Online::Split => "the validation bands' offsets, fixed",
            Online::Aci { .. } => "adaptive conformal (ACI): each step's miscoverage moved by gamma (target - miss) after each value whose outcome is known",
            Online::Pid => "conformal PID control: per step and side, quantile tracking plus an integrator of the misses, in score units, the tracking step chosen on the validation span",
        },
        "online": opts.online,
        "adaptive_gamma": match opts.online { Online::Aci { gamma } => Some(gamma), _ => None },
        "band_scale": opts.band_scale,
        "band_scale_ewma_weight": crate::forecast::online::EWMA_WEIGHT,
        "crps_quantile_levels": crate::forecast::intervals::CRPS_GRID,
        "msis_scale": "the training span's mean absolute one-step change (as MASE)",
        "alerts": alerts,
    })
}
