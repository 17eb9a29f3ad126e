//! Synonyms in the format docs teams already keep for Solr and
//! Elasticsearch: one rule per line, `#` comments.
//!
//! - `a, b, c`: equivalent — a query with any of them also finds the others;
//! - `a, b => c, d`: one-way — a query with `a` or `b` also finds `c` and
//!   `d` (not the reverse).
//!
//! Each side may be a phrase. Sides are analyzed with the locale's analyzer
//! — so 技術サポート, テクニカル サポート and "technical support" become the
//! tokens the index holds — and applied at query time: where a rule's
//! left-hand tokens occur in the query, the right-hand tokens become
//! alternatives of those query words, weighted at or below the words
//! themselves ([`crate::search::Ranking::synonym`]).

use tantivy::tokenizer::TextAnalyzer;

use crate::analysis;

/// A rule as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawRule {
    Equivalent(Vec<String>),
    OneWay { from: Vec<String>, to: Vec<String> },
}

/// A line that is not a rule, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

/// Parses a synonyms file; malformed lines are returned beside the rules
/// of the others.
pub fn parse(text: &str) -> (Vec<RawRule>, Vec<LineError>) {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let error = |message: &str| LineError {
            line: n + 1,
            message: message.to_string(),
        };
        let sides: Vec<&str> = line.split("=>").collect();
        let terms = |side: &str| -> Vec<String> {
            side.split(',')
                .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|t| !t.is_empty())
                .collect()
        };
        match sides.as_slice() {
            [one] => {
                let terms = terms(one);
                if terms.len() < 2 {
                    errors.push(error("an equivalence needs at least two terms (`a, b`)"));
                } else {
                    rules.push(RawRule::Equivalent(terms));
                }
            }
            [from, to] => {
                let (from, to) = (terms(from), terms(to));
                if from.is_empty() || to.is_empty() {
                    errors.push(error("`=>` needs terms on both sides"));
                } else {
                    rules.push(RawRule::OneWay { from, to });
                }
            }
            _ => errors.push(error("more than one `=>`")),
        }
    }
    (rules, errors)
}

/// A locale's synonyms, analyzed: each left-hand token sequence with the
/// token sequences it also finds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Synonyms {
    expansions: Vec<(Vec<String>, Vec<Vec<String>>)>,
}

impl Synonyms {
    /// Analyzes `rules` with `analyzer` (the locale's).
    pub fn compile(rules: &[RawRule], analyzer: &mut TextAnalyzer) -> Synonyms {
        let mut tokens = |term: &str| -> Vec<String> {
            let mut main = Vec::new();
            let mut previous = usize::MAX;
            for token in analysis::analyze(analyzer, term) {
                // The first token at a position is the word; the others
                // are its alternative forms (compound parts).
                if token.position != previous {
                    main.push(token.text);
                    previous = token.position;
                }
            }
            main
        };
        let mut expansions: Vec<(Vec<String>, Vec<Vec<String>>)> = Vec::new();
        let mut add = |from: Vec<String>, to: Vec<String>| {
            if from.is_empty() || to.is_empty() || from == to {
                return;
            }
            match expansions.iter_mut().find(|(f, _)| *f == from) {
                Some((_, targets)) if !targets.contains(&to) => targets.push(to),
                Some(_) => {}
                None => expansions.push((from, vec![to])),
            }
        };
        for rule in rules {
            match rule {
                RawRule::Equivalent(terms) => {
                    let analyzed: Vec<Vec<String>> = terms.iter().map(|t| tokens(t)).collect();
                    for a in &analyzed {
                        for b in &analyzed {
                            add(a.clone(), b.clone());
                        }
                    }
                }
                RawRule::OneWay { from, to } => {
                    let to: Vec<Vec<String>> = to.iter().map(|t| tokens(t)).collect();
                    for f in from {
                        let f = tokens(f);
                        for t in &to {
                            add(f.clone(), t.clone());
                        }
                    }
                }
            }
        }
        Synonyms { expansions }
    }

    pub fn is_empty(&self) -> bool {
        self.expansions.is_empty()
    }

    pub fn len(&self) -> usize {
        self.expansions.len()
    }

    /// For `words` (a query's words, in order): each occurrence of a rule's
    /// left-hand side as (first word, words covered, tokens it also finds).
    pub fn matches<'a>(
        &'a self,
        words: &'a [&'a str],
    ) -> impl Iterator<Item = (usize, usize, &'a [String])> + 'a {
        self.expansions.iter().flat_map(move |(from, targets)| {
            let n = from.len();
            (0..words.len().saturating_sub(n - 1))
                .filter(move |&i| words[i..i + n].iter().zip(from).all(|(w, f)| *w == f))
                .flat_map(move |i| targets.iter().map(move |t| (i, n, t.as_slice())))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locale::Language;

    #[test]
    fn parses_solr_rules_and_reports_bad_lines() {
        let text = "# comment\nmerge, combine\n\nmfa, multi factor auth => multi-factor authentication\n  lonely\na => \nx => y => z\n";
        let (rules, errors) = parse(text);
        assert_eq!(
            rules,
            [
                RawRule::Equivalent(vec!["merge".into(), "combine".into()]),
                RawRule::OneWay {
                    from: vec!["mfa".into(), "multi factor auth".into()],
                    to: vec!["multi-factor authentication".into()],
                },
            ]
        );
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [5, 6, 7]);
    }

    #[test]
    fn sides_are_analyzed_like_the_index() {
        let (rules, _) = parse("技術サポート, テクニカル サポート");
        let mut ja = analysis::build(Language::Ja);
        let synonyms = Synonyms::compile(&rules, &mut ja);
        let query = ["技術", "サポート", "21vianet"];
        let found: Vec<_> = synonyms.matches(&query).collect();
        assert_eq!(found.len(), 1, "{synonyms:?}");
        assert_eq!(found[0].0, 0);
        assert_eq!(found[0].1, 2);
        assert_eq!(found[0].2, ["テクニカル", "サポート"]);

        let (rules, _) = parse("merge => combined, consolidate");
        let mut en = analysis::build(Language::En);
        let synonyms = Synonyms::compile(&rules, &mut en);
        let found: Vec<_> = synonyms.matches(&["merg", "account"]).collect();
        assert_eq!(found.len(), 2);
        // One-way: `combine` does not find `merge`.
        assert_eq!(synonyms.matches(&["combin"]).count(), 0);
    }
}
