//! `--replay`: what Kibana's scheduled executions of each rule would have
//! alerted on over the input's time range.
//!
//! Kibana runs a rule every `interval`; an execution started at `now` searches
//! `[from, to]` with `from`/`to` evaluated as date math at `now` (`now-9m`,
//! `now`; `getRuleRangeTuples`), both bounds inclusive (`gte`/`lte` in
//! `buildTimeRangeFilter`, `rule_types/utils/build_events_query.ts`), on the
//! rule's window time (timestamp override, else `@timestamp`). Per execution:
//!
//! - **query rules** page through the hits sorted by the primary timestamp
//!   then the fallback, ascending (missing last), and create alerts until
//!   `max_signals` *new* alerts were created: alerts that already exist (same
//!   deterministic id, from an earlier overlapping execution) are filtered out
//!   before the cap applies (`search_after_bulk_create_factory.ts`, and
//!   `filterDuplicateAlerts` then the `maxAlerts` truncation in the rule
//!   registry's `create_persistence_rule_type_wrapper.ts`);
//! - **EQL rules** make one EQL search with `size = max_signals`
//!   (`rule_types/eql/eql.ts`): the first `max_signals` events (or sequences)
//!   in EQL order, after the query's pipes, duplicates included; the new ones
//!   among them become alerts.
//!
//! Alignment (our choice; Kibana's phase depends on when the rule was
//! enabled): executions start at multiples of `interval` since the Unix epoch
//! (`5m` → :00, :05, …). Only executions whose window holds a matching event
//! are simulated, from the first aligned time whose window reaches the
//! earliest match. Every alert of an execution carries that execution's start
//! as `@timestamp` and a per-execution id.
//!
//! Streaming: a rule's matches (or candidates) arrive in window-time order
//! (the reorder buffer sorts them). An execution runs as soon as a match later
//! than its window's end has arrived — then nothing else can fall in its
//! window — and matches older than the next window's start are dropped, so a
//! rule holds only its look-back window's matches (and the ids of the alerts
//! it created there), never the whole input.

use crate::alert::AlertContext;
use crate::alerts::{event_alert, group_alerts, source_doc, Alert};
use crate::compile::{RuleMeta, Schedule};
use crate::multi::{group_docs, missing_last, run_groups, Entry};
use matcher::ruleset::{RuleIdx, RuleSet};
use matcher::KeyValue;
use rustc_hash::FxHashMap;
use std::cmp::Ordering;
use std::collections::VecDeque;
use std::sync::Arc;

/// A single-event rule's match, kept while it may fall in a window.
#[derive(Debug, Clone)]
pub(crate) struct EventMatch {
    pub ordinal: u64,
    /// The rule's window time.
    pub time: i64,
    /// Sort key: query rules (primary, fallback) times; EQL rules (timestamp,
    /// tiebreaker). Missing values last, then input order.
    pub sort_a: Option<i64>,
    pub sort_b: Option<KeyValue>,
    pub index: Arc<str>,
    pub id: Option<Arc<str>>,
    pub source: Arc<str>,
}

fn hit_order(a: &EventMatch, b: &EventMatch) -> Ordering {
    missing_last(&a.sort_a, &b.sort_a)
        .then_with(|| missing_last(&a.sort_b, &b.sort_b))
        .then_with(|| a.ordinal.cmp(&b.ordinal))
}

/// What replaying one rule needs from the run.
pub(crate) struct ReplayCx<'a> {
    pub ruleset: &'a RuleSet,
    pub rule: RuleIdx,
    pub meta: &'a RuleMeta,
    pub kibana_version: &'a str,
    pub space_id: &'a str,
}

/// The outcome of replaying rules.
#[derive(Default)]
pub(crate) struct Replayed {
    pub alerts: Vec<Alert>,
    pub executions: u64,
    pub problems: Vec<String>,
    pub script_errors: usize,
}

/// One rule being replayed: its window of matches and its clock.
pub(crate) enum RuleReplay {
    Events {
        window: Window<EventMatch>,
        clock: Clock,
    },
    Groups {
        window: Window<Entry>,
        clock: Clock,
    },
}

impl RuleReplay {
    pub fn events(schedule: &Schedule) -> RuleReplay {
        RuleReplay::Events {
            window: Window::default(),
            clock: Clock::new(schedule),
        }
    }

