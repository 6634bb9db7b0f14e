//! `ntp detect` on inputs built to break it: values near the largest number, sparse and
//! gappy series, bands of no width, extreme options, and labels that cannot be scored as
//! given. Each test builds its own input.

use std::path::{Path, PathBuf};

use crate::util::*;

/// A `timestamp,value` CSV of `values` at one-minute steps from 2024-01-01 (`None`: no row).
fn series_csv(dir: &Path, name: &str, values: &[Option<f64>]) -> PathBuf {
    let mut text = String::from("timestamp,value\n");
    for (i, v) in values.iter().enumerate() {
        if let Some(v) = v {
            text.push_str(&format!("{},{v:e}\n", 1_704_067_200 + 60 * i as i64));
        }
    }
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A seasonal series of `n` minutes (a daily cycle and a little noise).
fn seasonal(n: usize) -> Vec<Option<f64>> {
    (0..n)
        .map(|t| {
            let day = (t as f64 * std::f64::consts::TAU / 1440.0).sin();
            Some(1000.0 + 300.0 * day + ((t * 7919) % 17) as f64)
        })
        .collect()
}

/// Runs `ntp detect` with `args`: (success, stdout, stderr).
fn detect(args: &[&std::ffi::OsStr]) -> (bool, String, String) {
    let out = ntp().arg("detect").args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn os(p: &Path) -> &std::ffi::OsStr {
    p.as_os_str()
}

#[test]
fn values_near_the_largest_number_are_one_line_naming_the_file_and_end_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let alternating: Vec<Option<f64>> = (0..600)
        .map(|i| Some(if i % 2 == 0 { 1.7e308 } else { -1.7e308 }))
        .collect();
    let near: Vec<Option<f64>> = (0..600)
        .map(|i| Some(if i % 3 == 0 { 1.797e308 } else { 1e308 }))
        .collect();
    for (name, values) in [("alt.csv", alternating), ("near.csv", near)] {
        let input = series_csv(dir.path(), name, &values);
        let started = std::time::Instant::now();
        let (ok, _, stderr) = detect(&[os(&input), "-o".as_ref(), os(&dir.path().join("o"))]);
        assert!(started.elapsed().as_secs() < 20, "{name}: no hang");
        assert!(!ok, "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains(name) && stderr.contains("rescale"),
            "{stderr}"
        );
    }
    // Just inside the limit, every row has a finite band and score.
    let big: Vec<Option<f64>> = (0..600)
        .map(|i| {
            Some(if i == 500 {
                1e300
            } else {
                1e290 * (1.0 + (i % 7) as f64)
            })
        })
        .collect();
    let input = series_csv(dir.path(), "big.csv", &big);
    let out = dir.path().join("big");
    let (ok, _, stderr) = detect(&[os(&input), "-o".as_ref(), os(&out)]);
    assert!(ok, "{stderr}");
    for row in read_csv(&out.join("big.detect.csv")) {
        for cell in &row[1..6] {
            assert!(cell.parse::<f64>().is_ok_and(f64::is_finite), "{row:?}");
        }
    }
    assert!(out.join("big.detect.png").exists());
}

#[test]
fn a_constant_history_then_a_spike_has_a_finite_score() {
    let dir = tempfile::tempdir().unwrap();
    let mut values = vec![Some(5.0); 400];
    values[300] = Some(5000.0);
    let input = series_csv(dir.path(), "flat.csv", &values);
    let out = dir.path().join("o");
    for method in ["forecast", "robust-z"] {
        let (ok, _, stderr) = detect(&[
            os(&input),
            "--method".as_ref(),
            method.as_ref(),
            "-o".as_ref(),
            os(&out),
        ]);
        assert!(ok, "{stderr}");
        let rows = read_csv(&out.join("flat.detect.csv"));
        let spike = rows
            .iter()
            .find(|r| r[1].parse::<f64>() == Ok(5000.0))
            .unwrap();
        assert_eq!(spike[6], "true", "{method}: {spike:?}");
        assert!(spike[5]
            .parse::<f64>()
            .is_ok_and(|s| s.is_finite() && s > 1.0));
        let events = read_csv(&out.join("flat.events.csv"));
        assert!(!events.is_empty(), "{method}");
        for e in &events {
            assert!(e[4].parse::<f64>().is_ok_and(f64::is_finite), "{e:?}");
        }
    }
}

#[test]
fn a_mostly_empty_series_is_refused_with_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    // 100 rows, then one 999 800 minutes later.
    let mut text = String::from("timestamp,value\n");
    for i in 0..100 {
        text.push_str(&format!("{},{}\n", 1_704_067_200 + 60 * i, 10 + i % 7));
    }
    text.push_str(&format!("{},12\n", 1_704_067_200 + 60 * 999_900i64));
    let far = dir.path().join("far.csv");
    std::fs::write(&far, text).unwrap();
    // 300 hourly rows, then 400 days without, then 20 more.
    let mut text = String::from("timestamp,value\n");
    for i in (0..300).chain(9900..9920) {
        text.push_str(&format!("{},{}\n", 1_704_067_200 + 3600 * i, 10 + i % 7));
    }
    let gap = dir.path().join("gap.csv");
    std::fs::write(&gap, text).unwrap();
    for input in [far, gap] {
        let out = dir.path().join("o");
        let started = std::time::Instant::now();
        let (ok, _, stderr) = detect(&[os(&input), "-q".as_ref(), "-o".as_ref(), os(&out)]);
        assert!(!ok, "{stderr}");
        assert!(started.elapsed().as_secs() < 20);
        let line = stderr.lines().last().unwrap();
        for needle in ["have no value", "--start/--end", "--every"] {
            assert!(line.contains(needle), "{needle}: {stderr}");
        }
        assert!(listing(&out).is_empty(), "nothing written");
    }
}

