//! [`FieldProgram`]: a format string compiled once into steps that cut a line into a
//! [`RawLine`] with memchr, the way the hand-written parsers do (memchr's build-once habit).
//!
//! A field ends at the first byte of the literal that follows it (or at the end of the line); a
//! field between two `"` literals is quoted and ends at the first unescaped quote. A field whose
//! value has a fixed number of separators inside (a CLF time has one space) skips that many.

use super::clf::{is_escaped, parse_bytes, parse_status, quoted_len};
use super::line::{MalformedReason as Bad, RawLine};
use super::spec::{self, Directive, Field, ParseFormatError};
use super::time::{StrftimeItem, TimeFormat};
use memchr::memchr;

/// One field and the literal that follows it, matched in one step (half the steps per line of
/// matching them apart).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Step {
    field: Field,
    /// Index in the slots a line's values are gathered in (see [`slot_of`]).
    slot: usize,
    end: End,
    quoted: bool,
    /// Occurrences of the end byte inside the value to step over.
    skip: usize,
    /// The literal after the field (starts with the end byte); empty for the last field.
    suffix: Literal,
    /// The reason given when the suffix is not there.
    suffix_bad: Bad,
}

/// Literal text of a format, with its first eight bytes packed for a one-load comparison.
///
/// perf: comparing a masked 64-bit load has no branch on the literal's length, which changes
/// at every step of a line (a byte loop cost 6 mispredicted branches a line under cachegrind's
/// branch simulation).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Literal {
    bytes: Box<[u8]>,
    word: u64,
    /// Selects the literal's bytes in a 64-bit load; 0 when it is longer than eight bytes.
    mask: u64,
}

impl Literal {
    fn new(bytes: &[u8]) -> Literal {
        let (word, mask) = if bytes.len() <= 8 {
            let mut padded = [0u8; 8];
            padded[..bytes.len()].copy_from_slice(bytes);
            let mask = if bytes.len() == 8 {
                u64::MAX
            } else {
                (1u64 << (8 * bytes.len())) - 1
            };
            (u64::from_le_bytes(padded), mask)
        } else {
            (0, 0)
        };
        Literal {
            bytes: bytes.into(),
            word,
            mask,
        }
    }

    #[inline]
    fn matches(&self, rest: &[u8]) -> bool {
        if self.mask != 0 && rest.len() >= 8 {
            let loaded = u64::from_le_bytes(rest[..8].try_into().expect("eight bytes"));
            return loaded & self.mask == self.word;
        }
        rest.starts_with(&self.bytes)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Byte(u8),
    EndOfLine,
}

/// A compiled log format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProgram {
    /// How the time field is written.
    time_format: TimeFormat,
    /// Whether the format logs a response size.
    has_bytes: bool,
    /// Literal text before the first field.
    prefix: Literal,
    prefix_bad: Bad,
    steps: Vec<Step>,
    /// The format string, for messages and `logveil formats`.
    source: String,
    /// Accept more space-separated fields after the last one (formats that grow, like AWS's).
    trailing_fields: bool,
    /// A space in the format matches a run of spaces (aligned columns, syslog's padded days).
    squeeze_spaces: bool,
    /// A value that starts with `"` runs to its closing quote, separators included (W3C).
    quoted_values: bool,
}

/// Which kind of format string a text is: Apache's `%` directives or nginx's `$` variables.
pub fn is_nginx_syntax(text: &str) -> bool {
    text.contains('$') && !text.contains('%')
}

fn reason_of(field: Field) -> Bad {
    match field {
        Field::Client => Bad::BadClient,
        Field::Time(_) => Bad::BadTimestamp,
        Field::Request | Field::Method | Field::Path | Field::Query => Bad::BadRequestField,
        Field::Status => Bad::BadStatus,
        Field::Bytes => Bad::BadBytes,
        Field::Referrer => Bad::BadReferrerField,
        Field::UserAgent => Bad::BadUserAgentField,
        Field::ForwardedFor | Field::AcceptLanguage | Field::Skip => Bad::BadField,
    }
}

/// How many times `byte` occurs inside every value of `field` (a CLF time has one space).
fn inner_count(field: Field, byte: u8) -> usize {
    match field {
        Field::Time(TimeFormat::Clf) => usize::from(byte == b' '),
        Field::Time(TimeFormat::W3cDateTime) => usize::from(byte == b' ' || byte == b'\t'),
        Field::Time(TimeFormat::Strftime(items)) => items
            .iter()
            .filter(|i| **i == StrftimeItem::Literal(byte))
            .count(),
        _ => 0,
    }
}

