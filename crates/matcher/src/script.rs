//! Scripts ([`ir::Expr`]) with the semantics of Elasticsearch EQL's Painless
//! runtime (`InternalQlScriptUtils`, `InternalEqlScriptUtils` and the
//! function processors): `null` propagates, `and`/`or`/`not` are
//! three-valued, comparisons follow QL's `Comparisons` (numbers widen,
//! strings compare by UTF-16 units, mismatched types give `null`), arithmetic
//! follows QL's `Arithmetics` (exact `long` maths, overflow and `/ 0` are
//! errors, `%` keeps the dividend's sign).
//!
//! Multi-valued fields: Elasticsearch rewrites every script filter with
//! `Scripts.multiValueDocValuesRewrite`
//! (`x-pack/plugin/ql/.../expression/gen/script/Scripts.java`, applied by
//! `x-pack/plugin/eql/.../planner/QueryTranslator.java`): each *occurrence*
//! of a field becomes a variable that ranges over all of the field's doc
//! values (`InternalEqlScriptUtils.multiValueDocValues`; a missing field is
//! one `null`), and the filter matches when some choice of values makes it
//! `true`. A top-level `not` is hoisted out of that search: `not f(x)`
//! matches when no choice makes `f(x)` true (so it matches a missing `x`).

use event::Event;
use ir::{ArithOp, CmpOp, Expr, FieldRef, Function, Val};
use std::cmp::Ordering;

use crate::error::EvalError;
use crate::values::{self, Kind};
use crate::{functions, java};

/// At most this many value combinations are tried for one event (a field
/// occurrence with n values multiplies the count by n).
pub const MAX_COMBINATIONS: usize = 4096;

/// Evaluates `expr` as a script filter (`Pred::Script`): true iff some
/// choice of field values makes it evaluate to `true`.
pub fn filter(expr: &Expr, event: &Event<'_>) -> Result<bool, EvalError> {
    let mut inner = expr;
    let mut negations = 0usize;
    while let Expr::Not(x) = inner {
        negations += 1;
        inner = x;
    }
    let any = exists_true(inner, event)?;
    Ok(if negations % 2 == 1 { !any } else { any })
}

/// Evaluates `expr` reading each field's first doc value
/// (`InternalQlScriptUtils.docValue`: `doc[field].get(0)`, the smallest value).
pub fn evaluate(expr: &Expr, event: &Event<'_>) -> Result<Val, EvalError> {
    let occurrences = collect_fields(expr, event);
    let pick = vec![0; occurrences.len()];
    eval(
        expr,
        &Ctx {
            occurrences: &occurrences,
            pick: &pick,
        },
    )
}

fn exists_true(expr: &Expr, event: &Event<'_>) -> Result<bool, EvalError> {
    let occurrences = collect_fields(expr, event);
    let mut pick = vec![0usize; occurrences.len()];
    for _ in 0..MAX_COMBINATIONS {
        let ctx = Ctx {
            occurrences: &occurrences,
            pick: &pick,
        };
        if eval(expr, &ctx)? == Val::Bool(true) {
            return Ok(true);
        }
        if !advance(&mut pick, &occurrences) {
            return Ok(false);
        }
    }
    Ok(false)
}

/// Odometer over the value lists; false when every combination was seen.
fn advance(pick: &mut [usize], occurrences: &[Occurrence<'_>]) -> bool {
    for (i, occ) in occurrences.iter().enumerate().rev() {
        if pick[i] + 1 < occ.values.len() {
            pick[i] += 1;
            return true;
        }
        pick[i] = 0;
    }
    false
}

/// One `Expr::Field` node and the values it ranges over (never empty).
struct Occurrence<'x> {
    node: &'x Expr,
    values: Vec<Val>,
}

struct Ctx<'c, 'x> {
    occurrences: &'c [Occurrence<'x>],
    pick: &'c [usize],
}

impl Ctx<'_, '_> {
    fn field(&self, node: &Expr) -> Val {
        self.occurrences
            .iter()
            .position(|o| std::ptr::eq(o.node, node))
            .map(|i| self.occurrences[i].values[self.pick[i]].clone())
            .unwrap_or(Val::Null)
    }
}

fn collect_fields<'x>(expr: &'x Expr, event: &Event<'_>) -> Vec<Occurrence<'x>> {
    let mut out = Vec::new();
    expr.walk(&mut |e| {
        if let Expr::Field(f) = e {
            let mut values = doc_values(f, event);
            if values.is_empty() {
                values.push(Val::Null);
            }
            out.push(Occurrence { node: e, values });
        }
    });
    out
}

