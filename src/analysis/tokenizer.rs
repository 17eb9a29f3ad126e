//! The tokenizer every analyzer starts with: script runs → segmenters.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::script::{RunKind, ScriptSet, runs};
use super::segment::{BigramSegmenter, Segmenter, TokenSink, WordSegmenter};

/// Splits text into script runs and hands each to its segmenter: the
/// language's own segmenter `S` for its native scripts, bigrams for other
/// CJK scripts, Unicode words for the rest.
///
/// Offsets are byte offsets into the analyzed text; positions follow the
/// [`TokenSink`] rule (alternatives share a position).
pub struct ScriptTokenizer<S> {
    native: S,
    native_scripts: ScriptSet,
    /// Token slots reused between calls (strings keep their capacity).
    tokens: Vec<Token>,
}

impl<S: Segmenter> ScriptTokenizer<S> {
    pub fn new(native: S, native_scripts: ScriptSet) -> Self {
        ScriptTokenizer {
            native,
            native_scripts,
            tokens: Vec::new(),
        }
    }
}

impl<S: Segmenter> Clone for ScriptTokenizer<S> {
    fn clone(&self) -> Self {
        ScriptTokenizer::new(self.native.clone(), self.native_scripts)
    }
}

impl<S: Segmenter> Tokenizer for ScriptTokenizer<S> {
    type TokenStream<'a> = SliceTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> SliceTokenStream<'a> {
        let mut len = 0;
        let mut next_position = 0;
        {
            let mut sink = TokenSink::new(&mut self.tokens, &mut len, &mut next_position);
            for run in runs(text, self.native_scripts) {
                let slice = &text[run.start..run.end];
                match run.kind {
                    RunKind::Native => self.native.segment(slice, run.start, &mut sink),
                    RunKind::ForeignCjk => BigramSegmenter.segment(slice, run.start, &mut sink),
                    RunKind::Words => WordSegmenter.segment(slice, run.start, &mut sink),
                }
            }
        }
        // Do not keep a huge buffer alive after one huge document.
        if self.tokens.len() > 65_536 && len < self.tokens.len() / 4 {
            self.tokens.truncate(len.max(1024));
            self.tokens.shrink_to_fit();
        }
        SliceTokenStream {
            tokens: &mut self.tokens[..len],
            current: None,
        }
    }
}

/// A token stream over tokens produced up front.
pub struct SliceTokenStream<'a> {
    tokens: &'a mut [Token],
    current: Option<usize>,
}

impl TokenStream for SliceTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let next = self.current.map_or(0, |i| i + 1);
        self.current = Some(next);
        next < self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.current.expect("advance() first")]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.current.expect("advance() first")]
    }
}
