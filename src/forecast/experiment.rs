//! The experiment's data, between the stage that runs it ([`super::sweep`]), the one that
//! tabulates it ([`super::summary`]) and the writers ([`crate::report::training`]): its
//! options, the cells (a fold at a look-back) and the runs in them, the classical fits, and
//! the tidy rows with the choices.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Instant;

use super::classical::{ets, mstl};
use super::inputs::Calendar;
use super::intervals::{Alert, AlertScores, Alerting, RunIntervals};
use super::metrics::Metrics;
use super::models::Model;
use super::network::{Hyper, Network, MLP_MAX_STEPS};
use super::online::{Online, Scale};
use super::spans::{Spans, Split};
use super::training::History;
use super::{Scaler, Windows};
use crate::error::{Error, Result};
use crate::series::{Quantity, SeriesOptions};

/// Options of the training stage.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    pub series: SeriesOptions,
    pub out_dir: PathBuf,
    pub look_backs: Vec<usize>,
    pub horizon: usize,
    pub split: Split,
    /// LSTM trainings per configuration, seeds `hyper.seed`, `hyper.seed + 1`, …
    pub seeds: usize,
    /// Early-stopping patience in epochs (0: run every epoch, keep the best one).
    pub patience: usize,
    pub scale_on_all: bool,
    pub hyper: Hyper,
    /// Train and score on windows that touch a filled-in value too (`--fill` given); by
    /// default no window whose inputs or target are missing is used.
    pub use_filled: bool,
    /// Seasonal periods in intervals (empty: detected on the training span).
    pub periods: Vec<usize>,
    /// Other columns of the series the network and the AR (an ARX then) read beside the target.
    pub features: Vec<String>,
    pub calendar: Calendar,
    pub dpi: u32,
    /// Coverages of the prediction bands, as fractions (e.g. 0.8, 0.95); empty: no bands
    /// (the study's split, which has no validation span to fit them on).
    pub levels: Vec<f64>,
    /// How the bands move on the test span, and what their scores are divided by.
    pub online: Online,
    pub band_scale: Scale,
    /// Threshold alerts on the test span of the model chosen on validation.
    pub alerting: Option<Alerting>,
}

impl TrainOptions {
    /// Rejects settings no model can be trained with, naming the option.
    pub fn validate(&self) -> Result<()> {
        let hp = &self.hyper;
        let fraction = |f: f64| f > 0.0 && f < 1.0;
        let (test_ok, val_ok, folds) = match self.split {
            Split::Validated {
                val_fraction,
                test_fraction,
                folds,
            } => (
                fraction(test_fraction),
                fraction(val_fraction) && val_fraction + test_fraction < 1.0,
                folds,
            ),
            Split::Study { test_fraction } => (fraction(test_fraction), true, 1),
        };
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
                !test_ok,
                "--test-fraction must be between 0 and 1 (exclusive)",
            ),
            (
                !val_ok,
                "--val-fraction must be between 0 and 1, and with --test-fraction below 1",
            ),
            (folds == 0, "--folds must be ≥ 1"),
            (self.seeds == 0, "--seeds must be ≥ 1"),
            (
                self.periods.iter().any(|&p| p < 2),
                "--period values must be ≥ 2",
            ),
            (
                hp.hidden == 0 || hp.hidden > 1024,
                "--hidden must be between 1 and 1024",
            ),
            (
                hp.layers == 0 || hp.layers > 16,
                "--layers must be between 1 and 16",
            ),
            (
                self.seeds > 1000 || folds > 1000,
                "--seeds and --folds must be at most 1000",
            ),
            (
                !(0.0..1.0).contains(&hp.dropout),
                "--dropout must be in [0, 1)",
            ),
            (hp.batch_size == 0, "--batch-size must be ≥ 1"),
            (hp.epochs == 0, "--epochs must be ≥ 1"),
            (
                self.levels.iter().any(|l| !(*l > 0.0 && *l < 1.0)),
                "--level values must be between 0 and 100 (exclusive)",
            ),
            (
                matches!(self.online, Online::Aci { gamma } if !(gamma > 0.0 && gamma < 1.0)),
                "--adaptive aci:GAMMA: the step must be between 0 and 1 (exclusive)",
            ),
            (
                self.alerting
                    .as_ref()
                    .is_some_and(|a| !(a.probability > 0.0 && a.probability <= 1.0)),
                "--alert-probability must be in (0, 1]",
            ),
            (
                !(hp.lr.is_finite() && hp.lr > 0.0),
                "--lr must be a positive number",
            ),
            (
                !(hp.clip.is_finite() && hp.clip >= 0.0),
                "--clip must be a number ≥ 0",
            ),
            (
                !hp.cell.is_recurrent() && (hp.layers != 1 || hp.dropout > 0.0),
                "--layers and --dropout apply to the LSTM and GRU only",
            ),
            (
                !hp.cell.is_recurrent()
                    && (self.horizon > MLP_MAX_STEPS
                        || self.look_backs.iter().any(|&l| l > MLP_MAX_STEPS)),
                "DLinear and N-HiTS take --look-back and --horizon up to 4096",
            ),
        ];
        self.check_lists()?;
        match checks.iter().find(|c| c.0) {
            Some((_, message)) => Err(Error::Invalid((*message).into())),
            None => crate::render::plot::check_dpi(self.dpi),
        }
    }

    /// Lists that would repeat rows (`--look-back 5,5`), and seeds that would run past the
    /// largest one.
    fn check_lists(&self) -> Result<()> {
        let hp = &self.hyper;
        let repeated = |v: &[usize]| {
            v.iter()
                .enumerate()
                .find(|(i, x)| v[..*i].contains(x))
                .map(|(_, x)| *x)
        };
        if let Some(l) = repeated(&self.look_backs) {
            return Err(Error::Invalid(format!(
                "--look-back lists {l} more than once"
            )));
        }
        if let Some(p) = repeated(&self.periods) {
            return Err(Error::Invalid(format!("--period lists {p} more than once")));
        }
        if self.seeds > 0 && hp.seed.checked_add(self.seeds as u64 - 1).is_none() {
            return Err(Error::Invalid(format!(
                "--seed {} with --seeds {}: the seeds would run past the largest seed ({})",
                hp.seed,
                self.seeds,
                u64::MAX
            )));
        }
        Ok(())
    }

    /// Selection on the test span: the study's rule.
    pub fn selects_on_test(&self) -> bool {
        matches!(self.split, Split::Study { .. })
    }

    pub fn seed_list(&self) -> Vec<u64> {
        (0..self.seeds as u64)
            .map(|k| self.hyper.seed.wrapping_add(k))
            .collect()
    }
}

