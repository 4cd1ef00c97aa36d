//! [`KeyMap`]: a map from visitor keys to values, whose places can be loaded ahead: the visit
//! store's per-visitor state, and as `KeyMap<()>` the exact visitor sets of rows.
//!
//! Open addressing with linear probing over two arrays, keys and values (no memory for `()`).
//! Visitor keys are keyed SipHash outputs; a multiply spreads even keys that are not, as tests
//! make them. Unlike a `HashMap`, it says where a key lives before it is looked up
//! ([`KeyMap::prefetch`]): the visit store loads the places of a batch's hits ahead of
//! applying them, and a line loads the places of its row visitors a line ahead of inserting
//! them, so that their cache misses overlap other work instead of following one another (see
//! `docs/performance.md`).

/// Most keys per slot before the arrays double: three quarters.
const MAX_LOAD_NUMERATOR: usize = 3;
const MAX_LOAD_DENOMINATOR: usize = 4;

/// Slots of the first arrays.
const FIRST_CAPACITY: usize = 8;

/// A map from `u64` keys to `V`. The key 0 marks an empty slot, so its value is held apart.
#[derive(Clone, Default)]
pub struct KeyMap<V> {
    /// Empty, or a power of two of slots.
    keys: Box<[u64]>,
    /// `V::default()` where the key is empty.
    values: Box<[V]>,
    /// Keys in `keys` (the key 0 aside).
    len: usize,
    zero: Option<Box<V>>,
}

impl<V: std::fmt::Debug> std::fmt::Debug for KeyMap<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V: Default> KeyMap<V> {
    /// A map with room for `keys` keys before it grows.
    pub fn with_capacity(keys: usize) -> KeyMap<V> {
        let mut map = KeyMap {
            keys: Box::default(),
            values: Box::default(),
            len: 0,
            zero: None,
        };
        if keys > 0 {
            let slots = (keys * MAX_LOAD_DENOMINATOR).div_ceil(MAX_LOAD_NUMERATOR);
            map.resize(slots.next_power_of_two().max(FIRST_CAPACITY));
        }
        map
    }

    pub fn len(&self) -> usize {
        self.len + usize::from(self.zero.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The slot where a look-up of `key` starts.
    #[inline]
    fn home(&self, key: u64) -> usize {
        let bits = self.keys.len().trailing_zeros();
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
    }

    /// Starts loading the key and the value a look-up of `key` reads first.
    #[inline]
    pub fn prefetch(&self, key: u64) {
        if self.keys.len() >= 2 {
            let home = self.home(key);
            crate::prefetch::read(&self.keys[home]);
            if std::mem::size_of::<V>() > 0 {
                crate::prefetch::read(&self.values[home]);
            }
        }
    }

    /// The value of `key`, inserted as `V::default()` when absent.
    #[inline]
    pub fn get_or_default(&mut self, key: u64) -> &mut V {
        self.entry(key).0
    }

    /// Adds `key` with `V::default()`; true when it was not held.
    #[inline]
    pub fn insert(&mut self, key: u64) -> bool {
        self.entry(key).1
    }

    /// The value of `key`, inserted as `V::default()` when absent, and whether it was.
    #[inline]
    fn entry(&mut self, key: u64) -> (&mut V, bool) {
        if key == 0 {
            let new = self.zero.is_none();
            return (self.zero.get_or_insert_with(Box::default), new);
        }
        if (self.len + 1) * MAX_LOAD_DENOMINATOR > self.keys.len() * MAX_LOAD_NUMERATOR {
            self.resize((self.keys.len() * 2).max(FIRST_CAPACITY));
        }
        let mask = self.keys.len() - 1;
        let mut i = self.home(key);
        loop {
            match self.keys[i] {
                k if k == key => return (&mut self.values[i], false),
                0 => {
                    self.keys[i] = key;
                    self.len += 1;
                    return (&mut self.values[i], true);
                }
                _ => i = (i + 1) & mask,
            }
        }
    }

    #[cold]
    fn resize(&mut self, slots: usize) {
        let keys = std::mem::replace(&mut self.keys, vec![0; slots].into_boxed_slice());
        let values =
            std::mem::replace(&mut self.values, (0..slots).map(|_| V::default()).collect());
        self.len = 0;
        for (key, value) in keys.iter().zip(values.into_vec()) {
            if *key != 0 {
                *self.get_or_default(*key) = value;
            }
        }
    }
}

impl<V> KeyMap<V> {
    /// Every key and its value, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &V)> {
        let zero = self.zero.as_deref().map(|v| (0, v));
        zero.into_iter().chain(
            self.keys
                .iter()
                .zip(self.values.iter())
                .filter(|(k, _)| **k != 0)
                .map(|(k, v)| (*k, v)),
        )
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }

    /// Every key, in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.iter().map(|(k, _)| k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    proptest::proptest! {
        /// Behaves as a `HashMap` with `entry().or_default()`, for keys with many repeats (the
        /// key 0 among them) and for keys from all of u64, from any starting capacity.
        #[test]
        fn behaves_as_a_hash_map(
            small in proptest::collection::vec(0u64..50, 0..400),
            wide in proptest::collection::vec(proptest::num::u64::ANY, 0..400),
            capacity in 0usize..100,
        ) {
            for keys in [small, wide] {
                let mut mine: KeyMap<u32> = KeyMap::with_capacity(capacity);
                let mut theirs: HashMap<u64, u32> = HashMap::new();
                for (i, &k) in keys.iter().enumerate() {
                    mine.prefetch(k);
                    *mine.get_or_default(k) += i as u32;
                    *theirs.entry(k).or_default() += i as u32;
                    proptest::prop_assert_eq!(mine.len(), theirs.len());
                }
                let mut held: Vec<(u64, u32)> = mine.iter().map(|(k, v)| (k, *v)).collect();
                held.sort_unstable();
                let mut want: Vec<(u64, u32)> = theirs.into_iter().collect();
                want.sort_unstable();
                proptest::prop_assert_eq!(held, want);
            }
        }
    }

