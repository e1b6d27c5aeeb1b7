//! A sample rule's state with bounded memory.
//!
//! A sample (`sample by host.id, process.pid [...] [...]`) has no time
//! limit: a key's bucket may complete with the input's last event, so every
//! bucket is kept to the end — one per distinct key of a stage, which grows
//! with the input (a rule keyed by process id holds one per process).
//! Elasticsearch pages through the keys with composite aggregations instead;
//! a stream cannot. So when a rule holds more than its share of buckets, they
//! are written, in key order, to a temporary file (a *run*) and dropped from
//! memory; at the end the runs and what is still held are merged key by key
//! ([`SampleState::merge_into`]: each stage keeps its first events by input
//! position, whatever part they were in), and each merged bucket is judged
//! as the in-memory state would have judged it. The samples are the same;
//! memory is the share of buckets, one read buffer per run, and one key's
//! events at a time. Past [`MAX_RUNS`] runs, they are merged into one.
//!
//! A run is a sequence of buckets: the key's values, then per stage the
//! events (input position, and what [`Source`] holds: ordinal, index, id,
//! text), all length-prefixed little-endian.

use crate::kept::{Source, TextStore};
use crate::sorted::{temp_file, RemoveOnDrop};
use matcher::sample::{Buckets, SampleState};
use matcher::values::OrderedF64;
use matcher::KeyValue;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Runs a rule keeps before merging them into one.
pub const MAX_RUNS: usize = 32;

/// Held bytes a bucket is counted as (its key, lists and sources' fixed
/// parts; the texts count against [`TextStore`]'s budget).
const BUCKET_BYTES: usize = 1024;

type Lists = Vec<Vec<(u64, Arc<Source>)>>;

/// One sample rule's buckets: held in memory up to a count, then in runs.
pub(crate) struct SampleRule<'p> {
    state: SampleState<'p, Arc<Source>>,
    runs: Vec<RemoveOnDrop>,
    max_keys: usize,
    dir: PathBuf,
    /// Runs written (compactions included).
    pub runs_written: u64,
    /// Why writing stopped (the buckets then stay in memory).
    pub error: Option<String>,
}

impl<'p> SampleRule<'p> {
    /// Holds at most `memory` bytes' worth of buckets (at least 64) before
    /// writing them to a run in `dir`.
    pub fn new(state: SampleState<'p, Arc<Source>>, memory: usize, dir: PathBuf) -> Self {
        SampleRule {
            state,
            runs: Vec::new(),
            max_keys: (memory / BUCKET_BYTES).max(64),
            dir,
            runs_written: 0,
            error: None,
        }
    }

    pub fn state(&mut self) -> &mut SampleState<'p, Arc<Source>> {
        &mut self.state
    }

    /// Script errors met (those events matched no stage).
    pub fn error_count(&self) -> usize {
        self.state.error_count()
    }

    /// Writes the held buckets out if there are too many.
    pub fn bound(&mut self, store: &Arc<TextStore>) {
        if self.state.keys() <= self.max_keys || self.error.is_some() {
            return;
        }
        if let Err(e) = self.write_held(store) {
            self.error = Some(format!("{}: {e}", self.dir.display()));
        }
    }

    fn write_held(&mut self, store: &Arc<TextStore>) -> io::Result<()> {
        let (path, mut out) = create_run(&self.dir)?;
        for (key, lists) in self.state.buckets() {
            write_bucket(&mut out, key, lists)?;
        }
        out.flush()?;
        self.runs_written += 1;
        self.runs.push(path);
        drop(self.state.take_buckets());
        if self.runs.len() > MAX_RUNS {
            self.compact(store)?;
        }
        Ok(())
    }

    /// Merges every run into one.
    fn compact(&mut self, store: &Arc<TextStore>) -> io::Result<()> {
        let (path, mut out) = create_run(&self.dir)?;
        let mut merge = Merge::open(&self.runs, Buckets::new(), store)?;
        while let Some((key, lists)) = merge.next(&self.state)? {
            write_bucket(&mut out, &key, &lists)?;
        }
        out.flush()?;
        self.runs_written += 1;
        self.runs = vec![path];
        Ok(())
    }

    /// Gives each sample's events to `each`, in key order, one key's
    /// bucket in memory at a time; `store` counts the events read back.
    pub fn finish(
        mut self,
        store: &Arc<TextStore>,
        mut each: impl FnMut(Vec<Arc<Source>>),
    ) -> Result<(), String> {
        let held = self.state.take_buckets();
        let mut merge = Merge::open(&self.runs, held, store)
            .map_err(|e| format!("reading samples back: {e}"))?;
        loop {
            match merge.next(&self.state) {
                Ok(Some((key, lists))) => {
                    for sample in self.state.samples_of(&key, &lists) {
                        each(sample.events);
                    }
                }
                Ok(None) => return Ok(()),
                Err(e) => return Err(format!("reading samples back: {e}")),
            }
        }
    }
}

