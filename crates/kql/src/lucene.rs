//! Lucene query strings (`language = "lucene"`, and the DSL `query_string`
//! query): Lucene's classic query parser as Elasticsearch's `query_string`
//! runs it, lowered to the same IR as KQL.
//!
//! Syntax: `field:value`, `field:(a b)`, `"phrases"`, wildcards `*` `?`,
//! regular expressions `/…/`, ranges `[a TO b]` `{a TO b}` (`*` open) and
//! `field:>5` `>=` `<` `<=`, `_exists_:field`, grouping, `\` escapes, boosts
//! `^n` (ignored), the operators `AND` `OR` `NOT` `&&` `||` `!` and the
//! modifiers `+` `-`. Operators are upper-case words; `and` is a term.
//!
//! Boolean logic is Lucene's, not a precedence grammar: each clause of a group
//! is MUST, SHOULD or MUST_NOT (`QueryParserBase.addClause`): `AND` makes the
//! clauses on both sides required, `NOT`/`-` prohibits, `+` requires, and with
//! the default operator OR a plain clause is optional — so `a AND b OR c` is
//! `+a +b c`, which matches what `a AND b` matches. A group matches when all
//! MUST clauses match, no MUST_NOT clause does and, without MUST clauses, at
//! least one SHOULD clause does; a purely negative group matches everything
//! else (Elasticsearch's `fixNegativeQueryIfNeeded`).
//!
//! Values follow the field types as in KQL ([`crate::semantics`]); a term
//! without a field searches the default fields (`*`: every searchable schema
//! field, leniently). Fuzzy (`~`) and proximity queries are rejected.

use crate::codes;
use crate::lower::Lowerer;
use crate::semantics::{field_pred, Bound, Env, Want};
use crate::{KqlOptions, MAX_DEPTH};
use diag::{Diagnostic, Diagnostics, Span};
use event::wildcard::Part;
use ir::{Binder, Pred};

/// Parses and lowers a Lucene query string.
pub fn compile(
    text: &str,
    binder: &mut Binder<'_>,
    opts: &KqlOptions,
) -> Result<Pred, Diagnostics> {
    let mut lower = Lowerer::new(binder, opts);
    let pred = lower_with(text, &mut lower, &Settings::default())?;
    if lower.diags.has_errors() {
        return Err(lower.diags);
    }
    Ok(pred)
}

/// Parses a Lucene query string (syntax check only).
pub fn parse(text: &str) -> Result<Query, Diagnostics> {
    Parser::new(text).parse()
}

/// `query_string` parameters.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    /// `fields` / `default_field`; empty: the options' default fields.
    pub default_fields: Vec<String>,
    pub default_operator_and: bool,
    pub lenient: Option<bool>,
}

pub(crate) fn lower_with(
    text: &str,
    lower: &mut Lowerer<'_, '_, '_>,
    settings: &Settings,
) -> Result<Pred, Diagnostics> {
    let mut parser = Parser::new(text);
    parser.operator_and = settings.default_operator_and;
    let query = parser.parse()?;
    let before = lower.diags.0.len();
    let pred = LuceneLower { lower, settings }.group(&query.clauses, None);
    let new: Vec<Diagnostic> = lower.diags.0.drain(before..).collect();
    if new.iter().any(Diagnostic::is_error) {
        return Err(Diagnostics(new));
    }
    lower.diags.0.extend(new);
    Ok(pred)
}

/// A parsed query string: the clauses of the top-level group.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub clauses: Vec<Clause>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occur {
    Must,
    Should,
    MustNot,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub occur: Occur,
    pub node: Node,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `( … )`, optionally with a field for the terms inside (`f:(a b)`).
    Group {
        field: Option<String>,
        clauses: Vec<Clause>,
        span: Span,
    },
    Term {
        field: Option<String>,
        term: Term,
        span: Span,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// A plain term (escapes resolved).
    Word(String),
    Phrase(String),
    /// A term with unescaped `*` or `?`.
    Wildcard(Vec<Part>),
    Regex(String),
    Range {
        lower: Option<RangeEnd>,
        upper: Option<RangeEnd>,
    },
    /// `_exists_:field`.
    Exists(String),
}

