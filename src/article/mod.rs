//! Articles: DocFX markdown files → [`Article`]s.
//!
//! An article is read from bytes and a path; nothing here touches the index
//! or the network. Parsing is tolerant of what real content pipelines emit
//! (BOMs, CRLF, stray HTML) and strict about what would corrupt the index
//! (non-UTF-8, binary data, unreadable front matter): those are
//! [`ArticleError`]s that name the reason, for the caller to report and skip.

pub mod fragment;
pub mod front_matter;
pub mod html;
pub mod markdown;
pub mod meta;

use serde::{Deserialize, Serialize};

use crate::locale::Locale;
use front_matter::FrontMatterError;
pub use meta::Meta;

/// One article in one locale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// Path relative to the locale folder, `/`-separated: `partner-center/customer-support.md`.
    pub id: String,
    pub locale: Locale,
    pub url: String,
    pub title: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub sections: Vec<Section>,
    /// The front matter's [metadata](meta::META_FIELDS).
    pub meta: Meta,
}

/// The text under one heading, up to the next heading.
///
/// The first section of an article has an empty anchor and heading when the
/// body has text before its first heading. A page's heading that has no id
/// there (HTML) has an empty anchor too: an anchor is always an id its page
/// has, or none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub anchor: String,
    pub heading: String,
    /// 1 for `#`, 2 for `##`, …; 0 for text before the first heading.
    pub level: u8,
    pub blocks: Vec<Block>,
    /// English originals of this section's bilingual spans (heading included).
    pub english: String,
}

/// A paragraph-like unit of text. Never contains `\n` unless it is code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub kind: BlockKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    Paragraph,
    ListItem,
    TableRow,
    /// `> [!NOTE]` and other block quotes.
    Callout,
    /// Fenced or indented code.
    Code,
}

impl Section {
    /// The section's localized text: its blocks, one per line.
    pub fn text(&self) -> String {
        let mut text = String::new();
        self.write_text(&mut text);
        text
    }

    /// Appends the blocks, one per line, to `out`.
    pub fn write_text(&self, out: &mut String) {
        for block in &self.blocks {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&block.text);
        }
    }
}

impl Article {
    /// Headings of all sections, one per line.
    pub fn headings(&self) -> String {
        let mut out = String::new();
        for section in self.sections.iter().filter(|s| !s.heading.is_empty()) {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&section.heading);
        }
        out
    }

    /// All English originals, one section per line.
    pub fn english(&self) -> String {
        let mut out = String::new();
        for section in self.sections.iter().filter(|s| !s.english.is_empty()) {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&section.english);
        }
        out
    }
}

/// What names an article whatever its format: its id without the file
/// extension, an `index` page's name or a trailing slash (`billing/invoices`
/// for `billing/invoices.md`, `billing/invoices/`, `billing/invoices.html`,
/// `billing/invoices/index.html`).
pub fn id_key(id: &str) -> &str {
    let id = id.trim_end_matches('/');
    let id = [".md", ".markdown", ".html", ".htm"]
        .iter()
        .find_map(|ext| id.strip_suffix(ext))
        .unwrap_or(id);
    match id.strip_suffix("index") {
        Some(rest) if rest.is_empty() || rest.ends_with('/') => rest.trim_end_matches('/'),
        _ => id,
    }
}

/// Turns an article id into its public URL.
///
/// The template may use `{locale}` and `{path}` (the id without `.md`), e.g.
/// `https://learn.microsoft.com/{locale}/{path}`. Without `{path}`, the path
/// is appended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlTemplate(String);

impl UrlTemplate {
    pub const DEFAULT: &'static str = "/docs/{locale}/{path}";

    pub fn new(template: impl Into<String>) -> Self {
        UrlTemplate(template.into())
    }

    pub fn url(&self, locale: &Locale, id: &str) -> String {
        let path = id.strip_suffix(".md").unwrap_or(id);
        let with_locale = self.0.replace("{locale}", locale.as_str());
        if with_locale.contains("{path}") {
            with_locale.replace("{path}", path)
        } else if with_locale.ends_with('/') {
            format!("{with_locale}{path}")
        } else {
            format!("{with_locale}/{path}")
        }
    }
}

