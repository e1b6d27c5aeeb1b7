//! Dates as Elasticsearch's default `date` format reads them:
//! `strict_date_optional_time||epoch_millis`.
//!
//! ISO 8601 with optional parts (`2024`, `2024-03`, `2024-03-02`,
//! `2024-03-02T10:20`, `…:30`, `…:30.123456789`), an optional zone (`Z`, `+01:00`,
//! `+0100`, `+01`; none = UTC), or epoch milliseconds as a number or numeric string.
//! Everything is returned as epoch nanoseconds (i64, years 1677–2262).
//!
//! Query-side dates also take Elasticsearch date math ([`parse_date_math`]:
//! `now-1d/d`, `2024-01-01||+1M/d`) and its rounding of incomplete dates
//! ([`parse_date_nanos_rounded`]): a bound that rounds up fills missing fields
//! with month 1, day 1, 23:59:59.999999999 (`JavaDateFormatter`'s round-up
//! parser defaults in Elasticsearch).

/// Parses a date value; `None` when it is not a valid date.
pub fn parse_date_nanos(s: &str) -> Option<i64> {
    if let Some(t) = parse_canonical(s.as_bytes()) {
        return t;
    }
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
    parse_iso(b, false)
}

/// Parses a date value as a range bound: when `round_up` is true, missing
/// fields take Elasticsearch's round-up defaults (month 1, day 1, hour 23,
/// minute 59, second 59, nanosecond 999 999 999), so `2024-03-02` is the last
/// instant of that day. Epoch milliseconds are exact either way.
pub fn parse_date_nanos_rounded(s: &str, round_up: bool) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if !round_up || looks_like_epoch_millis(s.as_bytes()) {
        return parse_date_nanos(s);
    }
    parse_iso(s.as_bytes(), true)
}

const NANOS_PER_MILLI: i64 = 1_000_000;
const NANOS_PER_SEC: i64 = 1_000_000_000;

/// Evaluates Elasticsearch date math in UTC: `now` or `<date>||` followed by
/// operations `+N<unit>`, `-N<unit>` and rounding `/<unit>` (units `y M w d h H
/// m s`). `now_nanos` is the current time (used at millisecond precision, as
/// Elasticsearch does). With `round_up` (the `gt` and `lte` bounds), rounding
/// goes to the last millisecond of the unit and an incomplete date without math
/// is rounded up as in [`parse_date_nanos_rounded`]. `None` when the expression
/// is not valid date math.
pub fn parse_date_math(expr: &str, now_nanos: i64, round_up: bool) -> Option<i64> {
    let (base, math) = if let Some(math) = expr.strip_prefix("now") {
        (
            now_nanos.div_euclid(NANOS_PER_MILLI) * NANOS_PER_MILLI,
            math,
        )
    } else {
        match expr.find("||") {
            None => return parse_date_nanos_rounded(expr, round_up),
            Some(i) => (parse_date_nanos(&expr[..i])?, &expr[i + 2..]),
        }
    };
    apply_date_math(base, math, round_up)
}

fn apply_date_math(mut t: i64, math: &str, round_up: bool) -> Option<i64> {
    let b = math.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let op = b[i];
        i += 1;
        if !matches!(op, b'+' | b'-' | b'/') {
            return None;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let num: i64 = if start == i {
            1
        } else {
            math[start..i].parse().ok()?
        };
        let unit = *b.get(i)?;
        i += 1;
        t = if op == b'/' {
            if num != 1 {
                return None;
            }
            round_to_unit(t, unit, round_up)?
        } else {
            let n = if op == b'-' { -num } else { num };
            add_units(t, unit, n)?
        };
    }
    Some(t)
}

fn unit_nanos(unit: u8) -> Option<i64> {
    Some(match unit {
        b'w' => 7 * 86_400 * NANOS_PER_SEC,
        b'd' => 86_400 * NANOS_PER_SEC,
        b'h' | b'H' => 3_600 * NANOS_PER_SEC,
        b'm' => 60 * NANOS_PER_SEC,
        b's' => NANOS_PER_SEC,
        _ => return None,
    })
}

fn add_units(t: i64, unit: u8, n: i64) -> Option<i64> {
    match unit {
        b'y' => add_months(t, n.checked_mul(12)?),
        b'M' => add_months(t, n),
        _ => t.checked_add(unit_nanos(unit)?.checked_mul(n)?),
    }
}

