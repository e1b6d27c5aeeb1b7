//! Streaming execution of a compiled rule set over event inputs.
//!
//! ```text
//! reader ──batches──▶ N workers ──results──▶ collector ──ordered work──▶ S shards
//!  inputs merged       parse once, index,     batch order; counts,      sequence / sample
//!  by @timestamp       route, match; alerts   alerts; reorder buffers   engines per rule,
//!  (crate::read)       of single-event rules  (crate::collect)          replay (crate::shard)
//! ```
//!
//! - The reader merges the inputs by time into batches of about 1 MiB
//!   (`read`); channels are bounded, so what is in flight is a few
//!   batches per thread.
//! - A worker parses each record once (its own [`event::json::Parser`], which
//!   recycles the events of the records before, with the shared registry: only
//!   fields some rule reads are materialised), derives its index
//!   ([`crate::index`]), evaluates the [`RuleSet`] and builds the alerts of
//!   single-event rules right away; stage candidates of sequence and sample
//!   rules are kept in packed form (`kept`); see `worker`.
//! - The collector absorbs worker results in batch order and puts candidates
//!   through a bounded reorder buffer (`reorder`): each sequence rule
//!   sees its events in EQL order (timestamp, tiebreaker, input position) as
//!   they stream, exactly as a full sort would give them as long as no event
//!   is more than [`RunOptions::reorder_window`] out of order; later ones are
//!   counted ([`RunReport::late_events`]) and take no part in sequences.
//! - Shards own rules (`shard`): each sequence rule's
//!   [`matcher::SequenceEngine`] runs on one thread, fed in order; an event's
//!   JSON is kept only while the buffer or a pending partial sequence holds it.
//!
//! Memory is bounded by the reorder buffer ([`RunOptions::reorder_capacity`]),
//! the sequence state (per join key and stage, one partial; expired by
//! `maxspan`), sample buckets (per join key and stage, a few events), replay
//! windows (a rule's look-back) and the alerts — not by the input's size.
//!
//! Parallelism: `threads` workers parse and match (the bulk of the work), and
//! as many shards (at most 8) run the stateful rules, partitioned by rule (see
//! `shard` for why not by host). To see the scaling on a larger
//! machine, pin runs to a given number of cores and compare wall times:
//! `taskset -c 0 vigil hunt --threads 1 …`, `taskset -c 0-7 vigil hunt
//! --threads 8 …` (the reader and collector threads need a little CPU of
//! their own; `bench/run.sh` runs 1 and all threads).
//!
//! Output does not depend on `threads`: batches are absorbed in input order,
//! each rule's state lives on one shard and sees the same stream, and the
//! final alerts are sorted (original time, rule name, alert uuid) and
//! de-duplicated by `kibana.alert.uuid`. With `threads = 1` everything runs on
//! the caller's thread.
//!
//! Events are admitted by a rule only when its window time (timestamp override
//! or `@timestamp`) exists and lies in `[since, until)`: Kibana's searches are
//! always bounded by a time range, so an event without a timestamp is never
//! alerted on.

use crate::alert::AlertContext;
use crate::alerts::Alert;
use crate::collect::{release_free_memory, Collector, Sink};
use crate::compile::{CompiledRules, IndexFields, Problem, RuleCounts, RuleMeta};
use crate::kept::{SpillReport, TextStore, HELD_MEMORY};
use crate::read::{Batch, BatchLimits, BatchPool, InputInfo, Reader};
use crate::shard::{Shard, ShardOut, ShardPlan, Work};
use crate::sorted::{AlertStore, SortedAlerts, ALERT_MEMORY};
use crate::window::{CloseOnDrop, Window};
use crate::worker::{BatchOut, Worker};
use event::FieldRegistry;
use matcher::ruleset::{OrderSpec, RuleIdx, RuleSet, TimeSpec};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

