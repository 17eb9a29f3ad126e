//! The embeddable search box in headless Chromium, against the real server
//! on the shared corpus. Needs Chromium (skipped elsewhere; required in CI).

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::browser::{self, Browser};
use common::server::{Server, client};
use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::json;

/// A corpus of four shared locales (linked, not copied) plus an en-us
/// article full of markup that must stay inert.
fn corpus(shared: &Path, root: &Path) -> std::path::PathBuf {
    let corpus = root.join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    for locale in ["ja-jp", "zh-cn", "ko-kr", "ru-ru"] {
        std::os::unix::fs::symlink(shared.join("corpus").join(locale), corpus.join(locale))
            .unwrap();
    }
    std::fs::create_dir_all(corpus.join("en-us")).unwrap();
    std::fs::write(
        corpus.join("en-us/xss.md"),
        "---\ntitle: \"<img src=x onerror=window.__xss=1> zebrafish <script>window.__xss=2</script>\"\n\
         ms.contentlocale: en-US\n---\n# Zebrafish\n\n\
         The zebrafish &lt;img src=x onerror=window.__xss=3&gt; and &lt;script&gt;window.__xss=4&lt;/script&gt; \
         and a [link](javascript:window.__xss=5) stay text.\n",
    )
    .unwrap();
    corpus
}

