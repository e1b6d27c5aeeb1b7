//! Exact diagnostics for broken rule files, and classification of rules.

use diag::{LineCol, Span};
use rules::{load_text, LoadOptions, LoadReport, RuleType, SourceText};
use std::path::PathBuf;

fn load_str(name: &str, text: &str) -> LoadReport {
    let mut report = LoadReport::default();
    load_text(
        SourceText::new(name.into(), text.to_string()),
        &LoadOptions::default(),
        &mut report,
    );
    report
}

fn rendered(report: &LoadReport) -> String {
    report.render(Default::default())
}

#[test]
fn toml_syntax_error() {
    let r = load_str(
        "bad.toml",
        "[metadata]\nmaturity = \"production\"\n\n[rule]\nname = \"x\ntype = \"eql\"\n",
    );
    assert_eq!(
        rendered(&r),
        "error[RULE0002]: TOML syntax error: invalid basic string, expected `\"`\n --> bad.toml:5:10\n  |\n5 | name = \"x\n  |          ^\n"
    );
    assert!(r.rules.is_empty());
}

#[test]
fn json_syntax_errors() {
    let r = load_str(
        "bad.json",
        "{\"rule_id\": \"a\",\n \"name\": \"x\"\n \"type\": \"query\"}",
    );
    assert_eq!(
        rendered(&r),
        "error[RULE0003]: JSON syntax error: expected `,` or `}`\n --> bad.json:3:2\n  |\n3 |  \"type\": \"query\"}\n  |  ^\n"
    );
    // One bad NDJSON line does not stop the others.
    let good = r#"{"rule_id":"r1","name":"n","description":"d","type":"query","query":"a:1","risk_score":1,"severity":"low"}"#;
    let r = load_str(
        "x.ndjson",
        &format!("{good}\n{{\"rule_id\": tru\n{}\n", good.replace("r1", "r2")),
    );
    assert_eq!(r.rules.len(), 2);
    assert_eq!(
        rendered(&r),
        "error[RULE0003]: JSON syntax error: EOF while parsing a value\n --> x.ndjson:2:15\n  |\n2 | {\"rule_id\": tru\n  |               ^\n"
    );
}

#[test]
fn metadata_errors_point_into_the_file() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/bad_rule.toml");
    let r = load_str("bad_rule.toml", &std::fs::read_to_string(path).unwrap());
    let expected = r#"error[RULE0103]: unknown severity `urgent`
 --> bad_rule.toml:15:12
   |
15 | severity = "urgent"
   |            ^^^^^^^^ expected one of low, medium, high, critical
error[RULE0101]: `tags` must be a list of strings, found an integer in it
 --> bad_rule.toml:23:15
   |
23 | tags = ["ok", 3]
   |               ^ expected a string
warning[RULE0104]: unknown key `colour` (kept as is)
 --> bad_rule.toml:22:1
   |
22 | colour = "red"
   | ^^^^^^
error[RULE0208]: a rule of type `eql` cannot be written in `kuery`
 --> bad_rule.toml:11:12
   |
11 | language = "kuery"
   |            ^^^^^^^ expected eql
error[RULE0201]: risk_score 101 is outside 0-100
 --> bad_rule.toml:13:14
   |
13 | risk_score = 101
   |              ^^^ out of range
error[RULE0202]: max_signals must be at least 1, found 0
 --> bad_rule.toml:17:15
   |
17 | max_signals = 0
   |               ^
error[RULE0203]: `from` is not valid date math: `9m` is neither `now` nor a date
 --> bad_rule.toml:9:8
  |
9 | from = "9m"
  |        ^^^^ expected e.g. now-9m
error[RULE0204]: `interval` is not a duration: `5x` is not a number followed by s, m, h or d
 --> bad_rule.toml:18:12
   |
18 | interval = "5x"
   |            ^^^^ expected e.g. 5m
error[RULE0207]: `index` is empty: the rule would search nothing
 --> bad_rule.toml:10:9
   |
10 | index = []
   |         ^^ no patterns
error[RULE0205]: malformed ATT&CK tactic id `TA003`
 --> bad_rule.toml:28:6
   |
28 | id = "TA003"
   |      ^^^^^^^ expected TA followed by 4 digits
