//! The command line as a user meets it: exit codes, messages, compressed and broken inputs.

mod common;
use common::*;
use std::io::Write;

fn sample_lines() -> Vec<u8> {
    std::fs::read(repo().join("sample-logs/access.log")).unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[test]
fn zstd_and_gzip_on_stdin_read_like_the_plain_file() {
    let plain = report_json(&["sample-logs/access.log"]);
    let zstd = zstd::encode_all(&sample_lines()[..], 3).unwrap();
    let from_zstd = report_json_stdin(&["-"], &zstd);
    let from_gzip = report_json_stdin(&[], &gzip(&sample_lines()));
    for got in [&from_zstd, &from_gzip] {
        assert_eq!(got["totals"], plain["totals"]);
        assert_eq!(got["pages"], plain["pages"]);
    }
    assert_eq!(from_zstd["inputs"][0]["compression"], "zstd");
    assert_eq!(from_gzip["inputs"][0]["name"], "-");
}

#[test]
fn a_truncated_gzip_is_reported_and_the_report_says_partial() {
    // Many lines, so the cut falls well inside the stream.
    let mut big = Vec::new();
    for _ in 0..200 {
        big.extend_from_slice(&sample_lines());
    }
    let gz = gzip(&big);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.log.gz");
    std::fs::write(&path, &gz[..gz.len() / 2]).unwrap();
    let out = run(&["report", "--format", "json", path_str(&path)], b"");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cut.log.gz: truncated or corrupt gzip stream after"),
        "{stderr}"
    );
    assert!(stderr.contains("report is partial"), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(&json);
    assert_eq!(json["complete"], false);
    let hits = total(&json, "hits");
    assert!(hits > 0 && hits < 200 * 22, "{hits}");
    assert!(
        json["inputs"][0]["error"]
            .as_str()
            .unwrap()
            .contains("bytes")
    );
}

#[test]
fn a_missing_file_fails_but_the_others_are_counted() {
    let out = run(
        &[
            "report",
            "--format",
            "json",
            "sample-logs/access.log",
            "no/such/file.log",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/file.log: cannot open"));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(total(&json, "hits"), 22);
    assert_eq!(json["complete"], false);
}

#[test]
fn unknown_formats_and_bad_usage_have_their_exit_codes() {
    let out = run(
        &["report", "--format", "json", "-"],
        b"{\"json\": true}\n{\"json\": false}\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no known log format matches the first lines")
    );
    let out = run(&["report", "--ipv4-prefix", "40"], b"");
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["report", "--no-such-flag"], b"");
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["report", "no-match-*.log"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no file matches"));
}

#[test]
fn max_invalid_tolerates_a_share_of_malformed_lines() {
    // The sample has 1 malformed line of 23.
    let ok = run(
        &[
            "report",
            "--format",
            "json",
            "--max-invalid",
            "0.05",
            "sample-logs/access.log",
        ],
        b"",
    );
    assert_eq!(ok.status.code(), Some(0));
    let fail = run(
        &[
            "report",
            "--format",
            "json",
            "--max-invalid",
            "0.04",
            "sample-logs/access.log",
        ],
        b"",
    );
    assert_eq!(fail.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&fail.stderr);
    assert!(stderr.contains("1 of 23 lines are malformed"), "{stderr}");
    assert!(
        stderr.contains("sample-logs/access.log:21: bad_timestamp"),
        "{stderr}"
    );
    assert!(fail.stdout.is_empty());
}

#[test]
fn log_format_is_reported_and_can_be_forced() {
    let out = run(
        &["report", "--format", "json", "sample-logs/access.log"],
        b"",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .contains("sample-logs/access.log: log format combined (22 of 23 sample lines match)"),
        "{stderr}"
    );
    // Forcing common on combined lines: all 22 that are combined have trailing data.
    let out = run(
        &[
            "report",
            "--format",
            "json",
            "--log-format",
            "common",
            "sample-logs/access.log",
        ],
        b"",
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(total(&json, "hits"), 0);
    assert_eq!(json["malformed_by_reason"]["trailing_data"], 22);
    assert_eq!(json["malformed_by_reason"]["bad_timestamp"], 1);
}

#[test]
fn vcombined_and_common_are_read() {
    let vhost: Vec<u8> = sample_lines()
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .flat_map(|l| [&b"www.example.org:443 "[..], l, b"\n"].concat())
        .collect();
    let json = report_json_stdin(&[], &vhost);
    assert_eq!(json["inputs"][0]["format"], "vcombined");
    assert_eq!(total(&json, "hits"), 22);
    let common_path = corpus("formats/common.log");
    let json = report_json(&[path_str(&common_path)]);
    assert_eq!(json["inputs"][0]["format"], "common");
    assert_eq!(total(&json, "malformed"), 0);
    assert!(total(&json, "hits") >= 1);
}

#[test]
fn output_file_is_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("report.json");
    std::fs::write(&target, "old content").unwrap();
    let out = run(
        &["report", "-o", path_str(&target), "sample-logs/access.log"],
        b"",
    );
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
    assert_eq!(total(&json, "hits"), 22);
    // Only the report is left in the folder: the temporary file was renamed.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    let text = dir.path().join("report.txt");
    run(
        &["report", "-o", path_str(&text), "sample-logs/access.log"],
        b"",
    );
    assert!(
        std::fs::read_to_string(&text)
            .unwrap()
            .starts_with("logveil report: ")
    );
}

#[test]
fn formats_lists_every_format_with_its_string() {
    let out = run(&["formats"], b"");
    let text = String::from_utf8(out.stdout).unwrap();
    for name in ["combined", "common", "vcombined"] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(name) && l.contains("%h")),
            "{name}: {text}"
        );
    }
}

