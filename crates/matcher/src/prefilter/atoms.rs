//! Necessary conditions of a query: from an [`ir::Pred`] (and an EQL event
//! category), a set of *atoms* at least one of which holds on every event the
//! query matches. An atom is a cheap test on one field's values seen as
//! keyword strings (exact value, prefix, suffix, substring, presence), so the
//! rule set can look an event's values up once in per-field indexes and
//! evaluate a query only where one atom of each of its sets holds.
//!
//! Atoms over-approximate: an atom may hold where the test it comes from does
//! not (a value past `ignore_above`, the literal of a general wildcard), never
//! the reverse. How a test is derived, and why it is necessary:
//!
//! - `Terms` on a keyword-like field: the value's keyword view equals a term
//!   (case-folded with [`event::fold::fold_case`] when case-insensitive, as
//!   [`event::fold::eq_fold`] compares);
//! - `Wildcards`: the pattern's literal (exact / prefix / suffix / contains),
//!   or for a general pattern its first literal (a prefix), last literal (a
//!   suffix) or longest inner literal, whichever is most selective; literals
//!   of case-insensitive patterns are already folded, and the value is folded
//!   the same way before comparing;
//! - any other field test (ranges, regexes, non-keyword types): the field has
//!   a value;
//! - `Numbers`, `Bool`, `IpNets`, `Text` on a keyword field: the exact strings
//!   they compare the term with;
//! - `Exists`, and a wildcard without any literal: the field has a value;
//! - `And`: every child's sets, each necessary on its own (the rule set keeps
//!   the cheapest few and requires all of them); `Or`, only when every child
//!   has a set: the union of each child's cheapest set, and likewise of each
//!   child's second and third cheapest (a child with fewer gives its last
//!   again), each necessary on its own since whichever child holds has all
//!   its sets holding; `Const(false)`: the empty set (never holds); `Not`
//!   and scripts: none.
//!
//! On an unmapped field the evaluator compares a string value as a keyword
//! but a number or boolean as such (`"0123"` equals the number 123), so atoms
//! there are *loose*: any non-string value of the field satisfies them.

use event::wildcard::{Part, Pattern};
use event::{FieldId, FieldType, Number};
use ir::{Category, EventQuery, FieldRef, FieldTest, Pred, Test, TextMode};

/// Where in a value a literal must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    Exact,
    Prefix,
    Suffix,
    Contains,
}

/// One cheap test on a field's values.
#[derive(Debug, Clone, PartialEq)]
pub enum Atom {
    /// The field has a value.
    Exists { field: FieldId },
    /// Some value of the field, as its keyword string (folded when
    /// `case_insensitive`), has `text` at `shape`; when `loose`, any
    /// non-string value of the field holds too.
    Literal {
        field: FieldId,
        shape: Shape,
        text: String,
        case_insensitive: bool,
        loose: bool,
    },
}

impl Atom {
    pub fn field(&self) -> FieldId {
        match self {
            Atom::Exists { field } | Atom::Literal { field, .. } => *field,
        }
    }
}

/// Atoms at least one of which holds on every event the query matches, and
/// an estimate of the share of events where one holds (lower is better).
#[derive(Debug, Clone, PartialEq)]
pub struct Necessary {
    pub atoms: Vec<Atom>,
    pub cost: f64,
}

/// A set whose estimated cost reaches this is not worth indexing: the query
/// is evaluated on every event instead.
const USELESS_COST: f64 = 0.9;

impl Necessary {
    fn never() -> Necessary {
        Necessary {
            atoms: Vec::new(),
            cost: 0.0,
        }
    }

    fn one(atom: Atom, cost: f64) -> Necessary {
        Necessary {
            atoms: vec![atom],
            cost,
        }
    }

    /// True when an atom needs the field's text scanned (not looked up).
    fn needs_scan(&self) -> bool {
        self.atoms.iter().any(|a| {
            matches!(
                a,
                Atom::Literal {
                    shape: Shape::Prefix | Shape::Suffix | Shape::Contains,
                    ..
                }
            )
        })
    }

    fn union(sets: impl IntoIterator<Item = Necessary>) -> Option<Necessary> {
        let mut out = Necessary::never();
        for s in sets {
            out.atoms.extend(s.atoms);
            out.cost += s.cost;
            if out.cost >= USELESS_COST {
                return None;
            }
        }
        Some(out)
    }
}

