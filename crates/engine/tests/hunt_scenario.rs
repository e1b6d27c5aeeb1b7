//! The two example rules of the catalogue (and the KQL form of one) over a
//! crafted scenario (`tests/data/hunt/scenario.ndjson`): the exact set of
//! (rule_id, event.id) alerts.
//!
//! Semantics checked, and where Elastic defines them:
//! - EQL `==` and `in` are case-sensitive term queries, `:` is a
//!   case-insensitive wildcard, `like~` a case-insensitive wildcard and `like`
//!   a case-sensitive one (Elasticsearch `x-pack/plugin/eql/src/main/java/org/elasticsearch/xpack/eql/planner/QueryTranslator.java`,
//!   `docs/reference/eql/syntax.asciidoc`);
//! - `*` matches any characters, `/` included (Lucene `WildcardQuery`);
//! - a field holding an array matches when any element does (`event.type`,
//!   `event.action`, `process.args`), a plain string where an array is usual
//!   too; a missing field never equals anything;
//! - KQL values on keyword fields are exact, case-sensitive terms (Kibana
//!   `@kbn/es-query` `kuery/functions/is.js`: `match`/`match_phrase` on keyword);
//! - index patterns: `logs-endpoint.events.file*` (Elastic Defend data
//!   streams), `endgame-*` (search hits with `_index`), `logs-sentinel_one_cloud_funnel.*`;
//! - the window time is `event.ingested` with `@timestamp` as fallback, and an
//!   event with neither is in no window (Kibana `buildTimeRangeFilter`,
//!   `rule_types/utils/build_events_query.ts`).

mod support;

use support::*;

const SSH: &str = "7df3cb8b-5c0c-4228-b772-bb6cd619053c";
const HASHES: &str = "02ea4563-ec10-4974-b7de-12e65aa4f9b3";
const HASHES_KQL: &str = "5b0f3c0e-9d9a-4c8e-9a51-0c4b9e2d7a10";

fn scenario_rules() -> support::Hunt {
    let h = hunt(
        &[
            catalogue("rules/linux/persistence_ssh_key_generation.toml"),
            catalogue("rules/macos/credential_access_dumping_hashes_bi_cmds.toml"),
            data("hunt/rules"),
        ],
        &[],
        &[],
    );
    assert!(h.problems.is_empty(), "{:?}", h.problems);
    assert_eq!(h.counts.loaded, 3);
    h
}

/// The alerts every run of the scenario gives, whatever the options.
fn expected() -> Vec<(&'static str, &'static str)> {
    vec![
        // s01 plain Elastic Defend creation; s05 upper-case path (`:` folds
        // case); s06 and s07 `*` across `/`; s09 Endgame hit (`_index`,
        // `file_create_event`, no event.ingested); s10 SentinelOne data stream
        // without event.ingested; s13 no event.ingested; s15 `event.action` array.
        // Not: s02/s03 known_hosts.* (any case), s04 `==` on upper-case
        // executable, s08 `host.os.type == "Linux"`, s11 process data stream,
        // s12 system.auth, s14 no host.os.type, s16 no index, s17 no timestamp,
        // s18 executable with a trailing space.
        (SSH, "s01"),
        (SSH, "s05"),
        (SSH, "s06"),
        (SSH, "s07"),
        (SSH, "s09"),
        (SSH, "s10"),
        (SSH, "s13"),
        (SSH, "s15"),
        // m01 exact; m02 `like~` folds case; m03 `event.type` array; m05 `like`;
        // m07 `*` across `/`; m11 dscl, no event.ingested; m14 args as a string.
        // Not: m04 `== "-dump"`, m06 `like` is case-sensitive, m08 `==` name,
        // m09 event.type end, m10 Endgame index, m12 no event.type, m13 linux.
        (HASHES, "m01"),
        (HASHES, "m02"),
        (HASHES, "m03"),
        (HASHES, "m05"),
        (HASHES, "m07"),
        (HASHES, "m11"),
        (HASHES, "m14"),
        // KQL: exact terms, so m02's `shadowhashdata` does not match.
        (HASHES_KQL, "m01"),
        (HASHES_KQL, "m03"),
        (HASHES_KQL, "m05"),
        (HASHES_KQL, "m07"),
        (HASHES_KQL, "m11"),
        (HASHES_KQL, "m14"),
    ]
}

