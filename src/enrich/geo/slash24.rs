//! The country of every IPv4 `/24` asked so far, shared by all workers: one byte per `/24`.
//!
//! perf: a per-worker hash map of prefixes cost two cache misses a line (its control bytes and
//! its key), a sixth of a one-thread run on a generated log whose clients come from all over
//! the address space. One byte per `/24` is 16 MiB of address space, of which only the pages
//! of `/24`s asked are ever touched; one load answers, and no answer is asked of the database
//! twice. Each worker keeps its recent answers in front of it (`RecentSlash24s`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU16, Ordering};

/// Slot value of a `/24` not asked yet.
pub(super) const NOT_ASKED: u8 = 0;
/// Slot value of a `/24` in no country.
const NO_COUNTRY: u8 = 1;
/// Slot values from here on name `codes[value - FIRST_CODE]`.
const FIRST_CODE: u8 = 2;
/// Distinct codes the table can name; answers in codes past them are not kept.
const MAX_CODES: usize = (u8::MAX - FIRST_CODE) as usize + 1;

/// Answers per `/24`, written once each (by whichever worker asks first) and read without locks.
pub(super) struct Slash24Countries {
    /// By `/24` number (the address shifted right by 8).
    slots: Box<[AtomicU8]>,
    /// Two-letter codes packed in a `u16`, by slot value.
    codes: Box<[AtomicU16]>,
    /// The codes named so far, in slot-value order; taken only to name a new code.
    named: Mutex<Vec<[u8; 2]>>,
}

impl Slash24Countries {
    pub(super) fn new() -> Slash24Countries {
        Slash24Countries {
            // Zeroed by the allocator: pages stay untouched until a `/24` in them is answered.
            slots: bytemuck::zeroed_slice_box(1 << 24),
            codes: (0..MAX_CODES).map(|_| AtomicU16::new(0)).collect(),
            named: Mutex::new(Vec::new()),
        }
    }

    /// The answer for `/24` number `slash24` (`< 2^24`): `None` when not asked yet, else the
    /// country, if any.
    #[cfg(test)]
    pub(super) fn get(&self, slash24: u32) -> Option<Option<[u8; 2]>> {
        match self.value(slash24) {
            NOT_ASKED => None,
            value => Some(self.country(value)),
        }
    }

    /// The slot value of `/24` number `slash24` (`< 2^24`), [`NOT_ASKED`] or an answer that
    /// [`Self::country`] reads.
    #[inline]
    pub(super) fn value(&self, slash24: u32) -> u8 {
        // Acquire: a slot naming a code is stored after the code (see `set`).
        self.slots[slash24 as usize].load(Ordering::Acquire)
    }

    /// The country a slot value other than [`NOT_ASKED`] names.
    #[inline]
    pub(super) fn country(&self, value: u8) -> Option<[u8; 2]> {
        debug_assert_ne!(value, NOT_ASKED);
        let index = usize::from(value.checked_sub(FIRST_CODE)?);
        Some(self.codes[index].load(Ordering::Relaxed).to_be_bytes())
    }

    /// Records the answers for the `/24`s numbered `first..=last`: `code` where `in_country`
    /// holds, no country elsewhere. Returns the slot value of `code`, or [`NOT_ASKED`] when
    /// the table has no room for a new code: it then records nothing, and the caller asks
    /// again each time, which is slower and still right.
    pub(super) fn set(
        &self,
        first: u32,
        last: u32,
        code: Option<[u8; 2]>,
        in_country: impl Fn(u32) -> bool,
    ) -> u8 {
        let value = match code {
            None => NO_COUNTRY,
            Some(code) => match self.value_of(code) {
                Some(value) => value,
                None => return NOT_ASKED,
            },
        };
        for slash24 in first..=last {
            let v = if in_country(slash24) {
                value
            } else {
                NO_COUNTRY
            };
            // Release: the code `v` names was stored before (in `value_of`).
            self.slots[slash24 as usize].store(v, Ordering::Release);
        }
        value
    }

    /// The slot value naming `code`, named now if new; `None` when every value is taken.
    fn value_of(&self, code: [u8; 2]) -> Option<u8> {
        let mut named = self
            .named
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let index = match named.iter().position(|&c| c == code) {
            Some(index) => index,
            None if named.len() < MAX_CODES => {
                self.codes[named.len()].store(u16::from_be_bytes(code), Ordering::Relaxed);
                named.push(code);
                named.len() - 1
            }
            None => return None,
        };
        Some(FIRST_CODE + index as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_kept_per_slash24_and_unasked_ones_say_so() {
        let t = Slash24Countries::new();
        assert_eq!(t.get(0x08_08_08), None);
        t.set(0x08_08_00, 0x08_08_ff, Some(*b"US"), |s| s != 0x08_08_10);
        t.set(0x0a_00_00, 0x0a_00_00, None, |_| true);
        t.set(0xc1_00_06, 0xc1_00_06, Some(*b"NL"), |_| true);
        for s in 0x08_08_00..=0x08_08_ff {
            let want = if s == 0x08_08_10 { None } else { Some(*b"US") };
            assert_eq!(t.get(s), Some(want), "{s:x}");
        }
        assert_eq!(t.get(0x08_07_ff), None);
        assert_eq!(t.get(0x08_09_00), None);
        assert_eq!(t.get(0x0a_00_00), Some(None));
        assert_eq!(t.get(0xc1_00_06), Some(Some(*b"NL")));
        assert_eq!(t.get((1 << 24) - 1), None);
    }

    #[test]
    fn past_the_last_code_value_answers_are_not_kept() {
        let t = Slash24Countries::new();
        let codes: Vec<[u8; 2]> = (b'A'..=b'Z')
            .flat_map(|a| (b'A'..=b'Z').map(move |b| [a, b]))
            .collect();
        for (i, &code) in codes.iter().enumerate() {
            t.set(i as u32, i as u32, Some(code), |_| true);
        }
        for (i, &code) in codes.iter().enumerate() {
            let want = (i < MAX_CODES).then_some(Some(code));
            assert_eq!(t.get(i as u32), want, "{i}");
        }
        // A code already named is still kept.
        t.set(1000, 1000, Some(codes[3]), |_| true);
        assert_eq!(t.get(1000), Some(Some(codes[3])));
    }

    #[test]
    fn workers_filling_at_once_agree_on_every_answer() {
        let t = Slash24Countries::new();
        // 208 codes: within the table's room.
        let code_of = |s: u32| [b'A' + (s % 26) as u8, b'A' + (s / 26 % 8) as u8];
        std::thread::scope(|scope| {
            for worker in 0..4u32 {
                let t = &t;
                scope.spawn(move || {
                    for i in 0..4000u32 {
                        let s = (i * 7 + worker * 13) % 4000;
                        t.set(s, s, Some(code_of(s)), |_| true);
                    }
                });
            }
        });
        for s in 0..4000 {
            assert_eq!(t.get(s), Some(Some(code_of(s))), "{s}");
        }
    }
}
