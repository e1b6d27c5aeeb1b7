//! Reading event files for `vigil query`: every record in memory (a query may
//! need to sort and look back), malformed records reported as `file:line` and
//! counted, never fatal.

use crate::report::Reporter;
use event::input::{self, Next, RecordReader};
use event::{parse_event, Event, FieldRegistry};
use std::sync::Arc;

/// One record as read: where it came from and its JSON text.
pub struct Doc {
    pub file: Arc<str>,
    pub line: u64,
    pub text: String,
}

/// Reads every record of `files` (`-` or none = stdin). I/O errors on a file
/// are reported and that file is skipped; returns the records and whether any
/// input could not be opened or read.
pub fn read_all(files: &[String], reporter: &mut Reporter) -> (Vec<Doc>, bool) {
    let stdin = ["-".to_string()];
    let files = if files.is_empty() { &stdin[..] } else { files };
    let mut docs = Vec::new();
    let mut io_failed = false;
    for path in files {
        let name: Arc<str> = Arc::from(if path == "-" {
            "<stdin>"
        } else {
            path.as_str()
        });
        if let Err(e) = read_file(path, &name, &mut docs, reporter) {
            reporter.error(&format!("{name}: {e}"));
            io_failed = true;
        }
    }
    (docs, io_failed)
}

fn read_file(
    path: &str,
    name: &Arc<str>,
    docs: &mut Vec<Doc>,
    reporter: &mut Reporter,
) -> std::io::Result<()> {
    let mut reader = RecordReader::new(input::open(path)?);
    loop {
        match reader.next_record()? {
            Next::Record(r) => docs.push(Doc {
                file: name.clone(),
                line: r.line,
                text: r.text.to_string(),
            }),
            Next::Bad(b) | Next::BadDocument(b) => reporter.malformed(name, b.line, &b.reason),
            Next::End => return Ok(()),
        }
    }
}

/// A parsed document, with its position in the input.
pub struct ParsedDoc<'a> {
    pub doc: &'a Doc,
    pub event: Event<'a>,
}

/// Parses every record with the fields in `registry`; malformed ones are
/// reported and dropped.
pub fn parse_all<'a>(
    docs: &'a [Doc],
    registry: &FieldRegistry,
    reporter: &mut Reporter,
) -> Vec<ParsedDoc<'a>> {
    let mut out = Vec::with_capacity(docs.len());
    for doc in docs {
        match parse_event(&doc.text, registry) {
            Ok(event) => out.push(ParsedDoc { doc, event }),
            Err(e) => reporter.malformed(&doc.file, doc.line, &e.to_string()),
        }
    }
    out
}
