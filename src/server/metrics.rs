//! Prometheus metrics.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::search::Engine;

/// The server's metrics, registered in their own registry.
pub struct Metrics {
    registry: Registry,
    pub requests: IntCounterVec,
    pub latency: HistogramVec,
    pub searches: IntCounterVec,
    pub zero_results: IntCounterVec,
    pub hits: IntCounterVec,
    pub reindexes: IntCounterVec,
    documents: IntGaugeVec,
    size_bytes: IntGaugeVec,
    generation: IntGaugeVec,
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
            registry
                .register(Box::new(c.clone()))
                .expect("unique metric");
            c
        };
        let gauge = |name: &str, help: &str| {
            let g = IntGaugeVec::new(Opts::new(name, help), &["locale"]).expect("valid metric");
            registry
                .register(Box::new(g.clone()))
                .expect("unique metric");
            g
        };
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "kensaku_http_request_duration_seconds",
                "HTTP request latency by route",
            )
            .buckets(vec![
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
            ]),
            &["route"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(latency.clone()))
            .expect("unique metric");
        Metrics {
            requests: counter(
                "kensaku_http_requests_total",
                "HTTP requests by route, method and status",
                &["route", "method", "status"],
            ),
            latency,
            searches: counter(
                "kensaku_searches_total",
                "Searches by locale searched",
                &["locale"],
            ),
            zero_results: counter(
                "kensaku_search_zero_results_total",
                "Searches that found nothing, by locale",
                &["locale"],
            ),
            hits: counter(
                "kensaku_search_hits_total",
                "Hits returned, by locale",
                &["locale"],
            ),
            reindexes: counter(
                "kensaku_reindex_total",
                "Admin reindexes by outcome",
                &["outcome"],
            ),
            documents: gauge("kensaku_index_documents", "Documents in the served index"),
            size_bytes: gauge(
                "kensaku_index_size_bytes",
                "Bytes on disk of the served index generation",
            ),
            generation: gauge("kensaku_index_generation", "Served index generation"),
            registry,
        }
    }

    /// The text exposition format, with index gauges read now.
    pub fn render(&self, engine: &Engine) -> String {
        for info in engine.locales() {
            let locale = info.locale.as_str();
            self.documents
                .with_label_values(&[locale])
                .set(info.documents as i64);
            self.size_bytes
                .with_label_values(&[locale])
                .set(info.size_bytes as i64);
            self.generation
                .with_label_values(&[locale])
                .set(info.generation as i64);
        }
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
