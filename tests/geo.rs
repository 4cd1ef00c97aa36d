//! Countries and locale shares, against databases the tests build with known networks.

mod common;

use common::mmdb::{Data, MmdbBuilder};
use common::{path_str, report_json_stdin, row, rows, run, shares, total};
use serde_json::Value;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0";

/// One combined line from `client` at minute `minute`.
fn line(client: &str, minute: u32, agent: &str) -> String {
    format!(
        "{client} - - [10/Oct/2024:13:{minute:02}:00 +0000] \"GET /p{minute} HTTP/1.1\" 200 100 \"-\" \"{agent}\"\n"
    )
}

/// Three networks: GB with 3 visitors (4 hits), FR with 2 (2 hits), DE (IPv6) with 1 (1 hit);
/// one address in no network and one private address: (unknown), 2 visitors.
fn log() -> String {
    [
        line("81.2.69.10", 1, FIREFOX),
        line("81.2.69.10", 2, FIREFOX),
        line("81.2.69.11", 3, FIREFOX),
        line("81.2.69.200", 4, FIREFOX),
        line("2.125.160.7", 5, FIREFOX),
        line("2.125.160.9", 6, FIREFOX),
        line("2a02:ff80:1:2::9", 7, FIREFOX),
        line("5.5.5.5", 8, FIREFOX),
        line("10.1.2.3", 9, FIREFOX),
    ]
    .concat()
}

fn with_db(db: Vec<u8>, args: &[&str], log: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.mmdb");
    std::fs::write(&path, db).unwrap();
    let mut all = vec!["--geoip-db", path_str(&path)];
    all.extend_from_slice(args);
    all.push("-");
    report_json_stdin(&all, log.as_bytes())
}

#[test]
fn countries_come_from_either_country_field_with_visitor_shares() {
    let by_country_code = MmdbBuilder::new("ip-location-db-test")
        .country_code("81.2.69.0/24", "GB")
        .country_code("2.125.160.0/24", "FR")
        .country_code("2a02:ff80::/32", "DE")
        .country_code("10.0.0.0/8", "ZZ") // private: must be ignored
        .build();
    let by_iso_code = MmdbBuilder::new("GeoLite2-Country")
        .iso_code("81.2.69.0/24", "GB")
        .iso_code("2.125.160.0/24", "fr")
        .iso_code("2a02:ff80::/32", "DE")
        .build();
    for db in [by_country_code, by_iso_code] {
        let json = with_db(db, &["--min-visitors", "0"], &log());
        assert_eq!(total(&json, "visitors"), 8);
        assert_eq!(
            rows(&json, "countries"),
            vec![
                row("GB", 4, 3),
                row("(unknown)", 2, 2),
                row("FR", 2, 2),
                row("DE", 1, 1)
            ]
        );
        // Shares are of all 8 visitors.
        assert_eq!(
            shares(&json, "countries"),
            vec![
                ("GB".to_string(), 0.375),
                ("(unknown)".to_string(), 0.25),
                ("FR".to_string(), 0.25),
                ("DE".to_string(), 0.125)
            ]
        );
        let described = json["settings"]["geoip"].as_str().unwrap();
        assert!(described.contains("test.mmdb"), "{described}");
    }
}

#[test]
fn reserved_slash24s_inside_a_wide_database_network_stay_unknown() {
    // Each /16 holds a reserved /24 (192.0.0.0/24 for protocol assignments, 198.51.100.0/24
    // for documentation); a public /24 of the same network is asked first.
    let db = MmdbBuilder::new("test")
        .country_code("192.0.0.0/16", "FR")
        .country_code("198.51.0.0/16", "US")
        .build();
    let log = [
        line("192.0.1.5", 1, FIREFOX),
        line("192.0.0.9", 2, FIREFOX),
        line("198.51.7.1", 3, FIREFOX),
        line("198.51.100.20", 4, FIREFOX),
        line("192.0.0.10", 5, FIREFOX),
        line("192.0.2.1", 6, FIREFOX),
    ]
    .concat();
    let json = with_db(db, &["--min-visitors", "0", "--threads", "1"], &log);
    assert_eq!(
        rows(&json, "countries"),
        vec![row("(unknown)", 4, 4), row("FR", 1, 1), row("US", 1, 1)]
    );
}

