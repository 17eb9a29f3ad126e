//! Searching: query text → ranked hits with snippets.
//!
//! [`Engine`] is opened once per process and shared (`Arc`); it holds one
//! [`LocaleIndex`] per locale and swaps to new index generations without
//! blocking searches in flight. Every door — CLI, HTTP API, eval — goes
//! through [`Engine::search`], which runs named steps:
//!
//! 1. [`route`]: which locales to search (the request's, or those detected
//!    from the query), each with its query [`plan`] — made once per locale;
//! 2. [`run`]: each locale's top documents, total and facet counts;
//! 3. [`merge`]: one ranking over the locales searched;
//! 4. [`page`]: the requested page, one hit per article, with snippets.

pub mod analyzers;
pub mod coverage;
pub mod detect;
pub mod expand;
pub mod facets;
pub mod limits;
pub mod merge;
pub mod page;
pub mod plan;
pub mod route;
pub mod run;
pub mod snippet;
pub mod suggest;
pub mod types;

use std::collections::BTreeMap;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use arc_swap::ArcSwap;
use tantivy::TantivyDocument;
use tantivy::schema::Value;

use crate::analysis;
use crate::article::meta::META_FIELDS;
use crate::index::hitstore;
use crate::index::layout::IndexDir;
use crate::index::stored::SectionTable;
use crate::index::{IndexError, LocaleReader};
use crate::locale::{Language, Locale};

pub use plan::Ranking;
pub use types::{
    ArticleView, Facets, Filter, Hit, LocaleInfo, MetaView, SearchError, SearchRequest,
    SearchResponse, SectionView, SuggestResponse, Suggestion,
};

/// One locale's served generation and what searching builds over it.
/// Immutable: a new generation gets a new `LocaleIndex`.
pub struct LocaleIndex {
    reader: LocaleReader,
    /// Built on first use: most locales never get a suggest request.
    suggester: OnceLock<Arc<suggest::Suggester>>,
}

/// A locale index is its generation's reader, with search-side caches.
impl Deref for LocaleIndex {
    type Target = LocaleReader;
    fn deref(&self) -> &LocaleReader {
        &self.reader
    }
}

impl LocaleIndex {
    fn open(dir: &IndexDir, locale: &Locale) -> Result<Option<LocaleIndex>, IndexError> {
        Ok(LocaleReader::open(dir, locale)?.map(|reader| LocaleIndex {
            reader,
            suggester: OnceLock::new(),
        }))
    }

    /// The locale's title-and-heading completions, built on first call.
    pub fn suggester(&self) -> Result<Arc<suggest::Suggester>, SearchError> {
        if let Some(s) = self.suggester.get() {
            return Ok(s.clone());
        }
        let built = Arc::new(suggest::Suggester::build(&self.reader)?);
        Ok(self.suggester.get_or_init(|| built).clone())
    }

    pub fn info(&self) -> LocaleInfo {
        let spec = self.language.spec();
        LocaleInfo {
            locale: self.locale.clone(),
            language: spec.code.to_string(),
            name: spec.name,
            analyzer: analysis::analyzer_name(self.language),
            documents: self.documents,
            generation: self.generation,
            size_bytes: self.size_bytes,
            labels: spec.labels,
        }
    }
}

/// The locale indexes served at one moment.
#[derive(Default)]
pub struct Snapshot {
    pub locales: BTreeMap<Locale, Arc<LocaleIndex>>,
}

impl Snapshot {
    /// The index of `locale`, or the error that lists the indexed ones.
    pub fn get(&self, locale: &Locale) -> Result<&Arc<LocaleIndex>, SearchError> {
        self.locales
            .get(locale)
            .ok_or_else(|| SearchError::UnknownLocale {
                requested: locale.to_string(),
                available: self.locales.keys().map(|l| l.to_string()).collect(),
            })
    }
}

/// The search engine of one index folder.
pub struct Engine {
    dir: IndexDir,
    snapshot: ArcSwap<Snapshot>,
    ranking: Ranking,
}

impl Engine {
    /// Opens every published locale of `dir`. A locale that fails to open is
    /// logged and left out; the others serve.
    pub fn open(dir: IndexDir) -> Engine {
        let engine = Engine {
            dir,
            snapshot: ArcSwap::from_pointee(Snapshot::default()),
            ranking: Ranking::default(),
        };
        engine.reload();
        engine
    }

    pub fn with_ranking(mut self, ranking: Ranking) -> Engine {
        self.ranking = ranking;
        self
    }

