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
        cat events.ndjson | vigil query --format ndjson 'any where true' -")]
    Query(QueryArgs),
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
pub enum ResultPosition {
    Head,
    Tail,
}

#[derive(Args, Debug)]
pub struct QueryArgs {
    /// The query text.
    pub query: String,
    /// Event files (NDJSON, JSON arrays, search hits; .gz/.zst). `-` or none = stdin.
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
