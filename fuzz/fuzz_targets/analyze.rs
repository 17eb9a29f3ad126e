//! Every analyzer on arbitrary text (the first byte picks the analyzer):
//! offsets are byte offsets inside the text on character boundaries,
//! positions never decrease, no token is empty.
#![no_main]

use std::sync::{LazyLock, Mutex};

use kensaku::analysis;
use kensaku::locale::Language;
use libfuzzer_sys::fuzz_target;
use tantivy::tokenizer::TextAnalyzer;

static ANALYZERS: LazyLock<Vec<Mutex<TextAnalyzer>>> = LazyLock::new(|| {
    Language::ALL
        .iter()
        .map(|&language| Mutex::new(analysis::build(language)))
        .collect()
});

fuzz_target!(|input: &[u8]| {
    let Some((&selector, rest)) = input.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let mut analyzer = ANALYZERS[selector as usize % ANALYZERS.len()]
        .lock()
        .unwrap();
    let mut stream = analyzer.token_stream(&text);
    let mut position = 0;
    while let Some(token) = stream.next() {
        assert!(!token.text.is_empty());
        assert!(token.offset_from <= token.offset_to && token.offset_to <= text.len());
        assert!(text.is_char_boundary(token.offset_from) && text.is_char_boundary(token.offset_to));
        assert!(token.position >= position, "positions go back: {token:?}");
        position = token.position;
    }
});
