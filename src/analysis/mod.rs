//! Exploratory analysis of a series, each method exactly as the library the study used:
//! [`describe`] (polars), [`acf`] and [`decompose`] (statsmodels), plus [`bursts`] and the
//! packet-size [`histogram`]. [`compute`] runs them all on a dataset's series.

pub mod acf;
pub mod bursts;
pub mod decompose;
pub mod describe;
pub mod histogram;

use std::path::PathBuf;

use crate::dataset::{self, reader};
use crate::error::{Error, Result};
use crate::render::plot;
use crate::series::table::sizes_path;
use crate::series::Source;
use crate::series::{self, Series, SeriesOptions};
use acf::Lag;
use bursts::Burst;
use decompose::Decomposition;
use describe::Describe;
use histogram::Histogram;

/// Options of the analysis stage.
#[derive(Clone, Debug)]
pub struct AnalysisOptions {
    pub series: SeriesOptions,
    pub out_dir: PathBuf,
    /// Largest packet size in the histogram.
    pub max_size: u32,
    /// Seasonal period in intervals; `None` picks it from the series length.
    pub period: Option<usize>,
    pub lags: usize,
    pub z: f64,
    pub dpi: u32,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            series: SeriesOptions::default(),
            out_dir: PathBuf::from("results"),
            max_size: 100,
            period: None,
            lags: 40,
            z: 3.0,
            dpi: 300,
        }
    }
}

impl AnalysisOptions {
    /// Rejects settings no analysis can use, naming the option.
    pub fn validate(&self) -> Result<()> {
        plot::check_dpi(self.dpi)?;
        if !(self.z.is_finite() && self.z > 0.0) {
            return Err(Error::Invalid("--z must be a positive number".into()));
        }
        if self.period.is_some_and(|p| p < 2) {
            return Err(Error::Invalid(
                "--period must be at least 2 intervals (a season repeats)".into(),
            ));
        }
        if self.max_size > MAX_PACKET {
            return Err(Error::Invalid(format!(
                "--max-size {}: no packet is larger than {MAX_PACKET} bytes (the largest snaplen)",
                self.max_size
            )));
        }
        Ok(())
    }
}

/// The largest packet a capture can hold: the largest snaplen (libpcap's 262 144 bytes).
pub const MAX_PACKET: u32 = 262_144;

/// Everything the analysis computes, before anything is written.
pub struct Analysis {
    pub stem: String,
    pub series: Series,
    /// The analysed values: the amount per second (bytes per second for traffic).
    pub values: Vec<f64>,
    pub describe: Describe,
    pub acf: Vec<Lag>,
    pub pacf: Vec<Lag>,
    pub decomposition: Option<Decomposition>,
    pub bursts: Vec<Burst>,
    /// Packet sizes: from a per-packet dataset, or the histogram beside a series table.
    pub histogram: Option<Histogram>,
    /// A series table's address and port entropies (column name, value per interval of
    /// the series), drawn under the series; empty for other inputs.
    pub entropies: Vec<(String, Vec<f64>)>,
    pub notices: Vec<String>,
    /// What was changed to make the file's rows a regular series (said even under
    /// `--quiet`): [`crate::series::Series::data_warning`].
    pub data_warning: Option<String>,
}

/// The entropy columns of a series table over the intervals of `series` (none when the
/// table has none, or when they cannot follow the series: another `--every`).
fn entropies(
    path: &std::path::Path,
    series: &Series,
    opts: &AnalysisOptions,
) -> Vec<(String, Vec<f64>)> {
    use crate::series::table::Column;
    Column::ENTROPIES
        .iter()
        .filter(|c| crate::dataset::reader::has_column(path, c.name()))
        .filter_map(|c| {
            let mut o = opts.series.clone();
            o.column = Some(c.name().to_string());
            let s = crate::series::file::read_table(path, &o).ok()?;
            (s.start_ns == series.start_ns).then(|| (c.name().to_string(), s.values))
        })
        .collect()
}

/// Checks that the series can be analysed at all.
fn check_length(series: &Series, what: PathBuf) -> Result<()> {
    if series.is_empty() {
        return Err(Error::Dataset {
            path: what,
            message: "no packets: nothing to analyze".into(),
        });
    }
    if series.len() < 2 {
        let packets: u64 = series.packets.iter().flatten().sum();
        return Err(Error::Dataset {
            path: what,
            message: format!(
                "{packets} packet(s) in a single {} interval: a series needs at least 2 intervals",
                series.every_text()
            ),
        });
    }
    Ok(())
}

