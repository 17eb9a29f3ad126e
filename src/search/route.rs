//! Routing: which locales a search runs in, each with its query plan.
//!
//! A request that names its locale searches that one. Otherwise the query's
//! script and words pick candidates ([`detect`]); each candidate is planned
//! — once: the plan says how well the locale recognises the query's words,
//! which chooses among candidates, and is then the plan that runs.

use std::sync::Arc;

use super::analyzers::QueryAnalyzers;
use super::detect;
use super::plan::{self, Plan, Ranking};
use super::types::{SearchError, SearchRequest};
use super::{Curated, LocaleIndex, Snapshot};

/// One locale to search, planned.
pub struct Target {
    pub index: Arc<LocaleIndex>,
    /// How likely the query is in this locale's language (1 when given).
    pub prior: f32,
    pub plan: Plan,
    /// When the query is written in a script this locale's language does
    /// not use (English asked of ja-jp, Japanese of en-us): the indexed
    /// locale with vectors in the query's own language. Its articles are
    /// translations of this locale's, under the same ids, so meaning is
    /// also matched query-language to query-language — the semantic twin of
    /// matching English words against the English originals.
    pub pivot: Option<Arc<LocaleIndex>>,
}

impl Target {
    /// How much this locale's results count when locales are merged.
    pub fn weight(&self) -> f32 {
        self.plan.recognition * self.prior
    }
}

/// The locales of one search.
pub struct Route {
    /// Best first.
    pub targets: Vec<Target>,
    /// Whether the locale was detected rather than requested.
    pub detected: bool,
}

/// Chooses and plans the locales `request` searches.
pub fn route(
    snapshot: &Snapshot,
    request: &SearchRequest,
    ranking: &Ranking,
    curated: &Curated,
) -> Result<Route, SearchError> {
    if snapshot.locales.is_empty() {
        return Err(SearchError::NoIndex);
    }
    let query = request.q.trim();
    if let Some(locale) = &request.locale {
        let index = snapshot.get(locale)?.clone();
        let mut target = target(index, 1.0, &request.q, ranking, curated)?;
        target.pivot = pivot(snapshot, query, &target.index);
        return Ok(Route {
            targets: vec![target],
            detected: false,
        });
    }
    let indexed: Vec<_> = snapshot.locales.keys().cloned().collect();
    let detection = detect::detect(query, &indexed);
    let mut candidates = Vec::with_capacity(detection.candidates.len());
    for candidate in &detection.candidates {
        if let Some(index) = snapshot.locales.get(&candidate.locale) {
            candidates.push(target(
                index.clone(),
                candidate.prior,
                &request.q,
                ranking,
                curated,
            )?);
        }
    }
    Ok(Route {
        targets: choose(candidates, detection.merge, ranking),
        detected: true,
    })
}

/// The best detected locale for `query` (suggestions search one locale).
pub fn detect_best(snapshot: &Snapshot, query: &str) -> Option<Arc<LocaleIndex>> {
    let indexed: Vec<_> = snapshot.locales.keys().cloned().collect();
    let best = detect::detect(query, &indexed)
        .candidates
        .into_iter()
        .next()?;
    snapshot.locales.get(&best.locale).cloned()
}

/// The locale in `query`'s own language to match meaning in as well, when
/// `index`'s language is not written in the query's script (see
/// [`Target::pivot`]).
fn pivot(snapshot: &Snapshot, query: &str, index: &LocaleIndex) -> Option<Arc<LocaleIndex>> {
    let writing = detect::writing(query)?;
    if !index.has_vectors() || index.language.spec().writing.contains(&writing) {
        return None;
    }
    let indexed: Vec<_> = snapshot.locales.keys().cloned().collect();
    detect::detect(query, &indexed)
        .candidates
        .iter()
        .filter_map(|c| snapshot.locales.get(&c.locale))
        .find(|l| l.has_vectors() && l.language.spec().writing.contains(&writing))
        .cloned()
}

/// Plans `query` against one locale.
fn target(
    index: Arc<LocaleIndex>,
    prior: f32,
    query: &str,
    ranking: &Ranking,
    curated: &Curated,
) -> Result<Target, SearchError> {
    let searcher = index.searcher();
    let mut analyzers = QueryAnalyzers::for_language(index.language);
    let plan = plan::plan(
        query,
        &plan::Context {
            searcher: &searcher,
            fields: index.fields(),
            language: index.language,
            ranking,
            synonyms: curated.synonyms(&index.locale),
        },
        &mut analyzers,
    )?;
    Ok(Target {
        index,
        prior,
        plan,
        pivot: None,
    })
}

/// Among planned candidates, the locales to search: the one whose index
/// knows the query's words best, or — when merging (kanji-only queries) —
/// every one that knows them nearly as well as the best.
fn choose(mut candidates: Vec<Target>, merge: bool, ranking: &Ranking) -> Vec<Target> {
    if candidates.len() <= 1 {
        return candidates;
    }
    if merge {
        let best = candidates
            .iter()
            .map(|t| t.plan.recognition)
            .fold(0.0, f32::max);
        candidates.retain(|t| {
            let fit = t.plan.recognition;
            fit > 0.0 && fit >= best * ranking.merge_threshold
        });
        // Merged locales are weighed by recognition alone.
        for t in &mut candidates {
            t.prior = t.plan.recognition;
        }
        return candidates;
    }
    // The first of equally good candidates wins (detection's order).
    let mut best = 0;
    for (i, t) in candidates.iter().enumerate() {
        if t.weight() > candidates[best].weight() {
            best = i;
        }
    }
    vec![candidates.swap_remove(best)]
}
