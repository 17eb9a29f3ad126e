//! Building locale indexes from a corpus: parallel, incremental, atomic.
//!
//! One pass over the corpus, all cores busy: each file is read and hashed;
//! an unchanged file (same content hash as in the served generation) costs
//! nothing more; a new or changed one is parsed, analyzed once, and handed to
//! its locale's `IndexWriter`, which indexes on its own thread. A locale with
//! any change gets a new generation that starts as a link-copy of the served
//! one; it is published only after its commit is durable.
//!
//! Each locale folder's writer commits as soon as the folder's last file is
//! processed, so that serializing one locale's segment overlaps with
//! analyzing the others; what arrives later (an article whose front matter
//! names another locale, deletions of removed files) is committed at the end.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rayon::prelude::*;
use serde::Serialize;
use tantivy::schema::Term;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexWriter};

use crate::analysis;
use crate::article::{Article, ArticleError, DEFAULT_MAX_ARTICLE_BYTES, UrlTemplate};
use crate::locale::{Language, Locale};

use super::document::ArticleDocument;
use super::embedding::{self, EmbedOptions, EmbedReport};
use super::hitstore::{HitStore, HitStoreWriter};
use super::layout::{self, FORMAT_VERSION, Generation, IndexDir, Manifest};
use super::progress::{Phase, Progress, Silent};
use super::schema::{self, Fields, Provenance};
use super::{IndexError, open_generation};
use crate::article::html::SiteOptions;
use crate::source::{Document, Skipped, Source};

/// How to build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub urls: UrlTemplate,
    /// Ignore the served generations and rebuild every locale from scratch.
    pub full: bool,
    pub max_article_bytes: u64,
    /// Memory budget of each locale's index writer.
    pub writer_heap_bytes: usize,
    /// Told how far the build has got.
    pub progress: Arc<dyn Progress>,
    /// Embed articles and sections for semantic search (none: lexical only).
    pub embed: Option<EmbedOptions>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            urls: UrlTemplate::default(),
            full: false,
            max_article_bytes: DEFAULT_MAX_ARTICLE_BYTES,
            writer_heap_bytes: 64 * 1024 * 1024,
            progress: Arc::new(Silent),
            embed: None,
        }
    }
}

/// What a build did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BuildReport {
    pub locales: BTreeMap<Locale, LocaleReport>,
    /// Article files found.
    pub files: u64,
    /// Files parsed and indexed by this build.
    pub indexed: u64,
    pub unchanged: u64,
    pub skipped: Vec<Skipped>,
    /// Articles indexed with a remark (e.g. locale disagreement).
    pub warnings: Vec<Skipped>,
    /// Bytes of markdown parsed and analyzed.
    pub bytes_analyzed: u64,
    /// What the embedding step did (when the build embeds).
    pub embedding: Option<EmbedReport>,
    #[serde(serialize_with = "as_secs")]
    pub elapsed: Duration,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct LocaleReport {
    /// Documents in the locale's index after the build.
    pub documents: u64,
    pub added: u64,
    pub removed: u64,
    /// Generation published by this build; `None` if the locale was unchanged.
    pub generation: Option<u64>,
}

fn as_secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl BuildReport {
    pub fn documents(&self) -> u64 {
        self.locales.values().map(|l| l.documents).sum()
    }

    pub fn mb_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        self.bytes_analyzed as f64 / 1e6 / secs
    }
}

/// The served state of one locale, as far as the build needs it.
struct ServedLocale {
    generation: Generation,
    /// Whether the new generation can start from this one.
    compatible: bool,
    /// Its vectors, if it has any.
    vectors: Option<super::vectors::VectorsInfo>,
}

/// Where a source file's document lives now.
#[derive(Clone)]
struct Existing {
    locale: Locale,
    hash: String,
}

type WriterCell = Arc<OnceLock<Result<Arc<LocaleWriter>, Arc<IndexError>>>>;

