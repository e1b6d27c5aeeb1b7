//! Rule files as text: the file ([`SourceText`]), where each key and value of a
//! parsed document sits in it ([`SpanIndex`]), and where the characters of a
//! string value come from ([`StringLocation`]: a decoded offset → file offset
//! map that stays exact across escapes and TOML line continuations).

use diag::{Diagnostic, LineCol, RenderOptions, SourceFile, Span};
use rustc_hash::FxHashMap;
use std::path::PathBuf;

/// One file read by the loader. Shared (`Arc`) by every rule it holds.
#[derive(Debug)]
pub struct SourceText {
    pub path: PathBuf,
    /// Display name (the path as given, lossy UTF-8).
    pub name: String,
    pub text: String,
}

impl SourceText {
    pub fn new(path: PathBuf, text: String) -> Self {
        let name = path.to_string_lossy().into_owned();
        SourceText { path, name, text }
    }

    /// The whole file as a `diag::SourceFile` (diagnostics with file offsets).
    pub fn source_file(&self) -> SourceFile<'_> {
        SourceFile::new(&self.name, &self.text)
    }

    /// Line and column (1-based, column in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> LineCol {
        line_col(&self.text, offset)
    }

    /// Renders a diagnostic whose spans are file offsets.
    pub fn render(&self, d: &Diagnostic, opts: RenderOptions) -> String {
        diag::render_terminal(d, &self.source_file(), opts)
    }
}

/// Line/column of `offset` in `text` without building a line table.
pub fn line_col(text: &str, offset: usize) -> LineCol {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    // memchr: every rule's query position is computed at load, and the query
    // usually comes at the end of its file (a byte loop cost 2 % of start-up).
    let before = &text.as_bytes()[..offset];
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    LineCol {
        line,
        column: text[line_start..offset].chars().count() + 1,
    }
}

/// Where a key and its value sit in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeSpan {
    /// The key (absent for array elements and the root).
    pub key: Option<Span>,
    /// The value as written (a string includes its quotes).
    pub value: Span,
}

/// Paths (`rule/threat/0/tactic/id`, `/`-separated, array indices as numbers)
/// to file spans, for one parsed document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpanIndex {
    map: FxHashMap<String, NodeSpan>,
}

impl SpanIndex {
    /// An empty index with room for `n` paths.
    pub fn with_capacity(n: usize) -> Self {
        SpanIndex {
            map: FxHashMap::with_capacity_and_hasher(n, Default::default()),
        }
    }

    pub fn insert(&mut self, path: String, span: NodeSpan) {
        self.map.insert(path, span);
    }

    pub fn get(&self, path: &str) -> Option<NodeSpan> {
        self.map.get(path).copied()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Joins a path and a key (`a/b` + `c` → `a/b/c`).
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        let mut s = String::with_capacity(path.len() + 1 + key.len());
        s.push_str(path);
        s.push('/');
        s.push_str(key);
        s
    }
}

/// Runs `f` with a segment (written by `push`) appended to `path` as
/// [`join`] would, then restores `path`: the parsers building a
/// [`SpanIndex`] keep one path buffer instead of a string per node.
pub(crate) fn with_segment<T>(
    path: &mut String,
    push: impl FnOnce(&mut String),
    f: impl FnOnce(&mut String) -> T,
) -> T {
    let len = path.len();
    if len > 0 {
        path.push('/');
    }
    push(path);
    let out = f(path);
    path.truncate(len);
    out
}

/// How one run of decoded bytes maps back to the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    /// Offset in the decoded string where the run starts.
    decoded: u32,
    /// File offset of the run's first raw byte.
    raw: u32,
    /// An escape: all its decoded bytes map to the escape's start.
    escape: bool,
}

/// Where a string value's characters are in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringLocation {
    /// The literal as written, delimiters included.
    pub literal: Span,
    /// File offset of the first content character (after the delimiter and, for
    /// TOML multi-line strings, after the newline that follows it).
    pub content_start: usize,
    /// Line/column of `content_start`.
    pub origin: LineCol,
    /// True when decoded offsets equal file offsets minus `content_start`
    /// (no escapes, no line continuations): `SourceFile::embedded(text, origin)`
    /// is then exact. Otherwise use [`StringLocation::map_span`].
    pub verbatim: bool,
    segments: Vec<Segment>,
}

