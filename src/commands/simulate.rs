//! `ntp simulate`: a labelled series table (and capture) from the traffic model.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};
use ntp::dataset::writer::TimestampUnit;
use ntp::simulate::{self, Request};

use super::Ui;
use crate::cli::SimulateArgs;

/// Refuses a capture path that is also the series or labels output (it would be
/// written, then replaced).
fn check_outputs(capture: Option<&Path>, series: &Path, labels: &Path) -> Result<()> {
    let Some(capture) = capture else {
        return Ok(());
    };
    for (other, what) in [(series, "series table"), (labels, "labels")] {
        if ntp::util::atomic::same_file(capture, other) {
            bail!(
                "--capture {}: is also where the {what} is written; choose another name",
                capture.display()
            );
        }
    }
    Ok(())
}

pub fn run(args: &SimulateArgs, ui: &Ui) -> Result<ExitCode> {
    let opts = Request {
        every: &args.every,
        days: args.days,
        rate: args.rate,
        trend: args.trend,
        hosts: args.hosts,
        hurst: args.hurst,
        events: &args.events,
        start_ns: args.start,
        seed: args.seed,
        capture: args.capture.clone(),
    }
    .options()?;
    let unit: TimestampUnit = (&args.unit).into();
    unit.check_every(opts.model.every_ns)?;
    std::fs::create_dir_all(&args.output).map_err(|e| ntp::error::Error::io(&args.output, e))?;
    let series = args.output.join(format!("{}.series.parquet", args.stem));
    let labels = args.output.join(format!("{}.labels.csv", args.stem));
    check_outputs(opts.capture.as_deref(), &series, &labels)?;
    let s = simulate::simulate(&opts, &ui.progress)?;
    simulate::write_table(&s, &series, unit)?;
    simulate::write_labels(&labels, &opts.model, &s.events)?;
    ui.info(format!(
        "{}: {} intervals of {}, {} packets, {} events → {}",
        series.display(),
        s.table.len(),
        args.every,
        s.packets,
        s.events.len(),
        labels.display()
    ));
    if let Some(c) = &opts.capture {
        ui.info(format!("capture: {}", c.display()));
    }
    Ok(ExitCode::SUCCESS)
}
