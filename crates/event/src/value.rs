//! Field values as read from a document, and how each mapping type sees them.
//!
//! Elasticsearch indexes a JSON value according to the field's type: a number in
//! a `keyword` field is the term `"123"`, a string `"123"` in a `long` field is
//! the number 123 (with `coerce`, fractions truncated for integer types), a string
//! in an `ip` field is an address. [`Value`] keeps the JSON value; the accessors
//! here give each type's view of it.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::net::IpAddr;

/// A scalar JSON value (nulls are absent values and never stored).
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(Cow<'a, str>),
}

impl<'a> Value<'a> {
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Bool(b) => Value::Bool(b),
            Value::Int(i) => Value::Int(i),
            Value::UInt(u) => Value::UInt(u),
            Value::Float(f) => Value::Float(f),
            Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The term a `keyword` field indexes for this value.
    pub fn keyword(&self) -> Cow<'_, str> {
        match self {
            Value::Str(s) => Cow::Borrowed(s.as_ref()),
            Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Value::Int(i) => Cow::Owned(i.to_string()),
            Value::UInt(u) => Cow::Owned(u.to_string()),
            Value::Float(f) => Cow::Owned(format_float(*f)),
        }
    }

    /// The number a numeric field indexes (strings parsed, as with `coerce`).
    pub fn number(&self) -> Option<Number> {
        match self {
            Value::Int(i) => Some(Number::Int(*i)),
            Value::UInt(u) => Some(if *u <= i64::MAX as u64 {
                Number::Int(*u as i64)
            } else {
                Number::Float(*u as f64)
            }),
            Value::Float(f) => Some(Number::Float(*f)),
            Value::Str(s) => Number::parse(s),
            Value::Bool(_) => None,
        }
    }

    /// The number an integer-typed field (`long`, `integer`…) indexes: fractions truncated.
    pub fn integer(&self) -> Option<i64> {
        match self.number()? {
            Number::Int(i) => Some(i),
            Number::Float(f) if f.is_finite() && f.abs() < 9.3e18 => Some(f.trunc() as i64),
            Number::Float(_) => None,
        }
    }

    /// The boolean a `boolean` field indexes (`true`, `false`, `"true"`, `"false"`, `""` = false).
    pub fn boolean(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Str(s) => match s.as_ref() {
                "true" => Some(true),
                "false" | "" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// The address an `ip` field indexes.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Value::Str(s) => parse_ip(s),
            _ => None,
        }
    }

    /// Epoch nanoseconds for a `date` field (`strict_date_optional_time||epoch_millis`).
    pub fn date_nanos(&self) -> Option<i64> {
        match self {
            Value::Str(s) => crate::time::parse_date_nanos(s),
            Value::Int(ms) => ms.checked_mul(1_000_000),
            Value::UInt(ms) => (*ms as i64).checked_mul(1_000_000),
            Value::Float(ms) => Some((*ms * 1e6) as i64),
            Value::Bool(_) => None,
        }
    }
}

/// Java-like rendering of a double: integral values keep a `.0`.
pub fn format_float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// Parses an IPv4 or IPv6 address (IPv4-mapped IPv6 stays as written; compare
/// with [`ip_key`]).
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    s.trim().parse().ok()
}

/// The 16-byte form Elasticsearch indexes: IPv4 `a.b.c.d` is `::ffff:a.b.c.d`.
pub fn ip_key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// A number as Elasticsearch compares it: exact integers where possible.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    /// Parses a numeric string the way Elasticsearch coerces one: optional sign,
    /// digits, fraction and exponent; surrounding whitespace is not allowed.
    pub fn parse(s: &str) -> Option<Number> {
        if s.is_empty() || s.len() > 64 {
            return None;
        }
        if let Ok(i) = s.parse::<i64>() {
            return Some(Number::Int(i));
        }
        let ok = s
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
        if !ok {
            return None;
        }
        s.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Number::Float)
    }

    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    /// Total comparison, exact between integers and floats.
    pub fn cmp_num(self, other: Number) -> Option<Ordering> {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => Some(a.cmp(&b)),
            (Number::Int(a), Number::Float(b)) => cmp_int_float(a, b),
            (Number::Float(a), Number::Int(b)) => cmp_int_float(b, a).map(Ordering::reverse),
            (Number::Float(a), Number::Float(b)) => a.partial_cmp(&b),
        }
    }

    pub fn num_eq(self, other: Number) -> bool {
        self.cmp_num(other) == Some(Ordering::Equal)
    }
}

fn cmp_int_float(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    if f >= 9.223_372_036_854_776e18 {
        return Some(Ordering::Less);
    }
    if f < -9.223_372_036_854_776e18 {
        return Some(Ordering::Greater);
    }
    let t = f.trunc();
    match i.cmp(&(t as i64)) {
        Ordering::Equal => {
            let frac = f - t;
            Some(if frac > 0.0 {
                Ordering::Less
            } else if frac < 0.0 {
                Ordering::Greater
            } else {
                Ordering::Equal
            })
        }
        o => Some(o),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_views() {
        assert_eq!(Value::Int(123).keyword(), "123");
        assert_eq!(Value::Float(1.0).keyword(), "1.0");
        assert_eq!(Value::Bool(true).keyword(), "true");
        assert_eq!(Value::Str("123".into()).number(), Some(Number::Int(123)));
        assert_eq!(Value::Str("1.5".into()).integer(), Some(1));
        assert_eq!(Value::Str(" 1".into()).number(), None);
        assert_eq!(Value::Str("x".into()).number(), None);
        assert_eq!(
            ip_key(parse_ip("10.0.0.1").unwrap()),
            ip_key(parse_ip("::ffff:10.0.0.1").unwrap())
        );
        assert_eq!(Value::Int(1).date_nanos(), Some(1_000_000));
    }

    #[test]
    fn mixed_number_ordering_is_exact() {
        assert_eq!(
            Number::Int(4).cmp_num(Number::Float(4.5)),
            Some(Ordering::Less)
        );
        assert_eq!(
            Number::Int(5).cmp_num(Number::Float(4.5)),
            Some(Ordering::Greater)
        );
        assert_eq!(
            Number::Int(4).cmp_num(Number::Float(4.0)),
            Some(Ordering::Equal)
        );
        assert_eq!(
            Number::Int(-4).cmp_num(Number::Float(-4.5)),
            Some(Ordering::Greater)
        );
        assert_eq!(
            Number::Int(i64::MAX).cmp_num(Number::Float(1e19)),
            Some(Ordering::Less)
        );
    }
}
