//! Anomaly detection on any series, causal and scored against labels: each interval is
//! judged from the intervals before it only ([`band`]); alarms become events ([`events`]);
//! with labels ([`labels`]), events are scored per event and by NAB's measure ([`score`]).

pub mod band;
pub mod events;
pub mod labels;
pub mod score;

use statrs::distribution::{ContinuousCDF, Normal};

use crate::error::{Error, Result};
use crate::forecast::classical::seasons;
use crate::series::Series;
use events::AlarmEvent;
use labels::Label;
use score::Scores;

/// How intervals are judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// A forecast from the past and a conformal band around it (the default).
    Forecast,
    /// A trailing median and MAD.
    RobustZ,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Forecast => "forecast",
            Method::RobustZ => "robust-z",
        }
    }
}

/// What `detect` does.
#[derive(Clone, Debug)]
pub struct DetectOptions {
    pub method: Method,
    /// The band's coverage (0.99: a normal interval is outside it 1 % of the time).
    pub level: f64,
    /// An alarm is a value more than this many band half-widths beyond the band.
    pub margin: f64,
    /// Alarms at most this many intervals apart are one event.
    pub gap: usize,
    /// Intervals that fit the detector before scoring starts (default: a fifth).
    pub initial: Option<usize>,
    /// The robust-z window (default: the initial span).
    pub window: Option<usize>,
    /// Alarm on the calibrated score instead of the margin: an interval whose anomaly
    /// probability reaches this (e.g. 0.999) alarms.
    pub alarm_probability: Option<f64>,
}

impl DetectOptions {
    /// Whether an interval of this score and anomaly probability alarms: beyond the
    /// margin, or with `alarm_probability`, at or above it.
    pub fn alarms(&self, score: f64, probability: f64) -> bool {
        match self.alarm_probability {
            Some(p) => probability >= p,
            None => score.abs() > self.margin,
        }
    }
}

impl Default for DetectOptions {
    /// `ntp detect`'s defaults: the forecast band at 99.9 %, a margin of one half-width,
    /// alarms 3 intervals apart joined (chosen on the shared NAB series and simulations:
    /// docs/detect.md).
    fn default() -> Self {
        DetectOptions {
            method: Method::Forecast,
            level: 0.999,
            margin: 1.0,
            gap: 3,
            initial: None,
            window: None,
            alarm_probability: None,
        }
    }
}

/// One column's judgement.
pub struct ColumnDetection {
    pub column: String,
    pub values: Vec<f64>,
    pub judged: band::Judged,
    /// Per scored interval: beyond the margin, or the interval that confirmed a shift.
    pub alarm: Vec<bool>,
    pub periods: Vec<usize>,
}

/// A detection over one or more columns of a series.
pub struct Detection {
    pub start_ns: Vec<i64>,
    pub every_ns: i64,
    pub columns: Vec<ColumnDetection>,
    /// Events of every column, overlapping ones joined.
    pub events: Vec<AlarmEvent>,
    /// Whether any column alarmed at each interval.
    pub alarm: Vec<bool>,
    /// The labelled windows as scored ([`labels::prepare`]).
    pub labels: Vec<Label>,
    pub scores: Option<Scores>,
    /// What the reader must know: windows merged or set aside.
    pub warnings: Vec<String>,
}

/// The shortest series a detector is run on.
pub const MIN_POINTS: usize = 20;

/// The largest share of a series' intervals that may have had no value in the file.
pub const MAX_FILLED: f64 = 0.9;

/// Refuses a column that cannot be judged: values too close to the largest number, or a
/// series more than [`MAX_FILLED`] of whose intervals had no value in the file (filled in,
/// not measured: 100 rows and one more two years later would be judged as a long invented
/// line). Real exports with gaps stay: NAB's sensor series miss up to three in four.
fn check_column(name: &str, s: &Series) -> Result<()> {
    crate::series::check_magnitude(&s.values)
        .map_err(|e| Error::Invalid(format!("{name}: {e}")))?;
    if s.filled as f64 > MAX_FILLED * s.slots as f64 {
        return Err(Error::Invalid(format!(
            "{name}: {} of the file's {} intervals have no value (filled in, not measured): \
             choose the span that holds data with --start/--end, or a larger --every",
            s.filled, s.slots
        )));
    }
    Ok(())
}

