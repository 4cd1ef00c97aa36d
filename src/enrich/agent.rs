//! User agents: browser family and major version, OS, device class, and which crawler it is.
//!
//! Browsers, systems and devices come from the uap-core regexes (vendored in
//! `data/uap-core/regexes.json`) through the `ua-parser` crate. Crawlers come from a short list of
//! names that uap-core does not flag (HTTP libraries, headless browsers, AI crawlers, scanners)
//! and from uap-core's `Spider` device. Classifying an agent runs hundreds of regexes, so
//! [`AgentClassifier`] caches the answer per distinct agent string, per worker.
//!
//! Names read out of an agent string by a capture group could carry anything a client sent
//! (`MyNameApp/1 CFNetwork`), so a name is kept only when every word of it also appears in the
//! uap-core patterns or replacements; otherwise it becomes `(other)` or [`UNNAMED_BOT`].

use crate::privacy::visitor::{AgentDigest, agent_digest};
use crate::stats::key_hash::{self, KeyedHashMap};
use crate::stats::profile::ProfileRows;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use rustc_hash::FxHashSet;
use std::sync::OnceLock;

/// Row key for agents uap-core does not recognise, or whose name is not in its vocabulary.
pub const OTHER: &str = "(other)";
/// Bot-table key for crawlers known only by an unvetted name.
pub const UNNAMED_BOT: &str = "(unnamed bot)";

/// The uap-core regexes, converted from `regexes.yaml` to JSON (see `data/README.md`).
const UAP_REGEXES: &str = include_str!("../../data/uap-core/regexes.json");

