//! Sequence state edge cases. Each test names the Elasticsearch behaviour it
//! pins down; the upstream code is in
//! `x-pack/plugin/eql/src/main/java/org/elasticsearch/xpack/eql/execution/sequence/`.

use super::*;
use crate::testutil::Fx;
use ir::{Category, Pred, SequenceStage, Test};

const MAPPING: &str = r#"{"cat":{"type":"keyword"},"v":{"type":"keyword"},"k":{"type":"keyword"},"k2":{"type":"keyword"}}"#;

struct Setup {
    fx: Fx,
    cat: FieldId,
}

impl Setup {
    fn new() -> Setup {
        let mut fx = Fx::new(MAPPING);
        let cat = fx.f("cat").id;
        fx.f("v");
        fx.f("k");
        fx.f("k2");
        Setup { fx, cat }
    }

    /// A stage: events whose `v` is `value`, joined by `keys` (`?name` = optional).
    fn stage(&mut self, value: &str, keys: &[&str]) -> SequenceStage {
        let v = self.fx.f("v");
        let keys = keys
            .iter()
            .map(|k| {
                let optional = k.starts_with('?');
                JoinKey {
                    field: self.fx.f(k.trim_start_matches('?')),
                    optional,
                }
            })
            .collect();
        let cond = if value == "*" {
            Pred::Const(true)
        } else {
            Pred::field(
                v,
                Test::Terms {
                    values: vec![value.to_string()],
                    case_insensitive: false,
                },
            )
        };
        SequenceStage {
            query: EventQuery {
                category: Category::Any,
                condition: cond,
            },
            keys,
            missing: false,
            runs: 1,
        }
    }

    fn missing(&mut self, value: &str, keys: &[&str]) -> SequenceStage {
        SequenceStage {
            missing: true,
            ..self.stage(value, keys)
        }
    }

    /// Runs the plan over events (ts in ms, JSON); returns each match's event
    /// ids (-1 for missing stages) and keys rendered. The engine is run twice,
    /// evaluating the stages itself and given them as [`StageHits`]: both must
    /// find the same.
    fn run(&self, plan: &SequencePlan, events: &[(i64, &str)]) -> Vec<(Vec<i64>, Vec<String>)> {
        let evaluated = self.run_with(plan, events, false);
        assert_eq!(self.run_with(plan, events, true), evaluated);
        evaluated
    }

    fn run_with(
        &self,
        plan: &SequencePlan,
        events: &[(i64, &str)],
        masked: bool,
    ) -> Vec<(Vec<i64>, Vec<String>)> {
        let mut engine = SequenceEngine::new(plan, self.cat);
        let mut out = Vec::new();
        let parsed: Vec<_> = events.iter().map(|(_, j)| self.fx.ev(j)).collect();
        for (id, ((ts, _), ev)) in events.iter().zip(&parsed).enumerate() {
            if masked {
                let hits = stage_hits(plan, self.cat, ev);
                engine.push_matched(id, ts * 1_000_000, ev, hits, &mut out);
            } else {
                engine.push(id, ts * 1_000_000, ev, &mut out);
            }
        }
        engine.finish(&mut out);
        out.sort_by(|a, b| {
            a.completed_at
                .cmp(&b.completed_at)
                .then_with(|| a.join_keys.cmp(&b.join_keys))
        });
        out.into_iter()
            .map(|m| {
                let ids = m
                    .events
                    .iter()
                    .map(|e| e.map_or(-1, |i| i as i64))
                    .collect();
                (ids, m.join_keys.iter().map(|k| k.to_string()).collect())
            })
            .collect()
    }
}

/// Which stages (bit n) and `until` (the bit after them) `ev` matches.
fn stage_hits(plan: &SequencePlan, cat: FieldId, ev: &Event<'_>) -> StageHits {
    let queries = plan.stages.iter().chain(&plan.until).map(|s| &s.query);
    let mut hits = StageHits::default();
    for (n, q) in queries.enumerate() {
        if in_category(q, ev, cat) && matches!(crate::pred::eval(&q.condition, ev), Ok(true)) {
            hits.matched |= 1 << n;
        }
    }
    hits
}

