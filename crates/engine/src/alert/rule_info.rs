//! The rule as Kibana holds it when it runs: the rule-API JSON (snake_case keys,
//! as in a detection-rules `[rule]` table or a Kibana export line) normalised the
//! way Kibana normalises a created / imported rule, and converted back to the
//! snake_case parameter object alerts carry in `kibana.alert.rule.parameters`.
//!
//! Upstream: `rule_management/logic/.../rule_converters.ts`
//! (`convertCreateAPIToInternalSchema`, `typeSpecificSnakeToCamel`,
//! `commonParamsCamelToSnake`, `typeSpecificCamelToSnake`) and the rule schemas in
//! `common/api/detection_engine/model/rule_schema/`.
//!
//! Defaults filled: `author: []`, `false_positives: []`, `from: "now-6m"`,
//! `to: "now"`, `max_signals: 100`, `risk_score_mapping: []`,
//! `severity_mapping: []`, `threat: []`, `references: []`, `version: 1`,
//! `exceptions_list: []`, `related_integrations: []`, `required_fields: []`
//! (each with `ecs` computed from the ECS field map), `setup: ""`, `tags: []`,
//! `interval: "5m"`, `enabled: true`; `language: "kuery"` for query-like types,
//! `query: ""` for `query`, `threat_indicator_path: "threat.indicator"`;
//! legacy array `investigation_fields` become `{ field_names: [...] }`.
//! `immutable` / `rule_source` follow [`RuleOrigin`]. Keys Kibana's schema does
//! not know are dropped, as its parser strips them.

use super::ecs_types::ecs_field_map;
use super::fragments::{FragmentCache, RuleFragments};
use super::AlertError;
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// Kibana's default security index patterns, used when a rule has no `index`.
pub use rules::index::DEFAULT_INDEX_PATTERNS;

/// Namespace of the deterministic rule UUIDs (UUIDv5 of the URL
/// `urn:vigil:rule`), used when a rule has no saved-object `id`.
fn rule_uuid_namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:vigil:rule")
}

/// How the rule reached Kibana, which decides `immutable` and `rule_source`
/// when the rule JSON does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RuleOrigin {
    /// Created or imported by a user: `immutable: false`, `rule_source: {type: internal}`.
    #[default]
    Custom,
    /// An Elastic prebuilt rule (the detection-rules catalogue) installed unchanged:
    /// `immutable: true`, `rule_source: {type: external, is_customized: false}`.
    Prebuilt,
}

/// A rule ready to stamp alerts with.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleInfo {
    /// `kibana.alert.rule.uuid`: the rule's saved-object id.
    pub uuid: String,
    pub rule_id: String,
    pub name: String,
    pub rule_type: String,
    pub tags: Vec<Value>,
    pub enabled: bool,
    pub interval: String,
    pub revision: u64,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub created_by: String,
    pub updated_by: String,
    pub actions: Value,
    pub throttle: Option<Value>,
    /// `kibana.alert.rule.indices`: the patterns the rule searches.
    pub indices: Vec<Value>,
    /// `kibana.alert.rule.parameters`, snake_case, with Kibana's defaults.
    pub params: Map<String, Value>,
    /// The rule's constant alert fields, serialized on first use (a rule is
    /// not changed once it has alerted; [`RuleInfo::with_indices`] resets it).
    fragments: FragmentCache,
}

impl RuleInfo {
    /// Normalises rule-API JSON as a user-created or imported rule would be.
    pub fn from_rule_json(rule: &Value) -> Result<RuleInfo, AlertError> {
        RuleInfo::from_rule_json_with_origin(rule, RuleOrigin::Custom)
    }

