//! Built HTML pages (any docs site generator's output, or a crawled page) →
//! [`Article`]s, as [`super::markdown`] does for DocFX markdown.
//!
//! Parsed with html5ever (through `scraper`), the HTML5 parser browsers
//! agree with, after decoding the bytes (`encoding_rs`): the charset of the
//! HTTP header, else a byte-order mark, else `<meta charset>` in the first
//! kilobyte, else UTF-8 when the bytes are UTF-8, else windows-1252 (the
//! HTML standard's fallback).
//!
//! What the page says about itself decides the article:
//! - **locale**: `<html lang>`, else a locale-like first path segment
//!   (`/ja/`, `/ja-jp/`, `/zh-hans/`), else the configured default;
//! - **id**: the page's path under its locale prefix (`billing/invoices/`
//!   for `/ja-jp/billing/invoices/index.html`), or — when it names its
//!   translations (`<link rel="alternate" hreflang>`) — that of its
//!   translation in the originals' language, so that translations share an
//!   id as the markdown corpus's do;
//! - **content**: the element marked `data-kensaku-body`, else the page's
//!   `<main>` (its `<article>`, when it has one), `<article>` or
//!   `[role=main]`; never navigation (`nav`, or ARIA's landmark roles for
//!   chrome), the site's banner (a `<header>` outside sectioning content:
//!   an article's own is read), footers, asides, scripts, hidden elements,
//!   `data-kensaku-ignore`, heading permalinks, the labels themes print
//!   atop callouts ("Note") and code blocks ("sh"), "edit this page" and
//!   "skip to content" links, or Sphinx's toctrees;
//! - **title**: the content's `<h1>`, else `<title>` without the site's name;
//!   **description**, **keywords** and the [metadata](super::meta) from
//!   `<meta>` tags named like the front matter's keys (`ms.service`);
//! - **sections**: every heading starts one, anchored by its `id` (or an
//!   `<a name>` in it, or its enclosing `<section id>`, as Sphinx writes),
//!   else by none (a hit in it links to the page): anchors are ids the page
//!   has;
//! - **URL**: `<link rel="canonical">`, else where the page is served.
//!
//! A page whose content holds a title and no text (a generator's home,
//! section or tag listing, its links all in navigation) is not an article,
//! nor is the site's `404.html`.
//!
//! DocFX's bilingual `<span class="sxs-lookup">` text is the English
//! original, kept apart as in markdown.

use std::borrow::Cow;

use ego_tree::NodeRef;
use scraper::Html;
use scraper::node::{Element, Node};
use url::Url;

use super::markdown::clean_text;
use super::meta::META_FIELDS;
use super::{Article, ArticleError, Block, BlockKind, Parsed, Section};
use crate::locale::{Language, Locale};

/// A page to parse: its bytes and where it comes from.
#[derive(Debug, Clone)]
pub struct Page<'a> {
    /// The page's path under the site's root, `/`-separated, as served
    /// (`ja-jp/billing/invoices/index.html`, or `ja-jp/billing/invoices/`).
    pub path: &'a str,
    /// The URL it was fetched from (a crawl), or `None` (a site folder).
    pub url: Option<&'a str>,
    pub bytes: &'a [u8],
    /// The charset of an HTTP `Content-Type`, if any.
    pub charset: Option<&'a str>,
}

/// What the parser needs besides the page.
#[derive(Debug, Clone, Default)]
pub struct SiteOptions {
    /// The URL of the site's root (`https://docs.example.com/`), under which
    /// a page with no canonical link is served; `/` when unknown.
    pub base_url: Option<String>,
    /// The locale of pages that name none (no `lang`, no locale prefix).
    pub default_locale: Option<Locale>,
}

// Why a page is not an article (besides `ArticleError`s). Any change to
// these rules, or to what the parser reads, bumps `super::PARSE_VERSION`.

/// A page that is only a pointer elsewhere, or asks not to be indexed.
const NOT_A_PAGE: &str = "a redirect or a page marked noindex";
/// Why a page with a title and no text is not an article.
const A_LISTING: &str = "a title and no text (a generated listing)";
/// Why a site's `404.html` (or `404/index.html`, as Gatsby writes it), at
/// its root or a locale's, is not an article: the page its server answers
/// for any missing path (Hugo, MkDocs, Docusaurus, VitePress, Jekyll and
/// GitHub Pages all write one), whatever it says.
const NOT_FOUND_PAGE: &str = "the site's not-found page (404.html)";

/// An attribute's value. scraper's `Element::attr` interns `name` first,
/// which for a name outside html5ever's static set (`data-kensaku-body`)
/// takes a global lock on every call; a comparison does not.
fn attr<'a>(e: &'a Element, name: &str) -> Option<&'a str> {
    e.attrs()
        .find_map(|(n, value)| (n == name).then_some(value))
}

/// The element's classes, read from its `class` attribute (scraper's
/// `Element::classes` interns each one).
fn classes(e: &Element) -> impl Iterator<Item = &str> {
    attr(e, "class")
        .into_iter()
        .flat_map(str::split_ascii_whitespace)
}

/// The served form of a path: `a/b/index.html` is `a/b/`.
pub fn served_path(path: &str) -> &str {
    path.strip_suffix("index.html").unwrap_or(path)
}

