//! `ntp simulate`: a labelled series table (and capture) from the traffic model.

use std::process::ExitCode;

use anyhow::{bail, Result};
use ntp::dataset::writer::TimestampUnit;
use ntp::series::parse_every;
use ntp::simulate::model::{EventKind, Model};
use ntp::simulate::{self, Options};

use super::Ui;
use crate::cli::SimulateArgs;

/// The longest simulation, in intervals.
const MAX_INTERVALS: f64 = 10_000_000.0;
/// The most packets an interval may expect (memory holds a few intervals' packets).
const MAX_PER_INTERVAL: f64 = 200_000.0;
/// Hosts of the normal traffic: the IPv4 ones are numbered inside 10.0.0.0/8, and the
/// popularity table takes 8 bytes a host.
const MIN_HOSTS: usize = 10;
const MAX_HOSTS: usize = 10_000_000;
/// The most packets a simulation may expect (a capture of about 100 GB).
const MAX_PACKETS: f64 = 1e9;

fn options(args: &SimulateArgs) -> Result<Options> {
    let every_ns = parse_every(&args.every)?;
    let intervals = args.days * 86_400e9 / every_ns as f64;
    if !(1.0..=MAX_INTERVALS).contains(&intervals) {
        bail!(
            "--days {} at --every {}: {intervals:.0} intervals (1 to {MAX_INTERVALS} allowed)",
            args.days,
            args.every
        );
    }
    if !(MIN_HOSTS..=MAX_HOSTS).contains(&args.hosts) {
        bail!(
            "--hosts {}: between {MIN_HOSTS} and {MAX_HOSTS}",
            args.hosts
        );
    }
    if !(0.5..=0.975).contains(&args.hurst) {
        bail!("--hurst {}: between 0.5 and 0.975", args.hurst);
    }
    let rate_ok = args.rate > 0.0 && args.rate <= 1e8;
    if !(rate_ok && args.trend.is_finite() && args.trend > -1.0 && args.trend <= 10.0) {
        bail!("--rate must be in (0, 1e8] packets per second and --trend in (−1, 10]");
    }
    let per_interval = args.rate * every_ns as f64 / 1e9;
    if per_interval > MAX_PER_INTERVAL {
        bail!("--rate {} at --every {}: {per_interval:.0} packets per interval, more than {MAX_PER_INTERVAL} (memory holds a few intervals' packets); choose a shorter --every", args.rate, args.every);
    }
    let total = per_interval * intervals;
    if total > MAX_PACKETS {
        bail!("--rate {} over --days {}: about {total:.2e} packets, more than {MAX_PACKETS:.0e}; choose a lower --rate or fewer --days", args.rate, args.days);
    }
    let mut events = Vec::new();
    for e in args.events.iter().filter(|e| e.as_str() != "none") {
        match EventKind::from_name(e) {
            Some(k) if !events.contains(&k) => events.push(k),
            Some(_) => bail!("--events: {e} given twice"),
            None => bail!(
                "--events: {e:?} is not one of flood, scan, flash-crowd, outage, level-shift, none"
            ),
        }
    }
    Ok(Options {
        model: Model {
            intervals: intervals.round() as usize,
            every_ns,
            start_ns: args.start.div_euclid(every_ns) * every_ns,
            rate: args.rate,
            trend: args.trend,
            hurst: args.hurst,
            seed: args.seed,
        },
        events,
        hosts: args.hosts,
        capture: args.capture.clone(),
    })
}

pub fn run(args: &SimulateArgs, ui: &Ui) -> Result<ExitCode> {
    let opts = options(args)?;
    let unit: TimestampUnit = (&args.unit).into();
    unit.check_every(opts.model.every_ns)?;
    std::fs::create_dir_all(&args.output).map_err(|e| ntp::error::Error::io(&args.output, e))?;
    let series = args.output.join(format!("{}.series.parquet", args.stem));
    let labels = args.output.join(format!("{}.labels.csv", args.stem));
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
