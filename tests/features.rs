//! The traffic features of `ntp aggregate` against tshark's fields (Wireshark, run by
//! `tests/data/reference/features/make_features.py`): entropies, TCP flags, ICMP and size
//! quantiles per second, the heavy-hitter table, and `--dedup` against `editcap -D 5`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::preprocess::WITH_REFERENCE;
use crate::util::*;

/// The columns `make_features.py` writes, after `second`.
pub const FEATURES: [&str; 13] = [
    "src_addr_entropy",
    "dst_addr_entropy",
    "src_port_entropy",
    "dst_port_entropy",
    "tcp_syn",
    "tcp_synack",
    "tcp_fin",
    "tcp_rst",
    "icmp_packets",
    "icmp_bytes",
    "size_p50",
    "size_p95",
    "size_max",
];

fn reference(name: &str, kind: &str) -> String {
    let path = fixture(&format!("reference/features/{name}.{kind}.csv"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Second → the 13 features, as numbers.
fn features_reference(name: &str) -> BTreeMap<i64, Vec<f64>> {
    reference(name, "features")
        .lines()
        .skip(1)
        .map(|l| {
            let v: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
            (v[0] as i64, v[1..].to_vec())
        })
        .collect()
}

/// Second → the 13 features of a series table.
fn features_of(series: &Path) -> BTreeMap<i64, Vec<f64>> {
    let df = read_parquet(series);
    let ts = times(&df, "timestamp");
    let cols: Vec<Float64Chunked> = FEATURES
        .iter()
        .map(|c| {
            let c = df.column(c).unwrap().cast(&DataType::Float64).unwrap();
            c.f64().unwrap().clone()
        })
        .collect();
    (0..df.height())
        .map(|i| {
            let second = ts.get(i).unwrap().div_euclid(1_000_000_000);
            (second, cols.iter().map(|c| c.get(i).unwrap()).collect())
        })
        .collect()
}

fn aggregate(input: &Path, out: &Path) -> assert_cmd::assert::Assert {
    ntp()
        .args(["aggregate", "-q"])
        .arg(input)
        .arg("-o")
        .arg(out)
        .assert()
}

#[test]
fn entropies_flags_icmp_and_size_quantiles_equal_tshark_on_every_fixture() {
    let dir = tempfile::tempdir().unwrap();
    for name in WITH_REFERENCE {
        let out = dir.path().join(format!("{name}.parquet"));
        aggregate(&fixture(name), &out).success();
        let (ours, want) = (features_of(&out), features_reference(name));
        assert!(!want.is_empty(), "{name}");
        for (second, got) in &ours {
            let zero = vec![0.0; FEATURES.len()];
            let want = want.get(second).unwrap_or(&zero);
            for (j, c) in FEATURES.iter().enumerate() {
                let tolerance = if j < 4 { 1e-9 } else { 0.0 };
                assert!(
                    (got[j] - want[j]).abs() <= tolerance,
                    "{name}: second {second}, {c}: ntp {} tshark {}",
                    got[j],
                    want[j]
                );
            }
        }
        for second in want.keys() {
            assert!(ours.contains_key(second), "{name}: second {second} missing");
        }
    }
}

/// The heavy-hitter table as CSV lines in `make_features.py`'s layout (share apart).
fn top_rows(path: &Path) -> Vec<(String, f64)> {
    let df = read_parquet(path);
    let ts = times(&df, "timestamp");
    let text = |c: &str| df.column(c).unwrap().str().unwrap().clone();
    let (field, by, key) = (text("field"), text("by"), text("key"));
    let rank = df.column("rank").unwrap().u32().unwrap().clone();
    let packets = df.column("packets").unwrap().u64().unwrap().clone();
    let bytes = df.column("bytes").unwrap().u64().unwrap().clone();
    let share = df.column("share").unwrap().f64().unwrap().clone();
    (0..df.height())
        .map(|i| {
            let line = format!(
                "{},{},{},{},{},{},{}",
                ts.get(i).unwrap().div_euclid(1_000_000_000),
                field.get(i).unwrap(),
                by.get(i).unwrap(),
                rank.get(i).unwrap(),
                key.get(i).unwrap(),
                packets.get(i).unwrap(),
                bytes.get(i).unwrap()
            );
            (line, share.get(i).unwrap())
        })
        .collect()
}

#[test]
fn heavy_hitters_equal_a_ranking_of_tshark_fields_on_every_fixture() {
    let dir = tempfile::tempdir().unwrap();
    for name in WITH_REFERENCE {
        let out = dir.path().join(format!("{name}.parquet"));
        aggregate(&fixture(name), &out).success();
        let mut ours = top_rows(&dir.path().join(format!("{name}.top.parquet")));
        let mut want: Vec<(String, f64)> = reference(name, "top")
            .lines()
            .skip(1)
            .map(|l| {
                let (row, share) = l.rsplit_once(',').unwrap();
                (row.to_string(), share.parse().unwrap())
            })
            .collect();
        ours.sort_by(|a, b| a.0.cmp(&b.0));
        want.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(ours.len(), want.len(), "{name}: rows");
        for (o, w) in ours.iter().zip(&want) {
            assert_eq!(o.0, w.0, "{name}");
            assert!(
                (o.1 - w.1).abs() < 1e-12,
                "{name}: {} share {} vs {}",
                o.0,
                o.1,
                w.1
            );
        }
    }
}

#[test]
fn dedup_drops_what_editcap_drops_and_the_warning_comes_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut warned = 0;
    for name in WITH_REFERENCE {
        let text = reference(name, "dedup5");
        let mut lines = text.lines();
        let skipped: u64 = lines.next().unwrap()[8..].parse().unwrap();
        let want: BTreeMap<i64, (u64, u64)> = lines
            .skip(1)
            .map(|l| {
                let v: Vec<i64> = l.split(',').map(|x| x.parse().unwrap()).collect();
                (v[0], (v[1] as u64, v[2] as u64))
            })
            .collect();
        let out = dir.path().join(format!("{name}.parquet"));
        let run = ntp()
            .args(["aggregate", "-q", "--dedup", "5"])
            .arg(fixture(name))
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        let stderr = String::from_utf8_lossy(&run.get_output().stderr).to_string();
        let said = format!("{skipped} duplicate packets dropped (--dedup)");
        assert_eq!(stderr.contains(&said), skipped > 0, "{name}: {stderr}");
        let series = crate::aggregate::read_series(&out);
        let (p, b) = (
            crate::aggregate::idx("packets"),
            crate::aggregate::idx("ip_bytes"),
        );
        for (start, row) in &series {
            let second = start.div_euclid(1_000_000_000);
            let w = want.get(&second).copied().unwrap_or((0, 0));
            assert_eq!((row[p], row[b]), w, "{name}: second {second}");
        }
        // Without --dedup: warned of when more than 1 % of the packets repeat.
        let plain = aggregate(&fixture(name), &dir.path().join("plain.parquet")).success();
        let stderr = String::from_utf8_lossy(&plain.get_output().stderr).to_string();
        if stderr.contains("byte-identical") {
            warned += 1;
            assert!(skipped > 0, "{name}: {stderr}");
        }
    }
    // s7comm (171 of 5447) and the LAN broadcast capture (227) repeat packets.
    assert!(warned >= 2, "{warned}");
}

/// The same capture cut into many small files is one stream to `--dedup`: a packet is
/// judged against the packets before it in the previous file too.
#[test]
fn dedup_is_exact_across_chunks_and_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let name = "s7comm-clean-15min.pcap";
    let (header, packets) = crate::preprocess::packets_of(name);
    let mut parts: Vec<PathBuf> = Vec::new();
    for (i, part) in packets.chunks(7).enumerate() {
        let path = dir.path().join(format!("part{i:04}.pcap"));
        crate::preprocess::write_pcap(&path, header, part);
        parts.push(path);
    }
    let joined = dir.path().join("joined.parquet");
    ntp()
        .args(["aggregate", "-q", "--dedup", "5"])
        .args(&parts)
        .arg("-o")
        .arg(&joined)
        .assert()
        .success();
    let whole = dir.path().join("whole.parquet");
    ntp()
        .args(["aggregate", "-q", "--dedup", "5"])
        .arg(fixture(name))
        .arg("-o")
        .arg(&whole)
        .assert()
        .success();
    assert_eq!(
        crate::aggregate::read_series(&joined),
        crate::aggregate::read_series(&whole)
    );
}

/// Entropy in bits of the packet counts of each group.
fn entropy_of(counts: &[u64]) -> f64 {
    let n: u64 = counts.iter().sum();
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|&c| {
            let p = c as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
}

/// Per interval, from the per-packet table by polars: packets per (interval, key) for the
/// addresses and ports, then the entropy of those counts; ICMP and size quantiles by
/// `group_by` (polars' `lower` quantile).
fn from_packets(table: &Path, every_ns: i64) -> BTreeMap<i64, Vec<f64>> {
    let df = read_parquet(table);
    let ts = times(&df, "Timestamp");
    let k: Vec<i64> = (0..df.height())
        .map(|i| ts.get(i).unwrap().div_euclid(every_ns) * every_ns)
        .collect();
    let mut df = df.clone();
    df.with_column(Series::new("k".into(), k).into_column())
        .unwrap();
    // Ports only where the packet carries both (TCP/UDP, first fragment).
    let with_ports = col("Source Port").is_not_null();
    let port = |c: &str| when(with_ports.clone()).then(col(c)).otherwise(lit(NULL));
    let df = df
        .lazy()
        .with_columns([
            port("Source Port").alias("sp"),
            port("Destination Port").alias("dp"),
        ])
        .collect()
        .unwrap();
    let entropies = |key: &str| -> BTreeMap<i64, f64> {
        let counts = df
            .clone()
            .lazy()
            .filter(col(key).is_not_null())
            .group_by([col("k"), col(key)])
            .agg([len().cast(DataType::UInt64).alias("n")])
            .collect()
            .unwrap();
        let ks = counts.column("k").unwrap().i64().unwrap().clone();
        let ns = counts.column("n").unwrap().u64().unwrap().clone();
        let mut per: BTreeMap<i64, Vec<u64>> = BTreeMap::new();
        for i in 0..counts.height() {
            per.entry(ks.get(i).unwrap())
                .or_default()
                .push(ns.get(i).unwrap());
        }
        per.into_iter().map(|(k, c)| (k, entropy_of(&c))).collect()
    };
    let h: Vec<BTreeMap<i64, f64>> = ["Source IP", "Destination IP", "sp", "dp"]
        .iter()
        .map(|c| entropies(c))
        .collect();
    let icmp = col("Protocol")
        .eq(lit(1u8))
        .or(col("Protocol").eq(lit(58u8)));
    let size = || col("Size (bytes)").cast(DataType::Float64);
    let q = |p: f64| size().quantile(lit(p), QuantileMethod::Lower);
    let rest = df
        .clone()
        .lazy()
        .group_by([col("k")])
        .agg([
            icmp.clone()
                .cast(DataType::Float64)
                .sum()
                .alias("icmp_packets"),
            when(icmp)
                .then(size())
                .otherwise(lit(0.0))
                .sum()
                .alias("icmp_bytes"),
            q(0.5).alias("size_p50"),
            q(0.95).alias("size_p95"),
            size().max().alias("size_max"),
        ])
        .collect()
        .unwrap();
    let ks = rest.column("k").unwrap().i64().unwrap().clone();
    let cols: Vec<Float64Chunked> = [
        "icmp_packets",
        "icmp_bytes",
        "size_p50",
        "size_p95",
        "size_max",
    ]
    .iter()
    .map(|c| rest.column(c).unwrap().f64().unwrap().clone())
    .collect();
    (0..rest.height())
        .map(|i| {
            let k = ks.get(i).unwrap();
            let mut row: Vec<f64> = h
                .iter()
                .map(|m| m.get(&k).copied().unwrap_or(0.0))
                .collect();
            row.extend(cols.iter().map(|c| c.get(i).unwrap()));
            (k, row)
        })
        .collect()
}

#[test]
fn the_features_equal_polars_on_the_per_packet_table_of_the_same_capture() {
    let dir = tempfile::tempdir().unwrap();
    let picked = [0, 1, 2, 3, 8, 9, 10, 11, 12];
    for (name, every, every_ns) in [
        ("lan-broadcast-28min-ns.pcapng", "1s", 1_000_000_000),
        ("arkime-v6.pcap", "1s", 1_000_000_000),
        ("zeek-echo-connections.pcap.gz", "250ms", 250_000_000),
        ("suricata-null-loopback.pcap", "10s", 10_000_000_000),
    ] {
        let table = dataset(dir.path(), name);
        let series = dir.path().join(format!("{name}.{every}.parquet"));
        ntp()
            .args(["aggregate", "-q", "--top", "0", "--every", every])
            .arg(fixture(name))
            .arg("-o")
            .arg(&series)
            .assert()
            .success();
        let df = read_parquet(&series);
        let ts = times(&df, "timestamp");
        let reference = from_packets(&table, every_ns);
        assert!(!reference.is_empty(), "{name}");
        for i in 0..df.height() {
            let k = ts.get(i).unwrap();
            let Some(want) = reference.get(&k) else {
                continue;
            };
            for (w, &j) in want.iter().zip(&picked) {
                let c = df
                    .column(FEATURES[j])
                    .unwrap()
                    .cast(&DataType::Float64)
                    .unwrap();
                let got = c.f64().unwrap().get(i).unwrap();
                assert!(
                    (got - w).abs() < 1e-9,
                    "{name} at {every}: {k} {}: {got} vs {w}",
                    FEATURES[j]
                );
            }
        }
    }
}
