//! Fusing a locale's lexical and semantic candidates into one ranking.
//!
//! `semantic_ratio` (Meilisearch's name) weighs meaning against words: 0 is
//! the lexical ranking exactly, 1 the vector ranking exactly (for the
//! articles each retrieves; ties keep the order of the list that weighs
//! more). Three methods, compared by held-out evaluation (docs/benchmarks-history.md);
//! every weight is at least 0, and a candidate absent from a list weighs 0
//! in it:
//!
//! - [`FusionMethod::Convex`]: scores min-max normalised over each list's
//!   candidates, then `(1 − r) · lexical + r · semantic` (an absent
//!   candidate scores 0 in that list);
//! - [`FusionMethod::Rrf`]: reciprocal rank fusion,
//!   `(1 − r) / (k + rank_lexical) + r / (k + rank_semantic)`;
//! - [`FusionMethod::Zscore`]: scores in units of each list's standard
//!   deviation above its lowest candidate's, then combined as the convex
//!   method does.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tantivy::{DocAddress, Score};

use crate::index::vectors::Scoring;

/// How the two rankings are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FusionMethod {
    Convex,
    Rrf,
    Zscore,
}

/// Fusion weights (part of [`super::Ranking`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Fusion {
    /// Default weight of meaning against words, 0..=1, when a request names
    /// none.
    pub semantic_ratio: f32,
    pub method: FusionMethod,
    /// Candidates taken from each ranking per locale (at least the page).
    pub candidates: usize,
    /// RRF's rank offset.
    pub rrf_k: f32,
    /// How much an article's best section adds to its own vector's
    /// similarity ([`Scoring::section_weight`]).
    pub section_weight: f32,
    /// For a query in a translated locale's own script, how much each
    /// article's similarity to its English original counts against its
    /// own: `(own + w · original) / (1 + w)`. 0 searches the locale's own
    /// vectors only.
    pub originals: f32,
    /// How much an article's hubness lowers its similarity
    /// ([`Scoring::hub_penalty`]); 0 leaves similarities as they are.
    pub hub_penalty: f32,
    /// Nearest articles that make an article's hubness
    /// ([`Scoring::hub_neighbours`]).
    pub hub_neighbours: usize,
    /// When a request names no ratio, the more of the query's concept
    /// weight its best lexical match covers
    /// ([`CoverageQuery::coverage_of`](super::coverage::CoverageQuery::coverage_of))
    /// beyond this share, the more words are trusted: the ratio goes from
    /// `semantic_ratio` here to [`covered_ratio`](Self::covered_ratio) at
    /// full coverage ([`Fusion::default_ratio`]). Readers who use the
    /// articles' words are best served by words; the others, by meaning.
    /// Above 1: the ratio is `semantic_ratio` always.
    pub covered_share: f32,
    /// The ratio when the best lexical match covers the whole query.
    pub covered_ratio: f32,
}

impl Fusion {
    /// How an article's vectors score it.
    pub fn scoring(&self) -> Scoring {
        Scoring {
            section_weight: self.section_weight,
            hub_penalty: self.hub_penalty,
            hub_neighbours: self.hub_neighbours,
        }
    }

    /// The ratio a search starts from: the request's, else the configured
    /// default. Above 0, the query is embedded; each locale then fuses at
    /// [`Fusion::ratio_for`].
    pub fn starting_ratio(&self, requested: Option<f32>) -> f32 {
        requested.unwrap_or(self.semantic_ratio)
    }

    /// The ratio one locale fuses at: the request's, as given; else the
    /// default, adapted to `coverage` — how much of the query the locale's
    /// best lexical match covers, computed only when the default adapts.
    pub fn ratio_for<E>(
        &self,
        requested: Option<f32>,
        coverage: impl FnOnce() -> Result<f32, E>,
    ) -> Result<f32, E> {
        match requested {
            Some(ratio) => Ok(ratio),
            None if self.adapts() => Ok(self.default_ratio(coverage()?)),
            None => Ok(self.semantic_ratio),
        }
    }

    /// Whether the ratio may depend on how much of the query the best
    /// lexical match covers.
    pub fn adapts(&self) -> bool {
        self.covered_share <= 1.0
    }

