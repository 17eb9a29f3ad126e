//! The requested page of a merged ranking: one hit per article, each with
//! the snippet of its best passage.
//!
//! Snippets are cut for the returned page only.

use crate::analysis;
use crate::index::hitstore::HitRecord;
use crate::index::stored::SectionTable;

use crate::curation::pins::PinRule;

use super::analyzers;
use super::merge::Merged;
use super::run::{Candidate, LocaleResult};
use super::snippet::{self, Shape};
use super::types::{Hit, SearchError};

/// Hits `offset..offset + limit` of `merged`: the articles a curated rule
/// pins first (in its order), then the ranking without the articles it
/// pins or hides.
pub fn page(
    merged: &Merged,
    offset: usize,
    limit: usize,
    pins: Option<&PinRule>,
) -> Result<Vec<Hit>, SearchError> {
    let pinned = pinned(merged, pins)?;
    let hidden: &[String] = pins.map_or(&[], |p| &p.hide);
    let mut hits = Vec::with_capacity(limit);
    // Each article counts once, at its best rank: merged locales share
    // article ids, and a pinned article is not ranked again.
    let mut seen_ids: Vec<String> = Vec::new();
    let mut skipped = 0;
    let ranked = pinned.iter().map(|p| (p.0, p.1, true));
    let ranked = ranked.chain(merged.ranked.iter().map(|&(r, c)| (r, c, false)));
    for (r, candidate, is_pinned) in ranked {
        let result = &merged.results[r];
        let record = record(result, candidate)?;
        if seen_ids.iter().any(|id| id == record.id) || hidden.iter().any(|h| h == record.id) {
            continue;
        }
        if merged.is_multilingual() || !pinned.is_empty() {
            seen_ids.push(record.id.to_string());
        }
        if skipped < offset {
            skipped += 1;
            continue;
        }
        let mut hit = hit(result, &record, candidate);
        hit.pinned = is_pinned;
        hits.push(hit);
        if hits.len() == limit {
            break;
        }
    }
    Ok(hits)
}

/// The pinned articles found in the best locale, in the rule's order.
fn pinned(merged: &Merged, pins: Option<&PinRule>) -> Result<Vec<(usize, Candidate)>, SearchError> {
    let (Some(rule), Some(best)) = (pins, merged.results.first()) else {
        return Ok(Vec::new());
    };
    let top = best.top.first().map_or(1.0, |c| c.score);
    let mut pinned = Vec::with_capacity(rule.pin.len());
    for id in &rule.pin {
        if let Some(address) = best.target.index.find(id) {
            let score = top;
            pinned.push((
                0,
                Candidate {
                    score,
                    address,
                    section: None,
                },
            ));
        }
    }
    Ok(pinned)
}

fn record<'a>(
    result: &'a LocaleResult,
    candidate: Candidate,
) -> Result<HitRecord<'a>, SearchError> {
    let address = candidate.address;
    result.target.index.record(address).ok_or_else(|| {
        SearchError::Internal(format!(
            "{}: document {address:?} has no hit-store record",
            result.target.index.locale
        ))
    })
}

/// The hit of one document, with its snippet: the passage with the most
/// query words — within the section a semantic match points to, when
/// meaning ranked the document.
fn hit(result: &LocaleResult, record: &HitRecord<'_>, candidate: Candidate) -> Hit {
    let index = &result.target.index;
    let plan = &result.target.plan;
    let sections = SectionTable::spans(record.sections);
    let weights: Vec<f32> = plan.concepts.iter().map(|c| c.weight).collect();
    let shape = Shape::of(index.language);
    let within = candidate
        .section
        .and_then(|s| sections.get(s as usize))
        .map(|s| s.start as usize..s.end as usize);
    let mut cut = snippet::snippet(
        record.body,
        record.termvec,
        &sections,
        &plan.highlight,
        &weights,
        shape,
        within.clone(),
    );
    if !cut.matched && within.is_none() && !record.description.is_empty() {
        // The body does not hold the query's words: the description may
        // (analyzed now: a short text, only for such hits).
        let mut analyzer = analyzers::take(index.language);
        let tokens = analysis::analyze(&mut analyzer, record.description);
        cut.text = snippet::marked(
            record.description,
            &tokens,
            &plan.highlight,
            &weights,
            shape,
        );
    }
    let section = cut
        .section
        .and_then(|i| SectionTable::nth(record.sections, i));
    Hit {
        id: record.id.to_string(),
        locale: index.locale.clone(),
        title: record.title.to_string(),
        url: record.url.to_string(),
        section: section
            .as_ref()
            .map(|s| s.anchor)
            .filter(|a| !a.is_empty())
            .map(str::to_string),
        section_title: section
            .as_ref()
            .map(|s| s.heading)
            .filter(|h| !h.is_empty())
            .map(str::to_string),
        snippet: cut.text,
        score: (candidate.score * 1000.0).round() / 1000.0,
        pinned: false,
    }
}
