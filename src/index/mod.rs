//! Indexing: articles → one tantivy index per locale, on disk.
//!
//! - [`schema`]: the fields of a locale index and article → document.
//! - [`stored`]: compact encodings of term vectors and section tables.
//! - [`layout`]: generations on disk and the atomic switch between them.
//! - [`builder`]: the parallel, incremental build; [`progress`]: how far it got.
//! - [`reader`]: a published generation opened for searching.
//! - [`vectors`], [`embedding`]: a generation's article and section vectors,
//!   and the build step that makes them.

pub mod builder;
pub mod document;
pub mod embedding;
pub mod hitstore;
pub mod layout;
pub mod progress;
pub mod reader;
pub mod readonly;
pub mod schema;
pub mod stored;
mod varint;
pub mod vectors;

use std::path::{Path, PathBuf};

use tantivy::Index;

use crate::analysis;
use layout::{Generation, Manifest};
use schema::Fields;

pub use crate::source::{Corpus, Skipped};
pub use builder::{BuildOptions, BuildReport, build};
pub use layout::IndexDir;
pub use reader::LocaleReader;

/// Errors of building or opening an index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Tantivy(#[from] tantivy::TantivyError),
    #[error(
        "nothing could be indexed from {corpus}: {files} article files found, {} skipped{}",
        skipped.len(),
        list_skipped(skipped)
    )]
    NothingIndexed {
        corpus: String,
        files: u64,
        skipped: Vec<Skipped>,
    },
    #[error("{path}: index built by an incompatible kensaku version (run `kensaku index --full`)")]
    Incompatible { path: PathBuf },
    /// An error met by one thread and seen by others.
    #[error(transparent)]
    Shared(std::sync::Arc<IndexError>),
    #[error(
        "embedding failed; the served index is unchanged (pass --lexical-fallback to publish without vectors): {0}"
    )]
    Embedding(crate::embed::EmbedError),
    #[error(transparent)]
    Source(#[from] crate::source::SourceError),
}

/// The first skipped files with their reasons, one per line.
fn list_skipped(skipped: &[Skipped]) -> String {
    const SHOWN: usize = 20;
    let mut out = String::new();
    for s in skipped.iter().take(SHOWN) {
        out.push_str(&format!("\n  {}: {}", s.path, s.reason));
    }
    if skipped.len() > SHOWN {
        out.push_str(&format!("\n  … and {} more", skipped.len() - SHOWN));
    }
    out
}

impl IndexError {
    pub fn io(path: &Path, source: std::io::Error) -> IndexError {
        IndexError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Opens a published generation for reading (read-only: see
/// [`readonly`]), with its analyzers registered.
pub fn open_generation(generation: &Generation) -> Result<(Index, Fields, Manifest), IndexError> {
    let manifest =
        layout::read_manifest(&generation.path).map_err(|e| IndexError::io(&generation.path, e))?;
    if !manifest.is_compatible(generation.locale.language()) {
        return Err(IndexError::Incompatible {
            path: generation.path.clone(),
        });
    }
    let index = Index::open(readonly::ReadOnlyDirectory::open(&generation.path)?)?;
    analysis::register(index.tokenizers(), [manifest.language]);
    let fields = Fields::from_schema(&index.schema())?;
    Ok((index, fields, manifest))
}
