//! A live site, crawled: from a sitemap (`…/sitemap.xml`, sitemap indexes
//! followed) or from a start page whose links are followed, within the
//! start URL's origin and folder.
//!
//! A well-mannered crawler: it reads `robots.txt` (as `kensaku`) and keeps
//! off what it disallows; it fetches at most [`CrawlOptions::concurrency`]
//! pages at once, each within a timeout, retrying a failure that may pass
//! (a refused connection, a timeout, a 5xx, a 429) with backoff; it follows
//! redirects within the origin and detects their loops; it stops at a page
//! limit; it names itself in `User-Agent`. A page that fails is reported
//! with its URL and reason and skipped (its indexed version stays, unless
//! the site says it is gone: 404, 410); a crawl that reaches no page fails,
//! and the served index stays.
//!
//! A recrawl is cheap: the `ETag` and `Last-Modified` of every page are
//! kept (with the page's content hash and links) in a state file beside
//! the index, and a page whose indexed version is the one they describe is
//! asked for with `If-None-Match`/`If-Modified-Since` — an unchanged page
//! costs one `304`. So does a page the build refused (a generator's listing,
//! a redirect page): its reason is kept with it, and it is refused again
//! unread while the rules that refused it stand ([`refusal_rules`]; a full
//! rebuild forgets them); the page has already left the index (see
//! `index::builder`).

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::article::PARSE_VERSION;
use crate::article::html::SiteOptions;
use crate::locale::Locale;

use super::{Document, Listing, Refetch, Skipped, Source, SourceError};

/// How to crawl.
#[derive(Debug, Clone)]
pub struct CrawlOptions {
    /// A start page, or a sitemap (a URL ending in `.xml`).
    pub start: Url,
    /// Requests in flight at most.
    pub concurrency: usize,
    /// Pages fetched at most.
    pub max_pages: usize,
    /// One request's budget (connecting, and reading the page).
    pub timeout: Duration,
    /// Largest page read; larger ones are skipped.
    pub max_page_bytes: u64,
    /// Further attempts of a request that failed in a way that may pass.
    pub retries: u32,
    /// The locale of pages that name none.
    pub default_locale: Option<Locale>,
    /// Where validators are kept between crawls (none: every crawl fetches
    /// every page).
    pub state_file: Option<PathBuf>,
}

impl CrawlOptions {
    pub fn new(start: Url) -> CrawlOptions {
        CrawlOptions {
            start,
            concurrency: 8,
            max_pages: 10_000,
            timeout: Duration::from_secs(10),
            max_page_bytes: crate::article::DEFAULT_MAX_ARTICLE_BYTES,
            retries: 2,
            default_locale: None,
            state_file: None,
        }
    }
}

/// What a crawl knows of a page from the last one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Known {
    etag: Option<String>,
    last_modified: Option<String>,
    /// The content hash the build gave its bytes.
    hash: Option<String>,
    /// Its same-site links (a `304` has no body to read them from).
    links: Vec<String>,
    /// Why the build refused it (not an article: a redirect, a listing), if
    /// it did: unchanged, it is refused again without being read, as long
    /// as the rules that refused it are [`refusal_rules`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refused: Option<String>,
    /// The rules that refused it (`refused` is void under any others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refused_by: Option<String>,
}

/// Which rules decide that a page is not an article: this kensaku and its
/// parsers' [`PARSE_VERSION`]. A refusal depends on the page (its bytes and
/// its path) and these rules alone, not on the build's options, so an
/// unchanged page is refused again unread while they stand; under others
/// it is read again.
fn refusal_rules() -> &'static str {
    static RULES: LazyLock<String> =
        LazyLock::new(|| format!("kensaku/{}/{PARSE_VERSION}", env!("CARGO_PKG_VERSION")));
    &RULES
}

impl Known {
    /// Why the build refused this page, if it did under today's rules.
    fn refusal(&self) -> Option<&str> {
        self.refused
            .as_deref()
            .filter(|_| self.refused_by.as_deref() == Some(refusal_rules()))
    }
}

