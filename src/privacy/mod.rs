//! The privacy boundary: the only code that reads client addresses, host names, user agents,
//! query strings and referrer URLs. [`Anonymizer::anonymize`] turns a [`RawLine`] into an
//! [`Event`] that holds none of them.
//!
//! Rules (see the README): IPs truncated on parse, host names and referrers reduced to registrable
//! domains, paths scrubbed of queries and identifying segments, visitors known only by a keyed
//! hash whose secret changes every window. [`threshold`] applies k-anonymity at report time.

pub mod forwarded;
pub mod host;
pub mod ip;
pub mod language;
pub mod memo;
pub mod referrer;
pub mod threshold;
pub mod url;
pub mod visitor;

use crate::enrich::agent::{AgentClass, AgentClassifier};
use crate::enrich::geo::{CountryLookup, GeoDb};
use crate::format::time::{TimeCache, UnixSeconds};
use crate::format::{MalformedReason, RawLine, find};
use crate::stats::profile::ProfileRows;
use crate::stats::row_map::RowHint;
use ip::{IpPrefix, LeadingIpv4};
use memo::Memo;
use referrer::ReferrerHost;
use std::cell::Cell;
use std::net::IpAddr;
use std::sync::Arc;
use url::UrlPolicy;
use visitor::{VisitorKey, VisitorKeyer, WindowSecrets};

/// Row key of the host-domain table for clients logged by address.
pub const UNRESOLVED: &[u8] = b"(unresolved)";
/// Row key for host names without an ICANN suffix.
pub const UNKNOWN_HOST: &[u8] = b"(unknown)";

/// Everything the privacy step is configured with.
#[derive(Debug, Clone)]
pub struct PrivacyPolicy {
    /// Leading bits of an IPv4 address kept (default 24).
    pub ipv4_prefix: u8,
    /// Leading bits of an IPv6 address kept (default 48).
    pub ipv6_prefix: u8,
    pub url: UrlPolicy,
    /// Registrable domain of the site itself, for counting self-referrals apart.
    pub site_domain: Option<Vec<u8>>,
    /// Where the client address comes from (the peer, or X-Forwarded-For behind proxies).
    pub client_from: forwarded::ClientSource,
    /// Lower-case file extensions (without the dot) of static assets, which are not page views.
    pub asset_extensions: Vec<Vec<u8>>,
    /// Country database for truncated client addresses; `None` turns countries off.
    pub geo: Option<Arc<GeoDb>>,
}

/// Static asset extensions that are not page views by default.
pub const DEFAULT_ASSET_EXTENSIONS: &[&str] = &[
    "css", "js", "mjs", "map", "png", "jpg", "jpeg", "gif", "ico", "svg", "webp", "avif", "bmp",
    "tif", "tiff", "cur", "woff", "woff2", "ttf", "otf", "eot", "swf", "flv", "mp3", "mp4", "m4a",
    "webm", "ogg", "ogv", "wav", "avi", "mov", "mpg", "mpeg", "xbm",
];

impl Default for PrivacyPolicy {
    fn default() -> Self {
        PrivacyPolicy {
            ipv4_prefix: 24,
            ipv6_prefix: 48,
            url: UrlPolicy::default(),
            site_domain: None,
            client_from: forwarded::ClientSource::Remote,
            asset_extensions: DEFAULT_ASSET_EXTENSIONS
                .iter()
                .map(|e| e.as_bytes().to_vec())
                .collect(),
            geo: Some(GeoDb::builtin()),
        }
    }
}

/// HTTP methods counted by name; anything else is `(other)`, so the table cannot carry junk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Options,
    Patch,
    Connect,
    Trace,
    Propfind,
    Other,
    /// The request line was `-`, empty or had no method.
    Invalid,
}

