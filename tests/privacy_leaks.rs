//! No address, host name, query token, e-mail, user name or user agent from the input may appear
//! in any output: report formats, files written with -o, progress and error messages, with any
//! threshold, including malformed lines and --strict failures.

mod common;
use common::*;

/// Lines full of identifiers. Each canary below appears somewhere in them.
fn hostile_log() -> String {
    let agents = [
        "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0 CanaryAgent/7.7",
        "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/129.0 Safari/537.36 UniqueToolbar/3.1.4-Zq9",
        "curl/8.5.0 CanaryAgent/7.7",
        // uap-core's rules would read these names out of the agent text.
        "JaneDoesDiary/12 CFNetwork/1220.1 Darwin/20.3.0",
        "Mozilla/5.0 (compatible; janedoe-crawler/1.0; +http://example.org)",
        "AliceSmithBot/2.0",
    ];
    let clients = [
        "203.0.113.77",
        "198.51.100.201",
        "2001:db8:abcd:12::7",
        "2002:cb00:714d::1",
        "::ffff:192.0.2.213",
        "64:ff9b::c633:64c9",
        "2001:0:4136:e378:8000:63bf:34ff:8eb2",
        "c-73-12-34-56.hsd1.ca.comcast.net",
        "alice-home.duckdns.org",
        "bobs-laptop.internal.example.co.uk",
        "pool-71-162-99-201.nycmny.fios.verizon.net",
    ];
    let targets = [
        "/reset?token=9f8e7d6c5b4a39281706f5e4d3c2b1a0&email=jane.doe%40example.org",
        "/users/jane.doe@example.org/profile",
        "/account/550e8400-e29b-41d4-a716-446655440000",
        "/v/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqYW5lIn0.c2lnbmF0dXJlc2VjcmV0",
        "/s/QmFzZTY0U2VjcmV0VG9rZW4xMjM0NTY",
        "/orders/8675309/invoice",
        "/lookup/198.51.100.202",
        "/cart;jsessionid=ZXC1VBN2MQW3ERT4/checkout",
        "/?utm_source=jane.doe@example.org&utm_campaign=spring",
        "/search?q=alice+smith+diagnosis#frag-secret",
        "http://proxy-target.example.net/admin?apikey=sk_live_51Hsecretsecret",
    ];
    let referrers = [
        "https://mail.example.com/inbox/thread/8831?auth=QWERTY123456",
        "https://www.google.com/search?q=jane+doe+address",
        "http://192.0.2.99/internal/page",
        "https://alice-home.duckdns.org/private/photos",
        "-",
    ];
    let mut out = String::new();
    for i in 0..(clients.len() * targets.len()) {
        let client = clients[i % clients.len()];
        let target = targets[i % targets.len()];
        let referrer = referrers[i % referrers.len()];
        let agent = agents[i % agents.len()];
        let user = if i % 2 == 0 { "jane_user" } else { "-" };
        let minute = i % 60;
        out.push_str(&format!(
            "{client} ident_canary {user} [10/Oct/2024:13:{minute:02}:36 +0000] \"GET {target} HTTP/1.1\" 200 {i} \"{referrer}\" \"{agent}\"\n"
        ));
    }
    // Malformed lines carrying identifiers: their bytes must not reach error messages.
    out.push_str("203.0.113.78 - - [10/Oct/2024:13:00:00 +0000] \"GET /x?token=malformedSECRET HTTP/1.1\" 200 notanumber \"-\" \"CanaryAgent/7.7\"\n");
    out.push_str("c-73-12-34-57.hsd1.ca.comcast.net jane.doe@example.org\n");
    out
}

const CANARIES: &[&str] = &[
    "203.0.113.77",
    "203.0.113.78",
    "198.51.100.201",
    "198.51.100.202",
    "2001:db8:abcd:12::7",
    "2001:db8:abcd",
    "2002:cb00:714d",
    "cb00:714d",
    "192.0.2.213",
    "c633:64c9",
    "8000:63bf",
    "34ff:8eb2",
    "192.0.2.99",
    "73-12-34-56",
    "73-12-34-57",
    "alice-home",
    "bobs-laptop",
    "71-162-99-201",
    "9f8e7d6c5b4a39281706",
    "jane.doe",
    "jane%40",
    "550e8400-e29b",
    "eyJhbGciOiJIUzI1NiJ9",
    "QmFzZTY0U2VjcmV0",
    "8675309",
    "jsessionid",
    "ZXC1VBN2MQW3ERT4",
    "alice+smith",
    "diagnosis",
    "frag-secret",
    "proxy-target",
    "apikey",
    "sk_live",
    "CanaryAgent",
    "JaneDoesDiary",
    "janedoe",
    "AliceSmith",
    "UniqueToolbar",
    "Zq9",
    "mail.example.com",
    "inbox/thread",
    "QWERTY123456",
    "jane+doe",
    "private/photos",
    "jane_user",
    "ident_canary",
    "malformedSECRET",
    "notanumber",
];

fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for canary in CANARIES {
        assert!(!text.contains(canary), "{what} leaks {canary:?}:\n{text}");
    }
}

#[test]
fn no_identifier_reaches_any_output() {
    let log = hostile_log();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hostile.log");
    std::fs::write(&file, &log).unwrap();
    for format in ["json", "text"] {
        for k in ["0", "1", "5"] {
            // From a file and from stdin, to stdout and to a file.
            let out = run(
                &[
                    "report",
                    "--format",
                    format,
                    "--min-visitors",
                    k,
                    path_str(&file),
                ],
                b"",
            );
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_clean(&format!("{format} k={k} stdout"), &out.stdout);
            assert_clean(&format!("{format} k={k} stderr"), &out.stderr);
            if format == "json" {
                assert_valid(&serde_json::from_slice(&out.stdout).unwrap());
            }
            let target = dir.path().join(format!("out-{k}.{format}"));
            let out = run(
                &[
                    "report",
                    "--format",
                    format,
                    "--min-visitors",
                    k,
                    "-o",
                    path_str(&target),
                    "-",
                ],
                log.as_bytes(),
            );
            assert!(out.status.success());
            assert_clean(
                &format!("{format} k={k} -o file"),
                &std::fs::read(&target).unwrap(),
            );
            assert_clean(&format!("{format} k={k} -o stderr"), &out.stderr);
        }
    }
}

#[test]
fn scrubbed_rows_are_still_counted() {
    // The leak test would pass on an empty report: check the rows are there, as placeholders.
    let json = report_json_stdin(&["--min-visitors", "0", "-"], hostile_log().as_bytes());
    assert_eq!(total(&json, "hits"), 121);
    assert_eq!(total(&json, "malformed"), 2);
    // The two crawlers with made-up names are counted under a placeholder.
    let bots: Vec<String> = rows(&json, "bots").into_iter().map(|r| r.0).collect();
    assert!(bots.contains(&"(unnamed bot)".to_string()), "{bots:?}");
    let pages: Vec<String> = rows(&json, "pages").into_iter().map(|r| r.0).collect();
    for expected in [
        "/reset",
        "/users/:email/profile",
        "/account/:uuid",
        "/v/:token",
        "/s/:token",
        "/orders/:id/invoice",
        "/lookup/:ip",
        "/cart/checkout",
        "/?utm_source=:email&utm_campaign=spring",
        "/search",
        "/admin",
    ] {
        assert!(
            pages.contains(&expected.to_string()),
            "{expected} not in {pages:?}"
        );
    }
    let referrers: Vec<String> = rows(&json, "referrer_domains")
        .into_iter()
        .map(|r| r.0)
        .collect();
    for expected in [
        "example.com",
        "google.com",
        "(ip address)",
        "duckdns.org",
        "(direct)",
    ] {
        assert!(
            referrers.contains(&expected.to_string()),
            "{expected} not in {referrers:?}"
        );
    }
    let hosts: Vec<String> = rows(&json, "host_domains")
        .into_iter()
        .map(|r| r.0)
        .collect();
    for expected in [
        "comcast.net",
        "duckdns.org",
        "example.co.uk",
        "verizon.net",
        "(unresolved)",
    ] {
        assert!(
            hosts.contains(&expected.to_string()),
            "{expected} not in {hosts:?}"
        );
    }
}

#[test]
fn strict_failure_names_the_line_but_not_its_content() {
    let out = run(&["report", "--strict", "-"], hostile_log().as_bytes());
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("-:122: bad_bytes"), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_clean("--strict stderr", &out.stderr);
}

#[test]
fn forwarded_addresses_and_languages_do_not_leak() {
    let mut log = String::new();
    let hops = [
        "203.0.113.91",
        "2001:db8:feed:beef::91",
        "198.51.100.92:5555",
    ];
    for (i, hop) in hops.iter().enumerate() {
        log.push_str(&format!(
            "10.0.0.1 - - [10/Oct/2024:13:0{i}:00 +0000] \"GET /p HTTP/1.1\" 200 5 \"-\" \"CanaryAgent/7.7\" \"{hop}, 10.0.0.2\" \"de-CH-x-private,de;q=0.9\"\n"
        ));
    }
    let format = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for" "$http_accept_language""#;
    for output in ["json", "text"] {
        let out = run(
            &[
                "report",
                "--format",
                output,
                "--min-visitors",
                "0",
                "--client-from",
                "xff",
                "--log-format",
                format,
                "-",
            ],
            log.as_bytes(),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let all = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
        let text = String::from_utf8_lossy(&all);
        for canary in [
            "203.0.113.91",
            "feed:beef",
            "198.51.100.92",
            "5555",
            "CanaryAgent",
            "x-private",
            "de-CH",
        ] {
            assert!(!text.contains(canary), "{output} leaks {canary}:\n{text}");
        }
        if output == "json" {
            let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(total(&json, "visitors"), 3);
        }
    }
}
