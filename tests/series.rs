//! Series files as input: ntp's series table gives the same analysis as the per-packet
//! table of the same capture; a real public series CSV runs through analyze, train and
//! predict; bad series files are one clear error naming the file and the row.

use std::path::{Path, PathBuf};

use crate::analyze::assert_fails_cleanly;
use crate::util::*;

fn nab() -> PathBuf {
    fixture("series/nab-ec2-network-in-257a54.csv")
}

fn analyze(inputs: &[&Path], out: &Path, extra: &[&str]) {
    ntp()
        .arg("analyze")
        .args(inputs)
        .arg("-o")
        .arg(out)
        .args(["--dpi", "40", "-q"])
        .args(extra)
        .assert()
        .success();
}

#[test]
fn series_table_gives_the_same_analysis_as_the_packet_table() {
    let dir = tempfile::tempdir().unwrap();
    for (capture, extra) in [
        ("lan-broadcast-28min-ns.pcapng", vec![]),
        ("s7comm-clean-15min.pcap", vec!["--every", "10s"]),
        ("zeek-echo-connections.pcap.gz", vec!["--size", "captured"]),
    ] {
        let stem = capture.split('.').next().unwrap();
        let packets = dataset(dir.path(), capture);
        let table = dir.path().join(format!("{stem}.series.parquet"));
        ntp()
            .args(["aggregate", "-q"])
            .arg(fixture(capture))
            .arg("-o")
            .arg(&table)
            .assert()
            .success();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        analyze(&[&packets], &a, &extra);
        analyze(&[&table], &b, &extra);
        for suffix in [
            "bps.csv",
            "describe.csv",
            "acf.csv",
            "pacf.csv",
            "bursts.csv",
            "protocol_dist.csv",
        ] {
            let name = format!("{stem}.{suffix}");
            assert_eq!(
                std::fs::read_to_string(a.join(&name)).unwrap(),
                std::fs::read_to_string(b.join(&name)).unwrap(),
                "{capture} {extra:?}: {suffix} differs between the two roads"
            );
        }
    }
}

#[test]
fn a_real_series_csv_runs_through_analyze_train_and_predict() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let a = ntp()
        .arg("analyze")
        .arg(nab())
        .arg("-o")
        .arg(&out)
        .args(["--dpi", "40"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(stderr.contains("intervals of 5m"), "{stderr}");
    assert!(
        stderr.contains("2 of 4034 intervals had no value"),
        "{stderr}"
    );
    // Every value is the file's bytes per 5 minutes divided by 300 s; the two missing
    // periods are linear between their neighbours.
    let rows = read_csv(&out.join("nab-ec2-network-in-257a54.bps.csv"));
    assert_eq!(rows[0][0], "2014-04-10T00:04:00Z");
    let text = std::fs::read_to_string(nab()).unwrap();
    let file: Vec<(String, f64)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let (t, v) = l.split_once(',').unwrap();
            (t.replace(' ', "T") + "Z", v.parse().unwrap())
        })
        .collect();
    let mut at = 0;
    for (t, v) in &file {
        while rows[at][0] != *t {
            at += 1;
        }
        let got: f64 = rows[at][1].parse().unwrap();
        assert!(
            (got - v / 300.0).abs() <= 1e-9 * got.abs(),
            "{t}: {got} vs {v}"
        );
    }
    assert_eq!(rows.len(), 4034);
    for f in [
        "time_series.png",
        "decomposition.png",
        "autocorrelation.png",
    ] {
        assert!(
            out.join(format!("nab-ec2-network-in-257a54.{f}")).exists(),
            "{f}"
        );
    }
    assert!(!out
        .join("nab-ec2-network-in-257a54.protocol_dist.png")
        .exists());

    ntp()
        .arg("train")
        .arg(nab())
        .arg("-o")
        .arg(&out)
        .args(["--look-back", "12", "--epochs", "1", "--dpi", "40", "-q"])
        .assert()
        .success();
    let card =
        std::fs::read_to_string(out.join("nab-ec2-network-in-257a54.best_model.e1.b32.json"))
            .unwrap();
    assert!(card.contains("\"every\": \"5m\""), "{card}");
    let model = out.join("nab-ec2-network-in-257a54.best_model.e1.b32.safetensors");
    ntp()
        .arg("predict")
        .arg(&model)
        .arg(nab())
        .arg("-o")
        .arg(dir.path().join("p"))
        .arg("-q")
        .assert()
        .success();
    let p = read_csv(
        &dir.path()
            .join("p/nab-ec2-network-in-257a54.predictions.csv"),
    );
    assert_eq!(p.len(), 4034 - 12);
}

