//! `kql` owns the Kibana Query Language and Lucene query-string front ends, and
//! the Elasticsearch query-DSL `filters` of rules: parsing, diagnostics, lowering to `ir`.
//!
//! - [`parse`] / [`printer::print`]: KQL text ⇄ spanned [`ast::Query`];
//! - [`lower`]: a KQL query to an [`ir::Pred`] with Elasticsearch's semantics for
//!   each field type (module `semantics`); [`compile`] does both;
//! - [`lucene`]: Lucene query strings (`language = "lucene"`) to the same IR;
//! - [`filters`]: the query-DSL `filters` array of a rule;
//! - [`referenced_fields`]: the field names a query mentions (validation).
//!
//! Diagnostics carry stable codes listed in [`codes`].

pub mod ast;
pub mod codes;
pub mod filters;
mod lower;
pub mod lucene;
mod parser;
pub mod printer;
mod semantics;

pub use lower::lower_with_warnings;
pub use parser::parse;

use diag::Diagnostics;
use ir::{Binder, Pred};

/// Deepest nesting of parentheses / braces / boolean queries accepted.
pub const MAX_DEPTH: usize = 100;

/// How queries are lowered.
#[derive(Debug, Clone)]
pub struct KqlOptions {
    /// The current time (epoch nanoseconds) that date math (`now-1d`) uses.
    /// Fixed by the caller for determinism (a rule run's start time).
    pub now_nanos: i64,
    /// The fields free text searches: Elasticsearch's
    /// `index.query.default_field`, `["*"]` by default (every schema field of
    /// a searchable type). Patterns expand over the schema.
    pub default_fields: Vec<String>,
    /// Values that do not parse for a field's type match nothing instead of
    /// being errors (Elasticsearch's `lenient`). Off by default: Kibana sends
    /// KQL clauses on named fields without it, and Elasticsearch fails such a
    /// query (`destination.port:abc`: "failed to create query").
    pub lenient: bool,
}

impl Default for KqlOptions {
    fn default() -> Self {
        KqlOptions {
            now_nanos: 0,
            default_fields: vec!["*".to_string()],
            lenient: false,
        }
    }
}

impl KqlOptions {
    pub(crate) fn env(&self) -> semantics::Env {
        semantics::Env {
            now_nanos: self.now_nanos,
            lenient: self.lenient,
        }
    }
}

/// Lowers a parsed KQL query to a predicate (warnings are dropped; see
/// [`lower_with_warnings`]).
pub fn lower(
    query: &ast::Query,
    binder: &mut Binder<'_>,
    opts: &KqlOptions,
) -> Result<Pred, Diagnostics> {
    lower_with_warnings(query, binder, opts).map(|(p, _)| p)
}

/// Parses and lowers a KQL query.
pub fn compile(
    text: &str,
    binder: &mut Binder<'_>,
    opts: &KqlOptions,
) -> Result<Pred, Diagnostics> {
    lower(&parse(text)?, binder, opts)
}

/// Parses and lowers a KQL query, returning the warnings too.
pub fn compile_with_warnings(
    text: &str,
    binder: &mut Binder<'_>,
    opts: &KqlOptions,
) -> Result<(Pred, Diagnostics), Diagnostics> {
    lower_with_warnings(&parse(text)?, binder, opts)
}

/// The field names a query mentions, in order of first appearance, as written
/// (field-name patterns kept as patterns; fields inside a nested query with
/// their full path). Free text names no field.
pub fn referenced_fields(query: &ast::Query) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(root) = &query.root {
        collect_fields(root, None, &mut out);
    }
    out
}

fn collect_fields(e: &ast::Expr, prefix: Option<&str>, out: &mut Vec<String>) {
    use ast::Expr;
    let mut push = |lit: &ast::Literal| {
        if lit.is_lone_star() || matches!(lit.value, ast::LiteralValue::Null) {
            return;
        }
        let name = match prefix {
            Some(p) => format!("{p}.{}", lit.text()),
            None => lit.text(),
        };
        if !out.contains(&name) {
            out.push(name);
        }
    };
    match e {
        Expr::Or { items, .. } | Expr::And { items, .. } => {
            items.iter().for_each(|i| collect_fields(i, prefix, out))
        }
        Expr::Not { inner, .. } | Expr::Group { inner, .. } => collect_fields(inner, prefix, out),
        Expr::Field { field, .. } | Expr::Range { field, .. } => push(field),
        Expr::Nested { path, query, .. } => {
            push(path);
            let full = match prefix {
                Some(p) => format!("{p}.{}", path.text()),
                None => path.text(),
            };
            collect_fields(query, Some(&full), out);
        }
        Expr::Free { .. } => {}
    }
}
