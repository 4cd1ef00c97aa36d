//! The command line: clap definitions, their conversion into a [`Plan`], and the `report` and
//! `formats` commands. `main.rs` only calls [`run`].

use crate::enrich::geo::GeoDb;
use crate::format::{FormatChoice, preset};
use crate::input;
use crate::pipeline::{Analyzer, Plan};
use crate::privacy::forwarded::{self, ClientSource};
use crate::privacy::url::UrlPolicy;
use crate::privacy::visitor::VisitorWindow;
use crate::privacy::{DEFAULT_ASSET_EXTENSIONS, PrivacyPolicy};
use crate::range::{self, Bound, TimeRange};
use crate::report::{self, Report};
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "logveil",
    version,
    about = "Turn web server access logs into privacy-safe aggregate statistics."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read access logs and print aggregate statistics.
    Report(Box<ReportArgs>),
    /// List the log formats logveil reads, with their format strings.
    Formats,
}

/// Where the client address comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClientFrom {
    /// The connecting peer (%h, $remote_addr).
    Remote,
    /// X-Forwarded-For, behind trusted proxies.
    Xff,
}

/// Output formats of `report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned tables for people.
    Text,
    /// The stable JSON contract (see schema/report.schema.json).
    Json,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Log files, glob patterns, or - for standard input (the default).
    ///
    /// Plain, gzip (also multi-member) and zstd inputs are recognised by their first bytes.
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,

    /// Set the output format.
    ///
    /// Default: text on a terminal; otherwise json, or what the --output file name ends with
    /// (.txt gives text).
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,

    /// Write the report to FILE instead of standard output (atomically: a new file is renamed
    /// into place).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Set the log format: auto, a preset name (see `logveil formats`) or a format string.
    ///
    /// auto (the default) tries every preset on the first lines of each input and says which it
    /// chose. A format string uses Apache `LogFormat` directives (`%h %t "%r" %>s ...`) or nginx
    /// `log_format` variables (`$remote_addr [$time_local] "$request" $status ...`).
    #[arg(long, default_value = "auto", value_name = "NAME")]
    pub log_format: FormatChoice,

    /// Set the number of worker threads.
    ///
    /// 0 (the default) uses one per core.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,

    /// Keep this many leading bits of IPv4 addresses.
    ///
    /// Default 24; 0 strips addresses entirely. Addresses are truncated as each line is parsed.
    #[arg(long, default_value_t = 24, value_parser = clap::value_parser!(u8).range(0..=32), value_name = "BITS")]
    pub ipv4_prefix: u8,

    /// Keep this many leading bits of IPv6 addresses.
    ///
    /// Default 48; 0 strips addresses entirely. IPv6 forms that carry an IPv4 address are
    /// truncated as IPv4.
    #[arg(long, default_value_t = 48, value_parser = clap::value_parser!(u8).range(0..=128), value_name = "BITS")]
    pub ipv6_prefix: u8,

    /// Keep these query parameters (comma-separated names) in page keys; drop all others.
    ///
    /// Default: utm_source,utm_medium,utm_campaign. `none` keeps no query parameter.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "utm_source,utm_medium,utm_campaign",
        value_name = "NAMES"
    )]
    pub keep_query: Vec<String>,

    /// Set the inactivity that ends a visit, e.g. 30m, 1800s, 1h.
    #[arg(long, default_value = "30m", value_parser = parse_duration, value_name = "DURATION")]
    pub visit_gap: i64,

    /// Set how long a visitor key lives: the same person in two windows is two visitors.
    #[arg(long, value_enum, default_value_t = VisitorWindow::Day)]
    pub visitor_window: VisitorWindow,

    /// Count only hits at or after this time: a date, a date-time, today, yesterday, last-N-days.
    ///
    /// A date or word counts from the start of its first day. Times without an offset are UTC.
    #[arg(long, value_parser = parse_since, value_name = "WHEN")]
    pub since: Option<i64>,

    /// Count only hits up to this time: a date, a date-time, today, yesterday, last-N-days.
    ///
    /// A date or word counts to the end of its last day; a date-time includes that second.
    #[arg(long, value_parser = parse_until, value_name = "WHEN")]
    pub until: Option<i64>,

    /// Fold rows seen by fewer than K distinct visitors into "(other)".
    ///
    /// Default 5. Applies to pages, referrer and host domains; status codes and methods name
    /// no person and are never folded.
    #[arg(long, default_value_t = 5, value_name = "K")]
    pub min_visitors: u64,

    /// Show at most N rows per table in text output (JSON carries every row that passes K).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub top: usize,

    /// Fail, writing no report, if any line is malformed.
    #[arg(long)]
    pub strict: bool,

    /// Fail, writing no report, if more than RATIO (0 to 1) of the lines are malformed.
    #[arg(long, value_parser = parse_ratio, value_name = "RATIO")]
    pub max_invalid: Option<f64>,

    /// Count referrals from this site's registrable domain as "(self)".
    #[arg(long, value_name = "DOMAIN")]
    pub site_domain: Option<String>,

    /// Take the client address from the connecting peer (remote) or from X-Forwarded-For (xff).
    ///
    /// With xff, the client is the rightmost X-Forwarded-For hop that is not a trusted proxy,
    /// and the header is believed only when the connecting peer is a trusted proxy. The format
    /// must log the header (nginx preset, %{X-Forwarded-For}i, $http_x_forwarded_for).
    #[arg(long, value_enum, default_value_t = ClientFrom::Remote)]
    pub client_from: ClientFrom,

    /// Trust these proxies (comma-separated CIDR networks) with --client-from xff.
    ///
    /// Default: loopback, private and link-local ranges (10.0.0.0/8, 172.16.0.0/12,
    /// 192.168.0.0/16, 127.0.0.0/8, 169.254.0.0/16, ::1, fc00::/7, fe80::/10).
    #[arg(long, value_delimiter = ',', value_name = "CIDRS")]
    pub trusted_proxy: Vec<ipnet::IpNet>,

    /// Count bots and crawlers in page views, visitors and visits too.
    #[arg(long)]
    pub include_bots: bool,

    /// Country database in MaxMind format (GeoLite2 or DB-IP country or city, or any database
    /// with a top-level `country_code`) instead of the built-in one.
    #[arg(long, value_name = "PATH")]
    pub geoip_db: Option<PathBuf>,

    /// Leave countries out (no look-ups at all).
    #[arg(long, conflicts_with = "geoip_db")]
    pub no_geoip: bool,

    /// Set the file extensions (comma-separated) of static assets, which are not page views.
    #[arg(long, value_delimiter = ',', value_name = "EXTS")]
    pub asset_ext: Option<Vec<String>>,
}

