//! Search-as-you-type completions from titles and headings.
//!
//! A [`Suggester`] is built once per locale index, on first use: every
//! title and heading, analyzed with the locale's analyzer, in a small
//! in-memory inverted index. A query matches an entry when every finished
//! word of the query is one of the entry's terms and the word being typed is
//! a prefix of one of them — a sorted map lookup per word, fast enough for
//! every keystroke.

use std::collections::{BTreeMap, HashSet};

use tantivy::DocAddress;
use tantivy::tokenizer::TextAnalyzer;

use crate::analysis;
use crate::index::stored::SectionTable;
use crate::locale::{Language, Locale};

use super::types::{Suggestion, SuggestionKind};
use crate::index::LocaleReader;

struct Entry {
    text: String,
    kind: SuggestionKind,
    id: String,
    url: String,
    section: Option<String>,
    /// Number of distinct terms (shorter entries are better completions).
    terms: u32,
}

/// Titles and headings of one locale, indexed by term.
pub struct Suggester {
    locale: Locale,
    language: Language,
    entries: Vec<Entry>,
    /// Term → sorted entry ids.
    postings: BTreeMap<String, Vec<u32>>,
}

impl Suggester {
    /// Reads every live document's title and headings from the hit store.
    pub fn build(index: &LocaleReader) -> tantivy::Result<Suggester> {
        let mut localized = analysis::build(index.language);
        let mut plain = analysis::build(Language::Other);
        let mut entries = Vec::new();
        let mut postings: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let mut seen = HashSet::new();
        let searcher = index.searcher();
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            for doc_id in segment.doc_ids_alive() {
                let Some(record) = index.record(DocAddress::new(ord as u32, doc_id)) else {
                    continue;
                };
                let mut candidates = vec![(record.title.to_string(), SuggestionKind::Title, None)];
                for section in SectionTable::decode(record.sections) {
                    if !section.heading.is_empty() {
                        candidates.push((
                            section.heading,
                            SuggestionKind::Heading,
                            // No anchor: the heading links to its page.
                            Some(section.anchor).filter(|a| !a.is_empty()),
                        ));
                    }
                }
                for (text, kind, section) in candidates {
                    if text.is_empty() || !seen.insert((text.clone(), record.id)) {
                        continue;
                    }
                    let entry_id = entries.len() as u32;
                    let mut terms: HashSet<String> = HashSet::new();
                    for analyzer in [&mut localized, &mut plain] {
                        for token in analysis::analyze(analyzer, &text) {
                            terms.insert(token.text);
                        }
                    }
                    for term in &terms {
                        postings.entry(term.clone()).or_default().push(entry_id);
                    }
                    entries.push(Entry {
                        text,
                        kind,
                        id: record.id.to_string(),
                        url: record.url.to_string(),
                        section,
                        terms: terms.len() as u32,
                    });
                }
            }
        }
        Ok(Suggester {
            locale: index.locale.clone(),
            language: index.language,
            entries,
            postings,
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn language(&self) -> Language {
        self.language
    }

    /// Up to `limit` completions of `query`; `localized` is the locale's
    /// analyzer, `plain` the stemming-free one.
    pub fn suggest(
        &self,
        query: &str,
        limit: usize,
        localized: &mut TextAnalyzer,
        plain: &mut TextAnalyzer,
    ) -> Vec<Suggestion> {
        let finished = !query.ends_with(|c: char| c.is_alphanumeric());
        let words = analysis::analyze(plain, query);
        let Some(last) = words.last() else {
            return Vec::new();
        };
        // Finished words must match exactly (in either analysis); the word
        // being typed matches as a prefix of its plain form.
        let typing_from = if finished {
            usize::MAX
        } else {
            last.offset_from
        };
        // Words the localized analyzer drops (stop words) do not constrain.
        let mut required: Vec<HashSet<u32>> = Vec::new();
        for token in analysis::analyze(localized, query) {
            if token.offset_from >= typing_from {
                continue;
            }
            let ids = self.postings.get(&token.text);
            required.push(ids.map_or_else(HashSet::new, |ids| ids.iter().copied().collect()));
        }
        if !finished {
            let prefix = last.text.as_str();
            let mut matching = HashSet::new();
            for (term, ids) in self.postings.range(prefix.to_string()..) {
                if !term.starts_with(prefix) {
                    break;
                }
                matching.extend(ids.iter().copied());
            }
            required.push(matching);
        }
        if required.is_empty() {
            return Vec::new();
        }
        required.sort_by_key(HashSet::len);
        let mut candidates: Vec<u32> = required[0]
            .iter()
            .copied()
            .filter(|id| required[1..].iter().all(|set| set.contains(id)))
            .collect();
        let query_lower = query.trim().to_lowercase();
        candidates.sort_by_key(|&id| {
            let e = &self.entries[id as usize];
            let starts = e.text.to_lowercase().starts_with(&query_lower);
            (
                !starts,
                e.kind != SuggestionKind::Title,
                e.terms,
                e.text.len(),
                id,
            )
        });
        let mut seen_text = HashSet::new();
        candidates
            .into_iter()
            .map(|id| &self.entries[id as usize])
            .filter(|e| seen_text.insert(e.text.as_str()))
            .take(limit)
            .map(|e| Suggestion {
                text: e.text.clone(),
                kind: e.kind,
                id: e.id.clone(),
                locale: self.locale.clone(),
                url: e.url.clone(),
                section: e.section.clone(),
            })
            .collect()
    }
}
