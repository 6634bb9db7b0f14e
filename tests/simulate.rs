//! `ntp simulate` and `ntp detect`: the simulated capture aggregates to the simulator's own
//! series, the same seed gives the same bytes, the labels are read back, and the default
//! detector finds the labelled events on simulated and real (NAB) series.

use std::path::Path;

use polars::prelude::*;

use crate::util::*;

fn simulate(dir: &Path, extra: &[&str]) {
    ntp()
        .args(["simulate", "-q", "-o"])
        .arg(dir)
        .args(extra)
        .assert()
        .success();
}

fn column_f64(df: &DataFrame, c: &str) -> Vec<f64> {
    let s = df.column(c).unwrap().cast(&DataType::Float64).unwrap();
    s.f64().unwrap().into_no_null_iter().collect()
}

#[test]
fn the_simulated_capture_aggregates_to_the_simulators_own_series() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("trace.pcap");
    let args = [
        "--days", "0.005", "--every", "1s", "--rate", "300", "--seed", "5",
    ];
    simulate(
        dir.path(),
        &[&args[..], &["--capture", pcap.to_str().unwrap()]].concat(),
    );
    let series = dir.path().join("simulated.series.parquet");
    let aggregated = dir.path().join("aggregated.parquet");
    ntp()
        .args(["aggregate", "-q"])
        .arg(&pcap)
        .arg("-o")
        .arg(&aggregated)
        .assert()
        .success();
    let (ours, theirs) = (read_parquet(&series), read_parquet(&aggregated));
    assert_eq!(ours.get_column_names(), theirs.get_column_names());
    assert_eq!(ours.height(), 432);
    let stamps = |df: &DataFrame| -> Vec<Option<i64>> { times(df, "timestamp").iter().collect() };
    assert_eq!(stamps(&ours), stamps(&theirs));
    for c in ours.get_column_names().iter().skip(1) {
        let (a, b) = (column_f64(&ours, c), column_f64(&theirs, c));
        // Entropies are sums of floats in another order: equal to rounding.
        let tolerance = if c.ends_with("entropy") { 1e-9 } else { 0.0 };
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert!(
                (x - y).abs() <= tolerance,
                "{c} at {i}: simulated {x}, aggregated {y}"
            );
        }
    }
    assert!(column_f64(&ours, "packets").iter().sum::<f64>() > 50_000.0);
    assert!(column_f64(&ours, "tcp_syn").iter().sum::<f64>() > 0.0);
    assert!(column_f64(&ours, "icmp_packets").iter().sum::<f64>() > 0.0);
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_other_ones() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, seed: &str| {
        let d = dir.path().join(name);
        let pcap = d.join("t.pcap.gz");
        std::fs::create_dir_all(&d).unwrap();
        let args = [
            "--days", "0.5", "--every", "1m", "--rate", "5", "--seed", seed,
        ];
        simulate(
            &d,
            &[&args[..], &["--capture", pcap.to_str().unwrap()]].concat(),
        );
        [
            "simulated.series.parquet",
            "simulated.labels.csv",
            "t.pcap.gz",
        ]
        .map(|f| std::fs::read(d.join(f)).unwrap())
    };
    let (a, b, c) = (run("a", "3"), run("b", "3"), run("c", "4"));
    assert_eq!(a, b);
    assert_ne!(a[0], c[0]);
    assert_ne!(a[1], c[1]);
}

