//! One alert from one source event, and the `kibana.alert.*` fields every alert
//! carries. Ports, in order of use:
//! - `rule_types/factories/wrap_hits_factory.ts` (the id, the own-alert filter);
//! - `rule_types/factories/utils/transform_hit_to_alert.ts` (overrides, reason,
//!   source preparation, `event.kind` replaced, alert fields merged over the source);
//! - `rule_types/factories/utils/build_alert.ts` (`buildAlertFields`,
//!   `buildParent`, `buildAncestors`);
//! - `rule_types/utils/mappings/build_{rule_name,severity,risk_score}_from_mapping.ts`;
//! - `rule_registry/server/utils/create_persistence_rule_type_wrapper.ts`
//!   (`augmentAlerts`) and `get_common_alert_fields.ts`: the fields added when the
//!   alert is written.

use super::document::AlertDoc;
use super::ids::event_alert_id;
use super::js::{fields_api_values, js_number, lodash_get};
use super::reason::{build_reason_message, ReasonDoc};
use super::source_fields::{prepare_source, PreparedSource};
use super::{AlertContext, AlertError, RuleInfo, SourceDoc};
use event::time::{format_millis, parse_date_nanos};
use serde_json::{json, Map, Value};

/// Alert fields in the order Kibana builds them; `None` is JavaScript's `undefined`.
pub(crate) type AlertFields = Vec<(String, Option<Value>)>;

/// A parent of the alert being built: a source event, or (for the shell alert of a
/// sequence) a building-block alert.
pub(crate) struct Parent<'a> {
    pub id: &'a str,
    pub index: &'a str,
    pub source: &'a Map<String, Value>,
    /// A search hit (read through the `fields` API) rather than a built alert.
    pub is_search_hit: bool,
}

/// Name, severity and risk score after the rule's override mappings.
pub(crate) struct Overrides {
    pub name: String,
    pub severity: Option<Value>,
    pub risk_score: Option<Value>,
}

/// Whether `buildParent` sees a parent as an alert (`type: signal`).
fn is_signal(parent: &Parent<'_>) -> bool {
    parent.source.get("signal").is_some_and(|v| !v.is_null())
        || parent
            .source
            .get("kibana.alert.uuid")
            .is_some_and(|v| !v.is_null())
}

/// `buildParent`: the ancestor entry for one parent document.
fn ancestor_of(parent: &Parent<'_>) -> (Value, u64) {
    let is_signal = is_signal(parent);
    let mut ancestor = Map::new();
    ancestor.insert("id".into(), json!(parent.id));
    ancestor.insert(
        "type".into(),
        json!(if is_signal { "signal" } else { "event" }),
    );
    ancestor.insert("index".into(), json!(parent.index));
    let depth = if is_signal {
        lodash_get(parent.source, "kibana.alert.depth")
            .and_then(Value::as_u64)
            .unwrap_or(1)
    } else {
        0
    };
    ancestor.insert("depth".into(), json!(depth));
    if is_signal {
        if let Some(rule) =
            lodash_get(parent.source, "kibana.alert.rule.uuid").filter(|v| !v.is_null())
        {
            ancestor.insert("rule".into(), rule.clone());
        }
    }
    (Value::Object(ancestor), depth)
}

/// `buildAncestors`: the parent's own ancestors, then the parent (built
/// whole by [`alert_fields`]; the reference of [`parent_descends_from_rule`]).
#[cfg(test)]
pub(crate) fn ancestors_of(parent: &Parent<'_>) -> Vec<Value> {
    let mut ancestors = match lodash_get(parent.source, "kibana.alert.ancestors") {
        Some(Value::Array(existing)) => existing.clone(),
        _ => Vec::new(),
    };
    ancestors.push(ancestor_of(parent).0);
    ancestors
}

/// True when one of the ancestors was raised by this very rule (Kibana drops such
/// alerts so a rule never alerts on its own alerts).
pub(crate) fn descends_from_rule(ancestors: &[Value], rule_uuid: &str) -> bool {
    ancestors
        .iter()
        .any(|a| a.get("rule").and_then(Value::as_str) == Some(rule_uuid))
}

