//! `vigil hunt`: detection rules over event files, alerts out.
//!
//! Output (`--format`, default `table` on a terminal, `ndjson` otherwise):
//! - `ndjson`: one alert document per line (Kibana's alerts-as-data `_source`);
//! - `json`: one JSON array of the alert documents (one per line inside it);
//! - `csv`: the columns [`CSV_HEADER`], RFC 4180 quoting;
//! - `table`: time, severity, rule, host.name, user.name, reason (truncated).
//!
//! Alerts come sorted by original time, rule name and alert id. A summary goes
//! to stderr; a progress bar too when stderr is a terminal.
//!
//! Exit status: 2 when a rule, rule file, value list or input was invalid or
//! unreadable (the valid rules still ran and their alerts were written); else
//! 1 with `--fail-on-match` when alerts were raised; else 0.

use crate::args::{AlertFormat, HuntArgs};
use crate::output;
use crate::query_cmd::{now_nanos, EXIT_ERROR, EXIT_MATCHES, EXIT_OK};
use crate::report::{self, Reporter};
use engine::{
    Alert, Engine, Input, Mode, Problem, RuleCounts, RunOptions, RunReport, SortedAlerts,
};
use event::Schema;
use rules::{LoadReport, ValueLists};
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// CSV columns, in order.
pub const CSV_HEADER: &str = "time,severity,risk_score,rule_id,rule_name,host.name,user.name,event.id,source_index,source_id,alert_uuid,building_block,reason";

/// Table cells longer than this are cut.
const REASON_WIDTH: usize = 100;
const RULE_WIDTH: usize = 50;
/// Rules listed under "top rules".
const TOP_RULES: usize = 5;

/// Runs `vigil hunt`.
pub fn run(args: &HuntArgs) -> ExitCode {
    let started = Instant::now();
    let mut reporter = Reporter::new();
    let mut failed = false;
    let (Some(schema), Some(now)) = (
        load_schema(args, &mut reporter),
        run_time(args, &mut reporter),
    ) else {
        return ExitCode::from(EXIT_ERROR);
    };
    let (Some(since), Some(until), Some(window)) = (
        time_arg("--since", args.since.as_deref(), &mut reporter),
        time_arg("--until", args.until.as_deref(), &mut reporter),
        reorder_window(&args.reorder_window, &mut reporter),
    ) else {
        return ExitCode::from(EXIT_ERROR);
    };
    let value_lists = load_value_lists(&args.value_list, &mut reporter, &mut failed);
    let extra = load_exceptions(args, &reporter);
    let threads = args.threads.unwrap_or(RunOptions::new(now).threads).max(1);
    let compiled = engine::compile_files(
        &args.rules,
        extra,
        &engine::CompileOptions {
            schema: &schema,
            value_lists: &value_lists,
            now_nanos: now,
            render: diag::RenderOptions {
                color: reporter.color,
            },
            threads,
        },
    );
    let (engine, counts, problems) = Engine::new(compiled);
    failed |= print_problems(&problems, &mut reporter);
    let bytes = Arc::new(AtomicU64::new(0));
    let (inputs, total_bytes) = open_inputs(args, &bytes, &mut reporter, &mut failed);
    let bar = report::progress_bar(total_bytes);
    let progress = |_: u64| {
        if let Some(bar) = &bar {
            bar.set_position(bytes.load(Ordering::Relaxed));
        }
    };
    let mut opts = RunOptions::new(now);
    opts.threads = threads;
    opts.since = since;
    opts.until = until;
    opts.mode = match (args.parse_only, args.replay) {
        (true, _) => Mode::ParseOnly,
        (false, true) => Mode::Replay,
        (false, false) => Mode::Backfill,
    };
    opts.reorder_window = window;
    opts.held_memory = args.state_memory.saturating_mul(1 << 20);
    opts.spill_dir = args.temp_dir.clone();
    opts.release_memory = crate::allocator::release_free_memory;
    if let Some(bytes) = args.reorder_hold {
        opts.reorder_hold = bytes;
    }
    opts.progress = Some(&progress);
    if let Some(n) = args.batch_records {
        opts.batch_records = n.max(1);
    }
    let (result, alerts) = engine.run_sorted(inputs, &opts);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    failed |= print_run_messages(&result, args.index.is_some(), &mut reporter);
    print_late_events(&result, args, &reporter);
    let mut tally = Tally::default();
    if let Err(e) = write_alerts(args, &alerts, &mut tally) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            reporter.error(&format!("writing alerts: {e}"));
            failed = true;
        }
        // Count them all for the summary all the same.
        tally = Tally::default();
        let _ = alerts.for_each(|a| {
            tally.count(a);
            Ok(())
        });
    }
    print_summary(&result, &tally, &counts, args, started.elapsed(), &reporter);
    if failed {
        ExitCode::from(EXIT_ERROR)
    } else if args.fail_on_match && !alerts.is_empty() {
        ExitCode::from(EXIT_MATCHES)
    } else {
        ExitCode::from(EXIT_OK)
    }
}

