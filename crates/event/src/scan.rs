//! The lazy JSON scanner behind [`crate::json::Parser`]: one pass over the
//! bytes of a document, keeping the values of registered paths and skipping
//! (but still validating) everything else.
//!
//! It accepts exactly what the serde_json reference parser
//! ([`crate::json::reference`]) accepts and yields the same entries. That parser
//! checks a value in one of two ways, and so does this one:
//!
//! - a value at a registered path (or a dot-prefix of one) is *visited* as
//!   `serde_json::Deserializer::deserialize_any` reads it: strings fully
//!   decoded, `\u` surrogates required to pair, numbers required to be finite,
//!   nested arrays and objects counted against a depth limit of 128;
//! - any other value is *skipped* as `ignore_value` skips it: the same grammar,
//!   but `\u` escapes only need four hex digits, numbers are not evaluated and
//!   nesting is unlimited (the skipper keeps its own stack, so it cannot
//!   overflow ours).
//!
//! Object keys at visited levels are decoded like strings (they are looked up);
//! keys inside skipped values are only skipped.
//!
//! Errors carry only a byte offset and a short reason: the caller turns them
//! into the reference parser's exact message (malformed documents are rare).

use crate::fields::FieldId;
use crate::paths::{Node, PathTable, ROOT_CTX, SOURCE_NODE};
use crate::value::Value;
use std::borrow::Cow;

/// Where and why a document stopped being valid JSON (or a valid event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed {
    /// Byte offset in the document.
    pub at: usize,
    pub reason: &'static str,
}

type Res<T> = Result<T, Malformed>;

/// The search-hit parts of a document.
#[derive(Debug, Default)]
pub(crate) struct Found<'a> {
    pub index: Option<Cow<'a, str>>,
    pub id: Option<Cow<'a, str>>,
    /// The `_source` text of a search hit.
    pub source: Option<&'a str>,
}

/// Buffers reused from one document to the next.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// A key that had escapes, decoded.
    key: String,
    /// Open brackets of the value being skipped.
    frames: Vec<u8>,
}

/// serde_json's recursion limit (`remaining_depth` starts at 128 and a
/// container is refused when entering it would bring it to 0).
const DEPTH_LIMIT: u8 = 128;

/// Scans `text` (a document whose first non-blank byte has been checked by the
/// caller), appending `(field, value)` for every registered path in document
/// order (unsorted).
pub(crate) fn scan_document<'a>(
    text: &'a str,
    table: &PathTable,
    out: &mut Vec<(FieldId, Value<'a>)>,
    scratch: &mut Scratch,
) -> Res<Found<'a>> {
    let mut scanner = Scanner {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        depth: DEPTH_LIMIT,
        table,
        out,
        scratch,
    };
    scanner.document()
}

struct Scanner<'a, 'p> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Containers that may still be entered at visited levels.
    depth: u8,
    table: &'p PathTable,
    out: &'p mut Vec<(FieldId, Value<'a>)>,
    scratch: &'p mut Scratch,
}

/// Where a decoded object key is.
enum Key {
    /// `bytes[start..end]`: the key had no escapes.
    Raw(usize, usize),
    /// In `scratch.key`.
    Decoded,
}

/// What a top-level key of the document is.
enum TopKey {
    Source,
    Index,
    Id,
    Path(Option<Node>),
}

