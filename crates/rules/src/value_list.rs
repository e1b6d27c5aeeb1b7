//! Value lists (Kibana "lists"): named sets of values that exception entries of
//! type `list` test a field against. Kibana imports a list from a text file, one
//! value per line, and names it after the file (`POST /api/lists/items/_import`
//! with `type=keyword|ip|ip_range|text|…`); `--value-list FILE` does the same.

use std::collections::HashMap;
use std::path::Path;

/// Value list types Kibana's list schema accepts (`type` of a list).
pub const VALUE_LIST_TYPES: &[&str] = &[
    "binary",
    "boolean",
    "byte",
    "date",
    "date_nanos",
    "date_range",
    "double",
    "double_range",
    "float",
    "float_range",
    "geo_point",
    "geo_shape",
    "half_float",
    "integer",
    "integer_range",
    "ip",
    "ip_range",
    "keyword",
    "long",
    "long_range",
    "shape",
    "short",
    "text",
];

/// Value lists by id.
#[derive(Debug, Clone, Default)]
pub struct ValueLists {
    lists: HashMap<String, Vec<String>>,
}

impl ValueLists {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, id: impl Into<String>, values: Vec<String>) {
        self.lists.insert(id.into(), values);
    }

    pub fn get(&self, id: &str) -> Option<&[String]> {
        self.lists.get(id).map(Vec::as_slice)
    }

    pub fn len(&self) -> usize {
        self.lists.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }

    /// Reads a list file; its id is the file name (as Kibana names an imported
    /// list). Returns the id.
    pub fn load_file(&mut self, path: &Path) -> std::io::Result<String> {
        let bytes = std::fs::read(path)?;
        let text = String::from_utf8_lossy(&bytes);
        let id = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.insert(id.clone(), parse_values(&text));
        Ok(id)
    }
}

/// One value per line; surrounding whitespace and empty lines are dropped.
pub fn parse_values(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_per_line() {
        assert_eq!(
            parse_values("a\r\n  b \n\n10.0.0.0/8\n"),
            vec!["a", "b", "10.0.0.0/8"]
        );
        let mut l = ValueLists::new();
        l.insert("ips.txt", vec!["1.2.3.4".into()]);
        assert_eq!(l.get("ips.txt"), Some(&["1.2.3.4".to_string()][..]));
        assert!(l.get("other").is_none());
    }
}
