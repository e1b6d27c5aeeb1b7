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
//!
//! Predicates compiled together ([`Leaves`], as `RuleSet::build` does) share
//! their field tests: equal tests are compiled once, and a test that occurs
//! more than once has a slot in the per-event memo of the view, so that it is
//! run at most once per event however many rules hold it (a field test is a
//! pure function of the event).
//!
//! The tree is then flattened into a *branch program* ([`Step`]s): each
//! field test or script names the step to go to when it holds and the one
//! when it does not (`and` / `or` / `not` become those jumps, constants
//! disappear). Evaluating is a loop over steps, without recursion, without
//! a `Result` passed up through every node and without the indirect jump of
//! a `match` on node kinds: per test, one step read and one conditional
//! branch. The tests run in exactly the order (and with the same short
//! cuts) as a recursive evaluation of the tree, and a script error ends the
//! evaluation as it did there.

pub mod strings;
pub mod view;

use crate::error::EvalError;
use crate::java;
use event::{FieldId, FieldType, Value};
use ir::{Expr, FieldTest, Pred, Test};
use rustc_hash::{FxHashMap, FxHasher};
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::sync::Arc;
use strings::StrMatcher;
use view::View;

/// A compiled predicate: a branch program entered at `entry`.
#[derive(Debug)]
pub struct CompiledPred {
    steps: Box<[Step]>,
    entry: u32,
}

/// One test of a branch program and where to go next. `memo` is the leaf's
/// memo slot and `field` the field it tests (unused for a script), copied
/// here so that a memoized result, or a field the event lacks (no field test
/// holds on it), is found without reading the leaf: a leaf is another
/// allocation, often a cache line or two away.
#[derive(Debug)]
struct Step {
    test: StepTest,
    memo: u32,
    field: FieldId,
    on_true: u32,
    on_false: u32,
}

#[derive(Debug)]
enum StepTest {
    Leaf(Arc<Leaf>),
    Script(Box<Expr>),
}

/// Jump targets that end the program.
const TRUE: u32 = u32::MAX;
const FALSE: u32 = u32::MAX - 1;

#[derive(Debug)]
enum Node {
    Const(bool),
    And(Box<[Node]>),
    Or(Box<[Node]>),
    Not(Box<Node>),
    Leaf(Arc<Leaf>),
    Script(Box<Expr>),
}

/// A field test, possibly shared by many predicates.
#[derive(Debug)]
struct Leaf {
    /// Its slot in the view's per-event memo, or [`NO_MEMO`].
    memo: u32,
    test: LeafTest,
}

/// No memo slot: the test occurs once.
const NO_MEMO: u32 = u32::MAX;

/// Kept small (the big parts boxed): a leaf's memo slot and the start of its
/// test share a cache line or two, the hot path reads little else.
#[derive(Debug)]
enum LeafTest {
    Str(StrTest),
    /// The reference per-value test on the field's values.
    Field(Box<FieldTest>),
}

/// A term-level test on a field whose values are indexed as keywords.
#[derive(Debug)]
struct StrTest {
    field: FieldId,
    /// Strings longer than this (UTF-16 units) are not indexed
    /// ([`NO_LIMIT`]: none; not an `Option`, so that a leaf with its `Arc`
    /// header fits a cache line).
    ignore_above: u32,
    matcher: StrMatcher,
    /// On an unmapped field, a non-string value is not a keyword: if the
    /// field holds one, the reference test decides.
    loose: Option<Box<FieldTest>>,
}

impl CompiledPred {
    pub fn new(pred: &Pred) -> CompiledPred {
        flatten(compile(pred, &mut |ft| {
            Node::Leaf(Arc::new(compile_leaf(ft, NO_MEMO)))
        }))
    }

    /// Number of tests in the program.
    pub fn tests(&self) -> usize {
        self.steps.len()
    }

    /// [`crate::pred::eval`] of the source predicate on the view's event.
    #[inline]
    pub fn eval(&self, view: &mut View<'_, '_, '_>) -> Result<bool, EvalError> {
        let mut at = self.entry;
        while at < FALSE {
            let Some(step) = self.steps.get(at as usize) else {
                break;
            };
            let holds = match &step.test {
                StepTest::Leaf(l) => leaf(l, step.memo, step.field, view),
                StepTest::Script(e) => crate::script::filter(e, view.event())?,
            };
            at = if holds { step.on_true } else { step.on_false };
        }
        Ok(at == TRUE)
    }
}

/// The branch program of `root` (see the module docs), its steps in the
/// order a recursive evaluation meets them.
fn flatten(root: Node) -> CompiledPred {
    let mut steps = Vec::new();
    let entry = emit(root, TRUE, FALSE, &mut steps);
    // Emitted last test first: reversed, the first test is step 0 and each
    // jump goes forward.
    let last = steps.len() as u32;
    let renumber = |t: u32| if t >= FALSE { t } else { last - 1 - t };
    steps.reverse();
    for s in &mut steps {
        s.on_true = renumber(s.on_true);
        s.on_false = renumber(s.on_false);
    }
    CompiledPred {
        steps: steps.into(),
        entry: renumber(entry),
    }
}

