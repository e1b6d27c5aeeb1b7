//! `vigil query`: one EQL / KQL / Lucene query over event files.

use crate::args::{Format, Language, QueryArgs, QueryOptions, ResultPosition};
use crate::load::{self, ParsedDoc};
use crate::output::{self, Column, Group, Results};
use crate::report::{self, Reporter};
use event::{FieldRegistry, Schema};
use ir::{Binder, Category, EventQuery, FieldRef, Plan, QueryPlan};
use matcher::exec::{ExecContext, QueryResult};
use matcher::EventRecord;
use std::process::ExitCode;
use std::time::Instant;

/// Exit statuses shared by every command.
pub const EXIT_OK: u8 = 0;
pub const EXIT_MATCHES: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// Loads the schema: ECS, overlaid with `--mapping` when given.
pub fn load_schema(opts: &QueryOptions, reporter: &mut Reporter) -> Option<Schema> {
    let Some(path) = &opts.mapping else {
        return Some(Schema::ecs());
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            reporter.error(&format!("{}: {e}", path.display()));
            return None;
        }
    };
    match Schema::with_mapping_json(&text) {
        Ok(s) => Some(s),
        Err(e) => {
            reporter.error(&format!("{}: {e}", path.display()));
            None
        }
    }
}

/// The query lowered, with the fields the engine needs bound.
struct Compiled {
    plan: QueryPlan,
    timestamp: FieldRef,
    tiebreaker: Option<FieldRef>,
    category: FieldRef,
}

fn compile(
    args: &QueryArgs,
    binder: &mut Binder<'_>,
    reporter: &mut Reporter,
    null_fields: &[String],
) -> Option<Compiled> {
    let opts = &args.common;
    let source = diag::SourceFile::new("query", &args.query);
    let plan = match args.language {
        Language::Eql => {
            let eql_opts = eql::EqlOptions {
                event_category_field: opts.event_category_field.clone(),
                timestamp_field: opts.timestamp_field.clone(),
                tiebreaker_field: opts.tiebreaker_field.clone(),
                unmapped_optional_fields: null_fields.to_vec(),
            };
            match eql::compile(&args.query, binder, &eql_opts) {
                Ok(lowered) => {
                    if null_fields.is_empty() {
                        reporter.diagnostics(&lowered.warnings, &source);
                    }
                    lowered.plan
                }
                Err(diags) => {
                    reporter.diagnostics(&diags, &source);
                    return None;
                }
            }
        }
        Language::Kql | Language::Kuery | Language::Lucene => {
            let kql_opts = kql::KqlOptions {
                now_nanos: now_nanos(),
                ..kql::KqlOptions::default()
            };
            let result = if args.language == Language::Lucene {
                kql::lucene::compile(&args.query, binder, &kql_opts)
                    .map(|p| (p, diag::Diagnostics::default()))
            } else {
                kql::compile_with_warnings(&args.query, binder, &kql_opts)
            };
            match result {
                Ok((condition, warnings)) => {
                    reporter.diagnostics(&warnings, &source);
                    QueryPlan {
                        plan: Plan::Event(EventQuery {
                            category: Category::Any,
                            condition,
                        }),
                        pipes: Vec::new(),
                    }
                }
                Err(diags) => {
                    reporter.diagnostics(&diags, &source);
                    return None;
                }
            }
        }
    };
    let timestamp = binder.bind(&opts.timestamp_field).field;
    let tiebreaker = opts
        .tiebreaker_field
        .as_deref()
        .map(|t| binder.bind(t).field);
    let category = binder.bind(&opts.event_category_field).field;
    Some(Compiled {
        plan,
        timestamp,
        tiebreaker,
        category,
    })
}

