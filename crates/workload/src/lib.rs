//! Deterministic generator of realistic ECS event workloads, shaped like what
//! Elastic Agent writes (Elastic Defend endpoint events for Windows, Linux and
//! macOS routed by `data_stream`, system auth / Windows security logons, a little
//! Sysmon and auditd), with attack stories injected that real rules of Elastic's
//! detection-rules catalogue detect (see [`scenarios`] for the scenario → rule
//! table). Used by vigil's benchmarks (`bench/`) and the `vigil-workload` binary.
//!
//! The output depends only on the [`Config`] (the PRNG is hand-rolled, integer
//! only) and is produced in constant memory: a 10 M event file streams.
//!
//! ```
//! let cfg = workload::Config { events: 100, seed: 7, ..workload::Config::default() };
//! let mut out = Vec::new();
//! let stats = workload::Generator::new(cfg).unwrap().write_ndjson(&mut out).unwrap();
//! assert_eq!(stats.events, 100);
//! assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 100);
//! ```

pub mod benign;
pub mod catalog;
pub mod doc;
pub mod events;
pub mod fleet;
pub mod generator;
pub mod rng;
pub mod scenarios;
pub mod time;

pub use generator::{Generator, Stats};

/// Default start of the event clock: 2024-05-01T00:00:00Z.
pub const DEFAULT_START_MS: i64 = 1_714_521_600_000;

#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    #[error("bad start time {0:?}: expected YYYY-MM-DD[THH:MM:SS[.fff]][Z]")]
    BadStart(String),
    #[error("bad attack rate {0}: expected a fraction between 0 and 1")]
    BadAttackRate(String),
    #[error("need at least 3 hosts (one per OS), got {0}")]
    TooFewHosts(usize),
    #[error("write failed: {0}")]
    Io(#[from] std::io::Error),
}

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub events: u64,
    pub seed: u64,
    pub hosts: usize,
    /// Clock start, ms since the epoch.
    pub start_ms: i64,
    /// Probability per event of starting an attack story, per million.
    pub attack_ppm: u64,
    /// Mean event rate of the whole fleet (sets the time span of the file).
    pub events_per_second: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            events: 10_000,
            seed: 1,
            hosts: 50,
            start_ms: DEFAULT_START_MS,
            attack_ppm: 1_000,
            events_per_second: 200,
        }
    }
}

impl Config {
    pub fn validate(&self) -> Result<(), WorkloadError> {
        if self.hosts < 3 {
            return Err(WorkloadError::TooFewHosts(self.hosts));
        }
        Ok(())
    }
}

/// Attack rate as a fraction (`0.001`) → per million, rejecting junk.
pub fn attack_ppm(rate: &str) -> Result<u64, WorkloadError> {
    let bad = || WorkloadError::BadAttackRate(rate.to_string());
    let r: f64 = rate.parse().map_err(|_| bad())?;
    if !(0.0..=1.0).contains(&r) {
        return Err(bad());
    }
    Ok((r * 1_000_000.0).round() as u64)
}
