//! The spanned EQL syntax tree, as written (before binding and folding).
//!
//! Spans are byte ranges into [`Query::text`]. `and`/`or` chains are n-ary
//! (`a and b and c` is one [`ExprKind::And`]); everything else mirrors the
//! grammar of Elasticsearch's `EqlBase.g4`.

use diag::Span;

/// A whole query: an event query, sequence or sample, and its pipes.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub body: Body,
    pub pipes: Vec<Pipe>,
    pub span: Span,
    /// The source text the spans point into.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Event(EventFilter),
    Sequence(Sequence),
    Sample(Sample),
}

/// `category where condition`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventFilter {
    pub category: Category,
    pub condition: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Category {
    /// `any`: no category condition.
    Any { span: Span },
    /// `process`, `"process"`, `"""my-category"""`.
    Named { name: String, span: Span },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sequence {
    /// `sequence by k1, k2`: keys shared by every stage.
    pub by: Vec<Expr>,
    pub maxspan: Option<MaxSpan>,
    pub stages: Vec<SequenceStage>,
    pub until: Option<SequenceStage>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Millis,
    Seconds,
    Minutes,
    Hours,
    Days,
}

impl TimeUnit {
    pub fn from_suffix(s: &str) -> Option<TimeUnit> {
        Some(match s {
            "ms" => TimeUnit::Millis,
            "s" => TimeUnit::Seconds,
            "m" => TimeUnit::Minutes,
            "h" => TimeUnit::Hours,
            "d" => TimeUnit::Days,
            _ => return None,
        })
    }

    pub fn suffix(self) -> &'static str {
        match self {
            TimeUnit::Millis => "ms",
            TimeUnit::Seconds => "s",
            TimeUnit::Minutes => "m",
            TimeUnit::Hours => "h",
            TimeUnit::Days => "d",
        }
    }

    pub fn nanos(self) -> i64 {
        match self {
            TimeUnit::Millis => 1_000_000,
            TimeUnit::Seconds => 1_000_000_000,
            TimeUnit::Minutes => 60_000_000_000,
            TimeUnit::Hours => 3_600_000_000_000,
            TimeUnit::Days => 86_400_000_000_000,
        }
    }
}

/// `with maxspan=5m`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaxSpan {
    pub amount: u64,
    pub unit: TimeUnit,
    pub span: Span,
}

impl MaxSpan {
    /// The span in nanoseconds (saturating).
    pub fn nanos(&self) -> i64 {
        i64::try_from(self.amount)
            .unwrap_or(i64::MAX)
            .saturating_mul(self.unit.nanos())
    }
}

/// `[filter] by keys with runs=N`, or `![filter] by keys` for a missing event.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceStage {
    pub filter: EventFilter,
    pub by: Vec<Expr>,
    pub missing: bool,
    /// `with runs=N` and the span of `N`.
    pub runs: Option<(u32, Span)>,
    pub span: Span,
}

impl SequenceStage {
    pub fn runs(&self) -> u32 {
        self.runs.map_or(1, |(n, _)| n)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub by: Vec<Expr>,
    pub stages: Vec<SampleStage>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SampleStage {
    pub filter: EventFilter,
    pub by: Vec<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PipeKind {
    Head,
    Tail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pipe {
    pub kind: PipeKind,
    pub count: u64,
    pub span: Span,
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

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::NotEq => "!=",
            CmpOp::Lt => "<",
            CmpOp::LtEq => "<=",
            CmpOp::Gt => ">",
            CmpOp::GtEq => ">=",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl ArithOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Mod => "%",
        }
    }
}

/// The pattern operators that take constants: `:`, `like`, `like~`, `regex`, `regex~`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchOp {
    /// `:` case-insensitive equality, `*`/`?` wildcards.
    Seq,
    Like,
    LikeCi,
    Regex,
    RegexCi,
}

impl MatchOp {
    pub fn symbol(self) -> &'static str {
        match self {
            MatchOp::Seq => ":",
            MatchOp::Like => "like",
            MatchOp::LikeCi => "like~",
            MatchOp::Regex => "regex",
            MatchOp::RegexCi => "regex~",
        }
    }
}

/// A field reference: `a.b`, `` `my field` ``, `?optional`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The identifiers as written (a backquoted one may contain dots).
    pub segments: Vec<String>,
    pub optional: bool,
}

