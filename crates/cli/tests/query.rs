//! `vigil query` end to end: exact output, diagnostics and exit codes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn vigil(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil"));
    cmd.args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    cmd.env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run vigil");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const EVENTS: &str = "examples/events/endpoint-linux-macos.ndjson";

fn ids(o: &Output) -> Vec<String> {
    stdout(o)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["event"]["id"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn the_ssh_keygen_rule_query_matches_exactly_the_key_creations() {
    let q = r#"file where host.os.type == "linux" and event.action in ("creation", "file_create_event") and
process.executable == "/usr/bin/ssh-keygen" and file.path : ("/home/*/.ssh/*", "/root/.ssh/*", "/etc/ssh/*") and
not file.name : "known_hosts.*""#;
    let o = vigil(&["query", "--format", "ndjson", q, EVENTS], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(ids(&o), ["f-0001", "f-0004"]);
}

#[test]
fn sequences_print_their_events_in_order() {
    let q = "sequence by host.id, process.pid [process where process.name == \"ssh-keygen\"] [file where true]";
    let o = vigil(&["query", "--format", "ndjson", q, EVENTS], None);
    assert_eq!(ids(&o), ["p-0001", "f-0001"]);
    let o = vigil(&["query", "--format", "json", q, EVENTS], None);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let seq = &v["hits"]["sequences"][0];
    assert_eq!(seq["join_keys"], serde_json::json!(["host-web-01", 4242]));
    assert_eq!(seq["events"][1]["_source"]["event"]["id"], "f-0001");
    assert_eq!(v["hits"]["total"]["value"], 1);
}

#[test]
fn malformed_lines_are_reported_and_skipped() {
    let input = "{\"event\":{\"id\":\"a\",\"category\":\"process\"}}\n{\"event\":\n{\"event\":{\"id\":\"b\",\"category\":\"process\"}}\n";
    let o = vigil(
        &["query", "--format", "ndjson", "process where true", "-"],
        Some(input),
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(ids(&o), ["a", "b"]);
    assert_eq!(
        stderr(&o),
        "vigil: warning: <stdin>:2: malformed event skipped: invalid JSON at column 9: EOF while parsing a value\n"
    );
}

#[test]
fn invalid_queries_exit_2_with_a_located_diagnostic() {
    let o = vigil(
        &["query", "--check", "process where process.name == "],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error[EQL0002]: expected an expression, found end of query\n --> query:1:31\n  |\n1 | process where process.name == \n  |                               ^ expected an expression\n"
    );
    let o = vigil(&["query", "--check", "process where true"], None);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn fail_on_match_exits_1_only_when_something_matched() {
    let o = vigil(
        &[
            "query",
            "--fail-on-match",
            "--format",
            "ndjson",
            "process where process.name == \"mkpassdb\"",
            EVENTS,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let o = vigil(
        &[
            "query",
            "--fail-on-match",
            "process where process.name == \"nothing\"",
            EVENTS,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn missing_input_files_are_errors() {
    let o = vigil(&["query", "any where true", "does/not/exist.ndjson"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("vigil: error: does/not/exist.ndjson: "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn usage_errors_exit_2() {
    let o = vigil(&["query"], None);
    assert_eq!(o.status.code(), Some(2));
}
