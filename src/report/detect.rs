//! Writers of `ntp detect`'s outputs ([`super::outputs::DetectFile`]): the scored
//! intervals, the events, the scores against labels and the figure.

use std::path::Path;

use crate::detect::labels::Label;
use crate::detect::{DetectOptions, Detection};
use crate::error::Result;
use crate::report::outputs::{DetectFile, DetectOutputs};
use crate::report::plot::{self, Canvas, TimeAxis};
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
    figure(d, labels, &title, dpi, &files.path(DetectFile::DetectPng))
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

/// The first column's series with its band, the events shaded and the labels drawn.
fn figure(d: &Detection, labels: &[Label], title: &str, dpi: u32, dest: &Path) -> Result<()> {
    let axis = TimeAxis::new(&d.start_ns);
    let c = &d.columns[0];
    let j = &c.judged;
    let x = |t: usize| axis.x(d.start_ns[t]);
    let series: Vec<(f64, f64)> = (0..c.values.len()).map(|t| (x(t), c.values[t])).collect();
    // A band on the log scale can reach far above the series: drawn clipped to its range.
    let top = 1.5 * c.values.iter().fold(0.0f64, |m, v| m.max(*v));
    let band: Vec<(f64, f64, f64)> = (0..j.score.len())
        .map(|i| (x(j.first + i), j.lower[i].max(0.0), j.upper[i].min(top)))
        .collect();
    let span = |a: i64, b: i64| (axis.x(a), axis.x(b));
    let events: Vec<(f64, f64)> = d
        .events
        .iter()
        .map(|e| span(d.start_ns[e.start], d.start_ns[e.end - 1] + d.every_ns))
        .collect();
    let labelled: Vec<(f64, f64)> = labels.iter().map(|l| span(l.start_ns, l.end_ns)).collect();
    plot::detection(
        dest,
        Canvas::new(10.0, 4.5, dpi),
        title,
        &axis.label,
        &c.column,
        &crate::report::lttb::lttb(&series, 4000),
        &band,
        &events,
        &labelled,
    )
}
