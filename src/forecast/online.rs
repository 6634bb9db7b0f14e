//! Bands that follow the test span as its values become known: adaptive conformal
//! inference (ACI, Gibbs & Candès 2021) and conformal PID control (Angelopoulos, Candès &
//! Tibshirani 2023), on raw residuals or on residuals divided by a causal running scale.
//!
//! Everything is per forecast step s (0-based) and per side of the band. The value of
//! window i at step s is known s + 1 windows later, so window i's band uses the outcomes of
//! windows up to i − s − 1 only.
//!
//! - **Scores**: upper `(e − μ̂)/σ̂`, lower `−(e − μ̂)/σ̂` with `e = actual − forecast`;
//!   μ̂ = 0 and σ̂ = 1 (raw), or (scaled) exponentially weighted means of the errors known at
//!   the window's origin and of their absolute deviation from μ̂, started at the validation
//!   span's and run through it into the test span. A band is
//!   `forecast + μ̂ − q_lo·σ̂ … forecast + μ̂ + q_hi·σ̂`: under growth σ̂ grows with the
//!   errors and the band with it; after a level shift the forecaster has not caught up
//!   with, μ̂ moves the band onto the values instead of widening it.
//! - **Split**: q fixed at the conformal quantile of the validation scores (miscoverage α/2
//!   per side).
//! - **ACI**: one miscoverage α_t per step moved by γ(α − miss); q the conformal quantile of
//!   the validation scores at α_t/2 (bounded: α_t is held at 2/(n + 1) or more).
//! - **PID**: per side, q moves in score units — quantile tracking (P: q += η(miss − α/2))
//!   plus an integrator of the misses (I: K_I·tan(Σ(miss − α/2)·ln(t + 1)/(C_sat·t + 100)),
//!   the log saturation of the reference code with no burn-in) — so it can grow past the
//!   largest calibration score. It starts at the split quantile; η is chosen per step and
//!   side on the validation span (calibrated on its first half, η minimising the pinball
//!   loss on its second half); K_I is the largest validation score. q is kept within ±100
//!   times the largest validation score: the band is never infinite.

use super::intervals::conformal_rank;

/// How the bands on the test span move.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase", tag = "method")]
pub enum Online {
    /// The validation span's offsets, fixed (what a card without a method means).
    #[default]
    Split,
    /// Adaptive conformal inference with step `gamma`.
    Aci { gamma: f64 },
    /// Conformal PID control (quantile tracking and integrator).
    Pid,
}

impl Online {
    /// `split`, `aci`, `aci:GAMMA`, a bare GAMMA (ACI), or `pid`.
    pub fn parse(text: &str) -> Result<Online, String> {
        let gamma = |g: &str| -> Result<Online, String> {
            let gamma: f64 = g
                .parse()
                .map_err(|_| format!("{g:?}: not a step size (e.g. aci:0.005)"))?;
            if gamma > 0.0 && gamma < 1.0 {
                Ok(Online::Aci { gamma })
            } else {
                Err(format!(
                    "ACI's step {gamma} must be between 0 and 1 (exclusive)"
                ))
            }
        };
        match text {
            "split" => Ok(Online::Split),
            "pid" => Ok(Online::Pid),
            "aci" => Ok(Online::Aci { gamma: ACI_GAMMA }),
            t => match t.strip_prefix("aci:") {
                Some(g) => gamma(g),
                None if t.parse::<f64>().is_ok() => gamma(t),
                None => Err(format!("{t:?}: split, aci, aci:GAMMA or pid")),
            },
        }
    }

    /// As in [`Online::parse`].
    pub fn text(self) -> String {
        match self {
            Online::Split => "split".into(),
            Online::Aci { gamma } => format!("aci:{gamma}"),
            Online::Pid => "pid".into(),
        }
    }
}

/// ACI's default step.
pub const ACI_GAMMA: f64 = 0.005;

/// What the scores are divided by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Nothing: scores are residuals.
    #[default]
    Raw,
    /// A causal exponentially weighted mean of the absolute residuals.
    Ewma,
}

/// The weight of the newest |residual| in the running scale (a memory of about 20 values).
pub const EWMA_WEIGHT: f64 = 0.05;

/// The relative step sizes η/K_I the PID's quantile tracking chooses among.
pub const PID_RATES: [f64; 6] = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3];

