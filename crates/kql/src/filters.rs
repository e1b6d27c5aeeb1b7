//! The query-DSL `filters` of a rule (Kibana filter objects) and Elasticsearch
//! query DSL in general, lowered to [`Pred`] with the same field semantics as KQL.
//!
//! A Kibana filter is `{ "meta": { "negate", "disabled", … }, "query": { … } }`
//! or, in the legacy shape, the query's own key beside `meta`
//! (`{ "exists": { "field": … }, "meta": … }`). As Kibana's
//! `buildQueryFromFilters` does: disabled filters are skipped, the others go to
//! `bool.filter`, negated ones to `bool.must_not`, and `meta` / `$state` are
//! dropped before the query is read. The result is ANDed with the rule's query
//! by the caller.
//!
//! Queries understood: `bool` (`must`, `filter`, `should`, `must_not`,
//! `minimum_should_match`), `term`, `terms`, `match` (`operator`, legacy
//! `type: phrase`), `match_phrase`, `multi_match`, `exists`, `range` (`gt`, `gte`,
//! `lt`, `lte`, `from`/`to` with `include_lower`/`include_upper`; UTC only),
//! `wildcard` and `prefix` (`case_insensitive`), `regexp`, `query_string`
//! (Lucene syntax, [`crate::lucene`]), `match_all`, `match_none`,
//! `constant_score`, `dis_max`, `boosting` (its positive query) and `nested`
//! (flattened, as in KQL). Anything else is an error (`KQL0301`).

use crate::codes;
use crate::lower::Lowerer;
use crate::semantics::{field_pred, Bound, Env, Want};
use crate::{KqlOptions, MAX_DEPTH};
use diag::{Diagnostic, Diagnostics};
use event::wildcard::Part;
use ir::{Binder, Pred};
use serde_json::{Map, Value};

/// Lowers a rule's `filters` array (Kibana filter objects) to one predicate:
/// the AND of the enabled filters, negated ones as `must_not`.
pub fn lower_filters(
    filters: &Value,
    binder: &mut Binder<'_>,
    opts: &KqlOptions,
) -> Result<Pred, Diagnostics> {
    let mut cx = Dsl {
        lower: Lowerer::new(binder, opts),
        depth: 0,
    };
    let list: &[Value] = match filters {
        Value::Array(items) => items,
        Value::Null => &[],
        other => std::slice::from_ref(other),
    };
    let mut preds = Vec::new();
    for (i, filter) in list.iter().enumerate() {
        let path = format!("filters[{i}]");
        if let Some(p) = cx.filter(filter, &path) {
            preds.push(p);
        }
    }
    cx.finish(Pred::and(preds))
}

/// Lowers one Elasticsearch query (the body of `"query"`).
pub fn lower_query_dsl(
    query: &Value,
    binder: &mut Binder<'_>,
    opts: &KqlOptions,
) -> Result<Pred, Diagnostics> {
    let mut cx = Dsl {
        lower: Lowerer::new(binder, opts),
        depth: 0,
    };
    let p = cx.query(query, "query");
    cx.finish(p)
}

struct Dsl<'b, 's, 'o> {
    lower: Lowerer<'b, 's, 'o>,
    depth: usize,
}

type Obj = Map<String, Value>;