/// Parses one page.
pub fn parse_page(page: &Page<'_>, options: &SiteOptions) -> Result<Parsed, ArticleError> {
    let path = served_path(page.path.trim_start_matches('/'));
    let (prefix, under_prefix) = split_locale_prefix(path);
    if matches!(under_prefix, "404.html" | "404/") {
        return Err(ArticleError::NotAnArticle(NOT_FOUND_PAGE));
    }
    let text = decode(page.bytes, page.charset)?;
    let document = Html::parse_document(&text);
    let mut warnings = Vec::new();
    let head = Head::read(&document);
    if head.redirect || head.noindex {
        return Err(ArticleError::NotAnArticle(NOT_A_PAGE));
    }
    let locale = match head.lang.as_deref().map(Locale::parse) {
        Some(Ok(locale)) => locale,
        Some(Err(_)) | None => match (prefix, &options.default_locale) {
            (Some(locale), _) => locale,
            (None, Some(default)) => {
                warnings.push(format!("no lang and no locale in the path: {default}"));
                default.clone()
            }
            (None, None) => return Err(ArticleError::NoLocale),
        },
    };
    let served = served_url(page, options, path);
    // Where the page says it is: its canonical link, else its own entry
    // among its translations (which then also tells the site's root).
    let own_alternate = head
        .alternates
        .iter()
        .filter(|(lang, _)| Locale::parse(lang).is_ok_and(|l| l == locale))
        .filter_map(|(_, href)| served.join(href).ok())
        .find(|u| u.path().ends_with(path));
    let url = head
        .canonical
        .as_deref()
        .and_then(|c| served.join(c).ok())
        .or(own_alternate)
        .unwrap_or_else(|| served.clone());
    // The site's root as this page sees it: its URL without its path.
    let root = site_root(&url, path).unwrap_or_else(|| site_root(&served, path).unwrap_or(served));
    let id =
        originals_id(&head.alternates, &url, &root).unwrap_or_else(|| under_prefix.to_string());

    let content = content_root(&document);
    let mut reader = Reader::default();
    reader.walk(content, Context::default());
    let sections = reader.finish();
    let title = sections
        .iter()
        .find(|s| s.level == 1 && !s.heading.is_empty())
        .map(|s| s.heading.clone())
        .or_else(|| head.title.as_deref().map(without_site_name))
        .unwrap_or_default();
    let has_text = sections.iter().any(|s| !s.blocks.is_empty());
    if title.is_empty() && !has_text {
        return Err(ArticleError::Empty);
    }
    // A generator's home, section and tag pages are a heading over links in
    // navigation (which is not text): as hits they answer nothing, and their
    // title alone, embedded, sits near every question about the site.
    if !has_text {
        return Err(ArticleError::NotAnArticle(A_LISTING));
    }
    let mut meta = super::Meta::default();
    for field in META_FIELDS {
        if let Some(value) = head.meta(field.key) {
            meta.set(field.name, value.to_string());
        }
    }
    let url = if url.host_str() == Some("kensaku.invalid") {
        url[url::Position::BeforePath..].to_string()
    } else {
        url.to_string()
    };
    let article = Article {
        id,
        locale,
        url,
        title,
        description: head.meta("description").unwrap_or_default().to_string(),
        keywords: head
            .meta("keywords")
            .map(|k| {
                k.split(',')
                    .map(|w| w.trim().to_string())
                    .filter(|w| !w.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        sections,
        meta,
    };
    Ok(Parsed { article, warnings })
}

/// The page's text, decoded.
fn decode<'a>(bytes: &'a [u8], charset: Option<&str>) -> Result<Cow<'a, str>, ArticleError> {
    let declared = charset
        .and_then(|c| encoding_rs::Encoding::for_label(c.trim().as_bytes()))
        .or_else(|| encoding_rs::Encoding::for_bom(bytes).map(|(e, _)| e))
        .or_else(|| meta_charset(&bytes[..bytes.len().min(1024)]));
    let encoding = match declared {
        Some(encoding) => encoding,
        None if std::str::from_utf8(bytes).is_ok() => encoding_rs::UTF_8,
        None => encoding_rs::WINDOWS_1252,
    };
    let (text, _, _) = encoding.decode(bytes);
    if text.contains('\0') {
        return Err(ArticleError::Binary(text.find('\0').unwrap_or_default()));
    }
    Ok(text)
}

/// The charset a page's first bytes declare (`<meta charset="…">` or
/// `<meta http-equiv="Content-Type" content="…; charset=…">`).
fn meta_charset(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let at = text.find("charset=")? + "charset=".len();
    let label: String = text[at..]
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        .collect();
    encoding_rs::Encoding::for_label(label.as_bytes())
}

/// What the document's `<head>` (and `<html>`) say.
#[derive(Default)]
struct Head {
    lang: Option<String>,
    title: Option<String>,
    canonical: Option<String>,
    /// (hreflang, href).
    alternates: Vec<(String, String)>,
    /// (lowercased name, content).
    metas: Vec<(String, String)>,
    redirect: bool,
    noindex: bool,
}

impl Head {
    fn read(document: &Html) -> Head {
        let mut head = Head {
            lang: attr(document.root_element().value(), "lang")
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string),
            ..Default::default()
        };
        // The head's elements (parsing puts them there, wherever written).
        let head_element = document
            .root_element()
            .children()
            .find(|n| matches!(n.value(), Node::Element(e) if e.name() == "head"));
        for node in head_element.into_iter().flat_map(|h| h.descendants()) {
            let Node::Element(e) = node.value() else {
                continue;
            };
            match e.name() {
                "title" if head.title.is_none() => {
                    head.title = Some(node_text(node).trim().to_string());
                }
                "link" => {
                    let rel = attr(e, "rel").unwrap_or("").to_ascii_lowercase();
                    let Some(href) = attr(e, "href").map(str::trim) else {
                        continue;
                    };
                    let rels: Vec<&str> = rel.split_whitespace().collect();
                    if rels.contains(&"canonical") && head.canonical.is_none() {
                        head.canonical = Some(href.to_string());
                    } else if rels.contains(&"alternate")
                        && let Some(lang) = attr(e, "hreflang")
                    {
                        head.alternates
                            .push((lang.trim().to_ascii_lowercase(), href.to_string()));
                    }
                }
                "meta" => {
                    let content = attr(e, "content").unwrap_or("").trim();
                    if let Some(name) = attr(e, "name").or_else(|| attr(e, "property")) {
                        let name = name.trim().to_ascii_lowercase();
                        if name == "robots" && content.to_ascii_lowercase().contains("noindex") {
                            head.noindex = true;
                        }
                        head.metas.push((name, content.to_string()));
                    } else if attr(e, "http-equiv")
                        .is_some_and(|h| h.eq_ignore_ascii_case("refresh"))
                        && content.to_ascii_lowercase().contains("url=")
                    {
                        head.redirect = true;
                    }
                }
                _ => {}
            }
        }
        head
    }

    fn meta(&self, name: &str) -> Option<&str> {
        self.metas
            .iter()
            .find(|(n, v)| n.eq_ignore_ascii_case(name) && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }
}

/// `Invoices | Partner Center` → `Invoices`.
fn without_site_name(title: &str) -> String {
    for separator in [" | ", " – ", " — ", " - ", " · "] {
        if let Some((page, _site)) = title.rsplit_once(separator)
            && !page.trim().is_empty()
        {
            return page.trim().to_string();
        }
    }
    title.trim().to_string()
}

/// A path's locale prefix (its first segment, when it reads as a locale)
/// and the path under it.
pub fn split_locale_prefix(path: &str) -> (Option<Locale>, &str) {
    if let Some((first, rest)) = path.split_once('/')
        && let Some(locale) = locale_segment(first)
    {
        return (Some(locale), rest);
    }
    (None, path)
}

/// A path segment that names a locale: `ja`, `ja-jp`, `zh-hans`, `pt-br` —
/// a language kensaku knows, or a tag with a region (`pl-pl`). Not `api`,
/// `docs`, `en-us.html`.
fn locale_segment(segment: &str) -> Option<Locale> {
    let locale = Locale::parse(segment).ok()?;
    let lowered = segment.to_ascii_lowercase().replace('_', "-");
    let known = locale.language() != Language::Other;
    let has_region = locale.as_str().contains('-');
    (locale.as_str() == lowered && (known || has_region)).then_some(locale)
}

/// The origin of a site folder's pages when no base URL is given: links
/// resolve against it, and a page's URL is then its path alone.
const PLACEHOLDER: &str = "http://kensaku.invalid/";

/// Where the page is served: its fetched URL, else its path under the base
/// URL (or under [`PLACEHOLDER`]).
fn served_url(page: &Page<'_>, options: &SiteOptions, path: &str) -> Url {
    if let Some(url) = page.url.and_then(|u| Url::parse(u).ok()) {
        return url;
    }
    let base = options
        .base_url
        .as_deref()
        .and_then(|b| Url::parse(b).ok())
        .map(|mut b| {
            if !b.path().ends_with('/') {
                let path = format!("{}/", b.path());
                b.set_path(&path);
            }
            b
        })
        .unwrap_or_else(|| Url::parse(PLACEHOLDER).expect("a valid URL"));
    base.join(path).unwrap_or(base)
}

/// The root of the site `url` (the page at `path` under it) belongs to,
/// when `url` ends with the path.
fn site_root(url: &Url, path: &str) -> Option<Url> {
    let full = url.path();
    let root = full.strip_suffix(path)?;
    let mut root_url = url.clone();
    root_url.set_path(if root.is_empty() { "/" } else { root });
    root_url.set_query(None);
    root_url.set_fragment(None);
    Some(root_url)
}

/// The id of the page's translation in the originals' language (or the
/// `x-default` one), when its alternates name one on the same site.
fn originals_id(alternates: &[(String, String)], url: &Url, root: &Url) -> Option<String> {
    let originals = alternates
        .iter()
        .find(|(lang, _)| Locale::parse(lang).is_ok_and(|l| l.holds_originals()))
        .or_else(|| alternates.iter().find(|(lang, _)| lang == "x-default"))?;
    let target = url.join(&originals.1).ok()?;
    if target.origin() != root.origin() {
        return None;
    }
    let path = target.path().strip_prefix(root.path())?;
    let path = percent_decode(served_path(path));
    let (_, under) = split_locale_prefix(&path);
    Some(under.to_string())
}

fn percent_decode(path: &str) -> String {
    percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned()
}

/// The element whose text is the page's content: the first marked
/// `data-kensaku-body`, else the first `<article>` in a `<main>`, the first
/// `<main>`, `<article>` or `[role=main]`, the `<body>` — found in one walk.
fn content_root(document: &Html) -> NodeRef<'_, Node> {
    // Candidates by preference, the first of each kind in document order.
    let mut found: [Option<NodeRef<'_, Node>>; 6] = [None; 6];
    let mut in_main: Vec<ego_tree::NodeId> = Vec::new();
    for node in document.tree.root().descendants() {
        let Node::Element(e) = node.value() else {
            continue;
        };
        let rank = if attr(e, "data-kensaku-body").is_some() {
            Some(0)
        } else {
            match e.name() {
                "main" => {
                    in_main.push(node.id());
                    Some(2)
                }
                "article" if node.ancestors().any(|a| in_main.contains(&a.id())) => Some(1),
                "article" => Some(3),
                "body" => Some(5),
                _ if role(e) == Some("main") => Some(4),
                _ => None,
            }
        };
        if let Some(rank) = rank
            && found[rank].is_none()
        {
            found[rank] = Some(node);
            if rank == 0 {
                break;
            }
        }
    }
    found
        .into_iter()
        .flatten()
        .next()
        .unwrap_or_else(|| document.tree.root())
}

/// Elements that are never content.
fn is_excluded(e: &Element) -> bool {
    matches!(
        e.name(),
        "nav"
            | "footer"
            | "aside"
            | "script"
            | "style"
            | "template"
            | "noscript"
            | "svg"
            | "button"
            | "select"
            | "form"
            | "img"
            | "iframe"
            | "object"
    ) || attr(e, "hidden").is_some()
        || attr(e, "aria-hidden") == Some("true")
        || role(e).is_some_and(is_chrome_role)
        || attr(e, "data-kensaku-ignore").is_some()
        || attr(e, "data-pagefind-ignore").is_some()
        || is_edit_link(e)
        || is_skip_link(e)
        || is_callout_label(e)
        || is_generated_toc(e)
}

/// The element's ARIA role: the first of its `role` attribute's tokens
/// (the others are fallbacks).
fn role(e: &Element) -> Option<&str> {
    attr(e, "role")?.split_ascii_whitespace().next()
}

/// ARIA's landmark roles for what `nav`, the site's `header`, `footer`,
/// `aside` and a search form are, given to other elements (Read the Docs'
/// theme writes its breadcrumbs as `<div role="navigation">`).
fn is_chrome_role(role: &str) -> bool {
    matches!(
        role,
        "navigation" | "banner" | "contentinfo" | "complementary" | "search"
    )
}

/// What is never content: [`is_excluded`] elements, and those whose place
/// in the page says so.
fn is_chrome(node: NodeRef<'_, Node>, e: &Element) -> bool {
    is_excluded(e) || is_banner(node, e) || is_code_label(node, e)
}

/// The site's banner: a `<header>` not inside sectioning content, `<main>`
/// or an element with one of their roles (HTML-AAM's rule for the `banner`
/// role), nor inside what the page marks as its content
/// (`data-kensaku-body`). A `<header>` inside an article is the article's
/// own (Docusaurus puts its `<h1>` there).
fn is_banner(node: NodeRef<'_, Node>, e: &Element) -> bool {
    e.name() == "header"
        && !node.ancestors().any(|a| match a.value() {
            Node::Element(a) => {
                matches!(a.name(), "article" | "aside" | "main" | "nav" | "section")
                    || matches!(
                        role(a),
                        Some("main" | "article" | "region" | "complementary" | "navigation")
                    )
                    || attr(a, "data-kensaku-body").is_some()
            }
            _ => false,
        })
}

/// A "skip to content" link (VitePress' `VPSkipLink`, Docusaurus'
/// `skipToContent`, the common `skip-link`): the theme's words, on every
/// page whose content root is its `<body>` (a home page with no `<main>`).
fn is_skip_link(e: &Element) -> bool {
    e.name() == "a"
        && attr(e, "href").is_some_and(|h| h.starts_with('#'))
        && classes(e).any(|c| c.to_ascii_lowercase().contains("skip"))
}

/// The language a theme prints atop a code block (VitePress:
/// `<div class="language-sh"><span class="lang">sh</span><pre>`).
fn is_code_label(node: NodeRef<'_, Node>, e: &Element) -> bool {
    e.name() == "span"
        && classes(e).any(|c| c == "lang")
        && node.parent().is_some_and(|p| match p.value() {
            Node::Element(parent) => classes(parent).any(|c| c.starts_with("language-")),
            _ => false,
        })
}

/// Sphinx's `toctree` (`div.toctree-wrapper`): the linked pages' own
/// titles and headings, printed in the page that links them. Read as text,
/// a page that is only a toctree would answer every query about the pages
/// it lists; without it, it is a listing, as a generator's section page is.
fn is_generated_toc(e: &Element) -> bool {
    e.name() == "div" && classes(e).any(|c| c == "toctree-wrapper")
}

/// The label a theme prints atop a callout ("Note", "メモ": DocFX's
/// `alert-title`, MkDocs' and Sphinx's `admonition-title`, VitePress'
/// `custom-block-title`, Docusaurus' `admonitionHeading`): the renderer's
/// words, repeated on every page that has a note, which the markdown source
/// never holds.
fn is_callout_label(e: &Element) -> bool {
    classes(e).any(|c| {
        matches!(c, "alert-title" | "admonition-title" | "custom-block-title")
            || c.starts_with("admonitionHeading")
    })
}

/// "Edit this page" links of docs themes (MkDocs, Docusaurus, Sphinx).
fn is_edit_link(e: &Element) -> bool {
    e.name() == "a"
        && (attr(e, "rel").is_some_and(|r| r.contains("edit"))
            || classes(e).any(|c| {
                let c = c.to_ascii_lowercase();
                c.contains("edit-this") || c.contains("edit-page") || c == "md-content__button"
            }))
}

/// A heading's permalink (`¶`, `#`, `🔗`, VitePress' zero-width space, or an
/// icon font's glyph from the private use area, as Read the Docs' theme
/// writes U+F0C1): not text.
fn is_permalink(text: &str) -> bool {
    // Whitespace alone is not a permalink: dropping it would join words.
    text.chars().any(|c| !c.is_whitespace())
        && text.chars().all(|c| {
            c.is_whitespace()
                || is_invisible(c)
                || matches!(
                    c,
                    '¶' | '#' | '§' | '🔗' | '∞' | '⚓' | '\u{E000}'..='\u{F8FF}'
                )
        })
}

/// Zero-width characters (format controls a theme puts where a link needs
/// content but the reader should see none).
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

fn heading_level(name: &str) -> Option<u8> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

/// Elements that end the text run before them and start a new one.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "section"
            | "li"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "table"
            | "thead"
            | "tbody"
            | "tfoot"
            | "tr"
            | "pre"
            | "blockquote"
            | "figure"
            | "figcaption"
            | "details"
            | "summary"
            | "hr"
            | "br"
            | "main"
            | "article"
    )
}

