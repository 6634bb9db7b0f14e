//! Many series in one file — the long format of the forecasting libraries (`unique_id,ds,y`)
//! and the wide format (a column per series): each series' outputs under `DIR/{stem}/`
//! equal, byte for byte, those of the same rows split into a file of their own, and the
//! combined tables hold every series' rows under its id.

use std::path::{Path, PathBuf};

use crate::util::*;

/// A deterministic noise in [0, 1).
fn noise(k: u64) -> f64 {
    let x = k
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (x >> 11) as f64 / (1u64 << 53) as f64
}

const T0: i64 = 1_700_000_000;

/// A series: its id, its file stem and its rows (time, value text).
type Named = (&'static str, &'static str, Vec<(i64, String)>);

/// (id, file stem, rows "ds,y" in long-file order) of three series with the oddities of
/// real exports: a duplicate stamp and a 5-hour gap (b/2), a jittered stamp (c,3), and
/// every row of the file shuffled among the series.
fn series_rows() -> Vec<Named> {
    let one = |k: u64, skip: &dyn Fn(i64) -> bool| -> Vec<(i64, String)> {
        (0..300i64)
            .filter(|&t| !skip(t))
            .map(|t| {
                let day = (2.0 * std::f64::consts::PI * t as f64 / 24.0).sin();
                let spike = if t == 250 && k == 1 { 300.0 } else { 0.0 };
                let v =
                    100.0 + 10.0 * k as f64 + 20.0 * day + 5.0 * noise(k * 1000 + t as u64) + spike;
                (T0 + 3600 * t, format!("{v:.4}"))
            })
            .collect()
    };
    let a = one(0, &|_| false);
    let mut b = one(1, &|t| (100..105).contains(&t));
    b.insert(50, (b[50].0, "140.5".into())); // a duplicate stamp
    let mut c = one(2, &|_| false);
    c[120].0 += 7 * 60; // a poller's jitter
    vec![("a/1", "a_1", a), ("b/2", "b_2", b), ("c,3", "c_3", c)]
}

/// The long file (rows of the series interleaved, the first series' last rows first) and
/// one file per series with the same rows in the same order.
fn write_long(dir: &Path) -> (PathBuf, PathBuf) {
    let all = series_rows();
    let mut rows: Vec<(usize, String)> = Vec::new();
    for (id, _, r) in &all {
        let quoted = if id.contains(',') {
            format!("\"{id}\"")
        } else {
            id.to_string()
        };
        for (i, (t, v)) in r.iter().enumerate() {
            // Interleaved and out of order: sorted by a key that is not time.
            rows.push(((i * 7919) % 301, format!("{quoted},{t},{v}")));
        }
    }
    rows.sort_by_key(|(k, _)| *k);
    let long = dir.join("links.csv");
    let text: String = rows.iter().map(|(_, l)| format!("{l}\n")).collect();
    std::fs::write(&long, format!("unique_id,ds,y\n{text}")).unwrap();
    let split = dir.join("split");
    std::fs::create_dir_all(&split).unwrap();
    for (id, stem, _) in &all {
        let quoted = if id.contains(',') {
            format!("\"{id}\",")
        } else {
            format!("{id},")
        };
        let own: String = rows
            .iter()
            .filter_map(|(_, l)| l.strip_prefix(&quoted).map(|r| format!("{r}\n")))
            .collect();
        std::fs::write(split.join(format!("{stem}.csv")), format!("ds,y\n{own}")).unwrap();
    }
    (long, split)
}

fn run(args: &[&str], input: &Path, out: &Path) -> String {
    let a = ntp()
        .args(args)
        .arg(input)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
    String::from_utf8_lossy(&a.get_output().stderr).to_string()
}

fn same_file(a: &Path, b: &Path) {
    let (x, y) = (std::fs::read(a), std::fs::read(b));
    assert!(
        x.is_ok() && y.is_ok(),
        "{} or {} missing",
        a.display(),
        b.display()
    );
    assert!(
        x.unwrap() == y.unwrap(),
        "{} differs from {}",
        a.display(),
        b.display()
    );
}

/// Every per-series output named by `suffixes` equals that of the split file.
fn compare(command: &[&str], suffixes: &[&str], dir: &Path, long: &Path, split: &Path) -> String {
    let out = dir.join(format!("{}-many", command[0]));
    let stderr = run(command, long, &out);
    for (_, stem, _) in series_rows() {
        let own = dir.join(format!("{}-{stem}", command[0]));
        run(command, &split.join(format!("{stem}.csv")), &own);
        for s in suffixes {
            same_file(
                &out.join("links").join(format!("{stem}.{s}")),
                &own.join(format!("{stem}.{s}")),
            );
        }
    }
    stderr
}

