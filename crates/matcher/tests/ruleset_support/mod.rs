#![allow(dead_code)]

//! The detection-rules catalogue compiled through the engine's path (rules →
//! `CompiledRule`s) and generated workloads, for the rule-set tests.

use engine::compile::IndexFields;
use event::{FieldRegistry, Schema};
use matcher::ruleset::CompiledRule;
#[allow(unused_imports)]
pub use testkit::{corpus, workspace};

/// The compiled catalogue and what parsing events for it needs.
pub struct Catalogue {
    pub rules: Vec<CompiledRule>,
    /// Each rule's file (display name).
    pub files: Vec<String>,
    /// Each rule's `rule_id`.
    pub rule_ids: Vec<String>,
    pub registry: FieldRegistry,
    pub index_fields: IndexFields,
}

/// Every query and EQL rule of `rules` and `rules_building_block`.
pub fn catalogue_rules() -> Catalogue {
    let root = corpus().join("detection-rules");
    let report = rules::load(&[root.join("rules"), root.join("rules_building_block")]);
    let schema = Schema::ecs();
    let lists = rules::ValueLists::new();
    let compiled = engine::compile(
        &report,
        &engine::CompileOptions {
            schema: &schema,
            value_lists: &lists,
            // 2024-05-01T00:00:00Z, the workload's clock start.
            now_nanos: 1_714_521_600_000_000_000,
            render: Default::default(),
            threads: 1,
        },
    );
    assert!(
        compiled.rules.len() > 1_400,
        "{} rules compiled",
        compiled.rules.len()
    );
    Catalogue {
        files: compiled.meta.iter().map(|m| m.file.clone()).collect(),
        rule_ids: compiled.meta.iter().map(|m| m.rule_id.clone()).collect(),
        rules: compiled.rules,
        registry: compiled.registry,
        index_fields: compiled.index_fields,
    }
}

/// `events` generated documents (NDJSON lines) with `attack_ppm` attack
/// stories per million events, and what the generator injected.
pub fn workload(events: u64, seed: u64, attack_ppm: u64) -> (Vec<String>, workload::Stats) {
    let cfg = workload::Config {
        events,
        seed,
        attack_ppm,
        ..workload::Config::default()
    };
    let mut out = Vec::new();
    let stats = workload::Generator::new(cfg)
        .expect("workload config")
        .write_ndjson(&mut out)
        .expect("generate");
    let lines = String::from_utf8(out)
        .expect("utf-8")
        .lines()
        .map(str::to_string)
        .collect();
    (lines, stats)
}

/// `docs` parsed for the catalogue with their index (events without one, and
/// malformed documents, left out), for matching-only benchmarks.
pub fn indexed_events(cat: &Catalogue, docs: &[String]) -> Vec<(event::Event<'static>, String)> {
    docs.iter()
        .filter_map(|d| {
            let ev = event::parse_event(d, &cat.registry).ok()?;
            let index =
                engine::index::event_index(&ev, &cat.index_fields, Some("logs-bench-default"))?
                    .into_owned();
            Some((ev.into_owned(), index))
        })
        .collect()
}
