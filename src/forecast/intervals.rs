//! Prediction intervals and their scores: split conformal bands from a model's validation
//! residuals, per forecast step (Vovk et al. 2005; Lei et al. 2018), the adaptive variant
//! (ACI, Gibbs & Candès 2021), interval scores (coverage, width, Winkler, M4's MSIS), CRPS
//! from a quantile grid, and the probability that a path exceeds a threshold.
//!
//! A model's residuals `actual − forecast` on the validation span — which no model trains
//! on — are kept per step h of the forecast path. The band of level 1 − α at step h is the
//! forecast plus two order statistics of that step's n residuals, one per side, each at
//! miscoverage α/2: with k = ⌈(n + 1)(1 − α/2)⌉, the upper offset is the k-th smallest
//! residual and the lower the k-th largest. Signed residuals per side give an asymmetric band
//! when the errors are skewed. For exchangeable errors each side holds with probability at
//! least 1 − α/2 (so the band at least 1 − α); when k > n the band is unbounded.

use super::online::{Online, Scale};

/// The quantile levels of the CRPS grid: 1 %, 2 %, …, 99 %.
pub const CRPS_GRID: usize = 99;

/// A model's validation residuals, window-major (`n` paths of `horizon` steps), with each
/// step's residuals sorted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Residuals {
    horizon: usize,
    /// `actual − forecast`, window-major: path i, step s at `i·horizon + s`.
    paths: Vec<f64>,
    /// Each step's residuals in increasing order.
    sorted: Vec<Vec<f64>>,
}

impl Residuals {
    /// From window-major actuals and forecasts; `None` without a complete finite path.
    pub fn new(actual: &[f64], forecast: &[f64], horizon: usize) -> Option<Residuals> {
        if horizon == 0 || actual.len() != forecast.len() || actual.len() < horizon {
            return None;
        }
        let paths: Vec<f64> = actual.iter().zip(forecast).map(|(a, f)| a - f).collect();
        Residuals::from_paths(paths, horizon)
    }

    /// From residual paths kept in a model card.
    pub fn from_paths(paths: Vec<f64>, horizon: usize) -> Option<Residuals> {
        if horizon == 0 || paths.is_empty() || paths.len() % horizon != 0 {
            return None;
        }
        if paths.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let sorted = (0..horizon)
            .map(|s| {
                let mut v: Vec<f64> = paths.iter().skip(s).step_by(horizon).copied().collect();
                v.sort_by(f64::total_cmp);
                v
            })
            .collect();
        Some(Residuals {
            horizon,
            paths,
            sorted,
        })
    }

    pub fn horizon(&self) -> usize {
        self.horizon
    }

    /// Residual paths (window-major), as kept in a model card.
    pub fn paths(&self) -> &[f64] {
        &self.paths
    }

