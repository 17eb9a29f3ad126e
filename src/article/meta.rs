//! Front-matter metadata: the one list of the keys kensaku keeps.
//!
//! [`META_FIELDS`] drives every layer: the front-matter reader keeps these
//! keys, the index schema adds a field per row (named [`MetaField::name`]),
//! documents carry their values, the article view shows them, and rows with
//! [`MetaField::facet`] are counted per value in search results and accepted
//! as filters (`?service=…`, `kensaku search --filter service=…`). Adding a
//! facet is one row here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How a metadata value is kept in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// Read from the front matter, not indexed (`kensaku export` shows it).
    NotIndexed,
    /// Stored for display.
    Stored,
    /// Stored, and indexed whole as a keyword with a fast column (filters,
    /// facet counts).
    Keyword,
}

/// One front-matter key kensaku keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetaField {
    /// The front-matter key (`ms.service`).
    pub key: &'static str,
    /// The name of its index field, JSON property and filter (`service`).
    pub name: &'static str,
    pub storage: Storage,
    /// Counted per value in search results and accepted as a filter.
    /// Invariant: facets are [`Storage::Keyword`] (checked by a test).
    pub facet: bool,
}

impl MetaField {
    /// Whether the article view shows this value.
    pub fn is_shown(&self) -> bool {
        self.storage != Storage::NotIndexed
    }
}

/// The metadata kensaku keeps, in display order.
pub const META_FIELDS: &[MetaField] = &[
    MetaField {
        key: "ms.date",
        name: "date",
        storage: Storage::Stored,
        facet: false,
    },
    MetaField {
        key: "ms.topic",
        name: "topic",
        storage: Storage::Keyword,
        facet: true,
    },
    MetaField {
        key: "ms.service",
        name: "service",
        storage: Storage::Keyword,
        facet: true,
    },
    MetaField {
        key: "ms.subservice",
        name: "subservice",
        storage: Storage::Keyword,
        facet: false,
    },
    MetaField {
        key: "ms.translationtype",
        name: "translation_type",
        storage: Storage::Keyword,
        facet: false,
    },
    MetaField {
        key: "ms.author",
        name: "author",
        storage: Storage::Keyword,
        facet: true,
    },
    MetaField {
        key: "ms.locfileid",
        name: "locfileid",
        storage: Storage::NotIndexed,
        facet: false,
    },
];

/// The metadata fields that are facets (and filters).
pub fn facets() -> impl Iterator<Item = &'static MetaField> {
    META_FIELDS.iter().filter(|m| m.facet)
}

/// The metadata field named `name` (`service`).
pub fn field(name: &str) -> Option<&'static MetaField> {
    META_FIELDS.iter().find(|m| m.name == name)
}

/// One article's metadata values, by [`MetaField::name`]; absent keys have
/// no entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Meta(BTreeMap<String, String>);

impl Meta {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn set(&mut self, name: &str, value: String) {
        self.0.insert(name.to_string(), value);
    }

    /// The values of [`META_FIELDS`], in table order.
    pub fn values(&self) -> impl Iterator<Item = (&'static MetaField, &str)> {
        META_FIELDS
            .iter()
            .filter_map(|m| self.get(m.name).map(|v| (m, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_consistent() {
        for (i, m) in META_FIELDS.iter().enumerate() {
            assert!(!m.facet || m.storage == Storage::Keyword, "{m:?}");
            assert!(
                META_FIELDS[..i]
                    .iter()
                    .all(|o| o.name != m.name && o.key != m.key),
                "{m:?} twice"
            );
            assert_eq!(field(m.name), Some(m));
        }
        let facets: Vec<_> = facets().map(|m| m.name).collect();
        assert!(facets.contains(&"service") && facets.contains(&"topic"));
    }
}
