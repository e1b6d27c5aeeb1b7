//! KQL parsing: the tree Kibana's grammar builds (cases from Kibana's
//! `packages/kbn-es-query/src/kuery/ast/ast.test.ts` and the grammar's
//! escape rules), spans, the nesting limit, and printer round trips.

mod support;

#[path = "support/sexp.rs"]
mod sexp;

use kql::ast::{Expr, Values};

fn tree(q: &str) -> String {
    match kql::parse(q) {
        Ok(ast) => sexp::sexp(&ast),
        Err(d) => panic!("{q:?}: {}", d.0[0].message),
    }
}

#[test]
fn kibana_ast_cases() {
    let cases = [
        ("  ", "(is * *)"),
        ("", "(is * *)"),
        ("foo", "(is null foo)"),
        ("  foo ", "(is null foo)"),
        ("foo bar", "(is null foo bar)"),
        ("foo and bar", "(and (is null foo) (is null bar))"),
        ("foo and\u{a0}bar", "(and (is null foo) (is null bar))"),
        ("foo or bar", "(or (is null foo) (is null bar))"),
        ("foo and bar and baz", "(and (is null foo) (is null bar) (is null baz))"),
        ("foo or bar or baz", "(or (is null foo) (is null bar) (is null baz))"),
        ("not (foo or bar)", "(not (or (is null foo) (is null bar)))"),
        ("foo or bar and baz or qux", "(or (is null foo) (and (is null bar) (is null baz)) (is null qux))"),
        ("(foo or bar) and baz", "(and (or (is null foo) (is null bar)) (is null baz))"),
        ("foo:bar", "(is foo bar)"),
        ("foo:bar baz", "(is foo bar baz)"),
        ("foo:\"bar baz\"", "(is foo \"bar baz\")"),
        ("foo:(bar or baz)", "(or (is foo bar) (is foo baz))"),
        ("foo:((bar or baz) and not qux)", "(and (or (is foo bar) (is foo baz)) (not (is foo qux)))"),
        ("bytes > 1000 and bytes < 8000", "(and (range bytes > 1000) (range bytes < 8000))"),
        ("bytes >= 1000 and bytes <= 8000", "(and (range bytes >= 1000) (range bytes <= 8000))"),
        ("machine*:osx", "(is machine* osx)"),
        ("foo:ba*", "(is foo ba*)"),
        ("foo:*", "(is foo *)"),
        ("nestedField:{ childOfNested: foo }", "(nested nestedField (is childOfNested foo))"),
        (
            "response:200 and nestedField:{ childOfNested:foo or childOfNested:bar }",
            "(and (is response 200) (nested nestedField (or (is childOfNested foo) (is childOfNested bar))))",
        ),
        (
            "nestedField:{ nestedChild:{ doublyNestedChild:foo } }",
            "(nested nestedField (nested nestedChild (is doublyNestedChild foo)))",
        ),
    ];
    for (q, want) in cases {
        assert_eq!(tree(q), want, "{q:?}");
    }
}

