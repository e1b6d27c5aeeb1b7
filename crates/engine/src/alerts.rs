//! Alerts as a run returns them: the alert document (its own fields
//! serialized once, in the thread that built it; the rule's constant fields
//! shared and merged in when it is written, [`Alert::write_json`]) with the
//! few fields people and output formats look at, and the run's output order (the sort and de-duplication are
//! [`crate::sorted`]'s).

use crate::alert::{
    build_event_alert_doc, build_sequence_alert_docs, AlertContext, AlertDoc, AlertError, Document,
    SourceDoc,
};
use crate::compile::RuleMeta;
use event::time::parse_date_nanos;
use matcher::ruleset::RuleIdx;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::cmp::Ordering;
use std::io::{self, Write};
use std::sync::Arc;

/// One alert document and what is shown of it (serialized without the
/// document's text when alerts are spilled to disk).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// `kibana.alert.uuid`.
    pub uuid: String,
    pub rule: RuleIdx,
    pub rule_name: Arc<str>,
    pub rule_id: String,
    /// `kibana.alert.original_time` in epoch nanoseconds.
    pub original_time: Option<i64>,
    pub severity: String,
    /// `kibana.alert.risk_score` as JSON text.
    pub risk_score: String,
    pub host_name: Option<String>,
    pub user_name: Option<String>,
    /// `kibana.alert.original_event.id` (the source's `event.id`).
    pub event_id: Option<String>,
    /// `_index` and `_id` of the source event (the first event ancestor).
    pub source_index: Option<String>,
    pub source_id: Option<String>,
    /// A building-block alert (of a sequence, or of a building-block rule).
    pub building_block: bool,
    /// `kibana.alert.group.id`: a sequence's shell alert and its building
    /// blocks share it (it is the shell's uuid).
    pub group_id: Option<String>,
    pub reason: String,
    /// The alert document: its own entries, the rule's constant ones shared
    /// ([`Alert::json`] is its text). Not serialized: the alert store
    /// writes it on its own.
    #[serde(skip)]
    pub document: Document,
    /// Input position of the (first) source event: of several alerts with
    /// one id, the first in input order is kept.
    pub ordinal: u64,
}

impl Alert {
    /// Reads the shown fields from an alert document.
    pub fn from_document(doc: &Value, rule: RuleIdx, meta: &RuleMeta, ordinal: u64) -> Alert {
        let empty = Map::new();
        let fields = doc.as_object().unwrap_or(&empty);
        let document = Document::from_object_text(&doc.to_string());
        Alert::shown(fields, document, rule, meta, ordinal)
    }

    /// The alert of a built document. The shown fields all vary per alert, so
    /// they are among the document's `fields` (none is a rule constant).
    fn from_built(doc: &AlertDoc, rule: RuleIdx, meta: &RuleMeta, ordinal: u64) -> Alert {
        Alert::shown(&doc.fields, doc.to_document(), rule, meta, ordinal)
    }

    /// The shown fields of the `document` whose top-level keys are `doc`.
    fn shown(
        doc: &Map<String, Value>,
        document: Document,
        rule: RuleIdx,
        meta: &RuleMeta,
        ordinal: u64,
    ) -> Alert {
        let text = |path: &str| lookup_in(doc, path).and_then(scalar_text);
        let ancestor = doc
            .get("kibana.alert.ancestors")
            .and_then(Value::as_array)
            .and_then(|a| {
                a.iter()
                    .find(|x| x.get("type").and_then(Value::as_str) == Some("event"))
            });
        let of_ancestor = |k: &str| {
            ancestor
                .and_then(|a| a.get(k))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        Alert {
            uuid: text("kibana.alert.uuid").unwrap_or_default(),
            rule,
            rule_name: meta.name.clone(),
            rule_id: meta.rule_id.clone(),
            original_time: text("kibana.alert.original_time")
                .as_deref()
                .and_then(parse_date_nanos),
            severity: text("kibana.alert.severity").unwrap_or_default(),
            risk_score: text("kibana.alert.risk_score").unwrap_or_default(),
            host_name: text("host.name"),
            user_name: text("user.name"),
            event_id: text("kibana.alert.original_event.id"),
            source_index: of_ancestor("index"),
            source_id: of_ancestor("id"),
            building_block: doc
                .get("kibana.alert.building_block_type")
                .is_some_and(|v| !v.is_null()),
            group_id: text("kibana.alert.group.id"),
            reason: text("kibana.alert.reason").unwrap_or_default(),
            document,
            ordinal,
        }
    }

    /// The alert document, compact JSON (keys sorted).
    pub fn json(&self) -> String {
        self.document.text()
    }

    /// Writes [`Alert::json`] to `out` without making it a string first.
    pub fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        self.document.write(out)
    }

