//! The whole shared corpus: all 8 locales indexed, searched and evaluated.
//! Needs `../shared` (skipped elsewhere; required in CI).

use crate::common;

use kensaku::eval;
use kensaku::index::{self, BuildOptions, Corpus, IndexDir};
use kensaku::locale::Locale;
use kensaku::search::SearchRequest;

const LOCALES: [&str; 8] = [
    "de-de", "en-us", "es-es", "fr-fr", "ja-jp", "ko-kr", "ru-ru", "zh-cn",
];

#[test]
fn indexes_every_locale_and_reports_what_it_skipped() {
    let shared = require_shared!();
    let built = common::corpus_index(&shared);
    for locale in LOCALES {
        let report = &built.report.locales[&Locale::parse(locale).unwrap()];
        assert_eq!(report.documents, 325, "{locale}");
    }
    // The corpus README sits outside any locale folder.
    let skipped: Vec<_> = built
        .report
        .skipped
        .iter()
        .map(|s| s.path.as_str())
        .collect();
    assert_eq!(skipped, ["README.md"]);
    assert_eq!(built.engine.snapshot().locales.len(), 8);
}

/// A support question per locale finds its article in the top 3.
#[test]
fn finds_a_known_article_in_the_top_3_in_every_locale() {
    let shared = require_shared!();
    let engine = &common::corpus_index(&shared).engine;
    let cases = [
        (
            "en-us",
            "how do I reset a user's password",
            "partner-center/reset-a-user-password.md",
        ),
        (
            "de-de",
            "Kennwort eines Benutzers zurücksetzen",
            "partner-center/reset-a-user-password.md",
        ),
        (
            "es-es",
            "restablecer la contraseña de un usuario",
            "partner-center/reset-a-user-password.md",
        ),
        (
            "fr-fr",
            "réinitialiser le mot de passe d'un utilisateur",
            "partner-center/reset-a-user-password.md",
        ),
        (
            "ja-jp",
            "請求書 ダウンロード",
            "partner-center/read-your-bill.md",
        ),
        (
            "ko-kr",
            "사용자 암호 재설정",
            "partner-center/reset-a-user-password.md",
        ),
        (
            "ru-ru",
            "сбросить пароль пользователя",
            "partner-center/reset-a-user-password.md",
        ),
        (
            "zh-cn",
            "如何为客户提交支持请求",
            "partner-center/report-problems-on-behalf-of-a-customer.md",
        ),
    ];
    for (locale, query, expected) in cases {
        let request = SearchRequest::new(query)
            .locale(Locale::parse(locale).unwrap())
            .limit(3);
        let response = engine.search(&request).unwrap();
        let ids: Vec<_> = response.hits.iter().map(|h| h.id.as_str()).collect();
        assert!(
            ids.contains(&expected),
            "{locale} {query:?}: {expected} not in {ids:?}"
        );
        for hit in &response.hits {
            assert_eq!(hit.locale.as_str(), locale);
            assert!(!hit.snippet.is_empty() && !hit.title.is_empty(), "{hit:?}");
        }
    }
}

/// The relevance bar of the product, on the dev judgments.
#[test]
fn relevance_on_the_dev_set_meets_the_bar_in_every_locale() {
    let shared = require_shared!();
    let engine = &common::corpus_index(&shared).engine;
    let judgments = eval::read_judgments(&shared.join("eval/dev.jsonl")).unwrap();
    let report = eval::evaluate(engine, &judgments, eval::Options::default()).unwrap();
    println!("{}", report.table());
    for (locale, summary) in &report.by_locale {
        assert!(
            summary.success_at_10 >= 0.95,
            "{locale}: Success@10 {:.3}",
            summary.success_at_10
        );
        assert!(
            summary.mrr_at_10 >= 0.85,
            "{locale}: MRR@10 {:.3}",
            summary.mrr_at_10
        );
    }
    assert!(
        report.overall.mrr_at_10 >= 0.90,
        "overall MRR@10 {:.3}",
        report.overall.mrr_at_10
    );
}

