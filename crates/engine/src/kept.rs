//! What the engine keeps of an event that sequence or sample rules may need
//! later, and how much of it is alive.
//!
//! - [`Source`]: the event's JSON text, index, id and input position — what an
//!   alert is built from. Shared (`Arc`) by everything that refers to the
//!   event: the reorder buffer, and then only the partial sequences (or sample
//!   buckets, replay windows) that hold it; it is freed when the last of them
//!   is dropped (a partial replaced, expired or completed).
//! - [`Candidate`]: a [`Source`] plus the fields sequence and sample rules
//!   read, packed: numbers inline, strings as ranges of the source text (or of
//!   a small side buffer when the JSON escaped them). An [`Event`] view is
//!   rebuilt from it when the event is fed to rules: of every kept field, or
//!   only of the sequence join keys (packed first, so that this view is
//!   cheap) when the stages the event matched are known. Packing costs ~24 bytes
//!   per kept value instead of the ~60 of an owned [`Event`] value plus its
//!   string copy.
//! - [`Gauge`]: the number of [`Source`]s alive and its peak, for the run
//!   report (the memory-shape tests read it).

use crate::alert::SourceDoc;
use event::{Event, FieldId, Value};
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// How many event texts are retained, now and at most.
#[derive(Debug, Default)]
pub(crate) struct Gauge {
    live: AtomicU64,
    peak: AtomicU64,
}

impl Gauge {
    fn up(&self) {
        let now = self.live.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(now, Ordering::Relaxed);
    }

    fn down(&self) {
        self.live.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn live(&self) -> u64 {
        self.live.load(Ordering::Relaxed)
    }

    pub fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }
}

/// An event as alerts need it.
#[derive(Debug)]
pub(crate) struct Source {
    /// Input position: `(input << 40) | record number in that input`.
    pub ordinal: u64,
    pub index: Arc<str>,
    /// The hit's `_id`, if the event was one.
    pub id: Option<Box<str>>,
    /// The document's JSON text (`_source` of a hit).
    pub text: Box<str>,
    gauge: Arc<Gauge>,
}

impl Source {
    pub fn new(ordinal: u64, index: Arc<str>, event: &Event<'_>, gauge: &Arc<Gauge>) -> Source {
        gauge.up();
        Source {
            ordinal,
            index,
            id: event.id.as_deref().map(Box::from),
            text: Box::from(event.source),
            gauge: gauge.clone(),
        }
    }

    /// The event as the alert builder takes it (its JSON read as a value).
    pub fn doc(&self) -> Result<SourceDoc, String> {
        let id = crate::index::document_id(self.id.as_deref(), &self.text);
        crate::alerts::source_doc(&self.index, &id, &self.text)
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        self.gauge.down();
    }
}

/// What a [`Candidate`] keeps of each field (by [`FieldId`] index).
#[derive(Debug, Default)]
pub(crate) struct KeptFields {
    classes: Vec<Class>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Dropped,
    Kept,
    /// Kept, and a join key of sequence rules.
    Key,
}

impl KeptFields {
    /// The fields in `keep`; those also in `keys` are join keys.
    pub fn new(keep: &[bool], keys: &[bool]) -> KeptFields {
        let class = |(i, &kept): (usize, &bool)| match (kept, keys.get(i).copied()) {
            (false, _) => Class::Dropped,
            (true, Some(true)) => Class::Key,
            (true, _) => Class::Kept,
        };
        KeptFields {
            classes: keep.iter().enumerate().map(class).collect(),
        }
    }

    fn class(&self, f: FieldId) -> Class {
        self.classes
            .get(f.index())
            .copied()
            .unwrap_or(Class::Dropped)
    }
}

/// Buffers [`Candidate::pack`] reuses.
#[derive(Debug, Default)]
pub(crate) struct PackBuffers {
    keys: Vec<(FieldId, Packed)>,
    others: Vec<(FieldId, Packed)>,
}

/// One kept value.
#[derive(Debug, Clone, Copy)]
enum Packed {
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    /// `text[start..start + len]` of the [`Source`].
    InText {
        start: u32,
        len: u32,
    },
    /// `extra[start..start + len]` of the [`Candidate`].
    InExtra {
        start: u32,
        len: u32,
    },
}

/// A kept event: its [`Source`] and the fields multi-event rules read.
#[derive(Debug)]
pub(crate) struct Candidate {
    pub source: Arc<Source>,
    /// The join-key fields (`fields[..keys]`), then the others, each part
    /// in field order.
    fields: Box<[(FieldId, Packed)]>,
    keys: usize,
    extra: Box<str>,
}

impl Candidate {
    /// Packs the values of `event` whose field `fields` keeps, join keys
    /// first; `buffers` are reused from event to event.
    pub fn pack(
        event: &Event<'_>,
        fields: &KeptFields,
        buffers: &mut PackBuffers,
        source: Arc<Source>,
    ) -> Candidate {
        let mut extra = String::new();
        let PackBuffers { keys, others } = buffers;
        keys.clear();
        others.clear();
        for (f, v) in event.entries() {
            let into = match fields.class(*f) {
                Class::Dropped => continue,
                Class::Key => &mut *keys,
                Class::Kept => &mut *others,
            };
            into.push((*f, pack_value(v, event.source, &mut extra)));
        }
        let mut packed = Vec::with_capacity(keys.len() + others.len());
        packed.extend_from_slice(keys);
        packed.extend_from_slice(others);
        let keys = keys.len();
        Candidate {
            source,
            fields: packed.into_boxed_slice(),
            keys,
            extra: extra.into_boxed_str(),
        }
    }

