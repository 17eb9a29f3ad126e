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
//!
//! Collection is term-at-a-time (see [`CoverageWeight::for_each`]): each
//! posting list is walked once into dense per-document accumulators, which
//! suits docs collections (thousands to a few hundred thousand articles per
//! locale). Extra clauses (proximity) only rescore the best
//! [`CoverageQuery::rescore_depth`] documents of a segment: they lift
//! near-ties among the best, and computing phrase matches for every
//! candidate was a third of query time.

use std::fmt;

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{
    DocAddress, DocId, DocSet, Score, Searcher, SeekDangerResult, SegmentReader, TERMINATED,
};

/// Concepts per group are tracked in a `u64` bit set.
pub const MAX_CONCEPTS: usize = 64;

/// A reading of the query whose concepts have a coverage of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupId {
    /// The query's words as the locale's analyzer reads them.
    Localized,
    /// Its English reading, matched against the English originals of
    /// bilingual articles.
    English,
}

impl GroupId {
    /// How many groups a query can have.
    pub const COUNT: usize = 2;

    /// Its position in per-group arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One scoring clause and what it stands for.
pub struct Clause {
    pub query: Box<dyn Query>,
    pub kind: ClauseKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClauseKind {
    /// Evidence of concept `concept` (below [`MAX_CONCEPTS`]) of group `group`.
    Concept { group: GroupId, concept: usize },
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
    /// Each group by [`GroupId::index`]; `None` when the query has no such
    /// reading.
    pub groups: [Option<Group>; GroupId::COUNT],
    pub exponent: Score,
    /// Documents (per segment) that extra clauses rescore, best first.
    pub rescore_depth: usize,
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
            rescore_depth: self.rescore_depth,
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

impl CoverageQuery {
    /// The share (0..=1) of the query's concept weight that the document at
    /// `address` matches: `Σ_g scale_g · covered_g / Σ_g scale_g · total_g`
    /// over the groups. 1 means every weighed concept of every reading was
    /// found in it; 0 that none was, or that the query weighs nothing.
    ///
    /// One seek per concept clause in the document's segment: cheap for the
    /// handful of documents fusion asks about.
    pub fn coverage_of(&self, searcher: &Searcher, address: DocAddress) -> tantivy::Result<Score> {
        let reader = searcher.segment_reader(address.segment_ord);
        // Matching only: no BM25 statistics to gather.
        let enable_scoring = EnableScoring::disabled_from_searcher(searcher);
        let mut matched = [0u64; GroupId::COUNT];
        for clause in &self.clauses {
            let ClauseKind::Concept { group, concept } = clause.kind else {
                continue;
            };
            let group = group.index();
            if matched[group] & (1 << concept) != 0 {
                continue;
            }
            let weight = clause.query.weight(enable_scoring)?;
            let mut scorer = weight.scorer(reader, 1.0)?;
            // A scorer starts on its first document, which may be past ours.
            let mut doc = scorer.doc();
            if doc < address.doc_id {
                doc = scorer.seek(address.doc_id);
            }
            if doc == address.doc_id {
                matched[group] |= 1 << concept;
            }
        }
        let (mut covered, mut total) = (0.0, 0.0);
        for (g, group) in present(&self.groups) {
            for (c, weight) in group.concept_weights.iter().enumerate() {
                total += group.scale * weight;
                if matched[g] & (1 << c) != 0 {
                    covered += group.scale * weight;
                }
            }
        }
        Ok(if total > 0.0 {
            (covered / total).min(1.0)
        } else {
            0.0
        })
    }
}

impl Query for CoverageQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        self.weight_rescoring(enable_scoring, self.rescore_depth)
    }
}

impl CoverageQuery {
    /// The query's weight, its extra clauses rescoring the best
    /// `rescore_depth` documents per segment (the query is not copied to
    /// change its depth).
    pub fn weight_rescoring(
        &self,
        enable_scoring: EnableScoring<'_>,
        rescore_depth: usize,
    ) -> tantivy::Result<Box<dyn Weight>> {
        let clauses = self
            .clauses
            .iter()
            .map(|c| Ok((c.query.weight(enable_scoring)?, c.kind)))
            .collect::<tantivy::Result<Vec<_>>>()?;
        let totals = self.groups.each_ref().map(|g| {
            g.as_ref()
                .map_or(0.0, |g| g.concept_weights.iter().sum::<Score>())
        });
        Ok(Box::new(CoverageWeight {
            clauses,
            groups: self.groups.clone(),
            totals,
            exponent: self.exponent,
            rescore_depth,
        }))
    }
}

/// The groups that are present, with their index.
fn present(groups: &[Option<Group>; GroupId::COUNT]) -> impl Iterator<Item = (usize, &Group)> {
    groups
        .iter()
        .enumerate()
        .filter_map(|(g, group)| Some((g, group.as_ref()?)))
}

struct CoverageWeight {
    clauses: Vec<(Box<dyn Weight>, ClauseKind)>,
    groups: [Option<Group>; GroupId::COUNT],
    totals: [Score; GroupId::COUNT],
    exponent: Score,
    rescore_depth: usize,
}

/// Per-document accumulators, reused across queries on a thread.
#[derive(Default)]
struct Accumulators {
    sums: Vec<[Score; GroupId::COUNT]>,
    matched: Vec<[u64; GroupId::COUNT]>,
    /// Documents touched, to reset only those.
    touched: Vec<DocId>,
}

thread_local! {
    static ACCUMULATORS: std::cell::RefCell<Accumulators> = std::cell::RefCell::new(Accumulators::default());
}

impl CoverageWeight {
    /// Combines a document's group sums and matched concepts.
    fn combine(&self, sums: &[Score; GroupId::COUNT], matched: &[u64; GroupId::COUNT]) -> Score {
        let mut total = 0.0;
        for (g, group) in present(&self.groups) {
            if matched[g] == 0 || self.totals[g] <= 0.0 {
                continue;
            }
            let mut covered = 0.0;
            let mut bits = matched[g];
            while bits != 0 {
                let c = bits.trailing_zeros() as usize;
                covered += group.concept_weights.get(c).copied().unwrap_or(0.0);
                bits &= bits - 1;
            }
            let coverage = (covered / self.totals[g]).min(1.0);
            total += group.scale * sums[g] * coverage.powf(self.exponent);
        }
        total
    }