impl Method {
    fn parse(token: &[u8]) -> Method {
        match token {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"POST" => Method::Post,
            b"PUT" => Method::Put,
            b"DELETE" => Method::Delete,
            b"OPTIONS" => Method::Options,
            b"PATCH" => Method::Patch,
            b"CONNECT" => Method::Connect,
            b"TRACE" => Method::Trace,
            b"PROPFIND" => Method::Propfind,
            b"" | b"-" => Method::Invalid,
            _ => Method::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Patch => "PATCH",
            Method::Connect => "CONNECT",
            Method::Trace => "TRACE",
            Method::Propfind => "PROPFIND",
            Method::Other => "(other)",
            Method::Invalid => "(invalid)",
        }
    }
}

/// One request with nothing that identifies the visitor: what every later stage sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    pub time: UnixSeconds,
    pub visitor: VisitorKey,
    /// The truncated client address; `None` for clients logged by host name.
    pub client_prefix: Option<IpPrefix>,
    /// Registrable domain of the client host name, or a `(label)`.
    pub host_domain: &'a [u8],
    pub method: Method,
    pub status: u16,
    pub bytes: u64,
    /// The scrubbed page key; empty unless `is_page_view`.
    pub page: &'a [u8],
    /// Where the anonymiser keeps the place of `page`'s row between lines, when the key is
    /// one it holds; the counting step reads and sets it.
    pub page_row: Option<&'a Cell<RowHint>>,
    /// A successful GET of a page, not an asset. Bots are excluded later, in [`crate::stats`].
    pub is_page_view: bool,
    /// A successful GET of a static asset (stylesheet, script, image, font...).
    pub is_asset: bool,
    /// Browser, OS, device and crawler name of the user agent.
    pub agent: &'a AgentClass,
    /// Where the counting step keeps the agent's profile rows.
    pub profile_rows: &'a ProfileRows,
    /// Country of the truncated client address, when known.
    pub country: Option<[u8; 2]>,
    /// Registrable domain of the referrer, or a `(label)`.
    pub referrer: &'a [u8],
    /// As `page_row`, for `referrer`.
    pub referrer_row: Option<&'a Cell<RowHint>>,
    /// Primary Accept-Language tag (`de`), empty when the format has none.
    pub language: &'a [u8],
}

/// Per-worker state of the privacy step: caches and scratch buffers, reused for every line.
pub struct Anonymizer<'p> {
    policy: &'p PrivacyPolicy,
    keyer: VisitorKeyer<'p>,
    times: TimeCache,
    agents: AgentClassifier,
    countries: CountryLookup,
    /// A page key whose query is finished on this line.
    page: Vec<u8>,
    /// Scrubbed paths by path; the query is finished per line.
    pages: Memo,
    /// Referrer row keys by referrer host.
    referrer_hosts: Memo,
    /// The row hints of the `(direct)` and `(unknown)` referrer rows, which no memo holds.
    direct_row: Cell<RowHint>,
    unknown_referrer_row: Cell<RowHint>,
    host: Vec<u8>,
    language: Vec<u8>,
    asset_extensions: AssetExtensions,
}

