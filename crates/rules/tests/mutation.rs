//! Loading never panics on garbage: deterministic mutations (byte flips,
//! deletions, insertions of syntax characters, truncations, duplications) of
//! real rule files and of the export, plus pathological nesting.

use event::{FieldRegistry, Schema};
use ir::Binder;
use rules::{load_text, lower_exceptions, LoadOptions, LoadReport, SourceText, ValueLists};
use std::path::PathBuf;

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SYNTAX: &[&[u8]] = &[
    b"\"",
    b"'",
    b"'''",
    b"\"\"\"",
    b"[",
    b"]",
    b"{",
    b"}",
    b"\\",
    b"\\u",
    b"\n",
    b"=",
    b",",
    b":",
    b"[[",
    b"\xff",
    b"\xe2\x82",
    b"#",
    b"\"\\",
    b"null",
    b"-",
    b".",
];

fn mutate(rng: &mut XorShift, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = out.len();
        let at = rng.below(len + 1);
        match rng.below(6) {
            0 if len > 0 => out[at.min(len - 1)] ^= 1 << rng.below(8),
            1 => {
                let end = (at + 1 + rng.below(40)).min(len);
                out.drain(at..end);
            }
            2 => {
                let s = SYNTAX[rng.below(SYNTAX.len())];
                out.splice(at..at, s.iter().copied());
            }
            3 => out.truncate(at),
            4 => {
                let end = (at + rng.below(200)).min(len);
                let chunk = out[at..end].to_vec();
                out.splice(at..at, chunk);
            }
            _ => {
                if len > 0 {
                    let from = rng.below(len);
                    out.insert(at, out[from]);
                }
            }
        }
    }
    out
}

fn corpus_samples() -> Vec<(String, Vec<u8>)> {
    let base = std::env::var("VIGIL_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
        });
    let dr = base.join("detection-rules/rules");
    assert!(
        dr.is_dir(),
        "corpus not found at {} (set VIGIL_CORPUS)",
        base.display()
    );
    let picks = [
        "linux/persistence_ssh_key_generation.toml",
        "macos/credential_access_dumping_hashes_bi_cmds.toml",
        "network/credential_access_tls_deprecated_or_weak_cipher_negotiation.toml",
        "threat_intel/threat_intel_indicator_match_email.toml",
        "cross-platform/guided_onboarding_sample_rule.toml",
        "integrations/endpoint/execution_elastic_malicious_file_detected.toml",
    ];
    let mut out: Vec<(String, Vec<u8>)> = picks
        .iter()
        .filter_map(|p| std::fs::read(dr.join(p)).ok().map(|b| (p.to_string(), b)))
        .collect();
    assert_eq!(out.len(), picks.len(), "sample rules missing");
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    for f in ["export.ndjson", "bad_rule.toml"] {
        out.push((f.to_string(), std::fs::read(data.join(f)).unwrap()));
    }
    out
}

fn load_bytes(name: &str, bytes: &[u8]) -> LoadReport {
    let mut report = LoadReport::default();
    let text = String::from_utf8_lossy(bytes).into_owned();
    load_text(
        SourceText::new(name.into(), text),
        &LoadOptions::default(),
        &mut report,
    );
    report
}

/// Exercises everything a caller does with a report.
fn use_report(report: &LoadReport) {
    let _ = report.render(Default::default());
    for r in report.live() {
        if let Some(q) = r.query_input() {
            let end = q.text.len();
            let d = diag::Diagnostic::error("X", "x").with_label(diag::Span::new(end / 2, end), "");
            let _ = q.render(&d, Default::default());
            let _ = q.source_file().line_col(end);
        }
        let _ = r
            .index_patterns
            .matches("logs-endpoint.events.process-default");
        let (items, _) = report
            .exceptions
            .items_for(&r.rule.exceptions_list, Some(0));
        let schema = Schema::ecs();
        let mut reg = FieldRegistry::new();
        let lowered = lower_exceptions(
            &items,
            &mut Binder::new(&schema, &mut reg),
            &ValueLists::new(),
        );
        for d in &lowered.diagnostics {
            if let Some(s) = &d.source {
                let _ = s.render(&d.diagnostic, Default::default());
            }
        }
    }
    let all: Vec<_> = report.exceptions.items.iter().collect();
    let schema = Schema::ecs();
    let mut reg = FieldRegistry::new();
    let _ = lower_exceptions(
        &all,
        &mut Binder::new(&schema, &mut reg),
        &ValueLists::new(),
    );
}

#[test]
fn mutated_files_never_panic() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut loaded = 0usize;
    let mut with_errors = 0usize;
    let samples = corpus_samples();
    for (name, bytes) in &samples {
        for _ in 0..150 {
            let m = mutate(&mut rng, bytes);
            let report = load_bytes(name, &m);
            use_report(&report);
            loaded += 1;
            with_errors += usize::from(report.has_errors());
        }
    }
    eprintln!("{loaded} mutated files loaded, {with_errors} with errors");
    assert_eq!(loaded, 8 * 150);
    assert!(
        with_errors > loaded / 4,
        "mutations should break many files ({with_errors}/{loaded})"
    );
}

#[test]
fn pathological_nesting_and_sizes() {
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let r = load_bytes("deep.json", deep_json.as_bytes());
    assert_eq!(r.diagnostics[0].diagnostic.code, "RULE0003");
    let deep_toml = format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000));
    let r = load_bytes("deep.toml", deep_toml.as_bytes());
    assert_eq!(r.diagnostics[0].diagnostic.code, "RULE0002");
    let deep_tables = format!(
        "[rule]\n{}",
        (0..5000)
            .map(|i| format!("[rule{}]\n", ".a".repeat(i % 200)))
            .collect::<String>()
    );
    let r = load_bytes("tables.toml", deep_tables.as_bytes());
    use_report(&r);
    for text in [
        "",
        "\n\n",
        "{}",
        "[]",
        "null",
        "[rule]",
        "\u{feff}[rule]\n",
        "\"\"\"",
        "{\"rule_id\":1,\"type\":[],\"query\":{}}",
    ] {
        for name in ["x.toml", "x.json", "x.ndjson", "x"] {
            use_report(&load_bytes(name, text.as_bytes()));
        }
    }
}

/// The small parsers take any string.
#[test]
fn small_parsers_take_any_string() {
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    let alphabet: &[&str] = &[
        "now",
        "-",
        "+",
        "/",
        "d",
        "M",
        "ms",
        "1",
        "9",
        "||",
        "2024-01-01",
        "€",
        "*",
        ",",
        ".ds-",
        "-000001",
        ":",
        "::data",
        ".",
        "\\",
        "?",
        "é",
    ];
    for _ in 0..20_000 {
        let s: String = (0..rng.below(8))
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        if let Ok(d) = rules::datemath::DateMath::parse(&s) {
            let _ = d.eval(i64::MAX);
            let _ = d.eval(i64::MIN);
            let _ = d.lookback_nanos();
        }
        let _ = rules::datemath::parse_interval(&s);
        let p = rules::IndexPatterns::new(&[s.as_str()]);
        let _ = p.matches(&s);
        let _ = rules::index::data_stream_of(&s);
        let _ = rules::lucene_wildcard(&s, rng.below(2) == 0).matches(&s);
    }
}
