//! `ntp detect`: the series of an input → causal detection → events, scores, figure.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use ntp::detect::{self, DetectOptions, Method};
use ntp::report::detect as out;
use ntp::report::outputs::{DetectFile, DetectOutputs};
use ntp::series::{self, Series, SeriesOptions};

use super::many::{self, Done, ManyRun, Part};
use super::Ui;
use crate::cli::detect::MethodArg;
use crate::cli::DetectArgs;

/// The series of every column asked for.
fn columns(args: &DetectArgs) -> Result<Vec<(String, Series)>> {
    let base: SeriesOptions = (&args.series).into();
    let source = series::source(&args.io.inputs)?;
    if args.many.columns.is_empty() {
        let s = series::from_source(&source, &base)?;
        let name = base.column.clone().unwrap_or_else(|| s.quantity.0.clone());
        return Ok(vec![(name, s)]);
    }
    args.many
        .columns
        .iter()
        .map(|c| {
            let opts = SeriesOptions {
                column: Some(c.clone()),
                ..base.clone()
            };
            Ok((c.clone(), series::from_source(&source, &opts)?))
        })
        .collect()
}

pub fn run(args: &DetectArgs, ui: &Ui) -> Result<ExitCode> {
    if !(args.margin >= 0.0 && args.margin.is_finite()) {
        bail!(
            "--margin {}: a number of band half-widths, 0 or more",
            args.margin
        );
    }
    if !(50.0..100.0).contains(&args.level) {
        bail!(
            "--level {}: a percentage between 50 and 100 (excluded)",
            args.level
        );
    }
    ntp::render::plot::check_dpi(args.dpi)?;
    if let Some(p) = args.alarm_probability {
        if !(p > 0.0 && p < 1.0) {
            bail!("--alarm-probability {p}: a probability between 0 and 1 (excluded)");
        }
    }
    let opts = DetectOptions {
        method: match args.method {
            MethodArg::Forecast => Method::Forecast,
            MethodArg::RobustZ => Method::RobustZ,
        },
        level: args.level / 100.0,
        margin: args.margin,
        gap: args.gap,
        initial: args.initial,
        window: None,
        alarm_probability: args.alarm_probability,
    };
    let base: SeriesOptions = (&args.series).into();
    if let Some(m) = many::open(&args.io.inputs, &base, &args.many, &args.io.output, true)? {
        if args.labels.is_some() {
            bail!(
                "--labels: the labels of one series; a file of many series is judged without them"
            );
        }
        return run_many(&m, &opts, base.fill, args.dpi, ui);
    }
    let labels = args
        .labels
        .as_deref()
        .map(|l| detect::labels::read(l, &args.io.inputs[0]))
        .transpose()?;
    let series = columns(args)?;
    let fill = base.fill;
    for (name, s) in &series {
        if let Some(w) = s.data_warning(fill) {
            ui.warning(&format!("{name}: {w}"));
        }
    }
    let input = args.io.inputs[0].display();
    let d = detect::detect(&series, &opts, labels.as_deref()).with_context(|| input.to_string())?;
    if let Some(l) = &args.labels {
        for w in &d.warnings {
            ui.warning(&format!("{}: {w}", l.display()));
        }
    }
    let stem = ntp::dataset::stem_of(&args.io.inputs);
    std::fs::create_dir_all(&args.io.output)
        .map_err(|e| ntp::error::Error::io(&args.io.output, e))?;
    let files = DetectOutputs::new(&args.io.output, &stem);
    out::write(&d, &opts, &d.labels, &files, args.dpi)?;
    let events = files.path(DetectFile::EventsCsv);
    for c in &d.columns {
        let unscored = c.judged.unscored.iter().filter(|u| **u).count();
        if unscored > 0 {
            ui.info(format!(
                "{}: {unscored} intervals with no value in the file were not judged",
                c.column
            ));
        }
        ui.info(format!(
            "{}: {} (seasons {:?}), {} intervals scored after {}",
            c.column,
            c.judged.model,
            c.periods,
            c.judged.score.len() - unscored,
            c.judged.first
        ));
    }
    ui.info(format!("{} events → {}", d.events.len(), events.display()));
    if let Some(s) = &d.scores {
        let line = format!(
            "labels: {} of {} windows found, {} of {} events true; recall {:.2}, precision {:.2}, F1 {:.2}, mean delay {:.0} s, NAB standard {:.1}",
            s.found, s.windows, s.true_events, s.events, s.recall, s.precision, s.f1, s.delay_s, s.nab
        );
        super::out(line)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Each series of a many-series file judged as a file of its own; every series' rows of
/// `detect.csv` and `events.csv` combined, with an `id` column.
fn run_many(
    m: &ManyRun,
    opts: &DetectOptions,
    fill: series::Fill,
    dpi: u32,
    ui: &Ui,
) -> Result<ExitCode> {
    let dir = m.dir();
    let tables = [
        ("detect.csv", Some(out::DETECT_HEADER)),
        ("events.csv", Some(out::EVENTS_HEADER)),
    ];
    m.each(ui, &|s| s.data_warning(fill), &tables, |stem, _, s| {
        let name = s.quantity.0.clone();
        let d = detect::detect(&[(name, s)], opts, None)?;
        let files = DetectOutputs::new(&dir, stem);
        std::fs::create_dir_all(&dir).map_err(|e| ntp::error::Error::io(&dir, e))?;
        out::write(&d, opts, &d.labels, &files, dpi)?;
        Ok(Done {
            parts: vec![
                Part::Copy(files.path(DetectFile::DetectCsv)),
                Part::Copy(files.path(DetectFile::EventsCsv)),
            ],
            summary: format!("ok: {} events", d.events.len()),
        })
    })
}
