//! The bounded reorder buffer that turns a roughly time-ordered stream into
//! the exact order rules need, with memory bounded by time and by bytes.
//!
//! Items are pushed in arrival order, each in a *lane* (one per distinct
//! ordering: a sequence rule's timestamp/tiebreaker fields, or in replay a
//! rule's window time) with a key whose first part is a time. Per lane the
//! *watermark* is the greatest time pushed so far, and:
//!
//! - while the buffer holds at most `hold` bytes nothing is released: an
//!   input that small comes out exactly sorted, however disordered;
//! - beyond `hold`, every item whose time is more than `window` behind its
//!   lane's watermark is released, in key order: an item that arrives at most
//!   `window` after newer ones (in its lane's time) still finds its place;
//! - beyond `capacity`, the lane holding the most bytes releases its first
//!   items whatever the window (counted as forced releases);
//! - an item whose key is below its lane's last released key arrived too
//!   late: it is refused (the caller counts and reports it). Without forced
//!   releases, such an item was more than `window` out of order.
//!
//! [`Reorder::finish`] releases everything left, in key order per lane.
//! Memory is at most `capacity` bytes (as the caller counts them), and in
//! the steady state about `max(hold, window's worth of items)`.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};

/// A buffered item, ordered by key only.
struct Slot<K, V> {
    key: K,
    bytes: usize,
    value: V,
}

impl<K: Ord, V> PartialEq for Slot<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<K: Ord, V> Eq for Slot<K, V> {}
impl<K: Ord, V> PartialOrd for Slot<K, V> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<K: Ord, V> Ord for Slot<K, V> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

/// One lane's items: those pushed in key order so far (the common case,
/// input being mostly in time order) in a run, the others in a heap; the
/// lane's least item is the lesser of their fronts. Popping the run costs
/// one comparison, where a heap of every item cost a sift through its
/// depth (≈ 900 instructions per item at 18,000 held).
struct Lane<K, V> {
    /// Ascending keys, each at least the one before.
    run: VecDeque<Slot<K, V>>,
    /// Items that came with a key below the run's last.
    heap: BinaryHeap<Reverse<Slot<K, V>>>,
    bytes: usize,
    watermark: i64,
    last_released: Option<K>,
}

impl<K, V> Default for Lane<K, V> {
    fn default() -> Self {
        Lane {
            run: VecDeque::new(),
            heap: BinaryHeap::new(),
            bytes: 0,
            watermark: i64::MIN,
            last_released: None,
        }
    }
}

impl<K: Ord, V> Lane<K, V> {
    fn add(&mut self, slot: Slot<K, V>) {
        match self.run.back() {
            Some(last) if slot.key < last.key => self.heap.push(Reverse(slot)),
            _ => self.run.push_back(slot),
        }
    }

    /// True when the heap holds the least item (the run's front otherwise).
    fn least_in_heap(&self) -> bool {
        match (self.run.front(), self.heap.peek()) {
            (Some(r), Some(Reverse(h))) => h.key < r.key,
            (None, Some(_)) => true,
            _ => false,
        }
    }

    fn least(&self) -> Option<&Slot<K, V>> {
        if self.least_in_heap() {
            self.heap.peek().map(|Reverse(s)| s)
        } else {
            self.run.front()
        }
    }

    fn take_least(&mut self) -> Option<Slot<K, V>> {
        if self.least_in_heap() {
            self.heap.pop().map(|Reverse(s)| s)
        } else {
            self.run.pop_front()
        }
    }

    fn is_empty(&self) -> bool {
        self.run.is_empty() && self.heap.is_empty()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.run.len() + self.heap.len()
    }
}

/// A key whose first component is the time the window applies to.
pub(crate) trait TimeKey: Ord + Clone {
    fn time(&self) -> i64;
}

/// What was refused as too late.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refused;

/// The buffer (see the module docs).
pub(crate) struct Reorder<K, V> {
    lanes: Vec<Lane<K, V>>,
    window: i64,
    hold: usize,
    capacity: usize,
    bytes: usize,
    forced: u64,
}

/// How much a [`Reorder`] holds (see the module docs).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    /// Nanoseconds of disorder put right.
    pub window: i64,
    /// Bytes held whatever the window.
    pub hold: usize,
    /// Bytes held at most.
    pub capacity: usize,
}

