//! Per visitor key: visits, the runs of hits whose gaps stay under the visit gap (30 minutes),
//! and the page and asset [`Activity`] that likely automation is judged on.
//!
//! Spans of the same key join when they overlap or lie closer than the gap, so the count does
//! not depend on how the log was cut or in which order its parts were merged.
//!
//! This is the largest state of a run (a log has about a quarter as many visitor keys as
//! lines), so it is laid out for memory:
//! - Every key lives in one visitor window (a day by default), and logs mostly come in time
//!   order. Only the windows taking hits are hash maps. When a shard needs a map for another
//!   window, the least recently used one is *sealed*: varint-encoded into a byte run, about a
//!   third of the map's size, with its visits and likely-automated count worked out at once.
//! - A sealed window that gets hits again (inputs out of time order) opens a fresh map beside
//!   its run, and counting joins the parts of such a window key by key, so the numbers stay
//!   exact. Each reopening lets the shard keep one more window open, so input in no time order
//!   ends up with plain maps rather than sealing over and over.
//! - Keys are cut into [`SHARDS`] shards; a map grows one shard at a time, and in a run every
//!   worker writes to the one [`SharedSessions`], with a lock per shard, so there is one copy
//!   of this state however many threads there are.
//!
//! Kept in memory only.

use super::automation::Activity;
use super::key_map::KeyMap;
use super::presence::Presence;
use super::presence::Span;
use crate::format::time::UnixSeconds;
use crate::privacy::visitor::{VisitorKey, VisitorWindow};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use std::sync::{Mutex, PoisonError};

/// Shards by the top bits of the key.
pub const SHARDS: usize = 64;

/// Windows a shard keeps open before it seals one: the current window and the one before, so
/// lines around midnight, which workers see slightly out of order, do not reopen anything.
const OPEN_WINDOWS: usize = 2;

/// Seconds since 1970 in 32 bits (until 2106); earlier times count as 1970.
fn secs(t: UnixSeconds) -> u32 {
    t.clamp(0, i64::from(u32::MAX)) as u32
}

fn shard_of(key: u64) -> usize {
    (key >> (64 - SHARDS.trailing_zeros())) as usize
}

/// Everything kept about one visitor key while its window is open: 40 bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct PerVisitor {
    spans: SmallVec<[Span; 2]>,
    activity: Activity,
}

impl PerVisitor {
    #[inline]
    fn add(&mut self, t: u32, activity: Option<(bool, bool)>, gap: u32) {
        if let Some((page_view, asset)) = activity {
            self.activity.add(t, page_view, asset);
        }
        // Lines mostly come in time order: try the latest span first.
        let in_order = match self.spans.last_mut() {
            Some(last) if t >= last.0 => {
                if t.saturating_sub(last.1) < gap {
                    last.1 = last.1.max(t);
                    return;
                }
                true
            }
            Some(_) => false,
            None => true,
        };
        // A hit a gap or more after the latest span starts a span after all of them.
        if in_order {
            self.spans.push((t, t));
        } else {
            insert_earlier(&mut self.spans, t, gap);
        }
    }

    fn merge(&mut self, other: &PerVisitor, gap: u32) {
        self.spans.extend_from_slice(&other.spans);
        normalise(&mut self.spans, gap);
        self.activity.merge(&other.activity);
    }
}

/// Adds a hit at `t` to spans that are sorted and apart (each starts `gap` or more after the
/// one before ends), keeping them so: the hit falls in a span, stretches one or two, or
/// starts its own.
///
/// perf: with two workers, a visitor's hits reach the visit store out of time order on many
/// lines, as each worker hands over the hits of its own part of the log. Adding the hit and
/// sorting all spans again took 0.8 to 0.9% of a two-thread run's samples; the spans around
/// `t` are all that can change.
fn insert_earlier(spans: &mut SmallVec<[Span; 2]>, t: u32, gap: u32) {
    let next = spans.partition_point(|&(start, _)| start <= t);
    let joins_previous = next > 0 && t.saturating_sub(spans[next - 1].1) < gap;
    let joins_next = next < spans.len() && spans[next].0 - t < gap;
    match (joins_previous, joins_next) {
        (true, true) => {
            spans[next - 1].1 = spans[next].1;
            spans.remove(next);
        }
        (true, false) => spans[next - 1].1 = spans[next - 1].1.max(t),
        (false, true) => spans[next].0 = t,
        (false, false) => spans.insert(next, (t, t)),
    }
}

