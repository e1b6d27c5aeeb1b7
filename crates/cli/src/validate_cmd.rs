//! `vigil validate`: load rule files, check metadata (the `rules` crate does it
//! while loading) and parse + type-check every query against ECS, reporting
//! diagnostics located in the rule files.

use crate::args::{ValidateArgs, ValidateFormat};
use crate::query_cmd::{now_nanos, EXIT_ERROR, EXIT_OK};
use crate::report::Reporter;
use diag::{Diagnostic, RenderOptions};
use event::{FieldRegistry, Schema};
use ir::Binder;
use rules::{Language, LoadOptions, LoadedRule};
use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

/// Runs `vigil validate`.
pub fn run(args: &ValidateArgs) -> ExitCode {
    let started = Instant::now();
    // Files are read and parsed on all cores (the report does not depend on it).
    let load = LoadOptions {
        threads: 0,
        ..LoadOptions::default()
    };
    let mut report = rules::load_with(&args.paths, &load);
    check_all_queries(&mut report);
    let missing: Vec<_> = args.paths.iter().filter(|p| !p.exists()).collect();
    let reporter = Reporter::new();
    for p in &missing {
        reporter.warning(&format!("{}: no such file or directory", p.display()));
    }
    let written = match args.format {
        ValidateFormat::Text => write_text(&report, reporter.color, started),
        ValidateFormat::Json => write_json(&report),
    };
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("vigil: error: writing results: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    }
    if report.has_errors() || !missing.is_empty() {
        ExitCode::from(EXIT_ERROR)
    } else {
        ExitCode::from(EXIT_OK)
    }
}

/// Checks every live rule's queries, on all cores (each thread binds fields in
/// its own registry: validation needs no shared field ids).
fn check_all_queries(report: &mut rules::LoadReport) {
    let schema = Schema::ecs();
    let now = now_nanos();
    let mut all: Vec<&mut LoadedRule> = report
        .rules
        .iter_mut()
        .chain(report.unsupported.iter_mut())
        .collect();
    let threads = crate::report::all_cores().min(8);
    let chunk = all.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        for part in all.chunks_mut(chunk) {
            let schema = &schema;
            scope.spawn(move || {
                for rule in part.iter_mut() {
                    let found = check_queries(rule, schema, now);
                    rule.diagnostics.extend(found);
                }
            });
        }
    });
}

/// Parses and type-checks the rule's queries (main query, `filters`,
/// `threat_query`), returning diagnostics with file offsets.
pub fn check_queries(rule: &LoadedRule, schema: &Schema, now: i64) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut registry = FieldRegistry::new();
    let mut binder = Binder::new(schema, &mut registry);
    let kql_opts = kql::KqlOptions {
        now_nanos: now,
        ..kql::KqlOptions::default()
    };
    if let Some(input) = rule.query_input() {
        let diags = match input.language {
            Language::Eql => {
                let opts = eql_options(rule);
                match eql::compile(input.text, &mut binder, &opts) {
                    Ok(lowered) => lowered.warnings.0,
                    Err(d) => d.0,
                }
            }
            Language::Kuery => match kql::compile_with_warnings(input.text, &mut binder, &kql_opts)
            {
                Ok((_, warnings)) => warnings.0,
                Err(d) => d.0,
            },
            Language::Lucene => match kql::lucene::compile(input.text, &mut binder, &kql_opts) {
                Ok(_) => Vec::new(),
                Err(d) => d.0,
            },
            // ES|QL and unknown languages: not parsed (the rule type is reported as unsupported).
            Language::Esql | Language::Other(_) => Vec::new(),
        };
        out.extend(diags.into_iter().map(|d| input.to_file_diagnostic(d)));
    }
    if !rule.rule.filters.is_empty() {
        let filters = serde_json::Value::Array(rule.rule.filters.clone());
        if let Err(d) = kql::filters::lower_filters(&filters, &mut binder, &kql_opts) {
            let span = rule.origin.rule_key_span("filters");
            out.extend(d.0.into_iter().map(|d| relocate(d, span)));
        }
    }
    if let Some(threat_query) = &rule.rule.threat_query {
        if let Err(d) = kql::compile(threat_query, &mut binder, &kql_opts) {
            let span = rule.origin.rule_value_span("threat_query");
            out.extend(d.0.into_iter().map(|d| relocate(d, span)));
        }
    }
    out
}

/// The EQL search options a rule sets (`event_category_override`, `tiebreaker_field`, `timestamp_field`).
pub fn eql_options(rule: &LoadedRule) -> eql::EqlOptions {
    let raw = &rule.raw;
    let text = |k: &str| raw.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let defaults = eql::EqlOptions::default();
    eql::EqlOptions {
        event_category_field: text("event_category_override")
            .unwrap_or(defaults.event_category_field),
        timestamp_field: text("timestamp_field").unwrap_or(defaults.timestamp_field),
        tiebreaker_field: text("tiebreaker_field"),
        unmapped_optional_fields: Vec::new(),
    }
}

/// A diagnostic from JSON embedded in the rule, pointed at the rule key that holds it.
fn relocate(mut d: Diagnostic, span: diag::Span) -> Diagnostic {
    let message = d
        .labels
        .first()
        .map(|l| l.message.clone())
        .unwrap_or_default();
    d.labels = vec![diag::Label { span, message }];
    d
}

fn write_text(report: &rules::LoadReport, color: bool, started: Instant) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(report.render(RenderOptions { color }).as_bytes())?;
    let (errors, warnings) = count_severities(report);
    let unsupported = report.unsupported_by_type();
    let unsupported_text = if unsupported.is_empty() {
        String::new()
    } else {
        let parts: Vec<String> = unsupported
            .iter()
            .map(|(t, n)| format!("{t} {n}"))
            .collect();
        format!(" ({})", parts.join(", "))
    };
    writeln!(
        out,
        "{} files, {} rules: {} valid, {} invalid, {} deprecated, {} unsupported{}; {} errors, {} warnings ({} ms)",
        report.files,
        report.live().count(),
        report.valid_count(),
        report.invalid_count(),
        report.deprecated.len(),
        report.unsupported.len(),
        unsupported_text,
        errors,
        warnings,
        started.elapsed().as_millis()
    )
}

fn count_severities(report: &rules::LoadReport) -> (usize, usize) {
    report
        .all_diagnostics()
        .fold((0, 0), |(e, w), (_, d)| match d.severity {
            diag::Severity::Error => (e + 1, w),
            diag::Severity::Warning => (e, w + 1),
            diag::Severity::Note => (e, w),
        })
}

fn write_json(report: &rules::LoadReport) -> std::io::Result<()> {
    let body = serde_json::json!({
        "files": report.files,
        "rules": report.live().count(),
        "valid": report.valid_count(),
        "invalid": report.invalid_count(),
        "deprecated": report.deprecated.len(),
        "unsupported": report.unsupported_by_type(),
        "by_type": report.live_by_type(),
        "diagnostics": report.diagnostics_json(),
    });
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    serde_json::to_writer_pretty(&mut out, &body)?;
    writeln!(out)
}
