//! The query path on arbitrary text: query text → plan → hits → snippets,
//! over the bundled demo corpus in every locale and with detection. Bad
//! requests are errors, never panics; snippets hold only balanced `<mark>`.
#![no_main]

use std::sync::LazyLock;

use kensaku::index::{self, BuildOptions, Corpus, IndexDir};
use kensaku::locale::Locale;
use kensaku::search::{Engine, SearchRequest};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    _dir: tempfile::TempDir,
    engine: Engine,
    locales: Vec<Locale>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    let index_dir = IndexDir::new(dir.path());
    index::build(&Corpus::Demo, &index_dir, &BuildOptions::default()).unwrap();
    let engine = Engine::open(index_dir);
    let locales = engine.snapshot().locales.keys().cloned().collect();
    Fixture {
        _dir: dir,
        engine,
        locales,
    }
});

fn check_snippet(html: &str) {
    let mut open = false;
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        let tag = &rest[at..];
        if let Some(after) = tag.strip_prefix("<mark>") {
            assert!(!open, "nested mark: {html}");
            open = true;
            rest = after;
        } else if let Some(after) = tag.strip_prefix("</mark>") {
            assert!(open, "unbalanced mark: {html}");
            open = false;
            rest = after;
        } else {
            panic!("markup other than <mark>: {html}");
        }
    }
    assert!(!open, "unclosed mark: {html}");
}

fuzz_target!(|input: &[u8]| {
    let fixture = &*FIXTURE;
    let Some((&selector, rest)) = input.split_first() else {
        return;
    };
    let mut request = SearchRequest::new(String::from_utf8_lossy(rest));
    if let Some(locale) = fixture
        .locales
        .get(selector as usize % (fixture.locales.len() + 1))
    {
        request = request.locale(locale.clone());
    }
    request.offset = (selector / 64) as usize;
    if let Ok(response) = fixture.engine.search(&request) {
        for hit in &response.hits {
            check_snippet(&hit.snippet.to_html());
        }
    }
    let _ = fixture
        .engine
        .suggest(&request.q, request.locale.as_ref(), 5);
});
