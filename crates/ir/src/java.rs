//! Java semantics the Elasticsearch runtime inherits and EQL results depend
//! on: `String` is UTF-16 (lengths, indices and ordering count UTF-16 code
//! units), `Double.toString` renders doubles, `compareToIgnoreCase` folds
//! case per code unit, `Long.parseLong(s, radix)` parses numbers.

use std::cmp::Ordering;

/// `String.length()`: UTF-16 code units.
pub fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    }
}

/// `String.compareTo`: lexicographic over UTF-16 code units (differs from code
/// point order only for supplementary characters against U+E000..U+FFFF).
pub fn compare_utf16(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.as_bytes().cmp(b.as_bytes());
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

/// `Character.toUpperCase(char)` on one UTF-16 unit: the simple (1:1) mapping.
fn upper_unit(u: u16) -> u16 {
    simple_map(u, |c| c.to_uppercase())
}

fn lower_unit(u: u16) -> u16 {
    simple_map(u, |c| c.to_lowercase())
}

fn simple_map<I: Iterator<Item = char>>(u: u16, f: impl Fn(char) -> I) -> u16 {
    let Some(c) = char::from_u32(u32::from(u)) else {
        return u;
    };
    let mut mapped = f(c);
    match (mapped.next(), mapped.next()) {
        (Some(m), None) if m.len_utf16() == 1 => {
            let mut buf = [0u16; 1];
            m.encode_utf16(&mut buf);
            buf[0]
        }
        _ => u,
    }
}

/// `String.compareToIgnoreCase(other) == 0`.
pub fn equals_ignore_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    let mut x = a.encode_utf16();
    let mut y = b.encode_utf16();
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(c1), Some(c2)) => {
                if c1 != c2 {
                    let (u1, u2) = (upper_unit(c1), upper_unit(c2));
                    if u1 != u2 && lower_unit(u1) != lower_unit(u2) {
                        return false;
                    }
                }
            }
            _ => return false,
        }
    }
}

/// `String.toLowerCase(Locale.ROOT)`.
pub fn to_lower(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.to_lowercase()
    }
}

/// `haystack.indexOf(needle, from)` in UTF-16 units (negative `from` is 0).
pub fn index_of(haystack: &str, needle: &str, from: i32) -> Option<usize> {
    let h: Vec<u16> = haystack.encode_utf16().collect();
    let n: Vec<u16> = needle.encode_utf16().collect();
    let from = from.max(0) as usize;
    if from > h.len() {
        return if n.is_empty() { Some(h.len()) } else { None };
    }
    if n.is_empty() {
        return Some(from);
    }
    (from..=h.len().saturating_sub(n.len()))
        .find(|&i| h.len() >= n.len() && h[i..i + n.len()] == n[..])
}

/// `haystack.lastIndexOf(needle)` in UTF-16 units.
pub fn last_index_of(haystack: &str, needle: &str) -> Option<usize> {
    let h: Vec<u16> = haystack.encode_utf16().collect();
    let n: Vec<u16> = needle.encode_utf16().collect();
    if n.len() > h.len() {
        return None;
    }
    (0..=h.len() - n.len())
        .rev()
        .find(|&i| h[i..i + n.len()] == n[..])
}

/// `s.substring(start, end)` in UTF-16 units (indices already clamped).
pub fn substring_utf16(s: &str, start: usize, end: usize) -> String {
    if s.is_ascii() {
        return s.get(start..end).unwrap_or("").to_string();
    }
    let units: Vec<u16> = s.encode_utf16().collect();
    let end = end.min(units.len());
    let start = start.min(end);
    String::from_utf16_lossy(&units[start..end])
}