#[test]
fn bad_series_files_are_one_clear_error_naming_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let case = |name: &str, text: &str, needle: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        assert_fails_cleanly(&[p.as_os_str()], &out, needle);
    };
    case(
        "same.csv",
        "timestamp,value\n2020-01-01 00:05:00,1\n2020-01-01 00:05:00,2\n",
        "same.csv: every line has the same time stamp",
    );
    case(
        "text.csv",
        "timestamp,value\n0,1\n60,lots\n",
        "text.csv: line 3: \"lots\" in `value` is not a number",
    );
    case(
        "when.csv",
        "timestamp,value\n0,1\nsoon,2\n",
        "when.csv: line 3: \"soon\" in `timestamp` is not a time",
    );
    case(
        "two.csv",
        "time,a,b\n0,1,2\n60,3,4\n",
        "several numeric columns (a, b): choose one with --column",
    );
    case(
        "ragged.csv",
        "time,a\n0,1\n60\n",
        "ragged.csv: row 3 has 1 fields, the header 2",
    );
    // Found by the series_file fuzz target: stamps centuries apart overflowed the step.
    let centuries = fixture("fuzz/series-centuries-apart.csv");
    assert_fails_cleanly(&[centuries.as_os_str()], &out, "centuries apart");
    case(
        "long.csv",
        "t,v\n2000-01-01T00:00:00Z,1\n2000-01-01T00:00:01Z,2\n2003-01-01T00:00:00Z,3\n",
        "choose a larger --every",
    );
    let ok = dir.path().join("ok.csv");
    std::fs::write(&ok, "time,a\n0,1\n60,2\n120,3\n").unwrap();
    for (flag, needle) in [
        (["--column", "zz"], "--column \"zz\": no such column"),
        (
            ["--every", "90s"],
            "not a whole multiple of the series' interval 1m",
        ),
        (["--time-zone", "Mars/Olympus"], "not a time zone name"),
    ] {
        assert_fails_cleanly(
            &[ok.as_os_str(), flag[0].as_ref(), flag[1].as_ref()],
            &out,
            needle,
        );
    }
}

/// Analyzes `text` as `name` with `extra` options: each interval's value (the rate times
/// the interval) and stderr.
fn grid_of(dir: &Path, name: &str, text: &str, extra: &[&str]) -> (Vec<(String, f64)>, String) {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    let out = dir.join(format!("{name}-{}", extra.join("_")));
    let run = ntp()
        .arg("analyze")
        .arg(&p)
        .arg("-o")
        .arg(&out)
        .args(["--dpi", "40", "-q"])
        .args(extra)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).to_string();
    let stem = name.trim_end_matches(".csv");
    let values = read_csv(&out.join(format!("{stem}.bps.csv")))
        .into_iter()
        .map(|r| (r[0].clone(), r[1].parse::<f64>().unwrap()))
        .collect();
    (values, stderr)
}

