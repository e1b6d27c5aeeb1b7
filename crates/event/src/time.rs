//! Dates as Elasticsearch's default `date` format reads them:
//! `strict_date_optional_time||epoch_millis`.
//!
//! ISO 8601 with optional parts (`2024`, `2024-03`, `2024-03-02`,
//! `2024-03-02T10:20`, `…:30`, `…:30.123456789`), an optional zone (`Z`, `+01:00`,
//! `+0100`, `+01`; none = UTC), or epoch milliseconds as a number or numeric string.
//! Everything is returned as epoch nanoseconds (i64, years 1677–2262).

/// Parses a date value; `None` when it is not a valid date.
pub fn parse_date_nanos(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let b = s.as_bytes();
    // epoch_millis: digits (optionally signed, optionally with a fraction), but a
    // bare 4-digit string is a year in ES's first format.
    if looks_like_epoch_millis(b) {
        let ms: f64 = s.parse().ok()?;
        if let Ok(i) = s.parse::<i64>() {
            return i.checked_mul(1_000_000);
        }
        return Some((ms * 1e6) as i64);
    }
    parse_iso(b)
}

fn looks_like_epoch_millis(b: &[u8]) -> bool {
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    if digits.is_empty() || !digits.iter().all(|c| c.is_ascii_digit() || *c == b'.') {
        return false;
    }
    // `strict_date_optional_time` is tried first: `yyyy` (exactly four digits) is a year.
    !(b.len() == 4 && b.iter().all(u8::is_ascii_digit))
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<i64> {
        let end = self.i.checked_add(n)?;
        let chunk = self.b.get(self.i..end)?;
        if !chunk.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i = end;
        Some(
            chunk
                .iter()
                .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')),
        )
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn done(&self) -> bool {
        self.i == self.b.len()
    }
}

fn parse_iso(b: &[u8]) -> Option<i64> {
    let mut c = Cursor { b, i: 0 };
    let negative_year = c.eat(b'-');
    let mut year = c.digits(4)?;
    if negative_year {
        year = -year;
    }
    let (mut month, mut day) = (1, 1);
    let (mut hour, mut minute, mut second, mut nanos) = (0, 0, 0, 0i64);
    let mut offset_secs = 0i64;
    if c.eat(b'-') {
        month = c.digits(2)?;
        if c.eat(b'-') {
            day = c.digits(2)?;
            if c.eat(b'T') || c.eat(b't') || c.eat(b' ') {
                hour = c.digits(2)?;
                if c.eat(b':') {
                    minute = c.digits(2)?;
                    if c.eat(b':') {
                        second = c.digits(2)?;
                        if c.eat(b'.') || c.eat(b',') {
                            let start = c.i;
                            while matches!(c.peek(), Some(d) if d.is_ascii_digit()) {
                                c.i += 1;
                            }
                            let frac = &b[start..c.i];
                            if frac.is_empty() || frac.len() > 9 {
                                return None;
                            }
                            let mut n = frac
                                .iter()
                                .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'));
                            for _ in frac.len()..9 {
                                n *= 10;
                            }
                            nanos = n;
                        }
                    }
                }
                offset_secs = parse_zone(&mut c)?;
            }
        }
    }
    if !c.done() {
        return None;
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

fn parse_zone(c: &mut Cursor<'_>) -> Option<i64> {
    match c.peek() {
        None => Some(0),
        Some(b'Z') | Some(b'z') => {
            c.i += 1;
            Some(0)
        }
        Some(sign @ (b'+' | b'-')) => {
            c.i += 1;
            let h = c.digits(2)?;
            let m = if c.eat(b':') {
                c.digits(2)?
            } else if c.done() {
                0
            } else {
                c.digits(2)?
            };
            if h > 18 || m > 59 {
                return None;
            }
            let off = h * 3600 + m * 60;
            Some(if sign == b'-' { -off } else { off })
        }
        _ => None,
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Formats epoch nanoseconds as `2024-03-02T10:20:00.000Z` (Elasticsearch's
/// rendering of a `date` field: millisecond precision, UTC).
pub fn format_millis(nanos: i64) -> String {
    let secs = nanos.div_euclid(1_000_000_000);
    let ms = nanos.rem_euclid(1_000_000_000) / 1_000_000;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
}

/// Formats epoch nanoseconds with full precision, trailing zeros trimmed to
/// milliseconds at least (`…T10:20:00.123456789Z`).
pub fn format_nanos(nanos: i64) -> String {
    let frac = nanos.rem_euclid(1_000_000_000);
    if frac % 1_000_000 == 0 {
        return format_millis(nanos);
    }
    let base = format_millis(nanos);
    let digits = format!("{frac:09}");
    let trimmed = digits.trim_end_matches('0');
    format!("{}.{}Z", &base[..19], trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn iso_forms() {
        assert_eq!(parse_date_nanos("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_date_nanos("1970-01-01"), Some(0));
        assert_eq!(parse_date_nanos("1970"), Some(0));
        assert_eq!(parse_date_nanos("1970-02"), Some(31 * 86_400 * S));
        assert_eq!(
            parse_date_nanos("2024-03-02T11:20:00+01:00"),
            parse_date_nanos("2024-03-02T10:20:00Z")
        );
        assert_eq!(
            parse_date_nanos("2024-03-02T11:20:00+0100"),
            parse_date_nanos("2024-03-02T10:20:00Z")
        );
        assert_eq!(parse_date_nanos("1970-01-01T00:00:00.5Z"), Some(S / 2));
        assert_eq!(
            parse_date_nanos("1970-01-01T00:00:00.123456789Z"),
            Some(123_456_789)
        );
        assert_eq!(parse_date_nanos("2024-02-30"), None);
        assert_eq!(parse_date_nanos("2024-13-01"), None);
        assert_eq!(parse_date_nanos("yesterday"), None);
    }

    #[test]
    fn epoch_millis_as_string() {
        assert_eq!(parse_date_nanos("1"), Some(1_000_000));
        assert_eq!(
            parse_date_nanos("1700000000000"),
            Some(1_700_000_000_000 * 1_000_000)
        );
    }

    #[test]
    fn formatting_round_trips() {
        let n = parse_date_nanos("2024-03-02T10:20:00.123Z").unwrap();
        assert_eq!(format_millis(n), "2024-03-02T10:20:00.123Z");
        assert_eq!(format_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_nanos(123_456_789), "1970-01-01T00:00:00.123456789Z");
        assert_eq!(format_millis(-1_000_000), "1969-12-31T23:59:59.999Z");
    }
}