/// Records per batch at most (default of [`RunOptions::batch_records`]).
pub const BATCH_RECORDS: usize = 4096;
/// Messages of each kind kept for display (all are counted).
pub(crate) const SHOWN: usize = 20;
/// Default [`RunOptions::reorder_window`]: one minute.
pub const REORDER_WINDOW: i64 = 60 * 1_000_000_000;
/// Default [`RunOptions::reorder_hold`]: 16 MiB (~12,000 kept events of ~1 KB).
pub const REORDER_HOLD: usize = 16 << 20;
/// Default [`RunOptions::reorder_capacity`]: 48 MiB.
pub const REORDER_CAPACITY: usize = 48 << 20;
/// Work messages queued per shard thread.
const SHARD_QUEUE: usize = 4;
/// Shard threads at most, whatever `threads`. Every thread that allocates
/// holds partly used pages of its own in the allocator (≈ 1 MB each with
/// the whole catalogue), and a shard's state is a fraction of the workers'
/// work (w200k, 16 threads: shards 64 ticks of CPU, workers 267; the two
/// busiest shards 17 each, one rule apiece): on 1M events and 16 threads,
/// 8 shards rather than 16 took 7 MB less peak RSS.
pub(crate) const MAX_SHARDS: usize = 8;

/// Shard threads for `threads` workers.
fn shard_threads(threads: usize) -> usize {
    threads.clamp(1, MAX_SHARDS)
}

/// One input: a name for messages, its records, and the index of events that
/// carry neither `_index` nor `data_stream.*` (`--index`).
pub struct Input {
    pub name: String,
    pub reader: Box<dyn BufRead + Send>,
    pub default_index: Option<String>,
}

/// How rules run over the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every event evaluated once against every rule; no `max_signals` cap.
    Backfill,
    /// Kibana's scheduled executions simulated ([`crate::replay`]).
    Replay,
    /// Events read, parsed and given their index; no rule evaluated (the
    /// floor the benchmarks compare with).
    ParseOnly,
}

/// Options of a run.
pub struct RunOptions<'a> {
    /// Worker threads (at least 1; 1 runs everything on the caller's thread).
    pub threads: usize,
    /// Only events whose rule time is at or after this (epoch nanoseconds).
    pub since: Option<i64>,
    /// Only events whose rule time is before this.
    pub until: Option<i64>,
    pub mode: Mode,
    /// The run's time (alerts' `@timestamp` in backfill mode), epoch nanoseconds.
    pub now: i64,
    pub kibana_version: String,
    pub space_id: String,
    /// Called from the caller's thread after each batch with the events read so far.
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
    /// Records per batch handed to a worker (tests make it small to spread a
    /// small input over many batches and threads).
    pub batch_records: usize,
    /// How far (nanoseconds, in a rule's ordering time) an event may come
    /// after later ones and still be put in its place for sequence rules (and
    /// in replay, for every rule). The buffer releases between batches, so
    /// the tolerance is the window plus up to one batch.
    pub reorder_window: i64,
    /// Bytes of kept events the reorder buffers hold whatever the window: an
    /// input whose kept events fit is ordered exactly, however disordered.
    pub reorder_hold: usize,
    /// Bytes the reorder buffers hold at most; beyond, the oldest events are
    /// released before the window passed.
    pub reorder_capacity: usize,
    /// Bytes of alert documents held in memory before they are sorted and
    /// spilled to a temporary file ([`crate::sorted`]).
    pub alert_memory: usize,
    /// Bytes of event texts sequence and sample state holds in memory; past
    /// it the oldest are written to a temporary file ([`crate::kept`]).
    pub held_memory: usize,
    /// Where spilled alerts and event texts go (default: the system's
    /// temporary directory).
    pub spill_dir: Option<PathBuf>,
    /// Gives the allocator's free memory back to the system; called every few
    /// batches and after each rule a shard finishes (default:
    /// [`release_free_memory`], glibc's `malloc_trim`). A program with its
    /// own global allocator passes that allocator's equivalent.
    pub release_memory: fn(),
}

impl RunOptions<'_> {
    /// Backfill on all cores at `now`, Kibana 9.1.0, space `default`.
    pub fn new(now: i64) -> Self {
        RunOptions {
            threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            since: None,
            until: None,
            mode: Mode::Backfill,
            now,
            kibana_version: crate::KIBANA_VERSION.to_string(),
            space_id: "default".to_string(),
            progress: None,
            batch_records: BATCH_RECORDS,
            reorder_window: REORDER_WINDOW,
            reorder_hold: REORDER_HOLD,
            reorder_capacity: REORDER_CAPACITY,
            alert_memory: ALERT_MEMORY,
            held_memory: HELD_MEMORY,
            spill_dir: None,
            release_memory: release_free_memory,
        }
    }

    /// Where temporary files go: [`RunOptions::spill_dir`], else the
    /// system's temporary directory.
    pub fn temp_dir(&self) -> PathBuf {
        self.spill_dir.clone().unwrap_or_else(std::env::temp_dir)
    }

    pub(crate) fn admits(&self, t: i64) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }
}

