//! A shard: the state of some sequence, sample (and, in replay, all) rules,
//! fed in order, on one thread.
//!
//! Rules are independent, so the work is partitioned **by rule**: rule `r`
//! belongs to shard `(position of r among the rules with state) % shards`,
//! and everything about it — its [`SequenceEngine`], sample buckets or replay
//! window — lives on that shard's thread, fed in the order the collector
//! releases (time order per rule). Results do not depend on the number of
//! shards: each rule sees the same events in the same order whatever the
//! partition. (Partitioning by host or entity would not keep that promise:
//! sequence keys are arbitrary fields, and one event feeds many rules with
//! different keys.)
//!
//! A sequence candidate comes with the stages it matched for each rule: the
//! rule's engine is fed those ([`SequenceEngine::push_matched`]) and reads
//! only the event's join keys ([`Candidate::key_event`]).
//!
//! Backfill builds a sequence's alerts as soon as it completes, so the events
//! it holds are freed then; only rules with `head`/`tail` pipes hold their
//! sequences to the end (the pipes need them all).

use crate::alert::AlertContext;
use crate::alerts::{group_alerts, Alert};
use crate::kept::{Candidate, Settled, Source, TextStore};
use crate::multi::{cut, first_ordinal, group_docs, sequence_groups, Entry, Group};
use crate::replay::{Created, EventMatch, ReplayCx, Replayed, RuleReplay};
use crate::run::{Engine, Mode, RunOptions};
use crate::sampled::SampleRule;
use crate::sorted::AlertStore;
use ir::Plan;
use matcher::ruleset::{RuleIdx, RuleShape, StageHits};
use matcher::sample::SampleState;
use matcher::{SequenceEngine, SequenceMatch};
use std::sync::{Arc, Mutex};

/// Alerts a shard builds at its end before handing them to the store.
const STORE_EVERY: usize = 1024;

/// A sequence rule that admitted an event, and the stages the event
/// matched (`None`: the rule's engine evaluates them).
pub(crate) type SeqRule = (RuleIdx, Option<StageHits>);

/// Work for a shard, in the order its rules must see it.
pub(crate) enum Work {
    /// A candidate of sequence rules, released in the rules' order.
    Sequence {
        cand: Arc<Candidate>,
        ts: i64,
        rules: Vec<SeqRule>,
    },
    /// A candidate of sample rules (any order: samples use input positions).
    Sample {
        cand: Arc<Candidate>,
        rules: Vec<RuleIdx>,
    },
    /// Replay: a single-event rule's match, in window-time order.
    Match { rule: RuleIdx, m: EventMatch },
    /// Replay: a sequence / sample rule's candidate, in window-time order.
    Entry { rule: RuleIdx, e: Entry },
}

/// Which shard owns each rule.
pub(crate) struct ShardPlan {
    of_rule: Vec<u32>,
    pub shards: usize,
}

impl ShardPlan {
    /// Spreads the rules with state (sequence and sample rules; in replay,
    /// every rule) round-robin over `shards`.
    pub fn new(engine: &Engine, mode: Mode, shards: usize) -> ShardPlan {
        let shards = shards.max(1);
        let mut next = 0usize;
        let of_rule = (0..engine.ruleset().len() as RuleIdx)
            .map(|r| {
                let stateful =
                    mode == Mode::Replay || engine.ruleset().shape(r) != RuleShape::Event;
                if !stateful {
                    return 0;
                }
                next += 1;
                ((next - 1) % shards) as u32
            })
            .collect();
        ShardPlan { of_rule, shards }
    }

    pub fn of(&self, rule: RuleIdx) -> usize {
        self.of_rule[rule as usize] as usize
    }
}

enum RuleState<'e> {
    Sequence {
        engine: SequenceEngine<'e, Arc<Source>>,
        /// Rules with pipes: every sequence, for the pipes at the end.
        held: Option<Vec<SequenceMatch<Arc<Source>>>>,
    },
    Sample(SampleRule<'e>),
    Replay {
        state: RuleReplay,
        created: Created,
    },
}

/// What a shard found besides alerts (they go to the store as they come),
/// with its problems tagged by rule for a stable order.
#[derive(Default)]
pub(crate) struct ShardOut {
    pub executions: u64,
    pub script_errors: u64,
    /// Runs of sample buckets written to disk.
    pub sample_runs: u64,
    /// (rule, message), in the order met for each rule.
    pub problems: Vec<(RuleIdx, String)>,
}

