//! Running Elasticsearch's EQL spec files (`[[queries]]` with `query`,
//! `expected_event_ids`, optional `join_keys`, `size`, `max_samples_per_key`)
//! over their data sets, the way `x-pack/plugin/eql/qa/common/.../BaseEqlSpecTestCase.java`
//! and `DataLoader.java` do: each data set is an index with its mapping,
//! events are identified by an id field (the tiebreaker, or `id` for samples),
//! `size` defaults to 50, results are compared as the flat list of ids
//! (`-1` for a missing-event placeholder), sequence after sequence.
#![allow(dead_code)]

use event::{parse_event, FieldRegistry, Schema};
use ir::{Binder, QueryPlan};
use matcher::{EventRecord, ExecContext, KeyValue, QueryResult};
use serde_json::{Map, Value as Json};
use std::path::{Path, PathBuf};

/// One `[[queries]]` entry.
#[derive(Debug, Clone)]
pub struct Spec {
    pub name: String,
    pub query: String,
    /// Acceptable results (several when the result is not deterministic).
    pub expected: Vec<Vec<i64>>,
    pub join_keys: Option<Vec<String>>,
    pub size: Option<usize>,
    pub max_samples_per_key: Option<usize>,
}

/// An index as the suite loads it.
pub struct Dataset {
    /// Documents after the loader's transforms (JSON text).
    pub docs: Vec<String>,
    pub schema: Schema,
    pub timestamp: &'static str,
    pub tiebreaker: Option<&'static str>,
    pub id_field: &'static str,
}

/// What one spec gave.
#[derive(Debug)]
pub struct Outcome {
    pub passed: bool,
    pub got: Vec<i64>,
    pub got_keys: Vec<String>,
    pub error: Option<String>,
}

/// `<workspace>/../shared/corpus`, or `VIGIL_CORPUS`.
pub fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("VIGIL_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    assert!(
        dir.join("eql-es/test_queries.toml").is_file(),
        "EQL conformance corpus not found at {} (set VIGIL_CORPUS to the shared corpus directory)",
        dir.display()
    );
    dir
}

pub fn load_specs(path: &Path) -> Vec<Spec> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = path.file_stem().and_then(|s| s.to_str()).unwrap_or("spec");
    let queries = doc
        .get("queries")
        .and_then(|q| q.as_array())
        .cloned()
        .unwrap_or_default();
    queries
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let name = q
                .get("name")
                .and_then(|n| n.as_str())
                .map(str::to_string)
                .unwrap_or_else(|| format!("{file}#{i}"));
            let query = q
                .get("query")
                .and_then(|n| n.as_str())
                .unwrap_or_default()
                .trim()
                .to_string();
            Spec {
                name,
                query,
                expected: expected_ids(q.get("expected_event_ids")),
                join_keys: q.get("join_keys").and_then(|k| k.as_array()).map(|a| {
                    a.iter()
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                        .collect()
                }),
                size: q
                    .get("size")
                    .and_then(|v| v.as_integer())
                    .map(|v| v as usize),
                max_samples_per_key: q
                    .get("max_samples_per_key")
                    .and_then(|v| v.as_integer())
                    .map(|v| v as usize),
            }
        })
        .collect()
}

fn expected_ids(v: Option<&toml::Value>) -> Vec<Vec<i64>> {
    let Some(arr) = v.and_then(|v| v.as_array()) else {
        return vec![Vec::new()];
    };
    if !arr.is_empty() && arr.iter().all(|x| x.is_array()) {
        arr.iter()
            .map(|x| {
                x.as_array()
                    .unwrap_or(&Vec::new())
                    .iter()
                    .filter_map(|i| i.as_integer())
                    .collect()
            })
            .collect()
    } else {
        vec![arr.iter().filter_map(|i| i.as_integer()).collect()]
    }
}

/// Reads a JSON array of documents (`//` comment lines allowed, as the
/// XContent parser allows them in the upstream `.data` files).
fn read_docs(path: &Path) -> Vec<Map<String, Json>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let clean: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let v: Json =
        serde_json::from_str(&clean).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    v.as_array()
        .unwrap_or_else(|| panic!("{}: not an array", path.display()))
        .iter()
        .filter_map(|d| d.as_object().cloned())
        .collect()
}

