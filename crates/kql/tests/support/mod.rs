//! Test support: the corpus location, and predicate evaluation through the
//! `matcher` crate.

#![allow(dead_code)]

use std::path::PathBuf;

/// `<workspace>/../shared/corpus`, or `$VIGIL_CORPUS`.
pub fn corpus() -> PathBuf {
    if let Ok(p) = std::env::var("VIGIL_CORPUS") {
        return PathBuf::from(p);
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    assert!(
        p.is_dir(),
        "corpus not found at {} (set VIGIL_CORPUS)",
        p.display()
    );
    p
}

/// Evaluates a predicate with the matcher (query semantics: a field test is
/// true when some value passes; `Not` is `must_not`).
pub fn eval(p: &ir::Pred, e: &event::Event<'_>) -> bool {
    matcher::pred::matches(p, e)
}
