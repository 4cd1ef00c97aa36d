//! Request targets: the page key a request is counted under.
//!
//! Keeps the path, drops the fragment, the query string (but for allowlisted parameter names) and
//! `;` path parameters (`;jsessionid=`), and replaces segments that name a person or a secret with
//! placeholders: `:email`, `:uuid`, `:token`, `:ip`, `:id`.

use crate::format::find;

/// The longest page key kept; longer paths (scanners send kilobytes) are cut and marked.
pub const MAX_PAGE_LEN: usize = 256;

/// What to keep of a request target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Query parameter names kept with their value.
    pub keep_query: Vec<Vec<u8>>,
}

impl Default for UrlPolicy {
    fn default() -> Self {
        UrlPolicy {
            keep_query: ["utm_source", "utm_medium", "utm_campaign"]
                .iter()
                .map(|s| s.as_bytes().to_vec())
                .collect(),
        }
    }
}

/// The placeholder a sensitive segment is replaced by, if it is sensitive.
pub fn classify_segment(seg: &[u8]) -> Option<&'static [u8]> {
    if seg.is_empty() {
        return None;
    }
    if is_jwt(seg) {
        return Some(b":token");
    }
    if is_email(seg) {
        return Some(b":email");
    }
    if contains_uuid(seg) {
        return Some(b":uuid");
    }
    if is_ip(seg) {
        return Some(b":ip");
    }
    if is_token(seg) {
        return Some(b":token");
    }
    if longest_digit_run(seg) >= 4 {
        return Some(b":id");
    }
    None
}

fn is_jwt(seg: &[u8]) -> bool {
    seg.starts_with(b"eyJ") && seg.iter().filter(|&&b| b == b'.').count() == 2
}

fn is_email(seg: &[u8]) -> bool {
    let at = memchr::memchr(b'@', seg).map(|i| (i, 1)).or_else(|| {
        seg.windows(3)
            .position(|w| w[0] == b'%' && w[1] == b'4' && w[2] == b'0')
            .map(|i| (i, 3))
    });
    match at {
        Some((i, width)) => i > 0 && memchr::memchr(b'.', &seg[i + width..]).is_some(),
        None => false,
    }
}

fn contains_uuid(seg: &[u8]) -> bool {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    seg.len() >= 36
        && seg.windows(36).any(|w| {
            let mut at = 0;
            GROUPS.iter().enumerate().all(|(i, &n)| {
                let ok = w[at..at + n].iter().all(u8::is_ascii_hexdigit)
                    && (i == 4 || w[at + n] == b'-');
                at += n + 1;
                ok
            })
        })
}

fn is_ip(seg: &[u8]) -> bool {
    let dots = seg.iter().filter(|&&b| b == b'.').count();
    let colons = seg.iter().filter(|&&b| b == b':').count();
    (dots == 3 || colons >= 2) && super::ip::parse_ip(seg).is_some()
}

/// Long hex strings, and long base64 strings that mix upper case, lower case and digits (slugs
/// and file names rarely do).
fn is_token(seg: &[u8]) -> bool {
    let hex = seg.len() >= 16
        && seg.iter().all(u8::is_ascii_hexdigit)
        && seg.iter().any(u8::is_ascii_digit)
        && seg.iter().any(u8::is_ascii_alphabetic);
    let base64 = seg.len() >= 20
        && seg
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+' | b'=' | b'~'))
        && seg.iter().any(u8::is_ascii_uppercase)
        && seg.iter().any(u8::is_ascii_lowercase)
        && seg.iter().any(u8::is_ascii_digit);
    hex || base64
}

fn longest_digit_run(seg: &[u8]) -> usize {
    seg.split(|b| !b.is_ascii_digit())
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0)
}

impl UrlPolicy {
    /// Writes the page key of a request target into `out` (cleared first).
    ///
    /// Targets in absolute form (`http://host/path`, as proxies see them) keep only the path.
    pub fn scrub_path_into(&self, target: &[u8], out: &mut Vec<u8>) {
        let (path, query) = split_target(target);
        self.scrub_parts_into(path, query, out);
    }

