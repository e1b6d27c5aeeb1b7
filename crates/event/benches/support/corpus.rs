//! Documents and field lists for the parser's differential tests and benches,
//! read from the shared corpus (`<workspace>/../shared/corpus`, or the
//! directory in `VIGIL_CORPUS`) and the workspace's `examples/events`.
//!
//! Shared by `tests/parse_differential.rs` and `benches/parse.rs` (included
//! with `#[path]`), so not every item is used by both.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The workspace root (two levels above this crate).
pub fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shared corpus; panics with a clear message when it is absent.
pub fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("VIGIL_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_dir().join("../shared/corpus"));
    assert!(
        dir.join("events").is_dir(),
        "the shared corpus is missing at {} (set VIGIL_CORPUS to its directory)",
        dir.display()
    );
    dir
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn sorted_files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    files.sort();
    files
}

fn lines_of(path: &Path) -> Vec<String> {
    read(path)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// Real ECS documents: `events/*.ndjson` of the corpus, one per line, as written.
pub fn ecs_event_lines() -> Vec<String> {
    sorted_files(&corpus_dir().join("events"), "ndjson")
        .iter()
        .flat_map(|p| lines_of(p))
        .collect()
}

/// Every document the corpus and the examples hold: the ECS events, the KQL
/// suite's documents, the EQL suite's data set (one line each) and the
/// workspace's example events.
pub fn all_documents() -> Vec<String> {
    let corpus = corpus_dir();
    let mut docs = ecs_event_lines();
    docs.extend(lines_of(&corpus.join("kql/docs.ndjson")));
    let eql_data: serde_json::Value =
        serde_json::from_str(&read(&corpus.join("eql-es/test_data.json"))).expect("eql-es data");
    if let serde_json::Value::Array(items) = eql_data {
        docs.extend(items.iter().map(|v| v.to_string()));
    }
    for file in sorted_files(&workspace_dir().join("examples/events"), "ndjson") {
        docs.extend(lines_of(&file));
    }
    docs
}

/// Every path of every document, as the parser joins them (`a.b` for
/// `{"a":{"b":…}}` and for `{"a.b":…}`), objects included.
pub fn document_paths(docs: &[String]) -> Vec<String> {
    fn walk(v: &serde_json::Value, path: &str, out: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, child) in map {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    out.insert(p.clone());
                    walk(child, &p, out);
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    walk(item, path, out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    for d in docs {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(d) {
            walk(&v, "", &mut out);
        }
    }
    out.into_iter().collect()
}

/// The fields the detection-rules catalogue reads: every field named by an
/// EQL or KQL query of `rules/` and `rules_building_block/`, plus the fields the
/// engine reads for routing and time. Queries that do not parse are skipped.
pub fn catalogue_fields() -> Vec<String> {
    let root = corpus_dir().join("detection-rules");
    let mut files = Vec::new();
    for dir in ["rules", "rules_building_block"] {
        collect_toml(&root.join(dir), &mut files);
    }
    files.sort();
    let mut fields = BTreeSet::new();
    for extra in [
        "@timestamp",
        "event.ingested",
        "event.category",
        "event.kind",
        "data_stream.type",
        "data_stream.dataset",
        "data_stream.namespace",
        "host.id",
        "host.name",
        "agent.id",
    ] {
        fields.insert(extra.to_string());
    }
    for file in files {
        let Ok(doc) = read(&file).parse::<toml::Table>() else {
            continue;
        };
        let Some(rule) = doc.get("rule").and_then(|r| r.as_table()) else {
            continue;
        };
        let query = rule.get("query").and_then(|q| q.as_str()).unwrap_or("");
        match rule.get("language").and_then(|l| l.as_str()) {
            Some("eql") => {
                if let Ok(q) = eql::parse(query) {
                    fields.extend(q.fields());
                }
            }
            Some("kuery") => {
                if let Ok(q) = kql::parse(query) {
                    fields.extend(kql::referenced_fields(&q));
                }
            }
            _ => {}
        }
    }
    fields.into_iter().collect()
}

fn collect_toml(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            if !path.ends_with("_deprecated") {
                collect_toml(&path, out);
            }
        } else if path.extension().is_some_and(|x| x == "toml") {
            out.push(path);
        }
    }
}
