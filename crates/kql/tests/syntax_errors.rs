//! Diagnostics for KQL syntax errors, compared in full with Kibana's messages.
//!
//! Source of the messages: Kibana
//! `packages/kbn-es-query/src/kuery/kuery_syntax_error.test.ts` (current
//! version: `foo:ba:r` and `foo:"ba "r"` no longer list `whitespace`). Kibana
//! prints the query and a caret line of dashes; vigil renders the same caret
//! through `diag::render_terminal`.

use diag::{render_terminal, RenderOptions, SourceFile};

fn message(query: &str) -> (String, usize) {
    let errs = kql::parse(query).expect_err("must not parse");
    let d = &errs.0[0];
    assert_eq!(d.code, "KQL0001");
    (d.message.clone(), d.primary_span().unwrap().start as usize)
}

#[test]
fn kibana_syntax_error_messages() {
    let cases = [
        (
            "response:",
            "Expected \"(\", \"{\", value, whitespace but end of input found.",
            9,
        ),
        (
            "response:200 or ",
            "Expected \"(\", NOT, field name, value but end of input found.",
            16,
        ),
        (
            "response:(200 or )",
            "Expected \"(\", NOT, value but \")\" found.",
            17,
        ),
        (
            "response:200 and not ",
            "Expected \"(\", field name, value but end of input found.",
            21,
        ),
        (
            "response:(200 and not )",
            "Expected \"(\", value but \")\" found.",
            22,
        ),
        (
            "foo:\"ba ",
            "Expected \"(\", \"{\", value, whitespace but \"\"\" found.",
            4,
        ),
        (
            "foo:\"ba \"r\"",
            "Expected AND, OR, end of input but \"r\" found.",
            9,
        ),
        (
            "foo:ba:r",
            "Expected AND, OR, end of input but \":\" found.",
            6,
        ),
        (
            "foo > ",
            "Expected literal, whitespace but end of input found.",
            6,
        ),
        (
            "< 1000",
            "Expected \"(\", NOT, end of input, field name, value, whitespace but \"<\" found.",
            0,
        ),
    ];
    for (query, expected, offset) in cases {
        assert_eq!(message(query), (expected.to_string(), offset), "{query}");
    }
}

#[test]
fn rendered_with_caret() {
    let query = "process.name:cmd.exe and ";
    let errs = kql::parse(query).unwrap_err();
    let out = render_terminal(
        &errs.0[0],
        &SourceFile::new("query", query),
        RenderOptions::default(),
    );
    assert_eq!(
        out,
        "error[KQL0001]: Expected \"(\", NOT, field name, value but end of input found.\n \
         --> query:1:26\n  |\n1 | process.name:cmd.exe and \n  |                          ^\n"
    );
}

fn render(query: &str, diags: &diag::Diagnostics) -> String {
    let src = SourceFile::new("query", query);
    diags
        .iter()
        .map(|d| render_terminal(d, &src, RenderOptions::default()))
        .collect()
}

#[test]
fn rendered_kibana_cases() {
    let cases = [
        (
            "response:(200 or )",
            "error[KQL0001]: Expected \"(\", NOT, value but \")\" found.\n --> query:1:18\n  |\n1 | response:(200 or )\n  |                  ^\n",
        ),
        (
            "foo:ba:r",
            "error[KQL0001]: Expected AND, OR, end of input but \":\" found.\n --> query:1:7\n  |\n1 | foo:ba:r\n  |       ^\n",
        ),
        (
            "< 1000",
            "error[KQL0001]: Expected \"(\", NOT, end of input, field name, value, whitespace but \"<\" found.\n --> query:1:1\n  |\n1 | < 1000\n  | ^\n",
        ),
        (
            "a:b and\n  c:(d or",
            // `or` at the very end is part of the value `d or` (no space after it)
            "error[KQL0001]: Expected \")\", AND, OR but end of input found.\n --> query:2:10\n  |\n2 |   c:(d or\n  |          ^\n",
        ),
    ];
    for (query, want) in cases {
        assert_eq!(
            render(query, &kql::parse(query).unwrap_err()),
            want,
            "{query}"
        );
    }
}

#[test]
fn rendered_lowering_errors() {
    let schema = event::Schema::ecs();
    let mut registry = event::FieldRegistry::new();
    let mut binder = ir::Binder::new(&schema, &mut registry);
    let opts = kql::KqlOptions::default();
    let query = "destination.port:abc or user.name:null";
    let diags = kql::compile(query, &mut binder, &opts).unwrap_err();
    assert_eq!(
        render(query, &diags),
        "error[KQL0101]: `abc` is not a number, as field `destination.port` (long) needs\n --> query:1:18\n  |\n1 | \
         destination.port:abc or user.name:null\n  |                  ^^^\n\
         error[KQL0107]: `null` is not a value Elasticsearch can search for\n --> query:1:35\n  |\n1 | \
         destination.port:abc or user.name:null\n  |                                   ^^^^\n  \
         = note: to find documents without the field, write `not field:*`\n"
    );
}
