//! The per-packet road: `analyze` on per-packet tables (one file, parts, a hive-partitioned
//! directory) gives the series `aggregate` builds from the captures, whatever the order of
//! the rows or the files, and says what was late, overlapping or missing.

use std::path::{Path, PathBuf};

use crate::aggregate::{idx, read_series};
use crate::analyze::{parse_ts, write_dataset};
use crate::preprocess::{packets_of, preprocess, write_pcap, WITH_REFERENCE};
use crate::util::*;
use pcap_file::pcap::PcapPacket;
use polars::prelude::*;

/// `ntp analyze` on `inputs`; its series as (interval start, amount per second, packets)
/// and its stderr.
fn analyze(inputs: &[PathBuf], out: &Path, extra: &[&str]) -> (Vec<(i64, f64, u64)>, String) {
    let a = ntp()
        .arg("analyze")
        .args(inputs)
        .arg("-o")
        .arg(out)
        .args(["--dpi", "50"])
        .args(extra)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    let csv = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".bps.csv"))
        .expect("a .bps.csv");
    let rows = read_csv(&csv)
        .iter()
        .map(|r| {
            (
                parse_ts(&r[0]),
                r[1].parse().unwrap(),
                r[2].parse().unwrap(),
            )
        })
        .collect();
    (rows, stderr)
}

#[test]
fn the_table_gives_the_series_aggregate_gives_on_every_fixture() {
    let dir = tempfile::tempdir().unwrap();
    // 10 ms intervals: every fixture spans at least two.
    let every = ["--every", "10ms"];
    for name in WITH_REFERENCE {
        let tmp = dir.path().join(name);
        let table = tmp.join("table.parquet");
        preprocess(&fixture(name), &table).success();
        ntp()
            .arg("aggregate")
            .arg(fixture(name))
            .arg("-o")
            .arg(tmp.join("s.series.parquet"))
            .args(every)
            .arg("-q")
            .assert()
            .success();
        let reference = read_series(&tmp.join("s.series.parquet"));
        if reference.len() < 2 {
            // One packet: both roads agree there is no series to analyze.
            ntp()
                .arg("analyze")
                .arg(&table)
                .arg("-o")
                .arg(tmp.join("single"))
                .args(every)
                .assert()
                .failure()
                .stderr(predicates::str::contains(
                    "a series needs at least 2 intervals",
                ));
            continue;
        }
        for (size, column) in [("ip", "ip_bytes"), ("wire", "wire_bytes")] {
            let out = tmp.join(size);
            let (got, _) = analyze(
                std::slice::from_ref(&table),
                &out,
                &[&every[..], &["--size", size, "-q"]].concat(),
            );
            let want: Vec<(i64, f64, u64)> = reference
                .iter()
                .map(|(k, r)| (*k, r[idx(column)] as f64 * 100.0, r[idx("packets")]))
                .collect();
            assert_eq!(got, want, "{name}: {size} series");
        }
    }
}

/// The lan fixture's per-packet table.
fn lan_table(dir: &Path) -> (PathBuf, DataFrame) {
    let ds = dataset(dir, "lan-broadcast-28min-ns.pcapng");
    let df = read_parquet(&ds);
    (ds, df)
}

fn write(path: &Path, df: &mut DataFrame, row_group: usize) {
    ParquetWriter::new(std::fs::File::create(path).unwrap())
        .with_row_group_size(Some(row_group))
        .finish(df)
        .unwrap();
}

