//! Profiles: the few-valued dimensions every line has (browser, OS, device, bot, status code
//! and method), counted together before they reach their own tables.
//!
//! Updating six tables per line cost more than any other step of the count, and a line's
//! profile mostly repeats: most hits come from a few browsers and status codes. So
//! [`super::Stats`] counts whole profiles in one small table and spreads its rows into the six
//! tables when it holds [`FLUSH_ROWS`] rows, when it merges, and before a report. Row visitor
//! sets merge exactly (unions of exact sets, register maxima of sketches), so the tables end up
//! as if every line had gone straight to them. The country stays out: its two hundred values
//! would multiply the profiles, and with them the visitor sets held twice.

use crate::enrich::agent::{AgentClass, DIMENSION_SEPARATOR as SEP};
use crate::privacy::Method;

/// Profile rows held before they are spread into the tables.
pub const FLUSH_ROWS: usize = 4096;

/// One profile, read back from its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile<'a> {
    pub browser: &'a [u8],
    pub os: &'a [u8],
    pub device: &'a [u8],
    pub bot: Option<&'a [u8]>,
    pub status: &'a [u8],
    pub method: &'a [u8],
    /// False for bots when bots are not counted as visitors: their hits count in the tables
    /// but their visitors only in `bots`.
    pub counts_as_visitor: bool,
}

/// Writes the key of a line's profile into `out` (cleared first).
#[inline]
pub fn write_key(
    out: &mut Vec<u8>,
    agent: &AgentClass,
    status: u16,
    method: Method,
    counts_as_visitor: bool,
) {
    out.clear();
    out.extend_from_slice(&agent.dimensions);
    out.extend_from_slice(&[
        b'0' + (status / 100 % 10) as u8,
        b'0' + (status / 10 % 10) as u8,
        b'0' + (status % 10) as u8,
        SEP,
    ]);
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(SEP);
    out.push(u8::from(counts_as_visitor));
}

/// Reads a key written by [`write_key`].
pub fn read_key(key: &[u8]) -> Profile<'_> {
    let mut fields = key.split(|&b| b == SEP);
    let mut next = || fields.next().unwrap_or_default();
    let (browser, os, device, bot) = (next(), next(), next(), next());
    let (status, method, flag) = (next(), next(), next());
    Profile {
        browser,
        os,
        device,
        bot: (!bot.is_empty()).then_some(bot),
        status,
        method,
        counts_as_visitor: flag == [1],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::agent::AgentClassifier;

    #[test]
    fn keys_read_back_as_written() {
        let mut classifier = AgentClassifier::default();
        let chrome = classifier
            .classify(b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36")
            .clone();
        let bot = classifier
            .classify(b"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
            .clone();
        let mut key = Vec::new();
        write_key(&mut key, &chrome, 404, Method::Get, true);
        assert_eq!(
            read_key(&key),
            Profile {
                browser: b"Chrome 129",
                os: b"Windows 10",
                device: b"desktop",
                bot: None,
                status: b"404",
                method: b"GET",
                counts_as_visitor: true,
            }
        );
        write_key(&mut key, &bot, 200, Method::Head, false);
        let read = read_key(&key);
        assert_eq!(read.bot, Some(&b"Googlebot"[..]));
        assert_eq!(read.device, &b"bot"[..]);
        assert_eq!((read.status, read.method), (&b"200"[..], &b"HEAD"[..]));
        assert!(!read.counts_as_visitor);
    }
}
