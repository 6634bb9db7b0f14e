//! `ntp pipeline`: capture → dataset → analysis → training → `report.md`, one command. Each
//! stage is skipped when its outputs are newer than its inputs (`--force` reruns
//! everything), so a second run is a no-op.

use ntp::dataset::reader;
use ntp::dataset::writer::TimestampUnit;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use ntp::analysis::{self, AnalysisOptions};
use ntp::dataset::convert;
use ntp::decode::report::FileReport;
use ntp::forecast::experiment::TrainOptions;
use ntp::forecast::sweep;
use ntp::report;
use ntp::report::document::{self, Section};
use ntp::report::outputs::{report_path, AnalysisOutputs, DetectFile, DetectOutputs, TrainOutputs};
use ntp::series::aggregate;
use ntp::series::parse_every;
use ntp::series::table::{sizes_path, top_path, Column};
use ntp::util::fresh::up_to_date;
use ntp::util::time::duration_text;

use super::Ui;
use crate::cli::PipelineArgs;

/// The real capture bundled with ntp (MIT OR Apache-2.0; see tests/data/PROVENANCE.md).
const SAMPLE: &str = "tests/data/lan-broadcast-28min-ns.pcapng";

/// Where the bundled sample is: relative to the working directory, else to the source tree
/// ntp was built from.
fn sample_path() -> PathBuf {
    let local = PathBuf::from(SAMPLE);
    if local.exists() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(SAMPLE)
    }
}

/// What the stages did for one capture.
struct CaptureRun {
    capture: PathBuf,
    /// The dataset the analysis read: series table, per-packet table or series file.
    dataset: PathBuf,
    stem: String,
    /// For each stage run: (stage, ran now?).
    stages: Vec<(&'static str, bool)>,
    /// Stages that had nothing to work on (said as skipped, not done).
    skipped: Vec<&'static str>,
    reports: Vec<FileReport>,
    notices: Vec<String>,
}

impl CaptureRun {
    fn ran(&self) -> bool {
        self.stages.iter().any(|s| s.1)
    }

