//! What a network predicts and in which units: each input window re-expressed around its
//! own origin before the network reads it, and the network's output mapped back.
//!
//! - **Target**: the level itself (the study's), or the **change** from the window's last
//!   value, so that an output of zero is persistence and the network learns only what
//!   persistence misses.
//! - **Normalisation**: the training span's MinMax scaling alone (the study's), or, in
//!   addition, each window's own level and spread (**RevIN**, Kim et al. 2022, without the
//!   learnable affine): the window's target values minus their mean, divided by their
//!   standard deviation, and the forecast multiplied back. A series that grows out of the
//!   training span's range then still reaches the network in the units it was trained on.
//!
//! Only the target's own channel is re-expressed; features and calendar terms keep their
//! training-span scaling. The loss is taken after the mapping back, in the training span's
//! MinMax units, so every window weighs as it would without the frame.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// What the network's output means.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// The value itself (in the training span's MinMax units).
    #[default]
    Level,
    /// The change from the window's last value.
    Delta,
}

/// How each window's target channel is scaled before the network reads it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Norm {
    /// The training span's MinMax scaling only.
    #[default]
    Global,
    /// Also by the window's own mean and standard deviation (RevIN).
    Window,
}

/// RevIN's ε, added to the window's variance: a flat window is not divided by zero.
const EPS: f64 = 1e-5;

/// A window's (offset, scale): the network's output `p` means `offset + scale · p`.
pub type WindowFrame = (f32, f32);

/// The frame of a network: its target and normalisation, and how many values each input
/// step holds (the target is the first of them).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    pub target: Target,
    pub norm: Norm,
    pub width: usize,
}

impl Frame {
    /// No re-expression: the network reads and predicts MinMax-scaled levels.
    pub fn is_identity(&self) -> bool {
        self.target == Target::Level && self.norm == Norm::Global
    }

    /// The window's target channel: its mean, RevIN's spread and its last value.
    fn stats(&self, row: &[f32]) -> (f64, f64, f64) {
        let w = self.width.max(1);
        let n = (row.len() / w).max(1) as f64;
        let values = row.iter().step_by(w).map(|&v| v as f64);
        let mean = values.clone().sum::<f64>() / n;
        let var = values.map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        let last = row.len().checked_sub(w).map_or(0.0, |i| row[i] as f64);
        (mean, (var + EPS).sqrt(), last)
    }

    /// The window as the network reads it, and its (offset, scale): the network's output
    /// `p` means `offset + scale · p`. Under RevIN the target inputs are centred on the
    /// window's mean and divided by its spread, whatever the target; under `Global` they
    /// stay as they are (the network sees where the series is).
    pub fn apply(&self, row: &[f32]) -> (Vec<f32>, (f32, f32)) {
        let (mean, sd, last) = self.stats(row);
        let (centre, scale) = match self.norm {
            Norm::Global => (0.0, 1.0),
            Norm::Window => (mean, sd),
        };
        let offset = match self.target {
            Target::Level => centre,
            Target::Delta => last,
        };
        let mut out = row.to_vec();
        if self.norm == Norm::Window {
            for v in out.iter_mut().step_by(self.width.max(1)) {
                *v = ((*v as f64 - mean) / sd) as f32;
            }
        }
        (out, (offset as f32, scale as f32))
    }

    /// Windows as the network reads them (the same ones, not copied, when the frame
    /// changes nothing), and their frames.
    pub fn apply_all<'a>(&self, rows: &'a [Vec<f32>]) -> (Cow<'a, [Vec<f32>]>, Vec<WindowFrame>) {
        if self.is_identity() {
            return (Cow::Borrowed(rows), vec![(0.0, 1.0); rows.len()]);
        }
        let (x, frames): (Vec<_>, Vec<_>) = rows.iter().map(|r| self.apply(r)).unzip();
        (Cow::Owned(x), frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_output_under_delta_is_persistence_and_revin_undoes_itself() {
        let row = [0.2f32, 9.0, 0.4, 9.0, 0.9, 9.0];
        let delta = Frame {
            target: Target::Delta,
            norm: Norm::Global,
            width: 2,
        };
        let (x, (offset, scale)) = delta.apply(&row);
        assert_eq!(x, row.to_vec());
        assert_eq!(offset + scale * 0.0, 0.9);

        let revin = Frame {
            target: Target::Level,
            norm: Norm::Window,
            width: 2,
        };
        let (x, (offset, scale)) = revin.apply(&row);
        let mean = 0.5f32;
        let sd = (((0.09 + 0.01 + 0.16) / 3.0) + 1e-5f64).sqrt() as f32;
        assert!((offset - mean).abs() < 1e-6 && (scale - sd).abs() < 1e-6);
        // Features untouched; the target channel centred and scaled, and mapped back.
        assert_eq!((x[1], x[3], x[5]), (9.0, 9.0, 9.0));
        for (k, v) in [0.2f32, 0.4, 0.9].iter().enumerate() {
            assert!((offset + scale * x[2 * k] - v).abs() < 1e-6);
        }
        let both = Frame {
            target: Target::Delta,
            ..revin
        };
        let (x2, (offset, _)) = both.apply(&row);
        assert_eq!(x2, x);
        assert_eq!(offset, 0.9);
    }
}
