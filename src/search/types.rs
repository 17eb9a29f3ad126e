//! Requests, responses and errors of the search path.
//!
//! One set of serde types serves the CLI's `--json`, the HTTP API and
//! `kensaku eval`, so the three can never drift apart. Results are data:
//! a hit's snippet is [`Highlighted`] text, rendered as HTML only when
//! serialized (the JSON contract) or by the doors that show it.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, Serializer};
use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, schema::AdditionalProperties};
use utoipa::{PartialSchema, ToSchema};

use crate::article::meta::{self, META_FIELDS, MetaField};
use crate::html::Highlighted;
use crate::language::Labels;
use crate::locale::Locale;

use super::limits::{self, Bounded, MAX_QUERY_CHARS};

/// A search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    /// The user's text, searched as text: no operators or field syntax.
    pub q: String,
    /// Locale to search; detected from the query when absent.
    pub locale: Option<Locale>,
    /// Page size, within [`limits::SEARCH_LIMIT`].
    pub limit: usize,
    /// Results to skip, within [`limits::SEARCH_OFFSET`].
    pub offset: usize,
    /// Only articles with these metadata values (facets).
    pub filters: Vec<Filter>,
    /// Weight of meaning against words, 0..=1 (0: lexical only); the
    /// engine's tuned default when absent.
    pub semantic_ratio: Option<f32>,
}

/// Only articles whose `field` is `value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub field: &'static MetaField,
    pub value: String,
}

impl Filter {
    /// A filter on the facet named `name`.
    pub fn new(name: &str, value: impl Into<String>) -> Result<Filter, SearchError> {
        match meta::field(name).filter(|m| m.facet) {
            Some(field) => Ok(Filter {
                field,
                value: value.into(),
            }),
            None => Err(SearchError::UnknownFilter {
                name: name.to_string(),
            }),
        }
    }
}

impl SearchRequest {
    pub fn new(q: impl Into<String>) -> Self {
        SearchRequest {
            q: q.into(),
            locale: None,
            limit: limits::SEARCH_LIMIT.default,
            offset: limits::SEARCH_OFFSET.default,
            filters: Vec::new(),
            semantic_ratio: None,
        }
    }

    pub fn semantic_ratio(mut self, ratio: f32) -> Self {
        self.semantic_ratio = Some(ratio);
        self
    }

    pub fn locale(mut self, locale: Locale) -> Self {
        self.locale = Some(locale);
        self
    }

    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Validates what does not depend on the index.
    pub fn validate(&self) -> Result<(), SearchError> {
        limits::check_query(&self.q)?;
        limits::SEARCH_LIMIT.check(self.limit as i64)?;
        limits::SEARCH_OFFSET.check(self.offset as i64)?;
        if let Some(ratio) = self.semantic_ratio {
            limits::check_semantic_ratio(ratio)?;
        }
        Ok(())
    }
}

/// Results of a search.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
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
    /// Whether meaning was matched besides words, and if not, why; absent
    /// when no embedder is configured and none was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub semantic: Option<SemanticStatus>,
    /// This search's random identifier, for click events (`POST /events`);
    /// absent when analytics is off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search_id: Option<String>,
}

/// How a search used semantic matching.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SemanticStatus {
    /// The weight of meaning used (0: words only): the request's, or when it
    /// names none the configured default, moved towards
    /// `Fusion::covered_ratio` as the best lexical match covers more of the
    /// query's words (`Fusion::covered_share`).
    pub ratio: f32,
    /// Whether query and article vectors were compared.
    pub used: bool,
    /// Why not, when it was wanted: no embedder, no vectors, or the
    /// embedder's failure (the results are then lexical).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    /// Of `total`, the articles that match the query's words (the others
    /// were found by meaning alone).
    pub lexical_total: u64,
}

/// One article in the results.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
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
    #[serde(serialize_with = "as_html")]
    #[schema(value_type = String)]
    pub snippet: Highlighted,
    pub score: f32,
    /// Put first by a curated rule for this query (absent otherwise).
    #[serde(skip_serializing_if = "is_false")]
    pub pinned: bool,
}

fn is_false(b: &bool) -> bool {
    !b
}

/// The snippet as HTML, written into a buffer of the thread, then handed to
/// the serializer whole: `collect_str` escaped it for JSON one small piece
/// at a time, through a formatter (1.6 % of the server's CPU under load).
fn as_html<S: Serializer>(text: &Highlighted, serializer: S) -> Result<S::Ok, S::Error> {
    thread_local! {
        static HTML: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    HTML.with(|html| {
        let mut html = html.borrow_mut();
        html.clear();
        text.write_html(&mut html);
        serializer.serialize_str(&html)
    })
}

/// Counts of matching articles per value of each facet
/// ([`meta::facets`]): `{"service": {"partner-dashboard": 12}, …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Facets(pub BTreeMap<String, BTreeMap<String, u64>>);

impl Default for Facets {
    /// Every facet, with no counts.
    fn default() -> Self {
        Facets(
            meta::facets()
                .map(|m| (m.name.to_string(), BTreeMap::new()))
                .collect(),
        )
    }
}

impl Facets {
    /// Adds the counts of `other`.
    pub fn merge(&mut self, other: Facets) {
        for (name, values) in other.0 {
            let into = self.0.entry(name).or_default();
            if into.is_empty() {
                *into = values;
                continue;
            }
            for (value, n) in values {
                *into.entry(value).or_default() += n;
            }
        }
    }

    /// The counts of one facet.
    pub fn get(&self, name: &str) -> Option<&BTreeMap<String, u64>> {
        self.0.get(name)
    }
}

/// An object with one property per metadata row that `include` keeps.
fn meta_object(
    include: impl Fn(&MetaField) -> bool,
    property: impl Fn(&MetaField) -> RefOr<Schema>,
) -> Object {
    let mut object = ObjectBuilder::new();
    for m in META_FIELDS.iter().filter(|m| include(m)) {
        object = object.property(m.name, property(m)).required(m.name);
    }
    object.build()
}

impl PartialSchema for Facets {
    fn schema() -> RefOr<Schema> {
        let counts = || -> RefOr<Schema> {
            ObjectBuilder::new()
                .additional_properties(Some(AdditionalProperties::RefOr(
                    ObjectBuilder::new().schema_type(Type::Integer).into(),
                )))
                .description(Some("Matching articles per value"))
                .into()
        };
        meta_object(|m| m.facet, |_| counts()).into()
    }
}

impl ToSchema for Facets {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Facets")
    }
}

