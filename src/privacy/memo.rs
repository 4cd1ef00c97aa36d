//! [`Memo`]: a per-worker cache of a costly, pure function of a field, such as the page key of
//! a request target or the row key of a referrer's host.
//!
//! Entries are keyed by a keyed 64-bit digest of the field (SipHash-1-3), not by its bytes: a
//! raw field may name a person, and none is kept past its line. The secret is random per memo,
//! so nobody can pick fields whose digests collide. By chance, a look-up of a field not held
//! meets one of the at most 2¹³ digests held with odds of 2⁻⁵¹: about one in 200 million for
//! ten million such look-ups, less likely than two of a million visitors sharing a 64-bit
//! visitor key. (A 128-bit digest cost 50 more instructions a line.) Values are already
//! anonymous row keys.

use crate::stats::row_map::RowHint;
use rustc_hash::FxHashMap;
use siphasher::sip::SipHasher13;
use std::cell::Cell;

/// Entries a memo keeps before it starts afresh: the fields of a site repeat (Zipf), so the
/// common ones are back within a few lines, and a scan of unique fields costs one clear per
/// this many lines.
pub const MEMO_CAPACITY: usize = 8192;

pub struct Memo {
    secret: [u64; 2],
    /// Each value with the place of its row in the table that counts it, kept there by the
    /// counting step (see [`RowHint`]).
    values: FxHashMap<u64, (Box<[u8]>, Cell<RowHint>)>,
    lookups: u64,
    misses: u64,
}

impl Default for Memo {
    fn default() -> Self {
        Memo {
            secret: super::visitor::random_key(),
            values: FxHashMap::default(),
            lookups: 0,
            misses: 0,
        }
    }
}

impl Memo {
    /// The value of `field`: from the memo, or from `compute`, which writes it into an empty
    /// buffer and is remembered; and the value's row hint, for the table that counts it.
    ///
    /// perf: the value is lent out of the memo, not copied into the caller's buffer: that copy
    /// was a `memcpy` call on every page view and every line's referrer.
    #[inline]
    pub fn value(
        &mut self,
        field: &[u8],
        compute: impl FnOnce(&mut Vec<u8>),
    ) -> (&[u8], &Cell<RowHint>) {
        self.lookups += 1;
        let digest = self.digest(field);
        // Full: start afresh before the look-up, so that a miss can insert in place.
        if self.values.len() >= MEMO_CAPACITY {
            self.values.clear();
        }
        let misses = &mut self.misses;
        let (value, hint) = self.values.entry(digest).or_insert_with(|| {
            *misses += 1;
            let mut out = Vec::new();
            compute(&mut out);
            (out.into_boxed_slice(), Cell::default())
        });
        (value, hint)
    }

    fn digest(&self, field: &[u8]) -> u64 {
        // One call over the whole field: a streamed write buffers its tail for nothing here.
        SipHasher13::new_with_keys(self.secret[0], self.secret[1]).hash(field)
    }

    /// Look-ups and misses so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.lookups, self.misses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_once_per_field() {
        let mut memo = Memo::default();
        let mut calls = 0;
        for (field, want) in [("abc", "ABC"), ("ab", "AB"), ("abc", "ABC"), ("", "")] {
            let (got, _) = memo.value(field.as_bytes(), |o| {
                calls += 1;
                o.extend_from_slice(field.to_ascii_uppercase().as_bytes());
            });
            assert_eq!(got, want.as_bytes());
        }
        assert_eq!(calls, 3);
        assert_eq!(memo.counts(), (4, 3));
    }

    #[test]
    fn starts_afresh_when_full_and_keeps_no_field_bytes() {
        let mut memo = Memo::default();
        for i in 0..MEMO_CAPACITY + 10 {
            let field = format!("/user/jane.doe.{i}");
            let (got, _) = memo.value(field.as_bytes(), |o| o.extend_from_slice(b"/user/:name"));
            assert_eq!(got, b"/user/:name");
        }
        assert!(memo.values.len() <= MEMO_CAPACITY);
        // Only digests and computed values are held.
        assert!(memo.values.values().all(|(v, _)| &v[..] == b"/user/:name"));
    }
}
