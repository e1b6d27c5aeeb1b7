//! Differential tests: the scanner behind `event::parse_event` (one-shot and
//! through a reused `Parser`) against the serde_json reference
//! (`event::json::reference::parse_event`), with the check the `event_parse`
//! fuzz target runs (`support/compare.rs`). For every input and registry all
//! must give the same result: the same entries (floats compared bit for bit,
//! strings borrowed or owned alike), the same index, id and `_source` slice,
//! or the same error.
//!
//! Inputs: every document of the shared corpus and the examples (also as
//! search hits and pretty-printed), hand-written edge cases, numbers of every
//! shape, and deterministic random mutations of all of them.

#[path = "../benches/support/compare.rs"]
mod compare;
#[path = "../benches/support/corpus.rs"]
mod corpus;

use compare::{same_outcome, Agreed};
use event::json::Parser;
use event::{parse_event, FieldRegistry};

fn registry(paths: &[impl AsRef<str>]) -> FieldRegistry {
    let mut r = FieldRegistry::new();
    for p in paths {
        r.intern(p.as_ref());
    }
    r
}

/// The registries every input is parsed with: the catalogue's fields, every
/// path of the corpus (so that everything is visited), a few fields, odd paths
/// (empty segments, dots, non-ASCII), and none.
fn registries(docs: &[String]) -> Vec<(&'static str, FieldRegistry)> {
    vec![
        ("catalogue", registry(&corpus::catalogue_fields())),
        ("all paths", registry(&corpus::document_paths(docs))),
        (
            "few",
            registry(&["process.name", "_index", "_id", "_source", "a", "n"]),
        ),
        (
            "odd",
            registry(&[
                "",
                ".a",
                "a..b",
                "a.",
                "a",
                "a.b",
                "a.b.c",
                "x.y",
                "é.ü",
                "n",
                "s",
                "k\"q",
                "process.parent.name",
                "_source.a",
                "hits.hits",
            ]),
        ),
        ("none", FieldRegistry::new()),
    ]
}

/// Counts of what the parsers agreed on, and the reused parser every check runs.
#[derive(Default)]
struct Tally {
    parsed: usize,
    ok: usize,
    err: usize,
    entries: usize,
    parser: Parser,
}

impl std::fmt::Debug for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tally")
            .field("parsed", &self.parsed)
            .field("ok", &self.ok)
            .field("err", &self.err)
            .field("entries", &self.entries)
            .finish()
    }
}

/// Parses `text` every way ([`compare::check`]) with every registry; panics on
/// the first difference.
fn check(text: &str, registries: &[(&str, FieldRegistry)], tally: &mut Tally) {
    for (name, r) in registries {
        match compare::check(text, r, &mut tally.parser) {
            Ok(Agreed::Event(entries)) => {
                tally.ok += 1;
                tally.entries += entries;
            }
            Ok(Agreed::Error) => tally.err += 1,
            Err(difference) => panic!("registry {name}, input {text:?}\n{difference}"),
        }
        tally.parsed += 1;
    }
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'s, T>(&mut self, items: &'s [T]) -> &'s T {
        &items[self.below(items.len())]
    }
}