fn load_schema(args: &HuntArgs, reporter: &mut Reporter) -> Option<Schema> {
    let Some(path) = &args.mapping else {
        return Some(Schema::ecs());
    };
    let loaded = std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|t| Schema::with_mapping_json(&t).map_err(|e| e.to_string()));
    match loaded {
        Ok(s) => Some(s),
        Err(e) => {
            reporter.error(&format!("{}: {e}", path.display()));
            None
        }
    }
}

/// `--now`, else the wall clock.
fn run_time(args: &HuntArgs, reporter: &mut Reporter) -> Option<i64> {
    match args.now.as_deref() {
        None => Some(now_nanos()),
        Some(text) => time_arg("--now", Some(text), reporter).flatten(),
    }
}

/// A time option: `Some(None)` when absent, `None` when invalid (reported).
fn time_arg(name: &str, text: Option<&str>, reporter: &mut Reporter) -> Option<Option<i64>> {
    let Some(text) = text else {
        return Some(None);
    };
    match event::time::parse_date_nanos(text) {
        Some(t) => Some(Some(t)),
        None => {
            reporter.error(&format!(
                "{name} {text}: not a date (ISO 8601 or epoch milliseconds)"
            ));
            None
        }
    }
}

/// `--reorder-window`: `0` or a number followed by s, m, h or d.
fn reorder_window(text: &str, reporter: &mut Reporter) -> Option<i64> {
    if text == "0" {
        return Some(0);
    }
    match rules::datemath::parse_interval(text) {
        Ok(n) => Some(n),
        Err(e) => {
            reporter.error(&format!("--reorder-window {text}: {e}"));
            None
        }
    }
}

/// Events the reorder buffer could not put in place.
fn print_late_events(r: &RunReport, args: &HuntArgs, reporter: &Reporter) {
    if r.late_events == 0 {
        return;
    }
    let what = if args.replay {
        "their alerts may be missed in replay"
    } else {
        "sequences involving them may be missed"
    };
    reporter.warning(&format!(
        "{} events arrived more than {} out of order; {what}: sort the input or raise --reorder-window",
        r.late_events, args.reorder_window
    ));
    if r.reorder_forced > 0 {
        reporter.warning(&format!(
            "the reorder buffer reached its bound ({} MiB): some events were released before the window passed",
            engine::run::REORDER_CAPACITY >> 20
        ));
    }
}

fn load_value_lists(paths: &[PathBuf], reporter: &mut Reporter, failed: &mut bool) -> ValueLists {
    let mut lists = ValueLists::new();
    for p in paths {
        if let Err(e) = lists.load_file(p) {
            reporter.error(&format!("{}: {e}", p.display()));
            *failed = true;
        }
    }
    lists
}

