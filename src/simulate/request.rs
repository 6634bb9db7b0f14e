//! What a simulation may be asked for: a [`Request`] (the command's options as given),
//! checked into [`Options`] with one-line errors that name the option and the way out.

use std::path::PathBuf;

use super::model::{EventKind, Model};
use super::Options;
use crate::error::{Error, Result};
use crate::series::parse_every;
use crate::util::time::timestamp_text;

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

/// A simulation as asked for, unchecked.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    /// Interval of the series (`5m`).
    pub every: &'a str,
    pub days: f64,
    /// Mean packets per second.
    pub rate: f64,
    pub trend: f64,
    pub hosts: usize,
    pub hurst: f64,
    /// Event names (`none` for none).
    pub events: &'a [String],
    /// First interval, ns since the epoch (rounded down to the interval).
    pub start_ns: i64,
    pub seed: u64,
    pub capture: Option<PathBuf>,
}

fn invalid(message: String) -> Error {
    Error::Invalid(message)
}

impl Request<'_> {
    /// The checked options: every number in its range, the span within what time stamps
    /// hold, room for the events.
    pub fn options(&self) -> Result<Options> {
        let every_ns = parse_every(self.every)?;
        let intervals = self.intervals(every_ns)?;
        self.check_rates(every_ns, intervals)?;
        let events = self.event_kinds()?;
        let start_ns = self.start_ns.div_euclid(every_ns) * every_ns;
        self.check_span(start_ns, every_ns, intervals)?;
        let room = Model::room_for_events(intervals);
        if events.len() > room {
            return Err(invalid(format!(
                "--days {} at --every {}: {intervals} intervals have room for {room} of the {} events asked for \
                 (each needs 3 intervals after the first fifth); give more --days, a shorter --every, or fewer --events",
                self.days,
                self.every,
                events.len()
            )));
        }
        Ok(Options {
            model: Model {
                intervals,
                every_ns,
                start_ns,
                rate: self.rate,
                trend: self.trend,
                hurst: self.hurst,
                seed: self.seed,
            },
            events,
            hosts: self.hosts,
            capture: self.capture.clone(),
        })
    }

    /// The number of intervals, `--days` rounded to whole intervals.
    fn intervals(&self, every_ns: i64) -> Result<usize> {
        let exact = self.days * 86_400e9 / every_ns as f64;
        let intervals = exact.round();
        if !(1.0..=MAX_INTERVALS).contains(&intervals) {
            let shown = if exact < 10.0 {
                format!("{exact:.3}")
            } else {
                format!("{exact:.0}")
            };
            return Err(invalid(format!(
                "--days {} at --every {}: {shown} intervals (1 to {MAX_INTERVALS} allowed)",
                self.days, self.every
            )));
        }
        Ok(intervals as usize)
    }

    fn check_rates(&self, every_ns: i64, intervals: usize) -> Result<()> {
        if !(MIN_HOSTS..=MAX_HOSTS).contains(&self.hosts) {
            return Err(invalid(format!(
                "--hosts {}: between {MIN_HOSTS} and {MAX_HOSTS}",
                self.hosts
            )));
        }
        if !(0.5..=0.975).contains(&self.hurst) {
            return Err(invalid(format!(
                "--hurst {}: between 0.5 and 0.975",
                self.hurst
            )));
        }
        let rate_ok = self.rate > 0.0 && self.rate <= 1e8;
        if !(rate_ok && self.trend.is_finite() && self.trend > -1.0 && self.trend <= 10.0) {
            return Err(invalid(
                "--rate must be in (0, 1e8] packets per second and --trend in (−1, 10]".into(),
            ));
        }
        let per_interval = self.rate * every_ns as f64 / 1e9;
        if per_interval > MAX_PER_INTERVAL {
            return Err(invalid(format!(
                "--rate {} at --every {}: {per_interval:.0} packets per interval, more than {MAX_PER_INTERVAL} \
                 (memory holds a few intervals' packets); choose a shorter --every",
                self.rate, self.every
            )));
        }
        let total = per_interval * intervals as f64;
        if total > MAX_PACKETS {
            return Err(invalid(format!(
                "--rate {} over --days {}: about {total:.2e} packets, more than {MAX_PACKETS:.0e}; \
                 choose a lower --rate or fewer --days",
                self.rate, self.days
            )));
        }
        Ok(())
    }

    fn event_kinds(&self) -> Result<Vec<EventKind>> {
        let mut events = Vec::new();
        for e in self.events.iter().filter(|e| e.as_str() != "none") {
            match EventKind::from_name(e) {
                Some(k) if !events.contains(&k) => events.push(k),
                Some(_) => return Err(invalid(format!("--events: {e} given twice"))),
                None => {
                    return Err(invalid(format!(
                    "--events: {e:?} is not one of flood, scan, flash-crowd, outage, level-shift, none"
                )))
                }
            }
        }
        Ok(events)
    }

    /// Checks that the series' time stamps (and the capture's) hold the span: ns since
    /// the epoch end in 2262; a pcap record's 32-bit seconds run from 1970 to 2106.
    fn check_span(&self, start_ns: i64, every_ns: i64, intervals: usize) -> Result<()> {
        let end = start_ns as i128 + (intervals as i128 + 1) * every_ns as i128;
        let text = |ns: i128| i64::try_from(ns).map_or("after 2262".into(), timestamp_text);
        if end > i64::MAX as i128 {
            return Err(invalid(format!(
                "--start {} with --days {}: the series would end {}, past the last time stamp ntp can hold \
                 (2262-04-11); choose an earlier --start or fewer --days",
                text(start_ns as i128),
                self.days,
                text(end)
            )));
        }
        let pcap_end = (u32::MAX as i128 + 1) * 1_000_000_000;
        if self.capture.is_some() && (start_ns < 0 || end > pcap_end) {
            return Err(invalid(format!(
                "--capture: the series runs {} → {}, outside the 1970–2106 a pcap record's time stamp can hold; \
                 choose another --start",
                text(start_ns as i128),
                text(end)
            )));
        }
        Ok(())
    }
}
