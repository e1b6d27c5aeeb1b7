//! `engine` owns execution: rules to a compiled rule set, index routing,
//! streaming and scheduled (Kibana-like) runs, exceptions, and alert building.
//!
//! ```text
//! rules::LoadReport ──compile──▶ CompiledRules ──Engine::new──▶ Engine (RuleSet + metadata)
//! inputs ──Engine::run──▶ RunReport (counts, messages, alerts sorted and de-duplicated)
//! ```
//!
//! - [`compile`]: each live `query` / `eql` rule compiled with one shared
//!   binder and registry, `filters` and `not(exceptions)` folded in, time,
//!   ordering and schedule parameters bound; invalid and unsupported rules
//!   counted and reported;
//! - [`run`]: the streaming pipeline (reader thread, workers, collector) and
//!   its options ([`run::Mode::Backfill`], [`run::Mode::Replay`]);
//! - [`index`]: an event's index and document id;
//! - [`replay`]: Kibana's scheduled executions simulated;
//! - [`alerts`]: alert records, output order and de-duplication;
//! - [`alert`]: Kibana's alerts-as-data documents.

pub mod alert;
pub mod alerts;
mod collect;
pub mod compile;
pub mod index;
mod kept;
mod multi;
mod read;
mod reorder;
pub mod replay;
pub mod run;
mod shard;
pub mod sorted;
mod worker;

pub use alerts::Alert;
pub use compile::{
    compile, compile_files, CompileOptions, CompiledRules, Problem, RuleCounts, RuleMeta,
};
pub use run::{Engine, Input, InputIssue, Mode, RunOptions, RunReport};
pub use sorted::SortedAlerts;

/// The Kibana version alerts carry (`kibana.version`) unless the caller sets one.
pub const KIBANA_VERSION: &str = "9.1.0";
