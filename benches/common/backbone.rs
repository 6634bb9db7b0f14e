//! A deterministic header-only backbone-like trace, for benchmarks: MAWI-style 96-byte
//! snaplen, Ethernet, ~90 % IPv4 / 10 % IPv6, TCP 80 % / UDP 15 % / ICMP 5 %, a bimodal
//! size mix (ACK-sized, ~576, full 1500), addresses drawn from a Zipf(1) popularity over
//! `hosts` hosts, ~100 000 packets per second (a MAWI link's order of magnitude). The same
//! arguments always give the same bytes (xorshift generator, fixed seed).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Zipf(1) over `n` items: a cumulative table searched by bisection.
pub struct Zipf(Vec<f64>);

impl Zipf {
    pub fn new(n: usize) -> Zipf {
        let mut cdf = Vec::with_capacity(n);
        let mut total = 0.0;
        for k in 1..=n {
            total += 1.0 / k as f64;
            cdf.push(total);
        }
        for v in &mut cdf {
            *v /= total;
        }
        Zipf(cdf)
    }

    pub fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.0.partition_point(|&c| c < u).min(self.0.len() - 1)
    }
}

fn size(rng: &mut Rng) -> u16 {
    let u = rng.unit();
    if u < 0.45 {
        40 + (rng.next() % 25) as u16
    } else if u < 0.6 {
        552 + (rng.next() % 48) as u16
    } else if u < 0.7 {
        100 + (rng.next() % 400) as u16
    } else {
        1400 + (rng.next() % 101) as u16
    }
}

/// One record: pcap header (16 bytes, ns) + up to 96 captured bytes.
fn record(rng: &mut Rng, zipf: &Zipf, ts_ns: u64, out: &mut Vec<u8>) {
    let v6 = rng.unit() < 0.1;
    let u = rng.unit();
    let proto: u8 = if u < 0.8 {
        6
    } else if u < 0.95 {
        17
    } else if v6 {
        58
    } else {
        1
    };
    let ip_len = size(rng).max(if v6 { 60 } else { 40 });
    let (src, dst) = (zipf.sample(rng) as u32, zipf.sample(rng) as u32);
    let mut frame = Vec::with_capacity(128);
    frame.extend([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2]);
    if v6 {
        frame.extend([0x86, 0xdd]);
        frame.extend([0x60, 0, 0, 0]);
        frame.extend((ip_len - 40).to_be_bytes());
        frame.extend([proto, 64]);
        for a in [src, dst] {
            frame.extend([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0]);
            frame.extend(a.to_be_bytes());
        }
    } else {
        frame.extend([0x08, 0x00]);
        frame.extend([0x45, 0]);
        frame.extend(ip_len.to_be_bytes());
        frame.extend([0, 0, 0x40, 0, 64, proto, 0, 0]);
        for a in [src, dst] {
            frame.extend((0x0a00_0000 | a).to_be_bytes());
        }
    }
    let sport = 1024 + (rng.next() % 60000) as u16;
    let dport = [80u16, 443, 53, 22, 8080, 123][(rng.next() % 6) as usize];
    frame.extend(sport.to_be_bytes());
    frame.extend(dport.to_be_bytes());
    if proto == 6 {
        // seq, ack, data offset 5 words, flags, window, checksum, urgent
        frame.extend([0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0]);
    } else {
        frame.extend([0u8; 4]);
    }
    let wire = ip_len as u32 + 14;
    let captured = frame.len().min(96).min(wire as usize);
    out.extend(((ts_ns / 1_000_000_000) as u32).to_le_bytes());
    out.extend(((ts_ns % 1_000_000_000) as u32).to_le_bytes());
    out.extend((captured as u32).to_le_bytes());
    out.extend(wire.to_le_bytes());
    out.extend(&frame[..captured]);
}

/// Writes `packets` packets at `rate` per second over `hosts` hosts (nanosecond pcap) to
/// `dir`, unless the file exists; returns its path.
pub fn build(dir: &Path, packets: u64, hosts: usize, rate: u64) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(format!("backbone-{packets}p-{hosts}h-{rate}pps.pcap"));
    if path.exists() {
        return path;
    }
    eprintln!("building {} …", path.display());
    let tmp = path.with_extension("tmp");
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&tmp).unwrap());
    w.write_all(&[0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0]).unwrap();
    w.write_all(&[0; 8]).unwrap();
    w.write_all(&96u32.to_le_bytes()).unwrap();
    w.write_all(&1u32.to_le_bytes()).unwrap();
    let (mut rng, zipf) = (Rng::new(0x5eed), Zipf::new(hosts));
    let start: u64 = 1_700_000_000 * 1_000_000_000;
    let gap = 1_000_000_000 / rate;
    let mut buf = Vec::with_capacity(1 << 20);
    for i in 0..packets {
        // Jitter within the gap keeps the stamps increasing, like a real link's.
        let ts = start + i * gap + rng.next() % gap.max(1);
        record(&mut rng, &zipf, ts, &mut buf);
        if buf.len() > (1 << 20) {
            w.write_all(&buf).unwrap();
            buf.clear();
        }
    }
    w.write_all(&buf).unwrap();
    w.into_inner().unwrap().sync_all().unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    path
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