impl<'p> Anonymizer<'p> {
    pub fn new(policy: &'p PrivacyPolicy, secrets: &'p WindowSecrets) -> Anonymizer<'p> {
        Anonymizer {
            policy,
            keyer: secrets.keyer(),
            times: TimeCache::default(),
            agents: AgentClassifier::default(),
            countries: CountryLookup::new(policy.geo.clone()),
            page: Vec::with_capacity(256),
            pages: Memo::default(),
            referrer_hosts: Memo::default(),
            direct_row: Cell::default(),
            unknown_referrer_row: Cell::default(),
            host: Vec::with_capacity(64),
            language: Vec::with_capacity(3),
            asset_extensions: AssetExtensions::new(&policy.asset_extensions),
        }
    }

    /// The timestamp of a line, in UTC seconds.
    #[inline]
    pub fn time_of(&mut self, raw: &RawLine<'_>) -> Result<UnixSeconds, MalformedReason> {
        self.times
            .parse(raw.time_format, raw.time)
            .ok_or(MalformedReason::BadTimestamp)
    }

    /// Turns a parsed line with timestamp `time` into an anonymous event.
    pub fn anonymize(
        &mut self,
        raw: &RawLine<'_>,
        time: UnixSeconds,
    ) -> Result<Event<'_>, MalformedReason> {
        self.anonymize_read_ahead(raw, time, None)
    }

    /// Starts the look-up of the country of a line's leading address, before the line is
    /// parsed: a worker calls this for the next line while it counts this one, so that the
    /// look-up's cache misses overlap the count. Where the client is another field, this
    /// looks up an address the line will not ask for, which is slower and still right.
    #[inline]
    pub fn prefetch_country(&self, leading: &LeadingIpv4<'_>) {
        self.countries.prefetch(self.leading_prefix(leading));
    }

    /// The truncated prefix of a line's leading address.
    #[inline]
    fn leading_prefix(&self, leading: &LeadingIpv4<'_>) -> IpPrefix {
        let policy = self.policy;
        ip::truncate(
            leading.addr().into(),
            policy.ipv4_prefix,
            policy.ipv6_prefix,
        )
    }

    /// The step after [`Self::prefetch_country`], a line later: starts loading the country
    /// from the table shared by the workers when the worker's recent answers, loaded by
    /// then, do not hold it.
    #[inline]
    pub fn prefetch_shared_country(&self, leading: &LeadingIpv4<'_>) {
        self.countries.prefetch_shared(self.leading_prefix(leading));
    }

    /// [`Self::anonymize`] for a line whose leading address was read already, so that it is
    /// not read twice when it is the client.
    ///
    /// perf: inlined into the worker's loop, the event's fields stay where the counting step
    /// reads them instead of being written out and read back: 116 instructions, 64 loads, 55
    /// stores and half of the simulated L1 instruction-cache misses a line fewer
    /// (callgrind, `c64.log`).
    #[inline(always)]
    pub fn anonymize_read_ahead(
        &mut self,
        raw: &RawLine<'_>,
        time: UnixSeconds,
        leading: Option<LeadingIpv4<'_>>,
    ) -> Result<Event<'_>, MalformedReason> {
        let policy = self.policy;
        let (agent, agent_digest, profile_rows) = self.agents.classify_for_profile(raw.user_agent);
        let client = policy.client_from.client(raw.client, raw.forwarded_for);
        let addr = leading
            .and_then(|l| l.parsed(client))
            .or_else(|| ip::parse_ip(client));
        let (visitor, client_prefix, host_domain): (_, _, &[u8]) = match addr {
            Some(addr) => {
                let canonical = ip::canonical(addr);
                let visitor = match canonical {
                    IpAddr::V4(v4) => self.keyer.key(time, &v4.octets(), agent_digest),
                    IpAddr::V6(v6) => self.keyer.key(time, &v6.octets(), agent_digest),
                };
                let prefix = ip::truncate(canonical, policy.ipv4_prefix, policy.ipv6_prefix);
                (visitor, Some(prefix), UNRESOLVED)
            }
            None => {
                if !host::normalise_host(client, &mut self.host)
                    || !self.host.iter().any(u8::is_ascii_alphabetic)
                {
                    return Err(MalformedReason::BadClient);
                }
                let visitor = self.keyer.key(time, &self.host, agent_digest);
                host::keep_registrable_domain(&mut self.host);
                if self.host.is_empty() {
                    (visitor, None, UNKNOWN_HOST)
                } else {
                    (visitor, None, &self.host[..])
                }
            }
        };

        let country = client_prefix.and_then(|p| self.countries.country(p));
        let (method, path, query) = request_parts(raw);
        let fetched = method == Method::Get
            && ((200..300).contains(&raw.status) || raw.status == 304)
            && path.first() == Some(&b'/');
        let is_asset = fetched && is_asset(&self.asset_extensions, path);
        let is_page_view = fetched && !is_asset;
        let (page, page_row): (&[u8], _) = if is_page_view {
            // perf: keyed by path and query, the memo hit on 88% of a generated log's page
            // views, 5% of which carry a unique query; keyed by the path alone, it misses only
            // on a path's first view.
            let (scrubbed, row) = self
                .pages
                .value(path, |out| policy.url.scrub_segments_into(path, out));
            if policy.url.is_finished_page_key(query, scrubbed) {
                (scrubbed, Some(row))
            } else {
                self.page.clear();
                self.page.extend_from_slice(scrubbed);
                policy.url.finish_page_key(query, &mut self.page);
                (&self.page, None)
            }
        } else {
            (b"", None)
        };
        let (referrer, referrer_row): (&[u8], _) = match referrer::referrer_host(raw.referrer) {
            ReferrerHost::Direct => (referrer::DIRECT, Some(&self.direct_row)),
            ReferrerHost::Unknown => (referrer::UNKNOWN, Some(&self.unknown_referrer_row)),
            ReferrerHost::Host(host) => {
                let site = policy.site_domain.as_deref();
                let (key, row) = self
                    .referrer_hosts
                    .value(host, |out| referrer::host_key_into(host, site, out));
                (key, Some(row))
            }
        };
        language::primary_language_into(raw.accept_language, &mut self.language);

        Ok(Event {
            time,
            visitor,
            client_prefix,
            host_domain,
            method,
            status: raw.status,
            bytes: raw.bytes,
            page,
            page_row,
            is_page_view,
            is_asset,
            agent,
            profile_rows,
            country,
            referrer,
            referrer_row,
            language: &self.language,
        })
    }

    /// Agent-cache and country-cache look-ups and misses, for the bench and the closing summary.
    pub fn cache_counts(&self) -> [(u64, u64); 2] {
        [self.agents.cache_counts(), self.countries.cache_counts()]
    }
}

