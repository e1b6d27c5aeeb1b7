//! Rules to a compiled rule set: a [`rules::LoadReport`] in, one
//! [`matcher::ruleset::CompiledRule`] and one [`RuleMeta`] per runnable rule
//! out, all bound with one [`ir::Binder`] over one [`FieldRegistry`] so that
//! every document path has a single id.
//!
//! Per rule, as Kibana builds the search of a `query` or `eql` rule
//! (`rule_types/eql/build_eql_search_request.ts`, `utils/get_query_filter.ts`,
//! `utils/build_events_query.ts` in `x-pack/solutions/security/plugins/security_solution/server/lib/detection_engine/`):
//!
//! - the query (`kuery`, `lucene` or `eql`) is compiled; EQL gets the rule's
//!   `event_category_override` (else `event.category`), `timestamp_field` (else
//!   `@timestamp`) and `tiebreaker_field` as search parameters;
//! - `filters` and `not(exceptions)` are ANDed onto every event filter of the
//!   plan (the event query, or each stage and `until` of a sequence / sample):
//!   Kibana puts them in the request's `filter`, which Elasticsearch applies to
//!   every search an EQL query makes;
//! - the window time is `timestamp_override` with `@timestamp` as fallback
//!   unless `timestamp_override_fallback_disabled` (no fallback when the
//!   override is `@timestamp` itself), as `buildTimeRangeFilter` does;
//! - exceptions come from the rule's `exceptions_list` references, resolved in
//!   the loaded exception store (exports, `--exceptions` files) with value
//!   lists; items expired at `now` are skipped, items that cannot be lowered are
//!   reported and left out (Kibana's "unprocessed exceptions"), and a missing
//!   list is a warning (Kibana runs the rule without it).
//!
//! A rule whose load diagnostics hold an error, whose query or filters do not
//! compile, or whose metadata cannot describe an alert is *invalid*: reported
//! with file, line:column and caret, and not run; the others still run.

use crate::alert::{RuleInfo, RuleOrigin as AlertOrigin};
use diag::{Diagnostic, RenderOptions, Severity};
use event::{FieldId, FieldRegistry, FieldType, Schema};
use ir::{Binder, FieldRef, Plan, Pred, QueryPlan};
use matcher::ruleset::{CompiledRule, IndexSelector, OrderSpec, TimeSpec};
use rules::datemath::{parse_interval, DateMath};
use rules::{
    lower_exceptions, ExceptionStore, Format, IndexPatterns, Language, LoadOptions, LoadReport,
    LoadedRule, RuleType, ValueLists,
};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// Kibana's defaults for a rule's schedule (`interval`, `from`, `max_signals`).
const DEFAULT_INTERVAL_NANOS: i64 = 5 * 60 * 1_000_000_000;

/// What compiling needs besides the rules.
#[derive(Debug, Clone, Copy)]
pub struct CompileOptions<'a> {
    pub schema: &'a Schema,
    pub value_lists: &'a ValueLists,
    /// "Now" in epoch nanoseconds: KQL date math and exception expiry.
    pub now_nanos: i64,
    /// How diagnostics are rendered (colours).
    pub render: RenderOptions,
    /// Threads, the calling thread among them, that read [`compile_files`]'s
    /// rule files, prepare their alert metadata and parse their queries
    /// ahead of compiling (1: all on the calling thread), and that build the
    /// rule set. The result does not depend on it.
    pub threads: usize,
}

/// A message for the user about rules or exceptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A diagnostic rendered with file, line:column and caret (ends with a newline).
    Rendered { severity: Severity, text: String },
    /// A one-line message.
    Message { severity: Severity, text: String },
}

impl Problem {
    pub fn severity(&self) -> Severity {
        match self {
            Problem::Rendered { severity, .. } | Problem::Message { severity, .. } => *severity,
        }
    }
}

/// How Kibana schedules a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// `interval` in nanoseconds.
    pub interval: i64,
    /// `from` and `to` (date math evaluated at each execution's start).
    pub from: DateMath,
    pub to: DateMath,
    /// `max_signals`.
    pub max_signals: usize,
}

/// What the engine knows about a runnable rule besides its compiled plan.
#[derive(Debug, Clone)]
pub struct RuleMeta {
    /// `kibana.alert.rule.uuid` (alert ids are derived from it).
    pub uuid: String,
    pub name: Arc<str>,
    pub rule_id: String,
    pub rule_type: RuleType,
    pub severity: String,
    pub schedule: Schedule,
    /// The rule file's display name.
    pub file: String,
    /// True for EQL rules (their searches take `max_signals` events as EQL
    /// orders them, duplicates included).
    pub is_eql: bool,
    info: LazyInfo,
}

