//! Query vectors for semantic matching: embedded once per distinct query
//! text and kept in an LRU cache (search-as-you-type repeats itself), with
//! an embedder that keeps failing skipped for a while ([`Breaker`]).

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use lru::LruCache;

use crate::analysis::filters::plain_punctuation;
use crate::embed::breaker::{Admission, Breaker, Outcome};
use crate::embed::{EmbedError, Embedder, EmbedderIdentity, Modality};

/// Query vectors kept.
const QUERY_CACHE_ENTRIES: usize = 4096;

/// The engine's semantic side: the query embedder and its cache.
pub struct Semantic {
    embedder: Arc<dyn Embedder>,
    queries: Mutex<LruCache<String, Arc<Vec<f32>>>>,
    pub cache_hits: AtomicU64,
    pub cache_misses: AtomicU64,
    /// Searches that wanted meaning and went without, by reason.
    unavailable: Mutex<std::collections::BTreeMap<&'static str, u64>>,
    breaker: Breaker,
}

impl Semantic {
    pub fn new(embedder: Arc<dyn Embedder>) -> Semantic {
        Semantic {
            embedder,
            queries: Mutex::new(LruCache::new(
                NonZeroUsize::new(QUERY_CACHE_ENTRIES).expect("non-zero"),
            )),
            cache_hits: AtomicU64::new(0),
            cache_misses: AtomicU64::new(0),
            unavailable: Mutex::new(Default::default()),
            breaker: Breaker::default(),
        }
    }

    /// Counts a search that answered without meaning, for `reason`.
    pub fn count_unavailable(&self, reason: &'static str) {
        *self
            .unavailable
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(reason)
            .or_default() += 1;
    }

    /// Searches answered without meaning, by reason.
    pub fn unavailable(&self) -> Vec<(&'static str, u64)> {
        let counts = self.unavailable.lock().unwrap_or_else(|e| e.into_inner());
        counts.iter().map(|(r, n)| (*r, *n)).collect()
    }

    /// Whether the embedder is being skipped after repeated failures.
    pub fn suspended(&self) -> bool {
        self.breaker.is_open()
    }

    pub fn identity(&self) -> &EmbedderIdentity {
        self.embedder.identity()
    }

    pub fn embedder(&self) -> &dyn Embedder {
        &*self.embedder
    }

    /// The vector of `query` if the cache has it (a hit is counted, a
    /// miss is not: the caller either embeds it through
    /// [`Self::query_vector`], which counts it, or goes without).
    pub fn cached_query_vector(&self, query: &str) -> Option<Arc<Vec<f32>>> {
        let key = plain_punctuation(query.trim());
        let vector = self.lock().get(key.as_ref()).cloned()?;
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
        Some(vector)
    }

    /// The vector of `query` (trimmed, its punctuation plain as the
    /// passages' is), from the cache or the embedder.
    pub fn query_vector(&self, query: &str) -> Result<Arc<Vec<f32>>, EmbedError> {
        if let Some(vector) = self.cached_query_vector(query) {
            return Ok(vector);
        }
        let key = plain_punctuation(query.trim());
        let key = key.as_ref();
        self.cache_misses.fetch_add(1, Ordering::Relaxed);
        let probe = match self.breaker.admit(Instant::now()) {
            Admission::Allowed { probe } => probe,
            Admission::Refused { retry_in } => return Err(EmbedError::Suspended(retry_in)),
        };
        let result = self
            .embedder
            .embed(&[key], Modality::Query)
            .and_then(|mut vectors| {
                vectors.pop().ok_or(EmbedError::Count {
                    expected: 1,
                    got: 0,
                })
            });
        let outcome = match &result {
            Ok(_) => Outcome::Success,
            Err(e) if e.is_transient() => Outcome::SlowFailure,
            Err(_) => Outcome::FastFailure,
        };
        if let Some(cool_down) = self.breaker.record(outcome, probe, Instant::now()) {
            tracing::warn!(
                cool_down_ms = cool_down.as_millis() as u64,
                "the embedder keeps failing: semantic matching suspended"
            );
        } else if probe && outcome == Outcome::Success {
            tracing::info!("the embedder answers again: semantic matching resumed");
        }
        let vector = result?;
        let vector = Arc::new(vector);
        self.lock().put(key.to_string(), vector.clone());
        Ok(vector)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, Arc<Vec<f32>>>> {
        self.queries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