fn parse_duration(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: i64 = number
        .parse()
        .map_err(|_| format!("'{text}': expected a number and a unit, e.g. 30m"))?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(format!("'{text}': expected a unit s, m or h, e.g. 30m")),
    };
    if n <= 0 {
        return Err(format!("'{text}': must be longer than zero"));
    }
    n.checked_mul(scale)
        .ok_or_else(|| format!("'{text}': too long"))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn parse_since(text: &str) -> Result<i64, String> {
    range::parse_bound(text, Bound::Since, now())
}

fn parse_until(text: &str) -> Result<i64, String> {
    range::parse_bound(text, Bound::Until, now())
}

fn parse_ratio(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(format!("'{text}': expected a ratio from 0 to 1, e.g. 0.01")),
    }
}

impl ReportArgs {
    /// Builds the run's plan from the arguments.
    pub fn plan(&self) -> anyhow::Result<Plan> {
        let keep_query = self
            .keep_query
            .iter()
            .filter(|k| !k.is_empty() && k.as_str() != "none")
            .map(|k| k.as_bytes().to_vec())
            .collect();
        let asset_extensions = match &self.asset_ext {
            Some(list) => list
                .iter()
                .map(|e| e.trim_start_matches('.').to_ascii_lowercase())
                .collect(),
            None => DEFAULT_ASSET_EXTENSIONS
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>(),
        };
        let site_domain = match &self.site_domain {
            Some(domain) => {
                let mut name = Vec::new();
                if !crate::privacy::host::normalise_host(domain.as_bytes(), &mut name) {
                    bail!("--site-domain '{domain}' is not a host name");
                }
                crate::privacy::host::keep_registrable_domain(&mut name);
                if name.is_empty() {
                    bail!("--site-domain '{domain}' has no registrable domain");
                }
                Some(name)
            }
            None => None,
        };
        if !self.trusted_proxy.is_empty() && self.client_from != ClientFrom::Xff {
            bail!("--trusted-proxy only applies with --client-from xff");
        }
        if let (Some(since), Some(until)) = (self.since, self.until)
            && since >= until
        {
            bail!("--since is not before --until: the range is empty");
        }
        Ok(Plan {
            format: self.log_format.clone(),
            privacy: PrivacyPolicy {
                ipv4_prefix: self.ipv4_prefix,
                ipv6_prefix: self.ipv6_prefix,
                url: UrlPolicy { keep_query },
                site_domain,
                client_from: match self.client_from {
                    ClientFrom::Remote => ClientSource::Remote,
                    ClientFrom::Xff => ClientSource::ForwardedFor {
                        trusted: if self.trusted_proxy.is_empty() {
                            forwarded::default_trusted()
                        } else {
                            self.trusted_proxy.clone()
                        },
                    },
                },
                asset_extensions: asset_extensions
                    .into_iter()
                    .map(String::into_bytes)
                    .collect(),
                geo: self.geo_db()?,
            },
            window: self.visitor_window,
            visit_gap: self.visit_gap,
            include_bots: self.include_bots,
            range: TimeRange {
                since: self.since,
                until: self.until,
            },
            threads: self.threads,
            ..Plan::default()
        })
    }