    /// Number of residuals per step.
    pub fn len(&self) -> usize {
        self.paths.len() / self.horizon.max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The offsets (lower, upper) of the band of coverage `level` (e.g. 0.95) at `step`
    /// (0-based): split conformal, signed residuals per side. Unbounded (±∞) when there are
    /// too few residuals for the level.
    pub fn band(&self, step: usize, level: f64) -> (f64, f64) {
        let r = &self.sorted[step];
        let n = r.len();
        let k = conformal_rank(n, (1.0 - level) / 2.0);
        if k > n {
            (f64::NEG_INFINITY, f64::INFINITY)
        } else {
            (r[n - k], r[k - 1])
        }
    }

    /// The offset of the τ-quantile of step `step`'s residuals (inverse empirical CDF: the
    /// ⌈nτ⌉-th smallest).
    pub fn quantile(&self, step: usize, tau: f64) -> f64 {
        let r = &self.sorted[step];
        let k = ((r.len() as f64 * tau).ceil() as usize).clamp(1, r.len());
        r[k - 1]
    }

    /// The probability that any value of a forecast path exceeds `threshold`: the share of
    /// validation residual paths that, added to this forecast path, exceed it somewhere
    /// (the joint empirical distribution, so dependence between steps is kept).
    pub fn p_any_exceeds(&self, forecast: &[f64], threshold: f64) -> f64 {
        let n = self.len();
        if n == 0 || forecast.len() != self.horizon {
            return f64::NAN;
        }
        let hits = self
            .paths
            .chunks_exact(self.horizon)
            .filter(|p| p.iter().zip(forecast).any(|(e, f)| f + e > threshold))
            .count();
        hits as f64 / n as f64
    }
}

/// The rank k = ⌈(n + 1)(1 − a)⌉ of the conformal quantile at miscoverage `a` (one side).
pub fn conformal_rank(n: usize, a: f64) -> usize {
    // A hair below the product keeps an exact integer (e.g. 19 × 0.95 × …) from rounding up.
    (((n + 1) as f64) * (1.0 - a) - 1e-9).ceil().max(1.0) as usize
}

/// The interval score of one value (Gneiting & Raftery 2007; Winkler 1972) for a central
/// band of miscoverage `alpha`: its width plus 2/α times the distance by which it missed.
pub fn interval_score(lower: f64, upper: f64, y: f64, alpha: f64) -> f64 {
    let below = if y < lower { lower - y } else { 0.0 };
    let above = if y > upper { y - upper } else { 0.0 };
    (upper - lower) + 2.0 / alpha * (below + above)
}

/// The pinball (quantile) loss of `y` against the τ-quantile `q`.
pub fn pinball(y: f64, q: f64, tau: f64) -> f64 {
    let u = y - q;
    if u >= 0.0 {
        tau * u
    } else {
        (tau - 1.0) * u
    }
}

/// CRPS of `y` from a predictive quantile grid at levels j/(K+1), j = 1…K: twice the mean
/// pinball loss, the quadrature of CRPS = 2∫₀¹ ρ_τ(y − q_τ) dτ.
pub fn crps_from_quantiles(y: f64, quantiles: &[f64]) -> f64 {
    let k = quantiles.len();
    let sum: f64 = quantiles
        .iter()
        .enumerate()
        .map(|(j, q)| pinball(y, *q, (j + 1) as f64 / (k + 1) as f64))
        .sum();
    2.0 * sum / k as f64
}

/// Scores of one band level on one span.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BandScores {
    /// Share of the values inside the band.
    pub coverage: f64,
    /// Mean width of the band.
    pub width: f64,
    /// Mean interval (Winkler) score.
    pub winkler: f64,
    /// The mean interval score scaled like MASE (M4's MSIS with the training span's
    /// one-step mean absolute change as the scale).
    pub msis: f64,
    /// Coverage in each quarter of the span, in time order: whether the band holds over
    /// time, not just on average.
    pub quarters: [f64; 4],
}

impl BandScores {
    pub const NAN: BandScores = BandScores {
        coverage: f64::NAN,
        width: f64::NAN,
        winkler: f64::NAN,
        msis: f64::NAN,
        quarters: [f64::NAN; 4],
    };

    /// Scores of bands (lower, upper) against window-major actuals.
    pub fn of(bands: &[(f64, f64)], actual: &[f64], level: f64, scale: f64) -> BandScores {
        let n = actual.len().min(bands.len());
        if n == 0 {
            return BandScores::NAN;
        }
        let alpha = 1.0 - level;
        let (mut inside, mut width, mut score) = (0usize, 0.0, 0.0);
        let mut quarter = [(0usize, 0usize); 4];
        for (i, (&(lo, hi), &y)) in bands.iter().zip(actual).enumerate() {
            let hit = lo <= y && y <= hi;
            inside += usize::from(hit);
            width += hi - lo;
            score += interval_score(lo, hi, y, alpha);
            let q = &mut quarter[i * 4 / n];
            q.0 += usize::from(hit);
            q.1 += 1;
        }
        let quarters = quarter.map(|(hit, all)| {
            if all == 0 {
                f64::NAN
            } else {
                hit as f64 / all as f64
            }
        });
        let n = n as f64;
        BandScores {
            coverage: inside as f64 / n,
            width: width / n,
            winkler: score / n,
            msis: score / n / scale,
            quarters,
        }
    }
}

