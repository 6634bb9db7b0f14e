//! Writers of the analysis outputs ([`AnalysisFile`]): one function per file, all run in
//! parallel by [`write()`].

use std::path::{Path, PathBuf};

use crate::analysis::acf::Lag;
use crate::analysis::bursts::{self, Rule};
use crate::analysis::describe::Describe;
use crate::analysis::{Analysis, AnalysisOptions};
use crate::error::{Error, Result};
use crate::render::csv::{self, Cell};
use crate::render::latex;
use crate::render::lttb::{extremes, lttb};
use crate::render::plot::{self, Canvas, TimeAxis};
use crate::report::outputs::{AnalysisFile, AnalysisOutputs};

/// What every writer needs: the analysis, its options and the shared time axis.
struct Context<'a> {
    a: &'a Analysis,
    opts: &'a AnalysisOptions,
    axis: TimeAxis,
}

impl Context<'_> {
    fn x(&self, i: usize) -> f64 {
        self.axis.x(self.a.series.start_ns[i])
    }

    fn canvas(&self) -> Canvas {
        Canvas::new(8.0, 4.5, self.opts.dpi)
    }

    fn size_name(&self) -> &'static str {
        self.opts.series.size.name()
    }

    /// "bytes per second".
    fn rate(&self) -> String {
        self.a.series.quantity.per_second()
    }

    /// "ip size, 1s intervals" for bytes, "5m intervals" for other quantities.
    fn detail(&self) -> String {
        let every = self.a.series.every_text();
        if self.a.series.quantity.is_bytes() {
            format!("{} size, {every} intervals", self.size_name())
        } else {
            format!("{every} intervals")
        }
    }
}

/// Writes every output of the analysis (in parallel); returns their paths in list order.
pub fn write(a: &Analysis, opts: &AnalysisOptions) -> Result<Vec<PathBuf>> {
    use rayon::prelude::*;
    let outputs = AnalysisOutputs::new(&opts.out_dir, &a.stem);
    let ctx = Context {
        a,
        opts,
        axis: TimeAxis::new(&a.series.start_ns),
    };
    let files: Vec<AnalysisFile> = AnalysisFile::ALL
        .into_iter()
        .filter(|f| match f {
            AnalysisFile::DecompositionCsv | AnalysisFile::DecompositionPng => {
                a.decomposition.is_some()
            }
            AnalysisFile::HistogramCsv | AnalysisFile::HistogramPng => a.histogram.is_some(),
            _ => true,
        })
        .collect();
    // Every file is written even if another failed; the first error (in list order) is returned.
    let results: Vec<Result<PathBuf>> = files
        .par_iter()
        .map(|&f| {
            let p = outputs.path(f);
            write_one(&ctx, f, &p).map(|_| p)
        })
        .collect();
    results.into_iter().collect()
}

fn write_one(ctx: &Context<'_>, f: AnalysisFile, p: &Path) -> Result<()> {
    match f {
        AnalysisFile::SeriesCsv => series_csv(ctx, p),
        AnalysisFile::DescribeCsv => describe_csv(ctx, p),
        AnalysisFile::DescribeTex => describe_tex(ctx, p),
        AnalysisFile::HistogramCsv => histogram_csv(ctx, p),
        AnalysisFile::HistogramPng => histogram_png(ctx, p),
        AnalysisFile::TimeSeriesPng => time_series_png(ctx, p),
        AnalysisFile::BurstsCsv => bursts_csv(ctx, p),
        AnalysisFile::DecompositionCsv => decomposition_csv(ctx, p),
        AnalysisFile::DecompositionPng => decomposition_png(ctx, p),
        AnalysisFile::AcfCsv => lags_csv(p, &ctx.a.acf),
        AnalysisFile::PacfCsv => lags_csv(p, &ctx.a.pacf),
        AnalysisFile::AutocorrelationPng => autocorrelation_png(ctx, p),
    }
}

