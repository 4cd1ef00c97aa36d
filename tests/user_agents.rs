//! User agent classification against real agents with known answers.
//!
//! `tests/data/user_agents.tsv` holds 140 agents from the uap-core project's own test cases
//! (see the file's header); the table below adds current browsers, AI crawlers and HTTP
//! libraries, with answers read off each vendor's published agent string.

mod common;

use logveil::enrich::agent::{AgentClassifier, DeviceClass, OTHER};

struct Case<'a> {
    agent: &'a str,
    family: &'a str,
    major: &'a str,
    os: &'a str,
    bot: bool,
}

/// Families that uap-core reads out of the agent text (`NewsGator[^/]{0,30}`) with words that
/// appear in none of its patterns: logveil reports them as `(other)`, since such text could be
/// anything a client sent.
const CAPTURED_NAMES: &[&str] = &["NewsGator FetchLinks extension", "NewsGatorOnline"];

fn check(classifier: &mut AgentClassifier, case: &Case<'_>) -> Vec<String> {
    let c = classifier.classify(case.agent.as_bytes());
    let mut wrong = Vec::new();
    // uap-core's "Other" is logveil's "(other)".
    let family = if case.family == "Other" || CAPTURED_NAMES.contains(&case.family) {
        OTHER
    } else {
        case.family
    };
    if &*c.family != family {
        wrong.push(format!("family {} (want {family})", c.family));
    }
    if c.major.as_deref().unwrap_or("") != case.major {
        wrong.push(format!("major {:?} (want {:?})", c.major, case.major));
    }
    let os = if case.os == "Other" { OTHER } else { case.os };
    if case.os != "*" && &*c.os_family != os {
        wrong.push(format!("os {} (want {os})", c.os_family));
    }
    if c.is_bot() != case.bot {
        wrong.push(format!("bot {:?} (want {})", c.bot, case.bot));
    }
    if c.is_bot() != (c.device == DeviceClass::Bot) {
        wrong.push(format!("device {:?} for bot {:?}", c.device, c.bot));
    }
    wrong
}

#[test]
fn uap_core_test_agents_are_classified_as_uap_core_expects() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/user_agents.tsv"),
    )
    .unwrap();
    let mut classifier = AgentClassifier::default();
    let mut failures = Vec::new();
    let mut cases = 0;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 5, "{line}");
        let case = Case {
            agent: f[0],
            family: f[1],
            major: f[2],
            os: f[3],
            bot: f[4] == "bot",
        };
        cases += 1;
        let wrong = check(&mut classifier, &case);
        if !wrong.is_empty() {
            failures.push(format!("{}: {}", case.agent, wrong.join(", ")));
        }
    }
    assert!(cases >= 100, "{cases}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn current_browsers_ai_crawlers_and_libraries() {
    let cases = [
        Case {
            agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            family: "Chrome",
            major: "131",
            os: "Windows",
            bot: false,
        },
        Case {
            agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            family: "Edge",
            major: "131",
            os: "Windows",
            bot: false,
        },
        Case {
            agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:132.0) Gecko/20100101 Firefox/132.0",
            family: "Firefox",
            major: "132",
            os: "Mac OS X",
            bot: false,
        },
        Case {
            agent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.39 Mobile Safari/537.36",
            family: "Chrome Mobile",
            major: "131",
            os: "Android",
            bot: false,
        },
        Case {
            agent: "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
            family: "*",
            major: "*",
            os: "*",
            bot: true,
        },
        Case {
            agent: "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
            family: "*",
            major: "*",
            os: "*",
            bot: true,
        },
        Case {
            agent: "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)",
            family: "*",
            major: "*",
            os: "*",
            bot: true,
        },
        Case {
            agent: "python-requests/2.32.3",
            family: "*",
            major: "*",
            os: "*",
            bot: true,
        },
        Case {
            agent: "Go-http-client/1.1",
            family: "*",
            major: "*",
            os: "*",
            bot: true,
        },
    ];
    let mut classifier = AgentClassifier::default();
    for case in &cases {
        let mut wrong = check(&mut classifier, case);
        // Bots are named in the bots table; their browser fields are not checked here.
        wrong
            .retain(|w| !(case.family == "*" && !w.starts_with("bot") && !w.starts_with("device")));
        assert!(wrong.is_empty(), "{}: {}", case.agent, wrong.join(", "));
    }
    let names: Vec<_> = cases[4..]
        .iter()
        .map(|c| classifier.classify(c.agent.as_bytes()).bot.clone().unwrap())
        .collect();
    assert_eq!(
        names.iter().map(|n| &**n).collect::<Vec<_>>(),
        [
            "GPTBot",
            "ClaudeBot",
            "PerplexityBot",
            "python-requests",
            "Go-http-client"
        ]
    );
}

/// One combined line per path by `client`/`agent`, `gap` seconds apart from `start` (seconds of the day).
fn hits(client: &str, agent: &str, start: i64, gap: i64, paths: &[&str]) -> String {
    paths
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let t = start + i as i64 * gap;
            format!(
                "{client} - - [10/Oct/2024:{:02}:{:02}:{:02} +0000] \"GET {path} HTTP/1.1\" 200 1000 \"-\" \"{agent}\"\n",
                t / 3600,
                t / 60 % 60,
                t % 60
            )
        })
        .collect()
}

#[test]
fn fast_asset_free_browsers_are_likely_automated_and_crawlers_are_bots() {
    let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0";
    let gptbot = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)";
    let pages: Vec<String> = (0..12).map(|i| format!("/article/{i}")).collect();
    let pages: Vec<&str> = pages.iter().map(String::as_str).collect();
    let mut log = String::new();
    // A: 12 pages two seconds apart, no asset: likely automated.
    log += &hits("81.2.69.1", chrome, 36_000, 2, &pages);
    // B: the same pace, but it loads the stylesheet: a browser.
    log += &hits("81.2.69.2", chrome, 36_000, 2, &pages);
    log += &hits("81.2.69.2", chrome, 36_001, 0, &["/site.css"]);
    // C: 12 pages a minute apart: a reader.
    log += &hits("81.2.69.3", firefox, 36_000, 60, &pages);
    // GPTBot: fast and asset-free too, but a declared crawler, so not a visitor at all.
    log += &hits("81.2.69.4", gptbot, 36_000, 1, &pages);
    let json = common::report_json_stdin(&["--min-visitors", "0", "-"], log.as_bytes());
    assert_eq!(common::total(&json, "visitors"), 3);
    assert_eq!(common::total(&json, "likely_automated"), 1);
    assert_eq!(
        common::rows(&json, "bots"),
        vec![common::row("GPTBot", 12, 1)]
    );
    assert_eq!(json["bots"][0]["bytes"], 12_000);
    assert_eq!(
        common::rows(&json, "browsers"),
        vec![
            common::row("Chrome 131", 25, 2),
            common::row("Firefox 131", 12, 1)
        ]
    );
}
