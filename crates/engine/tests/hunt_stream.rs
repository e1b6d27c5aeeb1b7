//! Streaming: sequences and samples evaluated as events arrive, through the
//! bounded reorder buffer, on any number of threads.
//!
//! The reference is the exact full sort: a run whose reorder buffer holds
//! everything until the input ends (`reorder_hold = usize::MAX`) orders every
//! rule's events as Elasticsearch's EQL search does (timestamp, tiebreaker,
//! input position) before any sequence sees them — what vigil did before it
//! streamed. Rules: `tests/data/hunt/stream/rules.ndjson` (a sequence with
//! `maxspan=1m`, a three-stage sequence with `until` and no maxspan, a
//! sample, a KQL rule). Events are made here: per host, `a`, `c`, `b`, `u`
//! processes in a repeating pattern, one event every 100 ms.

mod support;

use engine::{Input, RunOptions, RunReport};
use support::*;

const SECOND: i64 = 1_000_000_000;
const MINUTE: i64 = 60 * SECOND;
const START: &str = "2026-11-02T10:00:00Z";

/// One event: (time in ns after START, host, process name, id).
#[derive(Clone)]
struct Ev {
    at: i64,
    host: usize,
    name: &'static str,
    id: usize,
}

impl Ev {
    fn json(&self) -> String {
        let ts = event::time::format_millis(nanos(START) + self.at);
        format!(
            r#"{{"@timestamp":"{ts}","data_stream":{{"type":"logs","dataset":"endpoint.events.process","namespace":"default"}},"event":{{"category":["process"],"type":["start"],"id":"e{}"}},"host":{{"name":"h{}"}},"process":{{"name":"{}"}}}}"#,
            self.id, self.host, self.name
        )
    }
}

/// `n` events, one every 100 ms, round-robin over `hosts` hosts, in time
/// order. Each host repeats a 30-event cycle (from a different place): `a`
/// (0), `c` (3), `b` (6), `a` (9), `c` (12), `a` (15), `b` (21), `u` (24), the
/// rest `x`; the `b`s only in every fourth cycle, so that most partial
/// sequences never complete (and must expire).
fn timeline(n: usize, hosts: usize) -> Vec<Ev> {
    (0..n)
        .map(|i| {
            let host = i % hosts;
            let k = i / hosts + host * 7;
            let name = match (k % 30, (k / 30) % 4) {
                (0 | 9 | 15, _) => "a",
                (3 | 12, _) => "c",
                (6 | 21, 0) => "b",
                (24, _) => "u",
                _ => "x",
            };
            Ev {
                at: i as i64 * SECOND / 10,
                host,
                name,
                id: i,
            }
        })
        .collect()
}

/// A deterministic shuffle that moves no event more than `span` ns from
/// its place in time (a linear congruential sequence decides the swaps).
fn shuffle_within(mut evs: Vec<Ev>, span: i64) -> Vec<Ev> {
    let mut state = 12345u64;
    for i in 0..evs.len() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = i + (state >> 33) as usize % 40;
        if j < evs.len() && (evs[j].at - evs[i].at).abs() < span {
            evs.swap(i, j);
        }
    }
    evs
}

fn text(evs: &[Ev]) -> String {
    evs.iter().map(|e| e.json() + "\n").collect()
}

fn stream_hunt() -> Hunt {
    let h = hunt(&[data("hunt/stream/rules.ndjson")], &[], &[]);
    assert!(h.problems.is_empty(), "{:?}", h.problems);
    assert_eq!(h.counts.loaded, 4);
    h
}

/// The exact full sort: nothing released before the input ends.
fn exact(threads: usize) -> RunOptions<'static> {
    let mut o = options(threads);
    o.reorder_hold = usize::MAX;
    o.reorder_capacity = usize::MAX;
    o
}

/// Streaming with a one-minute window and nothing held beyond it.
fn streaming(threads: usize) -> RunOptions<'static> {
    let mut o = options(threads);
    o.reorder_hold = 0;
    o.reorder_window = MINUTE;
    o.batch_records = 16;
    o
}

