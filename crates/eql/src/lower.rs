//! Lowering: [`ast::Query`] → [`ir::QueryPlan`], with Elasticsearch's meaning.
//!
//! Three steps per condition, mirroring what Elasticsearch does between parsing
//! and searching:
//!
//! 1. **Bind and check** ([`Cx::bind`]): fields resolve through the [`ir::Binder`]
//!    (`bind_exact`, as `FieldAttribute.exactAttribute()`), functions resolve with
//!    arity and argument types (`EqlFunctionRegistry`, the function classes'
//!    `resolveType`), exact comparisons on `text` fields without a keyword
//!    sub-field are rejected (`TypeResolutions.isExact`).
//! 2. **Optimize** as `eql/optimizer/Optimizer.java` does: `ReplaceWildcards`
//!    (`:` with `*`/`?` → case-insensitive `like`), `ReplaceRegexMatch` (a pattern
//!    without wildcards → equality, `*` → `is not null`), `ReplaceNullChecks`
//!    (`x == null` → `IsNull`), `ConstantFolding`, `LiteralsOnTheRight`, and QL's
//!    `BooleanSimplification`, which pushes `not` down through `and`/`or` (De
//!    Morgan) and flips comparisons (`not x > 1` → `x <= 1`) and null checks.
//! 3. **Translate** ([`Cx::translate`]) as `eql/planner/QueryTranslator.java` and
//!    `ql/planner/ExpressionTranslators.java` do: a comparison of a field with a
//!    constant becomes a term/range query, `!=` a `NotQuery(term)`, `in` a terms
//!    query, `:`/`like`/`regex` wildcard/regexp queries, `IsNull`/`IsNotNull`
//!    (not) exists, `cidrMatch(field, …)` a terms query on the IP field,
//!    `startsWith(field, "c")` a prefix query, `endsWith`/`stringContains(field,
//!    "c")` wildcard queries; everything else a script ([`ir::Pred::Script`]).
//!    `not` over a script is a script (null stays null), over a query it is
//!    `must_not` (`ExpressionTranslators.Nots`).

use crate::ast::{self, ArithOp, CmpOp, ExprKind, MatchOp};
use crate::codes;
use crate::fold;
use crate::EqlOptions;
use diag::{Diagnostic, Span};
use event::regex::LuceneRegex;
use event::wildcard::{Part, Pattern};
use event::{FieldType, Number};
use ir::{
    Binder, Category, EventQuery, Expr as IrExpr, FieldRef, Function, JoinKey, Pipe, Plan, Pred,
    QueryPlan, RangeBound, RangeValue, SamplePlan, SampleStage, SequencePlan, SequenceStage, Test,
    Val,
};
use std::collections::HashSet;

type L<T> = Result<T, Diagnostic>;

/// A lowered query and the warnings found on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Lowered {
    pub plan: QueryPlan,
    pub warnings: diag::Diagnostics,
}

pub fn lower(
    query: &ast::Query,
    binder: &mut Binder<'_>,
    opts: &EqlOptions,
) -> Result<Lowered, diag::Diagnostics> {
    let mut cx = Cx {
        text: &query.text,
        binder,
        warnings: Vec::new(),
        warned: HashSet::new(),
        errors: Vec::new(),
        null_fields: &opts.unmapped_optional_fields,
        regexes: Vec::new(),
    };
    cx.bind_engine_fields(opts);
    let plan = match &query.body {
        ast::Body::Event(f) => cx.event_query(f).map(Plan::Event),
        ast::Body::Sequence(s) => cx.sequence(s).map(Plan::Sequence),
        ast::Body::Sample(s) => cx.sample(s).map(Plan::Sample),
    };
    let pipes = query
        .pipes
        .iter()
        .map(|p| match p.kind {
            ast::PipeKind::Head => Pipe::Head(p.count),
            ast::PipeKind::Tail => Pipe::Tail(p.count),
        })
        .collect();
    match plan {
        Some(plan) if cx.errors.is_empty() => Ok(Lowered {
            plan: QueryPlan { plan, pipes },
            warnings: diag::Diagnostics(cx.warnings),
        }),
        _ => {
            let mut all = cx.errors;
            all.extend(cx.warnings);
            Err(diag::Diagnostics(all))
        }
    }
}

/// A bound field as the lowering sees it.
#[derive(Debug, Clone)]
struct Bound {
    field: FieldRef,
}

/// The bound, optimized form of an expression (step 2's output).
#[derive(Debug, Clone)]
struct Node {
    kind: NK,
    span: Span,
}

#[derive(Debug, Clone)]
enum NK {
    Lit(Val),
    Field(Bound),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Cmp(CmpOp, Box<Node>, Box<Node>),
    /// `IsNull` (`negated` = `IsNotNull`).
    IsNull(Box<Node>, bool),
    /// Equality with any element; case-insensitive for `in~` and `:`.
    In(Box<Node>, Vec<Node>, bool),
    /// A wildcard pattern (`*`, `?`) with its case sensitivity.
    Like(Box<Node>, String, bool),
    Regex(Box<Node>, String, bool),
    Arith(ArithOp, Box<Node>, Box<Node>),
    Neg(Box<Node>),
    Call(Function, bool, Vec<Node>),
}

impl Node {
    fn lit(v: Val, span: Span) -> Node {
        Node {
            kind: NK::Lit(v),
            span,
        }
    }

    fn as_lit(&self) -> Option<&Val> {
        match &self.kind {
            NK::Lit(v) => Some(v),
            _ => None,
        }
    }

    fn as_field(&self) -> Option<&Bound> {
        match &self.kind {
            NK::Field(b) => Some(b),
            _ => None,
        }
    }
}

/// Value types, as far as type checks go.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ty {
    Null,
    Bool,
    Int,
    Float,
    Str,
    Ip,
    Date,
    /// Unmapped fields and results whose type depends on data.
    Unknown,
    Other(FieldType),
}

impl Ty {
    fn of_field(ty: FieldType) -> Ty {
        match ty {
            t if t.is_keyword_like() || t.is_text() || t == FieldType::Version => Ty::Str,
            t if t.is_integer() => Ty::Int,
            t if t.is_floating() => Ty::Float,
            t if t.is_date() => Ty::Date,
            FieldType::Ip => Ty::Ip,
            FieldType::Boolean => Ty::Bool,
            FieldType::Unmapped => Ty::Unknown,
            other => Ty::Other(other),
        }
    }

    fn is_string(self) -> bool {
        matches!(self, Ty::Str | Ty::Null | Ty::Unknown)
    }

    fn is_numeric(self) -> bool {
        matches!(self, Ty::Int | Ty::Float | Ty::Null | Ty::Unknown)
    }

    fn is_integer(self) -> bool {
        matches!(self, Ty::Int | Ty::Null | Ty::Unknown)
    }

    fn is_bool(self) -> bool {
        matches!(self, Ty::Bool | Ty::Null | Ty::Unknown)
    }

