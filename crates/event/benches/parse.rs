//! Parse throughput: the lazy scanner (`event::json::Parser`, and the
//! one-shot `parse_event`) against the serde_json visitor it replaced
//! (`event::json::reference`) and against full DOM parses (`serde_json::Value`,
//! simd-json, sonic-rs) of the same events.
//!
//! The registry holds the fields the detection-rules catalogue reads (every
//! field of every EQL and KQL rule, read from the shared corpus). Workloads:
//! - `generated`: 2,000 events of the workload generator (crate `workload`, via
//!   `support/generated.rs`);
//! - `corpus`: the shared corpus's real ECS documents (`events/*.ndjson`);
//! - `file`: the NDJSON file named by `PARSE_BENCH_EVENTS`, if set (e.g. the
//!   output of the workspace's workload generator).
//!
//! Throughput is reported in events/s; the workload's mean event size (printed
//! first) turns it into MB/s. Run: `cargo bench -p event --bench parse`.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/generated.rs"]
mod generated;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use event::json::{reference, Parser};
use event::{parse_event, FieldRegistry};

struct Workload {
    name: &'static str,
    lines: Vec<String>,
}

fn workloads() -> Vec<Workload> {
    let mut out = vec![
        Workload {
            name: "generated",
            lines: generated::events(2000, 42),
        },
        Workload {
            name: "corpus",
            lines: corpus::ecs_event_lines(),
        },
    ];
    if let Some(path) = std::env::var_os("PARSE_BENCH_EVENTS") {
        let text = std::fs::read_to_string(&path).expect("PARSE_BENCH_EVENTS");
        out.push(Workload {
            name: "file",
            lines: text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .take(20_000)
                .map(str::to_string)
                .collect(),
        });
    }
    out
}

fn catalogue_registry() -> FieldRegistry {
    let mut r = FieldRegistry::new();
    for f in corpus::catalogue_fields() {
        r.intern(&f);
    }
    r
}

fn bench_parse(c: &mut Criterion) {
    let registry = catalogue_registry();
    for w in workloads() {
        let lines = &w.lines;
        let bytes: usize = lines.iter().map(String::len).sum();
        let kept: usize = lines
            .iter()
            .filter_map(|l| parse_event(l, &registry).ok())
            .map(|e| e.entries().len())
            .sum();
        eprintln!(
            "workload {}: {} events, {:.0} bytes/event, registry {} fields, {:.1} values kept/event",
            w.name,
            lines.len(),
            bytes as f64 / lines.len() as f64,
            registry.len(),
            kept as f64 / lines.len() as f64,
        );
        let mut g = c.benchmark_group(format!("parse/{}", w.name));
        g.throughput(Throughput::Elements(lines.len() as u64));
        g.bench_function("serde_visitor_old", |b| {
            b.iter(|| {
                for l in lines {
                    black_box(reference::parse_event(l, &registry).ok());
                }
            })
        });
        g.bench_function("scanner_parser", |b| {
            let mut parser = Parser::new();
            b.iter(|| {
                for l in lines {
                    if let Ok(e) = parser.parse(l, &registry) {
                        black_box(&e);
                        parser.recycle(e);
                    }
                }
            })
        });
        g.bench_function("scanner_parser_no_fields", |b| {
            let empty = FieldRegistry::new();
            let mut parser = Parser::new();
            b.iter(|| {
                for l in lines {
                    if let Ok(e) = parser.parse(l, &empty) {
                        black_box(&e);
                        parser.recycle(e);
                    }
                }
            })
        });
        g.bench_function("scanner_parse_event", |b| {
            b.iter(|| {
                for l in lines {
                    black_box(parse_event(l, &registry).ok());
                }
            })
        });
        g.bench_function("serde_json_value_dom", |b| {
            b.iter(|| {
                for l in lines {
                    black_box(serde_json::from_str::<serde_json::Value>(l).ok());
                }
            })
        });
        g.bench_function("simd_json_dom", |b| {
            let mut buffers = simd_json::Buffers::default();
            let mut copy = Vec::new();
            b.iter(|| {
                for l in lines {
                    copy.clear();
                    copy.extend_from_slice(l.as_bytes());
                    let v = simd_json::to_borrowed_value_with_buffers(&mut copy, &mut buffers);
                    black_box(v.is_ok());
                }
            })
        });
        g.bench_function("sonic_rs_dom", |b| {
            b.iter(|| {
                for l in lines {
                    black_box(sonic_rs::from_str::<sonic_rs::Value>(l).ok());
                }
            })
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(4));
    targets = bench_parse
}
criterion_main!(benches);
