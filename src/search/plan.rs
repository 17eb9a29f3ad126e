//! From query text to a [`CoverageQuery`] for one locale index.
//!
//! The query is analyzed with the locale's analyzer (the one that built the
//! index). Tokens sharing a position become one *concept* with alternative
//! forms; each concept is weighted by its IDF. Latin and Cyrillic words that
//! the index does not know get typo-tolerant alternatives, the last word gets
//! prefix completions, and adjacent words get proximity clauses. An English
//! reading of the query searches the `english` field (the English originals
//! of bilingual articles) as a second, lower-weighted group.

use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::{TextAnalyzer, Token};
use tantivy::{Searcher, Term};

use rustc_hash::FxHashMap;

use crate::analysis;
use crate::index::schema::{Fields, TextField};
use crate::index::stored::term_hash;
use crate::language::Writing;
use crate::locale::Language;

use crate::curation::synonyms::Synonyms;

use super::analyzers::QueryAnalyzers;
use super::coverage::{Clause, ClauseKind, CoverageQuery, Group, GroupId, MAX_CONCEPTS};
use super::expand;
use super::snippet::Highlighter;
use super::term_clause::{SegmentTermInfos, TermClause};

/// Weights of the ranking function. Defaults were tuned on the dev set
/// (`kensaku eval`, see BENCHMARKS.md); `kensaku eval --ranking '{...}'`
/// overrides any of them for experiments.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ranking {
    pub title: f32,
    pub headings: f32,
    pub description: f32,
    pub keywords: f32,
    pub body: f32,
    /// Scale of the English (cross-language) group relative to the localized one.
    pub english: f32,
    /// Its scale when the query has no letter of the locale's script (an
    /// all-Latin query on a CJK index): then it is the query's only reading.
    pub english_only: f32,
    /// When the query is in a script the locale's language does not use and
    /// its own language is indexed too ([`super::route::Target::pivot`]):
    /// how much the locale's own lexical ranking counts against that of its
    /// translations in the query's language (each relative to its best).
    /// Held out, the folds chose 0: the translations' words are the better
    /// evidence, and the own ranking (the English originals, for English)
    /// only adds its documents after theirs.
    pub own_words_across_scripts: f32,
    /// How sharply partial coverage is punished.
    pub coverage_exponent: f32,
    /// Weight of a compound part or other alternative form.
    pub alternative: f32,
    pub typo_one: f32,
    pub typo_two: f32,
    pub prefix: f32,
    /// Extra weight of identifiers (`21Vianet`, `CSP`, `3.6.3`).
    pub identifier: f32,
    pub proximity_title: f32,
    pub proximity_body: f32,
    pub proximity_slop: u32,
    /// Best documents per segment whose proximity is computed.
    pub proximity_depth: usize,
    /// When locales are merged (a kanji-only query: Japanese or Chinese),
    /// a locale is searched only if it recognises at least this share of
    /// the best locale's recognition of the query.
    pub merge_threshold: f32,
    /// Weight of a curated synonym of a query word (at most the word's).
    pub synonym: f32,
    /// How semantic matches are fused with these lexical ones.
    pub fusion: super::fusion::Fusion,
}

impl Default for Ranking {
    fn default() -> Self {
        Ranking {
            title: 3.0,
            headings: 1.5,
            description: 1.5,
            keywords: 1.5,
            body: 1.0,
            english: 0.3,
            english_only: 1.0,
            own_words_across_scripts: 0.0,
            coverage_exponent: 0.75,
            alternative: 0.5,
            typo_one: 0.5,
            typo_two: 0.3,
            prefix: 0.6,
            identifier: 1.5,
            proximity_title: 1.0,
            proximity_body: 0.5,
            proximity_slop: 2,
            proximity_depth: 50,
            merge_threshold: 0.5,
            synonym: 0.8,
            fusion: super::fusion::Fusion::default(),
        }
    }
}

impl Ranking {
    fn field_weight(&self, field: TextField) -> f32 {
        match field {
            TextField::Title => self.title,
            TextField::Headings => self.headings,
            TextField::Description => self.description,
            TextField::Keywords => self.keywords,
            TextField::Body => self.body,
            TextField::English => 1.0,
        }
    }

