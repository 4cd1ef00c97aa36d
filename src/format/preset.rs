//! Presets, the formats people's servers write, and detection for `--log-format auto`: try every
//! preset on a sample of lines and keep the one that parses the most.

use super::program::FieldProgram;
use super::{LogFormat, MalformedReason, clf, lines, w3c};

/// AWS Application Load Balancer access logs (fields added later are accepted and skipped).
const AWS_ALB: &str = concat!(
    r#"%{type}e %{%Y-%m-%dT%H:%M:%S.%fZ}t %{elb}e %a %{target}e %{request_processing_time}e "#,
    r#"%{target_processing_time}e %{response_processing_time}e %>s %{target_status_code}e %I %O "#,
    r#""%r" "%{User-Agent}i" %{ssl_cipher}e %{ssl_protocol}e %{target_group_arn}e "%{trace_id}e" "#,
    r#""%{domain_name}e" "%{chosen_cert_arn}e" %{matched_rule_priority}e %{request_creation_time}e "#,
    r#""%{actions_executed}e" "%{redirect_url}e" "%{error_reason}e" "%{target_port_list}e" "#,
    r#""%{target_status_code_list}e""#
);

/// AWS Classic Load Balancer access logs.
const AWS_ELB: &str = concat!(
    r#"%{%Y-%m-%dT%H:%M:%S.%fZ}t %{elb}e %a %{backend}e %{request_processing_time}e "#,
    r#"%{backend_processing_time}e %{response_processing_time}e %>s %{backend_status_code}e %I %O "#,
    r#""%r" "%{User-Agent}i" %{ssl_cipher}e %{ssl_protocol}e"#
);

/// HAProxy's HTTP log format (`option httplog`) behind a syslog header; times are local, read
/// as UTC.
const HAPROXY: &str = concat!(
    r#"%{syslog_month}e %{syslog_day}e %{syslog_time}e %{syslog_host}e %{process}e %a "#,
    r#"[%{%d/%b/%Y:%H:%M:%S.%f}t] %{frontend}e %{backend}e %{timers}e %>s %B "#,
    r#"%{request_cookie}e %{response_cookie}e %{termination_state}e %{connections}e %{queues}e "%r""#
);

/// Squid's native access.log (`%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`).
const SQUID: &str =
    r#"%{sec}t %{elapsed}e %a %{cache_result}e/%>s %B %m %U %u %{hierarchy}e %{content_type}e"#;
use std::sync::OnceLock;

/// How many non-empty lines detection looks at.
pub const SAMPLE_LINES: usize = 200;