/// How many independent necessary sets a query keeps (the cheapest): a
/// query is a candidate only when one atom of each holds.
pub const MAX_SETS: usize = 3;

/// Independent necessary sets of an EQL event query (each must have an atom
/// holding for the query to match), cheapest first, at most [`MAX_SETS`]:
/// its category (a value of `category_field` equal to the name) and its
/// condition's ([`necessary`]). Empty when none is worth using.
pub fn for_query(query: &EventQuery, category_field: FieldId) -> Vec<Necessary> {
    let mut sets = necessary(&query.condition);
    if let Category::Named(name) = &query.category {
        sets.push(category_set(name, category_field));
    }
    choose(sets)
}

/// The necessary set of an EQL event category: a value of `category_field`
/// equal to `name` (exactly what the category check compares).
pub fn category_set(name: &str, category_field: FieldId) -> Necessary {
    Necessary::one(
        Atom::Literal {
            field: category_field,
            shape: Shape::Exact,
            text: name.to_string(),
            case_insensitive: false,
            loose: false,
        },
        LOW_CARDINALITY_EXACT,
    )
}

/// True when `set` holding (one of its atoms, by the prefilter's exact
/// lookups) means that `ft` holds too, so a candidate need not run `ft`
/// again: `set` is exactly the atoms of `ft`, a `Terms` test on a field
/// seen as keywords (not loose, not a version), and a value equal to a term
/// cannot be too long to be indexed (`ignore_above`): a value whose fold
/// equals a folded term has at most as many characters as the term's fold,
/// so at most twice that many UTF-16 units.
pub fn decides(set: &Necessary, ft: &FieldTest) -> bool {
    let Test::Terms {
        values,
        case_insensitive,
    } = &ft.test
    else {
        return false;
    };
    // Cheap tests first: most sets are another test's.
    let same_field = |a: &Atom| a.field() == ft.field.id;
    if set.atoms.len() != values.len()
        || !set.atoms.iter().all(same_field)
        || view_of(ft.field.ty) != Some(View::Keyword)
        || ft.field.ty == FieldType::Version
    {
        return false;
    }
    let fits = |t: &String| match ft.field.ignore_above {
        None => true,
        Some(limit) if *case_insensitive => {
            2 * event::fold::fold_case(t).chars().count() <= limit as usize
        }
        Some(limit) => crate::java::utf16_len(t) <= limit as usize,
    };
    !set.atoms.is_empty()
        && values.iter().all(fits)
        && of_test(&ft.field, &ft.test).as_ref() == Some(set)
}

/// A set whose atoms are all exact values, presence or category (looked up
/// in hash maps) at most this costly is selective enough that substring sets,
/// which cost a scan of the field's text on every event, are not needed.
const SELECTIVE: f64 = 0.01;

/// The sets a query keeps: the cheapest lookup sets (exact values, presence),
/// and a scan set (prefix / suffix / substring literals) only when no lookup
/// set is selective, in place of the costliest lookup set.
fn choose(sets: Vec<Necessary>) -> Vec<Necessary> {
    let (scans, lookups): (Vec<Necessary>, Vec<Necessary>) =
        sets.into_iter().partition(Necessary::needs_scan);
    let mut chosen = cheapest(lookups, MAX_SETS);
    if chosen.first().is_some_and(|s| s.cost <= SELECTIVE) {
        return chosen;
    }
    if let Some(scan) = cheapest(scans, 1).pop() {
        chosen.truncate(MAX_SETS - 1);
        chosen.insert(0, scan);
    }
    chosen
}

/// Independent necessary sets of `pred`: each holds (one of its atoms does)
/// on every event where `pred` is true. `And`: every child's sets; `Or` (only
/// when every child has a set): for `j` below [`MAX_SETS`], the union of each
/// child's `j`-th cheapest set (its last when it has fewer), without repeats.
/// An `or` of branches with common values in their cheapest sets (`bash`)
/// then also gets a set of their rarer literals.
pub fn necessary(pred: &Pred) -> Vec<Necessary> {
    match pred {
        Pred::Const(true) | Pred::Not(_) | Pred::Script(_) => Vec::new(),
        Pred::Const(false) => vec![Necessary::never()],
        Pred::Field(ft) => of_test(&ft.field, &ft.test).into_iter().collect(),
        Pred::And(ps) => ps.iter().flat_map(necessary).collect(),
        Pred::Or(ps) => {
            let per_child: Option<Vec<Vec<Necessary>>> = ps
                .iter()
                .map(|p| Some(cheapest(necessary(p), MAX_SETS)).filter(|s| !s.is_empty()))
                .collect();
            let Some(per_child) = per_child else {
                return Vec::new();
            };
            let widest = per_child.iter().map(Vec::len).max().unwrap_or(0);
            let mut out: Vec<Necessary> = Vec::new();
            for j in 0..widest {
                let choice = per_child
                    .iter()
                    .map(|sets| sets[j.min(sets.len() - 1)].clone());
                if let Some(set) = Necessary::union(choice) {
                    if !out.contains(&set) {
                        out.push(set);
                    }
                }
            }
            out
        }
    }
}

