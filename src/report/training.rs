//! Writers of the training outputs ([`TrainFile`]), one function per file, and the typed
//! reader of the metrics table that `report.md` is built from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::forecast::card::ModelCard;
use crate::forecast::metrics::Metrics;
use crate::forecast::models::Model;
use crate::forecast::sweep::{LookBack, Sweep, TrainOptions};
use crate::report::csv::{self, Cell};
use crate::report::outputs::{TrainFile, TrainOutputs};
use crate::report::plot::{self, Canvas, TimeAxis};
use crate::report::{latex, markdown};
use crate::util::atomic::write_atomically;

/// Writes every output of a sweep, in [`TrainFile::ALL`] order; returns their paths.
pub fn write(sweep: &Sweep, opts: &TrainOptions) -> Result<Vec<PathBuf>> {
    let outputs = TrainOutputs::new(
        &opts.out_dir,
        &sweep.stem,
        opts.hyper.epochs,
        opts.hyper.batch_size,
    );
    let mut written = Vec::new();
    for f in TrainFile::ALL {
        let p = outputs.path(f);
        match f {
            TrainFile::MetricsCsv => write_metrics(&p, &metrics_rows(&sweep.results))?,
            TrainFile::MseTex => mse_tex(&p, sweep, opts)?,
            TrainFile::PredictionPng => prediction_png(&p, sweep, opts)?,
            TrainFile::LossPng => loss_png(&p, sweep, opts)?,
            TrainFile::Model => sweep.best().model.as_ref().expect("trained").save(&p)?,
            TrainFile::ModelCard => model_card(&p, sweep, opts)?,
            TrainFile::RunJson => run_json(&p, sweep, opts)?,
        }
        written.push(p);
    }
    Ok(written)
}

/// One row of the metrics table: a model at a look-back (or a look-back the series is too
/// short for), as written and as read back.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricsRow {
    pub look_back: usize,
    /// `None` on a look-back the series is too short for.
    pub model: Option<Model>,
    /// `None` where the model has no forecast.
    pub metrics: Option<Metrics>,
    pub train_windows: usize,
    pub test_windows: usize,
    /// `ok`, or why there is no forecast.
    pub status: String,
}

const NO_FORECAST: &str = "no forecast (needs one period of history)";

/// The rows of a sweep, look-back by look-back, models in [`Model::ALL`] order.
pub fn metrics_rows(results: &[LookBack]) -> Vec<MetricsRow> {
    let mut rows = Vec::new();
    for r in results {
        match &r.status {
            Err(reason) => rows.push(MetricsRow {
                look_back: r.look_back,
                model: None,
                metrics: None,
                train_windows: 0,
                test_windows: 0,
                status: reason.clone(),
            }),
            Ok(()) => rows.extend(r.rows.iter().map(|(model, m)| MetricsRow {
                look_back: r.look_back,
                model: Some(*model),
                metrics: *m,
                train_windows: r.train_windows,
                test_windows: r.test_windows,
                status: if m.is_some() { "ok" } else { NO_FORECAST }.into(),
            })),
        }
    }
    rows
}

const METRICS_HEADER: [&str; 11] = [
    "look_back",
    "model",
    "mse",
    "rmse",
    "mae",
    "smape",
    "r2",
    "mase",
    "train_windows",
    "test_windows",
    "status",
];

fn write_metrics(p: &Path, rows: &[MetricsRow]) -> Result<()> {
    csv::write_rows(
        p,
        &METRICS_HEADER,
        rows.iter().map(|r| {
            let m = |f: fn(&Metrics) -> f64| Cell::Float(r.metrics.as_ref().map_or(f64::NAN, f));
            [
                Cell::Int(r.look_back as u64),
                Cell::Text(r.model.map_or("", |m| m.name())),
                m(|m| m.mse),
                m(|m| m.rmse),
                m(|m| m.mae),
                m(|m| m.smape),
                m(|m| m.r2),
                m(|m| m.mase),
                Cell::Int(r.train_windows as u64),
                Cell::Int(r.test_windows as u64),
                Cell::Text(&r.status),
            ]
        }),
    )
}

/// Reads a metrics table written by [`write`] (columns found by name).
pub fn read_metrics(p: &Path) -> Result<Vec<MetricsRow>> {
    let table = csv::read_table(p)?;
    let bad = |message: String| Error::Report {
        path: p.to_owned(),
        message,
    };
    if table.header != METRICS_HEADER {
        return Err(bad("not an ntp metrics table".into()));
    }
    let num = |s: &str| s.parse::<f64>().ok();
    table
        .rows
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let int = |s: &str| {
                s.parse::<usize>()
                    .map_err(|_| bad(format!("row {}: {s:?} is not a count", i + 2)))
            };
            let metrics = match (num(&f[2]), num(&f[3]), num(&f[4])) {
                (Some(mse), Some(rmse), Some(mae)) => Some(Metrics {
                    mse,
                    rmse,
                    mae,
                    smape: num(&f[5]).unwrap_or(f64::NAN),
                    r2: num(&f[6]).unwrap_or(f64::NAN),
                    mase: num(&f[7]).unwrap_or(f64::NAN),
                }),
                _ => None,
            };
            Ok(MetricsRow {
                look_back: int(&f[0])?,
                model: Model::from_name(&f[1]),
                metrics,
                train_windows: int(&f[8])?,
                test_windows: int(&f[9])?,
                status: f[10].clone(),
            })
        })
        .collect()
}

