//! Every EQL and KQL rule of the catalogue (`rules/` and `rules_building_block/`
//! of `../shared/corpus/detection-rules`) over the corpus events
//! (`../shared/corpus/events/*.ndjson`) and the project's example events,
//! without error; the alert count of each rule that alerts, in backfill and in
//! replay mode, is a reviewed snapshot: `tests/snapshots/catalogue_alerts.tsv`.
//! A change fails until blessed with `VIGIL_BLESS=1`.
//!
//! Most corpus documents carry no `data_stream` (pipeline-test output): each
//! file is given the index its README names ("intended index"), as `--index`
//! would, split by line ranges where one file holds several data streams.
//!
//! The catalogue also runs over a generated workload (`workload` crate: 5,000
//! events, seed 7, attack stories at 2% so that every scenario is injected):
//! its per-rule counts are a second reviewed snapshot,
//! `tests/snapshots/catalogue_workload_alerts.tsv`, and every injected
//! scenario must raise its target rule as often as injected (the scenario →
//! rule table of `workload::scenarios`; a sequence counts once, as its shell
//! alert).

mod support;

use engine::{Input, Mode, Problem, RunReport};
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use support::*;

/// Lines `first..=last` of a file belong to `index`.
type Range = (usize, usize, &'static str);

/// (file, ranges) as the corpus README assigns them.
const INDICES: &[(&str, &[Range])] = &[
    (
        "endpoint.ndjson",
        &[(1, 9, "logs-endpoint.events.api-default")],
    ),
    (
        "sentinel_one_cloud_funnel.ndjson",
        &[(1, 5, "logs-sentinel_one_cloud_funnel.event-default")],
    ),
    (
        "auditd_manager.ndjson",
        &[(1, 18, "logs-auditd_manager.auditd-default")],
    ),
    (
        "windows_sysmon.ndjson",
        &[(1, 17, "logs-windows.sysmon_operational-default")],
    ),
    (
        "windows_powershell.ndjson",
        &[(1, 5, "logs-windows.powershell_operational-default")],
    ),
    (
        "system.ndjson",
        &[
            (1, 49, "logs-system.auth-default"),
            (50, 55, "logs-system.security-default"),
        ],
    ),
    (
        "cloud.ndjson",
        &[
            (1, 4, "logs-aws.cloudtrail-default"),
            (5, 5, "logs-okta.system-default"),
            (6, 6, "logs-github.audit-default"),
        ],
    ),
];

/// The corpus events as inputs (line ranges with their index), then the examples.
fn inputs() -> Vec<Input> {
    let dir = corpus().join("events");
    let mut out = Vec::new();
    let mut seen = 0;
    for (file, ranges) in INDICES {
        let path = dir.join(file);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let lines: Vec<&str> = text.lines().collect();
        for &(first, last, index) in *ranges {
            assert!(last <= lines.len(), "{file} has {} lines", lines.len());
            let part = lines[first - 1..last].join("\n") + "\n";
            out.push(text_input(
                &format!("{file}:{first}-{last}"),
                part,
                Some(index),
            ));
            seen += last + 1 - first;
        }
    }
    assert_eq!(seen, 115, "the corpus README lists 115 events");
    out.push(file_input(
        &workspace().join("examples/events/endpoint-linux-macos.ndjson"),
        None,
    ));
    out
}

fn catalogue_hunt() -> support::Hunt {
    let h = hunt(
        &[catalogue("rules"), catalogue("rules_building_block")],
        &[],
        &[],
    );
    let errors: Vec<&Problem> = h
        .problems
        .iter()
        .filter(|p| p.severity() == diag::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(h.counts.invalid, 0);
    h
}

fn run(h: &support::Hunt, mode: Mode, threads: usize) -> RunReport {
    let mut opts = options(threads);
    opts.mode = mode;
    let report = h.engine.run(inputs(), &opts);
    assert_eq!(report.malformed, 0, "{:?}", report.malformed_shown);
    assert!(report.read_errors.is_empty(), "{:?}", report.read_errors);
    assert!(report.alert_errors.is_empty(), "{:?}", report.alert_errors);
    report
}

fn counts(report: &RunReport) -> BTreeMap<(String, String), usize> {
    let mut m = BTreeMap::new();
    for a in &report.alerts {
        *m.entry((a.rule_id.clone(), a.rule_name.to_string()))
            .or_default() += 1;
    }
    m
}

/// Compares `text` with the snapshot at `path`, or writes it with `VIGIL_BLESS=1`.
fn check_snapshot(name: &str, text: &str) {
    let path = data(&format!("../snapshots/{name}"));
    if std::env::var_os("VIGIL_BLESS").is_some() {
        std::fs::write(&path, text).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (bless with VIGIL_BLESS=1)", path.display()));
    if expected != text {
        let old: Vec<&str> = expected.lines().collect();
        let new: Vec<&str> = text.lines().collect();
        let removed: Vec<&&str> = old.iter().filter(|l| !new.contains(l)).collect();
        let added: Vec<&&str> = new.iter().filter(|l| !old.contains(l)).collect();
        panic!(
            "{name}: alert counts changed (bless with VIGIL_BLESS=1 after review)\n- {removed:#?}\n+ {added:#?}"
        );
    }
}

#[test]
fn catalogue_alert_counts_match_the_snapshot() {
    let h = catalogue_hunt();
    let backfill = run(&h, Mode::Backfill, 2);
    let replay = run(&h, Mode::Replay, 2);
    let (b, r) = (counts(&backfill), counts(&replay));
    let mut text = String::new();
    let _ = writeln!(
        text,
        "# vigil hunt: the detection-rules catalogue over ../shared/corpus/events and examples/events"
    );
    let _ = writeln!(
        text,
        "# rules loaded {}, deprecated {}, unsupported {:?}, invalid {}",
        h.counts.loaded, h.counts.deprecated, h.counts.unsupported, h.counts.invalid
    );
    let _ = writeln!(
        text,
        "# events {}, without index {}, without timestamp {}, script errors {}, sequence candidates {}",
        backfill.events,
        backfill.without_index,
        backfill.without_time,
        backfill.script_errors,
        backfill.candidates
    );
    let _ = writeln!(
        text,
        "# alerts: backfill {} from {} rules, replay {} from {} rules",
        backfill.alerts.len(),
        b.len(),
        replay.alerts.len(),
        r.len()
    );
    let _ = writeln!(text, "# rule_id\tbackfill\treplay\tname");
    for ((id, name), n) in &b {
        let rn = r.get(&(id.clone(), name.clone())).copied().unwrap_or(0);
        let _ = writeln!(text, "{id}\t{n}\t{rn}\t{name}");
    }
    for ((id, name), n) in r.iter().filter(|(k, _)| !b.contains_key(*k)) {
        let _ = writeln!(text, "{id}\t0\t{n}\t{name}");
    }
    print!("{text}");
    check_snapshot("catalogue_alerts.tsv", &text);
}

/// The generated workload: 5,000 events, seed 7, 2% attack stories.
fn workload() -> (String, workload::Stats) {
    let cfg = workload::Config {
        events: 5_000,
        seed: 7,
        attack_ppm: 20_000,
        ..workload::Config::default()
    };
    let mut out = Vec::new();
    let stats = workload::Generator::new(cfg)
        .and_then(|mut g| g.write_ndjson(&mut out))
        .expect("generate the workload");
    (String::from_utf8(out).expect("UTF-8"), stats)
}

#[test]
fn catalogue_over_a_generated_workload() {
    let h = catalogue_hunt();
    let (text, stats) = workload();
    let report = h
        .engine
        .run(vec![text_input("workload.ndjson", text, None)], &options(2));
    assert_eq!(report.events, 5_000);
    assert_eq!(report.malformed, 0, "{:?}", report.malformed_shown);
    assert!(report.alert_errors.is_empty(), "{:?}", report.alert_errors);
    assert_eq!(report.late_events, 0);
    // Every scenario was injected, and raised its rules as often.
    let injected: BTreeSet<&str> = stats.by_scenario.keys().copied().collect();
    let all: BTreeSet<&str> = workload::scenarios::SCENARIOS
        .iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(injected, all);
    let mut raised: BTreeMap<&str, u64> = BTreeMap::new();
    for a in report.alerts.iter().filter(|a| !a.building_block) {
        *raised.entry(a.rule_id.as_str()).or_default() += 1;
    }
    let mut wrong = Vec::new();
    for (rule_id, want) in stats.expected_alerts() {
        let got = raised.get(rule_id).copied().unwrap_or(0);
        if got != want {
            wrong.push(format!("{rule_id}: {got} alerts, {want} injected"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    let counts = counts(&report);
    let mut text = String::new();
    let _ = writeln!(
        text,
        "# vigil hunt: the detection-rules catalogue over a generated workload (5,000 events, seed 7, attack rate 0.02)"
    );
    let _ = writeln!(
        text,
        "# events {}, without index {}, without timestamp {}, script errors {}, sequence candidates {}",
        report.events,
        report.without_index,
        report.without_time,
        report.script_errors,
        report.candidates
    );
    let _ = writeln!(
        text,
        "# alerts: {} from {} rules",
        report.alerts.len(),
        counts.len()
    );
    let _ = writeln!(text, "# rule_id\tbackfill\tname");
    for ((id, name), n) in &counts {
        let _ = writeln!(text, "{id}\t{n}\t{name}");
    }
    print!("{text}");
    check_snapshot("catalogue_workload_alerts.tsv", &text);
}

#[test]
fn catalogue_run_is_the_same_on_one_and_three_threads() {
    let h = catalogue_hunt();
    let json = |r: RunReport| r.alerts.into_iter().map(|a| a.json()).collect::<Vec<_>>();
    let mut one = options(1);
    one.batch_records = 7;
    let mut three = options(3);
    three.batch_records = 7;
    let a = json(h.engine.run(inputs(), &one));
    let b = json(h.engine.run(inputs(), &three));
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

/// Loading and compiling file by file (`compile_files`, what `vigil hunt`
/// does to keep memory low) gives what compiling the whole load report does.
#[test]
fn compiling_file_by_file_equals_compiling_the_whole_report() {
    let paths = [catalogue("rules"), catalogue("rules_building_block")];
    let schema = event::Schema::ecs();
    let lists = rules::ValueLists::new();
    let opts = engine::CompileOptions {
        schema: &schema,
        value_lists: &lists,
        now_nanos: nanos(NOW),
        render: Default::default(),
        threads: 1,
    };
    let whole = engine::compile(&rules::load(&paths), &opts);
    // Files read ahead on loader threads give the same rules in the same order.
    for threads in [1, 3] {
        let opts = engine::CompileOptions { threads, ..opts };
        let streamed = engine::compile_files(&paths, rules::LoadReport::default(), &opts);
        assert_eq!(streamed.counts, whole.counts);
        assert_eq!(streamed.problems, whole.problems);
        let ids = |c: &engine::CompiledRules| {
            c.meta
                .iter()
                .map(|m| (m.rule_id.clone(), m.uuid.clone(), m.file.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&streamed), ids(&whole), "threads {threads}");
        // Loader threads drop what compiling does not read (`slim`): every
        // compiled rule (plan, index, time fields) and everything the run
        // reads of its metadata must still be what the whole report gives.
        let compiled = |c: &engine::CompiledRules| {
            (c.rules.iter().zip(&c.meta))
                .map(|(r, m)| {
                    let meta = (&m.name, &m.rule_type, &m.severity, &m.schedule, m.is_eql);
                    format!("{r:?} {meta:?}")
                })
                .collect::<Vec<_>>()
        };
        let (streamed_rules, whole_rules) = (compiled(&streamed), compiled(&whole));
        assert_eq!(streamed_rules.len(), whole_rules.len());
        for (s, w) in streamed_rules.iter().zip(&whole_rules) {
            assert_eq!(s, w, "threads {threads}");
        }
        let info = |c: &engine::CompiledRules, i: usize| {
            serde_json::to_string(&c.meta[i].info().unwrap().params).unwrap()
        };
        for i in [0, whole.meta.len() / 2, whole.meta.len() - 1] {
            assert_eq!(info(&streamed, i), info(&whole, i));
        }
        assert_eq!(streamed.registry.len(), whole.registry.len());
    }
}
