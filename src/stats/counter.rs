//! Counters: [`VisitorSet`], a distinct count exact while small and a dense HyperLogLog after,
//! and [`Table`], the rows of one report dimension.

use super::hll::DenseHll;
use super::key_map::KeyMap;
use super::row_map::{RowHint, RowMap};
use crate::privacy::visitor::VisitorKey;
use rayon::iter::ParallelIterator;
use std::cell::Cell;

/// Sketch precision of the site-wide visitor count: 16 KiB, 0.81% standard error.
pub const TOTAL_PRECISION: u8 = 14;
/// Sketch precision of row and time-bucket visitor counts: 4 KiB, 1.6% standard error. There
/// can be tens of thousands of rows, so each must stay small; counts below the exact limit,
/// where the k threshold decides, are exact anyway.
pub const ROW_PRECISION: u8 = 12;

/// Keys kept exactly before a sketch of `precision` takes over: where a hash set of them would
/// outgrow the sketch (256 for rows, 1,024 for the total).
pub const fn exact_limit(precision: u8) -> usize {
    (1 << precision) / 16
}

/// A set of visitor keys that answers "how many distinct?".
#[derive(Clone)]
pub struct VisitorSet {
    precision: u8,
    keys: Keys,
}

#[derive(Clone)]
enum Keys {
    Exact(KeyMap<()>),
    // Not boxed: the registers are behind a pointer already, and one more pointer to chase
    // on every insert was a cache miss more for each row sketch a line touches.
    Sketch(DenseHll),
}

/// A row's set: [`ROW_PRECISION`].
impl Default for VisitorSet {
    fn default() -> Self {
        VisitorSet::with_precision(ROW_PRECISION)
    }
}

impl std::fmt::Debug for VisitorSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.keys {
            Keys::Exact(set) => write!(f, "Exact({} keys)", set.len()),
            Keys::Sketch(_) => write!(f, "Sketch(p={})", self.precision),
        }
    }
}

impl VisitorSet {
    /// The site-wide set: [`TOTAL_PRECISION`].
    pub fn total() -> VisitorSet {
        VisitorSet::with_precision(TOTAL_PRECISION)
    }

    fn with_precision(precision: u8) -> VisitorSet {
        VisitorSet {
            precision,
            keys: Keys::Exact(KeyMap::default()),
        }
    }

    fn exact_limit(&self) -> usize {
        exact_limit(self.precision)
    }

    #[inline]
    pub fn insert(&mut self, key: VisitorKey) {
        match &mut self.keys {
            Keys::Exact(set) => {
                if set.insert(key.0) && set.len() > exact_limit(self.precision) {
                    self.promote();
                }
            }
            Keys::Sketch(sketch) => sketch.insert(key.0),
        }
    }

    /// Starts loading the place an insert of `key` reads first, so that the insert, made a
    /// little later, finds it in cache.
    #[inline]
    pub fn prefetch(&self, key: VisitorKey) {
        match &self.keys {
            Keys::Exact(set) => set.prefetch(key.0),
            Keys::Sketch(sketch) => sketch.prefetch(key.0),
        }
    }

    fn promote(&mut self) {
        if let Keys::Exact(set) = &self.keys {
            let mut sketch = DenseHll::new(self.precision);
            for key in set.keys() {
                sketch.insert(key);
            }
            self.keys = Keys::Sketch(sketch);
        }
    }

    /// Adds every key of `other`, which must have the same precision.
    pub fn merge(&mut self, other: &VisitorSet) {
        assert_eq!(self.precision, other.precision, "sets of one kind merge");
        let limit = self.exact_limit();
        match (&mut self.keys, &other.keys) {
            (Keys::Exact(mine), Keys::Exact(theirs)) => {
                theirs.keys().for_each(|key| {
                    mine.insert(key);
                });
                if mine.len() > limit {
                    self.promote();
                }
            }
            (Keys::Sketch(mine), Keys::Exact(theirs)) => {
                for key in theirs.keys() {
                    mine.insert(key);
                }
            }
            (_, Keys::Sketch(theirs)) => {
                self.promote();
                if let Keys::Sketch(mine) = &mut self.keys {
                    mine.merge(theirs);
                }
            }
        }
    }

