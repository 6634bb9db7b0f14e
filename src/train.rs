//! `ntp train`: the study's LSTM look-back sweep, beside baselines that tell whether the
//! LSTM learned anything a persistence forecast does not know.
//!
//! For each look-back L: sliding windows over the series ([`crate::series`], the same options
//! as `ntp analyze`), a chronological split, MinMax scaling fitted on the training part only
//! (`scale_on_all` reproduces the study's leak), the LSTM trained with Adam on MSE, and every
//! baseline on exactly the same test windows. Errors are in the series' units (bytes/s).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::analysis::decompose::auto_period;
use crate::error::{Error, Result};
use crate::forecast::baselines::{self, Baseline};
use crate::forecast::lstm::{self, History, Hyper, Lstm};
use crate::forecast::metrics::{self, Metrics};
use crate::forecast::{split, training_span, Scaler, Windows};
use crate::output::write_atomically;
use crate::progress::Progress;
use crate::report::{latex, plot};
use crate::series::{self, SeriesOptions, SizeKind};

#[derive(Clone, Debug)]
pub struct TrainOptions {
    pub series: SeriesOptions,
    pub out_dir: PathBuf,
    pub look_backs: Vec<usize>,
    pub horizon: usize,
    pub test_fraction: f64,
    pub scale_on_all: bool,
    pub hyper: Hyper,
    /// Seasonal period for the seasonal-naive baseline (default: the analyze rule).
    pub period: Option<usize>,
    pub dpi: u32,
}

/// The result of one look-back.
pub struct LookBack {
    pub look_back: usize,
    /// `Err(reason)` when the series is too short for it.
    pub status: std::result::Result<(), String>,
    pub train_windows: usize,
    pub test_windows: usize,
    /// (model, metrics) — LSTM first, then baselines (None: the baseline has no forecast).
    pub rows: Vec<(String, Option<Metrics>)>,
    pub history: History,
    pub seconds: f64,
    /// Test targets and forecasts (bytes/s) by model name.
    pub actual: Vec<f64>,
    pub forecasts: BTreeMap<String, Vec<f64>>,
    pub test_start_ns: Vec<i64>,
    pub scaler: Scaler,
    model: Option<Lstm>,
}

impl LookBack {
    pub fn mse(&self, model: &str) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.0 == model)
            .and_then(|r| r.1.map(|m| m.mse))
    }
}

/// What `ntp train` produced.
pub struct TrainReport {
    pub stem: String,
    pub results: Vec<LookBack>,
    pub best: usize,
    pub written: Vec<PathBuf>,
}

/// The models of a sweep, in table order.
pub const MODELS: [&str; 5] = [
    "lstm",
    "persistence",
    "seasonal_naive",
    "window_mean",
    "linear_ar",
];

/// A sweep's MSE per look-back and model as Markdown; `cells[i][j]` is look-back `i`,
/// model [`MODELS`]`[j]`, already formatted.
pub fn mse_markdown(rows: Vec<(String, Vec<String>)>) -> String {
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|(l, v)| std::iter::once(l).chain(v).collect())
        .collect();
    crate::report::markdown::table(
        &[
            "look-back",
            "LSTM",
            "persistence",
            "seasonal naive",
            "window mean",
            "linear AR",
        ],
        "lrrrrr",
        &rows,
    )
}

impl TrainReport {
    /// The sweep's MSE table, the best look-back marked.
    pub fn markdown(&self) -> String {
        mse_markdown(
            self.results
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let label = format!(
                        "{}{}",
                        r.look_back,
                        if i == self.best { " (best)" } else { "" }
                    );
                    let cells = MODELS
                        .iter()
                        .map(|m| match (&r.status, r.mse(m)) {
                            (Err(_), _) => "too short".to_string(),
                            (_, Some(v)) => format!("{v:.4e}"),
                            (_, None) => "—".to_string(),
                        })
                        .collect();
                    (label, cells)
                })
                .collect(),
        )
    }
}

