//! Sequence and sample rules over a set of kept candidates at once: what a
//! replayed execution does with the candidates of its window
//! ([`crate::replay`]). Backfill feeds the same engines one event at a time
//! instead ([`crate::shard`]).
//!
//! Entries are sorted as Elasticsearch's EQL orders hits (timestamp field,
//! tiebreaker, then input order) and fed to the rule's
//! [`matcher::SequenceEngine`]; samples go to [`matcher::sample::run`] in
//! input order.

use crate::alert::SourceDoc;
use crate::kept::{Candidate, Source};
use event::Event;
use ir::{Pipe, Plan};
use matcher::ruleset::{RuleIdx, RuleSet};
use matcher::{KeyValue, SequenceEngine, SequenceMatch};
use std::cmp::Ordering;
use std::sync::Arc;

/// One candidate as one rule sees it.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub cand: Arc<Candidate>,
    /// The rule's window time (`timestamp_override` / fallback).
    pub time: i64,
    /// EQL ordering: `timestamp_field`, `tiebreaker_field`.
    pub order_ts: Option<i64>,
    pub tiebreaker: Option<KeyValue>,
}

impl Entry {
    pub fn ordinal(&self) -> u64 {
        self.cand.source.ordinal
    }
}

/// The events of one sequence or sample, in stage order.
pub(crate) type Group = Vec<Arc<Source>>;

/// The input position of a group's first event.
pub(crate) fn first_ordinal(group: &[Arc<Source>]) -> u64 {
    group.iter().map(|s| s.ordinal).min().unwrap_or(u64::MAX)
}

/// The group's events as the alert builder takes them.
pub(crate) fn group_docs(group: &[Arc<Source>]) -> Result<Vec<SourceDoc>, String> {
    group.iter().map(|s| s.doc()).collect()
}

/// EQL order: timestamp, tiebreaker (missing last), input order.
pub(crate) fn eql_order(a: &Entry, b: &Entry) -> Ordering {
    missing_last(&a.order_ts, &b.order_ts)
        .then_with(|| missing_last(&a.tiebreaker, &b.tiebreaker))
        .then_with(|| a.ordinal().cmp(&b.ordinal()))
}

pub(crate) fn missing_last<T: Ord>(a: &Option<T>, b: &Option<T>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// The result of one rule over some entries: each match's present events
/// (in stage order), in result order; and how many script errors were met
/// (those events did not match).
pub(crate) struct GroupResult {
    pub groups: Vec<Group>,
    pub error_count: usize,
}

/// Sequences in Elasticsearch's result order: completion, then join keys.
pub(crate) fn sequence_groups(mut found: Vec<SequenceMatch<Arc<Source>>>) -> Vec<Group> {
    found.sort_by(|a, b| {
        a.completed_at
            .cmp(&b.completed_at)
            .then_with(|| a.join_keys.cmp(&b.join_keys))
    });
    found
        .into_iter()
        .map(|m| m.events.into_iter().flatten().collect())
        .collect()
}

/// Runs rule `idx` over `entries` (any order); pipes, then at most `size`.
pub(crate) fn run_groups(
    ruleset: &RuleSet,
    idx: RuleIdx,
    entries: &[Entry],
    size: Option<usize>,
) -> GroupResult {
    let rule = ruleset.rule(idx);
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    match &rule.plan.plan {
        Plan::Sequence(plan) => {
            sorted.sort_by(|a, b| eql_order(a, b));
            let mut engine = SequenceEngine::new(plan, rule.category_field);
            let mut found = Vec::new();
            for e in sorted {
                // Sequence searches need a timestamp; events without one take no part.
                if let Some(ts) = e.order_ts {
                    engine.push(e.cand.source.clone(), ts, &e.cand.event(), &mut found);
                }
            }
            engine.finish(&mut found);
            GroupResult {
                groups: cut(sequence_groups(found), &rule.plan.pipes, size),
                error_count: engine.error_count(),
            }
        }
        Plan::Sample(plan) => {
            sorted.sort_by_key(|e| e.ordinal());
            let views: Vec<Event<'_>> = sorted.iter().map(|e| e.cand.event()).collect();
            let input: Vec<(usize, &Event<'_>)> = views.iter().enumerate().collect();
            let (found, errors) = matcher::sample::run(plan, &input, rule.category_field, 1, None);
            let groups = found
                .into_iter()
                .map(|m| {
                    m.events
                        .into_iter()
                        .map(|i| sorted[i].cand.source.clone())
                        .collect()
                })
                .collect();
            GroupResult {
                groups: cut(groups, &rule.plan.pipes, size),
                error_count: errors.len(),
            }
        }
        Plan::Event(_) => GroupResult {
            groups: Vec::new(),
            error_count: 0,
        },
    }
}

/// Applies `head` / `tail` pipes in order, then keeps at most `size` from the head.
pub(crate) fn cut<T>(mut items: Vec<T>, pipes: &[Pipe], size: Option<usize>) -> Vec<T> {
    for pipe in pipes {
        match *pipe {
            Pipe::Head(n) => items.truncate(usize::try_from(n).unwrap_or(usize::MAX)),
            Pipe::Tail(n) => {
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                let drop = items.len().saturating_sub(n);
                items.drain(..drop);
            }
        }
    }
    if let Some(n) = size {
        items.truncate(n);
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipes_then_size() {
        let v: Vec<u32> = (0..10).collect();
        assert_eq!(cut(v.clone(), &[Pipe::Tail(4)], Some(2)), vec![6, 7]);
        assert_eq!(cut(v, &[Pipe::Head(3)], None), vec![0, 1, 2]);
    }
}
