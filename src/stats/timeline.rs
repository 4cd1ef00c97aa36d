//! Traffic over time: hits, page views and visitors per UTC hour and per UTC day.

use super::counter::VisitorSet;
use super::presence;
use crate::format::time::UnixSeconds;
use crate::privacy::visitor::VisitorKey;
use rustc_hash::FxHashMap;

/// Counts of one time bucket.
#[derive(Debug, Clone, Default)]
pub struct Bucket {
    pub hits: u64,
    pub page_views: u64,
    pub visitors: VisitorSet,
}

/// Buckets of a fixed width, keyed by their start time.
///
/// perf: logs are in time order, so the bucket of the last hit is held apart with its bounds,
/// and most hits skip the division and the map look-up; it goes back into the map when a hit
/// falls elsewhere.
#[derive(Debug, Clone)]
pub struct Timeline {
    width: i64,
    /// Hits whose visitors the visit store counts (see [`presence`]) rather than their
    /// bucket's own set: empty when the visit gap is wider than a bucket.
    visitors_elsewhere: std::ops::Range<UnixSeconds>,
    buckets: FxHashMap<UnixSeconds, Bucket>,
    /// The bucket of the last hit and its start, not in `buckets`.
    current: Option<(UnixSeconds, Bucket)>,
}

impl Timeline {
    /// Buckets of `width` seconds, whose visitors the visit store counts when its visits split
    /// at gaps of `visit_gap` seconds or less.
    fn new(width: u32, visit_gap: i64) -> Timeline {
        Timeline {
            width: i64::from(width),
            visitors_elsewhere: presence::counted_times(width, visit_gap),
            buckets: FxHashMap::default(),
            current: None,
        }
    }

    pub fn hourly(visit_gap: i64) -> Timeline {
        Timeline::new(presence::HOUR, visit_gap)
    }

    pub fn daily(visit_gap: i64) -> Timeline {
        Timeline::new(presence::DAY, visit_gap)
    }

    /// Whether the visit store's [`presence::Presence`] holds the visitors of these buckets
    /// but for those in their own sets.
    pub fn visitors_elsewhere(&self) -> bool {
        !self.visitors_elsewhere.is_empty()
    }

    /// perf: forced inline into the worker's loop (see [`crate::stats::Stats::insert_visitors`]).
    #[inline(always)]
    pub fn add(&mut self, t: UnixSeconds, page_view: bool, visitor: Option<VisitorKey>) {
        let visitor = visitor.filter(|_| !self.visitors_elsewhere.contains(&t));
        let bucket = match &mut self.current {
            Some((start, bucket)) if (*start..*start + self.width).contains(&t) => bucket,
            _ => self.switch_to(t),
        };
        bucket.hits += 1;
        bucket.page_views += u64::from(page_view);
        if let Some(v) = visitor {
            bucket.visitors.insert(v);
        }
    }

    /// Puts the current bucket back and takes out the one `t` falls in.
    #[cold]
    fn switch_to(&mut self, t: UnixSeconds) -> &mut Bucket {
        self.put_back();
        let start = t - t.rem_euclid(self.width);
        let bucket = self.buckets.remove(&start).unwrap_or_default();
        &mut self.current.insert((start, bucket)).1
    }

    fn put_back(&mut self) {
        if let Some((start, bucket)) = self.current.take() {
            self.buckets.insert(start, bucket);
        }
    }

    pub fn merge(&mut self, other: &Timeline) {
        assert_eq!(self.width, other.width);
        assert_eq!(self.visitors_elsewhere, other.visitors_elsewhere);
        self.put_back();
        for (start, theirs) in other
            .buckets
            .iter()
            .chain(other.current.iter().map(|(s, b)| (s, b)))
        {
            let mine = self.buckets.entry(*start).or_default();
            mine.hits += theirs.hits;
            mine.page_views += theirs.page_views;
            mine.visitors.merge(&theirs.visitors);
        }
    }

    /// Buckets in time order.
    pub fn into_sorted(mut self) -> Vec<(UnixSeconds, Bucket)> {
        self.put_back();
        let mut all: Vec<_> = self.buckets.into_iter().collect();
        all.sort_unstable_by_key(|(start, _)| *start);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_fall_into_their_hour() {
        let mut t = Timeline::hourly(7200);
        t.add(3599, true, Some(VisitorKey(1)));
        t.add(3600, false, Some(VisitorKey(1)));
        t.add(7000, true, Some(VisitorKey(2)));
        t.add(-1, false, None);
        let got: Vec<_> = t
            .into_sorted()
            .into_iter()
            .map(|(s, b)| (s, b.hits, b.page_views, b.visitors.count()))
            .collect();
        assert_eq!(got, vec![(-3600, 1, 0, 0), (0, 1, 1, 1), (3600, 2, 1, 2)]);
    }

    /// With a visit gap of an hour, the visit store counts the visitors of every hour but the
    /// first and the last of 32-bit time, whose hits keep going to their bucket's own set.
    #[test]
    fn visitors_go_to_the_visit_store_but_at_the_edges() {
        let mut t = Timeline::hourly(3600);
        assert!(t.visitors_elsewhere());
        let last_hour = i64::from(u32::MAX / 3600 * 3600);
        for (i, at) in [-5, 10, 3600, 7300, last_hour, last_hour + 10, i64::MAX / 2]
            .into_iter()
            .enumerate()
        {
            t.add(at, true, Some(VisitorKey(i as u64)));
        }
        let got: Vec<_> = t
            .into_sorted()
            .into_iter()
            .map(|(s, b)| (s, b.hits, b.visitors.count()))
            .collect();
        let far = (i64::MAX / 2).div_euclid(3600) * 3600;
        assert_eq!(
            got,
            vec![
                (-3600, 1, 1),
                (0, 1, 1),
                (3600, 1, 0),
                (7200, 1, 0),
                (last_hour, 2, 2),
                (far, 1, 1)
            ]
        );
        assert!(!Timeline::hourly(3601).visitors_elsewhere());
        assert!(Timeline::daily(3601).visitors_elsewhere());
    }

    /// Hits out of time order, and timelines merged while each holds a current bucket, count
    /// as a plain map of bucket starts does.
    #[test]
    fn unordered_hits_and_merges_agree_with_a_plain_count() {
        let times: Vec<i64> = (0..2_000i64)
            .map(|i| (i * 7_919) % 20_000 - 5_000)
            .collect();
        let mut want: std::collections::BTreeMap<i64, (u64, u64, std::collections::BTreeSet<u64>)> =
            Default::default();
        let (mut a, mut b) = (Timeline::hourly(7200), Timeline::hourly(7200));
        for (i, &t) in times.iter().enumerate() {
            let page_view = i % 3 == 0;
            let entry = want.entry(t.div_euclid(3600) * 3600).or_default();
            entry.0 += 1;
            entry.1 += u64::from(page_view);
            entry.2.insert(i as u64 % 50);
            let part = if i % 2 == 0 { &mut a } else { &mut b };
            part.add(t, page_view, Some(VisitorKey(i as u64 % 50)));
        }
        a.merge(&b);
        a.merge(&Timeline::hourly(7200));
        let got: Vec<_> = a
            .into_sorted()
            .into_iter()
            .map(|(s, bucket)| (s, (bucket.hits, bucket.page_views, bucket.visitors.count())))
            .collect();
        let want: Vec<_> = want
            .into_iter()
            .map(|(s, (hits, page_views, visitors))| (s, (hits, page_views, visitors.len() as u64)))
            .collect();
        assert_eq!(got, want);
    }
}
