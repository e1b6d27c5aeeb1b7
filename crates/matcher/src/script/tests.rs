use super::*;
use crate::testutil::Fx;
use event::wildcard::Pattern;

fn lit(v: Val) -> Expr {
    Expr::Literal(v)
}
fn s(x: &str) -> Expr {
    lit(Val::Str(x.into()))
}
fn l(x: i64) -> Expr {
    lit(Val::Long(x))
}
fn d(x: f64) -> Expr {
    lit(Val::Double(x))
}
fn null() -> Expr {
    lit(Val::Null)
}
fn t() -> Expr {
    lit(Val::Bool(true))
}
fn f() -> Expr {
    lit(Val::Bool(false))
}
fn call(func: Function, args: Vec<Expr>) -> Expr {
    Expr::Call {
        func,
        case_insensitive: false,
        args,
    }
}
fn call_ci(func: Function, args: Vec<Expr>) -> Expr {
    Expr::Call {
        func,
        case_insensitive: true,
        args,
    }
}
fn cmp(op: CmpOp, a: Expr, b: Expr) -> Expr {
    Expr::Compare {
        op,
        left: Box::new(a),
        right: Box::new(b),
    }
}
fn ar(op: ArithOp, a: Expr, b: Expr) -> Expr {
    Expr::Arith {
        op,
        left: Box::new(a),
        right: Box::new(b),
    }
}

/// Evaluates a field-free expression.
fn ev(e: Expr) -> Result<Val, EvalError> {
    evaluate(&e, &Event::default())
}
fn str_val(x: &str) -> Result<Val, EvalError> {
    Ok(Val::Str(x.into()))
}

#[test]
fn three_valued_logic() {
    // BinaryLogicProcessor / NotProcessor.
    assert_eq!(ev(Expr::And(vec![f(), null()])), Ok(Val::Bool(false)));
    assert_eq!(ev(Expr::And(vec![t(), null()])), Ok(Val::Null));
    assert_eq!(ev(Expr::Or(vec![t(), null()])), Ok(Val::Bool(true)));
    assert_eq!(ev(Expr::Or(vec![f(), null()])), Ok(Val::Null));
    assert_eq!(ev(Expr::Not(Box::new(null()))), Ok(Val::Null));
    assert_eq!(ev(Expr::Not(Box::new(f()))), Ok(Val::Bool(true)));
    assert!(matches!(
        ev(Expr::Not(Box::new(l(1)))),
        Err(EvalError::NotABoolean { .. })
    ));
}

#[test]
fn comparisons_follow_ql_comparisons() {
    // Comparisons.compare: numbers widen, strings by UTF-16 units, other
    // type pairs (ClassCastException) and nulls give null.
    assert_eq!(ev(cmp(CmpOp::Eq, l(1), d(1.0))), Ok(Val::Bool(true)));
    assert_eq!(ev(cmp(CmpOp::Lt, l(2), d(2.5))), Ok(Val::Bool(true)));
    assert_eq!(ev(cmp(CmpOp::Eq, s("a"), s("A"))), Ok(Val::Bool(false)));
    assert_eq!(ev(cmp(CmpOp::Lt, s("B"), s("a"))), Ok(Val::Bool(true)));
    assert_eq!(ev(cmp(CmpOp::Eq, s("1"), l(1))), Ok(Val::Null));
    assert_eq!(ev(cmp(CmpOp::NotEq, null(), l(1))), Ok(Val::Null));
    assert_eq!(ev(cmp(CmpOp::Gt, t(), f())), Ok(Val::Bool(true)));
    assert_eq!(
        ev(cmp(CmpOp::Eq, d(f64::NAN), d(f64::NAN))),
        Ok(Val::Bool(true))
    );
    assert_eq!(ev(cmp(CmpOp::Lt, d(-0.0), d(0.0))), Ok(Val::Bool(true)));
}