/// Searches the server has answered so far, from its metrics.
fn search_requests(server: &Server) -> u64 {
    // reqwest's blocking client runs its own runtime: keep it off the async one.
    let metrics = tokio::task::block_in_place(|| {
        client()
            .get(server.url("/metrics"))
            .send()
            .unwrap()
            .text()
            .unwrap()
    });
    metrics
        .lines()
        .filter(|l| l.starts_with("kensaku_http_requests_total") && l.contains("route=\"/search\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

const INPUT: &str = "kensaku-search input[role=combobox]";
const OPTIONS: &str = "document.querySelectorAll('kensaku-search li[role=option]')";

async fn open_page(browser: &Browser, server: &Server, lang: &str) {
    browser
        .client
        .goto(&server.url(&format!("/?lang={lang}")))
        .await
        .unwrap();
    browser
        .wait_until(&format!("document.querySelector('{INPUT}')"))
        .await;
}

/// Clicks the element `css` selects.
async fn click(browser: &Browser, css: &str) {
    browser
        .client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Types `text` and returns the result links (`None` for a result shown without one).
async fn results_after_typing(browser: &Browser, text: &str) -> Vec<Option<String>> {
    let input = browser.client.find(Locator::Css(INPUT)).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
    browser.wait_until(&format!("{OPTIONS}.length > 0")).await;
    let hrefs = browser
        .eval(&format!(
            "Array.from({OPTIONS}).map(li => li.querySelector('a') && li.querySelector('a').href)"
        ))
        .await;
    serde_json::from_value(hrefs).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_search_box_in_chromium() {
    let Some(shared) = common::shared() else {
        return;
    };
    if !browser::available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let corpus = corpus(&shared, tmp.path());
    let server = Server::start(
        &tmp.path().join("index"),
        &["--corpus", corpus.to_str().unwrap(), "--rate-limit", "0"],
        &[],
    );
    let browser = Browser::start().await;

    // Typing a query in each locale shows the expected article.
    for (lang, query) in [
        ("ja-jp", "請求書 ダウンロード"),
        ("zh-cn", "下载发票"),
        ("ko-kr", "청구서 다운로드"),
        ("ru-ru", "скачать счет"),
    ] {
        open_page(&browser, &server, lang).await;
        let hrefs = results_after_typing(&browser, query).await;
        let expected = format!("/docs/{lang}/partner-center/read-your-bill#");
        assert!(
            hrefs
                .iter()
                .take(3)
                .flatten()
                .any(|h| h.contains(&expected)),
            "{lang} {query:?}: {expected} not in the top 3 of {hrefs:#?}"
        );
        let expanded = browser
            .eval(&format!(
                "document.querySelector('{INPUT}').getAttribute('aria-expanded')"
            ))
            .await;
        assert_eq!(expanded, json!("true"));
        let marks = browser
            .eval("document.querySelectorAll('kensaku-search .kensaku-snippet mark').length")
            .await;
        assert!(marks.as_u64().unwrap() > 0, "{lang}: no highlighted terms");
    }

    // A screenshot of the open result list, wide and on a phone.
    let dir = browser::screenshot_dir();
    std::fs::write(
        dir.join("results-ru-ru.png"),
        browser.client.screenshot().await.unwrap(),
    )
    .unwrap();
    browser.client.set_window_size(390, 844).await.unwrap();
    open_page(&browser, &server, "ja-jp").await;
    results_after_typing(&browser, "請求書 ダウンロード").await;
    let panel_width = browser
        .eval(
            "document.querySelector('kensaku-search .kensaku-panel').getBoundingClientRect().width",
        )
        .await;
    assert!(
        panel_width.as_f64().unwrap() <= 390.0,
        "the panel fits a phone: {panel_width}"
    );
    std::fs::write(
        dir.join("results-ja-jp-phone.png"),
        browser.client.screenshot().await.unwrap(),
    )
    .unwrap();
    browser.client.set_window_size(1280, 900).await.unwrap();

    // IME: no search while a composition is open; one when it commits.
    open_page(&browser, &server, "ja-jp").await;
    click(&browser, INPUT).await;
    let before = search_requests(&server);
    for reading in ["せ", "せい", "せいきゅ", "せいきゅうしょ"] {
        let n = reading.chars().count();
        browser
            .cdp(
                "Input.imeSetComposition",
                json!({"text": reading, "selectionStart": n, "selectionEnd": n}),
            )
            .await;
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(search_requests(&server), before, "searched while composing");
    let composing_value = browser
        .eval(&format!("document.querySelector('{INPUT}').value"))
        .await;
    assert_eq!(
        composing_value,
        json!("せいきゅうしょ"),
        "the composition reached the input"
    );
    assert_eq!(browser.eval(&format!("{OPTIONS}.length")).await, json!(0));
    browser
        .cdp("Input.insertText", json!({"text": "請求書"}))
        .await;
    browser.wait_until(&format!("{OPTIONS}.length > 0")).await;
    assert_eq!(
        search_requests(&server) - before,
        1,
        "exactly one search, on commit"
    );
    assert_eq!(
        browser
            .eval(&format!("document.querySelector('{INPUT}').value"))
            .await,
        json!("請求書")
    );

    // Keyboard: "/" focuses the box, arrows choose, Enter opens url#section.
    open_page(&browser, &server, "ru-ru").await;
    click(&browser, "main").await;
    browser
        .client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("/")
        .await
        .unwrap();
    let focused = browser
        .eval(&format!(
            "document.activeElement === document.querySelector('{INPUT}')"
        ))
        .await;
    assert_eq!(focused, json!(true), "/ focuses the search box");
    let hrefs: Vec<String> = results_after_typing(&browser, "скачать счет")
        .await
        .into_iter()
        .flatten()
        .collect();
    let input = browser.client.find(Locator::Css(INPUT)).await.unwrap();
    input
        .send_keys(&format!(
            "{}{}",
            char::from(Key::Down),
            char::from(Key::Down)
        ))
        .await
        .unwrap();
    let active = browser
        .eval(&format!(
            "document.querySelector('{INPUT}').getAttribute('aria-activedescendant')"
        ))
        .await;
    assert!(
        active.as_str().unwrap().ends_with("-opt-1"),
        "second option active: {active}"
    );
    input
        .send_keys(&char::from(Key::Enter).to_string())
        .await
        .unwrap();
    for _ in 0..100 {
        if browser.client.current_url().await.unwrap().as_str() == hrefs[1] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        browser.client.current_url().await.unwrap().as_str(),
        hrefs[1]
    );
    assert!(
        hrefs[1].contains('#'),
        "links go to the section: {}",
        hrefs[1]
    );
    // Escape closes; Ctrl+K focuses from anywhere.
    open_page(&browser, &server, "ru-ru").await;
    results_after_typing(&browser, "счет").await;
    browser
        .client
        .find(Locator::Css(INPUT))
        .await
        .unwrap()
        .send_keys(&char::from(Key::Escape).to_string())
        .await
        .unwrap();
    assert_eq!(
        browser
            .eval("document.querySelector('kensaku-search .kensaku-panel').hidden")
            .await,
        json!(true)
    );
    click(&browser, "main").await;
    let ctrl_k = format!("{}k{}", char::from(Key::Control), char::from(Key::Control));
    browser
        .client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys(&ctrl_k)
        .await
        .unwrap();
    assert_eq!(
        browser
            .eval(&format!(
                "document.activeElement === document.querySelector('{INPUT}')"
            ))
            .await,
        json!(true),
        "Ctrl+K focuses the search box"
    );

    // A query in another script than the page's language: the server
    // detects its language, and its results show directly, labelled.
    open_page(&browser, &server, "ru-ru").await;
    let hrefs = results_after_typing(&browser, "請求書 ダウンロード").await;
    assert!(
        hrefs.iter().flatten().all(|h| h.contains("/docs/ja-jp/")),
        "Japanese results on the Russian page: {hrefs:#?}"
    );
    browser
        .wait_until("document.querySelector('kensaku-search .kensaku-language') && document.querySelector('kensaku-search .kensaku-language').textContent.includes('日本語')")
        .await;
    assert_eq!(
        browser
            .eval("document.querySelectorAll('kensaku-search .kensaku-other').length")
            .await,
        json!(0),
        "no chip: the results are there"
    );

    // No results in the page's language, and Latin letters are not enough
    // evidence of another: a chip offers the language that has some.
    open_page(&browser, &server, "ja-jp").await;
    let input = browser.client.find(Locator::Css(INPUT)).await.unwrap();
    input.send_keys("zebrafish").await.unwrap();
    browser
        .wait_until("document.querySelector('kensaku-search .kensaku-other')")
        .await;
    let other = browser
        .eval("document.querySelector('kensaku-search .kensaku-other').textContent")
        .await;
    assert!(other.as_str().unwrap().starts_with("en-us"), "{other}");

    // Markup in a query and in an article stays inert text.
    open_page(&browser, &server, "en-us").await;
    let input = browser.client.find(Locator::Css(INPUT)).await.unwrap();
    input
        .send_keys("<img src=x onerror=window.__xss=6><script>window.__xss=7</script>")
        .await
        .unwrap();
    browser.wait_until("document.querySelector('kensaku-search .kensaku-status').textContent.length > 0 && !document.querySelector('kensaku-search .kensaku').classList.contains('kensaku-loading')").await;
    let hrefs = results_after_typing(&browser, "zebrafish").await;
    assert_eq!(hrefs.len(), 1);
    let title = browser
        .eval("document.querySelector('kensaku-search .kensaku-title').textContent")
        .await;
    assert!(
        title.as_str().unwrap().contains("<img src=x onerror="),
        "the title shows as text: {title}"
    );
    let panel_markup = browser.eval("document.querySelectorAll('kensaku-search .kensaku-panel img, kensaku-search .kensaku-panel script').length").await;
    assert_eq!(panel_markup, json!(0));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        browser.eval("window.__xss === undefined").await,
        json!(true),
        "a payload ran"
    );
    std::fs::write(
        dir.join("xss-inert.png"),
        browser.client.screenshot().await.unwrap(),
    )
    .unwrap();
    browser.close().await;
    drop(server);

    // A hostile URL template (javascript:) never becomes a link.
    let hostile = Server::start(
        &tmp.path().join("index-hostile"),
        &[
            "--corpus",
            corpus.to_str().unwrap(),
            "--rate-limit",
            "0",
            "--base-url",
            "javascript:window.__xss=8//{path}",
        ],
        &[],
    );
    let browser = Browser::start().await;
    open_page(&browser, &hostile, "en-us").await;
    let hrefs = results_after_typing(&browser, "zebrafish").await;
    assert_eq!(hrefs, [None], "the result is shown, without a link");
    let links = browser
        .eval("document.querySelectorAll('kensaku-search .kensaku-panel a').length")
        .await;
    assert_eq!(links, json!(0), "a javascript: URL became a link");
    browser
        .client
        .find(Locator::Css(INPUT))
        .await
        .unwrap()
        .send_keys(&char::from(Key::Enter).to_string())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        browser.eval("window.__xss === undefined").await,
        json!(true)
    );
    browser.close().await;
}

/// The docs team's loop through the box, on the demo corpus: recent
/// searches (shown, removed, cleared), a result opened sends a beacon that
/// the analytics report counts, the dashboard (its screenshot is the
/// README's), and — with the embedding model — a query in English on the
/// Japanese page answered through the multilingual vectors.
#[tokio::test(flavor = "multi_thread")]
async fn the_docs_team_loop_in_chromium() {
    if !browser::available() {
        return;
    }
    const KEY: &str = "dashboard-key";
    let embedder = common::embedder::model_url();
    let tmp = tempfile::tempdir().unwrap();
    let analytics = tmp.path().join("analytics");
    let mut env = vec![
        ("KENSAKU_ADMIN_KEY", KEY),
        ("KENSAKU_ANALYTICS_DIR", analytics.to_str().unwrap()),
    ];
    if let Some(url) = &embedder {
        env.push(("KENSAKU_EMBEDDER_URL", url.as_str()));
        env.push(("KENSAKU_EMBEDDER_MODALITY_FIELD", "input_type"));
    }
    let server = Server::start(&tmp.path().join("index"), &["--rate-limit", "0"], &env);
    let browser = Browser::start().await;

    // A search, and its first result opened with the mouse.
    open_page(&browser, &server, "en-us").await;
    let hrefs = results_after_typing(&browser, "reset the index").await;
    let first = hrefs[0].clone().unwrap();
    click(&browser, "kensaku-search li[role=option] a").await;
    for _ in 0..100 {
        if browser.client.current_url().await.unwrap().as_str() == first {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The report counts the click (the writer batches: poll).
    let report = |name: &str| {
        let url = server.url(&format!("/admin/analytics/{name}"));
        tokio::task::block_in_place(|| {
            client()
                .get(url)
                .bearer_auth(KEY)
                .send()
                .unwrap()
                .json::<serde_json::Value>()
                .unwrap()
        })
    };
    let mut top = serde_json::Value::Null;
    for _ in 0..100 {
        top = report("top-queries");
        if top["rows"][0]["clicks"] == json!(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(top["rows"][0]["query"], json!("reset the index"), "{top}");
    assert_eq!(top["rows"][0]["clicks"], json!(1), "{top}");
    let ctr = report("click-through");
    assert_eq!(ctr["searches_clicked"], json!(1), "{ctr}");
    assert_eq!(ctr["by_position"][0]["position"], json!(1), "{ctr}");

    // Recent searches: shown when the box opens empty; each removable; all
    // clearable.
    open_page(&browser, &server, "en-us").await;
    results_after_typing(&browser, "search box").await;
    // Settled by the pause.
    tokio::time::sleep(Duration::from_millis(1800)).await;
    open_page(&browser, &server, "en-us").await;
    click(&browser, INPUT).await;
    browser
        .wait_until(
            "document.querySelectorAll('kensaku-search .kensaku-recent-query').length === 2",
        )
        .await;
    let recent = browser
        .eval("Array.from(document.querySelectorAll('kensaku-search .kensaku-recent-query')).map(b => b.textContent)")
        .await;
    assert_eq!(recent, json!(["search box", "reset the index"]));
    std::fs::write(
        browser::screenshot_dir().join("recent-searches.png"),
        browser.client.screenshot().await.unwrap(),
    )
    .unwrap();
    click(&browser, "kensaku-search .kensaku-recent-remove").await;
    browser
        .wait_until(
            "document.querySelectorAll('kensaku-search .kensaku-recent-query').length === 1",
        )
        .await;
    click(&browser, "kensaku-search .kensaku-recent-clear").await;
    browser
        .wait_until(
            "document.querySelectorAll('kensaku-search .kensaku-recent-query').length === 0",
        )
        .await;
    assert_eq!(
        browser
            .eval("window.localStorage.getItem(Object.keys(window.localStorage).find(k => k.startsWith('kensaku-recent')))")
            .await,
        json!("[]")
    );

    // Readers elsewhere: API searches (settled when made), some finding
    // nothing — what a writer acts on.
    for (q, locale) in [
        ("index your docs", "en-us"),
        ("keyboard shortcuts", "en-us"),
        ("billing export to excel", "en-us"),
        ("billing export to excel", "en-us"),
        ("検索ボックス", "ja-jp"),
        ("請求書の送付先", "ja-jp"),
        ("recherche", "fr-fr"),
        ("api errors", "en-us"),
    ] {
        let url = server.url(&format!(
            "/search?q={}&locale={locale}",
            q.replace(' ', "%20")
        ));
        tokio::task::block_in_place(|| client().get(url).send().unwrap());
    }

    // The dashboard, with the key typed in.
    browser
        .client
        .goto(&server.url("/admin/dashboard"))
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("#admin-key"))
        .await
        .unwrap()
        .send_keys(KEY)
        .await
        .unwrap();
    click(&browser, "#dashboard-form button").await;
    browser
        .wait_until("document.body.getAttribute('data-dashboard') === 'ready'")
        .await;
    let listed = browser
        .eval("document.querySelector('#top-queries').textContent")
        .await;
    assert!(
        listed.as_str().unwrap().contains("reset the index"),
        "{listed}"
    );
    assert!(
        browser
            .eval("document.querySelectorAll('#chart-daily rect').length")
            .await
            .as_u64()
            .unwrap()
            > 0
    );
    std::fs::write(
        browser::screenshot_dir().join("dashboard.png"),
        browser.client.screenshot().await.unwrap(),
    )
    .unwrap();

    // English on the Japanese page (Latin: not evidence of another
    // language): the ja-jp index answers, through the vectors too.
    if embedder.is_some() {
        open_page(&browser, &server, "ja-jp").await;
        let hrefs =
            results_after_typing(&browser, "how can I put the search widget on my own site").await;
        assert!(
            hrefs[0]
                .as_deref()
                .unwrap_or("")
                .contains("/docs/ja-jp/kensaku/search-box"),
            "{hrefs:#?}"
        );
        let metrics = tokio::task::block_in_place(|| {
            client()
                .get(server.url("/metrics"))
                .send()
                .unwrap()
                .text()
                .unwrap()
        });
        assert!(
            metrics.contains("kensaku_query_vector_cache_total{result=\"miss\"}")
                && !metrics.contains("kensaku_query_vector_cache_total{result=\"miss\"} 0"),
            "the query was embedded"
        );
    }
    browser.close().await;
}
