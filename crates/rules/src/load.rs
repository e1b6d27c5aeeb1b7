//! Loading rule files: walking paths, detecting the format of each file
//! (detection-rules TOML, Kibana rule JSON, Kibana export NDJSON), sorting
//! what they hold into live rules, unsupported rules, deprecated rules,
//! exception lists and items, and diagnostics.

use crate::codes;
use crate::exceptions::{Entry, ExceptionItem, ExceptionList, ExceptionOrigin, ExceptionStore};
use crate::index::IndexPatterns;
use crate::json_doc::parse_json;
use crate::loaded::{Format, LoadedRule, RuleOrigin};
use crate::model::{Metadata, RuleType};
use crate::read::{kibana_shape, read_metadata, read_rule, Reader};
use crate::source::{join, locate_string, SourceText, SpanIndex};
use crate::toml_doc::{parse_toml, ParsedDoc};
use crate::validate::check_rule;
use diag::{Diagnostic, RenderOptions, Span};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Directory nesting the walker follows at most (symlink loops, hostile trees).
const MAX_DIR_DEPTH: usize = 32;

/// What the caller's engine runs.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Rule types the engine runs; other live rules are reported as unsupported.
    pub supported_types: Vec<RuleType>,
    /// Threads reading and parsing files, the calling thread among them (0:
    /// one per available core, at most 8).
    /// The report is the same whatever the number. Default 1: with glibc's
    /// allocator more threads cost CPU (contention) for little gain on a
    /// 2-core machine; `vigil validate` (mimalloc) uses all cores.
    pub threads: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            supported_types: vec![RuleType::Query, RuleType::Eql],
            threads: 1,
        }
    }
}

/// A deprecated rule, skipped.
#[derive(Debug, Clone)]
pub struct SkippedRule {
    pub rule_id: String,
    pub name: String,
    pub source: Arc<SourceText>,
    /// Why: `maturity = "deprecated"` or the `_deprecated/` folder.
    pub reason: String,
}

/// A diagnostic about a file as a whole (syntax, unreadable, unknown objects).
#[derive(Debug, Clone)]
pub struct FileDiagnostic {
    pub source: Arc<SourceText>,
    pub diagnostic: Diagnostic,
}

/// Everything a load found.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Files read.
    pub files: usize,
    /// Live rules of supported types (some may carry errors: see [`LoadedRule::has_errors`]).
    pub rules: Vec<LoadedRule>,
    /// Live rules of types the engine does not run (metadata still checked).
    pub unsupported: Vec<LoadedRule>,
    pub deprecated: Vec<SkippedRule>,
    pub exceptions: ExceptionStore,
    /// File-level diagnostics (rule-level ones are on each rule).
    pub diagnostics: Vec<FileDiagnostic>,
    /// Export summary lines (`{"exported_count": …}`) as read.
    pub export_summaries: Vec<Value>,
}

impl LoadReport {
    /// Rules (supported or not) without error diagnostics.
    pub fn valid_count(&self) -> usize {
        self.live().filter(|r| !r.has_errors()).count()
    }

    /// Rules (supported or not) with at least one error diagnostic.
    pub fn invalid_count(&self) -> usize {
        self.live().filter(|r| r.has_errors()).count()
    }

    /// Every live rule, supported first.
    pub fn live(&self) -> impl Iterator<Item = &LoadedRule> {
        self.rules.iter().chain(&self.unsupported)
    }

    /// Unsupported rules counted by type.
    pub fn unsupported_by_type(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for r in &self.unsupported {
            *m.entry(r.rule.rule_type.to_string()).or_insert(0) += 1;
        }
        m
    }

    /// Live rules counted by type.
    pub fn live_by_type(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for r in self.live() {
            *m.entry(r.rule.rule_type.to_string()).or_insert(0) += 1;
        }
        m
    }

    /// Every diagnostic with the file it belongs to (files first, then rules).
    pub fn all_diagnostics(&self) -> impl Iterator<Item = (&SourceText, &Diagnostic)> {
        let files = self
            .diagnostics
            .iter()
            .map(|f| (f.source.as_ref(), &f.diagnostic));
        let rules = self.live().flat_map(|r| {
            r.diagnostics
                .iter()
                .map(move |d| (r.origin.source.as_ref(), d))
        });
        files.chain(rules)
    }

