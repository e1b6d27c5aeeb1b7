//! `kibana.alert.reason`: Kibana's `buildReasonMessageUtil`
//! (`rule_types/utils/reason_formatters.ts`), the one sentence every security rule
//! type writes, e.g. `process event with process ssh-keygen, parent process bash,
//! by alice on web-01 created low alert SSH Key Generated via ssh-keygen.`
//!
//! The ICU message is
//! `{eventCategory }event{ with}{ process P,}{ parent process P,}{ file F,}
//! { source A}{:P,}{ destination A}{:P,}{ by U}{ on H} created {severity} alert {name}.`
//! where a part is left out when its value is missing, empty, `["-"]`, or not a
//! string / array (a bare number has no `length`), arrays are joined with `", "`,
//! and ` with` appears when any of process, parent, file, source or destination is
//! present. An ICU `select` on the string `"null"` takes the `null` branch, so such
//! a value is left out too.

use super::js::{fields_api_values_in, has_dot, js_to_join_string, lodash_get};
use serde_json::{Map, Value};

/// Where the reason's fields are read from.
#[derive(Clone, Copy)]
pub enum ReasonDoc<'a> {
    /// A search hit: Kibana reads the hit's `fields` block (the `fields` API
    /// flattening of `_source`, every value an array).
    Event(&'a Map<String, Value>),
    /// A merged `_source` (the shell alert of a sequence): read with `lodash.get`.
    Merged(&'a Map<String, Value>),
}

const DESTINATION_ADDRESS: &str = "destination.ip";
const DESTINATION_PORT: &str = "destination.port";
const EVENT_CATEGORY: &str = "event.category";
const FILE_NAME: &str = "file.name";
const HOST_NAME: &str = "host.name";
const PROCESS_NAME: &str = "process.name";
const PROCESS_PARENT_NAME: &str = "process.parent.name";
const SOURCE_ADDRESS: &str = "source.ip";
const SOURCE_PORT: &str = "source.port";
const USER_NAME: &str = "user.name";

/// Builds the reason sentence for a rule `name` of `severity` over `doc`.
pub fn build_reason_message(name: &str, severity: &str, doc: ReasonDoc<'_>) -> String {
    // Whether an event has a dotted key at its top level, found once for
    // the ten fields read (see `fields_api_values_in`).
    let dotted = match doc {
        ReasonDoc::Event(source) => source.keys().any(|key| has_dot(key)),
        ReasonDoc::Merged(_) => true,
    };
    let field = |path: &str| template_value(doc, path, dotted);
    let destination_address = field(DESTINATION_ADDRESS);
    let destination_port = field(DESTINATION_PORT);
    let event_category = field(EVENT_CATEGORY);
    let file_name = field(FILE_NAME);
    let host_name = field(HOST_NAME);
    let process_name = field(PROCESS_NAME);
    let process_parent_name = field(PROCESS_PARENT_NAME);
    let source_address = field(SOURCE_ADDRESS);
    let source_port = field(SOURCE_PORT);
    let user_name = field(USER_NAME);
    let has_field_of_interest = [
        &destination_address,
        &destination_port,
        &file_name,
        &process_name,
    ]
    .into_iter()
    .chain([&process_parent_name, &source_address, &source_port])
    .any(Option::is_some);

    let mut out = String::new();
    if let Some(category) = selected(&event_category) {
        out.push_str(category);
        out.push(' ');
    }
    out.push_str("event");
    if has_field_of_interest {
        out.push_str(" with");
    }
    push_part(&mut out, &process_name, " process ", ",");
    push_part(&mut out, &process_parent_name, " parent process ", ",");
    push_part(&mut out, &file_name, " file ", ",");
    push_part(&mut out, &source_address, " source ", "");
    push_part(&mut out, &source_port, ":", ",");
    push_part(&mut out, &destination_address, " destination ", "");
    push_part(&mut out, &destination_port, ":", ",");
    push_part(&mut out, &user_name, " by ", "");
    push_part(&mut out, &host_name, " on ", "");
    for part in [" created ", severity, " alert ", name, "."] {
        out.push_str(part);
    }
    out
}

fn push_part(out: &mut String, value: &Option<String>, before: &str, after: &str) {
    if let Some(value) = selected(value) {
        out.push_str(before);
        out.push_str(value);
        out.push_str(after);
    }
}

/// The ICU `select`: a missing value and the string `"null"` take the empty branch.
fn selected(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| *v != "null")
}

/// `getFieldTemplateValue`.
fn template_value(doc: ReasonDoc<'_>, path: &str, dotted: bool) -> Option<String> {
    match doc {
        ReasonDoc::Event(source) => {
            array_template_value(&fields_api_values_in(source, path, dotted))
        }
        ReasonDoc::Merged(source) => match lodash_get(source, path)? {
            Value::String(s) => (!s.is_empty() && s != "-").then(|| s.clone()),
            Value::Array(items) => array_template_value(&items.iter().collect::<Vec<_>>()),
            _ => None,
        },
    }
}

