//! Elasticsearch field types, as far as matching semantics go.

use std::fmt;

/// The mapping type of a field. Only the distinctions that change how a query
/// matches are kept; everything else maps onto the nearest type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    Keyword,
    ConstantKeyword,
    /// Elasticsearch's `wildcard` type: keyword semantics, stored for fast `*x*`.
    Wildcard,
    /// Analysed text (standard analyser).
    Text,
    /// `match_only_text`: analysed like `text`, no scoring positions (same matches).
    MatchOnlyText,
    Long,
    Integer,
    Short,
    Byte,
    UnsignedLong,
    Double,
    Float,
    HalfFloat,
    ScaledFloat,
    Date,
    DateNanos,
    Ip,
    Boolean,
    Version,
    Object,
    Nested,
    Flattened,
    GeoPoint,
    Binary,
    /// Not in any mapping: the JSON value decides (strings behave as keywords,
    /// numbers as numbers), as with Elastic's `logs-*` dynamic templates.
    Unmapped,
}

impl FieldType {
    /// Parses an Elasticsearch mapping type name. Unknown names map to `Keyword`
    /// when they are string-like, otherwise `None`.
    pub fn from_es_name(name: &str) -> Option<FieldType> {
        use FieldType::*;
        Some(match name {
            "keyword" => Keyword,
            "constant_keyword" => ConstantKeyword,
            "wildcard" => Wildcard,
            "text" | "search_as_you_type" => Text,
            "match_only_text" => MatchOnlyText,
            "long" => Long,
            "integer" => Integer,
            "short" => Short,
            "byte" => Byte,
            "unsigned_long" => UnsignedLong,
            "double" => Double,
            "float" => Float,
            "half_float" => HalfFloat,
            "scaled_float" => ScaledFloat,
            "date" => Date,
            "date_nanos" => DateNanos,
            "ip" => Ip,
            "boolean" => Boolean,
            "version" => Version,
            "object" => Object,
            "nested" => Nested,
            "flattened" => Flattened,
            "geo_point" => GeoPoint,
            "binary" => Binary,
            _ => return None,
        })
    }

    pub fn es_name(self) -> &'static str {
        use FieldType::*;
        match self {
            Keyword => "keyword",
            ConstantKeyword => "constant_keyword",
            Wildcard => "wildcard",
            Text => "text",
            MatchOnlyText => "match_only_text",
            Long => "long",
            Integer => "integer",
            Short => "short",
            Byte => "byte",
            UnsignedLong => "unsigned_long",
            Double => "double",
            Float => "float",
            HalfFloat => "half_float",
            ScaledFloat => "scaled_float",
            Date => "date",
            DateNanos => "date_nanos",
            Ip => "ip",
            Boolean => "boolean",
            Version => "version",
            Object => "object",
            Nested => "nested",
            Flattened => "flattened",
            GeoPoint => "geo_point",
            Binary => "binary",
            Unmapped => "unmapped",
        }
    }

    /// Exact-value string fields: one term per value, case-sensitive.
    pub fn is_keyword_like(self) -> bool {
        matches!(
            self,
            FieldType::Keyword
                | FieldType::ConstantKeyword
                | FieldType::Wildcard
                | FieldType::Flattened
        )
    }

    /// Analysed fields: matched per token.
    pub fn is_text(self) -> bool {
        matches!(self, FieldType::Text | FieldType::MatchOnlyText)
    }

    pub fn is_integer(self) -> bool {
        matches!(
            self,
            FieldType::Long
                | FieldType::Integer
                | FieldType::Short
                | FieldType::Byte
                | FieldType::UnsignedLong
        )
    }

    pub fn is_floating(self) -> bool {
        matches!(
            self,
            FieldType::Double | FieldType::Float | FieldType::HalfFloat | FieldType::ScaledFloat
        )
    }

    pub fn is_numeric(self) -> bool {
        self.is_integer() || self.is_floating()
    }

    pub fn is_date(self) -> bool {
        matches!(self, FieldType::Date | FieldType::DateNanos)
    }

    /// Object-like fields hold sub-fields, not values.
    pub fn is_object(self) -> bool {
        matches!(self, FieldType::Object | FieldType::Nested)
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.es_name())
    }
}