    pub fn has_errors(&self) -> bool {
        self.all_diagnostics().any(|(_, d)| d.is_error())
    }

    /// Every diagnostic as JSON (`file`, `line`, `column`, `code`, `severity`,
    /// `message`, `labels`, `notes`), in [`LoadReport::all_diagnostics`] order.
    pub fn diagnostics_json(&self) -> Vec<Value> {
        self.all_diagnostics()
            .map(|(s, d)| d.to_json(&s.source_file()))
            .collect()
    }

    /// Appends another report (files loaded after this one's).
    pub fn merge(&mut self, other: LoadReport) {
        self.files += other.files;
        self.rules.extend(other.rules);
        self.unsupported.extend(other.unsupported);
        self.deprecated.extend(other.deprecated);
        self.exceptions.lists.extend(other.exceptions.lists);
        self.exceptions.items.extend(other.exceptions.items);
        self.diagnostics.extend(other.diagnostics);
        self.export_summaries.extend(other.export_summaries);
    }

    /// All diagnostics rendered for a terminal.
    pub fn render(&self, opts: RenderOptions) -> String {
        self.all_diagnostics()
            .map(|(s, d)| s.render(d, opts))
            .collect()
    }
}

/// Loads files and directories (recursively: `.toml`, `.json`, `.ndjson`) with
/// the default options (the engine runs `query` and `eql`).
pub fn load(paths: &[PathBuf]) -> LoadReport {
    load_with(paths, &LoadOptions::default())
}

pub fn load_with(paths: &[PathBuf], opts: &LoadOptions) -> LoadReport {
    let mut report = LoadReport::default();
    let files = rule_files(paths, &mut report);
    let threads = match opts.threads {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(8),
        n => n,
    };
    // Files merged back in order: the output does not depend on `threads`.
    crate::ordered::map_in_order(
        &files,
        threads,
        |file| {
            let mut r = LoadReport::default();
            load_file(file, opts, &mut r);
            r
        },
        |part| report.merge(part),
    );
    check_duplicate_ids(&mut report);
    report
}

/// The rule files `paths` name, in load order: files as given, directories
/// walked recursively (sorted; `.toml`, `.json`, `.ndjson`; hidden entries
/// skipped). Unreadable or too deep directories are reported in `report`.
///
/// With [`load_file`] and [`check_duplicate_ids_across`], a caller can load
/// and consume files one at a time instead of holding every file's report
/// ([`load_with`] is these three over all files).
pub fn rule_files(paths: &[PathBuf], report: &mut LoadReport) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, 0, &mut files, report);
        } else {
            files.push(p.clone());
        }
    }
    files
}

/// Loads one file into `report` (an unreadable file is a diagnostic).
pub fn load_file(path: &Path, opts: &LoadOptions, report: &mut LoadReport) {
    match read_rule_text(path) {
        Ok(text) => load_text(SourceText::new(path.to_path_buf(), text), opts, report),
        Err(e) => {
            let source = Arc::new(SourceText::new(path.to_path_buf(), String::new()));
            let d = Diagnostic::error(codes::FILE_UNREADABLE, format!("cannot read file: {e}"));
            report.diagnostics.push(FileDiagnostic {
                source,
                diagnostic: d,
            });
        }
    }
}