    /// Boost of adjacent query words found near each other in `field`.
    fn proximity(&self, field: TextField) -> f32 {
        match field {
            TextField::Title => self.proximity_title,
            TextField::Body => self.proximity_body,
            _ => 0.0,
        }
    }
}

const LOCALIZED_FIELDS: [TextField; 5] = [
    TextField::Title,
    TextField::Headings,
    TextField::Description,
    TextField::Keywords,
    TextField::Body,
];

/// One query word and its alternative forms.
#[derive(Debug, Clone)]
pub struct Concept {
    pub position: usize,
    /// (term, weight relative to the main form); the main form comes first.
    pub terms: Vec<(String, f32)>,
    /// Compound forms (the parts of an unknown compound word, see
    /// [`expand::compound_parts`]) with their weight: a document has such a
    /// form only when it holds every part.
    pub compounds: Vec<(Vec<String>, f32)>,
    /// IDF-based importance; 0 when no form occurs in the index.
    pub weight: f32,
    /// Written like a product name or code (`21Vianet`, `MPN`, `3.6.3`).
    pub identifier: bool,
    /// Byte range of the concept in the query text.
    pub from: usize,
    pub to: usize,
}

/// What the search needs from planning.
pub struct Plan {
    pub query: CoverageQuery,
    /// Term hash → concept index, for highlighting in stored term vectors.
    pub highlight: Highlighter,
    pub concepts: Vec<Concept>,
    /// How well this locale knows the query's words (0..=1), see
    /// [`recognition`]. Tells the language of a query better than n-grams do
    /// on short text.
    pub recognition: f32,
    /// The document frequencies planning looked up: every term of every
    /// clause. Scoring reads them instead of walking the term dictionaries
    /// again ([`super::run`]).
    pub doc_freqs: TermStats,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.query.clauses.is_empty()
    }
}

/// Everything planning reads from a locale index.
pub struct Context<'a> {
    pub searcher: &'a Searcher,
    pub fields: &'a Fields,
    pub language: Language,
    pub ranking: &'a Ranking,
    /// The locale's curated synonyms.
    pub synonyms: Option<&'a Synonyms>,
}

/// Document frequencies of terms, by field: what a query's planning looked
/// up in one locale index, with each segment's dictionary entry (which the
/// term's clause then reads its postings from, without a second lookup).
#[derive(Debug, Clone, Default)]
pub struct TermStats {
    by_field: Vec<(Field, FxHashMap<String, Looked>)>,
}

/// One term's lookup: its document frequency over the searcher, the sum of
/// its segments' entries (kept only when it occurs: no clause reads them
/// otherwise).
#[derive(Debug, Clone)]
struct Looked {
    doc_freq: u64,
    segments: Option<SegmentTermInfos>,
}

impl TermStats {
    /// The document frequency of `term` in `field`, if it was looked up.
    pub fn get(&self, field: Field, term: &str) -> Option<u64> {
        self.looked(field, term).map(|l| l.doc_freq)
    }

    /// The dictionary entries of `term` in `field`, if it was looked up.
    fn segments(&self, field: Field, term: &str) -> Option<SegmentTermInfos> {
        self.looked(field, term).and_then(|l| l.segments.clone())
    }

    fn looked(&self, field: Field, term: &str) -> Option<&Looked> {
        let (_, terms) = self.by_field.iter().find(|(f, _)| *f == field)?;
        terms.get(term)
    }

    fn insert(&mut self, field: Field, term: &str, looked: Looked) {
        let slot = match self.by_field.iter().position(|(f, _)| *f == field) {
            Some(i) => i,
            None => {
                self.by_field.push((field, FxHashMap::default()));
                self.by_field.len() - 1
            }
        };
        self.by_field[slot].1.insert(term.to_string(), looked);
    }
}

/// Document frequencies looked up once per query: planning asks for the
/// same (field, term) several times, and each lookup walks the term
/// dictionaries of every segment.
struct DocFreqs<'a> {
    searcher: &'a Searcher,
    known: std::cell::RefCell<TermStats>,
}

