//! `vigil hunt` end to end: exit codes, the summary on stderr, output formats,
//! determinism across threads. Data: `crates/engine/tests/data/hunt/`, the
//! catalogue from `../shared/corpus/detection-rules` (or `VIGIL_CORPUS`).

mod common;

use std::process::Output;
use testkit::corpus;

fn catalogue(rel: &str) -> String {
    corpus()
        .join("detection-rules")
        .join(rel)
        .display()
        .to_string()
}

const DATA: &str = "crates/engine/tests/data/hunt";
const NOW: &str = "2026-11-02T12:00:00Z";

fn vigil(args: &[&str]) -> Output {
    common::hunt(&[&["--now", NOW], args].concat())
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Stderr without the last line (elapsed time and rate vary), which is checked
/// for its shape.
fn stderr_stable(o: &Output) -> String {
    let text = String::from_utf8_lossy(&o.stderr).into_owned();
    let mut lines: Vec<&str> = text.lines().collect();
    let last = lines.pop().unwrap_or_default();
    assert!(
        last.starts_with("time: ") && last.ends_with(" events/s"),
        "last stderr line: {last}"
    );
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn example_rules() -> Vec<String> {
    vec![
        "--rules".into(),
        catalogue("rules/linux/persistence_ssh_key_generation.toml"),
        "--rules".into(),
        catalogue("rules/macos/credential_access_dumping_hashes_bi_cmds.toml"),
    ]
}

fn with(mut base: Vec<String>, more: &[&str]) -> Vec<String> {
    base.extend(more.iter().map(|s| s.to_string()));
    base
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn example_events_with_the_example_rules() {
    let a = with(
        example_rules(),
        &[
            "--format",
            "csv",
            "examples/events/endpoint-linux-macos.ndjson",
        ],
    );
    let o = vigil(&args(&a));
    assert_eq!(o.status.code(), Some(0));
    let csv = stdout(&o);
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows[0].join(","),
        "time,severity,risk_score,rule_id,rule_name,host.name,user.name,event.id,source_index,source_id,alert_uuid,building_block,reason"
    );
    let got: Vec<(&str, &str, &str)> = rows[1..].iter().map(|r| (r[0], r[4], r[7])).collect();
    assert_eq!(
        got,
        [
            (
                "2026-11-02T09:14:03.120Z",
                "SSH Key Generated via ssh-keygen",
                "f-0001"
            ),
            (
                "2026-11-02T09:20:00.000Z",
                "SSH Key Generated via ssh-keygen",
                "f-0004"
            ),
            (
                "2026-11-02T10:02:17.330Z",
                "Dumping Account Hashes via Built-In Commands",
                "p-0002"
            ),
            (
                "2026-11-02T10:03:05.000Z",
                "Dumping Account Hashes via Built-In Commands",
                "p-0003"
            ),
            (
                "2026-11-02T10:05:10.000Z",
                "Dumping Account Hashes via Built-In Commands",
                "p-0005"
            ),
        ]
    );
    assert_eq!(
        stderr_stable(&o),
        "events: 11 read\n\
         rules: 2 loaded, 0 deprecated skipped, 0 unsupported, 0 invalid\n\
         alerts: 5 (critical 0, high 3, medium 0, low 2)\n\
         top rules: 3 Dumping Account Hashes via Built-In Commands; 2 SSH Key Generated via ssh-keygen\n"
    );
}

#[test]
fn fail_on_match_exits_1_only_with_alerts() {
    let a = with(
        example_rules(),
        &[
            "--fail-on-match",
            "examples/events/endpoint-linux-macos.ndjson",
        ],
    );
    assert_eq!(vigil(&args(&a)).status.code(), Some(1));
    let a = with(
        example_rules(),
        &[
            "--fail-on-match",
            "--until",
            "2020-01-01T00:00:00Z",
            "examples/events/endpoint-linux-macos.ndjson",
        ],
    );
    let o = vigil(&args(&a));
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "");
}

#[test]
fn broken_rule_malformed_line_and_exceptions_exit_2_with_exact_messages() {
    let o = vigil(&[
        "--rules",
        &format!("{DATA}/exceptions/export.ndjson"),
        "--rules",
        &format!("{DATA}/broken"),
        "--exceptions",
        &format!("{DATA}/exceptions/team-exceptions.ndjson"),
        "--value-list",
        &format!("{DATA}/exceptions/trusted-users.txt"),
        "--fail-on-match",
        "--format",
        "ndjson",
        &format!("{DATA}/exceptions/events.ndjson"),
    ]);
    // 2 (invalid rule, malformed input) wins over 1 (--fail-on-match).
    assert_eq!(o.status.code(), Some(2));
    let ids: Vec<(String, String)> = stdout(&o)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["kibana.alert.rule.rule_id"].as_str().unwrap().to_string(),
                v["kibana.alert.original_event.id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    let ids: Vec<(&str, &str)> = ids.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(
        ids,
        [
            ("custom-discovery-kql", "x01"),
            ("custom-whoami-eql", "x01"),
            ("custom-discovery-kql", "x04"),
            ("custom-whoami-eql", "x06"),
            ("custom-discovery-kql", "x08"),
            ("custom-discovery-kql", "x09"),
        ]
    );
    assert_eq!(
        stderr_stable(&o),
        format!(
            "error[EQL0002]: expected a constant, found end of query\n \
             --> {DATA}/broken/broken_rule.toml:22:1\n   \
             |\n\
             22 | '''\n   \
             | ^ expected a constant\n\
             vigil: warning: {DATA}/exceptions/events.ndjson:9: malformed event skipped: invalid JSON at column 65: EOF while parsing an object\n\
             events: 9 read, 1 malformed\n\
             rules: 2 loaded, 0 deprecated skipped, 0 unsupported, 1 invalid\n\
             alerts: 6 (critical 0, high 0, medium 4, low 2)\n\
             top rules: 4 Custom: discovery commands; 2 Custom: whoami (EQL)\n"
        )
    );
}

#[test]
fn events_without_index_are_counted_with_a_hint() {
    let o = vigil(
        &with(example_rules(), &[&format!("{DATA}/scenario.ndjson")])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o).lines().count(), 15);
    let err = stderr_stable(&o);
    assert!(err.starts_with(
        "vigil: warning: 1 events have no _index and no data_stream.*: no rule can match them; \
         name their index with --index (e.g. --index logs-endpoint.events.process-default)\n\
         events: 32 read, 1 without index, 1 without timestamp\n"
    ), "{err}");
}

