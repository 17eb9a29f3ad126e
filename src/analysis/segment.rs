//! The segmenter interface and the script-independent segmenters.
//!
//! A [`Segmenter`] cuts one run of text (see [`super::script`]) into words.
//! Each language plugs its own segmenter in for its native scripts; the
//! Unicode word segmenter and the bigram segmenter handle the rest.

use tantivy::tokenizer::Token;
use unicode_segmentation::UnicodeSegmentation;

/// Where a segmenter writes its words.
///
/// Positions follow one rule shared by all segmenters: each word of the
/// finest reading takes the next position, and alternative forms of the same
/// text (a compound and its parts, an inflected surface and its lemma) share
/// the position of the word they stand for. The query side relies on this to
/// treat tokens at one position as alternatives of one concept.
pub struct TokenSink<'a> {
    tokens: &'a mut Vec<Token>,
    len: &'a mut usize,
    next_position: &'a mut usize,
}

impl<'a> TokenSink<'a> {
    pub fn new(
        tokens: &'a mut Vec<Token>,
        len: &'a mut usize,
        next_position: &'a mut usize,
    ) -> Self {
        TokenSink {
            tokens,
            len,
            next_position,
        }
    }

    /// Emits a word at a new position. Returns that position.
    pub fn word(&mut self, text: &str, from: usize, to: usize) -> usize {
        let position = *self.next_position;
        *self.next_position += 1;
        self.push(text, from, to, position);
        position
    }

    /// Emits an alternative form at an existing position.
    pub fn alternative(&mut self, text: &str, from: usize, to: usize, position: usize) {
        self.push(text, from, to, position);
    }

    /// Reuses token slots (and their string buffers) across calls.
    fn push(&mut self, text: &str, from: usize, to: usize, position: usize) {
        if *self.len == self.tokens.len() {
            self.tokens.push(Token::default());
        }
        let token = &mut self.tokens[*self.len];
        token.text.clear();
        token.text.push_str(text);
        token.offset_from = from;
        token.offset_to = to;
        token.position = position;
        token.position_length = 1;
        *self.len += 1;
    }
}

/// Cuts runs of one script family into words.
///
/// `offset` is the byte offset of `run` in the analyzed text; emitted offsets
/// must be offsets into that text and fall on character boundaries.
pub trait Segmenter: Clone + Send + Sync + 'static {
    fn segment(&mut self, run: &str, offset: usize, sink: &mut TokenSink<'_>);
}

/// Unicode (UAX #29) words, for every non-CJK script.
///
/// UAX #29 already keeps `3.6.3`, `21Vianet` and `l'Espace` whole. Words that
/// mix letters and digits are also offered split at the letter/digit boundary
/// (`21Vianet` → `21`, `Vianet`) because translations write `21 Vianet`.
#[derive(Debug, Clone, Copy, Default)]
pub struct WordSegmenter;

impl Segmenter for WordSegmenter {
    fn segment(&mut self, run: &str, offset: usize, sink: &mut TokenSink<'_>) {
        let mut emit = |start: usize, word: &str| {
            let from = offset + start;
            let position = sink.word(word, from, from + word.len());
            split_letters_and_digits(word, from, position, sink);
        };
        // UAX #29 never joins across ASCII whitespace, so each piece between
        // spaces can take the fast path when it is ASCII.
        let mut piece_start = 0;
        for piece in run.split_ascii_whitespace_inclusive() {
            if piece.is_ascii() {
                for (start, end) in ascii_words(piece.as_bytes()) {
                    emit(piece_start + start, &piece[start..end]);
                }
            } else {
                for (start, word) in piece.split_word_bound_indices() {
                    if word.chars().any(char::is_alphanumeric) {
                        emit(piece_start + start, word);
                    }
                }
            }
            piece_start += piece.len();
        }
    }
}

/// Splitting into pieces that end after a run of ASCII whitespace.
trait SplitAsciiWhitespaceInclusive {
    fn split_ascii_whitespace_inclusive(&self) -> impl Iterator<Item = &str>;
}

impl SplitAsciiWhitespaceInclusive for str {
    fn split_ascii_whitespace_inclusive(&self) -> impl Iterator<Item = &str> {
        let bytes = self.as_bytes();
        let mut start = 0;
        std::iter::from_fn(move || {
            if start >= bytes.len() {
                return None;
            }
            let mut i = start;
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            let piece = &self[start..i];
            start = i;
            Some(piece)
        })
    }
}

