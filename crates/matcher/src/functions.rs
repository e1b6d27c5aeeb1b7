//! EQL string and conversion functions, ported from the processors in
//! `x-pack/plugin/eql/src/main/java/org/elasticsearch/xpack/eql/expression/function/scalar/`
//! (`string/*FunctionProcessor.java`, `string/StringUtils.java`,
//! `math/ToNumberFunctionProcessor.java`) and QL's `StartsWithFunctionProcessor`.
//! Strings are Java strings: lengths and indices count UTF-16 units.

use ir::{Function, Val};

use crate::error::EvalError;
use crate::java;
use crate::script::java_string;
use crate::values;

pub fn call(func: Function, ci: bool, args: &[Val]) -> Result<Val, EvalError> {
    let arg = |i: usize| args.get(i).unwrap_or(&Val::Null);
    match func {
        Function::Between => between(arg(0), arg(1), arg(2), args.get(3), ci),
        Function::CidrMatch => cidr_match(arg(0), args.get(1..).unwrap_or(&[])),
        Function::Concat => Ok(concat(args)),
        Function::EndsWith => affix(arg(0), arg(1), ci, "endsWith", |s, p| s.ends_with(p)),
        Function::StartsWith => affix(arg(0), arg(1), ci, "startsWith", |s, p| s.starts_with(p)),
        Function::IndexOf => index_of(arg(0), arg(1), args.get(2), ci),
        Function::Length => length(arg(0)),
        Function::Number => to_number(arg(0), args.get(1)),
        Function::String => Ok(match arg(0) {
            Val::Null => Val::Null,
            v => Val::Str(java_string(v)),
        }),
        Function::StringContains => string_contains(arg(0), arg(1), ci),
        Function::Substring => substring(arg(0), arg(1), args.get(2)),
        // Arithmetic functions are evaluated by the script module.
        Function::Add
        | Function::Subtract
        | Function::Multiply
        | Function::Divide
        | Function::Modulo => Ok(Val::Null),
    }
}

/// `Check.isString`: a string is required (null included).
fn string<'v>(v: &'v Val, function: &'static str) -> Result<&'v str, EvalError> {
    match v {
        Val::Str(s) => Ok(s),
        other => Err(EvalError::NotAString {
            function,
            received: java_string(other),
        }),
    }
}

/// A string or null (null propagates).
fn opt_string<'v>(v: &'v Val, function: &'static str) -> Result<Option<&'v str>, EvalError> {
    match v {
        Val::Null => Ok(None),
        other => string(other, function).map(Some),
    }
}

/// `Number.intValue()`: longs wrap to 32 bits, doubles saturate.
fn int_value(v: &Val, function: &'static str) -> Result<Option<i32>, EvalError> {
    match v {
        Val::Null => Ok(None),
        Val::Long(i) => Ok(Some(*i as i32)),
        Val::Double(d) => Ok(Some(*d as i32)),
        other => Err(EvalError::NotANumber {
            function,
            received: java_string(other),
        }),
    }
}

/// `StringUtils.between`: the text between the first `left` and the next (or,
/// greedy, the last) `right`; an empty argument returns the source unchanged;
/// a missing delimiter gives "".
fn between(
    source: &Val,
    left: &Val,
    right: &Val,
    greedy: Option<&Val>,
    ci: bool,
) -> Result<Val, EvalError> {
    let Some(s) = opt_string(source, "between")? else {
        return Ok(Val::Null);
    };
    let left = string(left, "between")?;
    let right = string(right, "between")?;
    let greedy = match greedy {
        None => false,
        Some(Val::Bool(b)) => *b,
        Some(other) => {
            return Err(EvalError::NotABoolean {
                function: "between",
                received: java_string(other),
            })
        }
    };
    if s.is_empty() || left.is_empty() || right.is_empty() {
        return Ok(Val::Str(s.to_string()));
    }
    let (hay, l, r) = if ci {
        (
            java::to_lower(s),
            java::to_lower(left),
            java::to_lower(right),
        )
    } else {
        (s.to_string(), left.to_string(), right.to_string())
    };
    let Some(idx) = java::index_of(&hay, &l, 0) else {
        return Ok(Val::Str(String::new()));
    };
    let start = idx + java::utf16_len(&l);
    let end = if greedy {
        java::last_index_of(&hay, &r)
    } else {
        java::index_of(&hay, &r, start as i32)
    };
    Ok(Val::Str(match end {
        Some(end) if end >= start => java::substring_utf16(s, start, end),
        // Java's substring(start, end) with end < start throws; the greedy
        // `lastIndexOf` can land before `start` (e.g. overlapping delimiters).
        Some(end) => {
            return Err(EvalError::IndexOutOfBounds {
                function: "between",
                begin: start,
                end,
            })
        }
        None => String::new(),
    }))
}

/// `CIDRUtils.isInRange(address, cidrs...)`.
fn cidr_match(source: &Val, cidrs: &[Val]) -> Result<Val, EvalError> {
    let Some(addr) = opt_string(source, "cidrMatch")? else {
        return Ok(Val::Null);
    };
    let key = values::ip_text_key(addr).ok_or_else(|| {
        EvalError::InvalidAddress(format!("'{addr}' is not an IP string literal."))
    })?;
    let is_v4 = addr.parse::<std::net::Ipv4Addr>().is_ok();
    for c in cidrs {
        let text = string(c, "cidrMatch")?;
        let net = values::parse_net(text).ok_or_else(|| {
            EvalError::InvalidAddress(format!("'{text}' is not a valid CIDR block"))
        })?;
        // Address and block must be of the same family (byte arrays of equal length).
        let same_family = matches!(net, ipnet::IpNet::V4(_)) == is_v4;
        if same_family && values::net_contains(&net, key) {
            return Ok(Val::Bool(true));
        }
    }
    Ok(Val::Bool(false))
}