/// Where text being read sits.
#[derive(Debug, Clone, Copy, Default)]
struct Context {
    list: bool,
    table: bool,
    quote: bool,
    code: bool,
    english: bool,
    /// The `id` of the innermost `<section>` around (Sphinx anchors).
    section_id: Option<ego_tree::NodeId>,
}

/// Reads the content's elements into sections of blocks.
#[derive(Default)]
struct Reader {
    sections: Vec<Section>,
    current: Section,
    /// Heading being read: (level, anchor, text).
    heading: Option<(u8, Option<String>, String)>,
    text: String,
    english: String,
    kind: Option<BlockKind>,
    /// Section ids by node (for `section_id`).
    section_ids: Vec<(ego_tree::NodeId, String)>,
}

impl Reader {
    fn walk(&mut self, node: NodeRef<'_, Node>, mut ctx: Context) {
        match node.value() {
            Node::Text(text) => self.push(text, ctx),
            Node::Element(e) => {
                if is_chrome(node, e) {
                    return;
                }
                let name = e.name();
                if name == "span" && classes(e).any(|c| c == "sxs-lookup") {
                    ctx.english = true;
                    for child in node.children() {
                        self.walk(child, ctx);
                    }
                    self.english.push(' ');
                    return;
                }
                if let Some(level) = heading_level(name) {
                    self.heading(node, e, level, ctx);
                    return;
                }
                if name == "a" && self.heading.is_none() {
                    let text: String = node_text(node);
                    if is_permalink(&text) {
                        return;
                    }
                }
                if name == "section"
                    && let Some(id) = e.id()
                {
                    self.section_ids.push((node.id(), id.to_string()));
                    ctx.section_id = Some(node.id());
                }
                match name {
                    "ul" | "ol" | "dl" => ctx.list = true,
                    "table" => ctx.table = true,
                    "blockquote" => ctx.quote = true,
                    "pre" => ctx.code = true,
                    "div"
                        if classes(e).any(|c| {
                            matches!(
                                c,
                                "alert" | "admonition" | "note" | "warning" | "tip" | "callout"
                            )
                        }) =>
                    {
                        ctx.quote = true
                    }
                    _ => {}
                }
                let block = is_block(name);
                if block {
                    self.flush();
                }
                for child in node.children() {
                    self.walk(child, ctx);
                }
                match name {
                    "td" | "th" => self.push(" | ", ctx),
                    _ if block => self.flush(),
                    _ => {}
                }
            }
            _ => {
                for child in node.children() {
                    self.walk(child, ctx);
                }
            }
        }
    }

