//! Reference floors for event parsing: how fast JSON DOM parsers alone turn the
//! lines of an NDJSON workload into trees, single-threaded, on the same file the
//! end-to-end harness uses. Not a test; run it as
//!
//! ```text
//! cargo run --release -p workload --example parse_floor -- bench/out/w1m.ndjson [--reps 3]
//! ```
//!
//! The file is read into memory first; each parser then goes over every line
//! (best of `--reps` runs is reported). simd-json parses in place, so its line
//! is copied into a reused buffer first (that copy is part of its figure, as it
//! would be for a real reader). Output: a markdown table on stdout.

use std::hint::black_box;
use std::time::{Duration, Instant};

struct Floor {
    name: &'static str,
    run: fn(&[&[u8]]) -> usize,
}

fn serde_value(lines: &[&[u8]]) -> usize {
    lines
        .iter()
        .filter_map(|l| serde_json::from_slice::<serde_json::Value>(l).ok())
        .map(|v| v.as_object().map_or(0, |o| o.len()))
        .sum()
}

fn serde_ignored(lines: &[&[u8]]) -> usize {
    lines
        .iter()
        .filter(|l| serde_json::from_slice::<serde::de::IgnoredAny>(l).is_ok())
        .count()
}

fn simd_borrowed(lines: &[&[u8]]) -> usize {
    use simd_json::prelude::ValueAsObject;
    let mut buf = Vec::with_capacity(1 << 16);
    let mut buffers = simd_json::Buffers::default();
    let mut n = 0;
    for l in lines {
        buf.clear();
        buf.extend_from_slice(l);
        if let Ok(v) = simd_json::to_borrowed_value_with_buffers(&mut buf, &mut buffers) {
            n += black_box(&v).as_object().map_or(0, |o| o.len());
        }
    }
    n
}

fn sonic_value(lines: &[&[u8]]) -> usize {
    use sonic_rs::JsonContainerTrait;
    lines
        .iter()
        .filter_map(|l| sonic_rs::from_slice::<sonic_rs::Value>(l).ok())
        .map(|v| v.as_object().map_or(0, |o| o.len()))
        .sum()
}

/// Lazy: fetch only `event.category` and `process.name` without building a tree.
fn sonic_lazy_two_fields(lines: &[&[u8]]) -> usize {
    lines
        .iter()
        .map(|l| {
            let a = sonic_rs::get(*l, &["event", "category"]).is_ok();
            let b = sonic_rs::get(*l, &["process", "name"]).is_ok();
            usize::from(a) + usize::from(b)
        })
        .sum()
}

const FLOORS: &[Floor] = &[
    Floor {
        name: "serde_json::Value",
        run: serde_value,
    },
    Floor {
        name: "serde_json IgnoredAny (validate only)",
        run: serde_ignored,
    },
    Floor {
        name: "simd-json BorrowedValue",
        run: simd_borrowed,
    },
    Floor {
        name: "sonic-rs Value",
        run: sonic_value,
    },
    Floor {
        name: "sonic-rs lazy get (2 fields)",
        run: sonic_lazy_two_fields,
    },
];

fn best_of(reps: u32, lines: &[&[u8]], f: fn(&[&[u8]]) -> usize) -> Duration {
    (0..reps.max(1))
        .map(|_| {
            let t = Instant::now();
            black_box(f(black_box(lines)));
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .ok_or("usage: parse_floor FILE.ndjson [--reps N]")?;
    let reps = match args.iter().position(|a| a == "--reps") {
        Some(i) => args.get(i + 1).ok_or("--reps needs a number")?.parse()?,
        None => 3,
    };
    let data = std::fs::read(path)?;
    let lines: Vec<&[u8]> = data
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mb = data.len() as f64 / 1e6;
    println!(
        "parse floors: {} events, {:.1} MB, mean {:.0} B/event, best of {reps}, 1 thread\n",
        lines.len(),
        mb,
        data.len() as f64 / lines.len().max(1) as f64
    );
    println!("| parser | events/s | MB/s |\n|---|---:|---:|");
    for floor in FLOORS {
        let secs = best_of(reps, &lines, floor.run).as_secs_f64();
        println!(
            "| {} | {:.0} | {:.0} |",
            floor.name,
            lines.len() as f64 / secs,
            mb / secs
        );
    }
    Ok(())
}