/// A live site.
pub struct Crawl {
    options: CrawlOptions,
    agent: ureq::Agent,
    /// The folder URL pages must be under (the start page's folder).
    scope: Url,
    /// Pages' validators and links, from the last crawl and this one.
    known: Mutex<HashMap<String, Known>>,
    /// Pages this crawl leaves as the last build knew them, which the build
    /// never sees: refused again on a `304`, or failed (their state kept).
    kept_as_is: Mutex<HashSet<String>>,
}

/// The user agent: who crawls, and where to read about it.
pub const USER_AGENT: &str = concat!(
    "kensaku/",
    env!("CARGO_PKG_VERSION"),
    " (docs search indexer; +https://github.com/kensaku-search/kensaku)"
);

impl Crawl {
    pub fn new(options: CrawlOptions) -> Result<Crawl, SourceError> {
        if !matches!(options.start.scheme(), "http" | "https") {
            return Err(SourceError::Invalid(format!(
                "{} is not an http(s) URL",
                options.start
            )));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(options.timeout))
            .user_agent(USER_AGENT)
            .build()
            .into();
        let scope = options
            .start
            .join(".")
            .unwrap_or_else(|_| options.start.clone());
        let known = options
            .state_file
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Ok(Crawl {
            options,
            agent,
            scope,
            known: Mutex::new(known),
            kept_as_is: Mutex::new(HashSet::new()),
        })
    }

    fn in_scope(&self, url: &Url) -> bool {
        url.origin() == self.scope.origin() && url.path().starts_with(self.scope.path())
    }

    /// A page's path under the crawl's folder (`ja/billing/invoices/`).
    fn path_of(&self, url: &Url) -> String {
        let path = url
            .path()
            .strip_prefix(self.scope.path())
            .unwrap_or(url.path());
        percent_encoding::percent_decode_str(path)
            .decode_utf8_lossy()
            .into_owned()
    }
}

/// A page fetched, or why not.
enum Fetched {
    Page {
        url: Url,
        bytes: Vec<u8>,
        charset: Option<String>,
        known: Known,
    },
    NotModified {
        url: Url,
        known: Known,
    },
    Gone(String),
    Failed(String),
}

/// One request's outcome.
enum Answer {
    Response(ureq::http::Response<ureq::Body>),
    /// Transport failure (refused, reset, timeout), and whether a retry may help.
    Transport(String),
}

impl Crawl {
    fn get(&self, url: &Url, conditional: Option<&Known>) -> Answer {
        let mut request = self.agent.get(url.as_str());
        if let Some(known) = conditional {
            if let Some(etag) = &known.etag {
                request = request.header("if-none-match", etag);
            }
            if let Some(date) = &known.last_modified {
                request = request.header("if-modified-since", date);
            }
        }
        match request.call() {
            Ok(response) => Answer::Response(response),
            Err(ureq::Error::Timeout(_)) => Answer::Transport(format!(
                "no answer within {} ms",
                self.options.timeout.as_millis()
            )),
            Err(e) => Answer::Transport(e.to_string()),
        }
    }

    /// Fetches `url` (following redirects within the origin, retrying what
    /// may pass); `conditional` asks only whether it changed.
    fn fetch(&self, url: &Url, conditional: Option<&Known>) -> Fetched {
        let mut url = url.clone();
        let mut chain: Vec<Url> = Vec::new();
        let mut attempt = 0;
        loop {
            let answer = self.get(&url, conditional);
            let failure = match answer {
                Answer::Transport(reason) => reason,
                Answer::Response(mut response) => {
                    let status = response.status().as_u16();
                    match status {
                        200 => return self.read(url, response),
                        304 if conditional.is_some() => {
                            return Fetched::NotModified {
                                url,
                                known: conditional.cloned().unwrap_or_default(),
                            };
                        }
                        301 | 302 | 303 | 307 | 308 => {
                            let Some(target) = response
                                .headers()
                                .get("location")
                                .and_then(|l| l.to_str().ok())
                                .and_then(|l| url.join(l).ok())
                            else {
                                return Fetched::Failed(format!("HTTP {status} with no Location"));
                            };
                            if target.origin() != url.origin() {
                                return Fetched::Failed(format!(
                                    "redirected off the site, to {target}"
                                ));
                            }
                            chain.push(url.clone());
                            if chain.contains(&target) || chain.len() > 10 {
                                return Fetched::Failed(format!(
                                    "redirect loop: {}",
                                    chain
                                        .iter()
                                        .map(Url::as_str)
                                        .collect::<Vec<_>>()
                                        .join(" → ")
                                ));
                            }
                            url = target;
                            continue;
                        }
                        404 | 410 => return Fetched::Gone(format!("HTTP {status}")),
                        429 | 500..=599 => {
                            let _ = response.body_mut().read_to_vec();
                            format!("HTTP {status}")
                        }
                        _ => return Fetched::Failed(format!("HTTP {status}")),
                    }
                }
            };
            if attempt >= self.options.retries {
                return Fetched::Failed(failure);
            }
            std::thread::sleep(Duration::from_millis(200 << attempt));
            attempt += 1;
        }
    }