/// Crawlers, scripts and tools, matched case-insensitively anywhere in the agent, with the name
/// the bots table shows. The first entry of the list that matches wins, so specific names come
/// before the generic ones. A marker starting with `^` matches only at the start of the agent
/// (`Java/17` is a library, `... Java/ASVM/1.1 ...` in a phone's agent is not).
const KNOWN_BOTS: &[(&str, &str)] = &[
    // AI crawlers and assistants.
    ("gptbot", "GPTBot"),
    ("chatgpt-user", "ChatGPT-User"),
    ("oai-searchbot", "OAI-SearchBot"),
    ("claudebot", "ClaudeBot"),
    ("claude-user", "Claude-User"),
    ("claude-searchbot", "Claude-SearchBot"),
    ("claude-web", "Claude-Web"),
    ("anthropic-ai", "anthropic-ai"),
    ("ccbot", "CCBot"),
    ("perplexitybot", "PerplexityBot"),
    ("perplexity-user", "Perplexity-User"),
    ("bytespider", "Bytespider"),
    ("amazonbot", "Amazonbot"),
    ("applebot", "Applebot"),
    ("meta-externalagent", "meta-externalagent"),
    ("meta-externalfetcher", "meta-externalfetcher"),
    ("diffbot", "Diffbot"),
    ("cohere-ai", "cohere-ai"),
    ("youbot", "YouBot"),
    ("timpibot", "Timpibot"),
    ("imagesiftbot", "ImagesiftBot"),
    ("google-extended", "Google-Extended"),
    ("mistralai-user", "MistralAI-User"),
    // Search engines.
    ("adsbot-google", "AdsBot-Google"),
    ("mediapartners-google", "Mediapartners-Google"),
    ("google-inspectiontool", "Google-InspectionTool"),
    ("googleother", "GoogleOther"),
    ("storebot-google", "Storebot-Google"),
    ("googlebot", "Googlebot"),
    ("bingbot", "bingbot"),
    ("bingpreview", "BingPreview"),
    ("msnbot", "msnbot"),
    ("yahoo! slurp", "Yahoo! Slurp"),
    ("duckduckbot", "DuckDuckBot"),
    ("duckassistbot", "DuckAssistBot"),
    ("baiduspider", "Baiduspider"),
    ("yisouspider", "YisouSpider"),
    ("yandexbot", "YandexBot"),
    ("yandex", "Yandex"),
    ("sogou", "Sogou"),
    ("petalbot", "PetalBot"),
    ("seznambot", "SeznamBot"),
    ("qwantbot", "Qwantbot"),
    ("qwantify", "Qwantify"),
    ("yeti/", "Yeti"),
    ("mojeekbot", "MojeekBot"),
    // SEO tools.
    ("ahrefsbot", "AhrefsBot"),
    ("semrushbot", "SemrushBot"),
    ("mj12bot", "MJ12bot"),
    ("dotbot", "DotBot"),
    ("dataforseobot", "DataForSeoBot"),
    ("blexbot", "BLEXBot"),
    ("serpstatbot", "serpstatbot"),
    ("barkrowler", "Barkrowler"),
    ("megaindex", "MegaIndex"),
    ("screaming frog", "Screaming Frog"),
    // Link previews and feeds.
    ("facebookexternalhit", "facebookexternalhit"),
    ("facebookcatalog", "facebookcatalog"),
    ("twitterbot", "Twitterbot"),
    ("linkedinbot", "LinkedInBot"),
    ("slackbot", "Slackbot"),
    ("discordbot", "Discordbot"),
    ("telegrambot", "TelegramBot"),
    ("whatsapp", "WhatsApp"),
    ("pinterestbot", "Pinterestbot"),
    ("redditbot", "redditbot"),
    ("skypeuripreview", "SkypeUriPreview"),
    ("feedfetcher-google", "Feedfetcher-Google"),
    ("feedly", "Feedly"),
    ("ia_archiver", "ia_archiver"),
    ("archive.org_bot", "archive.org_bot"),
    // Monitors and audits.
    ("uptimerobot", "UptimeRobot"),
    ("pingdom", "Pingdom"),
    ("statuscake", "StatusCake"),
    ("site24x7", "Site24x7"),
    ("newrelicpinger", "NewRelicPinger"),
    ("datadogsynthetics", "Datadog Synthetics"),
    ("better uptime", "Better Uptime"),
    ("freshping", "Freshping"),
    ("checkly", "Checkly"),
    ("chrome-lighthouse", "Lighthouse"),
    ("ptst/", "WebPageTest"),
    // Scanners.
    ("zgrab", "zgrab"),
    ("masscan", "masscan"),
    ("nmap", "Nmap"),
    ("nikto", "Nikto"),
    ("sqlmap", "sqlmap"),
    ("nuclei", "Nuclei"),
    ("wpscan", "WPScan"),
    ("censysinspect", "CensysInspect"),
    ("expanse", "Expanse"),
    ("internetmeasurement", "InternetMeasurement"),
    ("l9explore", "l9explore"),
    // Headless browsers.
    ("headlesschrome", "HeadlessChrome"),
    ("phantomjs", "PhantomJS"),
    ("slimerjs", "SlimerJS"),
    // HTTP libraries and command-line tools.
    ("curl/", "curl"),
    ("wget/", "Wget"),
    ("python-requests", "python-requests"),
    ("python-urllib", "Python-urllib"),
    ("python-httpx", "python-httpx"),
    ("aiohttp", "aiohttp"),
    ("scrapy", "Scrapy"),
    ("go-http-client", "Go-http-client"),
    ("okhttp", "okhttp"),
    ("apache-httpclient", "Apache-HttpClient"),
    ("^java/", "Java"),
    ("libwww-perl", "libwww-perl"),
    ("lwp::simple", "libwww-perl"),
    ("guzzlehttp", "GuzzleHttp"),
    ("^node-fetch", "node-fetch"),
    ("^undici", "undici"),
    ("^axios/", "axios"),
    ("httpie", "HTTPie"),
    ("^powershell", "PowerShell"),
    ("^restsharp", "RestSharp"),
    ("^reqwest", "reqwest"),
    ("^ruby", "Ruby"),
    ("^php/", "PHP"),
];

/// Generic words that mark a crawler uap-core does not know by name.
const GENERIC_BOT_WORDS: &[&str] = &["bot/", "bot;", "bot)", "crawler", "spider", "scraper"];

/// Distinct agents remembered per worker before the cache starts afresh; bounds memory on logs
/// with random agents.
const CACHE_LIMIT: usize = 4096;

/// What a device is, as far as its agent says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceClass {
    Desktop,
    Mobile,
    Tablet,
    Bot,
    Other,
}

