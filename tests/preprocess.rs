//! `ntp preprocess` end to end: exact per-second sums against tshark, the same packets in
//! every container, and every kind of bad input.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::util::*;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapReader, PcapWriter};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::{DataLink, Endianness, TsResolution};
use polars::prelude::*;

/// Fixtures that tshark decodes as IP, with their reference files.
pub const WITH_REFERENCE: &[&str] = &[
    "lan-broadcast-28min-ns.pcapng",
    "s7comm-clean-15min.pcap",
    "arkime-bigendian.pcap",
    "arkime-v6.pcap",
    "deb-dpkt-truncated_dns.pcap",
    "fpcap-fritzbox-modified-rawip.pcap",
    "fpcap-example.pcap.zst",
    "suricata-null-loopback.pcap",
    "suricata-sll2.pcap",
    "tcpdump-pptp-BE.pcap",
    "tcpdump-tcp-handshake-nano-sll.pcap",
    "zeek-echo-connections.pcap.gz",
];

pub fn preprocess(input: &Path, out: &Path) -> assert_cmd::assert::Assert {
    ntp()
        .arg("preprocess")
        .arg(input)
        .arg("-o")
        .arg(out)
        .arg("--quiet")
        .assert()
}

#[test]
fn per_second_sums_equal_tshark_on_every_fixture() {
    let dir = tempfile::tempdir().unwrap();
    for name in WITH_REFERENCE {
        let out = dir.path().join(format!("{name}.parquet"));
        preprocess(&fixture(name), &out).success();
        let ours = per_second(&read_parquet(&out));
        let reference = tshark_reference(name);
        assert!(!reference.is_empty(), "{name}: empty reference");
        assert_eq!(
            ours, reference,
            "{name}: per-second packets/size/wire/captured differ from tshark"
        );
    }
}

#[test]
fn schema_is_the_documented_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.parquet");
    preprocess(&fixture("arkime-v6.pcap"), &out).success();
    let df = read_parquet(&out);
    let expected = [
        (
            "Timestamp",
            DataType::Datetime(TimeUnit::Nanoseconds, Some(TimeZone::UTC)),
        ),
        ("Family", DataType::String),
        ("Source IP", DataType::String),
        ("Destination IP", DataType::String),
        ("Protocol", DataType::UInt8),
        ("Size (bytes)", DataType::UInt32),
        ("Wire Size (bytes)", DataType::UInt32),
        ("Captured Size (bytes)", DataType::UInt32),
        ("Source Port", DataType::UInt16),
        ("Destination Port", DataType::UInt16),
        ("Type", DataType::String),
    ];
    let got: Vec<(String, DataType)> = df
        .schema()
        .iter()
        .map(|(n, t)| (n.to_string(), t.clone()))
        .collect();
    let want: Vec<(String, DataType)> = expected
        .iter()
        .map(|(n, t)| (n.to_string(), t.clone()))
        .collect();
    assert_eq!(got, want);
    // IPv6 text as tshark prints it; TCP rows have ports, other rows none.
    let fam = df.column("Family").unwrap().str().unwrap().clone();
    assert!((0..fam.len()).all(|i| fam.get(i) == Some("IPv6")));
    let typ = df.column("Type").unwrap().str().unwrap().clone();
    let sport = df.column("Source Port").unwrap().u16().unwrap().clone();
    for i in 0..df.height() {
        let t = typ.get(i).unwrap();
        assert_eq!(
            sport.get(i).is_some(),
            t == "TCP" || t == "UDP",
            "row {i}: type {t}"
        );
    }
    let src = df
        .column("Source IP")
        .unwrap()
        .str()
        .unwrap()
        .get(0)
        .unwrap()
        .to_string();
    assert!(src.parse::<std::net::Ipv6Addr>().is_ok(), "{src}");
}

/// Real packets of a fixture, as pcap-file reads them.
pub fn packets_of(name: &str) -> (PcapHeader, Vec<PcapPacket<'static>>) {
    let mut reader = PcapReader::new(std::fs::File::open(fixture(name)).unwrap()).unwrap();
    let header = reader.header();
    let mut v = Vec::new();
    while let Some(p) = reader.next_packet() {
        v.push(p.unwrap().into_owned());
    }
    (header, v)
}

