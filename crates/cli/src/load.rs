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
/// with the input. Malformed records are reported and counted. With more than
/// one thread, batches of records are parsed and filtered side by side; what
/// is kept and reported, and in what order, does not depend on the threads.
pub fn read_filtered(
    files: &[String],
    registry: &FieldRegistry,
    keep: &(dyn Fn(&Event<'_>) -> bool + Sync),
    threads: usize,
    reporter: &mut Reporter,
) -> Filtered {
    let mut out = Filtered {
        docs: Vec::new(),
        records: 0,
        io_failed: false,
    };
    if threads > 1 {
        out.io_failed = std::thread::scope(|scope| {
            let mut filter = ParallelFilter::start(scope, threads, registry, keep);
            let io_failed = read_each(files, reporter, |reader, name, reporter| {
                filter.read_file(reader, name, &mut out, reporter)
            });
            filter.finish(&mut out, reporter);
            io_failed
        });
        return out;
    }
    let mut parser = Parser::new();
    out.io_failed = read_each(files, reporter, |reader, name, reporter| {
        let mut reader = RecordReader::new(reader);
        loop {
            match reader.next_record()? {
                Next::Record(r) => {
                    let ordinal = out.records;
                    out.records += 1;
                    let kept = filter_record(&mut parser, registry, keep, r.text)
                        .map_err(|e| reporter.malformed(name, r.line, &e));
                    if let Ok(Some(text)) = kept {
                        out.docs.push(Doc {
                            file: name.clone(),
                            line: r.line,
                            ordinal,
                            text,
                        });
                    }
                }
                Next::Bad(b) | Next::BadDocument(b) => reporter.malformed(name, b.line, &b.reason),
                Next::End => return Ok(()),
            }
        }
    });
    out
}

/// Parses one record: its text if `keep` accepts it, or the parse error.
fn filter_record(
    parser: &mut Parser,
    registry: &FieldRegistry,
    keep: &(dyn Fn(&Event<'_>) -> bool + Sync),
    text: &str,
) -> Result<Option<String>, String> {
    let event = parser.parse(text, registry).map_err(|e| e.to_string())?;
    let kept = keep(&event).then(|| text.to_string());
    parser.recycle(event);
    Ok(kept)
}

/// Record text per batch handed to a filtering thread.
const BATCH_BYTES: usize = 1 << 20;
/// Records per batch at most.
const BATCH_RECORDS: usize = 4096;

/// Consecutive records of one input, for one filtering thread.
struct Batch {
    seq: u64,
    file: Arc<str>,
    text: String,
    items: Vec<BatchItem>,
}

enum BatchItem {
    Record {
        line: u64,
        ordinal: u64,
        start: usize,
        end: usize,
    },
    Bad {
        line: u64,
        reason: String,
    },
}

/// What a thread made of a batch: the records kept, and the malformed ones
/// (line, reason) in input order.
struct BatchResult {
    /// The batch, emptied (its number and file kept), for its buffers: a
    /// megabyte allocated afresh for every batch costs the page faults of a
    /// new mapping.
    batch: Batch,
    docs: Vec<Doc>,
    malformed: Vec<(u64, String)>,
}

/// Threads parsing and filtering batches; the reading thread sends them
/// and takes the results back in batch order.
struct ParallelFilter {
    jobs: Option<std::sync::mpsc::SyncSender<Batch>>,
    results: std::sync::mpsc::Receiver<BatchResult>,
    /// Results that arrived before an earlier batch's.
    waiting: std::collections::BTreeMap<u64, BatchResult>,
    /// Emptied batches, for reuse.
    spare: Vec<Batch>,
    sent: u64,
    taken: u64,
}

impl ParallelFilter {
    fn start<'scope, 'env: 'scope>(
        scope: &'scope std::thread::Scope<'scope, 'env>,
        threads: usize,
        registry: &'env FieldRegistry,
        keep: &'env (dyn Fn(&Event<'_>) -> bool + Sync),
    ) -> ParallelFilter {
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Batch>(2 * threads);
        let queue = Arc::new(std::sync::Mutex::new(queue));
        let (done, results) = std::sync::mpsc::channel();
        for _ in 0..threads {
            let (queue, done) = (queue.clone(), done.clone());
            scope.spawn(move || {
                let mut parser = Parser::new();
                loop {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok(batch) = next else { return };
                    if done
                        .send(filter_batch(&mut parser, registry, keep, batch))
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
        ParallelFilter {
            jobs: Some(jobs),
            results,
            waiting: Default::default(),
            spare: Vec::new(),
            sent: 0,
            taken: 0,
        }
    }

    /// Reads one input into batches; a batch read before an I/O error is
    /// still filtered.
    fn read_file(
        &mut self,
        reader: Box<dyn std::io::BufRead + Send>,
        name: &Arc<str>,
        out: &mut Filtered,
        reporter: &mut Reporter,
    ) -> std::io::Result<()> {
        let mut reader = RecordReader::new(reader);
        let mut batch = self.new_batch(name);
        let result = loop {
            let next = match reader.next_record() {
                Ok(next) => next,
                Err(e) => break Err(e),
            };
            match next {
                Next::Record(r) => {
                    let start = batch.text.len();
                    batch.text.push_str(r.text);
                    batch.items.push(BatchItem::Record {
                        line: r.line,
                        ordinal: out.records,
                        start,
                        end: batch.text.len(),
                    });
                    out.records += 1;
                }
                Next::Bad(b) | Next::BadDocument(b) => batch.items.push(BatchItem::Bad {
                    line: b.line,
                    reason: b.reason,
                }),
                Next::End => break Ok(()),
            }
            if batch.text.len() >= BATCH_BYTES || batch.items.len() >= BATCH_RECORDS {
                let full = std::mem::replace(&mut batch, self.new_batch(name));
                self.send(full, out, reporter);
            }
        };
        if batch.items.is_empty() {
            self.spare.push(batch);
        } else {
            self.send(batch, out, reporter);
        }
        result
    }

    fn new_batch(&mut self, file: &Arc<str>) -> Batch {
        match self.spare.pop() {
            Some(mut batch) => {
                batch.file = file.clone();
                batch
            }
            None => Batch {
                seq: 0,
                file: file.clone(),
                text: String::with_capacity(BATCH_BYTES + BATCH_BYTES / 4),
                items: Vec::new(),
            },
        }
    }

    /// Numbers `batch` and hands it to a thread (waiting while they are all
    /// busy), taking in the results that are ready. Batches are numbered as
    /// they are sent, so that the numbers have no gaps (results are taken in
    /// that order).
    fn send(&mut self, mut batch: Batch, out: &mut Filtered, reporter: &mut Reporter) {
        batch.seq = self.sent;
        self.sent += 1;
        if let Some(jobs) = &self.jobs {
            // The threads only stop once `jobs` is dropped.
            let _ = jobs.send(batch);
        }
        while let Ok(result) = self.results.try_recv() {
            self.take(result, out, reporter);
        }
    }

    /// Waits for every batch sent, then lets the threads end.
    fn finish(mut self, out: &mut Filtered, reporter: &mut Reporter) {
        self.jobs = None;
        while let Ok(result) = self.results.recv() {
            self.take(result, out, reporter);
        }
    }

    /// Takes in a thread's result, and every waiting one it makes next.
    fn take(&mut self, result: BatchResult, out: &mut Filtered, reporter: &mut Reporter) {
        self.waiting.insert(result.batch.seq, result);
        while let Some(next) = self.waiting.remove(&self.taken) {
            for (line, reason) in &next.malformed {
                reporter.malformed(&next.batch.file, *line, reason);
            }
            out.docs.extend(next.docs);
            if self.spare.len() < 4 {
                self.spare.push(next.batch);
            }
            self.taken += 1;
        }
    }
}

fn filter_batch(
    parser: &mut Parser,
    registry: &FieldRegistry,
    keep: &(dyn Fn(&Event<'_>) -> bool + Sync),
    mut batch: Batch,
) -> BatchResult {
    let mut docs = Vec::new();
    let mut malformed = Vec::new();
    for item in batch.items.drain(..) {
        match item {
            BatchItem::Record {
                line,
                ordinal,
                start,
                end,
            } => match filter_record(parser, registry, keep, &batch.text[start..end]) {
                Ok(Some(text)) => docs.push(Doc {
                    file: batch.file.clone(),
                    line,
                    ordinal,
                    text,
                }),
                Ok(None) => {}
                Err(reason) => malformed.push((line, reason)),
            },
            BatchItem::Bad { line, reason } => malformed.push((line, reason)),
        }
    }
    batch.text.clear();
    BatchResult {
        batch,
        docs,
        malformed,
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
