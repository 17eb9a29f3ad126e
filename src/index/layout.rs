//! On-disk layout: one folder per locale, holding index generations.
//!
//! ```text
//! <index-dir>/
//!   .build.lock             held by the one build running
//!   ja-jp/
//!     CURRENT               "gen-000004": the generation being served
//!     gen-000003/           previous generation, kept for readers still on it
//!     gen-000004/           a complete tantivy index + kensaku.json
//! ```
//!
//! A build writes a new generation beside the served one and switches by
//! atomically replacing `CURRENT` (write, fsync, rename, fsync the folder).
//! A generation is never modified once `CURRENT` has named it, so readers
//! never see a half-written index, and a build killed at any point leaves the
//! previous generation serving. Generations older than the previous one are
//! removed by the next build.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::locale::{Language, Locale};

const CURRENT: &str = "CURRENT";
const MANIFEST: &str = "kensaku.json";
const GENERATION_PREFIX: &str = "gen-";

/// Version of the on-disk layout and schema; a mismatch forces a full rebuild.
pub const FORMAT_VERSION: u32 = 4;

/// The root folder of all locale indexes.
#[derive(Debug, Clone)]
pub struct IndexDir {
    root: PathBuf,
}

/// One generation of one locale's index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation {
    pub locale: Locale,
    pub number: u64,
    pub path: PathBuf,
}

impl Generation {
    pub fn name(&self) -> String {
        generation_name(self.number)
    }

    /// Bytes on disk of the generation's files (0 if unreadable).
    pub fn size_bytes(&self) -> u64 {
        fs::read_dir(&self.path)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|e| e.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }
}

/// What kensaku records about a generation beside the tantivy index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    pub analysis_version: u32,
    pub locale: Locale,
    pub language: Language,
    pub documents: u64,
    /// Seconds since the Unix epoch.
    pub built_at: u64,
    /// [`super::schema::fingerprint`] of the schema it was built with.
    #[serde(default)]
    pub schema: String,
    /// The generation's vectors (`vectors.bin`), if it has any.
    #[serde(default)]
    pub vectors: Option<super::vectors::VectorsInfo>,
    /// [`crate::article::PARSE_VERSION`] its documents were parsed under (0:
    /// written before manifests said).
    #[serde(default)]
    pub parse_version: u32,
}

impl Manifest {
    /// Whether this binary can read an index with this manifest (same
    /// layout, analyzers and schema).
    pub fn is_compatible(&self, language: Language) -> bool {
        static SCHEMA: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        self.format_version == FORMAT_VERSION
            && self.analysis_version == crate::analysis::ANALYSIS_VERSION
            && self.language == language
            && self.schema == *SCHEMA.get_or_init(super::schema::fingerprint)
    }

    /// Whether a build can update the index in place: it can read it, and
    /// its documents were parsed as this binary parses them (else each is
    /// read again).
    pub fn is_current(&self, language: Language) -> bool {
        self.is_compatible(language) && self.parse_version == crate::article::PARSE_VERSION
    }
}

fn generation_name(number: u64) -> String {
    format!("{GENERATION_PREFIX}{number:06}")
}