#[test]
fn arithmetic_follows_ql_arithmetics() {
    assert_eq!(ev(ar(ArithOp::Div, l(83), l(2))), Ok(Val::Long(41)));
    assert_eq!(ev(ar(ArithOp::Div, d(66.0), l(66))), Ok(Val::Double(1.0)));
    assert_eq!(ev(ar(ArithOp::Mod, l(-7), l(3))), Ok(Val::Long(-1)));
    assert_eq!(ev(ar(ArithOp::Mod, d(-7.5), l(2))), Ok(Val::Double(-1.5)));
    assert_eq!(
        ev(ar(ArithOp::Div, l(1), l(0))),
        Err(EvalError::DivisionByZero)
    );
    assert_eq!(
        ev(ar(ArithOp::Mod, l(1), l(0))),
        Err(EvalError::DivisionByZero)
    );
    assert_eq!(
        ev(ar(ArithOp::Div, d(1.0), l(0))),
        Ok(Val::Double(f64::INFINITY))
    );
    assert_eq!(
        ev(ar(ArithOp::Add, l(i64::MAX), l(1))),
        Err(EvalError::Overflow("long"))
    );
    assert_eq!(
        ev(ar(ArithOp::Mul, l(i64::MIN), l(-1))),
        Err(EvalError::Overflow("long"))
    );
    assert_eq!(
        ev(ar(ArithOp::Div, l(i64::MIN), l(-1))),
        Ok(Val::Long(i64::MIN))
    );
    assert_eq!(ev(ar(ArithOp::Sub, null(), l(1))), Ok(Val::Null));
    assert!(matches!(
        ev(ar(ArithOp::Add, s("1"), l(1))),
        Err(EvalError::NotANumber { .. })
    ));
    assert_eq!(
        ev(Expr::Neg(Box::new(l(i64::MIN)))),
        Err(EvalError::Overflow("long"))
    );
    assert_eq!(ev(Expr::Neg(Box::new(d(2.0)))), Ok(Val::Double(-2.0)));
    assert_eq!(
        ev(call(Function::Modulo, vec![l(11), l(10)])),
        Ok(Val::Long(1))
    );
    assert_eq!(
        ev(call(Function::Add, vec![l(1), d(0.5)])),
        Ok(Val::Double(1.5))
    );
}

#[test]
fn in_lists_are_true_null_or_false() {
    // InProcessor.apply: a match wins; otherwise a null comparison gives null.
    let inl = |v: Expr, list: Vec<Expr>, ci: bool| Expr::In {
        value: Box::new(v),
        list,
        case_insensitive: ci,
    };
    assert_eq!(
        ev(inl(l(1), vec![s("1"), l(1)], false)),
        Ok(Val::Bool(true))
    );
    assert_eq!(ev(inl(l(2), vec![s("1"), l(1)], false)), Ok(Val::Null));
    assert_eq!(ev(inl(l(2), vec![l(1), l(3)], false)), Ok(Val::Bool(false)));
    assert_eq!(ev(inl(null(), vec![l(1)], false)), Ok(Val::Null));
    assert_eq!(
        ev(inl(s("CMD.exe"), vec![s("cmd.exe")], true)),
        Ok(Val::Bool(true))
    );
    assert_eq!(ev(inl(s("1x"), vec![s("1*")], true)), Ok(Val::Bool(false)));
    assert_eq!(
        ev(inl(l(1), vec![l(1)], true)),
        Err(EvalError::InsensitiveNonString)
    );
}

#[test]
fn like_and_regex_read_the_value_as_text() {
    let like = |v: Expr, p: &str, ci: bool| Expr::Like {
        value: Box::new(v),
        patterns: vec![Pattern::new(p, ci)],
    };
    assert_eq!(ev(like(l(12), "1*", false)), Ok(Val::Bool(true)));
    assert_eq!(ev(like(s("ABC"), "a?c", true)), Ok(Val::Bool(true)));
    assert_eq!(ev(like(null(), "*", false)), Ok(Val::Null));
    let re = Expr::Regex {
        value: Box::new(s("net1  localgroup")),
        regexes: vec![event::regex::LuceneRegex::new(".*?net1[ ]+localgroup.*?", false).unwrap()],
    };
    assert_eq!(ev(re), Ok(Val::Bool(true)));
}

