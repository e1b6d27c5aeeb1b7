//! Whether the scanner and the reference parser gave the same result: the same
//! entries (floats compared bit for bit, strings borrowed or owned alike), the
//! same index, id and `_source` slice (same address), or the same error.
//!
//! Shared by `tests/parse_differential.rs` and the `event_parse` fuzz target
//! (included with `#[path]`).

use event::{Event, ParseError, Value};
use std::borrow::Cow;

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
