//! Query vectors for semantic matching: embedded once per distinct query
//! text and kept in an LRU cache (search-as-you-type repeats itself).

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use lru::LruCache;

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

    pub fn identity(&self) -> &EmbedderIdentity {
        self.embedder.identity()
    }

    pub fn embedder(&self) -> &dyn Embedder {
        &*self.embedder
    }

    /// The vector of `query` (trimmed), from the cache or the embedder.
    pub fn query_vector(&self, query: &str) -> Result<Arc<Vec<f32>>, EmbedError> {
        let key = query.trim();
        if let Some(vector) = self.lock().get(key) {
            self.cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(vector.clone());
        }
        self.cache_misses.fetch_add(1, Ordering::Relaxed);
        let vector =
            self.embedder
                .embed(&[key], Modality::Query)?
                .pop()
                .ok_or(EmbedError::Count {
                    expected: 1,
                    got: 0,
                })?;
        let vector = Arc::new(vector);
        self.lock().put(key.to_string(), vector.clone());
        Ok(vector)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, Arc<Vec<f32>>>> {
        self.queries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
