//! One event as the compiled rule set reads it: each field's values found in
//! O(1) (a table by [`FieldId`] filled in one pass over [`Event::entries`]),
//! and each value's keyword string and case-folded string computed at most
//! once per event, kept in a reusable arena.
//!
//! The keyword string is [`event::Value::keyword`]; the folded string is
//! [`event::fold::fold_case`] of it. Nothing allocates once the buffers have
//! grown, except folding non-ASCII text that changes (Unicode lower-casing)
//! and rendering floats.

use event::{Event, FieldId, Value};
use std::fmt::Write as _;
use std::ops::Range;

/// Where a per-value string is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Span {
    /// Not computed yet for this event.
    Unset,
    /// The same as the value's own text (a string value; a folded string
    /// that folding left unchanged).
    Same,
    /// Bytes of the arena.
    Arena(u32, u32),
}

/// Reusable per-worker buffers behind [`View`].
#[derive(Debug, Default)]
pub struct ViewScratch {
    /// Event counter; `fields[f].0 == generation` when the range
    /// `fields[f].1..fields[f].2` is current (one entry, one cache line).
    generation: u32,
    fields: Vec<(u32, u32, u32)>,
    text: Vec<Span>,
    folded: Vec<Span>,
    arena: String,
    /// Per memo slot: `generation << 1 | result` of a shared field test.
    memo: Vec<u64>,
}

/// An event with its field table and string caches.
pub struct View<'s, 'e, 'a> {
    event: &'e Event<'a>,
    s: &'s mut ViewScratch,
}

impl<'s, 'e, 'a> View<'s, 'e, 'a> {
    /// Indexes `event` (one pass over its entries).
    pub fn new(event: &'e Event<'a>, s: &'s mut ViewScratch) -> Self {
        s.generation = s.generation.wrapping_add(1);
        if s.generation == 0 {
            s.fields.iter_mut().for_each(|x| x.0 = 0);
            s.memo.iter_mut().for_each(|x| *x = 0);
            s.generation = 1;
        }
        let entries = event.entries();
        let mut i = 0;
        while i < entries.len() {
            let field = entries[i].0;
            let start = i;
            while i < entries.len() && entries[i].0 == field {
                i += 1;
            }
            let f = field.index();
            if f >= s.fields.len() {
                s.fields.resize(f + 1, (0, 0, 0));
            }
            s.fields[f] = (s.generation, start as u32, i as u32);
        }
        s.text.clear();
        s.text.resize(entries.len(), Span::Unset);
        s.folded.clear();
        s.folded.resize(entries.len(), Span::Unset);
        s.arena.clear();
        View { event, s }
    }

    pub fn event(&self) -> &'e Event<'a> {
        self.event
    }

    /// The entry indices of `field`'s values.
    #[inline]
    pub fn range(&self, field: FieldId) -> Range<usize> {
        let f = field.index();
        match self.s.fields.get(f) {
            Some(&(g, a, b)) if g == self.s.generation => a as usize..b as usize,
            _ => 0..0,
        }
    }

    /// The result memoized in `slot` for this event.
    #[inline]
    pub fn memo(&self, slot: u32) -> Option<bool> {
        let m = *self.s.memo.get(slot as usize)?;
        (m >> 1 == u64::from(self.s.generation)).then_some(m & 1 == 1)
    }

    /// Memoizes `result` in `slot` for this event.
    #[inline]
    pub fn set_memo(&mut self, slot: u32, result: bool) {
        let slot = slot as usize;
        if slot >= self.s.memo.len() {
            self.s.memo.resize(slot + 1, 0);
        }
        self.s.memo[slot] = u64::from(self.s.generation) << 1 | u64::from(result);
    }

    /// The value of entry `i`.
    #[inline]
    pub fn value(&self, i: usize) -> &'e Value<'a> {
        &self.event.entries()[i].1
    }

