use super::view::ViewScratch;
use super::*;
use crate::testutil::{terms, wild, Fx};
use event::Number;
use ir::{Test, TextMode};

pub(crate) fn fx() -> Fx {
    Fx::new(
        r#"{"kw":{"type":"keyword"},"low":{"type":"keyword","ignore_above":4},
            "n":{"type":"long"},"ver":{"type":"version"},"wc":{"type":"wildcard"}}"#,
    )
}

/// Predicates over every strategy of the compiled form.
pub(crate) fn preds(fx: &mut Fx) -> Vec<Pred> {
    let kw = fx.f("kw");
    let low = fx.f("low");
    let n = fx.f("n");
    let ver = fx.f("ver");
    let wc = fx.f("wc");
    let un = fx.f("un");
    let many: Vec<String> = (0..40).map(|i| format!("v{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let mut out = vec![];
    for f in [&kw, &low, &wc, &un, &ver] {
        out.extend([
            terms(f, &["x", "Été", "4624", "abcdef"], false),
            terms(f, &["X", "ÉTÉ", "ABC"], true),
            terms(f, &many, false),
            terms(f, &many, true),
            wild(f, &["*TÉ", "ab*", "*46*", "x"], true),
            wild(f, &["*te", "Ab*", "*bcd*", "*46*", "*zz*"], false),
            wild(f, &["*te", "Ab*", "*bcd*", "*46*", "*zz*"], true),
            wild(f, &["?b*", "*é?", "a*c*f", "4?2*"], true),
            wild(f, &["?b*", "*é?", "a*c*f", "4?2*"], false),
            wild(f, &["*"], false),
            wild(f, &["?"], false),
            Pred::field(f.clone(), Test::Exists),
            Pred::field(
                f.clone(),
                Test::Numbers(vec![Number::Int(4624), Number::Float(2.0)]),
            ),
            Pred::field(f.clone(), Test::Bool(true)),
            Pred::field(
                f.clone(),
                Test::Text {
                    tokens: vec!["x".into(), "abc".into()],
                    mode: TextMode::AnyToken,
                },
            ),
            Pred::field(
                f.clone(),
                Test::Regexes(vec![
                    event::regex::LuceneRegex::new("a.c.*", false).expect("regex")
                ]),
            ),
        ]);
    }
    out.push(Pred::field(
        n.clone(),
        Test::Numbers(vec![Number::Int(4624)]),
    ));
    out.push(terms(&n, &["4624"], false));
    out
}

pub(crate) fn events(fx: &Fx) -> Vec<event::Event<'static>> {
    [
        r#"{}"#,
        r#"{"kw":"x","low":"x","wc":"x","un":"x","ver":"x"}"#,
        r#"{"kw":["X","Été"],"low":["X","Été"],"wc":["X","Été"],"un":["X","été"],"ver":"ÉTÉ"}"#,
        r#"{"kw":"abcdef","low":"abcdef","wc":"ABCDEF","un":"abcdef","ver":"abcdef"}"#,
        r#"{"kw":4624,"low":4624,"wc":4624,"un":4624,"n":"4624","ver":4624}"#,
        r#"{"kw":2.0,"low":true,"wc":[true,"zz"],"un":[2.0,"x"],"n":4624.5}"#,
        r#"{"kw":"v17","low":"V1","wc":"v39","un":"0v3","ver":"v2"}"#,
        r#"{"kw":"xbé!","low":"abc","wc":"4x2y","un":"aXcYf","ver":"1.2.3"}"#,
        r#"{"kw":"","low":"","wc":"","un":"","ver":""}"#,
    ]
    .iter()
    .map(|j| fx.ev(j))
    .collect()
}

fn compiled(p: &Pred, ev: &event::Event<'_>, s: &mut ViewScratch) -> bool {
    let mut view = view::View::new(ev, s);
    CompiledPred::new(p).eval(&mut view).expect("no script")
}

#[test]
fn compiled_predicates_agree_with_the_reference_evaluator() {
    let mut fx = fx();
    let preds = preds(&mut fx);
    let events = events(&fx);
    let mut s = ViewScratch::default();
    let mut positive = 0;
    for p in &preds {
        let forms = [p.clone(), Pred::not(p.clone())];
        for (form, p) in forms.iter().enumerate() {
            for (i, ev) in events.iter().enumerate() {
                let want = crate::pred::eval(p, ev).expect("no script");
                assert_eq!(compiled(p, ev, &mut s), want, "event #{i}: {p:?}");
                positive += usize::from(want && form == 0);
            }
        }
    }
    // Pairs under and / or (children reordered by cost).
    for a in preds.iter().step_by(3) {
        for b in preds.iter().step_by(5) {
            for p in [
                Pred::And(vec![a.clone(), Pred::not(b.clone())]),
                Pred::Or(vec![Pred::not(a.clone()), b.clone()]),
            ] {
                for ev in &events {
                    let want = crate::pred::eval(&p, ev).expect("no script");
                    assert_eq!(compiled(&p, ev, &mut s), want, "{p:?}");
                }
            }
        }
    }
    // The cases exercise both outcomes: some tests pass, most do not.
    assert_eq!((preds.len(), events.len()), (82, 9));
    assert!((100..400).contains(&positive), "{positive}");
}

#[test]
fn edge_cases_decide_as_elasticsearch_indexes_them() {
    let mut fx = fx();
    let low = fx.f("low");
    let kw = fx.f("kw");
    let un = fx.f("un");
    let mut s = ViewScratch::default();
    let ev = |j: &str| fx.ev(j);
    // Past ignore_above a keyword is not indexed: no term, no exists.
    let long = ev(r#"{"low":"abcdef"}"#);
    assert!(!compiled(&terms(&low, &["abcdef"], false), &long, &mut s));
    assert!(!compiled(
        &Pred::field(low.clone(), Test::Exists),
        &long,
        &mut s
    ));
    assert!(compiled(
        &Pred::not(Pred::field(low.clone(), Test::Exists)),
        &long,
        &mut s
    ));
    // Numbers are keywords as text; any array element may match.
    let num = ev(r#"{"kw":[1,4624]}"#);
    assert!(compiled(&terms(&kw, &["4624"], false), &num, &mut s));
    assert!(compiled(&wild(&kw, &["46*"], false), &num, &mut s));
    // An unmapped number is a number: "0123" equals 123.
    let un_num = ev(r#"{"un":123}"#);
    assert!(compiled(&terms(&un, &["0123"], false), &un_num, &mut s));
    assert!(!compiled(
        &terms(&un, &["0123"], false),
        &ev(r#"{"un":"123"}"#),
        &mut s
    ));
    // Unicode case folding for case-insensitive terms and patterns.
    let uni = ev(r#"{"kw":"ÉTÉ"}"#);
    assert!(compiled(&terms(&kw, &["été"], true), &uni, &mut s));
    assert!(compiled(
        &wild(&kw, &["?t?", "*zz*", "q*q*q"], true),
        &uni,
        &mut s
    ));
    assert!(!compiled(
        &wild(&kw, &["?t?", "*zz*", "q*q*q"], false),
        &uni,
        &mut s
    ));
}

#[test]
fn shared_leaves_memoized_per_event_agree_with_the_reference_evaluator() {
    let mut fx = fx();
    let preds = preds(&mut fx);
    // Each test twice (alone and negated) and once more inside an `or`:
    // every leaf gets a memo slot, read back by the later predicates.
    let forms: Vec<Pred> = preds
        .iter()
        .flat_map(|p| {
            [
                p.clone(),
                Pred::not(p.clone()),
                Pred::Or(vec![Pred::Const(false), p.clone()]),
            ]
        })
        .collect();
    let mut leaves = Leaves::default();
    forms.iter().for_each(|p| leaves.count(p));
    let compiled: Vec<CompiledPred> = forms.iter().map(|p| leaves.compile(p)).collect();
    assert_eq!(leaves.slots as usize, preds.len());
    let events = events(&fx);
    let mut s = ViewScratch::default();
    for _ in 0..2 {
        for (i, ev) in events.iter().enumerate() {
            let mut view = view::View::new(ev, &mut s);
            for (p, c) in forms.iter().zip(&compiled) {
                let want = crate::pred::eval(p, ev).expect("no script");
                assert_eq!(
                    c.eval(&mut view).expect("no script"),
                    want,
                    "{p:?} on event {i}"
                );
            }
        }
    }
}

/// A tree of `and` / `or` / `not` / constants over `preds`, `depth` deep,
/// shaped by `seed` (a small deterministic generator).
fn nested(preds: &[Pred], seed: &mut u64, depth: u32) -> Pred {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    let r = (*seed >> 33) as usize;
    if depth == 0 {
        return match r % 12 {
            0 => Pred::Const(r % 24 < 12),
            1 => Pred::Not(Box::new(Pred::Const(r % 24 < 12))),
            _ => preds[r % preds.len()].clone(),
        };
    }
    let width = 1 + r % 4;
    let kids: Vec<Pred> = (0..width).map(|_| nested(preds, seed, depth - 1)).collect();
    match r % 5 {
        0 => Pred::Not(Box::new(Pred::Or(kids))),
        1 | 2 => Pred::And(kids),
        _ => Pred::Or(kids),
    }
}

#[test]
fn branch_programs_of_nested_trees_agree_with_the_reference_evaluator() {
    let mut fx = fx();
    let preds = preds(&mut fx);
    let events = events(&fx);
    let mut s = ViewScratch::default();
    let mut seed = 7;
    let (mut held, mut failed) = (0, 0);
    for _ in 0..300 {
        let p = nested(&preds, &mut seed, 3);
        for ev in &events {
            let want = crate::pred::eval(&p, ev).expect("no script");
            assert_eq!(compiled(&p, ev, &mut s), want, "{p:?}");
            held += usize::from(want);
            failed += usize::from(!want);
        }
    }
    // Both outcomes are well represented.
    assert!(held > 300 && failed > 300, "{held} / {failed}");
    // Constants alone, and under `not`, fold into the jumps.
    let ev = &events[0];
    for (p, want) in [
        (Pred::Const(true), true),
        (Pred::Not(Box::new(Pred::Const(true))), false),
        (Pred::And(vec![]), true),
        (Pred::Or(vec![]), false),
        (
            Pred::Not(Box::new(Pred::And(vec![
                Pred::Const(true),
                Pred::Const(false),
            ]))),
            true,
        ),
    ] {
        assert_eq!(crate::pred::eval(&p, ev).expect("no script"), want, "{p:?}");
        assert_eq!(compiled(&p, ev, &mut s), want, "{p:?}");
    }
}

#[test]
fn a_leaf_with_its_arc_header_fits_a_cache_line() {
    // The hot path reads a leaf's test kind, its checks and its `loose`
    // test: one line when the allocation (16 bytes of counts, then the leaf)
    // is 64 bytes.
    assert!(
        std::mem::size_of::<Leaf>() <= 48,
        "{}",
        std::mem::size_of::<Leaf>()
    );
}
