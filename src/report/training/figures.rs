//! The experiment's figures: test MSE per step, the prediction on the last test span, and the
//! training and validation losses.

use std::path::Path;

use crate::error::Result;
use crate::forecast::experiment::{Sweep, TrainOptions};
use crate::forecast::intervals::level_name;
use crate::render::plot::{self, Canvas, TimeAxis};

use super::forecasts::step_errors;

/// Test MSE against the forecast step at the chosen look-back, one line per model (mean over
/// folds and seeds).
pub(super) fn steps_png(p: &Path, sweep: &Sweep, opts: &TrainOptions) -> Result<()> {
    let h = opts.horizon;
    let (look_back, _) = sweep.summary.saved.expect("checked");
    let colors = plot::CYCLE;
    let mut lines = Vec::new();
    for (k, &model) in sweep.models.iter().enumerate() {
        let runs: Vec<_> = sweep
            .runs
            .iter()
            .filter(|r| r.model == model && sweep.cells[r.cell].look_back == look_back)
            .filter(|r| !r.test.is_empty())
            .collect();
        if runs.is_empty() {
            continue;
        }
        let points: Vec<(f64, f64)> = (1..=h)
            .map(|step| {
                let v: f64 = runs
                    .iter()
                    .map(|r| step_errors(&sweep.cells[r.cell].test_actual, &r.test, h, step).0)
                    .sum::<f64>()
                    / runs.len() as f64;
                (step as f64, v)
            })
            .collect();
        lines.push(plot::Series {
            label: model.label(),
            color: colors[k % colors.len()],
            points,
        });
    }
    // One step: points, not lines of one point.
    let (lines, marks) = if h == 1 {
        (Vec::new(), lines)
    } else {
        (lines, Vec::new())
    };
    plot::panels(
        p,
        Canvas::new(8.0, 4.5, opts.dpi),
        &format!(
            "{}: test MSE per forecast step, look-back {look_back}",
            sweep.stem
        ),
        "step (intervals ahead)",
        &[plot::Panel {
            title: String::new(),
            y_label: format!("MSE ({})²", sweep.quantity.per_second_symbol()),
            lines,
            marks,
            bands: Vec::new(),
        }],
    )
}

/// The last fold's test span at the chosen look-back: observed, the saved LSTM and the best
/// baseline.
pub(super) fn prediction_png(p: &Path, sweep: &Sweep, opts: &TrainOptions) -> Result<()> {
    let (look_back, seed) = sweep.summary.saved.expect("checked");
    let fold = sweep.folds() - 1;
    let cell_index = sweep
        .cells
        .iter()
        .position(|c| c.fold == fold && c.look_back == look_back)
        .expect("the saved model's cell");
    let cell = &sweep.cells[cell_index];
    let baseline = sweep.summary.best_baseline[&look_back];
    // The forecast `horizon` steps ahead: the last of each path.
    let h = opts.horizon;
    let last = |v: &[f64]| -> Vec<f64> { v.iter().copied().skip(h - 1).step_by(h).collect() };
    let times: Vec<i64> = cell
        .test_start_ns
        .iter()
        .copied()
        .skip(h - 1)
        .step_by(h)
        .collect();
    let axis = TimeAxis::new(&times);
    let max = cell.test_actual.iter().copied().fold(0.0, f64::max);
    let (div, y_label) = sweep.quantity.axis(max);
    let line = |v: &[f64]| {
        times
            .iter()
            .zip(last(v))
            .map(|(t, y)| (axis.x(*t), y / div))
            .collect::<Vec<_>>()
    };
    let mut lines = vec![plot::Series {
        label: "observed".into(),
        color: plot::GREY,
        points: line(&cell.test_actual),
    }];
    let mut bands = Vec::new();
    if let Some(r) = sweep.run(cell_index, sweep.network(), Some(seed)) {
        // Widest first, so the narrower band is drawn over it.
        for (k, level) in opts.levels.iter().enumerate().rev() {
            let Some(b) = r.intervals.test_bands.get(k) else {
                continue;
            };
            let last_band: Vec<(f64, f64)> = b.iter().copied().skip(h - 1).step_by(h).collect();
            bands.push(plot::Band {
                label: format!("{} {} % band", sweep.network().label(), level_name(*level)),
                color: plot::BLUE,
                points: times
                    .iter()
                    .zip(last_band)
                    .map(|(t, (lo, hi))| (axis.x(*t), lo / div, hi / div))
                    .collect(),
            });
        }
    }
    for (model, seed, color) in [
        (sweep.network(), Some(seed), plot::BLUE),
        (baseline, None, plot::ORANGE),
    ] {
        if let Some(r) = sweep.run(cell_index, model, seed) {
            let mse = r.test_metrics.map_or(f64::NAN, |m| m.mse);
            lines.push(plot::Series {
                label: format!("{} (MSE {mse:.3e})", model.label()),
                color,
                points: line(&r.test),
            });
        }
    }
    plot::panels(
        p,
        Canvas::new(8.0, 4.5, opts.dpi),
        &format!(
            "{}: test span{}, look-back {look_back}, seed {seed}{}",
            sweep.stem,
            if sweep.folds() > 1 {
                format!(" of fold {fold}")
            } else {
                String::new()
            },
            if h > 1 {
                format!(", {h} steps ahead")
            } else {
                String::new()
            }
        ),
        &axis.label,
        &[plot::Panel {
            title: String::new(),
            y_label,
            lines,
            marks: Vec::new(),
            bands,
        }],
    )
}

