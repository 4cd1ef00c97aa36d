//! Aggregation: [`Stats`] is a monoid over [`Event`]s. Workers each fill their own with
//! [`Stats::add`], and [`Stats::merge`] joins them, whether they come from threads, files or days.

pub mod automation;
pub mod counter;
pub mod hll;
pub mod key_hash;
pub mod key_map;
pub mod presence;
pub mod profile;
pub mod row_map;
pub mod sessions;
pub mod timeline;

use crate::enrich::geo::UNKNOWN_COUNTRY;
use crate::format::MalformedReason;
use crate::format::time::UnixSeconds;
use crate::privacy::Event;
use crate::privacy::visitor::VisitorKey;
use crate::privacy::visitor::VisitorWindow;
use counter::{Row, RowAt, Table, VisitorSet};
use sessions::Sessions;
use timeline::Timeline;

/// Country rows held by code: one per pair of letters `AA` to `ZZ`, and one for unknown.
const COUNTRY_SLOTS: usize = 26 * 26 + 1;

/// The slot of clients in no known country.
const UNKNOWN_SLOT: usize = COUNTRY_SLOTS - 1;

/// The slot of a country code of two upper-case letters; `None` for a code of any other shape,
/// which goes to the table as it is.
#[inline]
fn country_slot(code: [u8; 2]) -> Option<usize> {
    match code {
        [a @ b'A'..=b'Z', b @ b'A'..=b'Z'] => {
            Some(usize::from(a - b'A') * 26 + usize::from(b - b'A'))
        }
        _ => None,
    }
}

fn empty_country_rows() -> Box<[Row]> {
    (0..COUNTRY_SLOTS).map(|_| Row::default()).collect()
}

/// The country code of a slot; `None` for the unknown slot.
fn country_of_slot(slot: usize) -> Option<[u8; 2]> {
    (slot < UNKNOWN_SLOT).then(|| [b'A' + (slot / 26) as u8, b'A' + (slot % 26) as u8])
}

/// Where a malformed line is: input number (in command-line order), line number (from 1), reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineRef {
    pub input: usize,
    pub line: u64,
    pub reason: MalformedReason,
}

/// How many malformed-line locations a report keeps (the first ones in input order).
pub const MALFORMED_EXAMPLES: usize = 10;

/// What a visitor's hit tells likely automation: `(page view, asset)` when the agent claims a
/// browser, nothing for bots.
#[inline]
pub fn visit_activity(event: &Event<'_>) -> Option<(bool, bool)> {
    (!event.agent.is_bot()).then_some((event.is_page_view, event.is_asset))
}

/// The visitor of a counted line, not yet in the sets of its rows: see
/// [`Stats::add_holding_visitors`]. The rows are named by place, which holds only until their
/// tables change, so these go in before the next line is counted. `default()` holds nothing.
#[must_use = "held visitors go in with the next line or by Stats::insert_visitors"]
#[derive(Debug, Default)]
pub struct HeldVisitors {
    /// The visitor, when the line counts toward visitors.
    visitor: Option<VisitorKey>,
    page: Option<RowAt>,
    referrer: Option<RowAt>,
    country: Option<usize>,
    /// With the client's key, which the profile row (and so the bots table) counts in any
    /// case.
    profile: Option<(RowAt, VisitorKey)>,
    /// The line's number among the lines counted (from 1); 0 for nothing held.
    line: u64,
}

