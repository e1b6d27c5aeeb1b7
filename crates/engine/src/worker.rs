//! A worker: one batch of records at a time, each parsed once, given its index,
//! evaluated against the rule set; what the rules found goes out in a
//! [`BatchOut`]. Records are parsed [`STAGE`] at a time and then evaluated in
//! order: the parser's and the rules' code each stay in the instruction cache
//! for a few events (callgrind's cache model: 519 → 231 instruction-cache
//! misses per event of the whole catalogue; the wall clock moved within the
//! noise of the machine it was measured on).
//!
//! - Single-event rules in backfill: the alert is built right away (the
//!   event's JSON is read as a value only when it alerts).
//! - Sequence and sample rules: an event that is a stage candidate of any of
//!   them is kept once ([`Candidate`]: the fields they read, packed, and its
//!   [`Source`]) with, per ordering lane, its order key and the rules that
//!   admitted it, each with the stages the event matched
//!   ([`matcher::ruleset::StageHits`], found by the rule set's evaluation:
//!   the sequence engines do not evaluate them again). The event's text is
//!   not copied here: the batch goes to the collector with the results, and
//!   the collector copies the texts (see [`Source::new`]).
//! - Replay: every match (single-event rules) and candidate (multi-event
//!   rules) goes out with the rule's window time, for the scheduled
//!   executions to be simulated downstream.
//! - Parse-only: parsing and the index, nothing evaluated (the benchmark floor).

use crate::alert::ids::event_alert_id;
use crate::alert::{AlertContext, SourceDoc};
use crate::alerts::{event_alert, source_doc, Alert};
use crate::index::{document_id, event_index_in};
use crate::kept::{Candidate, KeptFields, Pack, PackBuffers, Source, TextStore};
use crate::multi::Entry;
use crate::read::{Batch, InputInfo, Item};
use crate::replay::EventMatch;
use crate::run::{Engine, InputIssue, Mode, RunOptions, SHOWN};
use crate::shard::SeqRule;
use crate::sorted::{id_key, IdKey};
use event::json::Parser;
use event::Event;
use matcher::ruleset::{RuleIdx, RuleShape, Scratch, StageHits};
use matcher::KeyValue;
use rustc_hash::{FxHashMap, FxHashSet};
use std::cell::RefCell;
use std::sync::Arc;

/// Records parsed together before they are evaluated one by one.
const STAGE: usize = 16;

/// Distinct index strings shared per worker before the cache is cleared.
const MAX_CACHED_INDICES: usize = 4096;

/// Heap the prefilter memos of all workers share: each worker's memo keeps
/// within its share, at most the memo's default (6 MiB each up to 2 workers)
/// and at least [`MARK_MEMO_LEAST`] (past 16 workers the total grows with
/// them). 16 MiB rather than 24 (stop 19): memos fill with the input, and on
/// 16 threads they were a good part of what grew past 200 MB on 1M events.
const MARK_MEMO_TOTAL: usize = 16 << 20;

/// The smallest memo share (2,048 entries).
const MARK_MEMO_LEAST: usize = 1 << 20;

/// One worker's share of [`MARK_MEMO_TOTAL`] among `threads` workers.
fn mark_memo_budget(threads: usize) -> usize {
    (MARK_MEMO_TOTAL / threads.max(1)).clamp(MARK_MEMO_LEAST, matcher::prefilter::memo::BUDGET)
}

/// A kept event and who wants it.
pub(crate) struct Kept {
    /// Packed by the worker, not shared yet: the collector attaches its
    /// text ([`Candidate::attach_text`], through [`Arc::get_mut`]). An
    /// `Arc` already, so that a batch's `Vec<Kept>` stays small (a
    /// `Candidate` by value tripled it, into the allocator's 512 KiB pages).
    pub cand: Arc<Candidate>,
    /// Where the event's text is in the batch (`start..end`), when the
    /// candidate is to keep it.
    pub text: Option<(u32, u32)>,
    /// Per ordering lane with sequence rules that admitted the event.
    pub lanes: Vec<LaneRules>,
    /// Sample rules that admitted it.
    pub samples: Vec<RuleIdx>,
}

