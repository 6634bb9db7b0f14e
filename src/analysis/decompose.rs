//! Classical additive decomposition exactly as statsmodels
//! `seasonal_decompose(x, model='additive', period=P)` (two-sided, no trend extrapolation).

/// Trend, seasonal and residual components; `NaN` where statsmodels leaves NaN.
#[derive(Clone, Debug, PartialEq)]
pub struct Decomposition {
    pub period: usize,
    pub trend: Vec<f64>,
    pub seasonal: Vec<f64>,
    pub resid: Vec<f64>,
}

/// Needs `x.len() >= 2·period` (statsmodels' own requirement) and `period >= 2`.
pub fn seasonal_decompose(x: &[f64], period: usize) -> Option<Decomposition> {
    let n = x.len();
    if period < 2 || n < 2 * period {
        return None;
    }
    // Centred moving average: [0.5, 1 × (P−1), 0.5]/P for even P, 1/P × P for odd P.
    // A sliding sum of the inner taps, re-summed exactly every RESUM steps so rounding
    // cannot drift: O(n) instead of O(n·P) (P = 3600 on a day of seconds).
    const RESUM: usize = 1024;
    let p = period as f64;
    let even = period % 2 == 0;
    let half = period / 2; // distance of the outermost tap
    let inner = if even { half - 1 } else { half }; // inner taps: t − inner ..= t + inner
    let mut trend = vec![f64::NAN; n];
    let mut sum = 0.0;
    for (k, t) in (half..n - half).enumerate() {
        if k % RESUM == 0 {
            sum = x[t - inner..=t + inner].iter().sum();
        } else {
            sum += x[t + inner] - x[t - inner - 1];
        }
        trend[t] = if even {
            (sum + 0.5 * (x[t - half] + x[t + half])) / p
        } else {
            sum / p
        };
    }
    let detrended: Vec<f64> = x.iter().zip(&trend).map(|(v, t)| v - t).collect();
    // Per-phase nan-means, phase counted from the first row, then centred to sum zero.
    let mut means = vec![0.0; period];
    for (phase, m) in means.iter_mut().enumerate() {
        let (sum, count) = detrended[phase..]
            .iter()
            .step_by(period)
            .filter(|v| !v.is_nan())
            .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
        *m = sum / count as f64;
    }
    let centre = means.iter().sum::<f64>() / period as f64;
    for m in &mut means {
        *m -= centre;
    }
    let seasonal: Vec<f64> = (0..n).map(|t| means[t % period]).collect();
    let resid = detrended
        .iter()
        .zip(&seasonal)
        .map(|(d, s)| d - s)
        .collect();
    Some(Decomposition {
        period,
        trend,
        seasonal,
        resid,
    })
}

/// ntp's automatic period: 3600 (hourly cycle of a 1-s series) when there are at least
/// 7200 points, else 60 when at least 120, else none.
pub fn auto_period(n: usize) -> Option<usize> {
    if n >= 7200 {
        Some(3600)
    } else if n >= 120 {
        Some(60)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pure_season_plus_line() {
        let x: Vec<f64> = (0..48)
            .map(|t| t as f64 + [3.0, -1.0, -2.0, 0.0][t % 4])
            .collect();
        let d = seasonal_decompose(&x, 4).unwrap();
        assert!(
            d.trend[..2].iter().all(|v| v.is_nan()) && d.trend[46..].iter().all(|v| v.is_nan())
        );
        for t in 2..46 {
            assert!((d.trend[t] - t as f64).abs() < 1e-12);
            assert!(d.resid[t].abs() < 1e-12);
        }
        assert!((d.seasonal[0] - 3.0).abs() < 1e-12 && (d.seasonal[2] + 2.0).abs() < 1e-12);
    }
}