pub fn write_pcap(path: &Path, header: PcapHeader, packets: &[PcapPacket<'_>]) {
    let mut w = PcapWriter::with_header(std::fs::File::create(path).unwrap(), header).unwrap();
    for p in packets {
        w.write_packet(p).unwrap();
    }
}

/// Ethernet frame → Linux SLL (v1) frame carrying the same payload.
fn to_sll(frame: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 0, 1, 0, 6];
    v.extend_from_slice(&frame[6..12]);
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&frame[12..14]);
    v.extend_from_slice(&frame[14..]);
    v
}

/// Ethernet frame → Linux SLL2 frame.
fn to_sll2(frame: &[u8]) -> Vec<u8> {
    let mut v = frame[12..14].to_vec();
    v.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 1, 0, 6]);
    v.extend_from_slice(&frame[6..12]);
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&frame[14..]);
    v
}

/// Ethernet frame with one 802.1Q tag and an 802.1ad outer tag (QinQ) inserted.
fn to_qinq(frame: &[u8]) -> Vec<u8> {
    let mut v = frame[..12].to_vec();
    v.extend_from_slice(&[0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x0a]);
    v.extend_from_slice(&frame[12..]);
    v
}

/// Ethernet frame with its IP payload behind a two-label MPLS stack.
fn to_mpls(frame: &[u8]) -> Vec<u8> {
    let mut v = frame[..12].to_vec();
    v.extend_from_slice(&[0x88, 0x47, 0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40]);
    v.extend_from_slice(&frame[14..]);
    v
}

