use super::*;
use crate::testutil::{terms, wild, Fx};
use ir::{RangeBound, RangeValue};

fn fx() -> Fx {
    Fx::new(
        r#"{"kw":{"type":"keyword"},"low":{"type":"keyword","ignore_above":4},
            "n":{"type":"long"},"ver":{"type":"version"}}"#,
    )
}

/// The atoms of each set as (field, shape, text, ci, loose); `Exists` as
/// (field, None, "", false, false).
type Flat = Vec<Vec<(String, Option<Shape>, String, bool, bool)>>;

fn flat(fx: &Fx, sets: &[Necessary]) -> Flat {
    sets.iter()
        .map(|s| {
            s.atoms
                .iter()
                .map(|a| match a {
                    Atom::Exists { field } => (
                        fx.reg.name(*field).to_string(),
                        None,
                        String::new(),
                        false,
                        false,
                    ),
                    Atom::Literal {
                        field,
                        shape,
                        text,
                        case_insensitive,
                        loose,
                    } => (
                        fx.reg.name(*field).to_string(),
                        Some(*shape),
                        text.clone(),
                        *case_insensitive,
                        *loose,
                    ),
                })
                .collect()
        })
        .collect()
}

fn lit(
    field: &str,
    shape: Shape,
    text: &str,
    ci: bool,
) -> (String, Option<Shape>, String, bool, bool) {
    (field.into(), Some(shape), text.into(), ci, false)
}

#[test]
fn terms_are_exact_atoms_folded_when_case_insensitive() {
    let mut fx = fx();
    let kw = fx.f("kw");
    let sets = necessary(&terms(&kw, &["Cmd.EXE", "ÉTÉ"], true));
    assert_eq!(
        flat(&fx, &sets),
        vec![vec![
            lit("kw", Shape::Exact, "cmd.exe", true),
            lit("kw", Shape::Exact, "été", true)
        ]]
    );
    let sets = necessary(&terms(&kw, &["Cmd.EXE"], false));
    assert_eq!(
        flat(&fx, &sets),
        vec![vec![lit("kw", Shape::Exact, "Cmd.EXE", false)]]
    );
}

#[test]
fn wildcards_give_their_most_selective_literal() {
    let mut fx = fx();
    let kw = fx.f("kw");
    let sets = necessary(&wild(
        &kw,
        &[
            "C:\\Windows\\*",
            "*.exe",
            "*\\Temp\\*",
            "?:\\Users\\*\\AppData\\*.dll",
            "exact",
        ],
        true,
    ));
    assert_eq!(
        flat(&fx, &sets),
        vec![vec![
            lit("kw", Shape::Prefix, "c:\\windows\\", true),
            lit("kw", Shape::Suffix, ".exe", true),
            lit("kw", Shape::Contains, "\\temp\\", true),
            // The longest inner literal of the general pattern.
            lit("kw", Shape::Contains, "\\appdata\\", true),
            lit("kw", Shape::Exact, "exact", true),
        ]]
    );
    // A general pattern's first literal is a prefix, its last a suffix.
    let sets = necessary(&wild(&kw, &["/usr/local/*/x?"], false));
    assert_eq!(
        flat(&fx, &sets),
        vec![vec![lit("kw", Shape::Prefix, "/usr/local/", false)]]
    );
    // `*`, and literals too short to scan for, leave only presence.
    for p in ["*", "*-*", "?*"] {
        let sets = necessary(&wild(&kw, &[p], false));
        assert_eq!(
            flat(&fx, &sets),
            vec![vec![("kw".into(), None, String::new(), false, false)]],
            "{p}"
        );
    }
}

