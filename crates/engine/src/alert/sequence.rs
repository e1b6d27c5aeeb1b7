//! Alerts for an EQL sequence: one building-block alert per event plus the "shell"
//! alert that ties them together. Port of `rule_types/eql/build_alert_group_from_sequence.ts`
//! (`buildAlertGroupFromSequence`, `buildAlertRoot`, `objectArrayIntersection`,
//! `objectPairIntersection`) and `rule_types/eql/wrap_sequences.ts`.
//!
//! - Building blocks are built like event alerts but without overrides; their ids
//!   come from `generateBuildingBlockIds` (every block's ancestors), they get
//!   `kibana.alert.building_block_type: default`, `kibana.alert.group.id` (the
//!   shell's id) and `kibana.alert.group.index` (position in the sequence).
//! - The shell starts from the intersection of the blocks' sources (fields every
//!   block shares, dotted and nested notation unified; kept flat where every block
//!   has the flat key), then gets the alert fields built over the blocks as parents:
//!   ancestors `[event₀, block₀, event₁, block₁, …]`, depth 2, reason from the
//!   intersection, id = `generateAlertId` = `kibana.alert.group.id`.
//!   (A consequence ported as is: `kibana.alert.rule.parameters`, an object under a
//!   flat key, comes out of the intersection nested as `kibana.alert.rule.parameters.*`
//!   next to the flat key the shell's own fields set.)
//! - The result is ordered as `wrapSequences` pushes it: shell first, then blocks.

use super::build::{
    alert_fields, alert_url, ancestors_of, augment, descends_from_rule, event_parent, spread,
    transform_hit_to_alert, Parent,
};
use super::document::AlertDoc;
use super::ids::{alert_id_from_ancestors, building_block_ids};
use super::js::{js_strict_equal, lodash_intersection};
use super::reason::{build_reason_message, ReasonDoc};
use super::source_fields::MAX_SOURCE_DEPTH;
use super::{AlertContext, AlertError, RuleInfo, SourceDoc};
use serde_json::{json, Map, Value};
use std::collections::HashSet;

/// Builds the shell alert and the building blocks of one sequence (its present
/// events, in sequence order). Empty when an event is itself an alert of this rule.
pub(crate) fn build_sequence_alerts(
    rule: &RuleInfo,
    ctx: &AlertContext,
    docs: &[SourceDoc],
) -> Result<Vec<AlertDoc>, AlertError> {
    let parents: Vec<Parent<'_>> = docs.iter().map(event_parent).collect::<Result<_, _>>()?;
    let event_ancestors: Vec<Value> = parents.iter().flat_map(ancestors_of).collect();
    if parents.is_empty() || descends_from_rule(&event_ancestors, &rule.uuid) {
        return Ok(Vec::new());
    }
    let mut blocks = Vec::with_capacity(parents.len());
    for parent in &parents {
        blocks.push(transform_hit_to_alert(
            rule,
            ctx,
            parent,
            false,
            "placeholder-alert-uuid",
            None,
        )?);
    }
    let block_ancestors: Vec<&[Value]> = blocks.iter().map(ancestors_in).collect();
    let ids = building_block_ids(&block_ancestors, &rule.uuid);
    for (block, id) in blocks.iter_mut().zip(&ids) {
        block.insert("kibana.alert.uuid".into(), json!(id));
    }
    let shell = build_shell(rule, ctx, &blocks, &ids)?;
    let shell_id = shell
        .fields
        .get("kibana.alert.uuid")
        .cloned()
        .unwrap_or(Value::Null);
    let mut out = Vec::with_capacity(blocks.len() + 1);
    out.push(shell);
    for (index, (mut block, id)) in blocks.into_iter().zip(&ids).enumerate() {
        block.insert("kibana.alert.building_block_type".into(), json!("default"));
        block.insert("kibana.alert.group.id".into(), shell_id.clone());
        block.insert("kibana.alert.group.index".into(), json!(index));
        match alert_url(ctx, id, &ctx.now) {
            Some(url) => block.insert("kibana.alert.url".into(), url),
            None => block.remove("kibana.alert.url"),
        };
        augment(&mut block, ctx);
        out.push(AlertDoc {
            fields: block,
            constant: rule.fragments().block.clone(),
        });
    }
    Ok(out)
}

