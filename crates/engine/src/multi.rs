//! Sequence and sample rules over their kept stage candidates.
//!
//! While events stream, an event that matches a stage (or `until`) of a
//! sequence or sample rule is kept once as a [`Candidate`]: its ordinal, the
//! fields those rules read ([`matcher::ruleset::RuleSet::compact`]), its index,
//! id and JSON text (for the alert). Each rule gets an [`Entry`] per candidate
//! with the rule's window time and EQL ordering. At the end each rule's
//! entries are sorted as Elasticsearch's EQL orders hits (timestamp field,
//! tiebreaker, then input order — the input need not be sorted) and fed to the
//! rule's [`matcher::SequenceEngine`] (samples: [`matcher::sample::run`] in
//! input order). Memory is the candidates, not the input.

use crate::alert::SourceDoc;
use event::Event;
use ir::{Pipe, Plan};
use matcher::ruleset::{RuleIdx, RuleSet};
use matcher::{KeyValue, SequenceEngine, SequenceMatch};
use std::cmp::Ordering;
use std::sync::Arc;

/// An event kept for sequence / sample rules.
#[derive(Debug)]
pub(crate) struct Candidate {
    pub ordinal: u64,
    pub event: Event<'static>,
    pub index: Arc<str>,
    /// The hit's `_id`, if the event was one.
    pub id: Option<Box<str>>,
    pub source: Box<str>,
}

impl Candidate {
    pub fn doc(&self) -> Result<SourceDoc, String> {
        let id = crate::index::document_id(self.id.as_deref(), &self.source);
        crate::alerts::source_doc(&self.index, &id, &self.source)
    }
}

/// One candidate as one rule sees it.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub cand: u32,
    pub ordinal: u64,
    /// The rule's window time (`timestamp_override` / fallback).
    pub time: i64,
    /// EQL ordering: `timestamp_field`, `tiebreaker_field`.
    pub order_ts: Option<i64>,
    pub tiebreaker: Option<KeyValue>,
}

/// The input position of a group's first event.
pub(crate) fn first_ordinal(group: &[u32], candidates: &[Candidate]) -> u64 {
    group
        .iter()
        .map(|&c| candidates[c as usize].ordinal)
        .min()
        .unwrap_or(u64::MAX)
}

/// EQL order: timestamp, tiebreaker (missing last), input order.
pub(crate) fn eql_order(a: &Entry, b: &Entry) -> Ordering {
    missing_last(&a.order_ts, &b.order_ts)
        .then_with(|| missing_last(&a.tiebreaker, &b.tiebreaker))
        .then_with(|| a.ordinal.cmp(&b.ordinal))
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
/// (candidate indices, in stage order), in result order; and how many script
/// errors were met (those events did not match).
pub(crate) struct GroupResult {
    pub groups: Vec<Vec<u32>>,
    pub error_count: usize,
}

/// Runs rule `idx` over `entries` (any order); pipes, then at most `size`.
pub(crate) fn run_groups(
    ruleset: &RuleSet,
    idx: RuleIdx,
    entries: &[Entry],
    candidates: &[Candidate],
    size: Option<usize>,
) -> GroupResult {
    let rule = ruleset.rule(idx);
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    match &rule.plan.plan {
        Plan::Sequence(plan) => {
            sorted.sort_by(|a, b| eql_order(a, b));
            let mut engine = SequenceEngine::new(plan, rule.category_field);
            let mut found: Vec<SequenceMatch> = Vec::new();
            for e in sorted {
                // Sequence searches need a timestamp; events without one take no part.
                if let Some(ts) = e.order_ts {
                    let c = &candidates[e.cand as usize];
                    engine.push(e.cand as usize, ts, &c.event, &mut found);
                }
            }
            engine.finish(&mut found);
            found.sort_by(|a, b| {
                a.completed_at
                    .cmp(&b.completed_at)
                    .then_with(|| a.join_keys.cmp(&b.join_keys))
            });
            let groups = found
                .into_iter()
                .map(|m| m.events.into_iter().flatten().map(|c| c as u32).collect())
                .collect();
            GroupResult {
                groups: cut(groups, &rule.plan.pipes, size),
                error_count: engine.error_count(),
            }
        }
        Plan::Sample(plan) => {
            sorted.sort_by_key(|e| e.ordinal);
            let input: Vec<(usize, &Event<'_>)> = sorted
                .iter()
                .map(|e| (e.cand as usize, &candidates[e.cand as usize].event))
                .collect();
            let (found, errors) = matcher::sample::run(plan, &input, rule.category_field, 1, None);
            let groups = found
                .into_iter()
                .map(|m| m.events.into_iter().map(|c| c as u32).collect())
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
