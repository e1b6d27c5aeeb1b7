//! What one query clause on one field means, per Elasticsearch field type. KQL,
//! Lucene query strings and query-DSL filters all end here: a front end says
//! what it wants of a field ([`Want`]: exists, an analysed match, an exact term,
//! a wildcard, a regexp, a range) and [`field_pred`] builds the [`Pred`] that
//! Elasticsearch's query on a field of that type amounts to.
//!
//! Facts from Elasticsearch (server `index/mapper/*FieldMapper.java`):
//!
//! - `keyword`, `constant_keyword`, `wildcard`, `flattened`, `version`: the value
//!   is one term, compared exactly (`match` uses the keyword analyser);
//! - `text`, `match_only_text`: `match` is any analysed token, `match_phrase`
//!   the tokens in order; a wildcard matches single tokens, lower-cased by the
//!   analyser's normalizer; a `term` is one token, not analysed;
//! - numbers: the text must parse (`"53"` = `53`); on integer types a value
//!   with a decimal part matches nothing; anything else is a query error;
//! - `date`, `date_nanos`: a value is the range `[v rounded down, v rounded up]`
//!   (`DateFieldType.termQuery`), with date math; `date` fields keep milliseconds;
//! - `ip`: an address or a CIDR block; ranges compare the 16-byte form;
//! - `boolean`: `true` / `false`;
//! - wildcards and regexps on numbers, dates, IPs and booleans are errors
//!   ("Can only use wildcard queries on keyword and text fields").
//!
//! Unmapped fields (neither ECS nor the user's mapping) are what Elastic's
//! `logs-*` templates make of strings: keywords. A value that does not parse
//! for the field's type is an error, as in Elasticsearch, unless the caller is
//! lenient (`multi_match`/`query_string` over all fields), when it matches nothing.

use crate::codes;
use event::analysis::{lowercase, standard_tokens};
use event::time::{parse_date_math, parse_date_nanos_rounded};
use event::wildcard::{Part, Pattern};
use event::{FieldType, Number};
use ir::{Binder, FieldRef, Pred, RangeBound, RangeValue, Test, TextMode};

/// What a clause wants of a field.
#[derive(Debug, Clone)]
pub(crate) enum Want {
    Exists,
    /// `match` (`phrase = false`) / `match_phrase`: the text analysed per type.
    Match {
        text: String,
        phrase: bool,
    },
    /// `term`: the exact indexed term (on text fields: one token, not analysed).
    Term {
        text: String,
        case_insensitive: bool,
    },
    /// A wildcard pattern against whole values (keywords) or single tokens (text).
    Wildcard {
        parts: Vec<Part>,
        case_insensitive: bool,
    },
    /// An anchored Lucene regular expression.
    Regex {
        pattern: String,
        case_insensitive: bool,
    },
    Range {
        lower: Option<Bound>,
        upper: Option<Bound>,
    },
}

/// A range bound as written.
#[derive(Debug, Clone)]
pub(crate) struct Bound {
    pub text: String,
    pub inclusive: bool,
}

/// Why a clause cannot be evaluated on a field (becomes a diagnostic).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SemError {
    pub code: &'static str,
    pub message: String,
}

impl SemError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        SemError {
            code,
            message: message.into(),
        }
    }
}

/// Evaluation settings shared by the front ends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Env {
    pub now_nanos: i64,
    /// Values that do not parse for a type match nothing instead of failing.
    pub lenient: bool,
}

/// The predicate for `want` on the field `name`.
pub(crate) fn field_pred(
    binder: &mut Binder<'_>,
    env: Env,
    name: &str,
    want: &Want,
) -> Result<Pred, SemError> {
    let bound = binder.bind(name);
    let field = bound.field;
    if let Want::Exists = want {
        return Ok(exists_pred(binder, field));
    }
    let result = if bound.resolved.lowercase {
        keyword_pred(&field, &case_folded(want))
    } else {
        type_pred(env, &field, want)
    };
    match result {
        Err(e) if env.lenient && e.code != codes::BAD_REGEX => Ok(Pred::Const(false)),
        other => other,
    }
}

