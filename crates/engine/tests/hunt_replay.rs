//! `Mode::Replay` on a small timeline (`tests/data/hunt/replay/`): three rules
//! with `interval: 5m`, `from: now-9m` (4 minutes of overlap) and a small
//! `max_signals`, over events given in reverse time order.
//!
//! Kibana (paths under `x-pack/solutions/security/plugins/security_solution/server/lib/detection_engine/rule_types/`):
//! - a query rule pages through its window sorted by timestamp and stops
//!   after `max_signals` *new* alerts; alerts of an earlier overlapping window
//!   are filtered out by id before the cap (`utils/search_after_bulk_create_factory.ts`;
//!   `filterDuplicateAlerts` then the `maxAlerts` cut in the rule registry's
//!   `create_persistence_rule_type_wrapper.ts`);
//! - an EQL rule makes one search of `size: max_signals` (`eql/eql.ts`): the
//!   first events (or sequences) of the window, duplicates included.
//!
//! Executions are aligned on multiples of the interval (10:05, 10:10, …).

mod support;

use engine::{Mode, RunReport};
use support::*;

fn run(mode: Mode, threads: usize) -> RunReport {
    let h = hunt(&[data("hunt/replay/rules.ndjson")], &[], &[]);
    assert!(h.problems.is_empty(), "{:?}", h.problems);
    let mut opts = options(threads);
    opts.mode = mode;
    opts.batch_records = 2;
    h.engine.run(
        vec![file_input(&data("hunt/replay/events.ndjson"), None)],
        &opts,
    )
}

/// (rule_id, event id or "shell", @timestamp of the alert).
fn alerts(report: &RunReport) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = report
        .alerts
        .iter()
        .map(|a| {
            let doc: serde_json::Value = serde_json::from_str(&a.json()).unwrap();
            let ts = doc["@timestamp"].as_str().unwrap()[11..16].to_string();
            let id = a.event_id.clone().unwrap_or_else(|| "shell".into());
            (a.rule_id.clone(), id, ts)
        })
        .collect();
    v.sort();
    v
}

fn triples(items: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = items
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    v.sort();
    v
}

#[test]
fn replay_caps_each_execution_and_deduplicates_overlapping_windows() {
    let report = run(Mode::Replay, 2);
    assert_eq!(
        alerts(&report),
        triples(&[
            // Query rule: 10:05 sees x1..x4, creates x1, x2 (cap 2); 10:10 sees
            // x2..x4, x2 exists, creates x3, x4; 10:20 creates x5.
            ("replay-kql", "x1", "10:05"),
            ("replay-kql", "x2", "10:05"),
            ("replay-kql", "x3", "10:10"),
            ("replay-kql", "x4", "10:10"),
            ("replay-kql", "x5", "10:20"),
            // EQL rule: 10:10's search returns x2, x3 (size 2): only x3 is new,
            // and x4 is never among the first two of a window.
            ("replay-eql", "x1", "10:05"),
            ("replay-eql", "x2", "10:05"),
            ("replay-eql", "x3", "10:10"),
            ("replay-eql", "x5", "10:20"),
            // Sequence rule (max 1): 10:35 returns h1 (shell + 2 building
            // blocks), 10:40 (window from 10:31) h2; h3 is never first.
            ("replay-seq", "a1", "10:35"),
            ("replay-seq", "b1", "10:35"),
            ("replay-seq", "shell", "10:35"),
            ("replay-seq", "a2", "10:40"),
            ("replay-seq", "b2", "10:40"),
            ("replay-seq", "shell", "10:40"),
        ])
    );
    // kql: 10:05, 10:10, 10:20, 10:25; eql: the same; seq: 10:30, 10:35, 10:40.
    assert_eq!(report.executions, 11);
}

#[test]
fn backfill_has_no_cap() {
    let report = run(Mode::Backfill, 2);
    let per_rule = |id: &str| report.alerts.iter().filter(|a| a.rule_id == id).count();
    assert_eq!(per_rule("replay-kql"), 5);
    assert_eq!(per_rule("replay-eql"), 5);
    // Three sequences, each a shell and two building blocks.
    assert_eq!(per_rule("replay-seq"), 9);
    assert_eq!(report.executions, 0);
}

#[test]
fn replay_is_the_same_on_one_thread() {
    let one: Vec<String> = run(Mode::Replay, 1)
        .alerts
        .into_iter()
        .map(|a| a.json())
        .collect();
    let four: Vec<String> = run(Mode::Replay, 4)
        .alerts
        .into_iter()
        .map(|a| a.json())
        .collect();
    assert_eq!(one, four);
}

/// `sample by` rules: Elasticsearch returns samples in `hits.sequences`, so
/// Kibana's EQL executor wraps them as sequences (a shell alert and one
/// building block per event, `eql/eql.ts` → `wrapSequences`).
#[test]
fn sample_rules_alert_like_sequences() {
    let dir = std::env::temp_dir().join(format!("vigil-sample-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rule = dir.join("sample.json");
    std::fs::write(
        &rule,
        r#"{"rule_id":"sample-ab","name":"Sample: a and b","description":"d","type":"eql","language":"eql","risk_score":21,"severity":"low","index":["logs-endpoint.events.*"],"query":"sample by host.name [process where process.name == \"a\"] [process where process.name == \"b\"]"}"#,
    )
    .unwrap();
    let h = hunt(&[rule], &[], &[]);
    std::fs::remove_dir_all(&dir).ok();
    assert!(h.problems.is_empty(), "{:?}", h.problems);
    let report = h.engine.run(
        vec![file_input(&data("hunt/replay/events.ndjson"), None)],
        &options(2),
    );
    // h1, h2, h3 each have an `a` and a `b` (order does not matter to samples).
    let mut got: Vec<(String, bool)> = report
        .alerts
        .iter()
        .map(|a| (a.event_id.clone().unwrap_or_default(), a.building_block))
        .collect();
    got.sort();
    let want: Vec<(String, bool)> = [
        ("", false),
        ("", false),
        ("", false),
        ("a1", true),
        ("a2", true),
        ("a3", true),
        ("b1", true),
        ("b2", true),
        ("b3", true),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), *b))
    .collect();
    assert_eq!(got, want);
}
