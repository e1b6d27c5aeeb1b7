//! The collector: worker results in batch order, turned into the ordered
//! streams the shards need.
//!
//! Batches are absorbed in their input order whatever worker finished first,
//! so counts, messages, reorder decisions and everything downstream are the
//! same for any number of threads. Per absorbed batch:
//!
//! - counts and messages are added up, single-event alerts kept;
//! - kept events get their texts, copied from the batch (on this one thread:
//!   see [`crate::kept::Source::new`]);
//! - each kept candidate goes into the sequence reorder buffer once per
//!   ordering lane (the distinct `timestamp_field`/`tiebreaker_field` pairs of
//!   the sequence rules that admitted it), keyed by (timestamp, tiebreaker,
//!   input position) — Elasticsearch's EQL order; samples need no order and
//!   go straight to their shards;
//! - in replay, every match and candidate goes into the replay reorder buffer
//!   in its rule's window-time lane, keyed by (time, input position);
//! - what the buffers release goes to the shard owning each rule
//!   ([`crate::shard::ShardPlan`]), in release order.
//!
//! An item the buffer refuses (later than its lane's window allows) is
//! counted once per event and reported: it takes no part in sequences.

use crate::kept::Candidate;
use crate::multi::missing_last;
use crate::read::Batch;
use crate::reorder::{Bounds, Reorder, TimeKey};
use crate::run::{RunOptions, RunReport, SHOWN};
use crate::shard::{SeqRule, ShardPlan, Work};
use crate::sorted::AlertStore;
use crate::worker::{BatchOut, Kept, ReplayItem, Replayable};
use matcher::ruleset::RuleIdx;
use matcher::KeyValue;
use std::cmp::Ordering;
use std::sync::{Arc, Mutex};

/// Where released work goes: shards on this thread, or shard threads.
pub(crate) trait Sink {
    fn send(&mut self, shard: usize, work: Vec<Work>);
}

/// EQL order of a sequence candidate in its lane.
#[derive(Clone, PartialEq, Eq)]
struct SeqKey {
    ts: i64,
    tiebreaker: Option<KeyValue>,
    ordinal: u64,
}

impl Ord for SeqKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.ts
            .cmp(&other.ts)
            .then_with(|| missing_last(&self.tiebreaker, &other.tiebreaker))
            .then_with(|| self.ordinal.cmp(&other.ordinal))
    }
}
impl PartialOrd for SeqKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl TimeKey for SeqKey {
    fn time(&self) -> i64 {
        self.ts
    }
}

/// A sequence candidate and the rules of one lane that admitted it.
type SeqItem = (Arc<Candidate>, Vec<SeqRule>);

/// Window-time order of a replayed match (rule last: one event, many rules).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ReplayKey {
    time: i64,
    ordinal: u64,
    rule: RuleIdx,
}

impl TimeKey for ReplayKey {
    fn time(&self) -> i64 {
        self.time
    }
}

fn bounds(opts: &RunOptions<'_>) -> Bounds {
    Bounds {
        window: opts.reorder_window,
        hold: opts.reorder_hold,
        capacity: opts.reorder_capacity,
    }
}

/// `rules` grouped by the shard of `plan` owning each (`rule_of` reads an
/// item's rule), in order.
fn split<R: Copy>(
    plan: &ShardPlan,
    rules: Vec<R>,
    rule_of: impl Fn(&R) -> RuleIdx,
) -> Vec<(usize, Vec<R>)> {
    if plan.shards == 1 {
        return vec![(0, rules)];
    }
    let mut parts: Vec<(usize, Vec<R>)> = Vec::new();
    for r in rules {
        let shard = plan.of(rule_of(&r));
        match parts.iter_mut().find(|(s, _)| *s == shard) {
            Some((_, v)) => v.push(r),
            None => parts.push((shard, vec![r])),
        }
    }
    parts
}

/// Bytes a replayed match holds beyond its event text.
const MATCH_OVERHEAD: usize = 160;

