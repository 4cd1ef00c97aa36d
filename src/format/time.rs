//! Timestamps: parsing the CLF `[dd/Mon/yyyy:HH:MM:SS ±hhmm]` form into UTC seconds, civil-date
//! arithmetic, and RFC 3339 rendering.
//!
//! Hand-written because it runs once per line; [`ClfTimeCache`] keeps even that off the profile by
//! reusing the last result while consecutive lines share the same second.

/// Seconds since the Unix epoch, UTC.
pub type UnixSeconds = i64;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a day number since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Builds UTC seconds from civil fields, checking every range.
pub fn unix_from_parts(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
) -> Option<UnixSeconds> {
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second))
}

#[inline]
fn digits(bytes: &[u8]) -> Option<u32> {
    let mut value = 0u32;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u32::from(b - b'0');
    }
    Some(value)
}

fn month_number(name: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let lower = [
        name[0].to_ascii_lowercase(),
        name[1].to_ascii_lowercase(),
        name[2].to_ascii_lowercase(),
    ];
    MONTHS
        .iter()
        .position(|m| **m == lower)
        .map(|i| i as u32 + 1)
}

/// Length of a CLF timestamp between the brackets: `10/Oct/2000:13:55:36 -0700`.
pub const CLF_TIME_LEN: usize = 26;

/// Parses a CLF timestamp (without brackets) into UTC seconds.
pub fn parse_clf(text: &[u8]) -> Option<UnixSeconds> {
    if text.len() != CLF_TIME_LEN
        || text[2] != b'/'
        || text[6] != b'/'
        || text[11] != b':'
        || text[14] != b':'
        || text[17] != b':'
        || text[20] != b' '
    {
        return None;
    }
    let day = digits(&text[0..2])?;
    let month = month_number(&text[3..6])?;
    let year = i64::from(digits(&text[7..11])?);
    let hour = digits(&text[12..14])?;
    let minute = digits(&text[15..17])?;
    let second = digits(&text[18..20])?;
    let sign = match text[21] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let off_h = digits(&text[22..24])?;
    let off_m = digits(&text[24..26])?;
    if off_h > 23 || off_m > 59 {
        return None;
    }
    let offset = sign * i64::from(off_h * 3600 + off_m * 60);
    Some(unix_from_parts(year, month, day, hour, minute, second)? - offset)
}

/// Remembers the last CLF timestamp parsed, since consecutive lines usually share it.
///
/// perf: log lines arrive in time order, so most lines repeat the previous line's second; a
/// 26-byte comparison replaces the parse.
#[derive(Default)]
pub struct ClfTimeCache {
    last_text: [u8; CLF_TIME_LEN],
    last_value: Option<UnixSeconds>,
}

impl ClfTimeCache {
    /// Parses `text`, reusing the previous answer when the bytes are the same.
    #[inline]
    pub fn parse(&mut self, text: &[u8]) -> Option<UnixSeconds> {
        if self.last_value.is_some() && text == self.last_text {
            return self.last_value;
        }
        let value = parse_clf(text)?;
        self.last_text.copy_from_slice(text);
        self.last_value = Some(value);
        Some(value)
    }
}

/// Renders UTC seconds as RFC 3339, e.g. `2015-10-25T03:11:25Z`.
pub fn to_rfc3339(t: UnixSeconds) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clf_with_positive_offset_is_converted_to_utc() {
        // 04:11:25 at +01:00 is 03:11:25 UTC.
        let t = parse_clf(b"25/Oct/2015:04:11:25 +0100").unwrap();
        assert_eq!(to_rfc3339(t), "2015-10-25T03:11:25Z");
    }

    #[test]
    fn clf_with_negative_offset_crosses_midnight() {
        let t = parse_clf(b"31/Dec/1999:23:30:00 -0400").unwrap();
        assert_eq!(to_rfc3339(t), "2000-01-01T03:30:00Z");
    }

    #[test]
    fn clf_rejects_bad_fields() {
        for bad in [
            &b"32/Oct/2015:04:11:25 +0100"[..],
            b"29/Feb/2015:04:11:25 +0100",
            b"25/Foo/2015:04:11:25 +0100",
            b"25/Oct/2015:24:11:25 +0100",
            b"25/Oct/2015:04:11:25 0100",
            b"25/Oct/2015:04:11:25 +010",
            b"25/Oct/2015 04:11:25 +0100",
        ] {
            assert_eq!(parse_clf(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        assert!(parse_clf(b"29/Feb/2016:00:00:00 +0000").is_some());
    }

    #[test]
    fn civil_round_trip_against_the_time_crate() {
        for days in (-800_000i64..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            let date = time::Date::from_julian_day((days + 2_440_588) as i32).unwrap();
            assert_eq!(
                (y, m, d),
                (
                    date.year() as i64,
                    date.month() as u32,
                    u32::from(date.day())
                )
            );
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn cache_returns_same_value_and_follows_changes() {
        let mut cache = ClfTimeCache::default();
        let a = cache.parse(b"25/Oct/2015:04:11:25 +0100");
        assert_eq!(a, cache.parse(b"25/Oct/2015:04:11:25 +0100"));
        let b = cache.parse(b"25/Oct/2015:04:11:26 +0100");
        assert_eq!(b, a.map(|t| t + 1));
        assert_eq!(cache.parse(b"garbage"), None);
        assert_eq!(cache.parse(b"25/Oct/2015:04:11:26 +0100"), b);
    }
}