#[test]
fn literals_escapes_and_keywords() {
    let cases = [
        // unquoted: special characters, whitespace escapes, unicode, keywords
        (r#"f:\\\(\)\:\<\>\"\*\{\}"#, r#"(is f \\():<>\"\*{})"#),
        (r"f:\\u00A0", r"(is f \\u00A0)"),
        (r"f:a\u0041b", "(is f aAb)"),
        (r"f:\uD83D\uDE00", "(is f 😀)"),
        (r"f:\uD83Dx", "(is f \u{fffd}x)"),
        (r"f:a\tb", r"(is f a\tb)"),
        (r"f:\tab", "(is f ab)"),
        (r"f:a \or b", "(is f a or b)"),
        (r"f:a \AND b", "(is f a AND b)"),
        // `\n` is tried before the keyword escape: `\not` is a newline and "ot"
        (r"f:a \not b", r"(is f a \not b)"),
        ("f:cmd.exe and", "(is f cmd.exe and)"),
        ("f:true", "(is f #true)"),
        ("f:false", "(is f #false)"),
        ("f:null", "(is f #null)"),
        ("f:\"true\"", "(is f \"true\")"),
        ("f:tru*", "(is f tru*)"),
        (r"f:\*", r"(is f \*)"),
        (r"f:\**", r"(is f \**)"),
        // quoted: only \\ \" \t \r \n \uXXXX are escapes
        (r#"f:"\():<>\"*""#, r#"(is f "\\():<>\"*")"#),
        (r#"f:"\\""#, r#"(is f "\\")"#),
        (r#"f:"C:\Users\x""#, r#"(is f "C:\\Users\\x")"#),
        (r#"f:"a\tb""#, r#"(is f "a\tb")"#),
        (r#""quoted field":x"#, "(is \"quoted field\" x)"),
        ("f : x", "(is f x)"),
        ("f< 5", "(range f < 5)"),
        ("f:.3", "(is f .3)"),
        ("f:-4", "(is f -4)"),
        ("not not_a_keyword:x", "(not (is not_a_keyword x))"),
        ("NOT f:x", "(not (is f x))"),
        ("null:x", "(is #null x)"),
    ];
    for (q, want) in cases {
        assert_eq!(tree(q), want, "{q:?}");
    }
}

#[test]
fn syntax_errors_are_located() {
    let cases = [
        ("f:a b:c", 5),
        ("not not f:x", 4),
        ("f:not x", 2),
        (r"f:C\:\Windows", 5),
        ("(f:x", 4),
        ("f:x)", 3),
        ("f:{x:y", 6),
        ("f:\"x", 2),
    ];
    for (q, offset) in cases {
        let d = kql::parse(q).expect_err(q);
        assert_eq!(d.0.len(), 1);
        assert_eq!(d.0[0].code, "KQL0001");
        assert_eq!(
            d.0[0].primary_span().unwrap().start as usize,
            offset,
            "{q:?}: {}",
            d.0[0].message
        );
    }
}

#[test]
fn spans_cover_what_was_written() {
    let q = "process.name : ( cmd.exe or \"a b\" ) and x > 5";
    let ast = kql::parse(q).unwrap();
    let Some(Expr::And { items, span }) = &ast.root else {
        panic!()
    };
    assert_eq!(&q[span.range()], q);
    let Expr::Field {
        field,
        values,
        span,
    } = &items[0]
    else {
        panic!()
    };
    assert_eq!(&q[field.span.range()], "process.name");
    assert_eq!(&q[span.range()], "process.name : ( cmd.exe or \"a b\" )");
    let Values::Group { inner, .. } = values else {
        panic!()
    };
    let Values::Or { items: vals, .. } = inner.as_ref() else {
        panic!()
    };
    let spans: Vec<&str> = vals.iter().map(|v| &q[v.span().range()]).collect();
    assert_eq!(spans, ["cmd.exe", "\"a b\""]);
    let Expr::Range { value, span, .. } = &items[1] else {
        panic!()
    };
    assert_eq!((&q[value.span.range()], &q[span.range()]), ("5", "x > 5"));
    // an unquoted value's span leaves out the trimmed whitespace
    let ast = kql::parse("f:  a b  ").unwrap();
    let Some(Expr::Field {
        values: Values::One(v),
        ..
    }) = &ast.root
    else {
        panic!()
    };
    assert_eq!(v.span.range(), 4..7);
}

#[test]
fn nesting_limit() {
    let ok = format!(
        "{}f:x{}",
        "(".repeat(kql::MAX_DEPTH),
        ")".repeat(kql::MAX_DEPTH)
    );
    assert!(kql::parse(&ok).is_ok());
    let deep = format!(
        "{}f:x{}",
        "(".repeat(kql::MAX_DEPTH + 1),
        ")".repeat(kql::MAX_DEPTH + 1)
    );
    let d = kql::parse(&deep).unwrap_err();
    assert_eq!(d.0[0].code, "KQL0002");
    let deep_values = format!(
        "f:{}x{}",
        "(".repeat(kql::MAX_DEPTH + 1),
        ")".repeat(kql::MAX_DEPTH + 1)
    );
    assert_eq!(kql::parse(&deep_values).unwrap_err().0[0].code, "KQL0002");
    let deep_nested = format!(
        "{}x:y{}",
        "a:{".repeat(kql::MAX_DEPTH + 1),
        "}".repeat(kql::MAX_DEPTH + 1)
    );
    assert_eq!(kql::parse(&deep_nested).unwrap_err().0[0].code, "KQL0002");
}

fn assert_round_trip(q: &str) {
    let Ok(ast) = kql::parse(q) else { return };
    let printed = kql::printer::print(&ast);
    let again = kql::parse(&printed)
        .unwrap_or_else(|d| panic!("{q:?} printed as {printed:?}: {}", d.0[0].message));
    assert_eq!(
        sexp::sexp(&again),
        sexp::sexp(&ast),
        "{q:?} printed as {printed:?}"
    );
    assert_eq!(
        kql::printer::print(&again),
        printed,
        "printing is not a fixpoint for {q:?}"
    );
}

#[test]
fn printer_round_trips() {
    let cases = [
        "f:a \\or b and g:(x or not (y and z))",
        "f:can\\not connect",
        "f:\\u006eot x",
        "f:\"a \\\"q\\\" \\\\ b\"",
        "f:\\\"C\\:\\\\Windows\\\\*",
        "f:\\*.docx or f:*.exe",
        "f:\\u0074rue",
        "f:\\ttab",
        "a:{ b:{ c:1 } } and not (d >= 2024-01-01 or e < \"x y\")",
        "(((f:x)))",
        "f:a\u{a0}",
        // found by fuzzing: a value of only U+000B trims to an empty literal
        "!0!:\u{b}",
        // found by fuzzing (CI, stop 11): `<` before a value starting with `=`
        "\0< =\u{c}\0\0\0e and",
        "f > =x",
        "*:*",
        "",
    ];
    for q in cases {
        assert_round_trip(q);
    }
    let dir = support::corpus().join("kql");
    let suite: toml::Value =
        toml::from_str(&std::fs::read_to_string(dir.join("cases.toml")).unwrap()).unwrap();
    for case in suite["cases"].as_array().unwrap() {
        assert_round_trip(case["query"].as_str().unwrap());
    }
}

#[test]
fn referenced_fields_in_order_with_nested_paths() {
    let ast =
        kql::parse("a:1 and top:{ b:2 and middle:{ c:true } } or user.*:x or free or d > 3 or a:2")
            .unwrap();
    assert_eq!(
        kql::referenced_fields(&ast),
        [
            "a",
            "top",
            "top.b",
            "top.middle",
            "top.middle.c",
            "user.*",
            "d"
        ]
    );
}