#[test]
fn a_long_file_gives_each_series_what_its_own_file_gives() {
    let dir = tempfile::tempdir().unwrap();
    let (long, split) = write_long(dir.path());
    let d = dir.path();
    let stderr = compare(
        &["analyze", "--dpi", "40"],
        &[
            "describe.csv",
            "acf.csv",
            "pacf.csv",
            "bursts.csv",
            "bps.csv",
        ],
        d,
        &long,
        &split,
    );
    // Each series' oddities said on its own line, naming it.
    assert!(
        stderr.contains("series \"b/2\"") && stderr.contains("held several rows (2 rows)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("5 of 300 intervals had no value"),
        "{stderr}"
    );
    compare(
        &["detect", "--dpi", "40"],
        &["detect.csv", "events.csv"],
        d,
        &long,
        &split,
    );
    compare(
        &[
            "train",
            "--epochs",
            "2",
            "--look-back",
            "12",
            "--seeds",
            "1",
            "--dpi",
            "40",
        ],
        &["mse_results.e2.b32.csv", "forecasts.e2.b32.csv"],
        d,
        &long,
        &split,
    );

    // The panel: the validation choice's mean test MASE, recomputed from the combined
    // results (each series' best_model row, mean over folds and seeds).
    let results = crate::train::table(&d.join("train-many/links.mse_results.csv"));
    let chosen: Vec<f64> = series_rows()
        .iter()
        .map(|(id, _, _)| {
            let r = results
                .iter()
                .find(|r| {
                    r["id"] == *id
                        && r["best_model"] == "true"
                        && r["fold"] == "all"
                        && (r["seed"].is_empty() || r["seed"] == "mean")
                })
                .unwrap();
            crate::train::num(r, "test_mase")
        })
        .collect();
    let panel = crate::train::table(&d.join("train-many/links.panel.csv"));
    let choice = panel
        .iter()
        .find(|r| r["model"] == "validation_choice")
        .unwrap();
    let mean = chosen.iter().sum::<f64>() / 3.0;
    assert!((crate::train::num(choice, "mean_test_mase") - mean).abs() < 1e-9 * mean);
    assert_eq!(choice["chosen_on_validation"], "3");
    let naive = panel
        .iter()
        .find(|r| r["model"].starts_with("seasonal_naive"))
        .unwrap();
    assert_eq!(crate::train::num(naive, "gmean_relative_mase"), 1.0);
    let chosen_counts: usize = panel
        .iter()
        .filter(|r| r["model"] != "validation_choice")
        .map(|r| r["chosen_on_validation"].parse::<usize>().unwrap())
        .sum();
    assert_eq!(chosen_counts, 3, "each series chose one model");

    // The combined tables: every series' rows under its id, in file order of the series.
    let combined = std::fs::read_to_string(d.join("detect-many/links.detect.csv")).unwrap();
    let mut lines = combined.lines();
    assert_eq!(
        lines.next(),
        Some("id,timestamp,value,forecast,lower,upper,score,alarm,probability")
    );
    let mut expected = 0;
    for (id, stem, _) in series_rows() {
        let own =
            std::fs::read_to_string(d.join(format!("detect-{stem}/{stem}.detect.csv"))).unwrap();
        let quoted = if id.contains(',') {
            format!("\"{id}\"")
        } else {
            id.to_string()
        };
        for row in own.lines().skip(1) {
            assert_eq!(lines.next(), Some(format!("{quoted},{row}").as_str()));
            expected += 1;
        }
    }
    assert!(expected > 600 && lines.next().is_none());
    let index = std::fs::read_to_string(d.join("analyze-many/links.series.csv")).unwrap();
    assert_eq!(index.lines().count(), 4, "{index}");
    assert!(
        index
            .lines()
            .nth(3)
            .unwrap()
            .starts_with("\"c,3\",c_3,300,1h,ok"),
        "{index}"
    );
    let describe = std::fs::read_to_string(d.join("analyze-many/links.describe.csv")).unwrap();
    assert!(
        describe.starts_with("id,quantity,count,null_count,mean,std,min,25%,50%,75%,max\na/1,"),
        "{describe}"
    );
}

#[test]
fn a_wide_file_is_a_series_per_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let wide = d.join("matrix.csv");
    let split = d.join("split");
    std::fs::create_dir_all(&split).unwrap();
    let cell = |k: u64, t: i64| {
        if k == 1 && (40..43).contains(&t) {
            String::new() // an empty cell: a missing value of that series only
        } else {
            format!(
                "{:.3}",
                50.0 * (k + 1) as f64 + 10.0 * noise(k * 7 + t as u64)
            )
        }
    };
    let mut text = String::from("time,od_1,od_2,label\n");
    let mut own = [String::from("time,od_1\n"), String::from("time,od_2\n")];
    for t in 0..200 {
        let stamp = T0 + 300 * t;
        text += &format!("{stamp},{},{},x\n", cell(0, t), cell(1, t));
        for k in 0..2 {
            own[k as usize] += &format!("{stamp},{}\n", cell(k, t));
        }
    }
    std::fs::write(&wide, text).unwrap();
    for (k, o) in own.iter().enumerate() {
        std::fs::write(split.join(format!("od_{}.csv", k + 1)), o).unwrap();
    }
    let out = d.join("many");
    let stderr = run(&["detect", "--columns", "all", "--dpi", "40"], &wide, &out);
    assert!(
        stderr.contains("series \"od_2\": 3 of 200 intervals had no value"),
        "{stderr}"
    );
    assert!(!stderr.contains("od_1\":"), "{stderr}");
    for stem in ["od_1", "od_2"] {
        let o = d.join(stem);
        run(
            &["detect", "--dpi", "40"],
            &split.join(format!("{stem}.csv")),
            &o,
        );
        for s in ["detect.csv", "events.csv"] {
            same_file(
                &out.join("matrix").join(format!("{stem}.{s}")),
                &o.join(format!("{stem}.{s}")),
            );
        }
    }
    // Gzipped, the same file: the same series (named without `.csv.gz`).
    let gz = d.join("gz/matrix.csv.gz");
    std::fs::create_dir_all(gz.parent().unwrap()).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &std::fs::read(&wide).unwrap()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let zipped = d.join("zipped");
    run(&["detect", "--columns", "all", "--dpi", "40"], &gz, &zipped);
    same_file(
        &zipped.join("matrix.detect.csv"),
        &out.join("matrix.detect.csv"),
    );
    // Named columns: only those.
    let named = d.join("named");
    run(
        &["analyze", "--columns", "od_2", "--dpi", "40"],
        &wide,
        &named,
    );
    let index = std::fs::read_to_string(named.join("matrix.series.csv")).unwrap();
    assert_eq!(index.lines().count(), 2, "{index}");
    same_file(&named.join("matrix/od_2.acf.csv"), &{
        let o = d.join("od_2-analyze");
        run(&["analyze", "--dpi", "40"], &split.join("od_2.csv"), &o);
        o.join("od_2.acf.csv")
    });
}

