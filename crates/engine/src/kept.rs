//! What the engine keeps of an event that sequence or sample rules may need
//! later, how much of it is alive, and where its text lives.
//!
//! - [`Source`]: the event's JSON text, index, id and input position — what an
//!   alert is built from. Shared (`Arc`) by everything that refers to the
//!   event: the reorder buffer, and then only the partial sequences (or sample
//!   buckets, replay windows) that hold it; it is freed when the last of them
//!   is dropped (a partial replaced, expired or completed). An event that
//!   only missing-event stages or `until` of sequences take is part of no
//!   alert: its source keeps no text (none is attached to it, see
//!   [`Source::new`]).
//! - [`Candidate`]: a [`Source`] plus the fields sequence and sample rules
//!   read, packed: numbers inline, strings as ranges of the source text (or of
//!   a small side buffer when the JSON escaped them). An [`Event`] view is
//!   rebuilt from it when the event is fed to rules: of every kept field, or
//!   only of the sequence join keys (packed first, so that this view is
//!   cheap) when the stages the event matched are known. Packing costs ~24 bytes
//!   per kept value instead of the ~60 of an owned [`Event`] value plus its
//!   string copy.
//! - [`TextStore`]: counts the [`Source`]s alive (and the peak, for the run
//!   report) and bounds the memory of their texts. Sequence state is as large
//!   as the input's distinct join keys make it: a rule whose first stage is
//!   "a process started", joined by `process.entity_id`, holds a partial
//!   sequence for every process that never did the second thing — Elasticsearch
//!   holds them too, within its circuit breaker. Alerts need the text only
//!   when a sequence completes, so once the texts that shards hold pass
//!   [`RunOptions::held_memory`](crate::RunOptions::held_memory), the oldest
//!   are written to a temporary file ([`Settled`] queues them per shard) and
//!   read back if an alert needs them. The alerts are the same either way;
//!   what stays in memory per partial is its key and a few hundred bytes.

use crate::alert::SourceDoc;
use crate::sorted::{temp_file, RemoveOnDrop};
use event::{Event, FieldId, Value};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

/// Default [`crate::RunOptions::held_memory`]: 16 MiB of event texts held by
/// sequence and sample state before the oldest go to disk.
pub const HELD_MEMORY: usize = 16 << 20;

/// The event texts a run retains: how many are alive, and where they live.
#[derive(Debug)]
pub(crate) struct TextStore {
    live: AtomicU64,
    peak: AtomicU64,
    /// Text bytes of settled sources still in memory.
    settled_bytes: AtomicU64,
    budget: u64,
    dir: PathBuf,
    spill: Mutex<Spill>,
}

/// The temporary file texts are written to (created on first use).
#[derive(Debug, Default)]
struct Spill {
    file: Option<SpillFile>,
    texts: u64,
    bytes: u64,
    error: Option<String>,
}

#[derive(Debug)]
struct SpillFile {
    out: BufWriter<File>,
    read: File,
    end: u64,
    _path: RemoveOnDrop,
}

/// What a run wrote to disk of the texts it held.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SpillReport {
    pub texts: u64,
    pub bytes: u64,
    /// Runs of sample buckets written ([`crate::sampled`]), compactions included.
    pub sample_runs: u64,
    /// Why writing stopped (the texts then stay in memory).
    pub error: Option<String>,
}

impl TextStore {
    /// A store that holds `budget` bytes of settled texts in memory, then
    /// writes the oldest to a file in `dir`.
    pub fn new(budget: usize, dir: PathBuf) -> TextStore {
        TextStore {
            live: AtomicU64::new(0),
            peak: AtomicU64::new(0),
            settled_bytes: AtomicU64::new(0),
            budget: budget as u64,
            dir,
            spill: Mutex::new(Spill::default()),
        }
    }

    fn up(&self) {
        let now = self.live.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(now, Ordering::Relaxed);
    }

    fn down(&self) {
        self.live.fetch_sub(1, Ordering::Relaxed);
    }

