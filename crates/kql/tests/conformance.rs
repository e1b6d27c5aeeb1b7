//! KQL conformance over `../shared/corpus/kql`: every `[[cases]]` query,
//! lowered with the ECS schema and evaluated on the 12 documents of
//! `docs.ndjson`, gives exactly `ids`; every `[[errors]]` query fails to parse.
//! The rules the cases check are written down in the corpus `README.md` (R1–R16).

mod support;

use event::{parse_event, FieldRegistry, Schema};
use ir::Binder;
use kql::KqlOptions;
use std::collections::BTreeSet;

/// All cases must pass; a drop below these counts fails the test.
const CASES_FLOOR: usize = 119;
const ERRORS_FLOOR: usize = 18;

#[derive(serde::Deserialize)]
struct Suite {
    cases: Vec<Case>,
    errors: Vec<ErrorCase>,
}

#[derive(serde::Deserialize)]
struct Case {
    query: String,
    ids: Vec<String>,
}

#[derive(serde::Deserialize)]
struct ErrorCase {
    query: String,
}

fn run_case(schema: &Schema, docs: &[String], case: &Case) -> Result<(), String> {
    let mut registry = FieldRegistry::new();
    let id_field = registry.intern("event.id");
    let pred = {
        let mut binder = Binder::new(schema, &mut registry);
        kql::compile(&case.query, &mut binder, &KqlOptions::default())
            .map_err(|d| format!("{:?}", d.0))?
    };
    let mut got = BTreeSet::new();
    for doc in docs {
        let event = parse_event(doc, &registry).map_err(|e| e.to_string())?;
        if support::eval(&pred, &event) {
            let id = event
                .first(id_field)
                .map(|v| v.keyword().into_owned())
                .unwrap_or_default();
            got.insert(id);
        }
    }
    let want: BTreeSet<String> = case.ids.iter().cloned().collect();
    if got == want {
        Ok(())
    } else {
        Err(format!("got {got:?}, want {want:?}\n    pred: {pred:?}"))
    }
}

#[test]
fn kql_corpus_cases_and_errors() {
    let dir = support::corpus().join("kql");
    let suite: Suite =
        toml::from_str(&std::fs::read_to_string(dir.join("cases.toml")).unwrap()).unwrap();
    let docs: Vec<String> = std::fs::read_to_string(dir.join("docs.ndjson"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(docs.len(), 12);
    let schema = Schema::ecs();
    let mut passed = 0;
    let mut failures = Vec::new();
    for case in &suite.cases {
        match run_case(&schema, &docs, case) {
            Ok(()) => passed += 1,
            Err(e) => failures.push(format!("{:?}: {e}", case.query)),
        }
    }
    let mut rejected = 0;
    for err in &suite.errors {
        match kql::parse(&err.query) {
            Err(d) if d.0.iter().all(|d| d.code == "KQL0001") => rejected += 1,
            other => failures.push(format!(
                "{:?} should be a syntax error, got {other:?}",
                err.query
            )),
        }
    }
    println!(
        "kql cases: {passed}/{}, errors: {rejected}/{}",
        suite.cases.len(),
        suite.errors.len()
    );
    for f in &failures {
        println!("FAIL {f}");
    }
    assert!(
        passed >= CASES_FLOOR && rejected >= ERRORS_FLOOR,
        "{} failures",
        failures.len()
    );
}
