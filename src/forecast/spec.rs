//! What a network is, apart from its weights: its kind ([`CellKind`]), its [`Shape`], the
//! hyperparameters of it and its training ([`Hyper`], [`Loss`]), and the checks of stored
//! tensors. The network ([`super::network`]), its training ([`super::training`]) and the
//! loading of the MLP networks ([`super::mlp_load`]) all build on these, and on nothing of
//! each other's that would lead back.

use std::path::Path;

use candle_core::{DType, Tensor};

use super::frame::{Frame, Norm, Target};
use crate::error::{Error, Result};

/// A candle error on one line: its first line (candle appends a backtrace when
/// RUST_BACKTRACE is set).
pub(crate) fn candle_text(e: &candle_core::Error) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

pub(crate) fn model_err(e: candle_core::Error) -> Error {
    Error::Model(candle_text(&e))
}

/// Refuses a tensor that is not 32-bit float or holds a non-finite value.
pub(crate) fn check_values(path: &Path, name: &str, t: &Tensor) -> Result<()> {
    let bad = |message: String| Error::Dataset {
        path: path.to_owned(),
        message,
    };
    if t.dtype() != DType::F32 {
        return Err(bad(format!(
            "tensor `{name}` is {:?}, not F32: not a model ntp saved",
            t.dtype()
        )));
    }
    let values = t
        .flatten_all()
        .and_then(|v| v.to_vec1::<f32>())
        .map_err(|e| bad(format!("tensor `{name}`: {}", candle_text(&e))))?;
    match values.iter().find(|v| !v.is_finite()) {
        Some(v) => Err(bad(format!(
            "tensor `{name}` holds {v}: a model with non-finite weights forecasts nothing"
        ))),
        None => Ok(()),
    }
}

/// The largest look-back and horizon of DLinear and N-HiTS: DLinear's moving average and
/// N-HiTS' interpolation are matrices of that side, whose memory a card or an option must
/// not be able to claim without bound.
pub const MLP_MAX_STEPS: usize = 4096;

/// The recurrent cell.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum CellKind {
    #[default]
    Lstm,
    Gru,
    /// DLinear: no cell, a trend/remainder split and two linear maps.
    Dlinear,
    /// N-HiTS: no cell, a stack of pooled MLP blocks.
    Nhits,
}

impl CellKind {
    /// Gates per cell (rows of a layer's weight matrix per hidden unit).
    pub(super) fn gates(self) -> usize {
        match self {
            CellKind::Lstm => 4,
            CellKind::Gru => 3,
            CellKind::Dlinear | CellKind::Nhits => 0,
        }
    }

    /// Name in tables, files and PyTorch's parameter names.
    pub fn name(self) -> &'static str {
        match self {
            CellKind::Lstm => "lstm",
            CellKind::Gru => "gru",
            CellKind::Dlinear => "dlinear",
            CellKind::Nhits => "nhits",
        }
    }

    /// LSTM or GRU (the fused recurrent layers), not an MLP.
    pub fn is_recurrent(self) -> bool {
        matches!(self, CellKind::Lstm | CellKind::Gru)
    }

    /// How tables and figures name it.
    pub fn title(self) -> &'static str {
        match self {
            CellKind::Lstm => "LSTM",
            CellKind::Gru => "GRU",
            CellKind::Dlinear => "DLinear",
            CellKind::Nhits => "N-HiTS",
        }
    }
}

/// Hyperparameters of the network and its training.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Hyper {
    #[serde(default)]
    pub cell: CellKind,
    pub hidden: usize,
    pub layers: usize,
    /// Dropout between stacked layers while training (0: none).
    #[serde(default)]
    pub dropout: f64,
    pub lr: f64,
    pub batch_size: usize,
    pub epochs: usize,
    pub seed: u64,
    /// What the network predicts: the level or the change from the window's last value.
    #[serde(default)]
    pub target: Target,
    /// Each window also scaled by its own level and spread (RevIN), or not.
    #[serde(default)]
    pub norm: Norm,
    #[serde(default)]
    pub loss: Loss,
    /// Epochs without a lower validation loss after which the learning rate halves (0: never).
    #[serde(default)]
    pub plateau: usize,
    /// Largest global gradient norm (0: no clipping).
    #[serde(default)]
    pub clip: f64,
}

/// The training loss.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Loss {
    /// Mean squared error (the study's).
    #[default]
    Mse,
    /// Huber: squared below δ, linear above; δ is the training span's mean absolute
    /// one-step change (MASE's scale) in MinMax units, so errors larger than persistence's
    /// typical one weigh linearly.
    Huber,
}

/// The shape of a network: everything but its weights.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shape {
    pub cell: CellKind,
    /// Steps per input window (the MLPs' input size).
    pub look_back: usize,
    pub hidden: usize,
    pub layers: usize,
    pub inputs: usize,
    pub outputs: usize,
    pub dropout: f64,
    pub target: Target,
    pub norm: Norm,
}

impl Shape {
    /// The shape for these hyperparameters, `inputs` values per step, `outputs` steps.
    pub fn of(hp: &Hyper, look_back: usize, inputs: usize, outputs: usize) -> Shape {
        Shape {
            cell: hp.cell,
            look_back,
            hidden: hp.hidden,
            layers: hp.layers,
            inputs,
            outputs,
            dropout: hp.dropout,
            target: hp.target,
            norm: hp.norm,
        }
    }

    /// The frame of a network of this shape.
    pub fn frame(&self) -> Frame {
        Frame {
            target: self.target,
            norm: self.norm,
            width: self.inputs,
        }
    }

    /// Columns of layer `l`'s weight matrix.
    pub(super) fn cols(&self, l: usize) -> usize {
        let input = if l == 0 { self.inputs } else { self.hidden };
        match self.cell {
            CellKind::Gru => input + 1 + self.hidden + 1,
            _ => input + 1 + self.hidden,
        }
    }
}
