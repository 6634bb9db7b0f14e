//! Capture reading: turns a capture file (pcap, pcapng, either one gzip- or
//! zstd-compressed) into chunks of whole records that can be decoded in parallel.
//!
//! The container is detected from its magic number, never from the file name. A reader
//! thread walks record headers only (cheap) and cuts the byte stream into chunks of about
//! [`CHUNK_BYTES`]; decoding the packets inside a chunk is the expensive part and happens
//! elsewhere, on as many threads as there are.

pub mod compression;
pub mod pcap;
pub mod pcapng;
pub mod stream;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

pub use compression::Compression;
use compression::CountingReader;
pub use pcap::PcapFormat;

use crate::error::{Error, Result};
use crate::util::pages::Zeroed;

/// Name of a capture without its capture and compression extensions
/// (`200701251400.dump.gz` → `200701251400`).
pub fn stem(path: &Path) -> String {
    if path == Path::new("-") {
        return "stdin".into();
    }
    let mut name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "capture".into());
    for ext in [
        ".gz", ".zst", ".zstd", ".pcapng", ".pcap", ".dump", ".cap", ".ntar",
    ] {
        if name.len() > ext.len() && name.to_ascii_lowercase().ends_with(ext) {
            name.truncate(name.len() - ext.len());
        }
    }
    name
}

/// `{dir}/{stem}{suffix}` for each capture; captures sharing a stem get `-2`, `-3`, …
pub fn per_capture(inputs: &[PathBuf], dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut seen: std::collections::BTreeMap<String, usize> = Default::default();
    inputs
        .iter()
        .map(|p| {
            let s = stem(p);
            let n = seen.entry(s.clone()).or_default();
            *n += 1;
            let name = if *n == 1 { s } else { format!("{s}-{n}") };
            dir.join(format!("{name}{suffix}"))
        })
        .collect()
}

/// Target size of one chunk of records.
/// (Measured: 1 MiB chunks are slower, 16 MiB ones push peak RSS past 256 MB.)
pub const CHUNK_BYTES: usize = 4 << 20;

/// One packet record as the capture stores it.
#[derive(Clone, Copy, Debug)]
pub struct RawPacket<'a> {
    /// Nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    /// LINKTYPE_ value of the interface the packet was captured on.
    pub linktype: u32,
    /// Original length on the wire.
    pub wire_len: u32,
    /// The captured bytes (at most snaplen).
    pub data: &'a [u8],
}

/// Where a scan over whole records stopped.
#[derive(Debug)]
pub enum Stop {
    /// Reached the byte limit, or a point where a new chunk must start.
    Full,
    /// The record at `end` needs the buffer to hold `need` bytes.
    Incomplete { need: usize },
    /// The record at `end` cannot be real.
    Corrupt(String),
}

#[derive(Debug)]
pub struct Scan {
    pub end: usize,
    pub packets: usize,
    pub stop: Stop,
}

/// The container format of a capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    Pcap(PcapFormat),
    PcapNg,
}

impl Container {
    pub fn name(&self) -> &'static str {
        match self {
            Container::Pcap(f) if f.record_header == 24 => "modified pcap",
            Container::Pcap(f) if f.frac_to_ns == 1 => "pcap (ns)",
            Container::Pcap(_) => "pcap",
            Container::PcapNg => "pcapng",
        }
    }
}

/// How the records of a chunk are laid out.
#[derive(Clone, Debug)]
pub enum Layout {
    Pcap(PcapFormat),
    PcapNg(Arc<pcapng::Section>),
}

/// Whole records cut from a capture, decodable on their own.
pub struct Chunk {
    /// The records (`buf[..len]`).
    pub data: Buffer,
    /// Offset of `data[0]` in the (decompressed) capture stream.
    pub offset: u64,
    pub packets: usize,
    pub layout: Layout,
}

impl Chunk {
    /// Calls `f` for each packet record; `None` stands for a record that cannot be placed
    /// in time (pcapng simple packet block, unknown interface). Returns malformed blocks.
    pub fn for_each(&self, mut f: impl FnMut(Option<RawPacket<'_>>)) -> u64 {
        match &self.layout {
            Layout::Pcap(format) => {
                format.for_each(self.data.bytes(), |p| f(Some(p)));
                0
            }
            Layout::PcapNg(section) => pcapng::for_each(section, self.data.bytes(), f),
        }
    }
}

/// Damage that ended the reading of a capture early; the packets before it are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// Byte offset of the damaged record (in the decompressed stream).
    pub offset: u64,
    pub what: String,
}

/// A byte buffer whose whole allocation stays initialised, so refilling a recycled one
/// needs no zeroing and no fresh pages (both showed up in profiles); a chunk-sized one is
/// on huge pages where the kernel offers them ([`Zeroed`]).
pub struct Buffer {
    storage: Zeroed<u8>,
    /// The bytes held are `storage[start..end]`: a short chunk cut from the front leaves
    /// the rest in place (see [`CaptureReader::emit`]).
    start: usize,
    end: usize,
}

