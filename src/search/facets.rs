//! Counting matches per value of each facet ([`meta::facets`]).
//!
//! Each document's values are read once per generation into a
//! [`FacetTable`] (term ordinals, flat): counting a search's matches reads
//! an array per document instead of the fast column's optional index and
//! bit-packed values.

use std::collections::BTreeMap;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, Searcher, SegmentOrdinal, SegmentReader, TantivyError};

use crate::article::meta::{self, MetaField};
use crate::index::schema;

use super::types::Facets;

/// Every facet's values per document, for each segment of a generation
/// (by segment ordinal).
pub struct FacetTable {
    segments: Vec<Arc<SegmentFacets>>,
}

/// A segment's facets, in [`meta::facets`] order.
pub struct SegmentFacets {
    /// The segment read (a search's segment must be this one).
    segment_id: SegmentId,
    facets: Vec<FacetOrds>,
}

/// One facet's values in a segment: document `d`'s term ordinals are
/// `ords[starts[d]..starts[d + 1]]`, in the column's order.
struct FacetOrds {
    field: &'static MetaField,
    /// The column, for its dictionary (ordinals to values).
    column: StrColumn,
    starts: Vec<u32>,
    ords: Vec<u32>,
}

impl FacetTable {
    /// Reads every segment's facet columns.
    pub fn read(searcher: &Searcher) -> tantivy::Result<FacetTable> {
        let segments = searcher
            .segment_readers()
            .iter()
            .map(|segment| SegmentFacets::read(segment).map(Arc::new))
            .collect::<tantivy::Result<_>>()?;
        Ok(FacetTable { segments })
    }
}

impl SegmentFacets {
    fn read(segment: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let facets = meta::facets()
            .map(|field| {
                let column = schema::meta_column(segment, field)?;
                let too_many = || {
                    TantivyError::InternalError(format!(
                        "facet {}: more than 2^32 values in a segment",
                        field.name
                    ))
                };
                let mut starts = Vec::with_capacity(segment.max_doc() as usize + 1);
                let mut ords = Vec::new();
                for doc in 0..segment.max_doc() {
                    starts.push(u32::try_from(ords.len()).map_err(|_| too_many())?);
                    for ord in column.term_ords(doc) {
                        ords.push(u32::try_from(ord).map_err(|_| too_many())?);
                    }
                }
                starts.push(u32::try_from(ords.len()).map_err(|_| too_many())?);
                ords.shrink_to_fit();
                Ok(FacetOrds {
                    field,
                    column,
                    starts,
                    ords,
                })
            })
            .collect::<tantivy::Result<_>>()?;
        Ok(SegmentFacets {
            segment_id: segment.segment_id(),
            facets,
        })
    }
}

impl FacetOrds {
    fn of(&self, doc: DocId) -> &[u32] {
        let doc = doc as usize;
        match (self.starts.get(doc), self.starts.get(doc + 1)) {
            (Some(&start), Some(&end)) => &self.ords[start as usize..end as usize],
            _ => &[],
        }
    }
}

/// Counts matching documents per value of every facet.
pub struct FacetCounter<'a> {
    table: &'a FacetTable,
}

impl<'a> FacetCounter<'a> {
    pub fn new(table: &'a FacetTable) -> Self {
        FacetCounter { table }
    }
}

pub struct SegmentFacetCounter {
    segment: Arc<SegmentFacets>,
    /// Per facet, a count per term ordinal.
    counts: Vec<Vec<u64>>,
}

impl Collector for FacetCounter<'_> {
    type Fruit = Facets;
    type Child = SegmentFacetCounter;

    fn for_segment(
        &self,
        ord: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentFacetCounter> {
        // The table was read from the same never-reloaded reader: its
        // segments are the searcher's, in its order (checked, not assumed).
        let segment = self
            .table
            .segments
            .get(ord as usize)
            .filter(|s| s.segment_id == reader.segment_id())
            .cloned()
            .ok_or_else(|| {
                TantivyError::InternalError(format!(
                    "the facet table has no segment {} at {ord}",
                    reader.segment_id().short_uuid_string()
                ))
            })?;
        let counts = segment
            .facets
            .iter()
            .map(|f| vec![0; f.column.num_terms()])
            .collect();
        Ok(SegmentFacetCounter { segment, counts })
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
        for (facet, counts) in self.segment.facets.iter().zip(&mut self.counts) {
            for &ord in facet.of(doc) {
                if let Some(count) = counts.get_mut(ord as usize) {
                    *count += 1;
                }
            }
        }
    }

    fn harvest(self) -> Facets {
        let mut facets = Facets::default();
        for (facet, counts) in self.segment.facets.iter().zip(self.counts) {
            // The counted values' ordinals, ascending: their strings are read
            // in one pass over the dictionary (looking each up alone seeks
            // its block and decodes it from the start, once per value).
            let ords: Vec<u64> = (0u64..)
                .zip(&counts)
                .filter(|&(_, &count)| count > 0)
                .map(|(ord, _)| ord)
                .collect();
            let mut counted = ords.iter().map(|&ord| counts[ord as usize]);
            let mut values = BTreeMap::new();
            // An unreadable dictionary block costs the values from it on
            // (those read are right), not the search.
            let _unreadable = facet
                .column
                .dictionary()
                .sorted_ords_to_term_cb(&ords, |term| {
                    let count = counted.next().unwrap_or(0);
                    if let Ok(value) = std::str::from_utf8(term) {
                        values.insert(value.to_string(), count);
                    }
                });
            facets.0.insert(facet.field.name.to_string(), values);
        }
        facets
    }
}
