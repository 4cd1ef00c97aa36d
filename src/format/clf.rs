//! Hand-written parsers for the NCSA family: `common`, `combined` and `vcombined`.
//!
//! ```text
//! common:    %h %l %u %t "%r" %>s %b
//! combined:  %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"
//! vcombined: %v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"
//! ```
//!
//! Each parser walks the line once with [`find::byte`] and returns slices of it. The ident and
//! user fields are checked for shape and skipped, never copied.

use super::find;
use super::line::{MalformedReason as Bad, RawLine};

/// A cursor over one line.
struct Cursor<'a> {
    line: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// Takes bytes up to the next space and steps over it.
    #[inline(always)]
    fn token(&mut self, bad: Bad) -> Result<&'a [u8], Bad> {
        let rest = &self.line[self.pos..];
        // perf: the ident and user fields are mostly `-` and the status three digits; tokens of
        // one and of three bytes are checked in place before a vector search.
        let end = match rest {
            [a, b' ', ..] if *a != b' ' => 1,
            [a, b, c, b' ', ..] if ![*a, *b, *c].contains(&b' ') => 3,
            _ => find::byte(b' ', rest).ok_or(bad)?,
        };
        if end == 0 {
            return Err(bad);
        }
        self.pos += end + 1;
        Ok(&rest[..end])
    }

    #[inline(always)]
    fn expect(&mut self, byte: u8, bad: Bad) -> Result<(), Bad> {
        if self.line.get(self.pos) == Some(&byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(bad)
        }
    }

    /// Takes `[...]`, returning what is inside.
    #[inline(always)]
    fn bracketed(&mut self, bad: Bad) -> Result<&'a [u8], Bad> {
        self.expect(b'[', bad)?;
        let rest = &self.line[self.pos..];
        let end = find::byte(b']', rest).ok_or(bad)?;
        self.pos += end + 1;
        Ok(&rest[..end])
    }

    /// Takes a `"..."` field as Apache writes it (inner quotes escaped as `\"`).
    #[inline(always)]
    fn quoted(&mut self, bad: Bad) -> Result<&'a [u8], Bad> {
        self.expect(b'"', bad)?;
        let start = self.pos;
        let len = quoted_len(&self.line[start..]).ok_or(bad)?;
        self.pos = start + len + 1;
        Ok(&self.line[start..start + len])
    }

    #[inline(always)]
    fn space(&mut self, bad: Bad) -> Result<(), Bad> {
        self.expect(b' ', bad)
    }

    #[inline(always)]
    fn at_end(&self) -> bool {
        self.pos >= self.line.len()
    }
}

/// Length of a quoted value (after its opening quote) up to its first unescaped `"`.
#[inline(always)]
pub(crate) fn quoted_len(rest: &[u8]) -> Option<usize> {
    let mut from = 0;
    loop {
        let at = from + find::byte(b'"', &rest[from..])?;
        if !is_escaped(&rest[..at]) {
            return Some(at);
        }
        from = at + 1;
    }
}

/// True when the quote following `before` is escaped by an odd number of backslashes.
#[inline(always)]
pub(crate) fn is_escaped(before: &[u8]) -> bool {
    // Most quotes follow no backslash at all.
    if before.last() != Some(&b'\\') {
        return false;
    }
    before.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

#[inline(always)]
pub(crate) fn parse_status(token: &[u8]) -> Result<u16, Bad> {
    if token.len() != 3 || !token.iter().all(u8::is_ascii_digit) || token[0] == b'0' {
        return Err(Bad::BadStatus);
    }
    Ok(token
        .iter()
        .fold(0u16, |n, &b| n * 10 + u16::from(b - b'0')))
}

#[inline(always)]
pub(crate) fn parse_bytes(token: &[u8]) -> Result<u64, Bad> {
    if token == b"-" {
        return Ok(0);
    }
    if token.is_empty() || token.len() > 19 {
        return Err(Bad::BadBytes);
    }
    // perf: one pass instead of a check and a fold saves 29 instructions a line (callgrind);
    // 19 digits cannot overflow a u64.
    let mut n = 0u64;
    for &b in token {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return Err(Bad::BadBytes);
        }
        n = n * 10 + u64::from(digit);
    }
    Ok(n)
}

/// The fields of `%h %l %u %t "%r" %>s %b`.
struct CommonFields<'a> {
    client: &'a [u8],
    time: &'a [u8],
    request: &'a [u8],
    status: u16,
    bytes: u64,
}

