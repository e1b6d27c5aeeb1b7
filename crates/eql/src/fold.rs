//! Constant folding: evaluating operators and EQL functions on literals at
//! compile time, as Elasticsearch's optimizer does (`ConstantFolding`), so that
//! `serial_event_id == number("5")` becomes a term query on `5`.
//!
//! Semantics follow the EQL function processors (`x-pack/plugin/eql/.../
//! expression/function/scalar/**/…FunctionProcessor.java`, `util/StringUtils.java`):
//! null propagates; strings are indexed in UTF-16 code units as Java does;
//! integer arithmetic is 64-bit and fails on overflow or division by zero.
//! `None` means "not foldable here" (the expression is left to run as a script).

use crate::ast::{ArithOp, CmpOp};
use event::fold::fold_case;
use ir::{Function, Val};
use std::cmp::Ordering;

/// Java's `String.valueOf` for a literal (used by `concat` and `string`).
pub fn to_java_string(v: &Val) -> Option<String> {
    Some(match v {
        Val::Null => return None,
        Val::Bool(b) => b.to_string(),
        Val::Long(n) => n.to_string(),
        Val::Double(d) => java_double(*d),
        Val::Str(s) => s.clone(),
    })
}

/// `Double.toString` (one implementation for folding and evaluation:
/// [`ir::java::double_to_string`]).
pub fn java_double(d: f64) -> String {
    ir::java::double_to_string(d)
}

pub fn not(v: &Val) -> Option<Val> {
    match v {
        Val::Null => Some(Val::Null),
        Val::Bool(b) => Some(Val::Bool(!b)),
        _ => None,
    }
}

/// Three-valued `and`.
pub fn and(a: &Val, b: &Val) -> Option<Val> {
    match (a, b) {
        (Val::Bool(false), _) | (_, Val::Bool(false)) => Some(Val::Bool(false)),
        (Val::Bool(true), Val::Bool(true)) => Some(Val::Bool(true)),
        (Val::Null | Val::Bool(_), Val::Null | Val::Bool(_)) => Some(Val::Null),
        _ => None,
    }
}

/// Three-valued `or`.
pub fn or(a: &Val, b: &Val) -> Option<Val> {
    match (a, b) {
        (Val::Bool(true), _) | (_, Val::Bool(true)) => Some(Val::Bool(true)),
        (Val::Bool(false), Val::Bool(false)) => Some(Val::Bool(false)),
        (Val::Null | Val::Bool(_), Val::Null | Val::Bool(_)) => Some(Val::Null),
        _ => None,
    }
}