/// Sorts spans and joins those that overlap or are closer than `gap`, in place: for the
/// spans of a key met in two parts of a run.
fn normalise(spans: &mut SmallVec<[Span; 2]>, gap: u32) {
    spans.sort_unstable();
    let mut kept: usize = 0;
    for i in 0..spans.len() {
        let (start, end) = spans[i];
        match kept.checked_sub(1).map(|last| &mut spans[last]) {
            Some(last) if start.saturating_sub(last.1) < gap => last.1 = last.1.max(end),
            _ => {
                spans[kept] = (start, end);
                kept += 1;
            }
        }
    }
    spans.truncate(kept);
}

/// Visits and likely-automated visitor keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub visits: u64,
    pub likely_automated: u64,
}

impl Counts {
    fn add(&mut self, visitor: &PerVisitor) {
        self.visits += visitor.spans.len() as u64;
        self.likely_automated += u64::from(visitor.activity.is_likely_automated());
    }

    fn merge(&mut self, other: Counts) {
        self.visits += other.visits;
        self.likely_automated += other.likely_automated;
    }
}

/// What the visit store counts: visits and likely-automated keys, and visitors per hour and
/// per day (see [`Presence`]).
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub counts: Counts,
    pub presence: Presence,
}

impl Summary {
    fn add(&mut self, visitor: &PerVisitor) {
        self.counts.add(visitor);
        self.presence.add_spans(&visitor.spans);
    }

    fn add_run(&mut self, run: &SealedRun) {
        self.counts.merge(run.counts);
        self.presence.add_encoded(&run.bytes, run.presence_at);
    }

    fn merge(&mut self, other: &Summary) {
        self.counts.merge(other.counts);
        self.presence.merge(&other.presence);
    }
}

/// A window still taking hits.
#[derive(Debug, Clone, Default)]
struct OpenWindow {
    window: i64,
    visitors: KeyMap<PerVisitor>,
}

/// A sealed window: its entries varint-encoded (see [`encode`]), and what they count.
#[derive(Debug, Clone)]
struct SealedRun {
    window: i64,
    /// The earliest time in the run; times are stored as offsets from it.
    base: u32,
    counts: Counts,
    /// The entries, then from `presence_at` the run's [`Presence`]: held in the same
    /// allocation, since a log of many days has a run per day and shard.
    bytes: Box<[u8]>,
    presence_at: usize,
}

impl SealedRun {
    fn seal(open: OpenWindow) -> SealedRun {
        let base = open
            .visitors
            .values()
            .filter_map(|v| v.spans.first())
            .map(|s| s.0)
            .min()
            .unwrap_or(0);
        let mut bytes = Vec::with_capacity(open.visitors.len() * 24);
        let mut summary = Summary::default();
        for (key, visitor) in open.visitors.iter() {
            encode(&mut bytes, base, key, visitor);
            summary.add(visitor);
        }
        let presence_at = bytes.len();
        summary.presence.encode(&mut bytes);
        SealedRun {
            window: open.window,
            base,
            counts: summary.counts,
            bytes: bytes.into_boxed_slice(),
            presence_at,
        }
    }

    fn entries(&self) -> impl Iterator<Item = (u64, PerVisitor)> + '_ {
        let mut pos = 0;
        std::iter::from_fn(move || {
            (pos < self.presence_at).then(|| decode(&self.bytes, &mut pos, self.base))
        })
    }
}

/// Appends one entry: the key (8 bytes), then varints: page views × 2 + asset, first view and
/// last view (as offsets, when there are views), the span count, and each span as its start
/// after the previous end and its length.
fn encode(out: &mut Vec<u8>, base: u32, key: u64, visitor: &PerVisitor) {
    out.extend_from_slice(&key.to_le_bytes());
    let (views, first, last, asset) = visitor.activity.to_parts();
    put_varint(out, u64::from(views) << 1 | u64::from(asset));
    if views > 0 {
        put_varint(out, u64::from(first - base.min(first)));
        put_varint(out, u64::from(last - first));
    }
    put_varint(out, visitor.spans.len() as u64);
    let mut previous = base;
    for &(start, end) in &visitor.spans {
        put_varint(out, u64::from(start - previous));
        put_varint(out, u64::from(end - start));
        previous = end;
    }
}

