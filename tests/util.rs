//! Helpers shared by the integration tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use polars::prelude::*;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

pub fn ntp() -> Command {
    let mut c = Command::cargo_bin("ntp").expect("ntp binary");
    c.env("NO_COLOR", "1");
    c
}

pub fn read_parquet(path: &Path) -> DataFrame {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetReader::new(file).finish().expect("parquet")
}

/// A Datetime column as nanoseconds since the epoch.
pub fn times(df: &DataFrame, name: &str) -> Int64Chunked {
    let s = df
        .column(name)
        .unwrap()
        .as_materialized_series()
        .to_physical_repr()
        .into_owned();
    s.i64().unwrap().clone()
}

/// Per-second (packets, size, wire, captured) from a dataset, computed here directly from
/// the columns (independent of ntp's own series code).
pub fn per_second(df: &DataFrame) -> BTreeMap<i64, [u64; 4]> {
    let ts = times(df, "Timestamp");
    let col = |name: &str| {
        df.column(name)
            .unwrap()
            .as_materialized_series()
            .u32()
            .unwrap()
            .clone()
    };
    let (size, wire, cap) = (
        col("Size (bytes)"),
        col("Wire Size (bytes)"),
        col("Captured Size (bytes)"),
    );
    let mut out: BTreeMap<i64, [u64; 4]> = BTreeMap::new();
    for i in 0..df.height() {
        let sec = ts.get(i).unwrap().div_euclid(1_000_000_000);
        let e = out.entry(sec).or_default();
        e[0] += 1;
        e[1] += size.get(i).unwrap() as u64;
        e[2] += wire.get(i).unwrap() as u64;
        e[3] += cap.get(i).unwrap() as u64;
    }
    out
}

/// The committed tshark reference for a fixture.
pub fn tshark_reference(name: &str) -> BTreeMap<i64, [u64; 4]> {
    tshark_reference_split(name)
        .into_iter()
        .map(|(k, v)| (k, [v[0], v[1], v[2], v[3]]))
        .collect()
}

/// The whole tshark reference: per second (packets, size, wire, captured, tcp_packets,
/// tcp_bytes, udp_packets, udp_bytes).
pub fn tshark_reference_split(name: &str) -> BTreeMap<i64, [u64; 8]> {
    let path = fixture(&format!("reference/{name}.tshark.csv"));
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let v: Vec<u64> = l.split(',').map(|x| x.parse().unwrap()).collect();
            (v[0] as i64, std::array::from_fn(|i| v[i + 1]))
        })
        .collect()
}

/// Files in `dir` (names), to check that nothing partial was left behind.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Runs `ntp preprocess` on a fixture into `dir/{stem}.parquet` (once) and returns the path.
pub fn dataset(dir: &Path, capture: &str) -> PathBuf {
    let out = dir.join(format!("{}.parquet", capture.split('.').next().unwrap()));
    if !out.exists() {
        ntp()
            .args(["preprocess", "-q"])
            .arg(fixture(capture))
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
    }
    out
}

/// Reads a CSV into rows of fields (no quoting in ntp's numeric files).
pub fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}
