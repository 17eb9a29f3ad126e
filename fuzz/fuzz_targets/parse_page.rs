//! The HTML page parser on arbitrary bytes, as a site folder or a crawl
//! hands them over: it returns an article or an error, never panics, and
//! what it returns keeps the parser's invariants.
#![no_main]

use kensaku::article::BlockKind;
use kensaku::article::html::{Page, SiteOptions, parse_page};
use kensaku::locale::Locale;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    // The first byte picks how the page arrives: a folder's path or a
    // crawled URL, with or without a charset from the HTTP header.
    let (how, bytes) = bytes.split_first().unwrap_or((&0, bytes));
    let charset = [
        None,
        Some("shift_jis"),
        Some("gb18030"),
        Some("utf-8"),
        Some("x-bogus"),
    ][usize::from(*how) % 5];
    let url = (how & 8 != 0).then_some("http://127.0.0.1:9/docs/ja-jp/a/b/");
    let page = Page {
        path: "ja-jp/a/b/index.html",
        url,
        bytes,
        charset,
    };
    let options = SiteOptions {
        base_url: (how & 16 != 0).then(|| "https://docs.example.com/docs/".to_string()),
        default_locale: Some(Locale::parse("en").unwrap()),
    };
    let Ok(parsed) = parse_page(&page, &options) else {
        return;
    };
    let article = parsed.article;
    assert!(!article.id.starts_with('/'), "{}", article.id);
    for section in &article.sections {
        assert!(!section.heading.contains('\n'), "{section:?}");
        for block in &section.blocks {
            assert!(!block.text.trim().is_empty(), "{block:?}");
            assert!(
                block.kind == BlockKind::Code || !block.text.contains('\n'),
                "{block:?}"
            );
        }
    }
});
