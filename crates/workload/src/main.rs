//! `vigil-workload`: writes a deterministic ECS workload as NDJSON (optionally
//! gzip or zstd compressed) and prints a summary to stderr.

use anyhow::{Context, Result};
use clap::Parser;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use workload::{Config, Generator, Stats};

#[derive(Parser, Debug)]
#[command(
    name = "vigil-workload",
    version,
    about = "Write a deterministic, realistic ECS event workload (NDJSON) for benchmarks",
    after_help = "Examples:\n  vigil-workload --events 100000 --seed 1 --out bench/out/w100k.ndjson\n  \
                  vigil-workload --events 10000000 --zstd --out w10m.ndjson.zst\n  \
                  vigil-workload --events 1000 --attack-rate 0.05 | head"
)]
struct Args {
    /// Number of events.
    #[arg(long, default_value_t = 10_000)]
    events: u64,
    /// PRNG seed: the same seed and options give the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output file; `-` is stdout.
    #[arg(long, default_value = "-")]
    out: String,
    /// Compress with gzip.
    #[arg(long, conflicts_with = "zstd")]
    gzip: bool,
    /// Compress with zstd.
    #[arg(long)]
    zstd: bool,
    /// Number of hosts (at least 3).
    #[arg(long, default_value_t = 50)]
    hosts: usize,
    /// Clock start (UTC), e.g. 2024-05-01T00:00:00Z.
    #[arg(long, default_value = "2024-05-01T00:00:00Z")]
    start: String,
    /// Probability per event of starting an attack story.
    #[arg(long, default_value = "0.001")]
    attack_rate: String,
    /// Mean events per second over the fleet (sets the span of time covered).
    #[arg(long, default_value_t = 200)]
    eps: u64,
    /// Also write the summary (counts per data set, injections, expected alerts per rule) as JSON here.
    #[arg(long, value_name = "FILE")]
    stats: Option<String>,
}

fn main() -> std::process::ExitCode {
    match run(Args::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vigil-workload: error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> Result<()> {
    let cfg = Config {
        events: args.events,
        seed: args.seed,
        hosts: args.hosts,
        start_ms: workload::time::parse_iso_millis(&args.start)?,
        attack_ppm: workload::attack_ppm(&args.attack_rate)?,
        events_per_second: args.eps,
    };
    let mut generator = Generator::new(cfg)?;
    let sink: Box<dyn Write> = if args.out == "-" {
        Box::new(io::stdout().lock())
    } else {
        Box::new(File::create(&args.out).with_context(|| format!("creating {}", args.out))?)
    };
    let sink = BufWriter::with_capacity(1 << 20, sink);
    let stats = if args.gzip {
        let mut enc = flate2::write::GzEncoder::new(sink, flate2::Compression::fast());
        let s = generator.write_ndjson(&mut enc)?;
        enc.finish()?.flush()?;
        s
    } else if args.zstd {
        let mut enc = zstd::stream::write::Encoder::new(sink, 3)?;
        let s = generator.write_ndjson(&mut enc)?;
        enc.finish()?.flush()?;
        s
    } else {
        let mut sink = sink;
        generator.write_ndjson(&mut sink)?
    };
    report(&stats);
    if let Some(path) = &args.stats {
        std::fs::write(path, stats_json(&stats).to_string() + "\n")
            .with_context(|| format!("writing {path}"))?;
    }
    Ok(())
}

fn report(stats: &Stats) {
    let mean = stats.bytes as f64 / stats.events.max(1) as f64;
    eprintln!(
        "vigil-workload: {} events, {} bytes, mean {:.0} B/event, {} out of order",
        stats.events, stats.bytes, mean, stats.out_of_order
    );
    let injected: u64 = stats.by_scenario.values().sum();
    eprintln!("  injected stories: {injected}");
}

fn stats_json(stats: &Stats) -> serde_json::Value {
    serde_json::json!({
        "events": stats.events,
        "bytes": stats.bytes,
        "mean_event_bytes": stats.bytes as f64 / stats.events.max(1) as f64,
        "out_of_order": stats.out_of_order,
        "by_dataset": stats.by_dataset,
        "by_scenario": stats.by_scenario,
        "expected_alerts": stats.expected_alerts(),
    })
}
