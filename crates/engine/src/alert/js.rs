//! The few JavaScript/lodash semantics that Kibana's alert building relies on,
//! re-stated over `serde_json::Value`: `lodash.get` paths, `flattenWithPrefix`,
//! `Number(string)`, `Number.prototype.toString`, `Array.prototype.join`, strict
//! equality of primitives, and the Elasticsearch `fields` API view of a `_source`.

use serde_json::{Map, Value};

/// Whether a key or path has a dot. Keys are short: a byte scan costs less
/// than `str::contains('.')`'s searcher (≈ 136 instructions a call on the
/// keys of events, measured in alert building).
pub(crate) fn has_dot(key: &str) -> bool {
    key.bytes().any(|b| b == b'.')
}

/// `key.split('.')` by a byte scan (see [`has_dot`]; a dot is one byte, never
/// part of another character).
pub(crate) fn dot_segments(key: &str) -> DotSegments<'_> {
    DotSegments(Some(key))
}

/// The byte offsets of the dots of `path`, in order.
pub(crate) fn dot_offsets(path: &str) -> impl Iterator<Item = usize> + '_ {
    path.bytes()
        .enumerate()
        .filter_map(|(i, b)| (b == b'.').then_some(i))
}

/// See [`dot_segments`].
pub(crate) struct DotSegments<'a>(Option<&'a str>);

impl<'a> Iterator for DotSegments<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.0?;
        match rest.bytes().position(|b| b == b'.') {
            Some(dot) => {
                self.0 = rest.get(dot + 1..);
                rest.get(..dot)
            }
            None => {
                self.0 = None;
                Some(rest)
            }
        }
    }
}

/// `lodash.get(object, path)`: the whole path as one key when the object has that
/// key, otherwise the dot-separated segments walked through plain objects only.
/// `None` is JavaScript's `undefined`; a JSON `null` is `Some(Value::Null)`.
pub(crate) fn lodash_get<'a>(object: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(value) = object.get(path) {
        return Some(value);
    }
    let mut segments = dot_segments(path);
    let first = segments.next()?;
    let mut current = object.get(first)?;
    for segment in segments {
        current = current.as_object()?.get(segment)?;
    }
    Some(current)
}

/// Values of `path` as Elasticsearch's `fields` API returns them for a `_source`:
/// every leaf reachable under any mix of dotted keys and nested objects, arrays
/// (also arrays of objects) flattened, nulls and objects left out.
/// (Kibana requests `fields: [{ field: '*', include_unmapped: true }]` on every
/// events search: `rule_types/utils/build_events_query.ts`,
/// `rule_types/eql/build_eql_search_request.ts`.)
pub(crate) fn fields_api_values<'a>(source: &'a Map<String, Value>, path: &str) -> Vec<&'a Value> {
    fields_api_values_in(source, path, true)
}

/// [`fields_api_values`], told whether `source` has a dotted key at its top
/// level (a caller reading several paths finds out once): without one,
/// only a path's first segment can be a key there, so the lookups of its
/// longer prefixes and of the whole path are left out.
pub(crate) fn fields_api_values_in<'a>(
    source: &'a Map<String, Value>,
    path: &str,
    dotted_keys: bool,
) -> Vec<&'a Value> {
    let mut out = Vec::new();
    if dotted_keys {
        collect_path(source, path, 0, &mut out);
        return out;
    }
    match path.split_once('.') {
        Some((first, rest)) => {
            if let Some(value) = source.get(first) {
                collect_under(value, rest, 1, &mut out);
            }
        }
        None => {
            if let Some(value) = source.get(path) {
                collect_leaves(value, 1, &mut out);
            }
        }
    }
    out
}

const MAX_DEPTH: usize = 128;

/// The keys of `object` that lead to `path` are `path` itself and its prefixes
/// ending before a dot; looked up shortest first, which is their key order.
fn collect_path<'a>(
    object: &'a Map<String, Value>,
    path: &str,
    depth: usize,
    out: &mut Vec<&'a Value>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    for dot in dot_offsets(path) {
        if let Some(value) = object.get(&path[..dot]) {
            collect_under(value, &path[dot + 1..], depth + 1, out);
        }
    }
    if let Some(value) = object.get(path) {
        collect_leaves(value, depth + 1, out);
    }
}

fn collect_under<'a>(value: &'a Value, rest: &str, depth: usize, out: &mut Vec<&'a Value>) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => collect_path(map, rest, depth, out),
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_under(item, rest, depth + 1, out)),
        _ => {}
    }
}

fn collect_leaves<'a>(value: &'a Value, depth: usize, out: &mut Vec<&'a Value>) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Null | Value::Object(_) => {}
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_leaves(item, depth + 1, out)),
        scalar => out.push(scalar),
    }
}

