//! Searching: query text → ranked hits with snippets.
//!
//! [`Engine`] is opened once per process and shared (`Arc`); it holds one
//! searcher per locale and swaps to new index generations without blocking
//! searches in flight. Every door — CLI, HTTP API, eval — goes through
//! [`Engine::search`].

pub mod coverage;
pub mod detect;
pub mod expand;
pub mod facets;
pub mod plan;
pub mod snippet;
pub mod suggest;
pub mod types;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use arc_swap::ArcSwap;
use tantivy::collector::{Count, TopDocs};
use tantivy::columnar::Column;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocAddress, Index, IndexReader, ReloadPolicy, Score, Searcher, TantivyDocument, Term,
};

use crate::analysis;
use crate::index::hitstore::{self, HitRecord, HitStore};
use crate::index::layout::IndexDir;
use crate::index::schema::Fields;
use crate::index::stored::{SectionTable, StoredSection};
use crate::index::{IndexError, open_generation};
use crate::locale::{Language, Locale};

pub use plan::Ranking;
pub use types::{
    ArticleView, Facets, Hit, LocaleInfo, SearchError, SearchRequest, SearchResponse, SectionView,
    SuggestResponse, Suggestion,
};

/// One locale's index, opened for searching. Immutable: a new generation
/// gets a new `LocaleIndex`.
pub struct LocaleIndex {
    pub locale: Locale,
    pub language: Language,
    pub generation: u64,
    pub documents: u64,
    /// Bytes on disk of the generation's files.
    pub size_bytes: u64,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    hits: HitStore,
    /// Each segment's `hit` column (hit-store offsets), by segment ordinal.
    hit_columns: Vec<Column<u64>>,
    /// Built on first use: most locales never get a suggest request.
    suggester: OnceLock<Arc<suggest::Suggester>>,
}

impl LocaleIndex {
    fn open(dir: &IndexDir, locale: &Locale) -> Result<Option<LocaleIndex>, IndexError> {
        let Some(generation) = dir
            .current(locale)
            .map_err(|e| IndexError::io(dir.root(), e))?
        else {
            return Ok(None);
        };
        let (index, fields, manifest) = open_generation(&generation)?;
        // A generation never changes once published: no reloading needed.
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let hits =
            HitStore::open(&generation.path).map_err(|e| IndexError::io(&generation.path, e))?;
        let mut hit_columns = Vec::new();
        for segment in reader.searcher().segment_readers() {
            hit_columns.push(segment.fast_fields().u64("hit")?);
        }
        let size_bytes = std::fs::read_dir(&generation.path)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|e| e.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0);
        Ok(Some(LocaleIndex {
            locale: locale.clone(),
            language: manifest.language,
            generation: generation.number,
            documents: manifest.documents,
            size_bytes,
            index,
            reader,
            fields,
            hits,
            hit_columns,
            suggester: OnceLock::new(),
        }))
    }

    /// The hit-store record of a document.
    pub fn record(&self, address: DocAddress) -> Option<HitRecord<'_>> {
        let offset = self
            .hit_columns
            .get(address.segment_ord as usize)?
            .first(address.doc_id)?;
        self.hits.get(offset)
    }

    /// The locale's title-and-heading completions, built on first call.
    pub fn suggester(&self) -> Result<Arc<suggest::Suggester>, SearchError> {
        if let Some(s) = self.suggester.get() {
            return Ok(s.clone());
        }
        let built = Arc::new(suggest::Suggester::build(self)?);
        Ok(self.suggester.get_or_init(|| built).clone())
    }

    pub fn info(&self) -> LocaleInfo {
        LocaleInfo {
            locale: self.locale.clone(),
            language: self.language.code().to_string(),
            analyzer: analysis::analyzer_name(self.language).to_string(),
            documents: self.documents,
            generation: self.generation,
            size_bytes: self.size_bytes,
        }
    }

    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    pub fn index(&self) -> &Index {
        &self.index
    }
}