/// Duplicates, disorder, jitter, a DST change's repeated and missing local hour, mixed UTC
/// offsets and missing rows: each put on the grid as the options say, and said even under
/// --quiet.
#[test]
fn series_as_exported_are_put_on_a_regular_grid() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let values = |g: &[(String, f64)], every_s: f64| -> Vec<f64> {
        g.iter()
            .map(|(_, v)| (v * every_s * 1e6).round() / 1e6)
            .collect()
    };
    // Duplicates (a CloudWatch export): combined by the mean unless --agg says otherwise.
    let dup = "timestamp,value\n2020-01-01 00:00:00,1\n2020-01-01 00:05:00,2\n2020-01-01 00:05:00,3\n2020-01-01 00:10:00,4\n";
    let (g, stderr) = grid_of(d, "dup.csv", dup, &[]);
    assert_eq!(values(&g, 300.0), [1.0, 2.5, 4.0]);
    assert!(
        stderr.contains("1 interval held several rows (2 rows), combined by their mean"),
        "{stderr}"
    );
    for (agg, want) in [
        ("sum", [1.0, 5.0, 4.0]),
        ("max", [1.0, 3.0, 4.0]),
        ("first", [1.0, 2.0, 4.0]),
        ("last", [1.0, 3.0, 4.0]),
        ("count", [1.0, 2.0, 1.0]),
    ] {
        let (g, _) = grid_of(d, "dup.csv", dup, &["--agg", agg]);
        assert_eq!(values(&g, 300.0), want, "{agg}");
    }
    // Rows out of order are sorted.
    let back =
        "timestamp,value\n2020-01-01 00:05:00,1\n2020-01-01 00:00:00,2\n2020-01-01 00:10:00,3\n";
    let (g, stderr) = grid_of(d, "back.csv", back, &[]);
    assert_eq!(values(&g, 300.0), [2.0, 1.0, 3.0]);
    assert!(
        stderr.contains("1 row out of time order was sorted"),
        "{stderr}"
    );
    // A poller's jitter: 215 s is off the 60 s grid; it falls in the 180 s interval, or is
    // nearest the 240 s one.
    let jitter = "t,v\n0,1\n60,2\n120,3\n180,4\n215,6\n240,8\n";
    let (g, stderr) = grid_of(d, "jitter.csv", jitter, &[]);
    assert_eq!(values(&g, 60.0), [1.0, 2.0, 3.0, 5.0, 8.0]);
    assert!(
        stderr.contains("1 time stamp off the grid went to the interval they fall in"),
        "{stderr}"
    );
    let (g, _) = grid_of(d, "jitter.csv", jitter, &["--align", "nearest"]);
    assert_eq!(values(&g, 60.0), [1.0, 2.0, 3.0, 4.0, 7.0]);
    // Local time at the autumn DST change: the repeated hour is two rows of one interval;
    // at the spring change the missing hour is a missing interval, filled.
    let autumn = "time,v\n2020-11-01 00:00:00,10\n2020-11-01 01:00:00,20\n2020-11-01 01:00:00,30\n2020-11-01 02:00:00,40\n";
    let (g, _) = grid_of(d, "autumn.csv", autumn, &[]);
    assert_eq!(values(&g, 3600.0), [10.0, 25.0, 40.0]);
    let spring = "time,v\n2020-03-08 00:00:00,10\n2020-03-08 01:00:00,20\n2020-03-08 03:00:00,40\n2020-03-08 04:00:00,50\n";
    let (g, stderr) = grid_of(d, "spring.csv", spring, &[]);
    assert_eq!(values(&g, 3600.0), [10.0, 20.0, 30.0, 40.0, 50.0]);
    assert!(stderr.contains("1 of 5 intervals had no value"), "{stderr}");
    // Read in their zone, the same local stamps are regular in UTC: the repeated hour is
    // two hours, the skipped one no gap.
    let zone = ["--time-zone", "America/New_York"];
    let (g, stderr) = grid_of(d, "autumn.csv", autumn, &zone);
    assert_eq!(values(&g, 3600.0), [10.0, 20.0, 30.0, 40.0]);
    assert_eq!(g[0].0, "2020-11-01T04:00:00Z");
    assert!(
        stderr.contains("2 rows in the repeated local hour of a DST change"),
        "{stderr}"
    );
    let (g, stderr) = grid_of(d, "spring.csv", spring, &zone);
    assert_eq!(values(&g, 3600.0), [10.0, 20.0, 40.0, 50.0]);
    assert!(!stderr.contains("had no value"), "{stderr}");
    // Stamps with their UTC offsets across the change are regular in UTC: nothing to say.
    let offsets = "time,v\n2020-11-01T00:00:00-04:00,1\n2020-11-01T01:00:00-04:00,2\n2020-11-01T01:00:00-05:00,3\n2020-11-01T02:00:00-05:00,4\n";
    let (g, stderr) = grid_of(d, "offsets.csv", offsets, &[]);
    assert_eq!(values(&g, 3600.0), [1.0, 2.0, 3.0, 4.0]);
    assert_eq!(g[0].0, "2020-11-01T04:00:00Z");
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn fill_rules_and_rebinning() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("gappy.csv");
    // 60 s series; 120 s has no row, 180 s an empty value.
    std::fs::write(&p, "t,v\n0,60\n60,120\n180,\n240,600\n300,60\n360,60\n").unwrap();
    let run = |extra: &[&str]| {
        let out = dir.path().join(extra.join("_"));
        analyze(&[&p], &out, extra);
        read_csv(&out.join("gappy.bps.csv"))
            .into_iter()
            .map(|r| (r[0].clone(), r[1].parse::<f64>().unwrap()))
            .collect::<Vec<_>>()
    };
    let linear: Vec<f64> = run(&[]).iter().map(|r| r.1 * 60.0).collect();
    assert_eq!(linear, [60.0, 120.0, 280.0, 440.0, 600.0, 60.0, 60.0]);
    let zero: Vec<f64> = run(&["--fill", "zero"])
        .iter()
        .map(|r| r.1 * 60.0)
        .collect();
    assert_eq!(zero, [60.0, 120.0, 0.0, 0.0, 600.0, 60.0, 60.0]);
    let drop = run(&["--fill", "drop"]);
    assert_eq!(drop.len(), 5);
    // 2-minute bins aligned to the epoch: [0,120) [120,240) [240,360) [360,480).
    let two: Vec<f64> = run(&["--fill", "zero", "--every", "2m"])
        .iter()
        .map(|r| r.1 * 120.0)
        .collect();
    assert_eq!(two, [180.0, 0.0, 660.0, 60.0]);
}