#[test]
fn closing_stdout_early_is_not_an_error() {
    let mut child = logveil()
        .args([
            "report",
            "--format",
            "text",
            "--min-visitors",
            "0",
            "--top",
            "100000",
        ])
        .arg(corpus("hackers-access.log"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn client_from_xff_counts_the_clients_behind_a_proxy() {
    // Every request arrives from the proxy 10.0.0.1; X-Forwarded-For names six clients, one of
    // them twice, and one line has a hop the proxy was not given (a spoofing attempt).
    let mut log = String::new();
    for (i, xff) in [
        "203.0.113.1",
        "203.0.113.2",
        "198.51.100.3",
        "2001:db8::4",
        "192.0.2.5",
        "192.0.2.6",
        "203.0.113.1",
    ]
    .iter()
    .enumerate()
    {
        log.push_str(&format!(
            "10.0.0.1 - - [10/Oct/2024:13:{i:02}:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"Firefox\" \"{xff}, 10.0.0.2\"\n"
        ));
    }
    let remote = report_json_stdin(&["--log-format", "nginx", "-"], log.as_bytes());
    assert_eq!(total(&remote, "visitors"), 1);
    let xff = report_json_stdin(
        &["--log-format", "nginx", "--client-from", "xff", "-"],
        log.as_bytes(),
    );
    assert_eq!(total(&xff, "visitors"), 6);
    assert_eq!(xff["settings"]["client_from"], "xff");
    // Trusting only 10.0.0.1 makes 10.0.0.2 (the nearest hop) the client of every line.
    let narrow = report_json_stdin(
        &[
            "--log-format",
            "nginx",
            "--client-from",
            "xff",
            "--trusted-proxy",
            "10.0.0.1/32",
            "-",
        ],
        log.as_bytes(),
    );
    assert_eq!(total(&narrow, "visitors"), 1);
}

#[test]
fn custom_format_strings_are_compiled() {
    let log = "2024-10-10T13:55:36+02:00 203.0.113.9 \"GET /a?utm_source=x&t=secret HTTP/1.1\" 200 512 \"Firefox\"\n\
               2024-10-10T13:56:36+02:00 203.0.113.10 \"GET /a HTTP/1.1\" 404 0 \"Firefox\"\n";
    let json = report_json_stdin(
        &[
            "--min-visitors",
            "1",
            "--log-format",
            r#"$time_iso8601 $remote_addr "$request" $status $body_bytes_sent "$http_user_agent""#,
            "-",
        ],
        log.as_bytes(),
    );
    assert_eq!(total(&json, "hits"), 2);
    assert_eq!(json["period"]["first"], "2024-10-10T11:55:36Z");
    assert_eq!(rows(&json, "pages"), vec![row("/a?utm_source=x", 1, 1)]);
    assert_eq!(json["inputs"][0]["format"], "custom");
    let bad = run(&["report", "--log-format", "%h %t %Q", "-"], b"");
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("column 7") && stderr.contains("%Q"),
        "{stderr}"
    );
}
