//! The sequence engine: a streaming state machine with the semantics of
//! Elasticsearch's `SequenceMatcher` / `KeyToSequences` / `SequenceGroup`
//! and `TumblingWindow` (`x-pack/plugin/eql/src/main/java/org/elasticsearch/xpack/eql/execution/sequence/`).
//!
//! Elasticsearch runs one query per stage and matches a stage-(n+1) hit
//! against the *latest* in-flight sequence of stage n with an earlier
//! ordinal, trimming that sequence and every older one
//! (`OrdinalGroup.trimBefore`). Fed events in order, that is the same as
//! keeping, per join key and stage, only the most recent partial sequence:
//!
//! - a newer stage-0 match replaces the pending one;
//! - an event that advances stage n to n+1 consumes the stage-n partial and
//!   replaces what waited at n+1;
//! - one event may advance a sequence and start (or advance) another, but
//!   never appears twice in one sequence (stages are tried from the last to
//!   the first, so an event never consumes a partial it just created);
//! - `until` drops the key's pending partials (an until event between a
//!   partial and its next event rejects it, `UntilGroup`);
//! - `maxspan` rejects an advance when last − first > maxspan, and partials
//!   that can no longer advance are expired;
//! - an event whose non-optional key field is missing takes no part; a
//!   multi-valued key field joins under each of its values (the cartesian
//!   product over key fields).
//!
//! Missing-event stages (`![…]`) follow `TumblingWindow.checkMissingEvents`:
//! positive stages are matched as above, then a candidate is discarded if a
//! middle missing stage has an event (same key) strictly between its
//! neighbours' timestamps (in milliseconds), and leading/trailing missing
//! stages are judged by the nearest such event before/after the sequence
//! against `maxspan`.
//!
//! Memory is O(keys × stages): per key, one partial per stage and, for
//! missing stages, the latest timestamps seen.
//!
//! Which stages an event matches is evaluated here ([`SequenceEngine::push`],
//! reference evaluator) or given by the caller
//! ([`SequenceEngine::push_matched`], with the [`StageHits`] the rule set's
//! compiled evaluation found). Join-key tuples are built in buffers reused
//! from event to event, and looked up without being owned: a key is copied
//! only when state is created for it or a sequence completes under it.

use event::{Event, FieldId};
use ir::{EventQuery, JoinKey, SequencePlan};
use rustc_hash::FxHashMap;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::error::EvalError;
use crate::order::in_category;
use crate::ruleset::StageHits;
use crate::values::{truncate_to_millis, KeyValue};

/// A completed sequence. `T` is what the caller pushed for each event (an
/// index by default; a handle to the event's data when the caller streams and
/// wants it kept exactly as long as a pending sequence refers to it).
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceMatch<T = usize> {
    pub join_keys: Vec<KeyValue>,
    /// One entry per stage (runs expanded); `None` for a missing-event stage.
    pub events: Vec<Option<T>>,
    /// Push number of the event that completed the sequence's positive
    /// stages: sequences are reported in this order, then by key.
    pub completed_at: u64,
}

/// One expanded stage (runs unrolled).
struct Stage<'p> {
    keys: &'p [JoinKey],
    missing: bool,
    /// Index of the distinct query (runs of one step share it).
    query_index: usize,
}

/// The latest timestamps seen for a missing stage and key.
#[derive(Debug, Clone, Copy)]
struct Tracker {
    latest: i64,
    /// The latest timestamp in an earlier millisecond than `latest`.
    earlier: Option<i64>,
}

impl Tracker {
    fn record(slot: &mut Option<Tracker>, ts: i64) {
        *slot = Some(match *slot {
            None => Tracker {
                latest: ts,
                earlier: None,
            },
            Some(t) if truncate_to_millis(ts) > truncate_to_millis(t.latest) => Tracker {
                latest: ts,
                earlier: Some(t.latest),
            },
            Some(t) => Tracker {
                latest: ts.max(t.latest),
                earlier: t.earlier,
            },
        });
    }

