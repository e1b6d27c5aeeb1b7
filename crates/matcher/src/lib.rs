//! `matcher` owns evaluation of the IR over events: predicates (query
//! semantics), scripts (null semantics), the sequence and sample engines, pipes,
//! and `RuleSet::build` (all rules compiled together).
