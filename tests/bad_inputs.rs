//! Inputs and options that broke ntp in a black-box campaign: series files (Decimal and null
//! columns, duplicate and missing headers, stray rows, huge cells), closed and full output
//! streams, unbounded options, pcapng interface tables and sections, outputs onto inputs,
//! impossible models. Each test builds its own input.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use polars::prelude::*;

use crate::preprocess::{pcapng_block, pcapng_packet_body, pcapng_shb};
use crate::train::json;
use crate::util::*;

/// stderr of a finished command, which must have failed with exit 1 on one line (and
/// without a panic or backtrace).
fn one_line_error(a: &assert_cmd::assert::Assert) -> String {
    let out = a.get_output();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    err
}

/// A CSV series: `header`, then `rows` lines.
fn csv(dir: &Path, name: &str, header: &str, rows: &[String]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
    p
}

/// `n` rows `t,v` of a one-minute series starting at epoch second 1 700 000 040.
fn minutes(n: usize, value: impl Fn(usize) -> f64) -> Vec<String> {
    (0..n)
        .map(|i| format!("{},{}", 1_700_000_040 + 60 * i, value(i)))
        .collect()
}

/// `ntp analyze INPUT -q --dpi 50 -o OUT`.
fn analyze_quietly(input: &Path, out: &Path) -> assert_cmd::assert::Assert {
    ntp()
        .arg("analyze")
        .arg(input)
        .args(["-q", "--dpi", "50", "-o"])
        .arg(out)
        .assert()
}

fn write_parquet(path: &Path, mut df: DataFrame) {
    let f = std::fs::File::create(path).unwrap();
    ParquetWriter::new(f).finish(&mut df).unwrap();
}

/// Item 1: a Decimal value column (what Spark and DuckDB write for counters) is read as
/// numbers, and a Decimal column the series does not use is no obstacle.
#[test]
fn decimal_columns_are_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let t: Vec<i64> = (0..200).map(|i| 1_700_000_040 + 60 * i).collect();
    let v: Vec<f64> = (0..200).map(|i| (i % 7) as f64 + 0.25).collect();
    let dec = |s: Series| s.cast(&DataType::Decimal(12, 2)).unwrap();
    let df = DataFrame::new_infer_height(vec![
        Series::new("timestamp".into(), &t).into(),
        dec(Series::new("value".into(), &v)).into(),
    ])
    .unwrap();
    let p = dir.path().join("dec.parquet");
    write_parquet(&p, df);
    analyze_quietly(&p, dir.path()).success();
    let describe = read_csv(&dir.path().join("dec.describe.csv"));
    let mean: f64 = describe.iter().find(|r| r[0] == "mean").unwrap()[1]
        .parse()
        .unwrap();
    let want = v.iter().sum::<f64>() / v.len() as f64 / 60.0;
    assert!((mean - want).abs() < 1e-9 * want, "{mean} vs {want}");

    let df = DataFrame::new_infer_height(vec![
        Series::new("timestamp".into(), &t).into(),
        Series::new("value".into(), &v).into(),
        dec(Series::new("unused".into(), &v)).into(),
    ])
    .unwrap();
    let p = dir.path().join("other.parquet");
    write_parquet(&p, df);
    analyze_quietly(&p, dir.path()).success();
}