#[test]
fn many_series_mistakes_are_one_line_each() {
    let dir = tempfile::tempdir().unwrap();
    let (long, _) = write_long(dir.path());
    for (args, needle) in [
        (
            vec!["analyze", "--id", "nope"],
            "--id \"nope\": no such column",
        ),
        (
            vec!["detect", "--columns", "nope"],
            "--columns \"nope\": no such column",
        ),
        (
            vec!["train", "--id", "ds", "--columns", "y"],
            "--id and --columns",
        ),
        (vec!["detect", "--labels", "x.csv"], "--labels"),
    ] {
        let a = ntp()
            .args(&args)
            .arg(&long)
            .arg("-o")
            .arg(dir.path().join("o"))
            .assert()
            .failure();
        let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(
            stderr.contains(needle) && stderr.lines().count() == 1,
            "{args:?}: {stderr}"
        );
    }
    // One series that cannot be run: the others are, the failure is said and indexed,
    // and the exit code is 1.
    let short = dir.path().join("short.csv");
    let mut text = String::from("unique_id,ds,y\n");
    for t in 0..100 {
        text += &format!("long,{},{}\n", T0 + 60 * t, noise(t as u64));
    }
    text += &format!("tiny,{T0},1\n");
    std::fs::write(&short, text).unwrap();
    let out = dir.path().join("s");
    let a = ntp()
        .args(["detect", "--dpi", "40"])
        .arg(&short)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        stderr.contains("series \"tiny\"") && stderr.contains("1 point(s)"),
        "{stderr}"
    );
    let index = std::fs::read_to_string(out.join("short.series.csv")).unwrap();
    let tiny = index.lines().find(|l| l.starts_with("tiny,")).unwrap();
    assert!(
        tiny.starts_with("tiny,tiny,,,") && tiny.contains("failed:"),
        "{index}"
    );
    assert!(out.join("short/long.detect.csv").exists());
}

/// The AIOps KPI sets' layout (`timestamp,value,label,KPI ID`) is long without `--id`; the
/// value is the `value` column, not the label.
#[test]
fn kpi_files_are_long_without_asking() {
    let dir = tempfile::tempdir().unwrap();
    let kpi = dir.path().join("kpi.csv");
    let mut text = String::from("timestamp,value,label,KPI ID\n");
    for t in 0..120i64 {
        for (k, id) in ["02e99bd4", "046ec29d"].iter().enumerate() {
            let v = 10.0 * (k + 1) as f64 + noise(t as u64 * 3 + k as u64);
            text += &format!("{},{v:.4},0,{id}\n", T0 + 60 * t);
        }
    }
    std::fs::write(&kpi, text).unwrap();
    let out = dir.path().join("o");
    run(&["analyze", "--dpi", "40"], &kpi, &out);
    let describe = std::fs::read_to_string(out.join("kpi.describe.csv")).unwrap();
    let rows: Vec<&str> = describe.lines().collect();
    assert_eq!(rows.len(), 3, "{describe}");
    assert!(
        rows[1].starts_with("02e99bd4,value_per_second,120,"),
        "{describe}"
    );
}

/// The pipeline takes one series: a file of many says where to go instead.
#[test]
fn the_pipeline_sends_a_file_of_many_series_to_the_commands_that_take_it() {
    let dir = tempfile::tempdir().unwrap();
    let (long, _) = write_long(dir.path());
    let a = ntp()
        .arg("pipeline")
        .arg(&long)
        .arg("-o")
        .arg(dir.path().join("o"))
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        stderr.contains("a file of many series") && stderr.lines().count() == 1,
        "{stderr}"
    );
}
