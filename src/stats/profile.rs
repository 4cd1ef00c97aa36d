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

use super::row_map::RowHint;
use crate::enrich::agent::{AgentClass, DIMENSION_SEPARATOR as SEP};
use crate::privacy::Method;
use std::cell::Cell;

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

/// What, besides the agent class, a profile key is made of: the status (as its three written
/// digits), the method and the visitor flag, packed into a `u32` that is never 0. Equal tags of
/// one class mean equal keys.
#[inline]
pub fn tag(status: u16, method: Method, counts_as_visitor: bool) -> u32 {
    1 << 31 | u32::from(status % 1000) | (method as u32) << 10 | u32::from(counts_as_visitor) << 20
}

/// Where the counting step found an agent class's latest profile rows: the classifier keeps
/// one beside each class it holds, so that most lines find their profile row without writing
/// the key, hashing it and comparing it.
///
/// perf: that was the largest table step of a line, 197 instructions.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ProfileRows {
    /// The tag of each slot; 0 for an empty one.
    tags: [Cell<u32>; 4],
    hints: [Cell<RowHint>; 4],
    /// The slot a new tag takes when none is empty.
    next: Cell<u8>,
}

impl ProfileRows {
    /// Where the hint of `tag`'s row is kept: its own slot, else an empty one, else the slot
    /// of the tags before it in turn. A slot taken for `tag` holds no hint yet.
    #[inline]
    pub fn slot(&self, tag: u32) -> &Cell<RowHint> {
        if let Some(slot) = self.tags.iter().position(|t| t.get() == tag) {
            return &self.hints[slot];
        }
        let slot = match self.tags.iter().position(|t| t.get() == 0) {
            Some(empty) => empty,
            None => {
                let next = self.next.get();
                self.next.set((next + 1) % self.tags.len() as u8);
                usize::from(next)
            }
        };
        self.tags[slot].set(tag);
        self.hints[slot].set(RowHint::default());
        &self.hints[slot]
    }
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
    fn profile_rows_keep_the_latest_hints_of_their_tags() {
        let table_hints: Vec<RowHint> = {
            let mut map: crate::stats::row_map::RowMap<()> = Default::default();
            (0..6)
                .map(|i| {
                    let index = map.insert_new(format!("{i}").as_bytes(), ());
                    map.hint(index)
                })
                .collect()
        };
        // The hint kept for a tag, looked at without taking a slot; and a hint kept for it.
        fn kept(rows: &ProfileRows, tag: u32) -> Option<RowHint> {
            let slot = rows.tags.iter().position(|t| t.get() == tag)?;
            Some(rows.hints[slot].get())
        }
        fn keep(rows: &ProfileRows, tag: u32, hint: RowHint) {
            rows.slot(tag).set(hint);
        }
        let rows = ProfileRows::default();
        let tags: Vec<u32> = [(200, Method::Get), (304, Method::Get), (404, Method::Get)]
            .into_iter()
            .chain([
                (200, Method::Post),
                (200, Method::Head),
                (1200, Method::Get),
            ])
            .map(|(status, method)| tag(status, method, true))
            .collect();
        // 1200 is written as 200: the same key, the same tag.
        assert_eq!(tags[5], tags[0]);
        assert!(tags.iter().all(|&t| t != 0));
        assert_ne!(tag(200, Method::Get, false), tags[0]);
        for (&t, &h) in tags[..4].iter().zip(&table_hints) {
            assert_eq!(kept(&rows, t), None);
            // A slot taken afresh holds the default hint, which no table takes.
            assert_eq!(rows.slot(t).get(), RowHint::default());
            keep(&rows, t, h);
            assert_eq!(kept(&rows, t), Some(h));
        }
        // A tag kept again replaces its own hint; a fifth tag takes the place of the first.
        keep(&rows, tags[1], table_hints[5]);
        assert_eq!(kept(&rows, tags[1]), Some(table_hints[5]));
        keep(&rows, tags[4], table_hints[4]);
        assert_eq!(kept(&rows, tags[4]), Some(table_hints[4]));
        assert_eq!(kept(&rows, tags[0]), None);
        assert_eq!(kept(&rows, tags[2]), Some(table_hints[2]));
    }

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
