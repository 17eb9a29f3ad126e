//! The embedding cache: vectors by (embedder identity, text), kept beside
//! the index and outliving its generations, so that re-indexing an
//! unchanged corpus embeds nothing and a changed article only its changed
//! chunks.
//!
//! One append-only file per identity, `<index>/embeddings/<key>.bin`: a
//! header (magic, dimensions, the identity as JSON), then records of a
//! 16-byte text hash and the vector (little-endian `f32`s). A record cut
//! short by a crash is dropped when the file is next opened; nothing else
//! ever rewrites the file. One build at a time writes it (the build lock).

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::EmbedderIdentity;

const MAGIC: &[u8; 8] = b"KSKEMB01";

/// The hash a text is cached under.
pub type TextKey = [u8; 16];

/// The key of `text`.
pub fn text_key(text: &str) -> TextKey {
    let hash = blake3::hash(text.as_bytes());
    let mut key = [0; 16];
    key.copy_from_slice(&hash.as_bytes()[..16]);
    key
}

/// The cached vectors of one embedder identity, loaded into memory.
pub struct EmbeddingCache {
    path: PathBuf,
    dimensions: usize,
    vectors: HashMap<TextKey, Vec<f32>>,
    writer: Option<BufWriter<File>>,
}

impl EmbeddingCache {
    /// Opens (or creates) the cache of `identity` in `dir`.
    pub fn open(dir: &Path, identity: &EmbedderIdentity) -> io::Result<EmbeddingCache> {
        fs::create_dir_all(dir)?;
        let path = dir.join(format!("{}.bin", identity.key()));
        let header = header(identity);
        let mut vectors = HashMap::new();
        let record = 16 + identity.dimensions * 4;
        let mut valid_len = header.len() as u64;
        match File::open(&path) {
            Ok(mut file) => {
                let mut bytes = Vec::new();
                file.read_to_end(&mut bytes)?;
                if bytes.len() < header.len() && header.starts_with(&bytes) {
                    // Created by a build killed before its header was whole.
                    fs::write(&path, &header)?;
                } else if !bytes.starts_with(&header) {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{}: not this embedder's cache", path.display()),
                    ));
                }
                for chunk in bytes[header.len()..].chunks_exact(record) {
                    let mut key = [0; 16];
                    key.copy_from_slice(&chunk[..16]);
                    let vector = chunk[16..]
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect();
                    vectors.insert(key, vector);
                    valid_len += record as u64;
                }
                if valid_len < bytes.len() as u64 {
                    tracing::warn!(path = %path.display(), "embedding cache ends in a partial record (an interrupted build): dropped");
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let mut file = File::create(&path)?;
                file.write_all(&header)?;
                file.sync_all()?;
            }
            Err(e) => return Err(e),
        }
        let file = OpenOptions::new().write(true).open(&path)?;
        // Appends start after the last whole record.
        file.set_len(valid_len)?;
        let mut file = BufWriter::new(file);
        io::Seek::seek(&mut file, io::SeekFrom::End(0))?;
        Ok(EmbeddingCache {
            path,
            dimensions: identity.dimensions,
            vectors,
            writer: Some(file),
        })
    }

    pub fn len(&self) -> usize {
        self.vectors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn get(&self, key: &TextKey) -> Option<&[f32]> {
        self.vectors.get(key).map(Vec::as_slice)
    }

    /// Adds a vector (and appends it to the file).
    /// The vector is kept in memory whatever happens to the file: a build
    /// that cannot append (disk full) still writes every vector it embedded
    /// into its generation; the file stops growing at the first failure (a
    /// torn record ends it, as a killed build's would).
    pub fn insert(&mut self, key: TextKey, vector: Vec<f32>) -> io::Result<()> {
        debug_assert_eq!(vector.len(), self.dimensions);
        if self.vectors.contains_key(&key) {
            return Ok(());
        }
        let written = match &mut self.writer {
            Some(writer) => writer.write_all(&key).and_then(|_| {
                vector
                    .iter()
                    .try_for_each(|x| writer.write_all(&x.to_le_bytes()))
            }),
            None => Ok(()),
        };
        if written.is_err() {
            self.writer = None;
        }
        self.vectors.insert(key, vector);
        written
    }

    /// Hands what was appended to the operating system: a killed build
    /// keeps it (a power loss may not: see [`EmbeddingCache::sync`]).
    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.writer {
            Some(writer) => writer.flush(),
            None => Ok(()),
        }
    }

    /// Makes what was appended durable.
    pub fn sync(&mut self) -> io::Result<()> {
        if let Some(writer) = &mut self.writer {
            writer.flush()?;
            writer.get_ref().sync_all()?;
        }
        Ok(())
    }
}

fn header(identity: &EmbedderIdentity) -> Vec<u8> {
    let json = serde_json::to_vec(identity).unwrap_or_default();
    let mut header = MAGIC.to_vec();
    header.extend_from_slice(&(identity.dimensions as u32).to_le_bytes());
    header.extend_from_slice(&(json.len() as u32).to_le_bytes());
    header.extend_from_slice(&json);
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> EmbedderIdentity {
        EmbedderIdentity {
            model: "m".into(),
            dimensions: 3,
            presentation: String::new(),
        }
    }

    #[test]
    fn vectors_survive_reopening_and_torn_tails() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = EmbeddingCache::open(dir.path(), &identity()).unwrap();
        cache.insert(text_key("a"), vec![1.0, 0.0, 0.0]).unwrap();
        cache.insert(text_key("b"), vec![0.0, 1.0, 0.0]).unwrap();
        cache.sync().unwrap();
        let path = cache.path().to_path_buf();
        drop(cache);
        // A crash in the middle of a record.
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&[7; 20]).unwrap();
        drop(file);
        let mut cache = EmbeddingCache::open(dir.path(), &identity()).unwrap();
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get(&text_key("b")), Some(&[0.0, 1.0, 0.0][..]));
        cache.insert(text_key("c"), vec![0.0, 0.0, 1.0]).unwrap();
        cache.sync().unwrap();
        drop(cache);
        let cache = EmbeddingCache::open(dir.path(), &identity()).unwrap();
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get(&text_key("c")), Some(&[0.0, 0.0, 1.0][..]));
    }
}
