//! Tuning of mimalloc, the server's allocator (see `ALLOCATOR` in main.rs).

// mimalloc's `mi_option_purge_delay` (its position in `mi_option_e` in mimalloc.h, the
// same in mimalloc 2 and 3; libmimalloc-sys names only the options before it). The
// test below checks that this option is the one whose default is 1,000 ms.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// With `--in-memory` the data is the server's allocations, and the store replaces
/// whole runs of pairs (hundreds of KB each) as it merges writes into them. mimalloc
/// (version 3) returns freed memory to the system a second after the free at the
/// earliest, and only as it goes on allocating, so after a burst of writes it kept about 16 MiB of
/// freed runs resident at a million items (RSS 1.56-1.58 times the data, 1.47 with
/// this; docs/bench/2026-12-07-in-memory-purge.txt). Purging at once cost no server CPU
/// per request measurable in memory; on the durable store it cost Query and PutItem
/// 7-40% more, so only the in-memory backend asks for it.
#[allow(unsafe_code)]
pub(crate) fn return_freed_memory_at_once() {
    // SAFETY: mi_option_set stores a value in mimalloc's table of options, which it
    // reads on each use; it takes any option number (it ignores those out of range) and
    // may be called from any thread at any time. 0 is a documented value of this option.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(unsafe_code)]
    fn purge_delay_is_the_option_that_defaults_to_one_second() {
        // SAFETY: mi_option_get reads mimalloc's table of options; any thread, any time.
        let default = unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
        assert_eq!(default, 1000);
        // The option after it (use_numa_nodes) defaults to 0, the one before it
        // (eager_commit_delay) to 1: the number is not off by one either way.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY + 1) }, 0);
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY - 1) }, 1);
    }
}
