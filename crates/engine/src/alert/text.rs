//! Compact JSON text of values, written straight into a byte buffer.
//!
//! Alert documents are written once per alert, and most of their cost was
//! serde_json's generic serializer walking the per-alert fields (a call
//! through the `Serializer` trait per value, a byte-table lookup per string
//! byte). The shape here is fixed (a `serde_json::Value`), so the text is
//! written directly, and strings are scanned sixteen bytes at a time for the
//! bytes that need escaping. The output is byte for byte serde_json's compact
//! text (`serde_json::to_writer`): the same escapes (`\"`, `\\`, `\b`, `\f`,
//! `\n`, `\r`, `\t`, other control bytes as `\u00xx` in lowercase hex;
//! nothing else escaped), object keys in the map's order, and numbers as
//! serde_json's `Number` displays them (the `itoa` / `ryu` forms its
//! serializer writes). Tested equal to serde_json on tricky values. The
//! buffer is a `String`: runs are cut only at ASCII bytes, so no UTF-8 check
//! is needed at the end.

use serde_json::Value;
use std::fmt::Write;

/// Appends the compact JSON text of `value` to `out`.
pub(crate) fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        // Writing into a `String` cannot fail.
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, key);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

/// Appends `s` as a JSON string (quoted, escaped as serde_json escapes).
/// Runs between the bytes JSON escapes are found with
/// [`event::find_special`] (a quote, a backslash or a control byte, sixteen
/// bytes at a time), the scanner's own search, and copied whole.
pub(crate) fn write_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    loop {
        let at = next_special(bytes, start);
        out.push_str(&s[start..at]);
        let Some(&byte) = bytes.get(at) else {
            break;
        };
        push_escape(out, byte, escape_of(byte));
        start = at + 1;
    }
    out.push('"');
}

/// The first byte JSON escapes in `bytes` from `from`, or `bytes.len()`.
/// Most strings of a document (keys, names, ids) are short: fewer than
/// sixteen bytes are looked up in a table here, where the vector search's
/// out-of-line tail (a call and its setup per string) cost more than the
/// search itself.
#[inline]
fn next_special(bytes: &[u8], from: usize) -> usize {
    match bytes.get(from..) {
        Some(rest) if rest.len() < 16 => rest
            .iter()
            .position(|&b| ESCAPED[usize::from(b)])
            .map_or(bytes.len(), |i| from + i),
        _ => event::find_special(bytes, from),
    }
}

/// Bytes JSON escapes ([`event::is_special`]), as a table.
const ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = event::is_special(b as u8);
        b += 1;
    }
    table
};

/// The letter after the backslash for a byte JSON escapes (a quote, a
/// backslash or a control byte; `u` for the `\u00xx` form).
fn escape_of(byte: u8) -> u8 {
    match byte {
        0x08 => b'b',
        0x0c => b'f',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        0..=0x1f => b'u',
        other => other,
    }
}

fn push_escape(out: &mut String, byte: u8, escape: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('\\');
    out.push(char::from(escape));
    if escape == b'u' {
        out.push_str("00");
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(value: &Value) -> String {
        let mut out = String::new();
        write_value(&mut out, value);
        out
    }

    /// Every catalogue rule's JSON, as `compile::describe` packs it, is
    /// serde_json's text.
    #[test]
    fn catalogue_rules_are_written_as_serde_json_writes_them() {
        let dr = testkit::catalogue("");
        let report = rules::load_with(
            &[dr.join("rules"), dr.join("rules_building_block")],
            &rules::LoadOptions::default(),
        );
        let all: Vec<_> = report.rules.iter().chain(&report.unsupported).collect();
        assert!(all.len() > 2000);
        for rule in all {
            assert_like_serde(&rule.raw);
        }
    }

    fn assert_like_serde(value: &Value) {
        assert_eq!(
            text(value),
            serde_json::to_string(value).unwrap(),
            "{value:?}"
        );
    }

    #[test]
    fn every_byte_escapes_as_serde_json_does() {
        // Each ASCII byte alone, and at each position of a 9-byte string
        // (across the eight-byte scan and its tail).
        for byte in 0u8..0x80 {
            let c = char::from(byte);
            assert_like_serde(&json!(c.to_string()));
            for at in 0..9 {
                let mut s: String = "abcdefghi".to_string();
                s.replace_range(at..=at, &c.to_string());
                assert_like_serde(&json!(s));
                assert_like_serde(&json!(format!("{s}{s}xyz")));
            }
        }
    }

    /// The table and the vector search find the same first byte, at every
    /// length either side of sixteen and every start.
    #[test]
    fn short_and_long_searches_agree() {
        for b in 0..=255u8 {
            let escaped = b < 0x20 || b == b'"' || b == b'\\';
            assert_eq!(ESCAPED[usize::from(b)], escaped, "{b}");
        }
        for len in 0..40 {
            for at in 0..=len {
                let mut bytes = vec![b'a'; len];
                if at < len {
                    bytes[at] = b'"';
                }
                for from in 0..=at.min(len) {
                    let expected = bytes[from..]
                        .iter()
                        .position(|&b| b == b'"')
                        .map_or(len, |i| from + i);
                    assert_eq!(next_special(&bytes, from), expected, "{len} {at} {from}");
                }
            }
        }
    }

    #[test]
    fn strings_with_unicode_and_escapes() {
        for s in [
            "",
            "plain",
            "é\u{7f}\u{80}\u{2028}\u{2029}😀 \"q\" \\b\\ /slash/",
            "C:\\Windows\\System32\\cmd.exe /c \"whoami\"\r\n\ttab",
            "\u{0}\u{1}\u{1f}\u{8}\u{c}",
            "long run without anything to escape at all, well past eight bytes",
            "ünïcödé ∑ 中文 \u{10ffff}",
        ] {
            assert_like_serde(&json!(s));
        }
    }

    #[test]
    fn numbers_nulls_and_nesting() {
        let value = json!({
            "int": 1, "neg": -42, "big": u64::MAX, "min": i64::MIN,
            "float": 1.5, "tiny": 1e-300, "large": 1.7976931348623157e308,
            "whole": 10.0, "neg_zero": -0.0, "null": null, "t": true, "f": false,
            "nested": [[], [[1, [2, {}]]], {"a": {"b": [null, "x\ny"]}}],
            "empty_obj": {}, "a.dotted.key": "v", "key \"quoted\"\t": "w",
        });
        assert_like_serde(&value);
        let from_text: Value = serde_json::from_str(
            r#"{"n":[0.1,1e21,123456789012345678901234567890,-1.0e-7,5e-324]}"#,
        )
        .unwrap();
        assert_like_serde(&from_text);
    }
}