    pub fn groups(schedule: &Schedule) -> RuleReplay {
        RuleReplay::Groups {
            window: Window::default(),
            clock: Clock::new(schedule),
        }
    }
}

/// Alert ids created by a rule's executions, with the end of the window that
/// created them: an id whose window end is before a later window's start
/// cannot be found again, and is forgotten.
#[derive(Default)]
pub(crate) struct Created {
    ids: FxHashMap<String, i64>,
    /// Size after the last pruning (prune again when it doubles).
    pruned_at: usize,
}

impl Created {
    fn contains(&self, uuid: &str) -> bool {
        self.ids.contains_key(uuid)
    }

    fn insert(&mut self, uuid: String, window_end: i64) -> bool {
        self.ids.insert(uuid, window_end).is_none()
    }

    fn prune(&mut self, window_start: i64) {
        if self.ids.len() < 2 * self.pruned_at.max(512) {
            return;
        }
        self.ids.retain(|_, end| *end >= window_start);
        self.pruned_at = self.ids.len();
    }
}

/// A rule's matches in window-time order, from the oldest still needed.
pub(crate) struct Window<T> {
    items: VecDeque<T>,
    /// Items pushed before the first one held.
    base: u64,
}

impl<T> Default for Window<T> {
    fn default() -> Self {
        Window {
            items: VecDeque::new(),
            base: 0,
        }
    }
}

impl<T> Window<T> {
    pub fn push(&mut self, item: T) {
        self.items.push_back(item);
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.items.len()
    }
}

/// The executions of one rule, simulated as its matches arrive.
pub(crate) struct Clock {
    schedule: Schedule,
    /// The next execution's start, once the first match arrived.
    now: Option<i64>,
    /// The previous execution's window (absolute positions).
    last: Option<(u64, u64)>,
    done: bool,
}

impl Clock {
    pub fn new(schedule: &Schedule) -> Clock {
        Clock {
            schedule: schedule.clone(),
            now: None,
            last: None,
            done: false,
        }
    }

    fn to_offset(&self, now: i64) -> i64 {
        self.schedule.to.eval(now).saturating_sub(now)
    }

    /// Runs `execute(now, window content)` for each execution that can run:
    /// every one whose window ends before the newest match (all of them at the
    /// end, `last_call`). `execute` returns how many alerts it created; at the
    /// end the simulation stops when a window can no longer change what is
    /// created.
    pub fn advance<T>(
        &mut self,
        window: &mut Window<T>,
        time: impl Fn(&T) -> i64,
        last_call: bool,
        mut execute: impl FnMut(i64, &[T]) -> usize,
    ) {
        let step = self.schedule.interval.max(1);
        while !self.done {
            let Some(first) = window.items.front().map(&time) else {
                return;
            };
            let mut now = match self.now {
                Some(n) => n,
                None => align_up(first.saturating_sub(self.to_offset(first)), step),
            };
            let from = self.schedule.from.eval(now);
            let to = self.schedule.to.eval(now);
            while window.items.front().is_some_and(|m| time(m) < from) {
                window.items.pop_front();
                window.base += 1;
            }
            self.now = Some(now);
            let Some(first) = window.items.front().map(&time) else {
                if last_call {
                    self.done = true;
                }
                return;
            };
            if first > to {
                let next = align_up(first.saturating_sub(self.to_offset(now)), step);
                self.now = Some(next.max(now.saturating_add(step)));
                continue;
            }
            let newest = window.items.back().map(&time).unwrap_or(i64::MIN);
            if !last_call && newest <= to {
                return;
            }
            let count = window.items.partition_point(|m| time(m) <= to);
            let (lo, hi) = (window.base, window.base + count as u64);
            let content = &window.items.make_contiguous()[..count];
            let created = execute(now, content);
            let total = window.base + window.items.len() as u64;
            // Same content as the previous execution and nothing new: every
            // later execution with this window would do the same.
            if last_call && created == 0 && self.last == Some((lo, hi)) && hi == total {
                self.done = true;
                return;
            }
            self.last = Some((lo, hi));
            match now.checked_add(step) {
                Some(next) => now = next,
                None => {
                    self.done = true;
                    return;
                }
            }
            self.now = Some(now);
        }
    }
}

