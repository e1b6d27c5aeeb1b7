//! The compiled rule set (prefilter + candidate evaluation) against the
//! reference loop ([`RuleSet::evaluate_reference`]: every rule of the route
//! evaluated with `pred::eval`), over the whole detection-rules catalogue and
//! real, example and generated events: for every event the single-event hits
//! and the sequence / sample stage candidates must be exactly the same.
//!
//! Script errors are compared too: the compiled path may report fewer (a
//! script is not run where a necessary field test of its query already
//! fails, as Lucene verifies a script query only on documents the other
//! required clauses match), never others.

mod ruleset_support;

use matcher::ruleset::RuleSet;
use ruleset_support::{catalogue_rules, corpus, workspace, Catalogue};

/// Every line of an NDJSON file.
fn lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

fn ndjson_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ndjson"))
        .collect();
    files.sort();
    files
}

#[derive(Default, Debug)]
struct Tally {
    events: u64,
    single: u64,
    multi: u64,
    evaluated: u64,
    reference_errors: u64,
    compiled_errors: u64,
    /// Rules hit (single-event hit or sequence / sample candidate) at least once.
    rules_hit: std::collections::BTreeSet<u32>,
}

/// Compares both paths on each document: the exact lists of single-event
/// hits and of sequence / sample candidates must be equal. The index is the
/// event's own, else `fallback` (so events without `data_stream` still reach
/// rules).
fn compare(cat: &Catalogue, set: &RuleSet, docs: &[String], fallback: &str, tally: &mut Tally) {
    let mut fast = set.scratch();
    let mut slow = set.scratch();
    for (n, doc) in docs.iter().enumerate() {
        let Ok(event) = event::parse_event(doc, &cat.registry) else {
            continue;
        };
        let index = engine::index::event_index(&event, &cat.index_fields, Some(fallback))
            .expect("an index");
        let before = fast.evaluated();
        let got = set.evaluate(&event, &index, &mut fast);
        let (single, multi) = (got.single.to_vec(), got.multi.to_vec());
        let stages = got.stages.to_vec();
        tally.evaluated += fast.evaluated() - before;
        let want = set.evaluate_reference(&event, &index, &mut slow);
        assert_eq!(
            (single.as_slice(), multi.as_slice(), stages.as_slice()),
            (want.single, want.multi, want.stages),
            "event #{n} (index {index}): {doc}"
        );
        tally.events += 1;
        tally.single += single.len() as u64;
        tally.multi += multi.len() as u64;
        tally.rules_hit.extend(single.iter().chain(&multi).copied());
        let (fe, fc) = fast.take_errors();
        let (se, sc) = slow.take_errors();
        for e in &fe {
            assert!(
                se.iter().any(|s| s.0 == e.0),
                "event #{n}: compiled error on rule {} that the reference did not raise: {}",
                e.0,
                e.1
            );
        }
        tally.compiled_errors += fc;
        tally.reference_errors += sc;
    }
}

#[test]
fn compiled_rule_set_equals_reference_loop() {
    let cat = catalogue_rules();
    let set = RuleSet::build(cat.rules.clone());
    let mut tally = Tally::default();

    for file in ndjson_files(&corpus().join("events")) {
        compare(&cat, &set, &lines(&file), "logs-corpus-default", &mut tally);
    }
    for file in ndjson_files(&workspace().join("examples/events")) {
        compare(
            &cat,
            &set,
            &lines(&file),
            "logs-example-default",
            &mut tally,
        );
    }
    // A few thousand generated events, with many attack stories so that
    // every scenario is injected.
    let (generated, stats) = ruleset_support::workload(6_000, 7, 40_000);
    for s in workload::scenarios::SCENARIOS {
        assert!(
            stats.by_scenario.get(s.name).is_some_and(|&n| n > 0),
            "scenario {} not injected: {:?}",
            s.name,
            stats.by_scenario
        );
    }
    compare(&cat, &set, &generated, "logs-generated-default", &mut tally);

    println!(
        "events {}, single hits {}, stage candidates {}, units evaluated {}, \
         script errors {} (reference {}), rules hit {}; prefilter {:?}",
        tally.events,
        tally.single,
        tally.multi,
        tally.evaluated,
        tally.compiled_errors,
        tally.reference_errors,
        tally.rules_hit.len(),
        set.prefilter_stats()
    );
    // Every rule a scenario targets is hit (or a candidate) somewhere.
    for rule_id in stats.expected_alerts().keys() {
        let hit = cat
            .rule_ids
            .iter()
            .enumerate()
            .any(|(i, id)| id == rule_id && tally.rules_hit.contains(&(i as u32)));
        assert!(hit, "scenario rule {rule_id} never hit");
    }
    // Floors: the generated workload injects attack stories that fire rules,
    // and most events are stage candidates of some sequence.
    assert!(tally.events >= 6_000 + 100, "{tally:?}");
    assert!(tally.single >= 100, "{tally:?}");
    assert!(tally.multi >= 3_000, "{tally:?}");
    assert!(tally.rules_hit.len() >= 50, "{tally:?}");
}

/// [`RuleSet::build_on`] builds the same rule set on any thread count: the
/// same prefilter, and on every generated event the same hits, candidates
/// and number of units evaluated as [`RuleSet::build`]'s.
#[test]
fn rule_set_built_on_threads_equals_the_one_built_on_one() {
    let cat = catalogue_rules();
    let one = RuleSet::build(cat.rules.clone());
    let (generated, _) = ruleset_support::workload(2_000, 11, 40_000);
    for threads in [2, 3] {
        let many = RuleSet::build_on(cat.rules.clone(), threads);
        let stats = many.prefilter_stats();
        assert_eq!(stats, one.prefilter_stats(), "threads {threads}");
        let (mut a, mut b) = (one.scratch(), many.scratch());
        for doc in &generated {
            let Ok(event) = event::parse_event(doc, &cat.registry) else {
                continue;
            };
            let fallback = Some("logs-generated-default");
            let index =
                engine::index::event_index(&event, &cat.index_fields, fallback).expect("an index");
            let want = one.evaluate(&event, &index, &mut a);
            let want = (
                want.single.to_vec(),
                want.multi.to_vec(),
                want.stages.to_vec(),
            );
            let got = many.evaluate(&event, &index, &mut b);
            let got = (got.single.to_vec(), got.multi.to_vec(), got.stages.to_vec());
            assert_eq!(got, want, "threads {threads}: {doc}");
            assert_eq!(a.evaluated(), b.evaluated(), "threads {threads}: {doc}");
        }
    }
}
