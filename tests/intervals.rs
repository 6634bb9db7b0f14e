//! Prediction bands, their scores and threshold alerts (`ntp train --level`, `--adaptive`,
//! `--threshold`; `ntp predict`): coverage on simulated series with known noise, agreement
//! with an independent numpy computation, and the study's mode left without bands.

use std::path::Path;

use crate::train::{find, json, num, table, train};
use crate::util::*;

/// A deterministic generator: xorshift, uniform in (0, 1), standard normal (Box–Muller).
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit(), self.unit());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    /// Student's t with 3 degrees of freedom: heavy tails, finite variance.
    fn t3(&mut self) -> f64 {
        let chi2: f64 = (0..3).map(|_| self.normal().powi(2)).sum();
        self.normal() / (chi2 / 3.0).sqrt()
    }
}

/// A 5-minute series CSV of `values`.
fn series_csv(path: &Path, values: &[f64]) {
    let mut text = String::from("timestamp,value\n");
    for (i, v) in values.iter().enumerate() {
        text.push_str(&format!("{},{v}\n", 1_700_000_100 + 300 * i as i64));
    }
    std::fs::write(path, text).unwrap();
}

const QUICK: &[&str] = &[
    "--look-back",
    "5",
    "--epochs",
    "1",
    "--seeds",
    "1",
    "--hidden",
    "4",
    "--period",
    "24",
    "--dpi",
    "50",
    "-q",
];

/// Trains on `values` with `args` and returns the metrics table.
fn experiment(dir: &Path, name: &str, values: &[f64], args: &[&str]) -> Vec<crate::train::Row> {
    let csv = dir.join(format!("{name}.csv"));
    series_csv(&csv, values);
    let out = dir.join(name);
    train(&csv, &out).args(QUICK).args(args).assert().success();
    table(&out.join(format!("{name}.mse_results.e1.b32.csv")))
}

/// On series whose noise is exchangeable between validation and test (iid Gaussian, AR(1)
/// with the linear AR, iid Student-t(3)), each level's test coverage is within 3.5 standard
/// errors of the level: the binomial error of the test values plus that of the conformal
/// quantile estimated from the validation values.
#[test]
fn bands_cover_as_asked_on_simulated_noise() {
    let dir = tempfile::tempdir().unwrap();
    let n = 20_000;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let gaussian: Vec<f64> = (0..n).map(|_| 100.0 + 10.0 * rng.normal()).collect();
    let mut ar = vec![0.0f64; n];
    for t in 1..n {
        ar[t] = 0.8 * ar[t - 1] + rng.normal();
    }
    let ar: Vec<f64> = ar.iter().map(|v| 50.0 + 5.0 * v).collect();
    let heavy: Vec<f64> = (0..n).map(|_| 100.0 + 10.0 * rng.t3()).collect();
    for (name, values, model) in [
        ("gaussian", &gaussian, "window_mean"),
        ("ar1", &ar, "linear_ar"),
        ("t3", &heavy, "window_mean"),
    ] {
        let rows = experiment(
            dir.path(),
            name,
            values,
            &[
                "--level",
                "80,95",
                "--adaptive",
                "split",
                "--band-scale",
                "raw",
            ],
        );
        let row = find(&rows, "5", model, "all", "");
        let (n_val, n_test) = (num(row, "val_windows"), num(row, "test_windows"));
        for level in [80.0, 95.0] {
            let l: f64 = level / 100.0;
            let se = (l * (1.0 - l) * (1.0 / n_val + 1.0 / n_test)).sqrt();
            let cov = num(row, &format!("test_coverage_{level}"));
            assert!(
                (cov - l).abs() <= 3.5 * se,
                "{name}, {model}: {level} % band covered {cov} (± {se})"
            );
            assert!(num(row, &format!("test_width_{level}")) > 0.0);
            assert!(
                num(row, &format!("test_winkler_{level}"))
                    >= num(row, &format!("test_width_{level}"))
            );
        }
        assert!(num(row, "test_crps") > 0.0);
    }
    // ETS's own Gaussian band (forecast ± z·σ_h) holds too where the noise is Gaussian.
    let rows = experiment(dir.path(), "gaussian-ets", &gaussian, &["--level", "95"]);
    let ets = find(&rows, "5", "ets", "all", "");
    let se = (0.95f64 * 0.05 / num(ets, "test_windows")).sqrt();
    let cov = num(ets, "test_coverage_analytic_95");
    assert!(
        (cov - 0.95).abs() <= 3.5 * se,
        "ETS analytic 95 % band covered {cov}"
    );
    let other = find(&rows, "5", "window_mean", "all", "");
    assert!(
        num(other, "test_coverage_analytic_95").is_nan(),
        "only ETS and Holt-Winters have one"
    );
}