impl<'a> DocFreqs<'a> {
    fn new(searcher: &'a Searcher, known: TermStats) -> Self {
        DocFreqs {
            searcher,
            known: std::cell::RefCell::new(known),
        }
    }

    /// As `Searcher::doc_freq`: the sum over the segments' dictionaries,
    /// whose entries are kept.
    fn get(&self, field: Field, term: &str) -> tantivy::Result<u64> {
        if let Some(df) = self.known.borrow().get(field, term) {
            return Ok(df);
        }
        let key = Term::from_field_text(field, term);
        let mut failed = None;
        // Collected straight into one allocation (a slice iterator's map).
        let segments: SegmentTermInfos = self
            .searcher
            .segment_readers()
            .iter()
            .map(|reader| {
                let info = reader
                    .inverted_index(field)
                    .and_then(|inverted| Ok(inverted.get_term_info(&key)?));
                // The first error is the one returned, as tantivy's own
                // lookup would.
                let info = info.unwrap_or_else(|e| {
                    failed.get_or_insert(e);
                    None
                });
                (reader.segment_id(), info)
            })
            .collect();
        if let Some(error) = failed {
            return Err(error);
        }
        let doc_freq = segments
            .iter()
            .filter_map(|(_, info)| info.as_ref())
            .map(|info| u64::from(info.doc_freq))
            .sum();
        let looked = Looked {
            doc_freq,
            segments: (doc_freq > 0).then_some(segments),
        };
        self.known.borrow_mut().insert(field, term, looked);
        Ok(doc_freq)
    }

    /// The dictionary entries of a term [`DocFreqs::get`] looked up.
    fn segments(&self, field: Field, term: &str) -> Option<SegmentTermInfos> {
        self.known.borrow().segments(field, term)
    }

    /// Whether `term` was looked up and found in one of `fields` (no lookup).
    fn is_known(&self, term: &str, fields: &[Field]) -> bool {
        let known = self.known.borrow();
        fields
            .iter()
            .any(|&field| known.get(field, term).is_some_and(|df| df > 0))
    }

    /// The largest document frequency of `term` over `fields`.
    fn max(&self, fields: &[Field], term: &str) -> tantivy::Result<u64> {
        let mut max = 0;
        for &field in fields {
            max = max.max(self.get(field, term)?);
        }
        Ok(max)
    }
}

/// A query read in one locale: its words, and its concepts weighted by the
/// forms the index knows, before unknown words are expanded (typos,
/// prefixes). Reading costs analysis and dictionary lookups; expansion walks
/// term dictionaries with automata and costs most of a plan. A reading
/// bounds the recognition of its plan ([`Reading::recognition_bounds`]), so
/// routing plans in full only the locales that can win.
pub struct Reading {
    language: Language,
    /// The query analyzed without stemming.
    words: Vec<Token>,
    concepts: Vec<Concept>,
    /// The word being typed, normalized, with its byte offset.
    typing: Option<(String, usize)>,
    /// Document frequencies looked up so far, kept for the plan.
    doc_freqs: TermStats,
    /// The fields a word must be in to be known (the body and title):
    /// an unknown word gets typo forms.
    known_in: [Field; 2],
    /// Whether the plan expands unknown words (see [`Reading::foreign`]).
    expands: bool,
}

impl Reading {
    /// This reading, for a query whose words are foreign to the locale (no
    /// letter in its scripts) and are also matched in their own language's
    /// locale, which expands them: here their typo neighbours and
    /// completions would only be noise, and finding them costs most of the
    /// plan.
    pub fn foreign(mut self) -> Reading {
        self.expands = false;
        self
    }

    /// The least and most [`Plan::recognition`] of this reading's plan:
    /// expansion can only make an unknown word known, and only a word it
    /// applies to.
    pub fn recognition_bounds(&self) -> (f32, f32) {
        let least = recognition(&self.words, &self.concepts, self.language);
        let expandable: Vec<Concept> = self
            .concepts
            .iter()
            .map(|c| Concept {
                weight: if c.weight > 0.0 || self.may_expand(c) {
                    1.0
                } else {
                    0.0
                },
                ..c.clone()
            })
            .collect();
        (least, recognition(&self.words, &expandable, self.language))
    }