    fn is_ip(self) -> bool {
        matches!(self, Ty::Ip | Ty::Null | Ty::Unknown)
    }
}

/// What an argument must be.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ArgKind {
    Any,
    Str,
    Numeric,
    Integer,
    Ip,
    /// A constant string (CIDR blocks).
    ConstStr,
    ConstBool,
    ConstInteger,
}

struct Signature {
    min: usize,
    /// `None`: variadic.
    max: Option<usize>,
    arity_message: &'static str,
    args: &'static [ArgKind],
    /// The kind of the variadic tail.
    rest: ArgKind,
}

/// Arity and argument types of each EQL function (the function classes in
/// `x-pack/plugin/eql/.../expression/function/scalar/`).
fn signature(f: Function) -> Signature {
    use ArgKind::*;
    use Function::*;
    let sig = |min, max, arity_message, args, rest| Signature {
        min,
        max,
        arity_message,
        args,
        rest,
    };
    match f {
        Add | Subtract | Multiply | Divide | Modulo => sig(
            2,
            Some(2),
            "expects exactly two arguments",
            &[Numeric, Numeric],
            Any,
        ),
        Between => sig(
            3,
            Some(4),
            "expects three or four arguments",
            &[Str, Str, Str, ConstBool],
            Any,
        ),
        CidrMatch => sig(2, None, "expects at least two arguments", &[Ip], ConstStr),
        Concat => sig(1, None, "expects at least one argument", &[], Any),
        EndsWith | StartsWith | StringContains => sig(
            2,
            Some(2),
            "expects exactly two arguments",
            &[Str, Str],
            Any,
        ),
        IndexOf => sig(
            2,
            Some(3),
            "expects two or three arguments",
            &[Str, Str, Integer],
            Any,
        ),
        Length => sig(1, Some(1), "expects exactly one argument", &[Str], Any),
        Number => sig(
            1,
            Some(2),
            "expects one or two arguments",
            &[Str, ConstInteger],
            Any,
        ),
        String => sig(1, Some(1), "expects exactly one argument", &[Any], Any),
        Substring => sig(
            2,
            Some(3),
            "expects two or three arguments",
            &[Str, Integer, Integer],
            Any,
        ),
    }
}

const FUNCTION_NAMES: &[&str] = &[
    "add",
    "between",
    "cidrMatch",
    "concat",
    "divide",
    "endsWith",
    "indexOf",
    "length",
    "modulo",
    "multiply",
    "number",
    "startsWith",
    "string",
    "stringContains",
    "substring",
    "subtract",
];

/// Function names are case-insensitive (`EqlFunctionRegistry.normalize`
/// lower-cases them): `cidrmatch` is `cidrMatch`.
fn function_named(name: &str) -> Option<Function> {
    let canonical = FUNCTION_NAMES
        .iter()
        .find(|f| f.eq_ignore_ascii_case(name))?;
    Function::from_name(canonical)
}

fn ordinal(i: usize) -> &'static str {
    [
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
        "tenth",
    ]
    .get(i)
    .copied()
    .unwrap_or("next")
}

struct Cx<'q, 'b, 's> {
    text: &'q str,
    binder: &'b mut Binder<'s>,
    warnings: Vec<Diagnostic>,
    warned: HashSet<String>,
    errors: Vec<Diagnostic>,
    /// `?name` fields the indices do not map: null constants.
    null_fields: &'q [String],
    /// Regexes compiled when their `regex` operator was checked, reused
    /// when it is translated (building one twice was 4 % of start-up).
    regexes: Vec<LuceneRegex>,
}

impl<'q, 'b, 's> Cx<'q, 'b, 's> {
    fn src(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }

    /// The fields the engine itself reads are registered too.
    fn bind_engine_fields(&mut self, opts: &EqlOptions) {
        self.binder.bind(&opts.event_category_field);
        self.binder.bind(&opts.timestamp_field);
        if let Some(t) = &opts.tiebreaker_field {
            self.binder.bind(t);
        }
    }

    // ---- plans ------------------------------------------------------------------

    fn event_query(&mut self, f: &ast::EventFilter) -> Option<EventQuery> {
        let category = match &f.category {
            ast::Category::Any { .. } => Category::Any,
            ast::Category::Named { name, .. } => Category::Named(name.clone()),
        };
        match self.condition(&f.condition) {
            Ok(condition) => Some(EventQuery {
                category,
                condition,
            }),
            Err(d) => {
                self.errors.push(d);
                None
            }
        }
    }

    fn condition(&mut self, e: &ast::Expr) -> L<Pred> {
        let node = self.bind(e)?;
        let ty = self.ty(&node);
        if !ty.is_bool() {
            return Err(Diagnostic::error(
                codes::NOT_BOOLEAN,
                format!(
                    "Condition expression needs to be boolean, found [{}]",
                    self.type_name(&node)
                ),
            )
            .with_label(e.span, "not a boolean"));
        }
        self.translate(&node)
    }

