//! Additive exponential smoothing: simple (A,N,N), Holt (A,A,N), damped Holt (A,Ad,N) and
//! their additive-seasonal forms — (A,A,A) is additive Holt-Winters.
//!
//! The recursions and parameter names are statsmodels' `ExponentialSmoothing` (so a fit can
//! be replayed there with `initialization_method="known"`, `optimized=False`):
//!
//! ```text
//! ŷ_t = l + φ·b + s_{t−m}                   e_t = y_t − ŷ_t
//! l_t = α(y_t − s_{t−m}) + (1 − α)(l + φb)
//! b_t = β(l_t − l) + (1 − β)·φ·b
//! s_t = γ(y_t − l − φb) + (1 − γ)·s_{t−m}
//! ```
//!
//! Initial states: a classical decomposition of the first seasons (heuristic), then the
//! smoothing parameters together with the initial level and slope minimise the one-step
//! squared error on the training span (Nelder–Mead on a logistic transform of the bounds
//! α, β ∈ (0, 1), γ ∈ (0, 1 − α), φ ∈ [0.8, 0.98]); with a season, the fit is repeated from
//! the seasonal states it ends the span with and the better one kept (the seasonal states
//! themselves — one per phase — are too many to optimise this way; statsmodels' "estimated"
//! initialisation does, hence its training MSE a few % lower on a strongly seasonal series).
//! By hand because augurs-ets (the Rust ETS) has no seasonal models and does not expose its
//! fitted parameters and states, which one-step forecasts with fixed parameters need.

use super::nelder_mead;

/// The trend component.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trend {
    None,
    Additive,
    Damped,
}

/// Which model: trend and seasonal period (None: no season).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Spec {
    pub trend: Trend,
    pub period: Option<usize>,
}

impl Spec {
    /// `A,Ad,A`-style name.
    pub fn name(&self) -> String {
        let t = match self.trend {
            Trend::None => "N",
            Trend::Additive => "A",
            Trend::Damped => "Ad",
        };
        let s = if self.period.is_some() { "A" } else { "N" };
        format!("A,{t},{s}")
    }
}

/// A fitted model: parameters, initial states and the training fit.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Fit {
    pub spec: Spec,
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
    pub phi: f64,
    /// Level and trend before the first observation.
    pub level0: f64,
    pub trend0: f64,
    /// Seasonal states used at t = 0 … m − 1 (empty without a season).
    pub season0: Vec<f64>,
    /// Mean one-step squared error over the training span.
    pub train_mse: f64,
    pub train_points: usize,
    pub aicc: f64,
}

struct Params {
    alpha: f64,
    beta: f64,
    gamma: f64,
    phi: f64,
}