/// The `--exceptions` files (their rules, if any, are ignored with a warning).
/// The rule files are loaded and compiled one at a time by
/// [`engine::compile_files`].
fn load_exceptions(args: &HuntArgs, reporter: &Reporter) -> LoadReport {
    if args.exceptions.is_empty() {
        return LoadReport::default();
    }
    let extra = rules::load(&args.exceptions);
    let ignored = extra.rules.len() + extra.unsupported.len();
    if ignored > 0 {
        reporter.warning(&format!(
            "{ignored} rules in --exceptions files ignored (give rule files with --rules)"
        ));
    }
    extra
}

/// Prints rule and exception problems; true when one is an error.
fn print_problems(problems: &[Problem], reporter: &mut Reporter) -> bool {
    let mut failed = false;
    for p in problems {
        match p {
            Problem::Rendered { severity, text } => {
                failed |= *severity == diag::Severity::Error;
                eprint!("{text}");
            }
            Problem::Message { severity, text } => match severity {
                diag::Severity::Error => {
                    failed = true;
                    reporter.error(text);
                }
                _ => reporter.warning(text),
            },
        }
    }
    failed
}

/// Counts the bytes read from a file (before decompression), for the progress bar.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens the event inputs (`-` or none: stdin); unreadable ones are reported.
fn open_inputs(
    args: &HuntArgs,
    bytes: &Arc<AtomicU64>,
    reporter: &mut Reporter,
    failed: &mut bool,
) -> (Vec<Input>, u64) {
    let (paths, unreadable) = crate::load::event_paths_reported(&args.events, reporter);
    *failed |= unreadable;
    let mut inputs = Vec::new();
    let mut total = 0;
    for path in &paths {
        let opened = if path == "-" {
            event::input::open("-").map(|r| (r, 0))
        } else {
            std::fs::File::open(path).and_then(|f| {
                let size = f.metadata().map(|m| m.len()).unwrap_or(0);
                let counting = Counting {
                    inner: f,
                    count: bytes.clone(),
                };
                event::input::decompress(Box::new(counting), path).map(|r| (r, size))
            })
        };
        match opened {
            Ok((reader, size)) => {
                total += size;
                inputs.push(Input {
                    name: if path == "-" {
                        "<stdin>".into()
                    } else {
                        path.clone()
                    },
                    reader,
                    default_index: args.index.clone(),
                });
            }
            Err(e) => {
                reporter.error(&format!("{path}: {e}"));
                *failed = true;
            }
        }
    }
    (inputs, total)
}

/// Input and evaluation messages; true when the input was invalid.
fn print_run_messages(r: &RunReport, has_default_index: bool, reporter: &mut Reporter) -> bool {
    for m in &r.malformed_shown {
        reporter.malformed(&m.file, m.line, &m.message);
    }
    reporter.malformed = r.malformed;
    reporter.finish();
    for e in &r.read_errors {
        reporter.error(e);
    }
    if r.without_index > 0 {
        let hint = if has_default_index {
            ""
        } else {
            "; name their index with --index (e.g. --index logs-endpoint.events.process-default)"
        };
        reporter.warning(&format!(
            "{} events have no _index and no data_stream.*: no rule can match them{hint}",
            r.without_index
        ));
    }
    for e in &r.script_errors_shown {
        reporter.warning(&format!("script error, event not matched: {e}"));
    }
    if r.script_errors > r.script_errors_shown.len() as u64 {
        reporter.warning(&format!("{} script errors in all", r.script_errors));
    }
    for e in &r.alert_errors {
        reporter.error(&format!("alert not built: {e}"));
    }
    for w in &r.warnings {
        reporter.warning(w);
    }
    r.malformed > 0 || !r.read_errors.is_empty() || !r.alert_errors.is_empty()
}

/// Alerts per severity and per rule name, counted while they are written.
#[derive(Default)]
struct Tally {
    total: usize,
    by_severity: BTreeMap<String, usize>,
    by_rule: BTreeMap<String, usize>,
}

