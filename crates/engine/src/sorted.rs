//! A run's alerts in output order with bounded memory: an external merge
//! sort.
//!
//! Alerts arrive in any order (workers, shards). `AlertStore` holds them
//! until their documents pass a byte budget, then sorts what it holds and
//! writes it to a temporary file (a *run*); [`SortedAlerts`] merges the runs
//! and what is still held, in output order: original time (missing last),
//! rule name, alert uuid, input position. Memory is the budget, one read
//! buffer per run, and ~40 bytes per distinct alert id.
//!
//! De-duplication is exact: of several alerts with one `kibana.alert.uuid`
//! (the same event twice gives the same id, and Elasticsearch keeps one
//! document) the one whose first source event comes first in input order is
//! kept. The store records, per id, the smallest input
//! position; the merge writes an alert only when it is that one, once.
//!
//! Held and spilled alerts carry their documents' own entries only: the
//! rule's constant entries, shared by every alert of a rule
//! ([`crate::alert::Document`]), are kept once in the store and put back
//! when the alerts are written.
//!
//! A run is a file of lines: the number of the alert's constant entries in
//! the store (`-` for none), a tab, where they go in the document, a tab,
//! the shown fields (`write_head`: separated, escaped text), a tab, then
//! the document's own entries. Files are removed when the store is
//! dropped.

use crate::alert::{Document, Fragments};
use crate::alerts::Alert;
use rustc_hash::FxHashMap;
use std::cmp::Ordering;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::Arc;

/// Default [`crate::RunOptions::alert_memory`]: 8 MiB of alert documents
/// (their own parts: the rules' constant parts are shared, not counted).
pub const ALERT_MEMORY: usize = 8 << 20;

/// Temporary files made by this process (for unique names).
static TEMP_FILES: AtomicU64 = AtomicU64::new(0);

/// A new temporary file `vigil-{what}-{pid}-{n}.tmp` in `dir`, removed when
/// the returned guard is dropped.
pub(crate) fn temp_file(dir: &std::path::Path, what: &str) -> io::Result<(RemoveOnDrop, File)> {
    let n = TEMP_FILES.fetch_add(1, AtomicOrdering::Relaxed);
    let path = dir.join(format!("vigil-{what}-{}-{n}.tmp", std::process::id()));
    let file = File::create(&path)?;
    Ok((RemoveOnDrop(path), file))
}

/// The output order, then the input position; the document's text breaks
/// ties (the same alert raised twice: rare, and then mostly equal).
fn output_then_input(a: &Alert, b: &Alert) -> Ordering {
    Alert::output_order(a, b)
        .then_with(|| a.ordinal.cmp(&b.ordinal))
        .then_with(|| {
            if a.document == b.document {
                Ordering::Equal
            } else {
                a.json().cmp(&b.json())
            }
        })
}

/// An alert id as two numbers (it is 64 hex digits in Kibana's scheme);
/// other ids (never made by vigil) are hashed.
pub(crate) type IdKey = (u128, u128);

pub(crate) fn id_key(uuid: &str) -> IdKey {
    let half = |h: Option<&str>| h.and_then(|h| u128::from_str_radix(h, 16).ok());
    match (uuid.len(), half(uuid.get(..32)), half(uuid.get(32..))) {
        (64, Some(a), Some(b)) => (a, b),
        _ => {
            use std::hash::{Hash, Hasher};
            let mut a = std::collections::hash_map::DefaultHasher::new();
            uuid.hash(&mut a);
            let mut b = rustc_hash::FxHasher::default();
            uuid.hash(&mut b);
            (u128::from(a.finish()), u128::from(b.finish()) | (1 << 127))
        }
    }
}

/// Collects alerts; spills sorted runs past the budget.
pub(crate) struct AlertStore {
    budget: usize,
    dir: PathBuf,
    held: Vec<Alert>,
    held_bytes: usize,
    runs: Vec<RunFile>,
    /// Per alert id, the smallest input position seen.
    first: FxHashMap<IdKey, u64>,
    constants: Constants,
    /// Why spilling stopped working (the alerts then stay in memory).
    pub spill_error: Option<String>,
}

impl AlertStore {
    pub fn new(budget: usize, dir: PathBuf) -> Self {
        AlertStore {
            budget,
            dir,
            held: Vec::new(),
            held_bytes: 0,
            runs: Vec::new(),
            first: FxHashMap::default(),
            constants: Constants::default(),
            spill_error: None,
        }
    }

