//! `ntp train`: the forecasting experiment; [`TrainingArgs`] are the training stage's options
//! (shared with `pipeline`).

use std::path::Path;

use clap::{Args, ValueEnum};
use ntp::forecast::experiment::TrainOptions;
use ntp::forecast::frame::{Norm, Target};
use ntp::forecast::inputs::Calendar;
use ntp::forecast::intervals::{Alerting, Threshold};
use ntp::forecast::network::{CellKind, Hyper};
use ntp::forecast::online::{Online, Scale};
use ntp::forecast::spans::Split;
use ntp::forecast::training::Loss;

use super::shared::{DatasetIo, ManyArgs, SeriesArgs};

/// Options of the training stage (shared by train and pipeline).
#[derive(Args, Debug, Clone)]
pub struct TrainingArgs {
    /// Look-back windows to sweep (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "10,20,30,60",
        value_name = "L,..."
    )]
    pub look_back: Vec<usize>,

    /// Predict the value this many intervals after each window.
    #[arg(long, default_value_t = 1, value_name = "H")]
    pub horizon: usize,

    /// Share of the series (its end) kept for testing; with --folds, cut into that many
    /// consecutive test blocks.
    #[arg(long, default_value_t = 0.2, value_name = "F")]
    pub test_fraction: f64,

    /// Share of the series just before each test block used for validation: early stopping
    /// and every choice (look-back, saved model, best model) are made on it.
    #[arg(long, default_value_t = 0.1, value_name = "F")]
    pub val_fraction: f64,

    /// Rolling origins: the test region cut into K blocks, every model refitted on all data
    /// before each block (expanding window).
    #[arg(long, default_value_t = 1, value_name = "K")]
    pub folds: usize,

    /// Network trainings per look-back and fold, from seeds --seed, --seed+1, … (tables: mean ± sd).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub seeds: usize,

    /// Stop a training after this many epochs without a lower validation loss and keep its best
    /// epoch's weights (0: run every epoch, still keep the best).
    #[arg(long, default_value_t = 5, value_name = "EPOCHS")]
    pub patience: usize,

    /// The study's selection: train/test by window count per look-back, no validation, every
    /// epoch run, look-back and model chosen by the lowest *test* MSE (optimistic; for
    /// reproducing its tables only).
    #[arg(long)]
    pub select_on_test: bool,

    /// Fit the MinMax scaler on the whole series before the split (the study's test leak).
    #[arg(long)]
    pub scale_on_all: bool,

    /// Units per recurrent layer, or per N-HiTS MLP layer [default: 50; N-HiTS 512].
    #[arg(long)]
    pub hidden: Option<usize>,

    /// Stacked recurrent layers.
    #[arg(long, default_value_t = 1)]
    pub layers: usize,

    /// Adam learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,

    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,

    /// Most epochs per training; early stopping ends most sooner [default: 100; 20 under
    /// --select-on-test].
    #[arg(long)]
    pub epochs: Option<usize>,

    /// What the network predicts: the value, or its change from the window's last value
    /// (zero output = persistence) [default: delta; level under --select-on-test].
    #[arg(long, value_enum, value_name = "level|delta")]
    pub net_target: Option<TargetArg>,

    /// Window normalisation: the training span's MinMax only, or also each window's own mean
    /// and spread (RevIN) [default: window; global under --select-on-test].
    #[arg(long, value_enum)]
    pub norm: Option<NormArg>,

    /// Training loss: squared error, or Huber's (squared below the training span's mean
    /// absolute change, linear above) [default: huber; mse under --select-on-test].
    #[arg(long, value_enum)]
    pub loss: Option<LossArg>,

    /// Halve the learning rate after this many epochs without a lower validation loss
    /// (0: constant) [default: 3; 0 under --select-on-test].
    #[arg(long, value_name = "EPOCHS")]
    pub plateau: Option<usize>,

    /// Clip the gradients' global norm to this (0: no clipping) [default: 1; 0 under
    /// --select-on-test].
    #[arg(long, value_name = "NORM")]
    pub clip: Option<f64>,

    /// First seed of the initial weights and the shuffling: the same seeds give the same tables.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// The network: an LSTM or GRU, or the MLP references DLinear and N-HiTS.
    #[arg(long = "model", visible_alias = "cell", value_enum, value_name = "MODEL", default_value_t = CellArg::Lstm)]
    pub cell: CellArg,

    /// Dropout between stacked layers while training (with --layers ≥ 2).
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    pub dropout: f64,

    /// Other numeric columns of the series (table or file) as inputs beside the target, e.g.
    /// packets,tcp_bytes,sources; each scaled on the training span. The linear AR becomes an
    /// ARX with their latest values.
    #[arg(long, value_delimiter = ',', value_name = "COL,...")]
    pub features: Vec<String>,

    /// Calendar inputs: sine and cosine of the time of day and/or of the day of the week.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "hour,weekday")]
    pub calendar: Vec<CalendarTerm>,

    /// Local time of the calendar inputs: a UTC offset (+09:00, -0500) or a time zone name
    /// (Europe/Paris: daylight saving followed) [default: the series' --time-zone, else UTC].
    #[arg(long, value_parser = parse_tz, value_name = "OFFSET|ZONE", allow_hyphen_values = true)]
    pub tz: Option<Calendar>,

    /// Coverages of the prediction bands, in percent: split conformal, fitted on each
    /// model's validation residuals per forecast step and scored on test (none under
    /// --select-on-test, which has no validation span).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "80,95",
        value_name = "PCT,..."
    )]
    pub level: Vec<f64>,

    /// How the bands move on the test span as its values become known: `pid` (conformal
    /// PID control: follows the errors past every calibration error), `aci[:GAMMA]`
    /// (adaptive conformal; `--adaptive` alone: aci:0.005) or `split` (the validation
    /// offsets, fixed).
    #[arg(
        long,
        num_args = 0..=1,
        default_value = "pid",
        default_missing_value = "aci",
        value_parser = Online::parse,
        value_name = "METHOD"
    )]
    pub adaptive: Online,

    /// Frame the bands' scores by the running mean and spread of the errors known so far
    /// (`ewma`): the band follows growth, day/night changes and a level the model has not
    /// caught up with; `raw`: the residuals as they are.
    #[arg(long, value_enum, default_value_t = BandScaleArg::Ewma)]
    pub band_scale: BandScaleArg,

    /// Alert when the next `--horizon` values may exceed this level: a value in the
    /// series' unit, or pNN, the NN-th percentile of the training span (e.g. p99).
    #[arg(long, value_parser = Threshold::parse, value_name = "VALUE|pNN")]
    pub threshold: Option<Threshold>,

    /// The probability (that any of the next values exceeds --threshold) that raises an alert.
    #[arg(long, default_value_t = 0.5, value_name = "P")]
    pub alert_probability: f64,
}