pub(crate) struct Collector<'e> {
    opts: &'e RunOptions<'e>,
    plan: &'e ShardPlan,
    pub report: RunReport,
    store: &'e Mutex<AlertStore>,
    sequences: Reorder<SeqKey, SeqItem>,
    replay: Reorder<ReplayKey, Replayable>,
    outgoing: Vec<Vec<Work>>,
    /// Batches absorbed (for [`TRIM_EVERY`]).
    batches: u64,
}

/// Batches between two returns of free heap memory to the system.
pub(crate) const TRIM_EVERY: u64 = 8;

/// Gives the allocator's free pages back to the system. Kept events live
/// for very different times (a text freed after one batch sits next to one a
/// partial sequence keeps for the whole input), so glibc's heaps fragment,
/// and more so with one arena per thread: without this, peak RSS on 1M
/// events and 2 threads was 187–198 MB; with it, 166 MB, for ≈ 1 s of
/// system time. `malloc_trim` (glibc ≥ 2.8) returns free pages anywhere in
/// every arena, not only at the top.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only inspects and releases the allocator's own
    // free memory; it takes the arenas' locks and is safe to call at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

impl<'e> Collector<'e> {
    pub fn new(
        opts: &'e RunOptions<'e>,
        plan: &'e ShardPlan,
        store: &'e Mutex<AlertStore>,
        order_lanes: usize,
        time_lanes: usize,
    ) -> Self {
        Collector {
            opts,
            plan,
            report: RunReport {
                reorder_window: opts.reorder_window,
                ..RunReport::default()
            },
            store,
            sequences: Reorder::new(order_lanes, bounds(opts)),
            replay: Reorder::new(time_lanes, bounds(opts)),
            outgoing: (0..plan.shards).map(|_| Vec::new()).collect(),
            batches: 0,
        }
    }

    /// Absorbs one batch's results (batches must come in order); gives back
    /// the batch, if the results came with it, for its buffers to be reused.
    pub fn absorb(&mut self, out: BatchOut, sink: &mut dyn Sink) -> Option<Batch> {
        self.count(&out);
        let BatchOut {
            alerts,
            kept,
            replay,
            malformed,
            script_errors_shown,
            alert_errors,
            batch,
            ..
        } = out;
        let r = &mut self.report;
        let room = SHOWN.saturating_sub(r.malformed_shown.len());
        r.malformed_shown.extend(malformed.into_iter().take(room));
        let room = SHOWN.saturating_sub(r.script_errors_shown.len());
        r.script_errors_shown
            .extend(script_errors_shown.into_iter().take(room));
        let room = SHOWN.saturating_sub(r.alert_errors.len());
        r.alert_errors.extend(alert_errors.into_iter().take(room));
        if !alerts.is_empty() {
            if let Ok(mut store) = self.store.lock() {
                store.add(alerts);
            }
        }
        let text = batch.as_ref().map_or("", |b| b.text.as_str());
        for k in kept {
            self.kept(k, text);
        }
        self.replayed(replay);
        self.release(false);
        self.flush(sink);
        batch
    }

    fn count(&mut self, out: &BatchOut) {
        let r = &mut self.report;
        r.events += out.events;
        r.malformed += out.malformed.len() as u64;
        r.without_index += out.without_index;
        r.without_time += out.without_time;
        r.script_errors += out.script_errors;
    }

