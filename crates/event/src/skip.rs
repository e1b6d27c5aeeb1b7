//! Skipping a JSON value nothing is read from, validating it exactly as
//! serde_json's `ignore_value` does: the full grammar, strings free of control
//! characters with valid escapes (`\u` needs four hex digits; surrogates are
//! not paired), numbers by their grammar only, and nesting without limit.
//!
//! Written as free functions over `(bytes, position)` so that the position
//! stays in a register through the whole loop; the open containers are a bit
//! stack (a word for the innermost 64, spilled to a vector beyond).

use crate::scan::{find_special, Malformed};

type Skip = Result<usize, Malformed>;

#[cold]
#[inline(never)]
fn fail(at: usize, reason: &'static str) -> Skip {
    Err(Malformed { at, reason })
}

/// The next byte at or after `*pos` that is not JSON whitespace (moving
/// `*pos` to it), or 0 at the end of the input.
#[inline(always)]
pub(crate) fn peek(bytes: &[u8], pos: &mut usize) -> u8 {
    match bytes.get(*pos) {
        Some(&c) if c > b' ' => c,
        _ => {
            // By value, not by reference: a position whose address is taken
            // would live in memory through the whole skipping loop.
            let (c, after) = peek_after_blanks(bytes, *pos);
            *pos = after;
            c
        }
    }
}

#[cold]
#[inline(never)]
fn peek_after_blanks(bytes: &[u8], mut pos: usize) -> (u8, usize) {
    while let Some(&c) = bytes.get(pos) {
        match c {
            b' ' | b'\n' | b'\t' | b'\r' => pos += 1,
            _ => return (c, pos),
        }
    }
    (0, pos)
}

/// Skips the value at `pos` (blanks before it allowed); the position after it.
pub(crate) fn skip_value(bytes: &[u8], mut pos: usize, spill: &mut Vec<u8>) -> Skip {
    let base = spill.len();
    let mut open = Open { bits: 0, depth: 0 };
    let result = 'value: loop {
        match peek(bytes, &mut pos) {
            b'"' => pos = skip_string(bytes, pos + 1)?,
            b'-' | b'0'..=b'9' => pos = skip_number(bytes, pos)?,
            b'{' => {
                pos += 1;
                match peek(bytes, &mut pos) {
                    b'}' => pos += 1,
                    b'"' => {
                        open.push(true, spill);
                        pos = skip_key_colon(bytes, pos + 1)?;
                        continue 'value;
                    }
                    0 => break 'value fail(pos, "EOF while parsing an object"),
                    _ => break 'value fail(pos, "key must be a string"),
                }
            }
            b'[' => {
                pos += 1;
                if peek(bytes, &mut pos) == b']' {
                    pos += 1;
                } else {
                    open.push(false, spill);
                    continue 'value;
                }
            }
            b't' => pos = skip_word(bytes, pos, b"true")?,
            b'f' => pos = skip_word(bytes, pos, b"false")?,
            b'n' => pos = skip_word(bytes, pos, b"null")?,
            0 => break 'value fail(pos, "EOF while parsing a value"),
            _ => break 'value fail(pos, "expected value"),
        }
        // A value is complete: close the containers it completes.
        while open.depth > 0 {
            let in_object = open.bits & 1 == 1;
            if in_object && bytes.get(pos..pos + 2) == Some(b",\"") {
                pos = skip_key_colon(bytes, pos + 2)?;
                // A string value, the commonest, without the dispatch.
                if bytes.get(pos) == Some(&b'"') {
                    pos = skip_string(bytes, pos + 1)?;
                    continue;
                }
                continue 'value;
            }
            match peek(bytes, &mut pos) {
                b',' => {
                    pos += 1;
                    if in_object {
                        match peek(bytes, &mut pos) {
                            b'"' => pos = skip_key_colon(bytes, pos + 1)?,
                            0 => break 'value fail(pos, "EOF while parsing an object"),
                            _ => break 'value fail(pos, "key must be a string"),
                        }
                    }
                    continue 'value;
                }
                b'}' if in_object => {
                    pos += 1;
                    open.pop(spill);
                }
                b']' if !in_object => {
                    pos += 1;
                    open.pop(spill);
                }
                0 if in_object => break 'value fail(pos, "EOF while parsing an object"),
                0 => break 'value fail(pos, "EOF while parsing a list"),
                _ if in_object => break 'value fail(pos, "expected `,` or `}`"),
                _ => break 'value fail(pos, "expected `,` or `]`"),
            }
        }
        break Ok(pos);
    };
    spill.truncate(base);
    result
}

/// A key in a skipped object (after its opening quote) and its `:`.
#[inline(always)]
fn skip_key_colon(bytes: &[u8], pos: usize) -> Skip {
    let end = find_special(bytes, pos);
    if bytes.get(end..end + 2) == Some(b"\":") {
        return Ok(end + 2);
    }
    let mut pos = if bytes.get(end) == Some(&b'"') {
        end + 1
    } else {
        skip_escaped_string(bytes, end)?
    };
    if peek(bytes, &mut pos) != b':' {
        return fail(pos, "expected `:`");
    }
    Ok(pos + 1)
}