    /// Distinct keys: exact while [`Self::is_exact`], estimated after.
    pub fn count(&self) -> u64 {
        match &self.keys {
            Keys::Exact(set) => set.len() as u64,
            Keys::Sketch(sketch) => sketch.count(),
        }
    }

    /// True when the set has `k` keys or more. A sketch holds more keys than the exact limit by
    /// construction, so it is estimated only for larger `k`.
    pub fn has_at_least(&self, k: u64) -> bool {
        match &self.keys {
            Keys::Exact(set) => set.len() as u64 >= k,
            Keys::Sketch(_) if k <= self.exact_limit() as u64 + 1 => true,
            Keys::Sketch(sketch) => sketch.count() >= k,
        }
    }

    pub fn is_exact(&self) -> bool {
        matches!(self.keys, Keys::Exact(_))
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
    /// Counts one hit, by `visitor` when the hit counts toward visitors.
    #[inline]
    pub fn count(&mut self, visitor: Option<VisitorKey>) {
        self.hits += 1;
        if let Some(v) = visitor {
            self.visitors.insert(v);
        }
    }
}

/// Most rows a table keeps. Past it the lighter half of the rows is dropped, so a log with
/// millions of distinct paths (scanners make them) needs bounded memory and still shows its
/// heavy hitters.
pub const MAX_ROWS: usize = 1 << 16;

/// Where a row of a [`Table`] is, from [`Table::hit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowAt(usize);

/// What a table dropped to stay within its row limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Rows dropped (a key dropped twice counts twice).
    pub rows: u64,
    pub hits: u64,
    pub bytes: u64,
    /// How many hits any kept row may be missing: a key dropped and seen again lost the hits
    /// it had, at most the largest count dropped in that round, summed over rounds.
    pub max_error: u64,
}

/// The rows of one dimension, keyed by bytes, at most [`MAX_ROWS`] of them.
///
/// Bounded like the batch variants of Misra-Gries and Space-Saving: when a new key would pass
/// the limit, every row at or below the median hit count is dropped; their hits and bytes are
/// kept apart in [`Dropped`] (the report adds them to `(other)`, so totals still add up) and
/// their visitors are forgotten, so row visitors are never overstated and k-anonymity holds.
#[derive(Debug, Clone)]
pub struct Table {
    rows: RowMap<Row>,
    dropped: Dropped,
    max_rows: usize,
}

impl Default for Table {
    fn default() -> Self {
        Table::with_max_rows(MAX_ROWS)
    }
}

impl FromIterator<(Box<[u8]>, Row)> for Table {
    fn from_iter<I: IntoIterator<Item = (Box<[u8]>, Row)>>(rows: I) -> Self {
        Table {
            rows: rows.into_iter().collect(),
            ..Table::default()
        }
    }
}

impl Table {
    /// A table that keeps at most `max_rows` rows (at least 2).
    pub fn with_max_rows(max_rows: usize) -> Table {
        Table {
            rows: RowMap::default(),
            dropped: Dropped::default(),
            max_rows: max_rows.max(2),
        }
    }