/// Reads the entry at `pos` written by [`encode`] and moves past it.
fn decode(bytes: &[u8], pos: &mut usize, base: u32) -> (u64, PerVisitor) {
    let key = u64::from_le_bytes(bytes[*pos..*pos + 8].try_into().expect("8 bytes"));
    *pos += 8;
    let flags = get_varint(bytes, pos);
    let views = (flags >> 1) as u32;
    let (mut first, mut last) = (0, 0);
    if views > 0 {
        first = base + get_varint(bytes, pos) as u32;
        last = first + get_varint(bytes, pos) as u32;
    }
    let activity = Activity::from_parts(views, first, last, flags & 1 == 1);
    let spans_len = get_varint(bytes, pos) as usize;
    let mut spans = SmallVec::with_capacity(spans_len);
    let mut previous = base;
    for _ in 0..spans_len {
        let start = previous + get_varint(bytes, pos) as u32;
        let end = start + get_varint(bytes, pos) as u32;
        spans.push((start, end));
        previous = end;
    }
    (key, PerVisitor { spans, activity })
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

pub(crate) fn get_varint(bytes: &[u8], pos: &mut usize) -> u64 {
    let mut value = 0;
    let mut shift = 0;
    loop {
        let byte = bytes[*pos];
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return value;
        }
        shift += 7;
    }
}

/// The keys whose top bits select this shard.
#[derive(Debug, Clone)]
struct Shard {
    /// Least recently used first.
    open: Vec<OpenWindow>,
    sealed: Vec<SealedRun>,
    /// The windows of `sealed`, sorted and each once: whether a window opening now was
    /// sealed before is asked once per window and shard.
    ///
    /// perf: scanning `sealed` for it instead took a fifth of a one-thread run on a log of
    /// many days (7,800 daily windows: quadratic in the days).
    sealed_windows: Vec<i64>,
    max_open: usize,
}

impl Default for Shard {
    fn default() -> Self {
        Shard {
            open: Vec::new(),
            sealed: Vec::new(),
            sealed_windows: Vec::new(),
            max_open: OPEN_WINDOWS,
        }
    }
}

impl Shard {
    #[inline]
    fn add(&mut self, gap: u32, window: i64, key: u64, t: u32, activity: Option<(bool, bool)>) {
        let visitors = match self.open.last_mut() {
            Some(open) if open.window == window => &mut open.visitors,
            _ => self.open_window(window),
        };
        visitors.get_or_default(key).add(t, activity, gap);
    }

    /// The map of `window`, made the most recently used; opening it may seal the least
    /// recently used one.
    #[cold]
    fn open_window(&mut self, window: i64) -> &mut KeyMap<PerVisitor> {
        match self.open.iter().position(|w| w.window == window) {
            Some(i) => self.open[i..].rotate_left(1),
            None => {
                if self.was_sealed(window) {
                    self.max_open += 1;
                }
                // perf: sized like the window before it, since a site's days are alike;
                // grown from empty, the map rehashed every key about twice a window.
                let expected = self.open.last().map_or(0, |w| w.visitors.len());
                self.open.push(OpenWindow {
                    window,
                    visitors: KeyMap::with_capacity(expected),
                });
                while self.open.len() > self.max_open {
                    let oldest = self.open.remove(0);
                    self.push_sealed(SealedRun::seal(oldest));
                }
            }
        }
        &mut self.open.last_mut().expect("just opened").visitors
    }

    fn merge(&mut self, other: &Shard, gap: u32) {
        for theirs in &other.open {
            let mine = self.open_window(theirs.window);
            for (key, visitor) in theirs.visitors.iter() {
                mine.get_or_default(key).merge(visitor, gap);
            }
        }
        self.sealed.extend(other.sealed.iter().cloned());
        self.sealed_windows.extend(&other.sealed_windows);
        self.sealed_windows.sort_unstable();
        self.sealed_windows.dedup();
    }

