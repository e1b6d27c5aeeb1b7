//! Properties of generated workloads: determinism, ECS shape, mix proportions,
//! event size, time order, and the injected attack stories. Nothing here is timed.

use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use workload::scenarios::SCENARIOS;
use workload::{Config, Generator, Stats};

fn generate(cfg: Config) -> (Vec<u8>, Stats) {
    let mut out = Vec::new();
    let stats = Generator::new(cfg).unwrap().write_ndjson(&mut out).unwrap();
    (out, stats)
}

fn cfg(events: u64, seed: u64) -> Config {
    Config {
        events,
        seed,
        ..Config::default()
    }
}

fn lines(bytes: &[u8]) -> Vec<Value> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("every line is valid JSON"))
        .collect()
}

fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, p| v.get(p))
}

fn str_at<'a>(v: &'a Value, path: &str) -> &'a str {
    at(v, path)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{path} missing in {v}"))
}

#[test]
fn same_seed_same_bytes_different_seed_different_bytes() {
    let (a, _) = generate(cfg(5_000, 42));
    let (b, _) = generate(cfg(5_000, 42));
    let (c, _) = generate(cfg(5_000, 43));
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn exact_event_count_and_bytes_counted() {
    let (out, stats) = generate(cfg(3_001, 5));
    assert_eq!(stats.events, 3_001);
    assert_eq!(lines(&out).len(), 3_001);
    assert_eq!(stats.bytes, out.len() as u64);
    assert_eq!(stats.by_dataset.values().sum::<u64>(), 3_001);
}

const REQUIRED: &[&str] = &[
    "@timestamp",
    "event.kind",
    "event.module",
    "event.dataset",
    "event.action",
    "event.ingested",
    "data_stream.type",
    "data_stream.dataset",
    "data_stream.namespace",
    "host.name",
    "host.id",
    "host.os.type",
    "host.os.name",
    "host.os.family",
    "agent.id",
    "agent.type",
    "ecs.version",
];

#[test]
fn every_line_has_the_required_ecs_fields() {
    let (out, _) = generate(Config {
        attack_ppm: 20_000,
        ..cfg(5_000, 3)
    });
    let mut os_of_host: HashMap<String, String> = HashMap::new();
    for doc in lines(&out) {
        for f in REQUIRED {
            assert!(at(&doc, f).is_some(), "{f} missing in {doc}");
        }
        assert!(at(&doc, "event.category")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty()));
        assert!(at(&doc, "event.type")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty()));
        assert_eq!(str_at(&doc, "data_stream.type"), "logs");
        assert_eq!(str_at(&doc, "data_stream.namespace"), "default");
        assert_eq!(
            str_at(&doc, "event.dataset"),
            str_at(&doc, "data_stream.dataset")
        );
        let ts = workload::time::parse_iso_millis(str_at(&doc, "@timestamp")).unwrap();
        let ingested = workload::time::parse_iso_millis(str_at(&doc, "event.ingested")).unwrap();
        assert!(
            (5..=4_000).contains(&(ingested - ts)),
            "ingest delay {}",
            ingested - ts
        );
        let host = str_at(&doc, "host.id").to_string();
        let os = str_at(&doc, "host.os.type").to_string();
        assert_eq!(os_of_host.entry(host).or_insert_with(|| os.clone()), &os);
        if at(&doc, "process.args").is_some() {
            assert!(at(&doc, "process.command_line").is_some());
            assert!(
                at(&doc, "process.parent.name").is_some()
                    || str_at(&doc, "event.dataset") != "endpoint.events.process"
            );
        }
    }
    let oses: std::collections::BTreeSet<&String> = os_of_host.values().collect();
    assert_eq!(oses.len(), 3, "all three operating systems present");
}

#[test]
fn data_set_mix_within_tolerance() {
    let (_, stats) = generate(Config {
        attack_ppm: 0,
        ..cfg(12_000, 11)
    });
    // Percent of events, from the activity weights in generator.rs.
    let expected: BTreeMap<&str, f64> = [
        ("endpoint.events.process", 30.0),
        ("endpoint.events.file", 20.0),
        ("endpoint.events.network", 20.0),
        ("endpoint.events.registry", 8.0),
        ("endpoint.events.library", 7.0),
        ("endpoint.events.security", 3.0),
        ("system.auth", 4.0),
        ("system.security", 4.0),
        ("windows.sysmon_operational", 2.0),
        ("auditd_manager.auditd", 2.0),
    ]
    .into_iter()
    .collect();
    let got: Vec<&str> = stats.by_dataset.keys().map(String::as_str).collect();
    assert_eq!(got, expected.keys().copied().collect::<Vec<_>>());
    for (dataset, pct) in expected {
        let share = 100.0 * stats.by_dataset[dataset] as f64 / stats.events as f64;
        assert!(
            (share - pct).abs() < 1.5,
            "{dataset}: {share:.2}% vs {pct}%"
        );
    }
}