    /// The latest timestamp strictly before `bound` (a millisecond boundary
    /// not earlier than `latest`'s millisecond).
    fn before(&self, bound: i64) -> Option<i64> {
        if self.latest < bound {
            Some(self.latest)
        } else {
            self.earlier.filter(|&e| e < bound)
        }
    }
}

#[derive(Debug, Clone)]
struct Partial<T> {
    events: Vec<Option<T>>,
    start: i64,
    last: i64,
    last_leading: Option<i64>,
    /// A middle missing stage saw an event: the sequence completes for
    /// nothing (Elasticsearch discards it after matching).
    doomed: bool,
}

#[derive(Debug, Clone)]
struct KeyState<T> {
    /// Per stage: the pending partial whose last matched stage is that one.
    slots: Vec<Option<Partial<T>>>,
    /// Per stage: timestamps of missing-stage events.
    missing: Vec<Option<Tracker>>,
}

impl<T> KeyState<T> {
    fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none) && self.missing.iter().all(Option::is_none)
    }
}

/// A sequence whose positive stages matched, waiting for its trailing
/// missing stages to be judged.
#[derive(Debug, Clone)]
struct PendingTrailing<T> {
    partial: Partial<T>,
    completed_at: u64,
}

/// Sequences waiting on trailing missing stages, by key, with their
/// deadlines in a min-heap (entries of settled sequences are skipped when
/// popped).
#[derive(Debug)]
struct Pending<T> {
    by_key: FxHashMap<Vec<KeyValue>, Vec<PendingTrailing<T>>>,
    /// (deadline, completed_at, key): after the deadline any trailing event
    /// is too late to discard the sequence.
    deadlines: BinaryHeap<Reverse<(i64, u64, Vec<KeyValue>)>>,
}

impl<T> Default for Pending<T> {
    fn default() -> Self {
        Pending {
            by_key: FxHashMap::default(),
            deadlines: BinaryHeap::new(),
        }
    }
}

/// Streaming matcher for one sequence plan. `T` identifies a pushed event
/// (cloned into the partial sequences that hold it, dropped with them).
pub struct SequenceEngine<'p, T = usize> {
    stages: Vec<Stage<'p>>,
    queries: Vec<&'p EventQuery>,
    until: Option<(&'p EventQuery, &'p [JoinKey])>,
    maxspan: i64,
    category_field: FieldId,
    first_positive: usize,
    last_positive: usize,
    keys: FxHashMap<Vec<KeyValue>, KeyState<T>>,
    /// Per stage: how many keys hold a partial in that stage's slot. A stage
    /// whose previous slot is empty everywhere cannot advance, and its join
    /// keys need not be read.
    open: Vec<u32>,
    pending: Pending<T>,
    pushed: u64,
    since_sweep: usize,
    /// Events until the next sweep: max(1024, live keys after the last one).
    next_sweep: usize,
    errors: Vec<(T, EvalError)>,
    error_count: usize,
    /// Reused per event: which distinct queries matched.
    scratch: Vec<bool>,
    /// Reused per stage and event: the event's join-key tuples, and the
    /// keys they were built for (stages joined by the same keys share them).
    tuples: Tuples,
    tuples_for: Option<&'p [JoinKey]>,
}

const MAX_KEPT_ERRORS: usize = 100;