/// `exists`: on an object field (mapped as one, or an unmapped name that
/// prefixes known fields), any of its sub-fields.
fn exists_pred(binder: &mut Binder<'_>, field: FieldRef) -> Pred {
    let object_like = field.ty.is_object() || field.ty == FieldType::Unmapped;
    let leaves: Vec<String> = if object_like {
        binder
            .schema
            .fields_matching(&format!("{}.*", field.name))
            .into_iter()
            .filter(|f| !binder.schema.resolve(f).ty.is_object())
            .collect()
    } else {
        Vec::new()
    };
    if leaves.is_empty() && !field.ty.is_object() {
        return Pred::field(field, Test::Exists);
    }
    let mut preds: Vec<Pred> = leaves
        .iter()
        .map(|f| Pred::field(binder.bind(f).field, Test::Exists))
        .collect();
    if field.ty == FieldType::Unmapped {
        preds.push(Pred::field(field, Test::Exists));
    }
    Pred::or(preds)
}

fn type_pred(env: Env, field: &FieldRef, want: &Want) -> Result<Pred, SemError> {
    let ty = field.ty;
    if ty.is_keyword_like() || matches!(ty, FieldType::Version | FieldType::Unmapped) {
        return keyword_pred(field, want);
    }
    if ty.is_text() {
        return text_pred(field, want);
    }
    if ty.is_numeric() {
        return numeric_pred(field, want);
    }
    if ty.is_date() {
        return date_pred(env, field, want);
    }
    match ty {
        FieldType::Ip => ip_pred(field, want),
        FieldType::Boolean => bool_pred(field, want),
        // A match on an object is a match on no field: no documents.
        FieldType::Object | FieldType::Nested => Ok(Pred::Const(false)),
        _ => Err(SemError::new(
            codes::UNSUPPORTED,
            format!(
                "field `{}` of type {ty} cannot be queried by value",
                field.name
            ),
        )),
    }
}

fn test(field: &FieldRef, t: Test) -> Pred {
    Pred::field(field.clone(), t)
}

/// What a value means on a keyword with a `lowercase` normalizer: Elasticsearch
/// normalizes term and wildcard query values too, so both compare lower-cased.
fn case_folded(want: &Want) -> Want {
    match want {
        Want::Match { text, .. } | Want::Term { text, .. } => Want::Term {
            text: text.clone(),
            case_insensitive: true,
        },
        Want::Wildcard { parts, .. } => Want::Wildcard {
            parts: parts.clone(),
            case_insensitive: true,
        },
        other => other.clone(),
    }
}

fn keyword_pred(field: &FieldRef, want: &Want) -> Result<Pred, SemError> {
    Ok(match want {
        Want::Exists => test(field, Test::Exists),
        Want::Match { text, .. } => test(
            field,
            Test::Terms {
                values: vec![text.clone()],
                case_insensitive: false,
            },
        ),
        Want::Term {
            text,
            case_insensitive,
        } => test(
            field,
            Test::Terms {
                values: vec![text.clone()],
                case_insensitive: *case_insensitive,
            },
        ),
        Want::Wildcard {
            parts,
            case_insensitive,
        } => test(
            field,
            Test::Wildcards(vec![pattern(parts, *case_insensitive)]),
        ),
        Want::Regex {
            pattern,
            case_insensitive,
        } => test(
            field,
            Test::Regexes(vec![regex(pattern, *case_insensitive)?]),
        ),
        Want::Range { lower, upper } => {
            if field.ty == FieldType::Unmapped {
                return unmapped_range(field, lower, upper);
            }
            let b = |b: &Option<Bound>| {
                b.as_ref()
                    .map(|b| bound(RangeValue::Str(b.text.clone()), b.inclusive))
            };
            test(
                field,
                Test::Range {
                    lower: b(lower),
                    upper: b(upper),
                },
            )
        }
    })
}

