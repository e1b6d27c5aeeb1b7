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
//! unlike sequences this runs over a batch: [`run`]. [`SampleState`] is the
//! same in streaming form for callers that cannot hold the input: events may
//! come in any order with their input position, and per join key and stage
//! only the first `stages + max_samples_per_key − 1` (by position) are kept,
//! so memory is O(keys × stages²), not the input.

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

/// A sample found by [`SampleState`]: the handles pushed for its events.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamedSample<T> {
    pub join_keys: Vec<KeyValue>,
    pub events: Vec<T>,
}

/// Per join key, per stage: the first (position, handle)s, sorted by
/// position.
pub type Buckets<T> = BTreeMap<Vec<KeyValue>, Vec<Vec<(u64, T)>>>;

/// The buckets of one sample plan, fed one event at a time (see the module
/// docs): the result of [`SampleState::finish`] equals [`run`]'s over the
/// events in position order.
///
/// A caller short of memory may [`SampleState::take_buckets`] at any time,
/// put them aside, and at the end combine every part of a key's bucket with
/// [`SampleState::merge_into`] and judge it with [`SampleState::samples_of`]:
/// the result is the same, because each stage keeps the first events by
/// position whatever the order they came in.
pub struct SampleState<'p, T> {
    plan: &'p SamplePlan,
    category_field: FieldId,
    max_samples_per_key: usize,
    per_stage: usize,
    /// key → per stage, (position, handle) sorted by position, at most `per_stage`.
    buckets: Buckets<T>,
    error_count: usize,
}

impl<'p, T: Clone> SampleState<'p, T> {
    pub fn new(plan: &'p SamplePlan, category_field: FieldId, max_samples_per_key: usize) -> Self {
        let max = max_samples_per_key.max(1);
        SampleState {
            plan,
            category_field,
            max_samples_per_key: max,
            per_stage: plan.stages.len() + max - 1,
            buckets: BTreeMap::new(),
            error_count: 0,
        }
    }

    /// Script errors met (those events did not match the stage).
    pub fn error_count(&self) -> usize {
        self.error_count
    }

    /// Join keys with a bucket (for memory accounting).
    pub fn keys(&self) -> usize {
        self.buckets.len()
    }

    /// Offers the event at input `position` (unique per event) to every stage.
    pub fn push(&mut self, position: u64, handle: &T, event: &Event<'_>) {
        let stages = self.plan.stages.len();
        for (s, stage) in self.plan.stages.iter().enumerate() {
            if !in_category(&stage.query, event, self.category_field) {
                continue;
            }
            match crate::pred::eval(&stage.query.condition, event) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(_) => {
                    self.error_count += 1;
                    continue;
                }
            }
            for key in key_tuples(&stage.keys, event) {
                let lists = self
                    .buckets
                    .entry(key)
                    .or_insert_with(|| vec![Vec::new(); stages]);
                keep_first(&mut lists[s], self.per_stage, position, handle);
            }
        }
    }

    /// The buckets so far.
    pub fn buckets(&self) -> &Buckets<T> {
        &self.buckets
    }

    /// The buckets so far, leaving none.
    pub fn take_buckets(&mut self) -> Buckets<T> {
        std::mem::take(&mut self.buckets)
    }

    /// Adds the events of `part` (one key's per-stage lists, taken earlier
    /// or later) to `lists`, keeping each stage's first by position.
    pub fn merge_into(&self, lists: &mut Vec<Vec<(u64, T)>>, part: Vec<Vec<(u64, T)>>) {
        if lists.is_empty() {
            *lists = part;
            return;
        }
        for (list, more) in lists.iter_mut().zip(part) {
            for (position, handle) in more {
                keep_first(list, self.per_stage, position, &handle);
            }
        }
    }

    /// The samples of one key's complete bucket (none if a stage is empty).
    pub fn samples_of(&self, key: &[KeyValue], lists: &[Vec<(u64, T)>]) -> Vec<StreamedSample<T>> {
        if lists.len() != self.plan.stages.len() || lists.iter().any(Vec::is_empty) {
            return Vec::new();
        }
        let positions: Vec<Vec<usize>> = lists
            .iter()
            .map(|l| l.iter().map(|(p, _)| *p as usize).collect())
            .collect();
        match_samples(&positions, self.max_samples_per_key)
            .into_iter()
            .map(|sample| StreamedSample {
                join_keys: key.to_vec(),
                events: sample
                    .iter()
                    .zip(lists)
                    .filter_map(|(p, l)| l.iter().find(|(q, _)| *q as usize == *p))
                    .map(|(_, h)| h.clone())
                    .collect(),
            })
            .collect()
    }

    /// The samples, in key order, at most `limit`.
    pub fn finish(mut self, limit: Option<usize>) -> Vec<StreamedSample<T>> {
        let mut out = Vec::new();
        if limit == Some(0) {
            return out;
        }
        for (key, lists) in self.take_buckets() {
            for sample in self.samples_of(&key, &lists) {
                out.push(sample);
                if limit.is_some_and(|l| out.len() >= l) {
                    return out;
                }
            }
        }
        out
    }
}

