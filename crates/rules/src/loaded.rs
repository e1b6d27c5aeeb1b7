//! A rule as loaded from a file: the typed [`Rule`], its `[metadata]`, the raw
//! JSON, where it came from ([`RuleOrigin`]), where its query text sits in the
//! file, its compiled index patterns and its diagnostics.

use crate::index::IndexPatterns;
use crate::model::{Language, Metadata, Rule, RuleType};
use crate::source::{join, NodeSpan, SourceText, SpanIndex, StringLocation};
use diag::{Diagnostic, LineCol, RenderOptions, SourceFile, Span};
use serde_json::Value;
use std::sync::Arc;

/// The format a rule was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// detection-rules TOML.
    Toml,
    /// A Kibana rule JSON file (one object or an array).
    Json,
    /// A Kibana export (one JSON object per line).
    Ndjson,
}

/// Where a rule came from: the file and the position of each of its keys.
#[derive(Debug, Clone)]
pub struct RuleOrigin {
    pub source: Arc<SourceText>,
    pub format: Format,
    spans: Arc<SpanIndex>,
    /// Path of the rule object in its document: `rule` (TOML), `` (a JSON
    /// object or an NDJSON line), `3` (the fourth rule of a JSON array).
    rule_path: String,
    /// Where to point when a key is missing: the `[rule]` header or the object.
    anchor: Span,
}

impl RuleOrigin {
    pub(crate) fn new(
        source: Arc<SourceText>,
        format: Format,
        spans: Arc<SpanIndex>,
        rule_path: String,
    ) -> Self {
        let anchor = spans
            .get(&rule_path)
            .map(|s| s.key.unwrap_or(s.value))
            .unwrap_or_default();
        let anchor = if format == Format::Toml {
            toml_header_span(&source.text, anchor)
        } else {
            first_char(anchor)
        };
        RuleOrigin {
            source,
            format,
            spans,
            rule_path,
            anchor,
        }
    }

    /// The span of a path of the document (`rule/threat/0/tactic/id`, `metadata/maturity`).
    pub fn doc_span(&self, path: &str) -> Option<NodeSpan> {
        self.spans.get(path)
    }

    /// The span of a path relative to the rule object (`threat/0/tactic/id`).
    pub fn rule_span(&self, rel: &str) -> Option<NodeSpan> {
        self.spans.get(&join(&self.rule_path, rel))
    }

    /// The value span of a rule-relative path, else of its nearest ancestor,
    /// else the rule's anchor.
    pub fn rule_value_span(&self, rel: &str) -> Span {
        self.span_or_anchor(&join(&self.rule_path, rel))
    }

    /// The key span of a rule-relative path (the value span when it has no key).
    pub fn rule_key_span(&self, rel: &str) -> Span {
        match self.rule_span(rel) {
            Some(NodeSpan { key: Some(k), .. }) => k,
            _ => self.rule_value_span(rel),
        }
    }

    pub(crate) fn span_or_anchor(&self, path: &str) -> Span {
        let mut p = path;
        loop {
            if let Some(s) = self.spans.get(p) {
                if p == self.rule_path {
                    return self.anchor;
                }
                return s.value;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None if !p.is_empty() => p = "",
                None => return self.anchor,
            }
        }
    }

    /// The rule's anchor (`[rule]` header or the object's first character).
    pub fn anchor(&self) -> Span {
        self.anchor
    }

    pub(crate) fn rule_path(&self) -> &str {
        &self.rule_path
    }
}

/// For a TOML table, point at its `[rule]` header line, not the whole table.
fn toml_header_span(text: &str, span: Span) -> Span {
    let start = span.start as usize;
    let rest = text.get(start..).unwrap_or("");
    let len = rest.find('\n').unwrap_or(rest.len());
    let line = &rest[..len];
    if line.starts_with('[') {
        Span::new(start, start + line.trim_end().len())
    } else {
        first_char(span)
    }
}