/// The bands of one step's test forecasts, from that step's validation and test residual
/// streams (window order). `val` holds the validation residuals `actual − forecast`;
/// `test_forecast` and `test_actual` the test span's; `delay` the windows until a value is
/// known (step + 1). Returns (lower, upper) per test window.
pub fn step_bands(
    val: &[f64],
    test_forecast: &[f64],
    test_actual: &[f64],
    delay: usize,
    level: f64,
    (online, scale): (Online, Scale),
) -> Vec<(f64, f64)> {
    let test_resid: Vec<f64> = test_actual
        .iter()
        .zip(test_forecast)
        .map(|(a, f)| a - f)
        .collect();
    let frame = running_frame(val, &test_resid, delay, scale);
    let (val_frame, test_frame) = frame.split_at(val.len());
    let side = |sign: f64| -> (Vec<f64>, Vec<f64>) {
        let score = |(e, (m, s)): (&f64, &(f64, f64))| sign * (e - m) / s;
        let v = val.iter().zip(val_frame).map(score).collect();
        let t = test_resid.iter().zip(test_frame).map(score).collect();
        (v, t)
    };
    let a = (1.0 - level) / 2.0;
    let (up_val, up_test) = side(1.0);
    let (lo_val, lo_test) = side(-1.0);
    let (q_lo, q_hi) = match online {
        Online::Split => {
            let m = test_forecast.len();
            (
                vec![split_quantile(&lo_val, a); m],
                vec![split_quantile(&up_val, a); m],
            )
        }
        Online::Aci { gamma } => aci(&lo_val, &lo_test, &up_val, &up_test, delay, level, gamma),
        Online::Pid => (
            pid(&lo_val, &lo_test, delay, a, choose_rate(&lo_val, delay, a)),
            pid(&up_val, &up_test, delay, a, choose_rate(&up_val, delay, a)),
        ),
    };
    test_forecast
        .iter()
        .zip(test_frame)
        .zip(q_lo.iter().zip(&q_hi))
        .map(|((f, (m, s)), (lo, hi))| (f + m - lo * s, f + m + hi * s))
        .collect()
}

/// (μ̂, σ̂) for every validation then test residual: (0, 1) raw; scaled, the running
/// mean of the residuals and their running mean absolute deviation from it, both known at
/// each one's origin (from the residuals `delay` or more places before it), started at the
/// validation span's mean and mean absolute deviation.
pub fn running_frame(val: &[f64], test: &[f64], delay: usize, scale: Scale) -> Vec<(f64, f64)> {
    let n = val.len() + test.len();
    if scale == Scale::Raw || val.is_empty() {
        return vec![(0.0, 1.0); n];
    }
    let mut m = val.iter().sum::<f64>() / val.len() as f64;
    let start = val.iter().map(|e| (e - m).abs()).sum::<f64>() / val.len() as f64;
    // A floor: a run of exact forecasts must not make the next score infinite.
    let floor = (start * 1e-6).max(f64::MIN_POSITIVE);
    let all: Vec<f64> = val.iter().chain(test).copied().collect();
    let mut s = start.max(floor);
    let mut out = Vec::with_capacity(n);
    for j in 0..n {
        if let Some(k) = j.checked_sub(delay) {
            s = ((1.0 - EWMA_WEIGHT) * s + EWMA_WEIGHT * (all[k] - m).abs()).max(floor);
            m = (1.0 - EWMA_WEIGHT) * m + EWMA_WEIGHT * all[k];
        }
        out.push((m, s));
    }
    out
}

/// The conformal quantile at miscoverage `a` of `scores` (+∞ with too few).
pub fn split_quantile(scores: &[f64], a: f64) -> f64 {
    let mut v = scores.to_vec();
    v.sort_by(f64::total_cmp);
    let k = conformal_rank(v.len(), a);
    if k > v.len() || v.is_empty() {
        f64::INFINITY
    } else {
        v[k - 1]
    }
}

