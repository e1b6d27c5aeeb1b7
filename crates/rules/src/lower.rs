//! Lowering exception items to an [`ir::Pred`] that is true when an event is
//! EXCEPTED; the engine ANDs `not(pred)` onto the rule.
//!
//! This follows how Kibana builds the exception filter
//! (elastic/kibana `x-pack/solutions/security/plugins/lists/server/services/exception_lists/build_exception_filter.ts`,
//! formerly `kbn-securitysolution-list-utils/src/build_exception_filter`):
//!
//! - the items of all lists are ORed (`bool.should`), the entries of an item
//!   ANDed (`bool.filter`);
//! - `match` → `match_phrase` (a term on keyword/numeric/ip/date fields, a phrase
//!   on analysed text); `match_any` → a `should` of `match_phrase`;
//! - `exists` → `exists`; `wildcard` → a `wildcard` query with no
//!   `case_insensitive` flag (Lucene syntax: `*`, `?`, `\` escapes the next
//!   character — Kibana's docs tell users to write `C:\\Windows\\*`);
//! - `list` → `terms` with the list's values (`ip_range` values `a-b` become
//!   `range` queries); `text` lists are only post-filtered by Kibana, which
//!   vigil does not do (the item is reported and not applied);
//! - `operator: excluded` wraps the entry in `bool.must_not`;
//! - `nested` → a `nested` query over the field's objects (see [`lower_exceptions`]);
//! - `os_types: [..]` ANDs `host.os.type` *or* `host.os.name.caseless` equal to
//!   one of the OS names (Kibana's `transformOsType` ORs both fields for every OS).
//!
//! Case: comparisons are case-sensitive except on `*.caseless` fields, which
//! Elastic Defend maps as keyword multi-fields with a lowercase normalizer; the
//! normalizer lowercases both the indexed value and the query value (terms and
//! wildcard patterns alike), so they compare case-insensitively. Endpoint-type
//! lists (`type: endpoint`) use these fields (`file.path.caseless`,
//! `process.executable.caseless`…); that is where their case-insensitivity comes from.

use crate::codes;
use crate::exceptions::{Entry, ExceptionItem, Operator};
use crate::source::SourceText;
use crate::value_list::ValueLists;
use diag::{Diagnostic, Span};
use event::wildcard::Pattern;
use event::{FieldType, Number};
use ir::{Binder, FieldRef, Pred, RangeBound, RangeValue, Test, TextMode};
use std::sync::Arc;

/// A problem found while lowering, with the file of the item it concerns.
#[derive(Debug, Clone)]
pub struct ExceptionDiagnostic {
    pub item_id: String,
    pub source: Option<Arc<SourceText>>,
    pub diagnostic: Diagnostic,
}

/// The lowered exceptions of one rule.
#[derive(Debug, Clone)]
pub struct LoweredExceptions {
    /// True when the event is excepted (`Const(false)` when nothing applies).
    pub pred: Pred,
    pub diagnostics: Vec<ExceptionDiagnostic>,
    /// Items that could not be lowered and are not applied (as Kibana reports
    /// "unprocessed exceptions" and runs the rule without them).
    pub unprocessed: Vec<String>,
}

/// Lowers items (from all the lists a rule uses) to one predicate.
///
/// `nested` entries: Elasticsearch requires all inner entries to hold within
/// the same object of the nested array; vigil's events flatten object arrays,
/// so the inner entries are ANDed over the flattened values (a warning says so).
pub fn lower_exceptions(
    items: &[&ExceptionItem],
    binder: &mut Binder<'_>,
    lists: &ValueLists,
) -> LoweredExceptions {
    let mut out = LoweredExceptions {
        pred: Pred::Const(false),
        diagnostics: Vec::new(),
        unprocessed: Vec::new(),
    };
    let mut ors = Vec::with_capacity(items.len());
    for item in items {
        let mut cx = ItemCx {
            item,
            binder,
            lists,
            diags: &mut out.diagnostics,
            failed: false,
        };
        let pred = cx.item();
        if cx.failed {
            out.unprocessed.push(item.item_id.clone());
        } else {
            ors.push(pred);
        }
    }
    out.pred = Pred::or(ors);
    out
}

struct ItemCx<'a, 'b, 's> {
    item: &'a ExceptionItem,
    binder: &'b mut Binder<'s>,
    lists: &'b ValueLists,
    diags: &'b mut Vec<ExceptionDiagnostic>,
    failed: bool,
}

