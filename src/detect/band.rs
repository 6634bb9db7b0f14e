//! The causal detectors: each interval is judged by what came before it only.
//!
//! - [`forecast_band`] (the default): a forecast of the interval from its past, and a
//!   conformal band around it from the absolute errors of the recent past. The forecaster is
//!   chosen on the second half of an initial span among persistence, the seasonal naive, the
//!   median of the last three seasons and a trailing median (seasons detected on that span);
//!   the band's quantile is refitted every [`REFIT`] intervals on the past errors
//!   ([`MEMORY`]). An interval outside the band enters the history as its forecast (so an anomaly does not become tomorrow's
//!   forecast or widen the band), unless the alarms go on for [`SHIFT_AFTER`] intervals:
//!   then the new level is accepted (a level shift). A value outside the band but within
//!   the margin that the next [`CONFIRM`] intervals stay beside, far from the level before
//!   it, is a level shift found at the last of them ([`Judged::shifts`]).
//! - [`robust_z`]: a trailing median and MAD (× 1.4826, the normal's σ) over a window.

use crate::forecast::intervals::conformal_rank;

/// Intervals between refits of the band's quantile.
pub const REFIT: usize = 12;
/// Alarms in a row after which a new level is taken as the normal one.
pub const SHIFT_AFTER: usize = 12;

/// Intervals after a jump out of the band that must stay at its new level for a shift.
pub const CONFIRM: usize = 3;
/// A shift's size: the median of the jump and the [`CONFIRM`] intervals after it lies this
/// many band half-widths from the median of the [`BEFORE`] intervals before it, each of
/// them at least half a half-width from it and at most two from their median (a level,
/// not a rise).
const SHIFT_SIZE: f64 = 1.2;
const BEFORE: usize = 6;

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
    /// Level shifts found: (onset, the interval that confirmed it), series indices.
    pub shifts: Vec<(usize, usize)>,
    /// Per scored position: the file had no value there (filled in), so it is not judged
    /// (score 0, no row in the tables). Empty when every interval had a value.
    pub unscored: Vec<bool>,
    /// Per scored position: how unusual the value is given the past, in [0, 1): one minus
    /// its conformal p-value among the past errors (forecast method), or the two-sided
    /// normal probability of its robust z (robust-z method).
    pub probability: Vec<f64>,
}

/// The latest errors (at most [`MEMORY`]), in arrival order and sorted: the band's quantile
/// is a rank of the sorted ones, an interval's p-value a count of those at or above its
/// error.
struct Errors {
    arrival: std::collections::VecDeque<f64>,
    sorted: Vec<f64>,
}

impl Errors {
    fn new(initial: Vec<f64>) -> Errors {
        let mut e = Errors {
            arrival: Default::default(),
            sorted: Vec::new(),
        };
        for v in initial {
            e.push(v);
        }
        e
    }

    fn push(&mut self, v: f64) {
        if self.arrival.len() == MEMORY {
            if let Some(old) = self.arrival.pop_front() {
                let at = self.sorted.partition_point(|x| x.total_cmp(&old).is_lt());
                self.sorted.remove(at);
            }
        }
        self.arrival.push_back(v);
        let at = self.sorted.partition_point(|x| x.total_cmp(&v).is_le());
        self.sorted.insert(at, v);
    }

    fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// The split-conformal quantile of the errors at `level`: the
    /// ⌈(n + 1)·level⌉-th smallest ([`conformal_rank`], as the forecast intervals take it),
    /// held at the largest while fewer than 1/(1 − level) errors are known — where the
    /// conformal band is unbounded (the first 3.5 days of a 5-minute series at 99.9 %), the
    /// largest error so far bounds it.
    fn quantile(&self, level: f64) -> f64 {
        let n = self.sorted.len();
        let k = conformal_rank(n, 1.0 - level).clamp(1, n) - 1;
        self.sorted[k]
    }

    /// One minus the conformal p-value of error `r`: (1 + #{errors ≥ r}) / (n + 1).
    fn probability(&self, r: f64) -> f64 {
        let n = self.sorted.len();
        let at_or_above = n - self.sorted.partition_point(|x| *x < r);
        1.0 - (1 + at_or_above) as f64 / (n + 1) as f64
    }
}

