//! Tuning of mimalloc, the server's allocator (see `ALLOCATOR` in main.rs).

// mimalloc's `mi_option_purge_delay`: its position in `mi_option_e` (mimalloc.h, the
// same in mimalloc 2 and 3), which libmimalloc-sys does not name. The test below
// checks it against the next option, which the crate names, and its default.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// With `--in-memory` the data is the server's allocations, and the store replaces
/// whole runs of pairs (hundreds of KB each) as it merges writes into them. mimalloc
/// (version 3) returns freed memory to the system a second after the free at the
/// earliest, and only as it goes on allocating, so after a burst of writes it kept
/// about 16 MiB of freed runs resident at a million items (RSS 1.56-1.58 times the
/// data, 1.47 with this; docs/bench/2026-12-07-in-memory-purge.txt). In memory, an
/// A/B showed no CPU cost per request beyond the rounds' noise and the scale runs
/// 3-5% on GetItem and Query; loading was ~10% slower. On the durable store it cost
/// Query and PutItem 7-40% more, so only the in-memory backend asks for it. A
/// `MIMALLOC_PURGE_DELAY` in the environment wins.
///
/// Call it before the server starts any other thread.
#[allow(unsafe_code)]
pub(crate) fn return_freed_memory_at_once() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: mi_option_set is a plain (unsynchronised) store into mimalloc's table of
    // options, read by its allocation paths: called while no other thread runs (the
    // caller's contract above; main calls it before the async runtime, the storage
    // and the listeners start), it races with nothing. It ignores option numbers out
    // of range, and 0 is a documented value of this option ("purge at once").
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(unsafe_code)]
    fn purge_delay_is_the_option_before_use_numa_nodes_and_defaults_to_one_second() {
        assert_eq!(PURGE_DELAY, libmimalloc_sys::mi_option_use_numa_nodes - 1);
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: mi_option_get only reads mimalloc's table of options; no thread
            // of this test writes it.
            let default = unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
            assert_eq!(default, 1000, "mimalloc 3's default purge delay, in ms");
        }
    }
}
