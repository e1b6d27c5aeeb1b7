//! What the `vigil hunt` integration tests share: running the binary.

use std::process::{Command, Output, Stdio};

/// Runs `vigil hunt ARGS…` from the workspace root (where the tests' data
/// paths start), colours off, stdin closed, output captured.
pub fn hunt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("hunt")
        .args(args)
        .current_dir(testkit::workspace())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run vigil")
}