impl<'a> CommonFields<'a> {
    /// The line's record, with the referrer and agent of a combined line (empty for common).
    ///
    /// perf: the record (near 200 bytes) is built once, where it is returned; built by the
    /// common part and finished by the combined part, it was copied on its way out.
    #[inline(always)]
    fn into_raw(self, referrer: &'a [u8], user_agent: &'a [u8]) -> RawLine<'a> {
        RawLine {
            client: self.client,
            time: self.time,
            request: self.request,
            status: self.status,
            bytes: self.bytes,
            referrer,
            user_agent,
            ..RawLine::default()
        }
    }
}

/// Parses `%h %l %u %t "%r" %>s %b` and leaves the cursor after the bytes field.
///
/// perf: this and the cursor's steps are inlined into each parser: called, they cost a
/// third more instructions a line, in bounds checks and moves of the results.
#[inline(always)]
fn common_prefix<'a>(cur: &mut Cursor<'a>) -> Result<CommonFields<'a>, Bad> {
    let client = cur.token(Bad::BadClient)?;
    cur.token(Bad::BadIdentOrUser)?;
    cur.token(Bad::BadIdentOrUser)?;
    let time = cur.bracketed(Bad::BadTimestamp)?;
    cur.space(Bad::BadRequestField)?;
    let request = cur.quoted(Bad::BadRequestField)?;
    cur.space(Bad::BadStatus)?;
    let status = parse_status(cur.token(Bad::BadStatus)?)?;
    let rest = &cur.line[cur.pos..];
    // perf: the bytes field is a few digits; a plain loop finds its end sooner than a vector
    // search sets up.
    let end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
    let bytes = parse_bytes(&rest[..end])?;
    cur.pos += end;
    Ok(CommonFields {
        client,
        time,
        request,
        status,
        bytes,
    })
}

/// Parses a `common` line.
pub fn parse_common(line: &[u8]) -> Result<RawLine<'_>, Bad> {
    let mut cur = Cursor { line, pos: 0 };
    let common = common_prefix(&mut cur)?;
    if !cur.at_end() {
        return Err(Bad::TrailingData);
    }
    Ok(common.into_raw(b"", b""))
}

#[inline(always)]
fn combined_from<'a>(cur: &mut Cursor<'a>) -> Result<RawLine<'a>, Bad> {
    let common = common_prefix(cur)?;
    cur.space(Bad::BadReferrerField)?;
    let referrer = cur.quoted(Bad::BadReferrerField)?;
    cur.space(Bad::BadUserAgentField)?;
    let user_agent = cur.quoted(Bad::BadUserAgentField)?;
    // Extra fields after the agent (nginx setups often append some) are allowed and ignored.
    if !cur.at_end() && cur.line[cur.pos] != b' ' {
        return Err(Bad::TrailingData);
    }
    Ok(common.into_raw(referrer, user_agent))
}

/// Parses a `combined` line; fields after the user agent are ignored.
pub fn parse_combined(line: &[u8]) -> Result<RawLine<'_>, Bad> {
    combined_from(&mut Cursor { line, pos: 0 })
}

