//! Prometheus metrics.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::analytics::Analytics;
use crate::embed::Modality;
use crate::search::Engine;
use crate::search::semantic::Semantic;

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
    pub fn render(&self, engine: &Engine, analytics: Option<&Analytics>) -> String {
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
        let mut text = String::from_utf8(out).unwrap_or_default();
        if let Some(semantic) = engine.semantic() {
            render_semantic(semantic, &mut text);
        }
        {
            use std::fmt::Write as _;
            let name = "kensaku_curation_problems";
            let _ = writeln!(
                text,
                "# HELP {name} Synonym and pin lines that could not be applied at the last load (see the log)
# TYPE {name} gauge
{name} {}",
                engine.curated().problems.len()
            );
        }
        if let Some(analytics) = analytics {
            render_analytics(analytics, &mut text);
        }
        text
    }
}

/// Analytics' counters: what was recorded, dropped (queue full or database
/// failing), the database's write errors and rejected events.
fn render_analytics(analytics: &Analytics, out: &mut String) {
    use std::fmt::Write as _;
    use std::sync::atomic::Ordering::Relaxed;
    let stats = &analytics.stats;
    let counters = [
        (
            "kensaku_analytics_searches_recorded_total",
            "Searches written to the analytics store (settled, or pending until the search box settles them)",
            &stats.searches_recorded,
        ),
        (
            "kensaku_analytics_settles_recorded_total",
            "Settles of as-you-type searches written to the analytics store",
            &stats.settles_recorded,
        ),
        (
            "kensaku_analytics_clicks_recorded_total",
            "Result clicks written to the analytics database",
            &stats.clicks_recorded,
        ),
        (
            "kensaku_analytics_dropped_total",
            "Analytics events dropped (queue full, or the store failing past the bound); searches are never delayed",
            &stats.dropped,
        ),
        (
            "kensaku_analytics_write_errors_total",
            "Failed writes to the analytics store",
            &stats.write_errors,
        ),
        (
            "kensaku_analytics_events_rejected_total",
            "Search-box events refused (unknown search, replayed, malformed)",
            &stats.events_rejected,
        ),
    ];
    for (name, help, counter) in counters {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
            counter.load(Relaxed)
        );
    }
    let _ = writeln!(
        out,
        "# HELP kensaku_analytics_pending Analytics events handed over and not yet written\n\
         # TYPE kensaku_analytics_pending gauge\nkensaku_analytics_pending {}",
        stats.pending.load(Relaxed)
    );
    let _ = writeln!(
        out,
        "# HELP kensaku_analytics_store_available Whether the analytics store takes writes now (1) or events wait (0)\n\
         # TYPE kensaku_analytics_store_available gauge\nkensaku_analytics_store_available {}",
        u8::from(analytics.is_available())
    );
}

/// The embedder's counters, in the text exposition format: its requests,
/// failures and latency per modality (queries of searches, passages of
/// builds), the query-vector cache, and searches answered without meaning.
fn render_semantic(semantic: &Semantic, out: &mut String) {
    use std::fmt::Write as _;
    use std::sync::atomic::Ordering::Relaxed;
    let stats = semantic.embedder().stats();
    out.push_str("# HELP kensaku_embedder_requests_total Requests to the embedder by modality\n");
    out.push_str("# TYPE kensaku_embedder_requests_total counter\n");
    for modality in Modality::ALL {
        let (m, n) = (modality.as_str(), stats.requests(modality));
        let _ = writeln!(
            out,
            "kensaku_embedder_requests_total{{modality=\"{m}\"}} {n}"
        );
    }
    out.push_str(
        "# HELP kensaku_embedder_errors_total Failed embedder requests by modality and reason\n",
    );
    out.push_str("# TYPE kensaku_embedder_errors_total counter\n");
    for modality in Modality::ALL {
        let m = modality.as_str();
        for (kind, n) in stats.errors(modality) {
            let code = kind.code();
            let _ = writeln!(
                out,
                "kensaku_embedder_errors_total{{modality=\"{m}\",reason=\"{code}\"}} {n}"
            );
        }
    }
    out.push_str(
        "# HELP kensaku_embedder_request_duration_seconds Embedder request latency by modality\n",
    );
    out.push_str("# TYPE kensaku_embedder_request_duration_seconds histogram\n");
    for modality in Modality::ALL {
        let (m, h) = (modality.as_str(), stats.latency(modality));
        for (bound, n) in &h.buckets {
            let _ = writeln!(
                out,
                "kensaku_embedder_request_duration_seconds_bucket{{modality=\"{m}\",le=\"{bound}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "kensaku_embedder_request_duration_seconds_bucket{{modality=\"{m}\",le=\"+Inf\"}} {}",
            h.count
        );
        let _ = writeln!(
            out,
            "kensaku_embedder_request_duration_seconds_sum{{modality=\"{m}\"}} {}",
            h.sum_seconds
        );
        let _ = writeln!(
            out,
            "kensaku_embedder_request_duration_seconds_count{{modality=\"{m}\"}} {}",
            h.count
        );
    }
    out.push_str("# HELP kensaku_query_vector_cache_total Query vectors served from the cache (hit), embedded (miss), or taken from an embedding of the same text in flight (joined)\n");
    out.push_str("# TYPE kensaku_query_vector_cache_total counter\n");
    for (result, count) in [
        ("hit", &semantic.cache_hits),
        ("miss", &semantic.cache_misses),
        ("joined", &semantic.cache_joined),
    ] {
        let _ = writeln!(
            out,
            "kensaku_query_vector_cache_total{{result=\"{result}\"}} {}",
            count.load(Relaxed)
        );
    }
    out.push_str("# HELP kensaku_embedder_suspended Whether query embedding is skipped after repeated failures (1) or not (0)\n");
    out.push_str("# TYPE kensaku_embedder_suspended gauge\n");
    let _ = writeln!(
        out,
        "kensaku_embedder_suspended {}",
        u8::from(semantic.suspended())
    );
    out.push_str("# HELP kensaku_semantic_unavailable_total Searches that wanted meaning and answered lexically, by reason\n");
    out.push_str("# TYPE kensaku_semantic_unavailable_total counter\n");
    for (reason, n) in semantic.unavailable() {
        let _ = writeln!(
            out,
            "kensaku_semantic_unavailable_total{{reason=\"{reason}\"}} {n}"
        );
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
