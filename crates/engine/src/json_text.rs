//! Compact JSON text of a `serde_json::Value`, written faster than
//! `serde_json::to_writer`.
//!
//! Start-up writes every catalogue rule's JSON (≈ 11 MB, mostly long
//! descriptions, guides and queries) to pack it for alerts
//! (`compile::describe`); `serde_json` looks each string byte up in its escape
//! table, which was ≈ 110M instructions. Here eight bytes at a time are
//! checked for a quote, a backslash or a control character, and runs without
//! any are copied whole. The text is only read back by `serde_json`, so what
//! matters is that it parses to the same value (tested).

use serde_json::Value;

/// Appends `v` as compact JSON to `out`.
pub(crate) fn write_value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        // Writing into a Vec cannot fail.
        Value::Number(n) => {
            let _ = serde_json::to_writer(&mut *out, n);
        }
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(k, out);
                out.push(b':');
                write_value(item, out);
            }
            out.push(b'}');
        }
    }
}

const LOWS: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// The high bit of each byte of `x` that is zero (exact, no false hits).
fn zero_bytes(x: u64) -> u64 {
    !(((x & LOWS).wrapping_add(LOWS)) | x | LOWS)
}

/// The high bit of each byte of `w` that needs escaping: a quote, a
/// backslash or a byte below 0x20.
fn escape_bytes(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    zero_bytes(w & (ONES * 0xe0))
        | zero_bytes(w ^ (ONES * u64::from(b'"')))
        | zero_bytes(w ^ (ONES * u64::from(b'\\')))
}

fn needs_escape(c: u8) -> bool {
    c < 0x20 || c == b'"' || c == b'\\'
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push(b'"');
    let mut run = 0; // start of the bytes not yet copied
    let mut i = 0;
    loop {
        // The next byte to escape at or after `i`, eight bytes at a time.
        let found = if let Some(chunk) = b.get(i..i + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let hits = escape_bytes(u64::from_le_bytes(word));
            if hits == 0 {
                i += 8;
                continue;
            }
            i + (hits.trailing_zeros() / 8) as usize
        } else {
            match b[i..].iter().position(|&c| needs_escape(c)) {
                Some(k) => i + k,
                None => break,
            }
        };
        out.extend_from_slice(&b[run..found]);
        escape(b[found], out);
        run = found + 1;
        i = run;
    }
    out.extend_from_slice(&b[run..]);
    out.push(b'"');
}

fn escape(c: u8, out: &mut Vec<u8>) {
    match c {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\t' => out.extend_from_slice(b"\\t"),
        b'\r' => out.extend_from_slice(b"\\r"),
        _ => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(c >> 4)]);
            out.push(HEX[usize::from(c & 0xf)]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(v: &Value) {
        let mut out = Vec::new();
        write_value(v, &mut out);
        let back: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(&back, v);
    }

    #[test]
    fn values_read_back_equal() {
        let mut odd = String::new();
        for c in (0u8..0x80).map(char::from) {
            odd.push(c);
            odd.push_str("abcdefg\u{e9}\u{1F600}");
        }
        round_trip(&json!({
            "s": "plain text longer than eight bytes",
            "q": "a \"quoted\" \\ path\\to\nnext\tline\r\u{1}\u{1f}\u{7f}",
            "odd": odd,
            "keys \"x\"\n": [1, -2, 3.5, 1e300, true, false, null, [], {}],
            "nested": {"a": [{"b": "c"}], "": ""},
            "u": 18446744073709551615u64,
        }));
    }

    #[test]
    fn escapes_every_position_of_a_word() {
        for at in 0..20 {
            for c in ["\"", "\\", "\n", "\u{0}", "\u{1f}"] {
                let mut s = "x".repeat(20);
                s.replace_range(at..at + 1, c);
                round_trip(&Value::String(s));
            }
        }
    }

    /// Every catalogue rule's JSON, as `describe` packs it, reads back equal.
    #[test]
    fn catalogue_rules_read_back_equal() {
        let dr = testkit::catalogue("");
        let report = rules::load_with(
            &[dr.join("rules"), dr.join("rules_building_block")],
            &rules::LoadOptions::default(),
        );
        let all: Vec<_> = report.rules.iter().chain(&report.unsupported).collect();
        assert!(all.len() > 2000);
        for rule in all {
            round_trip(&rule.raw);
        }
    }

    #[test]
    fn output_is_serde_json_compact_text() {
        let v = json!({"b": ["x\"y", 1, {"c": null}], "a": "\u{1}\t"});
        let mut out = Vec::new();
        write_value(&v, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(&v).unwrap()
        );
    }
}
