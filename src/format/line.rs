//! The borrowed record a parser yields for one log line, and why a line can fail to parse.

use super::time::TimeFormat;
use serde::Serialize;

/// The fields of one log line, borrowed from the chunk it was read from.
///
/// Holds raw identifiers (client, user agent, referrer URL, query string); it cannot outlive its
/// chunk and only [`crate::privacy`] reads it. Ident, remote-user, cookie and authorization
/// fields are skipped by the parsers and never appear here. A field the format lacks is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RawLine<'a> {
    /// Client address or host name, as written.
    pub client: &'a [u8],
    /// Timestamp bytes (without CLF brackets), written in `time_format`.
    pub time: &'a [u8],
    pub time_format: TimeFormat,
    /// The request line (`GET /path HTTP/1.1`), escapes untouched; empty when the format logs
    /// method, path and query apart.
    pub request: &'a [u8],
    /// Method, when logged apart from the request line.
    pub method: &'a [u8],
    /// Path (possibly with `?query`), when logged apart from the request line.
    pub path: &'a [u8],
    /// Query string without its `?`, when logged apart.
    pub query: &'a [u8],
    pub status: u16,
    pub bytes: u64,
    /// Referer header, `-` or empty when absent.
    pub referrer: &'a [u8],
    /// User-Agent header.
    pub user_agent: &'a [u8],
    /// X-Forwarded-For header (for `--client-from xff`).
    pub forwarded_for: &'a [u8],
    /// Accept-Language header.
    pub accept_language: &'a [u8],
}

/// Why a line was not counted. Each reason is counted on its own in every report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MalformedReason {
    EmptyLine,
    LineTooLong,
    BadVhost,
    BadClient,
    BadIdentOrUser,
    BadTimestamp,
    BadRequestField,
    BadStatus,
    BadBytes,
    BadReferrerField,
    BadUserAgentField,
    /// Another field of a custom format did not match its expected shape or separator.
    BadField,
    TrailingData,
}

impl MalformedReason {
    /// Every reason, in report order.
    pub const ALL: [MalformedReason; 13] = [
        Self::EmptyLine,
        Self::LineTooLong,
        Self::BadVhost,
        Self::BadClient,
        Self::BadIdentOrUser,
        Self::BadTimestamp,
        Self::BadRequestField,
        Self::BadStatus,
        Self::BadBytes,
        Self::BadReferrerField,
        Self::BadUserAgentField,
        Self::BadField,
        Self::TrailingData,
    ];

    /// The stable snake_case name used in JSON and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EmptyLine => "empty_line",
            Self::LineTooLong => "line_too_long",
            Self::BadVhost => "bad_vhost",
            Self::BadClient => "bad_client",
            Self::BadIdentOrUser => "bad_ident_or_user",
            Self::BadTimestamp => "bad_timestamp",
            Self::BadRequestField => "bad_request_field",
            Self::BadStatus => "bad_status",
            Self::BadBytes => "bad_bytes",
            Self::BadReferrerField => "bad_referrer_field",
            Self::BadUserAgentField => "bad_user_agent_field",
            Self::BadField => "bad_field",
            Self::TrailingData => "trailing_data",
        }
    }

    /// How far along a typical line a failure with this reason happens: format detection uses
    /// it to name the preset that came closest.
    pub fn progress(self) -> usize {
        match self {
            Self::EmptyLine | Self::LineTooLong => 0,
            Self::BadField => 1,
            Self::BadVhost => 2,
            Self::BadClient => 3,
            Self::BadIdentOrUser => 4,
            Self::BadTimestamp => 5,
            Self::BadRequestField => 6,
            Self::BadStatus => 7,
            Self::BadBytes => 8,
            Self::BadReferrerField => 9,
            Self::BadUserAgentField => 10,
            Self::TrailingData => 11,
        }
    }

    /// Position in [`Self::ALL`], for array-indexed counters.
    pub fn index(self) -> usize {
        self as usize
    }
}