/// The MSE per look-back (rows) and model (columns) as Markdown; the look-back group at
/// index `best` is marked.
pub fn mse_markdown(rows: &[MetricsRow], best: Option<usize>) -> String {
    let mut table: Vec<(usize, Vec<String>)> = Vec::new();
    for r in rows {
        if table.last().is_none_or(|(l, _)| *l != r.look_back) {
            table.push((r.look_back, vec!["—".into(); Model::ALL.len()]));
        }
        let cells = &mut table.last_mut().expect("just pushed").1;
        match (r.model, &r.metrics) {
            (None, _) => *cells = vec!["too short".into(); Model::ALL.len()],
            (Some(model), Some(m)) => {
                let j = Model::ALL.iter().position(|x| *x == model).expect("listed");
                cells[j] = format!("{:.4e}", m.mse);
            }
            (Some(_), None) => {}
        }
    }
    let header: Vec<&str> = std::iter::once("look-back")
        .chain(Model::ALL.iter().map(|m| m.label()))
        .collect();
    let align = format!("l{}", "r".repeat(Model::ALL.len()));
    let body: Vec<Vec<String>> = table
        .into_iter()
        .enumerate()
        .map(|(i, (l, cells))| {
            let label = format!("{l}{}", if Some(i) == best { " (best)" } else { "" });
            std::iter::once(label).chain(cells).collect()
        })
        .collect();
    markdown::table(&header, &align, &body)
}

/// LaTeX: look-back | MSE per model, the best model of each row in bold, the best
/// look-back of the LSTM marked with a dagger.
fn mse_tex(p: &Path, sweep: &Sweep, opts: &TrainOptions) -> Result<()> {
    let header: Vec<String> = std::iter::once("Look-back".to_string())
        .chain(Model::ALL.iter().map(|m| m.title()))
        .collect();
    let mut body = Vec::new();
    for (i, r) in sweep.results.iter().enumerate() {
        let mark = if i == sweep.best { "$^\\dagger$" } else { "" };
        let mut row = vec![format!("{}{mark}", r.look_back)];
        if let Err(reason) = &r.status {
            row.push(format!(
                "\\multicolumn{{{}}}{{l}}{{{}}}",
                Model::ALL.len(),
                latex::escape(reason)
            ));
        } else {
            let mses: Vec<Option<f64>> = Model::ALL.iter().map(|m| r.mse(*m)).collect();
            let min = mses.iter().flatten().copied().fold(f64::INFINITY, f64::min);
            row.extend(mses.iter().map(|m| match m {
                Some(v) if *v == min => format!("\\textbf{{{}}}", latex::sci(*v)),
                Some(v) => latex::sci(*v),
                None => "--".into(),
            }));
        }
        body.push(row);
    }
    let stem = &sweep.stem;
    latex::write_table(
        p,
        &format!(
            "Test MSE (({})$^2$) by look-back, {}: LSTM({}) and baselines on the same test windows; bold: best model of the row; $^\\dagger$: best LSTM look-back. {} epochs, batch {}.",
            latex::escape(&sweep.quantity.per_second_symbol()),
            latex::escape(stem),
            opts.hyper.hidden,
            opts.hyper.epochs,
            opts.hyper.batch_size
        ),
        &format!("tab:{stem}-mse"),
        &format!("l{}", "r".repeat(Model::ALL.len())),
        &header,
        &body,
    )
}

/// The test span of the best look-back: observed, LSTM and the best baseline.
fn prediction_png(p: &Path, sweep: &Sweep, opts: &TrainOptions) -> Result<()> {
    let r = sweep.best();
    let baseline = r.best_baseline();
    let axis = TimeAxis::new(&r.test_start_ns);
    let max = r.actual.iter().copied().fold(0.0, f64::max);
    let (div, y_label) = sweep.quantity.axis(max);
    let line = |v: &[f64]| {
        r.test_start_ns
            .iter()
            .zip(v)
            .map(|(t, y)| (axis.x(*t), y / div))
            .collect::<Vec<_>>()
    };
    let label = |m: Model, name: &str| format!("{name} (MSE {:.3e})", r.mse(m).unwrap_or(f64::NAN));
    plot::panels(
        p,
        Canvas::new(8.0, 4.5, opts.dpi),
        &format!("{}: test span, look-back {}", sweep.stem, r.look_back),
        &axis.label,
        &[plot::Panel {
            title: String::new(),
            y_label,
            lines: vec![
                plot::Series {
                    label: "observed".into(),
                    color: plot::GREY,
                    points: line(&r.actual),
                },
                plot::Series {
                    label: label(Model::Lstm, "LSTM"),
                    color: plot::BLUE,
                    points: line(&r.forecasts[&Model::Lstm]),
                },
                plot::Series {
                    label: label(baseline, baseline.name()),
                    color: plot::ORANGE,
                    points: line(&r.forecasts[&baseline]),
                },
            ],
        }],
    )
}

