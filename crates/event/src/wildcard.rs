//! Wildcard patterns (`*` any run of characters, `?` exactly one character),
//! anchored at both ends, optionally case-insensitive.
//!
//! Used by EQL `:` / `like` / `like~`, KQL wildcard values and exception `wildcard`
//! entries. Patterns are classified once (exact, prefix, suffix, contains, general)
//! so that the common shapes never backtrack.

use crate::fold::{fold_case, is_ascii_fold_eq};

/// One piece of a pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Part {
    Literal(String),
    /// `*`: zero or more characters.
    AnyRun,
    /// `?`: exactly one character.
    AnyOne,
}

/// The parts of a pattern in Lucene's wildcard syntax (see [`Pattern::lucene`]).
pub fn lucene_parts(pattern: &str) -> Vec<Part> {
    split_parts(pattern, true)
}

/// Splits a pattern at `*` and `?`; with `escapes`, `\` makes the next
/// character literal.
fn split_parts(pattern: &str, escapes: bool) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if escapes => lit.push(chars.next().unwrap_or('\\')),
            '*' | '?' => {
                if !lit.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut lit)));
                }
                parts.push(if c == '*' { Part::AnyRun } else { Part::AnyOne });
            }
            c => lit.push(c),
        }
    }
    if !lit.is_empty() {
        parts.push(Part::Literal(lit));
    }
    parts
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Shape {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
    /// Everything matches (`*`).
    Any,
    General(Vec<Part>),
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pattern {
    shape: Shape,
    case_insensitive: bool,
    source: String,
}

impl Pattern {
    /// `*` and `?` are wildcards; every other character is literal.
    pub fn new(pattern: &str, case_insensitive: bool) -> Self {
        let parts = split_parts(pattern, false);
        Self::from_parts(parts, case_insensitive, pattern.to_string())
    }

    /// Lucene / Elasticsearch `wildcard` query syntax: `*` and `?` are
    /// wildcards and `\` makes the next character literal (a trailing `\` is
    /// literal).
    pub fn lucene(pattern: &str, case_insensitive: bool) -> Self {
        let parts = lucene_parts(pattern);
        Self::from_parts(parts, case_insensitive, pattern.to_string())
    }

    /// Only `*` is a wildcard (KQL); `?` is literal.
    pub fn star_only(pattern: &str, case_insensitive: bool) -> Self {
        let mut parts = Vec::new();
        for (i, piece) in pattern.split('*').enumerate() {
            if i > 0 {
                parts.push(Part::AnyRun);
            }
            if !piece.is_empty() {
                parts.push(Part::Literal(piece.to_string()));
            }
        }
        Self::from_parts(parts, case_insensitive, pattern.to_string())
    }

    /// From explicit parts (front ends with escapes build these).
    pub fn from_parts(parts: Vec<Part>, case_insensitive: bool, source: String) -> Self {
        // Normalise: merge adjacent literals and runs of `*`; fold case once.
        let mut norm: Vec<Part> = Vec::with_capacity(parts.len());
        for p in parts {
            let p = match p {
                Part::Literal(s) if case_insensitive => Part::Literal(fold_case(&s).into_owned()),
                other => other,
            };
            match (norm.last_mut(), p) {
                (Some(Part::Literal(prev)), Part::Literal(s)) => prev.push_str(&s),
                (Some(Part::AnyRun), Part::AnyRun) => {}
                (_, Part::Literal(s)) if s.is_empty() => {}
                (_, p) => norm.push(p),
            }
        }
        let shape = classify(norm);
        Pattern {
            shape,
            case_insensitive,
            source,
        }
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn is_case_insensitive(&self) -> bool {
        self.case_insensitive
    }

    /// True when the pattern has no wildcard at all.
    pub fn is_exact(&self) -> bool {
        matches!(self.shape, Shape::Exact(_))
    }

    /// The literal a matching value must equal/start with/end with/contain,
    /// for prefilters. `None` for general patterns.
    pub fn literal_hint(&self) -> Option<(&str, &'static str)> {
        match &self.shape {
            Shape::Exact(s) => Some((s, "exact")),
            Shape::Prefix(s) => Some((s, "prefix")),
            Shape::Suffix(s) => Some((s, "suffix")),
            Shape::Contains(s) => Some((s, "contains")),
            _ => None,
        }
    }

    /// The parts of a general pattern (one that is none of exact, prefix,
    /// suffix, contains or `*`), literals folded when case-insensitive, for
    /// prefilters. `None` for the other shapes (see [`Pattern::literal_hint`]).
    pub fn general_parts(&self) -> Option<&[Part]> {
        match &self.shape {
            Shape::General(parts) => Some(parts),
            _ => None,
        }
    }

    /// [`Pattern::matches`] for a value already folded with
    /// [`fold_case`] when the pattern is case-insensitive (callers testing
    /// many patterns fold a value once).
    pub fn matches_prefolded(&self, value: &str) -> bool {
        self.matches_folded(value)
    }

    pub fn matches(&self, value: &str) -> bool {
        if self.case_insensitive {
            if let Some(hit) = self.ascii_ci_fast_path(value) {
                return hit;
            }
            let folded = fold_case(value);
            self.matches_folded(&folded)
        } else {
            self.matches_folded(value)
        }
    }

    /// Case-insensitive matching without allocating when the value is ASCII.
    fn ascii_ci_fast_path(&self, value: &str) -> Option<bool> {
        if !value.is_ascii() {
            return None;
        }
        let v = value.as_bytes();
        Some(match &self.shape {
            Shape::Exact(s) => is_ascii_fold_eq(v, s.as_bytes()),
            Shape::Prefix(s) => v.len() >= s.len() && is_ascii_fold_eq(&v[..s.len()], s.as_bytes()),
            Shape::Suffix(s) => {
                v.len() >= s.len() && is_ascii_fold_eq(&v[v.len() - s.len()..], s.as_bytes())
            }
            Shape::Contains(s) => {
                if !s.is_ascii() {
                    return Some(false);
                }
                ascii_ci_contains(v, s.as_bytes())
            }
            Shape::Any => true,
            Shape::General(_) => return None,
        })
    }

    fn matches_folded(&self, value: &str) -> bool {
        match &self.shape {
            Shape::Exact(s) => value == s,
            Shape::Prefix(s) => value.starts_with(s.as_str()),
            Shape::Suffix(s) => value.ends_with(s.as_str()),
            Shape::Contains(s) => memchr::memmem::find(value.as_bytes(), s.as_bytes()).is_some(),
            Shape::Any => true,
            Shape::General(parts) => general_match(parts, value),
        }
    }
}

fn classify(parts: Vec<Part>) -> Shape {
    use Part::*;
    match parts.as_slice() {
        [] => Shape::Exact(String::new()),
        [AnyRun] => Shape::Any,
        [Literal(s)] => Shape::Exact(s.clone()),
        [Literal(s), AnyRun] => Shape::Prefix(s.clone()),
        [AnyRun, Literal(s)] => Shape::Suffix(s.clone()),
        [AnyRun, Literal(s), AnyRun] => Shape::Contains(s.clone()),
        _ => Shape::General(parts),
    }
}

fn ascii_ci_contains(hay: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() {
        return true;
    }
    if needle.len() > hay.len() {
        return false;
    }
    let first = needle[0];
    let (lo, up) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let last_start = hay.len() - needle.len();
    let mut i = 0;
    while i <= last_start {
        let rest = &hay[i..=last_start];
        let Some(off) = memchr::memchr2(lo, up, rest) else {
            return false;
        };
        let at = i + off;
        if is_ascii_fold_eq(&hay[at..at + needle.len()], needle) {
            return true;
        }
        i = at + 1;
    }
    false
}

/// Glob matching with `*` backtracking to the most recent star only (linear in
/// practice). `?` matches one character (code point).
fn general_match(parts: &[Part], value: &str) -> bool {
    // A pattern that starts (ends) with a literal matches only values that
    // start (end) with it: checked first, the common mismatch costs little.
    if let Some(Part::Literal(s)) = parts.first() {
        if !value.starts_with(s.as_str()) {
            return false;
        }
    }
    if let Some(Part::Literal(s)) = parts.last() {
        if !value.ends_with(s.as_str()) {
            return false;
        }
    }
    // Iterative matcher over parts and char positions.
    let mut pi = 0usize; // part index
    let mut vi = 0usize; // byte index into value
    let mut star: Option<(usize, usize)> = None; // (part index after star, value index)
    loop {
        if pi < parts.len() {
            match &parts[pi] {
                Part::AnyRun => {
                    pi += 1;
                    star = Some((pi, vi));
                    continue;
                }
                Part::AnyOne => {
                    if let Some(c) = value[vi..].chars().next() {
                        vi += c.len_utf8();
                        pi += 1;
                        continue;
                    }
                }
                Part::Literal(s) => {
                    if value[vi..].starts_with(s.as_str()) {
                        vi += s.len();
                        pi += 1;
                        continue;
                    }
                }
            }
        } else if vi == value.len() {
            return true;
        }
        // Mismatch: backtrack to the last star, consuming one more character
        // (when a literal follows the star, up to its next occurrence: at the
        // positions before it the literal fails anyway).
        match star {
            Some((spi, svi)) => {
                let Some(c) = value[svi..].chars().next() else {
                    return false;
                };
                let mut nvi = svi + c.len_utf8();
                if let Some(Part::Literal(s)) = parts.get(spi) {
                    match find_from(value, nvi, s) {
                        Some(at) => nvi = at,
                        None => return false,
                    }
                }
                star = Some((spi, nvi));
                pi = spi;
                vi = nvi;
            }
            None => return false,
        }
    }
}

/// The first byte index at or after `from` where `needle` (not empty)
/// starts in `value` (a char boundary: both are UTF-8).
fn find_from(value: &str, from: usize, needle: &str) -> Option<usize> {
    let Some(&first) = needle.as_bytes().first() else {
        return Some(from);
    };
    let hay = value.as_bytes().get(from..)?;
    let mut i = 0;
    while let Some(off) = memchr::memchr(first, &hay[i..]) {
        if hay[i + off..].starts_with(needle.as_bytes()) {
            return Some(from + i + off);
        }
        i += off + 1;
    }
    None
}

/// Convenience: match `value` against `pattern` (`*`, `?`) once.
pub fn wildcard_match(pattern: &str, value: &str, case_insensitive: bool) -> bool {
    Pattern::new(pattern, case_insensitive).matches(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_semantics() {
        assert!(wildcard_match(
            "/home/*/.ssh/*",
            "/home/alice/.ssh/id_rsa",
            false
        ));
        // `*` spans `/`
        assert!(wildcard_match(
            "/home/*/.ssh/*",
            "/home/a/b/.ssh/x/y",
            false
        ));
        assert!(!wildcard_match("/root/.ssh/*", "/root/.ssh", false));
        assert!(wildcard_match("known_hosts.*", "known_hosts.old", false));
        assert!(!wildcard_match("known_hosts.*", "Known_hosts.old", false));
        assert!(wildcard_match("known_hosts.*", "KNOWN_HOSTS.old", true));
        assert!(wildcard_match("a?c", "abc", false));
        assert!(wildcard_match("a?c", "aéc", false));
        assert!(!wildcard_match("a?c", "ac", false));
        assert!(wildcard_match("*", "", false));
        assert!(wildcard_match("a*b*c", "aXXbYYbc", false));
        assert!(!wildcard_match("a*b*c", "aXXbYYbd", false));
        assert!(wildcard_match("*EXE", "cmd.exe", true));
        assert!(wildcard_match("*ÉTÉ*", "l'été dernier", true));
        assert!(wildcard_match("*ShadowHash*", "xxshadowhashdata", true));
    }

    /// Every way of matching, tried: the definition general patterns follow.
    fn brute_force(parts: &[Part], value: &str) -> bool {
        match parts.split_first() {
            None => value.is_empty(),
            Some((Part::Literal(l), rest)) => value
                .strip_prefix(l.as_str())
                .is_some_and(|v| brute_force(rest, v)),
            Some((Part::AnyOne, rest)) => {
                let mut chars = value.chars();
                chars.next().is_some() && brute_force(rest, chars.as_str())
            }
            Some((Part::AnyRun, rest)) => value
                .char_indices()
                .map(|(i, _)| i)
                .chain([value.len()])
                .any(|i| brute_force(rest, &value[i..])),
        }
    }

    #[test]
    fn general_patterns_match_as_every_way_of_matching_would() {
        let patterns = [
            "?:\\*\\x.exe",
            "*\\x*.exe",
            "a*b*c",
            "*ab*ab",
            "ab*ab*",
            "*é*?",
            "?*aa*a",
            "*a?a*",
            "x*?*y",
        ];
        let values = [
            "",
            "C:\\dir\\x.exe",
            "C:\\x\\x\\x.exe",
            "C:\\dir\\y.exe",
            "\\x\\x1.exe.exe",
            "aXXbYYbc",
            "abab",
            "ababab",
            "abXab",
            "aab",
            "éé",
            "xé",
            "aaaa",
            "baaa",
            "aéa",
            "xy",
            "xzy",
            "xéy",
        ];
        let mut matched = 0;
        for p in patterns {
            let pattern = Pattern::new(p, false);
            let parts = pattern.general_parts().expect("general");
            for v in values {
                let want = brute_force(parts, v);
                assert_eq!(pattern.matches(v), want, "{p} on {v}");
                matched += usize::from(want);
            }
        }
        assert_eq!(matched, 24);
    }

    #[test]
    fn star_only_keeps_question_mark_literal() {
        assert!(Pattern::star_only("a?*", false).matches("a?bc"));
        assert!(!Pattern::star_only("a?*", false).matches("abc"));
    }
}
