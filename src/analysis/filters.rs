//! Token filters shared by the analyzers.

use rustc_hash::FxHashMap;

use std::borrow::Cow;

use icu_normalizer::ComposingNormalizerBorrowed;
use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// Defines a filter that rewrites or drops tokens one at a time.
///
/// `$apply` is `fn(&mut String) -> bool`: it edits the token text in place and
/// returns whether to keep the token.
macro_rules! token_filter {
    ($(#[$doc:meta])* $name:ident, $stream:ident, $wrapper:ident, $apply:path) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $name;

        impl TokenFilter for $name {
            type Tokenizer<T: Tokenizer> = $wrapper<T>;
            fn transform<T: Tokenizer>(self, inner: T) -> $wrapper<T> {
                $wrapper { inner }
            }
        }

        #[derive(Clone)]
        pub struct $wrapper<T> {
            inner: T,
        }

        impl<T: Tokenizer> Tokenizer for $wrapper<T> {
            type TokenStream<'a> = $stream<T::TokenStream<'a>>;
            fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
                $stream {
                    tail: self.inner.token_stream(text),
                }
            }
        }

        pub struct $stream<T> {
            tail: T,
        }

        impl<T: TokenStream> TokenStream for $stream<T> {
            fn advance(&mut self) -> bool {
                while self.tail.advance() {
                    if $apply(&mut self.tail.token_mut().text) {
                        return true;
                    }
                }
                false
            }
            fn token(&self) -> &Token {
                self.tail.token()
            }
            fn token_mut(&mut self) -> &mut Token {
                self.tail.token_mut()
            }
        }
    };
}

token_filter!(
    /// Unicode compatibility normalization and case folding for every script:
    /// NFKC (full-width ＡＢＣ１２３ → ABC123, half-width ｶﾀｶﾅ → カタカナ),
    /// lower case, typographic apostrophes to `'`, Cyrillic ё → е, and the
    /// katakana prolonged sound mark dropped from the end of long words
    /// (サーバー → サーバ), so spelling variants meet.
    Normalize,
    NormalizeStream,
    NormalizeTokenizer,
    normalize
);

fn normalize(text: &mut String) -> bool {
    if text.is_ascii() {
        text.make_ascii_lowercase();
        return !text.is_empty();
    }
    let folded = match nfkc(text) {
        // The common case for CJK words: no copy.
        Cow::Borrowed(composed) if !composed.chars().any(needs_folding) => None,
        composed => {
            let mut out = String::with_capacity(composed.len());
            fold_into(composed.chars(), &mut out);
            Some(out)
        }
    };
    if let Some(folded) = folded {
        *text = folded;
    }
    strip_katakana_prolonged_sound(text);
    !text.is_empty()
}

/// `text` in Unicode normalization form KC (compatibility forms folded:
/// full-width ＡＢＣ → ABC, half-width ｶﾅ → カナ, ﬁ → fi), borrowed when it
/// already is, as most text is. The one NFKC of the engine: the analyzers'
/// words and the recorded and pinned queries go through it.
///
/// ICU4X's normalizer (a dependency of `url` already): it walks a code
/// point trie and copies nothing until the first character to change, in
/// about a third of the instructions `unicode-normalization` took for its
/// quick check alone (lookups per character, then a second pass).
pub fn nfkc(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    const NFKC: ComposingNormalizerBorrowed<'static> = ComposingNormalizerBorrowed::new_nfkc();
    NFKC.normalize(text)
}

/// Apostrophes a typographer (or a translator) writes for `'`: a word
/// holds one of them or `'` alike.
const APOSTROPHES: [char; 3] = ['\u{2019}', '\u{2018}', '\u{02BC}'];

fn needs_folding(c: char) -> bool {
    c.is_uppercase() || APOSTROPHES.contains(&c) || matches!(c, 'ё' | 'Ё')
}