/// A problem with one input record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputIssue {
    pub file: String,
    pub line: u64,
    pub message: String,
}

/// What a run found.
#[derive(Debug, Default)]
pub struct RunReport {
    /// Records parsed as events.
    pub events: u64,
    /// Records that could not be read or parsed (skipped).
    pub malformed: u64,
    /// The first malformed records, in input order.
    pub malformed_shown: Vec<InputIssue>,
    /// Events with no index (they match no rule).
    pub without_index: u64,
    /// Events some rule would have looked at but which lack its timestamp.
    pub without_time: u64,
    /// Inputs that failed while being read (`name: error`).
    pub read_errors: Vec<String>,
    /// Script errors (an event where a rule's script failed did not match).
    pub script_errors: u64,
    pub script_errors_shown: Vec<String>,
    /// Alerts that could not be built.
    pub alert_errors: Vec<String>,
    /// Events kept for sequence / sample rules.
    pub candidates: u64,
    /// Events that arrived more than [`RunReport::reorder_window`] after
    /// later ones (in some rule's ordering): they took no part in sequences
    /// (in replay: in that rule's executions).
    pub late_events: u64,
    /// The reorder window the run used (nanoseconds).
    pub reorder_window: i64,
    /// Events the full reorder buffer released before their window passed.
    pub reorder_forced: u64,
    /// The most event texts held at once (reorder buffer, pending sequences,
    /// sample buckets, replay windows).
    pub retained_peak: u64,
    /// Event texts still held when the input ended (before the final flush).
    pub retained_at_end: u64,
    /// Event texts written to disk to keep memory under
    /// [`RunOptions::held_memory`].
    pub texts_written: SpillReport,
    /// Rule executions simulated (replay).
    pub executions: u64,
    /// Things the user may want to know that did not change the result.
    pub warnings: Vec<String>,
    /// Alerts, sorted and de-duplicated ([`Engine::run`]; empty with
    /// [`Engine::run_sorted`], which gives them apart).
    pub alerts: Vec<Alert>,
}

/// A compiled rule set ready to run.
pub struct Engine {
    ruleset: RuleSet,
    meta: Vec<RuleMeta>,
    registry: FieldRegistry,
    index_fields: IndexFields,
    lanes: Lanes,
}

/// How rules share reorder lanes, and what a kept candidate holds.
struct Lanes {
    /// Per rule: its ordering lane (distinct EQL timestamp/tiebreaker fields).
    order: Vec<u32>,
    order_count: usize,
    /// Per rule: its window-time lane (distinct timestamp override/fallback).
    time: Vec<u32>,
    time_count: usize,
    /// Fields some sequence or sample rule reads (what a candidate keeps).
    kept_fields: Vec<bool>,
}

impl Lanes {
    fn new(ruleset: &RuleSet) -> Lanes {
        let mut orders: Vec<&OrderSpec> = Vec::new();
        let mut times: Vec<&TimeSpec> = Vec::new();
        let mut order = Vec::with_capacity(ruleset.len());
        let mut time = Vec::with_capacity(ruleset.len());
        for r in 0..ruleset.len() as RuleIdx {
            let rule = ruleset.rule(r);
            order.push(position_or_push(&mut orders, &rule.order));
            time.push(position_or_push(&mut times, &rule.time));
        }
        Lanes {
            order,
            order_count: orders.len(),
            time,
            time_count: times.len(),
            kept_fields: ruleset.multi_fields().to_vec(),
        }
    }
}

fn position_or_push<'r, T: PartialEq>(seen: &mut Vec<&'r T>, item: &'r T) -> u32 {
    match seen.iter().position(|s| *s == item) {
        Some(i) => i as u32,
        None => {
            seen.push(item);
            (seen.len() - 1) as u32
        }
    }
}

