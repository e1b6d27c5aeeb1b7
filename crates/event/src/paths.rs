//! The registry's paths compiled for the scanner: one hash probe per JSON key.
//!
//! The reference parser builds the path of every key as a string (`parent.key`,
//! or `key` when the parent path is empty) and looks it up in the registry. This
//! table answers the same question — "which registered node is `join(parent,
//! key)`?" — without building the string: it is keyed by `(context, key bytes)`,
//! where the context is the node of the parent path. A key may itself hold dots
//! (`{"process":{"parent.name":…}}`), so there is one entry for every node and
//! every dot-prefix of its path (plus the empty path): `process` + `parent.name`,
//! `process.parent` + `name` and the root + `process.parent.name` all reach
//! `process.parent.name`. Because the registry is prefix-closed (every
//! dot-prefix of a registered path is a node), a miss means that neither the
//! path nor anything below it is registered.

use crate::fields::{FieldId, FieldRegistry};

/// A node of the compiled table: what the parser does with a value at its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Node {
    /// The field to store the value in, if the path is registered.
    pub field: Option<FieldId>,
    /// Whether registered paths continue below (an object here is descended into).
    pub is_prefix: bool,
    /// The context in which this node's object keys are looked up.
    pub ctx: u32,
}

/// The context of the empty path: the document root (and the `_source` of a hit).
pub(crate) const ROOT_CTX: u32 = 0;

/// The node a search hit's `_source` is read with: nothing stored at it, all
/// registered paths below it.
pub(crate) const SOURCE_NODE: Node = Node {
    field: None,
    is_prefix: true,
    ctx: ROOT_CTX,
};

#[derive(Debug, Clone, Copy)]
struct Slot {
    hash: u64,
    ctx: u32,
    node: u32,
    key_start: u32,
    key_len: u32,
}

const EMPTY: u32 = u32::MAX;

/// `(context, key)` → node, open addressing with linear probing.
#[derive(Debug, Clone)]
pub(crate) struct PathTable {
    /// Node 0 is the root context; lookups never return it.
    nodes: Vec<Node>,
    slots: Vec<Slot>,
    mask: usize,
    keys: Vec<u8>,
}

impl PathTable {
    pub(crate) fn build(registry: &FieldRegistry) -> PathTable {
        let paths = registry.node_paths();
        let mut nodes = vec![SOURCE_NODE];
        let mut ids = rustc_hash::FxHashMap::default();
        for (path, node) in &paths {
            let id = nodes.len() as u32;
            nodes.push(Node {
                field: node.field,
                is_prefix: node.is_prefix,
                ctx: if path.is_empty() { ROOT_CTX } else { id },
            });
            ids.insert(*path, id);
        }
        let mut entries = Vec::new();
        for (path, _) in &paths {
            let id = ids[path];
            entries.push((ROOT_CTX, path.as_bytes(), id));
            for (i, _) in path.match_indices('.') {
                let parent = &path[..i];
                // An empty dot-prefix is the root context, already entered above.
                if !parent.is_empty() {
                    entries.push((ids[parent], &path.as_bytes()[i + 1..], id));
                }
            }
        }
        let size = (entries.len() * 2).next_power_of_two().max(16);
        let mut table = PathTable {
            nodes,
            slots: vec![
                Slot {
                    hash: 0,
                    ctx: 0,
                    node: EMPTY,
                    key_start: 0,
                    key_len: 0,
                };
                size
            ],
            mask: size - 1,
            keys: Vec::new(),
        };
        for (ctx, key, node) in entries {
            table.insert(ctx, key, node);
        }
        table
    }

    fn insert(&mut self, ctx: u32, key: &[u8], node: u32) {
        let hash = key_hash(ctx, key);
        let mut i = hash as usize & self.mask;
        while self.slots[i].node != EMPTY {
            i = (i + 1) & self.mask;
        }
        self.slots[i] = Slot {
            hash,
            ctx,
            node,
            key_start: self.keys.len() as u32,
            key_len: key.len() as u32,
        };
        self.keys.extend_from_slice(key);
    }

