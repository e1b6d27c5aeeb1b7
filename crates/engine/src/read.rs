//! Reading the inputs into batches of records, merged by time.
//!
//! Several inputs (files) are read side by side, not one after another: each
//! has its next record waiting, and the one with the earliest `@timestamp`
//! goes next (a k-way merge; the time is read from the record text without
//! parsing it, records without one go first). Each input is usually in time
//! order, so the merged stream is too, and the reorder buffer downstream
//! ([`crate::reorder`]) only has to fix what each input has out of order —
//! reading files one after another would make every file but the first
//! arrive "late". With one input, records go in input order.
//!
//! A record's *ordinal* is `(input << 40) | position in its input`: input
//! order as if the inputs were concatenated, whatever the merge did, so the
//! tie-breaks and de-duplication that use it do not depend on the merge.
//! The merge depends only on the data, so batches (and everything after them)
//! are the same on every run and for any number of threads.
//!
//! Memory: one pending record per input plus the batch being filled.

use event::input::{Next, RecordReader};
use memchr::memmem::Finder;
use std::io::BufRead;
use std::sync::Mutex;

/// Bytes of record text per batch before it is handed to a worker (at most;
/// runs on many threads use smaller batches, see [`BatchLimits::for_threads`]).
pub(crate) const BATCH_BYTES: usize = 1 << 20;

/// When a batch is full: records, or bytes of record text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchLimits {
    pub records: usize,
    pub bytes: usize,
}

/// Up to this many workers, batches are as large as asked; beyond, they
/// shrink so that what is in flight (a few batches per worker) stays the
/// same in total. At 2: with 4 (stop 19), 16 threads held twice the batches
/// of 2 threads, and nearly every event of the workload is kept for
/// sequences, so their kept sources and candidates doubled too (massif,
/// 50k events: +6 MB of texts, +5 MB of candidates).
const FULL_BATCH_THREADS: usize = 2;

/// The smallest batch text, whatever the thread count.
const MIN_BATCH_BYTES: usize = 64 << 10;

impl BatchLimits {
    /// `records` per batch and [`BATCH_BYTES`], divided among workers past
    /// [`FULL_BATCH_THREADS`].
    pub fn for_threads(records: usize, threads: usize) -> BatchLimits {
        let share = |full: usize, least: usize| {
            (full * FULL_BATCH_THREADS / threads.max(FULL_BATCH_THREADS)).max(least.min(full))
        };
        let records = records.max(1);
        BatchLimits {
            records: share(records, 64),
            bytes: share(BATCH_BYTES, MIN_BATCH_BYTES),
        }
    }
}

/// Bits of an ordinal that number records within one input.
pub(crate) const ORDINAL_INPUT_SHIFT: u32 = 40;

/// An input's name and the index of its events that carry none.
pub(crate) struct InputInfo {
    pub name: String,
    pub default_index: Option<String>,
}

pub(crate) enum Item {
    Record {
        file: u32,
        line: u64,
        ordinal: u64,
        start: usize,
        end: usize,
    },
    Bad {
        file: u32,
        line: u64,
        reason: String,
    },
}

/// Consecutive records of the merged input.
pub(crate) struct Batch {
    pub seq: u64,
    pub text: String,
    pub items: Vec<Item>,
}

impl Batch {
    fn new(seq: u64, bytes: usize) -> Batch {
        Batch {
            seq,
            text: String::with_capacity(bytes + bytes / 4),
            items: Vec::new(),
        }
    }

    fn is_full(&self, limits: BatchLimits) -> bool {
        self.text.len() >= limits.bytes || self.items.len() >= limits.records
    }
}

/// Batches done with, kept for their buffers: a batch's text is about a
/// megabyte, which would otherwise be allocated, faulted in and freed again
/// for every batch.
///
/// A pool keeps as many batches as can be in flight, so that none is ever
/// freed: a batch's text (past 84 KiB) lies in one of the allocator's 4 MiB
/// pages of its size, and texts freed and allocated again as batches came
/// and went left those pages partly used. With a pool of 8 and up to 64
/// batches in flight (16 threads), 1M events: 17 such pages, 57 MB
/// committed for 14 MB of live batch texts.
#[derive(Default)]
pub(crate) struct BatchPool {
    spare: Mutex<Vec<Batch>>,
    /// Batches kept at most.
    size: usize,
}

