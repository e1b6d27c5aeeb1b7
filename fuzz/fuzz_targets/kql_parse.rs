//! Fuzz target for the KQL and Lucene query-string parsers and their lowering:
//! no input may panic; a query that parses must print to text that parses
//! to the same printed form.
#![no_main]

use event::{FieldRegistry, Schema};
use ir::Binder;
use kql::KqlOptions;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(Schema::ecs)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let opts = KqlOptions {
        default_fields: vec!["message".into()],
        ..KqlOptions::default()
    };
    let mut registry = FieldRegistry::new();
    let mut binder = Binder::new(schema(), &mut registry);
    if let Ok(ast) = kql::parse(text) {
        let printed = kql::printer::print(&ast);
        let again = kql::parse(&printed).expect("printed query must parse");
        assert_eq!(
            kql::printer::print(&again),
            printed,
            "printing is not a fixpoint"
        );
        let _ = kql::lower(&ast, &mut binder, &opts);
    }
    let _ = kql::lucene::compile(text, &mut binder, &opts);
});
