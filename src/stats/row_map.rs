//! [`RowMap`]: the hash map under a [`super::counter::Table`], keyed by row keys of a few dozen
//! bytes.
//!
//! perf: a `HashMap<Box<[u8]>, _>` compares keys with a `memcmp` call, for the profile,
//! referrer and page keys that every line looks up. Here keys compare eight bytes at a time
//! inline: 40 instructions a line fewer on a generated log (callgrind).

use super::key_hash;
use hashbrown::HashTable;
use rayon::iter::{IntoParallelRefMutIterator, ParallelIterator};
use std::sync::atomic::{AtomicU64, Ordering};

/// A map from byte keys to `V`.
pub struct RowMap<V> {
    table: HashTable<(Box<[u8]>, V)>,
    /// Names this map's placement of entries: drawn afresh whenever entries may move or go
    /// (a growth, a rehash, a removal) and for every new or cloned map, so that a [`RowHint`]
    /// is taken back only by the map that gave it, while its entry is still where it was.
    layout: u64,
}

/// Where a key's entry was in a [`RowMap`], from [`RowMap::hint`]: a caller that meets the
/// same key again and again (a memo of page keys) keeps it, and [`RowMap::hinted_index`]
/// finds the entry from it without hashing the key or comparing it.
///
/// perf: a page view's row was found by hashing its key and comparing the key's bytes,
/// which lie in a heap block of their own: a cache miss on most page views of a site with
/// thousands of pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowHint {
    /// 0 names no layout: the default hint is never taken.
    layout: u64,
    index: usize,
}

/// A layout name no map has had.
fn fresh_layout() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl<V> Default for RowMap<V> {
    fn default() -> Self {
        RowMap {
            table: HashTable::new(),
            layout: fresh_layout(),
        }
    }
}

/// A clone places its entries as the original does, but the two then change apart: the
/// clone gets a layout of its own.
impl<V: Clone> Clone for RowMap<V> {
    fn clone(&self) -> Self {
        RowMap {
            table: self.table.clone(),
            layout: fresh_layout(),
        }
    }
}

impl<V: std::fmt::Debug> std::fmt::Debug for RowMap<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Row keys come from requests, so they hash under the process's secret key.
#[inline]
fn hash(key: &[u8]) -> u64 {
    key_hash::hash(key)
}

/// Byte equality, eight bytes at a time, without a library call.
#[inline]
fn same_key(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut words_a, mut words_b) = (a.chunks_exact(8), b.chunks_exact(8));
    let word = |w: &[u8]| u64::from_ne_bytes(w.try_into().expect("8 bytes"));
    for (x, y) in words_a.by_ref().zip(words_b.by_ref()) {
        if word(x) != word(y) {
            return false;
        }
    }
    words_a
        .remainder()
        .iter()
        .zip(words_b.remainder())
        .all(|(x, y)| x == y)
}

impl<V> RowMap<V> {
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.table
            .find(hash(key), |(k, _)| same_key(k, key))
            .map(|(_, v)| v)
    }

    #[inline]
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        self.table
            .find_mut(hash(key), |(k, _)| same_key(k, key))
            .map(|(_, v)| v)
    }

    /// Before a call that may insert: hashbrown grows or rehashes (moving entries) only when
    /// no insert is left before its load limit, so then the layout changes.
    #[inline]
    fn before_insert(&mut self) {
        if self.table.len() == self.table.capacity() {
            self.layout = fresh_layout();
        }
    }

    /// The value of `key`, inserted with `make` when absent.
    #[inline]
    pub fn get_or_insert_with(&mut self, key: &[u8], make: impl FnOnce() -> V) -> &mut V {
        self.before_insert();
        let entry = self
            .table
            .entry(hash(key), |(k, _)| same_key(k, key), |(k, _)| hash(k));
        &mut entry.or_insert_with(|| (key.into(), make())).into_mut().1
    }

    /// The bucket index of `key`: valid until the map next gains or loses an entry.
    #[inline]
    pub fn find_index(&self, key: &[u8]) -> Option<usize> {
        self.table
            .find_bucket_index(hash(key), |(k, _)| same_key(k, key))
    }

    /// Inserts `key`, which must not be in the map, and returns its bucket index.
    #[inline]
    pub fn insert_new(&mut self, key: &[u8], value: V) -> usize {
        let h = hash(key);
        debug_assert!(self.find_index(key).is_none());
        self.before_insert();
        self.table
            .insert_unique(h, (key.into(), value), |(k, _)| hash(k))
            .bucket_index()
    }

    /// A hint for the entry at bucket `index`, to be taken back by [`Self::hinted_index`].
    #[inline]
    pub fn hint(&self, index: usize) -> RowHint {
        RowHint {
            layout: self.layout,
            index,
        }
    }

    /// The bucket index of a hint's entry, when this map gave the hint and has not moved or
    /// dropped entries since.
    #[inline]
    pub fn hinted_index(&self, hint: RowHint) -> Option<usize> {
        (hint.layout == self.layout).then_some(hint.index)
    }

    #[cfg(test)]
    fn capacity_for_tests(&self) -> usize {
        self.table.capacity()
    }

    /// The key at a bucket index, if the bucket holds one.
    pub fn key_at(&self, index: usize) -> Option<&[u8]> {
        self.table.get_bucket(index).map(|(k, _)| &k[..])
    }

    /// The value at a bucket index, if the bucket holds one.
    #[inline]
    pub fn at(&self, index: usize) -> Option<&V> {
        self.table.get_bucket(index).map(|(_, v)| v)
    }

    /// The value at a bucket index, if the bucket holds one.
    #[inline]
    pub fn at_mut(&mut self, index: usize) -> Option<&mut V> {
        self.table.get_bucket_mut(index).map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> {
        self.table.iter().map(|(k, v)| (&k[..], v))
    }

    /// Every entry, spread over the threads of the current rayon pool. Entries do not move.
    pub fn par_iter_mut(&mut self) -> impl ParallelIterator<Item = (&[u8], &mut V)>
    where
        V: Send + Sync,
    {
        self.table.par_iter_mut().map(|(k, v)| (&k[..], v))
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.table.iter().map(|(_, v)| v)
    }

    /// Keeps the entries for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&[u8], &mut V) -> bool) {
        self.layout = fresh_layout();
        self.table.retain(|(k, v)| keep(k, v));
    }
}