/// The locale indexes served at one moment.
#[derive(Default)]
pub struct Snapshot {
    pub locales: BTreeMap<Locale, Arc<LocaleIndex>>,
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
            match served {
                Some(li) if Some(li.generation) == published => {
                    next.insert(locale, li.clone());
                }
                _ => match LocaleIndex::open(&self.dir, &locale) {
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
                },
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

    fn locale_index(&self, locale: &Locale) -> Result<Arc<LocaleIndex>, SearchError> {
        let snapshot = self.snapshot.load();
        snapshot
            .locales
            .get(locale)
            .cloned()
            .ok_or_else(|| SearchError::UnknownLocale {
                requested: locale.to_string(),
                available: snapshot.locales.keys().map(|l| l.to_string()).collect(),
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
        types::validate(&SearchRequest::new(q).limit(limit))?;
        let li = match locale {
            Some(locale) => self.locale_index(locale)?,
            None => {
                let snapshot = self.snapshot.load_full();
                let indexed: Vec<Locale> = snapshot.locales.keys().cloned().collect();
                let best = detect::detect(q, &indexed).candidates.into_iter().next();
                match best.and_then(|c| snapshot.locales.get(&c.locale).cloned()) {
                    Some(li) => li,
                    None => return Err(SearchError::NoIndex),
                }
            }
        };
        let suggester = li.suggester()?;
        let mut localized = take_analyzer(li.language);
        let mut plain = take_analyzer(Language::Other);
        let suggestions = suggester.suggest(q, limit, &mut localized, &mut plain);
        give_back(Language::Other, plain);
        give_back(li.language, localized);
        Ok(SuggestResponse {
            query: q.to_string(),
            locale: Some(li.locale.clone()),
            took_ms: (started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
            suggestions,
        })
    }

    /// One article by locale and id; `None` if there is no such article.
    pub fn article(&self, locale: &Locale, id: &str) -> Result<Option<ArticleView>, SearchError> {
        let li = self.locale_index(locale)?;
        let searcher = li.searcher();
        let fields = &li.fields;
        let query = TermQuery::new(
            Term::from_field_text(fields.id, id),
            IndexRecordOption::Basic,
        );
        let Some((_, address)) = searcher
            .search(&query, &TopDocs::with_limit(1).order_by_score())?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let Some(record) = li.record(address) else {
            return Err(SearchError::Internal(format!(
                "{locale}/{id}: no hit-store record"
            )));
        };
        let doc: TantivyDocument = searcher.doc(address)?;
        let text = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
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
            date: text(fields.date),
            topic: text(fields.topic),
            service: text(fields.service),
            subservice: text(fields.subservice),
            translation_type: text(fields.translation_type),
            sections,
        }))
    }

    /// Runs a search.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse, SearchError> {
        let started = Instant::now();
        types::validate(request)?;
        let snapshot = self.snapshot.load_full();
        if snapshot.locales.is_empty() {
            return Err(SearchError::NoIndex);
        }
        let query = request.q.trim();
        let (targets, detected) = match &request.locale {
            Some(locale) => {
                let li =
                    snapshot
                        .locales
                        .get(locale)
                        .ok_or_else(|| SearchError::UnknownLocale {
                            requested: locale.to_string(),
                            available: snapshot.locales.keys().map(|l| l.to_string()).collect(),
                        })?;
                (vec![(li.clone(), 1.0)], false)
            }
            None => {
                let indexed: Vec<Locale> = snapshot.locales.keys().cloned().collect();
                let detection = detect::detect(query, &indexed);
                let targets = detection
                    .candidates
                    .iter()
                    .filter_map(|c| {
                        snapshot
                            .locales
                            .get(&c.locale)
                            .map(|li| (li.clone(), c.prior))
                    })
                    .collect::<Vec<_>>();
                (
                    self.choose_targets(&request.q, targets, detection.merge)?,
                    true,
                )
            }
        };

        let depth = request.offset + request.limit;
        let mut results = Vec::with_capacity(targets.len());
        for (li, prior) in &targets {
            let planned = plan_for(&request.q, li, &self.ranking)?;
            results.push(self.run(li, planned, request, depth, *prior)?);
        }
        // Best locale first: the one whose words the query uses.
        results.sort_by(|a, b| b.weight().total_cmp(&a.weight()));

        let mut total = 0;
        let mut facets = Facets::default();
        let mut ranked: Vec<(f32, usize, Score, DocAddress)> = Vec::new();
        let merging = results.len() > 1;
        for (r, result) in results.iter().enumerate() {
            total += result.total;
            facets::merge_into(&mut facets, result.facets.clone());
            let top = result
                .top
                .first()
                .map_or(1.0, |(s, _)| *s)
                .max(f32::EPSILON);
            for &(score, address) in &result.top {
                let merged = if merging {
                    score / top * result.weight()
                } else {
                    score
                };
                ranked.push((merged, r, score, address));
            }
        }
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));

        // Snippets are made for the returned page only; merged locales are
        // deduplicated by article id, read from the hit store.
        let mut hits = Vec::with_capacity(request.limit);
        let mut seen_ids: Vec<&str> = Vec::new();
        let mut skipped = 0;
        for &(merged, r, _score, address) in &ranked {
            let result = &results[r];
            let record = result.record(address)?;
            if merging {
                if seen_ids.contains(&record.id) {
                    continue;
                }
                seen_ids.push(record.id);
            }
            if skipped < request.offset {
                skipped += 1;
                continue;
            }
            hits.push(self.hit(result, &record, merged));
            if hits.len() == request.limit {
                break;
            }
        }

        let locales: Vec<Locale> = results.iter().map(|r| r.index.locale.clone()).collect();
        let locale = locales.first().cloned();
        Ok(SearchResponse {
            query: request.q.clone(),
            detected_locale: if detected { locale.clone() } else { None },
            locale,
            locales,
            total,
            took_ms: (started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
            hits,
            facets,
        })
    }

    /// Among detected candidates, the locales to search: the one whose index
    /// knows the query's words best, or all that know them when merging.
    fn choose_targets(
        &self,
        query: &str,
        candidates: Vec<(Arc<LocaleIndex>, f32)>,
        merge: bool,
    ) -> Result<Vec<(Arc<LocaleIndex>, f32)>, SearchError> {
        if candidates.len() <= 1 {
            return Ok(candidates);
        }
        let mut scored = Vec::with_capacity(candidates.len());
        for (li, prior) in candidates {
            let planned = plan_for(query, &li, &self.ranking)?;
            let fit = planned.recognition;
            scored.push((li, prior, fit));
        }
        if merge {
            let best = scored.iter().map(|s| s.2).fold(0.0, f32::max);
            let kept: Vec<_> = scored
                .into_iter()
                .filter(|s| s.2 > 0.0 && s.2 >= best * 0.5)
                .map(|(li, _, fit)| (li, fit))
                .collect();
            return Ok(kept);
        }
        scored.sort_by(|a, b| (b.2 * b.1).total_cmp(&(a.2 * a.1)));
        let (li, prior, _) = scored.swap_remove(0);
        Ok(vec![(li, prior)])
    }

    /// Searches one locale: top documents, total, facets.
    fn run(
        &self,
        li: &Arc<LocaleIndex>,
        plan: plan::Plan,
        request: &SearchRequest,
        depth: usize,
        prior: f32,
    ) -> Result<LocaleResult, SearchError> {
        let searcher = li.searcher();
        if plan.is_empty() {
            return Ok(LocaleResult::empty(li.clone(), plan, prior));
        }
        let mut coverage = plan.query.clone();
        // Pages stay consistent: every returned document is rescored.
        coverage.rescore_depth = coverage.rescore_depth.max(depth);
        let mut query: Box<dyn Query> = Box::new(coverage);
        let filters = [
            (li.fields.service, &request.service),
            (li.fields.topic, &request.topic),
        ];
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, value) in filters {
            if let Some(value) = value {
                let term = TermQuery::new(
                    Term::from_field_text(field, value),
                    IndexRecordOption::Basic,
                );
                clauses.push((
                    Occur::Must,
                    Box::new(ConstScoreQuery::new(Box::new(term), 0.0)),
                ));
            }
        }
        if !clauses.is_empty() {
            clauses.push((Occur::Must, query));
            query = Box::new(BooleanQuery::new(clauses));
        }
        let (top, total, facets) = searcher.search(
            &query,
            &(
                TopDocs::with_limit(depth).order_by_score(),
                Count,
                facets::FacetCounter,
            ),
        )?;
        Ok(LocaleResult {
            index: li.clone(),
            plan,
            top,
            total: total as u64,
            facets,
            prior,
        })
    }

    /// The hit of a result's document, with its snippet.
    fn hit(&self, result: &LocaleResult, record: &HitRecord<'_>, score: Score) -> Hit {
        let sections: Vec<StoredSection> = SectionTable::decode(record.sections);
        let weights: Vec<f32> = result.plan.concepts.iter().map(|c| c.weight).collect();
        let target = snippet::target_chars(result.index.language.is_cjk());
        let mut cut = snippet::snippet(
            record.body,
            record.termvec,
            &sections,
            &result.plan.highlight,
            &weights,
            target,
        );
        if !cut.matched && !record.description.is_empty() {
            cut.html = snippet::plain(record.description, target);
        }
        let section = cut.section.and_then(|i| sections.get(i));
        Hit {
            id: record.id.to_string(),
            locale: result.index.locale.clone(),
            title: record.title.to_string(),
            url: record.url.to_string(),
            section: section.map(|s| s.anchor.clone()).filter(|a| !a.is_empty()),
            section_title: section.map(|s| s.heading.clone()).filter(|h| !h.is_empty()),
            snippet: cut.html,
            score: (score * 1000.0).round() / 1000.0,
        }
    }
}