/// One fold at one look-back: its spans and the values every model is scored on.
pub struct Cell {
    pub fold: usize,
    pub look_back: usize,
    /// `Err(reason)` when the series is too short for it.
    pub status: std::result::Result<Spans, String>,
    /// The windows every model of the cell reads: all of them, or (missing values left
    /// out) those whose inputs and targets are all present.
    pub windows: Windows,
    /// Windows left out because they touch a missing value.
    pub left_out: usize,
    /// MinMax scalers of the target and each feature, fitted on the training span.
    pub scalers: Vec<Scaler>,
    pub val_actual: Vec<f64>,
    pub test_actual: Vec<f64>,
    /// Time (ns) of each validation and test target.
    pub val_start_ns: Vec<i64>,
    pub test_start_ns: Vec<i64>,
    /// MASE's scale: the mean absolute one-step change over the training span.
    pub mase_scale: f64,
}

impl Cell {
    pub fn spans(&self) -> Option<&Spans> {
        self.status.as_ref().ok()
    }
}

/// One model's forecasts in one cell (one seed of the LSTM).
pub struct Run {
    pub cell: usize,
    pub model: Model,
    pub seed: Option<u64>,
    /// Forecasts of the validation and test targets (empty when `status` says why not).
    pub val: Vec<f64>,
    pub test: Vec<f64>,
    pub val_metrics: Option<Metrics>,
    pub test_metrics: Option<Metrics>,
    /// `ok`, or why the model has no forecast.
    pub status: String,
    pub history: Option<History>,
    pub seconds: f64,
    /// Prediction bands fitted on the validation residuals, and their scores.
    pub intervals: RunIntervals,
    /// The model's own predictive standard deviation per forecast step (ETS and
    /// Holt-Winters: their state-space variance); empty for the others.
    pub analytic_sd: Vec<f64>,
}

/// The classical models fitted on one training span.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ClassicalFits {
    pub fit_end: usize,
    pub holt_winters: Option<ets::Fit>,
    pub ets: Option<ets::Fit>,
    pub mstl: Option<mstl::Fit>,
}

/// A finished experiment, before anything is written.
pub struct Sweep {
    pub stem: String,
    /// The dataset files the series came from.
    pub files: Vec<PathBuf>,
    pub started: Instant,
    /// What the series counts and its interval.
    pub quantity: Quantity,
    pub every_ns: i64,
    /// How the series was built (late packets, gaps between files).
    pub notes: Vec<String>,
    /// What changed the data or the results: intervals filled in, networks that diverged
    /// (said even under `--quiet`).
    pub warnings: Vec<String>,
    /// Series length.
    pub points: usize,
    /// Seasonal periods used, and whether they were detected (not given).
    pub periods: Vec<usize>,
    pub periods_detected: bool,
    pub models: Vec<Model>,
    /// Fold-major, look-backs in the order given.
    pub cells: Vec<Cell>,
    pub runs: Vec<Run>,
    /// The trained LSTMs of the last fold, by (look-back, seed).
    pub lstms: HashMap<(usize, u64), Network>,
    pub classical: Vec<(usize, ClassicalFits)>,
    pub summary: Summary,
    /// Threshold alerts on the test span (with `--threshold`).
    pub alerts: Option<AlertRun>,
}

