//! Binding field names to [`FieldRef`]s: the schema gives the type and the
//! document path, the registry gives the path an id the parser will fill.

use crate::pred::FieldRef;
use event::{FieldRegistry, FieldType, Resolved, Schema};

/// Resolves names while queries are lowered. One binder (and one registry) is
/// shared by every query of a rule set, so each path gets a single id.
pub struct Binder<'a> {
    pub schema: &'a Schema,
    pub registry: &'a mut FieldRegistry,
}

/// A bound field: the resolution (for type checks and diagnostics) and the
/// reference comparisons use.
#[derive(Debug, Clone)]
pub struct BoundField {
    pub resolved: Resolved,
    pub field: FieldRef,
}

impl<'a> Binder<'a> {
    pub fn new(schema: &'a Schema, registry: &'a mut FieldRegistry) -> Self {
        Binder { schema, registry }
    }

    /// Binds `name` with its own type.
    pub fn bind(&mut self, name: &str) -> BoundField {
        let resolved = self.schema.resolve(name);
        let id = self.registry.intern(&resolved.path);
        let field = FieldRef {
            id,
            name: name.to_string(),
            ty: resolved.ty,
            ignore_above: resolved.ignore_above,
        };
        BoundField { resolved, field }
    }

    /// Binds `name` for exact comparison: a `text` field with a keyword
    /// sub-field compares through the sub-field (as Elasticsearch's EQL does).
    pub fn bind_exact(&mut self, name: &str) -> BoundField {
        let mut bound = self.bind(name);
        if bound.resolved.ty.is_text() {
            if let Some(kw) = bound.resolved.keyword_subfield.as_deref() {
                bound.field.ty = kw.ty;
                bound.field.ignore_above = kw.ignore_above;
            }
        }
        bound
    }

    /// Registers a path the engine itself needs (timestamp, category, routing).
    pub fn bind_path(&mut self, path: &str, ty: FieldType) -> FieldRef {
        let id = self.registry.intern(path);
        FieldRef {
            id,
            name: path.to_string(),
            ty,
            ignore_above: None,
        }
    }
}
