//! The bundled demo corpus, searched as a new user first searches it.

use kensaku::index::{self, BuildOptions, Corpus, IndexDir};
use kensaku::locale::Locale;
use kensaku::search::{Engine, SearchRequest};

fn demo_engine(dir: &std::path::Path) -> Engine {
    index::build(&Corpus::Demo, &IndexDir::new(dir), &BuildOptions::default()).unwrap();
    Engine::open(IndexDir::new(dir))
}

#[test]
fn a_word_only_in_headings_and_description_scores_and_is_marked() {
    let tmp = tempfile::tempdir().unwrap();
    let engine = demo_engine(tmp.path());
    // `インストール` is a heading and in the description of the ja-jp
    // getting-started article, and in no body or title.
    let request = SearchRequest::new("インストール").locale(Locale::parse("ja-jp").unwrap());
    let response = engine.search(&request).unwrap();
    let hit = response
        .hits
        .iter()
        .find(|h| h.id == "kensaku/getting-started.md")
        .expect("the article is found");
    assert!(hit.score > 0.0, "{hit:?}");
    let marked: Vec<&str> = hit
        .snippet
        .pieces()
        .filter(|(_, m)| *m)
        .map(|(t, _)| t)
        .collect();
    assert_eq!(marked, ["インストール"], "{:?}", hit.snippet);
}