/// Everything counted over a set of lines.
#[derive(Debug, Clone)]
pub struct Stats {
    pub hits: u64,
    pub page_views: u64,
    pub bytes: u64,
    /// Malformed lines by [`MalformedReason::index`].
    pub malformed: [u64; MalformedReason::ALL.len()],
    /// Lines that parsed but fell outside `--since`/`--until`.
    pub out_of_range: u64,
    pub first: Option<UnixSeconds>,
    pub last: Option<UnixSeconds>,
    pub visitors: VisitorSet,
    /// Visits and likely automation, per visitor key.
    pub sessions: Sessions,
    pub pages: Table,
    pub referrers: Table,
    pub host_domains: Table,
    pub status_codes: Table,
    pub methods: Table,
    /// Hits of agents that are not bots, per browser family and major version.
    pub browsers: Table,
    pub operating_systems: Table,
    pub devices: Table,
    /// Bot hits and bytes per crawler name; row visitors are distinct bot clients.
    pub bots: Table,
    pub countries: Table,
    /// Hits that carried an Accept-Language header, per primary tag.
    pub languages: Table,
    pub hourly: Timeline,
    pub daily: Timeline,
    /// The first malformed lines, by input and line number.
    pub malformed_examples: Vec<LineRef>,
    /// Hits per line profile not yet spread into the tables above (see [`profile`]).
    profiles: Table,
    /// The `(unresolved)` row of `host_domains`, which most lines count, held apart until
    /// [`Self::flush_pending`]: no key to hash and look up per line.
    unresolved_hosts: Row,
    /// The rows of `countries` by [`country_slot`] (and [`UNKNOWN_SLOT`]), held apart until [`Self::flush_pending`]
    /// for the same reason.
    country_rows: Box<[Row]>,
    /// Scratch space for a line's profile key.
    profile_key: Vec<u8>,
}

impl Stats {
    /// Empty stats whose visits split at gaps of `visit_gap` seconds, for visitor keys of
    /// `window`.
    pub fn new(visit_gap: i64, window: VisitorWindow) -> Stats {
        Stats {
            hits: 0,
            page_views: 0,
            bytes: 0,
            malformed: [0; MalformedReason::ALL.len()],
            out_of_range: 0,
            first: None,
            last: None,
            visitors: VisitorSet::total(),
            sessions: Sessions::new(visit_gap, window),
            pages: Table::default(),
            referrers: Table::default(),
            host_domains: Table::default(),
            status_codes: Table::default(),
            methods: Table::default(),
            browsers: Table::default(),
            operating_systems: Table::default(),
            devices: Table::default(),
            bots: Table::default(),
            countries: Table::default(),
            languages: Table::default(),
            hourly: Timeline::hourly(visit_gap),
            daily: Timeline::daily(visit_gap),
            malformed_examples: Vec::new(),
            profiles: Table::with_max_rows(usize::MAX),
            unresolved_hosts: Row::default(),
            country_rows: empty_country_rows(),
            profile_key: Vec::with_capacity(96),
        }
    }

    /// Counts one event. `counts_as_visitor` is false for bots unless bots are included.
    #[inline]
    pub fn add(&mut self, event: &Event<'_>, counts_as_visitor: bool) {
        if counts_as_visitor {
            self.sessions
                .add(event.visitor, event.time, visit_activity(event));
        }
        self.add_except_sessions(event, counts_as_visitor);
    }

    /// [`Self::add`] but for [`Self::sessions`], for a run whose workers share one
    /// [`SharedSessions`](sessions::SharedSessions).
    #[inline]
    pub fn add_except_sessions(&mut self, event: &Event<'_>, counts_as_visitor: bool) {
        let held = self.count_line(event, counts_as_visitor);
        self.insert_visitors(held);
    }

    /// [`Self::add_except_sessions`] for a worker that goes on to the next line before this
    /// line's visitors go into their rows' sets: first `before`, the previous line's
    /// [`HeldVisitors`], go in; the visitors of this line come back to go in with the next
    /// line, or by [`Self::insert_visitors`] before the counts are read.
    ///
    /// perf: the visitor sets of a line's page, referrer, country and profile rows lie in
    /// megabytes of sets and sketches, and inserting into each right after finding its row
    /// waited on one cache miss after another, the largest wait of a run. Now the loads of
    /// the sets start when the rows are found, and the inserts come a line later, when the
    /// loads are done. Each table still sees its own hits and visitors in the same order, so
    /// no count changes.
    #[inline]
    pub fn add_holding_visitors(
        &mut self,
        event: &Event<'_>,
        counts_as_visitor: bool,
        before: HeldVisitors,
    ) -> HeldVisitors {
        self.insert_visitors(before);
        self.count_line(event, counts_as_visitor)
    }

