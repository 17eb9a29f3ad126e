//! Relevance evaluation: judged queries → MRR@10, Success@k, nDCG@10.
//!
//! Queries run through [`Engine::search`], the path the CLI and the HTTP API
//! use, so the figures describe what users get.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::locale::Locale;
use crate::search::{Engine, SearchRequest};

/// Results are judged down to this rank.
pub const DEPTH: usize = 10;

/// One judged query, as in `eval/dev.jsonl`.
#[derive(Debug, Clone, Deserialize)]
pub struct Judgment {
    pub id: String,
    #[serde(default)]
    pub qid: String,
    pub locale: Locale,
    pub query: String,
    /// Relevant article ids (paths relative to the locale folder).
    pub relevant: Vec<String>,
    #[serde(default)]
    pub style: String,
    /// The judgment file it comes from (`dev`, `dev2`).
    #[serde(skip)]
    pub set: String,
    /// Set for an en-us query sent to another locale: that locale.
    #[serde(skip)]
    pub cross_language: bool,
}

/// Reads judgments, one JSON object per line; blank lines are skipped. Their
/// set is the file's name without extension.
pub fn read_judgments(path: &Path) -> anyhow::Result<Vec<Judgment>> {
    use anyhow::Context as _;
    let set = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut judgments = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line =
            line.with_context(|| format!("{}: cannot read line {}", path.display(), n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let mut judgment: Judgment = serde_json::from_str(&line)
            .with_context(|| format!("{}:{}: not a judgment", path.display(), n + 1))?;
        judgment.set = set.clone();
        judgments.push(judgment);
    }
    Ok(judgments)
}

/// Each need's query in the originals' language (en-us) sent to each of
/// `locales` (and judged there: the corpus is parallel, relevance is by
/// article path).
pub fn cross_language(judgments: &[Judgment], locales: &[Locale]) -> Vec<Judgment> {
    let mut out = Vec::new();
    for j in judgments.iter().filter(|j| j.locale.holds_originals()) {
        for locale in locales {
            out.push(Judgment {
                id: format!("{}>{locale}", j.id),
                locale: locale.clone(),
                cross_language: true,
                ..j.clone()
            });
        }
    }
    out
}

/// Metrics of one query.
#[derive(Debug, Clone, Serialize)]
pub struct QueryResult {
    pub id: String,
    #[serde(skip)]
    pub qid: String,
    pub locale: Locale,
    pub style: String,
    pub set: String,
    pub cross_language: bool,
    pub query: String,
    /// Rank (1-based) of the first relevant article in the top 10.
    pub first_relevant: Option<usize>,
    pub ndcg: f64,
    /// The top 10 article ids returned.
    pub returned: Vec<String>,
    pub relevant: Vec<String>,
    pub took_ms: f64,
}

impl QueryResult {
    pub fn reciprocal_rank(&self) -> f64 {
        self.first_relevant.map_or(0.0, |r| 1.0 / r as f64)
    }
}

/// Averages over a set of queries.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Summary {
    pub queries: usize,
    pub mrr_at_10: f64,
    pub success_at_1: f64,
    pub success_at_3: f64,
    pub success_at_10: f64,
    pub ndcg_at_10: f64,
}

impl Summary {
    fn of<'a>(results: impl IntoIterator<Item = &'a QueryResult>) -> Summary {
        let mut s = Summary::default();
        for r in results {
            s.queries += 1;
            s.mrr_at_10 += r.reciprocal_rank();
            s.success_at_1 += f64::from(u8::from(r.first_relevant == Some(1)));
            s.success_at_3 += f64::from(u8::from(r.first_relevant.is_some_and(|k| k <= 3)));
            s.success_at_10 += f64::from(u8::from(r.first_relevant.is_some()));
            s.ndcg_at_10 += r.ndcg;
        }
        if s.queries > 0 {
            let n = s.queries as f64;
            s.mrr_at_10 /= n;
            s.success_at_1 /= n;
            s.success_at_3 /= n;
            s.success_at_10 /= n;
            s.ndcg_at_10 /= n;
        }
        s
    }
}

/// The evaluation of a whole query set. `overall`, `by_locale`, `by_style`
/// and `by_set` cover the queries in their own locale (`by_set` also per
/// set and locale, `dev2 ja-jp`, when there are several sets); `cross_language`
/// the en-us queries sent to other locales, per set and target locale.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub overall: Summary,
    pub by_locale: BTreeMap<String, Summary>,
    pub by_style: BTreeMap<String, Summary>,
    pub by_set: BTreeMap<String, Summary>,
    pub cross_language: BTreeMap<String, Summary>,
    pub queries: Vec<QueryResult>,
}