impl Engine {
    /// The engine of compiled rules, with their counts and messages.
    pub fn new(compiled: CompiledRules) -> (Engine, RuleCounts, Vec<Problem>) {
        let CompiledRules {
            registry,
            rules,
            meta,
            index_fields,
            counts,
            problems,
            threads,
        } = compiled;
        let ruleset = RuleSet::build_on(rules, threads);
        let lanes = Lanes::new(&ruleset);
        let engine = Engine {
            ruleset,
            meta,
            registry,
            index_fields,
            lanes,
        };
        (engine, counts, problems)
    }

    pub fn ruleset(&self) -> &RuleSet {
        &self.ruleset
    }

    pub fn meta(&self) -> &[RuleMeta] {
        &self.meta
    }

    pub fn registry(&self) -> &FieldRegistry {
        &self.registry
    }

    pub(crate) fn index_fields(&self) -> &IndexFields {
        &self.index_fields
    }

    pub(crate) fn order_lane(&self, rule: RuleIdx) -> u32 {
        self.lanes.order[rule as usize]
    }

    pub(crate) fn time_lane(&self, rule: RuleIdx) -> u32 {
        self.lanes.time[rule as usize]
    }

    pub(crate) fn kept_fields(&self) -> &[bool] {
        &self.lanes.kept_fields
    }

    /// Runs every rule over `inputs` (merged by time, see `read`);
    /// the alerts in [`RunReport::alerts`].
    pub fn run(&self, inputs: Vec<Input>, opts: &RunOptions<'_>) -> RunReport {
        let (mut report, alerts) = self.run_sorted(inputs, opts);
        match alerts.into_vec() {
            Ok(v) => report.alerts = v,
            Err(e) => report
                .alert_errors
                .push(format!("reading spilled alerts: {e}")),
        }
        report
    }

    /// Runs every rule over `inputs`; the alerts come apart, in output order,
    /// spilled to disk past [`RunOptions::alert_memory`].
    pub fn run_sorted(
        &self,
        inputs: Vec<Input>,
        opts: &RunOptions<'_>,
    ) -> (RunReport, SortedAlerts) {
        let threads = opts.threads.max(1);
        let names: Vec<InputInfo> = inputs
            .iter()
            .map(|i| InputInfo {
                name: i.name.clone(),
                default_index: i.default_index.clone(),
            })
            .collect();
        let readers: Vec<Box<dyn BufRead + Send>> = inputs.into_iter().map(|i| i.reader).collect();
        let gauge = Arc::new(TextStore::new(opts.held_memory, opts.temp_dir()));
        let plan = ShardPlan::new(self, opts.mode, shard_threads(threads));
        let store = Mutex::new(AlertStore::new(opts.alert_memory, opts.temp_dir()));
        let run = Run {
            engine: self,
            opts,
            names: &names,
            gauge: &gauge,
            plan: &plan,
            store: &store,
        };
        let mut collector = Collector::new(
            opts,
            &plan,
            &store,
            self.lanes.order_count,
            self.lanes.time_count,
        );
        let (shards, read_errors, at_end) = if threads == 1 {
            run.inline(readers, &mut collector)
        } else {
            run.parallel(readers, &mut collector, threads)
        };
        let mut report = std::mem::take(&mut collector.report);
        report.read_errors = read_errors;
        report.retained_at_end = at_end;
        report.retained_peak = gauge.peak();
        report.texts_written = gauge.spill_report();
        if let Some(e) = &report.texts_written.error {
            report.warnings.push(format!(
                "kept events could not be written to disk ({e}): they were kept in memory"
            ));
        }
        merge_shards(&mut report, shards);
        let store = store.into_inner().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = &store.spill_error {
            report.warnings.push(format!(
                "alerts could not be spilled to disk ({e}): they were kept in memory"
            ));
        }
        (report, store.finish())
    }
}

/// Everything a run's threads share.
struct Run<'r> {
    engine: &'r Engine,
    opts: &'r RunOptions<'r>,
    names: &'r [InputInfo],
    gauge: &'r Arc<TextStore>,
    plan: &'r ShardPlan,
    store: &'r Mutex<AlertStore>,
}