/// Adds calendar months, clamping the day to the target month (Java's `plusMonths`).
fn add_months(t: i64, months: i64) -> Option<i64> {
    let days = t.div_euclid(86_400 * NANOS_PER_SEC);
    let within_day = t.rem_euclid(86_400 * NANOS_PER_SEC);
    let (y, m, d) = civil_from_days(days);
    let total = y.checked_mul(12)?.checked_add(m - 1)?.checked_add(months)?;
    let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let nd = d.min(days_in_month(ny, nm));
    days_from_civil(ny, nm, nd)
        .checked_mul(86_400 * NANOS_PER_SEC)?
        .checked_add(within_day)
}

/// Rounds down to the start of the unit; with `round_up`, to the last
/// millisecond of the unit instead.
fn round_to_unit(t: i64, unit: u8, round_up: bool) -> Option<i64> {
    let day = 86_400 * NANOS_PER_SEC;
    let days = t.div_euclid(day);
    let start = match unit {
        b'y' | b'M' => {
            let (y, m, _) = civil_from_days(days);
            let m = if unit == b'y' { 1 } else { m };
            days_from_civil(y, m, 1).checked_mul(day)?
        }
        // 1970-01-01 was a Thursday: Monday-based weeks start 3 days earlier.
        b'w' => (days + 3)
            .div_euclid(7)
            .checked_mul(7)?
            .checked_sub(3)?
            .checked_mul(day)?,
        _ => {
            let size = unit_nanos(unit)?;
            t.div_euclid(size).checked_mul(size)?
        }
    };
    if !round_up {
        return Some(start);
    }
    add_units(start, unit, 1)?.checked_sub(NANOS_PER_MILLI)
}

fn looks_like_epoch_millis(b: &[u8]) -> bool {
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    if digits.is_empty() || !digits.iter().all(|c| c.is_ascii_digit() || *c == b'.') {
        return false;
    }
    // `strict_date_optional_time` is tried first: `yyyy` (exactly four digits) is a year.
    !(b.len() == 4 && b.iter().all(u8::is_ascii_digit))
}

/// The form nearly every event's timestamps take, `yyyy-MM-ddTHH:mm:ss.SSSZ`,
/// read without the general parser: `Some(result)` when `b` has that shape
/// (the result is what [`parse_iso`] gives), `None` otherwise.
///
/// The shape is checked eight bytes at a time (three words, no branch per
/// byte): separators compared exactly, digits by their two nibbles.
fn parse_canonical(b: &[u8]) -> Option<Option<i64>> {
    let b: &[u8; 24] = b.try_into().ok()?;
    if !has_canonical_shape(b) {
        return None;
    }
    let d = |i: usize| i64::from(b[i] - b'0');
    let two = |i: usize| d(i) * 10 + d(i + 1);
    let year = two(0) * 100 + two(2);
    let (month, day) = (two(5), two(8));
    let (hour, minute, second) = (two(11), two(14), two(17));
    let millis = d(20) * 100 + two(21);
    Some(civil_nanos(
        year,
        [month, day, hour, minute, second, millis],
    ))
}

/// Nanoseconds since the epoch of a calendar date and time of day
/// (`[month, day, hour, minute, second, millis]`); `None` when a part is out
/// of range or the result overflows.
fn civil_nanos(year: i64, [month, day, hour, minute, second, millis]: [i64; 6]) -> Option<i64> {
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second;
    secs.checked_mul(NANOS_PER_SEC)
        .and_then(|n| n.checked_add(millis * NANOS_PER_MILLI))
}

/// Whether `b` is `dddd-dd-ddTdd:dd:dd.dddZ` (`d` an ASCII digit).
fn has_canonical_shape(b: &[u8; 24]) -> bool {
    const SHAPE: &[u8; 24] = b"0000-00-00T00:00:00.000Z";
    let word = |s: &[u8; 24], i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[i..i + 8]);
        u64::from_le_bytes(w)
    };
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut bad = 0u64;
    for i in [0, 8, 16] {
        let (w, shape) = (word(b, i), word(SHAPE, i));
        // 0xFF at the digits' bytes (where the shape has `0`).
        let digits = {
            let x = shape ^ (ONES * u64::from(b'0'));
            // A zero byte of `x` is a digit position: set its high bit, then spread it.
            let zero_high = !(((x & (ONES * 0x7F)) + ONES * 0x7F) | x) & (ONES * 0x80);
            (zero_high >> 7) * 0xFF
        };
        let high = ONES * 0xF0;
        let threes = (ONES * 0x30) & digits;
        // Separators exactly as in the shape.
        bad |= (w ^ shape) & !digits;
        // Digits: high nibble 3, and still 3 after adding 6 (low nibble <= 9).
        // A byte of a digit position is at most 0x3F when the first test
        // holds, so adding 6 carries into no other byte then.
        bad |= (w & high & digits) ^ threes;
        bad |= ((w & digits).wrapping_add((ONES * 6) & digits) & high & digits) ^ threes;
    }
    bad == 0
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

