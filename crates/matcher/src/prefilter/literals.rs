//! Literal lookups of one field, case-sensitive and case-insensitive at
//! once, without folding ASCII text:
//!
//! - [`ExactMap`]: exact values → target. Keys are hashed ASCII-lower-cased,
//!   so one hash of the raw text finds both the case-sensitive keys (then
//!   compared exactly) and the case-folded ones (then compared ignoring ASCII
//!   case, which for ASCII text is comparing its fold).
//! - [`Scanner`]: prefix / suffix / substring literals in one Aho-Corasick
//!   automaton matching ASCII case-insensitively, walked byte by byte; a
//!   match of a case-sensitive literal is confirmed on the exact bytes, the
//!   position decides prefix and suffix. The automaton is a contiguous NFA,
//!   not a DFA: it is walked only for values the memo has not seen
//!   ([`super::memo`]), and for the catalogue it takes 0.5 MB instead of
//!   6.7 MB and ≈ 90M fewer instructions to build.
//!
//! Text that is not ASCII folds with Unicode rules ([`event::fold::fold_case`]),
//! which can change its bytes: there the case-insensitive literals are looked
//! up in (or scanned over) the folded text instead, the case-sensitive ones
//! still in the raw text.

use super::atoms::Shape;
use aho_corasick::automaton::Automaton;
use aho_corasick::nfa::contiguous::NFA;
use aho_corasick::{Anchored, MatchKind};
use rustc_hash::FxHashMap;

/// A literal's case mode and where it must match, with what it marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<T> {
    pub case_insensitive: bool,
    pub shape: Shape,
    pub target: T,
}

/// Which literals a text is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// ASCII text: every literal, on the raw text.
    Both,
    /// Non-ASCII raw text: the case-sensitive literals.
    Sensitive,
    /// Non-ASCII folded text: the case-insensitive literals.
    Insensitive,
}

impl Mode {
    #[inline]
    fn admits(self, case_insensitive: bool) -> bool {
        match self {
            Mode::Both => true,
            Mode::Sensitive => !case_insensitive,
            Mode::Insensitive => case_insensitive,
        }
    }
}

/// Lower-cases the ASCII letters of 8 bytes at once (other bytes unchanged).
#[inline]
fn lower8(x: u64) -> u64 {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low7 = x & !HIGH;
    let above_z = low7.wrapping_add(0x2525_2525_2525_2525);
    let from_a = low7.wrapping_add(0x3f3f_3f3f_3f3f_3f3f);
    let upper = (from_a ^ above_z) & !x & HIGH;
    x | (upper >> 2)
}

/// A hash of `text` with ASCII letters lower-cased (FxHash-like).
#[inline]
pub fn hash_ascii_folded(text: &str) -> u64 {
    hash_and_ascii(text).0
}

/// [`hash_ascii_folded`] of `text`, and whether `text` is ASCII (found in
/// the same pass). Always inlined: the prefilter calls it once per value.
#[inline(always)]
pub fn hash_and_ascii(text: &str) -> (u64, bool) {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let bytes = text.as_bytes();
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    let mut high = 0u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w);
        high |= x;
        h = (h.rotate_left(26) ^ lower8(x)).wrapping_mul(K);
    }
    if !bytes.len().is_multiple_of(8) {
        let x = tail_word(bytes);
        high |= x;
        h = (h.rotate_left(26) ^ lower8(x)).wrapping_mul(K);
    }
    (h, high & HIGH == 0)
}

/// The last `len % 8` bytes of `bytes` as a little-endian word, zero above
/// them (what copying them into a zeroed `[u8; 8]` gives), read with at
/// most two loads instead of a call to `memcpy`.
#[inline]
fn tail_word(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    let rest = n % 8;
    if rest == 0 {
        return 0;
    }
    if let Some(last) = bytes.last_chunk::<8>() {
        // The last 8 bytes, shifted to drop those already hashed.
        return u64::from_le_bytes(*last) >> (8 * (8 - rest));
    }
    // A text shorter than 8 bytes: two overlapping loads (overlapping
    // bytes are equal, so OR-ing them changes nothing).
    let load = |at: usize| {
        u64::from(u32::from_le_bytes([
            bytes[at],
            bytes[at + 1],
            bytes[at + 2],
            bytes[at + 3],
        ]))
    };
    match n {
        1..=3 => {
            u64::from(bytes[0])
                | u64::from(bytes[n / 2]) << (8 * (n / 2))
                | u64::from(bytes[n - 1]) << (8 * (n - 1))
        }
        _ => load(0) | load(n - 4) << (8 * (n - 4)),
    }
}

