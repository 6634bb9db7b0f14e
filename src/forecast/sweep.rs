//! The forecasting experiment of `ntp train`: the LSTM look-back sweep, repeated over seeds
//! and rolling origins, beside baselines and the classical seasonal models, every model
//! scored on the same validation and test values.
//!
//! Per fold and look-back ([`Cell`]): sliding windows, the spans of
//! [`super::spans::Split`], MinMax scaling
//! fitted on the training span (`scale_on_all` reproduces the study's leak), the LSTM trained
//! once per seed with Adam on MSE and early stopping on the validation loss, every baseline
//! and classical model fitted on the training span and run over the later spans with its
//! parameters fixed. Independent trainings (folds × look-backs × seeds) run in parallel.
//! Choices — look-back, seed of the saved model, epoch, best model — are made on validation
//! ([`super::summary`]); the study's split selects on test. Errors are in the series' units.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Instant;

use super::experiment::{AlertRun, Cell, ClassicalFits, Run, Sweep, TrainOptions};
use super::intervals::{self, AlertScores, Alerting, RunIntervals};

use rayon::prelude::*;

use super::baselines::{self, Baseline};
use super::classical::{ets, mstl, seasons};
use super::ensemble;
use super::inputs::{self, Inputs};
use super::metrics;
use super::models::{Classical, Model};
use super::network::{self, Hyper, Network, Shape};
use super::spans::Spans;
use super::training::{self, Data, Stopping};
use super::Windows;
use crate::dataset::{self, reader};
use crate::error::{Error, Result};
use crate::series::Series;
use crate::util::progress::Progress;

pub(super) fn scored(
    cell: &Cell,
    model: Model,
    seed: Option<u64>,
    val: Vec<f64>,
    test: Vec<f64>,
) -> Run {
    let usable = |f: &[f64]| !f.is_empty() && f.iter().all(|v| v.is_finite());
    let (val_metrics, test_metrics, status) = if usable(&test) && (val.is_empty() || usable(&val)) {
        (
            (!val.is_empty()).then(|| metrics::compute(&cell.val_actual, &val, cell.mase_scale)),
            Some(metrics::compute(&cell.test_actual, &test, cell.mase_scale)),
            "ok".to_string(),
        )
    } else {
        (None, None, String::new())
    };
    Run {
        cell: usize::MAX,
        model,
        seed,
        val,
        test,
        val_metrics,
        test_metrics,
        status,
        history: None,
        seconds: 0.0,
        intervals: RunIntervals::default(),
        analytic_sd: Vec::new(),
    }
}

fn no_forecast(model: Model, why: &str) -> Run {
    Run {
        cell: usize::MAX,
        model,
        seed: None,
        val: Vec::new(),
        test: Vec::new(),
        val_metrics: None,
        test_metrics: None,
        status: why.into(),
        history: None,
        seconds: 0.0,
        intervals: RunIntervals::default(),
        analytic_sd: Vec::new(),
    }
}

/// The baselines of one cell; the AR becomes an ARX when the network reads more than the
/// target: each feature's latest value (scaled) and the calendar terms of the target's
/// interval join its lags.
fn baseline_runs(inp: &Inputs, cell: &Cell, spans: &Spans, models: &[Model]) -> Vec<Run> {
    let x = &inp.target[..];
    let w = &cell.windows;
    let exog_fn = |i: usize, step: usize, out: &mut Vec<f64>| {
        let origin = w.starts[i] + w.look_back - 1;
        for (k, f) in inp.features.iter().enumerate() {
            out.push(cell.scalers[k + 1].scale(f.1[origin]));
        }
        inp.calendar.push(inp.start_ns[w.step_target(i, step)], out);
    };
    let exog: Option<baselines::Exog> = inp.has_extra().then_some(&exog_fn as _);
    let ar = baselines::fit_ar(x, w, spans.train.end, exog);
    models
        .iter()
        .filter_map(|m| match m {
            Model::Baseline(b) => Some(*b),
            _ => None,
        })
        .map(|b| {
            let model = Model::Baseline(b);
            let val = baselines::forecast(b, x, w, spans.val.clone(), ar.as_deref(), exog);
            let test = baselines::forecast(b, x, w, spans.test.clone(), ar.as_deref(), exog);
            let mut r = scored(cell, model, None, val, test);
            if r.test_metrics.is_none() {
                r = no_forecast(
                    model,
                    match b {
                        Baseline::SeasonalNaive(_) => "no forecast (needs one period of history)",
                        Baseline::LinearAr => "no forecast (fewer training windows than lags)",
                        _ => "no forecast",
                    },
                );
            }
            r
        })
        .collect()
}