/// ACI over the test scores: one α_t for both sides, each side's quantile at α_t/2 of its
/// validation scores.
fn aci(
    lo_val: &[f64],
    lo_test: &[f64],
    up_val: &[f64],
    up_test: &[f64],
    delay: usize,
    level: f64,
    gamma: f64,
) -> (Vec<f64>, Vec<f64>) {
    let target = 1.0 - level;
    let floor = 2.0 / (lo_val.len() + 1) as f64;
    let (mut lo_sorted, mut up_sorted) = (lo_val.to_vec(), up_val.to_vec());
    lo_sorted.sort_by(f64::total_cmp);
    up_sorted.sort_by(f64::total_cmp);
    let at = |sorted: &[f64], a: f64| {
        let k = conformal_rank(sorted.len(), a);
        if k > sorted.len() {
            f64::INFINITY
        } else {
            sorted[k - 1]
        }
    };
    let (mut alpha, mut misses) = (target, Vec::with_capacity(lo_test.len()));
    let (mut q_lo, mut q_hi) = (Vec::new(), Vec::new());
    for i in 0..lo_test.len() {
        if let Some(j) = i.checked_sub(delay) {
            alpha += gamma * (target - f64::from(u8::from(misses[j])));
        }
        let a = alpha.clamp(floor, 1.0) / 2.0;
        let (lo, hi) = (at(&lo_sorted, a), at(&up_sorted, a));
        misses.push(lo_test[i] > lo || up_test[i] > hi);
        q_lo.push(lo);
        q_hi.push(hi);
    }
    (q_lo, q_hi)
}

/// The PID quantile of one side over the test scores, started at the split quantile of
/// the validation scores, with tracking step `rate`·K_I.
pub fn pid(val: &[f64], test: &[f64], delay: usize, a: f64, rate: f64) -> Vec<f64> {
    let q0 = split_quantile(val, a);
    let ki = val.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    track(q0, ki, test, delay, a, rate)
}

/// Quantile tracking plus integrator from `q0` over `scores`; K_I = `ki`.
fn track(q0: f64, ki: f64, scores: &[f64], delay: usize, a: f64, rate: f64) -> Vec<f64> {
    let cap = 100.0 * ki.max(q0.abs()).max(f64::MIN_POSITIVE);
    let q0 = if q0.is_finite() { q0 } else { ki };
    let t_total = scores.len().max(3) as f64;
    // The reference's saturation constant for a horizon of T values (δ = 0.01).
    let c_sat = 2.0 / std::f64::consts::PI * ((t_total.ln() * 0.01).ceil() - 1.0 / t_total.ln());
    let (mut p, mut sum, mut known) = (q0, 0.0, 0usize);
    let mut qs = Vec::with_capacity(scores.len());
    for i in 0..scores.len() {
        if let Some(j) = i.checked_sub(delay) {
            let miss = f64::from(u8::from(scores[j] > qs[j]));
            p += rate * ki * (miss - a);
            sum += miss - a;
            known += 1;
        }
        let t = known as f64;
        let x = sum * (t + 1.0).ln() / (c_sat * t + 100.0);
        let limit = std::f64::consts::FRAC_PI_2 - 1e-6;
        let integrator = if known == 0 {
            0.0
        } else {
            ki * x.clamp(-limit, limit).tan()
        };
        qs.push((p + integrator).clamp(-cap, cap));
    }
    qs
}

