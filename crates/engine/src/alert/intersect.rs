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
//! Here the trees borrow the inputs' keys and values (the common leaves are
//! cloned once, into the result; arrays the intersection makes are owned);
//! the leaves are set in Kibana's order, so conflicting notations
//! (`{"a": 1, "a.b": 2}`) resolve as they do there. Whether a path came under
//! a dotted key (Kibana keeps a set of such paths) is a flag on its node.
//!
//! The fold normalizes the first object whole; each further one is read
//! only where the running result still has nodes, one group of top-level
//! keys (one first segment) at a time, in the cheapest form equal to the
//! group's normalized node ([`Normalized::intersect_object`]): a building
//! block's source objects raw, its flat `kibana.alert.original_*` copies as
//! they are, its `event` object beside its flat `event.kind`.
//!
//! A top-level object with no dotted key and no empty object anywhere inside,
//! and whose first segment nothing else writes, normalizes to a copy of itself
//! (every path set once, none dotted): it is kept as a [`Node::Raw`] handle
//! on the input instead of being rebuilt leaf by leaf, and the intersection
//! reads it in place. Most of an event's objects are such; the fold's cost
//! was mostly the rebuilding. (Tested equal to the rebuilt form.)

use super::js::{dot_segments, has_dot, js_strict_equal, lodash_intersection};
use super::source_fields::MAX_SOURCE_DEPTH;
use super::AlertError;
use rustc_hash::FxHashSet;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Deepest path (in segments) Kibana's flattening is allowed here.
const MAX_PATH: usize = MAX_SOURCE_DEPTH * 4;

/// Top-level keys a caller knows to be irrelevant to an intersection.
pub(crate) type Skip = fn(&str) -> bool;

/// `objectArrayIntersection`: the first object alone, or the pairwise fold.
/// Top-level keys for which `skip` holds are left out of the pairs (a single
/// object is returned whole); the caller vouches that their leaves share no
/// path with other leaves and that it overwrites whatever they would give.
///
/// Kibana folds `objectPairIntersection` over the objects, flattening and
/// rebuilding the running result at every step. Here the first object is
/// normalized, the others are read group by group
/// ([`Normalized::intersect_object`]) and the fold runs on the trees; the
/// running result keeps
/// what its rebuilt form would give: the paths it would write flat (dotted
/// in both inputs) and, through [`Normalized::drop_skipped`], the keys `skip`
/// would drop when it is read again. The pairwise fold is kept in the tests
/// as the reference.
pub(crate) fn object_array_intersection<'a>(
    objects: impl IntoIterator<Item = &'a Map<String, Value>>,
    skip: Skip,
) -> Result<Option<Map<String, Value>>, AlertError> {
    let mut objects = objects.into_iter();
    let Some(first) = objects.next() else {
        return Ok(None);
    };
    let Some(second) = objects.next() else {
        return Ok(Some(first.clone()));
    };
    let mut acc = Normalized::of(first, skip)?.intersect_object(second, skip)?;
    for object in objects {
        if acc.tree.is_empty() {
            return Ok(None);
        }
        acc.drop_skipped(skip);
        acc = acc.intersect_object(object, skip)?;
    }
    Ok((!acc.tree.is_empty()).then(|| acc.into_map()))
}

/// `objectPairIntersection`; `None` when nothing is shared.
pub(crate) fn object_pair_intersection(
    a: &Map<String, Value>,
    b: &Map<String, Value>,
) -> Result<Option<Map<String, Value>>, AlertError> {
    object_array_intersection([a, b], |_| false)
}

/// A node of a normalized (nested-only) tree over borrowed leaves (owned
/// where an intersection made a new array). `dotted`: the node's path had a
/// leaf under a dotted key (Kibana's `dotted` set holds the path; a later
/// object or leaf there does not take it out); for an intersection, the leaf
/// is written flat.
#[derive(Debug)]
enum Node<'a> {
    Leaf {
        value: Cow<'a, Value>,
        dotted: bool,
    },
    Object {
        tree: Tree<'a>,
        dotted: bool,
    },
    /// An object that normalizes to itself (see the module docs): the
    /// `Object` [`Node::materialized`] gives, not built unless needed.
    Raw(&'a Map<String, Value>),
}

impl<'a> Node<'a> {
    fn dotted(&self) -> bool {
        match self {
            Node::Leaf { dotted, .. } | Node::Object { dotted, .. } => *dotted,
            Node::Raw(_) => false,
        }
    }

    /// A `Raw` node as the `Object` normalizing its map leaf by leaf gives
    /// (its own objects left raw: equal to their normalized form); other
    /// nodes as they are.
    fn materialized(self) -> Node<'a> {
        match self {
            Node::Raw(map) => Node::Object {
                tree: raw_tree(map),
                dotted: false,
            },
            node => node,
        }
    }
}

/// A node put in place while another is taken out.
fn placeholder<'a>() -> Node<'a> {
    Node::Leaf {
        value: Cow::Owned(Value::Null),
        dotted: false,
    }
}

/// The normalized tree of a map that [`is_raw`] accepts: its own structure,
/// one level (its objects, raw too, stay [`Node::Raw`] until a walk needs
/// their nodes).
fn raw_tree(map: &Map<String, Value>) -> Tree<'_> {
    map.iter()
        .map(|(key, value)| {
            let node = match value {
                Value::Object(inner) => Node::Raw(inner),
                value => Node::Leaf {
                    value: Cow::Borrowed(value),
                    dotted: false,
                },
            };
            (key.as_str(), node)
        })
        .collect()
}

