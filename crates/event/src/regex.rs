//! Lucene regular expressions (the syntax of Elasticsearch's `regexp` query and
//! of EQL `regex`), translated to the `regex` crate.
//!
//! Lucene's syntax differs from Perl's: the pattern is anchored at both ends;
//! `.` matches any character including newlines; `\` escapes any character (so
//! `\d` is the letter `d`, there are no `\d \s \w` classes); `"…"` is a literal
//! string; `@` matches any string and `#` the empty language; `<n-m>` is a numeric
//! interval. Complement (`~`) and intersection (`&`) have no counterpart in the
//! `regex` crate and are rejected.

use std::fmt::Write;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegexError {
    #[error("unsupported regular expression operator `{0}` (Lucene complement/intersection)")]
    Unsupported(char),
    #[error("invalid regular expression: {0}")]
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
        let translated = translate(pattern)?;
        let flags = if case_insensitive { "(?si)" } else { "(?s)" };
        let full = format!("{flags}^(?:{translated})$");
        let regex = regex::RegexBuilder::new(&full)
            .size_limit(1 << 22)
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

    /// The translated `regex`-crate pattern (anchored, with flags).
    pub fn as_regex_str(&self) -> &str {
        self.regex.as_str()
    }
}

/// Translates Lucene regexp syntax into `regex` syntax (unanchored body).
pub fn translate(pattern: &str) -> Result<String, RegexError> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                i += 1;
                match chars.get(i) {
                    Some(&e) => push_literal(&mut out, e),
                    None => return Err(RegexError::Invalid("trailing backslash".into())),
                }
            }
            '"' => {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    push_literal(&mut out, chars[i]);
                    i += 1;
                }
                if i == chars.len() {
                    return Err(RegexError::Invalid("unterminated \"…\" string".into()));
                }
            }
            '[' => i = translate_class(&chars, i, &mut out)?,
            '@' => out.push_str(".*"),
            '#' => out.push_str("[^\\s\\S]"),
            '~' | '&' => return Err(RegexError::Unsupported(c)),
            '<' => {
                let close = chars[i..].iter().position(|&x| x == '>').map(|p| p + i);
                let parsed = close.and_then(|end| {
                    let body: String = chars[i + 1..end].iter().collect();
                    let (a, b) = body.split_once('-')?;
                    Some((end, a.parse::<u64>().ok()?, b.parse::<u64>().ok()?))
                });
                match parsed {
                    Some((end, a, b)) => {
                        out.push_str(&numeric_interval(a.min(b), a.max(b)));
                        i = end;
                    }
                    None => push_literal(&mut out, '<'),
                }
            }
            '.' | '?' | '+' | '*' | '|' | '(' | ')' | '{' | '}' => out.push(c),
            _ => push_literal(&mut out, c),
        }
        i += 1;
    }
    Ok(out)
}

fn push_literal(out: &mut String, c: char) {
    if regex_syntax_is_meta(c) {
        out.push('\\');
    }
    out.push(c);
}

fn regex_syntax_is_meta(c: char) -> bool {
    matches!(
        c,
        '\\' | '.'
            | '+'
            | '*'
            | '?'
            | '('
            | ')'
            | '|'
            | '['
            | ']'
            | '{'
            | '}'
            | '^'
            | '$'
            | '#'
            | '&'
            | '-'
            | '~'
    ) || c.is_whitespace()
}

/// `[…]` classes: ranges and `^` negation; `\` escapes inside.
fn translate_class(chars: &[char], start: usize, out: &mut String) -> Result<usize, RegexError> {
    let mut i = start + 1;
    out.push('[');
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    while i < chars.len() {
        let c = chars[i];
        if c == ']' && !first {
            out.push(']');
            return Ok(i);
        }
        first = false;
        match c {
            '\\' => {
                i += 1;
                let e = *chars
                    .get(i)
                    .ok_or_else(|| RegexError::Invalid("trailing backslash".into()))?;
                let _ = write!(out, "\\x{{{:x}}}", e as u32);
            }
            '-' if i > start + 1 && chars.get(i + 1).is_some_and(|n| *n != ']') => out.push('-'),
            '[' | ']' | '&' | '~' | '-' | '^' => {
                let _ = write!(out, "\\x{{{:x}}}", c as u32);
            }
            _ => out.push(c),
        }
        i += 1;
    }
    Err(RegexError::Invalid("unterminated character class".into()))
}

/// A regex matching the decimal numbers in `[lo, hi]` (Lucene `<lo-hi>`; leading
/// zeros allowed as in Lucene).
fn numeric_interval(lo: u64, hi: u64) -> String {
    // Small intervals: an explicit alternation is exact and simple.
    if hi - lo <= 2000 {
        let alts: Vec<String> = (lo..=hi).map(|n| n.to_string()).collect();
        return format!("0*(?:{})", alts.join("|"));
    }
    // Large intervals: digits of the right length; approximate bounds are checked
    // by length only (rare in practice).
    let (a, b) = (lo.to_string().len(), hi.to_string().len());
    format!("0*[0-9]{{{a},{b}}}")
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
        assert!(m("\\d", "d"), "backslash escapes: \\d is the letter d");
        assert!(!m("\\d", "1"));
        assert!(m("[a-c]+x", "abcx"));
        assert!(m("[^a-c]", "z"));
        assert!(m("\"a.b\"", "a.b"));
        assert!(!m("\"a.b\"", "axb"));
        assert!(m("a{2,3}", "aaa"));
        assert!(m("x<1-12>", "x07"));
        assert!(!m("x<1-12>", "x13"));
        assert!(m("@", "anything"));
        assert!(m("C:\\\\Windows\\\\.*", "C:\\Windows\\x"));
        assert!(LuceneRegex::new("ABC", true).unwrap().is_match("abc"));
        assert!(matches!(
            LuceneRegex::new("~a", false),
            Err(RegexError::Unsupported('~'))
        ));
        assert!(LuceneRegex::new("(a", false).is_err());
    }
}
