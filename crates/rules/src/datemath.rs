//! Kibana date math (`from = "now-9m"`, `history_window_start = "now-14d"`)
//! and rule intervals (`interval = "5m"`).
//!
//! Date math follows `@kbn/datemath` (elastic/kibana `src/platform/packages/shared/kbn-datemath`):
//! an anchor (`now`, or an absolute date followed by `||`) then operations
//! `+N<unit>`, `-N<unit>` and rounding `/<unit>`, with units
//! `y M w d h H m s ms`. Intervals are what Kibana's task scheduler accepts
//! (`parseDuration` in the alerting plugin): a positive integer and one of `s m h d`.

use event::time::{civil_from_days, days_from_civil};

const NANOS_PER_SEC: i64 = 1_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Year,
    Month,
    Week,
    Day,
    Hour,
    Minute,
    Second,
    Milli,
}

impl Unit {
    fn parse(s: &str) -> Option<Unit> {
        Some(match s {
            "y" => Unit::Year,
            "M" => Unit::Month,
            "w" => Unit::Week,
            "d" => Unit::Day,
            "h" | "H" => Unit::Hour,
            "m" => Unit::Minute,
            "s" => Unit::Second,
            "ms" => Unit::Milli,
            _ => return None,
        })
    }

    /// Fixed length in nanoseconds (calendar units have none).
    fn fixed_nanos(self) -> Option<i64> {
        Some(match self {
            Unit::Week => 7 * 86_400 * NANOS_PER_SEC,
            Unit::Day => 86_400 * NANOS_PER_SEC,
            Unit::Hour => 3_600 * NANOS_PER_SEC,
            Unit::Minute => 60 * NANOS_PER_SEC,
            Unit::Second => NANOS_PER_SEC,
            Unit::Milli => 1_000_000,
            Unit::Year | Unit::Month => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add(i64, Unit),
    Round(Unit),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Now,
    /// Epoch nanoseconds.
    Absolute(i64),
}

/// A parsed date-math expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateMath {
    pub anchor: Anchor,
    pub ops: Vec<Op>,
}

impl DateMath {
    pub fn parse(s: &str) -> Result<DateMath, String> {
        let s = s.trim();
        let (anchor, ops) = if let Some(rest) = s.strip_prefix("now") {
            (Anchor::Now, rest)
        } else {
            let (date, ops) = s.split_once("||").unwrap_or((s, ""));
            let nanos = event::time::parse_date_nanos(date)
                .ok_or_else(|| format!("`{date}` is neither `now` nor a date"))?;
            (Anchor::Absolute(nanos), ops)
        };
        Ok(DateMath {
            anchor,
            ops: parse_ops(ops)?,
        })
    }

    /// The instant this expression names when "now" is `now` (epoch nanoseconds).
    pub fn eval(&self, now: i64) -> i64 {
        let mut t = match self.anchor {
            Anchor::Now => now,
            Anchor::Absolute(n) => n,
        };
        for op in &self.ops {
            t = match *op {
                Op::Add(n, unit) => add(t, n, unit),
                Op::Round(unit) => round_down(t, unit),
            };
        }
        t
    }

    /// For `now-N<unit>` with fixed units: N units in nanoseconds (the lookback).
    pub fn lookback_nanos(&self) -> Option<i64> {
        match (self.anchor, self.ops.as_slice()) {
            (Anchor::Now, []) => Some(0),
            (Anchor::Now, [Op::Add(n, unit)]) if *n <= 0 => unit.fixed_nanos()?.checked_mul(-n),
            _ => None,
        }
    }
}

fn parse_ops(mut s: &str) -> Result<Vec<Op>, String> {
    let mut ops = Vec::new();
    while !s.is_empty() {
        let sign = s.as_bytes()[0];
        // Operators are ASCII; anything else is an error before slicing.
        let rest = s
            .get(1..)
            .filter(|_| matches!(sign, b'/' | b'+' | b'-'))
            .unwrap_or("");
        match sign {
            b'/' => {
                let (unit, tail) = take_unit(rest)?;
                ops.push(Op::Round(unit));
                s = tail;
            }
            b'+' | b'-' => {
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                let n: i64 = if digits == 0 {
                    1
                } else {
                    rest[..digits]
                        .parse()
                        .map_err(|_| "number too large".to_string())?
                };
                let (unit, tail) = take_unit(&rest[digits..])?;
                ops.push(Op::Add(if sign == b'-' { -n } else { n }, unit));
                s = tail;
            }
            _ => return Err(format!("unexpected `{}`", s.chars().next().unwrap_or(' '))),
        }
    }
    Ok(ops)
}

fn take_unit(s: &str) -> Result<(Unit, &str), String> {
    if let Some(rest) = s.strip_prefix("ms") {
        return Ok((Unit::Milli, rest));
    }
    let c = s.get(..1).ok_or("missing unit")?;
    let unit = Unit::parse(c)
        .ok_or_else(|| format!("unknown unit `{c}` (expected y, M, w, d, h, H, m, s)"))?;
    Ok((unit, &s[1..]))
}

fn add(t: i64, n: i64, unit: Unit) -> i64 {
    match unit.fixed_nanos() {
        Some(len) => t.saturating_add(n.saturating_mul(len)),
        None => add_months(
            t,
            if unit == Unit::Year {
                n.saturating_mul(12)
            } else {
                n
            },
        ),
    }
}

fn add_months(t: i64, months: i64) -> i64 {
    let day_nanos = 86_400 * NANOS_PER_SEC;
    let days = t.div_euclid(day_nanos);
    let within = t.rem_euclid(day_nanos);
    // Nanosecond timestamps span 1677–2262: beyond 600 years the result saturates.
    const MAX_MONTHS: i64 = 600 * 12;
    if months.abs() > MAX_MONTHS {
        return if months > 0 { i64::MAX } else { i64::MIN };
    }
    let (y, m, d) = civil_from_days(days);
    let total = y * 12 + (m - 1) + months;
    let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let last = days_from_civil(ny + (nm / 12), nm % 12 + 1, 1) - days_from_civil(ny, nm, 1);
    days_from_civil(ny, nm, d.min(last))
        .saturating_mul(day_nanos)
        .saturating_add(within)
}

fn round_down(t: i64, unit: Unit) -> i64 {
    let day_nanos = 86_400 * NANOS_PER_SEC;
    match unit {
        Unit::Year | Unit::Month => {
            let (y, m, _) = civil_from_days(t.div_euclid(day_nanos));
            days_from_civil(y, if unit == Unit::Year { 1 } else { m }, 1).saturating_mul(day_nanos)
        }
        // ISO weeks start on Monday; 1970-01-01 was a Thursday.
        Unit::Week => {
            let days = t.div_euclid(day_nanos);
            (days - (days + 3).rem_euclid(7)).saturating_mul(day_nanos)
        }
        other => {
            let len = other.fixed_nanos().unwrap_or(1);
            t.saturating_sub(t.rem_euclid(len))
        }
    }
}

/// A rule interval (`5m`, `1h`) in nanoseconds.
pub fn parse_interval(s: &str) -> Result<i64, String> {
    let unit = s.chars().last().ok_or("empty interval")?;
    let digits = &s[..s.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{s}` is not a number followed by s, m, h or d"));
    }
    let n: i64 = digits.parse().map_err(|_| format!("`{s}` is too large"))?;
    if n == 0 {
        return Err("an interval must be positive".into());
    }
    let secs = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return Err(format!("`{s}` is not a number followed by s, m, h or d")),
    };
    n.checked_mul(secs * NANOS_PER_SEC)
        .ok_or_else(|| format!("`{s}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60 * NANOS_PER_SEC;

    #[test]
    fn date_math_forms() {
        assert_eq!(
            DateMath::parse("now-9m").unwrap().lookback_nanos(),
            Some(9 * MIN)
        );
        assert_eq!(DateMath::parse("now").unwrap().lookback_nanos(), Some(0));
        assert_eq!(
            DateMath::parse("now-7205m").unwrap().lookback_nanos(),
            Some(7205 * MIN)
        );
        assert_eq!(
            DateMath::parse("now-1d/d").unwrap().ops,
            vec![Op::Add(-1, Unit::Day), Op::Round(Unit::Day)]
        );
        assert_eq!(DateMath::parse("now-1M").unwrap().lookback_nanos(), None);
        assert!(DateMath::parse("9m").is_err());
        assert!(DateMath::parse("now-9x").is_err());
        assert!(DateMath::parse("now-").is_err());
        assert!(DateMath::parse("now*2").is_err());
        assert!(DateMath::parse("now€").is_err());
        assert!(DateMath::parse("now-1€").is_err());
        assert!(DateMath::parse("now/€").is_err());
    }

    #[test]
    fn date_math_evaluates() {
        let now = event::time::parse_date_nanos("2024-03-31T10:20:30Z").unwrap();
        let eval = |s: &str| event::time::format_millis(DateMath::parse(s).unwrap().eval(now));
        assert_eq!(eval("now-9m"), "2024-03-31T10:11:30.000Z");
        assert_eq!(eval("now/d"), "2024-03-31T00:00:00.000Z");
        assert_eq!(eval("now-1M"), "2024-02-29T10:20:30.000Z");
        assert_eq!(eval("now/w"), "2024-03-25T00:00:00.000Z");
        assert_eq!(eval("now/y"), "2024-01-01T00:00:00.000Z");
        assert_eq!(
            eval("2024-01-01T00:00:00Z||+1d"),
            "2024-01-02T00:00:00.000Z"
        );
    }

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("5m"), Ok(5 * MIN));
        assert_eq!(parse_interval("1h"), Ok(60 * MIN));
        assert!(parse_interval("0m").is_err());
        assert!(parse_interval("5").is_err());
        assert!(parse_interval("m").is_err());
        assert!(parse_interval("5w").is_err());
        assert!(parse_interval("").is_err());
        assert!(parse_interval("99999999999999999999m").is_err());
    }
}