/// True when intersecting raw `a` with raw `b` gives `a` itself: equal maps
/// whose arrays hold distinct primitives only (lodash's intersection of an
/// array with itself drops repeated items and objects; equal primitives
/// are strictly equal).
fn intersects_as_itself(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    a == b && a.values().all(kept_whole)
}

/// A value that, met by an equal one, is kept as it is.
fn kept_whole(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.values().all(kept_whole),
        Value::Array(items) => items.iter().enumerate().all(|(i, item)| {
            !item.is_object()
                && !item.is_array()
                && !items[..i].iter().any(|seen| js_strict_equal(item, seen))
        }),
        _ => true,
    }
}

/// True when `map` (visited at path length `depth`) normalizes to itself:
/// no dotted key and no empty object anywhere inside (an empty object sets
/// no leaf, so leaves no node), and not deeper than [`Normalized::visit`]
/// accepts (so that it still reports the error).
fn is_raw(map: &Map<String, Value>, depth: usize) -> bool {
    depth <= MAX_PATH
        && !map.is_empty()
        && map.iter().all(|(key, value)| {
            !has_dot(key)
                && match value {
                    Value::Object(inner) => is_raw(inner, depth + 1),
                    _ => true,
                }
        })
}

/// The other side of an intersection: a normalized tree, a raw map, the
/// keys of a [`flat_leaves`] group that share their first `usize` bytes (a
/// path ending with a dot), or a raw map and such keys beside it, none
/// under one of its keys (a block's `event` object and its flat
/// `event.kind`).
#[derive(Clone, Copy)]
enum Side<'t, 'a> {
    Tree(&'t Tree<'a>),
    Raw(&'a Map<String, Value>),
    Flat(&'t [Entry<'a>], usize),
    Overlay(&'a Map<String, Value>, &'t [Entry<'a>], usize),
}

/// A top-level entry of an object: its key's first segment, the key, the
/// value.
type Entry<'a> = (&'a str, &'a str, &'a Value);

/// A normalized node as the other side of an intersection sees it.
fn item_of<'t, 'a>(node: &'t Node<'a>) -> Item<'t, 'a> {
    match node {
        Node::Leaf { value, dotted } => Item::Leaf(value.as_ref(), *dotted),
        Node::Object { tree, dotted } => Item::Object(Side::Tree(tree), *dotted),
        Node::Raw(map) => Item::Object(Side::Raw(map), false),
    }
}

/// True when a group of top-level entries (one first segment, in key
/// order) normalizes to the trie of its keys' segments with every value a
/// dotted leaf: every key dotted, no value an object, and no key's path
/// running through another's leaf. (Were `k.` a prefix of a later key, the
/// key right after `k` would start with `k`: checking neighbours is enough.)
fn flat_leaves(group: &[Entry<'_>]) -> bool {
    group
        .iter()
        .all(|&(first, key, value)| key.len() > first.len() && !value.is_object())
        && group.windows(2).all(|w| !w[1].1.starts_with(w[0].1))
}

/// A group that is a lone raw object under its first segment and
/// [`flat_leaves`] beside it, none of whose paths meets the object's
/// keys: it normalizes to the object's nodes and the leaves' trie side by
/// side (the leaves are set first, then the object's own, on other paths).
fn overlay<'t, 'a>(
    first: &str,
    group: &'t [Entry<'a>],
) -> Option<(&'a Map<String, Value>, &'t [Entry<'a>])> {
    let [(_, key, Value::Object(map)), rest @ ..] = group else {
        return None;
    };
    let apart = |e: &Entry<'a>| {
        let below = e.1.get(first.len() + 1..).unwrap_or("");
        !map.contains_key(dot_segments(below).next().unwrap_or(below))
    };
    (*key == first
        && !rest.is_empty()
        && flat_leaves(rest)
        && rest.iter().all(apart)
        && is_raw(map, 1))
    .then_some((map, rest))
}

/// The number of path segments of a key (`key.split('.')`).
fn segments(key: &str) -> usize {
    1 + key.bytes().filter(|&b| b == b'.').count()
}

/// True when normalizing `map`, whose path has `depth` segments, would
/// fail: some object in it (or itself) lies deeper than [`MAX_PATH`].
fn too_deep(map: &Map<String, Value>, depth: usize) -> bool {
    depth > MAX_PATH
        || map.iter().any(|(key, value)| match value {
            Value::Object(inner) => too_deep(inner, depth + segments(key)),
            _ => false,
        })
}

/// One entry of a [`Side`]: a leaf (with its dotted flag) or an object.
enum Item<'t, 'a> {
    Leaf(&'t Value, bool),
    Object(Side<'t, 'a>, bool),
}

impl<'t, 'a> Side<'t, 'a> {
    fn get(self, key: &str) -> Option<Item<'t, 'a>> {
        match self {
            Side::Tree(tree) => Some(item_of(tree.get(key)?)),
            Side::Raw(map) => Some(match map.get(key)? {
                Value::Object(inner) => Item::Object(Side::Raw(inner), false),
                value => Item::Leaf(value, false),
            }),
            Side::Flat(entries, offset) => flat_get(entries, offset, key),
            Side::Overlay(map, entries, offset) => match map.get(key) {
                Some(Value::Object(inner)) => Some(Item::Object(Side::Raw(inner), false)),
                Some(value) => Some(Item::Leaf(value, false)),
                None => flat_get(entries, offset, key),
            },
        }
    }
}

/// [`Side::get`] in a flat group: the leaf whose key is the prefix and
/// `key`, or the keys under the prefix, `key` and a dot.
fn flat_get<'t, 'a>(entries: &'t [Entry<'a>], offset: usize, key: &str) -> Option<Item<'t, 'a>> {
    let rest = |entry: &Entry<'a>| entry.1.get(offset..).unwrap_or("");
    let mut at = entries.partition_point(|e| rest(e) < key);
    // The keys from here that start with `key` are `key` itself, then
    // `key` and a byte below the dot (rare), then `key.…`.
    while let Some(entry) = entries.get(at) {
        let r = rest(entry);
        if r == key {
            return Some(Item::Leaf(entry.2, true));
        }
        if !r.starts_with(key) {
            return None;
        }
        if r.as_bytes().get(key.len()) == Some(&b'.') {
            break;
        }
        at += 1;
    }
    let under = entries.get(at..)?;
    let len = under
        .iter()
        .take_while(|e| {
            let r = rest(e);
            r.starts_with(key) && r.as_bytes().get(key.len()) == Some(&b'.')
        })
        .count();
    (len > 0).then(|| Item::Object(Side::Flat(&under[..len], offset + key.len() + 1), false))
}

impl<'t> Item<'t, '_> {
    fn dotted(&self) -> bool {
        match self {
            Item::Leaf(_, dotted) | Item::Object(_, dotted) => *dotted,
        }
    }