/// Item 2: a reader that goes away ends the run quietly; a full disk is one error line.
#[test]
fn closed_and_full_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let series = csv(
        dir.path(),
        "s.csv",
        "timestamp,value",
        &minutes(300, |i| i as f64),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_ntp"))
        .arg("analyze")
        .arg(&series)
        .args(["--dpi", "50", "-o"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader is gone before ntp writes
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ntp"))
        .arg("analyze")
        .arg(&series)
        .args(["--dpi", "50", "-o"])
        .arg(dir.path())
        .stdout(full)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(
        errors,
        ["error: stdout: No space left on device (os error 28)"],
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// Items 3 and 4: `--max-size` beyond any packet is refused, a large one costs only the
/// largest size seen; `--lags` far beyond the default stays fast (an ACF by FFT, the PACF
/// capped and said).
#[test]
fn unbounded_options_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let capture = fixture("s7comm-clean-15min.pcap");
    let a = ntp()
        .arg("analyze")
        .arg(dataset(dir.path(), "s7comm-clean-15min.pcap"))
        .args(["--max-size", "4294967295", "-o"])
        .arg(dir.path())
        .assert();
    assert!(one_line_error(&a).contains("--max-size"));
    let _ = capture;
    let ds = dataset(dir.path(), "s7comm-clean-15min.pcap");
    ntp()
        .arg("analyze")
        .arg(&ds)
        .args(["-q", "--dpi", "50", "--max-size", "200000", "-o"])
        .arg(dir.path())
        .assert()
        .success();
    let hist =
        std::fs::read_to_string(dir.path().join("s7comm-clean-15min.protocol_dist.csv")).unwrap();
    assert!(
        hist.lines().count() < 2000,
        "{} lines",
        hist.lines().count()
    );

    let long = csv(
        dir.path(),
        "long.csv",
        "timestamp,value",
        &minutes(40_000, |i| ((i * 7919) % 1000) as f64),
    );
    let a = ntp()
        .arg("analyze")
        .arg(&long)
        .args(["--dpi", "50", "--lags", "39999", "-o"])
        .arg(dir.path())
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success();
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("PACF limited to 10000 lags"), "{err}");
    let acf = std::fs::read_to_string(dir.path().join("long.acf.csv")).unwrap();
    assert_eq!(acf.lines().count(), 40_001);
}

/// A pcapng section: header, `interfaces` Ethernet interface blocks, one UDP packet on the
/// last interface at `second`.
fn section(interfaces: usize, second: u64) -> Vec<u8> {
    let mut b = pcapng_shb();
    for _ in 0..interfaces {
        b.extend(pcapng_block(1, &[1, 0, 0, 0, 0xff, 0xff, 0, 0]));
    }
    let mut frame = vec![0u8; 12];
    frame.extend([
        0x08, 0x00, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ]);
    frame.extend([0, 53, 0, 53, 0, 8, 0, 0]);
    let mut body = pcapng_packet_body(second * 1_000_000, &frame, frame.len() as u32);
    body[..4].copy_from_slice(&((interfaces - 1) as u32).to_le_bytes());
    b.extend(pcapng_block(6, &body));
    b
}

/// Item 5: 200 000 interface blocks, and 20 000 sections, are read in linear time: every
/// packet counted (a hang guard of 60 s, not a timing).
#[test]
fn pcapng_interface_tables_and_sections_are_linear() {
    let dir = tempfile::tempdir().unwrap();
    let idbs = dir.path().join("idbs.pcapng");
    std::fs::write(&idbs, section(200_000, 1_700_000_000)).unwrap();
    let out = dir.path().join("idbs.parquet");
    ntp()
        .arg("aggregate")
        .arg(&idbs)
        .arg("-o")
        .arg(&out)
        .arg("-q")
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success();
    let df = read_parquet(&out);
    assert_eq!(df.column("packets").unwrap().u64().unwrap().sum(), Some(1));

    let sections: Vec<u8> = (0..20_000)
        .flat_map(|i| section(1, 1_700_000_000 + i / 10))
        .collect();
    let many = dir.path().join("sections.pcapng");
    std::fs::write(&many, sections).unwrap();
    let out = dir.path().join("sections.parquet");
    ntp()
        .arg("aggregate")
        .arg(&many)
        .arg("-o")
        .arg(&out)
        .arg("-q")
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success();
    let df = read_parquet(&out);
    assert_eq!(
        df.column("packets").unwrap().u64().unwrap().sum(),
        Some(20_000)
    );
}

/// Item 6: an output that is one of the inputs (a capture named `.parquet`) is refused and
/// the input stays as it was.
#[test]
fn output_onto_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("x.parquet");
    std::fs::copy(fixture("s7comm-clean-15min.pcap"), &x).unwrap();
    let before = std::fs::read(&x).unwrap();
    for cmd in ["preprocess", "aggregate"] {
        let a = ntp().arg(cmd).arg(&x).arg("-o").arg(&x).arg("-q").assert();
        let _ = a.get_output();
        assert_ne!(a.get_output().status.code(), Some(0), "{cmd}");
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(err.contains("one of the inputs"), "{cmd}: {err}");
        assert_eq!(
            std::fs::read(&x).unwrap(),
            before,
            "{cmd} replaced its input"
        );
    }
}

/// Item 7: nulls in a series table are missing values, filled by --fill, not zeros.
#[test]
fn nulls_in_a_series_table_are_missing_values() {
    let dir = tempfile::tempdir().unwrap();
    let t: Vec<i64> = (0..300)
        .map(|i| (1_700_000_040 + i) * 1_000_000_000)
        .collect();
    let v: Vec<Option<u64>> = (0..300)
        .map(|i| if i == 150 { None } else { Some(1000) })
        .collect();
    let ts = Series::new("timestamp".into(), &t)
        .cast(&DataType::Datetime(
            TimeUnit::Nanoseconds,
            Some(polars::prelude::TimeZone::UTC),
        ))
        .unwrap();
    let df = DataFrame::new_infer_height(vec![
        ts.into(),
        Series::new("ip_bytes".into(), &v).into(),
        Series::new("packets".into(), vec![10u64; 300]).into(),
    ])
    .unwrap();
    let p = dir.path().join("joined.parquet");
    write_parquet(&p, df);
    let a = ntp()
        .arg("analyze")
        .arg(&p)
        .args(["--dpi", "50", "-o"])
        .arg(dir.path())
        .assert()
        .success();
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("null"), "{err}");
    let bursts = std::fs::read_to_string(dir.path().join("joined.bursts.csv")).unwrap();
    assert_eq!(bursts.lines().count(), 1, "a false burst: {bursts}");
}