    /// Counts a line but for the visitors of its page, referrer, country and profile rows:
    /// finding each row starts loading the place in its set that the visitor will take.
    #[inline]
    fn count_line(&mut self, event: &Event<'_>, counts_as_visitor: bool) -> HeldVisitors {
        self.hits += 1;
        self.bytes += event.bytes;
        self.first = Some(self.first.map_or(event.time, |f| f.min(event.time)));
        self.last = Some(self.last.map_or(event.time, |l| l.max(event.time)));
        let visitor = counts_as_visitor.then_some(event.visitor);
        let page_view = event.is_page_view && counts_as_visitor;
        if let Some(v) = visitor {
            self.visitors.insert(v);
        }
        let page = if page_view {
            self.page_views += 1;
            self.pages.hit(event.page, event.page_row, 0, visitor)
        } else {
            None
        };
        let referrer = self
            .referrers
            .hit(event.referrer, event.referrer_row, 0, visitor);
        // Clients logged by address are the `(unresolved)` host row.
        if event.client_prefix.is_some() {
            debug_assert_eq!(event.host_domain, crate::privacy::UNRESOLVED);
            self.unresolved_hosts.count(visitor);
        } else {
            self.host_domains.add(event.host_domain, visitor);
        }
        let country = match event.country.map(|code| (code, country_slot(code))) {
            Some((_, Some(slot))) => Some(slot),
            // A code of another shape keeps a row of its own.
            Some((code, None)) => {
                self.countries.add(&code, visitor);
                None
            }
            None => Some(UNKNOWN_SLOT),
        };
        if let Some(slot) = country {
            let row = &mut self.country_rows[slot];
            row.hits += 1;
            if let Some(v) = visitor {
                row.visitors.prefetch(v);
            }
        }
        // Bots' own table counts their clients even when they are not visitors.
        let profile = self.hit_profile(event, counts_as_visitor);
        if !event.language.is_empty() {
            self.languages.add(event.language, visitor);
        }
        self.hourly.add(event.time, page_view, visitor);
        self.daily.add(event.time, page_view, visitor);

        HeldVisitors {
            visitor,
            page,
            referrer,
            country,
            profile: profile.map(|at| (at, event.visitor)),
            line: self.hits,
        }
    }

    /// Counts a line's hit on its profile row: found from the hint its agent class keeps, else
    /// by its key, written only then.
    #[inline]
    fn hit_profile(&mut self, event: &Event<'_>, counts_as_visitor: bool) -> Option<RowAt> {
        let tag = profile::tag(event.status, event.method, counts_as_visitor);
        let hint = event.profile_rows.slot(tag);
        let client = Some(event.visitor);
        if let Some(at) = self.profiles.hit_hinted(hint.get(), event.bytes, client) {
            return Some(at);
        }
        profile::write_key(
            &mut self.profile_key,
            event.agent,
            event.status,
            event.method,
            counts_as_visitor,
        );
        self.profiles
            .hit(&self.profile_key, Some(hint), event.bytes, client)
    }

    /// Puts the visitors that `count_line` held back into their rows' sets.
    ///
    /// perf: forced inline, as the timelines' `add`: 36 instructions and 21 loads and stores
    /// a line fewer for the two (callgrind, `c64.log`).
    #[inline(always)]
    pub fn insert_visitors(&mut self, held: HeldVisitors) {
        if held.line == 0 {
            return;
        }
        debug_assert_eq!(
            held.line, self.hits,
            "held visitors go in before the next line"
        );
        if let Some(v) = held.visitor {
            if let Some(at) = held.page {
                self.pages.count_visitor(at, v);
            }
            if let Some(at) = held.referrer {
                self.referrers.count_visitor(at, v);
            }
            if let Some(slot) = held.country {
                self.country_rows[slot].visitors.insert(v);
            }
        }
        if let Some((at, client)) = held.profile {
            self.profiles.count_visitor(at, client);
        }
        if self.profiles.len() >= profile::FLUSH_ROWS {
            self.spread_profiles();
        }
    }

    /// Moves every count held apart for speed into its table: the line profiles into the
    /// browser, OS, device, bot, status and method tables, the `(unresolved)` host row and the
    /// country rows. Merging and reporting do it; call it before reading the tables.
    pub fn flush_pending(&mut self) {
        self.spread_profiles();
        let unresolved = std::mem::take(&mut self.unresolved_hosts);
        let countries = std::mem::replace(&mut self.country_rows, empty_country_rows());
        self.fold_held_rows(&unresolved, &countries);
    }

