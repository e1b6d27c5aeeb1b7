//! A per-worker memo of the prefilter's text lookups: for a field value seen
//! recently, the mark bits its exact and partial-literal lookups set, as
//! (word, mask) pairs ready to OR into the mark bitset.
//!
//! What a value marks depends only on its field and its text, and event
//! streams repeat both heavily (a host runs the same few hundred programs,
//! with the same command lines, parents and paths), while walking a field's
//! Aho-Corasick automaton touches a new cache line per byte or two. A hit
//! costs one probe by a key read at fixed places of the text ([`key_of`];
//! the lookups' hash of the whole text is computed only on a miss) and one
//! comparison of the text, then one OR per bitset word the value marks (no
//! unit lists are read; the first word is kept in the entry itself). The
//! memo is direct-mapped, a fixed number of one-cache-line entries; a miss
//! replaces an entry's text and further words (reallocated only when their
//! length differs). Its heap is counted, and past [`BUDGET`] bytes (values
//! that mark many words, long texts) it is emptied and starts again: its
//! memory is bounded whatever the input.

use std::sync::atomic::{AtomicU64, Ordering};

/// Entries of a memo with the default budget (a power of two).
const ENTRIES: usize = 16384;

/// Fewest entries, whatever the budget.
const MIN_ENTRIES: usize = 1024;

/// Longer texts are looked up directly, never kept.
pub const MAX_TEXT: usize = 512;

/// Heap bytes of the memo (entries, texts and mark words) past which it is
/// emptied, by default ([`MarkMemo::with_budget`] sets another). The
/// generated workload's values take ≈ 3.2 MB.
pub const BUDGET: usize = 6 << 20;

/// Budget bytes per entry when the budget sets the number of entries (the
/// default: 384 bytes per entry, 16,384 entries in 6 MiB).
const BYTES_PER_ENTRY: usize = BUDGET / ENTRIES;

/// Bits of the mark bitset: (word index, mask).
pub type MarkWord = (u32, u64);

/// One remembered value: its field, text, and the bits it marks, by word,
/// each word once. One cache line: most values mark at most one word, and
/// that word is kept in the entry (a hit then reads the entry and the text,
/// not a third line for the words), the others in `more`.
#[derive(Debug, Default)]
#[repr(C, align(64))]
struct Entry {
    /// `key + 1` of the value held (0: empty).
    tag: u64,
    field: u32,
    /// The first word marked, `(0, 0)` (no bit) when none.
    first: MarkWord,
    text: Box<[u8]>,
    more: Box<[MarkWord]>,
}

/// A remembered value's mark bits: `first` (no bit when none), then `more`.
#[derive(Debug, Clone, Copy)]
pub struct Marks<'m> {
    pub first: MarkWord,
    pub more: &'m [MarkWord],
}

/// The memo (see the module docs). `Default` is empty; entries are
/// allocated on first use.
#[derive(Debug, Default)]
pub struct MarkMemo {
    /// The prefilter whose lookups the entries hold ([`owner_id`]).
    owner: u64,
    entries: Vec<Entry>,
    /// The words of the value being looked up ([`Pending::words`]).
    words: Vec<MarkWord>,
    /// Heap bytes of `entries` and their buffers.
    bytes: usize,
    /// Past this many heap bytes the memo is emptied (0: [`BUDGET`]).
    budget: usize,
    hits: u64,
    misses: u64,
    /// Times the memo was emptied for its budget.
    resets: u64,
}

/// What a lookup in the memo found.
pub enum Found<'m> {
    /// The value's mark bits, remembered.
    Hit(Marks<'m>),
    /// Not remembered: the caller pushes the value's mark bits into
    /// [`Pending::words`], then calls [`Pending::finish`].
    Miss(Pending<'m>),
}

/// An entry being filled with a new value's mark bits.
pub struct Pending<'m> {
    memo: &'m mut MarkMemo,
    slot: usize,
    /// The value's tag, set on the entry by [`Pending::finish`] (an entry
    /// left unfinished stays empty).
    tag: u64,
    /// The entry's buffer bytes before it was refilled.
    bytes_before: usize,
}