/// One end of a range: the value as written and whether it is included.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeEnd {
    pub text: String,
    pub inclusive: bool,
}

impl RangeEnd {
    fn bound(&self) -> Bound {
        Bound {
            text: self.text.clone(),
            inclusive: self.inclusive,
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
    operator_and: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Conj {
    None,
    And,
    Or,
}

#[derive(Clone, Copy, PartialEq)]
enum Mods {
    None,
    Req,
    Not,
}

fn syntax(span: Span, message: impl Into<String>) -> Diagnostics {
    Diagnostic::error(codes::LUCENE_SYNTAX, message)
        .with_label(span, "")
        .into()
}

/// Characters that end a term (Lucene's `_TERM_START_CHAR` exclusions).
fn is_term_stop(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '+' | '-'
                | '!'
                | '('
                | ')'
                | ':'
                | '^'
                | '['
                | ']'
                | '"'
                | '{'
                | '}'
                | '~'
                | '\\'
                | '/'
                | '&'
                | '|'
        )
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            text,
            pos: 0,
            depth: 0,
            operator_and: false,
        }
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if !c.is_whitespace() {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    /// An operator word (`AND`, `OR`, `NOT`) followed by a term boundary.
    fn eat_word(&mut self, w: &str) -> bool {
        let rest = self.rest();
        if rest.starts_with(w)
            && rest[w.len()..]
                .chars()
                .next()
                .is_none_or(|c| c.is_whitespace() || c == '(' || c == '"')
        {
            self.pos += w.len();
            return true;
        }
        false
    }

    fn parse(mut self) -> Result<Query, Diagnostics> {
        let clauses = self.clauses()?;
        self.skip_ws();
        if self.pos < self.text.len() {
            return Err(syntax(
                Span::at(self.pos),
                format!("unexpected `{}`", self.peek().unwrap_or(' ')),
            ));
        }
        Ok(Query { clauses })
    }

    /// `Modifiers Clause (Conjunction Modifiers Clause)*` until `)` or the end.
    fn clauses(&mut self) -> Result<Vec<Clause>, Diagnostics> {
        let mut clauses: Vec<Clause> = Vec::new();
        loop {
            self.skip_ws();
            if self.pos >= self.text.len() || self.peek() == Some(')') {
                break;
            }
            let at = self.pos;
            let conj = if self.eat_word("AND") || self.eat("&&") {
                Conj::And
            } else if self.eat_word("OR") || self.eat("||") {
                Conj::Or
            } else {
                Conj::None
            };
            if conj != Conj::None && clauses.is_empty() {
                return Err(syntax(
                    Span::new(at, self.pos),
                    "an operator needs a clause before it",
                ));
            }
            self.skip_ws();
            let mods = if self.eat("+") {
                Mods::Req
            } else if self.eat("-") || self.eat("!") || self.eat_word("NOT") {
                Mods::Not
            } else {
                Mods::None
            };
            self.skip_ws();
            if self.pos >= self.text.len() || self.peek() == Some(')') {
                return Err(syntax(Span::at(self.pos), "expected a clause"));
            }
            let node = self.clause()?;
            self.add_clause(&mut clauses, conj, mods, node);
        }
        Ok(clauses)
    }

    /// `QueryParserBase.addClause`: `AND` makes the previous clause required
    /// (unless prohibited); with the AND default operator, `OR` makes it optional.
    fn add_clause(&self, clauses: &mut Vec<Clause>, conj: Conj, mods: Mods, node: Node) {
        if let Some(last) = clauses.last_mut() {
            if conj == Conj::And && last.occur != Occur::MustNot {
                last.occur = Occur::Must;
            }
            if self.operator_and && conj == Conj::Or && last.occur != Occur::MustNot {
                last.occur = Occur::Should;
            }
        }
        let prohibited = mods == Mods::Not;
        let required = if self.operator_and {
            !prohibited && conj != Conj::Or
        } else {
            mods == Mods::Req || (conj == Conj::And && !prohibited)
        };
        let occur = if prohibited {
            Occur::MustNot
        } else if required {
            Occur::Must
        } else {
            Occur::Should
        };
        clauses.push(Clause { occur, node });
    }

    fn clause(&mut self) -> Result<Node, Diagnostics> {
        let start = self.pos;
        let field = self.field_prefix();
        self.skip_ws();
        if self.eat("(") {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(Diagnostic::error(
                    codes::LUCENE_TOO_DEEP,
                    format!("query nesting is deeper than {MAX_DEPTH} levels"),
                )
                .with_label(Span::at(start), "too deep")
                .into());
            }
            let clauses = self.clauses()?;
            self.depth -= 1;
            if !self.eat(")") {
                return Err(syntax(Span::at(self.pos), "expected `)`"));
            }
            self.boost_and_fuzzy()?;
            return Ok(Node::Group {
                field,
                clauses,
                span: Span::new(start, self.pos),
            });
        }
        let term = self.term(field.as_deref())?;
        self.boost_and_fuzzy()?;
        Ok(Node::Term {
            field,
            term,
            span: Span::new(start, self.pos),
        })
    }

    /// `TERM ':'` or `'*' ':'` at the start of a clause.
    fn field_prefix(&mut self) -> Option<String> {
        let save = self.pos;
        if let Some((name, _)) = self.raw_term() {
            self.skip_ws();
            if self.eat(":") {
                return Some(name);
            }
        }
        self.pos = save;
        None
    }

    /// A term's characters with escapes resolved; also whether it had an
    /// unescaped `*` or `?`.
    fn raw_term(&mut self) -> Option<(String, bool)> {
        let (parts, _) = self.term_parts()?;
        let wild = parts.iter().any(|p| !matches!(p, Part::Literal(_)));
        let text = parts
            .iter()
            .map(|p| match p {
                Part::Literal(s) => s.clone(),
                Part::AnyRun => "*".to_string(),
                Part::AnyOne => "?".to_string(),
            })
            .collect();
        Some((text, wild))
    }

    /// Reads a term: literal runs, `*` and `?`; `None` when no term starts here.
    fn term_parts(&mut self) -> Option<(Vec<Part>, Span)> {
        let start = self.pos;
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut first = true;
        while let Some(c) = self.peek() {
            if c == '\\' {
                self.pos += 1;
                match self.peek() {
                    Some(e) => {
                        lit.push(e);
                        self.pos += e.len_utf8();
                    }
                    None => {
                        self.pos = start;
                        return None;
                    }
                }
            } else if c == '*' || c == '?' {
                if !lit.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut lit)));
                }
                parts.push(if c == '*' { Part::AnyRun } else { Part::AnyOne });
                self.pos += 1;
            } else if (c == '-' || c == '+') && !first {
                lit.push(c);
                self.pos += 1;
            } else if is_term_stop(c) {
                break;
            } else {
                lit.push(c);
                self.pos += c.len_utf8();
            }
            first = false;
        }
        if !lit.is_empty() {
            parts.push(Part::Literal(lit));
        }
        if self.pos == start {
            return None;
        }
        Some((parts, Span::new(start, self.pos)))
    }

    fn term(&mut self, field: Option<&str>) -> Result<Term, Diagnostics> {
        let at = self.pos;
        match self.peek() {
            Some('"') => return self.phrase(),
            Some('/') => return self.regex(),
            Some('[' | '{') => return self.range(),
            Some('>' | '<') => return self.open_range(),
            _ => {}
        }
        let Some((parts, _)) = self.term_parts() else {
            return Err(syntax(Span::at(at), "expected a term"));
        };
        if field == Some("_exists_") {
            return Ok(Term::Exists(parts_text(&parts)));
        }
        if parts.iter().all(|p| matches!(p, Part::Literal(_))) {
            return Ok(Term::Word(parts_text(&parts)));
        }
        Ok(Term::Wildcard(parts))
    }

    fn phrase(&mut self) -> Result<Term, Diagnostics> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(syntax(Span::at(start), "unterminated quoted phrase")),
                Some('"') => {
                    self.pos += 1;
                    return Ok(Term::Phrase(out));
                }
                Some('\\') => {
                    self.pos += 1;
                    if let Some(e) = self.peek() {
                        out.push(e);
                        self.pos += e.len_utf8();
                    }
                }
                Some(c) => {
                    out.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    fn regex(&mut self) -> Result<Term, Diagnostics> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(syntax(Span::at(start), "unterminated regular expression")),
                Some('/') => {
                    self.pos += 1;
                    return Ok(Term::Regex(out));
                }
                Some('\\') if self.rest()[1..].starts_with('/') => {
                    out.push('/');
                    self.pos += 2;
                }
                Some(c) => {
                    out.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    /// `[a TO b]`, `{a TO b}` and mixed brackets; `*` is an open end.
    fn range(&mut self) -> Result<Term, Diagnostics> {
        let start = self.pos;
        let lower_inclusive = self.eat("[") || {
            self.pos += 1;
            false
        };
        self.skip_ws();
        let lower = self.range_value()?;
        self.skip_ws();
        if !self.eat_word("TO") {
            return Err(syntax(Span::at(self.pos), "expected `TO` in a range"));
        }
        self.skip_ws();
        let upper = self.range_value()?;
        self.skip_ws();
        let upper_inclusive = match self.peek() {
            Some(']') => true,
            Some('}') => false,
            _ => {
                return Err(syntax(
                    Span::new(start, self.pos),
                    "expected `]` or `}` to close the range",
                ))
            }
        };
        self.pos += 1;
        let bound = |v: Option<String>, inclusive| v.map(|text| RangeEnd { text, inclusive });
        Ok(Term::Range {
            lower: bound(lower, lower_inclusive),
            upper: bound(upper, upper_inclusive),
        })
    }

    /// A range end: quoted, or up to whitespace / `]` / `}`; `*` is open.
    fn range_value(&mut self) -> Result<Option<String>, Diagnostics> {
        if self.peek() == Some('"') {
            let Term::Phrase(s) = self.phrase()? else {
                return Ok(None);
            };
            return Ok(Some(s));
        }
        let start = self.pos;
        let mut out = String::new();
        while let Some(c) = self.peek() {
            if c.is_whitespace() || c == ']' || c == '}' {
                break;
            }
            if c == '\\' {
                self.pos += 1;
                if let Some(e) = self.peek() {
                    out.push(e);
                    self.pos += e.len_utf8();
                }
                continue;
            }
            out.push(c);
            self.pos += c.len_utf8();
        }
        if self.pos == start {
            return Err(syntax(Span::at(self.pos), "expected a range value"));
        }
        Ok(if out == "*" { None } else { Some(out) })
    }

    /// `>5`, `>=5`, `<5`, `<=5` (Elasticsearch's one-sided ranges).
    fn open_range(&mut self) -> Result<Term, Diagnostics> {
        let (greater, inclusive) = if self.eat(">=") {
            (true, true)
        } else if self.eat("<=") {
            (false, true)
        } else if self.eat(">") {
            (true, false)
        } else {
            self.pos += 1;
            (false, false)
        };
        let Some((parts, _)) = self.term_parts() else {
            return Err(syntax(
                Span::at(self.pos),
                "expected a value after the comparison",
            ));
        };
        let b = Some(RangeEnd {
            text: parts_text(&parts),
            inclusive,
        });
        Ok(if greater {
            Term::Range {
                lower: b,
                upper: None,
            }
        } else {
            Term::Range {
                lower: None,
                upper: b,
            }
        })
    }

    /// `^boost` is ignored; `~` (fuzzy or proximity) is not supported.
    fn boost_and_fuzzy(&mut self) -> Result<(), Diagnostics> {
        loop {
            if self.eat("^") {
                let start = self.pos;
                while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '.') {
                    self.pos += 1;
                }
                if self.pos == start {
                    return Err(syntax(Span::at(self.pos), "expected a number after `^`"));
                }
            } else if self.peek() == Some('~') {
                return Err(Diagnostic::error(
                    codes::UNSUPPORTED,
                    "fuzzy and proximity queries (`~`) are not supported",
                )
                .with_label(Span::at(self.pos), "")
                .into());
            } else {
                return Ok(());
            }
        }
    }
}