#[test]
fn filled_intervals_are_said_even_under_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let mut values = seasonal(600);
    for v in &mut values[200..230] {
        *v = None;
    }
    let input = series_csv(dir.path(), "gappy.csv", &values);
    let (ok, _, stderr) = detect(&[
        os(&input),
        "-q".as_ref(),
        "-o".as_ref(),
        os(&dir.path().join("o")),
    ]);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("30 of 600 intervals had no value in the file"),
        "{stderr}"
    );
}

#[test]
fn the_largest_gap_joins_events_as_a_large_one_does() {
    let dir = tempfile::tempdir().unwrap();
    let mut values = seasonal(3000);
    for t in [1000, 1500, 2000, 2500] {
        values[t] = Some(50_000.0);
    }
    let input = series_csv(dir.path(), "s.csv", &values);
    let events = |gap: &str| {
        let out = dir.path().join(gap);
        let (ok, _, stderr) = detect(&[
            os(&input),
            "--gap".as_ref(),
            gap.as_ref(),
            "-o".as_ref(),
            os(&out),
        ]);
        assert!(ok, "{stderr}");
        read_csv(&out.join("s.events.csv")).len()
    };
    assert_eq!(events("1000000"), 1);
    assert_eq!(events(&u64::MAX.to_string()), 1);
}

#[test]
fn too_short_a_series_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = series_csv(dir.path(), "two.csv", &[Some(1.0), Some(2.0)]);
    let (ok, _, stderr) = detect(&[os(&input), "-o".as_ref(), os(&dir.path().join("o"))]);
    assert!(!ok);
    assert!(
        stderr.contains("two.csv") && stderr.contains("at least 20"),
        "{stderr}"
    );
}

#[test]
fn the_labels_input_is_never_overwritten_by_the_events() {
    let dir = tempfile::tempdir().unwrap();
    let input = series_csv(dir.path(), "x.csv", &seasonal(600));
    let out = dir.path().join("o");
    std::fs::create_dir_all(&out).unwrap();
    let labels = out.join("x.events.csv");
    let text = "start,end\n2024-01-01T05:00:00Z,2024-01-01T06:00:00Z\n";
    std::fs::write(&labels, text).unwrap();
    let (ok, _, stderr) = detect(&[
        os(&input),
        "--labels".as_ref(),
        os(&labels),
        "-o".as_ref(),
        os(&out),
    ]);
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("is one of the inputs"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&labels).unwrap(), text);
}

