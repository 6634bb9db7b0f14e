//! `ntp train` / `ntp predict` end to end: every output, baselines checked against an
//! independent computation, the classical models and the Diebold–Mariano test against
//! statsmodels and the `dieboldmariano` package, selection that the test span cannot
//! influence, seeds, folds, early stopping, the study's mode, too-short series.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::util::*;

const QUICK: &[&str] = &["--epochs", "2", "--seed", "7", "--dpi", "50", "-q"];

/// `ntp train DATASET -o OUT`, to which each test adds its options.
pub fn train(dataset: &Path, out: &Path) -> assert_cmd::Command {
    let mut c = ntp();
    c.arg("train").arg(dataset).arg("-o").arg(out);
    c
}

/// A row of a CSV table, by column name.
pub type Row = HashMap<String, String>;

/// A CSV ntp wrote, as rows of named fields (RFC 4180 quotes handled).
pub fn table(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let split = |line: &str| {
        let mut fields = vec![String::new()];
        let mut quoted = false;
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => fields.push(String::new()),
                c => fields.last_mut().unwrap().push(c),
            }
        }
        fields
    };
    let mut lines = text.lines();
    let header = split(lines.next().unwrap());
    lines
        .map(|l| header.iter().cloned().zip(split(l)).collect())
        .collect()
}

pub fn num(row: &HashMap<String, String>, column: &str) -> f64 {
    row[column].parse().unwrap_or(f64::NAN)
}

pub fn find<'a>(
    rows: &'a [HashMap<String, String>],
    look_back: &str,
    model: &str,
    fold: &str,
    seed: &str,
) -> &'a HashMap<String, String> {
    rows.iter()
        .find(|r| {
            r["look_back"] == look_back
                && r["model"] == model
                && r["fold"] == fold
                && r["seed"] == seed
        })
        .unwrap_or_else(|| panic!("no row {look_back} {model} {fold} {seed:?}"))
}

pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The zero-filled 1-s IP-size series of a per-packet table, computed here from the Parquet.
fn ip_bytes_per_second(ds: &Path) -> Vec<f64> {
    let per_sec = per_second(&read_parquet(ds));
    let (first, last) = (
        *per_sec.keys().next().unwrap(),
        *per_sec.keys().last().unwrap(),
    );
    (first..=last)
        .map(|s| per_sec.get(&s).map(|v| v[1] as f64).unwrap_or(0.0))
        .collect()
}

fn nab() -> PathBuf {
    fixture("series/nab-ec2-network-in-257a54.csv")
}

#[test]
fn experiment_writes_every_output_and_its_numbers_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dataset(dir.path(), "lan-broadcast-28min-ns.pcapng");
    let out = dir.path().join("out");
    train(&ds, &out)
        .args(["--look-back", "5,20", "--period", "60"])
        .args(QUICK)
        .assert()
        .success();
    let stem = "lan-broadcast-28min-ns";
    for f in [
        "mse_results.e2.b32.csv",
        "forecasts.e2.b32.csv",
        "mse_results.e2.b32.tex",
        "prediction.e2.b32.png",
        "loss.e2.b32.png",
        "best_model.e2.b32.safetensors",
        "best_model.e2.b32.json",
        "run.json",
    ] {
        assert!(out.join(format!("{stem}.{f}")).exists(), "{f} missing");
    }
    let rows = table(&out.join(format!("{stem}.mse_results.e2.b32.csv")));
    every_model_and_seed_statistic(&rows);
    let (n, test_start) = persistence_from_the_parquet(&rows, &ds);
    let best_l = choices_on_validation(&rows, &out, stem);
    forecasts_and_records(&rows, &out, stem, n - test_start, best_l);
    saved_model_applies_to_another_capture(&out, dir.path(), stem);
}

