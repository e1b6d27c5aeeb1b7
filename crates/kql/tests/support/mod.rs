//! Test support: a small reference evaluator of `ir::Pred` over `event::Event`
//! (query semantics: a field test is true when some value passes), used until
//! the `matcher` crate's evaluator is merged, and the corpus location.

#![allow(dead_code)]

use event::analysis::standard_tokens;
use event::fold::eq_fold;
use event::value::ip_key;
use event::{Event, FieldType, Number, Value};
use ir::{FieldTest, Pred, RangeBound, RangeValue, Test, TextMode};
use std::cmp::Ordering;
use std::path::PathBuf;

/// `<workspace>/../shared/corpus`, or `$VIGIL_CORPUS`.
pub fn corpus() -> PathBuf {
    if let Ok(p) = std::env::var("VIGIL_CORPUS") {
        return PathBuf::from(p);
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    assert!(
        p.is_dir(),
        "corpus not found at {} (set VIGIL_CORPUS)",
        p.display()
    );
    p
}

pub fn eval(p: &Pred, e: &Event<'_>) -> bool {
    match p {
        Pred::Const(b) => *b,
        Pred::And(ps) => ps.iter().all(|p| eval(p, e)),
        Pred::Or(ps) => ps.iter().any(|p| eval(p, e)),
        Pred::Not(p) => !eval(p, e),
        Pred::Field(ft) => e.values(ft.field.id).any(|v| value_passes(ft, v)),
        Pred::Script(_) => panic!("scripts are not produced by KQL"),
    }
}

fn value_passes(ft: &FieldTest, v: &Value<'_>) -> bool {
    let ty = ft.field.ty;
    match &ft.test {
        Test::Exists => true,
        Test::Terms {
            values,
            case_insensitive,
        } => {
            let k = v.keyword();
            values.iter().any(|t| {
                if *case_insensitive {
                    eq_fold(t, &k)
                } else {
                    *t == *k
                }
            })
        }
        Test::Wildcards(ps) => ps.iter().any(|p| p.matches(&v.keyword())),
        Test::Regexes(rs) => rs.iter().any(|r| r.is_match(&v.keyword())),
        Test::Numbers(ns) => number(ty, v).is_some_and(|x| ns.iter().any(|n| x.num_eq(*n))),
        Test::Bool(b) => v.boolean() == Some(*b),
        Test::IpNets(nets) => v
            .ip()
            .is_some_and(|ip| nets.iter().any(|n| net_contains(n, ip))),
        Test::Range { lower, upper } => {
            in_bound(ty, v, lower.as_ref(), Ordering::Greater)
                && in_bound(ty, v, upper.as_ref(), Ordering::Less)
        }
        Test::Text { tokens, mode } => {
            let Some(s) = v.as_str() else { return false };
            let doc = standard_tokens(s);
            match mode {
                TextMode::AnyToken => tokens.iter().any(|t| doc.contains(t)),
                TextMode::Phrase => doc
                    .windows(tokens.len().max(1))
                    .any(|w| w == tokens.as_slice()),
                TextMode::TokenWildcard(p) => doc.iter().any(|t| p.matches(t)),
            }
        }
    }
}

fn number(ty: FieldType, v: &Value<'_>) -> Option<Number> {
    if ty.is_integer() {
        v.integer().map(Number::Int)
    } else {
        v.number()
    }
}

fn net_contains(net: &ipnet::IpNet, ip: std::net::IpAddr) -> bool {
    let (base, prefix) = match net {
        ipnet::IpNet::V4(n) => (
            ip_key(std::net::IpAddr::V4(n.network())),
            u32::from(n.prefix_len()) + 96,
        ),
        ipnet::IpNet::V6(n) => (
            ip_key(std::net::IpAddr::V6(n.network())),
            u32::from(n.prefix_len()),
        ),
    };
    let shift = 128 - prefix;
    let key = ip_key(ip);
    if shift == 128 {
        return true;
    }
    key >> shift == base >> shift
}

/// `want` is the ordering the value must have against the bound.
fn in_bound(ty: FieldType, v: &Value<'_>, b: Option<&RangeBound>, want: Ordering) -> bool {
    let Some(b) = b else { return true };
    let ord = match &b.value {
        RangeValue::Number(n) => number(ty, v).and_then(|x| x.cmp_num(*n)),
        RangeValue::Date(d) => v.date_nanos().map(|x| x.cmp(d)),
        RangeValue::Ip(k) => v.ip().map(|ip| ip_key(ip).cmp(k)),
        RangeValue::Str(s) => Some(v.keyword().as_bytes().cmp(s.as_bytes())),
    };
    match ord {
        Some(Ordering::Equal) => b.inclusive,
        Some(o) => o == want,
        None => false,
    }
}
