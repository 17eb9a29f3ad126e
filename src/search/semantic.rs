//! Query vectors for semantic matching: embedded once per distinct query
//! text and kept in an LRU cache (search-as-you-type repeats itself), with
//! an embedder that keeps failing skipped for a while ([`Breaker`]). A
//! text asked again while its vector is being made waits for that one
//! rather than asking the embedder twice ([`Flight`]): readers typing the
//! same popular query, or a cold cache under load, send the same text many
//! times at once.

use std::borrow::Cow;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
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
    /// Embeddings being made, by cache key.
    in_flight: Mutex<HashMap<String, Arc<Flight>>>,
    pub cache_hits: AtomicU64,
    /// Texts not in the cache that a call set out to embed (the breaker
    /// may refuse them).
    pub cache_misses: AtomicU64,
    /// Texts not in the cache whose embedding was already being made.
    pub cache_joined: AtomicU64,
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
            in_flight: Mutex::new(HashMap::new()),
            cache_hits: AtomicU64::new(0),
            cache_misses: AtomicU64::new(0),
            cache_joined: AtomicU64::new(0),
            unavailable: Mutex::new(Default::default()),
            breaker: Breaker::default(),
        }
    }

    /// Counts a search that answered without meaning, for `reason`.
    pub fn count_unavailable(&self, reason: &'static str) {
        *lock(&self.unavailable).entry(reason).or_default() += 1;
    }

    /// Searches answered without meaning, by reason.
    pub fn unavailable(&self) -> Vec<(&'static str, u64)> {
        lock(&self.unavailable)
            .iter()
            .map(|(r, n)| (*r, *n))
            .collect()
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
    /// miss is not: the caller either asks [`Self::query_vector`], which
    /// counts it as a miss or a join, or goes without).
    pub fn cached_query_vector(&self, query: &str) -> Option<Arc<Vec<f32>>> {
        self.cached(&cache_key(query))
    }

    /// The cached vector of a [`cache_key`], counted as a hit.
    fn cached(&self, key: &str) -> Option<Arc<Vec<f32>>> {
        let vector = lock(&self.queries).get(key).cloned()?;
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
        Some(vector)
    }

    /// The vector of `query` (trimmed, its punctuation plain as the
    /// passages' is), from the cache, from an embedding of the same text
    /// already in flight, or from the embedder.
    pub fn query_vector(&self, query: &str) -> Result<Arc<Vec<f32>>, EmbedError> {
        let key = cache_key(query);
        if let Some(vector) = self.cached(&key) {
            return Ok(vector);
        }
        let key = key.into_owned();
        let flight = {
            let mut flights = lock(&self.in_flight);
            match flights.get(&key) {
                Some(flight) => Some(flight.clone()),
                None => {
                    flights.insert(key.clone(), Arc::new(Flight::default()));
                    None
                }
            }
        };
        if let Some(flight) = flight {
            self.cache_joined.fetch_add(1, Ordering::Relaxed);
            return flight.wait();
        }
        // This call leads the flight: its result, whatever happens, is
        // handed to those who joined when `lead` drops.
        let mut lead = Lead {
            semantic: self,
            key,
            result: None,
        };
        let result = self.embed(&lead.key);
        lead.result = Some(result.clone());
        result
    }

    /// Embeds `key` (not in the cache) through the breaker and caches it.
    fn embed(&self, key: &str) -> Result<Arc<Vec<f32>>, EmbedError> {
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
        lock(&self.queries).put(key.to_string(), vector.clone());
        Ok(vector)
    }
}

/// What a query is cached and embedded as: trimmed, its punctuation plain
/// as the passages' is.
fn cache_key(query: &str) -> Cow<'_, str> {
    plain_punctuation(query.trim())
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// One embedding in flight: those who ask for the same text meanwhile wait
/// for its result (no longer than the embedder's timeout, which bounds the
/// leading call).
#[derive(Default)]
struct Flight {
    result: Mutex<Option<Result<Arc<Vec<f32>>, EmbedError>>>,
    done: Condvar,
}