fn fit_classical(x: &[f64], fit_end: usize, periods: &[usize]) -> ClassicalFits {
    let train = &x[..fit_end];
    ClassicalFits {
        fit_end,
        holt_winters: periods.first().and_then(|&m| {
            ets::fit(
                ets::Spec {
                    trend: ets::Trend::Additive,
                    period: Some(m),
                },
                train,
            )
        }),
        ets: ets::auto(train, periods.first().copied()),
        mstl: mstl::fit(train, periods),
    }
}

fn classical_runs(
    x: &[f64],
    cell: &Cell,
    spans: &Spans,
    horizon: usize,
    fits: &ClassicalFits,
    models: &[Model],
) -> Vec<Run> {
    let w = &cell.windows;
    // paths[s − 1][t]: the forecast of x[t] made s steps before it.
    let pick = |paths: &[Vec<f64>], range: std::ops::Range<usize>| -> Vec<f64> {
        range
            .flat_map(|i| (1..=horizon).map(move |s| (i, s)))
            .map(|(i, s)| paths[s - 1][w.step_target(i, s)])
            .collect()
    };
    models
        .iter()
        .filter_map(|m| match m {
            Model::Classical(c) => Some(*c),
            _ => None,
        })
        .map(|c| {
            let model = Model::Classical(c);
            let steps = |f: &dyn Fn(usize) -> Vec<f64>| (1..=horizon).map(f).collect::<Vec<_>>();
            let path = match c {
                Classical::HoltWinters => fits
                    .holt_winters
                    .as_ref()
                    .map(|f| steps(&|h| f.forecasts(x, h))),
                Classical::Ets => fits.ets.as_ref().map(|f| steps(&|h| f.forecasts(x, h))),
                Classical::Mstl => fits.mstl.as_ref().map(|f| steps(&|h| f.forecasts(x, h))),
            };
            let sd = |f: &ets::Fit| (1..=horizon).map(|h| f.variance(h).sqrt()).collect();
            let analytic_sd: Vec<f64> = match c {
                Classical::HoltWinters => fits.holt_winters.as_ref().map(sd),
                Classical::Ets => fits.ets.as_ref().map(sd),
                Classical::Mstl => None,
            }
            .unwrap_or_default();
            match path {
                Some(f) => Run {
                    analytic_sd,
                    ..scored(
                        cell,
                        model,
                        None,
                        pick(&f, spans.val.clone()),
                        pick(&f, spans.test.clone()),
                    )
                },
                None => no_forecast(model, "no forecast (needs two seasons of training data)"),
            }
        })
        .collect()
}

/// Trains the LSTM of one cell from one seed.
fn lstm_run(
    inp: &Inputs,
    cell: &Cell,
    spans: &Spans,
    seed: u64,
    opts: &TrainOptions,
    on_epoch: &(dyn Fn() + Sync),
) -> Result<(Run, Network)> {
    let started = Instant::now();
    let w = &cell.windows;
    let (tx, ty) = inp.windows(w, spans.train.clone(), &cell.scalers);
    let (vx, vy) = inp.windows(w, spans.val.clone(), &cell.scalers);
    let (sx, sy) = inp.windows(w, spans.test.clone(), &cell.scalers);
    let hyper = Hyper {
        seed,
        ..opts.hyper.clone()
    };
    let shape = Shape::of(&hyper, cell.look_back, inp.width(), opts.horizon);
    let model = Network::new(shape, seed)?;
    let (monitored, stopping) = if opts.selects_on_test() {
        (Data { x: &sx, y: &sy }, Stopping::LastEpoch)
    } else {
        (
            Data { x: &vx, y: &vy },
            Stopping::BestValidation {
                patience: opts.patience,
            },
        )
    };
    // Huber's δ: MASE's scale (the training span's mean absolute change) in MinMax units.
    let delta = cell.scalers[0].scale(cell.mase_scale) - cell.scalers[0].scale(0.0);
    let data = Data { x: &tx, y: &ty };
    let history = training::train(
        &model,
        data,
        monitored,
        &hyper,
        stopping,
        delta,
        |_, _, _| on_epoch(),
    )?;
    let unscale = |p: Vec<f32>| -> Vec<f64> {
        p.into_iter()
            .map(|v| cell.scalers[0].unscale(v as f64))
            .collect()
    };
    let val = if vx.is_empty() {
        Vec::new()
    } else {
        unscale(model.predict(&vx, 256)?)
    };
    let test = unscale(model.predict(&sx, 256)?);
    let mut run = scored(cell, Model::Network(opts.hyper.cell), Some(seed), val, test);
    if run.test_metrics.is_none() {
        run.status = "no forecast (the network's output is not finite)".into();
    }
    run.history = Some(history);
    run.seconds = started.elapsed().as_secs_f64();
    Ok((run, model))
}

