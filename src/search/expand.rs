//! Expanding a query term into indexed terms: typo tolerance, prefixes and
//! the parts of compounds.
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
    let Some(&first) = fields.first() else {
        return Ok(Vec::new());
    };
    // The automaton depends on the word only: built once (a distance-2 DFA
    // costs more than walking a field's dictionary with it).
    let automaton =
        FuzzyTermQuery::new(Term::from_field_text(first, term), distance, true).automaton()?;
    for &field in fields {
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

/// Most parts a compound is cut into.
const MAX_COMPOUND_PARTS: usize = 3;
/// Shortest part, in characters: shorter pieces are mostly prefixes and
/// endings that would match everywhere.
const MIN_COMPOUND_PART: usize = 4;
/// Longest word cut: a cut looks up each of the word's pieces (quadratic
/// in its length).
const MAX_COMPOUND_CHARS: usize = 48;
/// Most words of one query cut into parts, which bounds the lookups a
/// query of unknown long words costs.
pub const MAX_COMPOUND_WORDS: usize = 4;

/// The indexed terms of the parts of `word` (a lowercase surface form) in
/// a language that writes compounds as one word: `servergröße` → the terms
/// of `server` and `größe`; `abrechnungszeitraum` → `abrechnung`,
/// `zeitraum` (the `s` is one of the `links`). `term_of` gives the indexed
/// term of a piece when the index knows it.
///
/// Like Lucene's dictionary decompounder, but the dictionary is the index
/// itself, so a part is always a word the articles use. Of the cuts into
/// known parts (at most [`MAX_COMPOUND_PARTS`], each at least
/// [`MIN_COMPOUND_PART`] characters), the one with the fewest parts wins,
/// then the one whose shortest part is longest: a short piece is more
/// often a word's ending read as a word. `None` when no cut is made of
/// known parts.
pub fn compound_parts<E>(
    word: &str,
    links: &[&str],
    term_of: &mut impl FnMut(&str) -> Result<Option<String>, E>,
) -> Result<Option<Vec<String>>, E> {
    let chars = word.chars().count();
    if !(2 * MIN_COMPOUND_PART..=MAX_COMPOUND_CHARS).contains(&chars) {
        return Ok(None);
    }
    Ok(cut(word, links, MAX_COMPOUND_PARTS, term_of)?.map(|c| c.terms))
}

/// A cut of a word into known parts.
struct Cut {
    terms: Vec<String>,
    /// Characters of its shortest part.
    shortest: usize,
}

impl Cut {
    /// Fewer parts first, then a longer shortest part.
    fn better_than(&self, other: &Cut) -> bool {
        (self.terms.len(), std::cmp::Reverse(self.shortest))
            < (other.terms.len(), std::cmp::Reverse(other.shortest))
    }
}

/// The best cut of `word` into at most `parts` known parts (one part: the
/// word itself, when known).
fn cut<E>(
    word: &str,
    links: &[&str],
    parts: usize,
    term_of: &mut impl FnMut(&str) -> Result<Option<String>, E>,
) -> Result<Option<Cut>, E> {
    let chars = word.chars().count();
    if parts == 0 || chars < MIN_COMPOUND_PART {
        return Ok(None);
    }
    if parts < MAX_COMPOUND_PARTS
        && let Some(term) = term_of(word)?
    {
        return Ok(Some(Cut {
            terms: vec![term],
            shortest: chars,
        }));
    }
    if parts == 1 {
        return Ok(None);
    }
    let mut best: Option<Cut> = None;
    for (head_chars, (at, _)) in word.char_indices().enumerate() {
        if head_chars < MIN_COMPOUND_PART || chars - head_chars < MIN_COMPOUND_PART {
            continue;
        }
        let (head, rest) = word.split_at(at);
        let Some((head_term, head_len)) = head_term(head, links, term_of)? else {
            continue;
        };
        let Some(rest) = cut(rest, links, parts - 1, term_of)? else {
            continue;
        };
        let mut terms = vec![head_term];
        terms.extend(rest.terms);
        let candidate = Cut {
            terms,
            shortest: head_len.min(rest.shortest),
        };
        if best.as_ref().is_none_or(|b| candidate.better_than(b)) {
            best = Some(candidate);
        }
    }
    Ok(best)
}

/// The term of a compound's first part, read as it is or without a linking
/// element, with its length in characters.
fn head_term<E>(
    head: &str,
    links: &[&str],
    term_of: &mut impl FnMut(&str) -> Result<Option<String>, E>,
) -> Result<Option<(String, usize)>, E> {
    let unlinked = links
        .iter()
        .filter_map(|link| head.strip_suffix(link))
        .filter(|h| h.chars().count() >= MIN_COMPOUND_PART);
    for form in std::iter::once(head).chain(unlinked) {
        if let Some(term) = term_of(form)? {
            return Ok(Some((term, form.chars().count())));
        }
    }
    Ok(None)
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

    /// A German dictionary's worth of words, as their (pretend) terms.
    fn known(word: &str) -> Result<Option<String>, ()> {
        const WORDS: [&str; 10] = [
            "server",
            "größe",
            "serverg",
            "röße",
            "abrechnung",
            "zeitraum",
            "erst",
            "einrichtung",
            "richtung",
            "zugang",
        ];
        Ok(WORDS.contains(&word).then(|| format!("<{word}>")))
    }

    fn parts(word: &str) -> Option<Vec<String>> {
        compound_parts(word, &["s", "es", "n", "en"], &mut known).unwrap()
    }

    #[test]
    fn compounds_are_cut_into_known_parts() {
        assert_eq!(parts("servergröße").unwrap(), ["<server>", "<größe>"]);
        // A linking `s` joins the parts.
        assert_eq!(
            parts("abrechnungszeitraum").unwrap(),
            ["<abrechnung>", "<zeitraum>"]
        );
        // Three parts at most, fewest first.
        assert_eq!(
            parts("abrechnungszugangszeitraum").unwrap(),
            ["<abrechnung>", "<zugang>", "<zeitraum>"]
        );
        assert_eq!(
            parts("ersteinrichtung").unwrap(),
            ["<erst>", "<einrichtung>"]
        );
        // Of two cuts into two parts, the one without the shorter piece
        // (`serverg·röße` has a 4-letter one).
        assert_eq!(parts("servergröße").unwrap(), ["<server>", "<größe>"]);
    }

    #[test]
    fn a_word_with_an_unknown_part_is_not_cut() {
        assert_eq!(parts("serverfarm"), None);
        assert_eq!(parts("kulanzfrist"), None);
        // Too short to be two parts.
        assert_eq!(parts("server"), None);
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
