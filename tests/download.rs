//! `ntp download` against a real HTTP server on 127.0.0.1 started by the test, serving a
//! real gzip capture from tests/data: full download, resume after a dropped connection,
//! a server that ignores Range, 404, --extract, checksums, skipping complete files.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::util::*;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Honours Range with 206.
    Normal,
    /// The first response is cut half-way; later ones honour Range.
    DropThenRange,
    /// The first response is cut half-way; Range is ignored (always 200, full body).
    DropThenIgnoreRange,
    /// Every response announces the whole body and sends half of it.
    AlwaysShort,
    /// 200 with an HTML page, as a proxy or a moved site answers.
    Html,
    /// The first response sends half the body, then stays silent; later ones honour Range.
    StallThenRange,
    /// The first connection gets no answer at all; later ones are normal.
    StallHeaders,
    /// The first response is cut; a Range request is answered from byte 0 with a 206.
    DropThenWrongRange,
}

struct Server {
    port: u16,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<String>>>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

const PATH: &str = "/mawi/samplepoint-F/2007/200701251400.dump.gz";

/// Serves `body` at PATH (404 elsewhere) until dropped, at most 30 s and 50 connections.
fn serve(body: Vec<u8>, mode: Mode) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (stop2, req2) = (stop.clone(), requests.clone());
    let served = AtomicUsize::new(0);
    let body = Arc::new(body);
    let handle = std::thread::spawn(move || {
        let started = Instant::now();
        while !stop2.load(Ordering::SeqCst)
            && started.elapsed() < Duration::from_secs(30)
            && served.load(Ordering::SeqCst) < 50
        {
            match listener.accept() {
                Ok((stream, _)) => {
                    // A connection of its own: a stalling answer must not hold the next.
                    let n = served.fetch_add(1, Ordering::SeqCst);
                    let (body, log) = (body.clone(), req2.clone());
                    std::thread::spawn(move || handle(stream, &body, mode, n, &log));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    });
    Server {
        port,
        stop,
        requests,
        handle: Some(handle),
    }
}

fn handle(stream: TcpStream, body: &[u8], mode: Mode, n: usize, log: &Mutex<Vec<String>>) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_string();
    let mut range: Option<u64> = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("range: bytes=") {
            range = v.trim().trim_end_matches('-').parse().ok();
        }
    }
    log.lock().unwrap().push(format!("{path} range={range:?}"));
    let mut out = stream;
    let stall = || std::thread::sleep(Duration::from_secs(8));
    if mode == Mode::StallHeaders && n == 0 {
        return stall();
    }
    if mode == Mode::Html && path == PATH {
        let page = b"<!DOCTYPE html><html><body>This page has moved.</body></html>";
        let _ = out.write_all(
            format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", page.len()).as_bytes(),
        );
        let _ = out.write_all(page);
        return;
    }
    if path != PATH {
        let _ = out.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
        );
        return;
    }
    let honour_range = matches!(
        mode,
        Mode::Normal | Mode::DropThenRange | Mode::StallThenRange | Mode::StallHeaders
    );
    let (status, start) = match range {
        Some(r) if honour_range && (r as usize) < body.len() => ("206 Partial Content", r as usize),
        Some(_) if mode == Mode::DropThenWrongRange => ("206 Partial Content", 0),
        _ => ("200 OK", 0),
    };
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len() - start
    );
    if status.starts_with("206") {
        head.push_str(&format!(
            "Content-Range: bytes {start}-{}/{}\r\n",
            body.len() - 1,
            body.len()
        ));
    }
    head.push_str("\r\n");
    let _ = out.write_all(head.as_bytes());
    let cut = (n == 0 && mode != Mode::Normal) || mode == Mode::AlwaysShort;
    let end = if cut { body.len() / 2 } else { body.len() };
    let _ = out.write_all(&body[start..end]);
    let _ = out.flush();
    if mode == Mode::StallThenRange && n == 0 {
        stall();
    }
    // Dropping the stream closes the connection (mid-body when cut).
}

fn source() -> Vec<u8> {
    std::fs::read(fixture("zeek-echo-connections.pcap.gz")).unwrap()
}

fn url(s: &Server) -> String {
    format!("http://127.0.0.1:{}{PATH}", s.port)
}

fn markdown_with(dir: &Path, text: &str) -> std::path::PathBuf {
    let md = dir.join("sources.md");
    std::fs::write(&md, text).unwrap();
    md
}

/// `ntp download SOURCE -o OUT`.
fn download(source: impl AsRef<std::ffi::OsStr>, out: &Path) -> assert_cmd::Command {
    let mut c = ntp();
    c.arg("download").arg(source).arg("-o").arg(out);
    c
}

#[test]
fn full_download_from_markdown_then_skip_on_rerun() {
    let server = serve(source(), Mode::Normal);
    let dir = tempfile::tempdir().unwrap();
    let md = markdown_with(
        dir.path(),
        &format!("# traces\n\n- [trace]({}) 15 minutes\n", url(&server)),
    );
    let out = dir.path().join("data");
    download(&md, &out).arg("-q").assert().success();
    assert_eq!(
        std::fs::read(out.join("200701251400.dump.gz")).unwrap(),
        source()
    );
    assert_eq!(listing(&out), vec!["200701251400.dump.gz"]);
    let before = server.requests.lock().unwrap().len();
    let a = download(&md, &out).assert().success();
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("already complete"));
    assert_eq!(
        server.requests.lock().unwrap().len(),
        before,
        "a complete file is not fetched again"
    );
}