    pub fn add(&mut self, alerts: Vec<Alert>) {
        for mut a in alerts {
            // The document's own part (≈ 3 KB) copied by this thread: held
            // until the next spill, the worker's or shard's copy would pin
            // one of that thread's pages each, on every thread of a run.
            a.document = a.document.copied();
            let key = id_key(&a.uuid);
            let first = self.first.entry(key).or_insert(a.ordinal);
            *first = (*first).min(a.ordinal);
            self.held_bytes += a.document.held_len() + a.reason.len() + 256;
            self.held.push(a);
        }
        if self.held_bytes > self.budget && self.spill_error.is_none() {
            if let Err(e) = self.spill() {
                self.spill_error = Some(format!("{}: {e}", self.dir.display()));
            }
        }
    }

    fn spill(&mut self) -> io::Result<()> {
        self.held.sort_by(output_then_input);
        let (path, out) = temp_file(&self.dir, "alerts")?;
        let file = RunFile {
            path: Arc::new(path),
        };
        // Alerts are long lines (≈ 17 KB): the default 8 KiB buffer would let
        // each go to the file in a write of its own.
        let mut out = BufWriter::with_capacity(1 << 20, out);
        for a in &self.held {
            write_alert(&mut out, a, &mut self.constants)?;
        }
        out.flush()?;
        self.runs.push(file);
        self.held.clear();
        self.held_bytes = 0;
        Ok(())
    }

    pub fn finish(mut self) -> SortedAlerts {
        self.held.sort_by(output_then_input);
        SortedAlerts {
            held: self.held,
            runs: self.runs,
            first: self.first,
            constants: self.constants.list,
        }
    }
}

/// A run file, removed with its last handle.
#[derive(Clone)]
struct RunFile {
    path: Arc<RemoveOnDrop>,
}

#[derive(Debug)]
pub(crate) struct RemoveOnDrop(pub PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The alerts of a run in output order, de-duplicated (see the module docs).
pub struct SortedAlerts {
    held: Vec<Alert>,
    runs: Vec<RunFile>,
    first: FxHashMap<IdKey, u64>,
    /// The constant entries of spilled alerts, by their number in the runs.
    constants: Vec<Fragments>,
}

impl SortedAlerts {
    /// Alerts after de-duplication.
    pub fn len(&self) -> usize {
        self.first.len()
    }

    pub fn is_empty(&self) -> bool {
        self.first.is_empty()
    }

    /// Calls `f` with each alert in output order (may be called again).
    pub fn for_each(&self, mut f: impl FnMut(&Alert) -> io::Result<()>) -> io::Result<()> {
        let mut readers = Vec::with_capacity(self.runs.len());
        for run in &self.runs {
            readers.push(RunReader::open(run)?);
        }
        let mut heads: Vec<Option<Alert>> = Vec::with_capacity(readers.len() + 1);
        for r in &mut readers {
            heads.push(r.next(&self.constants)?);
        }
        let mut held = self.held.iter();
        let mut held_head = held.next();
        // The last alert id written. Alerts with one id and one first input
        // position come from the same rule and the same events, so they have
        // the same original time: the merge order (time, rule, id, position)
        // puts them side by side, and comparing with the last one written is
        // enough to write one of them (no set of every id written).
        let mut emitted: Option<IdKey> = None;
        loop {
            let best = heads
                .iter()
                .enumerate()
                .filter_map(|(i, h)| h.as_ref().map(|a| (i, a)))
                .min_by(|x, y| output_then_input(x.1, y.1).then(x.0.cmp(&y.0)));
            let take_held = match (best, held_head) {
                (None, None) => return Ok(()),
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (Some((_, a)), Some(h)) => output_then_input(h, a) != Ordering::Greater,
            };
            if take_held {
                let Some(a) = held_head else { return Ok(()) };
                self.emit(a, &mut emitted, &mut f)?;
                held_head = held.next();
            } else if let Some((i, _)) = best {
                let a = heads[i].take();
                if let Some(a) = &a {
                    self.emit(a, &mut emitted, &mut f)?;
                }
                heads[i] = readers[i].next(&self.constants)?;
            }
        }
    }

    fn emit(
        &self,
        a: &Alert,
        emitted: &mut Option<IdKey>,
        f: &mut impl FnMut(&Alert) -> io::Result<()>,
    ) -> io::Result<()> {
        let key = id_key(&a.uuid);
        if self.first.get(&key) != Some(&a.ordinal) || *emitted == Some(key) {
            return Ok(());
        }
        *emitted = Some(key);
        f(a)
    }

    /// Every alert, in output order, in memory.
    pub fn into_vec(self) -> io::Result<Vec<Alert>> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each(|a| {
            out.push(a.clone());
            Ok(())
        })?;
        Ok(out)
    }
}