/// A locale whose index this build changes.
struct LocaleWriter {
    generation: Generation,
    index: Index,
    /// Shared (read) to add and delete documents, exclusive to commit.
    writer: RwLock<IndexWriter<ArticleDocument>>,
    /// Whether documents were added or deleted since the last commit.
    dirty: AtomicBool,
    hits: Mutex<HitStoreWriter>,
    fields: Fields,
    added: AtomicU64,
    removed: AtomicU64,
}

impl LocaleWriter {
    fn add(&self, doc: ArticleDocument) -> Result<(), IndexError> {
        self.writer
            .read()
            .expect("index writer poisoned")
            .add_document(doc)?;
        self.added.fetch_add(1, Ordering::Relaxed);
        self.dirty.store(true, Ordering::Release);
        Ok(())
    }

    fn delete(&self, source: &str) {
        self.writer
            .read()
            .expect("index writer poisoned")
            .delete_term(Term::from_field_text(self.fields.source, source));
        self.removed.fetch_add(1, Ordering::Relaxed);
        self.dirty.store(true, Ordering::Release);
    }

    /// Commits what was added or deleted since the last commit. A change
    /// racing with this call is either in this commit or leaves `dirty` set.
    fn commit_pending(&self) -> Result<(), IndexError> {
        if self.dirty.swap(false, Ordering::AcqRel) {
            let started = Instant::now();
            self.writer
                .write()
                .expect("index writer poisoned")
                .commit()?;
            tracing::debug!(
                locale = %self.generation.locale,
                seconds = started.elapsed().as_secs_f64(),
                "locale committed"
            );
        }
        Ok(())
    }
}

/// Builds or updates the indexes of every locale found in `corpus`.
///
/// Steps: read what is served; list the source's documents; process every
/// document (all cores); delete the documents gone from the source; commit
/// every changed locale; publish — unless nothing could be indexed at all (a
/// broken corpus must not empty the index) — and tell the source.
pub fn build(
    corpus: &dyn Source,
    dir: &IndexDir,
    options: &BuildOptions,
) -> Result<BuildReport, IndexError> {
    let started = Instant::now();
    let _lock = dir.lock().map_err(|e| IndexError::io(dir.root(), e))?;
    let Served {
        locales: served,
        existing,
    } = read_served(dir, options)?;
    if options.full {
        corpus.forget_verdicts();
    }
    let listing = corpus.list(&|key| existing.get(key).map(|e| e.hash.clone()))?;
    let (entries, skipped) = (listing.documents, listing.skipped);
    let mut pass = Pass::new(dir, options, &served, existing);
    pass.site = corpus.site_options();
    let outcomes = pass.process_all(&entries);
    tracing::debug!(seconds = started.elapsed().as_secs_f64(), "files processed");
    let mut report = BuildReport {
        files: entries.len() as u64,
        skipped,
        ..Default::default()
    };
    report.tally(outcomes)?;
    pass.delete_removed(&entries, &listing.kept)?;
    let hashes = pass.hashes(&entries, &listing.kept);
    let refused = std::mem::take(&mut *pass.refused.lock().expect("refusals poisoned"));
    pass.open_locales_lacking_vectors()?;
    let bytes_analyzed = pass.bytes_analyzed.load(Ordering::Relaxed);
    let committed = pass.commit_all(&mut report)?;
    tracing::debug!(seconds = started.elapsed().as_secs_f64(), "committed");
    if let Some(embed) = options.embed.as_ref().filter(|_| !committed.is_empty()) {
        report.embedding = Some(embedding::embed_generations(
            dir,
            &committed,
            embed,
            options.progress.as_ref(),
        )?);
        tracing::debug!(seconds = started.elapsed().as_secs_f64(), "embedded");
    }
    report.add_unchanged_locales(served);
    report.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    report.warnings.sort_by(|a, b| a.path.cmp(&b.path));
    report.bytes_analyzed = bytes_analyzed;
    // An empty result means a broken corpus (wrong folder, unreadable files),
    // not an intent to empty the index: keep serving what is there.
    if report.documents() == 0 {
        return Err(IndexError::NothingIndexed {
            corpus: corpus.describe(),
            files: report.files,
            skipped: report.skipped,
        });
    }
    for generation in &committed {
        dir.publish(generation)
            .map_err(|e| IndexError::io(&generation.path, e))?;
        dir.collect_garbage(&generation.locale)
            .map_err(|e| IndexError::io(dir.root(), e))?;
    }
    corpus.published(&hashes, &refused);
    report.elapsed = started.elapsed();
    Ok(report)
}