/// `descends_from_rule(&ancestors_of(parent), rule_uuid)`, without building
/// the ancestors: the parent's own ancestors, then the parent's entry, whose
/// `rule` is its rule uuid when it is an alert.
pub(crate) fn parent_descends_from_rule(parent: &Parent<'_>, rule_uuid: &str) -> bool {
    let own = match lodash_get(parent.source, "kibana.alert.ancestors") {
        Some(Value::Array(existing)) => descends_from_rule(existing, rule_uuid),
        _ => false,
    };
    own || (is_signal(parent)
        && lodash_get(parent.source, "kibana.alert.rule.uuid").and_then(Value::as_str)
            == Some(rule_uuid))
}

/// `getValidDateFromDoc(docs[0], '@timestamp')` as an ISO string in milliseconds.
fn original_time(parent: &Parent<'_>) -> Option<String> {
    let value = if parent.is_search_hit {
        fields_api_values(parent.source, "@timestamp")
            .into_iter()
            .next()
    } else {
        parent.source.get("@timestamp")
    }?;
    let nanos = match value {
        Value::String(s) => parse_date_nanos(s),
        Value::Number(n) => n.as_f64().map(|ms| (ms * 1e6) as i64),
        _ => None,
    }?;
    Some(format_millis(nanos))
}

/// `getAlertDetailsUrl` (`common/utils/alert_detail_path.ts`) with
/// `addSpaceIdToPath`; `None` without a public base URL.
pub(crate) fn alert_url(ctx: &AlertContext, alert_id: &str, timestamp: &str) -> Option<Value> {
    let base = ctx.public_base_url.as_deref()?;
    let base = base.strip_suffix('/').unwrap_or(base);
    let space = if ctx.space_id.is_empty() || ctx.space_id == "default" {
        String::new()
    } else {
        format!("/s/{}", ctx.space_id)
    };
    let index = format!(".alerts-security.alerts-{}", ctx.space_id);
    Some(json!(format!(
        "{base}{space}/app/security/alerts/redirect/{alert_id}?index={index}&timestamp={timestamp}"
    )))
}