/// When the noise doubles after the validation span, split conformal bands under-cover on
/// test; the adaptive bands, fed only outcomes already seen, come back near the level.
#[test]
fn adaptive_bands_recover_coverage_when_the_noise_changes() {
    let dir = tempfile::tempdir().unwrap();
    let n = 20_000;
    let mut rng = Rng(7);
    let values: Vec<f64> = (0..n)
        .map(|t| 100.0 + if t < n * 8 / 10 { 5.0 } else { 10.0 } * rng.normal())
        .collect();
    let split = experiment(
        dir.path(),
        "split",
        &values,
        &[
            "--level",
            "80",
            "--adaptive",
            "split",
            "--band-scale",
            "raw",
        ],
    );
    let adaptive = experiment(
        dir.path(),
        "adaptive",
        &values,
        &["--level", "80", "--adaptive", "0.01", "--band-scale", "raw"],
    );
    let cov = |rows: &[crate::train::Row]| {
        num(
            find(rows, "5", "window_mean", "all", ""),
            "test_coverage_80",
        )
    };
    let (s, a) = (cov(&split), cov(&adaptive));
    assert!(s < 0.6, "split conformal covered {s}");
    assert!((a - 0.8).abs() < 0.03, "adaptive covered {a} (split {s})");
}

/// Traffic that grows threefold, level and noise: split conformal bands fitted on the
/// validation span fall short in the last quarter of the test span; the default bands
/// (conformal PID on errors framed by their running mean and spread) hold in every quarter.
#[test]
fn default_bands_hold_in_every_quarter_when_traffic_grows() {
    let dir = tempfile::tempdir().unwrap();
    let n = 20_000;
    let mut rng = Rng(23);
    let values: Vec<f64> = (0..n)
        .map(|t| {
            let g = 1.0 + 2.0 * t as f64 / n as f64;
            let day = (2.0 * std::f64::consts::PI * t as f64 / 24.0).sin();
            g * (100.0 + 30.0 * day + 5.0 * rng.normal())
        })
        .collect();
    let quarters = |rows: &[crate::train::Row]| -> Vec<f64> {
        let row = find(rows, "5", "seasonal_naive_24", "all", "");
        (1..=4)
            .map(|q| num(row, &format!("test_q{q}_coverage_95")))
            .collect()
    };
    let split = experiment(
        dir.path(),
        "split",
        &values,
        &[
            "--level",
            "95",
            "--adaptive",
            "split",
            "--band-scale",
            "raw",
        ],
    );
    let default = experiment(dir.path(), "default", &values, &["--level", "95"]);
    let (s, d) = (quarters(&split), quarters(&default));
    // 1 000 test values a quarter: a binomial standard error of 0.007 at 0.95.
    assert!(s[3] < 0.92, "split conformal's last quarter covered {s:?}");
    assert!(
        d.iter().all(|q| (q - 0.95).abs() < 0.025),
        "default bands covered {d:?} (split {s:?})"
    );
}

/// `predict` moves its bands over the new series as the card's method says: a network
/// trained on traffic that then grows further keeps its 95 % band near 0.95 with the default
/// (PID on scaled errors), where the same card read as split conformal falls short.
#[test]
fn predict_bands_follow_the_series_as_the_card_says() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(29);
    let values: Vec<f64> = (0..12_000)
        .map(|t| {
            let g = 1.0 + 3.0 * t as f64 / 12_000.0;
            let day = (2.0 * std::f64::consts::PI * t as f64 / 24.0).sin();
            g * (100.0 + 30.0 * day + 5.0 * rng.normal())
        })
        .collect();
    experiment(dir.path(), "early", &values[..4000], &["--level", "95"]);
    let card = dir.path().join("early/early.best_model.e1.b32.json");
    let later = dir.path().join("later.csv");
    series_csv(&later, &values);
    let coverage = |name: &str| {
        let out = dir.path().join(name);
        ntp()
            .arg("predict")
            .arg(card.with_extension("safetensors"))
            .arg(&later)
            .args(["-q", "-o"])
            .arg(&out)
            .assert()
            .success();
        num(
            &table(&out.join("later.predict_metrics.csv"))[0],
            "coverage_95",
        )
    };
    let moving = coverage("moving");
    let mut text: serde_json::Value = json(&card);
    let obj = text.as_object_mut().unwrap();
    assert_eq!(obj.remove("online").unwrap()["method"], "pid");
    assert_eq!(obj.remove("band_scale").unwrap(), "ewma");
    std::fs::write(&card, serde_json::to_string(&text).unwrap()).unwrap();
    let fixed = coverage("fixed");
    assert!(
        (moving - 0.95).abs() < 0.03,
        "PID on scaled errors covered {moving}"
    );
    assert!(fixed < 0.9, "split conformal covered {fixed}");
}