    /// Normalises rule-API JSON, with `origin` deciding `immutable` / `rule_source`
    /// when the JSON does not carry them.
    pub fn from_rule_json_with_origin(
        rule: &Value,
        origin: RuleOrigin,
    ) -> Result<RuleInfo, AlertError> {
        let (input, uuid) = checked_with_uuid(rule)?;
        let rule_id = required_string(input, "rule_id")?;
        let name = required_string(input, "name")?;
        let rule_type = required_string(input, "type")?;
        let mut params = common_params(input, &rule_id, origin);
        type_specific_params(input, &rule_type, &mut params);
        let indices = match params.get("index") {
            Some(Value::Array(patterns)) => patterns.clone(),
            _ => DEFAULT_INDEX_PATTERNS.iter().map(|p| json!(p)).collect(),
        };
        Ok(RuleInfo {
            uuid,
            rule_id,
            name,
            rule_type,
            tags: array_or_empty(input, "tags"),
            enabled: input
                .get("enabled")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            interval: string(input, "interval").unwrap_or_else(|| "5m".to_string()),
            revision: input.get("revision").and_then(Value::as_u64).unwrap_or(0),
            created_at: string(input, "created_at"),
            updated_at: string(input, "updated_at"),
            created_by: string(input, "created_by").unwrap_or_default(),
            updated_by: string(input, "updated_by").unwrap_or_default(),
            actions: input
                .get("actions")
                .filter(|a| a.is_array())
                .cloned()
                .unwrap_or_else(|| json!([])),
            throttle: None,
            indices,
            params,
            fragments: FragmentCache::default(),
        })
    }

    /// The `kibana.alert.rule.uuid` of the rule [`RuleInfo::from_rule_json`]
    /// would build, or the error it would give, without building the rest
    /// (a whole catalogue is checked at start-up; few of its rules alert).
    pub fn uuid_of(rule: &Value) -> Result<String, AlertError> {
        checked_with_uuid(rule).map(|(_, uuid)| uuid)
    }

    /// Sets the index patterns the rule searched (`kibana.alert.rule.indices`), e.g.
    /// those of a data view.
    pub fn with_indices(mut self, indices: Vec<String>) -> RuleInfo {
        self.indices = indices.into_iter().map(Value::String).collect();
        self.fragments = FragmentCache::default();
        self
    }

    /// The rule's constant alert fields, serialized.
    pub(crate) fn fragments(&self) -> RuleFragments<'_> {
        RuleFragments {
            rule: self,
            cache: &self.fragments,
        }
    }

    pub fn param(&self, key: &str) -> Option<&Value> {
        self.params.get(key).filter(|v| !v.is_null())
    }

    pub fn severity(&self) -> Option<&str> {
        self.param("severity").and_then(Value::as_str)
    }

    /// `kibana.alert.rule.category`: the Kibana rule type's display name.
    pub fn category(&self) -> &'static str {
        match self.rule_type.as_str() {
            "eql" => "Event Correlation Rule",
            "query" => "Custom Query Rule",
            "saved_query" => "Saved Query Rule",
            "threshold" => "Threshold Rule",
            "threat_match" => "Indicator Match Rule",
            "machine_learning" => "Machine Learning Rule",
            "new_terms" => "New Terms Rule",
            "esql" => "ES|QL Rule",
            _ => "",
        }
    }

    /// `kibana.alert.rule.rule_type_id` (`@kbn/securitysolution-rules`).
    pub fn rule_type_id(&self) -> String {
        let id = match self.rule_type.as_str() {
            "eql" => "eqlRule",
            "query" => "queryRule",
            "saved_query" => "savedQueryRule",
            "threshold" => "thresholdRule",
            "threat_match" => "indicatorRule",
            "machine_learning" => "mlRule",
            "new_terms" => "newTermsRule",
            "esql" => "esqlRule",
            other => other,
        };
        format!("siem.{id}")
    }
}

/// The rule as an object with the fields every alert needs, and its uuid:
/// its `id`, or the v5 uuid Kibana derives from its `rule_id`.
fn checked_with_uuid(rule: &Value) -> Result<(&Map<String, Value>, String), AlertError> {
    let input = rule.as_object().ok_or(AlertError::RuleNotObject)?;
    let rule_id = input.get("rule_id").and_then(Value::as_str);
    let rule_id = rule_id.ok_or(AlertError::MissingRuleField("rule_id"))?;
    for key in ["name", "type"] {
        if !input.get(key).is_some_and(Value::is_string) {
            return Err(AlertError::MissingRuleField(key));
        }
    }
    let uuid = match string(input, "id") {
        Some(id) => id,
        None => Uuid::new_v5(&rule_uuid_namespace(), rule_id.as_bytes()).to_string(),
    };
    Ok((input, uuid))
}

fn string(input: &Map<String, Value>, key: &str) -> Option<String> {
    input.get(key).and_then(Value::as_str).map(str::to_string)
}

