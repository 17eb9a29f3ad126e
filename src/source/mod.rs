//! Where documents come from: a folder of DocFX markdown (or the demo corpus
//! compiled into the binary), a folder of a built site's HTML, or a live site
//! crawled over HTTP.
//!
//! A [`Source`] lists [`Document`]s — each with a key that names it across
//! builds (its path, or its URL), its format, and its bytes, read when the
//! builder asks (or, for a crawled page the site says has not changed, the
//! content hash it had). Formats are [`crate::article`]'s; the builder,
//! incremental hashing and generations are [`crate::index`]'s, the same for
//! every source.

pub mod crawl;
pub mod folder;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::article::html::{Page, SiteOptions};
use crate::article::{self, ArticleError, Parsed, UrlTemplate};
use crate::locale::Locale;

pub use crawl::{Crawl, CrawlOptions};

/// How a document is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// DocFX markdown with YAML front matter.
    Markdown,
    /// A built HTML page.
    Html,
}

/// Fetches a page again, whole (a crawled page the source had only
/// validated, when the builder needs its bytes after all).
pub trait Refetch: Send + Sync {
    fn refetch(&self, url: &str) -> Result<Vec<u8>, String>;
}

/// Where a document's bytes are.
#[derive(Clone)]
enum Body {
    File(PathBuf),
    Embedded(&'static [u8]),
    Fetched(Arc<Vec<u8>>),
    /// The site answered `304 Not Modified`: the bytes are those that had
    /// this content hash.
    NotModified {
        hash: String,
        fetch: Arc<dyn Refetch>,
    },
}

/// One document of a source.
#[derive(Clone)]
pub struct Document {
    /// What names it across builds: its path under the source's root
    /// (`ja-jp/a/b.md`, `ja-jp/a/b/index.html`) or its URL.
    pub key: String,
    /// Its path under the root, `/`-separated (a crawled page's URL path
    /// under the start URL's).
    pub path: String,
    pub format: Format,
    /// The locale its top folder names, when it is a locale tag.
    pub folder_locale: Option<Locale>,
    /// Where it was fetched from (a crawl).
    pub url: Option<String>,
    /// The charset of its HTTP `Content-Type`.
    pub charset: Option<String>,
    body: Body,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("key", &self.key)
            .field("format", &self.format)
            .finish()
    }
}

/// A document that was not indexed, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

impl Document {
    fn new(key: String, path: String, format: Format, body: Body) -> Document {
        let folder_locale = path.split_once('/').and_then(|(top, _)| {
            Locale::parse(top)
                .ok()
                .filter(|l| l.as_str() == top.to_ascii_lowercase())
        });
        Document {
            key,
            path,
            format,
            folder_locale,
            url: None,
            charset: None,
            body,
        }
    }

    /// A file on disk, `path` under the root.
    pub fn file(path: String, file: PathBuf, format: Format) -> Document {
        Document::new(path.clone(), path, format, Body::File(file))
    }

    /// Bytes compiled into the binary.
    pub fn embedded(path: String, bytes: &'static [u8], format: Format) -> Document {
        Document::new(path.clone(), path, format, Body::Embedded(bytes))
    }

    /// A fetched page: its URL is its key.
    pub fn fetched(url: String, path: String, bytes: Vec<u8>, charset: Option<String>) -> Document {
        let mut document = Document::new(
            url.clone(),
            path,
            Format::Html,
            Body::Fetched(Arc::new(bytes)),
        );
        document.url = Some(url);
        document.charset = charset;
        document
    }

    /// A page the site says is unchanged since it had content hash `hash`.
    pub fn not_modified(
        url: String,
        path: String,
        hash: String,
        fetch: Arc<dyn Refetch>,
    ) -> Document {
        let mut document = Document::new(
            url.clone(),
            path,
            Format::Html,
            Body::NotModified { hash, fetch },
        );
        document.url = Some(url);
        document
    }

    /// The content hash the source vouches the document still has, without
    /// reading it (a `304`).
    pub fn unchanged_as(&self) -> Option<&str> {
        match &self.body {
            Body::NotModified { hash, .. } => Some(hash),
            _ => None,
        }
    }

    /// The id a markdown file's path gives (the path under its locale folder).
    fn markdown_id(&self) -> &str {
        match (&self.folder_locale, self.path.split_once('/')) {
            (Some(_), Some((_, rest))) => rest,
            _ => &self.path,
        }
    }

