//! The experiment's results as tidy rows — one per (look-back, model, fold or all folds, seed
//! or a statistic over seeds) — with the Diebold–Mariano tests and the choices made on
//! validation (on test only under the study's split).
//!
//! A fold's row holds that fold's metrics; the `all` row the mean over folds, and its
//! Diebold–Mariano p-values come from the folds' test spans joined (they are consecutive).
//! The LSTM's `mean`, `sd`, `min`, `max` rows apply that statistic over seeds to every column
//! (sd with n − 1; p-values included: `max` is the least significant seed).

use std::collections::BTreeMap;

use super::baselines::Baseline;
use super::experiment::{selection_mse, FoldKey, Row, Run, SeedKey, Summary, Sweep, TrainOptions};
use super::metrics::Metrics;
use super::models::Model;
use super::significance::diebold_mariano;

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn statistic(key: SeedKey, v: &[f64]) -> f64 {
    if v.is_empty() || v.iter().any(|x| x.is_nan()) {
        return f64::NAN;
    }
    match key {
        SeedKey::Mean => mean(v),
        SeedKey::Sd => {
            if v.len() < 2 {
                return f64::NAN;
            }
            let m = mean(v);
            (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
        }
        SeedKey::Min => v.iter().copied().fold(f64::INFINITY, f64::min),
        SeedKey::Max => v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        SeedKey::Seed(_) | SeedKey::Once => v[0],
    }
}

fn metrics_stat(key: SeedKey, ms: &[Option<Metrics>]) -> Option<Metrics> {
    let ms: Vec<Metrics> = ms.iter().copied().collect::<Option<_>>()?;
    if ms.is_empty() {
        return None;
    }
    let f = |g: fn(&Metrics) -> f64| statistic(key, &ms.iter().map(g).collect::<Vec<_>>());
    Some(Metrics {
        mse: f(|m| m.mse),
        rmse: f(|m| m.rmse),
        mae: f(|m| m.mae),
        smape: f(|m| m.smape),
        r2: f(|m| m.r2),
        mase: f(|m| m.mase),
    })
}

/// One run per fold (in fold order) of a model at a look-back and seed.
struct Track<'a> {
    seed: SeedKey,
    runs: Vec<&'a Run>,
}

