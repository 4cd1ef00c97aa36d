//! A realistic, deterministic access log of any size, for benches and load tests: shared by
//! `examples/generate.rs` and the criterion benches.
//!
//! Visitors, pages and referrers follow skewed (Zipf-like) popularity; about 25% of hits are
//! assets, 15% come from bots, 10% of clients use IPv6 and 3% are logged by host name. The same
//! options always give the same bytes. With `scan`, every line asks for a path never seen
//! before, with a user agent never seen before (a browser's, with a unique token), as a scanner
//! does, so every table, the agent cache and the per-visitor state meet a new key on every line.

use logveil::format::time::civil_from_days;
use std::io::{self, Write};

/// What to write.
pub struct Options {
    pub size: Option<u64>,
    pub lines: Option<u64>,
    pub seed: u64,
    pub format: String,
    pub visitors: usize,
    pub pages: usize,
    pub days: u64,
    pub scan: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            size: None,
            lines: None,
            seed: 42,
            format: "combined".into(),
            visitors: 200_000,
            pages: 5_000,
            days: 30,
            scan: false,
        }
    }
}

/// Picks an index in `0..n`, small indexes much more often (a cheap Zipf-like skew).
fn skewed(rng: &mut fastrand::Rng, n: usize) -> usize {
    let u = rng.f64();
    ((n as f64).powf(u) - 1.0) as usize % n.max(1)
}

const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.6668.70 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.2792.65",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
];

const BOTS: &[&str] = &[
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
];

const REFERRERS: &[&str] = &[
    "-",
    "-",
    "-",
    "https://www.google.com/",
    "https://www.google.de/",
    "https://duckduckgo.com/",
    "https://www.bing.com/search?q=example",
    "https://news.ycombinator.com/item?id=41234567",
    "https://t.co/AbCdEf123",
    "https://www.reddit.com/r/programming/comments/abc/",
    "https://github.com/",
    "https://example.org/blog/",
    "https://search.yahoo.com/search?p=logs",
];

const ASSETS: &[&str] = &[
    "/css/site.css",
    "/js/app.js",
    "/img/logo.png",
    "/favicon.ico",
    "/fonts/inter.woff2",
    "/img/hero.webp",
];
const SECTIONS: &[&str] = &[
    "blog",
    "docs",
    "products",
    "news",
    "help",
    "about",
    "guides",
    "changelog",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A client of the generated population: address (or host name) and agent.
fn client(rng_seed: u64, index: usize) -> (String, &'static str) {
    let mut r =
        fastrand::Rng::with_seed(rng_seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let agent = AGENTS[skewed(&mut r, AGENTS.len())];
    let kind = r.u32(0..100);
    let addr = if kind < 10 {
        format!("2001:db8:{:x}:{:x}::{:x}", r.u16(..), r.u16(..), r.u16(1..))
    } else if kind < 13 {
        format!(
            "host-{}-{}.dsl.example-isp.{}",
            r.u8(..),
            r.u8(..),
            ["com", "net", "de", "co.uk"][r.usize(0..4)]
        )
    } else {
        format!(
            "{}.{}.{}.{}",
            r.u8(1..224),
            r.u8(..),
            r.u8(..),
            r.u8(1..255)
        )
    };
    (addr, agent)
}

/// Writes the log `o` describes: `o.lines` lines, or about `o.size` bytes.
pub fn write_log(o: &Options, out: &mut impl Write) -> io::Result<()> {
    let mut rng = fastrand::Rng::with_seed(o.seed);
    let pages: Vec<String> = (0..o.pages)
        .map(|i| match i {
            0 => "/".to_string(),
            _ => format!(
                "/{}/{}-{}",
                SECTIONS[i % SECTIONS.len()],
                ["intro", "setup", "release", "howto", "faq"][i % 5],
                letters(i)
            ),
        })
        .collect();
    let clients: Vec<(String, &str)> = (0..o.visitors).map(|i| client(o.seed, i)).collect();
    let start = 1_727_740_800i64; // 2024-10-01T00:00:00Z
    let span = (o.days * 86_400) as f64;
    let total_lines = o.lines.unwrap_or(u64::MAX);
    let total_bytes = o.size.unwrap_or(u64::MAX);
    // Spread timestamps evenly over the days: estimate lines from the target size.
    let expected_lines = o.lines.unwrap_or(total_bytes / 230).max(1) as f64;
    let mut written = 0u64;
    let mut line = String::with_capacity(512);
    let mut n = 0u64;
    while n < total_lines && written < total_bytes {
        let t = start + (n as f64 / expected_lines * span) as i64;
        let (secs, days) = (t.rem_euclid(86_400), t.div_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        let bot = rng.u32(0..100) < 15;
        let scan_agent;
        let (addr, agent) = if o.scan {
            let c = &clients[rng.usize(0..clients.len())];
            scan_agent = format!("{} Scan-{}", c.1, letters(n as usize + 1));
            (c.0.clone(), scan_agent.as_str())
        } else if bot {
            (
                format!("66.249.{}.{}", rng.u8(64..80), rng.u8(1..255)),
                BOTS[rng.usize(0..BOTS.len())],
            )
        } else {
            let c = &clients[skewed(&mut rng, clients.len())];
            (c.0.clone(), c.1)
        };
        let asset = !bot && !o.scan && rng.u32(0..100) < 30;
        let target = if o.scan {
            format!(
                "/{}/{}",
                SECTIONS[n as usize % SECTIONS.len()],
                letters(n as usize + 7)
            )
        } else if asset {
            ASSETS[rng.usize(0..ASSETS.len())].to_string()
        } else {
            let mut p = pages[skewed(&mut rng, pages.len())].clone();
            if rng.u32(0..100) < 5 {
                p.push_str("?utm_source=newsletter&utm_medium=email&session=");
                p.push_str(&format!("{:016x}", rng.u64(..)));
            }
            p
        };
        let method = match rng.u32(0..100) {
            0..=93 => "GET",
            94..=97 => "POST",
            _ => "HEAD",
        };
        let status = match rng.u32(0..1000) {
            0..=849 => 200,
            850..=919 => 304,
            920..=949 => 301,
            950..=989 => 404,
            990..=996 => 403,
            _ => 500,
        };
        let bytes = if status == 304 {
            0
        } else {
            rng.u32(200..60_000)
        };
        let referrer = REFERRERS[skewed(&mut rng, REFERRERS.len())];
        line.clear();
        use std::fmt::Write as _;
        if o.format == "vcombined" {
            line.push_str("www.example.org:443 ");
        }
        let _ = write!(
            line,
            "{addr} - - [{d:02}/{}/{y}:{:02}:{:02}:{:02} +0000] \"{method} {target} HTTP/1.1\" {status} {bytes}",
            MONTHS[m as usize - 1],
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        );
        if o.format != "common" {
            let _ = write!(line, " \"{referrer}\" \"{agent}\"");
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
        n += 1;
    }
    out.flush()
}

/// `i` written in letters (`b`, `c`, ..., `ba`), so page names carry no digit runs that the
/// privacy rules would turn into `:id`.
fn letters(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'a' + (i % 26) as u8);
        i /= 26;
        if i == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap()
}