impl<'p, T: Clone> SequenceEngine<'p, T> {
    /// Builds the engine; `category_field` holds the event category.
    /// A plan without any positive stage matches nothing.
    pub fn new(plan: &'p SequencePlan, category_field: FieldId) -> Self {
        let mut stages = Vec::new();
        let mut queries: Vec<&EventQuery> = Vec::new();
        for step in &plan.stages {
            let query_index = queries.len();
            queries.push(&step.query);
            for _ in 0..step.runs.max(1) {
                stages.push(Stage {
                    keys: &step.keys,
                    missing: step.missing,
                    query_index,
                });
            }
        }
        let first_positive = stages.iter().position(|s| !s.missing).unwrap_or(usize::MAX);
        let last_positive = stages
            .iter()
            .rposition(|s| !s.missing)
            .unwrap_or(usize::MAX);
        let stage_count = stages.len();
        SequenceEngine {
            stages,
            queries,
            until: plan.until.as_ref().map(|u| (&u.query, u.keys.as_slice())),
            maxspan: plan.maxspan.unwrap_or(0),
            category_field,
            first_positive,
            last_positive,
            keys: FxHashMap::default(),
            open: vec![0; stage_count],
            pending: Pending::default(),
            pushed: 0,
            since_sweep: 0,
            next_sweep: 1024,
            errors: Vec::new(),
            error_count: 0,
            scratch: Vec::new(),
            tuples: Tuples::default(),
            tuples_for: None,
        }
    }

    /// Script errors met while matching (event id, error); at most 100 kept.
    pub fn errors(&self) -> &[(T, EvalError)] {
        &self.errors
    }

    /// Total number of script errors met.
    pub fn error_count(&self) -> usize {
        self.error_count
    }

    /// Number of join keys with state (for tests and memory accounting).
    pub fn live_keys(&self) -> usize {
        self.keys.len()
    }

    /// Feeds the next event (events must come in query order: timestamp,
    /// tiebreaker, input order). Completed sequences are appended to `out`.
    pub fn push(&mut self, id: T, ts: i64, event: &Event<'_>, out: &mut Vec<SequenceMatch<T>>) {
        if self.first_positive == usize::MAX {
            return;
        }
        let mut matched = std::mem::take(&mut self.scratch);
        self.matched_queries(&id, event, &mut matched);
        self.step(&id, ts, event, &matched, out);
        self.scratch = matched;
    }

    /// [`SequenceEngine::push`] for an event whose matching stages are
    /// known: bit `n` of `hits.matched` is stage `n` of the plan, the bit
    /// after the last stage `until`; `hits.errors` are counted as the
    /// evaluation's script errors (not kept in [`SequenceEngine::errors`]).
    /// Only the event's join-key fields are read.
    pub fn push_matched(
        &mut self,
        id: T,
        ts: i64,
        event: &Event<'_>,
        hits: StageHits,
        out: &mut Vec<SequenceMatch<T>>,
    ) {
        if self.first_positive == usize::MAX {
            return;
        }
        self.error_count += hits.errors as usize;
        let mut matched = std::mem::take(&mut self.scratch);
        matched.clear();
        matched.extend((0..=self.queries.len()).map(|q| q < 64 && (hits.matched >> q) & 1 == 1));
        self.step(&id, ts, event, &matched, out);
        self.scratch = matched;
    }

    /// Feeds an event given which distinct queries (and, last, `until`) it
    /// matched.
    fn step(
        &mut self,
        id: &T,
        ts: i64,
        event: &Event<'_>,
        matched: &[bool],
        out: &mut Vec<SequenceMatch<T>>,
    ) {
        let seq = self.pushed;
        self.pushed += 1;
        self.tuples_for = None;
        self.resolve_expired_trailing(ts, out);
        let hit = |engine: &Self, k: usize| matched[engine.stages[k].query_index];
        for k in (self.first_positive + 1..=self.last_positive).rev() {
            if !self.stages[k].missing && hit(self, k) {
                self.advance(k, id, ts, seq, event, out);
            }
        }
        if hit(self, self.first_positive) {
            self.start(id, ts, seq, event, out);
        }
        for m in 0..self.stages.len() {
            if self.stages[m].missing && hit(self, m) {
                self.record_missing(m, ts, event, out);
            }
        }
        if matched[self.queries.len()] {
            self.apply_until(event);
        }
        self.maybe_sweep(ts);
        debug_assert!(self.open_counts_agree());
    }

