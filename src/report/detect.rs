//! Writers of `ntp detect`'s outputs ([`super::outputs::DetectFile`]): the scored
//! intervals, the events, the scores against labels and the figure.

use std::path::Path;

use crate::detect::labels::Label;
use crate::detect::{DetectOptions, Detection};
use crate::error::Result;
use crate::render::plot::{self, Canvas, TimeAxis};
use crate::report::outputs::{DetectFile, DetectOutputs};
use crate::util::atomic::write_atomically;
use crate::util::time::timestamp_text;

/// Writes every output of a detection made with `opts` (the scores only when it was scored
/// against `labels`), the figure at `dpi`.
pub fn write(
    d: &Detection,
    opts: &DetectOptions,
    labels: &[Label],
    files: &DetectOutputs,
    dpi: u32,
) -> Result<()> {
    let title = format!(
        "{}: {} at {} %",
        files.stem,
        opts.method.name(),
        (opts.level * 1e4).round() / 100.0
    );
    write_detections(d, &files.path(DetectFile::DetectCsv))?;
    write_events(d, &files.path(DetectFile::EventsCsv))?;
    write_scores(d, opts.method.name(), &files.path(DetectFile::ScoresCsv))?;
    figure(
        d,
        labels,
        &title,
        opts.level,
        dpi,
        &files.path(DetectFile::DetectPng),
    )
}

fn num(v: f64) -> String {
    if v.is_finite() {
        let mut b = ryu::Buffer::new();
        b.format(v).to_string()
    } else {
        String::new()
    }
}

/// The header of `detect.csv` for one column.
pub const DETECT_HEADER: &str = "timestamp,value,forecast,lower,upper,score,alarm,probability";

/// The header of `events.csv`.
pub const EVENTS_HEADER: &str = "start,end,kind,peak,score,column,probability";

/// `timestamp,value,forecast,lower,upper,score,alarm,probability` (a leading `column` with
/// several);
/// an interval the file had no value for is not judged and has no row.
fn write_detections(d: &Detection, dest: &Path) -> Result<()> {
    let several = d.columns.len() > 1;
    write_atomically(dest, |w| {
        let head = DETECT_HEADER;
        if several {
            writeln!(w, "column,{head}")?;
        } else {
            writeln!(w, "{head}")?;
        }
        for c in &d.columns {
            let j = &c.judged;
            for i in 0..j.score.len() {
                if j.unscored.get(i).copied().unwrap_or(false) {
                    continue;
                }
                let t = j.first + i;
                if several {
                    write!(w, "{},", c.column)?;
                }
                writeln!(
                    w,
                    "{},{},{},{},{},{},{},{}",
                    timestamp_text(d.start_ns[t]),
                    num(c.values[t]),
                    num(j.forecast[i]),
                    num(j.lower[i]),
                    num(j.upper[i]),
                    num(j.score[i]),
                    c.alarm[i],
                    num(j.probability[i])
                )?;
            }
        }
        Ok(())
    })
}

/// `start,end,kind,peak,score,column,probability` (the end exclusive).
fn write_events(d: &Detection, dest: &Path) -> Result<()> {
    write_atomically(dest, |w| {
        writeln!(w, "{EVENTS_HEADER}")?;
        for e in &d.events {
            let end = d.start_ns[e.end - 1] + d.every_ns;
            writeln!(
                w,
                "{},{},{},{},{},{},{}",
                timestamp_text(d.start_ns[e.start]),
                timestamp_text(end),
                e.kind,
                num(e.peak),
                num(e.score),
                e.column,
                num(e.probability)
            )?;
        }
        Ok(())
    })
}

/// One row of scores: windows, found, events, true events, recall, precision, F1, delay,
/// NAB score.
fn write_scores(d: &Detection, method: &str, dest: &Path) -> Result<()> {
    let Some(s) = &d.scores else { return Ok(()) };
    write_atomically(dest, |w| {
        writeln!(
            w,
            "method,windows,found,events,true_events,recall,precision,f1,delay_s,nab_standard"
        )?;
        writeln!(
            w,
            "{method},{},{},{},{},{},{},{},{},{}",
            s.windows,
            s.found,
            s.events,
            s.true_events,
            num(s.recall),
            num(s.precision),
            num(s.f1),
            num(s.delay_s),
            num(s.nab)
        )
    })
}