/// Sequence rules of one ordering lane (with the stages the event matched)
/// and the event's key in that lane.
pub(crate) struct LaneRules {
    pub lane: u32,
    pub ts: i64,
    pub tiebreaker: Option<KeyValue>,
    pub rules: Vec<SeqRule>,
}

/// A match or candidate of one rule, for replay.
pub(crate) struct ReplayItem {
    pub rule: RuleIdx,
    /// The rule's window-time lane.
    pub lane: u32,
    pub time: i64,
    pub ordinal: u64,
    pub what: Replayable,
}

pub(crate) enum Replayable {
    Match(EventMatch),
    Entry(Entry),
}

/// What a worker found in one batch.
#[derive(Default)]
pub(crate) struct BatchOut {
    pub seq: u64,
    pub events: u64,
    pub malformed: Vec<InputIssue>,
    pub without_index: u64,
    pub without_time: u64,
    pub script_errors: u64,
    pub script_errors_shown: Vec<String>,
    pub alert_errors: Vec<String>,
    pub alerts: Vec<Alert>,
    pub kept: Vec<Kept>,
    pub replay: Vec<ReplayItem>,
    /// The batch, while kept events need their texts copied from it (the
    /// collector does, and then gives it back to the pool).
    pub batch: Option<Batch>,
}

impl BatchOut {
    /// Some kept event's text is still in the batch.
    pub fn needs_text(&self) -> bool {
        self.kept.iter().any(|k| k.text.is_some())
    }
}

pub(crate) struct Worker<'e> {
    engine: &'e Engine,
    opts: &'e RunOptions<'e>,
    inputs: &'e [InputInfo],
    ctx: AlertContext,
    scratch: Scratch,
    /// Parses every record of the worker's batches, reusing the storage of
    /// the previous record's event.
    parser: Parser,
    /// Alert ids this worker built (backfill): a repeated event (same index
    /// and id) is not built again. The copy kept in the end is the first in
    /// input order, which this never skips.
    built: FxHashSet<IdKey>,
    indices: RefCell<FxHashMap<Box<str>, Arc<str>>>,
    /// Where an event's index is written when it is a data stream's name.
    index_buf: String,
    /// Reused per event: the multi rules that admit it, their times and
    /// stage hits.
    admitted: RefCell<Vec<(RuleIdx, i64, Option<StageHits>)>>,
    /// What kept candidates hold, and a buffer for packing them.
    kept_fields: KeptFields,
    packing: RefCell<PackBuffers>,
    gauge: &'e Arc<TextStore>,
}

impl<'e> Worker<'e> {
    pub fn new(
        engine: &'e Engine,
        opts: &'e RunOptions<'e>,
        inputs: &'e [InputInfo],
        gauge: &'e Arc<TextStore>,
    ) -> Self {
        let mut scratch = engine.ruleset().scratch();
        scratch.limit_mark_memo(mark_memo_budget(opts.threads));
        Worker {
            engine,
            opts,
            inputs,
            ctx: crate::run::backfill_context(opts),
            scratch,
            parser: Parser::new(),
            built: FxHashSet::default(),
            indices: RefCell::default(),
            index_buf: String::new(),
            admitted: RefCell::default(),
            kept_fields: KeptFields::new(
                engine.kept_fields(),
                engine.ruleset().sequence_key_fields(),
            ),
            packing: RefCell::default(),
            gauge,
        }
    }

    pub fn process(&mut self, batch: &Batch) -> BatchOut {
        let mut out = BatchOut {
            seq: batch.seq,
            ..BatchOut::default()
        };
        let mut parsed = Vec::with_capacity(STAGE);
        for chunk in batch.items.chunks(STAGE) {
            self.parse_records(chunk, &batch.text, &mut parsed, &mut out);
            for (event, at) in parsed.drain(..) {
                self.event(&event, at, &mut out);
                self.parser.recycle(event);
            }
        }
        out
    }

