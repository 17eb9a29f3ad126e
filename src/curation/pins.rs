//! Pinned and hidden results: for an exact (normalized) query, articles
//! put first in a given order, and articles left out.
//!
//! One TOML file per locale:
//!
//! ```toml
//! [[rule]]
//! query = "download invoice"                  # matched after normalize_query
//! pin = ["partner-center/read-your-bill.md"]  # first, in this order
//! hide = ["partner-center/old-billing.md"]     # never shown for this query
//! ```

use std::collections::HashMap;

use serde::Deserialize;

use crate::analysis;

/// The pins and hides of one query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinRule {
    pub query: String,
    #[serde(default)]
    pub pin: Vec<String>,
    #[serde(default)]
    pub hide: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PinFile {
    #[serde(default)]
    rule: Vec<PinRule>,
}

/// A locale's rules, by normalized query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pins {
    by_query: HashMap<String, PinRule>,
}

/// The form a query is matched in: case-folded, whitespace collapsed, NFKC
/// (so `Download  Invoice` and `ｄｏｗｎｌｏａｄ invoice` are one query).
pub fn normalize_query(query: &str) -> String {
    let composed = analysis::filters::nfkc(query);
    let mut out = String::with_capacity(composed.len());
    for word in composed.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        let start = out.len();
        out.push_str(word);
        if word.is_ascii() {
            out[start..].make_ascii_lowercase();
        } else if word.chars().any(has_lower_case) {
            // (A word at a time: Greek's final sigma looks at its word.)
            out.truncate(start);
            out.push_str(&word.to_lowercase());
        }
        // Else no capital: a table search per character (what
        // `str::to_lowercase` does) would find each unchanged, and almost
        // every word of a non-Latin query is one.
    }
    out
}

/// Whether lower-casing may change `c`: a capital, or (in Greek Extended) a
/// title-case letter, the only ones NFKC leaves (ᾈ → ᾀ).
fn has_lower_case(c: char) -> bool {
    c.is_uppercase() || ('\u{1F88}'..='\u{1FFC}').contains(&c)
}

impl Pins {
    /// Parses a pins file: its rules, or the error with its line.
    pub fn parse(text: &str) -> Result<(Pins, Vec<String>), String> {
        let file: PinFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut by_query = HashMap::new();
        let mut warnings = Vec::new();
        for mut rule in file.rule {
            let key = normalize_query(&rule.query);
            if key.is_empty() {
                warnings.push("a rule with an empty query (skipped)".to_string());
                continue;
            }
            if rule.pin.iter().any(|p| rule.hide.contains(p)) {
                warnings.push(format!(
                    "{:?}: an article both pinned and hidden (pinned)",
                    rule.query
                ));
                let pin = rule.pin.clone();
                rule.hide.retain(|h| !pin.contains(h));
            }
            if by_query.insert(key, rule.clone()).is_some() {
                warnings.push(format!(
                    "{:?}: a second rule for the query (the last wins)",
                    rule.query
                ));
            }
        }
        Ok((Pins { by_query }, warnings))
    }

    /// The rule of `query`, if any.
    pub fn rule(&self, query: &str) -> Option<&PinRule> {
        self.by_query.get(&normalize_query(query))
    }

    pub fn len(&self) -> usize {
        self.by_query.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_query.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_folded_whatever_their_form() {
        use unicode_normalization::UnicodeNormalization;
        for (query, normalized) in [
            ("  Download   INVOICE ", "download invoice"),
            ("ＩＮＶＯＩＣＥ　請求書", "invoice 請求書"),
            ("請求書 を ダウンロード", "請求書 を ダウンロード"),
            ("ｾｷｭﾘﾃｨ", "セキュリティ"),
            ("Cafe\u{301} Ünïcode", "café ünïcode"),
            (
                "Rechnungs\u{AD}übersicht ÄNDERN",
                "rechnungs\u{AD}übersicht ändern",
            ),
            // Final sigma, and a title-case letter NFKC keeps.
            ("ΟΔΟΣ  ΜΑΣ", "οδος μας"),
            ("ᾈ", "ᾀ"),
        ] {
            assert_eq!(normalize_query(query), normalized, "{query:?}");
            // The same as normalizing every query in full.
            let full: String = query.nfkc().collect::<String>().to_lowercase();
            assert_eq!(
                normalize_query(query),
                full.split_whitespace().collect::<Vec<_>>().join(" ")
            );
        }
    }

    #[test]
    fn rules_match_normalized_queries() {
        let (pins, warnings) = Pins::parse(
            "[[rule]]\nquery = \"Download  Invoice\"\npin = [\"a.md\", \"b.md\"]\nhide = [\"c.md\", \"a.md\"]\n",
        )
        .unwrap();
        assert_eq!(warnings.len(), 1);
        let rule = pins.rule("download invoice ").unwrap();
        assert_eq!(rule.pin, ["a.md", "b.md"]);
        assert_eq!(rule.hide, ["c.md"]);
        assert!(pins.rule("ｄｏｗｎｌｏａｄ INVOICE").is_some());
        assert!(pins.rule("download invoices").is_none());
        let error = Pins::parse("[[rule]]\nquery = 3\n").unwrap_err();
        assert!(error.contains("line 2"), "{error}");
    }
}
