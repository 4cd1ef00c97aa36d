//! Accept-Language: only the primary language tag of the first preference is kept
//! (`de-CH,de;q=0.9,en;q=0.8` → `de`), so the header cannot single anyone out.

/// Writes the primary tag of `header` into `out` (cleared first); leaves it empty when the header
/// is absent or starts with something that is not a 2- or 3-letter tag.
pub fn primary_language_into(header: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let first = header
        .split(|&b| b == b',' || b == b';')
        .next()
        .unwrap_or(b"")
        .trim_ascii();
    let tag = first
        .split(|&b| b == b'-' || b == b'_')
        .next()
        .unwrap_or(b"");
    if (2..=3).contains(&tag.len()) && tag.iter().all(u8::is_ascii_alphabetic) {
        out.extend(tag.iter().map(u8::to_ascii_lowercase));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn primary(header: &str) -> String {
        let mut out = Vec::new();
        primary_language_into(header.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn keeps_only_the_first_primary_tag() {
        assert_eq!(primary("de-CH,de;q=0.9,en;q=0.8"), "de");
        assert_eq!(primary("EN_us"), "en");
        assert_eq!(primary(" fil;q=1"), "fil");
        assert_eq!(primary("*"), "");
        assert_eq!(primary("-"), "");
        assert_eq!(primary("x-klingon"), "");
        assert_eq!(primary(""), "");
    }
}
