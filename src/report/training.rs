//! Writers of the training outputs ([`TrainFile`]), one function per file, and the typed
//! reader of the metrics table that `report.md` is built from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::forecast::card::ModelCard;
use crate::forecast::experiment::{FoldKey, Row, SeedKey, Summary, Sweep, TrainOptions};
use crate::forecast::metrics::Metrics;
use crate::forecast::models::Model;
use crate::report::csv::{self, Cell};
use crate::report::outputs::{TrainFile, TrainOutputs};
use crate::report::plot::{self, Canvas, TimeAxis};
use crate::report::{latex, markdown};
use crate::util::atomic::write_atomically;

/// Significance level of the table marks.
pub const ALPHA: f64 = 0.05;

/// Writes every output of an experiment, in [`TrainFile::ALL`] order; returns their paths.
pub fn write(sweep: &Sweep, opts: &TrainOptions) -> Result<Vec<PathBuf>> {
    let outputs = TrainOutputs::new(
        &opts.out_dir,
        &sweep.stem,
        opts.hyper.epochs,
        opts.hyper.batch_size,
    );
    let (look_back, seed) = sweep.summary.saved.expect("run() checks a model was saved");
    let mut written = Vec::new();
    for f in TrainFile::ALL {
        let p = outputs.path(f);
        match f {
            TrainFile::MetricsCsv => write_metrics(&p, &sweep.summary.rows)?,
            TrainFile::ForecastsCsv => forecasts_csv(&p, sweep, opts.horizon)?,
            TrainFile::StepsCsv => steps_csv(&p, sweep, opts.horizon)?,
            TrainFile::StepsPng => steps_png(&p, sweep, opts)?,
            TrainFile::MseTex => mse_tex(&p, sweep, opts)?,
            TrainFile::PredictionPng => prediction_png(&p, sweep, opts)?,
            TrainFile::LossPng => loss_png(&p, sweep, opts)?,
            TrainFile::Model => sweep.lstms[&(look_back, seed)].save(&p)?,
            TrainFile::ModelCard => model_card(&p, sweep, opts)?,
            TrainFile::RunJson => run_json(&p, sweep, opts)?,
        }
        written.push(p);
    }
    Ok(written)
}

const METRICS: [&str; 6] = ["mse", "rmse", "mae", "smape", "r2", "mase"];

const METRICS_HEADER: [&str; 26] = [
    "look_back",
    "model",
    "fold",
    "seed",
    "runs",
    "val_mse",
    "val_rmse",
    "val_mae",
    "val_smape",
    "val_r2",
    "val_mase",
    "test_mse",
    "test_rmse",
    "test_mae",
    "test_smape",
    "test_r2",
    "test_mase",
    "dm_p_vs_persistence",
    "dm_p_vs_best_baseline",
    "kept_epoch",
    "selected",
    "best_model",
    "train_windows",
    "val_windows",
    "test_windows",
    "status",
];

fn values(m: &Option<Metrics>) -> [f64; 6] {
    m.map_or([f64::NAN; 6], |m| {
        [m.mse, m.rmse, m.mae, m.smape, m.r2, m.mase]
    })
}

fn write_metrics(p: &Path, rows: &[Row]) -> Result<()> {
    let text: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            [
                r.model.map_or(String::new(), |m| m.name()),
                r.fold.text(),
                r.seed.text(),
                r.status.clone(),
            ]
        })
        .collect();
    csv::write_rows(
        p,
        &METRICS_HEADER,
        rows.iter().zip(&text).map(|(r, t)| {
            let [v0, v1, v2, v3, v4, v5] = values(&r.val);
            let [t0, t1, t2, t3, t4, t5] = values(&r.test);
            [
                Cell::Int(r.look_back as u64),
                Cell::Text(&t[0]),
                Cell::Text(&t[1]),
                Cell::Text(&t[2]),
                Cell::Int(r.runs as u64),
                Cell::Float(v0),
                Cell::Float(v1),
                Cell::Float(v2),
                Cell::Float(v3),
                Cell::Float(v4),
                Cell::Float(v5),
                Cell::Float(t0),
                Cell::Float(t1),
                Cell::Float(t2),
                Cell::Float(t3),
                Cell::Float(t4),
                Cell::Float(t5),
                Cell::Float(r.dm_p_vs_persistence),
                Cell::Float(r.dm_p_vs_best_baseline),
                Cell::Float(r.kept_epoch),
                Cell::Text(if r.selected { "true" } else { "false" }),
                Cell::Text(if r.best_model { "true" } else { "false" }),
                Cell::Int(r.train_windows as u64),
                Cell::Int(r.val_windows as u64),
                Cell::Int(r.test_windows as u64),
                Cell::Text(&t[3]),
            ]
        }),
    )
}

