//! Writes a realistic, deterministic access log of any size, for benches and load tests (see
//! `benches/support/generator.rs` for what it holds).
//!
//! ```text
//! cargo run --release --example generate -- --size 1G -o /tmp/big.log
//! cargo run --release --example generate -- --lines 1000 --format common --seed 7
//! cargo run --release --example generate -- --lines 10000000 --scan -o /tmp/scan.log
//! ```

#[path = "../benches/support/generator.rs"]
mod generator;

use generator::Options;
use std::io::{self, BufWriter, Write};

fn parse_size(text: &str) -> u64 {
    let (number, scale) = match text.chars().last() {
        Some('K' | 'k') => (&text[..text.len() - 1], 1 << 10),
        Some('M' | 'm') => (&text[..text.len() - 1], 1 << 20),
        Some('G' | 'g') => (&text[..text.len() - 1], 1 << 30),
        _ => (text, 1),
    };
    let n: f64 = number
        .parse()
        .expect("--size takes a number with K, M or G");
    (n * scale as f64) as u64
}

/// The generator's options, and the file to write (standard output without one).
fn options() -> (Options, Option<String>) {
    let mut o = Options::default();
    let mut output = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--size" => o.size = Some(parse_size(&value())),
            "--lines" => o.lines = Some(value().parse().expect("--lines takes a number")),
            "--seed" => o.seed = value().parse().expect("--seed takes a number"),
            "--format" => o.format = value(),
            "--visitors" => o.visitors = value().parse().expect("--visitors takes a number"),
            "--pages" => o.pages = value().parse().expect("--pages takes a number"),
            "--days" => o.days = value().parse().expect("--days takes a number"),
            "--scan" => o.scan = true,
            "-o" | "--output" => output = Some(value()),
            other => {
                panic!("unknown argument {other}; see the doc comment of examples/generate.rs")
            }
        }
    }
    if o.size.is_none() && o.lines.is_none() {
        o.lines = Some(10_000);
    }
    (o, output)
}

fn main() -> io::Result<()> {
    let (o, output) = options();
    let out: Box<dyn Write> = match &output {
        Some(path) => Box::new(std::fs::File::create(path)?),
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, out);
    generator::write_log(&o, &mut out)
}
