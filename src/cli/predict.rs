//! `ntp predict`: a saved model applied to another series.

use std::path::PathBuf;

use clap::Args;

use ntp::forecast::intervals::Threshold;

use super::shared::DatasetIo;

#[derive(Args, Debug)]
pub struct PredictArgs {
    /// A `*.best_model.*.safetensors` written by `ntp train` (its `.json` card beside it).
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,

    /// The other series: a series table, per-packet tables or a series file.
    #[command(flatten)]
    pub io: DatasetIo,

    /// Alert when the next `horizon` values may exceed this value (in the series' unit);
    /// pNN only as the model was trained with it (the card keeps its value) [default: the
    /// card's rule, if it has one].
    #[arg(long, value_parser = Threshold::parse, value_name = "VALUE|pNN")]
    pub threshold: Option<Threshold>,

    /// The probability that raises an alert [default: the card's, else 0.5].
    #[arg(long, value_name = "P")]
    pub alert_probability: Option<f64>,
}
