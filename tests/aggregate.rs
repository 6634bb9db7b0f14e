//! `ntp aggregate`: the one-pass series against tshark (sums and TCP/UDP splits), against
//! the per-packet table of the same capture (every column, distinct counts by polars'
//! `n_unique`), joined parts, overlapping inputs, re-runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::preprocess::WITH_REFERENCE;
use crate::util::*;

const COLUMNS: [&str; 16] = [
    "ip_bytes",
    "wire_bytes",
    "captured_bytes",
    "packets",
    "tcp_bytes",
    "tcp_packets",
    "udp_bytes",
    "udp_packets",
    "other_bytes",
    "other_packets",
    "ipv6_bytes",
    "ipv6_packets",
    "non_ip_frames",
    "sources",
    "destinations",
    "flows",
];

fn aggregate(inputs: &[PathBuf], out: &Path) -> assert_cmd::Command {
    let mut c = ntp();
    c.arg("aggregate").args(inputs).arg("-o").arg(out);
    c
}

/// The series table as interval start → values (in [`COLUMNS`] order).
pub fn read_series(path: &Path) -> BTreeMap<i64, [u64; 16]> {
    let df = read_parquet(path);
    let ts = times(&df, "timestamp");
    let cols: Vec<UInt64Chunked> = COLUMNS
        .iter()
        .map(|c| df.column(c).unwrap().u64().unwrap().clone())
        .collect();
    (0..df.height())
        .map(|i| {
            (
                ts.get(i).unwrap(),
                std::array::from_fn(|j| cols[j].get(i).unwrap()),
            )
        })
        .collect()
}

/// Position of a column in [`COLUMNS`].
pub fn idx(name: &str) -> usize {
    COLUMNS.iter().position(|c| *c == name).unwrap()
}

#[test]
fn per_second_sums_and_transport_splits_equal_tshark_on_every_fixture() {
    let dir = tempfile::tempdir().unwrap();
    for name in WITH_REFERENCE {
        let out = dir.path().join(format!("{name}.parquet"));
        aggregate(&[fixture(name)], &out)
            .arg("-q")
            .assert()
            .success();
        let ours = read_series(&out);
        let reference = tshark_reference_split(name);
        assert!(!reference.is_empty(), "{name}: empty reference");
        let pick = ["packets", "ip_bytes", "wire_bytes", "captured_bytes"]
            .into_iter()
            .chain(["tcp_packets", "tcp_bytes", "udp_packets", "udp_bytes"])
            .map(idx)
            .collect::<Vec<_>>();
        for (start, row) in &ours {
            let second = start.div_euclid(1_000_000_000);
            let got: Vec<u64> = pick.iter().map(|&j| row[j]).collect();
            let want = reference
                .get(&second)
                .map(|r| r.to_vec())
                .unwrap_or(vec![0; 8]);
            assert_eq!(got, want, "{name}: second {second}");
        }
        let seconds: Vec<i64> = ours.keys().map(|k| k / 1_000_000_000).collect();
        for s in reference.keys() {
            assert!(seconds.contains(s), "{name}: second {s} missing");
        }
    }
}

