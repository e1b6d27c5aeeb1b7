//! Matching alone (events already parsed, index already derived): one rule,
//! 100 rules and the whole catalogue (query + EQL rules of detection-rules'
//! `rules` and `rules_building_block`) over a generated workload, with the
//! reference loop (every rule evaluated) on a slice for comparison.
//!
//! Throughput is in events: criterion's `elem/s` is events per second for
//! the matching step. Before timing, it prints the prefilter's statistics and
//! the mean number of queries evaluated in full per event.
//!
//! Run: `cargo bench -p matcher --bench ruleset` (the corpus must be at
//! `../shared/corpus` or `VIGIL_CORPUS`; `RULESET_BENCH_EVENTS` sets the
//! workload size, default 20000).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use event::Event;
use matcher::ruleset::{CompiledRule, RuleSet};

#[path = "../tests/ruleset_support/mod.rs"]
mod ruleset_support;

struct Workload {
    events: Vec<(Event<'static>, String)>,
}

fn workload(cat: &ruleset_support::Catalogue) -> Workload {
    let n: u64 = std::env::var("RULESET_BENCH_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let docs = ruleset_support::workload(n, 1, 5_000).0;
    Workload {
        events: ruleset_support::indexed_events(cat, &docs),
    }
}

fn report(name: &str, set: &RuleSet, w: &Workload) {
    let mut scratch = set.scratch();
    let (mut single, mut multi) = (0u64, 0u64);
    for (ev, index) in &w.events {
        let hits = set.evaluate(ev, index, &mut scratch);
        single += hits.single.len() as u64;
        multi += hits.multi.len() as u64;
    }
    let n = w.events.len() as f64;
    println!(
        "{name}: {} rules, {} events; queries evaluated per event {:.2}; hits {single}, stage candidates per event {:.2}; {:?}",
        set.len(),
        w.events.len(),
        scratch.evaluated() as f64 / n,
        multi as f64 / n,
        set.prefilter_stats()
    );
}

fn bench_set(c: &mut Criterion, name: &str, rules: Vec<CompiledRule>, w: &Workload) {
    let set = RuleSet::build(rules);
    report(name, &set, w);
    let mut group = c.benchmark_group("match");
    group.throughput(Throughput::Elements(w.events.len() as u64));
    group.sample_size(10);
    group.bench_function(name, |b| {
        let mut scratch = set.scratch();
        b.iter(|| {
            let mut hits = 0usize;
            for (ev, index) in &w.events {
                hits += set.evaluate(ev, index, &mut scratch).single.len();
            }
            hits
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let cat = ruleset_support::catalogue_rules();
    let w = workload(&cat);
    let one: Vec<CompiledRule> = cat
        .files
        .iter()
        .zip(&cat.rules)
        .filter(|(f, _)| f.ends_with("persistence_ssh_key_generation.toml"))
        .map(|(_, r)| r.clone())
        .collect();
    assert_eq!(one.len(), 1, "the SSH key generation rule");
    bench_set(c, "one_rule", one, &w);
    bench_set(c, "100_rules", cat.rules[..100].to_vec(), &w);
    bench_set(c, "catalogue", cat.rules.clone(), &w);

    let set = RuleSet::build(cat.rules.clone());
    let slice = &w.events[..w.events.len().min(1_000)];
    let mut group = c.benchmark_group("match");
    group.throughput(Throughput::Elements(slice.len() as u64));
    group.sample_size(10);
    group.bench_function("catalogue_reference", |b| {
        b.iter_batched_ref(
            || set.scratch(),
            |scratch| {
                let mut hits = 0usize;
                for (ev, index) in slice {
                    hits += set.evaluate_reference(ev, index, scratch).single.len();
                }
                hits
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(ruleset, benches);
criterion_main!(ruleset);