error[RULE0205]: subtechnique T1021.004 does not belong to technique T1098
 --> bad_rule.toml:36:6
   |
36 | id = "T1021.004"
   |      ^^^^^^^^^^^
error[RULE0206]: `creation_date` `2024-05-31` is not a YYYY/MM/DD date
 --> bad_rule.toml:2:17
  |
2 | creation_date = "2024-05-31"
  |                 ^^^^^^^^^^^^ expected YYYY/MM/DD
error[RULE0103]: unknown maturity `prod`
 --> bad_rule.toml:3:12
  |
3 | maturity = "prod"
  |            ^^^^^^ expected one of development, experimental, beta, production, deprecated
"#;
    assert_eq!(rendered(&r), expected);
    assert_eq!((r.valid_count(), r.invalid_count()), (0, 1));

    // The `"""` query has a `\t` escape and a line continuation: its text
    // starts on line 20 and offsets map back exactly.
    let q = r.rules[0].query_input().unwrap();
    assert_eq!(
        q.text,
        "process where process.name == \"a\tb\" and process.pid == 1"
    );
    assert_eq!(
        q.origin,
        LineCol {
            line: 20,
            column: 1
        }
    );
    assert!(!q.verbatim);
    let at = q.text.find("process.pid").unwrap();
    let d = q.to_file_diagnostic(
        diag::Diagnostic::error("EQL0000", "x").with_label(Span::new(at, at + 11), ""),
    );
    let src = &r.rules[0].origin.source;
    assert_eq!(
        src.line_col(d.labels[0].span.start as usize),
        LineCol {
            line: 21,
            column: 10
        }
    );
    let b = q.text.find("\tb").unwrap() + 1;
    assert_eq!(
        src.line_col(
            q.to_file_diagnostic(diag::Diagnostic::error("E", "x").with_label(Span::at(b), ""))
                .labels[0]
                .span
                .start as usize
        ),
        LineCol {
            line: 20,
            column: 35
        }
    );
}

#[test]
fn missing_keys_in_json_rules() {
    let r = load_str(
        "r.json",
        "{\"rule_id\": \"x\", \"type\": \"eql\", \"language\": \"eql\"}",
    );
    assert_eq!(
        rendered(&r),
        "error[RULE0102]: missing `name` (every rule has it)\n --> r.json:1:1\n  |\n1 | {\"rule_id\": \"x\", \"type\": \"eql\", \"language\": \"eql\"}\n  | ^ `name` required in this rule\n\
error[RULE0102]: missing `description` (every rule has it)\n --> r.json:1:1\n  |\n1 | {\"rule_id\": \"x\", \"type\": \"eql\", \"language\": \"eql\"}\n  | ^ `description` required in this rule\n\
error[RULE0102]: missing `risk_score` (every rule has it)\n --> r.json:1:1\n  |\n1 | {\"rule_id\": \"x\", \"type\": \"eql\", \"language\": \"eql\"}\n  | ^ `risk_score` required in this rule\n\
error[RULE0102]: missing `severity` (every rule has it)\n --> r.json:1:1\n  |\n1 | {\"rule_id\": \"x\", \"type\": \"eql\", \"language\": \"eql\"}\n  | ^ `severity` required in this rule\n\
error[RULE0102]: missing `query` (eql rules have a query)\n --> r.json:1:1\n  |\n1 | {\"rule_id\": \"x\", \"type\": \"eql\", \"language\": \"eql\"}\n  | ^ `query` required in this rule\n"
    );
}

const MINIMAL: &str = "[metadata]\ncreation_date = \"2024/01/01\"\nmaturity = \"MATURITY\"\nupdated_date = \"2024/01/01\"\n\n[rule]\nauthor = [\"a\"]\ndescription = \"d\"\nname = \"n\"\nrisk_score = 1\nrule_id = \"ID\"\nseverity = \"low\"\ntype = \"TYPE\"\nEXTRA\n";

fn minimal(id: &str, ty: &str, maturity: &str, extra: &str) -> String {
    MINIMAL
        .replace("ID", id)
        .replace("TYPE", ty)
        .replace("MATURITY", maturity)
        .replace("EXTRA", extra)
}

