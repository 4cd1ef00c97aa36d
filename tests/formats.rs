//! One test per preset, on the samples in `../shared/corpus/formats/` (third-party test logs) or
//! on lines written from each format's documentation. Every value is read off the sample line.

mod common;
use common::*;

fn sample(name: &str) -> serde_json::Value {
    report_json(&[
        "--min-visitors",
        "0",
        path_str(&corpus(&format!("formats/{name}"))),
    ])
}

fn from_stdin(lines: &str) -> serde_json::Value {
    report_json_stdin(&["--min-visitors", "0", "-"], lines.as_bytes())
}

fn detected(json: &serde_json::Value) -> &str {
    json["inputs"][0]["format"].as_str().unwrap_or("(none)")
}

#[test]
fn aws_alb() {
    let json = sample("alb.log");
    assert_eq!(detected(&json), "aws-alb");
    assert_eq!((total(&json, "hits"), total(&json, "malformed")), (1, 0));
    // elb_status_code 200, sent_bytes 24950; the request is in absolute form.
    assert_eq!(rows(&json, "status_codes"), vec![row("200", 1, 1)]);
    assert_eq!(total(&json, "bytes"), 24950);
    assert_eq!(rows(&json, "pages"), vec![row("/path/index.html", 1, 1)]);
    assert_eq!(json["period"]["first"], "2020-01-01T00:55:04Z");
}

#[test]
fn aws_elb_counts_the_tcp_line_and_the_comment_as_malformed() {
    let json = sample("elb.log");
    assert_eq!(detected(&json), "aws-elb");
    assert_eq!(total(&json, "hits"), 1);
    assert_eq!(total(&json, "bytes"), 57);
    assert_eq!(json["period"]["first"], "2015-05-13T23:39:43Z");
    // Line 2 is a comment the sample carries (it has no quoted request), line 3 a TCP
    // connection with status "-".
    assert_eq!(total(&json, "malformed"), 2);
    assert_eq!(json["malformed_lines"][0]["line"], 2);
    assert_eq!(json["malformed_lines"][0]["reason"], "bad_request_field");
    assert_eq!(json["malformed_lines"][1]["line"], 3);
    assert_eq!(json["malformed_lines"][1]["reason"], "bad_status");
}

#[test]
fn haproxy() {
    let json = sample("haproxy.log");
    assert_eq!(detected(&json), "haproxy");
    assert_eq!(total(&json, "hits"), 1);
    assert_eq!(total(&json, "bytes"), 7456);
    assert_eq!(rows(&json, "methods"), vec![row("POST", 1, 1)]);
    assert_eq!(json["period"]["first"], "2018-09-25T06:05:27Z");
}

#[test]
fn vcommon_and_vcombined_without_port() {
    let json = sample("common_vhost.log");
    assert_eq!(detected(&json), "vcommon");
    assert_eq!((total(&json, "hits"), total(&json, "bytes")), (1, 368));
    let json = sample("common_complete.log");
    assert_eq!(detected(&json), "vcombined");
    assert_eq!((total(&json, "hits"), total(&json, "bytes")), (1, 368));
    assert_eq!(json["period"]["first"], "2012-02-10T21:42:07Z");
}

#[test]
fn combined_family_samples() {
    // NCSA extended is combined; icecast2 adds a field after the agent; OVH logs the vhost in the
    // ident column, which is skipped.
    for name in ["ncsa_extended.log", "icecast2.log", "ovh.log"] {
        let json = sample(name);
        assert_eq!(detected(&json), "combined", "{name}");
        assert_eq!(
            (total(&json, "hits"), total(&json, "malformed")),
            (1, 0),
            "{name}"
        );
        assert_eq!(
            rows(&json, "status_codes"),
            vec![row("301", 1, 1)],
            "{name}"
        );
    }
    let json = sample("common.log");
    assert_eq!(detected(&json), "common");
    assert_eq!(total(&json, "hits"), 1);
}

