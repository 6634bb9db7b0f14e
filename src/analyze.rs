//! `ntp analyze`: the study's exploratory analysis of the bytes-per-second series —
//! statistics, packet-size histogram, time series with bursts, seasonal decomposition and
//! ACF/PACF — written as CSV / LaTeX tables and PNG figures.

use std::path::PathBuf;

use polars::prelude::*;

use crate::analysis::acf::{self, Lag};
use crate::analysis::bursts::{self, Burst};
use crate::analysis::decompose::{self, Decomposition};
use crate::analysis::describe::{self, Describe};
use crate::analysis::lttb::{extremes, lttb};
use crate::dataset::{self, reader};
use crate::error::{Error, Result};
use crate::report::csv::{self, Cell};
use crate::report::{self, latex, markdown, plot};
use crate::series::{self, Series, SeriesOptions};

/// Options of `ntp analyze`.
#[derive(Clone, Debug)]
pub struct AnalyzeOptions {
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

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
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

/// Packet counts per size (index = size in bytes) for TCP and UDP.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    pub tcp: Vec<u64>,
    pub udp: Vec<u64>,
    /// TCP/UDP packets larger than `max_size`, not shown.
    pub larger: u64,
}

/// Everything `ntp analyze` computes, before anything is written.
pub struct Analysis {
    pub stem: String,
    pub series: Series,
    /// The analysed values: bytes per second.
    pub values: Vec<f64>,
    pub describe: Describe,
    pub acf: Vec<Lag>,
    pub pacf: Vec<Lag>,
    pub decomposition: Option<Decomposition>,
    pub bursts: Vec<Burst>,
    pub histogram: Histogram,
    pub notices: Vec<String>,
}

/// Name for outputs: the dataset file's stem, or the directory's name.
pub fn stem_of(inputs: &[PathBuf]) -> String {
    let first = &inputs[0];
    let name = if first.is_dir() {
        first.file_name()
    } else {
        first.file_stem()
    };
    name.map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "series".into())
}

fn histogram(files: &[PathBuf], opts: &AnalyzeOptions) -> Result<Histogram> {
    let size = opts.series.size.column();
    let err = |e| Error::polars(&files[0], e);
    // One pass over the dataset: packets per (Type, size), split up here.
    let df = reader::scan(files, &[dataset::TYPE, size])?
        .group_by([
            col(dataset::TYPE),
            col(size).cast(DataType::UInt64).alias("size"),
        ])
        .agg([len().cast(DataType::UInt64).alias("n")])
        .collect()
        .map_err(err)?;
    let types = df
        .column(dataset::TYPE)
        .map_err(err)?
        .str()
        .map_err(err)?
        .clone();
    let sizes = df.column("size").map_err(err)?.u64().map_err(err)?.clone();
    let n = df.column("n").map_err(err)?.u64().map_err(err)?.clone();
    let max = opts.max_size as u64;
    let mut h = Histogram {
        tcp: vec![0; max as usize + 1],
        udp: vec![0; max as usize + 1],
        larger: 0,
    };
    for i in 0..df.height() {
        let (Some(t), Some(s), Some(c)) = (types.get(i), sizes.get(i), n.get(i)) else {
            continue;
        };
        let counts = match t {
            "TCP" => &mut h.tcp,
            "UDP" => &mut h.udp,
            _ => continue,
        };
        if s <= max {
            counts[s as usize] = c;
        } else {
            h.larger += c;
        }
    }
    Ok(h)
}

impl AnalyzeOptions {
    /// Rejects settings no analysis can use, naming the option.
    pub fn validate(&self) -> Result<()> {
        plot::check_dpi(self.dpi)?;
        if !(self.z.is_finite() && self.z > 0.0) {
            return Err(Error::Invalid("--z must be a positive number".into()));
        }
        Ok(())
    }
}