/// The `n` cheapest sets, dropping those not worth indexing.
fn cheapest(mut sets: Vec<Necessary>, n: usize) -> Vec<Necessary> {
    sets.retain(|s| s.cost < USELESS_COST);
    sets.sort_by(|a, b| a.cost.total_cmp(&b.cost));
    sets.truncate(n);
    sets
}

/// How the evaluator sees the field's values for term-level tests.
#[derive(Debug, Clone, Copy, PartialEq)]
enum View {
    /// Every value as its keyword string.
    Keyword,
    /// String values as keywords; other values as numbers / booleans.
    Loose,
}

fn view_of(ty: FieldType) -> Option<View> {
    use FieldType::*;
    match ty {
        Keyword | ConstantKeyword | Wildcard | Flattened | Object | Nested | GeoPoint | Binary
        | Version => Some(View::Keyword),
        Unmapped => Some(View::Loose),
        _ => None,
    }
}

/// A field test's atoms: literals where the field is seen as keywords, else
/// the field's presence (a test passes only on some value of the field).
fn of_test(field: &FieldRef, test: &Test) -> Option<Necessary> {
    let Some(view) = view_of(field.ty) else {
        return Some(exists(field));
    };
    if field.ty == FieldType::Version && matches!(test, Test::Range { .. }) {
        return Some(exists(field));
    }
    let lit = |text: String, shape: Shape, ci: bool| literal(field, view, text, shape, ci);
    match test {
        Test::Exists => Some(exists(field)),
        Test::Terms {
            values,
            case_insensitive,
        } => {
            let fold = |t: &String| {
                if *case_insensitive {
                    event::fold::fold_case(t).into_owned()
                } else {
                    t.clone()
                }
            };
            Necessary::union(
                values
                    .iter()
                    .map(|t| lit(fold(t), Shape::Exact, *case_insensitive)),
            )
        }
        Test::Wildcards(ps) => Necessary::union(ps.iter().map(|p| of_pattern(field, view, p))),
        Test::Numbers(ns) => {
            Necessary::union(ns.iter().map(|n| lit(number_term(*n), Shape::Exact, false)))
        }
        Test::Bool(b) => Some(lit(b.to_string(), Shape::Exact, false)),
        Test::IpNets(nets) => Necessary::union(nets.iter().flat_map(|n| {
            let mut texts = vec![n.to_string()];
            if n.prefix_len() == n.max_prefix_len() {
                texts.push(n.addr().to_string());
            }
            texts.into_iter().map(|t| lit(t, Shape::Exact, false))
        })),
        Test::Text { tokens, mode } => match mode {
            TextMode::AnyToken => {
                Necessary::union(tokens.iter().map(|t| lit(t.clone(), Shape::Exact, false)))
            }
            TextMode::Phrase if tokens.is_empty() => Some(Necessary::never()),
            TextMode::Phrase => Some(lit(tokens.join(" "), Shape::Exact, false)),
            TextMode::TokenWildcard(p) => Some(of_pattern(field, view, p)),
        },
        Test::Regexes(_) | Test::Range { .. } => Some(exists(field)),
    }
}

/// The term a query number becomes on a string field (as the evaluator
/// renders it).
fn number_term(n: Number) -> String {
    match n {
        Number::Int(i) => i.to_string(),
        Number::Float(f) => crate::java::double_to_string(f),
    }
}

fn of_pattern(field: &FieldRef, view: View, p: &Pattern) -> Necessary {
    let ci = p.is_case_insensitive();
    if let Some((text, shape)) = p.literal_hint() {
        let shape = match shape {
            "exact" => Shape::Exact,
            "prefix" => Shape::Prefix,
            "suffix" => Shape::Suffix,
            _ => Shape::Contains,
        };
        return literal(field, view, text.to_string(), shape, ci);
    }
    let Some(parts) = p.general_parts() else {
        return exists(field);
    };
    general_literals(parts)
        .map(|(text, shape)| literal(field, view, text.to_string(), shape, ci))
        .min_by(|a, b| a.cost.total_cmp(&b.cost))
        .unwrap_or_else(|| exists(field))
}