impl DeviceClass {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceClass::Desktop => "desktop",
            DeviceClass::Mobile => "mobile",
            DeviceClass::Tablet => "tablet",
            DeviceClass::Bot => "bot",
            DeviceClass::Other => "other",
        }
    }
}

/// Everything kept about one user agent: names from a fixed vocabulary, never the string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentClass {
    /// Browser family as uap-core names it, or [`OTHER`].
    pub family: Box<str>,
    /// Major version: digits only.
    pub major: Option<Box<str>>,
    /// Operating system family, or [`OTHER`].
    pub os_family: Box<str>,
    pub os_major: Option<Box<str>>,
    pub device: DeviceClass,
    /// The crawler's name, for bots.
    pub bot: Option<Box<str>>,
    /// `family major`: the browsers-table key.
    pub browser_key: Box<[u8]>,
    /// `os_family os_major`: the operating-systems-table key.
    pub os_key: Box<[u8]>,
    /// Browser key, OS key, device and bot name, each followed by [`DIMENSION_SEPARATOR`]:
    /// how the class starts a line's profile key in [`crate::stats`].
    pub dimensions: Box<[u8]>,
}

/// Ends each name in [`AgentClass::dimensions`]; no name holds it.
pub const DIMENSION_SEPARATOR: u8 = 0x1f;

impl AgentClass {
    pub fn is_bot(&self) -> bool {
        self.bot.is_some()
    }

    fn with_dimensions(mut self) -> AgentClass {
        let bot = self.bot.as_deref().unwrap_or_default().as_bytes();
        let device = self.device.as_str().as_bytes();
        let mut out = Vec::new();
        for name in [&self.browser_key[..], &self.os_key, device, bot] {
            out.extend(name.iter().filter(|&&b| b != DIMENSION_SEPARATOR));
            out.push(DIMENSION_SEPARATOR);
        }
        self.dimensions = out.into();
        self
    }
}

/// The compiled regexes and vocabulary, built once per process on first use and shared.
///
/// perf: the device regexes are only asked whether an agent is uap-core's `Spider`, and they
/// were 61% of the 0.91 G instructions it took to compile uap-core (callgrind, one process).
/// So only the parsers that answer `Spider` compile up front; the whole list, which decides
/// when one of them matches (an earlier parser can claim the agent first), compiles the first
/// time an agent needs it, and never for a log whose crawlers all have known names.
struct Classifier {
    /// The browser parsers in two parts, uap-core's order kept: the first part's match, if
    /// any, comes before any of the second's.
    ua: [ua_parser::user_agent::Extractor<'static>; 2],
    os: ua_parser::os::Extractor<'static>,
    /// The device parsers whose device is `Spider`: when none matches, no device is a spider.
    spider_candidates: ua_parser::device::Extractor<'static>,
    /// Every device parser, in uap-core's order.
    devices: OnceLock<ua_parser::device::Extractor<'static>>,
    vocabulary: FxHashSet<Box<str>>,
    known_bots: AhoCorasick,
    generic_bots: AhoCorasick,
}

fn classifier() -> &'static Classifier {
    static CLASSIFIER: OnceLock<Classifier> = OnceLock::new();
    CLASSIFIER.get_or_init(|| {
        let mut regexes = uap_regexes();
        let vocabulary = vocabulary_of(&regexes);
        let mut first_ua = std::mem::take(&mut regexes.user_agent_parsers);
        let second_ua = first_ua.split_off(first_ua.len() / 2);
        let build_ua = |parsers| {
            move || {
                ua_parser::user_agent::Builder::new()
                    .push_all(parsers)
                    .and_then(|b| Ok(b.build()?))
                    .expect("vendored uap-core regexes compile")
            }
        };
        let build_rest = move || {
            let os = ua_parser::os::Builder::new()
                .push_all(regexes.os_parsers)
                .map_err(ua_parser::Error::from)
                .and_then(|b| Ok(b.build()?))
                .expect("vendored uap-core regexes compile");
            let spider_candidates = device_extractor(
                regexes
                    .device_parsers
                    .into_iter()
                    .filter(|p| p.device_replacement.as_deref() == Some(SPIDER)),
            );
            (os, spider_candidates)
        };
        // perf: every worker waits for the regexes, so with a second core they compile side
        // by side, in three parts: the browser regexes took 34 ms to compile here and the
        // others 19, so two parts left one core idle for a third of the time.
        let ((os, spider_candidates), ua) =
            if std::thread::available_parallelism().is_ok_and(|n| n.get() > 1) {
                std::thread::scope(|scope| {
                    let first = scope.spawn(build_ua(first_ua));
                    let second = scope.spawn(build_ua(second_ua));
                    let rest = build_rest();
                    let joined = |part: std::thread::ScopedJoinHandle<'_, _>| {
                        part.join()
                            .expect("compiling the browser regexes does not panic")
                    };
                    (rest, [joined(first), joined(second)])
                })
            } else {
                (build_rest(), [build_ua(first_ua)(), build_ua(second_ua)()])
            };
        let case_insensitive = |patterns: Vec<&str>| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(patterns)
                .expect("bot markers build")
        };
        Classifier {
            ua,
            os,
            spider_candidates,
            devices: OnceLock::new(),
            vocabulary,
            known_bots: case_insensitive(
                KNOWN_BOTS
                    .iter()
                    .map(|(m, _)| m.trim_start_matches('^'))
                    .collect(),
            ),
            generic_bots: case_insensitive(GENERIC_BOT_WORDS.to_vec()),
        }
    })
}

