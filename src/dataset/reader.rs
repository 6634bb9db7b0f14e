//! Opens datasets written by `ntp preprocess` for the later stages: several Parquet files,
//! or a directory of them, are one capture split in parts.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use polars::io::parquet::metadata::FileMetadataRef;

use super::TIMESTAMP;
use crate::error::{Error, Result};

/// Expands directories into their `*.parquet` files, descending into subdirectories (a
/// hive-partitioned dataset's `date=YYYY-MM-DD/`), sorted by path. Names starting with `.`
/// or `_` are skipped, as Spark and Hive do (files being written, `_SUCCESS` markers), and
/// so are links to directories (never followed out of or back into the tree).
pub fn resolve(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        if input.as_os_str() == "-" {
            return Err(Error::Invalid(
                "`-`: a series or table is read from a file, not from standard input (captures can be piped to aggregate and preprocess)".into(),
            ));
        }
        if input.is_dir() {
            let mut found = Vec::new();
            parquet_files(input, &mut found, 0)?;
            if found.is_empty() {
                return Err(Error::Dataset {
                    path: input.clone(),
                    message: "directory holds no .parquet file".into(),
                });
            }
            found.sort();
            files.extend(found);
        } else if input.exists() {
            files.push(input.clone());
        } else {
            return Err(Error::io(
                input,
                std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory"),
            ));
        }
    }
    if files.is_empty() {
        return Err(Error::Invalid("no input dataset given".into()));
    }
    // Before polars reads a footer: a forged one would abort the process (footer.rs).
    for f in &files {
        super::check_parquet(f)?;
    }
    Ok(files)
}

/// Deepest directory level searched: a dataset partitioned by a few keys, not a file system.
const MAX_DEPTH: usize = 8;

fn parquet_files(dir: &Path, found: &mut Vec<PathBuf>, depth: usize) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(['.', '_']));
        if hidden {
            continue;
        }
        // A link to a directory is not followed: it can only lead back into the tree
        // (`ln -s . again`, read twice) or out of it (`ln -s ..`). Links to files are read.
        let linked_dir = path.is_symlink() && path.is_dir();
        if linked_dir {
            continue;
        }
        if path.is_dir() {
            if depth < MAX_DEPTH {
                parquet_files(&path, found, depth + 1)?;
            }
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
            && path.is_file()
        {
            found.push(path);
        }
    }
    Ok(())
}

/// The Arrow schema of a Parquet file, or "not a Parquet file".
fn read_schema(path: &Path) -> Result<std::sync::Arc<ArrowSchema>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    ParquetReader::new(file)
        .schema()
        .map_err(|e| Error::Dataset {
            path: path.to_owned(),
            message: format!("not a Parquet file ({})", first_line(&e.to_string())),
        })
}

/// The column names of a Parquet file.
pub fn column_names(path: &Path) -> Result<Vec<String>> {
    Ok(read_schema(path)?
        .iter_names()
        .map(|n| n.to_string())
        .collect())
}

/// Checks that `path` is a Parquet file with the columns ntp's stages need.
pub fn check_schema(path: &Path, needed: &[&str]) -> Result<()> {
    let schema = read_schema(path)?;
    for name in needed {
        let Some(field) = schema.get(name) else {
            return Err(Error::Dataset {
                path: path.to_owned(),
                message: format!(
                    "not an ntp dataset: no column `{name}` (write one with `ntp preprocess`)"
                ),
            });
        };
        use ArrowDataType::*;
        let dtype = field.dtype();
        let (ok, expected) = if *name == TIMESTAMP {
            (matches!(dtype, Timestamp(..)), "date-times (Datetime)")
        } else if name.ends_with("(bytes)") {
            (
                matches!(
                    dtype,
                    Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64
                ),
                "integers",
            )
        } else {
            (true, "")
        };
        if !ok {
            return Err(Error::Dataset {
                path: path.to_owned(),
                message: format!(
                    "column `{name}` holds {}, expected {expected} (write the table with `ntp preprocess`)",
                    kind_of(dtype)
                ),
            });
        }
    }
    Ok(())
}