    /// The per-stage open counts equal the slots that hold a partial (checked
    /// while there are few keys: the check reads every key).
    fn open_counts_agree(&self) -> bool {
        self.keys.len() > 256
            || (0..self.stages.len()).all(|k| {
                let held = self.keys.values().filter(|s| s.slots[k].is_some()).count();
                held == self.open[k] as usize
            })
    }

    /// Ends the stream: sequences waiting on trailing missing stages complete
    /// (no trailing event came).
    pub fn finish(&mut self, out: &mut Vec<SequenceMatch<T>>) {
        let mut all: Vec<(Vec<KeyValue>, PendingTrailing<T>)> = std::mem::take(&mut self.pending)
            .by_key
            .into_iter()
            .flat_map(|(k, v)| v.into_iter().map(move |p| (k.clone(), p)))
            .collect();
        all.sort_by(|a, b| {
            a.1.completed_at
                .cmp(&b.1.completed_at)
                .then_with(|| a.0.cmp(&b.0))
        });
        for (key, p) in all {
            self.judge(key, p.partial, p.completed_at, None, out);
        }
    }

    /// Which distinct queries (and, last, `until`) the event matches.
    fn matched_queries(&mut self, id: &T, event: &Event<'_>, matched: &mut Vec<bool>) {
        matched.clear();
        for i in 0..self.queries.len() {
            let q = self.queries[i];
            let m = self.query_matches(id, q, event);
            matched.push(m);
        }
        let until = match self.until {
            Some((q, _)) => self.query_matches(id, q, event),
            None => false,
        };
        matched.push(until);
    }

    fn query_matches(&mut self, id: &T, q: &EventQuery, event: &Event<'_>) -> bool {
        if !in_category(q, event, self.category_field) {
            return false;
        }
        match crate::pred::eval(&q.condition, event) {
            Ok(b) => b,
            Err(e) => {
                self.error_count += 1;
                if self.errors.len() < MAX_KEPT_ERRORS {
                    self.errors.push((id.clone(), e));
                }
                false
            }
        }
    }

    fn new_state(&self) -> KeyState<T> {
        KeyState {
            slots: vec![None; self.stages.len()],
            missing: vec![None; self.stages.len()],
        }
    }

    /// The event's join-key tuples for `keys`, in the reused buffer (give
    /// it back with [`SequenceEngine::give_back`]); built once per event for
    /// equal keys.
    fn tuples_of(&mut self, keys: &'p [JoinKey], event: &Event<'_>) -> Tuples {
        let mut tuples = std::mem::take(&mut self.tuples);
        if self.tuples_for != Some(keys) {
            tuples.fill(keys, event);
            self.tuples_for = Some(keys);
        }
        tuples
    }

    fn give_back(&mut self, tuples: Tuples) {
        self.tuples = tuples;
    }

    fn exceeds_maxspan(&self, from: i64, to: i64) -> bool {
        self.maxspan > 0 && to.saturating_sub(from) > self.maxspan
    }

    fn previous_positive(&self, k: usize) -> usize {
        (0..k)
            .rev()
            .find(|&i| !self.stages[i].missing)
            .unwrap_or(self.first_positive)
    }

    /// Stage `k` (not the first positive one) matched: advance the key's
    /// partial from the previous positive stage.
    fn advance(
        &mut self,
        k: usize,
        id: &T,
        ts: i64,
        seq: u64,
        event: &Event<'_>,
        out: &mut Vec<SequenceMatch<T>>,
    ) {
        let p = self.previous_positive(k);
        if self.open[p] == 0 {
            return;
        }
        let tuples = self.tuples_of(self.stages[k].keys, event);
        for key in tuples.iter() {
            let Some(state) = self.keys.get_mut(key) else {
                continue;
            };
            let Some(mut partial) = state.slots[p].take() else {
                continue;
            };
            self.open[p] -= 1;
            if self.maxspan > 0 && ts.saturating_sub(partial.start) > self.maxspan {
                continue;
            }
            // The middle query is `@timestamp > previous and < next`, both in
            // milliseconds: an event in a strictly later millisecond than the
            // previous match and a strictly earlier one than this event.
            let upper = truncate_to_millis(ts);
            let lower = truncate_to_millis(partial.last);
            for m in p + 1..k {
                let seen = state.missing[m].and_then(|t| t.before(upper));
                if seen.is_some_and(|t| truncate_to_millis(t) > lower) {
                    partial.doomed = true;
                }
            }
            partial.events[k] = Some(id.clone());
            partial.last = ts;
            if k == self.last_positive {
                self.complete(key.to_vec(), partial, seq, out);
            } else {
                fill_slot(&mut state.slots[k], &mut self.open[k], partial);
            }
        }
        self.give_back(tuples);
    }

