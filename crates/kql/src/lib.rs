//! `kql` owns the Kibana Query Language and Lucene query-string front ends, and
//! the Elasticsearch query-DSL `filters` of rules: parsing, diagnostics, lowering to `ir`.
