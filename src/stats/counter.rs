//! Counters: [`VisitorSet`], a distinct count exact while small and a HyperLogLog++ sketch after,
//! and [`Table`], the rows of one report dimension.

use super::hll::DenseHll;
use crate::privacy::visitor::VisitorKey;
use rustc_hash::{FxHashMap, FxHashSet};

/// Distinct visitors kept exactly up to this many; above it a sketch takes over.
pub const EXACT_LIMIT: usize = 1024;

/// A set of visitor keys that answers "how many distinct?".
#[derive(Clone)]
pub enum VisitorSet {
    Exact(FxHashSet<u64>),
    Sketch(Box<DenseHll>),
}

impl Default for VisitorSet {
    fn default() -> Self {
        VisitorSet::Exact(FxHashSet::default())
    }
}

impl std::fmt::Debug for VisitorSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VisitorSet::Exact(set) => write!(f, "Exact({} keys)", set.len()),
            VisitorSet::Sketch(_) => f.write_str("Sketch"),
        }
    }
}

impl VisitorSet {
    #[inline]
    pub fn insert(&mut self, key: VisitorKey) {
        match self {
            VisitorSet::Exact(set) => {
                if set.insert(key.0) && set.len() > EXACT_LIMIT {
                    self.promote();
                }
            }
            VisitorSet::Sketch(sketch) => sketch.insert(key.0),
        }
    }

    fn promote(&mut self) {
        if let VisitorSet::Exact(set) = self {
            let mut sketch = Box::<DenseHll>::default();
            for &key in set.iter() {
                sketch.insert(key);
            }
            *self = VisitorSet::Sketch(sketch);
        }
    }

    /// Adds every key of `other`.
    pub fn merge(&mut self, other: &VisitorSet) {
        match (&mut *self, other) {
            (VisitorSet::Exact(mine), VisitorSet::Exact(theirs)) => {
                mine.extend(theirs.iter().copied());
                if mine.len() > EXACT_LIMIT {
                    self.promote();
                }
            }
            (VisitorSet::Sketch(mine), VisitorSet::Exact(theirs)) => {
                for &key in theirs {
                    mine.insert(key);
                }
            }
            (_, VisitorSet::Sketch(theirs)) => {
                self.promote();
                if let VisitorSet::Sketch(mine) = self {
                    mine.merge(theirs);
                }
            }
        }
    }

    /// Distinct keys: exact while [`Self::is_exact`], estimated after.
    pub fn count(&self) -> u64 {
        match self {
            VisitorSet::Exact(set) => set.len() as u64,
            VisitorSet::Sketch(sketch) => sketch.count(),
        }
    }

    /// True when the set has `k` keys or more. A sketch holds more than [`EXACT_LIMIT`] keys by
    /// construction, so it is estimated only for larger `k`.
    pub fn has_at_least(&self, k: u64) -> bool {
        match self {
            VisitorSet::Exact(set) => set.len() as u64 >= k,
            VisitorSet::Sketch(_) if k <= EXACT_LIMIT as u64 + 1 => true,
            VisitorSet::Sketch(sketch) => sketch.count() >= k,
        }
    }

    pub fn is_exact(&self) -> bool {
        matches!(self, VisitorSet::Exact(_))
    }
}

/// One row of a dimension.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub hits: u64,
    /// Bytes sent, counted only by tables that report them (bots).
    pub bytes: u64,
    pub visitors: VisitorSet,
}

impl Row {
    #[inline]
    fn count(&mut self, visitor: Option<VisitorKey>) {
        self.hits += 1;
        if let Some(v) = visitor {
            self.visitors.insert(v);
        }
    }
}

/// The rows of one dimension, keyed by bytes.
#[derive(Debug, Clone, Default)]
pub struct Table {
    rows: FxHashMap<Box<[u8]>, Row>,
}

impl Table {
    /// Counts one hit on row `key`, by `visitor` when the hit counts toward visitors.
    #[inline]
    pub fn add(&mut self, key: &[u8], visitor: Option<VisitorKey>) {
        self.with_row(key, |row| row.count(visitor));
    }