/// Every model has its rows at each look-back; the LSTM's mean and sd rows are the mean and
/// sd of its seeds' rows.
fn every_model_and_seed_statistic(rows: &[Row]) {
    for l in ["5", "20"] {
        for m in [
            "persistence",
            "seasonal_naive_60",
            "window_mean",
            "linear_ar",
            "holt_winters",
            "ets",
            "mstl_ets",
        ] {
            find(rows, l, m, "all", "");
        }
        for seed in ["7", "8", "9", "mean", "sd", "min", "max"] {
            find(rows, l, "lstm", "all", seed);
        }
        // The mean and sd rows are the mean and sd of the seeds' rows.
        let seeds: Vec<f64> = ["7", "8", "9"]
            .iter()
            .map(|s| num(find(rows, l, "lstm", "all", s), "test_mse"))
            .collect();
        let mean = seeds.iter().sum::<f64>() / 3.0;
        let sd = (seeds.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
        assert!(
            (num(find(rows, l, "lstm", "all", "mean"), "test_mse") - mean).abs() <= 1e-9 * mean
        );
        assert!((num(find(rows, l, "lstm", "all", "sd"), "test_mse") - sd).abs() <= 1e-9 * mean);
    }
}

/// Persistence's errors recomputed from the Parquet; returns the series length and where
/// its test span starts.
fn persistence_from_the_parquet(rows: &[Row], ds: &Path) -> (usize, usize) {
    // Persistence from the Parquet, computed here: the zero-filled 1-s IP-size series; the
    // last round(0.2·n) values test, the round(0.1·n) before them validate; next = last.
    let x = ip_bytes_per_second(ds);
    let n = x.len();
    let test_start = n - (0.2 * n as f64).round() as usize;
    let val_start = test_start - (0.1 * n as f64).round() as usize;
    let mse = |range: std::ops::Range<usize>| {
        let k = range.len() as f64;
        range.map(|t| (x[t] - x[t - 1]).powi(2)).sum::<f64>() / k
    };
    for l in ["5", "20"] {
        let row = find(rows, l, "persistence", "all", "");
        let (test, val) = (mse(test_start..n), mse(val_start..test_start));
        assert!(
            (num(row, "test_mse") - test).abs() <= 1e-9 * test,
            "{l}: {row:?} vs {test}"
        );
        assert!(
            (num(row, "val_mse") - val).abs() <= 1e-9 * val,
            "{l}: {row:?} vs {val}"
        );
        assert_eq!(row["test_windows"], (n - test_start).to_string());
        assert_eq!(row["val_windows"], (test_start - val_start).to_string());
    }
    (n, test_start)
}

/// The choices follow the validation MSE; returns the chosen look-back.
fn choices_on_validation(rows: &[Row], out: &Path, stem: &str) -> &'static str {
    // One look-back chosen, on validation: the lowest mean validation MSE of the LSTM; the
    // saved model is its seed with the lowest validation MSE.
    let chosen: Vec<&str> = rows
        .iter()
        .filter(|r| {
            r["model"] == "lstm"
                && r["selected"] == "true"
                && r["seed"] == "mean"
                && r["fold"] == "all"
        })
        .map(|r| r["look_back"].as_str())
        .collect();
    assert_eq!(chosen.len(), 1, "{chosen:?}");
    let best_l = ["5", "20"]
        .into_iter()
        .min_by(|a, b| {
            num(find(rows, a, "lstm", "all", "mean"), "val_mse")
                .total_cmp(&num(find(rows, b, "lstm", "all", "mean"), "val_mse"))
        })
        .unwrap();
    assert_eq!(chosen[0], best_l);
    let best_seed = ["7", "8", "9"]
        .into_iter()
        .min_by(|a, b| {
            num(find(rows, best_l, "lstm", "0", a), "val_mse")
                .total_cmp(&num(find(rows, best_l, "lstm", "0", b), "val_mse"))
        })
        .unwrap();
    let card = json(&out.join(format!("{stem}.best_model.e2.b32.json")));
    assert_eq!(card["look_back"].to_string(), best_l);
    assert_eq!(card["hyper"]["seed"].to_string(), best_seed);
    assert_eq!(card["hyper"]["hidden"], 50);
    assert_eq!(
        rows.iter()
            .filter(|r| r["best_model"] == "true"
                && r["fold"] == "all"
                && (r["seed"] == "mean" || r["seed"].is_empty()))
            .count(),
        1
    );
    best_l
}

