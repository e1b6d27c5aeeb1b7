//! Kibana rule JSON and export NDJSON: `serde_json` parses, and a small scanner
//! walks the (already valid) text again to record the span of every key and
//! value in a [`SpanIndex`], so rule diagnostics point into the file.

use crate::codes;
use crate::source::{with_segment, NodeSpan, SpanIndex};
use crate::toml_doc::{escape_key, ParsedDoc};
use diag::{Diagnostic, Span};
use std::fmt::Write;

/// Deeper documents are rejected (serde_json's own limit is 128).
const MAX_DEPTH: usize = 128;

/// Parses one JSON document that starts at file offset `base` of `file_text`
/// (`text` is the slice). Spans in the result are file offsets.
pub fn parse_json(text: &str, base: usize) -> Result<ParsedDoc, Diagnostic> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| syntax_error(&e, text, base))?;
    let mut spans = SpanIndex::default();
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        pos: 0,
        base,
        spans: &mut spans,
    };
    scanner.skip_ws();
    // A document serde_json accepted always scans; a scanner failure only
    // means fewer spans, never a wrong value.
    let _ = scanner.value(&mut String::new(), None, 0);
    Ok(ParsedDoc { value, spans })
}

fn syntax_error(e: &serde_json::Error, text: &str, base: usize) -> Diagnostic {
    let offset = offset_of(text, e.line(), e.column());
    let msg = e.to_string();
    // serde_json appends " at line L column C"; the caret says that already.
    let msg = msg
        .rsplit_once(" at line ")
        .map(|(m, _)| m.to_string())
        .unwrap_or(msg);
    Diagnostic::error(codes::JSON_SYNTAX, format!("JSON syntax error: {msg}"))
        .with_label(Span::at(base + offset), "")
}

/// Byte offset of serde_json's 1-based (line, column); column 0 means "at the
/// line's start" (serde_json reports it for errors right after a newline).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line.max(1) {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let mut off = (start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(off) {
        off -= 1;
    }
    off
}

struct Scanner<'a, 's> {
    bytes: &'a [u8],
    pos: usize,
    base: usize,
    spans: &'s mut SpanIndex,
}

impl Scanner<'_, '_> {
    fn skip_ws(&mut self) {
        while self.pos < self.bytes.len()
            && matches!(self.bytes[self.pos], b' ' | b'\t' | b'\n' | b'\r')
        {
            self.pos += 1;
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.base + start, self.base + end)
    }

    fn value(&mut self, path: &mut String, key: Option<Span>, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let start = self.pos;
        match *self.bytes.get(self.pos)? {
            b'{' => self.object(path, depth)?,
            b'[' => self.array(path, depth)?,
            b'"' => {
                self.string()?;
            }
            _ => {
                while self.pos < self.bytes.len()
                    && !matches!(
                        self.bytes[self.pos],
                        b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'
                    )
                {
                    self.pos += 1;
                }
            }
        }
        let span = self.span(start, self.pos);
        self.spans
            .insert(path.clone(), NodeSpan { key, value: span });
        Some(())
    }

    fn object(&mut self, path: &mut String, depth: usize) -> Option<()> {
        self.pos += 1;
        loop {
            self.skip_ws();
            match *self.bytes.get(self.pos)? {
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                b',' => {
                    self.pos += 1;
                    continue;
                }
                b'"' => {}
                _ => return None,
            }
            let kstart = self.pos;
            let (ks, ke) = self.string()?;
            let key_span = self.span(kstart, self.pos);
            let bytes = self.bytes;
            let key: String = if bytes[ks..ke].contains(&b'\\') {
                serde_json::from_slice(&bytes[kstart..self.pos]).ok()?
            } else {
                std::str::from_utf8(&bytes[ks..ke]).ok()?.to_string()
            };
            self.skip_ws();
            if self.bytes.get(self.pos) != Some(&b':') {
                return None;
            }
            self.pos += 1;
            self.skip_ws();
            let segment = escape_key(&key);
            with_segment(
                path,
                |p| p.push_str(&segment),
                |path| self.value(path, Some(key_span), depth + 1),
            )?;
        }
    }

    fn array(&mut self, path: &mut String, depth: usize) -> Option<()> {
        self.pos += 1;
        let mut index = 0usize;
        loop {
            self.skip_ws();
            match *self.bytes.get(self.pos)? {
                b']' => {
                    self.pos += 1;
                    return Some(());
                }
                b',' => {
                    self.pos += 1;
                    continue;
                }
                _ => {}
            }
            let push_index = |p: &mut String| {
                let _ = write!(p, "{index}");
            };
            with_segment(path, push_index, |path| self.value(path, None, depth + 1))?;
            index += 1;
        }
    }

    /// Skips a string; returns the range of its raw content (between the quotes).
    fn string(&mut self) -> Option<(usize, usize)> {
        let start = self.pos + 1;
        let mut i = start;
        while i < self.bytes.len() {
            match self.bytes[i] {
                b'\\' => i += 2,
                b'"' => {
                    self.pos = i + 1;
                    return Some((start, i));
                }
                _ => i += 1,
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_of_keys_and_values() {
        let text = r#"{"name": "x", "threat": [{"tactic": {"id": "TA0001"}}], "a\/b": 1}"#;
        let doc = parse_json(text, 100).unwrap();
        let s = doc.spans.get("name").unwrap();
        assert_eq!(s.value, Span::new(109, 112));
        assert_eq!(s.key, Some(Span::new(101, 107)));
        let id = doc.spans.get("threat/0/tactic/id").unwrap();
        assert_eq!(
            &text[id.value.start as usize - 100..id.value.end as usize - 100],
            "\"TA0001\""
        );
        assert!(doc.spans.get("a~1b").is_some());
        assert_eq!(
            doc.spans.get("").unwrap().value,
            Span::new(100, 100 + text.len())
        );
    }

    #[test]
    fn syntax_error_position() {
        let err = parse_json("{\"a\": 1,\n \"b\" 2}", 0).unwrap_err();
        assert_eq!(err.code, "RULE0003");
        assert_eq!(err.message, "JSON syntax error: expected `:`");
        assert_eq!(err.primary_span(), Some(Span::at(14)));
    }
}