    /// Whether [`plan_reading`] may add forms to `concept`: typo
    /// alternatives for an unknown expandable word, completions for the
    /// word being typed.
    fn may_expand(&self, concept: &Concept) -> bool {
        if !self.expands {
            return false;
        }
        let main = &concept.terms[0].0;
        let typo = !self.is_known(main)
            && expand::is_expandable(main)
            && expand::typo_distance(main.chars().count()) > 0;
        typo || self.completes(concept)
    }

    /// Whether `term` occurs in the body or title (looked up while reading).
    fn is_known(&self, term: &str) -> bool {
        self.known_in
            .iter()
            .any(|&field| self.doc_freqs.get(field, term).is_some_and(|df| df > 0))
    }

    /// Whether `concept` covers the word being typed, which gets completions.
    fn completes(&self, concept: &Concept) -> bool {
        self.typing.as_ref().is_some_and(|(word, from)| {
            concept.to > *from && word.chars().count() >= 3 && expand::is_expandable(word)
        })
    }
}

/// Reads `text` in one locale index (see [`Reading`]): the query's concepts
/// in the locale's analysis with curated synonyms, IDF weights and the
/// identifier bonus, unknown words not yet expanded.
pub fn read(
    text: &str,
    ctx: &Context<'_>,
    analyzers: &mut QueryAnalyzers,
) -> tantivy::Result<Reading> {
    let dfs = DocFreqs::new(ctx.searcher, TermStats::default());
    let words = analysis::analyze(&mut analyzers.plain, text);
    let ranking = ctx.ranking;
    let num_docs = collection_size(ctx.searcher);
    let mut concepts = group_concepts(
        &analysis::analyze(&mut analyzers.localized, text),
        ranking.alternative,
    );
    concepts.truncate(MAX_CONCEPTS);
    if let Some(synonyms) = ctx.synonyms {
        add_synonyms(&mut concepts, synonyms, ranking.synonym);
    }
    for concept in &mut concepts {
        // Weighing looks up every form in the body and title, which
        // `Reading::is_known` then reads.
        concept.identifier = looks_like_identifier(&text[concept.from..concept.to]);
        concept.weight = weight(&dfs, ctx, concept, num_docs)?;
    }
    let typing = !text.ends_with(|c: char| c.is_whitespace() || c.is_ascii_punctuation());
    Ok(Reading {
        language: ctx.language,
        typing: if typing {
            last_word(text, &words)
        } else {
            None
        },
        words,
        concepts,
        doc_freqs: dfs.known.into_inner(),
        known_in: body_and_title(ctx),
        expands: true,
    })
}

/// The plan of a [`Reading`] of `text` (from [`read`] with the same
/// context): unknown words expanded, then the clauses.
pub fn plan_reading(
    mut reading: Reading,
    text: &str,
    ctx: &Context<'_>,
    analyzers: &mut QueryAnalyzers,
) -> tantivy::Result<Plan> {
    let dfs = DocFreqs::new(ctx.searcher, std::mem::take(&mut reading.doc_freqs));
    let concepts = expanded_concepts(&mut reading, text, ctx, &dfs, &mut analyzers.localized)?;
    let mut clauses = Vec::new();
    let highlight = concept_clauses(&concepts, ctx, &dfs, &mut clauses)?;
    let localized = Group {
        scale: 1.0,
        concept_weights: concepts.iter().map(|c| c.weight).collect(),
    };
    proximity_clauses(&concepts, ctx, &dfs, &mut clauses)?;
    let english = english_group(text, ctx, &dfs, &mut analyzers.english, &mut clauses)?;
    let groups = [Some(localized), english];
    Ok(Plan {
        query: CoverageQuery {
            clauses,
            groups,
            exponent: ctx.ranking.coverage_exponent,
            rescore_depth: ctx.ranking.proximity_depth,
        },
        highlight,
        recognition: recognition(&reading.words, &concepts, ctx.language),
        concepts,
        doc_freqs: dfs.known.into_inner(),
    })
}

