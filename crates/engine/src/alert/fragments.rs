//! The alert fields that depend on the rule alone, built and serialized once
//! per rule: every `kibana.alert.rule.*` field of `buildAlertFields` except the
//! name (overridable), the uuid and the run-time dates, `kibana.alert.status`,
//! `kibana.alert.workflow_*`, and the rule fields `augmentAlerts` adds
//! (`category`, `producer`, `revision`, `rule_type_id`). The per-alert rest is
//! [`super::build::alert_fields`].
//!
//! None of these keys is a source key (top-level `kibana*` keys are removed from
//! the source, see [`super::source_fields`]), none is a dotted prefix of a
//! per-alert key or the other way round, and all are the same in every building
//! block of a sequence. So in a sequence's shell, whose start is the
//! intersection of its blocks ([`super::sequence`]), these fields intersect only
//! with themselves: the shell gets the self-intersection of this constant part
//! (computed here once) next to the intersection of the blocks' per-alert parts.

use super::build::{sorted_severity_mapping, AlertFields};
use super::document::{Fragment, Fragments};
use super::intersect::object_pair_intersection;
use super::js::flatten_with_prefix;
use super::RuleInfo;
use serde_json::{json, Map, Value};
use std::sync::{Arc, OnceLock};

/// A rule's constant alert fields, serialized, for each kind of alert; each
/// kind built on first use (a sequence rule never needs the event kind).
/// Clones start empty and compare equal: the cache is not part of the rule.
#[derive(Default)]
pub(crate) struct FragmentCache {
    event: OnceLock<Fragments>,
    block: OnceLock<Fragments>,
    shell: OnceLock<Option<Fragments>>,
    undefined: OnceLock<Vec<String>>,
}

/// A rule and its [`FragmentCache`].
pub(crate) struct RuleFragments<'a> {
    pub rule: &'a RuleInfo,
    pub cache: &'a FragmentCache,
}

impl RuleFragments<'_> {
    /// Event alerts: built with overrides, so with the severity mapping sorted
    /// (`buildSeverityFromMapping` sorts the rule's array in place).
    pub fn event(&self) -> Fragments {
        let build = || {
            let mut params = self.rule.params.clone();
            if let Some(sorted) = sorted_severity_mapping(&params) {
                params.insert("severity_mapping".into(), Value::Array(sorted));
            }
            serialize(&defined(constant_fields(self.rule, &params)))
        };
        self.cache.event.get_or_init(build).clone()
    }

    /// Building blocks, and the shell of a one-event sequence.
    pub fn block(&self) -> Fragments {
        let build = || serialize(&self.plain());
        self.cache.block.get_or_init(build).clone()
    }

    /// The shell of a sequence of two or more events: [`Self::block`], plus
    /// the entries the blocks' intersection keeps of the constant part that the
    /// shell's own fields do not overwrite (the parameters, nested under
    /// `kibana`). `None` when that intersection nests too deep.
    pub fn shell(&self) -> Option<Fragments> {
        let build = || {
            let plain = self.plain();
            let mut extra = shell_extra(&plain)?;
            extra.extend(plain);
            Some(serialize(&extra))
        };
        self.cache.shell.get_or_init(build).clone()
    }

    /// Keys Kibana leaves `undefined`: a shell's spread removes them from the
    /// intersection it starts from.
    pub fn undefined(&self) -> &[String] {
        self.cache.undefined.get_or_init(|| {
            constant_fields(self.rule, &self.rule.params)
                .into_iter()
                .filter(|(_, value)| value.is_none())
                .map(|(key, _)| key)
                .collect()
        })
    }

    fn plain(&self) -> Map<String, Value> {
        defined(constant_fields(self.rule, &self.rule.params))
    }
}

/// The intersection's entries from the constant part that the shell's own
/// constant fields do not overwrite.
fn shell_extra(plain: &Map<String, Value>) -> Option<Map<String, Value>> {
    let mut extra = object_pair_intersection(plain, plain)
        .ok()?
        .unwrap_or_default();
    extra.retain(|key, _| !plain.contains_key(key));
    Some(extra)
}

fn defined(fields: AlertFields) -> Map<String, Value> {
    fields
        .into_iter()
        .filter_map(|(key, value)| Some((key, value?)))
        .collect()
}

fn serialize(fields: &Map<String, Value>) -> Fragments {
    Arc::new(fields.iter().map(|(k, v)| Fragment::new(k, v)).collect())
}