/// Item 8: a dataset directory holding links to itself and to its parent is read once.
#[test]
fn links_back_into_or_out_of_a_dataset_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let ds = dataset(&data, "s7comm-clean-15min.pcap");
    std::os::unix::fs::symlink(".", data.join("again")).unwrap();
    std::os::unix::fs::symlink("..", data.join("up")).unwrap();
    let out = dir.path().join("out");
    analyze_quietly(&data, &out).success();
    let plain = dir.path().join("plain");
    analyze_quietly(&ds, &plain).success();
    assert_eq!(
        std::fs::read(out.join("data.bps.csv")).unwrap(),
        std::fs::read(plain.join("s7comm-clean-15min.bps.csv")).unwrap()
    );
}

/// Items 9 and 10: two inputs that would write the same names are refused; a figure lost
/// after a run is made again.
#[test]
fn pipeline_stems_and_freshness() {
    let dir = tempfile::tempdir().unwrap();
    for d in ["a", "b"] {
        std::fs::create_dir(dir.path().join(d)).unwrap();
        csv(
            &dir.path().join(d),
            "link.csv",
            "timestamp,value",
            &minutes(300, |i| i as f64),
        );
    }
    let a = ntp()
        .arg("pipeline")
        .arg(dir.path().join("a/link.csv"))
        .arg(dir.path().join("b/link.csv"))
        .arg("-o")
        .arg(dir.path().join("out"))
        .assert();
    assert!(one_line_error(&a).contains("link"));

    let out = dir.path().join("one");
    let series = dir.path().join("a/link.csv");
    let run = || {
        ntp()
            .arg("pipeline")
            .arg(&series)
            .args(["--no-train", "--dpi", "50", "--period", "60", "-q", "-o"])
            .arg(&out)
            .assert()
            .success();
    };
    run();
    let png = out.join("link.decomposition.png");
    assert!(png.exists());
    std::fs::remove_file(&png).unwrap();
    run();
    assert!(
        png.exists(),
        "a lost decomposition figure was not made again"
    );
}

/// Item 11: one stray row 115 days after the others is refused, not filled out to ten
/// million intervals.
#[test]
fn a_series_spanning_far_more_than_its_rows_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let rows = vec![
        "1700000000,1".to_string(),
        "1700000001,2".to_string(),
        "1700000002,3".to_string(),
        format!("{},4", 1_700_000_000 + 115 * 86_400),
    ];
    let p = csv(dir.path(), "stray.csv", "timestamp,value", &rows);
    let a = ntp()
        .arg("analyze")
        .arg(&p)
        .arg("-o")
        .arg(dir.path())
        .assert();
    let err = one_line_error(&a);
    assert!(
        err.contains("--start/--end") && err.contains("hold data"),
        "{err}"
    );
}

/// Item 13: a constant series has zero variance and undefined correlations, and says so.
#[test]
fn a_constant_series_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let p = csv(
        dir.path(),
        "flat.csv",
        "timestamp,value",
        &minutes(500, |_| 6.0),
    );
    let a = ntp()
        .arg("analyze")
        .arg(&p)
        .args(["--dpi", "50", "-o"])
        .arg(dir.path())
        .assert()
        .success();
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("constant"), "{err}");
    let d = read_csv(&dir.path().join("flat.describe.csv"));
    assert_eq!(d.iter().find(|r| r[0] == "std").unwrap()[1], "0");
    assert_eq!(d.iter().find(|r| r[0] == "mean").unwrap()[1], "0.1");
    let acf = read_csv(&dir.path().join("flat.acf.csv"));
    assert_eq!(
        acf[1][1], "",
        "lag 1 of a constant series is undefined (NaN)"
    );
}

