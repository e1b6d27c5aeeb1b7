//! A Kibana export (two rules, an exception list with three items, the
//! summary line) plus a second list from an `--exceptions` export and a value
//! list: each item suppresses exactly its events, on exactly the rules that
//! reference its list. A malformed event line and a broken rule file are
//! reported and do not stop the run.
//!
//! Kibana: items of all lists a rule references are ORed, entries of an item
//! ANDed, and the whole is the rule's `must_not` (`build_exception_filter.ts`
//! in the lists plugin); `match` is a case-sensitive term on keyword fields;
//! `list` entries test the value list's values.

mod support;

use engine::Problem;
use support::*;

const KQL: &str = "custom-discovery-kql";
const EQL: &str = "custom-whoami-eql";

fn rules_with(exceptions: bool, lists: bool) -> support::Hunt {
    let extra = if exceptions {
        vec![data("hunt/exceptions/team-exceptions.ndjson")]
    } else {
        Vec::new()
    };
    let value_lists = if lists {
        vec![data("hunt/exceptions/trusted-users.txt")]
    } else {
        Vec::new()
    };
    hunt(
        &[data("hunt/exceptions/export.ndjson"), data("hunt/broken")],
        &extra,
        &value_lists,
    )
}

fn run(h: &support::Hunt) -> engine::RunReport {
    let input = file_input(&data("hunt/exceptions/events.ndjson"), None);
    h.engine.run(vec![input], &options(2))
}

#[test]
fn exceptions_suppress_exactly_their_items() {
    let h = rules_with(true, true);
    assert_eq!(h.counts.loaded, 2);
    let report = run(&h);
    // x02 svc_backup (item 1), x03 build-01 + jenkins parent (item 2, both
    // entries), x05 carol (item 3, value list), x06 ws-02 (team list: only the
    // KQL rule references it), x07 build-02 + jenkins-agent (item 2).
    // x04 has the host but not the parent; x08 `SVC_BACKUP` is not `svc_backup`.
    assert_eq!(
        pairs(&report),
        set(&[
            (KQL, "x01"),
            (EQL, "x01"),
            (KQL, "x04"),
            (EQL, "x06"),
            (KQL, "x08"),
            (KQL, "x09"),
        ])
    );
}

#[test]
fn a_missing_list_or_value_list_is_a_warning_and_the_rule_runs_without_it() {
    let h = rules_with(false, false);
    let messages: Vec<String> = h
        .problems
        .iter()
        .filter_map(|p| match p {
            Problem::Message { severity, text } => Some(format!("{severity}: {text}")),
            Problem::Rendered { .. } => None,
        })
        .collect();
    assert_eq!(
        messages,
        [
            format!(
                "warning: {}: rule \"Custom: discovery commands\": exception items not applied: soc-list-item-3",
                data("hunt/exceptions/export.ndjson").display()
            ),
            format!(
                "warning: {}: rule \"Custom: whoami (EQL)\": exception items not applied: soc-list-item-3",
                data("hunt/exceptions/export.ndjson").display()
            ),
            "warning: exception list `team-list` (agnostic) is not loaded: 1 rule run without it (give its export with --exceptions)".to_string(),
        ]
    );
    let report = run(&h);
    assert_eq!(
        pairs(&report),
        set(&[
            (KQL, "x01"),
            (EQL, "x01"),
            (KQL, "x04"),
            (KQL, "x05"),
            (EQL, "x05"),
            (KQL, "x06"),
            (EQL, "x06"),
            (KQL, "x08"),
            (KQL, "x09"),
        ])
    );
}

#[test]
fn a_broken_rule_and_a_malformed_line_are_reported_and_the_rest_runs() {
    let h = rules_with(true, true);
    assert_eq!(h.counts.invalid, 1);
    let rendered: Vec<&str> = h
        .problems
        .iter()
        .filter_map(|p| match p {
            Problem::Rendered { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    let file = data("hunt/broken/broken_rule.toml");
    assert_eq!(
        rendered,
        [format!(
            "error[EQL0002]: expected a constant, found end of query\n --> {}:22:1\n   |\n22 | '''\n   | ^ expected a constant\n",
            file.display()
        )]
    );
    let report = run(&h);
    assert_eq!(report.events, 9);
    assert_eq!(report.malformed, 1);
    let m = &report.malformed_shown[0];
    assert_eq!(m.line, 9);
    assert_eq!(
        m.message,
        "invalid JSON at column 65: EOF while parsing an object"
    );
    // x09 comes after the malformed line and still alerts.
    assert!(pairs(&report).contains(&(KQL.to_string(), "x09".to_string())));
}