    /// The first positive stage matched: a new partial per key tuple.
    fn start(
        &mut self,
        id: &T,
        ts: i64,
        seq: u64,
        event: &Event<'_>,
        out: &mut Vec<SequenceMatch<T>>,
    ) {
        let f = self.first_positive;
        let tuples = self.tuples_of(self.stages[f].keys, event);
        for key in tuples.iter() {
            let mut events = vec![None; self.stages.len()];
            events[f] = Some(id.clone());
            let bound = truncate_to_millis(ts);
            let last_leading = match self.keys.get(key) {
                Some(state) => (0..f)
                    .filter_map(|m| state.missing[m].and_then(|t| t.before(bound)))
                    .max(),
                None => {
                    let fresh = self.new_state();
                    self.keys.insert(key.to_vec(), fresh);
                    None
                }
            };
            let partial = Partial {
                events,
                start: ts,
                last: ts,
                last_leading,
                doomed: false,
            };
            if f == self.last_positive {
                self.complete(key.to_vec(), partial, seq, out);
            } else if let Some(state) = self.keys.get_mut(key) {
                fill_slot(&mut state.slots[f], &mut self.open[f], partial);
            }
        }
        self.give_back(tuples);
    }

    /// A missing stage matched: remember when, and settle sequences waiting
    /// on a trailing stage of this key.
    fn record_missing(
        &mut self,
        m: usize,
        ts: i64,
        event: &Event<'_>,
        out: &mut Vec<SequenceMatch<T>>,
    ) {
        let trailing = m > self.last_positive;
        let tuples = self.tuples_of(self.stages[m].keys, event);
        for key in tuples.iter() {
            match self.keys.get_mut(key) {
                Some(state) => Tracker::record(&mut state.missing[m], ts),
                None => {
                    let mut fresh = self.new_state();
                    Tracker::record(&mut fresh.missing[m], ts);
                    self.keys.insert(key.to_vec(), fresh);
                }
            }
            if trailing {
                self.trailing_event(key, ts, out);
            }
        }
        self.give_back(tuples);
    }

    fn trailing_event(&mut self, key: &[KeyValue], ts: i64, out: &mut Vec<SequenceMatch<T>>) {
        let Some(waiting) = self.pending.by_key.get_mut(key) else {
            return;
        };
        // The trailing query is `@timestamp > end` with `end` in milliseconds.
        let (settled, rest): (Vec<_>, Vec<_>) = std::mem::take(waiting)
            .into_iter()
            .partition(|p| ts > truncate_to_millis(p.partial.last) + 999_999);
        if rest.is_empty() {
            self.pending.by_key.remove(key);
        } else {
            *waiting = rest;
        }
        for p in settled {
            self.judge(key.to_vec(), p.partial, p.completed_at, Some(ts), out);
        }
    }

    fn apply_until(&mut self, event: &Event<'_>) {
        let Some((_, keys)) = self.until else { return };
        let tuples = self.tuples_of(keys, event);
        for key in tuples.iter() {
            if let Some(state) = self.keys.get_mut(key) {
                for (slot, open) in state.slots.iter_mut().zip(self.open.iter_mut()) {
                    empty_slot(slot, open);
                }
            }
        }
        self.give_back(tuples);
    }

