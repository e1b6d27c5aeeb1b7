//! An alert document while it is built, and as it is held until written.
//!
//! Most of an alert's bytes (`kibana.alert.rule.parameters`, the rule's note,
//! description, threat, …) are the same for every alert of a rule. They are
//! serialized once per rule ([`super::fragments::RuleFragments`]); an alert holds
//! only the fields that depend on its event(s) as a JSON map, plus a shared
//! handle on the rule's pre-serialized entries. [`AlertDoc::to_document`]
//! serializes the alert's own fields and notes where the rule's entries go
//! between them ([`Document`]); the two are merged only when the document is
//! written, keys in byte order, byte for byte the text serde_json writes for
//! the whole document as one `Map` (a `BTreeMap`: keys sorted, compact). So
//! alerts held in memory or spilled to disk carry only their own bytes
//! (≈ 3 KB of a ≈ 14 KB document on the catalogue).

use super::text::{write_str, write_value};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::io::{self, Write};
use std::sync::Arc;

/// One top-level entry serialized ahead of time: `,"key":value` (with the
/// comma that separates it from the entry before).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fragment {
    pub key: String,
    pub entry: String,
}

impl Fragment {
    pub fn new(key: &str, value: &Value) -> Fragment {
        let mut entry = String::from(",");
        write_str(&mut entry, key);
        entry.push(':');
        write_value(&mut entry, value);
        Fragment {
            key: key.to_string(),
            entry,
        }
    }
}

/// Entries sorted by key, no key twice.
pub(crate) type Fragments = Arc<Vec<Fragment>>;

/// An alert being built: `fields` vary per alert; `constant` are the rule's
/// pre-serialized fields, which win over a field of the same key (they are
/// alert fields Kibana writes over the source, and none is ever a source key).
#[derive(Debug, Clone)]
pub(crate) struct AlertDoc {
    pub fields: Map<String, Value>,
    pub constant: Fragments,
}

thread_local! {
    /// Where a document's own entries are written before they are copied to
    /// a string of their exact size (no growth of the held string).
    static SCRATCH: RefCell<String> = const { RefCell::new(String::new()) };
}

impl AlertDoc {
    /// The document as it is held: its own entries as text, and the rule's.
    pub fn to_document(&self) -> Document {
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut own) => self.document_in(&mut own),
            Err(_) => self.document_in(&mut String::new()),
        })
    }

    fn document_in(&self, own: &mut String) -> Document {
        own.clear();
        let mut splices = Vec::new();
        let mut next = 0;
        for (key, value) in &self.fields {
            // Both sides are sorted: one comparison per field and per
            // constant entry.
            let end = next
                + self.constant[next..]
                    .iter()
                    .take_while(|f| f.key.as_str() < key.as_str())
                    .count();
            if end > next {
                splices.push(Splice { at: own.len(), end });
                next = end;
            }
            if self.constant.get(next).is_some_and(|f| f.key == *key) {
                continue;
            }
            own.push(',');
            write_str(own, key);
            own.push(':');
            write_value(own, value);
        }
        if next < self.constant.len() {
            splices.push(Splice {
                at: own.len(),
                end: self.constant.len(),
            });
        }
        Document {
            own: own.as_str().into(),
            splices,
            constant: Some(self.constant.clone()),
        }
    }

    /// The document as compact JSON, keys sorted.
    pub fn to_json(&self) -> String {
        self.to_document().text()
    }

    /// The whole document as a JSON value (for callers that want one).
    pub fn to_value(&self) -> Value {
        serde_json::from_str(&self.to_json()).unwrap_or(Value::Null)
    }
}

/// Where a run of the rule's constant entries goes: before byte `at` of the
/// alert's own text, the entries from the previous splice's `end` to `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Splice {
    at: usize,
    end: usize,
}

/// An alert document as held until it is written: the alert's own top-level
/// entries as compact JSON (each led by a comma), the places where the
/// rule's constant entries go, and those entries (shared by every alert of
/// the rule and kind). The text it stands for is [`Document::text`].
///
/// Not serialized with the alert: the alert store's runs write the places
/// (`Document::write_places`) and the own entries, and find the constant
/// entries again.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    own: String,
    splices: Vec<Splice>,
    constant: Option<Fragments>,
}