fn sigmoid(u: f64) -> f64 {
    1.0 / (1.0 + (-u).exp())
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

impl Spec {
    fn params(&self, u: &[f64]) -> Params {
        let mut it = u.iter().copied();
        let alpha = sigmoid(it.next().unwrap_or(0.0));
        let beta = match self.trend {
            Trend::None => 0.0,
            _ => sigmoid(it.next().unwrap_or(0.0)),
        };
        let gamma = match self.period {
            Some(_) => (1.0 - alpha) * sigmoid(it.next().unwrap_or(0.0)),
            None => 0.0,
        };
        let phi = match self.trend {
            Trend::Damped => 0.8 + 0.18 * sigmoid(it.next().unwrap_or(0.0)),
            Trend::None => 0.0,
            Trend::Additive => 1.0,
        };
        Params {
            alpha,
            beta,
            gamma,
            phi,
        }
    }

    fn start(&self) -> Vec<f64> {
        let mut u = vec![logit(0.3)];
        if self.trend != Trend::None {
            u.push(logit(0.05));
        }
        if self.period.is_some() {
            u.push(logit(0.1 / 0.7));
        }
        if self.trend == Trend::Damped {
            u.push(logit(0.8));
        }
        u
    }

    /// Heuristic initial states. With a season: a classical additive decomposition of the
    /// first k = min(10, n/m) seasons (centred 2×m moving average; seasonal = mean detrended
    /// value per phase, centred on zero), the level and slope of the moving average at its
    /// start — averaging over up to ten seasons keeps one burst from becoming a seasonal
    /// state. Without: mean and mean slope of the first (up to) ten points.
    fn initial_states(&self, y: &[f64]) -> (f64, f64, Vec<f64>) {
        let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len().max(1) as f64;
        match self.period {
            Some(m) => {
                let k = (y.len() / m).clamp(2, 10);
                let y = &y[..k * m];
                let half = m / 2;
                // Centred moving average of order m (2×m for even m), defined on [half, len − half).
                let ma: Vec<f64> = (half..y.len() - half)
                    .map(|t| {
                        if m % 2 == 0 {
                            (0.5 * y[t - half]
                                + y[t - half + 1..t + half].iter().sum::<f64>()
                                + 0.5 * y[t + half])
                                / m as f64
                        } else {
                            mean(&y[t - half..=t + half])
                        }
                    })
                    .collect();
                let mut sums = vec![0.0; m];
                let mut counts = vec![0usize; m];
                for (i, a) in ma.iter().enumerate() {
                    let t = i + half;
                    sums[t % m] += y[t] - a;
                    counts[t % m] += 1;
                }
                let mut season: Vec<f64> = sums
                    .iter()
                    .zip(&counts)
                    .map(|(s, &c)| if c > 0 { s / c as f64 } else { 0.0 })
                    .collect();
                let centre = mean(&season);
                season.iter_mut().for_each(|s| *s -= centre);
                let slope = if self.trend == Trend::None || ma.len() <= m {
                    0.0
                } else {
                    (mean(&ma[ma.len() - m..]) - mean(&ma[..m])) / (ma.len() - m) as f64
                };
                // The moving average's first value is at t = half: step back to t = −1.
                let level = ma[0] - slope * (half as f64 + 1.0);
                (level, slope, season)
            }
            None => {
                let k = (y.len() / 2).clamp(1, 10);
                let level = mean(&y[..k]);
                let trend = if self.trend == Trend::None || y.len() < 2 * k {
                    0.0
                } else {
                    (mean(&y[k..2 * k]) - level) / k as f64
                };
                (level, trend, Vec::new())
            }
        }
    }

    /// Points the training span needs: two seasons (one without a season: 4 points).
    pub fn min_points(&self) -> usize {
        self.period.map_or(4, |m| 2 * m.max(2))
    }
}

/// Runs the recursions over `y`, calling `each(t, state)` after observing y[t] — the state
/// that forecasts y[t + 1 …]; returns the sum of squared one-step errors over y[..sse_end].
fn filter(
    p: &Params,
    init: (f64, f64, &[f64]),
    y: &[f64],
    sse_end: usize,
    mut each: impl FnMut(usize, f64, f64, &[f64]),
) -> f64 {
    let (mut l, mut b, season0) = init;
    let m = season0.len();
    let mut ring = season0.to_vec();
    let mut sse = 0.0;
    for (t, &v) in y.iter().enumerate() {
        let s_old = if m > 0 { ring[t % m] } else { 0.0 };
        let base = l + p.phi * b;
        let e = v - base - s_old;
        if t < sse_end {
            sse += e * e;
        }
        let l_new = p.alpha * (v - s_old) + (1.0 - p.alpha) * base;
        b = p.beta * (l_new - l) + (1.0 - p.beta) * p.phi * b;
        if m > 0 {
            ring[t % m] = p.gamma * (v - base) + (1.0 - p.gamma) * s_old;
        }
        l = l_new;
        each(t, l, b, &ring);
    }
    sse
}

/// Fits `spec` to `y` (the training span). None when `y` is too short for it.
pub fn fit(spec: Spec, y: &[f64]) -> Option<Fit> {
    if y.len() < spec.min_points() || y.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let (h0, hb, first) = spec.initial_states(y);
    let n = y.len();
    let with_trend = spec.trend != Trend::None;
    let spread = {
        let m = y.iter().sum::<f64>() / n as f64;
        (y.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n as f64)
            .sqrt()
            .max(1e-12)
    };
    // Smoothing parameters, initial level and slope jointly by Nelder–Mead (the level and
    // slope as offsets in units of the span's spread, so that one step suits all).
    let optimise = |s0: &[f64], start: &[f64]| {
        let k = spec.start().len();
        let states = |v: &[f64]| {
            let l0 = h0 + v[k] * spread;
            let b0 = if with_trend {
                hb + v[k + 1] * spread / n as f64
            } else {
                0.0
            };
            (l0, b0)
        };
        let joint = |v: &[f64]| {
            let (l0, b0) = states(v);
            filter(&spec.params(&v[..k]), (l0, b0, s0), y, n, |_, _, _, _| {})
        };
        let (v, best) = nelder_mead::minimise(joint, start, 0.5, 400 * start.len());
        let (l0, b0) = states(&v);
        (v, best, l0, b0)
    };
    let mut start = spec.start();
    start.extend(std::iter::repeat_n(0.0, 1 + usize::from(with_trend)));
    let (mut v, mut best, mut l0, mut b0) = optimise(&first, &start);
    let mut s0 = first;
    // With a season, the heuristic states come from the first seasons only: start again
    // from the seasonal states the fit ends the span with (centred), kept if better.
    if let Some(m) = spec.period {
        let k = spec.start().len();
        let mut end = vec![0.0; m];
        filter(
            &spec.params(&v[..k]),
            (l0, b0, &s0),
            y,
            0,
            |t, _, _, ring| {
                if t + 1 == n {
                    end.copy_from_slice(ring);
                }
            },
        );
        let centre = end.iter().sum::<f64>() / m as f64;
        end.iter_mut().for_each(|s| *s -= centre);
        let (v2, best2, l2, b2) = optimise(&end, &v);
        if best2 < best {
            (v, best, l0, b0, s0) = (v2, best2, l2, b2, end);
        }
    }
    let k = spec.start().len();
    let p = spec.params(&v[..k]);
    let nf = n as f64;
    let k = (k + 1 + usize::from(with_trend) + s0.len() + 1) as f64;
    let mse = best / nf;
    let aicc = if nf - k - 1.0 > 0.0 && mse > 0.0 {
        nf * mse.ln() + 2.0 * k + 2.0 * k * (k + 1.0) / (nf - k - 1.0)
    } else {
        f64::INFINITY
    };
    Some(Fit {
        spec,
        alpha: p.alpha,
        beta: p.beta,
        gamma: p.gamma,
        phi: p.phi,
        level0: l0,
        trend0: b0,
        season0: s0,
        train_mse: mse,
        train_points: n,
        aicc,
    })
}

impl Fit {
    fn p(&self) -> Params {
        Params {
            alpha: self.alpha,
            beta: self.beta,
            gamma: self.gamma,
            phi: self.phi,
        }
    }

    /// The variance of the error of a forecast `horizon` steps ahead under the additive
    /// state-space form of this model (Hyndman et al. 2008, class 1):
    /// σ²·(1 + Σ_{j=1}^{h−1} c_j²), c_j = α + αβ·(φ + … + φ^j) + γ·[m divides j], with σ²
    /// the training span's one-step mean squared error. (In statsmodels' smoothing form used
    /// here the state-space slope gain is αβ and the seasonal gain γ.)
    pub fn variance(&self, horizon: usize) -> f64 {
        let trend = self.spec.trend != Trend::None;
        let phi = if self.spec.trend == Trend::Damped {
            self.phi
        } else {
            1.0
        };
        let (mut sum, mut damp) = (0.0, 0.0);
        for j in 1..horizon {
            damp += phi.powi(j as i32);
            let mut c = self.alpha;
            if trend {
                c += self.alpha * self.beta * damp;
            }
            if self.spec.period.is_some_and(|m| j % m == 0) {
                c += self.gamma;
            }
            sum += c * c;
        }
        self.train_mse * (1.0 + sum)
    }

    /// Forecasts of every `y[t]` made `horizon` steps before it, parameters fixed, the states
    /// updated with each observation as it arrives (NaN for t < horizon).
    pub fn forecasts(&self, y: &[f64], horizon: usize) -> Vec<f64> {
        let h = horizon.max(1);
        let mut out = vec![f64::NAN; y.len()];
        let damp: f64 = (1..=h).map(|i| self.phi.powi(i as i32)).sum();
        let damp = if self.spec.trend == Trend::None {
            0.0
        } else {
            damp
        };
        let first = self.level0 + damp * self.trend0 + self.season0.first().copied().unwrap_or(0.0);
        if h == 1 && !y.is_empty() {
            out[0] = first;
        }
        filter(
            &self.p(),
            (self.level0, self.trend0, &self.season0),
            y,
            0,
            |t, l, b, ring| {
                if t + h < y.len() {
                    let s = if ring.is_empty() {
                        0.0
                    } else {
                        ring[(t + h) % ring.len()]
                    };
                    out[t + h] = l + damp * b + s;
                }
            },
        );
        out
    }
}

/// The additive candidates for a period (non-seasonal ones only without): the automatic ETS
/// picks the one with the lowest AICc on the training span.
pub fn auto(y: &[f64], period: Option<usize>) -> Option<Fit> {
    let mut specs = Vec::new();
    for season in [None, period] {
        if season.is_none() && !specs.is_empty() {
            continue;
        }
        for trend in [Trend::None, Trend::Additive, Trend::Damped] {
            specs.push(Spec {
                trend,
                period: season,
            });
        }
    }
    specs.dedup();
    specs
        .into_iter()
        .filter_map(|s| fit(s, y))
        .min_by(|a, b| a.aicc.total_cmp(&b.aicc))
}

#[cfg(test)]
mod tests {
    /// The variance equals the closed forms of simple exponential smoothing,
    /// σ²(1 + (h − 1)α²), and of Holt's linear method (Hyndman et al. 2008, Table 6.1),
    /// σ²(1 + (h − 1)(α² + αβ*h + β*²h(2h − 1)/6)) with β* = αβ.
    #[test]
    fn variance_has_the_closed_forms() {
        let y: Vec<f64> = (0..200)
            .map(|t| 10.0 + 0.3 * t as f64 + ((t * 37) % 11) as f64)
            .collect();
        let ses = super::fit(
            super::Spec {
                trend: super::Trend::None,
                period: None,
            },
            &y,
        )
        .unwrap();
        let holt = super::fit(
            super::Spec {
                trend: super::Trend::Additive,
                period: None,
            },
            &y,
        )
        .unwrap();
        for h in 1..8usize {
            let hf = h as f64;
            let want = ses.train_mse * (1.0 + (hf - 1.0) * ses.alpha.powi(2));
            assert!((ses.variance(h) - want).abs() <= 1e-12 * want, "SES h {h}");
            let (a, b) = (holt.alpha, holt.alpha * holt.beta);
            let want = holt.train_mse
                * (1.0 + (hf - 1.0) * (a * a + a * b * hf + b * b * hf * (2.0 * hf - 1.0) / 6.0));
            assert!(
                (holt.variance(h) - want).abs() <= 1e-9 * want,
                "Holt h {h}: {} vs {want}",
                holt.variance(h)
            );
        }
    }

    use super::*;

    fn seasonal(n: usize, m: usize) -> Vec<f64> {
        let mut s = 3u64;
        (0..n)
            .map(|t| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let noise = ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.2;
                10.0 + 0.01 * t as f64
                    + (2.0 * std::f64::consts::PI * t as f64 / m as f64).sin()
                    + noise
            })
            .collect()
    }

    #[test]
    fn holt_winters_follows_a_seasonal_series_and_auto_picks_a_season() {
        let y = seasonal(600, 24);
        let spec = Spec {
            trend: Trend::Additive,
            period: Some(24),
        };
        let f = fit(spec, &y[..480]).unwrap();
        let fc = f.forecasts(&y, 1);
        let mse: f64 = (480..600).map(|t| (y[t] - fc[t]).powi(2)).sum::<f64>() / 120.0;
        assert!(mse < 0.02, "one-step test MSE {mse}");
        let auto = auto(&y[..480], Some(24)).unwrap();
        assert_eq!(auto.spec.period, Some(24));
        // The in-sample one-step forecasts are the ones the fit minimised.
        let again = f.forecasts(&y[..480], 1);
        let sse: f64 = (0..480).map(|t| (y[t] - again[t]).powi(2)).sum();
        assert!((sse / 480.0 - f.train_mse).abs() < 1e-9 * f.train_mse.max(1.0));
        assert!(fit(spec, &y[..30]).is_none(), "needs two seasons");
    }
}