fn fold_into(chars: impl Iterator<Item = char>, out: &mut String) {
    for c in chars {
        match c {
            c if APOSTROPHES.contains(&c) => out.push('\''),
            'ё' | 'Ё' => out.push('е'),
            c if c.is_uppercase() => out.extend(c.to_lowercase()),
            c => out.push(c),
        }
    }
}

/// `text` with a typographer's punctuation as typed: apostrophes and
/// quotation marks (’ ‘ “ ” „) as `'` and `"`, `…` as `...`. Readers type
/// the plain forms, sites' typographers (Hugo's, SmartyPants) print the
/// others, and the same words must read the same to a model whichever a
/// page went through — what [`Normalize`] does for the index's words, for
/// the text an embedder reads.
pub fn plain_punctuation(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| typed_form(c).is_some()) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match typed_form(c) {
            Some(typed) => out.push_str(typed),
            None => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// What a reader types for a typographer's `c`, if `c` is one.
fn typed_form(c: char) -> Option<&'static str> {
    match c {
        c if APOSTROPHES.contains(&c) => Some("'"),
        '“' | '”' | '„' => Some("\""),
        '…' => Some("..."),
        _ => None,
    }
}

/// Katakana words of at least this many characters lose a final `ー`.
const KATAKANA_STEM_MIN_CHARS: usize = 4;

fn strip_katakana_prolonged_sound(text: &mut String) {
    if !text.ends_with('ー') {
        return;
    }
    let mut count = 0;
    for c in text.chars() {
        if !matches!(c, '\u{30A0}'..='\u{30FF}') {
            return;
        }
        count += 1;
    }
    if count >= KATAKANA_STEM_MIN_CHARS {
        text.truncate(text.len() - 'ー'.len_utf8());
    }
}

/// Elision: an article before an apostrophe is dropped (`l'espace` →
/// `espace`, `qu'il` → `il`); the articles come from the language's
/// registry row.
#[derive(Clone, Copy, Debug)]
pub struct Elision(pub &'static [&'static str]);

impl TokenFilter for Elision {
    type Tokenizer<T: Tokenizer> = ElisionTokenizer<T>;
    fn transform<T: Tokenizer>(self, inner: T) -> ElisionTokenizer<T> {
        ElisionTokenizer {
            articles: self.0,
            inner,
        }
    }
}

#[derive(Clone)]
pub struct ElisionTokenizer<T> {
    articles: &'static [&'static str],
    inner: T,
}

impl<T: Tokenizer> Tokenizer for ElisionTokenizer<T> {
    type TokenStream<'a> = ElisionStream<T::TokenStream<'a>>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        ElisionStream {
            articles: self.articles,
            tail: self.inner.token_stream(text),
        }
    }
}

pub struct ElisionStream<T> {
    articles: &'static [&'static str],
    tail: T,
}

impl<T: TokenStream> TokenStream for ElisionStream<T> {
    fn advance(&mut self) -> bool {
        while self.tail.advance() {
            if remove_elision(self.articles, &mut self.tail.token_mut().text) {
                return true;
            }
        }
        false
    }
    fn token(&self) -> &Token {
        self.tail.token()
    }
    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

fn remove_elision(articles: &[&str], text: &mut String) -> bool {
    if let Some(apostrophe) = text.find('\'')
        && articles.contains(&&text[..apostrophe])
        && apostrophe + 1 < text.len()
    {
        text.drain(..=apostrophe);
    }
    !text.is_empty()
}

/// A filter the language's registry row may leave out: `Maybe(None)` passes
/// tokens through (one predictable branch per token), so every language's
/// analyzer is one pipeline of the same shape.
#[derive(Clone, Debug)]
pub struct Maybe<F>(pub Option<F>);

impl<F: TokenFilter> TokenFilter for Maybe<F> {
    type Tokenizer<T: Tokenizer> = Either<F::Tokenizer<T>, T>;
    fn transform<T: Tokenizer>(self, inner: T) -> Self::Tokenizer<T> {
        match self.0 {
            Some(filter) => Either::On(filter.transform(inner)),
            None => Either::Off(inner),
        }
    }
}

/// A tokenizer or token stream with a filter applied (`On`) or not (`Off`).
#[derive(Clone)]
pub enum Either<A, B> {
    On(A),
    Off(B),
}

impl<A: Tokenizer, B: Tokenizer> Tokenizer for Either<A, B> {
    type TokenStream<'a> = Either<A::TokenStream<'a>, B::TokenStream<'a>>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        match self {
            Either::On(a) => Either::On(a.token_stream(text)),
            Either::Off(b) => Either::Off(b.token_stream(text)),
        }
    }
}