    fn join_keys(&mut self, keys: &[&ast::Expr]) -> Option<Vec<JoinKey>> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            let ExprKind::Field(f) = &k.kind else {
                continue;
            };
            let bound = self.bind_field(f, k.span);
            out.push(JoinKey {
                field: bound.field,
                optional: f.optional,
            });
        }
        Some(out)
    }

    fn sequence(&mut self, s: &ast::Sequence) -> Option<SequencePlan> {
        let mut stages = Vec::with_capacity(s.stages.len());
        for st in &s.stages {
            stages.push(self.sequence_stage(&s.by, st));
        }
        let until = s.until.as_ref().map(|u| self.sequence_stage(&s.by, u));
        let stages: Option<Vec<SequenceStage>> = stages.into_iter().collect();
        let until = match until {
            Some(None) => return None,
            Some(Some(u)) => Some(u),
            None => None,
        };
        Some(SequencePlan {
            stages: stages?,
            until,
            maxspan: s.maxspan.map(|m| m.nanos()),
        })
    }

    fn sequence_stage(
        &mut self,
        shared: &[ast::Expr],
        st: &ast::SequenceStage,
    ) -> Option<SequenceStage> {
        let query = self.event_query(&st.filter);
        let keys: Vec<&ast::Expr> = shared.iter().chain(st.by.iter()).collect();
        let keys = self.join_keys(&keys)?;
        Some(SequenceStage {
            query: query?,
            keys,
            missing: st.missing,
            runs: st.runs(),
        })
    }

    fn sample(&mut self, s: &ast::Sample) -> Option<SamplePlan> {
        let mut stages = Vec::with_capacity(s.stages.len());
        for st in &s.stages {
            let query = self.event_query(&st.filter);
            let keys: Vec<&ast::Expr> = s.by.iter().chain(st.by.iter()).collect();
            let keys = self.join_keys(&keys)?;
            stages.push(query.map(|query| SampleStage { query, keys }));
        }
        let stages: Option<Vec<SampleStage>> = stages.into_iter().collect();
        Some(SamplePlan { stages: stages? })
    }

    // ---- step 1 + 2: bind, check, optimize ----------------------------------------

    fn bind_field(&mut self, f: &ast::Field, span: Span) -> Bound {
        let name = f.name();
        let bound = self.binder.bind_exact(&name);
        if bound.resolved.unmapped && !f.optional && self.warned.insert(name.clone()) {
            self.warnings.push(
                Diagnostic::warning(codes::UNKNOWN_FIELD, format!("Unknown field [{name}]"))
                    .with_label(
                        span,
                        "not in the mapping or ECS; matched as an unmapped field",
                    )
                    .with_note("prefix it with [?] if it is optional"),
            );
        }
        Bound { field: bound.field }
    }

    fn bind(&mut self, e: &ast::Expr) -> L<Node> {
        let span = e.span;
        let lit = |v| Ok(Node::lit(v, span));
        match &e.kind {
            ExprKind::Null => lit(Val::Null),
            ExprKind::Bool(b) => lit(Val::Bool(*b)),
            ExprKind::Long(n) => lit(Val::Long(*n)),
            ExprKind::Double(d) => lit(Val::Double(*d)),
            ExprKind::Str(s) => lit(Val::Str(s.clone())),
            ExprKind::Field(f) if f.optional && self.null_fields.contains(&f.name()) => {
                lit(Val::Null)
            }
            ExprKind::Field(f) => {
                let bound = self.bind_field(f, span);
                if bound.field.ty.is_object() {
                    return Err(Diagnostic::error(
                        codes::UNSUPPORTED_FIELD_TYPE,
                        format!(
                            "Cannot use field [{}] with unsupported type [{}]",
                            bound.field.name, bound.field.ty
                        ),
                    )
                    .with_label(span, "object fields hold sub-fields, not values"));
                }
                Ok(Node {
                    kind: NK::Field(bound),
                    span,
                })
            }
            ExprKind::And(xs) | ExprKind::Or(xs) => {
                let is_and = matches!(e.kind, ExprKind::And(_));
                let mut nodes = Vec::with_capacity(xs.len());
                for (i, x) in xs.iter().enumerate() {
                    let n = self.bind(x)?;
                    self.expect_type(&n, i.min(1), e.span, Ty::is_bool, "boolean")?;
                    nodes.push(n);
                }
                Ok(if is_and {
                    simplify_and(nodes, span)
                } else {
                    simplify_or(nodes, span)
                })
            }
            ExprKind::Not(x) => {
                let n = self.bind(x)?;
                self.expect_type(&n, usize::MAX, e.span, Ty::is_bool, "boolean")?;
                Ok(negate(n, span))
            }
            ExprKind::Compare { op, left, right } => {
                let l = self.bind(left)?;
                let r = self.bind(right)?;
                self.check_exact(&l, op.symbol(), 0)?;
                self.check_exact(&r, op.symbol(), 1)?;
                Ok(self.comparison(*op, l, r, span))
            }
            ExprKind::Arith { op, left, right } => {
                let l = self.bind(left)?;
                let r = self.bind(right)?;
                self.expect_type(&l, 0, span, Ty::is_numeric, "numeric")?;
                self.expect_type(&r, 1, span, Ty::is_numeric, "numeric")?;
                if let (Some(a), Some(b)) = (l.as_lit(), r.as_lit()) {
                    if let Some(v) = fold::arith(*op, a, b) {
                        return Ok(Node::lit(v, span));
                    }
                }
                Ok(Node {
                    kind: NK::Arith(*op, Box::new(l), Box::new(r)),
                    span,
                })
            }
            ExprKind::Neg(x) => {
                let n = self.bind(x)?;
                self.expect_type(&n, usize::MAX, span, Ty::is_numeric, "numeric")?;
                if let Some(v) = n.as_lit().and_then(fold::neg) {
                    return Ok(Node::lit(v, span));
                }
                Ok(Node {
                    kind: NK::Neg(Box::new(n)),
                    span,
                })
            }
            ExprKind::In {
                value,
                list,
                negated,
                case_insensitive,
            } => {
                let v = self.bind(value)?;
                self.check_exact(&v, "in", 0)?;
                let mut items = Vec::with_capacity(list.len());
                for x in list {
                    items.push(self.bind(x)?);
                }
                let node = in_node(v, items, *case_insensitive, span);
                Ok(if *negated { negate(node, span) } else { node })
            }
            ExprKind::Match {
                value,
                op,
                patterns,
            } => self.match_op(value, *op, patterns, span),
            ExprKind::Call {
                name,
                name_span,
                case_insensitive,
                args,
            } => self.call(name, *name_span, *case_insensitive, args, span),
        }
    }

    /// `:`, `like`, `regex` and their `~` forms, one node per pattern, or-ed
    /// (`ExpressionBuilder.visitOperatorExpressionDefault`, then the optimizer's
    /// `ReplaceWildcards` and `ReplaceRegexMatch`).
    fn match_op(
        &mut self,
        value: &ast::Expr,
        op: MatchOp,
        patterns: &[ast::Expr],
        span: Span,
    ) -> L<Node> {
        let v = self.bind(value)?;
        let symbol = op.symbol();
        self.expect_type(&v, 0, span, Ty::is_string, "string")?;
        self.check_exact(&v, symbol, 0)?;
        let mut nodes = Vec::with_capacity(patterns.len());
        for p in patterns {
            let ExprKind::Str(text) = &p.kind else {
                let n = self.bind(p)?;
                return Err(self.type_error(&n, 1, span, "string"));
            };
            let node = match op {
                MatchOp::Seq if has_wildcard(text) => like_node(v.clone(), text, true, span),
                MatchOp::Seq => in_node(
                    v.clone(),
                    vec![Node::lit(Val::Str(text.clone()), p.span)],
                    true,
                    span,
                ),
                MatchOp::Like | MatchOp::LikeCi => {
                    like_node(v.clone(), text, op == MatchOp::LikeCi, span)
                }
                MatchOp::Regex | MatchOp::RegexCi => {
                    let ci = op == MatchOp::RegexCi;
                    match LuceneRegex::new(text, ci) {
                        Ok(regex) => self.regexes.push(regex),
                        Err(err) => return Err(regex_error(text, &err, p.span)),
                    }
                    regex_node(v.clone(), text, ci, span)
                }
            };
            nodes.push(node);
        }
        Ok(simplify_or(nodes, span))
    }

    fn call(
        &mut self,
        name: &str,
        name_span: Span,
        ci: bool,
        args: &[ast::Expr],
        span: Span,
    ) -> L<Node> {
        let Some(func) = function_named(name) else {
            let similar = crate::parser::find_similar(name, FUNCTION_NAMES.iter().copied());
            return Err(Diagnostic::error(
                codes::UNKNOWN_FUNCTION,
                format!(
                    "Unknown function [{name}]{}",
                    crate::parser::did_you_mean(&similar)
                ),
            )
            .with_label(name_span, "unknown function"));
        };
        if ci && !func.has_insensitive_form() {
            return Err(Diagnostic::error(
                codes::NO_INSENSITIVE_FORM,
                format!("Function [{name}] does not support case-insensitivity"),
            )
            .with_label(name_span, "remove [~]"));
        }
        let sig = signature(func);
        if args.len() < sig.min || sig.max.is_some_and(|m| args.len() > m) {
            return Err(Diagnostic::error(
                codes::ARITY,
                format!("error building [{name}]: {}", sig.arity_message),
            )
            .with_label(span, format!("{} argument(s) given", args.len())));
        }
        let mut nodes = Vec::with_capacity(args.len());
        for (i, a) in args.iter().enumerate() {
            let n = self.bind(a)?;
            let kind = sig.args.get(i).copied().unwrap_or(sig.rest);
            self.check_arg(&n, kind, i, span)?;
            nodes.push(n);
        }
        if nodes.iter().all(|n| n.as_lit().is_some()) {
            let vals: Vec<Val> = nodes.iter().filter_map(|n| n.as_lit().cloned()).collect();
            if let Some(v) = fold::call(func, ci, &vals) {
                return Ok(Node::lit(v, span));
            }
        }
        Ok(Node {
            kind: NK::Call(func, ci, nodes),
            span,
        })
    }

    fn check_arg(&self, n: &Node, kind: ArgKind, i: usize, span: Span) -> L<()> {
        let ty = self.ty(n);
        let (ok, expected) = match kind {
            ArgKind::Any => (true, ""),
            ArgKind::Str => (ty.is_string(), "string"),
            ArgKind::Numeric => (ty.is_numeric(), "numeric"),
            ArgKind::Integer => (ty.is_integer(), "integer"),
            ArgKind::Ip => (ty.is_ip(), "ip"),
            ArgKind::ConstStr | ArgKind::ConstBool | ArgKind::ConstInteger => {
                let Some(v) = n.as_lit() else {
                    return Err(Diagnostic::error(
                        codes::NOT_CONSTANT,
                        format!(
                            "{} argument of [{}] must be a constant, received [{}]",
                            ordinal(i),
                            self.src(span),
                            self.src(n.span)
                        ),
                    )
                    .with_label(n.span, "not a constant"));
                };
                match kind {
                    ArgKind::ConstStr => (matches!(v, Val::Str(_)), "string"),
                    ArgKind::ConstBool => (matches!(v, Val::Bool(_) | Val::Null), "boolean"),
                    _ => (matches!(v, Val::Long(_) | Val::Null), "integer"),
                }
            }
        };
        if ok {
            Ok(())
        } else {
            Err(self.type_error(n, i, span, expected))
        }
    }

    fn expect_type(
        &self,
        n: &Node,
        i: usize,
        span: Span,
        ok: fn(Ty) -> bool,
        expected: &str,
    ) -> L<()> {
        if ok(self.ty(n)) {
            Ok(())
        } else {
            Err(self.type_error(n, i, span, expected))
        }
    }

    /// `TypeResolutions`: "first argument of [x + 1] must be [numeric], found value [x] type [keyword]".
    fn type_error(&self, n: &Node, i: usize, span: Span, expected: &str) -> Diagnostic {
        let ord = if i == usize::MAX {
            String::new()
        } else {
            format!("{} ", ordinal(i))
        };
        Diagnostic::error(
            codes::TYPE_MISMATCH,
            format!(
                "{ord}argument of [{}] must be [{expected}], found value [{}] type [{}]",
                self.src(span),
                self.src(n.span),
                self.type_name(n)
            ),
        )
        .with_label(n.span, format!("expected {expected}"))
    }

    /// `TypeResolutions.isExact`: a `text` field without keyword sub-field
    /// cannot be compared exactly.
    fn check_exact(&self, n: &Node, op: &str, i: usize) -> L<()> {
        let Some(b) = n.as_field() else { return Ok(()) };
        if !b.field.ty.is_text() {
            return Ok(());
        }
        Err(Diagnostic::error(
            codes::TEXT_NOT_EXACT,
            format!(
                "[{op}] cannot operate on {} argument field of data type [text]: No keyword/multi-field defined exact matches for [{}]; define one or use MATCH/QUERY instead",
                ordinal(i),
                b.field.name
            ),
        )
        .with_label(n.span, "analysed text field"))
    }

    fn ty(&self, n: &Node) -> Ty {
        match &n.kind {
            NK::Lit(v) => match v {
                Val::Null => Ty::Null,
                Val::Bool(_) => Ty::Bool,
                Val::Long(_) => Ty::Int,
                Val::Double(_) => Ty::Float,
                Val::Str(_) => Ty::Str,
            },
            NK::Field(b) => Ty::of_field(b.field.ty),
            NK::And(_)
            | NK::Or(_)
            | NK::Not(_)
            | NK::Cmp(..)
            | NK::IsNull(..)
            | NK::In(..)
            | NK::Like(..)
            | NK::Regex(..) => Ty::Bool,
            NK::Arith(_, l, r) => match (self.ty(l), self.ty(r)) {
                (Ty::Int, Ty::Int) => Ty::Int,
                (Ty::Unknown, _) | (_, Ty::Unknown) => Ty::Unknown,
                _ => Ty::Float,
            },
            NK::Neg(x) => self.ty(x),
            NK::Call(f, _, args) => match f {
                Function::Add
                | Function::Subtract
                | Function::Multiply
                | Function::Divide
                | Function::Modulo => match (self.ty(&args[0]), self.ty(&args[1])) {
                    (Ty::Int, Ty::Int) => Ty::Int,
                    (Ty::Unknown, _) | (_, Ty::Unknown) => Ty::Unknown,
                    _ => Ty::Float,
                },
                Function::Between | Function::Concat | Function::String | Function::Substring => {
                    Ty::Str
                }
                Function::CidrMatch
                | Function::EndsWith
                | Function::StartsWith
                | Function::StringContains => Ty::Bool,
                Function::IndexOf | Function::Length => Ty::Int,
                Function::Number => Ty::Unknown,
            },
        }
    }

    /// Elasticsearch's name for the node's type (`keyword`, `integer`, `long`…).
    fn type_name(&self, n: &Node) -> String {
        match &n.kind {
            NK::Lit(Val::Long(v)) if i32::try_from(*v).is_ok() => "integer".into(),
            NK::Field(b) => b.field.ty.es_name().into(),
            _ => match self.ty(n) {
                Ty::Null => "null".into(),
                Ty::Bool => "boolean".into(),
                Ty::Int => "long".into(),
                Ty::Float => "double".into(),
                Ty::Str => "keyword".into(),
                Ty::Ip => "ip".into(),
                Ty::Date => "datetime".into(),
                Ty::Unknown => "unknown".into(),
                Ty::Other(t) => t.es_name().into(),
            },
        }
    }

    /// A comparison after `ReplaceNullChecks`, `ConstantFolding` and `LiteralsOnTheRight`.
    fn comparison(&mut self, op: CmpOp, l: Node, r: Node, span: Span) -> Node {
        if matches!(op, CmpOp::Eq | CmpOp::NotEq) {
            let other = match (l.as_lit(), r.as_lit()) {
                (_, Some(Val::Null)) => Some(l.clone()),
                (Some(Val::Null), _) => Some(r.clone()),
                _ => None,
            };
            if let Some(other) = other {
                return is_null(other, op == CmpOp::NotEq, span);
            }
        }
        if let (Some(a), Some(b)) = (l.as_lit(), r.as_lit()) {
            return Node::lit(fold::compare(op, a, b).unwrap_or(Val::Null), span);
        }
        let (op, l, r) = if l.as_lit().is_some() {
            (reverse(op), r, l)
        } else {
            (op, l, r)
        };
        if let (Some(Val::Str(s)), CmpOp::Eq | CmpOp::NotEq, Some(_)) =
            (r.as_lit(), op, l.as_field())
        {
            if s.contains('*') {
                self.warnings.push(
                    Diagnostic::warning(
                        codes::WILDCARD_IN_EQUALS,
                        format!(
                            "[{}] compares [*] literally in Elasticsearch EQL",
                            op.symbol()
                        ),
                    )
                    .with_label(r.span, "no wildcard matching here")
                    .with_note("use [:] or [like] for wildcard matching"),
                );
            }
        }
        Node {
            kind: NK::Cmp(op, Box::new(l), Box::new(r)),
            span,
        }
    }

    // ---- step 3: translate ------------------------------------------------------------

    fn translate(&mut self, n: &Node) -> L<Pred> {
        match &n.kind {
            NK::Lit(Val::Bool(b)) => Ok(Pred::Const(*b)),
            NK::Lit(_) => Ok(Pred::Const(false)),
            NK::And(xs) => {
                let preds = xs
                    .iter()
                    .map(|x| self.translate(x))
                    .collect::<L<Vec<_>>>()?;
                Ok(pred_and(preds))
            }
            NK::Or(xs) => {
                let preds = xs
                    .iter()
                    .map(|x| self.translate(x))
                    .collect::<L<Vec<_>>>()?;
                Ok(pred_or(preds))
            }
            // ExpressionTranslators.Nots: a script stays a script (null-propagating
            // not), a query is negated (bool.must_not).
            NK::Not(x) => Ok(match self.translate(x)? {
                Pred::Script(e) => Pred::Script(IrExpr::Not(Box::new(e))),
                other => Pred::not(other),
            }),
            // ExpressionTranslators.BinaryComparisons: field vs constant → term /
            // range query; `!=` → NotQuery(term).
            NK::Cmp(op, l, r) => match (l.as_field(), r.as_lit()) {
                (Some(b), Some(v)) => self.field_compare(b, *op, v, r.span),
                _ => self.script(n),
            },
            // ExpressionTranslators.IsNulls / IsNotNulls: (not) exists on a field.
            NK::IsNull(x, negated) => match x.as_field() {
                Some(b) => {
                    let exists = Pred::field(b.field.clone(), Test::Exists);
                    Ok(if *negated { exists } else { Pred::not(exists) })
                }
                None => self.script(n),
            },
            // ExpressionTranslators.InComparisons (and InsensitiveBinaryComparisons
            // for `:`): terms query on the exact field, nulls skipped.
            NK::In(v, list, ci) => match v.as_field() {
                Some(b) if list.iter().all(|x| x.as_lit().is_some()) => {
                    let vals: Vec<(&Val, Span)> = list
                        .iter()
                        .filter_map(|x| x.as_lit().map(|v| (v, x.span)))
                        .collect();
                    self.field_in(b, &vals, *ci)
                }
                _ => self.script(n),
            },
            // ExpressionTranslators.Likes: wildcard / regexp query on the exact field.
            NK::Like(v, p, ci) => match v.as_field() {
                Some(b) => Ok(Pred::field(
                    b.field.clone(),
                    Test::Wildcards(vec![Pattern::new(p, *ci)]),
                )),
                None => self.script(n),
            },
            NK::Regex(v, p, ci) => match v.as_field() {
                Some(b) => Ok(Pred::field(
                    b.field.clone(),
                    Test::Regexes(vec![self.regex(p, *ci, n.span)?]),
                )),
                None => self.script(n),
            },
            NK::Call(f, ci, args) => self.call_pred(*f, *ci, args, n),
            NK::Field(_) | NK::Arith(..) | NK::Neg(_) => self.script(n),
        }
    }

    /// `QueryTranslator.Scalars` / `CaseInsensitiveScalarFunctions` /
    /// `ExpressionTranslators.Scalars.doKnownTranslate`.
    fn call_pred(&mut self, f: Function, ci: bool, args: &[Node], n: &Node) -> L<Pred> {
        let Some(b) = args.first().and_then(Node::as_field) else {
            return self.script(n);
        };
        let consts: Option<Vec<&Val>> = args[1..].iter().map(Node::as_lit).collect();
        let Some(consts) = consts else {
            return self.script(n);
        };
        match (f, consts.as_slice()) {
            // cidrMatch(field, "cidr"…) → terms query on the IP field.
            (Function::CidrMatch, cidrs) => {
                let mut nets = Vec::with_capacity(cidrs.len());
                for (c, arg) in cidrs.iter().zip(&args[1..]) {
                    let text = match c {
                        Val::Str(s) => s.as_str(),
                        _ => "",
                    };
                    let net = fold::parse_cidr(text).ok_or_else(|| {
                        Diagnostic::error(
                            codes::BAD_CIDR,
                            format!("[{text}] is not a valid IP address or CIDR block"),
                        )
                        .with_label(arg.span, "invalid CIDR")
                    })?;
                    nets.push(net);
                }
                Ok(Pred::field(b.field.clone(), Test::IpNets(nets)))
            }
            // startsWith(field, "p") → prefix query (the prefix is literal).
            (Function::StartsWith, [Val::Str(p)]) => {
                let pattern = Pattern::from_parts(
                    vec![Part::Literal(p.clone()), Part::AnyRun],
                    ci,
                    format!("{p}*"),
                );
                Ok(Pred::field(b.field.clone(), Test::Wildcards(vec![pattern])))
            }
            // endsWith / stringContains(field, "s") → wildcard query "*s" / "*s*":
            // Elasticsearch concatenates without escaping, so `*`, `?` and `\` in
            // the constant act as Lucene wildcard syntax.
            (Function::EndsWith, [Val::Str(s)]) => Ok(Pred::field(
                b.field.clone(),
                Test::Wildcards(vec![Pattern::lucene(&format!("*{s}"), ci)]),
            )),
            (Function::StringContains, [Val::Str(s)]) => Ok(Pred::field(
                b.field.clone(),
                Test::Wildcards(vec![Pattern::lucene(&format!("*{s}*"), ci)]),
            )),
            _ => self.script(n),
        }
    }

    fn script(&mut self, n: &Node) -> L<Pred> {
        Ok(Pred::Script(self.script_expr(n)?))
    }

    fn regex(&self, p: &str, ci: bool, span: Span) -> L<LuceneRegex> {
        let checked = self
            .regexes
            .iter()
            .find(|r| r.source() == p && r.is_case_insensitive() == ci);
        match checked {
            Some(r) => Ok(r.clone()),
            None => LuceneRegex::new(p, ci).map_err(|err| regex_error(p, &err, span)),
        }
    }

    fn script_expr(&mut self, n: &Node) -> L<IrExpr> {
        let boxed = |e| Box::new(e);
        Ok(match &n.kind {
            NK::Lit(v) => IrExpr::Literal(v.clone()),
            NK::Field(b) => IrExpr::Field(b.field.clone()),
            NK::And(xs) => IrExpr::And(xs.iter().map(|x| self.script_expr(x)).collect::<L<_>>()?),
            NK::Or(xs) => IrExpr::Or(xs.iter().map(|x| self.script_expr(x)).collect::<L<_>>()?),
            NK::Not(x) => IrExpr::Not(boxed(self.script_expr(x)?)),
            NK::Cmp(op, l, r) => IrExpr::Compare {
                op: ir_cmp(*op),
                left: boxed(self.script_expr(l)?),
                right: boxed(self.script_expr(r)?),
            },
            NK::IsNull(x, negated) => {
                let e = IrExpr::IsNull(boxed(self.script_expr(x)?));
                if *negated {
                    IrExpr::Not(boxed(e))
                } else {
                    e
                }
            }
            NK::In(v, list, ci) => IrExpr::In {
                value: boxed(self.script_expr(v)?),
                list: list.iter().map(|x| self.script_expr(x)).collect::<L<_>>()?,
                case_insensitive: *ci,
            },
            NK::Like(v, p, ci) => IrExpr::Like {
                value: boxed(self.script_expr(v)?),
                patterns: vec![Pattern::new(p, *ci)],
            },
            NK::Regex(v, p, ci) => IrExpr::Regex {
                value: boxed(self.script_expr(v)?),
                regexes: vec![self.regex(p, *ci, n.span)?],
            },
            NK::Arith(op, l, r) => IrExpr::Arith {
                op: ir_arith(*op),
                left: boxed(self.script_expr(l)?),
                right: boxed(self.script_expr(r)?),
            },
            NK::Neg(x) => IrExpr::Neg(boxed(self.script_expr(x)?)),
            NK::Call(f, ci, args) => IrExpr::Call {
                func: *f,
                case_insensitive: *ci,
                args: args.iter().map(|x| self.script_expr(x)).collect::<L<_>>()?,
            },
        })
    }

    // ---- constants against field types ------------------------------------------------

    fn field_compare(&mut self, b: &Bound, op: CmpOp, v: &Val, span: Span) -> L<Pred> {
        let field = b.field.clone();
        match op {
            CmpOp::Eq => Ok(Pred::field(field, self.eq_test(b, v, span)?)),
            CmpOp::NotEq => Ok(Pred::not(Pred::field(field, self.eq_test(b, v, span)?))),
            _ => {
                let value = self.range_value(b, v, span)?;
                let bound = |inclusive| {
                    Some(RangeBound {
                        value: value.clone(),
                        inclusive,
                    })
                };
                let test = match op {
                    CmpOp::Lt => Test::Range {
                        lower: None,
                        upper: bound(false),
                    },
                    CmpOp::LtEq => Test::Range {
                        lower: None,
                        upper: bound(true),
                    },
                    CmpOp::Gt => Test::Range {
                        lower: bound(false),
                        upper: None,
                    },
                    _ => Test::Range {
                        lower: bound(true),
                        upper: None,
                    },
                };
                Ok(Pred::field(field, test))
            }
        }
    }

    fn bad_constant(&self, b: &Bound, v: &Val, span: Span, why: &str) -> Diagnostic {
        Diagnostic::error(
            codes::BAD_CONSTANT_FOR_FIELD,
            format!(
                "[{}] cannot be compared with field [{}] of type [{}]: {why}",
                self.src(span),
                b.field.name,
                b.field.ty
            ),
        )
        .with_label(span, format!("not a valid {} value", b.field.ty))
        .with_note(format!("the constant is {}", describe_val(v)))
    }

    /// The term-level test `field == v` runs as, by field type (what the field
    /// mapper's `termQuery` does with the constant).
    fn eq_test(&self, b: &Bound, v: &Val, span: Span) -> L<Test> {
        let ty = b.field.ty;
        match Ty::of_field(ty) {
            Ty::Int | Ty::Float => match number_of(v) {
                Some(n) => Ok(Test::Numbers(vec![n])),
                None => Err(self.bad_constant(b, v, span, "not a number")),
            },
            Ty::Date => match date_of(v) {
                Some(ns) => {
                    let at = |inclusive| {
                        Some(RangeBound {
                            value: RangeValue::Date(ns),
                            inclusive,
                        })
                    };
                    Ok(Test::Range {
                        lower: at(true),
                        upper: at(true),
                    })
                }
                None => Err(self.bad_constant(b, v, span, "not a date")),
            },
            Ty::Ip => match v {
                Val::Str(s) => match fold::parse_cidr(s) {
                    Some(net) => Ok(Test::IpNets(vec![net])),
                    None => Err(self.bad_constant(b, v, span, "not an IP address or CIDR block")),
                },
                _ => Err(self.bad_constant(b, v, span, "not an IP address")),
            },
            Ty::Bool => match v {
                Val::Bool(x) => Ok(Test::Bool(*x)),
                Val::Str(s) if s == "true" || s == "false" => Ok(Test::Bool(s == "true")),
                _ => Err(self.bad_constant(b, v, span, "not a boolean")),
            },
            Ty::Unknown => Ok(match v {
                Val::Long(_) | Val::Double(_) => Test::Numbers(number_of(v).into_iter().collect()),
                Val::Bool(x) => Test::Bool(*x),
                other => Test::Terms {
                    values: vec![keyword_of(other)],
                    case_insensitive: false,
                },
            }),
            _ => Ok(Test::Terms {
                values: vec![keyword_of(v)],
                case_insensitive: false,
            }),
        }
    }

    fn range_value(&self, b: &Bound, v: &Val, span: Span) -> L<RangeValue> {
        match Ty::of_field(b.field.ty) {
            Ty::Int | Ty::Float => number_of(v)
                .map(RangeValue::Number)
                .ok_or_else(|| self.bad_constant(b, v, span, "not a number")),
            Ty::Date => date_of(v)
                .map(RangeValue::Date)
                .ok_or_else(|| self.bad_constant(b, v, span, "not a date")),
            Ty::Ip => match v {
                Val::Str(s) => event::value::parse_ip(s)
                    .map(|ip| RangeValue::Ip(event::value::ip_key(ip)))
                    .ok_or_else(|| self.bad_constant(b, v, span, "not an IP address")),
                _ => Err(self.bad_constant(b, v, span, "not an IP address")),
            },
            Ty::Unknown => Ok(match number_of(v).filter(|_| !matches!(v, Val::Str(_))) {
                Some(n) => RangeValue::Number(n),
                None => RangeValue::Str(keyword_of(v)),
            }),
            _ => Ok(RangeValue::Str(keyword_of(v))),
        }
    }

    /// `field in (…)` / `in~` / `:` without wildcards.
    fn field_in(&self, b: &Bound, vals: &[(&Val, Span)], ci: bool) -> L<Pred> {
        let vals: Vec<(&Val, Span)> = vals.iter().filter(|(v, _)| !v.is_null()).copied().collect();
        let string_field = matches!(Ty::of_field(b.field.ty), Ty::Str);
        if ci
            && (string_field || b.field.ty == FieldType::Unmapped)
            && vals.iter().all(|(v, _)| matches!(v, Val::Str(_)))
        {
            let values = vals.iter().map(|(v, _)| keyword_of(v)).collect();
            return Ok(Pred::field(
                b.field.clone(),
                Test::Terms {
                    values,
                    case_insensitive: true,
                },
            ));
        }
        let mut preds = Vec::with_capacity(vals.len());
        for (v, span) in vals {
            preds.push(Pred::field(b.field.clone(), self.eq_test(b, v, span)?));
        }
        Ok(pred_or(preds))
    }
}