/// Every column per interval computed by polars from the per-packet table: sums, splits,
/// and `n_unique` of addresses and of a 5-tuple key built here.
fn from_packets(table: &Path, every_ns: i64) -> BTreeMap<i64, [u64; 16]> {
    let df = read_parquet(table);
    let ts = times(&df, "Timestamp");
    let key: Vec<i64> = (0..df.height())
        .map(|i| ts.get(i).unwrap().div_euclid(every_ns) * every_ns)
        .collect();
    let text = |c: &str| df.column(c).unwrap().cast(&DataType::String).unwrap();
    let parts: Vec<Column> = [
        "Source IP",
        "Destination IP",
        "Protocol",
        "Source Port",
        "Destination Port",
    ]
    .iter()
    .map(|c| text(c))
    .collect();
    let flow: Vec<String> = (0..df.height())
        .map(|i| {
            parts
                .iter()
                .map(|p| match p.str().unwrap().get(i) {
                    Some(v) => v.to_string(),
                    None => "null".into(),
                })
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    let size = || col_u64("Size (bytes)");
    let is = |t: &str| col("Type").eq(lit(t));
    let v6 = col("Family").eq(lit("IPv6"));
    let sum_if = |cond: Expr| when(cond).then(size()).otherwise(lit(0u64)).sum();
    let count_if = |cond: Expr| cond.cast(DataType::UInt64).sum();
    let mut df = df.clone();
    df.with_column(Series::new("k".into(), key).into_column())
        .unwrap();
    df.with_column(Series::new("flow".into(), flow).into_column())
        .unwrap();
    let out = df
        .lazy()
        .group_by([col("k")])
        .agg([
            size().sum().alias("ip_bytes"),
            col_u64("Wire Size (bytes)").sum().alias("wire_bytes"),
            col_u64("Captured Size (bytes)")
                .sum()
                .alias("captured_bytes"),
            len().cast(DataType::UInt64).alias("packets"),
            sum_if(is("TCP")).alias("tcp_bytes"),
            count_if(is("TCP")).alias("tcp_packets"),
            sum_if(is("UDP")).alias("udp_bytes"),
            count_if(is("UDP")).alias("udp_packets"),
            sum_if(is("Other")).alias("other_bytes"),
            count_if(is("Other")).alias("other_packets"),
            sum_if(v6.clone()).alias("ipv6_bytes"),
            count_if(v6).alias("ipv6_packets"),
            lit(0u64).cast(DataType::UInt64).alias("non_ip_frames"),
            col("Source IP")
                .n_unique()
                .cast(DataType::UInt64)
                .alias("sources"),
            col("Destination IP")
                .n_unique()
                .cast(DataType::UInt64)
                .alias("destinations"),
            col("flow").n_unique().cast(DataType::UInt64).alias("flows"),
        ])
        .collect()
        .unwrap();
    let k = out.column("k").unwrap().i64().unwrap().clone();
    let cols: Vec<UInt64Chunked> = COLUMNS
        .iter()
        .map(|c| out.column(c).unwrap().u64().unwrap().clone())
        .collect();
    (0..out.height())
        .map(|i| {
            (
                k.get(i).unwrap(),
                std::array::from_fn(|j| cols[j].get(i).unwrap()),
            )
        })
        .collect()
}

fn col_u64(name: &str) -> Expr {
    col(name).cast(DataType::UInt64)
}

#[test]
fn every_column_equals_polars_on_the_per_packet_table() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, &str, i64)> = WITH_REFERENCE
        .iter()
        .map(|n| (*n, "1s", 1_000_000_000))
        .chain([("lan-broadcast-28min-ns.pcapng", "100ms", 100_000_000)])
        .chain([("zeek-echo-connections.pcap.gz", "250ms", 250_000_000)])
        .collect();
    for (name, every, every_ns) in cases {
        let table = dataset(dir.path(), name);
        let series = dir.path().join(format!("{name}.{every}.parquet"));
        aggregate(&[fixture(name)], &series)
            .args(["-q", "--every", every])
            .assert()
            .success();
        let ours = read_series(&series);
        let reference = from_packets(&table, every_ns);
        let nonip = idx("non_ip_frames");
        for (k, want) in &reference {
            let mut got = ours[k];
            got[nonip] = 0;
            assert_eq!(&got, want, "{name} at {every}: interval {k}");
        }
        for (k, row) in &ours {
            if !reference.contains_key(k) {
                assert_eq!(row[idx("packets")], 0, "{name}: interval {k}");
            }
        }
        let first = *reference.keys().next().unwrap();
        let last = *reference.keys().last().unwrap();
        assert_eq!(
            ours.len() as i64,
            (last - first) / every_ns + 1,
            "{name}: dense"
        );
    }
}

