//! Parsing and printing: canonical text round trips, and the full rendered
//! text of representative diagnostics (codes, messages, spans, carets).

use diag::{render_terminal, RenderOptions, SourceFile};
use event::{FieldRegistry, Schema};

fn canonical(q: &str) -> String {
    let ast = eql::parse(q).unwrap_or_else(|d| panic!("{q}: {d:?}"));
    let printed = eql::printer::query(&ast);
    let again = eql::parse(&printed).unwrap_or_else(|d| panic!("reparse {printed}: {d:?}"));
    assert_eq!(
        eql::printer::query(&again),
        printed,
        "printing is not a fixed point"
    );
    printed
}

#[test]
fn printer_round_trips() {
    let cases = [
        ("process where process.name == \"cmd.exe\"", "process where process.name == \"cmd.exe\""),
        ("process where a and b or c and not d", "process where a and b or c and not d"),
        ("any where (a or b) and c", "any where (a or b) and c"),
        ("any where ((a and b) and c)", "any where a and b and c"),
        ("any where not (a == 1)", "any where not a == 1"),
        ("any where a - (b - c) * -d == 1 % 2", "any where a - (b - c) * -d == 1 % 2"),
        ("any where -(a in (1, 2))", "any where -a in (1, 2)"),
        ("any where (a + b) in (1)", "any where (a + b) in (1)"),
        ("any where a not in~ (\"x\", null)", "any where a not in~ (\"x\", null)"),
        ("any where a : (\"x*\", \"y\") and b like~ \"z\"", "any where a : (\"x*\", \"y\") and b like~ \"z\""),
        ("any where a regex \"\"\"\\d+\"\"\"", "any where a regex \"\\\\d+\""),
        ("any where `my field`.x == ?`a``b` and `@timestamp` > 1.5e3", "any where `my field`.x == ?`a``b` and @timestamp > 1500.0"),
        ("\"my-cat\" where startsWith~(x, \"\\u{e9}\\t\")", "\"my-cat\" where startsWith~(x, \"é\\t\")"),
        ("\"process\" where true", "process where true"),
        ("any where `sequence` == 9223372036854775808", "any where `sequence` == 9.223372036854776e18"),
        (
            "sequence by a, b with maxspan=30s [x where true] by c with runs=3 ![y where false] by d until [z where true] by e | head 5",
            "sequence by a, b with maxspan=30s [x where true] by c with runs=3 ![y where false] by d until [z where true] by e | head 5",
        ),
        ("sample by k [a where true] [b where true] | tail 1", "sample by k [a where true] [b where true] | tail 1"),
        ("// comment\nany /* c */ where true // end", "any where true"),
    ];
    for (input, expected) in cases {
        assert_eq!(canonical(input), expected, "input: {input}");
    }
}

