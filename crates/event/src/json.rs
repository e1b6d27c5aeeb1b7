//! Parsing a JSON document once into an [`Event`]: the values of the registered
//! fields, borrowed from the input where the JSON has no escapes.
//!
//! Nested objects and dotted keys are the same path (`{"process":{"name":x}}` and
//! `{"process.name":x}` both give `process.name`), arrays (also arrays of objects)
//! give several values for one path, `null` gives none: the way Elasticsearch
//! flattens a document into fields. A line that is an Elasticsearch search hit
//! (`{"_index","_id","_source"}`) yields its `_source` with `_index` as the index.
//!
//! [`parse_event`] is the simple entry point; a [`Parser`] parses many documents
//! without allocating per document (its buffers and the entries of recycled
//! events are reused). Both run the lazy scanner of [`crate::scan`], which
//! accepts and yields exactly what [`reference::parse_event`] (serde_json's
//! visitor) does.

pub mod reference;

use crate::fields::{FieldId, FieldRegistry};
use crate::scan::{self, Malformed, Scratch};
use crate::value::Value;
use std::borrow::Cow;

/// The registered fields of one document.
#[derive(Debug, Clone, Default)]
pub struct Event<'a> {
    /// `(field, value)` sorted by field; a field's values keep document order.
    entries: Vec<(FieldId, Value<'a>)>,
    /// The index the document came from (`_index` of a search hit).
    pub index: Option<Cow<'a, str>>,
    /// The document id (`_id` of a search hit).
    pub id: Option<Cow<'a, str>>,
    /// The document's own JSON text (the `_source` of a hit).
    pub source: &'a str,
}

impl<'a> Event<'a> {
    /// An event built directly from values (tests, generators).
    pub fn from_entries(mut entries: Vec<(FieldId, Value<'a>)>) -> Self {
        entries.sort_by_key(|(f, _)| *f);
        Event {
            entries,
            index: None,
            id: None,
            source: "",
        }
    }

    /// All values of `field`, in document order.
    pub fn values(&self, field: FieldId) -> impl Iterator<Item = &Value<'a>> + '_ {
        self.slice(field).iter().map(|(_, v)| v)
    }

    /// The first value of `field`.
    pub fn first(&self, field: FieldId) -> Option<&Value<'a>> {
        self.slice(field).first().map(|(_, v)| v)
    }

    /// True when `field` has at least one non-null value (Elasticsearch `exists`).
    pub fn has(&self, field: FieldId) -> bool {
        !self.slice(field).is_empty()
    }

    pub fn value_count(&self, field: FieldId) -> usize {
        self.slice(field).len()
    }

    fn slice(&self, field: FieldId) -> &[(FieldId, Value<'a>)] {
        let start = self.entries.partition_point(|(f, _)| *f < field);
        let len = self.entries[start..]
            .iter()
            .take_while(|(f, _)| *f == field)
            .count();
        &self.entries[start..start + len]
    }

    pub fn entries(&self) -> &[(FieldId, Value<'a>)] {
        &self.entries
    }

    pub fn into_owned(self) -> Event<'static> {
        Event {
            entries: self
                .entries
                .into_iter()
                .map(|(f, v)| (f, v.into_owned()))
                .collect(),
            index: self.index.map(|c| Cow::Owned(c.into_owned())),
            id: self.id.map(|c| Cow::Owned(c.into_owned())),
            source: "",
        }
    }
}

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("invalid JSON at column {column}: {message}")]
    Json { column: usize, message: String },
    #[error("a document must be a JSON object, found {0}")]
    NotAnObject(&'static str),
}

/// Parses one JSON document (or search hit), keeping the fields in `registry`.
///
/// The event's entries grow to fit (no room reserved ahead, unlike
/// [`Parser::parse`]): one-shot parses are the ones whose events are kept.
pub fn parse_event<'a>(text: &'a str, registry: &FieldRegistry) -> Result<Event<'a>, ParseError> {
    check_start(text)?;
    Parser::new().scan(text, registry, Vec::new())
}