    /// The bytes, refusing documents larger than `max_bytes` (files before
    /// reading them).
    pub fn read_limited(&self, max_bytes: u64) -> Result<Cow<'_, [u8]>, Skipped> {
        let too_large = |size: u64| {
            self.skipped(
                ArticleError::TooLarge {
                    size,
                    limit: max_bytes,
                }
                .to_string(),
            )
        };
        let bytes: Cow<'_, [u8]> = match &self.body {
            Body::File(path) => {
                let size = std::fs::metadata(path)
                    .map_err(|e| self.skipped(format!("cannot read: {e}")))?
                    .len();
                if size > max_bytes {
                    return Err(too_large(size));
                }
                Cow::Owned(
                    std::fs::read(path).map_err(|e| self.skipped(format!("cannot read: {e}")))?,
                )
            }
            Body::Embedded(bytes) => Cow::Borrowed(bytes),
            Body::Fetched(bytes) => Cow::Borrowed(bytes.as_slice()),
            Body::NotModified { fetch, .. } => Cow::Owned(
                fetch
                    .refetch(self.url.as_deref().unwrap_or(&self.key))
                    .map_err(|e| self.skipped(e))?,
            ),
        };
        if bytes.len() as u64 > max_bytes {
            return Err(too_large(bytes.len() as u64));
        }
        Ok(bytes)
    }

    /// Parses `bytes` (as [`Document::read_limited`] returned them) in the
    /// document's format.
    pub fn parse(
        &self,
        bytes: &[u8],
        urls: &UrlTemplate,
        site: &SiteOptions,
    ) -> Result<Parsed, ArticleError> {
        match self.format {
            Format::Markdown => article::parse(
                &article::Source {
                    id: self.markdown_id(),
                    folder_locale: self.folder_locale.as_ref(),
                    bytes,
                },
                urls,
            ),
            Format::Html => article::html::parse_page(
                &Page {
                    path: &self.path,
                    url: self.url.as_deref(),
                    bytes,
                    charset: self.charset.as_deref(),
                },
                site,
            ),
        }
    }

    /// This document, skipped for `reason`.
    pub fn skipped(&self, reason: String) -> Skipped {
        Skipped {
            path: self.key.clone(),
            reason,
        }
    }
}

/// What a source lists.
#[derive(Debug, Default)]
pub struct Listing {
    pub documents: Vec<Document>,
    /// Documents that could not be listed or fetched, and why.
    pub skipped: Vec<Skipped>,
    /// Keys of documents that failed for now (a timeout, a 5xx): their
    /// indexed version stays. Keys neither listed nor kept are removed.
    pub kept: Vec<String>,
}

/// Why a source gave nothing to index.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{0} does not exist or is not a folder")]
    NoSuchFolder(PathBuf),
    #[error("the crawl of {start} reached no page: {reason}")]
    NothingReached { start: String, reason: String },
    #[error("{0}")]
    Invalid(String),
}

/// A place documents come from.
pub trait Source: Send + Sync {
    /// What it is, for messages: a folder's path, a site's URL.
    fn describe(&self) -> String;

    /// Lists every document (bytes read on demand). `indexed` says the
    /// content hash a key has in the served index, if any (a crawl asks
    /// the site whether such pages changed).
    fn list(
        &self,
        indexed: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<Listing, SourceError>;

    /// How its HTML pages are read.
    fn site_options(&self) -> SiteOptions {
        SiteOptions::default()
    }

    /// A build from the last listing was published; `hashes` are the
    /// content hashes of the documents it read or kept, `refused` why the
    /// parser refused those it refused (a crawl keeps both with the pages'
    /// validators, to ask the site next time).
    fn published(&self, _hashes: &HashMap<String, String>, _refused: &HashMap<String, String>) {}

    /// A full rebuild begins: what earlier builds told the source (a
    /// crawl's kept refusals) is forgotten, and every document is read.
    fn forget_verdicts(&self) {}
}

/// Where `index` and `serve` read documents from: flags, `KENSAKU_*`
/// environment variables, and (for `serve`) the configuration file's keys.
/// At most one of `corpus`, `site` and `crawl`.
#[derive(Debug, Clone, Default, PartialEq, clap::Args, serde::Deserialize)]
pub struct SourceArgs {
    /// Folder of DocFX markdown laid out `<locale>/<path>.md` [default: the
    /// bundled demo corpus].
    #[arg(long, env = "KENSAKU_CORPUS")]
    pub corpus: Option<PathBuf>,
    /// A built site's folder (Hugo's `public/`, MkDocs' `site/`, Sphinx's
    /// `_build/html/`…): every `.html` page under it.
    #[arg(long, env = "KENSAKU_SITE", conflicts_with = "corpus")]
    pub site: Option<PathBuf>,
    /// A live site: a start page whose links are followed, or a sitemap
    /// (`https://docs.example.com/sitemap.xml`).
    #[arg(long, env = "KENSAKU_CRAWL", conflicts_with_all = ["corpus", "site"])]
    pub crawl: Option<String>,
    /// Locale of pages that name none (no `lang`, no locale in the path).
    #[arg(long, env = "KENSAKU_DEFAULT_LOCALE")]
    pub default_locale: Option<Locale>,
    /// Pages fetched at once [default: 8].
    #[arg(long, env = "KENSAKU_CRAWL_CONCURRENCY")]
    pub crawl_concurrency: Option<usize>,
    /// Pages fetched at most [default: 10000].
    #[arg(long, env = "KENSAKU_CRAWL_MAX_PAGES")]
    pub crawl_max_pages: Option<usize>,
    /// One page's budget in milliseconds [default: 10000].
    #[arg(long, env = "KENSAKU_CRAWL_TIMEOUT_MS")]
    pub crawl_timeout_ms: Option<u64>,
}

/// Where a crawl keeps its pages' validators, in the index folder.
pub const CRAWL_STATE_FILE: &str = "crawl-state.json";

impl SourceArgs {
    /// These settings, completed by `fallback`'s (the configuration file).
    /// A source named here replaces the file's.
    pub fn or(self, fallback: SourceArgs) -> SourceArgs {
        let named = self.corpus.is_some() || self.site.is_some() || self.crawl.is_some();
        SourceArgs {
            corpus: if named { self.corpus } else { fallback.corpus },
            site: if named { self.site } else { fallback.site },
            crawl: if named { self.crawl } else { fallback.crawl },
            default_locale: self.default_locale.or(fallback.default_locale),
            crawl_concurrency: self.crawl_concurrency.or(fallback.crawl_concurrency),
            crawl_max_pages: self.crawl_max_pages.or(fallback.crawl_max_pages),
            crawl_timeout_ms: self.crawl_timeout_ms.or(fallback.crawl_timeout_ms),
        }
    }

