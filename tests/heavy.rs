//! Heavier checks, run by CI in release mode (`cargo test --release -- --ignored`).

mod common;
use common::*;
use logveil::input::Input;
use logveil::pipeline::{Analyzer, Plan};
use logveil::report::Report;
use logveil::stats::counter::ROW_PRECISION;

/// The hackers corpus repeated, each copy moved to another year, so that every copy has its own
/// days and therefore its own visitor keys: visitors are exactly `copies` times one copy's.
fn many_years(copies: usize) -> Vec<u8> {
    let one = std::fs::read_to_string(corpus("hackers-access.log")).unwrap();
    let mut data = String::with_capacity(one.len() * copies);
    for i in 0..copies {
        data.push_str(&one.replace("/Oct/2015:", &format!("/Oct/{}:", 2015 + i)));
    }
    data.into_bytes()
}

#[test]
#[ignore = "heavy: run in release mode by .ci/run"]
fn sketched_visitors_stay_within_two_percent_and_threads_agree() {
    let copies = 60;
    let data = many_years(copies);
    let one = Analyzer::new(Plan::default())
        .run(&[Input::Memory {
            name: "one".into(),
            data: std::fs::read(corpus("hackers-access.log")).unwrap(),
        }])
        .unwrap();
    let one_plan = Plan::default();
    let one_report = Report::build(one, &one_plan, 5);
    let exact = (one_report.totals.visitors * copies as u64) as f64;

    let mut reports = Vec::new();
    for threads in [1, 2] {
        let plan = Plan {
            threads,
            ..Plan::default()
        };
        let analyzer = Analyzer::new(plan.clone());
        let analysis = analyzer
            .run(&[Input::Memory {
                name: "many".into(),
                data: data.clone(),
            }])
            .unwrap();
        assert!(
            !analysis.stats.visitors.is_exact(),
            "this test is about the sketch"
        );
        reports.push(Report::build(analysis, &plan, 5));
    }
    for r in &reports {
        assert_eq!(r.totals.hits, 3456 * copies as u64);
        let got = r.totals.visitors as f64;
        // HLL++ at precision 14 has a standard error of 1.04 / sqrt(16384) = 0.81%; each run has
        // fresh secrets, so the estimate varies from run to run: 3% is 3.7 standard errors.
        assert!((got - exact).abs() / exact <= 0.03, "{got} vs {exact}");
        assert_eq!(r.totals.visits, one_report.totals.visits * copies as u64);
        assert_eq!(
            r.totals.page_views,
            one_report.totals.page_views * copies as u64
        );
    }
    // Hits are exact; sketched row visitors differ between runs (each has its own secrets) only
    // within the sketch's error.
    let hits = |r: &Report| {
        r.status_codes
            .iter()
            .map(|c| (c.key.clone(), c.hits))
            .collect::<Vec<_>>()
    };
    assert_eq!(hits(&reports[0]), hits(&reports[1]));
    // Two independent estimates of a row sketch (1.04 / sqrt(2^p) each): their difference has
    // a standard error of sqrt(2) times that, 2.3% at precision 12; allow four of them.
    let row_error = 1.04 / f64::from(1u32 << (ROW_PRECISION / 2));
    let bound = 4.0 * std::f64::consts::SQRT_2 * row_error;
    for (a, b) in reports[0].status_codes.iter().zip(&reports[1].status_codes) {
        let (a, b) = (a.visitors as f64, b.visitors as f64);
        assert!((a - b).abs() / a.max(1.0) <= bound, "{a} vs {b}");
    }
    assert_eq!(reports[0].timeline.daily.len(), 6 * copies);
    assert_eq!(
        reports[0].pages.iter().map(|r| r.hits).sum::<u64>(),
        reports[0].totals.page_views
    );
}
