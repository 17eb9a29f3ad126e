//! The article parser on arbitrary bytes: it returns an article or an
//! error, never panics, and what it returns keeps the parser's invariants.
#![no_main]

use kensaku::article::{self, Article, BlockKind, Source, UrlTemplate};
use kensaku::locale::Locale;
use libfuzzer_sys::fuzz_target;

fn parse(bytes: &[u8]) -> Option<Article> {
    let locale = Locale::parse("ja-jp").unwrap();
    let source = Source {
        id: "fuzz/article.md",
        folder_locale: Some(&locale),
        bytes,
    };
    article::parse(&source, &UrlTemplate::default())
        .ok()
        .map(|parsed| parsed.article)
}

fuzz_target!(|bytes: &[u8]| {
    let Some(article) = parse(bytes) else {
        return;
    };
    // Blocks are single lines unless code; so are headings.
    for section in &article.sections {
        for block in &section.blocks {
            assert!(
                block.kind == BlockKind::Code || !block.text.contains('\n'),
                "{block:?}"
            );
        }
        assert!(!section.heading.contains('\n'), "{section:?}");
    }
    // No bilingual span tag leaks into text, however broken. Code is the
    // author's literal text, so the check reads the input without code
    // spans and fences (backticks and tildes made quotes); indented code
    // blocks are marked as code. A fragment without its `<` (`n
    // data-ttu-id="1">`) is text to a browser too.
    let codeless: Vec<u8> = bytes
        .iter()
        .map(|&b| if b == b'`' || b == b'~' { b'\'' } else { b })
        .collect();
    let Some(article) = parse(&codeless) else {
        return;
    };
    for section in &article.sections {
        for block in section.blocks.iter().filter(|b| b.kind != BlockKind::Code) {
            let text = block.text.to_ascii_lowercase();
            assert!(!text.contains("<span data-ttu-id="), "{block:?}");
        }
    }
});