fn array_template_value(values: &[&Value]) -> Option<String> {
    match values {
        [] => None,
        [Value::String(only)] if only == "-" => None,
        // One value joins to itself (no list made).
        [only] => Some(js_to_join_string(only)),
        _ => Some(
            values
                .iter()
                .map(|v| js_to_join_string(v))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    }
}

#[cfg(test)]
mod tests {
    //! Expectations of Kibana's `reason_formatters.test.ts` (documents given as a
    //! `fields` block, i.e. flat keys with array values).
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({
            "destination.ip": ["9.99.99.9"],
            "destination.port": ["6789"],
            "event.category": ["test"],
            "file.name": ["sample"],
            "host.name": ["host"],
            "process.name": ["doingThings.exe"],
            "process.parent.name": ["didThings.exe"],
            "source.ip": ["1.11.11.1"],
            "source.port": ["1234"],
            "user.name": ["test-user"],
            "@timestamp": "2021-08-11T02:28:59.101Z",
        })
    }

    fn reason_with(changes: Value) -> String {
        let mut doc = base();
        for (k, v) in changes.as_object().unwrap() {
            doc[k] = v.clone();
        }
        build_reason_message(
            "my-rule",
            "medium",
            ReasonDoc::Event(doc.as_object().unwrap()),
        )
    }

    #[test]
    fn full_message() {
        assert_eq!(
            reason_with(json!({})),
            "test event with process doingThings.exe, parent process didThings.exe, file sample, source 1.11.11.1:1234, destination 9.99.99.9:6789, by test-user on host created medium alert my-rule."
        );
    }

    #[test]
    fn multiple_categories() {
        assert_eq!(
            reason_with(json!({"event.category": ["item one", "item two"]})),
            "item one, item two event with process doingThings.exe, parent process didThings.exe, file sample, source 1.11.11.1:1234, destination 9.99.99.9:6789, by test-user on host created medium alert my-rule."
        );
    }

    #[test]
    fn dashes_are_missing_values() {
        assert_eq!(
            reason_with(json!({"host.name": ["-"]})),
            "test event with process doingThings.exe, parent process didThings.exe, file sample, source 1.11.11.1:1234, destination 9.99.99.9:6789, by test-user created medium alert my-rule."
        );
        assert_eq!(
            reason_with(json!({"user.name": ["-"]})),
            "test event with process doingThings.exe, parent process didThings.exe, file sample, source 1.11.11.1:1234, destination 9.99.99.9:6789, on host created medium alert my-rule."
        );
        assert_eq!(
            reason_with(json!({"destination.port": ["-"]})),
            "test event with process doingThings.exe, parent process didThings.exe, file sample, source 1.11.11.1:1234, destination 9.99.99.9 by test-user on host created medium alert my-rule."
        );
        assert_eq!(
            reason_with(json!({"destination.ip": ["-"], "destination.port": ["-"]})),
            "test event with process doingThings.exe, parent process didThings.exe, file sample, source 1.11.11.1:1234, by test-user on host created medium alert my-rule."
        );
        assert_eq!(
            reason_with(json!({"source.port": ["-"]})),
            "test event with process doingThings.exe, parent process didThings.exe, file sample, source 1.11.11.1 destination 9.99.99.9:6789, by test-user on host created medium alert my-rule."
        );
        assert_eq!(
            reason_with(json!({"source.ip": ["-"], "source.port": ["-"]})),
            "test event with process doingThings.exe, parent process didThings.exe, file sample, destination 9.99.99.9:6789, by test-user on host created medium alert my-rule."
        );
        assert_eq!(
            reason_with(json!({"process.name": ["-"], "process.parent.name": ["-"]})),
            "test event with file sample, source 1.11.11.1:1234, destination 9.99.99.9:6789, by test-user on host created medium alert my-rule."
        );
    }

    #[test]
    fn without_fields_of_interest() {
        let doc = json!({"event.category": ["test"], "user.name": ["test-user"]});
        assert_eq!(
            build_reason_message(
                "my-rule",
                "medium",
                ReasonDoc::Event(doc.as_object().unwrap())
            ),
            "test event by test-user created medium alert my-rule."
        );
    }

    #[test]
    fn threshold_style_merged_documents() {
        // `buildReasonMessageForThresholdAlert` cases: a `_source` with flat keys.
        let doc = json!({"@timestamp": "2022-08-16T11:01:09.848Z", "user.name": "Some User Name", "host.name": "Some Host Name"});
        assert_eq!(
            build_reason_message(
                "my-rule",
                "medium",
                ReasonDoc::Merged(doc.as_object().unwrap())
            ),
            "event by Some User Name on Some Host Name created medium alert my-rule."
        );
    }

    #[test]
    fn merged_documents_drop_non_string_scalars() {
        let doc =
            json!({"destination": {"ip": "10.0.0.1", "port": 443}, "process": {"name": "null"}});
        assert_eq!(
            build_reason_message("r", "low", ReasonDoc::Merged(doc.as_object().unwrap())),
            "event with destination 10.0.0.1 created low alert r."
        );
    }
}