impl RuleMeta {
    /// The rule as alerts describe it (`kibana.alert.rule.*`), built from the
    /// rule's JSON on first use: a catalogue of ~1,500 rules holds only their
    /// compressed JSON text until a rule alerts.
    pub fn info(&self) -> Result<&RuleInfo, String> {
        self.info
            .cell
            .get_or_init(|| {
                let raw = self.info.stored.raw()?;
                RuleInfo::from_rule_json_with_origin(&raw, self.info.origin)
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// Where a rule's JSON comes from, and its [`RuleInfo`] once built.
#[derive(Debug, Clone)]
struct LazyInfo {
    stored: Stored,
    origin: AlertOrigin,
    cell: OnceLock<Result<RuleInfo, String>>,
}

/// A rule's JSON, kept small until the rule alerts.
///
/// The catalogue's JSON (investigation guides included) took 10.8 MB of the
/// start-up heap as text; most rules never alert.
#[derive(Debug, Clone)]
enum Stored {
    /// LZ4 block of the JSON text, and the text's length. LZ4 (block format)
    /// rather than zstd: compressing the catalogue's 10.8 MB of JSON took
    /// 434M instructions of start-up at zstd level 1 and takes 176M, for
    /// 3.5 MB more of peak memory (measured with callgrind and `time -f %M`).
    Packed { lz4: Box<[u8]>, len: usize },
    /// Rule `index` of the rule file at `path`, which is read and loaded
    /// again (with default [`LoadOptions`], as [`compile_files`] loads) when
    /// the rule first alerts. Writing and compressing the catalogue's JSON
    /// was a fifth of start-up (256M instructions); hashing the files costs
    /// ≈ 10M. The file must still hold the text it was compiled from
    /// (`len` bytes hashing to `hash`), else the rule cannot describe its
    /// alerts.
    File {
        path: Arc<std::path::Path>,
        index: usize,
        len: usize,
        hash: u64,
    },
}

impl LazyInfo {
    fn new(stored: Stored, origin: AlertOrigin) -> LazyInfo {
        LazyInfo {
            stored,
            origin,
            cell: OnceLock::new(),
        }
    }
}

impl Stored {
    fn pack(json: &[u8]) -> Stored {
        Stored::Packed {
            lz4: lz4_flex::block::compress(json).into_boxed_slice(),
            len: json.len(),
        }
    }

    /// The rule's JSON value.
    fn raw(&self) -> Result<Value, String> {
        match self {
            Stored::Packed { lz4, len } => {
                let json = lz4_flex::block::decompress(lz4, *len).map_err(|e| e.to_string())?;
                serde_json::from_slice(&json).map_err(|e| e.to_string())
            }
            Stored::File {
                path,
                index,
                len,
                hash,
            } => {
                let unchanged =
                    || format!("rule file {} changed since it was loaded", path.display());
                let text = rules::read_rule_text(path)
                    .map_err(|e| format!("cannot read rule file {} again: {e}", path.display()))?;
                if text.len() != *len || text_hash(&text) != *hash {
                    return Err(unchanged());
                }
                let mut report = LoadReport::default();
                rules::load_text(
                    rules::SourceText::new(path.to_path_buf(), text),
                    &LoadOptions::default(),
                    &mut report,
                );
                report
                    .rules
                    .into_iter()
                    .nth(*index)
                    .map(|r| r.raw)
                    .ok_or_else(unchanged)
            }
        }
    }
}

/// The hash [`Stored::File`] checks a re-read file with.
fn text_hash(text: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write(text.as_bytes());
    h.finish()
}

/// Counts of what was loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleCounts {
    pub files: usize,
    /// Rules compiled and run.
    pub loaded: usize,
    pub deprecated: usize,
    /// Live rules of types (or forms) vigil does not run, by type.
    pub unsupported: BTreeMap<String, usize>,
    /// Rules not run because of errors.
    pub invalid: usize,
    /// Errors in files as a whole (syntax, unreadable…), not tied to one rule.
    pub file_errors: usize,
}

/// The document paths the engine reads to derive an event's index.
#[derive(Debug, Clone, Copy)]
pub struct IndexFields {
    pub data_stream_type: FieldId,
    pub data_stream_dataset: FieldId,
    pub data_stream_namespace: FieldId,
}

/// Everything the engine needs to run: the registry the event parser uses,
/// the compiled rules with their metadata (same order), counts and messages.
#[derive(Debug)]
pub struct CompiledRules {
    pub registry: FieldRegistry,
    pub rules: Vec<CompiledRule>,
    pub meta: Vec<RuleMeta>,
    pub index_fields: IndexFields,
    pub counts: RuleCounts,
    /// In load order: file problems first, then each rule's.
    pub problems: Vec<Problem>,
    /// Threads the rule set may be built on ([`CompileOptions::threads`]).
    pub threads: usize,
}

impl CompiledRules {
    /// True when a rule or rule file was invalid.
    pub fn has_errors(&self) -> bool {
        self.problems
            .iter()
            .any(|p| p.severity() == Severity::Error)
    }
}

/// A rule's index patterns as the rule set routes them.
#[derive(Debug)]
struct Patterns {
    patterns: IndexPatterns,
    key: String,
}

impl IndexSelector for Patterns {
    fn selects(&self, index: &str) -> bool {
        self.patterns.matches(index)
    }
    fn key(&self) -> &str {
        &self.key
    }
}

/// Compiles every live, supported rule of `report`.
pub fn compile(report: &LoadReport, opts: &CompileOptions<'_>) -> CompiledRules {
    let mut compiler = Compiler::new(opts);
    compiler.add(report, &report.exceptions);
    compiler.finish()
}

/// Loads and compiles rule files one at a time, so that only one file's
/// [`LoadReport`] (its text, parsed document and rule JSON) is alive at once:
/// the whole catalogue peaks at the compiled rules plus one file, not at
/// every file's report. `extra` holds exception lists loaded apart
/// (`--exceptions`): its lists are used, its diagnostics reported after the
/// rule files'.
///
/// The result is [`compile`]'s over `rules::load(rule_paths)` with `extra`'s
/// exceptions merged, except that a `rule_id` used twice is reported on the
/// later rule in load order (file by file) rather than on the unsupported one
/// of the pair.
pub fn compile_files(
    rule_paths: &[PathBuf],
    extra: LoadReport,
    opts: &CompileOptions<'_>,
) -> CompiledRules {
    let load = LoadOptions::default();
    let mut walked = LoadReport::default();
    let files = rules::rule_files(rule_paths, &mut walked);
    // Exception lists may live in any JSON rule file (exports): collected first.
    let mut exceptions = extra.exceptions.clone();
    for f in files.iter().filter(|f| !is_toml(f)) {
        let mut r = LoadReport::default();
        rules::load_file(f, &load, &mut r);
        exceptions.lists.extend(r.exceptions.lists);
        exceptions.items.extend(r.exceptions.items);
    }
    let mut compiler = Compiler::new(opts);
    compiler.add(&walked, &exceptions);
    let mut first_ids = HashMap::new();
    rules::ordered::map_in_order(
        &files,
        opts.threads,
        |f| Prepared::load(f, &load),
        |mut prepared| {
            rules::check_duplicate_ids_across(&mut prepared.report, &mut first_ids);
            compiler.add_prepared(&prepared.report, prepared.ahead, &exceptions);
        },
    );
    compiler.add_files(&extra);
    compiler.finish()
}

/// A rule file loaded, with what each runnable rule needs that binds no
/// field made ahead of compiling on a loader thread (its alert description,
/// its parsed query), and what compiling does not read dropped there (so that
/// the compiling thread frees little of the loader's memory).
struct Prepared {
    report: LoadReport,
    /// Per rule of the report: `Some` for the rules [`is_runnable`] picks.
    ahead: Vec<Option<Ahead>>,
}

/// A runnable rule's work done on a loader thread.
struct Ahead {
    described: Described,
    /// `None` for languages parsed while lowering (Lucene).
    parsed: Option<Parsed>,
}

/// A rule's query parsed (parsing binds no field): lowering it gives what
/// [`eql::compile`] / [`kql::compile_with_warnings`] give for its text,
/// errors included.
enum Parsed {
    Eql(Result<eql::ast::Query, diag::Diagnostics>),
    Kql(Result<kql::ast::Query, diag::Diagnostics>),
}

impl Parsed {
    fn of(rule: &rules::Rule) -> Option<Parsed> {
        let text = rule.query.as_deref().unwrap_or("");
        match rule.effective_language() {
            Language::Eql => Some(Parsed::Eql(eql::parse(text))),
            Language::Kuery => Some(Parsed::Kql(kql::parse(text))),
            _ => None,
        }
    }
}

impl Prepared {
    fn load(path: &std::path::Path, load: &LoadOptions) -> Prepared {
        let mut report = LoadReport::default();
        rules::load_file(path, load, &mut report);
        // TOML rules are read again from their file when they alert (one
        // rule per file, nothing to pick among); other files keep packed JSON.
        let mut file = None;
        let ahead = (report.rules.iter().enumerate())
            .map(|(index, r)| {
                if !is_runnable(r) {
                    return None;
                }
                let described = if r.origin.format != Format::Toml {
                    describe(r)
                } else {
                    let (path, len, hash) = file.get_or_insert_with(|| {
                        let source = &r.origin.source;
                        let path: Arc<std::path::Path> = Arc::from(source.path.as_path());
                        (path, source.text.len(), text_hash(&source.text))
                    });
                    let stored = Stored::File {
                        path: path.clone(),
                        index,
                        len: *len,
                        hash: *hash,
                    };
                    describe_with(r, |_| stored)
                };
                let parsed = Parsed::of(&r.rule);
                Some(Ahead { described, parsed })
            })
            .collect();
        report.rules.iter_mut().for_each(slim);
        report.unsupported.iter_mut().for_each(slim);
        Prepared { report, ahead }
    }
}

/// Drops what compiling a loaded rule does not read once its alert
/// description is made: the rule's JSON (but `timestamp_field`), its
/// `[metadata]` and `[transform]`, and its long descriptive fields.
fn slim(loaded: &mut LoadedRule) {
    let timestamp_field = loaded.raw.get("timestamp_field").cloned();
    loaded.raw = match timestamp_field {
        Some(t) => Value::Object([("timestamp_field".to_string(), t)].into_iter().collect()),
        None => Value::Null,
    };
    loaded.metadata = None;
    loaded.transform = None;
    let rule = &mut loaded.rule;
    rule.description = String::new();
    rule.note = None;
    rule.setup = None;
    rule.threat = Vec::new();
    rule.references = Vec::new();
    rule.tags = Vec::new();
    rule.false_positives = Vec::new();
    rule.related_integrations = Vec::new();
    rule.required_fields = Vec::new();
    rule.investigation_fields = Vec::new();
    rule.severity_mapping = Vec::new();
    rule.risk_score_mapping = Vec::new();
    rule.meta = None;
}

/// A rule's alert uuid and its stored JSON for [`RuleMeta::info`], or why the
/// rule cannot describe its alerts.
type Described = Result<(String, LazyInfo), String>;

/// Checks that `loaded` can describe its alerts (a rule that cannot is
/// invalid) and packs its JSON; [`RuleMeta::info`] builds the description
/// on first use.
fn describe(loaded: &LoadedRule) -> Described {
    describe_with(loaded, |raw| {
        // Sized ahead: a catalogue rule's JSON is 7 KB on average; growing it
        // from serde_json's 128 bytes cost ≈ 26M instructions of the catalogue's
        // start-up.
        // Written by `alert::text` (serde_json's text; ≈ 110M instructions fewer
        // than `serde_json::to_writer` on the catalogue).
        let mut json = String::with_capacity(16 * 1024);
        crate::alert::text::write_value(&mut json, raw);
        Stored::pack(json.as_bytes())
    })
}

/// [`describe`] with the rule's JSON stored by `store`.
fn describe_with(loaded: &LoadedRule, store: impl FnOnce(&Value) -> Stored) -> Described {
    let origin = if loaded.origin.format == Format::Toml && is_elastic_rule(&loaded.rule) {
        AlertOrigin::Prebuilt
    } else {
        AlertOrigin::Custom
    };
    let uuid = RuleInfo::uuid_of(&loaded.raw).map_err(|e| e.to_string())?;
    Ok((uuid, LazyInfo::new(store(&loaded.raw), origin)))
}

/// A rule without load errors, of a type and language vigil runs (it may
/// still turn out invalid when its query compiles).
fn is_runnable(loaded: &LoadedRule) -> bool {
    !loaded.has_errors() && runs(&loaded.rule.rule_type, &loaded.rule.effective_language())
}

/// The rule types and query languages vigil runs.
fn runs(rule_type: &RuleType, language: &Language) -> bool {
    matches!(
        (rule_type, language),
        (RuleType::Query, Language::Kuery | Language::Lucene) | (RuleType::Eql, Language::Eql)
    )
}

fn is_toml(path: &std::path::Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
}

/// Compiles rules report after report into one rule set.
struct Compiler<'o> {
    opts: &'o CompileOptions<'o>,
    registry: FieldRegistry,
    index_fields: IndexFields,
    out: Output,
    /// Problems of files as a whole (they come before the rules' problems).
    file_problems: Vec<Problem>,
    selectors: BTreeMap<String, Arc<dyn IndexSelector>>,
    /// (list_id, namespace_type) → rules referring to it, for one message per list.
    missing_lists: BTreeMap<(String, String), usize>,
}

impl<'o> Compiler<'o> {
    fn new(opts: &'o CompileOptions<'o>) -> Self {
        let mut registry = FieldRegistry::new();
        let index_fields = {
            let mut binder = Binder::new(opts.schema, &mut registry);
            let mut path = |p: &str| binder.bind_path(p, FieldType::Keyword).id;
            IndexFields {
                data_stream_type: path("data_stream.type"),
                data_stream_dataset: path("data_stream.dataset"),
                data_stream_namespace: path("data_stream.namespace"),
            }
        };
        Compiler {
            opts,
            registry,
            index_fields,
            out: Output::default(),
            file_problems: Vec::new(),
            selectors: BTreeMap::new(),
            missing_lists: BTreeMap::new(),
        }
    }

    /// Counts `report`'s files and file diagnostics.
    fn add_files(&mut self, report: &LoadReport) {
        self.out.counts.files += report.files;
        for f in &report.diagnostics {
            let severity = f.diagnostic.severity;
            if severity == Severity::Error {
                self.out.counts.file_errors += 1;
            }
            self.file_problems.push(Problem::Rendered {
                severity,
                text: f.source.render(&f.diagnostic, self.opts.render),
            });
        }
    }

    /// Compiles the live rules of `report` (exception lists from `exceptions`).
    fn add(&mut self, report: &LoadReport, exceptions: &ExceptionStore) {
        self.add_prepared(report, Vec::new(), exceptions);
    }

    /// [`Compiler::add`] with some rules' work done already (`ahead[i]` for
    /// `report.rules[i]`; the others' is done here).
    fn add_prepared(
        &mut self,
        report: &LoadReport,
        ahead: Vec<Option<Ahead>>,
        exceptions: &ExceptionStore,
    ) {
        self.add_files(report);
        self.out.counts.deprecated += report.deprecated.len();
        for (k, v) in report.unsupported_by_type() {
            *self.out.counts.unsupported.entry(k).or_default() += v;
        }
        let mut ahead = ahead.into_iter();
        for loaded in &report.rules {
            self.add_rule(loaded, ahead.next().flatten(), exceptions);
        }
    }

    fn add_rule(&mut self, loaded: &LoadedRule, ahead: Option<Ahead>, exceptions: &ExceptionStore) {
        let (described, parsed) = match ahead {
            Some(a) => (Some(a.described), a.parsed),
            None => (None, None),
        };
        let mut binder = Binder::new(self.opts.schema, &mut self.registry);
        let mut cx = RuleCx {
            loaded,
            exceptions,
            opts: self.opts,
            binder: &mut binder,
            problems: Vec::new(),
            missing_lists: &mut self.missing_lists,
            described,
            parsed,
        };
        let result = cx.compile();
        let problems = std::mem::take(&mut cx.problems);
        let out = &mut self.out;
        out.problems.extend(problems);
        match result {
            Outcome::Compiled(rule, meta) => {
                let key = loaded.index_patterns.patterns().join(",");
                let selector = self
                    .selectors
                    .entry(key.clone())
                    .or_insert_with(|| {
                        Arc::new(Patterns {
                            patterns: loaded.index_patterns.clone(),
                            key,
                        })
                    })
                    .clone();
                out.rules.push(CompiledRule {
                    index: selector,
                    ..*rule
                });
                out.meta.push(*meta);
            }
            Outcome::Invalid => out.counts.invalid += 1,
            Outcome::Unsupported(kind) => *out.counts.unsupported.entry(kind).or_default() += 1,
        }
    }

    fn finish(self) -> CompiledRules {
        let mut out = self.out;
        let mut problems = self.file_problems;
        problems.append(&mut out.problems);
        for ((list_id, namespace), rules) in self.missing_lists {
            problems.push(Problem::Message {
                severity: Severity::Warning,
                text: format!(
                    "exception list `{list_id}` ({namespace}) is not loaded: {rules} rule{} run without it (give its export with --exceptions)",
                    if rules == 1 { "" } else { "s" }
                ),
            });
        }
        out.counts.loaded = out.rules.len();
        CompiledRules {
            registry: self.registry,
            rules: out.rules,
            meta: out.meta,
            index_fields: self.index_fields,
            counts: out.counts,
            problems,
            threads: self.opts.threads,
        }
    }
}

#[derive(Default)]
struct Output {
    rules: Vec<CompiledRule>,
    meta: Vec<RuleMeta>,
    counts: RuleCounts,
    problems: Vec<Problem>,
}

enum Outcome {
    Compiled(Box<CompiledRule>, Box<RuleMeta>),
    Invalid,
    Unsupported(String),
}

struct RuleCx<'a, 'b, 's> {
    loaded: &'a LoadedRule,
    exceptions: &'a ExceptionStore,
    opts: &'a CompileOptions<'a>,
    binder: &'b mut Binder<'s>,
    problems: Vec<Problem>,
    /// (list_id, namespace_type) → rules referring to it, for one message per list.
    missing_lists: &'b mut BTreeMap<(String, String), usize>,
    /// The rule's alert description when a loader thread made it already.
    described: Option<Described>,
    /// The rule's query when a loader thread parsed it already.
    parsed: Option<Parsed>,
}

/// Selector placeholder replaced by the shared one once the rule compiled.
#[derive(Debug)]
struct Unrouted;

impl IndexSelector for Unrouted {
    fn selects(&self, _: &str) -> bool {
        false
    }
    fn key(&self) -> &str {
        ""
    }
}

impl RuleCx<'_, '_, '_> {
    fn compile(&mut self) -> Outcome {
        let rule = &self.loaded.rule;
        if self.loaded.has_errors() {
            for d in self.loaded.diagnostics.iter().filter(|d| d.is_error()) {
                self.rendered(self.loaded.render(d, self.opts.render), Severity::Error);
            }
            return Outcome::Invalid;
        }
        let language = rule.effective_language();
        if !runs(&rule.rule_type, &language) {
            return Outcome::Unsupported(format!("{} ({language})", rule.rule_type));
        }
        let eql_options = self.eql_options();
        let Some(plan) = self.query_plan(&language, &eql_options) else {
            return Outcome::Invalid;
        };
        let Some(extra) = self.filters_and_exceptions() else {
            return Outcome::Invalid;
        };
        let Some((uuid, info)) = self.rule_info() else {
            return Outcome::Invalid;
        };
        let compiled = CompiledRule {
            plan: restrict(plan, extra),
            category_field: self.binder.bind(&eql_options.event_category_field).field.id,
            index: Arc::new(Unrouted),
            time: self.time_spec(),
            order: OrderSpec {
                timestamp: self.bind_date(&eql_options.timestamp_field),
                tiebreaker: eql_options
                    .tiebreaker_field
                    .as_deref()
                    .map(|t| self.binder.bind(t).field),
            },
        };
        let meta = RuleMeta {
            name: Arc::from(rule.name.as_str()),
            rule_id: rule.rule_id.clone(),
            rule_type: rule.rule_type.clone(),
            severity: rule.severity.map(|s| s.as_str()).unwrap_or("").to_string(),
            schedule: schedule(rule),
            file: self.loaded.origin.source.name.clone(),
            is_eql: rule.rule_type == RuleType::Eql,
            uuid,
            info,
        };
        Outcome::Compiled(Box::new(compiled), Box::new(meta))
    }