    /// Final scores of every matching document of the segment, in doc order.
    fn collect_scores(&self, reader: &SegmentReader) -> tantivy::Result<Vec<(DocId, Score)>> {
        ACCUMULATORS.with(|cell| {
            let mut acc = cell.borrow_mut();
            let max_doc = reader.max_doc() as usize;
            if acc.sums.len() < max_doc {
                acc.sums.resize(max_doc, [0.0; GroupId::COUNT]);
                acc.matched.resize(max_doc, [0; GroupId::COUNT]);
            }
            let Accumulators {
                sums,
                matched,
                touched,
            } = &mut *acc;
            touched.clear();
            let mut extras = Vec::new();
            for (weight, kind) in &self.clauses {
                let ClauseKind::Concept { group, concept } = *kind else {
                    extras.push(weight.as_ref());
                    continue;
                };
                let group = group.index();
                // The clause's own loop over its postings (a term clause
                // walks them without a dynamic call per document).
                weight.for_each(reader, &mut |doc, score| {
                    let d = doc as usize;
                    if matched[d] == [0; GroupId::COUNT] {
                        touched.push(doc);
                    }
                    sums[d][group] += score;
                    matched[d][group] |= 1 << concept;
                })?;
            }
            touched.sort_unstable();
            let mut scores: Vec<(DocId, Score)> = Vec::with_capacity(touched.len());
            for &doc in touched.iter() {
                let d = doc as usize;
                scores.push((doc, self.combine(&sums[d], &matched[d])));
                sums[d] = [0.0; GroupId::COUNT];
                matched[d] = [0; GroupId::COUNT];
            }
            if !extras.is_empty() && !scores.is_empty() {
                self.rescore(reader, &extras, &mut scores)?;
            }
            Ok(scores)
        })
    }

