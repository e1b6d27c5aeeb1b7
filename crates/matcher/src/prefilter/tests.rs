//! The prefilter end to end (atoms → per-field indexes → marks →
//! candidates): a unit whose predicate holds on an event is always a
//! candidate, and units whose necessary literals are absent are ruled out.

use super::*;
use crate::compiled::tests::{events, fx, preds};
use crate::testutil::Fx;
use ir::{Pred, Test};

/// The mark bitset of `prefilter` on `event`, looked up through `memo`.
fn marks(prefilter: &Prefilter, event: &event::Event<'_>, memo: &mut MarkMemo) -> Vec<u64> {
    let mut scratch = crate::compiled::view::ViewScratch::default();
    let mut view = View::new(event, &mut scratch);
    let mut marked = vec![0u64; prefilter.mark_words()];
    prefilter.mark(&mut view, &mut marked, memo);
    marked
}

/// Candidate units of `prefilter` on `event`.
fn candidates(prefilter: &Prefilter, event: &event::Event<'_>) -> Vec<bool> {
    let marked = marks(prefilter, event, &mut MarkMemo::default());
    let one_by_one: Vec<bool> = (0..prefilter.units)
        .map(|u| prefilter.candidates(&marked, u / 64) & (1 << (u % 64)) != 0)
        .collect();
    // All words at once, within a route of every unit but unit 0.
    let mut route = vec![u64::MAX; prefilter.words()];
    route[0] &= !1;
    let mut all = Vec::new();
    prefilter.candidates_in(&marked, &route, &mut all);
    for (u, &c) in one_by_one.iter().enumerate() {
        assert_eq!(all[u / 64] & (1 << (u % 64)) != 0, c && u != 0, "unit {u}");
    }
    one_by_one
}

/// The prefilter of `units` (unit `i` is `units[i]`).
fn prefilter_of(units: &[Pred]) -> Prefilter {
    let sets: Vec<Vec<Necessary>> = units.iter().map(atoms::necessary).collect();
    Prefilter::build(&sets)
}

/// Each predicate, and pairs of them under `and` / `or` / `not`.
fn units(fx: &mut Fx) -> Vec<Pred> {
    let base = preds(fx);
    let mut out = base.clone();
    for (i, a) in base.iter().enumerate().step_by(3) {
        for b in base.iter().skip(i % 7).step_by(7) {
            out.push(Pred::And(vec![a.clone(), b.clone()]));
            out.push(Pred::Or(vec![a.clone(), b.clone()]));
            out.push(Pred::And(vec![a.clone(), Pred::not(b.clone())]));
        }
    }
    out
}

#[test]
fn every_matching_unit_is_a_candidate() {
    let mut fx = fx();
    let units = units(&mut fx);
    let prefilter = prefilter_of(&units);
    let (mut matches, mut ruled_out) = (0, 0);
    for (e, ev) in events(&fx).iter().enumerate() {
        let cands = candidates(&prefilter, ev);
        for (u, p) in units.iter().enumerate() {
            let want = crate::pred::eval(p, ev).expect("no script");
            assert!(!want || cands[u], "event #{e}: unit {u} ruled out: {p:?}");
            matches += usize::from(want);
            ruled_out += usize::from(!cands[u]);
        }
    }
    // Both outcomes are exercised, and most non-matching pairs are ruled out.
    assert_eq!(units.len(), 1_066);
    println!("matches {matches}, ruled out {ruled_out}");
    assert!(matches > 2_000, "{matches}");
    assert!(ruled_out > 4_000, "{ruled_out}");
}

#[test]
fn remembered_marks_are_the_marks_of_a_fresh_lookup() {
    let mut fx = fx();
    let units = units(&mut fx);
    let prefilter = prefilter_of(&units);
    let events = events(&fx);
    let mut memo = MarkMemo::default();
    for ev in events.iter().chain(events.iter()) {
        let fresh = marks(&prefilter, ev, &mut MarkMemo::default());
        assert_eq!(marks(&prefilter, ev, &mut memo), fresh);
    }
    let (hits, misses) = memo.counts();
    // Both paths are exercised (the events repeat values in several cases).
    assert!(hits > 10 && misses > 10, "{hits} hits, {misses} misses");
}