#[test]
fn numbers_booleans_and_addresses_on_keywords_are_their_terms() {
    let mut fx = fx();
    let kw = fx.f("kw");
    let p = Pred::field(
        kw.clone(),
        Test::Numbers(vec![
            Number::Int(4624),
            Number::Float(1.5),
            Number::Float(2.0),
        ]),
    );
    assert_eq!(
        flat(&fx, &necessary(&p)),
        vec![vec![
            lit("kw", Shape::Exact, "4624", false),
            lit("kw", Shape::Exact, "1.5", false),
            lit("kw", Shape::Exact, "2.0", false),
        ]]
    );
    let p = Pred::field(kw.clone(), Test::Bool(true));
    assert_eq!(
        flat(&fx, &necessary(&p)),
        vec![vec![lit("kw", Shape::Exact, "true", false)]]
    );
    let p = Pred::field(kw, Test::IpNets(vec!["10.0.0.1/32".parse().expect("net")]));
    assert_eq!(
        flat(&fx, &necessary(&p)),
        vec![vec![
            lit("kw", Shape::Exact, "10.0.0.1/32", false),
            lit("kw", Shape::Exact, "10.0.0.1", false),
        ]]
    );
}

#[test]
fn non_keyword_tests_need_only_presence_and_ranges_on_versions_too() {
    let mut fx = fx();
    let n = fx.f("n");
    let ver = fx.f("ver");
    let p = Pred::field(n, Test::Numbers(vec![Number::Int(4)]));
    assert_eq!(
        flat(&fx, &necessary(&p)),
        vec![vec![("n".into(), None, String::new(), false, false)]]
    );
    let range = Test::Range {
        lower: Some(RangeBound {
            value: RangeValue::Str("1.0".into()),
            inclusive: true,
        }),
        upper: None,
    };
    let p = Pred::field(ver.clone(), range);
    assert_eq!(
        flat(&fx, &necessary(&p)),
        vec![vec![("ver".into(), None, String::new(), false, false)]]
    );
    // Other tests on a version compare its keyword string.
    assert_eq!(
        flat(&fx, &necessary(&terms(&ver, &["1.2.3"], false))),
        vec![vec![lit("ver", Shape::Exact, "1.2.3", false)]]
    );
}

#[test]
fn unmapped_fields_give_loose_atoms() {
    let mut fx = fx();
    let u = fx.f("some.unmapped");
    assert_eq!(u.ty, event::FieldType::Unmapped);
    let sets = necessary(&terms(&u, &["0123"], false));
    assert_eq!(
        flat(&fx, &sets),
        vec![vec![(
            "some.unmapped".into(),
            Some(Shape::Exact),
            "0123".into(),
            false,
            true
        )]]
    );
}

#[test]
fn and_keeps_every_child_set_or_unions_and_not_gives_none() {
    let mut fx = fx();
    let kw = fx.f("kw");
    let low = fx.f("low");
    let a = terms(&kw, &["a"], false);
    let b = terms(&low, &["b"], false);
    let and = Pred::And(vec![a.clone(), Pred::not(b.clone()), b.clone()]);
    assert_eq!(
        flat(&fx, &necessary(&and)),
        vec![
            vec![lit("kw", Shape::Exact, "a", false)],
            vec![lit("low", Shape::Exact, "b", false)]
        ]
    );
    let or = Pred::Or(vec![a.clone(), b.clone()]);
    assert_eq!(
        flat(&fx, &necessary(&or)),
        vec![vec![
            lit("kw", Shape::Exact, "a", false),
            lit("low", Shape::Exact, "b", false)
        ]]
    );
    // One child without atoms leaves the `or` without a necessary set.
    let or = Pred::Or(vec![a.clone(), Pred::not(b.clone())]);
    assert!(necessary(&or).is_empty());
    assert!(necessary(&Pred::not(a.clone())).is_empty());
    assert!(necessary(&Pred::Const(true)).is_empty());
    // `false` never holds: an empty set.
    assert_eq!(flat(&fx, &necessary(&Pred::Const(false))), vec![vec![]]);
    // An `or` of `and`s: one set from each branch's cheapest sets, then
    // one from their second cheapest (a branch with one set gives it again).
    // Each is necessary: any set of the branch that holds is in the union.
    let or = Pred::Or(vec![
        Pred::And(vec![
            terms(&kw, &["x"], false),
            wild(&low, &["*zzzz*"], false),
        ]),
        b.clone(),
    ]);
    assert_eq!(
        flat(&fx, &necessary(&or)),
        vec![
            vec![
                lit("kw", Shape::Exact, "x", false),
                lit("low", Shape::Exact, "b", false)
            ],
            vec![
                lit("low", Shape::Contains, "zzzz", false),
                lit("low", Shape::Exact, "b", false)
            ]
        ]
    );
    // Branches with one set each give one set.
    let or = Pred::Or(vec![a, b]);
    assert_eq!(flat(&fx, &necessary(&or)).len(), 1);
}