impl<A: TokenStream, B: TokenStream> TokenStream for Either<A, B> {
    fn advance(&mut self) -> bool {
        match self {
            Either::On(a) => a.advance(),
            Either::Off(b) => b.advance(),
        }
    }
    fn token(&self) -> &Token {
        match self {
            Either::On(a) => a.token(),
            Either::Off(b) => b.token(),
        }
    }
    fn token_mut(&mut self) -> &mut Token {
        match self {
            Either::On(a) => a.token_mut(),
            Either::Off(b) => b.token_mut(),
        }
    }
}

token_filter!(
    /// English possessives: `customer's` → `customer`, `partners'` → `partners`.
    EnglishPossessive,
    EnglishPossessiveStream,
    EnglishPossessiveTokenizer,
    remove_english_possessive
);

fn remove_english_possessive(text: &mut String) -> bool {
    if text.ends_with("'s") {
        text.truncate(text.len() - 2);
    } else if text.ends_with('\'') {
        text.truncate(text.len() - 1);
    }
    !text.is_empty()
}

/// Snowball stemming that leaves identifiers alone: a word with digits
/// (`21Vianet`, `3.6.3`, `o365`) is a name, not an inflected word.
///
/// Stems are memoized per analyzer: word frequencies are Zipfian, so most
/// tokens of a document were stemmed before.
#[derive(Clone, Copy, Debug)]
pub struct Stem(pub frostem::Algorithm);

/// Entries kept before the memo starts over (bounded memory per analyzer).
const STEM_MEMO_CAPACITY: usize = 1 << 16;

impl TokenFilter for Stem {
    type Tokenizer<T: Tokenizer> = StemTokenizer<T>;
    fn transform<T: Tokenizer>(self, inner: T) -> StemTokenizer<T> {
        StemTokenizer {
            stemmer: frostem::Stemmer::new(self.0),
            algorithm: self.0,
            memo: FxHashMap::default(),
            inner,
        }
    }
}

pub struct StemTokenizer<T> {
    stemmer: frostem::Stemmer,
    algorithm: frostem::Algorithm,
    memo: FxHashMap<String, String>,
    inner: T,
}

impl<T: Clone> Clone for StemTokenizer<T> {
    fn clone(&self) -> Self {
        StemTokenizer {
            stemmer: frostem::Stemmer::new(self.algorithm),
            algorithm: self.algorithm,
            memo: FxHashMap::default(),
            inner: self.inner.clone(),
        }
    }
}

impl<T: Tokenizer> Tokenizer for StemTokenizer<T> {
    type TokenStream<'a> = StemStream<'a, T::TokenStream<'a>>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        if self.memo.len() > STEM_MEMO_CAPACITY {
            self.memo.clear();
        }
        StemStream {
            tail: self.inner.token_stream(text),
            stemmer: &self.stemmer,
            memo: &mut self.memo,
        }
    }
}

pub struct StemStream<'a, T> {
    tail: T,
    stemmer: &'a frostem::Stemmer,
    memo: &'a mut FxHashMap<String, String>,
}