    /// The string of entry `i` when it is a string value (its keyword
    /// string as it is), borrowed from the event rather than the view.
    #[inline(always)]
    pub fn str_value(&self, i: usize) -> Option<&'e str> {
        match &self.event.entries()[i].1 {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The keyword string of entry `i` ([`Value::keyword`]).
    #[inline(always)]
    pub fn text(&mut self, i: usize) -> &str {
        let value: &'e Value<'a> = &self.event.entries()[i].1;
        if let Value::Str(s) = value {
            return s;
        }
        self.rendered(i)
    }

    /// [`View::text`] of a value that is not a string: rendered once per
    /// event into the arena.
    #[inline(never)]
    fn rendered(&mut self, i: usize) -> &str {
        let value = &self.event.entries()[i].1;
        let span = match self.s.text[i] {
            Span::Arena(a, b) => (a, b),
            _ => {
                let a = self.s.arena.len();
                write_keyword(value, &mut self.s.arena);
                let span = (a as u32, self.s.arena.len() as u32);
                self.s.text[i] = Span::Arena(span.0, span.1);
                span
            }
        };
        &self.s.arena[span.0 as usize..span.1 as usize]
    }

    /// The case-folded keyword string of entry `i`
    /// ([`event::fold::fold_case`] of [`View::text`]).
    #[inline]
    pub fn folded(&mut self, i: usize) -> &str {
        match self.s.folded[i] {
            Span::Same => return self.text(i),
            Span::Arena(a, b) => return &self.s.arena[a as usize..b as usize],
            Span::Unset => {}
        }
        let span = self.fold(i);
        self.s.folded[i] = span;
        match span {
            Span::Arena(a, b) => &self.s.arena[a as usize..b as usize],
            _ => self.text(i),
        }
    }

    /// [`View::folded`] of entry `i`, a string value whose text is `text`
    /// ([`View::str_value`]): the value is not looked up again.
    #[inline(always)]
    pub fn folded_str(&mut self, i: usize, text: &'e str) -> &str {
        let span = match self.s.folded[i] {
            Span::Unset => {
                let span = self.fold(i);
                self.s.folded[i] = span;
                span
            }
            span => span,
        };
        match span {
            Span::Arena(a, b) => &self.s.arena[a as usize..b as usize],
            _ => text,
        }
    }

    #[inline(never)]
    fn fold(&mut self, i: usize) -> Span {
        let value: &'e Value<'a> = &self.event.entries()[i].1;
        let raw: Option<&'e str> = match value {
            Value::Str(s) => Some(s),
            _ => None,
        };
        let text_span = match raw {
            Some(_) => 0..0,
            None => {
                self.text(i);
                match self.s.text[i] {
                    Span::Arena(a, b) => a as usize..b as usize,
                    _ => 0..0,
                }
            }
        };
        let text: &str = raw.unwrap_or(&self.s.arena[text_span.clone()]);
        if text.is_ascii() {
            if !text.bytes().any(|b| b.is_ascii_uppercase()) {
                return Span::Same;
            }
            let a = self.s.arena.len();
            match raw {
                Some(r) => self.s.arena.push_str(r),
                None => self.s.arena.extend_from_within(text_span),
            }
            let b = self.s.arena.len();
            self.s.arena[a..b].make_ascii_lowercase();
            return Span::Arena(a as u32, b as u32);
        }
        let folded = match event::fold::fold_case(text) {
            std::borrow::Cow::Borrowed(_) => return Span::Same,
            std::borrow::Cow::Owned(o) => o,
        };
        let a = self.s.arena.len();
        self.s.arena.push_str(&folded);
        Span::Arena(a as u32, self.s.arena.len() as u32)
    }
}

/// Appends [`Value::keyword`] of a non-string value.
fn write_keyword(value: &Value<'_>, out: &mut String) {
    match value {
        Value::Str(s) => out.push_str(s),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::UInt(u) => {
            let _ = write!(out, "{u}");
        }
        Value::Float(f) => out.push_str(&event::value::format_float(*f)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn text_and_folded_views_match_the_value_views() {
        let entries = vec![
            (FieldId(3), Value::Str(Cow::Borrowed("CMD.exe"))),
            (FieldId(3), Value::Str(Cow::Borrowed("lower"))),
            (FieldId(1), Value::Int(-12)),
            (FieldId(5), Value::Bool(true)),
            (FieldId(7), Value::Float(2.0)),
            (FieldId(9), Value::Str(Cow::Borrowed("ÉTÉ Σ"))),
        ];
        let ev = Event::from_entries(entries);
        let mut s = ViewScratch::default();
        for _ in 0..2 {
            let mut v = View::new(&ev, &mut s);
            assert_eq!(v.range(FieldId(3)), 1..3);
            assert_eq!(v.range(FieldId(2)), 0..0);
            assert_eq!(v.range(FieldId(100)), 0..0);
            for i in 0..ev.entries().len() {
                let want = ev.entries()[i].1.keyword().into_owned();
                assert_eq!(v.folded(i), event::fold::fold_case(&want));
                assert_eq!(v.text(i), want);
                assert_eq!(v.folded(i), event::fold::fold_case(&want));
            }
        }
        // A later event with fewer fields does not see the earlier ones.
        let ev2 = Event::from_entries(vec![(FieldId(1), Value::Int(1))]);
        let v = View::new(&ev2, &mut s);
        assert_eq!(v.range(FieldId(3)), 0..0);
        assert_eq!(v.range(FieldId(1)), 0..1);
    }
}
