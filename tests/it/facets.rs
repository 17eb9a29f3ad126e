//! Facet counts: exact for every value of every facet, however many values
//! a facet's dictionary holds (its strings are read in one pass over its
//! blocks, not looked up one by one), in every segment of an index that was
//! edited (an old version deleted, the new one in a segment of its own),
//! with and without a filter.

use std::collections::BTreeMap;
use std::path::Path;

use kensaku::index::{self, BuildOptions, Corpus, IndexDir};
use kensaku::locale::Locale;
use kensaku::search::{Engine, Filter, SearchRequest};

/// Articles; every third one holds the word searched.
const ARTICLES: usize = 300;

/// An article's facet values. Authors have long names (the author dictionary
/// spans several blocks); the ones of articles `i % 6 == 0` are shared by
/// five matches each, the others' by one; services and topics cycle out of
/// step with the matches.
#[derive(Clone)]
struct Values {
    author: String,
    service: String,
    topic: &'static str,
}

fn values(i: usize) -> Values {
    let author = if i.is_multiple_of(6) {
        i / 6 % 10
    } else {
        100 + i
    };
    Values {
        author: format!("author-{author:04}-with-a-name-long-enough-to-fill-dictionary-blocks"),
        service: format!("service-{}", i % 5),
        topic: if i.is_multiple_of(4) {
            "how-to"
        } else {
            "article"
        },
    }
}

fn matches(i: usize) -> bool {
    i.is_multiple_of(3)
}

fn write(corpus: &Path, i: usize, v: &Values) {
    let word = if matches(i) { "quartz" } else { "granite" };
    let path = corpus.join("en-us").join(format!("a{i:04}.md"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        path,
        format!(
            "---\ntitle: Article {i}\nms.author: {}\nms.service: {}\nms.topic: {}\n---\n\
             # Article {i}\n\nThis page is about {word} stones and number {i}.\n",
            v.author, v.service, v.topic,
        ),
    )
    .unwrap();
}

/// The counts a search for the word must give, from the articles' values.
fn expected(
    articles: &[Values],
    keep: impl Fn(&Values) -> bool,
) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut expected: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for v in (0..ARTICLES)
        .filter(|&i| matches(i))
        .map(|i| &articles[i])
        .filter(|v| keep(v))
    {
        for (facet, value) in [
            ("author", v.author.clone()),
            ("service", v.service.clone()),
            ("topic", v.topic.to_string()),
        ] {
            *expected
                .entry(facet.to_string())
                .or_default()
                .entry(value)
                .or_default() += 1;
        }
    }
    expected
}

fn build(corpus: &Path, index: &Path) {
    index::build(
        &Corpus::Dir(corpus.to_path_buf()),
        &IndexDir::new(index),
        &BuildOptions::default(),
    )
    .unwrap();
}

#[test]
fn every_value_of_every_facet_is_counted_exactly() {
    let corpus = tempfile::tempdir().unwrap();
    let index = tempfile::tempdir().unwrap();
    let mut articles: Vec<Values> = (0..ARTICLES).map(values).collect();
    for (i, v) in articles.iter().enumerate() {
        write(corpus.path(), i, v);
    }
    build(corpus.path(), index.path());
    // An edit: the article's old version is deleted, its new one is added
    // in a segment of its own.
    articles[9] = Values {
        author: "an-author-of-its-own".into(),
        service: "service-edited".into(),
        topic: "how-to",
    };
    write(corpus.path(), 9, &articles[9]);
    build(corpus.path(), index.path());

    let engine = Engine::open(IndexDir::new(index.path()));
    let en = Locale::parse("en-us").unwrap();
    let response = engine
        .search(&SearchRequest::new("quartz").locale(en.clone()))
        .unwrap();
    assert_eq!(response.total, (ARTICLES / 3) as u64);
    assert_eq!(response.facets.0, expected(&articles, |_| true));

    // The filtered search goes through tantivy's own collection loop.
    let mut request = SearchRequest::new("quartz").locale(en);
    request.filters = vec![Filter::new("topic", "how-to").unwrap()];
    let response = engine.search(&request).unwrap();
    let how_to = expected(&articles, |v| v.topic == "how-to");
    assert_eq!(response.total, how_to["topic"]["how-to"]);
    assert_eq!(response.facets.0, how_to);
}
