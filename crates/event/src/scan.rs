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
use crate::paths::{Memo, Node, PathTable, ROOT_CTX, SOURCE_NODE};
use crate::skip;
use crate::value::Value;
use std::borrow::Cow;

/// Where and why a document stopped being valid JSON (or a valid event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed {
    /// Byte offset in the document.
    pub at: usize,
    pub reason: &'static str,
}

/// The scan stopped; the details are in `Scanner::malformed` (a zero-size
/// error keeps every `Result` in the hot path as small as its value).
struct Stop;

type Res<T> = Result<T, Stop>;

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
    /// Buffers of recycled events' strings, reused for values that have escapes.
    pool: Vec<Vec<u8>>,
    /// Open containers of a skipped value beyond the 64 kept in a word
    /// (see [`crate::skip`]).
    frames: Vec<u8>,
    /// Recent key lookups.
    memo: Memo,
}

impl Scratch {
    /// Keeps `s` (a decoded value of a recycled event) for reuse, within bounds.
    pub(crate) fn keep(&mut self, s: String) {
        if self.pool.len() < 256 && s.capacity() <= 4096 {
            self.pool.push(s.into_bytes());
        }
    }
}

/// The `start` of a key that was decoded into `Scratch::key`.
const DECODED: usize = usize::MAX;

/// serde_json's recursion limit (`remaining_depth` starts at 128 and a
/// container is refused when entering it would bring it to 0).
const DEPTH_LIMIT: u8 = 128;

/// What [`Scanner::peek`] returns at the end of the input (never the first
/// byte of a token, so it falls into every "expected …" error).
const END: u8 = 0;

