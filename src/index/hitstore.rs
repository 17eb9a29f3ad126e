//! The hit store: what a search result shows, read without copying.
//!
//! tantivy's document store compresses documents in blocks and deserializes a
//! whole document to read one field; for a results page that meant
//! decompressing, validating and copying every hit's full text. The hit
//! store keeps each article's display data — id, url, title, description,
//! section table, term vector and text — in one record of `hits.bin`, a file
//! beside the generation's segments, memory-mapped through tantivy's
//! directory. A document's `hit` fast field holds its record's offset.
//!
//! The file is append-only: an incremental build copies the previous
//! generation's file and appends records for new or changed articles
//! (records of removed articles remain until a full build). Readers validate
//! UTF-8 only of the bytes they use.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use tantivy::directory::{Directory, MmapDirectory, OwnedBytes};

use super::varint;

/// File name of the hit store inside a generation.
pub const FILE_NAME: &str = "hits.bin";

/// Magic and version at the start of the file.
const HEADER: &[u8; 8] = b"KSKHIT01";

/// One article's display data, as written.
pub struct HitData<'a> {
    pub id: &'a str,
    pub url: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    /// [`super::stored::SectionTable`] encoding.
    pub sections: &'a [u8],
    /// [`super::stored::TermVector`] encoding.
    pub termvec: &'a [u8],
    /// The article's text: sections' blocks, one per line.
    pub body: &'a str,
}

impl HitData<'_> {
    /// The record's bytes (encode outside any lock, then append).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + self.termvec.len() + 256);
        for part in [
            self.id.as_bytes(),
            self.url.as_bytes(),
            self.title.as_bytes(),
            self.description.as_bytes(),
            self.sections,
            self.termvec,
            self.body.as_bytes(),
        ] {
            varint::put_bytes(&mut out, part);
        }
        out
    }
}

/// A record read back. Short fields are validated UTF-8; the body is bytes
/// (validate the part you use: see [`str_at`]).
#[derive(Debug, Clone, Copy)]
pub struct HitRecord<'a> {
    pub id: &'a str,
    pub url: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub sections: &'a [u8],
    pub termvec: &'a [u8],
    pub body: &'a [u8],
}

/// Appends records to a generation's hit store.
pub struct HitStoreWriter {
    file: BufWriter<File>,
    offset: u64,
}

impl HitStoreWriter {
    /// Opens `dir/hits.bin` for appending, creating it (with its header) if
    /// needed.
    pub fn open(dir: &Path) -> io::Result<HitStoreWriter> {
        let path = dir.join(FILE_NAME);
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)?;
        let mut offset = file.seek(SeekFrom::End(0))?;
        if offset == 0 {
            file.write_all(HEADER)?;
            offset = HEADER.len() as u64;
        }
        Ok(HitStoreWriter {
            file: BufWriter::with_capacity(1 << 20, file),
            offset,
        })
    }

    /// Appends a record; returns its offset.
    pub fn append(&mut self, hit: &HitData<'_>) -> io::Result<u64> {
        self.append_encoded(&hit.encode())
    }

    /// Appends a record made by [`HitData::encode`]; returns its offset.
    pub fn append_encoded(&mut self, record: &[u8]) -> io::Result<u64> {
        let offset = self.offset;
        self.file.write_all(record)?;
        self.offset += record.len() as u64;
        Ok(offset)
    }

    /// Flushes and makes the file durable.
    pub fn finish(mut self) -> io::Result<()> {
        self.file.flush()?;
        self.file.get_ref().sync_all()
    }
}

/// A generation's hit store, memory-mapped.
#[derive(Clone)]
pub struct HitStore {
    bytes: OwnedBytes,
}