/// `start,end,kind` of a labels file.
fn labels(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

#[test]
fn the_default_detector_finds_the_simulated_events_and_says_how_well() {
    let dir = tempfile::tempdir().unwrap();
    simulate(dir.path(), &["--seed", "11"]);
    let series = dir.path().join("simulated.series.parquet");
    let labels_path = dir.path().join("simulated.labels.csv");
    let written = labels(&labels_path);
    let kinds: Vec<&str> = written.iter().map(|l| l[2].as_str()).collect();
    assert_eq!(
        kinds,
        ["flood", "scan", "flash-crowd", "outage", "level-shift"]
    );
    let out = dir.path().join("detect");
    let run = ntp()
        .args([
            "detect",
            "--columns",
            "ip_bytes,sources,destinations",
            "--labels",
        ])
        .arg(&labels_path)
        .arg(&series)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).to_string();
    assert!(stdout.contains("of 5 windows found"), "{stdout}");
    let scores = std::fs::read_to_string(out.join("simulated.detect_scores.csv")).unwrap();
    let row: Vec<&str> = scores.lines().nth(1).unwrap().split(',').collect();
    let (found, events): (usize, usize) = (row[2].parse().unwrap(), row[3].parse().unwrap());
    let f1: f64 = row[7].parse().unwrap();
    // Most of the events, few false ones: above the anchors' F1 on such series (the
    // whole-series 3σ z-score 0.00–0.33, IsolationForest 0.15–0.43: docs/detect.md).
    assert!(found >= 4, "{scores}");
    assert!(events <= found + 1, "{scores}");
    assert!(f1 >= 0.75, "{scores}");
    // The events found carry the label kinds' signs: the outage is low (or, when it lasts,
    // a shift), the flood high.
    let ev = labels(&out.join("simulated.events.csv"));
    let within = |e: &Vec<String>, l: &Vec<String>| e[0] >= l[0] && e[0] < l[1];
    let outage = &written[3];
    assert!(
        ev.iter()
            .any(|e| (e[2] == "low" || e[2] == "shift") && within(e, outage)),
        "{ev:?}"
    );
    assert!(
        ev.iter().any(|e| e[2] == "high" && within(e, &written[0])),
        "{ev:?}"
    );
    // The level shift is found as one, at its onset.
    assert!(
        ev.iter().any(|e| e[2] == "shift" && within(e, &written[4])),
        "{ev:?}"
    );
    for f in ["detect.csv", "detect.png"] {
        assert!(out.join(format!("simulated.{f}")).exists(), "{f}");
    }
}

#[test]
fn on_nabs_aws_series_the_default_finds_the_labelled_window_alone() {
    let dir = tempfile::tempdir().unwrap();
    let detect = |method: &[&str]| {
        let run = ntp()
            .arg("detect")
            .args(method)
            .arg("--labels")
            .arg(fixture("series/nab-ec2-network-in-257a54.labels.csv"))
            .arg(fixture("series/nab-ec2-network-in-257a54.csv"))
            .arg("-o")
            .arg(dir.path())
            .assert()
            .success();
        String::from_utf8_lossy(&run.get_output().stdout).to_string()
    };
    let stdout = detect(&[]);
    assert!(stdout.contains("1 of 1 windows found"), "{stdout}");
    assert!(stdout.contains("F1 1.00"), "{stdout}");
    // The robust z-score, for contrast, raises false events outside the window.
    let stdout = detect(&["--method", "robust-z"]);
    assert!(!stdout.contains("F1 1.00"), "{stdout}");
}

#[test]
fn bad_labels_and_options_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "start,end\n2014-04-15T00:00:00Z,yesterday\n").unwrap();
    let series = fixture("series/nab-ec2-network-in-257a54.csv");
    for (args, needle) in [
        (vec!["--labels", bad.to_str().unwrap()], "not a time"),
        (vec!["--level", "100"], "--level"),
        (vec!["--columns", "nope"], "nope"),
    ] {
        let a = ntp()
            .arg("detect")
            .arg(&series)
            .args(&args)
            .arg("-o")
            .arg(dir.path().join("out"))
            .assert()
            .failure();
        let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{stderr}");
    }
    for (args, needle) in [
        (vec!["--days", "1e9"], "--days"),
        (
            vec!["--rate", "1e7", "--every", "1m"],
            "packets per interval",
        ),
        (
            vec!["--rate", "100000", "--every", "1s", "--days", "100"],
            "packets",
        ),
        (vec!["--events", "flood,flood"], "twice"),
        (vec!["--hurst", "1.2"], "--hurst"),
        (vec!["--hosts", "20000000000"], "--hosts"),
    ] {
        let a = ntp()
            .arg("simulate")
            .args(&args)
            .arg("-o")
            .arg(dir.path())
            .assert()
            .failure();
        let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{stderr}");
    }
}