/// Runs `vigil query`.
pub fn run(args: &QueryArgs) -> ExitCode {
    let mut reporter = Reporter::new();
    let Some(schema) = load_schema(&args.common, &mut reporter) else {
        return ExitCode::from(EXIT_ERROR);
    };
    let mut registry = FieldRegistry::new();
    let compiled = {
        let mut binder = Binder::new(&schema, &mut registry);
        compile(args, &mut binder, &mut reporter, &[])
    };
    let Some(mut compiled) = compiled else {
        return ExitCode::from(EXIT_ERROR);
    };
    if args.check {
        reporter.info("query is valid");
        return ExitCode::from(EXIT_OK);
    }
    let started = Instant::now();
    let (docs, io_failed) = if has_unknown_optional_fields(args, &schema) {
        // Whether `?x` is a field or a null constant depends on every event:
        // read them all.
        load::read_all(&args.files, &mut reporter)
    } else {
        let plan = &compiled.plan;
        let category = compiled.category.id;
        let keep = |e: &event::Event<'_>| may_take_part(plan, category, e);
        let threads = args.threads.unwrap_or_else(report::all_cores).max(1);
        let read = load::read_filtered(&args.files, &registry, &keep, threads, &mut reporter);
        (read.docs, read.io_failed)
    };
    let parsed = load::parse_all(&docs, &registry, &mut reporter);
    let null_fields = unmapped_optional_fields(args, &schema, &registry, &parsed);
    if !null_fields.is_empty() {
        let mut binder = Binder::new(&schema, &mut registry);
        match compile(args, &mut binder, &mut reporter, &null_fields) {
            Some(c) => compiled = c,
            None => return ExitCode::from(EXIT_ERROR),
        }
    }
    let records: Vec<EventRecord<'_>> = parsed
        .iter()
        .map(|p| {
            EventRecord::new(
                p.doc.ordinal,
                p.event.clone(),
                &compiled.timestamp,
                compiled.tiebreaker.as_ref(),
            )
        })
        .collect();
    let mut ctx = ExecContext::new(compiled.category.id);
    ctx.size = args.common.size.map(|n| n as usize);
    ctx.max_samples_per_key = args.common.max_samples_per_key.max(1) as usize;
    ctx.result_position = match args.common.result_position {
        ResultPosition::Head => matcher::exec::ResultPosition::Head,
        ResultPosition::Tail => matcher::exec::ResultPosition::Tail,
    };
    let outcome = matcher::exec::run(&compiled.plan, &ctx, &records);
    report_script_errors(&outcome, &parsed, &reporter);
    let results = to_results(&outcome.result, &parsed);
    let format = args.format.unwrap_or(if report::stdout_is_terminal() {
        Format::Table
    } else {
        Format::Ndjson
    });
    let columns = table_columns(&compiled, &registry, &args.common);
    if let Err(e) = write_results(
        format,
        &results,
        started,
        &columns,
        args.common.index.as_deref(),
    ) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            reporter.error(&format!("writing results: {e}"));
            return ExitCode::from(EXIT_ERROR);
        }
    }
    reporter.finish();
    if io_failed {
        ExitCode::from(EXIT_ERROR)
    } else if args.fail_on_match && !results.is_empty() {
        ExitCode::from(EXIT_MATCHES)
    } else {
        ExitCode::from(EXIT_OK)
    }
}

/// Whether an event can be part of a result: it matches the event query, or
/// one stage (missing-event steps and `until` included) of a sequence or
/// sample. Events that cannot are never kept, so memory follows the matches.
fn may_take_part(plan: &QueryPlan, category: event::FieldId, e: &event::Event<'_>) -> bool {
    let matches = |q: &ir::EventQuery| {
        matcher::order::in_category(q, e, category) && matcher::pred::matches(&q.condition, e)
    };
    match &plan.plan {
        Plan::Event(q) => matches(q),
        Plan::Sequence(s) => s
            .stages
            .iter()
            .chain(s.until.iter())
            .any(|st| matches(&st.query)),
        Plan::Sample(s) => s.stages.iter().any(|st| matches(&st.query)),
    }
}

/// Whether the query names an optional field (`?x`) that the schema does not
/// know: then its meaning (field or null constant) depends on the whole input.
fn has_unknown_optional_fields(args: &QueryArgs, schema: &Schema) -> bool {
    if args.language != Language::Eql {
        return false;
    }
    let Ok(query) = eql::parse(&args.query) else {
        return false;
    };
    query
        .field_uses()
        .iter()
        .any(|u| u.optional && schema.resolve(&u.name).unmapped)
}

