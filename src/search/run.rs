//! Running one locale's plan: its best documents — by words, and by
//! meaning when the query has a vector and the locale vectors — how many
//! match, and the facet counts of the (lexical) matches.

use std::collections::HashMap;

use std::cell::RefCell;

use tantivy::collector::{Collector, Count, TopDocs};
use tantivy::query::{
    Bm25StatisticsProvider, BooleanQuery, ConstScoreQuery, EnableScoring, Occur, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, Score, Searcher, Term};

use super::LocaleIndex;
use super::facets::FacetCounter;
use super::fusion::{self, Fusion, SemanticCandidate};
use super::plan::{Plan, TermStats};
use super::route::{Pivot, Target};
use super::types::{Facets, Filter, SearchError, SearchRequest, SemanticStatus};

/// A query's vector and how much it weighs, for one search.
#[derive(Debug, Clone, Copy)]
pub struct SemanticQuery<'a> {
    pub vector: &'a [f32],
    /// The request's ratio, if it names one ([`Fusion::ratio_for`] decides
    /// each locale's).
    pub requested: Option<f32>,
    pub fusion: &'a Fusion,
}

/// One ranked document of a locale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub score: Score,
    pub address: DocAddress,
    /// The section a semantic match points to, when meaning ranked it.
    pub section: Option<u16>,
}

/// The outcome of searching one locale.
pub struct LocaleResult {
    pub target: Target,
    /// Best first; at most the requested page's depth.
    pub top: Vec<Candidate>,
    pub total: u64,
    /// Of `total`, the documents that match the query's words.
    pub lexical_total: u64,
    pub facets: Facets,
    /// The weight of meaning fused into this ranking, when this locale's
    /// vectors were searched.
    pub semantic_ratio: Option<f32>,
}

impl SemanticStatus {
    /// Settles what the response says about meaning once the locales ran:
    /// whether any fused, and at which ratio — the first locale's that fused
    /// (the asked or detected one, unless it has no vectors).
    pub fn settle(&mut self, results: &[LocaleResult]) {
        self.used = results.iter().any(|r| r.semantic_ratio.is_some());
        if let Some(ratio) = results.iter().find_map(|r| r.semantic_ratio) {
            self.ratio = ratio;
        }
    }
}

/// Searches `target`'s locale for the best `depth` documents.
pub fn run(
    target: Target,
    request: &SearchRequest,
    depth: usize,
    semantic: Option<SemanticQuery<'_>>,
) -> Result<LocaleResult, SearchError> {
    // Only vectors made by the configured embedder are comparable with its
    // query vector.
    let semantic = semantic.filter(|_| target.index.has_vectors());
    let lexical_depth = match &semantic {
        Some(s) => depth.max(s.fusion.candidates),
        None => depth,
    };
    let (mut lexical, mut total, facets) = lexical(&target, request, lexical_depth)?;
    if let Some(pivot) = &target.pivot {
        let (translated, translated_total) = translated(&target, pivot, request, lexical_depth)?;
        lexical = combine(lexical, pivot.own_weight, translated, lexical_depth);
        total = total.max(translated_total);
    }
    let Some(semantic) = semantic else {
        let top = lexical
            .into_iter()
            .map(|(score, address)| Candidate {
                score,
                address,
                section: None,
            })
            .collect();
        return Ok(LocaleResult {
            target,
            top,
            total,
            lexical_total: total,
            facets,
            semantic_ratio: None,
        });
    };
    let ratio = semantic
        .fusion
        .ratio_for(semantic.requested, || best_coverage(&target, &lexical))?;
    let candidates = semantic_candidates(&target, request, &semantic, lexical_depth)?;
    let mut fused = fusion::fuse(&lexical, &candidates, ratio, semantic.fusion);
    let found_by_meaning_alone = fused.iter().filter(|f| !f.lexical).count() as u64;
    fused.truncate(depth);
    Ok(LocaleResult {
        target,
        top: fused
            .into_iter()
            .map(|f| Candidate {
                score: f.score,
                address: f.address,
                section: f.section,
            })
            .collect(),
        total: total + found_by_meaning_alone,
        lexical_total: total,
        facets,
        semantic_ratio: Some(ratio),
    })
}

type Lexical = (Vec<(Score, DocAddress)>, u64, Facets);

/// The lexical top `depth`, total and facets.
fn lexical(target: &Target, request: &SearchRequest, depth: usize) -> Result<Lexical, SearchError> {
    lexical_in(&target.index, &target.plan, request, depth)
}