/// 30 copies of a 15-minute fixture back to back (7.5 h, 16 MB, several 4 MiB chunks):
/// every copy brings its addresses and flows again, so an interval cut by a chunk's end
/// has keys on both sides. With `lag`, each packet is followed by a copy of itself
/// stamped `lag` earlier (a second source whose clock is behind).
fn sparse_capture(dest: &Path, lag: Option<std::time::Duration>) {
    let (header, packets) = crate::preprocess::packets_of("s7comm-clean-15min.pcap");
    let first = packets[0].timestamp;
    let span = packets.last().unwrap().timestamp - first + std::time::Duration::from_secs(10);
    let copies: Vec<_> = (0..30u32)
        .flat_map(|c| packets.iter().map(move |p| (c, p)))
        .flat_map(|(c, p)| {
            let mut p = p.clone();
            p.timestamp += span * c;
            let late = lag.map(|lag| {
                let mut q = p.clone();
                q.timestamp -= lag;
                q
            });
            std::iter::once(p).chain(late)
        })
        .collect();
    crate::preprocess::write_pcap(dest, header, &copies);
    assert!(std::fs::metadata(dest).unwrap().len() > 12 << 20);
}

/// `ntp aggregate` on `capture` equals polars on its per-packet table in every interval,
/// and no packet came too late for the distinct counts.
fn equals_polars(capture: &Path) {
    let table = capture.with_extension("packets.parquet");
    ntp()
        .args(["preprocess", "-q"])
        .arg(capture)
        .arg("-o")
        .arg(&table)
        .assert()
        .success();
    let series = capture.with_extension("series.parquet");
    let run = aggregate(&[capture.to_owned()], &series).assert().success();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).to_string();
    assert!(!stderr.contains("arrived more than"), "{stderr}");
    let ours = read_series(&series);
    let reference = from_packets(&table, 1_000_000_000);
    assert!(reference.len() > 1000, "{} intervals", reference.len());
    let nonip = idx("non_ip_frames");
    for (k, want) in &reference {
        let mut got = ours[k];
        got[nonip] = 0;
        assert_eq!(&got, want, "{}: interval {k}", capture.display());
    }
}

/// Intervals that lie wholly inside a chunk are counted by the counting threads, those
/// cut by a chunk's end by the merge: both must equal polars.
#[test]
fn a_sparse_capture_over_several_chunks_equals_polars() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("sparse.pcap");
    sparse_capture(&capture, None);
    equals_polars(&capture);
}

/// Packets up to the whole late window (4 intervals of 1 s) behind the newest, across
/// chunk ends, still count exactly: the interval they belong to must not have been
/// counted and closed with the chunk before.
#[test]
fn packets_late_by_the_whole_window_across_chunks_count_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("lagged.pcap");
    sparse_capture(&capture, Some(std::time::Duration::from_millis(3900)));
    equals_polars(&capture);
}

#[test]
fn non_ip_frames_per_interval_equal_a_direct_count_of_ethertypes() {
    use pcap_file::pcapng::{Block, PcapNgReader};
    let dir = tempfile::tempdir().unwrap();
    let name = "lan-broadcast-28min-ns.pcapng";
    let out = dir.path().join("lan.parquet");
    aggregate(&[fixture(name)], &out)
        .arg("-q")
        .assert()
        .success();
    let ours = read_series(&out);
    // Independent count: Ethernet frames whose EtherType is not IPv4/IPv6 (the capture's
    // interface has nanosecond timestamps), per second.
    let mut r = PcapNgReader::new(std::fs::File::open(fixture(name)).unwrap()).unwrap();
    let mut want: BTreeMap<i64, u64> = BTreeMap::new();
    while let Some(block) = r.next_block() {
        if let Block::EnhancedPacket(p) = block.unwrap() {
            let ethertype = u16::from_be_bytes([p.data[12], p.data[13]]);
            if ethertype != 0x0800 && ethertype != 0x86dd {
                let ns = p.timestamp.as_nanos() as i64;
                *want
                    .entry(ns.div_euclid(1_000_000_000) * 1_000_000_000)
                    .or_default() += 1;
            }
        }
    }
    let (first, last) = (*ours.keys().next().unwrap(), *ours.keys().last().unwrap());
    let want: BTreeMap<i64, u64> = want.range(first..=last).map(|(k, v)| (*k, *v)).collect();
    let got: BTreeMap<i64, u64> = ours
        .iter()
        .filter(|(_, r)| r[idx("non_ip_frames")] > 0)
        .map(|(k, r)| (*k, r[idx("non_ip_frames")]))
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
}

