//! `ntp download`: fetches MAWI traffic-archive dumps named in markdown files.
//!
//! Each file goes to `DIR/NAME.part` and is renamed to `DIR/NAME` only when complete (its
//! size equal to what the server announced, its checksum right when one is known). A
//! re-run skips complete files and resumes `.part` files with an HTTP Range request (or
//! starts over when the server ignores Range). Connection errors and 5xx answers are
//! retried with exponential backoff; other transfers go on when one fails.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

pub mod targets;

pub use targets::Target;

use crate::error::{Error, Result};
use crate::util::atomic::TempFile;
use crate::util::progress::Progress;

/// Options of a download run.
#[derive(Clone, Debug)]
pub struct DownloadOptions {
    pub dir: PathBuf,
    pub jobs: usize,
    pub retries: u32,
    pub extract: bool,
    /// First retry delay (doubled each time).
    pub backoff: Duration,
    /// How long a server may stay silent (before its headers, or within the body) before
    /// the attempt is abandoned and retried.
    pub timeout: Duration,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        DownloadOptions {
            dir: PathBuf::from("data"),
            jobs: 4,
            retries: 3,
            extract: false,
            backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(60),
        }
    }
}

/// What happened to one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Downloaded,
    Resumed {
        from: u64,
    },
    /// Complete from an earlier run.
    Skipped,
    Failed(String),
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub target: Target,
    pub path: PathBuf,
    pub status: Status,
    pub bytes: u64,
    pub seconds: f64,
    pub extracted: Option<PathBuf>,
}

impl Outcome {
    pub fn failed(&self) -> bool {
        matches!(self.status, Status::Failed(_))
    }
}

