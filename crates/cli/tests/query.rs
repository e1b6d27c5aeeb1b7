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

/// `--threads` changes how fast, never what: the same results and the same
/// malformed-record warnings in the same order, over inputs of several
/// batches (4,096 records each) with bad lines, an empty file, and a file of
/// exactly two batches.
#[test]
fn threads_give_the_one_thread_results_and_warnings() {
    let dir = std::env::temp_dir().join(format!("vigil-query-threads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut paths = Vec::new();
    let mut matching = 0;
    let files = [
        ("a.ndjson", 9_000u32),
        ("empty.ndjson", 0),
        ("c.ndjson", 8_192),
        ("b.ndjson", 5_000),
    ];
    for (file, count) in files {
        let mut text = String::new();
        for i in 0..count {
            match i % 997 {
                13 if file != "c.ndjson" => text.push_str("{\"event\":\n"),
                500 if file != "c.ndjson" => text.push_str("not json\n"),
                _ => {
                    matching += usize::from(i % 7 == 3);
                    text.push_str(&format!(
                    "{{\"@timestamp\":\"2024-05-01T00:00:{:02}Z\",\"event\":{{\"id\":\"{file}-{i}\",\"category\":\"process\"}},\"process\":{{\"pid\":{}}}}}\n",
                    i % 60,
                    i % 7
                ))
                }
            }
        }
        let path = dir.join(file);
        std::fs::write(&path, text).unwrap();
        paths.push(path.display().to_string());
    }
    let query = "process where process.pid == 3";
    let run = |threads: &str| {
        let mut args = vec!["query", "--format", "ndjson", "-j", threads, query];
        args.extend(paths.iter().map(String::as_str));
        vigil(&args, None)
    };
    let one = run("1");
    assert_eq!(one.status.code(), Some(0), "{}", stderr(&one));
    assert_eq!(ids(&one).len(), matching);
    assert!(ids(&one)[0].starts_with("a.ndjson-"));
    assert!(ids(&one).last().unwrap().starts_with("b.ndjson-"));
    assert!(stderr(&one).contains("a.ndjson:14: malformed event skipped"));
    for threads in ["2", "3", "8"] {
        let many = run(threads);
        assert_eq!(many.status.code(), Some(0));
        assert_eq!(
            stdout(&many),
            stdout(&one),
            "results with {threads} threads"
        );
        assert_eq!(
            stderr(&many),
            stderr(&one),
            "warnings with {threads} threads"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
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

#[test]
fn kql_form_of_the_hash_dumping_rule() {
    let q = r#"event.category:process and host.os.type:macos and event.type:start and process.name:(defaults or mkpassdb) and process.args:(ShadowHashData or "-dump")"#;
    let o = vigil(
        &[
            "query",
            "--language",
            "kql",
            "--format",
            "ndjson",
            q,
            EVENTS,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(ids(&o), ["p-0002", "p-0003"]);
}

#[test]
fn kql_syntax_errors_are_located() {
    let o = vigil(
        &[
            "query",
            "--language",
            "kql",
            "--check",
            "process.name:(cmd.exe",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error[KQL0001]: Expected \")\", AND, OR but end of input found.\n --> query:1:22\n  |\n1 | process.name:(cmd.exe\n  |                      ^\n"
    );
}

#[test]
fn lucene_queries_run_too() {
    let o = vigil(
        &[
            "query",
            "--language",
            "lucene",
            "--format",
            "ndjson",
            "process.name:mkpassdb AND _exists_:process.args",
            EVENTS,
        ],
        None,
    );
    assert_eq!(ids(&o), ["p-0003"]);
}