impl ReplayCx<'_> {
    fn context(&self, now: i64) -> AlertContext {
        let now_text = event::time::format_millis(now);
        let execution = uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("vigil-replay:{}:{now_text}", self.meta.uuid).as_bytes(),
        );
        AlertContext {
            now: now_text,
            space_id: self.space_id.to_string(),
            kibana_version: self.kibana_version.to_string(),
            execution_uuid: execution.to_string(),
            public_base_url: None,
            intended_timestamp: None,
        }
    }

    /// Adds a single-event rule's next match and runs what can run.
    pub fn feed_events(
        &self,
        state: &mut RuleReplay,
        created: &mut Created,
        item: Option<EventMatch>,
        out: &mut Replayed,
    ) {
        let RuleReplay::Events { window, clock } = state else {
            return;
        };
        let last_call = item.is_none();
        if let Some(m) = item {
            window.push(m);
        }
        clock.advance(
            window,
            |m| m.time,
            last_call,
            |now, w| self.execute_events(now, w, created, out),
        );
    }

    /// Adds a sequence / sample rule's next candidate and runs what can run.
    pub fn feed_groups(
        &self,
        state: &mut RuleReplay,
        created: &mut Created,
        item: Option<Entry>,
        out: &mut Replayed,
    ) {
        let RuleReplay::Groups { window, clock } = state else {
            return;
        };
        let last_call = item.is_none();
        if let Some(e) = item {
            window.push(e);
        }
        clock.advance(
            window,
            |e| e.time,
            last_call,
            |now, w| self.execute_groups(now, w, created, out),
        );
    }

    /// One execution of a single-event rule over its window's matches.
    fn execute_events(
        &self,
        now: i64,
        matches: &[EventMatch],
        created: &mut Created,
        out: &mut Replayed,
    ) -> usize {
        out.executions += 1;
        let window_end = self.meta.schedule.to.eval(now);
        created.prune(self.meta.schedule.from.eval(now));
        let mut window: Vec<&EventMatch> = matches.iter().collect();
        window.sort_by(|a, b| hit_order(a, b));
        let ctx = self.context(now);
        let pipes = &self.ruleset.rule(self.rule).plan.pipes;
        let max = self.meta.schedule.max_signals;
        let mut new = 0;
        if self.meta.is_eql {
            for m in crate::multi::cut(window, pipes, Some(max)) {
                new += self.create(m, &ctx, window_end, created, out);
            }
        } else {
            for m in window {
                if new >= max {
                    break;
                }
                new += self.create(m, &ctx, window_end, created, out);
            }
        }
        new
    }

    /// Creates the alert of `m` unless it exists; 1 when created.
    fn create(
        &self,
        m: &EventMatch,
        ctx: &AlertContext,
        window_end: i64,
        created: &mut Created,
        out: &mut Replayed,
    ) -> usize {
        let id = crate::index::document_id(m.id.as_deref(), &m.source);
        let uuid = crate::alert::ids::event_alert_id(
            &m.index,
            &id,
            ctx.space_id.as_str(),
            &self.meta.uuid,
        );
        if created.contains(&uuid) {
            return 0;
        }
        let doc = match source_doc(&m.index, &id, &m.source) {
            Ok(d) => d,
            Err(e) => {
                out.problems
                    .push(format!("{}: event {id}: {e}", self.meta.name));
                return 0;
            }
        };
        match event_alert(self.rule, self.meta, ctx, &doc, m.ordinal) {
            Ok(Some(alert)) => {
                created.insert(uuid, window_end);
                out.alerts.push(alert);
                1
            }
            Ok(None) => 0,
            Err(e) => {
                out.problems
                    .push(format!("{}: event {id}: {e}", self.meta.name));
                0
            }
        }
    }

    /// One execution of a sequence / sample rule over its window's candidates.
    fn execute_groups(
        &self,
        now: i64,
        entries: &[Entry],
        created: &mut Created,
        out: &mut Replayed,
    ) -> usize {
        out.executions += 1;
        let window_end = self.meta.schedule.to.eval(now);
        created.prune(self.meta.schedule.from.eval(now));
        let max = self.meta.schedule.max_signals;
        let result = run_groups(self.ruleset, self.rule, entries, Some(max));
        out.script_errors += result.error_count;
        let ctx = self.context(now);
        let mut new = 0;
        for group in &result.groups {
            let ordinal = crate::multi::first_ordinal(group);
            let alerts = group_docs(group).and_then(|d| {
                group_alerts(self.rule, self.meta, &ctx, d, ordinal).map_err(|e| e.to_string())
            });
            match alerts {
                Ok(alerts) => {
                    for a in alerts {
                        if created.insert(a.uuid.clone(), window_end) {
                            new += 1;
                            out.alerts.push(a);
                        }
                    }
                }
                Err(e) => out.problems.push(format!("{}: {e}", self.meta.name)),
            }
        }
        new
    }
}

