//! Lucene query strings and query-DSL filters, evaluated on crafted
//! documents with the same field semantics as KQL.
//!
//! Lucene boolean logic follows `QueryParserBase.addClause` (Lucene's classic
//! query parser, which Elasticsearch's `query_string` uses): clauses are
//! MUST / SHOULD / MUST_NOT, not a precedence grammar.

mod support;

use event::{parse_event, FieldRegistry, Schema};
use ir::{Binder, Pred};
use kql::KqlOptions;
use serde_json::json;

const DOCS: &[&str] = &[
    r#"{"id":"a","@timestamp":"2024-03-02T10:00:00.000Z","message":"Failed logon for user bob","process":{"name":"cmd.exe","args":["cmd.exe","/c"]},"file":{"path":"C:\\temp\\report.docx"},"destination":{"port":443}}"#,
    r#"{"id":"b","@timestamp":"2024-03-02T23:59:59.999Z","message":"Accepted password for root","process":{"name":"sshd"},"destination":{"port":22},"user":{"name":"root"}}"#,
    r#"{"id":"c","@timestamp":"2024-03-03T00:00:00.000Z","process":{"name":"curl","args":["curl","-s"]},"file":{"path":"C:\\Program Files\\x.exe"}}"#,
];

fn eval_ids(
    compile: impl FnOnce(&mut Binder<'_>) -> Result<Pred, diag::Diagnostics>,
) -> Result<Vec<String>, Vec<&'static str>> {
    let schema = Schema::ecs();
    let mut registry = FieldRegistry::new();
    let id = registry.intern("id");
    let pred = {
        let mut binder = Binder::new(&schema, &mut registry);
        compile(&mut binder).map_err(|d| d.0.iter().map(|d| d.code).collect::<Vec<_>>())?
    };
    Ok(DOCS
        .iter()
        .map(|d| parse_event(d, &registry).unwrap())
        .filter(|e| support::eval(&pred, e))
        .map(|e| e.first(id).unwrap().keyword().into_owned())
        .collect())
}

fn lucene(q: &str) -> Result<Vec<String>, Vec<&'static str>> {
    eval_ids(|b| kql::lucene::compile(q, b, &KqlOptions::default()))
}

fn dsl(filters: serde_json::Value) -> Result<Vec<String>, Vec<&'static str>> {
    eval_ids(|b| kql::filters::lower_filters(&filters, b, &KqlOptions::default()))
}

