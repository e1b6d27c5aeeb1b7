//! An alert document while it is built, and its compact JSON text.
//!
//! Most of an alert's bytes (`kibana.alert.rule.parameters`, the rule's note,
//! description, threat, …) are the same for every alert of a rule. They are
//! serialized once per rule ([`super::fragments::RuleFragments`]); an alert holds
//! only the fields that depend on its event(s) as a JSON map, plus a shared
//! handle on the rule's pre-serialized entries. [`AlertDoc::to_json`] merges the
//! two, keys in byte order, and gives byte for byte the text serde_json writes
//! for the whole document as one `Map` (a `BTreeMap`: keys sorted, compact).

use super::text::{write_str, write_value};
use serde_json::{Map, Value};
use std::sync::Arc;

/// One top-level entry serialized ahead of time: `"key":value`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fragment {
    pub key: String,
    pub entry: String,
}

impl Fragment {
    pub fn new(key: &str, value: &Value) -> Fragment {
        let mut entry = String::new();
        write_str(&mut entry, key);
        entry.push(':');
        write_value(&mut entry, value);
        Fragment {
            key: key.to_string(),
            entry,
        }
    }
}

/// Entries sorted by key, no key twice.
pub(crate) type Fragments = Arc<Vec<Fragment>>;

/// An alert being built: `fields` vary per alert; `constant` are the rule's
/// pre-serialized fields, which win over a field of the same key (they are
/// alert fields Kibana writes over the source, and none is ever a source key).
#[derive(Debug, Clone)]
pub(crate) struct AlertDoc {
    pub fields: Map<String, Value>,
    pub constant: Fragments,
}

impl AlertDoc {
    /// The document as compact JSON, keys sorted.
    pub fn to_json(&self) -> String {
        let constant_len: usize = self.constant.iter().map(|f| f.entry.len() + 1).sum();
        let mut out = String::with_capacity(constant_len + 64 * self.fields.len() + 2);
        out.push('{');
        let mut first = true;
        let mut constant = self.constant.iter().peekable();
        for (key, value) in &self.fields {
            while let Some(fragment) = constant.next_if(|f| f.key.as_str() < key.as_str()) {
                push_raw(&mut out, &mut first, &fragment.entry);
            }
            if constant.peek().is_some_and(|f| f.key == *key) {
                continue;
            }
            separate(&mut out, &mut first);
            write_str(&mut out, key);
            out.push(':');
            write_value(&mut out, value);
        }
        for fragment in constant {
            push_raw(&mut out, &mut first, &fragment.entry);
        }
        out.push('}');
        out
    }

    /// The whole document as a JSON value (for callers that want one).
    pub fn to_value(&self) -> Value {
        serde_json::from_str(&self.to_json()).unwrap_or(Value::Null)
    }
}

fn separate(out: &mut String, first: &mut bool) {
    if !std::mem::take(first) {
        out.push(',');
    }
}

fn push_raw(out: &mut String, first: &mut bool, entry: &str) {
    separate(out, first);
    out.push_str(entry);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merged_text_equals_the_whole_map() {
        let mut whole = json!({"a": 1, "b.c": "x\"y", "kibana.z": [1, {"q": null}], "é": 2})
            .as_object()
            .unwrap()
            .clone();
        let constant: Vec<Fragment> = [("b", json!(true)), ("kibana.y", json!({"n": 1.5}))]
            .iter()
            .map(|(k, v)| Fragment::new(k, v))
            .collect();
        let doc = AlertDoc {
            fields: whole.clone(),
            constant: Arc::new(constant),
        };
        whole.insert("b".into(), json!(true));
        whole.insert("kibana.y".into(), json!({"n": 1.5}));
        assert_eq!(doc.to_json(), Value::Object(whole).to_string());
    }

    #[test]
    fn a_constant_entry_wins_over_a_field() {
        let doc = AlertDoc {
            fields: json!({"a": 1, "b": 2}).as_object().unwrap().clone(),
            constant: Arc::new(vec![Fragment::new("a", &json!("c"))]),
        };
        assert_eq!(doc.to_json(), r#"{"a":"c","b":2}"#);
        let empty = AlertDoc {
            fields: Map::new(),
            constant: Arc::new(Vec::new()),
        };
        assert_eq!(empty.to_json(), "{}");
    }
}
