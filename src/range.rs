//! `--since` / `--until`: which part of the logs a report covers.
//!
//! Bounds are dates (`2024-10-10`), date-times (`2024-10-10T13:00`, `2024-10-10 13:00:00+02:00`)
//! or the words `today`, `yesterday` and `last-N-days` (e.g. `last-7-days`: the N whole days before
//! today). A date or a word stands for a span of days: `--since` takes its start, `--until` its end,
//! so `--since yesterday --until yesterday` is all of yesterday. Times without an offset are UTC.

use crate::format::time::{UnixSeconds, days_from_civil, unix_from_parts};

/// A half-open span `[since, until)` of UTC seconds; a missing bound is unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub since: Option<UnixSeconds>,
    pub until: Option<UnixSeconds>,
}

impl TimeRange {
    #[inline]
    pub fn contains(&self, t: UnixSeconds) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }
}

/// Which end of a range a bound is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Since,
    Until,
}

/// Parses a bound, with `now` for the relative words.
pub fn parse_bound(text: &str, bound: Bound, now: UnixSeconds) -> Result<UnixSeconds, String> {
    let today = now.div_euclid(86_400);
    let (start_day, end_day) = match text.trim().to_ascii_lowercase().as_str() {
        "today" => (today, today + 1),
        "yesterday" => (today - 1, today),
        word if word.starts_with("last-") && word.ends_with("-days") => {
            let n: i64 = word["last-".len()..word.len() - "-days".len()]
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    format!("'{text}': expected last-N-days with N a positive number")
                })?;
            (today - n, today)
        }
        _ => return parse_absolute(text.trim(), bound),
    };
    Ok(match bound {
        Bound::Since => start_day * 86_400,
        Bound::Until => end_day * 86_400,
    })
}

fn number(s: &str, what: &str, text: &str) -> Result<u32, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{text}': bad {what}"));
    }
    s.parse().map_err(|_| format!("'{text}': bad {what}"))
}

/// `YYYY-MM-DD` or `YYYY-MM-DD[T ]HH:MM[:SS][Z|±HH:MM]`.
fn parse_absolute(text: &str, bound: Bound) -> Result<UnixSeconds, String> {
    let expected =
        "expected YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM], today, yesterday or last-N-days";
    let bad = || format!("'{text}': {expected}");
    let (date, time) = match text.find(['T', 't', ' ']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let [y, m, d] = parts[..] else {
        return Err(bad());
    };
    if y.len() != 4 {
        return Err(bad());
    }
    let (year, month, day) = (
        number(y, "year", text)?,
        number(m, "month", text)?,
        number(d, "day", text)?,
    );
    let Some(time) = time else {
        let start = unix_from_parts(i64::from(year), month, day, 0, 0, 0).ok_or_else(bad)?;
        return Ok(match bound {
            Bound::Since => start,
            Bound::Until => start + 86_400,
        });
    };
    let (clock, offset) = split_offset(time).ok_or_else(bad)?;
    let fields: Vec<&str> = clock.split(':').collect();
    let (h, mi, s) = match fields[..] {
        [h, mi] => (h, mi, "0"),
        [h, mi, s] => (h, mi, s),
        _ => return Err(bad()),
    };
    let (hour, minute, second) = (
        number(h, "hour", text)?,
        number(mi, "minute", text)?,
        number(s, "second", text)?,
    );
    let t = unix_from_parts(i64::from(year), month, day, hour, minute, second).ok_or_else(bad)?
        - offset;
    // A time names one second; `--until` includes it.
    Ok(match bound {
        Bound::Since => t,
        Bound::Until => t + 1,
    })
}

/// Splits `13:00:00+02:00` into the clock and the offset in seconds.
fn split_offset(time: &str) -> Option<(&str, i64)> {
    if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        return Some((clock, 0));
    }
    match time.rfind(['+', '-']) {
        Some(i) => {
            let sign = if time.as_bytes()[i] == b'+' { 1 } else { -1 };
            let off = &time[i + 1..];
            let (h, m) = off
                .split_once(':')
                .unwrap_or((off.get(..2)?, off.get(2..)?));
            let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
            (h <= 23 && m <= 59).then_some((&time[..i], sign * (h * 3600 + m * 60)))
        }
        None => Some((time, 0)),
    }
}

/// Seconds since the epoch of a UTC date, for tests and callers.
pub fn date(year: i64, month: u32, day: u32) -> UnixSeconds {
    days_from_civil(year, month, day) * 86_400
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixSeconds = 1_728_568_536; // 2024-10-10T13:55:36Z

    fn since(s: &str) -> UnixSeconds {
        parse_bound(s, Bound::Since, NOW).unwrap()
    }
    fn until(s: &str) -> UnixSeconds {
        parse_bound(s, Bound::Until, NOW).unwrap()
    }

    #[test]
    fn words_are_spans_of_whole_days() {
        assert_eq!(
            (since("today"), until("today")),
            (date(2024, 10, 10), date(2024, 10, 11))
        );
        assert_eq!(
            (since("yesterday"), until("yesterday")),
            (date(2024, 10, 9), date(2024, 10, 10))
        );
        assert_eq!(
            (since("last-7-days"), until("last-7-days")),
            (date(2024, 10, 3), date(2024, 10, 10))
        );
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(since("2024-10-01"), date(2024, 10, 1));
        assert_eq!(until("2024-10-01"), date(2024, 10, 2));
        assert_eq!(
            since("2024-10-01T13:30"),
            date(2024, 10, 1) + 13 * 3600 + 1800
        );
        assert_eq!(
            since("2024-10-01 13:30:05Z"),
            date(2024, 10, 1) + 13 * 3600 + 1805
        );
        assert_eq!(
            since("2024-10-01T13:30:00+02:00"),
            date(2024, 10, 1) + 11 * 3600 + 1800
        );
        assert_eq!(
            since("2024-10-01T13:30:00-0130"),
            date(2024, 10, 1) + 15 * 3600
        );
        assert_eq!(
            until("2024-10-01T13:30:00Z"),
            date(2024, 10, 1) + 13 * 3600 + 1801
        );
    }

    #[test]
    fn nonsense_is_refused_with_the_expected_forms() {
        for bad in [
            "",
            "2024-13-01",
            "2024-02-30",
            "24-10-01",
            "last-x-days",
            "last-0-days",
            "2024-10-01T25:00",
            "soon",
        ] {
            let err = parse_bound(bad, Bound::Since, NOW).unwrap_err();
            assert!(err.contains(bad) || bad.is_empty(), "{err}");
        }
    }

    #[test]
    fn range_is_half_open() {
        let r = TimeRange {
            since: Some(10),
            until: Some(20),
        };
        assert!(!r.contains(9) && r.contains(10) && r.contains(19) && !r.contains(20));
        assert!(TimeRange::default().contains(i64::MIN));
    }
}
