//! The real third-party logs in `../shared/corpus/`, checked against counts made another way:
//! splitting lines on quotes and spaces, parsing times with the `time` crate, and counting
//! distinct visitors and visits with plain hash maps.

mod common;
use common::*;
use logveil::enrich::agent::AgentClassifier;
use std::collections::{BTreeMap, HashMap, HashSet};
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

const CLF_TIME: &[FormatItem<'static>] = format_description!(
    "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
);

/// One combined line, split by quotes: `client - - [time] "request" status bytes "ref" "agent"`.
struct Line {
    client: String,
    time: OffsetDateTime,
    method: String,
    path: String,
    status: u16,
    agent: String,
}

fn split_combined(line: &str) -> Option<Line> {
    let parts: Vec<&str> = line.split('"').collect();
    if parts.len() < 7 {
        return None;
    }
    let head: Vec<&str> = parts[0].split_whitespace().collect();
    let time_text = parts[0].split_once('[')?.1.split_once(']')?.0;
    let request: Vec<&str> = parts[1].split(' ').collect();
    let status = parts[2].split_whitespace().next()?.parse().ok()?;
    Some(Line {
        client: head[0].to_string(),
        time: OffsetDateTime::parse(time_text, CLF_TIME).ok()?,
        method: request[0].to_string(),
        path: request.get(1).unwrap_or(&"").to_string(),
        status,
        agent: parts[5].to_string(),
    })
}

fn is_asset(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap();
    let last = path.rsplit('/').next().unwrap();
    match last.rsplit_once('.') {
        Some((_, ext)) => {
            logveil::privacy::DEFAULT_ASSET_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str())
        }
        None => false,
    }
}

#[test]
fn hackers_log_matches_an_independent_count() {
    let path = corpus("hackers-access.log");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Line> = text
        .lines()
        .map(|l| split_combined(l).expect("every line is combined"))
        .collect();
    assert_eq!(lines.len(), 3456);

    let mut agents = AgentClassifier::default();
    let mut status: BTreeMap<u16, u64> = BTreeMap::new();
    let mut methods: BTreeMap<String, u64> = BTreeMap::new();
    let mut page_views = 0;
    // Visitor = (UTC day, client, agent); visits from each visitor's sorted hit times.
    let mut hits_by_visitor: HashMap<(i32, String, String), Vec<i64>> = HashMap::new();
    for l in &lines {
        *status.entry(l.status).or_default() += 1;
        *methods.entry(l.method.clone()).or_default() += 1;
        let bot = agents.classify(l.agent.as_bytes()).is_bot();
        if bot {
            continue;
        }
        if l.method == "GET"
            && ((200..300).contains(&l.status) || l.status == 304)
            && !is_asset(&l.path)
        {
            page_views += 1;
        }
        let utc = l.time.to_offset(time::UtcOffset::UTC);
        let key = (utc.to_julian_day(), l.client.clone(), l.agent.clone());
        hits_by_visitor
            .entry(key)
            .or_default()
            .push(utc.unix_timestamp());
    }
    let exact_visitors = hits_by_visitor.len() as f64;
    let exact_visits: u64 = hits_by_visitor
        .values_mut()
        .map(|times| {
            times.sort();
            1 + times.windows(2).filter(|w| w[1] - w[0] >= 1800).count() as u64
        })
        .sum();

    let json = report_json(&["--min-visitors", "0", path_str(&path)]);
    assert_eq!(total(&json, "hits"), 3456);
    assert_eq!(total(&json, "malformed"), 0);
    assert_eq!(total(&json, "page_views"), page_views);
    assert_eq!(total(&json, "visits"), exact_visits);
    let visitors = total(&json, "visitors") as f64;
    assert!(
        (visitors - exact_visitors).abs() / exact_visitors <= 0.02,
        "{visitors} vs {exact_visitors}"
    );
    let got_status: BTreeMap<u16, u64> = rows(&json, "status_codes")
        .into_iter()
        .map(|(k, h, _)| (k.parse().unwrap(), h))
        .collect();
    assert_eq!(got_status, status);
    let got_methods: BTreeMap<String, u64> = rows(&json, "methods")
        .into_iter()
        .map(|(k, h, _)| (k, h))
        .collect();
    assert_eq!(got_methods, methods);
    // Every row of every table adds up to the hits (pages: to the page views).
    for table in [
        "referrer_domains",
        "host_domains",
        "status_codes",
        "methods",
    ] {
        assert_eq!(
            rows(&json, table).iter().map(|r| r.1).sum::<u64>(),
            3456,
            "{table}"
        );
    }
    assert_eq!(
        rows(&json, "pages").iter().map(|r| r.1).sum::<u64>(),
        page_views
    );
    // Twelve lines have IPv6 clients: none of them is a host name. The row holds every visitor;
    // past 256 keys a row's count is a sketch (1.6% standard error), the total is still exact.
    let hosts = rows(&json, "host_domains");
    assert_eq!(hosts.len(), 1);
    assert_eq!((hosts[0].0.as_str(), hosts[0].1), ("(unresolved)", 3456));
    assert!(
        (hosts[0].2 as f64 - visitors).abs() / visitors <= 0.05,
        "{} vs {visitors}",
        hosts[0].2
    );
}

