//! Detection judged against labels. Per event: a window is **found** when an alarm event
//! overlaps it; **recall** is the share of windows found; **precision** the share of alarm
//! events that overlap a window; F1 their harmonic mean; the **delay** of a found window is
//! from its start to the first alarm of the first overlapping event (a shift's event
//! starts at its onset, but its alarm comes when the intervals after confirmed it). And
//! NAB's standard-profile score (Lavin and Ahmad 2015), reimplemented from the paper's definition: every alarmed
//! interval is a detection; the first detection in a window earns A_TP·σ(y) with y its
//! position in the window (−1 at the left edge, 0 at the right) and σ(y) = 2/(1+e^{5y}) − 1
//! scaled so the left edge earns 1; a detection outside windows costs A_FP·σ(y), y its
//! distance past the previous window in window lengths (3 when none precedes, σ = −1 from
//! 3 on); a window without detection costs A_FN; the first 15 % of the series (at most
//! 750 intervals) are not scored; the raw score is normalised to 100 for a detector
//! that finds every window at its left edge and nothing else, 0 for one that finds nothing.

use super::events::AlarmEvent;
use super::labels::Label;

/// NAB's standard profile.
pub const A_TP: f64 = 1.0;
pub const A_FP: f64 = 0.11;
pub const A_FN: f64 = 1.0;

/// The scores of one detection.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scores {
    pub windows: usize,
    pub found: usize,
    pub events: usize,
    pub true_events: usize,
    pub recall: f64,
    pub precision: f64,
    pub f1: f64,
    /// Mean delay of the found windows, seconds (NaN when none).
    pub delay_s: f64,
    pub nab: f64,
}

fn overlaps(e: &AlarmEvent, l: &Label, start_ns: &[i64], every_ns: i64) -> bool {
    let (a, b) = (start_ns[e.start], start_ns[e.end - 1] + every_ns);
    a < l.end_ns && l.start_ns < b
}

/// Event recall, precision, F1, delay and the NAB score of `events` (and of the alarmed
/// intervals `alarm`) on a series of interval starts `start_ns`.
pub fn score(
    events: &[AlarmEvent],
    alarm: &[bool],
    labels: &[Label],
    start_ns: &[i64],
    every_ns: i64,
) -> Scores {
    let found: Vec<Option<i64>> = labels
        .iter()
        .map(|l| {
            events
                .iter()
                .filter(|e| overlaps(e, l, start_ns, every_ns))
                .map(|e| (start_ns[first_alarm(e, alarm)] - l.start_ns).max(0))
                .min()
        })
        .collect();
    let true_events = events
        .iter()
        .filter(|e| labels.iter().any(|l| overlaps(e, l, start_ns, every_ns)))
        .count();
    let n_found = found.iter().flatten().count();
    let recall = ratio(n_found, labels.len());
    let precision = ratio(true_events, events.len());
    let f1 = if recall + precision > 0.0 {
        2.0 * recall * precision / (recall + precision)
    } else {
        0.0
    };
    let delays: Vec<f64> = found.iter().flatten().map(|d| *d as f64 / 1e9).collect();
    Scores {
        windows: labels.len(),
        found: n_found,
        events: events.len(),
        true_events,
        recall,
        precision,
        f1,
        delay_s: if delays.is_empty() {
            f64::NAN
        } else {
            delays.iter().sum::<f64>() / delays.len() as f64
        },
        nab: nab(alarm, labels, start_ns),
    }
}

