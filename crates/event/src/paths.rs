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
//!
//! The scanner asks through a [`Memo`] of its own: documents repeat their keys,
//! and a remembered answer (found or not) is one comparison.

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

/// A key as the table compares it: its length and its first and last eight
/// bytes (zero-padded when shorter), which identify keys of up to 16 bytes;
/// longer ones are also compared byte for byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyWords {
    head: u64,
    tail: u64,
    len: usize,
}

impl KeyWords {
    /// The words of `bytes[start..end]`, reading past `end` when that saves work
    /// (the bytes there are masked off).
    ///
    /// Without a branch on the key's length (which mispredicted on about one
    /// key in ten): both words are loaded (the tail word from before `start`
    /// for a short key) and masked by [`HEAD_MASKS`] and [`TAIL_MASKS`]. The
    /// masks are read from tables, not computed from a comparison, which the
    /// compiler would turn back into a branch.
    #[inline(always)]
    pub(crate) fn of(bytes: &[u8], start: usize, end: usize) -> KeyWords {
        let len = end - start;
        let tail_at = end.saturating_sub(8);
        let (head, tail) = match (bytes.get(start..start + 8), bytes.get(tail_at..tail_at + 8)) {
            (Some(first), Some(last)) => {
                let masks = len.min(8);
                (
                    load8(first) & HEAD_MASKS[masks],
                    load8(last) & TAIL_MASKS[masks],
                )
            }
            // Fewer than eight bytes from `start` to the end of the input:
            // a short key.
            _ => (short_head(bytes.get(start..end).unwrap_or_default()), 0),
        };
        KeyWords { head, tail, len }
    }

    #[inline(always)]
    fn hash(&self, ctx: u32) -> u64 {
        const K0: u64 = 0x9E37_79B9_7F4A_7C15;
        const K1: u64 = 0xC2B2_AE3D_27D4_EB4F;
        let a = (self.head ^ (u64::from(ctx) << 32 | self.len as u64)).wrapping_mul(K0);
        let b = (self.tail ^ a.rotate_left(29)).wrapping_mul(K1);
        b ^ (b >> 31)
    }
}

/// By key length (8 for 8 or more): the bits of a key's first word that are
/// its own bytes.
const HEAD_MASKS: [u64; 9] = {
    let mut masks = [u64::MAX; 9];
    let mut len = 0;
    while len < 8 {
        masks[len] = (1u64 << (8 * len)) - 1;
        len += 1;
    }
    masks
};

/// By key length (8 for 8 or more): the bits of a key's last word that are
/// kept (none for a key shorter than eight bytes, whose tail word is zero).
const TAIL_MASKS: [u64; 9] = [0, 0, 0, 0, 0, 0, 0, 0, u64::MAX];

/// The first eight bytes of `bytes` (at least eight long) as a little-endian word.
#[inline(always)]
fn load8(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    if let Some(src) = bytes.get(..8) {
        word.copy_from_slice(src);
    }
    u64::from_le_bytes(word)
}

/// A key of fewer than eight bytes near the end of the input, zero-padded.
#[cold]
fn short_head(key: &[u8]) -> u64 {
    key.iter()
        .take(8)
        .enumerate()
        .fold(0, |head, (i, &b)| head | u64::from(b) << (8 * i))
}

/// One `(context, key)` → node entry.
#[derive(Debug, Clone, Copy)]
struct Entry {
    head: u64,
    tail: u64,
    /// `ctx << 32 | key length`.
    ctx_len: u64,
    /// The node's field (`NO_FIELD` if none) and context (`NOT_PREFIX` if not a prefix).
    field: u32,
    ctx: u32,
    /// Where the key is in `keys` (compared for keys longer than 16 bytes).
    key_start: u32,
}

const NO_FIELD: u32 = u32::MAX;
const NOT_PREFIX: u32 = u32::MAX;

/// `(context, key)` → node: an open-addressing index (linear probing) of
/// 32-bit slots, each a few bits of the hash (a tag) and an entry number, so
/// that a probe reads 4 bytes and only a likely match reads its entry. The
/// index of a few thousand entries fits the L1 cache.
#[derive(Debug, Clone)]
pub(crate) struct PathTable {
    /// 0 = free; else the hash's high bits under `tag_mask` and `entry + 1`
    /// below it.
    slots: Vec<u32>,
    mask: usize,
    /// The slot bits that hold a tag (those above the entry number's bits).
    tag_mask: u32,
    entries: Vec<Entry>,
    keys: Vec<u8>,
    /// Unique to this table (a [`Memo`] of another table must not be used).
    id: u64,
}