    /// Parses the records of `items` into `parsed`; bad lines and records
    /// that do not parse go to `out.malformed`, in order.
    fn parse_records<'t>(
        &mut self,
        items: &[Item],
        text: &'t str,
        parsed: &mut Vec<(Event<'t>, At)>,
        out: &mut BatchOut,
    ) {
        for item in items {
            let (at, record) = match item {
                Item::Bad { file, line, reason } => {
                    out.malformed.push(self.issue(*file, *line, reason.clone()));
                    continue;
                }
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
                        source: None,
                    };
                    (at, (*start, &text[*start..*end]))
                }
            };
            let (record_start, record) = record;
            match self.parser.parse(record, self.engine.registry()) {
                Ok(event) => {
                    let source = source_range(record_start, record, event.source);
                    parsed.push((event, At { source, ..at }))
                }
                Err(e) => out
                    .malformed
                    .push(self.issue(at.file, at.line, e.to_string())),
            }
        }
    }

    /// A malformed record of input `file` at `line`.
    fn issue(&self, file: u32, line: u64, message: String) -> InputIssue {
        InputIssue {
            file: self.inputs[file as usize].name.clone(),
            line,
            message,
        }
    }

    /// Indexes and evaluates one parsed record.
    fn event(&mut self, event: &Event<'_>, at: At, out: &mut BatchOut) {
        let inputs = self.inputs;
        let input = &inputs[at.file as usize];
        out.events += 1;
        let mut buf = std::mem::take(&mut self.index_buf);
        match event_index_in(
            event,
            self.engine.index_fields(),
            input.default_index.as_deref(),
            &mut buf,
        ) {
            None => out.without_index += 1,
            Some(_) if self.opts.mode == Mode::ParseOnly => {}
            Some(index) => self.evaluate(event, index, at, &input.name, out),
        }
        self.index_buf = buf;
    }

    /// Evaluates one record (of the input named `input_name`) in its index.
    fn evaluate(
        &mut self,
        event: &Event<'_>,
        index: &str,
        at: At,
        input_name: &str,
        out: &mut BatchOut,
    ) {
        self.engine
            .ruleset()
            .evaluate(event, index, &mut self.scratch);
        if self.scratch.error_count() > 0 {
            self.script_errors(input_name, at.line, out);
        }
        let hits = self.scratch.hits();
        if hits.single.is_empty() && hits.multi.is_empty() {
            return;
        }
        let mut hit = Hit::new(event, index, at);
        let mut built = std::mem::take(&mut self.built);
        for &rule in hits.single {
            self.single(rule, &mut hit, &mut built, out);
        }
        self.built = built;
        let hits = self.scratch.hits();
        if !hits.multi.is_empty() {
            self.multi(hits.multi, hits.stages, &mut hit, out);
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
                let name = &self.engine.meta()[rule as usize].name;
                out.script_errors_shown
                    .push(format!("{file}:{line}: rule \"{name}\": {e}"));
            }
        }
    }

    /// The rule's time for the hit, when the rule admits it.
    fn admitted_time(&self, rule: RuleIdx, hit: &mut Hit<'_, '_>) -> Option<i64> {
        match self
            .engine
            .ruleset()
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
        built: &mut FxHashSet<IdKey>,
        out: &mut BatchOut,
    ) {
        let Some(time) = self.admitted_time(rule, hit) else {
            return;
        };
        match self.opts.mode {
            Mode::Backfill => self.single_alert(rule, hit, built, out),
            Mode::Replay => {
                let m = self.event_match(rule, time, hit);
                out.replay.push(ReplayItem {
                    rule,
                    lane: self.engine.time_lane(rule),
                    time,
                    ordinal: hit.at.ordinal,
                    what: Replayable::Match(m),
                });
            }
            Mode::ParseOnly => {}
        }
    }

    fn single_alert(
        &self,
        rule: RuleIdx,
        hit: &mut Hit<'_, '_>,
        built: &mut FxHashSet<IdKey>,
        out: &mut BatchOut,
    ) {
        let meta = &self.engine.meta()[rule as usize];
        let uuid = event_alert_id(hit.index, hit.id(), &self.ctx.space_id, &meta.uuid);
        if !built.insert(id_key(&uuid)) {
            return;
        }
        let ordinal = hit.at.ordinal;
        let result = match hit.doc() {
            Ok(doc) => event_alert(rule, meta, &self.ctx, doc, ordinal).map_err(|e| e.to_string()),
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

    fn event_match(&self, rule: RuleIdx, time: i64, hit: &mut Hit<'_, '_>) -> EventMatch {
        let ruleset = self.engine.ruleset();
        let (sort_a, sort_b) = if self.engine.meta()[rule as usize].is_eql {
            ruleset.order_key(rule, hit.event)
        } else {
            let (p, f) = ruleset.time_sort_key(rule, hit.event);
            (p, f.map(KeyValue::Date))
        };
        let index = self.shared_index(hit.index);
        let ordinal = hit.at.ordinal;
        let parts = hit.parts(index);
        EventMatch {
            ordinal,
            time,
            sort_a,
            sort_b,
            index: parts.index.clone(),
            id: parts.id.clone(),
            source: parts.source.clone(),
        }
    }

    /// The sequence and sample rules `multi` (with the stages the event
    /// matched) that admit the hit.
    fn multi(
        &self,
        multi: &[RuleIdx],
        stages: &[Option<StageHits>],
        hit: &mut Hit<'_, '_>,
        out: &mut BatchOut,
    ) {
        let mut admitted = self.admitted.borrow_mut();
        admitted.clear();
        let times = multi.iter().zip(stages);
        admitted.extend(times.filter_map(|(&r, &s)| self.admitted_time(r, hit).map(|t| (r, t, s))));
        if admitted.is_empty() {
            return;
        }
        let ruleset = self.engine.ruleset();
        let replay = self.opts.mode == Mode::Replay;
        // Sequence rules whose stages are known read only join keys (the
        // shard's `key_event`); sample rules and replays read every field.
        let stages_known = |&(rule, _, stages): &(RuleIdx, i64, Option<StageHits>)| {
            stages.is_some() && ruleset.shape(rule) == RuleShape::Sequence
        };
        let keys_only = !replay && admitted.iter().all(stages_known);
        // Of those, an event no positive stage took is held by none.
        let held = |&(rule, _, stages): &(RuleIdx, i64, Option<StageHits>)| {
            stages.is_none_or(|hits| ruleset.may_hold(rule, hits))
        };
        let with_text = !keys_only || admitted.iter().any(held);
        let index = self.shared_index(hit.index);
        let source = Arc::new(Source::new(hit.at.ordinal, index, hit.event, self.gauge));
        let what = if keys_only { Pack::KeysOnly } else { Pack::All };
        let mut cand = Candidate::pack(
            hit.event,
            &self.kept_fields,
            what,
            &mut self.packing.borrow_mut(),
            source,
            with_text,
        );
        if self.opts.mode == Mode::Replay {
            // Replay keeps fewer events (rules' look-back windows): the
            // worker copies the text itself.
            if with_text {
                cand.attach_text(Arc::from(hit.event.source));
            }
            let cand = Arc::new(cand);
            for &(rule, time, _) in admitted.iter() {
                let (order_ts, tiebreaker) = self.engine.ruleset().order_key(rule, hit.event);
                out.replay.push(ReplayItem {
                    rule,
                    lane: self.engine.time_lane(rule),
                    time,
                    ordinal: hit.at.ordinal,
                    what: Replayable::Entry(Entry {
                        cand: cand.clone(),
                        time,
                        order_ts,
                        tiebreaker,
                    }),
                });
            }
            return;
        }
        let text = with_text.then_some(hit.at.source).flatten();
        if with_text && text.is_none() {
            // Not a range of the batch the collector could copy from.
            cand.attach_text(Arc::from(hit.event.source));
        }
        let mut kept = Kept {
            cand: Arc::new(cand),
            text,
            lanes: Vec::new(),
            samples: Vec::new(),
        };
        for &(rule, _, stages) in admitted.iter() {
            match self.engine.ruleset().shape(rule) {
                RuleShape::Sample => kept.samples.push(rule),
                RuleShape::Sequence => {
                    let room = admitted.len();
                    self.add_to_lane((rule, stages), hit.event, &mut kept.lanes, room)
                }
                RuleShape::Event => {}
            }
        }
        if !kept.lanes.is_empty() || !kept.samples.is_empty() {
            out.kept.push(kept);
        }
    }

    /// Adds a sequence rule to its ordering lane (sequence searches need a
    /// timestamp: an event without one takes no part). A new lane has room
    /// for `room` rules (the event's admitted rules, all in one lane as a
    /// rule: growing from one rule by pushes cost ≈ 2.5 reallocations per
    /// kept event).
    fn add_to_lane(
        &self,
        rule: SeqRule,
        event: &Event<'_>,
        lanes: &mut Vec<LaneRules>,
        room: usize,
    ) {
        let lane = self.engine.order_lane(rule.0);
        if let Some(l) = lanes.iter_mut().find(|l| l.lane == lane) {
            l.rules.push(rule);
            return;
        }
        let ruleset = self.engine.ruleset();
        let (ts, tiebreaker) = ruleset.order_key_cached(rule.0, event, &self.scratch);
        if let Some(ts) = ts {
            let mut rules = Vec::with_capacity(room);
            rules.push(rule);
            lanes.push(LaneRules {
                lane,
                ts,
                tiebreaker,
                rules,
            });
        }
    }

    /// One `Arc` per distinct index string (kept events share it).
    fn shared_index(&self, index: &str) -> Arc<str> {
        let mut indices = self.indices.borrow_mut();
        if let Some(i) = indices.get(index) {
            return i.clone();
        }
        if indices.len() >= MAX_CACHED_INDICES {
            indices.clear();
        }
        let shared: Arc<str> = Arc::from(index);
        indices.insert(Box::from(index), shared.clone());
        shared
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct At {
    pub file: u32,
    pub line: u64,
    pub ordinal: u64,
    /// Where the event's source text is in the batch (`start..end`): the
    /// whole record for a plain document, its `_source` for a search hit.
    pub source: Option<(u32, u32)>,
}

/// Where `source`, a part of `record` (which starts at `record_start` in
/// the batch text), lies in the batch text; `None` if it is not a part of
/// `record` or lies past 4 GiB (batches are far smaller).
fn source_range(record_start: usize, record: &str, source: &str) -> Option<(u32, u32)> {
    let offset = (source.as_ptr() as usize).checked_sub(record.as_ptr() as usize)?;
    if offset + source.len() > record.len() {
        return None;
    }
    let start = record_start + offset;
    Some((
        u32::try_from(start).ok()?,
        u32::try_from(start + source.len()).ok()?,
    ))
}

/// What the replay of a match keeps of its event.
struct Parts {
    index: Arc<str>,
    id: Option<Arc<str>>,
    source: Arc<str>,
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

    fn parts(&mut self, index: Arc<str>) -> &Parts {
        let event = self.event;
        self.parts.get_or_insert_with(|| Parts {
            index,
            id: event.id.as_deref().map(Arc::from),
            source: Arc::from(event.source),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_share_the_mark_memo_total_within_bounds() {
        let default = matcher::prefilter::memo::BUDGET;
        assert_eq!(mark_memo_budget(0), default);
        assert_eq!(mark_memo_budget(1), default);
        assert_eq!(mark_memo_budget(2), default);
        assert_eq!(mark_memo_budget(4), 4 << 20);
        assert_eq!(mark_memo_budget(8), 2 << 20);
        assert_eq!(mark_memo_budget(16), MARK_MEMO_LEAST);
        assert_eq!(mark_memo_budget(64), MARK_MEMO_LEAST);
        for threads in 1..=16 {
            assert!(mark_memo_budget(threads) * threads <= MARK_MEMO_TOTAL);
        }
    }
}