/// Bands (lower, upper) of window-major forecasts at `level`, from fixed residuals.
pub fn split_bands(forecast: &[f64], residuals: &Residuals, level: f64) -> Vec<(f64, f64)> {
    let h = residuals.horizon();
    forecast
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (lo, hi) = residuals.band(i % h, level);
            (f + lo, f + hi)
        })
        .collect()
}

/// Adaptive conformal bands (ACI) over a span, window-major: each step h moves its own
/// miscoverage α_t by γ(α − miss) after every value whose outcome is known — the value of
/// window i at step h is known h windows later, so window i's band uses the misses of
/// windows up to i − h − 1 only. α_t is held where its band stays finite (at least 2/(n+1)).
pub fn adaptive_bands(
    forecast: &[f64],
    actual: &[f64],
    residuals: &Residuals,
    level: f64,
    gamma: f64,
) -> Vec<(f64, f64)> {
    let h = residuals.horizon();
    let n = residuals.len();
    let target = 1.0 - level;
    let floor = 2.0 / (n + 1) as f64;
    let windows = forecast.len() / h;
    let mut bands = vec![(f64::NAN, f64::NAN); forecast.len()];
    for step in 0..h {
        let mut alpha = target;
        let mut misses: Vec<bool> = Vec::with_capacity(windows);
        for i in 0..windows {
            // Outcomes known at window i: those of windows ≤ i − (step + 1).
            if let Some(j) = i.checked_sub(step + 1) {
                if j < misses.len() {
                    alpha += gamma * (target - f64::from(u8::from(misses[j])));
                }
            }
            let a = alpha.clamp(floor, 1.0);
            let (lo, hi) = residuals.band(step, 1.0 - a);
            let at = i * h + step;
            let band = (forecast[at] + lo, forecast[at] + hi);
            bands[at] = band;
            let y = actual[at];
            misses.push(!(band.0 <= y && y <= band.1));
        }
    }
    bands
}

/// Bands of window-major test forecasts by [`super::online::step_bands`], step by step.
pub fn online_bands(
    forecast: &[f64],
    actual: &[f64],
    residuals: &Residuals,
    level: f64,
    how: (Online, Scale),
) -> Vec<(f64, f64)> {
    let h = residuals.horizon();
    let mut bands = vec![(f64::NAN, f64::NAN); forecast.len()];
    for step in 0..h {
        let val: Vec<f64> = residuals
            .paths()
            .iter()
            .skip(step)
            .step_by(h)
            .copied()
            .collect();
        let f: Vec<f64> = forecast.iter().skip(step).step_by(h).copied().collect();
        let a: Vec<f64> = actual.iter().skip(step).step_by(h).copied().collect();
        for (i, b) in super::online::step_bands(&val, &f, &a, step + 1, level, how)
            .into_iter()
            .enumerate()
        {
            bands[i * h + step] = b;
        }
    }
    bands
}

/// Mean CRPS of window-major forecasts against actuals, the predictive quantiles from the
/// residuals' quantile grid.
pub fn mean_crps(forecast: &[f64], actual: &[f64], residuals: &Residuals) -> f64 {
    let h = residuals.horizon();
    if forecast.is_empty() || h == 0 {
        return f64::NAN;
    }
    let grids: Vec<Vec<f64>> = (0..h)
        .map(|s| {
            (1..=CRPS_GRID)
                .map(|j| residuals.quantile(s, j as f64 / (CRPS_GRID + 1) as f64))
                .collect()
        })
        .collect();
    let mut q = vec![0.0; CRPS_GRID];
    let total: f64 = forecast
        .iter()
        .zip(actual)
        .enumerate()
        .map(|(i, (f, y))| {
            for (qj, g) in q.iter_mut().zip(&grids[i % h]) {
                *qj = f + g;
            }
            crps_from_quantiles(*y, &q)
        })
        .sum();
    total / forecast.len() as f64
}

