//! Reading event files for `vigil query`: either streaming, keeping only the
//! records that can take part in a result ([`read_filtered`]), or every
//! record in memory ([`read_all`], when the query's meaning depends on the
//! whole input); malformed records reported as `file:line` and counted, never
//! fatal.

use crate::report::Reporter;
use event::input::{self, Next, RecordReader};
use event::json::Parser;
use event::{parse_event, Event, FieldRegistry};
use std::path::Path;
use std::sync::Arc;

/// File names taken from a directory named as an event input: NDJSON / JSON
/// lines, optionally compressed (`.gz`, `.zst`). Files named explicitly are
/// always read, whatever their name.
const EVENT_FILE_SUFFIXES: [&str; 4] = [".ndjson", ".json", ".jsonl", ".log"];

/// The event inputs named on the command line, with every directory replaced
/// by the event files under it (recursively, in name order); `-` or nothing
/// means stdin. A path that cannot be read is returned in the error list and
/// left out.
pub fn event_paths(named: &[String]) -> (Vec<String>, Vec<(String, std::io::Error)>) {
    if named.is_empty() {
        return (vec!["-".to_string()], Vec::new());
    }
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in named {
        if path != "-" && Path::new(path).is_dir() {
            walk_dir(Path::new(path), &mut files, &mut errors);
        } else {
            files.push(path.clone());
        }
    }
    (files, errors)
}

fn walk_dir(dir: &Path, files: &mut Vec<String>, errors: &mut Vec<(String, std::io::Error)>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => return errors.push((dir.display().to_string(), e)),
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            walk_dir(&path, files, errors);
        } else if is_event_file(&path) {
            files.push(path.display().to_string());
        }
    }
}

fn is_event_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let name = name
        .strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".zst"))
        .unwrap_or(name);
    EVENT_FILE_SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// Opens an event file (or `-`, stdin), decompressing by magic bytes, and
/// advances `bar` (if any) by the bytes read from disk.
fn open_event_file(
    path: &str,
    bar: Option<&indicatif::ProgressBar>,
) -> std::io::Result<Box<dyn std::io::BufRead + Send>> {
    match bar {
        Some(bar) if path != "-" => {
            let file = std::fs::File::open(path)?;
            input::decompress(Box::new(bar.wrap_read(file)), path)
        }
        _ => input::open(path),
    }
}

/// A progress bar over the sizes of `files`, when stderr is a terminal.
fn files_progress(files: &[String]) -> Option<indicatif::ProgressBar> {
    let total = files
        .iter()
        .filter(|f| *f != "-")
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    crate::report::progress_bar(total)
}

/// [`event_paths`], reporting unreadable directories; the flag is set if any.
pub fn event_paths_reported(named: &[String], reporter: &mut Reporter) -> (Vec<String>, bool) {
    let (files, errors) = event_paths(named);
    for (path, e) in &errors {
        reporter.error(&format!("{path}: {e}"));
    }
    (files, !errors.is_empty())
}

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
    let mut docs = Vec::new();
    let io_failed = read_each(files, reporter, |reader, name, reporter| {
        read_file(reader, name, &mut docs, reporter)
    });
    (docs, io_failed)
}

/// Opens every event input of `files` (directories expanded) in turn and
/// hands it to `read` with its display name, under a progress bar on a
/// terminal. Returns whether any input could not be opened or read (each
/// such failure is reported).
fn read_each(
    files: &[String],
    reporter: &mut Reporter,
    mut read: impl FnMut(
        Box<dyn std::io::BufRead + Send>,
        &Arc<str>,
        &mut Reporter,
    ) -> std::io::Result<()>,
) -> bool {
    let (files, mut io_failed) = event_paths_reported(files, reporter);
    let bar = files_progress(&files);
    for path in &files {
        let name: Arc<str> = Arc::from(if path == "-" {
            "<stdin>"
        } else {
            path.as_str()
        });
        let result = open_event_file(path, bar.as_ref()).and_then(|r| read(r, &name, reporter));
        if let Err(e) = result {
            reporter.error(&format!("{name}: {e}"));
            io_failed = true;
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    io_failed
}

fn read_file(
    reader: Box<dyn std::io::BufRead + Send>,
    name: &Arc<str>,
    docs: &mut Vec<Doc>,
    reporter: &mut Reporter,
) -> std::io::Result<()> {
    let mut reader = RecordReader::new(reader);
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
    let mut out = Filtered {
        docs: Vec::new(),
        records: 0,
        io_failed: false,
    };
    let mut parser = Parser::new();
    out.io_failed = read_each(files, reporter, |reader, name, reporter| {
        filter_file(
            reader,
            name,
            registry,
            keep,
            &mut parser,
            &mut out,
            reporter,
        )
    });
    out
}

fn filter_file(
    reader: Box<dyn std::io::BufRead + Send>,
    name: &Arc<str>,
    registry: &FieldRegistry,
    keep: &dyn Fn(&Event<'_>) -> bool,
    parser: &mut Parser,
    out: &mut Filtered,
    reporter: &mut Reporter,
) -> std::io::Result<()> {
    let mut reader = RecordReader::new(reader);
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
