//! The KQL parser: Kibana's PEG grammar
//! (`packages/kbn-es-query/src/kuery/grammar/grammar.peggy`) rule by rule, with
//! PEG semantics (ordered choice, greedy repetition, the `!Keyword` look-ahead
//! that ends unquoted values) and peggy's error reporting: the failure furthest
//! into the text wins, and the message lists what each rule expected there, by
//! rule name where the rule has one (`value`, `field name`, `whitespace`, …).
//!
//! Rules as in the grammar:
//!
//! ```text
//! start        = Space* OrQuery? OptionalSpace
//! OrQuery      = AndQuery (Or AndQuery)*          Or  = Space+ 'or'i Space+
//! AndQuery     = NotQuery (And NotQuery)*         And = Space+ 'and'i Space+
//! NotQuery     = Not SubQuery / SubQuery          Not = 'not'i Space+
//! SubQuery     = '(' Space* OrQuery OptionalSpace ')' / NestedQuery
//! NestedQuery  = Field Space* ':' Space* '{' Space* OrQuery OptionalSpace '}' / Expression
//! Expression   = Field Space* RangeOperator Space* Literal
//!              / Field Space* ':' Space* ListOfValues
//!              / Value
//! ListOfValues = '(' Space* OrListOfValues OptionalSpace ')' / Value
//! ```
//!
//! One deliberate detail: the trailing `OptionalSpace` records no expectation,
//! which reproduces the messages of Kibana's current `kuery_syntax_error.test.ts`
//! (`foo:ba:r` → `Expected AND, OR, end of input but ":" found.`).

use crate::ast::{Expr, Literal, LiteralValue, Query, RangeOp, Values, WildPart};
use crate::{codes, MAX_DEPTH};
use diag::{Diagnostic, Diagnostics, Span};

/// Parses a KQL query.
pub fn parse(text: &str) -> Result<Query, Diagnostics> {
    let mut p = Parser::new(text);
    p.spaces();
    let root = p.or_query();
    p.optional_space();
    if let Some(pos) = p.too_deep {
        return Err(too_deep(pos).into());
    }
    if root.is_some() && p.pos == text.len() {
        return Ok(Query {
            root,
            span: Span::new(0, text.len()),
        });
    }
    if p.pos == text.len() && root.is_none() {
        // `OrQuery?` matched nothing and only whitespace was left: match all.
        return Ok(Query {
            root: None,
            span: Span::new(0, text.len()),
        });
    }
    p.fail(Expected::End);
    Err(p.syntax_error().into())
}

fn too_deep(pos: usize) -> Diagnostic {
    Diagnostic::error(
        codes::TOO_DEEP,
        format!("query nesting is deeper than {MAX_DEPTH} levels"),
    )
    .with_label(Span::at(pos), "too deep")
}

/// What a failed rule expected, as peggy describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    /// A literal string (`"("`).
    Lit(&'static str),
    /// A named rule (`value`, `fieldName`, …).
    Named(&'static str),
    End,
}

impl Expected {
    /// peggy's description, which is what the list is sorted by.
    fn raw(self) -> String {
        match self {
            Expected::Lit(s) => format!("\"{s}\""),
            Expected::Named(s) => s.to_string(),
            Expected::End => "end of input".to_string(),
        }
    }

    /// Kibana's wording (`KQLSyntaxError`'s translations).
    fn display(raw: &str) -> &str {
        match raw {
            "fieldName" => "field name",
            other => other,
        }
    }
}

const FIELD_NAME: Expected = Expected::Named("fieldName");
const VALUE: Expected = Expected::Named("value");
const LITERAL: Expected = Expected::Named("literal");
const WHITESPACE: Expected = Expected::Named("whitespace");
const OR: Expected = Expected::Named("OR");
const AND: Expected = Expected::Named("AND");
const NOT: Expected = Expected::Named("NOT");

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    fail_pos: usize,
    expected: Vec<Expected>,
    /// >0 inside named rules and look-aheads: failures are not recorded.
    silent: u32,
    depth: usize,
    /// Set when the nesting limit was hit; parsing then unwinds.
    too_deep: Option<usize>,
}

