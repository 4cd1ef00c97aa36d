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
    // The estimate alone, as the report takes it once per row past the exact limit.
    let mut group = c.benchmark_group("row_sketch_estimate");
    let mut row = DenseHll::new(12);
    keys.iter().for_each(|&k| row.insert(k));
    group.throughput(Throughput::Elements(1 << 12));
    group.bench_function("dense_p12_registers", |b| {
        b.iter(|| {
            let n = std::hint::black_box(&row).count() as f64;
            assert!((n - 5_000.0).abs() < 250.0, "{n}");
        })
    });
    group.finish();
}

/// Uniform keys, as visitor keys (keyed SipHash outputs) are.
fn visitor_keys(n: u64) -> Vec<u64> {
    let hasher = siphasher::sip::SipHasher24::new_with_keys(0x5EED, 0xC0FFEE);
    (0..n).map(|i| hasher.hash(&i.to_le_bytes())).collect()
}

/// Rows' visitor sets and the per-visitor map of the visit store, hand-written so that the
/// place an insert reads is known before the insert, against the hashbrown set and map they
/// replaced.
///
/// Steady state, as in a long run: the structures are filled first (outside the timing) and
/// spread over tens of megabytes, then take a stream of inserts at places picked at random, each
/// after some other work, as a line's inserts come after its parsing and privacy step. "at
/// once" inserts right after the work; "loaded a step ahead" starts loading the next insert's
/// place before the work, as a worker does a line ahead.
fn visitor_sets(c: &mut Criterion) {
    use criterion::BatchSize;
    use logveil::privacy::visitor::VisitorKey;
    use logveil::stats::counter::VisitorSet;
    use logveil::stats::key_map::KeyMap;
    use rustc_hash::{FxHashMap, FxHashSet};
    const ROWS: usize = 20_000;
    const FILL: u64 = 100;
    const INSERTS: usize = 200_000;
    let keys = visitor_keys(ROWS as u64 * FILL + INSERTS as u64);
    let (fill, stream) = keys.split_at(ROWS * FILL as usize);
    let mut rng = fastrand::Rng::with_seed(7);
    let stream: Vec<(usize, u64)> = stream.iter().map(|&k| (rng.usize(..ROWS), k)).collect();
    // Other work between inserts: a keyed hash of 64 bytes, about what a visitor key costs.
    let hasher = siphasher::sip::SipHasher13::new_with_keys(1, 2);
    let work = |i: usize| hasher.hash(&[i as u8; 64]);
    let want: usize = ROWS * FILL as usize + INSERTS;

    let mut group = c.benchmark_group("visitor_sets");
    group.sample_size(10);
    group.throughput(Throughput::Elements(INSERTS as u64));

    let filled_sets: Vec<FxHashSet<u64>> = fill
        .chunks(FILL as usize)
        .map(|c| c.iter().copied().collect())
        .collect();
    group.bench_function("hashbrown_sets/at_once", |b| {
        b.iter_batched(
            || filled_sets.clone(),
            |mut rows| {
                let mut sink = 0;
                for (i, &(r, k)) in stream.iter().enumerate() {
                    sink ^= work(i);
                    rows[r].insert(k);
                }
                assert_eq!(rows.iter().map(|s| s.len()).sum::<usize>(), want);
                sink
            },
            BatchSize::LargeInput,
        )
    });
    let filled_rows: Vec<VisitorSet> = fill
        .chunks(FILL as usize)
        .map(|c| {
            let mut set = VisitorSet::default();
            c.iter().for_each(|&k| set.insert(VisitorKey(k)));
            set
        })
        .collect();
    let counted = |rows: &[VisitorSet]| rows.iter().map(|s| s.count() as usize).sum::<usize>();
    for ahead in [false, true] {
        let name = if ahead {
            "loaded_a_step_ahead"
        } else {
            "at_once"
        };
        group.bench_function(format!("visitor_sets/{name}"), |b| {
            b.iter_batched(
                || filled_rows.clone(),
                |mut rows| {
                    let mut sink = 0;
                    for (i, &(r, k)) in stream.iter().enumerate() {
                        if ahead && let Some(&(next, key)) = stream.get(i + 1) {
                            rows[next].prefetch(VisitorKey(key));
                        }
                        sink ^= work(i);
                        rows[r].insert(VisitorKey(k));
                    }
                    assert_eq!(counted(&rows), want);
                    sink
                },
                BatchSize::LargeInput,
            )
        });
    }

    // The visit store: 64 maps of per-visitor state (40 bytes, as a visitor's spans and
    // activity are), a quarter of the hits from visitors not seen yet, in batches of 256 to
    // one map at a time.
    type State = [u64; 5];
    const SHARDS: usize = 64;
    const KNOWN: usize = 1_000_000;
    let known = visitor_keys(KNOWN as u64);
    let fresh = visitor_keys(2 * KNOWN as u64 + INSERTS as u64);
    let hits: Vec<u64> = (0..INSERTS)
        .map(|i| match i % 4 {
            0 => fresh[2 * KNOWN + i],
            _ => known[rng.usize(..KNOWN)],
        })
        .collect();
    let shard_of = |k: u64| (k >> 58) as usize;
    let mut batches: Vec<Vec<u64>> = vec![Vec::new(); SHARDS];
    let mut ordered: Vec<(usize, Vec<u64>)> = Vec::new();
    for &k in &hits {
        let s = shard_of(k);
        batches[s].push(k);
        if batches[s].len() == 256 {
            ordered.push((s, std::mem::take(&mut batches[s])));
        }
    }
    let entries = {
        let mut all: FxHashSet<u64> = known.iter().copied().collect();
        all.extend(ordered.iter().flat_map(|(_, b)| b.iter().copied()));
        all.len()
    };
    let mut filled_maps: Vec<FxHashMap<u64, State>> = vec![FxHashMap::default(); SHARDS];
    let mut filled_key_maps: Vec<KeyMap<State>> = (0..SHARDS).map(|_| KeyMap::default()).collect();
    for &k in &known {
        filled_maps[shard_of(k)].insert(k, State::default());
        *filled_key_maps[shard_of(k)].get_or_default(k) = State::default();
    }
    group.throughput(Throughput::Elements(ordered.len() as u64 * 256));
    group.bench_function("hashbrown_map/batches", |b| {
        b.iter_batched(
            || filled_maps.clone(),
            |mut shards| {
                for (s, batch) in &ordered {
                    for &k in batch {
                        shards[*s].entry(k).or_default()[0] += 1;
                    }
                }
                assert_eq!(shards.iter().map(|m| m.len()).sum::<usize>(), entries);
                shards
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("key_map/batches_loaded_16_ahead", |b| {
        b.iter_batched(
            || filled_key_maps.clone(),
            |mut shards| {
                for (s, batch) in &ordered {
                    let shard = &mut shards[*s];
                    for (j, &k) in batch.iter().enumerate() {
                        if let Some(&ahead) = batch.get(j + 16) {
                            shard.prefetch(ahead);
                        }
                        shard.get_or_default(k)[0] += 1;
                    }
                }
                assert_eq!(shards.iter().map(|m| m.len()).sum::<usize>(), entries);
                shards
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// The hand-written field searches against what they replace: every quote and every space of
/// every line of the generated log, found one after another as the CLF parsers walk a line
/// (`format::find::byte` and `memchr::memchr`); every URL delimiter, as a referrer's authority
/// is read (`find::first_of` and a byte loop); and every dot or slash from the end, as a
/// path's extension is found (`find::last_of`, `memchr::memrchr2` and a byte loop). Each
/// checks its count against a plain count on every iteration.
fn field_search(c: &mut Criterion) {
    fn walk_forward(data: &[u8], find: impl Fn(&[u8]) -> Option<usize>) -> usize {
        let mut found = 0;
        for line in format::lines(data) {
            let mut from = 0;
            while let Some(at) = find(&line[from..]) {
                found += 1;
                from += at + 1;
            }
        }
        found
    }
    fn walk_backward(data: &[u8], find: impl Fn(&[u8]) -> Option<usize>) -> usize {
        let mut found = 0;
        for line in format::lines(data) {
            let mut end = line.len();
            while let Some(at) = find(&line[..end]) {
                found += 1;
                end = at;
            }
        }
        found
    }
    /// Bytes of the log's lines (newlines aside) for which `pick` holds.
    fn count_in_lines(data: &[u8], pick: impl Fn(&u8) -> bool) -> usize {
        format::lines(data)
            .map(|l| l.iter().filter(|b| pick(b)).count())
            .sum()
    }
    let data = generated_8mb();
    let mut group = c.benchmark_group("field_search");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.sample_size(20);
    let mut checked = |name: &str, want: usize, walk: &dyn Fn(&[u8]) -> usize| {
        group.bench_function(name, |b| {
            b.iter(|| assert_eq!(walk(black_box(&data)), want))
        });
    };
    for (name, needle) in [("quotes", b'"'), ("spaces", b' ')] {
        let want = bytecount::count(&data, needle);
        checked(&format!("{name}/find_byte"), want, &|d| {
            walk_forward(d, |h| format::find::byte(needle, h))
        });
        checked(&format!("{name}/memchr"), want, &|d| {
            walk_forward(d, |h| memchr::memchr(needle, h))
        });
    }
    const DELIMITERS: [u8; 5] = [b'/', b'?', b'#', b'@', b':'];
    let is_delimiter = |b: &u8| matches!(b, b'/' | b'?' | b'#' | b'@' | b':');
    let want = count_in_lines(&data, is_delimiter);
    checked("delimiters/first_of", want, &|d| {
        walk_forward(d, |h| format::find::first_of(DELIMITERS, h))
    });
    checked("delimiters/byte_loop", want, &|d| {
        walk_forward(d, |h| h.iter().position(is_delimiter))
    });
    let is_dot_or_slash = |b: &u8| matches!(b, b'.' | b'/');
    let want = count_in_lines(&data, is_dot_or_slash);
    checked("dots_and_slashes_backward/last_of", want, &|d| {
        walk_backward(d, |h| format::find::last_of([b'.', b'/'], h))
    });
    checked("dots_and_slashes_backward/memrchr2", want, &|d| {
        walk_backward(d, |h| memchr::memrchr2(b'.', b'/', h))
    });
    checked("dots_and_slashes_backward/byte_loop", want, &|d| {
        walk_backward(d, |h| h.iter().rposition(is_dot_or_slash))
    });
    group.finish();
}

criterion_group!(
    benches,
    stages,
    enrichment,
    sketches,
    visitor_sets,
    field_search
);
criterion_main!(benches);
