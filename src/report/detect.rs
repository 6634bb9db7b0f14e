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
    use plot::{Band, Panel, Series};
    let axis = TimeAxis::new(&d.start_ns);
    let c = &d.columns[0];
    let j = &c.judged;
    let x = |t: usize| axis.x(d.start_ns[t]);
    let span = |a: i64, b: i64| (axis.x(a), axis.x(b));
    let events: Vec<(f64, f64)> = d
        .events
        .iter()
        .map(|e| span(d.start_ns[e.start], d.start_ns[e.end - 1] + d.every_ns))
        .collect();
    let labelled: Vec<(f64, f64)> = labels.iter().map(|l| span(l.start_ns, l.end_ns)).collect();
    let log = c.values.iter().all(|v| *v >= 0.0);
    let view = |v: f64| if log { v.max(0.0).ln_1p() } else { v };
    let line = |points: Vec<(f64, f64)>, label: &str, color| Series {
        label: label.into(),
        color,
        points: crate::render::lttb::lttb(&points, 4000),
    };
    let values: Vec<(f64, f64)> = (0..c.values.len()).map(|t| (x(t), c.values[t])).collect();
    let judged: Vec<(f64, f64)> = values.iter().map(|&(t, v)| (t, view(v))).collect();
    let (lo, hi) = range(values.iter().map(|p| p.1));
    let (jlo, jhi) = range(judged.iter().map(|p| p.1));
    // The band, in the detector's view, clipped to the series' range.
    let band: Vec<(f64, f64, f64)> = (0..j.score.len())
        .filter(|&i| j.lower[i].is_finite() && j.upper[i].is_finite())
        .map(|i| {
            let (a, b) = (view(j.lower[i]), view(j.upper[i]));
            (x(j.first + i), a.clamp(jlo, jhi), b.clamp(jlo, jhi))
        })
        .collect();
    let surprise = |p: f64| -(1.0 - p).max(1e-12).log10();
    let probability: Vec<(f64, f64)> = (0..j.score.len())
        .filter(|&i| j.probability[i].is_finite())
        .map(|i| (x(j.first + i), surprise(j.probability[i])))
        .collect();
    let (_, phi) = range(
        probability
            .iter()
            .map(|p| p.1)
            .chain([surprise(level) + 1.0]),
    );
    // An event of one interval is drawn at least 0.4 % of the axis wide, to be seen.
    let least = 0.004 * (x(c.values.len().saturating_sub(1)) - x(0)).abs();
    let shade = |spans: &[(f64, f64)], label: &str, color, (lo, hi): (f64, f64)| -> Vec<Band> {
        spans
            .iter()
            .enumerate()
            .map(|(i, &(a, b))| Band {
                label: if i == 0 { label.into() } else { String::new() },
                color,
                points: vec![(a, lo, hi), (b.max(a + least), lo, hi)],
            })
            .collect()
    };
    // The ribbon in the series' own units, cut where it would only hide the series.
    let mut sorted: Vec<f64> = c.values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let cut = sorted
        .get(((sorted.len() as f64 - 1.0) * 0.995).round() as usize)
        .copied()
        .unwrap_or(hi)
        .max(f64::MIN_POSITIVE);
    let ribbon: Vec<(f64, f64, f64)> = (0..j.score.len())
        .filter(|&i| j.lower[i].is_finite() && j.upper[i].is_finite())
        .map(|i| {
            (
                x(j.first + i),
                j.lower[i].clamp(lo, cut),
                j.upper[i].clamp(lo, cut),
            )
        })
        .collect();
    let forecast: Vec<(f64, f64)> = (0..j.score.len())
        .filter(|&i| j.forecast[i].is_finite())
        .map(|i| (x(j.first + i), j.forecast[i]))
        .collect();
    let alarms: Vec<(f64, f64)> = (0..j.score.len())
        .filter(|&i| c.alarm.get(i).copied().unwrap_or(false))
        .map(|i| (x(j.first + i), c.values[j.first + i]))
        .collect();
    let mut marked = shade(&labelled, "labelled", plot::LIGHT_GREY, (lo, hi));
    marked.extend(shade(&events, "events found", plot::RED, (lo, hi)));
    marked.push(Band {
        label: "band (cut at the 99.5th percentile)".into(),
        color: plot::BLUE,
        points: ribbon,
    });
    let level_line = {
        // Over the whole series, so that the three panels share their time axis.
        let (x0, x1) = (x(0), x(c.values.len().saturating_sub(1)));
        let y = surprise(level);
        Series {
            label: format!("band level {} %", (level * 1e4).round() / 100.0),
            color: plot::RED,
            points: vec![(x0, y), (x1, y)],
        }
    };
    let panels = [
        Panel {
            title: "the series, its forecast and band, the alarms and events".into(),
            y_label: c.column.clone(),
            lines: vec![
                line(values.clone(), "", plot::GREY),
                line(forecast, "forecast", plot::BLUE),
            ],
            marks: vec![Series {
                label: "alarms".into(),
                color: plot::RED,
                points: alarms,
            }],
            bands: marked,
        },
        Panel {
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
            bands: vec![Band {
                label: "band".into(),
                color: plot::BLUE,
                points: band,
            }],
        },
        Panel {
            title: "anomaly probability p, as -log10(1 - p)".into(),
            y_label: "-log10(1 - p)".into(),
            lines: vec![line(probability, "", plot::GREY), level_line],
            marks: Vec::new(),
            bands: shade(&events, "", plot::RED, (0.0, phi)),
        },
    ];
    plot::panels(
        dest,
        Canvas::new(10.0, 8.0, dpi),
        title,
        &axis.label,
        &panels,
    )
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
