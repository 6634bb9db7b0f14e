//! `ntp predict`: a saved model applied to another series.

use std::path::PathBuf;

use clap::Args;

use super::shared::DatasetIo;

#[derive(Args, Debug)]
pub struct PredictArgs {
    /// A `*.best_model.*.safetensors` written by `ntp train` (its `.json` card beside it).
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,

    /// The other series: a series table, per-packet tables or a series file.
    #[command(flatten)]
    pub io: DatasetIo,
}
