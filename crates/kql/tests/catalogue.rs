//! Every live KQL / Lucene query of the detection-rules catalogue compiles
//! (parse + lowering with the ECS schema), and every rule's `filters` lower.
//! Live = outside `_deprecated/` and `maturity != "deprecated"`.

mod support;

use event::{FieldRegistry, Schema};
use ir::Binder;
use kql::KqlOptions;
use std::path::{Path, PathBuf};

/// The snapshot has 729 live kuery rules and no live lucene rule; all must compile.
const RULES_FLOOR: usize = 729;

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "_deprecated") {
                continue;
            }
            toml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

/// Compiles one query; the warnings' codes on success.
fn compile(language: &str, query: &str, schema: &Schema) -> Result<Vec<&'static str>, String> {
    let mut registry = FieldRegistry::new();
    let mut binder = Binder::new(schema, &mut registry);
    let opts = KqlOptions::default();
    let r = match language {
        "kuery" => kql::compile_with_warnings(query, &mut binder, &opts)
            .map(|(_, w)| w.0.iter().map(|d| d.code).collect()),
        "lucene" => kql::lucene::compile(query, &mut binder, &opts).map(|_| Vec::new()),
        other => return Err(format!("unknown language {other}")),
    };
    r.map_err(|d| {
        d.0.iter()
            .map(|d| format!("{}: {}", d.code, d.message))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

#[test]
fn catalogue_kuery_and_lucene_rules_compile() {
    let root = support::corpus().join("detection-rules");
    let mut files = Vec::new();
    toml_files(&root.join("rules"), &mut files);
    toml_files(&root.join("rules_building_block"), &mut files);
    files.sort();
    assert!(
        files.len() > 1000,
        "catalogue not found under {}",
        root.display()
    );
    let schema = Schema::ecs();
    let (mut rules, mut rules_ok, mut threat, mut threat_ok, mut filters, mut filters_ok) =
        (0, 0, 0, 0, 0, 0);
    let mut failures = Vec::new();
    let mut warnings: std::collections::BTreeMap<&str, usize> = Default::default();
    for file in &files {
        let doc: toml::Value = toml::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        if doc
            .get("metadata")
            .and_then(|m| m.get("maturity"))
            .and_then(|m| m.as_str())
            == Some("deprecated")
        {
            continue;
        }
        let Some(rule) = doc.get("rule") else {
            continue;
        };
        let language = rule.get("language").and_then(|l| l.as_str()).unwrap_or("");
        if !matches!(language, "kuery" | "lucene") {
            continue;
        }
        let name = file.strip_prefix(&root).unwrap().display().to_string();
        rules += 1;
        let query = rule.get("query").and_then(|q| q.as_str()).unwrap_or("");
        match compile(language, query, &schema) {
            Ok(codes) => {
                rules_ok += 1;
                codes
                    .into_iter()
                    .for_each(|c| *warnings.entry(c).or_default() += 1);
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
        if let Some(tq) = rule.get("threat_query").and_then(|q| q.as_str()) {
            threat += 1;
            let tl = rule
                .get("threat_language")
                .and_then(|l| l.as_str())
                .unwrap_or("kuery");
            match compile(tl, tq, &schema) {
                Ok(_) => threat_ok += 1,
                Err(e) => failures.push(format!("{name} (threat_query): {e}")),
            }
        }
        if let Some(f) = rule.get("filters") {
            filters += 1;
            let json = serde_json::to_value(f).unwrap();
            let mut registry = FieldRegistry::new();
            let mut binder = Binder::new(&schema, &mut registry);
            match kql::filters::lower_filters(&json, &mut binder, &KqlOptions::default()) {
                Ok(_) => filters_ok += 1,
                Err(d) => failures.push(format!("{name} (filters): {:?}", d.0)),
            }
        }
    }
    println!("catalogue: rules {rules_ok}/{rules}, threat queries {threat_ok}/{threat}, filters {filters_ok}/{filters}");
    println!("warnings by code: {warnings:?}");
    for f in &failures {
        println!("FAIL {f}");
    }
    assert!(failures.is_empty(), "{} failures", failures.len());
    assert!(rules_ok >= RULES_FLOOR, "only {rules_ok} rules compiled");
}