/// How queries are sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Leave the locale out of the request, testing detection too.
    pub detect_locale: bool,
    /// Weight of meaning against words (the engine's default when absent).
    pub semantic_ratio: Option<f32>,
}

/// A ranked list per query id, as in a TREC run file.
pub type Run = BTreeMap<String, Vec<String>>;

/// Reads a TREC run file: `qid Q0 docid rank score tag`, whitespace-separated.
pub fn read_run(path: &Path) -> anyhow::Result<Run> {
    use anyhow::Context as _;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut ranked: BTreeMap<String, Vec<(u32, String)>> = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        anyhow::ensure!(
            fields.len() >= 4,
            "{}:{}: expected `qid Q0 docid rank …`",
            path.display(),
            n + 1
        );
        let rank: u32 = fields[3]
            .parse()
            .with_context(|| format!("{}:{}: rank is not a number", path.display(), n + 1))?;
        ranked
            .entry(fields[0].to_string())
            .or_default()
            .push((rank, fields[2].to_string()));
    }
    Ok(ranked
        .into_iter()
        .map(|(qid, mut docs)| {
            docs.sort();
            (qid, docs.into_iter().map(|(_, id)| id).collect())
        })
        .collect())
}

/// Scores an external engine's run with the same metrics.
pub fn evaluate_run(judgments: &[Judgment], run: &Run) -> Report {
    let queries = judgments
        .iter()
        .map(|j| judge(j, run.get(&j.id).cloned().unwrap_or_default(), 0.0))
        .collect();
    summarize(queries)
}

fn summarize(queries: Vec<QueryResult>) -> Report {
    type Groups<'a> = BTreeMap<String, Vec<&'a QueryResult>>;
    let (mut by_locale, mut by_style, mut by_set, mut cross) =
        (Groups::new(), Groups::new(), Groups::new(), Groups::new());
    let native: Vec<&QueryResult> = queries.iter().filter(|q| !q.cross_language).collect();
    // With several sets, each set's locales too (goals are stated per set).
    let sets = native
        .iter()
        .map(|q| &q.set)
        .collect::<std::collections::BTreeSet<_>>();
    for q in &queries {
        if q.cross_language {
            let key = format!("{} en-us→{}", q.set, q.locale);
            cross.entry(key).or_default().push(q);
            continue;
        }
        by_locale.entry(q.locale.to_string()).or_default().push(q);
        by_style.entry(q.style.clone()).or_default().push(q);
        by_set.entry(q.set.clone()).or_default().push(q);
        if sets.len() > 1 {
            let key = format!("{} {}", q.set, q.locale);
            by_set.entry(key).or_default().push(q);
        }
    }
    let summarize = |groups: Groups<'_>| {
        groups
            .into_iter()
            .map(|(k, v)| (k, Summary::of(v)))
            .collect::<BTreeMap<_, _>>()
    };
    Report {
        overall: Summary::of(native),
        by_locale: summarize(by_locale),
        by_style: summarize(by_style),
        by_set: summarize(by_set),
        cross_language: summarize(cross),
        queries,
    }
}

/// Runs every judgment through the engine.
pub fn evaluate(
    engine: &Engine,
    judgments: &[Judgment],
    options: Options,
) -> anyhow::Result<Report> {
    let mut queries = Vec::with_capacity(judgments.len());
    for j in judgments {
        let mut request = SearchRequest::new(j.query.clone()).limit(DEPTH);
        request.semantic_ratio = options.semantic_ratio;
        if !options.detect_locale {
            request = request.locale(j.locale.clone());
        }
        let response = engine
            .search(&request)
            .map_err(|e| anyhow::anyhow!("query {}: {e}", j.id))?;
        // A search that answered without the meaning it was asked for would
        // score the lexical ranking under the hybrid's name.
        if let Some(reason) = response
            .semantic
            .as_ref()
            .and_then(|s| s.unavailable.as_ref())
        {
            anyhow::bail!("query {}: semantic matching unavailable: {reason}", j.id);
        }
        // Relevance is by article path; with detection, a hit in another
        // locale counts only if it is the query's locale.
        let returned: Vec<String> = response
            .hits
            .iter()
            .filter(|h| h.locale == j.locale)
            .map(|h| h.id.clone())
            .collect();
        queries.push(judge(j, returned, response.took_ms));
    }
    Ok(summarize(queries))
}