/// Whether interval `t` had no value in the file (`missing` empty: none had).
fn is_missing(missing: &[bool], t: usize) -> bool {
    missing.get(t).copied().unwrap_or(false)
}

/// Whether the jump out of the band at `t0` (upwards when `up`) is a level shift: the
/// values from it to `t0 + CONFIRM` stay at the new level, far from the (cleaned) history's
/// level before it, by the band half-width `q`.
fn confirms_shift(h: &[f64], x: &[f64], t0: usize, q: f64, up: bool) -> bool {
    if t0 == 0 || q <= 0.0 {
        return false;
    }
    let before = median(&h[t0.saturating_sub(BEFORE)..t0]);
    let after = &x[t0..=t0 + CONFIRM];
    let sign = if up { 1.0 } else { -1.0 };
    let level = median(after);
    sign * (level - before) > SHIFT_SIZE * q
        && after
            .iter()
            .all(|v| sign * (v - before) > q / 2.0 && (v - level).abs() <= 2.0 * q)
}

/// The largest score: a value beyond a band of (almost) no width — a constant history,
/// then a spike — is this many half-widths out, a finite number that every table and
/// event can hold.
pub const MAX_SCORE: f64 = 1e15;

/// How far `v` lies outside `[lo, hi]`, in half-widths of the band: 0 inside, positive
/// above, negative below; at most [`MAX_SCORE`] either way. A band narrower than the
/// rounding of its bounds counts as that rounding's width.
fn outside_by(v: f64, lo: f64, hi: f64) -> f64 {
    let rounding = f64::EPSILON * lo.abs().max(hi.abs()).max(f64::MIN_POSITIVE);
    let half = ((hi - lo) / 2.0).max(rounding);
    let s = if v > hi {
        (v - hi) / half
    } else if v < lo {
        -(lo - v) / half
    } else {
        0.0
    };
    s.clamp(-MAX_SCORE, MAX_SCORE)
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
    missing: &[bool],
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
    let mut errors = Errors::new(
        (f.needs()..start)
            .map(|t| (x[t] - f.at(x, t)).abs())
            .collect(),
    );
    let mut j = Judged {
        first: start,
        model: f.name(),
        ..Judged::default()
    };
    let mut q = if errors.is_empty() {
        0.0
    } else {
        errors.quantile(level)
    };
    let mut run = 0usize;
    let mut jump: Option<(usize, f64, bool)> = None;
    for t in start..n {
        if (t - start) % REFIT == 0 && !errors.is_empty() {
            q = errors.quantile(level);
        }
        let fc = f.at(&h, t);
        let (lo, hi) = (fc - q, fc + q);
        if !missing.is_empty() {
            j.unscored.push(is_missing(missing, t));
        }
        if is_missing(missing, t) {
            // Not a measurement: the history takes the forecast, the band no error, and a
            // shift cannot be confirmed across it.
            h[t] = fc;
            jump = None;
            j.forecast.push(fc);
            j.lower.push(lo);
            j.upper.push(hi);
            j.score.push(0.0);
            j.probability.push(0.0);
            continue;
        }
        let score = outside_by(x[t], lo, hi);
        j.probability.push(if errors.is_empty() {
            0.0
        } else {
            errors.probability((x[t] - fc).abs())
        });
        if score != 0.0 && score.abs() <= margin && jump.is_none() && t + CONFIRM < n {
            jump = Some((t, q, score > 0.0));
        }
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
        if let Some((t0, q0, up)) = jump.filter(|j| t == j.0 + CONFIRM) {
            jump = None;
            if confirms_shift(&h, x, t0, q0, up) {
                // The new level is the normal one from its onset on.
                h[t0..=t].copy_from_slice(&x[t0..=t]);
                j.shifts.push((t0, t));
                run = 0;
            }
        }
    }
    j
}