impl StringLocation {
    /// The file offset of decoded byte `offset`.
    pub fn map_offset(&self, offset: usize) -> usize {
        let off = offset.min(u32::MAX as usize) as u32;
        let idx = match self.segments.binary_search_by(|s| s.decoded.cmp(&off)) {
            Ok(i) => i,
            Err(0) => return self.content_start + offset,
            Err(i) => i - 1,
        };
        let seg = self.segments[idx];
        if seg.escape {
            seg.raw as usize
        } else {
            (seg.raw + (off - seg.decoded)) as usize
        }
    }

    /// A span of the decoded string as a span of the file.
    pub fn map_span(&self, span: Span) -> Span {
        Span::new(
            self.map_offset(span.start as usize),
            self.map_offset(span.end as usize),
        )
    }
}

/// Decodes a string literal at `literal` in `text` (TOML or JSON syntax) and
/// records where each decoded run comes from. `None` when the literal is not a
/// string this decoder understands.
pub fn locate_string(text: &str, literal: Span, json: bool) -> Option<(String, StringLocation)> {
    let raw = text.get(literal.range())?;
    let base = literal.start as usize;
    let (open, close, multiline, escapes) = delimiters(raw, json)?;
    let body_end = raw.len().checked_sub(close)?;
    let mut start = open;
    if multiline {
        if raw[start..].starts_with("\r\n") {
            start += 2;
        } else if raw[start..].starts_with('\n') {
            start += 1;
        }
    }
    if start > body_end {
        return None;
    }
    let body = &raw[start..body_end];
    let (decoded, segments) = if escapes {
        decode_escapes(body, base + start, multiline && !json)?
    } else {
        (
            body.to_string(),
            vec![Segment {
                decoded: 0,
                raw: (base + start) as u32,
                escape: false,
            }],
        )
    };
    let verbatim = segments.len() <= 1 && decoded.len() == body.len();
    let content_start = base + start;
    let origin = line_col(text, content_start);
    Some((
        decoded,
        StringLocation {
            literal,
            content_start,
            origin,
            verbatim,
            segments,
        },
    ))
}

/// (opening delimiter length, closing length, multi-line, escapes processed).
fn delimiters(raw: &str, json: bool) -> Option<(usize, usize, bool, bool)> {
    if json {
        return (raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"'))
            .then_some((1, 1, false, true));
    }
    for (delim, multi, esc) in [
        ("'''", true, false),
        ("\"\"\"", true, true),
        ("'", false, false),
        ("\"", false, true),
    ] {
        if raw.len() >= 2 * delim.len() && raw.starts_with(delim) && raw.ends_with(delim) {
            return Some((delim.len(), delim.len(), multi, esc));
        }
    }
    None
}

/// Decodes backslash escapes (JSON and TOML basic strings). `continuation`
/// enables TOML's line-ending backslash, which drops the newline and the
/// whitespace after it.
fn decode_escapes(body: &str, base: usize, continuation: bool) -> Option<(String, Vec<Segment>)> {
    let bytes = body.as_bytes();
    let mut out = String::with_capacity(body.len());
    let mut segments = Vec::new();
    let mut i = 0;
    let mut run_start = 0;
    let mut run_open = false;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            if !run_open {
                segments.push(Segment {
                    decoded: out.len() as u32,
                    raw: (base + i) as u32,
                    escape: false,
                });
                run_open = true;
                run_start = i;
            }
            let ch_len = utf8_len(bytes[i]);
            i += ch_len;
            continue;
        }
        if run_open {
            out.push_str(body.get(run_start..i)?);
            run_open = false;
        }
        let esc_start = i;
        let next = *bytes.get(i + 1)?;
        let (decoded, consumed): (Option<char>, usize) = match next {
            b'n' => (Some('\n'), 2),
            b't' => (Some('\t'), 2),
            b'r' => (Some('\r'), 2),
            b'b' => (Some('\u{8}'), 2),
            b'f' => (Some('\u{c}'), 2),
            b'e' => (Some('\u{1b}'), 2),
            b'"' => (Some('"'), 2),
            b'\\' => (Some('\\'), 2),
            b'/' => (Some('/'), 2),
            b'u' => unicode_escape(body, i, 4)?,
            b'U' => (
                Some(char::from_u32(
                    u32::from_str_radix(body.get(i + 2..i + 10)?, 16).ok()?,
                )?),
                10,
            ),
            b'x' => (
                Some(char::from_u32(
                    u32::from_str_radix(body.get(i + 2..i + 4)?, 16).ok()?,
                )?),
                4,
            ),
            b' ' | b'\t' | b'\r' | b'\n' if continuation => (None, continuation_len(bytes, i)?),
            _ => return None,
        };
        if let Some(c) = decoded {
            segments.push(Segment {
                decoded: out.len() as u32,
                raw: (base + esc_start) as u32,
                escape: true,
            });
            out.push(c);
        }
        i += consumed;
    }
    if run_open {
        out.push_str(body.get(run_start..)?);
    }
    Some((out, segments))
}

