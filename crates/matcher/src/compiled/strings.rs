//! A term-level test on one indexed keyword string, compiled: what
//! `pred::string_passes` decides by scanning lists, decided with hash sets
//! (exact terms, case-folded terms), literal lists (prefix / suffix /
//! substring, one Aho-Corasick automaton for long substring lists) and, for
//! the rest, wildcard patterns (many at once as one regular expression) and
//! regexes. Case-insensitive comparisons use
//! the value folded once ([`super::view::View::folded`]) against literals
//! folded at build time, which is what [`event::fold::eq_fold`] and
//! case-insensitive [`Pattern`]s compare.

use super::view::View;
use aho_corasick::{AhoCorasick, AhoCorasickKind};
use event::regex::LuceneRegex;
use event::wildcard::{Part, Pattern};
use ir::{Test, TextMode};
use rustc_hash::FxHashSet;
use std::sync::OnceLock;

/// `a == b` for the short strings the hot paths compare (memoized values,
/// categories): up to 16 bytes with two overlapping loads of each side, no
/// call to `memcmp`; longer ones with `==`.
#[inline(always)]
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    match a.len() {
        8..=16 => {
            a.first_chunk::<8>() == b.first_chunk::<8>()
                && a.last_chunk::<8>() == b.last_chunk::<8>()
        }
        4..=7 => {
            a.first_chunk::<4>() == b.first_chunk::<4>()
                && a.last_chunk::<4>() == b.last_chunk::<4>()
        }
        _ => a == b,
    }
}

/// Strings stored one after another in one allocation, each after its
/// length (4 bytes, little-endian), read in order: a test of a few short
/// literals reads one or two cache lines instead of one per literal.
#[derive(Debug, Default)]
struct Packed {
    bytes: Box<[u8]>,
    count: u32,
}

impl Packed {
    /// Packs `strings`, sorted and without repeats.
    fn new(mut strings: Vec<String>) -> Packed {
        strings.sort();
        strings.dedup();
        let mut bytes = Vec::with_capacity(strings.iter().map(|s| 4 + s.len()).sum());
        for s in &strings {
            bytes.extend_from_slice(&(s.len() as u32).to_le_bytes());
            bytes.extend_from_slice(s.as_bytes());
        }
        Packed {
            bytes: bytes.into(),
            count: strings.len() as u32,
        }
    }

    #[inline]
    fn iter(&self) -> PackedIter<'_> {
        PackedIter { rest: &self.bytes }
    }

    fn len(&self) -> usize {
        self.count as usize
    }

    fn is_empty(&self) -> bool {
        self.count == 0
    }
}

struct PackedIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for PackedIter<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let (len, rest) = self.rest.split_first_chunk::<4>()?;
        let (item, rest) = rest.split_at(u32::from_le_bytes(*len) as usize);
        self.rest = rest;
        Some(item)
    }
}

/// Exact terms: a short list is scanned, a long one hashed.
#[derive(Debug, Default)]
enum TermSet {
    #[default]
    Empty,
    Few(Packed),
    Many(FxHashSet<Box<str>>),
}

/// Up to this many terms are compared one by one.
const FEW_TERMS: usize = 4;

impl TermSet {
    fn build(mut terms: Vec<String>) -> TermSet {
        terms.sort();
        terms.dedup();
        match terms.len() {
            0 => TermSet::Empty,
            n if n <= FEW_TERMS => TermSet::Few(Packed::new(terms)),
            _ => TermSet::Many(terms.into_iter().map(Into::into).collect()),
        }
    }

    #[inline]
    fn contains(&self, text: &str) -> bool {
        match self {
            TermSet::Empty => false,
            TermSet::Few(v) => v.iter().any(|t| same_bytes(t, text.as_bytes())),
            TermSet::Many(s) => s.contains(text),
        }
    }

    fn is_empty(&self) -> bool {
        matches!(self, TermSet::Empty)
    }

    fn len(&self) -> usize {
        match self {
            TermSet::Empty => 0,
            TermSet::Few(v) => v.len(),
            TermSet::Many(s) => s.len(),
        }
    }
}

