//! Running a whole query ([`ir::QueryPlan`]) over a set of events, as the
//! Elasticsearch EQL search API does: events are ordered (timestamp,
//! tiebreaker, input order), the plan selects events, sequences or samples,
//! then the pipes (`head` / `tail`) and the request's `size` /
//! `result_position` cut the result.

use event::FieldId;
use ir::{Pipe, Plan, QueryPlan};

use crate::error::EvalError;
use crate::order::{in_category, sorted_indices, EventRecord};
use crate::sample::{self, SampleMatch};
use crate::sequence::{SequenceEngine, SequenceMatch};
use crate::values::KeyValue;

/// Which end of the results `size` keeps (`result_position`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResultPosition {
    #[default]
    Head,
    Tail,
}

/// Request options (the EQL search API's parameters).
#[derive(Debug, Clone)]
pub struct ExecContext {
    /// The event category field (`event_category_field`, usually `event.category`).
    pub category_field: FieldId,
    /// At most this many results (`size`; Elasticsearch defaults to 10,
    /// `None` keeps all).
    pub size: Option<usize>,
    /// Samples per join key (`max_samples_per_key`, default 1).
    pub max_samples_per_key: usize,
    pub result_position: ResultPosition,
}

impl ExecContext {
    pub fn new(category_field: FieldId) -> Self {
        ExecContext {
            category_field,
            size: None,
            max_samples_per_key: 1,
            result_position: ResultPosition::Head,
        }
    }
}

/// A sequence in the result: indices into the input slice (`None` for a
/// missing-event stage).
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceHit {
    pub join_keys: Vec<KeyValue>,
    pub events: Vec<Option<usize>>,
}

/// A sample in the result: one input index per stage.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleHit {
    pub join_keys: Vec<KeyValue>,
    pub events: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum QueryResult {
    /// Indices into the input slice, in query order.
    Events(Vec<usize>),
    Sequences(Vec<SequenceHit>),
    Samples(Vec<SampleHit>),
}

/// The result and the script errors met (events where a script failed did
/// not match; Elasticsearch would have failed the search).
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOutcome {
    pub result: QueryResult,
    /// (input index, error), at most 100 kept.
    pub errors: Vec<(usize, EvalError)>,
    pub error_count: usize,
}

const MAX_KEPT_ERRORS: usize = 100;