impl<'a> Scanner<'a, '_> {
    #[cold]
    fn fail<T>(&self, reason: &'static str) -> Res<T> {
        Err(Malformed {
            at: self.pos,
            reason,
        })
    }

    /// The top-level object: fields, or a search hit's `_index`, `_id` and `_source`.
    fn document(&mut self) -> Res<Found<'a>> {
        if self.peek() != Some(b'{') {
            return self.fail("expected a JSON object");
        }
        self.enter()?;
        self.pos += 1;
        let mut found = Found::default();
        let mut is_hit = false;
        let mut first = true;
        while self.next_key(&mut first)? {
            let key = self.key()?;
            let top = match self.key_bytes(&key) {
                b"_source" => TopKey::Source,
                b"_index" => TopKey::Index,
                b"_id" => TopKey::Id,
                _ if is_hit => TopKey::Path(None),
                other => TopKey::Path(self.table.child(ROOT_CTX, other)),
            };
            self.colon()?;
            match top {
                TopKey::Source => {
                    found.source = Some(self.source()?);
                    is_hit = true;
                }
                TopKey::Index => found.index = self.optional_string()?,
                TopKey::Id => found.id = self.optional_string()?,
                TopKey::Path(Some(node)) => self.visit(node)?,
                TopKey::Path(None) => self.skip()?,
            }
        }
        self.pos += 1;
        if self.peek().is_some() {
            return self.fail("trailing characters");
        }
        Ok(found)
    }

    /// A hit's `_source`: what came before it is dropped; it is read as a
    /// document of its own (with its own depth budget, as the reference
    /// re-parses the raw `_source` text).
    fn source(&mut self) -> Res<&'a str> {
        if self.peek().is_none() {
            return self.fail("EOF while parsing a value");
        }
        let start = self.pos;
        self.out.clear();
        let depth = std::mem::replace(&mut self.depth, DEPTH_LIMIT);
        self.visit(SOURCE_NODE)?;
        self.depth = depth;
        match self.text.get(start..self.pos) {
            Some(source) => Ok(source),
            None => self.fail("invalid _source"),
        }
    }

    /// `_index` / `_id`: a string or null.
    fn optional_string(&mut self) -> Res<Option<Cow<'a, str>>> {
        match self.peek() {
            Some(b'n') => self.word(b"null").map(|()| None),
            Some(b'"') => {
                self.pos += 1;
                self.string_value().map(Some)
            }
            _ => self.fail("invalid type, expected a string"),
        }
    }

    /// A value at a registered path or prefix.
    fn visit(&mut self, node: Node) -> Res<()> {
        let Some(c) = self.peek() else {
            return self.fail("EOF while parsing a value");
        };
        match c {
            b'"' => {
                self.pos += 1;
                match node.field {
                    Some(field) => {
                        let s = self.string_value()?;
                        self.out.push((field, Value::Str(s)));
                    }
                    None => self.string_rest(&mut Discard, true, self.pos)?,
                }
            }
            b'-' | b'0'..=b'9' => {
                let value = self.number()?;
                if let Some(field) = node.field {
                    self.out.push((field, value));
                }
            }
            b't' => {
                self.word(b"true")?;
                self.push(node, Value::Bool(true));
            }
            b'f' => {
                self.word(b"false")?;
                self.push(node, Value::Bool(false));
            }
            b'n' => self.word(b"null")?,
            b'[' => {
                self.enter()?;
                self.pos += 1;
                let mut first = true;
                while self.next_element(&mut first)? {
                    self.visit(node)?;
                }
                self.pos += 1;
                self.depth += 1;
            }
            b'{' => {
                self.enter()?;
                self.pos += 1;
                if node.is_prefix {
                    self.visit_fields(node.ctx)?;
                } else {
                    self.skip_fields()?;
                }
                self.pos += 1;
                self.depth += 1;
            }
            _ => return self.fail("expected value"),
        }
        Ok(())
    }

    #[inline]
    fn push(&mut self, node: Node, value: Value<'a>) {
        if let Some(field) = node.field {
            self.out.push((field, value));
        }
    }

    /// The entries of an object below a prefix: each key looked up in `ctx`.
    fn visit_fields(&mut self, ctx: u32) -> Res<()> {
        let table = self.table;
        let mut first = true;
        while self.next_key(&mut first)? {
            let key = self.key()?;
            let child = table.child(ctx, self.key_bytes(&key));
            self.colon()?;
            match child {
                Some(node) => self.visit(node)?,
                None => self.skip()?,
            }
        }
        Ok(())
    }

    /// The entries of an object at a path nothing is registered below: keys
    /// are still decoded (the reference reads them), values skipped.
    fn skip_fields(&mut self) -> Res<()> {
        let mut first = true;
        while self.next_key(&mut first)? {
            self.key()?;
            self.colon()?;
            self.skip()?;
        }
        Ok(())
    }

    /// A visited `[` or `{`: one level of the depth budget.
    #[inline]
    fn enter(&mut self) -> Res<()> {
        self.depth -= 1;
        if self.depth == 0 {
            return self.fail("recursion limit exceeded");
        }
        Ok(())
    }

    /// Moves to the next key of an object (past its opening quote); false at
    /// the closing brace, which is left for the caller.
    #[inline]
    fn next_key(&mut self, first: &mut bool) -> Res<bool> {
        match self.peek() {
            Some(b'}') => return Ok(false),
            Some(b'"') if *first => {}
            Some(b',') if !*first => {
                self.pos += 1;
                if self.peek() != Some(b'"') {
                    return self.fail("expected a key");
                }
            }
            None => return self.fail("EOF while parsing an object"),
            Some(_) if *first => return self.fail("key must be a string"),
            Some(_) => return self.fail("expected `,` or `}`"),
        }
        *first = false;
        self.pos += 1;
        Ok(true)
    }

    /// Moves to the next element of an array; false at the closing bracket.
    #[inline]
    fn next_element(&mut self, first: &mut bool) -> Res<bool> {
        match self.peek() {
            Some(b']') => Ok(false),
            None => self.fail("EOF while parsing a list"),
            Some(_) if *first => {
                *first = false;
                Ok(true)
            }
            Some(b',') => {
                self.pos += 1;
                match self.peek() {
                    Some(b']') => self.fail("trailing comma"),
                    Some(_) => Ok(true),
                    None => self.fail("EOF while parsing a value"),
                }
            }
            Some(_) => self.fail("expected `,` or `]`"),
        }
    }

    #[inline]
    fn colon(&mut self) -> Res<()> {
        if self.peek() != Some(b':') {
            return self.fail("expected `:`");
        }
        self.pos += 1;
        Ok(())
    }

    /// The next byte that is not JSON whitespace (not consumed).
    #[inline]
    fn peek(&mut self) -> Option<u8> {
        match self.bytes.get(self.pos) {
            Some(&c) if c > b' ' => Some(c),
            _ => self.peek_after_blanks(),
        }
    }

    fn peek_after_blanks(&mut self) -> Option<u8> {
        while let Some(&c) = self.bytes.get(self.pos) {
            match c {
                b' ' | b'\n' | b'\t' | b'\r' => self.pos += 1,
                _ => return Some(c),
            }
        }
        None
    }

    /// `true`, `false` or `null` at the current position.
    fn word(&mut self, word: &[u8]) -> Res<()> {
        match self.bytes.get(self.pos..self.pos + word.len()) {
            Some(found) if found == word => {
                self.pos += word.len();
                Ok(())
            }
            _ => self.fail("expected ident"),
        }
    }

    // ----- strings -----------------------------------------------------------

    /// A key (after its opening quote), decoded and validated as the
    /// reference's map keys are.
    #[inline]
    fn key(&mut self) -> Res<Key> {
        let start = self.pos;
        let end = find_special(self.bytes, start);
        if self.bytes.get(end) == Some(&b'"') {
            self.pos = end + 1;
            return Ok(Key::Raw(start, end));
        }
        let mut key = std::mem::take(&mut self.scratch.key);
        key.clear();
        let decoded = self.string_from(&mut key, true, start, end);
        self.scratch.key = key;
        decoded.map(|()| Key::Decoded)
    }

    #[inline]
    fn key_bytes(&self, key: &Key) -> &[u8] {
        match *key {
            Key::Raw(start, end) => &self.bytes[start..end],
            Key::Decoded => self.scratch.key.as_bytes(),
        }
    }

    /// A string value (after its opening quote): borrowed unless it has escapes.
    #[inline]
    fn string_value(&mut self) -> Res<Cow<'a, str>> {
        let start = self.pos;
        let end = find_special(self.bytes, start);
        if self.bytes.get(end) == Some(&b'"') {
            self.pos = end + 1;
            return match self.text.get(start..end) {
                Some(s) => Ok(Cow::Borrowed(s)),
                None => self.fail("invalid string"),
            };
        }
        let mut owned = String::with_capacity(end - start + 16);
        self.string_from(&mut owned, true, start, end)?;
        Ok(Cow::Owned(owned))
    }

    /// The rest of a string from `start`, decoded into `sink`.
    fn string_rest<S: Sink>(&mut self, sink: &mut S, strict: bool, start: usize) -> Res<()> {
        let end = find_special(self.bytes, start);
        self.string_from(sink, strict, start, end)
    }

    /// Decodes a string whose unescaped run `start..at` ends at `at` (a quote,
    /// a backslash, a control character or the end of the input).
    fn string_from<S: Sink>(
        &mut self,
        sink: &mut S,
        strict: bool,
        mut start: usize,
        mut at: usize,
    ) -> Res<()> {
        loop {
            let Some(run) = self.text.get(start..at) else {
                return self.fail("invalid string");
            };
            match self.bytes.get(at) {
                Some(b'"') => {
                    sink.push_str(run);
                    self.pos = at + 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    sink.push_str(run);
                    self.pos = at + 1;
                    self.escape(sink, strict)?;
                    start = self.pos;
                    at = find_special(self.bytes, start);
                }
                Some(_) => {
                    self.pos = at;
                    return self
                        .fail("control character (\\u0000-\\u001F) found while parsing a string");
                }
                None => {
                    self.pos = at;
                    return self.fail("EOF while parsing a string");
                }
            }
        }
    }

    /// A string in a skipped value (after its opening quote).
    #[inline]
    fn skip_string(&mut self) -> Res<()> {
        let start = self.pos;
        let end = find_special(self.bytes, start);
        if self.bytes.get(end) == Some(&b'"') {
            self.pos = end + 1;
            return Ok(());
        }
        self.string_from(&mut Discard, false, start, end)
    }

    /// An escape after its backslash. `strict` (visited strings) requires
    /// `\u` surrogates to pair, as serde_json does when it produces a `str`.
    fn escape<S: Sink>(&mut self, sink: &mut S, strict: bool) -> Res<()> {
        let Some(&c) = self.bytes.get(self.pos) else {
            return self.fail("EOF while parsing a string");
        };
        self.pos += 1;
        let decoded = match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode_escape(sink, strict),
            _ => return self.fail("invalid escape"),
        };
        sink.push_char(decoded);
        Ok(())
    }

    fn unicode_escape<S: Sink>(&mut self, sink: &mut S, strict: bool) -> Res<()> {
        let unit = self.hex4()?;
        if !strict {
            return Ok(());
        }
        let code = match unit {
            0xDC00..=0xDFFF => return self.fail("lone leading surrogate in hex escape"),
            0xD800..=0xDBFF => {
                if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return self.fail("unexpected end of hex escape");
                }
                self.pos += 2;
                let low = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return self.fail("lone leading surrogate in hex escape");
                }
                0x1_0000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00)
            }
            _ => u32::from(unit),
        };
        match char::from_u32(code) {
            Some(c) => {
                sink.push_char(c);
                Ok(())
            }
            None => self.fail("invalid unicode code point"),
        }
    }

    fn hex4(&mut self) -> Res<u16> {
        let Some(digits) = self.bytes.get(self.pos..self.pos + 4) else {
            return self.fail("EOF while parsing a string");
        };
        let mut unit = 0u16;
        for &d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return self.fail("invalid escape"),
            };
            unit = (unit << 4) | u16::from(v);
        }
        self.pos += 4;
        Ok(unit)
    }

    // ----- numbers -----------------------------------------------------------

    /// A number at a visited path, typed as serde_json types it: an integer
    /// that fits `u64` (positive) or `i64` (negative) is one, anything else
    /// (a fraction, an exponent, `-0`, a larger integer) a float, correctly
    /// rounded; a float that overflows is an error.
    fn number(&mut self) -> Res<Value<'a>> {
        let start = self.pos;
        let token = self.number_token()?;
        if !token.is_float {
            return Ok(match (token.negative, token.significand) {
                (false, n) if n <= i64::MAX as u64 => Value::Int(n as i64),
                (false, n) => Value::UInt(n),
                (true, 0) => Value::Float(-0.0),
                (true, n) if n <= 1 << 63 => Value::Int((n as i64).wrapping_neg()),
                (true, n) => Value::Float(-(n as f64)),
            });
        }
        let parsed = self
            .text
            .get(start..self.pos)
            .and_then(|t| t.parse::<f64>().ok());
        match parsed {
            Some(f) if f.is_finite() => Ok(Value::Float(f)),
            _ => self.fail("number out of range"),
        }
    }

    /// The JSON number grammar (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`).
    fn number_token(&mut self) -> Res<NumberToken> {
        let bytes = self.bytes;
        let mut i = self.pos;
        let negative = bytes.get(i) == Some(&b'-');
        if negative {
            i += 1;
        }
        let mut significand: u64 = 0;
        let mut is_float = false;
        match bytes.get(i) {
            Some(b'0') => {
                i += 1;
                if matches!(bytes.get(i), Some(b'0'..=b'9')) {
                    self.pos = i;
                    return self.fail("invalid number");
                }
            }
            Some(&c @ b'1'..=b'9') => {
                significand = u64::from(c - b'0');
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    if !c.is_ascii_digit() {
                        break;
                    }
                    match significand
                        .checked_mul(10)
                        .and_then(|s| s.checked_add(u64::from(c - b'0')))
                    {
                        Some(s) => significand = s,
                        None => is_float = true,
                    }
                    i += 1;
                }
            }
            _ => {
                self.pos = i;
                return self.fail("invalid number");
            }
        }
        if bytes.get(i) == Some(&b'.') {
            is_float = true;
            i = self.digits(i + 1)?;
        }
        if matches!(bytes.get(i), Some(b'e' | b'E')) {
            is_float = true;
            i += 1;
            if matches!(bytes.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            i = self.digits(i)?;
        }
        self.pos = i;
        Ok(NumberToken {
            negative,
            significand,
            is_float,
        })
    }

    /// One or more digits from `i`; the index after them.
    fn digits(&mut self, mut i: usize) -> Res<usize> {
        let start = i;
        while matches!(self.bytes.get(i), Some(b'0'..=b'9')) {
            i += 1;
        }
        if i == start {
            self.pos = i;
            return self.fail("invalid number");
        }
        Ok(i)
    }

    // ----- skipping ----------------------------------------------------------

    /// Skips one value, validating it as serde_json's `ignore_value` does.
    /// Iterative: nesting in skipped values is not limited.
    fn skip(&mut self) -> Res<()> {
        let base = self.scratch.frames.len();
        let result = self.skip_nested(base);
        self.scratch.frames.truncate(base);
        result
    }

    fn skip_nested(&mut self, base: usize) -> Res<()> {
        'value: loop {
            let Some(c) = self.peek() else {
                return self.fail("EOF while parsing a value");
            };
            match c {
                b'"' => {
                    self.pos += 1;
                    self.skip_string()?;
                }
                b'-' | b'0'..=b'9' => {
                    self.number_token()?;
                }
                b't' => self.word(b"true")?,
                b'f' => self.word(b"false")?,
                b'n' => self.word(b"null")?,
                b'[' => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b']') => self.pos += 1,
                        _ => {
                            self.scratch.frames.push(b'[');
                            continue 'value;
                        }
                    }
                }
                b'{' => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b'}') => self.pos += 1,
                        _ => {
                            self.scratch.frames.push(b'{');
                            self.skipped_key()?;
                            continue 'value;
                        }
                    }
                }
                _ => return self.fail("expected value"),
            }
            // A value is complete: close the containers it completes.
            while let Some(&frame) = self.scratch.frames.get(base..).and_then(<[u8]>::last) {
                let close = if frame == b'[' { b']' } else { b'}' };
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if frame == b'{' {
                            self.skipped_key()?;
                        }
                        continue 'value;
                    }
                    Some(c) if c == close => {
                        self.pos += 1;
                        self.scratch.frames.pop();
                    }
                    Some(_) if frame == b'[' => return self.fail("expected `,` or `]`"),
                    Some(_) => return self.fail("expected `,` or `}`"),
                    None if frame == b'[' => return self.fail("EOF while parsing a list"),
                    None => return self.fail("EOF while parsing an object"),
                }
            }
            return Ok(());
        }
    }

    /// `"key":` inside a skipped object.
    fn skipped_key(&mut self) -> Res<()> {
        match self.peek() {
            Some(b'"') => self.pos += 1,
            Some(_) => return self.fail("key must be a string"),
            None => return self.fail("EOF while parsing an object"),
        }
        self.skip_string()?;
        self.colon()
    }
}

