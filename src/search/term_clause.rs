//! The coverage query's most common clause: one term in one field, scored
//! by BM25 and boosted.
//!
//! `BoostQuery(TermQuery)` scores the same, but for every clause of every
//! search it asks the statistics for the term's document frequency again
//! (planning has just looked it up), builds the idf's explanation (three
//! strings, cloned again when the boost is applied) and wraps the weight
//! and each scorer in a boost layer. [`TermClause`] takes the frequency
//! from planning and folds the boost into tantivy's own [`TermWeight`].
//!
//! Planning has also just found the term in each segment's dictionary: a
//! clause given those entries ([`TermClause::with_segments`]) reads its
//! postings from them instead of looking the term up again.
//!
//! Invariant: with the statistics planning used (the plan's
//! [`super::plan::TermStats`] and the same searcher), a clause scores every
//! document to the bit as `BoostQuery::new(TermQuery::new(term,
//! WithFreqs), boost)` does: the same idf, average field length and
//! `weight × boost` multiplication, in the same order.

use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::SegmentId;
use tantivy::postings::{Postings, SegmentPostings, TermInfo};
use tantivy::query::{
    Bm25Weight, EmptyScorer, EnableScoring, Explanation, Query, Scorer, TermQuery, Weight,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError, Term};

/// A term's entry in the dictionary of each segment it was looked up in
/// (`None`: the segment lacks the term). Segments are named by id, so an
/// entry is only ever read in a segment of the same id: the same files,
/// which never change (a generation cloned from another shares them).
pub type SegmentTermInfos = Arc<[(SegmentId, Option<TermInfo>)]>;

/// A term of one field with its document frequency over the searcher and
/// a boost.
#[derive(Debug, Clone)]
pub struct TermClause {
    term: Term,
    doc_freq: u64,
    boost: Score,
    segments: Option<SegmentTermInfos>,
}

impl TermClause {
    /// `doc_freq` must be the term's frequency over the searcher the
    /// clause will score with (what its statistics provider would say).
    pub fn new(term: Term, doc_freq: u64, boost: Score) -> TermClause {
        TermClause {
            term,
            doc_freq,
            boost,
            segments: None,
        }
    }

    /// The term's dictionary entries, as planning looked them up in the
    /// segments (of this very term and field: they are read unchecked); a
    /// segment not among them is looked up.
    pub(super) fn with_segments(mut self, segments: Option<SegmentTermInfos>) -> TermClause {
        self.segments = segments;
        self
    }
}

impl Query for TermClause {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let EnableScoring::Enabled {
            statistics_provider,
            ..
        } = enable_scoring
        else {
            // Matching only: tantivy's own term query.
            return TermQuery::new(self.term.clone(), IndexRecordOption::WithFreqs)
                .weight(enable_scoring);
        };
        // As `Bm25Weight::for_terms` computes them for one term; the boost
        // as `BoostWeight` then `TermWeight` apply it (`boost_by`).
        let total_num_tokens = statistics_provider.total_num_tokens(self.term.field())?;
        let total_num_docs = statistics_provider.total_num_docs()?;
        let average_fieldnorm = total_num_tokens as Score / total_num_docs as Score;
        let similarity = Bm25Weight::for_one_term_without_explain(
            self.doc_freq,
            total_num_docs,
            average_fieldnorm,
        )
        .boost_by(self.boost);
        Ok(Box::new(TermClauseWeight {
            term: self.term.clone(),
            similarity,
            segments: self.segments.clone(),
        }))
    }
}

/// [`TermClause`]'s weight: tantivy's term scorer over the boosted BM25.
struct TermClauseWeight {
    term: Term,
    similarity: Bm25Weight,
    segments: Option<SegmentTermInfos>,
}

impl TermClauseWeight {
    /// The term's scorer in `reader`; `None` when the segment lacks it.
    fn term_scorer(
        &self,
        reader: &SegmentReader,
        boost: Score,
    ) -> tantivy::Result<Option<TermClauseScorer>> {
        let field = self.term.field();
        let inverted = reader.inverted_index(field)?;
        let known = self.segments.as_deref().and_then(|segments| {
            let id = reader.segment_id();
            segments.iter().find(|(s, _)| *s == id).map(|(_, i)| i)
        });
        let looked_up;
        let info = match known {
            Some(info) => info,
            None => {
                looked_up = inverted.get_term_info(&self.term)?;
                &looked_up
            }
        };
        let Some(info) = info else {
            return Ok(None);
        };
        let postings = inverted.read_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?;
        let fieldnorms = match reader.fieldnorms_readers().get_field(field)? {
            Some(fieldnorms) => fieldnorms,
            None => FieldNormReader::constant(reader.max_doc(), 1),
        };
        Ok(Some(TermClauseScorer {
            postings,
            fieldnorms,
            similarity: self.similarity.boost_by(boost),
        }))
    }
}

