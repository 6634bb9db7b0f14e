//! Atomic outputs: every file ntp writes goes to a hidden temporary name in the same
//! directory and is renamed into place only when complete, so nothing that looks finished
//! is ever partial (an interrupted run leaves at most a `.tmp-PID.NAME` behind, never NAME).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A temporary file that becomes `dest` on [`TempFile::commit`] and is deleted if dropped.
pub struct TempFile {
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

impl TempFile {
    /// Creates the temporary file (and `dest`'s parent directory).
    pub fn create(dest: &Path) -> Result<(TempFile, File)> {
        if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Keeps the extension last: image encoders pick the format from it.
        let tmp = dest.with_file_name(format!(".tmp-{}.{name}", std::process::id()));
        let file = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        Ok((
            TempFile {
                tmp,
                dest: dest.to_owned(),
                committed: false,
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
        std::fs::rename(&self.tmp, &self.dest).map_err(|e| Error::io(&self.dest, e))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
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
