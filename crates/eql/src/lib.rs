//! `eql` owns the Event Query Language front end (Elasticsearch dialect): lexer,
//! parser, spanned AST, diagnostics with stable codes, and lowering to `ir`.
