//! `vigil validate`: exact diagnostics, JSON summary and exit codes.

use std::process::{Command, Output};

fn vigil(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .env("NO_COLOR", "1")
        .output()
        .expect("run vigil")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The summary line ends with the elapsed time; drop it.
fn without_timing(s: &str) -> String {
    s.lines()
        .map(|l| match l.rfind(" (") {
            Some(i) if l.ends_with(" ms)") => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn broken_rules_get_located_diagnostics_and_exit_2() {
    let o = vigil(&["validate", "crates/cli/tests/data/rules"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        without_timing(&stdout(&o)),
        "error[RULE0103]: unknown severity `urgent`
 --> crates/cli/tests/data/rules/bad_severity.toml:15:12
   |
15 | severity = \"urgent\"
   |            ^^^^^^^^ expected one of low, medium, high, critical
warning[KQL0110]: Unknown field [vigil.custom]
 --> crates/cli/tests/data/rules/bad_severity.toml:19:28
   |
19 | event.category:process and vigil.custom:\"x\"
   |                            ^^^^^^^^^^^^ not in the mapping or ECS; matched as an unmapped field
  = note: unmapped strings match as keywords, as Elastic's logs-* templates map them
error[EQL0002]: expected [,] or [)], found a string
 --> crates/cli/tests/data/rules/broken_query.toml:20:24
   |
20 |   process.args : (\"-D\" \"-f\")
   |                        ^^^^ expected [,] or [)]
3 files, 3 rules: 1 valid, 2 invalid, 0 deprecated, 0 unsupported; 2 errors, 1 warnings"
    );
}

#[test]
fn a_valid_rule_exits_0() {
    let o = vigil(&["validate", "crates/cli/tests/data/rules/good.toml"]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn json_summary_has_the_documented_keys() {
    let o = vigil(&[
        "validate",
        "--format",
        "json",
        "crates/cli/tests/data/rules",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["files"], 3);
    assert_eq!(v["rules"], 3);
    assert_eq!(v["valid"], 1);
    assert_eq!(v["invalid"], 2);
    assert_eq!(v["deprecated"], 0);
    assert_eq!(v["unsupported"], serde_json::json!({}));
    let first = &v["diagnostics"][0];
    assert_eq!(first["code"], "RULE0103");
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(15), Some(12))
    );
}

#[test]
fn the_whole_catalogue_is_valid() {
    let corpus = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/detection-rules"
    );
    assert!(
        std::path::Path::new(corpus).exists(),
        "corpus missing at {corpus}"
    );
    let o = vigil(&[
        "validate",
        "--format",
        "json",
        &format!("{corpus}/rules"),
        &format!("{corpus}/rules_building_block"),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    println!(
        "catalogue: {} files, {} live rules, {} valid, {} invalid, {} deprecated, unsupported {}",
        v["files"], v["rules"], v["valid"], v["invalid"], v["deprecated"], v["unsupported"]
    );
    assert_eq!(v["invalid"], 0, "{:#}", v["diagnostics"]);
    assert_eq!(v["rules"], 2068);
    assert_eq!(v["deprecated"], 124);
    assert_eq!(
        v["unsupported"],
        serde_json::json!({"esql": 209, "machine_learning": 106, "new_terms": 241, "threat_match": 6, "threshold": 28})
    );
    assert_eq!(o.status.code(), Some(0));
}