impl Field {
    /// The field name Elasticsearch resolves (segments joined by `.`).
    pub fn name(&self) -> String {
        self.segments.join(".")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Long(i64),
    Double(f64),
    Str(String),
    Field(Field),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Compare {
        op: CmpOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Arith {
        op: ArithOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Neg(Box<Expr>),
    /// `value [not] in[~] (list)`.
    In {
        value: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
        case_insensitive: bool,
    },
    /// `value : "p"`, `value like~ ("a*", "b")`: patterns are constants.
    Match {
        value: Box<Expr>,
        op: MatchOp,
        patterns: Vec<Expr>,
    },
    /// `name(args)` or `name~(args)`.
    Call {
        name: String,
        name_span: Span,
        case_insensitive: bool,
        args: Vec<Expr>,
    },
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Self {
        Expr { kind, span }
    }

    pub fn is_literal(&self) -> bool {
        matches!(
            self.kind,
            ExprKind::Null
                | ExprKind::Bool(_)
                | ExprKind::Long(_)
                | ExprKind::Double(_)
                | ExprKind::Str(_)
        )
    }

    /// Direct children, in source order.
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::And(xs) | ExprKind::Or(xs) => xs.iter().collect(),
            ExprKind::Not(x) | ExprKind::Neg(x) => vec![x],
            ExprKind::Compare { left, right, .. } | ExprKind::Arith { left, right, .. } => {
                vec![left, right]
            }
            ExprKind::In { value, list, .. } => {
                std::iter::once(value.as_ref()).chain(list.iter()).collect()
            }
            ExprKind::Match {
                value, patterns, ..
            } => std::iter::once(value.as_ref())
                .chain(patterns.iter())
                .collect(),
            ExprKind::Call { args, .. } => args.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// Visits this expression and its descendants depth-first (iteratively, so
    /// any depth is safe).
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            f(e);
            let children = e.children();
            stack.extend(children.into_iter().rev());
        }
    }
}

/// One use of a field in a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldUse {
    pub name: String,
    pub optional: bool,
    pub span: Span,
}

impl Query {
    /// The event filters of the query, in source order (until last for sequences).
    pub fn filters(&self) -> Vec<&EventFilter> {
        match &self.body {
            Body::Event(f) => vec![f],
            Body::Sequence(s) => s
                .stages
                .iter()
                .chain(s.until.iter())
                .map(|st| &st.filter)
                .collect(),
            Body::Sample(s) => s.stages.iter().map(|st| &st.filter).collect(),
        }
    }

    /// Every join key expression (shared and per stage), in source order.
    pub fn join_keys(&self) -> Vec<&Expr> {
        match &self.body {
            Body::Event(_) => Vec::new(),
            Body::Sequence(s) => {
                s.by.iter()
                    .chain(
                        s.stages
                            .iter()
                            .chain(s.until.iter())
                            .flat_map(|st| st.by.iter()),
                    )
                    .collect()
            }
            Body::Sample(s) => {
                s.by.iter()
                    .chain(s.stages.iter().flat_map(|st| st.by.iter()))
                    .collect()
            }
        }
    }

    /// Every field reference, in source order (join keys and conditions).
    pub fn field_uses(&self) -> Vec<FieldUse> {
        let mut exprs: Vec<&Expr> = self.join_keys();
        exprs.extend(self.filters().into_iter().map(|f| &f.condition));
        exprs.sort_by_key(|e| e.span.start);
        let mut out = Vec::new();
        for e in exprs {
            e.walk(&mut |x| {
                if let ExprKind::Field(f) = &x.kind {
                    out.push(FieldUse {
                        name: f.name(),
                        optional: f.optional,
                        span: x.span,
                    });
                }
            });
        }
        out
    }

    /// Every distinct field name the query references, in order of first use.
    pub fn fields(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.field_uses()
            .into_iter()
            .filter(|u| seen.insert(u.name.clone()))
            .map(|u| u.name)
            .collect()
    }

    /// The event categories the query names (`any` is not listed).
    pub fn categories(&self) -> Vec<&str> {
        self.filters()
            .into_iter()
            .filter_map(|f| match &f.category {
                Category::Named { name, .. } => Some(name.as_str()),
                Category::Any { .. } => None,
            })
            .collect()
    }
}
