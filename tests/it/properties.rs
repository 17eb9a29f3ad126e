//! Property tests: analyzers and snippets on random text in every script.

use kensaku::analysis::{analyze, build};
use kensaku::html::Highlighted;
use kensaku::index::stored::{TermVector, term_hash};
use kensaku::locale::Language;
use kensaku::search::snippet::{self, snippet};
use proptest::prelude::*;

/// Characters from every script kensaku meets, plus the awkward ones:
/// markup, entities, combining marks, full- and half-width forms, emoji.
fn any_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::char::range('a', 'z'),
        1 => prop::char::range('A', 'Z'),
        1 => prop::char::range('0', '9'),
        3 => Just(' '),
        1 => prop::sample::select(vec!['.', ',', '\'', '’', '-', '/', ':', '?', '!', '\n', '\t', '<', '>', '&', '"', ';', '#']),
        1 => prop::char::range('À', 'ÿ'),
        2 => prop::char::range('а', 'я'),
        2 => prop::char::range('ぁ', 'ゖ'),
        2 => prop::char::range('ァ', 'ヺ'),
        1 => prop::sample::select(vec!['ー', '・', '。', '、', '「', '」', '（', '）', '　']),
        1 => prop::char::range('ｦ', 'ﾟ'),
        3 => prop::char::range('一', '龥'),
        3 => prop::char::range('가', '힣'),
        1 => prop::char::range('Ａ', 'Ｚ'),
        1 => prop::char::range('０', '９'),
        1 => prop::char::range('\u{0300}', '\u{036F}'),
        1 => prop::sample::select(vec!['😀', '𠮷', '\u{200B}', '\u{FEFF}', '\u{00A0}', 'ß', 'İ', 'ﬁ']),
    ]
}

fn any_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any_char(), 0..max).prop_map(|chars| chars.into_iter().collect())
}

fn any_language() -> impl Strategy<Value = Language> {
    prop::sample::select(Language::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Offsets are char-boundary byte ranges inside the text; positions
    /// never decrease; tokens are non-empty.
    #[test]
    fn analyzers_keep_their_invariants(language in any_language(), text in any_text(120)) {
        let mut analyzer = build(language);
        let mut previous = 0;
        for token in analyze(&mut analyzer, &text) {
            prop_assert!(token.offset_from < token.offset_to, "{token:?}");
            prop_assert!(token.offset_to <= text.len(), "{token:?}");
            prop_assert!(text.is_char_boundary(token.offset_from) && text.is_char_boundary(token.offset_to));
            prop_assert!(token.position >= previous, "{token:?} after position {previous}");
            previous = token.position;
            prop_assert!(!token.text.is_empty());
        }
    }

    /// Snippets: only balanced, unnested <mark> tags; everything else from
    /// the article escaped; the text is the article's; marks hold whole tokens.
    #[test]
    fn snippets_are_safe_and_faithful(
        language in any_language(),
        body in any_text(400),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let mut analyzer = build(language);
        let tokens = analyze(&mut analyzer, &body);
        let termvec = TermVector::encode(tokens.iter().map(|t| (t.text.as_str(), t.offset_from, t.offset_to)));
        let mut pairs = Vec::new();
        if !tokens.is_empty() {
            for (i, pick) in picks.iter().enumerate() {
                pairs.push((term_hash(&pick.get(&tokens).text), i));
            }
        }
        let highlight = snippet::Highlighter::new(pairs);
        let weights = vec![1.0; picks.len()];
        let shape = snippet::Shape::of(language);
        let out = snippet(body.as_bytes(), &termvec, &[], &highlight, &weights, shape, None);
        let html = out.text.to_html();
        check_html(&html)?;
        check_text(&out.text, &body)?;
        // The markup is the text, escaped, with marks around the matches.
        prop_assert_eq!(
            html.replace("<mark>", "").replace("</mark>", ""),
            kensaku::html::escape(&out.text.text)
        );
        // Every mark covers whole tokens of the body.
        for marked in marked_texts(&out.text) {
            prop_assert!(body.contains(marked), "mark {marked:?} not in body");
        }
    }
}

/// Splits the rendered HTML on <mark>…</mark>, checking the markup.
fn check_html(html: &str) -> Result<(), TestCaseError> {
    let mut rest = html;
    let mut open = false;
    let mut text = String::new();
    while let Some(i) = rest.find('<') {
        text.push_str(&rest[..i]);
        let tag = if rest[i..].starts_with("<mark>") {
            prop_assert!(!open, "nested <mark> in {html:?}");
            open = true;
            6
        } else if rest[i..].starts_with("</mark>") {
            prop_assert!(open, "unbalanced </mark> in {html:?}");
            open = false;
            7
        } else {
            return Err(TestCaseError::fail(format!("raw '<' in {html:?}")));
        };
        rest = &rest[i + tag..];
    }
    text.push_str(rest);
    prop_assert!(!open, "unclosed <mark> in {html:?}");
    prop_assert!(!text.contains('>'), "raw '>' in {html:?}");
    // Every '&' starts one of the entities the escaper writes.
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..];
        prop_assert!(
            ["&lt;", "&gt;", "&amp;", "&quot;", "&#39;"]
                .iter()
                .any(|e| entity.starts_with(e)),
            "bare '&' in {html:?}"
        );
    }
    Ok(())
}

/// The visible text is the article's, cut with ellipses, line breaks as spaces.
fn check_text(text: &Highlighted, body: &str) -> Result<(), TestCaseError> {
    let normalized_body = body.replace(['\n', '\r'], " ");
    for piece in text.text.split('…').filter(|p| !p.trim().is_empty()) {
        prop_assert!(
            normalized_body.contains(piece.trim_end()),
            "{piece:?} is not from the body {body:?}"
        );
    }
    Ok(())
}

fn marked_texts(text: &Highlighted) -> Vec<&str> {
    text.pieces()
        .filter(|(_, marked)| *marked)
        .map(|(piece, _)| piece)
        .collect()
}

fn ascii_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            6 => prop::char::range('a', 'e'),
            2 => prop::char::range('A', 'C'),
            3 => prop::char::range('0', '3'),
            4 => prop::sample::select(vec![' ', '.', ',', ';', ':', '\'', '_', '-', '"', '\n', '/', '!', '(', ')']),
        ],
        0..60,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// The ASCII fast path finds exactly the UAX #29 words.
    #[test]
    fn ascii_words_match_unicode_segmentation(text in ascii_text()) {
        use unicode_segmentation::UnicodeSegmentation;
        let expected: Vec<(usize, usize)> = text
            .split_word_bound_indices()
            .filter(|(_, w)| w.chars().any(char::is_alphanumeric))
            .map(|(i, w)| (i, i + w.len()))
            .collect();
        let fast: Vec<(usize, usize)> = kensaku::analysis::segment::ascii_words(text.as_bytes()).collect();
        prop_assert_eq!(fast, expected, "{:?}", text);
    }
}
