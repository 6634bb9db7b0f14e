//! Forecast errors in the series' own units.

/// Every metric of one model on one set of windows.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Metrics {
    pub mse: f64,
    pub rmse: f64,
    pub mae: f64,
    /// Symmetric MAPE in percent: mean of 200·|y − ŷ| / (|y| + |ŷ|), 0 where both are 0.
    pub smape: f64,
    pub r2: f64,
    /// MAE divided by the in-sample MAE of the one-step persistence forecast.
    pub mase: f64,
}

/// Mean absolute one-step change of the training span (MASE's scale).
pub fn naive_scale(train_values: &[f64]) -> f64 {
    if train_values.len() < 2 {
        return f64::NAN;
    }
    train_values
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .sum::<f64>()
        / (train_values.len() - 1) as f64
}

/// [`naive_scale`] over the one-step changes between two present values (`missing`
/// marks the filled-in ones; empty: none is).
pub fn naive_scale_present(train_values: &[f64], missing: &[bool]) -> f64 {
    if missing.is_empty() {
        return naive_scale(train_values);
    }
    let is_missing = |t: usize| missing.get(t).copied().unwrap_or(false);
    let (sum, count) = (1..train_values.len())
        .filter(|&t| !is_missing(t) && !is_missing(t - 1))
        .fold((0.0, 0usize), |(s, c), t| {
            (s + (train_values[t] - train_values[t - 1]).abs(), c + 1)
        });
    if count == 0 {
        f64::NAN
    } else {
        sum / count as f64
    }
}

pub fn compute(actual: &[f64], predicted: &[f64], scale: f64) -> Metrics {
    let n = actual.len() as f64;
    let mse = actual
        .iter()
        .zip(predicted)
        .map(|(y, p)| (y - p) * (y - p))
        .sum::<f64>()
        / n;
    let mae = actual
        .iter()
        .zip(predicted)
        .map(|(y, p)| (y - p).abs())
        .sum::<f64>()
        / n;
    let smape = actual
        .iter()
        .zip(predicted)
        .map(|(y, p)| {
            let d = y.abs() + p.abs();
            if d == 0.0 {
                0.0
            } else {
                200.0 * (y - p).abs() / d
            }
        })
        .sum::<f64>()
        / n;
    let mean = actual.iter().sum::<f64>() / n;
    let sst = actual.iter().map(|y| (y - mean) * (y - mean)).sum::<f64>();
    let r2 = if sst == 0.0 {
        f64::NAN
    } else {
        1.0 - mse * n / sst
    };
    Metrics {
        mse,
        rmse: mse.sqrt(),
        mae,
        smape,
        r2,
        mase: mae / scale,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_constant() {
        let m = compute(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0], 1.0);
        assert_eq!((m.mse, m.mae, m.smape, m.r2), (0.0, 0.0, 0.0, 1.0));
        let m = compute(&[1.0, 2.0, 3.0], &[2.0, 2.0, 2.0], 0.5);
        assert!((m.r2 - 0.0).abs() < 1e-12);
        assert!((m.mse - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.mase - (2.0 / 3.0) / 0.5).abs() < 1e-12);
    }
}
