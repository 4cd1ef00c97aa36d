//! Traffic over time: hits, page views and visitors per UTC hour and per UTC day.

use super::counter::VisitorSet;
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
#[derive(Debug, Clone)]
pub struct Timeline {
    width: i64,
    buckets: FxHashMap<UnixSeconds, Bucket>,
}

impl Timeline {
    pub fn new(width_seconds: i64) -> Timeline {
        Timeline {
            width: width_seconds,
            buckets: FxHashMap::default(),
        }
    }

    pub fn hourly() -> Timeline {
        Timeline::new(3600)
    }

    pub fn daily() -> Timeline {
        Timeline::new(86_400)
    }

    #[inline]
    pub fn add(&mut self, t: UnixSeconds, page_view: bool, visitor: Option<VisitorKey>) {
        let start = t - t.rem_euclid(self.width);
        let bucket = self.buckets.entry(start).or_default();
        bucket.hits += 1;
        bucket.page_views += u64::from(page_view);
        if let Some(v) = visitor {
            bucket.visitors.insert(v);
        }
    }

    pub fn merge(&mut self, other: &Timeline) {
        assert_eq!(self.width, other.width);
        for (start, theirs) in &other.buckets {
            let mine = self.buckets.entry(*start).or_default();
            mine.hits += theirs.hits;
            mine.page_views += theirs.page_views;
            mine.visitors.merge(&theirs.visitors);
        }
    }

    /// Buckets in time order.
    pub fn into_sorted(self) -> Vec<(UnixSeconds, Bucket)> {
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
        let mut t = Timeline::hourly();
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
}