impl Dsl<'_, '_, '_> {
    fn finish(self, pred: Pred) -> Result<Pred, Diagnostics> {
        if self.lower.diags.has_errors() {
            Err(self.lower.diags)
        } else {
            Ok(pred)
        }
    }

    fn error(&mut self, path: &str, message: impl std::fmt::Display) -> Pred {
        self.lower.diags.push(Diagnostic::error(
            codes::DSL_INVALID,
            format!("{path}: {message}"),
        ));
        Pred::Const(false)
    }

    /// One Kibana filter object; `None` when disabled.
    fn filter(&mut self, filter: &Value, path: &str) -> Option<Pred> {
        let Some(obj) = filter.as_object() else {
            return Some(self.error(path, "a filter must be an object"));
        };
        let meta = obj.get("meta").and_then(Value::as_object);
        let flag = |k: &str| {
            meta.and_then(|m| m.get(k))
                .and_then(Value::as_bool)
                .unwrap_or(false)
        };
        if flag("disabled") {
            return None;
        }
        let pred = match obj.get("query") {
            Some(q) => self.query(q, &format!("{path}.query")),
            None => {
                let rest: Obj = obj
                    .iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "meta" | "$state"))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                self.query(&Value::Object(rest), path)
            }
        };
        Some(if flag("negate") {
            Pred::not(pred)
        } else {
            pred
        })
    }

    /// One query object: exactly one key naming the query type.
    fn query(&mut self, q: &Value, path: &str) -> Pred {
        let Some(obj) = q.as_object() else {
            return self.error(path, "a query must be an object");
        };
        let mut entries = obj.iter();
        let (Some((kind, body)), None) = (entries.next(), entries.next()) else {
            return self.error(
                path,
                format!("a query must have exactly one key, found {}", obj.len()),
            );
        };
        if self.depth >= MAX_DEPTH {
            self.lower.diags.push(Diagnostic::error(
                codes::DSL_TOO_DEEP,
                format!("{path}: query nesting is deeper than {MAX_DEPTH} levels"),
            ));
            return Pred::Const(false);
        }
        self.depth += 1;
        let path = format!("{path}.{kind}");
        let pred = self.query_kind(kind, body, &path);
        self.depth -= 1;
        pred
    }

    fn query_kind(&mut self, kind: &str, body: &Value, path: &str) -> Pred {
        match kind {
            "bool" => self.bool_query(body, path),
            "match_all" => Pred::Const(true),
            "match_none" => Pred::Const(false),
            "term" => self.single_field(body, path, |cx, field, v, p| cx.term(field, v, p)),
            "terms" => self.terms(body, path),
            "match" => self.single_field(body, path, |cx, field, v, p| {
                cx.match_query(field, v, p, false)
            }),
            "match_phrase" => self.single_field(body, path, |cx, field, v, p| {
                cx.match_query(field, v, p, true)
            }),
            "multi_match" => self.multi_match(body, path),
            "exists" => self.exists(body, path),
            "range" => self.single_field(body, path, |cx, field, v, p| cx.range(field, v, p)),
            "wildcard" => self.single_field(body, path, |cx, field, v, p| {
                cx.wildcard(field, v, p, false)
            }),
            "prefix" => {
                self.single_field(body, path, |cx, field, v, p| cx.wildcard(field, v, p, true))
            }
            "regexp" => self.single_field(body, path, |cx, field, v, p| cx.regexp(field, v, p)),
            "query_string" => self.query_string(body, path),
            "constant_score" => self.sub(body, "filter", path),
            "boosting" => self.sub(body, "positive", path),
            "dis_max" => match body.get("queries").and_then(Value::as_array) {
                Some(qs) => Pred::or(
                    qs.iter()
                        .enumerate()
                        .map(|(i, q)| self.query(q, &format!("{path}.queries[{i}]")))
                        .collect(),
                ),
                None => self.error(path, "`dis_max` needs `queries`"),
            },
            "nested" => self.nested(body, path),
            other => self.error(path, format!("the `{other}` query is not supported")),
        }
    }

    fn sub(&mut self, body: &Value, key: &str, path: &str) -> Pred {
        match body.get(key) {
            Some(q) => self.query(q, &format!("{path}.{key}")),
            None => self.error(path, format!("missing `{key}`")),
        }
    }

    fn bool_query(&mut self, body: &Value, path: &str) -> Pred {
        let Some(obj) = body.as_object() else {
            return self.error(path, "`bool` must be an object");
        };
        let mut must = Vec::new();
        for key in ["must", "filter"] {
            must.extend(self.clauses(obj, key, path));
        }
        let should = self.clauses(obj, "should", path);
        let must_not = self.clauses(obj, "must_not", path);
        let default_msm = if must.is_empty() && !should.is_empty() {
            1
        } else {
            0
        };
        let msm = match obj.get("minimum_should_match") {
            None => default_msm,
            Some(v) => match minimum_should_match(v, should.len()) {
                Some(n) => n,
                None => return self.error(path, format!("unsupported `minimum_should_match` {v}")),
            },
        };
        if msm > 0 {
            match at_least(should, msm) {
                Some(p) => must.push(p),
                None => {
                    return self.error(
                        path,
                        "`minimum_should_match` over too many `should` clauses",
                    )
                }
            }
        }
        must.extend(must_not.into_iter().map(Pred::not));
        Pred::and(must)
    }

    fn clauses(&mut self, obj: &Obj, key: &str, path: &str) -> Vec<Pred> {
        match obj.get(key) {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, q)| self.query(q, &format!("{path}.{key}[{i}]")))
                .collect(),
            Some(q) => vec![self.query(q, &format!("{path}.{key}"))],
        }
    }

    /// `{ "field": value }` or `{ "field": { … } }` (plus `boost` and the like).
    fn single_field(
        &mut self,
        body: &Value,
        path: &str,
        each: fn(&mut Self, &str, &Value, &str) -> Pred,
    ) -> Pred {
        let Some(obj) = body.as_object() else {
            return self.error(path, "expected an object");
        };
        let fields: Vec<(&String, &Value)> = obj
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "boost" | "_name" | "rewrite"))
            .collect();
        match fields.as_slice() {
            [(field, v)] => each(self, field, v, &format!("{path}.{field}")),
            _ => self.error(path, "expected exactly one field"),
        }
    }

    fn on_field(&mut self, field: &str, want: &Want, path: &str, lenient: bool) -> Pred {
        let env = Env {
            lenient: lenient || self.lower.env.lenient,
            ..self.lower.env
        };
        match field_pred(self.lower.binder, env, field, want) {
            Ok(p) => p,
            Err(e) => {
                self.lower
                    .diags
                    .push(Diagnostic::error(e.code, format!("{path}: {}", e.message)));
                Pred::Const(false)
            }
        }
    }

    fn term(&mut self, field: &str, v: &Value, path: &str) -> Pred {
        let (value, opts) = value_and_options(v, "value");
        let Some(text) = value.and_then(scalar_text) else {
            return self.error(path, "`term` needs a value");
        };
        let case_insensitive = bool_opt(opts, "case_insensitive");
        self.on_field(
            field,
            &Want::Term {
                text,
                case_insensitive,
            },
            path,
            false,
        )
    }

    fn terms(&mut self, body: &Value, path: &str) -> Pred {
        let Some(obj) = body.as_object() else {
            return self.error(path, "`terms` must be an object");
        };
        let fields: Vec<(&String, &Value)> = obj
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "boost" | "_name"))
            .collect();
        let [(field, Value::Array(values))] = fields.as_slice() else {
            return self.error(path, "`terms` needs one field with an array of values");
        };
        let path = format!("{path}.{field}");
        let mut preds = Vec::new();
        for v in values {
            let Some(text) = scalar_text(v) else {
                return self.error(&path, "`terms` values must be scalars");
            };
            preds.push(self.on_field(
                field,
                &Want::Term {
                    text,
                    case_insensitive: false,
                },
                &path,
                false,
            ));
        }
        Pred::or(preds)
    }

    fn match_query(&mut self, field: &str, v: &Value, path: &str, phrase: bool) -> Pred {
        let (value, opts) = value_and_options(v, "query");
        let Some(text) = value.and_then(scalar_text) else {
            return self.error(path, "a match query needs `query`");
        };
        let phrase =
            phrase || opts.and_then(|o| o.get("type")).and_then(Value::as_str) == Some("phrase");
        if phrase
            && opts
                .and_then(|o| o.get("slop"))
                .and_then(Value::as_u64)
                .unwrap_or(0)
                > 0
        {
            return self.error(path, "`slop` is not supported");
        }
        let lenient = bool_opt(opts, "lenient");
        let operator_and = opts
            .and_then(|o| o.get("operator"))
            .and_then(Value::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("and"));
        if operator_and && !phrase {
            return self.match_all_tokens(field, &text, path, lenient);
        }
        self.on_field(field, &Want::Match { text, phrase }, path, lenient)
    }

    /// `match` with `operator: and`: on text fields every token must occur.
    fn match_all_tokens(&mut self, field: &str, text: &str, path: &str, lenient: bool) -> Pred {
        if self.lower.binder.schema.resolve(field).ty.is_text() {
            let tokens = event::analysis::standard_tokens(text);
            if tokens.is_empty() {
                return Pred::Const(false);
            }
            let preds = tokens
                .into_iter()
                .map(|t| {
                    self.on_field(
                        field,
                        &Want::Term {
                            text: t,
                            case_insensitive: false,
                        },
                        path,
                        lenient,
                    )
                })
                .collect();
            return Pred::and(preds);
        }
        self.on_field(
            field,
            &Want::Match {
                text: text.to_string(),
                phrase: false,
            },
            path,
            lenient,
        )
    }

    fn multi_match(&mut self, body: &Value, path: &str) -> Pred {
        let Some(text) = body.get("query").and_then(scalar_text) else {
            return self.error(path, "`multi_match` needs `query`");
        };
        let phrase = body.get("type").and_then(Value::as_str) == Some("phrase");
        let want = Want::Match { text, phrase };
        let fields = string_list(body.get("fields"));
        if fields.is_empty() {
            return self
                .lower
                .default_fields_pred(&[want], diag::Span::default());
        }
        let lenient = body
            .get("lenient")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let names = self.expand(&fields);
        Pred::or(
            names
                .iter()
                .map(|f| self.on_field(f, &want, path, lenient))
                .collect(),
        )
    }

    /// Field names with patterns expanded over the schema (boosts `^n` dropped).
    fn expand(&mut self, fields: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        for f in fields {
            let f = f.split('^').next().unwrap_or(f);
            if f.contains('*') {
                out.extend(self.lower.expand_pattern(f, true));
            } else {
                out.push(f.to_string());
            }
        }
        out.dedup();
        out
    }

    fn exists(&mut self, body: &Value, path: &str) -> Pred {
        let Some(field) = body.get("field").and_then(Value::as_str) else {
            return self.error(path, "`exists` needs `field`");
        };
        let names = if field.contains('*') {
            self.lower.expand_pattern(field, false)
        } else {
            vec![field.to_string()]
        };
        Pred::or(
            names
                .iter()
                .map(|f| self.on_field(f, &Want::Exists, path, false))
                .collect(),
        )
    }

    fn range(&mut self, field: &str, v: &Value, path: &str) -> Pred {
        let Some(o) = v.as_object() else {
            return self.error(path, "`range` needs an object of bounds");
        };
        if let Some(tz) = o.get("time_zone").and_then(Value::as_str) {
            if !matches!(
                tz,
                "UTC" | "Z" | "Zulu" | "Etc/UTC" | "GMT" | "+00:00" | "00:00"
            ) {
                return self.error(
                    path,
                    format!("time zone `{tz}` is not supported (UTC only)"),
                );
            }
        }
        let bound = |k: &str, inclusive: bool| {
            o.get(k)
                .filter(|v| !v.is_null())
                .and_then(scalar_text)
                .map(|text| Bound { text, inclusive })
        };
        let include = |k: &str| o.get(k).and_then(Value::as_bool).unwrap_or(true);
        let lower = bound("gte", true)
            .or_else(|| bound("gt", false))
            .or_else(|| bound("from", include("include_lower")));
        let upper = bound("lte", true)
            .or_else(|| bound("lt", false))
            .or_else(|| bound("to", include("include_upper")));
        self.on_field(field, &Want::Range { lower, upper }, path, false)
    }

    fn wildcard(&mut self, field: &str, v: &Value, path: &str, prefix: bool) -> Pred {
        let key = if prefix { "value" } else { "wildcard" };
        let (value, opts) = value_and_options(v, "value");
        let value = value.or_else(|| opts.and_then(|o| o.get(key)));
        let Some(text) = value.and_then(Value::as_str) else {
            return self.error(path, "a pattern string is needed");
        };
        let parts = if prefix {
            vec![Part::Literal(text.to_string()), Part::AnyRun]
        } else {
            event::wildcard::lucene_parts(text)
        };
        let case_insensitive = bool_opt(opts, "case_insensitive");
        self.on_field(
            field,
            &Want::Wildcard {
                parts,
                case_insensitive,
            },
            path,
            false,
        )
    }

    fn regexp(&mut self, field: &str, v: &Value, path: &str) -> Pred {
        let (value, opts) = value_and_options(v, "value");
        let Some(pattern) = value.and_then(Value::as_str) else {
            return self.error(path, "`regexp` needs a value");
        };
        let case_insensitive = bool_opt(opts, "case_insensitive");
        self.on_field(
            field,
            &Want::Regex {
                pattern: pattern.to_string(),
                case_insensitive,
            },
            path,
            false,
        )
    }

    fn query_string(&mut self, body: &Value, path: &str) -> Pred {
        let Some(text) = body.get("query").and_then(Value::as_str) else {
            return self.error(path, "`query_string` needs `query`");
        };
        let mut fields = string_list(body.get("fields"));
        if let Some(f) = body.get("default_field").and_then(Value::as_str) {
            fields.push(f.to_string());
        }
        let settings = crate::lucene::Settings {
            default_fields: fields,
            default_operator_and: body
                .get("default_operator")
                .and_then(Value::as_str)
                .is_some_and(|s| s.eq_ignore_ascii_case("and")),
            lenient: body.get("lenient").and_then(Value::as_bool),
        };
        match crate::lucene::lower_with(text, &mut self.lower, &settings) {
            Ok(p) => p,
            Err(diags) => {
                for d in diags {
                    self.lower
                        .diags
                        .push(Diagnostic::error(d.code, format!("{path}: {}", d.message)));
                }
                Pred::Const(false)
            }
        }
    }

    fn nested(&mut self, body: &Value, path: &str) -> Pred {
        let Some(p) = body.get("path").and_then(Value::as_str) else {
            return self.error(path, "`nested` needs `path`");
        };
        self.lower.diags.push(Diagnostic::warning(
            codes::NESTED_FLATTENED,
            format!("{path}: nested query on `{p}`: the conditions may be met by different objects of the array"),
        ));
        self.sub(body, "query", path)
    }
}

