//! Shared by the engine's integration tests: corpus paths, loading and
//! compiling rules, running the engine over files.

#![allow(dead_code)]

use engine::{CompileOptions, Engine, Input, Problem, RuleCounts, RunOptions, RunReport};
use event::Schema;
use rules::{LoadReport, ValueLists};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
#[allow(unused_imports)]
pub use testkit::{corpus, workspace};

pub fn catalogue(relative: &str) -> PathBuf {
    corpus().join("detection-rules").join(relative)
}

pub fn data(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(relative)
}

/// "Now" of every test run: alerts carry it as `@timestamp`.
pub const NOW: &str = "2026-11-02T12:00:00Z";

pub fn nanos(text: &str) -> i64 {
    event::time::parse_date_nanos(text).expect("a date")
}

/// A loaded and compiled rule set.
pub struct Hunt {
    pub engine: Engine,
    pub counts: RuleCounts,
    pub problems: Vec<Problem>,
}

/// Loads rules (and extra exception files), compiles them with value lists.
pub fn hunt(rules: &[PathBuf], exceptions: &[PathBuf], value_lists: &[PathBuf]) -> Hunt {
    let mut report: LoadReport = rules::load(rules);
    if !exceptions.is_empty() {
        let extra = rules::load(exceptions);
        report.exceptions.lists.extend(extra.exceptions.lists);
        report.exceptions.items.extend(extra.exceptions.items);
    }
    let mut lists = ValueLists::new();
    for p in value_lists {
        lists.load_file(p).expect("value list");
    }
    let schema = Schema::ecs();
    let compiled = engine::compile(
        &report,
        &CompileOptions {
            schema: &schema,
            value_lists: &lists,
            now_nanos: nanos(NOW),
            render: Default::default(),
            threads: 1,
        },
    );
    let (engine, counts, problems) = Engine::new(compiled);
    Hunt {
        engine,
        counts,
        problems,
    }
}

/// An input from a file, with an optional default index.
pub fn file_input(path: &Path, default_index: Option<&str>) -> Input {
    let name = path.display().to_string();
    Input {
        reader: event::input::open(&name).expect("open input"),
        name,
        default_index: default_index.map(str::to_string),
    }
}

/// An input from text in memory.
pub fn text_input(name: &str, text: String, default_index: Option<&str>) -> Input {
    Input {
        name: name.to_string(),
        reader: Box::new(std::io::Cursor::new(text.into_bytes())),
        default_index: default_index.map(str::to_string),
    }
}

pub fn options(threads: usize) -> RunOptions<'static> {
    let mut o = RunOptions::new(nanos(NOW));
    o.threads = threads;
    o
}

/// (rule_id, source event.id) of every alert (building blocks included).
pub fn pairs(report: &RunReport) -> BTreeSet<(String, String)> {
    report
        .alerts
        .iter()
        .map(|a| (a.rule_id.clone(), a.event_id.clone().unwrap_or_default()))
        .collect()
}

pub fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}
