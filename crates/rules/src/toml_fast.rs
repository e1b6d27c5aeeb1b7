//! A fast reader for the TOML that rule files are written in.
//!
//! Loading the catalogue parses ~2,200 TOML files (~17 MB); through `toml`'s
//! spanned document and a walk into JSON this was almost half of start-up.
//! This reader goes straight from bytes to the JSON value and the
//! [`SpanIndex`], but only for a strict subset of TOML: bare or quoted keys,
//! `[table]` and `[[array]]` headers, keys without dots, the four string
//! kinds, decimal integers, booleans, arrays and single-line inline tables.
//! Anything else — a float, a date, a dotted key, a redefined table, any
//! syntax error, a control character — makes it give up (`None`) and the
//! caller parses the text with `toml` instead, so values, spans and error
//! messages stay exactly those of `toml` (tested equal on the catalogue and
//! on mutated files).

use crate::source::{with_segment, NodeSpan, SpanIndex};
use crate::toml_doc::{escape_key, ParsedDoc};
use diag::Span;
use serde_json::{Map, Value};
use std::fmt::Write;

/// Deeper header paths or nesting give up (well inside `toml`'s own limits
/// and `toml_doc`'s depth cut-off, so both readers build the same value).
const MAX_NESTING: usize = 32;

/// Parses `text`, or `None` when it is outside the subset (see module docs).
pub(crate) fn parse(text: &str) -> Option<ParsedDoc> {
    if has_bad_bytes(text.as_bytes()) {
        return None;
    }
    let mut p = Parser {
        b: text.as_bytes(),
        src: text,
        pos: 0,
        nodes: 0,
    };
    let root = p.document()?;
    // Sized ahead: growing the index rehashed it a few times per file.
    let mut spans = SpanIndex::with_capacity(p.nodes);
    let value = emit_table(root, &mut String::new(), &mut spans);
    debug_assert_eq!(spans.len(), p.nodes);
    Some(ParsedDoc { value, spans })
}

/// Bytes `toml` rejects or treats specially wherever they are: control
/// characters other than tab and newline (so also `\r`), DEL, and a BOM.
fn has_bad_bytes(b: &[u8]) -> bool {
    let bad = |c: u8| (c < 0x20 && c != b'\t' && c != b'\n') || c == 0x7f;
    // No early exit inside a chunk, so the compiler can vectorise it.
    b.starts_with("\u{feff}".as_bytes())
        || b.chunks(64)
            .any(|chunk| chunk.iter().fold(false, |acc, &c| acc | bad(c)))
}

/// A run of quotes in a multi-line string ([`Parser::quote_run`]).
enum QuoteRun {
    /// This many quotes of content; the string goes on.
    Content(usize),
    /// This many quotes of content, then the string's end.
    Closing(usize),
}

/// A table being built; entries keep document order (the JSON map sorts).
#[derive(Default)]
struct Table {
    entries: Vec<Entry>,
    /// Created as a path step of a header, not defined by its own header.
    implicit: bool,
    /// An inline `{ … }` table: closed to headers.
    inline: bool,
}

struct Entry {
    key: String,
    key_span: Span,
    node: Node,
    span: Span,
}

enum Node {
    Scalar(Value),
    /// An array value (`[ … ]`): each element with its span.
    Array(Vec<(Node, Span)>),
    Table(Table),
    /// An array of tables (`[[name]]`): each table with its header's span.
    Tables(Vec<(Table, Span)>),
}

impl Table {
    fn find(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.key == key)
    }

    /// Adds an entry for a key not yet in the table; `None` on a duplicate.
    fn push_new(&mut self, entry: Entry) -> Option<&mut Entry> {
        if self.find(&entry.key).is_some() {
            return None;
        }
        self.entries.push(entry);
        self.entries.last_mut()
    }
}

/// One header key: decoded text and span.
type Key = (String, Span);

struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    /// Keys and array elements so far: the [`SpanIndex`]'s size.
    nodes: usize,
}

