//! The Diebold–Mariano test of equal predictive accuracy (squared-error loss) with the
//! Harvey–Leybourne–Newbold small-sample correction: is one model's test error really lower
//! than another's, or within what the test span's noise allows?
//!
//! d_t = e₁,t² − e₂,t²; the long-run variance of d̄ sums the autocovariances of d up to lag
//! h − 1 (forecasts h steps ahead overlap by h − 1 steps); DM* = DM · √((n + 1 − 2h +
//! h(h − 1)/n)/n), two-sided p from Student's t with n − 1 degrees of freedom.
//! Checked against the `dieboldmariano` package from PyPI (tests/data/reference/dm/).

use statrs::distribution::{ContinuousCDF, StudentsT};

/// The outcome of one test of model 1 against model 2.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DmTest {
    /// The corrected statistic (negative: model 1 has the lower squared error).
    pub statistic: f64,
    /// Two-sided p-value; NaN when the test is undefined (identical errors, a long-run
    /// variance ≤ 0, fewer than 2 points).
    pub p_value: f64,
}

/// Tests forecast paths `f1` against `f2` of `actual` (window-major, `horizon` values per
/// forecast origin): the loss of an origin is its path's mean squared error, and origins one
/// step apart share h − 1 targets, hence the h − 1 autocovariance lags.
pub fn diebold_mariano(actual: &[f64], f1: &[f64], f2: &[f64], horizon: usize) -> DmTest {
    let undefined = DmTest {
        statistic: f64::NAN,
        p_value: f64::NAN,
    };
    let h = horizon.max(1);
    let n = actual.len().min(f1.len()).min(f2.len()) / h;
    if n < 2 || h >= n {
        return undefined;
    }
    let d: Vec<f64> = (0..n)
        .map(|t| {
            (t * h..(t + 1) * h)
                .map(|k| (actual[k] - f1[k]).powi(2) - (actual[k] - f2[k]).powi(2))
                .sum::<f64>()
                / h as f64
        })
        .collect();
    if d.iter().any(|v| !v.is_finite()) {
        return undefined;
    }
    let nf = n as f64;
    let mean = d.iter().sum::<f64>() / nf;
    let autocov = |k: usize| {
        (k..n)
            .map(|t| (d[t] - mean) * (d[t - k] - mean))
            .sum::<f64>()
            / nf
    };
    let variance = (autocov(0) + 2.0 * (1..h).map(autocov).sum::<f64>()) / nf;
    if variance.is_nan() || variance <= 0.0 {
        return undefined;
    }
    let hf = h as f64;
    let correction = ((nf + 1.0 - 2.0 * hf + hf * (hf - 1.0) / nf) / nf).sqrt();
    let statistic = mean / variance.sqrt() * correction;
    let p_value = match StudentsT::new(0.0, 1.0, nf - 1.0) {
        Ok(t) => 2.0 * t.cdf(-statistic.abs()),
        Err(_) => f64::NAN,
    };
    DmTest { statistic, p_value }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_forecasts_are_undefined_and_a_clear_winner_is_significant() {
        let y: Vec<f64> = (0..200).map(|i| (i as f64 * 0.3).sin()).collect();
        let f = vec![0.0; 200];
        assert!(diebold_mariano(&y, &f, &f, 1).p_value.is_nan());
        let good: Vec<f64> = y
            .iter()
            .enumerate()
            .map(|(i, v)| v + 0.01 * ((i * 7 % 11) as f64 - 5.0))
            .collect();
        let t = diebold_mariano(&y, &good, &f, 1);
        assert!(t.statistic < 0.0 && t.p_value < 1e-6, "{t:?}");
        let t2 = diebold_mariano(&y, &f, &good, 4);
        assert!(t2.statistic > 0.0 && t2.p_value < 1e-6, "{t2:?}");
    }
}