/// [`lexical`] of `plan` in `index`.
fn lexical_in(
    index: &LocaleIndex,
    plan: &Plan,
    request: &SearchRequest,
    depth: usize,
) -> Result<Lexical, SearchError> {
    if plan.is_empty() {
        return Ok((Vec::new(), 0, Facets::default()));
    }
    // Pages stay consistent: every returned document is rescored.
    let rescore_depth = plan.query.rescore_depth.max(depth);
    let collectors = (
        TopDocs::with_limit(depth).order_by_score(),
        Count,
        FacetCounter::new(index.facet_table()),
    );
    let searcher = index.searcher();
    let statistics = PlanStatistics::new(&searcher, &plan.doc_freqs);
    let (top, total, facets) = if request.filters.is_empty() {
        let scoring = EnableScoring::enabled_from_statistics_provider(&statistics, &searcher);
        let weight = plan.query.weight_rescoring(scoring, rescore_depth)?;
        let fruits = searcher
            .segment_readers()
            .iter()
            .enumerate()
            .map(|(ord, segment)| collectors.collect_segment(weight.as_ref(), ord as u32, segment))
            .collect::<tantivy::Result<Vec<_>>>()?;
        collectors.merge_fruits(fruits)?
    } else {
        let mut coverage = plan.query.clone();
        coverage.rescore_depth = rescore_depth;
        let query = filtered(Box::new(coverage), &request.filters, index)?;
        searcher.search_with_statistics_provider(&query, &collectors, &statistics)?
    };
    Ok((top, total as u64, facets))
}

/// BM25 statistics for scoring a plan: the document frequencies planning
/// looked up (every clause's terms), each field's token total once per
/// search (the searcher's own provider sums every segment's for every
/// clause), and the searcher for anything else. The numbers are the
/// searcher's: scores are the same to the bit.
struct PlanStatistics<'a> {
    searcher: &'a Searcher,
    doc_freqs: &'a TermStats,
    tokens: RefCell<Vec<(Field, u64)>>,
}

impl<'a> PlanStatistics<'a> {
    fn new(searcher: &'a Searcher, doc_freqs: &'a TermStats) -> Self {
        PlanStatistics {
            searcher,
            doc_freqs,
            tokens: RefCell::new(Vec::new()),
        }
    }
}

impl Bm25StatisticsProvider for PlanStatistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        if let Some(&(_, total)) = self.tokens.borrow().iter().find(|(f, _)| *f == field) {
            return Ok(total);
        }
        let total = self.searcher.total_num_tokens(field)?;
        self.tokens.borrow_mut().push((field, total));
        Ok(total)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        self.searcher.total_num_docs()
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        let known = term
            .value()
            .as_str()
            .and_then(|text| self.doc_freqs.get(term.field(), text));
        match known {
            Some(df) => Ok(df),
            None => self.searcher.doc_freq(term),
        }
    }
}

/// The lexical top `depth` of the target's translations in the query's
/// language, as the target's documents, and how many match.
fn translated(
    target: &Target,
    pivot: &Pivot,
    request: &SearchRequest,
    depth: usize,
) -> Result<(Vec<(Score, DocAddress)>, u64), SearchError> {
    let (top, total, _) = lexical_in(&pivot.index, &pivot.plan, request, depth)?;
    let top = top
        .into_iter()
        .filter_map(|(score, address)| {
            let id = pivot.index.record(address)?.id;
            Some((score, target.index.find(id)?))
        })
        .collect();
    Ok((top, total))
}

/// How much of the query (0..=1) the best of `lexical` covers: in the
/// target's own words and, with a pivot, in its translation's, the better of
/// the two that count.
fn best_coverage(target: &Target, lexical: &[(Score, DocAddress)]) -> Result<f32, SearchError> {
    let Some(&(_, best)) = lexical.first() else {
        return Ok(0.0);
    };
    let own = || {
        target
            .plan
            .query
            .coverage_of(&target.index.searcher(), best)
    };
    let Some(pivot) = &target.pivot else {
        return Ok(own()?);
    };
    let translated = match target
        .index
        .record(best)
        .and_then(|r| pivot.index.find(r.id))
    {
        Some(address) => pivot
            .plan
            .query
            .coverage_of(&pivot.index.searcher(), address)?,
        None => 0.0,
    };
    Ok(if pivot.own_weight > 0.0 {
        own()?.max(translated)
    } else {
        translated
    })
}

/// Two lexical rankings of one locale's documents as one: each list's
/// scores relative to its best (the own list's then times `own_weight`), a
/// document taking its better one.
fn combine(
    own: Vec<(Score, DocAddress)>,
    own_weight: f32,
    translated: Vec<(Score, DocAddress)>,
    depth: usize,
) -> Vec<(Score, DocAddress)> {
    let mut best: HashMap<DocAddress, Score> = HashMap::with_capacity(own.len() + translated.len());
    for (weight, list) in [(own_weight, own), (1.0, translated)] {
        let top = list
            .first()
            .map_or(1.0, |(score, _)| *score)
            .max(f32::MIN_POSITIVE);
        for (score, address) in list {
            let relative = weight * score / top;
            let slot = best.entry(address).or_insert(relative);
            *slot = slot.max(relative);
        }
    }
    let mut combined: Vec<(Score, DocAddress)> = best
        .into_iter()
        .map(|(address, score)| (score, address))
        .collect();
    combined.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    combined.truncate(depth);
    combined
}

