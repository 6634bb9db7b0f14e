//! The series of a per-packet dataset in one bounded-memory pass: only the time, size and
//! protocol columns are read, a slice of whole row groups at a time (slices in parallel,
//! merged in file order), and every packet is added to its interval `[k·every, (k+1)·every)`
//! (aligned to the Unix epoch, labelled by its start, sums in u64) as it is read. Memory
//! holds the per-interval sums and a few slices, never the table: a day of dumps or the same
//! table ten times over needs no more than one dump.
//!
//! No sort is needed: a sum does not care in which order its packets come, so unsorted and
//! overlapping inputs give the same series as sorted ones (the study's lazy path silently
//! mis-binned unsorted input). Packets that come more than [`LATE_WINDOW`](super::aggregate::LATE_WINDOW) after later ones
//! are counted and said, as `aggregate` does. Empty intervals are zeros unless `drop_empty`
//! (the study's behaviour, which shifts every later position).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use foldhash::fast::FixedState;
use polars::prelude::*;
use rayon::prelude::*;

use super::aggregate::{check_density, check_span, late_window, MAX_ROWS};
use super::sizes::{type_index, Sizes};
use super::{Quantity, Series, SeriesOptions, SizeKind, Window};
use crate::dataset::reader::{self, Slice};
use crate::dataset::{PROTOCOL, TIMESTAMP, TYPE};
use crate::error::{Error, Result};
use crate::util::time::duration_text;

/// Rows read at once per thread (whole row groups): ~17 MB of decoded columns.
const SLICE_ROWS: usize = 1 << 20;

/// What a pass over a per-packet dataset gives.
pub struct PacketSeries {
    pub series: Series,
    /// Packet counts per transport and size (the measured size only), when asked for.
    pub sizes: Option<Sizes>,
}

/// Builds the series of the dataset files (a directory, or parts of one capture).
pub fn build(files: &[PathBuf], opts: &SeriesOptions) -> Result<Series> {
    Ok(pass(files, opts, false)?.series)
}

/// How a file stores what the pass reads.
struct Layout {
    /// Nanoseconds per unit of the time column.
    factor: i64,
    /// The transport column: `Protocol` (numbers), or the study's `Type` text.
    transport: Option<&'static str>,
}

fn layout(path: &Path, size: &str, sizes: bool) -> Result<Layout> {
    let mut needed = vec![TIMESTAMP, size];
    let names = reader::column_names(path)?;
    let transport = if !sizes {
        None
    } else if names.iter().any(|n| n == PROTOCOL) {
        Some(PROTOCOL)
    } else if names.iter().any(|n| n == TYPE) {
        Some(TYPE)
    } else {
        None
    };
    needed.extend(transport);
    reader::check_schema(path, &needed)?;
    let factor = match reader::time_unit(path, TIMESTAMP)? {
        TimeUnit::Nanoseconds => 1,
        TimeUnit::Microseconds => 1_000,
        TimeUnit::Milliseconds => 1_000_000,
    };
    Ok(Layout { factor, transport })
}

/// One slice's sums.
struct Part {
    file: usize,
    /// (interval, amount, packets), in order of first appearance.
    intervals: Vec<(i64, u64, u64)>,
    sizes: Option<Sizes>,
    rows: u64,
    no_time: u64,
    no_size: u64,
    /// Kept packets' first and last time.
    span: Option<(i64, i64)>,
    /// A time stamp that cannot be placed (ns overflow, or the very end of the range).
    broken: Option<i64>,
}

/// The slice's transport type per row (0 TCP, 1 UDP, 2 other), from `Protocol` or `Type`;
/// None when the table has neither.
fn transport_types(path: &Path, df: &DataFrame, layout: &Layout) -> Result<Option<Vec<usize>>> {
    let err = |e| Error::polars(path, e);
    Ok(match layout.transport {
        Some(PROTOCOL) => {
            let p = df
                .column(PROTOCOL)
                .map_err(err)?
                .cast(&DataType::Int64)
                .map_err(err)?;
            let p = p.i64().map_err(err)?;
            Some(
                p.iter()
                    .map(|v| type_index(v.and_then(|v| u8::try_from(v).ok()).unwrap_or(0)))
                    .collect(),
            )
        }
        Some(_) => {
            let t = df.column(TYPE).map_err(err)?.str().map_err(err)?.clone();
            Some(
                t.iter()
                    .map(|v| match v {
                        Some("TCP") => 0,
                        Some("UDP") => 1,
                        _ => 2,
                    })
                    .collect(),
            )
        }
        None => None,
    })
}

