//! `objectArrayIntersection` / `objectPairIntersection` of
//! `rule_types/eql/build_alert_group_from_sequence.ts`: the fields every
//! building block of a sequence shares, the start of its shell alert.
//!
//! Kibana flattens both objects to `(path, value)` leaves
//! (`flattenToPathValuesWithNotation`: dotted keys split, an explicit stack, so
//! an object's own leaves in key order, then its child objects last key first),
//! sets the leaves back one by one into nested objects (lodash `set`: a later
//! leaf wins, a non-object on the way is replaced by an object), intersects the
//! two trees (equal primitives kept; the lodash intersection when either side is
//! an array; objects recursed, empty ones pruned), and writes each common leaf
//! back flat when both inputs had it under a dotted key, nested otherwise.
//!
//! Here the trees borrow the inputs' keys and values (nothing is cloned but
//! the common leaves); the leaves are set in Kibana's order, so conflicting
//! notations (`{"a": 1, "a.b": 2}`) resolve as they do there.

use super::js::{js_strict_equal, lodash_intersection};
use super::source_fields::MAX_SOURCE_DEPTH;
use super::AlertError;
use rustc_hash::FxHashSet;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Deepest path (in segments) Kibana's flattening is allowed here.
const MAX_PATH: usize = MAX_SOURCE_DEPTH * 4;

/// Top-level keys a caller knows to be irrelevant to an intersection.
pub(crate) type Skip = fn(&str) -> bool;

/// `objectArrayIntersection`: the first object alone, or the pairwise fold.
/// Top-level keys for which `skip` holds are left out of the pairs (a single
/// object is returned whole); the caller vouches that their leaves share no
/// path with other leaves and that it overwrites whatever they would give.
pub(crate) fn object_array_intersection(
    objects: &[Map<String, Value>],
    skip: Skip,
) -> Result<Option<Map<String, Value>>, AlertError> {
    let Some((first, rest)) = objects.split_first() else {
        return Ok(None);
    };
    let Some((second, rest)) = rest.split_first() else {
        return Ok(Some(first.clone()));
    };
    let mut acc = pair_intersection(first, second, skip)?;
    for object in rest {
        acc = match acc {
            Some(a) => pair_intersection(&a, object, skip)?,
            None => None,
        };
    }
    Ok(acc)
}

/// `objectPairIntersection`; `None` when nothing is shared.
pub(crate) fn object_pair_intersection(
    a: &Map<String, Value>,
    b: &Map<String, Value>,
) -> Result<Option<Map<String, Value>>, AlertError> {
    pair_intersection(a, b, |_| false)
}

fn pair_intersection(
    a: &Map<String, Value>,
    b: &Map<String, Value>,
    skip: Skip,
) -> Result<Option<Map<String, Value>>, AlertError> {
    let a = Normalized::of(a, skip)?;
    let b = Normalized::of(b, skip)?;
    let common = intersect(&a.tree, &b.tree, 0)?;
    if common.is_empty() {
        return Ok(None);
    }
    let mut flat = Vec::new();
    let mut path = String::new();
    let both_dotted = |path: &str| a.dotted.contains(path) && b.dotted.contains(path);
    let mut result = with_notation(common, &mut path, true, &both_dotted, &mut flat);
    result.extend(flat);
    Ok(Some(result))
}

/// A node of a normalized (nested-only) tree over borrowed leaves.
enum Node<'a> {
    Leaf(&'a Value),
    Object(Tree<'a>),
}

type Tree<'a> = BTreeMap<&'a str, Node<'a>>;

/// An object in nested form, and the paths whose leaf came under a dotted key.
struct Normalized<'a> {
    tree: Tree<'a>,
    dotted: FxHashSet<String>,
}

