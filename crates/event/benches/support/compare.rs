//! The one differential check of event parsing: [`check`] parses a document
//! with the scanner (one-shot [`parse_event`] and a reused [`Parser`]) and with
//! the serde_json reference, and the results must be the same: the same
//! entries (floats compared bit for bit, strings borrowed or owned alike), the
//! same index, id and `_source` slice (same address), or the same error.
//!
//! Shared by `tests/parse_differential.rs` and the `event_parse` fuzz target
//! (included with `#[path]`), so that both check exactly the same thing.

use event::json::{reference, Parser};
use event::{parse_event, Event, FieldRegistry, ParseError, Value};
use std::borrow::Cow;

/// What the parsers agreed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agreed {
    /// An event with this many entries.
    Event(usize),
    /// The same error.
    Error,
}

/// Parses `text` with `registry` three ways — the reference, [`parse_event`]
/// and `parser` (which recycles the event afterwards) — and says what they
/// agreed on, or describes how they differ.
pub fn check(text: &str, registry: &FieldRegistry, parser: &mut Parser) -> Result<Agreed, String> {
    let old = reference::parse_event(text, registry);
    let new = parse_event(text, registry);
    if !same_outcome(&new, &old) {
        return Err(format!("scanner:   {new:?}\nreference: {old:?}"));
    }
    let reused = parser.parse(text, registry);
    if !same_outcome(&reused, &old) {
        return Err(format!("reused:    {reused:?}\nreference: {old:?}"));
    }
    Ok(match reused {
        Ok(event) => {
            let entries = event.entries().len();
            parser.recycle(event);
            Agreed::Event(entries)
        }
        Err(_) => Agreed::Error,
    })
}

// The variant (borrowed or owned) is part of what is compared.
#[allow(clippy::ptr_arg)]
fn same_cow(a: &Cow<'_, str>, b: &Cow<'_, str>) -> bool {
    a == b
        && matches!(
            (a, b),
            (Cow::Borrowed(_), Cow::Borrowed(_)) | (Cow::Owned(_), Cow::Owned(_))
        )
}

fn same_value(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Str(x), Value::Str(y)) => same_cow(x, y),
        _ => a == b,
    }
}

fn same_opt(a: &Option<Cow<'_, str>>, b: &Option<Cow<'_, str>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same_cow(a, b),
        (None, None) => true,
        _ => false,
    }
}

pub fn same_event(a: &Event<'_>, b: &Event<'_>) -> bool {
    a.entries().len() == b.entries().len()
        && a.entries()
            .iter()
            .zip(b.entries())
            .all(|((fa, va), (fb, vb))| fa == fb && same_value(va, vb))
        && same_opt(&a.index, &b.index)
        && same_opt(&a.id, &b.id)
        && a.source.as_ptr() == b.source.as_ptr()
        && a.source.len() == b.source.len()
}

pub fn same_outcome(a: &Result<Event<'_>, ParseError>, b: &Result<Event<'_>, ParseError>) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => same_event(a, b),
        (Err(a), Err(b)) => a == b,
        _ => false,
    }
}
