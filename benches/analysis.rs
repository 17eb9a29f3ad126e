//! Throughput of each analyzer on its locale's real text, and of the parser.
//!
//!     cargo bench --bench analysis

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kensaku::analysis;
use kensaku::locale::Locale;

fn analyzers(c: &mut Criterion) {
    let Some(shared) = common::shared() else {
        return;
    };
    let mut group = c.benchmark_group("analyze");
    group.sample_size(10);
    for locale in common::locales(&shared) {
        let locale = locale.as_str();
        let texts = common::localized_text(&shared, locale);
        let bytes: usize = texts.iter().map(String::len).sum();
        let mut analyzer = analysis::build(Locale::parse(locale).unwrap().language());
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(locale, |b| {
            b.iter(|| {
                let mut tokens = 0;
                for text in &texts {
                    let mut stream = analyzer.token_stream(text);
                    while stream.advance() {
                        tokens += 1;
                    }
                }
                tokens
            })
        });
    }
    group.finish();
}

fn parser(c: &mut Criterion) {
    let Some(shared) = common::shared() else {
        return;
    };
    let mut group = c.benchmark_group("parse");
    group.sample_size(10);
    for locale in ["en-us", "ja-jp"] {
        let files = common::markdown(&shared, locale);
        let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(locale, |b| {
            b.iter(|| {
                files
                    .iter()
                    .map(|(id, bytes)| common::parse(locale, id, bytes).sections.len())
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, analyzers, parser);
criterion_main!(benches);