/// What is served when a build starts.
struct Served {
    /// The served generation of every locale.
    locales: HashMap<Locale, ServedLocale>,
    /// Where each document a new generation can keep lives, by source.
    existing: HashMap<String, Existing>,
}

/// Reads what is served.
fn read_served(dir: &IndexDir, options: &BuildOptions) -> Result<Served, IndexError> {
    let mut served = HashMap::new();
    let mut existing = HashMap::new();
    for locale in dir.locales().map_err(|e| IndexError::io(dir.root(), e))? {
        let Some(generation) = dir
            .current(&locale)
            .map_err(|e| IndexError::io(dir.root(), e))?
        else {
            continue;
        };
        let manifest = layout::read_manifest(&generation.path).ok();
        let vectors = manifest.as_ref().and_then(|m| m.vectors.clone());
        let mut compatible =
            !options.full && manifest.is_some_and(|m| m.is_current(locale.language()));
        if compatible {
            let (index, _, _) = open_generation(&generation)?;
            let live = read_live_documents(&index, &generation)?;
            if live.hit_store_is_mostly_garbage() {
                // Incremental builds append to the hit store; once superseded
                // records outweigh live ones, rebuild the locale to compact it.
                tracing::info!(
                    locale = %locale,
                    live_bytes = live.hit_bytes,
                    file_bytes = live.hit_store_bytes,
                    "compacting: the locale is rebuilt from scratch"
                );
                compatible = false;
            } else {
                for (source, hash) in live.documents {
                    let locale = locale.clone();
                    existing.insert(source, Existing { locale, hash });
                }
            }
        }
        served.insert(
            locale,
            ServedLocale {
                generation,
                compatible,
                vectors,
            },
        );
    }
    Ok(Served {
        locales: served,
        existing,
    })
}

