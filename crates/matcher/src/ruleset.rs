//! A compiled rule set: every rule of a run behind one immutable, `Send +
//! Sync` value, and the per-worker [`Scratch`] that evaluating an event needs.
//!
//! This is the seam the whole-catalogue optimisation works behind (shared
//! field extraction, predicate buckets, literal prefilters): callers see only
//! [`RuleSet::build`], [`RuleSet::evaluate`] and the per-rule accessors, so the
//! strategy inside can change without touching the engine.
//!
//! What [`RuleSet::evaluate`] does for one event and its index:
//!
//! 1. **Route by index.** Rules are grouped by their index selector
//!    ([`IndexSelector::key`]); the rules a given index string reaches are
//!    computed once per distinct index and cached in the scratch.
//! 2. **Prefilter.** Every rule's queries (its event query, or each stage /
//!    `until` of a sequence or sample) are *units*; each unit has up to three
//!    independent sets of necessary atoms (exact values, prefixes, suffixes,
//!    substrings, presence; [`crate::prefilter::atoms`]) indexed per field
//!    (hash maps and one Aho-Corasick automaton per field;
//!    [`crate::prefilter`]). The event's values are looked up once each to
//!    mark units; a unit of the route is a candidate when each of its sets
//!    has an atom holding.
//! 3. **Match candidates.** Candidate units only are evaluated: the EQL
//!    event category (against the rule's category field) and the condition,
//!    compiled ([`crate::compiled::CompiledPred`], same results as
//!    [`crate::pred::eval`]) over a per-event field table
//!    ([`crate::compiled::view::View`]). Single-event rules
//!    ([`RuleShape::Event`]) that match are returned in [`Hits::single`].
//! 4. **Stage candidates.** Sequence and sample rules cannot decide on one
//!    event: an event that passes the category and condition of any of their
//!    stages (or of `until`) is a candidate, returned in [`Hits::multi`]; the
//!    caller keeps it (see [`RuleSet::compact`]) and later feeds the rule's
//!    [`crate::SequenceEngine`] or [`crate::sample::run`] in time order.
//!    Every candidate unit of such a rule is evaluated (not only up to the
//!    first that matches), so [`Hits::stages`] tells which stages matched
//!    ([`StageHits`]): the sequence engine takes that instead of evaluating
//!    the stages again ([`crate::SequenceEngine::push_matched`]).
//!
//! Script errors: an error is noted (kept and counted in the scratch) for
//! the units of a multi rule evaluated before its first match, as when the
//! evaluation stopped there; [`StageHits::errors`] counts the errors of all
//! the rule's queries, as the sequence engine counts them when it evaluates
//! a pushed event itself (units the prefilter left out are run for that
//! only when they hold a script: a query of field tests cannot fail).
//!
//! Nothing here allocates per rule per event: hits go into vectors of the
//! scratch that are reused; a route is allocated once per distinct index.
//!
//! [`RuleSet::evaluate_reference`] is the simple loop (every rule of the
//! route with the reference evaluator), kept as the specification the
//! compiled path is tested against (`tests/ruleset_equivalence.rs`).

use crate::compiled::view::{View, ViewScratch};
use crate::compiled::{CompiledPred, Leaves};
use crate::error::EvalError;
use crate::order::{in_category, tiebreaker_of, timestamp_of};
use crate::prefilter::atoms::{self, Necessary};
use crate::prefilter::memo::MarkMemo;
use crate::prefilter::{Prefilter, PrefilterStats};
use crate::values::KeyValue;
use event::{Event, FieldId};
use ir::{Category, EventQuery, Expr, FieldRef, Plan, Pred, QueryPlan};
use rustc_hash::FxHashMap;
use std::cell::Cell;
use std::fmt;
use std::sync::Arc;

/// Index of a rule in its [`RuleSet`] (the order given to [`RuleSet::build`]).
pub type RuleIdx = u32;

/// Rules with more queries (stages plus `until`) than this get no
/// [`StageHits`]: their consumers evaluate the stages themselves.
pub const MAX_MASKED_QUERIES: usize = 64;

/// Which queries of a sequence / sample rule an event matched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StageHits {
    /// Bit `n`: stage `n` of the plan matched (runs not expanded); bit
    /// `stages.len()`: the sequence's `until`.
    pub matched: u64,
    /// Script errors met evaluating every query of the rule on the event.
    pub errors: u32,
}

/// Decides which indices a rule reads (a rule's index patterns).
pub trait IndexSelector: Send + Sync + fmt::Debug {
    /// True when the rule searches `index`.
    fn selects(&self, index: &str) -> bool;
    /// Selectors with equal keys select the same indices: their rules are
    /// routed together.
    fn key(&self) -> &str;
}

/// The time a rule windows events by: `primary` when the event has it, else
/// `fallback` (Kibana's `timestamp_override` with `@timestamp` as fallback;
/// `buildTimeRangeFilter` in `rule_types/utils/build_events_query.ts`).
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSpec {
    pub primary: FieldRef,
    pub fallback: Option<FieldRef>,
}

/// How a rule's search orders events: EQL's `timestamp_field` and
/// `tiebreaker_field` (then input order).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderSpec {
    pub timestamp: FieldRef,
    pub tiebreaker: Option<FieldRef>,
}

/// One rule, compiled: its plan (conditions already include the rule's
/// `filters` and `not(exceptions)`), where it reads, and its time fields.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub plan: QueryPlan,
    /// The field EQL categories compare with (`event_category_override`).
    pub category_field: FieldId,
    pub index: Arc<dyn IndexSelector>,
    pub time: TimeSpec,
    pub order: OrderSpec,
}

/// What kind of result a rule produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleShape {
    /// One alert per matching event (query rules, EQL event queries).
    Event,
    /// EQL `sequence`.
    Sequence,
    /// EQL `sample`.
    Sample,
}