/// The forecasts table holds every test forecast; the LaTeX table and the run record.
fn forecasts_and_records(rows: &[Row], out: &Path, stem: &str, tests: usize, best_l: &str) {
    // Every test forecast is in the forecasts table, and the metrics come from them.
    let forecasts = table(&out.join(format!("{stem}.forecasts.e2.b32.csv")));
    let ets: Vec<(f64, f64)> = forecasts
        .iter()
        .filter(|r| r["model"] == "ets" && r["look_back"] == "5" && r["span"] == "test")
        .map(|r| (num(r, "actual"), num(r, "forecast")))
        .collect();
    assert_eq!(ets.len(), tests);
    let ets_mse = ets.iter().map(|(a, f)| (a - f).powi(2)).sum::<f64>() / ets.len() as f64;
    let row = find(rows, "5", "ets", "all", "");
    assert!((num(row, "test_mse") - ets_mse).abs() <= 1e-9 * ets_mse);

    let tex = std::fs::read_to_string(out.join(format!("{stem}.mse_results.e2.b32.tex"))).unwrap();
    assert!(tex.contains("\\toprule") && tex.contains("$\\pm$") && tex.contains("\\textbf{"));
    let run = json(&out.join(format!("{stem}.run.json")));
    assert_eq!(run["input_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(run["seeds"], serde_json::json!([7, 8, 9]));
    assert_eq!(run["chosen_look_back"].to_string(), best_l);
    assert!(run["selection_rule"]
        .as_str()
        .unwrap()
        .contains("validation"));
}

fn saved_model_applies_to_another_capture(out: &Path, dir: &Path, stem: &str) {
    // The saved model applies to another capture.
    let other = dataset(dir, "s7comm-clean-15min.pcap");
    let pout = dir.join("pred");
    ntp()
        .arg("predict")
        .arg(out.join(format!("{stem}.best_model.e2.b32.safetensors")))
        .arg(&other)
        .arg("-o")
        .arg(&pout)
        .arg("-q")
        .assert()
        .success();
    let pred = read_csv(&pout.join("s7comm-clean-15min.predictions.csv"));
    let metrics = read_csv(&pout.join("s7comm-clean-15min.predict_metrics.csv"));
    assert!(pred.len() > 800);
    assert_eq!(
        metrics.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(),
        vec!["lstm", "persistence"]
    );
}

/// Changing every value of the test span changes the test errors and nothing chosen: the
/// look-back, the seed, every kept epoch and the saved weights are byte-identical.
#[test]
fn the_test_span_never_influences_selection() {
    test_span_blindness("lstm");
}

/// The same for the MLP networks, and their ensemble and combination rows.
#[test]
fn the_test_span_never_influences_the_mlps_or_the_ensembles() {
    test_span_blindness("dlinear");
    test_span_blindness("nhits");
}

fn test_span_blindness(model: &str) {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--model",
        model,
        "--look-back",
        "6,24",
        "--epochs",
        "6",
        "--hidden",
        "8",
        "--seeds",
        "2",
        "--patience",
        "2",
        "--dpi",
        "50",
        "-q",
    ];
    let a = dir.path().join("a");
    train(&nab(), &a).args(args).assert().success();
    let stem = "nab-ec2-network-in-257a54";
    let run_a = json(&a.join(format!("{stem}.run.json")));
    let test_first = run_a["spans"][0]["test_first"]
        .as_str()
        .unwrap()
        .replace('T', " ");
    let test_first = test_first.trim_end_matches('Z');

    // The same series with every test-span value replaced.
    let text = std::fs::read_to_string(nab()).unwrap();
    let mut changed = 0;
    let modified: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let (time, value) = line.split_once(',').unwrap();
            if i == 0 || time < test_first {
                return line.to_string();
            }
            changed += 1;
            let v: f64 = value.parse().unwrap();
            format!("{time},{}", v * 3.0 + (i % 7) as f64 * 1e5)
        })
        .collect();
    assert!(changed > 700, "{changed} values changed");
    let input = dir.path().join(format!("{stem}.csv"));
    std::fs::write(&input, modified.join("\n") + "\n").unwrap();
    let b = dir.path().join("b");
    train(&input, &b).args(args).assert().success();
    let run_b = json(&b.join(format!("{stem}.run.json")));

    for key in [
        "chosen_look_back",
        "saved_model",
        "best_model",
        "best_baseline_per_look_back",
        "periods",
    ] {
        assert_eq!(run_a[key], run_b[key], "{key}");
    }
    let epochs = |run: &serde_json::Value| -> Vec<serde_json::Value> {
        run["lstm_runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                serde_json::json!([
                    r["look_back"],
                    r["seed"],
                    r["kept_epoch"],
                    r["validation_loss"]
                ])
            })
            .collect()
    };
    assert_eq!(epochs(&run_a), epochs(&run_b));
    let weights =
        |d: &Path| std::fs::read(d.join(format!("{stem}.best_model.e6.b32.safetensors"))).unwrap();
    assert_eq!(weights(&a), weights(&b));
    let rows_a = table(&a.join(format!("{stem}.mse_results.e6.b32.csv")));
    let rows_b = table(&b.join(format!("{stem}.mse_results.e6.b32.csv")));
    assert_eq!(rows_a.len(), rows_b.len());
    for combined in [format!("{model}_ensemble"), "top3_mean".to_string()] {
        assert!(
            rows_a.iter().any(|r| r["model"] == combined),
            "no {combined} row"
        );
    }
    for (x, y) in rows_a.iter().zip(&rows_b) {
        for c in ["val_mse", "val_mae", "selected", "best_model", "kept_epoch"] {
            assert_eq!(x[c], y[c], "{c} of {x:?}");
        }
    }
    // The test errors did change (the comparison above could not pass by accident).
    let t = |rows: &[HashMap<String, String>]| {
        num(find(rows, "6", "persistence", "all", ""), "test_mse")
    };
    assert!(t(&rows_b) > 2.0 * t(&rows_a));
}

