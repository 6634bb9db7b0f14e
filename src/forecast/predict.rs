//! `ntp predict`: a model saved by the sweep applied to another capture's series, beside
//! persistence on the same windows.

use std::path::{Path, PathBuf};

use super::baselines::{self, Baseline};
use super::card::ModelCard;
use super::inputs;
use super::metrics::{self, Metrics};
use super::models::Model;
use super::network::{self, Network, Shape};
use super::Windows;
use crate::dataset::{self, reader};
use crate::error::{Error, Result};
use crate::report::markdown;

/// The forecasts of a saved model on a series, before anything is written.
pub struct Prediction {
    /// How the series was built (late packets, gaps between files).
    pub notes: Vec<String>,
    pub stem: String,
    /// Start of each target interval (ns since the epoch).
    pub target_ns: Vec<i64>,
    pub actual: Vec<f64>,
    pub lstm: Vec<f64>,
    pub persistence: Vec<f64>,
    /// Metrics per model over every window.
    pub metrics: Vec<(Model, Metrics)>,
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
pub fn run(model_path: &Path, inputs: &[PathBuf]) -> Result<Prediction> {
    let card = ModelCard::read(&ModelCard::path_of(model_path))?;
    let files = reader::resolve(inputs)?;
    let (series, inp) = inputs::load(inputs, &card.series(), &card.features, &card.calendar)?;
    let model = Network::load(
        model_path,
        Shape::of(&card.hyper, inp.width(), card.horizon),
    )?;
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
    // The forecast `horizon` steps ahead: the last of each window's path.
    let pred: Vec<f64> = model
        .predict(&vx, 256)?
        .chunks(card.horizon)
        .map(|path| card.scaler.unscale(path[card.horizon - 1] as f64))
        .collect();
    let actual: Vec<f64> = (0..w.len()).map(|i| x[w.target(i)]).collect();
    let persistence: Vec<f64> =
        baselines::forecast(Baseline::Persistence, &x, &w, 0..w.len(), None, None)
            .chunks(card.horizon)
            .map(|path| path[card.horizon - 1])
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
    Ok(Prediction {
        stem: dataset::stem_of(inputs),
        target_ns: (0..w.len()).map(|i| series.start_ns[w.target(i)]).collect(),
        actual,
        lstm: pred,
        persistence,
        metrics,
        notes: series.notes,
    })
}