/// The device uap-core gives crawlers.
const SPIDER: &str = "Spider";

fn uap_regexes() -> ua_parser::Regexes<'static> {
    serde_json::from_str(UAP_REGEXES).expect("vendored uap-core regexes are valid JSON")
}

fn device_extractor(
    parsers: impl IntoIterator<Item = ua_parser::device::Parser<'static>>,
) -> ua_parser::device::Extractor<'static> {
    ua_parser::device::Builder::new()
        .push_all(parsers)
        .map_err(ua_parser::Error::from)
        .and_then(|b| Ok(b.build()?))
        .expect("vendored uap-core regexes compile")
}

/// Lower-case alphanumeric words of every pattern and replacement of uap-core.
fn vocabulary_of(regexes: &ua_parser::Regexes<'_>) -> FxHashSet<Box<str>> {
    let mut texts: Vec<&str> = Vec::new();
    for p in &regexes.user_agent_parsers {
        texts.push(&p.regex);
        texts.extend(p.family_replacement.as_deref());
    }
    for p in &regexes.os_parsers {
        texts.push(&p.regex);
        texts.extend(p.os_replacement.as_deref());
    }
    for p in &regexes.device_parsers {
        texts.push(&p.regex);
        texts.extend(p.device_replacement.as_deref());
        texts.extend(p.brand_replacement.as_deref());
    }
    texts.extend(KNOWN_BOTS.iter().map(|(_, name)| *name));
    texts
        .into_iter()
        .flat_map(words_of)
        .map(|w| w.to_ascii_lowercase().into_boxed_str())
        .collect()
}

fn words_of(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
}

impl Classifier {
    /// True when every word of `name` is a word of the vocabulary.
    fn vetted(&self, name: &str) -> bool {
        let mut words = words_of(name).peekable();
        words.peek().is_some()
            && words.all(|w| self.vocabulary.contains(w.to_ascii_lowercase().as_str()))
    }

    /// True when uap-core's device parsers call `agent` a `Spider`: the first device parser
    /// that matches decides.
    fn is_spider(&self, agent: &str) -> bool {
        self.spider_candidates.extract(agent).is_some()
            && self
                .devices
                .get_or_init(|| device_extractor(uap_regexes().device_parsers))
                .extract(agent)
                .is_some_and(|d| d.device == SPIDER)
    }

