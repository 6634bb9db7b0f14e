//! Atomic outputs: every file ntp writes goes to a hidden temporary name in the same
//! directory and is renamed into place only when complete, so nothing that looks finished
//! is ever partial. The temporary files being written are registered: on SIGINT or SIGTERM
//! [`remove_on_signals`] deletes them and exits 130 / 143. A run killed outright (SIGKILL)
//! leaves its `.tmp-PID.NAME`; the next run writing NAME removes it once PID is gone.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// The temporary files this process is writing.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The inputs of this run, by (device, inode): no output may be written over one.
static INPUTS: Mutex<Vec<(u64, u64)>> = Mutex::new(Vec::new());

fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Whether `a` and `b` name the same file: the same path once made absolute, or, when
/// both exist, the same (device, inode) through any link.
pub fn same_file(a: &Path, b: &Path) -> bool {
    std::path::absolute(a).ok() == std::path::absolute(b).ok()
        || identity(a).is_some_and(|i| Some(i) == identity(b))
}

/// Registers this run's inputs (files, and the files directly in a directory given): an
/// output that is one of them — by any name, through links — is refused, not written.
pub fn protect_inputs(inputs: &[PathBuf]) {
    let mut ids = INPUTS.lock().unwrap_or_else(|e| e.into_inner());
    for p in inputs {
        ids.extend(identity(p));
        if p.is_dir() {
            if let Ok(entries) = std::fs::read_dir(p) {
                ids.extend(entries.flatten().filter_map(|e| identity(&e.path())));
            }
        }
    }
}

/// Refuses `dest` when it is one of the registered inputs.
fn check_not_input(dest: &Path) -> Result<()> {
    let Some(id) = identity(dest) else {
        return Ok(());
    };
    if INPUTS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .contains(&id)
    {
        return Err(Error::Invalid(format!(
            "{}: is one of the inputs; refusing to write over it (choose another -o)",
            dest.display()
        )));
    }
    Ok(())
}

/// Starts a thread that, on SIGINT or SIGTERM, removes every temporary file being written
/// and exits with 128 + the signal number (130, 143). Call once, early.
pub fn remove_on_signals() -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                for p in live().iter() {
                    let _ = std::fs::remove_file(p);
                }
                std::process::exit(128 + sig);
            }
        })?;
    Ok(())
}

/// Is process `pid` still running? (Linux/Unix: signal 0 probes without sending.)
fn alive(pid: u32) -> bool {
    let r = unsafe { libc::kill(pid as libc::pid_t, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Removes `.tmp-PID.NAME` files beside `dest` left by runs that no longer exist.
fn remove_stale(dest: &Path, name: &str) {
    let dir = match dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(d) => d.to_owned(),
        None => PathBuf::from("."),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let me = std::process::id();
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(".tmp-") else {
            continue;
        };
        let Some((pid, tail)) = rest.split_once('.') else {
            continue;
        };
        match pid.parse::<u32>() {
            Ok(pid) if tail == name && pid != me && !alive(pid) => {
                let _ = std::fs::remove_file(e.path());
            }
            _ => {}
        }
    }
}

/// A temporary file that becomes `dest` on [`TempFile::commit`] and is deleted if dropped.
/// A `dest` that is a FIFO, a device or a socket is written as a stream instead: nothing
/// is ever renamed over such a node (as root, over /dev/null), and a write that fails
/// there (ENOSPC on /dev/full) is the run's error.
pub struct TempFile {
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
    /// Written in place (`dest` is not a regular file): no temporary to rename or remove.
    stream: bool,
}

/// Whether `dest` exists and is neither a regular file nor a directory.
fn is_stream(dest: &Path) -> bool {
    std::fs::metadata(dest).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

impl TempFile {
    /// Creates the temporary file (and `dest`'s parent directory); opens `dest` itself
    /// when it is a FIFO, a device or a socket.
    pub fn create(dest: &Path) -> Result<(TempFile, File)> {
        check_not_input(dest)?;
        if is_stream(dest) {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(dest)
                .map_err(|e| Error::io(dest, e))?;
            let t = TempFile {
                tmp: dest.to_owned(),
                dest: dest.to_owned(),
                committed: false,
                stream: true,
            };
            return Ok((t, file));
        }
        if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        remove_stale(dest, &name);
        // Keeps the extension last: image encoders pick the format from it.
        let tmp = dest.with_file_name(format!(".tmp-{}.{name}", std::process::id()));
        // Registered before it exists, so a signal between the two cannot miss it.
        live().push(tmp.clone());
        let file = File::create(&tmp).map_err(|e| {
            live().retain(|p| *p != tmp);
            Error::io(dest, e)
        })?;
        Ok((
            TempFile {
                tmp,
                dest: dest.to_owned(),
                committed: false,
                stream: false,
            },
            file,
        ))
    }

    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Where the content is being written.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Renames the temporary file to its destination.
    pub fn commit(mut self) -> Result<()> {
        if !self.stream {
            std::fs::rename(&self.tmp, &self.dest).map_err(|e| Error::io(&self.dest, e))?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.stream {
            return;
        }
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
        live().retain(|p| *p != self.tmp);
    }
}

/// Writes `dest` atomically with a buffered writer.
pub fn write_atomically(
    dest: &Path,
    f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let (tmp, file) = TempFile::create(dest)?;
    let mut w = BufWriter::new(file);
    f(&mut w).map_err(|e| Error::io(dest, e))?;
    w.flush().map_err(|e| Error::io(dest, e))?;
    drop(w);
    tmp.commit()
}