/// The quickest experiment: one look-back, one epoch, one seed, a 4-cell network.
const QUICK_TRAIN: &[&str] = &[
    "--look-back",
    "5",
    "--epochs",
    "1",
    "--seeds",
    "1",
    "--hidden",
    "4",
    "--dpi",
    "50",
    "-q",
];

/// `ntp train SERIES` with [`QUICK_TRAIN`] into `out`.
fn quick_train(series: &Path, out: &Path) -> assert_cmd::assert::Assert {
    ntp()
        .arg("train")
        .arg(series)
        .args(QUICK_TRAIN)
        .arg("-o")
        .arg(out)
        .assert()
}

/// A quick model trained on a CSV: its weights' and card's paths.
fn quick_model(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let series = csv(
        dir,
        "m.csv",
        "timestamp,value",
        &minutes(600, |i| (i % 24) as f64 * 10.0 + 5.0),
    );
    let out = dir.join("model");
    quick_train(&series, &out).success();
    (
        series,
        out.join("m.best_model.e1.b32.safetensors"),
        out.join("m.best_model.e1.b32.json"),
    )
}

/// A change made to a model's tensors.
type Change = Box<dyn Fn(&mut std::collections::HashMap<String, candle_core::Tensor>)>;

/// Items 14 and 22: weights that contradict their card, NaN weights, other dtypes and
/// impossible card fields are one line naming the file (no backtrace even when asked for);
/// the saved weights are as readable as any other output.
#[test]
fn predict_checks_the_card_and_the_weights() {
    use candle_core::{DType, Device};
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (series, model, card) = quick_model(dir.path());
    let mode = std::fs::metadata(&model).unwrap().permissions().mode() & 0o777;
    let card_mode = std::fs::metadata(&card).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, card_mode, "weights {mode:o}, card {card_mode:o}");
    let weights = candle_core::safetensors::load(&model, &Device::Cpu).unwrap();
    let predict = || {
        let mut c = ntp();
        c.env("RUST_BACKTRACE", "1")
            .arg("predict")
            .arg(&model)
            .arg(&series)
            .arg("-q")
            .arg("-o")
            .arg(dir.path().join("p"));
        c
    };
    let variants: Vec<(&str, Change)> = vec![
        (
            "holds NaN",
            Box::new(|m| {
                let w = &m["linear.bias"];
                m.insert("linear.bias".into(), (w * f64::NAN).unwrap());
            }),
        ),
        (
            "not one of the model's",
            Box::new(|m| {
                let w = m["lstm.weight_hh_l0"].clone();
                m.insert("lstm.weight_hh_l1".into(), w);
            }),
        ),
        (
            "not F32",
            Box::new(|m| {
                let w = m["linear.weight"].to_dtype(DType::F64).unwrap();
                m.insert("linear.weight".into(), w);
            }),
        ),
    ];
    for (want, change) in variants {
        let mut m = weights.clone();
        change(&mut m);
        candle_core::safetensors::save(&m, &model).unwrap();
        let err = one_line_error(&predict().assert());
        assert!(
            err.contains(want) && err.contains("m.best_model"),
            "{want}: {err}"
        );
    }
    candle_core::safetensors::save(&weights, &model).unwrap();
    predict().assert().success();
    let original = std::fs::read_to_string(&card).unwrap();
    for (field, value, want) in [
        ("size", "\"bogus\"", "size"),
        ("every", "\"1 eon\"", "every"),
    ] {
        let mut c: serde_json::Value = serde_json::from_str(&original).unwrap();
        c[field] = serde_json::from_str(value).unwrap();
        std::fs::write(&card, c.to_string()).unwrap();
        assert!(one_line_error(&predict().assert()).contains(want));
    }
    let mut c: serde_json::Value = serde_json::from_str(&original).unwrap();
    c["calendar"] = serde_json::json!({"hour": true, "weekday": false, "offset_s": i64::MAX});
    std::fs::write(&card, c.to_string()).unwrap();
    assert!(one_line_error(&predict().assert()).contains("offset"));
    // A series whose interval the model's does not divide: the card's interval is named,
    // not an --every nobody gave.
    std::fs::write(&card, &original).unwrap();
    let seven: Vec<String> = (0..300)
        .map(|i| format!("{},{}", 1_700_000_040 + 420 * i, i))
        .collect();
    let other = csv(dir.path(), "seven.csv", "timestamp,value", &seven);
    let a = ntp()
        .arg("predict")
        .arg(&model)
        .arg(&other)
        .arg("-o")
        .arg(dir.path().join("q"))
        .assert();
    let err = one_line_error(&a);
    assert!(
        err.contains("model's interval") && !err.contains("--every"),
        "{err}"
    );
}