/// `buildAlertFields`, the fields that vary per alert (the overridable name,
/// severity and risk score, ancestry, reason, ids, run-time dates); the
/// rule-only rest is serialized once per rule ([`super::fragments`]).
pub(crate) fn alert_fields(
    rule: &RuleInfo,
    ctx: &AlertContext,
    parents: &[Parent<'_>],
    reason: &str,
    alert_uuid: &str,
    overrides: Option<&Overrides>,
) -> AlertFields {
    // Each parent's own ancestors, then the parent (`ancestors_of`), each
    // parent's entry built once for both the list and the depth.
    let mut ancestors: Vec<Value> = Vec::new();
    let mut parent_depth = 0;
    for parent in parents {
        if let Some(Value::Array(existing)) = lodash_get(parent.source, "kibana.alert.ancestors") {
            ancestors.extend(existing.iter().cloned());
        }
        let (ancestor, depth) = ancestor_of(parent);
        ancestors.push(ancestor);
        parent_depth = parent_depth.max(depth);
    }
    let depth = parent_depth + 1;
    let param = |key: &str| rule.param(key).cloned();
    let timestamp = &ctx.now;
    let mut f: AlertFields = Vec::with_capacity(20);
    let mut put = |key: &str, value: Option<Value>| f.push((key.to_string(), value));
    put("@timestamp", Some(json!(timestamp)));
    put("kibana.space_ids", Some(json!([ctx.space_id])));
    put("event.kind", Some(json!("signal")));
    put(
        "kibana.alert.original_time",
        parents.first().and_then(original_time).map(Value::String),
    );
    put("kibana.alert.ancestors", Some(Value::Array(ancestors)));
    put("kibana.alert.depth", Some(json!(depth)));
    put("kibana.alert.reason", Some(json!(reason)));
    put(
        "kibana.alert.building_block_type",
        param("building_block_type"),
    );
    put(
        "kibana.alert.severity",
        overrides.map_or_else(|| param("severity"), |o| o.severity.clone()),
    );
    put(
        "kibana.alert.risk_score",
        overrides.map_or_else(|| param("risk_score"), |o| o.risk_score.clone()),
    );
    let created_at = rule.created_at.as_ref().unwrap_or(timestamp);
    put("kibana.alert.rule.created_at", Some(json!(created_at)));
    put(
        "kibana.alert.rule.name",
        Some(json!(
            overrides.map_or(rule.name.as_str(), |o| o.name.as_str())
        )),
    );
    let updated_at = rule.updated_at.as_ref().unwrap_or(timestamp);
    put("kibana.alert.rule.updated_at", Some(json!(updated_at)));
    put("kibana.alert.rule.uuid", Some(json!(rule.uuid)));
    put("kibana.alert.url", alert_url(ctx, alert_uuid, timestamp));
    put("kibana.alert.uuid", Some(json!(alert_uuid)));
    let (intended, execution_type) = match &ctx.intended_timestamp {
        Some(intended) => (intended, "manual"),
        None => (timestamp, "scheduled"),
    };
    put("kibana.alert.intended_timestamp", Some(json!(intended)));
    put(
        "kibana.alert.rule.execution.type",
        Some(json!(execution_type)),
    );
    f
}

/// `augmentAlerts` + `getCommonAlertFields`: fields the persistence layer puts
/// under the alert's own (which win). Those of the run; the rule's are constant
/// ([`super::fragments`]), and `@timestamp`, `kibana.space_ids`,
/// `kibana.alert.rule.{name,uuid}` are always set by [`alert_fields`] already.
pub(crate) fn augment(alert: &mut Map<String, Value>, ctx: &AlertContext) {
    let common = [
        ("kibana.alert.rule.execution.timestamp", &ctx.now),
        ("kibana.alert.start", &ctx.now),
        ("kibana.alert.last_detected", &ctx.now),
        ("kibana.version", &ctx.kibana_version),
        ("kibana.alert.rule.execution.uuid", &ctx.execution_uuid),
    ];
    for (key, value) in common {
        alert
            .entry(key)
            .or_insert_with(|| Value::String(value.clone()));
    }
}

/// `merge(validatedSource, alertFields)` (lodash): defined values overwrite,
/// `undefined` ones leave the source as it is.
fn merge_defined(target: &mut Map<String, Value>, fields: AlertFields) {
    for (key, value) in fields {
        if let Some(value) = value {
            target.insert(key, value);
        }
    }
}

/// The object spread `{...a, ...fields}`: `undefined` values remove the key.
pub(crate) fn spread(target: &mut Map<String, Value>, fields: AlertFields) {
    for (key, value) in fields {
        match value {
            Some(value) => target.insert(key, value),
            None => target.remove(&key),
        };
    }
}

/// Removes `event.kind` from the prepared source (`robustGet` / `robustSet` with
/// `undefined`), so that only the alert's flat `event.kind: signal` remains. A
/// `null` nested `event.kind` is not seen by `robustGet` and stays.
fn drop_source_event_kind(doc: &mut Map<String, Value>) {
    let flat_present = doc.get("event.kind").is_some_and(|v| !v.is_null());
    match doc.get_mut("event") {
        Some(Value::Object(event)) => {
            let nested_present = event.get("kind").is_some_and(|v| !v.is_null());
            if flat_present || nested_present {
                event.remove("kind");
            }
        }
        _ if flat_present => {
            doc.remove("event.kind");
        }
        _ => {}
    }
}

/// The rule's overrides for this event (`applyOverrides: true`).
pub(crate) fn overrides_for(rule: &RuleInfo, source: &Map<String, Value>) -> Overrides {
    Overrides {
        name: rule_name_from_mapping(rule, source),
        severity: severity_from_mapping(rule, source),
        risk_score: risk_score_from_mapping(rule, source),
    }
}

/// `buildRuleNameFromMapping`: a string at `rule_name_override` replaces the name.
fn rule_name_from_mapping(rule: &RuleInfo, source: &Map<String, Value>) -> String {
    rule.param("rule_name_override")
        .and_then(Value::as_str)
        .and_then(|field| lodash_get(source, field))
        .and_then(Value::as_str)
        .map_or_else(|| rule.name.clone(), str::to_string)
}

fn severity_rank(severity: Option<&str>) -> u8 {
    match severity {
        Some("low") => 0,
        Some("medium") => 1,
        Some("high") => 2,
        Some("critical") => 3,
        _ => 0,
    }
}

/// The severity mapping sorted low → critical, as `buildSeverityFromMapping`
/// sorts the rule's own array in place (so later alerts carry it sorted).
pub(crate) fn sorted_severity_mapping(params: &Map<String, Value>) -> Option<Vec<Value>> {
    let mut mapping = params.get("severity_mapping")?.as_array()?.clone();
    mapping.sort_by_key(|m| severity_rank(m.get("severity").and_then(Value::as_str)));
    Some(mapping)
}

/// `buildSeverityFromMapping`: the highest mapped severity whose value the event has.
fn severity_from_mapping(rule: &RuleInfo, source: &Map<String, Value>) -> Option<Value> {
    let default = rule.param("severity").cloned();
    let Some(mapping) = sorted_severity_mapping(&rule.params).filter(|m| !m.is_empty()) else {
        return default;
    };
    let mut matched: Option<Value> = None;
    for item in &mapping {
        let field = item.get("field").and_then(Value::as_str).unwrap_or("");
        let mapped = item.get("value").and_then(Value::as_str).unwrap_or("");
        if event_has_mapped_value(lodash_get(source, field), field, mapped) {
            matched = item.get("severity").cloned();
        }
    }
    match matched {
        Some(Value::String(s)) if ["low", "medium", "high", "critical"].contains(&s.as_str()) => {
            Some(Value::String(s))
        }
        _ => default,
    }
}

fn event_has_mapped_value(event_value: Option<&Value>, field: &str, mapped: &str) -> bool {
    let values: Vec<&Value> = match event_value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => vec![],
    };
    let safe_integer = |v: &Value| {
        v.as_f64()
            .filter(|x| x.fract() == 0.0 && x.abs() <= 9_007_199_254_740_991.0)
    };
    if field == "event.severity" {
        // `Math.floor(Number(value))` against the event's safe-integer numbers.
        let Some(wanted) = js_number(mapped).map(f64::floor) else {
            return false;
        };
        return values
            .iter()
            .filter_map(|v| safe_integer(v))
            .any(|n| n == wanted);
    }
    values.iter().any(|v| match v {
        Value::String(s) => s == mapped,
        Value::Number(_) => {
            safe_integer(v).is_some_and(|n| super::js::js_to_join_string(&json_number(n)) == mapped)
        }
        _ => false,
    })
}