/// A rule file's text as [`load_file`] loads it: invalid UTF-8 replaced,
/// so a file with a stray byte still loads (and its rules can be described
/// again from the same text later).
pub fn read_rule_text(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    Ok(String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// Marks rules of `report` whose `rule_id` was used before — earlier in
/// `report`, or in `first` (rule_id → file name of its first use, updated) —
/// as [`load_with`] does over all files.
pub fn check_duplicate_ids_across(report: &mut LoadReport, first: &mut HashMap<String, String>) {
    let all = report.rules.iter_mut().chain(report.unsupported.iter_mut());
    for r in all {
        if r.rule.rule_id.is_empty() {
            continue;
        }
        match first.get(&r.rule.rule_id) {
            Some(file) => {
                let d = Diagnostic::error(
                    codes::DUPLICATE_RULE_ID,
                    format!("rule_id `{}` is used by another rule", r.rule.rule_id),
                )
                .with_label(r.origin.rule_value_span("rule_id"), "duplicate")
                .with_note(format!("first used in {file}"));
                r.diagnostics.push(d);
            }
            None => {
                first.insert(r.rule.rule_id.clone(), r.origin.source.name.clone());
            }
        }
    }
}

fn walk(dir: &Path, depth: usize, files: &mut Vec<PathBuf>, report: &mut LoadReport) {
    if depth > MAX_DIR_DEPTH {
        let source = Arc::new(SourceText::new(dir.to_path_buf(), String::new()));
        let d = Diagnostic::error(
            codes::TOO_DEEP,
            format!("directory nesting deeper than {MAX_DIR_DEPTH} levels; not followed"),
        );
        report.diagnostics.push(FileDiagnostic {
            source,
            diagnostic: d,
        });
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        let source = Arc::new(SourceText::new(dir.to_path_buf(), String::new()));
        let d = Diagnostic::error(codes::FILE_UNREADABLE, "cannot read directory");
        report.diagnostics.push(FileDiagnostic {
            source,
            diagnostic: d,
        });
        return;
    };
    // Sorted by name: the same order as sorting the paths (they share
    // `dir`), without comparing them component by component (that was
    // 2 % of start-up).
    let mut entries: Vec<(std::ffi::OsString, PathBuf)> = entries
        .filter_map(|e| e.ok().map(|e| (e.file_name(), e.path())))
        .collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (_, p) in entries {
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            walk(&p, depth + 1, files, report);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("toml" | "json" | "ndjson")
        ) {
            files.push(p);
        }
    }
}

/// Loads one file's text (the format comes from the extension, else the content).
pub fn load_text(source: SourceText, opts: &LoadOptions, report: &mut LoadReport) {
    report.files += 1;
    let source = Arc::new(source);
    let ext = source
        .path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let first = source.text.trim_start().chars().next();
    match (ext.as_deref(), first) {
        (Some("toml"), _) => load_toml(&source, opts, report),
        (Some("ndjson"), _) => load_ndjson(&source, opts, report),
        (Some("json"), _) | (_, Some('{' | '[')) => load_json(&source, opts, report),
        _ => load_toml(&source, opts, report),
    }
}

fn file_diag(report: &mut LoadReport, source: &Arc<SourceText>, d: Diagnostic) {
    report.diagnostics.push(FileDiagnostic {
        source: source.clone(),
        diagnostic: d,
    });
}

fn load_toml(source: &Arc<SourceText>, opts: &LoadOptions, report: &mut LoadReport) {
    let doc = match parse_toml(&source.text) {
        Ok(d) => d,
        Err(d) => return file_diag(report, source, d),
    };
    let ParsedDoc { value, spans } = doc;
    let Value::Object(mut root) = value else {
        return;
    };
    let Some(Value::Object(rule_obj)) = root.remove("rule") else {
        let d = Diagnostic::error(
            codes::NO_RULE_TABLE,
            "no `[rule]` table: not a detection-rules rule file",
        )
        .with_label(Span::at(0), "");
        return file_diag(report, source, d);
    };
    let spans = Arc::new(spans);
    let origin = RuleOrigin::new(source.clone(), Format::Toml, spans, "rule".into());
    let mut diags = Vec::new();
    let metadata = match root.remove("metadata") {
        Some(Value::Object(m)) => Some(read_metadata(&mut Reader::new(
            &m, &origin, "metadata", &mut diags,
        ))),
        Some(other) => {
            let d = Diagnostic::error(
                codes::WRONG_TYPE,
                format!(
                    "`metadata` must be a table, found {}",
                    crate::read::describe(&other)
                ),
            )
            .with_label(origin.span_or_anchor("metadata"), "");
            diags.push(d);
            None
        }
        None => None,
    };
    let transform = root.remove("transform");
    let input = RuleInput {
        obj: rule_obj,
        origin,
        metadata,
        transform,
        diags,
        json: false,
    };
    add_rule(input, opts, report);
}

fn load_json(source: &Arc<SourceText>, opts: &LoadOptions, report: &mut LoadReport) {
    match parse_json(&source.text, 0) {
        Ok(ParsedDoc {
            value: Value::Array(items),
            spans,
        }) => {
            let spans = Arc::new(spans);
            let mut counts = Counts::default();
            for (i, item) in items.into_iter().enumerate() {
                add_object(
                    item,
                    source,
                    &spans,
                    i.to_string(),
                    Format::Json,
                    opts,
                    report,
                    &mut counts,
                );
            }
        }
        // A `_find` response: `{"page", "perPage", "total", "data": [rules]}`.
        Ok(ParsedDoc {
            value: Value::Object(mut obj),
            spans,
        }) if obj.contains_key("total") && obj.get("data").is_some_and(Value::is_array) => {
            let spans = Arc::new(spans);
            let mut counts = Counts::default();
            let items = match obj.remove("data") {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            };
            for (i, item) in items.into_iter().enumerate() {
                let path = format!("data/{i}");
                add_object(
                    item,
                    source,
                    &spans,
                    path,
                    Format::Json,
                    opts,
                    report,
                    &mut counts,
                );
            }
        }
        Ok(ParsedDoc { value, spans }) => {
            let mut counts = Counts::default();
            add_object(
                value,
                source,
                &Arc::new(spans),
                String::new(),
                Format::Json,
                opts,
                report,
                &mut counts,
            );
        }
        // A `.json` file holding an export (one object per line) is read as NDJSON.
        Err(d)
            if source.text.trim().lines().count() > 1
                && source.text.trim_start().starts_with('{') =>
        {
            if serde_json::from_str::<Value>(source.text.lines().next().unwrap_or("")).is_ok() {
                load_ndjson(source, opts, report);
            } else {
                file_diag(report, source, d);
            }
        }
        Err(d) => file_diag(report, source, d),
    }
}

fn load_ndjson(source: &Arc<SourceText>, opts: &LoadOptions, report: &mut LoadReport) {
    let text = source.text.as_str();
    let mut counts = Counts::default();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        if body.trim().is_empty() {
            continue;
        }
        match parse_json(body, start) {
            Ok(ParsedDoc { value, spans }) => {
                add_object(
                    value,
                    source,
                    &Arc::new(spans),
                    String::new(),
                    Format::Ndjson,
                    opts,
                    report,
                    &mut counts,
                );
            }
            Err(d) => file_diag(report, source, d),
        }
    }
}