/// Parses a `vcombined` line: a `vhost[:port]` field, then `combined`. The virtual host is
/// dropped.
pub fn parse_vcombined(line: &[u8]) -> Result<RawLine<'_>, Bad> {
    let mut cur = Cursor { line, pos: 0 };
    let vhost = cur.token(Bad::BadVhost)?;
    let name = match memchr::memrchr(b':', vhost) {
        Some(colon)
            if vhost[colon + 1..].iter().all(u8::is_ascii_digit) && colon + 1 < vhost.len() =>
        {
            &vhost[..colon]
        }
        Some(_) => return Err(Bad::BadVhost),
        None => vhost,
    };
    if name.is_empty()
        || !name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    {
        return Err(Bad::BadVhost);
    }
    combined_from(&mut cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A token is the bytes up to the first space, never empty, as a plain search finds it.
        #[test]
        fn tokens_end_at_the_first_space(line in "[- a0-9]{0,8}") {
            let plain = match line.bytes().position(|b| b == b' ') {
                Some(0) | None => None,
                Some(end) => Some((&line.as_bytes()[..end], end + 1)),
            };
            let mut cur = Cursor { line: line.as_bytes(), pos: 0 };
            let got = cur.token(Bad::BadClient).ok().map(|t| (t, cur.pos));
            proptest::prop_assert_eq!(got, plain);
        }
    }

    const COMBINED: &[u8] = br#"195.154.46.135 - - [25/Oct/2015:04:11:25 +0100] "GET /linux/doing-pxe-without-dhcp-control HTTP/1.1" 200 24323 "http://howto.basjes.nl/" "Mozilla/5.0 (Windows NT 5.1; rv:35.0) Gecko/20100101 Firefox/35.0""#;

    #[test]
    fn combined_line_from_the_hackers_log() {
        let raw = parse_combined(COMBINED).unwrap();
        assert_eq!(raw.client, b"195.154.46.135");
        assert_eq!(raw.time, b"25/Oct/2015:04:11:25 +0100");
        assert_eq!(
            raw.request,
            b"GET /linux/doing-pxe-without-dhcp-control HTTP/1.1"
        );
        assert_eq!(raw.status, 200);
        assert_eq!(raw.bytes, 24323);
        assert_eq!(raw.referrer, b"http://howto.basjes.nl/");
        assert!(raw.user_agent.ends_with(b"Firefox/35.0"));
    }

    #[test]
    fn common_line_from_the_nasa_trace() {
        let raw = parse_common(
            br#"uplherc.upl.com - - [01/Aug/1995:00:00:07 -0400] "GET / HTTP/1.0" 304 0"#,
        )
        .unwrap();
        assert_eq!(raw.client, b"uplherc.upl.com");
        assert_eq!(raw.status, 304);
        assert_eq!(raw.bytes, 0);
        assert_eq!(raw.referrer, b"");
    }

    #[test]
    fn common_rejects_combined_and_combined_rejects_common() {
        assert_eq!(parse_common(COMBINED), Err(Bad::TrailingData));
        let common = br#"1.2.3.4 - - [01/Aug/1995:00:00:07 -0400] "GET / HTTP/1.0" 304 -"#;
        assert_eq!(parse_combined(common), Err(Bad::BadReferrerField));
    }

    #[test]
    fn escaped_quotes_stay_inside_the_field() {
        let line = br#"1.2.3.4 - - [01/Aug/1995:00:00:07 -0400] "GET /a\"b HTTP/1.0" 200 5 "-" "agent \"x\" y\\""#;
        let raw = parse_combined(line).unwrap();
        assert_eq!(raw.request, br#"GET /a\"b HTTP/1.0"#);
        assert_eq!(raw.user_agent, br#"agent \"x\" y\\"#);
    }

    #[test]
    fn vcombined_drops_the_vhost() {
        let mut line = b"www.example.com:443 ".to_vec();
        line.extend_from_slice(COMBINED);
        let raw = parse_vcombined(&line).unwrap();
        assert_eq!(raw.client, b"195.154.46.135");
        assert_eq!(parse_combined(&line), Err(Bad::BadTimestamp));
        // Without the port, as some configurations write it.
        let mut no_port = b"www.example.com ".to_vec();
        no_port.extend_from_slice(COMBINED);
        assert_eq!(parse_vcombined(&no_port).unwrap().client, b"195.154.46.135");
        assert!(parse_vcombined(COMBINED).is_err());
        assert_eq!(
            parse_vcombined(&[b"a:b ", COMBINED].concat()),
            Err(Bad::BadVhost)
        );
    }

    #[test]
    fn each_broken_field_has_its_reason() {
        let cases: [(&[u8], Bad); 7] = [
            (b"1.2.3.4", Bad::BadClient),
            (
                b"1.2.3.4 - - 01/Aug/1995:00:00:07 -0400] \"GET / HTTP/1.0\" 200 5",
                Bad::BadTimestamp,
            ),
            (
                b"1.2.3.4 - - [01/Aug/1995:00:00:07 -0400] \"GET / HTTP/1.0 200 5",
                Bad::BadRequestField,
            ),
            (
                b"1.2.3.4 - - [01/Aug/1995:00:00:07 -0400] \"GET / HTTP/1.0\" 2000 5",
                Bad::BadStatus,
            ),
            (
                b"1.2.3.4 - - [01/Aug/1995:00:00:07 -0400] \"GET / HTTP/1.0\" 200 5x",
                Bad::BadBytes,
            ),
            (
                b"1.2.3.4 - - [01/Aug/1995:00:00:07 -0400] \"GET / HTTP/1.0\" 200 5 \"-\" \"ua",
                Bad::BadUserAgentField,
            ),
            (
                b"1.2.3.4 - - [01/Aug/1995:00:00:07 -0400] \"GET / HTTP/1.0\" 200 5 \"-\" \"ua\"x",
                Bad::TrailingData,
            ),
        ];
        for (line, reason) in cases {
            assert_eq!(
                parse_combined(line).err(),
                Some(reason),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }
}
