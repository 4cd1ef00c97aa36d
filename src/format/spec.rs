//! Format strings: nom parsers for Apache `LogFormat` directives and nginx `log_format`
//! variables, turned into a list of [`Directive`]s that [`super::program`] compiles.
//!
//! Syntax is parsed with nom; the meaning of each directive is checked after, so every error
//! points at the column (from 1) where the offending directive starts.

use super::time::{TimeFormat, compile_strftime};
use nom::branch::alt;
use nom::bytes::complete::{is_not, tag, take_while1};
use nom::character::complete::{anychar, char, one_of};
use nom::combinator::{map, opt, recognize};
use nom::multi::many0;
use nom::sequence::{delimited, preceded};
use nom::{IResult, Parser};

/// What a field of a log line holds, as far as logveil cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Client,
    Time(TimeFormat),
    Request,
    Method,
    /// Path, possibly followed by `?query`.
    Path,
    /// Query string (a leading `?` is dropped).
    Query,
    Status,
    Bytes,
    Referrer,
    UserAgent,
    ForwardedFor,
    AcceptLanguage,
    /// Anything else: matched, never copied (ident, user, cookies, timings, ...).
    Skip,
}

/// One element of a format string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directive {
    Literal(Vec<u8>),
    Field { field: Field, column: usize },
}

/// A format string that does not parse or names something logveil cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct ParseFormatError {
    /// Column (from 1, in characters) where the problem starts.
    pub column: usize,
    pub message: String,
}

fn error(text: &str, rest: &str, message: impl Into<String>) -> ParseFormatError {
    let offset = text.len() - rest.len();
    ParseFormatError {
        column: text[..offset].chars().count() + 1,
        message: message.into(),
    }
}

/// A `%` directive before its meaning is known.
struct ApacheToken<'a> {
    arg: Option<&'a str>,
    name: &'a str,
}

enum Token<'a> {
    Literal(&'a str),
    Percent(ApacheToken<'a>, &'a str),
}

fn apache_token(input: &str) -> IResult<&str, Token<'_>> {
    let literal = map(is_not("%"), Token::Literal);
    let percent_sign = map(tag("%%"), Token::Literal);
    let directive = map(
        recognize((
            char('%'),
            opt(preceded(
                opt(char('!')),
                take_while1(|c: char| c.is_ascii_digit() || c == ','),
            )),
            opt(one_of("<>")),
            opt(delimited(char('{'), is_not("}"), char('}'))),
            alt((recognize((char('^'), anychar, anychar)), recognize(anychar))),
        )),
        |whole: &str| Token::Percent(split_apache(whole), whole),
    );
    alt((percent_sign, directive, literal)).parse(input)
}

/// Splits an already recognised `%...` directive into its argument and name.
fn split_apache(whole: &str) -> ApacheToken<'_> {
    let body = &whole[1..];
    let body = body.trim_start_matches(|c: char| c == '!' || c == ',' || c.is_ascii_digit());
    let body = body.trim_start_matches(['<', '>']);
    match body.strip_prefix('{').and_then(|b| b.split_once('}')) {
        Some((arg, name)) => ApacheToken {
            arg: Some(arg),
            name,
        },
        None => ApacheToken {
            arg: None,
            name: body,
        },
    }
}

/// Applies Apache's escapes in literal text: `%%`, `\"`, `\\`, `\n`, `\t`.
fn unescape(text: &str) -> Vec<u8> {
    if text == "%%" {
        return b"%".to_vec();
    }
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.bytes();
    while let Some(b) = chars.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match chars.next() {
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(other) => out.push(other),
            None => out.push(b'\\'),
        }
    }
    out
}