/// Reads and sums one slice.
fn tally(
    path: &Path,
    slice: &Slice,
    layout: &Layout,
    size: SizeKind,
    every_ns: i64,
    window: Window,
) -> Result<Part> {
    let mut columns = vec![TIMESTAMP, size.column()];
    columns.extend(layout.transport);
    let df = reader::read_slice(path, &columns, slice)?;
    let err = |e| Error::polars(path, e);
    let ts = df
        .column(TIMESTAMP)
        .map_err(err)?
        .as_materialized_series()
        .to_physical_repr()
        .into_owned();
    let ts = ts.i64().map_err(err)?;
    let amount = df
        .column(size.column())
        .map_err(err)?
        .cast(&DataType::UInt64)
        .map_err(err)?;
    let amount = amount.u64().map_err(err)?;
    let transport = transport_types(path, &df, layout)?;
    let mut part = Part {
        file: slice.file,
        intervals: Vec::new(),
        sizes: transport.as_ref().map(|_| Sizes::default()),
        rows: df.height() as u64,
        no_time: 0,
        no_size: 0,
        span: None,
        broken: None,
    };
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    let mut index: HashMap<i64, usize, FixedState> = HashMap::default();
    let mut current = (i64::MIN, usize::MAX);
    let (lo_ok, hi_ok) = (i64::MIN + 2 * every_ns, i64::MAX - 2 * every_ns);
    for (row, (t, a)) in ts.iter().zip(amount.iter()).enumerate() {
        let Some(t) = t else {
            part.no_time += 1;
            continue;
        };
        let Some(a) = a else {
            part.no_size += 1;
            continue;
        };
        let t = match t.checked_mul(layout.factor) {
            Some(t) if (lo_ok..=hi_ok).contains(&t) => t,
            _ => {
                part.broken.get_or_insert(t);
                continue;
            }
        };
        if !window.contains(t) {
            continue;
        }
        let k = t.div_euclid(every_ns);
        if k != current.0 {
            let i = *index.entry(k).or_insert_with(|| {
                part.intervals.push((k, 0, 0));
                part.intervals.len() - 1
            });
            current = (k, i);
        }
        let e = &mut part.intervals[current.1];
        e.1 += a;
        e.2 += 1;
        if let (Some(s), Some(tr)) = (&mut part.sizes, &transport) {
            s.add_one(tr[row], size, u32::try_from(a).unwrap_or(u32::MAX));
        }
        first = first.min(t);
        last = last.max(t);
    }
    if first <= last {
        part.span = Some((first, last));
    }
    Ok(part)
}

/// The running result: sums per interval, and what to say about the input.
struct Merged {
    every_ns: i64,
    late_after: i64,
    sums: BTreeMap<i64, (u64, u64)>,
    newest: i64,
    late: u64,
    rows: u64,
    no_time: u64,
    no_size: u64,
    spans: Vec<Option<(i64, i64)>>,
    sizes: Option<Sizes>,
}

impl Merged {
    fn add(&mut self, files: &[PathBuf], part: Part) -> Result<()> {
        let path = &files[part.file];
        if let Some(t) = part.broken {
            return Err(Error::Dataset {
                path: path.clone(),
                message: format!(
                    "a packet time stamp ({t} in the file's unit) lies at the end of the representable range: \
                     the capture's clock was broken; drop such rows before building a series"
                ),
            });
        }
        self.rows += part.rows;
        self.no_time += part.no_time;
        self.no_size += part.no_size;
        for (k, amount, packets) in part.intervals {
            if k < self.newest.saturating_sub(self.late_after) {
                self.late += packets;
            }
            self.newest = self.newest.max(k);
            let e = self.sums.entry(k).or_default();
            e.0 += amount;
            e.1 += packets;
        }
        // The series is refused as soon as it could not be held, before it grows further.
        if let (Some((&lo, _)), Some((&hi, _))) =
            (self.sums.first_key_value(), self.sums.last_key_value())
        {
            check_span(path, lo, hi, self.every_ns)?;
        }
        if let Some((a, b)) = part.span {
            let s = &mut self.spans[part.file];
            *s = Some(s.map_or((a, b), |(x, y)| (x.min(a), y.max(b))));
        }
        if let (Some(all), Some(s)) = (&mut self.sizes, &part.sizes) {
            all.merge(s);
        }
        Ok(())
    }