/// A row's interval scores at one level.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LevelScores {
    /// Coverage asked for, as a fraction.
    pub level: f64,
    /// Coverage on the validation span the band was fitted on (in-sample).
    pub val_coverage: f64,
    /// Scores on the test span (out of sample).
    pub test: BandScores,
    /// Test scores of the model's own analytic band (ETS and Holt-Winters: forecast ±
    /// z·σ_h); NaN for the other models.
    pub analytic: BandScores,
}

/// A run's or a row's interval scores: per level, and CRPS on both spans.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IntervalScores {
    pub levels: Vec<LevelScores>,
    pub val_crps: f64,
    pub test_crps: f64,
}

impl IntervalScores {
    /// Every score unknown (a run without a forecast), at these levels.
    pub fn missing(levels: &[f64]) -> IntervalScores {
        IntervalScores {
            levels: levels
                .iter()
                .map(|&level| LevelScores {
                    level,
                    val_coverage: f64::NAN,
                    test: BandScores::NAN,
                    analytic: BandScores::NAN,
                })
                .collect(),
            val_crps: f64::NAN,
            test_crps: f64::NAN,
        }
    }

    /// Every field combined over several scores of the same levels by `f` (a mean over
    /// folds, a statistic over seeds).
    pub fn combine(items: &[&IntervalScores], f: impl Fn(&[f64]) -> f64) -> IntervalScores {
        let Some(first) = items.first() else {
            return IntervalScores::default();
        };
        let over =
            |g: &dyn Fn(&IntervalScores) -> f64| f(&items.iter().map(|s| g(s)).collect::<Vec<_>>());
        IntervalScores {
            levels: (0..first.levels.len())
                .map(|k| {
                    let at = |s: &IntervalScores| s.levels.get(k).copied();
                    let field =
                        |g: fn(&LevelScores) -> f64| over(&|s| at(s).map_or(f64::NAN, |l| g(&l)));
                    LevelScores {
                        level: first.levels[k].level,
                        val_coverage: field(|l| l.val_coverage),
                        test: BandScores {
                            coverage: field(|l| l.test.coverage),
                            width: field(|l| l.test.width),
                            winkler: field(|l| l.test.winkler),
                            msis: field(|l| l.test.msis),
                            quarters: [
                                field(|l| l.test.quarters[0]),
                                field(|l| l.test.quarters[1]),
                                field(|l| l.test.quarters[2]),
                                field(|l| l.test.quarters[3]),
                            ],
                        },
                        analytic: BandScores {
                            coverage: field(|l| l.analytic.coverage),
                            width: field(|l| l.analytic.width),
                            winkler: field(|l| l.analytic.winkler),
                            msis: field(|l| l.analytic.msis),
                            quarters: [f64::NAN; 4],
                        },
                    }
                })
                .collect(),
            val_crps: over(&|s| s.val_crps),
            test_crps: over(&|s| s.test_crps),
        }
    }
}

/// A run's bands: fitted on its validation residuals, per level (in the options' order)
/// for every validation and test forecast, and their scores.
#[derive(Clone, Debug, Default)]
pub struct RunIntervals {
    pub residuals: Option<Residuals>,
    pub val_bands: Vec<Vec<(f64, f64)>>,
    pub test_bands: Vec<Vec<(f64, f64)>>,
    pub scores: IntervalScores,
}

/// What a run's bands are fitted on and scored against.
pub struct Spans<'a> {
    pub val: &'a [f64],
    pub val_actual: &'a [f64],
    pub test: &'a [f64],
    pub test_actual: &'a [f64],
    /// MSIS's scale: the training span's one-step mean absolute change.
    pub scale: f64,
}

