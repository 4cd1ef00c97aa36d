//! Visits: runs of hits by one visitor key whose gaps stay under the visit gap (30 minutes).
//!
//! Each worker keeps, per visitor key, the time spans of the runs it has seen. Spans from
//! different chunks join when they overlap or lie closer than the gap, so the count does not
//! depend on how the log was cut or in which order the chunks were merged. Kept in memory only.

use crate::format::time::UnixSeconds;
use crate::privacy::visitor::VisitorKey;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

/// First and last hit time of one run.
type Span = (UnixSeconds, UnixSeconds);

#[derive(Debug, Clone)]
pub struct Sessions {
    gap: i64,
    spans: FxHashMap<u64, SmallVec<[Span; 1]>>,
}

impl Sessions {
    /// Sessions split at gaps of `gap_seconds` or more.
    pub fn new(gap_seconds: i64) -> Sessions {
        Sessions {
            gap: gap_seconds.max(1),
            spans: FxHashMap::default(),
        }
    }

    /// Records a hit by `visitor` at `t`.
    #[inline]
    pub fn add(&mut self, visitor: VisitorKey, t: UnixSeconds) {
        let gap = self.gap;
        let spans = self.spans.entry(visitor.0).or_default();
        // Lines mostly come in time order: try the latest span first.
        if let Some(last) = spans.last_mut()
            && t >= last.0
            && t - last.1 < gap
        {
            last.1 = last.1.max(t);
            return;
        }
        spans.push((t, t));
        if spans.len() > 1 {
            normalise(spans, gap);
        }
    }

    /// Joins the runs of `other` into these.
    pub fn merge(&mut self, other: &Sessions) {
        assert_eq!(
            self.gap, other.gap,
            "sessions with different visit gaps cannot merge"
        );
        for (key, theirs) in &other.spans {
            let spans = self.spans.entry(*key).or_default();
            spans.extend_from_slice(theirs);
            normalise(spans, self.gap);
        }
    }

    /// The number of visits.
    pub fn visits(&self) -> u64 {
        self.spans.values().map(|s| s.len() as u64).sum()
    }
}

/// Sorts spans and joins those that overlap or are closer than `gap`.
fn normalise(spans: &mut SmallVec<[Span; 1]>, gap: i64) {
    spans.sort_unstable();
    let mut out: SmallVec<[Span; 1]> = SmallVec::with_capacity(spans.len());
    for &(start, end) in spans.iter() {
        match out.last_mut() {
            Some(last) if start - last.1 < gap => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    *spans = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: VisitorKey = VisitorKey(7);
    const W: VisitorKey = VisitorKey(8);

    #[test]
    fn a_gap_of_thirty_minutes_starts_a_new_visit() {
        let mut s = Sessions::new(1800);
        for t in [0, 600, 2399, 4199] {
            s.add(V, t);
        }
        // 2399 -> 4199 is exactly 1800 s: a new visit.
        assert_eq!(s.visits(), 2);
        s.add(W, 0);
        assert_eq!(s.visits(), 3);
    }

    #[test]
    fn out_of_order_hits_bridge_runs() {
        let mut s = Sessions::new(1800);
        s.add(V, 0);
        s.add(V, 3000);
        assert_eq!(s.visits(), 2);
        s.add(V, 1500);
        assert_eq!(s.visits(), 1);
    }

    #[test]
    fn merging_halves_equals_counting_the_whole() {
        let times = [0, 100, 5000, 5100, 9000, 20_000, 20_500, 21_000, 40_000];
        let mut whole = Sessions::new(1800);
        times.iter().for_each(|&t| whole.add(V, t));
        for cut in 0..=times.len() {
            for order in [false, true] {
                let (mut a, mut b) = (Sessions::new(1800), Sessions::new(1800));
                times[..cut].iter().for_each(|&t| a.add(V, t));
                times[cut..].iter().for_each(|&t| b.add(V, t));
                if order {
                    std::mem::swap(&mut a, &mut b);
                }
                a.merge(&b);
                assert_eq!(a.visits(), whole.visits(), "cut {cut}");
            }
        }
        // By hand: {0,100} {5000,5100} {9000} {20000..21000} {40000}.
        assert_eq!(whole.visits(), 5);
    }
}
