//! Reading a rule object (JSON, whether it came from TOML or JSON) into the
//! typed [`Rule`], with a diagnostic at the exact key for every value of the
//! wrong type. Reading never fails: a bad value is reported and left at its
//! default, so that one rule file can report all its problems at once.

use crate::codes;
use crate::loaded::RuleOrigin;
use crate::model::*;
use diag::{Diagnostic, Span};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub(crate) struct Reader<'a> {
    obj: &'a Map<String, Value>,
    origin: &'a RuleOrigin,
    /// Path of `obj` inside the rule (`""` for the rule itself, `metadata` for TOML metadata).
    base: &'a str,
    pub diags: &'a mut Vec<Diagnostic>,
}

impl<'a> Reader<'a> {
    pub fn new(
        obj: &'a Map<String, Value>,
        origin: &'a RuleOrigin,
        base: &'a str,
        diags: &'a mut Vec<Diagnostic>,
    ) -> Self {
        Reader {
            obj,
            origin,
            base,
            diags,
        }
    }

    fn path(&self, key: &str) -> String {
        crate::source::join(self.base, key)
    }

    fn value_span(&self, key: &str) -> Span {
        self.origin.span_or_anchor(&self.path(key))
    }

    fn key_span(&self, key: &str) -> Span {
        let p = self.path(key);
        self.origin
            .doc_span(&p)
            .and_then(|s| s.key)
            .unwrap_or_else(|| self.origin.span_or_anchor(&p))
    }

    /// The value of `key`; JSON `null` counts as absent (Kibana's optional keys).
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.obj.get(key).filter(|v| !v.is_null())
    }

    fn wrong_type(&mut self, key: &str, expected: &str, found: &Value) {
        let d = Diagnostic::error(
            codes::WRONG_TYPE,
            format!("`{key}` must be {expected}, found {}", describe(found)),
        )
        .with_label(self.value_span(key), format!("expected {expected}"));
        self.diags.push(d);
    }

    pub fn string(&mut self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.clone()),
            other => {
                self.wrong_type(key, "a string", other);
                None
            }
        }
    }

    pub fn int(&mut self, key: &str) -> Option<i64> {
        match self.get(key)? {
            Value::Number(n) if n.as_i64().is_some() => n.as_i64(),
            Value::Number(n)
                if n.as_f64()
                    .is_some_and(|f| f.fract() == 0.0 && f.abs() < 9.0e15) =>
            {
                n.as_f64().map(|f| f as i64)
            }
            other => {
                self.wrong_type(key, "an integer", other);
                None
            }
        }
    }

    pub fn bool(&mut self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            other => {
                self.wrong_type(key, "a boolean", other);
                None
            }
        }
    }

    pub fn strings(&mut self, key: &str) -> Option<Vec<String>> {
        let v = self.get(key)?;
        let Some(items) = v.as_array() else {
            self.wrong_type(key, "a list of strings", v);
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item.as_str() {
                Some(s) => out.push(s.to_string()),
                None => {
                    let span = self
                        .origin
                        .span_or_anchor(&self.path(&format!("{key}/{i}")));
                    self.diags.push(
                        Diagnostic::error(
                            codes::WRONG_TYPE,
                            format!(
                                "`{key}` must be a list of strings, found {} in it",
                                describe(item)
                            ),
                        )
                        .with_label(span, "expected a string"),
                    );
                }
            }
        }
        Some(out)
    }

    pub fn objects(&mut self, key: &str) -> Vec<Value> {
        match self.get(key) {
            None => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(other) => {
                self.wrong_type(key, "a list", other);
                Vec::new()
            }
        }
    }

    /// Deserialises a structured value; a shape error is reported at the key.
    pub fn typed<T: DeserializeOwned>(&mut self, key: &str, what: &str) -> Option<T> {
        let v = self.get(key)?;
        match T::deserialize(v) {
            Ok(t) => Some(t),
            Err(e) => {
                let d = Diagnostic::error(
                    codes::WRONG_TYPE,
                    format!("`{key}` is not a valid {what}: {e}"),
                )
                .with_label(self.value_span(key), "");
                self.diags.push(d);
                None
            }
        }
    }

    /// The entries whose key `known` does not accept.
    pub fn unknown_keys(
        &mut self,
        known: impl Fn(&str) -> bool,
    ) -> std::collections::BTreeMap<String, Value> {
        let mut extra = std::collections::BTreeMap::new();
        for (k, v) in self.obj {
            if !known(k) {
                extra.insert(k.clone(), v.clone());
            }
        }
        extra
    }

    pub fn warn_unknown(&mut self, key: &str) {
        let d = Diagnostic::warning(
            codes::UNKNOWN_KEY,
            format!("unknown key `{key}` (kept as is)"),
        )
        .with_label(self.key_span(key), "");
        self.diags.push(d);
    }
}

