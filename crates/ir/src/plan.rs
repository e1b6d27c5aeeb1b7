//! Query plans: single-event queries, sequences, samples, and pipes.

use crate::pred::{FieldRef, Pred};

/// The event category a query selects (`process where …`, `any where …`).
#[derive(Debug, Clone, PartialEq)]
pub enum Category {
    Any,
    /// Matched exactly (case-sensitive term) against the category field.
    Named(String),
}

/// One event filter: a category and a condition.
#[derive(Debug, Clone, PartialEq)]
pub struct EventQuery {
    pub category: Category,
    pub condition: Pred,
}

/// A `by` key: a field whose value(s) join events. `optional` for `?field`.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinKey {
    pub field: FieldRef,
    pub optional: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SequenceStage {
    pub query: EventQuery,
    /// Shared keys first, then the stage's own keys (same count on every stage).
    pub keys: Vec<JoinKey>,
    /// A missing-event step `![…]`: the sequence matches only if no such event
    /// occurs between its neighbours.
    pub missing: bool,
    /// `with runs=N`: the step repeats N times (N ≥ 1).
    pub runs: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SequencePlan {
    pub stages: Vec<SequenceStage>,
    /// `until [...]`: an event matching it drops the pending sequences of its key.
    pub until: Option<SequenceStage>,
    /// `with maxspan=…` in nanoseconds.
    pub maxspan: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SampleStage {
    pub query: EventQuery,
    pub keys: Vec<JoinKey>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SamplePlan {
    pub stages: Vec<SampleStage>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    Event(EventQuery),
    Sequence(SequencePlan),
    Sample(SamplePlan),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pipe {
    Head(u64),
    Tail(u64),
}

/// A whole query: its plan and the pipes after it, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryPlan {
    pub plan: Plan,
    pub pipes: Vec<Pipe>,
}
