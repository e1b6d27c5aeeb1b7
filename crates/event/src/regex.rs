//! Lucene regular expressions (the syntax of Elasticsearch's `regexp` query,
//! of EQL `regex` and of Lucene `/…/` queries), translated to the `regex` crate.
//!
//! The translation follows Lucene's `RegExp` parser (`lucene/core/src/java/org/
//! apache/lucene/util/automaton/RegExp.java`, the grammar in its class docs and
//! `parseUnionExp` … `parseCharExp`) with the syntax flags Elasticsearch's
//! `regexp` query uses by default (`ALL`):
//!
//! - the pattern is anchored at both ends; `.` matches any character,
//!   newlines included;
//! - `\d \D \s \S \w \W` are the predefined classes `[0-9]`, `[ \t\n\r]`,
//!   `[a-zA-Z_0-9]` and their negations (`expandPredefined`); `\\` is a
//!   backslash; a backslash before any *other letter* is an error ("invalid
//!   character class"); before anything else it makes that character literal;
//! - `"…"` is a literal string, `()` the empty string, `@` any string, `#` the
//!   empty language, `<n-m>` a decimal interval (zero-padded to a fixed width
//!   when `n` and `m` have the same number of digits, any leading zeros
//!   otherwise); a repeat operator with nothing before it is a literal character;
//! - inside `[…]` every character is literal except `]`, `-` (ranges), `\`
//!   and a leading `^`;
//! - case-insensitive matching (`regex~`, `case_insensitive: true`) folds ASCII
//!   letters only (`ASCII_CASE_INSENSITIVE`).
//!
//! Complement (`~`), intersection (`&`) and named automata (`<name>`) have no
//! counterpart in the `regex` crate and are rejected.

use std::fmt::Write;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegexError {
    #[error("unsupported regular expression operator `{0}` (Lucene complement/intersection/named automaton)")]
    Unsupported(char),
    #[error("{0}")]
    Invalid(String),
}

/// A compiled, anchored Lucene regular expression.
#[derive(Debug, Clone)]
pub struct LuceneRegex {
    source: String,
    case_insensitive: bool,
    regex: regex::Regex,
}

impl PartialEq for LuceneRegex {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && self.case_insensitive == other.case_insensitive
    }
}

impl LuceneRegex {
    pub fn new(pattern: &str, case_insensitive: bool) -> Result<Self, RegexError> {
        let translated = Translator::new(pattern, case_insensitive).translate()?;
        let full = format!("^(?:{translated})$");
        let regex = regex::RegexBuilder::new(&full)
            .size_limit(1 << 23)
            .build()
            .map_err(|e| RegexError::Invalid(e.to_string()))?;
        Ok(LuceneRegex {
            source: pattern.to_string(),
            case_insensitive,
            regex,
        })
    }

    pub fn is_match(&self, value: &str) -> bool {
        self.regex.is_match(value)
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn is_case_insensitive(&self) -> bool {
        self.case_insensitive
    }

    /// The translated `regex`-crate pattern (anchored).
    pub fn as_regex_str(&self) -> &str {
        self.regex.as_str()
    }
}

/// Translates Lucene regexp syntax into an unanchored `regex`-crate pattern.
pub fn translate(pattern: &str) -> Result<String, RegexError> {
    Translator::new(pattern, false).translate()
}

/// Nesting limit for parentheses (Lucene recurses too; keep the stack small).
const MAX_DEPTH: usize = 200;

struct Translator {
    chars: Vec<char>,
    pos: usize,
    ci: bool,
    depth: usize,
}

fn invalid(msg: impl Into<String>) -> RegexError {
    RegexError::Invalid(msg.into())
}

impl Translator {
    fn new(pattern: &str, ci: bool) -> Self {
        Translator {
            chars: pattern.chars().collect(),
            pos: 0,
            ci,
            depth: 0,
        }
    }

    fn translate(mut self) -> Result<String, RegexError> {
        if self.chars.is_empty() {
            return Ok(String::new());
        }
        let out = self.union()?;
        if self.more() {
            return Err(invalid(format!(
                "end-of-string expected at position {}",
                self.pos
            )));
        }
        Ok(out)
    }