/// Holt-Winters, ETS and MSTL+ETS replayed by statsmodels with ntp's fitted parameters and
/// states, statsmodels' own fits, and the Diebold–Mariano p-values of the `dieboldmariano`
/// package — all on ntp's forecasts of the NAB series (tests/data/reference/experiment/).
#[test]
fn classical_models_and_significance_agree_with_independent_implementations() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    train(&nab(), &out)
        .args([
            "--period",
            "288,2016",
            "--look-back",
            "12,36",
            "--epochs",
            "4",
        ])
        .args(["--hidden", "8", "--seeds", "2", "--dpi", "50", "-q"])
        // The reference fills the series' two missing intervals and scores every window.
        .args(["--fill", "linear"])
        .assert()
        .success();
    let stem = "nab-ec2-network-in-257a54";
    let reference = |name: &str| table(&fixture(&format!("reference/experiment/{name}")));

    // Forecasts of the validation and test targets.
    let forecasts = table(&out.join(format!("{stem}.forecasts.e4.b32.csv")));
    let smoothing = reference("smoothing.csv");
    for (model, tolerance) in [("holt_winters", 1e-9), ("ets", 1e-9), ("mstl_ets", 2e-3)] {
        let ours: Vec<f64> = forecasts
            .iter()
            .filter(|r| r["model"] == model && r["look_back"] == "12")
            .map(|r| num(r, "forecast"))
            .collect();
        let theirs: Vec<f64> = smoothing.iter().map(|r| num(r, model)).collect();
        assert_eq!(ours.len(), theirs.len(), "{model}");
        let rms = |v: &mut dyn Iterator<Item = f64>| {
            let v: Vec<f64> = v.collect();
            (v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64).sqrt()
        };
        let diff = rms(&mut ours.iter().zip(&theirs).map(|(a, b)| a - b));
        let scale = rms(&mut theirs.iter().copied());
        assert!(
            diff <= tolerance * scale,
            "{model}: RMS difference {diff} of {scale}"
        );
    }

    // The training fit: ETS as statsmodels' own optimum, Holt-Winters no worse than it.
    for r in reference("fit.csv") {
        let (ours, theirs) = (num(&r, "ntp_train_mse"), num(&r, "statsmodels_train_mse"));
        assert!(
            ours <= theirs * 1.02,
            "{}: {ours} vs statsmodels {theirs}",
            r["model"]
        );
    }
    let run = json(&out.join(format!("{stem}.run.json")));
    let fits = &run["classical_fits"][0]["fits"];
    for r in reference("fit.csv") {
        let ours = fits[r["model"].as_str()]["train_mse"].as_f64().unwrap();
        assert!(
            (ours - num(&r, "ntp_train_mse")).abs() <= 1e-9 * ours,
            "{}",
            r["model"]
        );
    }

    // Diebold–Mariano p-values.
    let rows = table(&out.join(format!("{stem}.mse_results.e4.b32.csv")));
    let dm = reference("dm.csv");
    assert!(dm.len() >= 20);
    for r in &dm {
        let row = find(&rows, &r["look_back"], &r["model"], "all", "");
        let (ours, theirs) = (num(row, &r["against"]), num(r, "p_value"));
        let close = if theirs > 1e-12 {
            (ours - theirs).abs() <= 1e-6 * theirs
        } else {
            (ours.log10() - theirs.log10()).abs() <= 1e-3 * theirs.log10().abs()
        };
        assert!(close, "{r:?}: ntp {ours}");
    }
}

#[test]
fn same_seeds_give_identical_tables_and_folds_roll_forward() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dataset(dir.path(), "s7comm-clean-15min.pcap");
    let run = |name: &str| {
        let out = dir.path().join(name);
        train(&ds, &out)
            .args(["--look-back", "10", "--folds", "3", "--seeds", "2"])
            .args(QUICK)
            .assert()
            .success();
        out.join("s7comm-clean-15min.mse_results.e2.b32.csv")
    };
    let (a, b) = (run("a"), run("b"));
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let rows = table(&a);
    // Three consecutive test blocks; the `all` row is their mean; training grows by a block.
    let folds: Vec<&HashMap<String, String>> = (0..3)
        .map(|k| find(&rows, "10", "persistence", &k.to_string(), ""))
        .collect();
    let all = find(&rows, "10", "persistence", "all", "");
    let mean = folds.iter().map(|r| num(r, "test_mse")).sum::<f64>() / 3.0;
    assert!((num(all, "test_mse") - mean).abs() <= 1e-9 * mean);
    let windows = |r: &HashMap<String, String>, c: &str| r[c].parse::<usize>().unwrap();
    assert_eq!(
        folds
            .iter()
            .map(|r| windows(r, "test_windows"))
            .sum::<usize>(),
        windows(all, "test_windows")
    );
    let block = windows(folds[0], "test_windows");
    assert_eq!(
        windows(folds[1], "train_windows"),
        windows(folds[0], "train_windows") + block
    );
    assert_eq!(
        windows(folds[2], "train_windows"),
        windows(folds[1], "train_windows") + block
    );
}

#[test]
fn same_seeds_give_identical_tables_for_the_mlps() {
    let dir = tempfile::tempdir().unwrap();
    // A series table, for a feature column beside the target.
    let ds = dir.path().join("s7comm-clean-15min.parquet");
    ntp()
        .args(["aggregate", "-q", "--top", "0"])
        .arg(fixture("s7comm-clean-15min.pcap"))
        .arg("-o")
        .arg(&ds)
        .assert()
        .success();
    for model in ["dlinear", "nhits"] {
        let run = |name: &str| {
            let out = dir.path().join(format!("{model}-{name}"));
            train(&ds, &out)
                .args(["--model", model, "--hidden", "16", "--look-back", "10,30"])
                .args(["--seeds", "2", "--horizon", "2", "--features", "packets"])
                .args(QUICK)
                .assert()
                .success();
            let csv = out.join("s7comm-clean-15min.mse_results.e2.b32.csv");
            std::fs::read_to_string(csv).unwrap()
        };
        let (a, b) = (run("a"), run("b"));
        assert_eq!(a, b, "{model}");
        assert!(a.contains(&format!("{model}_ensemble")) && a.contains("top3_mean"));
    }
}