impl Default for UrlTemplate {
    fn default() -> Self {
        UrlTemplate::new(Self::DEFAULT)
    }
}

/// Why a file is not indexed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArticleError {
    #[error("not valid UTF-8 (first invalid byte at offset {0})")]
    NotUtf8(usize),
    #[error("binary data (NUL byte at offset {0})")]
    Binary(usize),
    #[error("{size} bytes is larger than the {limit}-byte article limit")]
    TooLarge { size: u64, limit: u64 },
    #[error(transparent)]
    FrontMatter(#[from] FrontMatterError),
    #[error("no locale: no `ms.contentlocale` and not inside a locale folder")]
    NoLocale,
    #[error("invalid `ms.contentlocale`: {0:?}")]
    InvalidLocale(String),
    #[error("no title and no text")]
    Empty,
    #[error("not an article: {0}")]
    NotAnArticle(&'static str),
}

/// What the parser needs besides the bytes.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    /// Article id (path relative to the locale folder).
    pub id: &'a str,
    /// Locale named by the top folder, if the file sits in one.
    pub folder_locale: Option<&'a Locale>,
    pub bytes: &'a [u8],
}

/// A parsed article and what was odd about it but did not stop it.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub article: Article,
    pub warnings: Vec<String>,
}

/// Version of what the parsers (markdown and HTML) make of a document's
/// bytes: its article, or why it is none. Bump it when either gives
/// something else for the same bytes. A build updates in place only an
/// index parsed under this version (its manifest says which), so documents
/// parsed under another are read again, those of a crawl too (fetched
/// whole, not asked with their validators); and a crawl refuses an
/// unchanged page unread only if it was refused under this version.
pub const PARSE_VERSION: u32 = 3;

/// Largest article accepted by default. Real docs articles are well under
/// 1 MB; anything far larger is generated junk that would stall analysis.
pub const DEFAULT_MAX_ARTICLE_BYTES: u64 = 16 * 1024 * 1024;

/// Parses one article.
pub fn parse(source: &Source<'_>, urls: &UrlTemplate) -> Result<Parsed, ArticleError> {
    let bytes = source.bytes;
    if let Some(nul) = memchr_nul(bytes) {
        return Err(ArticleError::Binary(nul));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| ArticleError::NotUtf8(e.valid_up_to()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let normalized;
    let text = if text.contains('\r') {
        normalized = text.replace("\r\n", "\n").replace('\r', "\n");
        normalized.as_str()
    } else {
        text
    };

    let mut warnings = Vec::new();
    let (yaml, body) = front_matter::split(text)?;
    let fm = match yaml {
        Some(yaml) => front_matter::parse(yaml)?,
        None => {
            warnings.push("no front matter; title taken from the first heading".to_string());
            Default::default()
        }
    };

    let locale = match (&fm.content_locale, source.folder_locale) {
        (Some(tag), folder) => {
            let declared =
                Locale::parse(tag).map_err(|_| ArticleError::InvalidLocale(tag.clone()))?;
            if let Some(folder) = folder.filter(|f| **f != declared) {
                warnings.push(format!(
                    "ms.contentlocale {declared} disagrees with folder {folder}; using {declared}"
                ));
            }
            declared
        }
        (None, Some(folder)) => folder.clone(),
        (None, None) => return Err(ArticleError::NoLocale),
    };

    let sections = markdown::parse_sections(body);
    let first_heading = sections
        .iter()
        .find(|s| !s.heading.is_empty())
        .map(|s| s.heading.clone());
    let title = fm
        .title
        .clone()
        .or(first_heading)
        .unwrap_or_default()
        .trim()
        .to_string();
    let has_text = sections.iter().any(|s| !s.blocks.is_empty());
    if title.is_empty() && !has_text {
        return Err(ArticleError::Empty);
    }
    if !has_text {
        warnings.push("empty body".to_string());
    }

    let article = Article {
        id: source.id.to_string(),
        url: urls.url(&locale, source.id),
        locale,
        title,
        description: fm.description.unwrap_or_default(),
        keywords: fm.keywords,
        sections,
        meta: fm.meta,
    };
    Ok(Parsed { article, warnings })
}

fn memchr_nul(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == 0)
}

#[cfg(test)]
mod tests;
