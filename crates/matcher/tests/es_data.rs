//! Queries of Elasticsearch's EQL suite (`../shared/corpus/eql-es`), with
//! their IR built by hand: checks the data loading (FILETIME timestamps,
//! `serial_event_id` tiebreaker, `event.category` alias) and the sequence
//! engine on the real data set, independently of the EQL front end.

mod support;

use event::Number;
use ir::{
    Binder, Category, EventQuery, JoinKey, Pipe, Plan, Pred, QueryPlan, RangeBound, RangeValue,
    SequencePlan, SequenceStage, Test,
};
use support::{corpus_dir, endgame, load_specs, run_spec, Spec};

fn stage(b: &mut Binder, cat: &str, cond: Pred, keys: &[&str]) -> SequenceStage {
    let keys = keys
        .iter()
        .map(|k| JoinKey {
            field: b.bind_exact(k).field,
            optional: false,
        })
        .collect();
    SequenceStage {
        query: EventQuery {
            category: Category::Named(cat.into()),
            condition: cond,
        },
        keys,
        missing: false,
        runs: 1,
    }
}

fn num(b: &mut Binder, field: &str, n: i64) -> Pred {
    Pred::field(b.bind(field).field, Test::Numbers(vec![Number::Int(n)]))
}

fn at_most(b: &mut Binder, field: &str, n: i64) -> Pred {
    let upper = Some(RangeBound {
        value: RangeValue::Number(Number::Int(n)),
        inclusive: true,
    });
    Pred::field(b.bind(field).field, Test::Range { lower: None, upper })
}

fn sequence(
    stages: Vec<SequenceStage>,
    until: Option<SequenceStage>,
    pipes: Vec<Pipe>,
) -> QueryPlan {
    QueryPlan {
        plan: Plan::Sequence(SequencePlan {
            stages,
            until,
            maxspan: None,
        }),
        pipes,
    }
}

fn spec(name: &str) -> Spec {
    let specs = load_specs(&corpus_dir().join("eql-es/test_queries.toml"));
    specs
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no spec {name}"))
}

fn check(name: &str, build: &dyn Fn(&mut Binder) -> QueryPlan) {
    let corpus = corpus_dir();
    let ds = endgame(
        &corpus.join("eql-es/test_data.json"),
        &corpus.join("eql-es/mapping-default.json"),
    );
    let s = spec(name);
    let o = run_spec(&ds, &s, &|_, b, _| Ok(build(b)));
    assert!(
        o.passed,
        "{name}: got {:?}, expected {:?} {:?}",
        o.got, s.expected, o.error
    );
}

#[test]
fn simple_tail() {
    check("simpleTail", &|_| QueryPlan {
        plan: Plan::Event(EventQuery {
            category: Category::Named("file".into()),
            condition: Pred::Const(true),
        }),
        pipes: vec![Pipe::Tail(3)],
    });
}

#[test]
fn sequence_many_one_match() {
    check("sequenceManyOneMatch", &|b| {
        let s0 = Pred::field(
            b.bind("serial_event_id").field,
            Test::Range {
                lower: None,
                upper: Some(RangeBound {
                    value: RangeValue::Number(Number::Int(5)),
                    inclusive: false,
                }),
            },
        );
        let s1 = num(b, "serial_event_id", 5);
        sequence(
            vec![stage(b, "process", s0, &[]), stage(b, "process", s1, &[])],
            None,
            vec![],
        )
    });
}

#[test]
fn sequence_condition_many_many() {
    check("sequenceConditionManyMany", &|b| {
        let c = at_most(b, "serial_event_id", 3);
        let stages = vec![
            stage(b, "process", c, &[]),
            stage(b, "process", Pred::Const(true), &[]),
            stage(b, "process", Pred::Const(true), &[]),
        ];
        sequence(stages, None, vec![])
    });
}

#[test]
fn two_sequences_with_keys() {
    check("twoSequencesWithKeys", &|b| {
        let op = num(b, "opcode", 1);
        let stages = vec![
            stage(b, "process", Pred::Const(true), &["unique_pid"]),
            stage(b, "process", op, &["unique_ppid"]),
        ];
        sequence(stages, None, vec![])
    });
}

#[test]
fn four_sequences_by_pid_with_until() {
    for (name, until_op) in [
        ("fourSequencesByPidWithUntil1", 2),
        ("fourSequencesByPidWithUntil2", 200),
    ] {
        check(name, &|b| {
            let p1 = num(b, "opcode", 1);
            let mut stages = vec![stage(b, "process", p1, &["unique_pid"])];
            for _ in 0..3 {
                let f0 = num(b, "opcode", 0);
                stages.push(stage(b, "file", f0, &["unique_pid"]));
            }
            let u = num(b, "opcode", until_op);
            let until = stage(b, "file", u, &["unique_pid"]);
            sequence(stages, Some(until), vec![])
        });
    }
}

#[test]
fn double_same_sequence_with_by_and_head() {
    check("doubleSameSequenceWithBy", &|b| {
        let a = num(b, "opcode", 0);
        let c = num(b, "opcode", 0);
        sequence(
            vec![
                stage(b, "file", a, &["unique_pid"]),
                stage(b, "file", c, &["unique_pid"]),
            ],
            None,
            vec![Pipe::Head(1)],
        )
    });
}
