//! Measures catalogue load time:
//! `cargo run --release -p rules --example loadtime -- DIR...`
//! Prints wall time and process CPU time (the machine may be shared).

fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) * 10.0
}

fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    if std::env::var_os("LOADTIME_ONCE").is_some() {
        let opts = rules::LoadOptions {
            threads: 1,
            ..Default::default()
        };
        let report = rules::load_with(&paths, &opts);
        println!("live {}", report.live().count());
        return;
    }
    let default = rules::IndexPatterns::kibana_default();
    let ssh = rules::IndexPatterns::new(&[
        "logs-endpoint.events.file*",
        "endgame-*",
        "logs-sentinel_one_cloud_funnel.*",
    ]);
    let names = [
        ".ds-logs-endpoint.events.process-default-2024.01.01-000001",
        "logs-sentinel_one_cloud_funnel.event-default",
        "winlogbeat-8.12.0",
        "metrics-system.cpu-default",
    ];
    let t = std::time::Instant::now();
    let mut hits = 0usize;
    for i in 0..1_000_000 {
        let n = names[i % names.len()];
        hits += usize::from(default.matches(n)) + usize::from(ssh.matches(n));
    }
    println!(
        "2M IndexPatterns::matches in {:?} ({hits} hits)",
        t.elapsed()
    );
    for threads in [1, 0] {
        let opts = rules::LoadOptions {
            threads,
            ..Default::default()
        };
        for _ in 0..3 {
            let (t, c) = (std::time::Instant::now(), cpu_ms());
            let report = rules::load_with(&paths, &opts);
            println!(
                "threads={threads}: files {} live {} deprecated {} diagnostics {}: wall {:?}, cpu {:.0} ms",
                report.files,
                report.live().count(),
                report.deprecated.len(),
                report.all_diagnostics().count(),
                t.elapsed(),
                cpu_ms() - c
            );
        }
    }
}