impl Weight for TermClauseWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(match self.term_scorer(reader, boost)? {
            Some(scorer) => Box::new(scorer),
            None => Box::new(EmptyScorer),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let scorer = self.term_scorer(reader, 1.0)?;
        let Some(mut scorer) = scorer.filter(|s| s.doc() <= doc) else {
            return Err(does_not_match(doc));
        };
        if scorer.seek(doc) != doc {
            return Err(does_not_match(doc));
        }
        let fieldnorm_id = scorer.fieldnorms.fieldnorm_id(doc);
        let mut explanation = scorer
            .similarity
            .explain(fieldnorm_id, scorer.postings.term_freq());
        explanation.add_context(format!("Term={:?}", self.term));
        Ok(explanation)
    }

    /// The postings walked with the concrete scorer: one dynamic call per
    /// document (the callback), not three.
    fn for_each(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score),
    ) -> tantivy::Result<()> {
        if let Some(mut scorer) = self.term_scorer(reader, 1.0)? {
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                callback(doc, scorer.score());
                doc = scorer.advance();
            }
        }
        Ok(())
    }
}

/// tantivy's `TermScorer` (not public): a posting list scored by BM25 with
/// the document's field length.
struct TermClauseScorer {
    postings: SegmentPostings,
    fieldnorms: FieldNormReader,
    similarity: Bm25Weight,
}

impl DocSet for TermClauseScorer {
    #[inline]
    fn advance(&mut self) -> DocId {
        self.postings.advance()
    }

    #[inline]
    fn seek(&mut self, target: DocId) -> DocId {
        self.postings.seek(target)
    }

    #[inline]
    fn doc(&self) -> DocId {
        self.postings.doc()
    }

    fn size_hint(&self) -> u32 {
        self.postings.size_hint()
    }
}

impl Scorer for TermClauseScorer {
    #[inline]
    fn score(&mut self) -> Score {
        let fieldnorm_id = self.fieldnorms.fieldnorm_id(self.postings.doc());
        self.similarity
            .score(fieldnorm_id, self.postings.term_freq())
    }
}

fn does_not_match(doc: DocId) -> TantivyError {
    TantivyError::InvalidArgument(format!("Document #({doc}) does not match"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::BoostQuery;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{Index, IndexWriter, doc};

    /// Every document's score, bit for bit, against tantivy's own boosted
    /// term query, for several boosts.
    #[test]
    fn scores_as_a_boosted_term_query_does() {
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let texts = [
            "invoice",
            "download the invoice as a file",
            "invoice invoice invoice, the monthly invoice for a long period of billing",
            "nothing to see here",
            "a longer text about invoices and the invoice of the month, with more words",
        ];
        for (i, text) in texts.iter().enumerate() {
            writer.add_document(doc!(body => *text)).unwrap();
            if i == 2 {
                // Two segments: statistics over both.
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let term = Term::from_field_text(body, "invoice");
        let doc_freq = searcher.doc_freq(&term).unwrap();
        for boost in [1.0, 0.35, 2.5, 1.0 / 3.0] {
            let ours = TermClause::new(term.clone(), doc_freq, boost);
            let theirs = BoostQuery::new(
                Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                boost,
            );
            let top = TopDocs::with_limit(10).order_by_score();
            let a = searcher.search(&ours, &top).unwrap();
            let b = searcher.search(&theirs, &top).unwrap();
            assert_eq!(a.len(), 4);
            let bits = |v: &[(Score, tantivy::DocAddress)]| {
                v.iter().map(|(s, d)| (s.to_bits(), *d)).collect::<Vec<_>>()
            };
            assert_eq!(bits(&a), bits(&b), "boost {boost}");
            // The loop coverage scoring runs: every matching document, in
            // order, with the same scores.
            let walk = |query: &dyn Query| {
                let weight = query
                    .weight(EnableScoring::enabled_from_searcher(&searcher))
                    .unwrap();
                let mut seen = Vec::new();
                for segment in searcher.segment_readers() {
                    weight
                        .for_each(segment, &mut |doc, score| seen.push((doc, score.to_bits())))
                        .unwrap();
                }
                seen
            };
            let walked = walk(&ours);
            assert_eq!(walked.len(), 4);
            assert_eq!(walked, walk(&theirs), "boost {boost}");
            // Given planning's dictionary entries: the same, read from them.
            let entries = |term: &Term, ids: &dyn Fn(SegmentId) -> SegmentId| {
                let segments: Vec<_> = searcher
                    .segment_readers()
                    .iter()
                    .map(|r| {
                        let info = r.inverted_index(body).unwrap().get_term_info(term);
                        (ids(r.segment_id()), info.unwrap())
                    })
                    .collect();
                Some(SegmentTermInfos::from(segments))
            };
            let planned = ours.clone().with_segments(entries(&term, &|id| id));
            assert_eq!(walk(&planned), walked, "boost {boost}");
            // Entries of other segments are not read: the term is looked up.
            let foreign = entries(&Term::from_field_text(body, "the"), &|_| {
                SegmentId::generate_random()
            });
            assert_eq!(walk(&ours.clone().with_segments(foreign)), walked);
            // (They are read when the ids match: another term's entries
            // give another walk.)
            let wrong = entries(&Term::from_field_text(body, "the"), &|id| id);
            assert_ne!(walk(&ours.clone().with_segments(wrong)), walked);
        }
    }
}