/// `{ "field": scalar }` → (scalar, None); `{ "field": { key: scalar, … } }` → (value of key, options).
fn value_and_options<'v>(v: &'v Value, key: &str) -> (Option<&'v Value>, Option<&'v Obj>) {
    match v {
        Value::Object(o) => (o.get(key), Some(o)),
        other => (Some(other), None),
    }
}

fn bool_opt(opts: Option<&Obj>, key: &str) -> bool {
    opts.and_then(|o| o.get(key))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// A JSON scalar as the text Elasticsearch would see.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// `minimum_should_match`: an integer, a negative integer (all but n), or a
/// percentage (rounded down); `None` for combinations (`3<90%`).
fn minimum_should_match(v: &Value, n: usize) -> Option<usize> {
    let n = n as i64;
    let resolve = |k: i64| -> usize { (if k < 0 { n + k } else { k }).max(0) as usize };
    match v {
        Value::Number(x) => x.as_i64().map(resolve),
        Value::String(s) => {
            let s = s.trim();
            if let Some(p) = s.strip_suffix('%') {
                let pct: i64 = p.trim().parse().ok()?;
                let k = n * pct.abs() / 100;
                Some(resolve(if pct < 0 { -k } else { k }))
            } else {
                s.parse::<i64>().ok().map(resolve)
            }
        }
        _ => None,
    }
}

/// At least `k` of `preds` (k ≥ 1): OR of the k-combinations, for small sets.
fn at_least(preds: Vec<Pred>, k: usize) -> Option<Pred> {
    let n = preds.len();
    if k > n {
        return Some(Pred::Const(false));
    }
    if k == 1 {
        return Some(Pred::or(preds));
    }
    if k == n {
        return Some(Pred::and(preds));
    }
    if n > 12 {
        return None;
    }
    let mut out = Vec::new();
    for mask in 0u32..(1 << n) {
        if mask.count_ones() as usize == k {
            out.push(Pred::and(
                (0..n)
                    .filter(|i| mask & (1 << i) != 0)
                    .map(|i| preds[i].clone())
                    .collect(),
            ));
        }
    }
    Some(Pred::or(out))
}
