//! Alert ids, as Kibana derives them so that a rerun over the same events gives
//! the same ids (and Elasticsearch's `create` de-duplicates).

use serde_json::Value;
use sha2::{Digest, Sha256};

fn sha256_hex(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    hex(hasher)
}

/// The digest of `hasher` in lowercase hex.
fn hex(hasher: Sha256) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for byte in hasher.finalize() {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    out
}

/// Id of an alert raised on a single event (query rules, EQL event queries):
/// `generateId(_index, _id, String(_version), `${spaceId}:${ruleUuid}`)` in
/// `rule_types/factories/wrap_hits_factory.ts` (`generateId` in
/// `rule_types/utils/utils.ts`: sha256 hex of the concatenation). Kibana's event
/// searches do not request `_version`, so the hashed version is the string
/// `"undefined"`.
pub fn event_alert_id(index: &str, id: &str, space_id: &str, rule_uuid: &str) -> String {
    sha256_hex(&[index, id, "undefined", space_id, ":", rule_uuid])
}

/// `generateAlertId` (`rule_types/factories/utils/build_alert.ts`): sha256 hex of
/// every ancestor's `id` + `index`, then the rule uuid. Used for the shell alert
/// of a sequence.
pub fn alert_id_from_ancestors(ancestors: &[Value], rule_uuid: &str) -> String {
    let mut parts: Vec<&str> = Vec::with_capacity(ancestors.len() * 2 + 1);
    for ancestor in ancestors {
        parts.push(ancestor.get("id").and_then(Value::as_str).unwrap_or(""));
        parts.push(ancestor.get("index").and_then(Value::as_str).unwrap_or(""));
    }
    parts.push(rule_uuid);
    sha256_hex(&parts)
}

/// `generateBuildingBlockIds` (`rule_types/factories/utils/generate_building_block_ids.ts`):
/// one base string over all building blocks (each block's ancestors' `id` +
/// `index`, then the rule uuid), and block `i` gets sha256(base + i).
pub fn building_block_ids(blocks_ancestors: &[&[Value]], rule_uuid: &str) -> Vec<String> {
    let mut base = String::new();
    for ancestors in blocks_ancestors {
        for ancestor in *ancestors {
            base.push_str(ancestor.get("id").and_then(Value::as_str).unwrap_or(""));
            base.push_str(ancestor.get("index").and_then(Value::as_str).unwrap_or(""));
        }
        base.push_str(rule_uuid);
    }
    let mut hashed_base = Sha256::new();
    hashed_base.update(base.as_bytes());
    (0..blocks_ancestors.len())
        .map(|i| {
            let mut hasher = hashed_base.clone();
            hasher.update(i.to_string().as_bytes());
            hex(hasher)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sha256_matches_a_known_digest() {
        // echo -n "abc" | sha256sum
        assert_eq!(
            sha256_hex(&["a", "bc"]),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn building_block_ids_depend_on_every_block() {
        let a = [json!({"id": "e1", "index": "i"})];
        let b = [json!({"id": "e2", "index": "i"})];
        let ids = building_block_ids(&[&a, &b], "rule");
        assert_eq!(ids[0], sha256_hex(&["e1irulee2irule", "0"]));
        assert_eq!(ids[1], sha256_hex(&["e1irulee2irule", "1"]));
        let c = [json!({"id": "e3", "index": "i"})];
        assert_ne!(building_block_ids(&[&a, &c], "rule")[0], ids[0]);
    }
}