#[test]
fn broken_nasa_trace_counts_every_damaged_line() {
    let path = corpus("nasa-aug95-head-broken.log");
    let bytes = std::fs::read(&path).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let mut parsed = 0u64;
    let mut ip_clients = 0u64;
    let mut status: BTreeMap<u16, u64> = BTreeMap::new();
    let mut host_names: HashSet<String> = HashSet::new();
    for line in text.lines() {
        // common: `client - - [time] "request" status bytes`, nothing after the bytes.
        let parts: Vec<&str> = line.split('"').collect();
        if parts.len() != 3 {
            continue;
        }
        let head: Vec<&str> = parts[0].trim_end().split(' ').collect();
        let tail: Vec<&str> = parts[2].trim_start().split(' ').collect();
        let Some(time_text) = parts[0]
            .split_once('[')
            .and_then(|(_, r)| r.split_once(']'))
            .map(|(t, _)| t)
        else {
            continue;
        };
        let client = head[0];
        let client_ok = client.starts_with(|c: char| c.is_ascii_alphanumeric());
        if head.len() != 5
            || !client_ok
            || OffsetDateTime::parse(time_text, CLF_TIME).is_err()
            || tail.len() != 2
            || tail[0].len() != 3
            || !(tail[1] == "-" || tail[1].chars().all(|c| c.is_ascii_digit()))
        {
            continue;
        }
        parsed += 1;
        *status.entry(tail[0].parse().unwrap()).or_default() += 1;
        if client.parse::<std::net::IpAddr>().is_ok() {
            ip_clients += 1;
        } else {
            host_names.insert(client.to_ascii_lowercase());
        }
    }
    // SOURCES.md: 1,841 lines have the shape of common; one of them is the fragment ".jp", whose
    // client is no host name, and counts as malformed here.
    assert_eq!(parsed, 1840);
    assert_eq!(ip_clients, 1841 - 1608);

    let json = report_json(&["--min-visitors", "0", path_str(&path)]);
    assert_eq!(total(&json, "hits"), parsed);
    assert_eq!(total(&json, "malformed"), 1930 - parsed);
    assert_eq!(json["inputs"][0]["format"], "common");
    let got_status: BTreeMap<u16, u64> = rows(&json, "status_codes")
        .into_iter()
        .map(|(k, h, _)| (k.parse().unwrap(), h))
        .collect();
    assert_eq!(got_status, status);
    let hosts = rows(&json, "host_domains");
    assert_eq!(hosts.iter().map(|r| r.1).sum::<u64>(), parsed);
    assert!(hosts.contains(&row(
        "(unresolved)",
        ip_clients,
        hosts.iter().find(|r| r.0 == "(unresolved)").unwrap().2
    )));
    // Every row is a label or a domain that some client host name ends with;
    // under .com, registrable domains have exactly two labels.
    for (key, _, _) in &hosts {
        if key.starts_with('(') {
            continue;
        }
        assert!(
            host_names
                .iter()
                .any(|h| h == key || h.ends_with(&format!(".{key}"))),
            "{key}"
        );
        if key.ends_with(".com") {
            assert_eq!(key.matches('.').count(), 1, "{key}");
        }
    }
    assert!(hosts.iter().any(|r| r.0 == "prodigy.com"));
}

