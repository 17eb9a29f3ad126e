//! Facet counts: exact for every value of every facet, however many values
//! a facet's dictionary holds (its strings are read in one pass over its
//! blocks, not looked up one by one).

use std::collections::BTreeMap;

use kensaku::index::{self, BuildOptions, Corpus, IndexDir};
use kensaku::locale::Locale;
use kensaku::search::{Engine, SearchRequest};

/// Articles, each with an author of its own (long names: the author
/// dictionary spans several blocks), one of three services and one of two
/// topics; every third one holds the word searched.
const ARTICLES: usize = 300;

fn author(i: usize) -> String {
    format!("author-{i:04}-with-a-name-long-enough-to-fill-the-dictionary-blocks")
}

fn service(i: usize) -> String {
    format!("service-{}", i % 3)
}

fn topic(i: usize) -> &'static str {
    if i.is_multiple_of(4) {
        "how-to"
    } else {
        "article"
    }
}

fn matches(i: usize) -> bool {
    i.is_multiple_of(3)
}

#[test]
fn every_value_of_every_facet_is_counted_exactly() {
    let corpus = tempfile::tempdir().unwrap();
    for i in 0..ARTICLES {
        let word = if matches(i) { "quartz" } else { "granite" };
        let path = corpus.path().join("en-us").join(format!("a{i:04}.md"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            path,
            format!(
                "---\ntitle: Article {i}\nms.author: {}\nms.service: {}\nms.topic: {}\n---\n\
                 # Article {i}\n\nThis page is about {word} stones and number {i}.\n",
                author(i),
                service(i),
                topic(i),
            ),
        )
        .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    index::build(
        &Corpus::Dir(corpus.path().to_path_buf()),
        &IndexDir::new(dir.path()),
        &BuildOptions::default(),
    )
    .unwrap();
    let engine = Engine::open(IndexDir::new(dir.path()));
    let request = SearchRequest::new("quartz").locale(Locale::parse("en-us").unwrap());
    let response = engine.search(&request).unwrap();

    let mut expected: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for i in (0..ARTICLES).filter(|&i| matches(i)) {
        for (facet, value) in [
            ("author", author(i)),
            ("service", service(i)),
            ("topic", topic(i).to_string()),
        ] {
            *expected
                .entry(facet.to_string())
                .or_default()
                .entry(value)
                .or_default() += 1;
        }
    }
    assert_eq!(response.total, (ARTICLES / 3) as u64);
    assert_eq!(response.facets.0, expected);
}