/// `buildRiskScoreFromMapping`: the largest 0–100 number at the first mapping's field.
fn risk_score_from_mapping(rule: &RuleInfo, source: &Map<String, Value>) -> Option<Value> {
    let default = rule.param("risk_score").cloned();
    let Some(field) = rule
        .param("risk_score_mapping")
        .and_then(Value::as_array)
        .and_then(|m| m.first())
        .and_then(|m| m.get("field"))
        .and_then(Value::as_str)
    else {
        return default;
    };
    let values: Vec<&Value> = match lodash_get(source, field) {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => vec![],
    };
    let valid = values.iter().filter_map(|v| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => js_number(s),
        _ => None,
    });
    let max = valid
        .filter(|x| x.is_finite() && (0.0..=100.0).contains(x))
        .fold(None, |acc: Option<f64>, x| {
            Some(acc.map_or(x, |a| a.max(x)))
        });
    max.map(json_number).or(default)
}

/// A JavaScript number as JSON: integral values without a fraction.
fn json_number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

/// The event's parent record and the check that it is an object.
pub(crate) fn event_parent<'a>(doc: &'a SourceDoc) -> Result<Parent<'a>, AlertError> {
    let source = doc.source.as_object().ok_or(AlertError::SourceNotObject)?;
    Ok(Parent {
        id: &doc.id,
        index: &doc.index,
        source,
        is_search_hit: true,
    })
}

/// `transformHitToAlert` for one event, with `applyOverrides` and the alert id
/// given: the alert's per-alert fields (the prepared source and the varying
/// alert fields) before `augmentAlerts`; the rule's constant fields are
/// [`RuleInfo::fragments`], applied when the alert is written.
/// `fields` are [`hit_alert_fields`]'s.
pub(crate) fn transform_hit_to_alert(
    parent: &Parent<'_>,
    fields: AlertFields,
) -> Result<Map<String, Value>, AlertError> {
    Ok(with_alert_fields(prepare_source(parent.source)?, fields))
}

