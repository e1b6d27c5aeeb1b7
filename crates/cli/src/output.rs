//! Printing query results: `ndjson` (the matching documents as read), `json`
//! (an Elasticsearch-like EQL response), `table` (aligned columns for people).

use crate::load::ParsedDoc;
use event::{FieldRegistry, Value};
use serde_json::value::RawValue;
use std::io::{self, Write};

/// Bytes of output buffered before a write. Results and alerts are written
/// at the end of a run, each a long line (an alert is some 17 KB): with
/// `BufWriter`'s default 8 KiB every line went through to the line-buffered
/// stdout on its own, a search for its newline and a system call or two each.
const OUTPUT_BUFFER: usize = 1 << 20;

/// `out` behind a buffer of [`OUTPUT_BUFFER`] bytes.
pub fn buffered<W: Write>(out: W) -> io::BufWriter<W> {
    io::BufWriter::with_capacity(OUTPUT_BUFFER, out)
}

/// A sequence or sample match: its join keys and its events (None = a
/// missing-event step).
pub struct Group<'a> {
    pub join_keys: Vec<serde_json::Value>,
    pub events: Vec<Option<&'a ParsedDoc<'a>>>,
}

pub enum Results<'a> {
    Events(Vec<&'a ParsedDoc<'a>>),
    Sequences(Vec<Group<'a>>),
    Samples(Vec<Group<'a>>),
}

impl Results<'_> {
    pub fn is_empty(&self) -> bool {
        match self {
            Results::Events(e) => e.is_empty(),
            Results::Sequences(g) | Results::Samples(g) => g.is_empty(),
        }
    }
}

/// Writes each matching document's original JSON, one per line; for
/// sequences and samples, the events of each match in order.
pub fn write_ndjson(out: &mut dyn Write, results: &Results<'_>) -> io::Result<()> {
    let mut write_doc = |d: &ParsedDoc<'_>| writeln!(out, "{}", d.event.source);
    match results {
        Results::Events(evs) => evs.iter().try_for_each(|d| write_doc(d)),
        Results::Sequences(groups) | Results::Samples(groups) => groups
            .iter()
            .flat_map(|g| g.events.iter().flatten())
            .try_for_each(|d| write_doc(d)),
    }
}

/// The `_index` and `_id` shown for a document.
pub fn doc_index_and_id<'a>(
    d: &'a ParsedDoc<'a>,
    default_index: Option<&'a str>,
) -> (String, String) {
    let index = d
        .event
        .index
        .as_deref()
        .or(default_index)
        .map(str::to_string)
        .unwrap_or_else(|| d.doc.file.to_string());
    let id = d
        .event
        .id
        .as_deref()
        .map(str::to_string)
        .unwrap_or_else(|| format!("{}:{}", d.doc.file, d.doc.line));
    (index, id)
}

fn hit_json(d: &ParsedDoc<'_>, default_index: Option<&str>) -> serde_json::Value {
    let (index, id) = doc_index_and_id(d, default_index);
    let source: serde_json::Value = serde_json::from_str::<&RawValue>(d.event.source)
        .ok()
        .and_then(|r| serde_json::from_str(r.get()).ok())
        .unwrap_or(serde_json::Value::Null);
    serde_json::json!({"_index": index, "_id": id, "_source": source})
}

fn group_json(g: &Group<'_>, default_index: Option<&str>) -> serde_json::Value {
    let events: Vec<serde_json::Value> = g
        .events
        .iter()
        .map(|e| match e {
            Some(d) => hit_json(d, default_index),
            None => serde_json::json!({"_index": "", "_id": "", "missing": true}),
        })
        .collect();
    serde_json::json!({"join_keys": g.join_keys, "events": events})
}

