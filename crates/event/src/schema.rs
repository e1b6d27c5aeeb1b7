//! Field types: the built-in ECS table, Elasticsearch index mappings, and how a
//! field name used in a query resolves to a document path and a type.
//!
//! Resolution order for a name: the user's mapping (`--mapping`), then the built-in
//! ECS table, then "unmapped" (the JSON value decides, as with Elastic's `logs-*`
//! dynamic templates that map unknown strings to `keyword`). Multi-fields
//! (`process.name.text`, `hostname.keyword`) resolve to their parent's document
//! path with the sub-field's type; `alias` fields resolve to their target.

use crate::types::FieldType;
use rustc_hash::FxHashMap;
use std::sync::OnceLock;

/// What the mapping says about one field name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    pub ty: FieldType,
    /// Keyword values longer than this are not indexed (they never match a term).
    pub ignore_above: Option<u32>,
    /// For a multi-field (`x.text`, `x.keyword`): the field whose value it indexes.
    pub parent: Option<String>,
    /// For an `alias` field: the path it points to.
    pub alias_of: Option<String>,
    /// For a `text` field: its keyword sub-field, used by exact comparisons.
    pub keyword_subfield: Option<String>,
}

impl FieldDef {
    fn plain(ty: FieldType) -> Self {
        FieldDef {
            ty,
            ignore_above: None,
            parent: None,
            alias_of: None,
            keyword_subfield: None,
        }
    }
}

/// A field name resolved for matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The name as written in the query.
    pub name: String,
    /// The document path holding the values (differs for aliases and multi-fields).
    pub path: String,
    pub ty: FieldType,
    pub ignore_above: Option<u32>,
    /// True when neither the mapping nor ECS knows the field.
    pub unmapped: bool,
    /// For text fields: the keyword sub-field's definition, if any (exact matching).
    pub keyword_subfield: Option<Box<Resolved>>,
    /// A keyword with a `lowercase` normalizer (Elastic Defend's `*.caseless`
    /// multi-fields): indexed values and query terms are lower-cased, so terms
    /// and wildcards match case-insensitively.
    pub lowercase: bool,
}

/// Errors in a user-supplied mapping file.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("mapping is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("mapping has no `properties` object")]
    NoProperties,
    #[error("field `{field}`: {reason}")]
    Field { field: String, reason: String },
}

/// The type table a run uses: ECS plus an optional index mapping.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    overlay: FxHashMap<String, FieldDef>,
    /// When false, the built-in ECS table is not consulted.
    use_ecs: bool,
}

fn ecs_table() -> &'static FxHashMap<String, FieldDef> {
    static TABLE: OnceLock<FxHashMap<String, FieldDef>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map = FxHashMap::default();
        for line in include_str!("ecs_fields.tsv").lines() {
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let mut cols = line.split('\t');
            let (Some(name), Some(ty)) = (cols.next(), cols.next()) else {
                continue;
            };
            let Some(ty) = FieldType::from_es_name(ty) else {
                continue;
            };
            let ignore_above = cols.next().and_then(|s| s.parse().ok());
            let parent = cols.next().filter(|s| !s.is_empty()).map(str::to_string);
            map.insert(
                name.to_string(),
                FieldDef {
                    ty,
                    ignore_above,
                    parent,
                    alias_of: None,
                    keyword_subfield: None,
                },
            );
        }
        map
    })
}

impl Schema {
    /// ECS only (the default for rules and queries).
    pub fn ecs() -> Self {
        Schema {
            overlay: FxHashMap::default(),
            use_ecs: true,
        }
    }

    /// No types at all: every field is unmapped (values decide).
    pub fn empty() -> Self {
        Schema {
            overlay: FxHashMap::default(),
            use_ecs: false,
        }
    }

    /// ECS overlaid with an Elasticsearch mapping (JSON, with or without the
    /// `mappings` wrapper; also accepts a `GET index/_mapping` response).
    pub fn with_mapping_json(json: &str) -> Result<Self, MappingError> {
        let mut schema = Schema::ecs();
        schema.add_mapping_json(json)?;
        Ok(schema)
    }

    pub fn add_mapping_json(&mut self, json: &str) -> Result<(), MappingError> {
        let v: serde_json::Value = serde_json::from_str(json)?;
        let props = find_properties(&v).ok_or(MappingError::NoProperties)?;
        self.add_properties("", props)
    }

