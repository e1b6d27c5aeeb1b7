//! Command-line interface definition (clap).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "vigil",
    version,
    about = "Run Elastic Security detection rules (EQL, KQL) over ECS event files, without Elasticsearch",
    long_about = None,
    after_help = "Examples:\n  \
      vigil hunt --rules detection-rules/rules examples/events/*.ndjson\n  \
      vigil query 'process where process.name == \"ssh-keygen\"' events.ndjson.gz\n  \
      vigil query --language kql 'process.name:(defaults or mkpassdb)' events.ndjson\n  \
      vigil validate detection-rules/rules\n\n\
      Exit status: 0 ran (with or without matches), 1 matches with --fail-on-match,\n\
      2 usage, rule, query or input error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run one ad-hoc EQL, KQL or Lucene query over event files and print the matches.
    #[command(after_help = "Examples:\n  \
        vigil query 'process where process.name : \"ssh-keygen\"' events.ndjson\n  \
        vigil query 'sequence by host.id [process where true] [network where true]' events.ndjson.gz\n  \
        vigil query --language kql 'event.category:process and process.args:\"-dump\"' events.ndjson\n  \
        vigil query --check 'process where process.name == '\n  \
        vigil query --threads 1 'file where file.name : \"*.ps1\"' big-export/\n  \
        cat events.ndjson | vigil query --format ndjson 'any where true' -")]
    Query(QueryArgs),
    /// Run detection rules over event files and print the alerts Elastic Security would raise.
    #[command(after_help = "Examples:\n  \
        vigil hunt --rules detection-rules/rules --rules detection-rules/rules_building_block exported-logs/\n  \
        vigil hunt --rules detection-rules/rules logs/*.ndjson.gz\n  \
        vigil hunt --rules my-rules/ --rules export.ndjson --format ndjson --output alerts.ndjson events.ndjson\n  \
        vigil hunt --rules rules/ --index logs-system.auth-default auth.ndjson\n  \
        vigil hunt --rules rules/ --replay --fail-on-match events.ndjson")]
    Hunt(HuntArgs),
    /// Parse and check rule files: metadata, queries, field types; precise diagnostics.
    #[command(after_help = "Examples:\n  \
        vigil validate detection-rules/rules\n  \
        vigil validate --format json my-rule.toml export.ndjson")]
    Validate(ValidateArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Language {
    Eql,
    Kql,
    Kuery,
    Lucene,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Ndjson,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AlertFormat {
    Table,
    Json,
    Ndjson,
    Csv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ValidateFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ResultPosition {
    Head,
    Tail,
}

#[derive(Args, Debug)]
pub struct QueryArgs {
    /// The query text.
    pub query: String,
    /// Event files or directories (NDJSON, JSON arrays, search hits; .gz/.zst). A directory
    /// is read recursively: its *.ndjson, *.jsonl, *.json, *.log files (also .gz/.zst).
    /// `-` or none = stdin.
    pub files: Vec<String>,
    /// Query language.
    #[arg(short, long, value_enum, default_value = "eql")]
    pub language: Language,
    /// Output format (default: table on a terminal, ndjson otherwise).
    #[arg(short, long, value_enum)]
    pub format: Option<Format>,
    /// Parse and type-check the query only; read no input.
    #[arg(long)]
    pub check: bool,
    /// Threads that parse and filter the events (default: all cores).
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub common: QueryOptions,
    /// Exit with status 1 when anything matched.
    #[arg(long)]
    pub fail_on_match: bool,
}

/// Options mirroring Elasticsearch's EQL search API.
#[derive(Args, Debug, Clone)]
pub struct QueryOptions {
    /// Field holding the event time.
    #[arg(long, default_value = "@timestamp")]
    pub timestamp_field: String,
    /// Field breaking ties between events with the same timestamp.
    #[arg(long)]
    pub tiebreaker_field: Option<String>,
    /// Field holding the event category (EQL `process where …`).
    #[arg(long, default_value = "event.category")]
    pub event_category_field: String,
    /// Return at most N events, sequences or samples (default: all).
    #[arg(long, value_name = "N")]
    pub size: Option<u64>,
    /// Samples kept per join key (EQL `sample`).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub max_samples_per_key: u64,
    /// With --size, keep the first (head) or last (tail) matches.
    #[arg(long, value_enum, default_value = "head")]
    pub result_position: ResultPosition,
    /// Elasticsearch index mapping (JSON) giving field types; default: ECS.
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// Index name for events that carry neither `_index` nor `data_stream.*`.
    #[arg(long, value_name = "NAME")]
    pub index: Option<String>,
}

#[derive(Args, Debug)]
pub struct HuntArgs {
    /// Rule files or directories (detection-rules TOML, Kibana rule JSON or export NDJSON); repeatable.
    #[arg(short, long = "rules", value_name = "PATH", required = true)]
    pub rules: Vec<PathBuf>,
    /// Event files or directories (NDJSON, JSON arrays, search hits; .gz/.zst). A directory
    /// is read recursively: its *.ndjson, *.jsonl, *.json, *.log files (also .gz/.zst).
    /// `-` or none = stdin.
    pub events: Vec<String>,
    /// Exception lists and items (Kibana export NDJSON); repeatable.
    #[arg(long, value_name = "FILE")]
    pub exceptions: Vec<PathBuf>,
    /// A value list for exceptions (one value per line, named by its file name); repeatable.
    #[arg(long, value_name = "FILE")]
    pub value_list: Vec<PathBuf>,
    /// Index name for events that carry neither `_index` nor `data_stream.*`.
    #[arg(long, value_name = "NAME")]
    pub index: Option<String>,
    /// Output format (default: table on a terminal, ndjson otherwise).
    #[arg(short, long, value_enum)]
    pub format: Option<AlertFormat>,
    /// Write alerts to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Threads that read the rules at start-up and match events (default: all cores).
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,
    /// Only events at or after this time (ISO 8601 or epoch milliseconds).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only events before this time (ISO 8601 or epoch milliseconds).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Simulate Kibana's scheduled executions (interval, look-back, max_signals) instead of
    /// evaluating every event once against every rule.
    #[arg(long)]
    pub replay: bool,
    /// Exit with status 1 when alerts were raised.
    #[arg(long)]
    pub fail_on_match: bool,
    /// Elasticsearch index mapping (JSON) giving field types; default: ECS.
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// The run's time: alerts' `@timestamp`, KQL date math and exception expiry
    /// (default: the current time). Fix it for reproducible output.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// How far out of time order an event may arrive (after later ones, per
    /// input or across inputs) and still take part in sequences: `30s`, `5m`,
    /// `2h`. Larger windows hold more events in memory (at most 48 MiB).
    #[arg(long, value_name = "DURATION", default_value = "1m")]
    pub reorder_window: String,
    /// Memory (MiB) for the events sequence and sample rules hold (partial
    /// sequences, sample buckets); beyond it the oldest go to temporary files
    /// and are read back if an alert needs them. The alerts are the same.
    #[arg(long, value_name = "MIB", default_value_t = engine::HELD_MEMORY >> 20)]
    pub state_memory: usize,
    /// Directory for temporary files (alerts, events and sample buckets
    /// beyond their memory budgets); default: the system's temporary directory.
    #[arg(long, value_name = "DIR")]
    pub temp_dir: Option<PathBuf>,
    /// Records per batch handed to a worker (testing aid).
    #[arg(long, value_name = "N", hide = true)]
    pub batch_records: Option<usize>,
    /// Bytes of kept events always held in time order (testing aid).
    #[arg(long, value_name = "BYTES", hide = true)]
    pub reorder_hold: Option<usize>,
    /// Read and parse the events with the rules' fields, evaluate nothing
    /// (the benchmarks' floor).
    #[arg(long, hide = true)]
    pub parse_only: bool,
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// Rule files or directories.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format: diagnostics as text, or one JSON summary object.
    #[arg(short, long, value_enum, default_value = "text")]
    pub format: ValidateFormat,
}
