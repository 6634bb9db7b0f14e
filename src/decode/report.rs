//! What reading and decoding one capture gave: packet counts by outcome, its format, the
//! damage that ended it early; shared by `preprocess` and `aggregate`, whose summaries read
//! the same.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::Skip;
use crate::capture::{Compression, Container, Damage};
use crate::error::Error;
use crate::util::time::{iso_millis, DAY_NS};
use crate::util::units::human_bytes;

/// Counts of what happened to the packets of one capture.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Packet records read.
    pub packets: u64,
    /// IP packets written as rows.
    pub kept: u64,
    pub non_ip: u64,
    /// Packets per unsupported link type.
    pub unsupported_link: BTreeMap<u32, u64>,
    pub malformed: u64,
    pub truncated: u64,
    /// pcapng packets with no timestamp, a time stamp outside 1677–2262, or an undeclared
    /// interface.
    pub unplaceable: u64,
    /// Packets outside the `--start`/`--end` window.
    pub outside: u64,
    /// Kept packets whose time had digits finer than the unit written (rounded down).
    pub rounded: u64,
    /// First and last timestamp of the kept rows (ns since the epoch).
    pub first_ns: Option<i64>,
    pub last_ns: Option<i64>,
    /// Kept rows per UTC day (days since the epoch): where the bulk of the capture lies.
    pub days: BTreeMap<i64, u64>,
    /// Packets dropped as duplicates of a recent one (`aggregate --dedup`).
    pub duplicates: u64,
    /// Without `--dedup`: packets byte-identical to one of the few before them, among
    /// the `probed` packets the duplicate warning's sample looked at.
    pub recent_duplicates: u64,
    pub probed: u64,
}

/// Counts kept rows per UTC day for [`Counts::days`] without a map lookup per row: a run of
/// rows of one day (nearly all of a capture) is summed first. Call `flush` at the end.
#[derive(Default)]
pub struct DayTally {
    day: i64,
    rows: u64,
}

impl DayTally {
    #[inline]
    pub fn add(&mut self, ts_ns: i64, counts: &mut Counts) {
        let day = ts_ns.div_euclid(DAY_NS);
        if day != self.day {
            self.flush(counts);
            self.day = day;
        }
        self.rows += 1;
    }

    pub fn flush(&mut self, counts: &mut Counts) {
        if self.rows > 0 {
            *counts.days.entry(self.day).or_default() += self.rows;
            self.rows = 0;
        }
    }
}

/// The packets outside a capture's bulk: `keys` are occupied time slots in order with
/// their packets; slots at most `gap` apart are one run, and the run with the most packets
/// is the bulk. Returns the packets outside it and the first and last such slot (`None`
/// when every packet is in the bulk). A steady capture of ten days is one run; a packet
/// stamped years away by a broken clock is a run of its own.
pub fn outside_bulk(keys: &[(i64, u64)], gap: i64) -> Option<(u64, i64, i64)> {
    let mut runs: Vec<(usize, usize, u64)> = Vec::new(); // (first, last index, packets)
    for (i, &(k, n)) in keys.iter().enumerate() {
        match runs.last_mut() {
            Some(r) if k.saturating_sub(keys[r.1].0) <= gap => {
                r.1 = i;
                r.2 += n;
            }
            _ => runs.push((i, i, n)),
        }
    }
    let bulk = *runs.iter().max_by_key(|r| r.2)?;
    let outside: Vec<&(i64, u64)> = keys
        .iter()
        .enumerate()
        .filter(|(i, (_, n))| (*i < bulk.0 || *i > bulk.1) && *n > 0)
        .map(|(_, k)| k)
        .collect();
    Some((
        outside.iter().map(|k| k.1).sum(),
        outside.first()?.0,
        outside.last()?.0,
    ))
}

impl Counts {
    /// Counts a packet that did not become a row.
    pub fn skip(&mut self, why: Skip, linktype: u32) {
        match why {
            Skip::NonIp => self.non_ip += 1,
            Skip::UnsupportedLink => *self.unsupported_link.entry(linktype).or_default() += 1,
            Skip::Malformed => self.malformed += 1,
            Skip::Truncated => self.truncated += 1,
        }
    }

    /// Kept rows outside the capture's bulk (a broken clock's strays, [`outside_bulk`]),
    /// with the first and last such day.
    pub fn strays(&self) -> Option<(u64, i64, i64)> {
        let days: Vec<(i64, u64)> = self.days.iter().map(|(d, n)| (*d, *n)).collect();
        // Days with packets one day apart or closer are one run (a day between them
        // may be empty): "more than a day from the rest" in day units.
        let (n, first, last) = outside_bulk(&days, 2)?;
        Some((n, first * DAY_NS, last * DAY_NS))
    }

    pub fn merge(&mut self, o: &Counts) {
        for (d, n) in &o.days {
            *self.days.entry(*d).or_default() += n;
        }
        self.packets += o.packets;
        self.kept += o.kept;
        self.non_ip += o.non_ip;
        for (k, v) in &o.unsupported_link {
            *self.unsupported_link.entry(*k).or_default() += v;
        }
        self.malformed += o.malformed;
        self.truncated += o.truncated;
        self.unplaceable += o.unplaceable;
        self.outside += o.outside;
        self.rounded += o.rounded;
        self.duplicates += o.duplicates;
        self.recent_duplicates += o.recent_duplicates;
        self.probed += o.probed;
        self.first_ns = min_opt(self.first_ns, o.first_ns);
        self.last_ns = max_opt(self.last_ns, o.last_ns);
    }

