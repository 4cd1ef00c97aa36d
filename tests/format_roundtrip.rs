//! Records rendered through Apache and nginx format strings parse back to the same fields.

use logveil::format::spec::{self, Directive, Field};
use logveil::format::time::TimeFormat;
use logveil::format::{LogFormat, RawLine};
use proptest::prelude::*;

const FORMATS: &[&str] = &[
    r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#,
    r#"%h %l %u %t "%r" %>s %b"#,
    r#"%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i""#,
    r#"%t %a "%m %U%q %H" %>s %B "%{User-Agent}i" %D "%{X-Forwarded-For}i""#,
    r#"%{%d/%b/%Y:%H:%M:%S %z}t|%h|%>s|%b|%r|%{Accept-Language}i"#,
    r#"%{sec}t %h "%r" %s %b"#,
    r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for""#,
    r#"$time_iso8601 $remote_addr "$request_method $request_uri $server_protocol" $status $bytes_sent "$http_user_agent" "$http_accept_language" $request_time"#,
    r#"$msec $remote_addr $status $body_bytes_sent "$request" "$http_referer""#,
];

#[derive(Debug, Clone)]
struct Record {
    client: String,
    time: i64,
    offset_minutes: i32,
    method: String,
    path: String,
    query: String,
    status: u16,
    bytes: u64,
    referrer: String,
    agent: String,
    forwarded_for: String,
    language: String,
}

fn record() -> impl Strategy<Value = Record> {
    (
        (
            any::<[u8; 4]>(),
            0i64..4_000_000_000,
            prop::sample::select(vec![0, 60, -240, 330, -600]),
        ),
        (
            prop::sample::select(vec!["GET", "POST", "HEAD", "PUT"]),
            "/[a-z0-9/._-]{0,30}",
            "([a-z]{1,5}=[a-z0-9]{0,5}&?){0,3}",
        ),
        (100u16..600, any::<u32>()),
        (
            "https?://[a-z]{1,10}\\.(com|org|co\\.uk)/[a-z]{0,8}|-",
            "[A-Za-z0-9 ();,./:_-]{1,60}( \\\\\"quoted\\\\\")?",
        ),
        (
            "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(, 10\\.0\\.0\\.[0-9])?",
            "[a-z]{2}(-[A-Z]{2})?(,[a-z]{2};q=0\\.[0-9])?",
        ),
    )
        .prop_map(
            |(
                (ip, time, offset_minutes),
                (method, path, query),
                (status, bytes),
                (referrer, agent),
                (forwarded_for, language),
            )| Record {
                client: format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3]),
                time,
                offset_minutes,
                method: method.to_string(),
                path: format!("/{}", path.trim_start_matches('/')),
                query: query.trim_end_matches('&').to_string(),
                status,
                bytes: u64::from(bytes),
                referrer,
                agent: agent.trim().to_string().replace("\\\\\"", "\\\""),
                forwarded_for,
                language,
            },
        )
}

fn clf_time(t: i64, offset_minutes: i32) -> String {
    let offset = time::UtcOffset::from_whole_seconds(offset_minutes * 60).unwrap();
    let dt = time::OffsetDateTime::from_unix_timestamp(t)
        .unwrap()
        .to_offset(offset);
    let f = time::macros::format_description!(
        "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
    );
    dt.format(&f).unwrap()
}

fn iso_time(t: i64, offset_minutes: i32) -> String {
    let offset = time::UtcOffset::from_whole_seconds(offset_minutes * 60).unwrap();
    let dt = time::OffsetDateTime::from_unix_timestamp(t)
        .unwrap()
        .to_offset(offset);
    dt.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// Renders `r` through a format string's directives, as the server would write it.
fn render(directives: &[Directive], r: &Record) -> String {
    let target = if r.query.is_empty() {
        r.path.clone()
    } else {
        format!("{}?{}", r.path, r.query)
    };
    let mut out = String::new();
    for d in directives {
        match d {
            Directive::Literal(bytes) => out.push_str(std::str::from_utf8(bytes).unwrap()),
            Directive::Field { field, .. } => out.push_str(&match field {
                Field::Client => r.client.clone(),
                Field::Time(TimeFormat::Clf) => clf_time(r.time, r.offset_minutes),
                Field::Time(TimeFormat::Iso8601) => iso_time(r.time, r.offset_minutes),
                Field::Time(TimeFormat::EpochSeconds) => {
                    format!("{}.{:03}", r.time, r.bytes % 1000)
                }
                Field::Time(TimeFormat::Strftime(_)) => clf_time(r.time, r.offset_minutes),
                Field::Time(other) => panic!("no renderer for {other:?}"),
                Field::Request => format!("{} {} HTTP/1.1", r.method, target),
                Field::Method => r.method.clone(),
                Field::Path => target.clone(),
                // The query travels with the path in these formats (`%U%q`, `$request_uri`).
                Field::Query => String::new(),
                Field::Status => r.status.to_string(),
                Field::Bytes => r.bytes.to_string(),
                Field::Referrer => r.referrer.clone(),
                Field::UserAgent => r.agent.clone(),
                Field::ForwardedFor => r.forwarded_for.clone(),
                Field::AcceptLanguage => r.language.clone(),
                Field::Skip => "-".to_string(),
            }),
        }
    }
    out
}

fn check(raw: &RawLine<'_>, directives: &[Directive], r: &Record) -> Result<(), TestCaseError> {
    let has = |f: fn(&Field) -> bool| {
        directives
            .iter()
            .any(|d| matches!(d, Directive::Field { field, .. } if f(field)))
    };
    let target = if r.query.is_empty() {
        r.path.clone()
    } else {
        format!("{}?{}", r.path, r.query)
    };
    prop_assert_eq!(raw.client, r.client.as_bytes());
    prop_assert_eq!(raw.time_format.parse(raw.time), Some(r.time));
    prop_assert_eq!(raw.status, r.status);
    if has(|f| *f == Field::Bytes) {
        prop_assert_eq!(raw.bytes, r.bytes);
    }
    if has(|f| *f == Field::Request) {
        let request = format!("{} {} HTTP/1.1", r.method, target);
        prop_assert_eq!(raw.request, request.as_bytes());
    } else {
        prop_assert_eq!(raw.method, r.method.as_bytes());
        prop_assert_eq!(raw.path, target.as_bytes());
    }
    if has(|f| *f == Field::Referrer) {
        prop_assert_eq!(raw.referrer, r.referrer.as_bytes());
    }
    if has(|f| *f == Field::UserAgent) {
        prop_assert_eq!(raw.user_agent, r.agent.as_bytes());
    }
    if has(|f| *f == Field::ForwardedFor) {
        prop_assert_eq!(raw.forwarded_for, r.forwarded_for.as_bytes());
    }
    if has(|f| *f == Field::AcceptLanguage) {
        prop_assert_eq!(raw.accept_language, r.language.as_bytes());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn rendered_records_parse_back(r in record(), which in 0..FORMATS.len()) {
        let text = FORMATS[which];
        let directives = if text.contains('$') { spec::parse_nginx(text) } else { spec::parse_apache(text) }.unwrap();
        let format = LogFormat::compiled("custom", text).unwrap();
        let line = render(&directives, &r);
        let raw = format.parse(line.as_bytes());
        prop_assert!(raw.is_ok(), "{:?} on {}", raw, line);
        check(&raw.unwrap(), &directives, &r)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(line in prop::collection::vec(any::<u8>(), 0..200), which in 0..FORMATS.len()) {
        let format = LogFormat::compiled("custom", FORMATS[which]).unwrap();
        let _ = format.parse(&line);
    }
}
