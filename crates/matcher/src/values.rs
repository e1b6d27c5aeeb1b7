//! How one field value looks to Elasticsearch once indexed under a mapping
//! type: the term a keyword indexes (nothing past `ignore_above`), the number
//! a numeric field coerces, the instant a `date` field stores (milliseconds),
//! the 16-byte address of an `ip`, the ordering of a `version`. Predicates,
//! join keys, tiebreakers and script doc values are all built from these views.

use event::value::{ip_key, parse_ip};
use event::{FieldType, Number, Value};
use ir::FieldRef;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::net::IpAddr;

use crate::java;

/// The family of indexing behaviour a value falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Keyword,
    Text,
    Integer,
    /// `single` for `float`/`half_float`, stored with single precision.
    Floating {
        single: bool,
    },
    /// `nanos` for `date_nanos`; `date` keeps milliseconds.
    Date {
        nanos: bool,
    },
    Ip,
    Boolean,
    Version,
}

/// The kind a value is indexed as. Unmapped fields follow the JSON value, as
/// dynamic mapping does (strings → keyword, integers → long, fractions →
/// float, booleans → boolean).
pub fn kind_of(ty: FieldType, value: &Value) -> Kind {
    use FieldType::*;
    match ty {
        Keyword | ConstantKeyword | Wildcard | Flattened | Object | Nested | GeoPoint | Binary => {
            Kind::Keyword
        }
        Text | MatchOnlyText => Kind::Text,
        Long | Integer | Short | Byte | UnsignedLong => Kind::Integer,
        Double | ScaledFloat => Kind::Floating { single: false },
        Float | HalfFloat => Kind::Floating { single: true },
        Date => Kind::Date { nanos: false },
        DateNanos => Kind::Date { nanos: true },
        Ip => Kind::Ip,
        Boolean => Kind::Boolean,
        Version => Kind::Version,
        Unmapped => match value {
            Value::Str(_) => Kind::Keyword,
            Value::Int(_) | Value::UInt(_) => Kind::Integer,
            Value::Float(_) => Kind::Floating { single: false },
            Value::Bool(_) => Kind::Boolean,
        },
    }
}

/// The term a keyword field indexes for `value`, or `None` when the value is
/// longer than `ignore_above` (Java `String.length()`, i.e. UTF-16 units):
/// such a value is neither indexed nor in doc values, so no query, exists
/// check, join key or script sees it.
pub fn indexed_keyword<'v>(
    value: &'v Value<'_>,
    ignore_above: Option<u32>,
) -> Option<Cow<'v, str>> {
    let kw = value.keyword();
    match ignore_above {
        Some(limit) if kw.len() > limit as usize && java::utf16_len(&kw) > limit as usize => None,
        _ => Some(kw),
    }
}

/// A number as a numeric field of `kind` stores it (integers truncated, as
/// `coerce` does; `float` rounded to single precision).
pub fn numeric(kind: Kind, value: &Value) -> Option<Number> {
    match kind {
        Kind::Integer => value.integer().map(Number::Int),
        Kind::Floating { single } => value
            .number()
            .map(|n| Number::Float(round(n.as_f64(), single))),
        _ => None,
    }
}

fn round(f: f64, single: bool) -> f64 {
    if single {
        f64::from(f as f32)
    } else {
        f
    }
}

/// A query number as the field type parses it: integer fields match nothing
/// for a fractional value (Elasticsearch's `hasDecimalPart` check).
pub fn query_number(kind: Kind, n: Number) -> Option<Number> {
    match (kind, n) {
        (Kind::Integer, Number::Float(f)) if f.fract() != 0.0 || !f.is_finite() => None,
        (Kind::Integer, Number::Float(f)) => Some(Number::Int(f as i64)),
        (Kind::Floating { single }, n) => Some(Number::Float(round(n.as_f64(), single))),
        (_, n) => Some(n),
    }
}

/// Epoch nanoseconds a date field stores: `date` keeps milliseconds.
pub fn date(kind: Kind, value: &Value) -> Option<i64> {
    let nanos = value.date_nanos()?;
    Some(match kind {
        Kind::Date { nanos: true } => nanos,
        _ => truncate_to_millis(nanos),
    })
}

pub fn truncate_to_millis(nanos: i64) -> i64 {
    nanos.div_euclid(1_000_000) * 1_000_000
}

/// The 16-byte address an `ip` field stores.
pub fn ip(value: &Value) -> Option<u128> {
    value.ip().map(ip_key)
}