/// Without the locale in the request, detection picks it: the bar holds.
#[test]
fn relevance_holds_with_detected_locales() {
    let shared = require_shared!();
    let engine = &common::corpus_index(&shared).engine;
    let judgments = eval::read_judgments(&shared.join("eval/dev.jsonl")).unwrap();
    let options = eval::Options {
        detect_locale: true,
        ..Default::default()
    };
    let report = eval::evaluate(engine, &judgments, options).unwrap();
    println!("{}", report.table());
    for (locale, summary) in &report.by_locale {
        assert!(
            summary.success_at_10 >= 0.95,
            "{locale}: Success@10 {:.3}",
            summary.success_at_10
        );
    }
    assert!(
        report.overall.mrr_at_10 >= 0.90,
        "overall MRR@10 {:.3}",
        report.overall.mrr_at_10
    );
}

/// A misspelt English query asked of ja-jp is corrected in its own
/// language: its words are expanded in en-us (the locale it is also matched
/// in), not in ja-jp, where they are foreign; it ranks the Japanese articles
/// as en-us ranks their originals.
#[test]
fn a_misspelt_query_in_another_script_is_corrected_in_its_own_language() {
    let shared = require_shared!();
    let engine = &common::corpus_index(&shared).engine;
    let top = |locale: &str| -> Vec<String> {
        let request = SearchRequest::new("dowload invocie").locale(Locale::parse(locale).unwrap());
        let response = engine.search(&request).unwrap();
        response.hits.iter().take(5).map(|h| h.id.clone()).collect()
    };
    let english = top("en-us");
    assert!(
        english.contains(&"partner-center/mpn-view-print-maps-invoice.md".to_string()),
        "{english:?}"
    );
    assert_eq!(top("ja-jp"), english);
}

/// Routing reads every candidate locale but plans in full only those that
/// can win, on the bounds a reading gives its plan's recognition. The
/// bounds hold for every judged query (and typed, misspelt and cut-off
/// variants) in every locale, and the locales chosen are those planning
/// every candidate would choose.
#[test]
fn routing_plans_only_locales_that_can_win_and_chooses_as_if_it_planned_all() {
    use kensaku::search::analyzers::QueryAnalyzers;
    use kensaku::search::detect;
    use kensaku::search::plan::{self, Ranking};
    use kensaku::search::route;

    let shared = require_shared!();
    let engine = &common::corpus_index(&shared).engine;
    let snapshot = engine.snapshot();
    let curated = engine.curated();
    let ranking = Ranking::default();
    let mut queries = Vec::new();
    for set in ["eval/dev.jsonl", "eval/dev2.jsonl"] {
        for judged in eval::read_judgments(&shared.join(set)).unwrap() {
            let q = judged.query.clone();
            // Typed (no final space: the last word gets completions), cut
            // off mid-word, and with a typo in a long word.
            let cut: String = q.chars().take(q.chars().count() * 2 / 3).collect();
            let typo = q.replacen("ice", "cie", 1).replacen("tion", "iton", 1);
            queries.extend([format!("{q} "), q, cut, typo]);
        }
    }
    let indexed: Vec<Locale> = snapshot.locales.keys().cloned().collect();
    let mut pruned = 0;
    for q in &queries {
        let detection = detect::detect(q.trim(), &indexed);
        let mut planned = Vec::new();
        let mut bounds = Vec::new();
        for candidate in &detection.candidates {
            let index = &snapshot.locales[&candidate.locale];
            let searcher = index.searcher();
            let ctx = plan::Context {
                searcher: &searcher,
                fields: index.fields(),
                language: index.language,
                ranking: &ranking,
                synonyms: curated.synonyms(&index.locale),
            };
            let mut analyzers = QueryAnalyzers::for_language(index.language);
            let reading = plan::read(q, &ctx, &mut analyzers).unwrap();
            let (least, most) = reading.recognition_bounds();
            let recognition = plan::plan_reading(reading, q, &ctx, &mut analyzers)
                .unwrap()
                .recognition;
            assert!(
                least <= recognition && recognition <= most,
                "{q:?} in {}: {recognition} outside [{least}, {most}]",
                index.locale
            );
            let weight = if detection.merge {
                1.0
            } else {
                candidate.prior
            };
            bounds.push((least * weight, most * weight));
            planned.push((candidate.locale.clone(), recognition, candidate.prior));
        }
        // Candidates that cannot reach the surest one's least are not planned.
        let surest = bounds.iter().map(|b| b.0).fold(0.0, f32::max);
        let floor = if detection.merge {
            surest * ranking.merge_threshold
        } else {
            surest
        };
        pruned += bounds.iter().filter(|b| b.1 < floor).count();
        // What choosing among every candidate's full plan gives.
        let expected: Vec<Locale> = if detection.merge {
            let best = planned.iter().map(|p| p.1).fold(0.0, f32::max);
            planned
                .iter()
                .filter(|p| p.1 > 0.0 && p.1 >= best * ranking.merge_threshold)
                .map(|p| p.0.clone())
                .collect()
        } else {
            let mut best: Option<&(Locale, f32, f32)> = None;
            for p in &planned {
                if best.is_none_or(|b| p.1 * p.2 > b.1 * b.2) {
                    best = Some(p);
                }
            }
            best.map(|b| b.0.clone()).into_iter().collect()
        };
        let request = SearchRequest::new(q.clone());
        let chosen: Vec<Locale> = route::route(&snapshot, &request, &ranking, &curated)
            .unwrap()
            .targets
            .iter()
            .map(|t| t.index.locale.clone())
            .collect();
        assert_eq!(chosen, expected, "{q:?}");
    }
    // The bounds are worth having: some candidates are never planned.
    assert!(pruned > 0);
}

