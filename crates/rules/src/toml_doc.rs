//! detection-rules TOML → JSON value plus a [`SpanIndex`] of every key and value.
//!
//! `toml`'s spanned document (`toml::de::DeTable`) keeps the position of each
//! key and value; the document is turned into the same `serde_json::Value`
//! shape a Kibana JSON rule has, so that one rule reader serves both formats.
//! Rule files are first tried with [`crate::toml_fast`], which reads the TOML
//! rule files are written in several times faster and gives up on anything
//! else (errors included): `toml` then reads the file as before, so values,
//! spans and diagnostics do not depend on which reader ran.

use crate::codes;
use crate::source::{with_segment, NodeSpan, SpanIndex};
use diag::{Diagnostic, Span};
use serde_json::{Map, Value};
use std::fmt::Write;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// A parsed document and where its parts are.
#[derive(Debug, Clone)]
pub struct ParsedDoc {
    pub value: Value,
    pub spans: SpanIndex,
}

/// Parses TOML text. A syntax error becomes a `RULE0002` diagnostic with the
/// parser's span.
pub fn parse_toml(text: &str) -> Result<ParsedDoc, Diagnostic> {
    match crate::toml_fast::parse(text) {
        Some(doc) => Ok(doc),
        None => parse_toml_full(text),
    }
}

/// Whether the fast reader agrees with `toml` on `text`: where it accepts,
/// `toml` must accept too and give the same value and spans. For the
/// `rule_toml` fuzz target (a differential test of the two readers).
#[doc(hidden)]
pub fn toml_readers_agree(text: &str) -> Result<(), String> {
    let Some(fast) = crate::toml_fast::parse(text) else {
        return Ok(());
    };
    match parse_toml_full(text) {
        Err(d) => Err(format!(
            "fast reader accepted what toml refuses: {}",
            d.message
        )),
        Ok(full) if full.value != fast.value => Err("the readers' values differ".into()),
        Ok(full) if full.spans != fast.spans => Err("the readers' spans differ".into()),
        Ok(_) => Ok(()),
    }
}

/// Parses TOML text with `toml` (any TOML; the error messages).
pub(crate) fn parse_toml_full(text: &str) -> Result<ParsedDoc, Diagnostic> {
    let doc = DeTable::parse(text).map_err(|e| syntax_error(&e, text))?;
    let mut spans = SpanIndex::default();
    let value = table_to_json(doc.get_ref(), &mut String::new(), &mut spans, 0);
    Ok(ParsedDoc { value, spans })
}

fn syntax_error(e: &toml::de::Error, text: &str) -> Diagnostic {
    let mut lines = e.message().trim().lines();
    let first = lines.next().unwrap_or("invalid TOML").to_string();
    let rest: Vec<&str> = lines.collect();
    let span = e
        .span()
        .map(|r| Span::new(r.start, r.end))
        .unwrap_or_else(|| Span::at(text.len()));
    let label = if rest.is_empty() {
        String::new()
    } else {
        rest.join("; ")
    };
    Diagnostic::error(codes::TOML_SYNTAX, format!("TOML syntax error: {first}"))
        .with_label(span, label)
}

fn span_of<T>(s: &Spanned<T>) -> Span {
    let r = s.span();
    Span::new(r.start, r.end)
}

/// TOML nesting beyond this is not converted (the parser has its own limit).
const MAX_DEPTH: usize = 128;

/// The document as JSON; `path` is the table's path, used as a buffer for
/// its children's (one allocation per node, for its [`SpanIndex`] key).
fn table_to_json(
    table: &DeTable<'_>,
    path: &mut String,
    spans: &mut SpanIndex,
    depth: usize,
) -> Value {
    let mut obj = Map::new();
    for (key, value) in table.iter() {
        let segment = escape_key(key.get_ref());
        let v = with_segment(
            path,
            |p| p.push_str(&segment),
            |path| value_to_json(value, path, Some(span_of(key)), spans, depth + 1),
        );
        obj.insert(key.get_ref().to_string(), v);
    }
    Value::Object(obj)
}

fn value_to_json(
    v: &Spanned<DeValue<'_>>,
    path: &mut String,
    key_span: Option<Span>,
    spans: &mut SpanIndex,
    depth: usize,
) -> Value {
    spans.insert(
        path.clone(),
        NodeSpan {
            key: key_span,
            value: span_of(v),
        },
    );
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    match v.get_ref() {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::from(n),
            Err(_) => Value::String(i.to_string()),
        },
        DeValue::Float(f) => f
            .as_str()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(f.as_str().to_string())),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Array(a) => Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, e)| {
                    let index = |p: &mut String| {
                        let _ = write!(p, "{i}");
                    };
                    with_segment(path, index, |path| {
                        value_to_json(e, path, None, spans, depth + 1)
                    })
                })
                .collect(),
        ),
        DeValue::Table(t) => table_to_json(t, path, spans, depth),
    }
}

/// Keys holding `/` or `~` are escaped as in JSON pointers.
pub fn escape_key(key: &str) -> std::borrow::Cow<'_, str> {
    if memchr::memchr2(b'/', b'~', key.as_bytes()).is_some() {
        std::borrow::Cow::Owned(key.replace('~', "~0").replace('/', "~1"))
    } else {
        std::borrow::Cow::Borrowed(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_and_records_spans() {
        let text = "[rule]\nname = \"x\"\nrisk_score = 21\n[[rule.threat]]\nframework = \"MITRE ATT&CK\"\n[rule.threat.tactic]\nid = \"TA0001\"\n";
        let doc = parse_toml(text).unwrap();
        assert_eq!(doc.value["rule"]["risk_score"], 21);
        assert_eq!(doc.value["rule"]["threat"][0]["tactic"]["id"], "TA0001");
        let s = doc.spans.get("rule/name").unwrap();
        assert_eq!(&text[s.value.range()], "\"x\"");
        assert_eq!(&text[s.key.unwrap().range()], "name");
        let id = doc.spans.get("rule/threat/0/tactic/id").unwrap();
        assert_eq!(&text[id.value.range()], "\"TA0001\"");
    }

    /// Malformed TOML near the fast reader's subset reports exactly what
    /// `toml` reports (the fast reader leaves every error to it).
    #[test]
    fn malformed_toml_reports_toml_diagnostics() {
        let cases = [
            "a = \"open\n",
            "a = 1\na = 2\n",
            "[a]\n[a]\n",
            "a = [1 2]\n",
            "a = \"\\q\"\n",
            "[a] b = 1\n",
            "a = {b = 1, b = 2}\n",
            "a = 01\n",
            "= 1\n",
        ];
        for text in cases {
            let fast_first = parse_toml(text).unwrap_err();
            let full = parse_toml_full(text).unwrap_err();
            assert_eq!(fast_first, full, "{text:?}");
            assert_eq!(fast_first.code, "RULE0002");
        }
    }

    #[test]
    fn syntax_error_has_span() {
        let err = parse_toml("[rule]\nname = \"x\nrisk_score = 1\n").unwrap_err();
        assert_eq!(err.code, "RULE0002");
        assert!(err.primary_span().is_some());
    }
}