impl PathTable {
    pub(crate) fn build(registry: &FieldRegistry) -> PathTable {
        let paths = registry.node_paths();
        // Contexts are numbered from 1 (0 is the root); the empty path's
        // children are looked up at the root, as the reference joins `""` and
        // `key` into `key`.
        let mut ctx_of = rustc_hash::FxHashMap::default();
        for (i, (path, _)) in paths.iter().enumerate() {
            let ctx = if path.is_empty() {
                ROOT_CTX
            } else {
                i as u32 + 1
            };
            ctx_of.insert(*path, ctx);
        }
        let mut pending = Vec::new();
        for (path, node) in &paths {
            let node = Node {
                field: node.field,
                is_prefix: node.is_prefix,
                ctx: ctx_of[path],
            };
            pending.push((ROOT_CTX, path.as_bytes(), node));
            for (i, _) in path.match_indices('.') {
                let parent = &path[..i];
                // An empty dot-prefix is the root context, already entered above.
                if !parent.is_empty() {
                    pending.push((ctx_of[parent], &path.as_bytes()[i + 1..], node));
                }
            }
        }
        let size = (pending.len() * 2).next_power_of_two().max(16);
        let entry_bits = (usize::BITS - pending.len().leading_zeros()).max(1);
        let mut table = PathTable {
            slots: vec![0; size],
            mask: size - 1,
            tag_mask: u32::MAX.checked_shl(entry_bits).unwrap_or(0),
            entries: Vec::with_capacity(pending.len()),
            keys: Vec::new(),
            id: NEXT_TABLE_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        };
        for (ctx, key, node) in pending {
            table.insert(ctx, key, node);
        }
        table
    }

    fn insert(&mut self, ctx: u32, key: &[u8], node: Node) {
        let words = KeyWords::of(key, 0, key.len());
        let hash = words.hash(ctx);
        let mut i = hash as usize & self.mask;
        while self.slots[i] != 0 {
            i = (i + 1) & self.mask;
        }
        let entry = self.entries.len() as u32;
        self.slots[i] = self.tag(hash) | (entry + 1);
        self.entries.push(Entry {
            head: words.head,
            tail: words.tail,
            ctx_len: u64::from(ctx) << 32 | key.len() as u64,
            field: node.field.map_or(NO_FIELD, |f| f.0),
            ctx: if node.is_prefix { node.ctx } else { NOT_PREFIX },
            key_start: self.keys.len() as u32,
        });
        self.keys.extend_from_slice(key);
    }

    /// The high bits of `hash` above the entry number's bits.
    #[inline(always)]
    fn tag(&self, hash: u64) -> u32 {
        (hash >> 32) as u32 & self.tag_mask
    }

    /// The node at `join(ctx's path, key)`, if registered; `key` is
    /// `bytes[start..end]`.
    #[inline(always)]
    pub(crate) fn child(&self, ctx: u32, bytes: &[u8], start: usize, end: usize) -> Option<Node> {
        let words = KeyWords::of(bytes, start, end);
        self.find(ctx, &words, bytes, start, end)
    }

    /// Empties `memo` if it holds another table's answers: call it before
    /// [`Self::child_memo`] (once per document, not once per key).
    #[inline]
    pub(crate) fn prepare(&self, memo: &mut Memo) {
        if memo.table != self.id {
            memo.reset(self.id);
        }
    }

    /// [`Self::child`] through `memo`, which remembers the answers for recent
    /// keys: a document's keys mostly repeat the previous documents' keys, and
    /// a remembered answer costs one comparison where a lookup costs a hash and
    /// a probe. `memo` must have been [prepared](Self::prepare) for this table.
    #[inline(always)]
    pub(crate) fn child_memo(
        &self,
        memo: &mut Memo,
        ctx: u32,
        bytes: &[u8],
        start: usize,
        end: usize,
    ) -> Option<Node> {
        let words = KeyWords::of(bytes, start, end);
        debug_assert_eq!(memo.table, self.id, "a memo prepared for another table");
        let ctx_len = u64::from(ctx) << 32 | words.len as u64;
        let mixed = (words.head ^ ctx_len.rotate_left(17)).wrapping_mul(MEMO_K);
        let index = (mixed >> (64 - MEMO_SLOTS.trailing_zeros())) as usize;
        if let Some(known) = memo.slots.get_mut(index) {
            // One test, not three (each of which could mispredict).
            let differ =
                (known.head ^ words.head) | (known.tail ^ words.tail) | (known.ctx_len ^ ctx_len);
            if differ == 0 {
                return known.node.node();
            }
            // Long keys are not remembered: their words do not identify them.
            if words.len <= 16 {
                let node = self.find(ctx, &words, bytes, start, end);
                *known = Remembered {
                    head: words.head,
                    tail: words.tail,
                    ctx_len,
                    node: Packed::of(node),
                };
                return node;
            }
        }
        self.find(ctx, &words, bytes, start, end)
    }

