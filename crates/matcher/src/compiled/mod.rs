//! Predicates compiled for the rule set's hot path, with exactly the results
//! of the reference evaluator [`crate::pred::eval`]:
//!
//! - field values are found through a per-event table ([`view::View`]), each
//!   value's keyword and folded strings computed once per event;
//! - term-level tests on keyword-like fields become [`strings::StrMatcher`]s
//!   (hash sets, literal lists, automata) instead of list scans;
//! - children of an `and` / `or` without scripts anywhere below are ordered
//!   cheapest first (field tests are pure: order cannot change a result).
//!   Where a script is below, the reference order is kept exactly (non-script
//!   children in order, then scripts), so the same errors surface.
//!
//! Tests the compiled form does not specialise (ranges, numbers, dates, IPs,
//! booleans, analysed text) run the reference per-value test on the values
//! the table finds; scripts run the reference script evaluator.

pub mod strings;
pub mod view;

use crate::error::EvalError;
use crate::java;
use event::{FieldId, FieldType, Value};
use ir::{Expr, FieldTest, Pred};
use strings::StrMatcher;
use view::View;

/// A compiled predicate.
#[derive(Debug)]
pub struct CompiledPred {
    root: Node,
}

#[derive(Debug)]
enum Node {
    Const(bool),
    And(Box<[Node]>),
    Or(Box<[Node]>),
    Not(Box<Node>),
    Str(Box<StrTest>),
    /// The reference per-value test on the field's values.
    Field(Box<FieldTest>),
    Script(Box<Expr>),
}

/// A term-level test on a field whose values are indexed as keywords.
#[derive(Debug)]
struct StrTest {
    field: FieldId,
    /// Strings longer than this (UTF-16 units) are not indexed.
    ignore_above: Option<u32>,
    matcher: StrMatcher,
    /// On an unmapped field, a non-string value is not a keyword: if the
    /// field holds one, the reference test decides.
    loose: Option<FieldTest>,
}

impl CompiledPred {
    pub fn new(pred: &Pred) -> CompiledPred {
        CompiledPred {
            root: compile(pred),
        }
    }

    /// [`crate::pred::eval`] of the source predicate on the view's event.
    pub fn eval(&self, view: &mut View<'_, '_, '_>) -> Result<bool, EvalError> {
        eval(&self.root, view)
    }
}

fn compile(pred: &Pred) -> Node {
    match pred {
        Pred::Const(b) => Node::Const(*b),
        Pred::Field(ft) => compile_field(ft),
        Pred::Script(e) => Node::Script(Box::new(e.clone())),
        Pred::Not(p) => Node::Not(Box::new(compile(p))),
        Pred::And(ps) => Node::And(children(ps)),
        Pred::Or(ps) => Node::Or(children(ps)),
    }
}

/// The children in evaluation order: cheapest first when none has a script
/// below it; else the reference order (non-scripts in order, then scripts).
fn children(ps: &[Pred]) -> Box<[Node]> {
    let mut nodes: Vec<(Node, bool)> = ps
        .iter()
        .map(|p| (compile(p), matches!(p, Pred::Script(_))))
        .collect();
    if ps.iter().all(is_pure) {
        nodes.sort_by_key(|(n, _)| rank(n));
    } else {
        nodes.sort_by_key(|(_, script)| *script);
    }
    nodes.into_iter().map(|(n, _)| n).collect()
}

/// True when no script is below `p` (its evaluation cannot fail).
fn is_pure(p: &Pred) -> bool {
    let mut pure = true;
    p.walk(&mut |x| pure &= !matches!(x, Pred::Script(_)));
    pure
}

/// Evaluation order of pure siblings: cheapest first, negations (mostly
/// exceptions, nearly always true, deciding little) after positive tests.
fn rank(n: &Node) -> u32 {
    match n {
        Node::Not(_) => cost(n).saturating_mul(16),
        _ => cost(n),
    }
}

/// A rough cost of evaluating a node on an event.
fn cost(n: &Node) -> u32 {
    match n {
        Node::Const(_) => 0,
        Node::Str(t) => 2 + t.matcher.cost(),
        Node::Field(_) => 12,
        Node::Script(_) => 1_000,
        Node::Not(inner) => cost(inner),
        Node::And(ns) | Node::Or(ns) => ns.iter().map(cost).sum::<u32>().saturating_add(1),
    }
}

fn compile_field(ft: &FieldTest) -> Node {
    use FieldType::*;
    let field = &ft.field;
    let (ignore_above, loose) = match field.ty {
        Keyword | ConstantKeyword | Wildcard | Flattened | Object | Nested | GeoPoint | Binary => {
            (field.ignore_above, None)
        }
        // Version: `version_passes` compares the plain keyword string.
        Version => (None, None),
        Unmapped => (field.ignore_above, Some(ft.clone())),
        _ => return Node::Field(Box::new(ft.clone())),
    };
    match StrMatcher::new(&ft.test) {
        Some(matcher) => Node::Str(Box::new(StrTest {
            field: field.id,
            ignore_above,
            matcher,
            loose,
        })),
        None => Node::Field(Box::new(ft.clone())),
    }
}

fn eval(node: &Node, view: &mut View<'_, '_, '_>) -> Result<bool, EvalError> {
    match node {
        Node::Const(b) => Ok(*b),
        Node::Str(t) => Ok(str_test(t, view)),
        Node::Field(ft) => Ok(view
            .range(ft.field.id)
            .any(|i| crate::pred::value_passes(&ft.test, &ft.field, view.value(i)))),
        Node::Script(e) => crate::script::filter(e, view.event()),
        Node::Not(inner) => eval(inner, view).map(|b| !b),
        Node::And(ns) => {
            for n in ns.iter() {
                if !eval(n, view)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Node::Or(ns) => {
            for n in ns.iter() {
                if eval(n, view)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
    }
}

fn str_test(t: &StrTest, view: &mut View<'_, '_, '_>) -> bool {
    let range = view.range(t.field);
    if let Some(ft) = &t.loose {
        if range
            .clone()
            .any(|i| !matches!(view.value(i), Value::Str(_)))
        {
            return range
                .into_iter()
                .any(|i| crate::pred::value_passes(&ft.test, &ft.field, view.value(i)));
        }
    }
    for i in range {
        if let Some(limit) = t.ignore_above {
            let text = view.text(i);
            if text.len() > limit as usize && java::utf16_len(text) > limit as usize {
                continue;
            }
        }
        if t.matcher.pass(view, i) {
            return true;
        }
    }
    false
}

#[cfg(test)]
pub(crate) mod tests;