fn series_csv(ctx: &Context<'_>, p: &Path) -> Result<()> {
    let (a, s) = (ctx.a, &ctx.a.series);
    let rate = s.quantity.csv_name();
    match &s.packets {
        Some(packets) => csv::write_rows(
            p,
            &["timestamp", &rate, "packets"],
            (0..s.len()).map(|i| {
                [
                    Cell::Time(s.start_ns[i]),
                    Cell::Float(a.values[i]),
                    Cell::Int(packets[i]),
                ]
            }),
        ),
        None => csv::write_rows(
            p,
            &["timestamp", &rate],
            (0..s.len()).map(|i| [Cell::Time(s.start_ns[i]), Cell::Float(a.values[i])]),
        ),
    }
}

fn describe_csv(ctx: &Context<'_>, p: &Path) -> Result<()> {
    csv::write_rows(
        p,
        &["statistic", &ctx.a.series.quantity.csv_name()],
        ctx.a
            .describe
            .rows()
            .into_iter()
            .map(|(k, v)| [Cell::Text(k), Cell::Float(v.unwrap_or(f64::NAN))]),
    )
}

/// The header of the statistics of many series side by side, one row per series
/// ([`describe_row`]; the `id` column before it).
pub fn describe_header() -> String {
    std::iter::once("quantity")
        .chain(Describe::NAMES)
        .collect::<Vec<_>>()
        .join(",")
}

/// One series' statistics as a row under [`describe_header`].
pub fn describe_row(a: &Analysis) -> String {
    std::iter::once(crate::report::combined::field(
        &a.series.quantity.csv_name(),
    ))
    .chain(
        a.describe
            .rows()
            .into_iter()
            .map(|(_, v)| csv::float(v.unwrap_or(f64::NAN))),
    )
    .collect::<Vec<_>>()
    .join(",")
}

/// Reads the statistics back from a describe CSV (by its header, not by position), with
/// what they describe ("bytes per second").
pub fn read_describe(p: &Path) -> Result<(Describe, String)> {
    let table = csv::read_table(p)?;
    let bad = |message: &str| Error::Report {
        path: p.to_owned(),
        message: message.into(),
    };
    if table.header.len() != 2 || table.header[0] != "statistic" {
        return Err(bad("not a describe table"));
    }
    let rows: Vec<(String, Option<f64>)> = table
        .rows
        .iter()
        .map(|r| (r[0].clone(), r[1].parse::<f64>().ok()))
        .collect();
    let d = Describe::from_rows(rows.iter().map(|(k, v)| (k.as_str(), *v)))
        .ok_or_else(|| bad("a statistic is missing"))?;
    Ok((d, table.header[1].replace('_', " ")))
}

fn describe_tex(ctx: &Context<'_>, p: &Path) -> Result<()> {
    let a = ctx.a;
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
        p,
        &format!(
            "Descriptive statistics of {} ({}), {}.",
            latex::escape(&ctx.rate()),
            latex::escape(&ctx.detail()),
            latex::escape(&a.stem)
        ),
        &format!("tab:{}-describe", a.stem),
        "lr",
        &[
            "Statistic".into(),
            latex::escape(&crate::render::markdown::capitalised(&ctx.rate())),
        ],
        &rows,
    )
}

fn histogram_csv(ctx: &Context<'_>, p: &Path) -> Result<()> {
    let Some(h) = &ctx.a.histogram else {
        return Ok(());
    };
    csv::write_rows(
        p,
        &["size", "TCP", "UDP"],
        (0..h.tcp.len()).map(|i| {
            [
                Cell::Int(i as u64),
                Cell::Int(h.tcp[i]),
                Cell::Int(h.udp[i]),
            ]
        }),
    )
}

fn histogram_png(ctx: &Context<'_>, p: &Path) -> Result<()> {
    let Some(h) = &ctx.a.histogram else {
        return Ok(());
    };
    plot::size_histogram(
        p,
        ctx.canvas(),
        &format!("{}: packet sizes by transport", ctx.a.stem),
        &format!("packet size, {} (bytes)", ctx.size_name()),
        &[("TCP", &h.tcp), ("UDP", &h.udp)],
    )
}

