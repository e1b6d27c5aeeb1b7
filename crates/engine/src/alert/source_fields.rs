//! Preparing a source document's fields for an alert: Kibana's
//! `traverseAndMutateDoc` (`rule_types/factories/utils/traverse_and_mutate_doc.ts`).
//!
//! In one pass over the `_source`:
//! 1. top-level keys whose first dotted segment is `kibana`, `signal` or
//!    `threshold_result` are removed;
//! 2. values that conflict with the ECS mapping of the alerts index are removed
//!    (a keyword given an object, an object given a keyword, a long that is not a
//!    number, an invalid ip / date / boolean, a primitive in a `nested` field, a
//!    dotted key running through a non-object ECS field); array items are checked one
//!    by one, and objects or arrays left empty disappear;
//! 3. every kept top-level `event.*` and `data_stream.*` value is *copied* (not
//!    moved: the source keeps it) to flat `kibana.alert.original_event.*` /
//!    `kibana.alert.original_data_stream.*` keys.

use super::ecs_types::{
    ecs_field_map, is_valid_boolean, is_valid_date, is_valid_ip, is_valid_long, is_valid_numeric,
};
use super::js::{dot_offsets, dot_segments, flatten_with_prefix, has_dot};
use super::AlertError;
use serde_json::{Map, Value};

/// Deepest object/array nesting accepted in a source document.
pub(crate) const MAX_SOURCE_DEPTH: usize = 100;

const BANNED_TOP_LEVEL: [&str; 3] = ["kibana", "signal", "threshold_result"];

/// What `traverseAndMutateDoc` returns: the kept fields (with the copied
/// `kibana.alert.original_*` keys added) and the removed `(path, value)` pairs.
#[derive(Debug, Default)]
pub struct PreparedSource {
    pub fields: Map<String, Value>,
    pub removed: Vec<(String, Value)>,
}

/// Runs `traverseAndMutateDoc` over a `_source` object (a copy of it: the
/// source is left as it is).
pub fn prepare_source(source: &Map<String, Value>) -> Result<PreparedSource, AlertError> {
    prepare_owned_source(source.clone())
}

/// Runs `traverseAndMutateDoc` over a `_source` object that is not needed
/// afterwards: it is changed in place (removed values moved out, the kept
/// ones left where they are: tearing the maps down and building them again
/// was most of the cost of the walk).
pub(crate) fn prepare_owned_source(
    mut source: Map<String, Value>,
) -> Result<PreparedSource, AlertError> {
    let mut walk = Walk::default();
    let mut path = String::with_capacity(128);
    walk.object(&mut source, &mut path, true, 0)?;
    for (key, value) in walk.to_add {
        source.insert(key, value);
    }
    Ok(PreparedSource {
        fields: source,
        removed: walk.removed,
    })
}

#[derive(Default)]
struct Walk {
    removed: Vec<(String, Value)>,
    to_add: Vec<(String, Value)>,
}

/// The first error of a walk that filters items in place (`retain`): once
/// a test fails, the whole walk fails, so the items after it are dropped
/// untested.
#[derive(Default)]
struct FirstError(Option<AlertError>);

impl FirstError {
    fn stopped(&self) -> bool {
        self.0.is_some()
    }

    /// Whether the item is kept; an error is remembered (and drops it).
    fn kept(&mut self, kept: Result<bool, AlertError>) -> bool {
        kept.unwrap_or_else(|e| {
            self.0 = Some(e);
            false
        })
    }

    fn result(self) -> Result<(), AlertError> {
        self.0.map_or(Ok(()), Err)
    }
}

impl Walk {
    /// Keeps the kept fields of `doc`, whose dotted path is `path` (empty at
    /// the top level; restored on return).
    fn object(
        &mut self,
        doc: &mut Map<String, Value>,
        path: &mut String,
        top_level: bool,
        depth: usize,
    ) -> Result<(), AlertError> {
        if depth > MAX_SOURCE_DEPTH {
            return Err(AlertError::TooDeep);
        }
        // In key order, as the keys were visited when the map was rebuilt.
        // Walked in place and the removed keys taken out afterwards: most
        // documents lose nothing, and `retain` costs a removal cursor step
        // per key. The first error ends the walk (the document is dropped).
        let mut removed: Vec<String> = Vec::new();
        for (key, value) in doc.iter_mut() {
            let len = path.len();
            if !top_level {
                path.push('.');
            }
            path.push_str(key);
            let kept = self.field(key, value, path, top_level, depth);
            if let Ok(true) = kept {
                if top_level {
                    self.copy_to_alert_namespace(path, value);
                }
            }
            path.truncate(len);
            if !kept? {
                removed.push(key.clone());
            }
        }
        for key in &removed {
            doc.remove(key);
        }
        Ok(())
    }

