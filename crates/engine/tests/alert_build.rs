//! Alerts built for the catalogue's example rules over the project's example
//! events, compared with checked-in expected documents
//! (`tests/data/alert_*.json`; rewrite them with `VIGIL_BLESS=1`).
//!
//! The rules are read from the detection-rules corpus
//! (`<workspace>/../shared/corpus`, or `VIGIL_CORPUS`), the events from
//! `<workspace>/examples/events/endpoint-linux-macos.ndjson`.
//! Every expectation names the Kibana file whose behaviour it checks (paths under
//! `x-pack/solutions/security/plugins/security_solution/server/lib/detection_engine/`
//! unless said otherwise).

use engine::alert::{
    build_event_alert, build_sequence_alerts, AlertContext, RuleInfo, RuleOrigin, SourceDoc,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use testkit::corpus;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `[rule]` table of a detection-rules TOML file, as rule-API JSON.
fn catalogue_rule(relative: &str) -> RuleInfo {
    let path = corpus().join("detection-rules").join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "rule file {} is needed ({e}); set VIGIL_CORPUS",
            path.display()
        )
    });
    let toml: toml::Value = toml::from_str(&text).expect("rule TOML parses");
    let rule = serde_json::to_value(&toml["rule"]).expect("rule table as JSON");
    RuleInfo::from_rule_json_with_origin(&rule, RuleOrigin::Prebuilt).expect("rule info")
}

fn ssh_keygen_rule() -> RuleInfo {
    catalogue_rule("rules/linux/persistence_ssh_key_generation.toml")
}

fn dumping_hashes_rule() -> RuleInfo {
    catalogue_rule("rules/macos/credential_access_dumping_hashes_bi_cmds.toml")
}

/// The example events as search hits: `_index` from the data stream as Elastic
/// Agent names it, `_id` from `event.id`.
fn example_events() -> Vec<SourceDoc> {
    let path = workspace().join("examples/events/endpoint-linux-macos.ndjson");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let source: Value = serde_json::from_str(line).expect("event JSON");
            let ds = &source["data_stream"];
            let index = format!(
                "{}-{}-{}",
                ds["type"].as_str().unwrap(),
                ds["dataset"].as_str().unwrap(),
                ds["namespace"].as_str().unwrap()
            );
            let id = source["event"]["id"].as_str().unwrap().to_string();
            SourceDoc { index, id, source }
        })
        .collect()
}

fn event(id: &str) -> SourceDoc {
    example_events()
        .into_iter()
        .find(|d| d.id == id)
        .unwrap_or_else(|| panic!("no event {id}"))
}

fn context() -> AlertContext {
    AlertContext::new(
        "2026-11-02T09:25:00Z",
        "9.1.0",
        "5d0f6a2c-8b1e-4c55-9f4a-2f1c7e9b0a11",
    )
    .unwrap()
}

fn alert(rule: &RuleInfo, doc: &SourceDoc) -> Value {
    build_event_alert(rule, &context(), doc, None)
        .unwrap()
        .expect("an alert")
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares with `tests/data/<name>`, or rewrites it under `VIGIL_BLESS=1`.
fn assert_matches_expected(name: &str, actual: &Value) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    if std::env::var_os("VIGIL_BLESS").is_some() {
        let text = serde_json::to_string_pretty(actual).unwrap() + "\n";
        std::fs::write(&path, text).expect("write expected file");
        return;
    }
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (bless with VIGIL_BLESS=1)", path.display()));
    let expected: Value = serde_json::from_str(&text).expect("expected file is JSON");
    if &expected != actual {
        let differing = differing_keys(&expected, actual);
        panic!(
            "{name} differs at {differing:?}\nactual:\n{}",
            serde_json::to_string_pretty(actual).unwrap()
        );
    }
}

fn differing_keys(expected: &Value, actual: &Value) -> Vec<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let mut keys: Vec<String> = e.keys().chain(a.keys()).cloned().collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().filter(|k| e.get(k) != a.get(k)).collect()
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => e
            .iter()
            .zip(a)
            .enumerate()
            .flat_map(|(i, (e, a))| {
                differing_keys(e, a)
                    .into_iter()
                    .map(move |k| format!("[{i}].{k}"))
            })
            .collect(),
        _ => vec!["<whole value>".to_string()],
    }
}