/// EQL optional fields (`?name`) that neither the schema nor any input event
/// has: the index does not map them, so Elasticsearch reads them as `null`
/// constants. (Mapped-but-empty fields stay fields.)
fn unmapped_optional_fields(
    args: &QueryArgs,
    schema: &Schema,
    registry: &FieldRegistry,
    parsed: &[ParsedDoc<'_>],
) -> Vec<String> {
    if args.language != Language::Eql {
        return Vec::new();
    }
    let Ok(query) = eql::parse(&args.query) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for name in query
        .field_uses()
        .into_iter()
        .filter(|u| u.optional)
        .map(|u| u.name)
    {
        let resolved = schema.resolve(&name);
        let present = registry
            .get(&resolved.path)
            .is_some_and(|id| parsed.iter().any(|p| p.event.has(id)));
        if resolved.unmapped && !present && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

fn report_script_errors(
    outcome: &matcher::exec::QueryOutcome,
    parsed: &[ParsedDoc<'_>],
    reporter: &Reporter,
) {
    for (i, e) in outcome.errors.iter().take(5) {
        let d = parsed[*i].doc;
        reporter.warning(&format!(
            "{}:{}: script error, event not matched: {e}",
            d.file, d.line
        ));
    }
    if outcome.error_count > 5 {
        reporter.warning(&format!(
            "{} events could not be evaluated in all",
            outcome.error_count
        ));
    }
}

fn to_results<'a>(result: &QueryResult, parsed: &'a [ParsedDoc<'a>]) -> Results<'a> {
    match result {
        QueryResult::Events(ids) => Results::Events(ids.iter().map(|&i| &parsed[i]).collect()),
        QueryResult::Sequences(seqs) => Results::Sequences(
            seqs.iter()
                .map(|s| Group {
                    join_keys: s.join_keys.iter().map(key_json).collect(),
                    events: s.events.iter().map(|e| e.map(|i| &parsed[i])).collect(),
                })
                .collect(),
        ),
        QueryResult::Samples(samples) => Results::Samples(
            samples
                .iter()
                .map(|s| Group {
                    join_keys: s.join_keys.iter().map(key_json).collect(),
                    events: s.events.iter().map(|&i| Some(&parsed[i])).collect(),
                })
                .collect(),
        ),
    }
}

/// A join key as Elasticsearch prints it in `join_keys`.
fn key_json(k: &matcher::KeyValue) -> serde_json::Value {
    use matcher::KeyValue as K;
    match k {
        K::Null => serde_json::Value::Null,
        K::Bool(b) => (*b).into(),
        K::Int(i) => (*i).into(),
        K::Float(f) => f.0.into(),
        K::Date(n) => (*n / 1_000_000).into(),
        K::Ip(ip) => matcher::values::ip_to_string(*ip).into(),
        K::Str(s) => s.as_ref().into(),
    }
}

/// Table columns: the timestamp, the category, then every field the query reads.
fn table_columns(c: &Compiled, registry: &FieldRegistry, opts: &QueryOptions) -> Vec<Column> {
    let mut names: Vec<String> = vec![
        opts.timestamp_field.clone(),
        opts.event_category_field.clone(),
    ];
    for name in crate::fields::plan_fields(&c.plan) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
        .iter()
        .enumerate()
        .map(|(i, n)| Column::new(n, registry, i == 0))
        .collect()
}

fn write_results(
    format: Format,
    results: &Results<'_>,
    started: Instant,
    columns: &[Column],
    default_index: Option<&str>,
) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = output::buffered(stdout.lock());
    match format {
        Format::Ndjson => output::write_ndjson(&mut out, results)?,
        Format::Json => output::write_json(
            &mut out,
            results,
            started.elapsed().as_millis(),
            default_index,
        )?,
        Format::Table => output::write_table(&mut out, results, columns)?,
    }
    std::io::Write::flush(&mut out)
}

/// The current time in epoch nanoseconds (date math in KQL: `now-1d`).
pub fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}