/// Substrings: a few are searched one by one, more with one automaton.
#[derive(Debug, Default)]
enum Substrings {
    #[default]
    Empty,
    Few(Vec<memchr::memmem::Finder<'static>>),
    /// The automaton is built on first use (most rules never reach most
    /// tests, and building one costs ≈ 0.9M instructions); the literals
    /// stay as the fallback should it not build.
    Many(Box<[String]>, OnceLock<Option<AhoCorasick>>),
}

/// Above this many substrings one automaton searches them all.
const FEW_SUBSTRINGS: usize = 3;

impl Substrings {
    fn build(mut literals: Vec<String>) -> Substrings {
        literals.sort();
        literals.dedup();
        if literals.is_empty() {
            return Substrings::Empty;
        }
        if literals.len() > FEW_SUBSTRINGS {
            return Substrings::Many(literals.into(), OnceLock::new());
        }
        Substrings::Few(
            literals
                .iter()
                .map(|l| memchr::memmem::Finder::new(l.as_bytes()).into_owned())
                .collect(),
        )
    }

    #[inline]
    fn found_in(&self, text: &str) -> bool {
        match self {
            Substrings::Empty => false,
            Substrings::Few(fs) => fs.iter().any(|f| f.find(text.as_bytes()).is_some()),
            Substrings::Many(ls, ac) => match ac.get_or_init(|| automaton(ls)) {
                Some(ac) => ac.is_match(text),
                None => ls.iter().any(|l| text.contains(&**l)),
            },
        }
    }

    fn len(&self) -> usize {
        match self {
            Substrings::Empty => 0,
            Substrings::Few(v) => v.len(),
            Substrings::Many(ls, _) => ls.len(),
        }
    }
}

/// The automaton of many substrings: a contiguous NFA, cheap to build on
/// first use (a DFA takes ≈ 4 times as many instructions to build).
fn automaton(literals: &[String]) -> Option<AhoCorasick> {
    AhoCorasick::builder()
        .kind(Some(AhoCorasickKind::ContiguousNFA))
        .build(literals)
        .ok()
}

/// General wildcard patterns: a few are matched one by one, more as one
/// anchored regular expression (`*` is `.*`, `?` is one character, as
/// [`Pattern`] matches them) so that the string is read once.
#[derive(Debug, Default)]
enum Patterns {
    #[default]
    Empty,
    Few(Vec<Pattern>),
    /// Compiled on first use (most rules never reach most tests); the
    /// patterns stay as the fallback should the expression not compile.
    Many(Vec<Pattern>, OnceLock<Option<regex::bytes::Regex>>),
}

/// Above this many general patterns one regular expression matches them all.
const FEW_PATTERNS: usize = 2;

impl Patterns {
    fn build(patterns: Vec<Pattern>) -> Patterns {
        if patterns.is_empty() {
            return Patterns::Empty;
        }
        if patterns.len() > FEW_PATTERNS {
            return Patterns::Many(patterns, OnceLock::new());
        }
        Patterns::Few(patterns)
    }

    #[inline]
    fn matches(&self, text: &str) -> bool {
        match self {
            Patterns::Empty => false,
            Patterns::Few(ps) => ps.iter().any(|p| p.matches_prefolded(text)),
            Patterns::Many(ps, re) => match re.get_or_init(|| alternation(ps)) {
                Some(re) => re.is_match(text.as_bytes()),
                None => ps.iter().any(|p| p.matches_prefolded(text)),
            },
        }
    }

    fn cost(&self) -> u32 {
        match self {
            Patterns::Empty => 0,
            Patterns::Few(ps) => 8 * ps.len() as u32,
            Patterns::Many(..) => 16,
        }
    }