/// Reads a mapping file: `#` comment lines skipped, random keyword types
/// taken as `keyword` (DataLoader's `main` mode).
fn read_mapping(path: &Path) -> Json {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let clean: String = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("[runtime_random_keyword_type]", "keyword");
    serde_json::from_str(&clean).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `DataLoader.winFileTimeToUnix`: Windows FILETIME to epoch milliseconds.
pub fn filetime_to_millis(filetime: i64) -> i64 {
    filetime / 10_000 - 11_644_473_600_000
}

/// The main index (`endgame-140`): `test_data.json` with `@timestamp` set from
/// the FILETIME `timestamp`, mapped by `mapping` (no ECS: the index has
/// only its mapping and dynamic fields).
pub fn endgame(data: &Path, mapping: &Path) -> Dataset {
    let mut schema = Schema::empty();
    schema
        .add_mapping_json(&read_mapping(mapping).to_string())
        .expect("mapping");
    let docs = read_docs(data)
        .into_iter()
        .map(|mut d| {
            if let Some(ts) = d.get("timestamp").and_then(Json::as_i64) {
                d.insert("@timestamp".into(), Json::from(filetime_to_millis(ts)));
            }
            Json::Object(d).to_string()
        })
        .collect();
    Dataset {
        docs,
        schema,
        timestamp: "@timestamp",
        tiebreaker: Some("serial_event_id"),
        id_field: "serial_event_id",
    }
}

/// Indices loaded from `data/<name>.data` + `data/<name>.mapping` (several
/// names: one search over all, documents in index order). Index-time
/// mapping parameters the schema does not model are applied to the
/// documents: `null_value` replaces nulls, a date `format` is converted to ISO.
pub fn indices(
    dir: &Path,
    names: &[&str],
    tiebreaker: Option<&'static str>,
    id_field: &'static str,
) -> Dataset {
    let mut schema = Schema::empty();
    let mut docs = Vec::new();
    for name in names {
        let mapping = read_mapping(&dir.join(format!("data/{name}.mapping")));
        schema
            .add_mapping_json(&mapping.to_string())
            .expect("mapping");
        let props = mapping
            .get("properties")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default();
        for mut d in read_docs(&dir.join(format!("data/{name}.data"))) {
            apply_index_time_parameters(&props, &mut d);
            docs.push(Json::Object(d).to_string());
        }
    }
    Dataset {
        docs,
        schema,
        timestamp: "@timestamp",
        tiebreaker,
        id_field,
    }
}

fn apply_index_time_parameters(props: &Map<String, Json>, doc: &mut Map<String, Json>) {
    for (field, def) in props {
        let Some(v) = doc.get_mut(field) else {
            continue;
        };
        if let Some(nv) = def.get("null_value") {
            if v.is_null() {
                *v = nv.clone();
            }
        }
        if let (Some("date"), Some(fmt)) = (
            def.get("type").and_then(Json::as_str),
            def.get("format").and_then(Json::as_str),
        ) {
            if let Some(s) = v.as_str() {
                if let Some(iso) = reformat_date(s, fmt) {
                    *v = Json::from(iso);
                }
            }
        }
    }
}

/// `dd-MM-yyyy` / `yyyy-MM-dd` to ISO `yyyy-MM-dd`.
fn reformat_date(s: &str, fmt: &str) -> Option<String> {
    match fmt {
        "dd-MM-yyyy" => {
            let p: Vec<&str> = s.split('-').collect();
            (p.len() == 3).then(|| format!("{}-{}-{}", p[2], p[1], p[0]))
        }
        _ => Some(s.to_string()),
    }
}

/// A query compiler: text → plan, binding fields through the binder.
/// Compiles a query; the slice lists optional fields the index does not map.
pub type Compile<'c> = dyn Fn(&str, &mut Binder, &[String]) -> Result<QueryPlan, String> + 'c;

/// Optional fields (`?x`) that neither the mapping nor any document has: the
/// index does not map them (dynamic mapping never saw them), so Elasticsearch
/// reads them as `null` constants.
pub fn unmapped_optional_fields(ds: &Dataset, query: &str) -> Vec<String> {
    let Ok(q) = eql::parse(query) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for name in q
        .field_uses()
        .into_iter()
        .filter(|u| u.optional)
        .map(|u| u.name)
    {
        let resolved = ds.schema.resolve(&name);
        if !resolved.unmapped || out.contains(&name) {
            continue;
        }
        let mut reg = FieldRegistry::new();
        let id = reg.intern(&resolved.path);
        let present = ds
            .docs
            .iter()
            .any(|d| parse_event(d, &reg).is_ok_and(|e| e.has(id)));
        if !present {
            out.push(name);
        }
    }
    out
}

/// Runs one spec over a data set.
pub fn run_spec(ds: &Dataset, spec: &Spec, compile: &Compile<'_>) -> Outcome {
    let mut reg = FieldRegistry::new();
    let mut binder = Binder::new(&ds.schema, &mut reg);
    let null_fields = unmapped_optional_fields(ds, &spec.query);
    let plan = match compile(&spec.query, &mut binder, &null_fields) {
        Ok(p) => p,
        Err(e) => {
            return Outcome {
                passed: false,
                got: Vec::new(),
                got_keys: Vec::new(),
                error: Some(e),
            }
        }
    };
    let ts = binder.bind(ds.timestamp).field;
    let tb = ds.tiebreaker.map(|t| binder.bind(t).field);
    let id = binder.bind(ds.id_field).field;
    let category = binder.bind("event.category").field.id;
    let records: Vec<EventRecord<'_>> = ds
        .docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            EventRecord::new(
                i as u64,
                parse_event(d, &reg).expect("event"),
                &ts,
                tb.as_ref(),
            )
        })
        .collect();
    let mut ctx = ExecContext::new(category);
    ctx.size = Some(spec.size.unwrap_or(50));
    ctx.max_samples_per_key = spec.max_samples_per_key.unwrap_or(1);
    let outcome = matcher::run(&plan, &ctx, &records);
    let id_of = |i: usize| {
        records[i]
            .event
            .first(id.id)
            .and_then(|v| v.integer())
            .unwrap_or(-1)
    };
    let (got, got_keys) = match &outcome.result {
        QueryResult::Events(ix) => (ix.iter().map(|&i| id_of(i)).collect(), Vec::new()),
        QueryResult::Sequences(seqs) => (
            seqs.iter()
                .flat_map(|s| s.events.iter().map(|e| e.map_or(-1, id_of)))
                .collect(),
            seqs.iter()
                .flat_map(|s| s.join_keys.iter().map(render_key))
                .collect(),
        ),
        QueryResult::Samples(samples) => (
            samples
                .iter()
                .flat_map(|s| s.events.iter().map(|&e| id_of(e)))
                .collect(),
            samples
                .iter()
                .flat_map(|s| s.join_keys.iter().map(render_sample_key))
                .collect(),
        ),
    };
    let ids_ok = spec.expected.contains(&got);
    let keys_ok = spec
        .join_keys
        .as_ref()
        .is_none_or(|k| k.is_empty() || *k == got_keys);
    let error = (outcome.error_count > 0).then(|| {
        format!(
            "{} script errors, first: {:?}",
            outcome.error_count,
            outcome.errors.first()
        )
    });
    Outcome {
        passed: ids_ok && keys_ok,
        got,
        got_keys,
        error,
    }
}