/// A one-line regex error (the regex crate's own message spans lines).
fn regex_error(pattern: &str, err: &event::regex::RegexError, span: Span) -> Diagnostic {
    let text = err.to_string();
    let reason = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("invalid");
    let reason = reason.trim().trim_start_matches("error: ");
    Diagnostic::error(
        codes::BAD_REGEX,
        format!("Invalid regular expression [{pattern}]: {reason}"),
    )
    .with_label(span, "invalid regular expression")
}

fn describe_val(v: &Val) -> String {
    match v {
        Val::Null => "null".into(),
        Val::Bool(b) => format!("the boolean {b}"),
        Val::Long(n) => format!("the number {n}"),
        Val::Double(d) => format!("the number {}", fold::java_double(*d)),
        Val::Str(s) => format!("the string {}", crate::printer::quote(s)),
    }
}

fn number_of(v: &Val) -> Option<Number> {
    match v {
        Val::Long(n) => Some(Number::Int(*n)),
        Val::Double(d) => Some(Number::Float(*d)),
        Val::Str(s) => Number::parse(s),
        _ => None,
    }
}

fn date_of(v: &Val) -> Option<i64> {
    match v {
        Val::Str(s) => event::time::parse_date_nanos(s),
        Val::Long(ms) => ms.checked_mul(1_000_000),
        Val::Double(ms) if ms.is_finite() && ms.abs() < 9.2e12 => Some((ms * 1e6) as i64),
        _ => None,
    }
}

