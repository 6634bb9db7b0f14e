//! Large zero-filled arrays in their own anonymous mapping, on transparent huge pages where
//! the kernel offers them (Linux `madvise` mode, the common default).
//!
//! Why: a pass over a short capture spends a visible share of its time in page faults.
//! The 4 MiB read buffers and the distinct-count tables (a few MiB per open interval) are
//! touched for the first time 4 KiB at a time, each fault zeroing one page and, for a
//! table first read then written, a second copy-on-write fault that stops the other
//! threads to flush their TLBs. Mapped with `MADV_HUGEPAGE`, the same memory arrives in
//! 2 MiB pages: 512 times fewer faults for the same bytes. `memmap2` makes the mapping and
//! gives the advice; what is written here is only the typed view over the bytes. Below
//! [`MAPPED_FROM`] bytes (or where mapping fails) the array is an ordinary `Vec`.

use std::marker::PhantomData;

/// Plain data for which all-zero bytes are a valid value.
///
/// # Safety
/// Every bit pattern of zeros must be a valid `Self`, and `Self` must own no resources.
pub unsafe trait Zeroable: Copy + Default {}

// SAFETY: integers are valid as zeros.
unsafe impl Zeroable for u8 {}
// SAFETY: as above.
unsafe impl Zeroable for u32 {}
// SAFETY: as above.
unsafe impl Zeroable for u64 {}
// SAFETY: as above.
unsafe impl Zeroable for u128 {}
// SAFETY: a tuple of zeroable fields is zeroable (its padding bytes are never read).
unsafe impl<A: Zeroable, B: Zeroable, C: Zeroable> Zeroable for (A, B, C) {}

/// Arrays of at least this many bytes get their own mapping: one huge page.
pub const MAPPED_FROM: usize = 2 << 20;

/// A base page: the unit touched when the mapping is made (see [`Zeroed::new`]).
const PAGE: usize = 4096;

/// A fixed-length array of `T`, zero-filled when made.
pub struct Zeroed<T: Zeroable> {
    mem: Mem<T>,
    len: usize,
}

enum Mem<T> {
    Heap(Vec<T>),
    Mapped(memmap2::MmapMut, PhantomData<T>),
}

impl<T: Zeroable> Zeroed<T> {
    /// `len` zeros.
    pub fn new(len: usize) -> Zeroed<T> {
        let bytes = len.saturating_mul(std::mem::size_of::<T>());
        let mem = if bytes >= MAPPED_FROM {
            map(bytes).map_or_else(|| Mem::Heap(heap(len)), |m| Mem::Mapped(m, PhantomData))
        } else {
            Mem::Heap(heap(len))
        };
        Zeroed { mem, len }
    }

    /// Whether the array has its own mapping (for tests).
    pub fn is_mapped(&self) -> bool {
        matches!(self.mem, Mem::Mapped(..))
    }
}

/// `len` zeros on the heap, written rather than allocated zeroed: a zeroed allocation maps
/// the shared zero page, and the first write to each page then costs a copy-on-write
/// fault that stops the other threads to flush their TLBs (measured: 7 % of a pass).
fn heap<T: Zeroable>(len: usize) -> Vec<T> {
    let mut v = Vec::with_capacity(len);
    v.resize(len, T::default());
    v
}

/// A mapping of at least `bytes`, a whole number of huge pages long (the kernel then
/// aligns it on one), advised onto huge pages and written once per base page, so that no
/// page is first mapped for reading (the copy-on-write fault [`heap`] avoids).
fn map(bytes: usize) -> Option<memmap2::MmapMut> {
    let rounded = bytes.checked_next_multiple_of(MAPPED_FROM)?;
    let mut m = memmap2::MmapOptions::new().len(rounded).map_anon().ok()?;
    #[cfg(target_os = "linux")]
    {
        // Advice only: without it the pages are small, and the array the same.
        let _ = m.advise(memmap2::Advice::HugePage);
    }
    for page in m.chunks_mut(PAGE) {
        // A zero written over a zero: volatile, so it is not optimised away.
        // SAFETY: `page` is a live, non-empty, exclusively borrowed slice.
        unsafe { std::ptr::write_volatile(page.as_mut_ptr(), 0) };
    }
    Some(m)
}

impl<T: Zeroable> std::ops::Deref for Zeroed<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match &self.mem {
            Mem::Heap(v) => v,
            // SAFETY: the mapping is page-aligned (so aligned for `T`), at least
            // `len * size_of::<T>()` bytes long (see `new`), lives as long as `self`, and
            // holds only bytes written as zeros or through `deref_mut` as `T`s; zeros are
            // a valid `T` (`Zeroable`).
            Mem::Mapped(m, _) => unsafe {
                std::slice::from_raw_parts(m.as_ptr().cast::<T>(), self.len)
            },
        }
    }
}

impl<T: Zeroable> std::ops::DerefMut for Zeroed<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        match &mut self.mem {
            Mem::Heap(v) => v,
            // SAFETY: as in `deref`; the borrow of `self` is exclusive.
            Mem::Mapped(m, _) => unsafe {
                std::slice::from_raw_parts_mut(m.as_mut_ptr().cast::<T>(), self.len)
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_large_arrays_are_zeros_and_hold_what_is_written() {
        for len in [
            0usize,
            1,
            1000,
            MAPPED_FROM / 16 - 1,
            MAPPED_FROM / 16,
            300_001,
        ] {
            let mut z: Zeroed<u128> = Zeroed::new(len);
            assert_eq!(z.len(), len);
            assert_eq!(z.is_mapped(), len * 16 >= MAPPED_FROM, "len {len}");
            assert!(z.iter().all(|x| *x == 0));
            for (i, x) in z.iter_mut().enumerate() {
                *x = (i as u128) << 64 | 7;
            }
            assert!(z
                .iter()
                .enumerate()
                .all(|(i, x)| *x == (i as u128) << 64 | 7));
            z.fill(0);
            assert!(z.iter().all(|x| *x == 0));
        }
        let t: Zeroed<(u128, u128, u64)> = Zeroed::new(100_000);
        assert!(t.is_mapped());
        assert!(t.iter().all(|x| *x == (0, 0, 0)));
    }
}