/// The shown metadata of an article, by name; `null` where absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MetaView(pub BTreeMap<&'static str, Option<String>>);

impl MetaView {
    /// The shown rows of [`META_FIELDS`], with the values `value` gives.
    pub fn new(mut value: impl FnMut(&'static MetaField) -> Option<String>) -> MetaView {
        MetaView(
            META_FIELDS
                .iter()
                .filter(|m| m.is_shown())
                .map(|m| (m.name, value(m)))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.as_deref())
    }
}

impl PartialSchema for MetaView {
    fn schema() -> RefOr<Schema> {
        meta_object(MetaField::is_shown, |m| {
            ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                    Type::String,
                    Type::Null,
                ]))
                .description(Some(format!("`{}` of the front matter", m.key)))
                .into()
        })
        .into()
    }
}

impl ToSchema for MetaView {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ArticleMeta")
    }
}

/// Completions for a partly typed query.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SuggestResponse {
    pub query: String,
    #[schema(value_type = Option<String>)]
    pub locale: Option<Locale>,
    pub took_ms: f64,
    pub suggestions: Vec<Suggestion>,
}

/// A title or heading that completes the query.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionKind {
    Title,
    Heading,
}

/// One article with its sections, as stored in the index.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ArticleView {
    pub id: String,
    #[schema(value_type = String)]
    pub locale: Locale,
    pub url: String,
    pub title: String,
    pub description: String,
    /// Front-matter metadata (`date`, `topic`, `service`, …).
    #[serde(flatten)]
    pub meta: MetaView,
    pub sections: Vec<SectionView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SectionView {
    /// The heading's id in the article's page (its URL's fragment); empty
    /// when it has none (link to the page itself).
    pub anchor: String,
    pub heading: String,
    pub level: u8,
    /// The section's text, one block per line.
    pub text: String,
}

/// An indexed locale.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LocaleInfo {
    #[schema(value_type = String, example = "ja-jp")]
    pub locale: Locale,
    /// Language code of the analyzer (`ja`, `other`, …).
    pub language: String,
    /// The language's name for itself (`日本語`); absent for languages
    /// without an analyzer of their own.
    pub name: Option<&'static str>,
    /// The scripts the language is written in (`kana`, `han`, `latin`…):
    /// the search box asks the server to detect the language of a query in
    /// another script.
    pub writing: &'static [crate::language::Writing],
    /// Name of the analyzer registered for the locale's text fields.
    pub analyzer: String,
    pub documents: u64,
    pub generation: u64,
    pub size_bytes: u64,
    /// The search box's texts in the locale's language.
    pub labels: Labels,
    /// Article and section vectors for semantic matching (0: none).
    pub vectors: u64,
    /// What made them.
    pub embedder: Option<crate::embed::EmbedderIdentity>,
}

/// Why a search could not run. Every variant but the last two is the
/// caller's to fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SearchError {
    #[error("the query is empty")]
    EmptyQuery,
    #[error("the query is {chars} characters long; the limit is {MAX_QUERY_CHARS}")]
    QueryTooLong { chars: usize },
    #[error("{} must be between {} and {}, got {value}", bound.name, bound.min, bound.max)]
    OutOfRange { bound: Bounded, value: i64 },
    #[error("locale {requested} is not indexed; indexed locales: {}", available.join(", "))]
    UnknownLocale {
        requested: String,
        available: Vec<String>,
    },
    #[error("{name} must be between {min} and {max}, got {0}", name = limits::SEMANTIC_RATIO.name, min = limits::SEMANTIC_RATIO.min, max = limits::SEMANTIC_RATIO.max)]
    InvalidSemanticRatio(f32),
    #[error("no filter {name:?}; filters: {}", meta::facets().map(|m| m.name).collect::<Vec<_>>().join(", "))]
    UnknownFilter { name: String },
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
            SearchError::OutOfRange { bound, .. } => bound.code,
            SearchError::UnknownLocale { .. } => "unknown_locale",
            SearchError::UnknownFilter { .. } => "unknown_filter",
            SearchError::InvalidSemanticRatio(_) => "invalid_semantic_ratio",
            SearchError::NoIndex => "no_index",
            SearchError::Internal(_) => "internal",
        }
    }
}

impl From<tantivy::TantivyError> for SearchError {
    fn from(e: tantivy::TantivyError) -> Self {
        SearchError::Internal(e.to_string())
    }
}
