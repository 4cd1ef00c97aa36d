//! Client addresses: parsing, unwrapping IPv4 carried inside IPv6, and truncation to a prefix.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address with its low bits cleared: what is left of a client address after parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpPrefix {
    pub addr: IpAddr,
    pub len: u8,
}

/// Parses a client field as an IP address: plain, `[v6]`, with a `%zone` suffix, or followed by
/// a port (`203.0.113.9:2817`, `[2001:db8::1]:443`, as load balancers log clients).
pub fn parse_ip(field: &[u8]) -> Option<IpAddr> {
    if let Some(v4) = parse_dotted_quad(field) {
        return Some(IpAddr::V4(v4));
    }
    let field = if let Some(inner) = field.strip_prefix(b"[") {
        &inner[..memchr::memchr(b']', inner)?]
    } else if bytecount::count(field, b':') == 1 {
        &field[..memchr::memchr(b':', field)?]
    } else {
        field
    };
    let field = match memchr::memchr(b'%', field) {
        Some(at) => &field[..at],
        None => field,
    };
    // Cheap reject before the std parser: addresses use only hex digits, dots and colons.
    // perf: every byte is tested with no early exit, so the test has no branch on the kinds
    // of byte a field mixes. On a generated log, where a tenth of the clients are IPv6, that
    // is 0.4 mispredicted branches a line fewer (callgrind's model).
    if field.is_empty()
        || field.len() > 45
        || !field.iter().fold(true, |all, b| {
            all & (b.is_ascii_hexdigit() | (*b == b'.') | (*b == b':'))
        })
    {
        return None;
    }
    if let Some(v6) = parse_plain_v6(field) {
        return Some(IpAddr::V6(v6));
    }
    std::str::from_utf8(field).ok()?.parse().ok()
}

/// IPv6 in hex groups with at most one `::`, read without the general parser: it was a tenth of
/// the lines of a generated log and most of the cost of parsing addresses. Anything else (an
/// embedded IPv4 tail, a malformed address) is left to the standard parser, which decides.
fn parse_plain_v6(field: &[u8]) -> Option<Ipv6Addr> {
    if !(2..=39).contains(&field.len()) {
        return None;
    }
    // The groups in order, and where the `::` stands among them, if there is one.
    let mut groups = [0u16; 8];
    let mut count = 0;
    let mut gap = None;
    let mut i = 0;
    if field.starts_with(b"::") {
        gap = Some(0);
        i = 2;
    } else if field[0] == b':' {
        return None;
    }
    while i < field.len() {
        let start = i;
        let mut value: u32 = 0;
        while i < field.len() && i - start < 5 {
            let digit = match field[i] {
                b @ b'0'..=b'9' => b - b'0',
                b @ b'a'..=b'f' => b - b'a' + 10,
                b @ b'A'..=b'F' => b - b'A' + 10,
                _ => break,
            };
            value = value * 16 + u32::from(digit);
            i += 1;
        }
        if !(1..=4).contains(&(i - start)) || count == 8 {
            return None;
        }
        groups[count] = value as u16;
        count += 1;
        if i == field.len() {
            break;
        }
        if field[i] != b':' {
            return None;
        }
        i += 1;
        if field.get(i) == Some(&b':') {
            if gap.is_some() {
                return None;
            }
            gap = Some(count);
            i += 1;
        } else if i == field.len() {
            return None;
        }
    }
    match gap {
        // A `::` stands for at least one group of zeros: the groups after it move to the end.
        Some(at) if count <= 7 => {
            let after = count - at;
            groups.copy_within(at..count, 8 - after);
            groups[at..8 - after].fill(0);
        }
        None if count == 8 => {}
        _ => return None,
    }
    Some(Ipv6Addr::from(groups))
}

/// The common case, plain `a.b.c.d`, read without the general parser, which costs several times
/// more per line. Anything else (a port, leading zeros, IPv6) is left to [`parse_ip`]'s slow path,
/// which decides exactly as before.
#[inline]
fn parse_dotted_quad(field: &[u8]) -> Option<Ipv4Addr> {
    if !(7..=15).contains(&field.len()) {
        return None;
    }
    read_dotted_quad(field).and_then(|(addr, len)| (len == field.len()).then_some(addr))
}

