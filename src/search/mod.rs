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
pub mod fusion;
pub mod limits;
pub mod merge;
pub mod page;
pub mod plan;
pub mod route;
pub mod run;
pub mod semantic;
pub mod snippet;
pub mod suggest;
pub mod term_clause;
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
use crate::curation::Curation;
use crate::curation::pins::Pins;
use crate::curation::synonyms::Synonyms;
use crate::embed::{EmbedError, Embedder, EmbedderIdentity};
use crate::index::hitstore;
use crate::index::layout::IndexDir;
use crate::index::stored::SectionTable;
use crate::index::vectors::Vectors;
use crate::index::{IndexError, LocaleReader};
use crate::locale::{Language, Locale};

pub use plan::Ranking;
pub use types::{
    ArticleView, Facets, Filter, Hit, LocaleInfo, MetaView, SearchError, SearchRequest,
    SearchResponse, SectionView, SemanticStatus, SuggestResponse, Suggestion,
};

/// One locale's served generation and what searching builds over it.
/// Immutable: a new generation gets a new `LocaleIndex`.
pub struct LocaleIndex {
    reader: LocaleReader,
    /// Built on first use: most locales never get a suggest request.
    suggester: OnceLock<Arc<suggest::Suggester>>,
    /// Every search counts facets: read when the generation opens.
    facet_table: facets::FacetTable,
    /// Whether its vectors were made by the engine's embedder (vectors of
    /// another model mean nothing to its query vectors).
    vectors_usable: bool,
}

/// A locale index is its generation's reader, with search-side caches.
impl Deref for LocaleIndex {
    type Target = LocaleReader;
    fn deref(&self) -> &LocaleReader {
        &self.reader
    }
}

impl LocaleIndex {
    fn open(
        dir: &IndexDir,
        locale: &Locale,
        embedder: Option<&EmbedderIdentity>,
    ) -> Result<Option<LocaleIndex>, IndexError> {
        let Some(reader) = LocaleReader::open(dir, locale)? else {
            return Ok(None);
        };
        let made_by = reader.vectors().map(|(_, info)| &info.embedder);
        let vectors_usable = embedder.is_some() && made_by == embedder;
        if let (Some(made_by), Some(embedder)) = (made_by, embedder)
            && made_by != embedder
        {
            tracing::warn!(locale = %locale, index = ?made_by, configured = ?embedder,
                "the index's vectors come from another embedder: semantic matching is off here until a reindex");
        }
        let facet_table = facets::FacetTable::read(&reader.searcher())?;
        Ok(Some(LocaleIndex {
            reader,
            suggester: OnceLock::new(),
            facet_table,
            vectors_usable,
        }))
    }

    /// Every facet's values per document (for counting a search's matches).
    pub fn facet_table(&self) -> &facets::FacetTable {
        &self.facet_table
    }

    /// The vectors semantic matching can search here: those made by the
    /// engine's embedder, if the generation has them. (This shadows
    /// [`LocaleReader::vectors`], which returns vectors of any model.)
    pub fn vectors(&self) -> Option<&Vectors> {
        self.reader
            .vectors()
            .filter(|_| self.vectors_usable)
            .map(|(vectors, _)| vectors)
    }

