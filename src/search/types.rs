//! Requests, responses and errors of the search path.
//!
//! One set of serde types serves the CLI's `--json`, the HTTP API and
//! `kensaku eval`, so the three can never drift apart.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::locale::Locale;

/// Longest accepted query, in characters.
pub const MAX_QUERY_CHARS: usize = 1000;
/// Largest page size.
pub const MAX_LIMIT: usize = 100;
/// Deepest page reachable with `offset`.
pub const MAX_OFFSET: usize = 10_000;
pub const DEFAULT_LIMIT: usize = 10;

/// A search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// The user's text, searched as text: no operators or field syntax.
    #[schema(example = "請求書 ダウンロード", max_length = 1000)]
    pub q: String,
    /// Locale to search; detected from the query when absent.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "ja-jp")]
    pub locale: Option<Locale>,
    /// Page size, 1 to 100.
    #[serde(default = "default_limit")]
    #[schema(minimum = 1, maximum = 100, default = 10)]
    pub limit: usize,
    /// Results to skip, at most 10000.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10000, default = 0)]
    pub offset: usize,
    /// Only articles with this `ms.service`.
    #[serde(default)]
    pub service: Option<String>,
    /// Only articles with this `ms.topic`.
    #[serde(default)]
    pub topic: Option<String>,
}

fn default_limit() -> usize {
    DEFAULT_LIMIT
}

impl SearchRequest {
    pub fn new(q: impl Into<String>) -> Self {
        SearchRequest {
            q: q.into(),
            locale: None,
            limit: DEFAULT_LIMIT,
            offset: 0,
            service: None,
            topic: None,
        }
    }

    pub fn locale(mut self, locale: Locale) -> Self {
        self.locale = Some(locale);
        self
    }

    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
}

/// Results of a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SearchResponse {
    pub query: String,
    /// The locale searched (the best one when several were).
    #[schema(value_type = Option<String>)]
    pub locale: Option<Locale>,
    /// Set when the locale was detected from the query rather than given.
    #[schema(value_type = Option<String>)]
    pub detected_locale: Option<Locale>,
    /// Every locale searched, best first.
    #[schema(value_type = Vec<String>)]
    pub locales: Vec<Locale>,
    /// Matching articles, before paging.
    pub total: u64,
    pub took_ms: f64,
    pub hits: Vec<Hit>,
    pub facets: Facets,
}

/// One article in the results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Hit {
    /// Path of the article relative to its locale folder.
    #[schema(example = "partner-center/read-your-bill.md")]
    pub id: String,
    #[schema(value_type = String, example = "ja-jp")]
    pub locale: Locale,
    pub title: String,
    pub url: String,
    /// Anchor of the section the snippet comes from (`url#section`).
    pub section: Option<String>,
    /// Heading of that section.
    pub section_title: Option<String>,
    /// HTML: escaped text with matched terms in `<mark>`; no other markup.
    pub snippet: String,
    pub score: f32,
}

/// Counts of matching articles per value, for filtering.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Facets {
    pub service: BTreeMap<String, u64>,
    pub topic: BTreeMap<String, u64>,
}

/// Completions for a partly typed query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SuggestResponse {
    pub query: String,
    #[schema(value_type = Option<String>)]
    pub locale: Option<Locale>,
    pub took_ms: f64,
    pub suggestions: Vec<Suggestion>,
}

/// A title or heading that completes the query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Suggestion {
    /// The title or heading text.
    pub text: String,
    /// `title` or `heading`.
    pub kind: SuggestionKind,
    pub id: String,
    #[schema(value_type = String)]
    pub locale: Locale,
    pub url: String,
    /// Anchor of the heading, for `url#section`.
    pub section: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionKind {
    Title,
    Heading,
}

/// One article with its sections, as stored in the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ArticleView {
    pub id: String,
    #[schema(value_type = String)]
    pub locale: Locale,
    pub url: String,
    pub title: String,
    pub description: String,
    pub date: Option<String>,
    pub topic: Option<String>,
    pub service: Option<String>,
    pub subservice: Option<String>,
    pub translation_type: Option<String>,
    pub sections: Vec<SectionView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SectionView {
    pub anchor: String,
    pub heading: String,
    pub level: u8,
    /// The section's text, one block per line.
    pub text: String,
}

/// An indexed locale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LocaleInfo {
    #[schema(value_type = String, example = "ja-jp")]
    pub locale: Locale,
    /// Language code of the analyzer (`ja`, `other`, …).
    pub language: String,
    /// Name of the analyzer registered for the locale's text fields.
    pub analyzer: String,
    pub documents: u64,
    pub generation: u64,
    pub size_bytes: u64,
}

/// Why a search could not run. Every variant is the caller's to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    #[error("the query is empty")]
    EmptyQuery,
    #[error("the query is {chars} characters long; the limit is {MAX_QUERY_CHARS}")]
    QueryTooLong { chars: usize },
    #[error("limit must be between 1 and {MAX_LIMIT}, got {0}")]
    LimitOutOfRange(usize),
    #[error("offset must be at most {MAX_OFFSET}, got {0}")]
    OffsetOutOfRange(usize),
    #[error("locale {requested} is not indexed; indexed locales: {}", available.join(", "))]
    UnknownLocale {
        requested: String,
        available: Vec<String>,
    },
    #[error("no index is loaded (run `kensaku index` first)")]
    NoIndex,
    #[error("internal error: {0}")]
    Internal(String),
}

impl SearchError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            SearchError::EmptyQuery => "empty_query",
            SearchError::QueryTooLong { .. } => "query_too_long",
            SearchError::LimitOutOfRange(_) => "invalid_limit",
            SearchError::OffsetOutOfRange(_) => "invalid_offset",
            SearchError::UnknownLocale { .. } => "unknown_locale",
            SearchError::NoIndex => "no_index",
            SearchError::Internal(_) => "internal",
        }
    }

    /// Whether the request, not the server, is at fault.
    pub fn is_client_error(&self) -> bool {
        !matches!(self, SearchError::NoIndex | SearchError::Internal(_))
    }
}

impl From<tantivy::TantivyError> for SearchError {
    fn from(e: tantivy::TantivyError) -> Self {
        SearchError::Internal(e.to_string())
    }
}

/// Validates the parts of a request that do not depend on the index.
pub fn validate(request: &SearchRequest) -> Result<(), SearchError> {
    let chars = request.q.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(SearchError::QueryTooLong { chars });
    }
    if request.q.trim().is_empty() {
        return Err(SearchError::EmptyQuery);
    }
    if request.limit == 0 || request.limit > MAX_LIMIT {
        return Err(SearchError::LimitOutOfRange(request.limit));
    }
    if request.offset > MAX_OFFSET {
        return Err(SearchError::OffsetOutOfRange(request.offset));
    }
    Ok(())
}
