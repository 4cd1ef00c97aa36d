//! Reports: [`Report`] is what every output format shows, built from merged [`Stats`] with the
//! k-anonymity threshold applied. Renderers are views of it: [`text`] and [`json`].

pub mod json;
pub mod text;

use crate::format::MalformedReason;
use crate::format::time::{UnixSeconds, to_rfc3339};
use crate::pipeline::{Analysis, Plan};
use crate::privacy::threshold::{CountedRow, all_rows, fold_rows, sized_rows};
use crate::stats::Stats;
use crate::stats::timeline::Timeline;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::mem::take;

/// Version of the JSON layout; changes are additive within a version.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub generator: String,
    /// False when an input could not be read to its end: the counts are partial.
    pub complete: bool,
    pub period: Period,
    pub settings: Settings,
    pub inputs: Vec<InputReport>,
    pub totals: Totals,
    pub malformed_by_reason: BTreeMap<&'static str, u64>,
    /// The first malformed lines, by input name and line number (never their content).
    pub malformed_lines: Vec<MalformedLine>,
    /// Tables that had more distinct keys than they keep: their counts are approximate.
    pub approximate_tables: BTreeMap<&'static str, Approximation>,
    pub pages: Vec<CountedRow>,
    pub referrer_domains: Vec<CountedRow>,
    pub host_domains: Vec<CountedRow>,
    pub status_codes: Vec<CountedRow>,
    pub methods: Vec<CountedRow>,
    /// People's browsers (family and major version); bots are in `bots`.
    pub browsers: Vec<CountedRow>,
    pub operating_systems: Vec<CountedRow>,
    /// desktop, mobile, tablet, bot, other: every hit.
    pub devices: Vec<CountedRow>,
    /// Crawlers and scripts by name, with bytes; `share` is the share of bot hits.
    pub bots: Vec<CountedRow>,
    /// Two-letter country codes of truncated client addresses; empty with `--no-geoip`.
    pub countries: Vec<CountedRow>,
    /// Primary Accept-Language tags; empty when the log format has no such field.
    pub languages: Vec<CountedRow>,
    pub timeline: TimelineReport,
}

/// First and last counted hit, RFC 3339 UTC; `None` when nothing was counted.
#[derive(Debug, Clone, Serialize)]
pub struct Period {
    pub first: Option<String>,
    pub last: Option<String>,
}