    /// Adds one field definition (used by tests and by callers with their own tables).
    pub fn insert(&mut self, name: &str, ty: FieldType) {
        self.overlay.insert(name.to_string(), FieldDef::plain(ty));
    }

    fn add_properties(
        &mut self,
        prefix: &str,
        props: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), MappingError> {
        for (key, def) in props {
            let name = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            let ty_name = def.get("type").and_then(|t| t.as_str());
            if let Some(sub) = def.get("properties").and_then(|p| p.as_object()) {
                let ty = match ty_name {
                    Some("nested") => FieldType::Nested,
                    _ => FieldType::Object,
                };
                self.overlay.insert(name.clone(), FieldDef::plain(ty));
                self.add_properties(&name, sub)?;
                continue;
            }
            let Some(ty_name) = ty_name else {
                self.overlay
                    .insert(name.clone(), FieldDef::plain(FieldType::Object));
                continue;
            };
            if ty_name == "alias" {
                let target = def.get("path").and_then(|p| p.as_str()).ok_or_else(|| {
                    MappingError::Field {
                        field: name.clone(),
                        reason: "alias without `path`".into(),
                    }
                })?;
                let mut fd = FieldDef::plain(FieldType::Keyword);
                fd.alias_of = Some(target.to_string());
                self.overlay.insert(name, fd);
                continue;
            }
            let ty = FieldType::from_es_name(ty_name).unwrap_or(FieldType::Keyword);
            let mut fd = FieldDef::plain(ty);
            fd.ignore_above = def
                .get("ignore_above")
                .and_then(|v| v.as_u64())
                .map(|n| n as u32);
            if let Some(fields) = def.get("fields").and_then(|f| f.as_object()) {
                for (sub, sdef) in fields {
                    let sname = format!("{name}.{sub}");
                    let sty = sdef
                        .get("type")
                        .and_then(|t| t.as_str())
                        .and_then(FieldType::from_es_name)
                        .unwrap_or(FieldType::Keyword);
                    if ty.is_text() && sty.is_keyword_like() && fd.keyword_subfield.is_none() {
                        fd.keyword_subfield = Some(sname.clone());
                    }
                    let mut sfd = FieldDef::plain(sty);
                    sfd.ignore_above = sdef
                        .get("ignore_above")
                        .and_then(|v| v.as_u64())
                        .map(|n| n as u32);
                    sfd.parent = Some(name.clone());
                    self.overlay.insert(sname, sfd);
                }
            }
            self.overlay.insert(name, fd);
        }
        Ok(())
    }

    /// The definition of `name` without following aliases.
    pub fn def(&self, name: &str) -> Option<&FieldDef> {
        self.overlay.get(name).or_else(|| {
            if self.use_ecs {
                ecs_table().get(name)
            } else {
                None
            }
        })
    }

    /// Whether `name` is a known (mapped or ECS) field.
    pub fn is_known(&self, name: &str) -> bool {
        self.def(name).is_some()
    }

    /// Resolves a name for matching (aliases followed, multi-fields to their parent).
    ///
    /// `x.caseless`, when no mapping defines it, is Elastic Defend's lower-cased
    /// keyword multi-field of `x` (the endpoint package maps `process.name`,
    /// `file.path`… with `fields.caseless: {type: keyword, normalizer: lowercase,
    /// ignore_above: 1024}`): it resolves to `x`'s values with `lowercase` set.
    pub fn resolve(&self, name: &str) -> Resolved {
        if self.def(name).is_none() {
            if let Some(parent) = name.strip_suffix(".caseless") {
                let base = self.resolve(parent);
                if base.ty.is_keyword_like() || base.unmapped {
                    return Resolved {
                        name: name.to_string(),
                        ty: FieldType::Keyword,
                        ignore_above: base.ignore_above.or(Some(1024)),
                        lowercase: true,
                        ..base
                    };
                }
            }
        }
        self.resolve_defined(name)
    }

