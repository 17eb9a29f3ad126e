//! The embedding step of a build: vectors for every generation the build
//! publishes, from the [cache](crate::embed::cache) or, for texts never
//! embedded by this embedder, from the embedder — batched, both cores busy.
//!
//! Runs after the generations are committed and before any is published: an
//! embedder that fails leaves every served generation as it is (unless the
//! build was asked to publish lexical-only generations instead).

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tantivy::DocAddress;

use crate::embed::cache::{EmbeddingCache, TextKey, text_key};
use crate::embed::config::EmbedderArgs;
use crate::embed::http::HttpEmbedder;
use crate::embed::{EmbedError, Embedder, Modality};

use super::IndexError;
use super::layout::{self, Generation, IndexDir};
use super::progress::{Phase, Progress};
use super::reader::LocaleReader;
use super::vectors::{self, Chunk, RECIPE, VectorFormat, VectorsInfo};

/// The folder of the embedding cache, inside the index folder.
pub const CACHE_DIR: &str = "embeddings";

/// How `index` and `serve` store vectors: flags, `KENSAKU_*` environment
/// variables, and the keys of `serve`'s configuration file.
#[derive(Debug, Clone, Default, PartialEq, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorArgs {
    /// Storage of article and section vectors: int8 (a quarter of f32's
    /// size and of the scan's memory traffic), or f32 [default: int8].
    #[arg(long, env = "KENSAKU_VECTOR_FORMAT")]
    pub vector_format: Option<VectorFormat>,
    /// When the embedder fails during a build, publish the lexical index
    /// without vectors (and say so) instead of keeping the previous one.
    #[arg(long, env = "KENSAKU_LEXICAL_FALLBACK")]
    #[serde(default)]
    pub lexical_fallback: bool,
    /// Folder of the embedding cache [default: <index-dir>/embeddings].
    #[arg(long, env = "KENSAKU_EMBEDDING_CACHE")]
    pub embedding_cache: Option<std::path::PathBuf>,
}

impl VectorArgs {
    /// These settings, completed by `fallback`'s (the configuration file).
    pub fn or(self, fallback: VectorArgs) -> VectorArgs {
        VectorArgs {
            vector_format: self.vector_format.or(fallback.vector_format),
            lexical_fallback: self.lexical_fallback || fallback.lexical_fallback,
            embedding_cache: self.embedding_cache.or(fallback.embedding_cache),
        }
    }

    /// How a build embeds with `embedder` (none: it does not).
    pub fn embed_options(&self, embedder: &EmbedderArgs) -> Option<EmbedOptions> {
        let config = embedder.resolve()?;
        Some(EmbedOptions {
            embedder: Arc::new(HttpEmbedder::new(config)),
            format: self.vector_format.unwrap_or_default(),
            lexical_fallback: self.lexical_fallback,
            cache_dir: self.embedding_cache.clone(),
        })
    }
}

/// How a build embeds.
#[derive(Clone)]
pub struct EmbedOptions {
    pub embedder: Arc<dyn Embedder>,
    pub format: VectorFormat,
    /// When the embedder fails: publish the lexical index without vectors
    /// (and say so) instead of failing the build.
    pub lexical_fallback: bool,
    /// The embedding cache's folder; `<index-dir>/embeddings` when `None`.
    pub cache_dir: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for EmbedOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbedOptions")
            .field("embedder", self.embedder.identity())
            .field("format", &self.format)
            .field("lexical_fallback", &self.lexical_fallback)
            .finish()
    }
}

impl EmbedOptions {
    /// What the vectors of a generation built with these options record.
    pub fn info(&self, rows: u64) -> VectorsInfo {
        VectorsInfo {
            embedder: self.embedder.identity().clone(),
            recipe: RECIPE,
            format: self.format,
            rows,
        }
    }

    /// Whether a generation with `info` already has the vectors these
    /// options make.
    pub fn is_satisfied_by(&self, info: Option<&VectorsInfo>) -> bool {
        info.is_some_and(|i| {
            i.embedder == *self.embedder.identity() && i.recipe == RECIPE && i.format == self.format
        })
    }
}

/// What the embedding step did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EmbedReport {
    /// Chunks of the generations embedded (articles and sections).
    pub chunks: u64,
    /// Chunks whose vectors came from the cache.
    pub cached: u64,
    /// Texts sent to the embedder.
    pub embedded: u64,
    #[serde(serialize_with = "as_secs")]
    pub elapsed: Duration,
    /// Set when the embedder failed and the build published without vectors.
    pub failed: Option<String>,
}

fn as_secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// One generation's chunks.
struct Planned<'a> {
    generation: &'a Generation,
    chunks: Vec<Chunk>,
}