    /// The lookup of [`Self::child`] once the key's words are read.
    #[inline(always)]
    fn find(
        &self,
        ctx: u32,
        words: &KeyWords,
        bytes: &[u8],
        start: usize,
        end: usize,
    ) -> Option<Node> {
        let hash = words.hash(ctx);
        let tag = self.tag(hash);
        let ctx_len = u64::from(ctx) << 32 | words.len as u64;
        let mut i = hash as usize;
        loop {
            let slot = *self.slots.get(i & self.mask)?;
            if slot == 0 {
                return None;
            }
            if slot & self.tag_mask == tag {
                let entry = self.entries.get((slot & !self.tag_mask) as usize - 1)?;
                let differ = (entry.head ^ words.head)
                    | (entry.tail ^ words.tail)
                    | (entry.ctx_len ^ ctx_len);
                if differ == 0
                    && (words.len <= 16 || self.long_key_matches(entry, bytes, start, end))
                {
                    return Packed {
                        field: entry.field,
                        ctx: entry.ctx,
                    }
                    .node();
                }
            }
            i = i.wrapping_add(1);
        }
    }

    #[cold]
    fn long_key_matches(&self, entry: &Entry, bytes: &[u8], start: usize, end: usize) -> bool {
        let key = bytes.get(start..end);
        let at = entry.key_start as usize;
        key.is_some() && self.keys.get(at..at + (end - start)) == key
    }
}

/// Source of [`PathTable`] ids.
static NEXT_TABLE_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

const MEMO_K: u64 = 0x9E37_79B9_7F4A_7C15;

/// Slots of a [`Memo`] (its index is the top 8 bits of a product): 8 KiB.
const MEMO_SLOTS: usize = 256;

/// A node as an entry stores it.
#[derive(Debug, Clone, Copy)]
struct Packed {
    /// `NO_FIELD` if none.
    field: u32,
    /// `NOT_PREFIX` if not a prefix; `NOT_FOUND` (with `field` `NO_FIELD`)
    /// for a key that is no node (no node has both: a node without a field
    /// is a prefix, and contexts are numbered from 0 by path).
    ctx: u32,
}

const NOT_FOUND: u32 = u32::MAX - 1;

impl Packed {
    #[inline(always)]
    fn of(node: Option<Node>) -> Packed {
        match node {
            Some(node) => Packed {
                field: node.field.map_or(NO_FIELD, |f| f.0),
                ctx: if node.is_prefix { node.ctx } else { NOT_PREFIX },
            },
            None => Packed {
                field: NO_FIELD,
                ctx: NOT_FOUND,
            },
        }
    }

    #[inline(always)]
    fn node(self) -> Option<Node> {
        if self.ctx == NOT_FOUND && self.field == NO_FIELD {
            return None;
        }
        Some(Node {
            field: (self.field != NO_FIELD).then_some(FieldId(self.field)),
            is_prefix: self.ctx != NOT_PREFIX,
            ctx: self.ctx,
        })
    }
}

/// One remembered `(context, key)` → node answer.
#[derive(Debug, Clone, Copy)]
struct Remembered {
    head: u64,
    tail: u64,
    ctx_len: u64,
    node: Packed,
}

/// Never equal to a key's `ctx_len` (no key is `u32::MAX` bytes long).
const FORGOTTEN: Remembered = Remembered {
    head: 0,
    tail: 0,
    ctx_len: u64::MAX,
    node: Packed {
        field: NO_FIELD,
        ctx: NOT_FOUND,
    },
};

