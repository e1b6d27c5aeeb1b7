//! The reference implementation of [`crate::json::parse_event`]: serde_json's
//! visitor over the document, building the path of every key as a string.
//!
//! Kept as the specification the fast scanner ([`crate::scan`]) is tested
//! against (`tests/parse_differential.rs`, the `event_parse` fuzz target), and
//! used to word the error of a malformed document, so that both report the
//! same message and column.

use super::{check_start, Event, ParseError};
use crate::fields::{FieldId, FieldRegistry, PathNode};
use crate::value::Value;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// Parses one JSON document (or search hit), keeping the fields in `registry`:
/// the serde_json visitor [`crate::json::Parser`] must agree with.
pub fn parse_event<'a>(text: &'a str, registry: &FieldRegistry) -> Result<Event<'a>, ParseError> {
    check_start(text)?;
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