    /// A `200`'s page.
    fn read(&self, url: Url, mut response: ureq::http::Response<ureq::Body>) -> Fetched {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header("content-type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let mime = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        if !mime.is_empty() && mime != "text/html" && mime != "application/xhtml+xml" {
            return Fetched::Failed(format!("not HTML ({mime})"));
        }
        let charset = content_type
            .split(';')
            .find_map(|p| p.trim().strip_prefix("charset="))
            .map(|c| c.trim_matches('"').to_string());
        let known = Known {
            etag: header("etag"),
            last_modified: header("last-modified"),
            hash: None,
            links: Vec::new(),
            refused: None,
            refused_by: None,
        };
        let limit = self.options.max_page_bytes;
        if header("content-length")
            .and_then(|l| l.parse::<u64>().ok())
            .is_some_and(|l| l > limit)
        {
            return Fetched::Failed(format!("larger than the {limit}-byte page limit"));
        }
        match response
            .body_mut()
            .with_config()
            .limit(limit + 1)
            .read_to_vec()
        {
            Ok(bytes) if bytes.len() as u64 > limit => {
                Fetched::Failed(format!("larger than the {limit}-byte page limit"))
            }
            Ok(bytes) => Fetched::Page {
                url,
                bytes,
                charset,
                known,
            },
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                Fetched::Failed(format!("larger than the {limit}-byte page limit"))
            }
            Err(e) => Fetched::Failed(format!("cannot read the page: {e}")),
        }
    }

    /// The site's robots.txt rules for kensaku (none: everything allowed).
    fn robots(&self) -> Option<texting_robots::Robot> {
        let robots_url = self.options.start.join("/robots.txt").ok()?;
        let Answer::Response(mut response) = self.get(&robots_url, None) else {
            return None;
        };
        if response.status().as_u16() != 200 {
            return None;
        }
        let bytes = response
            .body_mut()
            .with_config()
            .limit(512 << 10)
            .read_to_vec()
            .ok()?;
        texting_robots::Robot::new("kensaku", &bytes).ok()
    }

    /// The page URLs a sitemap (or a sitemap index, recursively) lists.
    fn sitemap(&self, url: &Url, depth: usize, out: &mut Vec<Url>, skipped: &mut Vec<Skipped>) {
        let failed = |reason: String| Skipped {
            path: url.to_string(),
            reason,
        };
        let mut response = match self.get(url, None) {
            Answer::Response(r) if r.status().as_u16() == 200 => r,
            Answer::Response(r) => {
                skipped.push(failed(format!("sitemap: HTTP {}", r.status().as_u16())));
                return;
            }
            Answer::Transport(reason) => {
                skipped.push(failed(format!("sitemap: {reason}")));
                return;
            }
        };
        let Ok(bytes) = response
            .body_mut()
            .with_config()
            .limit(50 << 20)
            .read_to_vec()
        else {
            skipped.push(failed("sitemap: cannot read it".to_string()));
            return;
        };
        let text = String::from_utf8_lossy(&bytes);
        let document = match roxmltree::Document::parse(&text) {
            Ok(d) => d,
            Err(e) => {
                skipped.push(failed(format!("sitemap: not XML: {e}")));
                return;
            }
        };
        let index = document.root_element().tag_name().name() == "sitemapindex";
        for loc in document
            .descendants()
            .filter(|n| n.tag_name().name() == "loc")
            .filter_map(|n| n.text())
            .filter_map(|t| url.join(t.trim()).ok())
        {
            if index && depth < 3 {
                self.sitemap(&loc, depth + 1, out, skipped);
            } else if !index {
                out.push(loc);
            }
        }
    }
}

