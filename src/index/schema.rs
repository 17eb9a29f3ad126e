//! The schema of a locale's index and the mapping article → document.
//!
//! The schema owns the fields' names: the rest of kensaku reaches fields
//! through [`Fields`] handles and fast columns through the functions here,
//! never by writing a name, and a column that is missing is an error rather
//! than an empty result.

use tantivy::columnar::{Column, StrColumn};
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{PreTokenizedString, TextAnalyzer};
use tantivy::{SegmentReader, TantivyError};

use crate::analysis;
use crate::article::Article;
use crate::article::meta::{META_FIELDS, MetaField, Storage};
use crate::locale::Language;

use super::document::ArticleDocument;
use super::hitstore::HitData;
use super::stored::{SectionTable, StoredSection, TermVector};

const ID: &str = "id";
const SOURCE: &str = "source";
const HASH: &str = "hash";
const HIT: &str = "hit";

/// Handles of the fields of a locale index.
///
/// Searchable text fields use the locale's analyzer, except `english`, which
/// always uses the English one. `body` is indexed from tokens computed once
/// (pre-tokenized). What results display — title, url, text, section table
/// and the term vector snippets scan — lives in the [hit store](super::hitstore),
/// found through the `hit` fast field; tantivy stores only small metadata.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub source: Field,
    pub hash: Field,
    /// Offset of the document's record in the hit store.
    pub hit: Field,
    text: [Field; TextField::ALL.len()],
    /// One per row of [`META_FIELDS`]; `None` for values not indexed.
    meta: [Option<Field>; META_FIELDS.len()],
}

/// The searchable text fields and their role in ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextField {
    Title,
    Headings,
    Description,
    Keywords,
    Body,
    English,
}

impl TextField {
    pub const ALL: [TextField; 6] = [
        TextField::Title,
        TextField::Headings,
        TextField::Description,
        TextField::Keywords,
        TextField::Body,
        TextField::English,
    ];

    /// The field's name in the schema.
    pub fn name(self) -> &'static str {
        match self {
            TextField::Title => "title",
            TextField::Headings => "headings",
            TextField::Description => "description",
            TextField::Keywords => "keywords",
            TextField::Body => "body",
            TextField::English => "english",
        }
    }

    /// Whether the index records positions for this field: only where
    /// phrase proximity is scored, since recording them elsewhere costs
    /// indexing time and space for nothing. Proximity queries are built only
    /// over [`Fields::positioned`], so the two cannot disagree.
    pub fn has_positions(self) -> bool {
        matches!(self, TextField::Title | TextField::Body)
    }
}

impl Fields {
    pub fn text(&self, field: TextField) -> Field {
        self.text[field as usize]
    }

    /// The text fields with positions, for phrase and proximity queries.
    pub fn positioned(&self) -> impl Iterator<Item = (TextField, Field)> + '_ {
        TextField::ALL
            .into_iter()
            .filter(|f| f.has_positions())
            .map(|f| (f, self.text(f)))
    }

    /// The index field of a metadata row; `None` if it is not indexed.
    pub fn meta(&self, meta: &MetaField) -> Option<Field> {
        META_FIELDS
            .iter()
            .position(|m| m == meta)
            .and_then(|i| self.meta[i])
    }

    /// Looks the fields up by name in an existing schema; a missing field
    /// is an error (an index built with another schema).
    pub fn from_schema(schema: &Schema) -> tantivy::Result<Fields> {
        let f = |name: &str| schema.get_field(name);
        let mut text = [Field::from_field_id(0); TextField::ALL.len()];
        for field in TextField::ALL {
            text[field as usize] = f(field.name())?;
        }
        let mut meta = [None; META_FIELDS.len()];
        for (slot, m) in meta.iter_mut().zip(META_FIELDS) {
            if m.storage != Storage::NotIndexed {
                *slot = Some(f(m.name)?);
            }
        }
        Ok(Fields {
            id: f(ID)?,
            source: f(SOURCE)?,
            hash: f(HASH)?,
            hit: f(HIT)?,
            text,
            meta,
        })
    }
}

/// A segment's hit-store offsets (the `hit` column).
pub fn hit_column(segment: &SegmentReader) -> tantivy::Result<Column<u64>> {
    segment.fast_fields().u64(HIT)
}

/// A segment's `source` and `hash` columns (incremental builds).
pub fn provenance_columns(segment: &SegmentReader) -> tantivy::Result<(StrColumn, StrColumn)> {
    Ok((str_column(segment, SOURCE)?, str_column(segment, HASH)?))
}

/// A segment's column of a keyword metadata field (facets).
pub fn meta_column(segment: &SegmentReader, meta: &MetaField) -> tantivy::Result<StrColumn> {
    str_column(segment, meta.name)
}