    proptest::proptest! {
        /// As a set (`KeyMap<()>`), inserts answer as a `HashSet`'s do and the same keys are
        /// held after.
        #[test]
        fn as_a_set_holds_what_a_hash_set_holds(
            small in proptest::collection::vec(0u64..40, 0..300),
            wide in proptest::collection::vec(proptest::num::u64::ANY, 0..300),
        ) {
            for keys in [small, wide] {
                let mut mine: KeyMap<()> = KeyMap::default();
                let mut theirs = std::collections::HashSet::new();
                for &k in &keys {
                    mine.prefetch(k);
                    proptest::prop_assert_eq!(mine.insert(k), theirs.insert(k));
                    proptest::prop_assert_eq!(mine.len(), theirs.len());
                }
                let mut held: Vec<u64> = mine.keys().collect();
                held.sort_unstable();
                let mut want: Vec<u64> = theirs.into_iter().collect();
                want.sort_unstable();
                proptest::prop_assert_eq!(held, want);
            }
        }
    }

    #[test]
    fn a_set_of_256_keys_takes_4_kib_as_a_row_sketch_does() {
        let mut set: KeyMap<()> = KeyMap::default();
        for k in 1..=256u64 {
            set.insert(k.wrapping_mul(0xDEAD_BEEF_1234_5677));
        }
        assert_eq!(set.keys.len() * std::mem::size_of::<u64>(), 4096);
        assert_eq!(std::mem::size_of_val(&*set.values), 0);
    }

    #[test]
    fn grows_before_three_quarters_and_is_sized_ahead() {
        let mut map: KeyMap<u8> = KeyMap::with_capacity(0);
        for k in 1..=1000u64 {
            *map.get_or_default(k.wrapping_mul(0xA5A5_5A5A_1234_5679)) = 1;
            assert!(map.len * 4 <= map.keys.len() * 3, "{k}");
        }
        assert_eq!(map.len(), 1000);
        assert_eq!(map.values().map(|&v| u32::from(v)).sum::<u32>(), 1000);
        // Room for 1,000 keys from the start: no growing on the way.
        let sized: KeyMap<u8> = KeyMap::with_capacity(1000);
        assert!(sized.keys.len() * 3 >= 1000 * 4 && sized.keys.len() == 2048);
    }
}
