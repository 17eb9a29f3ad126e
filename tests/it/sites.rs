//! Any docs site in: sites built by real generators (Hugo, MkDocs with
//! mkdocs-static-i18n) indexed from their folder (`--site`) and crawled
//! live from nginx on loopback (`--crawl`), and what a crawl meets on the
//! way: broken and huge pages, old charsets, loops, hangs, 404s, other
//! sites.

use crate::common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use kensaku::index::IndexDir;
use kensaku::locale::Locale;
use kensaku::search::{Engine, SearchRequest};
use serde_json::Value;

const KENSAKU: &str = env!("CARGO_BIN_EXE_kensaku");

/// Debian's Hugo, or `None` (skips; a failure where `KENSAKU_REQUIRE_HUGO=1`).
fn hugo() -> Option<PathBuf> {
    let found = ["/usr/bin/hugo", "/usr/local/bin/hugo"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        common::missing(
            "KENSAKU_REQUIRE_HUGO",
            "hugo is not installed",
            "apt-get install hugo",
        );
    }
    found
}

/// MkDocs with mkdocs-static-i18n and Material, in `target/mkdocs` (as
/// `.ci/run` installs it), or `None`.
fn mkdocs() -> Option<PathBuf> {
    let path = common::target_dir().join("mkdocs/bin/mkdocs");
    if path.is_file() {
        return Some(path);
    }
    common::missing(
        "KENSAKU_REQUIRE_MKDOCS",
        "MkDocs is not installed in target/mkdocs",
        "python3 -m venv target/mkdocs && target/mkdocs/bin/pip install mkdocs==1.6.1 mkdocs-static-i18n==1.3.1 mkdocs-material==9.8.2",
    );
    None
}

fn kensaku(args: &[&str]) -> Output {
    Command::new(KENSAKU).args(args).output().unwrap()
}

fn succeeds(args: &[&str]) -> String {
    let out = kensaku(args);
    assert!(
        out.status.success(),
        "kensaku {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The articles a source gives, as `kensaku export` prints them, by
/// (locale, id).
fn exported(source: &[&str]) -> Vec<Value> {
    let mut args = vec!["export"];
    args.extend(source);
    let mut articles: Vec<Value> = succeeds(&args)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    articles.sort_by_key(|a| (a["locale"].to_string(), a["id"].to_string()));
    articles
}

/// The demo corpus rendered by Hugo (bench/site/render-hugo.sh), served at
/// `base_url`.
fn render_demo(out: &Path, base_url: &str) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/site/render-hugo.sh");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
    let status = Command::new("bash")
        .arg(script)
        .arg(&demo)
        .arg(out)
        .env("BASE_URL", base_url)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "render-hugo.sh");
}

fn search(engine: &Engine, locale: &str, q: &str) -> Vec<String> {
    let request = SearchRequest::new(q).locale(Locale::parse(locale).unwrap());
    engine
        .search(&request)
        .unwrap()
        .hits
        .into_iter()
        .map(|h| kensaku::article::id_key(&h.id).to_string())
        .collect()
}