#[test]
fn lucene_field_values_and_types() {
    let ok = |q: &str| lucene(q).unwrap_or_else(|e| panic!("{q}: {e:?}"));
    assert_eq!(ok("process.name:curl"), ["c"]);
    assert_eq!(ok("process.name:(cmd.exe OR curl)"), ["a", "c"]);
    assert_eq!(ok("process.name:c?rl"), ["c"]);
    assert_eq!(ok("process.name:*.exe"), ["a"]);
    assert_eq!(ok("process.name:/c.d\\.exe/"), ["a"]);
    assert_eq!(ok("message:\"logon for user\""), ["a"]);
    assert_eq!(ok("message:LOGON"), ["a"]);
    assert_eq!(ok("message:acc*"), ["b"]);
    assert_eq!(ok(r"file.path:C\:\\temp\\*"), ["a"]);
    assert_eq!(ok(r#"file.path:"C:\\Program Files\\x.exe""#), ["c"]);
    assert_eq!(ok("destination.port:[22 TO 443]"), ["a", "b"]);
    assert_eq!(ok("destination.port:{22 TO 443]"), ["a"]);
    assert_eq!(ok("destination.port:[* TO 100}"), ["b"]);
    assert_eq!(ok("destination.port:>=443"), ["a"]);
    assert_eq!(ok("destination.port:<443"), ["b"]);
    assert_eq!(ok("@timestamp:[2024-03-02 TO 2024-03-02]"), ["a", "b"]);
    assert_eq!(ok("_exists_:user.name"), ["b"]);
    assert_eq!(ok("process.args:*"), ["a", "c"]);
    assert_eq!(ok("root"), ["b"]);
    assert_eq!(ok("*"), ["a", "b", "c"]);
    assert_eq!(ok("process.name:cmd.exe^2"), ["a"]);
}

#[test]
fn lucene_boolean_logic_is_must_should_must_not() {
    let ok = |q: &str| lucene(q).unwrap_or_else(|e| panic!("{q}: {e:?}"));
    assert_eq!(ok("process.name:sshd OR process.name:curl"), ["b", "c"]);
    assert_eq!(ok("process.name:sshd process.name:curl"), ["b", "c"]);
    assert_eq!(ok("process.name:sshd AND user.name:root"), ["b"]);
    assert_eq!(
        ok("process.name:sshd && user.name:nobody"),
        Vec::<String>::new()
    );
    // `a AND b OR c` is `+a +b c`: c is optional once a and b are required
    assert_eq!(
        ok("process.name:sshd AND user.name:root OR process.name:curl"),
        ["b"]
    );
    assert_eq!(
        ok("(process.name:sshd AND user.name:root) OR process.name:curl"),
        ["b", "c"]
    );
    assert_eq!(ok("NOT process.name:sshd"), ["a", "c"]);
    assert_eq!(ok("-process.name:sshd -process.name:curl"), ["a"]);
    assert_eq!(ok("!process.name:sshd"), ["a", "c"]);
    assert_eq!(ok("+process.args:* -process.name:curl"), ["a"]);
    assert_eq!(
        ok("process.name:curl || (destination.port:443 AND NOT process.name:sshd)"),
        ["a", "c"]
    );
    // lower-case `and` is a term, searched in the default fields
    assert_eq!(ok("process.name:sshd and"), ["b"]);
}

#[test]
fn lucene_errors() {
    assert_eq!(lucene("process.name:"), Err(vec!["KQL0201"]));
    assert_eq!(lucene("(process.name:curl"), Err(vec!["KQL0201"]));
    assert_eq!(lucene("AND process.name:curl"), Err(vec!["KQL0201"]));
    assert_eq!(lucene("destination.port:[1 TO"), Err(vec!["KQL0201"]));
    assert_eq!(lucene("message:\"unclosed"), Err(vec!["KQL0201"]));
    assert_eq!(lucene("process.name:curl~2"), Err(vec!["KQL0109"]));
    assert_eq!(lucene("destination.port:abc"), Err(vec!["KQL0101"]));
    assert_eq!(lucene("process.name:/a[/"), Err(vec!["KQL0108"]));
    let deep = format!(
        "{}a{}",
        "(".repeat(kql::MAX_DEPTH + 1),
        ")".repeat(kql::MAX_DEPTH + 1)
    );
    assert_eq!(lucene(&deep), Err(vec!["KQL0202"]));
}

#[test]
fn the_deprecated_catalogue_lucene_rule_compiles() {
    let path = support::corpus().join("detection-rules/rules/_deprecated");
    let mut seen = 0;
    for e in std::fs::read_dir(path).unwrap().flatten() {
        let doc: toml::Value = toml::from_str(&std::fs::read_to_string(e.path()).unwrap()).unwrap();
        let rule = &doc["rule"];
        if rule.get("language").and_then(|l| l.as_str()) == Some("lucene") {
            seen += 1;
            let q = rule["query"].as_str().unwrap();
            assert!(lucene(q).is_ok(), "{}: {:?}", e.path().display(), lucene(q));
        }
    }
    assert_eq!(seen, 1);
}

#[test]
fn kibana_filters_negate_disable_and_legacy_shapes() {
    // The shapes of the catalogue's filters: a negated case-insensitive wildcard
    // and a legacy exists filter (query key beside `meta`).
    let f = json!([
        {"meta": {"negate": true}, "query": {"wildcard": {"file.path": {"case_insensitive": true, "value": "?:\\\\temp\\\\*"}}}},
        {"meta": {"negate": false, "disabled": true}, "query": {"match_none": {}}},
        {"$state": {"store": "appState"}, "exists": {"field": "process.args"}, "meta": {"negate": false, "disabled": false}}
    ]);
    assert_eq!(dsl(f), Ok(vec!["c".to_string()]));
    assert_eq!(
        dsl(json!([{"meta": {"negate": true}, "exists": {"field": "user.name"}}])),
        Ok(vec!["a".into(), "c".into()])
    );
    assert_eq!(dsl(json!([])), Ok(vec!["a".into(), "b".into(), "c".into()]));
    // Elasticsearch wildcard syntax: `\` escapes, so `C:\temp` is `C:temp`
    assert_eq!(
        dsl(json!([{"query": {"wildcard": {"file.path": "C:\\temp\\*"}}}])),
        Ok(vec![])
    );
}

#[test]
fn dsl_queries() {
    let ids = |q: serde_json::Value| {
        dsl(json!([{"meta": {}, "query": q}])).unwrap_or_else(|e| panic!("{e:?}"))
    };
    assert_eq!(ids(json!({"term": {"process.name": "curl"}})), ["c"]);
    assert_eq!(
        ids(json!({"term": {"process.name": {"value": "CURL", "case_insensitive": true}}})),
        ["c"]
    );
    assert_eq!(ids(json!({"term": {"message": "failed"}})), ["a"]);
    assert_eq!(
        ids(json!({"term": {"message": "Failed"}})),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(json!({"terms": {"process.name": ["curl", "sshd"]}})),
        ["b", "c"]
    );
    assert_eq!(
        ids(json!({"terms": {"destination.port": [22, 8080]}})),
        ["b"]
    );
    assert_eq!(
        ids(json!({"match": {"message": "logon password"}})),
        ["a", "b"]
    );
    assert_eq!(
        ids(json!({"match": {"message": {"query": "logon bob", "operator": "and"}}})),
        ["a"]
    );
    assert_eq!(
        ids(json!({"match": {"message": {"query": "logon root", "operator": "AND"}}})),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(json!({"match_phrase": {"message": "password for root"}})),
        ["b"]
    );
    assert_eq!(
        ids(json!({"match": {"message": {"query": "for root", "type": "phrase"}}})),
        ["b"]
    );
    // a field pattern covers numeric user.* fields: lenient, or Elasticsearch fails the query
    assert_eq!(
        ids(
            json!({"multi_match": {"query": "root", "fields": ["user.*", "message"], "lenient": true}})
        ),
        ["b"]
    );
    assert_eq!(
        ids(json!({"multi_match": {"query": "root", "fields": ["user.name", "message"]}})),
        ["b"]
    );
    assert_eq!(
        ids(json!({"range": {"destination.port": {"gte": 100}}})),
        ["a"]
    );
    assert_eq!(
        ids(
            json!({"range": {"destination.port": {"from": 22, "to": 443, "include_lower": false}}})
        ),
        ["a"]
    );
    assert_eq!(
        ids(json!({"range": {"@timestamp": {"gt": "2024-03-02"}}})),
        ["c"]
    );
    assert_eq!(
        ids(json!({"range": {"@timestamp": {"lte": "2024-03-02", "time_zone": "UTC"}}})),
        ["a", "b"]
    );
    assert_eq!(
        ids(json!({"prefix": {"process.name": {"value": "CU", "case_insensitive": true}}})),
        ["c"]
    );
    assert_eq!(ids(json!({"regexp": {"process.name": "s.*d"}})), ["b"]);
    assert_eq!(
        ids(json!({"query_string": {"query": "process.name:curl OR user.name:root"}})),
        ["b", "c"]
    );
    assert_eq!(
        ids(json!({"query_string": {"query": "cmd.exe", "default_field": "process.name"}})),
        ["a"]
    );
    assert_eq!(ids(json!({"match_all": {}})), ["a", "b", "c"]);
    assert_eq!(
        ids(json!({"constant_score": {"filter": {"term": {"process.name": "sshd"}}}})),
        ["b"]
    );
    assert_eq!(
        ids(
            json!({"dis_max": {"queries": [{"term": {"process.name": "sshd"}}, {"term": {"process.name": "curl"}}]}})
        ),
        ["b", "c"]
    );
}

#[test]
fn dsl_bool_and_minimum_should_match() {
    let ids = |q: serde_json::Value| dsl(json!([{"query": q}])).unwrap_or_else(|e| panic!("{e:?}"));
    let should = json!([
        {"term": {"process.name": "sshd"}},
        {"term": {"user.name": "root"}},
        {"exists": {"field": "process.args"}}
    ]);
    assert_eq!(ids(json!({"bool": {"should": should}})), ["a", "b", "c"]);
    assert_eq!(
        ids(json!({"bool": {"should": should, "minimum_should_match": 2}})),
        ["b"]
    );
    assert_eq!(
        ids(json!({"bool": {"should": should, "minimum_should_match": "-1"}})),
        ["b"]
    );
    assert_eq!(
        ids(json!({"bool": {"should": should, "minimum_should_match": "34%"}})),
        ["a", "b", "c"]
    );
    assert_eq!(
        ids(json!({"bool": {"should": should, "minimum_should_match": 4}})),
        Vec::<String>::new()
    );
    // with must/filter present, should clauses are optional
    assert_eq!(
        ids(json!({"bool": {"filter": {"exists": {"field": "process.args"}}, "should": should}})),
        ["a", "c"]
    );
    assert_eq!(
        ids(
            json!({"bool": {"must": [{"exists": {"field": "process.name"}}], "must_not": [{"term": {"process.name": "sshd"}}, {"term": {"process.name": "curl"}}]}})
        ),
        ["a"]
    );
    assert_eq!(ids(json!({"bool": {}})), ["a", "b", "c"]);
}

#[test]
fn dsl_errors() {
    let err = |q: serde_json::Value| dsl(json!([{"query": q}])).unwrap_err();
    assert_eq!(err(json!({"geo_distance": {}})), ["KQL0301"]);
    assert_eq!(
        err(json!({"term": {"process.name": "a", "user.name": "b"}})),
        ["KQL0301"]
    );
    assert_eq!(
        err(json!({"range": {"@timestamp": {"gte": "now-1d", "time_zone": "Europe/Paris"}}})),
        ["KQL0301"]
    );
    assert_eq!(
        err(json!({"term": {"destination.port": "abc"}})),
        ["KQL0101"]
    );
    assert!(
        err(json!({"multi_match": {"query": "root", "fields": ["user.*"]}}))
            .iter()
            .all(|c| *c == "KQL0101")
    );
    assert_eq!(err(json!({"bool": {"must": "nope"}})), ["KQL0301"]);
    assert_eq!(dsl(json!([42])).unwrap_err(), ["KQL0301"]);
    let mut deep = json!({"match_all": {}});
    for _ in 0..=kql::MAX_DEPTH {
        deep = json!({"bool": {"must": [deep]}});
    }
    assert_eq!(err(deep), ["KQL0302"]);
}