fn parts_text(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Part::Literal(s) => s.as_str(),
            Part::AnyRun => "*",
            Part::AnyOne => "?",
        })
        .collect()
}

struct LuceneLower<'l, 'b, 's, 'o> {
    lower: &'l mut Lowerer<'b, 's, 'o>,
    settings: &'l Settings,
}

impl LuceneLower<'_, '_, '_, '_> {
    fn group(&mut self, clauses: &[Clause], field: Option<&str>) -> Pred {
        let mut must = Vec::new();
        let mut should = Vec::new();
        let mut must_not = Vec::new();
        for c in clauses {
            let p = self.node(&c.node, field);
            match c.occur {
                Occur::Must => must.push(p),
                Occur::Should => should.push(p),
                Occur::MustNot => must_not.push(Pred::not(p)),
            }
        }
        if must.is_empty() && !should.is_empty() {
            must.push(Pred::or(should));
        }
        must.extend(must_not);
        Pred::and(must)
    }

    fn node(&mut self, node: &Node, field: Option<&str>) -> Pred {
        match node {
            Node::Group {
                field: f, clauses, ..
            } => self.group(clauses, f.as_deref().or(field)),
            Node::Term {
                field: f,
                term,
                span,
            } => self.term(f.as_deref().or(field), term, *span),
        }
    }