/// Links of a page to follow: `<a href>`, resolved against the page (and
/// its `<base>`), without fragments.
fn links(url: &Url, bytes: &[u8], charset: Option<&str>) -> Vec<String> {
    let text = encoding_rs::Encoding::for_label(charset.unwrap_or("utf-8").as_bytes())
        .unwrap_or(encoding_rs::UTF_8)
        .decode(bytes)
        .0;
    let document = scraper::Html::parse_document(&text);
    let base = scraper::Selector::parse("base[href]").expect("a valid selector");
    let base = document
        .select(&base)
        .next()
        .and_then(|b| url.join(b.value().attr("href")?).ok())
        .unwrap_or_else(|| url.clone());
    let anchors = scraper::Selector::parse("a[href]").expect("a valid selector");
    let mut out = Vec::new();
    // A redirecting page (`<meta http-equiv="refresh" content="0; url=…">`)
    // leads where browsers go.
    let refresh = scraper::Selector::parse("meta[http-equiv]").expect("a valid selector");
    for meta in document.select(&refresh) {
        let e = meta.value();
        if e.attr("http-equiv")
            .is_some_and(|h| h.eq_ignore_ascii_case("refresh"))
            && let Some(content) = e.attr("content")
            && let Some(at) = content.to_ascii_lowercase().find("url=")
            && let Ok(target) = base.join(content[at + 4..].trim().trim_matches(['"', '\'']))
        {
            out.push(target.to_string());
        }
    }
    for a in document.select(&anchors) {
        if a.value()
            .attr("rel")
            .is_some_and(|r| r.contains("nofollow"))
        {
            continue;
        }
        if let Some(mut link) = a.value().attr("href").and_then(|h| base.join(h).ok()) {
            link.set_fragment(None);
            if matches!(link.scheme(), "http" | "https") {
                out.push(link.to_string());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The crawl's shared work list.
struct Frontier {
    queue: Mutex<(VecDeque<Url>, usize)>,
    changed: Condvar,
    seen: Mutex<HashSet<String>>,
    taken: AtomicUsize,
}

impl Frontier {
    /// Queues `url` unless seen (or past the page limit).
    fn push(&self, url: Url, max_pages: usize) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= max_pages || !seen.insert(url.to_string()) {
            return;
        }
        drop(seen);
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .push_back(url);
        self.changed.notify_one();
    }

    /// The next URL, waiting while others are being fetched (they may add
    /// links); `None` when the crawl is done.
    fn next(&self) -> Option<Url> {
        let mut state = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(url) = state.0.pop_front() {
                state.1 += 1;
                self.taken.fetch_add(1, Ordering::Relaxed);
                return Some(url);
            }
            if state.1 == 0 {
                self.changed.notify_all();
                return None;
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn done(&self) {
        let mut state = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        state.1 -= 1;
        drop(state);
        self.changed.notify_all();
    }
}

impl Source for Crawl {
    fn describe(&self) -> String {
        self.options.start.to_string()
    }

    fn site_options(&self) -> SiteOptions {
        SiteOptions {
            base_url: Some(self.scope.to_string()),
            default_locale: self.options.default_locale.clone(),
        }
    }

    fn list(
        &self,
        indexed: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<Listing, SourceError> {
        // A crawl object serves many builds (a server's reindexes): this
        // one's refusals start empty.
        self.kept_as_is
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        let robots = self.robots();
        let allowed = |url: &Url| robots.as_ref().is_none_or(|r| r.allowed(url.as_str()));
        let follow_links = !self.options.start.path().ends_with(".xml");
        let frontier = Frontier {
            queue: Mutex::new((VecDeque::new(), 0)),
            changed: Condvar::new(),
            seen: Mutex::new(HashSet::new()),
            taken: AtomicUsize::new(0),
        };
        let listing = Mutex::new(Listing::default());
        if follow_links {
            frontier.push(self.options.start.clone(), self.options.max_pages);
        } else {
            let mut urls = Vec::new();
            let mut skipped = Vec::new();
            self.sitemap(&self.options.start, 0, &mut urls, &mut skipped);
            for url in urls {
                if !self.in_scope(&url) {
                    skipped.push(Skipped {
                        path: url.to_string(),
                        reason: "listed by the sitemap but not on the site: not crawled".into(),
                    });
                } else {
                    frontier.push(url, self.options.max_pages);
                }
            }
            listing.lock().unwrap_or_else(|e| e.into_inner()).skipped = skipped;
        }
        let reached = AtomicUsize::new(0);
        let last_failure = Mutex::new(String::new());
        let refetch: Arc<dyn Refetch> = Arc::new(Refetcher {
            agent: self.agent.clone(),
            max_page_bytes: self.options.max_page_bytes,
        });
        std::thread::scope(|scope| {
            for _ in 0..self.options.concurrency.max(1) {
                scope.spawn(|| {
                    while let Some(url) = frontier.next() {
                        self.visit(
                            &url,
                            &allowed,
                            indexed,
                            follow_links,
                            &frontier,
                            &listing,
                            &reached,
                            &last_failure,
                            &refetch,
                        );
                        frontier.done();
                    }
                });
            }
        });
        let mut listing = listing.into_inner().unwrap_or_else(|e| e.into_inner());
        if reached.load(Ordering::Relaxed) == 0 {
            let reason = last_failure.into_inner().unwrap_or_default();
            return Err(SourceError::NothingReached {
                start: self.options.start.to_string(),
                reason: if reason.is_empty() {
                    "no page listed".to_string()
                } else {
                    reason
                },
            });
        }
        if frontier
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
            >= self.options.max_pages
        {
            listing.skipped.push(Skipped {
                path: self.options.start.to_string(),
                reason: format!(
                    "the crawl stopped at its limit of {} pages",
                    self.options.max_pages
                ),
            });
        }
        listing.documents.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(listing)
    }

    fn forget_verdicts(&self) {
        for page in self
            .known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values_mut()
        {
            page.refused = None;
            page.refused_by = None;
        }
    }

    fn published(&self, hashes: &HashMap<String, String>, refused: &HashMap<String, String>) {
        let Some(path) = &self.options.state_file else {
            return;
        };
        let as_is = std::mem::take(&mut *self.kept_as_is.lock().unwrap_or_else(|e| e.into_inner()));
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        known.retain(|url, _| hashes.contains_key(url) || as_is.contains(url));
        for (url, page) in known.iter_mut() {
            if let Some(hash) = hashes.get(url) {
                page.hash = Some(hash.clone());
                page.refused = refused.get(url).cloned();
                page.refused_by = page.refused.as_ref().map(|_| refusal_rules().to_string());
            }
        }
        let written = serde_json::to_vec(&*known)
            .map_err(std::io::Error::other)
            .and_then(|bytes| {
                let tmp = path.with_extension("tmp");
                std::fs::write(&tmp, bytes)?;
                std::fs::rename(&tmp, path)
            });
        if let Err(e) = written {
            tracing::warn!(file = %path.display(), error = %e, "cannot keep the crawl's validators: the next crawl fetches every page");
        }
    }
}

impl Crawl {
    /// Fetches one page and files the outcome.
    #[allow(clippy::too_many_arguments)]
    fn visit(
        &self,
        url: &Url,
        allowed: &dyn Fn(&Url) -> bool,
        indexed: &(dyn Fn(&str) -> Option<String> + Sync),
        follow_links: bool,
        frontier: &Frontier,
        listing: &Mutex<Listing>,
        reached: &AtomicUsize,
        last_failure: &Mutex<String>,
        refetch: &Arc<dyn Refetch>,
    ) {
        let key = url.to_string();
        let skip = |reason: String, keep: bool| {
            let mut listing = listing.lock().unwrap_or_else(|e| e.into_inner());
            listing.skipped.push(Skipped {
                path: key.clone(),
                reason: reason.clone(),
            });
            if keep {
                listing.kept.push(key.clone());
                self.keep_as_is(&key);
            }
            *last_failure.lock().unwrap_or_else(|e| e.into_inner()) = format!("{key}: {reason}");
        };
        if !allowed(url) {
            skip("disallowed by robots.txt".to_string(), false);
            return;
        }
        // Ask whether it changed only when the index holds the version the
        // kept validators describe.
        let previous = self
            .known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned()
            .filter(|k| {
                (k.etag.is_some() || k.last_modified.is_some())
                    && k.hash.is_some()
                    && (k.refusal().is_some() || k.hash == indexed(&key))
            });
        let (document, links, known) = match self.fetch(url, previous.as_ref()) {
            Fetched::Page {
                url: landed,
                bytes,
                charset,
                mut known,
            } => {
                if landed != *url && !self.in_scope(&landed) {
                    skip(
                        format!("redirected out of the crawled folder, to {landed}"),
                        false,
                    );
                    return;
                }
                let links = if follow_links {
                    links(&landed, &bytes, charset.as_deref())
                } else {
                    Vec::new()
                };
                known.links = links.clone();
                let document =
                    Document::fetched(key.clone(), self.path_of(&landed), bytes, charset);
                (document, links, known)
            }
            Fetched::NotModified { known, .. } if known.refusal().is_some() => {
                // Unchanged since the build refused it: refused again, unread.
                let reason = known.refusal().unwrap_or_default().to_string();
                let links = known.links.clone();
                reached.fetch_add(1, Ordering::Relaxed);
                self.known
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key.clone(), known);
                self.keep_as_is(&key);
                listing
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .skipped
                    .push(Skipped { path: key, reason });
                self.follow(links, frontier);
                return;
            }
            Fetched::NotModified { url: landed, known } => {
                let hash = known.hash.clone().unwrap_or_default();
                let document = Document::not_modified(
                    key.clone(),
                    self.path_of(&landed),
                    hash,
                    refetch.clone(),
                );
                (document, known.links.clone(), known)
            }
            Fetched::Gone(reason) => {
                skip(reason, false);
                return;
            }
            Fetched::Failed(reason) => {
                skip(reason, true);
                return;
            }
        };
        reached.fetch_add(1, Ordering::Relaxed);
        self.known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.clone(), known);
        listing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .documents
            .push(document);
        self.follow(links, frontier);
    }

    /// Leaves `key`'s state as the last build knew it (see `kept_as_is`).
    fn keep_as_is(&self, key: &str) {
        self.kept_as_is
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.to_string());
    }

    /// Queues a page's links that are on the crawled site.
    fn follow(&self, links: Vec<String>, frontier: &Frontier) {
        for link in links {
            if let Ok(link) = Url::parse(&link)
                && self.in_scope(&link)
            {
                frontier.push(link, self.options.max_pages);
            }
        }
    }
}

/// Fetches a page whole, for the builder (a `304`'d page it needs after
/// all).
struct Refetcher {
    agent: ureq::Agent,
    max_page_bytes: u64,
}

impl Refetch for Refetcher {
    fn refetch(&self, url: &str) -> Result<Vec<u8>, String> {
        let mut response = self.agent.get(url).call().map_err(|e| e.to_string())?;
        if response.status().as_u16() != 200 {
            return Err(format!("HTTP {}", response.status().as_u16()));
        }
        response
            .body_mut()
            .with_config()
            .limit(self.max_page_bytes)
            .read_to_vec()
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_stands_under_the_rules_that_made_it() {
        // A state file written before refusals were kept still reads.
        let old: Known =
            serde_json::from_str(r#"{"etag":"\"1\"","last_modified":null,"hash":"ab","links":[]}"#)
                .unwrap();
        assert_eq!(old.refusal(), None);
        let mut known = Known {
            refused: Some("not an article: a listing".to_string()),
            refused_by: Some(refusal_rules().to_string()),
            ..old
        };
        assert_eq!(known.refusal(), Some("not an article: a listing"));
        let kept: Known = serde_json::from_slice(&serde_json::to_vec(&known).unwrap()).unwrap();
        assert_eq!(kept.refusal(), known.refusal());
        // Another kensaku's rules may not refuse it: it is read again.
        known.refused_by = Some("kensaku/0.0.0".to_string());
        assert_eq!(known.refusal(), None);
        known.refused_by = None;
        assert_eq!(known.refusal(), None);
    }
}