#[test]
fn stage_hits_errors_are_counted_and_stages_not_evaluated() {
    let mut s = Setup::new();
    // The stages match nothing by their conditions: only the hits count.
    let p = plan(vec![s.stage("x", &["k"]), s.stage("y", &["k"])], None, None);
    let mut engine = SequenceEngine::new(&p, s.cat);
    let mut out = Vec::new();
    let ev = s.fx.ev(r#"{"k":"1"}"#);
    let hits = |matched, errors| StageHits { matched, errors };
    engine.push_matched(0, 1, &ev, hits(0b01, 2), &mut out);
    engine.push_matched(1, 2, &ev, hits(0b10, 1), &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].events, [Some(0), Some(1)]);
    assert_eq!(engine.error_count(), 3);
    assert!(engine.errors().is_empty());
}

#[test]
fn key_tuples_are_the_product_of_sorted_distinct_values() {
    let mut s = Setup::new();
    let keys = s.stage("*", &["k", "?k2", "v"]).keys;
    let ev = s.fx.ev(r#"{"k":["b","a","b"],"v":"z"}"#);
    let got: Vec<Vec<String>> = key_tuples(&keys, &ev)
        .iter()
        .map(|t| t.iter().map(|k| k.to_string()).collect())
        .collect();
    let want = [["a", "null", "z"], ["b", "null", "z"]];
    let want: Vec<Vec<String>> = want
        .iter()
        .map(|t| t.iter().map(|k| k.to_string()).collect())
        .collect();
    assert_eq!(got, want);
    assert!(key_tuples(&keys, &s.fx.ev(r#"{"k":"a"}"#)).is_empty());
}

fn plan(
    stages: Vec<SequenceStage>,
    until: Option<SequenceStage>,
    maxspan_ms: Option<i64>,
) -> SequencePlan {
    SequencePlan {
        stages,
        until,
        maxspan: maxspan_ms.map(|m| m * 1_000_000),
    }
}

fn ids(r: &[(Vec<i64>, Vec<String>)]) -> Vec<Vec<i64>> {
    r.iter().map(|(i, _)| i.clone()).collect()
}

#[test]
fn newer_first_stage_match_replaces_the_pending_one() {
    // OrdinalGroup.trimBefore: the latest stage-0 sequence before the stage-1
    // hit is taken; older ones are dropped (test_queries sequenceManyOneMatch).
    let mut s = Setup::new();
    let p = plan(vec![s.stage("a", &[]), s.stage("b", &[])], None, None);
    let r = s.run(
        &p,
        &[
            (1, r#"{"v":"a"}"#),
            (2, r#"{"v":"a"}"#),
            (3, r#"{"v":"b"}"#),
            (4, r#"{"v":"b"}"#),
        ],
    );
    assert_eq!(ids(&r), [vec![1, 2]]);
}

#[test]
fn an_advance_replaces_what_waited_at_the_next_stage() {
    let mut s = Setup::new();
    let p = plan(
        vec![s.stage("a", &[]), s.stage("b", &[]), s.stage("c", &[])],
        None,
        None,
    );
    let ev = [
        (1, r#"{"v":"a"}"#),
        (2, r#"{"v":"b"}"#),
        (3, r#"{"v":"a"}"#),
        (4, r#"{"v":"b"}"#),
        (5, r#"{"v":"c"}"#),
        (6, r#"{"v":"c"}"#),
    ];
    assert_eq!(ids(&s.run(&p, &ev)), [vec![2, 3, 4]]);
}

#[test]
fn one_event_advances_one_sequence_and_starts_another() {
    // An event never appears twice in one sequence (strict ordinal in
    // trimBefore), but may both complete [e1,e2] and start [e2,…].
    let mut s = Setup::new();
    let p = plan(vec![s.stage("*", &[]), s.stage("*", &[])], None, None);
    let r = s.run(&p, &[(1, "{}"), (2, "{}"), (3, "{}")]);
    assert_eq!(ids(&r), [vec![0, 1], vec![1, 2]]);
    let p3 = plan(
        vec![s.stage("*", &[]), s.stage("*", &[]), s.stage("*", &[])],
        None,
        None,
    );
    assert_eq!(
        ids(&s.run(&p3, &[(1, "{}"), (2, "{}")])),
        Vec::<Vec<i64>>::new()
    );
}

#[test]
fn until_drops_the_keys_pending_sequences() {
    // UntilGroup: an until event between a partial and its next event rejects it;
    // a partial started after the until is unaffected; other keys are unaffected.
    let mut s = Setup::new();
    let until = s.stage("u", &["k"]);
    let p = plan(
        vec![s.stage("a", &["k"]), s.stage("b", &["k"])],
        Some(until),
        None,
    );
    let ev = [
        (1, r#"{"v":"a","k":"x"}"#),
        (2, r#"{"v":"a","k":"y"}"#),
        (3, r#"{"v":"u","k":"x"}"#),
        (4, r#"{"v":"b","k":"x"}"#),
        (5, r#"{"v":"b","k":"y"}"#),
        (6, r#"{"v":"a","k":"x"}"#),
        (7, r#"{"v":"b","k":"x"}"#),
    ];
    assert_eq!(ids(&s.run(&p, &ev)), [vec![1, 4], vec![5, 6]]);
}

#[test]
fn an_event_matching_a_stage_and_until_is_cut_off_by_its_own_until() {
    // Ordinal.between is inclusive: an until hit at the partial's own ordinal rejects it.
    let mut s = Setup::new();
    let until = s.stage("a", &[]);
    let p = plan(
        vec![s.stage("a", &[]), s.stage("b", &[])],
        Some(until),
        None,
    );
    assert_eq!(
        ids(&s.run(&p, &[(1, r#"{"v":"a"}"#), (2, r#"{"v":"b"}"#)])),
        Vec::<Vec<i64>>::new()
    );
}

#[test]
fn maxspan_bounds_last_minus_first() {
    // exceedsMaxSpan: to - from > maxspan rejects (equal is allowed).
    let mut s = Setup::new();
    let p = plan(vec![s.stage("a", &[]), s.stage("b", &[])], None, Some(5));
    assert_eq!(
        ids(&s.run(&p, &[(0, r#"{"v":"a"}"#), (10, r#"{"v":"b"}"#)])),
        Vec::<Vec<i64>>::new()
    );
    assert_eq!(
        ids(&s.run(&p, &[(0, r#"{"v":"a"}"#), (5, r#"{"v":"b"}"#)])),
        [vec![0, 1]]
    );
    let ev = [
        (0, r#"{"v":"a"}"#),
        (6, r#"{"v":"a"}"#),
        (10, r#"{"v":"b"}"#),
    ];
    assert_eq!(ids(&s.run(&p, &ev)), [vec![1, 2]]);
    // A rejected advance consumes the partial: no fallback to an older one.
    let p3 = plan(
        vec![s.stage("a", &[]), s.stage("b", &[]), s.stage("c", &[])],
        None,
        Some(5),
    );
    let ev3 = [
        (0, r#"{"v":"a"}"#),
        (1, r#"{"v":"b"}"#),
        (9, r#"{"v":"c"}"#),
        (10, r#"{"v":"c"}"#),
    ];
    assert_eq!(ids(&s.run(&p3, &ev3)), Vec::<Vec<i64>>::new());
}

#[test]
fn missing_key_takes_no_part_unless_optional() {
    let mut s = Setup::new();
    let p = plan(vec![s.stage("a", &["k"]), s.stage("b", &["k"])], None, None);
    let ev = [
        (1, r#"{"v":"a"}"#),
        (2, r#"{"v":"b"}"#),
        (3, r#"{"v":"a","k":"x"}"#),
        (4, r#"{"v":"b"}"#),
    ];
    assert_eq!(ids(&s.run(&p, &ev)), Vec::<Vec<i64>>::new());
    let po = plan(
        vec![s.stage("a", &["?k"]), s.stage("b", &["?k"])],
        None,
        None,
    );
    let r = s.run(&po, &ev);
    assert_eq!(r, [(vec![0, 1], vec!["null".to_string()])]);
}

#[test]
fn multi_valued_keys_join_under_each_value() {
    // test_extra sequenceWithMultivalue_*: sorted, de-duplicated doc values;
    // one sequence per key combination, ordered by completion then key.
    let mut s = Setup::new();
    let p = plan(
        vec![s.stage("a", &["k", "k2"]), s.stage("b", &["k", "k2"])],
        None,
        None,
    );
    let ev = [
        (1, r#"{"v":"a","k":["t4","t3","t3"],"k2":["i1","i2","i3"]}"#),
        (2, r#"{"v":"b","k":["t1","t3","t4"],"k2":["i0","i1","i2"]}"#),
    ];
    let r = s.run(&p, &ev);
    let keys: Vec<Vec<String>> = r.iter().map(|(_, k)| k.clone()).collect();
    assert_eq!(ids(&r), vec![vec![0, 1]; 4]);
    assert_eq!(
        keys,
        [["t3", "i1"], ["t3", "i2"], ["t4", "i1"], ["t4", "i2"]]
    );
}

#[test]
fn runs_expand_to_consecutive_stages() {
    let mut s = Setup::new();
    let mut a = s.stage("a", &[]);
    a.runs = 2;
    let p = plan(vec![a, s.stage("b", &[])], None, None);
    let ev = [
        (1, r#"{"v":"a"}"#),
        (2, r#"{"v":"a"}"#),
        (3, r#"{"v":"a"}"#),
        (4, r#"{"v":"b"}"#),
    ];
    assert_eq!(ids(&s.run(&p, &ev)), [vec![1, 2, 3]]);
}

#[test]
fn middle_missing_event_discards_the_candidate() {
    // test_missing_events skipFirstMatchAndPickSecondCandidate.
    let mut s = Setup::new();
    let p = plan(
        vec![
            s.stage("n", &[]),
            s.stage("n", &[]),
            s.missing("m", &[]),
            s.stage("n", &[]),
        ],
        None,
        Some(1000),
    );
    let ev = [
        (0, r#"{"v":"n"}"#),
        (1, r#"{"v":"n"}"#),
        (2, r#"{"v":"m"}"#),
        (3, r#"{"v":"n"}"#),
        (4, r#"{"v":"n"}"#),
        (5, r#"{"v":"m"}"#),
    ];
    assert_eq!(ids(&s.run(&p, &ev)), [vec![1, 3, -1, 4]]);
}

#[test]
fn missing_events_in_the_same_millisecond_do_not_count() {
    // The middle query is `> previous and < next` on millisecond bounds.
    let mut s = Setup::new();
    let p = plan(
        vec![s.stage("a", &[]), s.missing("m", &[]), s.stage("b", &[])],
        None,
        None,
    );
    let mut engine = SequenceEngine::new(&p, s.cat);
    let mut out = Vec::new();
    let evs = [r#"{"v":"a"}"#, r#"{"v":"m"}"#, r#"{"v":"b"}"#];
    for (id, (ts, j)) in [1_000_000, 1_500_000, 2_000_000]
        .iter()
        .zip(evs)
        .enumerate()
    {
        engine.push(id, *ts, &s.fx.ev(j), &mut out);
    }
    assert_eq!(
        out.iter().map(|m| m.events.clone()).collect::<Vec<_>>(),
        [vec![Some(0), None, Some(2)]]
    );
}

#[test]
fn leading_and_trailing_missing_events_are_judged_against_maxspan() {
    // test_missing_events leadingAndTrailingExcluded1/2 (test3 data, minutes):
    // missing at 0:00 and 20:00; normal at 10:00, 21:00, 29:00, 31:00.
    let mut s = Setup::new();
    let ev = [
        (0, r#"{"v":"m"}"#),
        (600_001, r#"{"v":"n"}"#),
        (1_200_001, r#"{"v":"m"}"#),
        (1_260_001, r#"{"v":"n"}"#),
        (1_740_001, r#"{"v":"n"}"#),
        (1_860_001, r#"{"v":"n"}"#),
    ];
    let mk = |s: &mut Setup, minutes: i64| {
        plan(
            vec![s.missing("m", &[]), s.stage("n", &[]), s.missing("m", &[])],
            None,
            Some(minutes * 60_000),
        )
    };
    let p19 = mk(&mut s, 19);
    assert_eq!(
        ids(&s.run(&p19, &ev)),
        [
            vec![-1, 1, -1],
            vec![-1, 3, -1],
            vec![-1, 4, -1],
            vec![-1, 5, -1]
        ]
    );
    let p21 = mk(&mut s, 21);
    assert_eq!(
        ids(&s.run(&p21, &ev)),
        [vec![-1, 3, -1], vec![-1, 4, -1], vec![-1, 5, -1]]
    );
    // Leading only (leadingSimple, maxspan 3m).
    let lead = plan(
        vec![s.missing("m", &[]), s.stage("n", &[])],
        None,
        Some(180_000),
    );
    assert_eq!(
        ids(&s.run(&lead, &ev)),
        [vec![-1, 1], vec![-1, 4], vec![-1, 5]]
    );
}

#[test]
fn trailing_missing_waits_for_the_stream() {
    // positivePlusMissing: a trailing missing event within maxspan of the
    // start discards; past the maxspan, or never, the sequence completes.
    let mut s = Setup::new();
    let p = plan(
        vec![s.stage("n", &[]), s.missing("m", &[])],
        None,
        Some(1000),
    );
    let ev = [
        (1, r#"{"v":"n"}"#),
        (2, r#"{"v":"n"}"#),
        (3, r#"{"v":"m"}"#),
        (4, r#"{"v":"n"}"#),
        (2000, r#"{"v":"n"}"#),
        (5000, r#"{"v":"m"}"#),
    ];
    assert_eq!(ids(&s.run(&p, &ev)), [vec![3, -1], vec![4, -1]]);
}

#[test]
fn maxspan_expires_state_so_memory_stays_bounded() {
    let mut s = Setup::new();
    let p = plan(
        vec![s.stage("a", &["k"]), s.stage("b", &["k"])],
        None,
        Some(10),
    );
    let mut engine = SequenceEngine::new(&p, s.cat);
    let mut out = Vec::new();
    let docs: Vec<_> = (0..5000)
        .map(|i| s.fx.ev(&format!(r#"{{"v":"a","k":"key{i}"}}"#)))
        .collect();
    for (i, e) in docs.iter().enumerate() {
        engine.push(i, i as i64 * 1_000_000, e, &mut out);
    }
    assert!(out.is_empty());
    assert!(
        engine.live_keys() <= 1024 + 11,
        "live keys {}",
        engine.live_keys()
    );
}

/// A pushed handle lives exactly as long as some pending sequence holds it:
/// replaced, completed or expired partials drop theirs (what lets a caller
/// keep an event's data only while a sequence may still need it).
#[test]
fn handles_are_dropped_with_the_partials_that_held_them() {
    use std::rc::Rc;
    let mut s = Setup::new();
    let p = plan(
        vec![s.stage("a", &["k"]), s.stage("b", &["k"])],
        None,
        Some(10),
    );
    let mut engine: SequenceEngine<'_, Rc<u32>> = SequenceEngine::new(&p, s.cat);
    let mut out = Vec::new();
    let handles: Vec<Rc<u32>> = (0..4).map(Rc::new).collect();
    let ev = |j: &str| s.fx.ev(j);
    engine.push(
        handles[0].clone(),
        1_000_000,
        &ev(r#"{"v":"a","k":"x"}"#),
        &mut out,
    );
    engine.push(
        handles[1].clone(),
        2_000_000,
        &ev(r#"{"v":"a","k":"x"}"#),
        &mut out,
    );
    // The newer stage-0 match replaced the first: only the caller holds 0.
    assert_eq!(
        (Rc::strong_count(&handles[0]), Rc::strong_count(&handles[1])),
        (1, 2)
    );
    engine.push(
        handles[2].clone(),
        3_000_000,
        &ev(r#"{"v":"b","k":"x"}"#),
        &mut out,
    );
    // Completed: the match holds 1 and 2, the engine nothing.
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].events,
        vec![Some(handles[1].clone()), Some(handles[2].clone())]
    );
    out.clear();
    assert_eq!(
        (Rc::strong_count(&handles[1]), Rc::strong_count(&handles[2])),
        (1, 1)
    );
    engine.push(
        handles[3].clone(),
        4_000_000,
        &ev(r#"{"v":"a","k":"y"}"#),
        &mut out,
    );
    assert_eq!(Rc::strong_count(&handles[3]), 2);
    // Past maxspan, a sweep (every 1,024 events) drops the partial.
    for i in 0..1100 {
        engine.push(Rc::new(100 + i), 100_000_000, &ev(r#"{"v":"c"}"#), &mut out);
    }
    assert_eq!(Rc::strong_count(&handles[3]), 1);
    assert!(out.is_empty());
}