/// Recent answers of one [`PathTable`] (see [`PathTable::child_memo`]), kept
/// by a parser across documents: a direct-mapped cache of keys of up to 16
/// bytes, found or not.
#[derive(Debug, Clone, Default)]
pub(crate) struct Memo {
    /// The id of the table the answers are from (0: none).
    table: u64,
    slots: Vec<Remembered>,
}

impl Memo {
    #[cold]
    fn reset(&mut self, table: u64) {
        self.table = table;
        self.slots.clear();
        self.slots.resize(MEMO_SLOTS, FORGOTTEN);
    }
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
            let n = t.child(ctx, k.as_bytes(), 0, k.len())?;
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
        assert!(!walk(&t, &["a"]).unwrap().is_prefix);
        assert_eq!(walk(&t, &["", "a"]).and_then(|n| n.field), r.get("a"));
        assert_eq!(walk(&t, &[".a"]).and_then(|n| n.field), r.get(".a"));
    }

    #[test]
    fn keys_of_every_length_are_told_apart() {
        // Keys sharing their first and last eight bytes, around the 8- and
        // 16-byte boundaries of the inline comparison.
        let base = "abcdefghijklmnopqrstuvwxyz0123456789";
        let mut names = Vec::new();
        for len in 0..=base.len() {
            names.push(base[..len].to_string());
            names.push(format!("{}X{}", &base[..len / 2], &base[len / 2..len]));
        }
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let (r, t) = table(&refs);
        for n in &names {
            assert_eq!(walk(&t, &[n]).and_then(|n| n.field), r.get(n), "{n}");
        }
        // Read from inside a longer buffer (the key's words read past its end).
        let text = b"xxabcdefgyyyyyyyyyyyy";
        let node = t.child(ROOT_CTX, text, 2, 9).and_then(|n| n.field);
        assert_eq!(node, r.get("abcdefg"));
        assert_eq!(t.child(ROOT_CTX, text, 2, 10), None);
    }

    #[test]
    fn key_words_depend_only_on_the_keys_bytes() {
        // Every key of every buffer of up to 40 bytes, read in place (the
        // bytes before and after it are loaded and must be masked off), gives
        // the words of the key alone: its first eight bytes zero-padded, and
        // its last eight when it has eight or more.
        let text: Vec<u8> = (0..40u8).map(|i| b'A' + i).collect();
        for size in 0..=text.len() {
            let bytes = &text[..size];
            for start in 0..=size {
                for end in start..=size {
                    let key = &bytes[start..end];
                    let mut head = [0u8; 8];
                    let n = key.len().min(8);
                    head[..n].copy_from_slice(&key[..n]);
                    let tail = match key.len().checked_sub(8) {
                        Some(at) => u64::from_le_bytes(key[at..].try_into().unwrap()),
                        None => 0,
                    };
                    let want = KeyWords {
                        head: u64::from_le_bytes(head),
                        tail,
                        len: key.len(),
                    };
                    assert_eq!(
                        KeyWords::of(bytes, start, end),
                        want,
                        "{size} {start}..{end}"
                    );
                }
            }
        }
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

    #[test]
    fn the_memo_answers_as_the_table_does() {
        // More keys than memo slots (so slots are overwritten), keys that are
        // nodes and keys that are not, short and long, in several contexts,
        // asked repeatedly; then a second table through the same memo.
        let names: Vec<String> = (0..600)
            .map(|i| format!("k{}.s{}.{}", i % 5, i % 11, "x".repeat(i % 23)))
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let (_, t) = table(&refs);
        let (_, other) = table(&["k0.s0", "k1", "xx"]);
        let mut keys: Vec<String> = vec!["".into(), "k0".into(), "k9".into()];
        for i in 0..30 {
            keys.push(format!("s{i}"));
            keys.push("x".repeat(i));
            keys.push(format!("s{}.{}", i % 11, "x".repeat(i)));
        }
        let mut memo = Memo::default();
        for round in 0..3 {
            for t in [&t, &other] {
                let contexts = [ROOT_CTX, walk(t, &["k0"]).map_or(7, |n| n.ctx), 3];
                t.prepare(&mut memo);
                for ctx in contexts {
                    for k in &keys {
                        let text = format!("{k}\":");
                        let want = t.child(ctx, text.as_bytes(), 0, k.len());
                        let got = t.child_memo(&mut memo, ctx, text.as_bytes(), 0, k.len());
                        assert_eq!(got, want, "round {round}, ctx {ctx}, key {k:?}");
                    }
                }
            }
        }
    }
}
