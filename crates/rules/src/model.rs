//! The rule model: every field of Kibana's detection rule API that rule files
//! carry, typed, plus detection-rules' `[metadata]`. Unknown keys are kept in
//! [`Rule::extra`]; the whole rule object is also kept as JSON by the loader.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// Kibana's rule types (`type`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleType {
    Query,
    SavedQuery,
    Eql,
    Esql,
    Threshold,
    ThreatMatch,
    NewTerms,
    MachineLearning,
    /// A type this crate does not know (reported by validation).
    Other(String),
}

impl RuleType {
    pub fn parse(s: &str) -> RuleType {
        match s {
            "query" => RuleType::Query,
            "saved_query" => RuleType::SavedQuery,
            "eql" => RuleType::Eql,
            "esql" => RuleType::Esql,
            "threshold" => RuleType::Threshold,
            "threat_match" => RuleType::ThreatMatch,
            "new_terms" => RuleType::NewTerms,
            "machine_learning" => RuleType::MachineLearning,
            other => RuleType::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            RuleType::Query => "query",
            RuleType::SavedQuery => "saved_query",
            RuleType::Eql => "eql",
            RuleType::Esql => "esql",
            RuleType::Threshold => "threshold",
            RuleType::ThreatMatch => "threat_match",
            RuleType::NewTerms => "new_terms",
            RuleType::MachineLearning => "machine_learning",
            RuleType::Other(s) => s,
        }
    }

    /// Types that search indices (and so use `index` / default patterns).
    pub fn reads_indices(&self) -> bool {
        !matches!(
            self,
            RuleType::Esql | RuleType::MachineLearning | RuleType::Other(_)
        )
    }
}

impl fmt::Display for RuleType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Query languages (`language`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Language {
    Kuery,
    Lucene,
    Eql,
    Esql,
    Other(String),
}

impl Language {
    pub fn parse(s: &str) -> Language {
        match s {
            "kuery" => Language::Kuery,
            "lucene" => Language::Lucene,
            "eql" => Language::Eql,
            "esql" => Language::Esql,
            other => Language::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Language::Kuery => "kuery",
            Language::Lucene => "lucene",
            Language::Eql => "eql",
            Language::Esql => "esql",
            Language::Other(s) => s,
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `severity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s {
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// One MITRE ATT&CK mapping (`threat[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Threat {
    pub framework: String,
    pub tactic: ThreatRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technique: Option<Vec<Technique>>,
}

/// A tactic or subtechnique: id, name, reference URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreatRef {
    pub id: String,
    pub name: String,
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Technique {
    pub id: String,
    pub name: String,
    pub reference: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtechnique: Option<Vec<ThreatRef>>,
}

/// `severity_mapping[]`: an event field value that overrides the severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityMapping {
    pub field: String,
    pub operator: String,
    pub value: String,
    pub severity: Severity,
}

/// `risk_score_mapping[]`: an event field whose value becomes the risk score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskScoreMapping {
    pub field: String,
    pub operator: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_score: Option<i64>,
}

/// `required_fields[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequiredField {
    pub name: String,
    #[serde(rename = "type")]
    pub field_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecs: Option<bool>,
}

/// `related_integrations[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelatedIntegration {
    pub package: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration: Option<String>,
}

/// A reference from a rule to an exception list (`exceptions_list[]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ExceptionListRef {
    pub id: String,
    pub list_id: String,
    #[serde(rename = "type")]
    pub list_type: String,
    pub namespace_type: String,
}

/// `threshold` (threshold rules).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    /// Group-by fields (Kibana accepts one string or a list; normalised to a list).
    #[serde(deserialize_with = "string_or_list")]
    pub field: Vec<String>,
    pub value: i64,
    #[serde(default)]
    pub cardinality: Vec<ThresholdCardinality>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdCardinality {
    pub field: String,
    pub value: i64,
}

/// `threat_mapping[]` (indicator match rules).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreatMapping {
    pub entries: Vec<ThreatMappingEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreatMappingEntry {
    pub field: String,
    #[serde(rename = "type")]
    pub entry_type: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negate: Option<bool>,
}