/// A network is taken to have diverged when its error on validation (on test under the
/// study's rule, which has no validation span) is this many times the larger of the
/// baselines' and that of forecasting zero (the mean square of the values: a baseline can
/// be exact on a constant span).
pub const DIVERGED: f64 = 1e3;

/// How a note about a network that diverged begins.
const DIVERGED_NOTE: &str = "diverged: ";

/// Takes the forecasts of the networks that diverged out of the results (they then enter
/// no ensemble and no choice), and says which.
fn mark_diverged(trained: &mut [Run], runs: &[Run], cells: &[Cell]) -> Vec<String> {
    let mse = |r: &Run| {
        r.val_metrics
            .as_ref()
            .or(r.test_metrics.as_ref())
            .map(|m| m.mse)
    };
    let mut notes = Vec::new();
    for r in trained.iter_mut() {
        let c = &cells[r.cell];
        let actual = if c.val_actual.is_empty() {
            &c.test_actual
        } else {
            &c.val_actual
        };
        let zero = actual.iter().map(|v| v * v).sum::<f64>() / actual.len().max(1) as f64;
        let reference = runs
            .iter()
            .filter(|p| p.cell == r.cell && matches!(p.model, Model::Baseline(_)))
            .filter_map(mse)
            .fold(zero, f64::max)
            .max(f64::MIN_POSITIVE);
        let Some(own) = mse(r) else {
            continue;
        };
        if own > DIVERGED * reference {
            notes.push(format!(
                "{DIVERGED_NOTE}the {} at look-back {}, seed {}, fold {} (MSE {own:.2e}, {:.1e} × the baselines'); left out of the results, ensembles and choices (lower --lr)",
                r.model.label(),
                c.look_back,
                r.seed.unwrap_or_default(),
                c.fold + 1,
                own / reference
            ));
            r.status = format!("diverged (MSE {own:.3e})");
            r.val_metrics = None;
            r.test_metrics = None;
            r.val.clear();
            r.test.clear();
        }
    }
    notes
}

/// A trained LSTM of the last fold and its (look-back, seed).
type LastFoldModel = ((usize, u64), Network);

/// The last fold's trained networks by (look-back, seed).
type LastFoldModels = HashMap<(usize, u64), Network>;

/// Runs the experiment on a dataset (files or a directory of parts of one capture).
pub fn run(inputs: &[PathBuf], opts: &TrainOptions, progress: &Progress) -> Result<Sweep> {
    let started = Instant::now();
    opts.validate()?;
    let files = reader::resolve(inputs)?;
    let (series, inp) = inputs::load(inputs, &opts.series, &opts.features, &opts.calendar)?;
    let stem = dataset::stem_of(inputs);
    run_series((files, stem, started), series, inp, opts, progress)
}

