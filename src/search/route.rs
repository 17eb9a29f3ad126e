//! Routing: which locales a search runs in, each with its query plan.
//!
//! A request that names its locale searches that one. Otherwise the query's
//! script and words pick candidates ([`detect`]); each candidate is planned
//! — once: the plan says how well the locale recognises the query's words,
//! which chooses among candidates, and is then the plan that runs.

use std::sync::Arc;

use tantivy::Searcher;

use crate::language::Writing;
use crate::locale::Language;

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
    /// When no letter of the query is in a script this locale's language
    /// uses (English asked of ja-jp, Japanese of en-us): the indexed
    /// locale in the query's own language, planned. Its articles are
    /// translations of this locale's under the same ids, so the query's
    /// words and meaning are also matched in its own language — as the
    /// `english` field matches English words against the English originals.
    pub pivot: Option<Pivot>,
    /// For a locale in another language than English, queried in its own
    /// script: the indexed English locale, whose articles are the originals
    /// of this locale's translations under the same ids. Their vectors are a
    /// second opinion on meaning ([`super::fusion::Fusion::originals`]).
    pub originals: Option<Arc<LocaleIndex>>,
}

/// A target's translations in the query's own language (see [`Target::pivot`]).
pub struct Pivot {
    pub index: Arc<LocaleIndex>,
    pub plan: Plan,
    /// [`Ranking::own_words_across_scripts`].
    pub own_weight: f32,
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
    if let Some(locale) = &request.locale {
        let index = snapshot.get(locale)?.clone();
        let pivot = pivot(snapshot, request, &index, ranking, curated)?;
        let mut reading = Reading::new(index, 1.0, &request.q, ranking, curated)?;
        if pivot.is_some() {
            // Its words are foreign here; the pivot expands them.
            reading.reading = reading.reading.foreign();
        }
        let mut target = reading.plan(&request.q, ranking, curated)?;
        target.pivot = pivot;
        target.originals = originals(snapshot, &target, ranking);
        return Ok(Route {
            targets: vec![target],
            detected: false,
        });
    }
    let mut targets = detected(snapshot, request, ranking, curated)?;
    for target in &mut targets {
        target.originals = originals(snapshot, target, ranking);
    }
    Ok(Route {
        targets,
        detected: true,
    })
}

/// The originals of `target`'s articles (see [`Target::originals`]), when
/// they weigh anything.
fn originals(snapshot: &Snapshot, target: &Target, ranking: &Ranking) -> Option<Arc<LocaleIndex>> {
    if ranking.fusion.originals <= 0.0
        || target.pivot.is_some()
        || target.index.language == Language::ORIGINALS
    {
        return None;
    }
    snapshot
        .locales
        .values()
        .find(|index| index.language == Language::ORIGINALS && index.has_vectors())
        .cloned()
}

