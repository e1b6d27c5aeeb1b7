//! Metadata checks: what detection-rules' schema (`detection_rules/schemas/definitions.py`,
//! `rule.py`) and Kibana's rule schema (`x-pack/solutions/security/plugins/security_solution/common/api/detection_engine/model/rule_schema/`)
//! reject. Each problem is a `diag::Diagnostic` with a span into the rule file.
//! Query parsing is not done here (the EQL/KQL front ends do it on [`crate::QueryInput`]).

use crate::codes;
use crate::datemath::{parse_interval, DateMath};
use crate::loaded::{Format, RuleOrigin};
use crate::model::{Language, Metadata, Rule, RuleType, MATURITY_LEVELS};
use diag::{Diagnostic, Span};
use serde_json::{Map, Value};

/// Exception list types a rule may reference (`ExceptionListTypeEnum`).
const EXCEPTION_LIST_TYPES: &[&str] = &[
    "detection",
    "rule_default",
    "endpoint",
    "endpoint_trusted_apps",
    "endpoint_trusted_devices",
    "endpoint_events",
    "endpoint_host_isolation_exceptions",
    "endpoint_blocklists",
];

struct Checker<'a> {
    rule: &'a Rule,
    obj: &'a Map<String, Value>,
    origin: &'a RuleOrigin,
    out: Vec<Diagnostic>,
}

/// Checks a rule's metadata. `obj` is the rule object as read (to tell absent
/// keys from defaults); `metadata` is detection-rules' `[metadata]` (TOML).
pub fn check_rule(
    rule: &Rule,
    obj: &Map<String, Value>,
    metadata: Option<&Metadata>,
    origin: &RuleOrigin,
) -> Vec<Diagnostic> {
    let mut c = Checker {
        rule,
        obj,
        origin,
        out: Vec::new(),
    };
    c.required_common();
    c.type_and_language();
    c.scores();
    c.schedule();
    c.index();
    c.threat();
    c.type_specific();
    c.suppression();
    c.mappings_and_refs();
    if origin.format == Format::Toml {
        c.metadata(metadata);
    }
    c.out
}