#[test]
fn a_hugo_site_reads_as_the_markdown_it_was_built_from() {
    let Some(_) = hugo() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    render_demo(&site, "https://docs.example.org/");
    let (markdown_index, site_index) = (tmp.path().join("md"), tmp.path().join("site-index"));
    succeeds(&["index", "--index-dir", markdown_index.to_str().unwrap()]);
    let report = succeeds(&[
        "index",
        "--index-dir",
        site_index.to_str().unwrap(),
        "--site",
        site.to_str().unwrap(),
        "--json",
    ]);
    let report: Value = serde_json::from_str(&report).unwrap();
    // Skipped: the root's redirect page, and each locale's home and section
    // listings (a heading over links in navigation), which are no articles.
    let reasons: Vec<&str> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reason"].as_str().unwrap())
        .collect();
    let locales = report["locales"].as_object().unwrap().len();
    assert_eq!(reasons.len(), 1 + 2 * locales, "{report}");
    assert_eq!(
        reasons.iter().filter(|r| r.contains("redirect")).count(),
        1,
        "{report}"
    );
    assert!(
        reasons
            .iter()
            .all(|r| r.contains("redirect") || r.contains("listing")),
        "{report}"
    );

    // Every markdown article is a page under the same id, in its locale,
    // with the same title and sections.
    let pages: Vec<Value> = exported(&["--site", site.to_str().unwrap()]);
    let articles: Vec<Value> = exported(&[]);
    assert_eq!(pages.len(), articles.len(), "no page but the articles");
    for article in &articles {
        let key = kensaku::article::id_key(article["id"].as_str().unwrap());
        let page = pages
            .iter()
            .find(|p| {
                p["locale"] == article["locale"]
                    && kensaku::article::id_key(p["id"].as_str().unwrap()) == key
            })
            .unwrap_or_else(|| panic!("no page for {} {key}", article["locale"]));
        assert_eq!(page["title"], article["title"], "{key}");
        // Hugo's typographer writes ’ for ' (what readers see).
        let headings = |a: &Value| -> Vec<String> {
            a["sections"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["heading"].as_str().unwrap().replace('’', "'"))
                .collect()
        };
        assert_eq!(headings(page), headings(article), "{key}");
        assert!(
            page["url"]
                .as_str()
                .unwrap()
                .starts_with("https://docs.example.org/"),
            "{page}"
        );
    }

    // The same searches find the same articles, in every script.
    let (md, web) = (
        Engine::open(IndexDir::new(&markdown_index)),
        Engine::open(IndexDir::new(&site_index)),
    );
    for (locale, q) in [
        ("en-us", "index your docs"),
        ("ja-jp", "検索"),
        ("zh-cn", "索引"),
        ("ko-kr", "검색"),
        ("ja-jp", "search box"),
    ] {
        let (a, b) = (search(&md, locale, q), search(&web, locale, q));
        assert!(!a.is_empty(), "{locale} {q}");
        assert_eq!(a.first(), b.first(), "{locale} {q}: {a:?} vs {b:?}");
    }
    // A hit deep-links to its section, under the page's canonical URL.
    let request = SearchRequest::new("インストール").locale(Locale::parse("ja-jp").unwrap());
    let hit = web
        .search(&request)
        .unwrap()
        .hits
        .into_iter()
        .next()
        .unwrap();
    assert!(
        hit.url
            .starts_with("https://docs.example.org/ja-jp/kensaku/"),
        "{}",
        hit.url
    );
}

/// A small multilingual Hugo site the test writes: translations under
/// different paths (linked by `translationKey`), hreflang alternates in the
/// template, a Japanese page with no lang of its own… as docs teams write.
#[test]
fn translations_under_other_paths_share_an_id() {
    let Some(hugo) = hugo() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    let write = |path: &str, text: &str| {
        let path = project.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "hugo.toml",
        r#"baseURL = "https://help.example.com/"
defaultContentLanguage = "en"
defaultContentLanguageInSubdir = true
disableKinds = ["taxonomy", "term", "RSS", "404", "sitemap"]
[languages.en]
languageCode = "en"
contentDir = "content/en"
[languages.ja]
languageCode = "ja"
contentDir = "content/ja"
[languages.zh]
languageCode = "zh-cn"
contentDir = "content/zh"
[languages.ko]
languageCode = "ko"
contentDir = "content/ko"
"#,
    );
    write(
        "layouts/_default/baseof.html",
        r#"<!DOCTYPE html><html lang="{{ .Site.LanguageCode }}"><head><title>{{ .Title }} – Help</title>
{{ with .Description }}<meta name="description" content="{{ . }}">{{ end }}
{{ range .AllTranslations }}<link rel="alternate" hreflang="{{ .Site.LanguageCode }}" href="{{ .Permalink }}">{{ end }}
</head><body><nav>{{ range .Site.RegularPages }}<a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ end }}</nav>
<main>{{ block "main" . }}{{ end }}</main><footer>© Help</footer></body></html>"#,
    );
    write(
        "layouts/_default/single.html",
        r#"{{ define "main" }}<article><h1>{{ .Title }}</h1>{{ .Content }}</article>{{ end }}"#,
    );
    write(
        "layouts/_default/list.html",
        r#"{{ define "main" }}<h1>{{ .Title }}</h1>{{ end }}"#,
    );
    let page = |lang: &str, path: &str, title: &str, body: &str| {
        write(
            &format!("content/{lang}/{path}"),
            &format!(
                "---\ntitle: \"{title}\"\ntranslationKey: invoices\ndescription: \"{title}\"\n---\n\n## {title}\n\n{body}\n"
            ),
        );
    };
    page(
        "en",
        "billing/invoices.md",
        "Download invoices",
        "Invoices are in the billing dashboard.",
    );
    page(
        "ja",
        "seikyu/seikyusho.md",
        "請求書のダウンロード",
        "請求書は課金ダッシュボードにあります。",
    );
    page(
        "zh",
        "zhangdan/fapiao.md",
        "下载发票",
        "发票位于账单仪表板中。",
    );
    page(
        "ko",
        "cheonggu/cheongguseo.md",
        "청구서 다운로드",
        "청구서는 청구 대시보드에 있습니다.",
    );
    let site = tmp.path().join("public");
    let out = Command::new(hugo)
        .arg("--source")
        .arg(&project)
        .arg("--destination")
        .arg(&site)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let index = tmp.path().join("index");
    succeeds(&[
        "index",
        "--index-dir",
        index.to_str().unwrap(),
        "--site",
        site.to_str().unwrap(),
    ]);
    let engine = Engine::open(IndexDir::new(&index));
    for (locale, q) in [
        ("en", "invoices"),
        ("ja", "請求書"),
        ("zh-cn", "发票"),
        ("ko", "청구서"),
    ] {
        let ids = search(&engine, locale, q);
        assert_eq!(
            ids.first().map(String::as_str),
            Some("billing/invoices"),
            "{locale} {q}: {ids:?}"
        );
    }
    // The English question finds the Japanese page (its translation's id).
    let ids = search(&engine, "ja", "download invoices");
    assert_eq!(
        ids.first().map(String::as_str),
        Some("billing/invoices"),
        "{ids:?}"
    );
    // Navigation and footers are not text.
    let pages = exported(&["--site", site.to_str().unwrap()]);
    let english = pages
        .iter()
        .find(|p| p["locale"] == "en" && p["id"] == "billing/invoices/")
        .expect("the English page");
    let text = english["sections"].to_string();
    assert!(!text.contains("請求書") && !text.contains('©'), "{text}");
}