/// The term a keyword field compares a constant as.
fn keyword_of(v: &Val) -> String {
    fold::to_java_string(v).unwrap_or_default()
}

fn has_wildcard(s: &str) -> bool {
    s.contains('*') || s.contains('?')
}

fn reverse(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::LtEq => CmpOp::GtEq,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::GtEq => CmpOp::LtEq,
        other => other,
    }
}

fn negate_op(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Eq => CmpOp::NotEq,
        CmpOp::NotEq => CmpOp::Eq,
        CmpOp::Lt => CmpOp::GtEq,
        CmpOp::LtEq => CmpOp::Gt,
        CmpOp::Gt => CmpOp::LtEq,
        CmpOp::GtEq => CmpOp::Lt,
    }
}

fn ir_cmp(op: CmpOp) -> ir::CmpOp {
    match op {
        CmpOp::Eq => ir::CmpOp::Eq,
        CmpOp::NotEq => ir::CmpOp::NotEq,
        CmpOp::Lt => ir::CmpOp::Lt,
        CmpOp::LtEq => ir::CmpOp::LtEq,
        CmpOp::Gt => ir::CmpOp::Gt,
        CmpOp::GtEq => ir::CmpOp::GtEq,
    }
}

fn ir_arith(op: ArithOp) -> ir::ArithOp {
    match op {
        ArithOp::Add => ir::ArithOp::Add,
        ArithOp::Sub => ir::ArithOp::Sub,
        ArithOp::Mul => ir::ArithOp::Mul,
        ArithOp::Div => ir::ArithOp::Div,
        ArithOp::Mod => ir::ArithOp::Mod,
    }
}

