//! Stable diagnostic codes of the `kql` crate. A code never changes meaning
//! once published; retired codes are not reused.
//!
//! | code | meaning |
//! |---|---|
//! | `KQL0001` | KQL syntax error (what Kibana's grammar does not accept) |
//! | `KQL0002` | KQL nesting deeper than [`crate::MAX_DEPTH`] |
//! | `KQL0101` | a value does not parse for the field's type (`destination.port:abc`) |
//! | `KQL0102` | a wildcard on a field type without wildcard queries (numbers, dates, IPs) |
//! | `KQL0103` | a range on a field type without an order, or an unparsable bound |
//! | `KQL0104` | a nested query on a field that is not `nested` |
//! | `KQL0105` | warning: a nested query is evaluated without per-object scoping |
//! | `KQL0106` | warning: a field-name pattern matches no known field |
//! | `KQL0107` | `null` as a value (Elasticsearch rejects a query value of null) |
//! | `KQL0108` | an invalid regular expression |
//! | `KQL0109` | a query feature vigil does not evaluate (fuzzy, proximity, scripts…) |
//! | `KQL0110` | warning: a field that neither the mapping nor ECS knows (matched as unmapped) |
//! | `KQL0201` | Lucene query-string syntax error |
//! | `KQL0202` | Lucene query-string nesting deeper than [`crate::MAX_DEPTH`] |
//! | `KQL0301` | a query-DSL filter that is not valid (shape, types, unknown query) |
//! | `KQL0302` | query-DSL nesting deeper than [`crate::MAX_DEPTH`] |

pub const SYNTAX: &str = "KQL0001";
pub const TOO_DEEP: &str = "KQL0002";
pub const BAD_VALUE: &str = "KQL0101";
pub const WILDCARD_TYPE: &str = "KQL0102";
pub const BAD_RANGE: &str = "KQL0103";
pub const NOT_NESTED: &str = "KQL0104";
pub const NESTED_FLATTENED: &str = "KQL0105";
pub const NO_FIELD_MATCHES: &str = "KQL0106";
pub const NULL_VALUE: &str = "KQL0107";
pub const BAD_REGEX: &str = "KQL0108";
pub const UNSUPPORTED: &str = "KQL0109";
pub const UNKNOWN_FIELD: &str = "KQL0110";
pub const LUCENE_SYNTAX: &str = "KQL0201";
pub const LUCENE_TOO_DEEP: &str = "KQL0202";
pub const DSL_INVALID: &str = "KQL0301";
pub const DSL_TOO_DEEP: &str = "KQL0302";