    /// Counts one hit of `bytes` bytes on row `key`, starts loading the place in the row's
    /// visitor set that `visitor` will take, and returns where the row is, for
    /// [`Self::count_visitor`] to add the visitor a little later: a line finds all its rows
    /// first and inserts after, so that the sets' cache misses overlap other work instead of
    /// following one another. `None` when the row was new and dropped at once to keep the
    /// table bounded, which forgets its visitors as [`Self::add`] does.
    ///
    /// The [`RowAt`] names the row only until the table next gains or loses a row: one hit
    /// per table, then its visitor.
    ///
    /// `hint`, when given, is where the caller keeps the row's place for `key` between hits:
    /// a hint this table gave finds the row without hashing and comparing the key, and any
    /// other is replaced by one that does.
    ///
    /// perf: forced inline at each of its callers on the per-line path: 63 instructions and
    /// 42 loads and stores a line fewer (callgrind, `c64.log`).
    #[inline(always)]
    pub fn hit(
        &mut self,
        key: &[u8],
        hint: Option<&Cell<RowHint>>,
        bytes: u64,
        visitor: Option<VisitorKey>,
    ) -> Option<RowAt> {
        if let Some(hint) = hint
            && let Some(at) = self.hit_hinted(hint.get(), bytes, visitor)
        {
            debug_assert_eq!(self.rows.key_at(at.0), Some(key));
            return Some(at);
        }
        let (index, new) = match self.rows.find_index(key) {
            Some(index) => (index, false),
            None => (self.rows.insert_new(key, Row::default()), true),
        };
        if let Some(hint) = hint {
            hint.set(self.rows.hint(index));
        }
        self.count_at(index, new, bytes, visitor)
    }

    /// [`Self::hit`] on the row of `hint`, for a caller whose key costs work to make: `None`,
    /// counting nothing, when the hint is not one this table can take, and then the caller
    /// makes the key and calls [`Self::hit`] with the same hint.
    #[inline]
    pub fn hit_hinted(
        &mut self,
        hint: RowHint,
        bytes: u64,
        visitor: Option<VisitorKey>,
    ) -> Option<RowAt> {
        let index = self.rows.hinted_index(hint)?;
        self.count_at(index, false, bytes, visitor)
    }

    /// The counting of [`Self::hit`], on the row at bucket `index`.
    #[inline]
    fn count_at(
        &mut self,
        index: usize,
        new: bool,
        bytes: u64,
        visitor: Option<VisitorKey>,
    ) -> Option<RowAt> {
        let row = self.rows.at_mut(index).expect("a row just found");
        row.hits += 1;
        row.bytes += bytes;
        if let Some(v) = visitor {
            row.visitors.prefetch(v);
        }
        if new && self.rows.len() > self.max_rows {
            self.drop_lighter_half();
            // Dropping keeps the other buckets where they are.
            return self.rows.at(index).is_some().then_some(RowAt(index));
        }
        Some(RowAt(index))
    }

    /// Adds `visitor` to the row of a [`Self::hit`].
    #[inline]
    pub fn count_visitor(&mut self, at: RowAt, visitor: VisitorKey) {
        self.rows
            .at_mut(at.0)
            .expect("the row of this line's hit")
            .visitors
            .insert(visitor);
    }

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

    /// Adds `hits` and `bytes` to row `key`, and the `visitors` when they count there.
    pub fn add_row(&mut self, key: &[u8], hits: u64, bytes: u64, visitors: Option<&VisitorSet>) {
        self.with_row(key, |row| {
            row.hits += hits;
            row.bytes += bytes;
            if let Some(v) = visitors {
                row.visitors.merge(v);
            }
        });
    }

    /// The rows, in no particular order.
    pub fn rows(&self) -> impl Iterator<Item = (&[u8], &Row)> {
        self.rows.iter()
    }

    /// Calls `f` on row `key`, created when new; the key is copied only then.
    ///
    /// perf: an existing row is found with a plain look-up; going through the entry API on
    /// every line, which looks up only once for a new row, cost 127 more instructions a line.
    #[inline]
    fn with_row(&mut self, key: &[u8], f: impl FnOnce(&mut Row)) {
        match self.rows.get_mut(key) {
            Some(row) => f(row),
            None => {
                f(self.rows.get_or_insert_with(key, Row::default));
                if self.rows.len() > self.max_rows {
                    self.drop_lighter_half();
                }
            }
        }
    }

    /// Drops every row at or below the median hit count.
    #[cold]
    fn drop_lighter_half(&mut self) {
        let mut hits: Vec<u64> = self.rows.values().map(|r| r.hits).collect();
        let middle = hits.len() / 2;
        let median = *hits.select_nth_unstable(middle).1;
        let dropped = &mut self.dropped;
        let mut largest = 0;
        self.rows.retain(|_, row| {
            if row.hits > median {
                return true;
            }
            dropped.rows += 1;
            dropped.hits += row.hits;
            dropped.bytes += row.bytes;
            largest = largest.max(row.hits);
            false
        });
        dropped.max_error += largest;
    }