    /// The country database: the built-in one, a file, or none.
    fn geo_db(&self) -> anyhow::Result<Option<Arc<GeoDb>>> {
        Ok(match (&self.geoip_db, self.no_geoip) {
            (_, true) => None,
            (Some(path), false) => Some(Arc::new(GeoDb::open(path)?)),
            (None, false) => Some(GeoDb::builtin()),
        })
    }

    fn output_format(&self) -> OutputFormat {
        if let Some(f) = self.format {
            return f;
        }
        match &self.output {
            Some(path) if path.extension().is_some_and(|e| e == "txt") => OutputFormat::Text,
            Some(_) => OutputFormat::Json,
            None if io::stdout().is_terminal() => OutputFormat::Text,
            None => OutputFormat::Json,
        }
    }
}

/// Runs a parsed command line; returns the process exit code (0 done, 1 failed).
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Report(args) => run_report(&args),
        Command::Formats => {
            let mut out = io::stdout().lock();
            for f in preset::all() {
                writeln!(out, "{:<10} {}", f.name(), f.format_string())?;
            }
            Ok(0)
        }
    }
}

fn run_report(args: &ReportArgs) -> anyhow::Result<u8> {
    let plan = args.plan()?;
    let inputs = input::expand(&args.files)?;
    let analyzer = Analyzer::new(plan);
    let analysis = analyzer
        .run(&inputs)
        .context("cannot start worker threads")?;

    for summary in &analysis.inputs {
        if let Some(d) = &summary.detection {
            eprintln!(
                "logveil: {}: log format {} ({} of {} sample lines match)",
                summary.name, d.format, d.matched, d.sampled
            );
        }
        if let Some(error) = &summary.error {
            eprintln!("logveil: {}: {error}", summary.name);
        }
    }

    let stats = &analysis.stats;
    let malformed = stats.malformed_total();
    let lines = stats.hits + stats.out_of_range + malformed;
    let first_bad = stats.malformed_examples.first().map(|at| {
        format!(
            "{}:{}: {}",
            analysis.inputs[at.input].name,
            at.line,
            at.reason.as_str()
        )
    });
    if args.strict && malformed > 0 {
        bail!(
            "{malformed} malformed lines and --strict is set; the first is {}",
            first_bad.unwrap_or_default()
        );
    }
    if let Some(ratio) = args.max_invalid {
        if lines > 0 && malformed as f64 / lines as f64 > ratio {
            bail!(
                "{malformed} of {lines} lines are malformed, more than --max-invalid {ratio}; the first is {}",
                first_bad.unwrap_or_default()
            );
        }
    } else if malformed > 0 {
        eprintln!(
            "logveil: skipped {malformed} malformed lines; the first is {}",
            first_bad.unwrap_or_default()
        );
    }

    let complete = analysis.complete();
    let plan = analyzer.plan();
    let report = analyzer
        .install(|| Report::build(analysis, plan, args.min_visitors))
        .context("cannot start worker threads")?;
    let format = args.output_format();
    let render = |out: &mut dyn Write| match format {
        OutputFormat::Text => report::text::write(&report, args.top, out),
        OutputFormat::Json => report::json::write(&report, out),
    };
    match &args.output {
        Some(path) => write_atomically(path, render)?,
        None => {
            let mut out = io::BufWriter::new(io::stdout().lock());
            match render(&mut out).and_then(|()| out.flush()) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(0),
                other => other.context("cannot write the report")?,
            }
        }
    }
    if !complete {
        eprintln!("logveil: the report is partial: not every input was read to its end");
        return Ok(1);
    }
    Ok(0)
}

