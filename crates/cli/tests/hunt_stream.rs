//! `vigil hunt` streaming options: `--reorder-window` and the report of
//! events that came too late for it, `--state-memory` / `--temp-dir`, and
//! the hidden `--parse-only` floor.
//! Rules: `crates/engine/tests/data/hunt/stream/rules.ndjson`.

mod common;

use std::path::PathBuf;
use std::process::Output;

const RULES: &str = "crates/engine/tests/data/hunt/stream/rules.ndjson";
const NOW: &str = "2026-11-02T12:00:00Z";

fn vigil(args: &[&str]) -> Output {
    common::hunt(
        &[
            &["--now", NOW, "--rules", RULES, "--format", "ndjson"],
            args,
        ]
        .concat(),
    )
}

fn event(second: u32, host: &str, name: &str) -> String {
    format!(
        r#"{{"@timestamp":"2026-11-02T10:{:02}:{:02}Z","data_stream":{{"type":"logs","dataset":"endpoint.events.process","namespace":"default"}},"event":{{"category":["process"],"type":["start"]}},"host":{{"name":"{host}"}},"process":{{"name":"{name}"}}}}"#,
        second / 60,
        second % 60
    )
}

/// h0's `a` (10:00:00) written after ten minutes of h1's `b`s; h0's `b` at
/// 10:00:30 completes `a then b within 1m` once the `a` is in its place.
fn late_file(tag: &str) -> PathBuf {
    let mut lines = vec![event(30, "h0", "b")];
    lines.extend((0..600).map(|s| event(s, "h1", "b")));
    lines.sort();
    lines.push(event(0, "h0", "a"));
    let path = std::env::temp_dir().join(format!("vigil-late-{tag}-{}.ndjson", std::process::id()));
    std::fs::write(&path, lines.join("\n") + "\n").expect("write events");
    path
}

fn sequences(o: &Output) -> usize {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.contains(r#""kibana.alert.rule.rule_id":"stream-seq""#))
        .count()
}

#[test]
fn events_later_than_the_window_are_reported() {
    let file = late_file("window");
    let path = file.to_str().unwrap();
    // Held to the end (a small input fits the buffer): exact, no warning.
    let whole = vigil(&[path]);
    assert_eq!(whole.status.code(), Some(0));
    assert_eq!(sequences(&whole), 3);
    assert!(!String::from_utf8_lossy(&whole.stderr).contains("out of order"));
    // Nothing held beyond a one-minute window (released between batches of
    // 16 records): the `a` is ten minutes late.
    let streamed = vigil(&[
        "--reorder-hold",
        "0",
        "--reorder-window",
        "1m",
        "--batch-records",
        "16",
        path,
    ]);
    std::fs::remove_file(&file).ok();
    assert_eq!(streamed.status.code(), Some(0));
    assert_eq!(sequences(&streamed), 0);
    let err = String::from_utf8_lossy(&streamed.stderr);
    assert!(
        err.contains(
            "vigil: warning: 1 events arrived more than 1m out of order; sequences involving them may be missed: sort the input or raise --reorder-window\n"
        ),
        "{err}"
    );
}

#[test]
fn a_bad_window_is_an_error() {
    let o = vigil(&["--reorder-window", "soon", "-"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "vigil: error: --reorder-window soon: `soon` is not a number followed by s, m, h or d\n"
    );
}

#[test]
fn parse_only_reads_everything_and_evaluates_nothing() {
    let file = late_file("parse");
    let path = file.to_str().unwrap();
    let o = vigil(&["--parse-only", path]);
    std::fs::remove_file(&file).ok();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(o.stdout, b"");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.starts_with("events: 602 read\n"), "{err}");
    assert!(
        err.contains("alerts: 0 (critical 0, high 0, medium 0, low 0)\n"),
        "{err}"
    );
}

/// Four hosts' `a`, `b`, `a`, `b`, … one a second: with no memory for
/// state, every kept event goes to a file in `--temp-dir` (and sample
/// buckets to runs there): the same alerts, said on stderr, files removed.
#[test]
fn state_beyond_its_memory_goes_to_the_temp_dir_with_the_same_alerts() {
    let lines: Vec<String> = (0..400)
        .map(|s| event(s, &format!("h{}", s % 4), if s % 8 < 4 { "a" } else { "b" }))
        .collect();
    let dir = std::env::temp_dir().join(format!("vigil-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("events.ndjson");
    std::fs::write(&file, lines.join("\n") + "\n").expect("write events");
    let path = file.to_str().unwrap();
    let in_memory = vigil(&[path]);
    let on_disk = vigil(&[
        "--state-memory",
        "0",
        "--temp-dir",
        dir.to_str().unwrap(),
        path,
    ]);
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(left.len(), 1, "temporary files left: {left:?}");
    assert_eq!(on_disk.status.code(), Some(0));
    assert_eq!(sequences(&in_memory), 600);
    assert_eq!(on_disk.stdout, in_memory.stdout);
    let err = String::from_utf8_lossy(&on_disk.stderr);
    assert!(
        err.contains("events: 400 read, 400 kept for sequences (at most "),
        "{err}"
    );
    assert!(
        err.contains(
            " event texts and 0 runs of sample buckets written to disk to bound memory)\n"
        ),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&in_memory.stderr).contains("written to disk"));
}