/// A network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CellArg {
    Lstm,
    Gru,
    Dlinear,
    Nhits,
}

/// A network's target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TargetArg {
    Level,
    Delta,
}

/// A window normalisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NormArg {
    Global,
    Window,
}

/// A training loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LossArg {
    Mse,
    Huber,
}

/// A calendar input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CalendarTerm {
    Hour,
    Weekday,
}

/// `--tz`: the local time of the calendar terms, as a calendar without terms.
fn parse_tz(text: &str) -> Result<Calendar, String> {
    Calendar::parse(&[], Some(text)).map_err(|e| e.to_string())
}

impl TrainingArgs {
    /// The training stage's options, writing to `out`; `periods` are the seasonal periods
    /// named (empty: detected).
    pub fn options(
        &self,
        series: &SeriesArgs,
        out: &Path,
        periods: &[usize],
        dpi: u32,
    ) -> TrainOptions {
        let split = if self.select_on_test {
            Split::Study {
                test_fraction: self.test_fraction,
            }
        } else {
            Split::Validated {
                val_fraction: self.val_fraction,
                test_fraction: self.test_fraction,
                folds: self.folds,
            }
        };
        TrainOptions {
            series: series.into(),
            out_dir: out.to_owned(),
            look_backs: self.look_back.clone(),
            horizon: self.horizon,
            split,
            seeds: self.seeds,
            patience: self.patience,
            scale_on_all: self.scale_on_all,
            hyper: self.hyper(),
            use_filled: series.fill.is_some(),
            periods: periods.to_vec(),
            features: self.features.clone(),
            calendar: {
                // The series' own zone when --tz does not say otherwise.
                let local = self.tz.clone().unwrap_or_else(|| Calendar {
                    zone: series.time_zone.clone(),
                    ..Calendar::default()
                });
                Calendar {
                    hour: self.calendar.contains(&CalendarTerm::Hour),
                    weekday: self.calendar.contains(&CalendarTerm::Weekday),
                    ..local
                }
            },
            dpi,
            levels: self.levels(),
            online: self.adaptive,
            band_scale: match self.band_scale {
                BandScaleArg::Raw => Scale::Raw,
                BandScaleArg::Ewma => Scale::Ewma,
            },
            alerting: self.threshold.map(|threshold| Alerting {
                threshold,
                probability: self.alert_probability,
            }),
        }
    }

