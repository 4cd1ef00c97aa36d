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

fn parse_size(text: &str) -> Result<u64, String> {
    let (number, scale) = match text.chars().last() {
        Some('K' | 'k') => (&text[..text.len() - 1], 1 << 10),
        Some('M' | 'm') => (&text[..text.len() - 1], 1 << 20),
        Some('G' | 'g') => (&text[..text.len() - 1], 1 << 30),
        _ => (text, 1),
    };
    match number.parse::<f64>() {
        Ok(n) if n >= 0.0 => Ok((n * scale as f64) as u64),
        _ => Err(format!("--size takes a number with K, M or G, not {text}")),
    }
}

/// `value` read as a number for `option`.
fn number<T: std::str::FromStr>(option: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{option} takes a number, not {value}"))
}

/// The generator's options, and the file to write (standard output without one).
fn options() -> Result<(Options, Option<String>), String> {
    let mut o = Options::default();
    let mut output = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--size" => o.size = Some(parse_size(&value()?)?),
            "--lines" => o.lines = Some(number(&arg, &value()?)?),
            "--seed" => o.seed = number(&arg, &value()?)?,
            "--format" => o.format = value()?,
            "--visitors" => o.visitors = number(&arg, &value()?)?,
            "--pages" => o.pages = number(&arg, &value()?)?,
            "--days" => o.days = number(&arg, &value()?)?,
            "--scan" => o.scan = true,
            "-o" | "--output" => output = Some(value()?),
            other => {
                return Err(format!(
                    "unknown argument {other}; see the doc comment of examples/generate.rs"
                ));
            }
        }
    }
    if o.size.is_none() && o.lines.is_none() {
        o.lines = Some(10_000);
    }
    Ok((o, output))
}

fn main() -> io::Result<()> {
    let (o, output) = options().unwrap_or_else(|message| {
        eprintln!("generate: {message}");
        std::process::exit(2)
    });
    let out: Box<dyn Write> = match &output {
        Some(path) => Box::new(std::fs::File::create(path)?),
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, out);
    generator::write_log(&o, &mut out)
}