/// `\uXXXX`, with a following `\uXXXX` low surrogate (JSON) when needed.
fn unicode_escape(body: &str, i: usize, digits: usize) -> Option<(Option<char>, usize)> {
    let hi = u32::from_str_radix(body.get(i + 2..i + 2 + digits)?, 16).ok()?;
    if (0xD800..0xDC00).contains(&hi) {
        let rest = body.get(i + 6..)?;
        if !rest.starts_with("\\u") {
            return None;
        }
        let lo = u32::from_str_radix(rest.get(2..6)?, 16).ok()?;
        let c = char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo.checked_sub(0xDC00)?))?;
        return Some((Some(c), 12));
    }
    Some((Some(char::from_u32(hi)?), 2 + digits))
}

/// Length of a TOML line continuation starting at the backslash `i`: the
/// backslash, trailing whitespace, the newline, and all whitespace/newlines after.
fn continuation_len(bytes: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < bytes.len() && (bytes[j] == b' ' || bytes[j] == b'\t') {
        j += 1;
    }
    if j < bytes.len() && bytes[j] == b'\r' {
        j += 1;
    }
    if j >= bytes.len() || bytes[j] != b'\n' {
        return None;
    }
    while j < bytes.len() && matches!(bytes[j], b' ' | b'\t' | b'\r' | b'\n') {
        j += 1;
    }
    Some(j - i)
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(text: &str, json: bool) -> (String, StringLocation) {
        let start = text.find(['\'', '"']).unwrap();
        locate_string(text, Span::new(start, text.len()), json).unwrap()
    }

    #[test]
    fn toml_multiline_literal_starts_on_next_line() {
        let text = "query = '''\nprocess where true\n'''";
        let (s, l) = loc(text, false);
        assert_eq!(s, "process where true\n");
        assert_eq!(l.origin, LineCol { line: 2, column: 1 });
        assert!(l.verbatim);
        assert_eq!(l.map_offset(8), 12 + 8);
    }

    #[test]
    fn toml_basic_string_escapes_map_back() {
        let text = r#"q = "a\"b\\c""#;
        let (s, l) = loc(text, false);
        assert_eq!(s, "a\"b\\c");
        assert!(!l.verbatim);
        assert_eq!(l.origin, LineCol { line: 1, column: 6 });
        // 'b' is decoded offset 2; in the file it is after `a\"`.
        assert_eq!(l.map_offset(2), 5 + 3);
        // 'c' (decoded 4) follows `\\`.
        assert_eq!(l.map_offset(4), 5 + 6);
        // Inside an escape: the escape's start.
        assert_eq!(l.map_offset(1), 5 + 1);
    }

    #[test]
    fn toml_line_continuation_and_multiline_basic() {
        let text = "q = \"\"\"\nab \\\n    cd\"\"\"";
        let (s, l) = loc(text, false);
        assert_eq!(s, "ab cd");
        assert_eq!(l.origin, LineCol { line: 2, column: 1 });
        let c = l.map_offset(3);
        assert_eq!(line_col(text, c), LineCol { line: 3, column: 5 });
    }

    #[test]
    fn json_string_newline_escapes() {
        let text = r#"{"query": "a and\nb == 1"}"#;
        let start = text.find("\"a").unwrap();
        let end = text.rfind('"').unwrap() + 1;
        let (s, l) = locate_string(text, Span::new(start, end), true).unwrap();
        assert_eq!(s, "a and\nb == 1");
        assert!(!l.verbatim);
        // `b` is decoded offset 6 → after the two-byte `\n`.
        assert_eq!(l.map_offset(6), start + 1 + 7);
        assert_eq!(l.map_span(Span::new(6, 7)), Span::new(start + 8, start + 9));
    }

    #[test]
    fn json_surrogate_pairs_and_bad_escapes() {
        let text = r#""\ud83d\ude00x""#;
        let (s, l) = locate_string(text, Span::new(0, text.len()), true).unwrap();
        assert_eq!(s, "\u{1F600}x");
        assert_eq!(l.map_offset(4), 13);
        assert!(locate_string(r#""\q""#, Span::new(0, 4), true).is_none());
        assert!(locate_string("\"", Span::new(0, 1), true).is_none());
    }
}
