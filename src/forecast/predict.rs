//! `ntp predict`: a model saved by the sweep applied to another series, beside persistence
//! on the same windows, with the bands and threshold alerts its card allows.

use std::path::{Path, PathBuf};

use super::baselines::{self, Baseline};
use super::card::ModelCard;
use super::inputs;
use super::intervals::{self, Alert, AlertScores, Residuals, Threshold};
use super::metrics::{self, Metrics};
use super::models::Model;
use super::network::{self, Network, Shape};
use super::online::{self, Online, Scale};
use super::Windows;
use crate::dataset::{self, reader};
use crate::error::{Error, Result};
use crate::render::markdown;

/// The forecasts of a saved model on a series, before anything is written.
pub struct Prediction {
    /// How the series was built (late packets, gaps between files).
    pub notes: Vec<String>,
    /// How many intervals had no value in the file and were filled (said even under
    /// `--quiet`).
    pub filled: Option<String>,
    pub stem: String,
    /// Start of each target interval (ns since the epoch): the last of each window's path.
    pub target_ns: Vec<i64>,
    /// Start of the first target of each window's path.
    pub first_target_ns: Vec<i64>,
    pub actual: Vec<f64>,
    pub lstm: Vec<f64>,
    pub persistence: Vec<f64>,
    /// Metrics per model over every window.
    pub metrics: Vec<(Model, Metrics)>,
    /// The network's bands at the card's levels: (level, (lower, upper) per window), from
    /// the saved run's validation residuals at the last step.
    pub bands: Bands,
    /// Threshold alerts at every origin (with a threshold given or kept in the card).
    pub alerts: Option<PredictAlerts>,
}

/// Bands per level: (level, (lower, upper) per window).
pub type Bands = Vec<(f64, Vec<(f64, f64)>)>;

/// `predict`'s threshold alerts and how they fared on the series.
pub struct PredictAlerts {
    pub threshold: String,
    pub value: f64,
    pub probability: f64,
    pub rows: Vec<Alert>,
    pub scores: AlertScores,
}

impl Prediction {
    /// The metrics as a Markdown table (printed on stdout).
    pub fn markdown(&self) -> String {
        let rows: Vec<Vec<String>> = self
            .metrics
            .iter()
            .map(|(model, m)| {
                vec![
                    model.name().to_string(),
                    format!("{:.4e}", m.mse),
                    format!("{:.4e}", m.mae),
                    format!("{:.3}", m.r2),
                    format!("{:.3}", m.mase),
                ]
            })
            .collect();
        markdown::table(&["model", "MSE", "MAE", "R²", "MASE"], "lrrrr", &rows)
    }
}

/// Applies the model at `model_path` (its card beside it) to the series of `inputs`.
pub fn run(
    model_path: &Path,
    inputs: &[PathBuf],
    threshold: Option<Threshold>,
    probability: Option<f64>,
) -> Result<Prediction> {
    let card = ModelCard::read(&ModelCard::path_of(model_path))?;
    let files = reader::resolve(inputs)?;
    // The interval is the card's, not an option the user gave: say so when it does not fit.
    let (series, inp) = inputs::load(inputs, &card.series(), &card.features, &card.calendar)
        .map_err(|e| match e {
            Error::Dataset { path, message } if message.starts_with("--every") => Error::Dataset {
                path,
                message: message.replacen("--every", "the model's interval (from its card)", 1),
            },
            e => e,
        })?;
    let model = Network::load(
        model_path,
        Shape::of(&card.hyper, card.look_back, inp.width(), card.horizon),
    )?;
    crate::series::check_magnitude(&series.values).map_err(|e| Error::Dataset {
        path: files[0].clone(),
        message: e.to_string(),
    })?;
    let x = inp.target.clone();
    let w = Windows::new(x.len(), card.look_back, card.horizon);
    if w.len() < 2 {
        return Err(Error::Dataset {
            path: files[0].clone(),
            message: format!(
                "series of {} intervals is too short for look-back {}",
                x.len(),
                card.look_back
            ),
        });
    }
    network::prefer_single_threaded_gemm();
    let scalers: Vec<_> = std::iter::once(card.scaler)
        .chain(card.feature_scalers.iter().copied())
        .collect();
    let (vx, _) = inp.windows(&w, 0..w.len(), &scalers);
    let h = card.horizon;
    // Every window's forecast path; the forecast `horizon` steps ahead is the last of each.
    let paths: Vec<f64> = model
        .predict(&vx, 256)?
        .into_iter()
        .map(|v| card.scaler.unscale(v as f64))
        .collect();
    let pred: Vec<f64> = paths.iter().copied().skip(h - 1).step_by(h).collect();
    let actual: Vec<f64> = (0..w.len()).map(|i| x[w.target(i)]).collect();
    let actual_paths: Vec<f64> = (0..w.len())
        .flat_map(|i| (1..=h).map(move |s| (i, s)))
        .map(|(i, s)| x[w.step_target(i, s)])
        .collect();
    let persistence: Vec<f64> =
        baselines::forecast(Baseline::Persistence, &x, &w, 0..w.len(), None, None)
            .chunks(h)
            .map(|path| path[h - 1])
            .collect();
    let scale = metrics::naive_scale(&x);
    let metrics = vec![
        (
            Model::Network(card.hyper.cell),
            metrics::compute(&actual, &pred, scale),
        ),
        (
            Model::Baseline(Baseline::Persistence),
            metrics::compute(&actual, &persistence, scale),
        ),
    ];
    let (bands, alerts) = uncertainty(
        &card,
        model_path,
        (&paths, &actual_paths, &pred),
        threshold,
        probability,
    )?;
    let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
    let bands_finite = bands
        .iter()
        .all(|(_, b)| b.iter().all(|(lo, hi)| lo.is_finite() && hi.is_finite()));
    if !(finite(&paths) && bands_finite) {
        return Err(Error::Dataset {
            path: model_path.to_owned(),
            message: "the model's forecasts of this series are not finite numbers (its card's scaler or residuals do not fit the series)".into(),
        });
    }
    Ok(Prediction {
        filled: series.data_warning(card.series().fill),
        stem: dataset::stem_of(inputs),
        target_ns: (0..w.len()).map(|i| series.start_ns[w.target(i)]).collect(),
        first_target_ns: (0..w.len())
            .map(|i| series.start_ns[w.step_target(i, 1)])
            .collect(),
        actual,
        lstm: pred,
        persistence,
        metrics,
        notes: series.notes,
        bands,
        alerts,
    })
}