/// Item 15: one seed has no ± NaN, an MSE of exactly 0 is written as 0, and a column name
/// with LaTeX's special characters is escaped.
#[test]
fn latex_tables_have_no_nan() {
    let dir = tempfile::tempdir().unwrap();
    let p = csv(
        dir.path(),
        "flat.csv",
        "timestamp,bytes_in",
        &minutes(600, |_| 7.0),
    );
    let out = dir.path().join("out");
    quick_train(&p, &out).success();
    let tex = std::fs::read_to_string(out.join("flat.mse_results.e1.b32.tex")).unwrap();
    assert!(!tex.contains("NaN") && !tex.contains("2147483648"), "{tex}");
    analyze_quietly(&p, &out).success();
    let tex = std::fs::read_to_string(out.join("flat.describe.tex")).unwrap();
    assert!(
        tex.contains("bytes\\_in") && !tex.contains("bytes_in"),
        "{tex}"
    );
}

/// Item 16: packets dropped for an impossible time are said even under --quiet.
#[test]
fn dropped_packets_are_said_under_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let mut file = section(1, 1_700_000_000);
    let late = section(1, 10_000_000_000); // the year 2286, beyond what ns since 1970 hold
    file.extend_from_slice(
        &late[pcapng_shb().len() + pcapng_block(1, &[1, 0, 0, 0, 0xff, 0xff, 0, 0]).len()..],
    );
    let p = dir.path().join("late.pcapng");
    std::fs::write(&p, file).unwrap();
    let a = ntp()
        .arg("aggregate")
        .arg(&p)
        .arg("-q")
        .arg("-o")
        .arg(dir.path().join("late.parquet"))
        .assert()
        .success();
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("1 packet(s) dropped"), "{err}");
}

/// Items 17 and 18: a duration that overflows is refused, not wrapped; `cat a.pcap b.pcap`
/// is said at the second header, the first capture's packets kept.
#[test]
fn durations_and_concatenated_captures() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = fixture("s7comm-clean-15min.pcap");
    let a = ntp()
        .arg("aggregate")
        .arg(&pcap)
        .args(["--every", "18446744133709551616ns", "-o"])
        .arg(dir.path().join("x.parquet"))
        .assert();
    assert!(one_line_error(&a).contains("--every"));

    let bytes = std::fs::read(&pcap).unwrap();
    let joined = dir.path().join("joined.pcap");
    std::fs::write(&joined, [bytes.clone(), bytes.clone()].concat()).unwrap();
    let out = dir.path().join("joined.parquet");
    let a = ntp()
        .arg("aggregate")
        .arg(&joined)
        .arg("-o")
        .arg(&out)
        .arg("-q")
        .assert()
        .success();
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains(&"second capture's header starts here".to_string())
            && err.contains(&bytes.len().to_string()),
        "{err}"
    );
    let alone = dir.path().join("alone.parquet");
    ntp()
        .arg("aggregate")
        .arg(&pcap)
        .arg("-o")
        .arg(&alone)
        .arg("-q")
        .assert()
        .success();
    assert_eq!(read_parquet(&out), read_parquet(&alone));
}

/// Items 19–21: messages that quote at most a few dozen characters, name the real
/// cause, and guesses refused.
#[test]
fn series_file_messages_and_guesses() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut rows = minutes(10, |i| i as f64);
    rows[4] = format!("1700000280,{}", "9".repeat(1 << 20) + "x");
    let huge = csv(d, "huge.csv", "timestamp,value", &rows);
    let err = one_line_error(&ntp().arg("analyze").arg(&huge).arg("-o").arg(d).assert());
    assert!(
        err.len() < 300 && err.contains("line 6"),
        "{} bytes",
        err.len()
    );

    let cases: Vec<(PathBuf, &str)> = vec![
        (
            csv(
                d,
                "dup.csv",
                "timestamp,value,value",
                &minutes(10, |i| i as f64)
                    .iter()
                    .map(|r| format!("{r},1"))
                    .collect::<Vec<_>>(),
            ),
            "appears twice",
        ),
        (
            csv(
                d,
                "noheader.csv",
                "1700000000,5",
                &minutes(10, |i| i as f64),
            ),
            "not a header",
        ),
        (csv(d, "empty.csv", "timestamp,value", &[]), "no rows"),
        (PathBuf::from("-"), "standard input"),
    ];
    for (p, want) in cases {
        let err = one_line_error(&ntp().arg("analyze").arg(&p).arg("-o").arg(d).assert());
        assert!(err.contains(want), "{}: {err}", p.display());
    }
}