/// One character of a literal after unescaping.
#[derive(Clone, Copy)]
enum Piece {
    Char(char),
    /// A UTF-16 code unit from `\uXXXX` (joined into characters afterwards).
    Unit(u16),
    /// An unescaped `*` (unquoted literals only).
    Star,
}

impl Piece {
    fn char(self) -> Option<char> {
        match self {
            Piece::Char(c) => Some(c),
            _ => None,
        }
    }
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            fail_pos: 0,
            expected: Vec::new(),
            silent: 0,
            depth: 0,
            too_deep: None,
        }
    }

    // ------------------------------------------------------------ failures

    fn fail(&mut self, what: Expected) {
        if self.silent > 0 || self.pos < self.fail_pos {
            return;
        }
        if self.pos > self.fail_pos {
            self.fail_pos = self.pos;
            self.expected.clear();
        }
        self.expected.push(what);
    }

    fn syntax_error(&self) -> Diagnostic {
        let mut raw: Vec<String> = self.expected.iter().map(|e| e.raw()).collect();
        raw.sort();
        raw.dedup();
        let list: Vec<&str> = raw.iter().map(|r| Expected::display(r)).collect();
        let found = match self.text[self.fail_pos.min(self.text.len())..]
            .chars()
            .next()
        {
            Some(c) => format!("\"{c}\""),
            None => "end of input".to_string(),
        };
        let message = format!("Expected {} but {found} found.", list.join(", "));
        let end = self.fail_pos
            + self.text[self.fail_pos..]
                .chars()
                .next()
                .map_or(0, char::len_utf8);
        Diagnostic::error(codes::SYNTAX, message).with_label(Span::new(self.fail_pos, end), "")
    }

    // ------------------------------------------------------------ terminals

    fn peek_char(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    /// Matches one ASCII character, recording it as expected on failure.
    fn byte(&mut self, b: u8, what: &'static str) -> bool {
        if self.bytes.get(self.pos) == Some(&b) {
            self.pos += 1;
            true
        } else {
            self.fail(Expected::Lit(what));
            false
        }
    }

    /// `Space "whitespace" = [\ \t\r\n\u00A0]`
    fn space(&mut self) -> bool {
        // On bytes: U+00A0 is C2 A0 in UTF-8.
        let len = match self.bytes.get(self.pos..) {
            Some([b' ' | b'\t' | b'\r' | b'\n', ..]) => 1,
            Some([0xC2, 0xA0, ..]) => 2,
            _ => 0,
        };
        if len == 0 {
            self.fail(WHITESPACE);
            return false;
        }
        self.pos += len;
        true
    }

    /// `Space*`
    fn spaces(&mut self) {
        while self.space() {}
    }

    /// `Space+`
    fn spaces1(&mut self) -> bool {
        if !self.space() {
            return false;
        }
        self.spaces();
        true
    }

    /// `OptionalSpace`: `Space*` without recording an expectation.
    fn optional_space(&mut self) {
        self.silent += 1;
        self.spaces();
        self.silent -= 1;
    }

    /// A case-insensitive ASCII word.
    fn word(&mut self, w: &str) -> bool {
        let end = self.pos + w.len();
        match self.bytes.get(self.pos..end) {
            Some(s) if s.eq_ignore_ascii_case(w.as_bytes()) => {
                self.pos = end;
                true
            }
            _ => false,
        }
    }

    /// Runs a named rule: silent inside, one expectation (its name) on failure.
    fn named<T>(&mut self, name: Expected, rule: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let start = self.pos;
        self.silent += 1;
        let out = rule(self);
        self.silent -= 1;
        if out.is_none() {
            self.pos = start;
            self.fail(name);
        }
        out
    }

    /// `Or = Space+ 'or'i Space+` (and `And`).
    fn binary_keyword(&mut self, word: &str, name: Expected) -> bool {
        self.named(name, |p| {
            (p.spaces1() && p.word(word) && p.spaces1()).then_some(())
        })
        .is_some()
    }

    /// `Not = 'not'i Space+`
    fn not_keyword(&mut self) -> bool {
        self.named(NOT, |p| (p.word("not") && p.spaces1()).then_some(()))
            .is_some()
    }

    /// `!Keyword`: true when a keyword starts here (position unchanged).
    fn at_keyword(&mut self) -> bool {
        // `or` and `and` start with a space, `not` with an `n`: any other
        // byte is no keyword (asked for every character of an unquoted
        // value, the full test was a third of KQL parsing).
        if !matches!(
            self.bytes.get(self.pos),
            Some(b' ' | b'\t' | b'\r' | b'\n' | 0xC2 | b'n' | b'N')
        ) {
            return false;
        }
        let start = self.pos;
        self.silent += 1;
        let hit = self.binary_keyword("or", OR)
            || {
                self.pos = start;
                self.binary_keyword("and", AND)
            }
            || {
                self.pos = start;
                self.not_keyword()
            };
        self.silent -= 1;
        self.pos = start;
        hit
    }

    fn enter(&mut self) -> bool {
        if self.too_deep.is_some() {
            return false;
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.too_deep = Some(self.pos);
            return false;
        }
        true
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // ------------------------------------------------------------ queries

    fn or_query(&mut self) -> Option<Expr> {
        self.binary_chain(Self::and_query, "or", OR, |items, span| Expr::Or {
            items,
            span,
        })
    }

    fn and_query(&mut self) -> Option<Expr> {
        self.binary_chain(Self::not_query, "and", AND, |items, span| Expr::And {
            items,
            span,
        })
    }

    /// `head (Keyword item)*`, one node for two or more items.
    fn binary_chain<T>(
        &mut self,
        item: fn(&mut Self) -> Option<T>,
        word: &str,
        name: Expected,
        build: fn(Vec<T>, Span) -> T,
    ) -> Option<T> {
        let start = self.pos;
        let first = item(self)?;
        let mut items = vec![first];
        let mut end = self.pos;
        loop {
            let save = self.pos;
            if !self.binary_keyword(word, name) {
                break;
            }
            match item(self) {
                Some(next) => {
                    items.push(next);
                    end = self.pos;
                }
                None => {
                    self.pos = save;
                    break;
                }
            }
        }
        if items.len() == 1 {
            return items.pop();
        }
        Some(build(items, Span::new(start, end)))
    }

    fn not_query(&mut self) -> Option<Expr> {
        self.not_prefixed(Self::sub_query, |inner, span| Expr::Not {
            inner: Box::new(inner),
            span,
        })
    }

    /// `not item` (one node) or `item`.
    fn not_prefixed<T>(
        &mut self,
        item: fn(&mut Self) -> Option<T>,
        build: fn(T, Span) -> T,
    ) -> Option<T> {
        let start = self.pos;
        if self.not_keyword() {
            if let Some(inner) = item(self) {
                return Some(build(inner, Span::new(start, self.pos)));
            }
            self.pos = start;
        }
        item(self)
    }

    fn sub_query(&mut self) -> Option<Expr> {
        if let Some(group) = self.group(Self::or_query, |inner, span| Expr::Group {
            inner: Box::new(inner),
            span,
        }) {
            return Some(group);
        }
        if self.too_deep.is_some() {
            return None;
        }
        self.nested_query()
    }

    /// `( inner )`, counted against the nesting limit; `None` (position
    /// restored) when the text is not such a group.
    fn group<T, G>(
        &mut self,
        inner: fn(&mut Self) -> Option<T>,
        build: fn(T, Span) -> G,
    ) -> Option<G> {
        let start = self.pos;
        if !self.byte(b'(', "(") {
            return None;
        }
        if !self.enter() {
            return None;
        }
        self.spaces();
        let parsed = inner(self);
        self.leave();
        if let Some(parsed) = parsed {
            self.optional_space();
            if self.byte(b')', ")") {
                return Some(build(parsed, Span::new(start, self.pos)));
            }
        }
        self.pos = start;
        None
    }

    fn nested_query(&mut self) -> Option<Expr> {
        let start = self.pos;
        if let Some(path) = self.field() {
            self.spaces();
            if self.byte(b':', ":") {
                self.spaces();
                if self.byte(b'{', "{") {
                    if !self.enter() {
                        return None;
                    }
                    self.spaces();
                    let inner = self.or_query();
                    self.leave();
                    if let Some(inner) = inner {
                        self.optional_space();
                        if self.byte(b'}', "}") {
                            let span = Span::new(start, self.pos);
                            return Some(Expr::Nested {
                                path,
                                query: Box::new(inner),
                                span,
                            });
                        }
                    }
                }
            }
        }
        self.pos = start;
        if self.too_deep.is_some() {
            return None;
        }
        self.expression()
    }

    fn expression(&mut self) -> Option<Expr> {
        let start = self.pos;
        if let Some(e) = self.field_range() {
            return Some(e);
        }
        self.pos = start;
        if let Some(e) = self.field_value() {
            return Some(e);
        }
        self.pos = start;
        let value = self.value()?;
        Some(Expr::Free {
            span: Span::new(start, self.pos),
            value,
        })
    }

    fn field_range(&mut self) -> Option<Expr> {
        let start = self.pos;
        let field = self.field()?;
        self.spaces();
        let op = self.range_operator()?;
        self.spaces();
        let value = self.named(LITERAL, Self::literal)?;
        Some(Expr::Range {
            field,
            op,
            value,
            span: Span::new(start, self.pos),
        })
    }

    fn range_operator(&mut self) -> Option<RangeOp> {
        for (text, op) in [
            ("<=", RangeOp::Lte),
            (">=", RangeOp::Gte),
            ("<", RangeOp::Lt),
            (">", RangeOp::Gt),
        ] {
            if self.bytes[self.pos..].starts_with(text.as_bytes()) {
                self.pos += text.len();
                return Some(op);
            }
            self.fail(Expected::Lit(text));
        }
        None
    }

    fn field_value(&mut self) -> Option<Expr> {
        let start = self.pos;
        let field = self.field()?;
        self.spaces();
        if !self.byte(b':', ":") {
            return None;
        }
        self.spaces();
        let values = self.list_of_values()?;
        Some(Expr::Field {
            field,
            values,
            span: Span::new(start, self.pos),
        })
    }

    // ------------------------------------------------------------ value lists

    fn list_of_values(&mut self) -> Option<Values> {
        if let Some(group) = self.group(Self::or_list, |inner, span| Values::Group {
            inner: Box::new(inner),
            span,
        }) {
            return Some(group);
        }
        if self.too_deep.is_some() {
            return None;
        }
        self.value().map(Values::One)
    }

    fn or_list(&mut self) -> Option<Values> {
        self.binary_chain(Self::and_list, "or", OR, |items, span| Values::Or {
            items,
            span,
        })
    }

    fn and_list(&mut self) -> Option<Values> {
        self.binary_chain(Self::not_list, "and", AND, |items, span| Values::And {
            items,
            span,
        })
    }

    fn not_list(&mut self) -> Option<Values> {
        self.not_prefixed(Self::list_of_values, |inner, span| Values::Not {
            inner: Box::new(inner),
            span,
        })
    }

    // ------------------------------------------------------------ literals

    /// `Field "fieldName" = Literal`
    fn field(&mut self) -> Option<Literal> {
        self.named(FIELD_NAME, Self::literal)
    }

    /// `Value "value" = QuotedString / UnquotedLiteral`
    fn value(&mut self) -> Option<Literal> {
        self.named(VALUE, Self::literal)
    }

    /// `QuotedString / UnquotedLiteral` (always called silently).
    fn literal(&mut self) -> Option<Literal> {
        if let Some(lit) = self.quoted_string() {
            return Some(lit);
        }
        self.unquoted_literal()
    }

    /// `'"' QuotedCharacter* '"'`, where only `\\`, `\"`, `\t`, `\r`, `\n` and
    /// `\uXXXX` are escapes; any other backslash is kept.
    fn quoted_string(&mut self) -> Option<Literal> {
        let start = self.pos;
        if self.bytes.get(self.pos) != Some(&b'"') {
            return None;
        }
        self.pos += 1;
        let mut pieces = Vec::new();
        loop {
            let Some(c) = self.peek_char() else {
                self.pos = start;
                return None;
            };
            let at = self.pos;
            if c == '"' {
                self.pos += 1;
                let text: String = join_units(&pieces)
                    .into_iter()
                    .map(|(p, _, _)| p)
                    .filter_map(Piece::char)
                    .collect();
                let span = Span::new(start, self.pos);
                return Some(Literal {
                    value: LiteralValue::Str(text),
                    quoted: true,
                    span,
                });
            }
            if c == '\\' {
                if let Some((piece, len)) = self.escaped_whitespace_or_unicode() {
                    pieces.push((piece, at, at + len));
                    self.pos += len;
                    continue;
                }
                if let Some(&(b'\\' | b'"')) = self.bytes.get(self.pos + 1) {
                    pieces.push((
                        Piece::Char(char::from(self.bytes[self.pos + 1])),
                        at,
                        at + 2,
                    ));
                    self.pos += 2;
                    continue;
                }
            }
            self.pos += c.len_utf8();
            pieces.push((Piece::Char(c), at, self.pos));
        }
    }

    /// `\t` `\r` `\n` and `\uXXXX` at the current position (a backslash).
    fn escaped_whitespace_or_unicode(&self) -> Option<(Piece, usize)> {
        let next = *self.bytes.get(self.pos + 1)?;
        match next {
            b't' => Some((Piece::Char('\t'), 2)),
            b'r' => Some((Piece::Char('\r'), 2)),
            b'n' => Some((Piece::Char('\n'), 2)),
            b'u' => {
                let hex = self.bytes.get(self.pos + 2..self.pos + 6)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                let unit = u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                Some((Piece::Unit(unit), 6))
            }
            _ => None,
        }
    }

    /// `UnquotedCharacter+`, trimmed; `null`, `true`, `false` become values and
    /// an unescaped `*` makes a wildcard.
    fn unquoted_literal(&mut self) -> Option<Literal> {
        let start = self.pos;
        let mut pieces: Vec<(Piece, usize, usize)> = Vec::new();
        while self.unquoted_character(&mut pieces) {}
        if self.pos == start {
            return None;
        }
        let pieces = join_units(&pieces);
        let is_ws = |p: &(Piece, usize, usize)| matches!(p.0, Piece::Char(c) if js_whitespace(c));
        let first = pieces
            .iter()
            .position(|p| !is_ws(p))
            .unwrap_or(pieces.len());
        let last = pieces
            .iter()
            .rposition(|p| !is_ws(p))
            .map_or(first, |i| i + 1);
        let kept = &pieces[first..last.max(first)];
        let span = match (kept.first(), kept.last()) {
            (Some(a), Some(b)) => Span::new(a.1, b.2),
            _ => Span::new(start, self.pos),
        };
        Some(Literal {
            value: build_unquoted_value(kept),
            quoted: false,
            span,
        })
    }

    /// One `UnquotedCharacter`, pushed with its byte range; false when the
    /// literal ends here.
    fn unquoted_character(&mut self, pieces: &mut Vec<(Piece, usize, usize)>) -> bool {
        let Some(c) = self.peek_char() else {
            return false;
        };
        let at = self.pos;
        if c == '\\' {
            return self.unquoted_escape(pieces);
        }
        let piece = if c == '*' {
            Piece::Star
        } else if is_special(c) || self.at_keyword() {
            return false;
        } else {
            Piece::Char(c)
        };
        self.pos += c.len_utf8();
        pieces.push((piece, at, self.pos));
        true
    }

    /// `EscapedWhitespace / EscapedSpecialCharacter / EscapedUnicodeSequence / EscapedKeyword`
    fn unquoted_escape(&mut self, pieces: &mut Vec<(Piece, usize, usize)>) -> bool {
        let at = self.pos;
        if let Some((piece, len)) = self.escaped_whitespace_or_unicode() {
            self.pos += len;
            pieces.push((piece, at, self.pos));
            return true;
        }
        let Some(next) = self.text[self.pos + 1..].chars().next() else {
            return false;
        };
        if is_special(next) {
            self.pos += 1 + next.len_utf8();
            pieces.push((Piece::Char(next), at, self.pos));
            return true;
        }
        for kw in ["or", "and", "not"] {
            let end = self.pos + 1 + kw.len();
            if let Some(word) = self.text.get(self.pos + 1..end) {
                if word.eq_ignore_ascii_case(kw) {
                    // The word as written, one piece per character.
                    for (i, c) in word.char_indices() {
                        pieces.push((Piece::Char(c), self.pos + 1 + i, self.pos + 2 + i));
                    }
                    let first = pieces.len() - word.len();
                    pieces[first].1 = at;
                    self.pos = end;
                    return true;
                }
            }
        }
        false
    }
}

/// `SpecialCharacter = [\\():<>"*{}]`
fn is_special(c: char) -> bool {
    matches!(
        c,
        '\\' | '(' | ')' | ':' | '<' | '>' | '"' | '*' | '{' | '}'
    )
}

/// The characters JavaScript's `String.prototype.trim` removes.
fn js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

fn build_unquoted_value(pieces: &[(Piece, usize, usize)]) -> LiteralValue {
    let has_star = pieces.iter().any(|p| matches!(p.0, Piece::Star));
    if !has_star {
        let text: String = pieces.iter().filter_map(|p| p.0.char()).collect();
        return match text.as_str() {
            "null" => LiteralValue::Null,
            "true" => LiteralValue::Bool(true),
            "false" => LiteralValue::Bool(false),
            _ => LiteralValue::Str(text),
        };
    }
    let mut parts = Vec::new();
    let mut lit = String::new();
    for (piece, _, _) in pieces {
        match piece {
            Piece::Char(c) => lit.push(*c),
            Piece::Unit(_) => lit.push('\u{fffd}'),
            Piece::Star => {
                if !lit.is_empty() {
                    parts.push(WildPart::Lit(std::mem::take(&mut lit)));
                }
                parts.push(WildPart::Star);
            }
        }
    }
    if !lit.is_empty() {
        parts.push(WildPart::Lit(lit));
    }
    LiteralValue::Wildcard(parts)
}

/// Joins the UTF-16 code units of `\uXXXX` escapes as a JavaScript string
/// would: a surrogate pair is one character, a lone surrogate becomes U+FFFD.
fn join_units(pieces: &[(Piece, usize, usize)]) -> Vec<(Piece, usize, usize)> {
    let mut out = Vec::with_capacity(pieces.len());
    let mut i = 0;
    while i < pieces.len() {
        let (piece, start, end) = pieces[i];
        i += 1;
        let Piece::Unit(unit) = piece else {
            out.push((piece, start, end));
            continue;
        };
        if (0xD800..0xDC00).contains(&unit) {
            if let Some(&(Piece::Unit(low), _, low_end)) = pieces.get(i) {
                if (0xDC00..0xE000).contains(&low) {
                    let code =
                        0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                    out.push((
                        Piece::Char(char::from_u32(code).unwrap_or('\u{fffd}')),
                        start,
                        low_end,
                    ));
                    i += 1;
                    continue;
                }
            }
        }
        out.push((
            Piece::Char(char::from_u32(u32::from(unit)).unwrap_or('\u{fffd}')),
            start,
            end,
        ));
    }
    out
}
