//! The page headers of a Parquet file checked before polars decodes its pages. polars-parquet
//! 0.55 takes a data page's `num_values` (a Thrift i32) `as usize`: a negative count becomes
//! about 2⁶⁴, and the validity bitmap reserved for it aborts the process on the allocation
//! (`decode_hybrid_rle_into_bitmap`; found by the `series_parquet` fuzz target, which no error
//! handling can catch). This walks every column chunk's page headers (read from the file a
//! header at a time, the pages themselves skipped) and refuses a negative count or size, a
//! page that runs past its chunk, and a chunk whose pages hold other than the values its
//! metadata claims. By hand, as the footer check ([`super::footer`]): polars-parquet's own
//! page reader is the code that must not see such a header.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use polars_parquet::parquet::read::read_metadata;

use super::footer::Walker;
use crate::error::{Error, Result};

/// A page header is read from at most this many bytes (they hold a few counts and, at
/// most, a column's min/max statistics).
const HEADER_BYTES: usize = 64 << 10;

/// What one page header says.
#[derive(Debug, Default, PartialEq, Eq)]
struct PageHeader {
    /// Bytes of the header itself.
    len: usize,
    compressed: u64,
    /// Values of a data page (v1 or v2); 0 for other pages.
    data_values: u64,
}

/// Checks every page header of the Parquet file at `path` (its footer already checked).
pub fn check(path: &Path) -> Result<()> {
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let size = f.metadata().map_err(|e| Error::io(path, e))?.len();
    // A footer polars cannot read is left to the reader, which says what is wrong.
    let Ok(meta) = read_metadata(&mut f) else {
        return Ok(());
    };
    let bad = |message: String| Error::Dataset {
        path: path.to_owned(),
        message: format!("corrupt Parquet page: {message}"),
    };
    for (g, rg) in meta.row_groups.iter().enumerate() {
        for (c, col) in rg.parquet_columns().iter().enumerate() {
            let at = format!("row group {g}, column {c}");
            let range = col.byte_range();
            if range.end > size || range.start > range.end {
                return Err(bad(format!("{at}: bytes {range:?} of a {size}-byte file")));
            }
            let values = chunk_values(&mut f, range.start, range.end)
                .map_err(|e| bad(format!("{at}: {e}")))?;
            if values != col.num_values().max(0) as u64 {
                return Err(bad(format!(
                    "{at}: its pages hold {values} values, its metadata claims {}",
                    col.num_values()
                )));
            }
        }
    }
    Ok(())
}

/// The data values of the pages of a column chunk spanning `start..end` of the file.
fn chunk_values(f: &mut File, start: u64, end: u64) -> std::result::Result<u64, String> {
    let (mut at, mut values) = (start, 0u64);
    let mut buf = vec![0u8; HEADER_BYTES];
    while at < end {
        // Most headers are a few dozen bytes: the first read is short, a longer one only
        // when the header goes on.
        let mut h = Err(String::new());
        for want in [256, HEADER_BYTES] {
            let n = ((end - at) as usize).min(want);
            f.seek(SeekFrom::Start(at))
                .and_then(|_| f.read_exact(&mut buf[..n]))
                .map_err(|e| e.to_string())?;
            h = page_header(&buf[..n]);
            if h.is_ok() || n < want {
                break;
            }
        }
        let h = h?;
        at = at
            .checked_add(h.len as u64 + h.compressed)
            .filter(|next| *next <= end)
            .ok_or_else(|| {
                format!(
                    "a page of {} bytes runs past its column chunk",
                    h.compressed
                )
            })?;
        values += h.data_values;
    }
    Ok(values)
}

/// Reads a page header: `PageHeader` of parquet.thrift, its counts and sizes non-negative
/// (the CRC, field 4, is the one signed value).
fn page_header(bytes: &[u8]) -> std::result::Result<PageHeader, String> {
    let mut w = Walker::new(bytes);
    let mut h = PageHeader::default();
    let mut id = 0i64;
    while let Some((field, t)) = w.field(&mut id)? {
        match (field, t) {
            (4, 5) => drop(w.zigzag()?),
            (_, 5) => {
                let v = non_negative(w.zigzag()?, field)?;
                if field == 3 {
                    h.compressed = v;
                }
            }
            // Data page v1, dictionary page, data page v2: their counts.
            (5 | 7 | 8, 12) => {
                let n = counts(&mut w)?;
                if field != 7 {
                    h.data_values += n;
                }
            }
            _ => w.skip_value(t, 1)?,
        }
    }
    h.len = w.at();
    Ok(h)
}

fn non_negative(v: i64, field: i64) -> std::result::Result<u64, String> {
    u64::try_from(v).map_err(|_| format!("field {field} of a page header is {v}"))
}

/// A nested page header (`DataPageHeader`, `DictionaryPageHeader`, `DataPageHeaderV2`):
/// every i32 non-negative; its `num_values` (field 1).
fn counts(w: &mut Walker<'_>) -> std::result::Result<u64, String> {
    let (mut id, mut values) = (0i64, 0u64);
    while let Some((field, t)) = w.field(&mut id)? {
        if t == 5 {
            let v = non_negative(w.zigzag()?, field)?;
            if field == 1 {
                values = v;
            }
        } else {
            w.skip_value(t, 2)?;
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compact-protocol page header: type, sizes, and a v1 data page header of `values`.
    fn header(values: i64, compressed: i64) -> Vec<u8> {
        let zz = |v: i64| ((v << 1) ^ (v >> 63)) as u64;
        let var = |mut v: u64, out: &mut Vec<u8>| loop {
            if v < 0x80 {
                out.push(v as u8);
                break;
            }
            out.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        };
        let mut b = Vec::new();
        for (v, delta) in [(0, 1), (compressed, 1), (compressed, 1)] {
            b.push(delta << 4 | 5);
            var(zz(v), &mut b);
        }
        b.push(2 << 4 | 12); // field 5, a struct
        b.push(1 << 4 | 5);
        var(zz(values), &mut b);
        b.push(0);
        b.push(0);
        b
    }

    #[test]
    fn page_headers_give_their_counts_and_negative_ones_are_refused() {
        let h = page_header(&header(1682, 400)).unwrap();
        assert_eq!((h.compressed, h.data_values), (400, 1682));
        assert_eq!(h.len, header(1682, 400).len());
        let e = page_header(&header(-896, 400)).unwrap_err();
        assert!(e.contains("-896"), "{e}");
        assert!(page_header(&header(5, -1)).is_err());
        assert!(page_header(&header(5, 7)[..4]).is_err());
    }
}