/// Writes an Elasticsearch-like EQL search response.
pub fn write_json(
    out: &mut dyn Write,
    results: &Results<'_>,
    took_ms: u128,
    default_index: Option<&str>,
) -> io::Result<()> {
    let (key, items): (&str, Vec<serde_json::Value>) = match results {
        Results::Events(evs) => (
            "events",
            evs.iter().map(|d| hit_json(d, default_index)).collect(),
        ),
        Results::Sequences(gs) => (
            "sequences",
            gs.iter().map(|g| group_json(g, default_index)).collect(),
        ),
        Results::Samples(gs) => (
            "sequences",
            gs.iter().map(|g| group_json(g, default_index)).collect(),
        ),
    };
    let body = serde_json::json!({
        "is_partial": false,
        "is_running": false,
        "took": took_ms as u64,
        "timed_out": false,
        "hits": {
            "total": {"value": items.len(), "relation": "eq"},
            key: items,
        }
    });
    serde_json::to_writer_pretty(&mut *out, &body)?;
    writeln!(out)
}

/// Column spec for table output: a header and the registered path to show.
pub struct Column {
    pub header: String,
    pub field: Option<event::FieldId>,
    pub is_time: bool,
}

impl Column {
    pub fn new(header: &str, registry: &FieldRegistry, is_time: bool) -> Self {
        Column {
            header: header.to_string(),
            field: registry.get(header),
            is_time,
        }
    }
}

const MAX_CELL: usize = 60;

fn cell(d: &ParsedDoc<'_>, col: &Column) -> String {
    let Some(f) = col.field else {
        return String::new();
    };
    let vals: Vec<String> = d
        .event
        .values(f)
        .map(|v| match (col.is_time, v.date_nanos()) {
            (true, Some(n)) => event::time::format_millis(n),
            _ => display_value(v),
        })
        .collect();
    let mut s = vals.join(", ");
    if vals.len() > 1 {
        s = format!("[{s}]");
    }
    truncate(&s.replace(['\n', '\r', '\t'], " "), MAX_CELL)
}

fn display_value(v: &Value<'_>) -> String {
    v.keyword().into_owned()
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max - 1).collect();
    t.push('…');
    t
}

/// Writes aligned columns; sequences and samples get a leading match number.
pub fn write_table(
    out: &mut dyn Write,
    results: &Results<'_>,
    columns: &[Column],
) -> io::Result<()> {
    let mut headers: Vec<String> = Vec::new();
    let grouped = !matches!(results, Results::Events(_));
    if grouped {
        headers.push("match".into());
    }
    headers.extend(columns.iter().map(|c| c.header.clone()));
    let mut rows: Vec<Vec<String>> = Vec::new();
    let row_of = |d: &ParsedDoc<'_>| columns.iter().map(|c| cell(d, c)).collect::<Vec<_>>();
    match results {
        Results::Events(evs) => rows.extend(evs.iter().map(|d| row_of(d))),
        Results::Sequences(gs) | Results::Samples(gs) => {
            for (i, g) in gs.iter().enumerate() {
                for e in &g.events {
                    let mut row = vec![(i + 1).to_string()];
                    match e {
                        Some(d) => row.extend(row_of(d)),
                        None => {
                            row.push("(missing)".into());
                            row.extend(std::iter::repeat_n(
                                String::new(),
                                columns.len().saturating_sub(1),
                            ));
                        }
                    }
                    rows.push(row);
                }
            }
        }
    }
    let widths: Vec<usize> = (0..headers.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([headers[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    writeln!(out, "{}", table_line(&headers, &widths))?;
    for r in &rows {
        writeln!(out, "{}", table_line(r, &widths))?;
    }
    Ok(())
}

/// One table line: cells left-aligned to their column widths, two spaces
/// apart, no trailing blanks.
pub fn table_line(cells: &[String], widths: &[usize]) -> String {
    let parts: Vec<String> = cells
        .iter()
        .zip(widths)
        .map(|(c, w)| format!("{c:<w$}"))
        .collect();
    parts.join("  ").trim_end().to_string()
}
