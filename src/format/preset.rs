//! Format detection for `--log-format auto`: try every known format on a sample of lines and keep
//! the one that parses the most.

use super::{LogFormat, lines};

/// How many non-empty lines detection looks at.
pub const SAMPLE_LINES: usize = 200;

/// The outcome of detection on one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detection {
    pub format: LogFormat,
    /// Sample lines the chosen format parsed.
    pub matched: usize,
    /// Non-empty sample lines looked at.
    pub sampled: usize,
}

/// Picks the format that parses most of the first [`SAMPLE_LINES`] non-empty lines of `sample`.
///
/// Ties go to the more specific format. Returns `None` when no format parses any sampled line.
pub fn detect(sample: &[u8]) -> Option<Detection> {
    let sampled: Vec<&[u8]> = lines(sample)
        .filter(|l| !l.is_empty())
        .take(SAMPLE_LINES)
        .collect();
    let mut best: Option<Detection> = None;
    for format in LogFormat::ALL {
        let matched = sampled.iter().filter(|l| format.parse(l).is_ok()).count();
        if matched > 0 && best.is_none_or(|b| matched > b.matched) {
            best = Some(Detection {
                format,
                matched,
                sampled: sampled.len(),
            });
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format_on_its_own_lines() {
        let common = b"1.2.3.4 - - [01/Aug/1995:00:00:07 -0400] \"GET / HTTP/1.0\" 304 0\n";
        let combined =
            b"1.2.3.4 - - [01/Aug/1995:00:00:07 -0400] \"GET / HTTP/1.0\" 304 0 \"-\" \"ua\"\n";
        let mut vcombined = b"example.org:80 ".to_vec();
        vcombined.extend_from_slice(combined);
        assert_eq!(detect(common).unwrap().format, LogFormat::Common);
        assert_eq!(detect(combined).unwrap().format, LogFormat::Combined);
        let d = detect(&vcombined).unwrap();
        assert_eq!(
            (d.format, d.matched, d.sampled),
            (LogFormat::VCombined, 1, 1)
        );
    }

    #[test]
    fn majority_wins_and_garbage_detects_nothing() {
        let mut mixed = Vec::new();
        for _ in 0..3 {
            mixed.extend_from_slice(
                b"1.2.3.4 - - [01/Aug/1995:00:00:07 -0400] \"GET / HTTP/1.0\" 304 0\n",
            );
        }
        mixed.extend_from_slice(
            b"1.2.3.4 - - [01/Aug/1995:00:00:07 -0400] \"GET / HTTP/1.0\" 304 0 \"-\" \"ua\"\n",
        );
        let d = detect(&mixed).unwrap();
        assert_eq!((d.format, d.matched, d.sampled), (LogFormat::Common, 3, 4));
        assert_eq!(detect(b"hello\nworld\n"), None);
    }
}
