//! Predicates ([`ir::Pred`]) with query-DSL semantics: a field test is true
//! when some indexed value of the field passes it, seen through the field's
//! mapping type; `Not` is `bool.must_not`; a `Script` is true only when the
//! script returns `true`. Nothing here allocates for term / wildcard tests on
//! string values that borrow from the document.

use event::{Event, Number, Value};
use ir::{FieldRef, FieldTest, Pred, RangeBound, RangeValue, Test, TextMode};
use std::cmp::Ordering;

use crate::error::EvalError;
use crate::values::{self, Kind};
use crate::{dates, java, script};

/// Evaluates `pred` on `event`. Field tests never fail; a script may, and the
/// error is returned (Elasticsearch would fail the search).
///
/// In `And` / `Or`, field tests run before scripts, as Lucene runs a script
/// query only on documents the cheaper clauses admit: `a and script` does
/// not evaluate the script where `a` is false.
pub fn eval(pred: &Pred, event: &Event<'_>) -> Result<bool, EvalError> {
    match pred {
        Pred::Const(b) => Ok(*b),
        Pred::Field(ft) => Ok(field_test(ft, event)),
        Pred::Script(expr) => script::filter(expr, event),
        Pred::Not(inner) => eval(inner, event).map(|b| !b),
        Pred::And(ps) => {
            for p in ps.iter().filter(|p| !is_script(p)) {
                if !eval(p, event)? {
                    return Ok(false);
                }
            }
            for p in ps.iter().filter(|p| is_script(p)) {
                if !eval(p, event)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Pred::Or(ps) => {
            for p in ps.iter().filter(|p| !is_script(p)) {
                if eval(p, event)? {
                    return Ok(true);
                }
            }
            for p in ps.iter().filter(|p| is_script(p)) {
                if eval(p, event)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
    }
}

/// [`eval`] with script errors counted as "no match".
pub fn matches(pred: &Pred, event: &Event<'_>) -> bool {
    eval(pred, event).unwrap_or(false)
}

fn is_script(p: &Pred) -> bool {
    matches!(p, Pred::Script(_))
}

/// A term-level test: true iff some value of the field passes.
pub fn field_test(ft: &FieldTest, event: &Event<'_>) -> bool {
    let field = &ft.field;
    event
        .values(field.id)
        .any(|v| value_passes(&ft.test, field, v))
}

pub(crate) fn value_passes(test: &Test, field: &FieldRef, value: &Value<'_>) -> bool {
    match values::kind_of(field.ty, value) {
        Kind::Keyword => keyword_passes(test, field, value),
        Kind::Text => text_passes(test, value),
        k @ (Kind::Integer | Kind::Floating { .. }) => numeric_passes(test, k, value),
        k @ Kind::Date { .. } => date_passes(test, k, value),
        Kind::Ip => ip_passes(test, value),
        Kind::Boolean => bool_passes(test, value),
        Kind::Version => version_passes(test, value),
    }
}

/// The term a query value becomes on a string field.
fn number_term(n: Number) -> String {
    match n {
        Number::Int(i) => i.to_string(),
        Number::Float(f) => java::double_to_string(f),
    }
}

fn keyword_passes(test: &Test, field: &FieldRef, value: &Value<'_>) -> bool {
    let Some(kw) = values::indexed_keyword(value, field.ignore_above) else {
        return false;
    };
    string_passes(test, &kw)
}

/// Tests on a single indexed string term (keyword values, version text,
/// analysed tokens).
fn string_passes(test: &Test, term: &str) -> bool {
    match test {
        Test::Exists => true,
        Test::Terms {
            values,
            case_insensitive,
        } => values.iter().any(|t| {
            if *case_insensitive {
                event::fold::eq_fold(term, t)
            } else {
                term == t
            }
        }),
        Test::Wildcards(ps) => ps.iter().any(|p| p.matches(term)),
        Test::Regexes(rs) => rs.iter().any(|r| r.is_match(term)),
        Test::Numbers(ns) => ns.iter().any(|n| number_term(*n) == term),
        Test::Bool(b) => term == if *b { "true" } else { "false" },
        Test::IpNets(nets) => nets.iter().any(|n| net_term_eq(n, term)),
        Test::Range { lower, upper } => in_range(lower, upper, |b| string_bound_cmp(term, b)),
        Test::Text { tokens, mode } => match mode {
            TextMode::AnyToken => tokens.iter().any(|t| t == term),
            TextMode::Phrase => !tokens.is_empty() && tokens.join(" ") == term,
            TextMode::TokenWildcard(p) => p.matches(term),
        },
    }
}

/// A CIDR / address query value on a string field is the literal text.
fn net_term_eq(net: &ipnet::IpNet, term: &str) -> bool {
    if net.prefix_len() == net.max_prefix_len() && net.addr().to_string() == term {
        return true;
    }
    net.to_string() == term
}

fn string_bound_cmp(term: &str, bound: &RangeValue) -> Option<Ordering> {
    let text = match bound {
        RangeValue::Str(s) => return Some(term.as_bytes().cmp(s.as_bytes())),
        RangeValue::Number(n) => number_term(*n),
        RangeValue::Date(d) => event::time::format_nanos(*d),
        RangeValue::Ip(k) => values::ip_to_string(*k),
    };
    Some(term.as_bytes().cmp(text.as_bytes()))
}

/// True when `cmp(bound)` (value compared with the bound) satisfies both
/// bounds; an incomparable bound fails.
fn in_range(
    lower: &Option<RangeBound>,
    upper: &Option<RangeBound>,
    cmp: impl Fn(&RangeValue) -> Option<Ordering>,
) -> bool {
    let lower_ok = lower.as_ref().is_none_or(|b| match cmp(&b.value) {
        Some(Ordering::Greater) => true,
        Some(Ordering::Equal) => b.inclusive,
        _ => false,
    });
    let upper_ok = upper.as_ref().is_none_or(|b| match cmp(&b.value) {
        Some(Ordering::Less) => true,
        Some(Ordering::Equal) => b.inclusive,
        _ => false,
    });
    lower_ok && upper_ok
}

fn text_passes(test: &Test, value: &Value<'_>) -> bool {
    let text = value.keyword();
    let tokens = event::analysis::standard_tokens(&text);
    match test {
        Test::Exists => true,
        Test::Text {
            tokens: query,
            mode,
        } => match mode {
            TextMode::AnyToken => query.iter().any(|q| tokens.contains(q)),
            TextMode::Phrase => {
                !query.is_empty()
                    && tokens
                        .windows(query.len())
                        .any(|w| w.iter().zip(query).all(|(a, b)| a == b))
            }
            TextMode::TokenWildcard(p) => tokens.iter().any(|t| p.matches(t)),
        },
        other => tokens.iter().any(|t| string_passes(other, t)),
    }
}

fn numeric_passes(test: &Test, kind: Kind, value: &Value<'_>) -> bool {
    let Some(v) = values::numeric(kind, value) else {
        return false;
    };
    let eq = |q: Number| values::query_number(kind, q).is_some_and(|q| v.num_eq(q));
    match test {
        Test::Exists => true,
        Test::Numbers(ns) => ns.iter().any(|n| eq(*n)),
        Test::Terms { values: ts, .. } => {
            ts.iter().any(|t| Number::parse(t.trim()).is_some_and(eq))
        }
        Test::Range { lower, upper } => in_range(lower, upper, |b| match b {
            RangeValue::Number(n) => v.cmp_num(*n),
            RangeValue::Str(s) => Number::parse(s.trim()).and_then(|n| v.cmp_num(n)),
            RangeValue::Date(d) => v.cmp_num(Number::Int(d.div_euclid(1_000_000))),
            RangeValue::Ip(_) => None,
        }),
        Test::Text {
            tokens,
            mode: TextMode::AnyToken | TextMode::Phrase,
        } => tokens.iter().any(|t| Number::parse(t).is_some_and(eq)),
        _ => false,
    }
}

fn date_passes(test: &Test, kind: Kind, value: &Value<'_>) -> bool {
    let Some(v) = values::date(kind, value) else {
        return false;
    };
    let millis = |n: Number| match n {
        Number::Int(ms) => ms.checked_mul(1_000_000),
        Number::Float(ms) if ms.is_finite() => Some((ms * 1e6) as i64),
        Number::Float(_) => None,
    };
    match test {
        Test::Exists => true,
        Test::Terms { values: ts, .. } => ts.iter().any(|t| {
            matches!((dates::parse_bound(t, false), dates::parse_bound(t, true)), (Some(lo), Some(hi)) if lo <= v && v <= hi)
        }),
        Test::Numbers(ns) => ns.iter().any(|n| millis(*n) == Some(v)),
        Test::Range { lower, upper } => {
            let lo_ok = lower.as_ref().is_none_or(|b| {
                date_bound(&b.value, !b.inclusive, millis).is_some_and(|x| if b.inclusive { v >= x } else { v > x })
            });
            let hi_ok = upper.as_ref().is_none_or(|b| {
                date_bound(&b.value, b.inclusive, millis).is_some_and(|x| if b.inclusive { v <= x } else { v < x })
            });
            lo_ok && hi_ok
        }
        _ => false,
    }
}

/// A range bound on a date field; text bounds round up for `gt` / `lte`.
fn date_bound(
    b: &RangeValue,
    round_up: bool,
    millis: impl Fn(Number) -> Option<i64>,
) -> Option<i64> {
    match b {
        RangeValue::Date(d) => Some(*d),
        RangeValue::Number(n) => millis(*n),
        RangeValue::Str(s) => dates::parse_bound(s, round_up),
        RangeValue::Ip(_) => None,
    }
}

fn ip_passes(test: &Test, value: &Value<'_>) -> bool {
    let Some(k) = values::ip(value) else {
        return false;
    };
    match test {
        Test::Exists => true,
        Test::IpNets(nets) => nets.iter().any(|n| values::net_contains(n, k)),
        Test::Terms { values: ts, .. } => ts
            .iter()
            .any(|t| values::parse_net(t).is_some_and(|n| values::net_contains(&n, k))),
        Test::Range { lower, upper } => in_range(lower, upper, |b| match b {
            RangeValue::Ip(x) => Some(k.cmp(x)),
            RangeValue::Str(s) => values::ip_text_key(s).map(|x| k.cmp(&x)),
            _ => None,
        }),
        _ => false,
    }
}

fn bool_passes(test: &Test, value: &Value<'_>) -> bool {
    let Some(v) = values::boolean(value) else {
        return false;
    };
    let parse = |s: &str| match s {
        "true" => Some(true),
        "false" | "" => Some(false),
        _ => None,
    };
    match test {
        Test::Exists => true,
        Test::Bool(b) => v == *b,
        Test::Terms { values: ts, .. } => ts.iter().any(|t| parse(t) == Some(v)),
        Test::Range { lower, upper } => in_range(lower, upper, |b| match b {
            RangeValue::Str(s) => parse(s).map(|x| v.cmp(&x)),
            _ => None,
        }),
        _ => false,
    }
}

fn version_passes(test: &Test, value: &Value<'_>) -> bool {
    let text = value.keyword();
    match test {
        Test::Range { lower, upper } => in_range(lower, upper, |b| match b {
            RangeValue::Str(s) => Some(values::compare_versions(&text, s)),
            _ => None,
        }),
        other => string_passes(other, &text),
    }
}

#[cfg(test)]
mod tests;
