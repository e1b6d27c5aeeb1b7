//! Lowering a KQL AST to [`ir::Pred`] the way Kibana translates KQL to query
//! DSL (`packages/kbn-es-query/src/kuery/functions/{is,range,not,nested,exists}.ts`,
//! with a field list, as current Security rule execution has) and Elasticsearch
//! evaluates that DSL ([`crate::semantics`]).
//!
//! - `field:value`: `is` — a lone `*` is `exists`; an unquoted value with `*` is
//!   a wildcard (only `*`; `?` is literal); a quoted value is a phrase on text
//!   fields and the same exact term elsewhere; dates become `[v, v]` ranges.
//! - Value lists distribute the field: `f:(a or not b)` = `f:a or not f:b`.
//! - Field-name wildcards (`user.*name`) expand over the schema's fields into an OR.
//! - `not` is `bool.must_not`; `*:*` and the empty query match everything.
//! - Free text (a value without a field) is `multi_match` / `query_string` over
//!   `index.query.default_field` (`*` by default: every schema field of a
//!   searchable type), lenient: fields whose type cannot take the value are
//!   skipped. Fields known only at run time (unmapped) are not searched.
//! - On a keyword field a wildcard keeps its whitespace (Kibana's `wildcard`
//!   query); on text fields (and in free text) the pattern is split at
//!   whitespace as `query_string` does, each piece matching single tokens.
//! - `path:{ query }`: fields inside are relative to `path`. vigil flattens
//!   arrays of objects, so the inner conditions are not tied to one object: a
//!   warning says so. On a mapped field that is not `nested` it is an error,
//!   as in Elasticsearch.

use crate::ast::{Expr, Literal, LiteralValue, Query, RangeOp, Values, WildPart};
use crate::codes;
use crate::semantics::{field_pred, searchable_by_default, Bound, Env, SemError, Want};
use crate::KqlOptions;
use diag::{Diagnostic, Diagnostics, Span};
use event::wildcard::Part;
use event::FieldType;
use ir::{Binder, Pred};

/// Lowers a parsed query; warnings are returned with the predicate.
pub fn lower_with_warnings(
    query: &Query,
    binder: &mut Binder<'_>,
    opts: &KqlOptions,
) -> Result<(Pred, Diagnostics), Diagnostics> {
    let mut cx = Lowerer::new(binder, opts);
    let pred = match &query.root {
        None => Pred::Const(true),
        Some(root) => cx.expr(root),
    };
    if cx.diags.has_errors() {
        return Err(cx.diags);
    }
    Ok((pred, cx.diags))
}

pub(crate) struct Lowerer<'b, 's, 'o> {
    pub binder: &'b mut Binder<'s>,
    pub opts: &'o KqlOptions,
    pub env: Env,
    pub diags: Diagnostics,
    /// The path of the enclosing nested query.
    prefix: Option<String>,
    /// Field-name pattern expansions already computed (pattern, searchable only).
    expansions: std::collections::HashMap<(String, bool), Vec<String>>,
}

impl<'b, 's, 'o> Lowerer<'b, 's, 'o> {
    pub(crate) fn new(binder: &'b mut Binder<'s>, opts: &'o KqlOptions) -> Self {
        Lowerer {
            binder,
            opts,
            env: opts.env(),
            diags: Diagnostics::default(),
            prefix: None,
            expansions: Default::default(),
        }
    }

    /// The schema fields matching a field-name pattern, leaf fields only
    /// (`searchable`: only types `*` expansion searches), memoised.
    pub(crate) fn expand_pattern(&mut self, pattern: &str, searchable: bool) -> Vec<String> {
        let key = (pattern.to_string(), searchable);
        if let Some(hit) = self.expansions.get(&key) {
            return hit.clone();
        }
        let schema = self.binder.schema;
        let out: Vec<String> = schema
            .fields_matching(pattern)
            .into_iter()
            .filter(|f| {
                let ty = schema.resolve(f).ty;
                if searchable {
                    searchable_by_default(ty)
                } else {
                    !ty.is_object()
                }
            })
            .collect();
        self.expansions.insert(key, out.clone());
        out
    }

    fn expr(&mut self, e: &Expr) -> Pred {
        match e {
            Expr::Or { items, .. } => Pred::or(items.iter().map(|i| self.expr(i)).collect()),
            Expr::And { items, .. } => Pred::and(items.iter().map(|i| self.expr(i)).collect()),
            Expr::Not { inner, .. } => Pred::not(self.expr(inner)),
            Expr::Group { inner, .. } => self.expr(inner),
            Expr::Field { field, values, .. } => self.values(field, values),
            Expr::Range {
                field, op, value, ..
            } => self.range(field, *op, value),
            Expr::Nested { path, query, span } => self.nested(path, query, *span),
            Expr::Free { value, .. } => self.free_text(value),
        }
    }