#[test]
fn traefik_common_log_format() {
    // As in Traefik's access-log documentation: CLF plus request count, router, server URL and
    // duration.
    let json = from_stdin(
        "192.168.1.1 - - [10/Oct/2024:13:55:36 +0000] \"GET /whoami HTTP/1.1\" 200 1320 \"-\" \"curl/8.5.0\" 1 \"whoami@docker\" \"http://172.18.0.3:80\" 2ms\n\
         192.168.1.2 - - [10/Oct/2024:13:55:37 +0000] \"GET /about HTTP/1.1\" 200 80 \"https://example.org/\" \"Mozilla/5.0\" 2 \"whoami@docker\" \"http://172.18.0.3:80\" 11ms\n",
    );
    assert_eq!(detected(&json), "traefik");
    assert_eq!(
        (
            total(&json, "hits"),
            total(&json, "bytes"),
            total(&json, "page_views")
        ),
        (2, 1400, 1)
    );
}

#[test]
fn nginx_main_with_forwarded_for() {
    let json = from_stdin(
        "10.0.0.2 - - [10/Oct/2024:13:55:36 +0200] \"GET / HTTP/1.1\" 200 612 \"-\" \"Mozilla/5.0\" \"203.0.113.7\"\n",
    );
    assert_eq!(detected(&json), "nginx");
    assert_eq!(json["period"]["first"], "2024-10-10T11:55:36Z");
}

#[test]
fn squid_native() {
    // From Squid's documentation of the native log format: aligned columns, epoch times.
    let json = from_stdin(
        "1286536308.779    180 192.168.0.224 TCP_MISS/200 411 GET http://liveupdate.symantecliveupdate.com/minitri.flg - DIRECT/125.23.216.203 text/plain\n\
         1286536309.586    921 192.168.0.68 TCP_MISS/200 507 CONNECT login.yahoo.com:443 - DIRECT/209.73.177.115 -\n",
    );
    assert_eq!(detected(&json), "squid");
    assert_eq!((total(&json, "hits"), total(&json, "bytes")), (2, 918));
    assert_eq!(rows(&json, "pages"), vec![row("/minitri.flg", 1, 1)]);
    assert_eq!(json["period"]["first"], "2010-10-08T11:11:48Z");
}

#[test]
fn w3c_iis_netscaler_and_incapsula() {
    let json = sample("iis.log");
    assert_eq!(detected(&json), "w3c");
    // sc-status 200, sc-bytes 27028 (sc-substatus 654 and sc-win32-status 456 come before it).
    assert_eq!((total(&json, "hits"), total(&json, "bytes")), (1, 27028));
    assert_eq!(rows(&json, "pages"), vec![row("/foo/bar", 1, 1)]);
    assert_eq!(json["period"]["first"], "2012-04-01T00:00:13Z");

    let json = sample("netscaler.log");
    assert_eq!(detected(&json), "w3c");
    assert_eq!((total(&json, "hits"), total(&json, "bytes")), (1, 355));
    assert_eq!(rows(&json, "status_codes"), vec![row("302", 1, 1)]);

    // IIS Advanced Logging: blank lines between directives, quoted values, date-local/time-local;
    // line 9 has no client address ("-").
    let json = sample("iis_custom.log");
    assert_eq!((total(&json, "hits"), total(&json, "malformed")), (2, 1));
    assert_eq!(json["malformed_lines"][0]["line"], 9);
    assert_eq!(json["malformed_by_reason"]["bad_client"], 1);

    // Incapsula quotes every value, date and time included.
    let json = sample("incapsula_w3c.log");
    assert_eq!(total(&json, "hits"), 1);
    assert_eq!(json["period"]["first"], "2017-06-28T07:26:35Z");
}

#[test]
fn cloudfront_web_is_tab_separated_w3c() {
    let json = sample("amazon_cloudfront_web.log");
    assert_eq!(detected(&json), "cloudfront");
    assert_eq!((total(&json, "hits"), total(&json, "bytes")), (1, 182));
    assert_eq!(rows(&json, "pages"), vec![row("/view/my/file.html", 1, 1)]);
    assert_eq!(json["period"]["first"], "2014-05-23T01:13:11Z");
}