/// The first multiple of `step` at or after `t`.
fn align_up(t: i64, step: i64) -> i64 {
    let r = t.rem_euclid(step);
    if r == 0 {
        t
    } else {
        t.saturating_add(step - r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rules::datemath::DateMath;

    const MIN: i64 = 60_000_000_000;

    fn schedule(interval_min: i64, from: &str, max: usize) -> Schedule {
        Schedule {
            interval: interval_min * MIN,
            from: DateMath::parse(from).unwrap(),
            to: DateMath::parse("now").unwrap(),
            max_signals: max,
        }
    }

    /// The executions over sorted `times`, fed one at a time: (now, absolute
    /// first, absolute end) of each window.
    fn simulate(
        schedule: &Schedule,
        times: &[i64],
        mut execute: impl FnMut(i64, usize) -> usize,
    ) -> Vec<(i64, usize, usize)> {
        let mut clock = Clock::new(schedule);
        let mut window: Window<(usize, i64)> = Window::default();
        let mut runs = Vec::new();
        let mut step = |clock: &mut Clock, window: &mut Window<(usize, i64)>, last: bool| {
            clock.advance(
                window,
                |x| x.1,
                last,
                |now, w| {
                    let lo = w.first().map(|x| x.0).unwrap_or(0);
                    runs.push((now / MIN, lo, lo + w.len()));
                    execute(now, w.len())
                },
            );
        };
        for (i, &t) in times.iter().enumerate() {
            window.push((i, t));
            step(&mut clock, &mut window, false);
        }
        step(&mut clock, &mut window, true);
        runs
    }

    #[test]
    fn windows_are_aligned_and_overlap() {
        let times = [MIN, 7 * MIN, 7 * MIN, 31 * MIN];
        let runs = simulate(&schedule(5, "now-9m", 100), &times, |_, _| 1);
        // 5: [-4,5] ∋ 1; 10: [1,10] ∋ 1,7,7; 15: [6,15] ∋ 7,7; then jump to
        // 35: [26,35] ∋ 31; 40: [31,40] ∋ 31 (both bounds inclusive).
        assert_eq!(
            runs,
            vec![(5, 0, 1), (10, 0, 3), (15, 1, 3), (35, 3, 4), (40, 3, 4)]
        );
    }

    #[test]
    fn gaps_when_lookback_is_shorter_than_interval() {
        let times = [MIN, 3 * MIN];
        let runs = simulate(&schedule(5, "now-1m", 100), &times, |_, _| 1);
        // 5: [4,5] holds neither: nothing runs over them (a gap, as in Kibana).
        assert_eq!(runs, Vec::<(i64, usize, usize)>::new());
    }

    #[test]
    fn absolute_from_terminates() {
        let times = [MIN, 2 * MIN];
        let runs = simulate(&schedule(1, "1970-01-01T00:00:00Z", 1), &times, |_, _| 0);
        assert!(runs.len() <= 3, "{runs:?}");
    }

    #[test]
    fn old_matches_leave_the_window() {
        let times: Vec<i64> = (0..1000).map(|i| i * MIN).collect();
        let mut clock = Clock::new(&schedule(5, "now-9m", 100));
        let mut window: Window<i64> = Window::default();
        let mut largest = 0;
        for &t in &times {
            window.push(t);
            clock.advance(&mut window, |x| *x, false, |_, _| 1);
            largest = largest.max(window.len());
        }
        // A 9-minute look-back, one match a minute: never more than ~10 held.
        assert!(largest <= 16, "{largest}");
    }
}
