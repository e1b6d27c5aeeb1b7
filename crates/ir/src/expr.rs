//! Expressions with EQL script semantics: values may be `null`, and `null`
//! propagates through comparisons, arithmetic, functions and `not`.

use crate::pred::FieldRef;
use event::regex::LuceneRegex;
use event::wildcard::Pattern;

/// A runtime value of an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    Long(i64),
    Double(f64),
    Str(String),
}

impl Val {
    pub fn is_null(&self) -> bool {
        matches!(self, Val::Null)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// EQL functions (Elasticsearch dialect). `~` variants set `case_insensitive`
/// on [`Expr::Call`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    Add,
    Between,
    CidrMatch,
    Concat,
    Divide,
    EndsWith,
    IndexOf,
    Length,
    Modulo,
    Multiply,
    Number,
    StartsWith,
    String,
    StringContains,
    Substring,
    Subtract,
}

impl Function {
    /// Looks up an EQL function name (case-sensitive, as Elasticsearch).
    pub fn from_name(name: &str) -> Option<Function> {
        use Function::*;
        Some(match name {
            "add" => Add,
            "between" => Between,
            "cidrMatch" => CidrMatch,
            "concat" => Concat,
            "divide" => Divide,
            "endsWith" => EndsWith,
            "indexOf" => IndexOf,
            "length" => Length,
            "modulo" => Modulo,
            "multiply" => Multiply,
            "number" => Number,
            "startsWith" => StartsWith,
            "string" => String,
            "stringContains" => StringContains,
            "substring" => Substring,
            "subtract" => Subtract,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        use Function::*;
        match self {
            Add => "add",
            Between => "between",
            CidrMatch => "cidrMatch",
            Concat => "concat",
            Divide => "divide",
            EndsWith => "endsWith",
            IndexOf => "indexOf",
            Length => "length",
            Modulo => "modulo",
            Multiply => "multiply",
            Number => "number",
            StartsWith => "startsWith",
            String => "string",
            StringContains => "stringContains",
            Substring => "substring",
            Subtract => "subtract",
        }
    }

    /// Whether the function has a `~` (case-insensitive) form.
    pub fn has_insensitive_form(self) -> bool {
        use Function::*;
        matches!(
            self,
            Between | EndsWith | IndexOf | StartsWith | StringContains
        )
    }
}

/// A script expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(Val),
    Field(FieldRef),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Compare {
        op: CmpOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `value in (…)` / `in~`: equality with any list element.
    In {
        value: Box<Expr>,
        list: Vec<Expr>,
        case_insensitive: bool,
    },
    /// `:` with a non-constant side, `like`, `like~`: wildcard match with any pattern.
    Like {
        value: Box<Expr>,
        patterns: Vec<Pattern>,
    },
    /// `regex`, `regex~`: match with any regular expression.
    Regex {
        value: Box<Expr>,
        regexes: Vec<LuceneRegex>,
    },
    Arith {
        op: ArithOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Neg(Box<Expr>),
    Call {
        func: Function,
        case_insensitive: bool,
        args: Vec<Expr>,
    },
    /// `IsNull`: true when the value is null, false otherwise (never null).
    /// EQL `expr == null` on a non-field expression; `IsNotNull` is `Not(IsNull)`.
    IsNull(Box<Expr>),
}

impl Expr {
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::And(xs) | Expr::Or(xs) => xs.iter().for_each(|x| x.walk(f)),
            Expr::Not(x) | Expr::Neg(x) | Expr::IsNull(x) => x.walk(f),
            Expr::Compare { left, right, .. } | Expr::Arith { left, right, .. } => {
                left.walk(f);
                right.walk(f);
            }
            Expr::In { value, list, .. } => {
                value.walk(f);
                list.iter().for_each(|x| x.walk(f));
            }
            Expr::Like { value, .. } | Expr::Regex { value, .. } => value.walk(f),
            Expr::Call { args, .. } => args.iter().for_each(|x| x.walk(f)),
            Expr::Literal(_) | Expr::Field(_) => {}
        }
    }
}