/// The tracking step of the PID chosen on the validation scores: calibrated on their first
/// half, each rate of [`PID_RATES`] run over the second half, the one with the lowest
/// pinball loss at 1 − a kept (the middle rate with under 40 validation values).
pub fn choose_rate(val: &[f64], delay: usize, a: f64) -> f64 {
    let fallback = PID_RATES[PID_RATES.len() / 2];
    if val.len() < 40 {
        return fallback;
    }
    let (first, second) = val.split_at(val.len() / 2);
    let q0 = split_quantile(first, a);
    let ki = first.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let tau = 1.0 - a;
    let loss = |rate: f64| -> f64 {
        track(q0, ki, second, delay, a, rate)
            .iter()
            .zip(second)
            .map(|(q, s)| {
                let d = s - q;
                if d >= 0.0 {
                    tau * d
                } else {
                    (tau - 1.0) * d
                }
            })
            .sum()
    };
    PID_RATES
        .iter()
        .map(|&r| (r, loss(r)))
        .filter(|(_, l)| l.is_finite())
        .min_by(|x, y| x.1.total_cmp(&y.1))
        .map_or(fallback, |(r, _)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_method() {
        assert_eq!(Online::parse("pid"), Ok(Online::Pid));
        assert_eq!(Online::parse("split"), Ok(Online::Split));
        assert_eq!(Online::parse("aci"), Ok(Online::Aci { gamma: ACI_GAMMA }));
        assert_eq!(Online::parse("0.01"), Ok(Online::Aci { gamma: 0.01 }));
        assert_eq!(Online::parse("aci:0.02"), Ok(Online::Aci { gamma: 0.02 }));
        assert!(Online::parse("aci:2").is_err() && Online::parse("pi").is_err());
    }

    #[test]
    fn the_scale_uses_only_known_residuals() {
        let val = [1.0, -1.0, 1.0, -1.0];
        let test = [100.0, 0.0, 0.0];
        let f = running_frame(&val, &test, 2, Scale::Ewma);
        // Test values 0 (index 4) and 1 (index 5) are framed before the 100 is known.
        let before = f[5];
        assert!(
            before.0.abs() < 0.1 && (before.1 - 1.0).abs() < 0.1,
            "{f:?}"
        );
        let (m, s) = f[6];
        assert!((m - (0.95 * before.0 + 5.0)).abs() < 1e-12, "{f:?}");
        assert!(
            (s - (0.95 * before.1 + 0.05 * (100.0 - before.0))).abs() < 1e-12,
            "{f:?}"
        );
    }

    /// The committed reference: `tests/data/reference/online/reference.py` (numpy) on the
    /// same residuals.
    #[test]
    fn pid_equals_the_numpy_reference() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/reference/online");
        let read = |name: &str| -> Vec<Vec<String>> {
            std::fs::read_to_string(format!("{dir}/{name}"))
                .unwrap()
                .lines()
                .skip(1)
                .map(|l| l.split(',').map(str::to_string).collect())
                .collect()
        };
        let scores = read("scores.csv");
        let stream = |name: &str| -> Vec<f64> {
            scores
                .iter()
                .filter(|r| r[0] == name)
                .map(|r| r[2].parse().unwrap())
                .collect()
        };
        let (val, test) = (stream("val"), stream("test"));
        let expected = read("expected.csv");
        let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * y.abs().max(1.0);
        let mut compared = 0;
        for delay in [1usize, 3] {
            let frame = running_frame(&val, &test, delay, Scale::Ewma);
            for (what, k) in [("ewma_mean", 0), ("ewma_scale", 1)] {
                for r in expected
                    .iter()
                    .filter(|r| r[0] == what && r[1] == delay.to_string())
                {
                    let i: usize = r[4].parse().unwrap();
                    let ours = if k == 0 { frame[i].0 } else { frame[i].1 };
                    assert!(close(ours, r[5].parse().unwrap()), "{what} {delay} {i}");
                    compared += 1;
                }
            }
            let score = |(e, (m, s)): (&f64, &(f64, f64))| (e - m) / s;
            let (sv, st): (Vec<f64>, Vec<f64>) = (
                val.iter().zip(&frame).map(score).collect(),
                test.iter().zip(&frame[val.len()..]).map(score).collect(),
            );
            for a in [0.025, 0.1] {
                let rows: Vec<&Vec<String>> = expected
                    .iter()
                    .filter(|r| r[0] == "pid" && r[1] == delay.to_string() && r[2] == a.to_string())
                    .collect();
                let rate = choose_rate(&sv, delay, a);
                assert_eq!(rate, rows[0][3].parse::<f64>().unwrap(), "rate {delay} {a}");
                let q = pid(&sv, &st, delay, a, rate);
                for r in rows {
                    let i: usize = r[4].parse().unwrap();
                    assert!(
                        close(q[i], r[5].parse().unwrap()),
                        "pid {delay} {a} {i}: {}",
                        q[i]
                    );
                    compared += 1;
                }
            }
        }
        assert_eq!(compared, 2 * 2 * 600 + 4 * 360);
    }

    #[test]
    fn pid_grows_past_every_calibration_score() {
        let val: Vec<f64> = (0..200).map(|i| ((i * 37) % 100) as f64 / 100.0).collect();
        // Errors ten times larger than any seen: the quantile must follow them.
        let test = vec![10.0; 400];
        let q = pid(&val, &test, 1, 0.025, 0.1);
        assert!(q[0] < 1.0 && q[399] > 10.0, "{} {}", q[0], q[399]);
        assert!(q.iter().all(|v| v.is_finite()));
        let covered = test.iter().zip(&q).filter(|(s, q)| s <= q).count();
        assert!(covered > 300, "{covered}");
    }
}
