//! What a model sees at each step of its window: the target, any other numeric columns of
//! the same series (`--features`), and calendar terms (`--calendar hour,weekday`: sine and
//! cosine of the time of day and of the day of the week, in UTC or at a fixed `--tz` offset).
//! The target and each feature are MinMax-scaled on the training span; calendar terms are
//! already in [−1, 1].

use std::path::PathBuf;

use super::{Scaler, Windows};
use crate::error::{Error, Result};
use crate::series::{self, Series, SeriesOptions};

/// Calendar terms.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Calendar {
    pub hour: bool,
    pub weekday: bool,
    /// Offset from UTC of the local time the terms follow, in seconds.
    #[serde(default)]
    pub offset_s: i64,
    /// The time zone the terms follow instead (an IANA name: its offset at each instant,
    /// daylight saving included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
}

impl Calendar {
    /// Parses `hour,weekday` and a `+HH:MM`/`-HH:MM`/`UTC` offset.
    pub fn parse(terms: &[String], tz: Option<&str>) -> Result<Calendar> {
        let mut c = Calendar::default();
        for t in terms {
            match t.as_str() {
                "hour" => c.hour = true,
                "weekday" => c.weekday = true,
                other => {
                    return Err(Error::Invalid(format!(
                        "--calendar {other:?}: not a calendar term (hour, weekday)"
                    )))
                }
            }
        }
        if let Some(tz) = tz {
            match parse_offset(tz) {
                Some(offset) => c.offset_s = offset,
                None if tz.parse::<chrono_tz::Tz>().is_ok() => c.zone = Some(tz.to_string()),
                None => {
                    return Err(Error::Invalid(format!(
                        "--tz {tz:?}: not a UTC offset (UTC, +09:00, -05:00, +0530) or a time zone name (Europe/Paris)"
                    )))
                }
            }
        }
        Ok(c)
    }

    /// The offset from UTC, in seconds, of local time at the instant `ns`.
    fn offset_at(&self, ns: i64) -> i64 {
        use chrono::{Offset, TimeZone};
        let Some(zone) = self
            .zone
            .as_deref()
            .and_then(|z| z.parse::<chrono_tz::Tz>().ok())
        else {
            return self.offset_s;
        };
        let utc = chrono::DateTime::from_timestamp(ns.div_euclid(1_000_000_000), 0)
            .unwrap_or_default()
            .naive_utc();
        i64::from(zone.offset_from_utc_datetime(&utc).fix().local_minus_utc())
    }

    /// Values per step: 2 per term.
    pub fn width(&self) -> usize {
        2 * (usize::from(self.hour) + usize::from(self.weekday))
    }

    pub fn names(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.hour {
            v.push("hour".to_string());
        }
        if self.weekday {
            v.push("weekday".to_string());
        }
        v
    }

    /// The terms of the interval starting at `ns`, appended to `out`.
    pub fn push(&self, ns: i64, out: &mut Vec<f64>) {
        let local = ns.div_euclid(1_000_000_000) + self.offset_at(ns);
        let tau = 2.0 * std::f64::consts::PI;
        if self.hour {
            let day = local.rem_euclid(86_400) as f64 / 86_400.0;
            out.push((tau * day).sin());
            out.push((tau * day).cos());
        }
        if self.weekday {
            // 1970-01-01 was a Thursday: shift so that Monday 00:00 is 0.
            let week = (local + 3 * 86_400).rem_euclid(7 * 86_400) as f64 / (7.0 * 86_400.0);
            out.push((tau * week).sin());
            out.push((tau * week).cos());
        }
    }
}

