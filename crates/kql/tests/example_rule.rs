//! The KQL form of the example rule "Dumping Account Hashes via Built-In
//! Commands" (`rules/macos/credential_access_dumping_hashes_bi_cmds.toml`)
//! against crafted ECS events: keyword values match exactly and
//! case-sensitively, an array field matches when any element does, and a
//! missing field never matches.

mod support;

use event::{parse_event, FieldRegistry, Schema};
use ir::Binder;
use kql::KqlOptions;

const QUERY: &str = "event.category:process and host.os.type:macos and event.type:start and \
                     process.name:(defaults or mkpassdb) and process.args:(ShadowHashData or \"-dump\")";

const EVENTS: &[(&str, bool, &str)] = &[
    (
        "m1",
        true,
        r#"{"event":{"category":["process"],"type":["start"]},"host":{"os":{"type":"macos"}},"process":{"name":"defaults","args":["defaults","read","/var/db/dslocal/nodes/Default/users/x.plist","ShadowHashData"]}}"#,
    ),
    (
        "m2",
        true,
        r#"{"event":{"category":"process","type":["start","process_started"]},"host":{"os":{"type":"macos"}},"process":{"name":"mkpassdb","args":["mkpassdb","-dump"]}}"#,
    ),
    (
        "m3",
        true,
        r#"{"event":{"category":["process","file"],"type":["info","start"]},"host":{"os":{"type":"macos"}},"process":{"name":"defaults","args":["x","-dump","y"]}}"#,
    ),
    (
        "n1",
        false,
        r#"{"event":{"category":["process"],"type":["start"]},"host":{"os":{"type":"macos"}},"process":{"name":"Defaults","args":["ShadowHashData"]}}"#,
    ),
    (
        "n2",
        false,
        r#"{"event":{"category":["process"],"type":["start"]},"host":{"os":{"type":"macos"}},"process":{"name":"defaults","args":["shadowhashdata"]}}"#,
    ),
    (
        "n3",
        false,
        r#"{"event":{"category":["process"],"type":["start"]},"host":{"os":{"type":"macos"}},"process":{"name":"mkpassdb","args":["-Dump"]}}"#,
    ),
    (
        "n4",
        false,
        r#"{"event":{"category":["process"],"type":["start"]},"host":{"os":{"type":"macos"}},"process":{"name":"mkpassdb"}}"#,
    ),
    (
        "n5",
        false,
        r#"{"event":{"category":["process"],"type":["start"]},"host":{"os":{"type":"macOS"}},"process":{"name":"mkpassdb","args":["-dump"]}}"#,
    ),
    (
        "n6",
        false,
        r#"{"event":{"category":["process"],"type":["end"]},"host":{"os":{"type":"macos"}},"process":{"name":"mkpassdb","args":["-dump"]}}"#,
    ),
    (
        "n7",
        false,
        r#"{"event":{"category":["process"],"type":["start"]},"host":{"os":{"type":"macos"}},"process":{"args":["-dump"]}}"#,
    ),
    (
        "n8",
        false,
        r#"{"event":{"category":["process"],"type":["start"]},"host":{"os":{"type":"macos"}},"process":{"name":"defaults","args":["ShadowHashData2","--dump"]}}"#,
    ),
    (
        "n9",
        false,
        r#"{"event":{"category":["network"],"type":["start"]},"host":{"os":{"type":"macos"}},"process":{"name":"defaults","args":["ShadowHashData"]}}"#,
    ),
    (
        "n10",
        false,
        r#"{"event":{"category":["process"],"type":["start"]},"host":{"os":{"type":"macos"}},"process":{"name":"defaults","args":[]}}"#,
    ),
    (
        "n11",
        false,
        r#"{"event":{"category":["process"],"type":["start"]},"process":{"name":"defaults","args":["ShadowHashData"]}}"#,
    ),
];

#[test]
fn example_rule_matches_exactly_the_right_events() {
    let schema = Schema::ecs();
    let mut registry = FieldRegistry::new();
    let pred = {
        let mut binder = Binder::new(&schema, &mut registry);
        kql::compile(QUERY, &mut binder, &KqlOptions::default()).unwrap()
    };
    let got: Vec<&str> = EVENTS
        .iter()
        .filter(|(_, _, json)| support::eval(&pred, &parse_event(json, &registry).unwrap()))
        .map(|(id, _, _)| *id)
        .collect();
    let want: Vec<&str> = EVENTS
        .iter()
        .filter(|(_, m, _)| *m)
        .map(|(id, _, _)| *id)
        .collect();
    assert_eq!(got, want);
    assert_eq!(want, ["m1", "m2", "m3"]);
}

#[test]
fn example_rule_lowers_to_exact_terms() {
    let schema = Schema::ecs();
    let mut registry = FieldRegistry::new();
    let mut binder = Binder::new(&schema, &mut registry);
    let pred = kql::compile(QUERY, &mut binder, &KqlOptions::default()).unwrap();
    let ir::Pred::And(items) = &pred else {
        panic!("{pred:?}")
    };
    assert_eq!(items.len(), 5);
    let ir::Pred::Or(names) = &items[3] else {
        panic!("{:?}", items[3])
    };
    let terms: Vec<_> = names
        .iter()
        .map(|p| match p {
            ir::Pred::Field(ft) => (ft.field.name.as_str(), ft.test.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    let term = |v: &str| ir::Test::Terms {
        values: vec![v.to_string()],
        case_insensitive: false,
    };
    assert_eq!(
        terms,
        [
            ("process.name", term("defaults")),
            ("process.name", term("mkpassdb"))
        ]
    );
}
