//! Korean: lindera with mecab-ko-dic, tuned for search.
//!
//! - Particles (`J*`), endings (`E*`), suffixes, copulas, symbols and other
//!   function morphemes are dropped, so 고객을 / 고객의 / 고객 all give 고객.
//! - Inflected forms are also offered by their stem (보냅니다 → 보내), at the
//!   surface's position; the surface stays because ko-dic sometimes reads a
//!   noun as an inflection (파일 as 파이+ㄹ) depending on context.
//! - Compounds are also offered decomposed (청구서 → 청구), like Nori's
//!   `mixed` mode.

use std::sync::{LazyLock, OnceLock};

use lindera::dictionary::load_dictionary;
use lindera::mode::Mode;
use lindera::segmenter::Segmenter as LinderaSegmenter;
use lindera::worker::SegmentWorker;

use rustc_hash::FxHashSet;

use super::segment::{Segmenter, TokenSink};

fn ko_dic() -> &'static LinderaSegmenter {
    static KO_DIC: OnceLock<LinderaSegmenter> = OnceLock::new();
    KO_DIC.get_or_init(|| {
        let started = std::time::Instant::now();
        let dictionary = load_dictionary("embedded://ko-dic")
            .expect("ko-dic is embedded at build time (feature embed-ko-dic)");
        tracing::debug!(
            seconds = started.elapsed().as_secs_f64(),
            "dictionary loaded: ko-dic (Korean)"
        );
        let segmenter = LinderaSegmenter::new(Mode::Normal, dictionary, None);
        // Building the segmenter read every word's details once (lindera's
        // left-space penalty table, from ko-dic's part-of-speech tags): 36 MB
        // of the binary's pages that searches then read a few at a time.
        let words = &segmenter.dictionary.prefix_dictionary;
        super::release_touched_pages(&words.words_data);
        super::release_touched_pages(&words.words_idx_data);
        segmenter
    })
}

/// Korean segmenter; clones share the dictionary and own their buffers.
/// The dictionary is loaded when the first text is segmented.
pub struct KoreanSegmenter {
    worker: Option<SegmentWorker>,
}

impl KoreanSegmenter {
    pub fn new() -> Self {
        KoreanSegmenter { worker: None }
    }
}

impl Default for KoreanSegmenter {
    fn default() -> Self {
        Self::new()
    }
}

impl Clone for KoreanSegmenter {
    fn clone(&self) -> Self {
        Self::new()
    }
}

/// Whether a morpheme whose (first) tag is `tag` carries content.
fn is_content(tag: &str) -> bool {
    matches!(
        tag,
        "NNG" | "NNP" | "NR" | "SN" | "SL" | "SH" | "XR" | "VV" | "VA" | "UNKNOWN" | "UNK"
    )
}

/// Content morphemes too common to carry meaning.
static STOP_WORDS: LazyLock<FxHashSet<&'static str>> = LazyLock::new(|| {
    [
        "하", "되", "있", "없", "않", "이", "그", "저", "수", "것", "등", "때", "및", "위하",
        "통하", "대하",
    ]
    .into_iter()
    .collect()
});

/// Parts shorter than this (in characters) are not offered: single syllables
/// (서, 지) match too much.
const MIN_PART_CHARS: usize = 2;

impl Segmenter for KoreanSegmenter {
    fn segment(&mut self, run: &str, offset: usize, sink: &mut TokenSink<'_>) {
        let worker = self.worker.get_or_insert_with(|| ko_dic().new_worker());
        let Ok(tokens) = worker.segment(run) else {
            return;
        };
        for token in tokens {
            let (from, to) = (token.byte_start, token.byte_end);
            let surface = &run[from..to];
            if !surface.chars().any(char::is_alphanumeric) {
                continue;
            }
            let mut details = super::lindera_details(&token);
            let tag = details.next().unwrap_or("UNKNOWN");
            let first_tag = tag.split('+').next().unwrap_or(tag);
            if !is_content(first_tag) {
                continue;
            }
            let kind = details.nth(3).unwrap_or("*");
            let expression = details.nth(2).unwrap_or("*");
            let surface_is_stop = STOP_WORDS.contains(surface);
            match kind {
                "Inflect" => {
                    // Expression: 하/VV/*+아서/EC/* — the stem is the first morpheme.
                    let stem = expression
                        .split('+')
                        .next()
                        .and_then(|m| m.split('/').next())
                        .filter(|s| !s.is_empty() && *s != surface && !STOP_WORDS.contains(s));
                    match (surface_is_stop, stem) {
                        (false, stem) => {
                            let position = sink.word(surface, offset + from, offset + to);
                            if let Some(stem) = stem {
                                sink.alternative(stem, offset + from, offset + to, position);
                            }
                        }
                        (true, Some(stem)) => {
                            sink.word(stem, offset + from, offset + to);
                        }
                        (true, None) => {}
                    }
                }
                "Compound" => {
                    if surface_is_stop {
                        continue;
                    }
                    let position = sink.word(surface, offset + from, offset + to);
                    let mut search_from = 0;
                    for part in expression.split('+').filter_map(|m| m.split('/').next()) {
                        if let Some(i) = surface[search_from..].find(part) {
                            let start = search_from + i;
                            let end = start + part.len();
                            search_from = end;
                            if part.chars().count() >= MIN_PART_CHARS && part != surface {
                                sink.alternative(
                                    part,
                                    offset + from + start,
                                    offset + from + end,
                                    position,
                                );
                            }
                        }
                    }
                }
                _ => {
                    if !surface_is_stop {
                        sink.word(surface, offset + from, offset + to);
                    }
                }
            }
        }
    }
}

/// Makes sure the dictionary is loaded.
pub fn preload() {
    let _ = ko_dic();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::segment::segment_to_vec;

    fn words(text: &str) -> Vec<String> {
        segment_to_vec(&mut KoreanSegmenter::new(), text)
            .into_iter()
            .map(|t| t.0)
            .collect()
    }

    #[test]
    fn particles_and_endings_are_dropped() {
        assert_eq!(words("고객을 고객의 고객"), ["고객", "고객", "고객"]);
        assert_eq!(
            words("파트너 센터에서 지난 청구서는 어디에서 다운로드하나요?"),
            [
                "파트너",
                "센터",
                "지난",
                "지나",
                "청구서",
                "청구",
                "다운로드"
            ]
        );
    }

    #[test]
    fn compounds_and_stems_share_the_position_of_their_word() {
        let tokens = segment_to_vec(&mut KoreanSegmenter::new(), "재판매 메일을 보냅니다");
        let texts: Vec<_> = tokens.iter().map(|t| (t.0.as_str(), t.3)).collect();
        assert_eq!(
            texts,
            [
                ("재판매", 0),
                ("판매", 0),
                ("메일", 1),
                ("보냅니다", 2),
                ("보내", 2)
            ]
        );
    }
}
