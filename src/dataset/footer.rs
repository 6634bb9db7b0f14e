//! A Parquet footer checked before polars reads it. polars-parquet 0.55 reserves every
//! Thrift list of the footer at the length the file claims (`Vec::with_capacity`), so a
//! footer claiming a list of 2³¹ row groups aborts the process on the allocation, which no
//! error handling can catch (found by the `series_parquet` fuzz target). This walks the
//! footer's compact-protocol encoding once and refuses any list, map or string longer than
//! the bytes left to hold it (every element takes at least one byte). By hand because no
//! crate validates Thrift without decoding it into the same allocations. Counts, sizes and
//! offsets (the footer's 64-bit integers) above 2⁴⁰ are refused too: polars sizes buffers
//! from them. The known fields must have the format's types (`footer_types.rs`), and the page
//! headers are checked next (`pages.rs`).

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::footer_types::{expected, Shape, BOOL};
use crate::error::{Error, Result};

/// The largest row count, size or offset a footer may claim (2⁴⁰: a terabyte, a trillion
/// rows): polars sizes buffers from such counts.
const MAX_COUNT: u64 = 1 << 40;

/// Deepest nesting of structs and lists a footer may have (Parquet's is a handful).
const MAX_DEPTH: usize = 64;

/// Checks the footer of the Parquet file at `path`; a file too short to have one is left
/// to the reader (which says so).
pub fn check(path: &Path) -> Result<()> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let size = f.metadata().map_err(|e| Error::io(path, e))?.len();
    if size < 12 {
        return Ok(());
    }
    let mut tail = [0u8; 8];
    f.seek(SeekFrom::End(-8))
        .and_then(|_| f.read_exact(&mut tail))
        .map_err(|e| Error::io(path, e))?;
    if &tail[4..] != b"PAR1" {
        return Ok(());
    }
    let len = u32::from_le_bytes(tail[..4].try_into().expect("4 bytes")) as u64;
    let bad = |message: String| Error::Dataset {
        path: path.to_owned(),
        message: format!("corrupt Parquet footer: {message}"),
    };
    if len + 8 > size {
        return Err(bad(format!("it claims {len} bytes, the file has {size}")));
    }
    let mut footer = vec![0u8; len as usize];
    f.seek(SeekFrom::End(-8 - len as i64))
        .and_then(|_| f.read_exact(&mut footer))
        .map_err(|e| Error::io(path, e))?;
    let mut r = Walker {
        bytes: &footer,
        at: 0,
    };
    r.typed_struct(Shape::File, 0).map_err(bad)
}

/// A cursor over compact-protocol bytes.
pub(super) struct Walker<'a> {
    bytes: &'a [u8],
    at: usize,
}

type Check = std::result::Result<(), String>;