/// The rules one index reaches, split by shape, and their units (bitset).
#[derive(Debug, Default, Clone)]
struct Route {
    single: Vec<RuleIdx>,
    multi: Vec<RuleIdx>,
    units: Vec<u64>,
}

/// Which query of its rule a unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QueryRef {
    /// The event query of a single-event rule.
    Event,
    /// Stage `n` of a sequence or sample.
    Stage(u32),
    /// A sequence's `until`.
    Until,
}

/// One query the prefilter selects on its own: a rule's event query, or one
/// stage / `until` of a sequence or sample rule.
#[derive(Debug)]
struct Unit {
    rule: RuleIdx,
    query: QueryRef,
    compiled: UnitQuery,
    /// The condition holds a script (it may fail where the prefilter
    /// rejects it).
    has_script: bool,
}

/// Routes cached per worker before the cache is cleared (hostile inputs with
/// a new `_index` on every line must not grow memory without bound).
const MAX_CACHED_ROUTES: usize = 4096;

/// Script errors kept per worker (all are counted).
const MAX_KEPT_ERRORS: usize = 100;

/// Per-worker mutable state: the index routes seen so far, hit buffers, the
/// per-event time cache, the event view and prefilter buffers, and script
/// errors.
#[derive(Debug, Default)]
pub struct Scratch {
    route_ids: FxHashMap<Box<str>, u32>,
    routes: Vec<Route>,
    /// Per distinct time spec: `Some(time)` once computed for the current event.
    times: Vec<Cell<Option<Option<i64>>>>,
    out: Sink,
    /// Units marked by the prefilter for the current event (bitset).
    marked: Vec<u64>,
    /// The candidate units of the current event's route (bitset).
    candidates: Vec<u64>,
    /// What recent field values marked (see [`MarkMemo`]).
    mark_memo: MarkMemo,
    view: ViewScratch,
}

/// What evaluating events produces.
#[derive(Debug, Default)]
struct Sink {
    single: Vec<RuleIdx>,
    multi: Vec<RuleIdx>,
    /// Per `multi` entry: its stage hits (`None` past [`MAX_MASKED_QUERIES`]).
    stages: Vec<Option<StageHits>>,
    /// The multi rule whose units are being evaluated.
    open: Option<OpenRule>,
    errors: Vec<(RuleIdx, EvalError)>,
    error_count: u64,
    /// Queries evaluated in full since the scratch was made.
    evaluated: u64,
}

/// A sequence / sample rule whose marked units are being evaluated.
#[derive(Debug, Clone, Copy)]
struct OpenRule {
    rule: RuleIdx,
    first_unit: u32,
    /// Units evaluated so far (bit: unit − `first_unit`).
    evaluated: u64,
    hits: StageHits,
}

impl Sink {
    fn note(&mut self, rule: RuleIdx, e: EvalError) {
        self.error_count += 1;
        if self.errors.len() < MAX_KEPT_ERRORS {
            self.errors.push((rule, e));
        }
    }
}

impl Scratch {
    /// Queries (units) evaluated in full since the scratch was made: rule
    /// event queries, sequence / sample stages and `until`s that the
    /// prefilter let through.
    pub fn evaluated(&self) -> u64 {
        self.out.evaluated
    }

    /// Field values whose prefilter lookups were remembered, and those
    /// that were not ([`MarkMemo::counts`]).
    pub fn mark_memo_counts(&self) -> (u64, u64) {
        self.mark_memo.counts()
    }

    /// Keeps the prefilter memo within `bytes` of heap (for workers sharing
    /// a total; the default is [`crate::prefilter::memo::BUDGET`]). Forgets
    /// what it remembered.
    pub fn limit_mark_memo(&mut self, bytes: usize) {
        self.mark_memo = MarkMemo::with_budget(bytes);
    }

    /// Heap bytes of the prefilter memo, and the times it was emptied for
    /// its budget ([`MarkMemo::usage`]).
    pub fn mark_memo_usage(&self) -> (usize, u64) {
        self.mark_memo.usage()
    }

    /// The hits of the event last passed to [`RuleSet::evaluate`].
    pub fn hits(&self) -> Hits<'_> {
        Hits {
            single: &self.out.single,
            multi: &self.out.multi,
            stages: &self.out.stages,
        }
    }

    /// Script errors met (rule, error), at most 100 kept.
    pub fn errors(&self) -> &[(RuleIdx, EvalError)] {
        &self.out.errors
    }

    /// Every script error met.
    pub fn error_count(&self) -> u64 {
        self.out.error_count
    }

    /// Takes the errors kept so far (the count is reset too).
    pub fn take_errors(&mut self) -> (Vec<(RuleIdx, EvalError)>, u64) {
        let count = std::mem::take(&mut self.out.error_count);
        (std::mem::take(&mut self.out.errors), count)
    }
}

/// The rules an event matched (single-event rules) and the sequence/sample
/// rules it is a stage candidate for, in rule order.
#[derive(Debug, Clone, Copy)]
pub struct Hits<'s> {
    pub single: &'s [RuleIdx],
    pub multi: &'s [RuleIdx],
    /// Per `multi` rule: which of its stages matched (`None` for a rule with
    /// more than [`MAX_MASKED_QUERIES`] queries).
    pub stages: &'s [Option<StageHits>],
}