    /// The positive stages matched (`SequenceMatcher.tryComplete`).
    fn complete(
        &mut self,
        key: Vec<KeyValue>,
        partial: Partial<T>,
        seq: u64,
        out: &mut Vec<SequenceMatch<T>>,
    ) {
        if partial.doomed {
            return;
        }
        let first_missing = self.stages[0].missing;
        let last_missing = self.stages[self.stages.len() - 1].missing;
        if !last_missing || (first_missing && partial.last_leading.is_none()) {
            self.judge(key, partial, seq, None, out);
            return;
        }
        // A trailing event already seen in the sequence's last millisecond
        // but after it counts (the trailing query is `> end` in milliseconds).
        let end_ms = truncate_to_millis(partial.last);
        let early = self.keys.get(&key).and_then(|s| {
            (self.last_positive + 1..self.stages.len())
                .filter_map(|m| s.missing[m].map(|t| t.latest))
                .filter(|&t| t > end_ms + 999_999)
                .min()
        });
        if early.is_some() {
            self.judge(key, partial, seq, early, out);
            return;
        }
        let reference = if first_missing {
            partial.last_leading
        } else {
            Some(partial.start)
        };
        if let Some(deadline) = reference
            .filter(|_| self.maxspan > 0)
            .map(|r| r.saturating_add(self.maxspan))
        {
            self.pending
                .deadlines
                .push(Reverse((deadline, seq, key.clone())));
        }
        self.pending
            .by_key
            .entry(key)
            .or_default()
            .push(PendingTrailing {
                partial,
                completed_at: seq,
            });
    }

    /// `TumblingWindow.doCheckMissingEvents`' verdict for leading/trailing
    /// missing stages, then the sequence is reported.
    fn judge(
        &mut self,
        key: Vec<KeyValue>,
        p: Partial<T>,
        completed_at: u64,
        first_trailing: Option<i64>,
        out: &mut Vec<SequenceMatch<T>>,
    ) {
        let first_missing = self.stages[0].missing;
        let last_missing = self.stages[self.stages.len() - 1].missing;
        let bigger = |from: Option<i64>, to: Option<i64>| match (from, to) {
            (Some(f), Some(t)) => self.exceeds_maxspan(f, t),
            _ => true,
        };
        let leading = p.last_leading;
        let ok = (first_trailing.is_none() && leading.is_none())
            || (leading.is_none() && first_missing)
            || (first_trailing.is_none() && last_missing)
            || (first_missing && last_missing && bigger(leading, first_trailing))
            || (first_missing && !last_missing && bigger(leading, Some(p.last)))
            || (!first_missing && last_missing && bigger(Some(p.start), first_trailing));
        if ok {
            out.push(SequenceMatch {
                join_keys: key,
                events: p.events,
                completed_at,
            });
        }
    }

    fn resolve_expired_trailing(&mut self, ts: i64, out: &mut Vec<SequenceMatch<T>>) {
        while self
            .pending
            .deadlines
            .peek()
            .is_some_and(|Reverse((d, _, _))| ts > *d)
        {
            let Some(Reverse((_, seq, key))) = self.pending.deadlines.pop() else {
                break;
            };
            let Some(waiting) = self.pending.by_key.get_mut(&key) else {
                continue;
            };
            let Some(pos) = waiting.iter().position(|p| p.completed_at == seq) else {
                continue;
            };
            let p = waiting.swap_remove(pos);
            if waiting.is_empty() {
                self.pending.by_key.remove(&key);
            }
            self.judge(key, p.partial, p.completed_at, None, out);
        }
    }

