//! The article parser on arbitrary bytes: it returns an article or an
//! error, never panics, and what it returns keeps the parser's invariants.
#![no_main]

use kensaku::article::{self, Source, UrlTemplate};
use kensaku::locale::Locale;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let locale = Locale::parse("ja-jp").unwrap();
    let source = Source {
        id: "fuzz/article.md",
        folder_locale: Some(&locale),
        bytes,
    };
    let Ok(parsed) = article::parse(&source, &UrlTemplate::default()) else {
        return;
    };
    let article = parsed.article;
    for section in &article.sections {
        for block in &section.blocks {
            // Blocks are single lines unless code; no markup of bilingual spans leaks.
            assert!(
                block.kind == article::BlockKind::Code || !block.text.contains('\n'),
                "{block:?}"
            );
            assert!(!block.text.contains("data-ttu-id"), "{block:?}");
        }
        assert!(!section.heading.contains('\n'), "{section:?}");
    }
});
