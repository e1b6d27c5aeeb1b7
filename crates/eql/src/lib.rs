//! `eql` owns the Event Query Language front end (Elasticsearch dialect): lexer,
//! parser, spanned AST, printer, diagnostics with stable codes, and lowering to
//! `ir`.
//!
//! ```
//! use event::{FieldRegistry, Schema};
//! let schema = Schema::ecs();
//! let mut registry = FieldRegistry::new();
//! let mut binder = ir::Binder::new(&schema, &mut registry);
//! let lowered = eql::compile(r#"process where process.name : "cmd.exe""#, &mut binder, &eql::EqlOptions::default()).unwrap();
//! assert!(lowered.warnings.is_empty());
//! ```
//!
//! - [`parse`] gives an [`ast::Query`] (or every lexical error / the first
//!   syntax error), [`printer::query`] its canonical text;
//! - [`lower`] binds fields and functions, type-checks, applies Elasticsearch's
//!   optimizer rules and translates each condition into query-DSL predicates
//!   and scripts exactly where Elasticsearch does (see [`lower`]'s module docs);
//!   it returns the plan with its warnings ([`Lowered`]);
//! - [`compile`] is both;
//! - [`codes`] lists every diagnostic code; diagnostics render with
//!   [`diag::render_terminal`].

pub mod ast;
pub mod codes;
mod fold;
pub mod lexer;
mod lower;
pub mod parser;
pub mod printer;

pub use lower::Lowered;
pub use parser::{parse, MAX_DEPTH};

/// Settings of an EQL search that change how a query lowers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EqlOptions {
    /// The field `process where …` compares with `"process"` (Elasticsearch's
    /// `event_category_field`).
    pub event_category_field: String,
    /// The field events are ordered by (`timestamp_field`).
    pub timestamp_field: String,
    /// The second ordering field (`tiebreaker_field`).
    pub tiebreaker_field: Option<String>,
    /// Optional fields (`?name`) the searched indices do not map at all: as in
    /// Elasticsearch, such a field is the constant `null` (its analyzer
    /// replaces an unresolved optional field with a null literal), which the
    /// optimizer then folds (`?x == ?y` is `null == null`, i.e. true).
    pub unmapped_optional_fields: Vec<String>,
}

impl Default for EqlOptions {
    fn default() -> Self {
        EqlOptions {
            event_category_field: "event.category".to_string(),
            timestamp_field: "@timestamp".to_string(),
            tiebreaker_field: None,
            unmapped_optional_fields: Vec::new(),
        }
    }
}

/// Lowers a parsed query to an [`ir::QueryPlan`]. Errors come back as
/// [`diag::Diagnostics`] (with any warnings after them); on success the
/// warnings are in [`Lowered::warnings`].
pub fn lower(
    query: &ast::Query,
    binder: &mut ir::Binder<'_>,
    opts: &EqlOptions,
) -> Result<Lowered, diag::Diagnostics> {
    lower::lower(query, binder, opts)
}

/// [`parse`] then [`lower`].
pub fn compile(
    text: &str,
    binder: &mut ir::Binder<'_>,
    opts: &EqlOptions,
) -> Result<Lowered, diag::Diagnostics> {
    let query = parse(text)?;
    lower(&query, binder, opts)
}