/// All rules of a run, compiled together. Immutable and shareable between
/// worker threads; each worker has its own [`Scratch`].
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<CompiledRule>,
    shapes: Vec<RuleShape>,
    /// Distinct selectors and, for each, its rules split by shape.
    groups: Vec<Arc<dyn IndexSelector>>,
    group_routes: Vec<Route>,
    /// Distinct time specs; each rule's spec.
    time_specs: Vec<TimeSpec>,
    rule_time_spec: Vec<u32>,
    /// Per rule: it orders events by its primary time field.
    orders_by_time: Vec<bool>,
    /// Fields read by sequence / sample rules (what a kept candidate needs).
    multi_fields: Vec<bool>,
    /// Join-key fields of sequence rules.
    sequence_keys: Vec<bool>,
    /// Per rule: the bits of [`StageHits::matched`] that are positive
    /// stages of a sequence (all bits for other rules).
    holding_stages: Vec<u64>,
    /// Every rule's queries, in rule order, and each rule's range of them.
    units: Vec<Unit>,
    rule_units: Vec<std::ops::Range<u32>>,
    prefilter: Prefilter,
}

/// A unit compiled: its EQL category and condition, as run on a candidate
/// ([`compile_unit`]: what the prefilter's exact lookups decided is left
/// out).
#[derive(Debug)]
struct UnitQuery {
    category: Option<Box<str>>,
    category_field: FieldId,
    condition: CompiledPred,
}

impl RuleSet {
    /// Compiles `rules` together. Rule `i` of the input is [`RuleIdx`] `i`.
    pub fn build(rules: Vec<CompiledRule>) -> RuleSet {
        RuleSet::build_on(rules, 1)
    }

