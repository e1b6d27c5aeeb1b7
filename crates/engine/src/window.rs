//! How far the reader may run ahead of the collector, in batches.
//!
//! Workers finish batches out of order and the collector absorbs them in
//! order, keeping the early ones until the late one arrives. Without a
//! bound, one slow worker (descheduled on a busy machine, or with a batch of
//! costly events) lets the others run on, and the results waiting for it
//! grow with the input. The reader therefore waits before handing out batch
//! `seq` until the collector has absorbed every batch before
//! `seq - ahead`: what waits is at most `ahead` batches' results.

use std::sync::{Condvar, Mutex};

/// The gate between the reader and the collector.
#[derive(Debug)]
pub(crate) struct Window {
    ahead: u64,
    /// Batches absorbed so far (`u64::MAX` once the collector has stopped).
    absorbed: Mutex<u64>,
    moved: Condvar,
}

impl Window {
    /// A window of `ahead` batches (at least 1).
    pub fn new(ahead: usize) -> Window {
        Window {
            ahead: ahead.max(1) as u64,
            absorbed: Mutex::new(0),
            moved: Condvar::new(),
        }
    }

    /// Waits until batch `seq` may be handed out.
    pub fn admit(&self, seq: u64) {
        let mut absorbed = self.absorbed.lock().unwrap_or_else(|e| e.into_inner());
        while seq >= absorbed.saturating_add(self.ahead) {
            absorbed = self.moved.wait(absorbed).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// The collector has absorbed batches `0..count`.
    pub fn absorbed(&self, count: u64) {
        let mut absorbed = self.absorbed.lock().unwrap_or_else(|e| e.into_inner());
        *absorbed = (*absorbed).max(count);
        self.moved.notify_all();
    }

    /// The collector stopped: nothing waits any more.
    pub fn close(&self) {
        self.absorbed(u64::MAX);
    }
}

/// Closes the window when dropped (the collector's end, even by a panic).
pub(crate) struct CloseOnDrop<'w>(pub &'w Window);

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Waits (up to 10 s) for `count` to reach `want`, then checks that it
    /// stays there a while.
    fn settles_at(count: &AtomicU64, want: u64) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while count.load(Ordering::SeqCst) < want && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(count.load(Ordering::SeqCst), want);
    }

    #[test]
    fn the_reader_waits_for_the_collector() {
        let window = Window::new(3);
        let handed = AtomicU64::new(0);
        std::thread::scope(|s| {
            s.spawn(|| {
                for seq in 0..10 {
                    window.admit(seq);
                    handed.store(seq + 1, Ordering::SeqCst);
                }
            });
            // Nothing absorbed: batches 0, 1 and 2 only, and no more.
            settles_at(&handed, 3);
            window.absorbed(5);
            settles_at(&handed, 8);
            window.close();
        });
        assert_eq!(handed.load(Ordering::SeqCst), 10);
    }

    #[test]
    fn a_stopped_collector_releases_the_reader() {
        let window = Window::new(1);
        std::thread::scope(|s| {
            let reader = s.spawn(|| (0..100).for_each(|seq| window.admit(seq)));
            {
                let _guard = CloseOnDrop(&window);
            }
            reader.join().expect("reader");
        });
    }
}
