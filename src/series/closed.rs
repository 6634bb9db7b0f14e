//! The rows of the intervals a pass has closed, until the series is complete.
//!
//! Intervals close in time order almost always, so rows are appended to two parallel
//! vectors (interval, values); the few that close behind the last one (an input that
//! overlaps an earlier one's span) are kept aside in a map. At the end the rows become the
//! dense table in place: the vector of values is extended to the whole span and each row
//! moved to its interval, so a long series is never held twice (a map of rows, then the
//! table, was 2.5 times the table's size: 724 MB for the 1.7 M intervals of a 20-day
//! capture, against ~230 MB now).

use std::collections::BTreeMap;

use super::table::COLUMNS;

/// One interval's values (see [`super::table::Column`]).
pub type Row = [u64; COLUMNS];

#[derive(Default)]
pub struct Closed {
    /// Intervals in increasing order, beside their values in `rows`.
    keys: Vec<i64>,
    rows: Vec<Row>,
    /// Intervals that closed behind `keys`' last one.
    aside: BTreeMap<i64, Row>,
}

impl Closed {
    /// The row of interval `k`, if it closed.
    pub fn get_mut(&mut self, k: i64) -> Option<&mut Row> {
        match self.keys.binary_search(&k) {
            Ok(i) => Some(&mut self.rows[i]),
            Err(_) => self.aside.get_mut(&k),
        }
    }

    /// Closes interval `k` with `row` (replacing its row if it had one).
    pub fn insert(&mut self, k: i64, row: Row) {
        if self.keys.last().is_none_or(|&last| k > last) {
            self.keys.push(k);
            self.rows.push(row);
        } else if let Some(r) = self.get_mut(k) {
            *r = row;
        } else {
            self.aside.insert(k, row);
        }
    }

    /// The first and last interval closed.
    pub fn span(&self) -> Option<(i64, i64)> {
        let firsts = self
            .keys
            .first()
            .into_iter()
            .chain(self.aside.keys().next());
        let lasts = self
            .keys
            .last()
            .into_iter()
            .chain(self.aside.keys().next_back());
        firsts.min().copied().zip(lasts.max().copied())
    }

    /// Every closed interval and its row, in time order.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &Row)> {
        let mut appended = self.keys.iter().copied().zip(&self.rows).peekable();
        let mut aside = self.aside.iter().map(|(k, r)| (*k, r)).peekable();
        std::iter::from_fn(move || match (appended.peek(), aside.peek()) {
            (Some(a), Some(b)) if b.0 < a.0 => aside.next(),
            (Some(_), _) => appended.next(),
            (None, _) => aside.next(),
        })
    }

    /// The dense table of intervals `lo..=hi` (which hold every closed interval), empty
    /// intervals as zeros, built in the memory of the rows.
    pub fn into_dense(self, lo: i64, hi: i64) -> Vec<Row> {
        let Closed {
            keys,
            mut rows,
            aside,
        } = self;
        let n = usize::try_from(hi - lo + 1).expect("span checked by the caller");
        let appended = rows.len();
        rows.resize(n, [0; COLUMNS]);
        // From the back: row `i` goes to `keys[i] - lo`, never before `i` (the keys are
        // increasing and distinct), and never onto a row not yet moved.
        for i in (0..appended).rev() {
            let to = (keys[i] - lo) as usize;
            if to != i {
                rows[to] = rows[i];
                rows[i] = [0; COLUMNS];
            }
        }
        for (k, row) in aside {
            rows[(k - lo) as usize] = row;
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(x: u64) -> Row {
        std::array::from_fn(|c| x * 100 + c as u64)
    }

    #[test]
    fn rows_in_and_out_of_order_become_the_dense_table_a_map_would_give() {
        let mut x = 12345u64;
        for round in 0..50 {
            let mut closed = Closed::default();
            let mut map = BTreeMap::new();
            let mut k = 1000i64;
            for _ in 0..(round * 7 + 1) {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                // Mostly forward with gaps, sometimes behind (overlapping inputs).
                k = match x >> 60 {
                    0 => k - ((x >> 40) % 50) as i64,
                    _ => k + 1 + ((x >> 40) % 4) as i64,
                };
                if let Some(r) = closed.get_mut(k) {
                    r[0] += 1;
                    *map.get_mut(&k).unwrap() = *r;
                } else {
                    closed.insert(k, row(x % 1000));
                    map.insert(k, row(x % 1000));
                }
            }
            let listed: Vec<(i64, Row)> = closed.iter().map(|(k, r)| (k, *r)).collect();
            let want: Vec<(i64, Row)> = map.iter().map(|(k, r)| (*k, *r)).collect();
            assert_eq!(listed, want, "round {round}");
            let (lo, hi) = closed.span().unwrap();
            assert_eq!(
                (lo, hi),
                (*map.keys().next().unwrap(), *map.keys().last().unwrap())
            );
            let dense = closed.into_dense(lo, hi);
            assert_eq!(dense.len() as i64, hi - lo + 1);
            for (i, r) in dense.iter().enumerate() {
                let k = lo + i as i64;
                assert_eq!(
                    r,
                    map.get(&k).unwrap_or(&[0; COLUMNS]),
                    "round {round}, {k}"
                );
            }
        }
        assert!(Closed::default().span().is_none());
    }
}