impl Document {
    /// A document given whole as the text of a JSON object (no constant part).
    pub fn from_object_text(text: &str) -> Document {
        let inner = text
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .unwrap_or("");
        let own = if inner.is_empty() {
            String::new()
        } else {
            format!(",{inner}")
        };
        Document {
            own,
            splices: Vec::new(),
            constant: None,
        }
    }

    /// The alert's own entries, `,"key":value` each, in key order.
    pub(crate) fn own(&self) -> &str {
        &self.own
    }

    /// The shared constant entries (for the alert store's runs).
    pub(crate) fn constant(&self) -> Option<&Fragments> {
        self.constant.as_ref()
    }

    /// Writes where the constant entries go as text: `at:end` pairs, each
    /// followed by a comma (read back by [`Document::restore`]).
    pub(crate) fn write_places(&self, out: &mut impl Write) -> io::Result<()> {
        // Digits by hand: `write!` costs some 500 instructions a place.
        let mut text = Vec::with_capacity(self.splices.len() * 10);
        for splice in &self.splices {
            push_decimal(&mut text, splice.at);
            text.push(b':');
            push_decimal(&mut text, splice.end);
            text.push(b',');
        }
        out.write_all(&text)
    }

    /// A held document from its parts: `places` as
    /// [`Document::write_places`] writes them. `None` if they do not read.
    pub(crate) fn restore(
        own: String,
        places: &str,
        constant: Option<Fragments>,
    ) -> Option<Document> {
        let mut splices = Vec::new();
        for place in places.split_terminator(',') {
            let (at, end) = place.split_once(':')?;
            splices.push(Splice {
                at: at.parse().ok()?,
                end: end.parse().ok()?,
            });
        }
        Some(Document {
            own,
            splices,
            constant,
        })
    }

    /// The same document with its own text copied (by the calling thread).
    pub(crate) fn copied(&self) -> Document {
        Document {
            own: self.own.as_str().to_owned(),
            splices: self.splices.clone(),
            constant: self.constant.clone(),
        }
    }

    /// Bytes held for this document alone (the constant part is shared).
    pub fn held_len(&self) -> usize {
        self.own.len() + self.splices.len() * std::mem::size_of::<Splice>()
    }

    /// Length of the document's text.
    pub fn len(&self) -> usize {
        let constant: usize = self
            .constant
            .as_ref()
            .map_or(0, |c| c.iter().map(|f| f.entry.len()).sum());
        // The braces replace the first entry's comma; `{}` when empty.
        (self.own.len() + constant).max(1) + 1
    }

    /// Never true: an empty document is `{}`.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Calls `piece` with the document's text in order, piece by piece.
    fn try_pieces<E>(&self, mut piece: impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        let mut first = true;
        let mut emit = |text: &str| {
            let bytes = text.as_bytes();
            if bytes.is_empty() {
                return Ok(());
            }
            if std::mem::take(&mut first) {
                piece(b"{")?;
                // Each entry is led by its comma; the first one's goes.
                return piece(&bytes[1..]);
            }
            piece(bytes)
        };
        let constant = self.constant.as_deref().map_or(&[][..], Vec::as_slice);
        let (mut at, mut next) = (0, 0);
        for splice in &self.splices {
            let own = self.own.get(at..splice.at).unwrap_or("");
            emit(own)?;
            at = splice.at.max(at);
            let run = constant.get(next..splice.end).unwrap_or(&[]);
            for fragment in run {
                emit(&fragment.entry)?;
            }
            next = splice.end.max(next);
        }
        emit(self.own.get(at..).unwrap_or(""))?;
        if first {
            piece(b"{")?;
        }
        piece(b"}")
    }

    /// Writes the document's text to `out`.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        self.try_pieces(|bytes| out.write_all(bytes))
    }

    /// The document's text: compact JSON, keys sorted.
    pub fn text(&self) -> String {
        let mut out = Vec::with_capacity(self.len());
        let _ = self.try_pieces(|bytes| {
            out.extend_from_slice(bytes);
            Ok::<(), ()>(())
        });
        // Made of whole UTF-8 strings only.
        String::from_utf8(out).unwrap_or_default()
    }
}

