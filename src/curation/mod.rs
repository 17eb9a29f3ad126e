//! What a docs team curates, per locale: [synonyms] and [pinned or hidden
//! results](pins), from folders of files they edit (`<dir>/<locale>.txt`,
//! `<dir>/<locale>.toml`).
//!
//! Loading never fails: a file or line that cannot be read is reported
//! (file and line) and the rest applies. A server reloads the folders when
//! a file changes ([`Stamp`]) or on an admin reindex.

pub mod pins;
pub mod synonyms;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::locale::Locale;
use pins::Pins;
use synonyms::RawRule;

/// Where the curated files are (`search`, `eval` and `serve` take them as
/// flags and `KENSAKU_*` environment variables).
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct CurationConfig {
    /// Folder of synonym files, `<locale>.txt` (Solr format).
    #[arg(long, env = "KENSAKU_SYNONYMS")]
    pub synonyms: Option<PathBuf>,
    /// Folder of pinned/hidden result files, `<locale>.toml`.
    #[arg(long, env = "KENSAKU_PINS")]
    pub pins: Option<PathBuf>,
}

/// The curated rules of every locale, as written (analysis happens when
/// the engine installs them: see `Engine::set_curation`).
#[derive(Debug, Clone, Default)]
pub struct Curation {
    pub synonyms: BTreeMap<Locale, Vec<RawRule>>,
    pub pins: BTreeMap<Locale, Pins>,
    /// What could not be read, as `file:line: message`.
    pub problems: Vec<String>,
}

/// The size and modification time of every curated file: a change of any
/// (or a file added or removed) means a reload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stamp(Vec<(PathBuf, u64, Option<SystemTime>)>);

impl CurationConfig {
    pub fn is_empty(&self) -> bool {
        self.synonyms.is_none() && self.pins.is_none()
    }

    /// The files' current stamp.
    pub fn stamp(&self) -> Stamp {
        let mut files = Vec::new();
        for (dir, ext) in self.folders() {
            for (_, path) in locale_files(dir, ext).unwrap_or_default() {
                let meta = std::fs::metadata(&path).ok();
                let len = meta.as_ref().map_or(0, |m| m.len());
                files.push((path, len, meta.and_then(|m| m.modified().ok())));
            }
        }
        Stamp(files)
    }

    fn folders(&self) -> impl Iterator<Item = (&Path, &'static str)> {
        self.synonyms
            .as_deref()
            .map(|d| (d, "txt"))
            .into_iter()
            .chain(self.pins.as_deref().map(|d| (d, "toml")))
    }

    /// Reads every curated file.
    pub fn load(&self) -> Curation {
        let mut curation = Curation::default();
        if let Some(dir) = &self.synonyms {
            curation.read_folder(dir, "txt", |c, locale, path, text| {
                let (rules, errors) = synonyms::parse(text);
                for e in errors {
                    c.problems
                        .push(format!("{}:{}: {}", path.display(), e.line, e.message));
                }
                c.synonyms.insert(locale, rules);
            });
        }
        if let Some(dir) = &self.pins {
            curation.read_folder(dir, "toml", |c, locale, path, text| {
                match Pins::parse(text) {
                    Ok((pins, warnings)) => {
                        for w in warnings {
                            c.problems.push(format!("{}: {w}", path.display()));
                        }
                        c.pins.insert(locale, pins);
                    }
                    Err(e) => c.problems.push(format!("{}: {e}", path.display())),
                }
            });
        }
        for problem in &curation.problems {
            tracing::warn!(problem = %problem, "curated rule skipped");
        }
        curation
    }
}

impl Curation {
    fn read_folder(
        &mut self,
        dir: &Path,
        ext: &str,
        mut read: impl FnMut(&mut Curation, Locale, &Path, &str),
    ) {
        let files = match locale_files(dir, ext) {
            Ok(files) => files,
            Err(e) => {
                self.problems.push(format!("{}: {e}", dir.display()));
                return;
            }
        };
        for (locale, path) in files {
            match std::fs::read_to_string(&path) {
                Ok(text) => read(self, locale, &path, &text),
                Err(e) => self.problems.push(format!("{}: {e}", path.display())),
            }
        }
    }
}

/// `<dir>/<locale>.<ext>` files, by locale; other files are ignored.
fn locale_files(dir: &Path, ext: &str) -> std::io::Result<Vec<(Locale, PathBuf)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some(ext) {
            continue;
        }
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        if let Ok(locale) = Locale::parse(stem) {
            files.push((locale, path));
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_what_it_can_and_reports_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let syn = dir.path().join("syn");
        let pins = dir.path().join("pins");
        std::fs::create_dir_all(&syn).unwrap();
        std::fs::create_dir_all(&pins).unwrap();
        std::fs::write(syn.join("en-us.txt"), "merge, combine\nbroken\n").unwrap();
        std::fs::write(syn.join("notes.md"), "ignored").unwrap();
        std::fs::write(
            pins.join("en-us.toml"),
            "[[rule]]\nquery = \"x\"\npin = [\"a.md\"]\n",
        )
        .unwrap();
        std::fs::write(pins.join("fr-fr.toml"), "[[rule]\n").unwrap();
        let config = CurationConfig {
            synonyms: Some(syn.clone()),
            pins: Some(pins),
        };
        let curation = config.load();
        let en = Locale::parse("en-us").unwrap();
        assert_eq!(curation.synonyms[&en].len(), 1);
        assert!(curation.pins[&en].rule("X").is_some());
        assert_eq!(curation.problems.len(), 2, "{:?}", curation.problems);
        assert!(
            curation.problems[0].contains("en-us.txt:2"),
            "{:?}",
            curation.problems
        );
        let before = config.stamp();
        std::fs::write(syn.join("en-us.txt"), "merge, combine, unite\n").unwrap();
        assert_ne!(config.stamp(), before);
    }
}
