//! A query that scores by BM25 *and* by how much of the query a document covers.
//!
//! Plain disjunctions rank a document that repeats one common word above one
//! that contains every word of the question once. [`CoverageQuery`] groups
//! clauses into *concepts* (the alternatives of one query word: the word
//! itself, its compound parts, typo and prefix expansions, in every field)
//! and multiplies each group's BM25 sum by the share of the group's concept
//! weight the document matches, raised to a power. Matching thus degrades
//! gracefully: all words first, then most, then any — never nothing.
//!
//! Score of a document:
//! `Σ_groups scale_g · Σ_{clauses in g} bm25 · coverage_g^exponent + Σ extras`,
//! where `coverage_g = Σ matched concept weights / Σ concept weights of g`.

use std::fmt;

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED};

/// Concepts per group are tracked in a `u64` bit set.
pub const MAX_CONCEPTS: usize = 64;

/// One scoring clause and what it stands for.
pub struct Clause {
    pub query: Box<dyn Query>,
    pub kind: ClauseKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClauseKind {
    /// Evidence of concept `concept` of group `group`.
    Concept { group: usize, concept: usize },
    /// Added as is (proximity, exact-phrase bonuses); needs no coverage.
    Extra,
}

/// A group of concepts with its own coverage (localized words; English words).
#[derive(Debug, Clone)]
pub struct Group {
    pub scale: Score,
    /// Importance of each concept (e.g. its IDF). Concepts of weight 0 match
    /// nothing in the index and do not count against coverage.
    pub concept_weights: Vec<Score>,
}

pub struct CoverageQuery {
    pub clauses: Vec<Clause>,
    pub groups: Vec<Group>,
    pub exponent: Score,
}

impl Clone for CoverageQuery {
    fn clone(&self) -> Self {
        CoverageQuery {
            clauses: self
                .clauses
                .iter()
                .map(|c| Clause {
                    query: c.query.box_clone(),
                    kind: c.kind,
                })
                .collect(),
            groups: self.groups.clone(),
            exponent: self.exponent,
        }
    }
}

impl fmt::Debug for CoverageQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoverageQuery")
            .field("clauses", &self.clauses.len())
            .field("groups", &self.groups)
            .field("exponent", &self.exponent)
            .finish()
    }
}

impl Query for CoverageQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let clauses = self
            .clauses
            .iter()
            .map(|c| Ok((c.query.weight(enable_scoring)?, c.kind)))
            .collect::<tantivy::Result<Vec<_>>>()?;
        let totals = self
            .groups
            .iter()
            .map(|g| g.concept_weights.iter().sum::<Score>())
            .collect();
        Ok(Box::new(CoverageWeight {
            clauses,
            groups: self.groups.clone(),
            totals,
            exponent: self.exponent,
        }))
    }
}

struct CoverageWeight {
    clauses: Vec<(Box<dyn Weight>, ClauseKind)>,
    groups: Vec<Group>,
    totals: Vec<Score>,
    exponent: Score,
}

impl Weight for CoverageWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut clauses = Vec::with_capacity(self.clauses.len());
        for (weight, kind) in &self.clauses {
            let scorer = weight.scorer(reader, 1.0)?;
            if scorer.doc() != TERMINATED {
                clauses.push((scorer, *kind));
            }
        }
        let doc = clauses
            .iter()
            .map(|(s, _)| s.doc())
            .min()
            .unwrap_or(TERMINATED);
        Ok(Box::new(CoverageScorer {
            clauses,
            doc,
            groups: self.groups.clone(),
            totals: self.totals.clone(),
            exponent: self.exponent,
            boost,
            sums: vec![0.0; self.groups.len()],
            matched: vec![0; self.groups.len()],
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Ok(Explanation::new("no match", 0.0));
        }
        Ok(Explanation::new("coverage-weighted BM25", scorer.score()))
    }
}

struct CoverageScorer {
    clauses: Vec<(Box<dyn Scorer>, ClauseKind)>,
    doc: DocId,
    groups: Vec<Group>,
    totals: Vec<Score>,
    exponent: Score,
    boost: Score,
    /// Scratch space reused across documents.
    sums: Vec<Score>,
    matched: Vec<u64>,
}

impl DocSet for CoverageScorer {
    fn advance(&mut self) -> DocId {
        let current = self.doc;
        let mut next = TERMINATED;
        for (scorer, _) in &mut self.clauses {
            let mut doc = scorer.doc();
            if doc == current {
                doc = scorer.advance();
            }
            next = next.min(doc);
        }
        self.doc = next;
        next
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        let mut next = TERMINATED;
        for (scorer, _) in &mut self.clauses {
            let mut doc = scorer.doc();
            if doc < target {
                doc = scorer.seek(target);
            }
            next = next.min(doc);
        }
        self.doc = next;
        next
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.clauses
            .iter()
            .map(|(s, _)| s.size_hint())
            .max()
            .unwrap_or(0)
    }
}

impl Scorer for CoverageScorer {
    fn score(&mut self) -> Score {
        let doc = self.doc;
        self.sums.iter_mut().for_each(|s| *s = 0.0);
        self.matched.iter_mut().for_each(|m| *m = 0);
        let mut extra = 0.0;
        for (scorer, kind) in &mut self.clauses {
            if scorer.doc() != doc {
                continue;
            }
            let score = scorer.score();
            match *kind {
                ClauseKind::Concept { group, concept } => {
                    self.sums[group] += score;
                    self.matched[group] |= 1 << concept;
                }
                ClauseKind::Extra => extra += score,
            }
        }
        let mut total = extra;
        for (g, group) in self.groups.iter().enumerate() {
            if self.matched[g] == 0 || self.totals[g] <= 0.0 {
                continue;
            }
            let covered: Score = group
                .concept_weights
                .iter()
                .enumerate()
                .filter(|(c, _)| self.matched[g] & (1 << c) != 0)
                .map(|(_, w)| w)
                .sum();
            let coverage = (covered / self.totals[g]).min(1.0);
            total += group.scale * self.sums[g] * coverage.powf(self.exponent);
        }
        total * self.boost
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::TermQuery;
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{Index, Term, doc};

    #[test]
    fn covering_every_concept_beats_repeating_one() {
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer: tantivy::IndexWriter =
            index.writer_with_num_threads(1, 15_000_000).unwrap();
        // Doc 0 repeats "invoice"; doc 1 has both words once; doc 2 neither.
        writer
            .add_document(doc!(body => "invoice invoice invoice invoice"))
            .unwrap();
        writer
            .add_document(doc!(body => "download the invoice"))
            .unwrap();
        writer.add_document(doc!(body => "unrelated text")).unwrap();
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let term = |t: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(body, t),
                IndexRecordOption::WithFreqs,
            ))
        };
        let query = CoverageQuery {
            clauses: vec![
                Clause {
                    query: term("invoice"),
                    kind: ClauseKind::Concept {
                        group: 0,
                        concept: 0,
                    },
                },
                Clause {
                    query: term("download"),
                    kind: ClauseKind::Concept {
                        group: 0,
                        concept: 1,
                    },
                },
            ],
            groups: vec![Group {
                scale: 1.0,
                concept_weights: vec![1.0, 1.0],
            }],
            exponent: 2.0,
        };
        let top = searcher
            .search(&query, &TopDocs::with_limit(10).order_by_score())
            .unwrap();
        let docs: Vec<u32> = top.iter().map(|(_, a)| a.doc_id).collect();
        assert_eq!(docs, vec![1, 0], "{top:?}");
    }
}