fn body_and_title(ctx: &Context<'_>) -> [Field; 2] {
    [
        ctx.fields.text(TextField::Body),
        ctx.fields.text(TextField::Title),
    ]
}

/// The localized fields besides the body and title.
fn other_localized_fields(ctx: &Context<'_>) -> [Field; 3] {
    [
        ctx.fields.text(TextField::Headings),
        ctx.fields.text(TextField::Description),
        ctx.fields.text(TextField::Keywords),
    ]
}

/// A concept's weight: its IDF in the body and title, times the identifier
/// bonus. A word no body or title holds weighs its IDF in the other fields
/// that can match it (headings, description, keywords): a word an article
/// holds always scores it.
fn weight(
    dfs: &DocFreqs<'_>,
    ctx: &Context<'_>,
    concept: &Concept,
    num_docs: u64,
) -> tantivy::Result<f32> {
    let mut idf = concept_weight(dfs, &body_and_title(ctx), concept, num_docs)?;
    if idf == 0.0 {
        idf = concept_weight(dfs, &other_localized_fields(ctx), concept, num_docs)?;
    }
    Ok(if concept.identifier {
        idf * ctx.ranking.identifier
    } else {
        idf
    })
}

/// The reading's concepts with typo alternatives and compound parts for
/// unknown words and prefix completions of the word being typed,
/// reweighted.
fn expanded_concepts(
    reading: &mut Reading,
    text: &str,
    ctx: &Context<'_>,
    dfs: &DocFreqs<'_>,
    localized: &mut TextAnalyzer,
) -> tantivy::Result<Vec<Concept>> {
    let ranking = ctx.ranking;
    let num_docs = collection_size(ctx.searcher);
    let body_title = body_and_title(ctx);
    let mut concepts = std::mem::take(&mut reading.concepts);
    if !reading.expands {
        return Ok(concepts);
    }
    let mut compounds_cut = 0;
    for concept in &mut concepts {
        let before = concept.terms.len();
        let main = concept.terms[0].0.clone();
        if !dfs.is_known(&main, &reading.known_in) && expand::is_expandable(&main) {
            let distance = expand::typo_distance(main.chars().count());
            if distance > 0 {
                let weight = if distance == 1 {
                    ranking.typo_one
                } else {
                    ranking.typo_two
                };
                for (term, _) in expand::fuzzy(ctx.searcher, &body_title, &main, distance)? {
                    concept.terms.push((term, weight));
                }
            }
            if let Some(links) = ctx.language.spec().compound_links
                && compounds_cut < expand::MAX_COMPOUND_WORDS
            {
                compounds_cut += 1;
                let surface = text[concept.from..concept.to].to_lowercase();
                let mut term_of = |piece: &str| known_term(piece, localized, ctx, &body_title);
                if let Some(parts) = expand::compound_parts(&surface, links, &mut term_of)? {
                    concept.compounds.push((parts, ranking.alternative));
                }
            }
        }
        if reading.completes(concept)
            && let Some((word, _)) = &reading.typing
        {
            for (term, _) in expand::prefix(ctx.searcher, &body_title, word)? {
                if !concept.terms.iter().any(|(t, _)| *t == term) {
                    concept.terms.push((term, ranking.prefix));
                }
            }
        }
        if concept.terms.len() > before || !concept.compounds.is_empty() {
            concept.weight = weight(dfs, ctx, concept, num_docs)?;
        }
    }
    Ok(concepts)
}

/// The indexed term of `piece` (one word, analyzed as the locale's text is)
/// when the body or title holds it. Looked up in the index directly, not
/// through [`DocFreqs`]: a cut asks for hundreds of pieces that are not
/// query terms, and that cache is a list.
fn known_term(
    piece: &str,
    localized: &mut TextAnalyzer,
    ctx: &Context<'_>,
    body_title: &[Field],
) -> tantivy::Result<Option<String>> {
    let mut tokens = analysis::analyze(localized, piece);
    if tokens.len() != 1 {
        return Ok(None);
    }
    let term = tokens.remove(0).text;
    for &field in body_title {
        if ctx
            .searcher
            .doc_freq(&Term::from_field_text(field, &term))?
            > 0
        {
            return Ok(Some(term));
        }
    }
    Ok(None)
}