/// The doc values a script sees for `field`, sorted as doc values are: `long`
/// for integer types, `double` for floating types, strings for keywords
/// (nothing past `ignore_above`), addresses as text, booleans, dates as
/// `ZonedDateTime.toString()` text.
pub fn doc_values(field: &FieldRef, event: &Event<'_>) -> Vec<Val> {
    let mut out: Vec<Val> = event
        .values(field.id)
        .filter_map(|v| script_value(field, v))
        .collect();
    out.sort_by(sort_order);
    out.dedup();
    out
}

fn script_value(field: &FieldRef, value: &event::Value<'_>) -> Option<Val> {
    let kind = values::kind_of(field.ty, value);
    Some(match kind {
        Kind::Keyword | Kind::Version => {
            Val::Str(values::indexed_keyword(value, field.ignore_above)?.into_owned())
        }
        Kind::Text => Val::Str(value.keyword().into_owned()),
        Kind::Integer => Val::Long(value.integer()?),
        Kind::Floating { .. } => match values::numeric(kind, value)? {
            event::Number::Int(i) => Val::Double(i as f64),
            event::Number::Float(f) => Val::Double(f),
        },
        Kind::Date { .. } => Val::Str(instant_string(values::date(kind, value)?)),
        Kind::Ip => Val::Str(values::ip_to_string(values::ip(value)?)),
        Kind::Boolean => Val::Bool(values::boolean(value)?),
    })
}

fn sort_order(a: &Val, b: &Val) -> Ordering {
    compare(a, b).unwrap_or(Ordering::Equal)
}

/// `ZonedDateTime.toString()` for a UTC instant: seconds only when non-zero,
/// fractions in groups of three digits.
pub fn instant_string(nanos: i64) -> String {
    let secs = nanos.div_euclid(1_000_000_000);
    let frac = nanos.rem_euclid(1_000_000_000);
    let (y, m, d) = event::time::civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let mut s = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}",
        sod / 3600,
        sod / 60 % 60
    );
    if sod % 60 != 0 || frac != 0 {
        s.push_str(&format!(":{:02}", sod % 60));
    }
    if frac != 0 {
        if frac % 1_000_000 == 0 {
            s.push_str(&format!(".{:03}", frac / 1_000_000));
        } else if frac % 1_000 == 0 {
            s.push_str(&format!(".{:06}", frac / 1_000));
        } else {
            s.push_str(&format!(".{frac:09}"));
        }
    }
    s.push('Z');
    s
}

fn eval(e: &Expr, ctx: &Ctx<'_, '_>) -> Result<Val, EvalError> {
    match e {
        Expr::Literal(v) => Ok(v.clone()),
        Expr::Field(_) => Ok(ctx.field(e)),
        Expr::And(xs) => fold_logic(xs, ctx, and),
        Expr::Or(xs) => fold_logic(xs, ctx, or),
        Expr::Not(x) => not(eval(x, ctx)?),
        Expr::Compare { op, left, right } => {
            Ok(comparison(*op, &eval(left, ctx)?, &eval(right, ctx)?))
        }
        Expr::In {
            value,
            list,
            case_insensitive,
        } => {
            let v = eval(value, ctx)?;
            let items = list
                .iter()
                .map(|x| eval(x, ctx))
                .collect::<Result<Vec<_>, _>>()?;
            in_list(&v, &items, *case_insensitive)
        }
        Expr::Like { value, patterns } => {
            let v = eval(value, ctx)?;
            Ok(match to_text(&v) {
                None => Val::Null,
                Some(s) => Val::Bool(patterns.iter().any(|p| p.matches(&s))),
            })
        }
        Expr::Regex { value, regexes } => {
            let v = eval(value, ctx)?;
            Ok(match to_text(&v) {
                None => Val::Null,
                Some(s) => Val::Bool(regexes.iter().any(|r| r.is_match(&s))),
            })
        }
        Expr::Arith { op, left, right } => arith(*op, &eval(left, ctx)?, &eval(right, ctx)?),
        Expr::Neg(x) => negate(&eval(x, ctx)?),
        // CheckNullProcessor IS_NULL: never null itself.
        Expr::IsNull(x) => Ok(Val::Bool(eval(x, ctx)?.is_null())),
        Expr::Call {
            func,
            case_insensitive,
            args,
        } => {
            let vals = args
                .iter()
                .map(|x| eval(x, ctx))
                .collect::<Result<Vec<_>, _>>()?;
            call(*func, *case_insensitive, &vals)
        }
    }
}