#[test]
fn shuffled_rows_and_interleaved_files_give_the_same_series_and_are_said() {
    let dir = tempfile::tempdir().unwrap();
    let (ds, df) = lan_table(dir.path());
    let (sorted, quiet) = analyze(&[ds], &dir.path().join("sorted"), &[]);
    assert!(!quiet.contains("after later packets"), "{quiet}");

    // Every row in a scrambled order, in small row groups.
    let n = df.height() as u64;
    let mut order: Vec<(u64, IdxSize)> = (0..n)
        .map(|i| ((i.wrapping_mul(2_654_435_761)) % (1 << 32), i as IdxSize))
        .collect();
    order.sort();
    let take = IdxCa::from_vec("i".into(), order.iter().map(|o| o.1).collect());
    let mut shuffled = df.take(&take).unwrap();
    let path = dir.path().join("shuffled.parquet");
    write(&path, &mut shuffled, 300);
    let (got, stderr) = analyze(&[path], &dir.path().join("shuffled"), &[]);
    assert_eq!(got, sorted, "a shuffled table");
    assert!(
        stderr.contains("after later packets") && stderr.contains("each is counted"),
        "{stderr}"
    );

    // Even rows in one file, odd rows in another: two parts overlapping in time.
    let parts = dir.path().join("parts");
    std::fs::create_dir(&parts).unwrap();
    for (name, parity) in [("a.parquet", 0), ("b.parquet", 1)] {
        let mask: BooleanChunked = (0..n).map(|i| i % 2 == parity).collect();
        write(&parts.join(name), &mut df.filter(&mask).unwrap(), 1000);
    }
    let (got, stderr) = analyze(&[parts], &dir.path().join("parts-out"), &[]);
    assert_eq!(got, sorted, "two interleaved parts");
    assert!(stderr.contains("overlap in time"), "{stderr}");
}

#[test]
fn a_gap_between_files_is_zero_filled_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let s = 1_000_000_000i64;
    let (a, b) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
    write_dataset(&a, &[(10 * s, 100, "TCP"), (11 * s, 50, "UDP")]);
    write_dataset(&b, &[(30 * s + 5, 7, "TCP")]);
    let (got, stderr) = analyze(&[a, b], &dir.path().join("out"), &[]);
    assert_eq!(got.len(), 21);
    assert_eq!(got[0], (10 * s, 100.0, 1));
    assert_eq!(got[1], (11 * s, 50.0, 1));
    assert!(got[2..20].iter().all(|r| r.1 == 0.0 && r.2 == 0));
    assert_eq!(got[20], (30 * s, 7.0, 1));
    assert!(stderr.contains("gap of 19.000 s between"), "{stderr}");
}

/// Real frames of a fixture restamped across a UTC midnight.
fn midnight_capture(path: &Path) -> Vec<i64> {
    let (header, packets) = packets_of("s7comm-clean-15min.pcap");
    let midnight = 1_700_006_400i64; // 2023-11-15T00:00:00Z
    let offsets = [-3i64, -2, -1, 0, 1, 2, 3, 4];
    let restamped: Vec<PcapPacket<'static>> = offsets
        .iter()
        .zip(packets)
        .map(|(o, mut p)| {
            p.timestamp = std::time::Duration::from_secs((midnight + o) as u64);
            p
        })
        .collect();
    write_pcap(path, header, &restamped);
    offsets
        .iter()
        .map(|o| (midnight + o) * 1_000_000_000)
        .collect()
}

#[test]
fn partition_by_day_is_one_hive_table_for_polars_and_for_analyze() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("midnight.pcap");
    let stamps = midnight_capture(&capture);
    let out = dir.path().join("by-day");
    ntp()
        .arg("preprocess")
        .arg(&capture)
        .arg("-o")
        .arg(format!("{}/", out.display()))
        .args(["--partition", "day", "-q"])
        .assert()
        .success();
    assert_eq!(listing(&out), ["date=2023-11-14", "date=2023-11-15"]);
    for day in listing(&out) {
        assert_eq!(listing(&out.join(day)), ["midnight.parquet"]);
    }
    let args = ScanArgsParquet {
        hive_options: HiveOptions::new_enabled(),
        ..Default::default()
    };
    let df = LazyFrame::scan_parquet(
        PlRefPath::new(format!("{}/**/*.parquet", out.display()).as_str()),
        args,
    )
    .unwrap()
    .sort(["Timestamp"], Default::default())
    .collect()
    .unwrap();
    assert_eq!(
        times(&df, "Timestamp")
            .into_no_null_iter()
            .collect::<Vec<_>>(),
        stamps
    );
    let dates = df.column("date").unwrap().cast(&DataType::String).unwrap();
    let dates: Vec<Option<&str>> = dates.str().unwrap().iter().collect();
    let mut want = vec![Some("2023-11-14"); 3];
    want.extend([Some("2023-11-15"); 5]);
    assert_eq!(dates, want);

    // The directory is the same dataset as one file of the capture; a file being written
    // there (a hidden temporary name) is not part of it.
    std::fs::write(out.join("date=2023-11-15/.tmp-1.x.parquet"), b"partial").unwrap();
    let whole = dir.path().join("whole.parquet");
    preprocess(&capture, &whole).success();
    let (from_dir, _) = analyze(&[out], &dir.path().join("a"), &["-q"]);
    let (from_file, _) = analyze(&[whole], &dir.path().join("b"), &["-q"]);
    assert_eq!(from_dir, from_file);
    assert_eq!(from_dir.len(), 8);

    // A combined file cannot be partitioned.
    ntp()
        .arg("preprocess")
        .arg(&capture)
        .arg("-o")
        .arg(dir.path().join("one.parquet"))
        .args(["--partition", "day"])
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "--partition day lays out a directory",
        ));
}