/// The outcome of searching one locale.
struct LocaleResult {
    index: Arc<LocaleIndex>,
    plan: plan::Plan,
    top: Vec<(Score, DocAddress)>,
    total: u64,
    facets: Facets,
    prior: f32,
}

impl LocaleResult {
    /// The hit-store record of one of this result's documents.
    fn record(&self, address: DocAddress) -> Result<HitRecord<'_>, SearchError> {
        self.index.record(address).ok_or_else(|| {
            SearchError::Internal(format!(
                "{}: document {address:?} has no hit-store record",
                self.index.locale
            ))
        })
    }

    fn empty(index: Arc<LocaleIndex>, plan: plan::Plan, prior: f32) -> Self {
        LocaleResult {
            index,
            plan,
            top: Vec::new(),
            total: 0,
            facets: Facets::default(),
            prior,
        }
    }

    /// How much this locale's results count when merging locales.
    fn weight(&self) -> f32 {
        self.plan.recognition * self.prior
    }
}

thread_local! {
    /// Query-time analyzers, one set per thread: building one allocates
    /// lattices and buffers that are better reused across queries.
    static ANALYZERS: RefCell<HashMap<Language, Vec<TextAnalyzer>>> = RefCell::new(HashMap::new());
}

/// Takes an analyzer of `language` from the thread's pool (building one on
/// first use); [`give_back`] returns it.
fn take_analyzer(language: Language) -> TextAnalyzer {
    ANALYZERS
        .with(|cache| cache.borrow_mut().get_mut(&language).and_then(Vec::pop))
        .unwrap_or_else(|| analysis::build(language))
}

fn give_back(language: Language, analyzer: TextAnalyzer) {
    ANALYZERS.with(|cache| {
        cache
            .borrow_mut()
            .entry(language)
            .or_default()
            .push(analyzer);
    });
}

fn plan_for(query: &str, li: &LocaleIndex, ranking: &Ranking) -> Result<plan::Plan, SearchError> {
    let searcher = li.searcher();
    let mut localized = take_analyzer(li.language);
    let mut english = take_analyzer(Language::En);
    let mut plain = take_analyzer(Language::Other);
    let result = plan::plan(
        query,
        &plan::Context {
            searcher: &searcher,
            fields: &li.fields,
            language: li.language,
            ranking,
        },
        &mut localized,
        &mut english,
        &mut plain,
    );
    give_back(Language::Other, plain);
    give_back(Language::En, english);
    give_back(li.language, localized);
    Ok(result?)
}