    /// Sources alive now.
    pub fn live(&self) -> u64 {
        self.live.load(Ordering::Relaxed)
    }

    /// The most sources alive at once.
    pub fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }

    fn over_budget(&self) -> bool {
        self.settled_bytes.load(Ordering::Relaxed) > self.budget
    }

    /// Below this, a shard stops writing texts out (a quarter of the budget
    /// freed at a time, so that writing is done in runs).
    fn relieved(&self) -> bool {
        self.settled_bytes.load(Ordering::Relaxed) <= self.budget - self.budget / 4
    }

    fn spill_lock(&self) -> MutexGuard<'_, Spill> {
        self.spill.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends `text` to the file; `None` if writing failed (then never
    /// again: the texts stay in memory).
    fn write(&self, text: &str) -> Option<u64> {
        let mut spill = self.spill_lock();
        if spill.error.is_some() {
            return None;
        }
        match spill.append(&self.dir, text) {
            Ok(at) => Some(at),
            Err(e) => {
                spill.error = Some(format!("{}: {e}", self.dir.display()));
                None
            }
        }
    }

    fn read(&self, at: u64, len: u32) -> io::Result<String> {
        let mut spill = self.spill_lock();
        let file = spill
            .file
            .as_mut()
            .ok_or_else(|| io::Error::other("no text file"))?;
        file.out.flush()?;
        file.read.seek(SeekFrom::Start(at))?;
        let mut bytes = vec![0; len as usize];
        file.read.read_exact(&mut bytes)?;
        String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    pub fn spill_report(&self) -> SpillReport {
        let spill = self.spill_lock();
        SpillReport {
            texts: spill.texts,
            bytes: spill.bytes,
            sample_runs: 0,
            error: spill.error.clone(),
        }
    }
}

impl Spill {
    fn append(&mut self, dir: &std::path::Path, text: &str) -> io::Result<u64> {
        if self.file.is_none() {
            self.file = Some(SpillFile::create(dir)?);
        }
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| io::Error::other("no text file"))?;
        let at = file.end;
        file.out.write_all(text.as_bytes())?;
        file.end += text.len() as u64;
        self.texts += 1;
        self.bytes += text.len() as u64;
        Ok(at)
    }
}

impl SpillFile {
    fn create(dir: &std::path::Path) -> io::Result<SpillFile> {
        let (guard, out) = temp_file(dir, "texts")?;
        let out = BufWriter::new(out);
        let read = File::open(&guard.0)?;
        Ok(SpillFile {
            out,
            read,
            end: 0,
            _path: guard,
        })
    }
}

const TEXT_NOT_KEPT: &str =
    "the event's text was not kept (it matched only missing-event stages or `until`)";

/// Where a source's text is.
#[derive(Debug)]
enum Text {
    Held(Arc<str>),
    Written {
        at: u64,
        len: u32,
    },
    /// Not kept (yet): until the collector attaches it, or for good when the
    /// event can be no part of an alert (see [`Source::new`]).
    Absent,
}

/// An event as alerts need it.
#[derive(Debug)]
pub(crate) struct Source {
    /// Input position: `(input << 40) | record number in that input`.
    pub ordinal: u64,
    pub index: Arc<str>,
    /// The hit's `_id`, if the event was one.
    pub id: Option<Box<str>>,
    /// The id derived from the text when there is no `_id`, once computed
    /// (an event in several sequences is hashed once).
    content_id: OnceLock<Box<str>>,
    /// The document's JSON text (`_source` of a hit).
    text: Mutex<Text>,
    /// Handed to a shard's state (its bytes count against the budget).
    settled: AtomicBool,
    store: Arc<TextStore>,
}