// ---- Full documents -------------------------------------------------------------

/// The whole alert for a file event of the Linux rule (`transform_hit_to_alert.ts`,
/// `build_alert.ts`, `traverse_and_mutate_doc.ts`, rule registry `augmentAlerts`).
#[test]
fn ssh_keygen_file_alert_is_the_expected_document() {
    assert_matches_expected(
        "alert_ssh_keygen_f-0001.json",
        &alert(&ssh_keygen_rule(), &event("f-0001")),
    );
}

/// The whole alert for a process event of the macOS rule.
#[test]
fn dumping_hashes_process_alert_is_the_expected_document() {
    assert_matches_expected(
        "alert_dumping_hashes_p-0002.json",
        &alert(&dumping_hashes_rule(), &event("p-0002")),
    );
}

/// Shell + building blocks for a three-event sequence
/// (`rule_types/eql/build_alert_group_from_sequence.ts`, `wrap_sequences.ts`).
#[test]
fn sequence_alerts_are_the_expected_documents() {
    let docs = [event("p-0001"), event("f-0001"), event("f-0004")];
    let alerts = build_sequence_alerts(&sequence_rule(), &context(), &docs).unwrap();
    assert_matches_expected("alert_sequence_ssh_keygen.json", &Value::Array(alerts));
}

// ---- Ids ------------------------------------------------------------------------

/// `wrap_hits_factory.ts`: `generateId(_index, _id, String(_version), `${spaceId}:${ruleUuid}`)`,
/// `_version` not requested by the search (so `"undefined"`).
#[test]
fn event_alert_ids_are_deterministic_and_depend_on_event_and_rule() {
    let rule = ssh_keygen_rule();
    let first = alert(&rule, &event("f-0001"));
    let again = alert(&rule, &event("f-0001"));
    let uuid = first["kibana.alert.uuid"].as_str().unwrap();
    assert_eq!(uuid, again["kibana.alert.uuid"].as_str().unwrap());
    assert_eq!(
        uuid,
        sha256_hex(&format!(
            "logs-endpoint.events.file-defaultf-0001undefineddefault:{}",
            rule.uuid
        ))
    );
    let other_event = alert(&rule, &event("f-0004"));
    assert_ne!(uuid, other_event["kibana.alert.uuid"].as_str().unwrap());
    let other_rule = alert(&dumping_hashes_rule(), &event("f-0001"));
    assert_ne!(uuid, other_rule["kibana.alert.uuid"].as_str().unwrap());
    // The rule uuid is derived from `rule_id` (UUIDv5) when the rule has no `id`.
    assert_eq!(rule.uuid, ssh_keygen_rule().uuid);
    assert_eq!(first["kibana.alert.rule.uuid"], json!(rule.uuid));
    assert_ne!(rule.uuid, dumping_hashes_rule().uuid);
}

// ---- Source fields --------------------------------------------------------------

/// `traverse_and_mutate_doc.ts` (copy of `event.*` to `kibana.alert.original_event.*`)
/// and `transform_hit_to_alert.ts` (source `event.kind` replaced by `event.kind: signal`).
#[test]
fn event_fields_are_copied_to_original_event_and_kind_becomes_signal() {
    let a = alert(&ssh_keygen_rule(), &event("f-0001"));
    assert_eq!(a["kibana.alert.original_event.action"], json!("creation"));
    assert_eq!(a["kibana.alert.original_event.category"], json!(["file"]));
    assert_eq!(a["kibana.alert.original_event.kind"], json!("event"));
    assert_eq!(
        a["kibana.alert.original_event.ingested"],
        json!("2026-11-02T09:14:03.912Z")
    );
    assert_eq!(
        a["kibana.alert.original_data_stream.dataset"],
        json!("endpoint.events.file")
    );
    assert_eq!(a["event.kind"], json!("signal"));
    assert_eq!(
        a["event"].get("kind"),
        None,
        "the source's event.kind is removed"
    );
    assert_eq!(
        a["event"]["action"],
        json!("creation"),
        "event.* stays in place (copied, not moved)"
    );
    assert_eq!(
        a["kibana.alert.original_time"],
        json!("2026-11-02T09:14:03.120Z")
    );
    assert_eq!(a["@timestamp"], json!("2026-11-02T09:25:00.000Z"));
}

