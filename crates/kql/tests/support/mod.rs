//! Test support: the corpus location, and predicate evaluation through the
//! `matcher` crate.

#![allow(dead_code)]

#[allow(unused_imports)]
pub use testkit::corpus;

/// Evaluates a predicate with the matcher (query semantics: a field test is
/// true when some value passes; `Not` is `must_not`).
pub fn eval(p: &ir::Pred, e: &event::Event<'_>) -> bool {
    matcher::pred::matches(p, e)
}