/// Exact values (case-sensitive or folded) → targets.
#[derive(Debug)]
pub struct ExactMap<T> {
    /// Hash → range of `entries`.
    buckets: FxHashMap<u64, (u32, u32)>,
    entries: Vec<(Box<str>, bool, T)>,
    any_insensitive: bool,
}

impl<T: Copy> ExactMap<T> {
    /// `keys`: (value, case-insensitive, target); case-insensitive values
    /// must be folded already.
    pub fn new(mut keys: Vec<(String, bool, T)>) -> Self {
        let mut hashed: Vec<(u64, (String, bool, T))> = keys
            .drain(..)
            .map(|k| (hash_ascii_folded(&k.0), k))
            .collect();
        hashed.sort_by_key(|(h, _)| *h);
        let mut buckets = FxHashMap::default();
        let mut entries = Vec::with_capacity(hashed.len());
        let mut any_insensitive = false;
        let mut i = 0;
        while i < hashed.len() {
            let h = hashed[i].0;
            let start = entries.len() as u32;
            while i < hashed.len() && hashed[i].0 == h {
                let (text, ci, t) = &hashed[i].1;
                any_insensitive |= *ci;
                entries.push((text.as_str().into(), *ci, *t));
                i += 1;
            }
            buckets.insert(h, (start, entries.len() as u32 - start));
        }
        ExactMap {
            buckets,
            entries,
            any_insensitive,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when some key is case-insensitive (non-ASCII text then needs its
    /// folded form too).
    pub fn any_insensitive(&self) -> bool {
        self.any_insensitive
    }

    /// Calls `found` for each key `text` equals under `mode`.
    #[inline]
    pub fn lookup(&self, text: &str, mode: Mode, found: impl FnMut(T)) {
        self.lookup_hashed(hash_ascii_folded(text), text, mode, found);
    }

    /// [`ExactMap::lookup`] given `hash`, the [`hash_ascii_folded`] of `text`.
    #[inline]
    pub fn lookup_hashed(&self, hash: u64, text: &str, mode: Mode, mut found: impl FnMut(T)) {
        let Some(&(start, len)) = self.buckets.get(&hash) else {
            return;
        };
        for (key, ci, t) in &self.entries[start as usize..(start + len) as usize] {
            if !mode.admits(*ci) {
                continue;
            }
            let equal = if *ci {
                key.eq_ignore_ascii_case(text)
            } else {
                **key == *text
            };
            if equal {
                found(*t);
            }
        }
    }
}

/// Prefix / suffix / substring literals of one field.
#[derive(Debug)]
pub struct Scanner<T> {
    automaton: NFA,
    start: aho_corasick::automaton::StateID,
    /// Per pattern: its bytes and targets.
    patterns: Vec<(Box<str>, Vec<Target<T>>)>,
    any_insensitive: bool,
}

impl<T: Copy> Scanner<T> {
    /// `literals`: (literal, targets); case-insensitive literals must be
    /// folded already. `None` when the automaton cannot be built.
    pub fn new(literals: Vec<(String, Vec<Target<T>>)>) -> Option<Self> {
        let automaton = NFA::builder()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(true)
            .prefilter(false)
            .build(literals.iter().map(|(l, _)| l.as_bytes()))
            .ok()?;
        let start = automaton.start_state(Anchored::No).ok()?;
        let any_insensitive = literals
            .iter()
            .any(|(_, ts)| ts.iter().any(|t| t.case_insensitive));
        Some(Scanner {
            automaton,
            start,
            patterns: literals
                .into_iter()
                .map(|(l, t)| (l.into_boxed_str(), t))
                .collect(),
            any_insensitive,
        })
    }

    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    pub fn any_insensitive(&self) -> bool {
        self.any_insensitive
    }

    /// Heap bytes of the automaton.
    pub fn memory_usage(&self) -> usize {
        self.automaton.memory_usage()
    }

    /// Calls `found` for each literal that fits `text` under `mode`.
    #[inline]
    pub fn scan(&self, text: &str, mode: Mode, mut found: impl FnMut(T)) {
        let bytes = text.as_bytes();
        let mut sid = self.start;
        for (i, &b) in bytes.iter().enumerate() {
            sid = self.automaton.next_state(Anchored::No, sid, b);
            if self.automaton.is_special(sid) && self.automaton.is_match(sid) {
                self.matched(sid, bytes, i + 1, mode, &mut found);
            }
        }
    }

    #[inline(never)]
    fn matched(
        &self,
        sid: aho_corasick::automaton::StateID,
        bytes: &[u8],
        end: usize,
        mode: Mode,
        found: &mut impl FnMut(T),
    ) {
        for k in 0..self.automaton.match_len(sid) {
            let pid = self.automaton.match_pattern(sid, k);
            let (literal, targets) = &self.patterns[pid.as_usize()];
            let start = end - literal.len();
            let exact = bytes[start..end] == *literal.as_bytes();
            for t in targets {
                if !mode.admits(t.case_insensitive) || (!t.case_insensitive && !exact) {
                    continue;
                }
                let fits = match t.shape {
                    Shape::Prefix => start == 0,
                    Shape::Suffix => end == bytes.len(),
                    Shape::Exact => start == 0 && end == bytes.len(),
                    Shape::Contains => true,
                };
                if fits {
                    found(t.target);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_folded_hash_ignores_ascii_case_only() {
        for (a, b) in [
            ("CMD.EXE", "cmd.exe"),
            (
                "C:\\Windows\\System32\\Svchost.exe",
                "c:\\windows\\system32\\svchost.exe",
            ),
            ("@[`{AZaz", "@[`{azaz"),
        ] {
            assert_eq!(hash_ascii_folded(a), hash_ascii_folded(b), "{a}");
        }
        assert_ne!(hash_ascii_folded("a"), hash_ascii_folded("b"));
        assert_ne!(hash_ascii_folded("@"), hash_ascii_folded("`"));
        assert_ne!(hash_ascii_folded("É"), hash_ascii_folded("é"));
        for text in [
            "",
            "cmd.exe",
            "C:\\Windows\\System32\\x.exe",
            "été",
            "abcdefgé",
            "abcdefgh\u{7f}",
        ] {
            assert_eq!(hash_and_ascii(text).1, text.is_ascii(), "{text}");
        }
        for n in 0..40 {
            let text: Vec<u8> = (1..=n as u8).map(|b| b.wrapping_mul(37)).collect();
            let rest = &text[text.len() - text.len() % 8..];
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            assert_eq!(tail_word(&text), u64::from_le_bytes(w), "{n} bytes");
        }
        for b in 0u8..=255 {
            let x = lower8(u64::from(b));
            assert_eq!(x as u8, b.to_ascii_lowercase(), "{b}");
        }
    }

    #[test]
    fn exact_map_compares_by_case_mode() {
        let m = ExactMap::new(vec![
            ("Cmd.exe".into(), false, 1),
            ("cmd.exe".into(), true, 2),
            ("été".into(), true, 3),
        ]);
        let hits = |t: &str, mode| {
            let mut v = vec![];
            m.lookup(t, mode, |x| v.push(x));
            v.sort();
            v
        };
        assert_eq!(hits("Cmd.exe", Mode::Both), [1, 2]);
        assert_eq!(hits("CMD.EXE", Mode::Both), [2]);
        assert_eq!(hits("cmd.exe", Mode::Sensitive), [] as [i32; 0]);
        assert_eq!(hits("été", Mode::Insensitive), [3]);
    }

    #[test]
    fn scanner_reports_every_fitting_literal() {
        let t = |ci, shape, target| Target {
            case_insensitive: ci,
            shape,
            target,
        };
        let s = Scanner::new(vec![
            ("\\windows\\".into(), vec![t(true, Shape::Contains, 1)]),
            ("C:\\".into(), vec![t(false, Shape::Prefix, 2)]),
            (".exe".into(), vec![t(true, Shape::Suffix, 3)]),
            ("system32".into(), vec![t(false, Shape::Contains, 4)]),
            ("32".into(), vec![t(false, Shape::Contains, 5)]),
        ])
        .expect("scanner");
        let hits = |text: &str| {
            let mut v = vec![];
            s.scan(text, Mode::Both, |x| v.push(x));
            v.sort();
            v.dedup();
            v
        };
        assert_eq!(hits("C:\\WINDOWS\\System32\\x.EXE"), [1, 2, 3, 5]);
        assert_eq!(hits("c:\\windows\\system32\\x.exe.txt"), [1, 4, 5]);
    }
}