/// Runs `plan` over `events`.
pub fn run(plan: &QueryPlan, ctx: &ExecContext, events: &[EventRecord<'_>]) -> QueryOutcome {
    let order = sorted_indices(events);
    let mut errors = Vec::new();
    let mut error_count = 0usize;
    let mut note = |id: usize, e: EvalError| {
        error_count += 1;
        if errors.len() < MAX_KEPT_ERRORS {
            errors.push((id, e));
        }
    };
    let result = match &plan.plan {
        Plan::Event(q) => {
            let mut hits = Vec::new();
            for &i in &order {
                let ev = &events[i].event;
                if !in_category(q, ev, ctx.category_field) {
                    continue;
                }
                match crate::pred::eval(&q.condition, ev) {
                    Ok(true) => hits.push(i),
                    Ok(false) => {}
                    Err(e) => note(i, e),
                }
            }
            QueryResult::Events(cut(hits, &plan.pipes, ctx))
        }
        Plan::Sequence(seq) => {
            let mut engine = SequenceEngine::new(seq, ctx.category_field);
            let mut found: Vec<SequenceMatch> = Vec::new();
            for &i in &order {
                // Sequence queries are bounded by a timestamp range: events
                // without a timestamp take no part.
                if let Some(ts) = events[i].timestamp {
                    engine.push(i, ts, &events[i].event, &mut found);
                }
            }
            engine.finish(&mut found);
            for (i, e) in engine.errors() {
                note(*i, e.clone());
            }
            error_count += engine.error_count().saturating_sub(engine.errors().len());
            found.sort_by(|a, b| {
                a.completed_at
                    .cmp(&b.completed_at)
                    .then_with(|| a.join_keys.cmp(&b.join_keys))
            });
            let hits = found
                .into_iter()
                .map(|m| SequenceHit {
                    join_keys: m.join_keys,
                    events: m.events,
                })
                .collect();
            QueryResult::Sequences(cut(hits, &plan.pipes, ctx))
        }
        Plan::Sample(s) => {
            // Samples read events in index (input) order, not time order.
            let input: Vec<(usize, &event::Event<'_>)> = events
                .iter()
                .enumerate()
                .map(|(i, r)| (i, &r.event))
                .collect();
            let (found, errs) =
                sample::run(s, &input, ctx.category_field, ctx.max_samples_per_key, None);
            for (i, e) in errs {
                note(i, e);
            }
            let hits = found
                .into_iter()
                .map(|SampleMatch { join_keys, events }| SampleHit { join_keys, events })
                .collect();
            QueryResult::Samples(cut(hits, &plan.pipes, ctx))
        }
    };
    QueryOutcome {
        result,
        errors,
        error_count,
    }
}

/// Applies the pipes in order, then `size` at `result_position`.
fn cut<T>(mut items: Vec<T>, pipes: &[Pipe], ctx: &ExecContext) -> Vec<T> {
    for pipe in pipes {
        items = match *pipe {
            Pipe::Head(n) => head(items, n as usize),
            Pipe::Tail(n) => tail(items, n as usize),
        };
    }
    match (ctx.size, ctx.result_position) {
        (Some(n), ResultPosition::Head) => head(items, n),
        (Some(n), ResultPosition::Tail) => tail(items, n),
        (None, _) => items,
    }
}

fn head<T>(mut items: Vec<T>, n: usize) -> Vec<T> {
    items.truncate(n);
    items
}

fn tail<T>(mut items: Vec<T>, n: usize) -> Vec<T> {
    let drop = items.len().saturating_sub(n);
    items.drain(..drop);
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Fx;
    use ir::{ArithOp, Category, EventQuery, Expr, Pred, SamplePlan, SampleStage, Val};

    fn setup() -> (Fx, ir::FieldRef, ir::FieldRef) {
        let mut fx = Fx::new(
            r#"{"cat":{"type":"keyword"},"ts":{"type":"date"},"n":{"type":"long"},"k":{"type":"keyword"}}"#,
        );
        let ts = fx.f("ts");
        let n = fx.f("n");
        fx.f("cat");
        fx.f("k");
        (fx, ts, n)
    }

    fn records(
        fx: &Fx,
        ts: &ir::FieldRef,
        n: &ir::FieldRef,
        docs: &[&str],
    ) -> Vec<EventRecord<'static>> {
        docs.iter()
            .enumerate()
            .map(|(i, d)| EventRecord::new(i as u64, fx.ev(d), ts, Some(n)))
            .collect()
    }

    fn any_where(cond: Pred) -> QueryPlan {
        QueryPlan {
            plan: Plan::Event(EventQuery {
                category: Category::Any,
                condition: cond,
            }),
            pipes: vec![],
        }
    }

    #[test]
    fn events_are_ordered_by_timestamp_then_tiebreaker_then_input_missing_last() {
        let (fx, ts, n) = setup();
        let docs = [
            r#"{"ts":5,"n":1}"#,
            r#"{"n":0}"#,
            r#"{"ts":1,"n":9}"#,
            r#"{"ts":1,"n":2}"#,
            r#"{"ts":1}"#,
        ];
        let ev = records(&fx, &ts, &n, &docs);
        let ctx = ExecContext::new(fx.reg.get("cat").unwrap());
        let out = run(&any_where(Pred::Const(true)), &ctx, &ev);
        assert_eq!(out.result, QueryResult::Events(vec![3, 2, 4, 0, 1]));
    }

    #[test]
    fn pipes_then_size_at_result_position() {
        let (fx, ts, n) = setup();
        let docs: Vec<String> = (0..10)
            .map(|i| format!(r#"{{"ts":{i},"n":{i}}}"#))
            .collect();
        let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
        let ev = records(&fx, &ts, &n, &refs);
        let mut ctx = ExecContext::new(fx.reg.get("cat").unwrap());
        let mut plan = any_where(Pred::Const(true));
        plan.pipes = vec![Pipe::Head(6), Pipe::Tail(4)];
        assert_eq!(
            run(&plan, &ctx, &ev).result,
            QueryResult::Events(vec![2, 3, 4, 5])
        );
        ctx.size = Some(3);
        assert_eq!(
            run(&plan, &ctx, &ev).result,
            QueryResult::Events(vec![2, 3, 4])
        );
        ctx.result_position = ResultPosition::Tail;
        assert_eq!(
            run(&plan, &ctx, &ev).result,
            QueryResult::Events(vec![3, 4, 5])
        );
    }

    #[test]
    fn script_errors_are_reported_and_do_not_match() {
        let (fx, ts, n) = setup();
        let ev = records(&fx, &ts, &n, &[r#"{"ts":1,"n":0}"#, r#"{"ts":2,"n":1}"#]);
        let div = Expr::Arith {
            op: ArithOp::Div,
            left: Box::new(Expr::Literal(Val::Long(1))),
            right: Box::new(Expr::Field(n.clone())),
        };
        let cond = Pred::Script(Expr::Compare {
            op: ir::CmpOp::Eq,
            left: Box::new(div),
            right: Box::new(Expr::Literal(Val::Long(1))),
        });
        let out = run(
            &any_where(cond),
            &ExecContext::new(fx.reg.get("cat").unwrap()),
            &ev,
        );
        assert_eq!(out.result, QueryResult::Events(vec![1]));
        assert_eq!(out.errors, vec![(0, EvalError::DivisionByZero)]);
        assert_eq!(out.error_count, 1);
    }

    #[test]
    fn samples_come_in_key_order_and_ignore_timestamps() {
        // SampleIterator: composite buckets ascending; first events in index order.
        let (mut fx, ts, n) = setup();
        let k = fx.f("k");
        let cat = fx.reg.get("cat").unwrap();
        let stage = |c: &str| SampleStage {
            query: EventQuery {
                category: Category::Named(c.into()),
                condition: Pred::Const(true),
            },
            keys: vec![ir::JoinKey {
                field: k.clone(),
                optional: false,
            }],
        };
        let plan = QueryPlan {
            plan: Plan::Sample(SamplePlan {
                stages: vec![stage("a"), stage("b")],
            }),
            pipes: vec![],
        };
        let docs = [
            r#"{"cat":"b","k":"y","ts":1}"#,
            r#"{"cat":"a","k":"y"}"#,
            r#"{"cat":"a","k":"x","ts":9}"#,
            r#"{"cat":"b","k":"x"}"#,
            r#"{"cat":"a","k":"x"}"#,
            r#"{"cat":"a","k":"z"}"#,
        ];
        let ev = records(&fx, &ts, &n, &docs);
        let out = run(&plan, &ExecContext::new(cat), &ev);
        let hit = |key: &str, events: Vec<usize>| SampleHit {
            join_keys: vec![KeyValue::Str(key.into())],
            events,
        };
        assert_eq!(
            out.result,
            QueryResult::Samples(vec![hit("x", vec![2, 3]), hit("y", vec![1, 0])])
        );
        let mut ctx = ExecContext::new(cat);
        ctx.max_samples_per_key = 2;
        let out = run(&plan, &ctx, &ev);
        assert_eq!(
            out.result,
            QueryResult::Samples(vec![
                hit("x", vec![2, 3]),
                hit("x", vec![4, 3]),
                hit("y", vec![1, 0])
            ])
        );
    }
}
