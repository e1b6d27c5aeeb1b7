//! Streaming execution of a compiled rule set over event inputs.
//!
//! ```text
//! reader thread ──batches──▶ N workers ──results──▶ collector (caller's thread)
//!  records of every input     parse once, index,      in batch order: alerts,
//!  (file:line, ordinal)       route, match, build     stage candidates, counts;
//!                             alerts / keep matches   then sequences, replay
//! ```
//!
//! - The reader reads each input record by record ([`event::input::RecordReader`])
//!   into batches of about 1 MiB; channels are bounded, so memory is a few
//!   batches per worker plus what rules keep (sequence candidates, and in
//!   replay the matches), never the whole input.
//! - A worker parses each record once ([`event::parse_event`] with the shared
//!   registry: only fields some rule reads are materialised), derives its index
//!   ([`crate::index`]), evaluates the [`RuleSet`] and, in the default
//!   (backfill) mode, builds the alerts of single-event rules right away,
//!   re-reading the event's JSON only when it alerts.
//! - The collector absorbs worker results in batch order, so counts, messages
//!   and the collected data do not depend on the number of threads; the final
//!   alerts are sorted (original time, rule name, alert uuid) and de-duplicated
//!   by `kibana.alert.uuid`. Output is byte-identical for any `threads`.
//!
//! Events are admitted by a rule only when its window time (timestamp override
//! or `@timestamp`) exists and lies in `[since, until)`: Kibana's searches are
//! always bounded by a time range, so an event without a timestamp is never
//! alerted on.

use crate::alert::ids::event_alert_id;
use crate::alert::{AlertContext, SourceDoc};
use crate::alerts::{event_alert, finish, group_alerts, source_doc, Alert};
use crate::compile::{CompiledRules, IndexFields, Problem, RuleCounts, RuleMeta};
use crate::index::{document_id, event_index};
use crate::multi::{run_groups, Candidate, Entry};
use crate::replay::{EventMatch, ReplayCx, Replayed};
use event::input::{Next, RecordReader};
use event::{parse_event, Event, FieldRegistry};
use matcher::ruleset::{RuleIdx, RuleSet, RuleShape, Scratch};
use matcher::KeyValue;
use rustc_hash::FxHashSet;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

/// Bytes of record text per batch before it is handed to a worker.
const BATCH_BYTES: usize = 1 << 20;
/// Records per batch at most (default of [`RunOptions::batch_records`]).
pub const BATCH_RECORDS: usize = 4096;
/// Messages of each kind kept for display (all are counted).
const SHOWN: usize = 20;

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
}

/// Options of a run.
pub struct RunOptions<'a> {
    /// Worker threads (at least 1).
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
        }
    }

    fn admits(&self, t: i64) -> bool {
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
    /// Rule executions simulated (replay).
    pub executions: u64,
    /// Alerts, sorted and de-duplicated.
    pub alerts: Vec<Alert>,
}