impl Pending<'_> {
    /// The entry's mark bits (empty at first), in any order, repeats allowed.
    pub fn words(&mut self) -> &mut Vec<MarkWord> {
        &mut self.memo.words
    }

    /// Keeps the words (sorted by word, one pair per word) for the value
    /// and counts the entry's heap; empties the memo past its budget.
    pub fn finish(self) {
        let memo = self.memo;
        let words = &mut memo.words;
        merge(words);
        let entry = &mut memo.entries[self.slot];
        entry.first = words.first().copied().unwrap_or((0, 0));
        let more = words.get(1..).unwrap_or_default();
        if entry.more.len() == more.len() {
            entry.more.copy_from_slice(more);
        } else {
            entry.more = more.into();
        }
        words.clear();
        entry.tag = self.tag;
        memo.bytes = memo.bytes.saturating_sub(self.bytes_before) + entry.heap_bytes();
        if memo.bytes > memo.budget() {
            memo.entries = Vec::new();
            memo.bytes = 0;
            memo.resets += 1;
        }
    }
}

impl Entry {
    fn heap_bytes(&self) -> usize {
        self.text.len() + self.more.len() * std::mem::size_of::<MarkWord>()
    }
}

/// The memo's key of a text. Up to 40 bytes: its length and five 8-byte
/// words read at fixed fractions of it (first, last, three between: every
/// byte), mixed, without a loop. Longer texts (command lines, paths that
/// differ in a few middle bytes) are hashed word by word. Unlike the
/// prefilter's lookup hash ([`super::literals::hash_and_ascii`], computed
/// only on a miss) it neither folds case nor tells ASCII text, so a hit,
/// the common case, costs a few loads and multiplications. ASCII case is
/// kept, so that case variants (`C:\\Windows\\…`, `C:\\WINDOWS\\…`) do
/// not evict each other.
#[inline(always)]
pub fn key_of(text: &str) -> u64 {
    let b = text.as_bytes();
    let n = b.len();
    let Some(last) = b.last_chunk::<8>() else {
        return finish(short_word(b) ^ (n as u64) << 59);
    };
    let last = u64::from_le_bytes(*last);
    if n > 40 {
        return long_key(b, last);
    }
    // Words at 0, s, 2s, 3s (at most n - 8) and n - 8: s ≤ 8 apart.
    let step = (n - 8).div_ceil(4);
    let word = |k: usize| {
        b.get((k * step).min(n - 8)..)
            .and_then(|r| r.first_chunk::<8>())
            .map_or(0, |w| u64::from_le_bytes(*w))
    };
    let ends = (word(0) ^ n as u64).wrapping_mul(K1) ^ last.rotate_left(32);
    let inner = word(1).rotate_left(21) ^ word(3).rotate_left(43);
    finish((ends.wrapping_mul(K2) ^ inner).wrapping_mul(K1) ^ word(2))
}

/// Spreads every bit of `h` over the whole word (the memo takes its slot
/// from the high bits).
#[inline(always)]
fn finish(h: u64) -> u64 {
    let h = (h ^ h >> 32).wrapping_mul(K2);
    h ^ h >> 29
}

const K1: u64 = 0x9e37_79b9_7f4a_7c15;
const K2: u64 = 0xf135_7aea_2e62_a9c5;

/// [`key_of`] of a text over 40 bytes whose last 8 bytes are `last`: each
/// word mixed in turn.
#[inline(never)]
fn long_key(b: &[u8], last: u64) -> u64 {
    let mut h = (b.len() as u64).wrapping_mul(K1) ^ last;
    for c in b.chunks_exact(8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(26) ^ u64::from_le_bytes(w)).wrapping_mul(K2);
    }
    finish(h)
}

/// The bytes of a text shorter than 8 bytes as one word (all of them, or
/// for 1–3 bytes the first, middle and last), with at most two loads.
#[inline(always)]
fn short_word(b: &[u8]) -> u64 {
    let n = b.len();
    match (b.first_chunk::<4>(), b.last_chunk::<4>()) {
        (Some(first), Some(last)) => {
            u64::from(u32::from_le_bytes(*first)) | u64::from(u32::from_le_bytes(*last)) << 32
        }
        _ if n > 0 => u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16,
        _ => 0,
    }
}

/// Sorts `words` by word and ORs the masks of each word into one pair.
fn merge(words: &mut Vec<MarkWord>) {
    words.sort_unstable_by_key(|w| w.0);
    let mut kept = 0;
    for i in 0..words.len() {
        if kept > 0 && words[kept - 1].0 == words[i].0 {
            words[kept - 1].1 |= words[i].1;
        } else {
            words[kept] = words[i];
            kept += 1;
        }
    }
    words.truncate(kept);
}

