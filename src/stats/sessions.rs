//! Per visitor key: visits, the runs of hits whose gaps stay under the visit gap (30 minutes),
//! and the page and asset [`Activity`] that likely automation is judged on.
//!
//! Each worker keeps, per visitor key, the time spans of the runs it has seen. Spans from
//! different chunks join when they overlap or lie closer than the gap, so the count does not
//! depend on how the log was cut or in which order the chunks were merged. One map holds both
//! kinds of state, with 32-bit times, since a log has about as many keys as a tenth of its
//! lines. Kept in memory only.

use super::automation::Activity;
use crate::format::time::UnixSeconds;
use crate::privacy::visitor::VisitorKey;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

/// First and last hit time of one run, in seconds since 1970.
type Span = (u32, u32);

/// Seconds since 1970 in 32 bits (until 2106); earlier times count as 1970.
fn secs(t: UnixSeconds) -> u32 {
    t.clamp(0, i64::from(u32::MAX)) as u32
}

/// Everything kept about one visitor key: 40 bytes.
#[derive(Debug, Clone, Default)]
struct PerVisitor {
    spans: SmallVec<[Span; 2]>,
    activity: Activity,
}

#[derive(Debug, Clone)]
pub struct Sessions {
    gap: u32,
    visitors: FxHashMap<u64, PerVisitor>,
}

impl Sessions {
    /// Sessions split at gaps of `gap_seconds` or more.
    pub fn new(gap_seconds: i64) -> Sessions {
        Sessions {
            gap: secs(gap_seconds).max(1),
            visitors: FxHashMap::default(),
        }
    }

    /// Records a hit by `visitor` at `t`; `activity` is `(page view, asset)` for visitors whose
    /// agent claims a browser, `None` for the others.
    #[inline]
    pub fn add(&mut self, visitor: VisitorKey, t: UnixSeconds, activity: Option<(bool, bool)>) {
        let gap = self.gap;
        let t = secs(t);
        let state = self.visitors.entry(visitor.0).or_default();
        if let Some((page_view, asset)) = activity {
            state.activity.add(t, page_view, asset);
        }
        let spans = &mut state.spans;
        // Lines mostly come in time order: try the latest span first.
        if let Some(last) = spans.last_mut()
            && t >= last.0
            && t.saturating_sub(last.1) < gap
        {
            last.1 = last.1.max(t);
            return;
        }
        spans.push((t, t));
        if spans.len() > 1 {
            normalise(spans, gap);
        }
    }

    /// Joins the runs and activity of `other` into these.
    pub fn merge(&mut self, other: &Sessions) {
        assert_eq!(
            self.gap, other.gap,
            "sessions with different visit gaps cannot merge"
        );
        for (key, theirs) in &other.visitors {
            let mine = self.visitors.entry(*key).or_default();
            mine.spans.extend_from_slice(&theirs.spans);
            normalise(&mut mine.spans, self.gap);
            mine.activity.merge(&theirs.activity);
        }
    }

    /// The number of visits.
    pub fn visits(&self) -> u64 {
        self.visitors.values().map(|v| v.spans.len() as u64).sum()
    }

    /// Visitor keys whose activity looks automated.
    pub fn likely_automated(&self) -> u64 {
        self.visitors
            .values()
            .filter(|v| v.activity.is_likely_automated())
            .count() as u64
    }
}

/// Sorts spans and joins those that overlap or are closer than `gap`.
fn normalise(spans: &mut SmallVec<[Span; 2]>, gap: u32) {
    spans.sort_unstable();
    let mut out: SmallVec<[Span; 2]> = SmallVec::with_capacity(spans.len());
    for &(start, end) in spans.iter() {
        match out.last_mut() {
            Some(last) if start.saturating_sub(last.1) < gap => last.1 = last.1.max(end),
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
            s.add(V, t, None);
        }
        // 2399 -> 4199 is exactly 1800 s: a new visit.
        assert_eq!(s.visits(), 2);
        s.add(W, 0, None);
        assert_eq!(s.visits(), 3);
    }

    #[test]
    fn out_of_order_hits_bridge_runs() {
        let mut s = Sessions::new(1800);
        s.add(V, 0, None);
        s.add(V, 3000, None);
        assert_eq!(s.visits(), 2);
        s.add(V, 1500, None);
        assert_eq!(s.visits(), 1);
    }

    #[test]
    fn merging_halves_equals_counting_the_whole() {
        let times = [0, 100, 5000, 5100, 9000, 20_000, 20_500, 21_000, 40_000];
        let mut whole = Sessions::new(1800);
        times.iter().for_each(|&t| whole.add(V, t, None));
        for cut in 0..=times.len() {
            for order in [false, true] {
                let (mut a, mut b) = (Sessions::new(1800), Sessions::new(1800));
                times[..cut].iter().for_each(|&t| a.add(V, t, None));
                times[cut..].iter().for_each(|&t| b.add(V, t, None));
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
