//! Japanese: lindera with IPADIC, tuned for search.
//!
//! - Particles, auxiliaries, symbols, pronouns and other function words are
//!   dropped by part of speech, so a question and its keywords analyze alike.
//! - Verbs and adjectives are indexed by their dictionary form (開けない → 開ける).
//! - Long dictionary nouns are also offered decomposed (関西国際空港 →
//!   関西 / 国際 / 空港) at the compound's position, like Kuromoji's search mode.

use std::borrow::Cow;
use std::sync::{LazyLock, OnceLock};

use lindera::dictionary::load_dictionary;
use lindera::mode::{Mode, Penalty};
use lindera::segmenter::Segmenter as LinderaSegmenter;
use lindera::worker::SegmentWorker;

use rustc_hash::FxHashSet;

use super::segment::{Segmenter, TokenSink};

/// IPADIC segmenters, loaded once per process on first use.
struct Ipadic {
    normal: LinderaSegmenter,
    decompose: LinderaSegmenter,
}

fn ipadic() -> &'static Ipadic {
    static IPADIC: OnceLock<Ipadic> = OnceLock::new();
    IPADIC.get_or_init(|| {
        let started = std::time::Instant::now();
        let dictionary = load_dictionary("embedded://ipadic")
            .expect("IPADIC is embedded at build time (feature embed-ipadic)");
        tracing::debug!(
            seconds = started.elapsed().as_secs_f64(),
            "dictionary loaded: IPADIC (Japanese)"
        );
        Ipadic {
            normal: LinderaSegmenter::new(Mode::Normal, dictionary.clone(), None),
            decompose: LinderaSegmenter::new(Mode::Decompose(Penalty::default()), dictionary, None),
        }
    })
}

/// Nouns at least this many characters long are also offered decomposed.
const DECOMPOSE_MIN_CHARS: usize = 4;

/// Japanese segmenter. Cheap to make and to clone: the dictionary is loaded
/// (once per process) when the first text is segmented, not when the
/// analyzer is built, so that opening a Japanese index costs no dictionary
/// until it is searched; each instance keeps its own lattice buffers.
pub struct JapaneseSegmenter {
    workers: Option<Workers>,
}

struct Workers {
    normal: SegmentWorker,
    decompose: SegmentWorker,
}

impl JapaneseSegmenter {
    pub fn new() -> Self {
        JapaneseSegmenter { workers: None }
    }

    fn workers(&mut self) -> &mut Workers {
        self.workers.get_or_insert_with(|| {
            let ipadic = ipadic();
            Workers {
                normal: ipadic.normal.new_worker(),
                decompose: ipadic.decompose.new_worker(),
            }
        })
    }
}

impl Default for JapaneseSegmenter {
    fn default() -> Self {
        Self::new()
    }
}

impl Clone for JapaneseSegmenter {
    fn clone(&self) -> Self {
        Self::new()
    }
}

/// What to do with a morpheme, from its IPADIC part of speech.
enum Keep {
    Drop,
    Surface,
    /// Index the dictionary form (details[6]).
    BaseForm,
    /// A noun that may be a compound worth decomposing.
    Noun,
}

fn classify(pos: &str, sub: &str) -> Keep {
    match pos {
        "名詞" => match sub {
            "非自立" | "代名詞" | "特殊" => Keep::Drop,
            "数" => Keep::Surface,
            _ => Keep::Noun,
        },
        "動詞" | "形容詞" => match sub {
            "自立" => Keep::BaseForm,
            _ => Keep::Drop,
        },
        // Unknown words carry the category lindera guessed; keep them.
        "UNK" | "未知語" => Keep::Surface,
        _ => Keep::Drop,
    }
}