/// Parses documents one after another, reusing its buffers and the entries of
/// the events handed back with [`Parser::recycle`]:
///
/// ```
/// # use event::{json::Parser, FieldRegistry};
/// let mut registry = FieldRegistry::new();
/// let name = registry.intern("process.name");
/// let mut parser = Parser::new();
/// for line in [r#"{"process":{"name":"sh"}}"#, r#"{"process.name":"ls"}"#] {
///     let event = parser.parse(line, &registry).unwrap();
///     assert!(event.has(name));
///     parser.recycle(event);
/// }
/// ```
#[derive(Debug, Default)]
pub struct Parser {
    scratch: Scratch,
    /// Sort keys of the entries being ordered (see [`sort_by_field`]).
    keys: Vec<u64>,
    /// How recent documents' entries were ordered (see [`sort_by_field`]).
    shapes: Shapes,
    /// Entries of recycled events, empty, kept for their capacity (several
    /// events may be alive at once).
    spares: Vec<Vec<(FieldId, Value<'static>)>>,
}

impl Parser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses one document (or search hit), keeping the fields in `registry`.
    pub fn parse<'a>(
        &mut self,
        text: &'a str,
        registry: &FieldRegistry,
    ) -> Result<Event<'a>, ParseError> {
        check_start(text)?;
        let mut entries = reuse(self.spares.pop().unwrap_or_default());
        if entries.capacity() == 0 {
            // A first parse: room for a typical event's values at once.
            entries.reserve(32);
        }
        self.scan(text, registry, entries)
    }

    /// Scans a document whose start [`check_start`] accepted into `entries`
    /// (empty); on error they are kept for the next parse.
    fn scan<'a>(
        &mut self,
        text: &'a str,
        registry: &FieldRegistry,
        mut entries: Vec<(FieldId, Value<'a>)>,
    ) -> Result<Event<'a>, ParseError> {
        match scan::scan_document(text, registry.path_table(), &mut entries, &mut self.scratch) {
            Ok(found) => {
                sort_by_field(&mut entries, &mut self.keys, &mut self.shapes);
                Ok(Event {
                    entries,
                    index: found.index,
                    id: found.id,
                    source: found.source.unwrap_or(text),
                })
            }
            Err(malformed) => {
                self.spares.push(reuse(entries));
                Err(explain(text, registry, malformed))
            }
        }
    }

    /// Takes back an event's storage for the next [`Parser::parse`]: its
    /// entries vector and its decoded (owned) strings.
    pub fn recycle(&mut self, event: Event<'_>) {
        let Event {
            mut entries,
            index,
            id,
            ..
        } = event;
        for (_, value) in entries.drain(..) {
            if let Value::Str(Cow::Owned(s)) = value {
                self.scratch.keep(s);
            }
        }
        for s in [index, id].into_iter().flatten() {
            if let Cow::Owned(s) = s {
                self.scratch.keep(s);
            }
        }
        if self.spares.len() < MAX_SPARES {
            self.spares.push(reuse(entries));
        }
    }
}

/// Recycled entry vectors kept at most (a worker holds a few events at once).
const MAX_SPARES: usize = 64;

/// The orderings of recent documents' entries, by the sequence of their
/// fields (a document's *shape*): documents from one source mostly repeat a
/// few shapes, and a shape seen before is sorted by replaying its swaps, which
/// costs a fifth of sorting. A direct-mapped cache: a shape replaces the one in
/// its slot.
#[derive(Debug, Default)]
struct Shapes {
    /// `SHAPE_SLOTS` slots once used, indexed by the top bits of a shape's hash.
    slots: Vec<Shape>,
}

#[derive(Debug, Default)]
struct Shape {
    /// The fields of the entries, in document order.
    fields: Vec<u32>,
    /// The swaps that sort entries with these fields, in order.
    swaps: Vec<(u32, u32)>,
}

const SHAPE_SLOTS: usize = 128;

/// Documents with more entries are sorted without caching their shape (which
/// bounds the cache at about 400 KiB per parser).
const MAX_SHAPE_LEN: usize = 256;