impl<'a> Walker<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Walker<'a> {
        Walker { bytes, at: 0 }
    }

    /// Bytes read so far.
    pub(super) fn at(&self) -> usize {
        self.at
    }

    /// The next field header of a struct: (field id, type), or `None` at its end. `id` is
    /// the previous field's id (compact fields are mostly deltas from it).
    pub(super) fn field(&mut self, id: &mut i64) -> std::result::Result<Option<(i64, u8)>, String> {
        let header = self.byte()?;
        let t = header & 0x0f;
        if t == 0 {
            return Ok(None);
        }
        *id = match header >> 4 {
            0 => self.zigzag()?,
            delta => *id + i64::from(delta),
        };
        Ok(Some((*id, t)))
    }

    /// A zigzag varint (i16, i32 or i64).
    pub(super) fn zigzag(&mut self) -> std::result::Result<i64, String> {
        let z = self.varint()?;
        Ok((z >> 1) as i64 ^ -((z & 1) as i64))
    }

    fn left(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn byte(&mut self) -> std::result::Result<u8, String> {
        let b = *self.bytes.get(self.at).ok_or("it ends early")?;
        self.at += 1;
        Ok(b)
    }

    fn varint(&mut self) -> std::result::Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("a number longer than 64 bits".into())
    }

    fn skip(&mut self, n: u64) -> Check {
        if n > self.left() as u64 {
            return Err(format!("a length of {n} with {} bytes left", self.left()));
        }
        self.at += n as usize;
        Ok(())
    }

    /// Skips one value of compact type `t`.
    pub(super) fn skip_value(&mut self, t: u8, depth: usize) -> Check {
        if depth > MAX_DEPTH {
            return Err("nested too deep".into());
        }
        match t {
            1 | 2 => Ok(()), // a bool inside a field header
            3 => self.skip(1),
            4 | 5 => self.varint().map(drop),
            6 => {
                // Every i64 of a footer is a row or value count, a size or an offset.
                let z = self.varint()?;
                let v = (z >> 1) as i64 ^ -((z & 1) as i64);
                if v.unsigned_abs() > MAX_COUNT {
                    return Err(format!("a count or offset of {v}, larger than any file"));
                }
                if v < 0 {
                    return Err(format!("a count, size or offset of {v}"));
                }
                Ok(())
            }
            7 => self.skip(8),
            8 => {
                let n = self.varint()?;
                self.skip(n)
            }
            9 | 10 => self.skip_list(depth),
            11 => self.skip_map(depth),
            12 => self.skip_struct(depth + 1),
            _ => Err(format!("unknown type {t}")),
        }
    }

    /// Walks a struct whose known fields must have parquet.thrift's types.
    fn typed_struct(&mut self, shape: Shape, depth: usize) -> Check {
        if depth > MAX_DEPTH {
            return Err("nested too deep".into());
        }
        let mut id = 0i64;
        while let Some((field, t)) = self.field(&mut id)? {
            let Some((want, inner)) = expected(shape, field) else {
                self.skip_value(t, depth + 1)?;
                continue;
            };
            // A bool field's type is its value: 1 true, 2 false.
            let same = t == want || (want == BOOL && t == 2);
            if !same {
                return Err(format!(
                    "field {field} of a {shape:?} has type {t}, not {want}"
                ));
            }
            match (t, inner) {
                (12, Shape::Other) | (9, Shape::Other) => self.skip_value(t, depth + 1)?,
                (12, inner) => self.typed_struct(inner, depth + 1)?,
                (9, inner) => self.typed_list(inner, depth + 1)?,
                _ => self.skip_value(t, depth + 1)?,
            }
        }
        Ok(())
    }

    /// A list of structs of `shape`.
    fn typed_list(&mut self, shape: Shape, depth: usize) -> Check {
        let header = self.byte()?;
        let t = header & 0x0f;
        let n = match header >> 4 {
            15 => self.varint()?,
            n => u64::from(n),
        };
        if n > 0 && t != 12 {
            return Err(format!("a list of {shape:?} holds elements of type {t}"));
        }
        if n > self.left() as u64 {
            return Err(format!(
                "a list of {n} elements with {} bytes left",
                self.left()
            ));
        }
        for _ in 0..n {
            self.typed_struct(shape, depth)?;
        }
        Ok(())
    }

    fn skip_struct(&mut self, depth: usize) -> Check {
        loop {
            let header = self.byte()?;
            let t = header & 0x0f;
            if t == 0 {
                return Ok(());
            }
            if header >> 4 == 0 {
                self.varint()?; // a field id that is not a small delta
            }
            self.skip_value(t, depth)?;
        }
    }

    fn skip_list(&mut self, depth: usize) -> Check {
        let header = self.byte()?;
        let t = header & 0x0f;
        let n = match header >> 4 {
            15 => self.varint()?,
            n => u64::from(n),
        };
        self.elements(n, &[t], depth)
    }

    fn skip_map(&mut self, depth: usize) -> Check {
        let n = self.varint()?;
        if n == 0 {
            return Ok(());
        }
        let types = self.byte()?;
        self.elements(n, &[types >> 4, types & 0x0f], depth)
    }

    /// Skips `n` elements of the given types, each taking at least one byte.
    fn elements(&mut self, n: u64, types: &[u8], depth: usize) -> Check {
        if n > self.left() as u64 {
            return Err(format!(
                "a list of {n} elements with {} bytes left",
                self.left()
            ));
        }
        for _ in 0..n {
            for &t in types {
                // Inside lists a bool is a byte of its own.
                if t == 1 || t == 2 {
                    self.skip(1)?;
                } else {
                    self.skip_value(t, depth + 1)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(bytes: &[u8]) -> Check {
        Walker { bytes, at: 0 }.skip_struct(0)
    }

    #[test]
    fn well_formed_and_forged_footers() {
        // Field 1 i32 (delta 1, type 5) = 2; field 2 list (delta 1, type 9) of 2 i32; stop.
        assert_eq!(walk(&[0x15, 0x04, 0x19, 0x25, 0x02, 0x04, 0x00]), Ok(()));
        // The same list claiming 2³¹ elements (size 15: a varint follows).
        let forged = [0x15, 0x04, 0x19, 0xf5, 0x80, 0x80, 0x80, 0x80, 0x08, 0x00];
        assert!(walk(&forged).unwrap_err().contains("elements"));
        // A string longer than what is left.
        assert!(walk(&[0x18, 0x7f, b'a']).unwrap_err().contains("length"));
        assert!(walk(&[0x15]).is_err());
        // An i64 field (type 6) claiming 2⁶¹ rows (zigzag varint of 2⁶¹).
        let mut huge = vec![0x16];
        let mut z: u64 = 1 << 62;
        while z >= 0x80 {
            huge.push((z as u8 & 0x7f) | 0x80);
            z >>= 7;
        }
        huge.extend([z as u8, 0x00]);
        assert!(walk(&huge).unwrap_err().contains("count or offset"));
        assert_eq!(walk(&[0x16, 0x80, 0x02, 0x00]), Ok(())); // 128 rows
    }

    /// Every footer polars writes passes.
    #[test]
    fn polars_footers_pass() {
        use polars::prelude::*;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.parquet");
        let mut df = df!("a" => [1i64, 2, 3], "b" => ["x", "y", "z"]).unwrap();
        ParquetWriter::new(std::fs::File::create(&p).unwrap())
            .finish(&mut df)
            .unwrap();
        check(&p).unwrap();
    }
}
