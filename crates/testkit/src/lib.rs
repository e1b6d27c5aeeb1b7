//! `testkit` (tests only) owns where tests find things: the workspace root and
//! the read-only reference corpus (`<workspace>/../shared/corpus`, or
//! `VIGIL_CORPUS`). A missing corpus fails the test with a message saying
//! where it was looked for; it is never skipped silently.

use std::path::PathBuf;

/// The workspace root (the directory holding the root `Cargo.toml`).
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The reference corpus: `VIGIL_CORPUS`, else `<workspace>/../shared/corpus`.
///
/// # Panics
/// When it holds no `detection-rules/` directory.
pub fn corpus() -> PathBuf {
    let dir = std::env::var_os("VIGIL_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/corpus"));
    assert!(
        dir.join("detection-rules").is_dir(),
        "the corpus is needed at {} (set VIGIL_CORPUS)",
        dir.display()
    );
    dir
}

/// A path inside the corpus's detection-rules catalogue.
pub fn catalogue(relative: &str) -> PathBuf {
    corpus().join("detection-rules").join(relative)
}