impl<K: TimeKey, V> Reorder<K, V> {
    pub fn new(lanes: usize, bounds: Bounds) -> Self {
        Reorder {
            lanes: (0..lanes).map(|_| Lane::default()).collect(),
            window: bounds.window.max(0),
            hold: bounds.hold.min(bounds.capacity),
            capacity: bounds.capacity,
            bytes: 0,
            forced: 0,
        }
    }

    /// Items released before the window passed because the buffer was full.
    pub fn forced(&self) -> u64 {
        self.forced
    }

    /// Items buffered now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lanes.iter().map(Lane::len).sum()
    }

    /// Buffers `value`; `Err` when it comes after its place was released.
    pub fn push(&mut self, lane: usize, key: K, bytes: usize, value: V) -> Result<(), Refused> {
        let l = &mut self.lanes[lane];
        if l.last_released.as_ref().is_some_and(|last| key < *last) {
            return Err(Refused);
        }
        l.watermark = l.watermark.max(key.time());
        l.bytes += bytes;
        self.bytes += bytes;
        l.add(Slot { key, bytes, value });
        Ok(())
    }

    /// Releases, in key order per lane, what the window and capacity allow.
    pub fn release(&mut self, mut out: impl FnMut(usize, K, V)) {
        if self.bytes <= self.hold {
            return;
        }
        for lane in 0..self.lanes.len() {
            let limit = self.lanes[lane].watermark.saturating_sub(self.window);
            while self.lanes[lane]
                .least()
                .is_some_and(|s| s.key.time() < limit)
            {
                self.pop(lane, &mut out);
            }
        }
        while self.bytes > self.capacity {
            let Some(lane) = (0..self.lanes.len()).max_by_key(|&l| self.lanes[l].bytes) else {
                break;
            };
            if self.lanes[lane].is_empty() {
                break;
            }
            self.forced += 1;
            self.pop(lane, &mut out);
        }
    }

    /// Releases everything, in key order per lane.
    pub fn finish(&mut self, mut out: impl FnMut(usize, K, V)) {
        for lane in 0..self.lanes.len() {
            while !self.lanes[lane].is_empty() {
                self.pop(lane, &mut out);
            }
        }
    }

    fn pop(&mut self, lane: usize, out: &mut impl FnMut(usize, K, V)) {
        let l = &mut self.lanes[lane];
        let Some(slot) = l.take_least() else {
            return;
        };
        l.bytes -= slot.bytes;
        self.bytes -= slot.bytes;
        l.last_released = Some(slot.key.clone());
        out(lane, slot.key, slot.value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    struct K(i64, u64);
    impl TimeKey for K {
        fn time(&self) -> i64 {
            self.0
        }
    }

    fn bounds(window: i64, hold: usize, capacity: usize) -> Bounds {
        Bounds {
            window,
            hold,
            capacity,
        }
    }

    fn drain(r: &mut Reorder<K, u64>, out: &mut Vec<u64>) {
        r.release(|_, _, v| out.push(v));
    }

    #[test]
    fn within_the_window_comes_out_sorted() {
        let mut r = Reorder::new(1, bounds(10, 0, usize::MAX));
        let mut out = Vec::new();
        for (i, t) in [5, 3, 12, 8, 14, 20, 11, 30].into_iter().enumerate() {
            r.push(0, K(t, i as u64), 1, t as u64).unwrap();
            drain(&mut r, &mut out);
        }
        // Watermark 30: everything before 20 is out.
        assert_eq!(out, [3, 5, 8, 11, 12, 14]);
        r.finish(|_, _, v| out.push(v));
        assert_eq!(out, [3, 5, 8, 11, 12, 14, 20, 30]);
    }

    #[test]
    fn later_than_the_window_is_refused() {
        let mut r = Reorder::new(1, bounds(10, 0, usize::MAX));
        let mut out = Vec::new();
        r.push(0, K(100, 0), 1, 100).unwrap();
        r.push(0, K(150, 1), 1, 150).unwrap();
        drain(&mut r, &mut out);
        assert_eq!(out, [100]);
        // 140 is 10 behind 150: still in time; 99 is after 100 was released.
        assert_eq!(r.push(0, K(140, 2), 1, 140), Ok(()));
        assert_eq!(r.push(0, K(99, 3), 1, 99), Err(Refused));
        r.finish(|_, _, v| out.push(v));
        assert_eq!(out, [100, 140, 150]);
    }

    #[test]
    fn lanes_have_their_own_watermark() {
        let mut r = Reorder::new(2, bounds(10, 0, usize::MAX));
        let mut out = Vec::new();
        r.push(0, K(1000, 0), 1, 1000).unwrap();
        r.push(1, K(5, 1), 1, 5).unwrap();
        r.release(|lane, _, v| out.push((lane, v)));
        assert!(out.is_empty());
        r.push(1, K(3, 2), 1, 3).unwrap();
        r.finish(|lane, _, v| out.push((lane, v)));
        assert_eq!(out, [(0, 1000), (1, 3), (1, 5)]);
    }

    #[test]
    fn what_fits_the_hold_comes_out_sorted_whatever_the_window() {
        let mut r = Reorder::new(1, bounds(10, 5, 100));
        let mut out = Vec::new();
        for t in [500, 400, 300, 200, 100] {
            r.push(0, K(t, 0), 1, t as u64).unwrap();
            drain(&mut r, &mut out);
        }
        assert!(out.is_empty());
        // The sixth byte crosses the hold: everything 10 behind 500 goes.
        r.push(0, K(495, 0), 1, 495).unwrap();
        drain(&mut r, &mut out);
        assert_eq!(out, [100, 200, 300, 400]);
        assert_eq!(r.push(0, K(50, 0), 1, 50), Err(Refused));
    }

    #[test]
    fn a_full_buffer_releases_early_and_counts_it() {
        let mut r = Reorder::new(1, bounds(1_000, 0, 3));
        let mut out = Vec::new();
        for t in [4, 2, 3, 1] {
            r.push(0, K(t, 0), 1, t as u64).unwrap();
            drain(&mut r, &mut out);
        }
        assert_eq!((out.as_slice(), r.forced(), r.len()), (&[1][..], 1, 3));
        assert_eq!(r.push(0, K(0, 0), 1, 0), Err(Refused));
    }

    /// The buffer as a sorted list: what it holds, and releases by the
    /// same rules (a model of the contract, kept simple).
    struct Model {
        held: Vec<(usize, K)>,
        watermark: [i64; 2],
        last: [Option<K>; 2],
    }

    impl Model {
        fn push(&mut self, lane: usize, key: K) -> Result<(), Refused> {
            if self.last[lane].as_ref().is_some_and(|l| key < *l) {
                return Err(Refused);
            }
            self.watermark[lane] = self.watermark[lane].max(key.0);
            self.held.push((lane, key));
            Ok(())
        }

        fn release(&mut self, window: i64, out: &mut Vec<(usize, u64)>) {
            self.held.sort_by(|a, b| a.1.cmp(&b.1));
            for lane in 0..2 {
                let limit = self.watermark[lane].saturating_sub(window);
                let (gone, kept): (Vec<_>, Vec<_>) = self
                    .held
                    .drain(..)
                    .partition(|(l, k)| *l == lane && k.0 < limit);
                self.held = kept;
                for (_, k) in gone {
                    out.push((lane, k.1));
                    self.last[lane] = Some(k);
                }
            }
        }
    }

    impl Model {
        fn finish(&mut self, out: &mut Vec<(usize, u64)>) {
            self.held
                .sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
            out.extend(self.held.drain(..).map(|(lane, k)| (lane, k.1)));
        }
    }

    #[test]
    fn mostly_ordered_input_comes_out_as_a_sorted_list_gives_it() {
        // Times mostly rising, some items late (a few past the window, which
        // are refused), two lanes; unique keys as the collector makes them.
        let mut seed = 0x9e37_79b9_u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            seed >> 33
        };
        let window = 50;
        let mut r = Reorder::new(2, bounds(window, 0, usize::MAX));
        let mut model = Model {
            held: Vec::new(),
            watermark: [i64::MIN; 2],
            last: [None, None],
        };
        let (mut got, mut want) = (Vec::new(), Vec::new());
        for i in 0..3_000u64 {
            let late = if next() % 8 == 0 { next() % 80 } else { 0 };
            let t = (i as i64) - late as i64;
            let lane = (next() % 2) as usize;
            let key = K(t, i);
            assert_eq!(r.push(lane, key.clone(), 1, i), model.push(lane, key));
            if i % 7 == 0 {
                r.release(|lane, _, v| got.push((lane, v)));
                model.release(window, &mut want);
                assert_eq!(got, want);
            }
        }
        r.finish(|lane, _, v| got.push((lane, v)));
        model.finish(&mut want);
        assert_eq!(got, want);
        assert!(got.len() > 2_000);
    }
}
