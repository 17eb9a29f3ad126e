//! The schema of a locale's index and the mapping article → document.

use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{PreTokenizedString, TextAnalyzer};

use crate::analysis;
use crate::article::Article;
use crate::locale::Language;

use super::document::ArticleDocument;
use super::hitstore::HitData;
use super::stored::{SectionTable, StoredSection, TermVector};

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
    pub title: Field,
    pub description: Field,
    pub keywords: Field,
    pub headings: Field,
    pub body: Field,
    pub english: Field,
    pub date: Field,
    pub topic: Field,
    pub service: Field,
    pub subservice: Field,
    pub translation_type: Field,
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
}

impl Fields {
    pub fn text(&self, field: TextField) -> Field {
        match field {
            TextField::Title => self.title,
            TextField::Headings => self.headings,
            TextField::Description => self.description,
            TextField::Keywords => self.keywords,
            TextField::Body => self.body,
            TextField::English => self.english,
        }
    }

    /// Looks the fields up by name in an existing schema.
    pub fn from_schema(schema: &Schema) -> tantivy::Result<Fields> {
        let f = |name: &str| schema.get_field(name);
        Ok(Fields {
            id: f("id")?,
            source: f("source")?,
            hash: f("hash")?,
            hit: f("hit")?,
            title: f("title")?,
            description: f("description")?,
            keywords: f("keywords")?,
            headings: f("headings")?,
            body: f("body")?,
            english: f("english")?,
            date: f("date")?,
            topic: f("topic")?,
            service: f("service")?,
            subservice: f("subservice")?,
            translation_type: f("translation_type")?,
        })
    }
}

/// Builds the schema of an index for `language`.
pub fn build_schema(language: Language) -> (Schema, Fields) {
    let localized = analysis::analyzer_name(language);
    let english = analysis::analyzer_name(Language::En);
    // Positions only where proximity is scored (title, body): recording
    // them elsewhere costs indexing time and space for nothing.
    let text = |analyzer: &str, positions: bool| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(if positions {
                    IndexRecordOption::WithFreqsAndPositions
                } else {
                    IndexRecordOption::WithFreqs
                }),
        )
    };
    let mut builder = Schema::builder();
    let fields = Fields {
        id: builder.add_text_field("id", STRING | FAST),
        source: builder.add_text_field("source", STRING | FAST),
        hash: builder.add_text_field("hash", STRING | FAST),
        hit: builder.add_u64_field("hit", FAST),
        title: builder.add_text_field("title", text(localized, true)),
        description: builder.add_text_field("description", text(localized, false)),
        keywords: builder.add_text_field("keywords", text(localized, false)),
        headings: builder.add_text_field("headings", text(localized, false)),
        body: builder.add_text_field("body", text(localized, true)),
        english: builder.add_text_field("english", text(english, false)),
        date: builder.add_text_field("date", STORED),
        topic: builder.add_text_field("topic", STRING | STORED | FAST),
        service: builder.add_text_field("service", STRING | STORED | FAST),
        subservice: builder.add_text_field("subservice", STRING | STORED | FAST),
        translation_type: builder.add_text_field("translation_type", STRING | STORED | FAST),
    };
    (builder.build(), fields)
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
    doc.add_text(fields.title, &article.title);
    doc.add_text(fields.description, &article.description);
    for keyword in &article.keywords {
        doc.add_text(fields.keywords, keyword.as_str());
    }

    let mut body = String::new();
    let mut sections = Vec::with_capacity(article.sections.len());
    for section in &article.sections {
        if !section.heading.is_empty() {
            doc.add_text(fields.headings, section.heading.as_str());
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
    doc.add_pre_tokenized(fields.body, PreTokenizedString { text: body, tokens });

    let english = article.english();
    if !english.is_empty() {
        doc.add_text(fields.english, english);
    }
    let meta = &article.meta;
    let optional = [
        (fields.date, &meta.date),
        (fields.topic, &meta.topic),
        (fields.service, &meta.service),
        (fields.subservice, &meta.subservice),
        (fields.translation_type, &meta.translation_type),
    ];
    for (field, value) in optional {
        if let Some(value) = value {
            doc.add_text(field, value.as_str());
        }
    }
    Ok(doc)
}
