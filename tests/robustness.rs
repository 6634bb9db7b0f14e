//! Inputs built to break ntp or exhaust the machine: each test builds its own input.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::util::*;

/// Runs ntp with `args`; returns (exit code, stderr, peak RSS in MB of the child).
///
/// The kernel's `ru_maxrss` of a child started by `posix_spawn` (vfork) also holds the
/// peak of this test process, whose memory the child shared until its exec: when the
/// child's figure does not exceed this process's own peak, the child's own high-water mark
/// (`VmHWM`, read from /proc every 2 ms while it runs) is taken instead.
fn run_measured(args: &[&std::ffi::OsStr]) -> (i32, String, f64) {
    let own_peak = || {
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
        u.ru_maxrss as f64 / 1024.0
    };
    let bin = assert_cmd::cargo::cargo_bin("ntp");
    #[allow(clippy::zombie_processes)] // reaped by wait4 below
    let mut child = Command::new(bin)
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poller = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut peak_kb = 0u64;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
                    break;
                };
                let hwm = status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok());
                match hwm {
                    Some(kb) => peak_kb = peak_kb.max(kb),
                    None => break, // exited: a zombie has no memory
                }
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            peak_kb as f64 / 1024.0
        })
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    assert!(waited > 0);
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let polled = poller.join().unwrap();
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    let reported = usage.ru_maxrss as f64 / 1024.0;
    let mb = if reported > own_peak() {
        reported
    } else {
        polled
    };
    (code, stderr, mb)
}

/// A gzip pcap whose header claims snaplen 0xFFFFFFFF and whose record claims 0xFFFFFFF0
/// bytes, followed by 4 MiB of zeros; with `valid_first`, one real packet comes first.
fn claimed_length_capture(dest: &Path, valid_first: bool) {
    let mut raw = Vec::new();
    raw.extend([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]);
    raw.extend([0u8; 8]);
    raw.extend(0xFFFF_FFFFu32.to_le_bytes());
    raw.extend(1u32.to_le_bytes());
    if valid_first {
        // 14-byte Ethernet + 20-byte IPv4 header (UDP, total length 28) + 8 bytes UDP.
        let mut frame = vec![0u8; 12];
        frame.extend([0x08, 0x00, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0]);
        frame.extend([10, 0, 0, 1, 10, 0, 0, 2, 0, 53, 0, 53, 0, 8, 0, 0]);
        raw.extend(1_600_000_000u32.to_le_bytes());
        raw.extend(0u32.to_le_bytes());
        raw.extend((frame.len() as u32).to_le_bytes());
        raw.extend((frame.len() as u32).to_le_bytes());
        raw.extend(frame);
    }
    raw.extend(1_600_000_001u32.to_le_bytes());
    raw.extend(0u32.to_le_bytes());
    raw.extend(0xFFFF_FFF0u32.to_le_bytes());
    raw.extend(0xFFFF_FFF0u32.to_le_bytes());
    raw.extend(vec![0u8; 4 << 20]);
    let mut e = flate2::write::GzEncoder::new(
        std::fs::File::create(dest).unwrap(),
        flate2::Compression::default(),
    );
    e.write_all(&raw).unwrap();
    e.finish().unwrap();
}

#[test]
fn a_claimed_record_length_does_not_drive_memory() {
    let dir = tempfile::tempdir().unwrap();
    for (valid_first, code) in [(false, 1), (true, 0)] {
        let cap = dir.path().join(format!("claim-{valid_first}.pcap.gz"));
        claimed_length_capture(&cap, valid_first);
        for cmd in ["preprocess", "aggregate"] {
            let out = dir.path().join(format!("{cmd}-{valid_first}.parquet"));
            let (got, stderr, mb) = run_measured(&[
                cmd.as_ref(),
                cap.as_os_str(),
                "-o".as_ref(),
                out.as_os_str(),
            ]);
            assert_eq!(got, code, "{cmd} {valid_first}: {stderr}");
            assert!(mb < 300.0, "{cmd} {valid_first}: peak RSS {mb:.0} MB");
            assert!(
                stderr.contains("record length 4294967280 is larger than any real packet"),
                "{cmd}: {stderr}"
            );
        }
    }
}

