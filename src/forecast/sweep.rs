//! The study's LSTM look-back sweep, beside baselines that tell whether the LSTM learned
//! anything a persistence forecast does not know.
//!
//! For each look-back L: sliding windows over the series ([`crate::series`], the same options
//! as the analysis), a chronological split, MinMax scaling fitted on the training part only
//! (`scale_on_all` reproduces the study's leak), the LSTM trained with Adam on MSE, and every
//! baseline on exactly the same test windows. Errors are in the series' units (bytes/s).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use super::baselines;
use super::lstm::{self, History, Hyper, Lstm};
use super::metrics::{self, Metrics};
use super::models::Model;
use super::{scaled_windows, split, training_span, Scaler, Windows};
use crate::analysis::decompose::auto_period;
use crate::dataset::{self, reader};
use crate::error::{Error, Result};
use crate::series::{self, Quantity, SeriesOptions};
use crate::util::progress::Progress;

/// Options of the training stage.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    pub series: SeriesOptions,
    pub out_dir: PathBuf,
    pub look_backs: Vec<usize>,
    pub horizon: usize,
    pub test_fraction: f64,
    pub scale_on_all: bool,
    pub hyper: Hyper,
    /// Seasonal period for the seasonal-naive baseline (default: the analysis rule).
    pub period: Option<usize>,
    pub dpi: u32,
}

impl TrainOptions {
    /// Rejects settings no model can be trained with, naming the option.
    pub fn validate(&self) -> Result<()> {
        let hp = &self.hyper;
        let checks = [
            (
                self.look_backs.is_empty(),
                "--look-back needs at least one value",
            ),
            (
                self.look_backs.contains(&0),
                "--look-back values must be ≥ 1",
            ),
            (self.horizon == 0, "--horizon must be ≥ 1"),
            (
                !(self.test_fraction > 0.0 && self.test_fraction < 1.0),
                "--test-fraction must be between 0 and 1 (exclusive)",
            ),
            (hp.hidden == 0, "--hidden must be ≥ 1"),
            (hp.layers == 0, "--layers must be ≥ 1"),
            (hp.batch_size == 0, "--batch-size must be ≥ 1"),
            (hp.epochs == 0, "--epochs must be ≥ 1"),
            (
                !(hp.lr.is_finite() && hp.lr > 0.0),
                "--lr must be a positive number",
            ),
        ];
        match checks.iter().find(|c| c.0) {
            Some((_, message)) => Err(Error::Invalid((*message).into())),
            None => crate::report::plot::check_dpi(self.dpi),
        }
    }
}

/// The result of one look-back.
pub struct LookBack {
    pub look_back: usize,
    /// `Err(reason)` when the series is too short for it.
    pub status: std::result::Result<(), String>,
    pub train_windows: usize,
    pub test_windows: usize,
    /// Metrics per model, in [`Model::ALL`] order (None: the baseline has no forecast).
    pub rows: Vec<(Model, Option<Metrics>)>,
    pub history: History,
    pub seconds: f64,
    /// Test targets and forecasts (bytes/s).
    pub actual: Vec<f64>,
    pub forecasts: BTreeMap<Model, Vec<f64>>,
    pub test_start_ns: Vec<i64>,
    pub scaler: Scaler,
    pub model: Option<Lstm>,
}

impl LookBack {
    pub fn mse(&self, model: Model) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.0 == model)
            .and_then(|r| r.1.map(|m| m.mse))
    }

    /// The baseline with the lowest test MSE (persistence when none has a forecast).
    pub fn best_baseline(&self) -> Model {
        Model::ALL
            .into_iter()
            .filter(|m| *m != Model::Lstm)
            .filter_map(|m| self.mse(m).map(|v| (m, v)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(m, _)| m)
            .unwrap_or(Model::Baseline(baselines::Baseline::Persistence))
    }
}

/// A finished sweep, before anything is written.
pub struct Sweep {
    pub stem: String,
    /// The dataset files the series came from.
    pub files: Vec<PathBuf>,
    pub results: Vec<LookBack>,
    /// Index of the look-back whose LSTM had the lowest test MSE.
    pub best: usize,
    pub started: Instant,
    /// What the series counts and its interval.
    pub quantity: Quantity,
    pub every_ns: i64,
    /// How the series was built (late packets, gaps between files).
    pub notes: Vec<String>,
}

impl Sweep {
    pub fn best(&self) -> &LookBack {
        &self.results[self.best]
    }
}