    /// Whether `window` has a sealed run.
    fn was_sealed(&self, window: i64) -> bool {
        // Logs mostly come in time order: a window opening now is newer than every sealed one.
        self.sealed_windows.last() >= Some(&window)
            && self.sealed_windows.binary_search(&window).is_ok()
    }

    fn push_sealed(&mut self, run: SealedRun) {
        if let Err(at) = self.sealed_windows.binary_search(&run.window) {
            self.sealed_windows.insert(at, run.window);
        }
        self.sealed.push(run);
    }

    fn summary(&self, gap: u32) -> Summary {
        // The sealed runs grouped by window, with one sort: a window met in several parts
        // (sealed runs, or runs and an open map) is joined key by key, the rest count as
        // they are.
        let mut runs: Vec<(i64, &SealedRun)> =
            self.sealed.iter().map(|run| (run.window, run)).collect();
        runs.sort_unstable_by_key(|&(window, _)| window);
        let mut total = Summary::default();
        for group in runs.chunk_by(|a, b| a.0 == b.0) {
            let window = group[0].0;
            let open = self.open.iter().find(|w| w.window == window);
            match (group, open) {
                ([(_, run)], None) => total.add_run(run),
                _ => total.merge(&join_parts(group.iter().map(|&(_, run)| run), open, gap)),
            }
        }
        for open in &self.open {
            if !self.was_sealed(open.window) {
                open.visitors.values().for_each(|v| total.add(v));
            }
        }
        total
    }
}

/// Counts a window kept in several parts, joining them key by key.
fn join_parts<'r>(
    runs: impl Iterator<Item = &'r SealedRun>,
    open: Option<&OpenWindow>,
    gap: u32,
) -> Summary {
    let mut joined: FxHashMap<u64, PerVisitor> = FxHashMap::default();
    for run in runs {
        for (key, visitor) in run.entries() {
            joined.entry(key).or_default().merge(&visitor, gap);
        }
    }
    for (key, visitor) in open.into_iter().flat_map(|w| w.visitors.iter()) {
        joined.entry(key).or_default().merge(visitor, gap);
    }
    let mut summary = Summary::default();
    joined.values().for_each(|v| summary.add(v));
    summary
}

/// Visits and activity per visitor key; a monoid like the rest of [`super::Stats`].
#[derive(Debug, Clone)]
pub struct Sessions {
    gap: u32,
    window: VisitorWindow,
    shards: Vec<Shard>,
}

impl Sessions {
    /// Sessions split at gaps of `gap_seconds` or more, for keys of `window`.
    pub fn new(gap_seconds: i64, window: VisitorWindow) -> Sessions {
        Sessions {
            gap: secs(gap_seconds).max(1),
            window,
            shards: vec![Shard::default(); SHARDS],
        }
    }

    /// Records a hit by `visitor` at `t`; `activity` is `(page view, asset)` for visitors whose
    /// agent claims a browser, `None` for the others.
    #[inline]
    pub fn add(&mut self, visitor: VisitorKey, t: UnixSeconds, activity: Option<(bool, bool)>) {
        let window = self.window.window_of(t);
        self.shards[shard_of(visitor.0)].add(self.gap, window, visitor.0, secs(t), activity);
    }

    /// Joins the runs and activity of `other` into these.
    pub fn merge(&mut self, other: &Sessions) {
        assert_eq!(
            self.gap, other.gap,
            "sessions with different visit gaps cannot merge"
        );
        for (mine, theirs) in self.shards.iter_mut().zip(&other.shards) {
            mine.merge(theirs, self.gap);
        }
    }

    /// Visits, likely-automated keys and visitors per hour and day at once, each shard on a
    /// thread of the rayon pool.
    pub fn summary(&self) -> Summary {
        self.shards
            .par_iter()
            .map(|s| s.summary(self.gap))
            .reduce(Summary::default, |mut a, b| {
                a.merge(&b);
                a
            })
    }

    /// Visits and likely-automated keys.
    pub fn counts(&self) -> Counts {
        self.summary().counts
    }
}

/// [`Sessions`] that every worker of a run writes to, a lock per shard.
#[derive(Debug)]
pub struct SharedSessions {
    gap: u32,
    window: VisitorWindow,
    shards: Vec<Mutex<Shard>>,
}

