//! `matcher` owns evaluation of the IR over events: predicates (query
//! semantics), scripts (null semantics), the sequence and sample engines, pipes,
//! and `RuleSet::build` (all rules compiled together).
//!
//! The evaluator here is the reference: simple, exact, and faithful to
//! Elasticsearch (each module names the upstream code it follows).
//!
//! - [`pred`]: `ir::Pred` over one event (query-DSL semantics per field type);
//! - [`script`], [`functions`]: `ir::Expr` (EQL's Painless runtime);
//! - [`sequence`]: the streaming sequence state machine;
//! - [`sample`]: `sample by`;
//! - [`exec`]: a whole query over an event set (`vigil query`);
//! - [`ruleset`]: every rule of a run compiled together (`vigil hunt`);
//! - [`order`], [`values`], [`dates`], [`java`]: ordering, type views, date
//!   bounds and the Java semantics results depend on.

pub mod compiled;
pub mod dates;
pub mod error;
pub mod exec;
pub mod functions;
pub use ir::java;
pub mod order;
mod par;
pub mod pred;
pub mod prefilter;
pub mod ruleset;
pub mod sample;
pub mod script;
pub mod sequence;
pub mod values;

#[cfg(test)]
pub(crate) mod testutil;

pub use error::EvalError;
pub use exec::{
    run, ExecContext, QueryOutcome, QueryResult, ResultPosition, SampleHit, SequenceHit,
};
pub use order::{tiebreaker_of, timestamp_of, EventRecord};
pub use sequence::{SequenceEngine, SequenceMatch};
pub use values::KeyValue;
