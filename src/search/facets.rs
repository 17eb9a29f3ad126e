//! Counting matches per `ms.service` and `ms.topic` value.

use std::collections::BTreeMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::types::Facets;

/// Counts matching documents per value of the `service` and `topic` fast fields.
pub struct FacetCounter;

pub struct SegmentFacetCounter {
    columns: [Option<StrColumn>; 2],
    counts: [Vec<u64>; 2],
}

impl Collector for FacetCounter {
    type Fruit = Facets;
    type Child = SegmentFacetCounter;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentFacetCounter> {
        let fast = segment.fast_fields();
        let columns = [fast.str("service")?, fast.str("topic")?];
        let counts = [0, 1].map(|i| {
            columns[i]
                .as_ref()
                .map_or_else(Vec::new, |c| vec![0; c.num_terms()])
        });
        Ok(SegmentFacetCounter { columns, counts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Facets>) -> tantivy::Result<Facets> {
        let mut merged = Facets::default();
        for fruit in fruits {
            merge_into(&mut merged, fruit);
        }
        Ok(merged)
    }
}

/// Adds the counts of `other` to `into`.
pub fn merge_into(into: &mut Facets, other: Facets) {
    for (value, n) in other.service {
        *into.service.entry(value).or_default() += n;
    }
    for (value, n) in other.topic {
        *into.topic.entry(value).or_default() += n;
    }
}

impl SegmentCollector for SegmentFacetCounter {
    type Fruit = Facets;

    fn collect(&mut self, doc: DocId, _score: Score) {
        for (column, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            if let Some(column) = column {
                for ord in column.term_ords(doc) {
                    if let Some(count) = counts.get_mut(ord as usize) {
                        *count += 1;
                    }
                }
            }
        }
    }

    fn harvest(self) -> Facets {
        let [service, topic] = [0, 1].map(|i| {
            let mut values = BTreeMap::new();
            if let Some(column) = &self.columns[i] {
                let mut value = String::new();
                for (ord, &count) in self.counts[i].iter().enumerate() {
                    if count > 0 && column.ord_to_str(ord as u64, &mut value).unwrap_or(false) {
                        values.insert(value.clone(), count);
                    }
                }
            }
            values
        });
        Facets { service, topic }
    }
}