/// Training and validation loss per epoch of the last fold's first seed, one line per
/// look-back, the kept (early-stopping) epoch marked.
pub(super) fn loss_png(p: &Path, sweep: &Sweep, opts: &TrainOptions) -> Result<()> {
    let colors = [
        plot::BLUE,
        plot::ORANGE,
        plot::GREEN,
        plot::RED,
        plot::PURPLE,
        plot::GREY,
    ];
    let fold = sweep.folds() - 1;
    let seed = opts.hyper.seed;
    let histories: Vec<(usize, &crate::forecast::training::History)> = sweep
        .cells
        .iter()
        .enumerate()
        .filter(|(_, c)| c.fold == fold)
        .filter_map(|(i, c)| {
            let r = sweep.run(i, sweep.network(), Some(seed))?;
            Some((c.look_back, r.history.as_ref()?))
        })
        .collect();
    let curves = |val: bool| {
        histories
            .iter()
            .enumerate()
            .map(|(i, (l, h))| {
                let v = if val { &h.validation } else { &h.train };
                plot::Series {
                    label: format!(
                        "L = {l}{}",
                        if val && !sweep.summary.on_test {
                            format!(", kept epoch {}", h.kept_epoch)
                        } else {
                            String::new()
                        }
                    ),
                    color: colors[i % colors.len()],
                    points: v
                        .iter()
                        .enumerate()
                        .map(|(k, l)| ((k + 1) as f64, *l))
                        .collect(),
                }
            })
            .collect::<Vec<_>>()
    };
    let kept = if sweep.summary.on_test {
        Vec::new()
    } else {
        vec![plot::Series {
            label: "kept epoch".into(),
            color: plot::RED,
            points: histories
                .iter()
                .filter_map(|(_, h)| {
                    Some((
                        h.kept_epoch as f64,
                        *h.validation.get(h.kept_epoch.checked_sub(1)?)?,
                    ))
                })
                .collect(),
        }]
    };
    let monitored = if sweep.summary.on_test {
        "test windows (the study's validation data)"
    } else {
        "validation windows (early stopping)"
    };
    plot::panels(
        p,
        Canvas::new(8.0, 7.0, opts.dpi),
        &format!(
            "{}: LSTM loss per epoch (MSE on scaled values), seed {seed}",
            sweep.stem
        ),
        "epoch",
        &[
            plot::Panel {
                title: "training windows".into(),
                y_label: "loss".into(),
                lines: curves(false),
                marks: Vec::new(),
                bands: Vec::new(),
            },
            plot::Panel {
                title: monitored.into(),
                y_label: "loss".into(),
                lines: curves(true),
                marks: kept,
                bands: Vec::new(),
            },
        ],
    )
}
