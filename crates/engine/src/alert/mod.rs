//! Detection alerts in Kibana's alerts-as-data shape: the documents Kibana's
//! Security detection engine writes to `.alerts-security.alerts-<space>`, built
//! from a rule (its rule-API JSON) and the source event(s) it matched.
//!
//! # Shape
//! An alert is the `_source` Kibana indexes, as one JSON object:
//! - the source event's fields as they were (nested objects stay nested, dotted
//!   keys stay dotted), minus what would conflict with the ECS mapping of the
//!   alerts index and minus top-level `kibana*`, `signal*`, `threshold_result*`
//!   (see [`source_fields`]); `event.*` and `data_stream.*` are also *copied* to
//!   flat `kibana.alert.original_event.*` / `kibana.alert.original_data_stream.*`
//!   keys; the source's `event.kind` is removed;
//! - every alert field as a flat dotted key: `@timestamp` (the run time),
//!   `event.kind: "signal"`, `kibana.alert.uuid`, `kibana.alert.ancestors`,
//!   `kibana.alert.depth`, `kibana.alert.original_time`, `kibana.alert.reason`,
//!   `kibana.alert.severity`, `kibana.alert.risk_score`, `kibana.alert.status`,
//!   `kibana.alert.workflow_status`, `kibana.alert.rule.*` (incl.
//!   `kibana.alert.rule.parameters`, an object), `kibana.space_ids`,
//!   `kibana.version`, `kibana.alert.rule.execution.uuid`, … exactly the keys
//!   Kibana's `buildAlertFields` and the rule registry's `augmentAlerts` write.
//!
//! Key order is not kept (JSON objects are maps here); Elasticsearch does not
//! care. Fields Kibana leaves `undefined` are absent.
//!
//! # Building
//! An alert is built as its per-alert fields (a JSON map: the prepared source
//! and the `kibana.alert.*` values that vary) plus the rule's constant fields,
//! serialized once per rule (`fragments`). The per-alert fields are then
//! serialized and held (and spilled) apart from the rule's, which are merged
//! in, keys sorted, only when the document is written ([`Document`]); JSON
//! text is written directly (`text`, byte for byte serde_json's compact form). A sequence's shell intersects only its
//! blocks' per-alert parts (`intersect`); the constant part's
//! self-intersection is computed once per rule.
//!
//! # Ids
//! Deterministic, as Kibana's: an event alert's `kibana.alert.uuid` is
//! sha256(`_index` + `_id` + `"undefined"` + space + `:` + rule uuid); building
//! blocks and shells are hashed from their ancestors (see [`ids`]). The rule uuid
//! is the rule's `id` when the JSON has one, else the UUIDv5 of its `rule_id` in
//! the namespace UUIDv5(URL, `urn:vigil:rule`) — see [`RuleInfo`].
//!
//! # Left out
//! Alert suppression fields, asset criticality and entity risk enrichment (Kibana
//! fills them after building), threshold / new-terms / ML / indicator-match
//! specific fields, `kibana.alert.maintenance_window_ids`, merging of the search
//! hit's `fields` block into `_source` (there is no Elasticsearch to compute it).

mod build;
mod document;
mod ecs_types;
mod fragments;
pub mod ids;
mod intersect;
mod js;
pub mod reason;
mod rule_info;
mod sequence;
pub mod source_fields;
pub(crate) mod text;

pub(crate) use build::build_event_alert as build_event_alert_doc;
pub use document::Document;
#[cfg(test)]
pub(crate) use document::Fragment;
pub(crate) use document::{AlertDoc, Fragments};
pub(crate) use js::dot_offsets;
pub use rule_info::{RuleInfo, RuleOrigin, DEFAULT_INDEX_PATTERNS};
pub(crate) use sequence::build_sequence_alerts as build_sequence_alert_docs;

use event::time::{format_millis, parse_date_nanos};
use serde_json::Value;

/// Errors building an alert.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("the rule is not a JSON object")]
    RuleNotObject,
    #[error("the rule has no string `{0}`")]
    MissingRuleField(&'static str),
    #[error("the source document is not a JSON object")]
    SourceNotObject,
    #[error(
        "the source document nests deeper than {} levels",
        source_fields::MAX_SOURCE_DEPTH
    )]
    TooDeep,
    #[error("`{0}` is not a valid date for the run time")]
    InvalidNow(String),
    /// The rule's description could not be rebuilt ([`crate::RuleMeta::info`]).
    #[error("the rule cannot describe alerts: {0}")]
    Rule(String),
}

/// The rule execution an alert comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertContext {
    /// Time of the run, ISO 8601, normalised to milliseconds in UTC
    /// (`2026-11-02T09:20:00.000Z`, as JavaScript's `toISOString`).
    pub now: String,
    /// Kibana space (`"default"`).
    pub space_id: String,
    /// `kibana.version`.
    pub kibana_version: String,
    /// `kibana.alert.rule.execution.uuid`.
    pub execution_uuid: String,
    /// Kibana's public base URL; `kibana.alert.url` is written only with one.
    pub public_base_url: Option<String>,
    /// For a manual run (a backfill of one scheduled slot): the time the slot was
    /// due, ISO 8601 in milliseconds. Then `kibana.alert.intended_timestamp` is that
    /// time and `kibana.alert.rule.execution.type` is `manual`; otherwise the run is
    /// `scheduled` and intended for `now`.
    pub intended_timestamp: Option<String>,
}

impl AlertContext {
    /// A context for a run at `now` (any date Elasticsearch's default format reads).
    pub fn new(
        now: &str,
        kibana_version: &str,
        execution_uuid: &str,
    ) -> Result<AlertContext, AlertError> {
        let nanos = parse_date_nanos(now).ok_or_else(|| AlertError::InvalidNow(now.to_string()))?;
        Ok(AlertContext {
            now: format_millis(nanos),
            space_id: "default".to_string(),
            kibana_version: kibana_version.to_string(),
            execution_uuid: execution_uuid.to_string(),
            public_base_url: None,
            intended_timestamp: None,
        })
    }
}

/// A source event as a search hit: `_index`, `_id` and `_source`.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDoc {
    pub index: String,
    pub id: String,
    pub source: Value,
}

/// The alert Kibana writes for `rule` matching one event (query rules, EQL event
/// queries). `reason_override` replaces the reason sentence. `Ok(None)` when the
/// event is itself an alert raised by this rule (Kibana never alerts on those).
pub fn build_event_alert(
    rule: &RuleInfo,
    ctx: &AlertContext,
    doc: &SourceDoc,
    reason_override: Option<&str>,
) -> Result<Option<Value>, AlertError> {
    Ok(build::build_event_alert(rule, ctx, doc, reason_override)?.map(|a| a.to_value()))
}

/// The alerts Kibana writes for one EQL sequence match: the shell alert first,
/// then one building-block alert per event, in sequence order. `docs` are the
/// events present in the sequence (missing-event steps `![…]` left out, as
/// Kibana leaves them out). Empty when an event is an alert of this rule.
pub fn build_sequence_alerts(
    rule: &RuleInfo,
    ctx: &AlertContext,
    docs: &[SourceDoc],
) -> Result<Vec<Value>, AlertError> {
    let alerts = sequence::build_sequence_alerts(rule, ctx, docs.to_vec())?;
    Ok(alerts.iter().map(AlertDoc::to_value).collect())
}