impl Source {
    /// A source without its text yet: the worker that found the event
    /// packs its candidate, and the collector copies the text from the batch
    /// ([`Candidate::attach_text`]), so that every kept text is allocated by
    /// one thread. (Copied by each worker, the texts of a run on 16 threads
    /// lay in 16 allocator heaps, and the pages that shards freed them from
    /// stayed partly used in all of them: ≈ 30 MB more peak memory than 2
    /// threads on 1M events.) A source whose text is never attached keeps
    /// none: an event that only missing-event stages or `until` of sequences
    /// take is part of no alert, and copying the text would be most of the
    /// cost of keeping it.
    pub fn new(ordinal: u64, index: Arc<str>, event: &Event<'_>, store: &Arc<TextStore>) -> Source {
        let id = event.id.as_deref().map(Box::from);
        Source::with(ordinal, index, id, Text::Absent, store)
    }

    /// A source read back from a temporary file.
    pub fn restored(
        ordinal: u64,
        index: Arc<str>,
        id: Option<Box<str>>,
        text: String,
        store: &Arc<TextStore>,
    ) -> Source {
        Source::with(ordinal, index, id, Text::Held(Arc::from(text)), store)
    }

    /// A source counted alive in `store`.
    fn with(
        ordinal: u64,
        index: Arc<str>,
        id: Option<Box<str>>,
        text: Text,
        store: &Arc<TextStore>,
    ) -> Source {
        store.up();
        Source {
            ordinal,
            index,
            id,
            content_id: OnceLock::new(),
            text: Mutex::new(text),
            settled: AtomicBool::new(false),
            store: store.clone(),
        }
    }

    fn text_lock(&self) -> MutexGuard<'_, Text> {
        self.text.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Gives the source its text (before any shard holds it).
    fn attach(&self, text: Arc<str>) {
        *self.text_lock() = Text::Held(text);
    }

    /// The document's JSON text, read back from disk if it was written out.
    pub fn text(&self) -> Result<Arc<str>, String> {
        let (at, len) = match &*self.text_lock() {
            Text::Held(text) => return Ok(text.clone()),
            Text::Written { at, len } => (*at, *len),
            Text::Absent => return Err(TEXT_NOT_KEPT.to_string()),
        };
        match self.store.read(at, len) {
            Ok(text) => Ok(Arc::from(text)),
            Err(e) => Err(format!("reading a kept event back from disk: {e}")),
        }
    }

    /// The event as the alert builder takes it (its JSON read as a value).
    pub fn doc(&self) -> Result<SourceDoc, String> {
        let text = self.text()?;
        let id = match self.id.as_deref() {
            Some(id) => id,
            None => self
                .content_id
                .get_or_init(|| crate::index::content_id(&text).into()),
        };
        crate::alerts::source_doc(&self.index, id, &text)
    }

    /// Counts the text against the budget (once); true the first time.
    fn settle(&self) -> bool {
        if self.settled.swap(true, Ordering::Relaxed) {
            return false;
        }
        if let Text::Held(text) = &*self.text_lock() {
            let len = text.len() as u64;
            self.store.settled_bytes.fetch_add(len, Ordering::Relaxed);
        }
        true
    }

    /// Writes the text to the store's file and frees it from memory.
    fn write_out(&self) {
        let mut text = self.text_lock();
        let Text::Held(held) = &*text else { return };
        let Ok(len) = u32::try_from(held.len()) else {
            return;
        };
        if let Some(at) = self.store.write(held) {
            let bytes = u64::from(len);
            self.store.settled_bytes.fetch_sub(bytes, Ordering::Relaxed);
            *text = Text::Written { at, len };
        }
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        self.store.down();
        if !*self.settled.get_mut() {
            return;
        }
        let text = self.text.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Text::Held(text) = text {
            let len = text.len() as u64;
            self.store.settled_bytes.fetch_sub(len, Ordering::Relaxed);
        }
    }
}

/// The sources one shard's state took, oldest first: what it writes out
/// when the store is over its budget.
#[derive(Debug, Default)]
pub(crate) struct Settled {
    queue: VecDeque<Weak<Source>>,
    /// Length at which dead entries are swept out (each pins ~100 bytes).
    sweep_at: usize,
}

