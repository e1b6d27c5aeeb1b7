//! Recursive-descent parser: tokens → [`ast::Query`].
//!
//! Grammar and checks follow Elasticsearch's `EqlBase.g4`, `EqlParser.java` and
//! `LogicalPlanBuilder.java`: operator precedence (`or` < `and` < `not` <
//! comparison < `+ -` < `* / %` < unary `-` < predicate/primary), a comparison
//! is not associative, `in`/`:`/`like`/`regex` attach to a primary expression,
//! sequence and sample clauses, `head`/`tail` pipes, and the parse-time errors
//! (join key counts, maxspan units, unsupported pipes, `join`, process
//! relationships, array indexes). Nesting is limited to [`MAX_DEPTH`]: deeper
//! input is a diagnostic, never a stack overflow.

use crate::ast::*;
use crate::codes;
use crate::lexer::{lex, Tok, Token};
use diag::{Diagnostic, Diagnostics, Span};

/// Maximum nesting depth of expressions (parentheses, `not`, unary minus,
/// operator chains). Chosen so that parsing and lowering the deepest allowed
/// query fits in a 2 MiB thread stack even in unoptimized builds (a
/// parenthesis level costs about 20 KiB of stack there); the detection-rules
/// catalogue nests less than 10 levels.
pub const MAX_DEPTH: usize = 64;

/// Largest `with runs=N` Elasticsearch accepts.
pub const MAX_RUNS: u64 = 100;

/// Pipe names Elasticsearch's parser knows (`LogicalPlanBuilder.SUPPORTED_PIPES`);
/// only `head` and `tail` are implemented there.
const KNOWN_PIPES: &[&str] = &[
    "count",
    "filter",
    "head",
    "sort",
    "tail",
    "unique",
    "unique_count",
];

type PResult<T> = Result<T, Diagnostic>;

