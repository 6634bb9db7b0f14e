//! The string columns of a batch as dictionaries (Parquet stores them dictionary-encoded):
//! each distinct value once, in order of first use, and a key per row. Built from the few
//! bytes a value is made of (an address, a protocol) rather than from its text.

use std::collections::HashMap;

use foldhash::fast::FixedState;
use polars::prelude::*;
use polars_arrow::array::{
    Array, ArrayRef, DictionaryArray, MutableBinaryViewArray, PrimitiveArray, Utf8ViewArray,
};
use polars_arrow::datatypes::{ArrowDataType, IntegerType};

use super::{fmt_ipv4, fmt_ipv6};
use crate::util::hash;

/// A string column of a batch as keys into its distinct values, in order of first use.
/// Parquet stores string columns dictionary-encoded; building the dictionary here, from
/// the few bytes a value is made of (an address, a protocol), spares the writer hashing
/// every string (measured: a third of `preprocess`'s CPU).
pub(super) struct DictColumn {
    pub(super) keys: Vec<u32>,
    pub(super) values: MutableBinaryViewArray<str>,
}

/// Where each value of a [`DictColumn`] is, by what it is made from (the maps are kept
/// small: an IPv6 address is hashed as the 16 bytes it is).
pub(super) type Index<K> = HashMap<K, u32, FixedState>;

/// A dictionary index: the key of `key`'s value, or `next` (and true) when it is new.
pub(super) trait Lookup<K> {
    fn key_of(&mut self, key: K, next: u32) -> (u32, bool);
}

impl<K: std::hash::Hash + Eq> Lookup<K> for Index<K> {
    #[inline]
    fn key_of(&mut self, key: K, next: u32) -> (u32, bool) {
        let mut new = false;
        let k = *self.entry(key).or_insert_with(|| {
            new = true;
            next
        });
        (k, new)
    }
}

/// IPv4 address → dictionary key, written by hand because its lookups are prefetched:
/// the two address lookups of every row were half the decoding time of `preprocess` on a
/// backbone trace, nearly all of it waiting for the cache (a chunk holds ~10⁴ distinct
/// addresses, more than the first cache levels keep), and a general map offers no way
/// to fetch a key's slot ahead. One 8-byte slot holds an address and its key; open
/// addressing, linear probing, load ≤ ½, hash seeded at random per index (no capture can
/// make every address collide).
struct Index4 {
    /// `address << 32 | (key + 1)`; 0 is an empty slot.
    slots: Vec<u64>,
    mask: usize,
    len: usize,
    seed: u64,
}

impl Index4 {
    fn with_capacity(n: usize) -> Index4 {
        let slots = (2 * n).next_power_of_two().max(16);
        Index4 {
            slots: vec![0; slots],
            mask: slots - 1,
            len: 0,
            seed: hash::random_seed(),
        }
    }

    #[inline]
    fn slot(&self, a: u32) -> usize {
        hash::fold(a as u64 ^ self.seed, 0x243f_6a88_85a3_08d3) as usize & self.mask
    }

    /// Asks the cache for the slot of `a`, to be looked up a little later.
    #[inline]
    fn prefetch(&self, a: u32) {
        hash::prefetch(&self.slots[self.slot(a)]);
    }

    fn grow(&mut self) {
        let old = std::mem::replace(&mut self.slots, vec![0; 2 * (self.mask + 1)]);
        self.mask = self.slots.len() - 1;
        for s in old.into_iter().filter(|s| *s != 0) {
            let mut i = self.slot((s >> 32) as u32);
            while self.slots[i] != 0 {
                i = (i + 1) & self.mask;
            }
            self.slots[i] = s;
        }
    }
}

impl Lookup<u32> for Index4 {
    #[inline]
    fn key_of(&mut self, a: u32, next: u32) -> (u32, bool) {
        let mut i = self.slot(a);
        loop {
            let s = self.slots[i];
            if s == 0 {
                break;
            }
            if (s >> 32) as u32 == a {
                return ((s as u32).wrapping_sub(1), false);
            }
            i = (i + 1) & self.mask;
        }
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
            i = self.slot(a);
            while self.slots[i] != 0 {
                i = (i + 1) & self.mask;
            }
        }
        // A batch has far fewer than 2³² − 1 distinct addresses: `next + 1` fits.
        self.slots[i] = (a as u64) << 32 | (next as u64 + 1);
        self.len += 1;
        (next, true)
    }
}

