//! Date query values as Elasticsearch's date math parses them. A bound that
//! names only part of an instant (`2017-08-30T20:47:33Z`, `2024-03`) covers
//! the whole unit: parsed "rounding down" its missing fields are their
//! minimum, parsed "rounding up" their maximum (`JavaDateMathParser` with
//! `roundUp`). `term` on a date field is the range [down, up]; `gt` and
//! `lte` round up, `gte` and `lt` round down
//! (`server/.../index/mapper/DateFieldMapper.java`, `DateFieldType.rangeQuery`).

use event::time::{days_from_civil, parse_date_nanos};

const NS: i64 = 1_000_000_000;

/// Epoch nanoseconds of a date bound, rounded down or up.
pub fn parse_bound(s: &str, round_up: bool) -> Option<i64> {
    let lower = parse_date_nanos(s)?;
    if !round_up {
        return Some(lower);
    }
    let t = s.trim();
    if is_epoch_millis(t) {
        // epoch_millis: the sub-millisecond part is the missing field.
        return lower.checked_add(999_999);
    }
    let span = unit_span(t)?;
    lower.checked_add(span - 1)
}

fn is_epoch_millis(t: &str) -> bool {
    let digits = t.strip_prefix('-').unwrap_or(t);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && !(t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()))
}

/// The length in nanoseconds of the smallest unit the ISO text names.
fn unit_span(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let year: i64 = t.get(i..i + 4)?.parse().ok()?;
    i += 4;
    if b.get(i) != Some(&b'-') {
        let days = days_from_civil(year + 1, 1, 1) - days_from_civil(year, 1, 1);
        return Some(days * 86_400 * NS);
    }
    let month: i64 = t.get(i + 1..i + 3)?.parse().ok()?;
    i += 3;
    if b.get(i) != Some(&b'-') {
        let (ny, nm) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
        let days = days_from_civil(ny, nm, 1) - days_from_civil(year, month, 1);
        return Some(days * 86_400 * NS);
    }
    i += 3;
    if !matches!(b.get(i), Some(b'T' | b't' | b' ')) {
        return Some(86_400 * NS);
    }
    i += 3;
    if b.get(i) != Some(&b':') {
        return Some(3_600 * NS);
    }
    i += 3;
    if b.get(i) != Some(&b':') {
        return Some(60 * NS);
    }
    i += 3;
    if !matches!(b.get(i), Some(b'.' | b',')) {
        return Some(NS);
    }
    let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 9 {
        return None;
    }
    Some(10i64.pow(9 - digits as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;

    #[test]
    fn rounding_fills_missing_fields() {
        let s = parse_bound("2017-08-30T20:47:33Z", false).unwrap();
        assert_eq!(parse_bound("2017-08-30T20:47:33Z", true), Some(s + NS - 1));
        let d = parse_bound("2024-02", false).unwrap();
        assert_eq!(parse_bound("2024-02", true), Some(d + 29 * 86_400 * NS - 1));
        let y = parse_bound("2023", false).unwrap();
        assert_eq!(parse_bound("2023", true), Some(y + 365 * 86_400 * NS - 1));
        let f = parse_bound("2024-01-01T00:00:00.12Z", false).unwrap();
        assert_eq!(
            parse_bound("2024-01-01T00:00:00.12Z", true),
            Some(f + 10 * MS - 1)
        );
        assert_eq!(
            parse_bound("1516116808349", true),
            Some(1516116808349 * MS + 999_999)
        );
        assert_eq!(
            parse_bound("1516116808349", false),
            Some(1516116808349 * MS)
        );
        let h = parse_bound("2024-01-01T10+01:00", false).unwrap();
        assert_eq!(
            parse_bound("2024-01-01T10+01:00", true),
            Some(h + 3_600 * NS - 1)
        );
        assert_eq!(parse_bound("yesterday", true), None);
    }
}