fn span(start: usize, end: usize) -> Span {
    Span::new(start, end)
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Skips a comment up to (not past) its newline.
    fn skip_comment(&mut self) {
        if self.peek() == Some(b'#') {
            self.pos =
                memchr::memchr(b'\n', &self.b[self.pos..]).map_or(self.b.len(), |i| self.pos + i);
        }
    }

    /// Whitespace, an optional comment, then a newline or the end.
    fn line_end(&mut self) -> Option<()> {
        self.skip_ws();
        self.skip_comment();
        match self.peek() {
            None => Some(()),
            Some(b'\n') => {
                self.pos += 1;
                Some(())
            }
            Some(_) => None,
        }
    }

    /// Whitespace, comments and newlines (inside arrays).
    fn skip_blank(&mut self) {
        loop {
            self.skip_ws();
            self.skip_comment();
            if self.peek() != Some(b'\n') {
                return;
            }
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek() == Some(c)).then(|| self.pos += 1)
    }

    fn document(&mut self) -> Option<Table> {
        let mut root = Table::default();
        // Entry indices from the root to the table keyvals go to (the last
        // element of an array of tables).
        let mut current: Vec<usize> = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Some(root),
                Some(b'\n') => self.pos += 1,
                Some(b'#') => self.skip_comment(),
                Some(b'[') => {
                    current = self.header(&mut root)?;
                    self.line_end()?;
                }
                Some(_) => {
                    let (key, value) = self.keyval(0)?;
                    resolve(&mut root, &current)?.push_new(entry(key, value))?;
                    self.line_end()?;
                }
            }
        }
    }

    /// `[a.b]` or `[[a.b]]`: creates the table and returns its path.
    fn header(&mut self, root: &mut Table) -> Option<Vec<usize>> {
        let start = self.pos;
        let array = self.b.get(start + 1) == Some(&b'[');
        self.pos += if array { 2 } else { 1 };
        let keys = self.header_keys()?;
        self.eat(b']')?;
        if array {
            self.eat(b']')?;
        }
        let header_span = span(start, self.pos);
        let (last, parents) = keys.split_last()?;
        let mut path = Vec::with_capacity(keys.len());
        let mut table = root;
        for (key, key_span) in parents {
            let before = table.entries.len();
            table = descend(table, key, *key_span, &mut path)?;
            self.nodes += usize::from(path.last() == Some(&before));
        }
        let (key, key_span) = last.clone();
        match table.find(&key) {
            None => {
                let node = if array {
                    self.nodes += 2;
                    Node::Tables(vec![(Table::default(), header_span)])
                } else {
                    self.nodes += 1;
                    Node::Table(Table::default())
                };
                path.push(table.entries.len());
                table.entries.push(Entry {
                    key,
                    key_span,
                    node,
                    span: header_span,
                });
            }
            Some(i) => match &mut table.entries[i].node {
                Node::Tables(tables) if array => {
                    self.nodes += 1;
                    tables.push((Table::default(), header_span));
                    path.push(i);
                }
                // A table defined twice, or one first made implicitly (`toml`
                // then moves spans around): left to `toml`.
                _ => return None,
            },
        }
        Some(path)
    }

    fn header_keys(&mut self) -> Option<Vec<Key>> {
        let mut keys = Vec::new();
        loop {
            self.skip_ws();
            keys.push(self.simple_key()?);
            self.skip_ws();
            if self.eat(b'.').is_none() {
                return (keys.len() <= MAX_NESTING).then_some(keys);
            }
        }
    }

    fn simple_key(&mut self) -> Option<Key> {
        let start = self.pos;
        let key = match self.peek()? {
            b'"' => self.basic_string()?,
            b'\'' => self.literal_string()?,
            _ => {
                let len = self.b[start..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-'))
                    .count();
                if len == 0 {
                    return None;
                }
                self.pos += len;
                self.src[start..self.pos].to_string()
            }
        };
        Some((key, span(start, self.pos)))
    }

    /// `key = value` with a single (not dotted) key.
    fn keyval(&mut self, depth: usize) -> Option<(Key, (Node, Span))> {
        let key = self.simple_key()?;
        self.skip_ws();
        self.eat(b'=')?;
        self.skip_ws();
        let value = self.value(depth)?;
        Some((key, value))
    }

    fn value(&mut self, depth: usize) -> Option<(Node, Span)> {
        if depth > MAX_NESTING {
            return None;
        }
        self.nodes += 1;
        let start = self.pos;
        let node = match self.peek()? {
            b'"' if self.b[start..].starts_with(b"\"\"\"") => {
                Node::Scalar(Value::String(self.ml_basic_string()?))
            }
            b'"' => Node::Scalar(Value::String(self.basic_string()?)),
            b'\'' if self.b[start..].starts_with(b"'''") => {
                Node::Scalar(Value::String(self.ml_literal_string()?))
            }
            b'\'' => Node::Scalar(Value::String(self.literal_string()?)),
            b'[' => Node::Array(self.array(depth + 1)?),
            b'{' => Node::Table(self.inline_table(depth + 1)?),
            _ => Node::Scalar(self.atom()?),
        };
        Some((node, span(start, self.pos)))
    }

    /// `true`, `false` or a plain decimal integer that fits an `i64`.
    fn atom(&mut self) -> Option<Value> {
        let start = self.pos;
        let rest = &self.b[start..];
        let len = rest
            .iter()
            .position(|&c| matches!(c, b' ' | b'\t' | b'\n' | b',' | b']' | b'}' | b'#'))
            .unwrap_or(rest.len());
        let word = &self.src[start..start + len];
        self.pos += len;
        match word {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => {
                // No sign `+`, underscores, leading zeros, other radixes.
                let digits = word.strip_prefix('-').unwrap_or(word);
                let plain = !digits.is_empty()
                    && digits.bytes().all(|c| c.is_ascii_digit())
                    && (digits.len() == 1 || !digits.starts_with('0'));
                if !plain {
                    return None;
                }
                word.parse::<i64>().ok().map(Value::from)
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<Vec<(Node, Span)>> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_blank();
        if self.eat(b']').is_some() {
            return Some(items);
        }
        loop {
            items.push(self.value(depth)?);
            self.skip_blank();
            match self.peek()? {
                b']' => break,
                b',' => {
                    self.pos += 1;
                    self.skip_blank();
                    if self.peek()? == b']' {
                        break;
                    }
                }
                _ => return None,
            }
        }
        self.pos += 1;
        Some(items)
    }

    /// `{ a = 1, b = "x" }` on one line, no trailing comma (TOML 1.0).
    fn inline_table(&mut self, depth: usize) -> Option<Table> {
        self.pos += 1;
        let mut table = Table {
            inline: true,
            ..Table::default()
        };
        self.skip_ws();
        if self.eat(b'}').is_some() {
            return Some(table);
        }
        loop {
            let (key, value) = self.keyval(depth)?;
            table.push_new(entry(key, value))?;
            self.skip_ws();
            match self.peek()? {
                b'}' => break,
                b',' => {
                    self.pos += 1;
                    self.skip_ws();
                }
                _ => return None,
            }
        }
        self.pos += 1;
        Some(table)
    }

    /// `"…"`: escapes decoded; a newline gives up.
    fn basic_string(&mut self) -> Option<String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.b[self.pos..];
            let i = memchr::memchr3(b'"', b'\\', b'\n', rest)?;
            let run = &self.src[self.pos..self.pos + i];
            if rest[i] == b'"' && out.is_empty() {
                // No escapes (most strings): one exact allocation.
                self.pos += i + 1;
                return Some(run.to_string());
            }
            out.push_str(run);
            self.pos += i + 1;
            match rest[i] {
                b'"' => return Some(out),
                b'\\' => out.push(self.escape()?),
                _ => return None,
            }
        }
    }

    /// `"""…"""`: a newline right after the opening is dropped, a
    /// backslash at the end of a line joins it to the next non-blank text,
    /// and one or two quotes may end the content just before the closing.
    fn ml_basic_string(&mut self) -> Option<String> {
        self.pos += 3;
        self.eat(b'\n');
        let mut out = String::new();
        loop {
            let rest = &self.b[self.pos..];
            let i = memchr::memchr2(b'"', b'\\', rest)?;
            out.push_str(&self.src[self.pos..self.pos + i]);
            self.pos += i;
            if rest[i] == b'"' {
                match self.quote_run(b'"')? {
                    QuoteRun::Closing(n) => {
                        out.push_str(&"\"\""[..n]);
                        return Some(out);
                    }
                    QuoteRun::Content(n) => {
                        out.push_str(&"\"\""[..n]);
                        continue;
                    }
                }
            }
            self.pos += 1;
            let ws = self.b[self.pos..]
                .iter()
                .take_while(|&&c| c == b' ' || c == b'\t')
                .count();
            if matches!(self.b.get(self.pos + ws), Some(b'\n')) {
                self.pos += ws;
                while matches!(self.peek(), Some(b' ' | b'\t' | b'\n')) {
                    self.pos += 1;
                }
            } else {
                out.push(self.escape()?);
            }
        }
    }

    /// `'…'`: no escapes; a newline gives up.
    fn literal_string(&mut self) -> Option<String> {
        self.pos += 1;
        let rest = &self.b[self.pos..];
        let i = memchr::memchr2(b'\'', b'\n', rest)?;
        if rest[i] != b'\'' {
            return None;
        }
        let s = self.src[self.pos..self.pos + i].to_string();
        self.pos += i + 1;
        Some(s)
    }

    /// `'''…'''`: as `"""` without escapes.
    fn ml_literal_string(&mut self) -> Option<String> {
        self.pos += 3;
        self.eat(b'\n');
        let start = self.pos;
        loop {
            let i = memchr::memchr(b'\'', &self.b[self.pos..])?;
            self.pos += i;
            let run = self.pos;
            if let QuoteRun::Closing(n) = self.quote_run(b'\'')? {
                return Some(self.src[start..run + n].to_string());
            }
        }
    }

    /// Consumes a run of `quote`s in a multi-line string: up to two are
    /// content; three to five close the string after the first ones (TOML
    /// allows one or two quotes just before the closing three); more give up.
    fn quote_run(&mut self, quote: u8) -> Option<QuoteRun> {
        let quotes = self.b[self.pos..]
            .iter()
            .take_while(|&&c| c == quote)
            .count();
        self.pos += quotes;
        match quotes {
            0..=2 => Some(QuoteRun::Content(quotes)),
            3..=5 => Some(QuoteRun::Closing(quotes - 3)),
            _ => None,
        }
    }

    /// The character of the escape after a backslash (TOML 1.1's set).
    fn escape(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        let digits = match c {
            b'b' => return Some('\u{8}'),
            b'e' => return Some('\u{1b}'),
            b'f' => return Some('\u{c}'),
            b'n' => return Some('\n'),
            b'r' => return Some('\r'),
            b't' => return Some('\t'),
            b'\\' => return Some('\\'),
            b'"' => return Some('"'),
            b'x' => 2,
            b'u' => 4,
            b'U' => 8,
            _ => return None,
        };
        let hex = self.b.get(self.pos..self.pos + digits)?;
        if !hex.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let hex = &self.src[self.pos..self.pos + digits];
        self.pos += digits;
        char::from_u32(u32::from_str_radix(hex, 16).ok()?)
    }
}