/// `alert_suppression`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertSuppression {
    #[serde(default)]
    pub group_by: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<SuppressionDuration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_fields_strategy: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuppressionDuration {
    pub value: i64,
    pub unit: String,
}

fn string_or_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) if s.is_empty() => Vec::new(),
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// A detection rule as Kibana's API describes it. Defaults are Kibana's
/// (`from = now-6m`, `to = now`, `interval = 5m`, `max_signals = 100`).
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub rule_id: String,
    /// Kibana's saved-object id (`id`, a UUID in exports); absent in TOML.
    pub id: Option<String>,
    pub name: String,
    pub description: String,
    pub rule_type: RuleType,
    pub language: Option<Language>,
    pub query: Option<String>,
    pub index: Option<Vec<String>>,
    pub data_view_id: Option<String>,
    /// Kibana filter objects (`filters`), kept as JSON for the query front end.
    pub filters: Vec<Value>,
    pub saved_id: Option<String>,
    pub from: String,
    pub to: String,
    pub interval: String,
    pub max_signals: i64,
    /// `enabled` as written (prebuilt rules are installed disabled by Kibana).
    pub enabled: Option<bool>,
    pub severity: Option<Severity>,
    pub severity_mapping: Vec<SeverityMapping>,
    pub risk_score: i64,
    pub risk_score_mapping: Vec<RiskScoreMapping>,
    pub timestamp_override: Option<String>,
    pub timestamp_override_fallback_disabled: bool,
    pub event_category_override: Option<String>,
    pub tiebreaker_field: Option<String>,
    pub building_block_type: Option<String>,
    pub threat: Vec<Threat>,
    pub note: Option<String>,
    pub setup: Option<String>,
    /// `investigation_fields.field_names`.
    pub investigation_fields: Vec<String>,
    pub required_fields: Vec<RequiredField>,
    pub related_integrations: Vec<RelatedIntegration>,
    pub references: Vec<String>,
    pub tags: Vec<String>,
    pub author: Vec<String>,
    pub license: Option<String>,
    pub version: i64,
    pub revision: Option<i64>,
    pub rule_name_override: Option<String>,
    pub false_positives: Vec<String>,
    pub exceptions_list: Vec<ExceptionListRef>,
    pub threshold: Option<Threshold>,
    pub new_terms_fields: Vec<String>,
    pub history_window_start: Option<String>,
    pub threat_query: Option<String>,
    pub threat_language: Option<Language>,
    pub threat_index: Vec<String>,
    pub threat_mapping: Vec<ThreatMapping>,
    pub threat_filters: Vec<Value>,
    pub threat_indicator_path: Option<String>,
    pub anomaly_threshold: Option<i64>,
    pub machine_learning_job_id: Vec<String>,
    pub alert_suppression: Option<AlertSuppression>,
    pub timeline_id: Option<String>,
    pub timeline_title: Option<String>,
    pub meta: Option<Value>,
    /// Keys this model does not type (server fields of exports, future keys…).
    pub extra: BTreeMap<String, Value>,
}

impl Default for Rule {
    fn default() -> Self {
        Rule {
            rule_id: String::new(),
            id: None,
            name: String::new(),
            description: String::new(),
            rule_type: RuleType::Query,
            language: None,
            query: None,
            index: None,
            data_view_id: None,
            filters: Vec::new(),
            saved_id: None,
            from: "now-6m".into(),
            to: "now".into(),
            interval: "5m".into(),
            max_signals: 100,
            enabled: None,
            severity: None,
            severity_mapping: Vec::new(),
            risk_score: 0,
            risk_score_mapping: Vec::new(),
            timestamp_override: None,
            timestamp_override_fallback_disabled: false,
            event_category_override: None,
            tiebreaker_field: None,
            building_block_type: None,
            threat: Vec::new(),
            note: None,
            setup: None,
            investigation_fields: Vec::new(),
            required_fields: Vec::new(),
            related_integrations: Vec::new(),
            references: Vec::new(),
            tags: Vec::new(),
            author: Vec::new(),
            license: None,
            version: 1,
            revision: None,
            rule_name_override: None,
            false_positives: Vec::new(),
            exceptions_list: Vec::new(),
            threshold: None,
            new_terms_fields: Vec::new(),
            history_window_start: None,
            threat_query: None,
            threat_language: None,
            threat_index: Vec::new(),
            threat_mapping: Vec::new(),
            threat_filters: Vec::new(),
            threat_indicator_path: None,
            anomaly_threshold: None,
            machine_learning_job_id: Vec::new(),
            alert_suppression: None,
            timeline_id: None,
            timeline_title: None,
            meta: None,
            extra: BTreeMap::new(),
        }
    }
}

