//! Time stamps: milliseconds since the Unix epoch, formatted as ISO 8601 UTC the
//! way Elastic Agent writes them (`2024-05-01T12:00:00.123Z`), and parsed from
//! the `--start` option. Integer arithmetic only (proleptic Gregorian calendar).

use crate::WorkloadError;

/// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date (year, month, day) for days since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `2024-05-01T12:00:00.123Z` for milliseconds since the epoch.
pub fn format_millis(epoch_millis: i64) -> String {
    let days = epoch_millis.div_euclid(86_400_000);
    let in_day = epoch_millis.rem_euclid(86_400_000);
    let (y, mo, d) = civil_from_days(days);
    let (h, mi, s, ms) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS` or `YYYY-MM-DDTHH:MM:SS.fffZ` (UTC;
/// a trailing `Z` is optional) into milliseconds since the epoch.
pub fn parse_iso_millis(text: &str) -> Result<i64, WorkloadError> {
    let bad = || WorkloadError::BadStart(text.to_string());
    let t = text.strip_suffix('Z').unwrap_or(text);
    let (date, clock) = t.split_once('T').unwrap_or((t, "00:00:00"));
    let num = |s: &str| s.parse::<i64>().map_err(|_| bad());
    let dparts: Vec<&str> = date.split('-').collect();
    let [y, mo, d] = dparts.as_slice() else {
        return Err(bad());
    };
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, "0"));
    let cparts: Vec<&str> = hms.split(':').collect();
    let [h, mi, s] = cparts.as_slice() else {
        return Err(bad());
    };
    let (y, mo, d, h, mi, s) = (num(y)?, num(mo)?, num(d)?, num(h)?, num(mi)?, num(s)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return Err(bad());
    }
    let frac3: String = frac.chars().chain("000".chars()).take(3).collect();
    let ms = num(&frac3)?;
    Ok(days_from_civil(y, mo, d) * 86_400_000 + ((h * 60 + mi) * 60 + s) * 1000 + ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_millis(1_714_521_600_123), "2024-05-01T00:00:00.123Z");
        assert_eq!(format_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn parses_and_round_trips() {
        let ms = parse_iso_millis("2024-05-01T12:34:56.789Z").unwrap();
        assert_eq!(format_millis(ms), "2024-05-01T12:34:56.789Z");
        assert_eq!(parse_iso_millis("2024-05-01").unwrap(), 1_714_521_600_000);
        assert!(parse_iso_millis("2024-13-01").is_err());
        assert!(parse_iso_millis("yesterday").is_err());
    }
}