    fn more(&self) -> bool {
        self.pos < self.chars.len()
    }

    fn peek_in(&self, set: &str) -> bool {
        self.chars.get(self.pos).is_some_and(|c| set.contains(*c))
    }

    fn eat(&mut self, c: char) -> bool {
        if self.chars.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn next(&mut self) -> Result<char, RegexError> {
        let c = *self
            .chars
            .get(self.pos)
            .ok_or_else(|| invalid("unexpected end-of-string"))?;
        self.pos += 1;
        Ok(c)
    }

    fn union(&mut self) -> Result<String, RegexError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(invalid("expression nested too deeply"));
        }
        let mut alternatives = vec![self.inter()?];
        while self.eat('|') {
            alternatives.push(self.inter()?);
        }
        self.depth -= 1;
        Ok(if alternatives.len() == 1 {
            alternatives.remove(0)
        } else {
            format!("(?:{})", alternatives.join("|"))
        })
    }

    fn inter(&mut self) -> Result<String, RegexError> {
        let e = self.concat()?;
        if self.peek_in("&") {
            return Err(RegexError::Unsupported('&'));
        }
        Ok(e)
    }

    fn concat(&mut self) -> Result<String, RegexError> {
        let mut out = self.repeat()?;
        while self.more() && !self.peek_in(")|&") {
            out.push_str(&self.repeat()?);
        }
        Ok(out)
    }

    fn repeat(&mut self) -> Result<String, RegexError> {
        let mut e = self.complement()?;
        while self.peek_in("?*+{") {
            let op = self.next()?;
            e = match op {
                '?' | '*' | '+' => format!("(?:{e}){op}"),
                _ => {
                    let n = self.number()?.ok_or_else(|| {
                        invalid(format!("integer expected at position {}", self.pos))
                    })?;
                    let bound = if self.eat(',') {
                        match self.number()? {
                            Some(m) => format!("{{{n},{m}}}"),
                            None => format!("{{{n},}}"),
                        }
                    } else {
                        format!("{{{n}}}")
                    };
                    if !self.eat('}') {
                        return Err(invalid(format!("expected '}}' at position {}", self.pos)));
                    }
                    format!("(?:{e}){bound}")
                }
            };
        }
        Ok(e)
    }

    fn number(&mut self) -> Result<Option<u32>, RegexError> {
        let start = self.pos;
        while self.peek_in("0123456789") {
            self.pos += 1;
        }
        if start == self.pos {
            return Ok(None);
        }
        let digits: String = self.chars[start..self.pos].iter().collect();
        digits
            .parse::<u32>()
            .map(Some)
            .map_err(|_| invalid(format!("repeat count too large: {digits}")))
    }

    fn complement(&mut self) -> Result<String, RegexError> {
        if self.peek_in("~") {
            return Err(RegexError::Unsupported('~'));
        }
        self.char_class_exp()
    }

    fn char_class_exp(&mut self) -> Result<String, RegexError> {
        if !self.eat('[') {
            return self.simple();
        }
        let negate = self.eat('^');
        let mut items = String::new();
        // Lucene parses at least one class item, then items until `]`.
        loop {
            items.push_str(&self.class_item()?);
            if !self.more() || self.peek_in("]") {
                break;
            }
        }
        if !self.eat(']') {
            return Err(invalid(format!("expected ']' at position {}", self.pos)));
        }
        Ok(if negate {
            format!("[^{items}]")
        } else {
            format!("[{items}]")
        })
    }

    /// One item of a class, as the contents of a `regex` class.
    fn class_item(&mut self) -> Result<String, RegexError> {
        if let Some(class) = self.predefined()? {
            return Ok(class.class_body().to_string());
        }
        let from = self.char_exp()?;
        if self.eat('-') {
            let to = self.char_exp()?;
            if from > to {
                return Err(invalid(format!(
                    "invalid range: from ({}) cannot be > to ({})",
                    from as u32, to as u32
                )));
            }
            let mut s = format!("{}-{}", class_char(from), class_char(to));
            if self.ci {
                s.push_str(&ascii_fold_range(from, to));
            }
            return Ok(s);
        }
        Ok(self.class_char_ci(from))
    }