/// Where a synonym rule's words occur in the query, its other side's words
/// become alternatives of those concepts: word for word when both sides
/// have as many words, else every word of the other side for each.
fn add_synonyms(concepts: &mut [Concept], synonyms: &Synonyms, weight: f32) {
    let words: Vec<String> = concepts.iter().map(|c| c.terms[0].0.clone()).collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let found: Vec<(usize, usize, Vec<String>)> = synonyms
        .matches(&words)
        .map(|(first, n, tokens)| (first, n, tokens.to_vec()))
        .collect();
    for (first, n, tokens) in found {
        for (k, concept) in concepts[first..first + n].iter_mut().enumerate() {
            let alternatives: &[String] = if tokens.len() == n {
                &tokens[k..k + 1]
            } else {
                &tokens
            };
            for token in alternatives {
                if !concept.terms.iter().any(|(t, _)| t == token) {
                    concept.terms.push((token.clone(), weight));
                }
            }
        }
    }
}

/// One clause per (concept form, localized field) that occurs in the
/// index; returns the forms' hashes for highlighting.
fn concept_clauses(
    concepts: &[Concept],
    ctx: &Context<'_>,
    dfs: &DocFreqs<'_>,
    clauses: &mut Vec<Clause>,
) -> tantivy::Result<Highlighter> {
    let ranking = ctx.ranking;
    let mut highlight = Vec::new();
    for (c, concept) in concepts.iter().enumerate() {
        let identifier = if concept.identifier {
            ranking.identifier
        } else {
            1.0
        };
        for (term, term_weight) in &concept.terms {
            highlight.push((term_hash(term), c));
            for field in LOCALIZED_FIELDS {
                let boost = ranking.field_weight(field) * term_weight * identifier;
                let field = ctx.fields.text(field);
                push_term_clause(clauses, dfs, field, term, boost, GroupId::Localized, c)?;
            }
        }
        for (parts, form_weight) in &concept.compounds {
            highlight.extend(parts.iter().map(|part| (term_hash(part), c)));
            for field in LOCALIZED_FIELDS {
                let boost = ranking.field_weight(field) * form_weight * identifier;
                push_conjunction_clause(clauses, dfs, ctx.fields.text(field), parts, boost, c)?;
            }
        }
    }
    Ok(Highlighter::new(highlight))
}

/// Proximity of adjacent words, in the fields that record positions.
///
/// No phrase is made in a field where one of its words does not occur: it
/// would match nothing, and making its weight and scorer costs lookups.
fn proximity_clauses(
    concepts: &[Concept],
    ctx: &Context<'_>,
    dfs: &DocFreqs<'_>,
    clauses: &mut Vec<Clause>,
) -> tantivy::Result<()> {
    let ranking = ctx.ranking;
    for pair in concepts.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.weight <= 0.0 || b.weight <= 0.0 || a.terms[0].0 == b.terms[0].0 {
            continue;
        }
        let gap = b.position.saturating_sub(a.position).max(1);
        for (text_field, field) in ctx.fields.positioned() {
            if dfs.get(field, &a.terms[0].0)? == 0 || dfs.get(field, &b.terms[0].0)? == 0 {
                continue;
            }
            let phrase = PhraseQuery::new_with_offset_and_slop(
                vec![
                    (0, Term::from_field_text(field, &a.terms[0].0)),
                    (gap, Term::from_field_text(field, &b.terms[0].0)),
                ],
                ranking.proximity_slop,
            );
            clauses.push(Clause {
                query: Box::new(BoostQuery::new(
                    Box::new(phrase),
                    ranking.proximity(text_field),
                )),
                kind: ClauseKind::Extra,
            });
        }
    }
    Ok(())
}

