//! [`byte`], [`either`] and [`first_of`]: the position of the first of one, two or a few
//! bytes in a field of a line; [`last_of`], of the last. Inlined where they are asked.
//!
//! perf: the fields of a log line are short (a quoted request of 30 to 80 bytes, an address of
//! 7 to 15) and a combined line asks for seven of them. `memchr::memchr` is a call through a
//! function pointer chosen at run time, and its AVX2 loop spends on setup and alignment what a
//! short field never pays back: about 65 instructions a call here (callgrind). This is one
//! SSE2 compare per 16 bytes (in every x86_64 target, so nothing is chosen at run time) and an
//! eight-byte word compare below 16, inlined at each call; other targets use memchr.

/// The position of the first `needle` in `haystack`.
#[inline(always)]
pub fn byte(needle: u8, haystack: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        any_of([needle], haystack)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        memchr::memchr(needle, haystack)
    }
}

/// The position of the first `a` or `b` in `haystack`.
#[inline(always)]
pub fn either(a: u8, b: u8, haystack: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        any_of([a, b], haystack)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        memchr::memchr2(a, b, haystack)
    }
}

/// The position of the first byte of `haystack` that is one of a few `needles`.
#[inline(always)]
pub fn first_of<const N: usize>(needles: [u8; N], haystack: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        any_of(needles, haystack)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        haystack.iter().position(|b| needles.contains(b))
    }
}

/// The position of the last byte of `haystack` that is one of a few `needles`.
#[inline(always)]
pub fn last_of<const N: usize>(needles: [u8; N], haystack: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        if haystack.len() >= 16 {
            sse2::rfind(needles, haystack)
        } else {
            short_last(needles, haystack)
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        haystack.iter().rposition(|b| needles.contains(b))
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn any_of<const N: usize>(needles: [u8; N], haystack: &[u8]) -> Option<usize> {
    if haystack.len() >= 16 {
        sse2::find(needles, haystack)
    } else {
        short_first(needles, haystack)
    }
}

/// [`any_of`] for fewer than 16 bytes: two overlapping words from 8 bytes, else byte by byte.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn short_first<const N: usize>(needles: [u8; N], haystack: &[u8]) -> Option<usize> {
    let len = haystack.len();
    if len < 8 {
        return haystack.iter().position(|b| needles.contains(b));
    }
    let first = |marks: u64| (marks != 0).then(|| (marks.trailing_zeros() / 8) as usize);
    if let Some(i) = first(lowest_exact_marks(word_at(haystack, 0), needles)) {
        return Some(i);
    }
    first(lowest_exact_marks(word_at(haystack, len - 8), needles)).map(|i| len - 8 + i)
}

/// [`last_of`] for fewer than 16 bytes: two overlapping words from 8 bytes, else byte by byte.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn short_last<const N: usize>(needles: [u8; N], haystack: &[u8]) -> Option<usize> {
    let len = haystack.len();
    if len < 8 {
        return haystack.iter().rposition(|b| needles.contains(b));
    }
    let last = |marks: u64| (marks != 0).then(|| (63 - marks.leading_zeros()) as usize / 8);
    if let Some(i) = last(needle_marks(word_at(haystack, len - 8), needles)) {
        return Some(len - 8 + i);
    }
    last(needle_marks(word_at(haystack, 0), needles))
}

/// The eight bytes of `haystack` from `at`, little-endian.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn word_at(haystack: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(haystack[at..at + 8].try_into().expect("eight bytes"))
}

/// The high bit of each byte of `word` that equals one of `needles`, and no other bit.
///
/// The exact zero-byte test: no carry crosses bytes, so no byte but a match is marked, and
/// the highest mark is exact.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn needle_marks<const N: usize>(word: u64, needles: [u8; N]) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOWS: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    needles.iter().fold(0, |marks, &needle| {
        let x = word ^ (ONES * u64::from(needle));
        marks | !(((x & LOWS) + LOWS) | x | LOWS)
    })
}