/// A failed attempt: retried (connection, 5xx, short body) or final (404, bad checksum…).
enum Attempt {
    Retry(String),
    Fatal(String),
}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(20)))
        .timeout_recv_response(Some(timeout))
        .user_agent(concat!("ntp/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// From an answer's status and headers: (append to the `.part`?, total length if known).
fn plan(
    resp: &ureq::http::Response<ureq::Body>,
    have: u64,
    part: &Path,
) -> std::result::Result<(bool, Option<u64>), Attempt> {
    let status = resp.status().as_u16();
    Ok(match status {
        206 => {
            let range = resp
                .headers()
                .get("content-range")
                .and_then(|v| v.to_str().ok())
                .and_then(content_range);
            match range {
                Some((start, total)) if start == have => (true, total),
                other => {
                    // Appending at another offset would corrupt the file: start over.
                    let _ = std::fs::remove_file(part);
                    return Err(Attempt::Retry(format!(
                        "asked for bytes from {have}, the server sent {}; starting over",
                        match other {
                            Some((s, _)) => format!("bytes from {s}"),
                            None => "no usable Content-Range".into(),
                        }
                    )));
                }
            }
        }
        200 => (
            false,
            resp.headers()
                .get("content-length")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok()),
        ),
        416 => {
            // Our .part is no prefix the server recognises: start over.
            let _ = std::fs::remove_file(part);
            return Err(Attempt::Retry(
                "HTTP 416 for the resume range; starting over".into(),
            ));
        }
        500..=599 => return Err(Attempt::Retry(format!("HTTP {status}"))),
        _ => return Err(Attempt::Fatal(format!("HTTP {status}"))),
    })
}

/// One GET (ranged when a `.part` exists) streamed into the `.part` file.
fn attempt(
    agent: &ureq::Agent,
    t: &Target,
    part: &Path,
    bar: &indicatif::ProgressBar,
    idle: Duration,
) -> std::result::Result<u64, Attempt> {
    let have = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
    let mut req = agent.get(&t.url);
    if have > 0 {
        req = req.header("Range", format!("bytes={have}-"));
    }
    let resp = req.call().map_err(|e| Attempt::Retry(e.to_string()))?;
    let (append, expected) = plan(&resp, have, part)?;
    let mut file = if append {
        OpenOptions::new().append(true).open(part)
    } else {
        File::create(part)
    }
    .map_err(|e| Attempt::Fatal(format!("cannot write {}: {e}", part.display())))?;
    let start = if append { have } else { 0 };
    if let Some(total) = expected {
        bar.set_length(total);
    }
    bar.set_position(start);
    let body = idle_guarded(resp.into_body().into_reader());
    let mut written = start;
    let mut last = Instant::now();
    loop {
        let buf = match body.recv_timeout(idle) {
            Ok(Ok(buf)) if buf.is_empty() => break,
            Ok(Ok(buf)) => buf,
            Ok(Err(e)) => {
                let _ = file.flush();
                return Err(Attempt::Retry(format!(
                    "connection lost after {written} bytes: {e}"
                )));
            }
            Err(_) => {
                let _ = file.flush();
                return Err(Attempt::Retry(format!(
                    "no data for {} s after {written} bytes (--timeout)",
                    idle.as_secs_f64()
                )));
            }
        };
        let n = buf.len();
        file.write_all(&buf)
            .map_err(|e| Attempt::Fatal(format!("cannot write {}: {e}", part.display())))?;
        written += n as u64;
        if last.elapsed() > Duration::from_millis(100) || written % (1 << 22) < n as u64 {
            bar.set_position(written);
            last = Instant::now();
        }
    }
    file.sync_all()
        .map_err(|e| Attempt::Fatal(format!("cannot write {}: {e}", part.display())))?;
    bar.set_position(written);
    if let Some(total) = expected {
        if written != total {
            return Err(Attempt::Retry(format!("got {written} of {total} bytes")));
        }
    }
    Ok(written)
}

/// `bytes START-END/TOTAL` → (START, TOTAL if known).
fn content_range(v: &str) -> Option<(u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes")?.trim();
    let (span, total) = rest.split_once('/')?;
    let start = span.split_once('-')?.0.trim().parse().ok()?;
    Some((start, total.trim().parse().ok()))
}

/// Reads `body` on a thread of its own, handing its pieces over a channel (an empty piece
/// is the end), so the caller can give up on a stalled server after a while without data:
/// a blocked read cannot be interrupted. An abandoned reader ends with its connection.
fn idle_guarded(
    mut body: impl Read + Send + 'static,
) -> std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>> {
    let (tx, rx) = std::sync::mpsc::sync_channel(4);
    std::thread::spawn(move || loop {
        let mut buf = vec![0u8; 1 << 16];
        let piece = match body.read(&mut buf) {
            Ok(n) => {
                buf.truncate(n);
                Ok(buf)
            }
            Err(e) => Err(e),
        };
        let end = !matches!(&piece, Ok(b) if !b.is_empty());
        if tx.send(piece).is_err() || end {
            return;
        }
    });
    rx
}

/// Checks that a downloaded file is what its name says: a `.gz` must be a complete gzip
/// stream (every member's CRC and length checked) holding a capture, a `.pcap`/`.dump` a
/// capture. An HTML error page or a cut stream is not a dump.
pub fn verify(path: &Path, name: &str) -> std::result::Result<(), String> {
    let mut file = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut first = [0u8; 2];
    let n = file.read(&mut first).unwrap_or(0);
    if name.ends_with(".gz") && first[..n] != [0x1f, 0x8b] {
        let what = if first[..n].starts_with(b"<") {
            "an HTML/XML page"
        } else {
            "not gzip data"
        };
        return Err(format!(
            "the content is {what}, not a gzip-compressed capture"
        ));
    }
    use std::io::Seek;
    file.rewind()
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut r: Box<dyn Read> = if name.ends_with(".gz") {
        Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(
            file,
        )))
    } else {
        Box::new(std::io::BufReader::new(file))
    };
    let mut head = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match r.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => return Err(format!("not a complete gzip stream ({e})")),
        }
    }
    const MAGICS: [[u8; 4]; 6] = [
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
        [0x34, 0xcd, 0xb2, 0xa1],
        [0x0a, 0x0d, 0x0d, 0x0a],
    ];
    if got < 4 || !MAGICS.contains(&head) {
        let what = if head.starts_with(b"<") {
            "an HTML/XML page"
        } else {
            "not a capture"
        };
        return Err(format!("the content is {what}, not a pcap/pcapng capture"));
    }
    if name.ends_with(".gz") {
        std::io::copy(&mut r, &mut std::io::sink())
            .map_err(|e| format!("not a complete gzip stream ({e})"))?;
    }
    Ok(())
}

/// A finished `.part` becomes `path` only when its checksum (if known) and content are right;
/// a bad one is removed.
fn complete(part: &Path, path: &Path, t: &Target) -> std::result::Result<(), String> {
    if let Some(want) = &t.sha256 {
        let got = sha256_file(part).map_err(|e| format!("cannot read {}: {e}", part.display()))?;
        if &got != want {
            let _ = std::fs::remove_file(part);
            return Err(format!("SHA-256 mismatch: expected {want}, got {got}"));
        }
    }
    if let Err(m) = verify(part, &t.name) {
        let _ = std::fs::remove_file(part);
        return Err(m);
    }
    std::fs::rename(part, path).map_err(|e| format!("cannot rename {}: {e}", part.display()))
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Gunzips `gz` next to it (without `.gz`), atomically.
pub fn extract(gz: &Path) -> Result<PathBuf> {
    let dest = gz.with_extension("");
    let (tmp, file) = TempFile::create(&dest)?;
    let src = File::open(gz).map_err(|e| Error::io(gz, e))?;
    let mut dec = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(src));
    let mut out = std::io::BufWriter::new(file);
    std::io::copy(&mut dec, &mut out).map_err(|e| Error::io(gz, e))?;
    out.flush().map_err(|e| Error::io(&dest, e))?;
    drop(out);
    tmp.commit()?;
    Ok(dest)
}