/// The asset extensions of a policy, packed for a look-up per page view.
///
/// perf: an extension of up to 7 bytes is one lower-case `u64`, found by binary search; the
/// default list of 35 compared one by one with `eq_ignore_ascii_case` cost a hundred
/// instructions on every path with a dot.
#[derive(Debug, Clone, Default)]
struct AssetExtensions {
    packed: Vec<u64>,
    /// Extensions longer than 7 bytes, compared as they are.
    long: Vec<Vec<u8>>,
}

impl AssetExtensions {
    fn new(extensions: &[Vec<u8>]) -> AssetExtensions {
        let mut set = AssetExtensions::default();
        for ext in extensions {
            match pack_extension(ext) {
                Some(packed) => set.packed.push(packed),
                None => set.long.push(ext.clone()),
            }
        }
        set.packed.sort_unstable();
        set.packed.dedup();
        set
    }

    fn contains(&self, ext: &[u8]) -> bool {
        match pack_extension(ext) {
            Some(packed) => self.packed.binary_search(&packed).is_ok(),
            None => self
                .long
                .iter()
                .any(|known| known.eq_ignore_ascii_case(ext)),
        }
    }
}

/// An extension of 1 to 7 bytes, lower-cased into the bytes of a `u64` with its length in
/// the last, so that `css` and `css\0` stay apart.
fn pack_extension(ext: &[u8]) -> Option<u64> {
    if ext.is_empty() || ext.len() > 7 {
        return None;
    }
    let mut bytes = [0u8; 8];
    for (to, from) in bytes.iter_mut().zip(ext) {
        *to = from.to_ascii_lowercase();
    }
    bytes[7] = ext.len() as u8;
    Some(u64::from_le_bytes(bytes))
}

/// True when the last segment of `path` ends in one of the asset `extensions`.
fn is_asset(extensions: &AssetExtensions, path: &[u8]) -> bool {
    let end = find::byte(b';', path).unwrap_or(path.len());
    let path = &path[..end];
    // The last dot or slash: a dot is the last segment's own. perf: one inlined search from
    // the end, in place of a byte loop whose exit was mispredicted on most lines: 33
    // instructions, 20 branches and one mispredicted branch a line fewer (callgrind).
    match find::last_of([b'.', b'/'], path) {
        Some(dot) if path[dot] == b'.' => extensions.contains(&path[dot + 1..]),
        _ => false,
    }
}

