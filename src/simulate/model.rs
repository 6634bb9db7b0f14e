//! The traffic model of `ntp simulate`: a mean packet rate per interval with daily and
//! weekly seasons and a trend, multiplied by self-similar noise (the summed activity of
//! ON/OFF sources whose periods are Pareto-distributed: heavy-tailed periods with tail
//! index α give long-range dependence with Hurst parameter H = (3 − α)/2, Taqqu, Willinger
//! and Sherman 1997), and the labelled events placed on it.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What kind of event a label marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// Many sources flooding one destination with small packets (a DDoS).
    Flood,
    /// One source probing many destinations with small packets.
    Scan,
    /// Many new clients of one server: traffic ramps up and down.
    FlashCrowd,
    /// Most traffic gone.
    Outage,
    /// The rate changes for good (the label marks the onset).
    LevelShift,
}

impl EventKind {
    pub const ALL: [EventKind; 5] = [
        EventKind::Flood,
        EventKind::Scan,
        EventKind::FlashCrowd,
        EventKind::Outage,
        EventKind::LevelShift,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EventKind::Flood => "flood",
            EventKind::Scan => "scan",
            EventKind::FlashCrowd => "flash-crowd",
            EventKind::Outage => "outage",
            EventKind::LevelShift => "level-shift",
        }
    }

    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// One injected event: intervals `start..end` of the series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Event {
    pub kind: EventKind,
    pub start: usize,
    pub end: usize,
    /// How strong: the extra rate as a multiple of the normal one (flood, scan, flash
    /// crowd), the share kept (outage), the factor after the onset (level shift).
    pub magnitude: f64,
}

/// The model's parameters.
#[derive(Clone, Debug)]
pub struct Model {
    pub intervals: usize,
    pub every_ns: i64,
    pub start_ns: i64,
    /// Mean packets per second.
    pub rate: f64,
    /// Relative change of the rate over the whole series.
    pub trend: f64,
    pub hurst: f64,
    pub seed: u64,
}

/// How much of the weekend's drop applies at `t_s` (epoch seconds): 1 from Saturday 00:00
/// to Monday 00:00 UTC, 0 on weekdays, and a smooth step over the [`WEEKEND_RAMP_H`] hours
/// around each midnight between. A step at midnight would be an unlabelled level shift
/// (×0.7, then ×1.43) as large as the labelled ones.
fn weekend(t_s: f64) -> f64 {
    // Days since Saturday 00:00 (1970-01-01 was a Thursday, so Saturday is day 2).
    let d = (t_s / 86_400.0 - 2.0).rem_euclid(7.0);
    let r = WEEKEND_RAMP_H / 24.0 / 2.0;
    let smooth = |x: f64| {
        let x = x.clamp(0.0, 1.0);
        x * x * (3.0 - 2.0 * x)
    };
    // Rising around d = 0 (≡ 7), falling around d = 2.
    let d = if d > 3.5 { d - 7.0 } else { d };
    smooth((d + r) / (2.0 * r)) * smooth((2.0 + r - d) / (2.0 * r))
}

/// Hours over which the weekend's drop comes and goes.
const WEEKEND_RAMP_H: f64 = 6.0;

/// ON/OFF sources summed into the noise.
const SOURCES: usize = 64;

impl Model {
    /// Daily and weekly seasons (peak in the afternoon, weekends at 70 %), and the trend.
    pub fn level(&self, i: usize) -> f64 {
        let t_s = (self.start_ns + i as i64 * self.every_ns) as f64 / 1e9;
        let hour = (t_s / 3600.0).rem_euclid(24.0);
        let daily = 1.0 + 0.6 * (2.0 * std::f64::consts::PI * (hour - 9.0) / 24.0).sin();
        let weekly = 1.0 - 0.3 * weekend(t_s);
        let trend = 1.0 + self.trend * i as f64 / self.intervals.max(1) as f64;
        daily * weekly * trend
    }