/// NAB's JSON: keys matched by file name (the directory deciding between several), windows
/// checked as the CSV's are.
#[test]
fn nab_json_labels_match_the_file_exactly_and_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("realB");
    std::fs::create_dir_all(&sub).unwrap();
    let input = series_csv(&sub, "spikes.csv", &seasonal(600));
    let w = |a: &str, b: &str| format!("[\"2024-01-01 {a}.000000\", \"2024-01-01 {b}.000000\"]");
    let json = |body: &str| {
        let p = dir.path().join("windows.json");
        std::fs::write(&p, body).unwrap();
        p
    };
    let run = |labels: &Path| {
        detect(&[
            os(&input),
            "--labels".as_ref(),
            os(labels),
            "-o".as_ref(),
            os(&dir.path().join("o")),
        ])
    };
    // Only a longer name holds windows: not taken for spikes.csv.
    let only_big = json(&format!(
        "{{\"realA/bigspikes.csv\": [{}]}}",
        w("05:00:00", "06:00:00")
    ));
    let (ok, _, stderr) = run(&only_big);
    assert!(
        !ok && stderr.contains("no windows for spikes.csv"),
        "{stderr}"
    );
    // Two keys of that name: the input's directory decides.
    let two = json(&format!(
        "{{\"realA/spikes.csv\": [], \"realB/spikes.csv\": [{}]}}",
        w("05:00:00", "06:00:00")
    ));
    let (ok, stdout, stderr) = run(&two);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("of 1 windows found"), "{stdout}");
    for (body, needle) in [
        (
            format!("{{\"realB/spikes.csv\": [{}]}}", w("06:00:00", "05:00:00")),
            "ends before it starts",
        ),
        (
            "{\"realB/spikes.csv\": [[\"2024-01-01 05:00:00\", \"2262-04-11T23:47:16.854775807Z\"]]}"
                .to_string(),
            "windows.json",
        ),
    ] {
        let (ok, _, stderr) = run(&json(&body));
        assert!(!ok, "{body}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{needle}: {stderr}");
    }
}

#[test]
fn windows_that_cannot_be_scored_as_given_are_said_and_every_score_counts_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let mut values = seasonal(3000);
    values[1500] = Some(50_000.0);
    let input = series_csv(dir.path(), "s.csv", &values);
    // 1500 min = 01:00 the next day: two overlapping windows around it, a repeat of one,
    // and one a year later.
    let labels = dir.path().join("l.csv");
    std::fs::write(
        &labels,
        "start,end\n2024-01-02T00:50:00Z,2024-01-02T01:10:00Z\n2024-01-02T01:00:00Z,2024-01-02T01:20:00Z\n\
         2024-01-02T01:00:00Z,2024-01-02T01:20:00Z\n2025-01-01T00:00:00Z,2025-01-02T00:00:00Z\n",
    )
    .unwrap();
    let out = dir.path().join("o");
    let (ok, stdout, stderr) = detect(&[
        os(&input),
        "-q".as_ref(),
        "--labels".as_ref(),
        os(&labels),
        "-o".as_ref(),
        os(&out),
    ]);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("overlap or repeat: merged into 2"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 of 2 labelled windows hold no interval"),
        "{stderr}"
    );
    assert!(stdout.contains("1 of 1 windows found"), "{stdout}");
    let scores = read_csv(&out.join("s.detect_scores.csv"));
    assert_eq!(scores[0][1], "1", "one window counted: {scores:?}");
    let nab: f64 = scores[0][9].parse().unwrap();
    assert!(nab > 50.0, "the one window found scores as found: {nab}");

    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "start,end\n").unwrap();
    let (ok, _, stderr) = detect(&[
        os(&input),
        "-q".as_ref(),
        "--labels".as_ref(),
        os(&empty),
        "-o".as_ref(),
        os(&out),
    ]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("holds no window"), "{stderr}");
}

#[test]
fn a_window_that_ends_where_it_starts_is_named_so() {
    let dir = tempfile::tempdir().unwrap();
    let input = series_csv(dir.path(), "s.csv", &seasonal(600));
    let labels = dir.path().join("l.csv");
    std::fs::write(
        &labels,
        "start,end\n2024-01-01T05:00:00Z,2024-01-01T05:00:00Z\n",
    )
    .unwrap();
    let (ok, _, stderr) = detect(&[
        os(&input),
        "--labels".as_ref(),
        os(&labels),
        "-o".as_ref(),
        os(&dir.path().join("o")),
    ]);
    assert!(!ok);
    assert!(stderr.contains("ends where it starts"), "{stderr}");
}

