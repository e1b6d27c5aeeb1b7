//! The `vigil-workload` binary: output, determinism, compression, errors.

use std::process::Command;

fn workload(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vigil-workload"))
        .args(args)
        .output()
        .expect("runs")
}

#[test]
fn writes_requested_events_to_stdout_deterministically() {
    let a = workload(&["--events", "300", "--seed", "12"]);
    let b = workload(&["--events", "300", "--seed", "12"]);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.stdout.iter().filter(|c| **c == b'\n').count(), 300);
    let summary = String::from_utf8_lossy(&a.stderr);
    assert!(
        summary.starts_with("vigil-workload: 300 events, "),
        "{summary}"
    );
}

#[test]
fn gzip_output_decompresses_to_the_plain_output_and_stats_are_written() {
    let dir = std::env::temp_dir().join(format!("vigil-workload-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gz = dir.join("w.ndjson.gz");
    let stats = dir.join("stats.json");
    let out = workload(&[
        "--events",
        "200",
        "--seed",
        "3",
        "--gzip",
        "--out",
        gz.to_str().unwrap(),
        "--stats",
        stats.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let plain = workload(&["--events", "200", "--seed", "3"]).stdout;
    let mut decoded = Vec::new();
    let file = std::fs::File::open(&gz).unwrap();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(file), &mut decoded).unwrap();
    assert_eq!(decoded, plain);
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    assert_eq!(s["events"], 200);
    assert_eq!(s["bytes"], plain.len());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_options_exit_2_with_a_message() {
    let out = workload(&["--events", "10", "--hosts", "2"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "vigil-workload: error: need at least 3 hosts (one per OS), got 2\n"
    );
    let out = workload(&["--events", "10", "--start", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
}
