//! Documents in folders: DocFX markdown laid out `<locale>/<path>.md`, the
//! demo corpus compiled into the binary, and a built site's HTML pages.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::article::html::SiteOptions;

use super::{Document, Format, Listing, Skipped, Source, SourceError};

/// kensaku's own user guide, in several languages, so that a fresh install
/// has something to index and search.
static DEMO: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/demo");

fn is_markdown(path: &Path) -> bool {
    has_extension(path, &["md", "markdown"])
}

fn is_html(path: &Path) -> bool {
    has_extension(path, &["html", "htm"])
}

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// The markdown files of a folder, sorted by path.
pub fn list_markdown(root: &Path) -> Listing {
    walk(root, is_markdown, Format::Markdown)
}

/// The demo corpus's markdown files, sorted by path.
pub fn list_demo() -> Listing {
    let mut documents = Vec::new();
    collect_demo(&DEMO, &mut documents);
    documents.sort_by(|a, b| a.key.cmp(&b.key));
    Listing {
        documents,
        ..Default::default()
    }
}

fn collect_demo(dir: &'static Dir<'static>, out: &mut Vec<Document>) {
    for file in dir.files() {
        if is_markdown(file.path())
            && let Some(path) = relative(file.path())
        {
            out.push(Document::embedded(path, file.contents(), Format::Markdown));
        }
    }
    for sub in dir.dirs() {
        collect_demo(sub, out);
    }
}

/// A built site's folder (Hugo's `public/`, MkDocs' `site/`, Sphinx's
/// `_build/html/`): every `.html` page under it.
#[derive(Debug, Clone)]
pub struct SiteFolder {
    pub root: PathBuf,
    /// Its root URL and the locale of pages that name none.
    pub options: SiteOptions,
}

impl SiteFolder {
    /// The site at `root`, which must be a folder.
    pub fn new(root: &Path, options: SiteOptions) -> Result<SiteFolder, SourceError> {
        if !root.is_dir() {
            return Err(SourceError::NoSuchFolder(root.to_path_buf()));
        }
        Ok(SiteFolder {
            root: root.to_path_buf(),
            options,
        })
    }
}

impl Source for SiteFolder {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    fn list(
        &self,
        _indexed: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<Listing, SourceError> {
        Ok(walk(&self.root, is_html, Format::Html))
    }

    fn site_options(&self) -> SiteOptions {
        self.options.clone()
    }
}

/// The files under `root` that `keep` accepts, in `format`, sorted by path.
/// Entries that cannot be listed (unreadable folders, symlink loops) are
/// [`Skipped`]; hidden files and folders are not looked at.
fn walk(root: &Path, keep: fn(&Path) -> bool, format: Format) -> Listing {
    let mut listing = Listing::default();
    // Following links lets a corpus be assembled from symlinks; walkdir
    // detects loops and reports them as errors instead of recursing forever.
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for item in walker {
        match item {
            Ok(entry) if entry.file_type().is_file() && keep(entry.path()) => {
                let under = entry.path().strip_prefix(root).unwrap_or(entry.path());
                let Some(path) = relative(under) else {
                    listing.skipped.push(Skipped {
                        path: entry.path().display().to_string(),
                        reason: "file name is not valid UTF-8".to_string(),
                    });
                    continue;
                };
                listing
                    .documents
                    .push(Document::file(path, entry.path().to_path_buf(), format));
            }
            Ok(_) => {}
            Err(error) => {
                let path = error
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| root.display().to_string());
                let reason = if error.loop_ancestor().is_some() {
                    "symbolic link loop".to_string()
                } else {
                    error
                        .io_error()
                        .map(|e| e.to_string())
                        .unwrap_or_else(|| error.to_string())
                };
                listing.skipped.push(Skipped { path, reason });
            }
        }
    }
    listing
}

/// A relative path as `/`-separated UTF-8.
fn relative(path: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for component in path.components() {
        parts.push(component.as_os_str().to_str()?);
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_markdown_path_gives_locale_and_id() {
        let listing = list_demo();
        assert!(listing.skipped.is_empty());
        assert!(listing.documents.len() >= 6);
        for document in &listing.documents {
            let locale = document.folder_locale.as_ref().expect("in a locale folder");
            assert!(document.path.starts_with(locale.as_str()));
        }
    }

    #[test]
    fn a_site_folder_lists_its_pages() {
        let tmp = tempfile::tempdir().unwrap();
        for page in ["ja/a/index.html", "ja/b.htm", "ja/c.css", ".git/x.html"] {
            let path = tmp.path().join(page);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "<html></html>").unwrap();
        }
        let site = SiteFolder::new(tmp.path(), SiteOptions::default()).unwrap();
        let keys: Vec<String> = site
            .list(&|_| None)
            .unwrap()
            .documents
            .into_iter()
            .map(|d| d.key)
            .collect();
        assert_eq!(keys, ["ja/a/index.html", "ja/b.htm"]);
        assert!(SiteFolder::new(&tmp.path().join("none"), SiteOptions::default()).is_err());
    }
}
