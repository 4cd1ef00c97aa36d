//! Host names: reduced to their registrable domain under the ICANN section of the public suffix
//! list, so `piweba3y.prodigy.com` becomes `prodigy.com` and `alice-home.duckdns.org` becomes
//! `duckdns.org` (the private section would keep it whole).

use psl::{List, Psl, Type};

/// The longest host name kept for processing (DNS allows 253 characters).
const MAX_HOST_LEN: usize = 253;

/// Lower-cases a host name into `out`, dropping a trailing dot; `false` if it is not a plausible
/// DNS name (empty, too long, or with bytes DNS names do not have).
pub fn normalise_host(host: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let host = host.strip_suffix(b".").unwrap_or(host);
    if host.is_empty() || host.len() > MAX_HOST_LEN {
        return false;
    }
    for &b in host {
        if !(b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_') {
            return false;
        }
        out.push(b.to_ascii_lowercase());
    }
    !host.starts_with(b".") && !host.windows(2).any(|w| w == b"..")
}

/// Length of the ICANN public suffix at the end of `name`, if it has one.
fn icann_suffix_len(name: &[u8]) -> Option<usize> {
    let mut tail = name;
    loop {
        let info = List.find(tail.rsplit(|&b| b == b'.'));
        match info.typ {
            Some(Type::Icann) => return Some(info.len),
            // A private rule (github.io, duckdns.org): look again below its leftmost label.
            Some(Type::Private) => {
                let suffix = &tail[tail.len() - info.len..];
                let dot = memchr::memchr(b'.', suffix)?;
                tail = &suffix[dot + 1..];
            }
            None => return None,
        }
    }
}

/// The registrable domain (ICANN suffix plus one label) of a normalised host name.
///
/// `None` when the name has no ICANN suffix or is itself a suffix.
pub fn registrable_domain(name: &[u8]) -> Option<&[u8]> {
    let suffix_len = icann_suffix_len(name)?;
    if suffix_len >= name.len() {
        return None;
    }
    let before = &name[..name.len() - suffix_len - 1];
    let label_start = memchr::memrchr(b'.', before).map_or(0, |d| d + 1);
    let domain = &name[label_start..];
    let label = &name[label_start..name.len() - suffix_len - 1];
    if label.is_empty() || embeds_address(label) {
        return None;
    }
    Some(domain)
}

/// Shortens a normalised host name in place to its registrable domain; empties it if it has none.
pub fn keep_registrable_domain(name: &mut Vec<u8>) {
    match registrable_domain(name).map(<[u8]>::len) {
        Some(len) => {
            name.drain(..name.len() - len);
        }
        None => name.clear(),
    }
}

/// True when a label looks like it carries an address (`73-12-34-56`, `c0a80001ff`), so keeping
/// it would keep the address.
fn embeds_address(label: &[u8]) -> bool {
    let digit_runs = label
        .split(|b| !b.is_ascii_digit())
        .filter(|run| !run.is_empty())
        .count();
    let longest_hex = label
        .split(|b| !b.is_ascii_hexdigit())
        .filter(|run| run.iter().any(u8::is_ascii_digit))
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0);
    digit_runs >= 3 || longest_hex >= 8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(host: &str) -> Option<String> {
        let mut buf = Vec::new();
        assert!(normalise_host(host.as_bytes(), &mut buf), "{host}");
        registrable_domain(&buf).map(|d| String::from_utf8(d.to_vec()).unwrap())
    }

    #[test]
    fn host_names_keep_only_the_registrable_domain() {
        assert_eq!(reg("piweba3y.prodigy.com").as_deref(), Some("prodigy.com"));
        assert_eq!(reg("Www.BBC.co.UK.").as_deref(), Some("bbc.co.uk"));
        assert_eq!(
            reg("c-73-12-34-56.hsd1.ca.comcast.net").as_deref(),
            Some("comcast.net")
        );
        assert_eq!(reg("example.com").as_deref(), Some("example.com"));
    }

    #[test]
    fn private_suffixes_are_not_used() {
        assert_eq!(
            reg("alice-home.duckdns.org").as_deref(),
            Some("duckdns.org")
        );
        assert_eq!(reg("alice.github.io").as_deref(), Some("github.io"));
    }

    #[test]
    fn names_without_an_icann_suffix_or_with_an_address_give_nothing() {
        assert_eq!(reg("localhost"), None);
        assert_eq!(reg("router.lan"), None);
        assert_eq!(reg("co.uk"), None);
        assert_eq!(reg("73-12-34-56.com"), None);
        assert_eq!(reg("host.c0a80001ff.net"), None);
    }

    #[test]
    fn implausible_names_are_refused() {
        let mut buf = Vec::new();
        assert!(!normalise_host(b"a b.com", &mut buf));
        assert!(!normalise_host(b"", &mut buf));
        assert!(!normalise_host(b"a..b.com", &mut buf));
        assert!(!normalise_host(&[b'a'; 300], &mut buf));
    }
}