/// QL `BooleanSimplification.simplifyNot` with `Negatable` push-down: `not`
/// folds constants, cancels `not not`, flips comparisons and null checks, and
/// distributes over `and`/`or`; anything else keeps its `not`.
fn negate(n: Node, span: Span) -> Node {
    let kind = match n.kind {
        NK::Lit(v) => NK::Lit(fold::not(&v).unwrap_or(Val::Null)),
        NK::Not(inner) => return *inner,
        NK::Cmp(op, l, r) => NK::Cmp(negate_op(op), l, r),
        NK::IsNull(x, negated) => NK::IsNull(x, !negated),
        NK::And(xs) => {
            return simplify_or(xs.into_iter().map(|x| negate(x, span)).collect(), n.span)
        }
        NK::Or(xs) => {
            return simplify_and(xs.into_iter().map(|x| negate(x, span)).collect(), n.span)
        }
        other => NK::Not(Box::new(Node {
            kind: other,
            span: n.span,
        })),
    };
    Node { kind, span }
}

fn is_null(value: Node, negated: bool, span: Span) -> Node {
    if let Some(v) = value.as_lit() {
        return Node::lit(Val::Bool(v.is_null() != negated), span);
    }
    Node {
        kind: NK::IsNull(Box::new(value), negated),
        span,
    }
}