/// Reads a metrics table written by [`write()`].
pub fn read_metrics(p: &Path) -> Result<Vec<Row>> {
    let table = csv::read_table(p)?;
    let bad = |message: String| Error::Report {
        path: p.to_owned(),
        message,
    };
    if table.header != METRICS_HEADER {
        return Err(bad("not an ntp metrics table".into()));
    }
    let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
    table
        .rows
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let line = i + 2;
            let int = |s: &str| {
                s.parse::<usize>()
                    .map_err(|_| bad(format!("row {line}: {s:?} is not a count")))
            };
            let metrics = |at: usize| {
                let v: Vec<f64> = (0..METRICS.len()).map(|k| num(&f[at + k])).collect();
                v[0].is_finite().then(|| Metrics {
                    mse: v[0],
                    rmse: v[1],
                    mae: v[2],
                    smape: v[3],
                    r2: v[4],
                    mase: v[5],
                })
            };
            Ok(Row {
                look_back: int(&f[0])?,
                model: Model::from_name(&f[1]),
                fold: FoldKey::parse(&f[2])
                    .ok_or_else(|| bad(format!("row {line}: fold {:?}", f[2])))?,
                seed: SeedKey::parse(&f[3])
                    .ok_or_else(|| bad(format!("row {line}: seed {:?}", f[3])))?,
                runs: int(&f[4])?,
                val: metrics(5),
                test: metrics(11),
                dm_p_vs_persistence: num(&f[17]),
                dm_p_vs_best_baseline: num(&f[18]),
                kept_epoch: num(&f[19]),
                selected: f[20] == "true",
                best_model: f[21] == "true",
                train_windows: int(&f[22])?,
                val_windows: int(&f[23])?,
                test_windows: int(&f[24])?,
                status: f[25].clone(),
            })
        })
        .collect()
}

/// Which span a table shows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Span {
    Validation,
    Test,
}

/// One table cell: the MSE (mean ± sd over seeds for a seeded model) and, on the test span,
/// the significance marks (`*` vs persistence, `†` vs the best baseline; for a seeded
/// model, significant in every seed).
struct Entry {
    mean: f64,
    sd: Option<f64>,
    vs_persistence: bool,
    vs_best: bool,
    best: bool,
}

/// The table's look-backs (with the LSTM's choice) and models, and its entries.
struct Grid {
    look_backs: Vec<(usize, bool, Option<String>)>,
    models: Vec<Model>,
    entries: BTreeMap<(usize, Model), Entry>,
}

fn grid(rows: &[Row], span: Span) -> Grid {
    let mut look_backs: Vec<(usize, bool, Option<String>)> = Vec::new();
    let mut models: Vec<Model> = Vec::new();
    let mut entries = BTreeMap::new();
    for r in rows {
        if look_backs.last().is_none_or(|l| l.0 != r.look_back) {
            look_backs.push((r.look_back, false, None));
        }
        let Some(model) = r.model else {
            look_backs.last_mut().expect("pushed").2 = Some(r.status.clone());
            continue;
        };
        if !models.contains(&model) {
            models.push(model);
        }
        if r.selected {
            look_backs.last_mut().expect("pushed").1 = true;
        }
        if r.fold != FoldKey::All || !r.seed.is_headline() {
            continue;
        }
        let m = match span {
            Span::Validation => r.val,
            Span::Test => r.test,
        };
        let Some(m) = m else { continue };
        let find = |seed: SeedKey| {
            rows.iter().find(|x| {
                x.model == r.model
                    && x.look_back == r.look_back
                    && x.fold == FoldKey::All
                    && x.seed == seed
            })
        };
        let (sd, p_rows) = if model.is_seeded() {
            (
                find(SeedKey::Sd).and_then(|x| match span {
                    Span::Validation => x.val,
                    Span::Test => x.test,
                }),
                find(SeedKey::Max),
            )
        } else {
            (None, Some(r))
        };
        let test_span = span == Span::Test;
        entries.insert(
            (r.look_back, model),
            Entry {
                mean: m.mse,
                sd: sd.map(|s| s.mse),
                vs_persistence: test_span && p_rows.is_some_and(|x| x.dm_p_vs_persistence < ALPHA),
                vs_best: test_span && p_rows.is_some_and(|x| x.dm_p_vs_best_baseline < ALPHA),
                best: r.best_model,
            },
        );
    }
    Grid {
        look_backs,
        models,
        entries,
    }
}