pub(crate) fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a table/object",
    }
}

/// Reads a rule object. Kibana's defaults fill absent keys.
pub(crate) fn read_rule(r: &mut Reader<'_>) -> Rule {
    let mut rule = Rule {
        rule_id: r.string("rule_id").unwrap_or_default(),
        id: r.string("id"),
        name: r.string("name").unwrap_or_default(),
        description: r.string("description").unwrap_or_default(),
        rule_type: r
            .string("type")
            .map(|s| RuleType::parse(&s))
            .unwrap_or(RuleType::Query),
        language: r.string("language").map(|s| Language::parse(&s)),
        query: r.string("query"),
        index: r.strings("index"),
        data_view_id: r.string("data_view_id"),
        filters: r.objects("filters"),
        saved_id: r.string("saved_id"),
        ..Rule::default()
    };
    read_schedule(r, &mut rule);
    read_scoring(r, &mut rule);
    read_docs(r, &mut rule);
    read_type_specific(r, &mut rule);
    // Sorted (tested): a linear search per key was 1 % of start-up.
    rule.extra = r.unknown_keys(|k| KNOWN_RULE_KEYS.binary_search(&k).is_ok());
    let unknown: Vec<String> = rule.extra.keys().cloned().collect();
    for k in unknown {
        r.warn_unknown(&k);
    }
    rule
}

fn read_schedule(r: &mut Reader<'_>, rule: &mut Rule) {
    if let Some(v) = r.string("from") {
        rule.from = v;
    }
    if let Some(v) = r.string("to") {
        rule.to = v;
    }
    if let Some(v) = r.string("interval") {
        rule.interval = v;
    }
    if let Some(v) = r.int("max_signals") {
        rule.max_signals = v;
    }
    rule.enabled = r.bool("enabled");
    rule.timestamp_override = r.string("timestamp_override");
    rule.timestamp_override_fallback_disabled = r
        .bool("timestamp_override_fallback_disabled")
        .unwrap_or(false);
    rule.event_category_override = r.string("event_category_override");
    rule.tiebreaker_field = r.string("tiebreaker_field");
}

fn read_scoring(r: &mut Reader<'_>, rule: &mut Rule) {
    if let Some(s) = r.string("severity") {
        rule.severity = Severity::parse(&s);
        if rule.severity.is_none() {
            let span = r.value_span("severity");
            r.diags.push(
                Diagnostic::error(codes::BAD_ENUM, format!("unknown severity `{s}`"))
                    .with_label(span, "expected one of low, medium, high, critical"),
            );
        }
    }
    rule.severity_mapping = r
        .typed("severity_mapping", "severity mapping")
        .unwrap_or_default();
    rule.risk_score = r.int("risk_score").unwrap_or(0);
    rule.risk_score_mapping = r
        .typed("risk_score_mapping", "risk score mapping")
        .unwrap_or_default();
    rule.rule_name_override = r.string("rule_name_override");
    rule.building_block_type = r.string("building_block_type");
    rule.threat = r
        .typed("threat", "MITRE ATT&CK mapping")
        .unwrap_or_default();
}

fn read_docs(r: &mut Reader<'_>, rule: &mut Rule) {
    rule.note = r.string("note");
    rule.setup = r.string("setup");
    rule.investigation_fields = read_investigation_fields(r);
    rule.required_fields = r
        .typed("required_fields", "list of required fields")
        .unwrap_or_default();
    rule.related_integrations = r
        .typed("related_integrations", "list of related integrations")
        .unwrap_or_default();
    rule.references = r.strings("references").unwrap_or_default();
    rule.tags = r.strings("tags").unwrap_or_default();
    rule.author = r.strings("author").unwrap_or_default();
    rule.false_positives = r.strings("false_positives").unwrap_or_default();
    rule.license = r.string("license");
    if let Some(v) = r.int("version") {
        rule.version = v;
    }
    rule.revision = r.int("revision");
    rule.exceptions_list = r
        .typed("exceptions_list", "list of exception list references")
        .unwrap_or_default();
    rule.timeline_id = r.string("timeline_id");
    rule.timeline_title = r.string("timeline_title");
    rule.meta = r.get("meta").cloned();
}

