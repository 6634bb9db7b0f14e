//! What the hand-written tables share ([`crate::series::distinct`], the IPv4 address
//! dictionaries of [`crate::dataset`]): a multiply-fold mixer, a seed drawn at random per
//! table (so no input can be crafted to make its keys collide), and a prefetch.

/// The 64×64 → 128-bit product folded to 64 bits (the mixer of foldhash and wyhash).
#[inline(always)]
pub fn fold(a: u64, b: u64) -> u64 {
    let p = (a as u128).wrapping_mul(b as u128);
    (p as u64) ^ ((p >> 64) as u64)
}

/// A seed that differs per table and per run (what a table holds never depends on it).
pub fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    h.finish()
}

/// Asks the cache for the line holding `p` (a hint: no effect on what the program does).
#[inline(always)]
pub fn prefetch<T>(p: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it never faults and `p` points into a live slice.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p as *const T as *const i8, std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}
