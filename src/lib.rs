//! logveil turns web server access logs into privacy-safe aggregate statistics.
//!
//! The flow, one module per step:
//!
//! ```text
//! input/    files, globs, stdin; plain, gzip, zstd → newline-aligned chunks
//! format/   a line → RawLine<'a> (borrowed slices, no allocation)
//! privacy/  RawLine → Event: addresses truncated, hosts and referrers reduced to domains,
//!           paths scrubbed, visitors known only by a keyed hash (the only reader of raw fields)
//! enrich/   classes derived from raw fields (is the agent a bot?)
//! stats/    Stats: a monoid over Events, filled per worker and merged
//! report/   Report: thresholds applied (k-anonymity), rendered as text or JSON
//! ```
//!
//! [`pipeline::Analyzer`] runs the whole with rayon workers.
//!
//! ```
//! use logveil::input::Input;
//! use logveil::pipeline::{Analyzer, Plan};
//! use logveil::report::Report;
//!
//! let log = br#"203.0.113.9 - - [10/Oct/2024:13:55:36 +0000] "GET /about HTTP/1.1" 200 512 "https://www.example.com/" "Mozilla/5.0""#;
//! let input = Input::Memory { name: "example".into(), data: log.to_vec() };
//! let analyzer = Analyzer::new(Plan::default());
//! let analysis = analyzer.run(&[input]).unwrap();
//! let report = Report::build(analysis, analyzer.plan(), 1);
//! assert_eq!(report.totals.hits, 1);
//! assert_eq!(report.referrer_domains[0].key, "example.com");
//! ```

pub mod cli;
pub mod enrich;
pub mod format;
pub mod input;
pub mod pipeline;
mod prefetch;
pub mod privacy;
pub mod range;
pub mod report;
pub mod stats;
