//! Writers of the training outputs ([`TrainFile`]), one module per family of files:
//! `metrics` (the tidy results CSV and its typed reader, which `report.md` is built from),
//! `tables` (the MSE tables in Markdown and LaTeX), `forecasts` (every forecast and the
//! errors per step), `figures` (steps, prediction and loss PNGs) and `record` (the model
//! card and the run record).

mod figures;
mod forecasts;
mod metrics;
mod record;
mod tables;

use std::path::PathBuf;

use crate::error::Result;
use crate::forecast::experiment::{Sweep, TrainOptions};
use crate::report::outputs::{TrainFile, TrainOutputs};

pub use metrics::read_metrics;
pub use tables::{
    alerts_sentence, coverage_markdown, coverage_sentence, inputs_note, legend, mse_markdown, Span,
};

/// Significance level of the table marks.
pub const ALPHA: f64 = 0.05;

/// Writes every output of an experiment, in [`TrainFile::ALL`] order; returns their paths.
pub fn write(sweep: &Sweep, opts: &TrainOptions) -> Result<Vec<PathBuf>> {
    let outputs = TrainOutputs::new(
        &opts.out_dir,
        &sweep.stem,
        opts.hyper.epochs,
        opts.hyper.batch_size,
    );
    let (look_back, seed) = sweep.summary.saved.expect("run() checks a model was saved");
    let mut written = Vec::new();
    for f in TrainFile::ALL {
        let p = outputs.path(f);
        match f {
            TrainFile::MetricsCsv => metrics::write_metrics(&p, &sweep.summary.rows, &opts.levels)?,
            TrainFile::ForecastsCsv => forecasts::forecasts_csv(&p, sweep, opts)?,
            TrainFile::StepsCsv => forecasts::steps_csv(&p, sweep, opts.horizon)?,
            TrainFile::StepsPng => figures::steps_png(&p, sweep, opts)?,
            TrainFile::MseTex => tables::mse_tex(&p, sweep, opts)?,
            TrainFile::PredictionPng => figures::prediction_png(&p, sweep, opts)?,
            TrainFile::LossPng => figures::loss_png(&p, sweep, opts)?,
            TrainFile::Model => sweep.lstms[&(look_back, seed)].save(&p)?,
            TrainFile::ModelCard => record::model_card(&p, sweep, opts)?,
            TrainFile::RunJson => record::run_json(&p, sweep, opts)?,
            TrainFile::AlertsCsv => unreachable!("not in ALL"),
        }
        written.push(p);
    }
    if let Some(a) = &sweep.alerts {
        let p = outputs.path(TrainFile::AlertsCsv);
        forecasts::alerts_csv(&p, sweep, a, opts.horizon)?;
        written.push(p);
    }
    Ok(written)
}