#[test]
fn mean_event_size_about_one_kilobyte() {
    let (_, stats) = generate(cfg(5_000, 8));
    let mean = stats.bytes / stats.events;
    assert!((900..=1_400).contains(&mean), "mean {mean} B");
}

#[test]
fn timestamps_increase_with_about_one_percent_out_of_order() {
    let (out, stats) = generate(Config {
        attack_ppm: 0,
        ..cfg(10_000, 9)
    });
    let mut latest = i64::MIN;
    let mut behind = 0u64;
    for doc in lines(&out) {
        let ts = workload::time::parse_iso_millis(str_at(&doc, "@timestamp")).unwrap();
        if ts < latest {
            behind += 1;
            assert!(latest - ts <= 3_100, "at most ~3 s behind");
        }
        latest = latest.max(ts);
    }
    assert!((50..=200).contains(&behind), "{behind} behind");
    assert!((50..=200).contains(&stats.out_of_order));
}

#[test]
fn no_attack_rate_no_injection() {
    let (_, stats) = generate(Config {
        attack_ppm: 0,
        ..cfg(5_000, 2)
    });
    assert!(stats.by_scenario.is_empty());
    assert!(stats.expected_alerts().values().all(|n| *n == 0));
}

/// Counts the documents the "SSH Key Generated via ssh-keygen" rule selects,
/// checked by hand from its query (rules/linux/persistence_ssh_key_generation.toml).
fn ssh_keygen_rule_hits(docs: &[Value]) -> u64 {
    docs.iter()
        .filter(|d| {
            at(d, "host.os.type").and_then(Value::as_str) == Some("linux")
                && at(d, "event.category").is_some_and(|c| c.to_string().contains("\"file\""))
                && at(d, "event.action").and_then(Value::as_str) == Some("creation")
                && at(d, "process.executable").and_then(Value::as_str)
                    == Some("/usr/bin/ssh-keygen")
                && at(d, "file.path").and_then(Value::as_str).is_some_and(|p| {
                    (p.starts_with("/home/") && p.contains("/.ssh/"))
                        || p.starts_with("/root/.ssh/")
                })
                && !at(d, "file.name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.starts_with("known_hosts."))
        })
        .count() as u64
}

#[test]
fn every_scenario_injected_and_only_injections_hit_the_ssh_rule() {
    let (out, stats) = generate(Config {
        attack_ppm: 50_000,
        ..cfg(12_000, 4)
    });
    for s in SCENARIOS {
        assert!(
            stats.by_scenario.get(s.name).copied().unwrap_or(0) > 0,
            "{} never injected",
            s.name
        );
    }
    let expected = stats.expected_alerts();
    let ssh = "7df3cb8b-5c0c-4228-b772-bb6cd619053c";
    assert_eq!(expected[ssh], 2 * stats.by_scenario["ssh_keygen"]);
    let docs = lines(&out);
    assert_eq!(ssh_keygen_rule_hits(&docs), expected[ssh]);
    // The near miss is present too: ssh-keygen -R writing known_hosts.old.
    assert!(docs
        .iter()
        .any(|d| at(d, "file.name").and_then(Value::as_str) == Some("known_hosts.old")));
    assert!(expected.contains_key("02ea4563-ec10-4974-b7de-12e65aa4f9b3"));
}

#[test]
fn brute_force_story_is_sixty_failures_then_a_success_within_fifteen_seconds() {
    let (out, stats) = generate(Config {
        attack_ppm: 50_000,
        ..cfg(6_000, 6)
    });
    assert!(stats.by_scenario["ssh_bruteforce"] > 0);
    let docs = lines(&out);
    let attempts: Vec<&Value> = docs
        .iter()
        .filter(|d| at(d, "user.name").and_then(Value::as_str) == Some("admin"))
        .collect();
    let mut by_ip: BTreeMap<&str, Vec<(i64, &str)>> = BTreeMap::new();
    for d in attempts {
        let ts = workload::time::parse_iso_millis(str_at(d, "@timestamp")).unwrap();
        by_ip
            .entry(str_at(d, "source.ip"))
            .or_default()
            .push((ts, str_at(d, "event.outcome")));
    }
    assert!(!by_ip.is_empty());
    for story in by_ip.values().filter(|s| s.len() == 61) {
        assert!(story[..60].iter().all(|(_, o)| *o == "failure"));
        assert_eq!(story[60].1, "success");
        assert!(story[60].0 - story[0].0 <= 15_000);
    }
}

#[test]
fn bad_configuration_is_an_error() {
    assert!(Generator::new(Config {
        hosts: 2,
        ..Config::default()
    })
    .is_err());
    assert_eq!(workload::attack_ppm("0.001").unwrap(), 1_000);
    assert!(workload::attack_ppm("2").is_err());
    assert!(workload::attack_ppm("lots").is_err());
}