    /// `stem: preprocess done, analyze up to date, train done`.
    fn summary(&self) -> String {
        let stages: Vec<String> = self
            .stages
            .iter()
            .map(|(name, ran)| {
                let state = match (self.skipped.contains(name), ran) {
                    (true, _) => "skipped",
                    (false, true) => "done",
                    (false, false) => "up to date",
                };
                format!("{name} {state}")
            })
            .collect();
        format!("{}: {}", self.stem, stages.join(", "))
    }
}

struct Options {
    dir: PathBuf,
    force: bool,
    /// The per-packet road (`--packets`) instead of the one-pass series.
    packets: bool,
    /// Unit of the time column of the tables written.
    unit: TimestampUnit,
    analysis: AnalysisOptions,
    train: Option<TrainOptions>,
}

/// A series file given to the pipeline goes straight to the analysis.
fn is_series_file(p: &Path) -> bool {
    ntp::series::file::is_csv(p)
        || p.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// Refuses two inputs whose outputs would share a name (`a/link.csv b/link.csv`, or
/// `x.pcap x.csv`): the second would be taken as up to date and never read.
fn distinct_stems(inputs: &[PathBuf], datasets: &[PathBuf]) -> Result<()> {
    let mut seen: std::collections::HashMap<String, &Path> = Default::default();
    for (input, dataset) in inputs.iter().zip(datasets) {
        let stem = ntp::dataset::stem_of(std::slice::from_ref(dataset));
        if let Some(first) = seen.insert(stem.clone(), input) {
            anyhow::bail!(
                "{} and {} would both write {stem}.* in the output directory: rename one, or run them into different -o directories",
                first.display(),
                input.display()
            );
        }
    }
    Ok(())
}

/// The first stage: capture → series table (or per-packet table with `--packets`); a
/// series file is its own dataset. Returns (stage name, ran now?).
fn first_stage(
    capture: &Path,
    dataset: &Path,
    o: &Options,
    ui: &Ui,
    r: &mut CaptureRun,
) -> Result<Option<(&'static str, bool)>> {
    if dataset == capture {
        return Ok(None);
    }
    let input = [capture.to_owned()];
    // A table written in another unit is rebuilt, not taken as up to date.
    let other_unit =
        |column: &str| !reader::time_unit(dataset, column).is_ok_and(|u| u == o.unit.polars());
    if o.packets {
        let fresh = o.force
            || !up_to_date(&input, &[dataset.to_owned()])
            || other_unit(ntp::dataset::TIMESTAMP);
        if fresh {
            let opts = convert::WriteOptions {
                unit: o.unit,
                ..Default::default()
            };
            r.reports = convert::convert(&input, dataset, opts, &ui.progress)?;
        }
        return Ok(Some(("preprocess", fresh)));
    }
    let every = match &o.analysis.series.every {
        Some(e) => parse_every(e)?,
        None => 1_000_000_000,
    };
    let outputs = [dataset.to_owned(), sizes_path(dataset), top_path(dataset)];
    o.unit.check_every(every)?;
    // A table without the keyed columns (`aggregate --no-distinct`), or from an ntp
    // without the traffic features, is rebuilt too.
    let fresh = o.force
        || !up_to_date(&input, &outputs)
        || other_unit(ntp::series::table::TIMESTAMP)
        || !reader::has_column(dataset, Column::DstPortEntropy.name());
    if fresh {
        let mut opts = aggregate::Options::new(every, o.analysis.series.window, true);
        opts.top = aggregate::DEFAULT_TOP;
        opts.top_dest = Some((top_path(dataset), o.unit));
        let a = aggregate::aggregate(&input, dataset, &opts, &ui.progress)?;
        aggregate::write(&a, dataset, o.unit)?;
        if a.late_packets > 0 || !a.gaps.is_empty() || a.strays.is_some() {
            r.notices
                .push(a.summary(&duration_text(every)).trim().to_string());
        }
        r.reports = a.reports;
    }
    Ok(Some(("aggregate", fresh)))
}

/// Runs the stages of one capture that are not up to date.
fn one_capture(capture: &Path, dataset: &Path, o: &Options, ui: &Ui) -> Result<CaptureRun> {
    let stem = ntp::dataset::stem_of(&[dataset.to_owned()]);
    let mut r = CaptureRun {
        capture: capture.to_owned(),
        dataset: dataset.to_owned(),
        stem: stem.clone(),
        stages: Vec::new(),
        skipped: Vec::new(),
        reports: Vec::new(),
        notices: Vec::new(),
    };
    let first = first_stage(capture, dataset, o, ui, &mut r)?;
    let fresh = first.is_some_and(|f| f.1);
    r.stages.extend(first);
    let dataset_in = [dataset.to_owned()];

    let outputs = AnalysisOutputs::new(&o.dir, &stem);
    let has_sizes = sizes_path(dataset).exists() || (o.packets && dataset != capture);
    let stale = fresh || o.force || !up_to_date(&dataset_in, &outputs.expected(has_sizes));
    if stale {
        let spinner = ui.progress.spinner(format!("analyzing {stem}"));
        let outcome = analysis::compute(&dataset_in, &o.analysis)
            .and_then(|a| report::analysis::write(&a, &o.analysis).map(|_| a));
        spinner.finish_and_clear();
        let a = outcome?;
        r.notices.extend(a.data_warning);
        r.notices.extend(a.notices);
    }
    r.stages.push(("analyze", stale));

    let files = DetectOutputs::new(&o.dir, &stem);
    let detected = [
        DetectFile::DetectCsv,
        DetectFile::EventsCsv,
        DetectFile::DetectPng,
    ]
    .map(|f| files.path(f));
    let stale = fresh || o.force || !up_to_date(&dataset_in, &detected);
    if stale {
        let (notice, ran) = detect_stage(&dataset_in, &o.analysis, &files)?;
        r.notices.push(notice);
        if !ran {
            r.skipped.push("detect");
        }
    }
    r.stages.push(("detect", stale));

    if let Some(t) = &o.train {
        let outputs = TrainOutputs::new(&o.dir, &stem, t.hyper.epochs, t.hyper.batch_size);
        let stale = fresh || o.force || !up_to_date(&dataset_in, &outputs.all());
        if stale {
            let sweep = sweep::run(&dataset_in, t, &ui.progress)?;
            report::training::write(&sweep, t)?;
            r.notices.extend(sweep.warnings.iter().cloned());
            for row in sweep.summary.rows.iter().filter(|row| row.model.is_none()) {
                r.notices
                    .push(format!("look-back {}: {}", row.look_back, row.status));
            }
        }
        r.stages.push(("train", stale));
    }
    Ok(r)
}

/// `ntp detect`'s default on the analysed series: its files, a note of what it found,
/// and whether it ran (a series too short is skipped).
fn detect_stage(
    dataset: &[PathBuf],
    analysis: &AnalysisOptions,
    files: &DetectOutputs,
) -> Result<(String, bool)> {
    let series = ntp::series::load(dataset, &analysis.series)?;
    if series.len() < ntp::detect::MIN_POINTS {
        return Ok((
            format!(
                "detect skipped: {} intervals, fewer than {}",
                series.len(),
                ntp::detect::MIN_POINTS
            ),
            false,
        ));
    }
    let opts = ntp::detect::DetectOptions::default();
    let name = series.quantity.0.clone();
    let d = ntp::detect::detect(&[(name, series)], &opts, None)
        .with_context(|| dataset[0].display().to_string())?;
    report::detect::write(&d, &opts, &[], files, analysis.dpi)?;
    Ok((
        format!(
            "detect: {} events ({}; causal forecast band at 99.9 %)",
            d.events.len(),
            d.columns[0].judged.model
        ),
        true,
    ))
}

pub fn run(args: &PipelineArgs, ui: &Ui) -> Result<ExitCode> {
    let mut captures = args.captures.clone();
    if captures.is_empty() {
        let sample = sample_path();
        ui.info(format!(
            "no capture given: using the bundled sample {}",
            sample.display()
        ));
        captures.push(sample);
    }
    let dir = args.output.clone();
    let o = Options {
        analysis: args.analysis.options(&args.series, &dir),
        train: (!args.no_train).then(|| {
            let (period, dpi) = (args.analysis.period, args.analysis.dpi);
            args.training
                .options(&args.series, &dir, period.as_slice(), dpi)
        }),
        force: args.force,
        packets: args.packets,
        unit: (&args.unit).into(),
        dir,
    };
    // Bad options fail before any work is done.
    o.analysis.validate()?;
    if let Some(t) = &o.train {
        t.validate()?;
    }
    let datasets: Vec<PathBuf> = if o.packets {
        convert::dir_outputs(&captures, &o.dir)
    } else {
        ntp::capture::per_capture(&captures, &o.dir, ".series.parquet")
    }
    .into_iter()
    .zip(&captures)
    .map(|(d, c)| if is_series_file(c) { c.clone() } else { d })
    .collect();
    distinct_stems(&captures, &datasets)?;
    for c in captures.iter().filter(|c| is_series_file(c)) {
        if ntp::series::many::layout(c, None, &[])?.is_some() {
            anyhow::bail!(
                "{}: a file of many series (an id column): the pipeline takes one series; run `ntp analyze`, `ntp detect` or `ntp train` on it, each series on its own",
                c.display()
            );
        }
    }
    let mut runs = Vec::new();
    for (capture, dataset) in captures.iter().zip(&datasets) {
        let r = one_capture(capture, dataset, &o, ui)?;
        for rep in &r.reports {
            let duplicates = aggregate::duplicate_warning(rep);
            for w in rep.damage_warning().into_iter().chain(rep.stray_warning()) {
                ui.warning(&w);
            }
            if let Some(w) = duplicates {
                ui.warning(&w);
            }
        }
        ui.info(r.summary());
        ui.notes(&r.notices);
        runs.push(r);
    }
    let report_md = report_path(&o.dir);
    if runs.iter().any(CaptureRun::ran) || !report_md.exists() || o.force {
        let sections: Vec<Section<'_>> = runs
            .iter()
            .map(|r| Section {
                capture: &r.capture,
                dataset: &r.dataset,
                stem: &r.stem,
                notices: &r.notices,
            })
            .collect();
        document::write(&report_md, &sections, &o.analysis, o.train.as_ref())?;
    }
    ui.info(format!("report: {}", report_md.display()));
    Ok(ExitCode::SUCCESS)
}
