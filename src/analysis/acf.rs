//! Autocorrelation and partial autocorrelation as statsmodels' `plot_acf` / `plot_pacf`
//! compute them: `acf(x, nlags, alpha=0.05, fft=False, adjusted=False,
//! bartlett_confint=True)` and `pacf(x, nlags, alpha=0.05, method='ywm')`.

use super::describe::Z95;

/// One lag of a correlogram with its 95 % interval (`value ± z·σ`, as statsmodels returns).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lag {
    pub lag: usize,
    pub value: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// Autocovariances with denominator n (mean removed), lags 0..=nlags.
pub fn autocovariance(x: &[f64], nlags: usize) -> Vec<f64> {
    let n = x.len();
    let mean = x.iter().sum::<f64>() / n as f64;
    let d: Vec<f64> = x.iter().map(|v| v - mean).collect();
    (0..=nlags.min(n.saturating_sub(1)))
        .map(|k| {
            d[..n - k]
                .iter()
                .zip(&d[k..])
                .map(|(a, b)| a * b)
                .sum::<f64>()
                / n as f64
        })
        .collect()
}

/// ACF with Bartlett's bands: var 0 at lag 0, 1/n at lag 1, (1 + 2·Σ_{j<k} r_j²)/n after.
pub fn acf(x: &[f64], nlags: usize) -> Vec<Lag> {
    let n = x.len() as f64;
    let acov = autocovariance(x, nlags);
    let r: Vec<f64> = acov.iter().map(|c| c / acov[0]).collect();
    let mut out = Vec::with_capacity(r.len());
    let mut cum = 0.0;
    for (k, &v) in r.iter().enumerate() {
        let var = match k {
            0 => 0.0,
            1 => 1.0 / n,
            _ => {
                cum += r[k - 1] * r[k - 1];
                (1.0 + 2.0 * cum) / n
            }
        };
        let half = Z95 * var.sqrt();
        out.push(Lag {
            lag: k,
            value: v,
            ci_low: v - half,
            ci_high: v + half,
        });
    }
    out
}

/// PACF by Yule–Walker on the 1/n autocovariances (statsmodels 'ywm'), solved with
/// Levinson–Durbin; band ±z/√n; lag 0 is exactly 1 with zero width.
/// statsmodels requires `nlags < n / 2`; callers clamp.
pub fn pacf(x: &[f64], nlags: usize) -> Vec<Lag> {
    let n = x.len() as f64;
    let acov = autocovariance(x, nlags);
    let nlags = acov.len() - 1;
    let half = Z95 / n.sqrt();
    let mut out = vec![Lag {
        lag: 0,
        value: 1.0,
        ci_low: 1.0,
        ci_high: 1.0,
    }];
    // Levinson–Durbin recursion.
    let mut phi = vec![0.0; nlags + 1];
    let mut prev = vec![0.0; nlags + 1];
    let mut err = acov[0];
    for k in 1..=nlags {
        let mut acc = acov[k];
        for j in 1..k {
            acc -= prev[j] * acov[k - j];
        }
        let kappa = acc / err;
        phi[k] = kappa;
        for j in 1..k {
            phi[j] = prev[j] - kappa * prev[k - j];
        }
        err *= 1.0 - kappa * kappa;
        prev[..=k].copy_from_slice(&phi[..=k]);
        out.push(Lag {
            lag: k,
            value: kappa,
            ci_low: kappa - half,
            ci_high: kappa + half,
        });
    }
    out
}

/// The largest lag statsmodels' `pacf` accepts for n observations.
pub fn max_pacf_lags(n: usize) -> usize {
    (n / 2).saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ar1_pacf_cuts_off() {
        // x_t = 0.6 x_{t-1} + e_t with a fixed pseudo-random e.
        let mut x = vec![0.0f64; 4000];
        let mut s = 12345u64;
        for t in 1..x.len() {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let e = ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5;
            x[t] = 0.6 * x[t - 1] + e;
        }
        let p = pacf(&x, 5);
        assert!((p[1].value - 0.6).abs() < 0.05, "{:?}", p[1]);
        assert!(p[2].value.abs() < 0.05 && p[3].value.abs() < 0.05);
        let a = acf(&x, 3);
        assert_eq!(a[0].value, 1.0);
        assert!(
            (a[1].value - p[1].value).abs() < 1e-12,
            "lag-1 ACF equals lag-1 PACF"
        );
    }
}
