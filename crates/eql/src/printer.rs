//! Canonical text of an AST: one line, minimal parentheses, double-quoted
//! strings with escapes, backquoted field segments where needed. Parsing the
//! output gives the same tree (up to spans), which the tests rely on.

use crate::ast::*;
use crate::lexer::keyword;
use std::fmt::Write;

/// The canonical text of a whole query.
pub fn query(q: &Query) -> String {
    let mut out = String::new();
    match &q.body {
        Body::Event(f) => filter(&mut out, f),
        Body::Sequence(s) => sequence(&mut out, s),
        Body::Sample(s) => sample(&mut out, s),
    }
    for p in &q.pipes {
        let name = match p.kind {
            PipeKind::Head => "head",
            PipeKind::Tail => "tail",
        };
        let _ = write!(out, " | {name} {}", p.count);
    }
    out
}

/// The canonical text of an expression.
pub fn expr(e: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, e, 0);
    out
}

fn filter(out: &mut String, f: &EventFilter) {
    match &f.category {
        Category::Any { .. } => out.push_str("any"),
        Category::Named { name, .. } if is_plain_identifier(name) => out.push_str(name),
        Category::Named { name, .. } => out.push_str(&quote(name)),
    }
    out.push_str(" where ");
    write_expr(out, &f.condition, 0);
}

fn keys(out: &mut String, by: &[Expr]) {
    if by.is_empty() {
        return;
    }
    out.push_str(" by ");
    for (i, k) in by.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_expr(out, k, 0);
    }
}

fn sequence(out: &mut String, s: &Sequence) {
    out.push_str("sequence");
    keys(out, &s.by);
    if let Some(m) = &s.maxspan {
        let _ = write!(out, " with maxspan={}{}", m.amount, m.unit.suffix());
    }
    for stage in &s.stages {
        out.push(' ');
        sequence_stage(out, stage);
    }
    if let Some(until) = &s.until {
        out.push_str(" until ");
        sequence_stage(out, until);
    }
}

fn sequence_stage(out: &mut String, stage: &SequenceStage) {
    out.push_str(if stage.missing { "![" } else { "[" });
    filter(out, &stage.filter);
    out.push(']');
    keys(out, &stage.by);
    if let Some((n, _)) = stage.runs {
        let _ = write!(out, " with runs={n}");
    }
}

fn sample(out: &mut String, s: &Sample) {
    out.push_str("sample");
    keys(out, &s.by);
    for stage in &s.stages {
        out.push_str(" [");
        filter(out, &stage.filter);
        out.push(']');
        keys(out, &stage.by);
    }
}

/// Binding strength: a child printed where a stronger one is required gets
/// parentheses.
fn level(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Or(_) => 1,
        ExprKind::And(_) => 2,
        ExprKind::Not(_) => 3,
        ExprKind::Compare { .. } => 4,
        ExprKind::Arith {
            op: ArithOp::Add | ArithOp::Sub,
            ..
        } => 5,
        ExprKind::Arith { .. } => 6,
        ExprKind::Neg(_) => 7,
        ExprKind::In { .. } | ExprKind::Match { .. } => 8,
        _ => 9,
    }
}

fn write_expr(out: &mut String, e: &Expr, min_level: u8) {
    let paren = level(e) < min_level;
    if paren {
        out.push('(');
    }
    match &e.kind {
        ExprKind::Null => out.push_str("null"),
        ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ExprKind::Long(n) => {
            let _ = write!(out, "{n}");
        }
        ExprKind::Double(d) => {
            let _ = write!(out, "{d:?}");
        }
        ExprKind::Str(s) => out.push_str(&quote(s)),
        ExprKind::Field(f) => field(out, f),
        ExprKind::Or(xs) => join(out, xs, " or ", 2),
        ExprKind::And(xs) => join(out, xs, " and ", 3),
        ExprKind::Not(x) => {
            out.push_str("not ");
            write_expr(out, x, 3);
        }
        ExprKind::Compare { op, left, right } => {
            write_expr(out, left, 5);
            let _ = write!(out, " {} ", op.symbol());
            write_expr(out, right, 5);
        }
        ExprKind::Arith { op, left, right } => {
            let (l, r) = if matches!(op, ArithOp::Add | ArithOp::Sub) {
                (5, 6)
            } else {
                (6, 7)
            };
            write_expr(out, left, l);
            let _ = write!(out, " {} ", op.symbol());
            write_expr(out, right, r);
        }
        ExprKind::Neg(x) => {
            out.push('-');
            write_expr(out, x, 7);
        }
        ExprKind::In {
            value,
            list,
            negated,
            case_insensitive,
        } => {
            write_expr(out, value, 9);
            out.push_str(if *negated { " not in" } else { " in" });
            out.push_str(if *case_insensitive { "~ (" } else { " (" });
            join(out, list, ", ", 0);
            out.push(')');
        }
        ExprKind::Match {
            value,
            op,
            patterns,
        } => {
            write_expr(out, value, 9);
            let _ = write!(out, " {} ", op.symbol());
            if patterns.len() == 1 {
                write_expr(out, &patterns[0], 0);
            } else {
                out.push('(');
                join(out, patterns, ", ", 0);
                out.push(')');
            }
        }
        ExprKind::Call {
            name,
            case_insensitive,
            args,
            ..
        } => {
            out.push_str(name);
            if *case_insensitive {
                out.push('~');
            }
            out.push('(');
            join(out, args, ", ", 0);
            out.push(')');
        }
    }
    if paren {
        out.push(')');
    }
}

fn join(out: &mut String, xs: &[Expr], sep: &str, min_level: u8) {
    for (i, x) in xs.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        write_expr(out, x, min_level);
    }
}

fn field(out: &mut String, f: &Field) {
    if f.optional {
        out.push('?');
    }
    for (i, seg) in f.segments.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        if is_plain_identifier(seg) {
            out.push_str(seg);
        } else {
            out.push('`');
            out.push_str(&seg.replace('`', "``"));
            out.push('`');
        }
    }
}

/// Whether `s` lexes as one `IDENTIFIER` token (and is not a keyword).
fn is_plain_identifier(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == b'_' || first == b'@')
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_')
        && keyword(s).is_none()
}

/// A double-quoted string literal for `s`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:02x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
