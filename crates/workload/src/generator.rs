//! The event stream: a clock, a fleet, a weighted mix of benign activity, and
//! attack stories injected at a given rate, written as NDJSON in constant memory.

use crate::benign;
use crate::doc::Doc;
use crate::events::Stamp;
use crate::fleet::{build_fleet, Host, Os};
use crate::rng::Rng;
use crate::scenarios::SCENARIOS;
use crate::{Config, WorkloadError};
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap};
use std::io::Write;

/// Events kept free at the end of the stream so every started story completes.
const STORY_RESERVE: u64 = 200;

/// Benign event kinds, their weights (per 100 events) and where they occur.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Activity {
    ProcessStart,
    ProcessEnd,
    File,
    Network,
    Dns,
    Registry,
    Library,
    Security,
    SystemAuth,
    WindowsLogon,
    Sysmon,
    Auditd,
}

const ACTIVITIES: &[(Activity, u32, &[Os])] = &[
    (
        Activity::ProcessStart,
        17,
        &[Os::Windows, Os::Linux, Os::Macos],
    ),
    (
        Activity::ProcessEnd,
        13,
        &[Os::Windows, Os::Linux, Os::Macos],
    ),
    (Activity::File, 20, &[Os::Windows, Os::Linux, Os::Macos]),
    (Activity::Network, 15, &[Os::Windows, Os::Linux, Os::Macos]),
    (Activity::Dns, 5, &[Os::Windows, Os::Macos]),
    (Activity::Registry, 8, &[Os::Windows]),
    (Activity::Library, 7, &[Os::Windows, Os::Macos]),
    (Activity::Security, 3, &[Os::Windows, Os::Linux, Os::Macos]),
    (Activity::SystemAuth, 4, &[Os::Linux, Os::Macos]),
    (Activity::WindowsLogon, 4, &[Os::Windows]),
    (Activity::Sysmon, 2, &[Os::Windows]),
    (Activity::Auditd, 2, &[Os::Linux]),
];

/// Counts of what was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub events: u64,
    /// Bytes of NDJSON including newlines (before compression).
    pub bytes: u64,
    pub out_of_order: u64,
    pub by_dataset: BTreeMap<String, u64>,
    /// Injections started, per scenario name.
    pub by_scenario: BTreeMap<&'static str, u64>,
}

impl Stats {
    /// Alerts expected from each target rule (rule_id → count), from the injections.
    pub fn expected_alerts(&self) -> BTreeMap<&'static str, u64> {
        let mut out = BTreeMap::new();
        for s in SCENARIOS {
            let n = self.by_scenario.get(s.name).copied().unwrap_or(0);
            for ((rule_id, _), per) in s.rules.iter().zip(s.alerts) {
                *out.entry(*rule_id).or_insert(0) += n * u64::from(*per);
            }
        }
        out
    }
}

struct Pending {
    ts_ms: i64,
    order: u64,
    doc: Doc,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.ts_ms, self.order).cmp(&(other.ts_ms, other.order))
    }
}

/// Deterministic event source for one `Config`.
pub struct Generator {
    cfg: Config,
    rng: Rng,
    hosts: Vec<Host>,
    /// For each entry of `ACTIVITIES`, the hosts it may occur on.
    eligible: Vec<Vec<usize>>,
    scenario_hosts: Vec<Vec<usize>>,
    clock_ms: i64,
    emitted: u64,
    pending: BinaryHeap<Reverse<Pending>>,
    pending_order: u64,
    stats: Stats,
}