    /// What the reader should know: late packets, gaps and overlaps between files.
    fn notes(&self, files: &[PathBuf]) -> Vec<String> {
        let mut notes = Vec::new();
        if self.late > 0 {
            notes.push(format!(
                "{} packets came more than {} after later packets (the table is not in time order); \
                 each is counted in its own interval",
                self.late,
                duration_text(self.late_after * self.every_ns)
            ));
        }
        let mut spans: Vec<(i64, i64, &PathBuf)> = self
            .spans
            .iter()
            .zip(files)
            .filter_map(|(s, f)| s.map(|(a, b)| (a, b, f)))
            .collect();
        spans.sort();
        for w in spans.windows(2) {
            let ((_, end, a), (start, _, b)) = (w[0], w[1]);
            if start - end > 5 * self.every_ns {
                notes.push(format!(
                    "gap of {:.3} s between {} and {} (zero-filled)",
                    (start - end) as f64 / 1e9,
                    a.display(),
                    b.display()
                ));
            } else if start < end {
                notes.push(format!(
                    "{} and {} overlap in time by {:.3} s: their packets are summed interval by interval",
                    a.display(),
                    b.display(),
                    (end - start) as f64 / 1e9
                ));
            }
        }
        notes
    }
}

/// One pass over the dataset files: the series, and with `sizes` the packet-size counts
/// of the measured size.
pub fn pass(files: &[PathBuf], opts: &SeriesOptions, sizes: bool) -> Result<PacketSeries> {
    let every_ns = opts.every_ns()?.unwrap_or(1_000_000_000);
    let layouts = files
        .iter()
        .map(|f| layout(f, opts.size.column(), sizes))
        .collect::<Result<Vec<_>>>()?;
    let slices = reader::slices(files, SLICE_ROWS)?;
    let mut merged = Merged {
        every_ns,
        late_after: late_window(every_ns),
        sums: BTreeMap::new(),
        newest: i64::MIN,
        late: 0,
        rows: 0,
        no_time: 0,
        no_size: 0,
        spans: vec![None; files.len()],
        sizes: sizes.then(Sizes::default),
    };
    // A few slices at a time, one per thread, merged in file order.
    for batch in slices.chunks(rayon::current_num_threads().max(1)) {
        let parts = batch
            .par_iter()
            .map(|s| {
                tally(
                    &files[s.file],
                    s,
                    &layouts[s.file],
                    opts.size,
                    every_ns,
                    opts.window,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        for part in parts {
            merged.add(files, part)?;
        }
    }
    for (missing, column) in [
        (merged.no_time, TIMESTAMP),
        (merged.no_size, opts.size.column()),
    ] {
        if missing > 0 {
            return Err(Error::Dataset {
                path: files[0].to_owned(),
                message: format!(
                    "{missing} of {} rows have no `{column}`: a series cannot place or weigh them",
                    merged.rows
                ),
            });
        }
    }
    if let (Some((&lo, _)), Some((&hi, _)), false) = (
        merged.sums.first_key_value(),
        merged.sums.last_key_value(),
        opts.drop_empty,
    ) {
        check_density(&files[0], lo, hi, every_ns, merged.sums.len())?;
    }
    let notes = merged.notes(files);
    let mut series = series_of(&merged.sums, every_ns, opts.drop_empty);
    series.notes = notes;
    Ok(PacketSeries {
        series,
        sizes: merged.sizes,
    })
}

/// The series of per-interval sums: every interval from the first to the last, empty ones
/// as zeros, unless `drop_empty`.
fn series_of(sums: &BTreeMap<i64, (u64, u64)>, every_ns: i64, drop_empty: bool) -> Series {
    let mut s = Series {
        every_ns,
        start_ns: Vec::new(),
        values: Vec::new(),
        packets: Some(Vec::new()),
        quantity: Quantity::bytes(),
        filled: 0,
        slots: 0,
        regridded: Default::default(),
        missing: Vec::new(),
        notes: Vec::new(),
    };
    let counts = s.packets.as_mut().expect("packets");
    let mut push = |k: i64, (amount, packets): (u64, u64)| {
        s.start_ns.push(k * every_ns);
        s.values.push(amount as f64);
        counts.push(packets);
    };
    match (sums.first_key_value(), sums.last_key_value()) {
        (Some((&lo, _)), Some((&hi, _))) if !drop_empty => {
            debug_assert!(hi - lo < MAX_ROWS);
            for k in lo..=hi {
                push(k, sums.get(&k).copied().unwrap_or_default());
            }
        }
        _ => {
            for (&k, &v) in sums {
                push(k, v);
            }
        }
    }
    s
}