fn call(func: Function, ci: bool, args: &[Val]) -> Result<Val, EvalError> {
    let arg = |i: usize| args.get(i).cloned().unwrap_or(Val::Null);
    match func {
        Function::Add => arith(ArithOp::Add, &arg(0), &arg(1)),
        Function::Subtract => arith(ArithOp::Sub, &arg(0), &arg(1)),
        Function::Multiply => arith(ArithOp::Mul, &arg(0), &arg(1)),
        Function::Divide => arith(ArithOp::Div, &arg(0), &arg(1)),
        Function::Modulo => arith(ArithOp::Mod, &arg(0), &arg(1)),
        other => functions::call(other, ci, args),
    }
}

/// Evaluates every operand (Painless evaluates all arguments), then combines.
fn fold_logic(
    xs: &[Expr],
    ctx: &Ctx<'_, '_>,
    op: fn(Val, Val) -> Result<Val, EvalError>,
) -> Result<Val, EvalError> {
    let mut iter = xs.iter();
    let Some(first) = iter.next() else {
        return Ok(Val::Null);
    };
    let mut acc = eval(first, ctx)?;
    for x in iter {
        acc = op(acc, eval(x, ctx)?)?;
    }
    Ok(acc)
}

fn as_bool(v: &Val, function: &'static str) -> Result<Option<bool>, EvalError> {
    match v {
        Val::Null => Ok(None),
        Val::Bool(b) => Ok(Some(*b)),
        other => Err(EvalError::NotABoolean {
            function,
            received: java_string(other),
        }),
    }
}

/// `BinaryLogicOperation.AND`: false wins over null.
pub fn and(l: Val, r: Val) -> Result<Val, EvalError> {
    let (a, b) = (as_bool(&l, "and")?, as_bool(&r, "and")?);
    Ok(match (a, b) {
        (Some(false), _) | (_, Some(false)) => Val::Bool(false),
        (Some(true), Some(true)) => Val::Bool(true),
        _ => Val::Null,
    })
}

/// `BinaryLogicOperation.OR`: true wins over null.
pub fn or(l: Val, r: Val) -> Result<Val, EvalError> {
    let (a, b) = (as_bool(&l, "or")?, as_bool(&r, "or")?);
    Ok(match (a, b) {
        (Some(true), _) | (_, Some(true)) => Val::Bool(true),
        (Some(false), Some(false)) => Val::Bool(false),
        _ => Val::Null,
    })
}

/// `NotProcessor`: `not null` is null.
pub fn not(v: Val) -> Result<Val, EvalError> {
    Ok(match as_bool(&v, "not")? {
        Some(b) => Val::Bool(!b),
        None => Val::Null,
    })
}