    /// Drops state that can no longer matter (only with `maxspan`): partials
    /// too old to advance and missing-stage timestamps older than any live
    /// sequence could use. Amortised: runs once per max(1024, keys) events.
    /// Live keys stay below (keys alive within maxspan) + that interval.
    fn maybe_sweep(&mut self, now: i64) {
        self.since_sweep += 1;
        if self.maxspan <= 0 || self.since_sweep < self.next_sweep {
            return;
        }
        self.since_sweep = 0;
        let maxspan = self.maxspan;
        let old = |t: i64| now.saturating_sub(t) > maxspan;
        let open = &mut self.open;
        self.keys.retain(|_, state| {
            for (slot, open) in state.slots.iter_mut().zip(open.iter_mut()) {
                if slot.as_ref().is_some_and(|p| old(p.start)) {
                    empty_slot(slot, open);
                }
            }
            for tracker in state.missing.iter_mut() {
                if tracker.is_some_and(|t| old(t.latest)) {
                    *tracker = None;
                }
            }
            !state.is_empty()
        });
        self.next_sweep = self.keys.len().max(1024);
    }
}

/// Puts `partial` in a stage slot, counting the slot as open if it was empty.
fn fill_slot<T>(slot: &mut Option<Partial<T>>, open: &mut u32, partial: Partial<T>) {
    if slot.replace(partial).is_none() {
        *open += 1;
    }
}

/// Empties a stage slot, counting it as no longer open if it held a partial.
fn empty_slot<T>(slot: &mut Option<Partial<T>>, open: &mut u32) {
    if slot.take().is_some() {
        *open -= 1;
    }
}

/// At most this many join-key tuples per event and stage (the cartesian
/// product of multi-valued key fields is cut there).
pub const MAX_KEY_TUPLES: usize = 4096;

/// The join-key tuples an event has for `keys`: the cartesian product of
/// each key field's doc values (sorted, de-duplicated); a missing optional
/// key is `null`; a missing non-optional key gives no tuple (the event takes
/// no part: Elasticsearch's optimizer adds `IsNotNull` for mandatory keys).
pub fn key_tuples(keys: &[JoinKey], event: &Event<'_>) -> Vec<Vec<KeyValue>> {
    let mut tuples = Tuples::default();
    tuples.fill(keys, event);
    tuples.iter().map(<[KeyValue]>::to_vec).collect()
}

/// An event's join-key tuples ([`key_tuples`]) in buffers that are reused.
#[derive(Debug, Default)]
struct Tuples {
    /// The tuples one after another, `arity` values each.
    flat: Vec<KeyValue>,
    arity: usize,
    count: usize,
    /// One key field's values.
    values: Vec<KeyValue>,
    /// The product being built.
    next: Vec<KeyValue>,
}

impl Tuples {
    fn fill(&mut self, keys: &[JoinKey], event: &Event<'_>) {
        self.flat.clear();
        self.arity = 0;
        self.count = 1;
        for key in keys {
            self.values.clear();
            let field = &key.field;
            let values = event
                .values(field.id)
                .filter_map(|v| KeyValue::of(field, v));
            self.values.extend(values);
            if self.values.is_empty() {
                if !key.optional {
                    self.count = 0;
                    return;
                }
                self.values.push(KeyValue::Null);
            }
            if self.values.len() > 1 {
                self.values.sort();
                self.values.dedup();
            }
            self.add_column();
        }
    }

    /// Every tuple so far times every value of `values`.
    fn add_column(&mut self) {
        if self.count == 1 && self.values.len() == 1 {
            self.flat.append(&mut self.values);
            self.arity += 1;
            return;
        }
        self.next.clear();
        let mut count = 0;
        'outer: for t in 0..self.count {
            for v in &self.values {
                if count == MAX_KEY_TUPLES {
                    break 'outer;
                }
                let tuple = &self.flat[t * self.arity..(t + 1) * self.arity];
                self.next.extend_from_slice(tuple);
                self.next.push(v.clone());
                count += 1;
            }
        }
        std::mem::swap(&mut self.flat, &mut self.next);
        self.count = count;
        self.arity += 1;
    }

    fn iter(&self) -> impl Iterator<Item = &[KeyValue]> + '_ {
        (0..self.count).map(|t| &self.flat[t * self.arity..(t + 1) * self.arity])
    }
}

#[cfg(test)]
mod tests;
