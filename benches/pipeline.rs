//! Criterion benches per stage, on the real corpus and on generated lines.
//!
//! Each bench checks its own answer (line and hit counts) before timing, and reports bytes per
//! second. `baseline/split_lines` is the ceiling: memchr finding line ends, doing nothing else.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use logveil::enrich::agent::AgentClassifier;
use logveil::enrich::geo::{CountryLookup, GeoDb};
use logveil::format::{self, LogFormat, preset};
use logveil::input::Input;
use logveil::pipeline::{Analyzer, Plan};
use logveil::privacy::ip::{self, IpPrefix};
use logveil::privacy::visitor::{VisitorWindow, WindowSecrets};
use logveil::privacy::{Anonymizer, PrivacyPolicy};
use logveil::stats::Stats;
use std::hint::black_box;
use std::path::PathBuf;

#[path = "support/generator.rs"]
mod generator;

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

/// About 8 MB of the generator's default log.
fn generated_8mb() -> Vec<u8> {
    let mut data = Vec::with_capacity(8 << 20);
    let options = generator::Options {
        size: Some(8 << 20),
        ..generator::Options::default()
    };
    generator::write_log(&options, &mut data).expect("writing to memory cannot fail");
    data
}

fn stages(c: &mut Criterion) {
    stages_on(c, "corpus", corpus_8mb());
    stages_on(c, "generated", generated_8mb());
    merge(c);
}

/// Every stage on `data`, in groups named after `input`.
fn stages_on(c: &mut Criterion, input: &str, data: Vec<u8>) {
    let lines = format::lines(&data).count();

    let mut group = c.benchmark_group(format!("stage/{input}"));
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
            let mut stats = Stats::new(1800, VisitorWindow::Day);
            for line in format::lines(&data) {
                let raw = hand.parse(line).unwrap();
                let t = anon.time_of(&raw).unwrap();
                let event = anon.anonymize(&raw, t).unwrap();
                stats.add(&event, !event.agent.is_bot());
            }
            assert_eq!(stats.hits as usize, lines);
            stats
        })
    });
    group.finish();

    let mut group = c.benchmark_group(format!("end_to_end/{input}"));
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
}

/// Merging the stats of eight workers, each of which counted the corpus.
fn merge(c: &mut Criterion) {
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
            let mut total = Stats::new(1800, VisitorWindow::Day);
            for part in &parts {
                total.merge(part);
            }
            assert_eq!(total.hits as usize, 8 * CORPUS_LINES);
            total
        })
    });
    group.finish();
}

/// Agent classification and country look-up, with and without their per-worker caches.
///
/// The cached benches run every corpus line through a warm cache, as a worker does; the uncached
/// ones classify or look up each distinct agent or prefix once, which is what a cache miss costs.
/// Hit rates over one pass of the corpus by a fresh worker are printed first.
fn enrichment(c: &mut Criterion) {
    let data = corpus();
    let combined = preset::by_name("combined").unwrap();
    let mut agents: Vec<Vec<u8>> = Vec::new();
    let mut prefixes: Vec<IpPrefix> = Vec::new();
    for line in format::lines(&data) {
        let raw = combined.parse(line).unwrap();
        agents.push(raw.user_agent.to_vec());
        let addr = ip::canonical(ip::parse_ip(raw.client).unwrap());
        prefixes.push(ip::truncate(addr, 24, 48));
    }
    let distinct = |items: &[Vec<u8>]| -> Vec<Vec<u8>> {
        let set: std::collections::BTreeSet<&Vec<u8>> = items.iter().collect();
        set.into_iter().cloned().collect()
    };
    let distinct_agents = distinct(&agents);
    let mut distinct_prefixes = prefixes.clone();
    distinct_prefixes.sort_by_key(|p| (p.addr, p.len));
    distinct_prefixes.dedup();

    let mut warm_agents = AgentClassifier::default();
    let bots = agents
        .iter()
        .filter(|a| warm_agents.classify(a).is_bot())
        .count();
    let mut warm_countries = CountryLookup::new(Some(GeoDb::builtin()));
    let placed = prefixes
        .iter()
        .filter(|p| warm_countries.country(**p).is_some())
        .count();
    for (what, (lookups, misses)) in [
        ("agent", warm_agents.cache_counts()),
        ("country", warm_countries.cache_counts()),
    ] {
        eprintln!(
            "{what} cache over the corpus: {lookups} look-ups, {misses} misses, hit rate {:.1}%",
            100.0 * (lookups - misses) as f64 / lookups as f64
        );
    }
    eprintln!("{bots} bot lines, {placed} lines placed in a country");

    let mut group = c.benchmark_group("enrich");
    group.sample_size(20);
    group.throughput(Throughput::Elements(agents.len() as u64));
    group.bench_function("classify_agent/cached_per_line", |b| {
        b.iter(|| {
            let n = agents
                .iter()
                .filter(|a| warm_agents.classify(a).is_bot())
                .count();
            assert_eq!(n, bots);
        })
    });
    group.bench_function("country/cached_per_line", |b| {
        b.iter(|| {
            let n = prefixes
                .iter()
                .filter(|p| warm_countries.country(**p).is_some())
                .count();
            assert_eq!(n, placed);
        })
    });
    group.throughput(Throughput::Elements(distinct_agents.len() as u64));
    group.bench_function("classify_agent/uncached_per_distinct_agent", |b| {
        b.iter(|| {
            let mut cold = AgentClassifier::default();
            for agent in &distinct_agents {
                black_box(cold.classify(agent));
            }
            assert_eq!(cold.cache_counts().1 as usize, distinct_agents.len());
        })
    });
    group.throughput(Throughput::Elements(distinct_prefixes.len() as u64));
    group.bench_function("country/uncached_per_distinct_prefix", |b| {
        let db = GeoDb::builtin();
        b.iter(|| {
            let n = distinct_prefixes
                .iter()
                .filter(|p| db.country(p.addr).is_some())
                .count();
            assert!(n > 0);
        })
    });
    group.finish();
}

/// Row sketches: inserting the visitors of one busy row (5,000 keys, past the exact limit) into
/// `hyperloglogplus` (sparse first, as HLL++ is) and into logveil's dense sketch.
fn sketches(c: &mut Criterion) {
    use hyperloglogplus::{HyperLogLog, HyperLogLogPlus};
    use logveil::stats::hll::DenseHll;
    // Uniform, as visitor keys (keyed SipHash outputs) are.
    let hasher = siphasher::sip::SipHasher24::new_with_keys(0x5EED, 0xC0FFEE);
    let keys: Vec<u64> = (0..5_000u64)
        .map(|i| hasher.hash(&i.to_le_bytes()))
        .collect();
    let mut group = c.benchmark_group("row_sketch");
    group.throughput(Throughput::Elements(keys.len() as u64));
    group.bench_function("hyperloglogplus_p14", |b| {
        b.iter(|| {
            let mut hll: HyperLogLogPlus<u64, std::hash::RandomState> =
                HyperLogLogPlus::new(14, std::hash::RandomState::new()).unwrap();
            keys.iter().for_each(|k| hll.insert(k));
            let n = hll.count();
            assert!((n - 5_000.0).abs() < 250.0, "{n}");
        })
    });
    group.bench_function("dense_p14", |b| {
        b.iter(|| {
            let mut hll = DenseHll::new(14);
            keys.iter().for_each(|&k| hll.insert(k));
            let n = hll.count() as f64;
            assert!((n - 5_000.0).abs() < 250.0, "{n}");
        })
    });
    group.finish();
}

criterion_group!(benches, stages, enrichment, sketches);
criterion_main!(benches);