    fn classify(&self, agent: &[u8]) -> AgentClass {
        let agent = String::from_utf8_lossy(agent);
        let ua = self.ua[0]
            .extract(&agent)
            .or_else(|| self.ua[1].extract(&agent));
        let os = self.os.extract(&agent);
        let family = ua
            .as_ref()
            .map(|u| u.family.as_ref())
            .filter(|f| *f != "Other" && self.vetted(f))
            .unwrap_or(OTHER);
        let major = ua.as_ref().and_then(|u| digits(u.major));
        let os_family = os
            .as_ref()
            .map(|o| o.os.as_ref())
            .filter(|f| *f != "Other" && self.vetted(f))
            .unwrap_or(OTHER);
        let os_major = os.as_ref().and_then(|o| digits(o.major.as_deref()));

        let known = self
            .known_bots
            .find_overlapping_iter(agent.as_bytes())
            .map(|m| m.pattern().as_usize())
            .filter(|&i| match KNOWN_BOTS[i].0.strip_prefix('^') {
                Some(prefix) => starts_with_ignore_case(&agent, prefix),
                None => true,
            })
            .min();
        let bot = match known {
            Some(i) => Some(KNOWN_BOTS[i].1),
            // The generic words first: they are cheaper than the spider regexes.
            None if self.generic_bots.is_match(agent.as_bytes()) || self.is_spider(&agent) => {
                Some(if family == OTHER { UNNAMED_BOT } else { family })
            }
            None => None,
        };
        let device = match bot {
            Some(_) => DeviceClass::Bot,
            None => device_class(&agent, os_family),
        };
        AgentClass {
            browser_key: key(family, major).into(),
            os_key: key(os_family, os_major).into(),
            family: family.into(),
            major: major.map(Into::into),
            os_family: os_family.into(),
            os_major: os_major.map(Into::into),
            device,
            bot: bot.map(Into::into),
            dimensions: Box::default(),
        }
        .with_dimensions()
    }
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// A version part kept only when it is a short run of digits.
fn digits(part: Option<&str>) -> Option<&str> {
    part.filter(|p| !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit()))
}

fn key(family: &str, major: Option<&str>) -> Vec<u8> {
    match major {
        Some(major) if family != OTHER => format!("{family} {major}").into_bytes(),
        _ => family.as_bytes().to_vec(),
    }
}

/// Desktop, mobile, tablet or other, by the conventions browsers follow: "Mobi" marks phones,
/// Android without it marks tablets.
fn device_class(agent: &str, os_family: &str) -> DeviceClass {
    let has = |s: &str| agent.contains(s);
    if has("iPad") || has("Tablet") || has("Kindle") || has("Silk/") || has("PlayBook") {
        return DeviceClass::Tablet;
    }
    if has("Mobi")
        || has("iPhone")
        || has("iPod")
        || has("Windows Phone")
        || has("Opera Mini")
        || has("BlackBerry")
        || has("IEMobile")
    {
        return DeviceClass::Mobile;
    }
    if os_family == "Android" {
        return DeviceClass::Tablet;
    }
    if os_family == "iOS" {
        return DeviceClass::Mobile;
    }
    const DESKTOP_SYSTEMS: &[&str] = &[
        "Mac OS X",
        "Linux",
        "Ubuntu",
        "Debian",
        "Fedora",
        "Chrome OS",
        "FreeBSD",
        "OpenBSD",
        "NetBSD",
        "Solaris",
        "Red Hat",
        "SUSE",
        "Gentoo",
        "Mint",
        "Arch Linux",
        "macOS",
    ];
    if os_family.starts_with("Windows") || DESKTOP_SYSTEMS.contains(&os_family) {
        return DeviceClass::Desktop;
    }
    DeviceClass::Other
}

/// The class of an empty or `-` agent.
fn unknown_agent() -> AgentClass {
    AgentClass {
        family: OTHER.into(),
        major: None,
        os_family: OTHER.into(),
        os_major: None,
        device: DeviceClass::Other,
        bot: None,
        browser_key: OTHER.as_bytes().into(),
        os_key: OTHER.as_bytes().into(),
        dimensions: Box::default(),
    }
    .with_dimensions()
}

/// Classifies agents, remembering recent answers. One per worker.
pub struct AgentClassifier {
    /// Raw agents are chosen by clients, so they hash under the process's secret key.
    cache: KeyedHashMap<Box<[u8]>, u32>,
    classes: Vec<(AgentClass, AgentDigest, ProfileRows)>,
    unknown: (AgentClass, ProfileRows),
    /// Digests of the empty agent and of `-`, computed once rather than on every such line.
    unknown_digests: [AgentDigest; 2],
    lookups: u64,
    misses: u64,
}

