//! Text analysis for `text` / `match_only_text` fields: Elasticsearch's
//! `standard` analyser.
//!
//! The standard tokenizer is Lucene's `StandardTokenizer`: Unicode text
//! segmentation (UAX #29) word boundaries, keeping the segments that hold a
//! letter, digit or ideograph (`cmd.exe`, `203.0.113.50`, `user:corp`, `don't`
//! and `_x_` stay single tokens; punctuation and whitespace disappear). Tokens
//! longer than `max_token_length` (255) are split into pieces of that length.
//! The `lowercase` filter then lower-cases each code point the way Java's
//! `Character.toLowerCase` does (no context-dependent final sigma, `İ` → `i`).
//! The standard analyser has no stop words by default.

use unicode_segmentation::UnicodeSegmentation;

/// Lucene's default `max_token_length` for the standard tokenizer.
pub const MAX_TOKEN_LENGTH: usize = 255;

/// The tokens the standard analyser produces for `text`, lower-cased.
pub fn standard_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.unicode_words() {
        push_token(&mut out, word);
    }
    out
}

/// Splits an over-long token into `MAX_TOKEN_LENGTH`-character pieces, as the
/// tokenizer does, and lower-cases each piece.
fn push_token(out: &mut Vec<String>, word: &str) {
    let mut piece = String::with_capacity(word.len());
    let mut count = 0;
    for c in word.chars() {
        if count == MAX_TOKEN_LENGTH {
            out.push(std::mem::take(&mut piece));
            count = 0;
        }
        push_lower(&mut piece, c);
        count += 1;
    }
    if !piece.is_empty() {
        out.push(piece);
    }
}

/// Java's `Character.toLowerCase`: one code point to one code point.
fn push_lower(out: &mut String, c: char) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    if c == '\u{130}' {
        out.push('i');
        return;
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => out.push(l),
        _ => out.push(c),
    }
}

/// Lower-cases a whole string per code point (the analyser's normalizer, used
/// for wildcard patterns matched against tokens).
pub fn lowercase(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    text.chars().for_each(|c| push_lower(&mut out, c));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        standard_tokens(s)
    }

    #[test]
    fn dotted_words_and_numbers_stay_whole() {
        assert_eq!(
            toks("Process cmd.exe started by WINWORD.EXE"),
            ["process", "cmd.exe", "started", "by", "winword.exe"]
        );
        assert_eq!(
            toks("to 203.0.113.50 on port 80"),
            ["to", "203.0.113.50", "on", "port", "80"]
        );
        assert_eq!(toks("1,000.5 items"), ["1,000.5", "items"]);
    }

    #[test]
    fn punctuation_and_slashes_disappear() {
        assert_eq!(
            toks("Failed logon for user bob: unknown"),
            ["failed", "logon", "for", "user", "bob", "unknown"]
        );
        assert_eq!(
            toks("cmd.exe /c whoami /all"),
            ["cmd.exe", "c", "whoami", "all"]
        );
        assert_eq!(
            toks("https://shop.example.com/search?q=<script>"),
            ["https", "shop.example.com", "search", "q", "script"]
        );
        assert_eq!(toks("--- ... !!!"), Vec::<String>::new());
    }

    #[test]
    fn mid_letter_apostrophe_and_underscore_join() {
        assert_eq!(
            toks("user:CORP don't _x_ a_b"),
            ["user:corp", "don't", "_x_", "a_b"]
        );
        // a colon between a letter and a digit does not join (MidLetter needs letters)
        assert_eq!(toks("port:80"), ["port", "80"]);
    }

    #[test]
    fn ideographs_are_single_tokens_and_case_is_per_code_point() {
        assert_eq!(toks("日本語"), ["日", "本", "語"]);
        assert_eq!(toks("ΟΔΟΣ İstanbul"), ["οδοσ", "istanbul"]);
    }

    #[test]
    fn long_tokens_are_split_at_255_chars() {
        let long = "a".repeat(600);
        let t = toks(&long);
        assert_eq!(
            t.iter().map(String::len).collect::<Vec<_>>(),
            [255, 255, 90]
        );
    }
}