    fn term(&mut self, field: Option<&str>, term: &Term, span: Span) -> Pred {
        let field = field.filter(|f| *f != "*" || matches!(term, Term::Exists(_)));
        let want = match term {
            Term::Exists(name) => {
                return self.on_fields(std::slice::from_ref(name), &Want::Exists, span, false)
            }
            Term::Word(w) => Want::Match {
                text: w.clone(),
                phrase: false,
            },
            Term::Phrase(p) => Want::Match {
                text: p.clone(),
                phrase: true,
            },
            Term::Wildcard(parts) if parts == &[Part::AnyRun] => {
                return match field {
                    None => Pred::Const(true),
                    Some(f) => self.on_fields(&[f.to_string()], &Want::Exists, span, false),
                };
            }
            Term::Wildcard(parts) => Want::Wildcard {
                parts: parts.clone(),
                case_insensitive: false,
            },
            Term::Regex(r) => Want::Regex {
                pattern: r.clone(),
                case_insensitive: false,
            },
            Term::Range { lower, upper } => Want::Range {
                lower: lower.as_ref().map(RangeEnd::bound),
                upper: upper.as_ref().map(RangeEnd::bound),
            },
        };
        let (names, lenient) = match field {
            Some(f) => (vec![f.to_string()], self.settings.lenient.unwrap_or(false)),
            None if !self.settings.default_fields.is_empty() => {
                let all = self.settings.default_fields.iter().any(|f| f == "*");
                (
                    self.settings.default_fields.clone(),
                    self.settings.lenient.unwrap_or(all),
                )
            }
            None => return self.lower.default_fields_pred(&[want], span),
        };
        self.on_fields(&names, &want, span, lenient)
    }

    fn on_fields(&mut self, names: &[String], want: &Want, span: Span, lenient: bool) -> Pred {
        let mut expanded = Vec::new();
        for n in names {
            if n.contains('*') {
                expanded.extend(self.lower.expand_pattern(n, true));
            } else {
                expanded.push(n.clone());
            }
        }
        let env = Env {
            lenient: lenient || self.lower.env.lenient,
            ..self.lower.env
        };
        let mut preds = Vec::new();
        for n in &expanded {
            match field_pred(self.lower.binder, env, n, want) {
                Ok(p) => preds.push(p),
                Err(e) => self
                    .lower
                    .diags
                    .push(Diagnostic::error(e.code, e.message).with_label(span, "")),
            }
        }
        Pred::or(preds)
    }
}
