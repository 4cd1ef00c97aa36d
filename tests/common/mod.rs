//! Helpers shared by the integration tests: run the binary, read its JSON, check it against the
//! shipped JSON Schema.
#![allow(dead_code)]

pub mod mmdb;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file of the shared third-party corpus, beside the repository.
pub fn corpus(name: &str) -> PathBuf {
    repo().join("../shared/corpus").join(name)
}

pub fn logveil() -> Command {
    Command::new(env!("CARGO_BIN_EXE_logveil"))
}

/// Runs `logveil` with `args`, feeding `stdin`.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = logveil()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// Runs `logveil report --format json ARGS`, checks exit code 0 and the schema, returns the JSON.
pub fn report_json(args: &[&str]) -> Value {
    report_json_stdin(args, b"")
}

pub fn report_json_stdin(args: &[&str], stdin: &[u8]) -> Value {
    let mut all = vec!["report", "--format", "json"];
    all.extend_from_slice(args);
    let out = run(&all, stdin);
    assert!(
        out.status.success(),
        "logveil {all:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_valid(&json);
    json
}

fn schema() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let text = std::fs::read_to_string(repo().join("schema/report.schema.json")).unwrap();
        let schema: Value = serde_json::from_str(&text).unwrap();
        jsonschema::validator_for(&schema).expect("the schema is valid")
    })
}

/// Fails the test if `json` does not follow `schema/report.schema.json`.
pub fn assert_valid(json: &Value) {
    let errors: Vec<String> = schema()
        .iter_errors(json)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report does not follow the schema: {errors:#?}"
    );
}

/// Each row of a table, through `f`.
pub fn map_rows<T>(json: &Value, table: &str, f: impl Fn(&Value) -> T) -> Vec<T> {
    json[table]
        .as_array()
        .unwrap_or_else(|| panic!("no table {table}"))
        .iter()
        .map(f)
        .collect()
}

fn key(row: &Value) -> String {
    row["key"].as_str().unwrap().to_string()
}

/// The rows of a table as `(key, hits, visitors)`.
pub fn rows(json: &Value, table: &str) -> Vec<(String, u64, u64)> {
    map_rows(json, table, |r| {
        (
            key(r),
            r["hits"].as_u64().unwrap(),
            r["visitors"].as_u64().unwrap(),
        )
    })
}

/// The rows of a table as `(key, share)`.
pub fn shares(json: &Value, table: &str) -> Vec<(String, f64)> {
    map_rows(json, table, |r| (key(r), r["share"].as_f64().unwrap()))
}

pub fn row(key: &str, hits: u64, visitors: u64) -> (String, u64, u64) {
    (key.to_string(), hits, visitors)
}

pub fn total(json: &Value, field: &str) -> u64 {
    json["totals"][field]
        .as_u64()
        .unwrap_or_else(|| panic!("no total {field}"))
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Largest distinct count that is always exact (rows and time buckets; the total is exact to
/// 1,024).
pub const EXACT: u64 =
    logveil::stats::counter::exact_limit(logveil::stats::counter::ROW_PRECISION) as u64;
/// Relative difference allowed between two estimates from different secrets: row sketches have a
/// 1.6% standard error, a share is the ratio of two estimates, and hundreds of values are
/// compared, so 12% (about six standard errors of a difference) keeps the test from failing by
/// chance while still catching a wrong count.
pub const ESTIMATE_TOLERANCE: f64 = 0.12;

/// Paths where `got` and `want` differ beyond what random visitor secrets explain.
pub fn differences(path: &str, got: &Value, want: &Value, out: &mut Vec<String>) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            // Fields added since the pin are allowed: the schema grows by adding fields.
            for (key, wv) in w {
                match g.get(key) {
                    Some(gv) => differences(&format!("{path}.{key}"), gv, wv, out),
                    None => out.push(format!("{path}.{key}: missing, was {wv}")),
                }
            }
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => {
            for (i, (gv, wv)) in g.iter().zip(w).enumerate() {
                differences(&format!("{path}[{i}]"), gv, wv, out);
            }
        }
        (Value::Number(g), Value::Number(w))
            if path.ends_with("visitors") || path.ends_with(".share") =>
        {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            let estimated = path.ends_with(".share") || g > EXACT as f64 || w > EXACT as f64;
            let close = if estimated {
                (g - w).abs() <= ESTIMATE_TOLERANCE * w.max(g) + 0.0001
            } else {
                g == w
            };
            if !close {
                out.push(format!("{path}: {g} vs {w}"));
            }
        }
        _ if got == want => {}
        _ => out.push(format!("{path}: {got} vs {want}")),
    }
}