#[test]
fn json_output_to_a_file_and_replay() {
    let out = std::env::temp_dir().join(format!("vigil-hunt-{}.json", std::process::id()));
    let o = vigil(&[
        "--rules",
        &format!("{DATA}/replay/rules.ndjson"),
        "--replay",
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
        &format!("{DATA}/replay/events.ndjson"),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "");
    let text = std::fs::read_to_string(&out).unwrap();
    std::fs::remove_file(&out).ok();
    let alerts: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(alerts.len(), 15);
    let err = stderr_stable(&o);
    assert!(
        err.contains("replay: 11 rule executions simulated\nalerts: 15 (critical 0, high 0, medium 0, low 15)\n"),
        "{err}"
    );
}

#[test]
fn whole_catalogue_output_is_identical_on_one_two_and_four_threads() {
    let run = |threads: &str| {
        let o = vigil(&[
            "--rules",
            &catalogue("rules"),
            "--rules",
            &catalogue("rules_building_block"),
            "--threads",
            threads,
            "--batch-records",
            "3",
            "--format",
            "ndjson",
            "examples/events/endpoint-linux-macos.ndjson",
            &format!("{DATA}/scenario.ndjson"),
            &format!("{DATA}/replay/events.ndjson"),
        ]);
        assert_eq!(o.status.code(), Some(0));
        o.stdout
    };
    let one = run("1");
    assert!(one.len() > 10_000, "{} bytes", one.len());
    assert!(one == run("2"), "outputs differ (2 threads)");
    assert!(one == run("4"), "outputs differ (4 threads)");
}

#[test]
fn a_directory_of_events_is_read_recursively_and_only_its_event_files() {
    let on = |path: &str| {
        let a = with(example_rules(), &["--format", "ndjson", path]);
        let o = vigil(&args(&a));
        assert_eq!(o.status.code(), Some(0), "{}", stderr_stable(&o));
        (stdout(&o), stderr_stable(&o))
    };
    let file = on("examples/events/endpoint-linux-macos.ndjson");
    assert_eq!(file.0.lines().count(), 5);
    // `examples/` also holds the rules (TOML): they are not read as events.
    assert_eq!(on("examples/events"), file);
    assert_eq!(on("examples"), file);
    let missing = vigil(&args(&with(example_rules(), &["examples/no-such-dir"])));
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn the_table_shows_a_sequence_as_one_row_at_its_first_event() {
    let a = with(
        vec!["--rules".to_string(), "examples/rules".to_string()],
        &[
            "--format",
            "table",
            "examples/events/endpoint-linux-macos.ndjson",
        ],
    );
    let o = vigil(&args(&a));
    assert_eq!(o.status.code(), Some(0));
    let rows: Vec<String> = stdout(&o)
        .lines()
        .map(|l| {
            l.chars()
                .take(76)
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect();
    assert_eq!(
        rows,
        [
            "time                      severity  rule                                      host.name",
            "2026-11-02T09:14:03.001Z  medium    SSH Key Generated, then authorized_keys Written",
            "2026-11-02T10:02:17.330Z  high      Dumping Account Hashes via Built-In Commands (KQL)",
            "2026-11-02T10:03:05.000Z  high      Dumping Account Hashes via Built-In Commands (KQL)",
            "2026-11-02T10:06:00.000Z  low       Command-Line Download Tool Connecting to a Public…",
        ]
        .map(|r| r.chars().take(76).collect::<String>().trim_end().to_string())
    );
    // The shell row carries the shell alert's reason; the summary counts documents.
    assert!(stdout(&o)
        .lines()
        .nth(1)
        .unwrap()
        .contains("  event by alice on web-01 created medium alert"));
    assert!(stderr_stable(&o).contains("alerts: 6 (critical 0, high 2, medium 3, low 1)"));
}
