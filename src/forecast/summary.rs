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
use super::intervals::IntervalScores;
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

/// What the rows of one look-back are built from: its cells (one per fold) and the sweep.
struct LookBack<'a> {
    sweep: &'a Sweep,
    opts: &'a TrainOptions,
    look_back: usize,
    cells: Vec<usize>,
}

/// The two references every model is tested against: persistence and the best baseline.
struct References<'a> {
    persistence: Option<Track<'a>>,
    best: Option<Track<'a>>,
}

impl<'a> LookBack<'a> {
    fn new(sweep: &'a Sweep, opts: &'a TrainOptions, look_back: usize) -> LookBack<'a> {
        let cells = (0..sweep.folds())
            .filter_map(|k| {
                sweep
                    .cells
                    .iter()
                    .position(|c| c.fold == k && c.look_back == look_back)
            })
            .collect();
        LookBack {
            sweep,
            opts,
            look_back,
            cells,
        }
    }

    /// Why this look-back has no rows, when one of its cells could not be built.
    fn failure(&self) -> Option<&'a String> {
        let sweep = self.sweep;
        self.cells
            .iter()
            .find_map(|&i| sweep.cells[i].status.as_ref().err())
    }

    /// A model's tracks: one per seed for a seeded model, else one.
    fn tracks(&self, model: Model) -> Vec<Track<'a>> {
        let seeds: Vec<SeedKey> = if model.is_seeded() {
            self.opts
                .seed_list()
                .into_iter()
                .map(SeedKey::Seed)
                .collect()
        } else {
            vec![SeedKey::Once]
        };
        let sweep = self.sweep;
        seeds
            .into_iter()
            .map(|seed| {
                let s = match seed {
                    SeedKey::Seed(s) => Some(s),
                    _ => None,
                };
                Track {
                    seed,
                    runs: self
                        .cells
                        .iter()
                        .filter_map(|&c| sweep.run(c, model, s))
                        .collect(),
                }
            })
            .collect()
    }

    /// The best non-network model at this look-back, on the selection span's mean over
    /// folds (persistence when none has a forecast in every fold).
    fn best_baseline(&self) -> Model {
        let on_test = self.opts.selects_on_test();
        let folds = self.sweep.folds();
        self.sweep
            .models
            .iter()
            .filter(|m| m.is_baseline())
            .filter_map(|&m| {
                let t = self.tracks(m).into_iter().next()?;
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
            .map_or(Model::Baseline(Baseline::Persistence), |(m, _)| m)
    }

    /// The test actuals and forecasts of runs, their test spans joined.
    fn joined(&self, runs: &[&Run]) -> (Vec<f64>, Vec<f64>) {
        let mut actual = Vec::new();
        let mut forecast = Vec::new();
        for r in runs {
            actual.extend_from_slice(&self.sweep.cells[r.cell].test_actual);
            forecast.extend_from_slice(&r.test);
        }
        (actual, forecast)
    }

    /// The Diebold–Mariano p-value of `runs` against the same folds of `against` (NaN when
    /// either lacks a forecast or the two forecasts are identical).
    fn dm(&self, runs: &[&Run], against: Option<&[&Run]>) -> f64 {
        let Some(against) = against else {
            return f64::NAN;
        };
        if runs.len() != against.len() || runs.iter().any(|r| r.test.is_empty()) {
            return f64::NAN;
        }
        let (actual, f1) = self.joined(runs);
        let (_, f2) = self.joined(against);
        if f1 == f2 {
            return f64::NAN;
        }
        diebold_mariano(&actual, &f1, &f2, self.opts.horizon).p_value
    }

    /// A look-back whose cells could not be built: one row that says why.
    fn failed_row(&self, why: &str) -> Row {
        Row {
            look_back: self.look_back,
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
            status: why.to_string(),
            intervals: IntervalScores::missing(&self.opts.levels),
        }
    }

    /// The row of fold `k` of one track.
    fn fold_row(&self, model: Model, track: &Track<'a>, k: usize, refs: &References<'a>) -> Row {
        let r = track.runs[k];
        let spans = self.sweep.cells[r.cell].spans().expect("checked");
        let fold_of = |t: &Option<Track<'a>>| t.as_ref().map(|t| vec![t.runs[k]]);
        Row {
            look_back: self.look_back,
            model: Some(model),
            fold: FoldKey::Fold(k),
            seed: track.seed,
            runs: 1,
            val: r.val_metrics,
            test: r.test_metrics,
            dm_p_vs_persistence: self.dm(&[r], fold_of(&refs.persistence).as_deref()),
            dm_p_vs_best_baseline: self.dm(&[r], fold_of(&refs.best).as_deref()),
            kept_epoch: r.history.as_ref().map_or(f64::NAN, |h| h.kept_epoch as f64),
            selected: false,
            best_model: false,
            train_windows: spans.train.len(),
            val_windows: spans.val.len(),
            test_windows: spans.test.len(),
            status: r.status.clone(),
            intervals: r.intervals.scores.clone(),
        }
    }

    /// The `all` row of one track: the mean over its folds, DM tests on the joined folds.
    fn all_row(&self, track: &Track<'a>, per_fold: &[Row], refs: &References<'a>) -> Row {
        let refs_runs = |t: &Option<Track<'a>>| t.as_ref().map(|t| t.runs.clone());
        Row {
            fold: FoldKey::All,
            runs: self.sweep.folds(),
            val: fold_mean(per_fold, |r| r.val),
            test: fold_mean(per_fold, |r| r.test),
            dm_p_vs_persistence: self.dm(&track.runs, refs_runs(&refs.persistence).as_deref()),
            dm_p_vs_best_baseline: self.dm(&track.runs, refs_runs(&refs.best).as_deref()),
            kept_epoch: mean(&per_fold.iter().map(|r| r.kept_epoch).collect::<Vec<_>>()),
            train_windows: per_fold.last().map_or(0, |r| r.train_windows),
            val_windows: per_fold.iter().map(|r| r.val_windows).sum(),
            test_windows: per_fold.iter().map(|r| r.test_windows).sum(),
            status: per_fold
                .iter()
                .find(|r| r.status != "ok")
                .map_or_else(|| "ok".into(), |r| r.status.clone()),
            intervals: IntervalScores::combine(
                &per_fold.iter().map(|r| &r.intervals).collect::<Vec<_>>(),
                mean,
            ),
            ..per_fold[0].clone()
        }
    }

    /// Every row of one model: per fold and over folds, each per seed, then (for a seeded
    /// model) the statistics over seeds.
    fn model_rows(&self, model: Model, refs: &References<'a>) -> Vec<Row> {
        let mut by_fold: BTreeMap<FoldKey, Vec<Row>> = BTreeMap::new();
        for track in self.tracks(model) {
            if track.runs.len() != self.sweep.folds() {
                continue;
            }
            let per_fold: Vec<Row> = (0..track.runs.len())
                .map(|k| self.fold_row(model, &track, k, refs))
                .collect();
            let all = self.all_row(&track, &per_fold, refs);
            for r in per_fold.into_iter().chain(std::iter::once(all)) {
                by_fold.entry(r.fold).or_default().push(r);
            }
        }
        let mut out = Vec::new();
        for (_, rows) in by_fold {
            out.extend(rows.iter().cloned());
            if model.is_seeded() {
                out.extend(seed_statistics(&rows));
            }
        }
        out
    }
}

/// The mean over folds of each metric (None unless every fold has it).
fn fold_mean(per_fold: &[Row], pick: fn(&Row) -> Option<Metrics>) -> Option<Metrics> {
    let avg = |g: fn(&Metrics) -> f64| {
        mean(
            &per_fold
                .iter()
                .map(|r| pick(r).map_or(f64::NAN, |m| g(&m)))
                .collect::<Vec<_>>(),
        )
    };
    per_fold.iter().all(|r| pick(r).is_some()).then(|| Metrics {
        mse: avg(|m| m.mse),
        rmse: avg(|m| m.rmse),
        mae: avg(|m| m.mae),
        smape: avg(|m| m.smape),
        r2: avg(|m| m.r2),
        mase: avg(|m| m.mase),
    })
}

/// The `mean`, `sd`, `min` and `max` rows over the seeds of one fold key.
fn seed_statistics(rows: &[Row]) -> Vec<Row> {
    [SeedKey::Mean, SeedKey::Sd, SeedKey::Min, SeedKey::Max]
        .into_iter()
        .map(|key| {
            let num = |g: fn(&Row) -> f64| statistic(key, &rows.iter().map(g).collect::<Vec<_>>());
            let vals: Vec<Option<Metrics>> = rows.iter().map(|r| r.val).collect();
            let tests: Vec<Option<Metrics>> = rows.iter().map(|r| r.test).collect();
            let failed = rows.iter().filter(|r| r.status != "ok").count();
            Row {
                seed: key,
                runs: rows.iter().map(|r| r.runs).sum(),
                val: metrics_stat(key, &vals),
                test: metrics_stat(key, &tests),
                dm_p_vs_persistence: num(|r| r.dm_p_vs_persistence),
                dm_p_vs_best_baseline: num(|r| r.dm_p_vs_best_baseline),
                kept_epoch: num(|r| r.kept_epoch),
                status: if failed == 0 {
                    "ok".into()
                } else {
                    format!("{failed} of {} runs without a forecast", rows.len())
                },
                intervals: IntervalScores::combine(
                    &rows.iter().map(|r| &r.intervals).collect::<Vec<_>>(),
                    |v| statistic(key, v),
                ),
                ..rows[0].clone()
            }
        })
        .collect()
}

/// Builds the rows, the tests and the choices of a finished experiment.
pub fn summarise(sweep: &Sweep, opts: &TrainOptions) -> Summary {
    let mut out = Summary {
        on_test: opts.selects_on_test(),
        ..Summary::default()
    };
    for &look_back in &opts.look_backs {
        let at = LookBack::new(sweep, opts, look_back);
        if let Some(why) = at.failure() {
            out.rows.push(at.failed_row(why));
            continue;
        }
        let best_baseline = at.best_baseline();
        out.best_baseline.insert(look_back, best_baseline);
        let refs = References {
            persistence: at
                .tracks(Model::Baseline(Baseline::Persistence))
                .into_iter()
                .next(),
            best: at.tracks(best_baseline).into_iter().next(),
        };
        for &model in &sweep.models {
            out.rows.extend(at.model_rows(model, &refs));
        }
    }
    choose(&mut out, sweep);
    out
}

/// The choices, on the selection span's headline rows: the network's look-back, the best
/// model of all, and the saved network (that look-back's seed with the lowest selection MSE
/// in the last fold); the rows are marked accordingly.
fn choose(out: &mut Summary, sweep: &Sweep) {
    let on_test = out.on_test;
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
        let last = FoldKey::Fold(sweep.folds() - 1);
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
}