/// Shards on the collector's thread.
struct Inline<'e> {
    shards: Vec<Shard<'e>>,
}

impl Sink for Inline<'_> {
    fn send(&mut self, shard: usize, work: Vec<Work>) {
        if let Some(s) = self.shards.get_mut(shard) {
            s.process(work);
        }
    }
}

/// Shards on their own threads.
struct Channels {
    senders: Vec<SyncSender<Vec<Work>>>,
}

impl Sink for Channels {
    fn send(&mut self, shard: usize, work: Vec<Work>) {
        if let Some(tx) = self.senders.get(shard) {
            let _ = tx.send(work);
        }
    }
}

impl<'r> Run<'r> {
    /// Everything on the caller's thread.
    fn inline(
        &self,
        readers: Vec<Box<dyn BufRead + Send>>,
        collector: &mut Collector<'_>,
    ) -> (Vec<ShardOut>, Vec<String>, u64) {
        let pool = BatchPool::new(1);
        let limits = BatchLimits::for_threads(self.opts.batch_records, 1);
        let mut reader = Reader::new(readers, self.names, limits, &pool);
        let mut worker = Worker::new(self.engine, self.opts, self.names, self.gauge);
        let mut sink = Inline {
            shards: vec![Shard::new(self.engine, self.opts, self.store, self.gauge)],
        };
        while let Some(batch) = reader.next_batch() {
            let mut out = worker.process(&batch);
            out.batch = Some(batch);
            if let Some(batch) = collector.absorb(out, &mut sink) {
                pool.give(batch);
            }
            collector.progress();
        }
        let at_end = self.gauge.live();
        collector.finish(&mut sink);
        let shards = sink.shards.into_iter().map(Shard::finish).collect();
        (shards, reader.take_errors(), at_end)
    }

    /// A reader thread, `threads` workers and as many shard threads (at most
    /// [`MAX_SHARDS`]); the collector on the caller's thread.
    fn parallel(
        &self,
        readers: Vec<Box<dyn BufRead + Send>>,
        collector: &mut Collector<'_>,
        threads: usize,
    ) -> (Vec<ShardOut>, Vec<String>, u64) {
        let (engine, opts, names, gauge, store) =
            (self.engine, self.opts, self.names, self.gauge, self.store);
        let ahead = batches_ahead(threads);
        let window = &Window::new(ahead);
        // Those and the one being read: every batch is reused, none freed.
        let pool = &BatchPool::new(ahead + 1);
        std::thread::scope(|scope| {
            let (batch_tx, batch_rx) = sync_channel::<Batch>(threads * 2);
            let (out_tx, out_rx) = sync_channel::<BatchOut>(threads * 2);
            // Smaller batches on many threads: what is in flight stays bounded.
            let limits = BatchLimits::for_threads(opts.batch_records, threads);
            let reader = scope.spawn(move || {
                let mut reader = Reader::new(readers, names, limits, pool);
                while let Some(batch) = reader.next_batch() {
                    window.admit(batch.seq);
                    if batch_tx.send(batch).is_err() {
                        break;
                    }
                }
                reader.take_errors()
            });
            let batch_rx = Arc::new(Mutex::new(batch_rx));
            for _ in 0..threads {
                let rx = batch_rx.clone();
                let tx = out_tx.clone();
                scope.spawn(move || {
                    let mut worker = Worker::new(engine, opts, names, gauge);
                    let mut done = 0u64;
                    while let Some(batch) = next_batch(&rx) {
                        let mut out = worker.process(&batch);
                        if out.needs_text() {
                            out.batch = Some(batch);
                        } else {
                            pool.give(batch);
                        }
                        if tx.send(out).is_err() {
                            return;
                        }
                        done += 1;
                        release_every(done, opts);
                    }
                });
            }
            drop(out_tx);
            let mut senders = Vec::new();
            let mut shards = Vec::new();
            for _ in 0..self.plan.shards {
                let (tx, rx) = sync_channel::<Vec<Work>>(SHARD_QUEUE);
                senders.push(tx);
                shards.push(scope.spawn(move || {
                    let mut shard = Shard::new(engine, opts, store, gauge);
                    let mut done = 0u64;
                    for work in rx {
                        shard.process(work);
                        done += 1;
                        release_every(done, opts);
                    }
                    shard.finish()
                }));
            }
            let mut sink = Channels { senders };
            collect_in_order(out_rx, collector, &mut sink, window, pool);
            let at_end = gauge.live();
            collector.finish(&mut sink);
            drop(sink);
            let shards = shards
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect();
            let read_errors = reader.join().unwrap_or_default();
            (shards, read_errors, at_end)
        })
    }
}