/// A range on a field no mapping knows: numbers if both bounds are numbers,
/// else dates, else IPs, else strings (what dynamic mapping would likely give).
fn unmapped_range(
    field: &FieldRef,
    lower: &Option<Bound>,
    upper: &Option<Bound>,
) -> Result<Pred, SemError> {
    let texts: Vec<&str> = [lower, upper]
        .iter()
        .filter_map(|b| b.as_ref().map(|b| b.text.as_str()))
        .collect();
    let conv: fn(&str) -> Option<RangeValue> = if texts.iter().all(|t| Number::parse(t).is_some()) {
        |t| Number::parse(t).map(RangeValue::Number)
    } else if texts
        .iter()
        .all(|t| event::time::parse_date_nanos(t).is_some())
    {
        |t| event::time::parse_date_nanos(t).map(RangeValue::Date)
    } else if texts.iter().all(|t| event::value::parse_ip(t).is_some()) {
        |t| event::value::parse_ip(t).map(|ip| RangeValue::Ip(event::value::ip_key(ip)))
    } else {
        |t| Some(RangeValue::Str(t.to_string()))
    };
    let b = |b: &Option<Bound>| {
        b.as_ref()
            .and_then(|b| conv(&b.text).map(|v| bound(v, b.inclusive)))
    };
    Ok(test(
        field,
        Test::Range {
            lower: b(lower),
            upper: b(upper),
        },
    ))
}

fn text_pred(field: &FieldRef, want: &Want) -> Result<Pred, SemError> {
    Ok(match want {
        Want::Exists => test(field, Test::Exists),
        Want::Match { text, phrase } => {
            let tokens = standard_tokens(text);
            if tokens.is_empty() {
                // `zero_terms_query: none`: an all-punctuation value matches nothing.
                return Ok(Pred::Const(false));
            }
            let mode = if *phrase && tokens.len() > 1 {
                TextMode::Phrase
            } else {
                TextMode::AnyToken
            };
            test(field, Test::Text { tokens, mode })
        }
        Want::Term {
            text,
            case_insensitive,
        } => {
            let token = if *case_insensitive {
                lowercase(text)
            } else {
                text.clone()
            };
            test(
                field,
                Test::Text {
                    tokens: vec![token],
                    mode: TextMode::AnyToken,
                },
            )
        }
        Want::Wildcard { parts, .. } => {
            let lowered = parts
                .iter()
                .map(|p| match p {
                    Part::Literal(s) => Part::Literal(lowercase(s)),
                    other => other.clone(),
                })
                .collect::<Vec<_>>();
            test(
                field,
                Test::Text {
                    tokens: Vec::new(),
                    mode: TextMode::TokenWildcard(pattern(&lowered, false)),
                },
            )
        }
        Want::Regex { .. } => {
            return Err(SemError::new(
                codes::UNSUPPORTED,
                format!(
                    "regular expressions on the text field `{}` are not supported",
                    field.name
                ),
            ))
        }
        Want::Range { lower, upper } => {
            let b = |b: &Option<Bound>| {
                b.as_ref()
                    .map(|b| bound(RangeValue::Str(b.text.clone()), b.inclusive))
            };
            test(
                field,
                Test::Range {
                    lower: b(lower),
                    upper: b(upper),
                },
            )
        }
    })
}

fn numeric_pred(field: &FieldRef, want: &Want) -> Result<Pred, SemError> {
    match want {
        Want::Exists => Ok(test(field, Test::Exists)),
        Want::Match { text, .. } | Want::Term { text, .. } => {
            let n = parse_number(field, text)?;
            if field.ty.is_integer() && matches!(n, Number::Float(f) if f.fract() != 0.0) {
                // NumberFieldMapper: "Value [x] has a decimal part" → match_no_docs.
                return Ok(Pred::Const(false));
            }
            Ok(test(field, Test::Numbers(vec![n])))
        }
        Want::Range { lower, upper } => {
            let b = |b: &Option<Bound>| -> Result<Option<RangeBound>, SemError> {
                b.as_ref()
                    .map(|b| {
                        Ok(bound(
                            RangeValue::Number(parse_number(field, &b.text)?),
                            b.inclusive,
                        ))
                    })
                    .transpose()
            };
            Ok(test(
                field,
                Test::Range {
                    lower: b(lower)?,
                    upper: b(upper)?,
                },
            ))
        }
        Want::Wildcard { .. } | Want::Regex { .. } => Err(no_patterns(field)),
    }
}

