//! Which rules cost most in the compiled rule set over a generated workload:
//! per rule, the queries evaluated in full per event and the time they took.
//! `cargo run --release -p matcher --features profile --example ruleset_costs -- EVENTS PASSES`
#[path = "../tests/ruleset_support/mod.rs"]
mod ruleset_support;
use matcher::ruleset::RuleSet;
fn main() {
    let mut args = std::env::args().skip(1);
    let events: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let passes: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let cat = ruleset_support::catalogue_rules();
    let docs = ruleset_support::workload(events, 1, 5_000).0;
    let parsed: Vec<_> = docs
        .iter()
        .filter_map(|d| {
            let ev = event::parse_event(d, &cat.registry).ok()?;
            let index =
                engine::index::event_index(&ev, &cat.index_fields, Some("logs-bench-default"))?
                    .into_owned();
            Some((ev, index))
        })
        .collect();
    let set = RuleSet::build(cat.rules.clone());
    let mut scratch = set.scratch();
    let mut costs = vec![(0u64, 0u64); set.len()];
    for _ in 0..passes {
        for (ev, index) in &parsed {
            set.evaluate_profiled(ev, index, &mut scratch, &mut costs);
        }
    }
    let n = parsed.len() as f64 * f64::from(passes);
    let mut rows: Vec<_> = costs.iter().enumerate().collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.1 .1));
    let total: u64 = costs.iter().map(|c| c.1).sum();
    println!("evaluation ns/event {:.0}", total as f64 / n);
    for (i, (count, nanos)) in rows.iter().take(40) {
        println!(
            "{:7.1} ns/event {:6.3} eval/event {:6.0} ns/eval  {}",
            *nanos as f64 / n,
            *count as f64 / n,
            *nanos as f64 / (*count).max(1) as f64,
            cat.files[*i]
                .rsplit("detection-rules/")
                .next()
                .unwrap_or("")
        );
    }
}