fn parse_offset(tz: &str) -> Option<i64> {
    if tz.eq_ignore_ascii_case("utc") || tz == "Z" {
        return Some(0);
    }
    let (sign, rest) = match tz.as_bytes().first()? {
        b'+' => (1, &tz[1..]),
        b'-' => (-1, &tz[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i64, i64) = (digits[..2].parse().ok()?, digits[2..].parse().ok()?);
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

/// The columns a model reads, aligned on the target's intervals.
#[derive(Clone, Debug)]
pub struct Inputs {
    /// The target per second.
    pub target: Vec<f64>,
    /// Each feature per second, by name.
    pub features: Vec<(String, Vec<f64>)>,
    pub start_ns: Vec<i64>,
    pub calendar: Calendar,
    /// Per interval: whether the target or a feature had no value there (it was filled).
    /// Empty when none is missing.
    pub missing: Vec<bool>,
}

/// Loads the target series and each feature column of the same input on the same intervals.
pub fn load(
    inputs: &[PathBuf],
    opts: &SeriesOptions,
    features: &[String],
    calendar: &Calendar,
) -> Result<(Series, Inputs)> {
    let series = series::load(inputs, opts)?;
    let mut columns = Vec::new();
    let mut missing = series.missing.clone();
    for name in features {
        let source = series::source(inputs)?;
        if matches!(source, series::Source::Packets(_)) {
            return Err(Error::Dataset {
                path: inputs[0].clone(),
                message: format!(
                    "--features {name}: a per-packet table has one series; give a series table (`ntp aggregate`) or a series file"
                ),
            });
        }
        let f = series::from_source(
            &source,
            &SeriesOptions {
                column: Some(name.clone()),
                ..opts.clone()
            },
        )
        .map_err(|e| match e {
            // The reader names the option it was given the column by.
            Error::Dataset { path, message } => Error::Dataset {
                path,
                message: message.replacen("--column", "--features", 1),
            },
            other => other,
        })?;
        if f.start_ns != series.start_ns {
            return Err(Error::Dataset {
                path: inputs[0].clone(),
                message: format!(
                    "--features {name}: its intervals differ from the target's ({} vs {})",
                    f.len(),
                    series.len()
                ),
            });
        }
        columns.push((name.clone(), f.rates()));
        if !f.missing.is_empty() {
            missing.resize(series.len(), false);
            for (m, &fm) in missing.iter_mut().zip(&f.missing) {
                *m |= fm;
            }
        }
    }
    let inputs = Inputs {
        target: series.rates(),
        features: columns,
        start_ns: series.start_ns.clone(),
        calendar: calendar.clone(),
        missing,
    };
    Ok((series, inputs))
}

impl Inputs {
    /// The inputs of a series alone (no feature columns).
    pub fn of(series: &Series, calendar: &Calendar) -> Inputs {
        Inputs {
            target: series.rates(),
            features: Vec::new(),
            start_ns: series.start_ns.clone(),
            calendar: calendar.clone(),
            missing: series.missing.clone(),
        }
    }

    /// Values per step: the target, the features, the calendar terms.
    pub fn width(&self) -> usize {
        1 + self.features.len() + self.calendar.width()
    }

    pub fn has_extra(&self) -> bool {
        self.width() > 1
    }

    /// MinMax scalers of the target and each feature on `x[..fit_end]` (all of it with
    /// `on_all`, the study's leak).
    pub fn scalers(&self, fit_end: usize, on_all: bool) -> Vec<Scaler> {
        let end = if on_all { self.target.len() } else { fit_end };
        std::iter::once(&self.target)
            .chain(self.features.iter().map(|f| &f.1))
            .map(|v| Scaler::fit(&v[..end]))
            .collect()
    }

    /// The scaled values of step `t`, appended to `out`.
    pub fn push_step(&self, t: usize, scalers: &[Scaler], out: &mut Vec<f32>) {
        out.push(scalers[0].scale(self.target[t]) as f32);
        for (k, f) in self.features.iter().enumerate() {
            out.push(scalers[k + 1].scale(f.1[t]) as f32);
        }
        let mut cal = Vec::with_capacity(self.calendar.width());
        self.calendar.push(self.start_ns[t], &mut cal);
        out.extend(cal.into_iter().map(|v| v as f32));
    }

    /// Windows `range` scaled for the network: inputs L·width per window (step-major) and
    /// the scaled target paths (H per window).
    pub fn windows(
        &self,
        w: &Windows,
        range: std::ops::Range<usize>,
        scalers: &[Scaler],
    ) -> (Vec<Vec<f32>>, Vec<f32>) {
        let xs = range
            .clone()
            .map(|i| {
                let mut row = Vec::with_capacity(w.look_back * self.width());
                for t in w.starts[i]..w.starts[i] + w.look_back {
                    self.push_step(t, scalers, &mut row);
                }
                row
            })
            .collect();
        let ys = w
            .path_targets(range)
            .map(|t| scalers[0].scale(self.target[t]) as f32)
            .collect();
        (xs, ys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_terms_and_offsets() {
        let c = Calendar::parse(&["hour".into(), "weekday".into()], Some("+06:00")).unwrap();
        assert_eq!(c.width(), 4);
        let mut v = Vec::new();
        // 2024-01-01 (a Monday) 18:00 UTC = Tuesday 00:00 at +06:00.
        c.push(1_704_132_000 * 1_000_000_000, &mut v);
        assert!(v[0].abs() < 1e-12 && (v[1] - 1.0).abs() < 1e-12, "{v:?}");
        let week = 1.0 / 7.0 * 2.0 * std::f64::consts::PI;
        assert!((v[2] - week.sin()).abs() < 1e-12 && (v[3] - week.cos()).abs() < 1e-12);
        assert!(Calendar::parse(&["month".into()], None).is_err());
        // A zone name: its offset at each instant, daylight saving included.
        let paris = Calendar::parse(&["hour".into()], Some("Europe/Paris")).unwrap();
        let (mut winter, mut summer) = (Vec::new(), Vec::new());
        paris.push(1_704_110_400 * 1_000_000_000, &mut winter); // 2024-01-01 12:00 UTC: 13:00
        paris.push(1_719_835_200 * 1_000_000_000, &mut summer); // 2024-07-01 12:00 UTC: 14:00
        let at = |h: f64| (std::f64::consts::TAU * h / 24.0).sin();
        assert!((winter[0] - at(13.0)).abs() < 1e-12 && (summer[0] - at(14.0)).abs() < 1e-12);
        assert!(Calendar::parse(&[], Some("Mars/Olympus")).is_err());
        assert_eq!(parse_offset("-0530"), Some(-(5 * 3600 + 30 * 60)));
    }
}