/// Detects anomalies in each `(column, series)` (aligned on the same intervals) and scores
/// them against `labels` when given.
pub fn detect(
    series: &[(String, Series)],
    opts: &DetectOptions,
    labels: Option<&[Label]>,
) -> Result<Detection> {
    let Some((_, first)) = series.first() else {
        return Err(Error::Invalid("no series to detect on".into()));
    };
    let n = first.len();
    if n < MIN_POINTS {
        return Err(Error::Invalid(format!(
            "{n} intervals: a detector needs at least {MIN_POINTS}"
        )));
    }
    if !(0.5..1.0).contains(&opts.level) {
        return Err(Error::Invalid(format!(
            "--level {}: between 50 and 100 (excluded)",
            opts.level * 100.0
        )));
    }
    for (name, s) in series {
        check_column(name, s)?;
        if s.start_ns != first.start_ns {
            return Err(Error::Invalid(format!(
                "--column {name}: its intervals are not those of the first column"
            )));
        }
    }
    let initial = opts.initial.unwrap_or(n / 5).clamp(MIN_POINTS / 2, n - 1);
    let columns: Vec<ColumnDetection> = series
        .iter()
        .map(|(name, s)| judge(name, &s.values, &s.missing, initial, opts))
        .collect();
    let mut alarm = vec![false; n];
    let mut all = Vec::new();
    for c in &columns {
        let j = &c.judged;
        for (i, a) in c.alarm.iter().enumerate() {
            alarm[j.first + i] |= a;
        }
        let flagged: Vec<f64> = j
            .score
            .iter()
            .zip(&j.probability)
            .map(|(s, p)| if opts.alarms(*s, *p) { *s } else { 0.0 })
            .collect();
        all.extend(events::events(
            j.first,
            (&flagged, &j.probability),
            &c.values,
            opts.gap,
            &c.column,
        ));
        all.extend(j.shifts.iter().map(|&(onset, found)| {
            events::AlarmEvent {
                start: onset,
                end: found + 1,
                kind: "shift",
                peak: c.values[found],
                score: j.score[onset - j.first],
                probability: j.probability[onset - j.first..=found - j.first]
                    .iter()
                    .fold(0.0, |m: f64, p| m.max(*p)),
                column: c.column.clone(),
            }
        }));
    }
    let events = events::union(all, opts.gap);
    let (labels, warnings) = match labels {
        Some(l) => {
            let (l, w) = labels::prepare(l.to_vec(), &first.start_ns, first.every_ns);
            (Some(l), w)
        }
        None => (None, Vec::new()),
    };
    let scores = labels
        .as_deref()
        .map(|l| score::score(&events, &alarm, l, &first.start_ns, first.every_ns));
    Ok(Detection {
        start_ns: first.start_ns.clone(),
        every_ns: first.every_ns,
        columns,
        events,
        alarm,
        labels: labels.unwrap_or_default(),
        scores,
        warnings,
    })
}

/// One column judged by the method asked for. A column without negative values is
/// judged on ln(1 + x): traffic varies by a factor over the day, and an error of a given
/// size means more at night than at the peak (on the simulated series, the level shifts,
/// at night, were found only so); the forecast and band are written back in the column's
/// units.
fn judge(
    name: &str,
    values: &[f64],
    missing: &[bool],
    initial: usize,
    opts: &DetectOptions,
) -> ColumnDetection {
    let log = values.iter().all(|v| *v >= 0.0);
    let x: Vec<f64> = if log {
        values.iter().map(|v| v.ln_1p()).collect()
    } else {
        values.to_vec()
    };
    let x = &x[..];
    // Seasons choose the forecaster; the robust z-score has no use for them (and finding
    // them on a long initial span costs more than the detector).
    let periods = match opts.method {
        Method::Forecast => seasons::detect(&x[..initial]),
        Method::RobustZ => Vec::new(),
    };
    let mut judged = match opts.method {
        Method::Forecast => {
            band::forecast_band(x, missing, &periods, initial, opts.level, opts.margin)
        }
        Method::RobustZ => {
            let z = Normal::standard().inverse_cdf(1.0 - (1.0 - opts.level) / 2.0);
            band::robust_z(x, missing, opts.window.unwrap_or(initial), z)
        }
    };
    if log {
        for v in judged
            .forecast
            .iter_mut()
            .chain(&mut judged.lower)
            .chain(&mut judged.upper)
        {
            *v = v.exp_m1().min(f64::MAX);
        }
    }
    let mut alarm: Vec<bool> = judged
        .score
        .iter()
        .zip(&judged.probability)
        .map(|(s, p)| opts.alarms(*s, *p))
        .collect();
    for &(_, found) in &judged.shifts {
        alarm[found - judged.first] = true;
    }
    ColumnDetection {
        column: name.to_string(),
        values: values.to_vec(),
        judged,
        alarm,
        periods,
    }
}
