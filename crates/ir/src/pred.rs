//! Predicates with Elasticsearch query-DSL semantics (two-valued).

use crate::expr::Expr;
use event::regex::LuceneRegex;
use event::wildcard::Pattern;
use event::{FieldId, FieldType, Number};

/// A field as a comparison sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRef {
    /// The document path holding the values (an alias or multi-field resolves
    /// to its source path).
    pub id: FieldId,
    /// The name as written in the query (messages, output).
    pub name: String,
    /// The type this comparison uses: for a `text` field compared exactly, the
    /// type of its keyword sub-field.
    pub ty: FieldType,
    /// Keyword values longer than this are not indexed and never match a term.
    pub ignore_above: Option<u32>,
}

/// Two-valued predicate (a query).
#[derive(Debug, Clone, PartialEq)]
pub enum Pred {
    Const(bool),
    And(Vec<Pred>),
    Or(Vec<Pred>),
    /// `bool.must_not`: true whenever the inner predicate is not true, including
    /// when its field is missing.
    Not(Box<Pred>),
    /// A term-level test on one field: true iff some value of the field passes.
    Field(FieldTest),
    /// A script: true iff the expression evaluates to `true` (null and false do not match).
    Script(Expr),
}

impl Pred {
    pub fn and(mut preds: Vec<Pred>) -> Pred {
        match preds.len() {
            0 => Pred::Const(true),
            1 => preds.pop().unwrap_or(Pred::Const(true)),
            _ => Pred::And(preds),
        }
    }

    pub fn or(mut preds: Vec<Pred>) -> Pred {
        match preds.len() {
            0 => Pred::Const(false),
            1 => preds.pop().unwrap_or(Pred::Const(false)),
            _ => Pred::Or(preds),
        }
    }

    #[allow(clippy::should_implement_trait)]
    pub fn not(p: Pred) -> Pred {
        match p {
            Pred::Const(b) => Pred::Const(!b),
            Pred::Not(inner) => *inner,
            p => Pred::Not(Box::new(p)),
        }
    }

    pub fn field(field: FieldRef, test: Test) -> Pred {
        Pred::Field(FieldTest { field, test })
    }

    /// Visits every field test and script in the tree.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Pred)) {
        f(self);
        match self {
            Pred::And(ps) | Pred::Or(ps) => ps.iter().for_each(|p| p.walk(f)),
            Pred::Not(p) => p.walk(f),
            _ => {}
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldTest {
    pub field: FieldRef,
    pub test: Test,
}

/// What a value of the field must satisfy. Values are compared through the
/// field type's view (`event::Value::keyword`, `number`, `ip`, `date_nanos`).
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// The field has a non-null value (`exists`).
    Exists,
    /// String terms (keyword view), exact or case-insensitive.
    Terms {
        values: Vec<String>,
        case_insensitive: bool,
    },
    /// Wildcard patterns (case sensitivity is in each pattern).
    Wildcards(Vec<Pattern>),
    /// Anchored Lucene regular expressions.
    Regexes(Vec<LuceneRegex>),
    /// Numeric equality with any of these (numeric view; integer fields truncate).
    Numbers(Vec<Number>),
    /// Boolean equality.
    Bool(bool),
    /// IP addresses or CIDR blocks (a single address is a /32 or /128).
    IpNets(Vec<ipnet::IpNet>),
    /// A range; bounds typed by the field (numbers, dates, IPs, strings).
    Range {
        lower: Option<RangeBound>,
        upper: Option<RangeBound>,
    },
    /// Analysed-text matching (standard analyser tokens).
    Text { tokens: Vec<String>, mode: TextMode },
}

/// How analysed query tokens match a text field's tokens.
#[derive(Debug, Clone, PartialEq)]
pub enum TextMode {
    /// `match`: any query token is a token of the value.
    AnyToken,
    /// `match_phrase`: the tokens appear in order, adjacent.
    Phrase,
    /// A wildcard against single tokens (query_string on a text field).
    TokenWildcard(Pattern),
}

#[derive(Debug, Clone, PartialEq)]
pub struct RangeBound {
    pub value: RangeValue,
    pub inclusive: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RangeValue {
    Number(Number),
    /// Epoch nanoseconds.
    Date(i64),
    /// 16-byte IP form (IPv4 mapped), see `event::value::ip_key`.
    Ip(u128),
    /// Byte-wise string order (keyword ranges).
    Str(String),
}