#[test]
fn example_rules_alert_on_exactly_the_crafted_events() {
    let h = scenario_rules();
    let input = file_input(&data("hunt/scenario.ndjson"), None);
    let report = h.engine.run(vec![input], &options(2));
    assert_eq!(pairs(&report), set(&expected()));
    assert_eq!(report.alerts.len(), expected().len());
    assert_eq!(report.events, 32);
    assert_eq!(report.malformed, 0);
    // s16: neither _index nor data_stream.
    assert_eq!(report.without_index, 1);
    // s17: matches the SSH rule but has no timestamp at all.
    assert_eq!(report.without_time, 1);
}

#[test]
fn alerts_carry_index_id_and_order() {
    let h = scenario_rules();
    let input = file_input(&data("hunt/scenario.ndjson"), None);
    let report = h.engine.run(vec![input], &options(1));
    let endgame = report
        .alerts
        .iter()
        .find(|a| a.event_id.as_deref() == Some("s09"))
        .unwrap();
    assert_eq!(
        endgame.source_index.as_deref(),
        Some("endgame-8.10.0-000001")
    );
    assert_eq!(endgame.source_id.as_deref(), Some("endgame-doc-9"));
    let s1 = report
        .alerts
        .iter()
        .find(|a| a.event_id.as_deref() == Some("s10"))
        .unwrap();
    assert_eq!(
        s1.source_index.as_deref(),
        Some("logs-sentinel_one_cloud_funnel.event-default")
    );
    // Sorted by original time (@timestamp), then rule name, then uuid.
    let order: Vec<(String, String)> = report
        .alerts
        .iter()
        .map(|a| (a.event_id.clone().unwrap(), a.rule_name.to_string()))
        .collect();
    assert_eq!(order[0].0, "s01");
    assert_eq!((order[8].0.as_str(), order[9].0.as_str()), ("m01", "m01"));
    assert_eq!(order[8].1, "Dumping Account Hashes via Built-In Commands");
    assert_eq!(
        order[9].1,
        "Dumping Account Hashes via Built-In Commands (KQL)"
    );
    // The alert document is Kibana's shape.
    let doc: serde_json::Value = serde_json::from_str(&report.alerts[0].json()).unwrap();
    assert_eq!(doc["kibana.alert.rule.rule_id"], SSH);
    assert_eq!(doc["kibana.alert.original_event.id"], "s01");
    assert_eq!(doc["@timestamp"], "2026-11-02T12:00:00.000Z");
    assert_eq!(doc["event.kind"], "signal");
}

#[test]
fn default_index_reaches_events_without_one() {
    let h = scenario_rules();
    let input = file_input(
        &data("hunt/scenario.ndjson"),
        Some("logs-endpoint.events.file-default"),
    );
    let report = h.engine.run(vec![input], &options(1));
    let mut want = expected();
    want.push((SSH, "s16"));
    assert_eq!(pairs(&report), set(&want));
    assert_eq!(report.without_index, 0);
}

#[test]
fn since_until_filter_by_each_rules_time() {
    let h = scenario_rules();
    let input = file_input(&data("hunt/scenario.ndjson"), None);
    let mut opts = options(1);
    // The SSH and hash rules window by event.ingested (`…:SS.900`), falling
    // back to @timestamp (`…:SS.000`); `until` is exclusive.
    opts.since = Some(nanos("2026-11-02T09:00:06Z"));
    opts.until = Some(nanos("2026-11-02T10:00:03.900Z"));
    let report = h.engine.run(vec![input], &opts);
    assert_eq!(
        pairs(&report),
        set(&[
            (SSH, "s06"),
            (SSH, "s07"),
            (SSH, "s09"),
            (SSH, "s10"),
            (SSH, "s13"),
            (SSH, "s15"),
            (HASHES, "m01"),
            (HASHES, "m02"),
            (HASHES_KQL, "m01"),
        ])
    );
}

#[test]
fn a_repeated_input_gives_each_alert_once_on_any_number_of_threads() {
    let h = scenario_rules();
    let once = h.engine.run(
        vec![file_input(&data("hunt/scenario.ndjson"), None)],
        &options(1),
    );
    let twice = |threads| {
        let mut opts = options(threads);
        opts.batch_records = 5;
        let path = data("hunt/scenario.ndjson");
        h.engine.run(
            vec![file_input(&path, None), file_input(&path, None)],
            &opts,
        )
    };
    let json = |r: &engine::RunReport| r.alerts.iter().map(|a| a.json()).collect::<Vec<_>>();
    let (one, three) = (twice(1), twice(3));
    assert_eq!(one.events, 64);
    assert_eq!(json(&one), json(&once));
    assert_eq!(json(&three), json(&once));
}