/// The experiment on a series already read (one of a many-series file:
/// [`crate::series::many`]), its outputs named `stem`; `files` are the inputs it came from.
pub fn run_series(
    (files, stem, started): (Vec<PathBuf>, String, Instant),
    series: Series,
    mut inp: Inputs,
    opts: &TrainOptions,
    progress: &Progress,
) -> Result<Sweep> {
    opts.validate()?;
    if opts.use_filled {
        inp.missing.clear();
    }
    let n = inp.target.len();
    let folds = opts.split.folds();
    if folds > 1 && folds > opts.split.test_values(n) {
        return Err(Error::Invalid(format!(
            "--folds {folds}: the test span of this series has {} values, fewer than the folds",
            opts.split.test_values(n)
        )));
    }
    network::prefer_single_threaded_gemm();
    let cells = build_cells(&inp, &series.start_ns, opts);
    if cells.iter().all(|c| c.status.is_err()) {
        let why = cells
            .iter()
            .find_map(|c| c.status.as_ref().err())
            .cloned()
            .unwrap_or_default();
        let look_backs = opts
            .look_backs
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        // The horizon, not the look-back, is what fails when the validation span is short.
        let message = if why.contains("--horizon") {
            format!("no look-back ({look_backs}) can be trained: {why}")
        } else {
            let left_out = cells.iter().map(|c| c.left_out).max().unwrap_or(0);
            let missing = if left_out > 0 {
                format!(
                    " once the windows that touch a missing value are left out (up to {left_out}; --fill linear uses them)"
                )
            } else {
                String::new()
            };
            format!(
                "series of {n} intervals is too short for every look-back ({look_backs}){missing}"
            )
        };
        return Err(Error::Dataset {
            path: files[0].clone(),
            message,
        });
    }
    let (periods, periods_detected) = choose_periods(&inp.target, &cells, opts);
    let models = Model::list(&periods, opts.hyper.cell, !opts.selects_on_test());
    let (classical, mut runs) = deterministic_runs(&inp, &cells, &periods, &models, opts);
    let (mut trained, lstms) = train_networks(&inp, &cells, opts, progress)?;
    let warnings: Vec<String> = warning_with_windows(&series, &inp, &cells, opts)
        .into_iter()
        .chain(mark_diverged(&mut trained, &runs, &cells))
        .collect();
    runs.extend(trained);
    if !opts.selects_on_test() {
        let combined = ensemble::runs(&runs, &cells, opts.hyper.cell, |c, m, v, t| {
            scored(c, m, None, v, t)
        });
        runs.extend(combined);
    }
    sort_for_tables(&mut runs, &models);
    if !opts.levels.is_empty() || opts.alerting.is_some() {
        attach_intervals(&mut runs, &cells, opts);
    }

    let mut sweep = Sweep {
        stem,
        files,
        started,
        quantity: series.quantity,
        every_ns: series.every_ns,
        notes: constant_note(&inp.target, series.notes),
        warnings,
        points: n,
        periods,
        periods_detected,
        models,
        cells,
        runs,
        lstms,
        classical,
        summary: Default::default(),
        alerts: None,
    };
    sweep.summary = super::summary::summarise(&sweep, opts);
    if sweep.summary.saved.is_none() {
        let diverged: Vec<&str> = sweep
            .warnings
            .iter()
            .filter_map(|w| w.strip_prefix(DIVERGED_NOTE))
            .collect();
        let message = match diverged.first() {
            Some(first) => format!(
                "every network's training diverged ({} trainings), first {first}",
                diverged.len()
            ),
            None => "no network gave a finite forecast: lower --lr or check the series".into(),
        };
        return Err(Error::Dataset {
            path: sweep.files[0].clone(),
            message,
        });
    }
    if let Some(a) = opts.alerting {
        sweep.alerts = threshold_alerts(&sweep, &inp.target, a);
    }
    Ok(sweep)
}

/// Every run's prediction bands, fitted on its validation residuals and scored on both
/// spans (the runs are independent: in parallel).
fn attach_intervals(runs: &mut [Run], cells: &[Cell], opts: &TrainOptions) {
    runs.par_iter_mut().for_each(|r| {
        if r.status != "ok" {
            r.intervals.scores = intervals::IntervalScores::missing(&opts.levels);
            return;
        }
        let cell = &cells[r.cell];
        let spans = intervals::Spans {
            val: &r.val,
            val_actual: &cell.val_actual,
            test: &r.test,
            test_actual: &cell.test_actual,
            scale: cell.mase_scale,
        };
        r.intervals = RunIntervals::fit(
            &spans,
            opts.horizon,
            &opts.levels,
            (opts.online, opts.band_scale),
        )
        .with_analytic(&spans, &r.analytic_sd, &opts.levels);
    });
}

