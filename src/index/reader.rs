//! A published generation of one locale, opened for searching.

use std::collections::HashMap;

use tantivy::columnar::Column;
use tantivy::{DocAddress, IndexReader, ReloadPolicy, Searcher};

use crate::article::meta::MetaField;
use crate::locale::{Language, Locale};

use super::hitstore::{HitRecord, HitStore};
use super::layout::{Generation, IndexDir};
use super::schema::{self, Fields};
use super::vectors::{Vectors, VectorsInfo};
use super::{IndexError, open_generation};

/// One locale's served generation: its tantivy reader, its hit store and
/// the offsets into it. Immutable: a new generation gets a new reader.
pub struct LocaleReader {
    pub locale: Locale,
    pub language: Language,
    pub generation: u64,
    pub documents: u64,
    /// Bytes on disk of the generation's files.
    pub size_bytes: u64,
    vectors: Option<(Vectors, VectorsInfo)>,
    reader: IndexReader,
    fields: Fields,
    hits: HitStore,
    /// Each segment's `hit` column (hit-store offsets), by segment ordinal.
    hit_columns: Vec<Column<u64>>,
    /// Each article's document, read once per generation: searches map
    /// vector matches, translations' matches and pins to documents by id.
    by_id: HashMap<Box<str>, DocAddress>,
}

impl LocaleReader {
    /// Opens the generation `CURRENT` names; `None` if there is none.
    pub fn open(dir: &IndexDir, locale: &Locale) -> Result<Option<LocaleReader>, IndexError> {
        match dir
            .current(locale)
            .map_err(|e| IndexError::io(dir.root(), e))?
        {
            Some(generation) => Self::open_generation(&generation).map(Some),
            None => Ok(None),
        }
    }

    /// Opens a complete generation.
    pub fn open_generation(generation: &Generation) -> Result<LocaleReader, IndexError> {
        let (index, fields, manifest) = open_generation(generation)?;
        // A generation never changes once published: no reloading needed.
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let hits =
            HitStore::open(&generation.path).map_err(|e| IndexError::io(&generation.path, e))?;
        let hit_columns = reader
            .searcher()
            .segment_readers()
            .iter()
            .map(schema::hit_column)
            .collect::<tantivy::Result<_>>()?;
        // Unreadable vectors cost the locale its semantic half, not its
        // words: it is served lexically.
        let vectors = match &manifest.vectors {
            Some(_) => Vectors::open(&generation.path).unwrap_or_else(|e| {
                tracing::warn!(generation = %generation.path.display(), error = %e,
                    "vectors.bin unreadable: this locale is served without semantic matching");
                None
            }),
            None => None,
        };
        let mut reader = LocaleReader {
            locale: generation.locale.clone(),
            language: manifest.language,
            generation: generation.number,
            documents: manifest.documents,
            size_bytes: generation.size_bytes(),
            vectors: vectors.zip(manifest.vectors),
            reader,
            fields,
            hits,
            hit_columns,
            by_id: HashMap::new(),
        };
        reader.by_id = reader.read_ids();
        Ok(reader)
    }

    /// Every live document's article id.
    fn read_ids(&self) -> HashMap<Box<str>, DocAddress> {
        let searcher = self.searcher();
        let mut by_id = HashMap::with_capacity(self.documents as usize);
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            for doc_id in segment.doc_ids_alive() {
                let address = DocAddress::new(ord as u32, doc_id);
                if let Some(record) = self.record(address) {
                    by_id.insert(record.id.into(), address);
                }
            }
        }
        by_id
    }

    /// The generation's vectors and what made them, if it has any.
    pub fn vectors(&self) -> Option<&(Vectors, VectorsInfo)> {
        self.vectors.as_ref()
    }

    /// The hit-store record of a document.
    pub fn record(&self, address: DocAddress) -> Option<HitRecord<'_>> {
        let offset = self
            .hit_columns
            .get(address.segment_ord as usize)?
            .first(address.doc_id)?;
        self.hits.get(offset)
    }

    /// The document of article `id`, if there is one.
    pub fn find(&self, id: &str) -> Option<DocAddress> {
        self.by_id.get(id).copied()
    }

    /// A document's value of a keyword metadata field (from its fast column).
    pub fn meta_value(&self, address: DocAddress, meta: &MetaField) -> Option<String> {
        let searcher = self.searcher();
        let segment = searcher
            .segment_readers()
            .get(address.segment_ord as usize)?;
        let column = schema::meta_column(segment, meta).ok()?;
        let ord = column.term_ords(address.doc_id).next()?;
        let mut value = String::new();
        column.ord_to_str(ord, &mut value).ok()?.then_some(value)
    }

    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    pub fn fields(&self) -> &Fields {
        &self.fields
    }
}