/// Writes the packets of `src` whose index satisfies `keep` into a new pcap.
fn split_pcap(src: &Path, dest: &Path, keep: impl Fn(usize) -> bool) {
    use pcap_file::pcap::{PcapReader, PcapWriter};
    let mut r = PcapReader::new(std::fs::File::open(src).unwrap()).unwrap();
    let header = r.header();
    let mut w = PcapWriter::with_header(std::fs::File::create(dest).unwrap(), header).unwrap();
    let mut i = 0;
    while let Some(p) = r.next_packet() {
        let p = p.unwrap();
        if keep(i) {
            w.write_packet(&p).unwrap();
        }
        i += 1;
    }
}

#[test]
fn parts_joined_equal_the_whole_and_a_directory_rerun_skips() {
    let dir = tempfile::tempdir().unwrap();
    let whole = fixture("s7comm-clean-15min.pcap");
    let (a, b) = (dir.path().join("a.pcap"), dir.path().join("b.pcap"));
    split_pcap(&whole, &a, |i| i < 2000);
    split_pcap(&whole, &b, |i| i >= 2000);
    let joined = dir.path().join("joined.parquet");
    aggregate(&[a.clone(), b.clone()], &joined)
        .arg("-q")
        .assert()
        .success();
    let single = dir.path().join("single.parquet");
    aggregate(&[whole], &single).arg("-q").assert().success();
    assert_eq!(read_series(&joined), read_series(&single));
    assert!(dir.path().join("joined.sizes.parquet").exists());

    let out = dir.path().join("each");
    aggregate(&[a.clone(), b.clone()], &out)
        .arg("-q")
        .assert()
        .success();
    assert_eq!(
        listing(&out),
        [
            "a.series.parquet",
            "a.sizes.parquet",
            "a.top.parquet",
            "b.series.parquet",
            "b.sizes.parquet",
            "b.top.parquet"
        ]
    );
    let again = aggregate(&[a, b], &out).assert().success();
    let stderr = String::from_utf8_lossy(&again.get_output().stderr).to_string();
    assert_eq!(stderr.matches("is up to date").count(), 2, "{stderr}");
}

#[test]
fn overlapping_inputs_sum_and_say_what_the_distinct_counts_miss() {
    let dir = tempfile::tempdir().unwrap();
    let cap = fixture("s7comm-clean-15min.pcap");
    let once = dir.path().join("once.parquet");
    aggregate(std::slice::from_ref(&cap), &once)
        .arg("-q")
        .assert()
        .success();
    let twice = dir.path().join("twice.parquet");
    let a = aggregate(&[cap.clone(), cap], &twice)
        .arg("-q")
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(stderr.contains("arrived more than"), "{stderr}");
    let (once, twice) = (read_series(&once), read_series(&twice));
    assert_eq!(once.len(), twice.len());
    for (k, r) in &once {
        for j in 0..13 {
            assert_eq!(twice[k][j], 2 * r[j], "interval {k} column {}", COLUMNS[j]);
        }
    }
}

#[test]
fn bad_input_and_bad_interval_are_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pcap");
    std::fs::write(&junk, b"this is not a capture at all").unwrap();
    let out = dir.path().join("x.parquet");
    let a = aggregate(&[junk], &out).assert().failure();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(stderr.contains("junk.pcap"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!out.exists());
    let a = aggregate(&[fixture("arkime-v6.pcap")], &out)
        .args(["--every", "soon"])
        .assert()
        .failure();
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("--every"));
}

