//! The per-packet road at the study's size: simulates a deterministic 15-minute header-only
//! backbone-like trace (`common::backbone`, `ntp simulate`'s model, 18.3 M packets, 96-byte snaplen, Zipf(1) over
//! 10⁵+ hosts), turns it into a per-packet table with `ntp preprocess`, and times in
//! alternating rounds: `preprocess`, `analyze` on the table, `analyze` on the table ten
//! times over (a directory of ten links to it: 183 M rows, overlapping, summed), `aggregate`
//! on the capture, and `analyze` on aggregate's series table (the analysis' fixed cost:
//! statistics and figures, no packets). Prints median wall time, packets/s and peak RSS of
//! each, and checks that the series built from the table equals aggregate's.
//!
//!     cargo bench --bench per_packet
//!     NTP_BENCH_PACKETS=4000000 NTP_BENCH_RUNS=5 cargo bench --bench per_packet

mod common;

use std::path::Path;
use std::process::Command;

use common::{backbone, env_f64, measure, median, target_dir};
use ntp::series::{self, SeriesOptions};

fn ntp_cmd(args: &[&str], paths: &[&Path]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ntp"));
    c.args(args).args(paths);
    c
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    println!("{}", common::machine());
    let packets = env_f64("NTP_BENCH_PACKETS", 18_300_000.0) as u64;
    let hosts = env_f64("NTP_BENCH_HOSTS", 120_000.0) as usize;
    let runs = env_f64("NTP_BENCH_RUNS", 3.0) as usize;
    let minutes = env_f64("NTP_BENCH_MINUTES", 15.0);
    let rate = (packets as f64 / (minutes * 60.0)).round() as u64;
    let dir = target_dir().join("bench-data");
    let (capture, packets) = backbone::build(&dir, packets, hosts, rate);
    let out = dir.join("per-packet-out");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let table = out.join("table.parquet");
    let series = out.join("capture.series.parquet");
    let tenfold = out.join("tenfold");
    std::fs::create_dir_all(&tenfold).unwrap();
    // Build the table and the series once before timing (and so the directory exists).
    for c in [
        ntp_cmd(&["preprocess", "-q", "-o"], &[&table, &capture]),
        ntp_cmd(&["aggregate", "-q", "--force", "-o"], &[&series, &capture]),
    ]
    .iter_mut()
    {
        assert!(c.status().unwrap().success(), "{c:?}");
    }
    // Absolute: a link's relative target is read from the link's own directory.
    let target = std::path::absolute(&table).unwrap();
    for i in 0..10 {
        let link = tenfold.join(format!("part-{i:02}.parquet"));
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, link).unwrap();
    }
    let a = |o: &str| out.join(o);
    let steps: Vec<(&str, u64, Command)> = vec![
        (
            "preprocess (capture → table)",
            packets,
            ntp_cmd(&["preprocess", "-q", "-o"], &[&table, &capture]),
        ),
        (
            "analyze table",
            packets,
            ntp_cmd(&["analyze", "-q", "-o"], &[&a("analyze-table"), &table]),
        ),
        (
            "analyze table ×10 (directory)",
            10 * packets,
            ntp_cmd(&["analyze", "-q", "-o"], &[&a("analyze-tenfold"), &tenfold]),
        ),
        (
            "aggregate (capture → series)",
            packets,
            ntp_cmd(&["aggregate", "-q", "--force", "-o"], &[&series, &capture]),
        ),
        (
            "analyze series table",
            packets,
            ntp_cmd(&["analyze", "-q", "-o"], &[&a("analyze-series"), &series]),
        ),
    ];
    let table_mb = std::fs::metadata(&table).unwrap().len() as f64 / 1e6;
    println!(
        "trace: {packets} packets over {minutes} min ({} MB pcap), table {table_mb:.0} MB; {} cores; {runs} alternating rounds",
        std::fs::metadata(&capture).unwrap().len() / 1_000_000,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    time_steps(steps, runs);
    check_series(&table, &series, &tenfold);
}

/// The series built from the table equals aggregate's from the capture, and the table ×10
/// gives ten times each interval.
fn check_series(table: &Path, series: &Path, tenfold: &Path) {
    let opts = SeriesOptions::default();
    let from_table = series::load(&[table.to_path_buf()], &opts).unwrap();
    let from_capture = series::load(&[series.to_path_buf()], &opts).unwrap();
    let same = from_table.start_ns == from_capture.start_ns
        && from_table.values == from_capture.values
        && from_table.packets == from_capture.packets;
    println!(
        "  series from the table {} aggregate's from the capture ({} intervals)",
        if same { "equals" } else { "DIFFERS FROM" },
        from_table.len()
    );
    let tenfold_series = series::load(&[tenfold.to_path_buf()], &opts).unwrap();
    let tenfold_ok = tenfold_series
        .values
        .iter()
        .zip(&from_table.values)
        .all(|(a, b)| *a == 10.0 * b);
    println!(
        "  table ×10 gives ten times each interval: {}",
        if tenfold_ok { "yes" } else { "NO" }
    );
}

/// Runs the steps in alternating rounds and prints each one's median and peak RSS.
fn time_steps(mut steps: Vec<(&str, u64, Command)>, runs: usize) {
    let mut walls = vec![Vec::new(); steps.len()];
    let mut rss = vec![0u64; steps.len()];
    for _ in 0..runs {
        for (i, (_, _, c)) in steps.iter_mut().enumerate() {
            let (wall, peak) = measure(c);
            walls[i].push(wall.as_secs_f64());
            rss[i] = rss[i].max(peak);
        }
    }
    for (i, (name, n, _)) in steps.iter().enumerate() {
        let m = median(walls[i].clone());
        println!(
            "  {name:<32} median {m:>7.3} s  ({:>6.1} M packets/s, {:.2} s per 10 M)  peak RSS {:>5.0} MB",
            *n as f64 / m / 1e6,
            m / (*n as f64 / 1e7),
            rss[i] as f64 / 1e6
        );
    }
}
