//! `ntp detect`: causal anomaly detection on any series, scored against labels.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::shared::{DatasetIo, ManyArgs, SeriesArgs};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// A forecast of each interval from its past and a conformal band around it.
    Forecast,
    /// A trailing median and MAD (robust z-score).
    RobustZ,
}

#[derive(Args, Debug)]
pub struct DetectArgs {
    #[command(flatten)]
    pub io: DatasetIo,

    #[command(flatten)]
    pub series: SeriesArgs,

    /// How each interval is judged.
    #[arg(long, value_enum, default_value_t = MethodArg::Forecast)]
    pub method: MethodArg,

    /// Coverage of the band in percent: a normal interval falls outside it this rarely
    /// (99.9: one in a thousand).
    #[arg(long, default_value_t = 99.9, value_name = "PERCENT")]
    pub level: f64,

    #[command(flatten)]
    pub many: ManyArgs,

    /// Labelled windows: a CSV `start,end[,kind]` (ISO 8601 or epoch seconds, the end
    /// exclusive) or NAB's `combined_windows.json`; the events are scored against them.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,

    /// An alarm is a value more than this many band half-widths beyond the band (1: twice
    /// as far from the forecast as the band's edge). Chosen on the shared NAB series and on
    /// simulated ones.
    #[arg(long, default_value_t = 1.0, value_name = "M")]
    pub margin: f64,

    /// Alarm on the calibrated score instead: an interval whose anomaly probability (the
    /// `probability` column) reaches P alarms, whatever --margin says (e.g. 0.999: of
    /// ordinary traffic, one interval in a thousand).
    #[arg(long, value_name = "P")]
    pub alarm_probability: Option<f64>,

    /// Alarms at most this many intervals apart are one event.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub gap: usize,

    /// Intervals that fit the detector before scoring starts [default: the first fifth].
    #[arg(long, value_name = "N")]
    pub initial: Option<usize>,

    /// Resolution of the PNG figure.
    #[arg(long, default_value_t = 150, value_name = "DPI")]
    pub dpi: u32,
}
