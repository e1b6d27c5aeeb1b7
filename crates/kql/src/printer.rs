//! Printing a KQL AST back to text that parses to the same tree (spans aside).
//!
//! Unquoted literals escape what the grammar treats specially: the characters
//! `\():<>"*{}`, literal stars, tab/CR/LF, and the keywords `or`/`and`/`not`
//! where they would otherwise end the value (`\or`, `\and`, `\not` — except
//! that `\n` is a newline, so `not` is written `\u006eot`). Quoted literals
//! escape `\` and `"`. Explicit parentheses are kept.

use crate::ast::{Expr, Literal, LiteralValue, Query, RangeOp, Values, WildPart};
use std::fmt::Write;

/// The query as KQL text.
pub fn print(query: &Query) -> String {
    let mut out = String::new();
    if let Some(root) = &query.root {
        print_expr(&mut out, root);
    }
    out
}

fn print_expr(out: &mut String, e: &Expr) {
    match e {
        Expr::Or { items, .. } => join(out, items, " or ", print_expr),
        Expr::And { items, .. } => join(out, items, " and ", print_expr),
        Expr::Not { inner, .. } => {
            out.push_str("not ");
            print_expr(out, inner);
        }
        Expr::Group { inner, .. } => {
            out.push('(');
            print_expr(out, inner);
            out.push(')');
        }
        Expr::Field { field, values, .. } => {
            print_literal(out, field);
            out.push(':');
            print_values(out, values);
        }
        Expr::Range {
            field, op, value, ..
        } => {
            // No spaces around the operator or inside braces: a literal ending
            // in `not` followed by a space would read as the keyword.
            print_literal(out, field);
            out.push_str(op.as_str());
            let mut text = String::new();
            print_literal(&mut text, value);
            // `<` then a value starting with `=` would read back as `<=`; the
            // grammar allows spaces after the operator, so one keeps them apart.
            if matches!(op, RangeOp::Lt | RangeOp::Gt) && text.starts_with('=') {
                out.push(' ');
            }
            out.push_str(&text);
        }
        Expr::Nested { path, query, .. } => {
            print_literal(out, path);
            out.push_str(":{");
            print_expr(out, query);
            out.push('}');
        }
        Expr::Free { value, .. } => print_literal(out, value),
    }
}

fn print_values(out: &mut String, v: &Values) {
    match v {
        Values::Or { items, .. } => join(out, items, " or ", print_values),
        Values::And { items, .. } => join(out, items, " and ", print_values),
        Values::Not { inner, .. } => {
            out.push_str("not ");
            print_values(out, inner);
        }
        Values::Group { inner, .. } => {
            out.push('(');
            print_values(out, inner);
            out.push(')');
        }
        Values::One(lit) => print_literal(out, lit),
    }
}

fn join<T>(out: &mut String, items: &[T], sep: &str, each: fn(&mut String, &T)) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        each(out, item);
    }
}

/// Prints one literal (field name or value).
pub fn print_literal(out: &mut String, lit: &Literal) {
    match &lit.value {
        LiteralValue::Str(s) if lit.quoted => print_quoted(out, s),
        LiteralValue::Str(s) => print_unquoted(out, s),
        LiteralValue::Wildcard(parts) => {
            let mut text = String::new();
            for part in parts {
                match part {
                    WildPart::Lit(s) => escape_unquoted(&mut text, s),
                    WildPart::Star => text.push('*'),
                }
            }
            out.push_str(&text);
        }
        LiteralValue::Null => out.push_str("null"),
        LiteralValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
    }
}

fn print_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn print_unquoted(out: &mut String, s: &str) {
    // An unquoted literal that reads as null/true/false, or is empty, must be
    // written so that it stays a string: quoting would make it a phrase, so the
    // first character is escaped instead.
    if matches!(s, "null" | "true" | "false") {
        let _ = write!(out, "\\u{:04x}", s.as_bytes()[0]);
        out.push_str(&s[1..]);
        return;
    }
    if s.is_empty() {
        // Only a value of characters that JavaScript's `trim` removes but the
        // grammar does not treat as whitespace (e.g. U+000B) reads back as an
        // empty unquoted literal.
        out.push('\u{b}');
        return;
    }
    escape_unquoted(out, s);
}

fn escape_unquoted(out: &mut String, s: &str) {
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if let Some(skip) = escape_keyword_at(out, &chars, i) {
            i += skip;
            continue;
        }
        match c {
            '\\' | '(' | ')' | ':' | '<' | '>' | '"' | '*' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c if is_edge_space(c) && (i == 0 || i + 1 == chars.len()) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
        i += 1;
    }
}

/// Whitespace that would be trimmed from the ends of an unquoted literal.
fn is_edge_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

fn is_kql_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{a0}')
}

/// Escapes a keyword starting at `i` that would end the value; returns the
/// number of characters written.
fn escape_keyword_at(out: &mut String, chars: &[char], i: usize) -> Option<usize> {
    let word_at = |w: &str| {
        let n = w.len();
        chars.len() >= i + n
            && chars[i..i + n]
                .iter()
                .collect::<String>()
                .eq_ignore_ascii_case(w)
    };
    let followed_by_space = |n: usize| chars.get(i + n).is_some_and(|c| is_kql_space(*c));
    let after_space = i > 0 && is_kql_space(chars[i - 1]);
    if word_at("not") && followed_by_space(3) {
        // `\n` would be read as a newline: write the `n` as `\u006e`/`\u004e`.
        let _ = write!(out, "\\u{:04x}", chars[i] as u32);
        out.push(chars[i + 1]);
        out.push(chars[i + 2]);
        return Some(3);
    }
    for w in ["or", "and"] {
        if after_space && word_at(w) && followed_by_space(w.len()) {
            out.push('\\');
            out.extend(&chars[i..i + w.len()]);
            return Some(w.len());
        }
    }
    None
}
