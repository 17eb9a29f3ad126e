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

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;
use tantivy::schema::Term;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexWriter};

use crate::analysis;
use crate::article::{self, ArticleError, DEFAULT_MAX_ARTICLE_BYTES, Source, UrlTemplate};
use crate::locale::{Language, Locale};

use super::corpus::{Corpus, Entry, Skipped};
use super::document::ArticleDocument;
use super::hitstore::{HitStore, HitStoreWriter};
use super::layout::{self, FORMAT_VERSION, Generation, IndexDir, Manifest};
use super::schema::{self, Fields, Provenance};
use super::{IndexError, open_generation};

/// How to build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub urls: UrlTemplate,
    /// Ignore the served generations and rebuild every locale from scratch.
    pub full: bool,
    pub max_article_bytes: u64,
    /// Memory budget of each locale's index writer.
    pub writer_heap_bytes: usize,
    /// Show a progress bar (on a terminal).
    pub progress: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            urls: UrlTemplate::default(),
            full: false,
            max_article_bytes: DEFAULT_MAX_ARTICLE_BYTES,
            writer_heap_bytes: 64 * 1024 * 1024,
            progress: false,
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
struct Served {
    generation: Generation,
    /// Whether the new generation can start from this one.
    compatible: bool,
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
pub fn build(
    corpus: &Corpus,
    dir: &IndexDir,
    options: &BuildOptions,
) -> Result<BuildReport, IndexError> {
    let started = Instant::now();
    let _lock = dir.lock().map_err(|e| IndexError::io(dir.root(), e))?;

    let mut served: HashMap<Locale, Served> = HashMap::new();
    let mut existing: HashMap<String, Existing> = HashMap::new();
    for locale in dir.locales().map_err(|e| IndexError::io(dir.root(), e))? {
        let Some(generation) = dir
            .current(&locale)
            .map_err(|e| IndexError::io(dir.root(), e))?
        else {
            continue;
        };
        let mut compatible = !options.full
            && layout::read_manifest(&generation.path)
                .map(|m| m.is_compatible(locale.language()))
                .unwrap_or(false);
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
                    existing.insert(
                        source,
                        Existing {
                            locale: locale.clone(),
                            hash,
                        },
                    );
                }
            }
        }
        served.insert(
            locale,
            Served {
                generation,
                compatible,
            },
        );
    }

    let (entries, mut skipped) = corpus.entries();
    let salt = hash_salt(options);
    // One cell per locale: opening a writer (and loading its dictionaries)
    // blocks only the threads that need that locale.
    let writers: Mutex<BTreeMap<Locale, WriterCell>> = Mutex::new(BTreeMap::new());
    let outcomes: Mutex<Vec<Outcome>> = Mutex::new(Vec::with_capacity(entries.len()));
    let bytes_analyzed = AtomicU64::new(0);
    let progress = progress_bar(options.progress, entries.len() as u64);

    let writer_for = |locale: &Locale| -> Result<Arc<LocaleWriter>, IndexError> {
        let cell = writers
            .lock()
            .expect("writer map poisoned")
            .entry(locale.clone())
            .or_default()
            .clone();
        let opened = cell.get_or_init(|| {
            open_writer(dir, locale, served.get(locale), options)
                .map(Arc::new)
                .map_err(Arc::new)
        });
        match opened {
            Ok(writer) => Ok(writer.clone()),
            Err(error) => Err(IndexError::Shared(error.clone())),
        }
    };

    let opened = |locale: &Locale| -> Option<Arc<LocaleWriter>> {
        let cell = writers
            .lock()
            .expect("writer map poisoned")
            .get(locale)?
            .clone();
        cell.get()?.as_ref().ok().cloned()
    };
    let mut remaining: HashMap<Option<&Locale>, AtomicUsize> = HashMap::new();
    for entry in &entries {
        *remaining
            .entry(entry.folder_locale.as_ref())
            .or_default()
            .get_mut() += 1;
    }

    entries.par_iter().for_each_init(
        HashMap::<Language, TextAnalyzer>::new,
        |analyzers, entry| {
            let outcome = process(
                entry,
                &salt,
                &existing,
                options,
                analyzers,
                &writer_for,
                &bytes_analyzed,
            );
            outcomes.lock().expect("outcomes poisoned").push(outcome);
            // The folder's last file: commit its locale now (see module docs).
            if let Some(folder) = &entry.folder_locale
                && remaining[&Some(folder)].fetch_sub(1, Ordering::AcqRel) == 1
                && let Some(writer) = opened(folder)
                && let Err(e) = writer.commit_pending()
            {
                outcomes
                    .lock()
                    .expect("outcomes poisoned")
                    .push(Outcome::Failed(e));
            }
            progress.inc(1);
        },
    );
    progress.finish_and_clear();
    tracing::debug!(seconds = started.elapsed().as_secs_f64(), "files processed");

    let mut report = BuildReport {
        files: entries.len() as u64,
        ..Default::default()
    };
    for outcome in outcomes.into_inner().expect("outcomes poisoned") {
        match outcome {
            Outcome::Unchanged => report.unchanged += 1,
            Outcome::Indexed { source, warnings } => {
                report.indexed += 1;
                for reason in warnings {
                    report.warnings.push(Skipped {
                        path: source.clone(),
                        reason,
                    });
                }
            }
            // A file that fails to parse keeps its previously indexed version:
            // a broken edit must not make an article disappear from search.
            Outcome::Skipped(skip) => skipped.push(skip),
            Outcome::Failed(error) => return Err(error),
        }
    }

    // Files gone from the corpus: remove their documents.
    let present: HashSet<&str> = entries.iter().map(|e| e.source.as_str()).collect();
    for (source, old) in &existing {
        if !present.contains(source.as_str()) {
            writer_for(&old.locale)?.delete(source);
        }
    }

    // Commit every changed locale in parallel, but publish nothing yet.
    let writers: Vec<(Locale, LocaleWriter)> = writers
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
            (
                locale,
                documents,
                writer.added,
                writer.removed,
                writer.generation,
            )
        })
        .collect();
    tracing::debug!(seconds = started.elapsed().as_secs_f64(), "committed");
    let mut committed = Vec::with_capacity(commits.len());
    for (locale, documents, added, removed, generation) in commits {
        report.locales.insert(
            locale,
            LocaleReport {
                documents: documents?,
                added: added.into_inner(),
                removed: removed.into_inner(),
                generation: Some(generation.number),
            },
        );
        committed.push(generation);
    }
    for (locale, served) in served {
        if let std::collections::btree_map::Entry::Vacant(slot) = report.locales.entry(locale) {
            let documents = layout::read_manifest(&served.generation.path)
                .map(|m| m.documents)
                .unwrap_or(0);
            slot.insert(LocaleReport {
                documents,
                ..Default::default()
            });
        }
    }

    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    report.warnings.sort_by(|a, b| a.path.cmp(&b.path));
    report.skipped = skipped;
    report.bytes_analyzed = bytes_analyzed.into_inner();
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
    report.elapsed = started.elapsed();
    Ok(report)
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

