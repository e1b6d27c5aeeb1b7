//! Exception lowering: the exact `ir::Pred` for each entry type, following
//! Kibana's exception filter builder
//! (`x-pack/solutions/security/plugins/lists/server/services/exception_lists/build_exception_filter.ts`:
//! items ORed, entries ANDed, `match` → `match_phrase`, `match_any` → should of
//! `match_phrase`, `wildcard` → `wildcard` query, `exists`, `list` → `terms` /
//! ip ranges, `excluded` → `must_not`, `nested` → `nested`, `os_types` →
//! `host.os.type` or `host.os.name.caseless`).

use event::wildcard::{Part, Pattern};
use event::{FieldRegistry, FieldType, Number, Schema};
use ir::{Binder, FieldRef, Pred, RangeBound, RangeValue, Test, TextMode};
use rules::{
    lower_exceptions, Entry, ExceptionItem, ListRef, LoweredExceptions, Operator, ValueLists,
};

fn item(id: &str, entries: Vec<Entry>, os_types: &[&str]) -> ExceptionItem {
    ExceptionItem {
        item_id: id.into(),
        id: None,
        list_id: "l".into(),
        name: id.into(),
        description: String::new(),
        item_type: "simple".into(),
        namespace_type: "single".into(),
        entries,
        os_types: os_types.iter().map(|s| s.to_string()).collect(),
        expire_time: None,
        tags: Vec::new(),
        raw: serde_json::Value::Null,
        origin: None,
    }
}

fn m(field: &str, value: &str) -> Entry {
    Entry::Match {
        field: field.into(),
        operator: Operator::Included,
        value: value.into(),
    }
}

/// Lowers items and returns the result with the registry (to name field ids).
fn lower(items: &[ExceptionItem], lists: &ValueLists) -> (LoweredExceptions, FieldRegistry) {
    let schema = Schema::ecs();
    let mut reg = FieldRegistry::new();
    let refs: Vec<&ExceptionItem> = items.iter().collect();
    let out = {
        let mut binder = Binder::new(&schema, &mut reg);
        lower_exceptions(&refs, &mut binder, lists)
    };
    (out, reg)
}

fn f(
    reg: &FieldRegistry,
    name: &str,
    path: &str,
    ty: FieldType,
    ignore_above: Option<u32>,
) -> FieldRef {
    FieldRef {
        id: reg.get(path).unwrap_or_else(|| panic!("{path} not bound")),
        name: name.into(),
        ty,
        ignore_above,
    }
}

fn kw(reg: &FieldRegistry, name: &str) -> FieldRef {
    f(reg, name, name, FieldType::Keyword, Some(1024))
}

fn terms(values: &[&str], ci: bool) -> Test {
    Test::Terms {
        values: values.iter().map(|s| s.to_string()).collect(),
        case_insensitive: ci,
    }
}

#[test]
fn match_is_an_exact_term_on_keyword_fields() {
    let (out, reg) = lower(
        &[item("a", vec![m("process.name", "svchost.exe")], &[])],
        &ValueLists::new(),
    );
    assert!(out.diagnostics.is_empty());
    assert_eq!(
        out.pred,
        Pred::field(kw(&reg, "process.name"), terms(&["svchost.exe"], false))
    );
}

#[test]
fn match_any_excluded_and_entries_anded_items_ored() {
    let a = item(
        "a",
        vec![
            m("process.name", "a.exe"),
            Entry::MatchAny {
                field: "host.name".into(),
                operator: Operator::Excluded,
                value: vec!["dc01".into(), "dc02".into()],
            },
        ],
        &[],
    );
    let b = item(
        "b",
        vec![Entry::Exists {
            field: "user.name".into(),
            operator: Operator::Excluded,
        }],
        &[],
    );
    let (out, reg) = lower(&[a, b], &ValueLists::new());
    let expected = Pred::Or(vec![
        Pred::And(vec![
            Pred::field(kw(&reg, "process.name"), terms(&["a.exe"], false)),
            Pred::Not(Box::new(Pred::field(
                kw(&reg, "host.name"),
                terms(&["dc01", "dc02"], false),
            ))),
        ]),
        Pred::Not(Box::new(Pred::field(kw(&reg, "user.name"), Test::Exists))),
    ]);
    assert_eq!(out.pred, expected);
}