/// A string (after its opening quote); the position after its closing quote.
#[inline(always)]
pub(crate) fn skip_string(bytes: &[u8], pos: usize) -> Skip {
    let end = find_special(bytes, pos);
    if bytes.get(end) == Some(&b'"') {
        return Ok(end + 1);
    }
    skip_escaped_string(bytes, end)
}

/// The rest of a string from `at`, the first quote, backslash, control
/// character or end of input in it.
#[inline(never)]
fn skip_escaped_string(bytes: &[u8], mut at: usize) -> Skip {
    loop {
        match bytes.get(at) {
            Some(b'"') => return Ok(at + 1),
            Some(b'\\') => {
                let next = match bytes.get(at + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => at + 2,
                    Some(b'u') => match bytes.get(at + 2..at + 6) {
                        Some(hex) if hex.iter().all(u8::is_ascii_hexdigit) => at + 6,
                        Some(_) => return fail(at + 6, "invalid escape"),
                        None => return fail(bytes.len(), "EOF while parsing a string"),
                    },
                    Some(_) => return fail(at + 2, "invalid escape"),
                    None => return fail(at + 1, "EOF while parsing a string"),
                };
                at = find_special(bytes, next);
            }
            Some(_) => {
                return fail(
                    at,
                    "control character (\\u0000-\\u001F) found while parsing a string",
                )
            }
            None => return fail(at, "EOF while parsing a string"),
        }
    }
}

/// `true`, `false` or `null` at `pos`.
#[inline]
fn skip_word(bytes: &[u8], pos: usize, word: &[u8]) -> Skip {
    match bytes.get(pos..pos + word.len()) {
        Some(found) if found == word => Ok(pos + word.len()),
        _ => fail(pos, "expected ident"),
    }
}

/// The number grammar (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`)
/// at `pos`; the position after the number.
#[inline]
pub(crate) fn skip_number(bytes: &[u8], mut pos: usize) -> Skip {
    if bytes.get(pos) == Some(&b'-') {
        pos += 1;
    }
    match bytes.get(pos) {
        Some(b'0') => {
            pos += 1;
            if matches!(bytes.get(pos), Some(b'0'..=b'9')) {
                return fail(pos, "invalid number");
            }
        }
        Some(b'1'..=b'9') => pos = digits_end(bytes, pos + 1),
        _ => return fail(pos, "invalid number"),
    }
    if bytes.get(pos) == Some(&b'.') {
        pos = one_or_more_digits(bytes, pos + 1)?;
    }
    if matches!(bytes.get(pos), Some(b'e' | b'E')) {
        pos += 1;
        if matches!(bytes.get(pos), Some(b'+' | b'-')) {
            pos += 1;
        }
        pos = one_or_more_digits(bytes, pos)?;
    }
    Ok(pos)
}

#[inline(always)]
fn digits_end(bytes: &[u8], mut pos: usize) -> usize {
    while matches!(bytes.get(pos), Some(b'0'..=b'9')) {
        pos += 1;
    }
    pos
}

#[inline]
fn one_or_more_digits(bytes: &[u8], pos: usize) -> Skip {
    let end = digits_end(bytes, pos);
    if end == pos {
        return fail(pos, "invalid number");
    }
    Ok(end)
}

/// The open containers of a skipped value, innermost in bit 0 (1 = object).
struct Open {
    bits: u64,
    depth: usize,
}

impl Open {
    #[inline]
    fn push(&mut self, object: bool, spill: &mut Vec<u8>) {
        if self.depth >= 64 {
            spill.push((self.bits >> 63) as u8);
        }
        self.bits = self.bits << 1 | u64::from(object);
        self.depth += 1;
    }

    #[inline]
    fn pop(&mut self, spill: &mut Vec<u8>) {
        self.bits >>= 1;
        self.depth -= 1;
        if self.depth >= 64 {
            self.bits |= u64::from(spill.pop().unwrap_or(0)) << 63;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skip(text: &str) -> Result<usize, &'static str> {
        skip_value(text.as_bytes(), 0, &mut Vec::new()).map_err(|m| m.reason)
    }

    #[test]
    fn skips_exactly_one_value() {
        assert_eq!(skip(r#" {"a":[1,{"b":"\u00e9\"x"}],"c":null} , 1"#), Ok(37));
        assert_eq!(skip("-0.5e+3]"), Ok(7));
        assert_eq!(
            skip(r#""\ud800""#),
            Ok(8),
            "lone surrogates pass when skipped"
        );
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(skip(&deep), Ok(400));
        let deep = format!("{}1{}", r#"{"a":"#.repeat(150), "}".repeat(150));
        assert_eq!(skip(&deep), Ok(deep.len()));
    }

    #[test]
    fn rejects_what_serde_json_rejects() {
        for bad in [
            "",
            "[1,]",
            "{\"a\":1,}",
            "[1 2]",
            "{\"a\" 1}",
            "{1:2}",
            "01",
            "1.",
            "1e",
            "-",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\u12G4\"",
            "\"a\u{1}\"",
            "nul",
            "tru",
            "[",
            "{\"a\":",
            "\"abc",
        ] {
            assert!(skip(bad).is_err(), "{bad:?}");
        }
    }
}
