//! The document type kensaku hands to tantivy's `IndexWriter`.
//!
//! tantivy's own `TantivyDocument` keeps a pre-tokenized value as JSON and
//! parses it back in the writer thread, which cost a tenth of indexing time.
//! This implementation of tantivy's `Document` extension point keeps values
//! as they are and gives the writer references.

use tantivy::schema::Field;
use tantivy::schema::document::{Document, ReferenceValue, ReferenceValueLeaf, Value};
use tantivy::tokenizer::PreTokenizedString;

/// A value of one field.
#[derive(Debug, Clone)]
pub enum FieldValue {
    Str(String),
    U64(u64),
    Bytes(Vec<u8>),
    PreTokenized(PreTokenizedString),
}

/// One article, ready for the index writer.
#[derive(Debug, Clone, Default)]
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

    pub fn add_bytes(&mut self, field: Field, bytes: Vec<u8>) {
        self.values.push((field, FieldValue::Bytes(bytes)));
    }

    pub fn add_pre_tokenized(&mut self, field: Field, value: PreTokenizedString) {
        self.values.push((field, FieldValue::PreTokenized(value)));
    }

    /// Values of `field`, in insertion order.
    pub fn get(&self, field: Field) -> impl Iterator<Item = &FieldValue> {
        self.values
            .iter()
            .filter(move |(f, _)| *f == field)
            .map(|(_, v)| v)
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
            FieldValue::Bytes(bytes) => ReferenceValueLeaf::Bytes(bytes),
            // tantivy's API takes the tokens by value.
            FieldValue::PreTokenized(value) => {
                ReferenceValueLeaf::PreTokStr(Box::new(value.clone()))
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