#[test]
fn typed_fields_numbers_ips_dates_booleans_text() {
    let i = item(
        "a",
        vec![
            m("process.pid", "4"),
            m("source.ip", "10.0.0.0/8"),
            Entry::MatchAny {
                field: "destination.ip".into(),
                operator: Operator::Included,
                value: vec!["1.2.3.4".into(), "::1".into()],
            },
            m("event.created", "2024-01-02T03:04:05Z"),
            m("message", "Failed password for root"),
            // A fraction on an integer field matches nothing (Elasticsearch's term on long).
            m("process.parent.pid", "1.5"),
        ],
        &[],
    );
    let (out, reg) = lower(&[i], &ValueLists::new());
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let date = event::time::parse_date_nanos("2024-01-02T03:04:05Z").unwrap();
    let bound = Some(RangeBound {
        value: RangeValue::Date(date),
        inclusive: true,
    });
    let expected = Pred::And(vec![
        Pred::field(
            f(&reg, "process.pid", "process.pid", FieldType::Long, None),
            Test::Numbers(vec![Number::Int(4)]),
        ),
        Pred::field(
            f(&reg, "source.ip", "source.ip", FieldType::Ip, None),
            Test::IpNets(vec!["10.0.0.0/8".parse().unwrap()]),
        ),
        Pred::field(
            f(
                &reg,
                "destination.ip",
                "destination.ip",
                FieldType::Ip,
                None,
            ),
            Test::IpNets(vec![
                "1.2.3.4/32".parse().unwrap(),
                "::1/128".parse().unwrap(),
            ]),
        ),
        Pred::field(
            f(
                &reg,
                "event.created",
                "event.created",
                FieldType::Date,
                None,
            ),
            Test::Range {
                lower: bound.clone(),
                upper: bound,
            },
        ),
        Pred::field(
            f(&reg, "message", "message", FieldType::MatchOnlyText, None),
            Test::Text {
                tokens: vec![
                    "failed".into(),
                    "password".into(),
                    "for".into(),
                    "root".into(),
                ],
                mode: TextMode::Phrase,
            },
        ),
        Pred::Const(false),
    ]);
    assert_eq!(out.pred, expected);
}

#[test]
fn bad_values_are_reported_and_the_item_not_applied() {
    let i = item("bad", vec![m("source.ip", "not-an-ip")], &[]);
    let good = item("good", vec![m("process.name", "x")], &[]);
    let (out, reg) = lower(&[i, good], &ValueLists::new());
    assert_eq!(out.unprocessed, vec!["bad".to_string()]);
    assert_eq!(
        out.pred,
        Pred::field(kw(&reg, "process.name"), terms(&["x"], false))
    );
    assert_eq!(out.diagnostics.len(), 1);
    let d = &out.diagnostics[0].diagnostic;
    assert_eq!(d.code, "RULE0302");
    assert_eq!(
        d.message,
        "`not-an-ip` is not an IP address or CIDR block, as `source.ip` (ip) requires"
    );
    assert_eq!(
        d.notes,
        vec!["in exception item `bad` of list `l`".to_string()]
    );
}

