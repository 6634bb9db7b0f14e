//! Writers of `ntp predict`'s outputs ([`PredictFile`]), one function per file.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::forecast::intervals::{level_name, BandScores};
use crate::forecast::predict::{PredictAlerts, Prediction};
use crate::render::csv::{self, Cell};
use crate::report::outputs::{PredictFile, PredictOutputs};

/// Writes the forecasts, the metrics and (with a threshold) the alerts; returns their paths.
pub fn write(p: &Prediction, dir: &Path) -> Result<Vec<PathBuf>> {
    let outputs = PredictOutputs::new(dir, &p.stem);
    let forecasts = outputs.path(PredictFile::PredictionsCsv);
    predictions_csv(&forecasts, p)?;
    let metrics = outputs.path(PredictFile::MetricsCsv);
    metrics_csv(&metrics, p)?;
    let mut written = vec![forecasts, metrics];
    if let Some(a) = &p.alerts {
        let alerts = outputs.path(PredictFile::AlertsCsv);
        alerts_csv(&alerts, p, a)?;
        written.push(alerts);
    }
    Ok(written)
}

/// One row per window: the target's time, the value, the network's forecast (its column
/// named by the cell, `lstm` or `gru`), its bands (`lower_L`, `upper_L`) and persistence's.
fn predictions_csv(dest: &Path, p: &Prediction) -> Result<()> {
    let network = p.metrics.first().map_or("lstm".to_string(), |m| m.0.name());
    let bands: Vec<String> = p
        .bands
        .iter()
        .flat_map(|(l, _)| {
            let n = level_name(*l);
            [format!("lower_{n}"), format!("upper_{n}")]
        })
        .collect();
    let header: Vec<&str> = ["timestamp", "actual", network.as_str()]
        .into_iter()
        .chain(bands.iter().map(String::as_str))
        .chain(["persistence"])
        .collect();
    csv::write_table(
        dest,
        &header,
        (0..p.actual.len()).map(|i| {
            [
                Cell::Time(p.target_ns[i]),
                Cell::Float(p.actual[i]),
                Cell::Float(p.lstm[i]),
            ]
            .into_iter()
            .chain(
                p.bands
                    .iter()
                    .flat_map(move |(_, b)| [Cell::Float(b[i].0), Cell::Float(b[i].1)]),
            )
            .chain([Cell::Float(p.persistence[i])])
        }),
    )
}

/// One row per model: the metrics and, for the network, each band's coverage, width and
/// Winkler score (MSIS scaled like MASE, by this series' one-step mean absolute change).
fn metrics_csv(dest: &Path, p: &Prediction) -> Result<()> {
    let names: Vec<String> = p.metrics.iter().map(|(model, _)| model.name()).collect();
    let band_cols: Vec<String> = p
        .bands
        .iter()
        .flat_map(|(l, _)| {
            let n = level_name(*l);
            ["coverage", "width", "winkler"].map(|f| format!("{f}_{n}"))
        })
        .collect();
    let header: Vec<&str> = ["model", "mse", "rmse", "mae", "smape", "r2", "mase"]
        .into_iter()
        .chain(band_cols.iter().map(String::as_str))
        .collect();
    let scale = p.metrics.first().map_or(f64::NAN, |(_, m)| m.mae / m.mase);
    let scores: Vec<BandScores> = p
        .bands
        .iter()
        .map(|(l, b)| BandScores::of(b, &p.actual, *l, scale))
        .collect();
    csv::write_table(
        dest,
        &header,
        p.metrics
            .iter()
            .zip(&names)
            .enumerate()
            .map(|(k, ((_, m), name))| {
                let network = k == 0;
                [
                    Cell::Text(name),
                    Cell::Float(m.mse),
                    Cell::Float(m.rmse),
                    Cell::Float(m.mae),
                    Cell::Float(m.smape),
                    Cell::Float(m.r2),
                    Cell::Float(m.mase),
                ]
                .into_iter()
                .chain(scores.iter().flat_map(move |s| {
                    let v = |x: f64| Cell::Float(if network { x } else { f64::NAN });
                    [v(s.coverage), v(s.width), v(s.winkler)]
                }))
            }),
    )
}

/// One row per origin: the first target's time, the probability that any of the next
/// `horizon` values exceeds the threshold, whether that raised an alert, whether one did.
fn alerts_csv(dest: &Path, p: &Prediction, a: &PredictAlerts) -> Result<()> {
    csv::write_rows(
        dest,
        &["time", "threshold", "probability", "alert", "exceeded"],
        a.rows.iter().enumerate().map(|(i, r)| {
            [
                Cell::Time(p.first_target_ns[i]),
                Cell::Float(a.value),
                Cell::Float(r.probability),
                Cell::Text(if r.alert { "true" } else { "false" }),
                Cell::Text(if r.exceeded { "true" } else { "false" }),
            ]
        }),
    )
}
