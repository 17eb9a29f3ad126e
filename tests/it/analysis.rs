//! Analyzer behaviour on realistic support-docs text, in every language.

use crate::common;

use kensaku::analysis::{analyze, build};
use kensaku::article::{self, Source, UrlTemplate};
use kensaku::locale::{Language, Locale};

fn terms(language: Language, text: &str) -> Vec<String> {
    analyze(&mut build(language), text)
        .into_iter()
        .map(|t| t.text)
        .collect()
}

fn has_all(language: Language, text: &str, expected: &[&str]) {
    let got = terms(language, text);
    for e in expected {
        assert!(
            got.iter().any(|t| t == e),
            "{language}: {e:?} not in {got:?} for {text:?}"
        );
    }
}

fn has_none(language: Language, text: &str, unexpected: &[&str]) {
    let got = terms(language, text);
    for u in unexpected {
        assert!(
            !got.iter().any(|t| t == u),
            "{language}: {u:?} in {got:?} for {text:?}"
        );
    }
}

#[test]
fn japanese_compounds_width_and_prolonged_sounds() {
    // 関西国際空港 is one dictionary word; its parts are findable too.
    has_all(
        Language::Ja,
        "関西国際空港に到着します",
        &["関西国際空港", "関西", "国際", "空港"],
    );
    // Full-width letters and digits meet their ASCII forms.
    assert_eq!(
        terms(Language::Ja, "ＡＢＣ１２３"),
        terms(Language::Ja, "abc123")
    );
    // サーバー and サーバ are the same word.
    assert_eq!(
        terms(Language::Ja, "サーバー"),
        terms(Language::Ja, "サーバ")
    );
    // Particles, auxiliaries and symbols go; content words stay, verbs by base form.
    assert_eq!(
        terms(Language::Ja, "請求書をダウンロードできませんでした。"),
        ["請求", "書", "ダウンロード"]
    );
    has_all(Language::Ja, "ファイルが開けない", &["ファイル", "開ける"]);
}

#[test]
fn korean_particles_and_endings_are_dropped() {
    // In context, as in articles and questions. (Alone, ko-dic reads 고객의
    // as 고 + 객의, a Viterbi tie that context resolves.)
    let bare = terms(Language::Ko, "고객 구독");
    assert_eq!(terms(Language::Ko, "고객을 구독"), bare);
    assert_eq!(terms(Language::Ko, "고객의 구독"), bare);
    assert_eq!(terms(Language::Ko, "고객에게 구독"), bare);
    has_all(
        Language::Ko,
        "청구서를 다운로드하려면 파트너 센터에 로그인합니다",
        &["청구서", "다운로드", "파트너", "센터", "로그인"],
    );
    has_none(Language::Ko, "청구서를 다운로드하려면", &["를", "하려면"]);
}

#[test]
fn chinese_search_mode_finds_words_and_their_parts() {
    has_all(
        Language::Zh,
        "合作伙伴中心",
        &["合作伙伴", "合作", "伙伴", "中心"],
    );
    // Full-width forms fold.
    assert_eq!(terms(Language::Zh, "ＣＳＰ"), terms(Language::Zh, "CSP"));
    has_none(
        Language::Zh,
        "如何在合作伙伴中心下载发票？",
        &["如何", "在", "？"],
    );
}

#[test]
fn european_stemming_stop_words_elision_and_folding() {
    assert_eq!(
        terms(Language::En, "invoices"),
        terms(Language::En, "invoice")
    );
    has_none(
        Language::En,
        "how do I download the invoice",
        &["how", "do", "i", "the"],
    );
    assert_eq!(
        terms(Language::Fr, "l'Espace partenaires"),
        terms(Language::Fr, "espace partenaire")
    );
    assert_eq!(
        terms(Language::Fr, "facturé"),
        terms(Language::Fr, "facture")
    );
    assert_eq!(
        terms(Language::De, "Rechnungen"),
        terms(Language::De, "Rechnung")
    );
    assert_eq!(
        terms(Language::De, "Kündigung"),
        terms(Language::De, "kundigung")
    );
    assert_eq!(
        terms(Language::Es, "facturación"),
        terms(Language::Es, "facturacion")
    );
    assert_eq!(terms(Language::Ru, "счета"), terms(Language::Ru, "счет"));
    assert_eq!(terms(Language::Ru, "счёт"), terms(Language::Ru, "счет"));
}

