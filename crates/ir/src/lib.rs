//! `ir` owns the language-neutral form every query language lowers to, and that
//! the matcher compiles: predicates ([`Pred`]) with Elasticsearch *query*
//! semantics, expressions ([`Expr`]) with EQL *script* (null-propagating)
//! semantics, and plans ([`Plan`]) for single events, sequences and samples.
//!
//! Two kinds of truth, because Elasticsearch has two:
//!
//! - A [`Pred`] is what Elasticsearch runs as query DSL: term, terms, wildcard,
//!   regexp, range, exists, `bool`. It is two-valued. A field test is true when
//!   *some* value of the (possibly multi-valued) field satisfies it and false when
//!   the field is missing; [`Pred::Not`] is `bool.must_not`, so `not x == "a"` is
//!   true for a document without `x`. EQL comparisons of a field with constants,
//!   `not`, `and`, `or`, and all of KQL lower to this.
//! - An [`Expr`] is what Elasticsearch runs as a script (EQL functions,
//!   arithmetic, comparisons between fields). It evaluates to a [`Val`] with
//!   `null` propagating; the enclosing [`Pred::Script`] is true only when the
//!   result is `true`.
//!
//! [`java`] holds the Java semantics both constant folding (`eql`) and
//! evaluation (`matcher`) follow: UTF-16 strings, `Double.toString`, number
//! parsing.
//!
//! Fields are bound to [`FieldRef`]s (document path id + the type the comparison
//! uses) by a [`Binder`] over an `event::Schema` and `event::FieldRegistry`.

mod bind;
mod expr;
pub mod java;
mod plan;
mod pred;

pub use bind::{Binder, BoundField};
pub use expr::{ArithOp, CmpOp, Expr, Function, Val};
pub use plan::{
    Category, EventQuery, JoinKey, Pipe, Plan, QueryPlan, SamplePlan, SampleStage, SequencePlan,
    SequenceStage,
};
pub use pred::{FieldRef, FieldTest, Pred, RangeBound, RangeValue, Test, TextMode};
