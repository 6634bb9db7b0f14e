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

/// Runs `ntp simulate -q -o dir` with `args`: (success, stderr).
fn simulate_run(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = ntp()
        .args(["simulate", "-q", "-o"])
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn spans_past_what_time_stamps_hold_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (vec!["--start", "2262-04-11T23:00:00Z"], "2262"),
        (
            vec!["--every", "36500d", "--days", "365000", "--rate", "1e-6"],
            "2262",
        ),
        (
            vec!["--start", "2200-01-01T00:00:00Z", "--capture", "x.pcap"],
            "1970–2106",
        ),
    ] {
        let (ok, stderr) = simulate_run(dir.path(), &args);
        assert!(!ok, "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{needle}: {stderr}");
    }
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn a_few_intervals_hold_no_more_events_than_fit_apart() {
    let dir = tempfile::tempdir().unwrap();
    for days in ["0.0035", "0.007", "0.0174"] {
        let (ok, stderr) = simulate_run(dir.path(), &["--days", days]);
        assert!(!ok, "{days}: {stderr}");
        assert!(stderr.contains("have room for"), "{stderr}");
    }
    // 0.0034722 days is one interval of 5 minutes: said as such, run without events.
    let (ok, stderr) = simulate_run(dir.path(), &["--days", "0.0034722", "--events", "none"]);
    assert!(ok, "{stderr}");
    // Where the events fit, they never overlap.
    let (ok, stderr) = simulate_run(dir.path(), &["--days", "0.07", "--every", "1m"]);
    assert!(ok, "{stderr}");
    let l = labels(&dir.path().join("simulated.labels.csv"));
    assert_eq!(l.len(), 5);
    for w in l.windows(2) {
        assert!(w[0][1] <= w[1][0], "{l:?}");
    }
}

#[test]
fn a_capture_named_as_another_output_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let series = dir.path().join("simulated.series.parquet");
    let (ok, stderr) = simulate_run(
        dir.path(),
        &["--days", "0.1", "--capture", series.to_str().unwrap()],
    );
    assert!(!ok, "{stderr}");
    assert!(
        stderr.contains("is also where the series table is written"),
        "{stderr}"
    );
    assert!(listing(dir.path()).is_empty());
}

/// A FIFO is written as a stream and stays a FIFO; a full device's error is the run's,
/// for a plain and a gzip capture, and nothing is left under the name.
#[test]
fn a_capture_onto_a_fifo_or_a_full_device_is_a_stream_never_a_replacement() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("live.pcap");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap().len())
    };
    let out = dir.path().join("o");
    let (ok, stderr) = simulate_run(
        &out,
        &[
            "--days",
            "0.02",
            "--every",
            "1m",
            "--capture",
            fifo.to_str().unwrap(),
        ],
    );
    assert!(ok, "{stderr}");
    let read = reader.join().unwrap();
    assert!(read > 24, "{read} bytes through the FIFO");
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());

    for name in ["full.pcap", "full.pcap.gz"] {
        // A link to /dev/full: were it renamed over, the link (not the device) would go.
        let link = dir.path().join(name);
        std::os::unix::fs::symlink("/dev/full", &link).unwrap();
        let (ok, stderr) = simulate_run(
            &out,
            &[
                "--days",
                "0.02",
                "--every",
                "1m",
                "--capture",
                link.to_str().unwrap(),
            ],
        );
        assert!(!ok, "{name}: {stderr}");
        assert!(stderr.contains(name), "{stderr}");
        let meta = std::fs::symlink_metadata(&link).unwrap();
        assert!(meta.file_type().is_symlink(), "{name} still the link");
        assert!(std::fs::metadata("/dev/full")
            .unwrap()
            .file_type()
            .is_char_device());
    }
    assert!(!listing(dir.path()).iter().any(|f| f.starts_with(".tmp-")));
}