/// `Comparisons.compare`: null when either side is null or the types are not
/// comparable (Java `ClassCastException` is caught and gives null).
pub fn compare(l: &Val, r: &Val) -> Option<Ordering> {
    match (l, r) {
        (Val::Long(a), Val::Long(b)) => Some(a.cmp(b)),
        (Val::Long(a), Val::Double(b)) => Some(java_double_compare(*a as f64, *b)),
        (Val::Double(a), Val::Long(b)) => Some(java_double_compare(*a, *b as f64)),
        (Val::Double(a), Val::Double(b)) => Some(java_double_compare(*a, *b)),
        (Val::Str(a), Val::Str(b)) => Some(java::compare_utf16(a, b)),
        (Val::Bool(a), Val::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// `Double.compare`: -0.0 < 0.0, NaN equals NaN and is above everything.
fn java_double_compare(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.total_cmp(&b),
    }
}

pub fn comparison(op: CmpOp, l: &Val, r: &Val) -> Val {
    let Some(o) = compare(l, r) else {
        return Val::Null;
    };
    Val::Bool(match op {
        CmpOp::Eq => o == Ordering::Equal,
        CmpOp::NotEq => o != Ordering::Equal,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::LtEq => o != Ordering::Greater,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::GtEq => o != Ordering::Less,
    })
}

/// `InProcessor.apply`: true if some element is equal; otherwise null if some
/// comparison was null; otherwise false. `in~` uses EQL's
/// `StringComparisons.insensitiveEquals` (strings only, `*` is literal).
fn in_list(v: &Val, items: &[Val], ci: bool) -> Result<Val, EvalError> {
    let mut result = Val::Bool(false);
    for item in items {
        let eq = if ci {
            insensitive_equals(v, item)?
        } else {
            comparison(CmpOp::Eq, v, item)
        };
        match eq {
            Val::Bool(true) => return Ok(Val::Bool(true)),
            Val::Null => result = Val::Null,
            _ => {}
        }
    }
    Ok(result)
}

/// `StringComparisons.insensitiveEquals`.
pub fn insensitive_equals(l: &Val, r: &Val) -> Result<Val, EvalError> {
    match (l, r) {
        (Val::Str(a), Val::Str(b)) => Ok(Val::Bool(java::equals_ignore_case(a, b))),
        (Val::Null, _) | (_, Val::Null) => Ok(Val::Null),
        _ => Err(EvalError::InsensitiveNonString),
    }
}

/// The text `RegexOperation.match` tests: `value.toString()`; null stays null.
fn to_text(v: &Val) -> Option<String> {
    match v {
        Val::Null => None,
        other => Some(java_string(other)),
    }
}

/// `Object.toString()` of a script value.
pub fn java_string(v: &Val) -> String {
    match v {
        Val::Null => "null".into(),
        Val::Bool(b) => b.to_string(),
        Val::Long(i) => i.to_string(),
        Val::Double(d) => java::double_to_string(*d),
        Val::Str(s) => s.clone(),
    }
}

fn number(v: &Val, function: &'static str) -> Result<Option<Val>, EvalError> {
    match v {
        Val::Null => Ok(None),
        Val::Long(_) | Val::Double(_) => Ok(Some(v.clone())),
        other => Err(EvalError::NotANumber {
            function,
            received: java_string(other),
        }),
    }
}

/// `Arithmetics`: double if either side is a double, else exact long maths.
pub fn arith(op: ArithOp, l: &Val, r: &Val) -> Result<Val, EvalError> {
    let name = match op {
        ArithOp::Add => "add",
        ArithOp::Sub => "sub",
        ArithOp::Mul => "mul",
        ArithOp::Div => "div",
        ArithOp::Mod => "mod",
    };
    if l.is_null() || r.is_null() {
        return Ok(Val::Null);
    }
    let (Some(a), Some(b)) = (number(l, name)?, number(r, name)?) else {
        return Ok(Val::Null);
    };
    match (a, b) {
        (Val::Long(x), Val::Long(y)) => long_arith(op, x, y),
        (a, b) => {
            let (x, y) = (as_f64(&a), as_f64(&b));
            Ok(Val::Double(match op {
                ArithOp::Add => x + y,
                ArithOp::Sub => x - y,
                ArithOp::Mul => x * y,
                ArithOp::Div => x / y,
                ArithOp::Mod => x % y,
            }))
        }
    }
}

fn as_f64(v: &Val) -> f64 {
    match v {
        Val::Long(i) => *i as f64,
        Val::Double(d) => *d,
        _ => f64::NAN,
    }
}

fn long_arith(op: ArithOp, x: i64, y: i64) -> Result<Val, EvalError> {
    let overflow = || EvalError::Overflow("long");
    let v = match op {
        ArithOp::Add => x.checked_add(y).ok_or_else(overflow)?,
        ArithOp::Sub => x.checked_sub(y).ok_or_else(overflow)?,
        ArithOp::Mul => x.checked_mul(y).ok_or_else(overflow)?,
        ArithOp::Div if y == 0 => return Err(EvalError::DivisionByZero),
        ArithOp::Div => x.wrapping_div(y),
        ArithOp::Mod if y == 0 => return Err(EvalError::DivisionByZero),
        ArithOp::Mod => x.wrapping_rem(y),
    };
    Ok(Val::Long(v))
}

/// `Arithmetics.negate` (including its refusal to negate `Double.MIN_VALUE`).
pub fn negate(v: &Val) -> Result<Val, EvalError> {
    match number(v, "neg")? {
        None => Ok(Val::Null),
        Some(Val::Long(i)) => i
            .checked_neg()
            .map(Val::Long)
            .ok_or(EvalError::Overflow("long")),
        Some(Val::Double(d)) if d == f64::from_bits(1) => Err(EvalError::Overflow("double")),
        Some(Val::Double(d)) => Ok(Val::Double(-d)),
        Some(_) => Ok(Val::Null),
    }
}

#[cfg(test)]
mod tests;
