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