struct NumberToken {
    negative: bool,
    /// The integer digits, when they fit `u64`.
    significand: u64,
    /// A fraction, an exponent, or integer digits beyond `u64`.
    is_float: bool,
}

/// Where decoded string content goes.
trait Sink {
    fn push_str(&mut self, s: &str);
    fn push_char(&mut self, c: char);
}

impl Sink for String {
    #[inline]
    fn push_str(&mut self, s: &str) {
        String::push_str(self, s);
    }
    #[inline]
    fn push_char(&mut self, c: char) {
        self.push(c);
    }
}

/// Validates without keeping anything.
struct Discard;

impl Sink for Discard {
    #[inline]
    fn push_str(&mut self, _: &str) {}
    #[inline]
    fn push_char(&mut self, _: char) {}
}

/// The index of the first `"`, `\` or control character (< 0x20) at or after
/// `from`, or `bytes.len()`. Eight bytes at a time: each test below sets the
/// high bit of a byte that matches; borrows can only set bits above the first
/// true match, so the lowest set bit is exact.
#[inline]
fn find_special(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let rest = bytes.get(from..).unwrap_or_default();
    let mut chunks = rest.chunks_exact(8);
    let mut offset = from;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        let hits = (x.wrapping_sub(ONES * 0x20)
            | quote.wrapping_sub(ONES) & !quote
            | backslash.wrapping_sub(ONES) & !backslash)
            & !x
            & HIGH;
        if hits != 0 {
            return offset + (hits.trailing_zeros() / 8) as usize;
        }
        offset += 8;
    }
    for &b in chunks.remainder() {
        if b == b'"' || b == b'\\' || b < 0x20 {
            return offset;
        }
        offset += 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_special_finds_the_first_quote_backslash_or_control() {
        let cases: &[(&[u8], usize)] = &[
            (b"", 0),
            (b"abc", 3),
            (b"abc\"", 3),
            (b"abcdefghijklmnop\"", 16),
            (b"abcdefgh\\ijklmnop\"", 8),
            (b"ab\x1fcdefghijklmnop\"", 2),
            (b"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"", 10),
            (b"\x7f\x80\xff !#[]\x20\x21\"", 10),
            (b"abcdefg\x00", 7),
        ];
        for (bytes, want) in cases {
            assert_eq!(find_special(bytes, 0), *want, "{bytes:?}");
        }
        for from in 0..20 {
            let bytes = b"0123456789abcdef0123\"";
            assert_eq!(find_special(bytes, from), 20);
        }
    }
}