/// The rule-only part of `buildAlertFields` (and of `augmentAlerts`), with
/// `params` as the alert carries them.
fn constant_fields(rule: &RuleInfo, params: &Map<String, Value>) -> AlertFields {
    let param = |key: &str| params.get(key).filter(|v| !v.is_null()).cloned();
    let mut f: AlertFields = Vec::with_capacity(64);
    let mut put = |key: &str, value: Option<Value>| f.push((key.to_string(), value));
    put("kibana.alert.rule.consumer", Some(json!("siem")));
    put("kibana.alert.status", Some(json!("active")));
    put("kibana.alert.workflow_status", Some(json!("open")));
    put(
        "kibana.alert.rule.parameters",
        Some(Value::Object(params.clone())),
    );
    put("kibana.alert.rule.actions", Some(rule.actions.clone()));
    put("kibana.alert.rule.created_by", Some(json!(rule.created_by)));
    put("kibana.alert.rule.enabled", Some(json!(rule.enabled)));
    put("kibana.alert.rule.interval", Some(json!(rule.interval)));
    put(
        "kibana.alert.rule.indices",
        Some(Value::Array(rule.indices.clone())),
    );
    put(
        "kibana.alert.rule.tags",
        Some(Value::Array(rule.tags.clone())),
    );
    put("kibana.alert.rule.throttle", rule.throttle.clone());
    put("kibana.alert.rule.updated_by", Some(json!(rule.updated_by)));
    for (key, name) in PARAM_FIELDS {
        put(key, param(name));
    }
    put("kibana.alert.workflow_tags", Some(json!([])));
    put("kibana.alert.workflow_assignee_ids", Some(json!([])));
    let mut meta = Vec::new();
    flatten_with_prefix(
        "kibana.alert.rule.meta",
        &param("meta").unwrap_or(Value::Null),
        &mut meta,
    );
    for (key, value) in meta {
        put(&key, Some(value).filter(|v| !v.is_null()));
    }
    // Asset criticality and entity risk fields: `undefined` here, enriched later.
    for key in UNDEFINED_ENRICHMENTS {
        put(key, None);
    }
    put("kibana.alert.rule.category", Some(json!(rule.category())));
    put("kibana.alert.rule.producer", Some(json!("siem")));
    put("kibana.alert.rule.revision", Some(json!(rule.revision)));
    put(
        "kibana.alert.rule.rule_type_id",
        Some(json!(rule.rule_type_id())),
    );
    f
}

/// Alert fields copied from a rule parameter: (alert key, parameter).
const PARAM_FIELDS: [(&str, &str); 25] = [
    ("kibana.alert.rule.author", "author"),
    ("kibana.alert.rule.description", "description"),
    ("kibana.alert.rule.exceptions_list", "exceptions_list"),
    ("kibana.alert.rule.false_positives", "false_positives"),
    ("kibana.alert.rule.from", "from"),
    ("kibana.alert.rule.immutable", "immutable"),
    ("kibana.alert.rule.license", "license"),
    ("kibana.alert.rule.max_signals", "max_signals"),
    ("kibana.alert.rule.namespace", "namespace"),
    ("kibana.alert.rule.note", "note"),
    ("kibana.alert.rule.references", "references"),
    ("kibana.alert.rule.risk_score_mapping", "risk_score_mapping"),
    ("kibana.alert.rule.rule_id", "rule_id"),
    ("kibana.alert.rule.rule_name_override", "rule_name_override"),
    ("kibana.alert.rule.severity_mapping", "severity_mapping"),
    ("kibana.alert.rule.threat", "threat"),
    ("kibana.alert.rule.timeline_id", "timeline_id"),
    ("kibana.alert.rule.timeline_title", "timeline_title"),
    ("kibana.alert.rule.timestamp_override", "timestamp_override"),
    ("kibana.alert.rule.to", "to"),
    ("kibana.alert.rule.type", "type"),
    ("kibana.alert.rule.version", "version"),
    ("kibana.alert.rule.risk_score", "risk_score"),
    ("kibana.alert.rule.severity", "severity"),
    (
        "kibana.alert.rule.building_block_type",
        "building_block_type",
    ),
];

const UNDEFINED_ENRICHMENTS: [&str; 11] = [
    "kibana.alert.host.criticality_level",
    "kibana.alert.user.criticality_level",
    "host.asset.criticality",
    "user.asset.criticality",
    "service.asset.criticality",
    "host.risk.calculated_level",
    "host.risk.calculated_score_norm",
    "user.risk.calculated_level",
    "user.risk.calculated_score_norm",
    "service.risk.calculated_level",
    "service.risk.calculated_score_norm",
];

impl Clone for FragmentCache {
    fn clone(&self) -> FragmentCache {
        FragmentCache::default()
    }
}

impl PartialEq for FragmentCache {
    fn eq(&self, _: &FragmentCache) -> bool {
        true
    }
}

impl std::fmt::Debug for FragmentCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FragmentCache")
    }
}