    /// The kept fields as an event (strings borrowed from the candidate).
    pub fn event(&self) -> Event<'_> {
        self.event_of(self.fields.iter())
    }

    /// The kept join-key fields as an event.
    pub fn key_event(&self) -> Event<'_> {
        self.event_of(self.fields[..self.keys].iter())
    }

    fn event_of<'c>(&'c self, fields: impl Iterator<Item = &'c (FieldId, Packed)>) -> Event<'c> {
        let text: &str = &self.source.text;
        let entries = fields
            .map(|(f, p)| {
                let v = match *p {
                    Packed::Bool(b) => Value::Bool(b),
                    Packed::Int(i) => Value::Int(i),
                    Packed::UInt(u) => Value::UInt(u),
                    Packed::Float(x) => Value::Float(x),
                    Packed::InText { start, len } => {
                        Value::Str(Cow::Borrowed(slice(text, start, len)))
                    }
                    Packed::InExtra { start, len } => {
                        Value::Str(Cow::Borrowed(slice(&self.extra, start, len)))
                    }
                };
                (*f, v)
            })
            .collect();
        Event::from_entries(entries)
    }

    /// Approximate heap bytes (for the reorder buffer's bound).
    pub fn bytes(&self) -> usize {
        std::mem::size_of::<Candidate>()
            + std::mem::size_of::<Source>()
            + self.source.text.len()
            + self.fields.len() * std::mem::size_of::<(FieldId, Packed)>()
            + self.extra.len()
    }
}

fn pack_value(v: &Value<'_>, text: &str, extra: &mut String) -> Packed {
    match v {
        Value::Bool(b) => Packed::Bool(*b),
        Value::Int(i) => Packed::Int(*i),
        Value::UInt(u) => Packed::UInt(*u),
        Value::Float(x) => Packed::Float(*x),
        Value::Str(s) => pack_str(s, text.as_ptr() as usize, text.len(), extra),
    }
}

fn slice(text: &str, start: u32, len: u32) -> &str {
    let start = start as usize;
    text.get(start..start + len as usize).unwrap_or("")
}

/// A string borrowed from the source text is kept as its range; anything else
/// (unescaped by the parser, or too far) is copied to `extra`.
fn pack_str(s: &str, base: usize, text_len: usize, extra: &mut String) -> Packed {
    let at = (s.as_ptr() as usize).wrapping_sub(base);
    let inside = (s.as_ptr() as usize) >= base && at + s.len() <= text_len;
    if let (true, Ok(start), Ok(len)) = (inside, u32::try_from(at), u32::try_from(s.len())) {
        return Packed::InText { start, len };
    }
    let start = extra.len();
    extra.push_str(s);
    match (u32::try_from(start), u32::try_from(s.len())) {
        (Ok(start), Ok(len)) => Packed::InExtra { start, len },
        _ => Packed::InExtra { start: 0, len: 0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use event::{parse_event, FieldRegistry};

    #[test]
    fn packed_event_reads_back_the_kept_fields() {
        let mut reg = FieldRegistry::new();
        let name = reg.intern("process.name");
        let pid = reg.intern("process.pid");
        let args = reg.intern("process.args");
        let other = reg.intern("other");
        let text = r#"{"process":{"name":"a\"b","pid":42,"args":["x","y"]},"other":"o"}"#;
        let event = parse_event(text, &reg).unwrap();
        let gauge = Arc::new(Gauge::default());
        let mut keep = vec![false; reg.len()];
        for f in [name, pid, args] {
            keep[f.index()] = true;
        }
        let source = Arc::new(Source::new(7, Arc::from("i"), &event, &gauge));
        let mut keys = vec![false; reg.len()];
        keys[pid.index()] = true;
        let fields = KeptFields::new(&keep, &keys);
        let cand = Candidate::pack(&event, &fields, &mut PackBuffers::default(), source);
        let view = cand.event();
        assert_eq!(view.first(name).and_then(|v| v.as_str()), Some("a\"b"));
        assert_eq!(
            view.first(pid).map(|v| v.keyword().into_owned()),
            Some("42".into())
        );
        let a: Vec<&str> = view.values(args).filter_map(|v| v.as_str()).collect();
        assert_eq!(a, ["x", "y"]);
        assert!(!view.has(other));
        let keys = cand.key_event();
        assert_eq!(keys.entries().len(), 1);
        assert_eq!(keys.first(pid).and_then(|v| v.integer()), Some(42));
        assert_eq!(gauge.live(), 1);
        drop(view);
        drop(keys);
        drop(cand);
        assert_eq!((gauge.live(), gauge.peak()), (0, 1));
    }
}
