//! Reading event files for `vigil query`: either streaming, keeping only the
//! records that can take part in a result ([`read_filtered`]), or every
//! record in memory ([`read_all`], when the query's meaning depends on the
//! whole input); malformed records reported as `file:line` and counted, never
//! fatal.

use crate::report::Reporter;
use event::input::{self, Next, RecordReader};
use event::json::Parser;
use event::{parse_event, Event, FieldRegistry};
use std::sync::Arc;

/// One record as read: where it came from, its position in the whole input
/// (the implicit tiebreaker) and its JSON text.
pub struct Doc {
    pub file: Arc<str>,
    pub line: u64,
    pub ordinal: u64,
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
            Next::Record(r) => {
                let ordinal = docs.len() as u64;
                docs.push(Doc {
                    file: name.clone(),
                    line: r.line,
                    ordinal,
                    text: r.text.to_string(),
                })
            }
            Next::Bad(b) | Next::BadDocument(b) => reporter.malformed(name, b.line, &b.reason),
            Next::End => return Ok(()),
        }
    }
}

/// What a streaming read kept, and how much it read.
pub struct Filtered {
    pub docs: Vec<Doc>,
    pub records: u64,
    pub io_failed: bool,
}

/// Reads every record of `files` once, parsing it with `registry`, and keeps
/// (owned) only the records `keep` accepts: memory grows with the matches, not
/// with the input. Malformed records are reported and counted.
pub fn read_filtered(
    files: &[String],
    registry: &FieldRegistry,
    keep: &dyn Fn(&Event<'_>) -> bool,
    reporter: &mut Reporter,
) -> Filtered {
    let stdin = ["-".to_string()];
    let files = if files.is_empty() { &stdin[..] } else { files };
    let mut out = Filtered {
        docs: Vec::new(),
        records: 0,
        io_failed: false,
    };
    for path in files {
        let name: Arc<str> = Arc::from(if path == "-" {
            "<stdin>"
        } else {
            path.as_str()
        });
        if let Err(e) = filter_file(path, &name, registry, keep, &mut out, reporter) {
            reporter.error(&format!("{name}: {e}"));
            out.io_failed = true;
        }
    }
    out
}

fn filter_file(
    path: &str,
    name: &Arc<str>,
    registry: &FieldRegistry,
    keep: &dyn Fn(&Event<'_>) -> bool,
    out: &mut Filtered,
    reporter: &mut Reporter,
) -> std::io::Result<()> {
    let mut reader = RecordReader::new(input::open(path)?);
    let mut parser = Parser::new();
    loop {
        match reader.next_record()? {
            Next::Record(r) => {
                let ordinal = out.records;
                out.records += 1;
                match parser.parse(r.text, registry) {
                    Ok(event) => {
                        if keep(&event) {
                            out.docs.push(Doc {
                                file: name.clone(),
                                line: r.line,
                                ordinal,
                                text: r.text.to_string(),
                            });
                        }
                        parser.recycle(event);
                    }
                    Err(e) => reporter.malformed(name, r.line, &e.to_string()),
                }
            }
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
