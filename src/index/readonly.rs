//! Opening published generations read-only.
//!
//! A published generation never changes (a build writes a new one and
//! switches `CURRENT`), so readers need neither tantivy's lock files nor
//! write access: replicas can serve one index from a read-only volume. This
//! [`Directory`] serves reads from a memory-mapped folder and refuses writes.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle, WritePtr,
};

/// A generation folder, read-only.
#[derive(Debug, Clone)]
pub struct ReadOnlyDirectory {
    inner: MmapDirectory,
    root: PathBuf,
}

impl ReadOnlyDirectory {
    pub fn open(root: &Path) -> tantivy::Result<ReadOnlyDirectory> {
        Ok(ReadOnlyDirectory {
            inner: MmapDirectory::open(root)?,
            root: root.to_path_buf(),
        })
    }

    fn refused(&self, path: &Path) -> Arc<io::Error> {
        Arc::new(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{}: a published index generation is read-only",
                self.root.join(path).display()
            ),
        ))
    }
}

impl Directory for ReadOnlyDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.inner.get_file_handle(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        Err(DeleteError::IoError {
            io_error: self.refused(path),
            filepath: path.to_path_buf(),
        })
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        Err(OpenWriteError::IoError {
            io_error: self.refused(path),
            filepath: path.to_path_buf(),
        })
    }

    fn atomic_write(&self, path: &Path, _data: &[u8]) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            self.refused(path).to_string(),
        ))
    }

    fn sync_directory(&self) -> io::Result<()> {
        Ok(())
    }

    /// Nothing to exclude: the files never change.
    fn acquire_lock(&self, _lock: &Lock) -> Result<DirectoryLock, LockError> {
        Ok(DirectoryLock::from(Box::new(())))
    }

    fn watch(&self, _callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        Ok(WatchHandle::empty())
    }
}

#[cfg(test)]
mod tests {
    use crate::index::{self, BuildOptions, Corpus, IndexDir};
    use crate::search::{Engine, SearchRequest};

    fn files(dir: &std::path::Path) -> Vec<String> {
        let mut names: Vec<String> = walkdir::WalkDir::new(dir)
            .into_iter()
            .map(|e| e.unwrap().path().display().to_string())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn serving_writes_nothing_into_the_index_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = IndexDir::new(tmp.path());
        index::build(&Corpus::Demo, &dir, &BuildOptions::default()).unwrap();
        // What the build's own writer left (its lock files) is not the reader's.
        for entry in walkdir::WalkDir::new(tmp.path()) {
            let entry = entry.unwrap();
            if entry.file_name().to_string_lossy().starts_with(".tantivy-") {
                std::fs::remove_file(entry.path()).unwrap();
            }
        }
        let before = files(tmp.path());
        let engine = Engine::open(dir);
        let response = engine.search(&SearchRequest::new("index")).unwrap();
        assert!(!response.hits.is_empty());
        assert_eq!(files(tmp.path()), before);
    }
}
