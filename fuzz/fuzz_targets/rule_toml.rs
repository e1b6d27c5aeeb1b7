//! Fuzz target for rule files in TOML: no input may panic the loader (TOML
//! reading, the rule model, query parsing and checks), and where the fast
//! TOML reader accepts a document, `toml` must read it to the same value and
//! spans (a differential test of the two readers).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rules::{LoadOptions, LoadReport, SourceText};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(difference) = rules::toml_readers_agree(text) {
        panic!("{difference}");
    }
    let source = SourceText::new("fuzz.toml".into(), text.to_owned());
    let mut report = LoadReport::default();
    rules::load_text(source, &LoadOptions::default(), &mut report);
});