    fn values(&mut self, field: &Literal, values: &Values) -> Pred {
        match values {
            Values::Or { items, .. } => {
                Pred::or(items.iter().map(|v| self.values(field, v)).collect())
            }
            Values::And { items, .. } => {
                Pred::and(items.iter().map(|v| self.values(field, v)).collect())
            }
            Values::Not { inner, .. } => Pred::not(self.values(field, inner)),
            Values::Group { inner, .. } => self.values(field, inner),
            Values::One(value) => self.is(field, value),
        }
    }

    /// Kibana's `is(field, value)`.
    fn is(&mut self, field: &Literal, value: &Literal) -> Pred {
        let all_fields = field.is_lone_star();
        if all_fields && value.is_lone_star() {
            return Pred::Const(true);
        }
        // A `null` field literal is no field at all (Kibana's free-text branch);
        // `*:value` searches every field, as free text does.
        if matches!(field.value, LiteralValue::Null) || all_fields {
            return self.free_text(value);
        }
        let Some(names) = self.field_names(field) else {
            return Pred::Const(false);
        };
        let wants = match self.value_wants(value) {
            Ok(w) => w,
            Err(d) => {
                self.diags.push(d);
                return Pred::Const(false);
            }
        };
        let mut preds = Vec::new();
        for name in &names {
            for (want, split_on_text) in &wants {
                preds.push(self.on_field(name, want, *split_on_text, value.span));
            }
        }
        Pred::or(preds)
    }

    /// One want on one field; a wildcard with whitespace becomes `query_string`'s
    /// OR of its pieces on text fields.
    fn on_field(&mut self, name: &str, want: &Want, split_on_text: bool, span: Span) -> Pred {
        if split_on_text {
            let ty = self.binder.schema.resolve(name).ty;
            if ty.is_text() {
                if let Want::Wildcard { parts, .. } = want {
                    let pieces = split_pattern_on_whitespace(parts);
                    return Pred::or(
                        pieces
                            .iter()
                            .map(|w| self.field_want(name, w, span))
                            .collect(),
                    );
                }
            }
        }
        self.field_want(name, want, span)
    }

    pub(crate) fn field_want(&mut self, name: &str, want: &Want, span: Span) -> Pred {
        match field_pred(self.binder, self.env, name, want) {
            Ok(p) => p,
            Err(e) => {
                self.error(e, span);
                Pred::Const(false)
            }
        }
    }

    fn error(&mut self, e: SemError, span: Span) {
        self.diags
            .push(Diagnostic::error(e.code, e.message).with_label(span, ""));
    }

    /// What an `is` value asks for, and whether a text field splits it at whitespace.
    fn value_wants(&self, value: &Literal) -> Result<Vec<(Want, bool)>, Diagnostic> {
        Ok(match &value.value {
            LiteralValue::Wildcard(parts) if value.is_lone_star() => {
                let _ = parts;
                vec![(Want::Exists, false)]
            }
            LiteralValue::Wildcard(parts) => {
                vec![(
                    Want::Wildcard {
                        parts: kql_pattern(parts),
                        case_insensitive: false,
                    },
                    true,
                )]
            }
            LiteralValue::Str(s) => vec![(
                Want::Match {
                    text: s.clone(),
                    phrase: value.quoted,
                },
                false,
            )],
            LiteralValue::Bool(b) => vec![(
                Want::Match {
                    text: b.to_string(),
                    phrase: false,
                },
                false,
            )],
            LiteralValue::Null => {
                return Err(Diagnostic::error(
                    codes::NULL_VALUE,
                    "`null` is not a value Elasticsearch can search for",
                )
                .with_label(value.span, "")
                .with_note("to find documents without the field, write `not field:*`"))
            }
        })
    }

    /// The field names a field literal stands for (with the nested prefix);
    /// `None` after a diagnostic.
    fn field_names(&mut self, field: &Literal) -> Option<Vec<String>> {
        let name = self.full_name(&field.text());
        let LiteralValue::Wildcard(_) = &field.value else {
            let already = self.diags.iter().any(|d| {
                d.code == codes::UNKNOWN_FIELD && d.message.contains(&format!("[{name}]"))
            });
            if !already && self.binder.schema.resolve(&name).unmapped {
                self.diags.push(
                    Diagnostic::warning(codes::UNKNOWN_FIELD, format!("Unknown field [{name}]"))
                        .with_label(field.span, "not in the mapping or ECS; matched as an unmapped field")
                        .with_note("unmapped strings match as keywords, as Elastic's logs-* templates map them"),
                );
            }
            return Some(vec![name]);
        };
        let names = self.expand_pattern(&name, false);
        if names.is_empty() {
            self.diags.push(
                Diagnostic::warning(codes::NO_FIELD_MATCHES, format!("field pattern `{name}` matches no known field"))
                    .with_label(field.span, "matches nothing")
                    .with_note("field-name wildcards expand over the schema (ECS and --mapping); unknown fields are not searched"),
            );
            return None;
        }
        Some(names)
    }

    fn full_name(&self, name: &str) -> String {
        match &self.prefix {
            Some(p) => format!("{p}.{name}"),
            None => name.to_string(),
        }
    }

