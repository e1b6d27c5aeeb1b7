//! Work on a list of items in parallel with the results consumed in list
//! order, at most a window of results ahead of the consumer (so memory is
//! bounded by the window, not by the list).
//!
//! [`crate::load_with`] reads and parses rule files with it; `engine`'s
//! start-up also prepares their alert metadata and parses their queries on
//! the worker threads while the calling thread compiles them in load order
//! (lowering binds fields in one shared registry, so it stays on one thread
//! and its result does not depend on the thread count).

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::sync::{Condvar, Mutex};

/// How far workers may run ahead of the consumer, per thread.
const AHEAD_PER_WORKER: usize = 4;

/// Calls `work(item)` for every item on `threads` threads (the calling thread
/// is one of them) and `consume(result)` on the calling thread, in item
/// order. With `threads <= 1` everything runs in order on the calling thread.
///
/// The calling thread works on items too whenever the next result to consume
/// is not ready: `threads` runnable threads, not `threads` workers plus a
/// consumer. At 2 threads on 2 cores, two loaders and the compiling consumer
/// took turns on the cores (≈ 1,700 context switches over the catalogue's
/// start-up, CPU time +54 % over 1 thread); and a result the calling thread
/// made is consumed, then freed, by the thread that allocated it.
pub fn map_in_order<T, R>(
    items: &[T],
    threads: usize,
    work: impl Fn(&T) -> R + Sync,
    mut consume: impl FnMut(R),
) where
    T: Sync,
    R: Send,
{
    let threads = threads.min(items.len());
    if threads <= 1 {
        for item in items {
            consume(work(item));
        }
        return;
    }
    let window = threads * AHEAD_PER_WORKER;
    let gate = Gate::default();
    let (send, receive) = mpsc::channel::<(usize, R)>();
    std::thread::scope(|scope| {
        for _ in 1..threads {
            let send = send.clone();
            let (gate, work) = (&gate, &work);
            scope.spawn(move || {
                // A worker that panics closes the gate, so that the others
                // stop and the panic reaches the caller instead of hanging.
                let _close_on_panic = CloseOnPanic(gate);
                while let Some(i) = gate.claim(items.len(), window) {
                    if send.send((i, work(&items[i]))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(send);
        // So does a consumer that panics (workers may be waiting for it).
        let _close_on_panic = CloseOnPanic(&gate);
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        while next < items.len() {
            if let Some(result) = waiting.remove(&next) {
                consume(result);
                next += 1;
                gate.consumed(next, window);
                continue;
            }
            let (i, result) = match receive.try_recv() {
                Ok(sent) => sent,
                // Rather than wait for the next result, make one.
                Err(_) => match gate.try_claim(items.len(), window) {
                    Some(i) => (i, work(&items[i])),
                    None => match receive.recv() {
                        Ok(sent) => sent,
                        // Every worker is gone: one panicked (the scope
                        // passes the panic on).
                        Err(_) => break,
                    },
                },
            };
            waiting.insert(i, result);
        }
    });
}

/// Hands out item indexes no further than `window` past the consumer.
#[derive(Default)]
struct Gate {
    state: Mutex<Progress>,
    moved: Condvar,
}

#[derive(Default)]
struct Progress {
    next: usize,
    consumed: usize,
    /// Workers waiting in [`Gate::claim`].
    waiting: usize,
    closed: bool,
}

struct CloseOnPanic<'g>(&'g Gate);

impl Drop for CloseOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0
                .state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .closed = true;
            self.0.moved.notify_all();
        }
    }
}

impl Gate {
    /// The next item for a worker, waiting while `window` items past the
    /// consumer are claimed; `None` when there are no more (or on a panic).
    fn claim(&self, len: usize, window: usize) -> Option<usize> {
        let mut p = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while !p.closed && p.next < len && p.next >= p.consumed + window {
            p.waiting += 1;
            p = self.moved.wait(p).unwrap_or_else(|e| e.into_inner());
            p.waiting -= 1;
        }
        Self::take(&mut p, len)
    }

    /// The next item when one is within the window, without waiting.
    fn try_claim(&self, len: usize, window: usize) -> Option<usize> {
        let mut p = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if p.next >= p.consumed + window {
            return None;
        }
        Self::take(&mut p, len)
    }

    fn take(p: &mut Progress, len: usize) -> Option<usize> {
        (!p.closed && p.next < len).then(|| {
            p.next += 1;
            p.next - 1
        })
    }

    /// Records that `count` results were consumed. Waiting workers are woken
    /// once half the window is free, not at every result: each wake-up is a
    /// context switch, and a worker woken for one item soon waits again.
    fn consumed(&self, count: usize, window: usize) {
        let mut p = self.state.lock().unwrap_or_else(|e| e.into_inner());
        p.consumed = count;
        let free = (p.consumed + window).saturating_sub(p.next);
        if p.waiting > 0 && free >= window.div_ceil(2) {
            drop(p);
            self.moved.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn results_come_in_item_order_whatever_the_thread_count() {
        let items: Vec<u64> = (0..500).collect();
        for threads in [1, 2, 3, 8, 1000] {
            let mut out = Vec::new();
            map_in_order(
                &items,
                threads,
                |&x| {
                    // Uneven work, so that results arrive out of order.
                    std::thread::sleep(std::time::Duration::from_micros((x * 7919) % 50));
                    x * 2
                },
                |r| out.push(r),
            );
            let expected: Vec<u64> = items.iter().map(|x| x * 2).collect();
            assert_eq!(out, expected, "threads {threads}");
        }
    }

    #[test]
    fn workers_stay_within_the_window_of_the_consumer() {
        let items: Vec<usize> = (0..200).collect();
        let started = AtomicUsize::new(0);
        let mut consumed = 0;
        let threads = 3;
        map_in_order(
            &items,
            threads,
            |&i| {
                started.fetch_add(1, Ordering::SeqCst);
                i
            },
            |i| {
                // Item i is consumed only after items 0..i were, so at most
                // the window past them can have started.
                assert_eq!(i, consumed);
                let ahead = started.load(Ordering::SeqCst) - consumed;
                assert!(ahead <= threads * AHEAD_PER_WORKER, "{ahead} started ahead");
                consumed += 1;
                std::thread::sleep(std::time::Duration::from_micros(100));
            },
        );
        assert_eq!(consumed, items.len());
    }

    /// Runs `f` on a thread: `Ok(true)` when it panicked, `Err` when it did
    /// not finish within 30 s (a hang).
    fn panics_without_hanging(f: fn()) -> Result<bool, mpsc::RecvTimeoutError> {
        let (send, receive) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = send.send(std::panic::catch_unwind(f).is_err());
        });
        receive.recv_timeout(std::time::Duration::from_secs(30))
    }

    #[test]
    fn a_panicking_worker_reaches_the_caller_instead_of_hanging() {
        let run = || {
            let items: Vec<usize> = (0..100).collect();
            let fail_on_5 = |&i: &usize| {
                assert_ne!(i, 5, "item 5 fails");
                i
            };
            map_in_order(&items, 2, fail_on_5, |_| {});
        };
        assert_eq!(panics_without_hanging(run), Ok(true));
    }

    #[test]
    fn a_panicking_consumer_reaches_the_caller_instead_of_hanging() {
        let run = || {
            let items: Vec<usize> = (0..100).collect();
            let fail_on_3 = |i: usize| assert_ne!(i, 3, "item 3 fails");
            map_in_order(&items, 2, |&i| i, fail_on_3);
        };
        assert_eq!(panics_without_hanging(run), Ok(true));
    }
}
