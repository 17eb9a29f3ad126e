//! Analysis: text → tokens, one analyzer per language.
//!
//! Every analyzer is a tantivy [`TextAnalyzer`]: a [`ScriptTokenizer`] that
//! splits text into script runs and hands each to its segmenter (lindera for
//! Japanese and Korean, jieba for Chinese, Unicode words elsewhere, bigrams
//! for CJK text no dictionary covers), followed by token filters (width and
//! case normalization, stop words, elision, stemming, accent folding).
//!
//! Which segmenter and filters a language gets is read from its row of the
//! [language registry](crate::language).
//!
//! The same analyzer runs at index time and at query time: [`register`] puts
//! them into an index's `TokenizerManager` under [`analyzer_name`], and both
//! the indexer and the searcher take them from there.
//!
//! Invariants every analyzer keeps (tests in `tests/it/analysis.rs`):
//! - offsets are byte offsets into the analyzed text, on char boundaries;
//! - positions never decrease; tokens sharing a position are alternative
//!   forms of the same words (compound and parts, surface and lemma).

pub mod chinese;
pub mod filters;
pub mod japanese;
pub mod korean;
pub mod script;
pub mod segment;
pub mod tokenizer;

use tantivy::tokenizer::{
    AsciiFoldingFilter, RemoveLongFilter, StopWordFilter, TextAnalyzer, Token, Tokenizer,
    TokenizerManager,
};

use crate::language::{Language, LanguageSpec, Segmentation};
use chinese::ChineseSegmenter;
use filters::{Elision, EnglishPossessive, Maybe, Normalize, Stem};
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

/// Name under which a language's analyzer is registered (`kensaku_ja`).
pub fn analyzer_name(language: Language) -> String {
    format!("kensaku_{}", language.code())
}

/// Registers the analyzers of `languages` (the originals' language is always
/// included: the `english` field of every locale uses it).
pub fn register(manager: &TokenizerManager, languages: impl IntoIterator<Item = Language>) {
    manager.register(
        &analyzer_name(Language::ORIGINALS),
        build(Language::ORIGINALS),
    );
    for language in languages {
        manager.register(&analyzer_name(language), build(language));
    }
}

/// Builds the analyzer of `language` from its registry row. Dictionaries
/// are loaded once per process, on the first analyzer that needs them.
pub fn build(language: Language) -> TextAnalyzer {
    let spec = language.spec();
    match spec.segmentation {
        Segmentation::Words => {
            pipeline(ScriptTokenizer::new(BigramSegmenter, ScriptSet::NONE), spec)
        }
        Segmentation::Japanese => pipeline(
            ScriptTokenizer::new(
                JapaneseSegmenter::new(),
                ScriptSet::of(&[Script::Han, Script::Kana]),
            ),
            spec,
        ),
        Segmentation::Korean => pipeline(
            ScriptTokenizer::new(
                KoreanSegmenter::new(),
                ScriptSet::of(&[Script::Hangul, Script::Han]),
            ),
            spec,
        ),
        Segmentation::Chinese => pipeline(
            ScriptTokenizer::new(ChineseSegmenter::new(), ScriptSet::of(&[Script::Han])),
            spec,
        ),
    }
}

/// Every analyzer's filters, in this order: drop junk, normalize width and
/// case, strip elided articles and possessives, drop stop words (Snowball's,
/// then the support-question ones), stem, fold accents. Filters the row
/// leaves out pass tokens through.
fn pipeline<T: Tokenizer>(tokenizer: T, spec: &LanguageSpec) -> TextAnalyzer {
    let stop_words = spec.stop_words;
    let elision = (!spec.elided_articles.is_empty()).then_some(Elision(spec.elided_articles));
    let extra =
        (!stop_words.extra.is_empty()).then(|| StopWordFilter::remove(owned(stop_words.extra)));
    TextAnalyzer::builder(tokenizer)
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(Normalize)
        .filter(Maybe(elision))
        .filter(Maybe(spec.strips_possessive.then_some(EnglishPossessive)))
        .filter(Maybe(stop_words.snowball.and_then(StopWordFilter::new)))
        .filter(Maybe(extra))
        .filter(Maybe(spec.stemmer.map(Stem)))
        .filter(Maybe(spec.folds_accents.then_some(AsciiFoldingFilter)))
        .build()
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

/// Unmaps the pages of an embedded dictionary's `data` that a one-time walk
/// touched, so that they stop counting in the process's resident memory;
/// a later read maps again, from the page cache, the pages it needs.
///
/// Only for bytes baked into the binary: `Data::Static`, checked to lie in
/// one read-only mapping of the executable's own file (`include_bytes!`
/// data in `.rodata`, never written, not even by relocations). There
/// `MADV_DONTNEED` drops page-table entries and the bytes read back are
/// the file's, the same. Anywhere else it could zero bytes (the heap, a
/// leaked buffer) or revert written ones (writable or relocated data):
/// those are left alone. Pages are taken whole, within `data`'s bounds.
pub(crate) fn release_touched_pages(data: &lindera_dictionary::util::Data) {
    #[cfg(target_os = "linux")]
    if let lindera_dictionary::util::Data::Static(bytes) = data {
        // SAFETY: sysconf has no preconditions.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
        let start = (bytes.as_ptr() as usize).next_multiple_of(page);
        let end = (bytes.as_ptr() as usize + bytes.len()) / page * page;
        if end > start && in_read_only_file_mapping(start, end) {
            // SAFETY: [start, end) lies within a `&'static [u8]` embedded in
            // the binary's read-only file mapping: nothing writes it, so
            // dropping its page-table entries loses nothing, and a later
            // read faults the same bytes in again from the file.
            let refused = unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED)
            };
            if refused != 0 {
                tracing::debug!("the dictionary's pages could not be released");
            }
        }
    }
}