/// `ConcatFunctionProcessor`: any null argument makes the result null.
fn concat(args: &[Val]) -> Val {
    let mut out = String::new();
    for a in args {
        if a.is_null() {
            return Val::Null;
        }
        out.push_str(&java_string(a));
    }
    Val::Str(out)
}

/// `startsWith` / `endsWith`: null source or pattern gives null.
fn affix(
    source: &Val,
    pattern: &Val,
    ci: bool,
    name: &'static str,
    test: fn(&str, &str) -> bool,
) -> Result<Val, EvalError> {
    let Some(s) = opt_string(source, name)? else {
        return Ok(Val::Null);
    };
    let Some(p) = opt_string(pattern, name)? else {
        return Ok(Val::Null);
    };
    Ok(Val::Bool(if ci {
        test(&java::to_lower(s), &java::to_lower(p))
    } else {
        test(s, p)
    }))
}

/// `IndexOfFunctionProcessor`: position in UTF-16 units, null when absent.
fn index_of(source: &Val, sub: &Val, start: Option<&Val>, ci: bool) -> Result<Val, EvalError> {
    let Some(s) = opt_string(source, "indexOf")? else {
        return Ok(Val::Null);
    };
    let Some(sub) = opt_string(sub, "indexOf")? else {
        return Ok(Val::Null);
    };
    let start = match start {
        Some(v) => int_value(v, "indexOf")?.unwrap_or(0),
        None => 0,
    };
    let found = if ci {
        java::index_of(&java::to_lower(s), &java::to_lower(sub), start)
    } else {
        java::index_of(s, sub, start)
    };
    Ok(found.map_or(Val::Null, |i| Val::Long(i as i64)))
}

fn length(v: &Val) -> Result<Val, EvalError> {
    Ok(match opt_string(v, "length")? {
        None => Val::Null,
        Some(s) => Val::Long(java::utf16_len(s) as i64),
    })
}

/// `ToNumberFunctionProcessor`: base 10 parses a long, else a double; a
/// `0x` prefix selects (and with base 16 is stripped for) hexadecimal.
fn to_number(value: &Val, base: Option<&Val>) -> Result<Val, EvalError> {
    let Some(s) = opt_string(value, "number")? else {
        return Ok(Val::Null);
    };
    let hex = s.starts_with("0x");
    let radix = match base {
        None | Some(Val::Null) => {
            if hex {
                16
            } else {
                10
            }
        }
        Some(Val::Long(b)) if i32::try_from(*b).is_ok() => *b,
        Some(other) => return Err(EvalError::BadBase(java_string(other))),
    };
    let text = if hex && radix == 16 { &s[2..] } else { s };
    let fail = || EvalError::NumberFormat {
        value: text.to_string(),
        base: radix,
    };
    if radix == 10 {
        if let Some(l) = java::parse_long(text, 10) {
            return Ok(Val::Long(l));
        }
        return java::parse_double(text).map(Val::Double).ok_or_else(fail);
    }
    let r = u32::try_from(radix).map_err(|_| fail())?;
    java::parse_long(text, r).map(Val::Long).ok_or_else(fail)
}

/// `StringContainsFunctionProcessor`: an empty source or substring gives false.
fn string_contains(source: &Val, sub: &Val, ci: bool) -> Result<Val, EvalError> {
    let Some(s) = opt_string(source, "stringContains")? else {
        return Ok(Val::Null);
    };
    let sub = string(sub, "stringContains")?;
    if s.is_empty() || sub.is_empty() {
        return Ok(Val::Bool(false));
    }
    Ok(Val::Bool(if ci {
        java::to_lower(s).contains(&java::to_lower(sub))
    } else {
        s.contains(sub)
    }))
}

/// `SubstringFunctionProcessor` + `StringUtils.substringSlice`: Python slice
/// semantics (negative indices count from the end); a null start returns the
/// source, a null end means the end.
fn substring(source: &Val, start: &Val, end: Option<&Val>) -> Result<Val, EvalError> {
    let Some(s) = opt_string(source, "substring")? else {
        return Ok(Val::Null);
    };
    let Some(start) = int_value(start, "substring")? else {
        return Ok(Val::Str(s.to_string()));
    };
    let len = java::utf16_len(s) as i64;
    let end = match end {
        Some(v) => int_value(v, "substring")?.map_or(len, i64::from),
        None => len,
    };
    if s.is_empty() {
        return Ok(Val::Str(String::new()));
    }
    let mut start = i64::from(start);
    let mut end = end;
    if start < 0 {
        start += len;
    }
    start = start.max(0);
    if end < 0 {
        end += len;
    }
    end = end.clamp(0, len);
    if start >= end {
        return Ok(Val::Str(String::new()));
    }
    Ok(Val::Str(java::substring_utf16(
        s,
        start as usize,
        end as usize,
    )))
}