/// `traverse_and_mutate_doc.ts`: values that conflict with ECS are dropped;
/// `kibana.*` and `signal` never come from the source.
#[test]
fn non_ecs_compatible_values_are_stripped() {
    let doc = SourceDoc {
        index: "logs-endpoint.events.process-default".into(),
        id: "x-1".into(),
        source: json!({
            "@timestamp": "2026-11-02T10:00:00Z",
            "agent": "just-a-string",
            "process": {"pid": "not-a-number", "name": "bash", "args": ["bash", {"bad": 1}]},
            "source": {"ip": "not-an-ip"},
            "kibana": {"alert": {"uuid": "forged"}},
            "custom": {"anything": 1},
        }),
    };
    let a = alert(&ssh_keygen_rule(), &doc);
    assert_eq!(a.get("agent"), None);
    assert_eq!(a["process"], json!({"name": "bash", "args": ["bash"]}));
    assert_eq!(a.get("source"), None);
    assert_eq!(a.get("kibana"), None);
    assert_eq!(a["custom"], json!({"anything": 1}));
    assert_ne!(a["kibana.alert.uuid"], json!("forged"));
}

/// Odd shapes are reported or copied, never a panic.
#[test]
fn odd_sources_do_not_panic() {
    let rule = ssh_keygen_rule();
    let odd = [
        json!({"event": "not-an-object", "event.kind": null}),
        json!({"event": {"kind": null}, "event.kind": "x"}),
        json!({"event": [{"kind": "event"}, "x", [[]]], "@timestamp": 12}),
        json!({"a.b.c": {"d.e": [[1, [2]], {"f": null}]}, "process": [[{"name": {"x": 1}}]]}),
        json!({"@timestamp": ["2026-01-01"], "host": {"name": ["-"]}, "user": {"name": ""}}),
    ];
    for source in odd {
        let doc = inline("odd", source.clone());
        let a = build_event_alert(&rule, &context(), &doc, None)
            .unwrap()
            .unwrap();
        assert_eq!(a["event.kind"], json!("signal"), "{source}");
        let docs = [doc.clone(), inline("odd-2", source)];
        assert_eq!(
            build_sequence_alerts(&rule, &context(), &docs)
                .unwrap()
                .len(),
            3
        );
    }
    // `{"event": {"kind": null}}`: robustGet does not see a null, so it stays.
    let kept = alert(
        &rule,
        &inline("n", json!({"event": {"kind": null, "action": "a"}})),
    );
    assert_eq!(kept["event"], json!({"kind": null, "action": "a"}));
    let not_object = SourceDoc {
        index: "i".into(),
        id: "x".into(),
        source: json!([1]),
    };
    assert!(build_event_alert(&rule, &context(), &not_object, None).is_err());
    let mut deep = json!("leaf");
    for _ in 0..150 {
        deep = json!({ "n": deep });
    }
    assert!(build_event_alert(&rule, &context(), &inline("deep", deep), None).is_err());
}

// ---- Reasons --------------------------------------------------------------------

fn reason(rule: &RuleInfo, doc: &SourceDoc) -> String {
    alert(rule, doc)["kibana.alert.reason"]
        .as_str()
        .unwrap()
        .to_string()
}

fn inline(id: &str, source: Value) -> SourceDoc {
    SourceDoc {
        index: "logs-test-default".into(),
        id: id.into(),
        source,
    }
}

/// `rule_types/utils/reason_formatters.ts` over the example events (the sentence
/// shape is checked against Kibana's own expectations in the unit tests of
/// `alert::reason`).
#[test]
fn reasons_for_process_file_and_network_events() {
    let ssh = ssh_keygen_rule();
    assert_eq!(
        reason(&ssh, &event("p-0001")),
        "process event with process ssh-keygen, parent process bash, by alice on web-01 created low alert SSH Key Generated via ssh-keygen."
    );
    assert_eq!(
        reason(&ssh, &event("f-0001")),
        "file event with process ssh-keygen, file id_ed25519, by alice on web-01 created low alert SSH Key Generated via ssh-keygen."
    );
    let hashes = dumping_hashes_rule();
    assert_eq!(
        reason(&hashes, &event("p-0003")),
        "process event with process mkpassdb, parent process zsh, by root on mbp-07 created high alert Dumping Account Hashes via Built-In Commands."
    );
    assert_eq!(
        reason(&hashes, &event("n-0001")),
        "network event with process curl, source 192.168.1.20:51544, destination 203.0.113.50:443, by bob on mbp-07 created high alert Dumping Account Hashes via Built-In Commands."
    );
}

