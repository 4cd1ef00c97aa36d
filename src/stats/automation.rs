//! Likely automation: visitors whose agent claims a browser but who behave like a script.
//!
//! A browser that shows pages also loads their stylesheets, scripts and images, and a person
//! reads a page for more than a few seconds. A visitor key that fetched at least
//! [`MIN_PAGE_VIEWS`] pages, no asset at all, at a mean pace of one page every
//! [`MAX_MEAN_GAP`] seconds or faster is counted as likely automated. Such visitors stay in the
//! visitor count (the agent may be honest); the report gives their number beside it. The
//! [`Activity`] of each key is kept beside its visit spans, in memory only.

/// Fewest page views before a visitor can look automated.
pub const MIN_PAGE_VIEWS: u32 = 10;
/// Largest mean gap between page views, in seconds, that counts as "fast".
pub const MAX_MEAN_GAP: u32 = 5;

/// What one visitor key did: enough to judge, mergeable in any order. Times are seconds since
/// 1970 in 32 bits, as visit spans are; 16 bytes per visitor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    page_views: u32,
    first_view: u32,
    last_view: u32,
    asset: bool,
}

impl Activity {
    /// Records a hit at `t`: a page view, an asset, or neither.
    #[inline]
    pub fn add(&mut self, t: u32, page_view: bool, asset: bool) {
        if asset {
            self.asset = true;
        } else if page_view {
            self.view_span(t, t, 1);
        }
    }

    fn view_span(&mut self, first: u32, last: u32, views: u32) {
        if self.page_views == 0 {
            (self.first_view, self.last_view) = (first, last);
        }
        self.first_view = self.first_view.min(first);
        self.last_view = self.last_view.max(last);
        self.page_views = self.page_views.saturating_add(views);
    }

    pub fn merge(&mut self, other: &Activity) {
        if other.page_views > 0 {
            self.view_span(other.first_view, other.last_view, other.page_views);
        }
        self.asset |= other.asset;
    }

    /// `(page views, first view, last view, asset seen)`, for compact storage.
    pub fn to_parts(self) -> (u32, u32, u32, bool) {
        (self.page_views, self.first_view, self.last_view, self.asset)
    }

    /// The inverse of [`Self::to_parts`].
    pub fn from_parts(page_views: u32, first_view: u32, last_view: u32, asset: bool) -> Self {
        Activity {
            page_views,
            first_view,
            last_view,
            asset,
        }
    }

    pub fn is_likely_automated(&self) -> bool {
        !self.asset
            && self.page_views >= MIN_PAGE_VIEWS
            && self.last_view - self.first_view <= MAX_MEAN_GAP.saturating_mul(self.page_views - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(times: impl IntoIterator<Item = u32>, asset_at: &[u32]) -> Activity {
        let mut a = Activity::default();
        for t in times {
            a.add(t, true, false);
        }
        for &t in asset_at {
            a.add(t, false, true);
        }
        a
    }

    #[test]
    fn fast_page_fetchers_without_assets_are_flagged() {
        // 12 pages, 2 s apart, no asset: automated.
        assert!(visit((0..12).map(|i| i * 2), &[]).is_likely_automated());
        // The same pace, but it loads a stylesheet: a browser.
        assert!(!visit((0..12).map(|i| i * 2), &[1]).is_likely_automated());
        // 12 pages a minute apart: a reader.
        assert!(!visit((0..12).map(|i| i * 60), &[]).is_likely_automated());
        // Only 9 fast pages: too few to judge.
        assert!(!visit(0..9, &[]).is_likely_automated());
        // Exactly at the limit: 10 pages over 45 s = 5 s mean gap.
        assert!(visit((0..10).map(|i| i * 5), &[]).is_likely_automated());
        // Hits that are neither pages nor assets change nothing.
        let mut a = visit((0..12).map(|i| i * 2), &[]);
        a.add(5, false, false);
        assert!(a.is_likely_automated());
    }

    #[test]
    fn merging_halves_equals_counting_the_whole() {
        let whole = visit(0..12, &[]);
        let mut left = visit((0..12).filter(|i| i % 2 == 0), &[]);
        let right = visit((0..12).filter(|i| i % 2 == 1), &[]);
        left.merge(&right);
        assert_eq!(left, whole);
        assert!(left.is_likely_automated());
        // An asset seen in another chunk clears the visitor.
        left.merge(&visit([], &[100]));
        assert!(!left.is_likely_automated());
        // Merging into a visitor that had only assets keeps the views' times.
        let mut only_asset = visit([], &[3]);
        only_asset.merge(&whole);
        assert_eq!((only_asset.first_view, only_asset.last_view), (0, 11));
    }
}