fn time_series_png(ctx: &Context<'_>, p: &Path) -> Result<()> {
    let a = ctx.a;
    let points: Vec<(f64, f64)> = (0..a.series.len())
        .map(|i| (ctx.x(i), a.values[i]))
        .collect();
    let drawn = lttb(&points, 2000);
    // Burst marks thinned per pixel column for drawing only; the CSV keeps them all.
    let marks = |rule| {
        let all: Vec<(f64, f64)> = a
            .bursts
            .iter()
            .filter(|b| b.rule == rule)
            .map(|b| (ctx.x(b.index), b.value))
            .collect();
        extremes(&all, 1000)
    };
    let max = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let (div, y_label) = a.series.quantity.axis(max);
    let below: Vec<(&str, Vec<(f64, f64)>)> = a
        .entropies
        .iter()
        .map(|(name, values)| {
            let pts: Vec<(f64, f64)> = values
                .iter()
                .enumerate()
                .map(|(i, v)| (ctx.x(i), *v))
                .collect();
            (name.as_str(), lttb(&pts, 2000))
        })
        .collect();
    plot::time_series(
        p,
        ctx.canvas(),
        &format!("{}: {} ({})", a.stem, ctx.rate(), ctx.detail()),
        &ctx.axis.label,
        (div, &y_label),
        &drawn,
        [&marks(Rule::ZScore), &marks(Rule::Robust)],
        ctx.opts.z,
        &below,
    )
}

fn bursts_csv(ctx: &Context<'_>, p: &Path) -> Result<()> {
    let s = &ctx.a.series;
    csv::write_rows(
        p,
        &["timestamp", "rule", &s.quantity.csv_name(), "score"],
        ctx.a.bursts.iter().map(|b: &bursts::Burst| {
            [
                Cell::Time(s.start_ns[b.index]),
                Cell::Text(b.rule.name()),
                Cell::Float(b.value),
                Cell::Float(b.score),
            ]
        }),
    )
}

fn decomposition_csv(ctx: &Context<'_>, p: &Path) -> Result<()> {
    let (a, s) = (ctx.a, &ctx.a.series);
    let Some(d) = &a.decomposition else {
        return Ok(());
    };
    csv::write_rows(
        p,
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
    )
}

fn decomposition_png(ctx: &Context<'_>, p: &Path) -> Result<()> {
    let a = ctx.a;
    let Some(d) = &a.decomposition else {
        return Ok(());
    };
    let max = a.values.iter().copied().fold(0.0, f64::max);
    let (div, unit) = a.series.quantity.unit(max);
    let component = |v: &[f64]| {
        lttb(
            &(0..a.series.len())
                .map(|i| (ctx.x(i), v[i] / div))
                .filter(|p| p.1.is_finite())
                .collect::<Vec<_>>(),
            3000,
        )
    };
    plot::stacked(
        p,
        Canvas::new(8.0, 9.0, ctx.opts.dpi),
        &format!(
            "{}: additive decomposition, period {} intervals",
            a.stem, d.period
        ),
        &ctx.axis.label,
        &unit,
        &[
            ("observed", component(&a.values)),
            ("trend", component(&d.trend)),
            ("seasonal", component(&d.seasonal)),
            ("residual", component(&d.resid)),
        ],
    )
}

fn lags_csv(p: &Path, lags: &[Lag]) -> Result<()> {
    csv::write_rows(
        p,
        &["lag", "value", "ci_low", "ci_high"],
        lags.iter().map(|l| {
            [
                Cell::Int(l.lag as u64),
                Cell::Float(l.value),
                Cell::Float(l.ci_low),
                Cell::Float(l.ci_high),
            ]
        }),
    )
}

fn autocorrelation_png(ctx: &Context<'_>, p: &Path) -> Result<()> {
    let band = |lags: &[Lag]| {
        lags.iter()
            .map(|l| (l.lag, l.value, l.ci_high - l.value))
            .collect::<Vec<_>>()
    };
    plot::correlograms(
        p,
        Canvas::new(8.0, 6.0, ctx.opts.dpi),
        &format!("{}: autocorrelation of {}", ctx.a.stem, ctx.rate()),
        &[
            plot::Correlogram {
                title: "ACF (95 % Bartlett band)",
                lags: band(&ctx.a.acf),
            },
            plot::Correlogram {
                title: "PACF, Yule-Walker (95 % band ±1.96/√n)",
                lags: band(&ctx.a.pacf),
            },
        ],
    )
}