/// Training and test loss per epoch, one line per look-back.
fn loss_png(p: &Path, sweep: &Sweep, opts: &TrainOptions) -> Result<()> {
    let colors = [
        plot::BLUE,
        plot::ORANGE,
        plot::GREEN,
        plot::RED,
        plot::PURPLE,
        plot::GREY,
    ];
    let curves = |val: bool| {
        sweep
            .results
            .iter()
            .filter(|r| r.status.is_ok())
            .enumerate()
            .map(|(i, r)| {
                let v = if val {
                    &r.history.validation
                } else {
                    &r.history.train
                };
                plot::Series {
                    label: format!("L = {}", r.look_back),
                    color: colors[i % colors.len()],
                    points: v
                        .iter()
                        .enumerate()
                        .map(|(k, l)| ((k + 1) as f64, *l))
                        .collect(),
                }
            })
            .collect::<Vec<_>>()
    };
    plot::panels(
        p,
        Canvas::new(8.0, 7.0, opts.dpi),
        &format!("{}: LSTM loss per epoch (MSE on scaled values)", sweep.stem),
        "epoch",
        &[
            plot::Panel {
                title: "training windows".into(),
                y_label: "loss".into(),
                lines: curves(false),
            },
            plot::Panel {
                title: "test windows (validation)".into(),
                y_label: "loss".into(),
                lines: curves(true),
            },
        ],
    )
}

fn model_card(p: &Path, sweep: &Sweep, opts: &TrainOptions) -> Result<()> {
    let r = sweep.best();
    let card = ModelCard {
        ntp_version: env!("CARGO_PKG_VERSION").into(),
        look_back: r.look_back,
        horizon: opts.horizon,
        scaler: r.scaler,
        hyper: opts.hyper.clone(),
        every: crate::util::time::duration_text(sweep.every_ns),
        size: opts.series.size.name().into(),
        drop_empty: opts.series.drop_empty,
        scale_on_all: opts.scale_on_all,
        trained_on: sweep.stem.clone(),
        test_mse: r.mse(Model::Lstm).unwrap_or(f64::NAN),
        column: opts.series.column.clone(),
        time_column: opts.series.time_column.clone(),
        fill: opts.series.fill,
    };
    write_atomically(p, |w| w.write_all(card.to_json().as_bytes()))
}

/// Version of a dependency as locked when ntp was built.
fn locked_version(name: &str) -> String {
    let lock = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"));
    let needle = format!("name = \"{name}\"\nversion = \"");
    lock.find(&needle)
        .map(|i| {
            lock[i + needle.len()..]
                .split('"')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_else(|| "unknown".into())
}

fn sha256_files(files: &[PathBuf]) -> Result<String> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for f in files {
        let mut file = std::fs::File::open(f).map_err(|e| Error::io(f, e))?;
        std::io::copy(&mut file, &mut h).map_err(|e| Error::io(f, e))?;
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The run record: inputs and their checksum, every setting, the best look-back, timings.
fn run_json(p: &Path, sweep: &Sweep, opts: &TrainOptions) -> Result<()> {
    let results = &sweep.results;
    let run = serde_json::json!({
        "ntp_version": env!("CARGO_PKG_VERSION"),
        "candle_version": locked_version("candle-core"),
        "arguments": std::env::args().collect::<Vec<_>>(),
        "inputs": sweep.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        "input_sha256": sha256_files(&sweep.files)?,
        "series": {"every": crate::util::time::duration_text(sweep.every_ns), "size": opts.series.size.name(), "drop_empty": opts.series.drop_empty},
        "horizon": opts.horizon,
        "test_fraction": opts.test_fraction,
        "scale_on_all": opts.scale_on_all,
        "hyper": opts.hyper,
        "seed": opts.hyper.seed,
        "best_look_back": sweep.best().look_back,
        "wall_seconds_per_look_back": results.iter().map(|r| (r.look_back.to_string(), r.seconds)).collect::<BTreeMap<_, _>>(),
        "wall_seconds_total": sweep.started.elapsed().as_secs_f64(),
        "epoch_seconds_per_look_back": results.iter().map(|r| (r.look_back.to_string(), &r.history.seconds)).collect::<BTreeMap<_, _>>(),
    });
    write_atomically(p, |w| {
        w.write_all(
            serde_json::to_string_pretty(&run)
                .expect("a JSON value serialises")
                .as_bytes(),
        )
    })
}
