//! Baselines evaluated on exactly the LSTM's windows: persistence (next = last), seasonal
//! naive (one per period named), the mean of the look-back window, and a linear
//! autoregression on the L lags fitted by least squares on the training windows — an ARX
//! when the network gets other inputs too: then each feature's latest value and the
//! calendar terms of the target's interval join the lags ([`Exog`]).

use super::Windows;

/// Extra regressors of window `i`, step `s`, appended to the vector (a fixed number).
pub type Exog<'a> = &'a (dyn Fn(usize, usize, &mut Vec<f64>) + Sync);

/// A baseline forecaster (its name and place in tables: [`super::models::Model`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Baseline {
    Persistence,
    /// The value one or more whole periods (this many intervals) before the target.
    SeasonalNaive(usize),
    WindowMean,
    LinearAr,
}

/// Forecast paths of a baseline for windows `range`, window-major (H values per window; NaN
/// where it has none, e.g. seasonal naive before one period of history). `ar` holds the
/// linear AR's coefficients per step ([`fit_ar`]).
pub fn forecast(
    b: Baseline,
    x: &[f64],
    w: &Windows,
    range: std::ops::Range<usize>,
    ar: Option<&[Vec<f64>]>,
    exog: Option<Exog>,
) -> Vec<f64> {
    let mut extra = Vec::new();
    range
        .flat_map(|i| (1..=w.horizon).map(move |step| (i, step)))
        .map(|(i, step)| {
            let s = w.starts[i];
            let window = &x[s..s + w.look_back];
            match b {
                Baseline::Persistence => window[w.look_back - 1],
                Baseline::SeasonalNaive(0) => f64::NAN,
                Baseline::SeasonalNaive(p) => {
                    // The newest observed value one or more whole periods before the target.
                    let t = w.step_target(i, step);
                    let last = s + w.look_back - 1;
                    let k = (t - last).div_ceil(p);
                    t.checked_sub(k * p).map(|j| x[j]).unwrap_or(f64::NAN)
                }
                Baseline::WindowMean => window.iter().sum::<f64>() / window.len() as f64,
                Baseline::LinearAr => match ar.and_then(|c| c.get(step - 1)) {
                    Some(c) => {
                        let l = w.look_back;
                        let mut y = c[0]
                            + window
                                .iter()
                                .zip(&c[1..=l])
                                .map(|(v, w)| v * w)
                                .sum::<f64>();
                        if let Some(e) = exog {
                            extra.clear();
                            e(i, step, &mut extra);
                            y += extra
                                .iter()
                                .zip(&c[l + 1..])
                                .map(|(v, w)| v * w)
                                .sum::<f64>();
                        }
                        y
                    }
                    None => f64::NAN,
                },
            }
        })
        .collect()
}

/// Least-squares AR coefficients `[intercept, w_1..w_L, exogenous…]` on the first `train`
/// windows, one set per step 1 … H (direct multi-step: each step regressed on the same lags).
/// Solved on standardised inputs through the normal equations with a tiny ridge term, so a
/// constant stretch of traffic cannot make it singular.
pub fn fit_ar(x: &[f64], w: &Windows, train: usize, exog: Option<Exog>) -> Option<Vec<Vec<f64>>> {
    if train <= w.look_back + 1 {
        return None;
    }
    let steps: Vec<usize> = (1..=w.horizon).collect();
    match exog {
        // The lags alone: one design matrix, a right-hand side per step.
        None => least_squares(x, w, train, &steps, None),
        // The calendar terms follow the step's target: a design matrix per step.
        Some(_) => steps
            .iter()
            .map(|&s| least_squares(x, w, train, &[s], exog).map(|mut c| c.remove(0)))
            .collect(),
    }
}