fn entry((key, key_span): Key, (node, span): (Node, Span)) -> Entry {
    Entry {
        key,
        key_span,
        node,
        span,
    }
}

/// One step of a header path: into a table (made implicitly if missing) or
/// the last table of an array of tables. Anything else is `toml`'s error.
fn descend<'t>(
    table: &'t mut Table,
    key: &str,
    key_span: Span,
    path: &mut Vec<usize>,
) -> Option<&'t mut Table> {
    let i = match table.find(key) {
        Some(i) => i,
        None => {
            let implicit = Table {
                implicit: true,
                ..Table::default()
            };
            table.entries.push(Entry {
                key: key.to_string(),
                key_span,
                node: Node::Table(implicit),
                span: key_span,
            });
            table.entries.len() - 1
        }
    };
    path.push(i);
    match &mut table.entries[i].node {
        Node::Table(t) if !t.inline => Some(t),
        Node::Tables(tables) => tables.last_mut().map(|(t, _)| t),
        _ => None,
    }
}

/// The table at `path` (as [`Parser::header`] returned it).
fn resolve<'t>(mut table: &'t mut Table, path: &[usize]) -> Option<&'t mut Table> {
    for &i in path {
        table = match &mut table.entries.get_mut(i)?.node {
            Node::Table(t) => t,
            Node::Tables(tables) => &mut tables.last_mut()?.0,
            _ => return None,
        };
    }
    // Keys of a table first made implicitly would extend it: left to `toml`.
    (!table.implicit).then_some(table)
}

