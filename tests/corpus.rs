//! The whole shared corpus: all 8 locales indexed, searched and evaluated.
//! Needs `../shared` (skipped elsewhere; required in CI).

mod common;

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