impl FieldProgram {
    /// Compiles an Apache `LogFormat` or nginx `log_format` string (told apart by `%` or `$`).
    pub fn compile(text: &str) -> Result<FieldProgram, ParseFormatError> {
        let directives = if is_nginx_syntax(text) {
            spec::parse_nginx(text)?
        } else {
            spec::parse_apache(text)?
        };
        Self::from_directives(&directives, text)
    }

    pub(crate) fn from_directives(
        directives: &[Directive],
        text: &str,
    ) -> Result<FieldProgram, ParseFormatError> {
        // Merge adjacent literals first, so a field's end is the whole next literal's first byte.
        let mut merged: Vec<Directive> = Vec::new();
        for d in directives {
            match (merged.last_mut(), d) {
                (Some(Directive::Literal(prev)), Directive::Literal(more)) => {
                    prev.extend_from_slice(more)
                }
                // Apache's `%U%q`: the query starts with `?` right after the path; read both as
                // one target.
                (
                    Some(Directive::Field {
                        field: Field::Path, ..
                    }),
                    Directive::Field {
                        field: Field::Query,
                        ..
                    },
                ) => {}
                (_, Directive::Literal(lit)) if lit.is_empty() => {}
                _ => merged.push(d.clone()),
            }
        }
        let literal_bad = |i: usize| match merged.get(i + 1) {
            Some(Directive::Field { field, .. }) => reason_of(*field),
            _ => match i.checked_sub(1).and_then(|p| merged.get(p)) {
                Some(Directive::Field { field, .. }) => reason_of(*field),
                _ => Bad::BadField,
            },
        };
        let (prefix, prefix_bad) = match merged.first() {
            Some(Directive::Literal(bytes)) => (Literal::new(bytes), literal_bad(0)),
            _ => (Literal::default(), Bad::BadField),
        };
        let mut steps = Vec::new();
        let mut seen = Vec::new();
        for (i, d) in merged.iter().enumerate() {
            let Directive::Field { field, column } = d else {
                continue;
            };
            let (end, suffix, suffix_bad) = match merged.get(i + 1) {
                Some(Directive::Literal(lit)) => {
                    (End::Byte(lit[0]), Literal::new(lit), literal_bad(i + 1))
                }
                Some(Directive::Field { .. }) => {
                    return Err(ParseFormatError {
                        column: *column,
                        message: "two fields with nothing between them cannot be told apart".into(),
                    });
                }
                None => (End::EndOfLine, Literal::default(), Bad::BadField),
            };
            let prev_quote =
                i > 0 && matches!(&merged[i - 1], Directive::Literal(l) if l.ends_with(b"\""));
            let quoted = prev_quote && end == End::Byte(b'"');
            let skip = match end {
                End::Byte(b) if !quoted => inner_count(*field, b),
                _ => 0,
            };
            steps.push(Step {
                field: *field,
                slot: slot_of(*field),
                end,
                quoted,
                skip,
                suffix,
                suffix_bad,
            });
            seen.push(*field);
        }
        let missing = |what: &str| ParseFormatError {
            column: 1,
            message: format!("the format has no {what}"),
        };
        if !seen.contains(&Field::Client) {
            return Err(missing("client address field (%h, %a or $remote_addr)"));
        }
        if !seen.iter().any(|f| matches!(f, Field::Time(_))) {
            return Err(missing(
                "time field (%t, %{...}t, $time_local, $time_iso8601 or $msec)",
            ));
        }
        if !seen
            .iter()
            .any(|f| matches!(f, Field::Request | Field::Path))
        {
            return Err(missing("request field (%r, %U, $request or $request_uri)"));
        }
        if !seen.contains(&Field::Status) {
            return Err(missing("status field (%s, %>s or $status)"));
        }
        let time_format = seen
            .iter()
            .find_map(|f| match f {
                Field::Time(format) => Some(*format),
                _ => None,
            })
            .unwrap_or_default();
        Ok(FieldProgram {
            time_format,
            has_bytes: seen.contains(&Field::Bytes),
            prefix,
            prefix_bad,
            steps,
            source: text.to_string(),
            trailing_fields: false,
            squeeze_spaces: false,
            quoted_values: false,
        })
    }

