//! `rules` owns rule files: detection-rules TOML and Kibana rule JSON / export
//! NDJSON, rule metadata, exception lists and value lists, and metadata validation.
//!
//! - [`load`] / [`load_with`] walk files and directories and return a
//!   [`LoadReport`]: live rules ([`LoadedRule`]: typed [`Rule`], raw JSON,
//!   origin, query location, compiled [`IndexPatterns`], diagnostics),
//!   unsupported rules, deprecated rules, exceptions, file diagnostics.
//! - [`LoadedRule::query_input`] gives the query front ends the query text, its
//!   language, the rule type, the index patterns and the query's position in
//!   the file ([`QueryInput::source_file`] / [`QueryInput::to_file_diagnostic`]).
//! - [`validate::check_rule`] is the metadata check the loader runs.
//! - [`IndexPatterns`] decides which indices a rule reads.
//! - [`exceptions`] models Kibana exception lists; [`lower_exceptions`] turns
//!   the items that apply to a rule into an `ir::Pred` (true = excepted).
//! - [`codes`] lists every diagnostic code.
//! - [`ordered::map_in_order`] reads files on several threads and hands the
//!   results over in file order (loading here, loading and packing in `engine`).

pub mod codes;
pub mod datemath;
pub mod exceptions;
pub mod index;
mod json_doc;
mod load;
mod loaded;
mod lower;
pub mod model;
pub mod ordered;
mod read;
pub mod source;
mod toml_doc;
mod toml_fast;
pub mod validate;
pub mod value_list;

pub use exceptions::{Entry, ExceptionItem, ExceptionList, ExceptionStore, ListRef, Operator};
pub use index::{IndexPatterns, DEFAULT_INDEX_PATTERNS};
pub use load::{
    check_duplicate_ids_across, load, load_file, load_text, load_with, read_rule_text, rule_files,
    FileDiagnostic, LoadOptions, LoadReport, SkippedRule,
};
pub use loaded::{Format, LoadedRule, QueryInput, RuleOrigin};
pub use lower::{lower_exceptions, lucene_wildcard, ExceptionDiagnostic, LoweredExceptions};
pub use model::{ExceptionListRef, Language, Metadata, Rule, RuleType, Severity, Threat};
pub use source::{SourceText, StringLocation};
#[doc(hidden)]
pub use toml_doc::toml_readers_agree;
pub use value_list::ValueLists;
