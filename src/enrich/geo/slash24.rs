//! The country of every IPv4 `/24` asked so far, shared by all workers: one byte per `/24`.
//!
//! perf: a per-worker hash map of prefixes cost two cache misses a line (its control bytes and
//! its key), a sixth of a one-thread run on a generated log whose clients come from all over
//! the address space. One byte per `/24` is 16 MiB of address space, of which only the pages
//! of `/24`s asked are ever touched; one load answers, and no `/24` is asked of the database
//! twice. Each worker keeps its recent answers in front of it (`RecentSlash24s`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU16, AtomicU64, Ordering};

/// Slot value of a `/24` (or `/16`) not asked yet.
pub(super) const NOT_ASKED: u8 = 0;
/// Slot value of a `/24` in no country.
pub(super) const NO_COUNTRY: u8 = 1;
/// Slot values from here on name `codes[value - FIRST_CODE]`.
const FIRST_CODE: u8 = 2;
/// Distinct codes the table can name; answers in codes past them are not kept.
const MAX_CODES: usize = (u8::MAX - FIRST_CODE) as usize + 1;
/// Slots per page of memory, the unit in which the table's pages are first written.
const PAGE_SLOTS: usize = 4096;

/// Answers per `/24`, written once each (by whichever worker asks first) and read without locks,
/// and the answers of database networks of a `/16` or wider, per `/16`.
pub(super) struct Slash24Countries {
    /// By `/24` number (the address shifted right by 8).
    slots: Box<[AtomicU8]>,
    /// One bit per [`PAGE_SLOTS`] slots: set once a slot in them has been written. A slot in a
    /// page not written yet is not read, so the page is first touched by a write.
    ///
    /// perf: reading an untouched page maps the kernel's shared zero page, and the first write
    /// after that must flush the page from every core's TLB: an interrupt to the other
    /// threads' cores, which under a hypervisor exits to it. These flushes were 2% of the
    /// processor time of a two-thread run on a log from all over the address space (perf).
    written_pages: Box<[AtomicU64]>,
    /// By `/16` number: the answer of a database network that holds the whole `/16`, for the
    /// `/24`s of it that are public.
    wide: Box<[AtomicU8]>,
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
            written_pages: (0..(1 << 24) / PAGE_SLOTS / 64)
                .map(|_| AtomicU64::new(0))
                .collect(),
            wide: bytemuck::zeroed_slice_box(1 << 16),
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

    /// The slot value of `/24` number `slash24` (`< 2^24`): [`NOT_ASKED`] or an answer that
    /// [`Self::country`] reads.
    #[inline]
    pub(super) fn value(&self, slash24: u32) -> u8 {
        if !self.page_written(slash24) {
            return NOT_ASKED;
        }
        // Acquire: a slot naming a code is stored after the code (see `value_of`).
        self.slots[slash24 as usize].load(Ordering::Acquire)
    }

    /// The bit of [`Self::written_pages`] of `slash24`'s page: its word and its mask.
    fn page_bit(&self, slash24: u32) -> (&AtomicU64, u64) {
        let page = slash24 as usize / PAGE_SLOTS;
        (&self.written_pages[page / 64], 1 << (page % 64))
    }

    /// True once a slot in `slash24`'s page has been written.
    #[inline]
    fn page_written(&self, slash24: u32) -> bool {
        let (word, mask) = self.page_bit(slash24);
        word.load(Ordering::Relaxed) & mask != 0
    }

    /// Starts loading the slot of `/24` number `slash24` (`< 2^24`).
    #[inline]
    pub(super) fn prefetch(&self, slash24: u32) {
        crate::prefetch::read(&self.slots[slash24 as usize]);
    }

    /// The wide answer kept for `/16` number `slash16` (`< 2^16`), or [`NOT_ASKED`].
    pub(super) fn wide_value(&self, slash16: u32) -> u8 {
        self.wide[slash16 as usize].load(Ordering::Acquire)
    }

    /// The country a slot value other than [`NOT_ASKED`] names.
    #[inline]
    pub(super) fn country(&self, value: u8) -> Option<[u8; 2]> {
        debug_assert_ne!(value, NOT_ASKED);
        let index = usize::from(value.checked_sub(FIRST_CODE)?);
        Some(self.codes[index].load(Ordering::Relaxed).to_be_bytes())
    }

    /// Keeps `value` (from [`Self::value_of`]) as the answer for `/24` number `slash24`.
    pub(super) fn set(&self, slash24: u32, value: u8) {
        // Release: the code `value` names was stored before (in `value_of`).
        self.slots[slash24 as usize].store(value, Ordering::Release);
        let (word, mask) = self.page_bit(slash24);
        if word.load(Ordering::Relaxed) & mask == 0 {
            word.fetch_or(mask, Ordering::Relaxed);
        }
    }

