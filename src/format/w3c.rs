//! W3C extended logs (IIS, CloudFront, Netscaler): the layout comes from `#Fields:` directives in
//! the file itself and may change mid-file. The reader thread follows the directives and hands
//! each run of data lines to the workers with the layout in force for it.

use super::LogFormat;
use super::program::FieldProgram;
use super::spec::{Directive, Field, ParseFormatError};
use super::time::TimeFormat;

/// Prefix of the directive that names the columns.
pub const FIELDS_DIRECTIVE: &[u8] = b"#Fields:";

/// The field a W3C column name holds.
fn field_of(name: &str) -> Field {
    match name.to_ascii_lowercase().as_str() {
        "c-ip" => Field::Client,
        "cs-method" => Field::Method,
        "cs-uri-stem" | "cs-uri" => Field::Path,
        "cs-uri-query" => Field::Query,
        "sc-status" => Field::Status,
        "sc-bytes" => Field::Bytes,
        "cs(referer)" | "cs(referrer)" => Field::Referrer,
        "cs(user-agent)" => Field::UserAgent,
        "cs(x-forwarded-for)" | "x-forwarded-for" => Field::ForwardedFor,
        "cs(accept-language)" => Field::AcceptLanguage,
        // Usernames, cookies and everything else are matched, never copied.
        _ => Field::Skip,
    }
}

/// Compiles a `#Fields:` line (with or without its prefix) into a format whose columns are
/// separated by `separator` (space for IIS, tab for CloudFront).
pub fn layout(
    name: &str,
    fields_line: &[u8],
    separator: u8,
) -> Result<LogFormat, ParseFormatError> {
    let text = String::from_utf8_lossy(fields_line);
    let text = text.trim_start_matches("#Fields:").trim();
    let names: Vec<&str> = text.split_ascii_whitespace().collect();
    let mut directives = Vec::new();
    let mut column = 1;
    let mut i = 0;
    while i < names.len() {
        if i > 0 {
            directives.push(Directive::Literal(vec![separator]));
        }
        let name = names[i];
        let field = match name {
            // `date time` side by side read as one timestamp.
            "date" if names.get(i + 1) == Some(&"time") => {
                i += 1;
                Field::Time(TimeFormat::W3cDateTime)
            }
            // IIS Advanced Logging: local time, read as UTC for want of an offset.
            "date-local" if names.get(i + 1) == Some(&"time-local") => {
                i += 1;
                Field::Time(TimeFormat::W3cDateTime)
            }
            "date" | "time" | "date-local" | "time-local" => {
                return Err(ParseFormatError {
                    column,
                    message: "W3C logs with the date and time columns apart are not supported"
                        .into(),
                });
            }
            _ => field_of(name),
        };
        directives.push(Directive::Field { field, column });
        column += name.len() + 1;
        i += 1;
    }
    let program = FieldProgram::from_directives(&directives, text)?.with_quoted_values();
    Ok(LogFormat::from_program(name, program))
}

/// Whether `line` is a W3C directive (`#Version:`, `#Fields:`, ...) or blank: not a log entry.
#[inline]
pub fn is_directive(line: &[u8]) -> bool {
    line.first() == Some(&b'#') || line.iter().all(u8::is_ascii_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    const IIS_FIELDS: &[u8] = b"#Fields: date time s-sitename s-computername s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs-version cs(User-Agent) cs(Cookie) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken";

    #[test]
    fn iis_line_reads_through_its_fields_directive() {
        let format = layout("w3c", IIS_FIELDS, b' ').unwrap();
        // From the IIS sample: the cookie column is quoted and holds spaces.
        let line = br#"2012-04-01 00:00:13 W3SVC834221556 PXQD1 5.6.7.8 GET /foo/bar topCat1=divinity&submit=Search 80 theuser 1.2.3.4 HTTP/1.1 Mozilla/5.0+(X11;+U;+Linux+i686;+en-US;+rv:1.9.2.7)+Gecko/20100722+Firefox/3.6.7 "ASP.NET_SessionId=sldfkjs; __utma=21468.206199.142713.144683.183.1; utmccn=(direct)|utmcsr=(direct)|utmcmd=(none)" - example.com 200 654 456 27028 214 1687"#;
        let raw = format.parse(line).unwrap();
        assert_eq!(raw.client, b"1.2.3.4");
        assert_eq!(
            (raw.method, raw.path, raw.query),
            (
                &b"GET"[..],
                &b"/foo/bar"[..],
                &b"topCat1=divinity&submit=Search"[..]
            )
        );
        assert_eq!((raw.status, raw.bytes), (200, 27028));
        assert_eq!(
            raw.time_format.parse(raw.time),
            crate::format::time::parse_iso8601(b"2012-04-01T00:00:13Z")
        );
    }

    #[test]
    fn tab_separated_cloudfront_columns() {
        let format = layout("cloudfront", b"#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query", b'\t').unwrap();
        let raw = format
            .parse(b"2014-05-23\t01:13:11\tFRA2\t182\t192.0.2.10\tGET\td111111abcdef8.cloudfront.net\t/view/my/file.html\t200\thttps://example.com/\tMozilla/5.0%2520(Windows)\t-")
            .unwrap();
        assert_eq!(
            (raw.client, raw.path, raw.query, raw.bytes),
            (
                &b"192.0.2.10"[..],
                &b"/view/my/file.html"[..],
                &b""[..],
                182
            )
        );
    }

    #[test]
    fn quoted_values_lose_their_quotes() {
        let format = layout("w3c", b"#Fields: date time c-ip cs-uri sc-status", b' ').unwrap();
        let raw = format
            .parse(br#""2017-06-28" "07:26:35" "123.123.123.123" "/a b" "200""#)
            .unwrap();
        assert_eq!(
            (raw.client, raw.path, raw.status),
            (&b"123.123.123.123"[..], &b"/a b"[..], 200)
        );
        assert_eq!(
            raw.time_format.parse(raw.time),
            crate::format::time::parse_iso8601(b"2017-06-28T07:26:35Z")
        );
    }

    #[test]
    fn date_and_time_apart_are_refused() {
        let err = layout(
            "w3c",
            b"#Fields: c-ip c-dns date cs-uri-stem c-status time",
            b' ',
        )
        .unwrap_err();
        assert!(err.message.contains("apart"), "{err}");
    }
}