/// Entries below which [`Settled`] is not swept.
const SWEEP_MIN: usize = 4096;

impl Settled {
    /// Counts `source` as held by this shard's state (unless another shard
    /// did already).
    pub fn take(&mut self, source: &Arc<Source>) {
        if !source.settle() {
            return;
        }
        self.queue.push_back(Arc::downgrade(source));
        if self.queue.len() >= self.sweep_at.max(SWEEP_MIN) {
            self.queue.retain(|s| s.strong_count() > 0);
            self.sweep_at = self.queue.len() * 2;
        }
    }

    /// Writes out the oldest texts while the store is over its budget.
    pub fn relieve(&mut self, store: &TextStore) {
        if !store.over_budget() {
            return;
        }
        while !store.relieved() {
            let Some(oldest) = self.queue.pop_front() else {
                return;
            };
            if let Some(source) = oldest.upgrade() {
                source.write_out();
            }
        }
    }
}

/// What a [`Candidate`] keeps of each field (by [`FieldId`] index).
#[derive(Debug, Default)]
pub(crate) struct KeptFields {
    classes: Vec<Class>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Dropped,
    Kept,
    /// Kept, and a join key of sequence rules.
    Key,
}

impl KeptFields {
    /// The fields in `keep`; those also in `keys` are join keys.
    pub fn new(keep: &[bool], keys: &[bool]) -> KeptFields {
        let class = |(i, &kept): (usize, &bool)| match (kept, keys.get(i).copied()) {
            (false, _) => Class::Dropped,
            (true, Some(true)) => Class::Key,
            (true, _) => Class::Kept,
        };
        KeptFields {
            classes: keep.iter().enumerate().map(class).collect(),
        }
    }

    fn class(&self, f: FieldId) -> Class {
        self.classes
            .get(f.index())
            .copied()
            .unwrap_or(Class::Dropped)
    }
}

/// Buffers [`Candidate::pack`] reuses.
#[derive(Debug, Default)]
pub(crate) struct PackBuffers {
    keys: Vec<(FieldId, Packed)>,
    others: Vec<(FieldId, Packed)>,
    extra: String,
}

/// One kept value.
#[derive(Debug, Clone, Copy)]
enum Packed {
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    /// `text[start..start + len]` of the [`Source`].
    InText {
        start: u32,
        len: u32,
    },
    /// `extra[start..start + len]` of the [`Candidate`].
    InExtra {
        start: u32,
        len: u32,
    },
}

/// A kept event: its [`Source`] and the fields multi-event rules read.
#[derive(Debug)]
pub(crate) struct Candidate {
    pub source: Arc<Source>,
    /// The source's text, for the packed strings (the source may write its
    /// own out while the candidate is still in flight); `None` for a source
    /// without text, whose strings are all in `extra`, and until
    /// [`Candidate::attach_text`].
    text: Option<Arc<str>>,
    /// The join-key fields (`fields[..keys]`), then the others, each part
    /// in field order.
    fields: Box<[(FieldId, Packed)]>,
    keys: usize,
    /// Only the join keys were packed ([`Candidate::event`] is not for it).
    keys_only: bool,
    extra: Box<str>,
}

/// What [`Candidate::pack`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pack {
    /// Every kept field.
    All,
    /// The join keys: enough for sequence rules whose stages the worker
    /// matched already (they read nothing else).
    KeysOnly,
}

