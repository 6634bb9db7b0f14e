//! `ntp pipeline`: every stage in turn, then `report.md`.

use std::path::PathBuf;

use clap::Args;

use super::analyze::AnalysisArgs;
use super::shared::{SeriesArgs, TimestampUnitArgs};
use super::train::TrainingArgs;

#[derive(Args, Debug)]
pub struct PipelineArgs {
    /// Captures to process (default: the bundled real sample,
    /// tests/data/lan-broadcast-28min-ns.pcapng), or series files (.csv, .parquet), which
    /// go straight to the analysis.
    #[arg(value_name = "INPUT")]
    pub captures: Vec<PathBuf>,

    /// Output directory: datasets, tables, figures and report.md.
    #[arg(short, long, default_value = "results", value_name = "DIR")]
    pub output: PathBuf,

    /// Rerun every stage even when its outputs are newer than its inputs.
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub series: SeriesArgs,

    #[command(flatten)]
    pub analysis: AnalysisArgs,

    #[command(flatten)]
    pub training: TrainingArgs,

    /// Skip the training stage (analysis only).
    #[arg(long)]
    pub no_train: bool,

    /// Write the per-packet table (`ntp preprocess`) and build the series from it, instead
    /// of the one-pass series table (`ntp aggregate`, the default).
    #[arg(long)]
    pub packets: bool,

    #[command(flatten)]
    pub unit: TimestampUnitArgs,
}