/// `investigation_fields` is `{field_names: [...]}` (Kibana ≥ 8.11); an older
/// plain list is accepted too.
fn read_investigation_fields(r: &mut Reader<'_>) -> Vec<String> {
    match r.get("investigation_fields") {
        None => Vec::new(),
        Some(Value::Array(_)) => r.strings("investigation_fields").unwrap_or_default(),
        Some(Value::Object(o)) => match o.get("field_names") {
            Some(Value::Array(a)) if a.iter().all(Value::is_string) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => {
                let v = r
                    .get("investigation_fields")
                    .cloned()
                    .unwrap_or(Value::Null);
                r.wrong_type(
                    "investigation_fields",
                    "a table with `field_names` (a list of strings)",
                    &v,
                );
                Vec::new()
            }
        },
        Some(other) => {
            let other = other.clone();
            r.wrong_type("investigation_fields", "a table with `field_names`", &other);
            Vec::new()
        }
    }
}

fn read_type_specific(r: &mut Reader<'_>, rule: &mut Rule) {
    rule.threshold = r.typed("threshold", "threshold");
    rule.new_terms_fields = r.strings("new_terms_fields").unwrap_or_default();
    rule.history_window_start = r.string("history_window_start");
    read_toml_new_terms(r, rule);
    rule.threat_query = r.string("threat_query");
    rule.threat_language = r.string("threat_language").map(|s| Language::parse(&s));
    rule.threat_index = r.strings("threat_index").unwrap_or_default();
    rule.threat_mapping = r
        .typed("threat_mapping", "threat mapping")
        .unwrap_or_default();
    rule.threat_filters = r.objects("threat_filters");
    rule.threat_indicator_path = r.string("threat_indicator_path");
    rule.anomaly_threshold = r.int("anomaly_threshold");
    rule.machine_learning_job_id = match r.get("machine_learning_job_id") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(_) => r.strings("machine_learning_job_id").unwrap_or_default(),
        None => Vec::new(),
    };
    rule.alert_suppression = r.typed("alert_suppression", "alert suppression setting");
}

/// detection-rules writes new-terms settings as
/// `[rule.new_terms] field = "new_terms_fields", value = [...]` with
/// `[[rule.new_terms.history_window_start]] field/value`; Kibana's JSON has
/// `new_terms_fields` and `history_window_start`.
fn read_toml_new_terms(r: &mut Reader<'_>, rule: &mut Rule) {
    let Some(nt) = r.get("new_terms") else { return };
    let Some(obj) = nt.as_object() else {
        let nt = nt.clone();
        r.wrong_type("new_terms", "a table", &nt);
        return;
    };
    if let Some(values) = obj.get("value").and_then(Value::as_array) {
        rule.new_terms_fields = values
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
    }
    let windows = obj.get("history_window_start").and_then(Value::as_array);
    for w in windows.into_iter().flatten() {
        if w.get("field").and_then(Value::as_str) == Some("history_window_start") {
            rule.history_window_start = w.get("value").and_then(Value::as_str).map(str::to_string);
        }
    }
}

/// Rewrites detection-rules-only shapes into Kibana's (`new_terms` table →
/// `new_terms_fields` + `history_window_start`), as detection-rules does when
/// it exports a rule to Kibana.
pub(crate) fn kibana_shape(mut obj: Map<String, Value>) -> Map<String, Value> {
    if let Some(Value::Object(nt)) = obj.remove("new_terms") {
        if let Some(v) = nt.get("value") {
            obj.insert("new_terms_fields".into(), v.clone());
        }
        let windows = nt
            .get("history_window_start")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for w in windows {
            if w.get("field").and_then(Value::as_str) == Some("history_window_start") {
                if let Some(v) = w.get("value") {
                    obj.insert("history_window_start".into(), v.clone());
                }
            }
        }
    }
    obj
}

/// Reads detection-rules `[metadata]`.
pub(crate) fn read_metadata(r: &mut Reader<'_>) -> Metadata {
    const KNOWN: &[&str] = &[
        "creation_date",
        "updated_date",
        "maturity",
        "integration",
        "min_stack_version",
        "min_stack_comments",
        "deprecation_date",
        "comments",
    ];
    let integration = match r.get("integration") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(_) => r.strings("integration").unwrap_or_default(),
        None => Vec::new(),
    };
    Metadata {
        creation_date: r.string("creation_date"),
        updated_date: r.string("updated_date"),
        maturity: r.string("maturity"),
        integration,
        min_stack_version: r.string("min_stack_version"),
        min_stack_comments: r.string("min_stack_comments"),
        deprecation_date: r.string("deprecation_date"),
        comments: r.string("comments"),
        extra: r.unknown_keys(|k| KNOWN.contains(&k)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `read_rule` finds known keys by binary search.
    #[test]
    fn known_rule_keys_are_sorted_and_unique() {
        assert!(KNOWN_RULE_KEYS.windows(2).all(|w| w[0] < w[1]));
    }
}