    /// [`RuleSet::build`] on up to `threads` threads (the calling thread is
    /// one): the queries' prefilter atoms are found while their field tests
    /// are counted, and the prefilter is built while the queries are
    /// compiled (see `units_of`). The rule set is the same whatever the
    /// thread count.
    pub fn build_on(rules: Vec<CompiledRule>, threads: usize) -> RuleSet {
        let shapes: Vec<RuleShape> = rules.iter().map(|r| shape_of(&r.plan)).collect();
        let mut groups: Vec<Arc<dyn IndexSelector>> = Vec::new();
        let mut group_routes: Vec<Route> = Vec::new();
        let mut group_of_key: FxHashMap<String, usize> = FxHashMap::default();
        let mut time_specs: Vec<TimeSpec> = Vec::new();
        let mut rule_time_spec = Vec::with_capacity(rules.len());
        let mut multi_fields: Vec<bool> = Vec::new();
        let mut sequence_keys: Vec<bool> = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let idx = i as RuleIdx;
            let g = *group_of_key
                .entry(rule.index.key().to_string())
                .or_insert_with(|| {
                    groups.push(rule.index.clone());
                    group_routes.push(Route::default());
                    groups.len() - 1
                });
            match shapes[i] {
                RuleShape::Event => group_routes[g].single.push(idx),
                RuleShape::Sequence | RuleShape::Sample => {
                    group_routes[g].multi.push(idx);
                    mark_fields(&mut multi_fields, multi_rule_fields(rule));
                    if let Plan::Sequence(s) = &rule.plan.plan {
                        let keys = s.stages.iter().chain(&s.until).flat_map(|st| &st.keys);
                        mark_fields(&mut sequence_keys, keys.map(|k| k.field.id));
                    }
                }
            }
            let t = match time_specs.iter().position(|t| *t == rule.time) {
                Some(t) => t,
                None => {
                    time_specs.push(rule.time.clone());
                    time_specs.len() - 1
                }
            };
            rule_time_spec.push(t as u32);
        }
        let orders_by_time = rules
            .iter()
            .map(|r| r.order.timestamp == r.time.primary)
            .collect();
        let (units, rule_units, prefilter) = units_of(&rules, threads);
        let holding_stages = rules.iter().map(|r| holding_stages(&r.plan.plan)).collect();
        RuleSet {
            rules,
            shapes,
            holding_stages,
            groups,
            group_routes,
            time_specs,
            rule_time_spec,
            orders_by_time,
            multi_fields,
            sequence_keys,
            units,
            rule_units,
            prefilter,
        }
    }

    /// What the prefilter made of the rules.
    pub fn prefilter_stats(&self) -> PrefilterStats {
        self.prefilter.stats()
    }

    /// A fresh scratch for one worker.
    pub fn scratch(&self) -> Scratch {
        Scratch {
            times: vec![Cell::new(None); self.time_specs.len()],
            ..Scratch::default()
        }
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn rule(&self, idx: RuleIdx) -> &CompiledRule {
        &self.rules[idx as usize]
    }

    /// Which fields (by [`FieldId`] index) sequence and sample rules read:
    /// conditions, join keys, category, time and order fields — what an
    /// event kept for them must hold.
    pub fn multi_fields(&self) -> &[bool] {
        &self.multi_fields
    }

    /// Which fields (by [`FieldId`] index) are join keys of sequence rules:
    /// all that [`crate::SequenceEngine::push_matched`] reads of an event.
    pub fn sequence_key_fields(&self) -> &[bool] {
        &self.sequence_keys
    }

    pub fn shape(&self, idx: RuleIdx) -> RuleShape {
        self.shapes[idx as usize]
    }

    /// True when an event that matched `hits` of rule `idx` may be held by
    /// the rule's state: for a sequence, when it matched a positive stage.
    /// An event that matched only missing-event stages or `until` is never
    /// part of a sequence: [`crate::SequenceEngine`] reads its timestamp and
    /// join keys and keeps neither it nor its id.
    pub fn may_hold(&self, idx: RuleIdx, hits: StageHits) -> bool {
        hits.matched & self.holding_stages[idx as usize] != 0
    }

    /// Evaluates every rule that reads `index` on `event`; the hits are also
    /// kept in the scratch ([`Scratch::hits`]) until the next event, and
    /// [`RuleSet::rule_time`] answers for this event.
    ///
    /// Only the queries the prefilter marks (or that have no atoms) are
    /// evaluated, with their compiled predicates; the hits are those of
    /// [`RuleSet::evaluate_reference`].
    pub fn evaluate<'s>(
        &self,
        event: &Event<'_>,
        index: &str,
        scratch: &'s mut Scratch,
    ) -> Hits<'s> {
        self.reset(scratch);
        let route = self.route(index, scratch);
        let Scratch {
            routes,
            out,
            marked,
            mark_memo,
            view,
            candidates,
            ..
        } = scratch;
        let route_units = &routes[route].units;
        let mut view = View::new(event, view);
        marked.clear();
        marked.resize(self.prefilter.mark_words(), 0);
        self.prefilter.mark(&mut view, marked, mark_memo);
        self.prefilter
            .candidates_in(marked, route_units, candidates);
        for (w, &word) in candidates.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let unit = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                self.check_unit(unit, &mut view, out);
            }
        }
        self.close_rule(&mut view, out);
        scratch.hits()
    }

    /// [`RuleSet::evaluate`] the simple way: every rule of the index's route
    /// evaluated with the reference evaluator. Kept as the specification the
    /// compiled path is tested against.
    pub fn evaluate_reference<'s>(
        &self,
        event: &Event<'_>,
        index: &str,
        scratch: &'s mut Scratch,
    ) -> Hits<'s> {
        self.reset(scratch);
        let route = self.route(index, scratch);
        for i in 0..scratch.routes[route].single.len() {
            let idx = scratch.routes[route].single[i];
            if self.single_matches(idx, event, &mut scratch.out) {
                scratch.out.single.push(idx);
            }
        }
        for i in 0..scratch.routes[route].multi.len() {
            let idx = scratch.routes[route].multi[i];
            self.reference_candidate(idx, event, &mut scratch.out);
        }
        scratch.hits()
    }

    fn reset(&self, scratch: &mut Scratch) {
        if scratch.times.len() != self.time_specs.len() {
            scratch.times = vec![Cell::new(None); self.time_specs.len()];
        }
        scratch.times.iter().for_each(|t| t.set(None));
        scratch.out.single.clear();
        scratch.out.multi.clear();
        scratch.out.stages.clear();
        scratch.out.open = None;
    }

    /// Evaluates one unit marked for the event (units come in rule order).
    fn check_unit(&self, unit: usize, view: &mut View<'_, '_, '_>, out: &mut Sink) {
        let Unit { rule, query, .. } = self.units[unit];
        if out.open.is_some_and(|o| o.rule != rule) {
            self.close_rule(view, out);
        }
        if query != QueryRef::Event && self.is_masked(rule) {
            return self.check_stage(unit, view, out);
        }
        if query != QueryRef::Event && out.multi.last() == Some(&rule) {
            return;
        }
        out.evaluated += 1;
        match self.unit_matches(unit, view) {
            Ok(true) if query == QueryRef::Event => out.single.push(rule),
            Ok(true) => {
                out.multi.push(rule);
                out.stages.push(None);
            }
            Ok(false) => {}
            Err(e) => out.note(rule, e),
        }
    }

    /// True when the rule's queries fit a [`StageHits`] mask.
    fn is_masked(&self, rule: RuleIdx) -> bool {
        self.rule_units[rule as usize].len() <= MAX_MASKED_QUERIES
    }

    /// Evaluates one stage / `until` unit of a masked multi rule into the
    /// open rule (opened on its first unit).
    fn check_stage(&self, unit: usize, view: &mut View<'_, '_, '_>, out: &mut Sink) {
        let rule = self.units[unit].rule;
        let first_unit = self.rule_units[rule as usize].start;
        let open = out.open.get_or_insert(OpenRule {
            rule,
            first_unit,
            evaluated: 0,
            hits: StageHits::default(),
        });
        let bit = 1u64 << (unit as u32 - first_unit);
        let before_first_match = open.hits.matched == 0;
        open.evaluated |= bit;
        match self.unit_matches(unit, view) {
            Ok(true) => open.hits.matched |= bit,
            Ok(false) => {}
            Err(e) => {
                open.hits.errors += 1;
                if before_first_match {
                    out.note(rule, e);
                }
            }
        }
        out.evaluated += 1;
    }

    /// Ends the open multi rule: a candidate when a unit matched, with the
    /// errors of its unevaluated script units added to its hits.
    fn close_rule(&self, view: &mut View<'_, '_, '_>, out: &mut Sink) {
        let Some(OpenRule {
            rule,
            first_unit,
            evaluated,
            mut hits,
        }) = out.open.take()
        else {
            return;
        };
        if hits.matched == 0 {
            return;
        }
        for unit in self.rule_units[rule as usize].clone() {
            let skipped = evaluated & (1 << (unit - first_unit)) == 0;
            if skipped && self.units[unit as usize].has_script {
                out.evaluated += 1;
                if self.unit_matches(unit as usize, view).is_err() {
                    hits.errors += 1;
                }
            }
        }
        out.multi.push(rule);
        out.stages.push(Some(hits));
    }

    /// The unit's category and compiled condition on the event.
    fn unit_matches(&self, unit: usize, view: &mut View<'_, '_, '_>) -> Result<bool, EvalError> {
        let compiled = &self.units[unit].compiled;
        if let Some(name) = &compiled.category {
            let range = view.range(compiled.category_field);
            let name = name.as_bytes();
            if !range
                .into_iter()
                .any(|i| crate::compiled::strings::same_bytes(view.text(i).as_bytes(), name))
            {
                return Ok(false);
            }
        }
        compiled.condition.eval(view)
    }

    /// The rule's window time for the event last passed to
    /// [`RuleSet::evaluate`] with this scratch (cached per distinct time spec).
    /// `None` when the event has neither the primary nor the fallback field
    /// (or the primary holds no date): such an event is in no window.
    pub fn rule_time(&self, idx: RuleIdx, event: &Event<'_>, scratch: &Scratch) -> Option<i64> {
        let spec = self.rule_time_spec[idx as usize] as usize;
        if let Some(t) = scratch.times[spec].get() {
            return t;
        }
        let t = window_time(&self.time_specs[spec], event);
        scratch.times[spec].set(Some(t));
        t
    }

    /// The rule's EQL ordering of the event: timestamp field (epoch nanos) and
    /// tiebreaker; missing values sort last.
    pub fn order_key(&self, idx: RuleIdx, event: &Event<'_>) -> (Option<i64>, Option<KeyValue>) {
        let order = &self.rules[idx as usize].order;
        (
            timestamp_of(event, &order.timestamp),
            self.tiebreaker(idx, event),
        )
    }

    /// [`RuleSet::order_key`] of the event last passed to
    /// [`RuleSet::evaluate`] with this scratch: a rule ordering by its primary
    /// time field reuses the window time cached for the event.
    pub fn order_key_cached(
        &self,
        idx: RuleIdx,
        event: &Event<'_>,
        scratch: &Scratch,
    ) -> (Option<i64>, Option<KeyValue>) {
        let rule = &self.rules[idx as usize];
        if self.orders_by_time[idx as usize] && event.has(rule.time.primary.id) {
            return (
                self.rule_time(idx, event, scratch),
                self.tiebreaker(idx, event),
            );
        }
        self.order_key(idx, event)
    }

    fn tiebreaker(&self, idx: RuleIdx, event: &Event<'_>) -> Option<KeyValue> {
        let order = &self.rules[idx as usize].order;
        order
            .tiebreaker
            .as_ref()
            .and_then(|f| tiebreaker_of(event, f))
    }

    /// The rule's primary and fallback times separately (Kibana sorts query
    /// rule hits by primary, then fallback, ascending, missing last).
    pub fn time_sort_key(&self, idx: RuleIdx, event: &Event<'_>) -> (Option<i64>, Option<i64>) {
        let spec = &self.time_specs[self.rule_time_spec[idx as usize] as usize];
        (
            timestamp_of(event, &spec.primary),
            spec.fallback.as_ref().and_then(|f| timestamp_of(event, f)),
        )
    }

    /// An owned copy of `event` holding only what sequence and sample rules
    /// read (what a kept stage candidate needs).
    pub fn compact(&self, event: &Event<'_>) -> Event<'static> {
        let entries = event
            .entries()
            .iter()
            .filter(|(f, _)| self.multi_fields.get(f.index()).copied().unwrap_or(false))
            .map(|(f, v)| (*f, v.clone().into_owned()))
            .collect();
        Event::from_entries(entries)
    }

    fn route(&self, index: &str, scratch: &mut Scratch) -> usize {
        if let Some(&r) = scratch.route_ids.get(index) {
            return r as usize;
        }
        if scratch.route_ids.len() >= MAX_CACHED_ROUTES {
            scratch.route_ids.clear();
            scratch.routes.clear();
        }
        let mut route = Route {
            units: vec![0; self.prefilter.words()],
            ..Route::default()
        };
        for (g, selector) in self.groups.iter().enumerate() {
            if selector.selects(index) {
                route.single.extend(&self.group_routes[g].single);
                route.multi.extend(&self.group_routes[g].multi);
            }
        }
        route.single.sort_unstable();
        route.multi.sort_unstable();
        for &rule in route.single.iter().chain(&route.multi) {
            for u in self.rule_units[rule as usize].clone() {
                route.units[(u / 64) as usize] |= 1 << (u % 64);
            }
        }
        scratch.routes.push(route);
        let id = scratch.routes.len() - 1;
        scratch.route_ids.insert(index.into(), id as u32);
        id
    }

    fn single_matches(&self, idx: RuleIdx, event: &Event<'_>, scratch: &mut Sink) -> bool {
        let rule = &self.rules[idx as usize];
        let Plan::Event(q) = &rule.plan.plan else {
            return false;
        };
        self.query_matches(idx, q, rule.category_field, event, scratch)
    }

    /// The reference for a sequence / sample rule: every query evaluated;
    /// errors noted up to the first match, all counted in the hits.
    fn reference_candidate(&self, idx: RuleIdx, event: &Event<'_>, sink: &mut Sink) {
        let rule = &self.rules[idx as usize];
        let queries = multi_queries(&rule.plan.plan);
        let mut hits = StageHits::default();
        let mut any = false;
        for (n, q) in queries.iter().enumerate() {
            match self.reference_query(q, rule.category_field, event) {
                Ok(true) => {
                    any = true;
                    if n < MAX_MASKED_QUERIES {
                        hits.matched |= 1 << n;
                    }
                }
                Ok(false) => {}
                Err(e) => {
                    hits.errors += 1;
                    if !any {
                        sink.note(idx, e);
                    }
                }
            }
        }
        if any {
            sink.multi.push(idx);
            sink.stages
                .push((queries.len() <= MAX_MASKED_QUERIES).then_some(hits));
        }
    }

    fn reference_query(
        &self,
        q: &EventQuery,
        category_field: FieldId,
        event: &Event<'_>,
    ) -> Result<bool, EvalError> {
        if !in_category(q, event, category_field) {
            return Ok(false);
        }
        crate::pred::eval(&q.condition, event)
    }

    fn query_matches(
        &self,
        idx: RuleIdx,
        q: &EventQuery,
        category_field: FieldId,
        event: &Event<'_>,
        scratch: &mut Sink,
    ) -> bool {
        self.reference_query(q, category_field, event)
            .unwrap_or_else(|e| {
                scratch.note(idx, e);
                false
            })
    }
}