/// Method, path (origin removed) and query of a line, from its request line or from the fields
/// logged apart.
fn request_parts<'a>(raw: &RawLine<'a>) -> (Method, &'a [u8], &'a [u8]) {
    if raw.request.is_empty() && !raw.method.is_empty() {
        let (path, query) = url::split_target(raw.path);
        let query = if query.is_empty() { raw.query } else { query };
        return (Method::parse(raw.method), path, query);
    }
    let (method, target) = split_request(raw.request);
    let (path, query) = url::split_target(target);
    (method, path, query)
}

/// Splits `METHOD target [PROTOCOL]` into the method and the target.
fn split_request(request: &[u8]) -> (Method, &[u8]) {
    // perf: a method is a few bytes and the protocol nine (` HTTP/1.1`): both are looked for
    // where they stand before a vector search of the whole request line.
    let space = match request.iter().take(10).position(|&b| b == b' ') {
        Some(sp) => Some(sp),
        None => find::byte(b' ', request),
    };
    let Some(sp) = space else {
        return (Method::parse(request).without_target(), b"");
    };
    let method = Method::parse(&request[..sp]);
    let rest = &request[sp + 1..];
    if let Some(at) = rest.len().checked_sub(9)
        && rest[at..].starts_with(b" HTTP/")
        && !rest[at + 6..].contains(&b' ')
    {
        return (method, &rest[..at]);
    }
    let target = match memchr::memrchr(b' ', rest) {
        Some(last) if rest[last + 1..].starts_with(b"HTTP/") => &rest[..last],
        _ => rest,
    };
    (method, target)
}