    /// Checks one key of an object (at `path`), its value changed in place;
    /// whether it is kept (a removed value is moved to `removed`).
    fn field(
        &mut self,
        key: &str,
        value: &mut Value,
        path: &mut String,
        top_level: bool,
        depth: usize,
    ) -> Result<bool, AlertError> {
        let first_segment = dot_segments(key).next().unwrap_or(key);
        if top_level && BANNED_TOP_LEVEL.contains(&first_segment) {
            self.removed.push((path.clone(), std::mem::take(value)));
            return Ok(false);
        }
        // The proper prefixes of the path that end where the key starts are
        // kept objects (checked on the way down); only a dotted key adds
        // prefixes to check.
        let check_prefixes = has_dot(key);
        if let Value::Array(items) = value {
            self.array(items, path, check_prefixes, depth + 1)?;
            return Ok(!items.is_empty());
        }
        if !is_ecs_compliant(value, path, check_prefixes) {
            self.removed.push((path.clone(), std::mem::take(value)));
            return Ok(false);
        }
        if let Value::Object(inner) = value {
            self.object(inner, path, false, depth + 1)?;
            return Ok(!inner.is_empty());
        }
        Ok(true)
    }

    /// `traverseArray`: inner arrays first, then each item on its own; the
    /// kept items stay in `items`.
    fn array(
        &mut self,
        items: &mut Vec<Value>,
        path: &mut String,
        check_prefixes: bool,
        depth: usize,
    ) -> Result<(), AlertError> {
        if depth > MAX_SOURCE_DEPTH {
            return Err(AlertError::TooDeep);
        }
        let mut first_error = FirstError::default();
        items.retain_mut(|item| {
            if first_error.stopped() {
                return false;
            }
            let kept = match item {
                Value::Array(inner) => self
                    .array(inner, path, check_prefixes, depth + 1)
                    .map(|()| !inner.is_empty()),
                other if !is_ecs_compliant(other, path, check_prefixes) => {
                    self.removed.push((path.clone(), std::mem::take(other)));
                    Ok(false)
                }
                Value::Object(inner) => self
                    .object(inner, path, false, depth + 1)
                    .map(|()| !inner.is_empty()),
                _ => Ok(true),
            };
            first_error.kept(kept)
        });
        first_error.result()
    }

    /// `alertingNamespaceCopyMap`: `event` → `kibana.alert.original_event`,
    /// `data_stream` → `kibana.alert.original_data_stream`.
    fn copy_to_alert_namespace(&mut self, full_path: &str, value: &Value) {
        let top = dot_segments(full_path).next().unwrap_or(full_path);
        let root = match top {
            "event" => "kibana.alert.original_event",
            "data_stream" => "kibana.alert.original_data_stream",
            _ => return,
        };
        let destination = format!("{root}{}", &full_path[top.len()..]);
        flatten_with_prefix(&destination, value, &mut self.to_add);
    }
}

/// `computeIsEcsCompliant`. `check_prefixes`: the path's proper prefixes
/// are not all known to be kept objects (a kept object's path is no ECS
/// field or an object-like one, which is what this checks of a prefix).
fn is_ecs_compliant(value: &Value, path: &str, check_prefixes: bool) -> bool {
    let map = ecs_field_map();
    if check_prefixes && has_dot(path) && !dotted_parents_are_objects(path) {
        return false;
    }
    let ecs = map.path(path);
    if ecs.nested {
        return match value {
            Value::Array(items) => items.iter().all(Value::is_object),
            other => other.is_object(),
        };
    }
    if !ecs.is_ecs_field() {
        return true;
    }
    match ecs.ty {
        Some("geo_point") => true,
        Some("long") => is_valid_long(value),
        Some("float" | "scaled_float") => is_valid_numeric(value),
        Some("ip") => is_valid_ip(value),
        Some("date") => is_valid_date(value),
        Some("boolean") => is_valid_boolean(value),
        _ if ecs.is_ecs_object() => value.is_object(),
        _ => !value.is_object(),
    }
}