/// A second build over an unchanged corpus analyzes nothing and publishes nothing.
#[test]
fn rebuilding_an_unchanged_corpus_does_no_work() {
    let shared = require_shared!();
    let built = common::corpus_index(&shared);
    let dir = IndexDir::new(&built.path);
    let before: Vec<_> = LOCALES
        .iter()
        .map(|l| {
            dir.current(&Locale::parse(l).unwrap())
                .unwrap()
                .unwrap()
                .number
        })
        .collect();
    let report = index::build(
        &Corpus::Dir(shared.join("corpus")),
        &dir,
        &BuildOptions::default(),
    )
    .unwrap();
    assert_eq!(report.unchanged, 2600);
    assert_eq!(report.bytes_analyzed, 0);
    assert!(
        report
            .locales
            .values()
            .all(|l| l.generation.is_none() && l.added == 0)
    );
    let after: Vec<_> = LOCALES
        .iter()
        .map(|l| {
            dir.current(&Locale::parse(l).unwrap())
                .unwrap()
                .unwrap()
                .number
        })
        .collect();
    assert_eq!(before, after);
}

fn top_ids(
    locale: Option<&str>,
    query: &str,
    n: usize,
) -> (Vec<String>, kensaku::search::SearchResponse) {
    let shared = common::shared().unwrap();
    let engine = &common::corpus_index(&shared).engine;
    let mut request = SearchRequest::new(query).limit(n);
    request.locale = locale.map(|l| Locale::parse(l).unwrap());
    let response = engine.search(&request).unwrap();
    (
        response
            .hits
            .iter()
            .map(|h| format!("{}/{}", h.locale, h.id))
            .collect(),
        response,
    )
}

/// An English query against a localized index finds the localized
/// articles: it is run in en-us too, whose matches are the same articles
/// (translations share ids), ahead of the locale's own English originals.
#[test]
fn english_queries_find_localized_articles() {
    let _shared = require_shared!();
    let (ids, _) = top_ids(Some("ja-jp"), "download invoice", 10);
    assert!(
        ids.contains(&"ja-jp/partner-center/read-your-bill.md".to_string()),
        "{ids:?}"
    );
    let (english, _) = top_ids(Some("en-us"), "download invoice", 3);
    let article = |id: &String| id.split_once('/').unwrap().1.to_string();
    assert_eq!(
        ids[..3].iter().map(article).collect::<Vec<_>>(),
        english.iter().map(article).collect::<Vec<_>>(),
        "the English ranking, in Japanese articles"
    );
    let (ids, _) = top_ids(Some("ko-kr"), "reset a user's password", 3);
    assert!(
        ids.contains(&"ko-kr/partner-center/reset-a-user-password.md".to_string()),
        "{ids:?}"
    );
}

/// Kanji/hanzi-only queries are ambiguous: both locales are weighed, and
/// the one whose words they are wins.
#[test]
fn kanji_only_queries_search_japanese_and_chinese() {
    let _shared = require_shared!();
    // 請求書 is Japanese; 发票 is simplified Chinese; 合作伙伴中心 is Chinese too.
    let (ids, response) = top_ids(None, "請求書", 5);
    assert_eq!(
        response.detected_locale.as_ref().map(|l| l.as_str()),
        Some("ja-jp")
    );
    assert!(ids[0].starts_with("ja-jp/"), "{ids:?}");
    let (ids, response) = top_ids(None, "发票", 5);
    assert_eq!(
        response.detected_locale.as_ref().map(|l| l.as_str()),
        Some("zh-cn")
    );
    assert!(ids.iter().all(|id| id.starts_with("zh-cn/")), "{ids:?}");
    // 中心 is a word in both: both are searched and merged, one hit per article.
    let (ids, response) = top_ids(None, "中心", 10);
    let searched: Vec<_> = response.locales.iter().map(|l| l.as_str()).collect();
    assert!(
        searched.contains(&"ja-jp") && searched.contains(&"zh-cn"),
        "{searched:?}"
    );
    let articles: std::collections::HashSet<_> =
        ids.iter().map(|id| id.split_once('/').unwrap().1).collect();
    assert_eq!(
        articles.len(),
        ids.len(),
        "an article appears once: {ids:?}"
    );
}