impl SharedSessions {
    pub fn new(gap_seconds: i64, window: VisitorWindow) -> SharedSessions {
        let Sessions {
            gap,
            window,
            shards,
        } = Sessions::new(gap_seconds, window);
        SharedSessions {
            gap,
            window,
            shards: shards.into_iter().map(Mutex::new).collect(),
        }
    }

    /// A worker's batch of hits for this store.
    pub fn batch(&self) -> SessionBatch<'_> {
        SessionBatch {
            store: self,
            pending: (0..SHARDS).map(|_| Vec::with_capacity(BATCH)).collect(),
        }
    }

    pub fn into_sessions(self) -> Sessions {
        Sessions {
            gap: self.gap,
            window: self.window,
            shards: self
                .shards
                .into_iter()
                .map(|s| s.into_inner().unwrap_or_else(PoisonError::into_inner))
                .collect(),
        }
    }
}

/// Hits a worker has not handed to the [`SharedSessions`] yet, by shard.
///
/// perf: taking a shard's lock once per [`BATCH`] hits instead of once per hit, and applying
/// them together, keeps one shard's maps (tens of kilobytes) in cache while they are updated,
/// where single hits each touch a random place in all of them. Visits do not depend on the
/// order of hits, so the counts are the same. Dropping a batch hands over what it holds.
pub struct SessionBatch<'a> {
    store: &'a SharedSessions,
    pending: Vec<Vec<Pending>>,
}

/// Hits per shard held back before they are handed over.
pub const BATCH: usize = 256;

struct Pending {
    key: u64,
    t: UnixSeconds,
    activity: Option<(bool, bool)>,
}

impl SessionBatch<'_> {
    /// As [`Sessions::add`], applied later.
    #[inline]
    pub fn add(&mut self, visitor: VisitorKey, t: UnixSeconds, activity: Option<(bool, bool)>) {
        let shard = shard_of(visitor.0);
        let pending = &mut self.pending[shard];
        pending.push(Pending {
            key: visitor.0,
            t,
            activity,
        });
        if pending.len() >= BATCH {
            self.hand_over(shard);
        }
    }

    /// Hands every held hit to the store.
    pub fn flush(&mut self) {
        for shard in 0..self.pending.len() {
            self.hand_over(shard);
        }
    }

    fn hand_over(&mut self, shard: usize) {
        let pending = &mut self.pending[shard];
        if pending.is_empty() {
            return;
        }
        let store = self.store;
        let mut locked = store.shards[shard]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // perf: the shard's map is tens of kilobytes, out of cache since the shard's last
        // batch; loading the places of the hits a few ahead overlaps their misses (see
        // KeyMap) instead of waiting on each in turn. The places are those of the window
        // taking hits, which all but the hits around a window's start belong to; for those
        // few the load is wasted, not wrong.
        let prefetch = |shard: &Shard, hit: &Pending| {
            if let Some(open) = shard.open.last() {
                open.visitors.prefetch(hit.key);
            }
        };
        for hit in pending.iter().take(PREFETCH_AHEAD) {
            prefetch(&locked, hit);
        }
        for i in 0..pending.len() {
            if let Some(ahead) = pending.get(i + PREFETCH_AHEAD) {
                prefetch(&locked, ahead);
            }
            let hit = &pending[i];
            let window = store.window.window_of(hit.t);
            locked.add(store.gap, window, hit.key, secs(hit.t), hit.activity);
        }
        pending.clear();
    }
}

/// How many hits ahead a batch loads the places of the hits it applies: about as many misses
/// as a core keeps in flight.
const PREFETCH_AHEAD: usize = 16;

