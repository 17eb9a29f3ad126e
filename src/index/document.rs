//! The document type kensaku hands to tantivy's `IndexWriter`.
//!
//! tantivy's own `TantivyDocument` keeps a pre-tokenized value as JSON and
//! parses it back in the writer thread, which cost a tenth of indexing time.
//! This implementation of tantivy's `Document` extension point keeps values
//! as they are and gives the writer references — and pre-tokenized values by
//! move, since tantivy's API takes them by value.

use std::sync::Mutex;

use tantivy::schema::Field;
use tantivy::schema::document::{Document, ReferenceValue, ReferenceValueLeaf, Value};
use tantivy::tokenizer::PreTokenizedString;

/// A value of one field.
#[derive(Debug)]
pub enum FieldValue {
    Str(String),
    U64(u64),
    /// Handed over on the first read; later reads see no tokens. Only for
    /// fields that are indexed and neither stored nor fast: tantivy's
    /// indexer reads those once per document, and nothing else reads them.
    PreTokenized(Mutex<Option<PreTokenizedString>>),
}

/// One article, ready for the index writer.
#[derive(Debug, Default)]
pub struct ArticleDocument {
    values: Vec<(Field, FieldValue)>,
}

impl ArticleDocument {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add_text(&mut self, field: Field, text: impl Into<String>) {
        self.values.push((field, FieldValue::Str(text.into())));
    }

    pub fn add_u64(&mut self, field: Field, value: u64) {
        self.values.push((field, FieldValue::U64(value)));
    }

    pub fn add_pre_tokenized(&mut self, field: Field, value: PreTokenizedString) {
        self.values
            .push((field, FieldValue::PreTokenized(Mutex::new(Some(value)))));
    }
}

/// A borrowed value, as tantivy reads it.
#[derive(Debug, Clone, Copy)]
pub struct FieldValueRef<'a>(&'a FieldValue);

impl<'a> Value<'a> for FieldValueRef<'a> {
    type ArrayIter = std::iter::Empty<Self>;
    type ObjectIter = std::iter::Empty<(&'a str, Self)>;

    fn as_value(&self) -> ReferenceValue<'a, Self> {
        ReferenceValue::Leaf(match self.0 {
            FieldValue::Str(text) => ReferenceValueLeaf::Str(text),
            FieldValue::U64(value) => ReferenceValueLeaf::U64(*value),
            FieldValue::PreTokenized(value) => {
                let taken = value.lock().map(|mut v| v.take()).unwrap_or_default();
                ReferenceValueLeaf::PreTokStr(Box::new(taken.unwrap_or_else(|| {
                    PreTokenizedString {
                        text: String::new(),
                        tokens: Vec::new(),
                    }
                })))
            }
        })
    }
}

/// Iterates a document's fields and borrowed values.
pub struct ValueIter<'a>(std::slice::Iter<'a, (Field, FieldValue)>);

impl<'a> Iterator for ValueIter<'a> {
    type Item = (Field, FieldValueRef<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        self.0
            .next()
            .map(|(field, value)| (*field, FieldValueRef(value)))
    }
}

impl Document for ArticleDocument {
    type Value<'a> = FieldValueRef<'a>;
    type FieldsValuesIter<'a> = ValueIter<'a>;

    fn iter_fields_and_values(&self) -> ValueIter<'_> {
        ValueIter(self.values.iter())
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::Count;
    use tantivy::query::TermQuery;
    use tantivy::schema::{IndexRecordOption, STRING, Schema, TEXT};
    use tantivy::tokenizer::Token;
    use tantivy::{Index, IndexWriter, Term};

    use super::*;

    #[test]
    fn pre_tokenized_body_is_indexed_once_by_move() {
        let mut builder = Schema::builder();
        let id = builder.add_text_field("id", STRING);
        let body = builder.add_text_field("body", TEXT);
        let index = Index::create_in_ram(builder.build());
        let mut writer: IndexWriter<ArticleDocument> =
            index.writer_with_num_threads(1, 15_000_000).unwrap();
        let mut doc = ArticleDocument::new();
        doc.add_text(id, "a.md");
        let token = |text: &str, from: usize, position: usize| Token {
            offset_from: from,
            offset_to: from + text.len(),
            position,
            text: text.to_string(),
            position_length: 1,
        };
        doc.add_pre_tokenized(
            body,
            PreTokenizedString {
                text: "請求書 invoice".into(),
                tokens: vec![
                    token("請求書", 0, 0),
                    token("請求", 0, 0),
                    token("invoice", 10, 1),
                ],
            },
        );
        writer.add_document(doc).unwrap();
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        for term in ["請求書", "請求", "invoice"] {
            let query = TermQuery::new(Term::from_field_text(body, term), IndexRecordOption::Basic);
            assert_eq!(searcher.search(&query, &Count).unwrap(), 1, "{term}");
        }
    }
}
