//! From query text to a [`CoverageQuery`] for one locale index.
//!
//! The query is analyzed with the locale's analyzer (the one that built the
//! index). Tokens sharing a position become one *concept* with alternative
//! forms; each concept is weighted by its IDF. Latin and Cyrillic words that
//! the index does not know get typo-tolerant alternatives, the last word gets
//! prefix completions, and adjacent words get proximity clauses. An English
//! reading of the query searches the `english` field (the English originals
//! of bilingual articles) as a second, lower-weighted group.

use tantivy::query::{BoostQuery, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::{TextAnalyzer, Token};
use tantivy::{Searcher, Term};

use crate::analysis;
use crate::analysis::script::Script;
use crate::index::schema::{Fields, TextField};
use crate::index::stored::term_hash;
use crate::locale::Language;

use super::coverage::{Clause, ClauseKind, CoverageQuery, Group, MAX_CONCEPTS};
use super::expand;
use super::snippet::Highlighter;

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
}

/// Document frequencies looked up once per query: planning asks for the
/// same (field, term) several times, and each lookup walks the term
/// dictionaries of every segment.
struct DocFreqs<'a> {
    searcher: &'a Searcher,
    known: std::cell::RefCell<Vec<(Field, String, u64)>>,
}

impl<'a> DocFreqs<'a> {
    fn new(searcher: &'a Searcher) -> Self {
        DocFreqs {
            searcher,
            known: Default::default(),
        }
    }