/// `--threshold p95`: the chosen model's alerts over the test span, their scores in the run
/// record, the rule kept in the card; `predict` writes bands and applies the card's rule,
/// and refuses a percentile it cannot know.
#[test]
fn threshold_alerts_and_predict_bands() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(11);
    // A daily cycle (288 five-minute steps) with a busy hour, and noise.
    let values: Vec<f64> = (0..6000)
        .map(|t| {
            let phase = (t % 288) as f64 / 288.0;
            100.0 + 50.0 * (2.0 * std::f64::consts::PI * phase).sin() + 5.0 * rng.normal()
        })
        .collect();
    let csv = dir.path().join("cycle.csv");
    series_csv(&csv, &values);
    let out = dir.path().join("out");
    train(&csv, &out)
        .args(QUICK)
        .args(["--horizon", "3", "--threshold", "p95", "--period", "288"])
        .assert()
        .success();
    let alerts = table(&out.join("cycle.alerts.e1.b32.csv"));
    assert!(!alerts.is_empty());
    let raised = alerts.iter().filter(|r| r["alert"] == "true").count();
    let followed = alerts
        .iter()
        .filter(|r| r["alert"] == "true" && r["exceeded"] == "true")
        .count();
    let run = json(&out.join("cycle.run.json"));
    let a = &run["intervals"]["alerts"];
    assert_eq!(a["alerts"], raised);
    assert_eq!(a["true_alerts"], followed);
    assert!(a["recall"].as_f64().unwrap() > 0.5, "{a}");
    let card = json(&out.join("cycle.best_model.e1.b32.json"));
    assert_eq!(card["alert"]["threshold"], "p95");
    assert_eq!(card["residuals"].as_array().unwrap().len() % 3, 0);

    let model = out.join("cycle.best_model.e1.b32.safetensors");
    let pout = dir.path().join("pred");
    ntp()
        .arg("predict")
        .arg(&model)
        .arg(&csv)
        .args(["-q", "-o"])
        .arg(&pout)
        .assert()
        .success();
    let pred = table(&pout.join("cycle.predictions.csv"));
    let inside = pred
        .iter()
        .filter(|r| {
            num(r, "lower_95") <= num(r, "actual") && num(r, "actual") <= num(r, "upper_95")
        })
        .count() as f64
        / pred.len() as f64;
    assert!(inside > 0.85, "predict's 95 % band held {inside}");
    assert!(pout.join("cycle.predict_alerts.csv").exists());
    let a = ntp()
        .arg("predict")
        .arg(&model)
        .arg(&csv)
        .args(["-q", "--threshold", "p90", "-o"])
        .arg(&pout)
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("p95"), "{err}");
}

/// The study's mode has no validation span: no bands, no interval columns.
#[test]
fn the_study_mode_has_no_bands() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(3);
    let values: Vec<f64> = (0..2000).map(|_| 10.0 + rng.normal()).collect();
    let rows = experiment(dir.path(), "study", &values, &["--select-on-test"]);
    assert!(rows[0]
        .keys()
        .all(|k| !k.contains("coverage") && !k.contains("crps")));
    let forecasts =
        std::fs::read_to_string(dir.path().join("study/study.forecasts.e1.b32.csv")).unwrap();
    assert!(!forecasts.lines().next().unwrap().contains("lower_"));
}

/// Every band score of the committed bundled-sample run equals an independent numpy
/// computation from its forecasts table (`tests/data/reference/intervals/reference.py`).
/// `bundled_sample_outputs_are_unchanged` holds that table to what ntp writes now.
#[test]
fn band_scores_equal_numpy_on_the_bundled_sample() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reference = table(&root.join("tests/data/reference/intervals/lan-broadcast-28min-ns.csv"));
    let ntp = table(&root.join("results/sample/lan-broadcast-28min-ns.mse_results.e100.b32.csv"));
    let mut compared = 0;
    for r in &reference {
        let row = find(&ntp, &r["look_back"], &r["model"], &r["fold"], &r["seed"]);
        for (column, value) in r {
            if ["look_back", "model", "seed", "fold"].contains(&column.as_str()) {
                continue;
            }
            let (want, got) = (num(r, column), num(row, column));
            assert!(
                (want - got).abs() <= 1e-9 * want.abs().max(1e-12),
                "{} {} seed {:?}: {column} numpy {value}, ntp {got}",
                r["look_back"],
                r["model"],
                r["seed"]
            );
            compared += 1;
        }
    }
    assert!(compared > 400, "{compared}");
}