/// Least squares of the targets `steps` ahead on the standardised lags (and the exogenous
/// regressors of `steps[0]`, as given: already of order one) over the first `train`
/// windows; coefficients back in the series' units, one set per step.
fn least_squares(
    x: &[f64],
    w: &Windows,
    train: usize,
    steps: &[usize],
    exog: Option<Exog>,
) -> Option<Vec<Vec<f64>>> {
    let l = w.look_back;
    let (mean, sd) = standardisation(&x[..w.target(train - 1) + 1]);
    let mut extra = Vec::new();
    if let Some(e) = exog {
        e(0, steps[0], &mut extra);
    }
    let dim = l + 1 + extra.len();
    let mut ata = vec![0.0; dim * dim];
    let mut aty = vec![vec![0.0; dim]; steps.len()];
    let mut row = vec![0.0; dim];
    for i in 0..train {
        let s = w.starts[i];
        row[0] = 1.0;
        for j in 0..l {
            row[j + 1] = (x[s + j] - mean) / sd;
        }
        if let Some(e) = exog {
            extra.clear();
            e(i, steps[0], &mut extra);
            row[l + 1..].copy_from_slice(&extra);
        }
        for (&step, rhs) in steps.iter().zip(aty.iter_mut()) {
            let y = (x[w.step_target(i, step)] - mean) / sd;
            for a in 0..dim {
                rhs[a] += row[a] * y;
            }
        }
        for a in 0..dim {
            for b in 0..dim {
                ata[a * dim + b] += row[a] * row[b];
            }
        }
    }
    let ridge = 1e-9 * (0..dim).map(|a| ata[a * dim + a]).sum::<f64>() / dim as f64;
    for a in 1..dim {
        ata[a * dim + a] += ridge;
    }
    aty.into_iter()
        .map(|mut rhs| {
            let beta = solve(&mut ata.clone(), &mut rhs, dim)?;
            // y = mean + sd·(b0 + Σ b_j (x_j − mean)/sd + Σ b_k e_k).
            let mut c = vec![0.0; dim];
            c[0] = mean + sd * beta[0] - mean * beta[1..=l].iter().sum::<f64>();
            c[1..=l].copy_from_slice(&beta[1..=l]);
            for k in l + 1..dim {
                c[k] = sd * beta[k];
            }
            Some(c)
        })
        .collect()
}

/// Mean and standard deviation of the training span the lags are standardised with (sd 1
/// for a constant span).
fn standardisation(span: &[f64]) -> (f64, f64) {
    let mean = span.iter().sum::<f64>() / span.len() as f64;
    let sd = (span.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / span.len() as f64).sqrt();
    (mean, if sd > 0.0 { sd } else { 1.0 })
}

/// Gaussian elimination with partial pivoting.
fn solve(a: &mut [f64], b: &mut [f64], n: usize) -> Option<Vec<f64>> {
    for col in 0..n {
        let pivot =
            (col..n).max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))?;
        if a[pivot * n + col].abs() < 1e-300 {
            return None;
        }
        if pivot != col {
            for k in 0..n {
                a.swap(col * n + k, pivot * n + k);
            }
            b.swap(col, pivot);
        }
        for r in col + 1..n {
            let f = a[r * n + col] / a[col * n + col];
            if f != 0.0 {
                for k in col..n {
                    a[r * n + k] -= f * a[col * n + k];
                }
                b[r] -= f * b[col];
            }
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|k| a[r * n + k] * x[k]).sum();
        x[r] = (b[r] - s) / a[r * n + r];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ar_recovers_a_linear_recurrence() {
        // x_t = 5 + 0.5 x_{t-1} + 0.3 x_{t-2} + small deterministic noise.
        let mut x = vec![1.0, 2.0];
        let mut s = 7u64;
        for t in 2..3000 {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
            let e = ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.1;
            x.push(5.0 + 0.5 * x[t - 1] + 0.3 * x[t - 2] + e);
        }
        let w = Windows::new(x.len(), 2, 1);
        let c = fit_ar(&x, &w, 2000, None).unwrap().remove(0);
        assert!(
            (c[1] - 0.3).abs() < 0.02 && (c[2] - 0.5).abs() < 0.02 && (c[0] - 5.0).abs() < 0.5,
            "{c:?}"
        );
    }

    #[test]
    fn persistence_and_seasonal() {
        let x: Vec<f64> = (0..20).map(|v| (v % 5) as f64).collect();
        let w = Windows::new(x.len(), 3, 1);
        let p = forecast(Baseline::Persistence, &x, &w, 0..2, None, None);
        assert_eq!(p, vec![2.0, 3.0]);
        let s = forecast(Baseline::SeasonalNaive(5), &x, &w, 5..8, None, None);
        let truth: Vec<f64> = (5..8).map(|i| x[w.target(i)]).collect();
        assert_eq!(s, truth, "a period-5 series is forecast exactly");
    }
}
