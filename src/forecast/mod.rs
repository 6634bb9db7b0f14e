//! Forecasting: sliding windows over a series and MinMax scaling (here); what a model reads
//! ([`inputs`]: target, features, calendar terms); the chronological train / validation /
//! test [`spans`] and rolling origins; the [`network`] (LSTM or GRU cells, each layer one
//! candle op: [`lstm_op`], [`gru_op`], sharing [`fused`] and [`kernels`]), honest
//! [`baselines`] (with the ARX), the [`classical`] seasonal models, the one list of
//! [`models`], [`metrics`] and the Diebold–Mariano test ([`significance`]); the experiment of
//! `ntp train` — its data ([`experiment`]), the run ([`sweep`]) and its tidy [`summary`] with
//! the choices made on validation; the saved model's [`card`] and [`predict`] on another
//! series.

pub mod baselines;
pub mod card;
pub mod classical;
pub mod dlinear;
pub mod ensemble;
pub mod experiment;
pub mod frame;
pub mod fused;
pub mod gru_op;
pub mod inputs;
pub mod intervals;
pub mod kernels;
pub mod linear;
pub mod lstm_op;
pub mod metrics;
pub mod mlp_load;
pub mod models;
pub mod network;
pub mod nhits;
pub mod online;
pub mod panel;
pub mod predict;
pub mod significance;
pub mod spans;
pub mod spec;
pub mod summary;
pub mod sweep;
pub mod training;

/// Windows of `look_back` values, each forecasting the path of the `horizon` values after it
/// (steps 1 … H from the window's last value, its origin).
#[derive(Clone, Debug, PartialEq)]
pub struct Windows {
    pub look_back: usize,
    pub horizon: usize,
    /// Index of each window's first value in the series.
    pub starts: Vec<usize>,
}

impl Windows {
    /// All windows of a series of length `n` (n − L − H + 1 of them; none if too short).
    pub fn new(n: usize, look_back: usize, horizon: usize) -> Windows {
        let count = (n + 1).saturating_sub(look_back + horizon);
        Windows {
            look_back,
            horizon,
            starts: (0..count).collect(),
        }
    }

    /// The windows of [`Windows::new`] whose inputs and targets are all present: none
    /// touches an interval marked in `missing` (empty: none is missing).
    pub fn present(n: usize, look_back: usize, horizon: usize, missing: &[bool]) -> Windows {
        let mut w = Windows::new(n, look_back, horizon);
        if missing.iter().any(|&m| m) {
            // Missing intervals among the first k values, to count a window's in O(1).
            let mut before = vec![0usize; n + 1];
            for t in 0..n {
                before[t + 1] = before[t] + usize::from(missing.get(t).copied().unwrap_or(false));
            }
            let span = look_back + horizon;
            w.starts.retain(|&s| before[s + span] == before[s]);
        }
        w
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Index of the last target value (step H) of window `i`.
    pub fn target(&self, i: usize) -> usize {
        self.step_target(i, self.horizon)
    }

    /// Index of the value `step` (1 … H) steps after window `i`.
    pub fn step_target(&self, i: usize, step: usize) -> usize {
        self.starts[i] + self.look_back + step - 1
    }

    /// The target indices of windows `range`, window-major (H per window).
    pub fn path_targets(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = usize> + '_ {
        range.flat_map(move |i| (1..=self.horizon).map(move |s| self.step_target(i, s)))
    }
}

/// The study's chronological split: the first ⌊(1 − test_fraction)·windows⌋ windows train
/// (`int(0.8·(n − L))`), the rest test.
pub fn split(windows: usize, test_fraction: f64) -> usize {
    ((1.0 - test_fraction) * windows as f64).floor() as usize
}

/// MinMax scaling to [0, 1] (scikit-learn's MinMaxScaler; a constant series maps to 0).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Scaler {
    pub min: f64,
    pub max: f64,
}

impl Scaler {
    pub fn fit(values: &[f64]) -> Scaler {
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Scaler { min, max }
    }

    fn range(&self) -> f64 {
        let r = self.max - self.min;
        if r == 0.0 {
            1.0
        } else {
            r
        }
    }

    pub fn scale(&self, v: f64) -> f64 {
        (v - self.min) / self.range()
    }

    pub fn unscale(&self, v: f64) -> f64 {
        v * self.range() + self.min
    }
}

/// The part of the series the training windows see (inputs and targets): the scaler is
/// fitted on it only, so nothing of the test span leaks into training.
pub fn training_span(windows: &Windows, train: usize) -> usize {
    if train == 0 {
        0
    } else {
        windows.target(train - 1) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn study_split_and_span() {
        let w = Windows::new(902, 20, 1);
        assert_eq!(w.len(), 882);
        let train = split(w.len(), 0.2);
        assert_eq!(train, 705); // int(0.8 · 882)
        assert_eq!(training_span(&w, train), 705 + 20);
        assert!(Windows::new(10, 10, 1).is_empty());
    }
}