impl HitStore {
    pub fn open(dir: &Path) -> io::Result<HitStore> {
        let directory = MmapDirectory::open(dir).map_err(io::Error::other)?;
        let slice = directory
            .open_read(Path::new(FILE_NAME))
            .map_err(io::Error::other)?;
        let bytes = slice.read_bytes()?;
        if !bytes.as_slice().starts_with(HEADER) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: not a kensaku hit store", dir.join(FILE_NAME).display()),
            ));
        }
        Ok(HitStore { bytes })
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.len() <= HEADER.len()
    }

    /// Length in bytes of the record at `offset`; `None` if it is invalid.
    pub fn record_len(&self, offset: u64) -> Option<u64> {
        let bytes = self.bytes.as_slice();
        let start = usize::try_from(offset).ok()?;
        if start < HEADER.len() {
            return None;
        }
        let mut at = start;
        for _ in 0..7 {
            varint::get_bytes(bytes, &mut at)?;
        }
        Some((at - start) as u64)
    }

    /// The record at `offset`; `None` if the offset or record is invalid.
    pub fn get(&self, offset: u64) -> Option<HitRecord<'_>> {
        let bytes = self.bytes.as_slice();
        let mut at = usize::try_from(offset).ok()?;
        if at < HEADER.len() {
            return None;
        }
        let id = utf8(varint::get_bytes(bytes, &mut at)?)?;
        let url = utf8(varint::get_bytes(bytes, &mut at)?)?;
        let title = utf8(varint::get_bytes(bytes, &mut at)?)?;
        let description = utf8(varint::get_bytes(bytes, &mut at)?)?;
        let sections = varint::get_bytes(bytes, &mut at)?;
        let termvec = varint::get_bytes(bytes, &mut at)?;
        let body = varint::get_bytes(bytes, &mut at)?;
        Some(HitRecord {
            id,
            url,
            title,
            description,
            sections,
            termvec,
            body,
        })
    }
}

/// `bytes` as text, when they are UTF-8.
///
/// Checked with SIMD (simdutf8, the same verdict as `std::str::from_utf8`;
/// below 64 bytes it is std's check): every hit of a search reads its
/// fields and its snippet's region through here, and the scalar check was
/// about 4 % of a search's instructions.
pub fn utf8(bytes: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(bytes).ok()
}

/// The longest valid UTF-8 text within `bytes[from..to]`, with `from` and
/// `to` moved inward to character boundaries; and the byte offset it starts at.
pub fn str_at(bytes: &[u8], from: usize, to: usize) -> (usize, &str) {
    let to = to.min(bytes.len());
    let mut from = from.min(to);
    while from < to && (bytes[from] & 0xC0) == 0x80 {
        from += 1;
    }
    let mut end = to;
    while end > from && end < bytes.len() && (bytes[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    if let Some(text) = utf8(&bytes[from..end]) {
        return (from, text);
    }
    // Not valid throughout (a damaged record): the valid part before the
    // first bad byte.
    let valid = simdutf8::compat::from_utf8(&bytes[from..end])
        .map_or_else(|e| e.valid_up_to(), |t| t.len());
    (from, utf8(&bytes[from..from + valid]).unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_files_append() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = HitStoreWriter::open(dir.path()).unwrap();
        let hit = |id: &'static str, body: &'static str| HitData {
            id,
            url: "/u",
            title: "タイトル",
            description: "d",
            sections: b"\x00",
            termvec: b"",
            body,
        };
        let a = writer.append(&hit("a.md", "本文 one")).unwrap();
        writer.finish().unwrap();
        let mut writer = HitStoreWriter::open(dir.path()).unwrap();
        let b = writer.append(&hit("b.md", "two")).unwrap();
        writer.finish().unwrap();
        assert!(b > a);
        let store = HitStore::open(dir.path()).unwrap();
        let record = store.get(a).unwrap();
        assert_eq!(
            (record.id, record.title, record.body),
            ("a.md", "タイトル", "本文 one".as_bytes())
        );
        assert_eq!(store.get(b).unwrap().id, "b.md");
        assert_eq!(store.record_len(a), Some(b - a));
        assert_eq!(store.record_len(b), Some(store.len() as u64 - b));
        assert_eq!(store.record_len(0), None);
        assert!(
            store.get(0).is_none()
                && store.get(u64::MAX).is_none()
                && store.get(a + 1).is_none_or(|r| r.id != "a.md")
        );
    }

    #[test]
    fn str_at_never_splits_a_character() {
        let bytes = "aé本b".as_bytes();
        for from in 0..=bytes.len() {
            for to in from..=bytes.len() {
                let (start, text) = str_at(bytes, from, to);
                assert!(start >= from && start + text.len() <= to.max(start));
                assert!(std::str::from_utf8(&bytes[start..start + text.len()]).is_ok());
            }
        }
    }

    #[test]
    fn damaged_text_reads_up_to_its_first_bad_byte() {
        // Long enough (over 64 bytes) for the SIMD check, and short.
        for prefix in ["本".repeat(30), "a".to_string()] {
            let mut bytes = prefix.clone().into_bytes();
            bytes.extend_from_slice(&[0xFF, b'x']);
            bytes.extend_from_slice("語".as_bytes());
            assert_eq!(str_at(&bytes, 0, bytes.len()), (0, prefix.as_str()));
            assert_eq!(utf8(&bytes), None);
            assert_eq!(utf8(prefix.as_bytes()), Some(prefix.as_str()));
        }
    }
}