/// Inserts (position, handle) into `list` (sorted by position) unless there,
/// keeping the first `cap`.
fn keep_first<T: Clone>(list: &mut Vec<(u64, T)>, cap: usize, position: u64, handle: &T) {
    let at = match list.binary_search_by_key(&position, |(p, _)| *p) {
        Ok(_) => return,
        Err(at) => at,
    };
    if at >= cap {
        return;
    }
    list.insert(at, (position, handle.clone()));
    list.truncate(cap);
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

#[cfg(test)]
mod streaming_tests {
    use super::*;
    use crate::testutil::Fx;
    use ir::{Category, EventQuery, JoinKey, Pred, SampleStage, Test};

    fn stage(fx: &mut Fx, value: &str) -> SampleStage {
        let v = fx.f("v");
        SampleStage {
            query: EventQuery {
                category: Category::Any,
                condition: Pred::field(
                    v,
                    Test::Terms {
                        values: vec![value.to_string()],
                        case_insensitive: false,
                    },
                ),
            },
            keys: vec![JoinKey {
                field: fx.f("k"),
                optional: true,
            }],
        }
    }

    /// Pushed in any order with their positions, the streaming buckets give
    /// what `run` gives over the events in position order.
    #[test]
    fn streaming_equals_batch_in_any_arrival_order() {
        let mut fx =
            Fx::new(r#"{"cat":{"type":"keyword"},"v":{"type":"keyword"},"k":{"type":"keyword"}}"#);
        let cat = fx.f("cat").id;
        let plan = SamplePlan {
            stages: vec![
                stage(&mut fx, "a"),
                stage(&mut fx, "b"),
                stage(&mut fx, "a"),
            ],
        };
        let docs = [
            r#"{"v":"a","k":"x"}"#,
            r#"{"v":"b","k":"x"}"#,
            r#"{"v":"a","k":"y"}"#,
            r#"{"v":"a","k":"x"}"#,
            r#"{"v":"b","k":["y","x"]}"#,
            r#"{"v":"a"}"#,
            r#"{"v":"b"}"#,
            r#"{"v":"a","k":"y"}"#,
            r#"{"v":"a","k":"x"}"#,
            r#"{"v":"a"}"#,
        ];
        let events: Vec<Event<'static>> = docs.iter().map(|d| fx.ev(d)).collect();
        let input: Vec<(usize, &Event<'_>)> = events.iter().enumerate().collect();
        for max in [1, 2, 3] {
            let (expected, _) = run(&plan, &input, cat, max, None);
            assert!(!expected.is_empty());
            // Reversed, and every third first: arrival order must not matter.
            let orders: [Vec<usize>; 2] = [
                (0..docs.len()).rev().collect(),
                (0..docs.len())
                    .filter(|i| i % 3 == 0)
                    .chain((0..docs.len()).filter(|i| i % 3 != 0))
                    .collect(),
            ];
            for order in orders {
                let mut state = SampleState::new(&plan, cat, max);
                for i in order {
                    state.push(i as u64, &i, &events[i]);
                }
                let got: Vec<SampleMatch> = state
                    .finish(None)
                    .into_iter()
                    .map(|s| SampleMatch {
                        join_keys: s.join_keys,
                        events: s.events,
                    })
                    .collect();
                assert_eq!(got, expected, "max_samples_per_key {max}");
            }
        }
    }

    /// Buckets taken out every few events (as a caller short of memory
    /// does) and merged back per key at the end give the same samples.
    #[test]
    fn buckets_taken_in_parts_and_merged_give_the_same_samples() {
        let mut fx =
            Fx::new(r#"{"cat":{"type":"keyword"},"v":{"type":"keyword"},"k":{"type":"keyword"}}"#);
        let cat = fx.f("cat").id;
        let plan = SamplePlan {
            stages: vec![stage(&mut fx, "a"), stage(&mut fx, "b")],
        };
        let docs = [
            r#"{"v":"b","k":"x"}"#,
            r#"{"v":"a","k":"y"}"#,
            r#"{"v":"a","k":"x"}"#,
            r#"{"v":"a","k":"x"}"#,
            r#"{"v":"b","k":"y"}"#,
            r#"{"v":"b","k":"z"}"#,
            r#"{"v":"b","k":"x"}"#,
            r#"{"v":"a","k":"z"}"#,
        ];
        let events: Vec<Event<'static>> = docs.iter().map(|d| fx.ev(d)).collect();
        for max in [1, 2] {
            let mut whole = SampleState::new(&plan, cat, max);
            let mut parted = SampleState::new(&plan, cat, max);
            let mut parts: Vec<Buckets<usize>> = Vec::new();
            for (i, e) in events.iter().enumerate().rev() {
                whole.push(i as u64, &i, e);
                parted.push(i as u64, &i, e);
                if i % 3 == 0 {
                    parts.push(parted.take_buckets());
                }
            }
            parts.push(parted.take_buckets());
            let mut merged: Buckets<usize> = BTreeMap::new();
            for part in parts {
                for (key, lists) in part {
                    parted.merge_into(merged.entry(key).or_default(), lists);
                }
            }
            let got: Vec<StreamedSample<usize>> = merged
                .iter()
                .flat_map(|(k, l)| parted.samples_of(k, l))
                .collect();
            let expected = whole.finish(None);
            assert_eq!(expected.len(), if max == 1 { 3 } else { 4 });
            assert_eq!(got, expected, "max_samples_per_key {max}");
        }
    }
}