/// The table as JSON, recording each entry's spans under `path`.
fn emit_table(table: Table, path: &mut String, spans: &mut SpanIndex) -> Value {
    let mut obj = Map::new();
    for e in table.entries {
        let v = with_segment(
            path,
            |p| p.push_str(&escape_key(&e.key)),
            |path| {
                spans.insert(
                    path.clone(),
                    NodeSpan {
                        key: Some(e.key_span),
                        value: e.span,
                    },
                );
                emit_node(e.node, path, spans)
            },
        );
        obj.insert(e.key, v);
    }
    Value::Object(obj)
}

fn emit_node(node: Node, path: &mut String, spans: &mut SpanIndex) -> Value {
    match node {
        Node::Scalar(v) => v,
        Node::Table(t) => emit_table(t, path, spans),
        Node::Array(items) => emit_items(items, path, spans, emit_node),
        Node::Tables(tables) => emit_items(tables, path, spans, emit_table),
    }
}

fn emit_items<T>(
    items: Vec<(T, Span)>,
    path: &mut String,
    spans: &mut SpanIndex,
    emit: fn(T, &mut String, &mut SpanIndex) -> Value,
) -> Value {
    let values = items
        .into_iter()
        .enumerate()
        .map(|(i, (item, value))| {
            let index = |p: &mut String| match u8::try_from(i) {
                // Most arrays are short: no formatting machinery per element.
                Ok(d @ 0..=9) => p.push(char::from(b'0' + d)),
                _ => {
                    let _ = write!(p, "{i}");
                }
            };
            with_segment(path, index, |path| {
                spans.insert(path.clone(), NodeSpan { key: None, value });
                emit(item, path, spans)
            })
        })
        .collect();
    Value::Array(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::toml_doc::parse_toml_full;
    use std::path::{Path, PathBuf};

    /// The fast reader either gives up or builds exactly what `toml` builds;
    /// it never accepts what `toml` rejects. True when it did not give up.
    fn agrees(text: &str) -> bool {
        let Some(fast) = parse(text) else {
            return false;
        };
        match parse_toml_full(text) {
            Ok(full) => {
                assert_eq!(fast.value, full.value, "value of {text:?}");
                assert_eq!(fast.spans, full.spans, "spans of {text:?}");
            }
            Err(e) => panic!("fast reader accepted {text:?}; toml: {}", e.message),
        }
        true
    }

    #[test]
    fn subset_is_read_like_toml() {
        let cases = [
            "",
            "\n\n# c\n",
            "a = 1\nb = -0\nc = 9223372036854775807\nd = true\ne = false # c\n",
            "[rule]\nname = \"x\"\n[[rule.threat]]\nf = 'M'\n[rule.threat.tactic]\nid = \"TA\"\n[[rule.threat.technique]]\nid = 1\n[[rule.threat]]\nf = 2\n",
            "[ a . \"b.c\" . 'd/e~f' ]\nx = []\ny = [ ]\nz = [1, [2, 3], {a = 1, b = \"c\"}, {} ]\n",
            "a = [\n  \"x\", # c\n  'y',\n\n]\n",
            "[[a]]\n[[a]]\nk = 1\n[a.b]\nc = 2\n[[a.d]]\n",
            "[x.y.z]\n[x.w]\n",
            "s = \"\\b\\t\\n\\f\\r\\\"\\\\\\e\\x41\\u00e9\\U0001F600\"\n",
            "s = \"\"\"\nfirst\n  second \\\n    third\"\"\"\nt = \"\"\"a\"\"\"\"\nu = \"\"\"a\"\"\"\"\"\n",
            "s = \"\"\"\\\n   \n  x\\\"\" y \"\" z\"\"\"\n",
            "s = '''\nraw \\n ''x'' '''\nt = ''''a'''''\n",
            "\"quoted key\" = 1\n'lit' = 2\n\"\" = 3\n",
            "a=1\n\tb\t=\t2\t\n",
            "[a]\n[b]\n[a.c]\n",
            "d = {x = [1, {y = 2}]}\n",
            "k = \"é ü 😀\" # ünïcode\n",
        ];
        for text in cases {
            assert!(agrees(text), "fast reader gave up on {text:?}");
        }
    }

    #[test]
    fn outside_the_subset_or_invalid_gives_up() {
        let cases = [
            "a = 1.5\n",
            "a = 1979-05-27\n",
            "a = 0x10\n",
            "a = 1_000\n",
            "a = +1\n",
            "a = 01\n",
            "a = 9223372036854775808\n",
            "a = inf\n",
            "a.b = 1\n",
            "a = 1\na = 2\n",
            "[a]\n[a]\n",
            "[a.b]\n[a]\n",
            "a = 1\n[a]\n",
            "a = [1]\n[[a]]\n",
            "[a]\n[[a]]\n",
            "a = {b = 1}\n[a.c]\n",
            "a = {b = 1,}\n",
            "a = {b = 1\n}\n",
            "a = {b = 1, b = 2}\n",
            "a = [,]\n",
            "a = [1 2]\n",
            "a = \"x\ny\"\n",
            "a = 'x\ny'\n",
            "a = \"\\q\"\n",
            "a = \"\\uD800\"\n",
            "a = \"\\u12\"\n",
            "a = \"\"\"x \\ y\"\"\"\n",
            "a = \"\"\"x\"\"\"\"\"\"\n",
            "a = \"x\" b = 1\n",
            "[a] b = 1\n",
            "[a\n",
            "[[a] ]\n",
            "a = \"x\r\n",
            "a = 1\r\n",
            "\u{feff}a = 1\n",
            "a = \"\u{7f}\"\n",
            "# \u{1}\n",
            "a =\n",
            "= 1\n",
            "a = truex\n",
            "a = \"open\n",
            "a = '''open\n",
        ];
        for text in cases {
            assert!(!agrees(text), "fast reader took {text:?}");
        }
    }

    /// Corners where either reader may be the one that runs.
    #[test]
    fn corners_agree() {
        let cases = [
            "a = 1#c\n",
            "a = true#c\n",
            "a = \"x\"#c\n",
            "a = [1,2]#c\n",
            "[a]#c\n",
            "[[a]]#c\n",
            "a = [1#c\n,2]\n",
            "a = { b = 1 }#c\n",
            "a = {b=1}\n",
            "a = [\n]\n",
            "  [a]  \n  b = 1\n",
            "a = '''\n'''\n",
            "a = \"\"\"\"\"\"\n",
            "a = \"\"\"\"\"\"\"\n",
            "a = \"\"\"\"\"\"\"\"\n",
            "a = \"\"\"\"\"\"\"\"\"\n",
            "a = ''''''''\n",
            "a = \"\"\nb = ''\n",
            "a = -9223372036854775808\n",
            "a = [[1], [\"x\", {c = []}]]\n",
            "[a]\nb = 1\n[a.c]\n[[a.d]]\n[a.d.e]\n[[a.d]]\n",
            "[\"a\".'b']\n[a.b.c]\n",
            "a = \"tab\tinside\"\n",
            "a = 1 \t # c\n\n\n",
            "a = 1",
            "[a]",
            "a = \"\"\"x\\\n\"\"\"",
        ];
        for text in cases {
            agrees(text);
        }
    }

    fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                toml_files(&p, out);
            } else if p.extension().is_some_and(|e| e == "toml") {
                out.push(p);
            }
        }
    }

    fn catalogue_files() -> Vec<PathBuf> {
        let mut files = Vec::new();
        toml_files(&testkit::catalogue("rules"), &mut files);
        toml_files(&testkit::catalogue("rules_building_block"), &mut files);
        files.sort();
        files
    }

    /// Every catalogue file takes the fast path and reads as with `toml`.
    #[test]
    fn catalogue_reads_like_toml() {
        let files = catalogue_files();
        assert!(files.len() > 2000);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            assert!(agrees(&text), "fast reader gave up on {}", f.display());
        }
    }

    /// Catalogue files with one byte inserted or removed: whatever the fast
    /// reader accepts, `toml` reads the same (errors are left to `toml`).
    #[test]
    fn mutated_files_read_like_toml_or_give_up() {
        const INSERTS: &[&str] = &[
            "\"",
            "'",
            "\\",
            "[",
            "]",
            "=",
            "\n",
            "#",
            ",",
            ".",
            "{",
            "}",
            " ",
            "0",
            "-",
            "\r",
            "\"\"",
            "''",
            "\\\n",
            "[[",
            "a.b = 1\n",
            "é",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n.max(1)
        };
        let (mut taken, mut total) = (0, 0);
        for f in catalogue_files().iter().step_by(20) {
            let text = std::fs::read_to_string(f).unwrap();
            for _ in 0..40 {
                let mut at = next(text.len());
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                let mut m = text.clone();
                if next(3) == 0 {
                    if let Some(c) = m[at..].chars().next() {
                        m.replace_range(at..at + c.len_utf8(), "");
                    }
                } else {
                    m.insert_str(at, INSERTS[next(INSERTS.len())]);
                }
                total += 1;
                taken += usize::from(agrees(&m));
            }
        }
        // Both outcomes occur, so the comparison above was exercised.
        assert!(taken > 0 && taken < total, "{taken} of {total}");
    }
}