fn no_patterns(field: &FieldRef) -> SemError {
    SemError::new(
        codes::WILDCARD_TYPE,
        format!(
            "can only use wildcard and regexp queries on keyword and text fields, not on `{}` of type {}",
            field.name, field.ty
        ),
    )
}

fn parse_number(field: &FieldRef, text: &str) -> Result<Number, SemError> {
    let bad = || {
        SemError::new(
            codes::BAD_VALUE,
            format!(
                "`{text}` is not a number, as field `{}` ({}) needs",
                field.name, field.ty
            ),
        )
    };
    let n = Number::parse(text).ok_or_else(bad)?;
    if let Some((lo, hi)) = integer_bounds(field.ty) {
        let v = n.as_f64().trunc();
        if v < lo || v > hi {
            return Err(SemError::new(
                codes::BAD_VALUE,
                format!(
                    "`{text}` is out of range for field `{}` of type {}",
                    field.name, field.ty
                ),
            ));
        }
    }
    Ok(n)
}

fn integer_bounds(ty: FieldType) -> Option<(f64, f64)> {
    Some(match ty {
        FieldType::Byte => (i8::MIN as f64, i8::MAX as f64),
        FieldType::Short => (i16::MIN as f64, i16::MAX as f64),
        FieldType::Integer => (i32::MIN as f64, i32::MAX as f64),
        FieldType::Long => (i64::MIN as f64, i64::MAX as f64),
        FieldType::UnsignedLong => (0.0, u64::MAX as f64),
        _ => return None,
    })
}

fn date_pred(env: Env, field: &FieldRef, want: &Want) -> Result<Pred, SemError> {
    match want {
        Want::Exists => Ok(test(field, Test::Exists)),
        Want::Match { text, .. } | Want::Term { text, .. } => {
            let lower = date_bound(env, field, text, false)?;
            let upper = date_bound(env, field, text, true)?;
            let (lower, upper) = (
                bound(RangeValue::Date(lower), true),
                bound(RangeValue::Date(upper), true),
            );
            Ok(test(
                field,
                Test::Range {
                    lower: Some(lower),
                    upper: Some(upper),
                },
            ))
        }
        Want::Range { lower, upper } => {
            // gt and lte round up, gte and lt round down (Elasticsearch's date range).
            let b = |b: &Option<Bound>,
                     up_when_inclusive: bool|
             -> Result<Option<RangeBound>, SemError> {
                b.as_ref()
                    .map(|b| {
                        let round_up = b.inclusive == up_when_inclusive;
                        Ok(bound(
                            RangeValue::Date(date_bound(env, field, &b.text, round_up)?),
                            b.inclusive,
                        ))
                    })
                    .transpose()
            };
            Ok(test(
                field,
                Test::Range {
                    lower: b(lower, false)?,
                    upper: b(upper, true)?,
                },
            ))
        }
        Want::Wildcard { .. } | Want::Regex { .. } => Err(no_patterns(field)),
    }
}

/// A date value or date-math expression as a bound; `date` fields keep
/// millisecond precision (the instant is truncated as Elasticsearch does).
fn date_bound(env: Env, field: &FieldRef, text: &str, round_up: bool) -> Result<i64, SemError> {
    let nanos = parse_date_math(text.trim(), env.now_nanos, round_up)
        .or_else(|| parse_date_nanos_rounded(text, round_up))
        .ok_or_else(|| {
            SemError::new(
                codes::BAD_VALUE,
                format!(
                    "`{text}` is not a date, as field `{}` ({}) needs",
                    field.name, field.ty
                ),
            )
        })?;
    Ok(if field.ty == FieldType::Date {
        nanos.div_euclid(1_000_000) * 1_000_000
    } else {
        nanos
    })
}