    /// The node at `join(ctx's path, key)`, if registered.
    #[inline]
    pub(crate) fn child(&self, ctx: u32, key: &[u8]) -> Option<Node> {
        let hash = key_hash(ctx, key);
        let mut i = hash as usize & self.mask;
        loop {
            let slot = &self.slots[i];
            if slot.node == EMPTY {
                return None;
            }
            if slot.hash == hash && slot.ctx == ctx && self.key_of(slot) == key {
                return self.nodes.get(slot.node as usize).copied();
            }
            i = (i + 1) & self.mask;
        }
    }

    fn key_of(&self, slot: &Slot) -> &[u8] {
        let start = slot.key_start as usize;
        &self.keys[start..start + slot.key_len as usize]
    }
}

/// A hash of `(ctx, key)` reading at most 16 bytes of the key (its first and
/// last eight); collisions are settled by comparing the key.
#[inline]
fn key_hash(ctx: u32, key: &[u8]) -> u64 {
    const K0: u64 = 0x9E37_79B9_7F4A_7C15;
    const K1: u64 = 0xC2B2_AE3D_27D4_EB4F;
    let len = key.len();
    let (head, tail) = if len >= 8 {
        (load8(&key[..8]), load8(&key[len - 8..]))
    } else if len >= 4 {
        (load4(&key[..4]), load4(&key[len - 4..]))
    } else {
        let mut v = 0u64;
        for &b in key {
            v = (v << 8) | u64::from(b);
        }
        (v, 0)
    };
    let a = (head ^ (u64::from(ctx) << 32 | len as u64)).wrapping_mul(K0);
    let b = (tail ^ a.rotate_left(29)).wrapping_mul(K1);
    b ^ (b >> 31)
}

#[inline]
fn load8(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    buf.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(buf)
}

#[inline]
fn load4(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 4];
    buf.copy_from_slice(&bytes[..4]);
    u64::from(u32::from_le_bytes(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(paths: &[&str]) -> (FieldRegistry, PathTable) {
        let mut r = FieldRegistry::new();
        for p in paths {
            r.intern(p);
        }
        let t = PathTable::build(&r);
        (r, t)
    }

    fn walk(t: &PathTable, keys: &[&str]) -> Option<Node> {
        let mut ctx = ROOT_CTX;
        let mut node = None;
        for k in keys {
            let n = t.child(ctx, k.as_bytes())?;
            ctx = n.ctx;
            node = Some(n);
        }
        node
    }

    #[test]
    fn dotted_keys_at_any_level_reach_the_same_node() {
        let (r, t) = table(&["process.parent.name", "process.pid"]);
        let id = r.get("process.parent.name");
        for keys in [
            &["process", "parent", "name"][..],
            &["process.parent", "name"],
            &["process", "parent.name"],
            &["process.parent.name"],
        ] {
            assert_eq!(walk(&t, keys).and_then(|n| n.field), id, "{keys:?}");
        }
        let process = walk(&t, &["process"]).unwrap();
        assert_eq!((process.field, process.is_prefix), (None, true));
        assert_eq!(walk(&t, &["process", "parent.nam"]), None);
        assert_eq!(walk(&t, &["process", "args"]), None);
        assert_eq!(walk(&t, &["parent"]), None);
    }

    #[test]
    fn the_empty_path_looks_up_its_children_at_the_root() {
        // The reference joins paths as `parent.key`, or `key` when the parent
        // path is empty: below an empty key, `a` is `a`, not `.a`.
        let (r, t) = table(&[".a", "a", ""]);
        let empty = walk(&t, &[""]).unwrap();
        assert_eq!(empty.field, r.get(""));
        assert!(empty.is_prefix);
        assert_eq!(empty.ctx, ROOT_CTX);
        assert_eq!(walk(&t, &["", "a"]).and_then(|n| n.field), r.get("a"));
        assert_eq!(walk(&t, &[".a"]).and_then(|n| n.field), r.get(".a"));
    }

    #[test]
    fn many_paths_all_resolve() {
        let names: Vec<String> = (0..2000)
            .map(|i| format!("f{}.g{}.h{i}", i % 7, i % 13))
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let (r, t) = table(&refs);
        for n in &names {
            let segs: Vec<&str> = n.split('.').collect();
            assert_eq!(walk(&t, &segs).and_then(|n| n.field), r.get(n), "{n}");
        }
        assert_eq!(walk(&t, &["f1", "g1", "h2001"]), None);
    }
}
