//! The counts do not depend on threads, chunk sizes or how inputs are split: one thread, many
//! threads and tiny chunks (lines straddling chunk edges) give identical reports, and
//! `merge(stats(a), stats(b)) == stats(a ++ b)` for every exact field.

mod common;
use common::*;
use logveil::input::Input;
use logveil::pipeline::{Analysis, Analyzer, Plan};
use logveil::report::Report;
use proptest::prelude::*;
use serde_json::Value;

/// A report as JSON without the parts that describe inputs rather than counts.
fn counts_of(analysis: Analysis, plan: &Plan, k: u64) -> Value {
    let mut json = serde_json::to_value(Report::build(analysis, plan, k)).unwrap();
    let obj = json.as_object_mut().unwrap();
    obj.remove("inputs");
    obj.remove("complete");
    obj.remove("malformed_lines");
    json
}

fn memory(name: &str, data: &[u8]) -> Input {
    Input::Memory {
        name: name.into(),
        data: data.to_vec(),
    }
}

fn corpus_bytes() -> Vec<u8> {
    let mut data = std::fs::read(corpus("hackers-access.log")).unwrap();
    data.extend(std::fs::read(repo().join("sample-logs/access.log")).unwrap());
    data
}

#[test]
fn threads_and_chunk_sizes_do_not_change_the_report() {
    let data = corpus_bytes();
    let baseline_plan = Plan {
        threads: 1,
        ..Plan::default()
    };
    let baseline = {
        let a = Analyzer::new(baseline_plan.clone());
        counts_of(a.run(&[memory("x", &data)]).unwrap(), &baseline_plan, 5)
    };
    assert_eq!(baseline["totals"]["hits"], 3456 + 22);
    for (threads, chunk_size) in [(2, 4096), (2, 97), (4, 1), (1, 333), (2, 1 << 20)] {
        let plan = Plan {
            threads,
            chunk_size,
            ..Plan::default()
        };
        let analyzer = Analyzer::new(plan.clone());
        let got = counts_of(analyzer.run(&[memory("x", &data)]).unwrap(), &plan, 5);
        // Each run has fresh visitor secrets: counts past the exact limit are estimates that
        // differ a little from run to run; everything else must be identical.
        let mut diffs = Vec::new();
        differences("", &got, &baseline, &mut diffs);
        assert!(
            diffs.is_empty(),
            "threads {threads}, chunk size {chunk_size}:\n{}",
            diffs.join("\n")
        );
    }
}

#[test]
fn malformed_line_numbers_survive_tiny_chunks() {
    let data = std::fs::read(corpus("nasa-aug95-head-broken.log")).unwrap();
    let lines = |chunk_size| {
        let plan = Plan {
            threads: 2,
            chunk_size,
            ..Plan::default()
        };
        let analysis = Analyzer::new(plan).run(&[memory("nasa", &data)]).unwrap();
        analysis
            .stats
            .malformed_examples
            .iter()
            .map(|m| (m.line, m.reason))
            .collect::<Vec<_>>()
    };
    let whole = lines(1 << 22);
    assert_eq!(whole.len(), 10);
    assert_eq!(whole[0].0, 38);
    assert_eq!(lines(61), whole);
}

/// Lines drawn from a small vocabulary, so rows and visitors repeat and collide.
fn line_strategy() -> impl Strategy<Value = String> {
    let client = prop::sample::select(vec![
        "203.0.113.5",
        "203.0.113.6",
        "2001:db8::1",
        "host-1.example.com",
        "198.51.100.9",
        "proxy.example.net",
    ]);
    let agent = prop::sample::select(vec!["Firefox/131.0", "Chrome/129.0", "Googlebot/2.1", "-"]);
    let target = prop::sample::select(vec![
        "/",
        "/a",
        "/b?utm_source=x",
        "/img/x.png",
        "/u/12345",
        "http://h.example/c",
    ]);
    let method = prop::sample::select(vec!["GET", "POST", "HEAD"]);
    let status = prop::sample::select(vec![200u16, 304, 404, 500]);
    let referrer = prop::sample::select(vec![
        "-",
        "https://www.google.com/",
        "https://t.co/x",
        "http://10.0.0.1/",
    ]);
    (client, agent, target, method, status, referrer, 0u32..3, 0u32..24, 0u32..60, 0u32..20)
        .prop_map(|(c, a, t, m, s, r, day, hour, minute, kind)| match kind {
            0 => format!("garbage line {hour}"),
            1 => String::new(),
            _ => format!(
                "{c} - - [{:02}/Oct/2024:{hour:02}:{minute:02}:00 +0000] \"{m} {t} HTTP/1.1\" {s} {minute} \"{r}\" \"{a}\"",
                10 + day
            ),
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn merge_of_parts_equals_the_whole(lines in prop::collection::vec(line_strategy(), 1..80), cut in 0usize..80) {
        let cut = cut.min(lines.len());
        let join = |ls: &[String]| ls.iter().map(|l| format!("{l}\n")).collect::<String>().into_bytes();
        let plan = Plan { threads: 1, format: "combined".parse().unwrap(), ..Plan::default() };
        // One analyzer, so both halves use the same visitor-window secrets.
        let analyzer = Analyzer::new(plan.clone());
        let whole = analyzer.run(&[memory("w", &join(&lines))]).unwrap();
        let mut a = analyzer.run(&[memory("a", &join(&lines[..cut]))]).unwrap();
        let b = analyzer.run(&[memory("b", &join(&lines[cut..]))]).unwrap();
        a.stats.merge(&b.stats);
        prop_assert_eq!(a.stats.hits, whole.stats.hits);
        prop_assert_eq!(a.stats.malformed, whole.stats.malformed);
        prop_assert_eq!(counts_of(a, &plan, 0), counts_of(whole, &plan, 0));
    }
}
