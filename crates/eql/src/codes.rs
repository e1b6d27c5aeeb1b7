//! Stable diagnostic codes of the EQL front end, one line of meaning each.
//!
//! Codes never change meaning once published; new problems get new codes.
//! `EQL0xxx` are errors, `EQL1xxx` warnings.

/// A character no token starts with (Elasticsearch: "token recognition error").
pub const UNEXPECTED_CHAR: &str = "EQL0001";
/// The parser expected something else here (Elasticsearch: "mismatched input").
pub const SYNTAX: &str = "EQL0002";
/// A string literal has no closing quote on its line.
pub const UNTERMINATED_STRING: &str = "EQL0003";
/// A backslash escape other than `\t \b \f \n \r \" \' \\ \u{…}`.
pub const BAD_ESCAPE: &str = "EQL0004";
/// `\u{…}` with other than 2–8 hex digits, or not a Unicode scalar value.
pub const BAD_UNICODE_ESCAPE: &str = "EQL0005";
/// A single-quoted string: Elasticsearch wants double quotes.
pub const SINGLE_QUOTED_STRING: &str = "EQL0006";
/// A `?"…"` / `?'…'` raw string: Elasticsearch wants `"""…"""`.
pub const OLD_RAW_STRING: &str = "EQL0007";
/// A backquoted identifier or a `/* */` comment that is never closed.
pub const UNTERMINATED: &str = "EQL0008";
/// A number literal that is not representable.
pub const BAD_NUMBER: &str = "EQL0009";
/// The query nests deeper than the parser allows.
pub const TOO_DEEP: &str = "EQL0010";
/// `field[0]`: array indexes are not supported.
pub const ARRAY_INDEX: &str = "EQL0011";
/// `descendant of`, `child of`, `event of`: process relationships are not supported.
pub const RELATIONSHIP: &str = "EQL0012";
/// `join`: not supported by Elasticsearch.
pub const JOIN: &str = "EQL0013";
/// A pipe name Elasticsearch does not know.
pub const UNKNOWN_PIPE: &str = "EQL0014";
/// A known EQL pipe that Elasticsearch does not support (`count`, `unique`, `sort`…).
pub const UNSUPPORTED_PIPE: &str = "EQL0015";
/// A `head`/`tail` argument that is missing, repeated or not a non-negative integer.
pub const PIPE_ARGUMENT: &str = "EQL0016";
/// `sequence with … by …`: `by` must come before `with`.
pub const BY_AFTER_WITH: &str = "EQL0017";
/// Stages of a sequence or sample with different numbers of join keys.
pub const JOIN_KEY_COUNT: &str = "EQL0018";
/// A `maxspan` that is not a positive integer with a unit among ms, s, m, h, d.
pub const MAXSPAN: &str = "EQL0019";
/// A sequence or sample with fewer than two queries.
pub const TOO_FEW_QUERIES: &str = "EQL0020";
/// A stage parameter other than `runs`, or `runs` out of range.
pub const RUNS: &str = "EQL0021";
/// A missing-event step `![…]` where none is allowed.
pub const MISSING_EVENT: &str = "EQL0022";
/// A join key that is not a field.
pub const JOIN_KEY_NOT_FIELD: &str = "EQL0023";
/// A function name Elasticsearch does not know.
pub const UNKNOWN_FUNCTION: &str = "EQL0024";
/// `fn~(…)` on a function without a case-insensitive form.
pub const NO_INSENSITIVE_FORM: &str = "EQL0025";
/// A function called with the wrong number of arguments.
pub const ARITY: &str = "EQL0026";
/// An operand or argument of the wrong type.
pub const TYPE_MISMATCH: &str = "EQL0027";
/// An argument that must be a constant (pattern, CIDR, flag) is not.
pub const NOT_CONSTANT: &str = "EQL0028";
/// A `where` condition that is not boolean.
pub const NOT_BOOLEAN: &str = "EQL0029";
/// An exact comparison on a `text` field without a keyword sub-field.
pub const TEXT_NOT_EXACT: &str = "EQL0030";
/// A constant that the field's type cannot hold (`long_field == "abc"`, bad IP, bad date).
pub const BAD_CONSTANT_FOR_FIELD: &str = "EQL0031";
/// A regular expression that does not compile.
pub const BAD_REGEX: &str = "EQL0032";
/// A `cidrMatch` argument that is not an address or CIDR block.
pub const BAD_CIDR: &str = "EQL0033";
/// A field whose type cannot be queried (`object`, `nested`).
pub const UNSUPPORTED_FIELD_TYPE: &str = "EQL0034";