/// Italian, Portuguese and Dutch are rows of the language registry: Snowball
/// stemming, stop words (Snowball's and the support-question ones), Italian
/// elision, accent folding — on sentences written for this test.
#[test]
fn italian_portuguese_and_dutch_from_their_registry_rows() {
    use Language::{It, Nl, Pt};
    assert_eq!(Locale::parse("it-it").unwrap().language(), It);
    assert_eq!(Locale::parse("pt-br").unwrap().language(), Pt);
    assert_eq!(Locale::parse("nl-nl").unwrap().language(), Nl);

    let it = "Come posso scaricare le fatture dell'account del mese scorso?";
    has_none(It, it, &["come", "posso", "le", "del", "dell'account"]);
    assert_eq!(
        terms(It, "scaricare la fattura"),
        terms(It, "scaricate le fatture")
    );
    assert_eq!(terms(It, "dell'utente"), terms(It, "l'utente"));
    assert_eq!(terms(It, "perché"), Vec::<String>::new());
    assert_eq!(terms(It, "città"), terms(It, "citta"));

    let pt = "Como posso baixar as faturas da minha conta no Partner Center?";
    has_none(Pt, pt, &["como", "posso", "as", "da", "minha", "no"]);
    assert_eq!(
        terms(Pt, "baixar a fatura"),
        terms(Pt, "baixando as faturas")
    );
    assert_eq!(terms(Pt, "cobrança"), terms(Pt, "cobranca"));

    let nl = "Hoe kan ik de facturen van mijn account downloaden?";
    has_none(Nl, nl, &["hoe", "kan", "ik", "de", "van", "mijn"]);
    assert_eq!(terms(Nl, "factuur"), terms(Nl, "facturen"));
    assert_eq!(terms(Nl, "klanten"), terms(Nl, "klant"));

    // Identifiers stay whole, as in every analyzer.
    for language in [It, Pt, Nl] {
        has_all(
            language,
            "21Vianet CSP 3.6.3",
            &["21vianet", "csp", "3.6.3"],
        );
    }
}

#[test]
fn identifiers_stay_whole_in_every_analyzer_and_script() {
    let cases = [
        (
            Language::Ja,
            "21Vianet が運営する Office 365 の MPN ID と CSP、バージョン 3.6.3 と Azure AD",
        ),
        (
            Language::Ko,
            "21Vianet에서 운영하는 Office 365의 MPN ID와 CSP, 버전 3.6.3 및 Azure AD",
        ),
        (
            Language::Zh,
            "由21Vianet运营的Office 365的MPN ID和CSP，版本3.6.3和Azure AD",
        ),
        (
            Language::Ru,
            "21Vianet управляет Office 365: MPN ID, CSP, версия 3.6.3 и Azure AD",
        ),
        (
            Language::Fr,
            "21Vianet exploite Office 365 : MPN ID, CSP, version 3.6.3 et Azure AD",
        ),
        (
            Language::De,
            "21Vianet betreibt Office 365: MPN ID, CSP, Version 3.6.3 und Azure AD",
        ),
        (
            Language::Es,
            "21Vianet opera Office 365: MPN ID, CSP, versión 3.6.3 y Azure AD",
        ),
        (
            Language::En,
            "21Vianet operates Office 365: MPN ID, CSP, version 3.6.3 and Azure AD",
        ),
        (
            Language::Other,
            "21Vianet Office 365 MPN ID CSP 3.6.3 Azure AD",
        ),
    ];
    for (language, text) in cases {
        let got = terms(language, text);
        for whole in ["21vianet", "365", "mpn", "csp", "3.6.3"] {
            assert!(
                got.iter().any(|t| t == whole),
                "{language}: {whole:?} not in {got:?}"
            );
        }
        // Office / Azure / AD / ID may be stemmed, but each is one token.
        for word in ["office", "azure", "ad", "id"] {
            let expected = terms(language, word);
            assert_eq!(
                expected.len(),
                1,
                "{language}: {word:?} analyzed to {expected:?}"
            );
            assert!(
                got.contains(&expected[0]),
                "{language}: {word:?} not in {got:?}"
            );
        }
    }
    // Translations write `21 vianet`: the parts of `21Vianet` match it.
    has_all(Language::Ja, "21Vianet", &["21", "vianet"]);
}

