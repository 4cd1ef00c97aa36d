//! The hand-written sample in `sample-logs/`, with every expected number worked out by hand.
//!
//! `access.log` (2024-10-10) has 23 lines: 22 parse, line 21 is not a log line. Visitors are
//! (address, agent) pairs: V1 203.0.113.10 Firefox/Linux, V2 198.51.100.23 Chrome/Windows,
//! V3 2001:db8:85a3::8a2e:370:7334 Safari/iOS, V4 c-73-12-34-56.hsd1.ca.comcast.net
//! Firefox/Windows, V5 192.0.2.44 Edge, V6 p5b0c2d3e.dip0.t-ipconnect.de Chrome/Mac,
//! V7 203.0.113.77 Firefox/Mac, V8 45.33.32.156 with agent "-" (a bare 408), plus Googlebot and curl.
//! `access.log.1.gz` (2024-10-09, two gzip members, CRLF, no final newline) has 5 lines: V1, V2,
//! V3' (2001:db8:85a3::1, same /48 as V3), V4 and bingbot.

mod common;
use common::*;

fn sample() -> serde_json::Value {
    report_json(&["sample-logs/access.log", "sample-logs/access.log.1.gz"])
}

#[test]
fn totals() {
    let json = sample();
    // 22 parsed lines in access.log and 5 in the gzip file.
    assert_eq!(total(&json, "hits"), 22 + 5);
    // access.log page views: lines 1, 4, 5, 6, 7, 8, 9 (304), 10, 11, 13, 14, 16, 17, 22 = 14;
    // not: css, png, POST, 404, two Googlebot hits, HEAD by curl, the 408. gzip: 4 (bingbot not).
    assert_eq!(total(&json, "page_views"), 14 + 4);
    // Day 10: V1..V8 = 8; day 9: V1, V2, V3', V4 = 4 (a new day is a new key).
    assert_eq!(total(&json, "visitors"), 8 + 4);
    // Day 10: V1 twice (08:02 -> 14:00 UTC), V5 twice (10:00:05 -> 10:45), the other six once.
    assert_eq!(total(&json, "visits"), 2 + 2 + 6 + 4);
    let access: u64 = [
        5120, 2048, 4096, 8192, 5120, 8192, 5120, 1024, 0, 8192, 2048, 0, 5120, 8192, 512, 5120,
        8192, 68, 5120, 0, 3000, 0,
    ]
    .iter()
    .sum();
    assert_eq!(total(&json, "bytes"), access + 5120 + 4 * 3000);
    assert_eq!(total(&json, "malformed"), 1);
    assert_eq!(json["malformed_by_reason"]["bad_timestamp"], 1);
    assert_eq!(
        json["malformed_lines"][0]["input"],
        "sample-logs/access.log"
    );
    assert_eq!(json["malformed_lines"][0]["line"], 21);
    assert_eq!(json["complete"], true);
    // Line 22 is 16:00 at +0200, the latest hit.
    assert_eq!(json["period"]["first"], "2024-10-09T20:00:00Z");
    assert_eq!(json["period"]["last"], "2024-10-10T14:00:00Z");
}

#[test]
fn inputs_are_described() {
    let json = sample();
    let inputs = json["inputs"].as_array().unwrap();
    assert_eq!(inputs[0]["format"], "combined");
    assert_eq!(inputs[0]["compression"], "none");
    assert_eq!(inputs[0]["lines"], 23);
    assert_eq!(inputs[1]["compression"], "gzip");
    assert_eq!(inputs[1]["lines"], 5);
}

#[test]
fn pages_fold_below_five_visitors() {
    let json = sample();
    // "/" by V1 (both days), V3, V4 (304), V5, V7 = 6 keys; the blog post by V1, V2, V4, V6, V7.
    // Folded: /?utm_source=newsletter&utm_medium=email (V2), /users/:email/settings (V3),
    // /reset-password/:token (V5), /order/:id/receipt (V1), /about x3 (day 9: V2, V3', V4).
    assert_eq!(
        rows(&json, "pages"),
        vec![
            row("/", 6, 6),
            row("/blog/privacy-first-analytics", 5, 5),
            row("(other)", 7, 7)
        ]
    );
}