/// Threshold alerts of the model chosen on validation (for a network, the saved seed) over
/// every fold's test span, the threshold resolved on the shortest training span.
fn threshold_alerts(sweep: &Sweep, x: &[f64], a: Alerting) -> Option<AlertRun> {
    let (model, look_back) = sweep.summary.best?;
    let seed = if model.is_seeded() {
        Some(sweep.summary.saved?.1)
    } else {
        None
    };
    let fit_end = sweep
        .cells
        .iter()
        .filter_map(|c| c.spans().map(|s| s.fit_end))
        .min()?;
    let threshold = a.threshold.value(&x[..fit_end]);
    let mut folds = Vec::new();
    let mut scores = AlertScores::default();
    for (i, cell) in sweep.cells.iter().enumerate() {
        if cell.look_back != look_back {
            continue;
        }
        let run = sweep.run(i, model, seed)?;
        let residuals = run.intervals.residuals.as_ref()?;
        let (alerts, s) = intervals::alerts(
            &run.test,
            &cell.test_actual,
            residuals,
            threshold,
            a.probability,
        );
        scores.add(&s);
        folds.push((i, alerts));
    }
    Some(AlertRun {
        model,
        look_back,
        seed,
        rule: a,
        threshold,
        folds,
        scores,
    })
}

/// What was changed to make the file a series, on one line, as the experiment uses it:
/// intervals without a value are left out of every window unless `--fill` was given.
pub fn data_warning(series: &Series, opts: &TrainOptions) -> Option<String> {
    if opts.use_filled || series.missing.is_empty() {
        return series.data_warning(opts.series.fill);
    }
    series.data_warning_as(
        "left missing: no window that touches one is trained on or scored (--fill linear fills them instead)",
    )
}

/// [`data_warning`] with how many windows the missing values left out, per look-back.
fn warning_with_windows(
    series: &Series,
    inp: &Inputs,
    cells: &[Cell],
    opts: &TrainOptions,
) -> Option<String> {
    if inp.missing.is_empty() {
        return series.data_warning(opts.series.fill);
    }
    let per_look_back: Vec<String> = cells
        .iter()
        .filter(|c| c.fold == 0)
        .map(|c| {
            format!(
                "{} of {} at look-back {}",
                c.left_out,
                c.left_out + c.windows.len(),
                c.look_back
            )
        })
        .collect();
    series.data_warning_as(&format!(
        "left missing: no window that touches one is trained on or scored (windows left out: {}; --fill linear fills them instead)",
        per_look_back.join(", ")
    ))
}

/// The series' notes, and one more when it is constant: every scaled error (MASE) is then
/// undefined and no season can be found.
fn constant_note(x: &[f64], mut notes: Vec<String>) -> Vec<String> {
    if crate::analysis::describe::is_constant(x) {
        notes.push(format!(
            "the series is constant ({} throughout): MASE is undefined (no change to scale by) and no model can beat persistence",
            x.first().copied().unwrap_or(f64::NAN)
        ));
    }
    notes
}

/// The cells, one per fold and look-back: spans, scalers and the values scored.
fn build_cells(inp: &Inputs, start_ns: &[i64], opts: &TrainOptions) -> Vec<Cell> {
    let x = &inp.target;
    let n = x.len();
    let mut cells = Vec::new();
    for fold in 0..opts.split.folds() {
        for &look_back in &opts.look_backs {
            let w = Windows::present(n, look_back, opts.horizon, &inp.missing);
            let left_out = Windows::new(n, look_back, opts.horizon).len() - w.len();
            let status = opts.split.spans(n, &w, fold);
            let mut cell = Cell {
                fold,
                look_back,
                status: Err(String::new()),
                windows: Windows::new(0, look_back, opts.horizon),
                left_out,
                scalers: Vec::new(),
                val_actual: Vec::new(),
                test_actual: Vec::new(),
                val_start_ns: Vec::new(),
                test_start_ns: Vec::new(),
                mase_scale: f64::NAN,
            };
            if let Ok(s) = &status {
                cell.scalers = inp.scalers(s.fit_end, opts.scale_on_all);
                cell.val_actual = w.path_targets(s.val.clone()).map(|t| x[t]).collect();
                cell.test_actual = w.path_targets(s.test.clone()).map(|t| x[t]).collect();
                cell.val_start_ns = w.path_targets(s.val.clone()).map(|t| start_ns[t]).collect();
                cell.test_start_ns = w
                    .path_targets(s.test.clone())
                    .map(|t| start_ns[t])
                    .collect();
                cell.mase_scale = metrics::naive_scale_present(&x[..s.fit_end], &inp.missing);
            }
            cell.status = status;
            cell.windows = w;
            cells.push(cell);
        }
    }
    cells
}

