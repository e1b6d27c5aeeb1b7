//! Index patterns: which events a rule sees.
//!
//! A rule's `index` is a list of Elasticsearch index expressions, resolved the
//! way Elasticsearch resolves a multi-target search (`IndexNameExpressionResolver`
//! in elastic/elasticsearch, `server/src/main/java/org/elasticsearch/cluster/metadata/`):
//!
//! - expressions are applied in order; `*` matches any run of characters;
//! - `-pattern` *after* a wildcard expression removes what it matches from the
//!   names selected so far (before any wildcard it would be a literal name);
//! - a comma inside one entry separates expressions (`"logs-*,-logs-x"`);
//! - wildcards do not select names starting with `.` unless the pattern itself
//!   starts with `.` (hidden and dot indices);
//! - a pattern selects a data stream by its name, and with it the stream's
//!   backing indices: an event read from `.ds-logs-endpoint.events.process-default-2024.01.01-000001`
//!   is matched through the stream name `logs-endpoint.events.process-default`;
//! - `cluster:pattern` (cross-cluster search) matches only `cluster:index` names.
//!
//! A rule without `index` searches Kibana's default security patterns
//! ([`DEFAULT_INDEX_PATTERNS`]).

use event::wildcard::Pattern;

/// Kibana's `DEFAULT_INDEX_PATTERN` (the default of the advanced setting
/// `securitySolution:defaultIndex`): `INCLUDE_INDEX_PATTERN` followed by
/// `EXCLUDE_ELASTIC_CLOUD_INDICES`, from elastic/kibana
/// `x-pack/solutions/security/plugins/security_solution/common/constants.ts`.
pub const DEFAULT_INDEX_PATTERNS: &[&str] = &[
    "apm-*-transaction*",
    "auditbeat-*",
    "endgame-*",
    "filebeat-*",
    "logs-*",
    "packetbeat-*",
    "traces-apm*",
    "winlogbeat-*",
    "-*elastic-cloud-logs-*",
];

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Expr {
    exclude: bool,
    /// Cross-cluster prefix pattern (`remote` in `remote:logs-*`).
    cluster: Option<Pattern>,
    pattern: Pattern,
    /// The pattern has a wildcard and does not start with `.`: it cannot
    /// select dot-prefixed names.
    skips_dot_names: bool,
}

impl Expr {
    fn matches(&self, cluster: Option<&str>, name: &str) -> bool {
        match (&self.cluster, cluster) {
            (None, None) => {}
            (Some(c), Some(n)) if c.matches(n) => {}
            _ => return false,
        }
        if self.skips_dot_names && name.starts_with('.') {
            return false;
        }
        self.pattern.matches(name)
    }
}

/// A compiled list of index expressions. `Eq + Hash`, so that rules with the
/// same patterns can be grouped and an event routed once per group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IndexPatterns {
    exprs: Vec<Expr>,
    source: Vec<String>,
    defaulted: bool,
}

impl IndexPatterns {
    /// Compiles index expressions (entries may hold comma-separated lists).
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Self {
        let mut exprs = Vec::new();
        let mut source = Vec::new();
        let mut wildcard_seen = false;
        for entry in patterns {
            for raw in entry.as_ref().split(',') {
                let raw = raw.trim();
                if raw.is_empty() {
                    continue;
                }
                source.push(raw.to_string());
                if let Some(e) = compile(raw, wildcard_seen) {
                    wildcard_seen |= raw.contains('*');
                    exprs.push(e);
                }
            }
        }
        IndexPatterns {
            exprs,
            source,
            defaulted: false,
        }
    }

    /// Kibana's default security index patterns.
    pub fn kibana_default() -> Self {
        IndexPatterns {
            defaulted: true,
            ..Self::new(DEFAULT_INDEX_PATTERNS)
        }
    }

    /// A rule's patterns: its `index`, else Kibana's defaults.
    pub fn for_rule(index: Option<&[String]>) -> Self {
        match index {
            Some(list) => Self::new(list),
            None => Self::kibana_default(),
        }
    }

    /// The expressions as written (commas split).
    pub fn patterns(&self) -> &[String] {
        &self.source
    }

    /// True when these are Kibana's defaults (the rule had no `index`).
    pub fn is_default(&self) -> bool {
        self.defaulted
    }

    /// Whether a search over these patterns reads documents of `index`.
    pub fn matches(&self, index: &str) -> bool {
        let (cluster, local) = split_cluster(index);
        let stream = data_stream_of(local);
        let mut selected = false;
        for e in &self.exprs {
            if e.exclude != selected {
                // An include when already selected, or an exclusion when not, changes nothing.
                continue;
            }
            let hit = e.matches(cluster, local) || stream.is_some_and(|s| e.matches(cluster, s));
            if hit {
                selected = !e.exclude;
            }
        }
        selected
    }
}

fn compile(raw: &str, wildcard_seen: bool) -> Option<Expr> {
    let (exclude, body) = match raw.strip_prefix('-') {
        Some(rest) if wildcard_seen => (true, rest),
        _ => (false, raw),
    };
    // Selectors (`::data`, `::failures`): the data component is what rules read.
    let body = match body.rsplit_once("::") {
        Some((b, "data")) => b,
        Some((_, _)) => return None,
        None => body,
    };
    let (cluster, local) = match body.split_once(':') {
        Some((c, l)) => (Some(Pattern::new(c, false)), l),
        None => (None, body),
    };
    Some(Expr {
        exclude,
        cluster,
        pattern: Pattern::star_only(local, false),
        skips_dot_names: local.contains('*') && !local.starts_with('.'),
    })
}