/// Computes the whole analysis.
pub fn compute(inputs: &[PathBuf], opts: &AnalyzeOptions) -> Result<Analysis> {
    opts.validate()?;
    let files = reader::resolve(inputs)?;
    let series = series::build(&files, &opts.series)?;
    let what = files[0].clone();
    let packets: u64 = series.packets.iter().sum();
    if series.is_empty() {
        return Err(Error::Dataset {
            path: what,
            message: "no packets: nothing to analyze".into(),
        });
    }
    if series.len() < 2 {
        return Err(Error::Dataset {
            path: what,
            message: format!(
                "{packets} packet(s) in a single {} interval: a series needs at least 2 intervals",
                opts.series.every
            ),
        });
    }
    let factor = series.rate_factor();
    let values: Vec<f64> = series.bytes.iter().map(|&b| b as f64 * factor).collect();
    let describe = describe::describe(&values);
    let mut notices = Vec::new();

    let n = values.len();
    let acf_lags = opts.lags.min(n - 1);
    let pacf_lags = opts.lags.min(acf::max_pacf_lags(n));
    if pacf_lags < opts.lags {
        notices.push(format!(
            "PACF limited to {pacf_lags} lags (statsmodels needs lags < n/2 = {})",
            n / 2
        ));
    }
    let acf = acf::acf(&values, acf_lags);
    let pacf = acf::pacf(&values, pacf_lags);

    let period = opts.period.or_else(|| decompose::auto_period(n));
    let decomposition = match period {
        Some(p) => {
            let d = decompose::seasonal_decompose(&values, p);
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
    };
    let bursts = bursts::bursts(&values, describe.mean, describe.std, opts.z);
    let histogram = histogram(&files, opts)?;
    if histogram.larger > 0 {
        notices.push(format!(
            "histogram: {} TCP/UDP packets larger than --max-size {} are not shown",
            histogram.larger, opts.max_size
        ));
    }
    Ok(Analysis {
        stem: stem_of(inputs),
        series,
        values,
        describe,
        acf,
        pacf,
        decomposition,
        bursts,
        histogram,
        notices,
    })
}

pub use crate::report::csv::timestamp_text;

fn lag_rows(lags: &[Lag]) -> impl Iterator<Item = [Cell<'_>; 4]> {
    lags.iter().map(|l| {
        [
            Cell::Int(l.lag as u64),
            Cell::Float(l.value),
            Cell::Float(l.ci_low),
            Cell::Float(l.ci_high),
        ]
    })
}

/// The describe table as Markdown (printed on stdout).
pub fn describe_markdown(d: &Describe, label: &str) -> String {
    let rows: Vec<Vec<String>> = d
        .rows()
        .into_iter()
        .map(|(name, v)| {
            vec![
                name.to_string(),
                v.map(|v| format!("{v:.1}"))
                    .unwrap_or_else(|| "null".into()),
            ]
        })
        .collect();
    markdown::table(&["statistic", label], "lr", &rows)
}

/// One output (or a group of related outputs): run in parallel with the others.
type Task<'a> = Box<dyn FnOnce() -> Result<Vec<PathBuf>> + Send + 'a>;

/// Writes every output, the figures and tables in parallel; returns their paths.
pub fn write(a: &Analysis, opts: &AnalyzeOptions) -> Result<Vec<PathBuf>> {
    use rayon::prelude::*;
    let dir = &opts.out_dir;
    let out = move |suffix: &str| dir.join(format!("{}.{suffix}", a.stem));
    let s = &a.series;
    let every = &opts.series.every;
    let size_name = opts.series.size.name();
    let canvas = plot::Canvas::new(8.0, 4.5, opts.dpi);

    // Time axis shared by the figures.
    let t0 = s.start_ns[0];
    let span = (s.start_ns[s.len() - 1] - t0) as f64 / 1e9;
    let (tdiv, tunit) = plot::time_unit(span);
    let x = move |i: usize| (s.start_ns[i] - t0) as f64 / 1e9 / tdiv;
    let x_label = format!(
        "time since {} ({tunit})",
        timestamp_text(t0).replace('T', " ").replace('Z', " UTC")
    );
    let x_label = &x_label;

    let mut tasks: Vec<Task<'_>> = Vec::new();

    // Series.
    tasks.push(Box::new(move || {
        let p = out("bps.csv");
        csv::write_rows(
            &p,
            &["timestamp", "bytes_per_second", "packets"],
            (0..s.len()).map(|i| {
                [
                    Cell::Time(s.start_ns[i]),
                    Cell::Float(a.values[i]),
                    Cell::Int(s.packets[i]),
                ]
            }),
        )?;
        Ok(vec![p])
    }));

    // Statistics.
    tasks.push(Box::new(move || {
        let p = out("describe.csv");
        csv::write_rows(
            &p,
            &["statistic", "bytes_per_second"],
            a.describe
                .rows()
                .into_iter()
                .map(|(k, v)| [Cell::Text(k), Cell::Float(v.unwrap_or(f64::NAN))]),
        )?;
        let tex = out("describe.tex");
        let rows: Vec<Vec<String>> = a
            .describe
            .rows()
            .into_iter()
            .map(|(k, v)| {
                vec![
                    latex::escape(k),
                    v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "--".into()),
                ]
            })
            .collect();
        latex::write_table(
            &tex,
            &format!(
                "Descriptive statistics of bytes per second ({} size, {every} intervals), {}.",
                size_name,
                latex::escape(&a.stem)
            ),
            &format!("tab:{}-describe", a.stem),
            "lr",
            &["Statistic".into(), "Bytes per second".into()],
            &rows,
        )?;
        Ok(vec![p, tex])
    }));

    // Histogram.
    tasks.push(Box::new(move || {
        let h = &a.histogram;
        let p = out("protocol_dist.csv");
        csv::write_rows(
            &p,
            &["size", "TCP", "UDP"],
            (0..h.tcp.len()).map(|i| {
                [
                    Cell::Int(i as u64),
                    Cell::Int(h.tcp[i]),
                    Cell::Int(h.udp[i]),
                ]
            }),
        )?;
        let png = out("protocol_dist.png");
        plot::size_histogram(
            &png,
            canvas,
            &format!("{}: packet sizes by transport", a.stem),
            &format!("packet size, {size_name} (bytes)"),
            &[("TCP", &h.tcp), ("UDP", &h.udp)],
        )?;
        Ok(vec![p, png])
    }));

    // Time series with bursts.
    tasks.push(Box::new(move || {
        let points: Vec<(f64, f64)> = (0..s.len()).map(|i| (x(i), a.values[i])).collect();
        let drawn = lttb(&points, 2000);
        let marks = |rule| {
            let all: Vec<(f64, f64)> = a
                .bursts
                .iter()
                .filter(|b| b.rule == rule)
                .map(|b| (x(b.index), b.value))
                .collect();
            extremes(&all, 1000)
        };
        let p = out("time_series.png");
        plot::time_series(
            &p,
            canvas,
            &format!(
                "{}: bytes per second ({size_name} size, {every} intervals)",
                a.stem
            ),
            x_label,
            &drawn,
            &marks(bursts::Rule::ZScore),
            &marks(bursts::Rule::Robust),
            opts.z,
        )?;
        Ok(vec![p])
    }));
    tasks.push(Box::new(move || {
        let p = out("bursts.csv");
        csv::write_rows(
            &p,
            &["timestamp", "rule", "bytes_per_second", "score"],
            a.bursts.iter().map(|b| {
                [
                    Cell::Time(s.start_ns[b.index]),
                    Cell::Text(b.rule.name()),
                    Cell::Float(b.value),
                    Cell::Float(b.score),
                ]
            }),
        )?;
        Ok(vec![p])
    }));

    // Decomposition.
    if let Some(d) = &a.decomposition {
        tasks.push(Box::new(move || {
            let p = out("decomposition.csv");
            csv::write_rows(
                &p,
                &["timestamp", "observed", "trend", "seasonal", "resid"],
                (0..s.len()).map(|i| {
                    [
                        Cell::Time(s.start_ns[i]),
                        Cell::Float(a.values[i]),
                        Cell::Float(d.trend[i]),
                        Cell::Float(d.seasonal[i]),
                        Cell::Float(d.resid[i]),
                    ]
                }),
            )?;
            Ok(vec![p])
        }));
        tasks.push(Box::new(move || {
            let max = a.values.iter().copied().fold(0.0, f64::max);
            let (div, unit) = report::rate_unit(max);
            let comp = |v: &[f64]| {
                lttb(
                    &(0..s.len())
                        .map(|i| (x(i), v[i] / div))
                        .filter(|p| p.1.is_finite())
                        .collect::<Vec<_>>(),
                    3000,
                )
            };
            let p = out("decomposition.png");
            plot::stacked(
                &p,
                plot::Canvas::new(8.0, 9.0, opts.dpi),
                &format!(
                    "{}: additive decomposition, period {} intervals",
                    a.stem, d.period
                ),
                x_label,
                unit,
                &[
                    ("observed", comp(&a.values)),
                    ("trend", comp(&d.trend)),
                    ("seasonal", comp(&d.seasonal)),
                    ("residual", comp(&d.resid)),
                ],
            )?;
            Ok(vec![p])
        }));
    }

    // ACF / PACF.
    tasks.push(Box::new(move || {
        let header = &["lag", "value", "ci_low", "ci_high"];
        let (acf_csv, pacf_csv) = (out("acf.csv"), out("pacf.csv"));
        csv::write_rows(&acf_csv, header, lag_rows(&a.acf))?;
        csv::write_rows(&pacf_csv, header, lag_rows(&a.pacf))?;
        let band = |lags: &[Lag]| {
            lags.iter()
                .map(|l| (l.lag, l.value, l.ci_high - l.value))
                .collect::<Vec<_>>()
        };
        let p = out("autocorrelation.png");
        plot::correlograms(
            &p,
            plot::Canvas::new(8.0, 6.0, opts.dpi),
            &format!("{}: autocorrelation of bytes per second", a.stem),
            &[
                plot::Correlogram {
                    title: "ACF (95 % Bartlett band)",
                    lags: band(&a.acf),
                },
                plot::Correlogram {
                    title: "PACF, Yule-Walker (95 % band ±1.96/√n)",
                    lags: band(&a.pacf),
                },
            ],
        )?;
        Ok(vec![acf_csv, pacf_csv, p])
    }));

    // Every task runs even if another failed; the first error (in output order) is returned.
    let results: Vec<Result<Vec<PathBuf>>> = tasks.into_par_iter().map(|t| t()).collect();
    let mut written = Vec::new();
    for r in results {
        written.extend(r?);
    }
    Ok(written)
}

/// Runs `ntp analyze`: computes, then writes (nothing is written if computing fails).
pub fn run(inputs: &[PathBuf], opts: &AnalyzeOptions) -> Result<(Analysis, Vec<PathBuf>)> {
    let a = compute(inputs, opts)?;
    let written = write(&a, opts)?;
    Ok((a, written))
}
