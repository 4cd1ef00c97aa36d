//! k-anonymity at report time: rows seen by fewer than k distinct visitors fold into `(other)`.
//!
//! If `(other)` itself ends below k, the next-smallest row folds too, so a hidden row cannot be
//! recovered by subtracting the shown rows from the total. Hits are summed, so the rows still add
//! up to the table's total.

use crate::stats::counter::{Dropped, Row, Table, VisitorSet};
use rayon::prelude::*;

/// Key of the row that holds folded rows.
pub const OTHER: &str = "(other)";

/// A row ready for output.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CountedRow {
    pub key: String,
    pub hits: u64,
    pub visitors: u64,
    /// Bytes sent, in tables that report them (bots).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// The row's share of the table's population, 0..1, in tables that report one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
}

impl CountedRow {
    /// Sets `share` to `part / whole`, rounded to four decimals (0 when `whole` is 0).
    pub fn with_share(mut self, part: u64, whole: u64) -> CountedRow {
        let share = if whole == 0 {
            0.0
        } else {
            part as f64 / whole as f64
        };
        // Sketched row counts can overshoot a sketched total by a hair.
        self.share = Some((share.min(1.0) * 10_000.0).round() / 10_000.0);
        self
    }
}

/// Applies the threshold `k` to the rows of `table` and returns them sorted by hits (then key),
/// with `(other)` last when anything folded. `k = 0` folds nothing. Rows the table dropped to
/// stay bounded are in `(other)` too.
pub fn fold_rows(table: Table, k: u64) -> Vec<CountedRow> {
    let (rows, dropped) = table.into_parts();
    fold(rows, dropped, k, false)
}

/// Rows of a dimension that names no person, with the bytes each row sent: nothing folded.
pub fn sized_rows(table: Table) -> Vec<CountedRow> {
    let (rows, dropped) = table.into_parts();
    fold(rows, dropped, 0, true)
}

fn fold(
    rows: impl IntoIterator<Item = (Box<[u8]>, Row)>,
    dropped: Dropped,
    k: u64,
    with_bytes: bool,
) -> Vec<CountedRow> {
    // perf: rows are counted on every thread of the rayon pool: a sketched row's estimate
    // takes microseconds, and the pages table's count was most of a report's build.
    let rows: Vec<(Box<[u8]>, Row)> = rows.into_iter().collect();
    let mut counted: Vec<(String, u64, u64, VisitorSet, u64)> = rows
        .into_par_iter()
        .map(|(key, row)| {
            let visitors = row.visitors.count();
            (
                String::from_utf8_lossy(&key).into_owned(),
                row.hits,
                visitors,
                row.visitors,
                row.bytes,
            )
        })
        .collect();
    // Smallest first: fewest visitors, then fewest hits, then key, so folding is deterministic.
    // Keys are distinct, so the order is total and an unstable sort gives the same rows.
    counted.par_sort_unstable_by(|a, b| (a.2, a.1, &a.0).cmp(&(b.2, b.1, &b.0)));

    let mut folded = 0;
    let mut other_hits = dropped.hits;
    let mut other_bytes = dropped.bytes;
    let mut other_visitors = VisitorSet::default();
    while folded < counted.len() {
        let below_k = counted[folded].2 < k;
        let other_below_k = folded > 0 && !other_visitors.has_at_least(k);
        if !(below_k || other_below_k) {
            break;
        }
        other_hits += counted[folded].1;
        other_bytes += counted[folded].4;
        other_visitors.merge(&counted[folded].3);
        folded += 1;
    }
    let other_count = other_visitors.count();

    // The rest go out; their visitor sets are freed on the pool's threads too.
    let mut out: Vec<CountedRow> = counted
        .par_drain(folded..)
        .map(|(key, hits, visitors, _, bytes)| CountedRow {
            key,
            hits,
            visitors,
            bytes: with_bytes.then_some(bytes),
            share: None,
        })
        .collect();
    out.par_sort_unstable_by(|a, b| b.hits.cmp(&a.hits).then_with(|| a.key.cmp(&b.key)));
    if folded > 0 || dropped.hits > 0 {
        out.push(CountedRow {
            key: OTHER.to_string(),
            hits: other_hits,
            visitors: other_count,
            bytes: with_bytes.then_some(other_bytes),
            share: None,
        });
    }
    out
}

/// Rows of a dimension that names no person (status codes, methods): sorted, nothing folded.
pub fn all_rows(table: Table) -> Vec<CountedRow> {
    fold_rows(table, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::visitor::VisitorKey;

    fn row(key: &str, hits: u64, visitors: std::ops::Range<u64>) -> (Box<[u8]>, Row) {
        let mut r = Row {
            hits,
            ..Row::default()
        };
        visitors.for_each(|v| r.visitors.insert(VisitorKey(v)));
        (key.as_bytes().into(), r)
    }

    #[test]
    fn rows_below_k_fold_and_totals_add_up() {
        let rows = vec![
            row("/a", 50, 0..10),
            row("/b", 9, 10..13),
            row("/c", 8, 13..16),
            row("/d", 20, 0..6),
        ];
        let out = fold_rows(rows.into_iter().collect(), 5);
        let keys: Vec<_> = out
            .iter()
            .map(|r| (r.key.as_str(), r.hits, r.visitors))
            .collect();
        // /b and /c have 3 visitors each, together 6 >= 5.
        assert_eq!(
            keys,
            vec![("/a", 50, 10), ("/d", 20, 6), ("(other)", 17, 6)]
        );
        assert_eq!(out.iter().map(|r| r.hits).sum::<u64>(), 87);
    }

    #[test]
    fn other_below_k_pulls_in_the_next_smallest_row() {
        // /b alone would be an (other) of 2 visitors: /c (5 visitors, 7 hits) folds too.
        let rows = vec![
            row("/a", 50, 0..10),
            row("/b", 3, 20..22),
            row("/c", 7, 30..35),
        ];
        let out = fold_rows(rows.into_iter().collect(), 5);
        let keys: Vec<_> = out
            .iter()
            .map(|r| (r.key.as_str(), r.hits, r.visitors))
            .collect();
        assert_eq!(keys, vec![("/a", 50, 10), ("(other)", 10, 7)]);
    }

    #[test]
    fn shared_visitors_are_not_double_counted_in_other() {
        // Two rows with the same 3 visitors: (other) has 3 < 5, so /a folds as well.
        let rows = vec![row("/a", 50, 0..10), row("/b", 1, 0..3), row("/c", 1, 0..3)];
        let out = fold_rows(rows.into_iter().collect(), 5);
        assert_eq!(
            out,
            vec![CountedRow {
                key: "(other)".into(),
                hits: 52,
                visitors: 10,
                bytes: None,
                share: None,
            }]
        );
    }

    #[test]
    fn k_zero_keeps_everything_sorted_by_hits() {
        let out = all_rows(
            vec![
                row("404", 2, 0..1),
                row("200", 9, 0..1),
                row("301", 2, 0..0),
            ]
            .into_iter()
            .collect(),
        );
        let keys: Vec<_> = out.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, vec!["200", "301", "404"]);
    }
}