/// Emits the steps of `node` so that control reaches `on_true` when it
/// holds and `on_false` when not; returns the step to enter it at.
fn emit(node: Node, on_true: u32, on_false: u32, steps: &mut Vec<Step>) -> u32 {
    let mut push = |test: StepTest, memo: u32| {
        let field = match &test {
            StepTest::Leaf(l) => l.test.field(),
            StepTest::Script(_) => FieldId(u32::MAX),
        };
        steps.push(Step {
            test,
            memo,
            field,
            on_true,
            on_false,
        });
        steps.len() as u32 - 1
    };
    match node {
        Node::Const(true) => on_true,
        Node::Const(false) => on_false,
        Node::Leaf(l) => {
            let memo = l.memo;
            push(StepTest::Leaf(l), memo)
        }
        Node::Script(e) => push(StepTest::Script(e), NO_MEMO),
        Node::Not(inner) => emit(*inner, on_false, on_true, steps),
        // Children last to first: each child's continuation is the entry of
        // the one after it.
        Node::And(ns) => Vec::from(ns)
            .into_iter()
            .rev()
            .fold(on_true, |next, n| emit(n, next, on_false, steps)),
        Node::Or(ns) => Vec::from(ns)
            .into_iter()
            .rev()
            .fold(on_false, |next, n| emit(n, on_true, next, steps)),
    }
}

/// The field tests of predicates compiled together: each distinct test
/// compiled once; tests met more than once get a memo slot.
#[derive(Debug, Default)]
pub struct Leaves<'p> {
    /// Hash of a test ([`leaf_hash`]) → the distinct tests with that hash
    /// (compared with `==`) and their index in `distinct`.
    by_hash: FxHashMap<u64, Vec<(&'p FieldTest, u32)>>,
    /// Each counted test (by address) → its index in `distinct`.
    by_address: FxHashMap<usize, u32>,
    /// Per distinct test: occurrences counted, and its compiled form.
    distinct: Vec<(u32, Option<Arc<Leaf>>)>,
    slots: u32,
}

impl<'p> Leaves<'p> {
    /// Counts the field tests of `pred` (call for every predicate before
    /// compiling any).
    pub fn count(&mut self, pred: &'p Pred) {
        pred.walk(&mut |p| {
            if let Pred::Field(ft) = p {
                let i = self.find_or_add(ft);
                self.distinct[i as usize].0 += 1;
                self.by_address.insert(address(ft), i);
            }
        });
    }

    /// Compiles `pred` (counted before), sharing its field tests with those
    /// compiled before.
    pub fn compile(&mut self, pred: &'p Pred) -> CompiledPred {
        self.compile_assuming(pred, &[])
    }

    /// [`Leaves::compile`] for where the field tests `holding` (tests of
    /// `pred`, by address) are known to hold: they are left out (constant
    /// true); the caller makes sure they hold wherever the program runs.
    pub fn compile_assuming(&mut self, pred: &'p Pred, holding: &[&FieldTest]) -> CompiledPred {
        flatten(compile(pred, &mut |ft| {
            if holding.iter().any(|h| address(h) == address(ft)) {
                Node::Const(true)
            } else {
                Node::Leaf(self.leaf(ft))
            }
        }))
    }

    fn leaf(&mut self, ft: &'p FieldTest) -> Arc<Leaf> {
        let i = match self.by_address.get(&address(ft)) {
            Some(&i) => i,
            None => self.find_or_add(ft),
        };
        let (count, compiled) = &mut self.distinct[i as usize];
        if let Some(leaf) = compiled {
            return leaf.clone();
        }
        let memo = if *count > 1 {
            self.slots += 1;
            self.slots - 1
        } else {
            NO_MEMO
        };
        let leaf = Arc::new(compile_leaf(ft, memo));
        *compiled = Some(leaf.clone());
        leaf
    }

    fn find_or_add(&mut self, ft: &'p FieldTest) -> u32 {
        let same = self.by_hash.entry(leaf_hash(ft)).or_default();
        if let Some(&(_, i)) = same.iter().find(|(t, _)| *t == ft) {
            return i;
        }
        let i = self.distinct.len() as u32;
        same.push((ft, i));
        self.distinct.push((0, None));
        i
    }
}

fn address(ft: &FieldTest) -> usize {
    ft as *const FieldTest as usize
}

/// A hash of a field test: its field, its kind and, for the kinds rules
/// repeat most, its values (equal tests have equal hashes; tests are then
/// compared with `==`).
fn leaf_hash(ft: &FieldTest) -> u64 {
    let mut h = FxHasher::default();
    h.write_usize(ft.field.id.index());
    std::mem::discriminant(&ft.test).hash(&mut h);
    match &ft.test {
        Test::Terms {
            values,
            case_insensitive,
        } => {
            values.hash(&mut h);
            case_insensitive.hash(&mut h);
        }
        Test::Wildcards(ps) => ps.hash(&mut h),
        Test::Regexes(rs) => rs.iter().for_each(|r| r.source().hash(&mut h)),
        _ => {}
    }
    h.finish()
}