fn first_char(span: Span) -> Span {
    Span::new(
        span.start as usize,
        (span.start as usize + 1).min(span.end as usize),
    )
}

/// A loaded rule.
#[derive(Debug, Clone)]
pub struct LoadedRule {
    pub rule: Rule,
    /// detection-rules `[metadata]` (TOML only).
    pub metadata: Option<Metadata>,
    /// detection-rules `[transform]`, as JSON (TOML only).
    pub transform: Option<Value>,
    /// The rule object as Kibana's API shapes it (what alerts copy parameters from).
    pub raw: Value,
    pub origin: RuleOrigin,
    /// Where the query's characters are in the file.
    pub query_location: Option<StringLocation>,
    /// `index` compiled (Kibana's default patterns when absent).
    pub index_patterns: IndexPatterns,
    /// Load and metadata-validation diagnostics; spans are file offsets.
    pub diagnostics: Vec<Diagnostic>,
}

/// What a query front end needs to parse and check a rule's query.
#[derive(Debug, Clone, Copy)]
pub struct QueryInput<'a> {
    pub text: &'a str,
    pub language: &'a Language,
    pub rule_type: &'a RuleType,
    pub index: &'a IndexPatterns,
    /// The rule file's display name.
    pub file_name: &'a str,
    /// Line/column of the query's first character in the file.
    pub origin: LineCol,
    /// True when query offsets map 1:1 onto the file (no escapes), so that
    /// `SourceFile::embedded(file_name, text, origin)` positions are exact.
    pub verbatim: bool,
    location: Option<&'a StringLocation>,
    source: &'a SourceText,
}

impl<'a> QueryInput<'a> {
    /// The query as an embedded source: diagnostics with query offsets render
    /// with file line:column (exact when `verbatim`, else exact on the first line).
    pub fn source_file(&self) -> SourceFile<'a> {
        SourceFile::embedded(self.file_name, self.text, self.origin)
    }

    /// A query diagnostic (spans = query offsets) rewritten with file offsets,
    /// exact even across escapes; render it with [`LoadedRule::render`].
    pub fn to_file_diagnostic(&self, mut d: Diagnostic) -> Diagnostic {
        for label in &mut d.labels {
            label.span = match self.location {
                Some(loc) => loc.map_span(label.span),
                None => label.span,
            };
        }
        d
    }

    /// Renders a query diagnostic against the rule file (exact positions, file lines).
    pub fn render(&self, d: &Diagnostic, opts: RenderOptions) -> String {
        match self.location {
            Some(_) => self
                .source
                .render(&self.to_file_diagnostic(d.clone()), opts),
            None => diag::render_terminal(d, &self.source_file(), opts),
        }
    }
}

impl LoadedRule {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The rule's query for the front ends (`None` when the rule has no query).
    pub fn query_input(&self) -> Option<QueryInput<'_>> {
        let text = self.rule.query.as_deref()?;
        let origin = self
            .query_location
            .as_ref()
            .map(|l| l.origin)
            .unwrap_or(LineCol { line: 1, column: 1 });
        Some(QueryInput {
            text,
            language: self
                .rule
                .language
                .as_ref()
                .unwrap_or(match self.rule.rule_type {
                    RuleType::Eql => &Language::Eql,
                    RuleType::Esql => &Language::Esql,
                    _ => &Language::Kuery,
                }),
            rule_type: &self.rule.rule_type,
            index: &self.index_patterns,
            file_name: &self.origin.source.name,
            origin,
            verbatim: self.query_location.as_ref().is_some_and(|l| l.verbatim),
            location: self.query_location.as_ref(),
            source: &self.origin.source,
        })
    }

    /// Renders one of this rule's diagnostics (file offsets).
    pub fn render(&self, d: &Diagnostic, opts: RenderOptions) -> String {
        self.origin.source.render(d, opts)
    }

    /// A diagnostic as JSON, with file, line and column resolved.
    pub fn diagnostic_json(&self, d: &Diagnostic) -> Value {
        d.to_json(&self.origin.source.source_file())
    }
}
