//! Errors of script evaluation. Elasticsearch raises these as exceptions
//! (`EqlIllegalArgumentException`, `QlIllegalArgumentException`,
//! `ArithmeticException`) that fail the shard; here they make the event not
//! match and are reported to the caller.

/// Why a script could not be evaluated for an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("{function}: a string is required; received [{received}]")]
    NotAString {
        function: &'static str,
        received: String,
    },
    #[error("{function}: a number is required; received [{received}]")]
    NotANumber {
        function: &'static str,
        received: String,
    },
    #[error("{function}: a boolean is required; received [{received}]")]
    NotABoolean {
        function: &'static str,
        received: String,
    },
    #[error("number: an integer base is required; received [{0}]")]
    BadBase(String),
    #[error("number: unable to convert [{value}] to number of base [{base}]")]
    NumberFormat { value: String, base: i64 },
    #[error("{0} overflow")]
    Overflow(&'static str),
    #[error("/ by zero")]
    DivisionByZero,
    #[error("cidrMatch: {0}")]
    InvalidAddress(String),
    #[error("{function}: begin {begin}, end {end}")]
    IndexOutOfBounds {
        function: &'static str,
        begin: usize,
        end: usize,
    },
    #[error("insensitive comparison can be applied only on strings")]
    InsensitiveNonString,
}