/// The alert fields [`transform_hit_to_alert`] merges over the prepared source.
pub(crate) fn hit_alert_fields(
    rule: &RuleInfo,
    ctx: &AlertContext,
    parent: &Parent<'_>,
    apply_overrides: bool,
    alert_uuid: &str,
    reason_override: Option<&str>,
) -> AlertFields {
    let overrides = apply_overrides.then(|| overrides_for(rule, parent.source));
    let name = overrides
        .as_ref()
        .map_or(rule.name.as_str(), |o| o.name.as_str());
    let severity_value = overrides
        .as_ref()
        .map_or_else(|| rule.param("severity").cloned(), |o| o.severity.clone());
    let severity = severity_value
        .as_ref()
        .and_then(Value::as_str)
        .unwrap_or("");
    let reason = match reason_override {
        Some(reason) => reason.to_string(),
        None => build_reason_message(name, severity, ReasonDoc::Event(parent.source)),
    };
    alert_fields(
        rule,
        ctx,
        std::slice::from_ref(parent),
        &reason,
        alert_uuid,
        overrides.as_ref(),
    )
}

/// The end of [`transform_hit_to_alert`]: the source's `event.kind` dropped
/// and the alert `fields` merged over the `prepared` source.
pub(crate) fn with_alert_fields(
    prepared: PreparedSource,
    fields: AlertFields,
) -> Map<String, Value> {
    let mut alert = prepared.fields;
    drop_source_event_kind(&mut alert);
    merge_defined(&mut alert, fields);
    alert
}

/// `wrapHitsFactory` for one event: the alert, or `None` when the event is itself
/// an alert of this rule.
pub(crate) fn build_event_alert(
    rule: &RuleInfo,
    ctx: &AlertContext,
    doc: &SourceDoc,
    reason_override: Option<&str>,
) -> Result<Option<AlertDoc>, AlertError> {
    let parent = event_parent(doc)?;
    if parent_descends_from_rule(&parent, &rule.uuid) {
        return Ok(None);
    }
    let id = event_alert_id(&doc.index, &doc.id, &ctx.space_id, &rule.uuid);
    let alert_fields = hit_alert_fields(rule, ctx, &parent, true, &id, reason_override);
    let mut fields = transform_hit_to_alert(&parent, alert_fields)?;
    augment(&mut fields, ctx);
    Ok(Some(AlertDoc {
        fields,
        constant: rule.fragments().event(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parents that are events, alerts of this rule or of another, with
    /// ancestors or not, null or missing fields, flat or nested keys.
    #[test]
    fn a_parent_descends_from_a_rule_as_its_built_ancestors_say() {
        let ancestor = |rule: Value| json!({"id": "a", "type": "signal", "index": "i", "depth": 1, "rule": rule});
        let sources = [
            json!({}),
            json!({"signal": {"x": 1}, "kibana.alert.rule.uuid": "r"}),
            json!({"signal": null, "kibana.alert.rule.uuid": "r"}),
            json!({"kibana.alert.uuid": "u", "kibana.alert.rule.uuid": "r"}),
            json!({"kibana.alert.uuid": "u", "kibana.alert.rule.uuid": "other"}),
            json!({"kibana.alert.uuid": "u", "kibana.alert.rule.uuid": null}),
            json!({"kibana.alert.uuid": null, "kibana.alert.rule.uuid": "r"}),
            json!({"kibana.alert.uuid": "u", "kibana": {"alert": {"rule": {"uuid": "r"}}}}),
            json!({"kibana.alert.ancestors": [ancestor(json!("r"))]}),
            json!({"kibana.alert.ancestors": [ancestor(json!("other")), ancestor(json!(null))]}),
            json!({"kibana": {"alert": {"ancestors": [ancestor(json!("r"))]}}}),
            json!({"kibana.alert.ancestors": "r", "kibana.alert.uuid": "u"}),
            json!({"kibana.alert.uuid": "u", "kibana.alert.rule.uuid": 7}),
        ];
        let mut descends = 0;
        for source in &sources {
            let parent = Parent {
                id: "e",
                index: "i",
                source: source.as_object().unwrap(),
                is_search_hit: true,
            };
            let expected = descends_from_rule(&ancestors_of(&parent), "r");
            assert_eq!(
                parent_descends_from_rule(&parent, "r"),
                expected,
                "{source}"
            );
            descends += usize::from(expected);
        }
        assert_eq!(descends, 5);
    }
}