/// The articles closest in meaning, as documents that pass the filters.
///
/// With a [pivot](Target::pivot), an article's similarity is the better of
/// its own vectors' and its translation's in the query's language; its
/// section is always its own (section tables of translations need not
/// agree).
fn semantic_candidates(
    target: &Target,
    request: &SearchRequest,
    semantic: &SemanticQuery<'_>,
    depth: usize,
) -> Result<Vec<SemanticCandidate>, SearchError> {
    let Some(vectors) = target.index.vectors() else {
        return Ok(Vec::new());
    };
    let scoring = semantic.fusion.scoring();
    let mut candidates: Vec<SemanticCandidate> = vectors
        .search(semantic.vector, depth, &scoring)
        .into_iter()
        .filter_map(|m| {
            Some(SemanticCandidate {
                address: target.index.find(m.id)?,
                similarity: m.score,
                section: m.section,
            })
        })
        .collect();
    if let Some(pivot) = &target.pivot {
        for (address, similarity) in
            translations_matches(&target.index, &pivot.index, semantic, depth)
        {
            match candidates.iter_mut().find(|c| c.address == address) {
                Some(own) => own.similarity = own.similarity.max(similarity),
                None => candidates.push(SemanticCandidate {
                    address,
                    similarity,
                    section: None,
                }),
            }
        }
        candidates.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
        candidates.truncate(depth);
    }
    if let Some(originals) = &target.originals {
        candidates = with_originals(
            candidates,
            &translations_matches(&target.index, originals, semantic, depth),
            semantic.fusion.originals,
            depth,
        );
    }
    candidates.retain(|c| {
        request
            .filters
            .iter()
            .all(|f| target.index.meta_value(c.address, f.field).as_deref() == Some(&f.value))
    });
    Ok(candidates)
}

/// The `depth` articles of `translations` (a locale whose articles are
/// translations of `index`'s under the same ids) closest to the query, as
/// `index`'s documents with their similarity, best first.
fn translations_matches(
    index: &LocaleIndex,
    translations: &LocaleIndex,
    semantic: &SemanticQuery<'_>,
    depth: usize,
) -> Vec<(DocAddress, f32)> {
    let Some(vectors) = translations.vectors() else {
        return Vec::new();
    };
    vectors
        .search(semantic.vector, depth, &semantic.fusion.scoring())
        .into_iter()
        .filter_map(|m| Some((index.find(m.id)?, m.score)))
        .collect()
}

/// `own` candidates rescored with their originals' similarity:
/// `(own + w · original) / (1 + w)`. An article missing from one list is
/// given that list's last similarity (it ranked no better).
fn with_originals(
    own: Vec<SemanticCandidate>,
    originals: &[(DocAddress, f32)],
    weight: f32,
    depth: usize,
) -> Vec<SemanticCandidate> {
    let own_floor = own.last().map_or(0.0, |c| c.similarity);
    let original_floor = originals.last().map_or(0.0, |(_, similarity)| *similarity);
    let mut by_address: HashMap<DocAddress, (SemanticCandidate, Option<f32>)> =
        own.into_iter().map(|c| (c.address, (c, None))).collect();
    for &(address, similarity) in originals {
        by_address
            .entry(address)
            .or_insert((
                SemanticCandidate {
                    address,
                    similarity: own_floor,
                    section: None,
                },
                None,
            ))
            .1 = Some(similarity);
    }
    let mut candidates: Vec<SemanticCandidate> = by_address
        .into_values()
        .map(|(mut c, original)| {
            let original = original.unwrap_or(original_floor);
            c.similarity = (c.similarity + weight * original) / (1.0 + weight);
            c
        })
        .collect();
    candidates.sort_by(|a, b| {
        b.similarity
            .total_cmp(&a.similarity)
            .then(a.address.cmp(&b.address))
    });
    candidates.truncate(depth);
    candidates
}

/// `query` restricted to documents matching every filter (which add no score).
fn filtered(
    query: Box<dyn Query>,
    filters: &[Filter],
    index: &LocaleIndex,
) -> Result<Box<dyn Query>, SearchError> {
    if filters.is_empty() {
        return Ok(query);
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(filters.len() + 1);
    for filter in filters {
        let field = index.fields().meta(filter.field).ok_or_else(|| {
            SearchError::Internal(format!("facet {} is not indexed", filter.field.name))
        })?;
        let term = TermQuery::new(
            Term::from_field_text(field, &filter.value),
            IndexRecordOption::Basic,
        );
        clauses.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(Box::new(term), 0.0)),
        ));
    }
    clauses.push((Occur::Must, query));
    Ok(Box::new(BooleanQuery::new(clauses)))
}