/// Marks like [`needle_marks`] of which only the lowest is exact: the classic zero-byte test,
/// whose borrow can mark bytes above a needle's first match, never below.
///
/// perf: two operations a needle fewer than the exact test; the first-match searches of
/// short fields use it, 11 instructions a line fewer (callgrind).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn lowest_exact_marks<const N: usize>(word: u64, needles: [u8; N]) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    needles.iter().fold(0, |marks, &needle| {
        let x = word ^ (ONES * u64::from(needle));
        marks | (x.wrapping_sub(ONES) & !x & HIGHS)
    })
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
        _mm_setzero_si128,
    };

    /// Bits set where the 16 bytes of `haystack` from `at` equal one of `needles`.
    ///
    /// # Safety
    ///
    /// `at + 16 <= haystack.len()`: the block is read without a bounds check.
    #[inline(always)]
    unsafe fn matches<const N: usize>(needles: [u8; N], haystack: &[u8], at: usize) -> u32 {
        debug_assert!(at + 16 <= haystack.len());
        // SAFETY: the caller keeps the block inside `haystack`; SSE2 is in every x86_64
        // target.
        unsafe {
            let block = _mm_loadu_si128(haystack.as_ptr().add(at).cast::<__m128i>());
            let equal = needles.iter().fold(_mm_setzero_si128(), |equal, &needle| {
                _mm_or_si128(equal, _mm_cmpeq_epi8(block, _mm_set1_epi8(needle as i8)))
            });
            _mm_movemask_epi8(equal) as u32
        }
    }

    /// The first of `needles` in `haystack`, which holds at least 16 bytes.
    #[inline(always)]
    pub fn find<const N: usize>(needles: [u8; N], haystack: &[u8]) -> Option<usize> {
        let len = haystack.len();
        debug_assert!(len >= 16);
        // SAFETY: every `at` below is at most `len - 16`.
        let matches_at = |at: usize| unsafe { matches(needles, haystack, at) };
        let mut at = 0;
        while at + 16 <= len {
            let found = matches_at(at);
            if found != 0 {
                return Some(at + found.trailing_zeros() as usize);
            }
            at += 16;
        }
        if at == len {
            return None;
        }
        // The last 16 bytes, less those seen already.
        let last = len - 16;
        let found = matches_at(last) >> (at - last);
        (found != 0).then(|| at + found.trailing_zeros() as usize)
    }

    /// The last of `needles` in `haystack`, which holds at least 16 bytes.
    #[inline(always)]
    pub fn rfind<const N: usize>(needles: [u8; N], haystack: &[u8]) -> Option<usize> {
        let len = haystack.len();
        debug_assert!(len >= 16);
        // SAFETY: every `at` below is at most `len - 16`.
        let matches_at = |at: usize| unsafe { matches(needles, haystack, at) };
        // Blocks from the end; `end` is where the bytes not yet seen stop.
        let mut end = len;
        while end >= 16 {
            let found = matches_at(end - 16);
            if found != 0 {
                return Some(end - 16 + (31 - found.leading_zeros()) as usize);
            }
            end -= 16;
        }
        if end == 0 {
            return None;
        }
        // The first 16 bytes, less those seen already.
        let found = matches_at(0) & ((1 << end) - 1);
        (found != 0).then(|| (31 - found.leading_zeros()) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn finds_the_first_match_at_every_length_and_place() {
        for len in 0..80 {
            for place in 0..=len {
                let mut hay = vec![b'a'; len];
                if place < len {
                    hay[place] = b'"';
                    // A second match after the first must not be the answer.
                    if place + 1 < len {
                        hay[len - 1] = b'"';
                    }
                }
                let want = (place < len).then_some(place);
                assert_eq!(byte(b'"', &hay), want, "len {len} place {place}");
            }
        }
    }

    #[test]
    fn high_bytes_and_borrows_do_not_make_false_matches() {
        // 0x21 next to 0x20: the word test's borrow marks a byte above a real match only.
        let hay = [0x21, 0x20, 0x21, 0xa0, 0x00, 0xff, 0x20, 0x21, 0x80];
        assert_eq!(byte(0x20, &hay), Some(1));
        assert_eq!(byte(0xa0, &hay), Some(3));
        assert_eq!(byte(0x00, &hay), Some(4));
        assert_eq!(byte(0x7f, &hay), None);
    }

    proptest! {
        #[test]
        fn agrees_with_memchr(hay in proptest::collection::vec(any::<u8>(), 0..200), needle in any::<u8>()) {
            prop_assert_eq!(byte(needle, &hay), memchr::memchr(needle, &hay));
        }

        #[test]
        fn agrees_with_memchr_on_few_values(hay in proptest::collection::vec(0u8..4, 0..100), needle in 0u8..4) {
            prop_assert_eq!(byte(needle, &hay), memchr::memchr(needle, &hay));
        }

        #[test]
        fn either_agrees_with_memchr2(hay in proptest::collection::vec(0u8..6, 0..100), a in 0u8..6, b in 0u8..6) {
            prop_assert_eq!(either(a, b, &hay), memchr::memchr2(a, b, &hay));
        }

        #[test]
        fn last_of_agrees_with_a_plain_search(hay in proptest::collection::vec(0u8..12, 0..100), needles in proptest::array::uniform2(0u8..12)) {
            let plain = hay.iter().rposition(|b| needles.contains(b));
            prop_assert_eq!(last_of(needles, &hay), plain);
        }

        #[test]
        fn last_of_is_exact_on_any_bytes(hay in proptest::collection::vec(any::<u8>(), 0..40), needle in any::<u8>()) {
            prop_assert_eq!(last_of([needle], &hay), memchr::memrchr(needle, &hay));
        }

        #[test]
        fn first_of_agrees_with_a_plain_search(hay in proptest::collection::vec(0u8..12, 0..100), needles in proptest::array::uniform5(0u8..12)) {
            let plain = hay.iter().position(|b| needles.contains(b));
            prop_assert_eq!(first_of(needles, &hay), plain);
        }
    }
}
