//! Running one locale's plan: its best documents, how many match, and the
//! facet counts of the matches.

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Score, Term};

use super::facets::FacetCounter;
use super::route::Target;
use super::types::{Facets, Filter, SearchError, SearchRequest};

/// The outcome of searching one locale.
pub struct LocaleResult {
    pub target: Target,
    /// Best first; at most the requested page's depth.
    pub top: Vec<(Score, DocAddress)>,
    pub total: u64,
    pub facets: Facets,
}

/// Searches `target`'s locale for the best `depth` documents.
pub fn run(
    target: Target,
    request: &SearchRequest,
    depth: usize,
) -> Result<LocaleResult, SearchError> {
    if target.plan.is_empty() {
        return Ok(LocaleResult {
            target,
            top: Vec::new(),
            total: 0,
            facets: Facets::default(),
        });
    }
    let mut coverage = target.plan.query.clone();
    // Pages stay consistent: every returned document is rescored.
    coverage.rescore_depth = coverage.rescore_depth.max(depth);
    let query = filtered(Box::new(coverage), &request.filters, &target)?;
    let (top, total, facets) = target.index.searcher().search(
        &query,
        &(
            TopDocs::with_limit(depth).order_by_score(),
            Count,
            FacetCounter,
        ),
    )?;
    Ok(LocaleResult {
        target,
        top,
        total: total as u64,
        facets,
    })
}

/// `query` restricted to documents matching every filter (which add no score).
fn filtered(
    query: Box<dyn Query>,
    filters: &[Filter],
    target: &Target,
) -> Result<Box<dyn Query>, SearchError> {
    if filters.is_empty() {
        return Ok(query);
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(filters.len() + 1);
    for filter in filters {
        let field = target.index.fields().meta(filter.field).ok_or_else(|| {
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