/// UAX #29 words of ASCII text that contain a letter or digit, as byte
/// ranges: the rules that apply to ASCII (WB5–WB13b) without the tables.
/// Letters, digits and `_` join; `:` `.` `'` join two letters; `,` `;` `.`
/// `'` join two digits. Property-tested against unicode-segmentation.
pub fn ascii_words(bytes: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    std::iter::from_fn(move || {
        loop {
            while i < bytes.len() && !word(bytes[i]) {
                i += 1;
            }
            if i >= bytes.len() {
                return None;
            }
            let start = i;
            let mut has_alnum = false;
            loop {
                while i < bytes.len() && word(bytes[i]) {
                    has_alnum |= bytes[i] != b'_';
                    i += 1;
                }
                if i + 1 < bytes.len() && i > start {
                    let (before, mid, after) = (bytes[i - 1], bytes[i], bytes[i + 1]);
                    let letters = before.is_ascii_alphabetic() && after.is_ascii_alphabetic();
                    let digits = before.is_ascii_digit() && after.is_ascii_digit();
                    if (letters && matches!(mid, b':' | b'.' | b'\''))
                        || (digits && matches!(mid, b',' | b';' | b'.' | b'\''))
                    {
                        i += 1;
                        continue;
                    }
                }
                break;
            }
            if has_alnum {
                return Some((start, i));
            }
        }
    })
}

fn split_letters_and_digits(word: &str, from: usize, position: usize, sink: &mut TokenSink<'_>) {
    if word.is_ascii() {
        let bytes = word.as_bytes();
        let digit = bytes.iter().any(u8::is_ascii_digit);
        if !(digit
            && bytes.iter().any(u8::is_ascii_alphabetic)
            && bytes.iter().all(u8::is_ascii_alphanumeric))
        {
            return;
        }
    }
    let has_digit = word.chars().any(|c| c.is_numeric());
    let has_letter = word.chars().any(char::is_alphabetic);
    if !(has_digit && has_letter && word.chars().all(char::is_alphanumeric)) {
        return;
    }
    let mut part_start = 0;
    let mut prev_digit = None;
    for (i, c) in word.char_indices() {
        let is_digit = c.is_numeric();
        if prev_digit.is_some_and(|p| p != is_digit) {
            sink.alternative(&word[part_start..i], from + part_start, from + i, position);
            part_start = i;
        }
        prev_digit = Some(is_digit);
    }
    sink.alternative(
        &word[part_start..],
        from + part_start,
        from + word.len(),
        position,
    );
}

/// Overlapping character bigrams, for CJK text no dictionary covers.
///
/// A run of one character is emitted as a unigram so that it stays findable.
#[derive(Debug, Clone, Copy, Default)]
pub struct BigramSegmenter;

impl Segmenter for BigramSegmenter {
    fn segment(&mut self, run: &str, offset: usize, sink: &mut TokenSink<'_>) {
        let chars: Vec<(usize, char)> = run.char_indices().collect();
        if chars.len() == 1 {
            sink.word(run, offset, offset + run.len());
            return;
        }
        for pair in chars.windows(2) {
            let (start, _) = pair[0];
            let (second, c) = pair[1];
            let end = second + c.len_utf8();
            sink.word(&run[start..end], offset + start, offset + end);
        }
    }
}

#[cfg(test)]
pub(crate) fn segment_to_vec<S: Segmenter>(
    segmenter: &mut S,
    text: &str,
) -> Vec<(String, usize, usize, usize)> {
    let mut tokens = Vec::new();
    let mut len = 0;
    let mut position = 0;
    let mut sink = TokenSink::new(&mut tokens, &mut len, &mut position);
    segmenter.segment(text, 0, &mut sink);
    tokens.truncate(len);
    tokens
        .into_iter()
        .map(|t| (t.text, t.offset_from, t.offset_to, t.position))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_identifiers_whole() {
        let words: Vec<_> =
            segment_to_vec(&mut WordSegmenter, "Update 3.6.3 for Office 365, l'Espace")
                .into_iter()
                .map(|t| t.0)
                .collect();
        assert_eq!(
            words,
            ["Update", "3.6.3", "for", "Office", "365", "l'Espace"]
        );
    }

    #[test]
    fn letter_digit_words_offer_their_parts_at_the_same_position() {
        let tokens = segment_to_vec(&mut WordSegmenter, "21Vianet CSP");
        assert_eq!(
            tokens,
            vec![
                ("21Vianet".into(), 0, 8, 0),
                ("21".into(), 0, 2, 0),
                ("Vianet".into(), 2, 8, 0),
                ("CSP".into(), 9, 12, 1),
            ]
        );
    }

    #[test]
    fn bigrams_overlap_and_single_chars_survive() {
        let tokens: Vec<_> = segment_to_vec(&mut BigramSegmenter, "고객님")
            .into_iter()
            .map(|t| t.0)
            .collect();
        assert_eq!(tokens, ["고객", "객님"]);
        assert_eq!(segment_to_vec(&mut BigramSegmenter, "가")[0].0, "가");
    }
}