/// Scans `text` (a document whose first non-blank byte has been checked by the
/// caller), appending `(field, value)` for every registered path in document
/// order (unsorted).
pub(crate) fn scan_document<'a>(
    text: &'a str,
    table: &PathTable,
    out: &mut Vec<(FieldId, Value<'a>)>,
    scratch: &mut Scratch,
) -> Result<Found<'a>, Malformed> {
    table.prepare(&mut scratch.memo);
    let mut scanner = Scanner {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        depth: DEPTH_LIMIT,
        table,
        out,
        scratch,
        malformed: Malformed { at: 0, reason: "" },
    };
    scanner.document().map_err(|Stop| scanner.malformed)
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
    malformed: Malformed,
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
    fn fail<T>(&mut self, reason: &'static str) -> Res<T> {
        self.malformed = Malformed {
            at: self.pos,
            reason,
        };
        Err(Stop)
    }

    // ----- structure ---------------------------------------------------------

    /// The top-level object: fields, or a search hit's `_index`, `_id` and `_source`.
    fn document(&mut self) -> Res<Found<'a>> {
        if self.peek() != b'{' {
            return self.fail("expected a JSON object");
        }
        self.enter()?;
        self.pos += 1;
        let mut found = Found::default();
        let mut is_hit = false;
        if self.first_key()? {
            loop {
                let (start, end) = self.key_colon()?;
                let key = self.key_bytes(start, end);
                // One predictable test for the commonest keys (fields, which
                // rarely start with `_`) before the comparisons by length.
                let top = match key.first() == Some(&b'_') {
                    true if key == b"_source" => TopKey::Source,
                    true if key == b"_index" => TopKey::Index,
                    true if key == b"_id" => TopKey::Id,
                    _ if is_hit => TopKey::Path(None),
                    _ => TopKey::Path(self.lookup(ROOT_CTX, start, end)),
                };
                match top {
                    TopKey::Source => {
                        found.source = Some(self.source()?);
                        is_hit = true;
                    }
                    TopKey::Index => found.index = self.optional_string()?,
                    TopKey::Id => found.id = self.optional_string()?,
                    TopKey::Path(Some(node)) => self.visit_inline(node)?,
                    TopKey::Path(None) => self.skip()?,
                }
                if !self.next_key()? {
                    break;
                }
            }
        }
        if self.peek() != END || self.pos < self.bytes.len() {
            return self.fail("trailing characters");
        }
        Ok(found)
    }

    /// A hit's `_source`: what came before it is dropped; it is read as a
    /// document of its own (with its own depth budget, as the reference
    /// re-parses the raw `_source` text).
    fn source(&mut self) -> Res<&'a str> {
        if self.peek() == END {
            return self.fail("EOF while parsing a value");
        }
        let start = self.pos;
        for (_, value) in self.out.drain(..) {
            if let Value::Str(Cow::Owned(s)) = value {
                self.scratch.keep(s);
            }
        }
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
            b'n' => self.word(b"null").map(|()| None),
            b'"' => {
                self.pos += 1;
                self.string_value().map(Some)
            }
            _ => self.fail("invalid type, expected a string"),
        }
    }

    /// A value at a registered path or prefix.
    fn visit(&mut self, node: Node) -> Res<()> {
        match self.peek() {
            b'"' => {
                self.pos += 1;
                match node.field {
                    Some(field) => {
                        let s = self.string_value()?;
                        self.out.push((field, Value::Str(s)));
                        Ok(())
                    }
                    None => self.string_rest(&mut Discard, true, self.pos),
                }
            }
            b'-' | b'0'..=b'9' => {
                let value = self.number()?;
                self.push(node, value);
                Ok(())
            }
            b'{' => self.visit_object(node),
            b'[' => self.visit_array(node),
            b't' => {
                self.word(b"true")?;
                self.push(node, Value::Bool(true));
                Ok(())
            }
            b'f' => {
                self.word(b"false")?;
                self.push(node, Value::Bool(false));
                Ok(())
            }
            b'n' => self.word(b"null"),
            END => self.fail("EOF while parsing a value"),
            _ => self.fail("expected value"),
        }
    }

    #[inline]
    fn push(&mut self, node: Node, value: Value<'a>) {
        if let Some(field) = node.field {
            self.out.push((field, value));
        }
    }

    /// An object at a visited path: below a prefix each key is looked up in
    /// the node's context; elsewhere keys are still decoded (the reference
    /// reads them) and values skipped.
    #[inline(never)]
    fn visit_object(&mut self, node: Node) -> Res<()> {
        self.enter()?;
        self.pos += 1;
        if self.first_key()? {
            loop {
                let (start, end) = self.key_colon()?;
                let child = if node.is_prefix {
                    self.lookup(node.ctx, start, end)
                } else {
                    None
                };
                match child {
                    Some(child) => self.visit_inline(child)?,
                    None => self.skip()?,
                }
                if !self.next_key()? {
                    break;
                }
            }
        }
        self.depth += 1;
        Ok(())
    }

    /// [`Self::visit`] with the commonest cases, a string kept without
    /// escapes and an object, handled in the caller's loop.
    #[inline(always)]
    fn visit_inline(&mut self, node: Node) -> Res<()> {
        match (node.field, self.bytes.get(self.pos)) {
            (Some(field), Some(b'"')) => {
                let start = self.pos + 1;
                let end = find_special(self.bytes, start);
                if self.bytes.get(end) == Some(&b'"') {
                    // SAFETY: `start <= end < text.len()` (`find_special`
                    // searches from `start`; `end` holds a byte), and the
                    // bytes before `start` and at `end` are ASCII quotes, so
                    // both are char boundaries of `text` (a `str`). `get`
                    // would test all of this again for each string.
                    let s = unsafe { self.text.get_unchecked(start..end) };
                    self.pos = end + 1;
                    self.out.push((field, Value::Str(Cow::Borrowed(s))));
                    return Ok(());
                }
            }
            (_, Some(b'{')) => return self.visit_object(node),
            _ => {}
        }
        self.visit(node)
    }

    /// An array at a visited path: every element is a value of the same path.
    #[inline(never)]
    fn visit_array(&mut self, node: Node) -> Res<()> {
        self.enter()?;
        self.pos += 1;
        match self.peek() {
            b']' => self.pos += 1,
            END => return self.fail("EOF while parsing a list"),
            _ => loop {
                self.visit_inline(node)?;
                match self.peek() {
                    b',' => {
                        self.pos += 1;
                        match self.peek() {
                            b']' => return self.fail("trailing comma"),
                            END => return self.fail("EOF while parsing a value"),
                            _ => {}
                        }
                    }
                    b']' => {
                        self.pos += 1;
                        break;
                    }
                    END => return self.fail("EOF while parsing a list"),
                    _ => return self.fail("expected `,` or `]`"),
                }
            },
        }
        self.depth += 1;
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

    /// After an object's `{`: true at its first key (moved past the key's
    /// opening quote), false past an immediate `}`.
    #[inline]
    fn first_key(&mut self) -> Res<bool> {
        match self.peek() {
            b'"' => {
                self.pos += 1;
                Ok(true)
            }
            b'}' => {
                self.pos += 1;
                Ok(false)
            }
            END => self.fail("EOF while parsing an object"),
            _ => self.fail("key must be a string"),
        }
    }

    /// After an object's value: true at the next key (moved past its opening
    /// quote), false past the closing `}`.
    #[inline(always)]
    fn next_key(&mut self) -> Res<bool> {
        // The commonest case, compact JSON's `,"`, in one comparison.
        if self.bytes.get(self.pos..self.pos + 2) == Some(b",\"") {
            self.pos += 2;
            return Ok(true);
        }
        self.next_key_after_blanks()
    }

    /// [`Self::next_key`] past its first test.
    #[inline]
    fn next_key_after_blanks(&mut self) -> Res<bool> {
        match self.peek() {
            b',' => {
                self.pos += 1;
                match self.peek() {
                    b'"' => {
                        self.pos += 1;
                        Ok(true)
                    }
                    b'}' => self.fail("trailing comma"),
                    END => self.fail("EOF while parsing a value"),
                    _ => self.fail("key must be a string"),
                }
            }
            b'}' => {
                self.pos += 1;
                Ok(false)
            }
            END => self.fail("EOF while parsing an object"),
            _ => self.fail("expected `,` or `}`"),
        }
    }

    #[inline]
    fn colon(&mut self) -> Res<()> {
        if self.peek() != b':' {
            return self.fail("expected `:`");
        }
        self.pos += 1;
        Ok(())
    }

    /// The next byte that is not JSON whitespace (not consumed), [`END`] at
    /// the end of the input.
    #[inline(always)]
    fn peek(&mut self) -> u8 {
        match self.bytes.get(self.pos) {
            Some(&c) if c > b' ' => c,
            _ => self.peek_after_blanks(),
        }
    }

    #[cold]
    #[inline(never)]
    fn peek_after_blanks(&mut self) -> u8 {
        while let Some(&c) = self.bytes.get(self.pos) {
            match c {
                b' ' | b'\n' | b'\t' | b'\r' => self.pos += 1,
                _ => return c,
            }
        }
        END
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

    /// A key (after its opening quote) and the `:` after it. The key is
    /// decoded and validated as the reference's map keys are; returns
    /// `bytes[start..end]` for a key without escapes, `(DECODED, len)` for one
    /// decoded into `scratch.key`.
    #[inline(always)]
    fn key_colon(&mut self) -> Res<(usize, usize)> {
        let start = self.pos;
        let end = find_special(self.bytes, start);
        if self.bytes.get(end..end + 2) == Some(b"\":") {
            self.pos = end + 2;
            return Ok((start, end));
        }
        let key = if self.bytes.get(end) == Some(&b'"') {
            self.pos = end + 1;
            (start, end)
        } else {
            self.escaped_key(start, end)?
        };
        self.colon()?;
        Ok(key)
    }

    #[cold]
    #[inline(never)]
    fn escaped_key(&mut self, start: usize, end: usize) -> Res<(usize, usize)> {
        let mut key = std::mem::take(&mut self.scratch.key);
        key.clear();
        let decoded = self.string_from(&mut key, true, start, end);
        let len = key.len();
        self.scratch.key = key;
        decoded.map(|()| (DECODED, len))
    }

    fn key_bytes(&self, start: usize, end: usize) -> &[u8] {
        if start == DECODED {
            self.scratch.key.as_bytes()
        } else {
            &self.bytes[start..end]
        }
    }

    /// The node of key `(start, end)` (as returned by [`Self::key_colon`]) in `ctx`.
    #[inline(always)]
    fn lookup(&mut self, ctx: u32, start: usize, end: usize) -> Option<Node> {
        if start == DECODED {
            self.table.child(ctx, self.scratch.key.as_bytes(), 0, end)
        } else {
            self.table
                .child_memo(&mut self.scratch.memo, ctx, self.bytes, start, end)
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
        self.escaped_string_value(start)
    }

    /// A string value with escapes, decoded into a buffer of the pool (a
    /// recycled event's) or a new one.
    #[inline(never)]
    fn escaped_string_value(&mut self, start: usize) -> Res<Cow<'a, str>> {
        let mut decoded = self.scratch.pool.pop().unwrap_or_default();
        decoded.clear();
        let result = self.decode_string(&mut decoded, start);
        match result.map(|()| String::from_utf8(decoded)) {
            Ok(Ok(s)) => Ok(Cow::Owned(s)),
            Ok(Err(e)) => {
                self.scratch.pool.push(e.into_bytes());
                self.fail("invalid string")
            }
            Err(stop) => Err(stop),
        }
    }

    /// Decodes the string (after its opening quote) at `start` into `out`,
    /// sixteen bytes at a time between escapes, requiring `\u` surrogates to
    /// pair. The input is UTF-8 and escapes decode to whole characters, so
    /// `out` is UTF-8.
    fn decode_string(&mut self, out: &mut Vec<u8>, mut at: usize) -> Res<()> {
        let bytes = self.bytes;
        loop {
            if let Some(block) = bytes.get(at..at + 16) {
                let hits = special_mask(block);
                let run = if hits == 0 {
                    16
                } else {
                    hits.trailing_zeros() as usize
                };
                out.extend_from_slice(block);
                out.truncate(out.len() - 16 + run);
                at += run;
                if hits == 0 {
                    continue;
                }
            } else {
                let end = find_special(bytes, at);
                out.extend_from_slice(&bytes[at..end]);
                at = end;
            }
            self.pos = at + 1;
            match bytes.get(at) {
                Some(b'"') => return Ok(()),
                Some(b'\\') => {
                    if let Some(c) = bytes.get(at + 1).and_then(|&c| simple_escape(c)) {
                        out.push(c);
                        at += 2;
                        continue;
                    }
                    let mut utf8 = [0u8; 4];
                    let mut sink = Utf8Sink::new(&mut utf8);
                    self.escape(&mut sink, true)?;
                    out.extend_from_slice(sink.written());
                    at = self.pos;
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

    /// An escape after its backslash. `strict` (visited strings) requires
    /// `\u` surrogates to pair, as serde_json does when it produces a `str`.
    fn escape<S: Sink>(&mut self, sink: &mut S, strict: bool) -> Res<()> {
        let Some(&c) = self.bytes.get(self.pos) else {
            return self.fail("EOF while parsing a string");
        };
        self.pos += 1;
        match simple_escape(c) {
            Some(b) => {
                sink.push_char(char::from(b));
                Ok(())
            }
            None if c == b'u' => self.unicode_escape(sink, strict),
            None => self.fail("invalid escape"),
        }
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

    /// Skips one value, validating it as serde_json's `ignore_value` does
    /// (see [`crate::skip`]). A string without escapes, the commonest value,
    /// is skipped in the caller's loop; the rest takes a call.
    #[inline(always)]
    fn skip(&mut self) -> Res<()> {
        match self.peek() {
            b'"' => {
                let end = find_special(self.bytes, self.pos + 1);
                if self.bytes.get(end) == Some(&b'"') {
                    self.pos = end + 1;
                    return Ok(());
                }
            }
            b'-' | b'0'..=b'9' => {
                let skipped = skip::skip_number(self.bytes, self.pos);
                return self.skipped(skipped);
            }
            _ => {}
        }
        self.skip_other()
    }

    /// [`Self::skip`] past its inline cases.
    #[inline(never)]
    fn skip_other(&mut self) -> Res<()> {
        let skipped = match self.peek() {
            b'"' => skip::skip_string(self.bytes, self.pos + 1),
            _ => skip::skip_value(self.bytes, self.pos, &mut self.scratch.frames),
        };
        self.skipped(skipped)
    }

    /// Moves past a skipped value, or stops where it is malformed.
    #[inline(always)]
    fn skipped(&mut self, skipped: Result<usize, Malformed>) -> Res<()> {
        match skipped {
            Ok(pos) => {
                self.pos = pos;
                Ok(())
            }
            Err(malformed) => {
                self.malformed = malformed;
                Err(Stop)
            }
        }
    }
}

struct NumberToken {
    negative: bool,
    /// The integer digits, when they fit `u64`.
    significand: u64,
    /// A fraction, an exponent, or integer digits beyond `u64`.
    is_float: bool,
}

/// The byte an escape other than `\u` stands for (`c` after the backslash),
/// or `None` (`\u` or an invalid escape).
#[inline(always)]
fn simple_escape(c: u8) -> Option<u8> {
    match c {
        b'"' | b'\\' | b'/' => Some(c),
        b'b' => Some(0x08),
        b'f' => Some(0x0c),
        b'n' => Some(b'\n'),
        b'r' => Some(b'\r'),
        b't' => Some(b'\t'),
        _ => None,
    }
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

/// One escape's character, UTF-8 encoded into a small buffer.
struct Utf8Sink<'b> {
    buf: &'b mut [u8; 4],
    len: usize,
}

impl<'b> Utf8Sink<'b> {
    fn new(buf: &'b mut [u8; 4]) -> Self {
        Utf8Sink { buf, len: 0 }
    }

    fn written(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Sink for Utf8Sink<'_> {
    fn push_str(&mut self, _: &str) {}
    #[inline]
    fn push_char(&mut self, c: char) {
        self.len = c.encode_utf8(self.buf).len();
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
/// `from`, or `bytes.len()`: sixteen bytes at a time, the last (partial) block
/// read as the input's final sixteen bytes.
#[inline(always)]
pub fn find_special(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(block) = bytes.get(at..at + 16) {
        let hits = special_mask(block);
        if hits != 0 {
            return at + hits.trailing_zeros() as usize;
        }
        at += 16;
    }
    find_special_near_end(bytes, at)
}

/// [`find_special`] from `at`, fewer than sixteen bytes before the end: out of
/// line, as it is rare and its setup would otherwise burden every caller.
#[cold]
#[inline(never)]
fn find_special_near_end(bytes: &[u8], at: usize) -> usize {
    let len = bytes.len();
    if at >= len {
        return len;
    }
    match bytes.get(len.saturating_sub(16)..) {
        Some(last) if last.len() == 16 => {
            let hits = special_mask(last) >> (16 - (len - at));
            if hits != 0 {
                at + hits.trailing_zeros() as usize
            } else {
                len
            }
        }
        _ => bytes[at..]
            .iter()
            .position(|&b| is_special(b))
            .map_or(len, |i| at + i),
    }
}

/// Whether JSON needs `b` escaped in a string: a quote, a backslash or a
/// control byte (the bytes [`find_special`] finds).
#[inline]
pub const fn is_special(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
}

/// Bit `i` set when `block[i]` (of 16 bytes) is `"`, `\` or a control character.
#[cfg(target_arch = "x86_64")]
#[inline]
fn special_mask(block: &[u8]) -> u32 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    debug_assert_eq!(block.len(), 16);
    if block.len() < 16 {
        return swar_mask(block);
    }
    // SAFETY: SSE2 is part of the x86_64 baseline, and the load reads the 16
    // bytes of `block` (checked above; `loadu` needs no alignment).
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        // min(v, 0x1f) == v  ⇔  v <= 0x1f (unsigned)
        let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) as u32
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn special_mask(block: &[u8]) -> u32 {
    swar_mask(block)
}

/// The portable form of [`special_mask`], eight bytes at a time with exact
/// per-byte tests (no borrow crosses a byte): `zero(y)` sets the high bit of
/// each zero byte of `y`.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn swar_mask(block: &[u8]) -> u32 {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const ONES: u64 = 0x0101_0101_0101_0101;
    let zero = |y: u64| !(((y & LOW7) + LOW7) | y) & HIGH;
    let mut mask = 0u32;
    for (i, chunk) in block.chunks(8).enumerate() {
        let mut word = [0xFFu8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let hits = zero(x & (ONES * 0xE0))
            | zero(x ^ (ONES * u64::from(b'"')))
            | zero(x ^ (ONES * u64::from(b'\\')));
        for byte in 0..8 {
            if hits >> (8 * byte + 7) & 1 == 1 {
                mask |= 1 << (8 * i + byte);
            }
        }
    }
    mask
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

    #[test]
    fn block_masks_agree_with_the_byte_test() {
        let mut x = 0x1234_5678_9ABC_DEF1u64;
        for _ in 0..20_000 {
            let mut block = [0u8; 16];
            for b in &mut block {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Mostly printable, some specials and high bytes.
                *b = match x % 16 {
                    0 => b'"',
                    1 => b'\\',
                    2 => (x >> 8) as u8 % 0x21,
                    3 => 0x80 | (x >> 8) as u8,
                    _ => b'a' + (x >> 8) as u8 % 26,
                };
            }
            let exact = block
                .iter()
                .enumerate()
                .filter(|(_, &b)| is_special(b))
                .fold(0u32, |m, (i, _)| m | 1 << i);
            assert_eq!(special_mask(&block), exact, "{block:?}");
            assert_eq!(swar_mask(&block), exact, "{block:?}");
            for from in 0..16 {
                let want = block[from..].iter().position(|&b| is_special(b));
                assert_eq!(find_special(&block, from), want.map_or(16, |i| from + i));
            }
        }
    }
}
