//! No input makes the front end panic: a few thousand deterministic random and
//! mutated queries go through parse → print → reparse → lower. (The cargo-fuzz
//! target `fuzz/fuzz_targets/eql_parse.rs` does the same with coverage guidance.)

use event::{FieldRegistry, Schema};

const SEEDS: &[&str] = &[
    r#"process where process.name : ("cmd.exe", "*.ps1") and not process.args : "-enc*""#,
    r#"sequence by host.id with maxspan=1m [process where event.type == "start"] by process.pid with runs=2 ![file where true] by process.pid until [process where event.type == "end"] by process.pid | head 5"#,
    r#"sample by user.name [authentication where event.outcome == "failure"] [authentication where event.outcome == "success"]"#,
    r#"any where cidrMatch(source.ip, "10.0.0.0/8") or length(between~(process.command_line, "a", "b", true)) > -3 * (2 + x) % 4"#,
    r#"file where file.path regex~ """C:\\[a-z]+\\.*""" and ?file.size >= 1.5e3 and `weird field`.x != null"#,
    r#"network where destination.port in (80, 443) and startsWith~(url.full, "http") and concat(a, "\u{41}\t") like "x*""#,
];

const VOCAB: &[&str] = &[
    " ",
    "(",
    ")",
    "[",
    "]",
    "![",
    ",",
    ".",
    "?",
    ":",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "|",
    "and",
    "or",
    "not",
    "in",
    "in~",
    "like",
    "like~",
    "regex",
    "regex~",
    "where",
    "any",
    "sequence",
    "sample",
    "by",
    "with",
    "maxspan",
    "runs",
    "until",
    "join",
    "of",
    "true",
    "false",
    "null",
    "head",
    "tail",
    "\"",
    "\"\"\"",
    "'",
    "`",
    "\\",
    "\\u{",
    "}",
    "0",
    "1",
    "-1",
    "1.5",
    "1e9",
    "99999999999999999999",
    "process",
    "a",
    "a.b",
    "@ts",
    "length(",
    "cidrMatch(",
    "between~(",
    "substring(",
    "number(",
    "foo(",
    "\"x*\"",
    "\"10.0.0.0/8\"",
    "\n",
    "//",
    "/*",
    "*/",
    "é",
    "~",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, seed: &str) -> String {
    let mut chars: Vec<char> = seed.chars().collect();
    for _ in 0..1 + rng.below(2) {
        let at = rng.below(chars.len() + 1);
        match rng.below(4) {
            0 => {
                let end = (at + rng.below(8)).min(chars.len());
                chars.drain(at..end);
            }
            1 => {
                let word = VOCAB[rng.below(VOCAB.len())];
                chars.splice(at..at, word.chars());
            }
            2 if !chars.is_empty() => {
                let from = rng.below(chars.len());
                let end = (from + rng.below(20)).min(chars.len());
                let piece: Vec<char> = chars[from..end].to_vec();
                chars.splice(at..at, piece);
            }
            _ => chars.truncate(at),
        }
    }
    chars.into_iter().collect()
}

fn random_tokens(rng: &mut Rng) -> String {
    (0..rng.below(30))
        .map(|_| VOCAB[rng.below(VOCAB.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

fn exercise(text: &str, schema: &Schema) -> bool {
    let Ok(query) = eql::parse(text) else {
        return false;
    };
    let printed = eql::printer::query(&query);
    let again = eql::parse(&printed)
        .unwrap_or_else(|d| panic!("printed form of {text:?} does not parse: {printed:?} {d:?}"));
    assert_eq!(
        eql::printer::query(&again),
        printed,
        "printing {text:?} is not a fixed point"
    );
    let _ = query.fields();
    let mut registry = FieldRegistry::new();
    let mut binder = ir::Binder::new(schema, &mut registry);
    let _ = eql::lower(&query, &mut binder, &eql::EqlOptions::default());
    true
}

#[test]
fn random_and_mutated_queries_never_panic() {
    let schema = Schema::ecs();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut parsed = 0;
    let total = 6000;
    for i in 0..total {
        let text = if i % 3 == 0 {
            random_tokens(&mut rng)
        } else {
            let seed = SEEDS[rng.below(SEEDS.len())];
            mutate(&mut rng, seed)
        };
        if exercise(&text, &schema) {
            parsed += 1;
        }
    }
    for seed in SEEDS {
        assert!(exercise(seed, &schema), "seed does not parse: {seed}");
    }
    println!("robustness: {parsed}/{total} random inputs parsed");
    // The mutations must keep a useful share of inputs parseable, or the test
    // would only exercise the lexer's error paths.
    assert!(parsed > 600, "only {parsed} inputs parsed");
}