impl Generator {
    pub fn new(cfg: Config) -> Result<Self, WorkloadError> {
        cfg.validate()?;
        let mut rng = Rng::new(cfg.seed);
        let hosts = build_fleet(&mut rng, cfg.hosts);
        let on = |oses: &[Os]| -> Vec<usize> {
            (0..hosts.len())
                .filter(|&i| oses.contains(&hosts[i].os))
                .collect()
        };
        let eligible = ACTIVITIES.iter().map(|(_, _, oses)| on(oses)).collect();
        let scenario_hosts = SCENARIOS.iter().map(|s| on(&[s.os])).collect();
        Ok(Generator {
            clock_ms: cfg.start_ms,
            cfg,
            rng,
            hosts,
            eligible,
            scenario_hosts,
            emitted: 0,
            pending: BinaryHeap::new(),
            pending_order: 0,
            stats: Stats::default(),
        })
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The next document, or `None` after `cfg.events`.
    pub fn next_doc(&mut self) -> Option<Doc> {
        if self.emitted >= self.cfg.events {
            return None;
        }
        let remaining = self.cfg.events - self.emitted;
        let doc = loop {
            if let Some(doc) = self.take_pending(remaining) {
                break doc;
            }
            self.advance_clock();
            let room = remaining > self.pending.len() as u64 + STORY_RESERVE;
            if room && self.rng.chance_ppm(self.cfg.attack_ppm) {
                self.inject();
                continue;
            }
            break self.benign();
        };
        self.emitted += 1;
        self.stats.events += 1;
        Some(doc)
    }

    /// Writes all remaining events as NDJSON to `out`; returns the stats.
    pub fn write_ndjson<W: Write>(&mut self, out: &mut W) -> Result<Stats, WorkloadError> {
        let mut line = Vec::with_capacity(4096);
        while let Some(doc) = self.next_doc() {
            line.clear();
            doc.write_json(&mut line);
            line.push(b'\n');
            self.count_doc(&doc, line.len());
            out.write_all(&line)?;
        }
        out.flush()?;
        Ok(self.stats.clone())
    }

    fn count_doc(&mut self, doc: &Doc, len: usize) {
        self.stats.bytes += len as u64;
        let dataset = doc
            .get("data_stream.dataset")
            .and_then(|v| v.as_str())
            .unwrap_or("?");
        match self.stats.by_dataset.get_mut(dataset) {
            Some(n) => *n += 1,
            None => {
                self.stats.by_dataset.insert(dataset.to_string(), 1);
            }
        }
    }

    fn take_pending(&mut self, remaining: u64) -> Option<Doc> {
        let due = match self.pending.peek() {
            Some(Reverse(p)) => p.ts_ms <= self.clock_ms || remaining <= self.pending.len() as u64,
            None => false,
        };
        if !due {
            return None;
        }
        let Reverse(p) = self.pending.pop()?;
        self.clock_ms = self.clock_ms.max(p.ts_ms);
        Some(p.doc)
    }

    fn advance_clock(&mut self) {
        let mean = (1000 / self.cfg.events_per_second.max(1)).max(1);
        self.clock_ms += self.rng.range(0, 2 * mean) as i64;
    }

    /// The time of a benign event: now, or (1 %) up to 3 s in the past.
    fn stamp(&mut self) -> Stamp {
        let mut ts_ms = self.clock_ms;
        if self.rng.percent(1) {
            ts_ms -= self.rng.range(1, 3_000) as i64;
            self.stats.out_of_order += 1;
        }
        Stamp {
            ts_ms,
            ingested_ms: ts_ms + self.ingest_delay(),
        }
    }

    /// A few ms to a few s, mostly short.
    fn ingest_delay(&mut self) -> i64 {
        let a = self.rng.range(5, 4_000);
        let b = self.rng.range(5, 4_000);
        a.min(b) as i64
    }

    fn benign(&mut self) -> Doc {
        let weights: Vec<u32> = ACTIVITIES.iter().map(|a| a.1).collect();
        let i = self.rng.weighted(&weights);
        let host_index = *self.rng.pick(&self.eligible[i]);
        let stamp = self.stamp();
        let host = &mut self.hosts[host_index];
        match ACTIVITIES[i].0 {
            Activity::ProcessStart => benign::process_start(host, stamp),
            Activity::ProcessEnd => benign::process_end(host, stamp),
            Activity::File => benign::file_event(host, stamp),
            Activity::Network => benign::network_event(host, stamp),
            Activity::Dns => benign::dns_event(host, stamp),
            Activity::Registry => benign::registry_event(host, stamp),
            Activity::Library => benign::library_event(host, stamp),
            Activity::Security => benign::security_event(host, stamp),
            Activity::SystemAuth => benign::system_auth(host, stamp),
            Activity::WindowsLogon => benign::windows_logon(host, stamp),
            Activity::Sysmon => benign::sysmon_event(host, stamp),
            Activity::Auditd => benign::auditd_event(host, stamp),
        }
    }

    /// Starts one attack story; its documents wait in `pending` for their time.
    fn inject(&mut self) {
        let k = self.rng.below(SCENARIOS.len() as u64) as usize;
        let scenario = &SCENARIOS[k];
        let host_index = *self.rng.pick(&self.scenario_hosts[k]);
        let base = Stamp {
            ts_ms: self.clock_ms,
            ingested_ms: self.clock_ms + self.ingest_delay(),
        };
        let story = (scenario.build)(&mut self.hosts[host_index], base);
        *self.stats.by_scenario.entry(scenario.name).or_insert(0) += 1;
        for (offset, doc) in story {
            self.pending_order += 1;
            self.pending.push(Reverse(Pending {
                ts_ms: base.ts_ms + offset,
                order: self.pending_order,
                doc,
            }));
        }
    }
}