impl BuildReport {
    /// Counts the files' outcomes; the first failure aborts the build.
    fn tally(&mut self, outcomes: Vec<Outcome>) -> Result<(), IndexError> {
        for outcome in outcomes {
            match outcome {
                Outcome::Unchanged => self.unchanged += 1,
                Outcome::Indexed { source, warnings } => {
                    self.indexed += 1;
                    for reason in warnings {
                        self.warnings.push(Skipped {
                            path: source.clone(),
                            reason,
                        });
                    }
                }
                // A file that fails to parse keeps its previously indexed
                // version: a broken edit must not make an article disappear
                // (a page that says it is no article left in `process`).
                Outcome::Skipped(skip) => self.skipped.push(skip),
                Outcome::Failed(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// Reports the locales this build did not change, as they are served.
    fn add_unchanged_locales(&mut self, served: HashMap<Locale, ServedLocale>) {
        for (locale, served) in served {
            if let std::collections::btree_map::Entry::Vacant(slot) = self.locales.entry(locale) {
                let documents = layout::read_manifest(&served.generation.path)
                    .map(|m| m.documents)
                    .unwrap_or(0);
                slot.insert(LocaleReport {
                    documents,
                    ..Default::default()
                });
            }
        }
    }
}

enum Outcome {
    Unchanged,
    Indexed {
        source: String,
        warnings: Vec<String>,
    },
    Skipped(Skipped),
    Failed(IndexError),
}

/// One build's pass over the corpus: the writers of the locales it
/// changes, opened on first use.
struct Pass<'a> {
    dir: &'a IndexDir,
    options: &'a BuildOptions,
    served: &'a HashMap<Locale, ServedLocale>,
    existing: HashMap<String, Existing>,
    salt: Vec<u8>,
    /// One cell per locale: opening a writer (and loading its dictionaries)
    /// blocks only the threads that need that locale.
    writers: Mutex<BTreeMap<Locale, WriterCell>>,
    bytes_analyzed: AtomicU64,
    /// How the source's HTML pages are read.
    site: SiteOptions,
    /// The content hash of every document read (the source may keep them).
    read_hashes: Mutex<HashMap<String, String>>,
    /// Why the parser found each document it refused no article (a
    /// redirect, a listing): a verdict on the bytes, which stands while
    /// they do not change.
    refused: Mutex<HashMap<String, String>>,
}

impl<'a> Pass<'a> {
    fn new(
        dir: &'a IndexDir,
        options: &'a BuildOptions,
        served: &'a HashMap<Locale, ServedLocale>,
        existing: HashMap<String, Existing>,
    ) -> Self {
        Pass {
            dir,
            options,
            served,
            existing,
            salt: hash_salt(options),
            writers: Mutex::new(BTreeMap::new()),
            bytes_analyzed: AtomicU64::new(0),
            site: SiteOptions::default(),
            read_hashes: Mutex::new(HashMap::new()),
            refused: Mutex::new(HashMap::new()),
        }
    }

    /// The content hash of every document the index now holds from the
    /// source's listing: read by this build, or kept unchanged.
    fn hashes(&self, entries: &[Document], kept: &[String]) -> HashMap<String, String> {
        let mut hashes = self.read_hashes.lock().expect("hashes poisoned").clone();
        for key in entries.iter().map(|e| &e.key).chain(kept) {
            if let (false, Some(old)) = (hashes.contains_key(key), self.existing.get(key)) {
                hashes.insert(key.clone(), old.hash.clone());
            }
        }
        hashes
    }

    /// The writer of `locale`, opened by the first thread that needs it.
    fn writer_for(&self, locale: &Locale) -> Result<Arc<LocaleWriter>, IndexError> {
        let cell = self
            .writers
            .lock()
            .expect("writer map poisoned")
            .entry(locale.clone())
            .or_default()
            .clone();
        let opened = cell.get_or_init(|| {
            open_writer(self.dir, locale, self.served.get(locale), self.options)
                .map(Arc::new)
                .map_err(Arc::new)
        });
        match opened {
            Ok(writer) => Ok(writer.clone()),
            Err(error) => Err(IndexError::Shared(error.clone())),
        }
    }

    /// The writer of `locale` if one was opened.
    fn opened(&self, locale: &Locale) -> Option<Arc<LocaleWriter>> {
        let cell = self
            .writers
            .lock()
            .expect("writer map poisoned")
            .get(locale)?
            .clone();
        cell.get()?.as_ref().ok().cloned()
    }

    /// Processes every entry on all cores; each locale folder's writer
    /// commits as soon as its last file is done (see module docs).
    fn process_all(&self, entries: &[Document]) -> Vec<Outcome> {
        let outcomes: Mutex<Vec<Outcome>> = Mutex::new(Vec::with_capacity(entries.len()));
        let progress = self.options.progress.as_ref();
        progress.start(Phase::Indexing, Some(entries.len() as u64));
        let mut remaining: HashMap<Option<&Locale>, AtomicUsize> = HashMap::new();
        for entry in entries {
            *remaining
                .entry(entry.folder_locale.as_ref())
                .or_default()
                .get_mut() += 1;
        }
        entries.par_iter().for_each_init(
            HashMap::<Language, TextAnalyzer>::new,
            |analyzers, entry| {
                let outcome = self.process(entry, analyzers);
                outcomes.lock().expect("outcomes poisoned").push(outcome);
                if let Some(folder) = &entry.folder_locale
                    && remaining[&Some(folder)].fetch_sub(1, Ordering::AcqRel) == 1
                    && let Some(writer) = self.opened(folder)
                    && let Err(e) = writer.commit_pending()
                {
                    outcomes
                        .lock()
                        .expect("outcomes poisoned")
                        .push(Outcome::Failed(e));
                }
                progress.advance(Phase::Indexing, 1);
            },
        );
        progress.finish(Phase::Indexing);
        outcomes.into_inner().expect("outcomes poisoned")
    }

    /// One document: read, and unless unchanged, parse, analyze and index it.
    fn process(
        &self,
        entry: &Document,
        analyzers: &mut HashMap<Language, TextAnalyzer>,
    ) -> Outcome {
        let old = self.existing.get(&entry.key);
        // A crawled page the site says is the version the index holds.
        if let (Some(old), Some(hash)) = (old, entry.unchanged_as())
            && old.hash == hash
        {
            return Outcome::Unchanged;
        }
        let bytes = match entry.read_limited(self.options.max_article_bytes) {
            Ok(bytes) => bytes,
            Err(skip) => return Outcome::Skipped(skip),
        };
        let hash = content_hash(&self.salt, &bytes);
        self.read_hashes
            .lock()
            .expect("hashes poisoned")
            .insert(entry.key.clone(), hash.clone());
        if old.is_some_and(|old| old.hash == hash) {
            return Outcome::Unchanged;
        }
        let parsed = match entry.parse(&bytes, &self.options.urls, &self.site) {
            Ok(parsed) => parsed,
            Err(error) => {
                let skip = entry.skipped(error.to_string());
                // A page that says it is no article (a redirect, a listing)
                // is not a broken edit: it leaves the index, and its source
                // may skip it while it is unchanged. Any other error keeps
                // the indexed version (see `tally`).
                if let ArticleError::NotAnArticle(_) = error {
                    if let Some(old) = old {
                        match self.writer_for(&old.locale) {
                            Ok(writer) => writer.delete(&entry.key),
                            Err(e) => return Outcome::Failed(e),
                        }
                    }
                    self.refused
                        .lock()
                        .expect("refusals poisoned")
                        .insert(entry.key.clone(), skip.reason.clone());
                }
                return Outcome::Skipped(skip);
            }
        };
        let provenance = Provenance {
            source: entry.key.clone(),
            hash,
        };
        match self.index(&parsed.article, provenance, old, analyzers) {
            Ok(()) => {
                self.bytes_analyzed
                    .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                Outcome::Indexed {
                    source: entry.key.clone(),
                    warnings: parsed.warnings,
                }
            }
            Err(e) => Outcome::Failed(e),
        }
    }

    /// Analyzes `article` into its locale's writer, replacing the document
    /// `old` (possibly in another locale).
    fn index(
        &self,
        article: &Article,
        provenance: Provenance,
        old: Option<&Existing>,
        analyzers: &mut HashMap<Language, TextAnalyzer>,
    ) -> Result<(), IndexError> {
        let locale = &article.locale;
        let writer = self.writer_for(locale)?;
        let analyzer = analyzers
            .entry(locale.language())
            .or_insert_with(|| analysis::build(locale.language()));
        let append = |record: &[u8]| {
            writer
                .hits
                .lock()
                .expect("hit store poisoned")
                .append_encoded(record)
        };
        let doc = schema::to_document(article, &provenance, &writer.fields, analyzer, append)
            .map_err(|e| IndexError::io(&writer.generation.path, e))?;
        // The old document goes first: a delete only affects documents added before it.
        if let Some(old) = old {
            let old_writer = if old.locale == *locale {
                writer.clone()
            } else {
                self.writer_for(&old.locale)?
            };
            old_writer.delete(&provenance.source);
        }
        writer.add(doc)
    }

    /// Opens a writer (a new generation) for each served locale whose
    /// vectors are not the ones this build makes: a new embedder, or
    /// vectors never made. Its documents stay as they are.
    fn open_locales_lacking_vectors(&self) -> Result<(), IndexError> {
        let Some(embed) = &self.options.embed else {
            return Ok(());
        };
        for (locale, served) in self.served {
            if !embed.is_satisfied_by(served.vectors.as_ref()) {
                self.writer_for(locale)?;
            }
        }
        Ok(())
    }

    /// Deletes the documents gone from the source (neither listed nor kept).
    fn delete_removed(&self, entries: &[Document], kept: &[String]) -> Result<(), IndexError> {
        let present: HashSet<&str> = entries
            .iter()
            .map(|e| e.key.as_str())
            .chain(kept.iter().map(String::as_str))
            .collect();
        for (source, old) in &self.existing {
            if !present.contains(source.as_str()) {
                self.writer_for(&old.locale)?.delete(source);
            }
        }
        Ok(())
    }

    /// Commits every changed locale in parallel, publishing nothing yet;
    /// returns the generations to publish.
    fn commit_all(self, report: &mut BuildReport) -> Result<Vec<Generation>, IndexError> {
        let writers: Vec<(Locale, LocaleWriter)> = self
            .writers
            .into_inner()
            .expect("writer map poisoned")
            .into_iter()
            .filter_map(|(locale, cell)| {
                let writer = Arc::into_inner(cell)?.into_inner()?.ok()?;
                Some((
                    locale,
                    Arc::into_inner(writer).expect("no other writer handle is alive"),
                ))
            })
            .collect();
        let commits: Vec<_> = writers
            .into_par_iter()
            .map(|(locale, writer)| {
                let hits = writer.hits.into_inner().expect("hit store poisoned");
                let index_writer = writer.writer.into_inner().expect("index writer poisoned");
                let documents = commit(
                    index_writer,
                    writer.dirty.into_inner(),
                    hits,
                    &writer.index,
                    &writer.generation,
                );
                let added = writer.added.into_inner();
                let removed = writer.removed.into_inner();
                (locale, documents, added, removed, writer.generation)
            })
            .collect();
        let mut committed = Vec::with_capacity(commits.len());
        for (locale, documents, added, removed, generation) in commits {
            report.locales.insert(
                locale,
                LocaleReport {
                    documents: documents?,
                    added,
                    removed,
                    generation: Some(generation.number),
                },
            );
            committed.push(generation);
        }
        Ok(committed)
    }
}

/// Opens a writer on a new generation of `locale`, starting from the served
/// generation when it is compatible.
fn open_writer(
    dir: &IndexDir,
    locale: &Locale,
    served: Option<&ServedLocale>,
    options: &BuildOptions,
) -> Result<LocaleWriter, IndexError> {
    let generation = dir
        .new_generation(locale)
        .map_err(|e| IndexError::io(dir.root(), e))?;
    let language = locale.language();
    let index = match served.filter(|s| s.compatible) {
        Some(served) => {
            layout::clone_generation(&served.generation.path, &generation.path)
                .map_err(|e| IndexError::io(&generation.path, e))?;
            let index = Index::open_in_dir(&generation.path)?;
            analysis::register(index.tokenizers(), [language]);
            index
        }
        None => {
            let (schema, _) = schema::build_schema(language);
            let index = Index::builder()
                .schema(schema)
                .create_in_dir(&generation.path)?;
            analysis::register(index.tokenizers(), [language]);
            index
        }
    };
    let fields = Fields::from_schema(&index.schema())?;
    let writer = index.writer_with_num_threads(1, options.writer_heap_bytes.max(15_000_000))?;
    let hits =
        HitStoreWriter::open(&generation.path).map_err(|e| IndexError::io(&generation.path, e))?;
    Ok(LocaleWriter {
        hits: Mutex::new(hits),
        generation,
        index,
        writer: RwLock::new(writer),
        dirty: AtomicBool::new(false),
        fields,
        added: AtomicU64::new(0),
        removed: AtomicU64::new(0),
    })
}

/// Commits what is pending, merges what the merge policy asks for, makes
/// the hit store durable and writes the manifest. Returns the number of live
/// documents.
fn commit(
    mut writer: IndexWriter<ArticleDocument>,
    pending: bool,
    hits: HitStoreWriter,
    index: &Index,
    generation: &Generation,
) -> Result<u64, IndexError> {
    let started = Instant::now();
    hits.finish()
        .map_err(|e| IndexError::io(&generation.path, e))?;
    if pending {
        writer.commit()?;
    }
    writer.wait_merging_threads()?;
    tracing::debug!(
        locale = %generation.locale,
        pending,
        seconds = started.elapsed().as_secs_f64(),
        "locale finished"
    );
    let reader = index.reader()?;
    let documents = reader.searcher().num_docs();
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        analysis_version: analysis::ANALYSIS_VERSION,
        parse_version: crate::article::PARSE_VERSION,
        locale: generation.locale.clone(),
        language: generation.locale.language(),
        documents,
        built_at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        schema: schema::fingerprint(),
        vectors: None,
    };
    layout::write_manifest(&generation.path, &manifest)
        .map_err(|e| IndexError::io(&generation.path, e))?;
    Ok(documents)
}

/// The live documents of a served generation, for an incremental build.
struct LiveDocuments {
    /// (source, content hash) of every live document.
    documents: Vec<(String, String)>,
    /// Bytes of the hit store's records of live documents.
    hit_bytes: u64,
    /// Size of the hit store file.
    hit_store_bytes: u64,
}

impl LiveDocuments {
    /// Whether superseded records outweigh live ones (and are worth a
    /// rebuild: a megabyte at least).
    fn hit_store_is_mostly_garbage(&self) -> bool {
        let garbage = self.hit_store_bytes.saturating_sub(self.hit_bytes);
        garbage > self.hit_bytes && garbage > 1 << 20
    }
}

/// Reads (source, hash) and hit-store record sizes of every live document.
fn read_live_documents(
    index: &Index,
    generation: &Generation,
) -> Result<LiveDocuments, IndexError> {
    let hits = HitStore::open(&generation.path).map_err(|e| IndexError::io(&generation.path, e))?;
    let searcher = index.reader()?.searcher();
    let mut live = LiveDocuments {
        documents: Vec::with_capacity(searcher.num_docs() as usize),
        hit_bytes: 0,
        hit_store_bytes: hits.len() as u64,
    };
    for segment in searcher.segment_readers() {
        let (sources, hashes) = schema::provenance_columns(segment)?;
        let offsets = schema::hit_column(segment)?;
        // Terms in ordinal order, read once: looking each ordinal up
        // decompresses a dictionary block per document.
        let (sources_by_ord, hashes_by_ord) = (terms_by_ord(&sources)?, terms_by_ord(&hashes)?);
        for doc in segment.doc_ids_alive() {
            let (Some(s), Some(h)) = (sources.term_ords(doc).next(), hashes.term_ords(doc).next())
            else {
                continue;
            };
            let (Some(source), Some(hash)) = (
                sources_by_ord.get(s as usize),
                hashes_by_ord.get(h as usize),
            ) else {
                continue;
            };
            live.documents.push((source.clone(), hash.clone()));
            live.hit_bytes += offsets
                .first(doc)
                .and_then(|offset| hits.record_len(offset))
                .unwrap_or(0);
        }
    }
    Ok(live)
}

fn terms_by_ord(column: &tantivy::columnar::StrColumn) -> Result<Vec<String>, IndexError> {
    let mut terms = Vec::with_capacity(column.num_terms());
    let mut stream = column
        .dictionary()
        .stream()
        .map_err(tantivy::TantivyError::from)?;
    while stream.advance() {
        terms.push(String::from_utf8_lossy(stream.key()).into_owned());
    }
    Ok(terms)
}

/// What besides the bytes decides a document's content: the analyzers, the
/// layout and the URL template.
fn hash_salt(options: &BuildOptions) -> Vec<u8> {
    format!(
        "kensaku/{FORMAT_VERSION}/{}/{}\n",
        analysis::ANALYSIS_VERSION,
        serde_json::to_string(&options.urls).unwrap_or_default()
    )
    .into_bytes()
}

fn content_hash(salt: &[u8], bytes: &[u8]) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(salt);
    hasher.update(bytes);
    let hash = hasher.finalize();
    hash.to_hex()[..32].to_string()
}