/// The literals a general pattern requires: its first part as a prefix, its
/// last as a suffix, the others as substrings.
fn general_literals(parts: &[Part]) -> impl Iterator<Item = (&str, Shape)> {
    let last = parts.len().saturating_sub(1);
    parts.iter().enumerate().filter_map(move |(i, p)| match p {
        Part::Literal(s) if i == 0 && parts.len() > 1 => Some((s.as_str(), Shape::Prefix)),
        Part::Literal(s) if i == last && i > 0 => Some((s.as_str(), Shape::Suffix)),
        Part::Literal(s) => Some((s.as_str(), Shape::Contains)),
        _ => None,
    })
}

fn exists(field: &FieldRef) -> Necessary {
    let common = COMMON_FIELDS.iter().any(|p| field.name.starts_with(p));
    let cost = if common { EXISTS } else { EXISTS_RARE };
    Necessary::one(Atom::Exists { field: field.id }, cost)
}

/// Field families most events carry: presence there says little.
const COMMON_FIELDS: &[&str] = &[
    "@timestamp",
    "event.",
    "host.",
    "agent.",
    "ecs.",
    "data_stream.",
    "process.",
    "user.",
    "source.",
    "destination.",
    "network.",
    "file.",
    "message",
    "related.",
    "cloud.",
    "winlog.",
];

/// Prefix / suffix / substring literals shorter than this match too often
/// to be worth scanning for; the field's presence is used instead.
const MIN_PARTIAL_LEN: usize = 3;

fn literal(field: &FieldRef, view: View, text: String, shape: Shape, ci: bool) -> Necessary {
    if shape != Shape::Exact && text.len() < MIN_PARTIAL_LEN {
        return exists(field);
    }
    let cost = literal_cost(&field.name, shape, text.len());
    Necessary::one(
        Atom::Literal {
            field: field.id,
            shape,
            text,
            case_insensitive: ci,
            loose: view == View::Loose,
        },
        cost,
    )
}

/// Share of events where a common field exists (rough).
const EXISTS: f64 = 0.5;
/// Share of events where another field exists (rough).
const EXISTS_RARE: f64 = 0.05;
/// Share of events holding one value of a low-cardinality field.
const LOW_CARDINALITY_EXACT: f64 = 0.25;
/// Share of events holding one value of an ordinary field.
const EXACT: f64 = 0.002;

/// Fields with few distinct values: an atom there selects a large share of
/// events, so any other necessary atom of the query is preferred.
const LOW_CARDINALITY: &[&str] = &[
    "event.category",
    "event.type",
    "event.kind",
    "event.outcome",
    "event.module",
    "event.dataset",
    "event.provider",
    "event.agent_id_status",
    "host.os.type",
    "host.os.family",
    "host.os.platform",
    "host.os.name",
    "agent.type",
    "data_stream.type",
    "data_stream.dataset",
    "data_stream.namespace",
    "network.direction",
    "network.transport",
    "network.protocol",
    "network.type",
    "ecs.version",
    "winlog.channel",
    "winlog.provider_name",
    "process.Ext.token.integrity_level_name",
    "user.domain",
    "dll.code_signature.trusted",
    "process.code_signature.trusted",
    "dll.code_signature.status",
    "process.code_signature.status",
];

/// Fields with a moderate number of distinct values.
const MEDIUM_CARDINALITY: &[&str] = &["event.action", "event.code", "winlog.event_id"];

/// Estimated share of events where a literal atom holds: exact values by the
/// field's cardinality, partial literals by their length.
fn literal_cost(field: &str, shape: Shape, len: usize) -> f64 {
    let field_floor = if LOW_CARDINALITY.contains(&field) {
        LOW_CARDINALITY_EXACT
    } else if MEDIUM_CARDINALITY.contains(&field) {
        0.03
    } else {
        EXACT
    };
    let len = len.max(1) as f64;
    let shape_cost = match shape {
        Shape::Exact => EXACT,
        Shape::Prefix | Shape::Suffix => 0.2 / len,
        Shape::Contains => 0.6 / len.powf(1.5),
    };
    shape_cost.max(field_floor).min(1.0)
}

#[cfg(test)]
mod tests;