#[test]
fn same_analysis_for_query_and_document() {
    // The query side and the index side register the same analyzer by name.
    let manager = tantivy::tokenizer::TokenizerManager::new();
    kensaku::analysis::register(&manager, Language::ALL);
    for language in Language::ALL {
        let name = kensaku::analysis::analyzer_name(language);
        let mut registered = manager.get(&name).expect("registered");
        let text = "請求書 invoice 고객 счет 合作伙伴";
        let a: Vec<_> = analyze(&mut registered, text)
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert_eq!(a, terms(language, text), "{language}");
    }
}

/// Offsets and positions hold on every article of the shared corpus.
#[test]
fn offsets_and_positions_hold_on_the_whole_corpus() {
    let shared = require_shared!();
    let mut checked = 0;
    for locale in [
        "ja-jp", "ko-kr", "zh-cn", "ru-ru", "fr-fr", "de-de", "es-es", "en-us",
    ] {
        let locale = Locale::parse(locale).unwrap();
        let mut analyzer = build(locale.language());
        let folder = shared.join("corpus").join(locale.as_str());
        for entry in walkdir::WalkDir::new(&folder).into_iter().step_by(5) {
            let entry = entry.unwrap();
            if !entry.file_type().is_file() {
                continue;
            }
            let bytes = std::fs::read(entry.path()).unwrap();
            let id = entry
                .path()
                .strip_prefix(&folder)
                .unwrap()
                .to_string_lossy()
                .to_string();
            let parsed = article::parse(
                &Source {
                    id: &id,
                    folder_locale: Some(&locale),
                    bytes: &bytes,
                },
                &UrlTemplate::default(),
            )
            .unwrap();
            let text: String = parsed
                .article
                .sections
                .iter()
                .map(|s| s.text())
                .collect::<Vec<_>>()
                .join("\n");
            let mut previous = 0;
            for token in analyze(&mut analyzer, &text) {
                assert!(
                    token.offset_from < token.offset_to && token.offset_to <= text.len(),
                    "{id}: {token:?}"
                );
                assert!(
                    text.is_char_boundary(token.offset_from)
                        && text.is_char_boundary(token.offset_to)
                );
                assert!(
                    token.position >= previous,
                    "{id}: position went back at {token:?}"
                );
                previous = token.position;
                assert!(!token.text.is_empty());
            }
            checked += 1;
        }
    }
    assert!(checked > 400, "{checked}");
}

/// Real sentences of the corpus, found at run time (the corpus is not copied here).
#[test]
fn real_corpus_sentences_keep_their_key_terms() {
    let shared = require_shared!();
    let find = |locale: &str, needle: &str| -> String {
        for entry in walkdir::WalkDir::new(shared.join("corpus").join(locale)) {
            let entry = entry.unwrap();
            if !entry.file_type().is_file() {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).unwrap();
            for span in text.split("<span data-ttu-id=").skip(1) {
                let sentence = span.split_once('>').map(|x| x.1).unwrap_or("");
                let sentence = sentence.split("</span>").next().unwrap_or("");
                if sentence.contains(needle) {
                    return sentence.to_string();
                }
            }
        }
        panic!("no {locale} sentence contains {needle:?}");
    };
    has_all(
        Language::Ja,
        &find("ja-jp", "21Vianet が運営する"),
        &["21vianet", "運営", "パートナ", "センタ"],
    );
    has_all(Language::Ja, &find("ja-jp", "MPN ID"), &["mpn", "id"]);
    has_all(Language::Ko, &find("ko-kr", "Azure AD"), &["azure", "ad"]);
    has_all(
        Language::Zh,
        &find("zh-cn", "世纪互联运营的合作伙伴中心"),
        &["世纪", "合作伙伴", "中心"],
    );
    has_all(
        Language::Zh,
        &find("zh-cn", "Office 365"),
        &["office", "365"],
    );
    has_all(Language::Zh, &find("zh-cn", "4.6.1"), &["4.6.1"]);
}