/// Turns tokens into directives: literals through `literal`, directives through `field`, with
/// every error placed at the column where its token starts.
fn directives<'a>(
    text: &'a str,
    tokens: Vec<Token<'a>>,
    literal: impl Fn(&str) -> Vec<u8>,
    field: impl Fn(&ApacheToken<'a>) -> Result<Field, String>,
) -> Result<Vec<Directive>, ParseFormatError> {
    let mut out = Vec::new();
    for token in tokens {
        match token {
            Token::Literal(lit) => out.push(Directive::Literal(literal(lit))),
            Token::Percent(d, whole) => {
                // Tokens are slices of `text`: their offset gives the column.
                let here = &text[whole.as_ptr() as usize - text.as_ptr() as usize..];
                let column = error(text, here, "").column;
                let f = field(&d).map_err(|m| error(text, here, m))?;
                // Apache writes a plain %t with its brackets.
                let bracketed = whole.starts_with('%') && d.name == "t" && d.arg.is_none();
                if bracketed {
                    out.push(Directive::Literal(b"[".to_vec()));
                }
                out.push(Directive::Field { field: f, column });
                if bracketed {
                    out.push(Directive::Literal(b"]".to_vec()));
                }
            }
        }
    }
    Ok(out)
}

/// Parses an Apache `LogFormat` string.
pub fn parse_apache(text: &str) -> Result<Vec<Directive>, ParseFormatError> {
    let (rest, tokens) = many0(apache_token)
        .parse(text)
        .map_err(|_| error(text, text, "cannot parse"))?;
    if !rest.is_empty() {
        return Err(error(text, rest, "incomplete directive"));
    }
    directives(text, tokens, unescape, apache_field)
}

fn apache_field(d: &ApacheToken<'_>) -> Result<Field, String> {
    Ok(match (d.name, d.arg) {
        ("h" | "a", _) => Field::Client,
        ("t", None) => Field::Time(TimeFormat::Clf),
        ("t", Some(arg)) => {
            let arg = arg.trim_start_matches("begin:").trim_start_matches("end:");
            Field::Time(match arg {
                "sec" => TimeFormat::EpochSeconds,
                "msec" => TimeFormat::EpochMillis,
                "usec" => TimeFormat::EpochMicros,
                "msec_frac" | "usec_frac" => {
                    return Err(format!("%{{{arg}}}t alone carries no date"));
                }
                pattern => TimeFormat::Strftime(compile_strftime(pattern)?),
            })
        }
        ("r", None) => Field::Request,
        ("m", None) => Field::Method,
        ("U", None) => Field::Path,
        ("q", None) => Field::Query,
        ("s", None) => Field::Status,
        ("b" | "B" | "O", None) => Field::Bytes,
        ("i", Some(header)) => header_field(header),
        ("i", None) => return Err("%i needs a header name: %{Referer}i".into()),
        (
            "l" | "u" | "H" | "I" | "S" | "D" | "T" | "v" | "V" | "p" | "P" | "X" | "k" | "L" | "R"
            | "f" | "A" | "C" | "e" | "n" | "o" | "^ti" | "^to",
            _,
        ) => Field::Skip,
        (name, _) => return Err(format!("unknown directive %{name}")),
    })
}

fn header_field(header: &str) -> Field {
    match header.to_ascii_lowercase().replace('_', "-").as_str() {
        "referer" | "referrer" => Field::Referrer,
        "user-agent" => Field::UserAgent,
        "x-forwarded-for" => Field::ForwardedFor,
        "accept-language" => Field::AcceptLanguage,
        // Cookies, authorization and every other header are matched, never copied.
        _ => Field::Skip,
    }
}

fn nginx_token(input: &str) -> IResult<&str, Token<'_>> {
    let name = |i| take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_').parse(i);
    let variable = map(
        recognize(preceded(
            char('$'),
            alt((delimited(char('{'), name, char('}')), name)),
        )),
        |whole: &str| {
            let name = whole
                .trim_start_matches('$')
                .trim_start_matches('{')
                .trim_end_matches('}');
            Token::Percent(ApacheToken { arg: None, name }, whole)
        },
    );
    let literal = map(is_not("$"), Token::Literal);
    alt((variable, literal)).parse(input)
}