/// Appends `n` in decimal.
fn push_decimal(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merged_text_equals_the_whole_map() {
        let mut whole = json!({"a": 1, "b.c": "x\"y", "kibana.z": [1, {"q": null}], "é": 2})
            .as_object()
            .unwrap()
            .clone();
        let constant: Vec<Fragment> = [("b", json!(true)), ("kibana.y", json!({"n": 1.5}))]
            .iter()
            .map(|(k, v)| Fragment::new(k, v))
            .collect();
        let doc = AlertDoc {
            fields: whole.clone(),
            constant: Arc::new(constant),
        };
        whole.insert("b".into(), json!(true));
        whole.insert("kibana.y".into(), json!({"n": 1.5}));
        assert_eq!(doc.to_json(), Value::Object(whole).to_string());
    }

    /// Fields and constants interleaved every way (before, between, after,
    /// equal keys, either side empty): the document written piece by piece,
    /// as text, and after a round trip through its serialized form with its
    /// own text and constant part given back, is exactly the whole map's
    /// serde_json text, and `len` is its length.
    #[test]
    fn held_document_gives_back_the_whole_text() {
        let keys = [
            "\"q", "@t", "a", "a.b", "ab", "kibana.x", "kibana.y", "z", "é",
        ];
        for mask in 0u32..(1 << 9) {
            for constant_mask in [
                0u32,
                0b1_0101_0101,
                0b0_1010_1010,
                0b1_1111_1111,
                0b1_0000_0001,
            ] {
                let mut whole = Map::new();
                let mut fields = Map::new();
                let mut constant = Vec::new();
                for (i, key) in keys.iter().enumerate() {
                    if mask & (1 << i) != 0 {
                        fields.insert(key.to_string(), json!([i, "f\n"]));
                        whole.insert(key.to_string(), json!([i, "f\n"]));
                    }
                    if constant_mask & (1 << i) != 0 {
                        constant.push(Fragment::new(key, &json!({"c": i})));
                        whole.insert(key.to_string(), json!({"c": i}));
                    }
                }
                let expected = Value::Object(whole).to_string();
                let doc = AlertDoc {
                    fields,
                    constant: Arc::new(constant),
                };
                let held = doc.to_document();
                assert_eq!(held.text(), expected);
                assert_eq!(held.len(), expected.len());
                let mut written = Vec::new();
                held.write(&mut written).unwrap();
                assert_eq!(written, expected.as_bytes());
                let mut places = Vec::new();
                held.write_places(&mut places).unwrap();
                let places = String::from_utf8(places).unwrap();
                let back =
                    Document::restore(held.own().to_string(), &places, held.constant().cloned())
                        .unwrap();
                assert_eq!(back, held);
                assert_eq!(back.text(), expected);
            }
        }
    }

    /// The held part is the alert's own entries: no byte of the constant part.
    #[test]
    fn the_constant_part_is_not_held() {
        let doc = AlertDoc {
            fields: json!({"a": 1, "z": 2}).as_object().unwrap().clone(),
            constant: Arc::new(vec![Fragment::new("m", &json!("long constant text"))]),
        };
        let held = doc.to_document();
        assert_eq!(held.own(), r#","a":1,"z":2"#);
        assert!(held.held_len() < held.len());
        assert_eq!(held.text(), r#"{"a":1,"m":"long constant text","z":2}"#);
    }

    #[test]
    fn decimals() {
        for n in [0, 7, 10, 99, 12345, usize::MAX] {
            let mut out = Vec::new();
            push_decimal(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }

    #[test]
    fn a_document_given_whole() {
        for text in ["{}", r#"{"a":1}"#, r#"{"a":{"b":[1,2]},"c":"}"}"#] {
            assert_eq!(Document::from_object_text(text).text(), text);
        }
    }

    #[test]
    fn a_constant_entry_wins_over_a_field() {
        let doc = AlertDoc {
            fields: json!({"a": 1, "b": 2}).as_object().unwrap().clone(),
            constant: Arc::new(vec![Fragment::new("a", &json!("c"))]),
        };
        assert_eq!(doc.to_json(), r#"{"a":"c","b":2}"#);
        let empty = AlertDoc {
            fields: Map::new(),
            constant: Arc::new(Vec::new()),
        };
        assert_eq!(empty.to_json(), "{}");
    }
}