    /// Counts one hit of `bytes` bytes on row `key`.
    #[inline]
    pub fn add_sized(&mut self, key: &[u8], visitor: Option<VisitorKey>, bytes: u64) {
        self.with_row(key, |row| {
            row.count(visitor);
            row.bytes += bytes;
        });
    }

    /// Calls `f` on row `key`, created when new; the key is copied only then.
    #[inline]
    fn with_row(&mut self, key: &[u8], f: impl FnOnce(&mut Row)) {
        match self.rows.get_mut(key) {
            Some(row) => f(row),
            None => f(self.rows.entry(key.into()).or_default()),
        }
    }

    pub fn merge(&mut self, other: &Table) {
        for (key, theirs) in &other.rows {
            match self.rows.get_mut(key) {
                Some(mine) => {
                    mine.hits += theirs.hits;
                    mine.bytes += theirs.bytes;
                    mine.visitors.merge(&theirs.visitors);
                }
                None => {
                    self.rows.insert(key.clone(), theirs.clone());
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn hits_total(&self) -> u64 {
        self.rows.values().map(|r| r.hits).sum()
    }

    pub fn get(&self, key: &[u8]) -> Option<&Row> {
        self.rows.get(key)
    }

    /// The rows, in no particular order.
    pub fn into_rows(self) -> impl Iterator<Item = (Box<[u8]>, Row)> {
        self.rows.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(range: std::ops::Range<u64>) -> impl Iterator<Item = VisitorKey> {
        // A bijective mix, so keys look random as visitor keys do.
        range.map(|i| VisitorKey(i.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29) ^ 0xA5A5))
    }

    #[test]
    fn exact_while_small() {
        let mut set = VisitorSet::default();
        for k in keys(0..EXACT_LIMIT as u64).chain(keys(0..10)) {
            set.insert(k);
        }
        assert!(set.is_exact());
        assert_eq!(set.count(), EXACT_LIMIT as u64);
    }

    #[test]
    fn sketch_estimates_within_two_percent() {
        let mut set = VisitorSet::default();
        for k in keys(0..100_000) {
            set.insert(k);
        }
        assert!(!set.is_exact());
        let n = set.count() as f64;
        assert!((n - 100_000.0).abs() / 100_000.0 < 0.02, "{n}");
    }

    #[test]
    fn merge_is_a_union_in_every_combination() {
        let build = |r: std::ops::Range<u64>| {
            let mut s = VisitorSet::default();
            keys(r).for_each(|k| s.insert(k));
            s
        };
        // exact + exact, overlapping
        let mut a = build(0..300);
        a.merge(&build(200..500));
        assert_eq!(a.count(), 500);
        // exact + exact crossing the limit, sketch + exact, exact + sketch
        let mut b = build(0..800);
        b.merge(&build(800..1600));
        assert!(!b.is_exact());
        let mut c = build(0..50);
        c.merge(&build(50..5000));
        let mut d = build(50..5000);
        d.merge(&build(0..50));
        for s in [b, c, d] {
            let n = s.count() as f64;
            let want = if n < 2000.0 { 1600.0 } else { 5000.0 };
            assert!((n - want).abs() / want < 0.02, "{n} vs {want}");
        }
    }

    #[test]
    fn table_counts_hits_and_row_visitors() {
        let mut t = Table::default();
        let v: Vec<VisitorKey> = keys(0..3).collect();
        t.add(b"/a", Some(v[0]));
        t.add(b"/a", Some(v[0]));
        t.add(b"/a", Some(v[1]));
        t.add(b"/b", None);
        let mut other = Table::default();
        other.add(b"/a", Some(v[2]));
        other.add(b"/c", Some(v[2]));
        t.merge(&other);
        assert_eq!(t.len(), 3);
        assert_eq!(t.hits_total(), 6);
        let a = t.get(b"/a").unwrap().clone();
        assert_eq!((a.hits, a.visitors.count()), (4, 3));
        let b = t.get(b"/b").unwrap().clone();
        assert_eq!((b.hits, b.visitors.count()), (1, 0));
    }
}