    pub fn index_dir(&self) -> &IndexDir {
        &self.dir
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// Picks up generations published since the last load. Returns whether
    /// anything changed. Searches in flight keep their snapshot.
    pub fn reload(&self) -> bool {
        let current = self.snapshot.load_full();
        let locales = match self.dir.locales() {
            Ok(locales) => locales,
            Err(e) => {
                tracing::warn!(dir = %self.dir.root().display(), error = %e, "cannot list index folder");
                return false;
            }
        };
        let mut next = BTreeMap::new();
        let mut changed = locales.len() != current.locales.len();
        for locale in locales {
            let served = current.locales.get(&locale);
            let published = self.dir.current(&locale).ok().flatten().map(|g| g.number);
            if let Some(li) = served.filter(|li| Some(li.generation) == published) {
                next.insert(locale, li.clone());
                continue;
            }
            match LocaleIndex::open(&self.dir, &locale) {
                Ok(Some(li)) => {
                    for language in [li.language, Language::En, Language::Other] {
                        analysis::preload(language);
                    }
                    tracing::info!(locale = %locale, generation = li.generation, documents = li.documents, "index loaded");
                    next.insert(locale, Arc::new(li));
                    changed = true;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(locale = %locale, error = %e, "cannot open index; keeping the previous one");
                    if let Some(li) = served {
                        next.insert(locale, li.clone());
                    }
                }
            }
        }
        if changed {
            self.snapshot.store(Arc::new(Snapshot { locales: next }));
        }
        changed
    }

    /// The served locales.
    pub fn locales(&self) -> Vec<LocaleInfo> {
        self.snapshot
            .load()
            .locales
            .values()
            .map(|li| li.info())
            .collect()
    }

    /// Runs a search: route → plan → run → merge → page.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse, SearchError> {
        let started = Instant::now();
        request.validate()?;
        let snapshot = self.snapshot.load_full();
        let route = route::route(&snapshot, request, &self.ranking)?;
        let depth = request.offset + request.limit;
        let results = route
            .targets
            .into_iter()
            .map(|target| run::run(target, request, depth))
            .collect::<Result<Vec<_>, _>>()?;
        let merged = merge::merge(results);
        let hits = page::page(&merged, request.offset, request.limit)?;
        let locales = merged.locales();
        let locale = locales.first().cloned();
        Ok(SearchResponse {
            query: request.q.clone(),
            detected_locale: if route.detected { locale.clone() } else { None },
            locale,
            locales,
            total: merged.total,
            took_ms: elapsed_ms(started),
            hits,
            facets: merged.facets,
        })
    }

    /// Completions of a partly typed query from titles and headings. Without
    /// a locale, the query's language is detected as for [`Engine::search`].
    pub fn suggest(
        &self,
        q: &str,
        locale: Option<&Locale>,
        limit: usize,
    ) -> Result<SuggestResponse, SearchError> {
        let started = Instant::now();
        limits::check_query(q)?;
        limits::SUGGEST_LIMIT.check(limit as i64)?;
        let snapshot = self.snapshot.load_full();
        let li = match locale {
            Some(locale) => snapshot.get(locale)?.clone(),
            None => route::detect_best(&snapshot, q).ok_or(SearchError::NoIndex)?,
        };
        let suggester = li.suggester()?;
        let mut localized = analyzers::take(li.language);
        let mut plain = analyzers::take(Language::Other);
        let suggestions = suggester.suggest(q, limit, &mut localized, &mut plain);
        Ok(SuggestResponse {
            query: q.to_string(),
            locale: Some(li.locale.clone()),
            took_ms: elapsed_ms(started),
            suggestions,
        })
    }

    /// One article by locale and id; `None` if there is no such article.
    pub fn article(&self, locale: &Locale, id: &str) -> Result<Option<ArticleView>, SearchError> {
        let snapshot = self.snapshot.load_full();
        let li = snapshot.get(locale)?;
        let Some(address) = li.find(id)? else {
            return Ok(None);
        };
        let Some(record) = li.record(address) else {
            return Err(SearchError::Internal(format!(
                "{locale}/{id}: no hit-store record"
            )));
        };
        let doc: TantivyDocument = li.searcher().doc(address)?;
        let meta = MetaView::new(|m| {
            let field = li.fields().meta(m)?;
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        });
        debug_assert!(META_FIELDS.iter().filter(|m| m.is_shown()).count() == meta.0.len());
        let sections = SectionTable::decode(record.sections)
            .into_iter()
            .map(|s| SectionView {
                text: hitstore::str_at(record.body, s.start as usize, s.end as usize)
                    .1
                    .to_string(),
                anchor: s.anchor,
                heading: s.heading,
                level: s.level,
            })
            .collect();
        Ok(Some(ArticleView {
            id: id.to_string(),
            locale: li.locale.clone(),
            url: record.url.to_string(),
            title: record.title.to_string(),
            description: record.description.to_string(),
            meta,
            sections,
        }))
    }
}

/// Milliseconds since `started`, to the microsecond.
fn elapsed_ms(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 1e6).round() / 1e3
}
