//! Conformance: every EQL rule of Elastic's detection-rules catalogue, and
//! every query of Elasticsearch's own EQL suite, must compile without errors.
//!
//! Reads `<workspace>/../shared/corpus` (override with `VIGIL_CORPUS`).

use diag::{render_terminal, RenderOptions, SourceFile};
use event::{FieldRegistry, Schema};
use std::path::{Path, PathBuf};
use testkit::corpus;

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("_deprecated"))
            {
                continue;
            }
            toml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

fn render_all(name: &str, text: &str, diags: &diag::Diagnostics) -> String {
    let src = SourceFile::new(name, text);
    diags
        .iter()
        .map(|d| render_terminal(d, &src, RenderOptions::default()))
        .collect()
}

/// The EQL rules of the catalogue: (file, query), deprecated ones skipped.
fn catalogue_queries() -> Vec<(String, String)> {
    let root = corpus().join("detection-rules");
    let mut files = Vec::new();
    toml_files(&root.join("rules"), &mut files);
    toml_files(&root.join("rules_building_block"), &mut files);
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read rule");
        let doc: toml::Value =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let maturity = doc
            .get("metadata")
            .and_then(|m| m.get("maturity"))
            .and_then(|m| m.as_str());
        let Some(rule) = doc.get("rule") else {
            continue;
        };
        if rule.get("language").and_then(|l| l.as_str()) != Some("eql")
            || maturity == Some("deprecated")
        {
            continue;
        }
        let query = rule
            .get("query")
            .and_then(|q| q.as_str())
            .expect("eql rule without query");
        out.push((
            path.strip_prefix(&root)
                .unwrap_or(&path)
                .display()
                .to_string(),
            query.to_string(),
        ));
    }
    out
}

fn uses_script(plan: &ir::QueryPlan) -> bool {
    let conditions: Vec<&ir::Pred> = match &plan.plan {
        ir::Plan::Event(e) => vec![&e.condition],
        ir::Plan::Sequence(s) => s
            .stages
            .iter()
            .chain(s.until.iter())
            .map(|st| &st.query.condition)
            .collect(),
        ir::Plan::Sample(s) => s.stages.iter().map(|st| &st.query.condition).collect(),
    };
    let mut found = false;
    for c in conditions {
        c.walk(&mut |p| found |= matches!(p, ir::Pred::Script(_)));
    }
    found
}

#[test]
fn detection_rules_catalogue_compiles() {
    let schema = Schema::ecs();
    let mut registry = FieldRegistry::new();
    let opts = eql::EqlOptions::default();
    let queries = catalogue_queries();
    let mut failures = String::new();
    let mut ok = 0;
    let mut warnings = std::collections::BTreeMap::<&str, usize>::new();
    let mut scripted = 0;
    for (name, query) in &queries {
        let mut binder = ir::Binder::new(&schema, &mut registry);
        match eql::compile(query, &mut binder, &opts) {
            Ok(lowered) => {
                ok += 1;
                if uses_script(&lowered.plan) {
                    scripted += 1;
                }
                for w in lowered.warnings.iter() {
                    *warnings.entry(w.code).or_default() += 1;
                }
            }
            Err(diags) => failures.push_str(&render_all(name, query, &diags)),
        }
    }
    println!(
        "detection-rules EQL: {ok}/{} compiled; {scripted} use a script; warnings by code: {warnings:?}",
        queries.len()
    );
    assert_eq!(queries.len(), 1024, "catalogue size changed");
    assert!(
        failures.is_empty(),
        "{} rule(s) failed:\n{failures}",
        queries.len() - ok
    );
}

#[derive(serde::Deserialize)]
struct Suite {
    queries: Vec<SuiteQuery>,
}

#[derive(serde::Deserialize)]
struct SuiteQuery {
    name: String,
    query: String,
}

#[test]
fn elasticsearch_suite_compiles() {
    let dir = corpus().join("eql-es");
    let mapping = std::fs::read_to_string(dir.join("mapping-default.json")).expect("mapping");
    let schema = Schema::with_mapping_json(&mapping).expect("valid mapping");
    let suite: Suite =
        toml::from_str(&std::fs::read_to_string(dir.join("test_queries.toml")).expect("suite"))
            .expect("toml");
    let mut registry = FieldRegistry::new();
    let opts = eql::EqlOptions {
        tiebreaker_field: Some("serial_event_id".into()),
        ..Default::default()
    };
    let mut failures = String::new();
    let mut ok = 0;
    for q in &suite.queries {
        let mut binder = ir::Binder::new(&schema, &mut registry);
        match eql::compile(&q.query, &mut binder, &opts) {
            Ok(_) => ok += 1,
            Err(diags) => failures.push_str(&render_all(&q.name, &q.query, &diags)),
        }
    }
    println!("eql-es suite: {ok}/{} compiled", suite.queries.len());
    assert_eq!(suite.queries.len(), 133);
    assert!(
        failures.is_empty(),
        "{} query(ies) failed:\n{failures}",
        suite.queries.len() - ok
    );
}