/// The settings that shaped the numbers, privacy settings first.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub ipv4_prefix: u8,
    pub ipv6_prefix: u8,
    pub min_visitors: u64,
    pub visitor_window: &'static str,
    pub visit_gap_seconds: i64,
    pub keep_query: Vec<String>,
    pub include_bots: bool,
    /// `remote` or `xff`.
    pub client_from: &'static str,
    /// The country database (type and build date); `None` with `--no-geoip`.
    pub geoip: Option<String>,
    pub log_format: String,
    pub since: Option<String>,
    pub until: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputReport {
    pub name: String,
    pub compression: Option<crate::input::decompress::Compression>,
    pub format: Option<String>,
    pub lines: u64,
    pub bytes: u64,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Totals {
    pub hits: u64,
    pub page_views: u64,
    pub visitors: u64,
    /// Visitors whose agent claims a browser but who fetched many pages fast and no asset.
    pub likely_automated: u64,
    pub visits: u64,
    pub bytes: u64,
    pub malformed: u64,
    pub out_of_range: u64,
}

/// How approximate a table is that dropped rows to stay bounded.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Approximation {
    /// Rows dropped; their hits are in `(other)`.
    pub dropped_rows: u64,
    pub dropped_hits: u64,
    /// Hits any shown row may be missing (shown hits are never too high).
    pub max_hits_error: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct MalformedLine {
    pub input: String,
    pub line: u64,
    pub reason: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineReport {
    pub hourly: Vec<TimeBucket>,
    pub daily: Vec<TimeBucket>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TimeBucket {
    pub start: String,
    pub hits: u64,
    pub page_views: u64,
    pub visitors: u64,
}

impl Report {
    /// Builds the report of a run, folding rows seen by fewer than `min_visitors` visitors.
    pub fn build(analysis: Analysis, plan: &Plan, min_visitors: u64) -> Report {
        let complete = analysis.complete();
        let mut stats = analysis.stats;
        stats.flush_pending();
        let names: Vec<String> = analysis.inputs.iter().map(|i| i.name.clone()).collect();
        let inputs = analysis
            .inputs
            .into_iter()
            .map(|i| InputReport {
                name: i.name,
                compression: i.compression,
                format: i.format.map(|f| f.name().to_string()),
                lines: i.lines,
                bytes: i.bytes,
                error: i.error,
            })
            .collect();
        let summary = stats.sessions.summary();
        let sessions = summary.counts;
        let totals = Totals {
            hits: stats.hits,
            page_views: stats.page_views,
            visitors: stats.visitors.count(),
            likely_automated: sessions.likely_automated,
            visits: sessions.visits,
            bytes: stats.bytes,
            malformed: stats.malformed_total(),
            out_of_range: stats.out_of_range,
        };
        let malformed_by_reason = MalformedReason::ALL
            .iter()
            .map(|r| (r.as_str(), stats.malformed[r.index()]))
            .collect();
        let malformed_lines = stats
            .malformed_examples
            .iter()
            .map(|at| MalformedLine {
                input: names.get(at.input).cloned().unwrap_or_default(),
                line: at.line,
                reason: at.reason.as_str(),
            })
            .collect();
        let k = min_visitors;
        let visitors = totals.visitors;
        let report = Report {
            schema_version: SCHEMA_VERSION,
            generator: format!("logveil {}", env!("CARGO_PKG_VERSION")),
            complete,
            period: Period {
                first: stats.first.map(to_rfc3339),
                last: stats.last.map(to_rfc3339),
            },
            settings: Settings {
                ipv4_prefix: plan.privacy.ipv4_prefix,
                ipv6_prefix: plan.privacy.ipv6_prefix,
                min_visitors,
                visitor_window: plan.window.name(),
                visit_gap_seconds: plan.visit_gap,
                keep_query: plan
                    .privacy
                    .url
                    .keep_query
                    .iter()
                    .map(|k| String::from_utf8_lossy(k).into_owned())
                    .collect(),
                include_bots: plan.include_bots,
                client_from: match plan.privacy.client_from {
                    crate::privacy::forwarded::ClientSource::Remote => "remote",
                    crate::privacy::forwarded::ClientSource::ForwardedFor { .. } => "xff",
                },
                geoip: plan
                    .privacy
                    .geo
                    .as_ref()
                    .map(|db| db.description().to_string()),
                log_format: match &plan.format {
                    crate::format::FormatChoice::Auto => "auto".to_string(),
                    crate::format::FormatChoice::Fixed(f) if f.name() == "custom" => {
                        f.format_string().to_string()
                    }
                    crate::format::FormatChoice::Fixed(f) => f.name().to_string(),
                },
                since: plan.range.since.map(to_rfc3339),
                until: plan.range.until.map(to_rfc3339),
            },
            inputs,
            totals,
            malformed_by_reason,
            malformed_lines,
            approximate_tables: approximate_tables(&stats),
            pages: fold_rows(take(&mut stats.pages), k),
            referrer_domains: fold_rows(take(&mut stats.referrers), k),
            host_domains: fold_rows(take(&mut stats.host_domains), k),
            status_codes: all_rows(take(&mut stats.status_codes)),
            methods: all_rows(take(&mut stats.methods)),
            browsers: visitor_shares(fold_rows(take(&mut stats.browsers), k), visitors),
            operating_systems: visitor_shares(
                fold_rows(take(&mut stats.operating_systems), k),
                visitors,
            ),
            devices: visitor_shares(all_rows(take(&mut stats.devices)), visitors),
            bots: hit_shares(sized_rows(take(&mut stats.bots))),
            countries: if plan.privacy.geo.is_some() {
                visitor_shares(fold_rows(take(&mut stats.countries), k), visitors)
            } else {
                Vec::new()
            },
            languages: visitor_shares(fold_rows(take(&mut stats.languages), k), visitors),
            timeline: TimelineReport {
                hourly: buckets(
                    std::mem::replace(&mut stats.hourly, Timeline::hourly(0)),
                    |start| summary.presence.hour(start),
                ),
                daily: buckets(
                    std::mem::replace(&mut stats.daily, Timeline::daily(0)),
                    |start| summary.presence.day(start),
                ),
            },
        };
        // perf: what is left (the visit store's spans of every visitor) is freed on another
        // thread while the report is written.
        rayon::spawn(move || drop(stats));
        report
    }
}

/// Tables that reached their row limit, by report name.
fn approximate_tables(stats: &Stats) -> BTreeMap<&'static str, Approximation> {
    [
        ("pages", &stats.pages),
        ("referrer_domains", &stats.referrers),
        ("host_domains", &stats.host_domains),
        ("status_codes", &stats.status_codes),
        ("methods", &stats.methods),
        ("browsers", &stats.browsers),
        ("operating_systems", &stats.operating_systems),
        ("devices", &stats.devices),
        ("bots", &stats.bots),
        ("countries", &stats.countries),
        ("languages", &stats.languages),
    ]
    .into_iter()
    .filter(|(_, table)| table.dropped().rows > 0)
    .map(|(name, table)| {
        let d = table.dropped();
        (
            name,
            Approximation {
                dropped_rows: d.rows,
                dropped_hits: d.hits,
                max_hits_error: d.max_error,
            },
        )
    })
    .collect()
}

/// Each row's visitors as a share of all visitors.
fn visitor_shares(rows: Vec<CountedRow>, visitors: u64) -> Vec<CountedRow> {
    rows.into_iter()
        .map(|r| {
            let part = r.visitors;
            r.with_share(part, visitors)
        })
        .collect()
}

/// Each row's hits as a share of the table's hits: for bots, which are not visitors.
fn hit_shares(rows: Vec<CountedRow>) -> Vec<CountedRow> {
    let total = rows.iter().map(|r| r.hits).sum();
    rows.into_iter()
        .map(|r| {
            let part = r.hits;
            r.with_share(part, total)
        })
        .collect()
}

/// The report's rows of `timeline`; `presence` gives the visitors the visit store counted for
/// a bucket's start, when the timeline leaves them to it.
///
/// perf: buckets are counted on the pool's threads: a day of a busy site holds a sketch an hour.
fn buckets(timeline: Timeline, presence: impl Fn(UnixSeconds) -> u64 + Sync) -> Vec<TimeBucket> {
    let elsewhere = timeline.visitors_elsewhere();
    timeline
        .into_sorted()
        .into_par_iter()
        .map(|(start, b)| TimeBucket {
            start: to_rfc3339(start),
            hits: b.hits,
            page_views: b.page_views,
            visitors: b.visitors.count() + if elsewhere { presence(start) } else { 0 },
        })
        .collect()
}