/// The locales `request`'s query is detected to be in, planned, best first.
///
/// Every candidate is read first; only those whose best possible weight
/// reaches the least weight of the surest one are then planned in full
/// (expansion costs most of a plan), so the choice is the one planning them
/// all would make.
fn detected(
    snapshot: &Snapshot,
    request: &SearchRequest,
    ranking: &Ranking,
    curated: &Curated,
) -> Result<Vec<Target>, SearchError> {
    let indexed: Vec<_> = snapshot.locales.keys().cloned().collect();
    let detection = detect::detect(request.q.trim(), &indexed);
    let mut readings = Vec::with_capacity(detection.candidates.len());
    for candidate in &detection.candidates {
        if let Some(index) = snapshot.locales.get(&candidate.locale) {
            readings.push(Reading::new(
                index.clone(),
                candidate.prior,
                &request.q,
                ranking,
                curated,
            )?);
        }
    }
    let weight = |r: &Reading, recognition: f32| {
        // Merged locales are weighed by recognition alone (see `choose`).
        if detection.merge {
            recognition
        } else {
            recognition * r.prior
        }
    };
    // The least and most recognition of each reading's plan.
    let bounds: Vec<(f32, f32)> = readings
        .iter()
        .map(|r| r.reading.recognition_bounds())
        .collect();
    let surest = readings
        .iter()
        .zip(&bounds)
        .map(|(r, b)| weight(r, b.0))
        .fold(0.0, f32::max);
    let floor = if detection.merge {
        surest * ranking.merge_threshold
    } else {
        surest
    };
    let mut candidates = Vec::with_capacity(readings.len());
    for (reading, bounds) in readings.into_iter().zip(bounds) {
        if weight(&reading, bounds.1) >= floor {
            candidates.push(reading.plan(&request.q, ranking, curated)?);
        }
    }
    Ok(choose(candidates, detection.merge, ranking))
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

/// The locale in the query's own language to match it in as well, planned,
/// when no letter of the query is in a script of `index`'s language (see
/// [`Target::pivot`]): the locale the query would search had it named none.
fn pivot(
    snapshot: &Snapshot,
    request: &SearchRequest,
    index: &LocaleIndex,
    ranking: &Ranking,
    curated: &Curated,
) -> Result<Option<Pivot>, SearchError> {
    let Some(writing) = detect::writing(&request.q) else {
        return Ok(None);
    };
    // A query with any letter of the locale's own script (`Partner Center
    // の請求書` of ja-jp, `Azure 请求` of en-us) is read in the locale.
    let foreign = request
        .q
        .chars()
        .filter(|c| c.is_alphabetic())
        .all(|c| Writing::of(c).is_none_or(|w| !detect::writes(index.language, w)));
    if !foreign {
        return Ok(None);
    }
    Ok(detected(snapshot, request, ranking, curated)?
        .into_iter()
        .find(|t| detect::writes(t.index.language, writing))
        .map(|t| Pivot {
            index: t.index,
            plan: t.plan,
            own_weight: ranking.own_words_across_scripts,
        }))
}

/// One candidate locale's [reading](plan::Reading) of the query, kept to be
/// planned if the locale can be chosen.
struct Reading {
    index: Arc<LocaleIndex>,
    prior: f32,
    analyzers: QueryAnalyzers,
    reading: plan::Reading,
}

impl Reading {
    fn new(
        index: Arc<LocaleIndex>,
        prior: f32,
        query: &str,
        ranking: &Ranking,
        curated: &Curated,
    ) -> Result<Reading, SearchError> {
        let searcher = index.searcher();
        let mut analyzers = QueryAnalyzers::for_language(index.language);
        let reading = plan::read(
            query,
            &context(&index, &searcher, ranking, curated),
            &mut analyzers,
        )?;
        Ok(Reading {
            index,
            prior,
            analyzers,
            reading,
        })
    }

    fn plan(
        mut self,
        query: &str,
        ranking: &Ranking,
        curated: &Curated,
    ) -> Result<Target, SearchError> {
        let searcher = self.index.searcher();
        let plan = plan::plan_reading(
            self.reading,
            query,
            &context(&self.index, &searcher, ranking, curated),
            &mut self.analyzers,
        )?;
        Ok(Target {
            index: self.index,
            prior: self.prior,
            plan,
            pivot: None,
            originals: None,
        })
    }
}

fn context<'a>(
    index: &'a LocaleIndex,
    searcher: &'a Searcher,
    ranking: &'a Ranking,
    curated: &'a Curated,
) -> plan::Context<'a> {
    plan::Context {
        searcher,
        fields: index.fields(),
        language: index.language,
        ranking,
        synonyms: curated.synonyms(&index.locale),
    }
}

/// Among planned candidates, the locales to search: the one whose index
/// knows the query's words best, or — when merging (kanji-only queries) —
/// every one that knows them nearly as well as the best.
fn choose(mut candidates: Vec<Target>, merge: bool, ranking: &Ranking) -> Vec<Target> {
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
    if candidates.len() <= 1 {
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