/// Renders a stored address the way Elasticsearch returns it
/// (`InetAddresses.toAddrString`: IPv4-mapped addresses as dotted quads).
pub fn ip_to_string(key: u128) -> String {
    let v6 = std::net::Ipv6Addr::from(key);
    match v6.to_ipv4_mapped() {
        Some(v4) => v4.to_string(),
        None => v6.to_string(),
    }
}

/// The 16-byte form of an address written as text.
pub fn ip_text_key(s: &str) -> Option<u128> {
    parse_ip(s).map(ip_key)
}

/// True when `key` (16-byte form) lies in `net` (IPv4 nets cover the
/// IPv4-mapped range, as Elasticsearch stores every address in 16 bytes).
pub fn net_contains(net: &ipnet::IpNet, key: u128) -> bool {
    let (base, prefix) = match net {
        ipnet::IpNet::V4(n) => (
            ip_key(IpAddr::V4(n.network())),
            u32::from(n.prefix_len()) + 96,
        ),
        ipnet::IpNet::V6(n) => (ip_key(IpAddr::V6(n.network())), u32::from(n.prefix_len())),
    };
    if prefix == 0 {
        return true;
    }
    let mask = u128::MAX << (128 - prefix.min(128));
    key & mask == base & mask
}

/// Parses an address or CIDR block (`10.0.0.0/8`; a bare address is /32 or /128).
pub fn parse_net(s: &str) -> Option<ipnet::IpNet> {
    if s.contains('/') {
        return s.trim().parse::<ipnet::IpNet>().ok();
    }
    parse_ip(s).map(ipnet::IpNet::from)
}

/// The boolean a `boolean` field stores.
pub fn boolean(value: &Value) -> Option<bool> {
    value.boolean()
}

/// Elasticsearch `version` ordering: valid versions (numeric dot-separated
/// parts, optional `-prerelease`, optional `+build`) by SemVer precedence,
/// invalid ones after all valid ones, by their text.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    match (parse_version(a), parse_version(b)) {
        (Some(x), Some(y)) => x.cmp(&y).then_with(|| a.cmp(b)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Version<'a> {
    numbers: Vec<u64>,
    pre: Option<Vec<&'a str>>,
}

impl Ord for Version<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers
            .cmp(&other.numbers)
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(x), Some(y)) => compare_prerelease(x, y),
            })
    }
}

impl PartialOrd for Version<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn compare_prerelease(x: &[&str], y: &[&str]) -> Ordering {
    for (a, b) in x.iter().zip(y) {
        let o = match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(m), Ok(n)) => m.cmp(&n),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => a.cmp(b),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    x.len().cmp(&y.len())
}

fn parse_version(s: &str) -> Option<Version<'_>> {
    let core_and_pre = s.split_once('+').map_or(s, |(c, _)| c);
    let (core, pre) = match core_and_pre.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (core_and_pre, None),
    };
    let numbers = core
        .split('.')
        .map(|p| {
            if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
                p.parse().ok()
            } else {
                None
            }
        })
        .collect::<Option<Vec<u64>>>()?;
    let pre = match pre {
        Some(p) => {
            let ids: Vec<&str> = p.split('.').collect();
            let valid = ids.iter().all(|i| {
                !i.is_empty() && i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
            if !valid {
                return None;
            }
            Some(ids)
        }
        None => None,
    };
    Some(Version { numbers, pre })
}

/// A join-key / tiebreaker / composite-bucket value: a field value as its
/// doc values hold it. Ordered the way a composite aggregation sorts a source
/// (missing first, then by value).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyValue {
    /// No value (an optional `?field` that is missing).
    Null,
    Bool(bool),
    Int(i64),
    /// A double, by its total-order bits (see [`KeyValue::float`]).
    Float(OrderedF64),
    /// Epoch nanoseconds of a date field.
    Date(i64),
    /// 16-byte form of an address.
    Ip(u128),
    Str(Box<str>),
}

/// `f64` with the total order of `f64::total_cmp` (needed for `Eq`/`Hash`).
#[derive(Debug, Clone, Copy)]
pub struct OrderedF64(pub f64);

impl PartialEq for OrderedF64 {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0) == Ordering::Equal
    }
}
impl Eq for OrderedF64 {}
impl PartialOrd for OrderedF64 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrderedF64 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}
impl std::hash::Hash for OrderedF64 {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}