    /// Keeps `value` as the answer of a database network that holds `/16` number `slash16`.
    pub(super) fn set_wide(&self, slash16: u32, value: u8) {
        self.wide[slash16 as usize].store(value, Ordering::Release);
    }

    /// The slot value naming `code` (named now if new), [`NO_COUNTRY`] for none, or
    /// [`NOT_ASKED`] when every value is taken: the answer is then not kept, and asked again
    /// each time, which is slower and still right.
    pub(super) fn value_of(&self, code: Option<[u8; 2]>) -> u8 {
        let Some(code) = code else {
            return NO_COUNTRY;
        };
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
            None => return NOT_ASKED,
        };
        FIRST_CODE + index as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_kept_per_slash24_and_unasked_ones_say_so() {
        let t = Slash24Countries::new();
        assert_eq!(t.get(0x08_08_08), None);
        let us = t.value_of(Some(*b"US"));
        t.set(0x08_08_08, us);
        t.set(0x0a_00_00, t.value_of(None));
        t.set(0xc1_00_06, t.value_of(Some(*b"NL")));
        t.set(0x08_08_09, t.value_of(Some(*b"US")));
        assert_eq!(t.get(0x08_08_08), Some(Some(*b"US")));
        assert_eq!(t.get(0x08_08_09), Some(Some(*b"US")));
        assert_eq!(t.get(0x08_08_07), None);
        assert_eq!(t.get(0x0a_00_00), Some(None));
        assert_eq!(t.get(0xc1_00_06), Some(Some(*b"NL")));
        assert_eq!(t.get((1 << 24) - 1), None);
        assert_eq!(t.wide_value(0x0808), NOT_ASKED);
        t.set_wide(0x0808, us);
        assert_eq!(t.wide_value(0x0808), us);
        assert_eq!(t.wide_value(0x0809), NOT_ASKED);
    }

    #[test]
    fn pages_are_marked_written_by_their_first_answer_alone() {
        let t = Slash24Countries::new();
        let last = (1 << 24) - 1;
        for s in [0, PAGE_SLOTS as u32 - 1, PAGE_SLOTS as u32, last] {
            assert!(!t.page_written(s), "{s}");
        }
        let nl = t.value_of(Some(*b"NL"));
        t.set(PAGE_SLOTS as u32 - 1, nl);
        t.set(last, nl);
        // The first page and the last are written; the second, next to the first, is not.
        assert!(t.page_written(0) && t.page_written(last) && t.page_written(last - 4095));
        assert!(!t.page_written(PAGE_SLOTS as u32) && !t.page_written(last - 4096));
        // Unasked slots of a written page read as unasked; answers read back.
        assert_eq!(t.get(0), None);
        assert_eq!(t.get(PAGE_SLOTS as u32 - 1), Some(Some(*b"NL")));
        assert_eq!(t.get(last), Some(Some(*b"NL")));
        assert_eq!(t.get(PAGE_SLOTS as u32), None);
    }

    #[test]
    fn past_the_last_code_value_answers_are_not_kept() {
        let t = Slash24Countries::new();
        let codes: Vec<[u8; 2]> = (b'A'..=b'Z')
            .flat_map(|a| (b'A'..=b'Z').map(move |b| [a, b]))
            .collect();
        let values: Vec<u8> = codes.iter().map(|&c| t.value_of(Some(c))).collect();
        for (i, (&code, &value)) in codes.iter().zip(&values).enumerate() {
            if i < MAX_CODES {
                assert_eq!(t.country(value), Some(code), "{i}");
            } else {
                assert_eq!(value, NOT_ASKED, "{i}");
            }
        }
        // A code already named still has its value, and no country still has one.
        assert_eq!(t.value_of(Some(codes[3])), values[3]);
        assert_eq!(t.value_of(None), NO_COUNTRY);
    }

    #[test]
    fn workers_naming_codes_at_once_agree_on_every_answer() {
        let t = Slash24Countries::new();
        // 208 codes: within the table's room.
        let code_of = |s: u32| [b'A' + (s % 26) as u8, b'A' + (s / 26 % 8) as u8];
        std::thread::scope(|scope| {
            for worker in 0..4u32 {
                let t = &t;
                scope.spawn(move || {
                    for i in 0..4000u32 {
                        let s = (i * 7 + worker * 13) % 4000;
                        t.set(s, t.value_of(Some(code_of(s))));
                    }
                });
            }
        });
        for s in 0..4000 {
            assert_eq!(t.get(s), Some(Some(code_of(s))), "{s}");
        }
    }
}