    fn resolve_defined(&self, name: &str) -> Resolved {
        let mut current = name.to_string();
        // Aliases cannot point at aliases in Elasticsearch; follow at most a few hops.
        for _ in 0..4 {
            match self.def(&current) {
                Some(FieldDef {
                    alias_of: Some(target),
                    ..
                }) => current = target.clone(),
                _ => break,
            }
        }
        match self.def(&current) {
            Some(def) => {
                let path = def.parent.clone().unwrap_or_else(|| current.clone());
                let keyword_subfield = def
                    .keyword_subfield
                    .as_ref()
                    .map(|k| Box::new(self.resolve(k)));
                Resolved {
                    name: name.to_string(),
                    path,
                    ty: def.ty,
                    ignore_above: def.ignore_above,
                    unmapped: false,
                    keyword_subfield,
                    lowercase: false,
                }
            }
            None => Resolved {
                name: name.to_string(),
                path: current,
                ty: FieldType::Unmapped,
                ignore_above: None,
                unmapped: true,
                keyword_subfield: None,
                lowercase: false,
            },
        }
    }

    /// Every known field whose full name matches `pattern` (`*` spans any
    /// characters, dots included), sorted. Used for field-name wildcards.
    pub fn fields_matching(&self, pattern: &str) -> Vec<String> {
        let pat = crate::wildcard::Pattern::new(pattern, false);
        let mut out: Vec<String> = self
            .overlay
            .keys()
            .chain(
                if self.use_ecs {
                    Some(ecs_table().keys())
                } else {
                    None
                }
                .into_iter()
                .flatten(),
            )
            .filter(|k| pat.matches(k))
            .cloned()
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

fn find_properties(v: &serde_json::Value) -> Option<&serde_json::Map<String, serde_json::Value>> {
    if let Some(p) = v.get("properties").and_then(|p| p.as_object()) {
        return Some(p);
    }
    if let Some(m) = v.get("mappings") {
        return find_properties(m);
    }
    // `GET index/_mapping` response: {"index-name": {"mappings": {...}}}
    if let Some(obj) = v.as_object() {
        if obj.len() == 1 {
            return obj.values().next().and_then(find_properties);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecs_types_and_multi_fields() {
        let s = Schema::ecs();
        assert_eq!(s.resolve("process.name").ty, FieldType::Keyword);
        assert_eq!(s.resolve("process.command_line").ty, FieldType::Wildcard);
        let text = s.resolve("process.command_line.text");
        assert_eq!(text.ty, FieldType::MatchOnlyText);
        assert_eq!(text.path, "process.command_line");
        assert_eq!(s.resolve("source.ip").ty, FieldType::Ip);
        assert_eq!(s.resolve("process.pid").ty, FieldType::Long);
        assert_eq!(s.resolve("message").ty, FieldType::MatchOnlyText);
        let unknown = s.resolve("foo.bar");
        assert!(unknown.unmapped);
        assert_eq!(unknown.ty, FieldType::Unmapped);
    }

    #[test]
    fn mapping_overlay_aliases_and_text_keyword() {
        let s = Schema::with_mapping_json(
            r#"{"mappings":{"properties":{
                "event_type":{"type":"keyword"},
                "event":{"properties":{"category":{"type":"alias","path":"event_type"}}},
                "hostname":{"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}},
                "pid":{"type":"long"}}}}"#,
        )
        .unwrap();
        let cat = s.resolve("event.category");
        assert_eq!(cat.path, "event_type");
        assert_eq!(cat.ty, FieldType::Keyword);
        let host = s.resolve("hostname");
        assert_eq!(host.ty, FieldType::Text);
        let kw = host.keyword_subfield.unwrap();
        assert_eq!(
            (kw.path.as_str(), kw.ty, kw.ignore_above),
            ("hostname", FieldType::Keyword, Some(256))
        );
        assert_eq!(s.resolve("pid").ty, FieldType::Long);
    }

    #[test]
    fn caseless_multi_fields_are_lowercased_keywords_of_their_parent() {
        let s = Schema::ecs();
        let r = s.resolve("process.name.caseless");
        assert_eq!(
            (r.path.as_str(), r.ty, r.lowercase, r.unmapped),
            ("process.name", FieldType::Keyword, true, false)
        );
        assert!(!s.resolve("process.name").lowercase);
        assert!(
            s.resolve("process.pid.caseless").unmapped,
            "not a keyword: no caseless view"
        );
    }

    #[test]
    fn field_name_wildcards_expand_over_known_fields() {
        let s = Schema::ecs();
        let f = s.fields_matching("process.*name");
        assert!(f.contains(&"process.name".to_string()));
        assert!(f.contains(&"process.parent.name".to_string()));
        assert!(!f.contains(&"process.pid".to_string()));
    }
}
