//! Which locales to search when a request names none.
//!
//! Script decides first (Hangul → Korean, kana → Japanese, Cyrillic →
//! Russian); within Latin script, whatlang ranks the indexed languages. A
//! query of kanji/hanzi alone is ambiguous between Japanese and Chinese: both
//! are returned as equals, to be searched and merged rather than guessed.

use whatlang::{Detector, Lang};

use crate::language::Writing;
use crate::locale::{Language, Locale};

/// A locale to try, with how likely the query is in its language.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub locale: Locale,
    pub prior: f32,
}

/// How the candidates should be used.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// Best first.
    pub candidates: Vec<Candidate>,
    /// Search all candidates and merge (Han-only queries) instead of
    /// picking the best one.
    pub merge: bool,
}

/// The writing systems that tell a query's language, most telling first:
/// Hangul is only Korean, kana only Japanese, Han both Japanese and Chinese;
/// Cyrillic and Latin are shared by many languages, which whatlang ranks.
const BY_EVIDENCE: [Writing; 5] = [
    Writing::Hangul,
    Writing::Kana,
    Writing::Han,
    Writing::Cyrillic,
    Writing::Latin,
];

/// Whether `language` is written in `writing` (its registry row).
pub fn writes(language: Language, writing: Writing) -> bool {
    language.spec().writing.contains(&writing)
}

/// The writing system that tells most about `query`'s language (Hangul,
/// then kana, Han, Cyrillic, Latin), if it has letters.
pub fn writing(query: &str) -> Option<Writing> {
    BY_EVIDENCE.into_iter().find(|&w| {
        query
            .chars()
            .any(|c| c.is_alphabetic() && Writing::of(c) == Some(w))
    })
}

/// Detects candidate locales for `query` among `indexed`.
pub fn detect(query: &str, indexed: &[Locale]) -> Detection {
    let (candidates, merge) = match writing(query).as_ref() {
        Some(&writing @ (Writing::Cyrillic | Writing::Latin)) => {
            (by_whatlang(query, indexed, writing), false)
        }
        Some(&writing) => {
            let candidates: Vec<Candidate> = indexed
                .iter()
                .filter(|l| writes(l.language(), writing))
                .map(|l| Candidate {
                    locale: l.clone(),
                    prior: 1.0,
                })
                .collect();
            // Han alone is shared: search the languages written with it and
            // merge, rather than guess.
            let merge = candidates.len() > 1;
            (candidates, merge)
        }
        None => (Vec::new(), false),
    };
    if candidates.is_empty() {
        // Nothing in the query's script is indexed: try everything.
        let all = indexed
            .iter()
            .map(|l| Candidate {
                locale: l.clone(),
                prior: if l.holds_originals() { 1.0 } else { 0.5 },
            })
            .collect();
        return Detection {
            candidates: all,
            merge: false,
        };
    }
    Detection { candidates, merge }
}

/// Indexed locales of one script family, ranked by whatlang's guess.
fn by_whatlang(query: &str, indexed: &[Locale], writing: Writing) -> Vec<Candidate> {
    let family: Vec<(&Locale, Lang)> = indexed
        .iter()
        .filter(|l| writes(l.language(), writing))
        .filter_map(|l| l.language().spec().whatlang.map(|lang| (l, lang)))
        .collect();
    if family.is_empty() {
        return Vec::new();
    }
    let langs: Vec<Lang> = family.iter().map(|(_, lang)| *lang).collect();
    let guess = Detector::with_allowlist(langs).detect(query);
    let mut candidates: Vec<Candidate> = family
        .iter()
        .map(|(locale, lang)| {
            // n-gram detection is weak on short queries: it only tips the
            // balance; which index knows the words decides (see `Engine`).
            let prior = match &guess {
                Some(info) if info.lang() == *lang => 0.85 + 0.15 * info.confidence() as f32,
                // English is the most common language of search-box queries.
                _ if *lang == Lang::Eng => 0.85,
                _ => 0.8,
            };
            Candidate {
                locale: (*locale).clone(),
                prior,
            }
        })
        .collect();
    candidates.sort_by(|a, b| b.prior.total_cmp(&a.prior));
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indexed() -> Vec<Locale> {
        [
            "de-de", "en-us", "es-es", "fr-fr", "ja-jp", "ko-kr", "ru-ru", "zh-cn",
        ]
        .iter()
        .map(|l| Locale::parse(l).unwrap())
        .collect()
    }

    fn best(query: &str) -> String {
        detect(query, &indexed()).candidates[0].locale.to_string()
    }

    #[test]
    fn script_decides_cjk_and_cyrillic() {
        assert_eq!(best("請求書 ダウンロード"), "ja-jp");
        assert_eq!(best("청구서 다운로드"), "ko-kr");
        assert_eq!(best("скачать счет"), "ru-ru");
    }

    #[test]
    fn kanji_only_is_ambiguous_and_merged() {
        let d = detect("請求書", &indexed());
        assert!(d.merge);
        let locales: Vec<_> = d.candidates.iter().map(|c| c.locale.as_str()).collect();
        assert_eq!(locales, ["ja-jp", "zh-cn"]);
    }

    #[test]
    fn latin_languages_are_ranked_by_whatlang() {
        assert_eq!(
            best("Où télécharger mes factures des mois précédents dans l'Espace partenaires"),
            "fr-fr"
        );
        assert_eq!(
            best("Wo kann ich im Partner Center frühere Rechnungen herunterladen"),
            "de-de"
        );
        let d = detect("how do I reset a customer password", &indexed());
        assert_eq!(
            d.candidates.len(),
            4,
            "every Latin-script locale stays a candidate"
        );
    }

    #[test]
    fn unknown_script_tries_every_locale() {
        let d = detect("ดาวน์โหลด", &indexed());
        assert_eq!(d.candidates.len(), 8);
        assert_eq!(d.candidates.iter().filter(|c| c.prior == 1.0).count(), 1);
    }
}
