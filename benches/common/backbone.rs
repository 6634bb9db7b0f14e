//! The benchmarks' header-only backbone-like trace, made by `ntp simulate` (run as a
//! process, so the benchmark's own memory, which its timed children inherit at fork, stays
//! small): MAWI-style 96-byte snaplen, Ethernet, a tenth of the hosts IPv6, TCP/UDP/ICMP,
//! Zipf(1) popularity over `hosts` hosts, a self-similar packet rate (Hurst 0.8) at 1 s, no
//! injected events. The same arguments always give the same bytes.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use ntp::simulate::model::Model;

/// The trace's first second: a Wednesday at 14:00 UTC, near the model's daily peak.
const START_S: i64 = 1_767_794_400;
const SEED: u64 = 0x5eed;
const HURST: f64 = 0.8;

/// Writes about `packets` packets at about `rate` per second over `hosts` hosts (nanosecond
/// pcap) to `dir`, unless the file exists; returns its path and its exact packet count
/// (kept beside it in `.packets`).
pub fn build(dir: &Path, packets: u64, hosts: usize, rate: u64) -> (PathBuf, u64) {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(format!("simulated-{packets}p-{hosts}h-{rate}pps.pcap"));
    let count = path.with_extension("packets");
    let known = std::fs::read_to_string(&count).ok();
    if let Some(n) = known.and_then(|s| s.trim().parse().ok()) {
        if path.exists() {
            return (path, n);
        }
    }
    eprintln!("simulating {} …", path.display());
    let intervals = packets.div_ceil(rate.max(1)) as usize;
    let model = Model {
        intervals,
        every_ns: 1_000_000_000,
        start_ns: START_S * 1_000_000_000,
        rate: rate as f64,
        trend: 0.0,
        hurst: HURST,
        seed: SEED,
    };
    // The model's seasons and noise move the rate: scale it so the expected count is `packets`.
    let noise = model.noise();
    let expected: f64 = (0..intervals)
        .map(|i| model.rate * model.level(i) * noise[i])
        .sum();
    let scaled = model.rate * packets as f64 / expected;
    let out = Command::new(env!("CARGO_BIN_EXE_ntp"))
        .args([
            "simulate", "--every", "1s", "--events", "none", "--trend", "0",
        ])
        .args(["--days", &format!("{}", intervals as f64 / 86_400.0)])
        .args([
            "--rate",
            &format!("{scaled}"),
            "--hosts",
            &hosts.to_string(),
        ])
        .args(["--hurst", &HURST.to_string(), "--seed", &SEED.to_string()])
        .args(["--start", &START_S.to_string(), "--stem", "bench-trace"])
        .arg("-o")
        .arg(dir.join("bench-trace"))
        .arg("--capture")
        .arg(&path)
        .output()
        .expect("run ntp simulate");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ntp simulate: {said}");
    // "…: N intervals of 1s, P packets, 0 events → …"
    let n: u64 = said
        .split(", ")
        .find_map(|part| part.strip_suffix(" packets")?.parse().ok())
        .unwrap_or_else(|| panic!("no packet count in {said:?}"));
    std::fs::write(&count, n.to_string()).unwrap();
    (path, n)
}

/// `path` gzip-compressed beside it (`.pcap.gz`), unless it exists.
pub fn gzip(path: &Path) -> PathBuf {
    let gz = PathBuf::from(format!("{}.gz", path.display()));
    if !gz.exists() {
        let tmp = gz.with_extension("tmp");
        let mut e = flate2::write::GzEncoder::new(
            BufWriter::new(File::create(&tmp).unwrap()),
            flate2::Compression::default(),
        );
        std::io::copy(&mut File::open(path).unwrap(), &mut e).unwrap();
        e.finish().unwrap().flush().unwrap();
        std::fs::rename(&tmp, &gz).unwrap();
    }
    gz
}
