//! Generated Elastic Agent–shaped ECS events for the parse benches: the
//! workspace's workload generator (crate `workload`, a dev-dependency), one
//! NDJSON line per event.

/// `count` events from the generator seeded with `seed`, as JSON lines.
pub fn events(count: u64, seed: u64) -> Vec<String> {
    let cfg = workload::Config {
        events: count,
        seed,
        ..workload::Config::default()
    };
    let mut ndjson = Vec::new();
    workload::Generator::new(cfg)
        .and_then(|mut g| g.write_ndjson(&mut ndjson))
        .expect("the workload generator writes to memory");
    String::from_utf8(ndjson)
        .expect("the generator writes UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}
