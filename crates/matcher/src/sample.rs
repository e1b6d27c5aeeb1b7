//! Samples (`sample by …`), with the semantics of Elasticsearch's
//! `SampleIterator` and `SampleQueryRequest`
//! (`x-pack/plugin/eql/src/main/java/org/elasticsearch/xpack/eql/execution/sample/`):
//!
//! - join keys are composite-aggregation buckets over each stage's key
//!   fields: one bucket per combination of doc values (multi-valued fields
//!   give several), a missing optional key is a `null` bucket, a missing
//!   non-optional key puts the event in no bucket;
//! - only keys present in every stage give samples, in ascending key order
//!   (composite order: `null` first, then by value);
//! - for each key, each stage contributes its first `stages +
//!   max_samples_per_key − 1` events in index order (no timestamp needed);
//! - samples are the combinations of one event per stage, all distinct,
//!   enumerated depth-first (`matchSamples`), at most `max_samples_per_key`
//!   per key.
//!
//! A sample needs the whole input (its keys are only known at the end), so
//! unlike sequences this runs over a batch.

use event::{Event, FieldId};
use ir::SamplePlan;
use std::collections::BTreeMap;

use crate::error::EvalError;
use crate::order::in_category;
use crate::sequence::key_tuples;
use crate::values::KeyValue;

/// One sample: its join keys and one event per stage.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleMatch {
    pub join_keys: Vec<KeyValue>,
    pub events: Vec<usize>,
}

/// Runs a sample plan over `events` (given in index order). Stops after
/// `limit` samples. Script errors are reported and count as no match.
pub fn run(
    plan: &SamplePlan,
    events: &[(usize, &Event<'_>)],
    category_field: FieldId,
    max_samples_per_key: usize,
    limit: Option<usize>,
) -> (Vec<SampleMatch>, Vec<(usize, EvalError)>) {
    let stages = plan.stages.len();
    let mut errors = Vec::new();
    if stages == 0 || limit == Some(0) {
        return (Vec::new(), errors);
    }
    let per_stage = stages + max_samples_per_key.max(1) - 1;
    // key → per-stage candidate events (index order, capped).
    let mut buckets: BTreeMap<Vec<KeyValue>, Vec<Vec<usize>>> = BTreeMap::new();
    for (s, stage) in plan.stages.iter().enumerate() {
        for &(id, event) in events {
            if !in_category(&stage.query, event, category_field) {
                continue;
            }
            match crate::pred::eval(&stage.query.condition, event) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    errors.push((id, e));
                    continue;
                }
            }
            for key in key_tuples(&stage.keys, event) {
                let lists = buckets
                    .entry(key)
                    .or_insert_with(|| vec![Vec::new(); stages]);
                if lists[s].len() < per_stage && !lists[s].contains(&id) {
                    lists[s].push(id);
                }
            }
        }
    }
    let mut out = Vec::new();
    for (key, lists) in buckets {
        if lists.iter().any(Vec::is_empty) {
            continue;
        }
        for sample in match_samples(&lists, max_samples_per_key.max(1)) {
            out.push(SampleMatch {
                join_keys: key.clone(),
                events: sample,
            });
            if limit.is_some_and(|l| out.len() >= l) {
                return (out, errors);
            }
        }
    }
    (out, errors)
}

/// `SampleIterator.matchSamples`: depth-first combinations of one distinct
/// event per stage, at most `max` of them.
fn match_samples(lists: &[Vec<usize>], max: usize) -> Vec<Vec<usize>> {
    fn walk(
        stage: usize,
        lists: &[Vec<usize>],
        partial: &mut Vec<usize>,
        out: &mut Vec<Vec<usize>>,
        max: usize,
    ) {
        for &e in &lists[stage] {
            if out.len() == max {
                return;
            }
            if partial.contains(&e) {
                continue;
            }
            partial.push(e);
            if stage + 1 == lists.len() {
                out.push(partial.clone());
            } else {
                walk(stage + 1, lists, partial, out, max);
            }
            partial.pop();
        }
    }
    let mut out = Vec::new();
    walk(
        0,
        lists,
        &mut Vec::with_capacity(lists.len()),
        &mut out,
        max,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_samples_picks_distinct_documents_depth_first() {
        // The examples of SampleIterator.matchSamples' javadoc.
        let lists = vec![vec![1, 2, 3], vec![4, 5], vec![4, 5, 3]];
        assert_eq!(match_samples(&lists, 1), vec![vec![1, 4, 5]]);
        assert_eq!(
            match_samples(&lists, 3),
            vec![vec![1, 4, 5], vec![1, 4, 3], vec![1, 5, 4]]
        );
        let none = vec![vec![1, 1], vec![1, 1, 1], vec![1, 1, 3]];
        assert!(match_samples(&none, 5).is_empty());
    }
}
