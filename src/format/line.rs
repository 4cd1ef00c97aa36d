//! The borrowed record a parser yields for one log line, and why a line can fail to parse.

use serde::Serialize;

/// The fields of one log line, borrowed from the chunk it was read from.
///
/// Holds raw identifiers (client, user agent, referrer URL, query string); it cannot outlive its
/// chunk and only [`crate::privacy`] reads it. Ident and remote-user fields are skipped by the
/// parsers and never appear here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawLine<'a> {
    /// Client address or host name, as written.
    pub client: &'a [u8],
    /// Timestamp bytes between the brackets.
    pub time: &'a [u8],
    /// The request line (`GET /path HTTP/1.1`), escapes untouched.
    pub request: &'a [u8],
    pub status: u16,
    pub bytes: u64,
    /// Referer header, `-` or empty when absent (and in formats without it).
    pub referrer: &'a [u8],
    /// User-Agent header, empty in formats without it.
    pub user_agent: &'a [u8],
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
    TrailingData,
}

impl MalformedReason {
    /// Every reason, in report order.
    pub const ALL: [MalformedReason; 12] = [
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
            Self::TrailingData => "trailing_data",
        }
    }

    /// Position in [`Self::ALL`], for array-indexed counters.
    pub fn index(self) -> usize {
        self as usize
    }
}