impl Tally {
    fn count(&mut self, a: &Alert) {
        self.total += 1;
        *self.by_severity.entry(a.severity.clone()).or_default() += 1;
        match self.by_rule.get_mut(&*a.rule_name) {
            Some(n) => *n += 1,
            None => {
                self.by_rule.insert(a.rule_name.to_string(), 1);
            }
        }
    }
}

fn write_alerts(args: &HuntArgs, alerts: &SortedAlerts, tally: &mut Tally) -> io::Result<()> {
    let format = args
        .format
        .unwrap_or(match (&args.output, report::stdout_is_terminal()) {
            (None, true) => AlertFormat::Table,
            _ => AlertFormat::Ndjson,
        });
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(output::buffered(std::fs::File::create(path)?)),
        None => Box::new(output::buffered(io::stdout().lock())),
    };
    match format {
        AlertFormat::Ndjson => alerts.for_each(|a| {
            tally.count(a);
            a.write_json(&mut out)?;
            out.write_all(b"\n")
        })?,
        AlertFormat::Json => write_json(&mut out, alerts, tally)?,
        AlertFormat::Csv => write_csv(&mut out, alerts, tally)?,
        AlertFormat::Table => write_table(&mut out, alerts, tally)?,
    }
    out.flush()
}

fn write_json(out: &mut dyn Write, alerts: &SortedAlerts, tally: &mut Tally) -> io::Result<()> {
    if alerts.is_empty() {
        return writeln!(out, "[]");
    }
    write!(out, "[")?;
    alerts.for_each(|a| {
        let sep: &[u8] = if tally.total == 0 { b"\n" } else { b",\n" };
        tally.count(a);
        out.write_all(sep)?;
        a.write_json(out)
    })?;
    writeln!(out, "\n]")
}