/// A plain `a.b.c.d` at the start of `bytes`, and its length.
#[inline]
fn read_dotted_quad(bytes: &[u8]) -> Option<(Ipv4Addr, usize)> {
    match bytes.first_chunk::<16>() {
        Some(head) => read_dotted_quad_in(head),
        None => {
            // Zeros after the end stop the reading as the end does.
            let mut head = [0u8; 16];
            head[..bytes.len()].copy_from_slice(bytes);
            read_dotted_quad_in(&head)
        }
    }
}

/// [`read_dotted_quad`] on a fixed 16 bytes, which an address and the byte after it fit in.
///
/// perf: each octet read as up to three digits in a row, in place of one loop over every
/// byte with a state per digit: 200 instructions an address became about a hundred. Indexing
/// a fixed array (the index masked to its length, which it never reaches) drops the bounds
/// checks: 31 instructions a line fewer on a generated log (callgrind).
#[inline]
fn read_dotted_quad_in(head: &[u8; 16]) -> Option<(Ipv4Addr, usize)> {
    let byte = |at: usize| head[at & 15];
    let digit = |at: usize| Some(byte(at).wrapping_sub(b'0')).filter(|d| *d <= 9);
    let mut octets = [0u8; 4];
    let mut at = 0;
    for (part, octet) in octets.iter_mut().enumerate() {
        if part > 0 {
            if byte(at) != b'.' {
                return None;
            }
            at += 1;
        }
        let mut value = u32::from(digit(at)?);
        at += 1;
        if let Some(d) = digit(at) {
            // A leading zero ("01") is ambiguous (octal to some parsers): the slow path
            // rejects it, as the standard parser does.
            if value == 0 {
                return None;
            }
            value = value * 10 + u32::from(d);
            at += 1;
            if let Some(d) = digit(at) {
                value = value * 10 + u32::from(d);
                at += 1;
                if value > 255 {
                    return None;
                }
            }
        }
        *octet = value as u8;
    }
    Some((Ipv4Addr::from(octets), at))
}

/// The plain IPv4 address a line starts with, followed by a space, as the common and combined
/// formats log their client: read ahead of the line's parse, to start its country's look-up.
/// Only the privacy step reads what it holds (and no `Debug` prints it): the worker that reads
/// it ahead hands it on unopened.
#[derive(Clone, Copy)]
pub struct LeadingIpv4<'a> {
    token: &'a [u8],
    addr: Ipv4Addr,
}

impl<'a> LeadingIpv4<'a> {
    /// Reads the address `line` starts with, if a space follows it.
    #[inline]
    pub fn of(line: &'a [u8]) -> Option<LeadingIpv4<'a>> {
        let (addr, len) = read_dotted_quad(line)?;
        (line.get(len) == Some(&b' ')).then(|| LeadingIpv4 {
            token: &line[..len],
            addr,
        })
    }

    pub(super) fn addr(&self) -> Ipv4Addr {
        self.addr
    }

    /// The address, when `field` is the very token it was read from (the same bytes of the
    /// same line, not equal bytes elsewhere): what [`parse_ip`] would read from it.
    #[inline]
    pub(super) fn parsed(&self, field: &[u8]) -> Option<IpAddr> {
        (std::ptr::eq(field, self.token)).then_some(IpAddr::V4(self.addr))
    }
}

/// The IPv4 address carried by an IPv6 address, if its form embeds one.
///
/// Covers IPv4-mapped (`::ffff:0:0/96`), IPv4-compatible (`::/96`, except `::` and `::1`), 6to4
/// (`2002::/16`), NAT64 (`64:ff9b::/96`) and Teredo (`2001::/32`, client address inverted).
/// Without this a /48 of `2002:cb00:714d::1` would keep the whole IPv4 address.
pub fn embedded_ipv4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let low32 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] => Some(low32(hi, lo)),
        [0, 0, 0, 0, 0, 0, hi, lo] if u32::from(hi) << 16 | u32::from(lo) > 1 => {
            Some(low32(hi, lo))
        }
        [0x2002, hi, lo, ..] => Some(low32(hi, lo)),
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(low32(hi, lo)),
        [0x2001, 0, _, _, _, _, hi, lo] => Some(low32(!hi, !lo)),
        _ => None,
    }
}

/// Returns the address a visitor is known by: embedded IPv4 unwrapped, everything else as is.
pub fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => embedded_ipv4(v6).map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

