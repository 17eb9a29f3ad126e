//! The same small trilingual docs (en, ja, zh) built by Sphinx (its default
//! theme, Read the Docs' and Furo), VitePress and Docusaurus, each
//! installed from its registry, and read from the built folder (`--site`)
//! as their authors wrote them: the same titles, sections, paragraphs,
//! callouts and code blocks, nothing of the theme's chrome, anchors that
//! exist in the page, translations under one id, and the generators' other
//! pages (404, index, search, toctree listings) not articles; and the
//! VitePress site crawled live from its own sitemap gives the same
//! articles. (Hugo and MkDocs are in `sites.rs`.)

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use kensaku::index::IndexDir;
use kensaku::locale::{Language, Locale};
use kensaku::search::{Engine, SearchRequest};
use serde_json::Value;

const KENSAKU: &str = env!("CARGO_BIN_EXE_kensaku");

/// One translation of the test's article.
struct Doc {
    language: Language,
    title: &'static str,
    intro: &'static str,
    note: &'static str,
    section: &'static str,
    step: &'static str,
    /// A word of the body to search for.
    query: &'static str,
}

const CODE: &str = "kensaku index --site public";

const DOCS: [Doc; 3] = [
    Doc {
        language: Language::En,
        title: "Invoices",
        intro: "Invoices arrive every month.",
        note: "Keep the receipt.",
        section: "Download an invoice",
        step: "Open the dashboard and select Download.",
        query: "receipt",
    },
    Doc {
        language: Language::Ja,
        title: "請求書",
        intro: "請求書は毎月届きます。",
        note: "領収書を保管してください。",
        section: "請求書をダウンロードする",
        step: "ダッシュボードを開き、ダウンロードを選択します。",
        query: "領収書",
    },
    Doc {
        language: Language::Zh,
        title: "发票",
        intro: "发票每月送达。",
        note: "请保留收据。",
        section: "下载发票",
        step: "打开仪表板并选择下载。",
        query: "收据",
    },
];

/// The article in markdown (VitePress and Docusaurus take the same, but
/// for the callout's opening line).
fn markdown(doc: &Doc, callout: &str) -> String {
    // The English step's last word in bold: inline markup is read through.
    let step = doc.step.replacen("Download.", "**Download**.", 1);
    format!(
        "# {}\n\n{}\n\n{callout}\n{}\n:::\n\n## {}\n\n{step}\n\n```sh\n{CODE}\n```\n",
        doc.title, doc.intro, doc.note, doc.section
    )
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Runs a command that must succeed; its output.
fn run(command: &mut Command) -> std::process::Output {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The Node generators' folder (`npm install` there, as `.ci/run` does),
/// holding `node_modules/.bin/<bin>`, with a Node of at least `min_node`,
/// or `None`.
fn node_generators(bin: &str, min_node: u32, require_var: &str, packages: &str) -> Option<PathBuf> {
    let dir = common::target_dir().join("site-generators");
    let node = Command::new("node")
        .args(["-p", "process.versions.node.split('.')[0]"])
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<u32>()
                .ok()
        });
    if node.is_some_and(|major| major < min_node) {
        common::missing(
            require_var,
            &format!("{bin} needs Node {min_node} or later, and this is Node {node:?}"),
            &format!("install Node {min_node}"),
        );
        return None;
    }
    if dir.join("node_modules/.bin").join(bin).is_file() {
        return Some(dir);
    }
    common::missing(
        require_var,
        &format!("{bin} is not installed in target/site-generators"),
        &format!("npm install --prefix target/site-generators {packages}"),
    );
    None
}

/// A project folder the Node generators resolve their packages from (a
/// folder under the one holding `node_modules`).
fn node_project(generators: &Path) -> tempfile::TempDir {
    let projects = generators.join("projects");
    std::fs::create_dir_all(&projects).unwrap();
    tempfile::tempdir_in(projects).unwrap()
}