fn create_run(dir: &Path) -> io::Result<(RemoveOnDrop, BufWriter<File>)> {
    let (path, out) = temp_file(dir, "samples")?;
    Ok((path, BufWriter::new(out)))
}

/// The buckets of several runs and of memory, merged by key.
struct Merge {
    readers: Vec<RunReader>,
    heads: Vec<Option<(Vec<KeyValue>, Lists)>>,
    held: std::collections::btree_map::IntoIter<Vec<KeyValue>, Lists>,
    held_head: Option<(Vec<KeyValue>, Lists)>,
    /// Where sources read back are counted.
    store: Arc<TextStore>,
}

impl Merge {
    fn open(
        runs: &[RemoveOnDrop],
        held: Buckets<Arc<Source>>,
        store: &Arc<TextStore>,
    ) -> io::Result<Merge> {
        let mut readers = Vec::with_capacity(runs.len());
        for run in runs {
            readers.push(RunReader(BufReader::new(File::open(&run.0)?)));
        }
        let mut held = held.into_iter();
        let held_head = held.next();
        Ok(Merge {
            heads: (0..readers.len()).map(|_| None).collect(),
            readers,
            held,
            held_head,
            store: store.clone(),
        })
    }

    /// The next key and its merged bucket.
    fn next(
        &mut self,
        state: &SampleState<'_, Arc<Source>>,
    ) -> io::Result<Option<(Vec<KeyValue>, Lists)>> {
        for (reader, head) in self.readers.iter_mut().zip(&mut self.heads) {
            if head.is_none() {
                *head = reader.bucket(&self.store)?;
            }
        }
        let least = self
            .heads
            .iter()
            .flatten()
            .map(|(k, _)| k)
            .chain(self.held_head.as_ref().map(|(k, _)| k))
            .min()
            .cloned();
        let Some(key) = least else { return Ok(None) };
        let mut lists = Lists::new();
        for head in &mut self.heads {
            if head.as_ref().is_some_and(|(k, _)| *k == key) {
                if let Some((_, part)) = head.take() {
                    state.merge_into(&mut lists, part);
                }
            }
        }
        if self.held_head.as_ref().is_some_and(|(k, _)| *k == key) {
            if let Some((_, part)) = self.held_head.take() {
                state.merge_into(&mut lists, part);
            }
            self.held_head = self.held.next();
        }
        Ok(Some((key, lists)))
    }
}

fn write_bucket(out: &mut impl Write, key: &[KeyValue], lists: &Lists) -> io::Result<()> {
    write_len(out, key.len())?;
    for v in key {
        write_key_value(out, v)?;
    }
    write_len(out, lists.len())?;
    for list in lists {
        write_len(out, list.len())?;
        for (position, source) in list {
            out.write_all(&position.to_le_bytes())?;
            out.write_all(&source.ordinal.to_le_bytes())?;
            write_str(out, &source.index)?;
            match &source.id {
                Some(id) => {
                    out.write_all(&[1])?;
                    write_str(out, id)?;
                }
                None => out.write_all(&[0])?,
            }
            write_str(out, &source.text().map_err(io::Error::other)?)?;
        }
    }
    Ok(())
}

fn write_key_value(out: &mut impl Write, v: &KeyValue) -> io::Result<()> {
    match v {
        KeyValue::Null => out.write_all(&[0]),
        KeyValue::Bool(b) => out.write_all(&[1, u8::from(*b)]),
        KeyValue::Int(i) => {
            out.write_all(&[2])?;
            out.write_all(&i.to_le_bytes())
        }
        KeyValue::Float(f) => {
            out.write_all(&[3])?;
            out.write_all(&f.0.to_bits().to_le_bytes())
        }
        KeyValue::Date(d) => {
            out.write_all(&[4])?;
            out.write_all(&d.to_le_bytes())
        }
        KeyValue::Ip(ip) => {
            out.write_all(&[5])?;
            out.write_all(&ip.to_le_bytes())
        }
        KeyValue::Str(s) => {
            out.write_all(&[6])?;
            write_str(out, s)
        }
    }
}

fn write_len(out: &mut impl Write, len: usize) -> io::Result<()> {
    let len = u32::try_from(len).map_err(io::Error::other)?;
    out.write_all(&len.to_le_bytes())
}

fn write_str(out: &mut impl Write, s: &str) -> io::Result<()> {
    write_len(out, s.len())?;
    out.write_all(s.as_bytes())
}

/// Reads back what [`write_bucket`] wrote.
struct RunReader(BufReader<File>);