impl Method {
    /// A request line with no space has no target: keep a known method, else call it invalid.
    fn without_target(self) -> Method {
        if self == Method::Other {
            Method::Invalid
        } else {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::clf::parse_combined;
    use visitor::VisitorWindow;

    fn event_of(line: &str, f: impl FnOnce(&Event<'_>)) {
        let policy = PrivacyPolicy::default();
        let secrets = WindowSecrets::new(VisitorWindow::Day);
        let mut anon = Anonymizer::new(&policy, &secrets);
        let raw = parse_combined(line.as_bytes()).unwrap();
        let t = anon.time_of(&raw).unwrap();
        f(&anon.anonymize(&raw, t).unwrap());
    }

    #[test]
    fn a_line_read_ahead_gives_the_event_it_gives_read_alone() {
        let policy = PrivacyPolicy::default();
        let secrets = WindowSecrets::new(VisitorWindow::Day);
        let mut anon = Anonymizer::new(&policy, &secrets);
        let rest = r#" - - [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 1 "-" "curl/8""#;
        let mut read_ahead = 0;
        for client in [
            "8.8.8.8",
            "193.0.6.139",
            "2001:67c:2e8::1",
            "crawl.example.org",
        ] {
            let line = format!("{client}{rest}");
            let raw = parse_combined(line.as_bytes()).unwrap();
            let t = anon.time_of(&raw).unwrap();
            let alone = format!("{:?}", anon.anonymize(&raw, t).unwrap());
            let leading = LeadingIpv4::of(line.as_bytes());
            read_ahead += usize::from(leading.is_some());
            let ahead = format!("{:?}", anon.anonymize_read_ahead(&raw, t, leading).unwrap());
            assert_eq!(ahead, alone, "{client}");
        }
        assert_eq!(read_ahead, 2);
    }

    #[test]
    fn a_page_view_keeps_only_safe_fields() {
        event_of(
            r#"203.0.113.77 - - [10/Oct/2024:13:55:36 +0000] "GET /reset?token=abc&utm_source=x HTTP/1.1" 200 2326 "https://mail.example.com/inbox" "Mozilla/5.0 Firefox/131.0""#,
            |e| {
                assert!(e.is_page_view && !e.agent.is_bot());
                assert_eq!(e.page, b"/reset?utm_source=x");
                assert_eq!(e.referrer, b"example.com");
                assert_eq!(e.host_domain, UNRESOLVED);
                assert_eq!(
                    e.client_prefix.unwrap().addr,
                    "203.0.113.0".parse::<IpAddr>().unwrap()
                );
                assert_eq!((e.method, e.status, e.bytes), (Method::Get, 200, 2326));
            },
        );
    }

    #[test]
    fn assets_posts_and_errors_are_not_page_views() {
        for line in [
            r#"1.2.3.4 - - [10/Oct/2024:13:55:36 +0000] "GET /img/Logo.PNG HTTP/1.1" 200 1 "-" "Firefox""#,
            r#"1.2.3.4 - - [10/Oct/2024:13:55:36 +0000] "POST /join_form HTTP/1.1" 302 1 "-" "Firefox""#,
            r#"1.2.3.4 - - [10/Oct/2024:13:55:36 +0000] "GET /missing HTTP/1.1" 404 1 "-" "Firefox""#,
            r#"1.2.3.4 - - [10/Oct/2024:13:55:36 +0000] "-" 408 0 "-" "-""#,
        ] {
            event_of(line, |e| {
                assert!(!e.is_page_view, "{line}");
                assert!(e.page.is_empty());
            });
        }
        event_of(
            r#"1.2.3.4 - - [10/Oct/2024:13:55:36 +0000] "GET / HTTP/1.1" 304 0 "-" "Firefox""#,
            |e| assert!(e.is_page_view && !e.agent.is_bot()),
        );
        event_of(
            r#"1.2.3.4 - - [10/Oct/2024:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "Googlebot/2.1""#,
            |e| assert!(e.agent.is_bot()),
        );
    }

    /// The plain reading of the rule, to hold the packed look-up to.
    fn is_asset_plainly(extensions: &[Vec<u8>], path: &[u8]) -> bool {
        let path = path.split(|&b| b == b';').next().unwrap_or(b"");
        let last = path.rsplit(|&b| b == b'/').next().unwrap_or(b"");
        match last.iter().rposition(|&b| b == b'.') {
            Some(dot) => extensions
                .iter()
                .any(|e| e.eq_ignore_ascii_case(&last[dot + 1..])),
            None => false,
        }
    }

    #[test]
    fn asset_extensions_match_case_blind_in_the_last_segment_only() {
        let exts: Vec<Vec<u8>> = ["css", "woff2", "webmanifest", "x"]
            .iter()
            .map(|e| e.as_bytes().to_vec())
            .collect();
        let set = AssetExtensions::new(&exts);
        for (path, want) in [
            ("/a/site.CSS", true),
            ("/a/font.woff2", true),
            ("/app.webmanifest", true),
            ("/app.WebManifest", true),
            ("/x.css/page", false),
            ("/style.css;jsessionid=1", true),
            ("/a;b/style.css", false),
            ("/archive.tar.x", true),
            ("/noext", false),
            ("/dot.", false),
            ("/.css", true),
            ("/a.cssx", false),
            ("/a.css\0", false),
            ("/a.x\0\0", false),
        ] {
            assert_eq!(is_asset(&set, path.as_bytes()), want, "{path}");
            assert_eq!(is_asset_plainly(&exts, path.as_bytes()), want, "{path}");
        }
    }

    /// The plain reading of a request line: method to the first space, protocol after the
    /// last one when it starts with `HTTP/`.
    fn split_request_plainly(request: &[u8]) -> (Method, &[u8]) {
        let Some(sp) = request.iter().position(|&b| b == b' ') else {
            return (Method::parse(request).without_target(), b"");
        };
        let rest = &request[sp + 1..];
        let target = match rest.iter().rposition(|&b| b == b' ') {
            Some(last) if rest[last + 1..].starts_with(b"HTTP/") => &rest[..last],
            _ => rest,
        };
        (Method::parse(&request[..sp]), target)
    }

    proptest::proptest! {
        #[test]
        fn request_lines_split_as_the_plain_rule_does(
            method in "(GET|POST|PROPFIND|[A-Z]{0,12})",
            target in "[/a-z ?]{0,20}",
            protocol in "( HTTP/1\\.1| HTTP/2| HTTP/[0-9 ]\\.[0-9 ]| HTTPS/1\\.1|)",
            spaced in proptest::bool::ANY,
        ) {
            let line = format!("{method}{}{target}{protocol}", if spaced { " " } else { "" });
            proptest::prop_assert_eq!(
                split_request(line.as_bytes()),
                split_request_plainly(line.as_bytes())
            );
        }

        #[test]
        fn packed_asset_look_up_agrees_with_the_plain_rule(
            path in "[/a-zA-Z.;\0]{0,24}",
            exts in proptest::collection::vec("[a-zA-Z]{0,10}", 0..6),
        ) {
            let exts: Vec<Vec<u8>> = exts.into_iter().map(String::into_bytes).collect();
            let set = AssetExtensions::new(&exts);
            proptest::prop_assert_eq!(
                is_asset(&set, path.as_bytes()),
                is_asset_plainly(&exts, path.as_bytes())
            );
        }
    }

    #[test]
    fn accept_language_keeps_only_its_primary_tag() {
        let policy = PrivacyPolicy::default();
        let secrets = WindowSecrets::new(VisitorWindow::Day);
        let mut anon = Anonymizer::new(&policy, &secrets);
        let mut raw = parse_combined(
            br#"1.2.3.4 - - [10/Oct/2024:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "Firefox""#,
        )
        .unwrap();
        raw.accept_language = b"de-CH,de;q=0.9";
        assert_eq!(anon.anonymize(&raw, 0).unwrap().language, b"de");
        raw.accept_language = b"";
        assert_eq!(anon.anonymize(&raw, 0).unwrap().language, b"");
    }

    #[test]
    fn host_name_clients_keep_their_registrable_domain() {
        event_of(
            r#"c-73-12-34-56.hsd1.ca.comcast.net - - [10/Oct/2024:13:58:00 +0000] "GET /index.html HTTP/1.1" 200 1000 "-" "Mozilla/5.0""#,
            |e| {
                assert_eq!(e.host_domain, b"comcast.net");
                assert_eq!(e.client_prefix, None);
            },
        );
        event_of(
            r#"printer.lan - - [10/Oct/2024:13:58:00 +0000] "GET / HTTP/1.1" 200 1000 "-" "Mozilla/5.0""#,
            |e| assert_eq!(e.host_domain, UNKNOWN_HOST),
        );
    }

    #[test]
    fn request_lines_split_into_method_and_target() {
        assert_eq!(
            split_request(b"GET /a b HTTP/1.1"),
            (Method::Get, &b"/a b"[..])
        );
        assert_eq!(
            split_request(b"GET /history/apollo/"),
            (Method::Get, &b"/history/apollo/"[..])
        );
        assert_eq!(split_request(b"-"), (Method::Invalid, &b""[..]));
        assert_eq!(split_request(b"\x16\x03\x01"), (Method::Invalid, &b""[..]));
        assert_eq!(
            split_request(b"FOO /x HTTP/1.0"),
            (Method::Other, &b"/x"[..])
        );
    }

    #[test]
    fn unusable_clients_are_malformed() {
        let policy = PrivacyPolicy::default();
        let secrets = WindowSecrets::new(VisitorWindow::Day);
        let mut anon = Anonymizer::new(&policy, &secrets);
        for client in ["-", "1.2.3", "a b", "12.34"] {
            let line = format!(
                r#"{client} - - [10/Oct/2024:13:58:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x""#
            );
            let Ok(raw) = parse_combined(line.as_bytes()) else {
                continue;
            };
            assert_eq!(
                anon.anonymize(&raw, 0).err(),
                Some(MalformedReason::BadClient),
                "{client}"
            );
        }
    }
}
