//! The causal detectors: each interval is judged by what came before it only.
//!
//! - [`forecast_band`] (the default): a forecast of the interval from its past, and a
//!   conformal band around it from the absolute errors of the recent past. The forecaster is
//!   chosen on the second half of an initial span among persistence, the seasonal naive, the
//!   median of the last three seasons and a trailing median (seasons detected on that span);
//!   the band's quantile is refitted every [`REFIT`] intervals on the past errors
//!   ([`MEMORY`]). An interval outside the band enters the history as its forecast (so an anomaly does not become tomorrow's
//!   forecast or widen the band), unless the alarms go on for [`SHIFT_AFTER`] intervals:
//!   then the new level is accepted (a level shift).
//! - [`robust_z`]: a trailing median and MAD (× 1.4826, the normal's σ) over a window.

/// Intervals between refits of the band's quantile.
pub const REFIT: usize = 12;
/// Alarms in a row after which a new level is taken as the normal one.
pub const SHIFT_AFTER: usize = 12;

/// The band's quantile is taken over this many of the latest errors (all of them, on the
/// series ntp was tuned on: a band that forgets the busy past flags every bump of a quiet
/// present — on the NAB series, 14 false events against 0 with the whole past).
pub const MEMORY: usize = 100_000;

/// Per scored interval: forecast, band and how far outside it the value is.
#[derive(Clone, Debug, Default)]
pub struct Judged {
    /// The first interval scored (the ones before fit the detector).
    pub first: usize,
    pub forecast: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    /// Distance outside the band in band half-widths (0 inside; + above, − below).
    pub score: Vec<f64>,
    /// The forecaster chosen (forecast method only).
    pub model: String,
}

/// How far `v` lies outside `[lo, hi]`, in half-widths of the band: 0 inside, positive
/// above, negative below.
fn outside_by(v: f64, lo: f64, hi: f64) -> f64 {
    let half = ((hi - lo) / 2.0).max(f64::MIN_POSITIVE);
    if v > hi {
        (v - hi) / half
    } else if v < lo {
        -(lo - v) / half
    } else {
        0.0
    }
}

/// The forecasters the forecast method chooses among.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Forecaster {
    Persistence,
    SeasonalNaive(usize),
    SeasonalMedian(usize),
    TrailingMedian(usize),
}

impl Forecaster {
    fn name(self) -> String {
        match self {
            Forecaster::Persistence => "persistence".into(),
            Forecaster::SeasonalNaive(p) => format!("seasonal naive ({p})"),
            Forecaster::SeasonalMedian(p) => format!("median of the last 3 seasons ({p})"),
            Forecaster::TrailingMedian(w) => format!("trailing median ({w})"),
        }
    }

    /// The forecast of interval `t` from `h[..t]` (`t` ≥ what the forecaster needs).
    fn at(self, h: &[f64], t: usize) -> f64 {
        match self {
            Forecaster::Persistence => h[t - 1],
            Forecaster::SeasonalNaive(p) => h[t - p],
            Forecaster::SeasonalMedian(p) => {
                let mut v = [h[t - p], h[t - 2 * p], h[t - 3 * p]];
                v.sort_by(f64::total_cmp);
                v[1]
            }
            Forecaster::TrailingMedian(w) => median(&h[t - w..t]),
        }
    }

    /// How far back the forecaster looks.
    fn needs(self) -> usize {
        match self {
            Forecaster::Persistence => 1,
            Forecaster::SeasonalNaive(p) => p,
            Forecaster::SeasonalMedian(p) => 3 * p,
            Forecaster::TrailingMedian(w) => w,
        }
    }
}

pub fn median(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    let m = v.len() / 2;
    v.select_nth_unstable_by(m, f64::total_cmp);
    v[m]
}

/// The `q` quantile of `x` (the ⌈q·n⌉-th smallest, as split conformal takes it).
fn quantile(x: &[f64], q: f64) -> f64 {
    let mut v = x.to_vec();
    let k = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
    v.select_nth_unstable_by(k, f64::total_cmp);
    v[k]
}

