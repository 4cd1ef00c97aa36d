//! User agents: is this a crawler, a script or a monitor rather than a person's browser?
//!
//! [`AgentClassifier`] caches answers per distinct agent string, since a log has few distinct
//! agents and many lines.

use memchr::memmem;
use rustc_hash::FxHashMap;

/// Lower-case fragments that mark an agent as automated: crawler names, HTTP libraries, command
/// line tools, headless browsers, monitors and AI crawlers.
const BOT_MARKERS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "slurp",
    "scrape",
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "go-http-client",
    "java/",
    "okhttp",
    "apache-httpclient",
    "libwww-perl",
    "lwp::",
    "httpclient",
    "guzzlehttp",
    "node-fetch",
    "axios/",
    "headlesschrome",
    "phantomjs",
    "scrapy",
    "facebookexternalhit",
    "ia_archiver",
    "feedfetcher",
    "monitor",
    "uptime",
    "pingdom",
    "lighthouse",
    "zgrab",
    "masscan",
    "nmap",
    "nikto",
    "sqlmap",
    "ccbot",
    "perplexity",
    "bytespider",
    "claude",
    "gptbot",
    "chatgpt",
    "petalsearch",
    "baiduspider",
    "semrush",
    "ahrefs",
    "mj12",
    "dataforseo",
];

/// Entries kept before the cache is emptied; bounds memory on logs with random agents.
const CACHE_LIMIT: usize = 4096;

/// Classifies agents, remembering recent answers. One per worker.
pub struct AgentClassifier {
    finders: Vec<memmem::Finder<'static>>,
    cache: FxHashMap<Box<[u8]>, bool>,
    lower: Vec<u8>,
}

impl Default for AgentClassifier {
    fn default() -> Self {
        AgentClassifier {
            finders: BOT_MARKERS
                .iter()
                .map(|m| memmem::Finder::new(m.as_bytes()))
                .collect(),
            cache: FxHashMap::default(),
            lower: Vec::new(),
        }
    }
}

impl AgentClassifier {
    /// True when `agent` belongs to a bot, crawler, script or monitor.
    pub fn is_bot(&mut self, agent: &[u8]) -> bool {
        if agent.is_empty() || agent == b"-" {
            return false;
        }
        if let Some(&known) = self.cache.get(agent) {
            return known;
        }
        self.lower.clear();
        self.lower.extend(agent.iter().map(u8::to_ascii_lowercase));
        let bot = self.finders.iter().any(|f| f.find(&self.lower).is_some());
        if self.cache.len() >= CACHE_LIMIT {
            self.cache.clear();
        }
        self.cache.insert(agent.into(), bot);
        bot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crawlers_scripts_and_ai_agents_are_bots() {
        let mut c = AgentClassifier::default();
        for agent in [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "curl/8.5.0",
            "Wget/1.21.3",
            "python-requests/2.31.0",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
            "CCBot/2.0 (https://commoncrawl.org/faq/)",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
        ] {
            assert!(c.is_bot(agent.as_bytes()), "{agent}");
        }
    }

    #[test]
    fn browsers_are_not_bots_and_answers_are_stable_through_the_cache() {
        let mut c = AgentClassifier::default();
        let firefox = b"Mozilla/5.0 (Windows NT 5.1; rv:35.0) Gecko/20100101 Firefox/35.0";
        for _ in 0..2 {
            assert!(!c.is_bot(firefox));
            assert!(!c.is_bot(b"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"));
            assert!(!c.is_bot(b""));
        }
    }
}