fn parse_iso(b: &[u8], round_up: bool) -> Option<i64> {
    let mut c = Cursor { b, i: 0 };
    let negative_year = c.eat(b'-');
    let mut year = c.digits(4)?;
    if negative_year {
        year = -year;
    }
    let (mut month, mut day) = (1, 1);
    let (mut hour, mut minute, mut second, mut nanos) = if round_up {
        (23, 59, 59, 999_999_999i64)
    } else {
        (0, 0, 0, 0i64)
    };
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

    /// The byte-by-byte reading [`parse_canonical`] replaced, kept as the
    /// reference of its differential test.
    fn parse_canonical_bytewise(b: &[u8]) -> Option<Option<i64>> {
        const SHAPE: &[u8; 24] = b"0000-00-00T00:00:00.000Z";
        if b.len() != SHAPE.len() {
            return None;
        }
        let mut digits = [0i64; 24];
        for (i, (&c, &want)) in b.iter().zip(SHAPE).enumerate() {
            match want {
                b'0' if c.is_ascii_digit() => digits[i] = i64::from(c - b'0'),
                b'0' => return None,
                _ if c != want => return None,
                _ => {}
            }
        }
        let number =
            |from: usize, len: usize| digits[from..from + len].iter().fold(0, |n, d| n * 10 + d);
        let (year, month, day) = (number(0, 4), number(5, 2), number(8, 2));
        let (hour, minute, second, millis) =
            (number(11, 2), number(14, 2), number(17, 2), number(20, 3));
        Some(civil_nanos(
            year,
            [month, day, hour, minute, second, millis],
        ))
    }

    #[test]
    fn canonical_dates_read_word_wise_as_byte_wise() {
        let mut cases: Vec<Vec<u8>> = [
            "2024-05-01T00:00:00.006Z",
            "0000-01-01T00:00:00.000Z",
            "9999-12-31T23:59:59.999Z",
            "2024-02-29T12:00:00.000Z",
            "2023-02-29T12:00:00.000Z",
            "2024-13-01T00:00:00.000Z",
            "2024-00-01T00:00:00.000Z",
            "2024-01-00T00:00:00.000Z",
            "2024-01-01T24:00:00.000Z",
            "2024-01-01T00:60:00.000Z",
            "2024-01-01T00:00:60.000Z",
            "2024-01-01T00:00:00.000+",
            "2024-01-01 00:00:00.000Z",
            "2024-01-01T00:00:00,000Z",
            "2024-01-01T00:00:00.000",
            "2024-01-01T00:00:00.0000Z",
            "",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        // Every byte of a valid date replaced by every byte value.
        let base = b"2024-05-01T13:45:59.123Z";
        for i in 0..base.len() {
            for c in 0..=255u8 {
                let mut v = base.to_vec();
                v[i] = c;
                cases.push(v);
            }
        }
        // Random digit strings in the shape (every date field's range and beyond).
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            let mut v = base.to_vec();
            for (i, b) in v.iter_mut().enumerate() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if base[i].is_ascii_digit() {
                    *b = b'0' + (x % 10) as u8;
                }
            }
            cases.push(v);
        }
        for c in &cases {
            assert_eq!(
                parse_canonical(c),
                parse_canonical_bytewise(c),
                "{:?}",
                String::from_utf8_lossy(c)
            );
        }
    }

    const S: i64 = 1_000_000_000;

    #[test]
    fn the_canonical_form_reads_as_the_general_parser_reads_it() {
        // Every field over and past its range (month 13, day 0 and 31 of
        // short months, 29 February of leap and common years, hour 24, …),
        // against the general parser.
        let mut checked = 0;
        for year in [1969, 1970, 1999, 2000, 2023, 2024, 2100, 9999, 0] {
            for month in 0..=13 {
                for day in [0, 1, 28, 29, 30, 31, 32] {
                    for (h, m, sec, ms) in [
                        (0, 0, 0, 0),
                        (23, 59, 59, 999),
                        (24, 0, 0, 1),
                        (12, 60, 5, 7),
                        (1, 2, 60, 3),
                    ] {
                        let text = format!(
                            "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{sec:02}.{ms:03}Z"
                        );
                        let general = parse_iso(text.as_bytes(), false);
                        assert_eq!(parse_canonical(text.as_bytes()), Some(general), "{text}");
                        assert_eq!(parse_date_nanos(&text), general, "{text}");
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 9 * 14 * 7 * 5);
        assert_eq!(
            parse_date_nanos("2024-05-01T00:00:00.006Z"),
            Some(1_714_521_600 * S + 6_000_000)
        );
        // Other shapes are left to the general parser.
        for other in [
            "2024-05-01T00:00:00.006+01:00",
            "2024-05-01T00:00:00Z",
            "2024-05-01 00:00:00.006Z",
            " 2024-05-01T00:00:00.006Z",
            "2024-05-01T00:00:00.0061Z",
            "2024-05-01T0a:00:00.006Z",
        ] {
            assert_eq!(parse_canonical(other.as_bytes()), None, "{other}");
        }
    }

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

    fn at(s: &str) -> i64 {
        parse_date_nanos(s).unwrap()
    }

    #[test]
    fn rounding_up_fills_missing_fields_like_elasticsearch() {
        let r = |s| parse_date_nanos_rounded(s, true).unwrap();
        assert_eq!(r("2024-03-02"), at("2024-03-02T23:59:59.999999999Z"));
        assert_eq!(r("2024-03-02T10:20"), at("2024-03-02T10:20:59.999999999Z"));
        assert_eq!(
            r("2024-03-02T10:20:00Z"),
            at("2024-03-02T10:20:00.999999999Z")
        );
        assert_eq!(r("2024-03-02T10:20:00.5Z"), at("2024-03-02T10:20:00.5Z"));
        // Elasticsearch's odd defaults: a missing month or day is 1, not the last one.
        assert_eq!(r("2024-03"), at("2024-03-01T23:59:59.999999999Z"));
        assert_eq!(r("2024"), at("2024-01-01T23:59:59.999999999Z"));
        assert_eq!(
            parse_date_nanos_rounded("2024-03-02", false),
            Some(at("2024-03-02"))
        );
        assert_eq!(r("1700000000000"), 1_700_000_000_000 * 1_000_000);
    }

    #[test]
    fn date_math_relative_to_now_and_anchored() {
        let now = at("2024-03-15T13:45:30.123456789Z");
        let m = |e, up| parse_date_math(e, now, up).unwrap();
        assert_eq!(m("now", false), at("2024-03-15T13:45:30.123Z"));
        assert_eq!(m("now-1d", false), at("2024-03-14T13:45:30.123Z"));
        assert_eq!(m("now-1d/d", false), at("2024-03-14"));
        assert_eq!(m("now-1d/d", true), at("2024-03-14T23:59:59.999Z"));
        assert_eq!(m("now/M", false), at("2024-03-01"));
        assert_eq!(m("now/y", true), at("2024-12-31T23:59:59.999Z"));
        // 2024-03-15 is a Friday; weeks start on Monday
        assert_eq!(m("now/w", false), at("2024-03-11"));
        assert_eq!(m("now+2h/h", false), at("2024-03-15T15:00:00Z"));
        assert_eq!(m("now-30m", false), at("2024-03-15T13:15:30.123Z"));
        assert_eq!(m("2024-01-31||+1M", false), at("2024-02-29"));
        assert_eq!(m("2024-01-01||+1M/d", false), at("2024-02-01"));
        assert_eq!(m("2024-01-01||", false), at("2024-01-01"));
        assert_eq!(m("2024-03-02", true), at("2024-03-02T23:59:59.999999999Z"));
        for bad in [
            "now-",
            "now-1",
            "now/2d",
            "now*1d",
            "now-1x",
            "nonsense",
            "2024-01-01||+1q",
        ] {
            assert_eq!(parse_date_math(bad, now, false), None, "{bad}");
        }
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
