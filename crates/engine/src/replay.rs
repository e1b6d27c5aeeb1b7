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

use crate::alert::AlertContext;
use crate::alerts::{event_alert, group_alerts, source_doc, Alert};
use crate::compile::{RuleMeta, Schedule};
use crate::multi::{missing_last, run_groups, Candidate, Entry};
use matcher::ruleset::{RuleIdx, RuleSet};
use matcher::KeyValue;
use rustc_hash::FxHashSet;
use std::cmp::Ordering;
use std::sync::Arc;

/// A single-event rule's match, kept until the executions are simulated.
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

/// The outcome of replaying one rule.
#[derive(Default)]
pub(crate) struct Replayed {
    pub alerts: Vec<Alert>,
    pub executions: u64,
    pub problems: Vec<String>,
    pub script_errors: usize,
}

impl ReplayCx<'_> {
    fn context(&self, now: i64) -> AlertContext {
        let now_text = event::time::format_millis(now);
        let execution = uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("vigil-replay:{}:{now_text}", self.meta.info.uuid).as_bytes(),
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

    /// Replays a single-event rule over its matches (any order).
    pub fn events(&self, mut matches: Vec<EventMatch>) -> Replayed {
        matches.sort_by(|a, b| a.time.cmp(&b.time).then(a.ordinal.cmp(&b.ordinal)));
        let times: Vec<i64> = matches.iter().map(|m| m.time).collect();
        let pipes = &self.ruleset.rule(self.rule).plan.pipes;
        let max = self.meta.schedule.max_signals;
        let mut created: FxHashSet<String> = FxHashSet::default();
        let mut out = Replayed::default();
        simulate(&self.meta.schedule, &times, |now, lo, hi| {
            out.executions += 1;
            let mut window: Vec<&EventMatch> = matches[lo..hi].iter().collect();
            window.sort_by(|a, b| hit_order(a, b));
            let ctx = self.context(now);
            let mut new = 0;
            if self.meta.is_eql {
                for m in crate::multi::cut(window, pipes, Some(max)) {
                    new += self.create(m, &ctx, &mut created, &mut out);
                }
            } else {
                for m in window {
                    if new >= max {
                        break;
                    }
                    new += self.create(m, &ctx, &mut created, &mut out);
                }
            }
            new
        });
        out
    }

    /// Creates the alert of `m` unless it exists; 1 when created.
    fn create(
        &self,
        m: &EventMatch,
        ctx: &AlertContext,
        created: &mut FxHashSet<String>,
        out: &mut Replayed,
    ) -> usize {
        let id = crate::index::document_id(m.id.as_deref(), &m.source);
        let uuid = crate::alert::ids::event_alert_id(
            &m.index,
            &id,
            ctx.space_id.as_str(),
            &self.meta.info.uuid,
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
                created.insert(uuid);
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

    /// Replays a sequence or sample rule over its candidates' entries.
    pub fn groups(&self, mut entries: Vec<Entry>, candidates: &[Candidate]) -> Replayed {
        entries.sort_by(|a, b| a.time.cmp(&b.time).then(a.ordinal.cmp(&b.ordinal)));
        let times: Vec<i64> = entries.iter().map(|e| e.time).collect();
        let max = self.meta.schedule.max_signals;
        let mut created: FxHashSet<String> = FxHashSet::default();
        let mut out = Replayed::default();
        simulate(&self.meta.schedule, &times, |now, lo, hi| {
            out.executions += 1;
            let result = run_groups(
                self.ruleset,
                self.rule,
                &entries[lo..hi],
                candidates,
                Some(max),
            );
            out.script_errors += result.error_count;
            let ctx = self.context(now);
            let mut new = 0;
            for group in &result.groups {
                let docs: Result<Vec<_>, String> = group
                    .iter()
                    .map(|&c| candidates[c as usize].doc())
                    .collect();
                let ordinal = crate::multi::first_ordinal(group, candidates);
                let alerts = docs.and_then(|d| {
                    group_alerts(self.rule, self.meta, &ctx, &d, ordinal).map_err(|e| e.to_string())
                });
                match alerts {
                    Ok(alerts) => {
                        for a in alerts {
                            if created.insert(a.uuid.clone()) {
                                new += 1;
                                out.alerts.push(a);
                            }
                        }
                    }
                    Err(e) => out.problems.push(format!("{}: {e}", self.meta.name)),
                }
            }
            new
        });
        out
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

/// Calls `execute(now, lo, hi)` for each execution whose window `[from, to]`
/// holds some of `times` (sorted), with `times[lo..hi]` the window's content.
/// `execute` returns how many alerts it created; the simulation stops when a
/// window can no longer change what is created.
fn simulate(
    schedule: &Schedule,
    times: &[i64],
    mut execute: impl FnMut(i64, usize, usize) -> usize,
) {
    let n = times.len();
    if n == 0 {
        return;
    }
    let step = schedule.interval.max(1);
    let to_offset = |now: i64| schedule.to.eval(now).saturating_sub(now);
    let mut now = align_up(times[0].saturating_sub(to_offset(times[0])), step);
    let (mut lo, mut last) = (0usize, None);
    loop {
        let from = schedule.from.eval(now);
        let to = schedule.to.eval(now);
        while lo < n && times[lo] < from {
            lo += 1;
        }
        if lo == n {
            return;
        }
        if times[lo] > to {
            let next = align_up(times[lo].saturating_sub(to_offset(now)), step);
            now = next.max(now.saturating_add(step));
            continue;
        }
        let hi = lo + times[lo..].partition_point(|&t| t <= to);
        let created = execute(now, lo, hi);
        // Same content as the previous execution and nothing new: every later
        // execution with this window would do the same.
        if created == 0 && last == Some((lo, hi)) && hi == n {
            return;
        }
        last = Some((lo, hi));
        match now.checked_add(step) {
            Some(next) => now = next,
            None => return,
        }
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

    #[test]
    fn windows_are_aligned_and_overlap() {
        let times = [MIN, 7 * MIN, 7 * MIN, 31 * MIN];
        let mut runs = Vec::new();
        simulate(&schedule(5, "now-9m", 100), &times, |now, lo, hi| {
            runs.push((now / MIN, lo, hi));
            1
        });
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
        let mut runs = Vec::new();
        simulate(&schedule(5, "now-1m", 100), &times, |now, lo, hi| {
            runs.push((now / MIN, lo, hi));
            1
        });
        // 5: [4,5] holds neither: nothing runs over them (a gap, as in Kibana).
        assert_eq!(runs, Vec::<(i64, usize, usize)>::new());
    }

    #[test]
    fn absolute_from_terminates() {
        let times = [MIN, 2 * MIN];
        let mut count = 0;
        simulate(
            &schedule(1, "1970-01-01T00:00:00Z", 1),
            &times,
            |_, _, _| {
                count += 1;
                0
            },
        );
        assert!(count <= 3, "{count}");
    }
}