/// Parses an nginx `log_format` string.
pub fn parse_nginx(text: &str) -> Result<Vec<Directive>, ParseFormatError> {
    let (rest, tokens) = many0(nginx_token)
        .parse(text)
        .map_err(|_| error(text, text, "cannot parse"))?;
    if !rest.is_empty() {
        return Err(error(text, rest, "a $ must start a variable name"));
    }
    directives(
        text,
        tokens,
        |lit| lit.as_bytes().to_vec(),
        |v| Ok(nginx_field(v.name)),
    )
}

fn nginx_field(name: &str) -> Field {
    match name {
        "remote_addr" | "realip_remote_addr" | "binary_remote_addr" => Field::Client,
        "time_local" => Field::Time(TimeFormat::Clf),
        "time_iso8601" => Field::Time(TimeFormat::Iso8601),
        "msec" => Field::Time(TimeFormat::EpochSeconds),
        "request" => Field::Request,
        "request_method" => Field::Method,
        "request_uri" | "uri" | "document_uri" => Field::Path,
        "args" | "query_string" => Field::Query,
        "status" => Field::Status,
        "body_bytes_sent" | "bytes_sent" => Field::Bytes,
        other => match other.strip_prefix("http_") {
            Some(header) => header_field(header),
            None => Field::Skip,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(directives: &[Directive]) -> Vec<Field> {
        directives
            .iter()
            .filter_map(|d| match d {
                Directive::Field { field, .. } => Some(*field),
                Directive::Literal(_) => None,
            })
            .collect()
    }

    #[test]
    fn apache_combined_parses_into_fields_and_literals() {
        let d = parse_apache(r#"%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\""#)
            .unwrap();
        assert_eq!(
            fields(&d),
            vec![
                Field::Client,
                Field::Skip,
                Field::Skip,
                Field::Time(TimeFormat::Clf),
                Field::Request,
                Field::Status,
                Field::Bytes,
                Field::Referrer,
                Field::UserAgent,
            ]
        );
        // %t brings its brackets; \" is a quote.
        assert_eq!(
            &d[5..8],
            &[
                Directive::Literal(b" ".to_vec()),
                Directive::Literal(b"[".to_vec()),
                Directive::Field {
                    field: Field::Time(TimeFormat::Clf),
                    column: 10
                },
            ]
        );
        assert_eq!(d[9], Directive::Literal(b" \"".to_vec()));
    }

    #[test]
    fn apache_directive_forms() {
        let d =
            parse_apache("%{%Y-%m-%d %H:%M:%S}t %400,501{Cookie}i %!200>s %% %{c}a %^ti").unwrap();
        let f = fields(&d);
        assert!(matches!(f[0], Field::Time(TimeFormat::Strftime(_))));
        assert_eq!(
            &f[1..],
            &[Field::Skip, Field::Status, Field::Client, Field::Skip]
        );
        assert!(d.contains(&Directive::Literal(b"%".to_vec())));
    }

    #[test]
    fn apache_errors_point_at_the_column() {
        let err = parse_apache("%h %l %Z %t").unwrap_err();
        assert_eq!(err.column, 7);
        assert!(err.message.contains("%Z"), "{err}");
        let err = parse_apache("%h %{%Q}t").unwrap_err();
        assert_eq!(err.column, 4);
        let err = parse_apache("%h %").unwrap_err();
        assert_eq!(err.column, 4);
    }

    #[test]
    fn nginx_main_parses() {
        let d = parse_nginx(
            r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for""#,
        )
        .unwrap();
        assert_eq!(
            fields(&d),
            vec![
                Field::Client,
                Field::Skip,
                Field::Time(TimeFormat::Clf),
                Field::Request,
                Field::Status,
                Field::Bytes,
                Field::Referrer,
                Field::UserAgent,
                Field::ForwardedFor,
            ]
        );
        assert_eq!(
            d[0],
            Directive::Field {
                field: Field::Client,
                column: 1
            }
        );
        assert_eq!(
            parse_nginx("${msec} $http_cookie").map(|d| fields(&d)),
            Ok(vec![Field::Time(TimeFormat::EpochSeconds), Field::Skip])
        );
        assert_eq!(parse_nginx("$remote_addr $").unwrap_err().column, 14);
    }
}