impl ItemCx<'_, '_, '_> {
    fn item(&mut self) -> Pred {
        if self.item.entries.is_empty() {
            self.error(
                None,
                codes::BAD_EXCEPTION,
                "exception item has no entries".into(),
            );
        }
        let mut ands = Vec::with_capacity(self.item.entries.len() + 1);
        if !self.item.os_types.is_empty() {
            ands.push(self.os_types());
        }
        for (i, entry) in self.item.entries.iter().enumerate() {
            ands.push(self.entry(entry, None, i));
        }
        Pred::and(ands)
    }

    /// `host.os.type` (exact) or `host.os.name.caseless` (lowercased) is one of the OS names.
    fn os_types(&mut self) -> Pred {
        let values = self.item.os_types.clone();
        let os_type = self.binder.bind("host.os.type").field;
        let os_name = self.binder.bind("host.os.name").field;
        Pred::or(vec![
            Pred::field(
                os_type,
                Test::Terms {
                    values: values.clone(),
                    case_insensitive: false,
                },
            ),
            Pred::field(
                os_name,
                Test::Terms {
                    values,
                    case_insensitive: true,
                },
            ),
        ])
    }

    fn entry(&mut self, entry: &Entry, parent: Option<&str>, index: usize) -> Pred {
        let full = |f: &str| match parent {
            Some(p) => format!("{p}.{f}"),
            None => f.to_string(),
        };
        let (operator, pred) = match entry {
            Entry::Match {
                field,
                operator,
                value,
            } => (
                *operator,
                self.terms(&full(field), std::slice::from_ref(value), true, index),
            ),
            Entry::MatchAny {
                field,
                operator,
                value,
            } => (*operator, self.terms(&full(field), value, true, index)),
            Entry::Exists { field, operator } => {
                let (f, _) = self.bind(&full(field));
                (*operator, Pred::field(f, Test::Exists))
            }
            Entry::Wildcard {
                field,
                operator,
                value,
            } => (*operator, self.wildcard(&full(field), value, index)),
            Entry::List {
                field,
                operator,
                list,
            } => (
                *operator,
                self.list(&full(field), &list.id, &list.list_type, index),
            ),
            Entry::Nested { field, entries } => {
                if parent.is_some() {
                    self.error(
                        Some(index),
                        codes::BAD_EXCEPTION,
                        "nested entries cannot contain nested entries".into(),
                    );
                }
                self.warn(index, format!("nested entry `{field}`: inner entries are matched over flattened values, not per object"));
                let inner = entries
                    .iter()
                    .map(|e| self.entry(e, Some(field), index))
                    .collect();
                (Operator::Included, Pred::and(inner))
            }
        };
        match operator {
            Operator::Included => pred,
            Operator::Excluded => Pred::not(pred),
        }
    }

    /// Binds a field; `x.caseless` (unless the schema knows it) compares through
    /// `x` case-insensitively.
    fn bind(&mut self, name: &str) -> (FieldRef, bool) {
        if let Some(parent) = name.strip_suffix(".caseless") {
            if !self.binder.schema.is_known(name)
                || self
                    .binder
                    .schema
                    .def(name)
                    .is_some_and(|d| d.parent.is_some())
            {
                let mut f = self.binder.bind(parent).field;
                f.name = name.to_string();
                return (f, true);
            }
        }
        (self.binder.bind(name).field, false)
    }

    /// `match_phrase` (phrase = true) or `terms` over values, by field type.
    fn terms(&mut self, name: &str, values: &[String], phrase: bool, index: usize) -> Pred {
        let (field, caseless) = self.bind(name);
        if values.is_empty() {
            self.error(
                Some(index),
                codes::BAD_EXCEPTION,
                format!("entry on `{name}` has no values"),
            );
            return Pred::Const(false);
        }
        let ty = field.ty;
        if caseless
            || ty.is_keyword_like()
            || matches!(ty, FieldType::Unmapped | FieldType::Version)
        {
            return Pred::field(
                field,
                Test::Terms {
                    values: values.to_vec(),
                    case_insensitive: caseless,
                },
            );
        }
        if ty.is_text() {
            return self.text_terms(field, values, phrase);
        }
        match ty {
            t if t.is_numeric() => self.numbers(field, values, index),
            FieldType::Ip => self.ips(field, values, index),
            t if t.is_date() => self.dates(field, values, index),
            FieldType::Boolean => self.booleans(field, values, index),
            _ => Pred::field(
                field,
                Test::Terms {
                    values: values.to_vec(),
                    case_insensitive: false,
                },
            ),
        }
    }

    fn text_terms(&mut self, field: FieldRef, values: &[String], phrase: bool) -> Pred {
        if !phrase {
            // `terms` on a text field compares the raw value with single tokens.
            return Pred::field(
                field,
                Test::Text {
                    tokens: values.to_vec(),
                    mode: TextMode::AnyToken,
                },
            );
        }
        let preds = values
            .iter()
            .map(|v| {
                let tokens = event::analysis::standard_tokens(v);
                if tokens.is_empty() {
                    Pred::Const(false)
                } else {
                    Pred::field(
                        field.clone(),
                        Test::Text {
                            tokens,
                            mode: TextMode::Phrase,
                        },
                    )
                }
            })
            .collect();
        Pred::or(preds)
    }

    fn numbers(&mut self, field: FieldRef, values: &[String], index: usize) -> Pred {
        let mut nums = Vec::with_capacity(values.len());
        for v in values {
            match Number::parse(v) {
                // A term with a fractional part on an integer field matches nothing.
                Some(Number::Float(f)) if field.ty.is_integer() && f.fract() != 0.0 => {}
                Some(n) => nums.push(n),
                None => self.bad_value(index, &field, v, "a number"),
            }
        }
        if nums.is_empty() {
            return Pred::Const(false);
        }
        Pred::field(field, Test::Numbers(nums))
    }

    fn ips(&mut self, field: FieldRef, values: &[String], index: usize) -> Pred {
        let mut nets = Vec::with_capacity(values.len());
        for v in values {
            match parse_ip_net(v) {
                Some(n) => nets.push(n),
                None => self.bad_value(index, &field, v, "an IP address or CIDR block"),
            }
        }
        if nets.is_empty() {
            return Pred::Const(false);
        }
        Pred::field(field, Test::IpNets(nets))
    }

    fn dates(&mut self, field: FieldRef, values: &[String], index: usize) -> Pred {
        let mut preds = Vec::with_capacity(values.len());
        for v in values {
            match event::time::parse_date_nanos(v) {
                Some(n) => {
                    let b = Some(RangeBound {
                        value: RangeValue::Date(n),
                        inclusive: true,
                    });
                    preds.push(Pred::field(
                        field.clone(),
                        Test::Range {
                            lower: b.clone(),
                            upper: b,
                        },
                    ));
                }
                None => self.bad_value(index, &field, v, "a date"),
            }
        }
        Pred::or(preds)
    }

    fn booleans(&mut self, field: FieldRef, values: &[String], index: usize) -> Pred {
        let mut preds = Vec::new();
        for v in values {
            match v.as_str() {
                "true" => preds.push(Pred::field(field.clone(), Test::Bool(true))),
                "false" | "" => preds.push(Pred::field(field.clone(), Test::Bool(false))),
                _ => self.bad_value(index, &field, v, "true or false"),
            }
        }
        Pred::or(preds)
    }

    fn wildcard(&mut self, name: &str, value: &str, index: usize) -> Pred {
        let (field, caseless) = self.bind(name);
        let ty = field.ty;
        let keyword = caseless
            || ty.is_keyword_like()
            || matches!(ty, FieldType::Unmapped | FieldType::Version);
        if keyword {
            let pattern = lucene_wildcard(value, caseless);
            return Pred::field(field, Test::Wildcards(vec![pattern]));
        }
        if ty.is_text() {
            // Elasticsearch does not normalise wildcard patterns on text fields:
            // the pattern is matched, as written, against each lowercased token.
            let pattern = lucene_wildcard(value, false);
            return Pred::field(
                field,
                Test::Text {
                    tokens: Vec::new(),
                    mode: TextMode::TokenWildcard(pattern),
                },
            );
        }
        self.error(
            Some(index),
            codes::BAD_EXCEPTION_VALUE,
            format!(
                "`{name}` is a {} field; wildcard entries need a keyword, wildcard or text field",
                ty.es_name()
            ),
        );
        Pred::Const(false)
    }

    fn list(&mut self, name: &str, id: &str, list_type: &str, index: usize) -> Pred {
        let Some(values) = self.lists.get(id) else {
            self.error(
                Some(index),
                codes::MISSING_VALUE_LIST,
                format!("value list `{id}` was not supplied (use --value-list FILE named `{id}`)"),
            );
            return Pred::Const(false);
        };
        let values = values.to_vec();
        match list_type {
            "text" => {
                self.unsupported(index, format!("value list `{id}` has type text, which Kibana applies after the search; vigil does not evaluate it"));
                Pred::Const(false)
            }
            "ip_range" => self.ip_ranges(name, &values, index),
            t if crate::value_list::VALUE_LIST_TYPES.contains(&t) => {
                self.terms(name, &values, false, index)
            }
            other => {
                self.error(
                    Some(index),
                    codes::BAD_EXCEPTION,
                    format!("unknown value list type `{other}`"),
                );
                Pred::Const(false)
            }
        }
    }

    /// `ip_range` lists: `a-b` values are ranges, others addresses or CIDR blocks.
    fn ip_ranges(&mut self, name: &str, values: &[String], index: usize) -> Pred {
        let (field, _) = self.bind(name);
        let (dashed, plain): (Vec<&String>, Vec<&String>) =
            values.iter().partition(|v| v.contains('-'));
        let mut preds = Vec::new();
        for v in dashed {
            let bounds = v.split_once('-').and_then(|(a, b)| {
                Some((
                    event::value::parse_ip(a.trim())?,
                    event::value::parse_ip(b.trim())?,
                ))
            });
            match bounds {
                Some((a, b)) => preds.push(Pred::field(
                    field.clone(),
                    Test::Range {
                        lower: Some(RangeBound {
                            value: RangeValue::Ip(event::value::ip_key(a)),
                            inclusive: true,
                        }),
                        upper: Some(RangeBound {
                            value: RangeValue::Ip(event::value::ip_key(b)),
                            inclusive: true,
                        }),
                    },
                )),
                None => self.bad_value(index, &field, v, "an IP range `a-b`"),
            }
        }
        if !plain.is_empty() {
            let plain: Vec<String> = plain.into_iter().cloned().collect();
            preds.push(self.ips(field, &plain, index));
        }
        Pred::or(preds)
    }

    fn span(&self, index: Option<usize>) -> Option<Span> {
        let origin = self.item.origin.as_ref()?;
        index
            .and_then(|i| origin.entry_spans.get(i).copied())
            .or(Some(origin.span))
    }

    fn push(&mut self, d: Diagnostic, index: Option<usize>) {
        let d = match self.span(index) {
            Some(s) => d.with_label(s, ""),
            None => d,
        };
        self.diags.push(ExceptionDiagnostic {
            item_id: self.item.item_id.clone(),
            source: self.item.origin.as_ref().map(|o| o.source.clone()),
            diagnostic: d.with_note(format!(
                "in exception item `{}` of list `{}`",
                self.item.item_id, self.item.list_id
            )),
        });
    }

    fn error(&mut self, index: Option<usize>, code: &'static str, msg: String) {
        self.failed = true;
        self.push(Diagnostic::error(code, msg), index);
    }

    fn unsupported(&mut self, index: usize, msg: String) {
        self.failed = true;
        self.push(
            Diagnostic::warning(codes::EXCEPTION_APPROXIMATED, msg),
            Some(index),
        );
    }

    fn warn(&mut self, index: usize, msg: String) {
        self.push(
            Diagnostic::warning(codes::EXCEPTION_APPROXIMATED, msg),
            Some(index),
        );
    }

    fn bad_value(&mut self, index: usize, field: &FieldRef, value: &str, expected: &str) {
        self.error(
            Some(index),
            codes::BAD_EXCEPTION_VALUE,
            format!(
                "`{value}` is not {expected}, as `{}` ({}) requires",
                field.name,
                field.ty.es_name()
            ),
        );
    }
}

/// An IP address (as a /32 or /128) or a CIDR block.
fn parse_ip_net(s: &str) -> Option<ipnet::IpNet> {
    let s = s.trim();
    if let Ok(net) = s.parse::<ipnet::IpNet>() {
        return Some(net);
    }
    event::value::parse_ip(s).map(ipnet::IpNet::from)
}

/// A Lucene wildcard: `*` any run, `?` one character, `\` makes the next
/// character literal (a trailing `\` is literal).
pub fn lucene_wildcard(value: &str, case_insensitive: bool) -> Pattern {
    Pattern::lucene(value, case_insensitive)
}
