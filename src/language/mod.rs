//! The language registry: one row per language kensaku has an analyzer for.
//!
//! Everything kensaku knows about a language lives in its [`LanguageSpec`]
//! row of [`SPECS`] — how its text is segmented, stemmed and stripped of stop
//! words, how a query in it is recognised, what it is called and how long its
//! snippets are — and every other module reads the row rather than matching
//! on the language: analyzer registration and dictionary preloading
//! ([`crate::analysis`]), query detection (`search::detect`), snippets, the
//! demo pages and the search box (through `/locales`).
//!
//! Adding a language is a variant and a row here, its stop words in
//! [`stopwords`], and a test of its analyzer (`tests/it/analysis.rs`).

pub mod stopwords;

use std::fmt;

use serde::{Deserialize, Serialize};
use tantivy::tokenizer::Language as SnowballStopWords;
use whatlang::Lang;

use crate::analysis::script::Script;

/// The languages of [`SPECS`]; everything else is [`Language::Other`] and
/// gets the fallback analyzer.
///
/// Serialized by its [`LanguageSpec::code`] (index manifests store it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Ja,
    Ko,
    Zh,
    Ru,
    Fr,
    De,
    Es,
    En,
    It,
    Pt,
    Nl,
    Other,
}

/// How a language's text is cut into words (the analyzer's segmenter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segmentation {
    /// Unicode (UAX #29) words; CJK runs in bigrams.
    Words,
    /// lindera with IPADIC, compounds decomposed.
    Japanese,
    /// lindera with ko-dic, particles dropped.
    Korean,
    /// jieba, with the dictionary words inside long words.
    Chinese,
}

impl Segmentation {
    /// Whether a dictionary segmenter chooses the words, dropping function
    /// words by part of speech (rather than by a stop-word list).
    pub fn is_dictionary(self) -> bool {
        !matches!(self, Segmentation::Words)
    }
}

/// Writing systems, as far as telling the language of a query needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Writing {
    Latin,
    Cyrillic,
    Han,
    Kana,
    Hangul,
}

impl Writing {
    /// The writing system of a letter; `None` for other scripts, digits and
    /// punctuation.
    pub fn of(c: char) -> Option<Writing> {
        match Script::of(c) {
            Script::Han => Some(Writing::Han),
            Script::Kana => Some(Writing::Kana),
            Script::Hangul => Some(Writing::Hangul),
            Script::Other if ('\u{0400}'..='\u{052F}').contains(&c) => Some(Writing::Cyrillic),
            Script::Other
                if matches!(c, 'A'..='Z' | 'a'..='z' | '\u{00C0}'..='\u{024F}'
                    | '\u{1E00}'..='\u{1EFF}' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ') =>
            {
                Some(Writing::Latin)
            }
            Script::Other => None,
        }
    }
}

/// Stop words removed after normalization (dictionary segmenters drop
/// theirs by part of speech, inside the segmenter).
#[derive(Debug, Clone, Copy)]
pub struct StopWords {
    /// Snowball's list (Lucene's short one for English), as tantivy ships it.
    pub snowball: Option<SnowballStopWords>,
    /// Words support questions add: question words, modal verbs
    /// ([`stopwords`]).
    pub extra: &'static [&'static str],
}

/// The search box's texts in a language (served by `/locales`).
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Labels {
    pub placeholder: &'static str,
    pub searching: &'static str,
    /// Followed by the query.
    pub no_results: &'static str,
    pub unavailable: &'static str,
    pub other_languages: &'static str,
    /// After a number of results.
    pub results: &'static str,
    /// Above the reader's recent searches.
    pub recent: &'static str,
    /// Clears the recent searches.
    pub clear: &'static str,
    /// Removes one recent search.
    pub remove: &'static str,
}