    fn rendered(&mut self, text: String, severity: Severity) {
        self.problems.push(Problem::Rendered { severity, text });
    }

    fn message(&mut self, severity: Severity, text: String) {
        self.problems.push(Problem::Message { severity, text });
    }

    /// A short name for messages: `file: rule "name"`.
    fn who(&self) -> String {
        format!(
            "{}: rule \"{}\"",
            self.loaded.origin.source.name, self.loaded.rule.name
        )
    }

    /// EQL search parameters from the rule (also used for KQL rules' category
    /// and ordering fields, where they do not matter).
    fn eql_options(&self) -> eql::EqlOptions {
        let rule = &self.loaded.rule;
        let non_empty = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_string);
        eql::EqlOptions {
            event_category_field: non_empty(rule.event_category_override.as_deref())
                .unwrap_or_else(|| "event.category".into()),
            timestamp_field: non_empty(
                self.loaded
                    .raw
                    .get("timestamp_field")
                    .and_then(Value::as_str),
            )
            .unwrap_or_else(|| "@timestamp".into()),
            tiebreaker_field: non_empty(rule.tiebreaker_field.as_deref()),
            // Streaming cannot know which fields the input never has: every
            // optional field is treated as mapped (missing = null per event).
            ..eql::EqlOptions::default()
        }
    }

    fn query_plan(
        &mut self,
        language: &Language,
        eql_options: &eql::EqlOptions,
    ) -> Option<QueryPlan> {
        let text = self.loaded.rule.query.as_deref().unwrap_or("");
        let kql_options = kql::KqlOptions {
            now_nanos: self.opts.now_nanos,
            ..kql::KqlOptions::default()
        };
        let result = match (language, self.parsed.take()) {
            (Language::Eql, Some(Parsed::Eql(query))) => query
                .and_then(|q| eql::lower(&q, self.binder, eql_options))
                .map(|l| l.plan),
            (Language::Eql, _) => eql::compile(text, self.binder, eql_options).map(|l| l.plan),
            (Language::Lucene, _) => {
                kql::lucene::compile(text, self.binder, &kql_options).map(event_plan)
            }
            (_, Some(Parsed::Kql(query))) => query
                .and_then(|q| kql::lower_with_warnings(&q, self.binder, &kql_options))
                .map(|(p, _)| event_plan(p)),
            _ => kql::compile_with_warnings(text, self.binder, &kql_options)
                .map(|(p, _)| event_plan(p)),
        };
        match result {
            Ok(plan) => Some(plan),
            Err(diags) => {
                let errors: Vec<Diagnostic> =
                    diags.0.into_iter().filter(|d| d.is_error()).collect();
                match self.loaded.query_input() {
                    Some(input) => {
                        for d in &errors {
                            self.rendered(input.render(d, self.opts.render), Severity::Error);
                        }
                    }
                    None => {
                        for d in &errors {
                            let text = format!("{}: {}", self.who(), d.message);
                            self.message(Severity::Error, text);
                        }
                    }
                }
                None
            }
        }
    }

    /// `filters AND NOT exceptions`; `None` when the filters are invalid.
    fn filters_and_exceptions(&mut self) -> Option<Pred> {
        let rule = &self.loaded.rule;
        let mut parts = Vec::new();
        if !rule.filters.is_empty() {
            let filters = Value::Array(rule.filters.clone());
            let kql_options = kql::KqlOptions {
                now_nanos: self.opts.now_nanos,
                ..kql::KqlOptions::default()
            };
            match kql::filters::lower_filters(&filters, self.binder, &kql_options) {
                Ok(p) => parts.push(p),
                Err(diags) => {
                    let span = self.loaded.origin.rule_value_span("filters");
                    for d in diags.0.into_iter().filter(Diagnostic::is_error) {
                        let d = if d.labels.is_empty() {
                            d.with_label(span, "")
                        } else {
                            d
                        };
                        self.rendered(self.loaded.render(&d, self.opts.render), Severity::Error);
                    }
                    return None;
                }
            }
        }
        if let Some(excepted) = self.exceptions() {
            parts.push(Pred::not(excepted));
        }
        Some(Pred::and(parts))
    }

    /// The exception predicate (true = excepted), `None` when no item applies.
    fn exceptions(&mut self) -> Option<Pred> {
        let refs = &self.loaded.rule.exceptions_list;
        if refs.is_empty() {
            return None;
        }
        let store = self.exceptions;
        let (items, missing) = store.items_for(refs, Some(self.opts.now_nanos));
        for r in missing {
            *self
                .missing_lists
                .entry((r.list_id.clone(), r.namespace_type.clone()))
                .or_default() += 1;
        }
        if items.is_empty() {
            return None;
        }
        let lowered = lower_exceptions(&items, self.binder, self.opts.value_lists);
        for d in &lowered.diagnostics {
            let severity = if d.diagnostic.is_error() {
                Severity::Warning
            } else {
                d.diagnostic.severity
            };
            match &d.source {
                Some(source) => {
                    let diagnostic = Diagnostic {
                        severity,
                        ..d.diagnostic.clone()
                    };
                    self.rendered(source.render(&diagnostic, self.opts.render), severity);
                }
                None => {
                    let text = format!("exception item `{}`: {}", d.item_id, d.diagnostic.message);
                    self.message(severity, text);
                }
            }
        }
        if !lowered.unprocessed.is_empty() {
            let text = format!(
                "{}: exception items not applied: {}",
                self.who(),
                lowered.unprocessed.join(", ")
            );
            self.message(Severity::Warning, text);
        }
        match lowered.pred {
            Pred::Const(false) => None,
            p => Some(p),
        }
    }

    /// The rule's alert uuid and its JSON for [`RuleMeta::info`] ([`describe`]).
    fn rule_info(&mut self) -> Option<(String, LazyInfo)> {
        let described = match self.described.take() {
            Some(d) => d,
            None => describe(self.loaded),
        };
        match described {
            Ok(described) => Some(described),
            Err(e) => {
                let text = format!("{}: cannot describe alerts: {e}", self.who());
                self.message(Severity::Error, text);
                None
            }
        }
    }

    fn bind_date(&mut self, name: &str) -> FieldRef {
        self.binder.bind(name).field
    }

    fn time_spec(&mut self) -> TimeSpec {
        let (primary, fallback) = self.loaded.rule.timestamp_fields();
        let fallback = fallback.filter(|f| *f != primary);
        TimeSpec {
            primary: self.bind_date(primary),
            fallback: fallback.map(|f| self.bind_date(f)),
        }
    }
}

