//! Visitor keys: a keyed hash of the full client address and user agent, with a fresh random
//! secret for each visitor window.
//!
//! Secrets come from the operating system, one per window, and are never derived from one master
//! secret, so a key from one day cannot be linked to the same person's key from another. They live
//! only in memory and are never printed, not even by `Debug`.

use rustc_hash::FxHashMap;
use siphasher::sip::SipHasher24;
use std::fmt;
use std::hash::Hasher;
use std::sync::Mutex;

use crate::format::time::UnixSeconds;

/// How long one visitor key lives: the same person in two windows counts as two visitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitorWindow {
    /// One key per UTC calendar day (as Plausible and GoAccess count daily visitors).
    #[default]
    Day,
    /// One key per ISO week (Monday to Sunday, UTC).
    Week,
    /// One key for the whole run.
    Run,
}

impl VisitorWindow {
    /// The window a timestamp falls in.
    #[inline]
    pub fn window_of(self, t: UnixSeconds) -> i64 {
        let day = t.div_euclid(86_400);
        match self {
            VisitorWindow::Day => day,
            // 1970-01-01 was a Thursday; shifting by 3 makes weeks start on Monday.
            VisitorWindow::Week => (day + 3).div_euclid(7),
            VisitorWindow::Run => 0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            VisitorWindow::Day => "day",
            VisitorWindow::Week => "week",
            VisitorWindow::Run => "run",
        }
    }
}

/// A SipHash key.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Secret([u64; 2]);

impl Secret {
    fn random() -> Secret {
        Secret(random_key())
    }
}

/// 128 random bits from the operating system, as two words: the keys of the visitor windows,
/// the memos and the hash of client-chosen keys.
pub(crate) fn random_key() -> [u64; 2] {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system has no random source");
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    [word(0), word(8)]
}

/// The secrets of every window seen in this run, shared by all workers.
pub struct WindowSecrets {
    window: VisitorWindow,
    secrets: Mutex<FxHashMap<i64, Secret>>,
}

impl fmt::Debug for WindowSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WindowSecrets")
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl WindowSecrets {
    pub fn new(window: VisitorWindow) -> WindowSecrets {
        WindowSecrets {
            window,
            secrets: Mutex::new(FxHashMap::default()),
        }
    }

    fn secret_of(&self, window_id: i64) -> Secret {
        let mut secrets = self.secrets.lock().unwrap_or_else(|e| e.into_inner());
        *secrets.entry(window_id).or_insert_with(Secret::random)
    }

    /// A per-worker handle that remembers the last window's secret, so the lock is taken only
    /// when a worker crosses into another window.
    pub fn keyer(&self) -> VisitorKeyer<'_> {
        VisitorKeyer {
            secrets: self,
            cached: None,
        }
    }
}

/// Computes visitor keys for one worker.
pub struct VisitorKeyer<'s> {
    secrets: &'s WindowSecrets,
    cached: Option<(i64, Secret)>,
}

/// The longest identity hashed in one call: an IPv6 address is 16 bytes; host names, which
/// can be longer, are streamed.
const ONE_SHOT_IDENTITY: usize = 32;

/// An anonymous visitor key: a keyed hash, meaningless without the window's secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VisitorKey(pub u64);

impl VisitorKeyer<'_> {
    /// The key of the visitor identified by `identity` (address octets or a host name) and the
    /// [`agent_digest`] of its user agent at time `t`.
    #[inline]
    pub fn key(&mut self, t: UnixSeconds, identity: &[u8], agent: AgentDigest) -> VisitorKey {
        let window_id = self.secrets.window.window_of(t);
        let secret = match self.cached {
            Some((id, secret)) if id == window_id => secret,
            _ => {
                let secret = self.secrets.secret_of(window_id);
                self.cached = Some((window_id, secret));
                secret
            }
        };
        // The digest has a fixed length, so identity and agent need no separator: SipHash
        // counts the message length.
        let hasher = SipHasher24::new_with_keys(secret.0[0], secret.0[1]);
        // perf: an address and the digest fit one message on the stack, hashed in one call;
        // two streamed writes cost twice as many instructions, buffering the tail between
        // them. Both give the same key.
        // perf: an IPv4 address, most clients', is copied at a fixed length: the general
        // copy below is a `memcpy` call on every line.
        if let Ok(v4) = <&[u8; 4]>::try_from(identity) {
            let mut message = [0u8; 4 + 16];
            message[..4].copy_from_slice(v4);
            message[4..].copy_from_slice(&agent.0);
            return VisitorKey(hasher.hash(&message));
        }
        if identity.len() <= ONE_SHOT_IDENTITY {
            let mut message = [0u8; ONE_SHOT_IDENTITY + 16];
            let end = identity.len() + 16;
            message[..identity.len()].copy_from_slice(identity);
            message[identity.len()..end].copy_from_slice(&agent.0);
            return VisitorKey(hasher.hash(&message[..end]));
        }
        let mut hasher = hasher;
        hasher.write(identity);
        hasher.write(&agent.0);
        VisitorKey(hasher.finish())
    }
}

