//! Likely automation: visitors whose agent claims a browser but who behave like a script.
//!
//! A browser that shows pages also loads their stylesheets, scripts and images, and a person
//! reads a page for more than a few seconds. A visitor key that fetched at least
//! [`MIN_PAGE_VIEWS`] pages, no asset at all, at a mean pace of one page every
//! [`MAX_MEAN_GAP`] seconds or faster is counted as likely automated. Such visitors stay in the
//! visitor count (the agent may be honest); the report gives their number beside it. Per-key
//! state lives in memory only, like the visit spans.

use crate::format::time::UnixSeconds;
use crate::privacy::visitor::VisitorKey;
use rustc_hash::FxHashMap;

/// Fewest page views before a visitor can look automated.
pub const MIN_PAGE_VIEWS: u32 = 10;
/// Largest mean gap between page views, in seconds, that counts as "fast".
pub const MAX_MEAN_GAP: i64 = 5;

/// What one visitor key did: enough to judge, mergeable in any order.
#[derive(Debug, Clone, Copy)]
struct Activity {
    page_views: u32,
    assets: u32,
    first_view: UnixSeconds,
    last_view: UnixSeconds,
}

/// Page views and asset hits per visitor key.
#[derive(Debug, Clone, Default)]
pub struct Automation {
    activity: FxHashMap<u64, Activity>,
}

impl Automation {
    /// Records a hit by a browser-claiming visitor: a page view, an asset, or neither.
    #[inline]
    pub fn add(&mut self, visitor: VisitorKey, t: UnixSeconds, page_view: bool, asset: bool) {
        if !page_view && !asset {
            return;
        }
        let a = self.activity.entry(visitor.0).or_insert(Activity {
            page_views: 0,
            assets: 0,
            first_view: t,
            last_view: t,
        });
        if asset {
            a.assets = a.assets.saturating_add(1);
        } else {
            if a.page_views == 0 {
                (a.first_view, a.last_view) = (t, t);
            }
            a.page_views = a.page_views.saturating_add(1);
            a.first_view = a.first_view.min(t);
            a.last_view = a.last_view.max(t);
        }
    }

    pub fn merge(&mut self, other: &Automation) {
        for (key, theirs) in &other.activity {
            match self.activity.get_mut(key) {
                None => {
                    self.activity.insert(*key, *theirs);
                }
                Some(mine) => {
                    if theirs.page_views > 0 {
                        if mine.page_views == 0 {
                            (mine.first_view, mine.last_view) =
                                (theirs.first_view, theirs.last_view);
                        }
                        mine.first_view = mine.first_view.min(theirs.first_view);
                        mine.last_view = mine.last_view.max(theirs.last_view);
                    }
                    mine.page_views = mine.page_views.saturating_add(theirs.page_views);
                    mine.assets = mine.assets.saturating_add(theirs.assets);
                }
            }
        }
    }

    /// Visitor keys that look automated.
    pub fn likely_automated(&self) -> u64 {
        self.activity
            .values()
            .filter(|a| {
                a.assets == 0
                    && a.page_views >= MIN_PAGE_VIEWS
                    && a.last_view - a.first_view <= MAX_MEAN_GAP * i64::from(a.page_views - 1)
            })
            .count() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(a: &mut Automation, key: u64, times: impl IntoIterator<Item = i64>, asset_at: &[i64]) {
        for t in times {
            a.add(VisitorKey(key), t, true, false);
        }
        for &t in asset_at {
            a.add(VisitorKey(key), t, false, true);
        }
    }

    #[test]
    fn fast_page_fetchers_without_assets_are_flagged() {
        let mut a = Automation::default();
        // 1: 12 pages, 2 s apart, no asset: automated.
        visit(&mut a, 1, (0..12).map(|i| i * 2), &[]);
        // 2: same pace, but loads a stylesheet: a browser.
        visit(&mut a, 2, (0..12).map(|i| i * 2), &[1]);
        // 3: 12 pages a minute apart: a reader.
        visit(&mut a, 3, (0..12).map(|i| i * 60), &[]);
        // 4: only 9 fast pages: too few to judge.
        visit(&mut a, 4, 0..9, &[]);
        // 5: exactly at the limit: 10 pages over 45 s = 5 s mean gap.
        visit(&mut a, 5, (0..10).map(|i| i * 5), &[]);
        assert_eq!(a.likely_automated(), 2);
    }

    #[test]
    fn merging_halves_equals_counting_the_whole() {
        let mut whole = Automation::default();
        let mut left = Automation::default();
        let mut right = Automation::default();
        for i in 0..12 {
            whole.add(VisitorKey(7), i, true, false);
            let half = if i % 2 == 0 { &mut left } else { &mut right };
            half.add(VisitorKey(7), i, true, false);
        }
        right.add(VisitorKey(8), 0, false, true);
        whole.add(VisitorKey(8), 0, false, true);
        let mut merged = right.clone();
        merged.merge(&left);
        assert_eq!(merged.likely_automated(), whole.likely_automated());
        assert_eq!(merged.likely_automated(), 1);
        // An asset seen in another chunk clears the visitor.
        let mut asset = Automation::default();
        asset.add(VisitorKey(7), 100, false, true);
        merged.merge(&asset);
        assert_eq!(merged.likely_automated(), 0);
    }
}