impl<T: TokenStream> TokenStream for StemStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if token.text.bytes().any(|b| b.is_ascii_digit()) {
            return true;
        }
        if let Some(stem) = self.memo.get(&token.text) {
            token.text.clear();
            token.text.push_str(stem);
            return true;
        }
        let stem = self.stemmer.stem(&token.text).into_owned();
        let word = std::mem::replace(&mut token.text, stem);
        self.memo.insert(word, token.text.clone());
        true
    }
    fn token(&self) -> &Token {
        self.tail.token()
    }
    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(f: fn(&mut String) -> bool, s: &str) -> Option<String> {
        let mut s = s.to_string();
        f(&mut s).then_some(s)
    }

    #[test]
    fn normalizes_width_case_and_variants() {
        assert_eq!(apply(normalize, "ＡＢＣ１２３").unwrap(), "abc123");
        assert_eq!(apply(normalize, "ｻｰﾊﾞｰ").unwrap(), "サーバ");
        assert_eq!(apply(normalize, "サーバー").unwrap(), "サーバ");
        assert_eq!(apply(normalize, "サーバ").unwrap(), "サーバ");
        assert_eq!(apply(normalize, "ユーザー").unwrap(), "ユーザ");
        assert_eq!(apply(normalize, "キー").unwrap(), "キー");
        assert_eq!(apply(normalize, "Счёт").unwrap(), "счет");
        assert_eq!(apply(normalize, "L’Espace").unwrap(), "l'espace");
        assert_eq!(
            plain_punctuation("the partner’s “program”…"),
            "the partner's \"program\"..."
        );
        assert!(matches!(
            plain_punctuation("l'espace « x »"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(apply(normalize, "Ärger").unwrap(), "ärger");
        assert_eq!(apply(normalize, "CSP").unwrap(), "csp");
    }

    /// The engine's NFKC (ICU4X) against `unicode-normalization`'s, which
    /// it replaced: every character alone, after a base letter and before a
    /// combining mark (where composition and reordering happen), and
    /// Hangul jamo in sequence. (Equal on every one: words indexed before
    /// the change read the same after it.)
    #[test]
    fn nfkc_is_the_one_of_the_unicode_standard() {
        use unicode_normalization::UnicodeNormalization;
        let reference = |s: &str| s.nfkc().collect::<String>();
        let mut differ = Vec::new();
        for c in (0..0x3_2000).filter_map(char::from_u32) {
            for text in [
                format!("{c}"),
                format!("a{c}\u{301}"),
                format!("e\u{323}{c}"),
            ] {
                if nfkc(&text) != reference(&text) {
                    differ.push(c);
                    break;
                }
            }
        }
        for text in [
            "\u{1100}\u{1161}\u{11A8}",
            "\u{AC00}\u{11A8}",
            "ｶﾞｷﾞ",
            "e\u{301}\u{323}",
        ] {
            assert_eq!(nfkc(text), reference(text), "{text:?}");
        }
        assert!(matches!(nfkc("請求書をダウンロード"), Cow::Borrowed(_)));
        assert_eq!(differ, Vec::<char>::new(), "characters whose NFKC differs");
    }

    #[test]
    fn removes_french_elision_only_before_a_word() {
        let articles = crate::language::Language::Fr.spec().elided_articles;
        let remove_french_elision = |s: &str| {
            let mut s = s.to_string();
            remove_elision(articles, &mut s).then_some(s)
        };
        assert_eq!(remove_french_elision("l'espace").unwrap(), "espace");
        assert_eq!(remove_french_elision("qu'il").unwrap(), "il");
        assert_eq!(remove_french_elision("aujourd'hui").unwrap(), "aujourd'hui");
    }

    #[test]
    fn removes_english_possessives() {
        assert_eq!(
            apply(remove_english_possessive, "customer's").unwrap(),
            "customer"
        );
        assert_eq!(
            apply(remove_english_possessive, "partners'").unwrap(),
            "partners"
        );
        assert_eq!(apply(remove_english_possessive, "can't").unwrap(), "can't");
    }
}