    fn push(&mut self, text: &str, ctx: Context) {
        if ctx.english {
            self.english.push_str(text);
            return;
        }
        if let Some((_, _, heading)) = &mut self.heading {
            heading.push_str(text);
            return;
        }
        self.kind = Some(if ctx.code {
            BlockKind::Code
        } else if ctx.quote {
            BlockKind::Callout
        } else if ctx.table {
            BlockKind::TableRow
        } else if ctx.list {
            BlockKind::ListItem
        } else {
            BlockKind::Paragraph
        });
        self.text.push_str(text);
    }

    fn heading(&mut self, node: NodeRef<'_, Node>, e: &Element, level: u8, ctx: Context) {
        self.flush();
        let anchor = e
            .id()
            .map(str::to_string)
            .or_else(|| {
                node.descendants().find_map(|d| match d.value() {
                    Node::Element(a) if a.name() == "a" => {
                        attr(a, "name").or_else(|| a.id()).map(str::to_string)
                    }
                    _ => None,
                })
            })
            .or_else(|| {
                let section = ctx.section_id?;
                let (_, id) = self.section_ids.iter().find(|(n, _)| *n == section)?;
                Some(id.clone())
            });
        self.heading = Some((level, anchor, String::new()));
        let mut inner = ctx;
        inner.english = false;
        for child in node.children() {
            // A heading's permalink is not its text.
            if let Node::Element(a) = child.value()
                && a.name() == "a"
                && is_permalink(&node_text(child))
            {
                continue;
            }
            self.walk(child, inner);
        }
        let Some((level, anchor, text)) = self.heading.take() else {
            return;
        };
        let heading = clean_text(&text);
        let finished = std::mem::take(&mut self.current);
        if !is_empty(&finished) {
            self.sections.push(finished);
        }
        self.current = Section {
            // An anchor is an id the page has: a heading without one (as
            // Docusaurus writes its `<h1>`) links to the page itself.
            anchor: anchor.unwrap_or_default(),
            heading,
            level,
            blocks: Vec::new(),
            english: clean_text(&std::mem::take(&mut self.english)),
        };
    }

