//! `{stem}.mse_results.eE.bB.csv`: one tidy row per (look-back, model, fold, seed), and the
//! typed reader that `report.md` and `predict` are built from.

use std::path::Path;

use crate::error::{Error, Result};
use crate::forecast::experiment::{FoldKey, Row, SeedKey};
use crate::forecast::intervals::{level_name, BandScores, IntervalScores, LevelScores};
use crate::forecast::metrics::Metrics;
use crate::forecast::models::Model;
use crate::render::csv::{self, Cell};

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

/// The interval columns after the fixed ones: per level L, `val_coverage_L`,
/// `test_coverage_L`, `test_width_L`, `test_winkler_L`, `test_msis_L` and the analytic
/// band's `test_coverage_analytic_L`, `test_width_analytic_L`, `test_winkler_analytic_L`,
/// and the coverage in each quarter of the test span, `test_q1_coverage_L` … `test_q4_coverage_L`;
/// then `val_crps`, `test_crps` (none without levels).
fn interval_header(levels: &[f64]) -> Vec<String> {
    let mut h: Vec<String> = levels
        .iter()
        .flat_map(|&l| {
            let n = level_name(l);
            INTERVAL_FIELDS.map(|f| format!("{f}_{n}"))
        })
        .collect();
    if !levels.is_empty() {
        h.extend(["val_crps".to_string(), "test_crps".to_string()]);
    }
    h
}

/// The per-level interval columns, in order (`_analytic`: the model's own band, ETS and
/// Holt-Winters only).
const INTERVAL_FIELDS: [&str; 12] = [
    "val_coverage",
    "test_coverage",
    "test_width",
    "test_winkler",
    "test_msis",
    "test_coverage_analytic",
    "test_width_analytic",
    "test_winkler_analytic",
    "test_q1_coverage",
    "test_q2_coverage",
    "test_q3_coverage",
    "test_q4_coverage",
];

/// Columns per level.
const PER_LEVEL: usize = INTERVAL_FIELDS.len();

/// A row's interval scores in the order of [`interval_header`].
fn interval_values(s: &IntervalScores, levels: usize) -> Vec<f64> {
    let mut v = Vec::with_capacity(levels * PER_LEVEL + 2);
    for k in 0..levels {
        match s.levels.get(k) {
            Some(l) => v.extend([
                l.val_coverage,
                l.test.coverage,
                l.test.width,
                l.test.winkler,
                l.test.msis,
                l.analytic.coverage,
                l.analytic.width,
                l.analytic.winkler,
                l.test.quarters[0],
                l.test.quarters[1],
                l.test.quarters[2],
                l.test.quarters[3],
            ]),
            None => v.extend([f64::NAN; PER_LEVEL]),
        }
    }
    if levels > 0 {
        v.extend([s.val_crps, s.test_crps]);
    }
    v
}

pub(super) fn write_metrics(p: &Path, rows: &[Row], levels: &[f64]) -> Result<()> {
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
    let extra = interval_header(levels);
    let header: Vec<&str> = METRICS_HEADER
        .iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
        .collect();
    csv::write_table(
        p,
        &header,
        rows.iter().zip(&text).map(|(r, t)| {
            let [v0, v1, v2, v3, v4, v5] = values(&r.val);
            let [t0, t1, t2, t3, t4, t5] = values(&r.test);
            let fixed = [
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
            ];
            fixed.into_iter().chain(
                interval_values(&r.intervals, levels.len())
                    .into_iter()
                    .map(Cell::Float),
            )
        }),
    )
}

/// The levels of a table's interval columns (`test_coverage_L`), in order.
fn levels_of(header: &[String]) -> Option<Vec<f64>> {
    let extra = &header[METRICS_HEADER.len()..];
    let levels: Vec<f64> = extra
        .iter()
        .filter_map(|c| c.strip_prefix("test_coverage_"))
        .filter(|l| !l.starts_with("analytic"))
        .map(|l| l.parse::<f64>().map(|v| v / 100.0))
        .collect::<std::result::Result<_, _>>()
        .ok()?;
    (interval_header(&levels) == extra).then_some(levels)
}

/// Interval scores read from a row's extra fields.
fn interval_scores(f: &[String], levels: &[f64], num: impl Fn(&str) -> f64) -> IntervalScores {
    if levels.is_empty() {
        return IntervalScores::default();
    }
    let at = |k: usize| num(&f[METRICS_HEADER.len() + k]);
    IntervalScores {
        levels: levels
            .iter()
            .enumerate()
            .map(|(i, &level)| {
                let f = |k: usize| at(PER_LEVEL * i + k);
                LevelScores {
                    level,
                    val_coverage: f(0),
                    test: BandScores {
                        coverage: f(1),
                        width: f(2),
                        winkler: f(3),
                        msis: f(4),
                        quarters: [f(8), f(9), f(10), f(11)],
                    },
                    analytic: BandScores {
                        coverage: f(5),
                        width: f(6),
                        winkler: f(7),
                        msis: f64::NAN,
                        quarters: [f64::NAN; 4],
                    },
                }
            })
            .collect(),
        val_crps: at(PER_LEVEL * levels.len()),
        test_crps: at(PER_LEVEL * levels.len() + 1),
    }
}

/// Reads a metrics table written by [`super::write`].
pub fn read_metrics(p: &Path) -> Result<Vec<Row>> {
    let table = csv::read_table(p)?;
    let bad = |message: String| Error::Report {
        path: p.to_owned(),
        message,
    };
    let levels = (table.header.len() >= METRICS_HEADER.len()
        && table.header[..METRICS_HEADER.len()] == METRICS_HEADER)
        .then(|| levels_of(&table.header))
        .flatten()
        .ok_or_else(|| bad("not an ntp metrics table".into()))?;
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
                intervals: interval_scores(f, &levels, num),
            })
        })
        .collect()
}