impl Default for AgentClassifier {
    fn default() -> Self {
        AgentClassifier {
            cache: key_hash::keyed_map(),
            classes: Vec::new(),
            unknown: (unknown_agent(), ProfileRows::default()),
            unknown_digests: [agent_digest(b""), agent_digest(b"-")],
            lookups: 0,
            misses: 0,
        }
    }
}

impl AgentClassifier {
    /// The class of `agent`, from the cache when this worker has seen it recently.
    pub fn classify(&mut self, agent: &[u8]) -> &AgentClass {
        self.classify_for_profile(agent).0
    }

    /// The class of `agent`, its [`agent_digest`], and the place the counting step keeps the
    /// class's profile rows, all cached per distinct agent.
    pub fn classify_for_profile(
        &mut self,
        agent: &[u8],
    ) -> (&AgentClass, AgentDigest, &ProfileRows) {
        if agent.is_empty() || agent == b"-" {
            let (class, rows) = &self.unknown;
            return (class, self.unknown_digests[agent.len()], rows);
        }
        self.lookups += 1;
        if let Some(&i) = self.cache.get(agent) {
            let (class, digest, rows) = &self.classes[i as usize];
            return (class, *digest, rows);
        }
        self.misses += 1;
        if self.classes.len() >= CACHE_LIMIT {
            self.cache.clear();
            self.classes.clear();
        }
        let i = self.classes.len();
        self.classes.push((
            classifier().classify(agent),
            agent_digest(agent),
            ProfileRows::default(),
        ));
        self.cache.insert(agent.into(), i as u32);
        let (class, digest, rows) = &self.classes[i];
        (class, *digest, rows)
    }