    /// A leaf holding an array ([`is_array`]).
    fn as_array_value(&self) -> bool {
        matches!(self, Item::Leaf(Value::Array(_), _))
    }

    /// As [`as_array`] sees it.
    fn as_array(&self) -> &'t [Value] {
        match self {
            Item::Leaf(Value::Array(items), _) => items,
            Item::Leaf(value, _) => std::slice::from_ref(*value),
            Item::Object(..) => &[],
        }
    }
}

type Tree<'a> = BTreeMap<&'a str, Node<'a>>;

/// An object in nested form; for an intersection, whether reading it again
/// would drop some flat leaf (see [`Normalized::drop_skipped`]).
struct Normalized<'a> {
    tree: Tree<'a>,
    flat_skipped: bool,
    /// Dotted paths whose node a later leaf replaced with its subtree (rare):
    /// a node made there again is dotted.
    lost: FxHashSet<String>,
    /// Whether [`Node::Raw`] nodes may be made.
    raw: bool,
}

impl<'a> Normalized<'a> {
    fn of(object: &'a Map<String, Value>, skip: Skip) -> Result<Normalized<'a>, AlertError> {
        Normalized::with(object, skip, true)
    }

    /// [`Normalized::of`]; `raw`: whether objects that normalize to
    /// themselves are kept as [`Node::Raw`] (the tests compare both forms).
    fn with(
        object: &'a Map<String, Value>,
        skip: Skip,
        raw: bool,
    ) -> Result<Normalized<'a>, AlertError> {
        let mut normalized = Normalized::empty(raw);
        normalized.visit_top(
            object
                .iter()
                .filter(|(key, _)| !skip(key))
                .map(|(key, value)| (key.as_str(), value)),
        )?;
        Ok(normalized)
    }