#[test]
fn pages_with_k_one_show_scrubbed_paths() {
    let json = report_json(&[
        "--min-visitors",
        "1",
        "sample-logs/access.log",
        "sample-logs/access.log.1.gz",
    ]);
    let mut got = rows(&json, "pages");
    got.sort();
    let mut want = vec![
        row("/", 6, 6),
        row("/blog/privacy-first-analytics", 5, 5),
        row("/about", 3, 3),
        row("/?utm_source=newsletter&utm_medium=email", 1, 1),
        row("/users/:email/settings", 1, 1),
        row("/reset-password/:token", 1, 1),
        row("/order/:id/receipt", 1, 1),
    ];
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn referrers() {
    let json = sample();
    // (direct): lines 7, 11, 18, 19, 20, 22, 23 and four in the gzip file; visitors V3, V5, V1,
    // V8 and day 9's V1, V3', V4 (bots have no visitor key).
    // example.org: lines 2, 3, 4, 6, 8, 10, 12, 15, 17 by V1..V7.
    // Folded: google.com (V1, V2), duckduckgo.com, ycombinator.com, bing.com, (ip address),
    // google.de: 7 hits, 7 distinct visitors.
    assert_eq!(
        rows(&json, "referrer_domains"),
        vec![
            row("(direct)", 11, 7),
            row("example.org", 9, 7),
            row("(other)", 7, 7)
        ]
    );
    let own = report_json(&["--site-domain", "www.example.org", "sample-logs/access.log"]);
    assert!(rows(&own, "referrer_domains").contains(&row("(self)", 9, 7)));
}

#[test]
fn host_domains_fold_whole_when_the_rest_would_be_recoverable() {
    let json = sample();
    // comcast.net (V4 on two days: 2 keys) and t-ipconnect.de (V6) make an (other) of 3 < 5, so
    // (unresolved) folds too: otherwise total minus (unresolved) would reveal them.
    assert_eq!(rows(&json, "host_domains"), vec![row("(other)", 27, 12)]);
    let k1 = report_json(&[
        "--min-visitors",
        "1",
        "sample-logs/access.log",
        "sample-logs/access.log.1.gz",
    ]);
    assert_eq!(
        rows(&k1, "host_domains"),
        vec![
            row("(unresolved)", 22, 9),
            row("comcast.net", 3, 2),
            row("t-ipconnect.de", 2, 1)
        ]
    );
}

#[test]
fn status_codes_and_methods_are_never_folded() {
    let json = sample();
    assert_eq!(
        rows(&json, "status_codes"),
        vec![
            row("200", 23, 11),
            row("302", 1, 1),
            row("304", 1, 1),
            row("404", 1, 1),
            row("408", 1, 1)
        ]
    );
    assert_eq!(
        rows(&json, "methods"),
        vec![
            row("GET", 24, 11),
            row("(invalid)", 1, 1),
            row("HEAD", 1, 0),
            row("POST", 1, 1)
        ]
    );
}

#[test]
fn timeline() {
    let json = sample();
    let daily: Vec<(String, u64, u64, u64)> = json["timeline"]["daily"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["start"].as_str().unwrap().to_string(),
                b["hits"].as_u64().unwrap(),
                b["page_views"].as_u64().unwrap(),
                b["visitors"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        daily,
        vec![
            ("2024-10-09T00:00:00Z".to_string(), 5, 4, 4),
            ("2024-10-10T00:00:00Z".to_string(), 22, 14, 8),
        ]
    );
    let hourly = json["timeline"]["hourly"].as_array().unwrap();
    let eight = hourly
        .iter()
        .find(|b| b["start"] == "2024-10-10T08:00:00Z")
        .unwrap();
    // Lines 1-6: V1 and V2, page views on lines 1, 4, 5, 6.
    assert_eq!(
        (
            eight["hits"].as_u64(),
            eight["page_views"].as_u64(),
            eight["visitors"].as_u64()
        ),
        (Some(6), Some(4), Some(2))
    );
    assert_eq!(
        hourly
            .iter()
            .map(|b| b["hits"].as_u64().unwrap())
            .sum::<u64>(),
        27
    );
}

#[test]
fn browsers_systems_devices_bots_and_countries() {
    let json = report_json(&[
        "--min-visitors",
        "0",
        "sample-logs/access.log",
        "sample-logs/access.log.1.gz",
    ]);
    // Firefox 131: V1 (5 + 1 hits), V4 (2 + 1), V7 (2); visitors day 10 V1 V4 V7, day 9 V1 V4.
    // Chrome 129: V2 (2 + 1), V6 (2). Edge: V5 (3). Safari: V3 (2), V3' (1). "-": V8.
    assert_eq!(
        rows(&json, "browsers"),
        vec![
            row("Firefox 131", 11, 5),
            row("Chrome 129", 5, 3),
            row("Edge 129", 3, 1),
            row("Mobile Safari 17", 3, 2),
            row("(other)", 1, 1),
        ]
    );
    // Shares are of all 12 visitors.
    let browser_shares: Vec<f64> = shares(&json, "browsers").into_iter().map(|r| r.1).collect();
    assert_eq!(browser_shares, vec![0.4167, 0.25, 0.0833, 0.1667, 0.0833]);
    // Windows 10: Edge 3, Firefox 2 + 1, Chrome 2 + 1. Mac: Firefox on 14.6, Chrome on 10_15_7.
    assert_eq!(
        rows(&json, "operating_systems"),
        vec![
            row("Windows 10", 9, 5),
            row("Linux", 6, 2),
            row("iOS 17", 3, 2),
            row("Mac OS X 10", 2, 1),
            row("Mac OS X 14", 2, 1),
            row("(other)", 1, 1),
        ]
    );
    // Devices count every hit: the four bot hits are the `bot` class, with no visitors.
    assert_eq!(
        rows(&json, "devices"),
        vec![
            row("desktop", 19, 9),
            row("bot", 4, 0),
            row("mobile", 3, 2),
            row("other", 1, 1),
        ]
    );
    // Googlebot: robots.txt (68 bytes) and / (5120); bingbot /about (3000); curl's HEAD (0).
    let bots = map_rows(&json, "bots", |r| {
        (
            r["key"].as_str().unwrap().to_string(),
            r["hits"].as_u64().unwrap(),
            r["bytes"].as_u64().unwrap(),
            r["share"].as_f64().unwrap(),
        )
    });
    assert_eq!(
        bots,
        vec![
            ("Googlebot".to_string(), 2, 68 + 5120, 0.5),
            ("bingbot".to_string(), 1, 3000, 0.25),
            ("curl".to_string(), 1, 0, 0.25),
        ]
    );
    // Only 66.249.66.1 (Google), 45.33.32.156 (Linode) and 157.55.39.1 (Microsoft) are public,
    // all registered in the US; the rest are documentation addresses or host names. Of the US
    // hits only V8's is by a person.
    assert_eq!(
        rows(&json, "countries"),
        vec![row("(unknown)", 22, 11), row("US", 5, 1)]
    );
    // No Accept-Language in the combined format.
    assert!(json["languages"].as_array().unwrap().is_empty());
    assert_eq!(total(&json, "likely_automated"), 0);
}

#[test]
fn include_bots_counts_crawlers_as_visitors() {
    let json = report_json(&[
        "--include-bots",
        "sample-logs/access.log",
        "sample-logs/access.log.1.gz",
    ]);
    // Googlebot and curl on day 10, bingbot on day 9.
    assert_eq!(total(&json, "visitors"), 12 + 3);
    // Googlebot's GET / and bingbot's GET /about; robots.txt is a page too, HEAD is not.
    assert_eq!(total(&json, "page_views"), 18 + 3);
}

#[test]
fn since_and_until_select_a_day() {
    let json = report_json(&[
        "--since",
        "2024-10-10",
        "sample-logs/access.log",
        "sample-logs/access.log.1.gz",
    ]);
    assert_eq!(
        (total(&json, "hits"), total(&json, "out_of_range")),
        (22, 5)
    );
    let json = report_json(&[
        "--until",
        "2024-10-09",
        "sample-logs/access.log",
        "sample-logs/access.log.1.gz",
    ]);
    assert_eq!(
        (total(&json, "hits"), total(&json, "out_of_range")),
        (5, 22)
    );
    let json = report_json(&[
        "--since",
        "2024-10-10T12:00:00Z",
        "--until",
        "2024-10-10T12:59:59Z",
        "sample-logs/access.log",
    ]);
    // 12:00:00, 12:01:00, 12:30:00, 12:30:05.
    assert_eq!(total(&json, "hits"), 4);
    assert_eq!(json["settings"]["since"], "2024-10-10T12:00:00Z");
}

#[test]
fn text_report_shows_the_same_numbers() {
    let out = run(
        &[
            "report",
            "--format",
            "text",
            "sample-logs/access.log",
            "sample-logs/access.log.1.gz",
        ],
        b"",
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let line_of = |label: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("{label} in {text}"))
            .to_string()
    };
    assert!(line_of("hits").trim_end().ends_with(" 27"));
    assert!(line_of("page views").trim_end().ends_with(" 18"));
    assert!(line_of("visitors").trim_end().ends_with(" 12"));
    assert!(line_of("visits").trim_end().ends_with(" 14"));
    assert!(
        line_of("/blog/privacy-first-analytics")
            .split_whitespace()
            .eq(["/blog/privacy-first-analytics", "5", "5"])
    );
}
