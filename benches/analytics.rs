//! The analytics writer's cost per search: searches as the server records
//! them (the dev + dev2 queries, ten returned article ids each, ids made at
//! 5 k searches/s) written into a fresh SQLite store, one thread, in batches
//! of what the writer gathers in its tenth of a second at that rate.
//!
//!     cargo bench --bench analytics
//!     KENSAKU_BENCH_ROUNDS=1 valgrind --tool=callgrind target/release/deps/analytics-… --bench

mod common;

use std::time::Instant;

use kensaku::analytics::store::{Event, Location};
use kensaku::analytics::{Analytics, SearchRecord, now};
use kensaku::curation::pins::normalize_query;
use kensaku::eval;

/// Searches written per round.
const SEARCHES: usize = 50_000;
/// Events per transaction: what the writer gathers in its 100 ms at 5 k
/// searches/s.
const BATCH: usize = 500;
/// Searches a second.
const RATE: usize = 5_000;

fn main() {
    let Some(shared) = common::shared() else {
        return;
    };
    let mut judgments = eval::read_judgments(&shared.join("eval/dev.jsonl")).unwrap();
    judgments.extend(eval::read_judgments(&shared.join("eval/dev2.jsonl")).unwrap());
    // Every relevant id, in order: each search returns the next ten.
    let ids: Vec<&str> = judgments
        .iter()
        .flat_map(|j| j.relevant.iter().map(String::as_str))
        .collect();
    // Ids as the server makes them (the second, then 96 bits no one can
    // guess) at RATE searches a second: each batch's ids fall in the last
    // second's range, in random order.
    let start = now();
    let records: Vec<Event> = (0..SEARCHES)
        .map(|n| {
            let at = start + (n / RATE) as i64;
            let unguessable = &Analytics::new_id()[8..];
            let j = &judgments[n % judgments.len()];
            let returned: Vec<&str> = (0..10).map(|k| ids[(n + k) % ids.len()]).collect();
            Event::Search(Box::new(SearchRecord {
                id: format!("{:08x}{unguessable}", at as u32),
                at,
                query: normalize_query(&j.query),
                locale: Some(j.locale.to_string()),
                detected_locale: None,
                total: 120,
                lexical_total: 120,
                returned: returned.join("\n"),
                mode: "lexical",
                took_ms: 0.5,
                settled: true,
            }))
        })
        .collect();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-analytics-store");
    for round in 0..common::rounds(3) {
        let _ = std::fs::remove_dir_all(&dir);
        let mut store = Location::Sqlite(dir.clone())
            .open()
            .expect("open the store");
        let started = Instant::now();
        for batch in records.chunks(BATCH) {
            store.write(batch).expect("write a batch");
        }
        let elapsed = started.elapsed();
        println!(
            "round {round}: {SEARCHES} searches in batches of {BATCH}: {:.2} µs per search",
            elapsed.as_secs_f64() * 1e6 / SEARCHES as f64
        );
    }
}