/// Truncates a canonical address to `v4_len` or `v6_len` leading bits.
pub fn truncate(addr: IpAddr, v4_len: u8, v6_len: u8) -> IpPrefix {
    match canonical(addr) {
        IpAddr::V4(v4) => {
            let len = v4_len.min(32);
            let mask = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len))
            };
            IpPrefix {
                addr: IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask)),
                len,
            }
        }
        IpAddr::V6(v6) => {
            let len = v6_len.min(128);
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len))
            };
            IpPrefix {
                addr: IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask)),
                len,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_dotted_quad_fast_path_agrees_with_the_standard_parser() {
        for text in [
            "0.0.0.0",
            "1.2.3.4",
            "255.255.255.255",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1.2.3.04",
            "1..2.3",
            ".1.2.3",
            "1.2.3.",
            "1.2.3.4 ",
            "10.0.0.255",
            "100.200.300.1",
            "9.99.199.249",
            "1.2.3.a",
            "",
        ] {
            let std: Option<Ipv4Addr> = text.parse().ok();
            let fast = parse_dotted_quad(text.as_bytes());
            assert_eq!(fast, std, "{text}");
            assert_eq!(parse_ip(text.as_bytes()), std.map(IpAddr::V4), "{text}");
        }
    }

    use super::*;
    use proptest::prelude::*;

    fn std_v6(text: &[u8]) -> Option<Ipv6Addr> {
        std::str::from_utf8(text).ok()?.parse().ok()
    }

    #[test]
    fn plain_ipv6_reads_as_the_standard_parser_does() {
        for text in [
            "::",
            "::1",
            "1::",
            "2001:db8::1",
            "2001:DB8:0:0:8:800:200C:417A",
            "fe80::1:2",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "0001:02:3::0",
        ] {
            assert_eq!(
                parse_plain_v6(text.as_bytes()),
                std_v6(text.as_bytes()),
                "{text}"
            );
            assert!(parse_plain_v6(text.as_bytes()).is_some(), "{text}");
        }
        for text in [
            ":",
            ":::",
            "1:::2",
            "1::2::3",
            ":1::",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7",
            "1::2:3:4:5:6:7:8",
            "12345::",
            "1:",
            "::1:",
            "g::1",
            "::ffff:1.2.3.4",
        ] {
            assert_eq!(parse_plain_v6(text.as_bytes()), None, "{text}");
        }
    }

    proptest! {
        /// The dotted-quad reader decides exactly as the standard parser does, on strings of
        /// digits and dots and on four numbers joined by dots.
        #[test]
        fn dotted_quads_read_as_the_standard_parser_does(
            text in "[0-9.]{0,16}",
            parts in proptest::array::uniform4(0u32..1100),
            zero_padded in any::<bool>(),
        ) {
            let std: Option<Ipv4Addr> = text.parse().ok();
            prop_assert_eq!(parse_dotted_quad(text.as_bytes()), std);
            let joined = parts
                .iter()
                .map(|p| if zero_padded && *p < 100 { format!("0{p}") } else { p.to_string() })
                .collect::<Vec<_>>()
                .join(".");
            let std: Option<Ipv4Addr> = joined.parse().ok();
            prop_assert_eq!(parse_dotted_quad(joined.as_bytes()), std);
        }

        /// A line's leading address is read when, and only when, the token before its first
        /// space is a plain dotted quad, and it is what the general parser reads from the
        /// token.
        #[test]
        fn leading_addresses_are_read_as_the_client_field_would_be(
            token in "[0-9.:a-f\\[\\]]{0,18}",
            rest in "[ -~]{0,12}",
        ) {
            let line = format!("{token} {rest}");
            let field = &line.as_bytes()[..token.len()];
            let leading = LeadingIpv4::of(line.as_bytes());
            prop_assert_eq!(leading.is_some(), parse_dotted_quad(field).is_some());
            if let Some(leading) = leading {
                prop_assert_eq!(leading.parsed(field), parse_ip(field));
            }
        }

        /// Whatever the fast reader accepts, the standard parser reads the same way.
        #[test]
        fn plain_ipv6_never_disagrees_with_std(text in "[0-9a-fA-F:]{0,40}") {
            if let Some(fast) = parse_plain_v6(text.as_bytes()) {
                prop_assert_eq!(Some(fast), std_v6(text.as_bytes()));
            }
        }

        /// On strings built like addresses, hex groups of 0 to 5 digits joined by `:` or `::`,
        /// it decides exactly as the standard parser does.
        #[test]
        fn plain_ipv6_decides_address_like_strings_as_std_does(
            groups in proptest::collection::vec("[0-9a-fA-F]{0,5}", 1..10),
            gaps in proptest::collection::vec(prop_oneof![3 => Just(":"), 1 => Just("::")], 10),
        ) {
            let mut text = String::new();
            for (i, group) in groups.iter().enumerate() {
                if i > 0 {
                    text.push_str(gaps[i]);
                }
                text.push_str(group);
            }
            prop_assert_eq!(parse_plain_v6(text.as_bytes()), std_v6(text.as_bytes()), "{}", text);
        }

        /// It reads every address the standard library writes without an IPv4 tail, and the
        /// uncompressed form of every address.
        #[test]
        fn plain_ipv6_reads_what_std_writes(
            groups in proptest::array::uniform8(prop_oneof![Just(0u16), Just(1u16), any::<u16>()])
        ) {
            let addr = Ipv6Addr::from(groups);
            let text = addr.to_string();
            if !text.contains('.') {
                prop_assert_eq!(parse_plain_v6(text.as_bytes()), Some(addr));
            }
            let full = groups.iter().map(|g| format!("{g:x}")).collect::<Vec<_>>().join(":");
            prop_assert_eq!(parse_plain_v6(full.as_bytes()), Some(addr));
        }
    }

    #[test]
    fn a_leading_address_answers_only_for_the_token_it_was_read_from() {
        let line = b"203.0.113.9 - - [01/Oct/2024:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1";
        let leading = LeadingIpv4::of(line).unwrap();
        assert_eq!(leading.addr(), Ipv4Addr::new(203, 0, 113, 9));
        assert_eq!(leading.parsed(&line[..11]), Some(ip("203.0.113.9")));
        // Equal bytes elsewhere, or another slice of the line, are not its token.
        let copy = line[..11].to_vec();
        assert_eq!(leading.parsed(&copy), None);
        assert_eq!(leading.parsed(&line[..10]), None);
        assert_eq!(leading.parsed(&line[1..11]), None);
        for not_leading in [
            &b"203.0.113.9"[..],
            b"203.0.113.9:80 - -",
            b"2001:db8::1 - -",
            b"example.org 203.0.113.9 -",
            b"01.2.3.4 - -",
            b"",
        ] {
            assert!(LeadingIpv4::of(not_leading).is_none());
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv4_is_cut_to_its_prefix() {
        assert_eq!(truncate(ip("203.0.113.77"), 24, 48).addr, ip("203.0.113.0"));
        assert_eq!(truncate(ip("203.0.113.77"), 16, 48).addr, ip("203.0.0.0"));
        assert_eq!(truncate(ip("203.0.113.77"), 0, 48).addr, ip("0.0.0.0"));
        assert_eq!(
            truncate(ip("203.0.113.77"), 32, 48).addr,
            ip("203.0.113.77")
        );
    }

    #[test]
    fn ipv6_is_cut_to_its_prefix() {
        let p = truncate(ip("2001:db8:abcd:12::7"), 24, 48);
        assert_eq!((p.addr, p.len), (ip("2001:db8:abcd::"), 48));
    }

    #[test]
    fn ipv6_forms_that_carry_ipv4_are_truncated_as_ipv4() {
        for v6 in [
            "::ffff:203.0.113.77",
            "::203.0.113.77",
            "2002:cb00:714d::1",
            "64:ff9b::cb00:714d",
            // Teredo stores the client address inverted: !203.0.113.77 = 52.255.142.178.
            "2001:0:4136:e378:8000:63bf:34ff:8eb2",
        ] {
            let p = truncate(ip(v6), 24, 48);
            assert_eq!((p.addr, p.len), (ip("203.0.113.0"), 24), "{v6}");
        }
        assert_eq!(canonical(ip("::1")), ip("::1"));
    }

    #[test]
    fn client_fields_parse_with_brackets_and_zones() {
        assert_eq!(parse_ip(b"[2001:db8::1]"), Some(ip("2001:db8::1")));
        assert_eq!(parse_ip(b"[2001:db8::1]:443"), Some(ip("2001:db8::1")));
        assert_eq!(parse_ip(b"203.0.113.9:2817"), Some(ip("203.0.113.9")));
        assert_eq!(parse_ip(b"203.0.113:80"), None);
        assert_eq!(parse_ip(b"fe80::1%eth0"), Some(ip("fe80::1")));
        assert_eq!(parse_ip(b"uplherc.upl.com"), None);
        assert_eq!(parse_ip(b"1.2.3"), None);
        assert_eq!(parse_ip(b""), None);
    }
}