    fn class_char_ci(&self, c: char) -> String {
        if self.ci && c.is_ascii_alphabetic() {
            format!("{}{}", c.to_ascii_lowercase(), c.to_ascii_uppercase())
        } else {
            class_char(c)
        }
    }

    fn simple(&mut self) -> Result<String, RegexError> {
        if self.eat('.') {
            return Ok(r"[\s\S]".into());
        }
        if self.eat('#') {
            return Ok(r"[^\s\S]".into());
        }
        if self.eat('@') {
            return Ok(r"[\s\S]*".into());
        }
        if self.eat('"') {
            let mut s = String::new();
            while self.more() && !self.peek_in("\"") {
                let c = self.next()?;
                s.push_str(&self.literal(c));
            }
            if !self.eat('"') {
                return Err(invalid(format!("expected '\"' at position {}", self.pos)));
            }
            return Ok(format!("(?:{s})"));
        }
        if self.eat('(') {
            if self.eat(')') {
                return Ok(String::new());
            }
            let e = self.union()?;
            if !self.eat(')') {
                return Err(invalid(format!("expected ')' at position {}", self.pos)));
            }
            return Ok(format!("(?:{e})"));
        }
        if self.eat('<') {
            return self.interval();
        }
        if let Some(class) = self.predefined()? {
            return Ok(format!("[{}]", class.class_body()));
        }
        let c = self.char_exp()?;
        Ok(self.literal(c))
    }

    fn interval(&mut self) -> Result<String, RegexError> {
        let start = self.pos;
        while self.more() && !self.peek_in(">") {
            self.pos += 1;
        }
        if !self.eat('>') {
            return Err(invalid(format!("expected '>' at position {}", self.pos)));
        }
        let body: String = self.chars[start..self.pos - 1].iter().collect();
        let Some((a, b)) = body.split_once('-') else {
            return Err(RegexError::Unsupported('<'));
        };
        let parse = |s: &str| {
            s.parse::<u64>()
                .ok()
                .filter(|_| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        };
        let (Some(x), Some(y)) = (parse(a), parse(b)) else {
            return Err(invalid(format!(
                "interval syntax error at position {}",
                self.pos - 1
            )));
        };
        let width = if a.len() == b.len() { a.len() } else { 0 };
        Ok(decimal_interval(x.min(y), x.max(y), width))
    }

    /// `\d \D \s \S \w \W`; `None` (with the position unchanged unless a
    /// backslash was consumed before a non-letter) otherwise.
    fn predefined(&mut self) -> Result<Option<Predefined>, RegexError> {
        if !self.peek_in("\\") {
            return Ok(None);
        }
        let Some(&next) = self.chars.get(self.pos + 1) else {
            return Ok(None);
        };
        let class = match next {
            'd' => Predefined::Digit,
            'D' => Predefined::NotDigit,
            's' => Predefined::Space,
            'S' => Predefined::NotSpace,
            'w' => Predefined::Word,
            'W' => Predefined::NotWord,
            c if c.is_ascii_alphabetic() => {
                return Err(invalid(format!("invalid character class \\{c}")));
            }
            _ => return Ok(None),
        };
        self.pos += 2;
        Ok(Some(class))
    }

    /// `\`? followed by any character, taken literally.
    fn char_exp(&mut self) -> Result<char, RegexError> {
        self.eat('\\');
        self.next()
    }

    fn literal(&self, c: char) -> String {
        if self.ci && c.is_ascii_alphabetic() {
            format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
        } else {
            escape_char(c)
        }
    }
}

#[derive(Clone, Copy)]
enum Predefined {
    Digit,
    NotDigit,
    Space,
    NotSpace,
    Word,
    NotWord,
}

impl Predefined {
    /// The class contents (`regex` syntax, for use inside `[…]`).
    fn class_body(self) -> &'static str {
        match self {
            Predefined::Digit => "0-9",
            Predefined::NotDigit => r"\x{0}-/:-\x{10FFFF}",
            Predefined::Space => r" \t\n\r",
            Predefined::NotSpace => r"\x{0}-\x{8}\x{B}\x{C}\x{E}-\x{1F}!-\x{10FFFF}",
            Predefined::Word => "a-zA-Z_0-9",
            Predefined::NotWord => r"\x{0}-/:-@\[-\^`\{-\x{10FFFF}",
        }
    }
}

