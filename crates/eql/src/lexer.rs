//! The EQL lexer: text → tokens with byte spans.
//!
//! Follows Elasticsearch's `EqlBase.g4` lexer rules: case-sensitive keywords,
//! `IDENTIFIER` (`[A-Za-z_@][A-Za-z0-9_]*`), backquoted identifiers (with ``` `` ```
//! for a backquote), `name~` function names, numbers (long or double, with
//! exponent), `"…"` strings with the escapes `\t \b \f \n \r \" \' \\ \u{hex}`,
//! `"""…"""` raw strings, `//` and nested `/* */` comments. Single-quoted and
//! `?"…"` strings are lexed and then rejected with Elasticsearch's messages
//! (`AbstractBuilder.unquoteString`).

use crate::codes;
use diag::{Diagnostic, Span};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    And,
    Any,
    By,
    False,
    In,
    InCi,
    Join,
    Like,
    LikeCi,
    Maxspan,
    Not,
    Null,
    Of,
    Or,
    Regex,
    RegexCi,
    Sample,
    Sequence,
    True,
    Until,
    Where,
    With,
    /// `:`
    Colon,
    /// `=`
    Assign,
    /// `==`
    EqEq,
    /// `!=`
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Dot,
    Comma,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Pipe,
    /// `?` (optional field marker)
    Question,
    /// `![` (missing-event step)
    MissingOpen,
    /// A string literal, already unescaped.
    Str(String),
    /// Digits only.
    Integer(String),
    /// A number with a fraction or exponent.
    Decimal(String),
    Ident(String),
    /// A backquoted identifier, unquoted.
    QuotedIdent(String),
    /// `name~` (case-insensitive function name), without the `~`.
    TildeIdent(String),
    Eof,
}

impl Tok {
    /// How the token reads in messages (`[where]`, `end of query`).
    pub fn describe(&self) -> String {
        match self {
            Tok::Eof => "end of query".to_string(),
            Tok::Str(_) => "a string".to_string(),
            Tok::Integer(s) | Tok::Decimal(s) => format!("[{s}]"),
            Tok::Ident(s) => format!("[{s}]"),
            Tok::QuotedIdent(s) => format!("[`{s}`]"),
            Tok::TildeIdent(s) => format!("[{s}~]"),
            other => format!("[{}]", other.keyword_text().unwrap_or("?")),
        }
    }

    /// The fixed text of keyword and operator tokens.
    pub fn keyword_text(&self) -> Option<&'static str> {
        Some(match self {
            Tok::And => "and",
            Tok::Any => "any",
            Tok::By => "by",
            Tok::False => "false",
            Tok::In => "in",
            Tok::InCi => "in~",
            Tok::Join => "join",
            Tok::Like => "like",
            Tok::LikeCi => "like~",
            Tok::Maxspan => "maxspan",
            Tok::Not => "not",
            Tok::Null => "null",
            Tok::Of => "of",
            Tok::Or => "or",
            Tok::Regex => "regex",
            Tok::RegexCi => "regex~",
            Tok::Sample => "sample",
            Tok::Sequence => "sequence",
            Tok::True => "true",
            Tok::Until => "until",
            Tok::Where => "where",
            Tok::With => "with",
            Tok::Colon => ":",
            Tok::Assign => "=",
            Tok::EqEq => "==",
            Tok::NotEq => "!=",
            Tok::Lt => "<",
            Tok::LtEq => "<=",
            Tok::Gt => ">",
            Tok::GtEq => ">=",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Percent => "%",
            Tok::Dot => ".",
            Tok::Comma => ",",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::Pipe => "|",
            Tok::Question => "?",
            Tok::MissingOpen => "![",
            _ => return None,
        })
    }
}