/// A compiled rule set ready to run.
pub struct Engine {
    ruleset: RuleSet,
    meta: Vec<RuleMeta>,
    registry: FieldRegistry,
    index_fields: IndexFields,
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
        } = compiled;
        let engine = Engine {
            ruleset: RuleSet::build(rules),
            meta,
            registry,
            index_fields,
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

    /// Runs every rule over `inputs` (read in order).
    pub fn run(&self, inputs: Vec<Input>, opts: &RunOptions<'_>) -> RunReport {
        let threads = opts.threads.max(1);
        let names: Vec<InputInfo> = inputs
            .iter()
            .map(|i| InputInfo {
                name: i.name.clone(),
                default_index: i.default_index.clone(),
            })
            .collect();
        let readers: Vec<Box<dyn BufRead + Send>> = inputs.into_iter().map(|i| i.reader).collect();
        let mut collector = Collector::new(self, opts);
        std::thread::scope(|scope| {
            let (batch_tx, batch_rx) = sync_channel::<Batch>(threads * 2);
            let (out_tx, out_rx) = sync_channel::<BatchOut>(threads * 2);
            let names = &names;
            let batch_records = opts.batch_records.max(1);
            let reader = scope.spawn(move || read_inputs(readers, names, batch_tx, batch_records));
            let batch_rx = Arc::new(Mutex::new(batch_rx));
            for _ in 0..threads {
                let rx = batch_rx.clone();
                let tx = out_tx.clone();
                scope.spawn(move || {
                    let mut worker = Worker::new(self, opts, names);
                    while let Some(batch) = next_batch(&rx) {
                        if tx.send(worker.process(&batch)).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(out_tx);
            collector.collect(out_rx);
            collector.report.read_errors = reader.join().unwrap_or_default();
        });
        collector.finish(threads)
    }
}

fn next_batch(rx: &Mutex<Receiver<Batch>>) -> Option<Batch> {
    rx.lock().ok()?.recv().ok()
}

struct InputInfo {
    name: String,
    default_index: Option<String>,
}

enum Item {
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

/// Consecutive records of the input.
struct Batch {
    seq: u64,
    text: String,
    items: Vec<Item>,
}

impl Batch {
    fn new(seq: u64) -> Batch {
        Batch {
            seq,
            text: String::new(),
            items: Vec::new(),
        }
    }

    fn is_full(&self, records: usize) -> bool {
        self.text.len() >= BATCH_BYTES || self.items.len() >= records
    }
}

/// Reads every input into batches; returns the read errors.
fn read_inputs(
    readers: Vec<Box<dyn BufRead + Send>>,
    names: &[InputInfo],
    tx: SyncSender<Batch>,
    batch_records: usize,
) -> Vec<String> {
    let mut errors = Vec::new();
    let mut seq = 0;
    let mut batch = Batch::new(seq);
    let mut ordinal = 0u64;
    for (file, reader) in readers.into_iter().enumerate() {
        let file = file as u32;
        let mut records = RecordReader::new(reader);
        loop {
            match records.next_record() {
                Ok(Next::Record(r)) => {
                    let start = batch.text.len();
                    batch.text.push_str(r.text);
                    batch.items.push(Item::Record {
                        file,
                        line: r.line,
                        ordinal,
                        start,
                        end: batch.text.len(),
                    });
                    ordinal += 1;
                }
                Ok(Next::Bad(b)) | Ok(Next::BadDocument(b)) => batch.items.push(Item::Bad {
                    file,
                    line: b.line,
                    reason: b.reason,
                }),
                Ok(Next::End) => break,
                Err(e) => {
                    errors.push(format!("{}: {e}", names[file as usize].name));
                    break;
                }
            }
            if batch.is_full(batch_records) {
                seq += 1;
                if tx
                    .send(std::mem::replace(&mut batch, Batch::new(seq)))
                    .is_err()
                {
                    return errors;
                }
            }
        }
    }
    if !batch.items.is_empty() {
        let _ = tx.send(batch);
    }
    errors
}

/// What a worker found in one batch.
#[derive(Default)]
struct BatchOut {
    seq: u64,
    events: u64,
    malformed: Vec<InputIssue>,
    without_index: u64,
    without_time: u64,
    script_errors: u64,
    script_errors_shown: Vec<String>,
    alert_errors: Vec<String>,
    alerts: Vec<Alert>,
    matches: Vec<(RuleIdx, EventMatch)>,
    candidates: Vec<Candidate>,
    /// (rule, candidate index in this batch).
    entries: Vec<(RuleIdx, u32)>,
}

struct Worker<'e> {
    engine: &'e Engine,
    opts: &'e RunOptions<'e>,
    inputs: &'e [InputInfo],
    ctx: AlertContext,
    scratch: Scratch,
    /// Alert ids this worker built (backfill): a repeated event (same index
    /// and id) is not built again. The copy kept in the end is the first in
    /// input order, which this never skips.
    built: FxHashSet<String>,
}

/// What the replay of a match keeps of its event.
struct Parts {
    index: Arc<str>,
    id: Option<Arc<str>>,
    source: Arc<str>,
}

impl<'e> Worker<'e> {
    fn new(engine: &'e Engine, opts: &'e RunOptions<'e>, inputs: &'e [InputInfo]) -> Self {
        Worker {
            engine,
            opts,
            inputs,
            ctx: backfill_context(opts),
            scratch: engine.ruleset.scratch(),
            built: FxHashSet::default(),
        }
    }

    fn process(&mut self, batch: &Batch) -> BatchOut {
        let mut out = BatchOut {
            seq: batch.seq,
            ..BatchOut::default()
        };
        for item in &batch.items {
            match item {
                Item::Bad { file, line, reason } => out.malformed.push(InputIssue {
                    file: self.inputs[*file as usize].name.clone(),
                    line: *line,
                    message: reason.clone(),
                }),
                Item::Record {
                    file,
                    line,
                    ordinal,
                    start,
                    end,
                } => {
                    let at = At {
                        file: *file,
                        line: *line,
                        ordinal: *ordinal,
                    };
                    self.record(&batch.text[*start..*end], at, &mut out);
                }
            }
        }
        out
    }

    fn record(&mut self, text: &str, at: At, out: &mut BatchOut) {
        let input = &self.inputs[at.file as usize];
        let event = match parse_event(text, &self.engine.registry) {
            Ok(e) => e,
            Err(e) => {
                out.malformed.push(InputIssue {
                    file: input.name.clone(),
                    line: at.line,
                    message: e.to_string(),
                });
                return;
            }
        };
        out.events += 1;
        let Some(index) = event_index(
            &event,
            &self.engine.index_fields,
            input.default_index.as_deref(),
        ) else {
            out.without_index += 1;
            return;
        };
        self.engine
            .ruleset
            .evaluate(&event, &index, &mut self.scratch);
        if self.scratch.error_count() > 0 {
            self.script_errors(&input.name, at.line, out);
        }
        let hits = self.scratch.hits();
        if hits.single.is_empty() && hits.multi.is_empty() {
            return;
        }
        let mut hit = Hit::new(&event, &index, at);
        let mut built = std::mem::take(&mut self.built);
        for &rule in hits.single {
            self.single(rule, &mut hit, &mut built, out);
        }
        self.built = built;
        let hits = self.scratch.hits();
        let mut candidate: Option<u32> = None;
        for &rule in hits.multi {
            self.multi(rule, &mut hit, &mut candidate, out);
        }
        if hit.no_time {
            out.without_time += 1;
        }
    }

    fn script_errors(&mut self, file: &str, line: u64, out: &mut BatchOut) {
        let (errors, count) = self.scratch.take_errors();
        out.script_errors += count;
        for (rule, e) in errors {
            if out.script_errors_shown.len() < SHOWN {
                let name = &self.engine.meta[rule as usize].name;
                out.script_errors_shown
                    .push(format!("{file}:{line}: rule \"{name}\": {e}"));
            }
        }
    }

    /// The rule's time for the hit, when the rule admits it.
    fn admitted_time(&self, rule: RuleIdx, hit: &mut Hit<'_, '_>) -> Option<i64> {
        match self
            .engine
            .ruleset
            .rule_time(rule, hit.event, &self.scratch)
        {
            None => {
                hit.no_time = true;
                None
            }
            Some(t) if self.opts.admits(t) => Some(t),
            Some(_) => None,
        }
    }

    fn single(
        &self,
        rule: RuleIdx,
        hit: &mut Hit<'_, '_>,
        built: &mut FxHashSet<String>,
        out: &mut BatchOut,
    ) {
        let Some(time) = self.admitted_time(rule, hit) else {
            return;
        };
        let meta = &self.engine.meta[rule as usize];
        match self.opts.mode {
            Mode::Backfill => {
                let uuid = event_alert_id(hit.index, hit.id(), &self.ctx.space_id, &meta.info.uuid);
                if !built.insert(uuid) {
                    return;
                }
                let ordinal = hit.at.ordinal;
                let result = match hit.doc() {
                    Ok(doc) => {
                        event_alert(rule, meta, &self.ctx, doc, ordinal).map_err(|e| e.to_string())
                    }
                    Err(e) => Err(e.clone()),
                };
                match result {
                    Ok(Some(alert)) => out.alerts.push(alert),
                    Ok(None) => {}
                    Err(e) => out.alert_errors.push(format!(
                        "{}:{}: rule \"{}\": {e}",
                        self.inputs[hit.at.file as usize].name, hit.at.line, meta.name
                    )),
                }
            }
            Mode::Replay => {
                let (sort_a, sort_b) = if meta.is_eql {
                    self.engine.ruleset.order_key(rule, hit.event)
                } else {
                    let (p, f) = self.engine.ruleset.time_sort_key(rule, hit.event);
                    (p, f.map(KeyValue::Date))
                };
                let ordinal = hit.at.ordinal;
                let Parts { index, id, source } = hit.parts();
                out.matches.push((
                    rule,
                    EventMatch {
                        ordinal,
                        time,
                        sort_a,
                        sort_b,
                        index: index.clone(),
                        id: id.clone(),
                        source: source.clone(),
                    },
                ));
            }
        }
    }

    fn multi(
        &self,
        rule: RuleIdx,
        hit: &mut Hit<'_, '_>,
        candidate: &mut Option<u32>,
        out: &mut BatchOut,
    ) {
        if self.admitted_time(rule, hit).is_none() {
            return;
        }
        let cand = *candidate.get_or_insert_with(|| {
            out.candidates.push(Candidate {
                ordinal: hit.at.ordinal,
                event: self.engine.ruleset.compact(hit.event),
                index: Arc::from(hit.index),
                id: hit.event.id.as_deref().map(Box::from),
                source: Box::from(hit.event.source),
            });
            (out.candidates.len() - 1) as u32
        });
        out.entries.push((rule, cand));
    }
}

#[derive(Debug, Clone, Copy)]
struct At {
    file: u32,
    line: u64,
    ordinal: u64,
}

/// One event with hits, and what its alerts share (each built on first need).
struct Hit<'h, 'a> {
    event: &'h Event<'a>,
    index: &'h str,
    at: At,
    id: Option<String>,
    doc: Option<Result<SourceDoc, String>>,
    parts: Option<Parts>,
    no_time: bool,
}

impl<'h, 'a> Hit<'h, 'a> {
    fn new(event: &'h Event<'a>, index: &'h str, at: At) -> Self {
        Hit {
            event,
            index,
            at,
            id: None,
            doc: None,
            parts: None,
            no_time: false,
        }
    }

    /// The document id (`_id`, else derived from the JSON text).
    fn id(&mut self) -> &str {
        let event = self.event;
        self.id
            .get_or_insert_with(|| document_id(event.id.as_deref(), event.source))
    }

    /// The event as the alert builder takes it (its JSON read as a value).
    fn doc(&mut self) -> &Result<SourceDoc, String> {
        if self.doc.is_none() {
            let id = self.id().to_string();
            self.doc = Some(source_doc(self.index, &id, self.event.source));
        }
        self.doc.get_or_insert_with(|| Err(String::new()))
    }

    fn parts(&mut self) -> &Parts {
        let (event, index) = (self.event, self.index);
        self.parts.get_or_insert_with(|| Parts {
            index: Arc::from(index),
            id: event.id.as_deref().map(Arc::from),
            source: Arc::from(event.source),
        })
    }
}

fn backfill_context(opts: &RunOptions<'_>) -> AlertContext {
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

/// Absorbs worker results in batch order, then runs what needs the whole input.
struct Collector<'e> {
    engine: &'e Engine,
    opts: &'e RunOptions<'e>,
    report: RunReport,
    alerts: Vec<Alert>,
    matches: Vec<Vec<EventMatch>>,
    candidates: Vec<Candidate>,
    /// Per rule, the candidates it admitted.
    entries: Vec<Vec<u32>>,
}

impl<'e> Collector<'e> {
    fn new(engine: &'e Engine, opts: &'e RunOptions<'e>) -> Self {
        let n = engine.ruleset.len();
        Collector {
            engine,
            opts,
            report: RunReport::default(),
            alerts: Vec::new(),
            matches: (0..n).map(|_| Vec::new()).collect(),
            candidates: Vec::new(),
            entries: (0..n).map(|_| Vec::new()).collect(),
        }
    }

    fn collect(&mut self, rx: Receiver<BatchOut>) {
        let mut pending: BTreeMap<u64, BatchOut> = BTreeMap::new();
        let mut next = 0u64;
        for out in rx {
            pending.insert(out.seq, out);
            while let Some(out) = pending.remove(&next) {
                self.absorb(out);
                next += 1;
            }
            if let Some(progress) = self.opts.progress {
                progress(self.report.events);
            }
        }
        // Only reachable if a worker stopped early: absorb what arrived.
        for (_, out) in std::mem::take(&mut pending) {
            self.absorb(out);
        }
    }

    fn absorb(&mut self, out: BatchOut) {
        let r = &mut self.report;
        r.events += out.events;
        r.malformed += out.malformed.len() as u64;
        let room = SHOWN.saturating_sub(r.malformed_shown.len());
        r.malformed_shown
            .extend(out.malformed.into_iter().take(room));
        r.without_index += out.without_index;
        r.without_time += out.without_time;
        r.script_errors += out.script_errors;
        let room = SHOWN.saturating_sub(r.script_errors_shown.len());
        r.script_errors_shown
            .extend(out.script_errors_shown.into_iter().take(room));
        let room = SHOWN.saturating_sub(r.alert_errors.len());
        r.alert_errors
            .extend(out.alert_errors.into_iter().take(room));
        self.alerts.extend(out.alerts);
        for (rule, m) in out.matches {
            self.matches[rule as usize].push(m);
        }
        let base = self.candidates.len() as u32;
        self.candidates.extend(out.candidates);
        for (rule, cand) in out.entries {
            self.entries[rule as usize].push(base + cand);
        }
    }

    fn finish(mut self, threads: usize) -> RunReport {
        self.report.candidates = self.candidates.len() as u64;
        let rules: Vec<RuleIdx> = (0..self.engine.ruleset.len() as RuleIdx)
            .filter(|&r| {
                !self.entries[r as usize].is_empty() || !self.matches[r as usize].is_empty()
            })
            .collect();
        let matches = std::mem::take(&mut self.matches);
        let entries = std::mem::take(&mut self.entries);
        let engine = self.engine;
        let opts = self.opts;
        let candidates = &self.candidates;
        let results = parallel_map(threads, &rules, |&rule| {
            let cx = ReplayCx {
                ruleset: &engine.ruleset,
                rule,
                meta: &engine.meta[rule as usize],
                kibana_version: &opts.kibana_version,
                space_id: &opts.space_id,
            };
            let shape = engine.ruleset.shape(rule);
            let own_entries =
                || rule_entries(&engine.ruleset, rule, &entries[rule as usize], candidates);
            match (opts.mode, shape) {
                (Mode::Replay, RuleShape::Event) => cx.events(matches[rule as usize].clone()),
                (Mode::Replay, _) => cx.groups(own_entries(), candidates),
                (Mode::Backfill, RuleShape::Event) => Replayed::default(),
                (Mode::Backfill, _) => backfill_groups(&cx, &own_entries(), candidates, opts),
            }
        });
        for r in results {
            self.report.executions += r.executions;
            self.report.script_errors += r.script_errors as u64;
            let room = SHOWN.saturating_sub(self.report.alert_errors.len());
            self.report
                .alert_errors
                .extend(r.problems.into_iter().take(room));
            self.alerts.extend(r.alerts);
        }
        self.report.alerts = finish(std::mem::take(&mut self.alerts));
        self.report
    }
}

/// How `rule` sees its candidates: window time and EQL ordering, read back
/// from the kept fields (they include every time and order field).
fn rule_entries(
    ruleset: &RuleSet,
    rule: RuleIdx,
    cands: &[u32],
    candidates: &[Candidate],
) -> Vec<Entry> {
    let time = &ruleset.rule(rule).time;
    cands
        .iter()
        .map(|&cand| {
            let c = &candidates[cand as usize];
            let (order_ts, tiebreaker) = ruleset.order_key(rule, &c.event);
            Entry {
                cand,
                ordinal: c.ordinal,
                time: matcher::ruleset::window_time(time, &c.event).unwrap_or(i64::MIN),
                order_ts,
                tiebreaker,
            }
        })
        .collect()
}

/// A sequence / sample rule over all its candidates, once.
fn backfill_groups(
    cx: &ReplayCx<'_>,
    entries: &[Entry],
    candidates: &[Candidate],
    opts: &RunOptions<'_>,
) -> Replayed {
    let result = run_groups(cx.ruleset, cx.rule, entries, candidates, None);
    let ctx = backfill_context(opts);
    let mut out = Replayed {
        script_errors: result.error_count,
        ..Replayed::default()
    };
    for group in &result.groups {
        let docs: Result<Vec<_>, String> = group
            .iter()
            .map(|&c| candidates[c as usize].doc())
            .collect();
        let ordinal = crate::multi::first_ordinal(group, candidates);
        match docs.and_then(|d| {
            group_alerts(cx.rule, cx.meta, &ctx, &d, ordinal).map_err(|e| e.to_string())
        }) {
            Ok(alerts) => out.alerts.extend(alerts),
            Err(e) => out.problems.push(format!("{}: {e}", cx.meta.name)),
        }
    }
    out
}

/// `f` over `items` on up to `threads` threads; results in item order.
fn parallel_map<T: Sync, R: Send>(
    threads: usize,
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    if threads <= 1 || items.len() <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut parts: Vec<Vec<(usize, R)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.min(items.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else {
                            return done;
                        };
                        done.push((i, f(item)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut all: Vec<(usize, R)> = parts.iter_mut().flat_map(std::mem::take).collect();
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}