/// Threshold alerts of the model chosen on validation over the test span of every fold.
pub struct AlertRun {
    pub model: Model,
    pub look_back: usize,
    /// The network's seed (the saved one); None for a deterministic model.
    pub seed: Option<u64>,
    pub rule: Alerting,
    /// The threshold's value in the series' unit.
    pub threshold: f64,
    /// Per fold: its cell, and the alert at each test origin.
    pub folds: Vec<(usize, Vec<Alert>)>,
    pub scores: AlertScores,
}

impl Sweep {
    pub fn run(&self, cell: usize, model: Model, seed: Option<u64>) -> Option<&Run> {
        self.runs
            .iter()
            .find(|r| r.cell == cell && r.model == model && r.seed == seed)
    }

    /// The network's row in the tables (LSTM or GRU).
    pub fn network(&self) -> Model {
        self.models[0]
    }

    pub fn folds(&self) -> usize {
        self.cells.iter().map(|c| c.fold + 1).max().unwrap_or(0)
    }
}

/// The fold a row is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FoldKey {
    Fold(usize),
    /// The mean over folds.
    All,
}

impl FoldKey {
    pub fn text(self) -> String {
        match self {
            FoldKey::Fold(k) => k.to_string(),
            FoldKey::All => "all".into(),
        }
    }

    pub fn parse(s: &str) -> Option<FoldKey> {
        match s {
            "all" => Some(FoldKey::All),
            _ => s.parse().ok().map(FoldKey::Fold),
        }
    }
}

/// The run or statistic over seeds a row is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SeedKey {
    Seed(u64),
    /// A deterministic model: one run, no seed.
    Once,
    Mean,
    Sd,
    Min,
    Max,
}

impl SeedKey {
    pub fn text(self) -> String {
        match self {
            SeedKey::Seed(s) => s.to_string(),
            SeedKey::Once => String::new(),
            SeedKey::Mean => "mean".into(),
            SeedKey::Sd => "sd".into(),
            SeedKey::Min => "min".into(),
            SeedKey::Max => "max".into(),
        }
    }

    pub fn parse(s: &str) -> Option<SeedKey> {
        Some(match s {
            "" => SeedKey::Once,
            "mean" => SeedKey::Mean,
            "sd" => SeedKey::Sd,
            "min" => SeedKey::Min,
            "max" => SeedKey::Max,
            _ => SeedKey::Seed(s.parse().ok()?),
        })
    }

    /// The row that stands for the model in tables: the mean over seeds, or the one run.
    pub fn is_headline(self) -> bool {
        matches!(self, SeedKey::Mean | SeedKey::Once)
    }
}

/// One row of the metrics table, as written and as read back.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub look_back: usize,
    /// `None` on a look-back the series is too short for.
    pub model: Option<Model>,
    pub fold: FoldKey,
    pub seed: SeedKey,
    /// Trainings the row summarises (seeds × folds, 1 for a single run).
    pub runs: usize,
    pub val: Option<Metrics>,
    pub test: Option<Metrics>,
    pub dm_p_vs_persistence: f64,
    pub dm_p_vs_best_baseline: f64,
    /// The LSTM's kept epoch (early stopping), NaN for other models.
    pub kept_epoch: f64,
    /// The LSTM look-back chosen (on validation; on test under the study's split).
    pub selected: bool,
    /// The model and look-back with the lowest validation MSE of all.
    pub best_model: bool,
    pub train_windows: usize,
    pub val_windows: usize,
    pub test_windows: usize,
    pub status: String,
    /// Interval scores per level, and CRPS (empty without `--level`).
    pub intervals: super::intervals::IntervalScores,
}

/// The rows and the choices.
#[derive(Default)]
pub struct Summary {
    pub rows: Vec<Row>,
    /// The LSTM look-back chosen.
    pub lstm_look_back: Option<usize>,
    /// The saved model: look-back and seed (last fold).
    pub saved: Option<(usize, u64)>,
    /// The model and look-back with the lowest selection MSE.
    pub best: Option<(Model, usize)>,
    /// Per look-back, the non-LSTM model with the lowest selection MSE.
    pub best_baseline: BTreeMap<usize, Model>,
    /// Whether choices were made on the test span (the study's split).
    pub on_test: bool,
}

/// The MSE a choice is made on: validation, or test under the study's split.
pub fn selection_mse(row: &Row, on_test: bool) -> Option<f64> {
    let m = if on_test { row.test } else { row.val };
    m.map(|m| m.mse).filter(|v| v.is_finite())
}