pub(crate) struct Shard<'e> {
    engine: &'e Engine,
    opts: &'e RunOptions<'e>,
    ctx: AlertContext,
    /// Every rule's state, boxed: a rule set's worth of unboxed states
    /// (≈ 420 bytes each) took 0.6 MB per shard, most of them never used
    /// (massif, 16 threads: 10 MB).
    rules: Vec<Option<Box<RuleState<'e>>>>,
    found: Vec<SequenceMatch<Arc<Source>>>,
    alerts: Vec<Alert>,
    store: &'e Mutex<AlertStore>,
    /// The sources this shard's state took, for writing out the oldest.
    settled: Settled,
    texts: &'e Arc<TextStore>,
    out: ShardOut,
}

impl<'e> Shard<'e> {
    pub fn new(
        engine: &'e Engine,
        opts: &'e RunOptions<'e>,
        store: &'e Mutex<AlertStore>,
        texts: &'e Arc<TextStore>,
    ) -> Self {
        Shard {
            engine,
            opts,
            ctx: crate::run::backfill_context(opts),
            rules: (0..engine.ruleset().len()).map(|_| None).collect(),
            found: Vec::new(),
            alerts: Vec::new(),
            store,
            settled: Settled::default(),
            texts,
            out: ShardOut::default(),
        }
    }

    pub fn process(&mut self, work: Vec<Work>) {
        for w in work {
            match w {
                Work::Sequence { cand, ts, rules } => self.sequence(&cand, ts, &rules),
                Work::Sample { cand, rules } => self.sample(&cand, &rules),
                Work::Match { rule, m } => self.replay(rule, Some(Ok(m))),
                Work::Entry { rule, e } => self.replay(rule, Some(Err(e))),
            }
        }
        self.store_alerts();
        self.settled.relieve(self.texts);
    }

    fn store_alerts(&mut self) {
        if self.alerts.is_empty() {
            return;
        }
        if let Ok(mut store) = self.store.lock() {
            store.add(std::mem::take(&mut self.alerts));
        }
    }

    fn sequence(&mut self, cand: &Candidate, ts: i64, rules: &[SeqRule]) {
        // With the stages known, the engines read only join keys.
        let event = if rules.iter().all(|(_, stages)| stages.is_some()) {
            cand.key_event()
        } else {
            cand.event()
        };
        for &(rule, stages) in rules {
            let mut found = std::mem::take(&mut self.found);
            let held = match self.state(rule) {
                Some(RuleState::Sequence { engine, held }) => {
                    let id = cand.source.clone();
                    match stages {
                        Some(hits) => engine.push_matched(id, ts, &event, hits, &mut found),
                        None => engine.push(id, ts, &event, &mut found),
                    }
                    match held {
                        Some(all) => {
                            all.append(&mut found);
                            true
                        }
                        None => false,
                    }
                }
                _ => true,
            };
            if !held && !found.is_empty() {
                let groups = sequence_groups(std::mem::take(&mut found));
                self.alert_groups(rule, groups);
            }
            self.found = found;
        }
        self.settled.take(&cand.source);
    }

    fn sample(&mut self, cand: &Candidate, rules: &[RuleIdx]) {
        let event = cand.event();
        let texts = self.texts;
        for &rule in rules {
            if let Some(RuleState::Sample(sample)) = self.state(rule) {
                sample
                    .state()
                    .push(cand.source.ordinal, &cand.source, &event);
                sample.bound(texts);
            }
        }
        self.settled.take(&cand.source);
    }

    /// Feeds a replayed rule (`None`: the end of its input).
    fn replay(&mut self, rule: RuleIdx, item: Option<Result<EventMatch, Entry>>) {
        let (engine, opts) = (self.engine, self.opts);
        let cx = ReplayCx {
            ruleset: engine.ruleset(),
            rule,
            meta: &engine.meta()[rule as usize],
            kibana_version: &opts.kibana_version,
            space_id: &opts.space_id,
        };
        let mut replayed = Replayed::default();
        if let Some(RuleState::Replay { state, created }) = self.state(rule) {
            match item {
                Some(Ok(m)) => cx.feed_events(state, created, Some(m), &mut replayed),
                Some(Err(e)) => cx.feed_groups(state, created, Some(e), &mut replayed),
                None => {
                    cx.feed_events(state, created, None, &mut replayed);
                    cx.feed_groups(state, created, None, &mut replayed);
                }
            }
        }
        self.absorb(rule, replayed);
    }

    fn absorb(&mut self, rule: RuleIdx, r: Replayed) {
        self.alerts.extend(r.alerts);
        self.out.executions += r.executions;
        self.out.script_errors += r.script_errors as u64;
        self.out
            .problems
            .extend(r.problems.into_iter().map(|p| (rule, p)));
    }

