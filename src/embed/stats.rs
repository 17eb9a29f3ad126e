//! Counters of an embedder's work, read by `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{ErrorKind, Modality};

/// Upper bounds (seconds) of the latency histogram's buckets.
pub const LATENCY_BUCKETS: [f64; 10] = [0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

/// Requests, texts, failures and latency of one embedder, per
/// [`Modality`].
#[derive(Debug, Default)]
pub struct Stats {
    requests: [AtomicU64; MODALITIES],
    texts: [AtomicU64; MODALITIES],
    errors: [[AtomicU64; ErrorKind::ALL.len()]; MODALITIES],
    /// Cumulative counts of requests at most each bucket's bound.
    latency_buckets: [[AtomicU64; LATENCY_BUCKETS.len()]; MODALITIES],
    latency_sum_micros: [AtomicU64; MODALITIES],
}

const MODALITIES: usize = Modality::ALL.len();

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
        modality: Modality,
        texts: usize,
        took: Duration,
        error: Option<ErrorKind>,
    ) {
        let modality = modality.index();
        self.requests[modality].fetch_add(1, Ordering::Relaxed);
        self.texts[modality].fetch_add(texts as u64, Ordering::Relaxed);
        if let Some(kind) = error {
            self.errors[modality][kind.index()].fetch_add(1, Ordering::Relaxed);
        }
        let seconds = took.as_secs_f64();
        for (bound, count) in LATENCY_BUCKETS.iter().zip(&self.latency_buckets[modality]) {
            if seconds <= *bound {
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_sum_micros[modality].fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    /// Requests of `modality`.
    pub fn requests(&self, modality: Modality) -> u64 {
        self.requests[modality.index()].load(Ordering::Relaxed)
    }

    /// Texts sent with `modality`.
    pub fn texts(&self, modality: Modality) -> u64 {
        self.texts[modality.index()].load(Ordering::Relaxed)
    }

    /// Failures of `modality`, by kind.
    pub fn errors(&self, modality: Modality) -> impl Iterator<Item = (ErrorKind, u64)> + '_ {
        ErrorKind::ALL
            .into_iter()
            .zip(&self.errors[modality.index()])
            .map(|(kind, n)| (kind, n.load(Ordering::Relaxed)))
    }

    pub fn latency(&self, modality: Modality) -> Histogram {
        let modality = modality.index();
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