/// MSE per look-back (rows) and model (columns) as Markdown: mean ± sd over seeds, the
/// LSTM's chosen look-back marked, the best model of all in bold, significance marks on
/// the test table.
pub fn mse_markdown(rows: &[Row], span: Span) -> String {
    let g = grid(rows, span);
    let header: Vec<String> = std::iter::once("look-back".to_string())
        .chain(g.models.iter().map(|m| m.label()))
        .collect();
    let header: Vec<&str> = header.iter().map(|s| s.as_str()).collect();
    let align = format!("l{}", "r".repeat(g.models.len()));
    let body: Vec<Vec<String>> = g
        .look_backs
        .iter()
        .map(|(l, selected, short)| {
            let label = format!("{l}{}", if *selected { " (chosen)" } else { "" });
            let cells = g.models.iter().map(|m| {
                if short.is_some() {
                    return "too short".to_string();
                }
                match g.entries.get(&(*l, *m)) {
                    None => "—".into(),
                    Some(e) => {
                        let mut s = format!("{:.4e}", e.mean);
                        if let Some(sd) = e.sd {
                            s.push_str(&format!(" ± {sd:.1e}"));
                        }
                        if e.vs_persistence {
                            s.push('*');
                        }
                        if e.vs_best {
                            s.push('†');
                        }
                        if e.best {
                            s = format!("**{s}**");
                        }
                        s
                    }
                }
            });
            std::iter::once(label).chain(cells).collect()
        })
        .collect();
    markdown::table(&header, &align, &body)
}

/// The sentence under a table: what its marks mean and how choices were made.
pub fn legend(summary_on_test: bool, network: Model, seeds: usize, folds: usize) -> String {
    let net = network.label();
    let rule = if summary_on_test {
        "chosen on the test span (the study's rule: the test errors of the chosen rows are optimistic)"
    } else {
        "chosen on the validation span; the test span chose nothing"
    };
    format!(
        "MSE mean over {folds} fold(s); {net} mean ± sd over {seeds} seed(s). Look-back (chosen) and the bold cell (lowest MSE of all) were {rule}. \
         Test table: * differs from persistence, † from the best baseline on validation (Diebold–Mariano, HLN-corrected, two-sided p < {ALPHA}; for the {net} in every seed) — in either direction: the MSEs say which is lower."
    )
}

/// What the network and the AR read besides the target, for captions ("" when nothing).
pub fn inputs_note(opts: &TrainOptions) -> String {
    let mut extra: Vec<String> = opts.features.clone();
    extra.extend(
        opts.calendar
            .names()
            .into_iter()
            .map(|c| format!("{c} of the day/week")),
    );
    if extra.is_empty() {
        String::new()
    } else {
        format!(
            "; inputs besides the target: {} (the linear AR is an ARX on them)",
            extra.join(", ")
        )
    }
}