#[test]
fn reasons_for_registry_and_authentication_events() {
    let ssh = ssh_keygen_rule();
    let registry = inline(
        "r-1",
        json!({
            "event": {"category": ["registry"], "type": ["change"]},
            "registry": {"path": "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\x"},
            "process": {"name": "reg.exe", "parent": {"name": "cmd.exe"}},
            "user": {"name": "SYSTEM"},
            "host": {"name": "win-01"},
        }),
    );
    assert_eq!(
        reason(&ssh, &registry),
        "registry event with process reg.exe, parent process cmd.exe, by SYSTEM on win-01 created low alert SSH Key Generated via ssh-keygen."
    );
    let authentication = inline(
        "a-1",
        json!({
            "event": {"category": ["authentication"], "outcome": "success"},
            "source": {"ip": "10.0.0.5"},
            "user": {"name": "root"},
            "host": {"name": "web-01"},
        }),
    );
    assert_eq!(
        reason(&ssh, &authentication),
        "authentication event with source 10.0.0.5 by root on web-01 created low alert SSH Key Generated via ssh-keygen."
    );
    // (No port, no comma: "source 1.11.11.1 destination …" in reason_formatters.test.ts.)
    // No field of interest: no " with" (reason_formatters.test.ts).
    let bare = inline(
        "b-1",
        json!({"event": {"category": "iam"}, "user": {"name": "bob"}}),
    );
    assert_eq!(
        reason(&ssh, &bare),
        "iam event by bob created low alert SSH Key Generated via ssh-keygen."
    );
}

// ---- Overrides, URL, own alerts ---------------------------------------------------

/// `build_rule_name_from_mapping.ts`, `build_severity_from_mapping.ts`,
/// `build_risk_score_from_mapping.ts`.
#[test]
fn rule_name_severity_and_risk_score_mappings_apply() {
    let rule = RuleInfo::from_rule_json(&json!({
        "rule_id": "promotion", "name": "Endpoint Security", "type": "query", "description": "d",
        "severity": "medium", "risk_score": 47, "rule_name_override": "message",
        "severity_mapping": [
            {"field": "event.severity", "operator": "equals", "value": "99", "severity": "critical"},
            {"field": "event.severity", "operator": "equals", "value": "21", "severity": "low"},
        ],
        "risk_score_mapping": [{"field": "event.risk_score", "operator": "equals", "value": ""}],
    }))
    .unwrap();
    let doc = inline(
        "e-1",
        json!({"message": "Malware Prevention Alert", "event": {"severity": 99, "risk_score": "73"}}),
    );
    let a = alert(&rule, &doc);
    assert_eq!(
        a["kibana.alert.rule.name"],
        json!("Malware Prevention Alert")
    );
    assert_eq!(a["kibana.alert.severity"], json!("critical"));
    assert_eq!(a["kibana.alert.risk_score"], json!(73));
    assert_eq!(
        a["kibana.alert.rule.severity"],
        json!("medium"),
        "the rule's own severity stays"
    );
    assert_eq!(
        a["kibana.alert.reason"],
        json!("event created critical alert Malware Prevention Alert.")
    );
    // The mapping is sorted low → critical, as Kibana's in-place sort leaves it.
    assert_eq!(
        a["kibana.alert.rule.severity_mapping"][0]["severity"],
        json!("low")
    );
    let plain = alert(&rule, &inline("e-2", json!({"event": {"severity": 5}})));
    assert_eq!(plain["kibana.alert.severity"], json!("medium"));
    assert_eq!(plain["kibana.alert.risk_score"], json!(47));
    assert_eq!(plain["kibana.alert.rule.name"], json!("Endpoint Security"));
}

