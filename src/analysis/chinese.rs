//! Chinese: jieba-rs, with search-mode sub-words.
//!
//! Each word of jieba's segmentation takes a position; the dictionary words
//! inside a longer word (合作伙伴 → 合作 / 伙伴) are offered at the same
//! position, as jieba's `cut_for_search` does, so both the whole word and its
//! parts match.

use std::sync::{Arc, LazyLock, OnceLock};

use jieba_rs::Jieba;

use rustc_hash::FxHashSet;

use super::segment::{Segmenter, TokenSink};

fn jieba() -> &'static Arc<Jieba> {
    static JIEBA: OnceLock<Arc<Jieba>> = OnceLock::new();
    JIEBA.get_or_init(|| {
        let started = std::time::Instant::now();
        let jieba = Arc::new(Jieba::new());
        tracing::debug!(
            seconds = started.elapsed().as_secs_f64(),
            "dictionary loaded: jieba (Chinese)"
        );
        jieba
    })
}

/// Function words and question words that carry no topic.
static STOP_WORDS: LazyLock<FxHashSet<&'static str>> = LazyLock::new(|| {
    [
        "的",
        "了",
        "在",
        "是",
        "我",
        "有",
        "和",
        "就",
        "不",
        "都",
        "一",
        "一个",
        "也",
        "很",
        "到",
        "要",
        "去",
        "你",
        "会",
        "着",
        "这",
        "那",
        "他",
        "她",
        "它",
        "们",
        "我们",
        "你们",
        "他们",
        "吗",
        "呢",
        "吧",
        "啊",
        "把",
        "被",
        "让",
        "给",
        "从",
        "对",
        "与",
        "及",
        "或",
        "等",
        "为",
        "以",
        "之",
        "其",
        "该",
        "此",
        "如何",
        "怎么",
        "怎样",
        "怎么样",
        "什么",
        "哪里",
        "哪儿",
        "哪些",
        "哪个",
        "为什么",
        "可以",
        "能",
        "能否",
        "能够",
        "需要",
        "应该",
        "是否",
        "如果",
        "请问",
        "里",
        "这里",
        "那里",
        "这个",
        "那个",
        "这些",
        "那些",
        "还",
        "又",
        "而",
        "但",
        "并",
        "且",
        "所",
        "得",
        "地",
        "没有",
        "自己",
        "进行",
        "后",
        "时",
    ]
    .into_iter()
    .collect()
});

/// Chinese segmenter; clones share the dictionary, loaded when the first
/// text is segmented.
#[derive(Clone)]
pub struct ChineseSegmenter {
    jieba: Option<Arc<Jieba>>,
}

impl ChineseSegmenter {
    pub fn new() -> Self {
        ChineseSegmenter { jieba: None }
    }
}

impl Default for ChineseSegmenter {
    fn default() -> Self {
        Self::new()
    }
}

impl Segmenter for ChineseSegmenter {
    fn segment(&mut self, run: &str, offset: usize, sink: &mut TokenSink<'_>) {
        let jieba = self.jieba.get_or_insert_with(|| Arc::clone(jieba()));
        for word in jieba.cut(run, true) {
            let text = word.word;
            if STOP_WORDS.contains(text) || !text.chars().any(char::is_alphanumeric) {
                continue;
            }
            let from = offset + word.byte_start;
            let position = sink.word(text, from, offset + word.byte_end);
            let chars = word.end - word.start;
            if chars <= 2 {
                continue;
            }
            // Dictionary words of 2 and 3 characters inside the word.
            let bounds: Vec<usize> = text
                .char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(text.len()))
                .collect();
            for len in [2, 3] {
                if len >= chars {
                    continue;
                }
                for i in 0..=chars - len {
                    let gram = &text[bounds[i]..bounds[i + len]];
                    if jieba.has_word(gram) && !STOP_WORDS.contains(gram) {
                        sink.alternative(gram, from + bounds[i], from + bounds[i + len], position);
                    }
                }
            }
        }
    }
}

/// Makes sure the dictionary is loaded.
pub fn preload() {
    let _ = jieba();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::segment::segment_to_vec;

    #[test]
    fn whole_words_and_their_parts_share_a_position() {
        let tokens = segment_to_vec(&mut ChineseSegmenter::new(), "合作伙伴中心");
        let texts: Vec<_> = tokens.iter().map(|t| (t.0.as_str(), t.3)).collect();
        assert!(texts.contains(&("合作伙伴", 0)), "{texts:?}");
        assert!(
            texts.contains(&("合作", 0)) && texts.contains(&("伙伴", 0)),
            "{texts:?}"
        );
        assert!(texts.contains(&("中心", 1)), "{texts:?}");
    }

    #[test]
    fn question_words_are_dropped() {
        let words: Vec<_> = segment_to_vec(
            &mut ChineseSegmenter::new(),
            "在合作伙伴中心哪里可以下载以前的发票",
        )
        .into_iter()
        .map(|t| t.0)
        .collect();
        for stop in ["在", "哪里", "可以", "的"] {
            assert!(!words.iter().any(|w| w == stop), "{stop} in {words:?}");
        }
        for content in ["下载", "发票", "中心"] {
            assert!(
                words.iter().any(|w| w == content),
                "{content} not in {words:?}"
            );
        }
    }
}