/// The constant parts of spilled alerts, each once, numbered.
#[derive(Default)]
struct Constants {
    list: Vec<Fragments>,
    /// Number by address (the parts are shared, one per rule and kind).
    numbers: FxHashMap<usize, usize>,
}

impl Constants {
    fn number(&mut self, constant: &Fragments) -> usize {
        let list = &mut self.list;
        *self
            .numbers
            .entry(Arc::as_ptr(constant) as usize)
            .or_insert_with(|| {
                list.push(constant.clone());
                list.len() - 1
            })
    }
}

fn write_alert(out: &mut impl Write, a: &Alert, constants: &mut Constants) -> io::Result<()> {
    match a.document.constant() {
        Some(constant) => write!(out, "{}\t", constants.number(constant))?,
        None => out.write_all(b"-\t")?,
    }
    a.document.write_places(out)?;
    out.write_all(b"\t")?;
    let mut head = String::with_capacity(256 + a.reason.len());
    write_head(&mut head, a);
    out.write_all(head.as_bytes())?;
    out.write_all(b"\t")?;
    // The entries are compact JSON: they hold no raw newline or tab.
    out.write_all(a.document.own().as_bytes())?;
    out.write_all(b"\n")
}

/// Separates the shown fields of a run line's head.
const FIELD: char = '\u{1f}';

/// The shown fields of an alert as a run line's head: in the struct's
/// order, separated by [`FIELD`]; text with `\`, tab, newline and
/// [`FIELD`] escaped (so the head holds none of the line's separators);
/// `None` as `-`, `Some` led by `+`; numbers in decimal. Written and read
/// directly: serde_json spent some 17,000 instructions an alert on it.
fn write_head(out: &mut String, a: &Alert) {
    let mut first = true;
    let mut sep = |out: &mut String| {
        if !std::mem::take(&mut first) {
            out.push(FIELD);
        }
    };
    let escaped = |out: &mut String, s: &str| {
        // The escaped bytes are ASCII: the runs between them are whole text.
        let mut start = 0;
        for (i, byte) in s.bytes().enumerate() {
            let escape = match byte {
                b'\\' => "\\\\",
                b'\t' => "\\t",
                b'\n' => "\\n",
                0x1f => "\\u",
                _ => continue,
            };
            out.push_str(&s[start..i]);
            out.push_str(escape);
            start = i + 1;
        }
        out.push_str(&s[start..]);
    };
    let optional = |out: &mut String, s: &Option<String>| match s {
        Some(s) => {
            out.push('+');
            escaped(out, s);
        }
        None => out.push('-'),
    };
    sep(out);
    escaped(out, &a.uuid);
    sep(out);
    out.push_str(&a.rule.to_string());
    sep(out);
    escaped(out, &a.rule_name);
    sep(out);
    escaped(out, &a.rule_id);
    sep(out);
    match a.original_time {
        Some(t) => {
            out.push('+');
            out.push_str(&t.to_string());
        }
        None => out.push('-'),
    }
    sep(out);
    escaped(out, &a.severity);
    sep(out);
    escaped(out, &a.risk_score);
    for field in [
        &a.host_name,
        &a.user_name,
        &a.event_id,
        &a.source_index,
        &a.source_id,
    ] {
        sep(out);
        optional(out, field);
    }
    sep(out);
    out.push(if a.building_block { '1' } else { '0' });
    sep(out);
    optional(out, &a.group_id);
    sep(out);
    escaped(out, &a.reason);
    sep(out);
    out.push_str(&a.ordinal.to_string());
}

/// The alert [`write_head`] wrote (its document left empty); `None` when
/// the head does not read.
fn read_head(head: &str) -> Option<Alert> {
    let mut fields = head.split(FIELD);
    let mut text = || unescape(fields.next()?);
    let uuid = text()?;
    let rule = text()?.parse().ok()?;
    let rule_name: Arc<str> = Arc::from(text()?);
    let rule_id = text()?;
    let original_time = match text()?.as_str() {
        "-" => None,
        t => Some(t.strip_prefix('+')?.parse().ok()?),
    };
    let severity = text()?;
    let risk_score = text()?;
    let optional = |t: String| -> Option<Option<String>> {
        match t.strip_prefix('+') {
            Some(s) => Some(Some(s.to_string())),
            None => (t == "-").then_some(None),
        }
    };
    let host_name = optional(text()?)?;
    let user_name = optional(text()?)?;
    let event_id = optional(text()?)?;
    let source_index = optional(text()?)?;
    let source_id = optional(text()?)?;
    let building_block = match text()?.as_str() {
        "1" => true,
        "0" => false,
        _ => return None,
    };
    let group_id = optional(text()?)?;
    let reason = text()?;
    let ordinal = text()?.parse().ok()?;
    if fields.next().is_some() {
        return None;
    }
    Some(Alert {
        uuid,
        rule,
        rule_name,
        rule_id,
        original_time,
        severity,
        risk_score,
        host_name,
        user_name,
        event_id,
        source_index,
        source_id,
        building_block,
        group_id,
        reason,
        document: Document::default(),
        ordinal,
    })
}