/// Writes the vectors of `generations` (committed, not yet published).
pub fn embed_generations(
    dir: &IndexDir,
    generations: &[Generation],
    options: &EmbedOptions,
    progress: &dyn Progress,
) -> Result<EmbedReport, IndexError> {
    let started = Instant::now();
    let mut planned = Vec::with_capacity(generations.len());
    for generation in generations {
        planned.push(Planned {
            generation,
            chunks: generation_chunks(generation)?,
        });
    }
    let cache_dir = options
        .cache_dir
        .clone()
        .unwrap_or_else(|| dir.root().join(CACHE_DIR));
    let mut cache = EmbeddingCache::open(&cache_dir, options.embedder.identity())
        .map_err(|e| IndexError::io(&cache_dir, e))?;
    let mut report = EmbedReport {
        chunks: planned.iter().map(|p| p.chunks.len() as u64).sum(),
        ..Default::default()
    };
    let missing = missing_texts(&planned, &cache);
    report.cached = report.chunks - missing.len() as u64;
    report.embedded = missing.len() as u64;
    let embedded = embed_missing(&mut cache, missing, options, progress);
    cache.sync().map_err(|e| IndexError::io(cache.path(), e))?;
    if let Err(error) = embedded {
        if !options.lexical_fallback {
            return Err(IndexError::Embedding(error));
        }
        tracing::warn!(error = %error, "embedding failed: publishing without vectors");
        report.failed = Some(error.to_string());
        report.elapsed = started.elapsed();
        return Ok(report);
    }
    for plan in &planned {
        write_vectors(plan, &cache, options)?;
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// The chunks of every live document of a committed generation (complete
/// on disk: opened as a reader would).
fn generation_chunks(generation: &Generation) -> Result<Vec<Chunk>, IndexError> {
    let reader = LocaleReader::open_generation(generation)?;
    let language = reader.language;
    let searcher = reader.searcher();
    let mut chunks = Vec::new();
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        for doc in segment.doc_ids_alive() {
            if let Some(record) = reader.record(DocAddress::new(ord as u32, doc)) {
                chunks.extend(vectors::chunks(&record, language));
            }
        }
    }
    Ok(chunks)
}

/// The distinct texts the cache does not have.
fn missing_texts(planned: &[Planned<'_>], cache: &EmbeddingCache) -> Vec<(TextKey, String)> {
    let mut seen = HashSet::new();
    let mut missing = Vec::new();
    for chunk in planned.iter().flat_map(|p| &p.chunks) {
        let key = text_key(&chunk.text);
        if cache.get(&key).is_none() && seen.insert(key) {
            missing.push((key, chunk.text.clone()));
        }
    }
    missing
}

/// Embeds `missing` in batches on every core, adding each batch to the
/// cache as it arrives (an interrupted build keeps what it paid for).
fn embed_missing(
    cache: &mut EmbeddingCache,
    missing: Vec<(TextKey, String)>,
    options: &EmbedOptions,
    progress: &dyn Progress,
) -> Result<(), EmbedError> {
    if missing.is_empty() {
        return Ok(());
    }
    progress.start(Phase::Embedding, Some(missing.len() as u64));
    let failed = AtomicBool::new(false);
    let first_error: Mutex<Option<EmbedError>> = Mutex::new(None);
    let cache = Mutex::new(cache);
    let batch_size = options.embedder.batch_size();
    missing.par_chunks(batch_size).for_each(|batch| {
        if failed.load(Ordering::Acquire) {
            return;
        }
        let texts: Vec<&str> = batch.iter().map(|(_, t)| t.as_str()).collect();
        match options.embedder.embed(&texts, Modality::Passage) {
            Ok(vectors) => {
                let mut cache = cache.lock().expect("cache poisoned");
                // Every vector is kept; a failing file only costs later builds.
                let mut written = Ok(());
                for ((key, _), vector) in batch.iter().zip(vectors) {
                    let inserted = cache.insert(*key, vector);
                    written = written.and(inserted);
                }
                if let Err(e) = written.and_then(|_| cache.flush()) {
                    tracing::warn!(error = %e, "cannot append to the embedding cache");
                }
                progress.advance(Phase::Embedding, batch.len() as u64);
            }
            Err(e) => {
                failed.store(true, Ordering::Release);
                first_error.lock().expect("error poisoned").get_or_insert(e);
            }
        }
    });
    progress.finish(Phase::Embedding);
    match first_error.into_inner().expect("error poisoned") {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Writes one generation's `vectors.bin` and records it in its manifest.
fn write_vectors(
    plan: &Planned<'_>,
    cache: &EmbeddingCache,
    options: &EmbedOptions,
) -> Result<(), IndexError> {
    let path = &plan.generation.path;
    let mut rows = Vec::with_capacity(plan.chunks.len());
    let mut vectors: Vec<&[f32]> = Vec::with_capacity(plan.chunks.len());
    for chunk in &plan.chunks {
        if let Some(vector) = cache.get(&text_key(&chunk.text)) {
            rows.push((chunk.article.clone(), chunk.section));
            vectors.push(vector);
        }
    }
    let dimensions = options.embedder.identity().dimensions;
    vectors::write(path, &rows, &vectors, dimensions, options.format)
        .map_err(|e| IndexError::io(path, e))?;
    let mut manifest = layout::read_manifest(path).map_err(|e| IndexError::io(path, e))?;
    manifest.vectors = Some(options.info(rows.len() as u64));
    layout::write_manifest(path, &manifest).map_err(|e| IndexError::io(path, e))
}