/// Parses an EQL query (Elasticsearch dialect).
pub fn parse(text: &str) -> Result<Query, Diagnostics> {
    let tokens = lex(text).map_err(Diagnostics)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let query = parser.statement(text).map_err(Diagnostics::from)?;
    check_tree_depth(&query).map_err(Diagnostics::from)?;
    Ok(query)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

fn syntax(span: Span, message: String, label: &str) -> Diagnostic {
    Diagnostic::error(codes::SYNTAX, message).with_label(span, label)
}

impl Parser {
    fn tok(&self) -> &Tok {
        &self.tokens[self.pos.min(self.tokens.len() - 1)].tok
    }

    fn span(&self) -> Span {
        self.tokens[self.pos.min(self.tokens.len() - 1)].span
    }

    fn peek_tok(&self, ahead: usize) -> &Tok {
        &self.tokens[(self.pos + ahead).min(self.tokens.len() - 1)].tok
    }

    fn prev_end(&self) -> usize {
        if self.pos == 0 {
            0
        } else {
            self.tokens[self.pos - 1].span.end as usize
        }
    }

    fn bump(&mut self) -> Token {
        let t = self.tokens[self.pos.min(self.tokens.len() - 1)].clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, tok: &Tok) -> Option<Span> {
        if self.tok() == tok {
            Some(self.bump().span)
        } else {
            None
        }
    }

    fn expected(&self, what: &str) -> Diagnostic {
        let found = self.tok().describe();
        syntax(
            self.span(),
            format!("expected {what}, found {found}"),
            &format!("expected {what}"),
        )
    }

    fn expect(&mut self, tok: &Tok, what: &str) -> PResult<Span> {
        self.eat(tok).ok_or_else(|| self.expected(what))
    }

    /// Guards one level of recursion.
    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;

        if self.depth > MAX_DEPTH {
            return Err(too_deep(self.span()));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // ---- statement, queries -------------------------------------------------

    fn statement(&mut self, text: &str) -> PResult<Query> {
        let start = self.span().start as usize;
        let body = self.query_body()?;
        let mut pipes = Vec::new();
        while self.tok() == &Tok::Pipe {
            pipes.push(self.pipe()?);
        }
        if self.tok() != &Tok::Eof {
            let what = match (&body, pipes.is_empty()) {
                (Body::Event(_), true) => "[and], [or], [|] or end of query",
                _ => "[|] or end of query",
            };
            return Err(self.expected(what));
        }
        let end = self.prev_end();
        Ok(Query {
            body,
            pipes,
            span: Span::new(start, end),
            text: text.to_string(),
        })
    }

    fn query_body(&mut self) -> PResult<Body> {
        match self.tok() {
            Tok::Sequence => self.sequence().map(Body::Sequence),
            Tok::Sample => self.sample().map(Body::Sample),
            Tok::Join => Err(Diagnostic::error(codes::JOIN, "Join is not supported")
                .with_label(
                    self.span(),
                    "join queries are not part of Elasticsearch EQL",
                )
                .with_note("use a sequence instead")),
            _ => self.event_filter(),
        }
    }

    fn event_filter(&mut self) -> PResult<Body> {
        self.filter().map(Body::Event)
    }

    /// `(any | category) where condition`.
    fn filter(&mut self) -> PResult<EventFilter> {
        let start = self.span().start as usize;
        let category = match self.tok().clone() {
            Tok::Any => Category::Any {
                span: self.bump().span,
            },
            Tok::Ident(name) | Tok::Str(name) => Category::Named {
                name,
                span: self.bump().span,
            },
            _ => return Err(self.expected("an event category, [any], [sequence] or [sample]")),
        };
        self.expect(&Tok::Where, "[where]")?;
        let condition = self.expression()?;
        Ok(EventFilter {
            category,
            condition,
            span: Span::new(start, self.prev_end()),
        })
    }

    /// `sequence [by keys] [with maxspan=N] stage+ [until stage]`.
    fn sequence(&mut self) -> PResult<Sequence> {
        let keyword = self.bump().span;
        let mut by = Vec::new();
        let mut maxspan = None;
        if self.tok() == &Tok::By {
            by = self.join_keys()?;
            if self.tok() == &Tok::With {
                maxspan = Some(self.maxspan()?);
            }
        } else if self.tok() == &Tok::With {
            maxspan = Some(self.maxspan()?);
            if self.tok() == &Tok::By {
                let by_span = self.span();
                let keys = self.join_keys()?;
                let span = keys.last().map_or(by_span, |k| by_span.to(k.span));
                return Err(Diagnostic::error(
                    codes::BY_AFTER_WITH,
                    "Please specify sequence [by] before [with] not after",
                )
                .with_label(span, "move this before [with]"));
            }
        }
        let mut stages = Vec::new();
        while matches!(self.tok(), Tok::LBracket | Tok::MissingOpen) {
            stages.push(self.sequence_stage()?);
        }
        if stages.is_empty() {
            return Err(self.expected("a sequence query [...]"));
        }
        let until = if self.eat(&Tok::Until).is_some() {
            let stage = self.sequence_stage()?;
            check_until(&stage)?;
            Some(stage)
        } else {
            None
        };
        let seq = Sequence {
            by,
            maxspan,
            stages,
            until,
            span: Span::new(keyword.start as usize, self.prev_end()),
        };
        check_sequence(&seq, keyword)?;
        Ok(seq)
    }

    /// `[filter] [by keys] [with runs=N]` or `![filter] …`.
    fn sequence_stage(&mut self) -> PResult<SequenceStage> {
        let start = self.span().start as usize;
        let missing = match self.tok() {
            Tok::MissingOpen => true,
            Tok::LBracket => false,
            _ => return Err(self.expected("[[] or [![]")),
        };
        self.bump();
        let filter = self.filter()?;
        self.expect(&Tok::RBracket, "[]]")?;
        let by = if self.tok() == &Tok::By {
            self.join_keys()?
        } else {
            Vec::new()
        };
        let runs = if self.tok() == &Tok::With {
            Some(self.runs()?)
        } else {
            None
        };
        Ok(SequenceStage {
            filter,
            by,
            missing,
            runs,
            span: Span::new(start, self.prev_end()),
        })
    }

    /// `with runs=N`, 1 ≤ N ≤ 100.
    fn runs(&mut self) -> PResult<(u32, Span)> {
        self.bump();
        let key_span = self.span();
        match self.tok().clone() {
            Tok::Ident(k) if k == "runs" => {
                self.bump();
            }
            Tok::Ident(k) => {
                return Err(Diagnostic::error(
                    codes::RUNS,
                    format!("Unrecognized sequence query parameter [{k}], expected [runs]"),
                )
                .with_label(key_span, "unknown parameter"))
            }
            _ => return Err(self.expected("[runs]")),
        }
        self.expect(&Tok::Assign, "[=]")?;
        let value_span = self.span();
        let value = match self.tok().clone() {
            Tok::Integer(text) => text.parse::<u64>().ok(),
            Tok::Decimal(_) => None,
            Tok::Minus => {
                let negative_end = self.peek_tok(1);
                if let Tok::Integer(n) = negative_end {
                    let n = n.clone();
                    self.bump();
                    let span = value_span.to(self.span());
                    return Err(runs_error(span, &format!("-{n}")));
                }
                return Err(self.expected("a number"));
            }
            _ => return Err(self.expected("a number")),
        };
        let text = self.tok().describe();
        self.bump();
        match value {
            Some(n) if (1..=MAX_RUNS).contains(&n) => Ok((n as u32, value_span)),
            Some(n) if n > MAX_RUNS => Err(Diagnostic::error(
                codes::RUNS,
                format!("A query cannot be repeated more than [{MAX_RUNS}] times; found [{n}]"),
            )
            .with_label(value_span, "too many runs")),
            _ => Err(runs_error(value_span, text.trim_matches(['[', ']']))),
        }
    }

    /// `with maxspan=N unit` (`LogicalPlanBuilder.visitSequenceParams`).
    fn maxspan(&mut self) -> PResult<MaxSpan> {
        let with = self.bump().span;
        self.expect(&Tok::Maxspan, "[maxspan]")?;
        self.expect(&Tok::Assign, "[=]")?;
        let number_span = self.span();
        let amount = match self.tok().clone() {
            Tok::Integer(text) => {
                self.bump();
                text.parse::<u64>().map_err(|_| {
                    Diagnostic::error(codes::MAXSPAN, format!("Number [{text}] is too large"))
                        .with_label(number_span, "too large")
                })?
            }
            Tok::Decimal(text) => {
                return Err(Diagnostic::error(
                    codes::MAXSPAN,
                    format!(
                    "Decimal time interval [{text}] not supported; please use an positive integer"
                ),
                )
                .with_label(number_span, "not an integer"))
            }
            _ => return Err(self.expected("a positive integer")),
        };
        if amount == 0 {
            return Err(Diagnostic::error(
                codes::MAXSPAN,
                "A positive maxspan value is required; found [0]",
            )
            .with_label(number_span, "must be positive"));
        }
        let unit = match self.tok().clone() {
            Tok::Ident(u) => {
                let unit_span = self.bump().span;
                TimeUnit::from_suffix(&u).ok_or_else(|| {
                    Diagnostic::error(
                        codes::MAXSPAN,
                        format!("Unrecognized time unit [{u}] in [{amount}{u}], please specify one of [ms, s, m, h, d]"),
                    )
                    .with_label(unit_span, "unknown unit")
                })?
            }
            _ => {
                return Err(Diagnostic::error(
                    codes::MAXSPAN,
                    format!("No time unit specified, did you mean [s] as in [{amount}s]?"),
                )
                .with_label(number_span, "missing unit"))
            }
        };
        Ok(MaxSpan {
            amount,
            unit,
            span: Span::new(with.start as usize, self.prev_end()),
        })
    }

    /// `sample [by keys] [filter] [by keys] …`.
    fn sample(&mut self) -> PResult<Sample> {
        let keyword = self.bump().span;
        let by = if self.tok() == &Tok::By {
            self.join_keys()?
        } else {
            Vec::new()
        };
        let mut stages = Vec::new();
        loop {
            let start = self.span().start as usize;
            match self.tok() {
                Tok::LBracket => {}
                Tok::MissingOpen => {
                    return Err(Diagnostic::error(
                        codes::MISSING_EVENT,
                        "Missing events are not supported in samples",
                    )
                    .with_label(self.span(), "only sequences have missing-event steps"))
                }
                _ if stages.is_empty() => return Err(self.expected("a sample query [...]")),
                _ => break,
            }
            self.bump();
            let filter = self.filter()?;
            self.expect(&Tok::RBracket, "[]]")?;
            let stage_by = if self.tok() == &Tok::By {
                self.join_keys()?
            } else {
                Vec::new()
            };
            stages.push(SampleStage {
                filter,
                by: stage_by,
                span: Span::new(start, self.prev_end()),
            });
        }
        let sample = Sample {
            by,
            stages,
            span: Span::new(keyword.start as usize, self.prev_end()),
        };
        check_key_counts(sample.stages.iter().map(|s| (&s.by, s.span)))?;
        if sample.stages.len() < 2 {
            return Err(Diagnostic::error(
                codes::TOO_FEW_QUERIES,
                format!(
                    "A sample requires a minimum of 2 queries, found [{}]",
                    sample.stages.len()
                ),
            )
            .with_label(keyword, "add another query"));
        }
        Ok(sample)
    }

    /// `by expr, expr…`: each key must be a field (`visitJoinKeys` casts to attributes).
    fn join_keys(&mut self) -> PResult<Vec<Expr>> {
        self.bump();
        let mut keys = vec![self.join_key()?];
        while self.eat(&Tok::Comma).is_some() {
            keys.push(self.join_key()?);
        }
        Ok(keys)
    }

    fn join_key(&mut self) -> PResult<Expr> {
        let key = self.expression()?;
        if !matches!(key.kind, ExprKind::Field(_)) {
            return Err(
                Diagnostic::error(codes::JOIN_KEY_NOT_FIELD, "Join keys must be fields")
                    .with_label(key.span, "not a field"),
            );
        }
        Ok(key)
    }

    /// `| name args` (`LogicalPlanBuilder.pipe`).
    fn pipe(&mut self) -> PResult<Pipe> {
        let bar = self.bump().span;
        let (name, name_span) = match self.tok().clone() {
            Tok::Ident(n) => (n, self.bump().span),
            _ => return Err(self.expected("a pipe name")),
        };
        if !KNOWN_PIPES.contains(&name.as_str()) {
            let similar = find_similar(&name, KNOWN_PIPES.iter().copied());
            return Err(Diagnostic::error(
                codes::UNKNOWN_PIPE,
                format!("Unrecognized pipe [{name}]{}", did_you_mean(&similar)),
            )
            .with_label(name_span, "unknown pipe"));
        }
        let kind = match name.as_str() {
            "head" => PipeKind::Head,
            "tail" => PipeKind::Tail,
            _ => {
                return Err(Diagnostic::error(
                    codes::UNSUPPORTED_PIPE,
                    format!("Pipe [{name}] is not supported"),
                )
                .with_label(name_span, "only [head] and [tail] are supported"))
            }
        };
        let mut args = Vec::new();
        if !matches!(self.tok(), Tok::Pipe | Tok::Eof) {
            args.push(self.expression()?);
            while self.eat(&Tok::Comma).is_some() {
                args.push(self.expression()?);
            }
        }
        let span = Span::new(bar.start as usize, self.prev_end());
        if args.len() != 1 {
            return Err(Diagnostic::error(
                codes::PIPE_ARGUMENT,
                format!(
                    "Pipe [{name}] expects exactly one argument but found [{}]",
                    args.len()
                ),
            )
            .with_label(span, "expected one number"));
        }
        let count = match &args[0].kind {
            ExprKind::Long(n) if *n >= 0 => *n as u64,
            _ => {
                return Err(Diagnostic::error(
                    codes::PIPE_ARGUMENT,
                    format!(
                        "Pipe [{name}] expects a positive integer but found [{}]",
                        crate::printer::expr(&args[0])
                    ),
                )
                .with_label(args[0].span, "not a non-negative integer"))
            }
        };
        Ok(Pipe { kind, count, span })
    }

    // ---- expressions ----------------------------------------------------------

    fn expression(&mut self) -> PResult<Expr> {
        self.enter()?;
        let result = self.or_chain();
        self.leave();
        result
    }

    fn or_chain(&mut self) -> PResult<Expr> {
        let first = self.and_chain()?;
        if self.tok() != &Tok::Or {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat(&Tok::Or).is_some() {
            items.push(self.and_chain()?);
        }
        Ok(chain(items, ExprKind::Or))
    }

    fn and_chain(&mut self) -> PResult<Expr> {
        let first = self.not_expr()?;
        if self.tok() != &Tok::And {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat(&Tok::And).is_some() {
            items.push(self.not_expr()?);
        }
        Ok(chain(items, ExprKind::And))
    }

    fn not_expr(&mut self) -> PResult<Expr> {
        if self.tok() == &Tok::Not {
            let not = self.bump().span;
            self.enter()?;
            let inner = self.not_expr();
            self.leave();
            let inner = inner?;
            let span = not.to(inner.span);
            return Ok(Expr::new(ExprKind::Not(Box::new(inner)), span));
        }
        if matches!(self.tok(), Tok::Ident(_)) && self.peek_tok(1) == &Tok::Of {
            return Err(Diagnostic::error(
                codes::RELATIONSHIP,
                "Process relationships are not supported",
            )
            .with_label(self.span(), "relationship"));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> PResult<Expr> {
        let left = self.additive()?;
        let op = match self.tok() {
            Tok::EqEq => CmpOp::Eq,
            Tok::NotEq => CmpOp::NotEq,
            Tok::Lt => CmpOp::Lt,
            Tok::LtEq => CmpOp::LtEq,
            Tok::Gt => CmpOp::Gt,
            Tok::GtEq => CmpOp::GtEq,
            Tok::Assign => {
                return Err(syntax(
                    self.span(),
                    "[=] is not a comparison operator; use [==]".into(),
                    "use [==]",
                ));
            }
            _ => return Ok(left),
        };
        self.bump();
        let right = self.additive()?;
        let span = left.span.to(right.span);
        Ok(Expr::new(
            ExprKind::Compare {
                op,
                left: Box::new(left),
                right: Box::new(right),
            },
            span,
        ))
    }

    fn additive(&mut self) -> PResult<Expr> {
        let mut left = self.multiplicative()?;
        loop {
            let op = match self.tok() {
                Tok::Plus => ArithOp::Add,
                Tok::Minus => ArithOp::Sub,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.multiplicative()?;
            left = arith(op, left, right);
        }
    }

    fn multiplicative(&mut self) -> PResult<Expr> {
        let mut left = self.unary()?;
        loop {
            let op = match self.tok() {
                Tok::Star => ArithOp::Mul,
                Tok::Slash => ArithOp::Div,
                Tok::Percent => ArithOp::Mod,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.unary()?;
            left = arith(op, left, right);
        }
    }

    fn unary(&mut self) -> PResult<Expr> {
        let negative = match self.tok() {
            Tok::Minus => true,
            Tok::Plus => false,
            _ => return self.predicated(),
        };
        let sign = self.bump().span;
        self.enter()?;
        let operand = self.unary();
        self.leave();
        let operand = operand?;
        if !negative {
            return Ok(operand);
        }
        let span = sign.to(operand.span);
        Ok(Expr::new(ExprKind::Neg(Box::new(operand)), span))
    }

    /// A primary expression with an optional `in`/`:`/`like`/`regex` predicate.
    fn predicated(&mut self) -> PResult<Expr> {
        let value = self.primary()?;
        let negated = self.tok() == &Tok::Not && matches!(self.peek_tok(1), Tok::In | Tok::InCi);
        if negated {
            self.bump();
        }
        match self.tok() {
            Tok::In | Tok::InCi => {
                let case_insensitive = self.bump().tok == Tok::InCi;
                self.expect(&Tok::LParen, "[(]")?;
                let mut list = vec![self.expression()?];
                while self.eat(&Tok::Comma).is_some() {
                    list.push(self.expression()?);
                }
                self.expect(&Tok::RParen, "[,] or [)]")?;
                let span = value.span.to(Span::at(self.prev_end()));
                let kind = ExprKind::In {
                    value: Box::new(value),
                    list,
                    negated,
                    case_insensitive,
                };
                Ok(Expr::new(kind, span))
            }
            Tok::Colon | Tok::Like | Tok::LikeCi | Tok::Regex | Tok::RegexCi => {
                let op = match self.bump().tok {
                    Tok::Colon => MatchOp::Seq,
                    Tok::Like => MatchOp::Like,
                    Tok::LikeCi => MatchOp::LikeCi,
                    Tok::Regex => MatchOp::Regex,
                    _ => MatchOp::RegexCi,
                };
                let patterns = if self.eat(&Tok::LParen).is_some() {
                    let mut list = vec![self.constant()?];
                    while self.eat(&Tok::Comma).is_some() {
                        list.push(self.constant()?);
                    }
                    self.expect(&Tok::RParen, "[,] or [)]")?;
                    list
                } else {
                    vec![self.constant()?]
                };
                let span = value.span.to(Span::at(self.prev_end()));
                Ok(Expr::new(
                    ExprKind::Match {
                        value: Box::new(value),
                        op,
                        patterns,
                    },
                    span,
                ))
            }
            _ => Ok(value),
        }
    }

    fn constant(&mut self) -> PResult<Expr> {
        match self.tok() {
            Tok::Null
            | Tok::True
            | Tok::False
            | Tok::Integer(_)
            | Tok::Decimal(_)
            | Tok::Str(_) => self.primary(),
            _ => Err(self.expected("a constant")),
        }
    }

    fn primary(&mut self) -> PResult<Expr> {
        let span = self.span();
        let kind = match self.tok().clone() {
            Tok::Null => ExprKind::Null,
            Tok::True => ExprKind::Bool(true),
            Tok::False => ExprKind::Bool(false),
            Tok::Str(s) => ExprKind::Str(s),
            Tok::Integer(text) => integer_literal(&text, span)?,
            Tok::Decimal(text) => ExprKind::Double(double_literal(&text, span)?),
            Tok::Ident(name) | Tok::TildeIdent(name) if self.peek_tok(1) == &Tok::LParen => {
                return self.call(name);
            }
            Tok::TildeIdent(name) => {
                return Err(syntax(
                    span,
                    format!("expected [(] after function name [{name}~]"),
                    "expected [(]",
                ));
            }
            Tok::Question | Tok::Ident(_) | Tok::QuotedIdent(_) => return self.field(),
            Tok::LParen => {
                self.bump();
                let inner = self.expression()?;
                self.expect(&Tok::RParen, "[)]")?;
                return Ok(inner);
            }
            _ => return Err(self.expected("an expression")),
        };
        self.bump();
        Ok(Expr::new(kind, span))
    }

    fn call(&mut self, name: String) -> PResult<Expr> {
        let name_tok = self.bump();
        let case_insensitive = matches!(name_tok.tok, Tok::TildeIdent(_));
        self.bump();
        let mut args = Vec::new();
        if self.tok() != &Tok::RParen {
            args.push(self.expression()?);
            while self.eat(&Tok::Comma).is_some() {
                args.push(self.expression()?);
            }
        }
        self.expect(&Tok::RParen, "[,] or [)]")?;
        let span = Span::new(name_tok.span.start as usize, self.prev_end());
        Ok(Expr::new(
            ExprKind::Call {
                name,
                name_span: name_tok.span,
                case_insensitive,
                args,
            },
            span,
        ))
    }

    /// `?name.name.\`quoted\``; `name[0]` is rejected.
    fn field(&mut self) -> PResult<Expr> {
        let start = self.span();
        let optional = self.eat(&Tok::Question).is_some();
        let mut segments = vec![self.identifier()?];
        loop {
            match self.tok() {
                Tok::Dot => {
                    self.bump();
                    segments.push(self.identifier()?);
                }
                Tok::LBracket if matches!(self.peek_tok(1), Tok::Integer(_)) => {
                    let at = self.tokens[self.pos + 1].span;
                    return Err(Diagnostic::error(
                        codes::ARRAY_INDEX,
                        "Array indexes are not supported",
                    )
                    .with_label(at, "array index"));
                }
                _ => break,
            }
        }
        let span = start.to(Span::at(self.prev_end()));
        Ok(Expr::new(
            ExprKind::Field(Field { segments, optional }),
            span,
        ))
    }

    fn identifier(&mut self) -> PResult<String> {
        match self.tok().clone() {
            Tok::Ident(s) | Tok::QuotedIdent(s) => {
                self.bump();
                Ok(s)
            }
            _ => Err(self.expected("a field name")),
        }
    }
}

fn runs_error(span: Span, found: &str) -> Diagnostic {
    Diagnostic::error(
        codes::RUNS,
        format!("A positive runs value is required; found [{found}]"),
    )
    .with_label(span, "must be an integer from 1 to 100")
}

fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::error(
        codes::TOO_DEEP,
        format!("query is nested too deeply (more than {MAX_DEPTH} levels)"),
    )
    .with_label(span, "nesting limit reached here")
}

fn chain(items: Vec<Expr>, make: fn(Vec<Expr>) -> ExprKind) -> Expr {
    let span = items[0].span.to(items[items.len() - 1].span);
    // Flatten `(a and b) and c` into one n-ary node (same meaning, less depth).
    let mut flat = Vec::with_capacity(items.len());
    for item in items {
        match (item.kind, make(Vec::new())) {
            (ExprKind::And(inner), ExprKind::And(_)) | (ExprKind::Or(inner), ExprKind::Or(_)) => {
                flat.extend(inner)
            }
            (kind, _) => flat.push(Expr::new(kind, item.span)),
        }
    }
    Expr::new(make(flat), span)
}

fn arith(op: ArithOp, left: Expr, right: Expr) -> Expr {
    let span = left.span.to(right.span);
    Expr::new(
        ExprKind::Arith {
            op,
            left: Box::new(left),
            right: Box::new(right),
        },
        span,
    )
}

/// An integer literal: a long, or a double when too large
/// (`ExpressionBuilder.visitIntegerLiteral`).
fn integer_literal(text: &str, span: Span) -> PResult<ExprKind> {
    match text.parse::<i64>() {
        Ok(n) => Ok(ExprKind::Long(n)),
        Err(_) => double_literal(text, span).map(ExprKind::Double),
    }
}

fn double_literal(text: &str, span: Span) -> PResult<f64> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(
            Diagnostic::error(codes::BAD_NUMBER, format!("Number [{text}] is too large"))
                .with_label(span, "out of range"),
        ),
    }
}

fn check_until(stage: &SequenceStage) -> PResult<()> {
    if stage.missing {
        return Err(Diagnostic::error(
            codes::MISSING_EVENT,
            "[until] cannot be a missing-event query",
        )
        .with_label(
            Span::new(stage.span.start as usize, stage.span.start as usize + 2),
            "remove [!]",
        ));
    }
    if let Some((_, span)) = stage.runs {
        return Err(
            Diagnostic::error(codes::RUNS, "[runs] cannot be used with [until]")
                .with_label(span, "not allowed here"),
        );
    }
    Ok(())
}

/// `LogicalPlanBuilder.visitSequence`: consistent key counts (until included),
/// at least two queries (runs counted), at least one positive query.
fn check_sequence(seq: &Sequence, keyword: Span) -> PResult<()> {
    let stages = seq.stages.iter().chain(seq.until.iter());
    check_key_counts(stages.map(|s| (&s.by, s.span)))?;
    let total: u64 = seq.stages.iter().map(|s| u64::from(s.runs())).sum();
    if total < 2 {
        return Err(Diagnostic::error(
            codes::TOO_FEW_QUERIES,
            format!("A sequence requires a minimum of 2 queries, found [{total}]"),
        )
        .with_label(keyword, "add another query"));
    }
    if seq.stages.iter().all(|s| s.missing) {
        return Err(Diagnostic::error(
            codes::MISSING_EVENT,
            "A sequence requires at least one positive event query; found none",
        )
        .with_label(keyword, "every query is a missing event"));
    }
    Ok(())
}

fn check_key_counts<'a>(stages: impl Iterator<Item = (&'a Vec<Expr>, Span)>) -> PResult<()> {
    let mut expected: Option<usize> = None;
    for (by, span) in stages {
        let count = by.len();
        match expected {
            None => expected = Some(count),
            Some(e) if e != count => {
                let at = match (by.first(), by.last()) {
                    (Some(f), Some(l)) => f.span.to(l.span),
                    _ => span,
                };
                return Err(Diagnostic::error(
                    codes::JOIN_KEY_COUNT,
                    format!("Inconsistent number of join keys specified; expected [{e}] but found [{count}]"),
                )
                .with_label(at, format!("{count} key(s) here")));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Rejects trees deeper than [`MAX_DEPTH`] (left-deep operator chains are built
/// without recursion, so they are measured here), iteratively.
fn check_tree_depth(query: &Query) -> PResult<()> {
    let mut roots: Vec<&Expr> = query.join_keys();
    roots.extend(query.filters().into_iter().map(|f| &f.condition));
    for root in roots {
        let mut stack = vec![(root, 1usize)];
        while let Some((e, d)) = stack.pop() {
            if d > MAX_DEPTH {
                return Err(too_deep(e.span));
            }
            stack.extend(e.children().into_iter().map(|c| (c, d + 1)));
        }
    }
    Ok(())
}

/// Lucene's Levenshtein similarity (1 − distance / longer length), kept when
/// ≥ 0.5, best first: what Elasticsearch's `StringUtils.findSimilar` suggests.
pub(crate) fn find_similar<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Vec<&'a str> {
    let mut scored: Vec<(f32, &str)> = candidates
        .filter_map(|c| {
            let longest = word.chars().count().max(c.chars().count()).max(1);
            let score = 1.0 - levenshtein(word, c) as f32 / longest as f32;
            (score >= 0.5).then_some((score, c))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().map(|(_, c)| c).collect()
}

pub(crate) fn did_you_mean(similar: &[&str]) -> String {
    match similar {
        [] => String::new(),
        [one] => format!(", did you mean [{one}]?"),
        many => format!(", did you mean any of [{}]?", many.join(", ")),
    }
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