/// Scores one ranked list against its judgment.
pub fn judge(judgment: &Judgment, mut returned: Vec<String>, took_ms: f64) -> QueryResult {
    // Each article counts once, at its best rank.
    let mut seen = std::collections::HashSet::new();
    returned.retain(|id| seen.insert(id.clone()));
    returned.truncate(DEPTH);
    // Judged by the article, whatever its format: `billing/invoices.md` is
    // the page `billing/invoices/` or `billing/invoices.html` of a site.
    let is_relevant = |id: &String| {
        judgment
            .relevant
            .iter()
            .any(|r| crate::article::id_key(r) == crate::article::id_key(id))
    };
    let first_relevant = returned.iter().position(is_relevant).map(|i| i + 1);
    let dcg: f64 = returned
        .iter()
        .enumerate()
        .filter(|(_, id)| is_relevant(id))
        .map(|(i, _)| 1.0 / (i as f64 + 2.0).log2())
        .sum();
    let ideal: f64 = (0..judgment.relevant.len().min(DEPTH))
        .map(|i| 1.0 / (i as f64 + 2.0).log2())
        .sum();
    QueryResult {
        id: judgment.id.clone(),
        qid: judgment.qid.clone(),
        locale: judgment.locale.clone(),
        style: judgment.style.clone(),
        set: judgment.set.clone(),
        cross_language: judgment.cross_language,
        query: judgment.query.clone(),
        first_relevant,
        ndcg: if ideal > 0.0 { dcg / ideal } else { 0.0 },
        returned,
        relevant: judgment.relevant.clone(),
        took_ms,
    }
}

impl Report {
    /// The report as a text table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "{:<12} {:>7} {:>8} {:>6} {:>6} {:>7} {:>8}\n",
            "", "queries", "MRR@10", "S@1", "S@3", "S@10", "nDCG@10"
        ));
        let mut row = |name: &str, s: &Summary| {
            out.push_str(&format!(
                "{:<12} {:>7} {:>8.3} {:>6.3} {:>6.3} {:>7.3} {:>8.3}\n",
                name,
                s.queries,
                s.mrr_at_10,
                s.success_at_1,
                s.success_at_3,
                s.success_at_10,
                s.ndcg_at_10
            ));
        };
        for (locale, s) in &self.by_locale {
            row(locale, s);
        }
        for (style, s) in &self.by_style {
            row(style, s);
        }
        if self.by_set.len() > 1 {
            for (set, s) in &self.by_set {
                row(set, s);
            }
        }
        row("overall", &self.overall);
        for (key, s) in &self.cross_language {
            row(key, s);
        }
        out
    }
}

/// Held-out evaluation: needs split into folds; for each fold, the
/// configuration of the grid with the best [`objective`] on the other folds
/// is scored on it. Every figure in `held_out` comes from a configuration
/// chosen without its query's need.
#[derive(Debug, Clone, Serialize)]
pub struct CrossValidation {
    pub folds: usize,
    /// The configuration chosen for each fold.
    pub chosen: Vec<String>,
    pub held_out: Report,
    /// Each configuration's [`objective`] over every query (in-sample: a
    /// guide, not evidence).
    pub in_sample: Vec<(String, f64)>,
}

impl CrossValidation {
    pub fn table(&self) -> String {
        let mut out = format!("held out, {} folds by need:\n", self.folds);
        out.push_str(&self.held_out.table());
        for (fold, chosen) in self.chosen.iter().enumerate() {
            out.push_str(&format!("fold {fold}: {chosen}\n"));
        }
        out.push_str(
            "in-sample objective (mean MRR@10 of the sets, cross-language apart) \
             of each configuration (not evidence):\n",
        );
        for (name, objective) in &self.in_sample {
            out.push_str(&format!("  {objective:.3}  {name}\n"));
        }
        out
    }
}

/// What the folds maximise: the mean over groups of lines — each set (file),
/// its own-locale lines and its cross-language lines apart — of the group's
/// MRR@10. Every group is a goal of its own, so a group with more lines
/// (needs in users' words, say) does not buy its gains with another's
/// losses (needs in the articles' words); with one group it is the MRR@10.
pub fn objective<'a>(lines: impl Iterator<Item = &'a QueryResult>) -> f64 {
    let mut groups: BTreeMap<(&str, bool), (f64, usize)> = BTreeMap::new();
    for q in lines {
        let group = groups.entry((&q.set, q.cross_language)).or_default();
        group.0 += q.reciprocal_rank();
        group.1 += 1;
    }
    let means = groups.values().map(|(sum, n)| sum / *n as f64);
    means.sum::<f64>() / groups.len().max(1) as f64
}