fn render(q: &str) -> String {
    let schema =
        Schema::with_mapping_json(r#"{"properties":{"notes":{"type":"text"}}}"#).expect("mapping");
    let mut registry = FieldRegistry::new();
    let mut binder = ir::Binder::new(&schema, &mut registry);
    let diags = match eql::compile(q, &mut binder, &eql::EqlOptions::default()) {
        Ok(l) => l.warnings,
        Err(d) => d,
    };
    let src = SourceFile::new("query", q);
    diags
        .iter()
        .map(|d| render_terminal(d, &src, RenderOptions::default()))
        .collect()
}

#[test]
fn diagnostics_render_with_codes_spans_and_carets() {
    assert_eq!(
        render("process where foo(process.name)"),
        "error[EQL0024]: Unknown function [foo]\n --> query:1:15\n  |\n1 | process where foo(process.name)\n  |               ^^^ unknown function\n"
    );
    assert_eq!(
        render("process where startswith(process.name)"),
        "error[EQL0026]: error building [startswith]: expects exactly two arguments\n --> query:1:15\n  |\n1 | process where startswith(process.name)\n  |               ^^^^^^^^^^^^^^^^^^^^^^^^ 1 argument(s) given\n"
    );
    assert_eq!(
        render("process where lenght(x) > 1"),
        "error[EQL0024]: Unknown function [lenght], did you mean [length]?\n --> query:1:15\n  |\n1 | process where lenght(x) > 1\n  |               ^^^^^^ unknown function\n"
    );
    assert_eq!(
        render("process where process.name == 'cmd'"),
        "error[EQL0006]: Use double quotes [\"] to define string literals, not single quotes [']\n --> query:1:31\n  |\n1 | process where process.name == 'cmd'\n  |                               ^^^^^ single-quoted string\n"
    );
    assert_eq!(
        render("process where true | uniqe process.name"),
        "error[EQL0014]: Unrecognized pipe [uniqe], did you mean [unique]?\n --> query:1:22\n  |\n1 | process where true | uniqe process.name\n  |                      ^^^^^ unknown pipe\n"
    );
    assert_eq!(
        render("process where true | sort x"),
        "error[EQL0015]: Pipe [sort] is not supported\n --> query:1:22\n  |\n1 | process where true | sort x\n  |                      ^^^^ only [head] and [tail] are supported\n"
    );
    assert_eq!(
        render("sequence with maxspan=5x [a where true] [b where true]"),
        "error[EQL0019]: Unrecognized time unit [x] in [5x], please specify one of [ms, s, m, h, d]\n --> query:1:24\n  |\n1 | sequence with maxspan=5x [a where true] [b where true]\n  |                        ^ unknown unit\n"
    );
    assert_eq!(
        render("sequence [a where true] by x [b where true] by y, z"),
        "error[EQL0018]: Inconsistent number of join keys specified; expected [1] but found [2]\n --> query:1:48\n  |\n1 | sequence [a where true] by x [b where true] by y, z\n  |                                                ^^^^ 2 key(s) here\n"
    );
    assert_eq!(
        render("sequence [a where true]"),
        "error[EQL0020]: A sequence requires a minimum of 2 queries, found [1]\n --> query:1:1\n  |\n1 | sequence [a where true]\n  | ^^^^^^^^ add another query\n"
    );
    assert_eq!(
        render("process where process.pid == \"abc\""),
        "error[EQL0031]: [\"abc\"] cannot be compared with field [process.pid] of type [long]: not a number\n --> query:1:30\n  |\n1 | process where process.pid == \"abc\"\n  |                              ^^^^^ not a valid long value\n  = note: the constant is the string \"abc\"\n"
    );
    assert_eq!(
        render("process where process.name + 1 > 2"),
        "error[EQL0027]: first argument of [process.name + 1] must be [numeric], found value [process.name] type [keyword]\n --> query:1:15\n  |\n1 | process where process.name + 1 > 2\n  |               ^^^^^^^^^^^^ expected numeric\n"
    );
    assert_eq!(
        render("any where notes == \"x\""),
        "error[EQL0030]: [==] cannot operate on first argument field of data type [text]: No keyword/multi-field defined exact matches for [notes]; define one or use MATCH/QUERY instead\n --> query:1:11\n  |\n1 | any where notes == \"x\"\n  |           ^^^^^ analysed text field\n"
    );
    assert_eq!(
        // `x~` lexes as a case-insensitive function name (TILDE_IDENTIFIER).
        render("process where length(x~) > 1"),
        "error[EQL0002]: expected [(] after function name [x~]\n --> query:1:22\n  |\n1 | process where length(x~) > 1\n  |                      ^^ expected [(]\n"
    );
    assert_eq!(
        render("process where a == "),
        "error[EQL0002]: expected an expression, found end of query\n --> query:1:20\n  |\n1 | process where a == \n  |                    ^ expected an expression\n"
    );
    assert_eq!(
        render("process where length~(x) > 1"),
        "error[EQL0025]: Function [length] does not support case-insensitivity\n --> query:1:15\n  |\n1 | process where length~(x) > 1\n  |               ^^^^^^^ remove [~]\n"
    );
    assert_eq!(
        render("process where descendant of [file where true]"),
        "error[EQL0012]: Process relationships are not supported\n --> query:1:15\n  |\n1 | process where descendant of [file where true]\n  |               ^^^^^^^^^^ relationship\n"
    );
    assert_eq!(
        render("process where a[0] == 1"),
        "error[EQL0011]: Array indexes are not supported\n --> query:1:17\n  |\n1 | process where a[0] == 1\n  |                 ^ array index\n"
    );
    assert_eq!(
        render("join [a where true] [b where true]"),
        "error[EQL0013]: Join is not supported\n --> query:1:1\n  |\n1 | join [a where true] [b where true]\n  | ^^^^ join queries are not part of Elasticsearch EQL\n  = note: use a sequence instead\n"
    );
    assert_eq!(
        render("process where process.name : \"x\" and foo.bar == 1"),
        "warning[EQL1001]: Unknown field [foo.bar]\n --> query:1:38\n  |\n1 | process where process.name : \"x\" and foo.bar == 1\n  |                                      ^^^^^^^ not in the mapping or ECS; matched as an unmapped field\n  = note: prefix it with [?] if it is optional\n"
    );
}

#[test]
fn more_error_codes() {
    let code = |q: &str| match eql::parse(q) {
        Ok(ast) => {
            let schema = Schema::with_mapping_json(
                r#"{"properties":{"obj":{"properties":{"x":{"type":"keyword"}}}}}"#,
            )
            .expect("mapping");
            let mut registry = FieldRegistry::new();
            let mut binder = ir::Binder::new(&schema, &mut registry);
            match eql::lower(&ast, &mut binder, &eql::EqlOptions::default()) {
                Ok(_) => "ok".to_string(),
                Err(d) => format!("{}: {}", d.0[0].code, d.0[0].message),
            }
        }
        Err(d) => format!("{}: {}", d.0[0].code, d.0[0].message),
    };
    let cases = [
        ("process where a = 1", "EQL0002: [=] is not a comparison operator; use [==]"),
        ("process where a == 1 == 2", "EQL0002: expected [and], [or], [|] or end of query, found [==]"),
        ("process where x == ?\"a\"", "EQL0007: Use triple double quotes [\"\"\"] to define unescaped string literals, not [?\"]"),
        ("process where x == \"\\u{D}\"", "EQL0005: Unicode sequence should use [2-8] hex digits, [\\u{D}] has [1]"),
        ("process where x == 1e999", "EQL0009: Number [1e999] is too large"),
        ("sequence with maxspan=0s [a where true] [b where true]", "EQL0019: A positive maxspan value is required; found [0]"),
        ("sequence with maxspan=5 [a where true] [b where true]", "EQL0019: No time unit specified, did you mean [s] as in [5s]?"),
        ("sequence with maxspan=1.5h [a where true] [b where true]", "EQL0019: Decimal time interval [1.5] not supported; please use an positive integer"),
        ("sequence with maxspan=5s by x [a where true] [b where true]", "EQL0017: Please specify sequence [by] before [with] not after"),
        ("sequence [a where true] with runs=0 [b where true]", "EQL0021: A positive runs value is required; found [0]"),
        ("sequence [a where true] with runs=101 [b where true]", "EQL0021: A query cannot be repeated more than [100] times; found [101]"),
        ("sequence [a where true] with repeat=2 [b where true]", "EQL0021: Unrecognized sequence query parameter [repeat], expected [runs]"),
        ("sequence [a where true] with runs=2", "ok"),
        ("sequence ![a where true] ![b where true]", "EQL0022: A sequence requires at least one positive event query; found none"),
        ("sequence [a where true] [b where true] until ![c where true]", "EQL0022: [until] cannot be a missing-event query"),
        ("sample [a where true] ![b where true]", "EQL0022: Missing events are not supported in samples"),
        ("sample [a where true]", "EQL0020: A sample requires a minimum of 2 queries, found [1]"),
        ("sequence by length(x) [a where true] [b where true]", "EQL0023: Join keys must be fields"),
        ("process where true | head", "EQL0016: Pipe [head] expects exactly one argument but found [0]"),
        ("process where true | tail -1", "EQL0016: Pipe [tail] expects a positive integer but found [-1]"),
        ("process where cidrMatch(source.ip, process.name)", "EQL0028: second argument of [cidrMatch(source.ip, process.name)] must be a constant, received [process.name]"),
        ("process where cidrMatch(source.ip, \"300.1.1.1\")", "EQL0033: [300.1.1.1] is not a valid IP address or CIDR block"),
        ("process where cidrMatch(process.name, \"10.0.0.0/8\")", "EQL0027: first argument of [cidrMatch(process.name, \"10.0.0.0/8\")] must be [ip], found value [process.name] type [keyword]"),
        ("process where process.name regex \"a(\"", "EQL0032: Invalid regular expression [a(]: unexpected end-of-string"),
        ("process where process.pid : \"1\"", "EQL0027: first argument of [process.pid : \"1\"] must be [string], found value [process.pid] type [long]"),
        ("process where process.name", "EQL0029: Condition expression needs to be boolean, found [keyword]"),
        ("process where process.name and true", "EQL0027: first argument of [process.name and true] must be [boolean], found value [process.name] type [keyword]"),
        ("process where source.ip == \"nope\"", "EQL0031: [\"nope\"] cannot be compared with field [source.ip] of type [ip]: not an IP address or CIDR block"),
        ("process where obj == \"x\"", "EQL0034: Cannot use field [obj] with unsupported type [object]"),
    ];
    for (q, expected) in cases {
        assert_eq!(code(q), expected, "query: {q}");
    }
}

#[test]
fn nesting_limit_is_a_diagnostic() {
    for open in ["(", "not ", "-"] {
        let q = format!("any where {}a == 1", open.repeat(5000));
        let err = eql::parse(&q).unwrap_err();
        assert_eq!(err.0[0].code, "EQL0010", "{open}");
        assert_eq!(
            err.0[0].message,
            "query is nested too deeply (more than 64 levels)"
        );
        // The deepest accepted nesting parses and lowers on this (2 MiB) test thread.
        let deepest = format!(
            "any where {}process.pid == 1{}",
            open.repeat(60),
            if open == "(" {
                ")".repeat(60)
            } else {
                String::new()
            }
        );
        let deepest = if open == "-" {
            format!("any where {}process.pid == 1", open.repeat(60))
        } else {
            deepest
        };
        let schema = Schema::ecs();
        let mut registry = FieldRegistry::new();
        let mut binder = ir::Binder::new(&schema, &mut registry);
        let lowered = eql::compile(&deepest, &mut binder, &eql::EqlOptions::default());
        assert!(lowered.is_ok(), "{open}: {lowered:?}");
    }
    let chain = format!("any where a{} == 1", " + a".repeat(5000));
    assert_eq!(eql::parse(&chain).unwrap_err().0[0].code, "EQL0010");
    // Long and/or chains are flat and fine.
    let wide = format!("any where a == 1{}", " or a == 1".repeat(5000));
    assert!(eql::parse(&wide).is_ok());
}