fn relinked(packets: &[PcapPacket<'_>], f: fn(&[u8]) -> Vec<u8>) -> Vec<PcapPacket<'static>> {
    packets
        .iter()
        .map(|p| {
            let data = f(&p.data);
            let extra = data.len() as i64 - p.data.len() as i64;
            PcapPacket::new_owned(p.timestamp, (p.orig_len as i64 + extra) as u32, data)
        })
        .collect()
}

fn frame_without(df: &DataFrame, drop: &[&str]) -> DataFrame {
    df.drop_many(drop.iter().map(|s| PlSmallStr::from(*s)))
}

/// The same packets in pcapng: on the second of two interfaces at ns resolution, and at the
/// default µs resolution.
fn pcapng_variants(d: &Path, packets: &[PcapPacket]) -> Vec<(String, PathBuf, i64)> {
    let mut variants = Vec::new();
    // pcapng, nanosecond interface (if_tsresol = 9), packets on the second of two interfaces.
    let png = d.join("ns.pcapng");
    {
        let mut w = PcapNgWriter::new(std::fs::File::create(&png).unwrap()).unwrap();
        w.write_pcapng_block(InterfaceDescriptionBlock::new(DataLink::LINUX_SLL, 0))
            .unwrap();
        let mut idb = InterfaceDescriptionBlock::new(DataLink::ETHERNET, 0);
        idb.options.push(InterfaceDescriptionOption::IfTsResol(9));
        w.write_pcapng_block(idb).unwrap();
        for p in packets {
            w.write_pcapng_block(EnhancedPacketBlock {
                interface_id: 1,
                timestamp: p.timestamp,
                original_len: p.orig_len,
                data: p.data.clone(),
                options: vec![],
            })
            .unwrap();
        }
    }
    variants.push(("pcapng if_tsresol=9".into(), png, 0));

    // pcapng with the default µs resolution: the raw ticks are microseconds.
    let pus = d.join("us.pcapng");
    {
        let mut w = PcapNgWriter::new(std::fs::File::create(&pus).unwrap()).unwrap();
        w.write_pcapng_block(InterfaceDescriptionBlock::new(DataLink::ETHERNET, 0))
            .unwrap();
        for p in packets {
            let micros = p.timestamp.as_nanos() as u64 / 1000;
            w.write_pcapng_block(EnhancedPacketBlock {
                interface_id: 0,
                timestamp: std::time::Duration::from_nanos(micros),
                original_len: p.orig_len,
                data: p.data.clone(),
                options: vec![],
            })
            .unwrap();
        }
    }
    variants.push(("pcapng µs".into(), pus, 0));

    variants
}

/// The same capture as modified pcap (written byte by byte), gzip and zstd.
fn byte_level_variants(
    d: &Path,
    packets: &[PcapPacket],
    name: &str,
) -> Vec<(String, PathBuf, i64)> {
    let mut variants = Vec::new();
    // Modified pcap: magic a1b2cd34 and 24-byte record headers.
    let modified = d.join("modified.pcap");
    {
        let mut f = std::fs::File::create(&modified).unwrap();
        let mut h = Vec::new();
        h.extend_from_slice(&0xa1b2cd34u32.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&[0; 8]);
        h.extend_from_slice(&65535u32.to_le_bytes());
        h.extend_from_slice(&1u32.to_le_bytes());
        for p in packets {
            h.extend_from_slice(&(p.timestamp.as_secs() as u32).to_le_bytes());
            h.extend_from_slice(&(p.timestamp.subsec_micros()).to_le_bytes());
            h.extend_from_slice(&(p.data.len() as u32).to_le_bytes());
            h.extend_from_slice(&p.orig_len.to_le_bytes());
            h.extend_from_slice(&[1, 0, 0, 0, 0x08, 0x00, 0, 0]);
            h.extend_from_slice(&p.data);
        }
        f.write_all(&h).unwrap();
    }
    variants.push(("modified pcap".into(), modified, 0));

    let gz = d.join("s7.pcap.gz");
    {
        let mut e = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::fast(),
        );
        e.write_all(&std::fs::read(fixture(name)).unwrap()).unwrap();
        e.finish().unwrap();
    }
    variants.push(("gzip pcap".into(), gz, 0));

    let zst = d.join("s7.bin"); // no telling extension: detection is by magic number
    std::fs::write(
        &zst,
        zstd::encode_all(&std::fs::read(fixture(name)).unwrap()[..], 3).unwrap(),
    )
    .unwrap();
    variants.push(("zstd pcap".into(), zst, 0));

    variants
}

#[test]
fn same_packets_give_same_rows_in_every_container() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let name = "s7comm-clean-15min.pcap";
    let (header, packets) = packets_of(name);
    assert_eq!(header.datalink, DataLink::ETHERNET);

    let base_out = d.join("base.parquet");
    preprocess(&fixture(name), &base_out).success();
    let base = read_parquet(&base_out);
    assert_eq!(base.height(), 5447);

    let mut variants: Vec<(String, PathBuf, i64)> = Vec::new(); // (label, file, link header delta)

    let ns = d.join("ns.pcap");
    write_pcap(
        &ns,
        PcapHeader {
            ts_resolution: TsResolution::NanoSecond,
            ..header
        },
        &packets,
    );
    variants.push(("ns pcap".into(), ns, 0));

    let be = d.join("be.pcap");
    write_pcap(
        &be,
        PcapHeader {
            endianness: Endianness::Big,
            ..header
        },
        &packets,
    );
    variants.push(("big-endian pcap".into(), be, 0));

    let sll = d.join("sll.pcap");
    write_pcap(
        &sll,
        PcapHeader {
            datalink: DataLink::LINUX_SLL,
            ..header
        },
        &relinked(&packets, to_sll),
    );
    variants.push(("Linux SLL".into(), sll, 2));

    let sll2 = d.join("sll2.pcap");
    write_pcap(
        &sll2,
        PcapHeader {
            datalink: DataLink::LINUX_SLL2,
            ..header
        },
        &relinked(&packets, to_sll2),
    );
    variants.push(("Linux SLL2".into(), sll2, 6));

    let qinq = d.join("qinq.pcap");
    write_pcap(&qinq, header, &relinked(&packets, to_qinq));
    variants.push(("QinQ".into(), qinq, 8));

    let mpls = d.join("mpls.pcap");
    write_pcap(&mpls, header, &relinked(&packets, to_mpls));
    variants.push(("MPLS".into(), mpls, 8));

    variants.extend(pcapng_variants(d, &packets));
    variants.extend(byte_level_variants(d, &packets, name));

    let sizes = ["Wire Size (bytes)", "Captured Size (bytes)"];
    for (label, file, delta) in variants {
        let out = d.join(format!("{label}.parquet"));
        preprocess(&file, &out).success();
        let df = read_parquet(&out);
        assert_eq!(
            frame_without(&df, &sizes),
            frame_without(&base, &sizes),
            "{label}: rows differ"
        );
        for col in sizes {
            let a = df.column(col).unwrap().cast(&DataType::Int64).unwrap();
            let b = base.column(col).unwrap().cast(&DataType::Int64).unwrap();
            let shifted = b.as_materialized_series() + delta;
            assert!(
                a.as_materialized_series().equals(&shifted),
                "{label}: {col} not shifted by {delta}"
            );
        }
    }
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("zeek-echo-connections.pcap.gz");
    let one = dir.path().join("one.parquet");
    let two = dir.path().join("two.parquet");
    ntp()
        .args(["preprocess", "-q", "-j", "1"])
        .arg(&input)
        .arg("-o")
        .arg(&one)
        .assert()
        .success();
    ntp()
        .args(["preprocess", "-q", "-j", "2"])
        .arg(&input)
        .arg("-o")
        .arg(&two)
        .assert()
        .success();
    assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());
}