impl RunIntervals {
    /// Bands at `levels` from the validation residuals: split conformal on the validation
    /// span; on the test span as `online` says, on raw or scaled scores
    /// ([`super::online`]). The residuals are kept even without levels (threshold alerts
    /// use them).
    pub fn fit(
        s: &Spans,
        horizon: usize,
        levels: &[f64],
        (online, scale): (Online, Scale),
    ) -> RunIntervals {
        let Some(residuals) = Residuals::new(s.val_actual, s.val, horizon) else {
            return RunIntervals {
                scores: IntervalScores::missing(levels),
                ..RunIntervals::default()
            };
        };
        let val_bands: Vec<_> = levels
            .iter()
            .map(|&l| split_bands(s.val, &residuals, l))
            .collect();
        let test_bands: Vec<_> = levels
            .iter()
            .map(|&l| match (online, scale) {
                (Online::Split, Scale::Raw) => split_bands(s.test, &residuals, l),
                (Online::Aci { gamma }, Scale::Raw) => {
                    adaptive_bands(s.test, s.test_actual, &residuals, l, gamma)
                }
                _ => online_bands(s.test, s.test_actual, &residuals, l, (online, scale)),
            })
            .collect();
        let scores = if levels.is_empty() {
            IntervalScores::default()
        } else {
            IntervalScores {
                levels: levels
                    .iter()
                    .enumerate()
                    .map(|(k, &level)| LevelScores {
                        level,
                        val_coverage: BandScores::of(&val_bands[k], s.val_actual, level, s.scale)
                            .coverage,
                        test: BandScores::of(&test_bands[k], s.test_actual, level, s.scale),
                        analytic: BandScores::NAN,
                    })
                    .collect(),
                val_crps: mean_crps(s.val, s.val_actual, &residuals),
                test_crps: mean_crps(s.test, s.test_actual, &residuals),
            }
        };
        RunIntervals {
            residuals: Some(residuals),
            val_bands,
            test_bands,
            scores,
        }
    }
}

impl RunIntervals {
    /// Adds the test scores of the model's own Gaussian band, forecast ± z·σ_h with σ_h
    /// from `sd` (per step; none for models without one); `scale` is MSIS's.
    pub fn with_analytic(mut self, s: &Spans, sd: &[f64], levels: &[f64]) -> RunIntervals {
        let (test, actual, scale) = (s.test, s.test_actual, s.scale);
        if sd.is_empty() || test.is_empty() {
            return self;
        }
        let normal = statrs::distribution::Normal::standard();
        for (k, &level) in levels.iter().enumerate() {
            use statrs::distribution::ContinuousCDF;
            let z = normal.inverse_cdf(1.0 - (1.0 - level) / 2.0);
            let bands: Vec<(f64, f64)> = test
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let half = z * sd[i % sd.len()];
                    (f - half, f + half)
                })
                .collect();
            if let Some(l) = self.scores.levels.get_mut(k) {
                l.analytic = BandScores::of(&bands, actual, level, scale);
            }
        }
        self
    }
}

/// A level as a column suffix: `95`, or `99.5`.
pub fn level_name(level: f64) -> String {
    let pct = level * 100.0;
    if (pct - pct.round()).abs() < 1e-9 {
        format!("{}", pct.round() as i64)
    } else {
        format!("{}", (pct * 1e6).round() / 1e6)
    }
}

/// An alert threshold: a value in the series' unit, or a percentile of the training span.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Threshold {
    Value(f64),
    /// `pNN`: the NN-th percentile (nearest rank) of the training span.
    Percentile(f64),
}

impl Threshold {
    /// `1e6`, `2500000`, or `p99` / `p99.9`.
    pub fn parse(text: &str) -> std::result::Result<Threshold, String> {
        let bad = || format!("{text:?} is neither a number nor a percentile such as p99");
        match text.strip_prefix('p') {
            Some(p) => {
                let p: f64 = p.parse().map_err(|_| bad())?;
                if p > 0.0 && p < 100.0 {
                    Ok(Threshold::Percentile(p))
                } else {
                    Err(format!("{text:?}: a percentile must be between 0 and 100"))
                }
            }
            None => {
                let v: f64 = text.parse().map_err(|_| bad())?;
                v.is_finite().then_some(Threshold::Value(v)).ok_or_else(bad)
            }
        }
    }