    /// Puts a kept event in the reorder buffer (sequences) or sends it to
    /// its shards (samples), with its text copied from the batch's `text`:
    /// here, on one thread, so that the texts the shards hold and free lie in
    /// one allocator heap rather than in every worker's.
    fn kept(&mut self, mut k: Kept, text: &str) {
        if let Some((start, end)) = k.text {
            let text = text.get(start as usize..end as usize).unwrap_or("");
            // The worker shares no candidate it sends in a `Kept`.
            debug_assert!(Arc::get_mut(&mut k.cand).is_some());
            if let Some(cand) = Arc::get_mut(&mut k.cand) {
                cand.attach_text(Arc::from(text));
            }
        }
        self.report.candidates += 1;
        let bytes = k.cand.bytes();
        let ordinal = k.cand.source.ordinal;
        let mut late = false;
        for lane in k.lanes {
            let key = SeqKey {
                ts: lane.ts,
                tiebreaker: lane.tiebreaker,
                ordinal,
            };
            let value = (k.cand.clone(), lane.rules);
            late |= self
                .sequences
                .push(lane.lane as usize, key, bytes, value)
                .is_err();
        }
        if late {
            self.report.late_events += 1;
        }
        if !k.samples.is_empty() {
            for (shard, rules) in self.split(k.samples, |&r| r) {
                self.outgoing[shard].push(Work::Sample {
                    cand: k.cand.clone(),
                    rules,
                });
            }
        }
    }

    fn replayed(&mut self, items: Vec<ReplayItem>) {
        let mut last_late = None;
        for item in items {
            let bytes = match &item.what {
                Replayable::Match(m) => m.source.len() + MATCH_OVERHEAD,
                Replayable::Entry(e) => e.cand.bytes(),
            };
            let key = ReplayKey {
                time: item.time,
                ordinal: item.ordinal,
                rule: item.rule,
            };
            if self
                .replay
                .push(item.lane as usize, key, bytes, item.what)
                .is_err()
                && last_late != Some(item.ordinal)
            {
                last_late = Some(item.ordinal);
                self.report.late_events += 1;
            }
        }
    }

    /// Rules grouped by shard (`rule_of` reads an item's rule).
    fn split<R: Copy>(
        &self,
        rules: Vec<R>,
        rule_of: impl Fn(&R) -> RuleIdx,
    ) -> Vec<(usize, Vec<R>)> {
        split(self.plan, rules, rule_of)
    }

    /// Moves what the buffers release (everything at the end) to the shards,
    /// as the buffers release it (no list of it made first: at the end of an
    /// input that fits the buffers' hold, that is every kept event).
    fn release(&mut self, all: bool) {
        let (plan, outgoing) = (self.plan, &mut self.outgoing);
        let mut to_shards = |_: usize, key: SeqKey, (cand, rules): SeqItem| {
            if plan.shards == 1 {
                // One shard takes everything as it is (no split to make).
                outgoing[0].push(Work::Sequence {
                    cand,
                    ts: key.ts,
                    rules,
                });
                return;
            }
            for (shard, rules) in split(plan, rules, |r| r.0) {
                outgoing[shard].push(Work::Sequence {
                    cand: cand.clone(),
                    ts: key.ts,
                    rules,
                });
            }
        };
        if all {
            self.sequences.finish(&mut to_shards);
        } else {
            self.sequences.release(&mut to_shards);
        }
        let mut to_shards = |_: usize, key: ReplayKey, what: Replayable| {
            let work = match what {
                Replayable::Match(m) => Work::Match { rule: key.rule, m },
                Replayable::Entry(e) => Work::Entry { rule: key.rule, e },
            };
            outgoing[plan.of(key.rule)].push(work);
        };
        if all {
            self.replay.finish(&mut to_shards);
        } else {
            self.replay.release(&mut to_shards);
        }
    }

    fn flush(&mut self, sink: &mut dyn Sink) {
        for (shard, work) in self.outgoing.iter_mut().enumerate() {
            if !work.is_empty() {
                sink.send(shard, std::mem::take(work));
            }
        }
    }

    /// Releases everything left to the shards.
    pub fn finish(&mut self, sink: &mut dyn Sink) {
        self.release(true);
        self.flush(sink);
        self.report.reorder_forced = self.sequences.forced() + self.replay.forced();
    }

    /// Reports progress after each batch.
    pub fn progress(&mut self) {
        if let Some(progress) = self.opts.progress {
            progress(self.report.events);
        }
        self.batches += 1;
        if self.batches.is_multiple_of(TRIM_EVERY) {
            (self.opts.release_memory)();
        }
    }
}