    /// Matches `literal` at `pos` (a space matching a run of spaces when squeezing); returns
    /// the position after it.
    #[inline]
    fn literal<const SQUEEZE: bool>(
        line: &[u8],
        pos: usize,
        literal: &Literal,
        bad: Bad,
    ) -> Result<usize, Bad> {
        let rest = &line[pos..];
        if SQUEEZE && literal.bytes.first() == Some(&b' ') {
            let spaces = rest.iter().take_while(|&&b| b == b' ').count();
            let tail = &literal.bytes[1..];
            if spaces == 0 || !rest[spaces..].starts_with(tail) {
                return Err(bad);
            }
            return Ok(pos + spaces + tail.len());
        }
        if !literal.matches(rest) {
            return Err(bad);
        }
        Ok(pos + literal.bytes.len())
    }

    /// Accepts further space-separated fields after the last one, for formats that add fields
    /// over time (AWS load balancers do).
    pub fn with_trailing_fields(mut self) -> FieldProgram {
        self.trailing_fields = true;
        self
    }

    /// Lets each space of the format match a run of spaces, for aligned columns (Squid) and
    /// syslog's space-padded days (HAProxy).
    pub fn with_squeezed_spaces(mut self) -> FieldProgram {
        self.squeeze_spaces = true;
        self
    }

    /// Lets any value that starts with `"` run to its closing quote, as W3C logs quote values
    /// with spaces in them.
    pub fn with_quoted_values(mut self) -> FieldProgram {
        self.quoted_values = true;
        self
    }

    /// The format string this program was compiled from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Cuts one line (without its terminator) into fields.
    #[inline]
    pub fn parse<'a>(&self, line: &'a [u8]) -> Result<RawLine<'a>, Bad> {
        // perf: the options become constants of two monomorphic copies, so the common case
        // (no squeezing, no W3C quoting) has no branches for them in its loop.
        match (self.squeeze_spaces, self.quoted_values) {
            (false, false) => self.parse_with::<false, false>(line),
            (true, false) => self.parse_with::<true, false>(line),
            (false, true) => self.parse_with::<false, true>(line),
            (true, true) => self.parse_with::<true, true>(line),
        }
    }

    #[inline]
    fn parse_with<'a, const SQUEEZE: bool, const QUOTED_VALUES: bool>(
        &self,
        line: &'a [u8],
    ) -> Result<RawLine<'a>, Bad> {
        // perf: values are gathered in slots indexed by the step, with no branch on the field,
        // and converted once at the end (callgrind: a `match` per field cost 14% more
        // instructions than the hand-written combined parser).
        let mut slots: [&'a [u8]; SLOTS] = [b""; SLOTS];
        let mut pos = Self::literal::<SQUEEZE>(line, 0, &self.prefix, self.prefix_bad)?;
        for step in &self.steps {
            let rest = &line[pos..];
            if QUOTED_VALUES
                && rest.first() == Some(&b'"')
                && step.field != Field::Time(TimeFormat::W3cDateTime)
            {
                // A W3C value in quotes: keep what is inside them.
                let inner = quoted_len(&rest[1..]).ok_or_else(|| reason_of(step.field))?;
                slots[step.slot] = &rest[1..1 + inner];
                pos += inner + 2;
            } else {
                // A quoted field ends at a `"` too, one not escaped by a backslash: the same
                // search, continued past escaped quotes (rare), so there is no branch on quoting.
                let len = match step.end {
                    End::EndOfLine => rest.len(),
                    End::Byte(b) => {
                        let missing = || reason_of(step.field);
                        let mut len = memchr(b, rest).ok_or_else(missing)?;
                        for _ in 0..step.skip {
                            len += 1 + memchr(b, &rest[len + 1..]).ok_or_else(missing)?;
                        }
                        while step.quoted & (len > 0 && rest[len - 1] == b'\\')
                            && is_escaped(&rest[..len])
                        {
                            len += 1 + memchr(b, &rest[len + 1..]).ok_or_else(missing)?;
                        }
                        len
                    }
                };
                slots[step.slot] = &rest[..len];
                pos += len;
            }
            pos = Self::literal::<SQUEEZE>(line, pos, &step.suffix, step.suffix_bad)?;
        }
        if pos != line.len() && !(self.trailing_fields && line[pos] == b' ') {
            return Err(Bad::TrailingData);
        }
        let query = slots[slot_of(Field::Query)];
        Ok(RawLine {
            client: slots[slot_of(Field::Client)],
            time: slots[slot_of(Field::Time(TimeFormat::Clf))],
            time_format: self.time_format,
            request: slots[slot_of(Field::Request)],
            method: slots[slot_of(Field::Method)],
            path: slots[slot_of(Field::Path)],
            // nginx and W3C logs write `-` for an empty query.
            query: if query == b"-" {
                b""
            } else {
                query.strip_prefix(b"?").unwrap_or(query)
            },
            status: parse_status(slots[slot_of(Field::Status)])?,
            bytes: if self.has_bytes {
                parse_bytes(slots[slot_of(Field::Bytes)])?
            } else {
                0
            },
            referrer: slots[slot_of(Field::Referrer)],
            user_agent: slots[slot_of(Field::UserAgent)],
            forwarded_for: slots[slot_of(Field::ForwardedFor)],
            accept_language: slots[slot_of(Field::AcceptLanguage)],
        })
    }
}