    /// Whether semantic matching can search this locale.
    pub fn has_vectors(&self) -> bool {
        self.vectors().is_some()
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
            writing: spec.writing,
            analyzer: analysis::analyzer_name(self.language),
            documents: self.documents,
            generation: self.generation,
            size_bytes: self.size_bytes,
            labels: spec.labels,
            // Every row, whichever model made them.
            vectors: self.reader.vectors().map_or(0, |(v, _)| v.rows() as u64),
            embedder: self.reader.vectors().map(|(_, info)| info.embedder.clone()),
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

/// The curated rules in force: synonyms analyzed for their locale, pins.
#[derive(Debug, Default)]
pub struct Curated {
    synonyms: BTreeMap<Locale, Synonyms>,
    pins: BTreeMap<Locale, Pins>,
    /// What could not be read when they were loaded (`file:line: message`).
    pub problems: Vec<String>,
}

impl Curated {
    /// Analyzes `curation`'s synonyms with each locale's analyzer.
    pub fn compile(curation: Curation) -> Curated {
        let synonyms = curation
            .synonyms
            .iter()
            .map(|(locale, rules)| {
                let mut analyzer = analysis::build(locale.language());
                (locale.clone(), Synonyms::compile(rules, &mut analyzer))
            })
            .collect();
        Curated {
            synonyms,
            pins: curation.pins,
            problems: curation.problems,
        }
    }

    pub fn synonyms(&self, locale: &Locale) -> Option<&Synonyms> {
        self.synonyms.get(locale).filter(|s| !s.is_empty())
    }

    pub fn pins(&self, locale: &Locale) -> Option<&Pins> {
        self.pins.get(locale)
    }
}

/// The search engine of one index folder.
pub struct Engine {
    dir: IndexDir,
    snapshot: ArcSwap<Snapshot>,
    /// Synonyms and pins, swapped whole when their files change.
    curated: ArcSwap<Curated>,
    ranking: Ranking,
    /// Query embedding, when an embedder is configured.
    semantic: Option<semantic::Semantic>,
    /// Load a locale's dictionaries when its index loads (a server, whose
    /// first reader should not wait), rather than when it is first searched
    /// (a command that answers one query).
    preload: bool,
}

/// A search's query vector, if meaning is matched, and what the response
/// says about it.
type QueryVector = (Option<Arc<Vec<f32>>>, Option<SemanticStatus>);

/// Whether a search may wait on the embedder for its query's vector.
enum Embedding {
    Wait,
    /// Only a cached vector: a search that needs another answers `None`.
    CachedOnly,
    /// The vector fetched ahead of the search ([`Engine::embed_query`]).
    Given(QueryEmbedding),
}

/// A query's vector fetched ahead of its search by [`Engine::embed_query`],
/// or why it could not be: for [`Engine::search_embedded`].
pub struct QueryEmbedding(Option<Result<Arc<Vec<f32>>, EmbedError>>);

impl Engine {
    /// Opens every published locale of `dir`. A locale that fails to open is
    /// logged and left out; the others serve.
    pub fn open(dir: IndexDir) -> Engine {
        Self::open_with(dir, None)
    }

    /// [`Engine::open`] with semantic matching through `embedder`. Each
    /// locale's analyzer dictionaries are loaded as its index loads.
    pub fn open_with(dir: IndexDir, embedder: Option<Arc<dyn Embedder>>) -> Engine {
        Self::open_inner(dir, embedder, true)
    }

    /// [`Engine::open_with`] for a process that answers a query or two (the
    /// command line): a locale's dictionaries are loaded when a query is
    /// first analyzed in it, so that a Latin-script search never loads the
    /// Japanese and Korean ones.
    pub fn open_lazily(dir: IndexDir, embedder: Option<Arc<dyn Embedder>>) -> Engine {
        Self::open_inner(dir, embedder, false)
    }

    fn open_inner(dir: IndexDir, embedder: Option<Arc<dyn Embedder>>, preload: bool) -> Engine {
        let engine = Engine {
            dir,
            snapshot: ArcSwap::from_pointee(Snapshot::default()),
            curated: ArcSwap::from_pointee(Curated::default()),
            ranking: Ranking::default(),
            semantic: embedder.map(semantic::Semantic::new),
            preload,
        };
        engine.reload();
        engine
    }

    /// Installs curated synonyms and pins (searches in flight keep theirs).
    pub fn set_curation(&self, curation: Curation) {
        self.curated.store(Arc::new(Curated::compile(curation)));
    }

    /// The curated rules in force.
    pub fn curated(&self) -> Arc<Curated> {
        self.curated.load_full()
    }

    /// The query side of semantic matching, if an embedder is configured.
    pub fn semantic(&self) -> Option<&semantic::Semantic> {
        self.semantic.as_ref()
    }

    pub fn with_ranking(mut self, ranking: Ranking) -> Engine {
        self.ranking = ranking;
        self
    }

    /// Changes the ranking weights (evaluation compares configurations).
    pub fn set_ranking(&mut self, ranking: Ranking) {
        self.ranking = ranking;
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
            let embedder = self.semantic.as_ref().map(|s| s.identity());
            match LocaleIndex::open(&self.dir, &locale, embedder) {
                Ok(Some(li)) => {
                    if self.preload {
                        for language in [li.language, Language::ORIGINALS, Language::Other] {
                            analysis::preload(language);
                        }
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

    /// Runs a search: route → plan → (embed the query) → run → merge → page.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse, SearchError> {
        Ok(self
            .search_with(request, Embedding::Wait)?
            .expect("a search that may embed always answers"))
    }

    /// [`Engine::search`], if it can answer without waiting on the embedder
    /// (no embedder, no meaning asked, or the query's vector cached);
    /// `None` if the query is to be embedded first.
    ///
    /// For callers that must not block on another server (an HTTP worker):
    /// they run these searches in place, and for the others wait for
    /// [`Engine::embed_query`] elsewhere, then [`Engine::search_embedded`]
    /// in place. A declined search has been routed, and is routed again: a
    /// fraction of a millisecond beside the embedder's round trip.
    pub fn search_if_ready(
        &self,
        request: &SearchRequest,
    ) -> Result<Option<SearchResponse>, SearchError> {
        self.search_with(request, Embedding::CachedOnly)
    }

    /// The vector of query text `q`, from the cache or the embedder: the
    /// one step of a search that waits on another server (up to the
    /// embedder's timeout). Cached for the searches that follow.
    pub fn embed_query(&self, q: &str) -> QueryEmbedding {
        QueryEmbedding(self.semantic.as_ref().map(|s| s.query_vector(q)))
    }

    /// [`Engine::search`] with its query's vector fetched ahead by
    /// [`Engine::embed_query`] (its failure costs the search its semantic
    /// half, as in any search): never waits on the embedder.
    pub fn search_embedded(
        &self,
        request: &SearchRequest,
        embedding: QueryEmbedding,
    ) -> Result<SearchResponse, SearchError> {
        Ok(self
            .search_with(request, Embedding::Given(embedding))?
            .expect("a search given its vector always answers"))
    }

    fn search_with(
        &self,
        request: &SearchRequest,
        embedding: Embedding,
    ) -> Result<Option<SearchResponse>, SearchError> {
        let started = Instant::now();
        request.validate()?;
        let snapshot = self.snapshot.load_full();
        let curated = self.curated.load_full();
        let route = route::route(&snapshot, request, &self.ranking, &curated)?;
        let depth = request.offset + request.limit;
        let Some((vector, mut semantic)) = self.query_vector(request, &route, embedding) else {
            return Ok(None);
        };
        let semantic_query = vector.as_deref().map(|vector| run::SemanticQuery {
            vector,
            requested: request.semantic_ratio,
            fusion: &self.ranking.fusion,
        });
        let results = route
            .targets
            .into_iter()
            .map(|target| run::run(target, request, depth, semantic_query))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(status) = &mut semantic {
            status.settle(&results);
        }
        let merged = merge::merge(results);
        if let Some(status) = &mut semantic {
            status.lexical_total = merged.lexical_total;
        }
        let pins = merged
            .results
            .first()
            .and_then(|best| curated.pins(&best.target.index.locale))
            .and_then(|pins| pins.rule(&request.q));
        let hits = page::page(&merged, request.offset, request.limit, pins)?;
        let locales = merged.locales();
        let locale = locales.first().cloned();
        Ok(Some(SearchResponse {
            query: request.q.clone(),
            detected_locale: if route.detected { locale.clone() } else { None },
            locale,
            locales,
            total: merged.total,
            took_ms: elapsed_ms(started),
            hits,
            facets: merged.facets,
            semantic,
            search_id: None,
        }))
    }

    /// The query's vector, when meaning is to be matched, and what the
    /// response says about it. A failing embedder costs the search its
    /// semantic half, never the search. `None` if the vector is not cached
    /// and `embedding` says not to wait for it.
    fn query_vector(
        &self,
        request: &SearchRequest,
        route: &route::Route,
        embedding: Embedding,
    ) -> Option<QueryVector> {
        let unavailable = |ratio: f32, reason: String| SemanticStatus {
            ratio,
            used: false,
            unavailable: Some(reason),
            lexical_total: 0,
        };
        let Some(semantic) = &self.semantic else {
            let asked = request.semantic_ratio.filter(|r| *r > 0.0);
            let status = asked.map(|r| unavailable(r, "no embedder is configured".into()));
            return Some((None, status));
        };
        let ratio = self.ranking.fusion.starting_ratio(request.semantic_ratio);
        if ratio <= 0.0 {
            let status = SemanticStatus {
                ratio,
                used: false,
                unavailable: None,
                lexical_total: 0,
            };
            return Some((None, Some(status)));
        }
        if !route.targets.iter().any(|t| t.index.has_vectors()) {
            semantic.count_unavailable("no_vectors");
            let reason = "the index has no vectors from this embedder (reindex with it)".into();
            return Some((None, Some(unavailable(ratio, reason))));
        }
        let vector = match embedding {
            Embedding::Wait => semantic.query_vector(&request.q),
            Embedding::CachedOnly => Ok(semantic.cached_query_vector(&request.q)?),
            // Made by this engine's embedder: present whenever it has one.
            Embedding::Given(QueryEmbedding(vector)) => {
                vector.unwrap_or_else(|| semantic.query_vector(&request.q))
            }
        };
        Some(match vector {
            Ok(vector) => {
                let status = SemanticStatus {
                    ratio,
                    used: true,
                    unavailable: None,
                    lexical_total: 0,
                };
                (Some(vector), Some(status))
            }
            Err(error) => {
                tracing::warn!(error = %error, "semantic matching unavailable: answering lexically");
                semantic.count_unavailable(error.code());
                (None, Some(unavailable(ratio, error.to_string())))
            }
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
        let Some(address) = li.find(id) else {
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