/// Everything kensaku knows about one language.
#[derive(Debug, Clone, Copy)]
pub struct LanguageSpec {
    pub language: Language,
    /// Primary BCP-47 subtag (`ja`); `other` for the fallback.
    pub code: &'static str,
    /// The language's name for itself; `None` for the fallback.
    pub name: Option<&'static str>,
    /// The scripts its text is written in, for detecting a query's language.
    pub writing: &'static [Writing],
    /// whatlang's language, which ranks same-script languages on a query.
    pub whatlang: Option<Lang>,
    /// Whether words are separated by spaces (not so in Japanese and Chinese).
    pub space_separated: bool,
    pub segmentation: Segmentation,
    /// Snowball stemmer; `None` leaves words as they are.
    pub stemmer: Option<frostem::Algorithm>,
    pub stop_words: StopWords,
    /// Elided articles stripped before an apostrophe (`l'espace` → `espace`).
    pub elided_articles: &'static [&'static str],
    /// Whether `'s` and a final `'` are stripped (English possessives).
    pub strips_possessive: bool,
    /// For languages that write compounds as one word (German
    /// `Servergröße`, the server's size): the linking elements that may join
    /// a compound's parts (`Abrechnung·s·zeitraum`). A query word the index
    /// does not know then also matches a document holding every one of its
    /// parts ([`crate::search::expand::compound_parts`]). `None`: compounds are
    /// written apart, or segmented by a dictionary.
    pub compound_links: Option<&'static [&'static str]>,
    /// Whether accents are folded to ASCII after stemming (`é` → `e`).
    pub folds_accents: bool,
    /// Whether a character carries about a word and costs a language model
    /// about a token (Japanese, Korean, Chinese): text measured in
    /// characters is cut shorter (snippets, embedded passages).
    pub dense: bool,
    /// Target length of a snippet, in characters.
    pub snippet_chars: usize,
    /// The search box's texts; the fallback has English ones.
    pub labels: Labels,
}

const NO_STOP_WORDS: StopWords = StopWords {
    snowball: None,
    extra: &[],
};

/// Snippet length of languages written with spaces, in characters; those
/// written without get half (a CJK character carries about a word).
const SPACED_SNIPPET_CHARS: usize = 160;
const UNSPACED_SNIPPET_CHARS: usize = 80;