    /// The network and its training; unset options take the defaults of the split (the
    /// study's under --select-on-test).
    fn hyper(&self) -> Hyper {
        let study = self.select_on_test;
        let cell = match self.cell {
            CellArg::Lstm => CellKind::Lstm,
            CellArg::Gru => CellKind::Gru,
            CellArg::Dlinear => CellKind::Dlinear,
            CellArg::Nhits => CellKind::Nhits,
        };
        let default_target = if study {
            TargetArg::Level
        } else {
            TargetArg::Delta
        };
        let default_norm = if study {
            NormArg::Global
        } else {
            NormArg::Window
        };
        Hyper {
            cell,
            dropout: self.dropout,
            hidden: self
                .hidden
                .unwrap_or(if cell == CellKind::Nhits { 512 } else { 50 }),
            layers: self.layers,
            lr: self.lr,
            batch_size: self.batch_size,
            epochs: self.epochs.unwrap_or(if study { 20 } else { 100 }),
            seed: self.seed,
            target: match self.net_target.unwrap_or(default_target) {
                TargetArg::Level => Target::Level,
                TargetArg::Delta => Target::Delta,
            },
            norm: match self.norm.unwrap_or(default_norm) {
                NormArg::Global => Norm::Global,
                NormArg::Window => Norm::Window,
            },
            loss: match self
                .loss
                .unwrap_or(if study { LossArg::Mse } else { LossArg::Huber })
            {
                LossArg::Mse => Loss::Mse,
                LossArg::Huber => Loss::Huber,
            },
            plateau: self.plateau.unwrap_or(if study { 0 } else { 3 }),
            clip: self.clip.unwrap_or(if study { 0.0 } else { 1.0 }),
        }
    }

    /// The band levels as fractions, in increasing order (none under the study's split).
    fn levels(&self) -> Vec<f64> {
        if self.select_on_test {
            return Vec::new();
        }
        let mut v: Vec<f64> = self.level.iter().map(|l| l / 100.0).collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        v
    }
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub io: DatasetIo,

    #[command(flatten)]
    pub series: SeriesArgs,

    #[command(flatten)]
    pub many: ManyArgs,

    #[command(flatten)]
    pub training: TrainingArgs,

    /// Seasonal periods in intervals (e.g. 288,2016 for daily and weekly on 5-min data): a
    /// seasonal naive per period, Holt-Winters on the first, MSTL on all (default: detected
    /// on the training span).
    #[arg(long, value_delimiter = ',', value_name = "N,...")]
    pub period: Vec<usize>,

    /// Resolution of the PNG figures.
    #[arg(long, default_value_t = 300, value_name = "DPI")]
    pub dpi: u32,
}

/// What the bands' scores are divided by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BandScaleArg {
    /// Nothing: residuals.
    Raw,
    /// An exponentially weighted mean of the past absolute errors.
    Ewma,
}