fn escape_char(c: char) -> String {
    if c.is_ascii_alphanumeric() || (!c.is_ascii() && !c.is_whitespace()) {
        c.to_string()
    } else {
        format!("\\x{{{:X}}}", c as u32)
    }
}

fn class_char(c: char) -> String {
    if c.is_ascii_alphanumeric() {
        c.to_string()
    } else {
        format!("\\x{{{:X}}}", c as u32)
    }
}

/// The other-case ASCII letters of a range, for ASCII case-insensitivity.
fn ascii_fold_range(from: char, to: char) -> String {
    let mut out = String::new();
    for (lo, hi) in [('a', 'z'), ('A', 'Z')] {
        let (a, b) = (from.max(lo), to.min(hi));
        if a <= b {
            let flip = |c: char| {
                if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            };
            let _ = write!(out, "{}-{}", flip(a), flip(b));
        }
    }
    out
}

/// The decimal numbers in `[lo, hi]`: exactly `width` digits (zero-padded)
/// when `width > 0`, else with any number of leading zeros (Lucene's
/// `Automata.makeDecimalInterval`).
fn decimal_interval(lo: u64, hi: u64, width: usize) -> String {
    let body = range_regex(lo, hi);
    if width == 0 {
        return format!("0*(?:{body})");
    }
    // Fixed width: each number is left-padded with zeros to `width` digits.
    let mut alts = Vec::new();
    for (a, b) in split_by_length(lo, hi) {
        let len = a.to_string().len();
        if len > width {
            continue;
        }
        let pad = "0".repeat(width - len);
        alts.push(format!("{pad}(?:{})", range_regex(a, b)));
    }
    if alts.is_empty() {
        return r"[^\s\S]".into();
    }
    format!("(?:{})", alts.join("|"))
}

/// Sub-ranges of `[lo, hi]` whose numbers have the same number of digits.
fn split_by_length(lo: u64, hi: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut a = lo;
    while a <= hi {
        let len = a.to_string().len() as u32;
        let max_of_len = 10u64.checked_pow(len).map(|p| p - 1).unwrap_or(u64::MAX);
        let b = hi.min(max_of_len);
        out.push((a, b));
        if b == u64::MAX {
            break;
        }
        a = b + 1;
    }
    out
}

/// A regex (no leading zeros) matching exactly the decimal numbers in `[lo, hi]`.
fn range_regex(lo: u64, hi: u64) -> String {
    let parts: Vec<String> = split_by_length(lo, hi)
        .into_iter()
        .map(|(a, b)| same_length(&a.to_string(), &b.to_string()))
        .collect();
    parts.join("|")
}

