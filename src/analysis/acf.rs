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

/// Above this many multiply-adds (n × lags) the autocovariances are taken by FFT: the
/// direct sum is exact to the last digits the references check, the FFT is O(n log n).
const DIRECT_WORK: usize = 50_000_000;

/// Autocovariances with denominator n (mean removed), lags 0..=nlags.
pub fn autocovariance(x: &[f64], nlags: usize) -> Vec<f64> {
    let n = x.len();
    let mean = super::describe::exact_mean(x);
    let d: Vec<f64> = x.iter().map(|v| v - mean).collect();
    let lags = nlags.min(n.saturating_sub(1));
    if n.saturating_mul(lags + 1) > DIRECT_WORK {
        return autocovariance_fft(&d, lags);
    }
    (0..=lags)
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

/// The same by FFT, block by block: each block of `d` is correlated with the stretch that
/// starts with it and runs `lags` further (zero-padded, so nothing wraps), and the blocks'
/// sums are added. Memory is a few blocks, not the 2n-point transform of the whole series
/// (on 10 M points that transform and its scratch took over 1 GB).
fn autocovariance_fft(d: &[f64], lags: usize) -> Vec<f64> {
    use rustfft::num_complex::Complex;
    let n = d.len();
    let block = (4 * (lags + 1)).next_power_of_two().max(1 << 16);
    let len = (block + lags + 1).next_power_of_two();
    let mut planner = rustfft::FftPlanner::new();
    let forward = planner.plan_fft_forward(len);
    let inverse = planner.plan_fft_inverse(len);
    let zero = Complex::new(0.0, 0.0);
    let mut a = vec![zero; len];
    let mut b = vec![zero; len];
    let mut sums = vec![0.0; lags + 1];
    for start in (0..n).step_by(block) {
        let a_end = (start + block).min(n);
        let b_end = (start + block + lags).min(n);
        a.fill(zero);
        b.fill(zero);
        for (c, &v) in a.iter_mut().zip(&d[start..a_end]) {
            c.re = v;
        }
        for (c, &v) in b.iter_mut().zip(&d[start..b_end]) {
            c.re = v;
        }
        forward.process(&mut a);
        forward.process(&mut b);
        for (x, y) in a.iter_mut().zip(&b) {
            *x = x.conj() * y;
        }
        inverse.process(&mut a);
        for (s, c) in sums.iter_mut().zip(&a) {
            *s += c.re / len as f64;
        }
    }
    sums.iter().map(|s| s / n as f64).collect()
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

/// The most PACF lags computed: Levinson–Durbin costs lags², and no correlogram is read
/// that far.
pub const PACF_CAP: usize = 10_000;

/// The largest lag statsmodels' `pacf` accepts for n observations.
pub fn max_pacf_lags(n: usize) -> usize {
    (n / 2).saturating_sub(1)
}

#[cfg(test)]
mod fft_tests {
    #[test]
    fn the_blocked_fft_equals_the_direct_sum() {
        let x: Vec<f64> = (0..200_003u64)
            .map(|t| ((t * 7919) % 101) as f64 + (t as f64 / 300.0).sin() * 40.0)
            .collect();
        let mean = x.iter().sum::<f64>() / x.len() as f64;
        let d: Vec<f64> = x.iter().map(|v| v - mean).collect();
        for lags in [0, 1, 40, 3000, 70_000] {
            let fft = super::autocovariance_fft(&d, lags);
            assert_eq!(fft.len(), lags + 1);
            for k in [0, lags / 2, lags] {
                let direct: f64 = d[..d.len() - k]
                    .iter()
                    .zip(&d[k..])
                    .map(|(a, b)| a * b)
                    .sum::<f64>()
                    / d.len() as f64;
                assert!(
                    (fft[k] - direct).abs() <= 1e-9 * direct.abs().max(1.0),
                    "{lags} {k}: {} {direct}",
                    fft[k]
                );
            }
        }
    }
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

    /// The FFT road equals the direct sum to rounding.
    #[test]
    fn fft_autocovariance_equals_the_direct_sum() {
        let x: Vec<f64> = (0..3000)
            .map(|i| ((i * 7919) % 1000) as f64 / 7.0)
            .collect();
        let mean = x.iter().sum::<f64>() / x.len() as f64;
        let d: Vec<f64> = x.iter().map(|v| v - mean).collect();
        let direct = autocovariance(&x, 500);
        let fft = autocovariance_fft(&d, 500);
        for (a, b) in direct.iter().zip(&fft) {
            assert!((a - b).abs() <= 1e-9 * direct[0], "{a} {b}");
        }
    }

    /// A constant series has no variance: every correlation is undefined (NaN), as in
    /// statsmodels, not a number made of rounding noise.
    #[test]
    fn a_constant_series_has_undefined_correlations() {
        let x = vec![0.1; 1000];
        assert_eq!(autocovariance(&x, 3), vec![0.0; 4]);
        assert!(acf(&x, 3)[1].value.is_nan());
    }
}