/// Item 20: a trailing blank line, a TSV, `--period 0`; item 21: repeated look-backs, a
/// seed that would wrap; `--tz -0500` as `--help` writes it.
#[test]
fn series_file_layouts_and_options() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A trailing blank line is no row; a TSV is split on tabs.
    let trailing = d.join("trailing.csv");
    std::fs::write(
        &trailing,
        format!(
            "timestamp,value\n{}\n\n\n",
            minutes(200, |i| i as f64).join("\n")
        ),
    )
    .unwrap();
    analyze_quietly(&trailing, d).success();
    let tsv = d.join("tab.tsv");
    std::fs::write(
        &tsv,
        format!(
            "timestamp\tvalue\n{}\n",
            minutes(200, |i| i as f64).join("\n").replace(',', "\t")
        ),
    )
    .unwrap();
    analyze_quietly(&tsv, d).success();
    let err = one_line_error(
        &ntp()
            .arg("analyze")
            .arg(&trailing)
            .args(["--period", "0", "-o"])
            .arg(d)
            .assert(),
    );
    assert!(err.contains("--period"), "{err}");
    // Repeated look-backs and a seed that would wrap are refused; --tz -0500 as --help
    // writes it is taken.
    for (args, want) in [
        (vec!["--look-back", "5,5,5"], "--look-back"),
        (
            vec!["--seed", "18446744073709551615", "--seeds", "3"],
            "--seed",
        ),
    ] {
        let err = one_line_error(
            &ntp()
                .arg("train")
                .arg(&trailing)
                .args(&args)
                .arg("-o")
                .arg(d)
                .assert(),
        );
        assert!(err.contains(want), "{err}");
    }
    ntp()
        .arg("train")
        .arg(&trailing)
        .args(QUICK_TRAIN)
        .args(["--calendar", "hour", "--tz", "-0500", "-o"])
        .arg(d.join("tz"))
        .assert()
        .success();
    let card = json(&d.join("tz/trailing.best_model.e1.b32.json"));
    assert_eq!(card["calendar"]["offset_s"], -18_000);
}

/// Found by the `series_parquet` and `model_card` fuzz targets: a Parquet footer whose
/// Thrift list claims more elements than it has bytes (polars-parquet reserved them all and
/// the process aborted), and a card whose bad value holds a line break (the error spanned
/// two lines).
#[test]
fn fuzz_findings_of_parquet_footers_and_cards() {
    let dir = tempfile::tempdir().unwrap();
    let forged = fixture("fuzz/series-parquet-forged-list-length.parquet");
    let err = one_line_error(
        &ntp()
            .arg("analyze")
            .arg(&forged)
            .arg("-o")
            .arg(dir.path())
            .assert(),
    );
    assert!(err.contains("corrupt Parquet footer"), "{err}");

    // Footers polars-parquet misreads by field id (a list read where the file declares
    // another type) and page headers with negative counts: each aborted the process on a
    // reservation of up to 2⁶¹ bytes. Run twice: polars decodes columns in parallel, and
    // which one fails first varied.
    let names = (0..7)
        .map(|i| format!("polars-abort-{i}"))
        .chain(
            [
                "negative-size",
                "statistics-bool-type",
                "int-type-bool-type",
            ]
            .map(String::from),
        )
        .chain(["time-type-bool-type".to_string()]);
    for name in names {
        let i = &name;
        let path = fixture(&format!("fuzz/series-parquet-{name}.parquet"));
        for _ in 0..2 {
            let err = one_line_error(
                &ntp()
                    .arg("analyze")
                    .arg(&path)
                    .arg("-o")
                    .arg(dir.path())
                    .assert(),
            );
            assert!(err.contains("corrupt Parquet"), "{i}: {err}");
        }
    }

    let (series, model, card) = quick_model(dir.path());
    std::fs::copy(fixture("fuzz/model-card-newline-in-value.json"), &card).unwrap();
    let a = ntp()
        .arg("predict")
        .arg(&model)
        .arg(&series)
        .arg("-o")
        .arg(dir.path().join("p"))
        .assert();
    assert!(one_line_error(&a).contains("m.best_model"));
}