/// The LaTeX table of test MSE with the same marks.
fn mse_tex(p: &Path, sweep: &Sweep, opts: &TrainOptions) -> Result<()> {
    let net = sweep.network().label();
    let g = grid(&sweep.summary.rows, Span::Test);
    let header: Vec<String> = std::iter::once("Look-back".to_string())
        .chain(g.models.iter().map(|m| latex::escape(&m.title())))
        .collect();
    let mut body = Vec::new();
    for (l, selected, short) in &g.look_backs {
        let mark = if *selected { "$^\\triangleright$" } else { "" };
        let mut row = vec![format!("{l}{mark}")];
        if let Some(reason) = short {
            row.push(format!(
                "\\multicolumn{{{}}}{{l}}{{{}}}",
                g.models.len(),
                latex::escape(reason)
            ));
        } else {
            row.extend(g.models.iter().map(|m| match g.entries.get(&(*l, *m)) {
                None => "--".into(),
                Some(e) => {
                    let mut s = latex::sci(e.mean);
                    if let Some(sd) = e.sd {
                        s = format!("{s} $\\pm$ {}", latex::sci(sd));
                    }
                    let marks: String = [(e.vs_persistence, "*"), (e.vs_best, "\\dagger")]
                        .iter()
                        .filter(|m| m.0)
                        .map(|m| m.1)
                        .collect::<Vec<_>>()
                        .join(",");
                    if !marks.is_empty() {
                        s = format!("{s}$^{{{marks}}}$");
                    }
                    if e.best {
                        s = format!("\\textbf{{{s}}}");
                    }
                    s
                }
            }));
        }
        body.push(row);
    }
    let stem = &sweep.stem;
    let on_test = sweep.summary.on_test;
    latex::write_table(
        p,
        &format!(
            "Test MSE (({})$^2$) by look-back, {}: {net}({}{}) mean $\\pm$ sd over {} seed(s), mean over {} fold(s); baselines and classical models on the same test values{}. $\\triangleright$: the {net} look-back and bold: the lowest MSE of all, both chosen on the {}. $^*$, $^\\dagger$: Diebold--Mariano (HLN) p $<$ {ALPHA} against persistence and the best baseline ({net}: in every seed). {} epochs{}, batch {}.",
            latex::escape(&sweep.quantity.per_second_symbol()),
            latex::escape(stem),
            opts.hyper.hidden,
            if opts.hyper.layers > 1 {
                format!(" $\\times$ {}", opts.hyper.layers)
            } else {
                String::new()
            },
            opts.seeds,
            sweep.folds(),
            inputs_note(opts),
            if on_test { "test span (the study's rule, optimistic)" } else { "validation span" },
            opts.hyper.epochs,
            if on_test { "" } else { " at most (early stopping)" },
            opts.hyper.batch_size
        ),
        &format!("tab:{stem}-mse"),
        &format!("l{}", "r".repeat(g.models.len())),
        &header,
        &body,
    )
}

/// Each run's model name and seed as CSV text (the seed empty for deterministic models).
fn run_labels(sweep: &Sweep) -> Vec<(String, String)> {
    sweep
        .runs
        .iter()
        .map(|r| {
            (
                r.model.name(),
                r.seed.map_or(String::new(), |s| s.to_string()),
            )
        })
        .collect()
}

/// Every forecast scored: one row per (fold, look-back, model, seed, span, origin, step);
/// `time` is the target's.
fn forecasts_csv(p: &Path, sweep: &Sweep, horizon: usize) -> Result<()> {
    let text = run_labels(sweep);
    let rows = sweep.runs.iter().zip(&text).flat_map(|(r, (name, seed))| {
        let cell = &sweep.cells[r.cell];
        let spans = [
            ("validation", &r.val, &cell.val_actual, &cell.val_start_ns),
            ("test", &r.test, &cell.test_actual, &cell.test_start_ns),
        ];
        spans.into_iter().flat_map(move |(span, f, actual, times)| {
            f.iter().zip(actual).enumerate().map(move |(i, (f, a))| {
                [
                    Cell::Time(times[i]),
                    Cell::Int(cell.fold as u64),
                    Cell::Int(cell.look_back as u64),
                    Cell::Text(name),
                    Cell::Text(seed),
                    Cell::Text(span),
                    Cell::Int((i % horizon + 1) as u64),
                    Cell::Float(*a),
                    Cell::Float(*f),
                ]
            })
        })
    });
    csv::write_rows(
        p,
        &[
            "time",
            "fold",
            "look_back",
            "model",
            "seed",
            "span",
            "step",
            "actual",
            "forecast",
        ],
        rows,
    )
}

/// Mean squared and absolute error of step `step` (1-based) of window-major paths.
fn step_errors(actual: &[f64], forecast: &[f64], horizon: usize, step: usize) -> (f64, f64) {
    let (mut se, mut ae, mut n) = (0.0, 0.0, 0usize);
    for (a, f) in actual.iter().zip(forecast).skip(step - 1).step_by(horizon) {
        se += (a - f) * (a - f);
        ae += (a - f).abs();
        n += 1;
    }
    if n == 0 || forecast.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    (se / n as f64, ae / n as f64)
}