/// `flattenWithPrefix(prefix, value)` of `@kbn/securitysolution-rules`: plain
/// objects are flattened to dotted keys under `prefix`; anything else (arrays
/// included) is a leaf.
pub(crate) fn flatten_with_prefix(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    flatten_at(&mut prefix.to_string(), value, out);
}

/// [`flatten_with_prefix`] under `path` (restored on return): one buffer
/// for every key, not a formatted string per level.
fn flatten_at(path: &mut String, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let len = path.len();
                path.push('.');
                path.push_str(key);
                flatten_at(path, inner, out);
                path.truncate(len);
            }
        }
        leaf => out.push((path.clone(), leaf.clone())),
    }
}

/// JavaScript's `Number(string)`: `None` where it gives `NaN`.
pub(crate) fn js_number(text: &str) -> Option<f64> {
    let trimmed = text.trim_matches(is_js_whitespace);
    if trimmed.is_empty() {
        return Some(0.0);
    }
    for (prefix, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(digits) = trimmed.strip_prefix(prefix) {
            return parse_radix(digits, radix);
        }
    }
    let unsigned = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if unsigned == "Infinity" {
        return Some(if trimmed.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if !is_decimal_literal(unsigned) {
        return None;
    }
    trimmed.parse::<f64>().ok()
}

fn parse_radix(digits: &str, radix: u32) -> Option<f64> {
    if digits.is_empty() {
        return None;
    }
    digits.chars().try_fold(0.0f64, |acc, c| {
        Some(acc * f64::from(radix) + f64::from(c.to_digit(radix)?))
    })
}

/// `digits [. digits] [e [+-] digits]` with at least one mantissa digit.
fn is_decimal_literal(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = all_digits(int_part)
        && all_digits(frac_part)
        && !(int_part.is_empty() && frac_part.is_empty());
    let exponent_ok = match exponent {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(['+', '-']).unwrap_or(e);
            !e.is_empty() && all_digits(e)
        }
    };
    mantissa_ok && exponent_ok
}

/// The characters `String.prototype.trim` removes (WhiteSpace and LineTerminator).
fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{a}' | '\u{b}' | '\u{c}' | '\u{d}' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// `Number.prototype.toString()` for the numbers JSON can carry.
pub(crate) fn js_number_to_string(number: &serde_json::Number) -> String {
    if let Some(i) = number.as_i64() {
        return js_f64_to_string(i as f64).unwrap_or_else(|| i.to_string());
    }
    if let Some(u) = number.as_u64() {
        return js_f64_to_string(u as f64).unwrap_or_else(|| u.to_string());
    }
    number
        .as_f64()
        .and_then(js_f64_to_string)
        .unwrap_or_else(|| number.to_string())
}

fn js_f64_to_string(x: f64) -> Option<String> {
    if !x.is_finite() {
        return None;
    }
    if x == 0.0 {
        return Some("0".to_string());
    }
    let magnitude = x.abs();
    if (1e-6..1e21).contains(&magnitude) {
        return Some(format!("{x}"));
    }
    // Exponential form: shortest round-trip mantissa, `e+N` / `e-N` as JavaScript writes it.
    let formatted = format!("{x:e}");
    let (mantissa, exponent) = formatted.split_once('e')?;
    let sign = if exponent.starts_with('-') { "" } else { "+" };
    Some(format!("{mantissa}e{sign}{exponent}"))
}

/// `Array.prototype.join(', ')` element conversion: null → "", nested arrays
/// joined with ",", objects → "[object Object]".
pub(crate) fn js_to_join_string(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => js_number_to_string(n),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(js_to_join_string)
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => "[object Object]".to_string(),
    }
}

/// JavaScript `===` between JSON values: primitives by value (numbers as
/// doubles), arrays and objects never (they are distinct objects in Kibana).
pub(crate) fn js_strict_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => false,
    }
}