/// Early stopping keeps the epoch with the lowest validation loss and stops `patience`
/// epochs after it.
#[test]
fn early_stopping_keeps_the_best_validation_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    train(&nab(), &out)
        .args([
            "--look-back",
            "12",
            "--epochs",
            "30",
            "--hidden",
            "8",
            "--seeds",
            "2",
        ])
        .args([
            "--patience",
            "2",
            "--lr",
            "0.05",
            "--period",
            "288",
            "--dpi",
            "50",
            "-q",
        ])
        .assert()
        .success();
    let run = json(&out.join("nab-ec2-network-in-257a54.run.json"));
    let mut stopped = 0;
    for r in run["lstm_runs"].as_array().unwrap() {
        let losses: Vec<f64> = r["validation_loss"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let best = (0..losses.len())
            .min_by(|&a, &b| losses[a].total_cmp(&losses[b]))
            .unwrap();
        assert_eq!(r["kept_epoch"], best + 1, "{r}");
        if r["stopped_early"] == true {
            stopped += 1;
            assert_eq!(losses.len(), best + 1 + 2, "{r}");
        } else {
            assert_eq!(losses.len(), 30);
        }
    }
    assert!(
        stopped > 0,
        "no run stopped early: the test would prove nothing"
    );
}

#[test]
fn too_short_look_backs_are_reported_and_the_rest_run() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dataset(dir.path(), "s7comm-clean-15min.pcap");
    let out = dir.path().join("out");
    let a = train(&ds, &out)
        .args([
            "--look-back",
            "10,5000",
            "--epochs",
            "1",
            "--seeds",
            "1",
            "--dpi",
            "50",
        ])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        stderr.contains("look-back 5000: series too short"),
        "{stderr}"
    );
    let rows = table(&out.join("s7comm-clean-15min.mse_results.e1.b32.csv"));
    assert!(rows.iter().any(|r| r["look_back"] == "5000"
        && r["model"].is_empty()
        && r["status"].contains("series too short")));
    assert!(rows
        .iter()
        .any(|r| r["look_back"] == "10" && r["model"] == "lstm"));

    let out2 = dir.path().join("none");
    let a = train(&ds, &out2)
        .args(["--look-back", "5000", "--epochs", "1"])
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("too short for every look-back"), "{stderr}");
    assert!(listing(&out2).is_empty());
}

/// The study's settings and selection: the persistence MSE equals, bit for bit, the one the
/// Keras re-run of the study's code computed on the same input (tests/data/reference/keras/),
/// and the look-back is chosen on the test span, as the study did.
#[test]
fn study_mode_persistence_equals_the_keras_script() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dataset(dir.path(), "lan-broadcast-28min-ns.pcapng");
    let out = dir.path().join("out");
    train(&ds, &out)
        .args([
            "--size",
            "captured",
            "--drop-empty",
            "--scale-on-all",
            "--select-on-test",
        ])
        .args([
            "--batch-size",
            "64",
            "--look-back",
            "10,20,30,60",
            "--seeds",
            "1",
        ])
        .args(["--epochs", "1", "--dpi", "50", "-q"])
        .assert()
        .success();
    let ours = table(&out.join("lan-broadcast-28min-ns.mse_results.e1.b64.csv"));
    let keras = read_csv(&fixture("reference/keras/lan-broadcast-28min-ns.keras.csv"));
    let mut checked = 0;
    for k in keras.iter().filter(|r| r[1] == "persistence") {
        let row = find(&ours, &k[0], "persistence", "all", "");
        assert_eq!(
            num(row, "test_mse"),
            k[3].parse::<f64>().unwrap(),
            "look-back {}",
            k[0]
        );
        assert!(row["val_mse"].is_empty());
        checked += 1;
    }
    assert_eq!(checked, 4);
    let chosen = ours
        .iter()
        .find(|r| r["model"] == "lstm" && r["selected"] == "true" && r["seed"] == "42")
        .unwrap();
    let lowest = ours
        .iter()
        .filter(|r| r["model"] == "lstm" && r["seed"] == "42" && r["fold"] == "all")
        .min_by(|a, b| num(a, "test_mse").total_cmp(&num(b, "test_mse")))
        .unwrap();
    assert_eq!(chosen["look_back"], lowest["look_back"]);
    let run = json(&out.join("lan-broadcast-28min-ns.run.json"));
    assert!(run["selection_rule"].as_str().unwrap().contains("test MSE"));
}