    fn is_empty(&self) -> bool {
        matches!(self, Patterns::Empty)
    }
}

/// One regular expression matching a string exactly when one of the general
/// patterns does (given the string of the patterns' case mode).
///
/// It matches bytes without Unicode classes (much cheaper to build than a
/// Unicode `.`): `*` is any run of bytes, `?` one UTF-8 encoded character,
/// literals their UTF-8 bytes. On UTF-8 text this is the same: a run of
/// bytes that a literal, a character or the end follows ends where a
/// character does.
fn alternation(patterns: &[Pattern]) -> Option<regex::bytes::Regex> {
    let mut re = String::from(r"(?s-u)\A(?:");
    for (i, p) in patterns.iter().enumerate() {
        if i > 0 {
            re.push('|');
        }
        for part in p.general_parts()? {
            match part {
                Part::Literal(l) => push_literal_bytes(&mut re, l),
                Part::AnyRun => re.push_str(".*"),
                Part::AnyOne => re.push_str(ONE_UTF8_CHAR),
            }
        }
    }
    re.push_str(r")\z");
    regex::bytes::RegexBuilder::new(&re)
        .unicode(false)
        .size_limit(1 << 22)
        .build()
        .ok()
}

/// One UTF-8 encoded character (of valid UTF-8 text), as bytes.
const ONE_UTF8_CHAR: &str =
    r"(?:[\x00-\x7F]|[\xC0-\xDF][\x80-\xBF]|[\xE0-\xEF][\x80-\xBF]{2}|[\xF0-\xF7][\x80-\xBF]{3})";

/// Appends `literal` matching its UTF-8 bytes (ASCII escaped as needed,
/// other bytes as `\xHH`).
fn push_literal_bytes(re: &mut String, literal: &str) {
    for b in literal.bytes() {
        if b.is_ascii() {
            let mut buf = [0u8; 4];
            re.push_str(&regex::escape(char::from(b).encode_utf8(&mut buf)));
        } else {
            re.push_str(&format!("\\x{b:02X}"));
        }
    }
}

/// The checks of one case mode, on the raw or the folded string.
// `repr(C)`: the parts in this order, the first tested first.
#[repr(C)]
#[derive(Debug, Default)]
struct Checks {
    /// Which of the parts below hold something ([`EXACT`] …): `pass` reads
    /// only those (each part is a cache line or more away).
    parts: u8,
    exact: TermSet,
    prefixes: Packed,
    suffixes: Packed,
    substrings: Substrings,
    /// General wildcard patterns, given the string of this mode.
    patterns: Patterns,
    /// Lucene regular expressions (raw checks only: they run on the text as
    /// it is, after the literal checks).
    regexes: Box<[LuceneRegex]>,
}

const EXACT: u8 = 1;
const PREFIXES: u8 = 2;
const SUFFIXES: u8 = 4;
const SUBSTRINGS: u8 = 8;
const PATTERNS: u8 = 16;
const REGEXES: u8 = 32;

impl Checks {
    fn is_empty(&self) -> bool {
        self.parts == 0
    }

    #[inline]
    fn pass(&self, text: &str) -> bool {
        let has = |part: u8| self.parts & part != 0;
        let bytes = text.as_bytes();
        (has(EXACT) && self.exact.contains(text))
            || (has(PREFIXES) && self.prefixes.iter().any(|p| bytes.starts_with(p)))
            || (has(SUFFIXES) && self.suffixes.iter().any(|s| bytes.ends_with(s)))
            || (has(SUBSTRINGS) && self.substrings.found_in(text))
            || (has(PATTERNS) && self.patterns.matches(text))
            || (has(REGEXES) && self.regexes.iter().any(|r| r.is_match(text)))
    }

