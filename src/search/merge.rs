//! Merging the locales searched into one ranking.
//!
//! One locale: its own scores. Several (a query whose language was not
//! given and that more than one index recognises): each locale's scores are
//! divided by its best and multiplied by the locale's weight, so the locale
//! whose words the query uses ranks first; articles found in several
//! locales are kept once (see [`super::page`]).

use tantivy::Score;

use crate::locale::Locale;

use super::run::{Candidate, LocaleResult};
use super::types::Facets;

/// The results of every locale searched, ranked together.
pub struct Merged {
    /// Best locale first.
    pub results: Vec<LocaleResult>,
    /// (index into `results`, candidate with its merged score), best first.
    pub ranked: Vec<(usize, Candidate)>,
    /// Matches over all locales, before paging.
    pub total: u64,
    /// Of `total`, those that match the query's words.
    pub lexical_total: u64,
    pub facets: Facets,
}

impl Merged {
    /// Whether more than one locale's results are ranked together.
    pub fn is_multilingual(&self) -> bool {
        self.results.len() > 1
    }

    /// The locales searched, best first.
    pub fn locales(&self) -> Vec<Locale> {
        self.results
            .iter()
            .map(|r| r.target.index.locale.clone())
            .collect()
    }
}

/// Ranks the documents of `results` together.
pub fn merge(mut results: Vec<LocaleResult>) -> Merged {
    // Best locale first: the one whose words the query uses.
    results.sort_by(|a, b| b.target.weight().total_cmp(&a.target.weight()));
    let multilingual = results.len() > 1;
    let mut total = 0;
    let mut lexical_total = 0;
    let mut facets = Facets::default();
    let mut ranked = Vec::new();
    for (r, result) in results.iter_mut().enumerate() {
        total += result.total;
        lexical_total += result.lexical_total;
        facets.merge(std::mem::take(&mut result.facets));
        let top = result
            .top
            .first()
            .map_or(1.0, |c| c.score)
            .max(f32::EPSILON);
        for candidate in &result.top {
            let score: Score = if multilingual {
                candidate.score / top * result.target.weight()
            } else {
                candidate.score
            };
            ranked.push((
                r,
                Candidate {
                    score,
                    ..*candidate
                },
            ));
        }
    }
    ranked.sort_by(|a, b| b.1.score.total_cmp(&a.1.score));
    Merged {
        results,
        ranked,
        total,
        lexical_total,
        facets,
    }
}