    /// The rule's state, created on first use.
    fn state(&mut self, rule: RuleIdx) -> Option<&mut RuleState<'e>> {
        let engine = self.engine;
        let slot = self.rules.get_mut(rule as usize)?;
        if slot.is_none() {
            *slot = new_state(engine, self.opts, rule).map(Box::new);
        }
        slot.as_deref_mut()
    }

    /// Alerts of completed sequences or samples of `rule`.
    fn alert_groups(&mut self, rule: RuleIdx, groups: Vec<Group>) {
        let meta = &self.engine.meta()[rule as usize];
        for group in groups {
            let ordinal = first_ordinal(&group);
            let built = group_docs(&group).and_then(|docs| {
                group_alerts(rule, meta, &self.ctx, docs, ordinal).map_err(|e| e.to_string())
            });
            match built {
                Ok(alerts) => self.alerts.extend(alerts),
                Err(e) => self
                    .out
                    .problems
                    .push((rule, format!("{}: {e}", meta.name))),
            }
        }
    }

    /// A sample rule's alerts: built and stored as its samples come (they
    /// may be many), unless pipes need them all first.
    fn finish_sample(&mut self, rule: RuleIdx, sample: SampleRule<'e>) {
        let pipes = &self.engine.ruleset().rule(rule).plan.pipes;
        let mut all = Vec::new();
        let texts = self.texts;
        let done = sample.finish(texts, |group| {
            if pipes.is_empty() {
                self.alert_groups(rule, vec![group]);
                if self.alerts.len() >= STORE_EVERY {
                    self.store_alerts();
                }
            } else {
                all.push(group);
            }
        });
        self.alert_groups(rule, cut(all, pipes, None));
        if let Err(e) = done {
            let name = &self.engine.meta()[rule as usize].name;
            self.out.problems.push((rule, format!("{name}: {e}")));
        }
    }

    /// Ends every rule: pending sequences, samples, last replay executions.
    pub fn finish(mut self) -> ShardOut {
        for rule in 0..self.rules.len() as RuleIdx {
            let Some(state) = self.rules[rule as usize].take() else {
                continue;
            };
            match *state {
                RuleState::Sequence { mut engine, held } => {
                    let mut found = held.unwrap_or_default();
                    engine.finish(&mut found);
                    self.out.script_errors += engine.error_count() as u64;
                    let pipes = &self.engine.ruleset().rule(rule).plan.pipes;
                    let groups = cut(sequence_groups(found), pipes, None);
                    self.alert_groups(rule, groups);
                }
                RuleState::Sample(sample) => {
                    if let Some(e) = &sample.error {
                        let name = &self.engine.meta()[rule as usize].name;
                        let problem = format!("{name}: samples kept in memory: {e}");
                        self.out.problems.push((rule, problem));
                    }
                    self.out.sample_runs += sample.runs_written;
                    let errors = sample.error_count() as u64;
                    self.out.script_errors += errors;
                    self.finish_sample(rule, sample);
                }
                replay @ RuleState::Replay { .. } => {
                    self.rules[rule as usize] = Some(Box::new(replay));
                    self.replay(rule, None);
                    self.rules[rule as usize] = None;
                }
            }
            self.store_alerts();
            // Finishing builds many alerts at once: free pages go back as
            // they would while the input streamed.
            (self.opts.release_memory)();
        }
        self.out
    }
}

fn new_state<'e>(
    engine: &'e Engine,
    opts: &RunOptions<'_>,
    rule: RuleIdx,
) -> Option<RuleState<'e>> {
    let mode = opts.mode;
    let compiled = engine.ruleset().rule(rule);
    let meta = &engine.meta()[rule as usize];
    if mode == Mode::Replay {
        let state = match compiled.plan.plan {
            Plan::Event(_) => RuleReplay::events(&meta.schedule),
            _ => RuleReplay::groups(&meta.schedule),
        };
        return Some(RuleState::Replay {
            state,
            created: Created::default(),
        });
    }
    match &compiled.plan.plan {
        Plan::Sequence(plan) => Some(RuleState::Sequence {
            engine: SequenceEngine::new(plan, compiled.category_field),
            held: (!compiled.plan.pipes.is_empty()).then(Vec::new),
        }),
        Plan::Sample(plan) => Some(RuleState::Sample(SampleRule::new(
            SampleState::new(plan, compiled.category_field, 1),
            opts.held_memory / 8,
            opts.temp_dir(),
        ))),
        Plan::Event(_) => None,
    }
}