/// Rules of Elastic's catalogue (detection-rules TOML by Elastic) are
/// installed by Kibana as prebuilt (`immutable`); others are custom.
fn is_elastic_rule(rule: &rules::Rule) -> bool {
    rule.author.iter().any(|a| a == "Elastic")
        && rule.license.as_deref() == Some("Elastic License v2")
}

fn event_plan(condition: Pred) -> QueryPlan {
    QueryPlan {
        plan: Plan::Event(ir::EventQuery {
            category: ir::Category::Any,
            condition,
        }),
        pipes: Vec::new(),
    }
}

/// ANDs `extra` onto every event filter of the plan.
fn restrict(mut plan: QueryPlan, extra: Pred) -> QueryPlan {
    if extra == Pred::Const(true) {
        return plan;
    }
    let and = |q: &mut ir::EventQuery| {
        let cond = std::mem::replace(&mut q.condition, Pred::Const(true));
        q.condition = Pred::and(vec![cond, extra.clone()]);
    };
    match &mut plan.plan {
        Plan::Event(q) => and(q),
        Plan::Sequence(s) => {
            s.stages.iter_mut().for_each(|st| and(&mut st.query));
            s.until.iter_mut().for_each(|st| and(&mut st.query));
        }
        Plan::Sample(s) => s.stages.iter_mut().for_each(|st| and(&mut st.query)),
    }
    plan
}