/// `and` with literal folding (`x and true` → `x`, `x and false` → `false`).
fn simplify_and(nodes: Vec<Node>, span: Span) -> Node {
    let mut kept = Vec::with_capacity(nodes.len());
    for n in nodes {
        match n.kind {
            NK::Lit(Val::Bool(true)) => {}
            NK::Lit(Val::Bool(false)) => return Node::lit(Val::Bool(false), span),
            NK::And(inner) => kept.extend(inner),
            _ => kept.push(n),
        }
    }
    fold_logic(kept, span, true)
}

/// `or` with literal folding (`x or false` → `x`, `x or true` → `true`).
fn simplify_or(nodes: Vec<Node>, span: Span) -> Node {
    let mut kept = Vec::with_capacity(nodes.len());
    for n in nodes {
        match n.kind {
            NK::Lit(Val::Bool(false)) => {}
            NK::Lit(Val::Bool(true)) => return Node::lit(Val::Bool(true), span),
            NK::Or(inner) => kept.extend(inner),
            _ => kept.push(n),
        }
    }
    fold_logic(kept, span, false)
}

fn fold_logic(mut kept: Vec<Node>, span: Span, is_and: bool) -> Node {
    match kept.len() {
        0 => Node::lit(Val::Bool(is_and), span),
        1 => kept
            .pop()
            .unwrap_or_else(|| Node::lit(Val::Bool(is_and), span)),
        _ if kept.iter().all(|k| k.as_lit().is_some()) => {
            let mut acc = Val::Bool(is_and);
            for k in &kept {
                let v = k.as_lit().cloned().unwrap_or(Val::Null);
                acc = if is_and {
                    fold::and(&acc, &v)
                } else {
                    fold::or(&acc, &v)
                }
                .unwrap_or(Val::Null);
            }
            Node::lit(acc, span)
        }
        _ => Node {
            kind: if is_and { NK::And(kept) } else { NK::Or(kept) },
            span,
        },
    }
}

