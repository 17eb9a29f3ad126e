use super::*;

fn locale(tag: &str) -> Locale {
    Locale::parse(tag).unwrap()
}

fn parse_str(id: &str, folder: &str, text: &str) -> Result<Parsed, ArticleError> {
    let folder = locale(folder);
    parse(
        &Source {
            id,
            folder_locale: Some(&folder),
            bytes: text.as_bytes(),
        },
        &UrlTemplate::default(),
    )
}

const BILINGUAL: &str = r#"---
title: 請求書のダウンロード
description: 過去の請求書を取得します。
ms.topic: article
ms.service: partner-dashboard
ms.contentlocale: ja-JP
ms.translationtype: MT
ms.locfileid: "112489885"
ms.custom:
- SEO
---
# <a name="download-invoices"></a><span data-ttu-id="a1-101">請求書をダウンロードする</span><span class="sxs-lookup"><span data-stu-id="a1-101">Download invoices</span></span>

<span data-ttu-id="a1-102">**適用対象**: パートナー センター</span><span class="sxs-lookup"><span data-stu-id="a1-102">**Applies to**: Partner Center</span></span> <span data-ttu-id="a1-103">請求書は [課金](billing.md) ページにあります &amp; 保存されます。</span><span class="sxs-lookup"><span data-stu-id="a1-103">Invoices are on the [Billing](billing.md) page &amp; kept.</span></span>

## <a name="older"></a><span data-ttu-id="a1-104">過去の請求書</span><span class="sxs-lookup"><span data-stu-id="a1-104">Older invoices</span></span>

> [!NOTE]
> <span data-ttu-id="a1-105">21Vianet の請求書は別です。</span><span class="sxs-lookup"><span data-stu-id="a1-105">21Vianet invoices are separate.</span></span>

- <span data-ttu-id="a1-106">CSV をダウンロードします。</span><span class="sxs-lookup"><span data-stu-id="a1-106">Download the CSV.</span></span>

| <span data-ttu-id="a1-107">列</span><span class="sxs-lookup"><span data-stu-id="a1-107">Column</span></span> | <span data-ttu-id="a1-108">説明</span><span class="sxs-lookup"><span data-stu-id="a1-108">Description</span></span> |
|---|---|
| ID | <span data-ttu-id="a1-109">請求書番号</span><span class="sxs-lookup"><span data-stu-id="a1-109">Invoice number</span></span> |

<table>
<tr><td><span data-ttu-id="a1-110">日付</span><span class="sxs-lookup"><span data-stu-id="a1-110">Dates</span></span></td><td>3.6.3</td></tr>
</table>

:::image type="content" source="media/x.png" alt-text="スクリーンショット":::

```powershell
Get-Invoice -Id 42
```

<span data-ttu-id="a1-111">:::no-loc text="Azure AD"::: を使用します。</span><span class="sxs-lookup"><span data-stu-id="a1-111">Use Azure AD.</span></span>
"#;

#[test]
fn bilingual_spans_split_localized_and_english() {
    let parsed = parse_str("partner-center/invoices.md", "ja-jp", BILINGUAL).unwrap();
    let a = parsed.article;
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(a.id, "partner-center/invoices.md");
    assert_eq!(a.locale.as_str(), "ja-jp");
    assert_eq!(a.title, "請求書のダウンロード");
    assert_eq!(a.url, "/docs/ja-jp/partner-center/invoices");
    assert_eq!(a.meta.get("topic"), Some("article"));
    assert_eq!(a.meta.get("translation_type"), Some("MT"));
    let body: String = a
        .sections
        .iter()
        .map(Section::text)
        .collect::<Vec<_>>()
        .join("\n");
    // No English leaks into the localized text …
    for english in [
        "Download",
        "Applies",
        "Older",
        "separate",
        "Column",
        "Dates",
        "Use Azure",
    ] {
        assert!(!body.contains(english), "{english:?} leaked into {body:?}");
        assert!(
            !a.headings().contains(english),
            "{english:?} leaked into headings"
        );
    }
    // … and it all lands in `english`.
    let english = a.english();
    for original in [
        "Download invoices",
        "Applies to",
        "Older invoices",
        "21Vianet invoices are separate.",
        "Invoice number",
        "Dates",
        "Use Azure AD.",
    ] {
        assert!(
            english.contains(original),
            "{original:?} missing from {english:?}"
        );
    }
    // Link text kept, URL dropped, entities decoded, directives handled.
    assert!(
        body.contains("請求書は 課金 ページにあります & 保存されます。"),
        "{body}"
    );
    assert!(!body.contains("billing.md"));
    assert!(!body.contains("スクリーンショット") && !body.contains(":::"));
    assert!(body.contains("Azure AD を使用します。"), "{body}");
}

