//! `engine` owns execution: rules to a compiled rule set, index routing,
//! streaming and scheduled (Kibana-like) runs, exceptions, and alert building.
//!
//! ```text
//! rule files ──compile_files──▶ CompiledRules ──Engine::new──▶ Engine (RuleSet + metadata)
//! inputs ──Engine::run_sorted──▶ RunReport (counts, messages) + SortedAlerts (output order)
//! ```
//!
//! - [`mod@compile`]: each live `query` / `eql` rule compiled with one shared
//!   binder and registry, `filters` and `not(exceptions)` folded in, time,
//!   ordering and schedule parameters bound; invalid and unsupported rules
//!   counted and reported; [`compile_files`] does it one rule file at a time
//!   (files read and parsed ahead on loader threads, `rules::ordered`);
//! - [`run`]: the pipeline and its options ([`run::Mode`]); its stages:
//!   `read` (inputs merged by time into batches), `worker` (parse, route,
//!   match, single-event alerts, kept candidates), `collect` (batch order,
//!   reorder buffers), `shard` (sequence / sample / replay state per rule),
//!   with `kept` (what is kept of an event, and for how long) and `reorder`
//!   (the bounded reorder buffer);
//! - [`index`]: an event's index and document id;
//! - [`replay`]: Kibana's scheduled executions simulated, as matches stream;
//! - [`alerts`]: alert records and the output order; [`sorted`]: the alerts
//!   sorted and de-duplicated with bounded memory (spilled runs, merged);
//! - [`alert`]: Kibana's alerts-as-data documents.
//!
//! Memory is bounded by the reorder buffer, the sequence state, a few batches
//! in flight and the alert budget — not by the input (see [`run`]).

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
mod sampled;
mod shard;
pub mod sorted;
mod window;
mod worker;

pub use alerts::Alert;
pub use collect::release_free_memory;
pub use compile::{
    compile, compile_files, CompileOptions, CompiledRules, Problem, RuleCounts, RuleMeta,
};
pub use kept::{SpillReport, HELD_MEMORY};
pub use run::{Engine, Input, InputIssue, Mode, RunOptions, RunReport};
pub use sorted::SortedAlerts;

/// The Kibana version alerts carry (`kibana.version`) unless the caller sets one.
pub const KIBANA_VERSION: &str = "9.1.0";