impl Rule {
    /// The language the query is written in: `language`, else the type's default
    /// (`eql` for EQL rules, `esql` for ES|QL, `kuery` otherwise), as Kibana does.
    pub fn effective_language(&self) -> Language {
        if let Some(l) = &self.language {
            return l.clone();
        }
        match self.rule_type {
            RuleType::Eql => Language::Eql,
            RuleType::Esql => Language::Esql,
            _ => Language::Kuery,
        }
    }

    /// The timestamp field events are ordered and windowed by:
    /// `timestamp_override` (with `@timestamp` as fallback unless disabled).
    pub fn timestamp_fields(&self) -> (&str, Option<&str>) {
        match &self.timestamp_override {
            Some(f) if !f.is_empty() => (
                f.as_str(),
                if self.timestamp_override_fallback_disabled {
                    None
                } else {
                    Some("@timestamp")
                },
            ),
            _ => ("@timestamp", None),
        }
    }

    pub fn is_building_block(&self) -> bool {
        self.building_block_type.is_some()
    }
}

/// detection-rules `[metadata]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metadata {
    pub creation_date: Option<String>,
    pub updated_date: Option<String>,
    pub maturity: Option<String>,
    /// One integration or several (normalised to a list).
    pub integration: Vec<String>,
    pub min_stack_version: Option<String>,
    pub min_stack_comments: Option<String>,
    pub deprecation_date: Option<String>,
    pub comments: Option<String>,
    /// Every other key.
    pub extra: BTreeMap<String, Value>,
}

/// detection-rules maturity values.
pub const MATURITY_LEVELS: &[&str] = &[
    "development",
    "experimental",
    "beta",
    "production",
    "deprecated",
];

/// Keys of Kibana's rule schema (create/update/import/response) that this
/// crate knows; others are kept in [`Rule::extra`] with a warning.
pub const KNOWN_RULE_KEYS: &[&str] = &[
    "actions",
    "alert_suppression",
    "alias_purpose",
    "alias_target_id",
    "anomaly_threshold",
    "author",
    "building_block_type",
    "concurrent_searches",
    "created_at",
    "created_by",
    "data_view_id",
    "description",
    "enabled",
    "event_category_override",
    "exceptions_list",
    "execution_summary",
    "false_positives",
    "filters",
    "from",
    "history_window_start",
    "id",
    "immutable",
    "index",
    "interval",
    "investigation_fields",
    "items_per_search",
    "language",
    "license",
    "machine_learning_job_id",
    "max_signals",
    "meta",
    "name",
    "namespace",
    "new_terms",
    "new_terms_fields",
    "note",
    "outcome",
    "output_index",
    "query",
    "references",
    "related_integrations",
    "required_fields",
    "response_actions",
    "revision",
    "risk_score",
    "risk_score_mapping",
    "rule_id",
    "rule_name_override",
    "rule_source",
    "saved_id",
    "setup",
    "severity",
    "severity_mapping",
    "tags",
    "threat",
    "threat_filters",
    "threat_index",
    "threat_indicator_path",
    "threat_language",
    "threat_mapping",
    "threat_query",
    "threshold",
    "throttle",
    "tiebreaker_field",
    "timeline_id",
    "timeline_title",
    "timestamp_override",
    "timestamp_override_fallback_disabled",
    "to",
    "type",
    "updated_at",
    "updated_by",
    "version",
];
