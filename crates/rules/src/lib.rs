//! `rules` owns rule files: detection-rules TOML and Kibana rule JSON / export
//! NDJSON, rule metadata, exception lists and value lists, and metadata validation.