/// The articles `kensaku export <source>` prints, and what it says it
/// skipped.
fn export(source: &[&str]) -> (Vec<Value>, String) {
    let out = run(Command::new(KENSAKU).arg("export").args(source));
    let pages = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (pages, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Reads the built site: every article as `kensaku export --site` prints
/// it, checked against [`DOCS`] (each under the id `id`), and searched
/// once indexed.
fn reads_as_written(site: &Path, id: &str) {
    let (pages, skipped) = export(&["--site", site.to_str().unwrap()]);
    // The article and nothing else: the generators' other pages are
    // skipped, each with its reason.
    assert_eq!(
        pages.len(),
        DOCS.len(),
        "{:#?}\n{skipped}",
        pages
            .iter()
            .map(|p| (&p["locale"], &p["id"], &p["title"]))
            .collect::<Vec<_>>()
    );
    let mut locales = Vec::new();
    for doc in &DOCS {
        let page = pages
            .iter()
            .find(|p| {
                Locale::parse(p["locale"].as_str().unwrap())
                    .unwrap()
                    .language()
                    == doc.language
            })
            .unwrap_or_else(|| panic!("no {:?} page: {skipped}", doc.language));
        assert_eq!(page["id"], id, "translations share the id");
        assert_eq!(page["title"], doc.title);
        let sections: Vec<(String, Vec<(String, String)>)> = page["sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let blocks = s["blocks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|b| {
                        (
                            b["kind"].as_str().unwrap().to_string(),
                            b["text"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect();
                (s["heading"].as_str().unwrap().to_string(), blocks)
            })
            .collect();
        let block = |kind: &str, text: &str| (kind.to_string(), text.to_string());
        assert_eq!(
            sections,
            [
                (
                    doc.title.to_string(),
                    vec![block("paragraph", doc.intro), block("callout", doc.note)]
                ),
                (
                    doc.section.to_string(),
                    vec![block("paragraph", doc.step), block("code", CODE)]
                ),
            ],
            "{:?}",
            doc.language
        );
        // Every section's anchor is an id of the page: hits deep-link.
        let url = page["url"].as_str().unwrap();
        let path = url::Url::parse(url)
            .map(|u| u.path().to_string())
            .unwrap_or_else(|_| url.to_string());
        let mut file = site.join(path.trim_start_matches('/'));
        if path.ends_with('/') || !path.ends_with(".html") {
            file = file.join("index.html");
        }
        let html =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for (i, section) in page["sections"].as_array().unwrap().iter().enumerate() {
            let anchor = section["anchor"].as_str().unwrap();
            if anchor.is_empty() {
                // A heading without an id (Docusaurus' `<h1>`): the page's
                // title, linking to the page itself.
                assert_eq!((i, section["level"].as_u64()), (0, Some(1)), "{section}");
                continue;
            }
            // Quoted, or unquoted as minifiers write it.
            assert!(
                [
                    format!("id=\"{anchor}\""),
                    format!("id={anchor}>"),
                    format!("id={anchor} ")
                ]
                .iter()
                .any(|id| html.contains(id)),
                "{anchor} is not an id of {}",
                file.display()
            );
        }
        locales.push((page["locale"].as_str().unwrap().to_string(), doc.query));
    }
    let index = tempfile::tempdir().unwrap();
    run(Command::new(KENSAKU)
        .args(["index", "--index-dir"])
        .arg(index.path())
        .arg("--site")
        .arg(site));
    let engine = Engine::open(IndexDir::new(index.path()));
    for (locale, query) in locales {
        let request = SearchRequest::new(query).locale(Locale::parse(&locale).unwrap());
        let hits = engine.search(&request).unwrap().hits;
        assert_eq!(
            hits.first().map(|h| kensaku::article::id_key(&h.id)),
            Some(kensaku::article::id_key(id)),
            "{locale} {query}"
        );
    }
}

#[test]
fn a_sphinx_site() {
    let venv = common::target_dir().join("sphinx");
    let sphinx = venv.join("bin/sphinx-build");
    if !sphinx.is_file() || !has_themes(&venv) {
        common::missing(
            "KENSAKU_REQUIRE_SPHINX",
            "Sphinx and its themes are not installed in target/sphinx",
            "python3 -m venv target/sphinx && target/sphinx/bin/pip install sphinx==9.0.4 sphinx_rtd_theme==3.1.0 furo==2025.12.19",
        );
        return;
    }
    // The default theme and the two most used: each its own chrome.
    for theme in ["alabaster", "sphinx_rtd_theme", "furo"] {
        sphinx_site(&sphinx, theme);
    }
}

/// Whether the venv has the themes `.ci/run` installs.
fn has_themes(venv: &Path) -> bool {
    Command::new(venv.join("bin/python"))
        .args(["-c", "import furo, sphinx_rtd_theme"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn sphinx_site(sphinx: &Path, theme: &str) {
    let tmp = tempfile::tempdir().unwrap();
    // One project per language (Sphinx builds one language a run), into
    // the site's locale folders.
    for (doc, folder, language) in [
        (&DOCS[0], "en", "en"),
        (&DOCS[1], "ja", "ja"),
        (&DOCS[2], "zh-cn", "zh_CN"),
    ] {
        let src = tmp.path().join("src").join(folder);
        write(
            &src.join("conf.py"),
            &format!("project = 'Partner Docs'\nlanguage = '{language}'\nhtml_theme = '{theme}'\n"),
        );
        // A root page that is only a toctree: a listing, not an article.
        write(
            &src.join("index.rst"),
            "Partner Docs\n============\n\n.. toctree::\n\n   billing/invoices\n",
        );
        // Titles underlined twice as wide as they are (wide characters).
        let underline = |title: &str, c: char| c.to_string().repeat(title.chars().count() * 2);
        let step = doc.step.replacen("Download.", "**Download**.", 1);
        write(
            &src.join("billing/invoices.rst"),
            &format!(
                "{}\n{}\n\n{}\n\n.. note::\n   {}\n\n{}\n{}\n\n{step}\n\n.. code-block:: shell\n\n   {CODE}\n",
                doc.title,
                underline(doc.title, '='),
                doc.intro,
                doc.note,
                doc.section,
                underline(doc.section, '-'),
            ),
        );
        run(Command::new(sphinx)
            .args(["-q", "-b", "html"])
            .arg(&src)
            .arg(tmp.path().join("site").join(folder)));
    }
    reads_as_written(&tmp.path().join("site"), "billing/invoices.html");
}

#[test]
fn a_vitepress_site() {
    let Some(generators) = node_generators(
        "vitepress",
        18,
        "KENSAKU_REQUIRE_VITEPRESS",
        "vitepress@1.6.4",
    ) else {
        return;
    };
    let project = node_project(&generators);
    let docs = project.path().join("docs");
    // Built for where it is served below, so that its sitemap names the
    // pages there.
    let port = common::nginx::free_port();
    let base = format!("http://127.0.0.1:{port}/");
    write(
        &docs.join(".vitepress/config.mjs"),
        &format!(
            "export default {{
  title: 'Partner Docs',
  sitemap: {{ hostname: '{base}' }},
  locales: {{
    root: {{ label: 'English', lang: 'en-US' }},
    ja: {{ label: '日本語', lang: 'ja-JP', link: '/ja/' }},
    zh: {{ label: '中文', lang: 'zh-CN', link: '/zh/' }},
  }},
  themeConfig: {{
    editLink: {{ pattern: 'https://example.org/edit/:path' }},
    sidebar: [{{ text: 'Billing', items: [{{ text: 'Invoices', link: '/billing/invoices' }}] }}],
  }},
}}
"
        ),
    );
    for (doc, prefix) in DOCS.iter().zip(["", "ja/", "zh/"]) {
        write(
            &docs.join(format!("{prefix}billing/invoices.md")),
            &markdown(doc, "::: tip"),
        );
    }
    let site = project.path().join("dist");
    run(Command::new(generators.join("node_modules/.bin/vitepress"))
        .arg("build")
        .arg(&docs)
        .arg("--outDir")
        .arg(&site)
        .current_dir(project.path()));
    reads_as_written(&site, "billing/invoices.html");

    // Crawled live from its sitemap (hreflang alternates in `xhtml:link`),
    // served by nginx: the same articles as the folder, at their URLs.
    let Some(nginx) = common::nginx::binary() else {
        return;
    };
    let _server =
        common::nginx::Nginx::static_site(&nginx, &project.path().join("nginx"), port, &site, "");
    let comparable = |pages: Vec<Value>| {
        let mut rows: Vec<(String, String, String, String)> = pages
            .iter()
            .map(|p| {
                let path = p["url"].as_str().unwrap().trim_start_matches(base.as_str());
                (
                    p["locale"].to_string(),
                    p["id"].to_string(),
                    path.trim_start_matches('/').to_string(),
                    p["sections"].to_string(),
                )
            })
            .collect();
        rows.sort();
        rows
    };
    let (folder, _) = export(&["--site", site.to_str().unwrap()]);
    let (crawled, skipped) = export(&["--crawl", &format!("{base}sitemap.xml")]);
    assert_eq!(comparable(crawled), comparable(folder), "{skipped}");
}

#[test]
fn a_docusaurus_site() {
    let Some(generators) = node_generators(
        "docusaurus",
        20,
        "KENSAKU_REQUIRE_DOCUSAURUS",
        "@docusaurus/core@3.10.2 @docusaurus/preset-classic@3.10.2 react@19 react-dom@19",
    ) else {
        return;
    };
    let project = node_project(&generators);
    let root = project.path();
    write(
        &root.join("docusaurus.config.js"),
        "module.exports = {
  title: 'Partner Docs',
  url: 'https://docs.example.org',
  baseUrl: '/',
  // The theme's title links to a home page this site does not have.
  onBrokenLinks: 'warn',
  i18n: { defaultLocale: 'en', locales: ['en', 'ja', 'zh-Hans'] },
  presets: [['classic', {
    docs: { editUrl: 'https://example.org/edit/' },
    blog: false,
  }]],
};
",
    );
    for (doc, folder) in DOCS.iter().zip([
        "docs".to_string(),
        "i18n/ja/docusaurus-plugin-content-docs/current".to_string(),
        "i18n/zh-Hans/docusaurus-plugin-content-docs/current".to_string(),
    ]) {
        write(
            &root.join(folder).join("billing/invoices.md"),
            &markdown(doc, ":::note"),
        );
    }
    let site = root.join("build");
    run(
        Command::new(generators.join("node_modules/.bin/docusaurus"))
            .arg("build")
            .arg(root)
            .arg("--out-dir")
            .arg(&site)
            // Its webpack cache goes under the working folder.
            .current_dir(root),
    );
    reads_as_written(&site, "docs/billing/invoices/");
}