#[test]
fn countries_obey_the_k_threshold() {
    let db = MmdbBuilder::new("test")
        .country_code("81.2.69.0/24", "GB")
        .country_code("2.125.160.0/24", "FR")
        .country_code("2a02:ff80::/32", "DE")
        .build();
    // k = 3: DE (1 visitor), FR (2) and (unknown) (2) are below it and fold; GB stays.
    let json = with_db(db, &["--min-visitors", "3"], &log());
    assert_eq!(
        rows(&json, "countries"),
        vec![row("GB", 4, 3), row("(other)", 5, 5)]
    );
    assert_eq!(
        shares(&json, "countries"),
        vec![("GB".to_string(), 0.375), ("(other)".to_string(), 0.625)]
    );
}

#[test]
fn a_database_without_countries_is_an_error_naming_it() {
    let asn = MmdbBuilder::new("GeoLite2-ASN")
        .network(
            "81.2.69.0/24",
            Data::Map(vec![(
                "autonomous_system_organization",
                Data::Str("Example"),
            )]),
        )
        .build();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("asn-only.mmdb");
    std::fs::write(&path, asn).unwrap();
    let out = run(
        &["report", "--geoip-db", path_str(&path), "-"],
        log().as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("asn-only.mmdb") && err.contains("country"),
        "{err}"
    );
}

#[test]
fn no_geoip_leaves_countries_out() {
    let json = report_json_stdin(&["--no-geoip", "-"], log().as_bytes());
    assert!(json["countries"].as_array().unwrap().is_empty());
    assert!(json["settings"]["geoip"].is_null());
    let both = run(
        &["report", "--no-geoip", "--geoip-db", "x.mmdb", "-"],
        log().as_bytes(),
    );
    assert_eq!(both.status.code(), Some(2));
}

#[test]
fn languages_are_primary_tags_with_visitor_shares() {
    let format = r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" "%{Accept-Language}i""#;
    let lines = [
        ("81.2.69.10", "de-CH,de;q=0.9,en;q=0.5"),
        ("81.2.69.10", "de-CH"),
        ("81.2.69.11", "de"),
        ("81.2.69.12", "en-GB,en"),
        ("81.2.69.13", "fr"),
        ("81.2.69.14", "-"),
    ];
    let log: String = lines
        .iter()
        .enumerate()
        .map(|(i, (client, lang))| {
            format!(
                "{client} - - [10/Oct/2024:13:{i:02}:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"{FIREFOX}\" \"{lang}\"\n"
            )
        })
        .collect();
    let json = report_json_stdin(
        &["--log-format", format, "--min-visitors", "0", "-"],
        log.as_bytes(),
    );
    assert_eq!(total(&json, "visitors"), 5);
    // The line without a header counts in no language row.
    assert_eq!(
        rows(&json, "languages"),
        vec![row("de", 3, 2), row("en", 1, 1), row("fr", 1, 1)]
    );
    assert_eq!(
        shares(&json, "languages"),
        vec![
            ("de".to_string(), 0.4),
            ("en".to_string(), 0.2),
            ("fr".to_string(), 0.2)
        ]
    );
    // With k = 2, en and fr fold together into (other) with 2 visitors.
    let folded = report_json_stdin(
        &["--log-format", format, "--min-visitors", "2", "-"],
        log.as_bytes(),
    );
    assert_eq!(
        rows(&folded, "languages"),
        vec![row("de", 3, 2), row("(other)", 2, 2)]
    );
}