/// The rule's schedule; values the loader accepted but that do not parse fall
/// back to Kibana's defaults.
fn schedule(rule: &rules::Rule) -> Schedule {
    let default_from = || DateMath::parse("now-6m").expect("constant date math");
    Schedule {
        interval: parse_interval(&rule.interval).unwrap_or(DEFAULT_INTERVAL_NANOS),
        from: DateMath::parse(&rule.from).unwrap_or_else(|_| default_from()),
        to: DateMath::parse(&rule.to).unwrap_or_else(|_| DateMath::parse("now").expect("now")),
        max_signals: usize::try_from(rule.max_signals).unwrap_or(100).max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rules::{load_text, LoadOptions, SourceText};

    fn load(name: &str, text: &str) -> LoadReport {
        let mut report = LoadReport::default();
        load_text(
            SourceText::new(name.into(), text.into()),
            &LoadOptions::default(),
            &mut report,
        );
        report
    }

    fn compiled(report: &LoadReport) -> CompiledRules {
        let schema = Schema::ecs();
        let lists = ValueLists::new();
        compile(
            report,
            &CompileOptions {
                schema: &schema,
                value_lists: &lists,
                now_nanos: 0,
                render: RenderOptions::default(),
                threads: 1,
            },
        )
    }

    const RULE: &str = r#"{"rule_id":"r1","name":"R","description":"d","type":"eql","language":"eql","risk_score":21,"severity":"low","index":["logs-*"],"timestamp_override":"event.ingested","query":"process where process.name == \"x\"","max_signals":7,"interval":"1m","from":"now-2m"}"#;

    #[test]
    fn eql_rule_compiles_with_time_and_schedule() {
        let c = compiled(&load("r.json", RULE));
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert_eq!(c.counts.loaded, 1);
        let r = &c.rules[0];
        assert_eq!(r.time.primary.name, "event.ingested");
        assert_eq!(r.time.fallback.as_ref().unwrap().name, "@timestamp");
        assert_eq!(r.order.timestamp.name, "@timestamp");
        assert!(r.index.selects("logs-endpoint.events.process-default"));
        let m = &c.meta[0];
        assert_eq!(m.schedule.max_signals, 7);
        assert_eq!(m.schedule.interval, 60_000_000_000);
        assert_eq!(m.schedule.from.lookback_nanos(), Some(120_000_000_000));
    }

    #[test]
    fn broken_query_is_invalid_with_position() {
        let text = RULE.replace(r#"process.name == \"x\""#, "process.name ==");
        let c = compiled(&load("r.json", &text));
        assert_eq!(c.counts.invalid, 1);
        assert_eq!(c.counts.loaded, 0);
        let Problem::Rendered { text, severity } = &c.problems[0] else {
            panic!("{:?}", c.problems)
        };
        assert_eq!(*severity, Severity::Error);
        assert!(text.contains("--> r.json:1:"), "{text}");
    }

    const TOML_RULE: &str = r#"[metadata]
creation_date = "2020/01/01"
maturity = "production"
updated_date = "2020/01/01"

[rule]
author = ["Elastic"]
description = "d"
index = ["logs-*"]
language = "eql"
license = "Elastic License v2"
name = "R"
risk_score = 21
rule_id = "r1"
severity = "low"
type = "eql"
query = '''
process where process.name == "x"
'''
"#;

    /// A TOML rule's description is read again from its file: the same as
    /// from the packed JSON, and refused once the file changed.
    #[test]
    fn toml_rules_are_described_from_their_unchanged_file() {
        let dir = std::env::temp_dir().join(format!("vigil-describe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.toml");
        std::fs::write(&path, TOML_RULE).unwrap();
        let schema = Schema::ecs();
        let lists = ValueLists::new();
        let opts = CompileOptions {
            schema: &schema,
            value_lists: &lists,
            now_nanos: 0,
            render: RenderOptions::default(),
            threads: 1,
        };
        let from_file = compile_files(std::slice::from_ref(&dir), LoadReport::default(), &opts);
        let changed = compile_files(std::slice::from_ref(&dir), LoadReport::default(), &opts);
        assert_eq!(from_file.counts.loaded, 1, "{:?}", from_file.problems);
        assert!(matches!(from_file.meta[0].info.stored, Stored::File { .. }));
        let packed = compiled(&load(&path.to_string_lossy(), TOML_RULE));
        assert!(matches!(packed.meta[0].info.stored, Stored::Packed { .. }));
        let params = |c: &CompiledRules| c.meta[0].info().map(|i| i.params.clone());
        assert_eq!(params(&from_file).unwrap(), params(&packed).unwrap());
        assert_eq!(
            params(&from_file).unwrap()["immutable"],
            Value::Bool(true),
            "an Elastic TOML rule is prebuilt"
        );
        std::fs::write(&path, TOML_RULE.replace("name = \"R\"", "name = \"S\"")).unwrap();
        let err = params(&changed).unwrap_err();
        assert!(err.contains("changed since it was loaded"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Queries parsed on loader threads ([`compile_files`]) give what
    /// compiling them from the report gives ([`compile`]): the same problems
    /// in the same order (syntax errors, lowering errors, good rules), on
    /// one thread and on several.
    #[test]
    fn queries_parsed_ahead_compile_as_from_the_report() {
        let dir = std::env::temp_dir().join(format!("vigil-ahead-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let kql = |q: &str| {
            RULE.replace(
                r#""type":"eql","language":"eql""#,
                r#""type":"query","language":"kuery""#,
            )
            .replace(r#""query":"process where process.name == \"x\"""#, q)
        };
        let files = [
            ("1.json", RULE.to_string()),
            (
                "2.json",
                RULE.replace(r#"process.name == \"x\""#, "process.name =="),
            ),
            (
                "3.json",
                RULE.replace(r#"process.name == \"x\""#, r#"nosuch(process.name)"#),
            ),
            ("4.json", kql(r#""query":"process.name:(a or""#)),
            ("5.json", kql(r#""query":"process.pid > abc""#)),
            ("6.json", kql(r#""query":"process.name:x""#)),
        ];
        let mut report = LoadReport::default();
        for (i, (name, text)) in files.iter().enumerate() {
            let text = text.replace(r#""rule_id":"r1""#, &format!(r#""rule_id":"r{i}""#));
            let path = dir.join(name);
            std::fs::write(&path, &text).unwrap();
            report.merge(load(&path.to_string_lossy(), &text));
        }
        let whole = compiled(&report);
        assert_eq!(
            (whole.counts.loaded, whole.counts.invalid),
            (2, 4),
            "{:?}",
            whole.problems
        );
        let schema = Schema::ecs();
        let lists = ValueLists::new();
        for threads in [1, 2, 3] {
            let opts = CompileOptions {
                schema: &schema,
                value_lists: &lists,
                now_nanos: 0,
                render: RenderOptions::default(),
                threads,
            };
            let ahead = compile_files(std::slice::from_ref(&dir), LoadReport::default(), &opts);
            assert_eq!(ahead.problems, whole.problems, "threads {threads}");
            assert_eq!(ahead.counts, whole.counts, "threads {threads}");
            assert_eq!(
                ahead.registry.len(),
                whole.registry.len(),
                "threads {threads}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unsupported_types_are_counted_not_invalid() {
        let text = RULE
            .replace(
                r#""type":"eql","language":"eql""#,
                r#""type":"threshold","language":"kuery""#,
            )
            .replace(
                r#""query":"process where process.name == \"x\"""#,
                r#""query":"*","threshold":{"field":["host.name"],"value":5}"#,
            );
        let c = compiled(&load("r.json", &text));
        assert!(!c.has_errors(), "{:?}", c.problems);
        assert_eq!((c.counts.invalid, c.counts.loaded), (0, 0));
        assert_eq!(c.counts.unsupported.get("threshold"), Some(&1));
    }
}
