//! One-pass series vs libtrace: simulates a deterministic header-only backbone-like trace
//! (`common::backbone`, `ntp simulate`'s model: 96-byte snaplen, Zipf(1) popularity over
//! 10⁵+ hosts, ~100 000 packets/s) and its gzip copy, then times in alternating rounds, on each file:
//! `ntp aggregate` (every column, exact distinct counts and entropies, the top-10 heavy-hitter
//! table), `tracertstats -i 1 -o csv` (libtrace; skipped when not installed), `ntp aggregate
//! --top 0` (no heavy-hitter table: what it costs), `ntp aggregate --no-distinct` (sums, flags,
//! ICMP and size quantiles only: what the keyed columns cost) and `ntp preprocess`. Prints
//! the median wall time, packets/s and peak RSS of each, and the median of the per-round
//! ratios.
//!
//!     cargo bench --bench aggregate
//!     NTP_BENCH_PACKETS=4000000 NTP_BENCH_HOSTS=200000 NTP_BENCH_RUNS=9 cargo bench --bench aggregate
//!
//! Note: tracertstats counts 4 bytes more per packet than the frame length on pcap input
//! (libtrace adds the Ethernet FCS), so its byte column is not ntp's `wire_bytes`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{backbone, env_f64, measure, median, target_dir};

struct Tool {
    name: &'static str,
    command: Box<dyn Fn(&Path) -> Command>,
}

/// The commands timed, in the order they alternate: tracertstats second when installed.
fn tools(ntp: &Path, out: &Path, have_libtrace: bool) -> Vec<Tool> {
    let mut tools: Vec<Tool> = Vec::new();
    let (n1, o1) = (ntp.to_path_buf(), out.to_path_buf());
    tools.push(Tool {
        name: "ntp aggregate",
        command: Box::new(move |input| {
            let mut c = Command::new(&n1);
            c.args(["aggregate", "-q", "--force"])
                .arg(input)
                .arg("-o")
                .arg(o1.join("a.parquet"));
            c
        }),
    });
    if have_libtrace {
        tools.push(Tool {
            name: "tracertstats -i 1",
            command: Box::new(|input| {
                let mut c = Command::new("tracertstats");
                c.args(["-i", "1", "-o", "csv"])
                    .arg(format!("pcapfile:{}", input.display()))
                    .stderr(std::process::Stdio::null());
                c
            }),
        });
    } else {
        println!("tracertstats not installed (Debian: libtrace-tools): libtrace column skipped");
    }
    let (n4, o4) = (ntp.to_path_buf(), out.to_path_buf());
    tools.push(Tool {
        name: "ntp aggregate --top 0",
        command: Box::new(move |input| {
            let mut c = Command::new(&n4);
            c.args(["aggregate", "-q", "--force", "--top", "0"])
                .arg(input)
                .arg("-o")
                .arg(o4.join("t.parquet"));
            c
        }),
    });
    let (n3, o3) = (ntp.to_path_buf(), out.to_path_buf());
    tools.push(Tool {
        name: "ntp aggregate --no-distinct",
        command: Box::new(move |input| {
            let mut c = Command::new(&n3);
            c.args(["aggregate", "-q", "--force", "--no-distinct"])
                .arg(input)
                .arg("-o")
                .arg(o3.join("s.parquet"));
            c
        }),
    });
    let (n2, o2) = (ntp.to_path_buf(), out.to_path_buf());
    tools.push(Tool {
        name: "ntp preprocess",
        command: Box::new(move |input| {
            let mut c = Command::new(&n2);
            c.args(["preprocess", "-q"])
                .arg(input)
                .arg("-o")
                .arg(o2.join("p.parquet"));
            c
        }),
    });
    tools
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    println!("{}", common::machine());
    let packets = env_f64("NTP_BENCH_PACKETS", 1_200_000.0) as u64;
    let hosts = env_f64("NTP_BENCH_HOSTS", 120_000.0) as usize;
    let runs = env_f64("NTP_BENCH_RUNS", 7.0) as usize;
    let ntp = PathBuf::from(env!("CARGO_BIN_EXE_ntp"));
    let dir = target_dir().join("bench-data");
    let (plain, packets) = backbone::build(&dir, packets, hosts, 100_000);
    let gz = backbone::gzip(&plain);
    let out = dir.join("bench-out");
    let have_libtrace = Command::new("tracertstats").arg("-h").output().is_ok();
    let tools = tools(&ntp, &out, have_libtrace);
    std::fs::create_dir_all(&out).unwrap();
    println!(
        "trace: {packets} packets, {hosts} hosts, 96-byte snaplen; {} cores; {runs} alternating rounds",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    for (label, input) in [("plain", &plain), ("gzip", &gz)] {
        time_file(label, input, &tools, runs, packets, have_libtrace);
    }
}

/// Times every tool on one file in alternating rounds and prints medians and ratios.
fn time_file(
    label: &str,
    input: &Path,
    tools: &[Tool],
    runs: usize,
    packets: u64,
    have_libtrace: bool,
) {
    let size = std::fs::metadata(input).unwrap().len();
    println!(
        "\n{label}: {} ({:.0} MB)",
        input.display(),
        size as f64 / 1e6
    );
    let mut walls = vec![Vec::new(); tools.len()];
    let mut rss = vec![0u64; tools.len()];
    for _ in 0..runs {
        for (i, t) in tools.iter().enumerate() {
            let (wall, peak) = measure(&mut (t.command)(input));
            walls[i].push(wall.as_secs_f64());
            rss[i] = rss[i].max(peak);
        }
    }
    for (i, t) in tools.iter().enumerate() {
        let m = median(walls[i].clone());
        println!(
            "  {:<28} median {:.3} s  ({:.1} M packets/s)  peak RSS {:.0} MB",
            t.name,
            m,
            packets as f64 / m / 1e6,
            rss[i] as f64 / 1e6
        );
    }
    let ratio_of = |a: usize, b: usize| -> f64 {
        median((0..runs).map(|r| walls[a][r] / walls[b][r]).collect())
    };
    let (all, no_top) = (0, if have_libtrace { 2 } else { 1 });
    println!(
        "  the heavy-hitter table's cost: aggregate / aggregate --top 0, median of per-round ratios: {:.2}×",
        ratio_of(all, no_top)
    );
    if have_libtrace {
        for (i, t) in tools.iter().enumerate() {
            if !t.name.starts_with("ntp aggregate") {
                continue;
            }
            println!(
                "  tracertstats / {}, median of per-round ratios: {:.2}×",
                t.name,
                ratio_of(1, i)
            );
        }
    }
}