/// Orders two non-null literals of compatible types.
pub fn compare_vals(a: &Val, b: &Val) -> Option<Ordering> {
    match (a, b) {
        (Val::Long(x), Val::Long(y)) => Some(x.cmp(y)),
        (Val::Long(_) | Val::Double(_), Val::Long(_) | Val::Double(_)) => {
            as_f64(a)?.partial_cmp(&as_f64(b)?)
        }
        (Val::Str(x), Val::Str(y)) => Some(x.encode_utf16().cmp(y.encode_utf16())),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

pub fn compare(op: CmpOp, a: &Val, b: &Val) -> Option<Val> {
    if a.is_null() || b.is_null() {
        return Some(Val::Null);
    }
    let ord = compare_vals(a, b)?;
    Some(Val::Bool(match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::NotEq => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::LtEq => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::GtEq => ord != Ordering::Less,
    }))
}

/// Case-insensitive equality (`:` without wildcards, `in~`).
pub fn insensitive_eq(a: &Val, b: &Val) -> Option<Val> {
    match (a, b) {
        (Val::Null, _) | (_, Val::Null) => Some(Val::Null),
        (Val::Str(x), Val::Str(y)) => Some(Val::Bool(fold_case(x) == fold_case(y))),
        _ => compare(CmpOp::Eq, a, b),
    }
}

fn as_f64(v: &Val) -> Option<f64> {
    match v {
        Val::Long(n) => Some(*n as f64),
        Val::Double(d) => Some(*d),
        _ => None,
    }
}

pub fn arith(op: ArithOp, a: &Val, b: &Val) -> Option<Val> {
    if a.is_null() || b.is_null() {
        return Some(Val::Null);
    }
    match (a, b) {
        (Val::Long(x), Val::Long(y)) => {
            let r = match op {
                ArithOp::Add => x.checked_add(*y),
                ArithOp::Sub => x.checked_sub(*y),
                ArithOp::Mul => x.checked_mul(*y),
                ArithOp::Div => x.checked_div(*y),
                ArithOp::Mod => x.checked_rem(*y),
            };
            r.map(Val::Long)
        }
        _ => {
            let (x, y) = (as_f64(a)?, as_f64(b)?);
            let r = match op {
                ArithOp::Add => x + y,
                ArithOp::Sub => x - y,
                ArithOp::Mul => x * y,
                ArithOp::Div => x / y,
                ArithOp::Mod => x % y,
            };
            r.is_finite().then_some(Val::Double(r))
        }
    }
}

pub fn neg(v: &Val) -> Option<Val> {
    match v {
        Val::Null => Some(Val::Null),
        Val::Long(n) => n.checked_neg().map(Val::Long),
        Val::Double(d) => Some(Val::Double(-d)),
        _ => None,
    }
}

fn utf16(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

fn from_utf16(units: &[u16]) -> String {
    String::from_utf16_lossy(units)
}

fn index_of(hay: &[u16], needle: &[u16], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return (from <= hay.len()).then_some(from);
    }
    if from >= hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

fn last_index_of(hay: &[u16], needle: &[u16]) -> Option<usize> {
    if needle.is_empty() {
        return Some(hay.len());
    }
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn lower(s: &str, ci: bool) -> String {
    if ci {
        fold_case(s).into_owned()
    } else {
        s.to_string()
    }
}

fn str_arg(v: &Val) -> Option<Option<&str>> {
    match v {
        Val::Null => Some(None),
        Val::Str(s) => Some(Some(s)),
        _ => None,
    }
}

fn int_arg(v: &Val) -> Option<Option<i64>> {
    match v {
        Val::Null => Some(None),
        Val::Long(n) => Some(Some(*n)),
        Val::Double(d) if d.fract() == 0.0 && d.abs() < 9e15 => Some(Some(*d as i64)),
        _ => None,
    }
}

/// Evaluates `func(args)` on literals; `None` when not foldable.
pub fn call(func: Function, ci: bool, args: &[Val]) -> Option<Val> {
    use Function::*;
    match func {
        Add => arith(ArithOp::Add, args.first()?, args.get(1)?),
        Subtract => arith(ArithOp::Sub, args.first()?, args.get(1)?),
        Multiply => arith(ArithOp::Mul, args.first()?, args.get(1)?),
        Divide => arith(ArithOp::Div, args.first()?, args.get(1)?),
        Modulo => arith(ArithOp::Mod, args.first()?, args.get(1)?),
        Between => between(args, ci),
        CidrMatch => cidr_match(args),
        Concat => {
            let mut out = std::string::String::new();
            for a in args {
                match to_java_string(a) {
                    Some(s) => out.push_str(&s),
                    None => return Some(Val::Null),
                }
            }
            Some(Val::Str(out))
        }
        EndsWith | StartsWith | StringContains => {
            let (Some(s), Some(p)) = (str_arg(args.first()?)?, str_arg(args.get(1)?)?) else {
                return Some(Val::Null);
            };
            let (s, p) = (lower(s, ci), lower(p, ci));
            Some(Val::Bool(match func {
                EndsWith => s.ends_with(&p),
                StartsWith => s.starts_with(&p),
                _ => s.contains(&p),
            }))
        }
        IndexOf => {
            let (Some(s), Some(p)) = (str_arg(args.first()?)?, str_arg(args.get(1)?)?) else {
                return Some(Val::Null);
            };
            let start = match args.get(2) {
                Some(v) => int_arg(v)?.unwrap_or(0),
                None => 0,
            };
            let (s, p) = (utf16(&lower(s, ci)), utf16(&lower(p, ci)));
            let from = usize::try_from(start.max(0)).ok()?;
            Some(index_of(&s, &p, from).map_or(Val::Null, |i| Val::Long(i as i64)))
        }
        Length => match str_arg(args.first()?)? {
            Some(s) => Some(Val::Long(s.encode_utf16().count() as i64)),
            None => Some(Val::Null),
        },
        Number => number(args),
        String => Some(to_java_string(args.first()?).map_or(Val::Null, Val::Str)),
        Substring => substring(args),
    }
}

/// `StringUtils.between`: the text between the first `left` and the next (or,
/// greedy, the last) `right`; `""` when either is missing.
fn between(args: &[Val], ci: bool) -> Option<Val> {
    let (Some(s), Some(l), Some(r)) = (
        str_arg(args.first()?)?,
        str_arg(args.get(1)?)?,
        str_arg(args.get(2)?)?,
    ) else {
        return Some(Val::Null);
    };
    let greedy = match args.get(3) {
        Some(Val::Bool(b)) => *b,
        Some(Val::Null) | None => false,
        Some(_) => return None,
    };
    let original = utf16(s);
    let (hay, left, right) = (
        utf16(&lower(s, ci)),
        utf16(&lower(l, ci)),
        utf16(&lower(r, ci)),
    );
    if hay.len() != original.len() {
        return None;
    }
    let Some(li) = index_of(&hay, &left, 0) else {
        return Some(Val::Str(std::string::String::new()));
    };
    let start = li + left.len();
    let ri = if greedy {
        last_index_of(&hay, &right).filter(|&i| i >= start)
    } else {
        index_of(&hay, &right, start)
    };
    match ri {
        // Case folding can change the length (`İ`): then the offsets do not
        // apply to the original text and the call is left to run as a script.
        Some(ri) => original
            .get(start..ri)
            .map(|units| Val::Str(from_utf16(units))),
        None => Some(Val::Str(std::string::String::new())),
    }
}

fn cidr_match(args: &[Val]) -> Option<Val> {
    let ip = match str_arg(args.first()?)? {
        Some(s) => event::value::parse_ip(s)?,
        None => return Some(Val::Null),
    };
    for a in &args[1..] {
        let net = parse_cidr(str_arg(a)??)?;
        if net.contains(&ip) {
            return Some(Val::Bool(true));
        }
    }
    Some(Val::Bool(false))
}

/// An address or CIDR block (`10.0.0.1`, `10.0.0.0/8`, `10.6.48.157/8`), normalised.
pub fn parse_cidr(s: &str) -> Option<ipnet::IpNet> {
    let s = s.trim();
    if let Ok(net) = s.parse::<ipnet::IpNet>() {
        return Some(net.trunc());
    }
    event::value::parse_ip(s).map(ipnet::IpNet::from)
}

/// `ToNumberFunctionProcessor`: base 10 reads a long or a double; other bases
/// read a long (`0x` accepted for base 16).
fn number(args: &[Val]) -> Option<Val> {
    let Some(s) = str_arg(args.first()?)? else {
        return Some(Val::Null);
    };
    let base = match args.get(1) {
        Some(v) => int_arg(v)?.unwrap_or(10),
        None => 10,
    };
    let s = s.trim();
    if base == 10 {
        if let Ok(n) = s.parse::<i64>() {
            return Some(Val::Long(n));
        }
        return s
            .parse::<f64>()
            .ok()
            .filter(|d| d.is_finite())
            .map(Val::Double);
    }
    let radix = u32::try_from(base).ok().filter(|b| (2..=36).contains(b))?;
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let digits = if radix == 16 {
        digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
            .unwrap_or(digits)
    } else {
        digits
    };
    let n = i64::from_str_radix(digits, radix).ok()?;
    Some(Val::Long(if negative { -n } else { n }))
}

/// `StringUtils.substringSlice`: Python-like slicing with negative indexes.
fn substring(args: &[Val]) -> Option<Val> {
    let Some(s) = str_arg(args.first()?)? else {
        return Some(Val::Null);
    };
    let units = utf16(s);
    let len = units.len() as i64;
    let Some(mut start) = int_arg(args.get(1)?)? else {
        return Some(Val::Null);
    };
    let mut end = match args.get(2) {
        Some(v) => int_arg(v)?.unwrap_or(len),
        None => len,
    };
    if units.is_empty() {
        return Some(Val::Str(String::new()));
    }
    if start < 0 {
        start += len;
    }
    start = start.max(0);
    if end < 0 {
        end += len;
    }
    end = end.clamp(0, len);
    if start >= end {
        return Some(Val::Str(String::new()));
    }
    Some(Val::Str(from_utf16(&units[start as usize..end as usize])))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Val {
        Val::Str(x.into())
    }

    // Expected values from Elasticsearch's test_queries.toml (between1,
    // betweenCaseSensitive, betweenCaseInsensitive1, substring4/5, indexOf*).
    #[test]
    fn string_functions_match_elasticsearch() {
        let name = s("System Idle Process");
        assert_eq!(
            call(
                Function::Between,
                false,
                &[name.clone(), s("s"), s("e"), Val::Bool(false)]
            ),
            Some(s("t"))
        );
        assert_eq!(
            call(
                Function::Between,
                false,
                &[name.clone(), s("S"), s("e"), Val::Bool(true)]
            ),
            Some(s("ystem Idle Proc"))
        );
        assert_eq!(
            call(Function::Between, true, &[name.clone(), s("s"), s("E")]),
            Some(s("yst"))
        );
        assert_eq!(
            call(Function::Between, false, &[name, s("g"), s("z")]),
            Some(s(""))
        );
        assert_eq!(
            call(
                Function::Substring,
                false,
                &[s("explorer.exe"), Val::Long(-4)]
            ),
            Some(s(".exe"))
        );
        assert_eq!(
            call(
                Function::Substring,
                false,
                &[s("explorer.exe"), Val::Long(-4), Val::Long(-1)]
            ),
            Some(s(".ex"))
        );
        assert_eq!(
            call(
                Function::Substring,
                false,
                &[s("explorer.exe"), Val::Long(1), Val::Long(3)]
            ),
            Some(s("xp"))
        );
        assert_eq!(
            call(Function::IndexOf, true, &[s("explorer.exe"), s("PLORE")]),
            Some(Val::Long(2))
        );
        assert_eq!(
            call(
                Function::IndexOf,
                false,
                &[s("explorer.exe"), s("plore"), Val::Long(100)]
            ),
            Some(Val::Null)
        );
        assert_eq!(
            call(
                Function::StartsWith,
                true,
                &[s("explorer.exeaAAAA"), s("EXPLORER.exe")]
            ),
            Some(Val::Bool(true))
        );
        assert_eq!(
            call(Function::Length, false, &[s("a💩")]),
            Some(Val::Long(3))
        );
    }

    #[test]
    fn numbers_and_concat() {
        assert_eq!(
            call(Function::Number, false, &[s("0x32"), Val::Long(16)]),
            Some(Val::Long(50))
        );
        assert_eq!(
            call(Function::Number, false, &[s("32"), Val::Long(16)]),
            Some(Val::Long(50))
        );
        assert_eq!(
            call(Function::Number, false, &[s("5.5")]),
            Some(Val::Double(5.5))
        );
        assert_eq!(call(Function::Number, false, &[s("x")]), None);
        assert_eq!(
            call(
                Function::Concat,
                false,
                &[Val::Long(5), s(":"), s("wininit.exe"), Val::Double(3.0)]
            ),
            Some(s("5:wininit.exe3.0"))
        );
        assert_eq!(
            call(Function::Concat, false, &[s("a"), Val::Null]),
            Some(Val::Null)
        );
        assert_eq!(
            call(Function::Divide, false, &[Val::Long(30), Val::Double(4.0)]),
            Some(Val::Double(7.5))
        );
        assert_eq!(
            call(Function::Divide, false, &[Val::Long(7), Val::Long(2)]),
            Some(Val::Long(3))
        );
        assert_eq!(
            call(Function::Divide, false, &[Val::Long(7), Val::Long(0)]),
            None
        );
        assert_eq!(
            call(Function::Modulo, false, &[Val::Long(-7), Val::Long(2)]),
            Some(Val::Long(-1))
        );
        assert_eq!(java_double(1e20), "1.0E20");
        assert_eq!(java_double(0.5), "0.5");
        assert_eq!(java_double(3.0), "3.0");
    }

    #[test]
    fn cidr_and_logic() {
        assert_eq!(
            call(
                Function::CidrMatch,
                false,
                &[s("10.6.48.157"), s("10.6.48.157/8")]
            ),
            Some(Val::Bool(true))
        );
        assert_eq!(
            call(
                Function::CidrMatch,
                false,
                &[s("10.6.48.157"), s("192.168.0.0/16")]
            ),
            Some(Val::Bool(false))
        );
        assert_eq!(and(&Val::Null, &Val::Bool(false)), Some(Val::Bool(false)));
        assert_eq!(and(&Val::Null, &Val::Bool(true)), Some(Val::Null));
        assert_eq!(or(&Val::Null, &Val::Bool(true)), Some(Val::Bool(true)));
        assert_eq!(
            compare(CmpOp::Lt, &s("System"), &s("system")),
            Some(Val::Bool(true))
        );
        assert_eq!(
            compare(CmpOp::Eq, &Val::Long(1), &Val::Double(1.0)),
            Some(Val::Bool(true))
        );
    }
}