/// Warning: a field neither the mapping nor ECS knows; bound as unmapped.
pub const UNKNOWN_FIELD: &str = "EQL1001";
/// Warning: `==`/`!=` with `*` or `?` compares them literally (use `:` or `like`).
pub const WILDCARD_IN_EQUALS: &str = "EQL1002";

/// Every code with its one-line meaning (documentation, `vigil validate --explain`).
pub const TABLE: &[(&str, &str)] = &[
    (UNEXPECTED_CHAR, "unexpected character"),
    (SYNTAX, "syntax error"),
    (UNTERMINATED_STRING, "unterminated string literal"),
    (BAD_ESCAPE, "invalid escape sequence in a string"),
    (BAD_UNICODE_ESCAPE, "invalid \\u{...} escape"),
    (
        SINGLE_QUOTED_STRING,
        "single-quoted strings are not allowed",
    ),
    (
        OLD_RAW_STRING,
        "?\"...\" raw strings are not allowed; use \"\"\"...\"\"\"",
    ),
    (UNTERMINATED, "unterminated quoted identifier or comment"),
    (BAD_NUMBER, "invalid number"),
    (TOO_DEEP, "query nested too deeply"),
    (ARRAY_INDEX, "array indexes are not supported"),
    (RELATIONSHIP, "process relationships are not supported"),
    (JOIN, "join is not supported"),
    (UNKNOWN_PIPE, "unknown pipe"),
    (UNSUPPORTED_PIPE, "pipe not supported"),
    (PIPE_ARGUMENT, "invalid pipe argument"),
    (BY_AFTER_WITH, "sequence [by] must come before [with]"),
    (JOIN_KEY_COUNT, "inconsistent number of join keys"),
    (MAXSPAN, "invalid maxspan"),
    (
        TOO_FEW_QUERIES,
        "sequence or sample with fewer than two queries",
    ),
    (RUNS, "invalid runs parameter"),
    (MISSING_EVENT, "missing-event step not allowed here"),
    (JOIN_KEY_NOT_FIELD, "join key is not a field"),
    (UNKNOWN_FUNCTION, "unknown function"),
    (NO_INSENSITIVE_FORM, "function has no case-insensitive form"),
    (ARITY, "wrong number of function arguments"),
    (TYPE_MISMATCH, "type mismatch"),
    (NOT_CONSTANT, "argument must be a constant"),
    (NOT_BOOLEAN, "condition is not boolean"),
    (
        TEXT_NOT_EXACT,
        "exact comparison on a text field without keyword sub-field",
    ),
    (
        BAD_CONSTANT_FOR_FIELD,
        "constant not valid for the field's type",
    ),
    (BAD_REGEX, "invalid regular expression"),
    (BAD_CIDR, "invalid CIDR block"),
    (UNSUPPORTED_FIELD_TYPE, "field type cannot be queried"),
    (UNKNOWN_FIELD, "unknown field (bound as unmapped)"),
    (
        WILDCARD_IN_EQUALS,
        "wildcard characters in ==/!= are literal",
    ),
];

/// The meaning of `code`, if it is one of ours.
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
            assert!(seen.insert(*code), "duplicate {code}");
            assert_eq!(code.len(), 7, "{code}");
            assert!(code.starts_with("EQL"), "{code}");
            assert!(!meaning.is_empty());
        }
        assert_eq!(TABLE.len(), 36);
        assert_eq!(explain("EQL0024"), Some("unknown function"));
        assert_eq!(explain("EQL9999"), None);
    }
}
