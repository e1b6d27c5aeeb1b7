//! Text analysis for `text` / `match_only_text` fields: Elasticsearch's
//! `standard` analyser (Unicode word segmentation, lower-casing, no stop words).
//!
//! This first version splits on characters that are neither alphanumeric nor
//! joiners inside a word; the KQL work refines it to UAX #29 word boundaries.

/// The tokens the standard analyser produces for `text`, lower-cased.
pub fn standard_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let joiner = matches!(c, '.' | '\'' | ':' | '_')
            && i > 0
            && chars[i - 1].is_alphanumeric()
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if c.is_alphanumeric() || joiner {
            cur.extend(c.to_lowercase());
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}
