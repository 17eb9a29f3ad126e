//! The requested page of a merged ranking: one hit per article, each with
//! the snippet of its best passage.
//!
//! Snippets are cut for the returned page only.

use tantivy::Score;

use crate::index::hitstore::HitRecord;
use crate::index::stored::{SectionTable, StoredSection};

use super::merge::Merged;
use super::run::LocaleResult;
use super::snippet::{self, Shape};
use super::types::{Hit, SearchError};

/// Hits `offset..offset + limit` of `merged`.
pub fn page(merged: &Merged, offset: usize, limit: usize) -> Result<Vec<Hit>, SearchError> {
    let mut hits = Vec::with_capacity(limit);
    // Merged locales share article ids: each article counts once, at its
    // best rank (read from the hit store).
    let mut seen_ids: Vec<&str> = Vec::new();
    let mut skipped = 0;
    for &(score, r, address) in &merged.ranked {
        let result = &merged.results[r];
        let record = result.target.index.record(address).ok_or_else(|| {
            SearchError::Internal(format!(
                "{}: document {address:?} has no hit-store record",
                result.target.index.locale
            ))
        })?;
        if merged.is_multilingual() {
            if seen_ids.contains(&record.id) {
                continue;
            }
            seen_ids.push(record.id);
        }
        if skipped < offset {
            skipped += 1;
            continue;
        }
        hits.push(hit(result, &record, score));
        if hits.len() == limit {
            break;
        }
    }
    Ok(hits)
}

/// The hit of one document, with its snippet.
fn hit(result: &LocaleResult, record: &HitRecord<'_>, score: Score) -> Hit {
    let index = &result.target.index;
    let plan = &result.target.plan;
    let sections: Vec<StoredSection> = SectionTable::decode(record.sections);
    let weights: Vec<f32> = plan.concepts.iter().map(|c| c.weight).collect();
    let shape = Shape::of(index.language);
    let mut cut = snippet::snippet(
        record.body,
        record.termvec,
        &sections,
        &plan.highlight,
        &weights,
        shape,
    );
    if !cut.matched && !record.description.is_empty() {
        cut.text = snippet::plain(record.description, shape);
    }
    let section = cut.section.and_then(|i| sections.get(i));
    Hit {
        id: record.id.to_string(),
        locale: index.locale.clone(),
        title: record.title.to_string(),
        url: record.url.to_string(),
        section: section.map(|s| s.anchor.clone()).filter(|a| !a.is_empty()),
        section_title: section.map(|s| s.heading.clone()).filter(|h| !h.is_empty()),
        snippet: cut.text,
        score: (score * 1000.0).round() / 1000.0,
    }
}
