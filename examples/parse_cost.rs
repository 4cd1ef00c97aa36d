//! Parses the shared corpus many times with one parser, for instruction counts under
//! `valgrind --tool=callgrind` (deterministic where wall-clock benches are noisy):
//!
//! ```text
//! cargo build --release --example parse_cost
//! valgrind --tool=callgrind target/release/examples/parse_cost hand
//! valgrind --tool=callgrind target/release/examples/parse_cost compiled
//! ```

use logveil::format::{self, LogFormat, preset};

fn main() {
    let which = std::env::args().nth(1).unwrap_or_else(|| "hand".into());
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/hackers-access.log"
    );
    let data = std::fs::read(path).expect("the shared corpus is beside the repository");
    let hand = preset::by_name("combined").unwrap();
    let parser = match which.as_str() {
        "hand" => hand,
        "compiled" => LogFormat::compiled("combined", hand.format_string()).unwrap(),
        other => panic!("expected hand or compiled, not {other}"),
    };
    let mut ok = 0;
    let rounds: usize = std::env::args()
        .nth(2)
        .map_or(20, |n| n.parse().expect("rounds"));
    for _ in 0..rounds {
        ok += format::lines(&data)
            .filter(|l| parser.parse(l).is_ok())
            .count();
    }
    assert_eq!(ok, rounds * 3456);
    println!("{which}: {ok} lines parsed");
}
