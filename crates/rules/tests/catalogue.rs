//! The whole detection-rules catalogue (`../shared/corpus/detection-rules`)
//! loads with exact counts, no diagnostics at all, and exact query positions.

use diag::LineCol;
use rules::{load_with, LoadOptions, LoadReport, RuleType};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use testkit::corpus;

fn catalogue() -> &'static LoadReport {
    static REPORT: OnceLock<LoadReport> = OnceLock::new();
    REPORT.get_or_init(|| {
        let dr = corpus().join("detection-rules");
        let t = std::time::Instant::now();
        let report = load_with(
            &[dr.join("rules"), dr.join("rules_building_block")],
            &LoadOptions::default(),
        );
        eprintln!(
            "catalogue loaded in {:?} (debug builds are ~10x slower than release)",
            t.elapsed()
        );
        report
    })
}

/// Counts. The corpus README's table says query 453 / new_terms 240 (2,066
/// live, 126 deprecated): it counted every path containing `_deprecated`,
/// which also catches two live production rules whose *file names* contain
/// it (`rules/network/credential_access_tls_deprecated_or_weak_cipher_negotiation.toml`,
/// new_terms, and `rules/integrations/aws/discovery_ec2_deprecated_ami_discovery.toml`,
/// query). Both have `maturity = "production"` and sit outside `_deprecated/`,
/// so they are live: 2,068 live rules, 124 deprecated (all in `rules/_deprecated/`).
#[test]
fn counts_by_type() {
    let r = catalogue();
    assert_eq!(r.files, 2192);
    assert_eq!(r.deprecated.len(), 124);
    assert!(r
        .deprecated
        .iter()
        .all(|d| d.reason == "maturity = \"deprecated\""));
    let expected: BTreeMap<String, usize> = [
        ("eql", 1024),
        ("query", 454),
        ("new_terms", 241),
        ("esql", 209),
        ("machine_learning", 106),
        ("threshold", 28),
        ("threat_match", 6),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(r.live_by_type(), expected);
    assert_eq!(r.rules.len(), 1024 + 454);
    assert!(r
        .rules
        .iter()
        .all(|l| matches!(l.rule.rule_type, RuleType::Eql | RuleType::Query)));
    let unsupported: BTreeMap<String, usize> = r.unsupported_by_type();
    assert_eq!(
        unsupported.values().sum::<usize>(),
        241 + 209 + 106 + 28 + 6
    );
    for name in [
        "credential_access_tls_deprecated_or_weak_cipher_negotiation.toml",
        "discovery_ec2_deprecated_ami_discovery.toml",
    ] {
        assert!(
            r.live().any(|l| l.origin.source.path.ends_with(name)),
            "{name} is live"
        );
    }
}

/// Zero diagnostics: no errors, no warnings, no notes. If a check fires on
/// the catalogue, the check is wrong (Elastic ships these rules).
#[test]
fn no_diagnostics() {
    let r = catalogue();
    let rendered: Vec<String> = r
        .all_diagnostics()
        .map(|(s, d)| s.render(d, Default::default()))
        .collect();
    assert!(
        rendered.is_empty(),
        "{} diagnostics:\n{}",
        rendered.len(),
        rendered.join("\n")
    );
    assert_eq!(r.valid_count(), 2068);
    assert_eq!(r.invalid_count(), 0);
}

fn rule_at(path_end: &str) -> &'static rules::LoadedRule {
    catalogue()
        .live()
        .find(|l| l.origin.source.path.ends_with(path_end))
        .unwrap_or_else(|| panic!("{path_end} not loaded"))
}

/// `query = '''` on line 73: the content starts on line 74, column 1.
#[test]
fn example_rule_query_positions() {
    let ssh = rule_at("rules/linux/persistence_ssh_key_generation.toml");
    let q = ssh.query_input().unwrap();
    assert_eq!(
        q.origin,
        LineCol {
            line: 74,
            column: 1
        }
    );
    assert!(q.verbatim);
    assert!(q.text.starts_with("file where host.os.type == \"linux\""));
    assert_eq!(q.language.as_str(), "eql");
    assert_eq!(
        q.index.patterns(),
        [
            "logs-endpoint.events.file*",
            "endgame-*",
            "logs-sentinel_one_cloud_funnel.*"
        ]
    );
    // `not file.name : "known_hosts.*"` is on the query's third line: file line 76.
    let at = q.text.find("known_hosts").unwrap();
    let src = q.source_file();
    assert_eq!(
        src.line_col(at),
        LineCol {
            line: 76,
            column: 18
        }
    );
    assert_eq!(ssh.rule.rule_id, "7df3cb8b-5c0c-4228-b772-bb6cd619053c");
    assert_eq!(
        ssh.rule.timestamp_fields(),
        ("event.ingested", Some("@timestamp"))
    );
    assert_eq!(ssh.rule.threat.len(), 2);
    assert_eq!(
        ssh.rule.threat[1].technique.as_ref().unwrap()[1]
            .subtechnique
            .as_ref()
            .unwrap()[0]
            .id,
        "T1563.001"
    );

    let mac = rule_at("rules/macos/credential_access_dumping_hashes_bi_cmds.toml");
    let q = mac.query_input().unwrap();
    assert_eq!(
        q.origin,
        LineCol {
            line: 63,
            column: 1
        }
    );
    let at = q.text.find("\"-dump\"").unwrap();
    assert_eq!(
        q.source_file().line_col(at),
        LineCol {
            line: 65,
            column: 51
        }
    );
    assert_eq!(mac.rule.severity.map(|s| s.as_str()), Some("high"));
    assert_eq!(mac.rule.risk_score, 73);
    assert_eq!(
        mac.metadata.as_ref().unwrap().maturity.as_deref(),
        Some("production")
    );
}

/// Every query was re-read exactly from its literal (no approximate positions).
#[test]
fn every_query_is_located_exactly() {
    let r = catalogue();
    let with_query = r.live().filter(|l| l.rule.query.is_some()).count();
    let located = r
        .live()
        .filter(|l| l.query_location.as_ref().is_some_and(|q| q.verbatim))
        .count();
    assert_eq!((with_query, located), (1962, 1962));
}

/// detection-rules' `[rule.new_terms]` table becomes Kibana's fields.
#[test]
fn new_terms_in_kibana_shape() {
    let r = catalogue();
    let nt = r
        .unsupported
        .iter()
        .find(|l| l.rule.rule_type == RuleType::NewTerms)
        .unwrap();
    assert!(!nt.rule.new_terms_fields.is_empty());
    assert!(nt
        .rule
        .history_window_start
        .as_deref()
        .is_some_and(|h| h.starts_with("now-")));
    assert!(nt.raw.get("new_terms").is_none());
    assert_eq!(
        nt.raw["new_terms_fields"],
        serde_json::json!(nt.rule.new_terms_fields)
    );
}

/// The report does not depend on the number of loader threads (the shared
/// report used the default, one thread).
#[test]
fn threads_do_not_change_the_report() {
    let dr = corpus().join("detection-rules");
    let paths = [dr.join("rules"), dr.join("rules_building_block")];
    let ids = |r: &LoadReport| r.live().map(|l| l.rule.rule_id.clone()).collect::<Vec<_>>();
    let three = load_with(
        &paths,
        &LoadOptions {
            threads: 3,
            ..Default::default()
        },
    );
    assert_eq!(ids(&three), ids(catalogue()));
    assert_eq!(three.deprecated.len(), catalogue().deprecated.len());
}
