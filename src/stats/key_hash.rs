//! Hashing for map keys that whoever sends requests chooses: page and referrer keys, domains,
//! languages, raw user agents.
//!
//! A hash with fixed constants (FxHash) lets anyone who reads its source mine keys that all
//! land in one bucket, offline and in seconds, and send them as request paths or agents: every
//! look-up would then compare against all of them. Here the hash is foldhash with all of its
//! constants drawn from the operating system once per process, so keys cannot be aimed at a
//! bucket without seeing the hashes, which never leave the process. Visitor keys and memo
//! digests are keyed SipHash outputs already and need none of this.
//!
//! perf: foldhash costs about what FxHash did (see `docs/performance.md`).

use crate::privacy::visitor::random_key;
use foldhash::SharedSeed;
use foldhash::fast::SeedableRandomState;
use std::hash::BuildHasher;
use std::sync::OnceLock;

/// The process's keyed hasher state: one for every map, so that maps agree on a key's hash.
#[inline]
fn process_state() -> &'static SeedableRandomState {
    static SHARED: OnceLock<SharedSeed> = OnceLock::new();
    static STATE: OnceLock<SeedableRandomState> = OnceLock::new();
    STATE.get_or_init(|| {
        let [shared, own] = random_key();
        SeedableRandomState::with_seed(own, SHARED.get_or_init(|| SharedSeed::from_u64(shared)))
    })
}

/// The process's keyed hasher state, for a map of its own.
pub fn state() -> SeedableRandomState {
    process_state().clone()
}

/// The keyed hash of `key`.
#[inline]
pub fn hash(key: &[u8]) -> u64 {
    process_state().hash_one(key)
}

/// A `HashMap` under the keyed hash.
pub type KeyedHashMap<K, V> = std::collections::HashMap<K, V, SeedableRandomState>;

/// An empty [`KeyedHashMap`].
pub fn keyed_map<K, V>() -> KeyedHashMap<K, V> {
    KeyedHashMap::with_hasher(state())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustc_hash::FxBuildHasher;

    /// Printable keys mined, as an attacker would, to share the low bits of their FxHash, the
    /// bits that pick a bucket of a table of that many slots.
    fn mined_keys(count: usize, bits: u32) -> Vec<Vec<u8>> {
        let mask = (1u64 << bits) - 1;
        let target = FxBuildHasher.hash_one(b"/index.html".as_slice()) & mask;
        (0u64..)
            .map(|i| format!("/wp-content/{i:x}.php").into_bytes())
            .filter(|k| FxBuildHasher.hash_one(k.as_slice()) & mask == target)
            .take(count)
            .collect()
    }

    #[test]
    fn keys_mined_against_a_fixed_hash_spread_under_the_keyed_one() {
        let bits = 10;
        let keys = mined_keys(256, bits);
        let mask = (1u64 << bits) - 1;
        let mut buckets = vec![0usize; 1 << bits];
        for key in &keys {
            buckets[(hash(key) & mask) as usize] += 1;
        }
        // 256 keys over 1,024 buckets: a uniform hash puts more than 8 in any one bucket with
        // a probability of about 1e-8. All 256 share one bucket under FxHash.
        let fullest = buckets.iter().max().copied().unwrap_or(0);
        assert!(fullest <= 8, "{fullest} keys share a bucket");
    }

    #[test]
    fn every_map_hashes_a_key_alike() {
        let a = state().hash_one(b"/about".as_slice());
        let b = hash(b"/about");
        assert_eq!(a, b);
        let mut map = keyed_map();
        map.insert(b"/about".to_vec(), 1);
        assert_eq!(map.get(b"/about".as_slice()), Some(&1));
        assert_ne!(hash(b"/about"), hash(b"/About"));
    }
}