impl Buffer {
    fn with_capacity(n: usize) -> Buffer {
        Buffer {
            storage: Zeroed::new(n),
            start: 0,
            end: 0,
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.storage[self.start..self.end]
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// Makes room for `n` bytes in total from the front, moving what is held to the front
    /// of the storage first (at most once per storage's worth of input).
    fn reserve_total(&mut self, n: usize) {
        if self.storage.len() - self.start >= n {
            return;
        }
        if self.start > 0 {
            self.storage.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.storage.len() < n {
            let mut grown = Zeroed::new(n);
            grown[..self.end].copy_from_slice(self.bytes());
            self.storage = grown;
        }
    }

    /// Drops `n` bytes from the front.
    fn advance(&mut self, n: usize) {
        self.start += n;
    }

    /// Holds exactly `bytes` (from the front of the storage).
    fn set(&mut self, bytes: &[u8]) {
        self.start = 0;
        self.end = 0;
        self.reserve_total(bytes.len());
        self.storage[..bytes.len()].copy_from_slice(bytes);
        self.end = bytes.len();
    }
}

/// Buffers handed back after decoding, for the reader to fill again.
pub type Pool = std::sync::mpsc::Receiver<Buffer>;

enum Scanner {
    Pcap(PcapFormat),
    PcapNg(pcapng::Scanner),
}

/// Reads a capture file chunk by chunk.
pub struct CaptureReader {
    path: PathBuf,
    src: Box<dyn Read + Send>,
    buf: Buffer,
    pool: Option<Pool>,
    /// Stream offset of `buf[0]`.
    offset: u64,
    eof: bool,
    done: bool,
    scanner: Scanner,
    pub compression: Compression,
    pub container: Container,
    /// Set when a truncated or corrupt record ended the reading early.
    pub damage: Option<Damage>,
}

impl CaptureReader {
    /// Opens a capture, detecting compression and container from the first bytes.
    /// `file_bytes` counts the bytes read from the file itself (for progress).
    /// `-` is standard input; pipes and FIFOs are read as streams.
    pub fn open(path: &Path, file_bytes: Arc<AtomicU64>) -> Result<CaptureReader> {
        let input: Box<dyn Read + Send> = if path == Path::new("-") {
            Box::new(std::io::stdin())
        } else {
            let file = File::open(path).map_err(|e| Error::io(path, e))?;
            let meta = file.metadata().map_err(|e| Error::io(path, e))?;
            // Only a regular file has a size to trust: a pipe says 0 and may bring megabytes.
            if meta.is_file() && meta.len() == 0 {
                return Err(Error::capture(path, "empty file (0 bytes), not a capture"));
            }
            Box::new(file)
        };
        CaptureReader::from_reader(path, input, file_bytes)
    }

    /// Reads a capture from any byte stream (`path` names it in messages).
    pub fn from_reader(
        path: &Path,
        input: Box<dyn Read + Send>,
        file_bytes: Arc<AtomicU64>,
    ) -> Result<CaptureReader> {
        let counted = CountingReader::new(input, file_bytes);
        let (compression, src) =
            compression::decompress(counted).map_err(|e| Error::io(path, e))?;
        let mut reader = CaptureReader {
            path: path.to_owned(),
            src,
            buf: Buffer::with_capacity(CHUNK_BYTES),
            pool: None,
            offset: 0,
            eof: false,
            done: false,
            scanner: Scanner::Pcap(PcapFormat {
                big_endian: false,
                frac_to_ns: 1000,
                record_header: 16,
                linktype: 1,
                snaplen: 0,
            }),
            compression,
            container: Container::PcapNg,
            damage: None,
        };
        reader.fill(24)?;
        let head = reader.buf.bytes();
        let within = if compression == Compression::None {
            String::new()
        } else {
            format!(" inside the {} stream", compression.name())
        };
        if head.is_empty() {
            return Err(Error::capture(
                path,
                if compression == Compression::None {
                    "empty input (0 bytes), not a capture".to_string()
                } else {
                    format!("empty {} stream, not a capture", compression.name())
                },
            ));
        }
        if let Some(format) = PcapFormat::from_header(head) {
            let format = format.map_err(|m| {
                Error::capture(path, format!("{m}{within} (byte offset {})", head.len()))
            })?;
            reader.buf.advance(24);
            reader.offset = 24;
            reader.container = Container::Pcap(format);
            reader.scanner = Scanner::Pcap(format);
        } else if head.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
            reader.scanner = Scanner::PcapNg(pcapng::Scanner::new());
        } else {
            let n = head.len().min(4);
            let magic: String = head[..n].iter().map(|b| format!("{b:02x}")).collect();
            return Err(Error::capture(
                path,
                format!("not a pcap or pcapng capture{within}: unknown magic number 0x{magic} at byte offset 0"),
            ));
        }
        Ok(reader)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reuses the buffers that come back on `pool` instead of allocating new ones.
    pub fn recycle_from(&mut self, pool: Pool) {
        self.pool = Some(pool);
    }

    /// Gives the recycling pool back (to pass it on to the next capture's reader).
    pub fn take_pool(&mut self) -> Option<Pool> {
        self.pool.take()
    }

    /// Reads until the buffer holds `want` bytes or the stream ends.
    fn fill(&mut self, want: usize) -> Result<()> {
        self.buf.reserve_total(want);
        while self.buf.len() < want && !self.eof {
            let (from, to) = (self.buf.end, self.buf.start + want);
            let read = loop {
                match self.src.read(&mut self.buf.storage[from..to]) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    other => break other,
                }
            };
            let n = read.map_err(|e| {
                let at = self.offset + self.buf.len() as u64;
                Error::capture(&self.path, format!("read error near byte offset {at}: {e}"))
            })?;
            if n == 0 {
                self.eof = true;
            }
            self.buf.end += n;
        }
        Ok(())
    }

    /// The next chunk of whole records, or `None` at the end of the capture (or at damage,
    /// recorded in [`CaptureReader::damage`]).
    pub fn next_chunk(&mut self) -> Result<Option<Chunk>> {
        if self.done {
            return Ok(None);
        }
        let mut want = CHUNK_BYTES;
        loop {
            self.fill(want)?;
            let limit = self.buf.len().min(CHUNK_BYTES);
            let scan = match &mut self.scanner {
                Scanner::Pcap(f) => f.scan(self.buf.bytes(), limit),
                Scanner::PcapNg(s) => s.scan(self.buf.bytes(), limit),
            };
            match scan.stop {
                Stop::Full if scan.end == 0 => {
                    // Nothing left at all.
                    self.done = true;
                    return Ok(None);
                }
                Stop::Full => return Ok(Some(self.emit(scan.end, scan.packets))),
                Stop::Incomplete { need } => {
                    if scan.end > 0 {
                        return Ok(Some(self.emit(scan.end, scan.packets)));
                    }
                    if self.eof {
                        self.done = true;
                        if !self.buf.is_empty() {
                            self.damage = Some(Damage {
                                offset: self.offset,
                                what: format!(
                                    "truncated final record: {} bytes announced, {} present",
                                    need,
                                    self.buf.len()
                                ),
                            });
                        }
                        return Ok(None);
                    }
                    want = need;
                }
                Stop::Corrupt(what) => {
                    let offset = self.offset + scan.end as u64;
                    let left = self.buf.len() - scan.end;
                    self.damage = Some(Damage {
                        offset,
                        what: format!("{what} ({left}+ bytes after it not read)"),
                    });
                    self.done = true;
                    if scan.end > 0 {
                        return Ok(Some(self.emit(scan.end, scan.packets)));
                    }
                    return Ok(None);
                }
            }
        }
    }

    /// Hands out the first `end` bytes as a chunk. The cheaper side is copied: a short
    /// chunk before a long rest (a pcapng section of a few blocks) is copied out and the
    /// rest stays; otherwise the rest moves to a fresh (or recycled) buffer.
    fn emit(&mut self, end: usize, packets: usize) -> Chunk {
        let tail = self.buf.len() - end;
        let data = if end < tail {
            let mut data = Buffer::with_capacity(end);
            data.set(&self.buf.bytes()[..end]);
            self.buf.advance(end);
            data
        } else {
            let recycled = self.pool.as_ref().and_then(|p| p.try_recv().ok());
            let mut next = recycled.unwrap_or_else(|| Buffer::with_capacity(CHUNK_BYTES));
            next.start = 0;
            next.end = 0;
            next.reserve_total(CHUNK_BYTES.max(tail));
            next.set(&self.buf.bytes()[end..]);
            let mut data = std::mem::replace(&mut self.buf, next);
            data.end = data.start + end;
            data
        };
        let offset = self.offset;
        self.offset += end as u64;
        let layout = match &self.scanner {
            Scanner::Pcap(f) => Layout::Pcap(*f),
            Scanner::PcapNg(s) => Layout::PcapNg(s.section()),
        };
        Chunk {
            data,
            offset,
            packets,
            layout,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems() {
        assert_eq!(stem(Path::new("/x/200701251400.dump.gz")), "200701251400");
        assert_eq!(stem(Path::new("a.pcap.zst")), "a");
        assert_eq!(stem(Path::new("b.pcapng")), "b");
        assert_eq!(stem(Path::new("c")), "c");
    }
}
