use super::*;
use crate::testutil::Fx;
use event::regex::LuceneRegex;
use event::wildcard::Pattern;
use ir::{Expr, RangeBound};

const MAPPING: &str = r#"{
    "kw": {"type": "keyword"},
    "short_kw": {"type": "keyword", "ignore_above": 5},
    "n": {"type": "long"},
    "i": {"type": "integer"},
    "d": {"type": "double"},
    "fl": {"type": "float"},
    "ts": {"type": "date"},
    "tsn": {"type": "date_nanos"},
    "addr": {"type": "ip"},
    "flag": {"type": "boolean"},
    "ver": {"type": "version"},
    "msg": {"type": "text"},
    "host": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}
}"#;

fn terms(v: &[&str], ci: bool) -> Test {
    Test::Terms {
        values: v.iter().map(|s| s.to_string()).collect(),
        case_insensitive: ci,
    }
}

fn range(lo: Option<(RangeValue, bool)>, hi: Option<(RangeValue, bool)>) -> Test {
    let b =
        |x: Option<(RangeValue, bool)>| x.map(|(value, inclusive)| RangeBound { value, inclusive });
    Test::Range {
        lower: b(lo),
        upper: b(hi),
    }
}

/// Evaluates `test` on field `name` of each document; returns which matched.
fn run(fx: &mut Fx, name: &str, test: Test, docs: &[&str]) -> Vec<bool> {
    let field = fx.f(name);
    let pred = Pred::field(field, test);
    docs.iter()
        .map(|d| eval(&pred, &fx.ev(d)).unwrap())
        .collect()
}

#[test]
fn keyword_terms_are_exact_and_case_sensitive_unless_asked() {
    let mut fx = Fx::new(MAPPING);
    let docs = [
        r#"{"kw":"cmd.exe"}"#,
        r#"{"kw":"CMD.EXE"}"#,
        r#"{"kw":["a","cmd.exe"]}"#,
        r#"{}"#,
        r#"{"kw":null}"#,
    ];
    assert_eq!(
        run(&mut fx, "kw", terms(&["cmd.exe"], false), &docs),
        [true, false, true, false, false]
    );
    assert_eq!(
        run(&mut fx, "kw", terms(&["cmd.exe"], true), &docs),
        [true, true, true, false, false]
    );
    assert_eq!(
        run(&mut fx, "kw", Test::Exists, &docs),
        [true, true, true, false, false]
    );
}

#[test]
fn numbers_in_keyword_fields_are_their_text() {
    // A JSON number in a keyword field is indexed as its text; a numeric
    // term on a keyword field is the number's text.
    let mut fx = Fx::new(MAPPING);
    let docs = [
        r#"{"kw":123}"#,
        r#"{"kw":"123"}"#,
        r#"{"kw":1.0}"#,
        r#"{"kw":true}"#,
    ];
    assert_eq!(
        run(&mut fx, "kw", Test::Numbers(vec![Number::Int(123)]), &docs),
        [true, true, false, false]
    );
    assert_eq!(
        run(&mut fx, "kw", terms(&["1.0"], false), &docs),
        [false, false, true, false]
    );
    assert_eq!(
        run(&mut fx, "kw", Test::Bool(true), &docs),
        [false, false, false, true]
    );
}

#[test]
fn ignore_above_values_are_not_indexed() {
    // Values longer than ignore_above are neither indexed nor doc-valued:
    // no term, wildcard or exists query sees them (ES reference, mapping
    // parameter `ignore_above`; `exists` finds no indexed value).
    let mut fx = Fx::new(MAPPING);
    let docs = [
        r#"{"short_kw":"abcde"}"#,
        r#"{"short_kw":"abcdef"}"#,
        r#"{"short_kw":["abcdef","x"]}"#,
    ];
    assert_eq!(
        run(&mut fx, "short_kw", terms(&["abcdef"], false), &docs),
        [false, false, false]
    );
    assert_eq!(
        run(
            &mut fx,
            "short_kw",
            Test::Wildcards(vec![Pattern::new("abc*", false)]),
            &docs
        ),
        [true, false, false]
    );
    assert_eq!(
        run(&mut fx, "short_kw", Test::Exists, &docs),
        [true, false, true]
    );
}

