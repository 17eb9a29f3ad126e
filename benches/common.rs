//! Shared corpus loading for the benchmarks.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use kensaku::article::{self, Article, Source, UrlTemplate};
use kensaku::locale::Locale;
use kensaku::source::folder;

/// The binary's allocator, so that figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Rounds of a measurement: `KENSAKU_BENCH_ROUNDS` (1 under callgrind), else
/// `default`.
pub fn rounds(default: usize) -> usize {
    std::env::var("KENSAKU_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(default)
}

/// The locales of the shared corpus (its locale folders), sorted.
pub fn locales(shared: &Path) -> Vec<String> {
    let mut locales: Vec<String> = std::fs::read_dir(shared.join("corpus"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|name| Locale::parse(name).is_ok_and(|l| l.as_str() == name))
                .collect()
        })
        .unwrap_or_default();
    locales.sort();
    locales
}

/// `../shared`, or `None` (benchmarks then say so and do nothing).
pub fn shared() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if path.join("corpus").is_dir() {
        Some(path)
    } else {
        eprintln!("../shared/corpus is not beside the checkout: nothing to measure");
        None
    }
}

/// Raw markdown of every article of `locale`.
pub fn markdown(shared: &Path, locale: &str) -> Vec<(String, Vec<u8>)> {
    folder::list_markdown(&shared.join("corpus"))
        .documents
        .into_iter()
        .filter(|e| {
            e.folder_locale
                .as_ref()
                .is_some_and(|l| l.as_str() == locale)
        })
        .map(|e| {
            let id = e
                .path
                .split_once('/')
                .map_or(e.path.as_str(), |(_, id)| id)
                .to_string();
            (id, e.read_limited(u64::MAX).unwrap().into_owned())
        })
        .collect()
}

pub fn parse(locale: &str, id: &str, bytes: &[u8]) -> Article {
    let locale = Locale::parse(locale).unwrap();
    article::parse(
        &Source {
            id,
            folder_locale: Some(&locale),
            bytes,
        },
        &UrlTemplate::default(),
    )
    .unwrap()
    .article
}

/// The localized text of each article (bilingual spans' English removed).
pub fn localized_text(shared: &Path, locale: &str) -> Vec<String> {
    markdown(shared, locale)
        .iter()
        .map(|(id, bytes)| {
            let a = parse(locale, id, bytes);
            let mut text = a.title.clone();
            for s in &a.sections {
                text.push('\n');
                text.push_str(&s.heading);
                text.push('\n');
                s.write_text(&mut text);
            }
            text
        })
        .collect()
}
