//! Writers of `ntp predict`'s outputs ([`PredictFile`]), one function per file.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::forecast::metrics::Metrics;
use crate::forecast::predict::Prediction;
use crate::report::csv::{self, Cell};
use crate::report::outputs::{PredictFile, PredictOutputs};

/// Writes the forecasts and the metrics; returns their paths.
pub fn write(p: &Prediction, dir: &Path) -> Result<Vec<PathBuf>> {
    let outputs = PredictOutputs::new(dir, &p.stem);
    let forecasts = outputs.path(PredictFile::PredictionsCsv);
    predictions_csv(&forecasts, p)?;
    let metrics = outputs.path(PredictFile::MetricsCsv);
    metrics_csv(&metrics, p)?;
    Ok(vec![forecasts, metrics])
}

/// One row per window: the target's time, the value, the network's forecast (its column
/// named by the cell, `lstm` or `gru`) and persistence's.
fn predictions_csv(dest: &Path, p: &Prediction) -> Result<()> {
    let network = p.metrics.first().map_or("lstm".to_string(), |m| m.0.name());
    csv::write_rows(
        dest,
        &["timestamp", "actual", network.as_str(), "persistence"],
        (0..p.actual.len()).map(|i| {
            [
                Cell::Time(p.target_ns[i]),
                Cell::Float(p.actual[i]),
                Cell::Float(p.lstm[i]),
                Cell::Float(p.persistence[i]),
            ]
        }),
    )
}

fn metrics_csv(dest: &Path, p: &Prediction) -> Result<()> {
    let names: Vec<String> = p.metrics.iter().map(|(model, _)| model.name()).collect();
    csv::write_rows(
        dest,
        &["model", "mse", "rmse", "mae", "smape", "r2", "mase"],
        p.metrics
            .iter()
            .zip(&names)
            .map(|((_, m), name): (&(_, Metrics), _)| {
                [
                    Cell::Text(name),
                    Cell::Float(m.mse),
                    Cell::Float(m.rmse),
                    Cell::Float(m.mae),
                    Cell::Float(m.smape),
                    Cell::Float(m.r2),
                    Cell::Float(m.mase),
                ]
            }),
    )
}