#[test]
fn without_distinct_counts_the_sums_are_unchanged_and_the_counts_absent() {
    let dir = tempfile::tempdir().unwrap();
    // IPv6 (its sums are counted apart from the keys) and IPv4 with non-IP frames.
    let inputs = [
        fixture("arkime-v6.pcap"),
        fixture("s7comm-clean-15min.pcap"),
    ];
    let (full, sums) = (dir.path().join("full"), dir.path().join("sums"));
    aggregate(&inputs, &full).arg("-q").assert().success();
    aggregate(&inputs, &sums)
        .args(["-q", "--no-distinct"])
        .assert()
        .success();
    for stem in ["arkime-v6", "s7comm-clean-15min"] {
        let name = format!("{stem}.series.parquet");
        let df = read_parquet(&sums.join(&name));
        let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
        assert_eq!(names[0], "timestamp");
        // The sums, then the features that need no keys (all but the four entropies).
        let features = crate::features::FEATURES[4..].iter().copied();
        let held: Vec<&str> = COLUMNS[..13].iter().copied().chain(features).collect();
        assert_eq!(names[1..], held, "{stem}");
        let ts = times(&df, "timestamp");
        let whole = read_series(&full.join(&name));
        assert_eq!(ts.len(), whole.len(), "{stem}");
        for (i, (k, row)) in whole.iter().enumerate() {
            assert_eq!(ts.get(i), Some(*k));
            for (j, c) in COLUMNS[..13].iter().enumerate() {
                let got = df.column(c).unwrap().u64().unwrap().get(i);
                assert_eq!(got, Some(row[j]), "{stem} interval {k} column {c}");
            }
        }
        assert!(whole.values().any(|r| r[idx("flows")] > 0), "{stem}");
    }

    // A table asked for without the counts is rebuilt over one that has them, and back.
    let a = aggregate(&inputs, &full)
        .arg("--no-distinct")
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(!stderr.contains("is up to date"), "{stderr}");
    assert!(read_parquet(&full.join("arkime-v6.series.parquet"))
        .column("flows")
        .is_err());
    let a = aggregate(&inputs, &full).assert().success();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(!stderr.contains("is up to date"), "{stderr}");
    assert_eq!(
        read_series(&full.join("arkime-v6.series.parquet")).len(),
        times(
            &read_parquet(&sums.join("arkime-v6.series.parquet")),
            "timestamp"
        )
        .len()
    );

    // Asking such a table for a count it does not hold: one line naming the file.
    let table = sums.join("s7comm-clean-15min.series.parquet");
    for needle in ["s7comm-clean-15min.series.parquet", "no distinct counts"] {
        crate::analyze::assert_fails_cleanly(
            &[table.as_os_str(), "--column".as_ref(), "flows".as_ref()],
            &dir.path().join("analysis"),
            needle,
        );
    }
}

/// An access log (Common and Combined Log Format, several UTC offsets, lines out of order,
/// malformed lines): `aggregate` equals the committed reference of
/// `tests/data/access/reference.py` per minute, plain and gzip, and says what it skipped.
#[test]
fn access_logs_become_request_series_equal_to_the_reference() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let log = fixture("access/sample.log");
    let gz = dir.path().join("sample.log.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&std::fs::read(&log).unwrap()).unwrap();
    enc.finish().unwrap();
    let reference: Vec<Vec<u64>> = read_csv(&fixture("access/sample.reference.csv"))
        .into_iter()
        .map(|r| r.iter().map(|c| c.parse().unwrap()).collect())
        .collect();
    for input in [log, gz] {
        let out = dir.path().join("out");
        let run = ntp()
            .args(["aggregate", "-q", "--every", "1m"])
            .arg(&input)
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        let stderr = String::from_utf8_lossy(&run.get_output().stderr).to_string();
        assert!(
            stderr.contains("6 of 1506 lines are not Common/Combined Log Format lines"),
            "{stderr}"
        );
        let rows = read_csv(&out.join("sample.requests.csv"));
        assert_eq!(rows.len(), reference.len());
        for (row, want) in rows.iter().zip(&reference) {
            let t = chrono::DateTime::parse_from_rfc3339(&row[0])
                .unwrap()
                .timestamp() as u64;
            let got: Vec<u64> = std::iter::once(t)
                .chain(row[1..].iter().map(|c| c.parse::<u64>().unwrap()))
                .collect();
            assert_eq!(&got, want);
        }
    }
    // The series reads back as any series file.
    ntp()
        .args(["analyze", "-q", "--dpi", "40", "--column", "requests"])
        .arg(dir.path().join("out/sample.requests.csv"))
        .arg("-o")
        .arg(dir.path().join("a"))
        .assert()
        .success();
}