impl Candidate {
    /// Packs the values of `event` whose field `fields` keeps (or only its
    /// join keys), join keys first; `buffers` are reused from event to event.
    /// `with_text`: the event's text will be attached
    /// ([`Candidate::attach_text`]), and strings are packed as ranges of it;
    /// otherwise they are copied.
    pub fn pack(
        event: &Event<'_>,
        fields: &KeptFields,
        what: Pack,
        buffers: &mut PackBuffers,
        source: Arc<Source>,
        with_text: bool,
    ) -> Candidate {
        let PackBuffers {
            keys,
            others,
            extra,
        } = buffers;
        keys.clear();
        others.clear();
        extra.clear();
        // Strings are ranges of the text only when the candidate keeps it.
        let ranges_of = if with_text { event.source } else { "" };
        for (f, v) in event.entries() {
            let into = match fields.class(*f) {
                Class::Dropped => continue,
                Class::Key => &mut *keys,
                Class::Kept if what == Pack::KeysOnly => continue,
                Class::Kept => &mut *others,
            };
            into.push((*f, pack_value(v, ranges_of, extra)));
        }
        let mut packed = Vec::with_capacity(keys.len() + others.len());
        packed.extend_from_slice(keys);
        packed.extend_from_slice(others);
        let keys = keys.len();
        Candidate {
            text: None,
            source,
            fields: packed.into_boxed_slice(),
            keys,
            keys_only: what == Pack::KeysOnly,
            extra: Box::from(extra.as_str()),
        }
    }

    /// Gives the candidate and its source the event's text (the one packed
    /// `with_text`: its strings are ranges of it).
    pub fn attach_text(&mut self, text: Arc<str>) {
        self.source.attach(text.clone());
        self.text = Some(text);
    }

    /// The kept fields as an event (strings borrowed from the candidate).
    pub fn event(&self) -> Event<'_> {
        debug_assert!(
            !self.keys_only,
            "a candidate packed with its join keys only"
        );
        self.event_of(self.fields.iter())
    }

    /// The kept join-key fields as an event.
    pub fn key_event(&self) -> Event<'_> {
        self.event_of(self.fields[..self.keys].iter())
    }

    fn event_of<'c>(&'c self, fields: impl Iterator<Item = &'c (FieldId, Packed)>) -> Event<'c> {
        let text: &str = self.text.as_deref().unwrap_or("");
        let entries = fields
            .map(|(f, p)| {
                let v = match *p {
                    Packed::Bool(b) => Value::Bool(b),
                    Packed::Int(i) => Value::Int(i),
                    Packed::UInt(u) => Value::UInt(u),
                    Packed::Float(x) => Value::Float(x),
                    Packed::InText { start, len } => {
                        Value::Str(Cow::Borrowed(slice(text, start, len)))
                    }
                    Packed::InExtra { start, len } => {
                        Value::Str(Cow::Borrowed(slice(&self.extra, start, len)))
                    }
                };
                (*f, v)
            })
            .collect();
        Event::from_entries(entries)
    }

    /// Approximate heap bytes (for the reorder buffer's bound).
    pub fn bytes(&self) -> usize {
        std::mem::size_of::<Candidate>()
            + std::mem::size_of::<Source>()
            + self.text.as_ref().map_or(0, |t| t.len())
            + self.fields.len() * std::mem::size_of::<(FieldId, Packed)>()
            + self.extra.len()
    }
}

fn pack_value(v: &Value<'_>, text: &str, extra: &mut String) -> Packed {
    match v {
        Value::Bool(b) => Packed::Bool(*b),
        Value::Int(i) => Packed::Int(*i),
        Value::UInt(u) => Packed::UInt(*u),
        Value::Float(x) => Packed::Float(*x),
        Value::Str(s) => pack_str(s, text.as_ptr() as usize, text.len(), extra),
    }
}

fn slice(text: &str, start: u32, len: u32) -> &str {
    let start = start as usize;
    text.get(start..start + len as usize).unwrap_or("")
}

