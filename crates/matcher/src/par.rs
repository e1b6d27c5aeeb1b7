//! Independent pieces of [`crate::ruleset::RuleSet`]'s build run on a few
//! scoped threads, with results in item order, so that the built rule set
//! does not depend on the thread count.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// `items.map(f)` in order, on up to `threads` threads (the calling thread
/// is one of them). Items are claimed one at a time, so uneven items (one
/// large automaton among small ones) still spread over the threads. A panic
/// in `f` reaches the caller.
pub(crate) fn map<T: Send, R: Send>(
    items: Vec<T>,
    threads: usize,
    f: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    let helpers = threads.min(items.len()).saturating_sub(1);
    if helpers == 0 {
        return items.into_iter().map(f).collect();
    }
    let n = items.len();
    let slots: Vec<Mutex<Option<T>>> = items.into_iter().map(|t| Mutex::new(Some(t))).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = slots.get(i) else {
                return done;
            };
            let item = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(item) = item {
                done.push((i, f(item)));
            }
        }
    };
    let mut results: Vec<Option<R>> = (0..n).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..helpers).map(|_| scope.spawn(work)).collect();
        let mut place = |done: Vec<(usize, R)>| {
            for (i, r) in done {
                results[i] = Some(r);
            }
        };
        place(work());
        for h in handles {
            place(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
    });
    results.into_iter().flatten().collect()
}

/// Runs `a` on a scoped thread and `b` on the calling thread when
/// `threads > 1`, else `b` then `a` (what `b` drops is freed before `a`
/// runs: one thread peaks at no more memory than the two run apart).
pub(crate) fn join<A: Send, B>(
    threads: usize,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B,
) -> (A, B) {
    if threads <= 1 {
        let b = b();
        return (a(), b);
    }
    std::thread::scope(|scope| {
        let handle = scope.spawn(a);
        let b = b();
        let a = handle
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (a, b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_in_item_order_whatever_the_thread_count() {
        for threads in [0, 1, 2, 3, 64] {
            let items: Vec<u64> = (0..100).collect();
            let out = map(items, threads, |x| {
                // Uneven work, so that threads finish out of order.
                std::thread::sleep(std::time::Duration::from_micros((x * 7919) % 40));
                x * 3
            });
            assert_eq!(
                out,
                (0..100).map(|x| x * 3).collect::<Vec<_>>(),
                "{threads}"
            );
        }
    }

    #[test]
    fn join_gives_both_results() {
        for threads in [1, 2] {
            assert_eq!(join(threads, || 1, || "b"), (1, "b"));
        }
    }

    #[test]
    fn a_panic_on_a_helper_reaches_the_caller() {
        let r = std::panic::catch_unwind(|| {
            map((0..50).collect(), 4, |x: u32| {
                assert_ne!(x, 37, "item 37 fails")
            })
        });
        assert!(r.is_err());
    }
}