/// NAB series that ntp once refused (a duplicate stamp, stamps off the grid, a jittered
/// sensor, long gaps) are read by analyze and detect with no option, each change said on
/// one line even under --quiet.
#[test]
fn nab_series_with_the_oddities_of_real_exports_are_read() {
    let dir = tempfile::tempdir().unwrap();
    for (name, said) in [
        (
            "exchange-2_cpc_results.csv",
            "1 interval held several rows (2 rows)",
        ),
        (
            "ec2_request_latency_system_failure.csv",
            "12 time stamps off the grid",
        ),
        ("TravelTime_387.csv", "time stamps off the grid"),
        (
            "rogue_agent_key_hold.csv",
            "3456 of 5338 intervals had no value",
        ),
    ] {
        let input = fixture(&format!("series/nab/{name}"));
        for command in ["analyze", "detect"] {
            let run = ntp()
                .args([command, "-q", "--dpi", "40"])
                .arg(&input)
                .arg("-o")
                .arg(dir.path().join(command))
                .assert()
                .success();
            let stderr = String::from_utf8_lossy(&run.get_output().stderr).to_string();
            assert_eq!(stderr.lines().count(), 1, "{name}, {command}: {stderr}");
            assert!(stderr.contains(said), "{name}, {command}: {stderr}");
        }
    }
}
