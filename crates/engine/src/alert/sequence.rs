//! Alerts for an EQL sequence: one building-block alert per event plus the "shell"
//! alert that ties them together. Port of `rule_types/eql/build_alert_group_from_sequence.ts`
//! (`buildAlertGroupFromSequence`, `buildAlertRoot`; `objectArrayIntersection` is
//! [`super::intersect`]) and `rule_types/eql/wrap_sequences.ts`.
//!
//! - Building blocks are built like event alerts but without overrides; their ids
//!   come from `generateBuildingBlockIds` (every block's ancestors), they get
//!   `kibana.alert.building_block_type: default`, `kibana.alert.group.id` (the
//!   shell's id) and `kibana.alert.group.index` (position in the sequence).
//! - The shell starts from the intersection of the blocks' sources (fields every
//!   block shares, dotted and nested notation unified; kept flat where every block
//!   has the flat key), then gets the alert fields built over the blocks as parents:
//!   ancestors `[event₀, block₀, event₁, block₁, …]`, depth 2, reason from the
//!   intersection, id = `generateAlertId` = `kibana.alert.group.id`.
//!   (A consequence ported as is: `kibana.alert.rule.parameters`, an object under a
//!   flat key, comes out of the intersection nested as `kibana.alert.rule.parameters.*`
//!   next to the flat key the shell's own fields set.)
//! - The result is ordered as `wrapSequences` pushes it: shell first, then blocks.

use super::build::{
    alert_fields, alert_url, augment, event_parent, hit_alert_fields, parent_descends_from_rule,
    spread, with_alert_fields, Parent,
};
use super::document::AlertDoc;
use super::ids::{alert_id_from_ancestors, building_block_ids};
use super::intersect::object_array_intersection;
use super::reason::{build_reason_message, ReasonDoc};
use super::source_fields::prepare_owned_source;
use super::{AlertContext, AlertError, RuleInfo, SourceDoc};
use serde_json::{json, Map, Value};

/// Builds the shell alert and the building blocks of one sequence (its present
/// events, in sequence order). Empty when an event is itself an alert of this rule.
///
/// The events are taken by value: each is read for its own building block
/// only, so its prepared source is made of its own keys and values, moved.
pub(crate) fn build_sequence_alerts(
    rule: &RuleInfo,
    ctx: &AlertContext,
    docs: Vec<SourceDoc>,
) -> Result<Vec<AlertDoc>, AlertError> {
    let parents: Vec<Parent<'_>> = docs.iter().map(event_parent).collect::<Result<_, _>>()?;
    if parents.is_empty()
        || parents
            .iter()
            .any(|parent| parent_descends_from_rule(parent, &rule.uuid))
    {
        return Ok(Vec::new());
    }
    drop(parents);
    let mut blocks = Vec::with_capacity(docs.len());
    for doc in docs {
        let fields = hit_alert_fields(
            rule,
            ctx,
            &event_parent(&doc)?,
            false,
            "placeholder-alert-uuid",
            None,
        );
        let Value::Object(source) = doc.source else {
            return Err(AlertError::SourceNotObject);
        };
        blocks.push(with_alert_fields(prepare_owned_source(source)?, fields));
    }
    let block_ancestors: Vec<&[Value]> = blocks.iter().map(ancestors_in).collect();
    let ids = building_block_ids(&block_ancestors, &rule.uuid);
    for (block, id) in blocks.iter_mut().zip(&ids) {
        block.insert("kibana.alert.uuid".into(), json!(id));
    }
    let shell = build_shell(rule, ctx, &blocks, &ids)?;
    let shell_id = shell
        .fields
        .get("kibana.alert.uuid")
        .cloned()
        .unwrap_or(Value::Null);
    let mut out = Vec::with_capacity(blocks.len() + 1);
    out.push(shell);
    for (index, (mut block, id)) in blocks.into_iter().zip(&ids).enumerate() {
        block.insert("kibana.alert.building_block_type".into(), json!("default"));
        block.insert("kibana.alert.group.id".into(), shell_id.clone());
        block.insert("kibana.alert.group.index".into(), json!(index));
        match alert_url(ctx, id, &ctx.now) {
            Some(url) => block.insert("kibana.alert.url".into(), url),
            None => block.remove("kibana.alert.url"),
        };
        augment(&mut block, ctx);
        out.push(AlertDoc {
            fields: block,
            constant: rule.fragments().block(),
        });
    }
    Ok(out)
}

fn ancestors_in(alert: &Map<String, Value>) -> &[Value] {
    alert
        .get("kibana.alert.ancestors")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// A block's top-level keys that the shell's own fields always overwrite or
/// remove (the per-alert alert fields and the block's uuid), and whose paths
/// meet no other key's (only the source's `kibana.alert.original_*` copies live
/// under `kibana`; `@timestamp` is an ECS date, so nothing nests under it):
/// the intersection can leave them out. `event.kind` stays, as it meets the
/// source's `event` object.
fn overwritten_by_shell(key: &str) -> bool {
    key == "@timestamp"
        || (key.starts_with("kibana.")
            && !key.starts_with("kibana.alert.original_event")
            && !key.starts_with("kibana.alert.original_data_stream"))
}

/// `buildAlertRoot`. `blocks` are the blocks' per-alert fields: their constant
/// part intersects only with itself, and that intersection is the rule's
/// [`RuleFragments::shell`](super::fragments::RuleFragments) (a single block is
/// not intersected: the shell starts from it whole).
fn build_shell(
    rule: &RuleInfo,
    ctx: &AlertContext,
    blocks: &[Map<String, Value>],
    ids: &[String],
) -> Result<AlertDoc, AlertError> {
    let fragments = rule.fragments();
    let constant = if blocks.len() > 1 {
        fragments.shell().ok_or(AlertError::TooDeep)?
    } else {
        fragments.block()
    };
    let merged = object_array_intersection(blocks, overwritten_by_shell)?;
    let empty = Map::new();
    let severity = rule.severity().unwrap_or("");
    let reason = build_reason_message(
        &rule.name,
        severity,
        ReasonDoc::Merged(merged.as_ref().unwrap_or(&empty)),
    );
    let parents: Vec<Parent<'_>> = blocks
        .iter()
        .zip(ids)
        .map(|(source, id)| Parent {
            id,
            index: "",
            source,
            is_search_hit: false,
        })
        .collect();
    let fields = alert_fields(rule, ctx, &parents, &reason, "placeholder-uuid", None);
    let ancestors = fields
        .iter()
        .find(|(key, _)| key == "kibana.alert.ancestors")
        .and_then(|(_, value)| value.as_ref())
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let shell_id = alert_id_from_ancestors(ancestors, &rule.uuid);
    let url = alert_url(ctx, &shell_id, &ctx.now);
    let mut shell = merged.unwrap_or_default();
    for key in fragments.undefined() {
        shell.remove(key);
    }
    spread(&mut shell, fields);
    spread(
        &mut shell,
        vec![
            ("kibana.alert.uuid".into(), Some(json!(shell_id))),
            ("kibana.alert.group.id".into(), Some(json!(shell_id))),
            ("kibana.alert.url".into(), url),
        ],
    );
    augment(&mut shell, ctx);
    Ok(AlertDoc {
        fields: shell,
        constant,
    })
}