/// Cross-validates `grid` over the needs of `judgments` (`folds` folds, by
/// need: every line of a need — each locale, and its cross-language
/// copies — falls in the same fold), choosing by [`objective`].
pub fn cross_validate(
    engine: &mut Engine,
    judgments: &[Judgment],
    grid: &[(String, crate::search::Ranking)],
    folds: usize,
    options: Options,
) -> anyhow::Result<CrossValidation> {
    anyhow::ensure!(folds >= 2, "--folds must be at least 2");
    anyhow::ensure!(!grid.is_empty(), "--grid is empty");
    let mut needs: Vec<&str> = judgments.iter().map(|j| j.qid.as_str()).collect();
    needs.sort_unstable();
    needs.dedup();
    let fold_of = |qid: &str| needs.binary_search(&qid).unwrap_or(0) % folds;
    let mut results = Vec::with_capacity(grid.len());
    for (_, ranking) in grid {
        engine.set_ranking(ranking.clone());
        results.push(evaluate(engine, judgments, options)?.queries);
    }
    let objective_of = |config: usize, fold: Option<usize>, held_out: bool| {
        objective(
            results[config]
                .iter()
                .filter(|q| fold.is_none_or(|f| (fold_of(&q.qid) == f) == held_out)),
        )
    };
    let mut chosen = Vec::with_capacity(folds);
    let mut held_out: Vec<Option<QueryResult>> = vec![None; judgments.len()];
    for fold in 0..folds {
        let best = (0..grid.len())
            .max_by(|&a, &b| {
                objective_of(a, Some(fold), false)
                    .total_cmp(&objective_of(b, Some(fold), false))
                    .then(b.cmp(&a))
            })
            .unwrap_or(0);
        chosen.push(grid[best].0.clone());
        for (i, q) in results[best].iter().enumerate() {
            if fold_of(&q.qid) == fold {
                held_out[i] = Some(q.clone());
            }
        }
    }
    Ok(CrossValidation {
        folds,
        chosen,
        held_out: summarize(held_out.into_iter().flatten().collect()),
        in_sample: (0..grid.len())
            .map(|c| (grid[c].0.clone(), objective_of(c, None, true)))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judgment(relevant: &[&str]) -> Judgment {
        Judgment {
            id: "q".into(),
            qid: "q".into(),
            locale: Locale::parse("en-us").unwrap(),
            query: "x".into(),
            relevant: relevant.iter().map(|s| s.to_string()).collect(),
            style: "keywords".into(),
            set: "dev".into(),
            cross_language: false,
        }
    }

    #[test]
    fn trec_runs_are_read_in_rank_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.txt");
        std::fs::write(&path, "q Q0 b 2 1.0 t\nq Q0 a 1 2.0 t\n\nr Q0 c 1 1.0 t\n").unwrap();
        let run = read_run(&path).unwrap();
        assert_eq!(run["q"], ["a", "b"]);
        let report = evaluate_run(&[judgment(&["b"])], &run);
        assert!((report.overall.mrr_at_10 - 0.5).abs() < 1e-9);
        std::fs::write(&path, "q Q0 b\n").unwrap();
        assert!(read_run(&path).is_err());
    }

    #[test]
    fn metrics_of_one_ranking() {
        let j = judgment(&["a", "b"]);
        let r = judge(
            &j,
            vec!["x".into(), "a".into(), "x".into(), "b".into()],
            0.0,
        );
        assert_eq!(r.first_relevant, Some(2));
        assert_eq!(r.returned, vec!["x", "a", "b"], "duplicates collapse");
        assert!((r.reciprocal_rank() - 0.5).abs() < 1e-9);
        let ideal = 1.0 + 1.0 / 3f64.log2();
        let dcg = 1.0 / 3f64.log2() + 1.0 / 4f64.log2();
        assert!((r.ndcg - dcg / ideal).abs() < 1e-9);
        let miss = judge(&j, vec!["x".into()], 0.0);
        assert_eq!(miss.reciprocal_rank(), 0.0);
        let s = Summary::of([&r, &miss]);
        assert!((s.mrr_at_10 - 0.25).abs() < 1e-9);
        assert_eq!(s.success_at_10, 0.5);
    }

    #[test]
    fn the_objective_weighs_each_set_and_its_cross_language_lines_alike() {
        let line = |set: &str, cross_language: bool, first: Option<usize>| {
            let mut j = judgment(&["a"]);
            j.set = set.into();
            j.cross_language = cross_language;
            let mut returned = vec!["x".to_string(); first.map_or(1, |r| r - 1)];
            returned.extend(first.map(|_| "a".to_string()));
            judge(&j, returned, 0.0)
        };
        // One dev line found first; three dev2 lines missed; one dev2
        // cross-language line found second.
        let lines = [
            line("dev", false, Some(1)),
            line("dev2", false, None),
            line("dev2", false, None),
            line("dev2", false, None),
            line("dev2", true, Some(2)),
        ];
        assert!((objective(lines.iter()) - (1.0 + 0.0 + 0.5) / 3.0).abs() < 1e-9);
        assert!((objective(lines[..1].iter()) - 1.0).abs() < 1e-9);
        assert_eq!(objective([].iter()), 0.0);
    }
}
