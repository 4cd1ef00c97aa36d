//! [`ExactKeys`]: the visitor keys of a small set, held one by one until a sketch takes over.
//!
//! An open-addressed array of keys with linear probing. Unlike a `HashSet`, it says where a key
//! would go ([`ExactKeys::slot_of`]), so a line can start loading that place before it
//! inserts: the sets a line touches are spread over megabytes, and their loads were the
//! largest wait of a run (see `docs/performance.md`).

/// Keys per slot array before it doubles: three quarters full at most.
const MAX_LOAD_NUMERATOR: usize = 3;
const MAX_LOAD_DENOMINATOR: usize = 4;

/// Slots of the first array.
const FIRST_CAPACITY: usize = 8;

/// A set of 64-bit keys. The key 0 marks an empty slot, so it is held apart in a flag.
#[derive(Clone, Default)]
pub struct ExactKeys {
    /// Empty, or a power of two of slots.
    slots: Box<[u64]>,
    /// Keys in `slots` (the key 0 aside).
    len: usize,
    has_zero: bool,
}

impl ExactKeys {
    /// Distinct keys held.
    #[inline]
    pub fn len(&self) -> usize {
        self.len + usize::from(self.has_zero)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The slot where a look-up of `key` starts. Keys are mixed first (one multiply), so that
    /// keys which are not uniform, as tests make them, still spread.
    #[inline]
    fn home(&self, key: u64) -> usize {
        let bits = self.slots.len().trailing_zeros();
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
    }

    /// Where an insert of `key` reads first; `None` while nothing is allocated.
    #[inline]
    pub fn slot_of(&self, key: u64) -> Option<&u64> {
        if self.slots.len() < 2 {
            return None;
        }
        Some(&self.slots[self.home(key)])
    }

    /// Adds `key`; true when it was not held.
    #[inline]
    pub fn insert(&mut self, key: u64) -> bool {
        if key == 0 {
            return !std::mem::replace(&mut self.has_zero, true);
        }
        if (self.len + 1) * MAX_LOAD_DENOMINATOR > self.slots.len() * MAX_LOAD_NUMERATOR {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            match self.slots[i] {
                0 => {
                    self.slots[i] = key;
                    self.len += 1;
                    return true;
                }
                k if k == key => return false,
                _ => i = (i + 1) & mask,
            }
        }
    }

    #[cold]
    fn grow(&mut self) {
        let capacity = (self.slots.len() * 2).max(FIRST_CAPACITY);
        let old = std::mem::replace(&mut self.slots, vec![0; capacity].into_boxed_slice());
        self.len = 0;
        for key in old.iter().copied().filter(|&k| k != 0) {
            self.insert(key);
        }
    }

    /// Every key held, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        let zero = self.has_zero.then_some(0);
        zero.into_iter()
            .chain(self.slots.iter().copied().filter(|&k| k != 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    proptest::proptest! {
        /// Inserts answer as a `HashSet`'s do, and the set holds the same keys after, for keys
        /// drawn from a small range (many repeats, the key 0 among them) and from all of u64.
        #[test]
        fn holds_what_a_hash_set_holds(
            small in proptest::collection::vec(0u64..40, 0..300),
            wide in proptest::collection::vec(proptest::num::u64::ANY, 0..300),
        ) {
            for keys in [small, wide] {
                let (mut mine, mut theirs) = (ExactKeys::default(), HashSet::new());
                for &k in &keys {
                    proptest::prop_assert_eq!(mine.insert(k), theirs.insert(k));
                    proptest::prop_assert_eq!(mine.len(), theirs.len());
                }
                let mut held: Vec<u64> = mine.iter().collect();
                held.sort_unstable();
                let mut want: Vec<u64> = theirs.into_iter().collect();
                want.sort_unstable();
                proptest::prop_assert_eq!(held, want);
            }
        }
    }

    #[test]
    fn stays_at_most_three_quarters_full() {
        let mut set = ExactKeys::default();
        assert!(set.slot_of(5).is_none());
        for k in 1..=256u64 {
            set.insert(k.wrapping_mul(0xDEAD_BEEF_1234_5677));
            assert!(set.len * 4 <= set.slots.len() * 3, "{k}");
        }
        // 256 keys fit in 512 slots: 4 KiB, as much as the sketch that takes over after.
        assert_eq!(set.slots.len(), 512);
        // Every key is found by walking on from the slot `slot_of` names, before an empty one.
        for k in 1..=256u64 {
            let key = k.wrapping_mul(0xDEAD_BEEF_1234_5677);
            let home = set.slot_of(key).expect("allocated");
            let start = set
                .slots
                .iter()
                .position(|s| std::ptr::eq(s, home))
                .unwrap();
            let run = (0..set.slots.len()).map(|i| set.slots[(start + i) % set.slots.len()]);
            let found = run.take_while(|&s| s != 0).any(|s| s == key);
            assert!(found, "{k}");
        }
    }
}