fn too_short(x_len: usize, windows: usize, look_back: usize, horizon: usize) -> String {
    format!(
        "series too short: {x_len} points give {windows} windows of {look_back}+{horizon} (needs ≥ 2 train and 1 test)"
    )
}

fn one_look_back(
    x: &[f64],
    start_ns: &[i64],
    look_back: usize,
    opts: &TrainOptions,
    period: Option<usize>,
    progress: &Progress,
) -> Result<LookBack> {
    let started = Instant::now();
    let w = Windows::new(x.len(), look_back, opts.horizon);
    let train = split(w.len(), opts.test_fraction);
    let mut r = LookBack {
        look_back,
        status: Ok(()),
        train_windows: train,
        test_windows: w.len().saturating_sub(train),
        rows: Vec::new(),
        history: History::default(),
        seconds: 0.0,
        actual: Vec::new(),
        forecasts: BTreeMap::new(),
        test_start_ns: Vec::new(),
        scaler: Scaler { min: 0.0, max: 1.0 },
        model: None,
    };
    if train < 2 || r.test_windows < 1 {
        r.status = Err(too_short(x.len(), w.len(), look_back, opts.horizon));
        return Ok(r);
    }
    let span = training_span(&w, train);
    r.scaler = if opts.scale_on_all {
        Scaler::fit(x)
    } else {
        Scaler::fit(&x[..span])
    };
    let (tx, ty) = scaled_windows(x, &w, 0..train, &r.scaler);
    let (vx, vy) = scaled_windows(x, &w, train..w.len(), &r.scaler);
    let model = Lstm::new(opts.hyper.hidden, opts.hyper.layers, opts.hyper.seed)?;
    let bar = progress.items(opts.hyper.epochs as u64, format!("look-back {look_back}"));
    r.history = lstm::train(
        &model,
        &tx,
        &ty,
        (&vx, &vy),
        &opts.hyper,
        |epoch, loss, val| {
            bar.set_position(epoch as u64);
            bar.set_message(format!("loss {loss:.5} val {val:.5}"));
        },
    )?;
    bar.finish_and_clear();
    let pred: Vec<f64> = model
        .predict(&vx, 256)?
        .into_iter()
        .map(|p| r.scaler.unscale(p as f64))
        .collect();
    r.actual = (train..w.len()).map(|i| x[w.target(i)]).collect();
    r.test_start_ns = (train..w.len()).map(|i| start_ns[w.target(i)]).collect();
    let scale = metrics::naive_scale(&x[..span]);
    r.rows
        .push((Model::Lstm, Some(metrics::compute(&r.actual, &pred, scale))));
    r.forecasts.insert(Model::Lstm, pred);
    let ar = baselines::fit_ar(x, &w, train);
    for b in Model::baselines() {
        let f = baselines::forecast(b, x, &w, train..w.len(), period, ar.as_deref());
        let m = (!f.iter().any(|v| v.is_nan())).then(|| metrics::compute(&r.actual, &f, scale));
        r.rows.push((Model::Baseline(b), m));
        r.forecasts.insert(Model::Baseline(b), f);
    }
    r.model = Some(model);
    r.seconds = started.elapsed().as_secs_f64();
    Ok(r)
}

/// Runs the sweep on a dataset (files or a directory of parts of one capture).
pub fn run(inputs: &[PathBuf], opts: &TrainOptions, progress: &Progress) -> Result<Sweep> {
    let started = Instant::now();
    opts.validate()?;
    let files = reader::resolve(inputs)?;
    let series = series::load(inputs, &opts.series)?;
    let x = series.rates();
    lstm::prefer_single_threaded_gemm();
    let period = opts.period.or_else(|| auto_period(x.len()));
    let mut results = Vec::new();
    for &l in &opts.look_backs {
        results.push(one_look_back(
            &x,
            &series.start_ns,
            l,
            opts,
            period,
            progress,
        )?);
    }
    let best = results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.mse(Model::Lstm).map(|m| (i, m)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
        .ok_or_else(|| Error::Dataset {
            path: files[0].clone(),
            message: format!(
                "series of {} intervals is too short for every look-back ({})",
                x.len(),
                opts.look_backs
                    .iter()
                    .map(|l| l.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })?;
    Ok(Sweep {
        stem: dataset::stem_of(inputs),
        files,
        results,
        best,
        started,
        quantity: series.quantity,
        every_ns: series.every_ns,
        notes: series.notes,
    })
}
