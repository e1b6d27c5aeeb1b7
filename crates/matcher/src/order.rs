//! Events as a query runs over them: an [`EventRecord`] carries the event's
//! timestamp and tiebreaker, and events are ordered as Elasticsearch EQL
//! sorts hits: by timestamp, then tiebreaker (missing values last), then the
//! implicit tiebreaker, which here is input order
//! (`x-pack/plugin/eql/.../execution/search/Ordinal.java`).

use event::{Event, FieldType};
use ir::{Category, EventQuery, FieldRef};
use std::cmp::Ordering;

use crate::values::{self, KeyValue};

/// One input event with what ordering needs.
#[derive(Debug, Clone)]
pub struct EventRecord<'a> {
    /// Position in the input (the implicit tiebreaker).
    pub ordinal: u64,
    /// Epoch nanoseconds of the timestamp field (a `date` field holds
    /// milliseconds, see [`timestamp_of`]); `None` when missing.
    pub timestamp: Option<i64>,
    /// The tiebreaker field's value; `None` when missing (sorts last).
    pub tiebreaker: Option<KeyValue>,
    pub event: Event<'a>,
}

impl<'a> EventRecord<'a> {
    /// A record reading the timestamp and tiebreaker from `event`.
    pub fn new(
        ordinal: u64,
        event: Event<'a>,
        timestamp: &FieldRef,
        tiebreaker: Option<&FieldRef>,
    ) -> Self {
        let ts = timestamp_of(&event, timestamp);
        let tb = tiebreaker.and_then(|f| tiebreaker_of(&event, f));
        EventRecord {
            ordinal,
            timestamp: ts,
            tiebreaker: tb,
            event,
        }
    }
}

/// The timestamp of `event` from `field`: the smallest value (an ascending
/// sort on a multi-valued field uses the minimum). A `date` field stores
/// milliseconds, so sub-millisecond digits are dropped; `date_nanos` keeps them.
/// An unmapped field is read as `date`.
pub fn timestamp_of(event: &Event<'_>, field: &FieldRef) -> Option<i64> {
    let ty = if field.ty == FieldType::Unmapped {
        FieldType::Date
    } else {
        field.ty
    };
    event
        .values(field.id)
        .filter_map(|v| values::date(values::kind_of(ty, v), v))
        .min()
}

/// The tiebreaker of `event`: the smallest doc value of `field`.
pub fn tiebreaker_of(event: &Event<'_>, field: &FieldRef) -> Option<KeyValue> {
    event
        .values(field.id)
        .filter_map(|v| KeyValue::of(field, v))
        .min()
}

/// Timestamp, then tiebreaker, then input order; missing values sort last.
pub fn compare(a: &EventRecord<'_>, b: &EventRecord<'_>) -> Ordering {
    last_if_missing(&a.timestamp, &b.timestamp)
        .then_with(|| last_if_missing(&a.tiebreaker, &b.tiebreaker))
        .then_with(|| a.ordinal.cmp(&b.ordinal))
}

fn last_if_missing<T: Ord>(a: &Option<T>, b: &Option<T>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Indices of `events` in query order.
pub fn sorted_indices(events: &[EventRecord<'_>]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..events.len()).collect();
    idx.sort_by(|&a, &b| compare(&events[a], &events[b]));
    idx
}

/// True when `event` belongs to the query's category: `any`, or a value of
/// the category field equal (case-sensitive term) to the name.
pub fn in_category(query: &EventQuery, event: &Event<'_>, category_field: event::FieldId) -> bool {
    match &query.category {
        Category::Any => true,
        Category::Named(name) => event
            .values(category_field)
            .any(|v| v.keyword() == name.as_str()),
    }
}