impl<'a> Normalized<'a> {
    fn of(object: &'a Map<String, Value>, skip: Skip) -> Result<Normalized<'a>, AlertError> {
        let mut normalized = Normalized {
            tree: Tree::new(),
            dotted: FxHashSet::default(),
        };
        normalized.visit(object, &mut Vec::new(), skip)?;
        Ok(normalized)
    }

    /// Sets the leaves of `object` (at `prefix`) in Kibana's flattening order;
    /// `skip` filters the keys of the top-level object.
    fn visit(
        &mut self,
        object: &'a Map<String, Value>,
        prefix: &mut Vec<&'a str>,
        skip: Skip,
    ) -> Result<(), AlertError> {
        if prefix.len() > MAX_PATH {
            return Err(AlertError::TooDeep);
        }
        let base = prefix.len();
        let kept = |key: &str| base > 0 || !skip(key);
        for (key, value) in object {
            if value.is_object() || !kept(key) {
                continue;
            }
            prefix.extend(key.split('.'));
            if key.contains('.') {
                self.dotted.insert(prefix.join("."));
            }
            set_leaf(&mut self.tree, prefix, value);
            prefix.truncate(base);
        }
        for (key, value) in object.iter().rev() {
            if let (Value::Object(inner), true) = (value, kept(key)) {
                prefix.extend(key.split('.'));
                self.visit(inner, prefix, skip)?;
                prefix.truncate(base);
            }
        }
        Ok(())
    }
}

/// lodash `set` of a leaf along `path`, replacing non-object intermediates.
fn set_leaf<'a>(tree: &mut Tree<'a>, path: &[&'a str], leaf: &'a Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut current = tree;
    for segment in parents {
        let slot = current
            .entry(segment)
            .or_insert_with(|| Node::Object(Tree::new()));
        if !matches!(slot, Node::Object(_)) {
            *slot = Node::Object(Tree::new());
        }
        let Node::Object(next) = slot else { return };
        current = next;
    }
    current.insert(last, Node::Leaf(leaf));
}

/// The intersection of two normalized trees, as a nested object.
fn intersect(a: &Tree<'_>, b: &Tree<'_>, depth: usize) -> Result<Map<String, Value>, AlertError> {
    if depth > MAX_PATH {
        return Err(AlertError::TooDeep);
    }
    let mut out = Map::new();
    for (key, a_node) in a {
        let Some(b_node) = b.get(key) else { continue };
        match (a_node, b_node) {
            (Node::Object(a_inner), Node::Object(b_inner)) => {
                let inner = intersect(a_inner, b_inner, depth + 1)?;
                if !inner.is_empty() {
                    out.insert((*key).to_string(), Value::Object(inner));
                }
            }
            (Node::Leaf(x), Node::Leaf(y)) if js_strict_equal(x, y) => {
                out.insert((*key).to_string(), (*x).clone());
            }
            (Node::Leaf(Value::Array(_)), _) | (_, Node::Leaf(Value::Array(_))) => {
                let common = lodash_intersection(as_array(a_node), as_array(b_node));
                out.insert((*key).to_string(), Value::Array(common));
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A node as lodash sees it in `intersection`: an array's items, a primitive
/// alone; an object never equals anything, so it contributes nothing.
fn as_array<'v>(node: &Node<'v>) -> &'v [Value] {
    match node {
        Node::Leaf(Value::Array(items)) => items,
        Node::Leaf(value) => std::slice::from_ref(*value),
        Node::Object(_) => &[],
    }
}

/// `applyNotationPreference`: the common tree's leaves nested, except those
/// dotted in both inputs, which go to `flat` under their whole path. The tree's
/// keys hold no dots, so flat and nested keys never meet.
fn with_notation(
    tree: Map<String, Value>,
    path: &mut String,
    top_level: bool,
    both_dotted: &dyn Fn(&str) -> bool,
    flat: &mut Vec<(String, Value)>,
) -> Map<String, Value> {
    let mut nested = Map::new();
    for (key, value) in tree {
        let len = path.len();
        if !top_level {
            path.push('.');
        }
        path.push_str(&key);
        match value {
            Value::Object(inner) => {
                let inner = with_notation(inner, path, false, both_dotted, flat);
                if !inner.is_empty() {
                    nested.insert(key, Value::Object(inner));
                }
            }
            leaf if both_dotted(path) => flat.push((path.clone(), leaf)),
            leaf => {
                nested.insert(key, leaf);
            }
        }
        path.truncate(len);
    }
    nested
}

#[cfg(test)]
mod tests {
    //! Cases of Kibana's `build_alert_group_from_sequence.test.ts`.
    use super::*;
    use serde_json::json;

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
        let merged = object_array_intersection(&objects, |_| false)
            .unwrap()
            .map(Value::Object);
        assert_eq!(
            merged,
            Some(json!({"user": {"id": "u1"}, "event": {"action": "login"}}))
        );
        assert_eq!(object_array_intersection(&[], |_| false).unwrap(), None);
    }
}