    fn empty(raw: bool) -> Normalized<'a> {
        Normalized {
            tree: Tree::new(),
            flat_skipped: false,
            lost: FxHashSet::default(),
            raw,
        }
    }

    /// Sets the leaves of a top-level object's `entries` (in key order, the
    /// ones kept) in Kibana's flattening order: its leaves, then its objects
    /// last key first.
    fn visit_top<I>(&mut self, entries: I) -> Result<(), AlertError>
    where
        I: DoubleEndedIterator<Item = (&'a str, &'a Value)> + Clone,
    {
        let mut prefix = Vec::new();
        for (key, value) in entries.clone() {
            if !value.is_object() {
                prefix.extend(dot_segments(key));
                self.set_leaf(&prefix, value, has_dot(key));
                prefix.clear();
            }
        }
        for (key, value) in entries.rev() {
            if let Value::Object(inner) = value {
                // A top-level key without a dot is the last one visited of
                // those that write under its first segment (the others are
                // `key.…`, after it in key order, or leaves, set first).
                if self.raw && !has_dot(key) && !self.tree.contains_key(key) && is_raw(inner, 1) {
                    self.tree.insert(key, Node::Raw(inner));
                    continue;
                }
                prefix.extend(dot_segments(key));
                self.visit(inner, &mut prefix)?;
                prefix.clear();
            }
        }
        Ok(())
    }

    /// Sets the leaves of `object`, an object below the top level at
    /// `prefix`, in Kibana's flattening order.
    fn visit(
        &mut self,
        object: &'a Map<String, Value>,
        prefix: &mut Vec<&'a str>,
    ) -> Result<(), AlertError> {
        if prefix.len() > MAX_PATH {
            return Err(AlertError::TooDeep);
        }
        let base = prefix.len();
        for (key, value) in object {
            if !value.is_object() {
                prefix.extend(dot_segments(key));
                self.set_leaf(prefix, value, has_dot(key));
                prefix.truncate(base);
            }
        }
        for (key, value) in object.iter().rev() {
            if let Value::Object(inner) = value {
                prefix.extend(dot_segments(key));
                self.visit(inner, prefix)?;
                prefix.truncate(base);
            }
        }
        Ok(())
    }

    /// The intersection of this normalized object (a running result) with
    /// `object`, as `self.intersect(&Normalized::of(object, skip)?, skip)`
    /// gives it, without normalizing all of `object`: its top-level entries
    /// are grouped by first segment (normalizing one group touches no other
    /// node), and only the groups this tree has a node for are read, each
    /// in the cheapest form equal to its normalized node: a lone key's
    /// value as it is (raw when [`is_raw`]), dotted leaves only as a
    /// [`Side::Flat`] (the `kibana.alert.original_*` copies), else the group
    /// normalized on its own. Whether normalizing would fail is checked on
    /// every group ([`too_deep`]), so the errors are the same.
    fn intersect_object(
        self,
        object: &'a Map<String, Value>,
        skip: Skip,
    ) -> Result<Normalized<'a>, AlertError> {
        let mut entries: Vec<Entry<'a>> = Vec::with_capacity(object.len());
        entries.extend(
            object
                .iter()
                .filter(|(key, _)| !skip(key))
                .map(|(key, value)| (dot_segments(key).next().unwrap_or(key), key.as_str(), value)),
        );
        // Keys are sorted, so their first segments nearly are (`a-b` comes
        // between `a` and `a.c`); the sort is stable: keys stay in order.
        if !entries.is_sorted_by(|x, y| x.0 <= y.0) {
            entries.sort_by(|x, y| x.0.cmp(y.0));
        }
        let deep = |&(_, key, value): &Entry<'a>| match value {
            Value::Object(inner) => too_deep(inner, segments(key)),
            _ => false,
        };
        if entries.iter().any(deep) {
            return Err(AlertError::TooDeep);
        }
        let mut cx = Intersect {
            path: Vec::new(),
            skip,
            flat_skipped: false,
        };
        let mut tree = self.tree;
        let mut failed = None;
        let mut next = 0;
        tree.retain(|&first, a_node| {
            next += entries[next..].partition_point(|e| e.0 < first);
            let len = entries[next..].iter().take_while(|e| e.0 == first).count();
            let group = &entries[next..next + len];
            if group.is_empty() || failed.is_some() {
                return false;
            }
            cx.path.push(first);
            let kept = cx.group(a_node, first, group).unwrap_or_else(|e| {
                failed = Some(e);
                false
            });
            cx.path.pop();
            kept
        });
        if let Some(e) = failed {
            return Err(e);
        }
        Ok(Normalized {
            tree,
            flat_skipped: cx.flat_skipped,
            lost: FxHashSet::default(),
            raw: self.raw,
        })
    }

    /// The intersection of two normalized objects: its tree, whose common
    /// leaves dotted in both are marked to be written flat
    /// (`applyNotationPreference`). (The fold uses
    /// [`Normalized::intersect_object`]; this is its reference.)
    #[cfg(test)]
    fn intersect(self, other: &Normalized<'a>, skip: Skip) -> Result<Normalized<'a>, AlertError> {
        let mut cx = Intersect {
            path: Vec::new(),
            skip,
            flat_skipped: false,
        };
        let mut tree = self.tree;
        cx.trees(&mut tree, Side::Tree(&other.tree))?;
        Ok(Normalized {
            tree,
            flat_skipped: cx.flat_skipped,
            lost: FxHashSet::default(),
            raw: self.raw,
        })
    }

    /// lodash `set` of a leaf along `path`, replacing non-object
    /// intermediates; a path once dotted stays so.
    fn set_leaf(&mut self, path: &[&'a str], leaf: &'a Value, dotted: bool) {
        let Some((last, parents)) = path.split_last() else {
            return;
        };
        let lost = &mut self.lost;
        let was_lost = |depth: usize, lost: &FxHashSet<String>| {
            !lost.is_empty() && lost.contains(&path[..=depth].join("."))
        };
        let mut current = &mut self.tree;
        for (depth, segment) in parents.iter().enumerate() {
            let slot = current.entry(segment).or_insert_with(|| Node::Object {
                tree: Tree::new(),
                dotted: was_lost(depth, lost),
            });
            if let Node::Leaf { dotted, .. } = slot {
                *slot = Node::Object {
                    tree: Tree::new(),
                    dotted: *dotted,
                };
            }
            if let Node::Raw(_) = slot {
                let raw = std::mem::replace(slot, placeholder());
                *slot = raw.materialized();
            }
            let Node::Object { tree: next, .. } = slot else {
                return;
            };
            current = next;
        }
        let dotted = match current.get(last) {
            Some(Node::Leaf { dotted: was, .. }) => dotted || *was,
            Some(Node::Object { tree, dotted: was }) => {
                let mut at = path.join(".");
                remember_dotted(tree, &mut at, lost);
                dotted || *was
            }
            // No node inside a raw object is dotted.
            Some(Node::Raw(_)) => dotted,
            None => dotted || was_lost(parents.len(), lost),
        };
        current.insert(
            last,
            Node::Leaf {
                value: Cow::Borrowed(leaf),
                dotted,
            },
        );
    }

    /// What reading the intersection again (as Kibana's next pair does) drops:
    /// the top-level keys `skip` holds for, a flat leaf's key being its whole
    /// path, a nested leaf's its first segment.
    fn drop_skipped(&mut self, skip: Skip) {
        if !self.flat_skipped && !self.tree.keys().any(|k| skip(k)) {
            return;
        }
        self.tree.retain(|key, node| {
            let nested_dropped = skip(key);
            let mut path = (*key).to_string();
            let drop = |path: &str, flat: bool| if flat { skip(path) } else { nested_dropped };
            keep_leaves(node, &mut path, &drop)
        });
        self.flat_skipped = false;
    }

    /// The nested object, with the flat leaves under their whole path.
    fn into_map(self) -> Map<String, Value> {
        let mut flat = Vec::new();
        let mut path = String::new();
        let mut result = with_notation(self.tree, &mut path, true, &mut flat);
        result.extend(flat);
        result
    }
}

/// Keeps the leaves of `node` (at `path`) that `drop` spares (given the path
/// and whether the leaf is flat); false when nothing is left.
fn keep_leaves(node: &mut Node<'_>, path: &mut String, drop: &dyn Fn(&str, bool) -> bool) -> bool {
    if let Node::Raw(_) = node {
        let raw = std::mem::replace(node, placeholder());
        *node = raw.materialized();
    }
    match node {
        Node::Leaf { dotted, .. } => !drop(path, *dotted),
        Node::Raw(_) => true,
        Node::Object { tree, .. } => {
            tree.retain(|key, child| {
                let len = path.len();
                path.push('.');
                path.push_str(key);
                let kept = keep_leaves(child, path, drop);
                path.truncate(len);
                kept
            });
            !tree.is_empty()
        }
    }
}

/// Adds the dotted paths of `tree` (at `path`) to `lost`.
fn remember_dotted(tree: &Tree<'_>, path: &mut String, lost: &mut FxHashSet<String>) {
    for (key, node) in tree {
        let len = path.len();
        path.push('.');
        path.push_str(key);
        if node.dotted() {
            lost.insert(path.clone());
        }
        // A raw object holds no dotted node.
        if let Node::Object { tree, .. } = node {
            remember_dotted(tree, path, lost);
        }
        path.truncate(len);
    }
}

/// One intersection of two trees: the path walked, and whether a leaf it
/// writes flat has a path `skip` holds for.
struct Intersect<'a> {
    path: Vec<&'a str>,
    skip: Skip,
    flat_skipped: bool,
}

