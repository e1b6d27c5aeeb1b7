//! The spanned KQL syntax tree, as Kibana's grammar (`grammar.peggy`) builds it,
//! with value lists kept as written (`field:(a or b)`) rather than distributed,
//! and explicit parentheses kept as [`Expr::Group`] so the printer round-trips.
//!
//! Spans are byte ranges into the parsed text.

use diag::Span;

/// A parsed KQL query. `root` is `None` for an empty (or whitespace-only)
/// query, which Kibana turns into `match_all`.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub root: Option<Expr>,
    pub span: Span,
}

/// A query expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `a or b or c` (two or more items).
    Or { items: Vec<Expr>, span: Span },
    /// `a and b and c` (two or more items).
    And { items: Vec<Expr>, span: Span },
    /// `not a`: Elasticsearch `bool.must_not`.
    Not { inner: Box<Expr>, span: Span },
    /// `( … )`.
    Group { inner: Box<Expr>, span: Span },
    /// `field: values`.
    Field {
        field: Literal,
        values: Values,
        span: Span,
    },
    /// `field < value` (and `<=`, `>`, `>=`).
    Range {
        field: Literal,
        op: RangeOp,
        value: Literal,
        span: Span,
    },
    /// `path: { query }`: a nested query; field names inside are relative to `path`.
    Nested {
        path: Literal,
        query: Box<Expr>,
        span: Span,
    },
    /// A value without a field (free text).
    Free { value: Literal, span: Span },
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Or { span, .. }
            | Expr::And { span, .. }
            | Expr::Not { span, .. }
            | Expr::Group { span, .. }
            | Expr::Field { span, .. }
            | Expr::Range { span, .. }
            | Expr::Nested { span, .. }
            | Expr::Free { span, .. } => *span,
        }
    }
}

/// The value side of `field: …`: one value or a boolean list of values.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    Or { items: Vec<Values>, span: Span },
    And { items: Vec<Values>, span: Span },
    Not { inner: Box<Values>, span: Span },
    Group { inner: Box<Values>, span: Span },
    One(Literal),
}

impl Values {
    pub fn span(&self) -> Span {
        match self {
            Values::Or { span, .. }
            | Values::And { span, .. }
            | Values::Not { span, .. }
            | Values::Group { span, .. } => *span,
            Values::One(lit) => lit.span,
        }
    }
}

/// The comparison of a range expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeOp {
    Lt,
    Lte,
    Gt,
    Gte,
}

impl RangeOp {
    pub fn as_str(self) -> &'static str {
        match self {
            RangeOp::Lt => "<",
            RangeOp::Lte => "<=",
            RangeOp::Gt => ">",
            RangeOp::Gte => ">=",
        }
    }
}

/// A field name or value as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    pub value: LiteralValue,
    /// Written in double quotes (a phrase on text fields; never a wildcard).
    pub quoted: bool,
    /// The literal's text in the query (unquoted literals without the
    /// whitespace Kibana trims).
    pub span: Span,
}

/// What a literal denotes after unescaping. Unquoted `null`, `true` and
/// `false` become JSON values in Kibana's AST; an unquoted literal with an
/// unescaped `*` is a wildcard.
#[derive(Debug, Clone, PartialEq)]
pub enum LiteralValue {
    Str(String),
    Wildcard(Vec<WildPart>),
    Null,
    Bool(bool),
}

/// A piece of a wildcard literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WildPart {
    Lit(String),
    /// An unescaped `*`.
    Star,
}

impl Literal {
    /// The text a field name or value stands for (`*` for stars).
    pub fn text(&self) -> String {
        match &self.value {
            LiteralValue::Str(s) => s.clone(),
            LiteralValue::Wildcard(parts) => parts
                .iter()
                .map(|p| match p {
                    WildPart::Lit(s) => s.as_str(),
                    WildPart::Star => "*",
                })
                .collect(),
            LiteralValue::Null => "null".to_string(),
            LiteralValue::Bool(b) => b.to_string(),
        }
    }

    /// True for a lone unescaped `*` (exists / match-all).
    pub fn is_lone_star(&self) -> bool {
        matches!(&self.value, LiteralValue::Wildcard(parts) if parts == &[WildPart::Star])
    }
}