/// The trailing median/MAD detector: window `w`, band ± `z` robust σ. The window slides
/// over an order-statistic tree (a Fenwick tree over the values' ranks), so a step costs
/// O(log² w), not a sort.
pub fn robust_z(x: &[f64], missing: &[bool], w: usize, z: f64) -> Judged {
    let n = x.len();
    let w = w.clamp(3, n.max(3));
    let mut j = Judged {
        first: w.min(n),
        model: format!("trailing median and MAD ({w})"),
        ..Judged::default()
    };
    if n <= w {
        return j;
    }
    let mut window = Window::new(x);
    for t in 0..w {
        window.insert(t);
    }
    for (t, &v) in x.iter().enumerate().skip(w) {
        let (m, mad) = window.median_mad();
        let s = 1.4826 * mad;
        let (lo, hi) = (m - z * s, m + z * s);
        j.forecast.push(m);
        j.lower.push(lo);
        j.upper.push(hi);
        let unscored = is_missing(missing, t);
        if !missing.is_empty() {
            j.unscored.push(unscored);
        }
        j.score
            .push(if unscored { 0.0 } else { outside_by(v, lo, hi) });
        j.probability.push(if unscored {
            0.0
        } else {
            normal_tail_probability((v - m).abs(), s)
        });
        window.remove(t - w);
        window.insert(t);
    }
    j
}

/// The two-sided normal probability of a deviation `d` at robust σ `s`: 2Φ(d/s) − 1 (1 for
/// any deviation from a window of no spread).
fn normal_tail_probability(d: f64, s: f64) -> f64 {
    if s > 0.0 {
        statrs::function::erf::erf(d / s / std::f64::consts::SQRT_2)
    } else if d > 0.0 {
        1.0
    } else {
        0.0
    }
}

/// A sliding window of a series' values as counts over the series' sorted values (a
/// Fenwick tree): insert, remove and the k-th smallest in O(log n).
struct Window {
    /// The series' values in order.
    sorted: Vec<f64>,
    /// Each position's rank in `sorted`.
    rank: Vec<usize>,
    tree: Vec<u32>,
    len: usize,
}

impl Window {
    fn new(x: &[f64]) -> Window {
        let mut order: Vec<usize> = (0..x.len()).collect();
        order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
        let mut rank = vec![0; x.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r;
        }
        Window {
            sorted: order.iter().map(|&i| x[i]).collect(),
            rank,
            tree: vec![0; x.len() + 1],
            len: 0,
        }
    }

    fn add(&mut self, t: usize, delta: i32) {
        let mut i = self.rank[t] + 1;
        while i < self.tree.len() {
            self.tree[i] = self.tree[i].wrapping_add_signed(delta);
            i += i & i.wrapping_neg();
        }
    }

    fn insert(&mut self, t: usize) {
        self.add(t, 1);
        self.len += 1;
    }

    fn remove(&mut self, t: usize) {
        self.add(t, -1);
        self.len -= 1;
    }

    /// The k-th smallest value in the window (0-based).
    fn kth(&self, k: usize) -> f64 {
        let (mut pos, mut rest) = (0usize, k as u32 + 1);
        let mut step = (self.tree.len()).next_power_of_two() / 2;
        while step > 0 {
            let next = pos + step;
            if next < self.tree.len() && self.tree[next] < rest {
                pos = next;
                rest -= self.tree[next];
            }
            step /= 2;
        }
        self.sorted[pos]
    }