#[test]
fn an_mkdocs_site_with_static_i18n() {
    let Some(mkdocs) = mkdocs() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    let write = |path: &str, text: &str| {
        let path = project.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "mkdocs.yml",
        "site_name: Help\nsite_url: https://help.example.com/\ntheme:\n  name: material\nplugins:\n  - i18n:\n      docs_structure: folder\n      languages:\n        - locale: en\n          default: true\n          name: English\n          build: true\n        - locale: ja\n          name: 日本語\n          build: true\n        - locale: zh\n          name: 中文\n          build: true\n        - locale: ko\n          name: 한국어\n          build: true\n",
    );
    for (lang, title, body) in [
        (
            "en",
            "Reset a password",
            "An admin resets a user's password in the admin center.",
        ),
        (
            "ja",
            "パスワードのリセット",
            "管理者は管理センターでユーザーのパスワードをリセットします。",
        ),
        ("zh", "重置密码", "管理员在管理中心重置用户的密码。"),
        (
            "ko",
            "암호 재설정",
            "관리자는 관리 센터에서 사용자의 암호를 재설정합니다.",
        ),
    ] {
        write(
            &format!("docs/{lang}/users/reset-password.md"),
            &format!("# {title}\n\n## {title}\n\n{body}\n"),
        );
        write(
            &format!("docs/{lang}/index.md"),
            &format!("# Help\n\n{lang}\n"),
        );
    }
    let site = tmp.path().join("site");
    let out = Command::new(mkdocs)
        .args(["build", "--quiet", "--config-file"])
        .arg(project.join("mkdocs.yml"))
        .arg("--site-dir")
        .arg(&site)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let index = tmp.path().join("index");
    succeeds(&[
        "index",
        "--index-dir",
        index.to_str().unwrap(),
        "--site",
        site.to_str().unwrap(),
    ]);
    let engine = Engine::open(IndexDir::new(&index));
    for (locale, q) in [
        ("en", "reset password"),
        ("ja", "パスワード"),
        ("zh", "密码"),
        ("ko", "암호"),
    ] {
        let ids = search(&engine, locale, q);
        assert_eq!(
            ids.first().map(String::as_str),
            Some("users/reset-password"),
            "{locale} {q}: {ids:?}"
        );
    }
    let pages = exported(&["--site", site.to_str().unwrap()]);
    let ja = pages
        .iter()
        .find(|p| p["locale"] == "ja" && p["id"] == "users/reset-password/")
        .expect("the Japanese page, under its own path");
    assert_eq!(ja["title"], "パスワードのリセット");
    let text = ja.to_string();
    assert!(!text.contains('¶'), "permalinks are not text: {text}");
    assert!(
        !text.contains("English"),
        "the language menu is not text: {text}"
    );
}