impl BatchPool {
    /// A pool that keeps up to `size` batches: as many as can be in flight.
    pub fn new(size: usize) -> BatchPool {
        BatchPool {
            spare: Mutex::default(),
            size,
        }
    }

    /// Gives back a batch that has been processed.
    pub fn give(&self, mut batch: Batch) {
        batch.text.clear();
        batch.items.clear();
        let mut spare = self.spare.lock().unwrap_or_else(|e| e.into_inner());
        if spare.len() < self.size {
            spare.push(batch);
        }
    }

    fn take(&self, seq: u64, bytes: usize) -> Batch {
        let spare = self.spare.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match spare {
            Some(mut batch) => {
                batch.seq = seq;
                batch
            }
            None => Batch::new(seq, bytes),
        }
    }
}

/// A record read ahead, waiting for its turn.
struct Head {
    line: u64,
    time: i64,
}

struct InputState {
    records: RecordReader<Box<dyn BufRead + Send>>,
    /// The waiting record's text (kept allocated).
    text: String,
    head: Option<Head>,
    /// Records taken from this input so far.
    taken: u64,
    done: bool,
}

/// Reads the inputs, merged, into batches.
pub(crate) struct Reader<'a> {
    inputs: Vec<InputState>,
    names: &'a [InputInfo],
    limits: BatchLimits,
    seq: u64,
    errors: Vec<String>,
    finder: Finder<'static>,
    pool: &'a BatchPool,
}

impl<'a> Reader<'a> {
    pub fn new(
        readers: Vec<Box<dyn BufRead + Send>>,
        names: &'a [InputInfo],
        limits: BatchLimits,
        pool: &'a BatchPool,
    ) -> Self {
        Reader {
            inputs: readers
                .into_iter()
                .map(|r| InputState {
                    records: RecordReader::new(r),
                    text: String::new(),
                    head: None,
                    taken: 0,
                    done: false,
                })
                .collect(),
            names,
            limits: BatchLimits {
                records: limits.records.max(1),
                bytes: limits.bytes.max(1),
            },
            seq: 0,
            errors: Vec::new(),
            finder: Finder::new(b"\"@timestamp\"").into_owned(),
            pool,
        }
    }

    /// Inputs that failed while being read (`name: error`).
    pub fn take_errors(&mut self) -> Vec<String> {
        std::mem::take(&mut self.errors)
    }

    /// The next batch, `None` at the end of every input.
    pub fn next_batch(&mut self) -> Option<Batch> {
        let mut batch = self.pool.take(self.seq, self.limits.bytes);
        while !batch.is_full(self.limits) {
            if !self.take_one(&mut batch) {
                break;
            }
        }
        if batch.items.is_empty() {
            return None;
        }
        self.seq += 1;
        Some(batch)
    }

    /// Adds the next record (or bad records met on the way) to `batch`; false
    /// when every input is exhausted.
    fn take_one(&mut self, batch: &mut Batch) -> bool {
        if self.inputs.len() == 1 {
            return self.direct(0, batch);
        }
        for i in 0..self.inputs.len() {
            self.fill_head(i, batch);
        }
        let next = (0..self.inputs.len())
            .filter_map(|i| self.inputs[i].head.as_ref().map(|h| (h.time, i)))
            .min();
        let Some((_, i)) = next else {
            return false;
        };
        let input = &mut self.inputs[i];
        let Some(head) = input.head.take() else {
            return false;
        };
        let ordinal = ((i as u64) << ORDINAL_INPUT_SHIFT) | input.taken;
        input.taken += 1;
        push_record(batch, i as u32, head.line, ordinal, &input.text);
        true
    }