/// Settings no model can be trained with: one line naming the option, exit 1, no output.
#[test]
fn impossible_settings_are_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dataset(dir.path(), "lan-broadcast-28min-ns.pcapng");
    for (arg, value, option) in [
        ("--hidden", "0", "--hidden"),
        ("--layers", "0", "--layers"),
        ("--batch-size", "0", "--batch-size"),
        ("--epochs", "0", "--epochs"),
        ("--horizon", "0", "--horizon"),
        ("--lr", "0", "--lr"),
        ("--lr", "NaN", "--lr"),
        ("--test-fraction", "1.5", "--test-fraction"),
        ("--val-fraction", "0.9", "--val-fraction"),
        ("--seeds", "0", "--seeds"),
        ("--folds", "0", "--folds"),
        ("--period", "1", "--period"),
        ("--dropout", "1.5", "--dropout"),
        ("--hidden", "5000", "--hidden"),
        ("--layers", "17", "--layers"),
        ("--folds", "5000", "--folds"),
        ("--folds", "500", "--folds"),
        ("--seeds", "5000", "--seeds"),
        ("--features", "nosuch", "--features"),
        ("--look-back", "0,10", "--look-back"),
        ("--clip", "NaN", "--clip"),
    ] {
        let out = dir.path().join("out");
        let assert = train(&ds, &out)
            .args(["--look-back", "10", "-q", arg, value])
            .assert()
            .code(1);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert_eq!(stderr.lines().count(), 1, "{arg} {value}: {stderr}");
        assert!(stderr.contains(option), "{arg} {value}: {stderr}");
        assert!(!out.exists(), "{arg} {value}: output written");
    }
    // Values clap itself rejects: its usage error (exit 2) naming the option.
    for (arg, value) in [
        ("--tz", "Mars/Olympus"),
        ("--calendar", "month"),
        ("--model", "rnn"),
    ] {
        let out = dir.path().join("out");
        let assert = train(&ds, &out).args([arg, value]).assert().code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(
            stderr.starts_with(&format!("error: invalid value '{value}' for '{arg}")),
            "{stderr}"
        );
        assert!(!out.exists());
    }
}

/// `--horizon 3`: every model forecasts steps 1–3 from each origin; persistence per step
/// recomputed here from the Parquet; the saved 3-output model applies to another capture.
#[test]
fn multi_step_paths_are_scored_per_step() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dataset(dir.path(), "s7comm-clean-15min.pcap");
    let out = dir.path().join("out");
    train(&ds, &out)
        .args(["--look-back", "10", "--horizon", "3", "--seeds", "1"])
        .args(QUICK)
        .assert()
        .success();
    let stem = "s7comm-clean-15min";
    let x = ip_bytes_per_second(&ds);
    let n = x.len();
    let test_start = n - (0.2 * n as f64).round() as usize;
    // Test origins: the first target in the test span, the last inside the series.
    let origins: Vec<usize> = (test_start - 1..=n - 4).collect();
    let steps = table(&out.join(format!("{stem}.steps.e2.b32.csv")));
    let mut total = 0.0;
    for s in 1..=3 {
        let ours = steps
            .iter()
            .find(|r| r["model"] == "persistence" && r["step"] == s.to_string())
            .unwrap();
        let mse = origins
            .iter()
            .map(|&o| (x[o + s] - x[o]).powi(2))
            .sum::<f64>()
            / origins.len() as f64;
        assert!(
            (num(ours, "test_mse") - mse).abs() <= 1e-9 * mse,
            "step {s}: {ours:?} vs {mse}"
        );
        total += mse / 3.0;
    }
    let rows = table(&out.join(format!("{stem}.mse_results.e2.b32.csv")));
    let row = find(&rows, "10", "persistence", "all", "");
    assert!((num(row, "test_mse") - total).abs() <= 1e-9 * total);
    assert_eq!(row["test_windows"], origins.len().to_string());
    assert_eq!(steps.iter().filter(|r| r["model"] == "lstm").count(), 3);
    assert!(out.join(format!("{stem}.steps.e2.b32.png")).exists());

    let card = json(&out.join(format!("{stem}.best_model.e2.b32.json")));
    assert_eq!(card["horizon"], 3);
    let other = dataset(dir.path(), "lan-broadcast-28min-ns.pcapng");
    ntp()
        .arg("predict")
        .arg(out.join(format!("{stem}.best_model.e2.b32.safetensors")))
        .arg(&other)
        .args(["-q", "-o"])
        .arg(dir.path().join("pred"))
        .assert()
        .success();
}

/// 3000 five-minute rows of `value` = 1000 + 5 × `load` one step earlier + a daily sine.
fn write_linked_series(csv: &Path) {
    let mut text = String::from("timestamp,value,load\n");
    let mut s = 11u64;
    let mut load_prev = 0.0;
    let start = 1_700_000_100i64; // 5-min aligned
    for t in 0..3000 {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let load = 100.0 + ((s >> 11) as f64 / (1u64 << 53) as f64) * 50.0;
        let ts = start + t * 300;
        let hour = ts.rem_euclid(86_400) as f64 / 86_400.0;
        let value = 1000.0 + 5.0 * load_prev + 300.0 * (2.0 * std::f64::consts::PI * hour).sin();
        text.push_str(&format!("{ts},{value},{load}\n"));
        load_prev = load;
    }
    std::fs::write(csv, text).unwrap();
}

