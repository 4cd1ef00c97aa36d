//! Log formats: turning one line of bytes into a borrowed [`RawLine`].
//!
//! [`LogFormat`] names a supported format and parses lines of it; [`preset::detect`] picks one
//! from a sample of lines when the user asks for `auto`.

pub mod clf;
pub mod find;
pub mod json;
pub mod line;
pub mod preset;
pub mod program;
pub mod spec;
pub mod time;
pub mod w3c;

pub use line::{MalformedReason, RawLine};

use program::FieldProgram;
use spec::ParseFormatError;
use std::fmt;
use std::sync::Arc;

/// A hand-tuned parser for one of the most common formats.
pub type HandParser = for<'a> fn(&'a [u8]) -> Result<RawLine<'a>, MalformedReason>;

enum Parser {
    Hand(HandParser),
    Program(FieldProgram),
    /// W3C extended logs: the layout comes from `#Fields:` directives in the input (see
    /// [`w3c`]); lines can only be read through the layout in force.
    W3c {
        separator: u8,
    },
}

struct Inner {
    name: String,
    format_string: String,
    parser: Parser,
}

/// A log format: a name, the format string it stands for, and what parses its lines. Cheap to
/// clone; built once per run.
#[derive(Clone)]
pub struct LogFormat(Arc<Inner>);

impl LogFormat {
    /// A format parsed by hand-written code.
    pub fn hand(name: &str, format_string: &str, parser: HandParser) -> LogFormat {
        LogFormat(Arc::new(Inner {
            name: name.to_string(),
            format_string: format_string.to_string(),
            parser: Parser::Hand(parser),
        }))
    }

    /// A format compiled from an Apache `LogFormat` or nginx `log_format` string.
    pub fn compiled(name: &str, format_string: &str) -> Result<LogFormat, ParseFormatError> {
        Ok(Self::from_program(
            name,
            FieldProgram::compile(format_string)?,
        ))
    }

    pub fn from_program(name: &str, program: FieldProgram) -> LogFormat {
        LogFormat(Arc::new(Inner {
            name: name.to_string(),
            format_string: program.source().to_string(),
            parser: Parser::Program(program),
        }))
    }

    /// A W3C extended format whose columns, separated by `separator`, are named by `#Fields:`
    /// directives in the input.
    pub fn w3c(name: &str, separator: u8) -> LogFormat {
        let sep = if separator == b'\t' { "tab" } else { "space" };
        LogFormat(Arc::new(Inner {
            name: name.to_string(),
            format_string: format!(
                "#Fields: ... (W3C extended, {sep}-separated; columns named in the file)"
            ),
            parser: Parser::W3c { separator },
        }))
    }

    /// For W3C formats, the column separator; the reader then follows `#Fields:` directives.
    pub fn w3c_separator(&self) -> Option<u8> {
        match self.0.parser {
            Parser::W3c { separator } => Some(separator),
            _ => None,
        }
    }

    /// Parses one line (without its line terminator).
    #[inline]
    pub fn parse<'a>(&self, line: &'a [u8]) -> Result<RawLine<'a>, MalformedReason> {
        match &self.0.parser {
            Parser::Hand(parse) => parse(line),
            Parser::Program(program) => program.parse(line),
            // Data before any `#Fields:` directive has no layout to be read with.
            Parser::W3c { .. } => Err(MalformedReason::BadField),
        }
    }

    /// The preset name, or `custom` for a format string given on the command line.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The format string (Apache `LogFormat` or nginx `log_format` syntax).
    pub fn format_string(&self) -> &str {
        &self.0.format_string
    }
}

impl PartialEq for LogFormat {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name() && self.format_string() == other.format_string()
    }
}

impl Eq for LogFormat {}

impl fmt::Debug for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LogFormat({})", self.name())
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the user asked for: one format, or detection from the first lines of each input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatChoice {
    Auto,
    Fixed(LogFormat),
}

impl std::str::FromStr for FormatChoice {
    type Err = String;

    /// `auto`, a preset name, or a format string (Apache `%` directives or nginx `$` variables).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("auto") {
            return Ok(FormatChoice::Auto);
        }
        if let Some(preset) = preset::by_name(s) {
            return Ok(FormatChoice::Fixed(preset));
        }
        if s.contains(['%', '$']) {
            return LogFormat::compiled("custom", s)
                .map(FormatChoice::Fixed)
                .map_err(|e| format!("in the format string at {e}"));
        }
        Err(format!(
            "unknown log format (expected auto, a format string, or one of: {})",
            preset::all()
                .iter()
                .map(LogFormat::name)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

/// Splits a chunk into lines without their `\n` or `\r\n` terminators.
///
/// perf: memchr finds the line ends; `slice::split` with a closure compares byte by byte and
/// cost a quarter of the parse stage (callgrind, `examples/parse_cost.rs`).
#[inline]
pub fn lines(chunk: &[u8]) -> Lines<'_> {
    Lines { rest: chunk }
}

/// Iterator returned by [`lines`].
pub struct Lines<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let (line, rest) = match memchr::memchr(b'\n', self.rest) {
            Some(at) => (&self.rest[..at], &self.rest[at + 1..]),
            None => (self.rest, &b""[..]),
        };
        self.rest = rest;
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    }
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
    fn format_choice_parses_names_and_strings() {
        assert_eq!("auto".parse::<FormatChoice>(), Ok(FormatChoice::Auto));
        assert_eq!(
            "COMBINED".parse::<FormatChoice>(),
            Ok(FormatChoice::Fixed(preset::by_name("combined").unwrap()))
        );
        assert!(
            "xml"
                .parse::<FormatChoice>()
                .unwrap_err()
                .contains("vcombined")
        );
        let FormatChoice::Fixed(custom) = "%h %t \"%r\" %>s".parse::<FormatChoice>().unwrap()
        else {
            panic!("a format string is a fixed format")
        };
        assert_eq!(custom.name(), "custom");
        let err = "%h %t %Z".parse::<FormatChoice>().unwrap_err();
        assert!(err.contains("column 7"), "{err}");
    }
}