    /// Like [`Self::scrub_path_into`], for logs that write path and query apart.
    pub fn scrub_parts_into(&self, path: &[u8], query: &[u8], out: &mut Vec<u8>) {
        self.scrub_segments_into(path, out);
        self.finish_page_key(query, out);
    }

    /// The first half of [`Self::scrub_parts_into`]: writes the scrubbed segments of `path` into
    /// `out` (cleared first). It depends on the path alone, so a memo can hold it while the
    /// query, unique on many lines, is finished per line.
    pub fn scrub_segments_into(&self, path: &[u8], out: &mut Vec<u8>) {
        out.clear();
        for (i, seg) in path.split(|&b| b == b'/').enumerate() {
            if i > 0 {
                out.push(b'/');
            }
            let seg = match memchr::memchr(b';', seg) {
                Some(at) => &seg[..at],
                None => seg,
            };
            out.extend_from_slice(classify_segment(seg).unwrap_or(seg));
        }
    }

    /// True when `scrubbed` is already the page key of a target with `query`: no parameter
    /// could be kept and the key is within the length cap, so [`Self::finish_page_key`] would
    /// leave it as it is.
    #[inline]
    pub fn is_finished_page_key(&self, query: &[u8], scrubbed: &[u8]) -> bool {
        (query.is_empty() || self.keep_query.is_empty()) && scrubbed.len() <= MAX_PAGE_LEN
    }

    /// The second half of [`Self::scrub_parts_into`]: appends the allowlisted parameters of
    /// `query` to the scrubbed path in `out` and caps the key's length.
    pub fn finish_page_key(&self, query: &[u8], out: &mut Vec<u8>) {
        if !query.is_empty() {
            self.keep_allowed_params(query, out);
        }
        if out.len() > MAX_PAGE_LEN {
            let mut cut = MAX_PAGE_LEN;
            // Do not cut a UTF-8 sequence in two.
            while cut > 0 && (out[cut] & 0xC0) == 0x80 {
                cut -= 1;
            }
            out.truncate(cut);
            out.extend_from_slice("…".as_bytes());
        }
    }

    fn keep_allowed_params(&self, query: &[u8], out: &mut Vec<u8>) {
        if self.keep_query.is_empty() {
            return;
        }
        let mut first = true;
        for param in query.split(|&b| b == b'&' || b == b';') {
            let (name, value) = match memchr::memchr(b'=', param) {
                Some(at) => (&param[..at], &param[at + 1..]),
                None => (param, &b""[..]),
            };
            if !self.keep_query.iter().any(|k| k.as_slice() == name) {
                continue;
            }
            out.push(if first { b'?' } else { b'&' });
            first = false;
            out.extend_from_slice(name);
            out.push(b'=');
            out.extend_from_slice(classify_segment(value).unwrap_or(value));
        }
    }
}

/// Splits a request target into its path (origin removed) and its query (without `?` and
/// fragment).
pub fn split_target(target: &[u8]) -> (&[u8], &[u8]) {
    let target = strip_origin(target);
    let end = find::either(b'?', b'#', target).unwrap_or(target.len());
    let (path, rest) = target.split_at(end);
    let query = match rest.strip_prefix(b"?") {
        Some(q) => &q[..find::byte(b'#', q).unwrap_or(q.len())],
        None => b"",
    };
    (path, query)
}