#[test]
fn directory_output_and_combined_output() {
    let dir = tempfile::tempdir().unwrap();
    let a = fixture("arkime-bigendian.pcap");
    let b = fixture("tcpdump-pptp-BE.pcap");
    let out_dir = dir.path().join("per-file/");
    ntp()
        .args(["preprocess", "-q"])
        .arg(&a)
        .arg(&b)
        .arg("-o")
        .arg(&out_dir)
        .assert()
        .success();
    assert_eq!(
        listing(&out_dir),
        vec!["arkime-bigendian.parquet", "tcpdump-pptp-BE.parquet"]
    );
    let combined = dir.path().join("both.parquet");
    ntp()
        .args(["preprocess", "-q"])
        .arg(&a)
        .arg(&b)
        .arg("-o")
        .arg(&combined)
        .assert()
        .success();
    let df = read_parquet(&combined);
    assert_eq!(df.height(), 2 + 23);
}

#[test]
fn summary_names_counts_and_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.parquet");
    let assert = ntp()
        .arg("preprocess")
        .arg(fixture("lan-broadcast-28min-ns.pcapng"))
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("packets 5898"), "{stderr}");
    assert!(stderr.contains("IP kept 4088"), "{stderr}");
    assert!(stderr.contains("non-IP 1810"), "{stderr}");
    let quiet = ntp()
        .args(["preprocess", "-q"])
        .arg(fixture("lan-broadcast-28min-ns.pcapng"))
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    assert!(quiet.get_output().stderr.is_empty());
}

// ---- bad input -------------------------------------------------------------------------

fn assert_one_line_error(assert: &assert_cmd::assert::Assert, file: &Path, needle: &str) {
    let out = assert.get_output();
    assert!(!out.status.success(), "expected failure");
    assert_ne!(out.status.code(), Some(101), "panicked");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "one error line expected: {stderr}");
    assert!(
        errors[0].contains(&file.display().to_string()),
        "error does not name the file: {stderr}"
    );
    assert!(
        errors[0].contains(needle),
        "error does not say {needle:?}: {stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn not_a_capture_is_one_clear_error_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("notes.pcap");
    std::fs::write(&bad, "these are not packets\n").unwrap();
    let out = dir.path().join("out/");
    let a = ntp()
        .arg("preprocess")
        .arg(&bad)
        .arg("-o")
        .arg(&out)
        .assert();
    assert_one_line_error(&a, &bad, "unknown magic number 0x74686573 at byte offset 0");
    assert!(listing(&out).is_empty(), "left {:?}", listing(&out));

    let gz = dir.path().join("notes.gz");
    let mut e = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    e.write_all(b"these are not packets either").unwrap();
    e.finish().unwrap();
    let a = ntp()
        .arg("preprocess")
        .arg(&gz)
        .arg("-o")
        .arg(&out)
        .assert();
    assert_one_line_error(&a, &gz, "inside the gzip stream");
}