/// Batches queued, in workers and done: how far the reader stays ahead of
/// the collector ([`Window`]). Enough for every worker to have one in hand
/// and one queued, and a few for the collector to absorb; 8 at 2 threads.
/// `threads * 4` held 64 batches on 16 threads, each with its text and the
/// events kept from it: 1M events, peak RSS 198 → 189 MB with 36, about
/// the same with 24 (batch texts reused, see [`BatchPool`]).
fn batches_ahead(threads: usize) -> usize {
    threads * 2 + 4
}

/// Gives the calling thread's free memory back every
/// [`crate::collect::TRIM_EVERY`] batches it handled (`n`). The allocator's
/// heaps are per thread, and a worker's or shard's pages whose blocks other
/// threads freed stay with it until it collects them.
fn release_every(n: u64, opts: &RunOptions<'_>) {
    if n.is_multiple_of(crate::collect::TRIM_EVERY) {
        (opts.release_memory)();
    }
}

fn next_batch(rx: &Mutex<Receiver<Batch>>) -> Option<Batch> {
    rx.lock().ok()?.recv().ok()
}

/// Absorbs worker results in batch order.
fn collect_in_order(
    rx: Receiver<BatchOut>,
    collector: &mut Collector<'_>,
    sink: &mut dyn Sink,
    window: &Window,
    pool: &BatchPool,
) {
    let _release_reader = CloseOnDrop(window);
    let mut pending: BTreeMap<u64, BatchOut> = BTreeMap::new();
    let mut next = 0u64;
    for out in rx {
        pending.insert(out.seq, out);
        while let Some(out) = pending.remove(&next) {
            if let Some(batch) = collector.absorb(out, sink) {
                pool.give(batch);
            }
            collector.progress();
            next += 1;
        }
        window.absorbed(next);
    }
    // Only reachable if a worker stopped early: absorb what arrived.
    for (_, out) in std::mem::take(&mut pending) {
        if let Some(batch) = collector.absorb(out, sink) {
            pool.give(batch);
        }
    }
}

/// The shards' counts and problems added to the report.
fn merge_shards(report: &mut RunReport, shards: Vec<ShardOut>) {
    let mut problems: Vec<(RuleIdx, String)> = Vec::new();
    for out in shards {
        report.executions += out.executions;
        report.script_errors += out.script_errors;
        report.texts_written.sample_runs += out.sample_runs;
        problems.extend(out.problems);
    }
    // A rule lives on one shard: (rule, order met) is the same for any count.
    problems.sort_by_key(|(r, _)| *r);
    let room = SHOWN.saturating_sub(report.alert_errors.len());
    report
        .alert_errors
        .extend(problems.into_iter().map(|(_, p)| p).take(room));
}

pub(crate) fn backfill_context(opts: &RunOptions<'_>) -> AlertContext {
    let now = event::time::format_millis(opts.now);
    let execution = uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_OID,
        format!("vigil-hunt:{now}").as_bytes(),
    );
    AlertContext {
        now,
        space_id: opts.space_id.clone(),
        kibana_version: opts.kibana_version.clone(),
        execution_uuid: execution.to_string(),
        public_base_url: None,
        intended_timestamp: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_follow_threads_up_to_the_cap() {
        assert_eq!(shard_threads(0), 1);
        assert_eq!(shard_threads(1), 1);
        assert_eq!(shard_threads(2), 2);
        assert_eq!(shard_threads(MAX_SHARDS), MAX_SHARDS);
        assert_eq!(shard_threads(16), MAX_SHARDS);
    }

    #[test]
    fn the_window_is_unchanged_at_two_threads_and_smaller_past() {
        assert_eq!(batches_ahead(2), 8);
        assert_eq!(batches_ahead(16), 36);
        assert!((1..64).all(|t| batches_ahead(t) >= 2 * t));
    }
}