/// Seasonal periods: given, or detected on the shortest training span (no later value);
/// and whether they were detected.
fn choose_periods(x: &[f64], cells: &[Cell], opts: &TrainOptions) -> (Vec<usize>, bool) {
    if !opts.periods.is_empty() {
        return (opts.periods.clone(), false);
    }
    let shortest = cells
        .iter()
        .filter_map(|c| c.spans().map(|s| s.fit_end))
        .min()
        .unwrap_or(0);
    (seasons::detect(&x[..shortest]), true)
}

/// The deterministic models' runs, per cell (classical fits shared by the cells with one
/// training span), and those fits.
fn deterministic_runs(
    inp: &Inputs,
    cells: &[Cell],
    periods: &[usize],
    models: &[Model],
    opts: &TrainOptions,
) -> (Vec<(usize, ClassicalFits)>, Vec<Run>) {
    let x = &inp.target;
    let mut classical: Vec<(usize, ClassicalFits)> = Vec::new();
    let mut runs = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        let Some(spans) = cell.spans() else { continue };
        if !classical.iter().any(|(_, f)| f.fit_end == spans.fit_end) {
            classical.push((cell.fold, fit_classical(x, spans.fit_end, periods)));
        }
        let fits = &classical
            .iter()
            .find(|(_, f)| f.fit_end == spans.fit_end)
            .expect("just fitted")
            .1;
        for mut r in baseline_runs(inp, cell, spans, models)
            .into_iter()
            .chain(classical_runs(x, cell, spans, opts.horizon, fits, models))
        {
            r.cell = i;
            runs.push(r);
        }
    }
    (classical, runs)
}

/// The networks' trainings (cells × seeds), in parallel; their runs, and the last fold's
/// trained networks by (look-back, seed).
fn train_networks(
    inp: &Inputs,
    cells: &[Cell],
    opts: &TrainOptions,
    progress: &Progress,
) -> Result<(Vec<Run>, LastFoldModels)> {
    let seeds = opts.seed_list();
    let jobs: Vec<(usize, u64)> = cells
        .iter()
        .enumerate()
        .filter(|(_, c)| c.status.is_ok())
        .flat_map(|(i, _)| seeds.iter().map(move |&s| (i, s)))
        .collect();
    let epochs = opts.hyper.epochs as u64;
    let bar = progress.items(
        jobs.len() as u64 * epochs,
        format!("training {} {}s", jobs.len(), opts.hyper.cell.title()),
    );
    let tick = || bar.inc(1);
    let last_fold = opts.split.folds() - 1;
    let one = |&(i, seed): &(usize, u64)| -> Result<(Run, Option<LastFoldModel>)> {
        let cell = &cells[i];
        let spans = cell.spans().expect("filtered");
        let (mut run, model) = lstm_run(inp, cell, spans, seed, opts, &tick)?;
        let ran = run.history.as_ref().map_or(0, |h| h.train.len() as u64);
        bar.inc(epochs - ran);
        run.cell = i;
        let keep = (cell.fold == last_fold).then_some(((cell.look_back, seed), model));
        Ok((run, keep))
    };
    // Trainings in parallel; their batch rows are split across threads too (nested rayon).
    // A lone training runs on this thread, its batches split across the whole pool.
    let trained: Vec<(Run, Option<LastFoldModel>)> = if jobs.len() == 1 {
        jobs.iter().map(one).collect::<Result<_>>()?
    } else {
        jobs.par_iter().map(one).collect::<Result<_>>()?
    };
    bar.finish_and_clear();
    let mut runs = Vec::new();
    let mut lstms = HashMap::new();
    for (run, model) in trained {
        runs.push(run);
        if let Some((key, m)) = model {
            lstms.insert(key, m);
        }
    }
    Ok((runs, lstms))
}

/// Table order: cell, then model (in the models' list order), then seed.
fn sort_for_tables(runs: &mut [Run], models: &[Model]) {
    let order: BTreeMap<Model, usize> = models.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    runs.sort_by_key(|r| {
        (
            r.cell,
            order.get(&r.model).copied().unwrap_or(usize::MAX),
            r.seed,
        )
    });
}