/// How many IPv4 addresses ahead of its lookup an address's slot is prefetched.
const AHEAD: usize = 16;

/// A column of addresses as the rows gave them, made a [`DictColumn`] once the batch is
/// complete, so that its IPv4 lookups can be prefetched.
#[derive(Default)]
pub(super) struct Addresses {
    pub(super) v4: Vec<u32>,
    pub(super) v6: Vec<u128>,
}

impl Addresses {
    pub(super) fn with_capacity(n: usize) -> Self {
        Addresses {
            v4: Vec::with_capacity(n),
            v6: Vec::new(),
        }
    }

    /// The dictionary column, rows in order (`is_v6[row]`: which list the row's address
    /// is next in), values in order of first use.
    pub(super) fn into_dict(self, is_v6: &[bool]) -> DictColumn {
        let mut col = DictColumn::with_capacity(is_v6.len());
        let mut index4 = Index4::with_capacity(self.v4.len() / 2);
        let mut index6 = Index::<u128>::default();
        for a in self.v4.iter().take(AHEAD) {
            index4.prefetch(*a);
        }
        let (mut i4, mut i6) = (0, 0);
        let mut buf = [0u8; 45];
        for &v6 in is_v6 {
            if v6 {
                let a = self.v6[i6];
                i6 += 1;
                col.push(&mut index6, a, || fmt_ipv6(&a.to_be_bytes(), &mut buf));
            } else {
                if let Some(next) = self.v4.get(i4 + AHEAD) {
                    index4.prefetch(*next);
                }
                let a = self.v4[i4];
                i4 += 1;
                col.push(&mut index4, a, || fmt_ipv4(&a.to_be_bytes(), &mut buf));
            }
        }
        col
    }
}

impl DictColumn {
    pub(super) fn with_capacity(n: usize) -> Self {
        DictColumn {
            keys: Vec::with_capacity(n),
            values: MutableBinaryViewArray::new(),
        }
    }

    /// Appends the value of `key` (looked up in `index`), made by `text` the first time
    /// it is seen.
    #[inline]
    pub(super) fn push<'a, K>(
        &mut self,
        index: &mut impl Lookup<K>,
        key: K,
        text: impl FnOnce() -> &'a str,
    ) {
        let (k, new) = index.key_of(key, self.values.len() as u32);
        if new {
            self.values.push_value(text());
        }
        self.keys.push(k);
    }

    /// The column as Arrow's dictionary array (how it is written).
    pub(super) fn into_arrow(self) -> ArrayRef {
        let values: Utf8ViewArray = self.values.freeze();
        let dtype =
            ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(values.dtype().clone()), false);
        let keys = PrimitiveArray::from_vec(self.keys);
        Box::new(
            DictionaryArray::try_new(dtype, keys, values.boxed())
                .expect("every key indexes a value pushed"),
        )
    }

    /// The column as plain strings.
    pub(super) fn into_strings(self, name: &str) -> Column {
        let values: Utf8ViewArray = self.values.freeze();
        let mut b = StringChunkedBuilder::new(name.into(), self.keys.len());
        for k in self.keys {
            b.append_value(values.value(k as usize));
        }
        b.finish().into_series().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The IPv4 index numbers keys as a map numbering them in order of first use would,
    /// through its growth, the all-zero address included.
    #[test]
    fn ipv4_index_agrees_with_a_map() {
        let mut index = Index4::with_capacity(1);
        let mut map: HashMap<u32, u32> = HashMap::new();
        let mut x = 99u64;
        for i in 0..50_000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let a = match i % 5 {
                0 => 0,
                1 => i,
                _ => (x >> 40) as u32 % 20_000,
            };
            let next = map.len() as u32;
            let want = *map.entry(a).or_insert(next);
            assert_eq!(index.key_of(a, next), (want, want == next), "key {a}");
        }
        assert_eq!(index.len, map.len());
    }
}