/// `wildcard` entries are Lucene wildcard queries: `\` escapes, case-sensitive
/// on keyword fields; `.caseless` fields (lowercase normalizer) fold both sides.
#[test]
fn wildcard_escapes_and_caseless_fields() {
    let cs = item(
        "cs",
        vec![Entry::Wildcard {
            field: "process.executable".into(),
            operator: Operator::Included,
            value: r"C:\\Windows\\*\\a?.exe".into(),
        }],
        &[],
    );
    let ci = item(
        "ci",
        vec![Entry::Wildcard {
            field: "file.path.caseless".into(),
            operator: Operator::Included,
            value: r"c:\\temp\\*".into(),
        }],
        &[],
    );
    let (out, reg) = lower(&[cs, ci], &ValueLists::new());
    let p1 = Pattern::from_parts(
        vec![
            Part::Literal(r"C:\Windows\".into()),
            Part::AnyRun,
            Part::Literal(r"\a".into()),
            Part::AnyOne,
            Part::Literal(".exe".into()),
        ],
        false,
        r"C:\\Windows\\*\\a?.exe".into(),
    );
    let p2 = Pattern::from_parts(
        vec![Part::Literal(r"c:\temp\".into()), Part::AnyRun],
        true,
        r"c:\\temp\\*".into(),
    );
    assert!(p1.matches(r"C:\Windows\System32\ab.exe"));
    assert!(!p1.matches(r"c:\windows\System32\ab.exe"));
    assert!(p2.matches(r"C:\TEMP\x.exe"));
    let caseless = f(
        &reg,
        "file.path.caseless",
        "file.path",
        FieldType::Keyword,
        Some(1024),
    );
    let expected = Pred::Or(vec![
        Pred::field(kw(&reg, "process.executable"), Test::Wildcards(vec![p1])),
        Pred::field(caseless, Test::Wildcards(vec![p2])),
    ]);
    assert_eq!(out.pred, expected);
}

/// Kibana's `transformOsType`: each OS as `host.os.type` or
/// `host.os.name.caseless`, ANDed with the entries.
#[test]
fn os_types_and_caseless_match() {
    let i = item(
        "os",
        vec![m("process.name.caseless", "CMD.EXE")],
        &["windows", "linux"],
    );
    let (out, reg) = lower(&[i], &ValueLists::new());
    let os_name = f(
        &reg,
        "host.os.name",
        "host.os.name",
        FieldType::Keyword,
        Some(1024),
    );
    let pname = f(
        &reg,
        "process.name.caseless",
        "process.name",
        FieldType::Keyword,
        Some(1024),
    );
    let expected = Pred::And(vec![
        Pred::Or(vec![
            Pred::field(
                kw(&reg, "host.os.type"),
                terms(&["windows", "linux"], false),
            ),
            Pred::field(os_name, terms(&["windows", "linux"], true)),
        ]),
        Pred::field(pname, terms(&["CMD.EXE"], true)),
    ]);
    assert_eq!(out.pred, expected);
}

#[test]
fn value_lists_by_type() {
    let mut lists = ValueLists::new();
    lists.insert("ips.txt", vec!["10.0.0.1".into(), "192.168.0.0/16".into()]);
    lists.insert(
        "ranges.txt",
        vec!["10.0.0.1-10.0.0.9".into(), "172.16.0.0/12".into()],
    );
    lists.insert("users.txt", vec!["svc_backup".into(), "svc_scan".into()]);
    lists.insert("words.txt", vec!["hello".into()]);
    let list = |field: &str, id: &str, ty: &str, op: Operator| Entry::List {
        field: field.into(),
        operator: op,
        list: ListRef {
            id: id.into(),
            list_type: ty.into(),
        },
    };
    let items = [
        item(
            "ip",
            vec![list("source.ip", "ips.txt", "ip", Operator::Included)],
            &[],
        ),
        item(
            "range",
            vec![list(
                "source.ip",
                "ranges.txt",
                "ip_range",
                Operator::Included,
            )],
            &[],
        ),
        item(
            "kw",
            vec![list(
                "user.name",
                "users.txt",
                "keyword",
                Operator::Excluded,
            )],
            &[],
        ),
        item(
            "text",
            vec![list("message", "words.txt", "text", Operator::Included)],
            &[],
        ),
        item(
            "missing",
            vec![list("user.name", "nope.txt", "keyword", Operator::Included)],
            &[],
        ),
    ];
    let (out, reg) = lower(&items, &lists);
    let ip = f(&reg, "source.ip", "source.ip", FieldType::Ip, None);
    let key = |s: &str| event::value::ip_key(s.parse().unwrap());
    let expected = Pred::Or(vec![
        Pred::field(
            ip.clone(),
            Test::IpNets(vec![
                "10.0.0.1/32".parse().unwrap(),
                "192.168.0.0/16".parse().unwrap(),
            ]),
        ),
        Pred::Or(vec![
            Pred::field(
                ip.clone(),
                Test::Range {
                    lower: Some(RangeBound {
                        value: RangeValue::Ip(key("10.0.0.1")),
                        inclusive: true,
                    }),
                    upper: Some(RangeBound {
                        value: RangeValue::Ip(key("10.0.0.9")),
                        inclusive: true,
                    }),
                },
            ),
            Pred::field(ip, Test::IpNets(vec!["172.16.0.0/12".parse().unwrap()])),
        ]),
        Pred::Not(Box::new(Pred::field(
            kw(&reg, "user.name"),
            terms(&["svc_backup", "svc_scan"], false),
        ))),
    ]);
    assert_eq!(out.pred, expected);
    assert_eq!(
        out.unprocessed,
        vec!["text".to_string(), "missing".to_string()]
    );
    let codes: Vec<&str> = out.diagnostics.iter().map(|d| d.diagnostic.code).collect();
    assert_eq!(codes, vec!["RULE0304", "RULE0303"]);
    assert_eq!(
        out.diagnostics[1].diagnostic.message,
        "value list `nope.txt` was not supplied (use --value-list FILE named `nope.txt`)"
    );
}

/// `nested`: inner fields are prefixed with the nested path and ANDed (over
/// flattened values; a warning says the per-object constraint is not kept).
#[test]
fn nested_entries() {
    let i = item(
        "n",
        vec![Entry::Nested {
            field: "file.Ext.code_signature".into(),
            entries: vec![
                m("subject_name", "Elastic"),
                Entry::Exists {
                    field: "trusted".into(),
                    operator: Operator::Excluded,
                },
            ],
        }],
        &[],
    );
    let (out, reg) = lower(&[i], &ValueLists::new());
    let un = |n: &str| f(&reg, n, n, FieldType::Unmapped, None);
    let expected = Pred::And(vec![
        Pred::field(
            un("file.Ext.code_signature.subject_name"),
            terms(&["Elastic"], false),
        ),
        Pred::Not(Box::new(Pred::field(
            un("file.Ext.code_signature.trusted"),
            Test::Exists,
        ))),
    ]);
    assert_eq!(out.pred, expected);
    assert!(out.unprocessed.is_empty());
    assert_eq!(out.diagnostics.len(), 1);
    assert_eq!(out.diagnostics[0].diagnostic.code, "RULE0304");
    assert_eq!(
        out.diagnostics[0].diagnostic.message,
        "nested entry `file.Ext.code_signature`: inner entries are matched over flattened values, not per object"
    );
}

#[test]
fn no_items_means_nothing_is_excepted() {
    let (out, _) = lower(&[], &ValueLists::new());
    assert_eq!(out.pred, Pred::Const(false));
}

#[test]
fn wildcard_on_a_number_field_is_an_error() {
    let i = item(
        "w",
        vec![Entry::Wildcard {
            field: "process.pid".into(),
            operator: Operator::Included,
            value: "1*".into(),
        }],
        &[],
    );
    let (out, _) = lower(&[i], &ValueLists::new());
    assert_eq!(out.pred, Pred::Const(false));
    assert_eq!(out.unprocessed, vec!["w".to_string()]);
    assert_eq!(
        out.diagnostics[0].diagnostic.message,
        "`process.pid` is a long field; wildcard entries need a keyword, wildcard or text field"
    );
}