#[test]
fn literals_rule_out_exactly_the_events_without_them() {
    let mut fx = fx();
    let kw = fx.f("kw");
    let un = fx.f("un");
    let n = fx.f("n");
    let terms = |f: &ir::FieldRef, v: &str, ci: bool| {
        Pred::field(
            f.clone(),
            Test::Terms {
                values: vec![v.into()],
                case_insensitive: ci,
            },
        )
    };
    let wild = |f: &ir::FieldRef, p: &str, ci: bool| {
        Pred::field(
            f.clone(),
            Test::Wildcards(vec![event::wildcard::Pattern::new(p, ci)]),
        )
    };
    let units = [
        terms(&kw, "Abc", false),             // 0: exact, case-sensitive
        terms(&kw, "abc", true),              // 1: exact, folded
        wild(&kw, "*power*", true),           // 2: substring, folded
        wild(&kw, "c:\\win*.exe", true),      // 3: general: prefix / suffix
        terms(&un, "0123", false),            // 4: loose: any number holds
        Pred::field(n.clone(), Test::Exists), // 5: presence
        Pred::not(terms(&kw, "x", false)),    // 6: no atoms: always
        Pred::Const(false),                   // 7: never
        wild(&kw, "*ÉTÉ*", true),             // 8: non-ASCII, folded
    ];
    let prefilter = prefilter_of(&units);
    let on = |json: &str| -> Vec<usize> {
        let c = candidates(&prefilter, &fx.ev(json));
        (0..units.len()).filter(|&u| c[u]).collect()
    };
    assert_eq!(on(r#"{}"#), [6]);
    assert_eq!(on(r#"{"kw":"Abc"}"#), [0, 1, 6]);
    assert_eq!(on(r#"{"kw":"ABC"}"#), [1, 6]);
    assert_eq!(on(r#"{"kw":"x PowerShell y"}"#), [2, 6]);
    assert_eq!(on(r#"{"kw":"C:\\Windows\\cmd.EXE"}"#), [3, 6]);
    assert_eq!(on(r#"{"kw":"c:\\cmd.exe"}"#), [6]);
    assert_eq!(on(r#"{"un":123}"#), [4, 6]);
    assert_eq!(on(r#"{"un":"123"}"#), [6]);
    assert_eq!(on(r#"{"un":"0123","n":1}"#), [4, 5, 6]);
    assert_eq!(on(r#"{"kw":"un été"}"#), [6, 8]);
    assert_eq!(on(r#"{"kw":["abc","un ÉtÉ"]}"#), [1, 6, 8]);
    let stats = prefilter.stats();
    assert_eq!((stats.units, stats.always, stats.never), (9, 1, 1));
}

#[test]
fn candidates_in_keeps_to_the_route_and_a_short_mark_bitset_rules_out_nothing() {
    let mut fx = fx();
    let prefilter = prefilter_of(&units(&mut fx));
    assert!(
        prefilter.words() > 1,
        "the multi-word pass is the one tested"
    );
    let route: Vec<u64> = (1..=prefilter.words() as u64)
        .map(|w| w.wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .collect();
    let mut out = Vec::new();
    // Every slot marked: the route itself.
    let all = vec![u64::MAX; prefilter.mark_words()];
    prefilter.candidates_in(&all, &route, &mut out);
    assert_eq!(out, route);
    // A route shorter than the units' words: cut there.
    prefilter.candidates_in(&all, &route[..1], &mut out);
    assert_eq!(out, route[..1]);
    // Marks missing (not the caller's contract): still exact, nothing ruled out.
    prefilter.candidates_in(&[0; 1], &route, &mut out);
    assert_eq!(out, route);
}
