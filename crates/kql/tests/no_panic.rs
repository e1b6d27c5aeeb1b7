//! No input makes the parsers or the lowering panic: a deterministic run over
//! a few thousand mutations of real queries (the corpus suite and catalogue
//! samples), through KQL parse → print → re-parse → lower, Lucene parse and
//! lower, and query-DSL lowering of mutated JSON.

mod support;

use event::{FieldRegistry, Schema};
use ir::Binder;
use kql::KqlOptions;

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const ALPHABET: &[&str] = &[
    "(",
    ")",
    "{",
    "}",
    ":",
    "<",
    ">",
    "<=",
    ">=",
    "\"",
    "\\",
    "*",
    "?",
    " ",
    "\t",
    "\n",
    "\u{a0}",
    " or ",
    " and ",
    "not ",
    "\\u",
    "\\uD83D",
    "\\u00",
    "/",
    "[",
    "]",
    " TO ",
    "!",
    "+",
    "-",
    "~",
    "^",
    "&&",
    "||",
    "é",
    "😀",
    "x",
    "0",
    "_exists_:",
    "now-1d/d",
    "||+1M",
    "AND ",
    "OR ",
    "NOT ",
];

fn mutate(rng: &mut Rng, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(chars.len() + 1);
        match rng.below(4) {
            0 if !chars.is_empty() => {
                let end = (at + 1 + rng.below(4)).min(chars.len());
                chars.drain(at.min(end)..end);
            }
            1 => {
                let ins: Vec<char> = ALPHABET[rng.below(ALPHABET.len())].chars().collect();
                chars.splice(at..at, ins);
            }
            2 if !chars.is_empty() => {
                let a = rng.below(chars.len());
                let b = (a + rng.below(8)).min(chars.len());
                let piece: Vec<char> = chars[a..b].to_vec();
                chars.splice(at..at, piece);
            }
            _ => {
                if let Some(c) = chars.get_mut(at) {
                    *c = ALPHABET[rng.below(ALPHABET.len())]
                        .chars()
                        .next()
                        .unwrap_or('x');
                }
            }
        }
    }
    chars.into_iter().collect()
}

fn seeds() -> Vec<String> {
    let suite: toml::Value =
        toml::from_str(&std::fs::read_to_string(support::corpus().join("kql/cases.toml")).unwrap())
            .unwrap();
    let mut out: Vec<String> = ["cases", "errors"]
        .iter()
        .flat_map(|k| {
            suite[*k]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["query"].as_str().unwrap().to_string())
        })
        .collect();
    out.extend(
        [
            "event.category:process and process.args:(ShadowHashData or \"-dump\")",
            "a:{ b:{ c:1 } } and not (d >= now-1d/d or e < \"x y\")",
            "process.name:(a AND b) OR -c +d [1 TO 5] {a TO *] /re[g]ex/ x~2 y^3 _exists_:f",
            "@timestamp:[2024-01-01||+1M/d TO now] and destination.port:>=443 and source.ip:\"10.0.0.0/8\"",
            "file.hash.*:* or user.*name:\\u0062ob or *:* or message:*logon fail*",
        ]
        .map(String::from),
    );
    out
}

#[test]
fn mutated_queries_never_panic() {
    let schema = Schema::ecs();
    let opts = KqlOptions {
        now_nanos: 1_709_445_600_000_000_000,
        default_fields: vec!["message".into(), "process.name".into()],
        lenient: false,
    };
    let seeds = seeds();
    let mut rng = Rng(0x5EED);
    let (mut parsed, mut lowered, mut total) = (0, 0, 0);
    for round in 0..4000 {
        let seed = &seeds[round % seeds.len()];
        let q = mutate(&mut rng, seed);
        total += 1;
        let mut registry = FieldRegistry::new();
        let mut binder = Binder::new(&schema, &mut registry);
        if let Ok(ast) = kql::parse(&q) {
            parsed += 1;
            let printed = kql::printer::print(&ast);
            assert!(
                kql::parse(&printed).is_ok(),
                "{q:?} printed as {printed:?} does not parse"
            );
            if kql::lower(&ast, &mut binder, &opts).is_ok() {
                lowered += 1;
            }
        }
        let _ = kql::lucene::compile(&q, &mut binder, &opts);
        let json = serde_json::json!([{ "meta": {"negate": round % 2 == 0}, "query": {"query_string": {"query": q}} }]);
        let _ = kql::filters::lower_filters(&json, &mut binder, &opts);
    }
    println!("no-panic: {total} mutated queries, {parsed} parsed, {lowered} lowered");
    assert!(parsed > 500 && lowered > 300);
}

#[test]
fn mutated_dsl_never_panics() {
    let base = r#"[{"meta":{"negate":true,"disabled":false},"query":{"bool":{"should":[{"wildcard":{"file.path":{"value":"?:\\temp\\*","case_insensitive":true}}},{"range":{"@timestamp":{"gte":"now-1d/d","lt":"now"}}},{"terms":{"destination.port":[22,443]}},{"match_phrase":{"message":"a b"}}],"minimum_should_match":"-1","must_not":{"exists":{"field":"user.*"}}}}},{"exists":{"field":"x"},"meta":{}}]"#;
    let schema = Schema::ecs();
    let mut rng = Rng(42);
    let mut valid = 0;
    for _ in 0..1000 {
        let text = mutate(&mut rng, base);
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        valid += 1;
        let mut registry = FieldRegistry::new();
        let mut binder = Binder::new(&schema, &mut registry);
        let _ = kql::filters::lower_filters(&json, &mut binder, &KqlOptions::default());
    }
    assert!(valid > 50, "only {valid} mutations were JSON");
}
