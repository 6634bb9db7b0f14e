//! The tables of a many-series run combined: each series' table of one kind, its rows
//! prefixed by the series' id, in one CSV — what pandas and polars read in one call and
//! group by `id` (the long format the input may have come in).

use std::fs::File;
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::util::atomic::TempFile;

/// One combined table, written as series finish and renamed into place when complete.
pub struct Combined {
    temp: TempFile,
    out: BufWriter<File>,
    /// The header after `id`, once written.
    header: Option<String>,
}

impl Combined {
    /// Starts `dest` with the header `id,{header}`; `None`: the header of the first
    /// table copied.
    pub fn create(dest: &Path, header: Option<&str>) -> Result<Combined> {
        let (temp, file) = TempFile::create(dest)?;
        let mut c = Combined {
            temp,
            out: BufWriter::new(file),
            header: None,
        };
        if let Some(h) = header {
            c.write_header(h)?;
        }
        Ok(c)
    }

    fn write_header(&mut self, header: &str) -> Result<()> {
        writeln!(self.out, "id,{header}").map_err(|e| Error::io(self.temp.dest(), e))?;
        self.header = Some(header.to_string());
        Ok(())
    }

    /// Appends the rows of the series table `table`, each prefixed by `id`; its header
    /// must be the combined table's (when it was given, its columns may be named
    /// otherwise).
    pub fn copy(&mut self, id: &str, table: &Path) -> Result<()> {
        let file = File::open(table).map_err(|e| Error::io(table, e))?;
        let mut lines = std::io::BufReader::new(file).lines();
        let head = lines
            .next()
            .transpose()
            .map_err(|e| Error::io(table, e))?
            .unwrap_or_default();
        match &self.header {
            None => self.write_header(&head)?,
            Some(h) if h.split(',').count() != head.split(',').count() => {
                return Err(Error::Invalid(format!(
                    "{}: its columns ({head}) are not those of {} ({h})",
                    table.display(),
                    self.temp.dest().display()
                )))
            }
            Some(_) => {}
        }
        let id = field(id);
        for line in lines {
            let line = line.map_err(|e| Error::io(table, e))?;
            writeln!(self.out, "{id},{line}").map_err(|e| Error::io(self.temp.dest(), e))?;
        }
        Ok(())
    }

    /// Appends one row (its fields already CSV text) for series `id`.
    pub fn push(&mut self, id: &str, row: &str) -> Result<()> {
        writeln!(self.out, "{},{row}", field(id)).map_err(|e| Error::io(self.temp.dest(), e))
    }

    /// Flushes the table and renames it to its destination.
    pub fn commit(mut self) -> Result<PathBuf> {
        if self.header.is_none() {
            self.write_header("")?;
        }
        let Combined { temp, out, .. } = self;
        let dest = temp.dest().to_owned();
        out.into_inner()
            .map_err(|e| Error::io(&dest, e.into_error()))?
            .sync_all()
            .map_err(|e| Error::io(&dest, e))?;
        temp.commit()?;
        Ok(dest)
    }
}

/// A CSV field: quoted when it holds a comma, a quote or a line break.
pub fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_carry_their_quoted_id() {
        let dir = tempfile::tempdir().unwrap();
        let table = dir.path().join("a.csv");
        std::fs::write(&table, "x,y\n1,2\n3,4\n").unwrap();
        let dest = dir.path().join("all.csv");
        let mut c = Combined::create(&dest, None).unwrap();
        c.copy("a,b", &table).unwrap();
        c.push("c", "5,6").unwrap();
        assert!(!dest.exists(), "renamed into place only when complete");
        c.commit().unwrap();
        let text = std::fs::read_to_string(&dest).unwrap();
        assert_eq!(text, "id,x,y\n\"a,b\",1,2\n\"a,b\",3,4\nc,5,6\n");
    }
}