fn split_cluster(index: &str) -> (Option<&str>, &str) {
    match index.split_once(':') {
        Some((c, l)) => (Some(c), l),
        None => (None, index),
    }
}

/// The data stream a backing index belongs to: `.ds-<stream>-<yyyy.MM.dd>-<generation>`
/// (Elasticsearch ≥ 7.11) or `.ds-<stream>-<generation>` (7.9–7.10).
pub fn data_stream_of(index: &str) -> Option<&str> {
    let rest = index.strip_prefix(".ds-")?;
    let (head, generation) = rest.rsplit_once('-')?;
    if generation.len() != 6 || !generation.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some((stream, date)) = head.rsplit_once('-') {
        if is_digit_date(date, b'.') && !stream.is_empty() {
            return Some(stream);
        }
    }
    (!head.is_empty()).then_some(head)
}

/// `yyyy<sep>MM<sep>dd` (digits only, no range check): the date of a
/// data-stream backing index (`.`) or of rule metadata (`/`).
pub(crate) fn is_digit_date(s: &str, sep: u8) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == sep
        && b[7] == sep
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (patterns, index, expected). Semantics from Elasticsearch's
    /// `IndexNameExpressionResolver` (ordered inclusion/exclusion, exclusions only
    /// after a wildcard, dot-prefixed names skipped by wildcards) and data-stream
    /// resolution (a pattern selects a stream, hence its `.ds-` backing indices).
    #[test]
    fn matching_table() {
        let cases: &[(&[&str], &str, bool)] = &[
            (
                &["logs-endpoint.events.process-*"],
                ".ds-logs-endpoint.events.process-default-2024.01.01-000001",
                true,
            ),
            (
                &["logs-endpoint.events.process-*"],
                "logs-endpoint.events.process-default",
                true,
            ),
            (
                &["logs-endpoint.events.process-*"],
                ".ds-logs-endpoint.events.file-default-2024.01.01-000001",
                false,
            ),
            (
                &["logs-endpoint.events.*"],
                ".ds-logs-endpoint.events.process-default-000003",
                true,
            ),
            (
                &["logs-endpoint.events.file*", "endgame-*"],
                "endgame-8.1.0-000001",
                true,
            ),
            (
                &["logs-sentinel_one_cloud_funnel.*"],
                "logs-sentinel_one_cloud_funnel.event-default",
                true,
            ),
            (
                &["logs-sentinel_one_cloud_funnel.*"],
                "logs-sentinel_one.alert-default",
                false,
            ),
            (&["logs-*", "-logs-test-*"], "logs-test-default", false),
            (&["logs-*", "-logs-test-*"], "logs-prod-default", true),
            // An include after an exclusion selects again.
            (
                &["logs-*", "-logs-test-*", "logs-test-keep"],
                "logs-test-keep",
                true,
            ),
            // `-x` before any wildcard is a literal name, not an exclusion.
            (&["-logs-a", "logs-*"], "logs-a", true),
            // Wildcards skip dot-prefixed names unless the pattern starts with a dot.
            (&["*"], ".internal", false),
            (&[".int*"], ".internal", true),
            (&["*"], ".ds-logs-x-default-2024.01.01-000001", true),
            (
                &["winlogbeat-*"],
                "winlogbeat-8.12.0-2024.01.01-000001",
                true,
            ),
            (&["winlogbeat-*"], "Winlogbeat-8", false),
            // Cross-cluster patterns match only remote names.
            (&["*:logs-*"], "logs-x", false),
            (&["*:logs-*"], "remote1:logs-x", true),
            (&["logs-*"], "remote1:logs-x", false),
            (&["logs-a,logs-b"], "logs-b", true),
            (&["logs-*::data"], "logs-x", true),
            (&["logs-*::failures"], "logs-x", false),
            (&[], "logs-x", false),
        ];
        for (patterns, index, expected) in cases {
            assert_eq!(
                IndexPatterns::new(patterns).matches(index),
                *expected,
                "{patterns:?} vs {index}"
            );
        }
    }

    #[test]
    fn kibana_defaults() {
        let d = IndexPatterns::kibana_default();
        assert!(d.is_default());
        assert_eq!(d.patterns().len(), 9);
        for (index, expected) in [
            ("logs-endpoint.events.process-default", true),
            ("auditbeat-8.0.0", true),
            ("apm-8.0-transaction-000001", true),
            ("traces-apm-default", true),
            ("logs-elastic-cloud-logs-8-default", false),
            ("metrics-system.cpu-default", false),
            (".ds-logs-system.auth-default-2024.05.01-000002", true),
        ] {
            assert_eq!(d.matches(index), expected, "{index}");
        }
        assert_eq!(IndexPatterns::for_rule(None), d);
        assert!(!IndexPatterns::for_rule(Some(&["x-*".to_string()])).is_default());
    }

    #[test]
    fn backing_index_names() {
        assert_eq!(
            data_stream_of(".ds-logs-a-b-2024.01.01-000001"),
            Some("logs-a-b")
        );
        assert_eq!(data_stream_of(".ds-logs-a-000002"), Some("logs-a"));
        assert_eq!(data_stream_of(".ds-logs-a-2024.01.01-01"), None);
        assert_eq!(data_stream_of("logs-a-000001"), None);
        assert_eq!(data_stream_of(".ds--000001"), None);
    }
}
