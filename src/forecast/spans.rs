//! Chronological spans of an experiment: train, validation and test, per rolling origin.
//!
//! Spans are ranges of *target* positions in the series, the same for every look-back, so
//! every model and look-back is scored on the same values: the last `test_fraction` of the
//! series is the test region, cut into `folds` consecutive blocks; fold k tests on block k,
//! validates on the `val_fraction` of the series just before it and trains on everything
//! earlier (an expanding window). With one fold: train | validation | test. With a horizon H,
//! a window's path of H targets must lie wholly in the training span to train on it and in
//! the validation span to validate on it (no training path reaches a validation value, no
//! validation path a test value); a test window is one whose first target is in the block.
//!
//! The study's split ([`Split::Study`]): per look-back, the first ⌊(1 − test_fraction)·w⌋ of
//! the w windows train and the rest test, no validation.

use std::ops::Range;

use super::Windows;

/// How the series is cut.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// Train / validation / test by target position, `folds` rolling origins.
    Validated {
        val_fraction: f64,
        test_fraction: f64,
        folds: usize,
    },
    /// The study's: train / test by window count, per look-back.
    Study { test_fraction: f64 },
}

/// One fold's spans for one look-back, as window indices of [`Windows`].
#[derive(Clone, Debug, PartialEq)]
pub struct Spans {
    pub train: Range<usize>,
    pub val: Range<usize>,
    pub test: Range<usize>,
    /// Series points the fitted models may see: `x[..fit_end]` (scaler, AR, classical).
    pub fit_end: usize,
}

impl Split {
    pub fn folds(&self) -> usize {
        match self {
            Split::Validated { folds, .. } => *folds,
            Split::Study { .. } => 1,
        }
    }

    /// Values in the test region of a series of `n` points (the study's split: per look-back).
    pub fn test_values(&self, n: usize) -> usize {
        match *self {
            Split::Validated { test_fraction, .. } | Split::Study { test_fraction } => {
                (test_fraction * n as f64).round() as usize
            }
        }
    }

    /// Target positions [start, end) of fold `k`'s validation and test spans for a series of
    /// `n` points (study: computed per look-back in [`Split::spans`]).
    fn targets(&self, n: usize, k: usize) -> (Range<usize>, Range<usize>) {
        match *self {
            Split::Validated {
                val_fraction,
                folds,
                ..
            } => {
                let total = self.test_values(n).max(folds).min(n);
                let block = total / folds;
                let start = n - total + k * block;
                let end = if k + 1 == folds { n } else { start + block };
                let val = ((val_fraction * n as f64).round() as usize).max(1);
                (start.saturating_sub(val)..start, start..end)
            }
            Split::Study { .. } => (0..0, 0..0),
        }
    }

    /// Fold `k`'s spans for windows `w` over `n` points; `Err` says why there are none.
    pub fn spans(&self, n: usize, w: &Windows, k: usize) -> Result<Spans, String> {
        let first = w.look_back; // first target of window 0
        let h = w.horizon;
        let spans = match *self {
            Split::Study { test_fraction } => {
                let train = super::split(w.len(), test_fraction);
                Spans {
                    train: 0..train,
                    val: train..train,
                    test: train..w.len(),
                    fit_end: super::training_span(w, train),
                }
            }
            Split::Validated { .. } => {
                let (val, test) = self.targets(n, k);
                // Window i's targets are starts[i] + first … starts[i] + first + h − 1
                // (starts may skip windows that touch a missing value).
                let window = |t: usize| w.starts.partition_point(|&s| s + first < t);
                let last_ends_before =
                    |t: usize| w.starts.partition_point(|&s| s + first + h - 1 < t);
                let val_start = window(val.start);
                Spans {
                    train: 0..last_ends_before(val.start),
                    val: val_start..last_ends_before(val.end).max(val_start),
                    test: window(test.start)..window(test.end),
                    fit_end: val.start,
                }
            }
        };
        let validated = matches!(self, Split::Validated { .. });
        if validated && spans.val.is_empty() && !spans.train.is_empty() {
            let (val, _) = self.targets(n, k);
            if val.len() < h {
                return Err(format!(
                    "the validation span holds {} value(s), fewer than the --horizon {h}: a forecast path must lie wholly in it (raise --val-fraction or lower --horizon)",
                    val.len()
                ));
            }
        }
        if spans.train.len() < 2 || spans.test.is_empty() || (validated && spans.val.is_empty()) {
            return Err(format!(
                "series too short: {n} points give {} windows of {}+{} ({} train, {} validation, {} test; needs ≥ 2 train{} and 1 test)",
                w.len(),
                w.look_back,
                w.horizon,
                spans.train.len(),
                spans.val.len(),
                spans.test.len(),
                if validated { ", 1 validation" } else { "" }
            ));
        }
        Ok(spans)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_the_same_targets_for_every_look_back() {
        let split = Split::Validated {
            val_fraction: 0.1,
            test_fraction: 0.2,
            folds: 2,
        };
        for l in [5, 20] {
            let w = Windows::new(1000, l, 1);
            let s0 = split.spans(1000, &w, 0).unwrap();
            let s1 = split.spans(1000, &w, 1).unwrap();
            assert_eq!(w.target(s0.test.start), 800);
            assert_eq!(w.target(s0.test.end - 1), 899);
            assert_eq!(w.target(s1.test.start), 900);
            assert_eq!(w.target(s1.test.end - 1), 999);
            assert_eq!(w.target(s1.val.start), 800);
            assert_eq!(s1.fit_end, 800);
            assert_eq!(w.target(s1.train.end - 1), 799);
        }
        // Horizon 3: training paths end before validation, validation paths before test.
        let w = Windows::new(1000, 10, 3);
        let s = split.spans(1000, &w, 1).unwrap();
        assert_eq!(w.target(s.train.end - 1), 799);
        assert_eq!(w.step_target(s.val.start, 1), 800);
        assert_eq!(w.target(s.val.end - 1), 899);
        assert_eq!(w.step_target(s.test.start, 1), 900);
        assert_eq!(w.target(s.test.end - 1), 999);
        let w = Windows::new(902, 20, 1);
        let s = Split::Study { test_fraction: 0.2 }
            .spans(902, &w, 0)
            .unwrap();
        assert_eq!((s.train.end, s.test.end, s.fit_end), (705, 882, 725));
        assert!(split.spans(10, &Windows::new(10, 8, 1), 0).is_err());
    }

    #[test]
    fn windows_left_out_for_missing_values_keep_the_spans_targets() {
        let split = Split::Validated {
            val_fraction: 0.1,
            test_fraction: 0.2,
            folds: 1,
        };
        let mut missing = vec![false; 1000];
        missing[795..805].fill(true); // across the test span's start (800)
        missing[850] = true;
        let w = Windows::present(1000, 10, 2, &missing);
        // A window [s, s + 12) touching 795..805 or 850 is left out: 21 + 12 of 989.
        assert_eq!(w.len(), 989 - 21 - 12);
        let s = split.spans(1000, &w, 0).unwrap();
        assert!(w.target(s.train.end - 1) < 700);
        assert_eq!(w.step_target(s.val.start, 1), 700);
        // The last validation path ends before the gap; the first test target is the first
        // whose window is past it.
        assert_eq!(w.target(s.val.end - 1), 794);
        assert_eq!(w.step_target(s.test.start, 1), 815);
        assert_eq!(w.target(s.test.end - 1), 999);
        let touches = |i: usize| (w.starts[i]..w.starts[i] + 12).any(|t| missing[t]);
        assert!((0..w.len()).all(|i| !touches(i)));
    }
}