/// A series CSV whose value is, exactly, 5 × another column's previous value plus a daily
/// cycle: with `--features load --calendar hour` the linear AR becomes an ARX on the lags,
/// `load`'s latest value and the target's hour terms, and forecasts it to rounding; without
/// them it cannot. The saved model's card carries the inputs and `predict` asks for them.
#[test]
fn features_and_calendar_reach_the_network_and_make_the_ar_an_arx() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("link.csv");
    write_linked_series(&csv);
    let quick = [
        "--look-back",
        "3",
        "--epochs",
        "1",
        "--seeds",
        "1",
        "--hidden",
        "4",
    ];
    let arx = dir.path().join("arx");
    train(&csv, &arx)
        .args(quick)
        .args([
            "--column",
            "value",
            "--features",
            "load",
            "--calendar",
            "hour",
        ])
        .args(["--period", "288", "--dpi", "50", "-q"])
        .assert()
        .success();
    let ar = dir.path().join("ar");
    train(&csv, &ar)
        .args(quick)
        .args(["--column", "value", "--period", "288", "--dpi", "50", "-q"])
        .assert()
        .success();
    let mse = |d: &Path, model: &str| {
        let rows = table(&d.join("link.mse_results.e1.b32.csv"));
        num(find(&rows, "3", model, "all", ""), "test_mse")
    };
    let persistence = mse(&ar, "persistence");
    assert!(
        mse(&arx, "linear_ar") < 1e-12 * persistence,
        "ARX: {}",
        mse(&arx, "linear_ar")
    );
    assert!(
        mse(&ar, "linear_ar") > 0.1 * persistence,
        "AR: {}",
        mse(&ar, "linear_ar")
    );
    // Persistence does not read the other inputs.
    assert_eq!(mse(&arx, "persistence"), persistence);

    let card = json(&arx.join("link.best_model.e1.b32.json"));
    assert_eq!(card["features"], serde_json::json!(["load"]));
    assert_eq!(card["calendar"]["hour"], true);
    let weights = candle_core::safetensors::load(
        arx.join("link.best_model.e1.b32.safetensors"),
        &candle_core::Device::Cpu,
    )
    .unwrap();
    // Inputs per step: the target, load, sin and cos of the hour.
    assert_eq!(weights["lstm.weight_ih_l0"].dims(), &[16, 4]);
    let model = arx.join("link.best_model.e1.b32.safetensors");
    ntp()
        .arg("predict")
        .arg(&model)
        .arg(&csv)
        .args(["-q", "-o"])
        .arg(dir.path().join("p"))
        .assert()
        .success();
    // A series without the feature: one line naming it.
    let bare = dir.path().join("bare.csv");
    let lines: Vec<String> = std::fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string())
        .collect();
    std::fs::write(&bare, lines.join("\n") + "\n").unwrap();
    let a = ntp()
        .arg("predict")
        .arg(&model)
        .arg(&bare)
        .args(["-q", "-o"])
        .arg(dir.path().join("q"))
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("load"), "{stderr}");
}

/// `--cell gru --layers 2 --dropout 0.3`: PyTorch's GRU names for both layers, the GRU's row
/// in the tables, and the same seeds give the same tables with dropout on.
#[test]
fn stacked_gru_with_dropout_is_repeatable() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dataset(dir.path(), "s7comm-clean-15min.pcap");
    let run = |name: &str| {
        let out = dir.path().join(name);
        train(&ds, &out)
            .args([
                "--look-back",
                "10",
                "--seeds",
                "2",
                "--cell",
                "gru",
                "--layers",
                "2",
            ])
            .args(["--dropout", "0.3", "--hidden", "8"])
            .args(QUICK)
            .assert()
            .success();
        out
    };
    let (a, b) = (run("a"), run("b"));
    let csv = "s7comm-clean-15min.mse_results.e2.b32.csv";
    assert_eq!(
        std::fs::read(a.join(csv)).unwrap(),
        std::fs::read(b.join(csv)).unwrap()
    );
    let rows = table(&a.join(csv));
    find(&rows, "10", "gru", "all", "mean");
    let weights = candle_core::safetensors::load(
        a.join("s7comm-clean-15min.best_model.e2.b32.safetensors"),
        &candle_core::Device::Cpu,
    )
    .unwrap();
    assert_eq!(weights["gru.weight_ih_l1"].dims(), &[24, 8]);
    assert_eq!(weights["gru.bias_hh_l1"].dims(), &[24]);
    let card = json(&a.join("s7comm-clean-15min.best_model.e2.b32.json"));
    assert_eq!(card["hyper"]["cell"], "gru");
    assert_eq!(card["hyper"]["dropout"], 0.3);
}