/// Sorts `entries` by field, keeping document order within a field, as
/// `sort_by_key` would. A shape met before replays its swaps (see [`Shapes`]);
/// otherwise the entries' 8-byte keys (field, position) are sorted and each
/// entry is then moved once, which costs a third of sorting the entries
/// themselves, and the swaps are kept for the next document of that shape.
fn sort_by_field(entries: &mut [(FieldId, Value<'_>)], keys: &mut Vec<u64>, shapes: &mut Shapes) {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut sorted = true;
    let mut prev = 0;
    let mut hash = 0u64;
    for (field, _) in entries.iter() {
        sorted &= prev <= field.0;
        prev = field.0;
        hash = (hash.rotate_left(7) ^ u64::from(field.0)).wrapping_mul(K);
    }
    if sorted {
        return;
    }
    let mut unused = Shape::default();
    let shape = if entries.len() <= MAX_SHAPE_LEN {
        if shapes.slots.is_empty() {
            shapes.slots.resize_with(SHAPE_SLOTS, Shape::default);
        }
        let slot = (hash >> (64 - SHAPE_SLOTS.trailing_zeros())) as usize;
        shapes.slots.get_mut(slot).unwrap_or(&mut unused)
    } else {
        &mut unused
    };
    let same = shape.fields.len() == entries.len()
        && shape
            .fields
            .iter()
            .zip(entries.iter())
            .all(|(&a, (b, _))| a == b.0);
    if same {
        for &(a, b) in &shape.swaps {
            entries.swap(a as usize, b as usize);
        }
        return;
    }
    shape.fields.clear();
    shape.fields.extend(entries.iter().map(|(f, _)| f.0));
    shape.swaps.clear();
    keys.clear();
    keys.extend(
        entries
            .iter()
            .enumerate()
            .map(|(i, (f, _))| u64::from(f.0) << 32 | i as u64),
    );
    keys.sort_unstable();
    // keys[k] names the entry that belongs at k; follow each cycle of that
    // permutation with swaps, marking the positions done.
    const DONE: u64 = u64::MAX;
    for start in 0..keys.len() {
        if keys[start] == DONE {
            continue;
        }
        let mut at = start;
        loop {
            let from = (keys[at] & u64::from(u32::MAX)) as usize;
            keys[at] = DONE;
            if from == start {
                break;
            }
            entries.swap(at, from);
            shape.swaps.push((at as u32, from as u32));
            at = from;
        }
    }
}

/// The same vector, emptied, for values of another lifetime (the allocation is
/// kept: in-place collection of a vector into one of the same layout).
// `filter_map` (not `filter`) because the item type changes lifetime.
#[allow(clippy::unnecessary_filter_map)]
fn reuse<'x, 'y>(mut entries: Vec<(FieldId, Value<'x>)>) -> Vec<(FieldId, Value<'y>)> {
    entries.clear();
    entries.into_iter().filter_map(|_| None).collect()
}

/// The error for a document the scanner rejected, worded as the reference
/// parser words it (same message, same column).
#[cold]
fn explain(text: &str, registry: &FieldRegistry, malformed: Malformed) -> ParseError {
    match reference::parse_event(text, registry) {
        Err(e) => e,
        // Unreachable while the two agree (tested); keep the scanner's account.
        Ok(_) => {
            let before = &text.as_bytes()[..malformed.at.min(text.len())];
            let line_start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            ParseError::Json {
                column: before.len() - line_start + 1,
                message: malformed.reason.to_string(),
            }
        }
    }
}

/// What both parsers say about a document that does not start with `{`.
fn check_start(text: &str) -> Result<(), ParseError> {
    match text.trim_start().as_bytes().first() {
        Some(b'[') => Err(ParseError::NotAnObject("an array")),
        Some(b'"') => Err(ParseError::NotAnObject("a string")),
        None => Err(ParseError::NotAnObject("nothing")),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(paths: &[&str]) -> FieldRegistry {
        let mut r = FieldRegistry::new();
        for p in paths {
            r.intern(p);
        }
        r
    }

    fn strs(e: &Event<'_>, r: &FieldRegistry, p: &str) -> Vec<String> {
        e.values(r.get(p).unwrap())
            .map(|v| v.keyword().into_owned())
            .collect()
    }

    /// Pseudo-random entries: `len` fields below `modulus` (many repeats),
    /// the values numbering their positions.
    fn random_entries(state: &mut u64, len: i64, modulus: u32) -> Vec<(FieldId, Value<'static>)> {
        (0..len)
            .map(|i| {
                *state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                (FieldId((*state >> 33) as u32 % modulus), Value::Int(i))
            })
            .collect()
    }

    #[test]
    fn sorting_by_field_is_a_stable_sort() {
        // The key sort and the replayed swaps must give exactly what the
        // stable `sort_by_key` gives.
        let mut keys = Vec::new();
        let mut shapes = Shapes::default();
        let mut state = 7u64;
        // 300 is past MAX_SHAPE_LEN: sorted without a cached shape.
        const { assert!(300 > MAX_SHAPE_LEN) };
        for len in [0, 1, 2, 3, 17, 64, 200, 300] {
            for modulus in [1, 3, 40, 1000] {
                let entries = random_entries(&mut state, len, modulus);
                let mut expected = entries.clone();
                expected.sort_by_key(|(f, _)| *f);
                // Twice: the second sort replays the first one's swaps.
                for round in 0..2 {
                    let mut got = entries.clone();
                    sort_by_field(&mut got, &mut keys, &mut shapes);
                    assert_eq!(
                        got, expected,
                        "len {len}, fields mod {modulus}, round {round}"
                    );
                }
            }
        }
    }

    #[test]
    fn shapes_are_replayed_and_replaced() {
        // More shapes than slots, revisited in another order: slots are shared
        // and overwritten, and every sort is still right.
        let mut state = 11u64;
        let cases: Vec<_> = (0..3 * SHAPE_SLOTS as i64)
            .map(|i| random_entries(&mut state, 2 + i % 30, 50))
            .collect();
        let mut keys = Vec::new();
        let mut shapes = Shapes::default();
        let order = (0..cases.len())
            .chain((0..cases.len()).rev())
            .chain(0..cases.len());
        for i in order {
            let mut expected = cases[i].clone();
            expected.sort_by_key(|(f, _)| *f);
            let mut got = cases[i].clone();
            sort_by_field(&mut got, &mut keys, &mut shapes);
            assert_eq!(got, expected, "case {i}");
        }
        // A shape just sorted is kept, with the swaps that sort it.
        let last = &cases[cases.len() - 1];
        let fields: Vec<u32> = last.iter().map(|(f, _)| f.0).collect();
        let kept = shapes.slots.iter().find(|s| s.fields == fields);
        assert!(kept.is_some_and(|s| !s.swaps.is_empty()));
    }

    #[test]
    fn nested_dotted_and_arrays_are_one_path() {
        let r = reg(&[
            "process.name",
            "process.args",
            "dns.answers.data",
            "event.type",
        ]);
        let e = parse_event(
            r#"{"process":{"name":"a","args":["x",null,"y"],"pid":4},"process.name":"b","dns":{"answers":[{"data":"1"},{"data":"2"}]},"event":{"type":null}}"#,
            &r,
        )
        .unwrap();
        assert_eq!(strs(&e, &r, "process.name"), ["a", "b"]);
        assert_eq!(strs(&e, &r, "process.args"), ["x", "y"]);
        assert_eq!(strs(&e, &r, "dns.answers.data"), ["1", "2"]);
        assert!(!e.has(r.get("event.type").unwrap()));
    }

    #[test]
    fn search_hits_yield_source_and_index() {
        let r = reg(&["process.name", "_index"]);
        let line = r#"{"_index":".ds-logs-endpoint.events.process-default-2024","_id":"abc","_score":1,"_source":{"process":{"name":"ssh-keygen"}}}"#;
        let e = parse_event(line, &r).unwrap();
        assert_eq!(
            e.index.as_deref(),
            Some(".ds-logs-endpoint.events.process-default-2024")
        );
        assert_eq!(e.id.as_deref(), Some("abc"));
        assert_eq!(strs(&e, &r, "process.name"), ["ssh-keygen"]);
        assert_eq!(e.source, r#"{"process":{"name":"ssh-keygen"}}"#);
    }

    #[test]
    fn escapes_are_decoded_and_numbers_typed() {
        let r = reg(&["a", "b", "c"]);
        let e = parse_event(
            r#"{"a":"C:\\Windows\u0041","b":18446744073709551615,"c":-1.5}"#,
            &r,
        )
        .unwrap();
        assert_eq!(
            e.first(r.get("a").unwrap()),
            Some(&Value::Str("C:\\WindowsA".into()))
        );
        assert_eq!(e.first(r.get("b").unwrap()), Some(&Value::UInt(u64::MAX)));
        assert_eq!(e.first(r.get("c").unwrap()), Some(&Value::Float(-1.5)));
    }

    #[test]
    fn floats_are_correctly_rounded() {
        // 9007199254740993.0 is halfway between two doubles: ties-to-even gives
        // 9007199254740992 (what Java's Double.parseDouble, hence Elasticsearch,
        // reads). serde_json without its `float_roundtrip` feature multiplies
        // twice and gives 9007199254740994; the workspace enables the feature
        // so that the reference parser is correct too.
        let r = reg(&["a"]);
        let text = r#"{"a":9007199254740993.0}"#;
        for e in [parse_event(text, &r), reference::parse_event(text, &r)] {
            assert_eq!(
                e.unwrap().first(r.get("a").unwrap()),
                Some(&Value::Float(9007199254740992.0))
            );
        }
    }

    #[test]
    fn recycled_entries_keep_their_allocation() {
        let r = reg(&["a"]);
        let mut parser = Parser::new();
        let first = parser.parse(r#"{"a":[1,2,3,4,5,6,7,8]}"#, &r).unwrap();
        let storage = first.entries().as_ptr();
        parser.recycle(first);
        let text = String::from(r#"{"a":[9]}"#);
        let second = parser.parse(&text, &r).unwrap();
        assert_eq!(second.entries().as_ptr(), storage);
        assert_eq!(second.entries(), &[(r.get("a").unwrap(), Value::Int(9))]);
    }

    /// A worker parses a few records before it evaluates them: events alive
    /// together each get their own storage, and all of it is reused.
    #[test]
    fn events_alive_together_have_their_own_entries_and_are_all_recycled() {
        let r = reg(&["a"]);
        let mut parser = Parser::new();
        let texts = [r#"{"a":"x\u0041"}"#, r#"{"a":2}"#, r#"{"a":[3,4]}"#];
        let events: Vec<Event<'_>> = texts.iter().map(|t| parser.parse(t, &r).unwrap()).collect();
        let a = r.get("a").unwrap();
        assert_eq!(events[0].entries(), &[(a, Value::Str("xA".into()))]);
        assert_eq!(events[1].entries(), &[(a, Value::Int(2))]);
        assert_eq!(
            events[2].entries(),
            &[(a, Value::Int(3)), (a, Value::Int(4))]
        );
        for e in events {
            parser.recycle(e);
        }
        // All three vectors are kept (not only one), and parsing takes them.
        assert_eq!(parser.spares.len(), 3);
        let again: Vec<Event<'_>> = texts.iter().map(|t| parser.parse(t, &r).unwrap()).collect();
        assert_eq!(parser.spares.len(), 0);
        assert_eq!(
            again[2].entries(),
            &[(a, Value::Int(3)), (a, Value::Int(4))]
        );
    }

    #[test]
    fn malformed_documents_are_errors_not_panics() {
        let r = reg(&["a"]);
        assert!(matches!(
            parse_event("{\"a\":", &r),
            Err(ParseError::Json { .. })
        ));
        assert!(matches!(
            parse_event("[1]", &r),
            Err(ParseError::NotAnObject(_))
        ));
        assert!(matches!(
            parse_event("{} x", &r),
            Err(ParseError::Json { .. })
        ));
        let deep = "[".repeat(10_000);
        assert!(parse_event(&format!("{{\"a\":{deep}"), &r).is_err());
    }
}