    /// The median (the upper one of an even window, as [`median`] takes it) and the
    /// median absolute deviation from it. The k + 1 values nearest the median are k + 1
    /// neighbours in sorted order, the median among them: the MAD is the least, over such
    /// runs, of the run's farthest distance, found by bisection (one side's distance falls
    /// as the run moves up, the other's rises).
    fn median_mad(&self) -> (f64, f64) {
        let (n, h) = (self.len, self.len / 2);
        let m = self.kth(h);
        let k = h; // the deviations' median rank, as for the values
        let reach = |a: usize| (m - self.kth(a)).max(self.kth(a + k) - m);
        let (mut lo, mut hi) = (h.saturating_sub(k), h.min(n - 1 - k));
        // The first run whose upper distance reaches its lower one.
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.kth(mid + k) - m >= m - self.kth(mid) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let mut mad = reach(lo);
        if lo > h.saturating_sub(k) {
            mad = mad.min(reach(lo - 1));
        }
        (m, mad)
    }
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
        let j = forecast_band(&x, &[], &[48], 400, 0.999, 1.0);
        let at = |t: usize| j.score[t - j.first];
        assert!(at(1500) > 1.0);
        assert!((1700..1704).all(|t| at(t) < -1.0));
        let alarms = j.score.iter().filter(|s| s.abs() > 1.0).count();
        assert!(alarms <= 10, "{alarms} alarms");
        assert!(j.model.contains("48"), "{}", j.model);
        let r = robust_z(&x, &[], 96, 4.0);
        assert!(r.score[1500 - r.first] > 0.0);
    }

    /// The trailing median and MAD by sorting each window, as the detector once did.
    fn robust_z_by_sorting(x: &[f64], w: usize, z: f64) -> Vec<(f64, f64)> {
        (w..x.len())
            .map(|t| {
                let past = &x[t - w..t];
                let m = median(past);
                let dev: Vec<f64> = past.iter().map(|v| (v - m).abs()).collect();
                let s = 1.4826 * median(&dev);
                (m - z * s, m + z * s)
            })
            .collect()
    }

    #[test]
    fn the_sliding_median_and_mad_equal_sorting_each_window() {
        // Ties, runs of equal values, odd and even windows.
        let x: Vec<f64> = (0..3000u64)
            .map(|t| {
                let r = t
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((r >> 33) % 50) as f64 + if t % 97 < 20 { 100.0 } else { 0.0 }
            })
            .collect();
        for w in [3, 4, 5, 10, 31, 64, 500] {
            let j = robust_z(&x, &[], w, 3.0);
            let want = robust_z_by_sorting(&x, w, 3.0);
            assert_eq!(j.lower.len(), want.len());
            for (i, (lo, hi)) in want.iter().enumerate() {
                assert_eq!((j.lower[i], j.upper[i]), (*lo, *hi), "w {w}, t {}", w + i);
            }
        }
    }

    #[test]
    fn a_band_of_no_width_gives_a_finite_score() {
        let mut x = vec![5.0; 200];
        x[150] = 1e300;
        x[160] = -1e300;
        let j = forecast_band(&x, &[], &[], 50, 0.99, 1.0);
        assert!(j.score.iter().all(|s| s.is_finite()));
        assert_eq!(j.score[150 - j.first], MAX_SCORE);
        let r = robust_z(&x, &[], 20, 3.0);
        assert!(r.score.iter().all(|s| s.is_finite()));
        assert_eq!(r.score[160 - r.first], -MAX_SCORE);
    }

    #[test]
    fn a_lasting_shift_becomes_the_new_level() {
        let mut x: Vec<f64> = (0..1000).map(|t| 10.0 + (t % 5) as f64).collect();
        for v in &mut x[600..] {
            *v += 50.0;
        }
        let j = forecast_band(&x, &[], &[], 200, 0.99, 0.0);
        let late = &j.score[900 - j.first..];
        assert!(
            late.iter().all(|s| *s == 0.0),
            "the new level is normal by then"
        );
        assert!(j.score[600 - j.first] > 0.0);
    }

    #[test]
    fn a_small_lasting_jump_is_a_shift_found_after_the_intervals_that_confirm_it() {
        // Noise of ±1, a jump of 6 at 700 (past the band, within the margin), and a plateau
        // of 40 from 400 to 408 beyond the margin that ends: alarms, not a shift.
        let mut x: Vec<f64> = (0..1000).map(|t| 100.0 + ((t * 7919) % 3) as f64).collect();
        for v in &mut x[400..408] {
            *v += 40.0;
        }
        for v in &mut x[700..] {
            *v += 6.0;
        }
        let j = forecast_band(&x, &[], &[], 200, 0.99, 10.0);
        assert_eq!(j.shifts, vec![(700, 700 + CONFIRM)]);
        let at = |t: usize| j.score[t - j.first];
        assert!(at(400) > 10.0 && at(700) > 0.0 && at(700) <= 10.0);
        assert!((720..1000).all(|t| at(t) == 0.0), "the new level is normal");
    }
}
