//! Analysis: text → tokens, one analyzer per language.
//!
//! Every analyzer is a tantivy [`TextAnalyzer`]: a [`ScriptTokenizer`] that
//! splits text into script runs and hands each to its segmenter (lindera for
//! Japanese and Korean, jieba for Chinese, Unicode words elsewhere, bigrams
//! for CJK text no dictionary covers), followed by token filters (width and
//! case normalization, stop words, elision, stemming, accent folding).
//!
//! The same analyzer runs at index time and at query time: [`register`] puts
//! them into an index's `TokenizerManager` under [`analyzer_name`], and both
//! the indexer and the searcher take them from there.
//!
//! Invariants every analyzer keeps (tests in `tests/analysis.rs`):
//! - offsets are byte offsets into the analyzed text, on char boundaries;
//! - positions never decrease; tokens sharing a position are alternative
//!   forms of the same words (compound and parts, surface and lemma).

pub mod chinese;
pub mod filters;
pub mod japanese;
pub mod korean;
pub mod script;
pub mod segment;
pub mod stopwords;
pub mod tokenizer;

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language as StemLanguage, RemoveLongFilter, StopWordFilter, TextAnalyzer,
    Token, TokenizerManager,
};

use crate::locale::Language;
use chinese::ChineseSegmenter;
use filters::{EnglishPossessive, FrenchElision, Normalize, Stem};
use japanese::JapaneseSegmenter;
use korean::KoreanSegmenter;
use script::{Script, ScriptSet};
use segment::BigramSegmenter;
use tokenizer::ScriptTokenizer;

/// Bumped whenever an analyzer's output changes, so that indexes built with
/// an older one are rebuilt instead of silently mismatching queries.
pub const ANALYSIS_VERSION: u32 = 1;

/// Tokens longer than this many bytes (base64 blobs, minified junk) are dropped.
const MAX_TOKEN_BYTES: usize = 100;

/// Name under which a language's analyzer is registered.
pub fn analyzer_name(language: Language) -> &'static str {
    match language {
        Language::Ja => "kensaku_ja",
        Language::Ko => "kensaku_ko",
        Language::Zh => "kensaku_zh",
        Language::Ru => "kensaku_ru",
        Language::Fr => "kensaku_fr",
        Language::De => "kensaku_de",
        Language::Es => "kensaku_es",
        Language::En => "kensaku_en",
        Language::Other => "kensaku_other",
    }
}

/// Registers the analyzers of `languages` (English is always included: the
/// `english` field of every locale uses it).
pub fn register(manager: &TokenizerManager, languages: impl IntoIterator<Item = Language>) {
    manager.register(analyzer_name(Language::En), build(Language::En));
    for language in languages {
        manager.register(analyzer_name(language), build(language));
    }
}

/// Builds the analyzer of `language`. Dictionaries are loaded once per
/// process, on the first analyzer that needs them.
pub fn build(language: Language) -> TextAnalyzer {
    use Language::*;
    let latin = || ScriptTokenizer::new(BigramSegmenter, ScriptSet::NONE);
    match language {
        Ja => TextAnalyzer::builder(ScriptTokenizer::new(
            JapaneseSegmenter::new(),
            ScriptSet::of(&[Script::Han, Script::Kana]),
        ))
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(Normalize)
        .build(),
        Ko => TextAnalyzer::builder(ScriptTokenizer::new(
            KoreanSegmenter::new(),
            ScriptSet::of(&[Script::Hangul, Script::Han]),
        ))
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(Normalize)
        .build(),
        Zh => TextAnalyzer::builder(ScriptTokenizer::new(
            ChineseSegmenter::new(),
            ScriptSet::of(&[Script::Han]),
        ))
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(Normalize)
        .build(),
        En => TextAnalyzer::builder(latin())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(Normalize)
            .filter(EnglishPossessive)
            .filter(stop_words(StemLanguage::English, stopwords::ENGLISH_EXTRA))
            .filter(StopWordFilter::remove(owned(stopwords::ENGLISH_EXTRA)))
            .filter(Stem(frostem::Algorithm::English))
            .filter(AsciiFoldingFilter)
            .build(),
        Fr => TextAnalyzer::builder(latin())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(Normalize)
            .filter(FrenchElision)
            .filter(stop_words(StemLanguage::French, stopwords::FRENCH_EXTRA))
            .filter(StopWordFilter::remove(owned(stopwords::FRENCH_EXTRA)))
            .filter(Stem(frostem::Algorithm::French))
            .filter(AsciiFoldingFilter)
            .build(),
        De => TextAnalyzer::builder(latin())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(Normalize)
            .filter(stop_words(StemLanguage::German, stopwords::GERMAN_EXTRA))
            .filter(StopWordFilter::remove(owned(stopwords::GERMAN_EXTRA)))
            .filter(Stem(frostem::Algorithm::German))
            .filter(AsciiFoldingFilter)
            .build(),
        Es => TextAnalyzer::builder(latin())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(Normalize)
            .filter(stop_words(StemLanguage::Spanish, stopwords::SPANISH_EXTRA))
            .filter(StopWordFilter::remove(owned(stopwords::SPANISH_EXTRA)))
            .filter(Stem(frostem::Algorithm::Spanish))
            .filter(AsciiFoldingFilter)
            .build(),
        Ru => TextAnalyzer::builder(latin())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(Normalize)
            .filter(stop_words(StemLanguage::Russian, stopwords::RUSSIAN_EXTRA))
            .filter(StopWordFilter::remove(owned(stopwords::RUSSIAN_EXTRA)))
            .filter(Stem(frostem::Algorithm::Russian))
            .build(),
        Other => TextAnalyzer::builder(latin())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(Normalize)
            .build(),
    }
}

/// Snowball's stop words for `language` (Lucene's short list for English).
fn stop_words(language: StemLanguage, fallback: &[&str]) -> StopWordFilter {
    StopWordFilter::new(language).unwrap_or_else(|| StopWordFilter::remove(owned(fallback)))
}

fn owned(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// Runs `analyzer` over `text` and collects the tokens.
pub fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        tokens.push(token.clone());
    }
    tokens
}

/// The detail fields (part of speech, base form, …) of a lindera token, read
/// lazily from the dictionary: no allocation, unlike `Token::details`.
pub(crate) fn lindera_details<'a>(
    token: &lindera::token::Token<'a>,
) -> impl Iterator<Item = &'a str> + use<'a> {
    let dictionary = token.dictionary;
    let id = token.word_id.id() as usize;
    if token.word_id.is_unknown() {
        dictionary.unknown_word_details_iter(id)
    } else {
        dictionary.word_details_iter(id)
    }
}

/// Loads the dictionaries of `language` now rather than on first use.
pub fn preload(language: Language) {
    match language {
        Language::Ja => japanese::preload(),
        Language::Ko => korean::preload(),
        Language::Zh => chinese::preload(),
        _ => {}
    }
}