/// A new prefilter identity (never 0, the empty memo's).
pub fn owner_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl MarkMemo {
    /// An empty memo that keeps within `bytes` of heap (at least what
    /// [`MIN_ENTRIES`] entries take): fewer entries for a smaller budget,
    /// [`ENTRIES`] at most. Workers of a run share a total this way.
    pub fn with_budget(bytes: usize) -> MarkMemo {
        MarkMemo {
            budget: bytes.max(MIN_ENTRIES * BYTES_PER_ENTRY),
            ..MarkMemo::default()
        }
    }

    fn budget(&self) -> usize {
        if self.budget == 0 {
            BUDGET
        } else {
            self.budget
        }
    }

    /// Entries for the budget: a power of two, [`MIN_ENTRIES`] to [`ENTRIES`].
    fn entry_count(&self) -> usize {
        let fit = (self.budget() / BYTES_PER_ENTRY).clamp(MIN_ENTRIES, ENTRIES);
        1 << fit.ilog2()
    }

    /// Readies the memo for the lookups of prefilter `owner`, forgetting
    /// another prefilter's entries.
    #[inline]
    pub fn serve(&mut self, owner: u64) {
        if self.owner != owner {
            self.owner = owner;
            self.entries.iter_mut().for_each(|e| e.tag = 0);
        }
    }

    /// The entry for `text` of the field at `field` (its prefilter slot),
    /// whose [`key_of`] is `key`.
    #[inline]
    pub fn find(&mut self, field: u32, key: u64, text: &str) -> Found<'_> {
        if self.entries.is_empty() {
            let n = self.entry_count();
            self.entries.resize_with(n, Entry::default);
            self.bytes = n * std::mem::size_of::<Entry>();
        }
        let key = (key ^ u64::from(field).wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .wrapping_mul(0xf135_7aea_2e62_a9c5);
        let slot = (key >> 40) as usize & (self.entries.len() - 1);
        let tag = key.wrapping_add(1).max(1);
        let entry = &self.entries[slot];
        if entry.tag == tag
            && entry.field == field
            && crate::compiled::strings::same_bytes(&entry.text, text.as_bytes())
        {
            self.hits += 1;
            let entry = &self.entries[slot];
            return Found::Hit(Marks {
                first: entry.first,
                more: &entry.more,
            });
        }
        self.misses += 1;
        self.words.clear();
        let entry = &mut self.entries[slot];
        let bytes_before = entry.heap_bytes();
        entry.tag = 0;
        entry.field = field;
        if entry.text.len() == text.len() {
            entry.text.copy_from_slice(text.as_bytes());
        } else {
            entry.text = text.as_bytes().into();
        }
        Found::Miss(Pending {
            memo: self,
            slot,
            tag,
            bytes_before,
        })
    }

    /// Lookups answered from the memo and lookups that were not.
    pub fn counts(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }

    /// Heap bytes the memo holds, and the times it was emptied for its
    /// budget.
    pub fn usage(&self) -> (usize, u64) {
        (self.bytes, self.resets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(memo: &mut MarkMemo, field: u32, text: &str, lists: &[u32]) -> bool {
        let lists: Vec<MarkWord> = lists.iter().map(|&l| (l, 1)).collect();
        match memo.find(field, key_of(text), text) {
            Found::Hit(m) => {
                let mut got: Vec<MarkWord> = m.more.to_vec();
                if m.first.1 != 0 {
                    got.insert(0, m.first);
                }
                assert_eq!(got, lists);
                true
            }
            Found::Miss(mut pending) => {
                pending.words().extend_from_slice(&lists);
                pending.finish();
                false
            }
        }
    }

    #[test]
    fn remembers_by_field_and_exact_text() {
        let mut memo = MarkMemo::default();
        assert!(!fill(&mut memo, 1, "C:\\Windows\\cmd.exe", &[3, 4]));
        assert!(fill(&mut memo, 1, "C:\\Windows\\cmd.exe", &[3, 4]));
        // The same text but for ASCII case: not a hit.
        assert!(!fill(&mut memo, 1, "C:\\WINDOWS\\CMD.EXE", &[5]));
        assert!(fill(&mut memo, 1, "C:\\WINDOWS\\CMD.EXE", &[5]));
        // … and both stay (case variants do not share an entry).
        assert!(fill(&mut memo, 1, "C:\\Windows\\cmd.exe", &[3, 4]));
        // Another field with the same text is another value.
        assert!(!fill(&mut memo, 2, "C:\\WINDOWS\\CMD.EXE", &[]));
        assert!(fill(&mut memo, 2, "C:\\WINDOWS\\CMD.EXE", &[]));
        assert_eq!(memo.counts(), (4, 3));
    }

    #[test]
    fn the_key_reads_every_byte_of_a_text() {
        for n in 0..=80usize {
            let text: Vec<u8> = (0..n as u8).map(|b| b'a' + b % 26).collect();
            let key = key_of(std::str::from_utf8(&text).unwrap());
            for at in 0..n {
                let mut other = text.clone();
                other[at] = b'#';
                let changed = key_of(std::str::from_utf8(&other).unwrap());
                assert_ne!(changed, key, "{n} bytes, byte {at}");
            }
        }
        assert_ne!(key_of(""), key_of("\0"));
        assert_ne!(key_of("ab"), key_of("abb"));
    }

    #[test]
    fn an_unfinished_entry_is_not_a_hit() {
        let mut memo = MarkMemo::default();
        let text = "C:\\Windows\\cmd.exe";
        match memo.find(1, key_of(text), text) {
            Found::Miss(mut pending) => pending.words().push((0, 1)),
            Found::Hit(_) => panic!("empty memo"),
        }
        assert!(!fill(&mut memo, 1, text, &[2]));
        assert!(fill(&mut memo, 1, text, &[2]));
    }

    #[test]
    fn past_its_budget_the_memo_starts_again() {
        let mut memo = MarkMemo::default();
        // Values marking 400 words each: ≈ 6.4 KB of words per entry.
        let many: Vec<u32> = (0..400).collect();
        let mut resets_seen = false;
        for i in 0..2_000u32 {
            let text = format!("value number {i}");
            assert!(!fill(&mut memo, 0, &text, &many));
            let (bytes, resets) = memo.usage();
            assert!(bytes <= BUDGET, "{bytes} bytes");
            resets_seen |= resets > 0;
        }
        assert!(resets_seen);
        // A smaller budget: fewer entries, and the same bound.
        let mut small = MarkMemo::with_budget(1 << 20);
        for i in 0..500u32 {
            assert!(!fill(&mut small, 0, &format!("value number {i}"), &many));
            assert!(small.usage().0 <= 1 << 20, "{:?}", small.usage());
        }
        assert_eq!(small.entries.len(), 2048);
        assert_eq!(MarkMemo::with_budget(0).entry_count(), MIN_ENTRIES);
        assert_eq!(MarkMemo::default().entry_count(), ENTRIES);
        // Still answering right after a reset.
        assert!(!fill(&mut memo, 0, "again", &[1, 2]));
        assert!(fill(&mut memo, 0, "again", &[1, 2]));
    }

    #[test]
    fn merge_ors_the_masks_of_each_word() {
        let mut words = vec![(3, 0b01), (1, 0b1), (3, 0b10), (1, 0b1), (0, 0b100)];
        merge(&mut words);
        assert_eq!(words, [(0, 0b100), (1, 0b1), (3, 0b11)]);
        let mut none = vec![];
        merge(&mut none);
        assert!(none.is_empty());
    }

    #[test]
    fn another_prefilters_entries_are_forgotten() {
        let mut memo = MarkMemo::default();
        memo.serve(owner_id());
        assert!(!fill(&mut memo, 1, "C:\\Windows\\cmd.exe", &[3]));
        assert!(fill(&mut memo, 1, "C:\\Windows\\cmd.exe", &[3]));
        memo.serve(owner_id());
        assert!(!fill(&mut memo, 1, "C:\\Windows\\cmd.exe", &[7]));
        assert!(fill(&mut memo, 1, "C:\\Windows\\cmd.exe", &[7]));
    }

    #[test]
    fn an_evicted_value_is_looked_up_again() {
        let mut memo = MarkMemo::default();
        let texts: Vec<String> = (0..4 * ENTRIES).map(|i| format!("v{i}")).collect();
        for (i, t) in texts.iter().enumerate() {
            fill(&mut memo, 0, t, &[i as u32]);
        }
        // Every answer, hit or miss, is the value's own lists.
        for (i, t) in texts.iter().enumerate() {
            fill(&mut memo, 0, t, &[i as u32]);
        }
        let (hits, misses) = memo.counts();
        assert_eq!(hits + misses, 8 * ENTRIES as u64);
        assert!(misses > 4 * ENTRIES as u64, "{hits} hits");
    }
}