/// The window time of an event under `spec`.
pub fn window_time(spec: &TimeSpec, event: &Event<'_>) -> Option<i64> {
    if event.has(spec.primary.id) {
        return timestamp_of(event, &spec.primary);
    }
    spec.fallback.as_ref().and_then(|f| timestamp_of(event, f))
}

/// Every rule's queries as units (rule order), each rule's range of units,
/// and the prefilter over the units' necessary atoms.
///
/// On more than one thread: each query's atoms and script flag (independent
/// of the other queries) are found on a second thread while this one counts
/// the shared field tests; then the prefilter is built on the other threads
/// while this one compiles the units (which share their field tests' memo
/// slots, numbered in compile order, so they stay on one thread).
fn units_of(
    rules: &[CompiledRule],
    threads: usize,
) -> (Vec<Unit>, Vec<std::ops::Range<u32>>, Prefilter) {
    let ((necessary, scripts), leaves) = crate::par::join(
        threads,
        || {
            rules
                .iter()
                .flat_map(|r| {
                    rule_queries(&r.plan.plan).into_iter().map(|q| {
                        (
                            atoms::for_query(q, r.category_field),
                            has_script(&q.condition),
                        )
                    })
                })
                .unzip::<_, _, Vec<Vec<Necessary>>, Vec<bool>>()
        },
        || {
            let mut leaves = Leaves::default();
            for rule in rules {
                for q in rule_queries(&rule.plan.plan) {
                    leaves.count(&q.condition);
                }
            }
            leaves
        },
    );
    let (prefilter, (units, ranges)) = crate::par::join(
        threads,
        || Prefilter::build_on(&necessary, threads.saturating_sub(1).max(1)),
        || {
            // Dropped once the units are compiled (before the prefilter is
            // built, on one thread).
            let mut leaves = leaves;
            let mut units = Vec::with_capacity(necessary.len());
            let mut ranges = Vec::with_capacity(rules.len());
            for (i, rule) in rules.iter().enumerate() {
                let start = units.len() as u32;
                for (n, q) in rule_queries(&rule.plan.plan).into_iter().enumerate() {
                    let query = match &rule.plan.plan {
                        Plan::Event(_) => QueryRef::Event,
                        Plan::Sequence(s) if n == s.stages.len() => QueryRef::Until,
                        _ => QueryRef::Stage(n as u32),
                    };
                    let k = units.len();
                    let (sets, has_script) = (&necessary[k], scripts[k]);
                    units.push(Unit {
                        rule: i as RuleIdx,
                        query,
                        compiled: compile_unit(
                            q,
                            rule.category_field,
                            sets,
                            has_script,
                            &mut leaves,
                        ),
                        has_script,
                    });
                }
                ranges.push(start..units.len() as u32);
            }
            (units, ranges)
        },
    );
    (units, ranges, prefilter)
}

