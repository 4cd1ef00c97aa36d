//! JSON-lines logs: Caddy's access log. Parsed with serde_json into borrowed raw values, so the
//! fields logveil reads stay slices of the line and the others (cookies, authorization) are
//! skipped without being copied.
//!
//! Strings are kept as they appear between their quotes, escapes untouched: they only feed the
//! privacy step, which hashes the agent and reduces paths and referrers to safe keys.

use super::line::{MalformedReason as Bad, RawLine};
use super::time::TimeFormat;
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct CaddyLine<'a> {
    #[serde(borrow)]
    ts: Option<&'a RawValue>,
    #[serde(borrow)]
    request: Option<CaddyRequest<'a>>,
    status: Option<u16>,
    size: Option<u64>,
}

#[derive(Deserialize)]
struct CaddyRequest<'a> {
    #[serde(borrow)]
    client_ip: Option<&'a RawValue>,
    #[serde(borrow)]
    remote_ip: Option<&'a RawValue>,
    #[serde(borrow)]
    method: Option<&'a RawValue>,
    #[serde(borrow)]
    uri: Option<&'a RawValue>,
    #[serde(borrow)]
    headers: Option<CaddyHeaders<'a>>,
}

/// The only headers read; every other header is skipped by the deserializer.
#[derive(Deserialize)]
struct CaddyHeaders<'a> {
    #[serde(borrow, rename = "User-Agent")]
    user_agent: Option<&'a RawValue>,
    #[serde(borrow, rename = "Referer")]
    referer: Option<&'a RawValue>,
    #[serde(borrow, rename = "X-Forwarded-For")]
    forwarded_for: Option<&'a RawValue>,
    #[serde(borrow, rename = "Accept-Language")]
    accept_language: Option<&'a RawValue>,
}

/// The bytes between the quotes of a raw JSON string (or of the first string of an array).
fn string_of(raw: Option<&RawValue>) -> &[u8] {
    let Some(raw) = raw else { return b"" };
    let text = raw.get().as_bytes();
    let text = text
        .strip_prefix(b"[")
        .map_or(text, <[u8]>::trim_ascii_start);
    match text.strip_prefix(b"\"") {
        Some(rest) => {
            let mut end = 0;
            while end < rest.len() {
                match rest[end] {
                    b'\\' => end += 2,
                    b'"' => return &rest[..end],
                    _ => end += 1,
                }
            }
            b""
        }
        None => b"",
    }
}

/// Parses one line of Caddy's JSON access log.
pub fn parse_caddy(line: &[u8]) -> Result<RawLine<'_>, Bad> {
    if line.first() != Some(&b'{') {
        return Err(Bad::BadField);
    }
    let parsed: CaddyLine<'_> = serde_json::from_slice(line).map_err(|_| Bad::BadField)?;
    let request = parsed.request.ok_or(Bad::BadRequestField)?;
    let headers = request.headers.as_ref();
    let client = match string_of(request.client_ip) {
        b"" => string_of(request.remote_ip),
        ip => ip,
    };
    if client.is_empty() {
        return Err(Bad::BadClient);
    }
    let time = parsed
        .ts
        .map(|t| t.get().as_bytes())
        .ok_or(Bad::BadTimestamp)?;
    Ok(RawLine {
        client,
        time,
        time_format: TimeFormat::EpochSeconds,
        method: string_of(request.method),
        path: string_of(request.uri),
        status: parsed.status.ok_or(Bad::BadStatus)?,
        bytes: parsed.size.unwrap_or(0),
        referrer: string_of(headers.and_then(|h| h.referer)),
        user_agent: string_of(headers.and_then(|h| h.user_agent)),
        forwarded_for: string_of(headers.and_then(|h| h.forwarded_for)),
        accept_language: string_of(headers.and_then(|h| h.accept_language)),
        ..RawLine::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caddy_access_line() {
        let line = br#"{"level":"info","ts":1703373474.8155608,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"10.0.0.1","remote_port":"64985","client_ip":"1.2.3.4","proto":"HTTP/2.0","method":"GET","host":"example.com","uri":"/beta/?q=a\"b","headers":{"Cookie":["secret=1"],"User-Agent":["Mozilla/5.0 (X11) Firefox/121.0"],"Referer":["https://example.com/"],"Accept-Language":["en-IE"]}},"bytes_read":0,"user_id":"","duration":0.0006,"size":7191,"status":200,"resp_headers":{"Server":["Caddy"]}}"#;
        let raw = parse_caddy(line).unwrap();
        assert_eq!(raw.client, b"1.2.3.4");
        assert_eq!(
            (raw.method, raw.path),
            (&b"GET"[..], &br#"/beta/?q=a\"b"#[..])
        );
        assert_eq!((raw.status, raw.bytes), (200, 7191));
        assert_eq!(raw.user_agent, b"Mozilla/5.0 (X11) Firefox/121.0");
        assert_eq!(raw.referrer, b"https://example.com/");
        assert_eq!(raw.accept_language, b"en-IE");
        assert_eq!(raw.time_format.parse(raw.time), Some(1_703_373_474));
    }

    #[test]
    fn broken_json_and_missing_fields_have_reasons() {
        assert_eq!(parse_caddy(b"not json").err(), Some(Bad::BadField));
        assert_eq!(parse_caddy(b"{\"ts\":1").err(), Some(Bad::BadField));
        assert_eq!(
            parse_caddy(br#"{"ts":1,"status":200}"#).err(),
            Some(Bad::BadRequestField)
        );
        assert_eq!(
            parse_caddy(br#"{"ts":1,"request":{"client_ip":"1.2.3.4"}}"#).err(),
            Some(Bad::BadStatus)
        );
        assert_eq!(
            parse_caddy(br#"{"status":200,"request":{"client_ip":"1.2.3.4"}}"#).err(),
            Some(Bad::BadTimestamp)
        );
    }
}