#[test]
fn wildcards_and_regexes_on_keywords() {
    let mut fx = Fx::new(MAPPING);
    let docs = [
        r#"{"kw":"C:\\Windows\\cmd.exe"}"#,
        r#"{"kw":"c:\\windows\\CMD.EXE"}"#,
    ];
    let w = Test::Wildcards(vec![Pattern::new("C:\\Windows\\*.exe", false)]);
    assert_eq!(run(&mut fx, "kw", w, &docs), [true, false]);
    let wi = Test::Wildcards(vec![Pattern::new("*\\cmd.exe", true)]);
    assert_eq!(run(&mut fx, "kw", wi, &docs), [true, true]);
    let r = Test::Regexes(vec![LuceneRegex::new(".*cmd\\.exe", false).unwrap()]);
    assert_eq!(run(&mut fx, "kw", r, &docs), [true, false]);
}

#[test]
fn integer_fields_coerce_and_reject_fractional_queries() {
    // coerce truncates 1.9 → 1; a term with a decimal part on an integer field
    // matches nothing (NumberFieldMapper: hasDecimalPart).
    let mut fx = Fx::new(MAPPING);
    let docs = [
        r#"{"n":1}"#,
        r#"{"n":"1"}"#,
        r#"{"n":1.9}"#,
        r#"{"n":"x"}"#,
        r#"{"n":[5,1]}"#,
    ];
    assert_eq!(
        run(&mut fx, "n", Test::Numbers(vec![Number::Int(1)]), &docs),
        [true, true, true, false, true]
    );
    assert_eq!(
        run(&mut fx, "n", Test::Numbers(vec![Number::Float(1.0)]), &docs),
        [true, true, true, false, true]
    );
    assert_eq!(
        run(&mut fx, "n", Test::Numbers(vec![Number::Float(1.5)]), &docs),
        [false; 5]
    );
    assert_eq!(
        run(&mut fx, "n", terms(&["1"], false), &docs),
        [true, true, true, false, true]
    );
    assert_eq!(
        run(&mut fx, "n", Test::Exists, &docs),
        [true, true, true, false, true]
    );
    let gt = range(Some((RangeValue::Number(Number::Float(1.5)), false)), None);
    assert_eq!(
        run(&mut fx, "n", gt, &docs),
        [false, false, false, false, true]
    );
}

