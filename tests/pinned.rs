//! Pinned reports: the fields of reports on the corpus, the sample and a generated log, as they
//! were before the throughput work, so that no optimisation changes a number.
//!
//! Visitor keys come from a fresh random secret every run, so distinct counts are compared
//! exactly only while they are exact (up to 256 for rows), and within 12% once estimated. Everything
//! else (keys, hits, page views, bytes, visits, shares of exact counts) must be identical.
//! `LOGVEIL_PIN=1 cargo test --release --test pinned -- --include-ignored` rewrites the files in
//! `tests/pinned/`; do that only when a change to the numbers is intended, and say why.

mod common;
use common::differences;
use common::*;
use serde_json::Value;
use std::path::PathBuf;

fn pinned_path(name: &str) -> PathBuf {
    repo().join("tests/pinned").join(format!("{name}.json"))
}

/// Removes what may change without changing a number: the version string, and the directory
/// of inputs named by absolute path (the checkout's or a temporary one), wherever they appear.
fn comparable(mut report: Value) -> Value {
    report.as_object_mut().unwrap().remove("generator");
    for input in report["inputs"].as_array_mut().unwrap() {
        file_name_only(&mut input["name"]);
    }
    for line in report["malformed_lines"].as_array_mut().unwrap() {
        file_name_only(&mut line["input"]);
    }
    report
}

fn file_name_only(name: &mut Value) {
    let path = std::path::Path::new(name.as_str().unwrap());
    if path.is_absolute() {
        *name = Value::from(path.file_name().unwrap().to_str().unwrap());
    }
}

fn check(name: &str, report: Value) {
    let report = comparable(report);
    let path = pinned_path(name);
    if std::env::var_os("LOGVEIL_PIN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap() + "\n").unwrap();
        return;
    }
    let want: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut diffs = Vec::new();
    differences("", &report, &want, &mut diffs);
    assert!(
        diffs.is_empty(),
        "{name} differs from {}:\n{}",
        path.display(),
        diffs.join("\n")
    );
}

#[test]
fn corpus_and_sample_reports_are_pinned() {
    let hackers = corpus("hackers-access.log");
    let nasa = corpus("nasa-aug95-head-broken.log");
    check(
        "hackers-k0",
        report_json(&["--min-visitors", "0", path_str(&hackers)]),
    );
    check("hackers-k5", report_json(&[path_str(&hackers)]));
    check(
        "nasa-k0",
        report_json(&["--min-visitors", "0", path_str(&nasa)]),
    );
    check(
        "sample-k5",
        report_json(&["sample-logs/access.log", "sample-logs/access.log.1.gz"]),
    );
}

/// The generator example, built by `cargo test` beside the test binaries.
fn generator() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().unwrap().parent().unwrap();
    profile.join("examples/generate")
}

#[test]
#[ignore = "heavy: run in release mode by .ci/run"]
fn generated_report_is_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("generated.log");
    let status = std::process::Command::new(generator())
        .args(["--lines", "300000", "--seed", "11", "-o", path_str(&log)])
        .status()
        .expect("the generator example is built by cargo test");
    assert!(status.success());
    // k = 0: with estimated counts, folding near the threshold could differ from run to run.
    check(
        "generated-300k-k0",
        report_json(&["--min-visitors", "0", path_str(&log)]),
    );
}