/// `common/utils/alert_detail_path.ts` with `addSpaceIdToPath`.
#[test]
fn alert_url_needs_a_public_base_url_and_names_the_space() {
    let rule = ssh_keygen_rule();
    assert_eq!(alert(&rule, &event("f-0001")).get("kibana.alert.url"), None);
    let mut ctx = context();
    ctx.public_base_url = Some("https://kibana.example/".into());
    ctx.space_id = "soc".into();
    let a = build_event_alert(&rule, &ctx, &event("f-0001"), None)
        .unwrap()
        .unwrap();
    let uuid = a["kibana.alert.uuid"].as_str().unwrap();
    assert_eq!(
        a["kibana.alert.url"],
        json!(format!(
            "https://kibana.example/s/soc/app/security/alerts/redirect/{uuid}?index=.alerts-security.alerts-soc&timestamp=2026-11-02T09:25:00.000Z"
        ))
    );
    assert_eq!(a["kibana.space_ids"], json!(["soc"]));
}

/// `build_alert.ts`: a manual run (backfill) names its intended time.
#[test]
fn manual_runs_carry_the_intended_timestamp() {
    let rule = ssh_keygen_rule();
    let scheduled = alert(&rule, &event("f-0001"));
    assert_eq!(
        scheduled["kibana.alert.intended_timestamp"],
        json!("2026-11-02T09:25:00.000Z")
    );
    assert_eq!(
        scheduled["kibana.alert.rule.execution.type"],
        json!("scheduled")
    );
    let mut ctx = context();
    ctx.intended_timestamp = Some("2026-11-02T09:15:00.000Z".into());
    let manual = build_event_alert(&rule, &ctx, &event("f-0001"), None)
        .unwrap()
        .unwrap();
    assert_eq!(
        manual["kibana.alert.intended_timestamp"],
        json!("2026-11-02T09:15:00.000Z")
    );
    assert_eq!(manual["kibana.alert.rule.execution.type"], json!("manual"));
    assert_eq!(manual["@timestamp"], json!("2026-11-02T09:25:00.000Z"));
}

/// `wrap_hits_factory.ts` / `build_alert_group_from_sequence.ts`: a rule never
/// alerts on its own alerts; alerts of other rules are ancestors of type `signal`.
#[test]
fn alerts_on_alerts_chain_ancestors_and_skip_own_alerts() {
    let ssh = ssh_keygen_rule();
    let first = alert(&ssh, &event("f-0001"));
    let as_hit = SourceDoc {
        index: ".internal.alerts-security.alerts-default-000001".into(),
        id: first["kibana.alert.uuid"].as_str().unwrap().into(),
        source: first.clone(),
    };
    assert_eq!(
        build_event_alert(&ssh, &context(), &as_hit, None).unwrap(),
        None
    );
    assert!(
        build_sequence_alerts(&ssh, &context(), std::slice::from_ref(&as_hit))
            .unwrap()
            .is_empty()
    );
    let second = alert(&dumping_hashes_rule(), &as_hit);
    assert_eq!(second["kibana.alert.depth"], json!(2));
    let ancestors = second["kibana.alert.ancestors"].as_array().unwrap();
    assert_eq!(ancestors.len(), 2);
    assert_eq!(ancestors[0]["id"], json!("f-0001"));
    assert_eq!(
        ancestors[1],
        json!({"id": as_hit.id, "type": "signal", "index": as_hit.index, "depth": 1, "rule": ssh.uuid})
    );
}

// ---- Sequences --------------------------------------------------------------------

fn sequence_rule() -> RuleInfo {
    RuleInfo::from_rule_json(&json!({
        "rule_id": "0f1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b",
        "name": "SSH Key Generated After Shell Spawn",
        "type": "eql",
        "language": "eql",
        "description": "ssh-keygen started, then keys written, on one host.",
        "severity": "low",
        "risk_score": 21,
        "index": ["logs-endpoint.events.*"],
        "query": "sequence by host.id with maxspan=10m [process where process.name == \"ssh-keygen\"] [file where event.action == \"creation\"] [file where event.action == \"creation\"]",
        "tags": ["Domain: Endpoint"],
    }))
    .unwrap()
}