/// Every preset, most specific first (the order `auto` breaks ties in).
pub fn all() -> &'static [LogFormat] {
    static PRESETS: OnceLock<Vec<LogFormat>> = OnceLock::new();
    PRESETS.get_or_init(|| {
        let program = |name: &str, s: &str| {
            FieldProgram::compile(s).unwrap_or_else(|e| panic!("preset {name} does not compile: {e}"))
        };
        let compiled = |name: &str, s: &str| LogFormat::from_program(name, program(name, s));
        vec![
            LogFormat::from_program("aws-alb", program("aws-alb", AWS_ALB).with_trailing_fields()),
            LogFormat::from_program("aws-elb", program("aws-elb", AWS_ELB).with_trailing_fields()),
            LogFormat::from_program("haproxy", program("haproxy", HAPROXY).with_squeezed_spaces()),
            LogFormat::from_program("squid", program("squid", SQUID).with_squeezed_spaces()),
            compiled(
                "traefik",
                r#"%h - %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %{requests}e "%{router}e" "%{server}e" %Dms"#,
            ),
            compiled(
                "nginx",
                r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for""#,
            ),
            LogFormat::hand(
                "vcombined",
                r#"%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i""#,
                clf::parse_vcombined,
            ),
            LogFormat::hand("combined", r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#, clf::parse_combined),
            compiled("vcommon", r#"%v %h %l %u %t "%r" %>s %b"#),
            LogFormat::hand("common", r#"%h %l %u %t "%r" %>s %b"#, clf::parse_common),
            LogFormat::hand(
                "caddy",
                "{JSON lines: ts, request.{client_ip|remote_ip, method, uri, headers}, status, size}",
                super::json::parse_caddy,
            ),
            LogFormat::w3c("w3c", b' '),
            LogFormat::w3c("cloudfront", b'\t'),
        ]
    })
}

/// The preset called `name` (case-insensitive).
pub fn by_name(name: &str) -> Option<LogFormat> {
    all()
        .iter()
        .find(|f| f.name().eq_ignore_ascii_case(name))
        .cloned()
}

/// How well one format fits a sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub format: LogFormat,
    /// Sample lines the format parsed.
    pub matched: usize,
    /// Non-empty sample lines looked at.
    pub sampled: usize,
    /// The most common reason the other lines failed, if any did.
    pub first_failure: Option<MalformedReason>,
}

impl Detection {
    /// True when the format parsed at least one sample line, or is W3C: there the
    /// `#Fields:` directive decides, and layout errors are reported by the reader.
    pub fn fits(&self) -> bool {
        self.matched > 0 || self.format.w3c_separator().is_some()
    }
}

/// Tries every preset on the first [`SAMPLE_LINES`] non-empty lines of `sample` and returns the
/// best: the one that parses most lines; ties go to the more specific preset. When nothing
/// parses a line, the result names the preset that got furthest (`fits()` is false).
pub fn detect(sample: &[u8]) -> Option<Detection> {
    if let Some(d) = detect_w3c(sample) {
        return Some(d);
    }
    let sampled: Vec<&[u8]> = lines(sample)
        .filter(|l| !l.is_empty())
        .take(SAMPLE_LINES)
        .collect();
    if sampled.is_empty() {
        return None;
    }
    let mut best: Option<(Detection, usize)> = None;
    for format in all() {
        let mut matched = 0;
        let mut failures = [0usize; MalformedReason::ALL.len()];
        for line in &sampled {
            match format.parse(line) {
                Ok(_) => matched += 1,
                Err(reason) => failures[reason.index()] += 1,
            }
        }
        let (worst, count) = failures
            .iter()
            .enumerate()
            .max_by_key(|(_, n)| **n)
            .map(|(i, n)| (i, *n))
            .unwrap();
        let first_failure = (count > 0).then_some(MalformedReason::ALL[worst]);
        // Among formats that parse nothing, prefer the one whose lines fail furthest along; on a
        // tie, the less specific one (later in the list).
        let depth = first_failure.map_or(usize::MAX, MalformedReason::progress);
        let better = match &best {
            None => true,
            Some((b, b_depth)) => {
                matched > b.matched || (matched == 0 && b.matched == 0 && depth >= *b_depth)
            }
        };
        if better {
            best = Some((
                Detection {
                    format: format.clone(),
                    matched,
                    sampled: sampled.len(),
                    first_failure,
                },
                depth,
            ));
        }
    }
    best.map(|(d, _)| d)
}

/// A sample with a `#Fields:` directive is W3C extended: tab-separated data makes it CloudFront.
fn detect_w3c(sample: &[u8]) -> Option<Detection> {
    let all: Vec<&[u8]> = lines(sample).take(SAMPLE_LINES).collect();
    let at = all
        .iter()
        .position(|l| l.starts_with(w3c::FIELDS_DIRECTIVE))?;
    let data: Vec<&[u8]> = all[at + 1..]
        .iter()
        .copied()
        .filter(|l| !l.is_empty() && !w3c::is_directive(l))
        .collect();
    let tabs = data.first().is_some_and(|l| l.contains(&b'\t'));
    let (name, separator) = if tabs {
        ("cloudfront", b'\t')
    } else {
        ("w3c", b' ')
    };
    let format = by_name(name)?;
    let (matched, first_failure) = match w3c::layout(name, all[at], separator) {
        Ok(layout) => {
            let failures: Vec<MalformedReason> =
                data.iter().filter_map(|l| layout.parse(l).err()).collect();
            (data.len() - failures.len(), failures.first().copied())
        }
        Err(_) => (0, Some(MalformedReason::BadField)),
    };
    Some(Detection {
        format,
        matched,
        sampled: data.len(),
        first_failure,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detected(sample: &[u8]) -> (String, usize, usize) {
        let d = detect(sample).unwrap();
        (d.format.name().to_string(), d.matched, d.sampled)
    }

    #[test]
    fn detects_each_format_on_its_own_lines() {
        let common = b"1.2.3.4 - - [01/Aug/1995:00:00:07 -0400] \"GET / HTTP/1.0\" 304 0\n";
        let combined =
            b"1.2.3.4 - - [01/Aug/1995:00:00:07 -0400] \"GET / HTTP/1.0\" 304 0 \"-\" \"ua\"\n";
        let mut vcombined = b"example.org:80 ".to_vec();
        vcombined.extend_from_slice(combined);
        let mut vcommon = b"example.org ".to_vec();
        vcommon.extend_from_slice(common);
        let nginx = b"1.2.3.4 - - [01/Aug/1995:00:00:07 -0400] \"GET / HTTP/1.0\" 304 0 \"-\" \"ua\" \"5.6.7.8\"\n";
        let traefik = b"1.2.3.4 - - [01/Aug/1995:00:00:07 -0400] \"GET / HTTP/1.0\" 304 0 \"-\" \"ua\" 12 \"web@docker\" \"http://10.0.0.2:80\" 3ms\n";
        assert_eq!(detected(common).0, "common");
        assert_eq!(detected(combined).0, "combined");
        assert_eq!(detected(&vcombined), ("vcombined".into(), 1, 1));
        assert_eq!(detected(&vcommon).0, "vcommon");
        assert_eq!(detected(nginx).0, "nginx");
        assert_eq!(detected(traefik).0, "traefik");
    }

    #[test]
    fn majority_wins_and_garbage_names_the_closest() {
        let mut mixed = Vec::new();
        for _ in 0..3 {
            mixed.extend_from_slice(
                b"1.2.3.4 - - [01/Aug/1995:00:00:07 -0400] \"GET / HTTP/1.0\" 304 0\n",
            );
        }
        mixed.extend_from_slice(
            b"1.2.3.4 - - [01/Aug/1995:00:00:07 -0400] \"GET / HTTP/1.0\" 304 0 \"-\" \"ua\"\n",
        );
        assert_eq!(detected(&mixed), ("common".into(), 3, 4));
        let d = detect(b"1.2.3.4 - - [01/Aug/1995:00:00:07 -0400] \"GET / HTTP/1.0\" 304 zero\n")
            .unwrap();
        assert!(!d.fits());
        assert_eq!(d.first_failure, Some(MalformedReason::BadBytes));
        assert_eq!(detect(b"\n\n"), None);
    }

    #[test]
    fn every_preset_has_a_unique_name_and_a_format_string() {
        let names: std::collections::HashSet<_> = all().iter().map(LogFormat::name).collect();
        assert_eq!(names.len(), all().len());
        assert!(
            all()
                .iter()
                .all(|f| f.format_string().contains(['%', '$', '#', '{']))
        );
    }
}
