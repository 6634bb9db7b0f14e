//! Alarms into events: alarmed intervals no more than `gap` apart are one event, with its
//! start and end (the end exclusive), its kind — `high` or `low` by the sign of its
//! largest score, `shift` when it lasts [`super::band::SHIFT_AFTER`] intervals or more —
//! its peak value and its score.

use super::band::SHIFT_AFTER;

#[derive(Clone, Debug, PartialEq)]
pub struct AlarmEvent {
    /// Intervals `start..end` of the series.
    pub start: usize,
    pub end: usize,
    pub kind: &'static str,
    /// The value farthest outside the band.
    pub peak: f64,
    /// Its score (band half-widths outside the band; negative below).
    pub score: f64,
    /// The largest probability of its intervals ([`super::band::Judged::probability`]).
    pub probability: f64,
    /// The column the event was found in.
    pub column: String,
}

/// The events of one column's scores (`score[i]` is interval `first + i`).
pub fn events(
    first: usize,
    (score, probability): (&[f64], &[f64]),
    values: &[f64],
    gap: usize,
    column: &str,
) -> Vec<AlarmEvent> {
    let mut out: Vec<AlarmEvent> = Vec::new();
    for (i, &s) in score.iter().enumerate() {
        if s == 0.0 {
            continue;
        }
        let t = first + i;
        let p = probability.get(i).copied().unwrap_or(0.0);
        match out.last_mut() {
            Some(e) if t - e.end < gap.saturating_add(1) => {
                e.end = t + 1;
                e.probability = e.probability.max(p);
                if s.abs() > e.score.abs() {
                    e.score = s;
                    e.peak = values[t];
                }
            }
            _ => out.push(AlarmEvent {
                start: t,
                end: t + 1,
                kind: "",
                peak: values[t],
                score: s,
                probability: p,
                column: column.to_string(),
            }),
        }
    }
    for e in &mut out {
        e.kind = if e.end - e.start >= SHIFT_AFTER {
            "shift"
        } else if e.score > 0.0 {
            "high"
        } else {
            "low"
        };
    }
    out
}

/// Events of several columns as one list in time order, overlapping ones joined: the
/// joined event has the peak and score of the farthest outside the band, and is a shift
/// when any of its parts is (a level shift's onset is the more telling part).
pub fn union(mut all: Vec<AlarmEvent>, gap: usize) -> Vec<AlarmEvent> {
    all.sort_by_key(|e| e.start);
    let mut out: Vec<AlarmEvent> = Vec::new();
    for e in all {
        match out.last_mut() {
            Some(last) if e.start <= last.end.saturating_add(gap) => {
                last.end = last.end.max(e.end);
                last.probability = last.probability.max(e.probability);
                if e.score.abs() > last.score.abs() {
                    last.score = e.score;
                    last.peak = e.peak;
                    if last.kind != "shift" {
                        last.kind = e.kind;
                    }
                } else if e.kind == "shift" {
                    last.kind = "shift";
                }
                if !last.column.split('+').any(|c| c == e.column) {
                    last.column = format!("{}+{}", last.column, e.column);
                }
            }
            _ => out.push(e),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarms_close_together_are_one_event() {
        let score = [0.0, 1.0, 0.0, -3.0, 0.0, 0.0, 0.0, 2.0];
        let values = [0.0, 0.0, 0.0, 0.0, 5.0, 0.0, -1.0, 0.0, 0.0, 0.0, 9.0];
        let e = events(3, (&score, &[]), &values, 1, "x");
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[0].start, e[0].end, e[0].kind, e[0].peak),
            (4, 7, "low", -1.0)
        );
        assert_eq!((e[1].start, e[1].end, e[1].kind), (10, 11, "high"));
        let u = union(
            vec![
                e[1].clone(),
                e[0].clone(),
                AlarmEvent {
                    column: "y".into(),
                    ..e[0].clone()
                },
            ],
            1,
        );
        assert_eq!(u.len(), 2);
        assert_eq!(u[0].column, "x+y");
        let shift = AlarmEvent {
            kind: "shift",
            score: 0.5,
            ..e[0].clone()
        };
        let u = union(vec![shift, e[0].clone()], 1);
        assert_eq!((u.len(), u[0].kind, u[0].score), (1, "shift", -3.0));
    }

    #[test]
    fn the_largest_gap_joins_everything_without_wrapping() {
        let score = [1.0, 0.0, 0.0, 0.0, -2.0, 0.0, 3.0];
        let values = [0.0; 7];
        let e = events(0, (&score, &[]), &values, usize::MAX, "x");
        assert_eq!((e.len(), e[0].start, e[0].end), (1, 0, 7));
        let u = union(
            vec![
                e[0].clone(),
                AlarmEvent {
                    start: 9,
                    end: 10,
                    ..e[0].clone()
                },
            ],
            usize::MAX,
        );
        assert_eq!(u.len(), 1);
    }
}
