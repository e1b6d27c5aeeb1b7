//! The literal prefilter of a rule set: every *unit* (a rule's event query, or
//! one stage / `until` of a sequence or sample) has up to
//! [`atoms::MAX_SETS`] independent sets of necessary atoms ([`atoms`]), each
//! in its own *slot*; the atoms of all units are indexed per field, and an
//! event's values are looked up once each to mark, per slot, the units one of
//! whose atoms holds. A unit is a candidate when every slot it uses is marked
//! (units without sets are always candidates). Only candidates are evaluated
//! in full, which is exact because every set is a necessary condition.
//!
//! Marks are bits: slot `s` of unit `u` is bit `s * W * 64 + u` of the mark
//! bitset (`W` words per slot). A unit list with many units (a
//! low-cardinality value such as `event.category: process`) is kept as a
//! dense bitset ORed in whole.
//!
//! Per field the index holds ([`literals`]):
//!
//! - one hash map of exact values, case-sensitive and case-folded → units;
//! - one Aho-Corasick automaton over the prefix / suffix / substring literals of
//!   both case modes (the position of a match decides prefix and suffix);
//! - the units that need only the field to exist, and the *loose* units
//!   (atoms on unmapped fields) any non-string value marks.
//!
//! Values are seen as their keyword string ([`event::Value::keyword`]);
//! ASCII text is compared with both case modes at once, other text is folded
//! with [`event::fold::fold_case`] for the case-insensitive literals (both
//! computed once per event by the [`View`], which the compiled predicates
//! reuse). What a field's text marks is remembered per worker ([`memo`]):
//! event streams repeat values, and a repeated value costs one probe instead
//! of its lookups and automaton walk.

pub mod atoms;
pub mod literals;
pub mod memo;

use crate::compiled::view::View;
use atoms::{Atom, Necessary, Shape};
use event::{FieldId, Value};
use literals::{ExactMap, Mode, Scanner, Target};
use memo::{Found, MarkMemo};
use rustc_hash::FxHashMap;

/// Index of a unit in the prefilter (units are numbered by the caller).
pub type UnitId = u32;

/// A bit of the mark bitset: a unit in one slot.
type Bit = u32;

/// Units (slot bits) one atom marks.
#[derive(Debug)]
enum List {
    Sparse(Box<[Bit]>),
    /// Words of the mark bitset from `first` on.
    Dense {
        first: u32,
        words: Box<[u64]>,
    },
}

/// Lists with more bits than this are dense.
const DENSE_FROM: usize = 48;

impl List {
    fn new(mut bits: Vec<Bit>) -> List {
        bits.sort_unstable();
        bits.dedup();
        match (bits.first(), bits.last()) {
            (Some(&lo), Some(&hi)) if bits.len() > DENSE_FROM => {
                let first = lo / 64;
                let mut words = vec![0u64; (hi / 64 - first + 1) as usize];
                for b in bits {
                    words[(b / 64 - first) as usize] |= 1 << (b % 64);
                }
                List::Dense {
                    first,
                    words: words.into(),
                }
            }
            _ => List::Sparse(bits.into()),
        }
    }

    /// Pushes the list's bits as (word, mask) pairs.
    fn words(&self, out: &mut Vec<memo::MarkWord>) {
        match self {
            List::Sparse(bits) => out.extend(bits.iter().map(|&b| (b / 64, 1u64 << (b % 64)))),
            List::Dense { first, words } => out.extend(
                (*first..)
                    .zip(words.iter().copied())
                    .filter(|&(_, w)| w != 0),
            ),
        }
    }

    #[inline]
    fn mark(&self, marked: &mut [u64]) {
        match self {
            List::Sparse(bits) => {
                for &b in bits.iter() {
                    marked[(b / 64) as usize] |= 1 << (b % 64);
                }
            }
            List::Dense { first, words } => {
                let dst = &mut marked[*first as usize..*first as usize + words.len()];
                for (d, w) in dst.iter_mut().zip(words.iter()) {
                    *d |= *w;
                }
            }
        }
    }
}

/// Index of a unit list.
type ListId = u32;

/// Per-field lookups (see the module docs).
#[derive(Debug)]
struct FieldIndex {
    exists: Option<ListId>,
    loose: Option<ListId>,
    exact: ExactMap<ListId>,
    /// Boxed: the index stays small, the scanner is read only when present.
    scanner: Option<Box<Scanner<ListId>>>,
}

impl FieldIndex {
    fn needs_text(&self) -> bool {
        !self.exact.is_empty() || self.scanner.is_some()
    }

    fn any_insensitive(&self) -> bool {
        self.exact.any_insensitive() || self.scanner.as_ref().is_some_and(|s| s.any_insensitive())
    }
}