/// The first alarmed interval of an event (its start when none is marked).
fn first_alarm(e: &AlarmEvent, alarm: &[bool]) -> usize {
    (e.start..e.end.min(alarm.len()))
        .find(|&t| alarm[t])
        .unwrap_or(e.start)
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// NAB's scaled sigmoid of a relative position.
fn sigma(y: f64) -> f64 {
    if y >= 3.0 {
        -1.0
    } else {
        2.0 / (1.0 + (5.0 * y).exp()) - 1.0
    }
}

/// The windows as index ranges of the series (inclusive), in order.
fn window_indices(labels: &[Label], start_ns: &[i64]) -> Vec<(usize, usize)> {
    labels
        .iter()
        .filter_map(|l| {
            let a = start_ns.partition_point(|t| *t < l.start_ns);
            let b = start_ns.partition_point(|t| *t < l.end_ns);
            (b > a).then(|| (a, b - 1))
        })
        .collect()
}

/// NAB's normalised standard-profile score of the alarmed intervals.
pub fn nab(alarm: &[bool], labels: &[Label], start_ns: &[i64]) -> f64 {
    let windows = window_indices(labels, start_ns);
    if windows.is_empty() {
        return f64::NAN;
    }
    let probation = ((0.15 * alarm.len() as f64).floor()).min(750.0) as usize;
    let max_tp = sigma(-1.0);
    let mut best: Vec<Option<f64>> = vec![None; windows.len()];
    let mut fp = 0.0;
    for (i, _) in alarm.iter().enumerate().filter(|(_, a)| **a) {
        if i < probation {
            continue;
        }
        if let Some(w) = windows.iter().position(|(a, b)| (*a..=*b).contains(&i)) {
            let (a, b) = windows[w];
            let width = (b - a + 1) as f64;
            let y = -((b as f64 - i as f64 + 1.0) / width);
            let s = sigma(y) * A_TP / max_tp;
            best[w] = Some(best[w].map_or(s, |x: f64| x.max(s)));
        } else {
            let prev = windows.iter().rev().find(|(_, b)| *b < i);
            let y = match prev {
                Some((a, b)) => (i - b) as f64 / ((b - a + 1) as f64 - 1.0).max(1.0),
                None => 3.0,
            };
            fp += sigma(y) * A_FP;
        }
    }
    let raw: f64 = fp + best.iter().map(|b| b.unwrap_or(-A_FN)).sum::<f64>();
    let null = -A_FN * windows.len() as f64;
    let perfect = A_TP * windows.len() as f64;
    100.0 * (raw - null) / (perfect - null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(a: i64, b: i64) -> Label {
        Label {
            start_ns: a,
            end_ns: b,
            kind: "x".into(),
        }
    }

    #[test]
    fn nab_scores_the_left_edge_100_nothing_0_and_false_alarms_below() {
        let start: Vec<i64> = (0..1000).collect();
        let labels = [label(500, 520)];
        let mut alarm = vec![false; 1000];
        assert_eq!(nab(&alarm, &labels, &start), 0.0);
        alarm[500] = true;
        assert!((nab(&alarm, &labels, &start) - 100.0).abs() < 1e-9);
        alarm[300] = true;
        let one_fp = nab(&alarm, &labels, &start);
        assert!(
            (one_fp - (100.0 - 100.0 * 0.11 / 2.0)).abs() < 1e-9,
            "{one_fp}"
        );
        // Late in the window earns less; right after it costs less than far away.
        let mut late = vec![false; 1000];
        late[515] = true;
        assert!(nab(&late, &labels, &start) < 100.0);
        late[522] = true;
        let near = nab(&late, &labels, &start);
        late[522] = false;
        late[900] = true;
        assert!(nab(&late, &labels, &start) < near);
    }

    #[test]
    fn event_scores() {
        let start: Vec<i64> = (0..100).map(|i| i * 10).collect();
        let ev = |s, e| AlarmEvent {
            start: s,
            end: e,
            kind: "high",
            peak: 0.0,
            score: 1.0,
            probability: 0.99,
            column: "x".into(),
        };
        let labels = [label(200, 300), label(600, 650)];
        let events = [ev(25, 27), ev(40, 41), ev(70, 71)];
        let s = score(&events, &[false; 100], &labels, &start, 10);
        assert_eq!((s.found, s.true_events), (1, 1));
        assert!((s.recall - 0.5).abs() < 1e-12);
        assert!((s.precision - 1.0 / 3.0).abs() < 1e-12);
        assert!((s.delay_s - 50e-9).abs() < 1e-15);
    }
}