/// The figure, three panels over one time axis: the series in its own units with the
/// forecast as a line, the band as a light ribbon (cut at the 99.5th percentile of the
/// values, above which it would only hide the series), alarms as red marks, the events found
/// shaded red and the labelled windows grey; the series as the detector judges it — ln(1 +
/// value) for a column without negative values — inside its whole band; and each interval's
/// anomaly probability p as −log10(1 − p), the band's level a line (3 at 99.9 %: one
/// interval in a thousand of ordinary traffic goes past it). The lines are down-sampled
/// (LTTB); the alarm marks are not.
fn figure(
    d: &Detection,
    labels: &[Label],
    title: &str,
    level: f64,
    dpi: u32,
    dest: &Path,
) -> Result<()> {
    let axis = TimeAxis::new(&d.start_ns);
    let v = View::new(d, &axis);
    let labelled: Vec<(f64, f64)> = labels
        .iter()
        .map(|l| v.span(l.start_ns, l.end_ns))
        .collect();
    let panels = [
        v.series_panel(&labelled),
        v.judged_panel(),
        v.probability_panel(level),
    ];
    plot::panels(
        dest,
        Canvas::new(10.0, 8.0, dpi),
        title,
        &axis.label,
        &panels,
    )
}

/// The first column of a detection on the figure's time axis: what its three panels draw.
struct View<'a> {
    d: &'a Detection,
    c: &'a crate::detect::ColumnDetection,
    axis: &'a TimeAxis,
    /// The events found, as (start, end) on the axis.
    events: Vec<(f64, f64)>,
    /// The narrowest span drawn: 0.4 % of the axis, so that a one-interval event is seen.
    least: f64,
}