/// Builds the rows, the tests and the choices of a finished experiment.
pub fn summarise(sweep: &Sweep, opts: &TrainOptions) -> Summary {
    let on_test = opts.selects_on_test();
    let folds = sweep.folds();
    let horizon = opts.horizon;
    let mut out = Summary {
        on_test,
        ..Summary::default()
    };
    let persistence = Model::Baseline(Baseline::Persistence);
    for &look_back in &opts.look_backs {
        let cells: Vec<usize> = (0..folds)
            .filter_map(|k| {
                sweep
                    .cells
                    .iter()
                    .position(|c| c.fold == k && c.look_back == look_back)
            })
            .collect();
        if let Some(bad) = cells
            .iter()
            .find_map(|&i| sweep.cells[i].status.as_ref().err())
        {
            out.rows.push(Row {
                look_back,
                model: None,
                fold: FoldKey::All,
                seed: SeedKey::Once,
                runs: 0,
                val: None,
                test: None,
                dm_p_vs_persistence: f64::NAN,
                dm_p_vs_best_baseline: f64::NAN,
                kept_epoch: f64::NAN,
                selected: false,
                best_model: false,
                train_windows: 0,
                val_windows: 0,
                test_windows: 0,
                status: bad.clone(),
            });
            continue;
        }
        let tracks = |model: Model| -> Vec<Track> {
            let seeds: Vec<SeedKey> = if model.is_seeded() {
                opts.seed_list().into_iter().map(SeedKey::Seed).collect()
            } else {
                vec![SeedKey::Once]
            };
            seeds
                .into_iter()
                .map(|seed| {
                    let s = match seed {
                        SeedKey::Seed(s) => Some(s),
                        _ => None,
                    };
                    Track {
                        seed,
                        runs: cells
                            .iter()
                            .filter_map(|&c| sweep.run(c, model, s))
                            .collect(),
                    }
                })
                .collect()
        };
        // The best non-LSTM model at this look-back, on the selection span's mean over folds.
        let best_baseline = sweep
            .models
            .iter()
            .filter(|m| !m.is_seeded())
            .filter_map(|&m| {
                let t = tracks(m).into_iter().next()?;
                let v: Vec<f64> = t
                    .runs
                    .iter()
                    .map(|r| {
                        let m = if on_test {
                            r.test_metrics
                        } else {
                            r.val_metrics
                        };
                        m.map_or(f64::NAN, |m| m.mse)
                    })
                    .collect();
                let v = mean(&v);
                (v.is_finite() && t.runs.len() == folds).then_some((m, v))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(persistence, |(m, _)| m);
        out.best_baseline.insert(look_back, best_baseline);
        let reference = |model: Model| tracks(model).into_iter().next();
        let persistence_track = reference(persistence);
        let best_track = reference(best_baseline);
        let joined = |runs: &[&Run]| -> (Vec<f64>, Vec<f64>) {
            let mut actual = Vec::new();
            let mut forecast = Vec::new();
            for r in runs {
                actual.extend_from_slice(&sweep.cells[r.cell].test_actual);
                forecast.extend_from_slice(&r.test);
            }
            (actual, forecast)
        };
        let dm = |runs: &[&Run], against: &Option<Track>| -> f64 {
            let Some(against) = against else {
                return f64::NAN;
            };
            if runs.len() != against.runs.len() || runs.iter().any(|r| r.test.is_empty()) {
                return f64::NAN;
            }
            let (actual, f1) = joined(runs);
            let (_, f2) = joined(&against.runs);
            if f1 == f2 {
                return f64::NAN;
            }
            diebold_mariano(&actual, &f1, &f2, horizon).p_value
        };
        for &model in &sweep.models {
            let mut seed_rows: BTreeMap<FoldKey, Vec<Row>> = BTreeMap::new();
            for track in tracks(model) {
                if track.runs.len() != folds {
                    continue;
                }
                let mut per_fold = Vec::new();
                for (k, r) in track.runs.iter().enumerate() {
                    let cell = &sweep.cells[r.cell];
                    let spans = cell.spans().expect("checked");
                    let row = Row {
                        look_back,
                        model: Some(model),
                        fold: FoldKey::Fold(k),
                        seed: track.seed,
                        runs: 1,
                        val: r.val_metrics,
                        test: r.test_metrics,
                        dm_p_vs_persistence: dm(
                            &[*r],
                            &persistence_track.as_ref().map(|t| Track {
                                seed: t.seed,
                                runs: vec![t.runs[k]],
                            }),
                        ),
                        dm_p_vs_best_baseline: dm(
                            &[*r],
                            &best_track.as_ref().map(|t| Track {
                                seed: t.seed,
                                runs: vec![t.runs[k]],
                            }),
                        ),
                        kept_epoch: r.history.as_ref().map_or(f64::NAN, |h| h.kept_epoch as f64),
                        selected: false,
                        best_model: false,
                        train_windows: spans.train.len(),
                        val_windows: spans.val.len(),
                        test_windows: spans.test.len(),
                        status: r.status.clone(),
                    };
                    per_fold.push(row);
                }
                let avg = |g: fn(&Metrics) -> f64, pick: fn(&Row) -> Option<Metrics>| {
                    mean(
                        &per_fold
                            .iter()
                            .map(|r| pick(r).map_or(f64::NAN, |m| g(&m)))
                            .collect::<Vec<_>>(),
                    )
                };
                let fold_mean = |pick: fn(&Row) -> Option<Metrics>| -> Option<Metrics> {
                    per_fold.iter().all(|r| pick(r).is_some()).then(|| Metrics {
                        mse: avg(|m| m.mse, pick),
                        rmse: avg(|m| m.rmse, pick),
                        mae: avg(|m| m.mae, pick),
                        smape: avg(|m| m.smape, pick),
                        r2: avg(|m| m.r2, pick),
                        mase: avg(|m| m.mase, pick),
                    })
                };
                let all = Row {
                    fold: FoldKey::All,
                    runs: folds,
                    val: fold_mean(|r| r.val),
                    test: fold_mean(|r| r.test),
                    dm_p_vs_persistence: dm(&track.runs, &persistence_track),
                    dm_p_vs_best_baseline: dm(&track.runs, &best_track),
                    kept_epoch: mean(&per_fold.iter().map(|r| r.kept_epoch).collect::<Vec<_>>()),
                    train_windows: per_fold.last().map_or(0, |r| r.train_windows),
                    val_windows: per_fold.iter().map(|r| r.val_windows).sum(),
                    test_windows: per_fold.iter().map(|r| r.test_windows).sum(),
                    status: if per_fold.iter().all(|r| r.status == "ok") {
                        "ok".into()
                    } else {
                        per_fold
                            .iter()
                            .find(|r| r.status != "ok")
                            .map(|r| r.status.clone())
                            .unwrap_or_default()
                    },
                    ..per_fold[0].clone()
                };
                for r in per_fold.into_iter().chain(std::iter::once(all)) {
                    seed_rows.entry(r.fold).or_default().push(r);
                }
            }
            for (_, rows) in seed_rows {
                let seeded = model.is_seeded();
                out.rows.extend(rows.iter().cloned());
                if !seeded {
                    continue;
                }
                for key in [SeedKey::Mean, SeedKey::Sd, SeedKey::Min, SeedKey::Max] {
                    let num = |g: fn(&Row) -> f64| {
                        statistic(key, &rows.iter().map(g).collect::<Vec<_>>())
                    };
                    let vals: Vec<Option<Metrics>> = rows.iter().map(|r| r.val).collect();
                    let tests: Vec<Option<Metrics>> = rows.iter().map(|r| r.test).collect();
                    out.rows.push(Row {
                        seed: key,
                        runs: rows.iter().map(|r| r.runs).sum(),
                        val: metrics_stat(key, &vals),
                        test: metrics_stat(key, &tests),
                        dm_p_vs_persistence: num(|r| r.dm_p_vs_persistence),
                        dm_p_vs_best_baseline: num(|r| r.dm_p_vs_best_baseline),
                        kept_epoch: num(|r| r.kept_epoch),
                        status: if rows.iter().all(|r| r.status == "ok") {
                            "ok".into()
                        } else {
                            format!(
                                "{} of {} runs without a forecast",
                                rows.iter().filter(|r| r.status != "ok").count(),
                                rows.len()
                            )
                        },
                        ..rows[0].clone()
                    });
                }
            }
        }
    }

    // Choices.
    let headline_mse = |r: &Row| {
        (r.fold == FoldKey::All && r.seed.is_headline())
            .then(|| selection_mse(r, on_test))
            .flatten()
    };
    out.lstm_look_back = out
        .rows
        .iter()
        .filter(|r| r.model.is_some_and(|m| m.is_seeded()))
        .filter_map(|r| headline_mse(r).map(|v| (r.look_back, v)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(l, _)| l);
    out.best = out
        .rows
        .iter()
        .filter_map(|r| Some(((r.model?, r.look_back), headline_mse(r)?)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(k, _)| k);
    if let Some(l) = out.lstm_look_back {
        let last = FoldKey::Fold(folds - 1);
        out.saved = out
            .rows
            .iter()
            .filter(|r| {
                r.model.is_some_and(|m| m.is_seeded()) && r.look_back == l && r.fold == last
            })
            .filter_map(|r| match r.seed {
                SeedKey::Seed(s) if sweep.lstms.contains_key(&(l, s)) => {
                    Some((s, selection_mse(r, on_test)?))
                }
                _ => None,
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(s, _)| (l, s));
    }
    for r in &mut out.rows {
        r.selected =
            r.model.is_some_and(|m| m.is_seeded()) && Some(r.look_back) == out.lstm_look_back;
        r.best_model = r.model.zip(Some(r.look_back)) == out.best;
    }
    out
}