/// A unit's query compiled for where the prefilter made it a candidate
/// (every one of its necessary `sets` holds): the category check and the
/// top-level field tests that a set decides ([`atoms::decides`]) are left
/// out. A unit with a script is compiled whole: it also runs where it is no
/// candidate (to count its errors, [`RuleSet::close_rule`]).
fn compile_unit<'p>(
    q: &'p EventQuery,
    category_field: FieldId,
    sets: &[Necessary],
    has_script: bool,
    leaves: &mut Leaves<'p>,
) -> UnitQuery {
    let mut category = match &q.category {
        Category::Any => None,
        Category::Named(n) => Some(n.as_str()),
    };
    let mut holding = Vec::new();
    if !has_script {
        if category.is_some_and(|n| sets.contains(&atoms::category_set(n, category_field))) {
            category = None;
        }
        conjuncts(&q.condition, &mut |ft| {
            if sets.iter().any(|s| atoms::decides(s, ft)) {
                holding.push(ft);
            }
        });
    }
    UnitQuery {
        category: category.map(Into::into),
        category_field,
        condition: leaves.compile_assuming(&q.condition, &holding),
    }
}

/// Calls `f` on each field test that is `pred` or one of its `and`s'
/// children, however nested (tests that must hold for `pred` to hold).
fn conjuncts<'p>(pred: &'p Pred, f: &mut impl FnMut(&'p ir::FieldTest)) {
    match pred {
        Pred::Field(ft) => f(ft),
        Pred::And(ps) => ps.iter().for_each(|p| conjuncts(p, f)),
        _ => {}
    }
}

/// A rule's queries in unit order: its event query, or a sequence's stages
/// then `until`, or a sample's stages.
fn rule_queries(plan: &Plan) -> Vec<&EventQuery> {
    match plan {
        Plan::Event(q) => vec![q],
        _ => multi_queries(plan),
    }
}

/// A sequence's stages then `until`, or a sample's stages (the order of
/// the bits of [`StageHits::matched`]).
fn multi_queries(plan: &Plan) -> Vec<&EventQuery> {
    match plan {
        Plan::Sequence(s) => s
            .stages
            .iter()
            .chain(&s.until)
            .map(|st| &st.query)
            .collect(),
        Plan::Sample(s) => s.stages.iter().map(|st| &st.query).collect(),
        Plan::Event(_) => Vec::new(),
    }
}

/// The [`StageHits::matched`] bits of a plan's stages that can hold an
/// event: a sequence's positive stages; every bit for other plans.
fn holding_stages(plan: &Plan) -> u64 {
    match plan {
        Plan::Sequence(s) => s
            .stages
            .iter()
            .take(64)
            .enumerate()
            .filter(|(_, st)| !st.missing)
            .fold(0, |bits, (n, _)| bits | 1 << n),
        Plan::Event(_) | Plan::Sample(_) => u64::MAX,
    }
}

fn has_script(pred: &Pred) -> bool {
    let mut found = false;
    pred.walk(&mut |p| found |= matches!(p, Pred::Script(_)));
    found
}

fn shape_of(plan: &QueryPlan) -> RuleShape {
    match plan.plan {
        Plan::Event(_) => RuleShape::Event,
        Plan::Sequence(_) => RuleShape::Sequence,
        Plan::Sample(_) => RuleShape::Sample,
    }
}