/// The English group: cross-language matches through the English originals
/// of bilingual articles, for queries with Latin letters on non-English
/// locales.
fn english_group(
    text: &str,
    ctx: &Context<'_>,
    dfs: &DocFreqs<'_>,
    english: &mut TextAnalyzer,
    clauses: &mut Vec<Clause>,
) -> tantivy::Result<Option<Group>> {
    if ctx.language == Language::ORIGINALS || !text.chars().any(|c| c.is_ascii_alphabetic()) {
        return Ok(None);
    }
    let ranking = ctx.ranking;
    let num_docs = collection_size(ctx.searcher);
    let field = ctx.fields.text(TextField::English);
    let mut concepts = group_concepts(&analysis::analyze(english, text), ranking.alternative);
    concepts.truncate(MAX_CONCEPTS);
    for (c, concept) in concepts.iter_mut().enumerate() {
        concept.weight = concept_weight(dfs, &[field], concept, num_docs)?;
        for (term, term_weight) in &concept.terms {
            push_term_clause(clauses, dfs, field, term, *term_weight, GroupId::English, c)?;
        }
    }
    // On a dictionary-segmented locale (Japanese, Korean, Chinese), a query
    // with no letter of the language's own writing is all English: then the
    // English reading is the query's only one, at full weight.
    let spec = ctx.language.spec();
    let native_letters = text
        .chars()
        .any(|c| c.is_alphabetic() && Writing::of(c).is_some_and(|w| spec.writing.contains(&w)));
    let scale = if spec.segmentation.is_dictionary() && !native_letters {
        ranking.english_only
    } else {
        ranking.english
    };
    Ok(Some(Group {
        scale,
        concept_weights: concepts.iter().map(|c| c.weight).collect(),
    }))
}

/// Adds a term clause unless the term does not occur in the field.
fn push_term_clause(
    clauses: &mut Vec<Clause>,
    dfs: &DocFreqs<'_>,
    field: Field,
    term: &str,
    boost: f32,
    group: GroupId,
    concept: usize,
) -> tantivy::Result<()> {
    let doc_freq = dfs.get(field, term)?;
    if doc_freq == 0 {
        return Ok(());
    }
    let segments = dfs.segments(field, term);
    let term = Term::from_field_text(field, term);
    clauses.push(Clause {
        query: Box::new(TermClause::new(term, doc_freq, boost).with_segments(segments)),
        kind: ClauseKind::Concept { group, concept },
    });
    Ok(())
}

/// A clause of concept `concept` (localized group) matching the documents
/// whose `field` holds every one of `terms` (a compound's parts), scored as
/// the sum of their BM25; none when a term is not in the field.
fn push_conjunction_clause(
    clauses: &mut Vec<Clause>,
    dfs: &DocFreqs<'_>,
    field: Field,
    terms: &[String],
    boost: f32,
    concept: usize,
) -> tantivy::Result<()> {
    let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(terms.len());
    for term in terms {
        if dfs.get(field, term)? == 0 {
            return Ok(());
        }
        let term = Term::from_field_text(field, term);
        must.push((
            Occur::Must,
            Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
        ));
    }
    clauses.push(Clause {
        query: Box::new(BoostQuery::new(Box::new(BooleanQuery::new(must)), boost)),
        kind: ClauseKind::Concept {
            group: GroupId::Localized,
            concept,
        },
    });
    Ok(())
}

/// Groups analyzed tokens by position; the first token at a position is the
/// main form, the others its alternatives.
pub fn group_concepts(tokens: &[Token], alternative_weight: f32) -> Vec<Concept> {
    let mut concepts: Vec<Concept> = Vec::new();
    for token in tokens {
        match concepts.last_mut() {
            Some(last) if last.position == token.position => {
                if !last.terms.iter().any(|(t, _)| *t == token.text) {
                    last.terms.push((token.text.clone(), alternative_weight));
                }
                last.from = last.from.min(token.offset_from);
                last.to = last.to.max(token.offset_to);
            }
            _ => {
                // The same word twice in a query is one concept.
                if concepts.iter().any(|c| c.terms[0].0 == token.text) {
                    continue;
                }
                concepts.push(Concept {
                    position: token.position,
                    terms: vec![(token.text.clone(), 1.0)],
                    compounds: Vec::new(),
                    weight: 0.0,
                    identifier: false,
                    from: token.offset_from,
                    to: token.offset_to,
                });
            }
        }
    }
    concepts
}