/// Sequence join keys as the EQL response renders them (dates as ISO text).
fn render_key(k: &KeyValue) -> String {
    k.to_string()
}

/// Sample join keys come from a composite aggregation: dates are epoch millis.
fn render_sample_key(k: &KeyValue) -> String {
    match k {
        KeyValue::Date(n) => n.div_euclid(1_000_000).to_string(),
        other => other.to_string(),
    }
}

/// Runs every spec and prints a report; returns (passed, total, failures).
pub fn run_suite(
    label: &str,
    ds: &Dataset,
    specs: &[Spec],
    compile: &Compile<'_>,
) -> (usize, usize, Vec<String>) {
    let mut failures = Vec::new();
    for spec in specs {
        let o = run_spec(ds, spec, compile);
        if !o.passed {
            let expected = spec
                .expected
                .iter()
                .map(|e| format!("{e:?}"))
                .collect::<Vec<_>>()
                .join(" or ");
            let mut line = format!("  {}: got {:?} expected {expected}", spec.name, o.got);
            if let Some(k) = &spec.join_keys {
                if !k.is_empty() && *k != o.got_keys {
                    line.push_str(&format!(" keys {:?} expected {k:?}", o.got_keys));
                }
            }
            if let Some(e) = &o.error {
                line.push_str(&format!(" [{e}]"));
            }
            failures.push(line);
        }
    }
    let passed = specs.len() - failures.len();
    println!("{label}: {passed}/{} passed", specs.len());
    for f in &failures {
        println!("{f}");
    }
    (passed, specs.len(), failures)
}