/// How many kinds of field a line has slots for.
const SLOTS: usize = 13;

/// The slot a field's value is gathered in while a line is cut.
const fn slot_of(field: Field) -> usize {
    match field {
        Field::Client => 0,
        Field::Time(_) => 1,
        Field::Request => 2,
        Field::Method => 3,
        Field::Path => 4,
        Field::Query => 5,
        Field::Status => 6,
        Field::Bytes => 7,
        Field::Referrer => 8,
        Field::UserAgent => 9,
        Field::ForwardedFor => 10,
        Field::AcceptLanguage => 11,
        Field::Skip => 12,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::clf;

    const COMBINED: &str = r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#;

    #[test]
    fn compiled_combined_reads_what_the_hand_parser_reads() {
        let program = FieldProgram::compile(COMBINED).unwrap();
        let text = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/sample-logs/access.log"
        ))
        .unwrap();
        for line in crate::format::lines(&text) {
            assert_eq!(
                program.parse(line),
                clf::parse_combined(line),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn nginx_main_with_forwarded_for() {
        let program = FieldProgram::compile(
            r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for""#,
        )
        .unwrap();
        let raw = program
            .parse(br#"10.0.0.2 - alice [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 12 "-" "curl/8" "203.0.113.9, 10.0.0.1""#)
            .unwrap();
        assert_eq!(
            (raw.client, raw.status, raw.bytes),
            (&b"10.0.0.2"[..], 200, 12)
        );
        assert_eq!(raw.forwarded_for, b"203.0.113.9, 10.0.0.1");
        assert_eq!(raw.time_format, TimeFormat::Clf);
    }

    #[test]
    fn split_request_fields_and_times_with_spaces() {
        let program = FieldProgram::compile("%{%Y-%m-%d %H:%M:%S}t %a %m %U%q %>s %B %D").unwrap();
        let raw = program
            .parse(b"2024-10-10 13:55:36 203.0.113.9 GET /search?q=x 200 512 1234")
            .unwrap();
        assert_eq!(raw.time, b"2024-10-10 13:55:36");
        assert_eq!(
            (raw.method, raw.path, raw.query),
            (&b"GET"[..], &b"/search?q=x"[..], &b""[..])
        );
        assert_eq!(
            raw.time_format.parse(raw.time),
            crate::format::time::parse_iso8601(b"2024-10-10T13:55:36Z")
        );
    }

    #[test]
    fn each_failing_field_has_its_reason() {
        let program = FieldProgram::compile(COMBINED).unwrap();
        let cases: [(&[u8], Bad); 5] = [
            (b"1.2.3.4 - - 10/Oct/2024:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\"", Bad::BadTimestamp),
            (b"1.2.3.4 - - [10/Oct/2024:13:55:36 +0000] \"GET / HTTP/1.1\" 2x0 1 \"-\" \"ua\"", Bad::BadStatus),
            (b"1.2.3.4 - - [10/Oct/2024:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1 \"-\"", Bad::BadUserAgentField),
            (b"1.2.3.4 - - [10/Oct/2024:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\" extra", Bad::TrailingData),
            (b"1.2.3.4", Bad::BadClient),
        ];
        for (line, reason) in cases {
            assert_eq!(
                program.parse(line).err(),
                Some(reason),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn formats_that_cannot_work_are_refused_with_a_column() {
        let err = FieldProgram::compile("%h%l %t \"%r\" %s").unwrap_err();
        assert_eq!(err.column, 1);
        assert!(err.message.contains("nothing between"), "{err}");
        let err = FieldProgram::compile("%h %t %s").unwrap_err();
        assert!(err.message.contains("request"), "{err}");
        let err = FieldProgram::compile("$remote_addr [$time_local] \"$request\"").unwrap_err();
        assert!(err.message.contains("status"), "{err}");
    }
}