    fn cost(&self) -> u32 {
        let exact = match self.exact {
            TermSet::Empty => 0,
            TermSet::Few(ref v) => v.len() as u32,
            TermSet::Many(_) => 3,
        };
        let subs = match self.substrings {
            Substrings::Empty => 0,
            Substrings::Few(ref v) => 4 * v.len() as u32,
            Substrings::Many(..) => 12,
        };
        exact
            + (self.prefixes.len() + self.suffixes.len()) as u32
            + subs
            + self.patterns.cost()
            + 30 * self.regexes.len() as u32
    }
}

/// Collects a test's comparisons by mode and strategy.
#[derive(Debug, Default)]
struct ChecksBuilder {
    exact: Vec<String>,
    prefixes: Vec<String>,
    suffixes: Vec<String>,
    substrings: Vec<String>,
    patterns: Vec<Pattern>,
    regexes: Vec<LuceneRegex>,
}

impl ChecksBuilder {
    fn build(self) -> Checks {
        let mut checks = Checks {
            parts: 0,
            exact: TermSet::build(self.exact),
            prefixes: Packed::new(self.prefixes),
            suffixes: Packed::new(self.suffixes),
            substrings: Substrings::build(self.substrings),
            patterns: Patterns::build(self.patterns),
            regexes: self.regexes.into(),
        };
        for (part, present) in [
            (EXACT, !checks.exact.is_empty()),
            (PREFIXES, !checks.prefixes.is_empty()),
            (SUFFIXES, !checks.suffixes.is_empty()),
            (SUBSTRINGS, !matches!(checks.substrings, Substrings::Empty)),
            (PATTERNS, !checks.patterns.is_empty()),
            (REGEXES, !checks.regexes.is_empty()),
        ] {
            if present {
                checks.parts |= part;
            }
        }
        checks
    }
}

/// A compiled test on an indexed keyword string.
#[derive(Debug, Default)]
pub struct StrMatcher {
    /// Every indexed string passes (`exists`, the pattern `*`).
    any: bool,
    /// The checks of each case mode, boxed: a leaf stays within a cache
    /// line (its test reads the flags, then only the checks it has).
    raw: Option<Box<Checks>>,
    folded: Option<Box<Checks>>,
}

impl StrMatcher {
    /// Compiles `test` as `pred::string_passes` applies it to one string;
    /// `None` for tests that do not compare strings that way (ranges).
    pub fn new(test: &Test) -> Option<StrMatcher> {
        let mut raw = ChecksBuilder::default();
        let mut folded = ChecksBuilder::default();
        let mut m = StrMatcher::default();
        match test {
            Test::Exists => m.any = true,
            Test::Terms {
                values,
                case_insensitive: false,
            } => raw.exact.extend(values.iter().cloned()),
            Test::Terms {
                values,
                case_insensitive: true,
            } => folded.exact.extend(
                values
                    .iter()
                    .map(|t| event::fold::fold_case(t).into_owned()),
            ),
            Test::Wildcards(ps) => {
                for p in ps {
                    m.any |= add_pattern(p, &mut raw, &mut folded);
                }
            }
            Test::Regexes(rs) => raw.regexes.extend(rs.iter().cloned()),
            Test::Numbers(ns) => raw.exact.extend(ns.iter().map(|n| number_term(*n))),
            Test::Bool(b) => raw.exact.push(b.to_string()),
            Test::IpNets(nets) => {
                for n in nets {
                    raw.exact.push(n.to_string());
                    if n.prefix_len() == n.max_prefix_len() {
                        raw.exact.push(n.addr().to_string());
                    }
                }
            }
            Test::Text { tokens, mode } => match mode {
                TextMode::AnyToken => raw.exact.extend(tokens.iter().cloned()),
                TextMode::Phrase if tokens.is_empty() => {}
                TextMode::Phrase => raw.exact.push(tokens.join(" ")),
                TextMode::TokenWildcard(p) => m.any |= add_pattern(p, &mut raw, &mut folded),
            },
            Test::Range { .. } => return None,
        }
        let boxed = |c: Checks| (!c.is_empty()).then(|| Box::new(c));
        m.raw = boxed(raw.build());
        m.folded = boxed(folded.build());
        Some(m)
    }

    /// True when the string of entry `i` passes.
    #[inline]
    pub fn pass(&self, view: &mut View<'_, '_, '_>, i: usize) -> bool {
        if self.any {
            return true;
        }
        if self.raw.is_some() && self.passes_as_is(view.text(i)) {
            return true;
        }
        self.folded.as_ref().is_some_and(|c| c.pass(view.folded(i)))
    }

    /// The checks of the text as it is (literal checks, then regexes).
    #[inline]
    fn passes_as_is(&self, text: &str) -> bool {
        self.raw.as_ref().is_some_and(|c| c.pass(text))
    }

    /// [`StrMatcher::pass`] given the keyword string of entry `i`, `text`
    /// (a string value's own text: read once by the caller).
    #[inline]
    pub fn pass_text<'e>(&self, text: &'e str, view: &mut View<'_, 'e, '_>, i: usize) -> bool {
        if self.any {
            return true;
        }
        if self.passes_as_is(text) {
            return true;
        }
        self.folded
            .as_ref()
            .is_some_and(|c| c.pass(view.folded_str(i, text)))
    }

    /// A rough cost of one check (for ordering `and` / `or` children).
    pub fn cost(&self) -> u32 {
        let cost = |c: &Option<Box<Checks>>| c.as_ref().map_or(0, |c| c.cost());
        1 + cost(&self.raw) + cost(&self.folded)
    }

    /// Number of exact terms (raw and folded), for statistics.
    pub fn exact_terms(&self) -> usize {
        self.checks().map(|c| c.exact.len()).sum()
    }

    /// Number of substrings searched, for statistics.
    pub fn substrings(&self) -> usize {
        self.checks().map(|c| c.substrings.len()).sum()
    }

