//! Counters of an embedder's work, read by `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram's buckets.
pub const LATENCY_BUCKETS: [f64; 10] = [0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

/// The error codes of [`super::EmbedError::code`], in a fixed order.
pub const ERROR_CODES: [&str; 7] = [
    "unreachable",
    "timeout",
    "status",
    "malformed",
    "dimensions",
    "count",
    "busy",
];

/// Requests, texts, failures and latency of one embedder, per modality
/// (0: query, 1: passage).
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: [AtomicU64; 2],
    pub texts: [AtomicU64; 2],
    errors: [[AtomicU64; ERROR_CODES.len()]; 2],
    /// Cumulative counts of requests at most each bucket's bound.
    latency_buckets: [[AtomicU64; LATENCY_BUCKETS.len()]; 2],
    latency_sum_micros: [AtomicU64; 2],
}

/// A copy of one modality's latency histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// (bound in seconds, requests at most that long).
    pub buckets: Vec<(f64, u64)>,
    pub count: u64,
    pub sum_seconds: f64,
}

impl Stats {
    pub(crate) fn record(
        &self,
        modality: usize,
        texts: usize,
        took: Duration,
        error: Option<&str>,
    ) {
        self.requests[modality].fetch_add(1, Ordering::Relaxed);
        self.texts[modality].fetch_add(texts as u64, Ordering::Relaxed);
        if let Some(code) = error
            && let Some(i) = ERROR_CODES.iter().position(|c| *c == code)
        {
            self.errors[modality][i].fetch_add(1, Ordering::Relaxed);
        }
        let seconds = took.as_secs_f64();
        for (bound, count) in LATENCY_BUCKETS.iter().zip(&self.latency_buckets[modality]) {
            if seconds <= *bound {
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_sum_micros[modality].fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    /// Failures of `modality` (0: query, 1: passage) by error code.
    pub fn errors(&self, modality: usize) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        ERROR_CODES
            .iter()
            .zip(&self.errors[modality])
            .map(|(code, n)| (*code, n.load(Ordering::Relaxed)))
    }

    pub fn latency(&self, modality: usize) -> Histogram {
        Histogram {
            buckets: LATENCY_BUCKETS
                .iter()
                .zip(&self.latency_buckets[modality])
                .map(|(b, n)| (*b, n.load(Ordering::Relaxed)))
                .collect(),
            count: self.requests[modality].load(Ordering::Relaxed),
            sum_seconds: self.latency_sum_micros[modality].load(Ordering::Relaxed) as f64 / 1e6,
        }
    }
}
