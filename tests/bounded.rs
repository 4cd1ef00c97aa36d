//! Adversarial cardinality: a scan with more distinct paths than a table keeps.

mod common;
use common::*;
use logveil::stats::counter::MAX_ROWS;

/// `i` in base 26 with letters, so that the page scrubber (which replaces digit runs and hex
/// tokens) keeps every path distinct.
fn letters(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'a' + (i % 26) as u8);
        i /= 26;
        if i == 0 {
            break;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn tables_stay_bounded_keep_heavy_hitters_and_say_they_are_approximate() {
    let distinct = MAX_ROWS + MAX_ROWS / 2;
    let mut log = String::with_capacity(distinct * 120);
    let mut heavy = 0u64;
    for i in 0..distinct {
        // Every fourth line is one of three real pages; the rest are unique scanner paths.
        let path = if i % 4 == 0 {
            heavy += 1;
            format!("/page-{}", i / 4 % 3)
        } else {
            format!("/wp-{}/x.php", letters(i))
        };
        let (minute, second) = (i / 60 % 60, i % 60);
        log.push_str(&format!(
            "81.2.{}.{} - - [10/Oct/2024:13:{minute:02}:{second:02} +0000] \"GET {path} HTTP/1.1\" 200 10 \"-\" \"Firefox\"\n",
            i / 250 % 250,
            i % 250
        ));
    }
    let json = report_json_stdin(&["--min-visitors", "0", "-"], log.as_bytes());
    let page_views = total(&json, "page_views");
    let pages = rows(&json, "pages");
    assert!(pages.len() <= MAX_ROWS + 1, "{}", pages.len());
    assert_eq!(pages.iter().map(|r| r.1).sum::<u64>(), page_views);
    let approx = &json["approximate_tables"]["pages"];
    assert!(approx["dropped_rows"].as_u64().unwrap() > 0, "{approx}");
    let error = approx["max_hits_error"].as_u64().unwrap();
    for i in 0..3 {
        let key = format!("/page-{i}");
        let row = pages
            .iter()
            .find(|r| r.0 == key)
            .expect("heavy hitters stay");
        let truth = heavy / 3;
        assert!(
            row.1 <= truth && truth - row.1 <= error,
            "{key}: {} vs {truth}",
            row.1
        );
    }
    assert!(pages.last().unwrap().0 == "(other)");
    // Tables that never reached the limit are exact and not listed.
    assert!(json["approximate_tables"].get("status_codes").is_none());
    let text = run(&["report", "--format", "text", "-"], log.as_bytes());
    assert!(String::from_utf8_lossy(&text.stdout).contains("APPROXIMATE pages"));
}
