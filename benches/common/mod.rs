//! Helpers shared by the benchmarks: a deterministic large capture and measurement.
#![allow(dead_code)]

pub mod backbone;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::{DataLink, TsResolution};

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
}

pub fn env_f64(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Reads (timestamp, orig_len, data) from a pcapng or pcap file.
pub fn source_packets(path: &Path) -> Vec<(Duration, u32, Vec<u8>)> {
    let bytes = std::fs::read(path).expect("bench source");
    let mut out = Vec::new();
    if bytes.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        let mut r = PcapNgReader::new(&bytes[..]).unwrap();
        while let Some(b) = r.next_block() {
            if let Block::EnhancedPacket(epb) = b.unwrap() {
                out.push((epb.timestamp, epb.original_len, epb.data.into_owned()));
            }
        }
    } else {
        let mut r = pcap_file::pcap::PcapReader::new(&bytes[..]).unwrap();
        while let Some(p) = r.next_packet() {
            let p = p.unwrap();
            out.push((p.timestamp, p.orig_len, p.data.into_owned()));
        }
    }
    out
}

/// Writes the repeated capture (classic ns pcap, Ethernet) unless it already exists.
pub fn build_input(source: &Path, gib: f64) -> (PathBuf, u64) {
    let packets = source_packets(source);
    let per_copy: u64 = packets.iter().map(|p| 16 + p.2.len() as u64).sum();
    let want = (gib * (1u64 << 30) as f64) as u64;
    let copies = want.div_ceil(per_copy);
    let dir = target_dir().join("bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let stem = source.file_stem().unwrap().to_string_lossy().to_string();
    let path = dir.join(format!("{stem}-x{copies}.pcap"));
    let total = copies * packets.len() as u64;
    if path.exists() {
        return (path, total);
    }
    eprintln!(
        "building {} ({copies} copies of {} packets)…",
        path.display(),
        packets.len()
    );
    let first = packets.iter().map(|p| p.0).min().unwrap();
    let last = packets.iter().map(|p| p.0).max().unwrap();
    let shift = last - first + Duration::from_secs(1);
    let tmp = path.with_extension("tmp");
    let header = PcapHeader {
        datalink: DataLink::ETHERNET,
        ts_resolution: TsResolution::NanoSecond,
        ..Default::default()
    };
    let mut w = PcapWriter::with_header(
        BufWriter::with_capacity(1 << 20, File::create(&tmp).unwrap()),
        header,
    )
    .unwrap();
    for c in 0..copies {
        let offset = shift * c as u32;
        for (ts, orig, data) in &packets {
            w.write_packet(&PcapPacket::new(*ts + offset, *orig, data))
                .unwrap();
        }
    }
    w.into_writer().flush().unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    (path, total)
}

/// Runs a command, returning wall time and its own peak RSS in bytes (wait4's rusage).
pub fn measure(cmd: &mut Command) -> (Duration, u64) {
    let start = Instant::now();
    #[allow(clippy::zombie_processes)] // reaped by wait4 below, which also reports its rusage
    let child = cmd.stdout(Stdio::null()).spawn().expect("spawn");
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert!(
        pid > 0 && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{cmd:?} failed"
    );
    (wall, usage.ru_maxrss as u64 * 1024)
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// The machine, for the first line of every benchmark: CPU model, cores, AVX2 / AVX-512F,
/// and the date (UTC), so a figure can be quoted with where and when it was measured.
pub fn machine() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        info.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split(':').nth(1))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let flags = field("flags");
    let has = |f: &str| flags.split_whitespace().any(|x| x == f);
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    format!(
        "machine: {} ({} cores; AVX2 {}, AVX-512F {}); {date}",
        field("model name"),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        if has("avx2") { "yes" } else { "no" },
        if has("avx512f") { "yes" } else { "no" },
    )
}
