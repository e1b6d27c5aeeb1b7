//! EQL front end on arbitrary input: parse, print, reparse (the printed form
//! must parse to the same text), list fields, lower. Any panic is a bug.
//!
//! Run: `cargo +nightly fuzz run eql_parse` from the workspace root.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(query) = eql::parse(text) else { return };
    let printed = eql::printer::query(&query);
    let again = eql::parse(&printed).expect("the printed form of a parsed query parses");
    assert_eq!(eql::printer::query(&again), printed, "printing is a fixed point");
    let _ = query.fields();
    let schema = event::Schema::ecs();
    let mut registry = event::FieldRegistry::new();
    let mut binder = ir::Binder::new(&schema, &mut registry);
    let _ = eql::lower(&query, &mut binder, &eql::EqlOptions::default());
});