impl IndexDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        IndexDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether this process may build here: the folder (or, before the
    /// first build, its parent) can be written — not so on a read-only
    /// volume, or a folder owned by another user.
    pub fn is_writable(&self) -> bool {
        let existing = std::iter::successors(Some(self.root.as_path()), |p| p.parent())
            .find(|p| p.exists() && !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let Ok(path) = std::ffi::CString::new(existing.as_os_str().as_encoded_bytes()) else {
            return false;
        };
        // SAFETY: a valid C string; access() only reads it.
        unsafe { libc::access(path.as_ptr(), libc::W_OK) == 0 }
    }

    fn locale_dir(&self, locale: &Locale) -> PathBuf {
        self.root.join(locale.as_str())
    }

    /// Locales that have a published generation, sorted.
    pub fn locales(&self) -> io::Result<Vec<Locale>> {
        let entries = match fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut locales = Vec::new();
        for entry in entries {
            let entry = entry?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if let Ok(locale) = Locale::parse(&name)
                && locale.as_str() == name
                && entry.path().join(CURRENT).is_file()
            {
                locales.push(locale);
            }
        }
        locales.sort();
        Ok(locales)
    }

    /// The generation `CURRENT` names, if any.
    pub fn current(&self, locale: &Locale) -> io::Result<Option<Generation>> {
        let dir = self.locale_dir(locale);
        let name = match fs::read_to_string(dir.join(CURRENT)) {
            Ok(name) => name,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let name = name.trim();
        let number = name
            .strip_prefix(GENERATION_PREFIX)
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{}: not a generation name: {name:?}",
                        dir.join(CURRENT).display()
                    ),
                )
            })?;
        Ok(Some(Generation {
            locale: locale.clone(),
            number,
            path: dir.join(name),
        }))
    }

    /// Creates an empty folder for the next generation of `locale`.
    pub fn new_generation(&self, locale: &Locale) -> io::Result<Generation> {
        let dir = self.locale_dir(locale);
        fs::create_dir_all(&dir)?;
        let highest = self.generations(locale)?.into_iter().max().unwrap_or(0);
        let number = highest + 1;
        let path = dir.join(generation_name(number));
        fs::create_dir(&path)?;
        Ok(Generation {
            locale: locale.clone(),
            number,
            path,
        })
    }

    fn generations(&self, locale: &Locale) -> io::Result<Vec<u64>> {
        let dir = self.locale_dir(locale);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut numbers = Vec::new();
        for entry in entries {
            let name = entry?.file_name();
            if let Some(n) = name
                .to_str()
                .and_then(|n| n.strip_prefix(GENERATION_PREFIX))
                .and_then(|n| n.parse().ok())
            {
                numbers.push(n);
            }
        }
        Ok(numbers)
    }

    /// Makes `generation` the served one. Atomic: readers see either the old
    /// or the new `CURRENT`, never a partial one.
    pub fn publish(&self, generation: &Generation) -> io::Result<()> {
        sync_dir(&generation.path)?;
        let dir = self.locale_dir(&generation.locale);
        let tmp = dir.join(format!("{CURRENT}.tmp"));
        {
            let mut file = File::create(&tmp)?;
            file.write_all(generation.name().as_bytes())?;
            file.write_all(b"\n")?;
            file.sync_all()?;
        }
        fs::rename(&tmp, dir.join(CURRENT))?;
        sync_dir(&dir)
    }

    /// Removes generations other than the current one and the one before it,
    /// including folders of builds that never finished.
    pub fn collect_garbage(&self, locale: &Locale) -> io::Result<Vec<PathBuf>> {
        let Some(current) = self.current(locale)? else {
            return Ok(Vec::new());
        };
        let mut numbers = self.generations(locale)?;
        numbers.sort_unstable();
        let previous = numbers
            .iter()
            .copied()
            .filter(|&n| n < current.number)
            .max();
        let mut removed = Vec::new();
        for n in numbers {
            if n == current.number || Some(n) == previous {
                continue;
            }
            let path = self.locale_dir(locale).join(generation_name(n));
            fs::remove_dir_all(&path)?;
            removed.push(path);
        }
        Ok(removed)
    }

    /// Takes the build lock: one build at a time per index folder.
    pub fn lock(&self) -> io::Result<BuildLock> {
        fs::create_dir_all(&self.root)?;
        let path = self.root.join(".build.lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(BuildLock { _file: file }),
            Err(fs::TryLockError::WouldBlock) => Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!("another build holds {}", path.display()),
            )),
            Err(fs::TryLockError::Error(e)) => Err(e),
        }
    }
}

/// Held for the duration of a build; released on drop (or process death).
#[derive(Debug)]
pub struct BuildLock {
    _file: File,
}

pub fn read_manifest(generation: &Path) -> io::Result<Manifest> {
    let bytes = fs::read(generation.join(MANIFEST))?;
    serde_json::from_slice(&bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

pub fn write_manifest(generation: &Path, manifest: &Manifest) -> io::Result<()> {
    let mut file = File::create(generation.join(MANIFEST))?;
    file.write_all(&serde_json::to_vec_pretty(manifest).map_err(io::Error::other)?)?;
    file.sync_all()
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Links (or, across file systems, copies) the immutable files of
/// generation `from` into the empty folder `to`, so an incremental build can
/// start from the previous index without touching it. tantivy rewrites its
/// metadata files by atomic rename, never in place, so shared links stay
/// intact in `from`; those small files are copied anyway, and so is the hit
/// store, which the new generation appends to.
pub fn clone_generation(from: &Path, to: &Path) -> io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if name_str.ends_with(".lock") {
            continue;
        }
        // Vectors belong to one generation's documents: the embedding step
        // writes the new generation's own.
        if name_str == super::vectors::FILE_NAME {
            continue;
        }
        let target = to.join(&name);
        let copy = name_str.ends_with(".json") || name_str == super::hitstore::FILE_NAME;
        if copy || fs::hard_link(entry.path(), &target).is_err() {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_switches_current_and_garbage_keeps_previous() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = IndexDir::new(tmp.path());
        let ja = Locale::parse("ja-jp").unwrap();
        assert_eq!(dir.current(&ja).unwrap(), None);
        assert!(dir.locales().unwrap().is_empty());

        let g1 = dir.new_generation(&ja).unwrap();
        dir.publish(&g1).unwrap();
        let g2 = dir.new_generation(&ja).unwrap();
        assert_eq!(dir.current(&ja).unwrap().unwrap().number, 1, "unpublished");
        dir.publish(&g2).unwrap();
        let g3 = dir.new_generation(&ja).unwrap();
        dir.publish(&g3).unwrap();
        let abandoned = dir.new_generation(&ja).unwrap();

        assert_eq!(dir.current(&ja).unwrap().unwrap().number, 3);
        assert_eq!(dir.locales().unwrap(), vec![ja.clone()]);
        let removed = dir.collect_garbage(&ja).unwrap();
        assert_eq!(removed.len(), 2);
        assert!(!g1.path.exists() && g2.path.exists() && g3.path.exists());
        assert!(!abandoned.path.exists());
    }

    #[test]
    fn one_build_at_a_time() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = IndexDir::new(tmp.path());
        let lock = dir.lock().unwrap();
        assert_eq!(dir.lock().unwrap_err().kind(), io::ErrorKind::WouldBlock);
        drop(lock);
        dir.lock().unwrap();
    }
}