/// Writes a file through a temporary file in the same folder, synced and renamed into place, so
/// a crash never leaves a half-written report.
fn write_atomically(
    path: &Path,
    render: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| {
        format!(
            "{}: cannot create a file in {}",
            path.display(),
            dir.display()
        )
    })?;
    {
        let mut out = io::BufWriter::new(tmp.as_file_mut());
        render(&mut out)
            .and_then(|()| out.flush())
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("{}: cannot sync", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("{}: cannot rename into place", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report_args(extra: &[&str]) -> Result<ReportArgs, clap::Error> {
        let mut argv = vec!["logveil", "report"];
        argv.extend_from_slice(extra);
        Cli::try_parse_from(argv).map(|cli| match cli.command {
            Command::Report(args) => *args,
            Command::Formats => unreachable!(),
        })
    }

    #[test]
    fn defaults_match_the_documentation() {
        let args = report_args(&[]).unwrap();
        let plan = args.plan().unwrap();
        assert_eq!(
            (plan.privacy.ipv4_prefix, plan.privacy.ipv6_prefix),
            (24, 48)
        );
        assert_eq!(plan.visit_gap, 1800);
        assert_eq!(args.min_visitors, 5);
        assert_eq!(args.top, 20);
        assert_eq!(plan.window, VisitorWindow::Day);
        assert_eq!(plan.format, FormatChoice::Auto);
        assert_eq!(plan.privacy.url, UrlPolicy::default());
        assert_eq!(plan.threads, 0);
        assert!(!plan.include_bots && !args.strict);
    }

    #[test]
    fn each_flag_parses() {
        let args = report_args(&[
            "--ipv4-prefix",
            "16",
            "--ipv6-prefix",
            "32",
            "--keep-query",
            "ref,lang",
            "--visit-gap",
            "1h",
            "--visitor-window",
            "week",
            "--since",
            "2024-01-01",
            "--until",
            "2024-01-31",
            "--min-visitors",
            "10",
            "--top",
            "3",
            "--strict",
            "--max-invalid",
            "0.1",
            "--site-domain",
            "www.Example.co.uk",
            "--include-bots",
            "--log-format",
            "common",
            "--threads",
            "2",
            "--asset-ext",
            ".CSS,js",
            "--format",
            "json",
            "-o",
            "out.json",
            "--client-from",
            "xff",
            "--trusted-proxy",
            "198.51.100.0/24,2001:db8::/32",
            "a.log",
            "b.log",
        ])
        .unwrap();
        let plan = args.plan().unwrap();
        assert_eq!(
            (plan.privacy.ipv4_prefix, plan.privacy.ipv6_prefix),
            (16, 32)
        );
        assert_eq!(
            plan.privacy.url.keep_query,
            vec![b"ref".to_vec(), b"lang".to_vec()]
        );
        assert_eq!(plan.visit_gap, 3600);
        assert_eq!(plan.window, VisitorWindow::Week);
        assert_eq!(plan.range.since, Some(range::date(2024, 1, 1)));
        assert_eq!(plan.range.until, Some(range::date(2024, 2, 1)));
        assert_eq!((args.min_visitors, args.top, args.strict), (10, 3, true));
        assert_eq!(args.max_invalid, Some(0.1));
        assert_eq!(
            plan.privacy.site_domain.as_deref(),
            Some(&b"example.co.uk"[..])
        );
        assert!(plan.include_bots);
        assert_eq!(
            plan.format,
            FormatChoice::Fixed(preset::by_name("common").unwrap())
        );
        assert_eq!(plan.threads, 2);
        assert_eq!(
            plan.privacy.asset_extensions,
            vec![b"css".to_vec(), b"js".to_vec()]
        );
        assert_eq!(args.output_format(), OutputFormat::Json);
        assert_eq!(args.files, vec!["a.log", "b.log"]);
        assert_eq!(
            plan.privacy.client_from,
            ClientSource::ForwardedFor {
                trusted: vec![
                    "198.51.100.0/24".parse().unwrap(),
                    "2001:db8::/32".parse().unwrap()
                ]
            }
        );
        let none = report_args(&["--keep-query", "none"])
            .unwrap()
            .plan()
            .unwrap();
        assert!(none.privacy.url.keep_query.is_empty());
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for bad in [
            &["--ipv4-prefix", "33"][..],
            &["--ipv6-prefix", "129"],
            &["--visit-gap", "30"],
            &["--visit-gap", "0m"],
            &["--since", "tomorrowish"],
            &["--max-invalid", "1.5"],
            &["--log-format", "xml"],
            &["--visitor-window", "month"],
            &["--trusted-proxy", "10.0.0.0/33"],
            &["--client-from", "header"],
        ] {
            let err = report_args(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}");
        }
        let args = report_args(&["--since", "2024-02-01", "--until", "2024-01-01"]).unwrap();
        assert!(args.plan().is_err());
        let args = report_args(&["--trusted-proxy", "10.0.0.0/8"]).unwrap();
        assert!(args.plan().is_err());
    }

    #[test]
    fn output_format_follows_the_file_name() {
        assert_eq!(
            report_args(&["-o", "r.txt"]).unwrap().output_format(),
            OutputFormat::Text
        );
        assert_eq!(
            report_args(&["-o", "r.json"]).unwrap().output_format(),
            OutputFormat::Json
        );
        assert_eq!(
            report_args(&["-o", "r.txt", "--format", "json"])
                .unwrap()
                .output_format(),
            OutputFormat::Json
        );
    }
}