    /// The source. `base_url` is the `--base-url` given, if any (a site's
    /// root URL); a crawl keeps its validators in `index_dir`.
    pub fn corpus(&self, base_url: Option<&str>, index_dir: &Path) -> Result<Corpus, SourceError> {
        let site_options = SiteOptions {
            base_url: base_url.map(str::to_string),
            default_locale: self.default_locale.clone(),
        };
        if let Some(root) = &self.site {
            return Ok(Corpus::Site(folder::SiteFolder::new(root, site_options)?));
        }
        if let Some(start) = &self.crawl {
            let start = url::Url::parse(start)
                .map_err(|e| SourceError::Invalid(format!("--crawl {start:?}: {e}")))?;
            let mut options = CrawlOptions::new(start);
            if let Some(n) = self.crawl_concurrency {
                options.concurrency = n.max(1);
            }
            if let Some(n) = self.crawl_max_pages {
                options.max_pages = n.max(1);
            }
            if let Some(ms) = self.crawl_timeout_ms {
                options.timeout = std::time::Duration::from_millis(ms.max(1));
            }
            options.default_locale = self.default_locale.clone();
            options.state_file = Some(index_dir.join(CRAWL_STATE_FILE));
            return Ok(Corpus::Crawl(Box::new(Crawl::new(options)?)));
        }
        Corpus::from_option(self.corpus.as_deref())
    }
}

/// The source a command or a server is configured with.
pub enum Corpus {
    /// A folder of DocFX markdown, `<locale>/<path>.md`.
    Dir(PathBuf),
    /// The demo corpus bundled with the binary.
    Demo,
    /// A built site's folder: every `.html` page under it.
    Site(folder::SiteFolder),
    /// A live site.
    Crawl(Box<Crawl>),
}

impl Corpus {
    /// The markdown folder given (`--corpus`), which must exist, else the
    /// demo corpus.
    pub fn from_option(folder: Option<&Path>) -> Result<Corpus, SourceError> {
        match folder {
            Some(path) if path.is_dir() => Ok(Corpus::Dir(path.to_path_buf())),
            Some(path) => Err(SourceError::NoSuchFolder(path.to_path_buf())),
            None => Ok(Corpus::Demo),
        }
    }
}

impl Source for Corpus {
    fn describe(&self) -> String {
        match self {
            Corpus::Dir(path) => path.display().to_string(),
            Corpus::Demo => "bundled demo corpus".to_string(),
            Corpus::Site(site) => site.describe(),
            Corpus::Crawl(crawl) => crawl.describe(),
        }
    }

    fn list(
        &self,
        indexed: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<Listing, SourceError> {
        match self {
            Corpus::Dir(path) => Ok(folder::list_markdown(path)),
            Corpus::Demo => Ok(folder::list_demo()),
            Corpus::Site(site) => site.list(indexed),
            Corpus::Crawl(crawl) => crawl.list(indexed),
        }
    }

    fn site_options(&self) -> SiteOptions {
        match self {
            Corpus::Site(site) => site.site_options(),
            Corpus::Crawl(crawl) => crawl.site_options(),
            Corpus::Dir(_) | Corpus::Demo => SiteOptions::default(),
        }
    }

    fn published(&self, hashes: &HashMap<String, String>, refused: &HashMap<String, String>) {
        if let Corpus::Crawl(crawl) = self {
            crawl.published(hashes, refused);
        }
    }

    fn forget_verdicts(&self) {
        if let Corpus::Crawl(crawl) = self {
            crawl.forget_verdicts();
        }
    }
}