/// Saved beside the model weights: everything needed to apply it to another capture.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModelCard {
    pub ntp_version: String,
    pub look_back: usize,
    pub horizon: usize,
    pub scaler: Scaler,
    pub hyper: Hyper,
    pub every: String,
    pub size: String,
    pub drop_empty: bool,
    pub scale_on_all: bool,
    pub trained_on: String,
    pub test_mse: f64,
}

pub const LSTM: &str = "lstm";

/// Version of a dependency as locked when ntp was built.
pub fn locked_version(name: &str) -> String {
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

fn size_kind(name: &str) -> SizeKind {
    match name {
        "wire" => SizeKind::Wire,
        "captured" => SizeKind::Captured,
        _ => SizeKind::Ip,
    }
}

/// Candle's matrix products look the thread count up on every call and lose to thread
/// hand-offs on these tiny matrices (crate-notes.md): one thread is faster. Rayon's global
/// pool is built first, with every core: the fused LSTM layer splits its batch over it.
fn single_threaded_gemm() {
    let _ = rayon::current_num_threads();
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
}

fn windows_f32(
    x: &[f64],
    w: &Windows,
    range: std::ops::Range<usize>,
    s: &Scaler,
) -> (Vec<Vec<f32>>, Vec<f32>) {
    let xs = range
        .clone()
        .map(|i| {
            x[w.starts[i]..w.starts[i] + w.look_back]
                .iter()
                .map(|&v| s.scale(v) as f32)
                .collect()
        })
        .collect();
    let ys = range.map(|i| s.scale(x[w.target(i)]) as f32).collect();
    (xs, ys)
}

fn one_look_back(
    x: &[f64],
    start_ns: &[i64],
    look_back: usize,
    opts: &TrainOptions,
    period: Option<usize>,
    progress: &Progress,
) -> Result<LookBack> {
    let started = Instant::now();
    let w = Windows::new(x.len(), look_back, opts.horizon);
    let train = split(w.len(), opts.test_fraction);
    let mut r = LookBack {
        look_back,
        status: Ok(()),
        train_windows: train,
        test_windows: w.len().saturating_sub(train),
        rows: Vec::new(),
        history: History::default(),
        seconds: 0.0,
        actual: Vec::new(),
        forecasts: BTreeMap::new(),
        test_start_ns: Vec::new(),
        scaler: Scaler { min: 0.0, max: 1.0 },
        model: None,
    };
    if train < 2 || r.test_windows < 1 {
        r.status = Err(format!(
            "series too short: {} points give {} windows of {look_back}+{} (needs ≥ 2 train and 1 test)",
            x.len(),
            w.len(),
            opts.horizon
        ));
        return Ok(r);
    }
    let span = training_span(&w, train);
    r.scaler = if opts.scale_on_all {
        Scaler::fit(x)
    } else {
        Scaler::fit(&x[..span])
    };
    let (tx, ty) = windows_f32(x, &w, 0..train, &r.scaler);
    let (vx, vy) = windows_f32(x, &w, train..w.len(), &r.scaler);
    let model = Lstm::new(opts.hyper.hidden, opts.hyper.layers, opts.hyper.seed)?;
    let bar = progress.items(opts.hyper.epochs as u64, format!("look-back {look_back}"));
    r.history = lstm::train(
        &model,
        &tx,
        &ty,
        (&vx, &vy),
        &opts.hyper,
        |epoch, loss, val| {
            bar.set_position(epoch as u64);
            bar.set_message(format!("loss {loss:.5} val {val:.5}"));
        },
    )?;
    bar.finish_and_clear();
    let pred: Vec<f64> = model
        .predict(&vx, 256)?
        .into_iter()
        .map(|p| r.scaler.unscale(p as f64))
        .collect();
    r.actual = (train..w.len()).map(|i| x[w.target(i)]).collect();
    r.test_start_ns = (train..w.len()).map(|i| start_ns[w.target(i)]).collect();
    let scale = metrics::naive_scale(&x[..span]);
    r.rows
        .push((LSTM.into(), Some(metrics::compute(&r.actual, &pred, scale))));
    r.forecasts.insert(LSTM.into(), pred);
    let ar = baselines::fit_ar(x, &w, train);
    for b in Baseline::ALL {
        let f = baselines::forecast(b, x, &w, train..w.len(), period, ar.as_deref());
        let m = (!f.iter().any(|v| v.is_nan())).then(|| metrics::compute(&r.actual, &f, scale));
        r.rows.push((b.name().into(), m));
        r.forecasts.insert(b.name().into(), f);
    }
    r.model = Some(model);
    r.seconds = started.elapsed().as_secs_f64();
    Ok(r)
}

fn sci(v: f64) -> String {
    if !v.is_finite() {
        return "--".into();
    }
    let e = v.abs().log10().floor() as i32;
    if (-2..4).contains(&e) {
        return format!("{v:.3}");
    }
    format!("${:.3}\\times10^{{{e}}}$", v / 10f64.powi(e))
}

impl TrainOptions {
    /// Rejects settings no model can be trained with, naming the option.
    pub fn validate(&self) -> Result<()> {
        let hp = &self.hyper;
        let checks = [
            (
                self.look_backs.is_empty(),
                "--look-back needs at least one value",
            ),
            (
                self.look_backs.contains(&0),
                "--look-back values must be ≥ 1",
            ),
            (self.horizon == 0, "--horizon must be ≥ 1"),
            (
                !(self.test_fraction > 0.0 && self.test_fraction < 1.0),
                "--test-fraction must be between 0 and 1 (exclusive)",
            ),
            (hp.hidden == 0, "--hidden must be ≥ 1"),
            (hp.layers == 0, "--layers must be ≥ 1"),
            (hp.batch_size == 0, "--batch-size must be ≥ 1"),
            (hp.epochs == 0, "--epochs must be ≥ 1"),
            (
                !(hp.lr.is_finite() && hp.lr > 0.0),
                "--lr must be a positive number",
            ),
        ];
        match checks.iter().find(|c| c.0) {
            Some((_, message)) => Err(Error::Invalid((*message).into())),
            None => crate::report::plot::check_dpi(self.dpi),
        }
    }
}

/// Runs the sweep and writes every output.
pub fn run(inputs: &[PathBuf], opts: &TrainOptions, progress: &Progress) -> Result<TrainReport> {
    let started = Instant::now();
    opts.validate()?;
    let files = crate::dataset::reader::resolve(inputs)?;
    let series = series::build(&files, &opts.series)?;
    let factor = series.rate_factor();
    let x: Vec<f64> = series.bytes.iter().map(|&b| b as f64 * factor).collect();
    let stem = crate::analyze::stem_of(inputs);
    single_threaded_gemm();
    let period = opts.period.or_else(|| auto_period(x.len()));
    let mut results = Vec::new();
    for &l in &opts.look_backs {
        results.push(one_look_back(
            &x,
            &series.start_ns,
            l,
            opts,
            period,
            progress,
        )?);
    }
    let best = results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.mse(LSTM).map(|m| (i, m)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
        .ok_or_else(|| Error::Dataset {
            path: files[0].clone(),
            message: format!(
                "series of {} intervals is too short for every look-back ({})",
                x.len(),
                opts.look_backs
                    .iter()
                    .map(|l| l.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })?;
    let written = write_outputs(&stem, &files, &results, best, opts, started)?;
    Ok(TrainReport {
        stem,
        results,
        best,
        written,
    })
}

fn write_outputs(
    stem: &str,
    files: &[PathBuf],
    results: &[LookBack],
    best: usize,
    opts: &TrainOptions,
    started: Instant,
) -> Result<Vec<PathBuf>> {
    let (e, b) = (opts.hyper.epochs, opts.hyper.batch_size);
    let out = |suffix: &str| opts.out_dir.join(format!("{stem}.{suffix}"));
    let mut written = Vec::new();

    // Table with every model and metric.
    let p = out(&format!("mse_results.e{e}.b{b}.csv"));
    let mut rows = Vec::new();
    for r in results {
        match &r.status {
            Err(reason) => rows.push(vec![
                r.look_back.to_string(),
                String::new(),
                "".into(),
                "".into(),
                "".into(),
                "".into(),
                "".into(),
                "".into(),
                "0".into(),
                "0".into(),
                format!("\"{reason}\""),
            ]),
            Ok(()) => {
                for (model, m) in &r.rows {
                    let f = |v: Option<f64>| v.map(crate::report::csv::float).unwrap_or_default();
                    rows.push(vec![
                        r.look_back.to_string(),
                        model.clone(),
                        f(m.map(|m| m.mse)),
                        f(m.map(|m| m.rmse)),
                        f(m.map(|m| m.mae)),
                        f(m.map(|m| m.smape)),
                        f(m.map(|m| m.r2)),
                        f(m.map(|m| m.mase)),
                        r.train_windows.to_string(),
                        r.test_windows.to_string(),
                        if m.is_some() {
                            "ok".into()
                        } else {
                            "\"no forecast (needs one period of history)\"".into()
                        },
                    ]);
                }
            }
        }
    }
    crate::report::csv::write_table(
        &p,
        &[
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
        ],
        rows,
    )?;
    written.push(p);

    // LaTeX: look-back | MSE per model, the best model of each row in bold, the best
    // look-back of the LSTM marked with a dagger.
    let models: Vec<&str> = std::iter::once(LSTM)
        .chain(Baseline::ALL.iter().map(|b| b.name()))
        .collect();
    let header: Vec<String> = std::iter::once("Look-back".to_string())
        .chain(
            [
                "LSTM",
                "Persistence",
                "Seasonal naive",
                "Window mean",
                "Linear AR",
            ]
            .iter()
            .map(|s| s.to_string()),
        )
        .collect();
    let mut body = Vec::new();
    for (i, r) in results.iter().enumerate() {
        let mut row = vec![format!(
            "{}{}",
            r.look_back,
            if i == best { "$^\\dagger$" } else { "" }
        )];
        if let Err(reason) = &r.status {
            row.push(format!(
                "\\multicolumn{{5}}{{l}}{{{}}}",
                latex::escape(reason)
            ));
        } else {
            let mses: Vec<Option<f64>> = models.iter().map(|m| r.mse(m)).collect();
            let min = mses.iter().flatten().copied().fold(f64::INFINITY, f64::min);
            for m in &mses {
                row.push(match m {
                    Some(v) if *v == min => format!("\\textbf{{{}}}", sci(*v)),
                    Some(v) => sci(*v),
                    None => "--".into(),
                });
            }
        }
        body.push(row);
    }
    let p = out(&format!("mse_results.e{e}.b{b}.tex"));
    latex::write_table(
        &p,
        &format!(
            "Test MSE ((bytes/s)$^2$) by look-back, {}: LSTM({}) and baselines on the same test windows; bold: best model of the row; $^\\dagger$: best LSTM look-back. {} epochs, batch {}.",
            latex::escape(stem),
            opts.hyper.hidden,
            e,
            b
        ),
        &format!("tab:{stem}-mse"),
        "lrrrrr",
        &header,
        &body,
    )?;
    written.push(p);

    // Prediction plot for the best look-back.
    let r = &results[best];
    let best_baseline = Baseline::ALL
        .iter()
        .filter_map(|bl| r.mse(bl.name()).map(|m| (bl.name(), m)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(n, _)| n)
        .unwrap_or("persistence");
    let t0 = r.test_start_ns[0];
    let span = (r.test_start_ns[r.test_start_ns.len() - 1] - t0) as f64 / 1e9;
    let (tdiv, tunit) = plot::time_unit(span);
    let xs: Vec<f64> = r
        .test_start_ns
        .iter()
        .map(|t| (t - t0) as f64 / 1e9 / tdiv)
        .collect();
    let max = r.actual.iter().copied().fold(0.0, f64::max);
    let (div, unit) = crate::report::rate_unit(max);
    let line = |v: &[f64]| {
        xs.iter()
            .zip(v)
            .map(|(a, b)| (*a, b / div))
            .collect::<Vec<_>>()
    };
    let p = out(&format!("prediction.e{e}.b{b}.png"));
    let lstm_label = format!("LSTM (MSE {:.3e})", r.mse(LSTM).unwrap_or(f64::NAN));
    let base_label = format!(
        "{best_baseline} (MSE {:.3e})",
        r.mse(best_baseline).unwrap_or(f64::NAN)
    );
    plot::panels(
        &p,
        plot::Canvas::new(8.0, 4.5, opts.dpi),
        &format!("{stem}: test span, look-back {}", r.look_back),
        &format!(
            "time since {} ({tunit})",
            crate::analyze::timestamp_text(t0)
                .replace('T', " ")
                .replace('Z', " UTC")
        ),
        &[plot::Panel {
            title: String::new(),
            y_label: format!("throughput ({unit})"),
            lines: vec![
                plot::Series {
                    label: "observed".into(),
                    color: plot::GREY,
                    points: line(&r.actual),
                },
                plot::Series {
                    label: lstm_label,
                    color: plot::BLUE,
                    points: line(&r.forecasts[LSTM]),
                },
                plot::Series {
                    label: base_label,
                    color: plot::ORANGE,
                    points: line(&r.forecasts[best_baseline]),
                },
            ],
        }],
    )?;
    written.push(p);

    // Loss per epoch.
    let colors = [
        plot::BLUE,
        plot::ORANGE,
        plot::GREEN,
        plot::RED,
        plot::PURPLE,
        plot::GREY,
    ];
    let curves = |val: bool| {
        results
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
    let p = out(&format!("loss.e{e}.b{b}.png"));
    plot::panels(
        &p,
        plot::Canvas::new(8.0, 7.0, opts.dpi),
        &format!("{stem}: LSTM loss per epoch (MSE on scaled values)"),
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
    )?;
    written.push(p);

    // Best model and its card.
    let p = out(&format!("best_model.e{e}.b{b}.safetensors"));
    r.model.as_ref().expect("trained").save(&p)?;
    written.push(p.clone());
    let card = ModelCard {
        ntp_version: env!("CARGO_PKG_VERSION").into(),
        look_back: r.look_back,
        horizon: opts.horizon,
        scaler: r.scaler,
        hyper: opts.hyper.clone(),
        every: opts.series.every.clone(),
        size: opts.series.size.name().into(),
        drop_empty: opts.series.drop_empty,
        scale_on_all: opts.scale_on_all,
        trained_on: stem.into(),
        test_mse: r.mse(LSTM).unwrap_or(f64::NAN),
    };
    let json = p.with_extension("json");
    write_atomically(&json, |w| {
        w.write_all(
            serde_json::to_string_pretty(&card)
                .expect("serialisable")
                .as_bytes(),
        )
    })?;
    written.push(json);

    // The run record.
    let run = serde_json::json!({
        "ntp_version": env!("CARGO_PKG_VERSION"),
        "candle_version": locked_version("candle-core"),
        "arguments": std::env::args().collect::<Vec<_>>(),
        "inputs": files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        "input_sha256": sha256_files(files)?,
        "series": {"every": opts.series.every, "size": opts.series.size.name(), "drop_empty": opts.series.drop_empty},
        "horizon": opts.horizon,
        "test_fraction": opts.test_fraction,
        "scale_on_all": opts.scale_on_all,
        "hyper": opts.hyper,
        "seed": opts.hyper.seed,
        "best_look_back": r.look_back,
        "wall_seconds_per_look_back": results.iter().map(|r| (r.look_back.to_string(), r.seconds)).collect::<BTreeMap<_, _>>(),
        "wall_seconds_total": started.elapsed().as_secs_f64(),
        "epoch_seconds_per_look_back": results.iter().map(|r| (r.look_back.to_string(), &r.history.seconds)).collect::<BTreeMap<_, _>>(),
    });
    let p = out("run.json");
    write_atomically(&p, |w| {
        w.write_all(
            serde_json::to_string_pretty(&run)
                .expect("serialisable")
                .as_bytes(),
        )
    })?;
    written.push(p);
    Ok(written)
}

/// What `ntp predict` produced: the dataset's stem, metrics per model, files written.
pub struct Prediction {
    pub stem: String,
    pub metrics: Vec<(String, Metrics)>,
    pub written: Vec<PathBuf>,
}

/// `ntp predict`: applies a saved model to another capture's series.
pub fn predict(model_path: &Path, inputs: &[PathBuf], out_dir: &Path) -> Result<Prediction> {
    let card_path = model_path.with_extension("json");
    let text = std::fs::read_to_string(&card_path).map_err(|e| Error::io(&card_path, e))?;
    let card: ModelCard = serde_json::from_str(&text).map_err(|e| Error::Dataset {
        path: card_path.clone(),
        message: format!("not an ntp model card: {e}"),
    })?;
    let model = Lstm::load(model_path, card.hyper.hidden, card.hyper.layers)?;
    let opts = SeriesOptions {
        every: card.every.clone(),
        size: size_kind(&card.size),
        drop_empty: card.drop_empty,
    };
    let files = crate::dataset::reader::resolve(inputs)?;
    let series = series::build(&files, &opts)?;
    let factor = series.rate_factor();
    let x: Vec<f64> = series.bytes.iter().map(|&b| b as f64 * factor).collect();
    let w = Windows::new(x.len(), card.look_back, card.horizon);
    if w.len() < 2 {
        return Err(Error::Dataset {
            path: files[0].clone(),
            message: format!(
                "series of {} intervals is too short for look-back {}",
                x.len(),
                card.look_back
            ),
        });
    }
    single_threaded_gemm();
    let (vx, _) = windows_f32(&x, &w, 0..w.len(), &card.scaler);
    let pred: Vec<f64> = model
        .predict(&vx, 256)?
        .into_iter()
        .map(|p| card.scaler.unscale(p as f64))
        .collect();
    let actual: Vec<f64> = (0..w.len()).map(|i| x[w.target(i)]).collect();
    let persistence = baselines::forecast(Baseline::Persistence, &x, &w, 0..w.len(), None, None);
    let scale = metrics::naive_scale(&x);
    let stem = crate::analyze::stem_of(inputs);
    let results = vec![
        (LSTM.to_string(), metrics::compute(&actual, &pred, scale)),
        (
            "persistence".to_string(),
            metrics::compute(&actual, &persistence, scale),
        ),
    ];
    let p1 = out_dir.join(format!("{stem}.predictions.csv"));
    crate::report::csv::write_table(
        &p1,
        &["timestamp", "actual", "lstm", "persistence"],
        (0..w.len()).map(|i| {
            vec![
                crate::analyze::timestamp_text(series.start_ns[w.target(i)]),
                crate::report::csv::float(actual[i]),
                crate::report::csv::float(pred[i]),
                crate::report::csv::float(persistence[i]),
            ]
        }),
    )?;
    let p2 = out_dir.join(format!("{stem}.predict_metrics.csv"));
    crate::report::csv::write_table(
        &p2,
        &["model", "mse", "rmse", "mae", "smape", "r2", "mase"],
        results.iter().map(|(n, m)| {
            let f = crate::report::csv::float;
            vec![
                n.clone(),
                f(m.mse),
                f(m.rmse),
                f(m.mae),
                f(m.smape),
                f(m.r2),
                f(m.mase),
            ]
        }),
    )?;
    Ok(Prediction {
        stem,
        metrics: results,
        written: vec![p1, p2],
    })
}