/// Whether `[start, end)` lies within one read-only mapping of the
/// executable's file (`/proc/self/maps`).
#[cfg(target_os = "linux")]
fn in_read_only_file_mapping(start: usize, end: usize) -> bool {
    let (Ok(exe), Ok(maps)) = (
        std::env::current_exe(),
        std::fs::read_to_string("/proc/self/maps"),
    ) else {
        return false;
    };
    maps.lines().any(|line| {
        // `lo-hi perms offset dev inode path`
        let mut fields = line.splitn(6, char::is_whitespace);
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            return false;
        };
        let path = fields.nth(3).map(str::trim_start);
        let Some((lo, hi)) = range.split_once('-') else {
            return false;
        };
        let (Ok(lo), Ok(hi)) = (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
        else {
            return false;
        };
        lo <= start
            && end <= hi
            && perms.starts_with('r')
            && !perms.contains('w')
            && path.is_some_and(|p| std::path::Path::new(p) == exe)
    })
}

/// Loads the dictionaries of `language` now rather than on first use.
pub fn preload(language: Language) {
    match language.spec().segmentation {
        Segmentation::Japanese => japanese::preload(),
        Segmentation::Korean => korean::preload(),
        Segmentation::Chinese => chinese::preload(),
        Segmentation::Words => {}
    }
}

#[cfg(test)]
mod tests {
    use lindera_dictionary::util::Data;

    /// Bytes in the binary's read-only data, spanning whole pages of any
    /// size up to 64 KiB.
    static EMBEDDED: [u8; 4 * 65536 + 123] = [7; 4 * 65536 + 123];

    fn page_size() -> usize {
        // SAFETY: sysconf has no preconditions.
        usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap()
    }

    /// Whether the page holding `address` is mapped (`/proc/self/pagemap`,
    /// bit 63; readable without privileges).
    fn mapped(address: usize) -> bool {
        use std::io::{Read, Seek, SeekFrom};
        let mut pagemap = std::fs::File::open("/proc/self/pagemap").unwrap();
        pagemap
            .seek(SeekFrom::Start((address / page_size() * 8) as u64))
            .unwrap();
        let mut entry = [0u8; 8];
        pagemap.read_exact(&mut entry).unwrap();
        u64::from_le_bytes(entry) >> 63 == 1
    }

    /// Every byte is `value`, read from memory (not folded from the
    /// constant).
    fn all(bytes: &[u8], value: u8) -> bool {
        std::hint::black_box(bytes).iter().all(|&b| b == value)
    }

    #[test]
    fn released_pages_are_unmapped_and_read_the_same_bytes_again() {
        assert!(all(&EMBEDDED, 7));
        let inner = (EMBEDDED.as_ptr() as usize).next_multiple_of(page_size());
        assert!(mapped(inner));
        super::release_touched_pages(&Data::Static(&EMBEDDED));
        assert!(!mapped(inner), "the page is still mapped");
        assert!(all(&EMBEDDED, 7));
    }

    #[test]
    fn bytes_outside_the_binary_are_never_released() {
        // On the heap, MADV_DONTNEED would zero the pages: leaked into a
        // `'static` slice, they are still left alone.
        let leaked: &'static [u8] = Box::leak(vec![9u8; 4 * 65536].into_boxed_slice());
        super::release_touched_pages(&Data::Static(leaked));
        assert!(all(leaked, 9));
    }
}