    fn spread_profiles(&mut self) {
        let profiles = std::mem::replace(&mut self.profiles, Table::with_max_rows(usize::MAX));
        for (key, row) in profiles.rows() {
            self.spread_profile(key, row);
        }
    }

    /// Adds a held `(unresolved)` host row and held country rows to their tables.
    fn fold_held_rows(&mut self, unresolved: &Row, countries: &[Row]) {
        if unresolved.hits > 0 {
            self.host_domains.add_row(
                crate::privacy::UNRESOLVED,
                unresolved.hits,
                unresolved.bytes,
                Some(&unresolved.visitors),
            );
        }
        for (slot, row) in countries.iter().enumerate() {
            if row.hits > 0 {
                let code = country_of_slot(slot);
                let key: &[u8] = code.as_ref().map_or(UNKNOWN_COUNTRY, |c| &c[..]);
                self.countries
                    .add_row(key, row.hits, row.bytes, Some(&row.visitors));
            }
        }
    }

    fn spread_profile(&mut self, key: &[u8], row: &counter::Row) {
        let p = profile::read_key(key);
        let visitors = p.counts_as_visitor.then_some(&row.visitors);
        let hits = row.hits;
        // Bots are described by name in their own table, people by browser and system.
        match p.bot {
            Some(name) => self
                .bots
                .add_row(name, hits, row.bytes, Some(&row.visitors)),
            None => {
                self.browsers.add_row(p.browser, hits, 0, visitors);
                self.operating_systems.add_row(p.os, hits, 0, visitors);
            }
        }
        self.devices.add_row(p.device, hits, 0, visitors);
        self.status_codes.add_row(p.status, hits, 0, visitors);
        self.methods.add_row(p.method, hits, 0, visitors);
    }

    /// Counts a line that did not parse.
    pub fn add_malformed(&mut self, at: LineRef) {
        self.malformed[at.reason.index()] += 1;
        if self.malformed_examples.len() < MALFORMED_EXAMPLES {
            self.malformed_examples.push(at);
        } else if let Some(max) = self.malformed_examples.iter_mut().max()
            && at < *max
        {
            *max = at;
        }
    }

    pub fn malformed_total(&self) -> u64 {
        self.malformed.iter().sum()
    }