    /// The threshold's value; a percentile is taken of `train` (nearest rank: the
    /// ⌈p·n/100⌉-th smallest).
    pub fn value(self, train: &[f64]) -> f64 {
        match self {
            Threshold::Value(v) => v,
            Threshold::Percentile(p) => {
                let mut v: Vec<f64> = train.iter().copied().filter(|x| x.is_finite()).collect();
                if v.is_empty() {
                    return f64::NAN;
                }
                v.sort_by(f64::total_cmp);
                let k = ((p / 100.0 * v.len() as f64).ceil() as usize).clamp(1, v.len());
                v[k - 1]
            }
        }
    }

    pub fn text(self) -> String {
        match self {
            Threshold::Value(v) => format!("{v}"),
            Threshold::Percentile(p) => format!("p{p}"),
        }
    }
}

/// Threshold alerts: raise one at an origin when the probability that any of the next H
/// values exceeds the threshold reaches `probability`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Alerting {
    pub threshold: Threshold,
    pub probability: f64,
}

/// One origin's alert: the probability, whether it alerted, whether the path exceeded.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Alert {
    pub probability: f64,
    pub alert: bool,
    /// Whether any actual value of the next H exceeded the threshold.
    pub exceeded: bool,
}

/// Alerts scored against what happened: counts, so that folds add up.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AlertScores {
    pub alerts: usize,
    /// Alerts whose next H values did exceed the threshold.
    pub true_alerts: usize,
    /// Target values above the threshold, and those an earlier alert covered.
    pub exceedances: usize,
    pub caught: usize,
    /// Sum over caught exceedances of the steps between the first alert covering it and it.
    pub lead_steps: usize,
}

impl AlertScores {
    /// Alerts that were followed by an exceedance.
    pub fn precision(&self) -> f64 {
        self.true_alerts as f64 / self.alerts as f64
    }

    /// Exceedances an alert announced.
    pub fn recall(&self) -> f64 {
        self.caught as f64 / self.exceedances as f64
    }

    /// Mean steps of warning before a caught exceedance.
    pub fn mean_lead(&self) -> f64 {
        self.lead_steps as f64 / self.caught as f64
    }

    pub fn add(&mut self, o: &AlertScores) {
        self.alerts += o.alerts;
        self.true_alerts += o.true_alerts;
        self.exceedances += o.exceedances;
        self.caught += o.caught;
        self.lead_steps += o.lead_steps;
    }
}