fn fetch_one(
    agent: &ureq::Agent,
    t: &Target,
    opts: &DownloadOptions,
    progress: &Progress,
) -> Outcome {
    let path = opts.dir.join(&t.name);
    let part = opts.dir.join(format!("{}.part", t.name));
    let started = Instant::now();
    let mut outcome = Outcome {
        target: t.clone(),
        path: path.clone(),
        status: Status::Downloaded,
        bytes: 0,
        seconds: 0.0,
        extracted: None,
    };
    // A file from an earlier run is checked again before it is trusted.
    if path.exists() && verify(&path, &t.name).is_err() {
        let _ = std::fs::remove_file(&path);
    }
    if path.exists() {
        outcome.status = Status::Skipped;
        outcome.bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    } else {
        let resumed_from = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        let bar = progress.bytes(0, t.name.clone());
        let mut tries = 0;
        let result = loop {
            match attempt(agent, t, &part, &bar, opts.timeout) {
                Ok(n) => break Ok(n),
                Err(Attempt::Fatal(m)) => break Err(m),
                Err(Attempt::Retry(m)) => {
                    if tries >= opts.retries {
                        break Err(format!("{m} (after {} retries)", opts.retries));
                    }
                    std::thread::sleep(opts.backoff * 2u32.pow(tries));
                    tries += 1;
                }
            }
        };
        bar.finish_and_clear();
        match result {
            Ok(n) => {
                outcome.bytes = n;
                outcome.status = match complete(&part, &path, t) {
                    Err(m) => Status::Failed(m),
                    Ok(()) if resumed_from > 0 => Status::Resumed { from: resumed_from },
                    Ok(()) => Status::Downloaded,
                };
            }
            Err(m) => {
                // Nothing was received: leave no empty .part behind (a partial one stays, to resume).
                if std::fs::metadata(&part)
                    .map(|m| m.len() == 0)
                    .unwrap_or(false)
                {
                    let _ = std::fs::remove_file(&part);
                }
                outcome.status = Status::Failed(m);
            }
        }
    }
    if opts.extract && !outcome.failed() && t.name.ends_with(".gz") {
        let plain = path.with_extension("");
        if plain.exists() {
            outcome.extracted = Some(plain);
        } else {
            match extract(&path) {
                Ok(p) => outcome.extracted = Some(p),
                Err(e) => {
                    outcome.status = Status::Failed(format!("extract: {}", crate::error::chain(&e)))
                }
            }
        }
    }
    outcome.seconds = started.elapsed().as_secs_f64();
    outcome
}

/// Fetches all targets with `opts.jobs` parallel transfers; one outcome per target, in order.
pub fn download(
    targets: &[Target],
    opts: &DownloadOptions,
    progress: &Progress,
) -> Result<Vec<Outcome>> {
    std::fs::create_dir_all(&opts.dir).map_err(|e| Error::io(&opts.dir, e))?;
    let agent = agent(opts.timeout);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; targets.len()]);
    let total = progress.items(targets.len() as u64, "files");
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.clamp(1, 64).min(targets.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(t) = targets.get(i) else { break };
                let o = fetch_one(&agent, t, opts, progress);
                if let Status::Failed(m) = &o.status {
                    progress.println(format!("failed: {}: {m}", t.url));
                }
                total.inc(1);
                results.lock().expect("results")[i] = Some(o);
            });
        }
    });
    total.finish_and_clear();
    Ok(results
        .into_inner()
        .expect("results")
        .into_iter()
        .map(|o| o.expect("every target ran"))
        .collect())
}

/// The end-of-run table.
pub fn summary_table(outcomes: &[Outcome]) -> String {
    let rows: Vec<Vec<String>> = outcomes
        .iter()
        .map(|o| {
            let status = match &o.status {
                Status::Downloaded => "downloaded".to_string(),
                Status::Resumed { from } => {
                    format!("resumed at {}", crate::util::units::human_bytes(*from))
                }
                Status::Skipped => "already complete".to_string(),
                Status::Failed(m) => format!("FAILED: {m}"),
            };
            vec![
                o.target.name.clone(),
                status,
                crate::util::units::human_bytes(o.bytes),
                format!("{:.1} s", o.seconds),
            ]
        })
        .collect();
    crate::render::markdown::table(&["file", "status", "size", "time"], "llrr", &rows)
}