    /// The self-similar noise, mean 1: per interval, the share of `SOURCES` ON/OFF sources
    /// that are on (each on for part of an interval counts that part).
    pub fn noise(&self) -> Vec<f64> {
        let mut rng = StdRng::seed_from_u64(self.seed ^ 0x0005_eed0_f0ff);
        let alpha = (3.0 - 2.0 * self.hurst).clamp(1.05, 1.95);
        let n = self.intervals;
        let mut on = vec![0.0f64; n];
        // Mean period of about 4 intervals: Pareto with minimum m has mean m·α/(α−1).
        let m = 4.0 * (alpha - 1.0) / alpha;
        for _ in 0..SOURCES {
            let mut t = -rng.random_range(0.0..50.0);
            let mut is_on = rng.random_bool(0.5);
            while t < n as f64 {
                let u: f64 = rng.random_range(f64::EPSILON..1.0);
                let d = m / u.powf(1.0 / alpha);
                if is_on {
                    add_span(&mut on, t, t + d);
                }
                t += d;
                is_on = !is_on;
            }
        }
        let mean = on.iter().sum::<f64>() / n.max(1) as f64;
        on.iter()
            .map(|v| 0.25 + 0.75 * v / mean.max(f64::MIN_POSITIVE))
            .collect()
    }

    /// Events of each kind asked for, one each, in random places after the first fifth
    /// (kept for fitting), apart from each other; the level shift comes last.
    /// How many events a series of `intervals` can hold apart from each other: each
    /// needs a slot of 3 intervals after the first fifth (the fitting span).
    pub fn room_for_events(intervals: usize) -> usize {
        (intervals - intervals / 5) / 3
    }

    /// The events of `kinds`, one each, in slots of their own after the first fifth (at
    /// most [`Model::room_for_events`] of them: the caller checks).
    pub fn events(&self, kinds: &[EventKind]) -> Vec<Event> {
        let mut rng = StdRng::seed_from_u64(self.seed ^ 0xe7e7);
        let n = self.intervals;
        let slots = kinds.len().max(1);
        let first = n / 5;
        let width = (n - first) / slots;
        let mut order: Vec<EventKind> = kinds.to_vec();
        order.sort_by_key(|k| *k == EventKind::LevelShift);
        order
            .into_iter()
            .enumerate()
            .map(|(j, kind)| {
                let duration = rng.random_range(3..=12usize).min(width / 3).max(1);
                let lo = first + j * width + width / 4;
                let start = rng.random_range(lo..(lo + width / 3).max(lo + 1));
                let magnitude = match kind {
                    EventKind::Flood => rng.random_range(2.0..4.0),
                    EventKind::Scan => rng.random_range(0.3..0.6),
                    EventKind::FlashCrowd => rng.random_range(1.5..3.0),
                    EventKind::Outage => rng.random_range(0.02..0.1),
                    EventKind::LevelShift => rng.random_range(1.6..2.2),
                };
                Event {
                    kind,
                    start,
                    end: (start + duration).min(n),
                    magnitude,
                }
            })
            .collect()
    }
}

/// Adds the part of `[a, b)` that falls in each interval.
fn add_span(on: &mut [f64], a: f64, b: f64) {
    let n = on.len() as f64;
    let (a, b) = (a.max(0.0), b.min(n));
    if b <= a {
        return;
    }
    let (i, j) = (a.floor() as usize, (b.ceil() as usize).min(on.len()));
    for (k, v) in on.iter_mut().enumerate().take(j).skip(i) {
        let lo = a.max(k as f64);
        let hi = b.min(k as f64 + 1.0);
        *v += (hi - lo).max(0.0);
    }
}