/// A 128-bit keyed hash of a user agent string, under a random secret of this process.
///
/// Workers cache it with the agent's class, so the per-line visitor key hashes 16 bytes instead
/// of the whole agent (a hundred bytes or more). Like the agent itself it lives in memory only.
/// Held as the bytes the visitor key hashes, so they are laid out once per agent, not per line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentDigest([u8; 16]);

/// The digest of `agent`; the same in every worker of one process.
pub fn agent_digest(agent: &[u8]) -> AgentDigest {
    static SECRET: std::sync::OnceLock<Secret> = std::sync::OnceLock::new();
    let secret = SECRET.get_or_init(Secret::random);
    let mut hasher = siphasher::sip128::SipHasher24::new_with_keys(secret.0[0], secret.0[1]);
    hasher.write(agent);
    AgentDigest(siphasher::sip128::Hasher128::finish128(&hasher).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_visitor_same_window_same_key() {
        let secrets = WindowSecrets::new(VisitorWindow::Day);
        let (mut a, mut b) = (secrets.keyer(), secrets.keyer());
        assert_eq!(
            a.key(1000, b"1.2.3.4", agent_digest(b"ua")),
            b.key(80_000, b"1.2.3.4", agent_digest(b"ua"))
        );
        assert_ne!(
            a.key(1000, b"1.2.3.4", agent_digest(b"ua")),
            a.key(1000, b"1.2.3.5", agent_digest(b"ua"))
        );
        assert_ne!(
            a.key(1000, b"1.2.3.4", agent_digest(b"ua")),
            a.key(1000, b"1.2.3.4", agent_digest(b"ub"))
        );
        // A split elsewhere between identity and agent is another key.
        assert_ne!(
            a.key(1000, b"ab", agent_digest(b"c")),
            a.key(1000, b"a", agent_digest(b"bc"))
        );
    }

    #[test]
    fn one_call_and_streamed_hashing_give_the_same_key() {
        let secrets = WindowSecrets::new(VisitorWindow::Day);
        let mut keyer = secrets.keyer();
        let agent = agent_digest(b"Mozilla/5.0");
        let secret = secrets.secret_of(VisitorWindow::Day.window_of(1000));
        // Both sides of the one-call limit, IPv4 and IPv6 lengths among them.
        for len in 0..=ONE_SHOT_IDENTITY + 8 {
            let identity: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(37)).collect();
            let mut streamed = SipHasher24::new_with_keys(secret.0[0], secret.0[1]);
            streamed.write(&identity);
            streamed.write(&agent.0);
            assert_eq!(
                keyer.key(1000, &identity, agent),
                VisitorKey(streamed.finish()),
                "{len}"
            );
        }
    }

    #[test]
    fn a_new_day_has_an_unlinkable_key() {
        let secrets = WindowSecrets::new(VisitorWindow::Day);
        let mut k = secrets.keyer();
        assert_ne!(
            k.key(1000, b"1.2.3.4", agent_digest(b"ua")),
            k.key(1000 + 86_400, b"1.2.3.4", agent_digest(b"ua"))
        );
        let run = WindowSecrets::new(VisitorWindow::Run);
        let mut k = run.keyer();
        assert_eq!(
            k.key(1000, b"1.2.3.4", agent_digest(b"ua")),
            k.key(1000 + 86_400 * 30, b"1.2.3.4", agent_digest(b"ua"))
        );
    }

    #[test]
    fn separate_runs_have_separate_secrets() {
        let (a, b) = (
            WindowSecrets::new(VisitorWindow::Day),
            WindowSecrets::new(VisitorWindow::Day),
        );
        assert_ne!(
            a.keyer().key(5, b"x", agent_digest(b"y")),
            b.keyer().key(5, b"x", agent_digest(b"y"))
        );
    }

    #[test]
    fn weeks_start_on_monday() {
        let monday = crate::format::time::days_from_civil(2024, 10, 7) * 86_400;
        let w = VisitorWindow::Week;
        assert_eq!(
            w.window_of(monday),
            w.window_of(monday + 6 * 86_400 + 86_399)
        );
        assert_ne!(w.window_of(monday), w.window_of(monday - 1));
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let secrets = WindowSecrets::new(VisitorWindow::Day);
        let _ = secrets.keyer().key(5, b"x", agent_digest(b"y"));
        let shown = format!("{secrets:?}");
        assert!(
            !shown.contains("Secret(") && !shown.contains("secrets:"),
            "{shown}"
        );
    }
}
