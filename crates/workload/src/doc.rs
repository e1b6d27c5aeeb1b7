//! `Doc`: a JSON object built from dotted ECS field paths (`process.parent.name`)
//! into the nested shape Elastic Agent writes.

use serde_json::{Map, Value};

/// One event under construction.
#[derive(Clone, Debug, Default)]
pub struct Doc(Map<String, Value>);

impl Doc {
    pub fn new() -> Self {
        Doc(Map::new())
    }

    /// Sets `path` (dot-separated) to `value`, creating intermediate objects. A
    /// non-object already on the path is replaced by an object.
    pub fn set(&mut self, path: &str, value: impl Into<Value>) -> &mut Self {
        let mut node = &mut self.0;
        let mut parts = path.split('.').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                node.insert(part.to_string(), value.into());
                break;
            }
            let entry = node
                .entry(part.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            let Value::Object(child) = entry else { break };
            node = child;
        }
        self
    }

    /// Sets `path` to an array of strings.
    pub fn set_strs<S: AsRef<str>>(&mut self, path: &str, values: &[S]) -> &mut Self {
        let arr: Vec<Value> = values
            .iter()
            .map(|s| Value::String(s.as_ref().to_string()))
            .collect();
        self.set(path, Value::Array(arr))
    }

    /// The value at `path`, if any.
    pub fn get(&self, path: &str) -> Option<&Value> {
        let mut parts = path.split('.');
        let first = parts.next()?;
        parts.try_fold(self.0.get(first)?, |v, p| v.get(p))
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }

    /// Serialises as one JSON line (without the newline) into `out`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        // Writing a `Map` of plain JSON values into a Vec cannot fail.
        if serde_json::to_writer(&mut *out, &self.0).is_err() {
            out.extend_from_slice(b"{}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_paths_nest() {
        let mut d = Doc::new();
        d.set("process.parent.name", "explorer.exe")
            .set("process.pid", 4)
            .set_strs("event.category", &["process"]);
        let mut out = Vec::new();
        d.write_json(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"event":{"category":["process"]},"process":{"parent":{"name":"explorer.exe"},"pid":4}}"#
        );
        assert_eq!(d.get("process.pid"), Some(&Value::from(4)));
        assert_eq!(d.get("process.nope"), None);
    }
}
