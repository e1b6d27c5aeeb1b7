//! Stable diagnostic codes of the `rules` crate.
//!
//! A code never changes meaning once published; new problems get new codes.
//! `RULE00xx`: files and syntax. `RULE01xx`: rule structure (keys and their
//! JSON types). `RULE02xx`: rule metadata checks (what detection-rules and
//! Kibana's rule schema reject). `RULE03xx`: exceptions and value lists.

/// A file could not be read.
pub const FILE_UNREADABLE: &str = "RULE0001";
/// A TOML syntax error.
pub const TOML_SYNTAX: &str = "RULE0002";
/// A JSON syntax error (a `.json` file or one NDJSON line).
pub const JSON_SYNTAX: &str = "RULE0003";
/// A JSON document that is neither a rule, an exception list or item, an
/// action connector nor an export summary.
pub const UNKNOWN_OBJECT: &str = "RULE0004";
/// A file with an extension the loader does not read was named explicitly.
pub const UNKNOWN_FORMAT: &str = "RULE0005";
/// An export summary line disagrees with what the export contains.
pub const EXPORT_COUNT_MISMATCH: &str = "RULE0006";
/// A note: an NDJSON line that is skipped on purpose (action connector).
pub const SKIPPED_OBJECT: &str = "RULE0007";
/// A TOML rule file without a `[rule]` table.
pub const NO_RULE_TABLE: &str = "RULE0008";
/// A file nested deeper than the loader accepts.
pub const TOO_DEEP: &str = "RULE0009";

/// A key holds a value of the wrong JSON type.
pub const WRONG_TYPE: &str = "RULE0101";
/// A key required for the rule's type is missing.
pub const MISSING_KEY: &str = "RULE0102";
/// A string value outside its allowed set (type, language, severity…).
pub const BAD_ENUM: &str = "RULE0103";
/// A key Kibana's schema does not know (warning; the key is kept).
pub const UNKNOWN_KEY: &str = "RULE0104";
/// Two live rules share one `rule_id`.
pub const DUPLICATE_RULE_ID: &str = "RULE0105";
/// The query's position in the file could not be mapped exactly (note).
pub const INEXACT_QUERY_POSITION: &str = "RULE0106";

/// `risk_score` outside 0–100.
pub const RISK_SCORE_RANGE: &str = "RULE0201";
/// `max_signals` not positive.
pub const MAX_SIGNALS_RANGE: &str = "RULE0202";
/// `from` / `to` / `history_window_start` is not valid date math (`now-9m`).
pub const BAD_DATE_MATH: &str = "RULE0203";
/// `interval` is not a duration (`5m`).
pub const BAD_INTERVAL: &str = "RULE0204";
/// A MITRE ATT&CK id, name or reference is malformed.
pub const BAD_ATTACK_ID: &str = "RULE0205";
/// `[metadata]` date not in `YYYY/MM/DD` form.
pub const BAD_METADATA_DATE: &str = "RULE0206";
/// `index` present but empty (or an empty pattern) for a type that reads indices.
pub const EMPTY_INDEX: &str = "RULE0207";
/// The rule's language does not fit its type.
pub const LANGUAGE_MISMATCH: &str = "RULE0208";
/// A string that must not be empty is empty (name, description, query…).
pub const EMPTY_VALUE: &str = "RULE0209";
/// A threshold, new-terms, suppression or mapping setting out of range.
pub const BAD_TYPE_SETTING: &str = "RULE0210";
/// `version` not positive.
pub const VERSION_RANGE: &str = "RULE0211";
/// `data_view_id` without `index`: the data view's patterns are unknown (warning).
pub const DATA_VIEW_UNRESOLVED: &str = "RULE0212";

/// An exception list or item is malformed.
pub const BAD_EXCEPTION: &str = "RULE0301";
/// An exception entry's value cannot be compared with the field's type.
pub const BAD_EXCEPTION_VALUE: &str = "RULE0302";
/// A value list named by an exception entry was not supplied.
pub const MISSING_VALUE_LIST: &str = "RULE0303";
/// An exception feature vigil does not evaluate exactly (warning).
pub const EXCEPTION_APPROXIMATED: &str = "RULE0304";
/// A rule refers to an exception list that was not loaded (warning).
pub const MISSING_EXCEPTION_LIST: &str = "RULE0305";

/// Every code with a one-line meaning (for `--explain` and docs).
pub const TABLE: &[(&str, &str)] = &[
    (FILE_UNREADABLE, "file could not be read"),
    (TOML_SYNTAX, "TOML syntax error"),
    (JSON_SYNTAX, "JSON syntax error"),
    (
        UNKNOWN_OBJECT,
        "JSON object is not a rule, exception list/item, connector or export summary",
    ),
    (
        UNKNOWN_FORMAT,
        "file extension is not .toml, .json or .ndjson",
    ),
    (
        EXPORT_COUNT_MISMATCH,
        "export summary counts disagree with the export's content",
    ),
    (
        SKIPPED_OBJECT,
        "object skipped on purpose (e.g. action connector)",
    ),
    (NO_RULE_TABLE, "TOML file has no [rule] table"),
    (TOO_DEEP, "document nested too deeply"),
    (WRONG_TYPE, "key holds a value of the wrong type"),
    (MISSING_KEY, "key required for this rule type is missing"),
    (BAD_ENUM, "value outside its allowed set"),
    (UNKNOWN_KEY, "key unknown to Kibana's rule schema (kept)"),
    (DUPLICATE_RULE_ID, "two rules share one rule_id"),
    (
        INEXACT_QUERY_POSITION,
        "query positions inside an escaped string are approximate",
    ),
    (RISK_SCORE_RANGE, "risk_score outside 0-100"),
    (MAX_SIGNALS_RANGE, "max_signals must be at least 1"),
    (BAD_DATE_MATH, "not valid date math (e.g. now-9m)"),
    (BAD_INTERVAL, "not a duration (e.g. 5m)"),
    (BAD_ATTACK_ID, "malformed MITRE ATT&CK entry"),
    (BAD_METADATA_DATE, "metadata date not in YYYY/MM/DD form"),
    (EMPTY_INDEX, "index list or pattern is empty"),
    (LANGUAGE_MISMATCH, "language does not fit the rule type"),
    (EMPTY_VALUE, "value must not be empty"),
    (BAD_TYPE_SETTING, "type-specific setting out of range"),
    (VERSION_RANGE, "version must be at least 1"),
    (
        DATA_VIEW_UNRESOLVED,
        "data view not resolvable; default index patterns used",
    ),
    (BAD_EXCEPTION, "malformed exception list or item"),
    (
        BAD_EXCEPTION_VALUE,
        "exception value does not fit the field type",
    ),
    (MISSING_VALUE_LIST, "value list not supplied"),
    (
        EXCEPTION_APPROXIMATED,
        "exception feature evaluated approximately",
    ),
    (
        MISSING_EXCEPTION_LIST,
        "rule refers to an exception list that was not loaded",
    ),
];

/// The meaning of a code, if it is one of ours.
pub fn explain(code: &str) -> Option<&'static str> {
    TABLE.iter().find(|(c, _)| *c == code).map(|(_, m)| *m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for (code, meaning) in TABLE {
            assert!(seen.insert(*code), "duplicate code {code}");
            assert_eq!(code.len(), 8, "{code}");
            assert!(
                code.starts_with("RULE") && code[4..].bytes().all(|b| b.is_ascii_digit()),
                "{code}"
            );
            assert!(!meaning.is_empty());
        }
        assert_eq!(explain("RULE0201"), Some("risk_score outside 0-100"));
        assert_eq!(explain("EQL0001"), None);
    }
}
