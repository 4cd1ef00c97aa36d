//! [`Presence`]: distinct visitor keys per UTC hour and per UTC day, worked out from the visit
//! store's spans instead of a visitor set per time bucket.
//!
//! Within a span, hits are closer than the visit gap. When the gap is at most a bucket's width,
//! no bucket a span covers can lie between two of its hits, so the buckets a key's spans touch
//! are exactly the buckets the key has hits in ([`exact_for`]). The counts are then exact,
//! where a visitor set per bucket estimates them once it holds a few hundred keys.
//!
//! perf: a line then has two visitor-set inserts fewer, and a log of many days holds no set per
//! hour: on a year of the generated log, 8,760 sketches of 4 KiB for each worker.
//!
//! The visit store keeps times in 32 bits and clamps the rest to 1970 and 2106, so the first
//! and the last bucket of that range are left out here ([`counted_times`]): hits there keep
//! going to their bucket's own set.

use super::sessions::{get_varint, put_varint};
use crate::format::time::UnixSeconds;
use rustc_hash::FxHashMap;

/// First and last hit time of a span, in seconds since 1970.
pub type Span = (u32, u32);

/// Seconds in an hour bucket.
pub const HOUR: u32 = 3600;
/// Seconds in a day bucket.
pub const DAY: u32 = 86_400;

/// Whether spans split at `gap_seconds` give exact presence in buckets `width` seconds wide.
fn exact_for(gap_seconds: i64, width: u32) -> bool {
    gap_seconds <= i64::from(width)
}

/// The hits whose bucket of `width` seconds is counted here rather than by the bucket's own
/// visitor set, for visits split at `gap_seconds`: all but the first and the last bucket of
/// 32-bit time, or none when the gap is wider than a bucket.
pub fn counted_times(width: u32, gap_seconds: i64) -> std::ops::Range<UnixSeconds> {
    if !exact_for(gap_seconds, width) {
        return 0..0;
    }
    let (first, last) = bucket_range(width);
    let width = i64::from(width);
    i64::from(first) * width..(i64::from(last) + 1) * width
}

/// The first and the last bucket index counted here.
fn bucket_range(width: u32) -> (u32, u32) {
    (1, u32::MAX / width - 1)
}

/// Distinct visitor keys per hour and per day, by bucket index (start / width).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Presence {
    hours: Buckets,
    days: Buckets,
}

impl Presence {
    /// Counts one key whose spans, sorted and apart, are `spans`.
    pub fn add_spans(&mut self, spans: &[Span]) {
        // The latest bucket counted for this key; 0 is never counted, so it stands for none.
        let (mut last_hour, mut last_day) = (0, 0);
        for &(start, end) in spans {
            tally(&mut self.hours, HOUR, start, end, &mut last_hour);
            tally(&mut self.days, DAY, start, end, &mut last_day);
        }
    }

    pub fn merge(&mut self, other: &Presence) {
        for (mine, theirs) in [
            (&mut self.hours, &other.hours),
            (&mut self.days, &other.days),
        ] {
            theirs.counts().for_each(|(bucket, n)| mine.add(bucket, n));
        }
    }

    /// Visitors in the hour starting at `start`.
    pub fn hour(&self, start: UnixSeconds) -> u64 {
        self.hours.at(HOUR, start)
    }

    /// Visitors in the day starting at `start`.
    pub fn day(&self, start: UnixSeconds) -> u64 {
        self.days.at(DAY, start)
    }

    /// Appends these counts to `out` as varints: for hours, then days, the number of buckets,
    /// then each bucket's distance from the one before and its visitors.
    pub fn encode(&self, out: &mut Vec<u8>) {
        for buckets in [&self.hours, &self.days] {
            let sorted = buckets.sorted();
            put_varint(out, sorted.len() as u64);
            let mut previous = 0;
            for (bucket, n) in sorted {
                put_varint(out, u64::from(bucket - previous));
                put_varint(out, n);
                previous = bucket;
            }
        }
    }

    /// Adds counts written by [`Self::encode`] from `bytes[pos..]`.
    pub fn add_encoded(&mut self, bytes: &[u8], mut pos: usize) {
        for buckets in [&mut self.hours, &mut self.days] {
            let len = get_varint(bytes, &mut pos);
            let mut bucket = 0u32;
            for _ in 0..len {
                bucket += get_varint(bytes, &mut pos) as u32;
                buckets.add(bucket, get_varint(bytes, &mut pos));
            }
        }
    }
}

/// Adds one to each bucket of `width` from `start`'s to `end`'s, but those up to `last`, the
/// key's latest bucket already counted (its spans come in time order).
#[inline]
fn tally(buckets: &mut Buckets, width: u32, start: u32, end: u32, last: &mut u32) {
    let (first, final_bucket) = bucket_range(width);
    let from = (start / width).max(first).max(*last + 1);
    let to = (end / width).min(final_bucket);
    for bucket in from..=to {
        buckets.add(bucket, 1);
    }
    *last = (*last).max(to);
}

/// Counts by bucket index: an array of [`DENSE`] buckets from about where the first count fell,
/// and a map for the others.
///
/// perf: sealing a day's window adds about two buckets per key, nearly all within the day;
/// a hash map entry for each cost more instructions (about 45 a line on the generated log,
/// callgrind) than the visitor-set inserts they replace.
#[derive(Debug, Clone, Default)]
struct Buckets {
    base: u32,
    dense: Vec<u64>,
    others: FxHashMap<u32, u64>,
}

/// Buckets held in the array.
const DENSE: usize = 64;

