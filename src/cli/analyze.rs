//! `ntp analyze`: series → statistics, figures and tables; [`AnalysisArgs`] are the analysis
//! stage's options (shared with `pipeline`).

use std::path::Path;

use clap::Args;
use ntp::analysis::AnalysisOptions;

use super::shared::{DatasetIo, ManyArgs, SeriesArgs};

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub io: DatasetIo,

    #[command(flatten)]
    pub series: SeriesArgs,

    #[command(flatten)]
    pub many: ManyArgs,

    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

/// Options of the analysis stage (shared by analyze and pipeline).
#[derive(Args, Debug, Clone)]
pub struct AnalysisArgs {
    /// Largest packet size shown in the size histogram.
    #[arg(long, default_value_t = 100, value_name = "BYTES")]
    pub max_size: u32,

    /// Seasonal period in intervals (default: 3600 for ≥ 7200 points, 60 for ≥ 120, else none).
    #[arg(long, value_name = "N")]
    pub period: Option<usize>,

    /// Lags of the ACF/PACF.
    #[arg(long, default_value_t = 40, value_name = "N")]
    pub lags: usize,

    /// Burst threshold in standard deviations (and robust deviations).
    #[arg(long, default_value_t = 3.0, value_name = "Z")]
    pub z: f64,

    /// Resolution of the PNG figures.
    #[arg(long, default_value_t = 300, value_name = "DPI")]
    pub dpi: u32,
}

impl AnalysisArgs {
    /// The analysis stage's options, writing to `out`.
    pub fn options(&self, series: &SeriesArgs, out: &Path) -> AnalysisOptions {
        AnalysisOptions {
            series: series.into(),
            out_dir: out.to_owned(),
            max_size: self.max_size,
            period: self.period,
            lags: self.lags,
            z: self.z,
            dpi: self.dpi,
        }
    }
}
