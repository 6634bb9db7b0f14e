//! `ntp train` / `ntp predict` end to end on the bundled sample: every output, baselines
//! checked against an independent computation, repeatability, too-short series.

use crate::util::*;

const QUICK: &[&str] = &["--epochs", "2", "--seed", "7", "--dpi", "50", "-q"];

/// `ntp train DATASET -o OUT`, to which each test adds its options.
fn train(dataset: &std::path::Path, out: &std::path::Path) -> assert_cmd::Command {
    let mut c = ntp();
    c.arg("train").arg(dataset).arg("-o").arg(out);
    c
}

#[test]
fn sweep_writes_every_output_and_baselines_are_right() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dataset(dir.path(), "lan-broadcast-28min-ns.pcapng");
    let out = dir.path().join("out");
    train(&ds, &out)
        .args(["--look-back", "5,20"])
        .args(QUICK)
        .assert()
        .success();
    let stem = "lan-broadcast-28min-ns";
    for f in [
        "mse_results.e2.b32.csv",
        "mse_results.e2.b32.tex",
        "prediction.e2.b32.png",
        "loss.e2.b32.png",
        "best_model.e2.b32.safetensors",
        "best_model.e2.b32.json",
        "run.json",
    ] {
        assert!(out.join(format!("{stem}.{f}")).exists(), "{f} missing");
    }
    let rows = read_csv(&out.join(format!("{stem}.mse_results.e2.b32.csv")));
    let models: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    for l in ["5", "20"] {
        for m in [
            "lstm",
            "persistence",
            "seasonal_naive",
            "window_mean",
            "linear_ar",
        ] {
            assert!(models.contains(&(l, m)), "{l} {m} missing: {models:?}");
        }
    }

    // Persistence MSE from the Parquet, computed here: zero-filled 1-s IP-size series,
    // n − L windows, the first ⌊0.8·(n − L)⌋ train, next = last.
    let per_sec = per_second(&read_parquet(&ds));
    let (first, last) = (
        *per_sec.keys().next().unwrap(),
        *per_sec.keys().last().unwrap(),
    );
    let x: Vec<f64> = (first..=last)
        .map(|s| per_sec.get(&s).map(|v| v[1] as f64).unwrap_or(0.0))
        .collect();
    for l in [5usize, 20] {
        let windows = x.len() - l;
        let train = (0.8 * windows as f64).floor() as usize;
        let errs: Vec<f64> = (train..windows).map(|i| x[i + l] - x[i + l - 1]).collect();
        let mse = errs.iter().map(|e| e * e).sum::<f64>() / errs.len() as f64;
        let row = rows
            .iter()
            .find(|r| r[0] == l.to_string() && r[1] == "persistence")
            .unwrap();
        let ours: f64 = row[2].parse().unwrap();
        assert!(
            (ours - mse).abs() <= 1e-9 * mse,
            "L={l}: persistence MSE {ours} vs {mse}"
        );
        assert_eq!(row[9], (windows - train).to_string(), "test windows");
    }
    let tex = std::fs::read_to_string(out.join(format!("{stem}.mse_results.e2.b32.tex"))).unwrap();
    assert!(tex.contains("\\toprule") && tex.contains("$^\\dagger$") && tex.contains("\\textbf{"));
    let card: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join(format!("{stem}.best_model.e2.b32.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(card["hyper"]["hidden"], 50);
    let run: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join(format!("{stem}.run.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(run["input_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(
        run["candle_version"].as_str().unwrap().split('.').count(),
        3
    );

    // The saved model applies to another capture.
    let other = dataset(dir.path(), "s7comm-clean-15min.pcap");
    let pout = dir.path().join("pred");
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
    assert!(metrics
        .iter()
        .all(|r| r[1].parse::<f64>().unwrap().is_finite()));
}

#[test]
fn same_seed_gives_identical_tables() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dataset(dir.path(), "s7comm-clean-15min.pcap");
    let run = |name: &str| {
        let out = dir.path().join(name);
        train(&ds, &out)
            .args(["--look-back", "10"])
            .args(QUICK)
            .assert()
            .success();
        std::fs::read(out.join("s7comm-clean-15min.mse_results.e2.b32.csv")).unwrap()
    };
    assert_eq!(run("a"), run("b"));
}

#[test]
fn too_short_look_backs_are_reported_and_the_rest_run() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dataset(dir.path(), "s7comm-clean-15min.pcap");
    let out = dir.path().join("out");
    let a = train(&ds, &out)
        .args(["--look-back", "10,5000", "--epochs", "1", "--dpi", "50"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        stderr.contains("look-back 5000: series too short"),
        "{stderr}"
    );
    let rows = read_csv(&out.join("s7comm-clean-15min.mse_results.e1.b32.csv"));
    assert!(rows
        .iter()
        .any(|r| r[0] == "5000" && r.last().unwrap().contains("series too short")));
    assert!(rows.iter().any(|r| r[0] == "10" && r[1] == "lstm"));

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

/// The study's settings: the persistence MSE equals, bit for bit, the one the Keras re-run
/// of the study's code computed on the same input (tests/data/reference/keras/).
#[test]
fn study_mode_persistence_equals_the_keras_script() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dataset(dir.path(), "lan-broadcast-28min-ns.pcapng");
    let out = dir.path().join("out");
    train(&ds, &out)
        .args(["--size", "captured", "--drop-empty", "--scale-on-all"])
        .args(["--batch-size", "64", "--look-back", "10,20,30,60"])
        .args(["--epochs", "1", "--dpi", "50", "-q"])
        .assert()
        .success();
    let ours = read_csv(&out.join("lan-broadcast-28min-ns.mse_results.e1.b64.csv"));
    let keras = read_csv(&fixture("reference/keras/lan-broadcast-28min-ns.keras.csv"));
    let mut checked = 0;
    for k in keras.iter().filter(|r| r[1] == "persistence") {
        let row = ours
            .iter()
            .find(|r| r[0] == k[0] && r[1] == "persistence")
            .unwrap_or_else(|| panic!("no persistence row for look-back {}", k[0]));
        assert_eq!(
            row[2].parse::<f64>().unwrap(),
            k[3].parse::<f64>().unwrap(),
            "look-back {}",
            k[0]
        );
        checked += 1;
    }
    assert_eq!(checked, 4);
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
        ("--look-back", "0,10", "--look-back"),
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
}