impl<'a> Intersect<'a> {
    /// Narrows `a` to what it shares with `b` (equal primitives kept; the
    /// lodash intersection when either side is an array; objects recursed,
    /// empty ones pruned), in place: the running result of a fold is mostly
    /// kept from one object to the next, so it is not rebuilt.
    fn trees(&mut self, a: &mut Tree<'a>, b: Side<'_, 'a>) -> Result<(), AlertError> {
        if self.path.len() > MAX_PATH {
            return Err(AlertError::TooDeep);
        }
        let mut failed = None;
        a.retain(|key, a_node| {
            let Some(b_item) = b.get(key) else {
                return false;
            };
            if failed.is_some() {
                return false;
            }
            self.path.push(key);
            let kept = self.node(a_node, b_item).unwrap_or_else(|e| {
                failed = Some(e);
                false
            });
            self.path.pop();
            kept
        });
        failed.map_or(Ok(()), Err)
    }

    /// Narrows the top-level node `a_node` (at `first`) to what it shares
    /// with the normalized node of `group`, the entries of the other object
    /// under `first` (see [`Normalized::intersect_object`]).
    fn group(
        &mut self,
        a_node: &mut Node<'a>,
        first: &'a str,
        group: &[Entry<'a>],
    ) -> Result<bool, AlertError> {
        if let [(_, key, value)] = group {
            if *key == first {
                match value {
                    Value::Object(inner) if is_raw(inner, 1) => {
                        return self.node(a_node, Item::Object(Side::Raw(inner), false));
                    }
                    Value::Object(_) => {}
                    leaf => return self.node(a_node, Item::Leaf(leaf, false)),
                }
            }
        }
        let offset = first.len() + 1;
        if flat_leaves(group) {
            return self.node(a_node, Item::Object(Side::Flat(group, offset), false));
        }
        if let Some((map, rest)) = overlay(first, group) {
            let side = Side::Overlay(map, rest, offset);
            return self.node(a_node, Item::Object(side, false));
        }
        let mut normalized = Normalized::empty(true);
        normalized.visit_top(group.iter().map(|&(_, key, value)| (key, value)))?;
        match normalized.tree.get(first) {
            Some(node) => self.node(a_node, item_of(node)),
            None => Ok(false),
        }
    }

    /// Narrows one node of `a` to what it shares with `b`'s at the same
    /// path; false when nothing is shared.
    fn node(&mut self, a_node: &mut Node<'a>, b_item: Item<'_, 'a>) -> Result<bool, AlertError> {
        if let (Node::Raw(a), Item::Object(Side::Raw(b), _)) = (&*a_node, &b_item) {
            // Events of one sequence share most objects (host, user, agent…):
            // an equal one is kept whole, without walking it node by node.
            if intersects_as_itself(a, b) {
                return Ok(true);
            }
        }
        if let Node::Raw(_) = a_node {
            let raw = std::mem::replace(a_node, placeholder());
            *a_node = raw.materialized();
        }
        let both_dotted = a_node.dotted() && b_item.dotted();
        match (a_node, b_item) {
            (Node::Object { tree, dotted }, Item::Object(b_inner, _)) => {
                self.trees(tree, b_inner)?;
                *dotted = false;
                Ok(!tree.is_empty())
            }
            (Node::Leaf { value, dotted }, Item::Leaf(y, _)) if js_strict_equal(value, y) => {
                *dotted = both_dotted;
                self.leaf(both_dotted);
                Ok(true)
            }
            (a_node, b_item) if is_array(a_node) || b_item.as_array_value() => {
                if let Node::Leaf { value, dotted } = a_node {
                    if matches!(value.as_ref(), Value::Array(items) if intersects_to_itself(items, b_item.as_array()))
                    {
                        // The intersection would be a copy of the array.
                        *dotted = both_dotted;
                        self.leaf(both_dotted);
                        return Ok(true);
                    }
                }
                let common = lodash_intersection(as_array(a_node), b_item.as_array());
                *a_node = Node::Leaf {
                    value: Cow::Owned(Value::Array(common)),
                    dotted: both_dotted,
                };
                self.leaf(both_dotted);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Notes a common leaf at the current path, flat when dotted in both
    /// inputs.
    fn leaf(&mut self, dotted: bool) {
        if dotted && !self.flat_skipped {
            self.flat_skipped = (self.skip)(&self.path.join("."));
        }
    }
}

/// True when `_.intersection(items, other)` is `items` itself: distinct
/// items, each strictly equal to one of `other` (objects and arrays never
/// are).
fn intersects_to_itself(items: &[Value], other: &[Value]) -> bool {
    items.iter().enumerate().all(|(i, item)| {
        other.iter().any(|o| js_strict_equal(item, o))
            && !items[..i].iter().any(|seen| js_strict_equal(item, seen))
    })
}

fn is_array(node: &Node<'_>) -> bool {
    matches!(node, Node::Leaf { value, .. } if value.is_array())
}

/// A node as lodash sees it in `intersection`: an array's items, a primitive
/// alone; an object never equals anything, so it contributes nothing.
fn as_array<'n>(node: &'n Node<'_>) -> &'n [Value] {
    match node {
        Node::Leaf { value, .. } => match value.as_ref() {
            Value::Array(items) => items,
            value => std::slice::from_ref(value),
        },
        Node::Object { .. } | Node::Raw(_) => &[],
    }
}

/// `applyNotationPreference`: the common tree's leaves nested, except those
/// dotted in both inputs, which go to `flat` under their whole path. The
/// tree's keys hold no dots, so flat and nested keys never meet.
fn with_notation(
    tree: Tree<'_>,
    path: &mut String,
    top_level: bool,
    flat: &mut Vec<(String, Value)>,
) -> Map<String, Value> {
    let mut nested = Map::new();
    for (key, node) in tree {
        let len = path.len();
        if !top_level {
            path.push('.');
        }
        path.push_str(key);
        match node {
            Node::Object { tree: inner, .. } => {
                let inner = with_notation(inner, path, false, flat);
                if !inner.is_empty() {
                    nested.insert(key.to_string(), Value::Object(inner));
                }
            }
            // Non-empty, nothing dotted inside: nested as it is.
            Node::Raw(map) => {
                nested.insert(key.to_string(), Value::Object(map.clone()));
            }
            Node::Leaf {
                value,
                dotted: true,
            } => flat.push((path.clone(), value.into_owned())),
            Node::Leaf { value, .. } => {
                nested.insert(key.to_string(), value.into_owned());
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

    /// Kibana's fold: each pair's result flattened and rebuilt for the next,
    /// every object normalized leaf by leaf (no [`Node::Raw`] shortcut).
    fn pairwise(objects: &[Map<String, Value>], skip: Skip) -> Option<Map<String, Value>> {
        let pair = |a: &Map<String, Value>, b: &Map<String, Value>| {
            let common = Normalized::with(a, skip, false)
                .unwrap()
                .intersect(&Normalized::with(b, skip, false).unwrap(), skip)
                .unwrap();
            (!common.tree.is_empty()).then(|| common.into_map())
        };
        let (first, rest) = objects.split_first()?;
        let Some((second, rest)) = rest.split_first() else {
            return Some(first.clone());
        };
        let mut acc = pair(first, second);
        for object in rest {
            acc = pair(&acc?, object);
        }
        acc
    }

    fn objects(values: &[Value]) -> Vec<Map<String, Value>> {
        values
            .iter()
            .map(|v| v.as_object().unwrap().clone())
            .collect()
    }

    fn kibana_keys(key: &str) -> bool {
        key == "@timestamp" || key.starts_with("kibana.")
    }

    #[test]
    fn the_tree_fold_gives_the_pairwise_fold() {
        let cases: Vec<Vec<Value>> = vec![
            // Notations mixed across the fold; a flat leaf stays flat only
            // while every object so far had it dotted.
            vec![
                json!({"user.id": "u", "a.b": 1, "c": {"d": 2}}),
                json!({"user.id": "u", "a": {"b": 1}, "c.d": 2}),
                json!({"user.id": "u", "a.b": 1, "c.d": 2}),
            ],
            // Conflicting notations inside one object (a later leaf wins).
            vec![
                json!({"a": 1, "a.b": 2, "x": {"y.z": 3}}),
                json!({"a": {"b": 2}, "x.y": {"z": 3}}),
                json!({"a.b": 2, "x": {"y": {"z": 3}}}),
            ],
            // Arrays meet objects and primitives; empty intersections stay.
            vec![
                json!({"a": [1, 2], "b": {"c": 1}, "d": [1]}),
                json!({"a": {"x": 1}, "b": [1], "d": 1}),
                json!({"a": [], "b": [1], "d": [1, 2]}),
                json!({"a": [3], "b": [2], "d": [1]}),
            ],
            // Keys the caller skips, at the top and once written flat again.
            vec![
                json!({"kibana": {"alert.rule.x": 1}, "@timestamp.x": 2, "k": 3}),
                json!({"kibana": {"alert.rule.x": 1}, "@timestamp.x": 2, "k": 3}),
                json!({"kibana.alert.rule.x": 1, "@timestamp": {"x": 2}, "k": 3}),
            ],
            vec![
                json!({"kibana": {"alert.rule.x": 1}, "k": 3}),
                json!({"kibana": {"alert.rule.x": 1}, "k": 3}),
                json!({"kibana": {"alert.rule.x": 1}, "k": 3}),
            ],
            // A dotted leaf replaced by an object (only leaves written flat
            // count as dotted for the next pair), which then meets an array.
            vec![
                json!({"a.b": 1, "a": {"b": {"c": 2}}}),
                json!({"a.b": 1, "a": {"b": {"c": 2}}}),
                json!({"a.b": [2]}),
            ],
            // Nothing shared part way through.
            vec![json!({"a": 1}), json!({"a": 2}), json!({"a": 2})],
        ];
        for case in &cases {
            let objects = objects(case);
            for skip in [kibana_keys as Skip, |_: &str| false] {
                for n in 0..=objects.len() {
                    assert_eq!(
                        object_array_intersection(&objects[..n], skip).unwrap(),
                        pairwise(&objects[..n], skip),
                        "{case:?} ({n} objects)"
                    );
                }
            }
        }
    }

    /// xorshift: random objects without a dependency.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }

        /// Keys that nest into each other in both notations, and keys the
        /// shell skips.
        fn object(&mut self, depth: u32) -> Map<String, Value> {
            const KEYS: &[&str] = &[
                "a",
                "b",
                "c",
                "a.b",
                "b.a",
                "a.c",
                "b.c",
                "a.b.c",
                "a.b.c.d",
                "b.c.a",
                "kibana",
                "kibana.x",
                "kibana.alert.original_event.x",
                "@timestamp",
                "@timestamp.x",
            ];
            let mut m = Map::new();
            for _ in 0..self.below(5) {
                let key = KEYS[self.below(KEYS.len() as u64) as usize];
                let value = match self.below(if depth > 2 { 4 } else { 6 }) {
                    0 => json!(self.below(3)),
                    1 => json!(format!("s{}", self.below(2))),
                    2 => Value::Null,
                    3 => Value::Array((0..self.below(3)).map(|_| json!(self.below(3))).collect()),
                    _ => Value::Object(self.object(depth + 1)),
                };
                m.insert(key.to_string(), value);
            }
            m
        }
    }

    #[test]
    fn the_tree_fold_gives_the_pairwise_fold_on_random_objects() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut shared = 0;
        for _ in 0..20_000 {
            let base = rng.object(0);
            let n = 1 + rng.below(5) as usize;
            let objects: Vec<Map<String, Value>> = (0..n)
                .map(|_| {
                    let mut o = base.clone();
                    if rng.below(2) == 0 {
                        o.extend(rng.object(0));
                    }
                    o
                })
                .collect();
            for skip in [kibana_keys as Skip, |_: &str| false] {
                let folded = object_array_intersection(&objects, skip).unwrap();
                assert_eq!(folded, pairwise(&objects, skip), "{objects:?}");
                shared += usize::from(folded.is_some());
            }
        }
        assert!(shared > 20_000, "{shared}");
    }

    #[test]
    fn the_tree_fold_gives_the_pairwise_fold_on_real_events() {
        // Integration documents, each file's in order (neighbours share
        // most fields), as sequences of 2 to 8 events.
        let mut events: Vec<Map<String, Value>> = Vec::new();
        for name in ["endpoint", "system", "windows_sysmon", "auditd_manager"] {
            let path = testkit::corpus().join(format!("events/{name}.ndjson"));
            let text = std::fs::read_to_string(path).unwrap();
            events.extend(text.lines().filter_map(|l| serde_json::from_str(l).ok()));
        }
        assert!(events.len() > 20);
        let mut compared = 0;
        for start in 0..events.len() {
            for n in [2, 3, 5, 8] {
                let Some(group) = events.get(start..start + n) else {
                    continue;
                };
                assert_eq!(
                    object_array_intersection(group, kibana_keys).unwrap(),
                    pairwise(group, kibana_keys),
                );
                compared += 1;
            }
        }
        assert!(compared > 60);
    }

    /// Objects without dotted keys (where the shortcut applies most) meet
    /// objects with them, empty objects, arrays and primitives at the same
    /// paths; and the shortcut is taken.
    #[test]
    fn raw_objects_intersect_as_rebuilt_ones() {
        let cases = [
            json!({"a": {"b": 1, "c": {"d": [1, 2]}}, "e": 1}),
            json!({"a": {"b": 1, "c": {"d": [2, 3]}}, "e": {"f": 1}}),
            json!({"a": {"b": 1, "c": {}}, "e": [1]}),
            json!({"a": {"b": 1, "c": {"d": 2}}, "a.b": 1}),
            json!({"a": {"b": [1], "c": {"d": {"x": 1}}}, "e": {}}),
            json!({"a": {"b": {"x": 1}, "c": 1}}),
            json!({"a": {"b.x": 1, "c": {"d": 2}}, "e": 1}),
            json!({"a": [{"b": 1}], "e": {"f": 1}}),
        ];
        let all = objects(&cases);
        let mut raw_made = 0;
        for a in &all {
            raw_made += Normalized::of(a, |_| false)
                .unwrap()
                .tree
                .values()
                .filter(|n| matches!(n, Node::Raw(_)))
                .count();
            for b in &all {
                for c in &all {
                    let group = [a.clone(), b.clone(), c.clone()];
                    for n in 1..=3 {
                        assert_eq!(
                            object_array_intersection(&group[..n], |_| false).unwrap(),
                            pairwise(&group[..n], |_| false),
                            "{:?}",
                            &group[..n]
                        );
                    }
                }
            }
        }
        assert!(raw_made >= 6, "{raw_made}");
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

    /// Objects shaped like a sequence's building blocks: groups of dotted
    /// leaves only (read as [`Side::Flat`]), with keys that run through
    /// another's leaf, bytes below the dot after a segment (`a-b`, between
    /// `a` and `a.b`), empty segments, a lone object next to dotted keys
    /// under its segment, and keys the caller skips. The lazy fold equals
    /// Kibana's pairwise one, and each read form is taken.
    #[test]
    fn the_lazy_fold_gives_the_pairwise_fold_on_block_like_objects() {
        const KEYS: &[&str] = &[
            "a", "a.b", "a.c", "a-b", "a.b-c", "a.b.c", "a.", "a..b", "k.x.y", "k.x.z", "k.w",
            "k.x-y", "k.x", "k.w.v", "b", "b.c", "e", "a.p", "e.f", "e.g.h",
        ];
        fn skip(key: &str) -> bool {
            key.starts_with("k.w")
        }
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let value = |rng: &mut Rng| match rng.below(5) {
            0 => json!(rng.below(2)),
            1 => json!(["x", "y", rng.below(2)]),
            2 => json!(["y", "x"]),
            3 => Value::Null,
            _ => json!({"p": rng.below(2), "q": ["x"]}),
        };
        let (mut flat, mut raw, mut over, mut grouped) = (0, 0, 0, 0);
        for _ in 0..20_000 {
            let mut base = Map::new();
            for _ in 0..1 + rng.below(6) {
                let key = KEYS[rng.below(KEYS.len() as u64) as usize];
                base.insert(key.to_string(), value(&mut rng));
            }
            let n = 2 + rng.below(4) as usize;
            let objects: Vec<Map<String, Value>> = (0..n)
                .map(|_| {
                    let mut o = base.clone();
                    for _ in 0..rng.below(3) {
                        let key = KEYS[rng.below(KEYS.len() as u64) as usize];
                        o.insert(key.to_string(), value(&mut rng));
                    }
                    o
                })
                .collect();
            assert_eq!(
                object_array_intersection(&objects, skip).unwrap(),
                pairwise(&objects, skip),
                "{objects:?}"
            );
            let mut entries: Vec<Entry<'_>> = objects[1]
                .iter()
                .filter(|(k, _)| !skip(k))
                .map(|(k, v)| (dot_segments(k).next().unwrap(), k.as_str(), v))
                .collect();
            entries.sort_by(|x, y| x.0.cmp(y.0));
            for group in entries.chunk_by(|x, y| x.0 == y.0) {
                match group {
                    [(first, key, Value::Object(m))] if first == key && is_raw(m, 1) => raw += 1,
                    _ if flat_leaves(group) => flat += 1,
                    _ if overlay(group[0].0, group).is_some() => over += 1,
                    _ => grouped += 1,
                }
            }
        }
        assert!(
            flat > 2_000 && raw > 2_000 && over > 300 && grouped > 2_000,
            "{flat} {raw} {over} {grouped}"
        );
    }

    /// A group nested too deep fails the fold even where the running
    /// result has no node for it (the whole object was normalized).
    #[test]
    fn a_too_deep_object_fails_the_lazy_fold() {
        let mut deep = json!(1);
        for _ in 0..MAX_PATH + 1 {
            deep = json!({ "d": deep });
        }
        let shallow = json!({"a": 1, "z": 2});
        let mut third = json!({"a": 1});
        third["deep"] = deep.clone();
        let dotted = json!({"a": 1, "x.y": {"z": deep}});
        for last in [third, dotted] {
            let objects = objects(&[shallow.clone(), json!({"a": 1}), last.clone()]);
            assert!(matches!(
                object_array_intersection(&objects, |_| false),
                Err(AlertError::TooDeep)
            ));
            let first = objects[0].clone();
            assert!(Normalized::of(&objects[2], |_| false).is_err());
            assert!(Normalized::of(&first, |_| false).is_ok());
        }
        let fine = objects(&[shallow.clone(), json!({"a": 1, "deep": {"d": 1}})]);
        assert_eq!(
            object_array_intersection(&fine, |_| false).unwrap(),
            Some(json!({"a": 1}).as_object().unwrap().clone())
        );
    }

    #[test]
    fn arrays_kept_whole_by_an_intersection() {
        let x = |v: Value| v.as_array().unwrap().clone();
        assert!(intersects_to_itself(
            &x(json!([1, "a"])),
            &x(json!(["a", 2, 1.0]))
        ));
        assert!(!intersects_to_itself(&x(json!([1, 1])), &x(json!([1]))));
        assert!(!intersects_to_itself(
            &x(json!([{"a": 1}])),
            &x(json!([{"a": 1}]))
        ));
        assert!(!intersects_to_itself(&x(json!([1, 2])), &x(json!([1]))));
        assert!(intersects_to_itself(&[], &x(json!([1]))));
    }
}