    /// The default ratio for a query whose best lexical match covers
    /// `coverage` (0..=1) of it: `semantic_ratio` up to `covered_share`,
    /// then linearly to `covered_ratio` at full coverage. A ramp, not a
    /// step: one more word found never flips the ranking.
    pub fn default_ratio(&self, coverage: f32) -> f32 {
        if !self.adapts() {
            return self.semantic_ratio;
        }
        let span = 1.0 - self.covered_share;
        let towards_words = if span > 0.0 {
            ((coverage - self.covered_share) / span).clamp(0.0, 1.0)
        } else if coverage >= 1.0 {
            1.0
        } else {
            0.0
        };
        let ratio =
            self.semantic_ratio + (self.covered_ratio - self.semantic_ratio) * towards_words;
        // As `fuse` reads it, so that the response reports what was used.
        ratio.clamp(0.0, 1.0)
    }
}

/// The defaults are the configuration the held-out folds chose most (four
/// of five) over dev + dev2, also the best over all of them in-sample
/// (docs/benchmarks-history.md, "Words that cover the query weigh more").
impl Default for Fusion {
    fn default() -> Self {
        Fusion {
            semantic_ratio: 0.8,
            method: FusionMethod::Convex,
            candidates: 50,
            rrf_k: 60.0,
            section_weight: 1.0,
            originals: 2.0,
            hub_penalty: 0.25,
            hub_neighbours: 1,
            covered_share: 0.5,
            covered_ratio: 0.3,
        }
    }
}

/// A semantic candidate: its document, similarity and best section.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SemanticCandidate {
    pub address: DocAddress,
    pub similarity: f32,
    pub section: Option<u16>,
}

/// A fused candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fused {
    pub score: Score,
    pub address: DocAddress,
    /// The semantic match's section, when meaning weighs more than words
    /// for this document.
    pub section: Option<u16>,
    /// Whether the lexical ranking retrieved it.
    pub lexical: bool,
}

/// Fuses `lexical` (best first) with `semantic` (best first); best first.
pub fn fuse(
    lexical: &[(Score, DocAddress)],
    semantic: &[SemanticCandidate],
    ratio: f32,
    fusion: &Fusion,
) -> Vec<Fused> {
    let ratio = ratio.clamp(0.0, 1.0);
    let lexical_scores = weights(lexical.iter().map(|(s, _)| *s), fusion);
    let semantic_scores = weights(semantic.iter().map(|c| c.similarity), fusion);
    let mut fused: HashMap<DocAddress, (f32, f32, Option<u16>, bool)> = HashMap::new();
    for (&(_, address), w) in lexical.iter().zip(&lexical_scores) {
        fused.insert(address, (*w, 0.0, None, true));
    }
    for (candidate, w) in semantic.iter().zip(&semantic_scores) {
        let entry = fused
            .entry(candidate.address)
            .or_insert((0.0, 0.0, None, false));
        entry.1 = *w;
        entry.2 = candidate.section;
    }
    let mut out: Vec<Fused> = fused
        .into_iter()
        .map(|(address, (lex, sem, section, lexical))| {
            let (lex, sem) = ((1.0 - ratio) * lex, ratio * sem);
            Fused {
                score: lex + sem,
                address,
                // Meaning ranked it: the larger share of its score.
                section: section.filter(|_| sem >= lex),
                lexical,
            }
        })
        .collect();
    // Ties (ratio 0 or 1 leave the other list's candidates at 0, as its
    // lowest candidate) keep the order of the list that weighs more.
    let lexical_order = lexical.iter().map(|(_, a)| *a);
    let semantic_order = semantic.iter().map(|c| c.address);
    let listed: Vec<DocAddress> = if ratio > 0.5 {
        semantic_order.chain(lexical_order).collect()
    } else {
        lexical_order.chain(semantic_order).collect()
    };
    // First listing wins: inserted last.
    let order: HashMap<DocAddress, usize> = listed
        .iter()
        .enumerate()
        .rev()
        .map(|(i, a)| (*a, i))
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| order[&a.address].cmp(&order[&b.address]))
    });
    out
}