/// A string fast column; its absence is an error, not an empty column.
fn str_column(segment: &SegmentReader, name: &str) -> tantivy::Result<StrColumn> {
    segment
        .fast_fields()
        .str(name)?
        .ok_or_else(|| TantivyError::SchemaError(format!("the index has no fast column {name:?}")))
}

/// Builds the schema of an index for `language`.
pub fn build_schema(language: Language) -> (Schema, Fields) {
    let localized = analysis::analyzer_name(language);
    let english = analysis::analyzer_name(Language::ORIGINALS);
    let mut builder = Schema::builder();
    let id = builder.add_text_field(ID, STRING | FAST);
    let source = builder.add_text_field(SOURCE, STRING | FAST);
    let hash = builder.add_text_field(HASH, STRING | FAST);
    let hit = builder.add_u64_field(HIT, FAST);
    let mut text = [Field::from_field_id(0); TextField::ALL.len()];
    for field in TextField::ALL {
        let analyzer = if field == TextField::English {
            &english
        } else {
            &localized
        };
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(if field.has_positions() {
                    IndexRecordOption::WithFreqsAndPositions
                } else {
                    IndexRecordOption::WithFreqs
                }),
        );
        text[field as usize] = builder.add_text_field(field.name(), options);
    }
    let mut meta = [None; META_FIELDS.len()];
    for (slot, m) in meta.iter_mut().zip(META_FIELDS) {
        *slot = match m.storage {
            Storage::NotIndexed => None,
            Storage::Stored => Some(builder.add_text_field(m.name, STORED)),
            Storage::Keyword => Some(builder.add_text_field(m.name, STRING | STORED | FAST)),
        };
    }
    let fields = Fields {
        id,
        source,
        hash,
        hit,
        text,
        meta,
    };
    (builder.build(), fields)
}

/// A fingerprint of the schema [`build_schema`] makes: an index whose
/// manifest records another one is rebuilt (a metadata row added, say).
pub fn fingerprint() -> String {
    let (schema, _) = build_schema(Language::Other);
    let json = serde_json::to_string(&schema).unwrap_or_default();
    blake3::hash(json.as_bytes()).to_hex()[..16].to_string()
}

/// Where an article came from, for incremental builds.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// Path of the file relative to the corpus root (`ja-jp/x.md`).
    pub source: String,
    /// Content hash of the file and the analysis version.
    pub hash: String,
}

/// Turns an article into a document and its hit-store record, analyzing the
/// body exactly once: the same tokens feed the index (pre-tokenized) and the
/// term vector. `hit_offset` appends the record and returns its offset.
pub fn to_document(
    article: &Article,
    provenance: &Provenance,
    fields: &Fields,
    analyzer: &mut TextAnalyzer,
    hit_offset: impl FnOnce(&[u8]) -> std::io::Result<u64>,
) -> std::io::Result<ArticleDocument> {
    let mut doc = ArticleDocument::new();
    doc.add_text(fields.id, &article.id);
    doc.add_text(fields.source, &provenance.source);
    doc.add_text(fields.hash, &provenance.hash);
    doc.add_text(fields.text(TextField::Title), &article.title);
    doc.add_text(fields.text(TextField::Description), &article.description);
    for keyword in &article.keywords {
        doc.add_text(fields.text(TextField::Keywords), keyword.as_str());
    }

    let mut body = String::new();
    let mut sections = Vec::with_capacity(article.sections.len());
    for section in &article.sections {
        if !section.heading.is_empty() {
            doc.add_text(fields.text(TextField::Headings), section.heading.as_str());
        }
        if !body.is_empty() {
            body.push('\n');
        }
        let start = body.len();
        section.write_text(&mut body);
        sections.push(StoredSection {
            anchor: section.anchor.clone(),
            heading: section.heading.clone(),
            level: section.level,
            start: start as u32,
            end: body.len() as u32,
        });
    }
    let tokens = analysis::analyze(analyzer, &body);
    let termvec = TermVector::encode(
        tokens
            .iter()
            .map(|t| (t.text.as_str(), t.offset_from, t.offset_to)),
    );
    let record = HitData {
        id: &article.id,
        url: &article.url,
        title: &article.title,
        description: &article.description,
        sections: &SectionTable::encode(&sections),
        termvec: &termvec,
        body: &body,
    }
    .encode();
    doc.add_u64(fields.hit, hit_offset(&record)?);
    doc.add_pre_tokenized(
        fields.text(TextField::Body),
        PreTokenizedString { text: body, tokens },
    );

    let english = article.english();
    if !english.is_empty() {
        doc.add_text(fields.text(TextField::English), english);
    }
    for (meta, value) in article.meta.values() {
        if let Some(field) = fields.meta(meta) {
            doc.add_text(field, value);
        }
    }
    Ok(doc)
}