#[test]
fn empty_file_and_header_only_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out/");
    let empty = dir.path().join("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    assert_one_line_error(
        &ntp()
            .arg("preprocess")
            .arg(&empty)
            .arg("-o")
            .arg(&out)
            .assert(),
        &empty,
        "empty file",
    );

    let short = dir.path().join("short.pcap");
    std::fs::write(
        &short,
        &std::fs::read(fixture("arkime-v6.pcap")).unwrap()[..10],
    )
    .unwrap();
    assert_one_line_error(
        &ntp()
            .arg("preprocess")
            .arg(&short)
            .arg("-o")
            .arg(&out)
            .assert(),
        &short,
        "24-byte pcap header",
    );

    let none = dir.path().join("nopackets.pcap");
    std::fs::write(
        &none,
        &std::fs::read(fixture("arkime-v6.pcap")).unwrap()[..24],
    )
    .unwrap();
    assert_one_line_error(
        &ntp()
            .arg("preprocess")
            .arg(&none)
            .arg("-o")
            .arg(&out)
            .assert(),
        &none,
        "no usable packets",
    );
    assert!(listing(&out).is_empty(), "left {:?}", listing(&out));
}

#[test]
fn unsupported_link_type_is_counted_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture("tcpdump-unsupported-linktype-160.pcap");
    let a = ntp()
        .arg("preprocess")
        .arg(&f)
        .arg("-o")
        .arg(dir.path())
        .assert();
    assert_one_line_error(&a, &f, "link types 160: 1");
}

/// Byte offsets of the records of a little-endian µs pcap.
fn record_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut v = Vec::new();
    let mut pos = 24;
    while pos + 16 <= bytes.len() {
        v.push(pos);
        let caplen = u32::from_le_bytes(bytes[pos + 8..pos + 12].try_into().unwrap()) as usize;
        pos += 16 + caplen;
    }
    v
}

#[test]
fn truncated_final_record_keeps_the_packets_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture("s7comm-clean-15min.pcap")).unwrap();
    let offsets = record_offsets(&bytes);
    let last = *offsets.last().unwrap();
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..last + 16 + 5]).unwrap();
    let out = dir.path().join("cut.parquet");
    let a = ntp()
        .arg("preprocess")
        .arg(&cut)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    let warning = stderr
        .lines()
        .find(|l| l.starts_with("warning:"))
        .unwrap_or_else(|| panic!("no warning: {stderr}"));
    assert!(warning.contains(&cut.display().to_string()), "{warning}");
    assert!(
        warning.contains(&format!("byte offset {last}")),
        "{warning}"
    );
    assert!(warning.contains("truncated final record"), "{warning}");
    assert_eq!(read_parquet(&out).height(), 5446);
}

#[test]
fn corrupt_record_length_stops_there_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(fixture("s7comm-clean-15min.pcap")).unwrap();
    let offsets = record_offsets(&bytes);
    let at = offsets[100];
    bytes[at + 8..at + 12].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    let bad = dir.path().join("corrupt.pcap");
    std::fs::write(&bad, &bytes).unwrap();
    let out = dir.path().join("corrupt.parquet");
    let a = ntp()
        .arg("preprocess")
        .arg(&bad)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(stderr.contains(&format!("byte offset {at}")), "{stderr}");
    assert!(stderr.contains("record length 2147483632"), "{stderr}");
    assert_eq!(read_parquet(&out).height(), 100);

    // Corrupt from the very first record: nothing usable, an error, no output.
    bytes[24 + 8..24 + 12].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    std::fs::write(&bad, &bytes).unwrap();
    let out2 = dir.path().join("first.parquet");
    let a = ntp()
        .arg("preprocess")
        .arg(&bad)
        .arg("-o")
        .arg(&out2)
        .assert();
    assert_one_line_error(&a, &bad, "no usable packets");
    assert!(!out2.exists());
}

#[test]
fn missing_input_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.pcap");
    let a = ntp()
        .arg("preprocess")
        .arg(&missing)
        .arg("-o")
        .arg(dir.path())
        .assert();
    assert_one_line_error(&a, &missing, "No such file");
}

