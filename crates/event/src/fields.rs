//! Field paths interned to dense [`FieldId`]s.
//!
//! The registry is filled while queries are bound (every field any rule reads,
//! plus the timestamp, category and routing fields), then frozen and shared by
//! all event parsers. The parser stores only registered paths: a document's other
//! fields are skipped without being materialised, which is what makes parsing
//! cost proportional to what the rules read.

use crate::paths::PathTable;
use rustc_hash::FxHashMap;
use std::sync::OnceLock;

/// A dense id for a document path (`process.name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldId(pub u32);

impl FieldId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// What a path is to the parser: a field to store, a prefix of fields to store
/// (an object to descend into), or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PathNode {
    pub field: Option<FieldId>,
    pub is_prefix: bool,
}

/// Path → id table, with every dot-prefix of a registered path marked.
#[derive(Debug, Clone, Default)]
pub struct FieldRegistry {
    names: Vec<Box<str>>,
    nodes: FxHashMap<Box<str>, PathNode>,
    /// The paths compiled for the JSON scanner, built on first parse and
    /// dropped whenever a path is added.
    table: OnceLock<PathTable>,
}

impl FieldRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// The id of `path`, registering it (and its prefixes) on first use.
    pub fn intern(&mut self, path: &str) -> FieldId {
        if let Some(PathNode {
            field: Some(id), ..
        }) = self.nodes.get(path)
        {
            return *id;
        }
        let id = FieldId(self.names.len() as u32);
        self.table = OnceLock::new();
        self.names.push(path.into());
        self.nodes.entry(path.into()).or_default().field = Some(id);
        for (i, _) in path.match_indices('.') {
            self.nodes.entry(path[..i].into()).or_default().is_prefix = true;
        }
        id
    }

    pub fn get(&self, path: &str) -> Option<FieldId> {
        self.nodes.get(path).and_then(|n| n.field)
    }

    pub fn node(&self, path: &str) -> Option<PathNode> {
        self.nodes.get(path).copied()
    }

    /// Every node (registered path or dot-prefix of one), in a stable order.
    pub(crate) fn node_paths(&self) -> Vec<(&str, PathNode)> {
        let mut paths: Vec<(&str, PathNode)> =
            self.nodes.iter().map(|(p, n)| (p.as_ref(), *n)).collect();
        paths.sort_unstable_by(|a, b| a.0.cmp(b.0));
        paths
    }

    /// The compiled path table the scanner looks keys up in.
    pub(crate) fn path_table(&self) -> &PathTable {
        self.table.get_or_init(|| PathTable::build(self))
    }

    pub fn name(&self, id: FieldId) -> &str {
        &self.names[id.index()]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (FieldId, &str)> {
        self.names
            .iter()
            .enumerate()
            .map(|(i, n)| (FieldId(i as u32), n.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_marked() {
        let mut r = FieldRegistry::new();
        let a = r.intern("process.parent.name");
        assert_eq!(r.intern("process.parent.name"), a);
        assert_eq!(
            r.node("process"),
            Some(PathNode {
                field: None,
                is_prefix: true
            })
        );
        assert_eq!(
            r.node("process.parent"),
            Some(PathNode {
                field: None,
                is_prefix: true
            })
        );
        let p = r.intern("process");
        assert_eq!(
            r.node("process"),
            Some(PathNode {
                field: Some(p),
                is_prefix: true
            })
        );
        assert_eq!(r.name(a), "process.parent.name");
        assert_eq!(r.get("process.name"), None);
    }
}
