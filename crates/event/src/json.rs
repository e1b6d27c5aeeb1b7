//! Parsing a JSON document once into an [`Event`]: the values of the registered
//! fields, borrowed from the input where the JSON has no escapes.
//!
//! Nested objects and dotted keys are the same path (`{"process":{"name":x}}` and
//! `{"process.name":x}` both give `process.name`), arrays (also arrays of objects)
//! give several values for one path, `null` gives none: the way Elasticsearch
//! flattens a document into fields. A line that is an Elasticsearch search hit
//! (`{"_index","_id","_source"}`) yields its `_source` with `_index` as the index.

use crate::fields::{FieldId, FieldRegistry, PathNode};
use crate::value::Value;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

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
pub fn parse_event<'a>(text: &'a str, registry: &FieldRegistry) -> Result<Event<'a>, ParseError> {
    let trimmed = text.trim_start();
    match trimmed.as_bytes().first() {
        Some(b'{') => {}
        Some(b'[') => return Err(ParseError::NotAnObject("an array")),
        Some(b'"') => return Err(ParseError::NotAnObject("a string")),
        None => return Err(ParseError::NotAnObject("nothing")),
        Some(_) => {}
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let mut root = Root {
        registry,
        entries: Vec::new(),
        path: String::new(),
        index: None,
        id: None,
        source: None,
    };
    de.deserialize_map(RootVisitor { root: &mut root })
        .map_err(json_error)?;
    de.end().map_err(json_error)?;
    let Root {
        mut entries,
        index,
        id,
        source,
        ..
    } = root;
    entries.sort_by_key(|(f, _)| *f);
    Ok(Event {
        entries,
        index,
        id,
        source: source.unwrap_or(text),
    })
}

fn json_error(e: serde_json::Error) -> ParseError {
    let message = e.to_string();
    // serde_json appends " at line L column C"; keep the message short.
    let message = match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message,
    };
    ParseError::Json {
        column: e.column(),
        message,
    }
}

struct Root<'r, 'de> {
    registry: &'r FieldRegistry,
    entries: Vec<(FieldId, Value<'de>)>,
    path: String,
    index: Option<Cow<'de, str>>,
    id: Option<Cow<'de, str>>,
    source: Option<&'de str>,
}

struct RootVisitor<'x, 'r, 'de> {
    root: &'x mut Root<'r, 'de>,
}

impl<'de> Visitor<'de> for RootVisitor<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let root = self.root;
        let mut key = String::new();
        let mut is_hit = false;
        while map.next_key_seed(KeyInto(&mut key))?.is_some() {
            match key.as_str() {
                "_source" => {
                    let raw: &'de RawValue = map.next_value()?;
                    is_hit = true;
                    root.entries.clear();
                    root.source = Some(raw.get());
                    root.path.clear();
                    let mut de = serde_json::Deserializer::from_str(raw.get());
                    let node = PathNode {
                        field: None,
                        is_prefix: true,
                    };
                    let mut ctx = Ctx {
                        registry: root.registry,
                        path: &mut root.path,
                        out: &mut root.entries,
                    };
                    ValueSeed {
                        ctx: &mut ctx,
                        node,
                    }
                    .deserialize(&mut de)
                    .map_err(de::Error::custom)?;
                }
                "_index" => root.index = map.next_value::<Option<CowStr<'de>>>()?.map(|c| c.0),
                "_id" => root.id = map.next_value::<Option<CowStr<'de>>>()?.map(|c| c.0),
                _ if is_hit => {
                    map.next_value::<IgnoredAny>()?;
                }
                _ => {
                    root.path.clear();
                    root.path.push_str(&key);
                    let mut ctx = Ctx {
                        registry: root.registry,
                        path: &mut root.path,
                        out: &mut root.entries,
                    };
                    match ctx.registry.node(&key) {
                        Some(node) => map.next_value_seed(ValueSeed {
                            ctx: &mut ctx,
                            node,
                        })?,
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// A string that borrows from the input when it can.
struct CowStr<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<CowStr<'de>, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<CowStr<'de>, E> {
                Ok(CowStr(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E>(self, v: u64) -> Result<CowStr<'de>, E> {
                Ok(CowStr(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E>(self, v: i64) -> Result<CowStr<'de>, E> {
                Ok(CowStr(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// Reads a map key into a reusable buffer.
struct KeyInto<'k>(&'k mut String);

impl<'de> DeserializeSeed<'de> for KeyInto<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyInto<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.0.clear();
        self.0.push_str(v);
        Ok(())
    }
}

/// Appends a map key to the current path.
struct KeyPush<'k>(&'k mut String);

impl<'de> DeserializeSeed<'de> for KeyPush<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyPush<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.0.push_str(v);
        Ok(())
    }
}

struct Ctx<'c, 'de> {
    registry: &'c FieldRegistry,
    path: &'c mut String,
    out: &'c mut Vec<(FieldId, Value<'de>)>,
}

/// Visits the value at the current path.
struct ValueSeed<'s, 'c, 'de> {
    ctx: &'s mut Ctx<'c, 'de>,
    node: PathNode,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> ValueSeed<'_, '_, 'de> {
    fn push(self, v: Value<'de>) {
        if let Some(f) = self.node.field {
            self.ctx.out.push((f, v));
        }
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.push(Value::Bool(v));
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.push(Value::Int(v));
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.push(if v <= i64::MAX as u64 {
            Value::Int(v as i64)
        } else {
            Value::UInt(v)
        });
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.push(Value::Float(v));
        Ok(())
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<(), E> {
        self.push(Value::Str(Cow::Borrowed(v)));
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        if self.node.field.is_some() {
            self.push(Value::Str(Cow::Owned(v.to_string())));
        }
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let node = self.node;
        let ctx = self.ctx;
        while seq
            .next_element_seed(ValueSeed {
                ctx: &mut *ctx,
                node,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.ctx;
        if !self.node.is_prefix {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        let base = ctx.path.len();
        loop {
            if !ctx.path.is_empty() {
                ctx.path.push('.');
            }
            if map.next_key_seed(KeyPush(ctx.path))?.is_none() {
                ctx.path.truncate(base);
                return Ok(());
            }
            match ctx.registry.node(ctx.path) {
                Some(node) => map.next_value_seed(ValueSeed {
                    ctx: &mut *ctx,
                    node,
                })?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            ctx.path.truncate(base);
        }
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
