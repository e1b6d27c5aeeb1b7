//! The process's allocator: mimalloc, tuned for a bounded footprint, and the
//! hook the engine calls to give free memory back.
//!
//! Why mimalloc: a hunt makes many small allocations with very different
//! lifetimes (kept events, partial sequences, alert documents). With glibc's
//! allocator, malloc and free took ≈ 10% of the instructions per event and
//! the run 20–25% more CPU time (200k and 1M events, whole catalogue).

use libmimalloc_sys as mi;
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

#[global_allocator]
static ALLOCATOR: Allocator = Allocator;

/// mimalloc, called the way the `mimalloc` crate's `MiMalloc` does except
/// that layouts aligned to a word or less (nearly all of Rust's) go to
/// `mi_malloc` / `mi_realloc`: every mimalloc block is word-aligned, and the
/// `_aligned` entry points cost ≈ 25 more instructions per call (≈ 600 per
/// event of the whole catalogue, callgrind).
struct Allocator;

/// The alignment of every mimalloc block.
const WORD: usize = std::mem::size_of::<usize>();

// SAFETY: each method hands the layout to the mimalloc function that honours
// it (plain calls only for alignments every block has), and frees with
// `mi_free`, which takes any mimalloc pointer.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= WORD {
            mi::mi_malloc(layout.size()).cast()
        } else {
            mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= WORD {
            mi::mi_zalloc(layout.size()).cast()
        } else {
            mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        mi::mi_free(ptr.cast::<c_void>());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= WORD {
            mi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
        } else {
            mi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
        }
    }
}

/// `mi_option_arena_eager_commit` and `mi_option_purge_delay` in mimalloc's
/// `mimalloc.h` (`mi_option_e`; the Rust binding does not name them). Both
/// keep their numbers from v2 to v3.
///
/// mimalloc v3 (libmimalloc-sys's default) rather than v2: same instructions
/// per event (57.2k, catalogue, 20k events, callgrind) and less peak memory,
/// 9 MB less on 200k events at 2 and at 16 threads, 155 against 163 MB on
/// 1M events at 2 threads.
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Milliseconds before freed pages go back to the system (see [`tune`]).
const PURGE_DELAY_MS: std::ffi::c_long = 2;

/// Tunes mimalloc for a bounded footprint: arenas commit memory as pages are
/// used rather than all at once, and free pages go back to the system after
/// 2 ms rather than 10 ms.
///
/// It runs from the ELF `.init_array`, before Rust's runtime allocates:
/// mimalloc reads `arena_eager_commit` when it creates its first arena, which
/// a call from `main` would be too late for. Measured on 1M events, 2
/// threads, peak RSS: 219 MB with the defaults, 198 MB with these set from
/// `main`, 171 MB with them set here (purge delay 0).
///
/// The purge delay: 0 (free pages back at once) faulted them in again and
/// again. Measured on the whole catalogue (peak RSS, page faults, system
/// time), 0 against 2 ms: 200k events, 1 thread, 122 / 125 MB, 82k / 48k
/// faults, 0.47 / 0.35 s (medians of five interleaved pairs); 1M events,
/// 1 thread, 137 / 138 MB, 227k / 167k, 1.33 / 0.99 s; 1M events,
/// 2 threads, 167 / 170 MB, 242k / 164k faults.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
extern "C" fn tune() {
    // SAFETY: setting options before any thread starts; mimalloc reads them
    // on use.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS);
    }
}

#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static TUNE_AT_START: extern "C" fn() = tune;

/// Gives mimalloc's free memory back to the system (the engine calls it
/// every few batches and as shards finish rules).
pub(crate) fn release_free_memory() {
    // SAFETY: `mi_collect` only frees the allocator's own unused pages; it is
    // safe to call from any thread at any time.
    unsafe { libmimalloc_sys::mi_collect(true) }
}