impl RunReader {
    /// The next bucket, or `None` at the end of the run.
    fn bucket(&mut self, store: &Arc<TextStore>) -> io::Result<Option<(Vec<KeyValue>, Lists)>> {
        let mut first = [0u8; 4];
        match self.0.read_exact(&mut first) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        let key_len = u32::from_le_bytes(first) as usize;
        let key = (0..key_len)
            .map(|_| self.key_value())
            .collect::<io::Result<Vec<_>>>()?;
        let stages = self.len()?;
        let mut lists = Vec::with_capacity(stages);
        for _ in 0..stages {
            let n = self.len()?;
            let mut list = Vec::with_capacity(n);
            for _ in 0..n {
                let position = self.u64()?;
                let ordinal = self.u64()?;
                let index: Arc<str> = Arc::from(self.string()?);
                let id = match self.byte()? {
                    0 => None,
                    _ => Some(self.string()?.into_boxed_str()),
                };
                let text = self.string()?;
                let source = Source::restored(ordinal, index, id, text, store);
                list.push((position, Arc::new(source)));
            }
            lists.push(list);
        }
        Ok(Some((key, lists)))
    }

    fn key_value(&mut self) -> io::Result<KeyValue> {
        Ok(match self.byte()? {
            0 => KeyValue::Null,
            1 => KeyValue::Bool(self.byte()? != 0),
            2 => KeyValue::Int(self.u64()? as i64),
            3 => KeyValue::Float(OrderedF64(f64::from_bits(self.u64()?))),
            4 => KeyValue::Date(self.u64()? as i64),
            5 => {
                let mut b = [0u8; 16];
                self.0.read_exact(&mut b)?;
                KeyValue::Ip(u128::from_le_bytes(b))
            }
            6 => KeyValue::Str(self.string()?.into_boxed_str()),
            t => return Err(io::Error::other(format!("bad key tag {t}"))),
        })
    }

    fn byte(&mut self) -> io::Result<u8> {
        let mut b = [0u8; 1];
        self.0.read_exact(&mut b)?;
        Ok(b[0])
    }

    fn len(&mut self) -> io::Result<usize> {
        let mut b = [0u8; 4];
        self.0.read_exact(&mut b)?;
        Ok(u32::from_le_bytes(b) as usize)
    }

    fn u64(&mut self) -> io::Result<u64> {
        let mut b = [0u8; 8];
        self.0.read_exact(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn string(&mut self) -> io::Result<String> {
        let n = self.len()?;
        let mut bytes = vec![0; n];
        self.0.read_exact(&mut bytes)?;
        String::from_utf8(bytes).map_err(io::Error::other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of key value, and a bucket's events with and without an
    /// id, read back as written (the merge compares keys read back with keys
    /// still in memory, so the round trip must be exact, order included).
    #[test]
    fn buckets_read_back_as_written() {
        let store = Arc::new(TextStore::new(usize::MAX, std::env::temp_dir()));
        let key = vec![
            KeyValue::Null,
            KeyValue::Bool(true),
            KeyValue::Int(-42),
            KeyValue::Float(OrderedF64(-0.5)),
            KeyValue::Date(1_700_000_000_123_456_789),
            KeyValue::Ip(0xfe80_0000_0000_0000_0000_0000_0000_0001),
            KeyValue::Str("h\u{e9}te \"1\"".into()),
        ];
        let source = |ordinal: u64, id: Option<&str>, text: &str| {
            let id = id.map(Box::from);
            Arc::new(Source::restored(
                ordinal,
                Arc::from("idx"),
                id,
                text.into(),
                &store,
            ))
        };
        let lists: Lists = vec![
            vec![(3, source(3, Some("a"), r#"{"x":1}"#))],
            vec![
                (5, source(5, None, "{}")),
                (9, source(9, Some("b"), r#"{"y":"\u00e9"}"#)),
            ],
        ];
        let dir = std::env::temp_dir();
        let (path, mut out) = create_run(&dir).unwrap();
        write_bucket(&mut out, &key, &lists).unwrap();
        write_bucket(&mut out, &key[..1], &vec![vec![]]).unwrap();
        out.flush().unwrap();
        let mut reader = RunReader(BufReader::new(File::open(&path.0).unwrap()));
        let (got_key, got_lists) = reader.bucket(&store).unwrap().unwrap();
        assert_eq!(got_key, key);
        type Shape = Vec<Vec<(u64, u64, Option<String>, String)>>;
        let shape = |l: &Lists| -> Shape {
            l.iter()
                .map(|list| {
                    list.iter()
                        .map(|(p, s)| {
                            let id = s.id.as_deref().map(String::from);
                            (*p, s.ordinal, id, s.text().unwrap().to_string())
                        })
                        .collect()
                })
                .collect()
        };
        assert_eq!(shape(&got_lists), shape(&lists));
        let (second, empty) = reader.bucket(&store).unwrap().unwrap();
        assert_eq!((second, empty.len()), (vec![KeyValue::Null], 1));
        assert!(reader.bucket(&store).unwrap().is_none());
    }
}