#[test]
fn between_function() {
    // BetweenFunctionProcessor / StringUtils.between.
    let b = |src: &str, left: &str, right: &str, greedy: bool| {
        ev(call(
            Function::Between,
            vec![s(src), s(left), s(right), lit(Val::Bool(greedy))],
        ))
    };
    assert_eq!(
        b("welcome to event query language", " ", " ", false),
        str_val("to")
    );
    assert_eq!(
        b("welcome to event query language", " ", " ", true),
        str_val("to event query")
    );
    assert_eq!(b("abc", "x", "c", false), str_val(""));
    assert_eq!(b("abc", "", "c", false), str_val("abc"));
    assert_eq!(
        b("System32\\cmd.exe", "system32\\", ".exe", false),
        str_val("")
    );
    let ci = ev(call_ci(
        Function::Between,
        vec![s("System32\\cmd.exe"), s("system32\\"), s(".EXE")],
    ));
    assert_eq!(ci, str_val("cmd"));
    assert_eq!(
        ev(call(Function::Between, vec![null(), s("a"), s("b")])),
        Ok(Val::Null)
    );
    assert!(matches!(
        ev(call(Function::Between, vec![s("a"), null(), s("b")])),
        Err(EvalError::NotAString { .. })
    ));
    assert!(matches!(
        b("xab", "a", "a", true),
        Err(EvalError::IndexOutOfBounds { .. })
    ));
}

#[test]
fn cidr_match_function() {
    let c = |addr: Expr, nets: &[&str]| {
        let mut args = vec![addr];
        args.extend(nets.iter().map(|n| s(n)));
        ev(call(Function::CidrMatch, args))
    };
    assert_eq!(c(s("10.6.48.157"), &["10.6.48.157/8"]), Ok(Val::Bool(true)));
    assert_eq!(
        c(s("10.6.48.157"), &["192.168.0.0/16"]),
        Ok(Val::Bool(false))
    );
    assert_eq!(
        c(s("10.6.48.157"), &["192.168.0.0/16", "10.0.0.0/8"]),
        Ok(Val::Bool(true))
    );
    assert_eq!(c(s("10.6.48.157"), &["0.0.0.0/0"]), Ok(Val::Bool(true)));
    assert_eq!(c(s("10.6.48.157"), &["10.6.48.157"]), Ok(Val::Bool(true)));
    assert_eq!(c(s("2001:db8::1"), &["0.0.0.0/0"]), Ok(Val::Bool(false)));
    assert_eq!(c(null(), &["10.0.0.0/8"]), Ok(Val::Null));
    assert!(matches!(
        c(s("nope"), &["10.0.0.0/8"]),
        Err(EvalError::InvalidAddress(_))
    ));
    assert!(matches!(
        c(s("10.0.0.1"), &["10.0.0.0/99"]),
        Err(EvalError::InvalidAddress(_))
    ));
}

#[test]
fn concat_function() {
    assert_eq!(
        ev(call(
            Function::Concat,
            vec![l(5), s("::"), s("wininit.exe"), s("::"), d(3.0)]
        )),
        str_val("5::wininit.exe::3.0")
    );
    assert_eq!(
        ev(call(Function::Concat, vec![s("a"), null()])),
        Ok(Val::Null)
    );
    assert_eq!(ev(call(Function::Concat, vec![t()])), str_val("true"));
}