impl Checker<'_> {
    fn has(&self, key: &str) -> bool {
        self.obj.get(key).is_some_and(|v| !v.is_null())
    }

    fn span(&self, rel: &str) -> Span {
        self.origin.rule_value_span(rel)
    }

    fn err(
        &mut self,
        code: &'static str,
        rel: &str,
        msg: impl Into<String>,
        label: impl Into<String>,
    ) {
        let d = Diagnostic::error(code, msg).with_label(self.span(rel), label);
        self.out.push(d);
    }

    fn missing(&mut self, key: &str, why: &str) {
        let d = Diagnostic::error(codes::MISSING_KEY, format!("missing `{key}` ({why})"))
            .with_label(
                self.origin.anchor(),
                format!("`{key}` required in this rule"),
            );
        self.out.push(d);
    }

    fn required_common(&mut self) {
        for key in [
            "rule_id",
            "name",
            "description",
            "type",
            "risk_score",
            "severity",
        ] {
            if !self.has(key) {
                self.missing(key, "every rule has it");
            }
        }
        for (key, value) in [
            ("rule_id", &self.rule.rule_id),
            ("name", &self.rule.name),
            ("description", &self.rule.description),
        ] {
            if self.has(key) && value.trim().is_empty() {
                self.err(
                    codes::EMPTY_VALUE,
                    key,
                    format!("`{key}` must not be empty"),
                    "empty",
                );
            }
        }
    }

    fn type_and_language(&mut self) {
        let ty = &self.rule.rule_type;
        if let RuleType::Other(t) = ty {
            let t = t.clone();
            self.err(
                codes::BAD_ENUM,
                "type",
                format!("unknown rule type `{t}`"),
                "expected query, saved_query, eql, esql, threshold, threat_match, new_terms or machine_learning",
            );
            return;
        }
        let allowed: &[&str] = match ty {
            RuleType::Eql => &["eql"],
            RuleType::Esql => &["esql"],
            RuleType::MachineLearning => &[],
            _ => &["kuery", "lucene"],
        };
        match &self.rule.language {
            Some(lang) if !allowed.is_empty() && !allowed.contains(&lang.as_str()) => {
                let msg = format!("a rule of type `{ty}` cannot be written in `{lang}`");
                self.err(
                    codes::LANGUAGE_MISMATCH,
                    "language",
                    msg,
                    format!("expected {}", allowed.join(" or ")),
                );
            }
            None if matches!(ty, RuleType::Eql | RuleType::Esql) => {
                self.missing("language", "EQL and ES|QL rules name their language")
            }
            _ => {}
        }
        if let Some(Language::Other(l)) = &self.rule.threat_language {
            let msg = format!("unknown threat_language `{l}`");
            self.err(
                codes::BAD_ENUM,
                "threat_language",
                msg,
                "expected kuery or lucene",
            );
        }
    }

    fn scores(&mut self) {
        if self.has("risk_score") && !(0..=100).contains(&self.rule.risk_score) {
            let msg = format!("risk_score {} is outside 0-100", self.rule.risk_score);
            self.err(codes::RISK_SCORE_RANGE, "risk_score", msg, "out of range");
        }
        if self.rule.max_signals < 1 {
            let msg = format!(
                "max_signals must be at least 1, found {}",
                self.rule.max_signals
            );
            self.err(codes::MAX_SIGNALS_RANGE, "max_signals", msg, "");
        }
        if self.rule.version < 1 {
            let msg = format!("version must be at least 1, found {}", self.rule.version);
            self.err(codes::VERSION_RANGE, "version", msg, "");
        }
        if let Some(b) = &self.rule.building_block_type {
            if b != "default" {
                let msg = format!("unknown building_block_type `{b}`");
                self.err(
                    codes::BAD_ENUM,
                    "building_block_type",
                    msg,
                    "expected `default`",
                );
            }
        }
    }

    fn schedule(&mut self) {
        for key in ["from", "to"] {
            let value = if key == "from" {
                &self.rule.from
            } else {
                &self.rule.to
            };
            if self.has(key) {
                if let Err(e) = DateMath::parse(value) {
                    let msg = format!("`{key}` is not valid date math: {e}");
                    self.err(codes::BAD_DATE_MATH, key, msg, "expected e.g. now-9m");
                }
            }
        }
        if self.has("interval") {
            if let Err(e) = parse_interval(&self.rule.interval) {
                let msg = format!("`interval` is not a duration: {e}");
                self.err(codes::BAD_INTERVAL, "interval", msg, "expected e.g. 5m");
            }
        }
    }

    fn index(&mut self) {
        let Some(index) = &self.rule.index else {
            if self.rule.data_view_id.is_some() && self.rule.rule_type.reads_indices() {
                let d = Diagnostic::warning(
                    codes::DATA_VIEW_UNRESOLVED,
                    "the rule reads a data view, which vigil cannot resolve; Kibana's default index patterns are used",
                )
                .with_label(self.span("data_view_id"), "");
                self.out.push(d);
            }
            return;
        };
        if !self.rule.rule_type.reads_indices() {
            return;
        }
        if index.is_empty() {
            self.err(
                codes::EMPTY_INDEX,
                "index",
                "`index` is empty: the rule would search nothing",
                "no patterns",
            );
        }
        for (i, p) in index.iter().enumerate() {
            if p.trim().is_empty() {
                self.err(
                    codes::EMPTY_INDEX,
                    &format!("index/{i}"),
                    "empty index pattern",
                    "",
                );
            }
        }
    }

    fn threat(&mut self) {
        for (i, t) in self.rule.threat.iter().enumerate() {
            if t.framework != "MITRE ATT&CK" {
                continue;
            }
            let base = format!("threat/{i}");
            self.attack_ref(
                &format!("{base}/tactic"),
                &t.tactic.id,
                &t.tactic.reference,
                AttackKind::Tactic,
            );
            for (j, tech) in t.technique.iter().flatten().enumerate() {
                let tb = format!("{base}/technique/{j}");
                self.attack_ref(&tb, &tech.id, &tech.reference, AttackKind::Technique);
                for (k, sub) in tech.subtechnique.iter().flatten().enumerate() {
                    let sb = format!("{tb}/subtechnique/{k}");
                    self.attack_ref(&sb, &sub.id, &sub.reference, AttackKind::Subtechnique);
                    if !sub.id.starts_with(&format!("{}.", tech.id)) {
                        let msg = format!(
                            "subtechnique {} does not belong to technique {}",
                            sub.id, tech.id
                        );
                        self.err(codes::BAD_ATTACK_ID, &format!("{sb}/id"), msg, "");
                    }
                }
            }
        }
    }

    fn attack_ref(&mut self, base: &str, id: &str, reference: &str, kind: AttackKind) {
        let (ok, form) = match kind {
            AttackKind::Tactic => (is_attack_id(id, "TA", false), "TA followed by 4 digits"),
            AttackKind::Technique => (is_attack_id(id, "T", false), "T followed by 4 digits"),
            AttackKind::Subtechnique => (
                is_attack_id(id, "T", true),
                "T followed by 4 digits, a dot and 3 digits",
            ),
        };
        if !ok {
            let msg = format!("malformed ATT&CK {} id `{id}`", kind.name());
            self.err(
                codes::BAD_ATTACK_ID,
                &format!("{base}/id"),
                msg,
                format!("expected {form}"),
            );
        } else if !attack_reference_ok(id, reference, kind) {
            let msg = format!(
                "ATT&CK reference `{reference}` does not match {} {id}",
                kind.name()
            );
            self.err(
                codes::BAD_ATTACK_ID,
                &format!("{base}/reference"),
                msg,
                format!("expected {}", expected_reference(id, kind)),
            );
        }
    }

    fn type_specific(&mut self) {
        let ty = self.rule.rule_type.clone();
        let needs_query = matches!(
            ty,
            RuleType::Eql
                | RuleType::Esql
                | RuleType::Threshold
                | RuleType::ThreatMatch
                | RuleType::NewTerms
        );
        if needs_query && !self.has("query") {
            self.missing("query", &format!("{ty} rules have a query"));
        }
        if matches!(ty, RuleType::Eql | RuleType::Esql)
            && self
                .rule
                .query
                .as_deref()
                .is_some_and(|q| q.trim().is_empty())
        {
            self.err(codes::EMPTY_VALUE, "query", "the query is empty", "empty");
        }
        match ty {
            RuleType::Threshold => self.threshold(),
            RuleType::NewTerms => self.new_terms(),
            RuleType::ThreatMatch => self.threat_match(),
            RuleType::MachineLearning => self.machine_learning(),
            RuleType::SavedQuery if !self.has("saved_id") => {
                self.missing("saved_id", "saved_query rules name a saved query")
            }
            _ => {}
        }
    }

    fn threshold(&mut self) {
        let Some(t) = &self.rule.threshold else {
            if !self.has("threshold") {
                self.missing("threshold", "threshold rules have one");
            }
            return;
        };
        if t.value < 1 {
            let msg = format!("threshold value must be at least 1, found {}", t.value);
            self.err(codes::BAD_TYPE_SETTING, "threshold/value", msg, "");
        }
        if t.field.len() > 5 {
            self.err(
                codes::BAD_TYPE_SETTING,
                "threshold/field",
                "a threshold groups by at most 5 fields",
                "",
            );
        }
        let bad_cardinality = t
            .cardinality
            .iter()
            .position(|c| c.value < 1 || c.field.is_empty());
        if let Some(i) = bad_cardinality {
            let msg = "threshold cardinality needs a field and a value of at least 1";
            self.err(
                codes::BAD_TYPE_SETTING,
                &format!("threshold/cardinality/{i}"),
                msg,
                "",
            );
        }
    }

    fn new_terms(&mut self) {
        let n = self.rule.new_terms_fields.len();
        if n == 0 {
            self.missing("new_terms_fields", "new_terms rules name 1 to 3 fields");
        } else if n > 3 {
            let key = if self.has("new_terms") {
                "new_terms/value"
            } else {
                "new_terms_fields"
            };
            self.err(
                codes::BAD_TYPE_SETTING,
                key,
                format!("new_terms rules take 1 to 3 fields, found {n}"),
                "",
            );
        }
        match &self.rule.history_window_start {
            None => self.missing(
                "history_window_start",
                "new_terms rules have a history window",
            ),
            Some(h) => {
                if let Err(e) = DateMath::parse(h) {
                    let key = if self.has("new_terms") {
                        "new_terms/history_window_start"
                    } else {
                        "history_window_start"
                    };
                    self.err(
                        codes::BAD_DATE_MATH,
                        key,
                        format!("`history_window_start` is not valid date math: {e}"),
                        "",
                    );
                }
            }
        }
    }

    fn threat_match(&mut self) {
        if !self.has("threat_query") {
            self.missing(
                "threat_query",
                "indicator match rules query the indicator indices",
            );
        }
        if self.rule.threat_index.is_empty() {
            self.missing(
                "threat_index",
                "indicator match rules name indicator indices",
            );
        }
        if self.rule.threat_mapping.is_empty()
            || self
                .rule
                .threat_mapping
                .iter()
                .any(|m| m.entries.is_empty())
        {
            self.missing(
                "threat_mapping",
                "indicator match rules map event fields to indicator fields",
            );
        }
    }

    fn machine_learning(&mut self) {
        match self.rule.anomaly_threshold {
            None => self.missing("anomaly_threshold", "machine learning rules have one"),
            Some(a) if !(0..=100).contains(&a) => self.err(
                codes::BAD_TYPE_SETTING,
                "anomaly_threshold",
                format!("anomaly_threshold {a} is outside 0-100"),
                "",
            ),
            _ => {}
        }
        if self.rule.machine_learning_job_id.is_empty() {
            self.missing(
                "machine_learning_job_id",
                "machine learning rules name their jobs",
            );
        }
    }

    fn suppression(&mut self) {
        let Some(s) = &self.rule.alert_suppression else {
            return;
        };
        let threshold = self.rule.rule_type == RuleType::Threshold;
        if !threshold && !(1..=3).contains(&s.group_by.len()) {
            let msg = format!(
                "alert suppression groups by 1 to 3 fields, found {}",
                s.group_by.len()
            );
            self.err(
                codes::BAD_TYPE_SETTING,
                "alert_suppression/group_by",
                msg,
                "",
            );
        }
        if let Some(m) = &s.missing_fields_strategy {
            if m != "suppress" && m != "doNotSuppress" {
                let msg = format!("unknown missing_fields_strategy `{m}`");
                self.err(
                    codes::BAD_ENUM,
                    "alert_suppression/missing_fields_strategy",
                    msg,
                    "expected suppress or doNotSuppress",
                );
            }
        }
        if let Some(d) = &s.duration {
            if d.value < 1 || !matches!(d.unit.as_str(), "s" | "m" | "h") {
                let msg = format!(
                    "suppression duration {}{} must be a positive number of s, m or h",
                    d.value, d.unit
                );
                self.err(
                    codes::BAD_TYPE_SETTING,
                    "alert_suppression/duration",
                    msg,
                    "",
                );
            }
        }
    }

    fn mappings_and_refs(&mut self) {
        let bad_sev = self
            .rule
            .severity_mapping
            .iter()
            .position(|m| m.operator != "equals");
        if let Some(i) = bad_sev {
            self.err(
                codes::BAD_ENUM,
                &format!("severity_mapping/{i}/operator"),
                "severity_mapping operator must be `equals`",
                "",
            );
        }
        for (i, m) in self.rule.risk_score_mapping.iter().enumerate() {
            if m.operator != "equals" {
                self.err(
                    codes::BAD_ENUM,
                    &format!("risk_score_mapping/{i}/operator"),
                    "risk_score_mapping operator must be `equals`",
                    "",
                );
            }
            if m.risk_score.is_some_and(|r| !(0..=100).contains(&r)) {
                self.err(
                    codes::RISK_SCORE_RANGE,
                    &format!("risk_score_mapping/{i}/risk_score"),
                    "risk_score outside 0-100",
                    "",
                );
            }
        }
        for (i, r) in self.rule.exceptions_list.iter().enumerate() {
            if !EXCEPTION_LIST_TYPES.contains(&r.list_type.as_str()) {
                let msg = format!("unknown exception list type `{}`", r.list_type);
                self.err(
                    codes::BAD_ENUM,
                    &format!("exceptions_list/{i}/type"),
                    msg,
                    "",
                );
            }
            if r.namespace_type != "single" && r.namespace_type != "agnostic" {
                let msg = format!("unknown namespace_type `{}`", r.namespace_type);
                self.err(
                    codes::BAD_ENUM,
                    &format!("exceptions_list/{i}/namespace_type"),
                    msg,
                    "expected single or agnostic",
                );
            }
        }
    }

    fn metadata(&mut self, metadata: Option<&Metadata>) {
        let Some(m) = metadata else {
            let d = Diagnostic::error(
                codes::MISSING_KEY,
                "missing `[metadata]` table (detection-rules files have one)",
            )
            .with_label(Span::at(0), "");
            self.out.push(d);
            return;
        };
        for (key, value) in [
            ("creation_date", &m.creation_date),
            ("updated_date", &m.updated_date),
        ] {
            match value {
                None => self.metadata_missing(key),
                Some(v) if !is_slash_date(v) => {
                    let d = Diagnostic::error(
                        codes::BAD_METADATA_DATE,
                        format!("`{key}` `{v}` is not a YYYY/MM/DD date"),
                    )
                    .with_label(
                        self.origin.span_or_anchor(&format!("metadata/{key}")),
                        "expected YYYY/MM/DD",
                    );
                    self.out.push(d);
                }
                _ => {}
            }
        }
        match &m.maturity {
            None => self.metadata_missing("maturity"),
            Some(v) if !MATURITY_LEVELS.contains(&v.as_str()) => {
                let d = Diagnostic::error(codes::BAD_ENUM, format!("unknown maturity `{v}`"))
                    .with_label(
                        self.origin.span_or_anchor("metadata/maturity"),
                        format!("expected one of {}", MATURITY_LEVELS.join(", ")),
                    );
                self.out.push(d);
            }
            _ => {}
        }
    }

    fn metadata_missing(&mut self, key: &str) {
        let d = Diagnostic::error(
            codes::MISSING_KEY,
            format!("missing `{key}` in `[metadata]`"),
        )
        .with_label(self.origin.span_or_anchor("metadata"), "");
        self.out.push(d);
    }
}