impl<'a> View<'a> {
    fn new(d: &'a Detection, axis: &'a TimeAxis) -> View<'a> {
        let c = &d.columns[0];
        let mut v = View {
            d,
            c,
            axis,
            events: Vec::new(),
            least: 0.0,
        };
        v.least = 0.004 * (v.x(c.values.len().saturating_sub(1)) - v.x(0)).abs();
        v.events = d
            .events
            .iter()
            .map(|e| v.span(d.start_ns[e.start], d.start_ns[e.end - 1] + d.every_ns))
            .collect();
        v
    }

    fn x(&self, t: usize) -> f64 {
        self.axis.x(self.d.start_ns[t])
    }

    fn span(&self, a: i64, b: i64) -> (f64, f64) {
        (self.axis.x(a), self.axis.x(b))
    }

    /// The scored intervals (indices into the judged vectors) where `keep` holds, as
    /// points of `y` on the axis.
    fn scored(&self, keep: impl Fn(usize) -> bool, y: impl Fn(usize) -> f64) -> Vec<(f64, f64)> {
        let j = &self.c.judged;
        (0..j.score.len())
            .filter(|&i| keep(i))
            .map(|i| (self.x(j.first + i), y(i)))
            .collect()
    }

    /// The band's (x, lower, upper) where it is finite, each side mapped by `f`.
    fn band(&self, f: impl Fn(f64) -> f64) -> Vec<(f64, f64, f64)> {
        let j = &self.c.judged;
        (0..j.score.len())
            .filter(|&i| j.lower[i].is_finite() && j.upper[i].is_finite())
            .map(|i| (self.x(j.first + i), f(j.lower[i]), f(j.upper[i])))
            .collect()
    }

    /// Spans shaded over the height (lo, hi), the first carrying the legend's label.
    fn shade(
        &self,
        spans: &[(f64, f64)],
        label: &str,
        color: plotters::style::RGBColor,
        (lo, hi): (f64, f64),
    ) -> Vec<plot::Band> {
        spans
            .iter()
            .enumerate()
            .map(|(i, &(a, b))| plot::Band {
                label: if i == 0 { label.into() } else { String::new() },
                color,
                points: vec![(a, lo, hi), (b.max(a + self.least), lo, hi)],
            })
            .collect()
    }

    fn values(&self) -> Vec<(f64, f64)> {
        (0..self.c.values.len())
            .map(|t| (self.x(t), self.c.values[t]))
            .collect()
    }

    /// The series in its units, the forecast, the band cut at the 99.5th percentile of the
    /// values (above it the ribbon would only hide the series), alarms, events, labels.
    fn series_panel(&self, labelled: &[(f64, f64)]) -> plot::Panel {
        let (c, j) = (self.c, &self.c.judged);
        let values = self.values();
        let (lo, hi) = range(values.iter().map(|p| p.1));
        let mut sorted: Vec<f64> = c.values.iter().copied().filter(|v| v.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        let cut = sorted
            .get(((sorted.len() as f64 - 1.0) * 0.995).round() as usize)
            .copied()
            .unwrap_or(hi)
            .max(f64::MIN_POSITIVE);
        let forecast = self.scored(|i| j.forecast[i].is_finite(), |i| j.forecast[i]);
        let alarms = self.scored(
            |i| c.alarm.get(i).copied().unwrap_or(false),
            |i| c.values[j.first + i],
        );
        let mut bands = self.shade(labelled, "labelled", plot::LIGHT_GREY, (lo, hi));
        bands.extend(self.shade(&self.events, "events found", plot::RED, (lo, hi)));
        bands.push(plot::Band {
            label: "band (cut at the 99.5th percentile)".into(),
            color: plot::BLUE,
            points: self.band(|v| v.clamp(lo, cut)),
        });
        plot::Panel {
            title: "the series, its forecast and band, the alarms and events".into(),
            y_label: c.column.clone(),
            lines: vec![
                line(values, "", plot::GREY),
                line(forecast, "forecast", plot::BLUE),
            ],
            marks: vec![plot::Series {
                label: "alarms".into(),
                color: plot::RED,
                points: alarms,
            }],
            bands,
        }
    }

    /// The series as the detector judges it — ln(1 + value) for a column without negative
    /// values — inside its whole band (clipped to the series' range).
    fn judged_panel(&self) -> plot::Panel {
        let c = self.c;
        let log = c.values.iter().all(|v| *v >= 0.0);
        let view = |v: f64| if log { v.max(0.0).ln_1p() } else { v };
        let judged: Vec<(f64, f64)> = self
            .values()
            .into_iter()
            .map(|(t, v)| (t, view(v)))
            .collect();
        let (lo, hi) = range(judged.iter().map(|p| p.1));
        plot::Panel {
            title: if log {
                "as judged: ln(1 + value) inside its band".into()
            } else {
                "as judged: the value inside its band".into()
            },
            y_label: if log {
                format!("ln(1 + {})", c.column)
            } else {
                c.column.clone()
            },
            lines: vec![line(judged, "", plot::GREY)],
            marks: Vec::new(),
            bands: vec![plot::Band {
                label: "band".into(),
                color: plot::BLUE,
                points: self.band(|v| view(v).clamp(lo, hi)),
            }],
        }
    }

    /// Each interval's anomaly probability p as −log10(1 − p), the band's level a line
    /// over the whole series (so that the panels share their time axis), events shaded.
    fn probability_panel(&self, level: f64) -> plot::Panel {
        let j = &self.c.judged;
        let surprise = |p: f64| -(1.0 - p).max(1e-12).log10();
        let probability = self.scored(
            |i| j.probability[i].is_finite(),
            |i| surprise(j.probability[i]),
        );
        let (_, top) = range(
            probability
                .iter()
                .map(|p| p.1)
                .chain([surprise(level) + 1.0]),
        );
        let y = surprise(level);
        let level_line = plot::Series {
            label: format!("band level {} %", (level * 1e4).round() / 100.0),
            color: plot::RED,
            points: vec![
                (self.x(0), y),
                (self.x(self.c.values.len().saturating_sub(1)), y),
            ],
        };
        plot::Panel {
            title: "anomaly probability p, as -log10(1 - p)".into(),
            y_label: "-log10(1 - p)".into(),
            lines: vec![line(probability, "", plot::GREY), level_line],
            marks: Vec::new(),
            bands: self.shade(&self.events, "", plot::RED, (0.0, top)),
        }
    }
}

/// A line of a panel, down-sampled (LTTB) to 4 000 points.
fn line(points: Vec<(f64, f64)>, label: &str, color: plotters::style::RGBColor) -> plot::Series {
    plot::Series {
        label: label.into(),
        color,
        points: crate::render::lttb::lttb(&points, 4000),
    }
}

/// The finite range of some values ((0, 1) when there are none).
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if lo.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    }
}
