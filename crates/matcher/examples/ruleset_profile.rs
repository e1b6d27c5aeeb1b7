//! Matching alone over a generated workload, for profilers (perf, callgrind):
//! `cargo run --release -p matcher --example ruleset_profile -- EVENTS PASSES [reference]`.
//! Prints the rule set's build time, the time per pass and events/s.

#[path = "../tests/ruleset_support/mod.rs"]
mod ruleset_support;

use matcher::ruleset::RuleSet;

fn main() {
    let mut args = std::env::args().skip(1);
    let events: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let passes: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let reference = args.next().is_some_and(|a| a == "reference");
    let cat = ruleset_support::catalogue_rules();
    let docs = ruleset_support::workload(events, 1, 5_000).0;
    let parsed = ruleset_support::indexed_events(&cat, &docs);
    let t = std::time::Instant::now();
    let set = RuleSet::build(cat.rules.clone());
    eprintln!("build: {:?}; {:?}", t.elapsed(), set.prefilter_stats());
    let mut scratch = set.scratch();
    // One pass to warm caches (routes, lazily compiled matchers), then the
    // measured passes (`measure` is what callgrind's --toggle-collect names).
    pass(&set, &parsed, &mut scratch, reference);
    let before = scratch.evaluated();
    let t = std::time::Instant::now();
    let mut hits = 0usize;
    for _ in 0..passes {
        hits += measure(&set, &parsed, &mut scratch, reference);
    }
    let dt = t.elapsed();
    eprintln!(
        "mark memo (hits, misses): {:?}; (heap bytes, resets): {:?}",
        scratch.mark_memo_counts(),
        scratch.mark_memo_usage()
    );
    let n = parsed.len() as f64 * f64::from(passes);
    eprintln!(
        "{} events x {passes}: {:?}, {:.0} events/s, {:.2} evaluated/event, hits {hits}",
        parsed.len(),
        dt,
        n / dt.as_secs_f64(),
        (scratch.evaluated() - before) as f64 / n
    );
}

#[inline(never)]
fn measure(
    set: &RuleSet,
    events: &[(event::Event<'_>, String)],
    scratch: &mut matcher::ruleset::Scratch,
    reference: bool,
) -> usize {
    pass(set, events, scratch, reference)
}

fn pass(
    set: &RuleSet,
    events: &[(event::Event<'_>, String)],
    scratch: &mut matcher::ruleset::Scratch,
    reference: bool,
) -> usize {
    let mut hits = 0;
    for (ev, index) in events {
        let h = if reference {
            set.evaluate_reference(ev, index, scratch)
        } else {
            set.evaluate(ev, index, scratch)
        };
        hits += h.single.len() + h.multi.len();
    }
    hits
}
