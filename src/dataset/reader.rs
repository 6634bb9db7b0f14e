//! Opens datasets written by `ntp preprocess` for the later stages: several Parquet files,
//! or a directory of them, are one capture split in parts.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::TIMESTAMP;
use crate::error::{Error, Result};

/// Expands directories into their `*.parquet` files (sorted by name).
pub fn resolve(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(input)
                .map_err(|e| Error::io(input, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
                        && p.is_file()
                })
                .collect();
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
    Ok(files)
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
