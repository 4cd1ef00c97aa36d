//! A hint to start loading memory that a later step will read. The intrinsic is `unsafe` to
//! call, not because a prefetch can do harm; the crate's only other `unsafe` is the vector
//! load of [`crate::format::find`].

/// Starts loading the cache line of `value`; does nothing on other targets.
#[inline(always)]
pub fn read<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint: it never faults or reads into the program, whatever the
    // address, and `value` is a live reference anyway. `sse` is in every x86_64 target.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            (value as *const T).cast::<i8>(),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
