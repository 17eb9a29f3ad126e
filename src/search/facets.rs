//! Counting matches per value of each facet ([`meta::facets`]).

use std::collections::BTreeMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::article::meta::{self, MetaField};
use crate::index::schema;

use super::types::Facets;

/// Counts matching documents per value of every facet's fast column.
pub struct FacetCounter;

/// One facet's column in a segment, and a count per term ordinal.
struct FacetColumn {
    field: &'static MetaField,
    column: StrColumn,
    counts: Vec<u64>,
}

pub struct SegmentFacetCounter {
    facets: Vec<FacetColumn>,
}

impl Collector for FacetCounter {
    type Fruit = Facets;
    type Child = SegmentFacetCounter;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentFacetCounter> {
        let facets = meta::facets()
            .map(|field| {
                let column = schema::meta_column(segment, field)?;
                let counts = vec![0; column.num_terms()];
                Ok(FacetColumn {
                    field,
                    column,
                    counts,
                })
            })
            .collect::<tantivy::Result<_>>()?;
        Ok(SegmentFacetCounter { facets })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Facets>) -> tantivy::Result<Facets> {
        let mut merged = Facets::default();
        for fruit in fruits {
            merged.merge(fruit);
        }
        Ok(merged)
    }
}

impl SegmentCollector for SegmentFacetCounter {
    type Fruit = Facets;

    fn collect(&mut self, doc: DocId, _score: Score) {
        for facet in &mut self.facets {
            for ord in facet.column.term_ords(doc) {
                if let Some(count) = facet.counts.get_mut(ord as usize) {
                    *count += 1;
                }
            }
        }
    }

    fn harvest(self) -> Facets {
        let mut facets = Facets::default();
        for facet in self.facets {
            // The counted values' ordinals, ascending: their strings are read
            // in one pass over the dictionary (looking each up alone seeks
            // its block and decodes it from the start, once per value).
            let ords: Vec<u64> = (0u64..)
                .zip(&facet.counts)
                .filter(|&(_, &count)| count > 0)
                .map(|(ord, _)| ord)
                .collect();
            let mut counts = ords.iter().map(|&ord| facet.counts[ord as usize]);
            let mut values = BTreeMap::new();
            let read = facet
                .column
                .dictionary()
                .sorted_ords_to_term_cb(&ords, |term| {
                    let count = counts.next().unwrap_or(0);
                    if let Ok(value) = std::str::from_utf8(term) {
                        values.insert(value.to_string(), count);
                    }
                });
            if read.is_err() {
                // An unreadable dictionary costs its facet's counts, not the search.
                values.clear();
            }
            facets.0.insert(facet.field.name.to_string(), values);
        }
        facets
    }
}