impl KeyValue {
    pub fn float(f: f64) -> KeyValue {
        KeyValue::Float(OrderedF64(f))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, KeyValue::Null)
    }

    /// The doc value `field` holds for `value`, or `None` when the value is not
    /// indexed (past `ignore_above`, malformed for the type).
    pub fn of(field: &FieldRef, value: &Value) -> Option<KeyValue> {
        let kind = kind_of(field.ty, value);
        Some(match kind {
            Kind::Keyword | Kind::Version | Kind::Text => KeyValue::Str(
                indexed_keyword(value, field.ignore_above)?
                    .into_owned()
                    .into_boxed_str(),
            ),
            Kind::Integer => KeyValue::Int(value.integer()?),
            Kind::Floating { single } => KeyValue::float(round(value.number()?.as_f64(), single)),
            Kind::Date { .. } => KeyValue::Date(date(kind, value)?),
            Kind::Ip => KeyValue::Ip(ip(value)?),
            Kind::Boolean => KeyValue::Bool(boolean(value)?),
        })
    }
}

impl fmt::Display for KeyValue {
    /// Renders the value as Elasticsearch returns a join key: `null`, numbers,
    /// strings, addresses as text, dates as `…T…Z` with milliseconds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyValue::Null => f.write_str("null"),
            KeyValue::Bool(b) => write!(f, "{b}"),
            KeyValue::Int(i) => write!(f, "{i}"),
            KeyValue::Float(x) => f.write_str(&java::double_to_string(x.0)),
            KeyValue::Date(n) => f.write_str(&event::time::format_millis(*n)),
            KeyValue::Ip(k) => f.write_str(&ip_to_string(*k)),
            KeyValue::Str(s) => f.write_str(s),
        }
    }
}

/// The sorted, de-duplicated doc values of `field` in `event` (how a terms
/// source / `fields` extraction sees a multi-valued field).
pub fn doc_values(field: &FieldRef, event: &event::Event<'_>) -> Vec<KeyValue> {
    let mut out: Vec<KeyValue> = event
        .values(field.id)
        .filter_map(|v| KeyValue::of(field, v))
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_like_elasticsearch_version_fields() {
        // x-pack/plugin/mapper-version: semver precedence, invalid after valid.
        assert_eq!(compare_versions("1.2.4", "1.5.0"), Ordering::Less);
        assert_eq!(compare_versions("1.11.3", "1.5.0"), Ordering::Greater);
        assert_eq!(compare_versions("1.2.4-SNAPSHOT", "1.2.4"), Ordering::Less);
        assert_eq!(compare_versions("1.2.4-SNAPSHOT", "1.5.0"), Ordering::Less);
        assert_eq!(compare_versions("bad", "1.5.0"), Ordering::Greater);
        assert_eq!(
            compare_versions("1.0.0-alpha.1", "1.0.0-alpha.beta"),
            Ordering::Less
        );
        assert_eq!(compare_versions("1.0.0-2", "1.0.0-11"), Ordering::Less);
    }

    #[test]
    fn ip_nets_cover_mapped_addresses() {
        let net = parse_net("10.0.0.0/8").unwrap();
        assert!(net_contains(&net, ip_key(parse_ip("10.6.48.157").unwrap())));
        assert!(net_contains(
            &net,
            ip_key(parse_ip("::ffff:10.1.1.1").unwrap())
        ));
        assert!(!net_contains(&net, ip_key(parse_ip("11.0.0.1").unwrap())));
        assert!(net_contains(
            &parse_net("0.0.0.0/0").unwrap(),
            ip_key(parse_ip("1.2.3.4").unwrap())
        ));
        assert!(!net_contains(
            &parse_net("0.0.0.0/0").unwrap(),
            ip_key(parse_ip("2001:db8::1").unwrap())
        ));
        assert!(net_contains(
            &parse_net("::/0").unwrap(),
            ip_key(parse_ip("1.2.3.4").unwrap())
        ));
        assert_eq!(
            ip_to_string(ip_key(parse_ip("::ffff:10.1.1.1").unwrap())),
            "10.1.1.1"
        );
    }

    #[test]
    fn ignore_above_counts_utf16_units() {
        let v = Value::Str("ééé".into());
        assert!(indexed_keyword(&v, Some(3)).is_some());
        assert!(indexed_keyword(&v, Some(2)).is_none());
        assert!(indexed_keyword(&Value::Str("😀😀".into()), Some(3)).is_none());
    }
}