#[test]
fn starts_ends_with_and_string_contains() {
    assert_eq!(
        ev(call(Function::StartsWith, vec![s("cmd.exe"), s("CMD")])),
        Ok(Val::Bool(false))
    );
    assert_eq!(
        ev(call_ci(Function::StartsWith, vec![s("cmd.exe"), s("CMD")])),
        Ok(Val::Bool(true))
    );
    assert_eq!(
        ev(call(Function::EndsWith, vec![s("cmd.exe"), s(".exe")])),
        Ok(Val::Bool(true))
    );
    assert_eq!(
        ev(call(Function::EndsWith, vec![s("cmd.exe"), null()])),
        Ok(Val::Null)
    );
    assert!(matches!(
        ev(call(Function::EndsWith, vec![l(1), s("1")])),
        Err(EvalError::NotAString { .. })
    ));
    assert_eq!(
        ev(call(Function::StringContains, vec![s("abc"), s("b")])),
        Ok(Val::Bool(true))
    );
    assert_eq!(
        ev(call(Function::StringContains, vec![s("abc"), s("")])),
        Ok(Val::Bool(false))
    );
    assert_eq!(
        ev(call_ci(Function::StringContains, vec![s("aBc"), s("BC")])),
        Ok(Val::Bool(true))
    );
    assert_eq!(
        ev(call(Function::StringContains, vec![null(), s("a")])),
        Ok(Val::Null)
    );
    assert!(matches!(
        ev(call(Function::StringContains, vec![s("a"), null()])),
        Err(EvalError::NotAString { .. })
    ));
}

#[test]
fn index_of_function() {
    let io = |args: Vec<Expr>| ev(call(Function::IndexOf, args));
    assert_eq!(io(vec![s("subdir/file.txt"), s("/")]), Ok(Val::Long(6)));
    assert_eq!(io(vec![s("a.b.c"), s("."), l(2)]), Ok(Val::Long(3)));
    assert_eq!(io(vec![s("a.b.c"), s("."), l(-5)]), Ok(Val::Long(1)));
    assert_eq!(io(vec![s("abc"), s("x")]), Ok(Val::Null));
    assert_eq!(io(vec![s("abc"), null()]), Ok(Val::Null));
    assert_eq!(io(vec![s("abc"), s("B")]), Ok(Val::Null));
    assert_eq!(
        ev(call_ci(Function::IndexOf, vec![s("abc"), s("B")])),
        Ok(Val::Long(1))
    );
    assert_eq!(io(vec![s("😀x"), s("x")]), Ok(Val::Long(2)));
}

#[test]
fn length_string_and_substring_functions() {
    assert_eq!(
        ev(call(Function::Length, vec![s("😀ab")])),
        Ok(Val::Long(4))
    );
    assert_eq!(ev(call(Function::Length, vec![null()])), Ok(Val::Null));
    assert_eq!(ev(call(Function::String, vec![d(1e7)])), str_val("1.0E7"));
    assert_eq!(ev(call(Function::String, vec![l(-3)])), str_val("-3"));
    assert_eq!(ev(call(Function::String, vec![null()])), Ok(Val::Null));
    let sub = |args: Vec<Expr>| ev(call(Function::Substring, args));
    assert_eq!(sub(vec![s("start.exe"), l(-4)]), str_val(".exe"));
    assert_eq!(sub(vec![s("start.exe"), l(0), l(-4)]), str_val("start"));
    assert_eq!(sub(vec![s("start.exe"), l(2), l(100)]), str_val("art.exe"));
    assert_eq!(sub(vec![s("start.exe"), l(5), l(2)]), str_val(""));
    assert_eq!(sub(vec![s("start.exe"), null()]), str_val("start.exe"));
    assert_eq!(
        sub(vec![s("start.exe"), l(-100), null()]),
        str_val("start.exe")
    );
    assert_eq!(sub(vec![null(), l(1)]), Ok(Val::Null));
}

#[test]
fn number_function() {
    // ToNumberFunctionProcessor.
    let num = |args: Vec<Expr>| ev(call(Function::Number, args));
    assert_eq!(num(vec![s("17")]), Ok(Val::Long(17)));
    assert_eq!(num(vec![s("1.5")]), Ok(Val::Double(1.5)));
    assert_eq!(num(vec![s("0x1f")]), Ok(Val::Long(31)));
    assert_eq!(num(vec![s("0x1f"), l(16)]), Ok(Val::Long(31)));
    assert_eq!(num(vec![s("11"), l(16)]), Ok(Val::Long(17)));
    assert_eq!(num(vec![s("31"), l(13)]), Ok(Val::Long(40)));
    assert_eq!(num(vec![s("17"), null()]), Ok(Val::Long(17)));
    assert_eq!(num(vec![null()]), Ok(Val::Null));
    assert!(matches!(
        num(vec![s("0x1f"), l(10)]),
        Err(EvalError::NumberFormat { .. })
    ));
    assert!(matches!(
        num(vec![s("abc")]),
        Err(EvalError::NumberFormat { .. })
    ));
    assert!(matches!(
        num(vec![s("1"), d(10.0)]),
        Err(EvalError::BadBase(_))
    ));
    assert!(matches!(num(vec![l(1)]), Err(EvalError::NotAString { .. })));
}