#[test]
fn float_fields_compare_in_single_precision() {
    let mut fx = Fx::new(MAPPING);
    let docs = [r#"{"fl":0.1}"#, r#"{"d":0.1}"#];
    assert_eq!(
        run(
            &mut fx,
            "fl",
            Test::Numbers(vec![Number::Float(0.1)]),
            &docs
        ),
        [true, false]
    );
    assert_eq!(
        run(&mut fx, "d", Test::Numbers(vec![Number::Float(0.1)]), &docs),
        [false, true]
    );
    assert_eq!(
        run(
            &mut fx,
            "fl",
            Test::Numbers(vec![Number::Float(0.100_000_001)]),
            &docs
        ),
        [true, false]
    );
}

#[test]
fn numeric_ranges_with_mixed_bounds() {
    let mut fx = Fx::new(MAPPING);
    let docs = [r#"{"d":2.5}"#, r#"{"d":3}"#, r#"{"d":4}"#];
    let r = range(
        Some((RangeValue::Number(Number::Int(3)), true)),
        Some((RangeValue::Str("4".into()), false)),
    );
    assert_eq!(run(&mut fx, "d", r, &docs), [false, true, false]);
}

#[test]
fn date_terms_cover_the_unit_they_name() {
    // `term` on a date is [round down, round up]: "…:33Z" covers the whole
    // second (DateFieldType.termQuery → rangeQuery with roundUp).
    let mut fx = Fx::new(MAPPING);
    let docs = [
        r#"{"ts":"2017-08-30T20:47:33Z"}"#,
        r#"{"ts":"2017-08-30T20:47:33.999Z"}"#,
        r#"{"ts":"2017-08-30T20:47:34Z"}"#,
        r#"{"ts":1504126053000}"#,
    ];
    assert_eq!(
        run(
            &mut fx,
            "ts",
            terms(&["2017-08-30T20:47:33Z"], false),
            &docs
        ),
        [true, true, false, true]
    );
    assert_eq!(
        run(
            &mut fx,
            "ts",
            Test::Numbers(vec![Number::Int(1504126053000)]),
            &docs
        ),
        [true, false, false, true]
    );
    let lt = range(
        None,
        Some((RangeValue::Str("2017-08-30T20:47:33Z".into()), false)),
    );
    assert_eq!(run(&mut fx, "ts", lt, &docs), [false, false, false, false]);
    let lte = range(
        None,
        Some((RangeValue::Str("2017-08-30T20:47:33Z".into()), true)),
    );
    assert_eq!(run(&mut fx, "ts", lte, &docs), [true, true, false, true]);
    let gt = range(
        Some((RangeValue::Str("2017-08-30T20:47:33Z".into()), false)),
        None,
    );
    assert_eq!(run(&mut fx, "ts", gt, &docs), [false, false, true, false]);
}

#[test]
fn date_fields_keep_milliseconds_date_nanos_keep_nanoseconds() {
    let mut fx = Fx::new(MAPPING);
    let ms = range(Some((RangeValue::Date(1_500_000), false)), None);
    let d = [r#"{"ts":"1970-01-01T00:00:00.0015Z","tsn":"1970-01-01T00:00:00.0015Z"}"#];
    assert_eq!(run(&mut fx, "ts", ms.clone(), &d), [false]);
    assert_eq!(run(&mut fx, "tsn", ms, &d), [false]);
    let lower = range(Some((RangeValue::Date(1_400_000), false)), None);
    assert_eq!(run(&mut fx, "ts", lower.clone(), &d), [false]);
    assert_eq!(run(&mut fx, "tsn", lower, &d), [true]);
}

#[test]
fn ip_fields_match_addresses_blocks_and_ranges() {
    let mut fx = Fx::new(MAPPING);
    let docs = [
        r#"{"addr":"10.6.48.157"}"#,
        r#"{"addr":"::ffff:10.0.0.1"}"#,
        r#"{"addr":"192.168.1.1"}"#,
        r#"{"addr":"nope"}"#,
    ];
    let net = |s: &str| s.parse::<ipnet::IpNet>().unwrap();
    assert_eq!(
        run(
            &mut fx,
            "addr",
            Test::IpNets(vec![net("10.0.0.0/8")]),
            &docs
        ),
        [true, true, false, false]
    );
    assert_eq!(
        run(&mut fx, "addr", terms(&["10.0.0.1"], false), &docs),
        [false, true, false, false]
    );
    assert_eq!(
        run(&mut fx, "addr", terms(&["192.168.0.0/16"], false), &docs),
        [false, false, true, false]
    );
    let r = range(
        Some((RangeValue::Str("10.0.0.0".into()), true)),
        Some((RangeValue::Str("10.255.255.255".into()), true)),
    );
    assert_eq!(run(&mut fx, "addr", r, &docs), [true, true, false, false]);
    assert_eq!(
        run(
            &mut fx,
            "addr",
            Test::Wildcards(vec![Pattern::new("10.*", false)]),
            &docs
        ),
        [false; 4]
    );
}

#[test]
fn booleans_accept_json_and_text_forms() {
    let mut fx = Fx::new(MAPPING);
    let docs = [
        r#"{"flag":true}"#,
        r#"{"flag":"false"}"#,
        r#"{"flag":""}"#,
        r#"{"flag":"yes"}"#,
    ];
    assert_eq!(
        run(&mut fx, "flag", Test::Bool(false), &docs),
        [false, true, true, false]
    );
    assert_eq!(
        run(&mut fx, "flag", terms(&["true"], false), &docs),
        [true, false, false, false]
    );
}

#[test]
fn version_ranges_use_semver_precedence() {
    let mut fx = Fx::new(MAPPING);
    let docs = [
        r#"{"ver":"1.2.4"}"#,
        r#"{"ver":"1.11.3"}"#,
        r#"{"ver":"bad"}"#,
        r#"{"ver":"1.2.4-SNAPSHOT"}"#,
    ];
    let lt = range(None, Some((RangeValue::Str("1.5.0".into()), false)));
    assert_eq!(run(&mut fx, "ver", lt, &docs), [true, false, false, true]);
    let gt = range(Some((RangeValue::Str("1.5.0".into()), false)), None);
    assert_eq!(run(&mut fx, "ver", gt, &docs), [false, true, true, false]);
    assert_eq!(
        run(&mut fx, "ver", terms(&["bad"], false), &docs),
        [false, false, true, false]
    );
}

#[test]
fn text_fields_match_analysed_tokens() {
    let mut fx = Fx::new(MAPPING);
    let docs = [
        r#"{"msg":"User Logged ON from host"}"#,
        r#"{"msg":"logged"}"#,
        r#"{"msg":"on from"}"#,
    ];
    let t = |tokens: &[&str], mode| Test::Text {
        tokens: tokens.iter().map(|s| s.to_string()).collect(),
        mode,
    };
    assert_eq!(
        run(
            &mut fx,
            "msg",
            t(&["logged", "zzz"], TextMode::AnyToken),
            &docs
        ),
        [true, true, false]
    );
    assert_eq!(
        run(
            &mut fx,
            "msg",
            t(&["logged", "on"], TextMode::Phrase),
            &docs
        ),
        [true, false, false]
    );
    assert_eq!(
        run(&mut fx, "msg", t(&[], TextMode::Phrase), &docs),
        [false, false, false]
    );
    let w = TextMode::TokenWildcard(Pattern::new("fr*", false));
    assert_eq!(run(&mut fx, "msg", t(&[], w), &docs), [true, false, true]);
    assert_eq!(
        run(&mut fx, "msg", terms(&["User"], false), &docs),
        [false, false, false]
    );
    assert_eq!(
        run(&mut fx, "msg", terms(&["user"], false), &docs),
        [true, false, false]
    );
}

#[test]
fn text_with_keyword_subfield_compares_exactly_through_it() {
    let mut fx = Fx::new(MAPPING);
    let docs = [r#"{"host":"Web-01"}"#];
    assert_eq!(
        run(&mut fx, "host", terms(&["Web-01"], false), &docs),
        [true]
    );
    assert_eq!(run(&mut fx, "host", terms(&["web"], false), &docs), [false]);
}

#[test]
fn unmapped_fields_follow_the_json_value() {
    // Dynamic mapping: strings are keywords (a numeric term compares the
    // text), numbers are numbers, booleans are booleans.
    let mut fx = Fx::new(MAPPING);
    let docs = [
        r#"{"x":"5"}"#,
        r#"{"x":5}"#,
        r#"{"x":5.0}"#,
        r#"{"x":"5.0"}"#,
        r#"{"x":true}"#,
    ];
    assert_eq!(
        run(&mut fx, "x", Test::Numbers(vec![Number::Int(5)]), &docs),
        [true, true, true, false, false]
    );
    assert_eq!(
        run(&mut fx, "x", terms(&["5"], false), &docs),
        [true, true, true, false, false]
    );
    assert_eq!(
        run(&mut fx, "x", Test::Bool(true), &docs),
        [false, false, false, false, true]
    );
    assert_eq!(
        run(
            &mut fx,
            "x",
            Test::Wildcards(vec![Pattern::new("5*", false)]),
            &docs
        ),
        [true, false, false, true, false]
    );
}

#[test]
fn string_ranges_are_bytewise() {
    let mut fx = Fx::new(MAPPING);
    let docs = [r#"{"kw":"B"}"#, r#"{"kw":"a"}"#, r#"{"kw":"é"}"#];
    let r = range(Some((RangeValue::Str("Z".into()), false)), None);
    assert_eq!(run(&mut fx, "kw", r, &docs), [false, true, true]);
}

#[test]
fn not_is_must_not_and_true_for_missing_fields() {
    let mut fx = Fx::new(MAPPING);
    let f = fx.f("kw");
    let p = Pred::not(Pred::field(f, terms(&["a"], false)));
    let got: Vec<bool> = [
        r#"{"kw":"a"}"#,
        r#"{"kw":"b"}"#,
        r#"{}"#,
        r#"{"kw":["a","b"]}"#,
    ]
    .iter()
    .map(|d| eval(&p, &fx.ev(d)).unwrap())
    .collect();
    // must_not excludes a document where ANY value matches.
    assert_eq!(got, [false, true, true, false]);
}

#[test]
fn and_or_run_field_tests_before_scripts() {
    // `n == 0 and 1 / n == 1`: Lucene evaluates the script only where the
    // term matched, so the division never runs on n == 0 documents... and
    // conversely here the script would fail on n == 0 if it ran first.
    let mut fx = Fx::new(MAPPING);
    let n = fx.f("n");
    let div = Expr::Compare {
        op: ir::CmpOp::Eq,
        left: Box::new(Expr::Arith {
            op: ir::ArithOp::Div,
            left: Box::new(Expr::Literal(ir::Val::Long(1))),
            right: Box::new(Expr::Field(n.clone())),
        }),
        right: Box::new(Expr::Literal(ir::Val::Long(1))),
    };
    let guard = Pred::field(n, Test::Numbers(vec![Number::Int(1)]));
    let p = Pred::And(vec![Pred::Script(div.clone()), guard]);
    assert_eq!(eval(&p, &fx.ev(r#"{"n":0}"#)), Ok(false));
    assert_eq!(eval(&p, &fx.ev(r#"{"n":1}"#)), Ok(true));
    assert_eq!(
        eval(&Pred::Script(div), &fx.ev(r#"{"n":0}"#)),
        Err(crate::EvalError::DivisionByZero)
    );
}
