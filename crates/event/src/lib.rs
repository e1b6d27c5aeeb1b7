//! `event` owns everything about events before any rule looks at them:
//!
//! - [`fields`]: document paths interned to dense [`FieldId`]s;
//! - [`schema`] and [`types`]: field types from the built-in ECS table
//!   (`ecs_fields.tsv`, generated from the ECS schema) and from Elasticsearch
//!   mappings, with aliases and multi-fields;
//! - [`json`]: parsing a document once into an [`Event`] that holds only the
//!   fields some query reads, borrowed from the input;
//! - [`input`]: reading NDJSON / JSON array / search-response files, compressed or not;
//! - [`value`], [`wildcard`], [`fold`], [`time`]: how values compare — type views
//!   (keyword, number, ip, date), wildcard patterns, case folding, date parsing.

pub mod analysis;
pub mod fields;
pub mod fold;
pub mod input;
pub mod json;
mod paths;
pub mod regex;
mod scan;
pub mod schema;
mod skip;
pub mod time;
pub mod types;
pub mod value;
pub mod wildcard;

pub use fields::{FieldId, FieldRegistry};
pub use json::{parse_event, Event, ParseError};
pub use scan::{find_special, is_special};
pub use schema::{Resolved, Schema};
pub use types::FieldType;
pub use value::{Number, Value};