    /// A sequence's shell alert (not one of its building blocks).
    pub fn is_sequence_shell(&self) -> bool {
        self.group_id.as_deref() == Some(self.uuid.as_str())
    }

    /// The run's output order: original time (missing last), rule name, uuid.
    pub fn output_order(a: &Alert, b: &Alert) -> Ordering {
        match (a.original_time, b.original_time) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
        .then_with(|| a.rule_name.cmp(&b.rule_name))
        .then_with(|| a.uuid.cmp(&b.uuid))
    }
}

/// A value by dotted path in a document whose objects may be nested or hold
/// dotted keys (`{"host":{"name":…}}`, `{"host.name":…}`).
pub fn lookup<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    lookup_in(value.as_object()?, path)
}

/// [`lookup`] in an object.
fn lookup_in<'v>(obj: &'v Map<String, Value>, path: &str) -> Option<&'v Value> {
    if let Some(v) = obj.get(path) {
        return Some(v);
    }
    crate::alert::dot_offsets(path).find_map(|i| {
        obj.get(&path[..i])
            .and_then(|inner| lookup(inner, &path[i + 1..]))
    })
}

/// A scalar as text; the first element of an array.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => items.first().and_then(scalar_text),
        _ => None,
    }
}

/// The alert for one matching event (`Ok(None)`: the event is this rule's own alert).
pub fn event_alert(
    rule: RuleIdx,
    meta: &RuleMeta,
    ctx: &AlertContext,
    doc: &SourceDoc,
    ordinal: u64,
) -> Result<Option<Alert>, AlertError> {
    let info = meta.info().map_err(AlertError::Rule)?;
    Ok(build_event_alert_doc(info, ctx, doc, None)?
        .map(|d| Alert::from_built(&d, rule, meta, ordinal)))
}

/// The shell and building-block alerts of one sequence (or sample), from
/// its events (taken: they are spent building the blocks).
pub fn group_alerts(
    rule: RuleIdx,
    meta: &RuleMeta,
    ctx: &AlertContext,
    docs: Vec<SourceDoc>,
    ordinal: u64,
) -> Result<Vec<Alert>, AlertError> {
    let info = meta.info().map_err(AlertError::Rule)?;
    Ok(build_sequence_alert_docs(info, ctx, docs)?
        .iter()
        .map(|d| Alert::from_built(d, rule, meta, ordinal))
        .collect())
}

/// A source event as the alert builder takes it; `None` when its JSON cannot
/// be read back as a value (nesting deeper than the JSON reader allows).
pub fn source_doc(index: &str, id: &str, source: &str) -> Result<SourceDoc, String> {
    let source: Value = serde_json::from_str(source).map_err(|e| e.to_string())?;
    Ok(SourceDoc {
        index: index.to_string(),
        id: id.to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lookup_nested_and_dotted() {
        let v = json!({"host": {"name": "a"}, "user.name": "b", "x": {"y.z": {"w": 1}}});
        assert_eq!(lookup(&v, "host.name"), Some(&json!("a")));
        assert_eq!(lookup(&v, "user.name"), Some(&json!("b")));
        assert_eq!(lookup(&v, "x.y.z.w"), Some(&json!(1)));
        assert_eq!(lookup(&v, "host.id"), None);
    }
}