/// The network's bands at the card's levels and the threshold alerts, from the card's
/// validation residuals; `forecasts` are (paths, actual paths, last-step forecasts).
fn uncertainty(
    card: &ModelCard,
    model_path: &Path,
    forecasts: (&[f64], &[f64], &[f64]),
    threshold: Option<Threshold>,
    probability: Option<f64>,
) -> Result<(Bands, Option<PredictAlerts>)> {
    let (paths, actual_paths, pred) = forecasts;
    let h = card.horizon;
    let residuals = Residuals::from_paths(card.residuals.clone(), h);
    // The last step's bands move over this series as they did on the test span (the
    // card's method), calibrated on the card's validation residuals of that step.
    let last: Vec<f64> = actual_paths
        .iter()
        .copied()
        .skip(h - 1)
        .step_by(h)
        .collect();
    let bands = match &residuals {
        Some(r) => card
            .levels
            .iter()
            .map(|&l| match (card.online, card.band_scale) {
                (Online::Split, Scale::Raw) => {
                    let (lo, hi) = r.band(h - 1, l);
                    (l, pred.iter().map(|f| (f + lo, f + hi)).collect())
                }
                how => {
                    let val: Vec<f64> = r.paths().iter().copied().skip(h - 1).step_by(h).collect();
                    (l, online::step_bands(&val, pred, &last, h, l, how))
                }
            })
            .collect(),
        None => Vec::new(),
    };
    let alerts = match rule(card, threshold, probability)? {
        Some((text, value, p)) => {
            let r = residuals.as_ref().ok_or_else(|| Error::Dataset {
                path: model_path.to_owned(),
                message: "the card keeps no validation residuals to judge a threshold by (a model trained under --select-on-test)".into(),
            })?;
            let (rows, scores) = intervals::alerts(paths, actual_paths, r, value, p);
            Some(PredictAlerts {
                threshold: text,
                value,
                probability: p,
                rows,
                scores,
            })
        }
        None => None,
    };
    Ok((bands, alerts))
}

/// The alert rule: `--threshold` (a value; or pNN when the card was trained with the same
/// percentile, whose value on the training span it keeps), else the card's own rule.
fn rule(
    card: &ModelCard,
    threshold: Option<Threshold>,
    probability: Option<f64>,
) -> Result<Option<(String, f64, f64)>> {
    let kept = card.alert.as_ref();
    let p = probability.or(kept.map(|a| a.probability)).unwrap_or(0.5);
    if !(p > 0.0 && p <= 1.0) {
        return Err(Error::Invalid(format!(
            "--alert-probability {p}: must be in (0, 1]"
        )));
    }
    Ok(match threshold {
        Some(Threshold::Value(v)) => Some((format!("{v}"), v, p)),
        Some(t @ Threshold::Percentile(_)) => match kept.filter(|a| a.threshold == t.text()) {
            Some(a) => Some((a.threshold.clone(), a.value, p)),
            None => {
                return Err(Error::Invalid(format!(
                    "--threshold {}: a percentile is of the training span, which predict does not have; give a value{}",
                    t.text(),
                    kept.map_or(String::new(), |a| format!(
                        ", or {} (the model was trained with it: {})",
                        a.threshold, a.value
                    ))
                )))
            }
        },
        None => kept.map(|a| (a.threshold.clone(), a.value, p)),
    })
}