/// `validateDottedPathInEcsMappings`: no proper prefix of the path may be an ECS
/// field that is not an object.
fn dotted_parents_are_objects(path: &str) -> bool {
    let map = ecs_field_map();
    dot_offsets(path).all(|end| {
        let prefix = map.path(&path[..end]);
        !prefix.is_ecs_field() || prefix.is_ecs_object()
    })
}

#[cfg(test)]
mod tests {
    //! Cases of Kibana's `traverse_and_mutate_doc.test.ts`.
    use super::*;
    use serde_json::json;

    fn run(doc: Value) -> (Value, Vec<(String, Value)>) {
        let prepared = prepare_source(doc.as_object().unwrap()).unwrap();
        (Value::Object(prepared.fields), prepared.removed)
    }

    /// A document nested past [`MAX_SOURCE_DEPTH`] (through objects or
    /// arrays, under a kept or a later key) is an error, not a partial walk.
    #[test]
    fn too_deep_documents_are_errors() {
        let mut deep = json!("leaf");
        for i in 0..=MAX_SOURCE_DEPTH + 1 {
            deep = if i % 2 == 0 {
                json!({"x": deep})
            } else {
                json!([deep])
            };
        }
        for doc in [
            json!({"a": deep.clone()}),
            json!({"a": 1, "z": [deep.clone()]}),
            json!({"b": {"c": [1, deep.clone()]}, "m": "kept"}),
        ] {
            let got = prepare_source(doc.as_object().unwrap());
            assert!(matches!(got, Err(AlertError::TooDeep)), "{got:?}");
        }
        let shallow = json!({"a": {"b": [{"c": [1, [2]]}]}});
        assert_eq!(run(shallow.clone()), (shallow, vec![]));
    }

    #[test]
    fn keeps_compliant_fields() {
        let doc =
            json!({"client": {"nat": {"port": "3000", "ip": "127.0.0.2"}, "ip": ["127.0.0.1"]}});
        assert_eq!(run(doc.clone()), (doc, vec![]));
    }

    #[test]
    fn strips_objects_on_keywords_and_keywords_on_objects() {
        let (result, removed) = run(json!({"agent": {"name": {"first": "a"}, "type": "filebeat"}}));
        assert_eq!(result, json!({"agent": {"type": "filebeat"}}));
        assert_eq!(
            removed,
            vec![("agent.name".to_string(), json!({"first": "a"}))]
        );
        let (result, removed) = run(json!({"agent": "test", "message": "m"}));
        assert_eq!(result, json!({"message": "m"}));
        assert_eq!(removed, vec![("agent".to_string(), json!("test"))]);
    }

    #[test]
    fn array_items_are_checked_one_by_one() {
        let (result, removed) = run(
            json!({"agent": [{"name": {"conflict": "agent-1"}}, {"name": "test"}], "message": "m"}),
        );
        assert_eq!(result, json!({"agent": [{"name": "test"}], "message": "m"}));
        assert_eq!(
            removed,
            vec![("agent.name".to_string(), json!({"conflict": "agent-1"}))]
        );
        let (result, removed) = run(json!({"agent": ["agent-1", "agent-2"]}));
        assert_eq!(result, json!({}));
        assert_eq!(removed.len(), 2);
    }

    #[test]
    fn dotted_keys_through_keywords_are_stripped() {
        let (result, removed) = run(
            json!({"agent.name.conflict": "v", "agent.name.text": [], "agent.build.original": "v10"}),
        );
        assert_eq!(result, json!({"agent.build.original": "v10"}));
        assert_eq!(
            removed,
            vec![("agent.name.conflict".to_string(), json!("v"))]
        );
    }