/// Each candidate's weight in its list, by the method.
fn weights(scores: impl ExactSizeIterator<Item = f32>, fusion: &Fusion) -> Vec<f32> {
    match fusion.method {
        FusionMethod::Rrf => (0..scores.len())
            .map(|rank| 1.0 / (fusion.rrf_k + rank as f32 + 1.0))
            .collect(),
        FusionMethod::Zscore => {
            let scores: Vec<f32> = scores.collect();
            let n = scores.len().max(1) as f32;
            let mean = scores.iter().sum::<f32>() / n;
            let deviation = (scores.iter().map(|s| (s - mean).powi(2)).sum::<f32>() / n).sqrt();
            let min = scores.iter().copied().fold(f32::MAX, f32::min);
            scores
                .iter()
                .map(|s| {
                    if deviation > 0.0 {
                        (s - min) / deviation
                    } else {
                        1.0
                    }
                })
                .collect()
        }
        FusionMethod::Convex => {
            let scores: Vec<f32> = scores.collect();
            let max = scores.iter().copied().fold(f32::MIN, f32::max);
            let min = scores.iter().copied().fold(f32::MAX, f32::min);
            let span = max - min;
            scores
                .iter()
                .map(|s| if span > 0.0 { (s - min) / span } else { 1.0 })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(i: u32) -> DocAddress {
        DocAddress::new(0, i)
    }

    fn sem(i: u32, similarity: f32) -> SemanticCandidate {
        SemanticCandidate {
            address: doc(i),
            similarity,
            section: Some(1),
        }
    }

    fn ids(fused: &[Fused]) -> Vec<u32> {
        fused.iter().map(|f| f.address.doc_id).collect()
    }

    #[test]
    fn the_default_ratio_trusts_words_when_the_best_lexical_match_covers_the_query() {
        let fusion = Fusion {
            semantic_ratio: 0.8,
            covered_share: 0.5,
            covered_ratio: 0.4,
            ..Fusion::default()
        };
        assert!(fusion.adapts());
        let near = |a: f32, b: f32| (a - b).abs() < 1e-6;
        assert_eq!(fusion.default_ratio(0.0), 0.8);
        assert_eq!(fusion.default_ratio(0.5), 0.8);
        assert!(near(fusion.default_ratio(0.75), 0.6));
        assert!(near(fusion.default_ratio(1.0), 0.4));
        let step = Fusion {
            covered_share: 1.0,
            ..fusion.clone()
        };
        assert_eq!(step.default_ratio(0.99), 0.8);
        assert_eq!(step.default_ratio(1.0), 0.4);
        let fixed = Fusion {
            covered_share: 1.5,
            ..fusion
        };
        assert!(!fixed.adapts());
        assert_eq!(fixed.default_ratio(1.0), 0.8);
    }

    #[test]
    fn ratio_zero_is_the_lexical_order_and_one_the_vector_order() {
        let lexical = [(9.0, doc(1)), (5.0, doc(2)), (5.0, doc(3)), (1.0, doc(4))];
        let semantic = [sem(4, 0.9), sem(5, 0.8), sem(1, 0.2)];
        for method in [
            FusionMethod::Convex,
            FusionMethod::Rrf,
            FusionMethod::Zscore,
        ] {
            let fusion = Fusion {
                method,
                ..Fusion::default()
            };
            let lexical_first = fuse(&lexical, &semantic, 0.0, &fusion);
            assert_eq!(ids(&lexical_first)[..4], [1, 2, 3, 4], "{method:?}");
            let vector_first = fuse(&lexical, &semantic, 1.0, &fusion);
            assert_eq!(ids(&vector_first)[..3], [4, 5, 1], "{method:?}");
            // One result per document.
            let mut all = ids(&fuse(&lexical, &semantic, 0.5, &fusion));
            all.sort();
            assert_eq!(all, [1, 2, 3, 4, 5]);
            // Disjoint lists: each list's order, whole, at its end.
            let (l, s) = ([(2.0, doc(1)), (1.0, doc(2))], [sem(3, 0.9), sem(4, 0.5)]);
            assert_eq!(ids(&fuse(&l, &s, 1.0, &fusion)), [3, 4, 1, 2], "{method:?}");
            assert_eq!(ids(&fuse(&l, &s, 0.0, &fusion)), [1, 2, 3, 4], "{method:?}");
            // No fused score below 0 (locales are merged by score ratios).
            assert!(
                fuse(&lexical, &semantic, 0.5, &fusion)
                    .iter()
                    .all(|f| f.score >= 0.0)
            );
        }
    }

    #[test]
    fn a_semantic_section_counts_only_where_meaning_weighs_more() {
        let lexical = [(9.0, doc(1)), (1.0, doc(2))];
        let semantic = [sem(2, 0.9), sem(1, 0.1)];
        let fused = fuse(&lexical, &semantic, 0.5, &Fusion::default());
        let by_id = |i| fused.iter().find(|f| f.address.doc_id == i).unwrap();
        assert_eq!(by_id(2).section, Some(1));
        assert_eq!(by_id(1).section, None);
        assert!(by_id(1).lexical && by_id(2).lexical);
    }
}