    fn checks(&self) -> impl Iterator<Item = &Checks> {
        self.raw.iter().chain(self.folded.iter()).map(|c| &**c)
    }
}

/// Files a wildcard pattern under its strategy; true when it matches every
/// string.
fn add_pattern(p: &Pattern, raw: &mut ChecksBuilder, folded: &mut ChecksBuilder) -> bool {
    let b = if p.is_case_insensitive() { folded } else { raw };
    match p.literal_hint() {
        Some((s, "exact")) => b.exact.push(s.to_string()),
        Some((s, "prefix")) => b.prefixes.push(s.to_string()),
        Some((s, "suffix")) => b.suffixes.push(s.to_string()),
        Some((s, _)) => b.substrings.push(s.to_string()),
        None if p.general_parts().is_some() => b.patterns.push(p.clone()),
        None => return true,
    }
    false
}

/// The term a query number becomes on a string field (as `pred` renders it).
fn number_term(n: event::Number) -> String {
    match n {
        event::Number::Int(i) => i.to_string(),
        event::Number::Float(f) => crate::java::double_to_string(f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_alternation_matches_as_the_patterns_one_by_one() {
        let patterns: Vec<Pattern> = ["?b*", "*é?", "a*c*f", "4?2*", "*.(x)+?", "€?*\\\\?"]
            .iter()
            .map(|p| Pattern::new(p, false))
            .collect();
        let re = alternation(&patterns).expect("builds");
        let mut matched = 0;
        for v in [
            "",
            "ab",
            "éb",
            "€bx",
            "xé",
            "xéé",
            "xé€",
            "é",
            "abcdef",
            "a€c€f",
            "4é2",
            "4éé2",
            "4",
            "q.(x)+!",
            "q.(x)+",
            "q.(x)+€",
            "€x\\y",
            "€\\",
            "€x\\\\y",
        ] {
            let want = patterns.iter().any(|p| p.matches_prefolded(v));
            assert_eq!(re.is_match(v.as_bytes()), want, "{v}");
            matched += usize::from(want);
        }
        assert_eq!(matched, 12);
    }

    #[test]
    fn many_substrings_are_found_as_one_by_one() {
        let literals = ["cmd", "powershell", "\\temp\\", "é€", "-enc"];
        let subs = Substrings::build(literals.iter().map(|l| l.to_string()).collect());
        assert!(matches!(subs, Substrings::Many(..)));
        assert_eq!(subs.len(), 5);
        for text in [
            "",
            "cm",
            "c:\\temp\\x",
            "run powershell -enc",
            "xé€y",
            "é",
            "CMD",
        ] {
            let want = literals.iter().any(|l| text.contains(l));
            assert_eq!(subs.found_in(text), want, "{text}");
        }
    }

    #[test]
    fn same_bytes_is_equality() {
        let texts: Vec<String> = (0..20)
            .flat_map(|n| {
                let base: String = (0..n).map(|i| char::from(b'a' + i as u8)).collect();
                let mut first = base.clone().into_bytes();
                let mut last = base.clone().into_bytes();
                let mut middle = base.clone().into_bytes();
                if n > 0 {
                    first[0] = b'Z';
                    last[n - 1] = b'Z';
                    middle[n / 2] = b'Z';
                }
                [first, last, middle]
                    .into_iter()
                    .map(|b| String::from_utf8(b).expect("ascii"))
                    .chain([base])
            })
            .collect();
        for a in &texts {
            for b in &texts {
                assert_eq!(same_bytes(a.as_bytes(), b.as_bytes()), a == b, "{a} {b}");
            }
        }
    }

    #[test]
    fn packed_strings_come_back_sorted_without_repeats() {
        let long = "x".repeat(70_000);
        let strings = vec![
            "b".to_string(),
            String::new(),
            long.clone(),
            "b".to_string(),
            "é".to_string(),
        ];
        let packed = Packed::new(strings);
        let back: Vec<&[u8]> = packed.iter().collect();
        let want: Vec<&[u8]> = vec![b"", b"b", long.as_bytes(), "é".as_bytes()];
        assert_eq!(back, want);
        assert_eq!(packed.len(), 4);
        assert!(Packed::new(vec![]).is_empty());
        assert_eq!(Packed::new(vec![]).iter().count(), 0);
    }
}