fn in_node(value: Node, list: Vec<Node>, ci: bool, span: Span) -> Node {
    if let Some(v) = value.as_lit() {
        if list.iter().all(|x| x.as_lit().is_some()) {
            return Node::lit(fold_in(v, &list, ci), span);
        }
    }
    Node {
        kind: NK::In(Box::new(value), list, ci),
        span,
    }
}

/// `InProcessor`: true on a match; null when the value or an element is null
/// and nothing matched; false otherwise.
fn fold_in(v: &Val, list: &[Node], ci: bool) -> Val {
    if v.is_null() {
        return Val::Null;
    }
    let mut saw_null = false;
    for x in list {
        let item = x.as_lit().cloned().unwrap_or(Val::Null);
        let eq = if ci {
            fold::insensitive_eq(v, &item)
        } else {
            fold::compare(CmpOp::Eq, v, &item)
        };
        match eq {
            Some(Val::Bool(true)) => return Val::Bool(true),
            Some(Val::Null) => saw_null = true,
            _ => {}
        }
    }
    if saw_null {
        Val::Null
    } else {
        Val::Bool(false)
    }
}

/// A wildcard match after `ReplaceRegexMatch`: `*` alone is `is not null`, a
/// pattern without wildcards is an equality.
fn like_node(value: Node, pattern: &str, ci: bool, span: Span) -> Node {
    if !pattern.is_empty() && pattern.chars().all(|c| c == '*') {
        return is_null(value, true, span);
    }
    if !has_wildcard(pattern) {
        let lit = Node::lit(Val::Str(pattern.to_string()), span);
        return if ci {
            in_node(value, vec![lit], true, span)
        } else {
            Node {
                kind: NK::Cmp(CmpOp::Eq, Box::new(value), Box::new(lit)),
                span,
            }
        };
    }
    if let Some(Val::Str(s)) = value.as_lit() {
        return Node::lit(Val::Bool(Pattern::new(pattern, ci).matches(s)), span);
    }
    if value.as_lit().is_some() {
        return Node::lit(Val::Null, span);
    }
    Node {
        kind: NK::Like(Box::new(value), pattern.to_string(), ci),
        span,
    }
}

/// A regex match after `ReplaceRegexMatch` (a pattern without operators is an
/// equality; `.*` is `is not null`).
fn regex_node(value: Node, pattern: &str, ci: bool, span: Span) -> Node {
    if pattern == ".*" {
        return is_null(value, true, span);
    }
    let is_plain = !pattern.is_empty()
        && pattern.chars().all(|c| {
            !matches!(
                c,
                '.' | '?'
                    | '+'
                    | '*'
                    | '|'
                    | '{'
                    | '}'
                    | '['
                    | ']'
                    | '('
                    | ')'
                    | '"'
                    | '\\'
                    | '~'
                    | '&'
                    | '<'
                    | '>'
                    | '#'
                    | '@'
            )
        });
    if is_plain {
        return like_node(value, pattern, ci, span);
    }
    match value.as_lit() {
        Some(Val::Str(s)) => {
            let hit = LuceneRegex::new(pattern, ci).map(|r| r.is_match(s)).ok();
            Node::lit(hit.map_or(Val::Null, Val::Bool), span)
        }
        Some(_) => Node::lit(Val::Null, span),
        None => Node {
            kind: NK::Regex(Box::new(value), pattern.to_string(), ci),
            span,
        },
    }
}

fn pred_and(preds: Vec<Pred>) -> Pred {
    let mut kept = Vec::with_capacity(preds.len());
    for p in preds {
        match p {
            Pred::Const(true) => {}
            Pred::Const(false) => return Pred::Const(false),
            Pred::And(inner) => kept.extend(inner),
            p => kept.push(p),
        }
    }
    Pred::and(kept)
}

/// `or` of predicates; tests of one field with the same kind merge into one
/// test (what `CombineDisjunctionsToIn` does for equalities).
fn pred_or(preds: Vec<Pred>) -> Pred {
    let mut kept: Vec<Pred> = Vec::with_capacity(preds.len());
    for p in preds {
        match p {
            Pred::Const(false) => {}
            Pred::Const(true) => return Pred::Const(true),
            Pred::Or(inner) => {
                for q in inner {
                    merge_into(&mut kept, q);
                }
            }
            p => merge_into(&mut kept, p),
        }
    }
    Pred::or(kept)
}

fn merge_into(kept: &mut Vec<Pred>, p: Pred) {
    if let Pred::Field(new) = &p {
        for existing in kept.iter_mut() {
            let Pred::Field(old) = existing else { continue };
            if old.field != new.field {
                continue;
            }
            let merged = match (&mut old.test, &new.test) {
                (
                    Test::Terms {
                        values,
                        case_insensitive: a,
                    },
                    Test::Terms {
                        values: more,
                        case_insensitive: b,
                    },
                ) if a == b => {
                    values.extend(more.iter().cloned());
                    true
                }
                (Test::Wildcards(a), Test::Wildcards(b)) => {
                    a.extend(b.iter().cloned());
                    true
                }
                (Test::Regexes(a), Test::Regexes(b)) => {
                    a.extend(b.iter().cloned());
                    true
                }
                (Test::Numbers(a), Test::Numbers(b)) => {
                    a.extend(b.iter().copied());
                    true
                }
                (Test::IpNets(a), Test::IpNets(b)) => {
                    a.extend(b.iter().copied());
                    true
                }
                _ => false,
            };
            if merged {
                return;
            }
        }
    }
    kept.push(p);
}
