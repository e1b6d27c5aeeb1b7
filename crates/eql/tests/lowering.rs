//! Lowering: the exact predicate each construct becomes, and why (the
//! Elasticsearch source each rule mirrors is named next to the cases).

use event::{FieldRegistry, FieldType, Schema};
use ir::{Category, Expr, Pipe, Plan, Pred, RangeValue, Test, Val};

fn schema() -> Schema {
    let mut s = Schema::with_mapping_json(
        r#"{"properties":{
            "hostname":{"type":"text","fields":{"keyword":{"type":"keyword"}}},
            "notes":{"type":"text"},
            "flag":{"type":"boolean"}}}"#,
    )
    .expect("mapping");
    s.insert("score", FieldType::Double);
    s
}

fn compile(q: &str) -> Result<eql::Lowered, String> {
    let schema = schema();
    let mut registry = FieldRegistry::new();
    let mut binder = ir::Binder::new(&schema, &mut registry);
    eql::compile(q, &mut binder, &eql::EqlOptions::default()).map_err(|d| {
        d.iter()
            .map(|x| format!("{}: {}", x.code, x.message))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// The condition of an event query, rendered compactly.
fn cond(q: &str) -> String {
    let lowered = compile(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    match lowered.plan.plan {
        Plan::Event(e) => show(&e.condition),
        other => panic!("not an event query: {other:?}"),
    }
}

fn val(v: &Val) -> String {
    match v {
        Val::Null => "null".into(),
        Val::Bool(b) => b.to_string(),
        Val::Long(n) => n.to_string(),
        Val::Double(d) => format!("{d:?}"),
        Val::Str(s) => format!("{s:?}"),
    }
}

fn range_value(v: &RangeValue) -> String {
    match v {
        RangeValue::Number(n) => format!("{n:?}"),
        RangeValue::Date(ns) => format!("date({ns})"),
        RangeValue::Ip(k) => format!("ip({k:x})"),
        RangeValue::Str(s) => format!("{s:?}"),
    }
}

fn test(t: &Test) -> String {
    match t {
        Test::Exists => "exists".into(),
        Test::Terms {
            values,
            case_insensitive,
        } => {
            format!(
                "terms{}{values:?}",
                if *case_insensitive { "~" } else { "" }
            )
        }
        Test::Wildcards(ps) => {
            let ci = ps.iter().any(|p| p.is_case_insensitive());
            let srcs: Vec<&str> = ps.iter().map(|p| p.source()).collect();
            format!("wildcard{}{srcs:?}", if ci { "~" } else { "" })
        }
        Test::Regexes(rs) => {
            let ci = rs.iter().any(|r| r.is_case_insensitive());
            let srcs: Vec<&str> = rs.iter().map(|r| r.source()).collect();
            format!("regex{}{srcs:?}", if ci { "~" } else { "" })
        }
        Test::Numbers(ns) => format!("numbers{ns:?}"),
        Test::Bool(b) => format!("bool({b})"),
        Test::IpNets(nets) => format!(
            "ip{:?}",
            nets.iter().map(|n| n.to_string()).collect::<Vec<_>>()
        ),
        Test::Range { lower, upper } => {
            let lo = lower.as_ref().map_or("(".to_string(), |b| {
                format!(
                    "{}{}",
                    if b.inclusive { "[" } else { "(" },
                    range_value(&b.value)
                )
            });
            let hi = upper.as_ref().map_or(")".to_string(), |b| {
                format!(
                    "{}{}",
                    range_value(&b.value),
                    if b.inclusive { "]" } else { ")" }
                )
            });
            format!("range{lo}..{hi}")
        }
        Test::Text { .. } => "text".into(),
    }
}

fn show(p: &Pred) -> String {
    match p {
        Pred::Const(b) => b.to_string(),
        Pred::And(ps) => format!(
            "and({})",
            ps.iter().map(show).collect::<Vec<_>>().join(", ")
        ),
        Pred::Or(ps) => format!("or({})", ps.iter().map(show).collect::<Vec<_>>().join(", ")),
        Pred::Not(p) => format!("not({})", show(p)),
        Pred::Field(ft) => format!("{}:{} {}", ft.field.name, ft.field.ty, test(&ft.test)),
        Pred::Script(e) => format!("script({})", expr(e)),
    }
}

fn expr(e: &Expr) -> String {
    let list = |xs: &[Expr]| xs.iter().map(expr).collect::<Vec<_>>().join(", ");
    match e {
        Expr::Literal(v) => val(v),
        Expr::Field(f) => f.name.clone(),
        Expr::And(xs) => format!("and({})", list(xs)),
        Expr::Or(xs) => format!("or({})", list(xs)),
        Expr::Not(x) => format!("not({})", expr(x)),
        Expr::Compare { op, left, right } => format!("{} {op:?} {}", expr(left), expr(right)),
        Expr::In {
            value,
            list: l,
            case_insensitive,
        } => {
            format!(
                "{} in{} ({})",
                expr(value),
                if *case_insensitive { "~" } else { "" },
                list(l)
            )
        }
        Expr::Like { value, patterns } => format!(
            "{} like{} {:?}",
            expr(value),
            if patterns.iter().any(|p| p.is_case_insensitive()) {
                "~"
            } else {
                ""
            },
            patterns.iter().map(|p| p.source()).collect::<Vec<_>>()
        ),
        Expr::Regex { value, regexes } => {
            format!(
                "{} regex {:?}",
                expr(value),
                regexes.iter().map(|r| r.source()).collect::<Vec<_>>()
            )
        }
        Expr::Arith { op, left, right } => format!("({} {op:?} {})", expr(left), expr(right)),
        Expr::Neg(x) => format!("-{}", expr(x)),
        Expr::Call {
            func,
            case_insensitive,
            args,
        } => {
            format!(
                "{}{}({})",
                func.name(),
                if *case_insensitive { "~" } else { "" },
                list(args)
            )
        }
        Expr::IsNull(x) => format!("isnull({})", expr(x)),
        #[allow(unreachable_patterns)]
        other => format!("{other:?}"),
    }
}

// ExpressionTranslators.BinaryComparisons: field vs constant → term / range;
// NotEquals → NotQuery(term), which matches documents without the field.
#[test]
fn comparisons_become_term_and_range_queries() {
    assert_eq!(
        cond(r#"process where process.name == "cmd.exe""#),
        r#"process.name:keyword terms["cmd.exe"]"#
    );
    assert_eq!(
        cond(r#"process where process.name != "cmd.exe""#),
        r#"not(process.name:keyword terms["cmd.exe"])"#
    );
    assert_eq!(
        cond("process where process.pid >= 4"),
        "process.pid:long range[Int(4)..)"
    );
    assert_eq!(
        cond("process where process.pid < 4.5"),
        "process.pid:long range(..Float(4.5))"
    );
    // LiteralsOnTheRight: `0 < x` is `x > 0`.
    assert_eq!(
        cond("process where 0 < process.pid"),
        "process.pid:long range(Int(0)..)"
    );
    // Strings order by code point: a keyword range.
    assert_eq!(
        cond(r#"process where process.name >= "System""#),
        r#"process.name:keyword range["System"..)"#
    );
}

// QL BooleanSimplification: `not` is pushed through and/or (De Morgan) and
// flips comparisons; `not` of anything else is a must_not (Nots translator).
#[test]
fn not_is_pushed_down_like_elasticsearch_optimizer() {
    assert_eq!(
        cond(r#"any where not process.name == "a""#),
        r#"not(process.name:keyword terms["a"])"#
    );
    assert_eq!(
        cond("any where not process.pid > 4"),
        "process.pid:long range(..Int(4)]"
    );
    assert_eq!(
        cond(r#"any where not (process.name == "a" and process.pid > 1)"#),
        r#"or(not(process.name:keyword terms["a"]), process.pid:long range(..Int(1)])"#
    );
    assert_eq!(
        cond(r#"any where not not process.name == "a""#),
        r#"process.name:keyword terms["a"]"#
    );
    assert_eq!(
        cond(r#"any where not process.name in ("a", "b")"#),
        r#"not(process.name:keyword terms["a", "b"])"#
    );
    assert_eq!(
        cond(r#"any where process.name not in ("a", "b")"#),
        r#"not(process.name:keyword terms["a", "b"])"#
    );
}

// InsensitiveBinaryComparisons (`:` → case-insensitive term), Optimizer
// ReplaceWildcards (`:` with * or ? → case-insensitive like) and Likes.
#[test]
fn colon_like_and_regex() {
    assert_eq!(
        cond(r#"any where process.name : "CMD.exe""#),
        r#"process.name:keyword terms~["CMD.exe"]"#
    );
    assert_eq!(
        cond(r#"any where process.name : "*.EXE""#),
        r#"process.name:keyword wildcard~["*.EXE"]"#
    );
    assert_eq!(
        cond(r#"any where process.name : ("a", "b*", "c")"#),
        r#"or(process.name:keyword terms~["a", "c"], process.name:keyword wildcard~["b*"])"#
    );
    assert_eq!(
        cond(r#"any where process.name like "a*""#),
        r#"process.name:keyword wildcard["a*"]"#
    );
    assert_eq!(
        cond(r#"any where process.name like~ ("a*", "?b")"#),
        r#"process.name:keyword wildcard~["a*", "?b"]"#
    );
    // ReplaceRegexMatch: a pattern without wildcards is an equality, `*` is IsNotNull.
    assert_eq!(
        cond(r#"any where process.name like "abc""#),
        r#"process.name:keyword terms["abc"]"#
    );
    assert_eq!(
        cond(r#"any where process.name : "*""#),
        "process.name:keyword exists"
    );
    assert_eq!(
        cond(r#"any where process.name regex~ "c[a-z]+""#),
        r#"process.name:keyword regex~["c[a-z]+"]"#
    );
    assert_eq!(
        cond(r#"any where process.name in~ ("A", "b")"#),
        r#"process.name:keyword terms~["A", "b"]"#
    );
    // Comparisons on a function are scripts.
    assert_eq!(
        cond(r#"any where substring(process.name, 1) : "m*""#),
        r#"script(substring(process.name, 1) like~ ["m*"])"#
    );
}

// Optimizer ReplaceNullChecks + ExpressionTranslators.IsNulls / IsNotNulls.
#[test]
fn null_checks_are_exists_queries() {
    assert_eq!(
        cond("any where process.name == null"),
        "not(process.name:keyword exists)"
    );
    assert_eq!(
        cond("any where null != process.name"),
        "process.name:keyword exists"
    );
    assert_eq!(
        cond("any where ?foo.bar == null"),
        "not(foo.bar:unmapped exists)"
    );
    assert_eq!(
        cond("any where not process.name == null"),
        "process.name:keyword exists"
    );
    assert_eq!(
        cond(r#"any where indexOf(process.name, "x") == null"#),
        r#"script(isnull(indexOf(process.name, "x")))"#
    );
    assert_eq!(
        cond(r#"any where indexOf(process.name, "x") != null"#),
        r#"script(not(isnull(indexOf(process.name, "x"))))"#
    );
}

// QueryTranslator.Scalars / CaseInsensitiveScalarFunctions /
// ExpressionTranslators.Scalars.doKnownTranslate.
#[test]
fn functions_with_field_and_constant_become_queries() {
    assert_eq!(
        cond(r#"any where startsWith(process.name, "cm*")"#),
        r#"process.name:keyword wildcard["cm**"]"#
    );
    assert_eq!(
        cond(r#"any where startsWith~(process.name, "CM")"#),
        r#"process.name:keyword wildcard~["CM*"]"#
    );
    assert_eq!(
        cond(r#"any where endsWith(process.name, ".exe")"#),
        r#"process.name:keyword wildcard["*.exe"]"#
    );
    assert_eq!(
        cond(r#"any where stringContains~(process.name, "md")"#),
        r#"process.name:keyword wildcard~["*md*"]"#
    );
    assert_eq!(
        cond(r#"any where cidrMatch(source.ip, "10.6.48.157/8", "192.168.1.1")"#),
        r#"source.ip:ip ip["10.0.0.0/8", "192.168.1.1/32"]"#
    );
    // A function that is not translatable, or a non-field argument: a script.
    assert_eq!(
        cond(r#"any where length(process.name) > 3"#),
        "script(length(process.name) Gt 3)"
    );
    assert_eq!(
        cond(r#"any where not length(process.name) > 3"#),
        "script(length(process.name) LtEq 3)"
    );
    assert_eq!(
        cond(r#"any where startsWith("explorer.exe", process.name)"#),
        r#"script(startsWith("explorer.exe", process.name))"#
    );
    assert_eq!(
        cond(r#"any where not startsWith(process.name, "a")"#),
        r#"not(process.name:keyword wildcard["a*"])"#
    );
    // Nots: `not` over a script stays a script (null stays null).
    assert_eq!(
        cond(r#"any where not stringContains(process.name, process.executable)"#),
        "script(not(stringContains(process.name, process.executable)))"
    );
    assert_eq!(
        cond("any where process.pid + 1 == 5"),
        "script((process.pid Add 1) Eq 5)"
    );
}

// Elasticsearch concatenates endsWith/stringContains constants into a Lucene
// wildcard string without escaping, so a backslash escapes the next character.
#[test]
fn ends_with_constant_is_a_lucene_wildcard() {
    let lowered = compile(r#"any where endsWith(file.path, "\\x.exe")"#).unwrap();
    let Plan::Event(e) = lowered.plan.plan else {
        panic!()
    };
    let Pred::Field(ft) = e.condition else {
        panic!()
    };
    let Test::Wildcards(ps) = ft.test else {
        panic!()
    };
    assert!(ps[0].matches("C:\\dir\\x.exe"));
    assert!(ps[0].matches("C:\\dirx.exe"));
    assert!(!ps[0].matches("C:\\dir\\y.exe"));
}

// ConstantFolding and LiteralsOnTheRight, as in the ES suite's twoAdds,
// stringNumberConversion and endsWithAndCondition queries.
#[test]
fn constants_fold() {
    assert_eq!(
        cond(r#"any where process.pid == number("0x32", 16)"#),
        "process.pid:long numbers[Int(50)]"
    );
    assert_eq!(
        cond("any where add(0, 1) == process.pid"),
        "process.pid:long numbers[Int(1)]"
    );
    assert_eq!(
        cond(r#"any where startsWith~("explorer.exeaAAAA", "EXPLORER.exe")"#),
        "true"
    );
    assert_eq!(
        cond("any where 1 == 2 or process.pid == -1"),
        "process.pid:long numbers[Int(-1)]"
    );
    assert_eq!(cond("any where true"), "true");
    assert_eq!(cond("any where process.pid == 1 and false"), "false");
    assert_eq!(
        cond("any where null == (process.pid > -1)"),
        "script(isnull(process.pid Gt -1))"
    );
}

// Constants take the field's type, as the field mapper's termQuery does.
#[test]
fn constants_coerce_to_field_types() {
    assert_eq!(
        cond("any where event.code == 4688"),
        r#"event.code:keyword terms["4688"]"#
    );
    assert_eq!(
        cond(r#"any where process.pid == "5""#),
        "process.pid:long numbers[Int(5)]"
    );
    assert_eq!(
        cond(r#"any where source.ip == "10.0.0.0/8""#),
        r#"source.ip:ip ip["10.0.0.0/8"]"#
    );
    assert_eq!(
        cond(r#"any where @timestamp >= "2020-01-02T00:00:00Z""#),
        "@timestamp:date range[date(1577923200000000000)..)"
    );
    assert_eq!(cond("any where flag == true"), "flag:boolean bool(true)");
    assert_eq!(
        cond("any where score in (1, 2.5)"),
        "score:double numbers[Int(1), Float(2.5)]"
    );
    // A text field compares through its keyword sub-field (exactAttribute()).
    assert_eq!(
        cond(r#"any where hostname == "h1""#),
        r#"hostname:keyword terms["h1"]"#
    );
    // Unmapped fields: strings are terms, numbers numbers.
    assert_eq!(
        cond(r#"any where ?x.y in ("a", 1)"#),
        r#"or(x.y:unmapped terms["a"], x.y:unmapped numbers[Int(1)])"#
    );
}

#[test]
fn sequences_samples_and_pipes() {
    let q = "sequence by host.id with maxspan=5m \
             [process where true] by process.pid with runs=2 \
             ![file where true] by process.parent.pid \
             [network where true] by ?process.entity_id \
             until [process where event.type == \"end\"] by process.pid | head 3 | tail 2";
    let lowered = compile(q).unwrap();
    let Plan::Sequence(s) = &lowered.plan.plan else {
        panic!()
    };
    assert_eq!(s.maxspan, Some(300_000_000_000));
    assert_eq!(s.stages.len(), 3);
    type StageSummary = (String, Vec<(String, bool)>, bool, u32);
    let summary: Vec<StageSummary> = s
        .stages
        .iter()
        .chain(s.until.iter())
        .map(|st| {
            let cat = match &st.query.category {
                Category::Named(n) => n.clone(),
                Category::Any => "any".into(),
            };
            let keys = st
                .keys
                .iter()
                .map(|k| (k.field.name.clone(), k.optional))
                .collect();
            (cat, keys, st.missing, st.runs)
        })
        .collect();
    let k = |a: &str, b: &str, opt: bool| vec![(a.to_string(), false), (b.to_string(), opt)];
    assert_eq!(
        summary,
        vec![
            (
                "process".into(),
                k("host.id", "process.pid", false),
                false,
                2
            ),
            (
                "file".into(),
                k("host.id", "process.parent.pid", false),
                true,
                1
            ),
            (
                "network".into(),
                k("host.id", "process.entity_id", true),
                false,
                1
            ),
            (
                "process".into(),
                k("host.id", "process.pid", false),
                false,
                1
            ),
        ]
    );
    assert_eq!(
        show(&s.until.as_ref().unwrap().query.condition),
        r#"event.type:keyword terms["end"]"#
    );
    assert_eq!(lowered.plan.pipes, vec![Pipe::Head(3), Pipe::Tail(2)]);

    let lowered = compile(
        r#"sample by host.id [any where true] by user.name ["process" where true] by user.name"#,
    )
    .unwrap();
    let Plan::Sample(s) = &lowered.plan.plan else {
        panic!()
    };
    assert_eq!(s.stages.len(), 2);
    assert_eq!(
        s.stages[1].query.category,
        Category::Named("process".into())
    );
    let keys: Vec<&str> = s.stages[1]
        .keys
        .iter()
        .map(|k| k.field.name.as_str())
        .collect();
    assert_eq!(keys, ["host.id", "user.name"]);
}

#[test]
fn warnings_for_unknown_fields_and_literal_wildcards() {
    let lowered = compile(r#"any where foo.bar == "x*" and ?opt == 1"#).unwrap();
    let w: Vec<(&str, &str)> = lowered
        .warnings
        .iter()
        .map(|d| (d.code, d.message.as_str()))
        .collect();
    assert_eq!(
        w,
        vec![
            ("EQL1001", "Unknown field [foo.bar]"),
            (
                "EQL1002",
                "[==] compares [*] literally in Elasticsearch EQL"
            )
        ]
    );
}

#[test]
fn fields_lists_every_referenced_field_once() {
    let q = eql::parse("sequence by host.id [process where a == 1 and length(b) > c] by d [file where ?e] by host.id").unwrap();
    assert_eq!(q.fields(), ["host.id", "a", "b", "c", "d", "e"]);
    let uses = q.field_uses();
    assert_eq!(
        uses.iter()
            .filter(|u| u.optional)
            .map(|u| u.name.as_str())
            .collect::<Vec<_>>(),
        ["e"]
    );
}