/// Sets `marks[f]` for every field `f` (growing `marks` as needed).
fn mark_fields(marks: &mut Vec<bool>, fields: impl IntoIterator<Item = FieldId>) {
    for f in fields {
        if marks.len() <= f.index() {
            marks.resize(f.index() + 1, false);
        }
        marks[f.index()] = true;
    }
}

/// Every field a sequence / sample rule reads: conditions, join keys,
/// category, time and order fields.
fn multi_rule_fields(rule: &CompiledRule) -> Vec<FieldId> {
    let mut out = vec![
        rule.category_field,
        rule.time.primary.id,
        rule.order.timestamp.id,
    ];
    out.extend(rule.time.fallback.as_ref().map(|f| f.id));
    out.extend(rule.order.tiebreaker.as_ref().map(|f| f.id));
    let query = |q: &EventQuery, out: &mut Vec<FieldId>| pred_fields(&q.condition, out);
    match &rule.plan.plan {
        Plan::Event(q) => query(q, &mut out),
        Plan::Sequence(s) => {
            for st in s.stages.iter().chain(s.until.iter()) {
                query(&st.query, &mut out);
                out.extend(st.keys.iter().map(|k| k.field.id));
            }
        }
        Plan::Sample(s) => {
            for st in &s.stages {
                query(&st.query, &mut out);
                out.extend(st.keys.iter().map(|k| k.field.id));
            }
        }
    }
    out
}