/// The Hurst parameter of a series by the aggregated-variance method: the slope β of
/// log Var(X⁽ᵐ⁾) against log m over block sizes m, H = 1 + β/2.
pub fn hurst_aggregated_variance(x: &[f64]) -> f64 {
    let mut pts = Vec::new();
    let mut m = 1;
    while x.len() / m >= 20 {
        let blocks: Vec<f64> = x
            .chunks_exact(m)
            .map(|c| c.iter().sum::<f64>() / m as f64)
            .collect();
        let mean = blocks.iter().sum::<f64>() / blocks.len() as f64;
        let var = blocks.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / blocks.len() as f64;
        if var > 0.0 {
            pts.push(((m as f64).ln(), var.ln()));
        }
        m *= 2;
    }
    let n = pts.len() as f64;
    let (sx, sy) = pts.iter().fold((0.0, 0.0), |a, p| (a.0 + p.0, a.1 + p.1));
    let (mx, my) = (sx / n, sy / n);
    let num: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let den: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    1.0 + num / den / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(hurst: f64, seed: u64) -> Model {
        Model {
            intervals: 16_384,
            every_ns: 60_000_000_000,
            start_ns: 0,
            rate: 10.0,
            trend: 0.0,
            hurst,
            seed,
        }
    }

    #[test]
    fn the_noise_has_the_hurst_parameter_asked_for() {
        for h in [0.65, 0.8, 0.9] {
            let est: Vec<f64> = (0..4)
                .map(|s| hurst_aggregated_variance(&model(h, s).noise()))
                .collect();
            let mean = est.iter().sum::<f64>() / est.len() as f64;
            assert!((mean - h).abs() < 0.1, "H {h}: estimated {est:?}");
        }
        // White noise: H near 0.5.
        let mut rng = StdRng::seed_from_u64(1);
        let white: Vec<f64> = (0..16_384).map(|_| rng.random::<f64>()).collect();
        assert!((hurst_aggregated_variance(&white) - 0.5).abs() < 0.05);
    }

    #[test]
    fn events_fall_after_the_fitting_span_apart_from_each_other() {
        let m = model(0.8, 3);
        let e = m.events(&EventKind::ALL);
        assert_eq!(e.len(), 5);
        assert_eq!(e[4].kind, EventKind::LevelShift);
        for w in e.windows(2) {
            assert!(w[0].end < w[1].start, "{e:?}");
        }
        assert!(e[0].start >= m.intervals / 5);
        assert_eq!(m.events(&EventKind::ALL), e, "same seed, same events");
    }

    #[test]
    fn events_never_overlap_where_there_is_room_for_them() {
        for intervals in 19..200 {
            let room = Model::room_for_events(intervals).min(5);
            let m = Model {
                intervals,
                ..model(0.8, 3)
            };
            let e = m.events(&EventKind::ALL[..room]);
            for w in e.windows(2) {
                assert!(w[0].end <= w[1].start, "{intervals}: {e:?}");
            }
            assert!(e.iter().all(|e| e.start < e.end && e.end <= intervals));
        }
    }
    #[test]
    fn the_weekend_comes_and_goes_smoothly() {
        let day = 86_400.0;
        // 2026-01-03 was a Saturday.
        let sat = 1_767_398_400.0;
        assert_eq!(weekend(sat + 0.5 * day), 1.0);
        assert_eq!(weekend(sat + 1.5 * day), 1.0);
        assert_eq!(weekend(sat + 3.5 * day), 0.0);
        assert_eq!(weekend(sat - 1.5 * day), 0.0);
        assert!((weekend(sat) - 0.5).abs() < 1e-12);
        assert!((weekend(sat + 2.0 * day) - 0.5).abs() < 1e-12);
        // No step: five minutes never move it by more than 3 % of the drop.
        let steps = (0..2016).map(|i| {
            let t = sat - day + i as f64 * 300.0;
            (weekend(t + 300.0) - weekend(t)).abs()
        });
        let max = steps.fold(0.0, f64::max);
        assert!(max < 0.03, "{max}");
    }
}
