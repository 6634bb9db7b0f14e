//! Analyze throughput: `ntp analyze` on a dataset of ≥ 1 M rows (the bundled sample repeated
//! with shifted timestamps, preprocessed once), median wall time and peak RSS of several runs.
//!
//!     cargo bench --bench analyze            # NTP_BENCH_GB (default 0.25), NTP_BENCH_RUNS (5)

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{build_input, env_f64, measure, median};

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    println!("{}", common::machine());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let source = std::env::var_os("NTP_BENCH_SOURCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("tests/data/lan-broadcast-28min-ns.pcapng"));
    let (input, _) = build_input(&source, env_f64("NTP_BENCH_GB", 0.25));
    let runs = env_f64("NTP_BENCH_RUNS", 5.0) as usize;
    let ntp = PathBuf::from(env!("CARGO_BIN_EXE_ntp"));
    let dataset = input.with_extension("parquet");
    if !dataset.exists() {
        measure(
            Command::new(&ntp)
                .args(["preprocess", "-q"])
                .arg(&input)
                .arg("-o")
                .arg(&dataset),
        );
    }
    let out = dataset.with_extension("analyze");
    let mut walls = Vec::new();
    let mut rss = 0;
    for _ in 0..runs {
        let (wall, peak) = measure(
            Command::new(&ntp)
                .args(["analyze", "-q"])
                .arg(&dataset)
                .arg("-o")
                .arg(&out),
        );
        walls.push(wall.as_secs_f64());
        rss = rss.max(peak);
    }
    // Series length and dataset rows (= the sum of the packets column) from analyze's CSV.
    let bps = std::fs::read_to_string(out.join(format!(
        "{}.bps.csv",
        dataset.file_stem().unwrap().to_string_lossy()
    )))
    .unwrap_or_default();
    let seconds = bps.lines().count().saturating_sub(1);
    let rows: u64 = bps
        .lines()
        .skip(1)
        .filter_map(|l| l.rsplit(',').next()?.parse::<u64>().ok())
        .sum();
    println!(
        "ntp analyze: dataset {} ({:.0} MB, {rows} rows), series of {seconds} seconds; median {:.3} s over {runs} runs (min {:.3}), peak RSS {:.0} MB",
        dataset.display(),
        std::fs::metadata(&dataset).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
        median(walls.clone()),
        walls.iter().cloned().fold(f64::INFINITY, f64::min),
        rss as f64 / 1e6
    );
}