    /// Adds `other`'s rows to this table's.
    ///
    /// perf: rows take in theirs on every thread of the rayon pool. Merging the visitor sets
    /// is most of the work: on one thread, the pages table's merge was 35 of the 40 ms that a
    /// two-thread run of a 1 GiB log spent merging its workers' counts with the other core idle.
    pub fn merge(&mut self, other: &Table) {
        // Rows new to this table first, on this thread: an insert may move every entry. A
        // new row starts empty, so merging into it gives a copy of theirs.
        for (key, _) in other.rows.iter() {
            self.rows.get_or_insert_with(key, Row::default);
        }
        self.rows.par_iter_mut().for_each(|(key, mine)| {
            if let Some(theirs) = other.rows.get(key) {
                mine.hits += theirs.hits;
                mine.bytes += theirs.bytes;
                mine.visitors.merge(&theirs.visitors);
            }
        });
        self.dropped.rows += other.dropped.rows;
        self.dropped.hits += other.dropped.hits;
        self.dropped.bytes += other.dropped.bytes;
        self.dropped.max_error += other.dropped.max_error;
        while self.rows.len() > self.max_rows {
            self.drop_lighter_half();
        }
    }

    /// What the table dropped to stay bounded; all zero for a table that never reached its limit.
    pub fn dropped(&self) -> Dropped {
        self.dropped
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

    /// The rows, in no particular order, and what was dropped.
    pub fn into_parts(self) -> (impl Iterator<Item = (Box<[u8]>, Row)>, Dropped) {
        (self.rows.into_iter(), self.dropped)
    }
}

/// A row as `(key, hits, bytes, visitors)`, for tests to compare tables by.
#[cfg(test)]
pub(crate) type RowSummary = (Vec<u8>, u64, u64, u64);

/// The rows of `table`, sorted, for tests to compare tables by.
#[cfg(test)]
pub(crate) fn rows_of(table: &Table) -> Vec<RowSummary> {
    let mut rows: Vec<_> = table
        .rows()
        .map(|(k, r)| (k.to_vec(), r.hits, r.bytes, r.visitors.count()))
        .collect();
    rows.sort();
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn keys(range: std::ops::Range<u64>) -> impl Iterator<Item = VisitorKey> {
        crate::stats::hll::test_keys(range).map(VisitorKey)
    }

    #[test]
    fn a_hit_with_its_visitor_later_counts_as_an_add() {
        // Five heavy keys and sixty light ones, in tables of 2, 8 and 64 rows at most: rows are
        // dropped and come back, and a new row may be dropped at once.
        // The same with row hints kept per key, as the anonymiser's memos keep them: for one
        // table, and for two tables that share the hints, so that each meets hints of the
        // other, which it must refuse.
        let visitors: Vec<VisitorKey> = keys(0..600).collect();
        for max_rows in [2, 8, 64] {
            let table = || Table::with_max_rows(max_rows);
            let (mut added, mut hit, mut hinted) = (table(), table(), table());
            let (mut shared_a, mut shared_b) = (table(), table());
            let mut hints: HashMap<String, Cell<RowHint>> = HashMap::new();
            let mut shared_hints: HashMap<String, Cell<RowHint>> = HashMap::new();
            let mut dropped_at_once = 0;
            for (i, &v) in visitors.iter().enumerate() {
                let key = match i % 3 {
                    0 => format!("/light/{}", i * 7 % 60),
                    _ => format!("/heavy/{}", i % 5),
                };
                let bytes = i as u64;
                added.add_sized(key.as_bytes(), Some(v), bytes);
                match hit.hit(key.as_bytes(), None, bytes, Some(v)) {
                    Some(at) => hit.count_visitor(at, v),
                    None => dropped_at_once += 1,
                }
                let hint = hints.entry(key.clone()).or_default();
                if let Some(at) = hinted.hit(key.as_bytes(), Some(hint), bytes, Some(v)) {
                    hinted.count_visitor(at, v);
                }
                let hint = shared_hints.entry(key.clone()).or_default();
                for shared in [&mut shared_a, &mut shared_b] {
                    if let Some(at) = shared.hit(key.as_bytes(), Some(hint), bytes, Some(v)) {
                        shared.count_visitor(at, v);
                    }
                }
            }
            for other in [&hit, &hinted, &shared_a, &shared_b] {
                assert_eq!(rows_of(other), rows_of(&added), "{max_rows}");
                assert_eq!(other.dropped(), added.dropped());
            }
            assert_eq!(added.dropped().rows > 0, max_rows < 64, "{max_rows}");
            assert_eq!(dropped_at_once > 0, max_rows < 64, "{max_rows}");
        }
    }

    #[test]
    fn exact_while_small() {
        let mut set = VisitorSet::default();
        let limit = exact_limit(ROW_PRECISION) as u64;
        for k in keys(0..limit).chain(keys(0..10)) {
            set.insert(k);
        }
        assert!(set.is_exact());
        assert_eq!(set.count(), limit);
    }

    #[test]
    fn sketches_estimate_within_three_standard_errors() {
        // The total at 0.81%, rows at 1.6%.
        for (mut set, sigma) in [
            (VisitorSet::total(), 0.0081),
            (VisitorSet::default(), 0.0163),
        ] {
            for k in keys(0..100_000) {
                set.insert(k);
            }
            assert!(!set.is_exact());
            let n = set.count() as f64;
            assert!((n - 100_000.0).abs() / 100_000.0 < 3.0 * sigma, "{n}");
        }
    }

    #[test]
    fn merge_is_a_union_in_every_combination() {
        let build = |r: std::ops::Range<u64>| {
            let mut s = VisitorSet::default();
            keys(r).for_each(|k| s.insert(k));
            s
        };
        // exact + exact, overlapping, under the row limit of 256
        let mut a = build(0..150);
        a.merge(&build(100..250));
        assert!(a.is_exact());
        assert_eq!(a.count(), 250);
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
            // 1.6% standard error at row precision: 5% is three of them.
            assert!((n - want).abs() / want < 0.05, "{n} vs {want}");
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

    #[test]
    fn a_bounded_table_keeps_heavy_hitters_and_accounts_for_what_it_drops() {
        let mut t = Table::with_max_rows(100);
        let mut truth: rustc_hash::FxHashMap<Vec<u8>, u64> = Default::default();
        let visitor = keys(0..1).next();
        // 10 heavy keys, each seen every 50 lines, among 20,000 keys seen once.
        for i in 0..20_000u64 {
            let key = if i % 5 == 0 {
                format!("/heavy/{}", i / 5 % 10)
            } else {
                format!("/scan/{i}")
            };
            t.add_sized(key.as_bytes(), visitor, 10);
            *truth.entry(key.into_bytes()).or_default() += 1;
        }
        let d = t.dropped();
        assert!(t.len() <= 100 && d.rows > 0);
        let kept: u64 = t.rows.values().map(|r| r.hits).sum();
        assert_eq!(kept + d.hits, 20_000);
        assert_eq!(
            t.rows.values().map(|r| r.bytes).sum::<u64>() + d.bytes,
            200_000
        );
        for i in 0..10 {
            let key = format!("/heavy/{i}");
            let row = t.get(key.as_bytes()).expect("a heavy hitter is kept");
            let true_hits = truth[key.as_bytes()];
            assert!(row.hits <= true_hits && true_hits - row.hits <= d.max_error);
        }
        // Merging two bounded tables stays bounded and adds the dropped parts.
        let mut merged = t.clone();
        merged.merge(&t);
        assert!(merged.len() <= 100);
        let merged_kept: u64 = merged.rows.values().map(|r| r.hits).sum();
        assert_eq!(merged_kept + merged.dropped().hits, 40_000);
        assert!(merged.dropped().max_error >= 2 * d.max_error);
    }
}