/// Alerts at every origin of consecutive window-major forecast paths (window i's step s
/// targets position i + s), and their scores against the actual values.
pub fn alerts(
    forecast: &[f64],
    actual: &[f64],
    residuals: &Residuals,
    threshold: f64,
    probability: f64,
) -> (Vec<Alert>, AlertScores) {
    let h = residuals.horizon();
    let windows = forecast.len() / h;
    let mut out = Vec::with_capacity(windows);
    let mut scores = AlertScores::default();
    // The first origin whose alert covers each target position.
    let mut first_alert: Vec<Option<usize>> = vec![None; windows + h];
    let mut value: Vec<f64> = vec![f64::NAN; windows + h];
    for i in 0..windows {
        let path = &forecast[i * h..(i + 1) * h];
        let truth = &actual[i * h..(i + 1) * h];
        let p = residuals.p_any_exceeds(path, threshold);
        let alert = p >= probability;
        let exceeded = truth.iter().any(|&y| y > threshold);
        for (s, &y) in truth.iter().enumerate() {
            value[i + s] = y;
            if alert && first_alert[i + s].is_none() {
                first_alert[i + s] = Some(i);
            }
        }
        scores.alerts += usize::from(alert);
        scores.true_alerts += usize::from(alert && exceeded);
        out.push(Alert {
            probability: p,
            alert,
            exceeded,
        });
    }
    for (t, y) in value.iter().enumerate() {
        if *y > threshold {
            scores.exceedances += 1;
            if let Some(j) = first_alert[t] {
                scores.caught += 1;
                scores.lead_steps += t - j + 1;
            }
        }
    }
    (out, scores)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The conformal offsets are the order statistics the formula names, computed by hand.
    #[test]
    fn band_is_the_hand_computed_order_statistic() {
        // 19 residuals −9…9 (shuffled): n + 1 = 20; at 80 %, α/2 = 0.1, k = ⌈20·0.9⌉ = 18:
        // upper = the 18th smallest = 8, lower = the 18th largest = −8.
        let r: Vec<f64> = [
            3, -9, 0, 7, -2, 9, -5, 1, -7, 5, -1, 8, -4, 2, -8, 6, -3, 4, -6,
        ]
        .iter()
        .map(|&v| v as f64)
        .collect();
        let res = Residuals::new(&r, &vec![0.0; r.len()], 1).unwrap();
        assert_eq!(res.band(0, 0.8), (-8.0, 8.0));
        // At 90 %: k = ⌈20·0.95⌉ = 19 → the extremes.
        assert_eq!(res.band(0, 0.9), (-9.0, 9.0));
        // At 95 %: k = ⌈20·0.975⌉ = 20 > 19 → unbounded.
        assert_eq!(res.band(0, 0.95), (f64::NEG_INFINITY, f64::INFINITY));
        // A skewed error gives an asymmetric band.
        let skew: Vec<f64> = (0..19)
            .map(|i| if i < 15 { -1.0 } else { 10.0 + i as f64 })
            .collect();
        let res = Residuals::new(&skew, &[0.0; 19], 1).unwrap();
        assert_eq!(res.band(0, 0.8), (-1.0, 27.0));
    }

    #[test]
    fn bands_are_per_step() {
        // Two steps: step 0 residuals small, step 1 large.
        let actual: Vec<f64> = (0..40)
            .map(|i| if i % 2 == 0 { 0.1 } else { 10.0 } * ((i / 2) as f64 - 9.5))
            .collect();
        let res = Residuals::new(&actual, &vec![0.0; 40], 2).unwrap();
        let (a, b) = (res.band(0, 0.8), res.band(1, 0.8));
        assert!(b.1 > 50.0 * a.1, "{a:?} {b:?}");
    }

    /// CRPS from a grid of exact Gaussian quantiles converges to the closed form
    /// σ[z(2Φ(z) − 1) + 2φ(z) − 1/√π]: within 1.5 % on ntp's 99 levels (the tails beyond 1 %
    /// and 99 % are the grid's error), within 0.2 % on 999.
    #[test]
    fn crps_of_a_gaussian_grid_equals_the_closed_form() {
        use statrs::distribution::{Continuous, ContinuousCDF, Normal};
        let n = Normal::new(0.0, 1.0).unwrap();
        let sigma = 2.0;
        let grid = |k: usize| -> Vec<f64> {
            (1..=k)
                .map(|j| sigma * n.inverse_cdf(j as f64 / (k + 1) as f64))
                .collect()
        };
        let (coarse, fine) = (grid(CRPS_GRID), grid(999));
        for y in [-3.0, -1.0, 0.0, 0.5, 2.0, 5.0] {
            let z: f64 = y / sigma;
            let exact = sigma
                * (z * (2.0 * n.cdf(z) - 1.0) + 2.0 * n.pdf(z) - 1.0 / std::f64::consts::PI.sqrt());
            let (c, f) = (
                crps_from_quantiles(y, &coarse),
                crps_from_quantiles(y, &fine),
            );
            assert!(
                (c - exact).abs() <= 0.015 * exact,
                "y {y}: 99 levels {c}, closed form {exact}"
            );
            assert!(
                (f - exact).abs() <= 0.002 * exact,
                "y {y}: 999 levels {f}, closed form {exact}"
            );
        }
    }

    #[test]
    fn interval_score_and_scores() {
        assert_eq!(interval_score(-1.0, 1.0, 0.0, 0.05), 2.0);
        assert_eq!(interval_score(-1.0, 1.0, 2.0, 0.05), 2.0 + 40.0);
        let s = BandScores::of(&[(-1.0, 1.0), (-1.0, 1.0)], &[0.0, 3.0], 0.8, 2.0);
        assert_eq!(s.coverage, 0.5);
        assert_eq!(s.width, 2.0);
        assert!((s.winkler - (2.0 + 2.0 + 20.0) / 2.0).abs() < 1e-12);
        assert!((s.msis - s.winkler / 2.0).abs() < 1e-12);
    }

    #[test]
    fn probability_of_exceeding_uses_the_joint_paths() {
        // Paths (step 0, step 1): one of four paths lifts step 1 above the threshold.
        let paths = vec![0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 0.0];
        let res = Residuals::from_paths(paths, 2).unwrap();
        assert_eq!(res.p_any_exceeds(&[10.0, 10.0], 12.0), 0.25);
        assert_eq!(res.p_any_exceeds(&[10.0, 13.0], 12.0), 1.0);
    }

    /// With no misses the adaptive α grows and the band narrows; with every value missed
    /// it shrinks and the band widens to the widest finite one.
    #[test]
    fn adaptive_bands_react_only_to_known_outcomes() {
        let r: Vec<f64> = (0..99).map(|i| i as f64 - 49.0).collect();
        let res = Residuals::new(&r, &vec![0.0; 99], 1).unwrap();
        let forecast = vec![0.0; 200];
        let inside = vec![0.0; 200];
        let narrow = adaptive_bands(&forecast, &inside, &res, 0.9, 0.05);
        assert_eq!(narrow[0], split_bands(&forecast[..1], &res, 0.9)[0]);
        assert!(narrow[199].1 < narrow[0].1);
        let outside = vec![1e9; 200];
        let wide = adaptive_bands(&forecast, &outside, &res, 0.9, 0.05);
        assert!(wide[199].1 > wide[0].1);
        assert!(wide[199].1.is_finite());
    }

    #[test]
    fn thresholds_parse_and_resolve() {
        assert_eq!(Threshold::parse("p99"), Ok(Threshold::Percentile(99.0)));
        assert_eq!(Threshold::parse("2.5e6"), Ok(Threshold::Value(2.5e6)));
        assert!(Threshold::parse("p100").is_err() && Threshold::parse("x").is_err());
        let train: Vec<f64> = (1..=200).map(f64::from).collect();
        assert_eq!(Threshold::Percentile(99.0).value(&train), 198.0);
        assert_eq!(Threshold::Percentile(50.0).value(&train), 100.0);
    }

    /// Alerts scored by hand: horizon 2, five origins, threshold 10.
    #[test]
    fn alerts_are_scored_against_the_values_that_followed() {
        let res = Residuals::from_paths(vec![0.0, 0.0], 2).unwrap();
        // Targets by position: 0:1 1:2 2:20 3:3 4:4 5:30; origin i covers i, i+1.
        let value = [1.0, 2.0, 20.0, 3.0, 4.0, 30.0];
        let actual: Vec<f64> = (0..5).flat_map(|i| [value[i], value[i + 1]]).collect();
        // Forecasts: origin 1 foresees position 2 (alert), origin 3 a false alarm, origin 4
        // misses position 5.
        let mut forecast = vec![0.0; 10];
        forecast[3] = 15.0; // origin 1, step 2
        forecast[3 * 2] = 15.0;
        let (rows, s) = alerts(&forecast, &actual, &res, 10.0, 0.5);
        assert_eq!(
            rows.iter().map(|a| a.alert).collect::<Vec<_>>(),
            [false, true, false, true, false]
        );
        assert_eq!(s.alerts, 2);
        assert_eq!(s.true_alerts, 1); // origin 1's path holds position 2 (20 > 10)
        assert_eq!(s.exceedances, 2); // positions 2 and 5
        assert_eq!(s.caught, 1); // position 2, by origin 1, two steps ahead
        assert_eq!(s.lead_steps, 2);
        assert_eq!(s.precision(), 0.5);
        assert_eq!(s.recall(), 0.5);
    }

    #[test]
    fn level_names() {
        assert_eq!(level_name(0.95), "95");
        assert_eq!(level_name(0.8), "80");
        assert_eq!(level_name(0.995), "99.5");
    }
}