/// A TCP server that accepts and never answers (a hung site), counting
/// the connections it got.
fn hanging_server() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::Relaxed);
            held.push(stream);
        }
    });
    (port, accepted)
}

fn statuses(log: &Path) -> Vec<(String, u16)> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let (_, path, status) = (parts.next()?, parts.next()?, parts.next()?);
            Some((path.to_string(), status.parse().ok()?))
        })
        .collect()
}

#[test]
fn a_crawl_reads_what_the_folder_holds_and_a_recrawl_costs_304s() {
    let (Some(_), Some(nginx)) = (hugo(), common::nginx::binary()) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let port = common::nginx::free_port();
    let base = format!("http://127.0.0.1:{port}/");
    let site = tmp.path().join("site");
    render_demo(&site, &base);
    let server =
        common::nginx::Nginx::static_site(&nginx, &tmp.path().join("nginx"), port, &site, "");
    assert_eq!(server.base, base.trim_end_matches('/'));

    // The same articles from the folder, a crawl from the home page, and a
    // crawl from the sitemap.
    let folder = exported(&["--site", site.to_str().unwrap(), "--base-url", &base]);
    let crawled = exported(&["--crawl", &base]);
    let from_sitemap = exported(&["--crawl", &format!("{base}sitemap.xml")]);
    assert_eq!(
        folder.len(),
        exported(&[]).len(),
        "every article, no listing"
    );
    let same = |a: &[Value], b: &[Value]| {
        let strip = |v: &[Value]| -> Vec<(String, String, String, String)> {
            v.iter()
                .map(|p| {
                    (
                        p["locale"].to_string(),
                        p["id"].to_string(),
                        p["url"].to_string(),
                        p["sections"].to_string(),
                    )
                })
                .collect()
        };
        strip(a) == strip(b)
    };
    assert!(
        same(&folder, &crawled),
        "the crawl reads what the folder holds"
    );
    assert!(
        same(&folder, &from_sitemap),
        "and so does the sitemap's crawl"
    );

    // Indexed twice: the second crawl asks with the validators it kept,
    // and every page answers 304.
    let index = tmp.path().join("index");
    let log = tmp.path().join("nginx/access.log");
    let crawl_into_index = |extra: &[&str]| -> Value {
        let mut args = vec!["index", "--index-dir", index.to_str().unwrap()];
        args.extend(["--crawl", &base, "--json"]);
        args.extend(extra);
        serde_json::from_str(&succeeds(&args)).unwrap()
    };
    let first = crawl_into_index(&[]);
    std::fs::write(&log, "").unwrap();
    let second = crawl_into_index(&[]);
    assert_eq!(first["indexed"], second["unchanged"], "{second}");
    assert_eq!(second["indexed"], 0);
    let pages: Vec<(String, u16)> = statuses(&log)
        .into_iter()
        .filter(|(path, _)| path.ends_with('/') || path.ends_with(".html"))
        .collect();
    assert!(
        pages.len() as u64 >= first["files"].as_u64().unwrap(),
        "{pages:?}"
    );
    // Every page answers 304, those that are no articles too (the root's
    // redirect, the listings): refused again unread, for the same reasons.
    let fetched: Vec<_> = pages.iter().filter(|(_, status)| *status != 304).collect();
    assert!(fetched.is_empty(), "{fetched:?}");
    assert_eq!(first["skipped"], second["skipped"]);
    assert!(first["skipped"].as_array().unwrap().len() > 1, "{first}");

    // An article becomes a listing and a listing an article (their pages
    // swapped): the one leaves the index, the other enters it, and the next
    // recrawl agrees (304s, nothing read, nothing deleted).
    let file_of = |url: &str| {
        let path = site.join(url.strip_prefix(&base).unwrap());
        if url.ends_with('/') {
            path.join("index.html")
        } else {
            path
        }
    };
    let listing = first["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .find(|p| p.contains("/en-us/") && p != &format!("{base}en-us/"))
        .map(str::to_string)
        .expect("an en-us listing");
    let article = format!("{base}en-us/kensaku/getting-started/");
    let (article_html, listing_html) = (
        std::fs::read(file_of(&article)).unwrap(),
        std::fs::read(file_of(&listing)).unwrap(),
    );
    std::fs::write(file_of(&article), listing_html).unwrap();
    std::fs::write(file_of(&listing), article_html).unwrap();
    let documents = |report: &Value| report["locales"]["en-us"]["documents"].as_u64();
    let swapped = crawl_into_index(&[]);
    assert_eq!(swapped["indexed"], 1, "{swapped}");
    assert_eq!(swapped["locales"]["en-us"]["removed"], 1, "{swapped}");
    assert_eq!(documents(&swapped), documents(&first), "{swapped}");
    let skipped_paths = |report: &Value| -> Vec<String> {
        report["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["path"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(skipped_paths(&swapped).contains(&article), "{swapped}");
    assert!(!skipped_paths(&swapped).contains(&listing), "{swapped}");
    std::fs::write(&log, "").unwrap();
    let again = crawl_into_index(&[]);
    assert_eq!(again["indexed"], 0, "{again}");
    assert_eq!(documents(&again), documents(&swapped), "{again}");
    assert_eq!(again["skipped"], swapped["skipped"]);
    let fetched: Vec<_> = statuses(&log)
        .into_iter()
        .filter(|(path, status)| (path.ends_with('/') || path.ends_with(".html")) && *status != 304)
        .collect();
    assert!(fetched.is_empty(), "{fetched:?}");

    // A full rebuild reads every page whole, those refused too, and comes
    // to the same verdicts.
    std::fs::write(&log, "").unwrap();
    let full = crawl_into_index(&["--full"]);
    assert_eq!(full["skipped"], swapped["skipped"]);
    assert_eq!(documents(&full), documents(&swapped), "{full}");
    let pages = statuses(&log);
    let refused_path = format!(
        "{}index.html",
        article.strip_prefix(base.trim_end_matches('/')).unwrap()
    );
    assert!(
        pages.contains(&(refused_path.clone(), 200)),
        "{refused_path} {pages:?}"
    );
    assert!(pages.iter().all(|(_, status)| *status != 304), "{pages:?}");

    // An index whose pages were parsed by an older parser (its manifests
    // and the crawl's kept refusals say so) is read whole again, as with
    // `--full`: a recrawl fetches every page and re-indexes every article.
    let older = kensaku::article::PARSE_VERSION - 1;
    let state = index.join("crawl-state.json");
    let kept = std::fs::read_to_string(&state).unwrap();
    let rules = format!("kensaku/{}/", env!("CARGO_PKG_VERSION"));
    let current = format!("{rules}{}\"", kensaku::article::PARSE_VERSION);
    assert!(kept.contains(&current), "{kept}");
    std::fs::write(&state, kept.replace(&current, &format!("{rules}{older}\""))).unwrap();
    let manifests = walkdir::WalkDir::new(&index)
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.ends_with("kensaku.json"));
    for manifest in manifests {
        let mut json: Value = serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
        json["parse_version"] = older.into();
        std::fs::write(&manifest, serde_json::to_vec(&json).unwrap()).unwrap();
    }
    std::fs::write(&log, "").unwrap();
    let reparsed = crawl_into_index(&[]);
    assert_eq!(reparsed["unchanged"], 0, "{reparsed}");
    assert_eq!(reparsed["indexed"], full["indexed"], "{reparsed}");
    assert_eq!(reparsed["skipped"], full["skipped"]);
    let pages = statuses(&log);
    assert!(pages.iter().all(|(_, status)| *status != 304), "{pages:?}");
    // Parsed again under this version: the next recrawl costs 304s.
    std::fs::write(&log, "").unwrap();
    let after = crawl_into_index(&[]);
    assert_eq!(after["indexed"], 0, "{after}");
}

#[test]
fn a_crawl_reports_bad_pages_and_indexes_the_rest() {
    let Some(nginx) = common::nginx::binary() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("www");
    std::fs::create_dir_all(&root).unwrap();
    let (hung_port, hung) = hanging_server();
    let (other_port, other) = hanging_server();
    let write = |name: &str, bytes: &[u8]| std::fs::write(root.join(name), bytes).unwrap();
    write(
        "index.html",
        format!(
            r#"<html lang="en"><body><main><h1>Start</h1><p>The start page of the crawl.</p>
<a href="good.html">good</a> <a href="ja.html">ja</a> <a href="zh.html">zh</a> <a href="nolang.html">nolang</a>
<a href="truncated.html">truncated</a> <a href="malformed.html">malformed</a> <a href="big.html">big</a>
<a href="loop-a">loop</a> <a href="slow">slow</a> <a href="manual.pdf">pdf</a> <a href="gone.html">gone</a>
<a href="http://127.0.0.1:{other_port}/elsewhere.html">another site</a></main></body></html>"#
        )
        .as_bytes(),
    );
    write("good.html", br#"<html lang="en"><body><main><h1>Good</h1><p>Invoices arrive monthly.</p></main></body></html>"#);
    let (shift_jis, _, _) = encoding_rs::SHIFT_JIS.encode(
        r#"<html lang="ja"><head><meta charset="Shift_JIS"></head><body><main><h1>請求書</h1><p>請求書は毎月届きます。</p></main></body></html>"#,
    );
    write("ja.html", &shift_jis);
    let (gb18030, _, _) = encoding_rs::GB18030.encode(
        r#"<html lang="zh-cn"><body><main><h1>发票</h1><p>发票每月送达。</p></main></body></html>"#,
    );
    write("zh.html", &gb18030);
    write(
        "nolang.html",
        b"<html><body><main><h1>No language</h1><p>Which one?</p></main></body></html>",
    );
    write(
        "truncated.html",
        br#"<html lang="en"><body><main><h1>Truncated</h1><p>Refunds take ten days <a href="x"#,
    );
    write("malformed.html", br#"<html lang="en"><body><main><h1>Malformed</h1><p>Payouts <b>are <i>weekly</b></i><td>cell</p></main>"#);
    write("manual.pdf", b"%PDF-1.4 not html");
    std::fs::write(root.join("big.html"), vec![b'x'; 50 << 20]).unwrap();
    let locations = format!(
        "    location = /loop-a {{ return 302 /loop-b; }}
    location = /loop-b {{ return 302 /loop-a; }}
    location = /zh.html {{ default_type text/html; charset gb18030; }}
    location = /slow {{ proxy_pass http://127.0.0.1:{hung_port}; proxy_read_timeout 60s; }}"
    );
    let server = common::nginx::Nginx::static_site(
        &nginx,
        &tmp.path().join("nginx"),
        common::nginx::free_port(),
        &root,
        &locations,
    );
    let index = tmp.path().join("index");
    let out = kensaku(&[
        "index",
        "--index-dir",
        index.to_str().unwrap(),
        "--crawl",
        &format!("{}/", server.base),
        "--crawl-timeout-ms",
        "1500",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reason = |page: &str| -> String {
        report["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["path"].as_str().unwrap().ends_with(page))
            .map(|s| s["reason"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{page} is not reported: {report}"))
    };
    assert!(reason("big.html").contains("page limit"), "{report}");
    assert!(reason("loop-a").contains("redirect loop"), "{report}");
    assert!(reason("slow").contains("no answer within"), "{report}");
    assert!(reason("manual.pdf").contains("not HTML"), "{report}");
    assert!(reason("gone.html").contains("404"), "{report}");
    assert!(reason("nolang.html").contains("no locale"), "{report}");
    assert_eq!(
        other.load(Ordering::Relaxed),
        0,
        "another site is never crawled"
    );
    assert!(hung.load(Ordering::Relaxed) >= 1);

    let engine = Engine::open(IndexDir::new(&index));
    assert_eq!(search(&engine, "ja", "請求書"), ["ja"]);
    assert_eq!(search(&engine, "zh-cn", "发票"), ["zh"]);
    assert_eq!(search(&engine, "en", "refunds"), ["truncated"]);
    assert_eq!(search(&engine, "en", "payouts weekly"), ["malformed"]);

    // The site goes away: the crawl reaches nothing and fails, and the
    // index serves as before.
    drop(server);
    let out = kensaku(&[
        "index",
        "--index-dir",
        index.to_str().unwrap(),
        "--crawl",
        &format!("http://127.0.0.1:{}/", common::nginx::free_port()),
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("reached no page"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let engine = Engine::open(IndexDir::new(&index));
    assert_eq!(search(&engine, "en", "refunds"), ["truncated"]);
}