    fn flush(&mut self) {
        if self.heading.is_some() {
            return;
        }
        let english = clean_text(&std::mem::take(&mut self.english));
        if !english.is_empty() {
            if !self.current.english.is_empty() {
                self.current.english.push(' ');
            }
            self.current.english.push_str(&english);
        }
        let raw = std::mem::take(&mut self.text);
        let Some(kind) = self.kind.take() else {
            return;
        };
        let text = if kind == BlockKind::Code {
            raw.trim_matches('\n').trim_end().to_string()
        } else {
            clean_text(&raw)
        };
        if !text.trim().is_empty() {
            self.current.blocks.push(Block { kind, text });
        }
    }

    fn finish(mut self) -> Vec<Section> {
        self.flush();
        if !is_empty(&self.current) {
            self.sections.push(self.current);
        }
        self.sections
    }
}

fn is_empty(section: &Section) -> bool {
    section.heading.is_empty() && section.blocks.is_empty() && section.english.is_empty()
}

fn node_text(node: NodeRef<'_, Node>) -> String {
    node.descendants()
        .filter_map(|d| match d.value() {
            Node::Text(t) => Some(&**t),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(path: &str, html: &str) -> Result<Parsed, ArticleError> {
        parse_page(
            &Page {
                path,
                url: None,
                bytes: html.as_bytes(),
                charset: None,
            },
            &SiteOptions::default(),
        )
    }

    /// A section's blocks, kind and text.
    fn blocks(section: &Section) -> Vec<(BlockKind, &str)> {
        section
            .blocks
            .iter()
            .map(|b| (b.kind, b.text.as_str()))
            .collect()
    }

    const HUGO: &str = r##"<!DOCTYPE html><html lang="ja-JP"><head>
<title>請求書 | パートナー センター</title>
<meta name="description" content="請求書をダウンロードする">
<meta name="ms.service" content="partner-dashboard"><meta name="ms.topic" content="article">
<link rel="canonical" href="https://docs.example.org/ja-jp/billing/invoices/">
<link rel="alternate" hreflang="en-US" href="https://docs.example.org/en-us/billing/invoices/">
<link rel="alternate" hreflang="ja-JP" href="https://docs.example.org/ja-jp/billing/invoices/">
</head><body><header><nav><a href="/">ホーム</a> サイトのナビゲーション</nav></header>
<aside class="sidebar"><nav>他のページ</nav></aside>
<main><nav class="breadcrumb">パン くず</nav><article>
<h1>請求書</h1>
<p>請求書は<strong>毎月</strong>届きます。</p>
<h2 id="download"><a name="download"></a><span data-ttu-id="1">ダウンロード</span><span class="sxs-lookup"><span data-stu-id="1">Download</span></span> <a class="headerlink" href="#download">¶</a></h2>
<p><span data-ttu-id="2">ダッシュボードを開きます。</span><span class="sxs-lookup"><span data-stu-id="2">Open the dashboard.</span></span></p>
<ul><li>手順 1</li><li>手順 2</li></ul>
<table><tr><th>列</th><th>値</th></tr><tr><td>a</td><td>b</td></tr></table>
<pre><code>kensaku index --site public</code></pre>
<div class="alert note"><p class="alert-title">メモ</p><p>注意事項</p></div>
<p hidden>隠れた</p><script>var x = "スクリプト";</script>
<a class="edit-this-page" href="/edit">このページを編集</a>
</article><section class="feedback"><h2>役に立ちましたか</h2></section></main>
<footer>フッター</footer></body></html>"##;

    #[test]
    fn a_generated_page_reads_as_its_markdown_would() {
        let parsed = page("ja-jp/billing/invoices/index.html", HUGO).unwrap();
        let a = &parsed.article;
        assert_eq!(a.locale.as_str(), "ja-jp");
        assert_eq!(a.id, "billing/invoices/");
        assert_eq!(a.url, "https://docs.example.org/ja-jp/billing/invoices/");
        assert_eq!(a.title, "請求書");
        assert_eq!(a.description, "請求書をダウンロードする");
        assert_eq!(a.meta.get("service"), Some("partner-dashboard"));
        let headings: Vec<&str> = a.sections.iter().map(|s| s.heading.as_str()).collect();
        assert_eq!(headings, ["請求書", "ダウンロード"]);
        let download = &a.sections[1];
        assert_eq!(download.anchor, "download");
        assert_eq!(download.english, "Download Open the dashboard.");
        let blocks = blocks(download);
        assert_eq!(
            blocks,
            [
                (BlockKind::Paragraph, "ダッシュボードを開きます。"),
                (BlockKind::ListItem, "手順 1"),
                (BlockKind::ListItem, "手順 2"),
                (BlockKind::TableRow, "列 | 値"),
                (BlockKind::TableRow, "a | b"),
                (BlockKind::Code, "kensaku index --site public"),
                (BlockKind::Callout, "注意事項"),
            ]
        );
        let all = format!("{:?}", a.sections);
        for chrome in [
            "ナビゲーション",
            "他のページ",
            "パン",
            "フッター",
            "隠れた",
            "スクリプト",
            "編集",
            "役に立ちましたか",
            "¶",
        ] {
            assert!(!all.contains(chrome), "{chrome} is not content: {all}");
        }
        assert_eq!(a.sections[0].blocks[0].text, "請求書は毎月届きます。");
    }

    #[test]
    fn translations_share_the_id_of_their_original() {
        let html = r##"<html lang="de"><head>
<link rel="alternate" hreflang="en" href="/en/billing/invoices.html">
<link rel="alternate" hreflang="de" href="/de/abrechnung/rechnungen.html">
</head><body><main><h1>Rechnungen</h1><p>Text.</p></main></body></html>"##;
        let parsed = page("de/abrechnung/rechnungen.html", html).unwrap();
        assert_eq!(parsed.article.locale.as_str(), "de");
        assert_eq!(parsed.article.id, "billing/invoices.html");
        assert_eq!(parsed.article.url, "/de/abrechnung/rechnungen.html");
    }

    #[test]
    fn the_locale_comes_from_lang_then_the_path_then_the_default() {
        let bare = "<html><body><main><h1>T</h1><p>x</p></main></body></html>";
        assert_eq!(
            page("zh-hans/a.html", bare)
                .unwrap()
                .article
                .locale
                .as_str(),
            "zh-hans"
        );
        assert_eq!(page("zh-hans/a.html", bare).unwrap().article.id, "a.html");
        assert!(matches!(
            page("api/a.html", bare),
            Err(ArticleError::NoLocale)
        ));
        let with_default = parse_page(
            &Page {
                path: "api/a.html",
                url: None,
                bytes: bare.as_bytes(),
                charset: None,
            },
            &SiteOptions {
                default_locale: Some(Locale::parse("en").unwrap()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(with_default.article.locale.as_str(), "en");
        assert_eq!(with_default.article.id, "api/a.html");
        assert_eq!(with_default.warnings.len(), 1);
    }

    #[test]
    fn sphinx_and_mkdocs_shapes() {
        // Sphinx: the anchor is the section's id; `¶` permalinks.
        let sphinx = r##"<html lang="en"><body><div role="main"><section id="install"><h1>Install<a class="headerlink" href="#install" title="Link to this heading">¶</a></h1><p>Run it.</p></section></div></body></html>"##;
        let a = page("en/install.html", sphinx).unwrap().article;
        assert_eq!(a.title, "Install");
        assert_eq!(a.sections[0].anchor, "install");
        // MkDocs Material: main holds the sidebars, the article the text.
        let mkdocs = r##"<html lang="ja"><body><main class="md-main"><div class="md-sidebar"><nav>目次</nav></div><div class="md-content"><article class="md-content__inner"><a href="e" class="md-content__button">編集</a><h1 id="_1">請求書<a class="headerlink" href="#_1">&para;</a></h1><p>本文</p></article></div></main></body></html>"##;
        let a = page("ja/invoices/index.html", mkdocs).unwrap().article;
        assert_eq!((a.title.as_str(), a.id.as_str()), ("請求書", "invoices/"));
        assert_eq!(format!("{:?}", a.sections).matches("目次").count(), 0);
    }

    #[test]
    fn vitepress_and_read_the_docs_permalinks() {
        // The markup VitePress 1.6 writes: a zero-width permalink, a code
        // block's language label and copy button.
        let doc = "<html lang=\"en-US\"><body><main class=\"main\"><div class=\"vp-doc\"><div>\
<h1 id=\"invoices\" tabindex=\"-1\">Invoices <a class=\"header-anchor\" href=\"#invoices\" aria-label=\"Permalink to &quot;Invoices&quot;\">\u{200b}</a></h1>\
<p>Invoices arrive every month.</p>\
<div class=\"language-sh vp-adaptive-theme\"><button title=\"Copy Code\" class=\"copy\"></button><span class=\"lang\">sh</span><pre class=\"shiki\"><code><span class=\"line\"><span>kensaku</span><span> index</span></span></code></pre></div>\
</div></div></main></body></html>";
        let a = page("billing/invoices.html", doc).unwrap().article;
        assert_eq!(a.title, "Invoices");
        assert_eq!(a.sections[0].heading, "Invoices");
        assert_eq!(
            blocks(&a.sections[0]),
            [
                (BlockKind::Paragraph, "Invoices arrive every month."),
                (BlockKind::Code, "kensaku index"),
            ]
        );
        // Elsewhere a span of class `lang` is text.
        let span = doc.replace("language-sh vp-adaptive-theme", "example");
        let a = page("billing/invoices.html", &span).unwrap().article;
        assert_eq!(a.sections[0].blocks[1].text, "sh");
        // A home page with no `<main>`: its skip link is not text.
        let home = "<html lang=\"en-US\"><body><div id=\"app\"><a href=\"#VPContent\" class=\"VPSkipLink visually-hidden\">Skip to content</a>\
<div class=\"VPHome\"><h1 class=\"heading\"><span class=\"name\">Partner Docs</span></h1><p class=\"tagline\">Everything about billing</p></div></div></body></html>";
        let a = page("index.html", home).unwrap().article;
        assert_eq!(a.title, "Partner Docs");
        assert!(
            !format!("{:?}", a.sections).contains("Skip"),
            "{:?}",
            a.sections
        );
        // Read the Docs' theme: an icon font's glyph.
        let rtd = "<html lang=en><body><div role=main><section id=\"invoices\"><h1>Invoices<a class=\"headerlink\" href=\"#invoices\" title=\"Link to this heading\">\u{f0c1}</a></h1><p>x</p></section></div></body></html>";
        assert_eq!(page("en/x.html", rtd).unwrap().article.title, "Invoices");
        // Whitespace alone in a link is not a permalink: words stay apart.
        let spaced = "<html lang=en><body><main><h1>T</h1><p>one<a href=\"x\"> </a>two</p></main></body></html>";
        assert_eq!(
            page("en/x.html", spaced).unwrap().article.sections[0].blocks[0].text,
            "one two"
        );
    }

    #[test]
    fn docusaurus_shapes() {
        // Docusaurus 3 writes the `<h1>` in the article's own `<header>`,
        // beside breadcrumbs, and its footer holds the edit link.
        let doc = r##"<html lang="ja"><body><header class="site"><nav>Site</nav><p>Banner</p></header><main><article><nav class="theme-doc-breadcrumbs"><span>billing</span></nav><div class="theme-doc-toc-mobile"><button>On this page</button></div><div class="theme-doc-markdown markdown"><header><h1>請求書</h1></header>
<p>請求書は毎月届きます。</p>
<h2 class="anchor" id="download">ダウンロード<a href="#download" class="hash-link" aria-label="Direct link">&#8203;</a></h2><p>開きます。</p></div><footer class="theme-doc-footer"><a class="theme-edit-this-page" href="e">このページを編集</a><span>最終更新</span></footer></article></main></body></html>"##;
        let a = page("ja/docs/billing/invoices/index.html", doc)
            .unwrap()
            .article;
        assert_eq!(a.title, "請求書");
        let headings: Vec<(u8, &str, &str)> = a
            .sections
            .iter()
            .map(|s| (s.level, s.anchor.as_str(), s.heading.as_str()))
            .collect();
        assert_eq!(
            headings,
            [(1, "", "請求書"), (2, "download", "ダウンロード")]
        );
        let all = format!("{:?}", a.sections);
        for chrome in ["Banner", "billing", "On this page", "編集", "最終更新"] {
            assert!(!all.contains(chrome), "{chrome}: {all}");
        }
        // With no `<main>` or `<article>`, the body's banner is still not
        // text.
        let bare = doc
            .replace("<main><article>", "<div>")
            .replace("</article></main>", "</div>");
        let a = page("ja/docs/billing/invoices/index.html", &bare)
            .unwrap()
            .article;
        assert!(!format!("{:?}", a.sections).contains("Banner"));
    }

    #[test]
    fn landmark_roles_are_chrome_as_their_elements_are() {
        // Read the Docs' Sphinx theme writes its breadcrumbs and footer
        // buttons as `div`s with the navigation role; here they sit inside
        // the content root, as they do when a site marks its wrapper as the
        // content.
        let rtd = r##"<html lang="en"><body><div class="rst-content" data-kensaku-body><div role="navigation" aria-label="Page navigation"><ul class="wy-breadcrumbs"><li>Docs</li><li>Invoices</li></ul></div><div role="main" class="document"><section id="invoices"><h1>Invoices</h1><p>Text.</p><div role="complementary"><p>Related pages</p></div><div role="search"><p>Search the docs</p></div></section></div><div class="rst-footer-buttons" role="navigation navigation"><a href="next.html">Next</a></div><div role="contentinfo"><p>Built with Sphinx</p></div></div></body></html>"##;
        let a = page("en/invoices.html", rtd).unwrap().article;
        assert_eq!(a.sections.len(), 1, "{:?}", a.sections);
        assert_eq!(blocks(&a.sections[0]), [(BlockKind::Paragraph, "Text.")]);
        // Other roles are read.
        let region = rtd.replace(r#"role="complementary""#, r#"role="region""#);
        let a = page("en/invoices.html", &region).unwrap().article;
        assert_eq!(a.sections[0].blocks.len(), 2);
    }

    #[test]
    fn a_header_in_what_the_page_marks_as_content_is_read() {
        // Inside `data-kensaku-body`, or an element with a sectioning role,
        // a `<header>` is the content's own.
        for wrapper in [r#"<div data-kensaku-body>"#, r#"<div role="main">"#] {
            let html = format!(
                "<html lang=en><body><header>Site</header>{wrapper}<header><h1>Invoices</h1></header><p>Text.</p></div></body></html>"
            );
            let a = page("en/x.html", &html).unwrap().article;
            assert_eq!(a.title, "Invoices", "{wrapper}");
            assert!(!format!("{:?}", a.sections).contains("Site"));
        }
    }

    #[test]
    fn a_sites_not_found_page_is_not_an_article() {
        let not_found = "<html lang=en><body><main><h1>Page Not Found</h1><p>We could not find what you were looking for.</p></main></body></html>";
        for path in ["404.html", "ja/404.html", "404/index.html", "ja-jp/404/"] {
            assert!(matches!(
                page(path, not_found),
                Err(ArticleError::NotAnArticle(NOT_FOUND_PAGE))
            ));
        }
        assert!(page("en/errors/404.html", not_found).is_ok());
    }

    #[test]
    fn a_sphinx_toctree_is_not_text() {
        // A root page that is only a toctree is a listing; with a line of
        // its own, it is an article without the linked pages' titles.
        let toctree = r##"<html lang="en"><body><div class="body" role="main"><section id="partner-docs"><h1>Partner Docs<a class="headerlink" href="#partner-docs" title="Link to this heading">¶</a></h1><div class="toctree-wrapper compound"><ul><li class="toctree-l1"><a class="reference internal" href="billing/invoices.html">Invoices</a><ul><li class="toctree-l2"><a class="reference internal" href="billing/invoices.html#download-an-invoice">Download an invoice</a></li></ul></li></ul></div></section></div></body></html>"##;
        assert!(matches!(
            page("en/index.html", toctree),
            Err(ArticleError::NotAnArticle(A_LISTING))
        ));
        let with_text = toctree.replace("</h1>", "</h1><p>Billing for partners.</p>");
        let a = page("en/index.html", &with_text).unwrap().article;
        assert_eq!(
            blocks(&a.sections[0]),
            [(BlockKind::Paragraph, "Billing for partners.")]
        );
    }

    #[test]
    fn charsets_are_read_from_the_header_the_bom_or_the_meta() {
        let (shift_jis, _, _) = encoding_rs::SHIFT_JIS.encode(
            "<html lang=ja><head><meta charset=\"Shift_JIS\"></head><body><main><h1>請求書</h1><p>日本語</p></main></body></html>",
        );
        let parsed = page("ja/a.html", std::str::from_utf8(&shift_jis).unwrap_or("")).ok();
        // Not UTF-8: read through Page's bytes below.
        assert!(parsed.is_none() || parsed.unwrap().article.title != "請求書");
        let read = |bytes: &[u8], charset: Option<&str>| {
            parse_page(
                &Page {
                    path: "ja/a.html",
                    url: None,
                    bytes,
                    charset,
                },
                &SiteOptions::default(),
            )
            .unwrap()
            .article
        };
        assert_eq!(read(&shift_jis, None).title, "請求書");
        let (gb, _, _) = encoding_rs::GB18030
            .encode("<html lang=zh-cn><body><main><h1>发票</h1><p>中文</p></main></body></html>");
        assert_eq!(read(&gb, Some("gb18030")).title, "发票");
    }

    #[test]
    fn redirects_and_noindex_pages_are_not_articles() {
        let redirect =
            r##"<html><head><meta http-equiv="refresh" content="0; url=/en-us/"></head></html>"##;
        assert!(matches!(
            page("index.html", redirect),
            Err(ArticleError::NotAnArticle(_))
        ));
        let noindex = r##"<html lang="en"><head><meta name="robots" content="noindex"></head><body><main><p>x</p></main></body></html>"##;
        assert!(page("en/x.html", noindex).is_err());
    }

    #[test]
    fn a_listing_with_a_title_and_no_text_is_not_an_article() {
        let listing = r##"<html lang="en"><body><main><article><h1>Billing</h1></article>
<nav class="section-list"><ul><li><a href="invoices/">Invoices</a></li></ul></nav></main></body></html>"##;
        assert!(matches!(
            page("en/billing/index.html", listing),
            Err(ArticleError::NotAnArticle(A_LISTING))
        ));
        // One line of text is enough to be an article.
        let short = listing.replace("</h1>", "</h1><p>Invoices and payments.</p>");
        assert_eq!(
            page("en/billing/index.html", &short).unwrap().article.title,
            "Billing"
        );
        // A list of links beside the `<article>` (not in a `<nav>`) is not
        // its text either: the article is the content.
        let beside = listing.replace(
            "</article>",
            r#"</article><ul><li><a href="invoices/">Invoices</a></li></ul>"#,
        );
        assert!(matches!(
            page("en/billing/index.html", &beside),
            Err(ArticleError::NotAnArticle(A_LISTING))
        ));
    }

    #[test]
    fn every_themes_callout_label_is_not_text() {
        // DocFX, MkDocs and Sphinx, VitePress, Docusaurus: the label, then
        // the callout's own text (a callout block).
        for callout in [
            r#"<div class="alert note"><p class="alert-title">Note</p><p>Keep the receipt.</p></div>"#,
            r#"<div class="admonition note"><p class="admonition-title">Note</p><p>Keep the receipt.</p></div>"#,
            r#"<div class="tip custom-block"><p class="custom-block-title">TIP</p><p>Keep the receipt.</p></div>"#,
            r#"<div class="theme-admonition alert"><div class="admonitionHeading_Gvgb">note</div><div class="admonitionContent_BuS1"><p>Keep the receipt.</p></div></div>"#,
        ] {
            let html =
                format!("<html lang=en><body><main><h1>Billing</h1>{callout}</main></body></html>");
            let a = page("en/x.html", &html).unwrap().article;
            assert_eq!(
                blocks(&a.sections[0]),
                [(BlockKind::Callout, "Keep the receipt.")],
                "{callout}"
            );
        }
    }

    #[test]
    fn broken_html_is_read_as_browsers_read_it() {
        let broken =
            "<html lang=en><body><main><h1>Title</h1><p>first <b>bold <i>both</b> after<li>item";
        let a = page("en/x.html", broken).unwrap().article;
        assert_eq!(a.title, "Title");
        let text: Vec<&str> = a
            .sections
            .iter()
            .flat_map(|s| &s.blocks)
            .map(|b| b.text.as_str())
            .collect();
        assert_eq!(text, ["first bold both after", "item"]);
    }
}
