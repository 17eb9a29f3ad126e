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
    use unicode_normalization::UnicodeNormalization;
    // NFKC leaves ASCII as it is: most queries need no normalization pass.
    let folded: String = if query.is_ascii() {
        query.to_ascii_lowercase()
    } else {
        query.nfkc().collect::<String>().to_lowercase()
    };
    let mut out = String::with_capacity(folded.len());
    for word in folded.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
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