impl Flight {
    fn wait(&self) -> Result<Arc<Vec<f32>>, EmbedError> {
        let mut result = lock(&self.result);
        loop {
            if let Some(result) = result.as_ref() {
                return result.clone();
            }
            result = self.done.wait(result).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// The leading call of a [`Flight`]. On drop (its result set, or a panic
/// unwinding) it hands the result to the flight's waiters and ends the
/// flight; the vector is cached first, so a later call finds it there.
struct Lead<'a> {
    semantic: &'a Semantic,
    key: String,
    result: Option<Result<Arc<Vec<f32>>, EmbedError>>,
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        let result = self.result.take().unwrap_or_else(|| {
            Err(EmbedError::Unreachable(
                "the embedding was abandoned".into(),
            ))
        });
        let flight = lock(&self.semantic.in_flight).remove(&self.key);
        if let Some(flight) = flight {
            *lock(&flight.result) = Some(result);
            flight.done.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;
    use crate::embed::stats::Stats;

    /// Answers once let through, counting its calls.
    struct Gated {
        identity: EmbedderIdentity,
        stats: Stats,
        calls: AtomicUsize,
        gate: Mutex<mpsc::Receiver<Result<Vec<f32>, EmbedError>>>,
    }

    impl Embedder for Gated {
        fn identity(&self) -> &EmbedderIdentity {
            &self.identity
        }
        fn embed(&self, _: &[&str], _: Modality) -> Result<Vec<Vec<f32>>, EmbedError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            lock(&self.gate).recv().unwrap().map(|v| vec![v])
        }
        fn stats(&self) -> &Stats {
            &self.stats
        }
    }

    fn gated() -> (Arc<Gated>, mpsc::Sender<Result<Vec<f32>, EmbedError>>) {
        let (open, gate) = mpsc::channel();
        let embedder = Arc::new(Gated {
            identity: EmbedderIdentity {
                model: "gated".into(),
                dimensions: 2,
                presentation: String::new(),
            },
            stats: Stats::default(),
            calls: AtomicUsize::new(0),
            gate: Mutex::new(gate),
        });
        (embedder, open)
    }

    /// Asks `semantic` for `query` from `n` threads at once; their results
    /// once the embedder has been let through with `answer`.
    fn ask_together(
        semantic: &Arc<Semantic>,
        embedder: &Gated,
        open: &mpsc::Sender<Result<Vec<f32>, EmbedError>>,
        query: &'static str,
        n: usize,
        answer: Result<Vec<f32>, EmbedError>,
    ) -> Vec<Result<Arc<Vec<f32>>, EmbedError>> {
        let calls = embedder.calls.load(Ordering::SeqCst);
        let joined = semantic.cache_joined.load(Ordering::SeqCst);
        let threads: Vec<_> = (0..n)
            .map(|_| {
                let semantic = semantic.clone();
                std::thread::spawn(move || semantic.query_vector(query))
            })
            .collect();
        // Wait until every asker is in: one embedding, the others joined.
        let deadline = Instant::now() + Duration::from_secs(10);
        while embedder.calls.load(Ordering::SeqCst) < calls + 1
            || semantic.cache_joined.load(Ordering::SeqCst) < joined + n as u64 - 1
        {
            assert!(
                Instant::now() < deadline,
                "{} embeddings asked, {} joined",
                embedder.calls.load(Ordering::SeqCst) - calls,
                semantic.cache_joined.load(Ordering::SeqCst) - joined
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        open.send(answer).unwrap();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    }

    #[test]
    fn one_text_asked_at_once_is_embedded_once() {
        let (embedder, open) = gated();
        let semantic = Arc::new(Semantic::new(embedder.clone()));
        let results = ask_together(
            &semantic,
            &embedder,
            &open,
            "invoice",
            4,
            Ok(vec![0.6, 0.8]),
        );
        assert_eq!(embedder.calls.load(Ordering::SeqCst), 1);
        for result in &results {
            assert_eq!(result.as_ref().unwrap().as_slice(), &[0.6, 0.8]);
        }
        assert_eq!(semantic.cache_misses.load(Ordering::SeqCst), 1);
        assert_eq!(semantic.cache_joined.load(Ordering::SeqCst), 3);
        // Cached now; no flight is left.
        assert!(semantic.query_vector(" invoice ").is_ok());
        assert_eq!(embedder.calls.load(Ordering::SeqCst), 1);
        assert!(lock(&semantic.in_flight).is_empty());

        // A failure is every waiter's, and is not cached: the next ask embeds.
        let failure = EmbedError::Status {
            status: 500,
            body: "down".into(),
        };
        let results = ask_together(
            &semantic,
            &embedder,
            &open,
            "refund",
            3,
            Err(failure.clone()),
        );
        for result in results {
            assert_eq!(result.unwrap_err(), failure);
        }
        assert_eq!(embedder.calls.load(Ordering::SeqCst), 2);
        open.send(Ok(vec![1.0, 0.0])).unwrap();
        assert!(semantic.query_vector("refund").is_ok());
        assert_eq!(embedder.calls.load(Ordering::SeqCst), 3);
    }
}