/// Errors per step 1 … H of every run: the multi-step forecasts are direct for the LSTM
/// (one output per step) and the AR (one regression per step), from the state for the
/// smoothing models.
fn steps_csv(p: &Path, sweep: &Sweep, horizon: usize) -> Result<()> {
    let text = run_labels(sweep);
    let rows = sweep.runs.iter().zip(&text).flat_map(|(r, (name, seed))| {
        let cell = &sweep.cells[r.cell];
        (1..=horizon).map(move |step| {
            let (val, _) = step_errors(&cell.val_actual, &r.val, horizon, step);
            let (mse, mae) = step_errors(&cell.test_actual, &r.test, horizon, step);
            [
                Cell::Int(cell.look_back as u64),
                Cell::Text(name),
                Cell::Int(cell.fold as u64),
                Cell::Text(seed),
                Cell::Int(step as u64),
                Cell::Float(val),
                Cell::Float(mse),
                Cell::Float(mae),
            ]
        })
    });
    csv::write_rows(
        p,
        &[
            "look_back",
            "model",
            "fold",
            "seed",
            "step",
            "val_mse",
            "test_mse",
            "test_mae",
        ],
        rows,
    )
}

/// Test MSE against the forecast step at the chosen look-back, one line per model (mean over
/// folds and seeds).
fn steps_png(p: &Path, sweep: &Sweep, opts: &TrainOptions) -> Result<()> {
    let h = opts.horizon;
    let (look_back, _) = sweep.summary.saved.expect("checked");
    let colors = plot::CYCLE;
    let mut lines = Vec::new();
    for (k, &model) in sweep.models.iter().enumerate() {
        let runs: Vec<_> = sweep
            .runs
            .iter()
            .filter(|r| r.model == model && sweep.cells[r.cell].look_back == look_back)
            .filter(|r| !r.test.is_empty())
            .collect();
        if runs.is_empty() {
            continue;
        }
        let points: Vec<(f64, f64)> = (1..=h)
            .map(|step| {
                let v: f64 = runs
                    .iter()
                    .map(|r| step_errors(&sweep.cells[r.cell].test_actual, &r.test, h, step).0)
                    .sum::<f64>()
                    / runs.len() as f64;
                (step as f64, v)
            })
            .collect();
        lines.push(plot::Series {
            label: model.label(),
            color: colors[k % colors.len()],
            points,
        });
    }
    // One step: points, not lines of one point.
    let (lines, marks) = if h == 1 {
        (Vec::new(), lines)
    } else {
        (lines, Vec::new())
    };
    plot::panels(
        p,
        Canvas::new(8.0, 4.5, opts.dpi),
        &format!(
            "{}: test MSE per forecast step, look-back {look_back}",
            sweep.stem
        ),
        "step (intervals ahead)",
        &[plot::Panel {
            title: String::new(),
            y_label: format!("MSE ({})²", sweep.quantity.per_second_symbol()),
            lines,
            marks,
        }],
    )
}

/// The last fold's test span at the chosen look-back: observed, the saved LSTM and the best
/// baseline.
fn prediction_png(p: &Path, sweep: &Sweep, opts: &TrainOptions) -> Result<()> {
    let (look_back, seed) = sweep.summary.saved.expect("checked");
    let fold = sweep.folds() - 1;
    let cell_index = sweep
        .cells
        .iter()
        .position(|c| c.fold == fold && c.look_back == look_back)
        .expect("the saved model's cell");
    let cell = &sweep.cells[cell_index];
    let baseline = sweep.summary.best_baseline[&look_back];
    // The forecast `horizon` steps ahead: the last of each path.
    let h = opts.horizon;
    let last = |v: &[f64]| -> Vec<f64> { v.iter().copied().skip(h - 1).step_by(h).collect() };
    let times: Vec<i64> = cell
        .test_start_ns
        .iter()
        .copied()
        .skip(h - 1)
        .step_by(h)
        .collect();
    let axis = TimeAxis::new(&times);
    let max = cell.test_actual.iter().copied().fold(0.0, f64::max);
    let (div, y_label) = sweep.quantity.axis(max);
    let line = |v: &[f64]| {
        times
            .iter()
            .zip(last(v))
            .map(|(t, y)| (axis.x(*t), y / div))
            .collect::<Vec<_>>()
    };
    let mut lines = vec![plot::Series {
        label: "observed".into(),
        color: plot::GREY,
        points: line(&cell.test_actual),
    }];
    for (model, seed, color) in [
        (sweep.network(), Some(seed), plot::BLUE),
        (baseline, None, plot::ORANGE),
    ] {
        if let Some(r) = sweep.run(cell_index, model, seed) {
            let mse = r.test_metrics.map_or(f64::NAN, |m| m.mse);
            lines.push(plot::Series {
                label: format!("{} (MSE {mse:.3e})", model.label()),
                color,
                points: line(&r.test),
            });
        }
    }
    plot::panels(
        p,
        Canvas::new(8.0, 4.5, opts.dpi),
        &format!(
            "{}: test span{}, look-back {look_back}, seed {seed}{}",
            sweep.stem,
            if sweep.folds() > 1 {
                format!(" of fold {fold}")
            } else {
                String::new()
            },
            if h > 1 {
                format!(", {h} steps ahead")
            } else {
                String::new()
            }
        ),
        &axis.label,
        &[plot::Panel {
            title: String::new(),
            y_label,
            lines,
            marks: Vec::new(),
        }],
    )
}

