//! Differential fuzz target for event parsing: the scanner behind
//! `event::parse_event` (and a reused `Parser`) and the serde_json reference
//! (`event::json::reference::parse_event`) must give the same result for every
//! input (same entries, index, id and `_source` slice, or the same error), with
//! registries that visit much, little or nothing of a document. The check is
//! `compare::check`, the one the differential tests run.
#![no_main]

#[path = "../../crates/event/benches/support/compare.rs"]
mod compare;

use event::json::Parser;
use event::FieldRegistry;
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;
use std::sync::OnceLock;

fn registries() -> &'static [FieldRegistry] {
    static REGISTRIES: OnceLock<Vec<FieldRegistry>> = OnceLock::new();
    REGISTRIES.get_or_init(|| {
        let sets: &[&[&str]] = &[
            &[
                "@timestamp", "event.category", "event.type", "event.action", "event.code",
                "process.name", "process.args", "process.pid", "process.parent.name",
                "process.parent.executable", "process.executable", "process.command_line",
                "process.code_signature.trusted", "file.path", "file.name", "file.size",
                "registry.path", "registry.data.strings", "dns.question.name",
                "destination.ip", "destination.port", "source.ip", "user.name", "host.os.type",
                "host.ip", "data_stream.dataset", "winlog.event_data.LogonType", "a", "a.b",
                "n", "s", "x.y",
            ],
            &["", ".a", "a..b", "a.", "a", "a.b.c", "é.ü", "k\"q", "_source.a", "hits.hits"],
            &[],
        ];
        sets.iter()
            .map(|paths| {
                let mut r = FieldRegistry::new();
                for p in *paths {
                    r.intern(p);
                }
                r
            })
            .collect()
    })
}

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new(Parser::new());
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    PARSER.with(|p| {
        let mut parser = p.borrow_mut();
        for registry in registries() {
            if let Err(difference) = compare::check(text, registry, &mut parser) {
                panic!("input {text:?}\n{difference}");
            }
        }
    });
});