fn compile<'p>(pred: &'p Pred, leaf: &mut impl FnMut(&'p FieldTest) -> Node) -> Node {
    match pred {
        Pred::Const(b) => Node::Const(*b),
        Pred::Field(ft) => leaf(ft),
        Pred::Script(e) => Node::Script(Box::new(e.clone())),
        Pred::Not(p) => Node::Not(Box::new(compile(p, leaf))),
        Pred::And(ps) => Node::And(children(ps, leaf)),
        Pred::Or(ps) => Node::Or(children(ps, leaf)),
    }
}

/// The children in evaluation order: cheapest first when none has a script
/// below it; else the reference order (non-scripts in order, then scripts).
fn children<'p>(ps: &'p [Pred], leaf: &mut impl FnMut(&'p FieldTest) -> Node) -> Box<[Node]> {
    let mut nodes: Vec<(Node, bool)> = ps
        .iter()
        .map(|p| (compile(p, leaf), matches!(p, Pred::Script(_))))
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
        Node::Leaf(l) => match &l.test {
            LeafTest::Str(t) => 2 + t.matcher.cost(),
            LeafTest::Field(_) => 12,
        },
        Node::Script(_) => 1_000,
        Node::Not(inner) => cost(inner),
        Node::And(ns) | Node::Or(ns) => ns.iter().map(cost).sum::<u32>().saturating_add(1),
    }
}

fn compile_leaf(ft: &FieldTest, memo: u32) -> Leaf {
    Leaf {
        memo,
        test: compile_field(ft),
    }
}

fn compile_field(ft: &FieldTest) -> LeafTest {
    use FieldType::*;
    let field = &ft.field;
    let (ignore_above, loose) = match field.ty {
        Keyword | ConstantKeyword | Wildcard | Flattened | Object | Nested | GeoPoint | Binary => {
            (field.ignore_above, None)
        }
        // Version: `version_passes` compares the plain keyword string.
        Version => (None, None),
        Unmapped => (field.ignore_above, Some(Box::new(ft.clone()))),
        _ => return LeafTest::Field(Box::new(ft.clone())),
    };
    match StrMatcher::new(&ft.test) {
        Some(matcher) => LeafTest::Str(StrTest {
            field: field.id,
            ignore_above: ignore_above.unwrap_or(NO_LIMIT),
            matcher,
            loose,
        }),
        None => LeafTest::Field(Box::new(ft.clone())),
    }
}

/// The leaf's test on `field`'s values: false when the event has none (a
/// field test holds only on a value), else from the memo when it ran on
/// this event already.
#[inline]
fn leaf(l: &Leaf, memo: u32, field: FieldId, view: &mut View<'_, '_, '_>) -> bool {
    let range = view.range(field);
    if range.is_empty() {
        return false;
    }
    if memo == NO_MEMO {
        return leaf_test(&l.test, range, view);
    }
    if let Some(r) = view.memo(memo) {
        return r;
    }
    let r = leaf_test(&l.test, range, view);
    view.set_memo(memo, r);
    r
}

impl LeafTest {
    /// The field the test reads.
    fn field(&self) -> FieldId {
        match self {
            LeafTest::Str(t) => t.field,
            LeafTest::Field(ft) => ft.field.id,
        }
    }
}

/// The test on the field's values, entries `range` of the view.
#[inline]
fn leaf_test(t: &LeafTest, range: Range<usize>, view: &mut View<'_, '_, '_>) -> bool {
    match t {
        LeafTest::Str(t) => str_test(t, range, view),
        LeafTest::Field(ft) => range
            .into_iter()
            .any(|i| crate::pred::value_passes(&ft.test, &ft.field, view.value(i))),
    }
}

fn str_test(t: &StrTest, range: Range<usize>, view: &mut View<'_, '_, '_>) -> bool {
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
        // A string value: its text read once, for the length and the checks.
        if let Some(text) = view.str_value(i) {
            if !longer_than(t.ignore_above, text) && t.matcher.pass_text(text, view, i) {
                return true;
            }
            continue;
        }
        let ignored = longer_than(t.ignore_above, view.text(i));
        if !ignored && t.matcher.pass(view, i) {
            return true;
        }
    }
    false
}

/// No `ignore_above` ([`StrTest::ignore_above`]).
const NO_LIMIT: u32 = u32::MAX;

/// A keyword longer than the field's `ignore_above` `limit` (in UTF-16
/// units, as Java counts; [`NO_LIMIT`]: none) is not indexed: no query on
/// the field finds it.
#[inline]
fn longer_than(limit: u32, text: &str) -> bool {
    limit != NO_LIMIT && text.len() > limit as usize && java::utf16_len(text) > limit as usize
}

#[cfg(test)]
pub(crate) mod tests;