    /// One input: records straight into the batch.
    fn direct(&mut self, i: usize, batch: &mut Batch) -> bool {
        let input = &mut self.inputs[i];
        while !input.done {
            match input.records.next_record() {
                Ok(Next::Record(r)) => {
                    let ordinal = ((i as u64) << ORDINAL_INPUT_SHIFT) | input.taken;
                    input.taken += 1;
                    push_record(batch, i as u32, r.line, ordinal, r.text);
                    return true;
                }
                Ok(Next::Bad(b)) | Ok(Next::BadDocument(b)) => {
                    batch.items.push(Item::Bad {
                        file: i as u32,
                        line: b.line,
                        reason: b.reason,
                    });
                    return true;
                }
                Ok(Next::End) => input.done = true,
                Err(e) => {
                    self.errors.push(format!("{}: {e}", self.names[i].name));
                    input.done = true;
                }
            }
        }
        false
    }

    /// Reads input `i`'s next record into its head (bad records go to the batch).
    fn fill_head(&mut self, i: usize, batch: &mut Batch) {
        let input = &mut self.inputs[i];
        while input.head.is_none() && !input.done {
            match input.records.next_record() {
                Ok(Next::Record(r)) => {
                    input.text.clear();
                    input.text.push_str(r.text);
                    input.head = Some(Head {
                        line: r.line,
                        time: peek_time(&self.finder, r.text),
                    });
                }
                Ok(Next::Bad(b)) | Ok(Next::BadDocument(b)) => batch.items.push(Item::Bad {
                    file: i as u32,
                    line: b.line,
                    reason: b.reason,
                }),
                Ok(Next::End) => input.done = true,
                Err(e) => {
                    self.errors.push(format!("{}: {e}", self.names[i].name));
                    input.done = true;
                }
            }
        }
    }
}

fn push_record(batch: &mut Batch, file: u32, line: u64, ordinal: u64, text: &str) {
    let start = batch.text.len();
    batch.text.push_str(text);
    batch.items.push(Item::Record {
        file,
        line,
        ordinal,
        start,
        end: batch.text.len(),
    });
}

