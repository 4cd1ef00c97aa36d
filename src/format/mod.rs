//! Log formats: turning one line of bytes into a borrowed [`RawLine`].
//!
//! [`LogFormat`] names a supported format and parses lines of it; [`preset::detect`] picks one
//! from a sample of lines when the user asks for `auto`.

pub mod clf;
pub mod line;
pub mod preset;
pub mod time;

pub use line::{MalformedReason, RawLine};

use serde::Serialize;
use std::fmt;

/// A log format the parser knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// NCSA combined: common plus Referer and User-Agent (Apache `combined`, nginx default).
    Combined,
    /// NCSA common: no Referer, no User-Agent.
    Common,
    /// Apache `vcombined`: `vhost:port` followed by combined.
    VCombined,
}

impl LogFormat {
    /// Every format, most specific first (the order `auto` breaks ties in).
    pub const ALL: [LogFormat; 3] = [LogFormat::VCombined, LogFormat::Combined, LogFormat::Common];

    /// Parses one line (without its line terminator).
    #[inline]
    pub fn parse(self, line: &[u8]) -> Result<RawLine<'_>, MalformedReason> {
        match self {
            LogFormat::Combined => clf::parse_combined(line),
            LogFormat::Common => clf::parse_common(line),
            LogFormat::VCombined => clf::parse_vcombined(line),
        }
    }

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            LogFormat::Combined => "combined",
            LogFormat::Common => "common",
            LogFormat::VCombined => "vcombined",
        }
    }

    /// The equivalent Apache `LogFormat` string, for `--help` and documentation.
    pub fn format_string(self) -> &'static str {
        match self {
            LogFormat::Combined => r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#,
            LogFormat::Common => r#"%h %l %u %t "%r" %>s %b"#,
            LogFormat::VCombined => {
                r#"%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i""#
            }
        }
    }

    /// Looks a format up by name.
    pub fn from_name(name: &str) -> Option<LogFormat> {
        Self::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the user asked for: one format, or detection from the first lines of each input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatChoice {
    Auto,
    Fixed(LogFormat),
}

impl std::str::FromStr for FormatChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("auto") {
            return Ok(FormatChoice::Auto);
        }
        LogFormat::from_name(s)
            .map(FormatChoice::Fixed)
            .ok_or_else(|| {
                let names: Vec<_> = LogFormat::ALL.iter().map(|f| f.name()).collect();
                format!("unknown log format (expected auto, {})", names.join(", "))
            })
    }
}

/// Splits a chunk into lines without their `\n` or `\r\n` terminators.
#[inline]
pub fn lines(chunk: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = chunk.strip_suffix(b"\n").unwrap_or(chunk);
    let empty = chunk.is_empty();
    body.split(|&b| b == b'\n')
        .filter(move |_| !empty)
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_handle_crlf_and_missing_final_newline() {
        let got: Vec<&[u8]> = lines(b"a\r\nb\n\nc").collect();
        assert_eq!(got, vec![&b"a"[..], b"b", b"", b"c"]);
        let got: Vec<&[u8]> = lines(b"a\n").collect();
        assert_eq!(got, vec![&b"a"[..]]);
        assert_eq!(lines(b"").count(), 0);
    }

    #[test]
    fn format_choice_parses_names() {
        assert_eq!("auto".parse::<FormatChoice>(), Ok(FormatChoice::Auto));
        assert_eq!(
            "COMBINED".parse::<FormatChoice>(),
            Ok(FormatChoice::Fixed(LogFormat::Combined))
        );
        assert!(
            "xml"
                .parse::<FormatChoice>()
                .unwrap_err()
                .contains("vcombined")
        );
    }
}