/// A string borrowed from the source text is kept as its range; anything else
/// (unescaped by the parser, or too far) is copied to `extra`.
fn pack_str(s: &str, base: usize, text_len: usize, extra: &mut String) -> Packed {
    let at = (s.as_ptr() as usize).wrapping_sub(base);
    let inside = (s.as_ptr() as usize) >= base && at + s.len() <= text_len;
    if let (true, Ok(start), Ok(len)) = (inside, u32::try_from(at), u32::try_from(s.len())) {
        return Packed::InText { start, len };
    }
    let start = extra.len();
    extra.push_str(s);
    match (u32::try_from(start), u32::try_from(s.len())) {
        (Ok(start), Ok(len)) => Packed::InExtra { start, len },
        _ => Packed::InExtra { start: 0, len: 0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use event::{parse_event, FieldRegistry};

    /// `event` packed with the fields `keep` (by index), `keys` the join keys.
    fn pack(
        event: &Event<'_>,
        keep: &[bool],
        keys: &[bool],
        what: Pack,
        source: Source,
        with_text: bool,
    ) -> Candidate {
        let fields = KeptFields::new(keep, keys);
        let buffers = &mut PackBuffers::default();
        Candidate::pack(event, &fields, what, buffers, Arc::new(source), with_text)
    }

    #[test]
    fn packed_event_reads_back_the_kept_fields() {
        let mut reg = FieldRegistry::new();
        let name = reg.intern("process.name");
        let pid = reg.intern("process.pid");
        let args = reg.intern("process.args");
        let other = reg.intern("other");
        let text = r#"{"process":{"name":"a\"b","pid":42,"args":["x","y"]},"other":"o"}"#;
        let event = parse_event(text, &reg).unwrap();
        let gauge = Arc::new(TextStore::new(HELD_MEMORY, std::env::temp_dir()));
        let mut keep = vec![false; reg.len()];
        for f in [name, pid, args] {
            keep[f.index()] = true;
        }
        let source = Source::new(7, Arc::from("i"), &event, &gauge);
        let mut keys = vec![false; reg.len()];
        keys[pid.index()] = true;
        let mut cand = pack(&event, &keep, &keys, Pack::All, source, true);
        // A copy of the text, as the collector makes from the batch: the
        // packed ranges are of the record, wherever it lies.
        let copy: Arc<str> = Arc::from(String::from(text));
        cand.attach_text(copy);
        assert_eq!(cand.source.text().as_deref(), Ok(text));
        let view = cand.event();
        assert_eq!(view.first(name).and_then(|v| v.as_str()), Some("a\"b"));
        assert_eq!(
            view.first(pid).map(|v| v.keyword().into_owned()),
            Some("42".into())
        );
        let a: Vec<&str> = view.values(args).filter_map(|v| v.as_str()).collect();
        assert_eq!(a, ["x", "y"]);
        assert!(!view.has(other));
        let keys = cand.key_event();
        assert_eq!(keys.entries().len(), 1);
        assert_eq!(keys.first(pid).and_then(|v| v.integer()), Some(42));
        assert_eq!(gauge.live(), 1);
        drop(view);
        drop(keys);
        drop(cand);
        assert_eq!((gauge.live(), gauge.peak()), (0, 1));
    }

    #[test]
    fn a_source_without_text_packs_its_join_keys_apart() {
        let mut reg = FieldRegistry::new();
        let host = reg.intern("host.name");
        let name = reg.intern("process.name");
        let text = r#"{"host":{"name":"h1"},"process":{"name":"x"}}"#;
        let event = parse_event(text, &reg).unwrap();
        let gauge = Arc::new(TextStore::new(HELD_MEMORY, std::env::temp_dir()));
        let source = Source::new(3, Arc::from("i"), &event, &gauge);
        let cand = pack(
            &event,
            &[true, true],
            &[true, false],
            Pack::KeysOnly,
            source,
            false,
        );
        let view = cand.key_event();
        assert_eq!(view.first(host).and_then(|v| v.as_str()), Some("h1"));
        assert!(!view.has(name));
        assert_eq!(&*cand.extra, "h1");
        assert_eq!(cand.source.text(), Err(TEXT_NOT_KEPT.to_string()));
        assert!(cand.bytes() < size_of::<Candidate>() + size_of::<Source>() + 64);
        assert_eq!(gauge.live(), 1);
        drop(view);
        drop(cand);
        assert_eq!(gauge.live(), 0);
    }
}