/// Keywords, matched case-sensitively against whole identifiers.
pub fn keyword(word: &str) -> Option<Tok> {
    Some(match word {
        "and" => Tok::And,
        "any" => Tok::Any,
        "by" => Tok::By,
        "false" => Tok::False,
        "in" => Tok::In,
        "join" => Tok::Join,
        "like" => Tok::Like,
        "maxspan" => Tok::Maxspan,
        "not" => Tok::Not,
        "null" => Tok::Null,
        "of" => Tok::Of,
        "or" => Tok::Or,
        "regex" => Tok::Regex,
        "sample" => Tok::Sample,
        "sequence" => Tok::Sequence,
        "true" => Tok::True,
        "until" => Tok::Until,
        "where" => Tok::Where,
        "with" => Tok::With,
        _ => return None,
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// Tokenizes `text`. Returns every lexical error found (the parser does not
/// run when there is one).
pub fn lex(text: &str) -> Result<Vec<Token>, Vec<Diagnostic>> {
    let mut lexer = Lexer {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        // About one token per 6 bytes in the catalogue's queries.
        tokens: Vec::with_capacity(text.len() / 6),
        errors: Vec::new(),
    };
    lexer.run();
    if lexer.errors.is_empty() {
        Ok(lexer.tokens)
    } else {
        Err(lexer.errors)
    }
}

struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    tokens: Vec<Token>,
    errors: Vec<Diagnostic>,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'@'
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'a> Lexer<'a> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn current_char(&self) -> Option<char> {
        self.text.get(self.pos..).and_then(|r| r.chars().next())
    }

    fn push(&mut self, tok: Tok, start: usize) {
        self.tokens.push(Token {
            tok,
            span: Span::new(start, self.pos),
        });
    }

    fn error(&mut self, code: &'static str, span: Span, message: String, label: &str) {
        self.errors
            .push(Diagnostic::error(code, message).with_label(span, label));
    }

    fn run(&mut self) {
        while self.pos < self.bytes.len() {
            let start = self.pos;
            let b = self.bytes[self.pos];
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'/' if self.peek(1) == Some(b'/') => self.line_comment(),
                b'/' if self.peek(1) == Some(b'*') => self.block_comment(),
                b'"' => self.double_quoted(),
                b'\'' => self.single_quoted(),
                b'?' if matches!(self.peek(1), Some(b'"') | Some(b'\'')) => self.old_raw_string(),
                b'`' => self.quoted_ident(),
                b'0'..=b'9' => self.number(),
                b'.' if self.peek(1).is_some_and(|c| c.is_ascii_digit()) => self.number(),
                _ if is_ident_start(b) => self.word(),
                _ => self.operator(start),
            }
        }
        self.tokens.push(Token {
            tok: Tok::Eof,
            span: Span::at(self.bytes.len()),
        });
    }

    fn line_comment(&mut self) {
        while self.pos < self.bytes.len() && self.bytes[self.pos] != b'\n' {
            self.pos += 1;
        }
    }

    /// `/* … */`, nested as in the grammar (`BRACKETED_COMMENT` recurses).
    fn block_comment(&mut self) {
        let start = self.pos;
        let mut depth = 0usize;
        while self.pos < self.bytes.len() {
            if self.bytes[self.pos] == b'/' && self.peek(1) == Some(b'*') {
                depth += 1;
                self.pos += 2;
            } else if self.bytes[self.pos] == b'*' && self.peek(1) == Some(b'/') {
                depth -= 1;
                self.pos += 2;
                if depth == 0 {
                    return;
                }
            } else {
                self.pos += 1;
            }
        }
        self.error(
            codes::UNTERMINATED,
            Span::new(start, start + 2),
            "unterminated comment: [/*] is never closed by [*/]".into(),
            "comment starts here",
        );
    }

    fn operator(&mut self, start: usize) {
        let two = (self.bytes[self.pos], self.peek(1));
        let (tok, len) = match two {
            (b'=', Some(b'=')) => (Tok::EqEq, 2),
            (b'!', Some(b'=')) => (Tok::NotEq, 2),
            (b'!', Some(b'[')) => (Tok::MissingOpen, 2),
            (b'<', Some(b'=')) => (Tok::LtEq, 2),
            (b'>', Some(b'=')) => (Tok::GtEq, 2),
            (b'=', _) => (Tok::Assign, 1),
            (b'<', _) => (Tok::Lt, 1),
            (b'>', _) => (Tok::Gt, 1),
            (b':', _) => (Tok::Colon, 1),
            (b'+', _) => (Tok::Plus, 1),
            (b'-', _) => (Tok::Minus, 1),
            (b'*', _) => (Tok::Star, 1),
            (b'/', _) => (Tok::Slash, 1),
            (b'%', _) => (Tok::Percent, 1),
            (b'.', _) => (Tok::Dot, 1),
            (b',', _) => (Tok::Comma, 1),
            (b'[', _) => (Tok::LBracket, 1),
            (b']', _) => (Tok::RBracket, 1),
            (b'(', _) => (Tok::LParen, 1),
            (b')', _) => (Tok::RParen, 1),
            (b'|', _) => (Tok::Pipe, 1),
            (b'?', _) => (Tok::Question, 1),
            _ => {
                let ch = self.text[start..].chars().next().unwrap_or('\u{fffd}');
                self.pos += ch.len_utf8().max(1);
                let span = Span::new(start, self.pos);
                self.error(
                    codes::UNEXPECTED_CHAR,
                    span,
                    format!("unexpected character [{}]", ch.escape_debug()),
                    "no token starts with this character",
                );
                return;
            }
        };
        self.pos += len;
        self.push(tok, start);
    }

    fn word(&mut self) {
        let start = self.pos;
        self.pos += 1;
        while self.pos < self.bytes.len() && is_ident_continue(self.bytes[self.pos]) {
            self.pos += 1;
        }
        let word = &self.text[start..self.pos];
        // `in~`, `like~`, `regex~` and `name~` (TILDE_IDENTIFIER needs a leading letter).
        if self.peek(0) == Some(b'~') && self.bytes[start].is_ascii_alphabetic() {
            self.pos += 1;
            let tok = match word {
                "in" => Tok::InCi,
                "like" => Tok::LikeCi,
                "regex" => Tok::RegexCi,
                _ => Tok::TildeIdent(word.to_string()),
            };
            self.push(tok, start);
            return;
        }
        let tok = keyword(word).unwrap_or_else(|| Tok::Ident(word.to_string()));
        self.push(tok, start);
    }

    /// `DIGIT+ (. DIGIT*)? EXPONENT?` or `. DIGIT+ EXPONENT?`.
    fn number(&mut self) {
        let start = self.pos;
        let mut decimal = false;
        self.digits();
        if self.peek(0) == Some(b'.') {
            decimal = true;
            self.pos += 1;
            self.digits();
        }
        let exp_digits_at = match (self.peek(0), self.peek(1), self.peek(2)) {
            (Some(b'e' | b'E'), Some(b'+' | b'-'), Some(d)) if d.is_ascii_digit() => Some(2),
            (Some(b'e' | b'E'), Some(d), _) if d.is_ascii_digit() => Some(1),
            _ => None,
        };
        if let Some(skip) = exp_digits_at {
            decimal = true;
            self.pos += skip;
            self.digits();
        }
        let text = self.text[start..self.pos].to_string();
        self.push(
            if decimal {
                Tok::Decimal(text)
            } else {
                Tok::Integer(text)
            },
            start,
        );
    }

    fn digits(&mut self) {
        while self.pos < self.bytes.len() && self.bytes[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
    }

    /// `` `…` `` with ``` `` ``` standing for one backquote; may span lines.
    fn quoted_ident(&mut self) {
        let start = self.pos;
        self.pos += 1;
        let mut value = String::new();
        while let Some(ch) = self.current_char() {
            if ch == '`' {
                if self.peek(1) == Some(b'`') {
                    value.push('`');
                    self.pos += 2;
                    continue;
                }
                self.pos += 1;
                self.push(Tok::QuotedIdent(value), start);
                return;
            }
            value.push(ch);
            self.pos += ch.len_utf8();
        }
        self.error(
            codes::UNTERMINATED,
            Span::new(start, start + 1),
            "unterminated quoted identifier: missing closing [`]".into(),
            "identifier starts here",
        );
    }

    fn double_quoted(&mut self) {
        if self.bytes[self.pos..].starts_with(b"\"\"\"") && self.triple_quoted() {
            return;
        }
        let start = self.pos;
        match self.escaped_body(b'"') {
            Some(value) => self.push(Tok::Str(value), start),
            None => self.skip_to_line_end(),
        }
    }

    /// `""" (~[\r\n])*? """ "? "?`: the content ends at the first `"""` on the
    /// line; up to two more quotes are part of the token (and of the value, as
    /// Elasticsearch strips exactly three quotes on each side). Returns false
    /// when there is no closing `"""` on the line (then `""` is an empty string).
    fn triple_quoted(&mut self) -> bool {
        let start = self.pos;
        let body_start = start + 3;
        let line_end = self.bytes[body_start..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .map_or(self.bytes.len(), |i| body_start + i);
        let Some(close) = self.text[body_start..line_end].find("\"\"\"") else {
            return false;
        };
        let mut end = body_start + close + 3;
        for _ in 0..2 {
            if self.bytes.get(end) == Some(&b'"') {
                end += 1;
            }
        }
        let value = self.text[body_start..end - 3].to_string();
        self.pos = end;
        self.push(Tok::Str(value), start);
        true
    }

    /// A quoted body with backslash escapes, starting at the opening quote.
    /// Returns `None` (after reporting) on an error.
    fn escaped_body(&mut self, quote: u8) -> Option<String> {
        let start = self.pos;
        self.pos += 1;
        let mut value = String::new();
        // Runs between the ASCII bytes that matter are copied whole (they
        // never split a character): char by char this was 3 % of start-up.
        let stop = |b: u8| b == quote || matches!(b, b'\\' | b'\n' | b'\r');
        loop {
            let rest = self.bytes.get(self.pos..).unwrap_or_default();
            let run = rest.iter().position(|&b| stop(b)).unwrap_or(rest.len());
            let text = &self.text[self.pos..self.pos + run];
            self.pos += run;
            if value.is_empty() && self.bytes.get(self.pos) == Some(&quote) {
                // No escapes (most strings): one exact allocation.
                self.pos += 1;
                return Some(text.to_string());
            }
            value.push_str(text);
            match self.bytes.get(self.pos) {
                None | Some(b'\n' | b'\r') => break,
                Some(b'\\') => {
                    let escape_start = self.pos;
                    self.escape(&mut value, escape_start)?;
                }
                Some(_) => {
                    self.pos += 1;
                    return Some(value);
                }
            }
        }
        self.error(
            codes::UNTERMINATED_STRING,
            Span::new(start, start + 1),
            "unterminated string: missing closing quote on this line".into(),
            "string starts here",
        );
        None
    }

    fn escape(&mut self, value: &mut String, escape_start: usize) -> Option<()> {
        let next = self.text.get(self.pos + 1..).and_then(|r| r.chars().next());
        let decoded = match next {
            Some('t') => '\t',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('"') => '"',
            Some('\'') => '\'',
            Some('\\') => '\\',
            Some('u') => return self.unicode_escape(value, escape_start),
            other => {
                let len = other.map_or(0, char::len_utf8);
                let span = Span::new(escape_start, self.pos + 1 + len);
                let shown = other
                    .map(|c| format!("\\{}", c.escape_debug()))
                    .unwrap_or_else(|| "\\".into());
                self.error(
                    codes::BAD_ESCAPE,
                    span,
                    format!("invalid escape sequence [{shown}]; valid escapes are \\t \\b \\f \\n \\r \\\" \\' \\\\ \\u{{…}}"),
                    "invalid escape",
                );
                return None;
            }
        };
        value.push(decoded);
        self.pos += 2;
        Some(())
    }

    /// `\u{XXXX}`: 2–8 hex digits naming a Unicode scalar value
    /// (`AbstractBuilder.handleUnicodePoints`).
    fn unicode_escape(&mut self, value: &mut String, escape_start: usize) -> Option<()> {
        let after_u = self.pos + 2;
        let digits_start = after_u + 1;
        let hex_len = self.bytes[digits_start.min(self.bytes.len())..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        let close = digits_start + hex_len;
        let well_formed = self.bytes.get(after_u) == Some(&b'{')
            && hex_len > 0
            && self.bytes.get(close) == Some(&b'}');
        if !well_formed {
            let end = (close + 1)
                .min(self.bytes.len())
                .max(after_u.min(self.bytes.len()));
            let end = floor_char_boundary(self.text, end);
            self.error(
                codes::BAD_UNICODE_ESCAPE,
                Span::new(escape_start, end),
                "invalid unicode escape: expected \\u{…} with 2 to 8 hex digits".into(),
                "invalid escape",
            );
            return None;
        }
        let span = Span::new(escape_start, close + 1);
        let hex = &self.text[digits_start..close];
        if !(2..=8).contains(&hex_len) {
            self.error(
                codes::BAD_UNICODE_ESCAPE,
                span,
                format!(
                    "Unicode sequence should use [2-8] hex digits, [\\u{{{hex}}}] has [{hex_len}]"
                ),
                "invalid escape",
            );
            return None;
        }
        let code = u32::from_str_radix(hex, 16).ok();
        match code.map(char::from_u32) {
            Some(Some(c)) => value.push(c),
            _ => {
                let surrogate = code.is_some_and(|c| (0xD800..=0xDFFF).contains(&c));
                let message = if surrogate {
                    format!("Invalid unicode character code, [{hex}] is a surrogate code")
                } else {
                    format!("Invalid unicode character code [{hex}]")
                };
                self.error(
                    codes::BAD_UNICODE_ESCAPE,
                    span,
                    message,
                    "invalid code point",
                );
                return None;
            }
        }
        self.pos = close + 1;
        Some(())
    }

    /// `'…'`: lexed as in the grammar, then rejected as Elasticsearch does.
    fn single_quoted(&mut self) {
        let start = self.pos;
        if self.escaped_body(b'\'').is_none() {
            self.skip_to_line_end();
            return;
        }
        self.error(
            codes::SINGLE_QUOTED_STRING,
            Span::new(start, self.pos),
            "Use double quotes [\"] to define string literals, not single quotes [']".into(),
            "single-quoted string",
        );
    }

    /// `?"…"` / `?'…'`: the old raw strings, rejected as Elasticsearch does.
    fn old_raw_string(&mut self) {
        let start = self.pos;
        let quote = self.bytes[self.pos + 1];
        self.pos += 2;
        while let Some(b) = self.peek(0) {
            if b == b'\n' || b == b'\r' {
                break;
            }
            if b == b'\\' && self.peek(1) == Some(quote) {
                self.pos += 2;
                continue;
            }
            self.pos += 1;
            if b == quote {
                break;
            }
        }
        self.pos = floor_char_boundary(self.text, self.pos);
        let q = quote as char;
        self.error(
            codes::OLD_RAW_STRING,
            Span::new(start, self.pos),
            format!(
                "Use triple double quotes [\"\"\"] to define unescaped string literals, not [?{q}]"
            ),
            "old-style raw string",
        );
    }

    fn skip_to_line_end(&mut self) {
        while let Some(b) = self.peek(0) {
            if b == b'\n' {
                break;
            }
            self.pos += 1;
        }
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        lex(text).unwrap().into_iter().map(|t| t.tok).collect()
    }

    fn first_error(text: &str) -> (String, String, Span) {
        let errs = lex(text).unwrap_err();
        let d = &errs[0];
        (
            d.code.to_string(),
            d.message.clone(),
            d.primary_span().unwrap(),
        )
    }

    #[test]
    fn keywords_identifiers_and_operators() {
        assert_eq!(
            toks("process where a.b in~ (1) and startsWith~(x,\"y\") != ?z ![ @timestamp"),
            vec![
                Tok::Ident("process".into()),
                Tok::Where,
                Tok::Ident("a".into()),
                Tok::Dot,
                Tok::Ident("b".into()),
                Tok::InCi,
                Tok::LParen,
                Tok::Integer("1".into()),
                Tok::RParen,
                Tok::And,
                Tok::TildeIdent("startsWith".into()),
                Tok::LParen,
                Tok::Ident("x".into()),
                Tok::Comma,
                Tok::Str("y".into()),
                Tok::RParen,
                Tok::NotEq,
                Tok::Question,
                Tok::Ident("z".into()),
                Tok::MissingOpen,
                Tok::Ident("@timestamp".into()),
                Tok::Eof,
            ]
        );
        // Keywords are case-sensitive, as in Elasticsearch's lexer.
        assert_eq!(toks("AND")[0], Tok::Ident("AND".into()));
    }

    #[test]
    fn numbers() {
        assert_eq!(
            toks("1 1.5 .5 1e3 2E-2 1. 5m 1e"),
            vec![
                Tok::Integer("1".into()),
                Tok::Decimal("1.5".into()),
                Tok::Decimal(".5".into()),
                Tok::Decimal("1e3".into()),
                Tok::Decimal("2E-2".into()),
                Tok::Decimal("1.".into()),
                Tok::Integer("5".into()),
                Tok::Ident("m".into()),
                Tok::Integer("1".into()),
                Tok::Ident("e".into()),
                Tok::Eof,
            ]
        );
    }

    // Expected values from Elasticsearch's ExpressionTests (testStrings,
    // testTripleDoubleQuotedUnescapedString, testStringWithUnicodeEscapedChars).
    #[test]
    fn strings_and_escapes() {
        assert_eq!(
            toks(r#""hello\"world""#)[0],
            Tok::Str("hello\"world".into())
        );
        assert_eq!(
            toks(r#""a\nb\tc\\d\'e""#)[0],
            Tok::Str("a\nb\tc\\d'e".into())
        );
        assert_eq!(
            toks(r#""\u{41}\u{01f4a9}\u{00000000}""#)[0],
            Tok::Str("A💩\u{0}".into())
        );
        assert_eq!(
            toks("\"\"\"hello\\\"world\"\"\"")[0],
            Tok::Str("hello\\\"world".into())
        );
        assert_eq!(
            toks("\"\"\"\"\"hello\"\"world!\"\"\"\"")[0],
            Tok::Str("\"\"hello\"\"world!\"".into())
        );
        assert_eq!(toks("\"\"\"\"\"\"")[0], Tok::Str("".into()));
        assert_eq!(
            toks(r#""" "x""#),
            vec![Tok::Str("".into()), Tok::Str("x".into()), Tok::Eof]
        );
        assert_eq!(toks("`my field`.`a``b`")[2], Tok::QuotedIdent("a`b".into()));
    }

    #[test]
    fn string_errors_use_elasticsearch_messages() {
        assert_eq!(
            first_error("name == 'x'"),
            (
                "EQL0006".into(),
                "Use double quotes [\"] to define string literals, not single quotes [']".into(),
                Span::new(8, 11)
            )
        );
        assert_eq!(
            first_error("name == ?\"x\""),
            (
                "EQL0007".into(),
                "Use triple double quotes [\"\"\"] to define unescaped string literals, not [?\"]"
                    .into(),
                Span::new(8, 12)
            )
        );
        assert_eq!(
            first_error(r#""\u{D}""#),
            (
                "EQL0005".into(),
                "Unicode sequence should use [2-8] hex digits, [\\u{D}] has [1]".into(),
                Span::new(1, 6)
            )
        );
        assert_eq!(
            first_error(r#""\u{d800}""#),
            (
                "EQL0005".into(),
                "Invalid unicode character code, [d800] is a surrogate code".into(),
                Span::new(1, 9)
            )
        );
        assert_eq!(
            first_error(r#""\u{10000000}""#),
            (
                "EQL0005".into(),
                "Invalid unicode character code [10000000]".into(),
                Span::new(1, 13)
            )
        );
        assert_eq!(first_error(r#""\uad12""#).0, "EQL0005");
        assert_eq!(first_error(r#""a\w""#).0, "EQL0004");
        assert_eq!(first_error("\"abc").0, "EQL0003");
        assert_eq!(first_error("a /* b").0, "EQL0008");
        assert_eq!(first_error("a ~ b").1, "unexpected character [~]");
        assert_eq!(first_error("a é").2, Span::new(2, 4));
    }

    #[test]
    fn comments_are_skipped() {
        assert_eq!(
            toks("a // c\n /* x /* y */ z */ b"),
            vec![Tok::Ident("a".into()), Tok::Ident("b".into()), Tok::Eof]
        );
    }
}