/// What one file held, to compare with its export summary.
#[derive(Debug, Default)]
struct Counts {
    rules: u64,
    lists: u64,
    items: u64,
}

enum Kind {
    Rule,
    List,
    Item,
    Summary,
    Connector,
    Unknown,
}

/// Tells an export's objects apart by the keys each kind always has.
fn classify(obj: &Map<String, Value>) -> Kind {
    let has = |k: &str| obj.contains_key(k);
    if has("exported_count") || has("exported_rules_count") || has("exported_exception_list_count")
    {
        Kind::Summary
    } else if has("rule_id") && !has("list_id") {
        Kind::Rule
    } else if has("list_id") && (has("item_id") || has("entries")) {
        Kind::Item
    } else if has("list_id") {
        Kind::List
    } else if has("attributes")
        && (obj.get("type").and_then(Value::as_str) == Some("action") || has("references"))
    {
        Kind::Connector
    } else if has("type") && (has("query") || has("risk_score")) {
        Kind::Rule
    } else {
        Kind::Unknown
    }
}

#[allow(clippy::too_many_arguments)]
fn add_object(
    value: Value,
    source: &Arc<SourceText>,
    spans: &Arc<SpanIndex>,
    path: String,
    format: Format,
    opts: &LoadOptions,
    report: &mut LoadReport,
    counts: &mut Counts,
) {
    let span = spans.get(&path).map(|s| s.value).unwrap_or_default();
    let Value::Object(obj) = value else {
        let d = Diagnostic::error(
            codes::UNKNOWN_OBJECT,
            "expected a JSON object (a rule, exception list or item)",
        )
        .with_label(span, "");
        return file_diag(report, source, d);
    };
    match classify(&obj) {
        Kind::Rule => {
            counts.rules += 1;
            let origin = RuleOrigin::new(source.clone(), format, spans.clone(), path);
            add_rule(
                RuleInput {
                    obj,
                    origin,
                    metadata: None,
                    transform: None,
                    diags: Vec::new(),
                    json: true,
                },
                opts,
                report,
            );
        }
        Kind::List => {
            counts.lists += 1;
            match read_list(&obj, source, span) {
                Ok(l) => report.exceptions.lists.push(l),
                Err(d) => file_diag(report, source, d),
            }
        }
        Kind::Item => {
            counts.items += 1;
            match read_item(&obj, source, spans, &path, span) {
                Ok(i) => report.exceptions.items.push(i),
                Err(d) => file_diag(report, source, d),
            }
        }
        Kind::Summary => {
            check_summary(&obj, counts, source, span, report);
            report.export_summaries.push(Value::Object(obj));
        }
        Kind::Connector => {
            let name = obj
                .get("attributes")
                .and_then(|a| a.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("?");
            let d = Diagnostic::warning(
                codes::SKIPPED_OBJECT,
                format!("action connector `{name}` skipped (vigil runs no actions)"),
            )
            .with_label(span, "");
            file_diag(
                report,
                source,
                Diagnostic {
                    severity: diag::Severity::Note,
                    ..d
                },
            );
        }
        Kind::Unknown => {
            let d = Diagnostic::error(
                codes::UNKNOWN_OBJECT,
                "object is not a rule, exception list, exception item or export summary",
            )
            .with_label(
                Span::new(
                    span.start as usize,
                    (span.start as usize + 1).min(span.end as usize),
                ),
                "",
            );
            file_diag(report, source, d);
        }
    }
}

fn check_summary(
    obj: &Map<String, Value>,
    counts: &Counts,
    source: &Arc<SourceText>,
    span: Span,
    report: &mut LoadReport,
) {
    let expected = [
        ("exported_rules_count", counts.rules),
        ("exported_exception_list_count", counts.lists),
        ("exported_exception_list_item_count", counts.items),
    ];
    for (key, found) in expected {
        if let Some(n) = obj.get(key).and_then(Value::as_u64) {
            if n != found {
                let d = Diagnostic::warning(
                    codes::EXPORT_COUNT_MISMATCH,
                    format!("export summary says {key} = {n}, the file holds {found}"),
                )
                .with_label(span, "");
                file_diag(report, source, d);
            }
        }
    }
}

struct RuleInput {
    obj: Map<String, Value>,
    origin: RuleOrigin,
    metadata: Option<Metadata>,
    transform: Option<Value>,
    diags: Vec<Diagnostic>,
    json: bool,
}

fn add_rule(input: RuleInput, opts: &LoadOptions, report: &mut LoadReport) {
    let RuleInput {
        obj,
        origin,
        metadata,
        transform,
        mut diags,
        json,
    } = input;
    let rule = {
        let base = origin.rule_path().to_string();
        let mut reader = Reader::new(&obj, &origin, &base, &mut diags);
        read_rule(&mut reader)
    };
    if let Some(reason) = deprecation(&origin.source.path, metadata.as_ref()) {
        report.deprecated.push(SkippedRule {
            rule_id: rule.rule_id,
            name: rule.name,
            source: origin.source.clone(),
            reason,
        });
        return;
    }
    diags.extend(check_rule(&rule, &obj, metadata.as_ref(), &origin));
    let query_location = rule
        .query
        .as_deref()
        .and_then(|q| locate_query(&origin, q, json, &mut diags));
    let index_patterns = IndexPatterns::for_rule(rule.index.as_deref());
    let raw = Value::Object(if json { obj } else { kibana_shape(obj) });
    let supported = opts.supported_types.contains(&rule.rule_type);
    let loaded = LoadedRule {
        rule,
        metadata,
        transform,
        raw,
        origin,
        query_location,
        index_patterns,
        diagnostics: diags,
    };
    if supported {
        report.rules.push(loaded);
    } else {
        report.unsupported.push(loaded);
    }
}

/// Deprecated: `maturity = "deprecated"`, or a file under a `_deprecated` folder.
fn deprecation(path: &Path, metadata: Option<&Metadata>) -> Option<String> {
    if metadata.and_then(|m| m.maturity.as_deref()) == Some("deprecated") {
        return Some("maturity = \"deprecated\"".into());
    }
    if path.components().any(|c| c.as_os_str() == "_deprecated") {
        return Some("in a `_deprecated` folder".into());
    }
    None
}

/// Where the query's text is in the file. The decoded text must equal the
/// parser's value; otherwise only the literal's start is known.
fn locate_query(
    origin: &RuleOrigin,
    query: &str,
    json: bool,
    diags: &mut Vec<Diagnostic>,
) -> Option<crate::StringLocation> {
    let span = origin.rule_span("query")?.value;
    let (decoded, loc) = locate_string(&origin.source.text, span, json)?;
    if decoded != query {
        let d = Diagnostic {
            severity: diag::Severity::Note,
            ..Diagnostic::error(
                codes::INEXACT_QUERY_POSITION,
                "query positions are approximate (the string could not be re-read)",
            )
        }
        .with_label(span, "");
        diags.push(d);
        return None;
    }
    Some(loc)
}

fn check_duplicate_ids(report: &mut LoadReport) {
    check_duplicate_ids_across(report, &mut HashMap::new());
}

fn str_field(obj: &Map<String, Value>, key: &str) -> String {
    obj.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn str_list(obj: &Map<String, Value>, key: &str) -> Vec<String> {
    obj.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn bad_exception(span: Span, msg: String) -> Diagnostic {
    Diagnostic::error(codes::BAD_EXCEPTION, msg).with_label(
        Span::new(
            span.start as usize,
            (span.start as usize + 1).min(span.end as usize),
        ),
        "",
    )
}

fn read_list(
    obj: &Map<String, Value>,
    source: &Arc<SourceText>,
    span: Span,
) -> Result<ExceptionList, Diagnostic> {
    let list_id = str_field(obj, "list_id");
    if list_id.is_empty() {
        return Err(bad_exception(
            span,
            "exception list without `list_id`".into(),
        ));
    }
    Ok(ExceptionList {
        list_id,
        id: obj.get("id").and_then(Value::as_str).map(str::to_string),
        name: str_field(obj, "name"),
        description: str_field(obj, "description"),
        list_type: str_field(obj, "type"),
        namespace_type: obj
            .get("namespace_type")
            .and_then(Value::as_str)
            .unwrap_or("single")
            .to_string(),
        os_types: str_list(obj, "os_types"),
        tags: str_list(obj, "tags"),
        immutable: obj
            .get("immutable")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        raw: Value::Object(obj.clone()),
        origin: Some(ExceptionOrigin {
            source: source.clone(),
            span,
            entry_spans: Vec::new(),
        }),
    })
}

fn read_item(
    obj: &Map<String, Value>,
    source: &Arc<SourceText>,
    spans: &SpanIndex,
    path: &str,
    span: Span,
) -> Result<ExceptionItem, Diagnostic> {
    let item_id = str_field(obj, "item_id");
    let list_id = str_field(obj, "list_id");
    if list_id.is_empty() {
        return Err(bad_exception(
            span,
            format!("exception item `{item_id}` without `list_id`"),
        ));
    }
    let raw_entries = obj
        .get("entries")
        .cloned()
        .unwrap_or(Value::Array(Vec::new()));
    let entries: Vec<Entry> = serde_json::from_value(raw_entries).map_err(|e| {
        bad_exception(
            spans
                .get(&join(path, "entries"))
                .map(|s| s.value)
                .unwrap_or(span),
            format!("exception item `{item_id}`: bad entries: {e}"),
        )
    })?;
    let entry_spans = (0..entries.len())
        .map(|i| {
            spans
                .get(&join(path, &format!("entries/{i}")))
                .map(|s| s.value)
                .unwrap_or(span)
        })
        .collect();
    Ok(ExceptionItem {
        item_id,
        id: obj.get("id").and_then(Value::as_str).map(str::to_string),
        list_id,
        name: str_field(obj, "name"),
        description: str_field(obj, "description"),
        item_type: obj
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("simple")
            .to_string(),
        namespace_type: obj
            .get("namespace_type")
            .and_then(Value::as_str)
            .unwrap_or("single")
            .to_string(),
        entries,
        os_types: str_list(obj, "os_types"),
        expire_time: obj
            .get("expire_time")
            .and_then(Value::as_str)
            .map(str::to_string),
        tags: str_list(obj, "tags"),
        raw: Value::Object(obj.clone()),
        origin: Some(ExceptionOrigin {
            source: source.clone(),
            span,
            entry_spans,
        }),
    })
}
