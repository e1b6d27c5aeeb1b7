//! A hand-written Kibana export (`tests/data/export.ndjson`: two rules, an
//! exception list, four items, the summary line — the shape "Export rules"
//! writes, see `get_export_details_ndjson.ts` and `exportExceptionListAndItems`)
//! round-trips into rules and exceptions.

use diag::{Diagnostic, LineCol, Span};
use event::{FieldRegistry, Schema};
use ir::{Binder, Pred};
use rules::{load, lower_exceptions, Entry, Operator, RuleType, Severity, ValueLists};
use std::path::PathBuf;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn export_round_trips() {
    let report = load(&[data("export.ndjson")]);
    let diags: Vec<String> = report
        .all_diagnostics()
        .map(|(s, d)| s.render(d, Default::default()))
        .collect();
    assert!(diags.is_empty(), "{}", diags.join("\n"));
    assert_eq!(report.files, 1);
    assert_eq!(report.rules.len(), 2);
    assert_eq!(report.export_summaries.len(), 1);
    assert_eq!(report.export_summaries[0]["exported_count"], 7);

    let q = &report.rules[0];
    assert_eq!(q.rule.rule_id, "custom-svchost-parent");
    assert_eq!(
        q.rule.id.as_deref(),
        Some("6f1a2b3c-0000-4000-8000-000000000001")
    );
    assert_eq!(q.rule.rule_type, RuleType::Query);
    assert_eq!(q.rule.severity, Some(Severity::Medium));
    assert_eq!(
        (q.rule.risk_score, q.rule.version, q.rule.revision),
        (47, 2, Some(2))
    );
    assert_eq!(
        (
            q.rule.from.as_str(),
            q.rule.interval.as_str(),
            q.rule.enabled
        ),
        ("now-360s", "5m", Some(true))
    );
    assert_eq!(
        q.rule.investigation_fields,
        vec!["process.parent.name".to_string()]
    );
    assert_eq!(q.rule.threat[0].technique.as_ref().unwrap()[0].id, "T1036");
    assert_eq!(
        q.rule.extra.keys().collect::<Vec<_>>(),
        Vec::<&String>::new()
    );
    assert!(q
        .index_patterns
        .matches(".ds-logs-endpoint.events.process-default-2024.05.01-000001"));
    assert!(!q.index_patterns.matches("logs-system.auth-default"));
    // The raw object is the line as exported.
    let line0: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(data("export.ndjson"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(q.raw, line0);

    let e = &report.rules[1];
    assert_eq!(e.rule.rule_type, RuleType::Eql);
    assert_eq!(e.rule.tiebreaker_field.as_deref(), Some("event.sequence"));
    assert_eq!(e.rule.max_signals, 50);
    assert_eq!(e.rule.enabled, Some(false));

    let ex = &report.exceptions;
    assert_eq!(ex.lists.len(), 1);
    assert_eq!(
        (ex.lists[0].list_id.as_str(), ex.lists[0].list_type.as_str()),
        ("soc-exceptions", "detection")
    );
    assert_eq!(ex.items.len(), 4);
    assert_eq!(
        ex.items[0].entries,
        vec![
            Entry::Match {
                field: "process.parent.executable".into(),
                operator: Operator::Included,
                value: r"C:\Program Files\Agent\agent.exe".into()
            },
            Entry::MatchAny {
                field: "host.name".into(),
                operator: Operator::Excluded,
                value: vec!["dc01".into(), "dc02".into()]
            },
        ]
    );
    assert_eq!(ex.items[1].os_types, vec!["windows".to_string()]);
    assert!(matches!(&ex.items[3].entries[0], Entry::Nested { entries, .. } if entries.len() == 2));

    // Items that apply to the query rule; item 3 expired on 2025-01-01.
    let before = event::time::parse_date_nanos("2024-06-01T00:00:00Z");
    let after = event::time::parse_date_nanos("2025-06-01T00:00:00Z");
    let (items, missing) = ex.items_for(&q.rule.exceptions_list, before);
    assert_eq!(
        items.iter().map(|i| i.item_id.as_str()).collect::<Vec<_>>(),
        ["soc-item-1", "soc-item-2", "soc-item-3", "soc-item-4"]
    );
    assert!(missing.is_empty());
    let (items_later, _) = ex.items_for(&q.rule.exceptions_list, after);
    assert_eq!(items_later.len(), 3);

    // Lowered with the value list the ip entry names.
    let mut lists = ValueLists::new();
    assert_eq!(
        lists.load_file(&data("trusted-ips.txt")).unwrap(),
        "trusted-ips.txt"
    );
    let schema = Schema::ecs();
    let mut reg = FieldRegistry::new();
    let lowered = lower_exceptions(&items, &mut Binder::new(&schema, &mut reg), &lists);
    assert!(lowered.unprocessed.is_empty());
    let Pred::Or(ors) = &lowered.pred else {
        panic!("{:?}", lowered.pred)
    };
    assert_eq!(ors.len(), 4);
    // The nested entry's warning points at the entry in the export file.
    assert_eq!(lowered.diagnostics.len(), 1);
    let d = &lowered.diagnostics[0];
    let src = d.source.as_ref().unwrap();
    let at = src.line_col(d.diagnostic.primary_span().unwrap().start as usize);
    assert_eq!(at.line, 7);
}

/// JSON strings escape newlines and quotes: query offsets still map exactly
/// onto the export file.
#[test]
fn query_positions_in_ndjson() {
    let report = load(&[data("export.ndjson")]);
    let q = report.rules[0].query_input().unwrap();
    assert_eq!(
        q.text,
        "process.name : \"svchost.exe\" and not\nprocess.parent.name : \"services.exe\""
    );
    assert!(!q.verbatim);
    let line = std::fs::read_to_string(data("export.ndjson"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let col = line.find(r#""query":""#).unwrap() + 10;
    assert_eq!(
        q.origin,
        LineCol {
            line: 1,
            column: col
        }
    );
    // A diagnostic on `process.parent.name` (second query line) lands on the
    // same characters in the file, after the `\n` and `\"` escapes.
    let start = q.text.find("process.parent").unwrap();
    let d = Diagnostic::error("KQL0000", "test").with_label(Span::new(start, start + 19), "here");
    let fd = q.to_file_diagnostic(d.clone());
    let s = fd.labels[0].span;
    assert_eq!(
        &line[s.start as usize..s.end as usize],
        "process.parent.name"
    );
    let rendered = q.render(&d, Default::default());
    let caret_col = line.find("process.parent.name").unwrap() + 1;
    assert!(
        rendered.starts_with(&format!(
            "error[KQL0000]: test\n --> {}:1:{caret_col}\n",
            data("export.ndjson").display()
        )),
        "{rendered}"
    );
}

/// The exception lists page exports lists and items with a summary of its own
/// (`exportExceptionListAndItems`: no rule counts).
#[test]
fn exception_only_export() {
    let text = std::fs::read_to_string(data("export.ndjson")).unwrap();
    let lines: Vec<&str> = text.lines().skip(2).take(5).collect();
    let summary = r#"{"exported_exception_list_count":1,"exported_exception_list_item_count":4,"missing_exception_list_item_count":0,"missing_exception_list_items":[],"missing_exception_lists":[],"missing_exception_lists_count":0}"#;
    let mut report = rules::LoadReport::default();
    let body = format!("{}\n{summary}\n", lines.join("\n"));
    rules::load_text(
        rules::SourceText::new("exceptions.ndjson".into(), body),
        &Default::default(),
        &mut report,
    );
    assert!(
        report.all_diagnostics().next().is_none(),
        "{}",
        report.render(Default::default())
    );
    assert_eq!(
        (
            report.exceptions.lists.len(),
            report.exceptions.items.len(),
            report.export_summaries.len()
        ),
        (1, 4, 1)
    );
    // A summary that disagrees with the content is reported.
    let mut report = rules::LoadReport::default();
    let body = format!("{}\n{summary}\n", lines[..3].join("\n"));
    rules::load_text(
        rules::SourceText::new("exceptions.ndjson".into(), body),
        &Default::default(),
        &mut report,
    );
    let d: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| (d.diagnostic.code, d.diagnostic.message.clone()))
        .collect();
    assert_eq!(
        d,
        [(
            "RULE0006",
            "export summary says exported_exception_list_item_count = 4, the file holds 2"
                .to_string()
        )]
    );
}