/// Numbers between `a` and `b` (same number of digits, `a <= b`).
fn same_length(a: &str, b: &str) -> String {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.is_empty() {
        return String::new();
    }
    if a == b {
        return String::from_utf8_lossy(a).into_owned();
    }
    if a.len() == 1 {
        return format!("[{}-{}]", a[0] as char, b[0] as char);
    }
    let rest_len = a.len() - 1;
    let all = |d: u8| a[1..].iter().all(|c| *c == d) && a.len() > 1;
    let a_min = all(b'0');
    let b_max = b[1..].iter().all(|c| *c == b'9');
    let any = |n: usize| {
        if n == 0 {
            String::new()
        } else {
            format!("[0-9]{{{n}}}")
        }
    };
    if a[0] == b[0] {
        return format!(
            "{}(?:{})",
            a[0] as char,
            same_length(
                std::str::from_utf8(&a[1..]).unwrap_or(""),
                std::str::from_utf8(&b[1..]).unwrap_or("")
            )
        );
    }
    let mut alts = Vec::new();
    let mut first = a[0];
    if !a_min {
        let top = "9".repeat(rest_len);
        alts.push(format!(
            "{}(?:{})",
            a[0] as char,
            same_length(std::str::from_utf8(&a[1..]).unwrap_or(""), &top)
        ));
        first += 1;
    }
    let mut last = b[0];
    let tail = if !b_max {
        let bottom = "0".repeat(rest_len);
        let t = format!(
            "{}(?:{})",
            b[0] as char,
            same_length(&bottom, std::str::from_utf8(&b[1..]).unwrap_or(""))
        );
        last -= 1;
        Some(t)
    } else {
        None
    };
    if first <= last {
        alts.push(format!(
            "[{}-{}]{}",
            first as char,
            last as char,
            any(rest_len)
        ));
    }
    alts.extend(tail);
    format!("(?:{})", alts.join("|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, v: &str) -> bool {
        LuceneRegex::new(p, false).unwrap().is_match(v)
    }

    #[test]
    fn lucene_semantics() {
        assert!(m("ab.*", "abc"));
        assert!(!m("b.*", "abc"), "anchored at the start");
        assert!(!m("a.", "abc"), "anchored at the end");
        assert!(m(".*", "a\nb"), "dot matches newline");
        assert!(m("[a-c]+x", "abcx"));
        assert!(m("[^a-c]", "z"));
        assert!(!m("[^a-c]", "b"));
        assert!(m("\"a.b\"", "a.b"));
        assert!(!m("\"a.b\"", "axb"));
        assert!(m("a{2,3}", "aaa"));
        assert!(m("a{2,}", "aaaaa"));
        assert!(m("@", "anything"));
        assert!(!m("#", ""));
        assert!(m("()", ""));
        assert!(m("C:\\\\Windows\\\\.*", "C:\\Windows\\x"));
        assert!(m("a\\.b", "a.b") && !m("a\\.b", "axb"));
        assert!(m("[.]", ".") && !m("[.]", "x"), "dot is literal in a class");
        assert!(
            m("*a", "*a"),
            "a repeat operator with nothing before it is a literal"
        );
        assert!(LuceneRegex::new("ABC", true).unwrap().is_match("abc"));
        assert!(LuceneRegex::new("[a-c]", true).unwrap().is_match("B"));
        assert!(
            !LuceneRegex::new("é", true).unwrap().is_match("É"),
            "case folding is ASCII only"
        );
        assert!(matches!(
            LuceneRegex::new("~a", false),
            Err(RegexError::Unsupported('~'))
        ));
        assert!(matches!(
            LuceneRegex::new("a&b", false),
            Err(RegexError::Unsupported('&'))
        ));
        assert!(LuceneRegex::new("(a", false).is_err());
        assert!(LuceneRegex::new("a)", false).is_err());
    }

    /// Lucene's predefined classes (`RegExp.expandPredefined`): `\s` is
    /// `[ \t\n\r]`, so the catalogue's "Masquerading Space After Filename"
    /// (`/[a-z0-9\s_\-\\./]+\s`) needs a real space at the end.
    #[test]
    fn predefined_classes() {
        let r = "/[a-z0-9\\s_\\-\\\\./]+\\s";
        assert!(!m(r, "/usr/bin/defaults"));
        assert!(m(r, "/tmp/evil "));
        assert!(m("\\d+", "123") && !m("\\d", "d"));
        assert!(m("\\D", "x") && !m("\\D", "1"));
        assert!(m("\\w+", "a_Z9") && !m("\\w", "-"));
        assert!(m("\\W", "-") && m("\\S", "x") && !m("\\S", " "));
        assert!(m("[\\d\\s]+", "1 2"));
        assert!(m("\\\\", "\\"));
        assert!(
            matches!(LuceneRegex::new("\\n", false), Err(RegexError::Invalid(_))),
            "backslash before a letter"
        );
    }

    #[test]
    fn decimal_intervals() {
        assert!(m("x<1-12>", "x7") && m("x<1-12>", "x007") && m("x<1-12>", "x12"));
        assert!(!m("x<1-12>", "x13") && !m("x<1-12>", "x0"));
        assert!(
            m("<01-12>", "07") && !m("<01-12>", "7"),
            "same width: zero-padded"
        );
        assert!(m("<0-65535>", "443") && m("<0-65535>", "65535") && !m("<0-65535>", "65536"));
        for n in [0u64, 5, 99, 100, 4999, 5000, 12345, 99999] {
            assert_eq!(
                m("<100-5000>", &n.to_string()),
                (100..=5000).contains(&n),
                "{n}"
            );
        }
    }
}
