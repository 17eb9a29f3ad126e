//! Whole-corpus indexing against its floor, measured in the same run: pure
//! parse + analyze of every file (all cores, tokens discarded) vs a full
//! `index::build` from raw markdown.
//!
//!     cargo bench --bench index

mod common;

use std::time::{Duration, Instant};

use kensaku::analysis;
use kensaku::article::UrlTemplate;
use kensaku::index::{self, BuildOptions, Corpus, IndexDir};
use kensaku::locale::Language;
use kensaku::source::Source;
use rayon::prelude::*;

/// Parses every file and runs the analyzers over every indexed text field,
/// as the indexer does, keeping nothing.
fn parse_and_analyze(corpus: &Corpus) -> (usize, u64) {
    let entries = corpus.list(&|_| None).unwrap().documents;
    let site = corpus.site_options();
    let bytes: u64 = entries
        .iter()
        .map(|e| e.read_limited(u64::MAX).map_or(0, |b| b.len() as u64))
        .sum();
    let tokens = entries
        .par_iter()
        .map_init(
            std::collections::HashMap::<Language, tantivy::tokenizer::TextAnalyzer>::new,
            |analyzers, entry| {
                let bytes = entry.read_limited(u64::MAX).unwrap();
                let Ok(parsed) = entry.parse(&bytes, &UrlTemplate::default(), &site) else {
                    return 0;
                };
                let a = parsed.article;
                let mut count = 0;
                let mut run = |language: Language, text: &str| {
                    let analyzer = analyzers
                        .entry(language)
                        .or_insert_with(|| analysis::build(language));
                    let mut stream = analyzer.token_stream(text);
                    while stream.advance() {
                        count += 1;
                    }
                };
                let language = a.locale.language();
                run(language, &a.title);
                run(language, &a.description);
                run(language, &a.headings());
                let mut body = String::new();
                for s in &a.sections {
                    s.write_text(&mut body);
                }
                run(language, &body);
                run(Language::En, &a.english());
                count
            },
        )
        .sum();
    (tokens, bytes)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let Some(shared) = common::shared() else {
        return;
    };
    let corpus = Corpus::Dir(shared.join("corpus"));
    // Dictionaries load once per process in both cases.
    for language in Language::ALL {
        analysis::preload(language);
    }
    let mut analyze_times = Vec::new();
    let mut index_times = Vec::new();
    let mut tokens = 0;
    let mut bytes = 0;
    for round in 0..common::rounds(5) {
        let t = Instant::now();
        (tokens, bytes) = parse_and_analyze(&corpus);
        analyze_times.push(t.elapsed());

        let dir = tempfile::tempdir().unwrap();
        let t = Instant::now();
        let report = index::build(
            &corpus,
            &IndexDir::new(dir.path()),
            &BuildOptions::default(),
        )
        .unwrap();
        index_times.push(t.elapsed());
        eprintln!(
            "round {round}: parse+analyze {:.2} s, index {:.2} s ({} documents)",
            analyze_times[round].as_secs_f64(),
            index_times[round].as_secs_f64(),
            report.documents()
        );
    }
    let (a, i) = (median(analyze_times), median(index_times));
    println!(
        "markdown {:.1} MB, {tokens} tokens; threads {}",
        bytes as f64 / 1e6,
        rayon::current_num_threads()
    );
    println!(
        "parse+analyze {:.2} s ({:.1} MB/s) | index {:.2} s ({:.1} MB/s) | index / parse+analyze = {:.2}",
        a.as_secs_f64(),
        bytes as f64 / 1e6 / a.as_secs_f64(),
        i.as_secs_f64(),
        bytes as f64 / 1e6 / i.as_secs_f64(),
        i.as_secs_f64() / a.as_secs_f64()
    );
}