/// The fused LSTM and GRU kernels give the same forecasts on every code path: the widest the
/// CPU has (AVX-512F or AVX2), AVX2, and the baseline (`NTP_SIMD`).
#[test]
fn every_kernel_path_gives_the_same_forecasts() {
    let dir = tempfile::tempdir().unwrap();
    let series = fixture("lan-broadcast-28min-ns.pcapng");
    let ds = dir.path().join("s.parquet");
    ntp()
        .args(["aggregate", "-q", "--top", "0"])
        .arg(&series)
        .arg("-o")
        .arg(&ds)
        .assert()
        .success();
    let run = |path: &str, cell: &str| {
        let out = dir.path().join(format!("{path}-{cell}"));
        train(&ds, &out)
            .env("NTP_SIMD", path)
            .args(QUICK)
            .args(["--look-back", "10", "--seeds", "1", "--cell", cell])
            .assert()
            .success();
        std::fs::read(out.join("s.forecasts.e2.b32.csv")).unwrap()
    };
    for cell in ["lstm", "gru"] {
        let widest = run("auto", cell);
        assert_eq!(widest, run("avx2", cell), "{cell}: widest vs AVX2");
        assert_eq!(widest, run("baseline", cell), "{cell}: widest vs baseline");
    }
}

/// A series with missing intervals: by default no window whose inputs or target touch one
/// is trained on or scored, and the warning says how many windows that left out; with
/// `--fill linear` the filled values are used as data.
#[test]
fn missing_values_enter_no_window_unless_filled() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("gappy.csv");
    let t0 = 1_704_067_200;
    let gap = 500..510; // in the test span (the last 20 % of 600 values)
    let rows: String = (0..600)
        .filter(|i| !gap.contains(i))
        .map(|i| format!("{},{}\n", t0 + 60 * i, 100 + (i * 7919) % 23))
        .collect();
    std::fs::write(&csv, format!("timestamp,value\n{rows}")).unwrap();
    let index = |time: &str| {
        let t = chrono::DateTime::parse_from_rfc3339(time)
            .unwrap()
            .timestamp();
        ((t - t0) / 60) as usize
    };
    let run_with = |fill: Option<&str>| {
        let out = dir.path().join(fill.unwrap_or("left-out"));
        let mut c = train(&csv, &out);
        c.args(QUICK).args(["--look-back", "5", "--seeds", "1"]);
        if let Some(f) = fill {
            c.args(["--fill", f]);
        }
        let run = c.assert().success();
        let stderr = String::from_utf8_lossy(&run.get_output().stderr).to_string();
        (table(&out.join("gappy.forecasts.e2.b32.csv")), stderr)
    };
    // Windows [s, s + 6) touching 500..510: s in 495..=509, 15 of 595.
    let (rows, stderr) = run_with(None);
    assert!(
        stderr.contains("10 of 600 intervals had no value")
            && stderr.contains("windows left out: 15 of 595 at look-back 5"),
        "{stderr}"
    );
    let targets: Vec<usize> = rows.iter().map(|r| index(&r["time"])).collect();
    assert!(targets.iter().any(|&t| t > 514) && targets.iter().any(|&t| t < 500));
    assert!(
        targets.iter().all(|t| !(500..=514).contains(t)),
        "a forecast of a value missing or read from one"
    );
    // Persistence forecasts the last value of its window: a present value of the file.
    for r in rows.iter().filter(|r| r["model"] == "persistence") {
        let prev = index(&r["time"]) - 1;
        let value = (100 + (prev * 7919) % 23) as f64;
        assert!(
            (num(r, "forecast") * 60.0 - value).abs() < 1e-9 * value,
            "{r:?}"
        );
    }
    let (filled, stderr) = run_with(Some("linear"));
    assert!(
        stderr.contains("filled linearly") && !stderr.contains("windows left out"),
        "{stderr}"
    );
    assert!(filled
        .iter()
        .any(|r| (500..=514).contains(&index(&r["time"]))));
}

/// The calendar terms follow the series' `--time-zone` unless `--tz` says otherwise, and the
/// card keeps the zone for `predict`.
#[test]
fn calendar_terms_follow_the_series_time_zone() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("link.csv");
    write_linked_series(&csv);
    let card = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        train(&csv, &out)
            .args([
                "--look-back",
                "3",
                "--epochs",
                "1",
                "--seeds",
                "1",
                "--hidden",
                "4",
            ])
            .args(["--column", "value", "--calendar", "hour", "--period", "288"])
            .args(["--dpi", "40", "-q"])
            .args(extra)
            .assert()
            .success();
        json(&out.join("link.best_model.e1.b32.json"))["calendar"].clone()
    };
    let zoned = card("zoned", &["--time-zone", "America/New_York"]);
    assert_eq!(zoned["zone"], "America/New_York", "{zoned}");
    let fixed = card(
        "fixed",
        &["--time-zone", "America/New_York", "--tz", "+02:00"],
    );
    assert_eq!(fixed["offset_s"], 7200, "{fixed}");
    assert!(fixed.get("zone").is_none(), "{fixed}");
    let named = card("named", &["--tz", "Asia/Tokyo"]);
    assert_eq!(named["zone"], "Asia/Tokyo", "{named}");
}