fn ancestors_in(alert: &Map<String, Value>) -> &[Value] {
    alert
        .get("kibana.alert.ancestors")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// `buildAlertRoot`. `blocks` are the blocks' per-alert fields: their constant
/// part intersects only with itself, and that intersection is the rule's
/// [`RuleFragments::shell`](super::fragments::RuleFragments) (a single block is
/// not intersected: the shell starts from it whole).
fn build_shell(
    rule: &RuleInfo,
    ctx: &AlertContext,
    blocks: &[Map<String, Value>],
    ids: &[String],
) -> Result<AlertDoc, AlertError> {
    let fragments = rule.fragments();
    let constant = if blocks.len() > 1 {
        fragments.shell.clone().ok_or(AlertError::TooDeep)?
    } else {
        fragments.block.clone()
    };
    let merged = object_array_intersection(blocks)?;
    let empty = Map::new();
    let severity = rule.severity().unwrap_or("");
    let reason = build_reason_message(
        &rule.name,
        severity,
        ReasonDoc::Merged(merged.as_ref().unwrap_or(&empty)),
    );
    let parents: Vec<Parent<'_>> = blocks
        .iter()
        .zip(ids)
        .map(|(source, id)| Parent {
            id,
            index: "",
            source,
            is_search_hit: false,
        })
        .collect();
    let fields = alert_fields(rule, ctx, &parents, &reason, "placeholder-uuid", None);
    let ancestors = fields
        .iter()
        .find(|(key, _)| key == "kibana.alert.ancestors")
        .and_then(|(_, value)| value.as_ref())
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let shell_id = alert_id_from_ancestors(ancestors, &rule.uuid);
    let url = alert_url(ctx, &shell_id, &ctx.now);
    let mut shell = merged.unwrap_or_default();
    for key in &fragments.undefined {
        shell.remove(key);
    }
    spread(&mut shell, fields);
    spread(
        &mut shell,
        vec![
            ("kibana.alert.uuid".into(), Some(json!(shell_id))),
            ("kibana.alert.group.id".into(), Some(json!(shell_id))),
            ("kibana.alert.url".into(), url),
        ],
    );
    augment(&mut shell, ctx);
    Ok(AlertDoc {
        fields: shell,
        constant,
    })
}

/// `objectArrayIntersection`: the first object alone, or the pairwise fold.
pub(crate) fn object_array_intersection(
    objects: &[Map<String, Value>],
) -> Result<Option<Map<String, Value>>, AlertError> {
    let Some((first, rest)) = objects.split_first() else {
        return Ok(None);
    };
    let mut acc = Some(first.clone());
    for object in rest {
        acc = match acc {
            Some(a) => object_pair_intersection(&a, object)?,
            None => None,
        };
    }
    Ok(acc)
}

type PathValues = Vec<(Vec<String>, Value)>;

/// `objectPairIntersection`: both objects normalised to nested form, common
/// leaves kept (equal primitives, or the lodash intersection when either side is
/// an array), empty objects pruned, and paths that were flat dotted keys in both
/// inputs written back flat.
pub(crate) fn object_pair_intersection(
    a: &Map<String, Value>,
    b: &Map<String, Value>,
) -> Result<Option<Map<String, Value>>, AlertError> {
    let (a_leaves, a_dots) = flatten_with_notation(a)?;
    let (b_leaves, b_dots) = flatten_with_notation(b)?;
    let a_norm = unflatten(a_leaves);
    let b_norm = unflatten(b_leaves);
    let intersection = intersect_objects(&a_norm, &b_norm, 0)?;
    if intersection.is_empty() {
        return Ok(None);
    }
    let (leaves, _) = flatten_with_notation(&intersection)?;
    let mut result = Map::new();
    for (path, value) in leaves {
        let joined = path.join(".");
        if a_dots.contains(&joined) && b_dots.contains(&joined) {
            result.insert(joined, value);
        } else {
            set_path(&mut result, &path, value);
        }
    }
    Ok(Some(result))
}

/// `flattenToPathValuesWithNotation`: leaves (non-object values) with their paths,
/// dotted keys split; plus the paths whose last key was itself dotted.
fn flatten_with_notation(
    object: &Map<String, Value>,
) -> Result<(PathValues, HashSet<String>), AlertError> {
    let mut leaves = Vec::new();
    let mut dotted = HashSet::new();
    let mut stack: Vec<(&Map<String, Value>, Vec<String>)> = vec![(object, Vec::new())];
    while let Some((current, prefix)) = stack.pop() {
        if prefix.len() > MAX_SOURCE_DEPTH * 4 {
            return Err(AlertError::TooDeep);
        }
        for (key, value) in current {
            let mut path = prefix.clone();
            path.extend(key.split('.').map(str::to_string));
            match value {
                Value::Object(inner) => stack.push((inner, path)),
                leaf => {
                    if key.contains('.') {
                        dotted.insert(path.join("."));
                    }
                    leaves.push((path, leaf.clone()));
                }
            }
        }
    }
    Ok((leaves, dotted))
}

fn unflatten(leaves: PathValues) -> Map<String, Value> {
    let mut result = Map::new();
    for (path, value) in leaves {
        set_path(&mut result, &path, value);
    }
    result
}

/// lodash `set` along `path`, replacing non-object intermediates by objects.
fn set_path(target: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut current = target;
    for segment in parents {
        let slot = current
            .entry(segment.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(next) = slot else { return };
        current = next;
    }
    current.insert(last.clone(), value);
}

fn intersect_objects(
    a: &Map<String, Value>,
    b: &Map<String, Value>,
    depth: usize,
) -> Result<Map<String, Value>, AlertError> {
    if depth > MAX_SOURCE_DEPTH * 4 {
        return Err(AlertError::TooDeep);
    }
    let mut out = Map::new();
    for (key, a_value) in a {
        let Some(b_value) = b.get(key) else { continue };
        match (a_value, b_value) {
            (Value::Object(a_inner), Value::Object(b_inner)) => {
                let inner = intersect_objects(a_inner, b_inner, depth + 1)?;
                if !inner.is_empty() {
                    out.insert(key.clone(), Value::Object(inner));
                }
            }
            _ if js_strict_equal(a_value, b_value) => {
                out.insert(key.clone(), a_value.clone());
            }
            (Value::Array(_), _) | (_, Value::Array(_)) => {
                let as_array = |v: &Value| match v {
                    Value::Array(items) => items.clone(),
                    other => vec![other.clone()],
                };
                out.insert(
                    key.clone(),
                    Value::Array(lodash_intersection(&as_array(a_value), &as_array(b_value))),
                );
            }
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    //! Cases of Kibana's `build_alert_group_from_sequence.test.ts`.
    use super::*;

    fn pair(a: Value, b: Value) -> Option<Value> {
        object_pair_intersection(a.as_object().unwrap(), b.as_object().unwrap())
            .unwrap()
            .map(Value::Object)
    }

    #[test]
    fn arrays_intersect_by_value() {
        assert_eq!(
            pair(json!({"f": [1]}), json!({"f": [1]})),
            Some(json!({"f": [1]}))
        );
        assert_eq!(
            pair(json!({"f": 1}), json!({"f": [1, 2, 3]})),
            Some(json!({"f": [1]}))
        );
        assert_eq!(
            pair(json!({"f": [3, 4, 5]}), json!({"f": [1, 2, 3, 4]})),
            Some(json!({"f": [3, 4]}))
        );
        assert_eq!(
            pair(
                json!({"a": [1, 2], "b": [1, 2]}),
                json!({"a": [1, 2], "b": [3, 4]})
            ),
            Some(json!({"a": [1, 2], "b": []}))
        );
    }

    #[test]
    fn notation_is_unified() {
        assert_eq!(
            pair(json!({"user.email": "m"}), json!({"user": {"email": "m"}})),
            Some(json!({"user": {"email": "m"}}))
        );
        assert_eq!(
            pair(json!({"a.b.c": 42}), json!({"a": {"b": {"c": 42}}})),
            Some(json!({"a": {"b": {"c": 42}}}))
        );
        // Flat in both inputs: stays flat (`applyNotationPreference`).
        assert_eq!(
            pair(json!({"user.email": "a"}), json!({"user.email": "a"})),
            Some(json!({"user.email": "a"}))
        );
    }

    #[test]
    fn primitives_compare_strictly() {
        assert_eq!(
            pair(json!({"f1": 1, "f2": 1}), json!({"f1": 1, "f2": "1"})),
            Some(json!({"f1": 1}))
        );
        assert_eq!(
            pair(
                json!({"f1": 1, "f2": "1", "f3": null}),
                json!({"f1": null, "f2": null, "f3": null})
            ),
            Some(json!({"f3": null}))
        );
        assert_eq!(pair(json!({"f1": 1}), json!({"f2": 1})), None);
        assert_eq!(pair(json!({}), json!({"a": 1})), None);
    }

    #[test]
    fn nested_objects_recurse_and_prune() {
        let a = json!({"c": {"f1": 1, "f2": 1, "f6": null, "arr": [1, 2], "n": {"f1": 1, "f2": 1}}, "w": {"s1": 1}});
        let b = json!({"c": {"f1": 1, "f2": 2, "f6": null, "arr": [1, 2], "n": {"f1": 1, "f2": 2}}, "w": {"s2": 1}});
        assert_eq!(
            pair(a, b),
            Some(json!({"c": {"arr": [1, 2], "f1": 1, "f6": null, "n": {"f1": 1}}}))
        );
    }

    #[test]
    fn array_intersection_folds_over_all_objects() {
        let objects: Vec<Map<String, Value>> = [
            json!({"user.id": "u1", "event": {"action": "login"}}),
            json!({"user": {"id": "u1"}, "event": {"action": "login"}}),
            json!({"user.id": "u1", "event.action": "login"}),
        ]
        .into_iter()
        .map(|v| v.as_object().unwrap().clone())
        .collect();
        let merged = object_array_intersection(&objects)
            .unwrap()
            .map(Value::Object);
        assert_eq!(
            merged,
            Some(json!({"user": {"id": "u1"}, "event": {"action": "login"}}))
        );
        assert_eq!(object_array_intersection(&[]).unwrap(), None);
    }
}
