//! Hybrid query latency in-process, and the cost of the exact vector scan.
//!
//! - over the dev + dev2 queries (each with its locale), on an index with
//!   vectors: hybrid with an empty query-vector cache (every query goes to
//!   the embedder, one pass), hybrid again (every query vector cached), and
//!   lexical (`semantic_ratio` 0), five passes each; the embedder's own
//!   latency from its counters;
//! - the exact scan of `Vectors::search` over 1×, 10× and 50× the rows of
//!   a locale of the shared corpus (random unit vectors), f32 and int8.
//!
//! ```text
//! KENSAKU_BENCH_INDEX=target/hybrid/int8 \
//! KENSAKU_EMBEDDER_URL=http://127.0.0.1:8089 KENSAKU_EMBEDDER_MODALITY_FIELD=input_type \
//! cargo bench --bench hybrid
//! ```
//!
//! (`bench/hybrid/eval.sh` builds that index, int8 as the default, and
//! `target/hybrid/f32`.) Without them it says so and measures the scan
//! only.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use kensaku::embed::config::EmbedderArgs;
use kensaku::embed::http::HttpEmbedder;
use kensaku::embed::normalize;
use kensaku::eval;
use kensaku::index::IndexDir;
use kensaku::index::vectors::{self, Scoring, VectorFormat, Vectors};
use kensaku::search::{Engine, Ranking, SearchRequest};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{name:<28} {:>6} queries  p50 {:>8.2} ms  p99 {:>8.2} ms",
        times.len(),
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3
    );
}

fn main() {
    queries();
    scan();
}

/// Hybrid (miss, hit) and lexical latency over the judged queries.
fn queries() {
    let (Some(shared), Ok(index)) = (common::shared(), std::env::var("KENSAKU_BENCH_INDEX")) else {
        println!("no KENSAKU_BENCH_INDEX (an index with vectors): query latency not measured");
        return;
    };
    let args = EmbedderArgs {
        url: std::env::var("KENSAKU_EMBEDDER_URL").ok(),
        modality_field: std::env::var("KENSAKU_EMBEDDER_MODALITY_FIELD").ok(),
        ..Default::default()
    };
    let Some(config) = args.resolve() else {
        println!("no KENSAKU_EMBEDDER_URL: query latency not measured");
        return;
    };
    let embedder = Arc::new(HttpEmbedder::new(config));
    let engine = Engine::open_with(IndexDir::new(&index), Some(embedder.clone()));
    let mut requests = Vec::new();
    for set in ["dev", "dev2"] {
        let judgments = eval::read_judgments(&shared.join(format!("eval/{set}.jsonl"))).unwrap();
        for j in judgments {
            requests.push(SearchRequest::new(j.query).locale(j.locale));
        }
    }
    // Warm up the index (page cache, analyzers) lexically.
    for r in &requests {
        engine.search(&r.clone().semantic_ratio(0.0)).unwrap();
    }
    // Passes over the queries: one where the embedder is asked (its round
    // trip is the figure), `KENSAKU_BENCH_ROUNDS` (5) where it is not, so
    // that a p99 rests on more than the slowest five queries.
    let rounds = common::rounds(5);
    let time = |engine: &Engine, ratio: Option<f32>, rounds: usize| -> Vec<Duration> {
        (0..rounds)
            .flat_map(|_| &requests)
            .map(|r| {
                let mut r = r.clone();
                r.semantic_ratio = ratio;
                let t = Instant::now();
                let response = engine.search(&r).unwrap();
                let elapsed = t.elapsed();
                if ratio != Some(0.0) {
                    assert!(response.semantic.is_some_and(|s| s.used), "{}", r.q);
                }
                elapsed
            })
            .collect()
    };
    let before = embedder.stats_snapshot();
    report("hybrid, query vector miss", time(&engine, None, 1));
    let (requests_made, seconds) = embedder.stats_since(before);
    report("hybrid, query vector hit", time(&engine, None, rounds));
    // What judging translations by their originals' vectors too costs.
    let mut ranking = Ranking::default();
    ranking.fusion.originals = 0.0;
    let own_only =
        Engine::open_with(IndexDir::new(&index), Some(embedder.clone())).with_ranking(ranking);
    for r in &requests {
        own_only.search(r).unwrap();
    }
    report(
        "hybrid, query vector hit, own vectors only",
        time(&own_only, None, rounds),
    );
    report(
        "lexical (semantic_ratio 0)",
        time(&engine, Some(0.0), rounds),
    );
    println!(
        "embedder round trips during the miss pass: {requests_made}, mean {:.2} ms",
        seconds * 1e3 / requests_made.max(1) as f64
    );
}

/// The exact scan at 1×, 10× and 50× the rows of one locale.
fn scan() {
    const ROWS_1X: usize = 3400;
    const DIMENSIONS: usize = 384;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut random = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % 2001) as f32 / 1000.0 - 1.0
    };
    let mut unit = || {
        let mut v: Vec<f32> = (0..DIMENSIONS).map(|_| random()).collect();
        normalize(&mut v);
        v
    };
    let query = unit();
    for scale in [1, 10, 50] {
        let rows = ROWS_1X * scale;
        let vectors: Vec<Vec<f32>> = (0..rows).map(|_| unit()).collect();
        let ids: Vec<(String, Option<u16>)> = (0..rows)
            // An article row and nine sections per article.
            .map(|i| {
                (
                    format!("a{}.md", i / 10),
                    (i % 10).checked_sub(1).map(|s| s as u16),
                )
            })
            .collect();
        let refs: Vec<&[f32]> = vectors.iter().map(Vec::as_slice).collect();
        for format in [VectorFormat::F32, VectorFormat::Int8] {
            let dir = tempfile::tempdir().unwrap();
            let written = Instant::now();
            vectors::write(dir.path(), &ids, &refs, DIMENSIONS, format).unwrap();
            let written = written.elapsed();
            let v = Vectors::open(dir.path()).unwrap().unwrap();
            let scoring = Scoring {
                section_weight: 0.5,
                hub_penalty: 0.25,
                hub_neighbours: 3,
            };
            v.search(&query, 50, &scoring);
            let rounds = common::rounds(20);
            let mut times = Vec::with_capacity(rounds);
            for _ in 0..rounds {
                let t = Instant::now();
                std::hint::black_box(v.search(&query, 50, &scoring));
                times.push(t.elapsed());
            }
            times.sort();
            println!(
                "scan {scale:>2}x ({rows:>6} rows, {format:?}, {:>6.1} MB): p50 {:>7.2} ms \
                 (written with the articles' neighbours in {:.2} s)",
                v.size_bytes() as f64 / 1e6,
                percentile(&times, 0.5).as_secs_f64() * 1e3,
                written.as_secs_f64()
            );
        }
    }
}
