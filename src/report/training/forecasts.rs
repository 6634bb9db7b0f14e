//! `{stem}.forecasts.eE.bB.csv` (every forecast scored, with its bands),
//! `{stem}.steps.eE.bB.csv` (errors per forecast step) and `{stem}.alerts.eE.bB.csv`
//! (threshold alerts on the test span).

use std::path::Path;

use crate::error::Result;
use crate::forecast::experiment::{AlertRun, Sweep, TrainOptions};
use crate::forecast::intervals::level_name;
use crate::render::csv::{self, Cell};

/// Each run's model name and seed as CSV text (the seed empty for deterministic models).
fn run_labels(sweep: &Sweep) -> Vec<(String, String)> {
    sweep
        .runs
        .iter()
        .map(|r| {
            (
                r.model.name(),
                r.seed.map_or(String::new(), |s| s.to_string()),
            )
        })
        .collect()
}

/// Every forecast scored: one row per (fold, look-back, model, seed, span, origin, step);
/// `time` is the target's; with `--level`, each level's band (`lower_L`, `upper_L`).
pub(super) fn forecasts_csv(p: &Path, sweep: &Sweep, opts: &TrainOptions) -> Result<()> {
    let horizon = opts.horizon;
    let text = run_labels(sweep);
    let names: Vec<String> = opts.levels.iter().map(|&l| level_name(l)).collect();
    let band_header: Vec<String> = names
        .iter()
        .flat_map(|n| [format!("lower_{n}"), format!("upper_{n}")])
        .collect();
    let header: Vec<&str> = [
        "time",
        "fold",
        "look_back",
        "model",
        "seed",
        "span",
        "step",
        "actual",
        "forecast",
    ]
    .into_iter()
    .chain(band_header.iter().map(String::as_str))
    .collect();
    let levels = opts.levels.len();
    let rows = sweep.runs.iter().zip(&text).flat_map(|(r, (name, seed))| {
        let cell = &sweep.cells[r.cell];
        let spans = [
            (
                "validation",
                &r.val,
                &cell.val_actual,
                &cell.val_start_ns,
                &r.intervals.val_bands,
            ),
            (
                "test",
                &r.test,
                &cell.test_actual,
                &cell.test_start_ns,
                &r.intervals.test_bands,
            ),
        ];
        spans
            .into_iter()
            .flat_map(move |(span, f, actual, times, bands)| {
                f.iter().zip(actual).enumerate().map(move |(i, (f, a))| {
                    let band = move |k: usize| bands.get(k).map_or((f64::NAN, f64::NAN), |b| b[i]);
                    [
                        Cell::Time(times[i]),
                        Cell::Int(cell.fold as u64),
                        Cell::Int(cell.look_back as u64),
                        Cell::Text(name),
                        Cell::Text(seed),
                        Cell::Text(span),
                        Cell::Int((i % horizon + 1) as u64),
                        Cell::Float(*a),
                        Cell::Float(*f),
                    ]
                    .into_iter()
                    .chain((0..levels).flat_map(move |k| {
                        let (lo, hi) = band(k);
                        [Cell::Float(lo), Cell::Float(hi)]
                    }))
                })
            })
    });
    csv::write_table(p, &header, rows)
}

/// The alerts of the model chosen on validation: one row per test origin of each fold,
/// `time` being the first target's, with the probability that any of the next H values
/// exceeds the threshold, whether that raised an alert, and whether one did exceed it.
pub(super) fn alerts_csv(p: &Path, sweep: &Sweep, a: &AlertRun, horizon: usize) -> Result<()> {
    let model = a.model.name();
    let seed = a.seed.map_or(String::new(), |s| s.to_string());
    let rows = a.folds.iter().flat_map(|(ci, alerts)| {
        let cell = &sweep.cells[*ci];
        let (model, seed) = (&model, &seed);
        alerts.iter().enumerate().map(move |(i, al)| {
            [
                Cell::Time(cell.test_start_ns[i * horizon]),
                Cell::Int(cell.fold as u64),
                Cell::Int(cell.look_back as u64),
                Cell::Text(model),
                Cell::Text(seed),
                Cell::Float(a.threshold),
                Cell::Float(al.probability),
                Cell::Text(if al.alert { "true" } else { "false" }),
                Cell::Text(if al.exceeded { "true" } else { "false" }),
            ]
        })
    });
    csv::write_rows(
        p,
        &[
            "time",
            "fold",
            "look_back",
            "model",
            "seed",
            "threshold",
            "probability",
            "alert",
            "exceeded",
        ],
        rows,
    )
}

/// Mean squared and absolute error of step `step` (1-based) of window-major paths.
pub(super) fn step_errors(
    actual: &[f64],
    forecast: &[f64],
    horizon: usize,
    step: usize,
) -> (f64, f64) {
    let (mut se, mut ae, mut n) = (0.0, 0.0, 0usize);
    for (a, f) in actual.iter().zip(forecast).skip(step - 1).step_by(horizon) {
        se += (a - f) * (a - f);
        ae += (a - f).abs();
        n += 1;
    }
    if n == 0 || forecast.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    (se / n as f64, ae / n as f64)
}

/// Errors per step 1 … H of every run: the multi-step forecasts are direct for the LSTM
/// (one output per step) and the AR (one regression per step), from the state for the
/// smoothing models.
pub(super) fn steps_csv(p: &Path, sweep: &Sweep, horizon: usize) -> Result<()> {
    let text = run_labels(sweep);
    let rows = sweep.runs.iter().zip(&text).flat_map(|(r, (name, seed))| {
        let cell = &sweep.cells[r.cell];
        (1..=horizon).map(move |step| {
            let (val, _) = step_errors(&cell.val_actual, &r.val, horizon, step);
            let (mse, mae) = step_errors(&cell.test_actual, &r.test, horizon, step);
            [
                Cell::Int(cell.look_back as u64),
                Cell::Text(name),
                Cell::Int(cell.fold as u64),
                Cell::Text(seed),
                Cell::Int(step as u64),
                Cell::Float(val),
                Cell::Float(mse),
                Cell::Float(mae),
            ]
        })
    });
    csv::write_rows(
        p,
        &[
            "look_back",
            "model",
            "fold",
            "seed",
            "step",
            "val_mse",
            "test_mse",
            "test_mae",
        ],
        rows,
    )
}
