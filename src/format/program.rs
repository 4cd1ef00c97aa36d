//! [`FieldProgram`]: a format string compiled once into steps that cut a line into a
//! [`RawLine`] with memchr, the way the hand-written parsers do (memchr's build-once habit).
//!
//! A field ends at the first byte of the literal that follows it (or at the end of the line); a
//! field between two `"` literals is quoted and ends at the first unescaped quote. A field whose
//! value has a fixed number of separators inside (a CLF time has one space) skips that many.

use super::clf::{is_escaped, parse_bytes, parse_status};
use super::line::{MalformedReason as Bad, RawLine};
use super::spec::{self, Directive, Field, ParseFormatError};
use super::time::{StrftimeItem, TimeFormat};
use memchr::memchr;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// Exact bytes; `bad` is the reason given when they are not there.
    Literal { bytes: Box<[u8]>, bad: Bad },
    Field {
        field: Field,
        end: End,
        quoted: bool,
        skip: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Byte(u8),
    EndOfLine,
}

/// A compiled log format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProgram {
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
        let mut steps = Vec::new();
        let mut seen = Vec::new();
        for (i, d) in merged.iter().enumerate() {
            match d {
                Directive::Literal(bytes) => {
                    let bad = match merged.get(i + 1) {
                        Some(Directive::Field { field, .. }) => reason_of(*field),
                        _ => match i.checked_sub(1).and_then(|p| merged.get(p)) {
                            Some(Directive::Field { field, .. }) => reason_of(*field),
                            _ => Bad::BadField,
                        },
                    };
                    steps.push(Step::Literal {
                        bytes: bytes.clone().into_boxed_slice(),
                        bad,
                    });
                }
                Directive::Field { field, column } => {
                    let next = merged.get(i + 1);
                    let end = match next {
                        Some(Directive::Literal(lit)) => End::Byte(lit[0]),
                        Some(Directive::Field { .. }) => {
                            return Err(ParseFormatError {
                                column: *column,
                                message:
                                    "two fields with nothing between them cannot be told apart"
                                        .into(),
                            });
                        }
                        None => End::EndOfLine,
                    };
                    let prev_quote = i > 0
                        && matches!(&merged[i - 1], Directive::Literal(l) if l.ends_with(b"\""));
                    let quoted = prev_quote && end == End::Byte(b'"');
                    let skip = match end {
                        End::Byte(b) if !quoted => inner_count(*field, b),
                        _ => 0,
                    };
                    steps.push(Step::Field {
                        field: *field,
                        end,
                        quoted,
                        skip,
                    });
                    seen.push(*field);
                }
            }
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
        Ok(FieldProgram {
            steps,
            source: text.to_string(),
            trailing_fields: false,
            squeeze_spaces: false,
            quoted_values: false,
        })
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
        let mut raw = RawLine::default();
        let mut pos = 0;
        for step in &self.steps {
            match step {
                Step::Literal { bytes, bad } => {
                    let mut bytes = &bytes[..];
                    if self.squeeze_spaces && bytes.first() == Some(&b' ') {
                        let spaces = line[pos..].iter().take_while(|&&b| b == b' ').count();
                        if spaces == 0 {
                            return Err(*bad);
                        }
                        pos += spaces;
                        bytes = &bytes[1..];
                    }
                    if !line[pos..].starts_with(bytes) {
                        return Err(*bad);
                    }
                    pos += bytes.len();
                }
                Step::Field {
                    field,
                    end,
                    quoted,
                    skip,
                } => {
                    let rest = &line[pos..];
                    let len = if *quoted {
                        quoted_len(rest).ok_or(reason_of(*field))?
                    } else if self.quoted_values
                        && rest.first() == Some(&b'"')
                        && *field != Field::Time(TimeFormat::W3cDateTime)
                    {
                        // A W3C value in quotes: store what is inside them.
                        let inner = quoted_len(&rest[1..]).ok_or(reason_of(*field))?;
                        store(&mut raw, *field, &rest[1..1 + inner])?;
                        pos += inner + 2;
                        continue;
                    } else {
                        match end {
                            End::EndOfLine => rest.len(),
                            End::Byte(b) => nth_byte(rest, *b, *skip).ok_or(reason_of(*field))?,
                        }
                    };
                    let value = &rest[..len];
                    pos += len;
                    store(&mut raw, *field, value)?;
                }
            }
        }
        if pos != line.len() && !(self.trailing_fields && line[pos] == b' ') {
            return Err(Bad::TrailingData);
        }
        Ok(raw)
    }
}

/// Length of a quoted value up to its first unescaped `"`.
#[inline]
fn quoted_len(rest: &[u8]) -> Option<usize> {
    let mut from = 0;
    loop {
        let at = from + memchr(b'"', &rest[from..])?;
        if !is_escaped(&rest[..at]) {
            return Some(at);
        }
        from = at + 1;
    }
}

/// Position of the occurrence of `byte` after skipping `skip` of them.
#[inline]
fn nth_byte(rest: &[u8], byte: u8, skip: usize) -> Option<usize> {
    let mut from = 0;
    for _ in 0..skip {
        from += memchr(byte, &rest[from..])? + 1;
    }
    Some(from + memchr(byte, &rest[from..])?)
}

#[inline]
fn store<'a>(raw: &mut RawLine<'a>, field: Field, value: &'a [u8]) -> Result<(), Bad> {
    match field {
        Field::Client => raw.client = value,
        Field::Time(format) => {
            raw.time = value;
            raw.time_format = format;
        }
        Field::Request => raw.request = value,
        Field::Method => raw.method = value,
        Field::Path => raw.path = value,
        Field::Query => {
            // nginx and W3C logs write `-` for an empty query.
            raw.query = if value == b"-" {
                b""
            } else {
                value.strip_prefix(b"?").unwrap_or(value)
            }
        }
        Field::Status => raw.status = parse_status(value)?,
        Field::Bytes => raw.bytes = parse_bytes(value)?,
        Field::Referrer => raw.referrer = value,
        Field::UserAgent => raw.user_agent = value,
        Field::ForwardedFor => raw.forwarded_for = value,
        Field::AcceptLanguage => raw.accept_language = value,
        Field::Skip => {}
    }
    Ok(())
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
