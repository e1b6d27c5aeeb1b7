//! Where an event comes from: its index and its document id.
//!
//! The index is the `_index` of a search hit; else the data stream Elastic
//! Agent writes it to, `{data_stream.type}-{data_stream.dataset}-{data_stream.namespace}`;
//! else the name the user gives for the input (`--index`). An event with none
//! of these matches no rule.
//!
//! The id is the hit's `_id`; else, since a document read from a file has no
//! Elasticsearch id, a stable one derived from its content: the first 20 hex
//! digits of the SHA-256 of its JSON text. Reruns over the same input give the
//! same ids, and so the same deterministic alert ids (Kibana's
//! `generateId(_index, _id, …)`).

use crate::compile::IndexFields;
use event::Event;
use sha2::{Digest, Sha256};
use std::borrow::Cow;

/// The index of `event`, or `None` when it has none and no default applies.
pub fn event_index<'e>(
    event: &'e Event<'_>,
    fields: &IndexFields,
    default: Option<&'e str>,
) -> Option<Cow<'e, str>> {
    match index_of(event, fields, default)? {
        IndexOf::Given(index) => Some(Cow::Borrowed(index)),
        // `join`, not `format!` (which cost ≈ 1,200 instructions per event).
        IndexOf::DataStream(parts) => Some(Cow::Owned(parts.join("-"))),
    }
}

/// [`event_index`], a data stream's name written in `buf` (a worker's, reused
/// from event to event: no string allocated per event).
pub fn event_index_in<'e>(
    event: &'e Event<'_>,
    fields: &IndexFields,
    default: Option<&'e str>,
    buf: &'e mut String,
) -> Option<&'e str> {
    match index_of(event, fields, default)? {
        IndexOf::Given(index) => Some(index),
        IndexOf::DataStream([t, d, n]) => {
            buf.clear();
            for (i, part) in [t, d, n].iter().enumerate() {
                if i > 0 {
                    buf.push('-');
                }
                buf.push_str(part);
            }
            Some(buf.as_str())
        }
    }
}

/// Where an event's index comes from.
enum IndexOf<'e> {
    /// The hit's `_index`, or the input's default.
    Given(&'e str),
    /// `data_stream.type`, `.dataset`, `.namespace` (joined with `-`).
    DataStream([Cow<'e, str>; 3]),
}

fn index_of<'e>(
    event: &'e Event<'_>,
    fields: &IndexFields,
    default: Option<&'e str>,
) -> Option<IndexOf<'e>> {
    if let Some(index) = event.index.as_deref() {
        return Some(IndexOf::Given(index));
    }
    let part = |f| event.first(f).map(|v| v.keyword());
    match (
        part(fields.data_stream_type),
        part(fields.data_stream_dataset),
        part(fields.data_stream_namespace),
    ) {
        (Some(t), Some(d), Some(n)) => Some(IndexOf::DataStream([t, d, n])),
        _ => default.map(IndexOf::Given),
    }
}

/// The document id: `_id` when the event is a search hit, else derived from
/// its JSON text.
pub fn document_id(explicit: Option<&str>, source: &str) -> String {
    match explicit {
        Some(id) => id.to_string(),
        None => content_id(source),
    }
}

/// 20 hex digits of the SHA-256 of `source` (the length of an Elasticsearch
/// auto-generated id).
pub fn content_id(source: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(source.as_bytes());
    let mut id = String::with_capacity(20);
    for b in &digest[..10] {
        id.push(char::from(HEX[usize::from(b >> 4)]));
        id.push(char::from(HEX[usize::from(b & 15)]));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use event::{parse_event, FieldRegistry};

    fn setup() -> (FieldRegistry, IndexFields) {
        let mut r = FieldRegistry::new();
        let f = IndexFields {
            data_stream_type: r.intern("data_stream.type"),
            data_stream_dataset: r.intern("data_stream.dataset"),
            data_stream_namespace: r.intern("data_stream.namespace"),
        };
        (r, f)
    }

    #[test]
    fn hit_then_data_stream_then_default() {
        let (r, f) = setup();
        let hit = parse_event(r#"{"_index":"endgame-8.1","_id":"x","_source":{"data_stream":{"type":"logs","dataset":"a","namespace":"b"}}}"#, &r).unwrap();
        assert_eq!(
            event_index(&hit, &f, Some("d")).as_deref(),
            Some("endgame-8.1")
        );
        let ds = parse_event(r#"{"data_stream":{"type":"logs","dataset":"endpoint.events.file","namespace":"default"}}"#, &r).unwrap();
        assert_eq!(
            event_index(&ds, &f, Some("d")).as_deref(),
            Some("logs-endpoint.events.file-default")
        );
        let partial = parse_event(r#"{"data_stream":{"type":"logs"}}"#, &r).unwrap();
        assert_eq!(event_index(&partial, &f, Some("d")).as_deref(), Some("d"));
        assert_eq!(event_index(&partial, &f, None), None);
    }

    #[test]
    fn index_in_a_reused_buffer_is_the_same() {
        let (r, f) = setup();
        let texts = [
            r#"{"data_stream":{"type":"logs","dataset":"endpoint.events.file","namespace":"default"}}"#,
            r#"{"_index":"endgame-8.1","_id":"x","_source":{}}"#,
            r#"{"data_stream":{"type":"metrics","dataset":"a","namespace":"b"}}"#,
            r#"{"data_stream":{"type":"logs"}}"#,
            r#"{"data_stream":{"type":1,"dataset":true,"namespace":"n"}}"#,
        ];
        let mut buf = String::from("left over from an earlier event");
        for text in texts {
            let event = parse_event(text, &r).unwrap();
            for default in [Some("d"), None] {
                let want = event_index(&event, &f, default).map(Cow::into_owned);
                let got = event_index_in(&event, &f, default, &mut buf).map(str::to_string);
                assert_eq!(got, want, "{text}");
            }
        }
        let event = parse_event(texts[2], &r).unwrap();
        assert_eq!(
            event_index_in(&event, &f, None, &mut buf),
            Some("metrics-a-b")
        );
    }

    #[test]
    fn ids() {
        assert_eq!(document_id(Some("abc"), "{}"), "abc");
        // echo -n '{}' | sha256sum → 44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a
        assert_eq!(document_id(None, "{}"), "44136fa355b3678a1146");
    }
}