/// The compiled prefilter.
#[derive(Debug, Default)]
pub struct Prefilter {
    /// By `FieldId` index: the field's position in `fields`, or `NONE`.
    field_slot: Vec<u32>,
    fields: Vec<FieldIndex>,
    lists: Vec<List>,
    /// Per slot, the units that use no set there (slot-major, like marks).
    free: Vec<u64>,
    units: usize,
    /// Units that can never match (a set without atoms).
    never: usize,
    /// Tells this prefilter's memo entries from another's ([`MarkMemo`]).
    id: u64,
}

const NONE: u32 = u32::MAX;

/// What the prefilter made of the units (for benchmarks and reports).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrefilterStats {
    pub units: usize,
    /// Units evaluated on every event of their route.
    pub always: usize,
    /// Units that can never match.
    pub never: usize,
    pub indexed_fields: usize,
    pub exact_values: usize,
    pub partial_literals: usize,
    /// Heap bytes of the partial literals' automata (all fields).
    pub scanner_bytes: usize,
    /// The largest automaton's heap bytes.
    pub largest_scanner_bytes: usize,
}

impl Prefilter {
    /// Indexes the units' necessary sets: `units[i]` belongs to unit `i`
    /// (empty: always a candidate; sets past [`atoms::MAX_SETS`] are ignored).
    pub fn build(units: &[Vec<Necessary>]) -> Prefilter {
        Prefilter::build_on(units, 1)
    }

    /// [`Prefilter::build`] with the fields' lookups (automata) built on up
    /// to `threads` threads; the prefilter does not depend on the count.
    pub fn build_on(units: &[Vec<Necessary>], threads: usize) -> Prefilter {
        let n = units.len();
        let w = words(n);
        let mut b = Builder::default();
        let mut free = vec![0u64; w * atoms::MAX_SETS];
        let mut never = 0;
        for (u, sets) in units.iter().enumerate() {
            never += usize::from(sets.iter().any(|s| s.atoms.is_empty()));
            for slot in 0..atoms::MAX_SETS {
                let bit = (slot * w * 64 + u) as Bit;
                match sets.get(slot) {
                    None => free[(bit / 64) as usize] |= 1 << (bit % 64),
                    Some(set) => set.atoms.iter().for_each(|a| b.add(a, bit)),
                }
            }
        }
        let mut p = b.finish(free, n, threads);
        p.never = never;
        p
    }

    /// Number of bitset words of the unit bitsets (routes, candidates).
    pub fn words(&self) -> usize {
        words(self.units)
    }

    /// Number of words of the mark bitset ([`Prefilter::mark`]).
    pub fn mark_words(&self) -> usize {
        self.words() * atoms::MAX_SETS
    }

    /// Word `w` of the candidate units given the marks: units every slot of
    /// which is marked or free.
    #[inline]
    pub fn candidates(&self, marked: &[u64], w: usize) -> u64 {
        let words = self.words();
        let mut bits = u64::MAX;
        for slot in 0..atoms::MAX_SETS {
            let i = slot * words + w;
            bits &= marked[i] | self.free[i];
        }
        bits
    }

    /// The candidate units of `route` (a unit bitset) given the marks, all
    /// words at once into `out`: [`Prefilter::candidates`] of each word
    /// ANDed with the route's, in one pass over contiguous words that reads
    /// every slot's marks (no bounds check per word, vectorizable; one loop,
    /// not one per slot, so one loop exit to predict). `marked` holds
    /// [`Prefilter::mark_words`] words; were it shorter, every unit of the
    /// route would be a candidate (evaluated in full, so still exact).
    #[inline]
    pub fn candidates_in(&self, marked: &[u64], route: &[u64], out: &mut Vec<u64>) {
        let words = self.words();
        // The same length from one event to the next: nothing to fill or
        // copy, the pass writes every word.
        let n = words.min(route.len());
        out.resize(n, 0);
        if words <= 1 {
            // A set of up to 64 units: one word, without the pass's setup.
            if let (Some(o), Some(&r)) = (out.first_mut(), route.first()) {
                *o = r & self.candidates(marked, 0);
            }
            return;
        }
        const _: () = assert!(atoms::MAX_SETS == 3, "one pass reads three slots");
        fn slot(bits: &[u64], s: usize, words: usize, n: usize) -> Option<&[u64]> {
            bits.get(s * words..s * words + n)
        }
        let slot = |bits, s| slot(bits, s, words, n);
        let free = &self.free;
        let (Some(m0), Some(m1), Some(m2), Some(f0), Some(f1), Some(f2)) = (
            slot(marked, 0),
            slot(marked, 1),
            slot(marked, 2),
            slot(free, 0),
            slot(free, 1),
            slot(free, 2),
        ) else {
            out.copy_from_slice(&route[..n]);
            return;
        };
        let (out, route) = (&mut out[..n], &route[..n]);
        for i in 0..n {
            out[i] = route[i] & (m0[i] | f0[i]) & (m1[i] | f1[i]) & (m2[i] | f2[i]);
        }
    }