fn process(
    entry: &Entry,
    salt: &[u8],
    existing: &HashMap<String, Existing>,
    options: &BuildOptions,
    analyzers: &mut HashMap<Language, TextAnalyzer>,
    writer_for: &(dyn Fn(&Locale) -> Result<Arc<LocaleWriter>, IndexError> + Sync),
    bytes_analyzed: &AtomicU64,
) -> Outcome {
    let skip = |reason: String| {
        Outcome::Skipped(Skipped {
            path: entry.source.clone(),
            reason,
        })
    };
    match entry.len() {
        Ok(len) if len > options.max_article_bytes => {
            return skip(
                ArticleError::TooLarge {
                    size: len,
                    limit: options.max_article_bytes,
                }
                .to_string(),
            );
        }
        Ok(_) => {}
        Err(e) => return skip(format!("cannot read: {e}")),
    }
    let bytes = match entry.read() {
        Ok(bytes) => bytes,
        Err(e) => return skip(format!("cannot read: {e}")),
    };
    let hash = content_hash(salt, &bytes);
    let old = existing.get(&entry.source);
    if old.is_some_and(|old| old.hash == hash) {
        return Outcome::Unchanged;
    }
    let parsed = match article::parse(
        &Source {
            id: &entry.id,
            folder_locale: entry.folder_locale.as_ref(),
            bytes: &bytes,
        },
        &options.urls,
    ) {
        Ok(parsed) => parsed,
        Err(e) => return skip(e.to_string()),
    };
    let locale = parsed.article.locale.clone();
    let writer = match writer_for(&locale) {
        Ok(w) => w,
        Err(e) => return Outcome::Failed(e),
    };
    let analyzer = analyzers
        .entry(locale.language())
        .or_insert_with(|| analysis::build(locale.language()));
    let provenance = Provenance {
        source: entry.source.clone(),
        hash,
    };
    let append = |record: &[u8]| {
        writer
            .hits
            .lock()
            .expect("hit store poisoned")
            .append_encoded(record)
    };
    let doc = match schema::to_document(
        &parsed.article,
        &provenance,
        &writer.fields,
        analyzer,
        append,
    ) {
        Ok(doc) => doc,
        Err(e) => return Outcome::Failed(IndexError::io(&writer.generation.path, e)),
    };
    bytes_analyzed.fetch_add(bytes.len() as u64, Ordering::Relaxed);

    // The old document goes first: a delete only affects documents added before it.
    if let Some(old) = old {
        let old_writer = if old.locale == locale {
            writer.clone()
        } else {
            match writer_for(&old.locale) {
                Ok(w) => w,
                Err(e) => return Outcome::Failed(e),
            }
        };
        old_writer.delete(&entry.source);
    }
    if let Err(e) = writer.add(doc) {
        return Outcome::Failed(e);
    }
    Outcome::Indexed {
        source: entry.source.clone(),
        warnings: parsed.warnings,
    }
}

/// Opens a writer on a new generation of `locale`, starting from the served
/// generation when it is compatible.
fn open_writer(
    dir: &IndexDir,
    locale: &Locale,
    served: Option<&Served>,
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
        locale: generation.locale.clone(),
        language: generation.locale.language(),
        documents,
        built_at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
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
        let fast = segment.fast_fields();
        let (Some(sources), Some(hashes)) = (fast.str("source")?, fast.str("hash")?) else {
            continue;
        };
        let offsets = fast.u64("hit")?;
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

fn progress_bar(enabled: bool, len: u64) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} indexing [{bar:40}] {pos}/{len} files, {per_sec}, eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}