/// Values and fragments that exercise the parser's edge cases.
const INTERESTING: &[&str] = &[
    "1e400",
    "-1e400",
    "1e-400",
    "-0",
    "-0.0",
    "0",
    "0.0",
    "-9223372036854775808",
    "-9223372036854775809",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "1.7976931348623157e308",
    "1.7976931348623159e308",
    "4.9e-324",
    "2.4703282292062327e-324",
    "2.4703282292062328e-324",
    "123456789012345678901234567890.5e-10",
    "0.1",
    "1E+2",
    "1e",
    "01",
    "1.",
    ".5",
    "-",
    "+1",
    "1e99999999999",
    "0e99999999999",
    "1e-99999999999",
    r#""\ud800""#,
    r#""\udc00""#,
    r#""\ud83d\ude00""#,
    r#""\ud83d""#,
    r#""\ud83dx""#,
    r#""\ud83d\u0041""#,
    r#""\ud83d\n""#,
    r#""\u00e9\u20AC""#,
    r#""\x""#,
    r#""\u00G0""#,
    r#""\u12""#,
    r#""a\u0000b""#,
    "\"a\u{1}b\"",
    "\"é€😀\"",
    r#""C:\\Windows\\System32""#,
    r#""\"\/\b\f\n\r\t""#,
    "[]",
    "{}",
    "[[[[1]]]]",
    r#"{"a":{"b":1}}"#,
    r#"[{"a":1},{"a":[2,null]}]"#,
    "null",
    "true",
    "false",
    "nul",
    "tru",
    "fals",
    "[1,]",
    r#"{"a":1,}"#,
    "[1 2]",
    r#"{"a" 1}"#,
    r#"{1:2}"#,
    r#""_source""#,
    r#"{"_source":{"a":1}}"#,
    " \t\r\n ",
    "\u{a0}",
    "\u{c}",
];

const INTERESTING_BYTES: &[&str] = &[
    "\"", "\\", "{", "}", "[", "]", ",", ":", " ", "\n", "\t", "\u{1}", "0", "9", "-", "+", "e",
    ".", "u", "n", "é", "\u{a0}", "x",
];

/// One random edit of `text`: a byte deleted, inserted, replaced, a span
/// duplicated, the text cut, or a value replaced by an interesting one.
fn mutate(text: &str, rng: &mut Rng) -> Option<String> {
    let mut bytes = text.as_bytes().to_vec();
    let len = bytes.len();
    let at = rng.below(len + 1);
    match rng.below(8) {
        0 if len > 0 => {
            bytes.remove(at.min(len - 1));
        }
        1 => {
            let ins = rng.pick(INTERESTING_BYTES).as_bytes();
            bytes.splice(at..at, ins.iter().copied());
        }
        2 if len > 0 => {
            let ins = rng.pick(INTERESTING_BYTES).as_bytes();
            let at = at.min(len - 1);
            bytes.splice(at..at + 1, ins.iter().copied());
        }
        3 => {
            let end = (at + rng.below(64)).min(len);
            let span = bytes[at..end].to_vec();
            bytes.splice(end..end, span);
        }
        4 => bytes.truncate(at),
        5 | 6 => {
            // Replace the value after a random `:` (up to the next `,` `}` `]`).
            let colons: Vec<usize> = (0..len).filter(|&i| bytes[i] == b':').collect();
            if colons.is_empty() {
                return None;
            }
            let start = *rng.pick(&colons) + 1;
            let end = (start..len)
                .find(|&i| matches!(bytes[i], b',' | b'}' | b']'))
                .unwrap_or(len);
            let value = rng.pick(INTERESTING).as_bytes();
            bytes.splice(start..end, value.iter().copied());
        }
        _ => {
            let i = rng.below(len);
            let j = rng.below(len);
            if i < len && j < len {
                bytes.swap(i, j);
            }
        }
    }
    String::from_utf8(bytes).ok()
}

/// Documents as lines, as search hits, and pretty-printed (whitespace between
/// every token).
fn inputs() -> Vec<String> {
    let docs = corpus::all_documents();
    let mut out = docs.clone();
    for (i, d) in docs.iter().enumerate() {
        out.push(format!(
            r#"{{"_index":".ds-logs-{i}","_id":"id\u00e9{i}","_score":1.0,"_source":{d}}}"#
        ));
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(d) {
            out.push(serde_json::to_string_pretty(&v).expect("pretty"));
        }
    }
    out
}