    /// Adds extra clauses' scores to the best documents.
    fn rescore(
        &self,
        reader: &SegmentReader,
        extras: &[&dyn Weight],
        scores: &mut [(DocId, Score)],
    ) -> tantivy::Result<()> {
        let mut best: Vec<usize> = (0..scores.len()).collect();
        let depth = self.rescore_depth;
        if best.len() > depth {
            best.select_nth_unstable_by(depth, |&a, &b| scores[b].1.total_cmp(&scores[a].1));
            best.truncate(depth);
        }
        best.sort_unstable();
        // Each extra is asked about the best documents only, in doc order,
        // with tantivy's `seek_danger`: a phrase is checked at the document
        // asked about, never searched for beyond it (a plain `seek` scans on
        // to the next match, reading positions all the way, possibly to the
        // end of the segment).
        for weight in extras {
            let Some(&first) = best.first() else {
                break;
            };
            let (mut found, mut scorer) = weight.scorer_danger(reader, scores[first].0, 1.0)?;
            // No document of the extra is before this one.
            let mut lower_bound = 0;
            for (n, &i) in best.iter().enumerate() {
                let doc = scores[i].0;
                if n > 0 {
                    if doc < lower_bound {
                        continue;
                    }
                    found = scorer.seek_danger(doc);
                }
                match found {
                    SeekDangerResult::Found => {
                        scores[i].1 += scorer.score();
                        lower_bound = doc + 1;
                    }
                    SeekDangerResult::SeekLowerBound(bound) => lower_bound = bound,
                }
                if lower_bound == TERMINATED {
                    break;
                }
            }
        }
        Ok(())
    }
}

impl Weight for CoverageWeight {
    /// Term-at-a-time: see the module documentation.
    fn for_each(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score),
    ) -> tantivy::Result<()> {
        for (doc, score) in self.collect_scores(reader)? {
            callback(doc, score);
        }
        Ok(())
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let mut threshold = threshold;
        for (doc, score) in self.collect_scores(reader)? {
            if score > threshold {
                threshold = callback(doc, score);
            }
        }
        Ok(())
    }

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
            totals: self.totals,
            exponent: self.exponent,
            boost,
            sums: [0.0; GroupId::COUNT],
            matched: [0; GroupId::COUNT],
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
    groups: [Option<Group>; GroupId::COUNT],
    totals: [Score; GroupId::COUNT],
    exponent: Score,
    boost: Score,
    /// Scratch space reused across documents.
    sums: [Score; GroupId::COUNT],
    matched: [u64; GroupId::COUNT],
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
                    self.sums[group.index()] += score;
                    self.matched[group.index()] |= 1 << concept;
                }
                ClauseKind::Extra => extra += score,
            }
        }
        let mut total = extra;
        for (g, group) in present(&self.groups) {
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
                        group: GroupId::Localized,
                        concept: 0,
                    },
                },
                Clause {
                    query: term("download"),
                    kind: ClauseKind::Concept {
                        group: GroupId::Localized,
                        concept: 1,
                    },
                },
            ],
            groups: [
                Some(Group {
                    scale: 1.0,
                    concept_weights: vec![1.0, 1.0],
                }),
                None,
            ],
            exponent: 2.0,
            rescore_depth: 10,
        };
        let top = searcher
            .search(&query, &TopDocs::with_limit(10).order_by_score())
            .unwrap();
        let docs: Vec<u32> = top.iter().map(|(_, a)| a.doc_id).collect();
        assert_eq!(docs, vec![1, 0], "{top:?}");
        let coverage = |doc| {
            query
                .coverage_of(&searcher, tantivy::DocAddress::new(0, doc))
                .unwrap()
        };
        assert_eq!(coverage(1), 1.0);
        assert_eq!(coverage(0), 0.5);
        assert_eq!(coverage(2), 0.0);
    }
}