/// Text as [`write_head`] escaped it.
fn unescape(text: &str) -> Option<String> {
    if !text.contains('\\') {
        return Some(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            '\\' => '\\',
            't' => '\t',
            'n' => '\n',
            'u' => FIELD,
            _ => return None,
        });
    }
    Some(out)
}

struct RunReader {
    lines: BufReader<File>,
    line: Vec<u8>,
}

impl RunReader {
    fn open(run: &RunFile) -> io::Result<RunReader> {
        Ok(RunReader {
            lines: BufReader::with_capacity(1 << 16, File::open(&run.path.0)?),
            line: Vec::new(),
        })
    }

    /// The next alert. Lines are found and checked with the event reader's
    /// vectorised routines: an alert line is some 17 KB, and std's
    /// `read_line` searches and validates it a word at a time.
    fn next(&mut self, constants: &[Fragments]) -> io::Result<Option<Alert>> {
        self.line.clear();
        if event::input::read_line(&mut self.lines, &mut self.line)? == 0 {
            return Ok(None);
        }
        let bad = || io::Error::new(io::ErrorKind::InvalidData, "corrupt alert run file");
        let text = event::input::utf8(&self.line).map_err(|_| bad())?;
        let text = text.trim_end_matches('\n');
        let (number, rest) = text.split_once('\t').ok_or_else(bad)?;
        let constant = match number {
            "-" => None,
            n => Some(
                n.parse()
                    .ok()
                    .and_then(|n: usize| constants.get(n))
                    .ok_or_else(bad)?,
            ),
        };
        let (places, rest) = rest.split_once('\t').ok_or_else(bad)?;
        let (head, own) = rest.split_once('\t').ok_or_else(bad)?;
        let mut alert = read_head(head).ok_or_else(bad)?;
        alert.document =
            Document::restore(own.to_string(), places, constant.cloned()).ok_or_else(bad)?;
        Ok(Some(alert))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(uuid: &str, time: Option<i64>, name: &str, ordinal: u64) -> Alert {
        Alert {
            uuid: uuid.to_string(),
            rule: 0,
            rule_name: Arc::from(name),
            rule_id: "r".into(),
            original_time: time,
            severity: "low".into(),
            risk_score: "21".into(),
            host_name: Some("h\t\"x\"".into()),
            user_name: None,
            event_id: None,
            source_index: None,
            source_id: None,
            building_block: false,
            group_id: None,
            reason: "why".into(),
            document: Document::from_object_text(&format!("{{\"n\":{ordinal}}}")),
            ordinal,
        }
    }

    fn uuid(n: u8) -> String {
        format!("{:064x}", n)
    }

    fn sorted(budget: usize, alerts: Vec<Alert>, chunk: usize) -> Vec<Alert> {
        let mut store = AlertStore::new(budget, std::env::temp_dir());
        for part in alerts.chunks(chunk) {
            store.add(part.to_vec());
        }
        assert!(store.spill_error.is_none());
        store.finish().into_vec().unwrap()
    }

    #[test]
    fn spilled_runs_merge_like_a_sort_in_memory() {
        let mut input = Vec::new();
        for i in 0..60u64 {
            let time = (i % 7 != 0).then_some(((i * 37) % 11) as i64);
            input.push(alert(
                &uuid((i % 45) as u8),
                time,
                ["b", "a"][(i % 2) as usize],
                100 - i,
            ));
        }
        let in_memory = sorted(usize::MAX, input.clone(), 60);
        let spilled = sorted(1, input, 7);
        assert_eq!(in_memory.len(), 45);
        assert_eq!(spilled, in_memory);
        // Kept: the smallest input position of each id.
        let kept = in_memory.iter().find(|a| a.uuid == uuid(3)).unwrap();
        assert_eq!(kept.ordinal, 100 - 48);
        let order: Vec<Option<i64>> = in_memory.iter().map(|a| a.original_time).collect();
        let mut expected = order.clone();
        expected.sort_by(crate::multi::missing_last);
        assert_eq!(order, expected);
    }

    /// The same alert raised again (same id, same events: e.g. a sequence
    /// found by two overlapping paths), in memory and in several runs, is
    /// written once; its neighbours are kept.
    #[test]
    fn an_alert_raised_several_times_is_written_once() {
        let twice = |n| alert(&uuid(n), Some(5), "a", 10);
        let input = vec![
            twice(2),
            alert(&uuid(1), Some(5), "a", 3),
            twice(2),
            alert(&uuid(3), Some(5), "a", 4),
            twice(2),
        ];
        for (budget, chunk) in [(usize::MAX, 5), (1, 1), (1, 2)] {
            let got: Vec<String> = sorted(budget, input.clone(), chunk)
                .into_iter()
                .map(|a| a.uuid)
                .collect();
            assert_eq!(
                got,
                [uuid(1), uuid(2), uuid(3)],
                "budget {budget}, chunk {chunk}"
            );
        }
    }

    /// Alerts whose documents share constant parts (two, as of two rules)
    /// come back from the runs with the same text as held in memory.
    #[test]
    fn spilled_documents_get_their_constant_part_back() {
        use crate::alert::{AlertDoc, Fragment};
        use serde_json::json;
        let constants: Vec<Fragments> = ["m", "b"]
            .iter()
            .map(|k| Arc::new(vec![Fragment::new(k, &json!({"rule": k}))]))
            .collect();
        let input: Vec<Alert> = (0..20u64)
            .map(|i| {
                let mut a = alert(&uuid(i as u8), Some(i as i64 % 3), "a", i);
                let doc = AlertDoc {
                    fields: json!({"a": i, "n": "x\ty"}).as_object().unwrap().clone(),
                    constant: constants[i as usize % 2].clone(),
                };
                a.document = doc.to_document();
                a
            })
            .collect();
        let in_memory = sorted(usize::MAX, input.clone(), 20);
        let spilled = sorted(1, input, 3);
        assert_eq!(spilled, in_memory);
        let texts: Vec<String> = spilled.iter().map(Alert::json).collect();
        assert_eq!(texts[0], r#"{"a":0,"m":{"rule":"m"},"n":"x\ty"}"#);
        assert_eq!(texts[1], r#"{"a":3,"b":{"rule":"b"},"n":"x\ty"}"#);
    }

    /// Every shown field comes back from a run line's head as it was:
    /// separators, escapes and their look-alikes in the text, `None` and
    /// `Some("")` and `Some("-")`, extreme numbers.
    #[test]
    fn heads_give_back_the_shown_fields() {
        let nasty = [
            "",
            "-",
            "+",
            "plain",
            "tab\there",
            "line\nbreak\r\n",
            "back\\slash \\t \\u \\n",
            "unit\u{1f}sep",
            "\"quoted\" é 中文 😀",
        ];
        for (i, text) in nasty.iter().enumerate() {
            let mut a = alert(&uuid(i as u8), None, text, u64::MAX - i as u64);
            a.rule = u32::MAX - i as u32;
            a.rule_id = text.to_string();
            a.severity = text.to_string();
            a.risk_score = text.to_string();
            a.reason = format!("{text}{text}");
            a.original_time = [None, Some(i64::MIN), Some(-1), Some(0), Some(i64::MAX)][i % 5];
            a.host_name = Some(text.to_string());
            a.user_name = (i % 2 == 0).then(|| text.to_string());
            a.event_id = Some(String::new());
            a.source_index = Some("-".into());
            a.source_id = None;
            a.building_block = i % 2 == 1;
            a.group_id = (i % 3 != 0).then(|| text.to_string());
            let mut head = String::new();
            write_head(&mut head, &a);
            assert!(!head.contains(['\t', '\n']), "{head:?}");
            let back = read_head(&head).unwrap();
            a.document = Document::default();
            assert_eq!(back, a, "{head:?}");
        }
        assert!(read_head("").is_none());
        assert!(read_head("a\u{1f}1").is_none());
    }

    #[test]
    fn run_files_are_removed() {
        let mut store = AlertStore::new(1, std::env::temp_dir());
        store.add(vec![alert(&uuid(1), Some(1), "a", 1)]);
        let path = store.runs[0].path.0.clone();
        assert!(path.exists());
        drop(store.finish());
        assert!(!path.exists());
    }
}