#[derive(Clone, Copy)]
enum AttackKind {
    Tactic,
    Technique,
    Subtechnique,
}

impl AttackKind {
    fn name(self) -> &'static str {
        match self {
            AttackKind::Tactic => "tactic",
            AttackKind::Technique => "technique",
            AttackKind::Subtechnique => "subtechnique",
        }
    }
}

/// `TA0001`, `T1059`, `T1059.001`.
fn is_attack_id(id: &str, prefix: &str, sub: bool) -> bool {
    let Some(rest) = id.strip_prefix(prefix) else {
        return false;
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match (sub, rest.split_once('.')) {
        (false, None) => digits(rest, 4),
        (true, Some((a, b))) => digits(a, 4) && digits(b, 3),
        _ => false,
    }
}

/// The reference URL detection-rules expects for an id.
fn expected_reference(id: &str, kind: AttackKind) -> String {
    match kind {
        AttackKind::Tactic => format!("https://attack.mitre.org/tactics/{id}/"),
        AttackKind::Technique => format!("https://attack.mitre.org/techniques/{id}/"),
        AttackKind::Subtechnique => format!(
            "https://attack.mitre.org/techniques/{}/",
            id.replace('.', "/")
        ),
    }
}

fn attack_reference_ok(id: &str, reference: &str, kind: AttackKind) -> bool {
    reference == expected_reference(id, kind)
}

fn is_slash_date(s: &str) -> bool {
    crate::index::is_digit_date(s, b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_ids() {
        assert!(is_attack_id("TA0001", "TA", false));
        assert!(!is_attack_id("TA001", "TA", false));
        assert!(is_attack_id("T1059", "T", false));
        assert!(!is_attack_id("T1059.001", "T", false));
        assert!(is_attack_id("T1059.001", "T", true));
        assert!(!is_attack_id("T1059.01", "T", true));
        assert!(!is_attack_id("TA0001", "T", false));
        assert_eq!(
            expected_reference("T1098.004", AttackKind::Subtechnique),
            "https://attack.mitre.org/techniques/T1098/004/"
        );
        assert!(is_slash_date("2024/05/31"));
        assert!(!is_slash_date("2024-05-31"));
    }
}