/// The unit of a file's time column `column` (a dataset's `Timestamp`, a series table's
/// `timestamp`).
pub fn time_unit(path: &Path, column: &str) -> Result<TimeUnit> {
    let schema = read_schema(path)?;
    match schema.get(column).map(|f| f.dtype()) {
        Some(ArrowDataType::Timestamp(unit, _)) => Ok(match unit {
            ArrowTimeUnit::Nanosecond => TimeUnit::Nanoseconds,
            ArrowTimeUnit::Microsecond => TimeUnit::Microseconds,
            ArrowTimeUnit::Millisecond => TimeUnit::Milliseconds,
            ArrowTimeUnit::Second => {
                return Err(Error::Dataset {
                    path: path.to_owned(),
                    message: format!(
                        "`{column}` holds whole seconds: packets need at least milliseconds"
                    ),
                })
            }
        }),
        _ => Err(Error::Dataset {
            path: path.to_owned(),
            message: format!("not an ntp dataset: `{column}` is not a date-time column"),
        }),
    }
}

/// Whether a file's schema has `column` (false when the file cannot be read).
pub fn has_column(path: &Path, column: &str) -> bool {
    read_schema(path).is_ok_and(|s| s.get(column).is_some())
}

/// A column type in words, not polars' internal names.
fn kind_of(dtype: &ArrowDataType) -> &'static str {
    use ArrowDataType::*;
    match dtype {
        Null => "nothing but nulls",
        Boolean => "true/false values",
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 => "plain integers",
        Float16 | Float32 | Float64 => "floating-point numbers",
        Utf8 | LargeUtf8 | Utf8View => "text",
        Binary | LargeBinary | BinaryView | FixedSizeBinary(_) => "binary data",
        Timestamp(..) => "date-times",
        Date32 | Date64 => "dates",
        _ => "values of another type",
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// A lazy scan of all files, schema-checked, concatenated in order.
pub fn scan(files: &[PathBuf], columns: &[&str]) -> Result<LazyFrame> {
    let mut frames = Vec::with_capacity(files.len());
    for f in files {
        check_schema(f, columns)?;
        let lf = LazyFrame::scan_parquet(
            PlRefPath::new(f.to_string_lossy().as_ref()),
            ScanArgsParquet::default(),
        )
        .map_err(|e| Error::polars(f, e))?
        .select(columns.iter().map(|c| col(*c)).collect::<Vec<_>>());
        frames.push(lf);
    }
    if frames.len() == 1 {
        return Ok(frames.pop().expect("one frame"));
    }
    concat(frames, UnionArgs::default()).map_err(|e| Error::polars(&files[0], e))
}

/// Consecutive whole row groups of one file, read together.
#[derive(Clone, Debug)]
pub struct Slice {
    /// Index into the files given to [`slices`].
    pub file: usize,
    pub rows: usize,
    /// The file's footer with only this slice's row groups: polars maps and decodes
    /// nothing else. (Given the whole footer and a row range, polars 0.55 still maps, and
    /// prefetches, the projected columns of every earlier row group — the whole file's by
    /// the last slice.)
    meta: FileMetadataRef,
}

/// The files' row groups grouped into slices of about `rows` rows (a row group larger than
/// that is a slice of its own): the unit of a bounded-memory pass.
pub fn slices(files: &[PathBuf], rows: usize) -> Result<Vec<Slice>> {
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let file = std::fs::File::open(f).map_err(|e| Error::io(f, e))?;
        let meta = ParquetReader::new(file)
            .get_metadata()
            .map_err(|e| Error::Dataset {
                path: f.clone(),
                message: format!("not a Parquet file ({})", first_line(&e.to_string())),
            })?
            .clone();
        let mut template = (*meta).clone();
        template.row_groups = Vec::new();
        let slice = |groups: &[_], rows| Slice {
            file: i,
            rows,
            meta: std::sync::Arc::new(polars::io::parquet::read::FileMetadata {
                num_rows: rows,
                row_groups: groups.to_vec(),
                ..template.clone()
            }),
        };
        let (mut first, mut count) = (0, 0);
        for (g, rg) in meta.row_groups.iter().enumerate() {
            if count > 0 && count + rg.num_rows() > rows {
                out.push(slice(&meta.row_groups[first..g], count));
                (first, count) = (g, 0);
            }
            count += rg.num_rows();
        }
        if count > 0 {
            out.push(slice(&meta.row_groups[first..], count));
        }
    }
    Ok(out)
}

/// Reads `columns` of one slice (single-threaded: slices are read in parallel).
pub fn read_slice(path: &Path, columns: &[&str], slice: &Slice) -> Result<DataFrame> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = ParquetReader::new(file)
        .with_columns(Some(columns.iter().map(|c| c.to_string()).collect()))
        .read_parallel(ParallelStrategy::None);
    reader.set_metadata(slice.meta.clone());
    reader.finish().map_err(|e| Error::polars(path, e))
}
