//! Instruction counts of one parse of a small fixed input, for callgrind
//! (repeatable where wall-clock timings on a shared machine are not):
//!
//! ```text
//! cargo bench -p event --bench parse_instructions --no-run
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     --toggle-collect='parse_instructions::measured*' target/release/deps/parse_instructions-<hash> new
//! ```
//!
//! `crates/event/benches/callgrind.sh` runs every variant and prints the
//! instructions per event. The argument picks the parser: `old` (serde
//! visitor), `new` (scanner, reused `Parser`), `fresh` (`parse_event`),
//! `serde_value`, `simd_json`, `sonic_rs`. The input: the first 200 events of
//! the bench's generator (seed 42) and the catalogue's fields. Without an
//! argument (as under `cargo bench`) every variant runs once.
//!
//! `parse_instructions time [rounds]` instead times every variant over the
//! bench's 2,000 generated events, interleaved, and prints each one's best
//! round in events/s and MB/s (steadier than back-to-back timings when other
//! work shares the machine).

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/generated.rs"]
mod generated;

use event::json::{reference, Parser};
use event::{parse_event, FieldRegistry};
use std::hint::black_box;

const EVENTS: u64 = 200;

/// The measured region: callgrind collects only inside this function.
#[inline(never)]
fn measured<T>(run: impl FnOnce() -> T) -> T {
    run()
}

#[inline(never)]
fn run_old(lines: &[String], registry: &FieldRegistry) -> usize {
    lines
        .iter()
        .filter_map(|l| reference::parse_event(l, registry).ok())
        .map(|e| black_box(e).entries().len())
        .sum()
}

#[inline(never)]
fn run_new(lines: &[String], registry: &FieldRegistry, parser: &mut Parser) -> usize {
    let mut kept = 0;
    for l in lines {
        if let Ok(e) = parser.parse(l, registry) {
            kept += black_box(&e).entries().len();
            parser.recycle(e);
        }
    }
    kept
}

#[inline(never)]
fn run_fresh(lines: &[String], registry: &FieldRegistry) -> usize {
    lines
        .iter()
        .filter_map(|l| parse_event(l, registry).ok())
        .map(|e| black_box(e).entries().len())
        .sum()
}

#[inline(never)]
fn run_serde_value(lines: &[String]) -> usize {
    lines
        .iter()
        .filter(|l| black_box(serde_json::from_str::<serde_json::Value>(l)).is_ok())
        .count()
}

#[inline(never)]
fn run_simd_json(lines: &[String], buffers: &mut simd_json::Buffers) -> usize {
    let mut copy = Vec::new();
    let mut ok = 0;
    for l in lines {
        copy.clear();
        copy.extend_from_slice(l.as_bytes());
        if black_box(simd_json::to_borrowed_value_with_buffers(
            &mut copy, buffers,
        ))
        .is_ok()
        {
            ok += 1;
        }
    }
    ok
}

#[inline(never)]
fn run_sonic_rs(lines: &[String]) -> usize {
    lines
        .iter()
        .filter(|l| black_box(sonic_rs::from_str::<sonic_rs::Value>(l)).is_ok())
        .count()
}

/// Every variant, by name, as a closure over its inputs and buffers.
type Variant<'x> = (&'static str, Box<dyn FnMut() -> usize + 'x>);

fn variants<'x>(
    lines: &'x [String],
    registry: &'x FieldRegistry,
    empty: &'x FieldRegistry,
) -> Vec<Variant<'x>> {
    let mut parser = Parser::new();
    let mut parser_empty = Parser::new();
    let mut buffers = simd_json::Buffers::default();
    // Warm the reused buffers so that measured runs are the steady state.
    run_new(lines, registry, &mut parser);
    run_new(lines, empty, &mut parser_empty);
    run_simd_json(lines, &mut buffers);
    vec![
        ("old", Box::new(move || run_old(lines, registry))),
        (
            "new",
            Box::new(move || run_new(lines, registry, &mut parser)),
        ),
        (
            "new_empty_registry",
            Box::new(move || run_new(lines, empty, &mut parser_empty)),
        ),
        ("fresh", Box::new(move || run_fresh(lines, registry))),
        ("serde_value", Box::new(move || run_serde_value(lines))),
        (
            "simd_json",
            Box::new(move || run_simd_json(lines, &mut buffers)),
        ),
        ("sonic_rs", Box::new(move || run_sonic_rs(lines))),
    ]
}

/// Interleaved timing, robust on a shared machine: every variant runs once per
/// round, in turn, and keeps its fastest round.
fn time(rounds: usize) {
    let lines = generated::events(2000, 42);
    let bytes: usize = lines.iter().map(String::len).sum();
    let registry = catalogue_registry();
    let empty = FieldRegistry::new();
    let mut variants = variants(&lines, &registry, &empty);
    let mut best = vec![f64::INFINITY; variants.len()];
    for _ in 0..rounds {
        for (i, (_, run)) in variants.iter_mut().enumerate() {
            let start = std::time::Instant::now();
            black_box(run());
            best[i] = best[i].min(start.elapsed().as_secs_f64());
        }
    }
    println!(
        "{} events, {:.0} bytes/event, best of {rounds} rounds",
        lines.len(),
        bytes as f64 / lines.len() as f64
    );
    println!("{:<20} {:>12} {:>10}", "parser", "events/s", "MB/s");
    for ((name, _), secs) in variants.iter().zip(&best) {
        println!(
            "{name:<20} {:>12.0} {:>10.1}",
            lines.len() as f64 / secs,
            bytes as f64 / secs / 1e6
        );
    }
}

fn catalogue_registry() -> FieldRegistry {
    let mut registry = FieldRegistry::new();
    for f in corpus::catalogue_fields() {
        registry.intern(&f);
    }
    // Build the path table (once per registry) outside the measured runs.
    let _ = parse_event("{}", &registry);
    registry
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if args.first().map(String::as_str) == Some("time") {
        time(args.get(1).and_then(|r| r.parse().ok()).unwrap_or(20));
        return;
    }
    let lines = generated::events(EVENTS, 42);
    let registry = catalogue_registry();
    let empty = FieldRegistry::new();
    let _ = parse_event("{}", &empty);
    for (name, mut run) in variants(&lines, &registry, &empty) {
        if args.is_empty() || args[0] == name {
            println!("{name}: {}", measured(&mut run));
        }
    }
}