fn ip_pred(field: &FieldRef, want: &Want) -> Result<Pred, SemError> {
    let bad = |text: &str| {
        SemError::new(
            codes::BAD_VALUE,
            format!(
                "`{text}` is not an IP address or CIDR block, as field `{}` needs",
                field.name
            ),
        )
    };
    match want {
        Want::Exists => Ok(test(field, Test::Exists)),
        Want::Match { text, .. } | Want::Term { text, .. } => {
            let net = parse_ip_net(text).ok_or_else(|| bad(text))?;
            Ok(test(field, Test::IpNets(vec![net])))
        }
        Want::Range { lower, upper } => {
            let b = |b: &Option<Bound>| -> Result<Option<RangeBound>, SemError> {
                b.as_ref()
                    .map(|b| {
                        let ip = event::value::parse_ip(&b.text).ok_or_else(|| bad(&b.text))?;
                        Ok(bound(RangeValue::Ip(event::value::ip_key(ip)), b.inclusive))
                    })
                    .transpose()
            };
            Ok(test(
                field,
                Test::Range {
                    lower: b(lower)?,
                    upper: b(upper)?,
                },
            ))
        }
        Want::Wildcard { .. } | Want::Regex { .. } => Err(no_patterns(field)),
    }
}

/// An address (a /32 or /128 block) or a CIDR block, host bits cleared.
pub(crate) fn parse_ip_net(text: &str) -> Option<ipnet::IpNet> {
    let text = text.trim();
    if text.contains('/') {
        return text.parse::<ipnet::IpNet>().ok().map(|n| n.trunc());
    }
    event::value::parse_ip(text).map(ipnet::IpNet::from)
}

fn bool_pred(field: &FieldRef, want: &Want) -> Result<Pred, SemError> {
    match want {
        Want::Exists => Ok(test(field, Test::Exists)),
        Want::Match { text, .. } | Want::Term { text, .. } => match text.as_str() {
            "true" => Ok(test(field, Test::Bool(true))),
            "false" | "" => Ok(test(field, Test::Bool(false))),
            _ => Err(SemError::new(
                codes::BAD_VALUE,
                format!(
                    "can't parse boolean value `{text}` for field `{}`, expected true or false",
                    field.name
                ),
            )),
        },
        Want::Range { .. } => Err(SemError::new(
            codes::BAD_RANGE,
            format!("range on the boolean field `{}`", field.name),
        )),
        Want::Wildcard { .. } | Want::Regex { .. } => Err(no_patterns(field)),
    }
}

fn bound(value: RangeValue, inclusive: bool) -> RangeBound {
    RangeBound { value, inclusive }
}

pub(crate) fn pattern(parts: &[Part], case_insensitive: bool) -> Pattern {
    let source: String = parts
        .iter()
        .map(|p| match p {
            Part::Literal(s) => s
                .replace('\\', "\\\\")
                .replace('*', "\\*")
                .replace('?', "\\?"),
            Part::AnyRun => "*".to_string(),
            Part::AnyOne => "?".to_string(),
        })
        .collect();
    Pattern::from_parts(parts.to_vec(), case_insensitive, source)
}

fn regex(pattern: &str, case_insensitive: bool) -> Result<event::regex::LuceneRegex, SemError> {
    event::regex::LuceneRegex::new(pattern, case_insensitive).map_err(|e| {
        SemError::new(
            codes::BAD_REGEX,
            format!("regular expression `/{pattern}/`: {e}"),
        )
    })
}

/// Field types that `index.query.default_field: *` searches (those with text
/// search info in Elasticsearch: not objects, geo points, binaries, flattened roots).
pub(crate) fn searchable_by_default(ty: FieldType) -> bool {
    !matches!(
        ty,
        FieldType::Object
            | FieldType::Nested
            | FieldType::GeoPoint
            | FieldType::Binary
            | FieldType::Flattened
    )
}