#[test]
fn queries_keep_the_cheapest_sets_and_their_category() {
    let mut fx = fx();
    let kw = fx.f("kw");
    let cat = fx.f("event.category");
    let os = fx.f("host.os.type");
    let q = EventQuery {
        category: Category::Named("process".into()),
        condition: Pred::And(vec![
            terms(&os, &["windows"], false),
            terms(&kw, &["svchost.exe"], true),
            wild(&kw, &["*\\system32\\*"], true),
        ]),
    };
    let sets = for_query(&q, cat.id);
    // The exact name is selective: no scan set; then the low-cardinality ones.
    assert_eq!(
        flat(&fx, &sets),
        vec![
            vec![lit("kw", Shape::Exact, "svchost.exe", true)],
            vec![lit("host.os.type", Shape::Exact, "windows", false)],
            vec![lit("event.category", Shape::Exact, "process", false)],
        ]
    );
    // Without a selective lookup set, the best scan set comes first.
    let q = EventQuery {
        category: Category::Named("process".into()),
        condition: Pred::And(vec![
            terms(&os, &["windows"], false),
            wild(&kw, &["*\\system32\\*"], true),
        ]),
    };
    assert_eq!(
        flat(&fx, &for_query(&q, cat.id)),
        vec![
            vec![lit("kw", Shape::Contains, "\\system32\\", true)],
            vec![lit("host.os.type", Shape::Exact, "windows", false)],
            vec![lit("event.category", Shape::Exact, "process", false)],
        ]
    );
}

/// The single test of `pred` and its own necessary set.
fn test_and_set(pred: &Pred) -> (&FieldTest, Necessary) {
    let Pred::Field(ft) = pred else {
        panic!("a field test")
    };
    let mut sets = necessary(pred);
    assert_eq!(sets.len(), 1);
    (ft, sets.remove(0))
}

#[test]
fn only_exact_terms_within_ignore_above_are_decided_by_their_set() {
    let mut fx = fx();
    let (kw, low, ver, loose) = (fx.f("kw"), fx.f("low"), fx.f("ver"), fx.f("not.mapped"));
    let decided = |p: &Pred| {
        let (ft, set) = test_and_set(p);
        decides(&set, ft)
    };
    assert!(decided(&terms(&kw, &["a", "Cmd.EXE"], false)));
    assert!(decided(&terms(&kw, &["a", "Cmd.EXE"], true)));
    // Another test's set decides nothing.
    let a = terms(&kw, &["a"], false);
    let (ft, _) = test_and_set(&a);
    let (_, other) = test_and_set(&terms(&kw, &["b"], false));
    assert!(!decides(&other, ft));
    let (_, superset) = test_and_set(&terms(&kw, &["a", "b"], false));
    assert!(!decides(&superset, ft));
    // A wildcard's literal is not the whole test, even when exact.
    assert!(!decided(&wild(&kw, &["exact"], false)));
    // Past `ignore_above` (4) a value equal to the term is not indexed;
    // case-insensitively a value may be up to twice its fold's characters.
    assert!(decided(&terms(&low, &["abcd"], false)));
    assert!(!decided(&terms(&low, &["abcde"], false)));
    assert!(decided(&terms(&low, &["AB"], true)));
    assert!(!decided(&terms(&low, &["abc"], true)));
    // Versions and loose (unmapped) fields compare otherwise.
    assert!(!decided(&terms(&ver, &["1.2.3"], false)));
    assert!(!decided(&terms(&loose, &["x"], false)));
}

#[test]
fn the_category_set_is_the_one_for_query_adds() {
    let mut fx = fx();
    let (kw, cat) = (fx.f("kw"), fx.f("cat"));
    let q = EventQuery {
        category: Category::Named("process".into()),
        condition: terms(&kw, &["cmd.exe"], false),
    };
    let sets = for_query(&q, cat.id);
    assert!(sets.contains(&category_set("process", cat.id)));
    assert!(!sets.contains(&category_set("file", cat.id)));
}
