//! Terminal rendering: `error[CODE]: message`, ` --> file:line:col`, the source line
//! and a caret under the primary span.

use crate::{Diagnostic, Severity, SourceFile};
use std::fmt::Write;

#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// ANSI colours (callers decide: a terminal and no `NO_COLOR`).
    pub color: bool,
}

fn paint(s: &str, code: &str, on: bool) -> String {
    if on {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

/// Renders a diagnostic the way compilers do:
///
/// ```text
/// error[EQL0002]: expected a value, found end of query
///  --> rules/x.toml:27:31
///    |
/// 27 | process where process.name ==
///    |                               ^ expected a value
/// ```
pub fn render_terminal(d: &Diagnostic, source: &SourceFile<'_>, opts: RenderOptions) -> String {
    let mut out = String::new();
    let sev_color = match d.severity {
        Severity::Error => "1;31",
        Severity::Warning => "1;33",
        Severity::Note => "1;36",
    };
    let head = format!("{}[{}]", d.severity, d.code);
    let _ = writeln!(
        out,
        "{}: {}",
        paint(&head, sev_color, opts.color),
        d.message
    );
    match d.labels.first() {
        Some(primary) => {
            let pos = source.line_col(primary.span.start as usize);
            let _ = writeln!(out, " --> {}:{}:{}", source.name, pos.line, pos.column);
            for (i, label) in d.labels.iter().enumerate() {
                render_label(&mut out, source, label, i == 0, sev_color, opts);
            }
        }
        None => {
            let _ = writeln!(out, " --> {}", source.name);
        }
    }
    for note in &d.notes {
        let _ = writeln!(out, "  = note: {note}");
    }
    out
}

fn render_label(
    out: &mut String,
    source: &SourceFile<'_>,
    label: &crate::Label,
    primary: bool,
    color: &str,
    opts: RenderOptions,
) {
    let start = label.span.start as usize;
    let pos = source.line_col(start);
    let (line, line_start) = source.line_text(start);
    let gutter = pos.line.to_string();
    let pad = " ".repeat(gutter.len());
    // Column within this text line (origin only shifts the displayed number).
    let col_chars = source.text[line_start..start.min(source.text.len()).max(line_start)]
        .chars()
        .count();
    let visible_end = (label.span.end as usize)
        .min(line_start + line.len())
        .max(start);
    let width = source
        .text
        .get(start..visible_end)
        .map(|s| s.chars().count())
        .unwrap_or(0)
        .max(1);
    let marker = if primary { "^" } else { "-" };
    let underline: String = marker.repeat(width);
    // Tabs in the line are kept so the caret lines up in terminals.
    let lead: String = line
        .chars()
        .take(col_chars)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let _ = writeln!(out, "{pad} |");
    let _ = writeln!(out, "{gutter} | {line}");
    let mark = paint(&underline, if primary { color } else { "1;34" }, opts.color);
    if label.message.is_empty() {
        let _ = writeln!(out, "{pad} | {lead}{mark}");
    } else {
        let _ = writeln!(out, "{pad} | {lead}{mark} {}", label.message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LineCol, Span};

    #[test]
    fn renders_location_line_and_caret() {
        let text = "process where\n  process.name == ";
        let src = SourceFile::new("query", text);
        let d = Diagnostic::error("EQL0002", "expected a value, found end of query")
            .with_label(Span::at(text.len()), "expected a value");
        let r = render_terminal(&d, &src, RenderOptions::default());
        assert_eq!(
            r,
            "error[EQL0002]: expected a value, found end of query\n --> query:2:19\n  |\n2 |   process.name == \n  |                   ^ expected a value\n"
        );
    }

    #[test]
    fn embedded_source_reports_file_positions() {
        let src = SourceFile::embedded(
            "r.toml",
            "a and\nb ==",
            LineCol {
                line: 30,
                column: 1,
            },
        );
        let d = Diagnostic::error("X", "m").with_label(Span::new(8, 10), "here");
        let r = render_terminal(&d, &src, RenderOptions::default());
        assert!(r.contains(" --> r.toml:31:3\n"), "{r}");
        assert!(r.contains("31 | b ==\n"), "{r}");
        assert!(r.contains("   |   ^^ here\n"), "{r}");
    }
}