/// One row per [`Language`], in the enum's order (checked at compile time).
pub const SPECS: [LanguageSpec; 12] = [
    LanguageSpec {
        language: Language::Ja,
        code: "ja",
        name: Some("日本語"),
        writing: &[Writing::Kana, Writing::Han],
        whatlang: Some(Lang::Jpn),
        space_separated: false,
        segmentation: Segmentation::Japanese,
        stemmer: None,
        stop_words: NO_STOP_WORDS,
        elided_articles: &[],
        strips_possessive: false,
        compound_links: None,
        folds_accents: false,
        dense: true,
        snippet_chars: UNSPACED_SNIPPET_CHARS,
        labels: Labels {
            placeholder: "ドキュメントを検索",
            searching: "検索中…",
            no_results: "一致する結果がありません:",
            unavailable: "検索を利用できません。もう一度お試しください。",
            other_languages: "他の言語の結果:",
            results: "件",
            recent: "最近の検索",
            clear: "すべて消去",
            remove: "削除",
        },
    },
    LanguageSpec {
        language: Language::Ko,
        code: "ko",
        name: Some("한국어"),
        writing: &[Writing::Hangul],
        whatlang: Some(Lang::Kor),
        // Korean separates words (eojeol) by spaces, but a particle is
        // written on to its noun: snippets are measured like CJK text.
        space_separated: true,
        segmentation: Segmentation::Korean,
        stemmer: None,
        stop_words: NO_STOP_WORDS,
        elided_articles: &[],
        strips_possessive: false,
        compound_links: None,
        folds_accents: false,
        dense: true,
        snippet_chars: UNSPACED_SNIPPET_CHARS,
        labels: Labels {
            placeholder: "문서 검색",
            searching: "검색 중…",
            no_results: "결과 없음:",
            unavailable: "검색을 사용할 수 없습니다. 다시 시도하세요.",
            other_languages: "다른 언어의 결과:",
            results: "개 결과",
            recent: "최근 검색",
            clear: "모두 지우기",
            remove: "삭제",
        },
    },
    LanguageSpec {
        language: Language::Zh,
        code: "zh",
        name: Some("中文"),
        writing: &[Writing::Han],
        whatlang: Some(Lang::Cmn),
        space_separated: false,
        segmentation: Segmentation::Chinese,
        stemmer: None,
        stop_words: NO_STOP_WORDS,
        elided_articles: &[],
        strips_possessive: false,
        compound_links: None,
        folds_accents: false,
        dense: true,
        snippet_chars: UNSPACED_SNIPPET_CHARS,
        labels: Labels {
            placeholder: "搜索文档",
            searching: "正在搜索…",
            no_results: "没有结果:",
            unavailable: "搜索暂时不可用，请重试。",
            other_languages: "其他语言的结果:",
            results: "条结果",
            recent: "最近搜索",
            clear: "全部清除",
            remove: "删除",
        },
    },
    LanguageSpec {
        language: Language::Ru,
        code: "ru",
        name: Some("Русский"),
        writing: &[Writing::Cyrillic],
        whatlang: Some(Lang::Rus),
        space_separated: true,
        segmentation: Segmentation::Words,
        stemmer: Some(frostem::Algorithm::Russian),
        stop_words: StopWords {
            snowball: Some(SnowballStopWords::Russian),
            extra: stopwords::RUSSIAN_EXTRA,
        },
        elided_articles: &[],
        strips_possessive: false,
        compound_links: None,
        // Folding would turn й into и: different words.
        folds_accents: false,
        dense: false,
        snippet_chars: SPACED_SNIPPET_CHARS,
        labels: Labels {
            placeholder: "Поиск по документации",
            searching: "Поиск…",
            no_results: "Ничего не найдено:",
            unavailable: "Поиск недоступен. Повторите попытку.",
            other_languages: "Результаты на других языках:",
            results: "результатов",
            recent: "Недавние запросы",
            clear: "Очистить",
            remove: "Удалить",
        },
    },
    LanguageSpec {
        language: Language::Fr,
        code: "fr",
        name: Some("Français"),
        writing: &[Writing::Latin],
        whatlang: Some(Lang::Fra),
        space_separated: true,
        segmentation: Segmentation::Words,
        stemmer: Some(frostem::Algorithm::French),
        stop_words: StopWords {
            snowball: Some(SnowballStopWords::French),
            extra: stopwords::FRENCH_EXTRA,
        },
        elided_articles: &[
            "l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu",
        ],
        strips_possessive: false,
        compound_links: None,
        folds_accents: true,
        dense: false,
        snippet_chars: SPACED_SNIPPET_CHARS,
        labels: Labels {
            placeholder: "Rechercher dans la documentation",
            searching: "Recherche…",
            no_results: "Aucun résultat pour",
            unavailable: "La recherche est indisponible. Réessayez.",
            other_languages: "Résultats dans d'autres langues :",
            results: "résultats",
            recent: "Recherches récentes",
            clear: "Tout effacer",
            remove: "Supprimer",
        },
    },
    LanguageSpec {
        language: Language::De,
        code: "de",
        name: Some("Deutsch"),
        writing: &[Writing::Latin],
        whatlang: Some(Lang::Deu),
        space_separated: true,
        segmentation: Segmentation::Words,
        stemmer: Some(frostem::Algorithm::German),
        stop_words: StopWords {
            snowball: Some(SnowballStopWords::German),
            extra: stopwords::GERMAN_EXTRA,
        },
        elided_articles: &[],
        strips_possessive: false,
        compound_links: Some(&["s", "es", "n", "en"]),
        folds_accents: true,
        dense: false,
        snippet_chars: SPACED_SNIPPET_CHARS,
        labels: Labels {
            placeholder: "Dokumentation durchsuchen",
            searching: "Suche…",
            no_results: "Keine Ergebnisse für",
            unavailable: "Die Suche ist nicht verfügbar. Bitte erneut versuchen.",
            other_languages: "Ergebnisse in anderen Sprachen:",
            results: "Ergebnisse",
            recent: "Letzte Suchen",
            clear: "Alle löschen",
            remove: "Entfernen",
        },
    },
    LanguageSpec {
        language: Language::Es,
        code: "es",
        name: Some("Español"),
        writing: &[Writing::Latin],
        whatlang: Some(Lang::Spa),
        space_separated: true,
        segmentation: Segmentation::Words,
        stemmer: Some(frostem::Algorithm::Spanish),
        stop_words: StopWords {
            snowball: Some(SnowballStopWords::Spanish),
            extra: stopwords::SPANISH_EXTRA,
        },
        elided_articles: &[],
        strips_possessive: false,
        compound_links: None,
        folds_accents: true,
        dense: false,
        snippet_chars: SPACED_SNIPPET_CHARS,
        labels: Labels {
            placeholder: "Buscar en la documentación",
            searching: "Buscando…",
            no_results: "No hay resultados para",
            unavailable: "La búsqueda no está disponible. Inténtelo de nuevo.",
            other_languages: "Resultados en otros idiomas:",
            results: "resultados",
            recent: "Búsquedas recientes",
            clear: "Borrar todo",
            remove: "Quitar",
        },
    },
    LanguageSpec {
        language: Language::En,
        code: "en",
        name: Some("English"),
        writing: &[Writing::Latin],
        whatlang: Some(Lang::Eng),
        space_separated: true,
        segmentation: Segmentation::Words,
        stemmer: Some(frostem::Algorithm::English),
        stop_words: StopWords {
            snowball: Some(SnowballStopWords::English),
            extra: stopwords::ENGLISH_EXTRA,
        },
        elided_articles: &[],
        strips_possessive: true,
        compound_links: None,
        folds_accents: true,
        dense: false,
        snippet_chars: SPACED_SNIPPET_CHARS,
        labels: ENGLISH_LABELS,
    },
    LanguageSpec {
        language: Language::It,
        code: "it",
        name: Some("Italiano"),
        writing: &[Writing::Latin],
        whatlang: Some(Lang::Ita),
        space_separated: true,
        segmentation: Segmentation::Words,
        stemmer: Some(frostem::Algorithm::Italian),
        stop_words: StopWords {
            snowball: Some(SnowballStopWords::Italian),
            extra: stopwords::ITALIAN_EXTRA,
        },
        // Lucene's ItalianAnalyzer articles.
        elided_articles: &[
            "c", "l", "all", "dall", "dell", "nell", "sull", "coll", "pell", "gl", "agl", "dagl",
            "degl", "negl", "sugl", "un", "m", "t", "s", "v", "d",
        ],
        strips_possessive: false,
        compound_links: None,
        folds_accents: true,
        dense: false,
        snippet_chars: SPACED_SNIPPET_CHARS,
        labels: Labels {
            placeholder: "Cerca nella documentazione",
            searching: "Ricerca in corso…",
            no_results: "Nessun risultato per",
            unavailable: "La ricerca non è disponibile. Riprova.",
            other_languages: "Risultati in altre lingue:",
            results: "risultati",
            recent: "Ricerche recenti",
            clear: "Cancella tutto",
            remove: "Rimuovi",
        },
    },
    LanguageSpec {
        language: Language::Pt,
        code: "pt",
        name: Some("Português"),
        writing: &[Writing::Latin],
        whatlang: Some(Lang::Por),
        space_separated: true,
        segmentation: Segmentation::Words,
        stemmer: Some(frostem::Algorithm::Portuguese),
        stop_words: StopWords {
            snowball: Some(SnowballStopWords::Portuguese),
            extra: stopwords::PORTUGUESE_EXTRA,
        },
        elided_articles: &[],
        strips_possessive: false,
        compound_links: None,
        folds_accents: true,
        dense: false,
        snippet_chars: SPACED_SNIPPET_CHARS,
        labels: Labels {
            placeholder: "Pesquisar na documentação",
            searching: "Pesquisando…",
            no_results: "Nenhum resultado para",
            unavailable: "A pesquisa não está disponível. Tente novamente.",
            other_languages: "Resultados em outros idiomas:",
            results: "resultados",
            recent: "Pesquisas recentes",
            clear: "Limpar tudo",
            remove: "Remover",
        },
    },
    LanguageSpec {
        language: Language::Nl,
        code: "nl",
        name: Some("Nederlands"),
        writing: &[Writing::Latin],
        whatlang: Some(Lang::Nld),
        space_separated: true,
        segmentation: Segmentation::Words,
        stemmer: Some(frostem::Algorithm::Dutch),
        stop_words: StopWords {
            snowball: Some(SnowballStopWords::Dutch),
            extra: stopwords::DUTCH_EXTRA,
        },
        elided_articles: &[],
        strips_possessive: false,
        compound_links: Some(&["s", "en"]),
        folds_accents: true,
        dense: false,
        snippet_chars: SPACED_SNIPPET_CHARS,
        labels: Labels {
            placeholder: "Documentatie doorzoeken",
            searching: "Zoeken…",
            no_results: "Geen resultaten voor",
            unavailable: "Zoeken is niet beschikbaar. Probeer het opnieuw.",
            other_languages: "Resultaten in andere talen:",
            results: "resultaten",
            recent: "Recente zoekopdrachten",
            clear: "Alles wissen",
            remove: "Verwijderen",
        },
    },
    LanguageSpec {
        language: Language::Other,
        code: "other",
        name: None,
        writing: &[],
        whatlang: None,
        space_separated: true,
        segmentation: Segmentation::Words,
        stemmer: None,
        stop_words: NO_STOP_WORDS,
        elided_articles: &[],
        strips_possessive: false,
        compound_links: None,
        folds_accents: false,
        dense: false,
        snippet_chars: SPACED_SNIPPET_CHARS,
        labels: ENGLISH_LABELS,
    },
];