    /// One line on what was skipped and why.
    pub fn skipped_line(&self) -> String {
        let unsupported: u64 = self.unsupported_link.values().sum();
        let mut s = format!(
            "skipped: non-IP {}, unsupported link type {}, malformed {}, truncated {}",
            self.non_ip, unsupported, self.malformed, self.truncated
        );
        if !self.unsupported_link.is_empty() {
            let types: Vec<String> = self
                .unsupported_link
                .iter()
                .map(|(t, n)| format!("{t}: {n}"))
                .collect();
            s.push_str(&format!(" (link types {})", types.join(", ")));
        }
        if self.outside > 0 {
            s.push_str(&format!(", outside --start/--end {}", self.outside));
        }
        if self.unplaceable > 0 {
            s.push_str(&format!(
                ", no usable time stamp or interface {}",
                self.unplaceable
            ));
        }
        if self.duplicates > 0 {
            s.push_str(&format!(", duplicates (--dedup) {}", self.duplicates));
        }
        s
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// What preprocessing one capture gave.
#[derive(Clone, Debug)]
pub struct FileReport {
    pub input: PathBuf,
    pub output: PathBuf,
    pub container: Container,
    pub compression: Compression,
    pub file_bytes: u64,
    pub counts: Counts,
    /// Damage that ended the reading early (truncated or corrupt record).
    pub damage: Option<Damage>,
}

impl FileReport {
    /// Empty reports for `inputs`, all written to `output`.
    pub fn for_inputs(inputs: &[PathBuf], output: &Path) -> Vec<FileReport> {
        inputs
            .iter()
            .map(|p| FileReport {
                input: p.clone(),
                output: output.to_owned(),
                container: Container::PcapNg,
                compression: Compression::None,
                file_bytes: std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
                counts: Counts::default(),
                damage: None,
            })
            .collect()
    }

    /// Summary lines, for stderr.
    pub fn summary(&self) -> String {
        let c = &self.counts;
        let compression = if self.compression == Compression::None {
            String::new()
        } else {
            format!(" + {}", self.compression.name())
        };
        let mut s = format!(
            "{} ({}{}, {}) → {}\n  packets {} · IP kept {} · {}",
            self.input.display(),
            self.container.name(),
            compression,
            human_bytes(self.file_bytes),
            self.output.display(),
            c.packets,
            c.kept,
            c.skipped_line()
        );
        if let (Some(a), Some(b)) = (c.first_ns, c.last_ns) {
            s.push_str(&format!(
                "\n  span {} → {} ({:.3} s)",
                iso_millis(a),
                iso_millis(b),
                (b - a) as f64 / 1e9
            ));
        }
        if c.rounded > 0 {
            s.push_str(&format!(
                "\n  {} of {} time stamps had digits below a microsecond: written in µs \
                 (--timestamp-unit us) rounded down; --timestamp-unit ns keeps them",
                c.rounded, c.kept
            ));
        }
        s
    }

    /// Packets that had no usable time at all (dropped: said even under `--quiet`).
    pub fn unplaceable_warning(&self) -> Option<String> {
        (self.counts.unplaceable > 0).then(|| {
            format!(
                "{}: {} packet(s) dropped: no usable time stamp (none, one outside 1677–2262) or an undeclared interface",
                self.input.display(),
                self.counts.unplaceable
            )
        })
    }

    /// Packets whose time lies days away from the bulk of the capture, or that had no usable
    /// time at all (dropped: said even under `--quiet`), if any.
    pub fn stray_warning(&self) -> Option<String> {
        let unplaceable = self.unplaceable_warning();
        let Some((n, first, last)) = self.counts.strays() else {
            return unplaceable;
        };
        let strays = format!(
            "{n} packets are stamped more than a day apart from the bulk of the capture (days {} … {}): \
             a broken clock? A series over them is refused or mostly empty; --start/--end choose the window",
            &iso_millis(first)[..10],
            &iso_millis(last)[..10]
        );
        Some(match unplaceable {
            Some(u) => format!("{u}; {strays}"),
            None => strays,
        })
    }

    /// A warning line for damage found in the capture, if any.
    pub fn damage_warning(&self) -> Option<String> {
        self.damage.as_ref().map(|d| {
            format!(
                "{}: {} at byte offset {}; the {} complete packets before it are kept",
                self.input.display(),
                d.what,
                d.offset,
                self.counts.packets
            )
        })
    }
}

/// The error for inputs that held no IP packet at all: what was read and why it was skipped.
pub fn nothing_usable(inputs: &[PathBuf], output: &Path, reports: &[FileReport]) -> Error {
    let details = reports
        .iter()
        .map(|r| match &r.damage {
            Some(d) => format!(
                "{}; {} at byte offset {}",
                r.counts.skipped_line(),
                d.what,
                d.offset
            ),
            None => r.counts.skipped_line(),
        })
        .collect::<Vec<_>>()
        .join("; ");
    let packets: u64 = reports.iter().map(|r| r.counts.packets).sum();
    Error::NothingUsable {
        path: if inputs.len() == 1 {
            inputs[0].clone()
        } else {
            output.to_owned()
        },
        details: format!("{packets} packets read, 0 IP packets; {details}"),
    }
}