#[test]
fn w3c_layout_may_change_mid_file_even_across_chunks() {
    use logveil::input::Input;
    use logveil::pipeline::{Analyzer, Plan};
    let log = "#Version: 1.0\n\
               #Fields: date time c-ip cs-method cs-uri-stem sc-status sc-bytes\n\
               2024-10-10 10:00:00 203.0.113.1 GET /one 200 100\n\
               2024-10-10 10:00:01 203.0.113.2 GET /two 200 200\n\
               #Fields: date time cs-method cs-uri-stem c-ip sc-bytes sc-status\n\
               2024-10-10 11:00:00 GET /three 203.0.113.3 300 404\n\
               2024-10-10 11:00:01 GET /four 203.0.113.4 400 200\n";
    for chunk_size in [1, 17, 64, 1 << 20] {
        let plan = Plan {
            threads: 2,
            chunk_size,
            ..Plan::default()
        };
        let analysis = Analyzer::new(plan)
            .run(&[Input::Memory {
                name: "w3c".into(),
                data: log.as_bytes().to_vec(),
            }])
            .unwrap();
        let stats = &analysis.stats;
        assert_eq!(
            (stats.hits, stats.bytes, stats.malformed_total()),
            (4, 1000, 0),
            "chunk size {chunk_size}"
        );
        assert_eq!(
            stats.status_codes.get(b"404").map(|r| r.hits),
            Some(1),
            "chunk size {chunk_size}"
        );
        assert_eq!(
            analysis.inputs[0].format.as_ref().map(|f| f.name()),
            Some("w3c")
        );
    }
}

#[test]
fn w3c_without_status_or_with_split_date_is_refused_clearly() {
    let out = run(
        &[
            "report",
            "--format",
            "json",
            path_str(&corpus("formats/splitted_date_and_time.log")),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("date and time columns apart are not supported")
    );
    let out = run(
        &[
            "report",
            "--format",
            "json",
            path_str(&corpus("formats/amazon_cloudfront_rtmp.log")),
        ],
        b"",
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no status field"));
}

#[test]
fn caddy_json_lines() {
    let json = sample("caddy_json.log");
    assert_eq!(detected(&json), "caddy");
    assert_eq!(total(&json, "hits"), 3);
    // size 3609 + 34534 + 217912; the CSS and JS are assets, /beta/ is the one page view.
    assert_eq!(total(&json, "bytes"), 3609 + 34534 + 217912);
    assert_eq!(rows(&json, "pages"), vec![row("/beta/", 1, 1)]);
    assert_eq!(json["period"]["first"], "2023-12-23T23:17:54Z");
    assert!(rows(&json, "referrer_domains").contains(&row("example.com", 2, 1)));
}

#[test]
fn lines_are_bytes_not_utf8() {
    // A Big5-encoded path: not UTF-8. The line still counts (a 301, so no page view) ...
    let json = sample("common_encoding_big5.log");
    assert_eq!((total(&json, "hits"), total(&json, "malformed")), (1, 0));
    // ... and as a 200 its page key is written with replacement characters where the bytes are
    // not UTF-8.
    let mut as_200 = std::fs::read(corpus("formats/common_encoding_big5.log")).unwrap();
    let at = as_200
        .windows(6)
        .position(|w| w == b"\" 301 ")
        .expect("the sample is a 301");
    as_200[at + 2..at + 5].copy_from_slice(b"200");
    let json = report_json_stdin(&["--min-visitors", "0", "-"], &as_200);
    let pages = rows(&json, "pages");
    assert_eq!(pages.len(), 1);
    assert!(
        pages[0].0.starts_with('/') && pages[0].0.contains('\u{FFFD}'),
        "{pages:?}"
    );
}