/// A per-packet dataset with the given nanosecond time stamps (60-byte TCP rows).
fn dataset_with_times(dest: &Path, ts: &[i64]) {
    use polars::prelude::*;
    let n = ts.len();
    let mut df = df!(
        "Timestamp" => ts,
        "Family" => vec!["IPv4"; n],
        "Source IP" => vec!["10.0.0.1"; n],
        "Destination IP" => vec!["10.0.0.2"; n],
        "Protocol" => vec![6u8; n],
        "Size (bytes)" => vec![60u32; n],
        "Wire Size (bytes)" => vec![74u32; n],
        "Captured Size (bytes)" => vec![74u32; n],
        "Source Port" => vec![1000u16; n],
        "Destination Port" => vec![80u16; n],
        "Type" => vec!["TCP"; n],
    )
    .unwrap();
    df.apply("Timestamp", |c| {
        c.cast(&DataType::Datetime(
            TimeUnit::Nanoseconds,
            Some(TimeZone::UTC),
        ))
        .unwrap()
    })
    .unwrap();
    ParquetWriter::new(std::fs::File::create(dest).unwrap())
        .finish(&mut df)
        .unwrap();
}

#[test]
fn far_apart_or_extreme_time_stamps_are_one_clear_error_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let t = 1_600_000_000_000_000_000i64;
    let year = 365 * 86_400 * 1_000_000_000i64;
    let cases: Vec<(&str, Vec<i64>, Vec<&str>, &str)> = vec![
        (
            "max",
            vec![t, t + 1_000_000_000, i64::MAX],
            vec![],
            "end of the representable range",
        ),
        (
            "min",
            vec![i64::MIN + 1, t, t + 1],
            vec![],
            "end of the representable range",
        ),
        (
            "years",
            vec![t, t + 2 * year],
            vec![],
            "choose a larger --every",
        ),
        ("epoch", vec![0, t], vec![], "choose a larger --every"),
        (
            "fine",
            vec![t, t + 1_680 * 1_000_000_000],
            vec!["--every", "1ns"],
            "choose a larger --every",
        ),
    ];
    for (name, ts, extra, needle) in cases {
        let ds = dir.path().join(format!("{name}.parquet"));
        dataset_with_times(&ds, &ts);
        for cmd in ["analyze", "train"] {
            let out = dir.path().join(format!("out-{name}-{cmd}"));
            let mut args: Vec<&std::ffi::OsStr> =
                vec![cmd.as_ref(), ds.as_os_str(), "-o".as_ref(), out.as_os_str()];
            args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
            let (code, stderr, mb) = run_measured(&args);
            assert_eq!(code, 1, "{name} {cmd}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{name} {cmd}: {stderr}");
            assert!(stderr.contains(needle), "{name} {cmd}: {stderr}");
            assert!(mb < 500.0, "{name} {cmd}: peak RSS {mb:.0} MB");
            assert!(
                listing(&out).is_empty(),
                "{name} {cmd}: wrote {:?}",
                listing(&out)
            );
        }
    }
}

/// The first `n` records of a fixture pcap, whole (header included).
fn pcap_prefix(name: &str, n: usize) -> Vec<u8> {
    let bytes = std::fs::read(fixture(name)).unwrap();
    let mut at = 24;
    for _ in 0..n {
        let caplen = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + caplen;
    }
    bytes[..at].to_vec()
}

fn make_fifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

#[test]
fn pipes_and_stdin_are_read_as_streams() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(fixture("s7comm-clean-15min.pcap")).unwrap();
    // Standard input, as `tcpdump -w - | ntp aggregate - -o live.parquet`.
    let out = dir.path().join("live.parquet");
    ntp()
        .args(["aggregate", "-", "-o"])
        .arg(&out)
        .write_stdin(whole.clone())
        .assert()
        .success();
    let piped = read_parquet(&out);
    let file = dir.path().join("file.parquet");
    ntp()
        .args(["aggregate", "-q"])
        .arg(fixture("s7comm-clean-15min.pcap"))
        .arg("-o")
        .arg(&file)
        .assert()
        .success();
    assert!(piped.equals(&read_parquet(&file)));
    // A FIFO (what `<(cat a.pcap)` gives): its size says 0, yet it brings the packets.
    let fifo = dir.path().join("fifo.pcap");
    make_fifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, whole).unwrap())
    };
    let out = dir.path().join("fifo.parquet");
    let a = ntp()
        .arg("preprocess")
        .arg(&fifo)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    writer.join().unwrap();
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("packets 5447"));
}

