//! A span-free rendering of a KQL AST in Kibana's shape (value lists
//! distributed over their field): `(and (is foo bar) (not (is foo "baz")))`.

use kql::ast::{Expr, Literal, LiteralValue, Query, Values, WildPart};

pub fn sexp(q: &Query) -> String {
    match &q.root {
        None => "(is * *)".to_string(),
        Some(e) => expr(e),
    }
}

fn expr(e: &Expr) -> String {
    match e {
        Expr::Or { items, .. } => format!(
            "(or {})",
            items.iter().map(expr).collect::<Vec<_>>().join(" ")
        ),
        Expr::And { items, .. } => format!(
            "(and {})",
            items.iter().map(expr).collect::<Vec<_>>().join(" ")
        ),
        Expr::Not { inner, .. } => format!("(not {})", expr(inner)),
        Expr::Group { inner, .. } => expr(inner),
        Expr::Field { field, values, .. } => dist(&lit(field), values),
        Expr::Range {
            field, op, value, ..
        } => format!("(range {} {} {})", lit(field), op.as_str(), lit(value)),
        Expr::Nested { path, query, .. } => format!("(nested {} {})", lit(path), expr(query)),
        Expr::Free { value, .. } => format!("(is null {})", lit(value)),
    }
}

fn dist(field: &str, v: &Values) -> String {
    match v {
        Values::Or { items, .. } => format!(
            "(or {})",
            items
                .iter()
                .map(|i| dist(field, i))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Values::And { items, .. } => format!(
            "(and {})",
            items
                .iter()
                .map(|i| dist(field, i))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Values::Not { inner, .. } => format!("(not {})", dist(field, inner)),
        Values::Group { inner, .. } => dist(field, inner),
        Values::One(l) => format!("(is {field} {})", lit(l)),
    }
}

pub fn lit(l: &Literal) -> String {
    match &l.value {
        LiteralValue::Str(s) if l.quoted => format!("{s:?}"),
        LiteralValue::Str(s) => format!("{s:?}").trim_matches('"').replace('*', "\\*"),
        LiteralValue::Wildcard(parts) => parts
            .iter()
            .map(|p| match p {
                WildPart::Lit(s) => format!("{s:?}").trim_matches('"').replace('*', "\\*"),
                WildPart::Star => "*".to_string(),
            })
            .collect(),
        LiteralValue::Null => "#null".to_string(),
        LiteralValue::Bool(b) => format!("#{b}"),
    }
}