    /// Sets in `marked` (a bitset of [`Prefilter::mark_words`] words,
    /// cleared by the caller) the unit slots one of whose atoms holds on the
    /// view's event. `memo` remembers what recent field values marked.
    pub fn mark(&self, view: &mut View<'_, '_, '_>, marked: &mut [u64], memo: &mut MarkMemo) {
        memo.serve(self.id);
        let entries = view.event().entries();
        for (i, (field, value)) in entries.iter().enumerate() {
            let slot = self.field_slot.get(field.index()).copied().unwrap_or(NONE);
            if slot == NONE {
                continue;
            }
            let index = &self.fields[slot as usize];
            if let Some(l) = index.exists {
                self.lists[l as usize].mark(marked);
            }
            if let (Some(l), false) = (index.loose, matches!(value, Value::Str(_))) {
                self.lists[l as usize].mark(marked);
            }
            if index.needs_text() {
                self.mark_text(slot, view, i, marked, memo);
            }
        }
    }

    /// Marks what value `i`'s text reaches: from `memo` when the value was
    /// seen recently, else by its lookups (remembered for next time; texts
    /// over [`memo::MAX_TEXT`] bytes are always looked up). The lookups'
    /// hash of the whole text is computed only for those: a hit reads the
    /// text at a few fixed places ([`memo::key_of`]) and compares it.
    fn mark_text(
        &self,
        slot: u32,
        view: &mut View<'_, '_, '_>,
        i: usize,
        marked: &mut [u64],
        memo: &mut MarkMemo,
    ) {
        let index = &self.fields[slot as usize];
        let lists = &self.lists;
        let text = view.text(i);
        if text.len() > memo::MAX_TEXT {
            let hashed = literals::hash_and_ascii(text);
            let mut mark = |l: ListId| lists[l as usize].mark(marked);
            return self.lookup_text(index, view, i, hashed, &mut mark);
        }
        match memo.find(slot, memo::key_of(text), text) {
            Found::Hit(marks) => {
                // No branch on whether the value marks a word: `first` is
                // then `(0, 0)`, an OR of nothing.
                if let Some(m) = marked.get_mut(marks.first.0 as usize) {
                    *m |= marks.first.1;
                }
                for &(w, mask) in marks.more {
                    marked[w as usize] |= mask;
                }
            }
            Found::Miss(mut pending) => {
                // Read again rather than kept: keeping `text` alive across
                // `memo.find` cost ≈ 85 instructions per event in `mark`
                // (callgrind, catalogue), a miss being the rare path.
                let hashed = literals::hash_and_ascii(view.text(i));
                let words = pending.words();
                let mut mark = |l: ListId| {
                    lists[l as usize].words(words);
                    lists[l as usize].mark(marked);
                };
                self.lookup_text(index, view, i, hashed, &mut mark);
                pending.finish();
            }
        }
    }

    /// Calls `mark` for each list value `i`'s text reaches in `index`;
    /// `(hash, ascii)` is its [`literals::hash_and_ascii`].
    fn lookup_text(
        &self,
        index: &FieldIndex,
        view: &mut View<'_, '_, '_>,
        i: usize,
        (hash, ascii): (u64, bool),
        mut mark: impl FnMut(ListId),
    ) {
        let text = view.text(i);
        let mode = if ascii { Mode::Both } else { Mode::Sensitive };
        index.exact.lookup_hashed(hash, text, mode, &mut mark);
        if let Some(s) = &index.scanner {
            s.scan(text, mode, &mut mark);
        }
        if mode == Mode::Both || !index.any_insensitive() {
            return;
        }
        let folded = view.folded(i);
        index.exact.lookup(folded, Mode::Insensitive, &mut mark);
        if let Some(s) = &index.scanner {
            s.scan(folded, Mode::Insensitive, &mut mark);
        }
    }

    pub fn stats(&self) -> PrefilterStats {
        let w = self.words();
        let always = (0..w)
            .map(|i| {
                (0..atoms::MAX_SETS)
                    .map(|s| self.free[s * w + i])
                    .fold(u64::MAX, |a, b| a & b)
                    .count_ones() as usize
            })
            .sum();
        PrefilterStats {
            units: self.units,
            always,
            never: self.never,
            indexed_fields: self.fields.len(),
            exact_values: self.fields.iter().map(|f| f.exact.len()).sum(),
            partial_literals: self.scanners().map(|s| s.len()).sum(),
            scanner_bytes: self.scanners().map(|s| s.memory_usage()).sum(),
            largest_scanner_bytes: self.scanners().map(|s| s.memory_usage()).max().unwrap_or(0),
        }
    }