#[test]
fn headings_start_sections_with_their_anchors() {
    let a = parse_str("x.md", "ja-jp", BILINGUAL).unwrap().article;
    let anchors: Vec<_> = a
        .sections
        .iter()
        .map(|s| (s.anchor.as_str(), s.level))
        .collect();
    assert_eq!(anchors, vec![("download-invoices", 1), ("older", 2)]);
    assert_eq!(a.sections[0].heading, "請求書をダウンロードする");
    assert_eq!(a.sections[1].heading, "過去の請求書");
    assert!(a.sections[1].english.starts_with("Older invoices"));
}

#[test]
fn block_kinds_mark_callouts_lists_tables_and_code() {
    let a = parse_str("x.md", "ja-jp", BILINGUAL).unwrap().article;
    let blocks = &a.sections[1].blocks;
    let kind_of = |needle: &str| {
        blocks
            .iter()
            .find(|b| b.text.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} not in {blocks:#?}"))
            .kind
    };
    assert_eq!(kind_of("21Vianet の請求書"), BlockKind::Callout);
    assert_eq!(kind_of("CSV をダウンロード"), BlockKind::ListItem);
    assert_eq!(kind_of("請求書番号"), BlockKind::TableRow);
    assert_eq!(kind_of("日付"), BlockKind::Paragraph);
    assert!(blocks.iter().any(|b| b.text.contains("3.6.3")));
    assert_eq!(kind_of("Get-Invoice"), BlockKind::Code);
}

#[test]
fn locale_disagreement_is_reported_and_declared_locale_wins() {
    let parsed = parse_str("x.md", "ko-kr", BILINGUAL).unwrap();
    assert_eq!(parsed.article.locale.as_str(), "ja-jp");
    assert!(
        parsed.warnings[0].contains("disagrees"),
        "{:?}",
        parsed.warnings
    );
}

#[test]
fn folder_locale_is_the_fallback() {
    let a = parse_str("x.md", "fr-fr", "---\ntitle: Factures\n---\nTexte.\n")
        .unwrap()
        .article;
    assert_eq!(a.locale.as_str(), "fr-fr");
    assert_eq!(a.sections[0].anchor, "");
    assert_eq!(a.sections[0].text(), "Texte.");
}

#[test]
fn tolerates_bom_crlf_and_missing_front_matter() {
    let text = "\u{feff}---\r\ntitle: T\r\n---\r\n# H\r\nline one\r\nline two\r\n";
    let a = parse_str("x.md", "en-us", text).unwrap().article;
    assert_eq!(a.title, "T");
    assert_eq!(a.sections[0].text(), "line one line two");

    let parsed = parse_str("x.md", "en-us", "# Only a heading\n\nSome text.\n").unwrap();
    assert_eq!(parsed.article.title, "Only a heading");
    assert_eq!(parsed.article.sections[0].anchor, "only-a-heading");
    assert_eq!(parsed.warnings.len(), 1);
}

#[test]
fn rejects_what_would_corrupt_the_index() {
    let bad_utf8 = parse(
        &Source {
            id: "x.md",
            folder_locale: None,
            bytes: b"---\ntitle: \xff\n---\n",
        },
        &UrlTemplate::default(),
    );
    assert_eq!(bad_utf8.unwrap_err(), ArticleError::NotUtf8(11));
    let binary = parse(
        &Source {
            id: "x.md",
            folder_locale: None,
            bytes: b"\x7fELF\x00\x01",
        },
        &UrlTemplate::default(),
    );
    assert_eq!(binary.unwrap_err(), ArticleError::Binary(4));
    assert!(matches!(
        parse_str("x.md", "en-us", "---\ntitle: [\n---\nx"),
        Err(ArticleError::FrontMatter(_))
    ));
    assert_eq!(
        parse_str("x.md", "en-us", "---\ntitle: ''\n---\n").unwrap_err(),
        ArticleError::Empty
    );
    assert!(matches!(
        parse_str("x.md", "en-us", "---\nms.contentlocale: ../x\n---\nx"),
        Err(ArticleError::InvalidLocale(_))
    ));
    let no_locale = parse(
        &Source {
            id: "x.md",
            folder_locale: None,
            bytes: b"# T\n\ntext\n",
        },
        &UrlTemplate::default(),
    );
    assert_eq!(no_locale.unwrap_err(), ArticleError::NoLocale);
}

#[test]
fn unclosed_spans_do_not_swallow_the_article() {
    let text = "---\ntitle: T\n---\n<span class=\"sxs-lookup\">English never closed\n\nLocalized text after.\n";
    let a = parse_str("x.md", "ja-jp", text).unwrap().article;
    assert_eq!(a.sections[0].text(), "Localized text after.");
    assert_eq!(a.english(), "English never closed");
}

#[test]
fn script_and_style_content_is_not_text() {
    let text =
        "---\ntitle: T\n---\n<div>\n<script>alert(1)</script><style>p{}</style>visible\n</div>\n";
    let a = parse_str("x.md", "en-us", text).unwrap().article;
    assert_eq!(a.sections[0].text(), "visible");
}

#[test]
fn url_template_places_locale_and_path() {
    let ja = locale("ja-jp");
    assert_eq!(
        UrlTemplate::new("https://learn.microsoft.com/{locale}/{path}").url(&ja, "a/b.md"),
        "https://learn.microsoft.com/ja-jp/a/b"
    );
    assert_eq!(
        UrlTemplate::new("https://x.org/docs/").url(&ja, "a.md"),
        "https://x.org/docs/a"
    );
}

/// Found by fuzzing (`fuzz/parse_article`, a real zh-cn article cut short):
/// a file that ends inside a tag must not put the tag's text into the index.
#[test]
fn a_file_cut_inside_a_tag_leaves_no_markup() {
    let text = "---\ntitle: T\n---\n<span data-ttu-id=\"a-1\">职能顾问增长是一项功能指标。</span> <span data-ttu-id=\"a9179-371";
    let parsed = parse_str("x.md", "zh-cn", text).unwrap();
    let blocks: Vec<&str> = parsed.article.sections[0]
        .blocks
        .iter()
        .map(|b| b.text.as_str())
        .collect();
    assert_eq!(blocks, ["职能顾问增长是一项功能指标。"]);
    // Literal angle brackets in prose stay.
    let parsed = parse_str("x.md", "en-us", "# T\n\nUse a < b and 3 <4 rule.\n").unwrap();
    assert_eq!(
        parsed.article.sections[0].blocks[0].text,
        "Use a < b and 3 <4 rule."
    );
}

/// Found by fuzzing (`fuzz/parse_article`, a mutated ja-jp table): a tag that
/// CommonMark rejects (a stray quote in an attribute name) but a browser reads
/// as a tag is markup, not text.
#[test]
fn a_malformed_tag_a_browser_accepts_is_not_text() {
    let text = "---\ntitle: T\n---\n| a |\n|---|\n| <span data-ttu-id=\"dpan data-ttu-id=\"d0dcd-239\">Vietnam</span><span class=\"sxs-lookup\"><span data-stu-id=\"d0dcd-239\">Vietnam</span></span> |\n| <span data-ttu-id=\"f06fb-144b>说明 |\n| <span data-ttu-id=\"f06fb-1\"?示例 |\n\nAfter <b x\"=\"1\">bold</b> text. Literal &lt;span&gt; stays.\n";
    let parsed = parse_str("x.md", "ja-jp", text).unwrap();
    let blocks: Vec<&str> = parsed.article.sections[0]
        .blocks
        .iter()
        .map(|b| b.text.as_str())
        .collect();
    assert_eq!(
        blocks,
        [
            "a",
            "Vietnam",
            "说明",
            "?示例",
            "After bold text. Literal <span> stays."
        ]
    );
}

#[test]
fn an_article_is_named_alike_in_every_format() {
    for id in [
        "billing/invoices.md",
        "billing/invoices/",
        "billing/invoices.html",
        "billing/invoices/index.html",
    ] {
        assert_eq!(super::id_key(id), "billing/invoices", "{id}");
    }
    assert_eq!(super::id_key("Archive/index.md"), "Archive");
    assert_eq!(super::id_key("Archive/"), "Archive");
    assert_eq!(super::id_key("reindex.md"), "reindex");
    assert_eq!(super::id_key("index.html"), "");
}
