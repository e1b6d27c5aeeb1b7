//! Kibana exception lists and items, as an export writes them and
//! `POST /api/exception_lists/_import` / `POST /api/detection_engine/rules/_import`
//! read them (schemas: `@kbn/securitysolution-io-ts-list-types`,
//! `exception_list_schema`, `exception_list_item_schema`, `entries`).
//!
//! A rule refers to lists through `exceptions_list: [{id, list_id, type,
//! namespace_type}]`; Kibana fetches a list's items by `list_id` and
//! `namespace_type` (`single` = the space, `agnostic` = every space).

use crate::model::ExceptionListRef;
use crate::source::SourceText;
use diag::Span;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// `included` (the entry describes the event) or `excluded` (it must not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operator {
    Included,
    Excluded,
}

/// A value list reference inside a `list` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRef {
    /// The value list id (for an imported file: its file name).
    pub id: String,
    /// The value list's type (`keyword`, `ip`, `ip_range`, `text`, …).
    #[serde(rename = "type")]
    pub list_type: String,
}

/// One entry of an exception item (`entries[]`). Entries of an item are ANDed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Entry {
    /// "is": `match_phrase` on the field.
    Match {
        field: String,
        operator: Operator,
        value: String,
    },
    /// "is one of": any of the values.
    MatchAny {
        field: String,
        operator: Operator,
        value: Vec<String>,
    },
    /// "exists".
    Exists { field: String, operator: Operator },
    /// "matches": a `wildcard` query (`*`, `?`, `\` escapes).
    Wildcard {
        field: String,
        operator: Operator,
        value: String,
    },
    /// "is in list": a value list.
    List {
        field: String,
        operator: Operator,
        list: ListRef,
    },
    /// Entries that must hold within one object of a `nested` field.
    Nested { field: String, entries: Vec<Entry> },
}

impl Entry {
    pub fn field(&self) -> &str {
        match self {
            Entry::Match { field, .. }
            | Entry::MatchAny { field, .. }
            | Entry::Exists { field, .. }
            | Entry::Wildcard { field, .. }
            | Entry::List { field, .. }
            | Entry::Nested { field, .. } => field,
        }
    }
}

/// Where a list or item was read from.
#[derive(Debug, Clone)]
pub struct ExceptionOrigin {
    pub source: Arc<SourceText>,
    /// The whole JSON object.
    pub span: Span,
    /// One span per entry of an item (`entries[i]`), in order.
    pub entry_spans: Vec<Span>,
}

/// An exception list container.
#[derive(Debug, Clone)]
pub struct ExceptionList {
    pub list_id: String,
    pub id: Option<String>,
    pub name: String,
    pub description: String,
    /// `detection`, `rule_default`, `endpoint`, `endpoint_trusted_apps`, …
    pub list_type: String,
    /// `single` or `agnostic`.
    pub namespace_type: String,
    pub os_types: Vec<String>,
    pub tags: Vec<String>,
    pub immutable: bool,
    pub raw: Value,
    pub origin: Option<ExceptionOrigin>,
}

/// One exception item. Items of the lists a rule uses are ORed.
#[derive(Debug, Clone)]
pub struct ExceptionItem {
    pub item_id: String,
    pub id: Option<String>,
    pub list_id: String,
    pub name: String,
    pub description: String,
    /// Always `simple` in current Kibana.
    pub item_type: String,
    pub namespace_type: String,
    pub entries: Vec<Entry>,
    /// `windows`, `linux`, `macos`.
    pub os_types: Vec<String>,
    /// After this instant (ISO 8601) the item no longer applies.
    pub expire_time: Option<String>,
    pub tags: Vec<String>,
    pub raw: Value,
    pub origin: Option<ExceptionOrigin>,
}

impl ExceptionItem {
    /// Whether the item has expired at `now` (epoch nanoseconds). Kibana skips
    /// expired items when a rule runs.
    pub fn is_expired(&self, now: i64) -> bool {
        self.expire_time
            .as_deref()
            .and_then(event::time::parse_date_nanos)
            .is_some_and(|t| t <= now)
    }
}

/// Exception lists and items from every loaded file.
#[derive(Debug, Clone, Default)]
pub struct ExceptionStore {
    pub lists: Vec<ExceptionList>,
    pub items: Vec<ExceptionItem>,
}

impl ExceptionStore {
    /// The list a rule refers to (by `list_id` and `namespace_type`).
    pub fn list(&self, r: &ExceptionListRef) -> Option<&ExceptionList> {
        self.lists
            .iter()
            .find(|l| l.list_id == r.list_id && l.namespace_type == r.namespace_type)
    }

    /// The items of a referenced list, in load order.
    pub fn items_of<'a>(
        &'a self,
        r: &'a ExceptionListRef,
    ) -> impl Iterator<Item = &'a ExceptionItem> + 'a {
        self.items
            .iter()
            .filter(move |i| i.list_id == r.list_id && i.namespace_type == r.namespace_type)
    }

    /// Every item that applies to a rule's `exceptions_list`, skipping items
    /// expired at `now` when given; and the references with no loaded list and no items.
    pub fn items_for<'a>(
        &'a self,
        refs: &'a [ExceptionListRef],
        now: Option<i64>,
    ) -> (Vec<&'a ExceptionItem>, Vec<&'a ExceptionListRef>) {
        let mut items = Vec::new();
        let mut missing = Vec::new();
        for r in refs {
            let before = items.len();
            items.extend(
                self.items_of(r)
                    .filter(|i| now.is_none_or(|n| !i.is_expired(n))),
            );
            if items.len() == before && self.list(r).is_none() {
                missing.push(r);
            }
        }
        (items, missing)
    }
}
