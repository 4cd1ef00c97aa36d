//! Criterion benches per stage, on the real corpus and on generated lines.
//!
//! Each bench checks its own answer (line and hit counts) before timing, and reports bytes per
//! second. `baseline/split_lines` is the ceiling: memchr finding line ends, doing nothing else.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use logveil::format::{self, LogFormat, preset};
use logveil::input::Input;
use logveil::pipeline::{Analyzer, Plan};
use logveil::privacy::visitor::{VisitorWindow, WindowSecrets};
use logveil::privacy::{Anonymizer, PrivacyPolicy};
use logveil::stats::Stats;
use std::hint::black_box;
use std::path::PathBuf;

fn corpus() -> Vec<u8> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/hackers-access.log");
    std::fs::read(path).expect("the shared corpus is beside the repository")
}

/// The corpus repeated to about 8 MB, so one iteration is long enough to time well.
fn corpus_8mb() -> Vec<u8> {
    let one = corpus();
    let mut data = Vec::with_capacity(8 << 20);
    while data.len() < 8 << 20 {
        data.extend_from_slice(&one);
    }
    data
}

const CORPUS_LINES: usize = 3456;

fn stages(c: &mut Criterion) {
    let data = corpus_8mb();
    let lines = format::lines(&data).count();
    assert_eq!(lines % CORPUS_LINES, 0);

    let mut group = c.benchmark_group("stage");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.sample_size(20);

    group.bench_function("baseline/split_lines", |b| {
        b.iter(|| {
            let n = memchr::memchr_iter(b'\n', black_box(&data)).count();
            assert_eq!(n, lines);
        })
    });

    // The hand-tuned combined parser against the same format compiled from its format string.
    let hand = preset::by_name("combined").unwrap();
    let compiled = LogFormat::compiled("combined-compiled", hand.format_string()).unwrap();
    for (name, parser) in [
        ("parse/combined_hand", &hand),
        ("parse/combined_compiled", &compiled),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let ok = format::lines(black_box(&data))
                    .filter(|l| parser.parse(l).is_ok())
                    .count();
                assert_eq!(ok, lines);
            })
        });
    }

    let policy = PrivacyPolicy::default();
    let secrets = WindowSecrets::new(VisitorWindow::Day);
    group.bench_function("anonymise", |b| {
        let mut anon = Anonymizer::new(&policy, &secrets);
        b.iter(|| {
            let mut page_views = 0;
            for line in format::lines(&data) {
                let raw = hand.parse(line).unwrap();
                let t = anon.time_of(&raw).unwrap();
                page_views += usize::from(anon.anonymize(&raw, t).unwrap().is_page_view);
            }
            assert!(page_views > 0);
        })
    });

    group.bench_function("aggregate", |b| {
        let mut anon = Anonymizer::new(&policy, &secrets);
        b.iter(|| {
            let mut stats = Stats::new(1800);
            for line in format::lines(&data) {
                let raw = hand.parse(line).unwrap();
                let t = anon.time_of(&raw).unwrap();
                let event = anon.anonymize(&raw, t).unwrap();
                stats.add(&event, !event.is_bot);
            }
            assert_eq!(stats.hits as usize, lines);
            stats
        })
    });
    group.finish();

    let mut group = c.benchmark_group("end_to_end");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.sample_size(10);
    for threads in [1, 2] {
        group.bench_function(format!("threads_{threads}"), |b| {
            let analyzer = Analyzer::new(Plan {
                threads,
                ..Plan::default()
            });
            let input = Input::Memory {
                name: "bench".into(),
                data: data.clone(),
            };
            b.iter(|| {
                let analysis = analyzer.run(std::slice::from_ref(&input)).unwrap();
                assert_eq!(analysis.stats.hits as usize, lines);
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("merge");
    let parts: Vec<Stats> = (0..8)
        .map(|i| {
            let analyzer = Analyzer::new(Plan {
                threads: 1,
                ..Plan::default()
            });
            let slice = corpus();
            let input = Input::Memory {
                name: format!("part{i}"),
                data: slice,
            };
            analyzer.run(&[input]).unwrap().stats
        })
        .collect();
    group.bench_function("eight_corpus_stats", |b| {
        b.iter(|| {
            let mut total = Stats::new(1800);
            for part in &parts {
                total.merge(part);
            }
            assert_eq!(total.hits as usize, 8 * CORPUS_LINES);
            total
        })
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