fn required_string(input: &Map<String, Value>, key: &'static str) -> Result<String, AlertError> {
    string(input, key).ok_or(AlertError::MissingRuleField(key))
}

fn array_or_empty(input: &Map<String, Value>, key: &str) -> Vec<Value> {
    input
        .get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// `commonParamsCamelToSnake(convertCreateAPIToInternalSchema(input).params)`,
/// without `output_index` (dropped by `buildAlertFields`).
fn common_params(
    input: &Map<String, Value>,
    rule_id: &str,
    origin: RuleOrigin,
) -> Map<String, Value> {
    let mut params = Map::new();
    let copy = |params: &mut Map<String, Value>, key: &str| {
        if let Some(value) = input.get(key).filter(|v| !v.is_null()) {
            params.insert(key.to_string(), value.clone());
        }
    };
    let with_default = |params: &mut Map<String, Value>, key: &str, default: Value| {
        let value = input
            .get(key)
            .filter(|v| !v.is_null())
            .cloned()
            .unwrap_or(default);
        params.insert(key.to_string(), value);
    };
    for key in [
        "description",
        "risk_score",
        "severity",
        "building_block_type",
        "namespace",
        "note",
        "license",
    ] {
        copy(&mut params, key);
    }
    for key in [
        "timeline_id",
        "timeline_title",
        "meta",
        "rule_name_override",
        "timestamp_override",
    ] {
        copy(&mut params, key);
    }
    copy(&mut params, "timestamp_override_fallback_disabled");
    if let Some(fields) = input.get("investigation_fields").filter(|v| !v.is_null()) {
        params.insert(
            "investigation_fields".into(),
            migrate_investigation_fields(fields),
        );
    }
    with_default(&mut params, "author", json!([]));
    with_default(&mut params, "false_positives", json!([]));
    with_default(&mut params, "from", json!("now-6m"));
    params.insert("rule_id".into(), json!(rule_id));
    with_default(&mut params, "max_signals", json!(100));
    with_default(&mut params, "risk_score_mapping", json!([]));
    with_default(&mut params, "severity_mapping", json!([]));
    with_default(&mut params, "threat", json!([]));
    with_default(&mut params, "to", json!("now"));
    with_default(&mut params, "references", json!([]));
    with_default(&mut params, "version", json!(1));
    with_default(&mut params, "exceptions_list", json!([]));
    let (immutable, rule_source) = source_of(input, origin);
    params.insert("immutable".into(), json!(immutable));
    params.insert("rule_source".into(), rule_source);
    with_default(&mut params, "related_integrations", json!([]));
    params.insert(
        "required_fields".into(),
        required_fields_with_ecs(input.get("required_fields")),
    );
    copy(&mut params, "response_actions");
    with_default(&mut params, "setup", json!(""));
    params
}

/// `migrateLegacyInvestigationFields`: a bare array becomes `{ field_names }`.
fn migrate_investigation_fields(fields: &Value) -> Value {
    match fields {
        Value::Array(names) => json!({ "field_names": names }),
        other => other.clone(),
    }
}

fn source_of(input: &Map<String, Value>, origin: RuleOrigin) -> (bool, Value) {
    let immutable = input
        .get("immutable")
        .and_then(Value::as_bool)
        .unwrap_or(origin == RuleOrigin::Prebuilt);
    let rule_source = match input.get("rule_source").filter(|v| v.is_object()) {
        Some(source) => source.clone(),
        None if immutable => json!({ "type": "external", "is_customized": false }),
        None => json!({ "type": "internal" }),
    };
    (immutable, rule_source)
}

/// `addEcsToRequiredFields`: `{name, type, ecs}` with `ecs` true when ECS has the
/// field with that very type.
fn required_fields_with_ecs(fields: Option<&Value>) -> Value {
    let map = ecs_field_map();
    let items = fields
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let with_ecs = items
        .iter()
        .filter_map(Value::as_object)
        .map(|field| {
            let name = field.get("name").cloned().unwrap_or(Value::Null);
            let ty = field.get("type").cloned().unwrap_or(Value::Null);
            let ecs = match (name.as_str(), ty.as_str()) {
                (Some(n), Some(t)) => map.has_field_of_type(n, t),
                _ => false,
            };
            json!({ "name": name, "type": ty, "ecs": ecs })
        })
        .collect();
    Value::Array(with_ecs)
}

/// `typeSpecificCamelToSnake(typeSpecificSnakeToCamel(input))`.
fn type_specific_params(
    input: &Map<String, Value>,
    rule_type: &str,
    params: &mut Map<String, Value>,
) {
    params.insert("type".into(), json!(rule_type));
    let keys: &[&str] = match rule_type {
        "eql" => &[
            "language",
            "index",
            "data_view_id",
            "query",
            "filters",
            "timestamp_field",
            "event_category_override",
            "tiebreaker_field",
            "alert_suppression",
            "response_actions",
        ],
        "esql" => &["language", "query", "alert_suppression", "response_actions"],
        "threat_match" => &[
            "language",
            "index",
            "data_view_id",
            "query",
            "filters",
            "saved_id",
            "threat_filters",
            "threat_query",
            "threat_mapping",
            "threat_language",
            "threat_index",
            "threat_indicator_path",
            "concurrent_searches",
            "items_per_search",
            "alert_suppression",
        ],
        "query" | "saved_query" => &[
            "language",
            "index",
            "data_view_id",
            "query",
            "filters",
            "saved_id",
            "response_actions",
            "alert_suppression",
        ],
        "threshold" => &[
            "language",
            "index",
            "data_view_id",
            "query",
            "filters",
            "saved_id",
            "threshold",
            "alert_suppression",
        ],
        "machine_learning" => &[
            "anomaly_threshold",
            "machine_learning_job_id",
            "alert_suppression",
        ],
        "new_terms" => &[
            "query",
            "new_terms_fields",
            "history_window_start",
            "index",
            "filters",
            "language",
            "data_view_id",
            "alert_suppression",
            "response_actions",
        ],
        _ => &[],
    };
    for key in keys {
        if let Some(value) = input.get(*key).filter(|v| !v.is_null()) {
            params.insert((*key).to_string(), value.clone());
        }
    }
    apply_type_defaults(rule_type, params);
}

fn apply_type_defaults(rule_type: &str, params: &mut Map<String, Value>) {
    if matches!(
        rule_type,
        "query" | "saved_query" | "threshold" | "threat_match" | "new_terms"
    ) {
        params.entry("language").or_insert_with(|| json!("kuery"));
    }
    if rule_type == "query" {
        params.entry("query").or_insert_with(|| json!(""));
    }
    if rule_type == "threat_match" {
        params
            .entry("threat_indicator_path")
            .or_insert_with(|| json!("threat.indicator"));
    }
    if rule_type == "machine_learning" {
        if let Some(Value::String(job)) = params.get("machine_learning_job_id").cloned() {
            params.insert("machine_learning_job_id".into(), json!([job]));
        }
    }
    if rule_type == "threshold" {
        normalize_threshold(params);
    }
}

/// `normalizeThresholdObject`: `threshold.field` is always an array, and
/// `alert_suppression` keeps only its `duration`.
fn normalize_threshold(params: &mut Map<String, Value>) {
    if let Some(Value::Object(threshold)) = params.get_mut("threshold") {
        match threshold.get("field").cloned() {
            Some(Value::String(field)) if field.is_empty() => {
                threshold.insert("field".into(), json!([]));
            }
            Some(Value::String(field)) => {
                threshold.insert("field".into(), json!([field]));
            }
            None => {
                threshold.insert("field".into(), json!([]));
            }
            _ => {}
        }
    }
    if let Some(Value::Object(suppression)) = params.get("alert_suppression").cloned() {
        match suppression.get("duration") {
            Some(duration) => {
                params.insert("alert_suppression".into(), json!({ "duration": duration }))
            }
            None => params.remove("alert_suppression"),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Start-up checks each rule with `uuid_of` alone; the full description
    /// is built when the rule first alerts, so both must agree on every rule.
    #[test]
    fn uuid_of_gives_the_uuid_or_the_error_of_the_full_description() {
        let base = json!({"rule_id": "r-1", "name": "n", "type": "query"});
        let with = |key: &str, value: Value| {
            let mut rule = base.clone();
            rule[key] = value;
            rule
        };
        let without = |key: &str| {
            let mut rule = base.clone();
            rule.as_object_mut().unwrap().remove(key);
            rule
        };
        let cases = [
            base.clone(),
            with("id", json!("3f1c0a52-0000-4000-8000-000000000001")),
            with("id", json!(7)),
            with("name", json!(1)),
            with("type", Value::Null),
            with("rule_id", json!(["r"])),
            without("rule_id"),
            without("name"),
            without("type"),
            json!("not an object"),
        ];
        for rule in cases {
            let full = RuleInfo::from_rule_json(&rule).map(|info| info.uuid);
            let quick = RuleInfo::uuid_of(&rule);
            assert_eq!(format!("{quick:?}"), format!("{full:?}"), "{rule}");
        }
        // Kibana's v5 uuid of the rule_id when no `id` is given.
        assert_eq!(
            RuleInfo::uuid_of(&base).unwrap(),
            Uuid::new_v5(&rule_uuid_namespace(), b"r-1").to_string()
        );
        assert_eq!(
            RuleInfo::uuid_of(&without("name")).unwrap_err().to_string(),
            AlertError::MissingRuleField("name").to_string()
        );
    }

    #[test]
    fn defaults_are_filled_as_kibana_does_on_create() {
        let rule = json!({
            "rule_id": "r-1", "name": "n", "type": "query", "description": "d",
            "risk_score": 21, "severity": "low", "unknown_key": 1,
            "required_fields": [{"name": "process.name", "type": "keyword"}, {"name": "x", "type": "keyword"}],
        });
        let info = RuleInfo::from_rule_json(&rule).unwrap();
        assert_eq!(
            Value::Object(info.params.clone()),
            json!({
                "author": [], "description": "d", "exceptions_list": [], "false_positives": [],
                "from": "now-6m", "immutable": false, "language": "kuery", "max_signals": 100,
                "query": "", "references": [], "related_integrations": [],
                "required_fields": [
                    {"name": "process.name", "type": "keyword", "ecs": true},
                    {"name": "x", "type": "keyword", "ecs": false}
                ],
                "risk_score": 21, "risk_score_mapping": [], "rule_id": "r-1",
                "rule_source": {"type": "internal"}, "setup": "", "severity": "low",
                "severity_mapping": [], "threat": [], "to": "now", "type": "query", "version": 1
            })
        );
        assert_eq!(info.interval, "5m");
        assert!(info.enabled);
        assert_eq!(info.indices.len(), DEFAULT_INDEX_PATTERNS.len());
        assert_eq!(info.rule_type_id(), "siem.queryRule");
        assert_eq!(info.category(), "Custom Query Rule");
    }

    #[test]
    fn rule_uuid_is_the_id_or_derived_from_rule_id() {
        let with_id = json!({"rule_id": "r", "name": "n", "type": "eql", "id": "abc"});
        assert_eq!(RuleInfo::from_rule_json(&with_id).unwrap().uuid, "abc");
        let without = json!({"rule_id": "r", "name": "n", "type": "eql"});
        let a = RuleInfo::from_rule_json(&without).unwrap().uuid;
        let b = RuleInfo::from_rule_json(&without).unwrap().uuid;
        assert_eq!(a, b);
        let expected =
            Uuid::new_v5(&Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:vigil:rule"), b"r").to_string();
        assert_eq!(a, expected);
        let other = json!({"rule_id": "s", "name": "n", "type": "eql"});
        assert_ne!(a, RuleInfo::from_rule_json(&other).unwrap().uuid);
    }

    #[test]
    fn prebuilt_origin_marks_external_source() {
        let rule =
            json!({"rule_id": "r", "name": "n", "type": "eql", "investigation_fields": ["a"]});
        let info = RuleInfo::from_rule_json_with_origin(&rule, RuleOrigin::Prebuilt).unwrap();
        assert_eq!(info.params["immutable"], json!(true));
        assert_eq!(
            info.params["rule_source"],
            json!({"type": "external", "is_customized": false})
        );
        assert_eq!(
            info.params["investigation_fields"],
            json!({"field_names": ["a"]})
        );
        assert_eq!(
            info.params.get("language"),
            None,
            "EQL has no language default"
        );
    }

    #[test]
    fn missing_identity_fields_are_errors() {
        let rule = json!({"name": "n", "type": "eql"});
        assert!(matches!(
            RuleInfo::from_rule_json(&rule),
            Err(AlertError::MissingRuleField("rule_id"))
        ));
        assert!(matches!(
            RuleInfo::from_rule_json(&json!([])),
            Err(AlertError::RuleNotObject)
        ));
    }
}