/// `build_alert_group_from_sequence.ts`, `generate_building_block_ids.ts`,
/// `build_alert.ts` (`generateAlertId`, `buildAncestors`): 3 events give 3 building
/// blocks and 1 shell, linked by `kibana.alert.group.id`.
#[test]
fn three_event_sequence_gives_three_building_blocks_and_a_shell() {
    let rule = sequence_rule();
    let docs = [event("p-0001"), event("f-0001"), event("f-0004")];
    let alerts = build_sequence_alerts(&rule, &context(), &docs).unwrap();
    assert_eq!(alerts.len(), 4);
    let (shell, blocks) = alerts.split_first().unwrap();
    let shell_id = shell["kibana.alert.uuid"].as_str().unwrap();

    // Building-block ids: sha256(base + i), base = every block's ancestors + rule uuid.
    let base: String = docs
        .iter()
        .map(|d| format!("{}{}{}", d.id, d.index, rule.uuid))
        .collect();
    for (i, (block, doc)) in blocks.iter().zip(&docs).enumerate() {
        let id = sha256_hex(&format!("{base}{i}"));
        assert_eq!(block["kibana.alert.uuid"], json!(id));
        assert_eq!(block["kibana.alert.building_block_type"], json!("default"));
        assert_eq!(block["kibana.alert.group.id"], json!(shell_id));
        assert_eq!(block["kibana.alert.group.index"], json!(i));
        assert_eq!(block["kibana.alert.depth"], json!(1));
        assert_eq!(
            block["kibana.alert.ancestors"],
            json!([{"id": doc.id, "type": "event", "index": doc.index, "depth": 0}])
        );
        assert_eq!(block.get("kibana.alert.rule.building_block_type"), None);
    }

    // The shell: ancestors [event, block] per event, depth 2, id from the ancestors.
    let mut expected_ancestors = Vec::new();
    let mut hashed = String::new();
    for (block, doc) in blocks.iter().zip(&docs) {
        let block_id = block["kibana.alert.uuid"].as_str().unwrap();
        expected_ancestors
            .push(json!({"id": doc.id, "type": "event", "index": doc.index, "depth": 0}));
        expected_ancestors.push(
            json!({"id": block_id, "type": "signal", "index": "", "depth": 1, "rule": rule.uuid}),
        );
        hashed.push_str(&format!("{}{}{block_id}", doc.id, doc.index));
    }
    assert_eq!(shell["kibana.alert.ancestors"], json!(expected_ancestors));
    assert_eq!(shell_id, sha256_hex(&format!("{hashed}{}", rule.uuid)));
    assert_eq!(shell["kibana.alert.group.id"], json!(shell_id));
    assert_eq!(shell.get("kibana.alert.group.index"), None);
    assert_eq!(shell.get("kibana.alert.building_block_type"), None);
    assert_eq!(shell["kibana.alert.depth"], json!(2));
    // Fields common to all three events are kept; differing ones are not.
    assert_eq!(shell["host"]["name"], json!("web-01"));
    assert_eq!(shell["process"]["name"], json!("ssh-keygen"));
    assert_eq!(shell.get("user").and_then(|u| u.get("name")), None);
    assert_eq!(shell["event"]["category"], json!([]));
    assert_eq!(shell["kibana.alert.reason"], json!("event with process ssh-keygen, on web-01 created low alert SSH Key Generated After Shell Spawn."));
    // The building blocks' reasons are their events' reasons.
    assert_eq!(
        blocks[0]["kibana.alert.reason"],
        json!("process event with process ssh-keygen, parent process bash, by alice on web-01 created low alert SSH Key Generated After Shell Spawn.")
    );
    // Same sequence, same ids; another sequence, other ids.
    let again = build_sequence_alerts(&rule, &context(), &docs).unwrap();
    assert_eq!(again[0]["kibana.alert.uuid"], json!(shell_id));
    let other = build_sequence_alerts(
        &rule,
        &context(),
        &[event("p-0001"), event("f-0001"), event("f-0002")],
    )
    .unwrap();
    assert_ne!(other[0]["kibana.alert.uuid"], json!(shell_id));
    assert_ne!(
        other[1]["kibana.alert.uuid"], blocks[0]["kibana.alert.uuid"],
        "block ids depend on the whole sequence"
    );
}