/// The record's `@timestamp` read from its text (the first such key, at any
/// depth), epoch nanoseconds; `i64::MIN` when there is none to read. Only the
/// merge uses it: rules read their times from the parsed event.
fn peek_time(finder: &Finder<'_>, text: &str) -> i64 {
    let Some(at) = finder.find(text.as_bytes()) else {
        return i64::MIN;
    };
    let rest = text[at + "\"@timestamp\"".len()..].trim_start();
    let Some(rest) = rest.strip_prefix(':') else {
        return i64::MIN;
    };
    let rest = rest.trim_start();
    if let Some(quoted) = rest.strip_prefix('"') {
        let end = quoted.find('"').unwrap_or(quoted.len());
        return event::time::parse_date_nanos(&quoted[..end]).unwrap_or(i64::MIN);
    }
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '-'))
        .unwrap_or(rest.len());
    rest[..end]
        .parse::<i64>()
        .ok()
        .and_then(|ms| ms.checked_mul(1_000_000))
        .unwrap_or(i64::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Limits of `records` per batch and the full byte size.
    fn full(records: usize) -> BatchLimits {
        BatchLimits {
            records,
            bytes: BATCH_BYTES,
        }
    }

    #[test]
    fn a_pool_keeps_up_to_its_size_and_hands_back_cleared_batches() {
        let pool = BatchPool::new(2);
        for seq in 0..3 {
            let mut batch = Batch::new(seq, 64);
            batch.text.push_str("{}");
            pool.give(batch);
        }
        assert_eq!(pool.spare.lock().map(|s| s.len()).ok(), Some(2));
        let batch = pool.take(7, 64);
        assert_eq!((batch.seq, batch.text.len()), (7, 0));
        assert!(batch.text.capacity() >= 64);
        assert!(BatchPool::new(0).take(1, 64).text.capacity() >= 64);
    }

    #[test]
    fn batches_shrink_past_two_threads_to_keep_what_is_in_flight() {
        let at = |threads| BatchLimits::for_threads(4096, threads);
        for threads in 0..=2 {
            assert_eq!(at(threads), full(4096), "{threads}");
        }
        assert_eq!(
            at(4),
            BatchLimits {
                records: 2048,
                bytes: 512 << 10
            }
        );
        assert_eq!(
            at(16),
            BatchLimits {
                records: 512,
                bytes: 128 << 10
            }
        );
        assert_eq!(
            at(1024),
            BatchLimits {
                records: 64,
                bytes: MIN_BATCH_BYTES
            }
        );
        // A small `--batch-records` is kept as asked.
        assert_eq!(BatchLimits::for_threads(2, 16).records, 2);
        assert_eq!(BatchLimits::for_threads(100, 16).records, 64);
    }

    fn reader_over(texts: &[&str]) -> (Vec<Box<dyn BufRead + Send>>, Vec<InputInfo>) {
        let readers = texts
            .iter()
            .map(|t| {
                Box::new(std::io::Cursor::new(t.as_bytes().to_vec())) as Box<dyn BufRead + Send>
            })
            .collect();
        let names = (0..texts.len())
            .map(|i| InputInfo {
                name: format!("in{i}"),
                default_index: None,
            })
            .collect();
        (readers, names)
    }

    fn records(batch: &Batch) -> Vec<(u32, u64, String)> {
        batch
            .items
            .iter()
            .filter_map(|it| match it {
                Item::Record {
                    file,
                    ordinal,
                    start,
                    end,
                    ..
                } => Some((
                    *file,
                    *ordinal & ((1 << ORDINAL_INPUT_SHIFT) - 1),
                    batch.text[*start..*end].to_string(),
                )),
                Item::Bad { .. } => None,
            })
            .collect()
    }

    #[test]
    fn peeks_string_and_number_timestamps() {
        let f = Finder::new(b"\"@timestamp\"").into_owned();
        assert_eq!(
            peek_time(&f, r#"{"@timestamp" : "1970-01-01T00:00:01Z"}"#),
            1_000_000_000
        );
        assert_eq!(peek_time(&f, r#"{"a":1,"@timestamp":2000}"#), 2_000_000_000);
        assert_eq!(peek_time(&f, r#"{"a":1}"#), i64::MIN);
        assert_eq!(peek_time(&f, r#"{"@timestamp":"junk"}"#), i64::MIN);
    }

    #[test]
    fn inputs_are_merged_by_time_with_ordinals_of_their_own() {
        let a = "{\"@timestamp\":1,\"n\":\"a0\"}\n{\"@timestamp\":5,\"n\":\"a1\"}\n";
        let b = "{\"@timestamp\":2,\"n\":\"b0\"}\nnot json but a record\n{\"@timestamp\":3,\"n\":\"b2\"}\n";
        let (readers, names) = reader_over(&[a, b]);
        let pool = BatchPool::default();
        let mut r = Reader::new(readers, &names, full(100), &pool);
        let batch = r.next_batch().unwrap();
        let got: Vec<(u32, u64, String)> = records(&batch);
        let order: Vec<(u32, u64)> = got.iter().map(|(f, o, _)| (*f, *o)).collect();
        // a0 (1), b0 (2), the record without a time (first when it waits),
        // b2 (3), a1 (5).
        assert_eq!(order, [(0, 0), (1, 0), (1, 1), (1, 2), (0, 1)]);
        assert!(r.next_batch().is_none());
    }

    #[test]
    fn batches_are_numbered_and_bounded() {
        let a = "{}\n{}\n{}\n";
        let (readers, names) = reader_over(&[a]);
        let pool = BatchPool::default();
        let mut r = Reader::new(readers, &names, full(2), &pool);
        let b0 = r.next_batch().unwrap();
        let b1 = r.next_batch().unwrap();
        assert_eq!(
            (b0.seq, b0.items.len(), b1.seq, b1.items.len()),
            (0, 2, 1, 1)
        );
        assert!(r.next_batch().is_none());
    }

    #[test]
    fn a_batch_given_back_is_reused_empty() {
        let a = "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n";
        let (readers, names) = reader_over(&[a]);
        let pool = BatchPool::new(1);
        let mut r = Reader::new(readers, &names, full(2), &pool);
        let b0 = r.next_batch().unwrap();
        let buffer = b0.text.as_ptr();
        pool.give(b0);
        let b1 = r.next_batch().unwrap();
        // The same buffer, holding only the next batch's record.
        assert_eq!(b1.text.as_ptr(), buffer);
        assert_eq!(
            (b1.seq, records(&b1)),
            (1, vec![(0, 2, "{\"n\":2}".to_string())])
        );
    }
}
