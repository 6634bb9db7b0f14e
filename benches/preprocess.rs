//! Preprocess throughput: builds a ≥ 1 GB capture deterministically (the bundled real
//! sample repeated, each copy shifted in time past the previous one), then runs the release
//! `ntp preprocess` on it several times and prints packets/s, MB/s and peak RSS (median of
//! the runs), beside `tshark -T fields` on the same file when tshark is installed.
//!
//!     cargo bench --bench preprocess                 # defaults: 1 GiB, 3 runs
//!     NTP_BENCH_GB=2 NTP_BENCH_RUNS=5 NTP_BENCH_SOURCE=x.pcap cargo bench --bench preprocess
//!
//! The input lands in `$CARGO_TARGET_DIR/bench-data/` (or `target/`), reused across runs.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::{build_input, env_f64, measure, median};

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` / `--list`: nothing to enumerate
    }
    println!("{}", common::machine());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let source = std::env::var_os("NTP_BENCH_SOURCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("tests/data/lan-broadcast-28min-ns.pcapng"));
    let gib = env_f64("NTP_BENCH_GB", 1.0);
    let runs = env_f64("NTP_BENCH_RUNS", 3.0) as usize;
    // Cargo builds the binary for benches (release settings); calling cargo from here would
    // leak cargo's environment into a nested build and invalidate its build scripts.
    let ntp = PathBuf::from(env!("CARGO_BIN_EXE_ntp"));

    let (input, packets) = build_input(&source, gib);
    let size = std::fs::metadata(&input).unwrap().len();
    let out = input.with_extension("parquet");
    println!(
        "input: {} ({:.2} GB, {} packets), {} cores",
        input.display(),
        size as f64 / 1e9,
        packets,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );

    let mut walls = Vec::new();
    let mut rss = 0;
    for i in 0..runs {
        let (wall, peak) = measure(
            Command::new(&ntp)
                .args(["preprocess", "-q"])
                .arg(&input)
                .arg("-o")
                .arg(&out),
        );
        rss = rss.max(peak);
        println!("  run {}: {:.3} s", i + 1, wall.as_secs_f64());
        walls.push(wall.as_secs_f64());
    }
    let wall = median(walls);
    println!(
        "ntp preprocess: median {:.3} s  {:.2} M packets/s  {:.0} MB/s  peak RSS {:.0} MB  (output {:.0} MB)",
        wall,
        packets as f64 / wall / 1e6,
        size as f64 / wall / 1e6,
        rss as f64 / 1e6,
        std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
    );

    let has_tshark = Command::new("tshark")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if has_tshark && std::env::var_os("NTP_BENCH_NO_TSHARK").is_none() {
        let (wall_t, _) = measure(
            Command::new("tshark")
                .args(["-n", "-r"])
                .arg(&input)
                .args([
                    "-T",
                    "fields",
                    "-e",
                    "frame.time_epoch",
                    "-e",
                    "ip.src",
                    "-e",
                    "ip.dst",
                    "-e",
                    "ip.len",
                    "-e",
                    "frame.len",
                ])
                .stderr(Stdio::null()),
        );
        println!(
            "tshark -T fields: {:.3} s  {:.2} M packets/s  → ntp is {:.1}× faster",
            wall_t.as_secs_f64(),
            packets as f64 / wall_t.as_secs_f64() / 1e6,
            wall_t.as_secs_f64() / wall
        );
    } else {
        println!("tshark not installed (or NTP_BENCH_NO_TSHARK set): no comparison");
    }
}