/// A gap before a spike: filled linearly it would be a ramp of invented alarms; the
/// intervals without a row are not judged, and the spike (a real row) is.
#[test]
fn intervals_without_a_row_are_not_judged() {
    let dir = tempfile::tempdir().unwrap();
    let mut values: Vec<Option<f64>> = (0..800).map(|t| Some(100.0 + (t % 5) as f64)).collect();
    for v in &mut values[600..620] {
        *v = None;
    }
    values[620] = Some(50_000.0);
    let input = series_csv(dir.path(), "gap.csv", &values);
    let out = dir.path().join("o");
    for method in ["forecast", "robust-z"] {
        let (ok, _, stderr) = detect(&[
            os(&input),
            "--method".as_ref(),
            method.as_ref(),
            "-o".as_ref(),
            os(&out),
        ]);
        assert!(ok, "{stderr}");
        assert!(
            stderr.contains("20 intervals with no value in the file were not judged"),
            "{stderr}"
        );
        let rows = read_csv(&out.join("gap.detect.csv"));
        let at = |minute: i64| {
            let t = chrono::DateTime::from_timestamp(1_704_067_200 + 60 * minute, 0)
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            rows.iter().find(|r| r[0] == t).cloned()
        };
        assert!(
            (600..620).all(|m| at(m).is_none()),
            "{method}: no row for a missing interval"
        );
        assert_eq!(at(620).unwrap()[6], "true", "{method}: the spike is judged");
        let alarms = rows.iter().filter(|r| r[6] == "true").count();
        assert!(alarms <= 3, "{method}: {alarms} alarms");
    }
}

/// The probability is calibrated: on simulated traffic without events (a seed never looked
/// at while building it), the share of intervals at or above 1 − α is about α.
#[test]
fn the_probability_is_calibrated_on_traffic_without_anomalies() {
    let dir = tempfile::tempdir().unwrap();
    ntp()
        .args([
            "simulate", "-q", "--seed", "31", "--events", "none", "--days", "28", "-o",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let out = dir.path().join("d");
    let (ok, _, stderr) = detect(&[
        os(&dir.path().join("simulated.series.parquet")),
        "-o".as_ref(),
        os(&out),
    ]);
    assert!(ok, "{stderr}");
    let p: Vec<f64> = read_csv(&out.join("simulated.detect.csv"))
        .iter()
        .map(|r| r[7].parse().unwrap())
        .collect();
    assert!(p.iter().all(|p| (0.0..1.0).contains(p)));
    let share = |level: f64| p.iter().filter(|&&x| x >= level).count() as f64 / p.len() as f64;
    let (one, tenth) = (share(0.99), share(0.999));
    assert!((0.005..=0.02).contains(&one), "α 1 %: {one}");
    assert!(tenth <= 0.003, "α 0.1 %: {tenth}");
}

/// `--alarm-probability P`: an interval alarms exactly when its calibrated probability
/// reaches P, whatever the margin; a lower P raises more alarms than the default margin.
#[test]
fn alarms_follow_the_probability_threshold_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let mut values = seasonal(3000);
    values[2500] = values[2500].map(|v| v * 6.0);
    let input = series_csv(dir.path(), "cycle.csv", &values);
    let alarms = |args: &[&str], out: &str| -> Vec<Vec<String>> {
        let out = dir.path().join(out);
        let mut all: Vec<&std::ffi::OsStr> = vec![os(&input), "-o".as_ref(), os(&out)];
        all.extend(args.iter().map(|a| std::ffi::OsStr::new(*a)));
        let (ok, _, stderr) = detect(&all);
        assert!(ok, "{stderr}");
        read_csv(&out.join("cycle.detect.csv"))
    };
    let by_margin = alarms(&[], "margin");
    let by_p = alarms(&["--alarm-probability", "0.99"], "p");
    // timestamp,value,forecast,lower,upper,score,alarm,probability
    for r in &by_p {
        let p: f64 = r[7].parse().unwrap();
        assert_eq!(r[6] == "true", p >= 0.99, "{r:?}");
    }
    let count = |rows: &[Vec<String>]| rows.iter().filter(|r| r[6] == "true").count();
    assert!(
        count(&by_p) > count(&by_margin),
        "{} vs {}",
        count(&by_p),
        count(&by_margin)
    );
    let spike = values[2500].unwrap();
    let row = by_p
        .iter()
        .find(|r| (r[1].parse::<f64>().unwrap() - spike).abs() < 1e-6 * spike)
        .unwrap();
    assert_eq!(row[6], "true", "the spike: {row:?}");
    let (ok, _, stderr) = detect(&[os(&input), "--alarm-probability".as_ref(), "1".as_ref()]);
    assert!(!ok && stderr.contains("--alarm-probability"), "{stderr}");
}