    /// Agents looked up (empty ones aside) and how many of them were not in the cache.
    pub fn cache_counts(&self) -> (u64, u64) {
        (self.lookups, self.misses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(agent: &str) -> AgentClass {
        AgentClassifier::default()
            .classify(agent.as_bytes())
            .clone()
    }

    #[test]
    fn crawlers_scripts_and_ai_agents_are_named_bots() {
        for (agent, name) in [
            (
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                "Googlebot",
            ),
            (
                "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
                "bingbot",
            ),
            ("curl/8.5.0", "curl"),
            ("Wget/1.21.3", "Wget"),
            ("python-requests/2.31.0", "python-requests"),
            (
                "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
                "GPTBot",
            ),
            (
                "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
                "ClaudeBot",
            ),
            ("CCBot/2.0 (https://commoncrawl.org/faq/)", "CCBot"),
            (
                "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
                "Bytespider",
            ),
            (
                "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)",
                "PerplexityBot",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
                "HeadlessChrome",
            ),
        ] {
            let c = class(agent);
            assert_eq!(c.bot.as_deref(), Some(name), "{agent}");
            assert_eq!(c.device, DeviceClass::Bot, "{agent}");
        }
    }

    #[test]
    fn browsers_get_family_major_os_and_device() {
        let firefox = class(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0",
        );
        assert_eq!(&*firefox.browser_key, b"Firefox 131");
        assert_eq!(&*firefox.os_family, "Windows");
        assert_eq!(firefox.device, DeviceClass::Desktop);
        assert!(!firefox.is_bot());

        let iphone = class(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
        );
        assert_eq!(&*iphone.browser_key, b"Mobile Safari 17");
        assert_eq!(&*iphone.os_key, b"iOS 17");
        assert_eq!(iphone.device, DeviceClass::Mobile);

        let tablet = class(
            "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        );
        assert_eq!(tablet.device, DeviceClass::Tablet);
        assert_eq!(&*tablet.os_key, b"Android 13");
    }

    #[test]
    fn names_read_out_of_the_agent_are_kept_only_when_uap_core_knows_their_words() {
        // uap-core's CFNetwork rule captures whatever precedes the version.
        let app = class("JaneDoesPrivateApp/12 CFNetwork/1220.1 Darwin/20.3.0");
        assert_eq!(&*app.family, OTHER);
        let bot = class("Mozilla/5.0 (compatible; janedoe-crawler/1.0)");
        assert_eq!(bot.bot.as_deref(), Some(UNNAMED_BOT));
        let canary = class("Mozilla/5.0 CanaryAgent/7.7");
        assert!(!format!("{canary:?}").contains("Canary"));
    }

    #[test]
    fn answers_are_stable_through_the_cache_and_empty_agents_are_unknown() {
        let mut c = AgentClassifier::default();
        let firefox = b"Mozilla/5.0 (Windows NT 5.1; rv:35.0) Gecko/20100101 Firefox/35.0";
        let first = c.classify(firefox).clone();
        assert_eq!(c.classify(firefox), &first);
        assert_eq!(c.cache_counts(), (2, 1));
        assert_eq!(c.classify(b"-").device, DeviceClass::Other);
        assert!(!c.classify(b"").is_bot());
        assert_eq!(c.cache_counts(), (2, 1));
    }

    /// The lazily compiled device list answers "spider?" as uap-core's full extractor does,
    /// also for agents that a spider pattern matches but an earlier device parser claims (the
    /// Silk browser of Kindles and the PlayStation Vita: `silk` is a spider word too).
    /// The agents of `tests/data/user_agents.tsv`, of the corpus's `hackers-access.log`, and
    /// a few that an early parser of a list claims before a later one.
    fn agents_to_compare() -> Vec<String> {
        let table = include_str!("../../tests/data/user_agents.tsv");
        let corpus = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/corpus/hackers-access.log"),
        )
        .expect("the shared corpus has hackers-access.log");
        let mut agents: Vec<String> = table
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split('\t').next())
            .map(String::from)
            .collect();
        agents.extend(
            String::from_utf8_lossy(&corpus)
                .lines()
                .filter_map(|l| l.rsplit('"').nth(1))
                .map(String::from),
        );
        agents.extend(
            [
                "Mozilla/5.0 (Linux; U; Android 4.0.3; en-us; KFTT Build/IML74K) AppleWebKit/535.19 (KHTML, like Gecko) Silk/3.4 Mobile Safari/535.19 Silk-Accelerated=true",
                "WhatsApp/2.23.20.0 A",
                "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Mobile Safari/537.36 (compatible; Googlebot/2.1)",
                "WordPress/6.4; https://example.org",
                "PTST/240201.170117",
            ]
            .map(String::from),
        );
        agents
    }

    #[test]
    fn spiders_are_the_full_device_parsers_spiders() {
        let full = ua_parser::Extractor::try_from(uap_regexes()).unwrap();
        let agents = agents_to_compare();
        let c = classifier();
        let (mut spiders, mut claimed) = (0, 0);
        for agent in &agents {
            let want = full.dev.extract(agent).is_some_and(|d| d.device == SPIDER);
            assert_eq!(c.is_spider(agent), want, "{agent}");
            spiders += usize::from(want);
            claimed += usize::from(!want && c.spider_candidates.extract(agent).is_some());
        }
        assert!(agents.len() > 150, "{}", agents.len());
        assert!(
            spiders > 10 && claimed >= 6,
            "{spiders} spiders, {claimed} claimed first"
        );
        let kindle = &agents[agents.len() - 7];
        assert!(kindle.contains("KFTT") && kindle.contains("Silk/3.4"));
        assert!(c.spider_candidates.extract(kindle).is_some() && !c.is_spider(kindle));
    }

    #[test]
    fn browsers_in_two_parts_are_the_whole_lists_browsers() {
        let full = ua_parser::Extractor::try_from(uap_regexes()).unwrap();
        let c = classifier();
        let mut by_part = [0; 2];
        for agent in &agents_to_compare() {
            let want = full.ua.extract(agent);
            let first = c.ua[0].extract(agent);
            let got = first.clone().or_else(|| c.ua[1].extract(agent));
            assert_eq!(got, want, "{agent}");
            if want.is_some() {
                by_part[usize::from(first.is_none())] += 1;
            }
        }
        // Both parts answer for some agents, so the order between them is checked.
        assert!(by_part[0] > 20 && by_part[1] > 5, "{by_part:?}");
    }

    #[test]
    fn the_cache_stays_bounded() {
        let mut c = AgentClassifier::default();
        for i in 0..CACHE_LIMIT + 10 {
            c.classify(format!("agent-{i}/1.0").as_bytes());
        }
        assert!(c.classes.len() <= CACHE_LIMIT && c.cache.len() <= CACHE_LIMIT);
    }
}
