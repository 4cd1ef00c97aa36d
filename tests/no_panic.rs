//! No input bytes can make logveil panic: arbitrary bytes, and valid lines with fields replaced
//! by arbitrary bytes, go through every preset and the whole pipeline.

use logveil::format::preset;
use logveil::input::Input;
use logveil::pipeline::{Analyzer, Plan};
use logveil::report::Report;
use proptest::prelude::*;

const TEMPLATE: [&str; 9] = [
    "203.0.113.9",
    " - - [",
    "10/Oct/2024:13:55:36 +0000",
    "] \"",
    "GET /a/b?utm_source=x HTTP/1.1",
    "\" 200 ",
    "512",
    " \"https://www.example.com/\" \"",
    "Mozilla/5.0 Firefox/131.0\"",
];

/// A combined line with one of its parts replaced by arbitrary bytes.
fn damaged_line() -> impl Strategy<Value = Vec<u8>> {
    (0..TEMPLATE.len(), prop::collection::vec(any::<u8>(), 0..64)).prop_map(|(which, noise)| {
        let mut line = Vec::new();
        for (i, part) in TEMPLATE.iter().enumerate() {
            if i == which {
                line.extend(noise.iter().copied().filter(|&b| b != b'\n'));
            } else {
                line.extend_from_slice(part.as_bytes());
            }
        }
        line
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn presets_never_panic(line in prop::collection::vec(any::<u8>(), 0..300)) {
        for format in preset::all() {
            let _ = format.parse(&line);
        }
    }

    #[test]
    fn the_pipeline_never_panics(lines in prop::collection::vec(damaged_line(), 1..20)) {
        let data: Vec<u8> = lines.iter().flat_map(|l| l.iter().copied().chain([b'\n'])).collect();
        let plan = Plan { threads: 1, ..Plan::default() };
        let analyzer = Analyzer::new(plan.clone());
        let analysis = analyzer.run(&[Input::Memory { name: "fuzz".into(), data }]).unwrap();
        let counted = analysis.stats.hits + analysis.stats.malformed_total() + analysis.stats.out_of_range;
        // Every line is accounted for, as a hit or as malformed (or the input was refused whole).
        prop_assert!(counted == lines.len() as u64 || analysis.inputs[0].error.is_some());
        let report = Report::build(analysis, &plan, 0);
        let mut out = Vec::new();
        logveil::report::json::write(&report, &mut out).unwrap();
        logveil::report::text::write(&report, 5, &mut out).unwrap();
    }
}