/// `.tmp-` files in `dir`.
fn temporaries(dir: &Path) -> Vec<String> {
    listing(dir)
        .into_iter()
        .filter(|f| f.starts_with(".tmp-"))
        .collect()
}

#[test]
fn interrupts_remove_what_was_being_written_and_a_later_run_cleans_a_killed_one() {
    let dir = tempfile::tempdir().unwrap();
    for (signal, code) in [
        (libc::SIGINT, 130),
        (libc::SIGTERM, 143),
        (libc::SIGKILL, 137),
    ] {
        let fifo = dir.path().join(format!("live-{signal}.pcap"));
        make_fifo(&fifo);
        let out = dir.path().join("out");
        let bin = assert_cmd::cargo::cargo_bin("ntp");
        let mut child = Command::new(bin)
            .args(["preprocess", "-q"])
            .arg(&fifo)
            .arg("-o")
            .arg(out.join("live.parquet"))
            .spawn()
            .unwrap();
        // Packets arrive (more than the few 4 MiB chunks decoded per batch, so rows are
        // written); the capture stays open, as a live one does.
        let mut w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
        let records = pcap_prefix("s7comm-clean-15min.pcap", 5000);
        w.write_all(&records).unwrap();
        for _ in 0..60 {
            w.write_all(&records[24..]).unwrap();
        }
        let started = std::time::Instant::now();
        while temporaries(&out).is_empty() {
            assert!(
                started.elapsed().as_secs() < 20,
                "no temporary output appeared"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        let status = child.wait().unwrap();
        drop(w);
        let got = status.code().unwrap_or_else(|| {
            128 + std::os::unix::process::ExitStatusExt::signal(&status).unwrap()
        });
        assert_eq!(got, code, "signal {signal}");
        if signal == libc::SIGKILL {
            // Cannot be caught: the file stays until a later run writing the same name.
            assert_eq!(temporaries(&out).len(), 1);
            ntp()
                .args(["preprocess", "-q"])
                .arg(fixture("arkime-v6.pcap"))
                .arg("-o")
                .arg(out.join("live.parquet"))
                .assert()
                .success();
        }
        assert!(
            temporaries(&out).is_empty(),
            "signal {signal}: {:?}",
            listing(&out)
        );
        assert!(!out.join("live.parquet").exists() || signal == libc::SIGKILL);
    }
}

/// `ntp analyze FILE` must fail with one line containing `needle`, no polars wording.
fn analyze_fails_with(file: &Path, needle: &str) {
    let out = file.with_extension("out");
    let (code, stderr, _) = run_measured(&[
        "analyze".as_ref(),
        file.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(needle), "{stderr}");
    for internal in ["Utf8View", "'2i'", "SchemaMismatch", "panicked"] {
        assert!(!stderr.contains(internal), "{stderr}");
    }
}

#[test]
fn odd_per_packet_tables_get_plain_messages() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, mut df: DataFrame| {
        let p = dir.path().join(name);
        ParquetWriter::new(std::fs::File::create(&p).unwrap())
            .finish(&mut df)
            .unwrap();
        p
    };
    let base = |ts: Column| {
        let n = ts.len();
        DataFrame::new(
            n,
            vec![
                ts,
                Column::new("Size (bytes)".into(), vec![60u32; n]),
                Column::new("Type".into(), vec!["TCP"; n]),
            ],
        )
        .unwrap()
    };
    let ints = write(
        "int.parquet",
        base(Column::new("Timestamp".into(), vec![1i64, 2_000_000_000])),
    );
    analyze_fails_with(
        &ints,
        "column `Timestamp` holds plain integers, expected date-times",
    );
    let text = write(
        "text.parquet",
        base(Column::new("Timestamp".into(), vec!["a", "b"])),
    );
    analyze_fails_with(&text, "column `Timestamp` holds text, expected date-times");
    let dt = DataType::Datetime(TimeUnit::Nanoseconds, Some(TimeZone::UTC));
    let nulls = Column::new(
        "Timestamp".into(),
        vec![Some(1_000_000_000i64), None, Some(3_000_000_000)],
    )
    .cast(&dt)
    .unwrap();
    analyze_fails_with(
        &write("nullts.parquet", base(nulls)),
        "1 of 3 rows have no `Timestamp`",
    );
    let ts = Column::new("Timestamp".into(), vec![1_000_000_000i64, 3_000_000_000])
        .cast(&dt)
        .unwrap();
    let no_size = DataFrame::new(
        2,
        vec![
            ts,
            Column::new("Size (bytes)".into(), vec![None::<u32>, None]),
            Column::new("Type".into(), vec!["TCP"; 2]),
        ],
    )
    .unwrap();
    analyze_fails_with(
        &write("nosize.parquet", no_size),
        "2 of 2 rows have no `Size (bytes)`",
    );
}

/// A model trained on the s7comm capture (look-back 5, one epoch, `extra` options), and a
/// function that rewrites `from` to `to` in its card, runs `ntp predict` with it and returns
/// the one-line error and the peak memory (MB), checking exit code 1.
fn edited_card_runs(dir: &Path, extra: &[&str]) -> impl Fn(&str, &str) -> (String, f64) {
    let (model, card, ds) = trained(dir, extra);
    let good = std::fs::read_to_string(&card).unwrap();
    let predictions = dir.join("p");
    move |from: &str, to: &str| {
        assert!(good.contains(from), "{good}");
        std::fs::write(&card, good.replace(from, to)).unwrap();
        let (code, stderr, mb) = run_measured(&[
            "predict".as_ref(),
            model.as_os_str(),
            ds.as_os_str(),
            "-o".as_ref(),
            predictions.as_os_str(),
        ]);
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        (stderr, mb)
    }
}

#[test]
fn impossible_model_cards_are_one_line_naming_the_card() {
    let dir = tempfile::tempdir().unwrap();
    let predict_with = edited_card_runs(dir.path(), &[]);
    for (from, to, needle) in [
        ("\"look_back\": 5", "\"look_back\": 0", "`look_back` is 0"),
        ("\"horizon\": 1", "\"horizon\": 0", "`horizon` is 0"),
        (
            "\"every\": \"1s\"",
            "\"every\": \"abc\"",
            "`every` is \"abc\", not a duration",
        ),
    ] {
        let (stderr, _) = predict_with(from, to);
        assert!(
            stderr.contains(needle) && stderr.contains(".json"),
            "{stderr}"
        );
    }
}

/// An N-HiTS card claiming a look-back whose matrices would not fit is refused before any
/// of them is built.
#[test]
fn an_mlp_card_cannot_claim_unbounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let predict_with = edited_card_runs(dir.path(), &["--model", "nhits", "--hidden", "8"]);
    for (from, to) in [
        ("\"look_back\": 5", "\"look_back\": 16000000"),
        ("\"horizon\": 1", "\"horizon\": 1000000"),
    ] {
        let (stderr, mb) = predict_with(from, to);
        assert!(stderr.contains("too large for N-HiTS"), "{stderr}");
        assert!(mb < 500.0, "{mb} MB");
    }
}

#[test]
fn a_huge_thread_count_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.parquet");
    let (code, stderr, mb) = run_measured(&[
        "preprocess".as_ref(),
        fixture("arkime-v6.pcap").as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "-j".as_ref(),
        "100000".as_ref(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(mb < 500.0, "peak RSS {mb:.0} MB");
}

#[test]
fn pcapng_times_beyond_the_nanosecond_range_are_counted_not_wrapped() {
    use crate::preprocess::{pcapng_block, pcapng_option, pcapng_packet_body, pcapng_shb};
    let mut file = pcapng_shb();
    let mut idb = vec![101, 0, 0, 0, 0, 0, 1, 0]; // raw IPv4, µs (default if_tsresol)
    idb.extend(pcapng_option(0, &[]));
    file.extend(pcapng_block(1, &idb));
    // A UDP packet: 20-byte IPv4 header + 8 bytes.
    let mut packet = vec![
        0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    packet.extend([0, 53, 0, 53, 0, 8, 0, 0]);
    let sane = 1_600_000_000u64 * 1_000_000;
    for ticks in [sane, (1u64 << 40) * 1_000_000, u64::MAX, sane + 1_000_000] {
        let body = pcapng_packet_body(ticks, &packet, packet.len() as u32);
        file.extend(pcapng_block(6, &body));
    }
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("far.pcapng");
    std::fs::write(&cap, &file).unwrap();
    let out = dir.path().join("far.parquet");
    let a = ntp()
        .arg("aggregate")
        .arg(&cap)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(stderr.contains("packets 4 · IP kept 2"), "{stderr}");
    assert!(
        stderr.contains("no usable time stamp or interface 2"),
        "{stderr}"
    );
    assert!(stderr.contains("series: 2 intervals of 1s"), "{stderr}");
}

#[test]
fn a_stray_packet_from_a_broken_clock_is_named_and_start_end_leave_it_out() {
    let dir = tempfile::tempdir().unwrap();
    // 100 real packets, the 50th stamped 1970-01-01 (ts_sec 0).
    let mut bytes = pcap_prefix("s7comm-clean-15min.pcap", 100);
    let mut at = 24;
    for _ in 0..49 {
        at += 16 + u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
    }
    bytes[at..at + 4].copy_from_slice(&0u32.to_le_bytes());
    let cap = dir.path().join("stray.pcap");
    std::fs::write(&cap, &bytes).unwrap();

    let out = dir.path().join("s.parquet");
    let (code, stderr, mb) = run_measured(&[
        "aggregate".as_ref(),
        cap.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(mb < 300.0);
    let line = stderr.lines().last().unwrap();
    for needle in [
        "1970-01-01T00:00:00.000Z",
        "choose a larger --every",
        "1 packets lie more than a day apart",
        "--start/--end",
    ] {
        assert!(line.contains(needle), "{needle}: {stderr}");
    }
    ntp()
        .arg("aggregate")
        .arg(&cap)
        .arg("-o")
        .arg(&out)
        .args(["--start", "2017-01-01"])
        .assert()
        .success()
        .stderr(predicates::str::contains("outside --start/--end 1"));
    let packets = read_parquet(&out)
        .column("packets")
        .unwrap()
        .u64()
        .unwrap()
        .clone();
    assert_eq!(packets.iter().flatten().sum::<u64>(), 99);

    // The per-packet road: the table keeps the stray, the series window leaves it out.
    let table = dir.path().join("t.parquet");
    ntp()
        .args(["preprocess", "-q"])
        .arg(&cap)
        .arg("-o")
        .arg(&table)
        .assert()
        .success();
    let a = dir.path().join("a");
    let (code, stderr, _) = run_measured(&[
        "analyze".as_ref(),
        table.as_os_str(),
        "-o".as_ref(),
        a.as_os_str(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("choose a larger --every"), "{stderr}");
    ntp()
        .args(["analyze", "-q", "--dpi", "40", "--start", "1496995000"])
        .arg(&table)
        .arg("-o")
        .arg(&a)
        .assert()
        .success();
}

#[test]
fn a_fifo_without_a_writer_leaves_nothing_and_stops_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("nobody.pcap");
    make_fifo(&fifo);
    let out = dir.path().join("out");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("ntp"))
        .args(["preprocess", "-q"])
        .arg(&fifo)
        .arg("-o")
        .arg(out.join("x.parquet"))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    assert!(listing(&out).is_empty(), "created {:?}", listing(&out));
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert!(listing(&out).is_empty(), "left {:?}", listing(&out));
}

#[test]
fn errors_about_an_output_name_the_path_given_not_the_temporary_one() {
    // /proc accepts no new files, even for root.
    let (code, stderr, _) = run_measured(&[
        "aggregate".as_ref(),
        fixture("arkime-v6.pcap").as_os_str(),
        "-o".as_ref(),
        "/proc/ntp-test.parquet".as_ref(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    // The series or the heavy-hitter file beside it, whichever is opened first.
    assert!(
        stderr.contains("/proc/ntp-test.parquet") || stderr.contains("/proc/ntp-test.top.parquet"),
        "{stderr}"
    );
    assert!(!stderr.contains(".tmp-"), "{stderr}");
}

/// A microsecond pcap of `n` UDP/IPv4 packets `step_s` seconds apart from 2024-01-01.
fn spaced_capture(path: &Path, n: u32, step_s: u32) {
    let mut b: Vec<u8> = Vec::with_capacity(24 + n as usize * 58);
    b.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&4u16.to_le_bytes());
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&65535u32.to_le_bytes());
    b.extend_from_slice(&1u32.to_le_bytes());
    for i in 0..n {
        let frame: Vec<u8> = [
            &[2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00][..],
            &[
                0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
            ],
            &[0x30, 0x39, 0, 53, 0, 8, 0, 0],
        ]
        .concat();
        b.extend_from_slice(&(1_704_067_200 + i * step_s).to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        b.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        b.extend_from_slice(&frame);
    }
    std::fs::write(path, b).unwrap();
}

/// A sparse capture at a fine interval is refused before its dense table is built.
#[test]
fn a_sparse_capture_at_a_fine_interval_is_refused_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("sparse.pcap");
    spaced_capture(&cap, 60_000, 9);
    let out = dir.path().join("s.parquet");
    let (code, stderr, mb) = run_measured(&[
        "aggregate".as_ref(),
        cap.as_os_str(),
        "--every".as_ref(),
        "100ms".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(mb < 1024.0, "{mb} MB");
    let line = stderr.lines().last().unwrap();
    assert!(
        line.contains("s.parquet") && line.contains("a larger --every"),
        "{stderr}"
    );
    assert!(!out.exists());
    // At a coarser interval the same capture is a series.
    let (code, stderr, _) = run_measured(&[
        "aggregate".as_ref(),
        cap.as_os_str(),
        "--every".as_ref(),
        "10s".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code, 0, "{stderr}");
}

/// Ten steady days are one capture, not a broken clock's strays.
#[test]
fn a_steady_ten_day_capture_raises_no_broken_clock_warning() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("steady.pcap");
    spaced_capture(&cap, 14_400, 60);
    for command in ["aggregate", "preprocess"] {
        let out = dir.path().join(format!("{command}.parquet"));
        let mut c = ntp();
        c.arg(command).arg(&cap).arg("-o").arg(&out);
        if command == "aggregate" {
            c.args(["--every", "1h"]);
        }
        let run = c.assert().success();
        let stderr = String::from_utf8_lossy(&run.get_output().stderr).to_string();
        assert!(!stderr.contains("broken clock"), "{command}: {stderr}");
    }
}

/// A model trained on the s7comm capture (one epoch) with `extra` options: (model, card,
/// dataset).
fn trained(
    dir: &Path,
    extra: &[&str],
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let ds = dataset(dir, "s7comm-clean-15min.pcap");
    let out = dir.join("m");
    ntp()
        .args([
            "train",
            "-q",
            "--look-back",
            "5",
            "--epochs",
            "1",
            "--dpi",
            "40",
        ])
        .args(extra)
        .arg(&ds)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let model = out.join("s7comm-clean-15min.best_model.e1.b32.safetensors");
    let card = model.with_extension("json");
    (model, card, ds)
}

/// Cards whose numbers give no finite forecast, and one with a level twice, are refused
/// on one line naming the card; a series near the largest number is refused naming it.
#[test]
fn predict_refuses_what_would_give_non_finite_forecasts_or_repeated_columns() {
    let dir = tempfile::tempdir().unwrap();
    let (model, card, ds) = trained(dir.path(), &[]);
    let good: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&card).unwrap()).unwrap();
    let predict = |input: &Path| {
        let out = ntp()
            .arg("predict")
            .arg(&model)
            .arg(input)
            .arg("-o")
            .arg(dir.path().join("p"))
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for (field, value, needle) in [
        (
            "scaler",
            serde_json::json!({"min": -1e308, "max": 1e308}),
            "`scaler`",
        ),
        (
            "scaler",
            serde_json::json!({"min": 0.0, "max": 1e-320}),
            "`scaler`",
        ),
        ("levels", serde_json::json!([0.8, 0.8]), "twice"),
    ] {
        let mut c = good.clone();
        c[field] = value;
        std::fs::write(&card, serde_json::to_string_pretty(&c).unwrap()).unwrap();
        let (ok, stderr) = predict(&ds);
        assert!(!ok, "{field}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains(needle) && stderr.contains(".json"),
            "{stderr}"
        );
    }
    std::fs::write(&card, serde_json::to_string_pretty(&good).unwrap()).unwrap();
    let huge = dir.path().join("huge.csv");
    let rows: String = (0..900)
        .map(|i| {
            format!(
                "{},{:e}\n",
                1_496_995_000 + i,
                1e308 * (1.0 + (i % 5) as f64 / 10.0)
            )
        })
        .collect();
    std::fs::write(&huge, format!("timestamp,value\n{rows}")).unwrap();
    let (ok, stderr) = predict(&huge);
    assert!(!ok);
    assert!(
        stderr.contains("huge.csv") && stderr.contains("rescale"),
        "{stderr}"
    );
}

/// A network that diverges is named, and enters no ensemble and no choice.
#[test]
fn a_diverging_network_is_said_and_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dataset(dir.path(), "s7comm-clean-15min.pcap");
    let out = dir.path().join("m");
    let run = ntp()
        .args([
            "train",
            "-q",
            "--look-back",
            "5",
            "--epochs",
            "2",
            "--seeds",
            "2",
            "--dpi",
            "40",
        ])
        .args(["--lr", "1e30"])
        .arg(&ds)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("diverged"), "{stderr}");
    if run.status.success() {
        let results = read_csv(&out.join("s7comm-clean-15min.mse_results.e2.b32.csv"));
        let huge = results
            .iter()
            .flat_map(|r| r.iter())
            .filter_map(|c| c.parse::<f64>().ok())
            .any(|v| v > 1e40);
        assert!(!huge, "no diverged error among the results");
    } else {
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("look-back 5, seed"), "{stderr}");
    }
}

/// Filled intervals are said by train and predict, even under --quiet.
#[test]
fn train_and_predict_say_what_was_filled() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("gappy.csv");
    let rows: String = (0..600)
        .filter(|i| !(300..320).contains(i))
        .map(|i| format!("{},{}\n", 1_704_067_200 + 60 * i, 100 + (i * 7919) % 23))
        .collect();
    std::fs::write(&csv, format!("timestamp,value\n{rows}")).unwrap();
    let out = dir.path().join("t");
    let run = ntp()
        .args([
            "train",
            "-q",
            "--look-back",
            "5",
            "--epochs",
            "1",
            "--dpi",
            "40",
        ])
        .arg(&csv)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).to_string();
    assert!(
        stderr.contains("20 of 600 intervals had no value"),
        "{stderr}"
    );
    let model = out.join("gappy.best_model.e1.b32.safetensors");
    let run = ntp()
        .args(["predict", "-q"])
        .arg(&model)
        .arg(&csv)
        .arg("-o")
        .arg(dir.path().join("p"))
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).to_string();
    assert!(
        stderr.contains("20 of 600 intervals had no value"),
        "{stderr}"
    );
}

/// A pipeline whose series is too short for a detector says detect was skipped.
#[test]
fn the_pipeline_says_skipped_for_a_detect_it_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let run = ntp()
        .args(["pipeline", "--no-train", "--dpi", "40"])
        .arg(fixture("tcpdump-tcp-handshake-nano-sll.pcap"))
        .arg("-o")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("detect skipped"), "{stderr}");
    assert!(!stderr.contains("detect done"), "{stderr}");
}

/// `analyze` of a 10 M-row CSV series stays under 1.5 GB (its ACF's transform once took
/// the whole series twice over: 2.4 GB).
#[test]
fn analyze_of_ten_million_rows_stays_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("long.csv");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
        writeln!(w, "timestamp,value").unwrap();
        for i in 0..10_000_000u64 {
            writeln!(
                w,
                "{},{}",
                1_704_067_200 + i,
                1000 + (i * 7919) % 97 + i % 86_400 / 900
            )
            .unwrap();
        }
    }
    let (code, stderr, mb) = run_measured(&[
        "analyze".as_ref(),
        "-q".as_ref(),
        "--dpi".as_ref(),
        "40".as_ref(),
        csv.as_os_str(),
        "-o".as_ref(),
        dir.path().join("a").as_os_str(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(mb < 1536.0, "{mb} MB");
}