/// The rules of an NDJSON text loaded (through a temporary file), without problems.
fn hunt_rules(tag: &str, rules: &str) -> Hunt {
    let dir = std::env::temp_dir().join(format!("vigil-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("rules.ndjson");
    std::fs::write(&path, rules).unwrap();
    let h = hunt(&[path], &[], &[]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(h.problems.is_empty(), "{:?}", h.problems);
    h
}

/// Events of (host, process name), one a second.
fn one_per_second(script: impl IntoIterator<Item = (usize, &'static str)>) -> Vec<Ev> {
    let ev = |(i, (host, name))| Ev {
        at: i as i64 * SECOND,
        host,
        name,
        id: i,
    };
    script.into_iter().enumerate().map(ev).collect()
}

fn inputs(files: &[Vec<Ev>]) -> Vec<Input> {
    files
        .iter()
        .enumerate()
        .map(|(i, evs)| text_input(&format!("f{i}.ndjson"), text(evs), None))
        .collect()
}

fn documents(r: &RunReport) -> Vec<String> {
    r.alerts.iter().map(|a| a.json()).collect()
}

fn per_rule(r: &RunReport, id: &str) -> usize {
    r.alerts.iter().filter(|a| a.rule_id == id).count()
}

#[test]
fn shuffled_within_the_window_equals_the_full_sort_on_any_thread_count() {
    let h = stream_hunt();
    let evs = shuffle_within(timeline(4000, 13), 30 * SECOND);
    let reference = h.engine.run(inputs(std::slice::from_ref(&evs)), &exact(1));
    assert_eq!(reference.late_events, 0);
    for rule in [
        "stream-seq",
        "stream-seq-until",
        "stream-sample",
        "stream-kql",
    ] {
        assert!(per_rule(&reference, rule) > 0, "{rule} never alerts");
    }
    for threads in [1, 2, 4] {
        let got = h
            .engine
            .run(inputs(std::slice::from_ref(&evs)), &streaming(threads));
        assert_eq!(got.late_events, 0, "{threads} threads");
        assert_eq!(got.candidates, reference.candidates);
        assert_eq!(documents(&got), documents(&reference), "{threads} threads");
        // It did stream: far fewer events held at once than kept in all.
        assert!(
            got.retained_peak * 2 < got.candidates,
            "{} held of {}",
            got.retained_peak,
            got.candidates
        );
    }
}

#[test]
fn files_covering_the_same_time_are_merged_not_late() {
    let h = stream_hunt();
    // Three files, each time-ordered, each with its own hosts, same span.
    let evs = timeline(3000, 12);
    let files: Vec<Vec<Ev>> = (0..3)
        .map(|f| evs.iter().filter(|e| e.host % 3 == f).cloned().collect())
        .collect();
    let reference = h.engine.run(inputs(&files), &exact(1));
    let merged = h.engine.run(inputs(&files), &streaming(2));
    assert_eq!(merged.late_events, 0);
    assert_eq!(documents(&merged), documents(&reference));
    assert!(per_rule(&reference, "stream-seq") > 0);
    // The same files read one after another, as one input, arrive late.
    let concatenated: Vec<Ev> = files.concat();
    let one_input = h.engine.run(inputs(&[concatenated]), &streaming(2));
    assert!(one_input.late_events > 300, "{}", one_input.late_events);
}

#[test]
fn an_event_later_than_the_window_is_counted_and_left_out() {
    let h = stream_hunt();
    // h0: `a` at 10:00:00, `b` at 10:00:30 — a sequence within 1m. On h1 a
    // `b` every second for ten minutes (candidates: they move the buffer's
    // watermark); the `a` is written after all of them.
    let mut evs = vec![Ev {
        at: 30 * SECOND,
        host: 0,
        name: "b",
        id: 1,
    }];
    evs.extend((0..600).map(|i| Ev {
        at: SECOND * i,
        host: 1,
        name: "b",
        id: 100 + i as usize,
    }));
    evs.sort_by_key(|e| e.at);
    evs.push(Ev {
        at: 0,
        host: 0,
        name: "a",
        id: 0,
    });
    let reference = h.engine.run(inputs(std::slice::from_ref(&evs)), &exact(1));
    assert_eq!(per_rule(&reference, "stream-seq"), 3);
    let got = h.engine.run(inputs(&[evs]), &streaming(1));
    // Exactly one event (the `a`) came more than a minute late: counted, and
    // the sequence it starts is missed; the other rules are unaffected.
    assert_eq!(got.late_events, 1);
    assert_eq!(per_rule(&got, "stream-seq"), 0);
    assert_eq!(got.reorder_forced, 0);
}

#[test]
fn held_event_texts_stay_bounded_over_a_long_stream() {
    let h = stream_hunt();
    // 12,000 events over 20 minutes; `stream-seq` expires partials after 1m.
    // The `until` sequence has no maxspan: its partials live per host (13).
    let evs = timeline(12_000, 13);
    let got = h.engine.run(inputs(&[evs]), &streaming(2));
    assert_eq!(got.late_events, 0);
    assert_eq!(got.candidates, 2_597);
    eprintln!(
        "held at most {}, {} at the end",
        got.retained_peak, got.retained_at_end
    );
    // Held at once: about a window in the buffer (60 s of candidates at
    // 2.2/s = 130), batches in flight, and the partials (per host and stage
    // at most one; expired by maxspan). Not the input.
    assert!(got.retained_peak < 700, "{}", got.retained_peak);
    assert!(got.retained_at_end < 700, "{}", got.retained_at_end);
}

/// With no memory for held texts and sample buckets, every kept text goes
/// to a temporary file and the sample rule's buckets to runs merged at the
/// end (more runs than `MAX_RUNS`, so they are also compacted on the way):
/// the alerts are the same documents as with everything in memory.
#[test]
fn texts_and_sample_buckets_written_to_disk_give_the_same_alerts() {
    let h = stream_hunt();
    let evs = timeline(20_000, 400);
    let mut in_memory = streaming(2);
    in_memory.held_memory = usize::MAX / 2;
    let reference = h.engine.run(inputs(std::slice::from_ref(&evs)), &in_memory);
    assert_eq!(reference.texts_written.texts, 0);
    let mut on_disk = streaming(2);
    on_disk.held_memory = 0;
    let got = h.engine.run(inputs(&[evs]), &on_disk);
    assert!(got.warnings.is_empty(), "{:?}", got.warnings);
    assert!(got.alert_errors.is_empty(), "{:?}", got.alert_errors);
    assert!(
        got.texts_written.texts > 1_000 && got.texts_written.sample_runs > 33,
        "{:?}",
        got.texts_written
    );
    assert_eq!(per_rule(&reference, "stream-sample"), 654);
    assert_eq!(per_rule(&reference, "stream-seq-until"), 1_088);
    assert_eq!(documents(&got), documents(&reference));
}

static RELEASES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn count_release() {
    RELEASES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

#[test]
fn the_memory_release_hook_is_called_by_the_collector_and_the_shards() {
    use std::sync::atomic::Ordering::SeqCst;
    let h = stream_hunt();
    // One batch: only the shards, as they finish their rules, call the hook.
    let mut opts = streaming(1);
    opts.release_memory = count_release;
    let small = timeline(10, 2);
    h.engine.run(inputs(&[small]), &opts);
    let after_small = RELEASES.load(SeqCst);
    assert!(after_small >= 1, "{after_small}");
    // 2,000 events in batches of 16: 125 batches, the collector calls it
    // every 8 of them.
    h.engine.run(inputs(&[timeline(2_000, 40)]), &opts);
    let calls = RELEASES.load(SeqCst) - after_small;
    assert!(calls >= 125 / 8 + after_small, "{calls}");
}

/// A sequence of more distinct stages than the worker records stage hits
/// for (`MAX_MASKED_QUERIES`): the shard evaluates its stages itself, on every
/// field the rule reads, so the worker must keep them all for it (an event
/// that only masked sequences take packs its join keys alone).
#[test]
fn a_sequence_of_more_stages_than_the_worker_masks_reads_every_field() {
    let stages = matcher::ruleset::MAX_MASKED_QUERIES + 1;
    let query: String = (0..stages)
        .map(|i| format!(r#" [process where process.name == \"p{i}\"]"#))
        .collect();
    let rules = format!(
        r#"{{"rule_id":"long-seq","name":"Long sequence","description":"d","type":"eql","language":"eql","query":"sequence by host.name{query}","risk_score":21,"severity":"low","index":["logs-endpoint.events.*"]}}
{{"rule_id":"short-seq","name":"Short sequence","description":"d","type":"eql","language":"eql","query":"sequence by host.name [process where process.name == \"p0\"] [process where process.name == \"p1\"]","risk_score":21,"severity":"low","index":["logs-endpoint.events.*"]}}
"#
    );
    let h = hunt_rules("long-seq", &rules);
    let names = (0..stages).map(|i| (0, &*Box::leak(format!("p{i}").into_boxed_str())));
    let evs = one_per_second(names);
    for threads in [1, 2] {
        let got = h
            .engine
            .run(inputs(std::slice::from_ref(&evs)), &streaming(threads));
        // One sequence each: its building blocks and its shell.
        assert_eq!(per_rule(&got, "long-seq"), stages + 1, "{threads} threads");
        assert_eq!(per_rule(&got, "short-seq"), 3, "{threads} threads");
    }
}

/// An event that only a missing-event stage (or `until`) of a sequence takes
/// is kept without its text: the engine reads its time and join keys and
/// holds neither it nor its id. The events that positive stages take keep
/// theirs, and the alerts are built from them.
#[test]
fn events_only_missing_stages_take_still_break_sequences_and_alerts_build() {
    let rules = r#"{"rule_id":"gap","name":"Gap","description":"d","type":"eql","language":"eql","query":"sequence by host.name [process where process.name == \"a\"] ![process where process.name == \"x\"] [process where process.name == \"b\"]","risk_score":21,"severity":"low","index":["logs-endpoint.events.*"]}
{"rule_id":"until","name":"Until","description":"d","type":"eql","language":"eql","query":"sequence by host.name [process where process.name == \"a\"] [process where process.name == \"b\"] until [process where process.name == \"u\"]","risk_score":21,"severity":"low","index":["logs-endpoint.events.*"]}
"#;
    let h = hunt_rules("missing", rules);
    // Host 0: a, x, b — the `x` between breaks "gap"; a `u` then ends the
    // partial of "until" before its `b`. Host 1: a, b, then x and u after
    // the sequences completed: both rules alert once.
    let script = [
        (0, "a"),
        (0, "x"),
        (0, "u"),
        (0, "b"),
        (1, "a"),
        (1, "b"),
        (1, "x"),
        (1, "u"),
    ];
    let evs = one_per_second(script);
    for threads in [1, 2] {
        let got = h
            .engine
            .run(inputs(std::slice::from_ref(&evs)), &streaming(threads));
        assert!(got.alert_errors.is_empty(), "{:?}", got.alert_errors);
        // Two building blocks and the shell each, all on host h1.
        assert_eq!(per_rule(&got, "gap"), 3, "{threads} threads");
        assert_eq!(per_rule(&got, "until"), 3, "{threads} threads");
        assert!(documents(&got).iter().all(|d| d.contains(r#""name":"h1""#)));
    }
}

/// The same events as Elasticsearch search hits (`_index`, `_id`, `_source`).
fn as_search_hits(evs: &[Ev]) -> String {
    evs.iter()
        .map(|e| {
            format!(
                r#"{{"_index":".ds-logs-endpoint.events.process-default-2026.11.02-000001","_id":"hit{}","_score":1.0,"_source":{}}}"#,
                e.id,
                e.json()
            ) + "\n"
        })
        .collect()
}

/// (rule, the source's `event.id`) of every alert: what stays the same
/// whether the events came as documents or as search hits (alert ids and
/// ancestors name the hit's `_index`/`_id`).
fn alerted_events(r: &RunReport) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = r
        .alerts
        .iter()
        .map(|a| {
            let doc: serde_json::Value = serde_json::from_str(&a.json()).unwrap();
            let id = doc
                .pointer("/event/id")
                .and_then(|v| v.as_str())
                .unwrap_or("-");
            (a.rule_id.clone(), id.to_string())
        })
        .collect();
    out.sort();
    out
}

/// Sequence state keeps the text of each held event. For a search hit that
/// is its `_source`, not the whole hit: the kept fields are ranges of it (a
/// regression: texts copied from the hit's whole record broke every
/// sequence of search-hit input).
#[test]
fn search_hits_raise_the_alerts_of_the_same_events_as_documents() {
    let h = stream_hunt();
    let evs = timeline(2000, 7);
    for threads in [1, 2] {
        let plain = h
            .engine
            .run(inputs(std::slice::from_ref(&evs)), &options(threads));
        let hits = h.engine.run(
            vec![text_input("hits.ndjson", as_search_hits(&evs), None)],
            &options(threads),
        );
        assert!(per_rule(&plain, "stream-seq") > 0 && per_rule(&plain, "stream-seq-until") > 0);
        assert_eq!(hits.malformed, 0, "threads {threads}");
        assert_eq!(
            alerted_events(&hits),
            alerted_events(&plain),
            "threads {threads}"
        );
    }
}