fn time_text(a: &Alert) -> String {
    a.original_time
        .map(event::time::format_millis)
        .unwrap_or_default()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn write_csv(out: &mut dyn Write, alerts: &SortedAlerts, tally: &mut Tally) -> io::Result<()> {
    writeln!(out, "{CSV_HEADER}")?;
    alerts.for_each(|a| {
        tally.count(a);
        let opt = |s: &Option<String>| s.clone().unwrap_or_default();
        let cells = [
            time_text(a),
            a.severity.clone(),
            a.risk_score.clone(),
            a.rule_id.clone(),
            a.rule_name.to_string(),
            opt(&a.host_name),
            opt(&a.user_name),
            opt(&a.event_id),
            opt(&a.source_index),
            opt(&a.source_id),
            a.uuid.clone(),
            a.building_block.to_string(),
            a.reason.clone(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
        writeln!(out, "{}", line.join(","))
    })
}

fn truncate(s: &str, max: usize) -> String {
    let s = s.replace(['\n', '\r', '\t'], " ");
    if s.chars().count() <= max {
        return s;
    }
    let mut t: String = s.chars().take(max - 1).collect();
    t.push('…');
    t
}

fn table_row(a: &Alert) -> [String; 6] {
    [
        time_text(a),
        a.severity.clone(),
        truncate(&a.rule_name, RULE_WIDTH),
        a.host_name.clone().unwrap_or_default(),
        a.user_name.clone().unwrap_or_default(),
        truncate(&a.reason, REASON_WIDTH),
    ]
}

/// Two passes over the alerts: column widths (and each sequence's shell
/// alert), then rows. As in Kibana's alerts table, a sequence shows as one row
/// (its shell alert), here at its first event's time in place of its building
/// blocks; the other formats write every alert document.
fn write_table(out: &mut dyn Write, alerts: &SortedAlerts, tally: &mut Tally) -> io::Result<()> {
    let header = [
        "time",
        "severity",
        "rule",
        "host.name",
        "user.name",
        "reason",
    ]
    .map(String::from);
    let mut widths: Vec<usize> = header.iter().map(String::len).collect();
    let mut shells: HashMap<String, [String; 6]> = HashMap::new();
    alerts.for_each(|a| {
        let row = table_row(a);
        for (w, cell) in widths.iter_mut().zip(&row) {
            *w = (*w).max(cell.chars().count());
        }
        if a.is_sequence_shell() {
            shells.insert(a.uuid.clone(), row);
        }
        Ok(())
    })?;
    let line = |cells: &[String; 6]| crate::output::table_line(cells, &widths);
    writeln!(out, "{}", line(&header))?;
    alerts.for_each(|a| {
        tally.count(a);
        match table_row_of(a, &mut shells) {
            Some(row) => writeln!(out, "{}", line(&row)),
            None => Ok(()),
        }
    })
}

/// The row shown for an alert: a sequence's first building block shows as its
/// shell (with the block's time); other blocks and the shell itself show as
/// nothing, unless the shell was not seen with a block.
fn table_row_of(a: &Alert, shells: &mut HashMap<String, [String; 6]>) -> Option<[String; 6]> {
    match &a.group_id {
        Some(group) if a.is_sequence_shell() => shells.remove(group),
        Some(group) if a.building_block => shells.remove(group).map(|mut row| {
            row[0] = time_text(a);
            row
        }),
        _ => Some(table_row(a)),
    }
}

/// The summary on stderr.
fn print_summary(
    r: &RunReport,
    tally: &Tally,
    c: &RuleCounts,
    args: &HuntArgs,
    elapsed: Duration,
    reporter: &Reporter,
) {
    let mut events = format!("events: {} read", r.events);
    if r.malformed > 0 {
        events += &format!(", {} malformed", r.malformed);
    }
    if r.without_index > 0 {
        events += &format!(", {} without index", r.without_index);
    }
    if r.without_time > 0 {
        events += &format!(", {} without timestamp", r.without_time);
    }
    if r.candidates > 0 {
        events += &format!(
            ", {} kept for sequences (at most {} at once",
            r.candidates, r.retained_peak
        );
        let disk = &r.texts_written;
        if disk.texts > 0 || disk.sample_runs > 0 {
            events += &format!(
                "; {} event texts and {} runs of sample buckets written to disk to bound memory",
                disk.texts, disk.sample_runs
            );
        }
        events += ")";
    }
    reporter.info(&events);
    reporter.info(&rules_line(c));
    if args.replay {
        reporter.info(&format!(
            "replay: {} rule executions simulated",
            r.executions
        ));
    }
    reporter.info(&alerts_line(tally));
    if let Some(top) = top_rules(tally) {
        reporter.info(&top);
    }
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        r.events as f64 / secs
    } else {
        0.0
    };
    reporter.info(&format!("time: {secs:.3} s, {rate:.0} events/s"));
}

fn rules_line(c: &RuleCounts) -> String {
    let unsupported: usize = c.unsupported.values().sum();
    let mut line = format!(
        "rules: {} loaded, {} deprecated skipped, {} unsupported",
        c.loaded, c.deprecated, unsupported
    );
    if unsupported > 0 {
        let by_type: Vec<String> = c
            .unsupported
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        line += &format!(" ({})", by_type.join(", "));
    }
    line += &format!(", {} invalid", c.invalid);
    if c.file_errors > 0 {
        line += &format!(", {} file errors", c.file_errors);
    }
    line
}

fn alerts_line(tally: &Tally) -> String {
    let parts: Vec<String> = ["critical", "high", "medium", "low"]
        .iter()
        .map(|s| format!("{s} {}", tally.by_severity.get(*s).copied().unwrap_or(0)))
        .collect();
    format!("alerts: {} ({})", tally.total, parts.join(", "))
}

fn top_rules(tally: &Tally) -> Option<String> {
    let mut counts: Vec<(&str, usize)> = tally
        .by_rule
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let shown: Vec<String> = counts
        .iter()
        .take(TOP_RULES)
        .map(|(name, n)| format!("{n} {name}"))
        .collect();
    (!shown.is_empty()).then(|| format!("top rules: {}", shown.join("; ")))
}