#[test]
fn deprecated_unsupported_and_duplicates() {
    let mut report = LoadReport::default();
    let opts = LoadOptions::default();
    let add = |r: &mut LoadReport, path: &str, text: String| {
        load_text(SourceText::new(path.into(), text), &opts, r)
    };
    add(
        &mut report,
        "a.toml",
        minimal("a", "query", "production", "query = 'x:1'"),
    );
    add(
        &mut report,
        "b.toml",
        minimal("b", "query", "deprecated", "query = 'x:1'"),
    );
    add(
        &mut report,
        "rules/_deprecated/c.toml",
        minimal("c", "query", "production", "query = 'x:1'"),
    );
    add(
        &mut report,
        "d.toml",
        minimal(
            "d",
            "machine_learning",
            "production",
            "anomaly_threshold = 50\nmachine_learning_job_id = \"job\"",
        ),
    );
    add(
        &mut report,
        "e.toml",
        minimal("e", "machine_learning", "production", ""),
    );
    assert_eq!(report.rules.len(), 1);
    assert_eq!(
        report
            .deprecated
            .iter()
            .map(|d| (d.rule_id.as_str(), d.reason.as_str()))
            .collect::<Vec<_>>(),
        [
            ("b", "maturity = \"deprecated\""),
            ("c", "in a `_deprecated` folder")
        ]
    );
    // Unsupported is never invalid by itself; an ML rule without its keys is.
    assert_eq!(report.unsupported.len(), 2);
    assert_eq!(
        report.unsupported[0].rule.rule_type,
        RuleType::MachineLearning
    );
    assert!(!report.unsupported[0].has_errors());
    let codes: Vec<&str> = report.unsupported[1]
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect();
    assert_eq!(codes, ["RULE0102", "RULE0102"]);

    // A caller that runs ML rules gets them as supported.
    let mut r2 = LoadReport::default();
    let opts2 = LoadOptions {
        supported_types: vec![RuleType::MachineLearning],
        threads: 1,
    };
    load_text(
        SourceText::new(
            "d.toml".into(),
            minimal(
                "d",
                "machine_learning",
                "production",
                "anomaly_threshold = 50\nmachine_learning_job_id = [\"job\"]",
            ),
        ),
        &opts2,
        &mut r2,
    );
    assert_eq!(r2.rules.len(), 1);
    assert_eq!(r2.rules[0].rule.machine_learning_job_id, ["job"]);

    // Duplicate rule ids across a load.
    let dir = std::env::temp_dir().join(format!("vigil-rules-dup-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(
        dir.join("one.toml"),
        minimal("same", "query", "production", "query = 'x:1'"),
    )
    .unwrap();
    std::fs::write(
        dir.join("sub/two.toml"),
        minimal("same", "query", "production", "query = 'x:1'"),
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "ignored").unwrap();
    let r = rules::load(std::slice::from_ref(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(r.files, 2);
    assert_eq!(r.rules[1].diagnostics.len(), 1);
    let d = &r.rules[1].diagnostics[0];
    assert_eq!(
        (d.code, d.message.as_str()),
        ("RULE0105", "rule_id `same` is used by another rule")
    );
    assert_eq!(
        d.notes,
        [format!("first used in {}", dir.join("one.toml").display())]
    );
}

#[test]
fn unreadable_paths_and_unknown_objects() {
    let r = rules::load(&[PathBuf::from("/nonexistent/vigil/rules.toml")]);
    assert_eq!(r.diagnostics.len(), 1);
    assert_eq!(r.diagnostics[0].diagnostic.code, "RULE0001");
    let r = load_str("x.ndjson", "{\"foo\": 1}\n[1]\n");
    let codes: Vec<&str> = r.diagnostics.iter().map(|d| d.diagnostic.code).collect();
    assert_eq!(codes, ["RULE0004", "RULE0004"]);
    let r = load_str("x.toml", "[metadata]\nmaturity = \"production\"\n");
    assert_eq!(r.diagnostics[0].diagnostic.code, "RULE0008");
}

const JSON_RULE: &str = r#"{"rule_id":"RID","name":"n","description":"d","type":"query","query":"a:1","risk_score":1,"severity":"low"EXTRA}"#;

#[test]
fn json_arrays_find_responses_and_data_views() {
    let one = |id: &str, extra: &str| JSON_RULE.replace("RID", id).replace("EXTRA", extra);
    let r = load_str(
        "rules.json",
        &format!(
            "[{}, {}]",
            one("a", ""),
            one("b", ",\"language\":\"lucene\"")
        ),
    );
    assert_eq!(
        r.rules
            .iter()
            .map(|l| l.rule.rule_id.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert!(r.rules[0].index_patterns.is_default());

    let find = format!(
        "{{\"page\":1,\"perPage\":20,\"total\":2,\"data\":[{},{}]}}",
        one("c", ""),
        one("d", ",\"risk_score\":500")
    );
    let r = load_str("find.json", &find);
    assert_eq!(r.rules.len(), 2);
    let d = &r.rules[1].diagnostics[0];
    assert_eq!(
        (d.code, d.message.as_str()),
        ("RULE0201", "risk_score 500 is outside 0-100")
    );
    let json = r.diagnostics_json();
    assert_eq!(json.len(), 1);
    assert_eq!(json[0]["file"], "find.json");
    assert_eq!(json[0]["line"], 1);
    assert_eq!(json[0]["column"], find.find("500").unwrap() + 1);
    assert_eq!(json[0]["code"], "RULE0201");

    let r = load_str(
        "dv.json",
        &one("e", ",\"data_view_id\":\"security-solution-default\""),
    );
    let d = &r.rules[0].diagnostics[0];
    assert_eq!((d.code, d.severity), ("RULE0212", diag::Severity::Warning));
    assert!(!r.has_errors());
}

/// Windows checkouts (CRLF line ends, a BOM) load with exact positions.
#[test]
fn crlf_and_bom_files() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/bad_rule.toml");
    let lf = std::fs::read_to_string(path).unwrap();
    let crlf = format!("\u{feff}{}", lf.replace('\n', "\r\n"));
    let a = load_str("lf.toml", &lf);
    let b = load_str("crlf.toml", &crlf);
    let qa = a.rules[0].query_input().unwrap();
    let qb = b.rules[0].query_input().unwrap();
    assert_eq!(qb.origin, qa.origin);
    assert_eq!(qb.text, qa.text);
    let pos = |r: &LoadReport| {
        r.rules[0]
            .diagnostics
            .iter()
            .map(|d| {
                r.rules[0]
                    .origin
                    .source
                    .line_col(d.labels[0].span.start as usize)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(pos(&a), pos(&b));
    let at = qb.text.find("process.pid").unwrap();
    let d = qb.to_file_diagnostic(
        diag::Diagnostic::error("E", "x").with_label(Span::new(at, at + 1), ""),
    );
    assert_eq!(
        b.rules[0]
            .origin
            .source
            .line_col(d.labels[0].span.start as usize),
        LineCol {
            line: 21,
            column: 10
        }
    );
}

#[test]
fn crlf_multiline_literal_query() {
    let text = "[metadata]\r\ncreation_date = \"2024/01/01\"\r\nmaturity = \"production\"\r\nupdated_date = \"2024/01/01\"\r\n\r\n[rule]\r\nauthor = [\"a\"]\r\ndescription = \"d\"\r\nname = \"n\"\r\nrisk_score = 1\r\nrule_id = \"x\"\r\nseverity = \"low\"\r\ntype = \"eql\"\r\nlanguage = \"eql\"\r\nquery = '''\r\nprocess where\r\n  process.name == \"a\"\r\n'''\r\n";
    let r = load_str("crlf.toml", text);
    assert!(!r.has_errors(), "{}", rendered(&r));
    let q = r.rules[0].query_input().unwrap();
    assert_eq!(
        q.origin,
        LineCol {
            line: 16,
            column: 1
        }
    );
    let at = q.text.find("process.name").unwrap();
    let d = q.to_file_diagnostic(
        diag::Diagnostic::error("E", "x").with_label(Span::new(at, at + 1), ""),
    );
    assert_eq!(
        r.rules[0]
            .origin
            .source
            .line_col(d.labels[0].span.start as usize),
        LineCol {
            line: 17,
            column: 3
        }
    );
}
