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
    if let Some(index) = event.index.as_deref() {
        return Some(Cow::Borrowed(index));
    }
    let part = |f| event.first(f).map(|v| v.keyword());
    match (
        part(fields.data_stream_type),
        part(fields.data_stream_dataset),
        part(fields.data_stream_namespace),
    ) {
        // `join`, not `format!` (which cost ≈ 1,200 instructions per event).
        (Some(t), Some(d), Some(n)) => Some(Cow::Owned([t, d, n].join("-"))),
        _ => default.map(Cow::Borrowed),
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
    fn ids() {
        assert_eq!(document_id(Some("abc"), "{}"), "abc");
        // echo -n '{}' | sha256sum → 44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a
        assert_eq!(document_id(None, "{}"), "44136fa355b3678a1146");
    }
}
