//! In-process query latency with snippets, per locale: p50/p99 over the dev
//! queries, through `Engine::search` (the path of the CLI and the API).
//!
//!     cargo bench --bench query

mod common;

use std::time::{Duration, Instant};

use kensaku::eval;
use kensaku::index::{self, BuildOptions, Corpus, IndexDir};
use kensaku::search::{Engine, SearchRequest};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-index");
    let report = index::build(
        &Corpus::Dir(shared.join("corpus")),
        &IndexDir::new(&dir),
        &BuildOptions::default(),
    )
    .expect("index the shared corpus");
    eprintln!("index ready ({} documents)", report.documents());
    let rounds = common::rounds(50);
    let engine = Engine::open(IndexDir::new(&dir));
    let judgments = eval::read_judgments(&shared.join("eval/dev.jsonl")).unwrap();
    let given: Vec<(String, SearchRequest)> = judgments
        .iter()
        .map(|j| {
            (
                j.locale.to_string(),
                SearchRequest::new(j.query.clone()).locale(j.locale.clone()),
            )
        })
        .collect();
    // The same queries without their locale: detection plans every
    // candidate locale, then searches the chosen ones.
    let detected: Vec<(String, SearchRequest)> = judgments
        .iter()
        .map(|j| ("detected".to_string(), SearchRequest::new(j.query.clone())))
        .collect();
    // Warm up: dictionaries, analyzers, page cache.
    for (_, r) in given.iter().chain(&detected) {
        engine.search(r).unwrap();
    }
    measure("locale given", &engine, &given, rounds);
    measure("locale detected", &engine, &detected, rounds);
}

/// Runs `requests` `rounds` times, interleaved, and prints p50/p99 per label.
fn measure(title: &str, engine: &Engine, requests: &[(String, SearchRequest)], rounds: usize) {
    let mut by_locale: std::collections::BTreeMap<String, Vec<Duration>> = Default::default();
    let mut all = Vec::new();
    let started = Instant::now();
    for _ in 0..rounds {
        for (locale, request) in requests {
            let t = Instant::now();
            let response = engine.search(request).unwrap();
            let elapsed = t.elapsed();
            assert!(!response.hits.is_empty());
            by_locale.entry(locale.clone()).or_default().push(elapsed);
            all.push(elapsed);
        }
    }
    let wall = started.elapsed();
    println!("{title}:");
    println!(
        "{:<8} {:>9} {:>9} {:>9} {:>9}",
        "locale", "queries", "p50 µs", "p99 µs", "max µs"
    );
    for (locale, mut times) in by_locale {
        times.sort();
        println!(
            "{:<8} {:>9} {:>9.0} {:>9.0} {:>9.0}",
            locale,
            times.len(),
            percentile(&times, 0.5).as_secs_f64() * 1e6,
            percentile(&times, 0.99).as_secs_f64() * 1e6,
            times.last().unwrap().as_secs_f64() * 1e6
        );
    }
    all.sort();
    println!(
        "{:<8} {:>9} {:>9.0} {:>9.0} {:>9.0}   ({:.0} queries/s on one thread, {} rounds of the {} dev queries)",
        "all",
        all.len(),
        percentile(&all, 0.5).as_secs_f64() * 1e6,
        percentile(&all, 0.99).as_secs_f64() * 1e6,
        all.last().unwrap().as_secs_f64() * 1e6,
        all.len() as f64 / wall.as_secs_f64(),
        rounds,
        requests.len()
    );
}