fn pred_fields(pred: &Pred, out: &mut Vec<FieldId>) {
    pred.walk(&mut |p| match p {
        Pred::Field(t) => out.push(t.field.id),
        Pred::Script(e) => e.walk(&mut |x| {
            if let Expr::Field(f) = x {
                out.push(f.id);
            }
        }),
        _ => {}
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Fx;
    use ir::{Category, JoinKey, SequencePlan, SequenceStage, Test};

    #[derive(Debug)]
    struct Prefix(String);

    impl IndexSelector for Prefix {
        fn selects(&self, index: &str) -> bool {
            index.starts_with(&self.0)
        }
        fn key(&self) -> &str {
            &self.0
        }
    }

    fn term(f: &FieldRef, v: &str) -> Pred {
        Pred::field(
            f.clone(),
            Test::Terms {
                values: vec![v.into()],
                case_insensitive: false,
            },
        )
    }

    fn event_rule(fx: &Fx, prefix: &str, category: Category, cond: Pred) -> CompiledRule {
        let ts = fx.reg.get("ts").unwrap();
        let ts = FieldRef {
            id: ts,
            name: "ts".into(),
            ty: event::FieldType::Date,
            ignore_above: None,
        };
        CompiledRule {
            plan: QueryPlan {
                plan: Plan::Event(EventQuery {
                    category,
                    condition: cond,
                }),
                pipes: vec![],
            },
            category_field: fx.reg.get("cat").unwrap(),
            index: Arc::new(Prefix(prefix.into())),
            time: TimeSpec {
                primary: ts.clone(),
                fallback: None,
            },
            order: OrderSpec {
                timestamp: ts,
                tiebreaker: None,
            },
        }
    }

    fn setup() -> (Fx, FieldRef, FieldRef) {
        let mut fx = Fx::new(
            r#"{"cat":{"type":"keyword"},"ts":{"type":"date"},"k":{"type":"keyword"},"other":{"type":"keyword"}}"#,
        );
        fx.f("cat");
        fx.f("ts");
        let k = fx.f("k");
        let other = fx.f("other");
        (fx, k, other)
    }

    #[test]
    fn routes_by_index_then_category_then_condition() {
        let (fx, k, _) = setup();
        let rules = vec![
            event_rule(&fx, "logs-a", Category::Any, term(&k, "x")),
            event_rule(&fx, "logs-b", Category::Any, term(&k, "x")),
            event_rule(
                &fx,
                "logs-a",
                Category::Named("process".into()),
                term(&k, "x"),
            ),
            event_rule(&fx, "logs-", Category::Any, Pred::Const(true)),
        ];
        let set = RuleSet::build(rules);
        let mut scratch = set.scratch();
        let ev = fx.ev(r#"{"k":"x","cat":"file","ts":1}"#);
        assert_eq!(set.evaluate(&ev, "logs-a-1", &mut scratch).single, &[0, 3]);
        assert_eq!(set.evaluate(&ev, "logs-b-1", &mut scratch).single, &[1, 3]);
        assert_eq!(
            set.evaluate(&ev, "other", &mut scratch).single,
            &[] as &[u32]
        );
        let ev = fx.ev(r#"{"k":"x","cat":["process","start"]}"#);
        assert_eq!(
            set.evaluate(&ev, "logs-a-1", &mut scratch).single,
            &[0, 2, 3]
        );
        // One route per distinct index string.
        assert_eq!(scratch.routes.len(), 3);
    }

    #[test]
    fn sequence_candidates_and_compaction() {
        let (fx, k, other) = setup();
        let mut rule = event_rule(&fx, "logs-", Category::Any, Pred::Const(false));
        let stage = |v: &str| SequenceStage {
            query: EventQuery {
                category: Category::Any,
                condition: term(&k, v),
            },
            keys: vec![JoinKey {
                field: k.clone(),
                optional: false,
            }],
            missing: false,
            runs: 1,
        };
        rule.plan.plan = Plan::Sequence(SequencePlan {
            stages: vec![stage("a"), stage("b")],
            until: Some(stage("stop")),
            maxspan: None,
        });
        let set = RuleSet::build(vec![rule]);
        assert_eq!(set.shape(0), RuleShape::Sequence);
        let mut scratch = set.scratch();
        for (doc, hit) in [
            (r#"{"k":"a","other":"zzz"}"#, true),
            (r#"{"k":"b"}"#, true),
            (r#"{"k":"stop"}"#, true),
            (r#"{"k":"c"}"#, false),
        ] {
            let ev = fx.ev(doc);
            let hits = set.evaluate(&ev, "logs-x", &mut scratch);
            assert_eq!(!hits.multi.is_empty(), hit, "{doc}");
            assert!(hits.single.is_empty());
        }
        let ev = fx.ev(r#"{"k":"a","other":"zzz","ts":5}"#);
        let kept = set.compact(&ev);
        assert!(kept.has(k.id));
        assert!(!kept.has(other.id));
        assert_eq!(kept.value_count(fx.reg.get("ts").unwrap()), 1);
    }

    #[test]
    fn stage_hits_hold_every_matching_stage_and_until() {
        let (fx, k, other) = setup();
        let mut rule = event_rule(&fx, "logs-", Category::Any, Pred::Const(false));
        let stage = |cond: Pred| SequenceStage {
            query: EventQuery {
                category: Category::Any,
                condition: cond,
            },
            keys: vec![],
            missing: false,
            runs: 2,
        };
        rule.plan.plan = Plan::Sequence(SequencePlan {
            stages: vec![stage(term(&k, "a")), stage(term(&other, "zzz"))],
            until: Some(stage(term(&k, "stop"))),
            maxspan: None,
        });
        let single = event_rule(&fx, "logs-", Category::Any, term(&k, "a"));
        let set = RuleSet::build(vec![single, rule]);
        let mut fast = set.scratch();
        let mut slow = set.scratch();
        for (doc, want) in [
            (r#"{"k":"a","other":"zzz"}"#, Some(0b011)),
            (r#"{"k":"stop","other":"zzz"}"#, Some(0b110)),
            (r#"{"k":"stop"}"#, Some(0b100)),
            (r#"{"k":"a"}"#, Some(0b001)),
            (r#"{"k":"c"}"#, None),
        ] {
            let ev = fx.ev(doc);
            let hits = set.evaluate(&ev, "logs-x", &mut fast);
            let want: Vec<Option<StageHits>> = want
                .map(|matched| StageHits { matched, errors: 0 })
                .into_iter()
                .map(Some)
                .collect();
            assert_eq!(hits.multi, if want.is_empty() { &[][..] } else { &[1] });
            assert_eq!(hits.stages, want, "{doc}");
            let reference = set.evaluate_reference(&ev, "logs-x", &mut slow);
            assert_eq!(reference.stages, want, "{doc}");
        }
    }

    #[test]
    fn what_the_prefilter_decides_is_not_tested_again() {
        let (fx, k, other) = setup();
        let script = Pred::Script(Expr::Field(other.clone()));
        let rules = vec![
            // Category and term decided by the exact lookups: nothing left.
            event_rule(
                &fx,
                "logs-",
                Category::Named("process".into()),
                term(&k, "x"),
            ),
            // Both terms decided; the negation is left.
            event_rule(
                &fx,
                "logs-",
                Category::Any,
                Pred::And(vec![
                    term(&k, "x"),
                    term(&other, "y"),
                    Pred::Not(Box::new(term(&other, "z"))),
                ]),
            ),
            // With a script, the query also runs on non-candidates: whole.
            event_rule(
                &fx,
                "logs-",
                Category::Named("process".into()),
                Pred::And(vec![term(&k, "x"), script]),
            ),
        ];
        let set = RuleSet::build(rules);
        let left = |u: usize| {
            let q = &set.units[u].compiled;
            (q.category.is_some(), q.condition.tests())
        };
        assert_eq!(left(0), (false, 0));
        assert_eq!(left(1), (false, 1));
        assert_eq!(left(2), (true, 2));
        let mut fast = set.scratch();
        let mut slow = set.scratch();
        for doc in [
            r#"{"k":"x","cat":"process","other":"y"}"#,
            r#"{"k":"x","cat":"file","other":"y"}"#,
            r#"{"k":["z","x"],"cat":["start","process"]}"#,
            r#"{"k":"X","cat":"process","other":"true"}"#,
            r#"{"k":"y","cat":"process"}"#,
        ] {
            let ev = fx.ev(doc);
            let got = set.evaluate(&ev, "logs-x", &mut fast).single.to_vec();
            let want = set.evaluate_reference(&ev, "logs-x", &mut slow).single;
            assert_eq!(got, want, "{doc}");
        }
    }

    #[test]
    fn cached_order_key_is_the_order_key() {
        let (fx, k, _) = setup();
        let set = RuleSet::build(vec![event_rule(&fx, "logs-", Category::Any, term(&k, "a"))]);
        let mut scratch = set.scratch();
        for doc in [
            r#"{"k":"a","ts":5}"#,
            r#"{"k":"a"}"#,
            r#"{"k":"a","ts":"x"}"#,
        ] {
            let ev = fx.ev(doc);
            set.evaluate(&ev, "logs-x", &mut scratch);
            assert_eq!(set.rule_time(0, &ev, &scratch), set.order_key(0, &ev).0);
            assert_eq!(
                set.order_key_cached(0, &ev, &scratch),
                set.order_key(0, &ev),
                "{doc}"
            );
        }
    }

    #[test]
    fn window_time_uses_fallback_only_when_primary_is_absent() {
        let (mut fx, _, _) = setup();
        let ing = fx.f("ing");
        let ts = fx.f("ts");
        let spec = TimeSpec {
            primary: FieldRef {
                ty: event::FieldType::Date,
                ..ing
            },
            fallback: Some(FieldRef {
                ty: event::FieldType::Date,
                ..ts
            }),
        };
        assert_eq!(
            window_time(&spec, &fx.ev(r#"{"ing":2,"ts":1}"#)),
            Some(2_000_000)
        );
        assert_eq!(window_time(&spec, &fx.ev(r#"{"ts":1}"#)), Some(1_000_000));
        assert_eq!(window_time(&spec, &fx.ev(r#"{"ing":"x","ts":1}"#)), None);
        assert_eq!(window_time(&spec, &fx.ev(r#"{}"#)), None);
    }
}