    fn get(&self, field: Field, term: &str) -> tantivy::Result<u64> {
        if let Some((_, _, df)) = self
            .known
            .borrow()
            .iter()
            .find(|(f, t, _)| *f == field && t == term)
        {
            return Ok(*df);
        }
        let df = self
            .searcher
            .doc_freq(&Term::from_field_text(field, term))?;
        self.known.borrow_mut().push((field, term.to_string(), df));
        Ok(df)
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

/// Plans `text` against one locale index.
///
/// `localized` and `english` are the index's analyzers; `plain` is the
/// stemming-free analyzer used to read the word being typed.
pub fn plan(
    text: &str,
    ctx: &Context<'_>,
    localized: &mut TextAnalyzer,
    english: &mut TextAnalyzer,
    plain: &mut TextAnalyzer,
) -> tantivy::Result<Plan> {
    let num_docs = ctx.searcher.num_docs().max(1);
    let dfs = DocFreqs::new(ctx.searcher);
    let ranking = ctx.ranking;
    let mut clauses = Vec::new();
    let mut groups = Vec::new();

    // Localized group.
    let mut concepts = group_concepts(&analysis::analyze(localized, text), ranking.alternative);
    concepts.truncate(MAX_CONCEPTS);
    let body_title = [ctx.fields.body, ctx.fields.title];
    let typing = !text.ends_with(|c: char| c.is_whitespace() || c.is_ascii_punctuation());
    let words = analysis::analyze(plain, text);
    let last_word = if typing {
        last_word(text, &words)
    } else {
        None
    };
    for concept in &mut concepts {
        let main = concept.terms[0].0.clone();
        let main_df = dfs.max(&body_title, &main)?;
        if main_df == 0 && expand::is_expandable(&main) {
            let distance = expand::typo_distance(main.chars().count());
            if distance > 0 {
                for (term, _) in expand::fuzzy(ctx.searcher, &body_title, &main, distance)? {
                    let edits = if distance == 1 {
                        ranking.typo_one
                    } else {
                        ranking.typo_two
                    };
                    concept.terms.push((term, edits));
                }
            }
        }
        if let Some((word, from)) = &last_word
            && concept.to > *from
            && word.chars().count() >= 3
            && expand::is_expandable(word)
        {
            for (term, _) in expand::prefix(ctx.searcher, &body_title, word)? {
                if !concept.terms.iter().any(|(t, _)| *t == term) {
                    concept.terms.push((term, ranking.prefix));
                }
            }
        }
        concept.weight = concept_weight(&dfs, &body_title, concept, num_docs)?;
        concept.identifier = looks_like_identifier(&text[concept.from..concept.to]);
        if concept.identifier {
            concept.weight *= ranking.identifier;
        }
    }
    let mut highlight = Vec::new();
    for (c, concept) in concepts.iter().enumerate() {
        for (term, term_weight) in &concept.terms {
            highlight.push((term_hash(term), c));
            for field in LOCALIZED_FIELDS {
                let identifier = if concept.identifier {
                    ranking.identifier
                } else {
                    1.0
                };
                let boost = ranking.field_weight(field) * term_weight * identifier;
                push_term_clause(
                    &mut clauses,
                    &dfs,
                    ctx.fields.text(field),
                    term,
                    boost,
                    0,
                    c,
                )?;
            }
        }
    }
    let recognition = recognition(&words, &concepts, ctx.language);
    groups.push(Group {
        scale: 1.0,
        concept_weights: concepts.iter().map(|c| c.weight).collect(),
    });

    // Proximity of adjacent words, in title and body.
    for pair in concepts.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.weight <= 0.0 || b.weight <= 0.0 || a.terms[0].0 == b.terms[0].0 {
            continue;
        }
        let gap = b.position.saturating_sub(a.position).max(1);
        for (field, boost) in [
            (ctx.fields.title, ranking.proximity_title),
            (ctx.fields.body, ranking.proximity_body),
        ] {
            let phrase = PhraseQuery::new_with_offset_and_slop(
                vec![
                    (0, Term::from_field_text(field, &a.terms[0].0)),
                    (gap, Term::from_field_text(field, &b.terms[0].0)),
                ],
                ranking.proximity_slop,
            );
            clauses.push(Clause {
                query: Box::new(BoostQuery::new(Box::new(phrase), boost)),
                kind: ClauseKind::Extra,
            });
        }
    }

    // English group: cross-language matches through the English originals.
    if ctx.language != Language::En && text.chars().any(|c| c.is_ascii_alphabetic()) {
        let mut english_concepts =
            group_concepts(&analysis::analyze(english, text), ranking.alternative);
        english_concepts.truncate(MAX_CONCEPTS);
        let english_field = [ctx.fields.english];
        for (c, concept) in english_concepts.iter_mut().enumerate() {
            concept.weight = concept_weight(&dfs, &english_field, concept, num_docs)?;
            for (term, term_weight) in &concept.terms {
                push_term_clause(
                    &mut clauses,
                    &dfs,
                    ctx.fields.english,
                    term,
                    *term_weight,
                    1,
                    c,
                )?;
            }
        }
        let native_letters = ctx.language.is_cjk()
            && text
                .chars()
                .any(|c| c.is_alphabetic() && Script::of(c) != Script::Other);
        let scale = if ctx.language.is_cjk() && !native_letters {
            ranking.english_only
        } else {
            ranking.english
        };
        groups.push(Group {
            scale,
            concept_weights: english_concepts.iter().map(|c| c.weight).collect(),
        });
    }

    Ok(Plan {
        query: CoverageQuery {
            clauses,
            groups,
            exponent: ranking.coverage_exponent,
            rescore_depth: ranking.proximity_depth,
        },
        highlight: Highlighter::new(highlight),
        concepts,
        recognition,
    })
}

/// Adds a term clause unless the term does not occur in the field.
fn push_term_clause(
    clauses: &mut Vec<Clause>,
    dfs: &DocFreqs<'_>,
    field: Field,
    term: &str,
    boost: f32,
    group: usize,
    concept: usize,
) -> tantivy::Result<()> {
    if dfs.get(field, term)? == 0 {
        return Ok(());
    }
    let term = Term::from_field_text(field, term);
    let query: Box<dyn Query> = Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
    clauses.push(Clause {
        query: if boost == 1.0 {
            query
        } else {
            Box::new(BoostQuery::new(query, boost))
        },
        kind: ClauseKind::Concept { group, concept },
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

fn idf(doc_freq: u64, num_docs: u64) -> f32 {
    let n = num_docs as f32;
    let df = doc_freq as f32;
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
    let function_word = if language.is_cjk() { 1 } else { 2 };
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