/// The series of the input and its size histogram, where it has one: a per-packet dataset
/// gives both in one pass; a series table's histogram is the file beside it.
fn series_and_histogram(
    source: &Source,
    opts: &AnalysisOptions,
) -> Result<(Series, Option<Histogram>)> {
    match source {
        Source::Packets(files) => {
            let p = series::packets::pass(files, &opts.series, true)?;
            let h = p
                .sizes
                .map(|s| s.histogram(opts.series.size, opts.max_size));
            Ok((p.series, h))
        }
        Source::Table(path) => {
            let series = series::from_source(source, &opts.series)?;
            let sizes = sizes_path(path);
            if !sizes.exists() {
                return Ok((series, None));
            }
            let sizes = crate::series::sizes::Sizes::read(&sizes)?;
            Ok((
                series,
                Some(sizes.histogram(opts.series.size, opts.max_size)),
            ))
        }
        Source::File(_) => Ok((series::from_source(source, &opts.series)?, None)),
    }
}

/// The seasonal decomposition at `period` (or the automatic one), with a notice when skipped.
fn decomposition(
    values: &[f64],
    period: Option<usize>,
    notices: &mut Vec<String>,
) -> Option<Decomposition> {
    let n = values.len();
    match period.or_else(|| decompose::auto_period(n)) {
        Some(p) => {
            let d = decompose::seasonal_decompose(values, p);
            if d.is_none() {
                notices.push(format!("decomposition skipped: period {p} needs at least {} points, the series has {n}", 2 * p));
            }
            d
        }
        None => {
            notices.push(format!(
                "decomposition skipped: {n} points are too few (automatic period needs ≥ 120)"
            ));
            None
        }
    }
}

/// Computes the whole analysis of a dataset (files or a directory of parts of one capture).
pub fn compute(inputs: &[PathBuf], opts: &AnalysisOptions) -> Result<Analysis> {
    opts.validate()?;
    let files = reader::resolve(inputs)?;
    let source = series::source(inputs)?;
    opts.series.window.check()?;
    let (series, histogram) =
        crate::util::guard::reading(source.first_path(), || series_and_histogram(&source, opts))?;
    check_length(&series, files[0].clone())?;
    let entropies = match &source {
        series::Source::Table(path) => entropies(path, &series, opts),
        _ => Vec::new(),
    };
    of_series(dataset::stem_of(inputs), series, histogram, entropies, opts)
}

/// The analysis of a series already read (one of a many-series file: [`series::many`]),
/// named `stem` in its outputs.
pub fn of_series(
    stem: String,
    series: Series,
    histogram: Option<Histogram>,
    entropies: Vec<(String, Vec<f64>)>,
    opts: &AnalysisOptions,
) -> Result<Analysis> {
    opts.validate()?;
    if series.len() < 2 {
        return Err(Error::Invalid(format!(
            "{} interval(s): a series needs at least 2",
            series.len()
        )));
    }
    let values = series.rates();
    let mut notices = series.notes.clone();
    let data_warning = series.data_warning(opts.series.fill);
    let describe = describe::describe(&values);
    if describe::is_constant(&values) {
        notices.push(format!(
            "the series is constant ({} throughout): it has no variance, so its correlations are undefined (NaN) and it has no season",
            values[0]
        ));
    }

    let n = values.len();
    let acf_lags = opts.lags.min(n - 1);
    let pacf_lags = opts.lags.min(acf::max_pacf_lags(n));
    if pacf_lags < opts.lags.min(acf::PACF_CAP) {
        notices.push(format!(
            "PACF limited to {pacf_lags} lags (statsmodels needs lags < n/2 = {})",
            n / 2
        ));
    }
    let pacf_lags = if pacf_lags > acf::PACF_CAP {
        notices.push(format!(
            "PACF limited to {} lags (its cost grows with the square of the lags)",
            acf::PACF_CAP
        ));
        acf::PACF_CAP
    } else {
        pacf_lags
    };
    let acf = acf::acf(&values, acf_lags);
    let pacf = acf::pacf(&values, pacf_lags);
    let decomposition = decomposition(&values, opts.period, &mut notices);
    let bursts = bursts::bursts(&values, describe.mean, describe.std, opts.z);
    let tcp_udp = |h: &Histogram| h.tcp.iter().chain(&h.udp).sum::<u64>() + h.larger;
    match &histogram {
        Some(h) if tcp_udp(h) == 0 => notices.push(
            "no TCP or UDP packet in this input (or its Protocol/Type column holds no usable value): the size histogram is empty"
                .into(),
        ),
        Some(h) if h.larger > 0 => notices.push(format!(
            "histogram: {} TCP/UDP packets larger than --max-size {} are not shown",
            h.larger, opts.max_size
        )),
        Some(_) => {}
        None => {
            notices.push("no packet sizes in this input: the size histogram is left out".into())
        }
    }
    Ok(Analysis {
        stem,
        series,
        values,
        describe,
        acf,
        pacf,
        decomposition,
        bursts,
        histogram,
        entropies,
        notices,
        data_warning,
    })
}