/// A pcapng block: type, length, body (padded to 4 bytes), length again (little-endian).
pub fn pcapng_block(block_type: u32, body: &[u8]) -> Vec<u8> {
    let mut body = body.to_vec();
    while body.len() % 4 != 0 {
        body.push(0);
    }
    let len = (body.len() + 12) as u32;
    let mut b = Vec::new();
    b.extend(block_type.to_le_bytes());
    b.extend(len.to_le_bytes());
    b.extend(body);
    b.extend(len.to_le_bytes());
    b
}

/// A little-endian section header block (version 1.0, section length unknown).
pub fn pcapng_shb() -> Vec<u8> {
    pcapng_block(
        0x0A0D_0D0A,
        &[
            0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ],
    )
}

/// The fixed fields and padded data of a packet block on interface 0 — an enhanced block
/// (interface as u32) or an obsolete one (interface u16 + drops u16: the same zero bytes);
/// options may follow.
pub fn pcapng_packet_body(ticks: u64, data: &[u8], orig_len: u32) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(0u32.to_le_bytes());
    body.extend(((ticks >> 32) as u32).to_le_bytes());
    body.extend((ticks as u32).to_le_bytes());
    body.extend((data.len() as u32).to_le_bytes());
    body.extend(orig_len.to_le_bytes());
    body.extend(data);
    while body.len() % 4 != 0 {
        body.push(0);
    }
    body
}

/// An option: code, length, value padded to 4 bytes.
pub fn pcapng_option(code: u16, value: &[u8]) -> Vec<u8> {
    let mut o = Vec::new();
    o.extend(code.to_le_bytes());
    o.extend((value.len() as u16).to_le_bytes());
    o.extend(value);
    while o.len() % 4 != 0 {
        o.push(0);
    }
    o
}

#[test]
fn pcapng_options_that_are_not_utf8_do_not_drop_packets() {
    // The s7comm capture's packets, each in an enhanced packet block carrying a comment
    // that is not UTF-8 (as Wireshark writes them), behind an interface whose name is not
    // UTF-8 either; one obsolete packet block (type 2) at the end.
    let mut r =
        PcapReader::new(std::fs::File::open(fixture("s7comm-clean-15min.pcap")).unwrap()).unwrap();
    let mut file = pcapng_shb();
    let mut idb = vec![1, 0, 0, 0, 0, 0, 4, 0]; // Ethernet, snaplen 262144
    idb.extend(pcapng_option(2, b"eth\xff\xfe0"));
    idb.extend(pcapng_option(9, &[6]));
    idb.extend(pcapng_option(0, &[]));
    file.extend(pcapng_block(1, &idb));
    let mut n = 0u64;
    let mut last = None;
    while let Some(p) = r.next_packet() {
        let p = p.unwrap();
        let us = p.timestamp.as_micros() as u64;
        let mut body = pcapng_packet_body(us, &p.data, p.orig_len);
        body.extend(pcapng_option(1, b"caf\xe9 \x80 not utf-8"));
        body.extend(pcapng_option(0, &[]));
        file.extend(pcapng_block(6, &body));
        n += 1;
        last = Some((us, p.data.to_vec(), p.orig_len));
    }
    let (us, data, orig) = last.unwrap();
    let opb = pcapng_packet_body(us, &data, orig);
    file.extend(pcapng_block(2, &opb));
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("comments.pcapng");
    std::fs::write(&src, &file).unwrap();
    let out = dir.path().join("c.parquet");
    let a = ntp()
        .arg("preprocess")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        stderr.contains(&format!("packets {} · IP kept {}", n + 1, n + 1)),
        "{stderr}"
    );
    assert!(stderr.contains("malformed 0"), "{stderr}");
    // Same rows as the original capture, plus the repeated last packet.
    let original = dir.path().join("o.parquet");
    preprocess(&fixture("s7comm-clean-15min.pcap"), &original).success();
    let (a, b) = (
        per_second(&read_parquet(&out)),
        per_second(&read_parquet(&original)),
    );
    let extra: u64 = a.values().map(|v| v[0]).sum::<u64>() - b.values().map(|v| v[0]).sum::<u64>();
    assert_eq!(extra, 1);
}