/// `_.intersection(a, b)`: the distinct values of `a`, in order, that are also in
/// `b` (SameValueZero; arrays and objects never match).
pub(crate) fn lodash_intersection(a: &[Value], b: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for value in a {
        let in_b = b.iter().any(|other| js_strict_equal(value, other));
        let seen = out.iter().any(|kept| js_strict_equal(value, kept));
        if in_b && !seen {
            out.push(value.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_scans_are_strs_own() {
        for key in [
            "",
            ".",
            "..",
            "a",
            "a.b",
            ".a",
            "a.",
            "a..b",
            "host.name",
            "é.ü.x",
            "日本.語",
            "a.b.c.d",
        ] {
            assert_eq!(has_dot(key), key.contains('.'), "{key}");
            let segments: Vec<&str> = dot_segments(key).collect();
            assert_eq!(segments, key.split('.').collect::<Vec<_>>(), "{key}");
            let offsets: Vec<usize> = dot_offsets(key).collect();
            let want: Vec<usize> = key.match_indices('.').map(|(i, _)| i).collect();
            assert_eq!(offsets, want, "{key}");
        }
    }
    use serde_json::json;

    #[test]
    fn flatten_with_prefix_gives_dotted_leaves_in_key_order() {
        let mut out = Vec::new();
        let value = json!({"b": {"y": [1, {"z": 2}], "x": {}}, "a": null, "c.d": {"e": "f"}});
        flatten_with_prefix("p", &value, &mut out);
        let expected = vec![
            ("p.a".to_string(), json!(null)),
            ("p.b.y".to_string(), json!([1, {"z": 2}])),
            ("p.c.d.e".to_string(), json!("f")),
        ];
        assert_eq!(out, expected);
        out.clear();
        flatten_with_prefix("leaf", &json!(3), &mut out);
        assert_eq!(out, vec![("leaf".to_string(), json!(3))]);
    }

    #[test]
    fn js_number_matches_javascript() {
        assert_eq!(js_number(""), Some(0.0));
        assert_eq!(js_number(" 24 "), Some(24.0));
        assert_eq!(js_number("0x10"), Some(16.0));
        assert_eq!(js_number("-1.5e3"), Some(-1500.0));
        assert_eq!(js_number(".5"), Some(0.5));
        assert_eq!(js_number("1."), Some(1.0));
        assert_eq!(js_number("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(js_number("2015x"), None);
        assert_eq!(js_number("201.2s"), None);
        assert_eq!(js_number("."), None);
        assert_eq!(js_number("1e"), None);
        assert_eq!(js_number("-0x10"), None);
        assert_eq!(js_number("non-valid"), None);
    }

    #[test]
    fn number_to_string_matches_javascript() {
        let s = |v: Value| js_to_join_string(&v);
        assert_eq!(s(json!(443)), "443");
        assert_eq!(s(json!(443.0)), "443");
        assert_eq!(s(json!(0.1)), "0.1");
        assert_eq!(s(json!(1e21)), "1e+21");
        assert_eq!(s(json!(1.5e-7)), "1.5e-7");
        assert_eq!(
            s(json!([1, [2, 3], null, {"a": 1}])),
            "1,2,3,,[object Object]"
        );
    }

    #[test]
    fn lodash_get_prefers_the_whole_key() {
        let doc = json!({"a.b": 1, "a": {"b": 2, "c": {"d": 3}}, "x": {"y.z": 4}});
        let doc = doc.as_object().unwrap();
        assert_eq!(lodash_get(doc, "a.b"), Some(&json!(1)));
        assert_eq!(lodash_get(doc, "a.c.d"), Some(&json!(3)));
        assert_eq!(lodash_get(doc, "x.y.z"), None);
    }

    #[test]
    fn fields_api_view_flattens_every_notation() {
        let doc = json!({
            "process": {"parent": {"name": "bash"}, "parent.name": "sh"},
            "process.parent": {"name": ["zsh", null]},
            "hosts": [{"name": "a"}, {"name": "b"}],
        });
        let doc = doc.as_object().unwrap();
        assert_eq!(
            fields_api_values(doc, "process.parent.name"),
            vec![&json!("bash"), &json!("sh"), &json!("zsh")]
        );
        assert_eq!(
            fields_api_values(doc, "hosts.name"),
            vec![&json!("a"), &json!("b")]
        );
        assert!(fields_api_values(doc, "process").is_empty());
    }

    /// Told that the top level has no dotted key, the view is the same.
    #[test]
    fn fields_api_view_without_dotted_top_level_keys() {
        let doc = json!({
            "process": {"parent": {"name": "bash"}, "parent.name": "sh", "name": "p"},
            "hosts": [{"name": "a"}, {"name": ["b", null]}, "c"],
            "event": {"category": ["x", "y"]},
            "n": 1,
        });
        let doc = doc.as_object().unwrap();
        assert!(!doc.keys().any(|k| has_dot(k)));
        for path in [
            "process.parent.name",
            "process.name",
            "process",
            "hosts.name",
            "hosts",
            "event.category",
            "n",
            "n.x",
            "missing.a.b",
            "",
            ".",
            "process.",
        ] {
            assert_eq!(
                fields_api_values_in(doc, path, false),
                fields_api_values(doc, path),
                "{path}"
            );
        }
    }

    #[test]
    fn intersection_is_lodash_intersection() {
        let a = [json!(3), json!(4), json!(3), json!({"o": 1}), json!("4")];
        let b = [json!(1), json!(4.0), json!(3), json!({"o": 1})];
        assert_eq!(lodash_intersection(&a, &b), vec![json!(3), json!(4)]);
    }
}