#[test]
fn dropped_connection_is_resumed_with_range() {
    let (server, _dir, out) = fetch_after_a_dropped_connection(Mode::DropThenRange);
    let reqs = server.requests.lock().unwrap().clone();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert_eq!(
        reqs[1],
        format!("{PATH} range=Some({})", source().len() / 2)
    );
    assert_eq!(listing(&out), vec!["200701251400.dump.gz"], "no .part left");
}

#[test]
fn server_ignoring_range_restarts_cleanly() {
    fetch_after_a_dropped_connection(Mode::DropThenIgnoreRange);
}

/// Downloads from a server that drops the first connection halfway, then answers as
/// `mode` says; checks the file is the source, byte for byte.
fn fetch_after_a_dropped_connection(mode: Mode) -> (Server, tempfile::TempDir, PathBuf) {
    let server = serve(source(), mode);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data");
    download(url(&server), &out)
        .args(["-q", "--retries", "2"])
        .assert()
        .success();
    assert_eq!(
        std::fs::read(out.join("200701251400.dump.gz")).unwrap(),
        source(),
        "downloaded file is byte-identical"
    );
    (server, dir, out)
}

#[test]
fn not_found_is_a_clear_error_and_leaves_nothing() {
    let server = serve(source(), Mode::Normal);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data");
    let missing = format!(
        "http://127.0.0.1:{}/mawi/samplepoint-F/2007/200701011800.dump.gz",
        server.port
    );
    let a = ntp()
        .arg("download")
        .arg(&missing)
        .arg(url(&server))
        .arg("-o")
        .arg(&out)
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    let err = stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(err.contains(&missing) && err.contains("HTTP 404"), "{err}");
    assert_eq!(
        listing(&out),
        vec!["200701251400.dump.gz"],
        "the other transfer went on; nothing left of the 404"
    );
}

#[test]
fn extract_gives_the_original_capture() {
    let server = serve(source(), Mode::Normal);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data");
    download(url(&server), &out)
        .args(["-q", "--extract"])
        .assert()
        .success();
    let mut original = Vec::new();
    flate2::read::MultiGzDecoder::new(&source()[..])
        .read_to_end(&mut original)
        .unwrap();
    assert_eq!(
        std::fs::read(out.join("200701251400.dump")).unwrap(),
        original
    );
    assert!(out.join("200701251400.dump.gz").exists());
}

#[test]
fn checksum_mismatch_is_rejected() {
    let server = serve(source(), Mode::Normal);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data");
    let wrong = "0".repeat(64);
    let md = markdown_with(
        dir.path(),
        &format!(
            "{}\n\n```\n{wrong}  200701251400.dump.gz\n```\n",
            url(&server)
        ),
    );
    let a = download(&md, &out).assert().failure();
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("SHA-256 mismatch"));
    assert!(listing(&out).is_empty(), "{:?}", listing(&out));

    use sha2::Digest;
    let right: String = sha2::Sha256::digest(source())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    ntp()
        .arg("download")
        .arg(url(&server))
        .arg("--sha256")
        .arg(&right)
        .arg("-o")
        .arg(&out)
        .arg("-q")
        .assert()
        .success();
}

#[test]
fn shipped_data_sources_list_the_study_traces() {
    let a = ntp()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["download", "--list"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        vec![
            "http://mawi.wide.ad.jp/mawi/samplepoint-F/2007/200701251400.dump.gz",
            "http://mawi.wide.ad.jp/mawi/samplepoint-F/2007/200701011800.dump.gz",
        ]
    );
    let a = ntp()
        .args([
            "download",
            "--list",
            "--mawi",
            "20070125",
            "--mawi",
            "202301011400",
        ])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        vec![
            "http://mawi.wide.ad.jp/mawi/samplepoint-F/2007/200701251400.dump.gz",
            "http://mawi.wide.ad.jp/mawi/samplepoint-F/2023/202301011400.pcap.gz",
        ]
    );
}

#[test]
fn stalled_servers_are_abandoned_after_the_idle_timeout_and_resumed() {
    for mode in [Mode::StallThenRange, Mode::StallHeaders] {
        let server = serve(source(), mode);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("data");
        let started = Instant::now();
        download(url(&server), &out)
            .args(["-q", "--retries", "2", "--timeout", "1"])
            .timeout(Duration::from_secs(25))
            .assert()
            .success();
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "waited for the stall"
        );
        assert_eq!(
            std::fs::read(out.join("200701251400.dump.gz")).unwrap(),
            source()
        );
    }
}

#[test]
fn short_bodies_and_html_pages_are_never_saved_as_complete() {
    for (mode, needle) in [(Mode::AlwaysShort, "bytes"), (Mode::Html, "HTML")] {
        let server = serve(source(), mode);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("data");
        let a = download(url(&server), &out)
            .args(["--retries", "1"])
            .assert()
            .failure();
        let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(stderr.contains(needle), "{stderr}");
        assert!(
            !out.join("200701251400.dump.gz").exists(),
            "{:?}",
            listing(&out)
        );
    }
}

#[test]
fn a_wrong_content_range_restarts_cleanly_and_a_rerun_rechecks_what_it_skips() {
    let server = serve(source(), Mode::DropThenWrongRange);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data");
    download(url(&server), &out)
        .args(["-q", "--retries", "3"])
        .assert()
        .success();
    let name = out.join("200701251400.dump.gz");
    assert_eq!(
        std::fs::read(&name).unwrap(),
        source(),
        "no bytes appended at a wrong offset"
    );
    // A bad file under the final name (an earlier tool's HTML page) is fetched again.
    std::fs::write(&name, "<html>oops</html>").unwrap();
    let good = serve(source(), Mode::Normal);
    download(url(&good), &out).arg("-q").assert().success();
    assert_eq!(std::fs::read(&name).unwrap(), source());
}