const ENGLISH_LABELS: Labels = Labels {
    placeholder: "Search docs",
    searching: "Searching…",
    no_results: "No results for",
    unavailable: "Search is unavailable. Try again.",
    other_languages: "Results in other languages:",
    results: "results",
    recent: "Recent searches",
    clear: "Clear all",
    remove: "Remove",
};

// Row `i` of SPECS describes the language whose discriminant is `i`.
const _: () = {
    let mut i = 0;
    while i < SPECS.len() {
        assert!(
            SPECS[i].language as usize == i,
            "SPECS is not in Language order"
        );
        i += 1;
    }
};

impl Language {
    /// The language the articles are written in before they are translated
    /// (a localized body may keep the English original of its sentences in
    /// bilingual spans): its locale's articles are the *originals* of every
    /// other locale's, under the same ids.
    pub const ORIGINALS: Language = Language::En;

    /// Every language, the fallback last.
    pub const ALL: [Language; SPECS.len()] = {
        let mut all = [Language::Other; SPECS.len()];
        let mut i = 0;
        while i < SPECS.len() {
            all[i] = SPECS[i].language;
            i += 1;
        }
        all
    };

    /// The registry row of this language.
    pub fn spec(self) -> &'static LanguageSpec {
        &SPECS[self as usize]
    }

    /// The language of a primary subtag (`ja`); [`Language::Other`] for
    /// languages without a row.
    pub fn from_primary_subtag(subtag: &str) -> Language {
        SPECS
            .iter()
            .find(|spec| spec.code == subtag && spec.language != Language::Other)
            .map_or(Language::Other, |spec| spec.language)
    }

    /// Short code used in analyzer names (`kensaku_ja`).
    pub fn code(self) -> &'static str {
        self.spec().code
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialized_name_is_the_code() {
        for language in Language::ALL {
            let json = serde_json::to_string(&language).unwrap();
            assert_eq!(json, format!("\"{}\"", language.code()));
            assert_eq!(
                serde_json::from_str::<Language>(&json).unwrap(),
                language,
                "{json}"
            );
            if language != Language::Other {
                assert_eq!(Language::from_primary_subtag(language.code()), language);
            }
        }
    }

    #[test]
    fn writing_of_letters() {
        assert_eq!(Writing::of('a'), Some(Writing::Latin));
        assert_eq!(Writing::of('é'), Some(Writing::Latin));
        assert_eq!(Writing::of('я'), Some(Writing::Cyrillic));
        assert_eq!(Writing::of('請'), Some(Writing::Han));
        assert_eq!(Writing::of('ダ'), Some(Writing::Kana));
        assert_eq!(Writing::of('청'), Some(Writing::Hangul));
        assert_eq!(Writing::of('1'), None);
        assert_eq!(Writing::of('ด'), None);
    }

    #[test]
    fn dictionary_segmenters_have_no_stop_word_filter() {
        for spec in &SPECS {
            if spec.segmentation.is_dictionary() {
                assert!(spec.stop_words.snowball.is_none() && spec.stop_words.extra.is_empty());
                assert!(spec.stemmer.is_none());
            }
        }
    }
}