#[test]
fn microsecond_tables_give_the_same_series_and_say_what_they_rounded() {
    let dir = tempfile::tempdir().unwrap();
    let capture = fixture("lan-broadcast-28min-ns.pcapng");
    let (ns, us) = (dir.path().join("ns.parquet"), dir.path().join("us.parquet"));
    preprocess(&capture, &ns).success();
    let a = ntp()
        .args(["preprocess", "--timestamp-unit", "us"])
        .arg(&capture)
        .arg("-o")
        .arg(&us)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    // Counted here: stamps of the ns table with digits below a microsecond.
    let exact = times(&read_parquet(&ns), "Timestamp");
    let finer = exact.iter().filter(|t| t.unwrap() % 1000 != 0).count();
    assert!(finer > 0);
    assert!(
        stderr.contains(&format!(
            "{finer} of {} time stamps had digits below a microsecond",
            exact.len()
        )),
        "{stderr}"
    );
    let df = read_parquet(&us);
    assert_eq!(
        df.column("Timestamp").unwrap().dtype(),
        &DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
    );
    let rounded: Vec<i64> = exact.iter().map(|t| t.unwrap().div_euclid(1000)).collect();
    let stored = df
        .column("Timestamp")
        .unwrap()
        .as_materialized_series()
        .to_physical_repr()
        .into_owned();
    let stored: Vec<i64> = stored.i64().unwrap().into_no_null_iter().collect();
    assert_eq!(stored, rounded);
    // Both tables, and a µs series table, give one series (intervals of whole µs).
    for every in ["1s", "10ms"] {
        let e = ["--every", every, "-q"];
        let (from_ns, _) = analyze(
            std::slice::from_ref(&ns),
            &dir.path().join(format!("a-{every}")),
            &e,
        );
        let (from_us, _) = analyze(
            std::slice::from_ref(&us),
            &dir.path().join(format!("b-{every}")),
            &e,
        );
        assert_eq!(from_ns, from_us, "{every}");
        let table = dir.path().join(format!("s-{every}.series.parquet"));
        ntp()
            .arg("aggregate")
            .arg(&capture)
            .arg("-o")
            .arg(&table)
            .args(["--timestamp-unit", "us", "-q", "--every", every])
            .assert()
            .success();
        let (from_table, _) = analyze(&[table], &dir.path().join(format!("c-{every}")), &e);
        assert_eq!(from_table, from_ns, "{every}");
    }
    // The pipeline writes its series table in the unit asked for, and rewrites one left in
    // the other unit by an earlier run.
    let run = dir.path().join("run");
    for (unit, want) in [
        ("ns", TimeUnit::Nanoseconds),
        ("us", TimeUnit::Microseconds),
    ] {
        ntp()
            .arg("pipeline")
            .arg(&capture)
            .arg("-o")
            .arg(&run)
            .args(["--no-train", "--dpi", "50", "-q", "--timestamp-unit", unit])
            .assert()
            .success();
        let table = read_parquet(&run.join("lan-broadcast-28min-ns.series.parquet"));
        assert_eq!(
            table.column("timestamp").unwrap().dtype(),
            &DataType::Datetime(want, Some(TimeZone::UTC))
        );
    }
    // Intervals finer than the unit cannot be stamped in it.
    ntp()
        .arg("aggregate")
        .arg(&capture)
        .arg("-o")
        .arg(dir.path().join("x.parquet"))
        .args(["--timestamp-unit", "us", "--every", "500ns"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("--every 500ns"));
}