    fn range(&mut self, field: &Literal, op: RangeOp, value: &Literal) -> Pred {
        let Some(names) = self.field_names(field) else {
            return Pred::Const(false);
        };
        let b = Bound {
            text: value.text(),
            inclusive: matches!(op, RangeOp::Lte | RangeOp::Gte),
        };
        let want = match op {
            RangeOp::Lt | RangeOp::Lte => Want::Range {
                lower: None,
                upper: Some(b),
            },
            RangeOp::Gt | RangeOp::Gte => Want::Range {
                lower: Some(b),
                upper: None,
            },
        };
        Pred::or(
            names
                .iter()
                .map(|n| self.field_want(n, &want, value.span))
                .collect(),
        )
    }

    fn nested(&mut self, path: &Literal, query: &Expr, span: Span) -> Pred {
        let full = self.full_name(&path.text());
        let resolved = self.binder.schema.resolve(&full);
        if !resolved.unmapped && resolved.ty != FieldType::Nested {
            self.diags.push(
                Diagnostic::error(
                    codes::NOT_NESTED,
                    format!("`{full}` is not a nested field (it is {})", resolved.ty),
                )
                .with_label(path.span, "not nested"),
            );
            return Pred::Const(false);
        }
        self.diags.push(
            Diagnostic::warning(
                codes::NESTED_FLATTENED,
                format!("nested query on `{full}`: the conditions may be met by different objects of the array"),
            )
            .with_label(span, "")
            .with_note("vigil flattens arrays of objects; Elasticsearch requires one nested object to meet them all"),
        );
        let saved = self.prefix.replace(full);
        let pred = self.expr(query);
        self.prefix = saved;
        pred
    }

    /// A value without a field: `multi_match` (or `query_string` for a wildcard)
    /// over the default fields, lenient.
    pub(crate) fn free_text(&mut self, value: &Literal) -> Pred {
        if value.is_lone_star() {
            return Pred::Const(true);
        }
        let wants: Vec<Want> = match &value.value {
            LiteralValue::Wildcard(parts) => split_pattern_on_whitespace(&kql_pattern(parts)),
            LiteralValue::Str(s) => vec![Want::Match {
                text: s.clone(),
                phrase: value.quoted,
            }],
            LiteralValue::Bool(b) => vec![Want::Match {
                text: b.to_string(),
                phrase: false,
            }],
            LiteralValue::Null => match self.value_wants(value) {
                Err(d) => {
                    self.diags.push(d);
                    return Pred::Const(false);
                }
                Ok(_) => return Pred::Const(false),
            },
        };
        self.default_fields_pred(&wants, value.span)
    }

    pub(crate) fn default_fields_pred(&mut self, wants: &[Want], span: Span) -> Pred {
        let fields = self.default_fields();
        let env = Env {
            lenient: true,
            ..self.env
        };
        let mut preds = Vec::new();
        for name in &fields {
            for want in wants {
                match field_pred(self.binder, env, name, want) {
                    Ok(Pred::Const(false)) => {}
                    Ok(p) => preds.push(p),
                    Err(e) => self.error(e, span),
                }
            }
        }
        Pred::or(preds)
    }

    fn default_fields(&mut self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for pattern in &self.opts.default_fields {
            if pattern.contains('*') {
                out.extend(self.expand_pattern(pattern, true));
            } else {
                out.push(pattern.clone());
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

/// KQL wildcard pieces: `*` is the only wildcard.
fn kql_pattern(parts: &[WildPart]) -> Vec<Part> {
    parts
        .iter()
        .map(|p| match p {
            WildPart::Lit(s) => Part::Literal(s.clone()),
            WildPart::Star => Part::AnyRun,
        })
        .collect()
}

/// `query_string` splits a term at whitespace: each piece is a wildcard if it
/// has one, else an analysed match.
pub(crate) fn split_pattern_on_whitespace(parts: &[Part]) -> Vec<Want> {
    let mut pieces: Vec<Vec<Part>> = vec![Vec::new()];
    for part in parts {
        match part {
            Part::Literal(s) => {
                for (i, chunk) in s.split(char::is_whitespace).enumerate() {
                    if i > 0 {
                        pieces.push(Vec::new());
                    }
                    if let (false, Some(p)) = (chunk.is_empty(), pieces.last_mut()) {
                        p.push(Part::Literal(chunk.to_string()));
                    }
                }
            }
            other => {
                if let Some(p) = pieces.last_mut() {
                    p.push(other.clone());
                }
            }
        }
    }
    pieces
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(|p| {
            if p.iter().all(|x| matches!(x, Part::Literal(_))) {
                let text: String = p
                    .iter()
                    .map(|x| {
                        if let Part::Literal(s) = x {
                            s.as_str()
                        } else {
                            ""
                        }
                    })
                    .collect();
                Want::Match {
                    text,
                    phrase: false,
                }
            } else {
                Want::Wildcard {
                    parts: p,
                    case_insensitive: false,
                }
            }
        })
        .collect()
}