    fn scanners(&self) -> impl Iterator<Item = &Scanner<ListId>> {
        self.fields.iter().filter_map(|f| f.scanner.as_deref())
    }
}

/// Bitset words for `n` bits.
pub fn words(n: usize) -> usize {
    n.div_ceil(64)
}

/// Collects atoms per field, then builds the lookups.
#[derive(Debug, Default)]
struct Builder {
    by_field: FxHashMap<FieldId, FieldBuilder>,
    lists: Vec<Vec<Bit>>,
}

#[derive(Debug, Default)]
struct FieldBuilder {
    exists: Option<ListId>,
    loose: Option<ListId>,
    /// (value, case-insensitive) → list.
    exact: FxHashMap<(String, bool), ListId>,
    /// Literal → targets.
    partial: FxHashMap<String, Vec<Target<ListId>>>,
}

impl Builder {
    fn add(&mut self, atom: &Atom, unit: Bit) {
        let lists = &mut self.lists;
        let f = self.by_field.entry(atom.field()).or_default();
        let mut push = |slot: &mut Option<ListId>| {
            let l = *slot.get_or_insert_with(|| new_list(lists));
            lists[l as usize].push(unit);
        };
        match atom {
            Atom::Exists { .. } => push(&mut f.exists),
            Atom::Literal {
                shape,
                text,
                case_insensitive,
                loose,
                ..
            } => {
                if *loose {
                    push(&mut f.loose);
                }
                let ci = *case_insensitive;
                let l = match shape {
                    Shape::Exact => *f
                        .exact
                        .entry((text.clone(), ci))
                        .or_insert_with(|| new_list(lists)),
                    _ => {
                        let targets = f.partial.entry(text.clone()).or_default();
                        let same =
                            |t: &&Target<ListId>| t.shape == *shape && t.case_insensitive == ci;
                        match targets.iter().find(same) {
                            Some(t) => t.target,
                            None => {
                                let l = new_list(lists);
                                targets.push(Target {
                                    case_insensitive: ci,
                                    shape: *shape,
                                    target: l,
                                });
                                l
                            }
                        }
                    }
                };
                lists[l as usize].push(unit);
            }
        }
    }

    fn finish(self, mut free: Vec<u64>, units: usize, threads: usize) -> Prefilter {
        let Builder { by_field, lists } = self;
        let mut by_field: Vec<(FieldId, FieldBuilder)> = by_field.into_iter().collect();
        by_field.sort_by_key(|(f, _)| *f);
        let mut field_slot = vec![NONE; by_field.last().map_or(0, |(f, _)| f.index() + 1)];
        let built = crate::par::map(by_field, threads, |(field, fb)| (field, build_field(fb)));
        let mut fields = Vec::with_capacity(built.len());
        for (field, (index, unscanned)) in built {
            field_slot[field.index()] = fields.len() as u32;
            // No automaton: its units can no longer be ruled out.
            for t in unscanned.iter().flat_map(|(_, ts)| ts) {
                for &b in &lists[t.target as usize] {
                    free[(b / 64) as usize] |= 1 << (b % 64);
                }
            }
            fields.push(index);
        }
        Prefilter {
            field_slot,
            fields,
            lists: lists.into_iter().map(List::new).collect(),
            free,
            units,
            never: 0,
            id: memo::owner_id(),
        }
    }
}

/// A field's partial atoms (texts searched for inside values) and their targets.
type Partials = Vec<(String, Vec<Target<ListId>>)>;

/// One field's lookups, and the partial atoms no automaton could be built
/// for (empty when it was built).
fn build_field(fb: FieldBuilder) -> (FieldIndex, Partials) {
    let exact = ExactMap::new(
        fb.exact
            .into_iter()
            .map(|((text, ci), l)| (text, ci, l))
            .collect(),
    );
    let mut partial: Partials = fb.partial.into_iter().collect();
    partial.sort_by(|a, b| a.0.cmp(&b.0));
    let mut unscanned = Vec::new();
    let scanner = if partial.is_empty() {
        None
    } else {
        let scanner = Scanner::new(partial.clone());
        if scanner.is_none() {
            unscanned = partial;
        }
        scanner.map(Box::new)
    };
    let index = FieldIndex {
        exists: fb.exists,
        loose: fb.loose,
        exact,
        scanner,
    };
    (index, unscanned)
}

fn new_list(lists: &mut Vec<Vec<Bit>>) -> ListId {
    lists.push(Vec::new());
    (lists.len() - 1) as ListId
}

#[cfg(test)]
mod tests;
