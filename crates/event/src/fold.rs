//! Case folding as Elasticsearch's case-insensitive queries apply it: per code
//! point lower-casing (ASCII fast path, no allocation when nothing changes).

use std::borrow::Cow;

/// Lower-cases `s`, borrowing when it is already lower-case ASCII.
pub fn fold_case(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        if s.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(s.to_ascii_lowercase())
        } else {
            Cow::Borrowed(s)
        }
    } else if s.chars().all(|c| !c.is_uppercase()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

/// ASCII case-insensitive byte equality.
pub fn is_ascii_fold_eq(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Case-insensitive equality of two strings under [`fold_case`].
pub fn eq_fold(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    fold_case(a) == fold_case(b)
}