    /// Adds everything counted in `other`.
    pub fn merge(&mut self, other: &Stats) {
        self.flush_pending();
        for (key, row) in other.profiles.rows() {
            self.spread_profile(key, row);
        }
        self.fold_held_rows(&other.unresolved_hosts, &other.country_rows);
        self.hits += other.hits;
        self.page_views += other.page_views;
        self.bytes += other.bytes;
        for (mine, theirs) in self.malformed.iter_mut().zip(other.malformed) {
            *mine += theirs;
        }
        self.out_of_range += other.out_of_range;
        self.first = [self.first, other.first].into_iter().flatten().min();
        self.last = [self.last, other.last].into_iter().flatten().max();
        self.visitors.merge(&other.visitors);
        self.sessions.merge(&other.sessions);
        self.pages.merge(&other.pages);
        self.referrers.merge(&other.referrers);
        self.host_domains.merge(&other.host_domains);
        self.status_codes.merge(&other.status_codes);
        self.methods.merge(&other.methods);
        self.browsers.merge(&other.browsers);
        self.operating_systems.merge(&other.operating_systems);
        self.devices.merge(&other.devices);
        self.bots.merge(&other.bots);
        self.countries.merge(&other.countries);
        self.languages.merge(&other.languages);
        self.hourly.merge(&other.hourly);
        self.daily.merge(&other.daily);
        self.malformed_examples
            .extend_from_slice(&other.malformed_examples);
        self.malformed_examples.sort_unstable();
        self.malformed_examples.truncate(MALFORMED_EXAMPLES);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(stats: &Stats) -> Vec<Vec<counter::RowSummary>> {
        [
            &stats.pages,
            &stats.referrers,
            &stats.host_domains,
            &stats.status_codes,
            &stats.methods,
            &stats.browsers,
            &stats.operating_systems,
            &stats.devices,
            &stats.bots,
            &stats.countries,
            &stats.languages,
        ]
        .into_iter()
        .map(counter::rows_of)
        .collect()
    }

    /// Visitors held for a line and put in with the next (as workers count) give the tables
    /// that putting them in at once gives, on the corpus and the sample log.
    ///
    /// The three `Stats` share one anonymiser, and so its row hints: each refuses the hints
    /// the others left. A fourth, with an anonymiser of its own, finds its rows by hint on
    /// most lines, and must count the same.
    #[test]
    fn visitors_held_a_line_count_as_visitors_added_at_once() {
        use crate::privacy::visitor::{VisitorWindow, WindowSecrets};
        use crate::privacy::{Anonymizer, PrivacyPolicy};
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut data = std::fs::read(root.join("../shared/corpus/hackers-access.log"))
            .expect("the shared corpus has hackers-access.log");
        data.extend(std::fs::read(root.join("sample-logs/access.log")).unwrap());
        let format = crate::format::preset::by_name("combined").unwrap();
        let policy = PrivacyPolicy::default();
        let secrets = WindowSecrets::new(VisitorWindow::Day);
        let mut anonymizer = Anonymizer::new(&policy, &secrets);
        let mut own_anonymizer = Anonymizer::new(&policy, &secrets);
        let mut own_hints = Stats::new(1800, VisitorWindow::Day);
        // `unfinished` holds visitors as `holding` does but never puts the last line's in.
        let (mut at_once, mut holding, mut unfinished) = (
            Stats::new(1800, VisitorWindow::Day),
            Stats::new(1800, VisitorWindow::Day),
            Stats::new(1800, VisitorWindow::Day),
        );
        let (mut held, mut held_unfinished) = (HeldVisitors::default(), HeldVisitors::default());
        for line in crate::format::lines(&data) {
            let Ok(raw) = format.parse(line) else {
                continue;
            };
            let time = anonymizer.time_of(&raw).unwrap();
            let event = anonymizer.anonymize(&raw, time).unwrap();
            let counts_as_visitor = !event.agent.is_bot();
            at_once.add_except_sessions(&event, counts_as_visitor);
            held = holding.add_holding_visitors(&event, counts_as_visitor, held);
            held_unfinished =
                unfinished.add_holding_visitors(&event, counts_as_visitor, held_unfinished);
            let time = own_anonymizer.time_of(&raw).unwrap();
            let event = own_anonymizer.anonymize(&raw, time).unwrap();
            own_hints.add_except_sessions(&event, counts_as_visitor);
        }
        holding.insert_visitors(held);
        at_once.flush_pending();
        holding.flush_pending();
        assert!(at_once.hits > 3000 && at_once.pages.len() > 20);
        assert_eq!(holding.hits, at_once.hits);
        assert_eq!(holding.visitors.count(), at_once.visitors.count());
        assert_eq!(tables(&holding), tables(&at_once));
        own_hints.flush_pending();
        assert_eq!(own_hints.visitors.count(), at_once.visitors.count());
        assert_eq!(tables(&own_hints), tables(&at_once));
        // Without the last line's visitors, some row would count one fewer.
        drop(held_unfinished);
        unfinished.flush_pending();
        assert_ne!(tables(&unfinished), tables(&at_once));
    }

    #[test]
    fn every_country_code_has_a_slot_of_its_own() {
        let mut seen = std::collections::HashSet::new();
        for a in b'A'..=b'Z' {
            for b in b'A'..=b'Z' {
                let slot = country_slot([a, b]).unwrap();
                assert!(seen.insert(slot));
                assert_eq!(country_of_slot(slot), Some([a, b]));
            }
        }
        assert!(seen.insert(UNKNOWN_SLOT) && seen.len() == COUNTRY_SLOTS);
        assert_eq!(country_of_slot(UNKNOWN_SLOT), None);
        assert_eq!(country_slot(*b"us"), None);
        assert_eq!(country_slot(*b"1A"), None);
    }
}