    #[test]
    fn typed_values_are_validated() {
        let (result, _) =
            run(json!({"source": {"ip": "invalid-ip", "name": "s"}, "client": {"bytes": "24 "}}));
        assert_eq!(result, json!({"source": {"name": "s"}}));
        let (result, removed) = run(
            json!({"dll.code_signature.trusted": ["conflict", "true", 5, "False", "ee", "True"]}),
        );
        assert_eq!(result, json!({"dll.code_signature.trusted": ["true"]}));
        assert_eq!(removed.len(), 5);
        let (result, _) = run(json!({"threat": {"enrichments": ["x"], "indicator.port": 443}}));
        assert_eq!(result, json!({"threat": {"indicator.port": 443}}));
    }

    #[test]
    fn banned_top_level_fields_are_removed() {
        let (result, removed) =
            run(json!({"kibana.test": "v", "kibana_test_prefix": "v", "signal": {"x": 1}}));
        assert_eq!(result, json!({"kibana_test_prefix": "v"}));
        assert_eq!(removed.len(), 2);
    }

    /// Every path kept in `value` (at `path`), objects and leaves.
    fn kept_paths(value: &Value, path: &str, out: &mut Vec<String>) {
        match value {
            Value::Object(m) => {
                for (k, v) in m {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    out.push(p.clone());
                    kept_paths(v, &p, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| kept_paths(v, path, out)),
            _ => {}
        }
    }

    /// The walk checks the prefixes of a path only where a dotted key adds
    /// some; the others are kept objects. Then no kept path may fail the
    /// prefix check (it would have been removed with every prefix checked).
    #[test]
    fn kept_paths_pass_the_prefix_check_with_prefixes_checked_only_for_dotted_keys() {
        let keys = [
            "agent",
            "name",
            "agent.name",
            "build",
            "original",
            "agent.build",
            "process",
            "parent",
            "pid",
            "process.parent",
            "parent.pid",
            "args",
            "host",
            "os",
            "host.os",
            "type",
            "os.type",
            "x",
            "x.y",
            "threat",
            "enrichments",
            "indicator.port",
            "@timestamp",
            "event",
            "event.kind",
            // Dotted keys running through keyword and long fields.
            "name.x",
            "agent.name.x",
            "pid.x",
            "parent.pid.x",
            "os.type.x",
        ];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut below = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        fn doc(below: &mut dyn FnMut(usize) -> usize, keys: &[&str], depth: u32) -> Value {
            let mut m = Map::new();
            for _ in 0..below(4) {
                let value = match below(if depth > 2 { 3 } else { 5 }) {
                    0 => json!("v"),
                    1 => json!(7),
                    2 => json!(["a", {"pid": 1}]),
                    _ => doc(below, keys, depth + 1),
                };
                m.insert(keys[below(keys.len())].to_string(), value);
            }
            Value::Object(m)
        }
        let mut docs: Vec<Value> = (0..3000).map(|_| doc(&mut below, &keys, 0)).collect();
        for name in [
            "endpoint",
            "system",
            "windows_sysmon",
            "auditd_manager",
            "cloud",
        ] {
            let path = testkit::corpus().join(format!("events/{name}.ndjson"));
            let text = std::fs::read_to_string(path).unwrap();
            docs.extend(text.lines().filter_map(|l| serde_json::from_str(l).ok()));
        }
        let mut checked = 0;
        for d in &docs {
            let (result, _) = run(d.clone());
            let mut paths = Vec::new();
            kept_paths(&result, "", &mut paths);
            for p in paths {
                assert!(dotted_parents_are_objects(&p), "{p} in {d}");
                checked += 1;
            }
        }
        assert!(checked > 5000, "{checked}");
    }

    #[test]
    fn event_fields_are_copied_to_original_event() {
        let (result, _) = run(json!({"event": {"created": true, "category": "start"}}));
        assert_eq!(
            result,
            json!({"event": {"category": "start"}, "kibana.alert.original_event.category": "start"})
        );
        let (result, _) =
            run(json!({"event.field": {"subfield": "t"}, "top_field.event.action": "x"}));
        assert_eq!(
            result,
            json!({"event.field": {"subfield": "t"}, "kibana.alert.original_event.field.subfield": "t", "top_field.event.action": "x"})
        );
        let (result, _) = run(json!({"data_stream": {"type": "logs"}}));
        assert_eq!(
            result,
            json!({"data_stream": {"type": "logs"}, "kibana.alert.original_data_stream.type": "logs"})
        );
    }
}
