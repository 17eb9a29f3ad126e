//! Where articles come from: a folder laid out `<locale>/<path>.md`, or the
//! demo corpus compiled into the binary.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::article::{self, ArticleError, Parsed, Source, UrlTemplate};
use crate::locale::Locale;

/// kensaku's own user guide, in several languages, so that a fresh install
/// has something to index and search.
static DEMO: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/demo");

/// A source of article files.
#[derive(Debug, Clone)]
pub enum Corpus {
    /// A folder on disk.
    Dir(PathBuf),
    /// The demo corpus bundled with the binary.
    Demo,
}

/// Why a corpus cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("corpus folder {0} does not exist or is not a folder")]
pub struct NoSuchCorpus(pub PathBuf);

impl Corpus {
    /// The folder given (`--corpus`), which must exist, else the demo corpus.
    pub fn from_option(folder: Option<&Path>) -> Result<Corpus, NoSuchCorpus> {
        match folder {
            Some(path) if path.is_dir() => Ok(Corpus::Dir(path.to_path_buf())),
            Some(path) => Err(NoSuchCorpus(path.to_path_buf())),
            None => Ok(Corpus::Demo),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Corpus::Dir(path) => path.display().to_string(),
            Corpus::Demo => "bundled demo corpus".to_string(),
        }
    }

    /// Lists the article files, sorted by path. Entries that cannot be listed
    /// (unreadable folders, symlink loops) come back as [`Skipped`].
    pub fn entries(&self) -> (Vec<Entry>, Vec<Skipped>) {
        match self {
            Corpus::Dir(root) => dir_entries(root),
            Corpus::Demo => {
                let mut entries = Vec::new();
                collect_demo(&DEMO, &mut entries);
                entries.sort_by(|a, b| a.source.cmp(&b.source));
                (entries, Vec::new())
            }
        }
    }
}

/// One article file.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Path relative to the corpus root, `/`-separated (`ja-jp/a/b.md`).
    pub source: String,
    /// Path relative to the locale folder (`a/b.md`): the article id.
    pub id: String,
    /// Locale named by the top folder, when it is a locale tag.
    pub folder_locale: Option<Locale>,
    origin: Origin,
}

#[derive(Debug, Clone)]
enum Origin {
    File(PathBuf),
    Embedded(&'static [u8]),
}

impl Entry {
    fn new(source: String, origin: Origin) -> Entry {
        let (folder_locale, id) = match source.split_once('/') {
            Some((top, rest)) => match Locale::parse(top) {
                Ok(locale) if locale.as_str() == top.to_ascii_lowercase() => {
                    (Some(locale), rest.to_string())
                }
                _ => (None, source.clone()),
            },
            None => (None, source.clone()),
        };
        Entry {
            source,
            id,
            folder_locale,
            origin,
        }
    }

    /// The file's bytes.
    pub fn read(&self) -> std::io::Result<Cow<'static, [u8]>> {
        match &self.origin {
            Origin::File(path) => std::fs::read(path).map(Cow::Owned),
            Origin::Embedded(bytes) => Ok(Cow::Borrowed(bytes)),
        }
    }

    /// Size in bytes, without reading the file.
    pub fn size(&self) -> std::io::Result<u64> {
        match &self.origin {
            Origin::File(path) => std::fs::metadata(path).map(|m| m.len()),
            Origin::Embedded(bytes) => Ok(bytes.len() as u64),
        }
    }

    /// The file's bytes, refusing files larger than `max_bytes` (before
    /// reading them).
    pub fn read_limited(&self, max_bytes: u64) -> Result<Cow<'static, [u8]>, Skipped> {
        match self.size() {
            Ok(size) if size > max_bytes => {
                return Err(self.skipped(
                    ArticleError::TooLarge {
                        size,
                        limit: max_bytes,
                    }
                    .to_string(),
                ));
            }
            Ok(_) => {}
            Err(e) => return Err(self.skipped(format!("cannot read: {e}"))),
        }
        self.read()
            .map_err(|e| self.skipped(format!("cannot read: {e}")))
    }

    /// Parses this entry's `bytes` (as [`Entry::read_limited`] returned them).
    pub fn parse(&self, bytes: &[u8], urls: &UrlTemplate) -> Result<Parsed, Skipped> {
        let source = Source {
            id: &self.id,
            folder_locale: self.folder_locale.as_ref(),
            bytes,
        };
        article::parse(&source, urls).map_err(|e| self.skipped(e.to_string()))
    }

    /// This entry, skipped for `reason`.
    pub fn skipped(&self, reason: String) -> Skipped {
        Skipped {
            path: self.source.clone(),
            reason,
        }
    }
}

/// A file that was not indexed, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

fn is_article(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
}

fn dir_entries(root: &Path) -> (Vec<Entry>, Vec<Skipped>) {
    let mut entries = Vec::new();
    let mut skipped = Vec::new();
    // Following links lets a corpus be assembled from symlinks; walkdir
    // detects loops and reports them as errors instead of recursing forever.
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !e.file_name().to_string_lossy().starts_with('.'));
    for item in walker {
        match item {
            Ok(entry) if entry.file_type().is_file() && is_article(entry.path()) => {
                let relative = entry.path().strip_prefix(root).unwrap_or(entry.path());
                let Some(source) = relative_source(relative) else {
                    skipped.push(Skipped {
                        path: entry.path().display().to_string(),
                        reason: "file name is not valid UTF-8".to_string(),
                    });
                    continue;
                };
                entries.push(Entry::new(source, Origin::File(entry.path().to_path_buf())));
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
                skipped.push(Skipped { path, reason });
            }
        }
    }
    (entries, skipped)
}

fn relative_source(relative: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for component in relative.components() {
        parts.push(component.as_os_str().to_str()?);
    }
    Some(parts.join("/"))
}

fn collect_demo(dir: &'static Dir<'static>, out: &mut Vec<Entry>) {
    for file in dir.files() {
        if is_article(file.path())
            && let Some(source) = relative_source(file.path())
        {
            out.push(Entry::new(source, Origin::Embedded(file.contents())));
        }
    }
    for sub in dir.dirs() {
        collect_demo(sub, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_folder_gives_locale_and_id() {
        let e = Entry::new("ja-jp/partner-center/x.md".into(), Origin::Embedded(b""));
        assert_eq!(e.folder_locale.unwrap().as_str(), "ja-jp");
        assert_eq!(e.id, "partner-center/x.md");
        let e = Entry::new("partner-center/x.md".into(), Origin::Embedded(b""));
        assert_eq!(e.folder_locale, None);
        assert_eq!(e.id, "partner-center/x.md");
    }

    #[test]
    fn demo_corpus_is_bundled() {
        let (entries, skipped) = Corpus::Demo.entries();
        assert!(skipped.is_empty());
        assert!(entries.len() >= 6, "{}", entries.len());
        assert!(entries.iter().all(|e| e.folder_locale.is_some()));
    }
}