/// `Double.toString(d)`: shortest digits that round-trip; plain notation for
/// 1e-3 <= |d| < 1e7 (always with a fractional part), else `d.dddE±n`.
pub fn double_to_string(d: f64) -> String {
    if d.is_nan() {
        return "NaN".into();
    }
    if d.is_infinite() {
        return if d > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if d == 0.0 {
        return if d.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    let sci = format!("{:e}", d.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if d < 0.0 { "-" } else { "" };
    let abs = d.abs();
    if (1e-3..1e7).contains(&abs) {
        format!("{sign}{}", plain(&digits, exp))
    } else {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        format!("{sign}{first}.{rest}E{exp}")
    }
}

/// Places the decimal point in `digits` (d.ddd × 10^exp).
fn plain(digits: &str, exp: i32) -> String {
    if exp < 0 {
        let zeros = "0".repeat((-exp - 1) as usize);
        return format!("0.{zeros}{digits}");
    }
    let point = exp as usize + 1;
    if digits.len() > point {
        format!("{}.{}", &digits[..point], &digits[point..])
    } else {
        format!("{}{}.0", digits, "0".repeat(point - digits.len()))
    }
}

/// `Long.parseLong(s, radix)`: optional sign, digits of the radix, no spaces,
/// overflow is an error.
pub fn parse_long(s: &str, radix: u32) -> Option<i64> {
    if !(2..=36).contains(&radix) || s.is_empty() {
        return None;
    }
    let (neg, digits) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut acc: i128 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix)?;
        acc = acc * i128::from(radix) + i128::from(d);
        if acc > i128::from(i64::MAX) + 1 {
            return None;
        }
    }
    let v = if neg { -acc } else { acc };
    i64::try_from(v).ok()
}

/// `Double.valueOf(s)`: Java's floating literal syntax (leading/trailing
/// whitespace allowed, optional `d`/`f` suffix, `NaN`, `Infinity`).
pub fn parse_double(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let t = t.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(t);
    match t {
        "NaN" | "+NaN" | "-NaN" => return Some(f64::NAN),
        "Infinity" | "+Infinity" => return Some(f64::INFINITY),
        "-Infinity" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    let ok = !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && t.bytes().any(|b| b.is_ascii_digit());
    if !ok {
        return None;
    }
    t.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_to_string_matches_java() {
        // java.lang.Double.toString
        assert_eq!(double_to_string(1.0), "1.0");
        assert_eq!(double_to_string(-2.5), "-2.5");
        assert_eq!(double_to_string(100.0), "100.0");
        assert_eq!(double_to_string(1234567.0), "1234567.0");
        assert_eq!(double_to_string(1.0e7), "1.0E7");
        assert_eq!(double_to_string(12345678.9), "1.23456789E7");
        assert_eq!(double_to_string(0.001), "0.001");
        assert_eq!(double_to_string(0.0001), "1.0E-4");
        assert_eq!(double_to_string(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(double_to_string(-0.0), "-0.0");
        assert_eq!(double_to_string(f64::NAN), "NaN");
        assert_eq!(double_to_string(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(double_to_string(1e21), "1.0E21");
    }

    #[test]
    fn utf16_semantics() {
        assert_eq!(utf16_len("a😀"), 3);
        assert_eq!(index_of("abcabc", "c", 3), Some(5));
        assert_eq!(index_of("abc", "", 1), Some(1));
        assert_eq!(index_of("abc", "", 9), Some(3));
        assert_eq!(index_of("abc", "x", -4), None);
        assert_eq!(index_of("abc", "a", -4), Some(0));
        assert_eq!(last_index_of("a.b.c", "."), Some(3));
        assert_eq!(substring_utf16("a😀b", 1, 3), "😀");
        // U+FF21 (BMP) sorts after U+1F600 encoded as surrogates D83D DE00.
        assert_eq!(compare_utf16("\u{FF21}", "😀"), Ordering::Greater);
        assert!(equals_ignore_case("ÉTÉ", "été"));
        assert!(equals_ignore_case("CMD.EXE", "cmd.exe"));
        assert!(!equals_ignore_case("cmd", "cmd.exe"));
    }

    #[test]
    fn parse_long_and_double_like_java() {
        assert_eq!(parse_long("ff", 16), Some(255));
        assert_eq!(parse_long("-80", 16), Some(-128));
        assert_eq!(parse_long("9223372036854775808", 10), None);
        assert_eq!(parse_long("-9223372036854775808", 10), Some(i64::MIN));
        assert_eq!(parse_long("1 ", 10), None);
        assert_eq!(parse_long("z", 36), Some(35));
        assert_eq!(parse_double(" 1.5 "), Some(1.5));
        assert_eq!(parse_double("2e3"), Some(2000.0));
        assert_eq!(parse_double("1.5d"), Some(1.5));
        assert_eq!(parse_double("abc"), None);
    }
}