/// How many documents the index's document frequencies are counted among:
/// every document of every segment, deleted ones included. A term's
/// frequency counts the documents an incremental build replaced until their
/// segment is merged (as Lucene's statistics do), so the collection it is
/// measured against must count them too: against the live documents alone,
/// a word in every article weighed less than nothing after an edit, and
/// coverage scores became NaN. Without deletions it is the live count.
fn collection_size(searcher: &Searcher) -> u64 {
    let documents: u64 = searcher
        .segment_readers()
        .iter()
        .map(|segment| u64::from(segment.max_doc()))
        .sum();
    documents.max(1)
}

/// BM25's IDF, never negative: a frequency above the collection's size
/// (which [`collection_size`] rules out) counts as the whole collection.
fn idf(doc_freq: u64, num_docs: u64) -> f32 {
    let n = num_docs as f32;
    let df = doc_freq.min(num_docs) as f32;
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// IDF of the concept's commonest indexed form; 0 if no form is indexed.
fn concept_weight(
    dfs: &DocFreqs<'_>,
    fields: &[Field],
    concept: &Concept,
    num_docs: u64,
) -> tantivy::Result<f32> {
    let mut best: Option<u64> = None;
    for (term, _) in &concept.terms {
        let df = dfs.max(fields, term)?;
        if df > 0 {
            best = Some(best.map_or(df, |b: u64| b.max(df)));
        }
    }
    // A compound is at most as frequent as its rarest part.
    for (parts, _) in &concept.compounds {
        let mut rarest = u64::MAX;
        for part in parts {
            rarest = rarest.min(dfs.max(fields, part)?);
        }
        if rarest > 0 && rarest < u64::MAX {
            best = Some(best.map_or(rarest, |b: u64| b.max(rarest)));
        }
    }
    Ok(best.map_or(0.0, |df| idf(df, num_docs)))
}

/// Product names and codes: words with digits or capitals inside.
fn looks_like_identifier(surface: &str) -> bool {
    let has_digit = surface.chars().any(|c| c.is_ascii_digit());
    let uppercase = surface.chars().filter(|c| c.is_uppercase()).count();
    has_digit || uppercase >= 2
}

/// The word being typed (the last one), normalized but not stemmed, with its
/// byte offset in `text`; `words` is `text` analyzed without stemming.
fn last_word(text: &str, words: &[Token]) -> Option<(String, usize)> {
    let last = words.last()?;
    if last.offset_to < text.trim_end().len() {
        return None;
    }
    let first = words.iter().find(|t| t.position == last.position)?;
    Some((first.text.clone(), first.offset_from))
}

/// How well the locale knows `words` (0..=1): each word scores 1 if a form of
/// it occurs in the index or the analyzer drops it, 2 if it is a stop word of
/// a language with stop-word lists (function words are the strongest
/// language signal in short text: both French and English docs contain
/// "customer", only English drops "how"). CJK analyzers drop by part of
/// speech, which also drops characters they misread, so no bonus there.
fn recognition(words: &[Token], concepts: &[Concept], language: Language) -> f32 {
    let function_word = if language.spec().segmentation.is_dictionary() {
        1
    } else {
        2
    };
    let mut total = 0;
    let mut score = 0;
    let mut previous_position = usize::MAX;
    for word in words {
        if word.position == previous_position {
            continue;
        }
        previous_position = word.position;
        total += 2;
        let mut overlapping = concepts
            .iter()
            .filter(|c| c.from < word.offset_to && c.to > word.offset_from)
            .peekable();
        if overlapping.peek().is_none() {
            score += function_word;
        } else if overlapping.any(|c| c.weight > 0.0) {
            score += 1;
        }
    }
    if total == 0 {
        0.0
    } else {
        score as f32 / total as f32
    }
}