impl Drop for SessionBatch<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::super::presence::HOUR;
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    const V: VisitorKey = VisitorKey(7);
    const W: VisitorKey = VisitorKey(8);
    const DAY: i64 = 86_400;

    fn sessions() -> Sessions {
        Sessions::new(1800, VisitorWindow::Day)
    }

    #[test]
    fn a_gap_of_thirty_minutes_starts_a_new_visit() {
        let mut s = sessions();
        for t in [0, 600, 2399, 4199] {
            s.add(V, t, None);
        }
        // 2399 -> 4199 is exactly 1800 s: a new visit.
        assert_eq!(s.counts().visits, 2);
        s.add(W, 0, None);
        assert_eq!(s.counts().visits, 3);
    }

    #[test]
    fn out_of_order_hits_bridge_runs() {
        let mut s = sessions();
        s.add(V, 0, None);
        s.add(V, 3000, None);
        assert_eq!(s.counts().visits, 2);
        s.add(V, 1500, None);
        assert_eq!(s.counts().visits, 1);
    }

    proptest::proptest! {
        /// A hit added out of order leaves the spans that sorting every hit and joining the
        /// runs would give.
        #[test]
        fn hits_in_any_order_give_the_spans_of_the_sorted_hits(
            times in proptest::collection::vec(0u32..20_000, 1..40),
            gap in 1u32..3_000,
        ) {
            let mut visitor = PerVisitor::default();
            for &t in &times {
                visitor.add(t, None, gap);
            }
            let want = super::super::presence::tests::spans_of(&times, gap);
            proptest::prop_assert_eq!(visitor.spans.to_vec(), want);
        }
    }

    #[test]
    fn merging_halves_equals_counting_the_whole() {
        let times = [0, 100, 5000, 5100, 9000, 20_000, 20_500, 21_000, 40_000];
        let mut whole = sessions();
        times.iter().for_each(|&t| whole.add(V, t, None));
        for cut in 0..=times.len() {
            for order in [false, true] {
                let (mut a, mut b) = (sessions(), sessions());
                times[..cut].iter().for_each(|&t| a.add(V, t, None));
                times[cut..].iter().for_each(|&t| b.add(V, t, None));
                if order {
                    std::mem::swap(&mut a, &mut b);
                }
                a.merge(&b);
                assert_eq!(a.counts().visits, whole.counts().visits, "cut {cut}");
            }
        }
        // By hand: {0,100} {5000,5100} {9000} {20000..21000} {40000}.
        assert_eq!(whole.counts().visits, 5);
    }

    #[test]
    fn encoding_round_trips() {
        let visitor = PerVisitor {
            spans: SmallVec::from_slice(&[(1000, 1000), (5000, 9000), (90_000, 100_000)]),
            activity: Activity::from_parts(12, 5000, 8000, true),
        };
        let mut bytes = Vec::new();
        encode(&mut bytes, 1000, u64::MAX - 3, &visitor);
        encode(&mut bytes, 1000, 5, &PerVisitor::default());
        let mut pos = 0;
        assert_eq!(
            decode(&bytes, &mut pos, 1000),
            (u64::MAX - 3, visitor.clone())
        );
        assert_eq!(decode(&bytes, &mut pos, 1000), (5, PerVisitor::default()));
        assert_eq!(pos, bytes.len());
    }

    type Seen = Option<(bool, bool)>;
    type Hit = (VisitorKey, i64, Seen);

    /// Hits of many keys over several days, and the visits and automated keys they make,
    /// counted by a plain map of all times per key.
    fn days_of_hits() -> (Vec<Hit>, u64, u64) {
        let mut rng = fastrand::Rng::with_seed(5);
        let mut hits = Vec::new();
        for day in 0..5 {
            for t in (0..DAY).step_by(7) {
                let key = VisitorKey((rng.u64(..) % 300) | ((day as u64) << 40));
                let key = VisitorKey(key.0.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let activity = Some((rng.bool(), rng.u8(..) == 0));
                hits.push((key, day * DAY + t, activity));
            }
            // A fast script, every 2 s for a minute.
            let script = VisitorKey(u64::MAX - day as u64);
            for t in (0..60).step_by(2) {
                hits.push((script, day * DAY + 3600 + t, Some((true, false))));
            }
        }
        let mut by_key: FxHashMap<u64, Vec<(i64, Seen)>> = FxHashMap::default();
        for &(k, t, a) in &hits {
            by_key.entry(k.0).or_default().push((t, a));
        }
        let (mut visits, mut automated) = (0, 0);
        for times in by_key.values_mut() {
            times.sort_by_key(|h| h.0);
            visits += 1 + times.windows(2).filter(|w| w[1].0 - w[0].0 >= 1800).count() as u64;
            let views: Vec<i64> = times
                .iter()
                .filter(|h| h.1.is_some_and(|a| a.0 && !a.1))
                .map(|h| h.0)
                .collect();
            let asset = times.iter().any(|h| h.1.is_some_and(|a| a.1));
            if !asset
                && views.len() >= 10
                && views[views.len() - 1] - views[0] <= 5 * (views.len() as i64 - 1)
            {
                automated += 1;
            }
        }
        (hits, visits, automated)
    }

    /// Checks the visitors per hour and per day of `s` against distinct keys counted from
    /// `hits` directly (but for the first hour and day of 1970, which are left to the
    /// timeline's own sets).
    fn assert_presence(s: &Sessions, hits: &[Hit]) {
        let presence = s.summary().presence;
        let last = hits.iter().map(|h| h.1).max().unwrap_or(0);
        for (width, lookup) in [
            (HOUR, Presence::hour as fn(&Presence, i64) -> u64),
            (DAY as u32, Presence::day),
        ] {
            let width = i64::from(width);
            let mut want: BTreeMap<i64, BTreeSet<u64>> = BTreeMap::new();
            for &(k, t, _) in hits {
                want.entry(t - t.rem_euclid(width)).or_default().insert(k.0);
            }
            for start in (width..=last).step_by(width as usize) {
                let expected = want.get(&start).map_or(0, |keys| keys.len() as u64);
                assert_eq!(lookup(&presence, start), expected, "width {width}, {start}");
            }
            assert!(want.get(&0).is_some_and(|keys| !keys.is_empty()));
            assert_eq!(lookup(&presence, 0), 0);
        }
    }

    /// Whether every shard lists the windows of its sealed runs, sorted and each once.
    fn sealed_windows_are_listed(s: &Sessions) -> bool {
        s.shards.iter().all(|shard| {
            let mut windows: Vec<i64> = shard.sealed.iter().map(|run| run.window).collect();
            windows.sort_unstable();
            windows.dedup();
            windows == shard.sealed_windows
        })
    }

    #[test]
    fn sealed_windows_count_as_plain_maps_do() {
        let (hits, visits, automated) = days_of_hits();
        assert!(automated >= 5, "{automated}");
        let mut s = sessions();
        hits.iter().for_each(|&(k, t, a)| s.add(k, t, a));
        assert!(s.shards.iter().all(|shard| !shard.sealed.is_empty()));
        assert!(sealed_windows_are_listed(&s));
        assert_presence(&s, &hits);
        assert_eq!(
            s.counts(),
            Counts {
                visits,
                likely_automated: automated
            }
        );
    }

    #[test]
    fn any_order_and_any_split_give_the_same_counts() {
        let (mut hits, visits, automated) = days_of_hits();
        let mut rng = fastrand::Rng::with_seed(9);
        // Days in reverse, as rotated logs given newest first are.
        hits.sort_by_key(|h| (-(h.1 / DAY), h.1));
        let mut reversed = sessions();
        hits.iter().for_each(|&(k, t, a)| reversed.add(k, t, a));
        assert!(sealed_windows_are_listed(&reversed));
        assert_presence(&reversed, &hits);
        assert_eq!(
            reversed.counts(),
            Counts {
                visits,
                likely_automated: automated
            }
        );
        // No order at all, split four ways: two own stores, and the shared one through two
        // batches (one flushed, one dropped).
        rng.shuffle(&mut hits);
        let shared = SharedSessions::new(1800, VisitorWindow::Day);
        let (mut a, mut b) = (sessions(), sessions());
        let (mut batch, mut other_batch) = (shared.batch(), shared.batch());
        for (i, &(k, t, act)) in hits.iter().enumerate() {
            match i % 5 {
                0 => a.add(k, t, act),
                1 => b.add(k, t, act),
                2 | 3 => batch.add(k, t, act),
                _ => other_batch.add(k, t, act),
            }
        }
        batch.flush();
        drop(other_batch);
        drop(batch);
        let mut joined = shared.into_sessions();
        joined.merge(&a);
        joined.merge(&b);
        assert!(sealed_windows_are_listed(&joined));
        assert_presence(&joined, &hits);
        assert_eq!(
            joined.counts(),
            Counts {
                visits,
                likely_automated: automated
            }
        );
    }
}