/// The forecaster with the least mean absolute error over `from..to` of `x`.
fn choose(x: &[f64], periods: &[usize], from: usize, to: usize) -> Forecaster {
    let mut candidates = vec![Forecaster::Persistence, Forecaster::TrailingMedian(12)];
    for &p in periods {
        candidates.push(Forecaster::SeasonalNaive(p));
        candidates.push(Forecaster::SeasonalMedian(p));
    }
    candidates
        .into_iter()
        .filter(|f| f.needs() <= from)
        .map(|f| {
            let mae = (from..to).map(|t| (x[t] - f.at(x, t)).abs()).sum::<f64>();
            (mae, f)
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|m| m.1)
        .unwrap_or(Forecaster::Persistence)
}

/// The forecast-band detector at `level` (a probability), scoring from `initial` on; a
/// value more than `margin` band half-widths beyond the band is an alarm.
pub fn forecast_band(
    x: &[f64],
    periods: &[usize],
    initial: usize,
    level: f64,
    margin: f64,
) -> Judged {
    let n = x.len();
    let initial = initial.clamp(2, n);
    let f = choose(x, periods, initial / 2, initial);
    let start = initial.max(f.needs());
    let mut h = x.to_vec();
    let mut errors: Vec<f64> = (f.needs()..start)
        .map(|t| (x[t] - f.at(x, t)).abs())
        .collect();
    let window = MEMORY;
    let mut j = Judged {
        first: start,
        model: f.name(),
        ..Judged::default()
    };
    let mut q = if errors.is_empty() {
        0.0
    } else {
        quantile(&errors, level)
    };
    let mut run = 0usize;
    for t in start..n {
        if (t - start) % REFIT == 0 && !errors.is_empty() {
            let from = errors.len().saturating_sub(window);
            q = quantile(&errors[from..], level);
        }
        let fc = f.at(&h, t);
        let (lo, hi) = (fc - q, fc + q);
        let score = outside_by(x[t], lo, hi);
        let alarmed = score.abs() > margin;
        run = if alarmed { run + 1 } else { 0 };
        if alarmed && run < SHIFT_AFTER {
            // Judged anomalous: the history keeps the forecast, the errors the band's edge.
            h[t] = fc;
            errors.push(q);
        } else {
            errors.push((x[t] - fc).abs());
        }
        j.forecast.push(fc);
        j.lower.push(lo);
        j.upper.push(hi);
        j.score.push(score);
    }
    j
}

/// The trailing median/MAD detector: window `w`, band ± `z` robust σ.
pub fn robust_z(x: &[f64], w: usize, z: f64) -> Judged {
    let n = x.len();
    let w = w.clamp(3, n.max(3));
    let mut j = Judged {
        first: w.min(n),
        model: format!("trailing median and MAD ({w})"),
        ..Judged::default()
    };
    for t in w..n {
        let past = &x[t - w..t];
        let m = median(past);
        let dev: Vec<f64> = past.iter().map(|v| (v - m).abs()).collect();
        let s = 1.4826 * median(&dev);
        let (lo, hi) = (m - z * s, m + z * s);
        let score = outside_by(x[t], lo, hi);
        j.forecast.push(m);
        j.lower.push(lo);
        j.upper.push(hi);
        j.score.push(score);
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spike_and_a_drop_on_a_seasonal_series_are_outside_the_band_and_little_else() {
        let n = 2000;
        let mut x: Vec<f64> = (0..n)
            .map(|t| {
                100.0
                    + 30.0 * (t as f64 * std::f64::consts::TAU / 48.0).sin()
                    + ((t * 7919) % 13) as f64
            })
            .collect();
        x[1500] += 200.0;
        for v in &mut x[1700..1704] {
            *v = 0.0;
        }
        let j = forecast_band(&x, &[48], 400, 0.999, 1.0);
        let at = |t: usize| j.score[t - j.first];
        assert!(at(1500) > 1.0);
        assert!((1700..1704).all(|t| at(t) < -1.0));
        let alarms = j.score.iter().filter(|s| s.abs() > 1.0).count();
        assert!(alarms <= 10, "{alarms} alarms");
        assert!(j.model.contains("48"), "{}", j.model);
        let r = robust_z(&x, 96, 4.0);
        assert!(r.score[1500 - r.first] > 0.0);
    }

    #[test]
    fn a_lasting_shift_becomes_the_new_level() {
        let mut x: Vec<f64> = (0..1000).map(|t| 10.0 + (t % 5) as f64).collect();
        for v in &mut x[600..] {
            *v += 50.0;
        }
        let j = forecast_band(&x, &[], 200, 0.99, 0.0);
        let late = &j.score[900 - j.first..];
        assert!(
            late.iter().all(|s| *s == 0.0),
            "the new level is normal by then"
        );
        assert!(j.score[600 - j.first] > 0.0);
    }
}
