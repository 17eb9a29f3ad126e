//! Script classification and splitting text into runs of one script family.
//!
//! Every analyzer first splits text into runs (charabia's approach): runs of
//! CJK scripts go to a dictionary segmenter, everything else to the Unicode
//! word segmenter. That keeps identifiers such as `21Vianet`, `3.6.3` or
//! `Office 365` whole in every language, even inside Japanese sentences.

/// Script families that need a dedicated segmenter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Script {
    /// Han ideographs (kanji, hanzi, hanja).
    Han,
    /// Hiragana and katakana, including the prolonged sound mark `ー` and half-width katakana.
    Kana,
    /// Hangul syllables and jamo.
    Hangul,
    /// Everything else: Latin, Cyrillic, digits, punctuation, spaces.
    Other,
}

impl Script {
    /// Classifies one character.
    pub fn of(c: char) -> Script {
        let cp = c as u32;
        if cp < 0x2E80 {
            // Fast path: Latin, Cyrillic, Greek, punctuation, Hangul jamo (below).
            return if (0x1100..=0x11FF).contains(&cp) {
                Script::Hangul
            } else {
                Script::Other
            };
        }
        match cp {
            // CJK radicals, Kangxi radicals, ideographic iteration mark 々 and 〆.
            0x2E80..=0x2FDF | 0x3005 | 0x3006 | 0x3007 | 0x3021..=0x3029 | 0x3038..=0x303B => {
                Script::Han
            }
            // Hiragana (incl. voiced marks ゛゜ and iteration marks).
            0x3041..=0x309F => Script::Kana,
            // Katakana, except the middle dot ・ which separates words.
            0x30A0..=0x30FA | 0x30FC..=0x30FF | 0x31F0..=0x31FF => Script::Kana,
            0x3130..=0x318F => Script::Hangul,
            0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF => Script::Han,
            0xA960..=0xA97F | 0xAC00..=0xD7FF => Script::Hangul,
            // Half-width katakana (and its voiced marks), half-width Hangul.
            0xFF66..=0xFF9F => Script::Kana,
            0xFFA0..=0xFFDC => Script::Hangul,
            0x20000..=0x323AF => Script::Han,
            _ => Script::Other,
        }
    }
}

/// A set of scripts, for "which runs does this segmenter take".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScriptSet(u8);

impl ScriptSet {
    pub const NONE: ScriptSet = ScriptSet(0);

    pub const fn of(scripts: &[Script]) -> ScriptSet {
        let mut bits = 0;
        let mut i = 0;
        while i < scripts.len() {
            bits |= 1 << scripts[i] as u8;
            i += 1;
        }
        ScriptSet(bits)
    }

    pub fn contains(self, script: Script) -> bool {
        self.0 & (1 << script as u8) != 0
    }
}

/// A maximal run of text handled by one segmenter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub start: usize,
    pub end: usize,
    pub kind: RunKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    /// Scripts the language's own segmenter handles (kanji + kana for Japanese).
    Native,
    /// CJK script the language's segmenter does not know (Hangul in Japanese text).
    ForeignCjk,
    /// Non-CJK text: the Unicode word segmenter's.
    Words,
}

/// Splits `text` into runs. `native` lists the scripts of the language's own
/// segmenter; CJK scripts outside it become [`RunKind::ForeignCjk`].
///
/// Invariant: runs are contiguous, non-empty and cover `text` exactly.
pub fn runs(text: &str, native: ScriptSet) -> impl Iterator<Item = Run> + '_ {
    let kind_of = move |c: char| match Script::of(c) {
        Script::Other => RunKind::Words,
        script if native.contains(script) => RunKind::Native,
        _ => RunKind::ForeignCjk,
    };
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, first) = chars.next()?;
        let kind = kind_of(first);
        let mut end = start + first.len_utf8();
        while let Some(&(i, c)) = chars.peek() {
            if kind_of(c) != kind {
                // Spaces between native words stay in the run: Korean is
                // segmented per phrase with its spacing as context, and
                // Japanese writes compounds as `パートナー センター`.
                let joins = kind == RunKind::Native
                    && c.is_whitespace()
                    && chars
                        .clone()
                        .map(|(_, c)| c)
                        .find(|c| !c.is_whitespace())
                        .is_some_and(|c| kind_of(c) == RunKind::Native);
                if !joins {
                    break;
                }
            }
            end = i + c.len_utf8();
            chars.next();
        }
        Some(Run { start, end, kind })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_scripts() {
        assert_eq!(Script::of('請'), Script::Han);
        assert_eq!(Script::of('々'), Script::Han);
        assert_eq!(Script::of('ー'), Script::Kana);
        assert_eq!(Script::of('ｻ'), Script::Kana);
        assert_eq!(Script::of('・'), Script::Other);
        assert_eq!(Script::of('고'), Script::Hangul);
        assert_eq!(Script::of('Ａ'), Script::Other);
        assert_eq!(Script::of('я'), Script::Other);
    }

    #[test]
    fn splits_mixed_text_into_covering_runs() {
        let ja = ScriptSet::of(&[Script::Han, Script::Kana]);
        let text = "21Vianet の請求書 고객 CSP パートナー センター";
        let runs: Vec<_> = runs(text, ja)
            .map(|r| (&text[r.start..r.end], r.kind))
            .collect();
        assert_eq!(
            runs,
            vec![
                ("21Vianet ", RunKind::Words),
                ("の請求書", RunKind::Native),
                (" ", RunKind::Words),
                ("고객", RunKind::ForeignCjk),
                (" CSP ", RunKind::Words),
                ("パートナー センター", RunKind::Native),
            ]
        );
    }
}