/// Content words that are still too common to carry meaning in a query.
static STOP_WORDS: LazyLock<FxHashSet<&'static str>> = LazyLock::new(|| {
    [
        "する",
        "ある",
        "いる",
        "なる",
        "できる",
        "れる",
        "られる",
        "せる",
        "させる",
        "おる",
        "くる",
        "いく",
        "みる",
        "しまう",
        "くださる",
        "いただく",
        "こと",
        "もの",
        "ため",
        "よう",
        "ところ",
        "とき",
        "場合",
        "ほう",
        "方",
        "よい",
        "いい",
        "ない",
        "ほしい",
        "どう",
        "どこ",
        "どれ",
        "どの",
        "なに",
        "何",
        "いつ",
        "なぜ",
        "どなた",
        "だれ",
        "誰",
        "ござる",
        "思う",
    ]
    .into_iter()
    .collect()
});

impl Segmenter for JapaneseSegmenter {
    fn segment(&mut self, run: &str, offset: usize, sink: &mut TokenSink<'_>) {
        let workers = self.workers();
        let Ok(tokens) = workers.normal.segment(run) else {
            return;
        };
        for token in tokens {
            let (from, to) = (token.byte_start, token.byte_end);
            let surface: Cow<'_, str> = token.surface.clone();
            if !surface.chars().any(char::is_alphanumeric) {
                continue;
            }
            let mut details = super::lindera_details(&token);
            let pos = details.next().unwrap_or("UNK");
            let sub = details.next().unwrap_or("*");
            let keep = classify(pos, sub);
            let base = details.nth(4).filter(|b| *b != "*").unwrap_or(&surface);
            let text: &str = match keep {
                Keep::Drop => continue,
                Keep::BaseForm => base,
                Keep::Surface | Keep::Noun => &surface,
            };
            if STOP_WORDS.contains(text) {
                continue;
            }
            let position = sink.word(text, offset + from, offset + to);
            if matches!(keep, Keep::Noun) && surface.chars().count() >= DECOMPOSE_MIN_CHARS {
                decompose(
                    &mut workers.decompose,
                    &surface,
                    offset + from,
                    position,
                    sink,
                );
            }
        }
    }
}

/// Offers the parts of a compound noun at the compound's position.
fn decompose(
    worker: &mut SegmentWorker,
    compound: &str,
    offset: usize,
    position: usize,
    sink: &mut TokenSink<'_>,
) {
    let Ok(parts) = worker.segment(compound) else {
        return;
    };
    if parts.len() < 2 {
        return;
    }
    for part in parts {
        let text = &compound[part.byte_start..part.byte_end];
        if text.chars().count() >= 2 && text.chars().any(char::is_alphanumeric) {
            sink.alternative(
                text,
                offset + part.byte_start,
                offset + part.byte_end,
                position,
            );
        }
    }
}

/// Makes sure the dictionary is loaded (used to load it off the hot path).
pub fn preload() {
    let _ = ipadic();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::segment::segment_to_vec;

    fn words(text: &str) -> Vec<String> {
        segment_to_vec(&mut JapaneseSegmenter::new(), text)
            .into_iter()
            .map(|t| t.0)
            .collect()
    }

    #[test]
    fn drops_function_words_and_uses_base_forms() {
        assert_eq!(
            words("パートナー センターで過去の請求書をダウンロードするにはどうすればよいですか"),
            [
                "パートナー",
                "センター",
                "過去",
                "請求",
                "書",
                "ダウンロード"
            ]
        );
        assert_eq!(words("開けない"), ["開ける"]);
    }

    #[test]
    fn compounds_are_offered_with_their_parts() {
        let tokens = segment_to_vec(&mut JapaneseSegmenter::new(), "関西国際空港");
        let texts: Vec<_> = tokens.iter().map(|t| (t.0.as_str(), t.3)).collect();
        assert_eq!(
            texts,
            [("関西国際空港", 0), ("関西", 0), ("国際", 0), ("空港", 0)]
        );
        assert_eq!((tokens[2].1, tokens[2].2), (6, 12));
    }
}