#[test]
fn multi_valued_fields_match_when_some_value_does() {
    // Scripts.multiValueDocValuesRewrite + InternalEqlScriptUtils.multiValueDocValues:
    // each field occurrence ranges over all doc values; a missing field is null.
    let mut fx = Fx::new(r#"{"args":{"type":"keyword"},"n":{"type":"long"}}"#);
    let args = fx.f("args");
    let n = fx.f("n");
    let long_arg = cmp(
        CmpOp::Gt,
        call(Function::Length, vec![Expr::Field(args.clone())]),
        l(3),
    );
    assert_eq!(
        filter(&long_arg, &fx.ev(r#"{"args":["a","bcdef"]}"#)),
        Ok(true)
    );
    assert_eq!(
        filter(&long_arg, &fx.ev(r#"{"args":["a","bc"]}"#)),
        Ok(false)
    );
    assert_eq!(filter(&long_arg, &fx.ev(r#"{}"#)), Ok(false));
    // Two occurrences of one field are independent variables.
    let both = Expr::And(vec![
        cmp(CmpOp::Eq, Expr::Field(args.clone()), s("a")),
        cmp(CmpOp::Eq, Expr::Field(args.clone()), s("b")),
    ]);
    assert_eq!(filter(&both, &fx.ev(r#"{"args":["a","b"]}"#)), Ok(true));
    // A top-level `not` is hoisted: true when no value makes the body true,
    // including a missing field.
    let not_long = Expr::Not(Box::new(long_arg));
    assert_eq!(
        filter(&not_long, &fx.ev(r#"{"args":["a","bcdef"]}"#)),
        Ok(false)
    );
    assert_eq!(filter(&not_long, &fx.ev(r#"{"args":["a"]}"#)), Ok(true));
    assert_eq!(filter(&not_long, &fx.ev(r#"{}"#)), Ok(true));
    // docValue: the first (smallest) value.
    assert_eq!(
        evaluate(&Expr::Field(n.clone()), &fx.ev(r#"{"n":[9,2,5]}"#)),
        Ok(Val::Long(2))
    );
    assert_eq!(
        doc_values(&n, &fx.ev(r#"{"n":[9,2,2,"5"]}"#)),
        vec![Val::Long(2), Val::Long(5), Val::Long(9)]
    );
}

#[test]
fn script_doc_values_by_type() {
    let mut fx = Fx::new(
        r#"{"ip":{"type":"ip"},"ts":{"type":"date"},"b":{"type":"boolean"},"fl":{"type":"float"},"k":{"type":"keyword","ignore_above":3}}"#,
    );
    let ip = fx.f("ip");
    let ts = fx.f("ts");
    let b = fx.f("b");
    let fl = fx.f("fl");
    let k = fx.f("k");
    let e = fx.ev(r#"{"ip":"::ffff:10.0.0.1","ts":"2017-08-30T20:47:33.120Z","b":"true","fl":0.1,"k":["abcd","ab"]}"#);
    assert_eq!(doc_values(&ip, &e), vec![Val::Str("10.0.0.1".into())]);
    assert_eq!(
        doc_values(&ts, &e),
        vec![Val::Str("2017-08-30T20:47:33.120Z".into())]
    );
    assert_eq!(doc_values(&b, &e), vec![Val::Bool(true)]);
    assert_eq!(doc_values(&fl, &e), vec![Val::Double(f64::from(0.1f32))]);
    assert_eq!(doc_values(&k, &e), vec![Val::Str("ab".into())]);
    assert_eq!(instant_string(0), "1970-01-01T00:00Z");
    assert_eq!(instant_string(1_500), "1970-01-01T00:00:00.000001500Z");
}