#[test]
fn scanner_agrees_with_reference_on_corpus_and_mutations() {
    let docs = inputs();
    let registries = registries(&docs);
    let mut tally = Tally::default();
    for d in &docs {
        check(d, &registries, &mut tally);
    }
    let clean = Tally { ..tally };
    let rounds: usize = std::env::var("PARSE_DIFF_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut mutated = 0;
    let mut tally = Tally::default();
    for d in &docs {
        let mut current = d.clone();
        for _ in 0..rounds {
            // Chains of edits: each mutant is mutated again half of the time.
            let base = if rng.below(2) == 0 { d } else { &current };
            if let Some(m) = mutate(base, &mut rng) {
                check(&m, &registries, &mut tally);
                mutated += 1;
                current = m;
            }
        }
    }
    println!(
        "corpus inputs: {} ({:?}); mutants: {mutated} ({:?})",
        docs.len(),
        clean,
        tally
    );
    // Floors: the corpus is all valid, with many fields found; mutations must
    // produce both valid and invalid documents in quantity.
    assert_eq!(clean.err, 0, "every corpus document is valid JSON");
    assert!(docs.len() >= 600, "corpus inputs: {}", docs.len());
    assert!(clean.entries >= 25_000, "entries found: {}", clean.entries);
    assert!(tally.ok >= 10_000 && tally.err >= 10_000, "{tally:?}");
}

/// Hand-written edge cases, each checked with every registry.
#[test]
fn scanner_agrees_with_reference_on_edge_cases() {
    let registries = registries(&[]);
    let deep = |n: usize, inner: &str| format!("{}{inner}{}", "[".repeat(n), "]".repeat(n));
    let deep_obj = |n: usize| format!("{}1{}", r#"{"a":"#.repeat(n), "}".repeat(n));
    let mut cases: Vec<String> = [
        r#"{}"#,
        r#" {} "#,
        "\t{\n}\r\n",
        r#"{"a":1}"#,
        r#"{"a" : 1 , "b" : [ 1 , 2 ] }"#,
        r#"{"a":"\u00e9\ud83d\ude00\n"}"#,
        r#"{"a":"\ud83d"}"#,
        r#"{"a":"\udc00"}"#,
        r#"{"z":"\ud83d","y":"\udc00x"}"#,
        r#"{"a\u002eb":1,"a":{"b.c":2},"a.b":{"c":3}}"#,
        r#"{"process.parent":{"name":"a"},"process":{"parent.name":"b"},"process.parent.name":"c"}"#,
        r#"{"process":{"parent":{"name":["x",["y",null],{"z":1}]}}}"#,
        r#"{"":1,"":{"a":2,".a":3},".a":4,"a..b":5,"a.":{"":6},"a":{".b":7}}"#,
        r#"{"a":{"b":{"c":1}},"a":{"b":[{"c":2},{"c":[3,4]}]}}"#,
        r#"{"a":-0,"n":-0.0,"s":"-0"}"#,
        r#"{"a":1e400}"#,
        r#"{"x":1e400}"#,
        r#"{"a":[1,1.5,-1,18446744073709551615,18446744073709551616,-9223372036854775808]}"#,
        r#"{"a":true,"a":false,"a":null,"a":"t"}"#,
        r#"{"_index":"i","_id":"d","_source":{"a":1},"a":2}"#,
        r#"{"a":2,"_source":{"a":1}}"#,
        r#"{"_source":{"a":1},"_source":{"a":3}}"#,
        r#"{"_source":[{"a":1},{"a":2}]}"#,
        r#"{"_source":"a"}"#,
        r#"{"_source":null,"_index":null,"_id":null}"#,
        r#"{"_index":5}"#,
        r#"{"_id":[]}"#,
        r#"{"_index":"a\"b","_id":"\u0041"}"#,
        r#"{"_source":{"a":"\ud800"}}"#,
        r#"{"_source":{"x":"\ud800"}}"#,
        r#"{"_source":{"a":1e999}}"#,
        r#"{"_sourc\u0065":{"a":1}}"#,
        r#"{"hits":{"hits":[{"_source":{"a":1}}]}}"#,
        r#"{"k\"q":1,"k\\q":2}"#,
        r#"{"é":{"ü":"ok"},"é.ü":"ok2"}"#,
        r#"{"a":{"b":{}},"a":{"b":[]},"a":[]}"#,
        r#"{"a":1}x"#,
        r#"{"a":1}}"#,
        r#"{"a":1} {}"#,
        r#"{"a":1,}"#,
        r#"{"a":[1,]}"#,
        r#"{"x":[1,]}"#,
        r#"{"a":[,1]}"#,
        r#"{"a":01}"#,
        r#"{"x":01}"#,
        r#"{"a":1.}"#,
        r#"{"a":.1}"#,
        r#"{"a":1e}"#,
        r#"{"a":1e+}"#,
        r#"{"a":-}"#,
        r#"{"a":+1}"#,
        r#"{"a":"\x"}"#,
        r#"{"x":"\x"}"#,
        r#"{"x":"\ud800"}"#,
        r#"{"x":{"\ud800":1}}"#,
        r#"{"a":{"\ud800":1}}"#,
        r#"{"\ud800":1}"#,
        r#"{"a":"\u12"}"#,
        r#"{"a":"\u12G4"}"#,
        "{\"a\":\"\u{1}\"}",
        "{\"x\":\"\u{1f}\"}",
        "{\"a\":\"\u{7f}\"}",
        "{\"a\u{0}\":1}",
        r#"{"a":nul}"#,
        r#"{"a":nulll}"#,
        r#"{"a":True}"#,
        r#"{a:1}"#,
        r#"{"a"}"#,
        r#"{"a":}"#,
        r#"{"a":1"#,
        r#"{"a":"#,
        r#"{"a"#,
        r#"{"#,
        r#"{"a":[1,2"#,
        r#"{"x":[1,2"#,
        r#"{"x":{"y":"#,
        "",
        "   ",
        "[1]",
        "\"a\"",
        "5",
        "-5",
        "1.5",
        "-0",
        "1e400",
        "null",
        "true",
        "nul",
        "x",
        "\u{a0}{}",
        "\u{c}{}",
        "\u{c}[1]",
        "\u{feff}{}",
        "{}\u{a0}",
        "{}\u{c}",
        "{\"a\":1}\n\n",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for n in [1, 100, 125, 126, 127, 128, 200, 5000] {
        cases.push(format!(r#"{{"a":{}}}"#, deep(n, "1")));
        cases.push(format!(r#"{{"x":{}}}"#, deep(n, "1")));
        cases.push(format!(r#"{{"a":{}}}"#, deep(n, "")));
        cases.push(format!(r#"{{"_source":{{"a":{}}}}}"#, deep(n, "1")));
        cases.push(format!(r#"{{"x":{}}}"#, deep(n, "").replace("]]", "]")));
        cases.push(deep_obj(n));
    }
    let mut tally = Tally::default();
    for c in &cases {
        check(c, &registries, &mut tally);
    }
    println!("edge cases: {} ({tally:?})", cases.len());
    assert!(tally.ok > 100 && tally.err > 300, "{tally:?}");
}

/// Numbers of every shape, at a visited path (typed and range-checked) and at
/// a skipped one (grammar only).
#[test]
fn numbers_are_typed_and_rounded_like_the_reference() {
    let registries = vec![("n", registry(&["n"]))];
    let mut rng = Rng(0xF10A_7000_0000_0001);
    let digits = |rng: &mut Rng, n: usize| -> String {
        (0..n)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect()
    };
    let mut tally = Tally::default();
    for round in 0..20_000 {
        let number = match round % 6 {
            // Plain integers of any length.
            0 => format!("{}{}", rng.pick(&["", "-"]), {
                let n = 1 + rng.below(25);
                let d = digits(&mut rng, n);
                d.trim_start_matches('0').to_string() + "1"
            }),
            // Decimals with exponents, long mantissas.
            1 => {
                let (a, b) = (1 + rng.below(30), 1 + rng.below(30));
                format!(
                    "{}{}.{}e{}{}",
                    rng.pick(&["", "-"]),
                    rng.below(10),
                    digits(&mut rng, a.max(b)),
                    rng.pick(&["", "+", "-"]),
                    rng.below(330)
                )
            }
            // Shortest round-trip forms of random doubles, and one ulp-ish off.
            2 => {
                let f = f64::from_bits(rng.next() >> 1);
                if f.is_finite() {
                    format!("{f:e}")
                } else {
                    "1.0".into()
                }
            }
            // Near halfway between two doubles: many digits.
            3 => {
                let f = f64::from_bits(rng.next() >> 2);
                let s = format!("{:.25e}", f);
                let n = 1 + rng.below(40);
                s.replacen('e', &format!("{}e", digits(&mut rng, n)), 1)
            }
            // Huge or tiny exponents.
            4 => {
                let n = 1 + rng.below(3);
                format!(
                    "{}1e{}{}",
                    digits(&mut rng, n).trim_start_matches('0'),
                    rng.pick(&["", "-"]),
                    280 + rng.below(60)
                )
            }
            _ => rng.pick(INTERESTING).to_string(),
        };
        check(
            &format!(r#"{{"n":{number},"m":[{number}]}}"#),
            &registries,
            &mut tally,
        );
    }
    println!("numbers: {tally:?}");
    assert!(tally.ok > 15_000 && tally.err > 100, "{tally:?}");
}

/// A reused `Parser` (events recycled) gives what a fresh parse gives.
#[test]
fn a_reused_parser_gives_the_same_events() {
    let docs = inputs();
    let r = registry(&corpus::catalogue_fields());
    let mut parser = Parser::new();
    let mut found = 0;
    for d in &docs {
        let fresh = parse_event(d, &r);
        let reused = parser.parse(d, &r);
        assert!(same_outcome(&fresh, &reused), "{d}");
        if let Ok(e) = reused {
            found += e.entries().len();
            parser.recycle(e);
        }
    }
    assert!(found > 5_000, "{found}");
}

/// Keys of every length from 0 to 40 bytes (around the 8- and 16-byte words
/// a key is compared by, and the 16-byte blocks its end is searched in),
/// registered or differing from a registered path in one byte at the start,
/// the middle or the end, at the top level and nested, with the document
/// ending right after the key (where fewer than eight bytes follow it) or
/// not, pretty or compact, and mutated: a reused parser (whose memo answers
/// most keys) and the reference must agree on all of them.
#[test]
fn keys_of_every_length_and_position_agree_with_reference() {
    let base = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH";
    let mut paths = Vec::new();
    let mut keys = Vec::new();
    for len in 0..=40 {
        let key = &base[..len];
        paths.push(key.to_string());
        paths.push(format!("p.{key}"));
        keys.push(key.to_string());
        for at in [0, len / 2, len.saturating_sub(1)] {
            if at < len {
                let mut other = key.as_bytes().to_vec();
                other[at] = b'_';
                keys.push(String::from_utf8(other).expect("ascii"));
            }
        }
        keys.push(format!("{key}x"));
    }
    let registries = [
        ("lengths", registry(&paths)),
        ("few", registry(&["p.abc", "abcdefgh"])),
    ];
    let mut docs = Vec::new();
    for k in &keys {
        docs.push(format!(r#"{{"{k}":1}}"#));
        docs.push(format!(r#"{{"{k}":"v","z":2}}"#));
        docs.push(format!(r#"{{"p":{{"{k}":"v"}}}}"#));
        docs.push(format!(
            r#"{{"p":{{"a":1,"{k}":[1,"w"]}},"{k}":{{"{k}":null}}}}"#
        ));
        docs.push(format!("{{ \"p\" : {{ \"{k}\" :\n\"v\" }} }}"));
        docs.push(format!(r#"{{"p.{k}":true}}"#));
    }
    let mut tally = Tally::default();
    let mut rng = Rng(0x5EED_0000_4B45_5953);
    // Twice: the second round finds the keys remembered.
    for _ in 0..2 {
        for d in &docs {
            check(d, &registries, &mut tally);
            for _ in 0..4 {
                if let Some(m) = mutate(d, &mut rng) {
                    check(&m, &registries, &mut tally);
                }
            }
        }
    }
    println!("key lengths: {tally:?}");
    assert!(tally.ok > 5_000 && tally.err > 500, "{tally:?}");
    assert!(tally.entries > 1_500, "{tally:?}");
}