/// Training and validation loss per epoch of the last fold's first seed, one line per
/// look-back, the kept (early-stopping) epoch marked.
fn loss_png(p: &Path, sweep: &Sweep, opts: &TrainOptions) -> Result<()> {
    let colors = [
        plot::BLUE,
        plot::ORANGE,
        plot::GREEN,
        plot::RED,
        plot::PURPLE,
        plot::GREY,
    ];
    let fold = sweep.folds() - 1;
    let seed = opts.hyper.seed;
    let histories: Vec<(usize, &crate::forecast::network::History)> = sweep
        .cells
        .iter()
        .enumerate()
        .filter(|(_, c)| c.fold == fold)
        .filter_map(|(i, c)| {
            let r = sweep.run(i, sweep.network(), Some(seed))?;
            Some((c.look_back, r.history.as_ref()?))
        })
        .collect();
    let curves = |val: bool| {
        histories
            .iter()
            .enumerate()
            .map(|(i, (l, h))| {
                let v = if val { &h.validation } else { &h.train };
                plot::Series {
                    label: format!(
                        "L = {l}{}",
                        if val && !sweep.summary.on_test {
                            format!(", kept epoch {}", h.kept_epoch)
                        } else {
                            String::new()
                        }
                    ),
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
    let kept = if sweep.summary.on_test {
        Vec::new()
    } else {
        vec![plot::Series {
            label: "kept epoch".into(),
            color: plot::RED,
            points: histories
                .iter()
                .filter_map(|(_, h)| {
                    Some((
                        h.kept_epoch as f64,
                        *h.validation.get(h.kept_epoch.checked_sub(1)?)?,
                    ))
                })
                .collect(),
        }]
    };
    let monitored = if sweep.summary.on_test {
        "test windows (the study's validation data)"
    } else {
        "validation windows (early stopping)"
    };
    plot::panels(
        p,
        Canvas::new(8.0, 7.0, opts.dpi),
        &format!(
            "{}: LSTM loss per epoch (MSE on scaled values), seed {seed}",
            sweep.stem
        ),
        "epoch",
        &[
            plot::Panel {
                title: "training windows".into(),
                y_label: "loss".into(),
                lines: curves(false),
                marks: Vec::new(),
            },
            plot::Panel {
                title: monitored.into(),
                y_label: "loss".into(),
                lines: curves(true),
                marks: kept,
            },
        ],
    )
}

fn model_card(p: &Path, sweep: &Sweep, opts: &TrainOptions) -> Result<()> {
    let (look_back, seed) = sweep.summary.saved.expect("checked");
    let fold = sweep.folds() - 1;
    let i = sweep
        .cells
        .iter()
        .position(|c| c.fold == fold && c.look_back == look_back)
        .expect("the saved model's cell");
    let run = sweep.run(i, sweep.network(), Some(seed));
    let mse = |m: Option<Metrics>| m.map_or(f64::NAN, |m| m.mse);
    let card = ModelCard {
        ntp_version: env!("CARGO_PKG_VERSION").into(),
        look_back,
        horizon: opts.horizon,
        scaler: sweep.cells[i].scalers[0],
        hyper: crate::forecast::network::Hyper {
            seed,
            ..opts.hyper.clone()
        },
        every: crate::util::time::duration_text(sweep.every_ns),
        size: opts.series.size.name().into(),
        drop_empty: opts.series.drop_empty,
        scale_on_all: opts.scale_on_all,
        trained_on: sweep.stem.clone(),
        test_mse: mse(run.and_then(|r| r.test_metrics)),
        features: opts.features.clone(),
        feature_scalers: sweep.cells[i].scalers[1..].to_vec(),
        calendar: opts.calendar.clone(),
        val_mse: run.and_then(|r| r.val_metrics).map(|m| m.mse),
        kept_epoch: run.and_then(|r| r.history.as_ref()).map(|h| h.kept_epoch),
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

/// The run record: inputs and their checksum, every setting, the spans of each fold, the
/// seeds, the selection rule and its choices, the classical models' parameters, timings.
fn run_json(p: &Path, sweep: &Sweep, opts: &TrainOptions) -> Result<()> {
    let s: &Summary = &sweep.summary;
    let time = |ns: Option<&i64>| ns.map(|&t| crate::util::time::timestamp_text(t));
    let spans: Vec<serde_json::Value> = sweep
        .cells
        .iter()
        .filter_map(|c| {
            let sp = c.spans()?;
            Some(serde_json::json!({
                "fold": c.fold,
                "look_back": c.look_back,
                "train_windows": sp.train.len(),
                "val_windows": sp.val.len(),
                "test_windows": sp.test.len(),
                "fit_points": sp.fit_end,
                "test_first": time(c.test_start_ns.first()),
                "test_last": time(c.test_start_ns.last()),
            }))
        })
        .collect();
    let lstm_runs: Vec<serde_json::Value> = sweep
        .runs
        .iter()
        .filter(|r| r.model.is_seeded())
        .map(|r| {
            let c = &sweep.cells[r.cell];
            let h = r.history.as_ref();
            serde_json::json!({
                "fold": c.fold,
                "look_back": c.look_back,
                "seed": r.seed,
                "epochs_run": h.map(|h| h.train.len()),
                "kept_epoch": h.map(|h| h.kept_epoch),
                "stopped_early": h.map(|h| h.stopped_early),
                "wall_seconds": r.seconds,
                "epoch_seconds": h.map(|h| &h.seconds),
                "train_loss": h.map(|h| &h.train),
                "validation_loss": h.map(|h| &h.validation),
            })
        })
        .collect();
    let run = serde_json::json!({
        "ntp_version": env!("CARGO_PKG_VERSION"),
        "candle_version": locked_version("candle-core"),
        "arguments": std::env::args().collect::<Vec<_>>(),
        "inputs": sweep.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        "input_sha256": sha256_files(&sweep.files)?,
        "series": {"every": crate::util::time::duration_text(sweep.every_ns), "size": opts.series.size.name(), "drop_empty": opts.series.drop_empty, "points": sweep.points},
        "horizon": opts.horizon,
        "horizon_rule": "each model forecasts the path of the `horizon` values after its window: direct for the LSTM (one output per step) and the linear AR (one regression per step), from the fitted state for the smoothing models, the last value / period / window mean for the naive baselines; metrics average every step of every path, the steps file has them per step",
        "split": opts.split,
        "scale_on_all": opts.scale_on_all,
        "hyper": opts.hyper,
        "seeds": opts.seed_list(),
        "patience": opts.patience,
        "selection_rule": if s.on_test {
            "the study's: the LSTM look-back, the saved seed and the best model by lowest test MSE; every epoch run, the last kept"
        } else {
            "the LSTM look-back by the lowest validation MSE (mean over seeds and folds); the saved model is that look-back's seed with the lowest validation MSE in the last fold; the epoch by the lowest validation loss (early stopping); the best model of all by the lowest mean validation MSE; the best baseline per look-back likewise. The test span is only reported."
        },
        "periods": sweep.periods,
        "periods_detected_on_training_span": sweep.periods_detected,
        "spans": spans,
        "chosen_look_back": s.lstm_look_back,
        "saved_model": s.saved.map(|(l, seed)| serde_json::json!({"look_back": l, "seed": seed, "fold": sweep.folds() - 1})),
        "best_model": s.best.map(|(m, l)| serde_json::json!({"model": m.name(), "look_back": l})),
        "best_baseline_per_look_back": s.best_baseline.iter().map(|(l, m)| (l.to_string(), m.name())).collect::<BTreeMap<_, _>>(),
        "classical_fits": sweep.classical.iter().map(|(fold, f)| serde_json::json!({"fold": fold, "fits": f})).collect::<Vec<_>>(),
        "lstm_runs": lstm_runs,
        "wall_seconds_total": sweep.started.elapsed().as_secs_f64(),
    });
    write_atomically(p, |w| {
        w.write_all(
            serde_json::to_string_pretty(&run)
                .expect("a JSON value serialises")
                .as_bytes(),
        )
    })
}
