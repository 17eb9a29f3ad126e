//! Expanding a query term into indexed terms: typo tolerance and prefixes.
//!
//! Expansions are looked up in the term dictionaries of the index, so they
//! only ever produce terms that exist, with their document frequencies.

use std::collections::HashMap;

use tantivy::query::FuzzyTermQuery;
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

/// Most expansions kept per term, most frequent first.
pub const MAX_EXPANSIONS: usize = 12;

/// Edit distance allowed for a term of `chars` characters: none for short
/// words (too many neighbours), one for medium, two for long words.
pub fn typo_distance(chars: usize) -> u8 {
    match chars {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Whether typo and prefix matching make sense for `term`: alphabetic words
/// of scripts written with spaces (Latin, Cyrillic, Greek). CJK words are
/// dictionary-segmented and typed through an IME; digits are identifiers.
pub fn is_expandable(term: &str) -> bool {
    !term.is_empty()
        && term
            .chars()
            .all(|c| c.is_alphabetic() && (c as u32) < 0x2E80 || c == '\'' || c == '-')
}

/// Indexed terms within `distance` edits of `term` (transpositions count as
/// one edit), excluding `term` itself.
pub fn fuzzy(
    searcher: &Searcher,
    fields: &[Field],
    term: &str,
    distance: u8,
) -> tantivy::Result<Vec<(String, u64)>> {
    let mut found: HashMap<String, u64> = HashMap::new();
    for &field in fields {
        let automaton =
            FuzzyTermQuery::new(Term::from_field_text(field, term), distance, true).automaton()?;
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(field)?;
            let mut stream = inverted.terms().search(&automaton).into_stream()?;
            while stream.advance() {
                if let Ok(text) = std::str::from_utf8(stream.key())
                    && text != term
                {
                    *found.entry(text.to_string()).or_default() +=
                        u64::from(stream.value().doc_freq);
                }
            }
        }
    }
    Ok(most_frequent(found))
}

/// Indexed terms starting with `prefix` (longer than it).
pub fn prefix(
    searcher: &Searcher,
    fields: &[Field],
    prefix: &str,
) -> tantivy::Result<Vec<(String, u64)>> {
    let mut found: HashMap<String, u64> = HashMap::new();
    for &field in fields {
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(field)?;
            let mut stream = inverted
                .terms()
                .range()
                .ge(prefix.as_bytes())
                .into_stream()?;
            while stream.advance() {
                let key = stream.key();
                if !key.starts_with(prefix.as_bytes()) {
                    break;
                }
                if key.len() > prefix.len()
                    && let Ok(text) = std::str::from_utf8(key)
                {
                    *found.entry(text.to_string()).or_default() +=
                        u64::from(stream.value().doc_freq);
                }
            }
        }
    }
    Ok(most_frequent(found))
}

fn most_frequent(found: HashMap<String, u64>) -> Vec<(String, u64)> {
    let mut terms: Vec<_> = found.into_iter().collect();
    terms.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    terms.truncate(MAX_EXPANSIONS);
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_grows_with_length() {
        assert_eq!(typo_distance(3), 0);
        assert_eq!(typo_distance(5), 1);
        assert_eq!(typo_distance(9), 2);
    }

    #[test]
    fn only_spaced_alphabetic_scripts_expand() {
        assert!(is_expandable("invoice"));
        assert!(is_expandable("счет"));
        assert!(!is_expandable("請求"));
        assert!(!is_expandable("3.6.3"));
        assert!(!is_expandable("21vianet"));
    }
}