/// The country of each network of the built-in database, found by walking all its networks
/// (not by the tree look-up logveil uses), as sorted `(first, last, code)` ranges over 128-bit
/// numbers, IPv4 networks at `::a.b.c.d`.
fn builtin_ranges() -> Vec<(u128, u128, String)> {
    let reader =
        maxminddb::Reader::open_readfile(repo().join("data/geoip/geo-whois-asn-country.mmdb"))
            .unwrap();
    let everything: ipnetwork::IpNetwork = "::/0".parse().unwrap();
    let mut ranges = Vec::new();
    for found in reader.within(everything, Default::default()).unwrap() {
        let found = found.unwrap();
        let (first, last) = match found.network().unwrap() {
            ipnetwork::IpNetwork::V4(net) => (
                u128::from(u32::from(net.network())),
                u128::from(u32::from(net.broadcast())),
            ),
            ipnetwork::IpNetwork::V6(net) => {
                let first = u128::from(net.network());
                let host_bits = 128 - u32::from(net.prefix());
                let last = first | u128::MAX.checked_shr(128 - host_bits).unwrap_or(0);
                (first, if host_bits == 0 { first } else { last })
            }
        };
        let record: serde_json::Value = found.decode().unwrap().unwrap();
        if let Some(code) = record["country_code"].as_str() {
            ranges.push((first, last, code.to_string()));
        }
    }
    ranges.sort();
    ranges
}

#[test]
fn hackers_log_countries_match_an_independent_lookup_of_each_truncated_address() {
    let path = corpus("hackers-access.log");
    let text = std::fs::read_to_string(&path).unwrap();
    let ranges = builtin_ranges();
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for line in text.lines() {
        let client = line.split(' ').next().unwrap();
        // Truncate by masking the number: /24 for IPv4, /48 for IPv6. The log has no private,
        // reserved or IPv4-carrying IPv6 addresses (checked below).
        let prefix = match client.parse::<std::net::IpAddr>().unwrap() {
            std::net::IpAddr::V4(v4) => {
                assert!(!v4.is_private() && !v4.is_loopback() && !v4.is_documentation());
                u128::from(u32::from(v4) & 0xffff_ff00)
            }
            std::net::IpAddr::V6(v6) => {
                let bits = u128::from(v6);
                assert_eq!(bits >> 125, 1, "global unicast: {v6}");
                assert_ne!(bits >> 112, 0x2002, "6to4: {v6}");
                bits & !((1u128 << 80) - 1)
            }
        };
        let at = ranges.partition_point(|r| r.0 <= prefix);
        let country = match at.checked_sub(1).map(|i| &ranges[i]) {
            Some((_, last, code)) if prefix <= *last => code.clone(),
            _ => "(unknown)".to_string(),
        };
        *expected.entry(country).or_default() += 1;
    }
    assert!(expected.len() > 20, "{expected:?}");

    let json = report_json(&["--min-visitors", "0", path_str(&path)]);
    let got: BTreeMap<String, u64> = rows(&json, "countries")
        .into_iter()
        .map(|(k, h, _)| (k, h))
        .collect();
    assert_eq!(got, expected);
}