#[test]
fn typos_in_latin_and_cyrillic_words_are_tolerated() {
    let _shared = require_shared!();
    let (ids, _) = top_ids(Some("en-us"), "reconcilation fiel", 3);
    assert!(ids.iter().any(|id| id.contains("recon")), "{ids:?}");
    let (ids, _) = top_ids(Some("ru-ru"), "сверка фаила", 3);
    assert!(ids.iter().any(|id| id.contains("recon")), "{ids:?}");
    // Exact spellings rank above typo matches.
    let (exact, _) = top_ids(Some("en-us"), "reconciliation file", 1);
    let (typo, _) = top_ids(Some("en-us"), "reconcilation file", 1);
    let score = |q| top_ids(Some("en-us"), q, 1).1.hits[0].score;
    assert!(
        score("reconciliation file") > score("reconcilation file"),
        "{exact:?} {typo:?}"
    );
}

/// A German compound the articles never write (`Servergröße`) finds the
/// articles that hold all of its parts (`Server`, `Größe`): the one that
/// answers which VM size to reserve among the first.
#[test]
fn an_unknown_german_compound_matches_its_parts() {
    let _shared = require_shared!();
    let (ids, response) = top_ids(Some("de-de"), "Servergröße", 3);
    assert!(
        ids.contains(&"de-de/partner-center/azure-usage.md".to_string()),
        "{ids:?}"
    );
    // Only documents with both parts match: a part alone is no compound.
    // The two words apart match documents with either.
    let (_, apart) = top_ids(Some("de-de"), "Server Größe", 3);
    assert!(response.total > 0);
    assert!(
        response.total < apart.total,
        "{} documents hold both parts, {} either",
        response.total,
        apart.total
    );
}

/// The last word is completed as it is typed.
#[test]
fn the_word_being_typed_matches_as_a_prefix() {
    let _shared = require_shared!();
    let (ids, _) = top_ids(Some("en-us"), "reset passw", 3);
    assert!(ids.iter().any(|id| id.contains("password")), "{ids:?}");
    let (ids, _) = top_ids(Some("en-us"), "reconciliation fi", 3);
    assert!(ids[0].contains("reconciliation"), "{ids:?}");
}

/// Long natural questions work in every CJK locale: particles and question
/// words do not drown the content words.
#[test]
fn questions_work_in_cjk_locales() {
    let _shared = require_shared!();
    let relevant = [
        "partner-center/read-your-bill.md",
        "partner-center/billing-basics.md",
    ];
    for (locale, question) in [
        (
            "ja-jp",
            "パートナー センターで過去の請求書をダウンロードするにはどうすればよいですか?",
        ),
        ("zh-cn", "在合作伙伴中心哪里可以下载以前的发票？"),
        (
            "ko-kr",
            "파트너 센터에서 지난 청구서는 어디에서 다운로드하나요?",
        ),
    ] {
        let (ids, _) = top_ids(Some(locale), question, 3);
        assert!(
            relevant
                .iter()
                .any(|r| ids.contains(&format!("{locale}/{r}"))),
            "{locale}: {question} → {ids:?}"
        );
    }
}

#[test]
fn identifiers_find_their_articles() {
    let _shared = require_shared!();
    // 21Vianet operates the archived China articles.
    for (locale, query) in [
        ("en-us", "21Vianet billing"),
        ("ja-jp", "21Vianet 請求"),
        ("zh-cn", "21Vianet 账单"),
    ] {
        let (ids, _) = top_ids(Some(locale), query, 3);
        assert!(
            ids.iter().all(|id| id.contains("/Archive/")),
            "{locale} {query}: {ids:?}"
        );
    }
    let (ids, _) = top_ids(Some("en-us"), "MPN ID", 5);
    assert!(!ids.is_empty());
}