/// `http://host:port/path` → `/path`; anything else is returned as is.
pub fn strip_origin(target: &[u8]) -> &[u8] {
    if target.first() == Some(&b'/') {
        return target;
    }
    match target.windows(3).position(|w| w == b"://") {
        Some(at) => {
            let after = &target[at + 3..];
            match memchr::memchr(b'/', after) {
                Some(slash) => &after[slash..],
                None => b"/",
            }
        }
        None => target,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A key said to be finished is one that finishing leaves as it is.
        #[test]
        fn a_finished_page_key_is_left_as_it_is(
            scrubbed in "/[a-z:/]{0,300}",
            query in "((utm_source|utm_medium|q)=[a-z]{0,3}&?){0,3}",
            keep_none in proptest::bool::ANY,
        ) {
            let mut policy = UrlPolicy::default();
            if keep_none {
                policy.keep_query.clear();
            }
            // Short keys with no query are finished, so the check below is not vacuous.
            proptest::prop_assert_eq!(
                policy.is_finished_page_key(b"", scrubbed.as_bytes()),
                scrubbed.len() <= MAX_PAGE_LEN
            );
            if policy.is_finished_page_key(query.as_bytes(), scrubbed.as_bytes()) {
                let mut out = scrubbed.clone().into_bytes();
                policy.finish_page_key(query.as_bytes(), &mut out);
                proptest::prop_assert_eq!(out, scrubbed.into_bytes());
            }
        }
    }

    fn scrub(target: &str) -> String {
        let mut out = Vec::new();
        UrlPolicy::default().scrub_path_into(target.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn query_strings_and_fragments_are_dropped_but_allowlisted_names() {
        assert_eq!(
            scrub("/reset?token=9f8e7d6c5b4a39281706f5e4d3c2b1a0&email=jane%40x.org"),
            "/reset"
        );
        assert_eq!(
            scrub("/a?utm_source=news&id=5&utm_medium=mail#top"),
            "/a?utm_source=news&utm_medium=mail"
        );
        assert_eq!(scrub("/a#frag?utm_source=x"), "/a");
        assert_eq!(
            scrub("/a?utm_source=jane.doe@example.org"),
            "/a?utm_source=:email"
        );
    }

    #[test]
    fn identifying_segments_become_placeholders() {
        assert_eq!(
            scrub("/users/jane.doe@example.org/profile"),
            "/users/:email/profile"
        );
        assert_eq!(scrub("/users/jane.doe%40example.org"), "/users/:email");
        assert_eq!(
            scrub("/account/550e8400-e29b-41d4-a716-446655440000"),
            "/account/:uuid"
        );
        assert_eq!(
            scrub("/f/550e8400-e29b-41d4-a716-446655440000.pdf"),
            "/f/:uuid"
        );
        assert_eq!(
            scrub("/reset/9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
            "/reset/:token"
        );
        assert_eq!(scrub("/s/dGhpc0lzQVNlY3JldFRva2VuMTIz"), "/s/:token");
        assert_eq!(
            scrub("/v/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"),
            "/v/:token"
        );
        assert_eq!(scrub("/order/12345/items"), "/order/:id/items");
        assert_eq!(scrub("/ip/203.0.113.77"), "/ip/:ip");
        assert_eq!(scrub("/ip/2001:db8::7/x"), "/ip/:ip/x");
        assert_eq!(scrub("/cart;jsessionid=ABC123/x"), "/cart/x");
    }

    #[test]
    fn ordinary_paths_are_kept() {
        for path in [
            "/",
            "/linux/doing-pxe-without-dhcp-control",
            "/shuttle/missions/sts-68/news/sts-68-mcc-05.txt",
            "/images/ksclogo-medium.gif",
            "/join_form",
            "/how-to-install-nginx-on-debian-12",
        ] {
            assert_eq!(scrub(path), path);
        }
    }

    #[test]
    fn absolute_targets_keep_only_the_path_and_long_ones_are_cut() {
        assert_eq!(scrub("http://mail.example.com:8080/inbox"), "/inbox");
        assert_eq!(scrub("http://example.com"), "/");
        let long = format!("/{}", "ab/".repeat(200));
        let got = scrub(&long);
        assert!(got.ends_with('…'));
        assert_eq!(got.len(), MAX_PAGE_LEN + "…".len());
    }
}