impl Buckets {
    #[inline]
    fn add(&mut self, bucket: u32, n: u64) {
        if self.dense.is_empty() {
            // From the start of the day (for hours) so that a day's hours all fit.
            self.base = bucket - bucket % 24;
            self.dense = vec![0; DENSE];
        }
        match self.dense.get_mut(bucket.wrapping_sub(self.base) as usize) {
            // Below `base` the index wraps past the array.
            Some(count) => *count += n,
            None => *self.others.entry(bucket).or_default() += n,
        }
    }

    /// The count of the bucket starting at `start`.
    fn at(&self, width: u32, start: UnixSeconds) -> u64 {
        let Ok(bucket) = u32::try_from(start.div_euclid(i64::from(width))) else {
            return 0;
        };
        match bucket
            .checked_sub(self.base)
            .and_then(|i| self.dense.get(i as usize))
        {
            Some(&n) => n,
            None => self.others.get(&bucket).copied().unwrap_or(0),
        }
    }

    /// Every bucket with a count.
    fn counts(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        let dense = (self.base..).zip(self.dense.iter().copied());
        dense
            .chain(self.others.iter().map(|(&b, &n)| (b, n)))
            .filter(|&(_, n)| n > 0)
    }

    fn sorted(&self) -> Vec<(u32, u64)> {
        let mut sorted: Vec<(u32, u64)> = self.counts().collect();
        sorted.sort_unstable();
        sorted
    }
}

/// Equal when every bucket has the same count, however they are held.
impl PartialEq for Buckets {
    fn eq(&self, other: &Buckets) -> bool {
        self.sorted() == other.sorted()
    }
}

impl Eq for Buckets {}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    /// Spans of sorted hits joined at gaps under `gap`, as the visit store keeps them.
    pub(crate) fn spans_of(hits: &[u32], gap: u32) -> Vec<Span> {
        let mut sorted = hits.to_vec();
        sorted.sort_unstable();
        let mut spans: Vec<Span> = Vec::new();
        for t in sorted {
            match spans.last_mut() {
                Some(last) if t - last.1 < gap => last.1 = t,
                _ => spans.push((t, t)),
            }
        }
        spans
    }

    proptest::proptest! {
        /// With a gap of at most an hour, the hours and days of a key's spans are those of its
        /// hits, counted once per key.
        #[test]
        fn spans_give_the_buckets_of_the_hits(
            keys in proptest::collection::vec(
                proptest::collection::vec(3_600u32..400_000, 1..30), 1..8),
            gap in 1u32..=3_600,
        ) {
            let mut presence = Presence::default();
            let mut want: [BTreeMap<u32, BTreeSet<usize>>; 2] = Default::default();
            for (key, hits) in keys.iter().enumerate() {
                presence.add_spans(&spans_of(hits, gap));
                for &t in hits {
                    want[0].entry(t / HOUR).or_default().insert(key);
                    want[1].entry(t / DAY).or_default().insert(key);
                }
            }
            for (width, want) in [(HOUR, &want[0]), (DAY, &want[1])] {
                for bucket in 0..=400_000 / width {
                    let start = i64::from(bucket * width);
                    let got = if width == HOUR { presence.hour(start) } else { presence.day(start) };
                    let expected = want.get(&bucket).map_or(0, |keys| keys.len() as u64);
                    // Day 0 is an edge bucket, left to the timeline's own set.
                    let expected = if bucket == 0 { 0 } else { expected };
                    proptest::prop_assert_eq!(got, expected, "width {} bucket {}", width, bucket);
                }
            }
        }
    }

    #[test]
    fn a_gap_over_the_width_is_not_exact() {
        assert!(exact_for(1800, HOUR));
        assert!(exact_for(3600, HOUR));
        assert!(!exact_for(3601, HOUR));
        assert!(exact_for(7200, DAY));
        // Hits at 1:59 and 3:01 with a two-hour gap make one span over hour 2, which has no
        // hit: why a longer gap falls back to the buckets' own sets.
        let mut presence = Presence::default();
        presence.add_spans(&spans_of(&[7_140, 10_860], 7_200));
        assert_eq!(presence.hour(7_200), 1);
    }

    #[test]
    fn edge_buckets_are_left_to_the_timeline() {
        for width in [HOUR, DAY] {
            let counted = counted_times(width, 1800);
            assert!(!counted.contains(&-1));
            assert!(!counted.contains(&0));
            assert!(!counted.contains(&(i64::from(width) - 1)));
            assert!(counted.contains(&i64::from(width)));
            let last = i64::from(u32::MAX / width * width);
            assert!(counted.contains(&(last - 1)));
            assert!(!counted.contains(&last));
            assert!(!counted.contains(&i64::from(u32::MAX)));
            assert!(!counted.contains(&i64::MAX));
        }
        // The clamped times the visit store keeps for such hits count nowhere here.
        let mut presence = Presence::default();
        presence.add_spans(&[(0, 0), (u32::MAX, u32::MAX)]);
        assert_eq!(presence, Presence::default());
    }

    #[test]
    fn encoding_round_trips_and_adds() {
        let mut presence = Presence::default();
        presence.add_spans(&[(3_600, 9_000), (90_000, 90_000)]);
        presence.add_spans(&[(8_000, 8_000)]);
        let mut bytes = vec![0xff];
        presence.encode(&mut bytes);
        let mut decoded = Presence::default();
        decoded.add_encoded(&bytes, 1);
        assert_eq!(decoded, presence);
        decoded.add_encoded(&bytes, 1);
        assert_eq!(decoded.hour(7_200), 4);
        assert_eq!(decoded.hour(3_600), 2);
        assert_eq!(decoded.day(86_400), 2);
        let mut merged = presence.clone();
        merged.merge(&presence);
        assert_eq!(merged, decoded);
    }
}