impl<V> IntoIterator for RowMap<V> {
    type Item = (Box<[u8]>, V);
    type IntoIter = hashbrown::hash_table::IntoIter<(Box<[u8]>, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.table.into_iter()
    }
}

impl<V> FromIterator<(Box<[u8]>, V)> for RowMap<V> {
    /// Later entries of a key replace earlier ones, as a `HashMap`'s do.
    fn from_iter<I: IntoIterator<Item = (Box<[u8]>, V)>>(entries: I) -> Self {
        let mut map = RowMap::default();
        for (key, value) in entries {
            let h = hash(&key);
            match map
                .table
                .entry(h, |(k, _)| same_key(k, &key), |(k, _)| hash(k))
            {
                hashbrown::hash_table::Entry::Occupied(mut e) => e.get_mut().1 = value,
                hashbrown::hash_table::Entry::Vacant(e) => {
                    e.insert((key, value));
                }
            }
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_compare_as_bytes_at_every_length() {
        let long = b"0123456789abcdefghij";
        for len in 0..=long.len() {
            let key = &long[..len];
            assert!(same_key(key, key));
            assert!(!same_key(key, &long[..len.saturating_sub(1)]) || len == 0);
            for at in 0..len {
                let mut other = key.to_vec();
                other[at] ^= 1;
                assert!(!same_key(key, &other), "{len} {at}");
            }
        }
    }

    #[test]
    fn behaves_as_a_hash_map() {
        let mut map: RowMap<u32> = RowMap::default();
        let mut plain = std::collections::HashMap::new();
        for i in 0..2_000u32 {
            let key = format!("/page/{}", i % 700).into_bytes();
            *map.get_or_insert_with(&key, || 0) += 1;
            *plain.entry(key).or_insert(0) += 1;
        }
        // A bucket index names its entry until the map changes.
        let index = map.find_index(b"/page/5").expect("held");
        assert_eq!(map.at(index), plain.get(b"/page/5".as_slice()));
        assert_eq!(map.find_index(b"/page/700"), None);
        let new = map.insert_new(b"/page/700", 41);
        *map.at_mut(new).expect("held") += 1;
        plain.insert(b"/page/700".to_vec(), 42);
        map.retain(|k, _| k.ends_with(b"7"));
        plain.retain(|k, _| k.ends_with(b"7"));
        assert_eq!(map.len(), plain.len());
        for (k, v) in &plain {
            assert_eq!(map.get(k), Some(v));
        }
        assert_eq!(map.get(b"/page/8"), None);
        let rebuilt: RowMap<u32> = map.clone().into_iter().collect();
        assert_eq!(rebuilt.values().sum::<u32>(), plain.values().sum::<u32>());
    }

    #[test]
    fn hints_hold_until_entries_may_move() {
        let mut map: RowMap<u32> = RowMap::default();
        assert_eq!(map.hinted_index(RowHint::default()), None);
        let first = map.insert_new(b"/a", 1);
        let hint = map.hint(first);
        assert_eq!(map.hinted_index(hint), Some(first));
        // Inserts that leave room keep every entry in place, and the hint with them; one that
        // may grow the table ends it.
        let mut i = 0;
        while map.len() < map.capacity_for_tests() {
            map.insert_new(format!("/b/{i}").as_bytes(), 0);
            i += 1;
            assert_eq!(map.hinted_index(hint), Some(first));
            assert_eq!(map.key_at(first), Some(&b"/a"[..]));
        }
        map.insert_new(b"/grows", 0);
        assert_eq!(map.hinted_index(hint), None);
        // As does a look-up that may grow, a removal, and a clone, for the clone.
        let index = map.find_index(b"/a").unwrap();
        let hint = map.hint(index);
        let clone = map.clone();
        assert_eq!(clone.hinted_index(hint), None);
        assert_eq!(map.hinted_index(hint), Some(index));
        map.retain(|_, _| true);
        assert_eq!(map.hinted_index(hint), None);
        // A hint of one map is never taken by another.
        let other: RowMap<u32> = [(b"/a".to_vec().into_boxed_slice(), 1)]
            .into_iter()
            .collect();
        let index = other.find_index(b"/a").unwrap();
        assert_eq!(map.hinted_index(other.hint(index)), None);
        while map.len() < map.capacity_for_tests() {
            map.insert_new(format!("/c/{i}").as_bytes(), 0);
            i += 1;
        }
        let index = map.find_index(b"/a").unwrap();
        let hint = map.hint(index);
        *map.get_or_insert_with(b"/a", || 0) += 1;
        assert_eq!(map.hinted_index(hint), None);
    }
}
